"""DLPack: zero-copy exchange with NumPy, CuPy, JAX, torch ... in both directions.

The DLPack C structs are declared with ctypes. Export (``Tensor.__dlpack__``) builds a
DLManagedTensor (legacy capsule "dltensor") or, when the consumer passes ``max_version >= (1, 0)``,
a DLManagedTensorVersioned (capsule "dltensor_versioned"), holding a reference to the tensor
until the consumer calls the struct's ``deleter`` -- or, for a capsule nobody consumed, until the
capsule dies and its destructor calls the deleter (see "export" below for whose C code that is).

Import (``from_dlpack``) asks the producer for a capsule (versioned first), takes the struct out,
renames the capsule to "used_dltensor[_versioned]" as the protocol requires, and wraps the memory
in a Buffer whose owner calls the producer's deleter when the last view of it is gone. A read-only
export (DLPack 1.x flag) is copied, since tnn tensors are always writable.

CUDA streams: tnn runs its kernels on the device's default stream. An export for a consumer
stream other than -1 synchronizes the device first (always correct, if not the cheapest); an
import passes stream=1 (the legacy default stream) to the producer.
"""
from __future__ import annotations

import ctypes

import numpy as np

from ..runtime import dtypes as dt
from ..runtime.device import device as Device
from ..runtime.memory import Buffer
from ..tensor import Tensor

__all__ = ["from_dlpack", "to_dlpack"]

# ---------------------------------------------------------------- the C structs (dlpack.h v1.0)
kDLCPU, kDLCUDA, kDLCUDAHost, kDLCUDAManaged = 1, 2, 3, 13
kDLInt, kDLUInt, kDLFloat, kDLBfloat, kDLBool = 0, 1, 2, 4, 6
DLPACK_FLAG_BITMASK_READ_ONLY = 1 << 0
DLPACK_FLAG_BITMASK_IS_COPIED = 1 << 1
DLPACK_VERSION = (1, 0)


class DLDevice(ctypes.Structure):
    _fields_ = [("device_type", ctypes.c_int32), ("device_id", ctypes.c_int32)]


class DLDataType(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint8), ("bits", ctypes.c_uint8), ("lanes", ctypes.c_uint16)]


class DLTensor(ctypes.Structure):
    _fields_ = [
        ("data", ctypes.c_void_p),
        ("device", DLDevice),
        ("ndim", ctypes.c_int32),
        ("dtype", DLDataType),
        ("shape", ctypes.POINTER(ctypes.c_int64)),
        ("strides", ctypes.POINTER(ctypes.c_int64)),
        ("byte_offset", ctypes.c_uint64),
    ]


class DLManagedTensor(ctypes.Structure):
    pass


_Deleter = ctypes.CFUNCTYPE(None, ctypes.c_void_p)  # void (*deleter)(DLManagedTensor[Versioned]* self)
DLManagedTensor._fields_ = [("dl_tensor", DLTensor), ("manager_ctx", ctypes.c_void_p), ("deleter", ctypes.c_void_p)]


class DLPackVersion(ctypes.Structure):
    _fields_ = [("major", ctypes.c_uint32), ("minor", ctypes.c_uint32)]


class DLManagedTensorVersioned(ctypes.Structure):
    _fields_ = [
        ("version", DLPackVersion),
        ("manager_ctx", ctypes.c_void_p),
        ("deleter", ctypes.c_void_p),
        ("flags", ctypes.c_uint64),
        ("dl_tensor", DLTensor),
    ]


# Python C-API entry points with private prototypes (so ctypes.pythonapi's shared ones stay as
# other code set them). PYFUNCTYPE: called with the GIL held.
_api = ctypes.pythonapi


def _capi(name, restype, *argtypes):
    return ctypes.PYFUNCTYPE(restype, *argtypes)((name, _api))


