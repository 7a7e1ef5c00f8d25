"""Copies, conversions and host transfer: contiguous, clone, copy_, to, numpy, item, fill_.

Autograd: clone/contiguous (CloneBackward0) pass the gradient through; to() between float dtypes
or devices (ToCopyBackward0) casts/moves it back; copy_ (CopyBackwards) sends it to the source
(summed over broadcast dims) and gives dst's previous values zero; fill_/zero_ give zero (a 0-d
tensor fill value gets the gradient's sum). item/tolist work on tensors that require grad; numpy()
refuses them as torch does."""
from __future__ import annotations

import builtins as _b

import numpy as np

from ..autograd.function import Function
from ..autograd.grad_mode import is_grad_enabled as _grad_enabled
from ..kernels import copy as K
from ..runtime import dtypes as dt
from ..runtime.device import as_device, device
from ..runtime.memory import copy_bytes
from ..tensor import Tensor
from ..shape import broadcast_shapes, broadcast_strides, coalesce
from .views import _check_inplace_pre


def _check_writable_overlap(dst: Tensor):
    # An expanded destination (stride 0 over a dim of size > 1) would make writes race.
    for s, st in zip(dst.shape, dst.stride()):
        if st == 0 and s > 1:
            raise RuntimeError(
                "unsupported operation: more than one element of the written-to tensor refers to a single "
                "memory location. Please clone() the tensor before performing the operation.")


def _meta(t: Tensor):
    return (tuple(t.shape), t.dtype, t.device)


def _needs_graph(*ts) -> bool:
    return _grad_enabled() and _b.any(isinstance(t, Tensor) and t.requires_grad for t in ts)


class _Copy(Function):
    """dst.copy_(src): src gets the gradient summed to its shape, in its dtype, on its device;
    dst's previous values were overwritten (zero gradient)."""
    _backward_name = "CopyBackwards"

    @staticmethod
    def forward(ctx, dst, src, non_blocking=False):
        ctx.meta = (_meta(dst), _meta(src))
        _copy(dst, src)
        ctx.mark_dirty(dst)
        return dst

    @staticmethod
    def backward(ctx, g):
        from .creation import zeros
        (dshape, ddtype, ddev), (shape, dtype, dev) = ctx.meta
        gd = zeros(dshape, dtype=ddtype, device=ddev) if ctx.needs_input_grad[0] else None
        gs = None
        if ctx.needs_input_grad[1]:
            gs = g.sum_to_size(shape) if tuple(g.shape) != shape else g
            gs = gs.to(device=dev, dtype=dtype)
        return gd, gs, None


def copy_(dst: Tensor, src, non_blocking: bool = False) -> Tensor:
    """dst[...] = src, broadcasting src, converting dtype, across devices."""
    if not isinstance(src, Tensor):
        return fill_(dst, src) if np.ndim(src) == 0 else copy_(dst, _from_data(src, dst))
    if not _needs_graph(dst, src):
        return _copy(dst, src)
    _check_inplace_pre(dst, src)
    return _Copy.apply(dst, src, non_blocking)


def _copy(dst: Tensor, src: Tensor) -> Tensor:
    """copy_ without autograd."""
    shape = broadcast_shapes(dst.shape, src.shape)
    if shape != tuple(dst.shape):
        raise RuntimeError(
            f"output with shape {list(dst.shape)} doesn't match the broadcast shape {list(shape)}")
    _check_writable_overlap(dst)
    if dst.numel() == 0:
        return dst
    if src.device != dst.device:
        # Cross-device: make src contiguous in dst's dtype on its own device, move the bytes, then
        # scatter into dst's layout with a same-device kernel if dst is strided.
        staged = src.to(dtype=dst.dtype).expand(dst.shape).contiguous()
        landing = dst if dst.is_contiguous() else Tensor._empty(dst.shape, dst.dtype, dst.device)
        copy_bytes(landing._buf, landing._offset * dst.dtype.itemsize, staged._buf,
                   staged._offset * staged.dtype.itemsize, staged.numel() * staged.dtype.itemsize)
        if landing is not dst:
            _copy(dst, landing)
        dst._version_bump()
        return dst
    src_strides = broadcast_strides(src.shape, src.stride(), dst.shape)
    sizes, (s_st, d_st) = coalesce(dst.shape, src_strides, dst.stride())
    K.copy(src, dst, sizes, s_st, d_st)
    dst._version_bump()
    return dst


