"""Indexing with index arrays: index_select, gather, scatter / scatter_add, masked_fill,
masked_select, repeat, cat and stack. 0-d arrays index like 1-element 1-D ones (as torch)."""
from __future__ import annotations

import numpy as np

from ._util import (cast, f64, finalize, grad_for, needs_grad, normalize_dim, result_type, shape_arg, unbroadcast,
                    vals)

__all__ = ["index_select", "gather", "scatter", "scatter_add", "masked_fill", "masked_select", "repeat", "cat",
           "stack"]
__all__ += [n + "_backward" for n in __all__]


def _nd(a):
    a = np.asarray(a)
    return a.reshape(1) if a.ndim == 0 else a


def _coords(index, dim):
    """The full coordinate tuple that gather/scatter address: index's own position in every dim
    but ``dim``, where the index value is used."""
    idx = _nd(index).astype(np.int64)
    grid = list(np.indices(idx.shape, sparse=True))
    grid[dim] = idx
    return tuple(grid)


# ----------------------------------------------------------------------------- index_select
def index_select(t, dim: int, index):
    a = np.asarray(t)
    out = np.take(_nd(a), _nd(index).astype(np.int64), axis=normalize_dim(dim, a.ndim))
    return out.reshape(()) if a.ndim == 0 and out.size == 1 else out


def index_select_backward(grad_output, t, dim: int, index):
    if not needs_grad(t):
        return None, None
    a = _nd(t)
    d = normalize_dim(dim, a.ndim)
    out = np.zeros(a.shape)
    g = f64(grad_output).reshape(a.shape[:d] + (-1,) + a.shape[d + 1:])
    np.add.at(out, (slice(None),) * d + (_nd(index).astype(np.int64),), g)
    return out.reshape(np.shape(t)), None


# ----------------------------------------------------------------------------- gather / scatter
def gather(t, dim: int, index, *, sparse_grad: bool = False):
    """out[i][j][k] = t[index[i][j][k]][j][k] (dim 0), and so on."""
    a = np.asarray(t)
    return _nd(a)[_coords(index, normalize_dim(dim, a.ndim))].reshape(np.shape(index))


def gather_backward(grad_output, t, dim: int, index, *, sparse_grad: bool = False):
    if not needs_grad(t):
        return None, None
    out = np.zeros(_nd(t).shape)
    np.add.at(out, _coords(index, normalize_dim(dim, np.ndim(t))), _nd(f64(grad_output)))
    return out.reshape(np.shape(t)), None


def _src_part(src, index):
    """The leading index.shape block of src (scatter reads only that part)."""
    s = _nd(src)
    return s[tuple(slice(0, n) for n in _nd(index).shape)]


def scatter(t, dim: int, index, src=None, value=None, *, reduce=None):
    """A copy of t with out[index[i][j]][j] = src[i][j] (dim 0), and so on (a scalar ``src`` or
    ``value`` fills); ``reduce`` 'add' / 'multiply' combines with what is there. With repeated
    indices and no reduce the last write wins."""
    a = np.asarray(t)
    if src is None or not isinstance(src, np.ndarray):
        src, value = None, (value if src is None else src)
    d = normalize_dim(dim, a.ndim)
    out = _nd(a).copy()
    s = np.broadcast_to(np.asarray(value, dtype=a.dtype), _nd(index).shape) if src is None else _src_part(src, index)
    coords = _coords(index, d)
    if reduce is None:
        out[coords] = s
    elif reduce == "add":
        np.add.at(out, coords, s.astype(a.dtype))
    elif reduce == "multiply":
        np.multiply.at(out, coords, s.astype(a.dtype))
    else:
        raise RuntimeError("reduce argument must be either add or multiply.")
    return out.reshape(a.shape)


def scatter_backward(grad_output, t, dim: int, index, src=None, value=None, *, reduce=None):
    """t gets the gradient except where it was overwritten (kept everywhere with reduce='add');
    src gets the gradient gathered from the positions it was written to."""
    if reduce == "multiply":
        raise NotImplementedError("the gradient of scatter with reduce='multiply' is not implemented (as torch)")
    g = _nd(f64(grad_output))
    d = normalize_dim(dim, np.ndim(t))
    coords = _coords(index, d)
    gt = None
    if needs_grad(t):
        gt = g.copy()
        if reduce is None:
            gt[coords] = 0.0
        gt = gt.reshape(np.shape(t))
    gs = None
    if isinstance(src, np.ndarray) and needs_grad(src):
        gs = np.zeros(_nd(src).shape)
        gs[tuple(slice(0, n) for n in _nd(index).shape)] = g[coords]
        gs = gs.reshape(np.shape(src))
    return gt, None, gs