_PyCapsule_New = _capi("PyCapsule_New", ctypes.py_object, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p)
_PyCapsule_IsValid = _capi("PyCapsule_IsValid", ctypes.c_int, ctypes.py_object, ctypes.c_char_p)
_PyCapsule_GetPointer = _capi("PyCapsule_GetPointer", ctypes.c_void_p, ctypes.py_object, ctypes.c_char_p)
_PyCapsule_GetDestructor = _capi("PyCapsule_GetDestructor", ctypes.c_void_p, ctypes.py_object)
_PyCapsule_SetName = _capi("PyCapsule_SetName", ctypes.c_int, ctypes.py_object, ctypes.c_char_p)
_PyMem_Malloc = _capi("PyMem_Malloc", ctypes.c_void_p, ctypes.c_size_t)
_PyMem_Free = _capi("PyMem_Free", None, ctypes.c_void_p)
_Py_IncRef = _capi("Py_IncRef", None, ctypes.py_object)
_Py_DecRefRaw = _capi("Py_DecRef", None, ctypes.c_void_p)

# Capsule names are stored by pointer inside the capsule: these bytes objects live as long as the module.
_NAME = b"dltensor"
_USED_NAME = b"used_dltensor"
_NAME_V = b"dltensor_versioned"
_USED_NAME_V = b"used_dltensor_versioned"

# ---------------------------------------------------------------- export
# An export is one PyMem_Malloc block: the managed struct, then int64 shape[ndim], strides[ndim].
# manager_ctx is a new reference to the exported Tensor (which keeps its buffer alive); the
# deleter frees the block and drops that reference -- exactly the contract of NumPy's own
# exporter, so tnn reuses NumPy's C deleter and capsule destructor (found once, by exporting a
# probe array and checking its manager_ctx is the array). They run without Python code, hence
# are safe while an exception is in flight (a consumer that fails, e.g. np.from_dlpack of a
# bfloat16 tensor, drops the capsule with its error set; so does stack unwinding). Only if that
# probe fails do the pure-Python ctypes callbacks below serve, which cannot run with an
# exception in flight.


def _py_deleter_for(cls):
    def deleter(addr):
        ctx = cls.from_address(addr).manager_ctx
        _PyMem_Free(addr)
        _Py_DecRefRaw(ctx)
    return _Deleter(deleter)


_py_deleters = {False: _py_deleter_for(DLManagedTensor), True: _py_deleter_for(DLManagedTensorVersioned)}
_GetPointerRaw = _capi("PyCapsule_GetPointer", ctypes.c_void_p, ctypes.c_void_p, ctypes.c_char_p)
_IsValidRaw = _capi("PyCapsule_IsValid", ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p)


@_Deleter
def _py_capsule_destructor(capsule):
    """Frees an export nobody consumed (its capsule still has the unused name)."""
    for name, versioned in ((_NAME, False), (_NAME_V, True)):
        if _IsValidRaw(capsule, name):
            _py_deleters[versioned](_GetPointerRaw(capsule, name))
            return


_HOOKS: dict = {}


def _hooks(versioned: bool) -> tuple[int, int]:
    """(deleter address, capsule destructor address) for exports of this kind."""
    if versioned in _HOOKS:
        return _HOOKS[versioned]
    hooks = None
    try:
        probe = np.empty(1)
        if versioned:
            cap = probe.__dlpack__(max_version=DLPACK_VERSION)
            name, cls = _NAME_V, DLManagedTensorVersioned
        else:
            cap = probe.__dlpack__()
            name, cls = _NAME, DLManagedTensor
        if _PyCapsule_IsValid(cap, name):
            m = cls.from_address(_PyCapsule_GetPointer(cap, name))
            if m.manager_ctx == id(probe) and m.deleter and _PyCapsule_GetDestructor(cap):
                hooks = (m.deleter, _PyCapsule_GetDestructor(cap))
        del cap
    except Exception:  # an older NumPy (no versioned export) or a changed exporter
        hooks = None
    if hooks is None:
        hooks = (ctypes.cast(_py_deleters[versioned], ctypes.c_void_p).value,
                 ctypes.cast(_py_capsule_destructor, ctypes.c_void_p).value)
    _HOOKS[versioned] = hooks
    return hooks