def _from_data(data, like: Tensor) -> Tensor:
    from .creation import tensor
    return tensor(data, dtype=like.dtype, device=like.device)


class _Fill(Function):
    """fill_ / zero_: the overwritten values get a zero gradient; a 0-d tensor value the sum."""
    _backward_name = "FillBackward0"

    @staticmethod
    def forward(ctx, dst, value):
        ctx.meta = (_meta(dst), _meta(value) if isinstance(value, Tensor) else None)
        _fill(dst, value.item() if isinstance(value, Tensor) else value)
        ctx.mark_dirty(dst)
        return dst

    @staticmethod
    def backward(ctx, g):
        from .creation import zeros
        (shape, dtype, dev), vmeta = ctx.meta
        gd = zeros(shape, dtype=dtype, device=dev) if ctx.needs_input_grad[0] else None
        gv = g.sum().to(device=vmeta[2], dtype=vmeta[1]) if ctx.needs_input_grad[1] else None
        return gd, gv


class _FillTensor(_Fill):
    _backward_name = "FillBackward1"


class _Zero(_Fill):
    _backward_name = "ZeroBackward0"


def fill_(dst: Tensor, value) -> Tensor:
    if isinstance(value, Tensor) and value.dim() != 0:
        raise RuntimeError(
            f"fill_ only supports 0-dimension value tensor but got tensor with {value.dim()} dimensions.")
    if not _needs_graph(dst, value):
        return _fill(dst, value.item() if isinstance(value, Tensor) else value)
    _check_inplace_pre(dst, value)
    return (_FillTensor if isinstance(value, Tensor) else _Fill).apply(dst, value)


def _fill(dst: Tensor, value) -> Tensor:
    """fill_ with a Python number, without autograd."""
    _check_writable_overlap(dst)
    if dst.numel() == 0:
        return dst
    if dst.dtype is dt.bool_:
        value = _b.bool(value)
    elif dst.dtype.is_floating_point:
        value = _b.float(value)
        if dst.dtype is dt.float64 and _b.float(np.float32(value)) != value:
            # A float kernel argument is fp32 in Triton: stage exact fp64 values through a copy.
            return _copy(dst, host_tensor(np.array(value), dst.device))
    else:
        value = _b.int(value)
        info = np.iinfo(dst.dtype.np)
        if not info.min <= value <= info.max:
            raise RuntimeError(f"value cannot be converted to type {dst.dtype.name} without overflow")
    sizes, (d_st,) = coalesce(dst.shape, dst.stride())
    K.fill(dst, value, sizes, d_st)
    dst._version_bump()
    return dst


def zero_(dst: Tensor) -> Tensor:
    if not _needs_graph(dst):
        return _fill(dst, 0)
    _check_inplace_pre(dst)
    return _Zero.apply(dst, 0)


def host_tensor(arr: np.ndarray, dev: device) -> Tensor:
    """A new contiguous tensor on ``dev`` holding a copy of ``arr`` (dtype kept)."""
    from ..runtime.memory import Buffer
    arr = arr if arr.flags.c_contiguous else arr.copy(order="C")  # (ascontiguousarray makes 0-d 1-d)
    out = Tensor._empty(arr.shape, dt.from_numpy(arr.dtype), dev)
    copy_bytes(out._buf, 0, Buffer.from_numpy(arr), 0, arr.nbytes)
    return out


class _Clone(Function):
    _backward_name = "CloneBackward0"

    @staticmethod
    def forward(ctx, t):
        return _copy(Tensor._empty(t.shape, t.dtype, t.device), t)

    @staticmethod
    def backward(ctx, g):
        return g


def contiguous(t: Tensor, memory_format=None) -> Tensor:
    """t itself when already contiguous, else a contiguous copy (CloneBackward0)."""
    if t.is_contiguous():
        return t
    return _Clone.apply(t)


def clone(t: Tensor, memory_format=None) -> Tensor:
    return _Clone.apply(t)


