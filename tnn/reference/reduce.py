"""Reductions and scans: sum, mean, prod, all/any, amax/amin, max/min, argmax/argmin, var/std,
logsumexp, norm, cumsum, sum_to_size. ``dim`` is None / () for every dim, an int, or (where tnn
takes one) a sequence; a 0-d array reduces over its one element."""
from __future__ import annotations

import builtins as _b
import math

import numpy as np

from ..runtime import dtypes as dt
from ._util import (cast, dtype_of, f64, finalize, needs_grad, normalize_dim, reduce_dims, restore, shape_arg,
                    unbroadcast, vals)

__all__ = ["sum", "mean", "prod", "all", "any", "amax", "amin", "max", "min", "argmax", "argmin", "var", "std",
           "logsumexp", "norm", "cumsum", "sum_to_size"]
__all__ += [n + "_backward" for n in __all__]


def _sum_dtype(x, dtype):
    """torch: integer and bool sums, products and cumsums are int64 unless a dtype is given."""
    if dtype is not None:
        return dt.as_dtype(dtype)
    d = dtype_of(x)
    return d if d.is_floating_point else dt.int64


def _zeros_or_none(x):
    return (np.zeros(np.shape(x)) if needs_grad(x) else None,)


# ----------------------------------------------------------------------------- sum-like
def sum(x, dim=None, keepdim: bool = False, dtype=None):
    d = _sum_dtype(x, dtype)
    return cast(np.sum(vals(x, d), axis=reduce_dims(np.ndim(x), dim), keepdims=keepdim), d)


def sum_backward(grad_output, x, dim=None, keepdim: bool = False, dtype=None):
    if not needs_grad(x):
        return (None,)
    return (restore(grad_output, np.shape(x), reduce_dims(np.ndim(x), dim), keepdim).copy(),)


def mean(x, dim=None, keepdim: bool = False, dtype=None):
    d = dt.as_dtype(dtype) if dtype is not None else dtype_of(x)
    dims = reduce_dims(np.ndim(x), dim)
    n = math.prod(np.shape(x)[i] for i in dims)
    return cast(np.sum(vals(x, d), axis=dims, keepdims=keepdim) / n, d)  # 0 / 0 = nan when empty


def mean_backward(grad_output, x, dim=None, keepdim: bool = False, dtype=None):
    if not needs_grad(x):
        return (None,)
    dims = reduce_dims(np.ndim(x), dim)
    n = math.prod(np.shape(x)[i] for i in dims)
    return (restore(grad_output, np.shape(x), dims, keepdim) / n,)


def prod(x, dim=None, keepdim: bool = False, dtype=None):
    """torch.prod: ``dim`` is one int or None (every element, keepdim ignored)."""
    d = _sum_dtype(x, dtype)
    keepdim = keepdim and dim is not None
    return cast(np.prod(vals(x, d), axis=reduce_dims(np.ndim(x), dim), keepdims=keepdim), d)


def prod_backward(grad_output, x, dim=None, keepdim: bool = False, dtype=None):
    """grad * (product of the other elements), from prefix and suffix products: exact with zeros."""
    if not needs_grad(x):
        return (None,)
    a = f64(x)
    dims = reduce_dims(a.ndim, dim)
    g = restore(grad_output, a.shape, dims, keepdim and dim is not None)
    if not dims or a.size == 0:
        return (np.array(g * (a.size != 0), dtype=np.float64),)
    # Move the reduced dims last and flatten them: rows (M, R).
    kept = [i for i in range(a.ndim) if i not in dims]
    perm = kept + list(dims)
    rows = np.transpose(a, perm).reshape(-1, math.prod(a.shape[i] for i in dims))
    ones = np.ones((rows.shape[0], 1))
    before = np.cumprod(np.concatenate([ones, rows[:, :-1]], axis=1), axis=1)
    after = np.cumprod(np.concatenate([ones, rows[:, :0:-1]], axis=1), axis=1)[:, ::-1]
    others = (before * after).reshape([a.shape[i] for i in perm])
    return (np.transpose(others, np.argsort(perm)) * g,)