def _dl_dtype(d: dt.dtype) -> DLDataType:
    if d is dt.bool_:
        code = kDLBool
    elif d is dt.bfloat16:
        code = kDLBfloat
    elif d.is_floating_point:
        code = kDLFloat
    else:
        code = kDLInt if d.is_signed else kDLUInt
    return DLDataType(code, d.itemsize * 8, 1)


def dlpack_device(t: Tensor) -> tuple:
    """Tensor.__dlpack_device__: (kDLCPU, 0) or (kDLCUDA, index)."""
    if t.device.type == "cuda":
        return (kDLCUDA, t.device.index)
    return (kDLCPU, 0)


def to_dlpack(t: Tensor, stream=None, max_version=None, dl_device=None, copy=None):
    """Tensor.__dlpack__: a PyCapsule over t's memory (a legacy "dltensor" unless the consumer
    accepts DLPack >= 1.0 through ``max_version``). ``copy=True`` exports a copy; a ``dl_device``
    other than t's raises BufferError (tnn does not export across devices)."""
    if t.requires_grad:
        raise RuntimeError("Can't export tensors that require gradient, use tensor.detach()")
    if dl_device is not None and tuple(dl_device) != dlpack_device(t):
        raise BufferError(f"tnn can't export a {t.device} tensor to DLPack device {tuple(dl_device)}")
    flags = 0
    if copy:
        from .copying import clone
        t = clone(t)
        flags |= DLPACK_FLAG_BITMASK_IS_COPIED
    if t.device.type == "cuda" and stream is not None and stream != -1:
        from ..runtime.device import synchronize
        synchronize(t.device)
    versioned = max_version is not None and tuple(max_version)[0] >= 1
    cls = DLManagedTensorVersioned if versioned else DLManagedTensor
    deleter, destructor = _hooks(versioned)
    ndim = t.dim()
    head = ctypes.sizeof(cls)
    addr = _PyMem_Malloc(head + 16 * ndim)
    if not addr:
        raise MemoryError("to_dlpack: out of memory")
    ctypes.memset(addr, 0, head)
    m = cls.from_address(addr)
    shape = (ctypes.c_int64 * ndim).from_address(addr + head)
    strides = (ctypes.c_int64 * ndim).from_address(addr + head + 8 * ndim)
    shape[:], strides[:] = list(t.shape), list(t.stride())
    if versioned:
        m.version = DLPackVersion(*DLPACK_VERSION)
        m.flags = flags
    dl = m.dl_tensor
    # data points at the first element and byte_offset is 0 (what torch and NumPy export too)
    dl.data = t.data_ptr() or None
    dl.device = DLDevice(*dlpack_device(t))
    dl.ndim = ndim
    dl.dtype = _dl_dtype(t.dtype)
    dl.shape = ctypes.cast(addr + head, ctypes.POINTER(ctypes.c_int64)) if ndim else None
    dl.strides = ctypes.cast(addr + head + 8 * ndim, ctypes.POINTER(ctypes.c_int64)) if ndim else None
    dl.byte_offset = 0
    holder = t
    _Py_IncRef(holder)  # released by the deleter
    m.manager_ctx = id(holder)
    m.deleter = deleter
    return _PyCapsule_New(addr, _NAME_V if versioned else _NAME, destructor)


# ---------------------------------------------------------------- import
_FROM_DL = {
    (kDLFloat, 16): dt.float16, (kDLFloat, 32): dt.float32, (kDLFloat, 64): dt.float64, (kDLBfloat, 16): dt.bfloat16,
    (kDLInt, 8): dt.int8, (kDLInt, 16): dt.int16, (kDLInt, 32): dt.int32, (kDLInt, 64): dt.int64,
    (kDLUInt, 8): dt.uint8, (kDLBool, 8): dt.bool_,
}


class _ImportedMemory:
    """Owner of imported memory (the Buffer's ``_owner``): calls the producer's deleter once the
    last tnn view of the memory is gone."""

    __slots__ = ("addr", "deleter", "source")

    def __init__(self, addr: int, deleter, source):
        self.addr = addr
        self.deleter = deleter
        self.source = source  # the producing object: keeps it alive too, as torch does

    def __del__(self):
        if self.deleter:
            _Deleter(self.deleter)(self.addr)
            self.deleter = None


