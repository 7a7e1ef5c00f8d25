"""Copies, conversions and host transfer: contiguous, clone, copy_, to, numpy, item, fill_."""
from __future__ import annotations

import builtins as _b

import numpy as np

from ..kernels import copy as K
from ..runtime import dtypes as dt
from ..runtime.device import as_device, device
from ..runtime.memory import copy_bytes
from ..tensor import Tensor
from ..shape import broadcast_shapes, broadcast_strides, coalesce



def _check_writable_overlap(dst: Tensor):
    # An expanded destination (stride 0 over a dim of size > 1) would make writes race.
    for s, st in zip(dst.shape, dst.stride()):
        if st == 0 and s > 1:
            raise RuntimeError(
                "unsupported operation: more than one element of the written-to tensor refers to a single "
                "memory location. Please clone() the tensor before performing the operation.")


def copy_(dst: Tensor, src, non_blocking: bool = False) -> Tensor:
    """dst[...] = src, broadcasting src, converting dtype, across devices."""
    if not isinstance(src, Tensor):
        return fill_(dst, src) if np.ndim(src) == 0 else copy_(dst, _from_data(src, dst))
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
            copy_(dst, landing)
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


def fill_(dst: Tensor, value) -> Tensor:
    if isinstance(value, Tensor):
        if value.dim() != 0:
            raise RuntimeError(
                f"fill_ only supports 0-dimension value tensor but got tensor with {value.dim()} dimensions.")
        value = value.item()
    _check_writable_overlap(dst)
    if dst.numel() == 0:
        return dst
    if dst.dtype is dt.bool_:
        value = _b.bool(value)
    elif dst.dtype.is_floating_point:
        value = _b.float(value)
        if dst.dtype is dt.float64 and _b.float(np.float32(value)) != value:
            # A float kernel argument is fp32 in Triton: stage exact fp64 values through a copy.
            return copy_(dst, host_tensor(np.array(value), dst.device))
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
    return fill_(dst, 0)


def host_tensor(arr: np.ndarray, dev: device) -> Tensor:
    """A new contiguous tensor on ``dev`` holding a copy of ``arr`` (dtype kept)."""
    from ..runtime.memory import Buffer
    arr = arr if arr.flags.c_contiguous else arr.copy(order="C")  # (ascontiguousarray makes 0-d 1-d)
    out = Tensor._empty(arr.shape, dt.from_numpy(arr.dtype), dev)
    copy_bytes(out._buf, 0, Buffer.from_numpy(arr), 0, arr.nbytes)
    return out


def contiguous(t: Tensor, memory_format=None) -> Tensor:
    if t.is_contiguous():
        return t
    out = Tensor._empty(t.shape, t.dtype, t.device)
    copy_(out, t)
    return out


def clone(t: Tensor, memory_format=None) -> Tensor:
    out = Tensor._empty(t.shape, t.dtype, t.device)
    return copy_(out, t)


def numpy(t: Tensor, force: bool = False) -> np.ndarray:
    """A NumPy array sharing memory with a cpu tensor (as torch's .numpy())."""
    if t.device.type != "cpu":
        if not force:
            raise TypeError(
                f"can't convert {t.device} device type tensor to numpy. Use Tensor.cpu() to copy the tensor to host memory first.")
        return numpy(cpu(t))
    if t.requires_grad and not force:
        raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
    isz = t.dtype.itemsize
    if t.numel() == 0:
        return np.empty(t.shape, dtype=t.dtype.np)
    return np.ndarray(tuple(t.shape), dtype=t.dtype.np, buffer=t._buf.host_view(), offset=t._offset * isz,
                      strides=tuple(s * isz for s in t.stride()))


def _host_array(t: Tensor) -> np.ndarray:
    return numpy(t if t.device.type == "cpu" else cpu(t), force=True)


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
    out = Tensor._empty(t.shape, dtype, dev)
    if dev != t.device and dtype is not t.dtype:
        return copy_(out, to(t, dtype=dtype))
    return copy_(out, t)


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
