"""Views and copies: reshape/view, permute, transpose, t, movedim, expand, squeeze, unsqueeze,
flatten, unflatten, narrow, select, getitem (torch's basic and advanced indexing), clone,
contiguous, to (casts) and copy_. Forwards return new arrays (never NumPy views of the input);
backwards reshape, transpose, sum over expanded dims or scatter-add into zeros."""
from __future__ import annotations

import math

import numpy as np

from ..runtime import dtypes as dt
from ._util import cast, dtype_of, f64, finalize, needs_grad, normalize_dim, shape_arg, unbroadcast

__all__ = ["view", "reshape", "permute", "transpose", "t", "movedim", "expand", "expand_as", "squeeze", "unsqueeze",
           "flatten", "unflatten", "narrow", "select", "getitem", "clone", "contiguous", "to", "copy_"]
__all__ += [n + "_backward" for n in __all__]


def _reshaped(grad_output, x):
    """The gradient of any op that only rearranges x's elements in row-major order."""
    return (f64(grad_output).reshape(np.shape(x)) if needs_grad(x) else None,)


# ----------------------------------------------------------------------------- reshapes
def reshape(t, *shape):
    return np.array(t).reshape(shape_arg(shape))


def reshape_backward(grad_output, t, *shape):
    return _reshaped(grad_output, t)


view, view_backward = reshape, reshape_backward


def squeeze(t, dim=None):
    """Drop size-1 dims (all of them, or those in ``dim``: an int or a sequence)."""
    a = np.array(t)
    if dim is None:
        return a.reshape([s for s in a.shape if s != 1])
    dims = {normalize_dim(d, a.ndim) for d in (dim if isinstance(dim, (tuple, list)) else (dim,))}
    return a.reshape([s for i, s in enumerate(a.shape) if not (i in dims and s == 1)])


def squeeze_backward(grad_output, t, dim=None):
    return _reshaped(grad_output, t)


def unsqueeze(t, dim: int):
    a = np.array(t)
    return np.expand_dims(a, normalize_dim(dim, a.ndim + 1))


def unsqueeze_backward(grad_output, t, dim: int):
    return _reshaped(grad_output, t)


def flatten(t, start_dim: int = 0, end_dim: int = -1):
    a = np.array(t)
    if a.ndim == 0:
        return a.reshape(1)
    s, e = normalize_dim(start_dim, a.ndim), normalize_dim(end_dim, a.ndim)
    return a.reshape(a.shape[:s] + (math.prod(a.shape[s:e + 1]),) + a.shape[e + 1:])


def flatten_backward(grad_output, t, start_dim: int = 0, end_dim: int = -1):
    return _reshaped(grad_output, t)


def unflatten(t, dim: int, sizes):
    a = np.array(t)
    d = normalize_dim(dim, a.ndim)
    return a.reshape(a.shape[:d] + tuple(sizes) + a.shape[d + 1:])


def unflatten_backward(grad_output, t, dim: int, sizes):
    return _reshaped(grad_output, t)


# ----------------------------------------------------------------------------- dim orders
def permute(t, *dims):
    a = np.asarray(t)
    return np.transpose(a, [normalize_dim(d, a.ndim) for d in shape_arg(dims)]).copy()


def permute_backward(grad_output, t, *dims):
    if not needs_grad(t):
        return (None,)
    order = [normalize_dim(d, np.ndim(t)) for d in shape_arg(dims)]
    return (np.transpose(f64(grad_output), np.argsort(order)),)


def transpose(t, dim0: int, dim1: int):
    a = np.asarray(t)
    return np.swapaxes(a, normalize_dim(dim0, a.ndim), normalize_dim(dim1, a.ndim)).copy() if a.ndim else a.copy()


def transpose_backward(grad_output, t, dim0: int, dim1: int):
    if not needs_grad(t):
        return (None,)
    n = np.ndim(t)
    g = f64(grad_output)
    return (np.swapaxes(g, normalize_dim(dim0, n), normalize_dim(dim1, n)) if n else g,)


def t(x):
    """Transpose a 2-D array; 0-D and 1-D come back unchanged."""
    return transpose(x, 0, 1) if np.ndim(x) == 2 else np.array(x)


def t_backward(grad_output, x):
    return transpose_backward(grad_output, x, 0, 1) if np.ndim(x) == 2 else _reshaped(grad_output, x)


def movedim(t, source, destination):
    return np.moveaxis(np.asarray(t), source, destination).copy()


def movedim_backward(grad_output, t, source, destination):
    return (np.moveaxis(f64(grad_output), destination, source) if needs_grad(t) else None,)


# ----------------------------------------------------------------------------- expand
def _expanded_shape(shape, sizes):
    lead = len(sizes) - len(shape)
    return tuple(shape[i - lead] if i >= lead and s == -1 else s for i, s in enumerate(sizes))


def expand(t, *sizes):
    """Broadcast to ``sizes`` (-1 keeps a dim)."""
    a = np.asarray(t)
    return np.broadcast_to(a, _expanded_shape(a.shape, shape_arg(sizes))).copy()


def expand_backward(grad_output, t, *sizes):
    """Sum over the new leading dims and the dims that were 1."""
    return (unbroadcast(grad_output, np.shape(t)) if needs_grad(t) else None,)


def expand_as(t, other):
    return expand(t, np.shape(other))