def _consume(capsule, source) -> Tensor:
    if _PyCapsule_IsValid(capsule, _NAME_V):
        addr = _PyCapsule_GetPointer(capsule, _NAME_V)
        m = DLManagedTensorVersioned.from_address(addr)
        if m.version.major > DLPACK_VERSION[0]:
            raise BufferError(
                f"tnn supports DLPack {DLPACK_VERSION[0]}.x, the producer exported version "
                f"{m.version.major}.{m.version.minor}")
        used, flags = _USED_NAME_V, int(m.flags)
    elif _PyCapsule_IsValid(capsule, _NAME):
        addr = _PyCapsule_GetPointer(capsule, _NAME)
        m = DLManagedTensor.from_address(addr)
        used, flags = _USED_NAME, 0
    else:
        raise ValueError("from_dlpack: expected a PyCapsule named 'dltensor' or 'dltensor_versioned' that has "
                         "not been consumed yet")
    dl = m.dl_tensor
    key = (int(dl.dtype.code), int(dl.dtype.bits))
    if dl.dtype.lanes != 1 or key not in _FROM_DL:
        raise BufferError(f"Unsupported DLPack dtype (code={key[0]}, bits={key[1]}, lanes={dl.dtype.lanes})")
    d = _FROM_DL[key]
    dev_type = int(dl.device.device_type)
    if dev_type in (kDLCPU, kDLCUDAHost):
        dev = Device("cpu")
    elif dev_type in (kDLCUDA, kDLCUDAManaged):
        dev = Device("cuda", int(dl.device.device_id))
    else:
        raise BufferError(f"Unsupported device_type: {dev_type}")
    ndim = int(dl.ndim)
    shape = tuple(int(dl.shape[i]) for i in range(ndim))
    if ndim and bool(dl.strides):
        strides = tuple(int(dl.strides[i]) for i in range(ndim))
    else:
        strides = tuple(int(np.prod(shape[i + 1:], dtype=np.int64)) for i in range(ndim))
    numel = int(np.prod(shape, dtype=np.int64))
    if numel and any(st < 0 for sz, st in zip(shape, strides) if sz > 1):
        raise BufferError("from_dlpack: negative strides are not supported by tnn")
    ptr = (dl.data or 0) + int(dl.byte_offset)
    span = (1 + sum((n - 1) * s for n, s in zip(shape, strides))) * d.itemsize if numel else 0
    _PyCapsule_SetName(capsule, used)  # the protocol's mark that the capsule is consumed
    owner = _ImportedMemory(addr, m.deleter, source)
    t = Tensor(Buffer(ptr, span, dev, owner), shape, strides, 0, d)
    if flags & DLPACK_FLAG_BITMASK_READ_ONLY:
        from .copying import clone
        t = clone(t)
    return t


def from_dlpack(ext_tensor) -> Tensor:
    """A tnn Tensor sharing memory with any DLPack producer (an object with ``__dlpack__``, or a
    legacy capsule). The tensor keeps the producer's memory (and the producer) alive."""
    if hasattr(ext_tensor, "__dlpack__"):
        dev_type, dev_id = ext_tensor.__dlpack_device__()
        kwargs = {}
        if int(dev_type) in (kDLCUDA, kDLCUDAManaged):
            kwargs["stream"] = 1
        try:
            capsule = ext_tensor.__dlpack__(max_version=DLPACK_VERSION, **kwargs)
        except TypeError:  # a producer from before DLPack 1.0 (no max_version)
            capsule = ext_tensor.__dlpack__(**kwargs)
        return _consume(capsule, ext_tensor)
    if type(ext_tensor).__name__ == "PyCapsule":
        return _consume(ext_tensor, None)
    raise TypeError(f"from_dlpack: expected an object with __dlpack__ or a DLPack capsule, got "
                    f"{type(ext_tensor).__name__}")
