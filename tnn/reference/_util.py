"""Shared helpers of the reference: dtypes of NumPy operands, torch's promotion, the value an
operand has once cast to a dtype, and the shape bookkeeping of gradients (un-broadcasting,
restoring reduced dims)."""
from __future__ import annotations

import functools
import numbers

import numpy as np

from ..runtime import dtypes as dt


def _as_arrays(out):
    """Forward results: fresh ndarrays (NumPy hands back scalars for 0-d results), tuples kept."""
    if isinstance(out, tuple):
        return tuple(_as_arrays(o) for o in out)
    return np.array(out)


def _as_grads(grads):
    """Backward results: a tuple of fresh float64 ndarrays (or None)."""
    return tuple(None if g is None else np.array(g, dtype=np.float64) for g in grads)


def finalize(namespace: dict, names) -> None:
    """Wrap a module's public ops: compute inf/nan as torch does, without NumPy's floating-point
    warnings, and return ndarrays (forwards) or tuples of float64 ndarrays (``*_backward``)."""
    for name in names:
        fn = namespace[name]
        post = _as_grads if name.endswith("_backward") else _as_arrays

        def wrapper(*args, _fn=fn, _post=post, **kwargs):
            with np.errstate(all="ignore"):
                return _post(_fn(*args, **kwargs))
        namespace[name] = functools.wraps(fn)(wrapper)


class _Meta:
    """What tnn.runtime.dtypes.result_type needs from a tensor: a tnn dtype and a shape."""

    __slots__ = ("dtype", "shape")

    def __init__(self, dtype, shape):
        self.dtype, self.shape = dtype, shape


def scalar(x):
    """NumPy scalars become Python scalars (as tnn's ops take them); arrays and Python scalars stay."""
    if isinstance(x, np.generic):
        return x.item()
    return x


def is_array(x) -> bool:
    return isinstance(x, np.ndarray)


def dtype_of(x):
    """The tnn dtype an operand stands for (a Python float stands for the default dtype)."""
    x = scalar(x)
    if is_array(x):
        return dt.from_numpy(x.dtype)
    if isinstance(x, bool):
        return dt.bool_
    if isinstance(x, numbers.Integral):
        return dt.int64
    return dt.get_default_dtype()


def result_type(*operands):
    """torch.result_type over NumPy arrays (tensors) and Python scalars; None operands are skipped."""
    ops = []
    for x in operands:
        x = scalar(x)
        if x is None:
            continue
        ops.append(_Meta(dt.from_numpy(x.dtype), x.shape) if is_array(x) else x)
    return dt.result_type(*ops)


def compute_np(d):
    """The NumPy dtype the reference computes a result of tnn dtype d in: float64 for floats,
    int64 for integers and bool (exact, and wrapping like the device on the final cast)."""
    return np.float64 if d.is_floating_point else np.int64


def vals(x, d):
    """The values of operand x once cast to tnn dtype d (as torch casts operands to the common
    dtype), widened to the compute dtype. Python scalars are cast to the dtype kernels compute d
    in (float32 for float16/bfloat16), as tnn and torch pass them as kernel scalars."""
    x = scalar(x)
    if is_array(x):
        a = x if x.dtype == d.np else x.astype(d.np)
    else:
        sd = dt.float32 if d in (dt.float16, dt.bfloat16) else d
        a = np.asarray(x).astype(sd.np)
    return a.astype(compute_np(d))


def f64(x):
    """x as a float64 array (gradients and float formulas)."""
    return np.asarray(scalar(x)).astype(np.float64)


def cast(x, d):
    """The result array in tnn dtype d (always an ndarray, 0-d included)."""
    x = np.asarray(x)
    if d is dt.bool_:
        return x != 0 if x.dtype != np.bool_ else x.copy()
    return x.astype(d.np)


def needs_grad(x) -> bool:
    """Only floating-point arrays get gradients; integer/bool arrays and scalars get None."""
    x = scalar(x)
    return is_array(x) and dt.from_numpy(x.dtype).is_floating_point


def unbroadcast(g, shape):
    """Sum g down to ``shape`` (which g's shape was broadcast from): the VJP of broadcasting."""
    g = np.asarray(g, dtype=np.float64)
    shape = tuple(shape)
    lead = g.ndim - len(shape)
    if lead:
        g = g.sum(axis=tuple(range(lead)))
    axes = tuple(i for i, s in enumerate(shape) if s == 1 and g.shape[i] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g.reshape(shape)


def grad_for(x, g):
    """The gradient entry for operand x: g summed to x's shape for float arrays, else None."""
    return unbroadcast(g, np.shape(x)) if needs_grad(x) else None


def normalize_dim(d: int, ndim: int) -> int:
    n = max(ndim, 1)
    if not -n <= d < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {d})")
    return d % n


def reduce_dims(ndim: int, dim) -> tuple:
    """tnn's reduced dims: None or () mean every dim; an int or a sequence of ints otherwise; a 0-d
    array accepts dim 0 / -1 and reduces over its one element (no axis)."""
    if dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0):
        return tuple(range(ndim))
    ds = dim if isinstance(dim, (tuple, list)) else (dim,)
    out = tuple(sorted({normalize_dim(int(d), ndim) for d in ds}))
    return out if ndim else ()


def restore(g, shape, dims, keepdim):
    """A reduced gradient broadcast back to the input's shape (dims re-inserted unless keepdim)."""
    g = np.asarray(g, dtype=np.float64)
    if not keepdim and dims:
        g = np.expand_dims(g, dims)
    return np.broadcast_to(g, shape)


def shape_arg(args) -> tuple:
    """``f(x, 2, 3)`` and ``f(x, (2, 3))`` both mean shape (2, 3)."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(int(s) for s in args[0])
    return tuple(int(s) for s in args)