def all(x, dim=None, keepdim: bool = False):
    """True where every element is nonzero (NaN counts as nonzero); uint8 for uint8 input."""
    r = dt.uint8 if dtype_of(x) is dt.uint8 else dt.bool_
    return cast(np.all(np.asarray(x) != 0, axis=reduce_dims(np.ndim(x), dim), keepdims=keepdim), r)


def any(x, dim=None, keepdim: bool = False):
    r = dt.uint8 if dtype_of(x) is dt.uint8 else dt.bool_
    return cast(np.any(np.asarray(x) != 0, axis=reduce_dims(np.ndim(x), dim), keepdims=keepdim), r)


def all_backward(grad_output, x, dim=None, keepdim: bool = False):
    return (None,)


any_backward = all_backward


# ----------------------------------------------------------------------------- max-like
def _extreme(x, dim, keepdim, is_max):
    d = dtype_of(x)
    f = np.max if is_max else np.min
    return cast(f(vals(x, d), axis=reduce_dims(np.ndim(x), dim), keepdims=keepdim), d)


def _even_split(grad_output, x, dim, keepdim, is_max, nan=False):
    """The gradient split evenly among the elements equal to the result (torch's amax/amin);
    with ``nan`` (torch's full max()/min()) a NaN result splits it among the NaNs."""
    if not needs_grad(x):
        return (None,)
    a = f64(x)
    dims = reduce_dims(a.ndim, dim)
    res = restore((np.max if is_max else np.min)(a, axis=dims, keepdims=True), a.shape, dims, True)
    mask = (a == res) | (nan & np.isnan(a) & np.isnan(res))
    count = restore(np.sum(mask, axis=dims, keepdims=True), a.shape, dims, True)
    return (np.where(mask, restore(grad_output, a.shape, dims, keepdim) / count, 0.0),)


def amax(x, dim=(), keepdim: bool = False):
    return _extreme(x, dim, keepdim, True)


def amax_backward(grad_output, x, dim=(), keepdim: bool = False):
    return _even_split(grad_output, x, dim, keepdim, True)


def amin(x, dim=(), keepdim: bool = False):
    return _extreme(x, dim, keepdim, False)


def amin_backward(grad_output, x, dim=(), keepdim: bool = False):
    return _even_split(grad_output, x, dim, keepdim, False)


def _arg(x, dim, keepdim, is_max):
    """First index of the max/min (NaN counts as the extreme), as int64."""
    a = vals(x, dtype_of(x))
    f = np.argmax if is_max else np.argmin
    if dim is None:
        i = f(a.reshape(-1))
        return np.full((1,) * a.ndim if keepdim else (), i, np.int64)
    d = normalize_dim(dim, a.ndim)
    if a.ndim == 0:
        return np.zeros((), np.int64)
    return f(a, axis=d, keepdims=keepdim).astype(np.int64)


def argmax(x, dim=None, keepdim: bool = False):
    return _arg(x, dim, keepdim, True)


def argmin(x, dim=None, keepdim: bool = False):
    return _arg(x, dim, keepdim, False)


def argmax_backward(grad_output, x, dim=None, keepdim: bool = False):
    return (None,)


argmin_backward = argmax_backward


def _max_min(x, dim, keepdim, is_max):
    if isinstance(dim, np.ndarray):  # max(x, other) is maximum(x, other)
        from .elementwise import maximum, minimum
        return (maximum if is_max else minimum)(x, dim)
    if dim is None:
        return _extreme(x, None, False, is_max)
    idx = _arg(x, dim, keepdim, is_max)
    a = np.asarray(x)
    if a.ndim == 0:
        return a.copy(), idx
    d = normalize_dim(dim, a.ndim)
    values = np.take_along_axis(a, idx if keepdim else np.expand_dims(idx, d), axis=d)
    return (values if keepdim else np.squeeze(values, d)), idx