def numpy(t: Tensor, force: bool = False) -> np.ndarray:
    """A NumPy array sharing memory with a cpu tensor (as torch's .numpy())."""
    if t.device.type != "cpu":
        if not force:
            raise TypeError(
                f"can't convert {t.device} device type tensor to numpy. Use Tensor.cpu() to copy the tensor to host memory first.")
        return numpy(_to(t, t.dtype, as_device("cpu")), force=True)
    if not force and t.requires_grad and _grad_enabled():
        raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
    isz = t.dtype.itemsize
    if t.numel() == 0:
        return np.empty(t.shape, dtype=t.dtype.np)
    return np.ndarray(tuple(t.shape), dtype=t.dtype.np, buffer=t._buf.host_view(), offset=t._offset * isz,
                      strides=tuple(s * isz for s in t.stride()))


def _host_array(t: Tensor) -> np.ndarray:
    """t's values on the host (a view of a cpu tensor), whether or not t requires grad."""
    return numpy(t, force=True)


def item(t: Tensor):
    if t.numel() != 1:
        raise RuntimeError(f"a Tensor with {t.numel()} elements cannot be converted to Scalar")
    return _host_array(t).reshape(-1)[0].item()


def tolist(t: Tensor):
    a = _host_array(t)
    if t.dtype is dt.bfloat16:
        a = a.astype(np.float32)
    return a.tolist()


def to(t: Tensor, *args, **kwargs) -> Tensor:
    """to(device), to(dtype), to(device, dtype), to(other); copy=False returns t when nothing changes."""
    dev, dtype = None, None
    copy = kwargs.pop("copy", False)
    kwargs.pop("non_blocking", None)
    kwargs.pop("memory_format", None)
    for a in args:
        if isinstance(a, Tensor):
            dev, dtype = a.device, a.dtype
        elif isinstance(a, dt.dtype):
            dtype = a
        elif isinstance(a, (str, device)):
            dev = as_device(a)
        elif a is None:
            continue
        else:
            raise TypeError(f"to() received an invalid combination of arguments: {type(a).__name__}")
    if "device" in kwargs:
        dev = as_device(kwargs.pop("device")) if kwargs.get("device") is not None else kwargs.pop("device")
    if "dtype" in kwargs:
        dtype = kwargs.pop("dtype")
    if kwargs:
        raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
    dev = dev or t.device
    dtype = dtype or t.dtype
    if dev == t.device and dtype is t.dtype and not copy:
        return t
    return _ToCopy.apply(t, dtype, dev)


def _to(t: Tensor, dtype, dev) -> Tensor:
    """A copy of t with dtype on dev, without autograd."""
    out = Tensor._empty(t.shape, dtype, dev)
    if dev != t.device and dtype is not t.dtype:
        return _copy(out, _to(t, dtype, t.device))
    return _copy(out, t)


class _ToCopy(Function):
    """A cast and/or move: the gradient is cast and moved back (only float results have one)."""
    _backward_name = "ToCopyBackward0"

    @staticmethod
    def forward(ctx, t, dtype, dev):
        ctx.meta = (t.dtype, t.device)
        return _to(t, dtype, dev)

    @staticmethod
    def backward(ctx, g):
        dtype, dev = ctx.meta
        return g.to(device=dev, dtype=dtype), None, None


def cpu(t: Tensor) -> Tensor:
    return to(t, "cpu")


def cuda(t: Tensor, device=None) -> Tensor:
    idx = 0 if device is None else (device if isinstance(device, int) else as_device(device).index)
    return to(t, f"cuda:{idx}")


def type_as(t: Tensor, other: Tensor) -> Tensor:
    return to(t, dtype=other.dtype)


def _caster(d):
    def cast(t: Tensor, memory_format=None) -> Tensor:
        return to(t, dtype=d)
    return cast


float = _caster(dt.float32)
double = _caster(dt.float64)
half = _caster(dt.float16)
bfloat16 = _caster(dt.bfloat16)
int = _caster(dt.int32)
long = _caster(dt.int64)
short = _caster(dt.int16)
char = _caster(dt.int8)
byte = _caster(dt.uint8)
bool = _caster(dt.bool_)
