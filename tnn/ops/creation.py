"""Creation: tensor/from_numpy/as_tensor, empty/zeros/ones/full/arange/linspace/eye and *_like."""
from __future__ import annotations

import math

import numpy as np

from ..kernels import creation as K
from ..runtime import dtypes as dt
from ..runtime.device import as_device
from ..runtime.memory import Buffer
from ..tensor import Tensor
from ..shape import contiguous_strides
from .copying import copy_, fill_, host_tensor
from .views import _shape_arg


def _to_numpy_data(data):
    """Nested lists/tuples of numbers (or of tensors), NumPy arrays and scalars -> ndarray, and
    whether Python floats decided its float dtype (then the default dtype applies, as in torch)."""
    if isinstance(data, Tensor):
        return data.detach().cpu().numpy(), False
    if isinstance(data, np.ndarray):
        return data, False
    if isinstance(data, np.generic):
        return np.asarray(data), False
    if isinstance(data, (list, tuple)) and any(isinstance(x, Tensor) for x in _flat(data)):
        data = _map_nested(data, lambda x: x.item() if isinstance(x, Tensor) else x)
    try:
        arr = np.asarray(data)
    except ValueError as e:
        raise ValueError(f"expected sequence of equal-length lists: {e}") from None
    if arr.dtype == object:
        raise TypeError(f"Could not infer dtype of {type(_first(data)).__name__}")
    if arr.dtype.kind in "US":
        raise TypeError("new(): invalid data type 'str'")
    return arr, True


def _flat(seq):
    for x in seq:
        if isinstance(x, (list, tuple)):
            yield from _flat(x)
        else:
            yield x


def _first(seq):
    for x in _flat(seq if isinstance(seq, (list, tuple)) else [seq]):
        return x


def _map_nested(seq, f):
    return [(_map_nested(x, f) if isinstance(x, (list, tuple)) else f(x)) for x in seq]


def tensor(data, dtype=None, device=None, requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """A new tensor copying ``data``. dtype inference as torch: Python floats -> default dtype,
    ints -> int64, bools -> bool; NumPy arrays keep their dtype."""
    arr, from_python = _to_numpy_data(data)
    if dtype is None:
        if arr.dtype.kind == "f" and from_python:
            target = dt.get_default_dtype()
        elif arr.dtype.kind in "iu" and from_python:
            target = dt.int64
        elif arr.dtype.kind == "c":
            raise TypeError("complex tensors are not supported by tnn")
        else:
            target = dt.from_numpy(arr.dtype)
    else:
        target = dt.as_dtype(dtype)
    arr = arr if arr.flags.c_contiguous else arr.copy(order="C")  # (ascontiguousarray makes 0-d 1-d)
    if arr.dtype != target.np:
        arr = arr.astype(target.np) if target is not dt.bool_ else arr != 0
    out = host_tensor(arr, as_device(device))
    if requires_grad:
        out.requires_grad_(True)
    return out


def as_tensor(data, dtype=None, device=None) -> Tensor:
    if isinstance(data, Tensor):
        return data.to(device=as_device(device) if device is not None else data.device, dtype=dtype or data.dtype)
    if isinstance(data, np.ndarray) and (device is None or as_device(device).type == "cpu") and (
            dtype is None or dt.as_dtype(dtype).np == data.dtype):
        return from_numpy(data)
    return tensor(data, dtype=dtype, device=device)


def from_numpy(arr: np.ndarray) -> Tensor:
    """A cpu tensor sharing memory with ``arr`` (torch.from_numpy)."""
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(arr).__name__})")
    d = dt.from_numpy(arr.dtype)
    isz = arr.itemsize
    if any(s % isz for s in arr.strides) or any(s < 0 for s in arr.strides):
        raise ValueError(
            "At least one stride in the given numpy array is negative or not a multiple of the element size. "
            "This is currently not supported; use array.copy() first.")
    # The buffer spans from the array's first byte; strides address within it.
    base = arr
    span = isz + sum((n - 1) * s for n, s in zip(arr.shape, arr.strides)) if arr.size else 0
    buf = Buffer(arr.ctypes.data, span, as_device("cpu"), base)
    return Tensor(buf, arr.shape, tuple(s // isz for s in arr.strides), 0, d)


def _rebuild(arr, device, requires_grad):
    return tensor(arr, dtype=dt.from_numpy(arr.dtype), device=device, requires_grad=requires_grad)


def _new(shape, dtype, device, requires_grad):
    d = dt.as_dtype(dtype) if dtype is not None else dt.get_default_dtype()
    shape = _shape_arg(shape)
    if any(s < 0 for s in shape):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(shape)}: {list(shape)}")
    out = Tensor._empty(shape, d, as_device(device))
    if requires_grad:
        out.requires_grad_(True)
    return out


def empty(*size, dtype=None, device=None, requires_grad=False, **_):
    return _new(size, dtype, device, requires_grad)


def zeros(*size, dtype=None, device=None, requires_grad=False, **_):
    return fill_(_new(size, dtype, device, False), 0).requires_grad_(requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False, **_):
    return fill_(_new(size, dtype, device, False), 1).requires_grad_(requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad=False, **_):
    if dtype is None:
        dtype = (dt.bool_ if isinstance(fill_value, bool) else dt.int64 if isinstance(fill_value, int)
                 else dt.get_default_dtype())
    return fill_(_new(size, dtype, device, False), fill_value).requires_grad_(requires_grad)


def _like(fn):
    def like(t: Tensor, *args, dtype=None, device=None, requires_grad=False, **kw):
        return fn(tuple(t.shape), *args, dtype=dtype or t.dtype, device=device or t.device,
                  requires_grad=requires_grad)
    return like


empty_like = _like(lambda s, **k: empty(s, **k))
zeros_like = _like(lambda s, **k: zeros(s, **k))
ones_like = _like(lambda s, **k: ones(s, **k))
full_like = _like(full)


def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    start, end, step = vals
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) / step < 0 and end != start:
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    if dtype is None:
        dtype = dt.int64 if all(isinstance(v, int) for v in vals) else dt.get_default_dtype()
    n = max(0, math.ceil((end - start) / step))
    out = _new((n,), dtype, device, False)
    K.ramp(out, start, step)
    return out.requires_grad_(requires_grad)


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False):
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    out = _new((steps,), dtype, device, False)
    step = (end - start) / (steps - 1) if steps > 1 else 0.0
    K.ramp(out, start, step, end, symmetric=steps > 1)
    return out.requires_grad_(requires_grad)


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False):
    m = n if m is None else m
    out = zeros(n, m, dtype=dtype, device=device)
    k = min(n, m)
    if k:
        diag = out._view((k,), (m + 1,), 0)
        fill_(diag, 1)
    return out.requires_grad_(requires_grad)