def _max_min_backward(grad_output, x, dim, keepdim, is_max):
    if isinstance(dim, np.ndarray):
        from .elementwise import maximum_backward, minimum_backward
        return (maximum_backward if is_max else minimum_backward)(grad_output, x, dim)
    if dim is None:
        return _even_split(grad_output, x, None, False, is_max, nan=True)
    if not needs_grad(x):
        return (None,)
    a = np.asarray(x)
    if a.ndim == 0:
        return (f64(grad_output).reshape(()),)
    d = normalize_dim(dim, a.ndim)
    idx = _arg(x, dim, True, is_max)
    g = f64(grad_output) if keepdim else np.expand_dims(f64(grad_output), d)
    out = np.zeros(a.shape)
    np.put_along_axis(out, idx, g, axis=d)
    return (out,)


def max(x, dim=None, keepdim: bool = False):
    """max(x): the maximum; max(x, dim, keepdim): (values, indices) with the first index of the
    maximum; max(x, other_array): maximum(x, other)."""
    return _max_min(x, dim, keepdim, True)


def max_backward(grad_output, x, dim=None, keepdim: bool = False):
    """max(x): split evenly among ties; max(x, dim): all to the selected index (grad_output is
    the gradient of the values)."""
    return _max_min_backward(grad_output, x, dim, keepdim, True)


def min(x, dim=None, keepdim: bool = False):
    return _max_min(x, dim, keepdim, False)


def min_backward(grad_output, x, dim=None, keepdim: bool = False):
    return _max_min_backward(grad_output, x, dim, keepdim, False)


# ----------------------------------------------------------------------------- statistics
def _correction(dim, unbiased, correction):
    if isinstance(dim, bool):  # var(x, unbiased)
        dim, unbiased = None, dim
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    return dim, correction


def _var64(x, dims, correction):
    """(x - mean) and the variance (dims kept), in float64."""
    a = f64(x)
    n = math.prod(a.shape[i] for i in dims)
    dev = a - np.sum(a, axis=dims, keepdims=True) / n
    return dev, np.sum(dev * dev, axis=dims, keepdims=True) / _b.max(n - correction, 0)