def scatter_add(t, dim: int, index, src):
    return scatter(t, dim, index, src, reduce="add")


def scatter_add_backward(grad_output, t, dim: int, index, src):
    return scatter_backward(grad_output, t, dim, index, src, reduce="add")


# ----------------------------------------------------------------------------- masks
def masked_fill(t, mask, value):
    """t (broadcast with mask) with value where mask is True; value a scalar or 0-d array."""
    a = np.asarray(t)
    return np.where(np.asarray(mask, bool), np.asarray(value).astype(a.dtype), a)


def masked_fill_backward(grad_output, t, mask, value):
    """t: the gradient where mask is False; a 0-d float value array: the sum where it is True."""
    g, m = f64(grad_output), np.asarray(mask, bool)
    return grad_for(t, np.where(m, 0.0, g)), None, grad_for(value, np.where(m, g, 0.0))


def masked_select(t, mask):
    a, m = np.broadcast_arrays(np.asarray(t), np.asarray(mask, bool))
    return a[m].copy()


def masked_select_backward(grad_output, t, mask):
    if not needs_grad(t):
        return None, None
    m = np.broadcast_to(np.asarray(mask, bool), np.broadcast_shapes(np.shape(t), np.shape(mask)))
    out = np.zeros(m.shape)
    out[m] = f64(grad_output)
    return unbroadcast(out, np.shape(t)), None


# ----------------------------------------------------------------------------- repeat / cat / stack
def repeat(t, *sizes):
    sizes = shape_arg(sizes)
    a = np.asarray(t)
    return np.tile(a.reshape((1,) * (len(sizes) - a.ndim) + a.shape), sizes)


def repeat_backward(grad_output, t, *sizes):
    """Each copy's gradient, summed: view the gradient as (r0, s0, r1, s1, ...) and sum the r's."""
    if not needs_grad(t):
        return (None,)
    sizes = shape_arg(sizes)
    shape = (1,) * (len(sizes) - np.ndim(t)) + np.shape(t)
    g = f64(grad_output).reshape([n for r, s in zip(sizes, shape) for n in (r, s)])
    return (g.sum(axis=tuple(range(0, 2 * len(sizes), 2))).reshape(np.shape(t)),)


def _used(tensors):
    """cat skips legacy empty 1-D (0,) arrays."""
    return [x for x in tensors if not (np.ndim(x) == 1 and np.shape(x)[0] == 0)]


def cat(tensors, dim: int = 0):
    """Concatenate along dim with torch's type promotion."""
    d = result_type(*tensors)
    used = _used(tensors) or list(tensors[:1])
    axis = normalize_dim(dim, np.ndim(used[0]))
    return cast(np.concatenate([vals(x, d) for x in used], axis=axis), d)


def cat_backward(grad_output, tensors, dim: int = 0):
    """One gradient per array in ``tensors``: its slice of grad_output (None for integer ones)."""
    g = f64(grad_output)
    used = _used(tensors) or list(tensors[:1])
    axis = normalize_dim(dim, np.ndim(used[0]))
    grads, start = [], 0
    for x in tensors:
        if np.ndim(x) == 1 and np.shape(x)[0] == 0 and g.ndim != 1:
            grads.append(np.zeros((0,)) if needs_grad(x) else None)
            continue
        n = np.shape(x)[axis]
        piece = np.take(g, np.arange(start, start + n), axis=axis)
        start += n
        grads.append(piece if needs_grad(x) else None)
    return tuple(grads)


def stack(tensors, dim: int = 0):
    d = result_type(*tensors)
    axis = normalize_dim(dim, np.ndim(tensors[0]) + 1)
    return cast(np.stack([vals(x, d) for x in tensors], axis=axis), d)


def stack_backward(grad_output, tensors, dim: int = 0):
    """One gradient per array in ``tensors``: its slice along the new dim."""
    g = f64(grad_output)
    axis = normalize_dim(dim, np.ndim(tensors[0]) + 1)
    return tuple(np.take(g, i, axis=axis) if needs_grad(x) else None for i, x in enumerate(tensors))

finalize(globals(), __all__)