def expand_as_backward(grad_output, t, other):
    return expand_backward(grad_output, t)[0], None


# ----------------------------------------------------------------------------- slices
def narrow(t, dim: int, start: int, length: int):
    a = np.asarray(t)
    d = normalize_dim(dim, a.ndim)
    s = start % a.shape[d] if start < 0 else start
    return np.take(a, np.arange(s, s + length), axis=d)


def narrow_backward(grad_output, t, dim: int, start: int, length: int):
    if not needs_grad(t):
        return (None,)
    a = np.asarray(t)
    d = normalize_dim(dim, a.ndim)
    s = start % a.shape[d] if start < 0 else start
    out = np.zeros(a.shape)
    out[(slice(None),) * d + (slice(s, s + length),)] = f64(grad_output)
    return (out,)


def select(t, dim: int, index: int):
    a = np.asarray(t)
    return np.take(a, index, axis=normalize_dim(dim, a.ndim)).copy()


def select_backward(grad_output, t, dim: int, index: int):
    if not needs_grad(t):
        return (None,)
    a = np.asarray(t)
    d = normalize_dim(dim, a.ndim)
    out = np.zeros(a.shape)
    out[(slice(None),) * d + (index,)] = f64(grad_output)
    return (out,)


# ----------------------------------------------------------------------------- getitem
def _key(key):
    """Split a torch key into (basic, advanced): ints, slices, None and Ellipsis are applied first
    (``x[0, :, idx]`` is ``x[0][:, idx]`` in torch, unlike NumPy), then the index arrays and
    masks index that view with NumPy's rules (which then agree with torch's). A Python bool is a
    new size-1 dim indexed by the mask [b]; uint8 arrays are masks, 0-d integer arrays ints."""
    parts = list(key) if isinstance(key, tuple) else [key]
    basic, adv = [], []
    for k in parts:
        if isinstance(k, list):
            k = np.asarray(k)
            k = k.astype(np.int64) if k.dtype.kind == "f" else k  # [] is an empty index
        if isinstance(k, np.ndarray):
            if k.dtype == np.uint8:
                k = k.astype(bool)
            if k.ndim == 0:
                k = k.item()
        if isinstance(k, (bool, np.bool_)):
            basic.append(None)
            adv.append(np.array([bool(k)]))
        elif k is None:
            basic.append(None)
            adv.append(slice(None))
        elif k is Ellipsis or isinstance(k, slice):
            basic.append(k)
            adv.append(k)
        elif isinstance(k, np.ndarray):
            basic += [slice(None)] * (k.ndim if k.dtype == np.bool_ else 1)
            adv.append(k)
        else:
            basic.append(int(k))
    if Ellipsis not in basic:
        basic.append(Ellipsis)  # so that indexing every dim still gives a (0-d) view, not a scalar
    has_adv = any(isinstance(k, np.ndarray) for k in adv)
    return tuple(basic), (tuple(adv) if has_adv else None)


def getitem(t, key):
    """t[key] with torch's semantics (see _key); a new array."""
    basic, adv = _key(key)
    v = np.asarray(t)[basic]
    return np.array(v if adv is None else v[adv])


def getitem_backward(grad_output, t, key):
    """Scatter-add the gradient into zeros at the indexed positions (repeated indices add up)."""
    if not needs_grad(t):
        return (None,)
    basic, adv = _key(key)
    out = np.zeros(np.shape(t))
    v = out[basic]  # a NumPy view of out
    if adv is None:
        v += f64(grad_output)
    else:
        np.add.at(v, adv, f64(grad_output))
    return (out,)


# ----------------------------------------------------------------------------- copies and casts
def clone(t, memory_format=None):
    return np.array(t)


def clone_backward(grad_output, t, memory_format=None):
    return _reshaped(grad_output, t)


contiguous, contiguous_backward = clone, clone_backward


def _to_dtype(t, args, kwargs):
    """The dtype a ``to(...)`` call asks for (devices, copy= and the like are ignored)."""
    d = kwargs.get("dtype")
    for a in args:
        if isinstance(a, np.ndarray):
            d = dtype_of(a)
        elif a is not None:
            try:
                d = dt.as_dtype(a)  # a tnn dtype, NumPy dtype or name
            except TypeError:
                pass  # a device
    return dtype_of(t) if d is None else dt.as_dtype(d)


def to(t, *args, **kwargs):
    """A cast: ``to(t, dtype)``, ``to(t, other_array)`` or ``to(t, device, dtype)``."""
    return cast(np.asarray(t), _to_dtype(t, args, kwargs))


def to_backward(grad_output, t, *args, **kwargs):
    """The gradient cast back: to t's shape, float64 (None for integer/bool t)."""
    return _reshaped(grad_output, t)


def copy_(dst, src, non_blocking: bool = False):
    """What dst holds after dst.copy_(src): src broadcast to dst's shape, in dst's dtype."""
    return cast(np.broadcast_to(np.asarray(src), np.shape(dst)), dtype_of(dst))


def copy__backward(grad_output, dst, src, non_blocking: bool = False):
    """dst's old values are overwritten (zero gradient); src gets the gradient summed over the
    broadcast dims."""
    g = f64(grad_output)
    return (np.zeros(np.shape(dst)) if needs_grad(dst) else None), (unbroadcast(g, np.shape(src))
                                                                     if needs_grad(src) else None)

finalize(globals(), __all__)