def var(x, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    """sum((x - mean)^2) / max(N - correction, 0); correction defaults to 1."""
    dim, correction = _correction(dim, unbiased, correction)
    d, dims = dtype_of(x), reduce_dims(np.ndim(x), dim)
    v = _var64(vals(x, d), dims, correction)[1]
    return cast(v if keepdim else np.squeeze(v, dims), d)


def var_backward(grad_output, x, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    if not needs_grad(x):
        return (None,)
    dim, correction = _correction(dim, unbiased, correction)
    dims = reduce_dims(np.ndim(x), dim)
    dev, _ = _var64(x, dims, correction)
    n = math.prod(np.shape(x)[i] for i in dims)
    return (restore(grad_output, np.shape(x), dims, keepdim) * 2 * dev / _b.max(n - correction, 0),)


def std(x, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    dim, correction = _correction(dim, unbiased, correction)
    d, dims = dtype_of(x), reduce_dims(np.ndim(x), dim)
    v = np.sqrt(_var64(vals(x, d), dims, correction)[1])
    return cast(v if keepdim else np.squeeze(v, dims), d)


def std_backward(grad_output, x, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    """d std = d var / (2 std)."""
    if not needs_grad(x):
        return (None,)
    dim, correction = _correction(dim, unbiased, correction)
    dims = reduce_dims(np.ndim(x), dim)
    dev, v = _var64(x, dims, correction)
    n = math.prod(np.shape(x)[i] for i in dims)
    g = restore(grad_output, np.shape(x), dims, keepdim)
    return (g * dev / (_b.max(n - correction, 0) * np.sqrt(v)),)


def _lse64(a, dims):
    """log(sum(exp(a))) over dims (kept), max-subtracted (an infinite max shifts by 0)."""
    m = np.max(a, axis=dims, keepdims=True, initial=-np.inf)
    m = np.where(np.isfinite(m), m, 0.0)
    return np.log(np.sum(np.exp(a - m), axis=dims, keepdims=True)) + m


def logsumexp(x, dim=None, keepdim: bool = False):
    """Integer inputs give the default float dtype; an empty reduction gives -inf."""
    d = dtype_of(x)
    d = d if d.is_floating_point else dt.get_default_dtype()
    dims = reduce_dims(np.ndim(x), dim)
    r = _lse64(vals(x, d), dims)
    return cast(r if keepdim else np.squeeze(r, dims), d)


def logsumexp_backward(grad_output, x, dim=None, keepdim: bool = False):
    """grad * softmax(x) over dims."""
    if not needs_grad(x):
        return (None,)
    a = f64(x)
    dims = reduce_dims(a.ndim, dim)
    return (restore(grad_output, a.shape, dims, keepdim) * np.exp(a - _lse64(a, dims)),)


def _p(p):
    return 2.0 if p is None or p == "fro" else float(p)


def norm(x, p="fro", dim=None, keepdim: bool = False, dtype=None):
    """Vector norms over dim: p = 'fro'/2, 1, inf, -inf, 0 (count of nonzeros) or any float."""
    p = _p(p)
    d = dt.as_dtype(dtype) if dtype is not None else dtype_of(x)
    a, dims = np.abs(vals(x, d)), reduce_dims(np.ndim(x), dim)
    if p == math.inf:
        r = np.max(a, axis=dims, keepdims=keepdim)
    elif p == -math.inf:
        r = np.min(a, axis=dims, keepdims=keepdim)
    elif p == 0:
        r = np.sum(a != 0, axis=dims, keepdims=keepdim)
    else:
        r = np.sum(a ** p, axis=dims, keepdims=keepdim) ** (1.0 / p)
    return cast(r, d)


def norm_backward(grad_output, x, p="fro", dim=None, keepdim: bool = False, dtype=None):
    """torch's norm_backward: sign(x)|x|^(p-1) / norm^(p-1) (0 where the norm is 0); inf norms
    split the gradient evenly among the elements of maximal |x|; p = 0 has a zero gradient."""
    if not needs_grad(x):
        return (None,)
    p, a = _p(p), f64(x)
    dims = reduce_dims(a.ndim, dim)
    g = restore(grad_output, a.shape, dims, keepdim)
    nrm = restore(norm(a, p, dims, True), a.shape, dims, True)
    if p == 0:
        return (np.zeros(a.shape),)
    if p == 1:
        return (np.sign(a) * g,)
    if math.isinf(p):
        mask = (np.abs(a) == nrm) | np.isnan(a)
        count = restore(np.sum(mask, axis=dims, keepdims=True), a.shape, dims, True)
        return (np.sign(a) * np.where(mask, g / count, 0.0),)
    if p < 1:
        scaled = np.where(a == 0, 0.0, np.sign(a) * np.abs(a) ** (p - 1))
        return (scaled * g * nrm ** (1 - p),)
    scale = np.where(nrm == 0, 0.0, g / nrm ** (p - 1))
    return (np.sign(a) * np.abs(a) ** (p - 1) * scale,)


# ----------------------------------------------------------------------------- scans
def cumsum(x, dim, dtype=None):
    d = _sum_dtype(x, dtype)
    a = vals(x, d)
    return cast(a.copy() if a.ndim == 0 else np.cumsum(a, axis=normalize_dim(dim, a.ndim)), d)


def cumsum_backward(grad_output, x, dim, dtype=None):
    """The reversed cumulative sum of the gradient."""
    if not needs_grad(x):
        return (None,)
    g = f64(grad_output)
    if g.ndim == 0:
        return (g.copy(),)
    d = normalize_dim(dim, g.ndim)
    return (np.flip(np.cumsum(np.flip(g, d), axis=d), d),)


def sum_to_size(x, *size):
    """Sum x down to ``size`` (which x must be expandable from); x's dtype when the shapes
    already match, else sum's dtype."""
    size = shape_arg(size)
    d = dtype_of(x) if np.shape(x) == size else _sum_dtype(x, None)
    return cast(unbroadcast(vals(x, d), size), d)


def sum_to_size_backward(grad_output, x, *size):
    return (np.broadcast_to(f64(grad_output), np.shape(x)).copy() if needs_grad(x) else None,)

finalize(globals(), __all__)
