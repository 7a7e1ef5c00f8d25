"""Reductions: sum, mean, prod, amax/amin, max/min (with indices), argmax/argmin, var/std,
logsumexp, norm, all/any, and cumsum -- torch's signatures, dtype rules and error texts.

Every reduction becomes an (M kept rows, R reduced) problem for tnn/kernels/reduce.py: the
reduced dims are permuted to the end; when they collapse to one (R, stride) the kernel reads the
input in place (kept dims may be any strided layout), otherwise an explicit contiguous copy of
the permuted view is made first. Empty reductions are filled here (sum 0, prod 1, mean nan ...);
max-like reductions of an empty dim raise as torch does."""
from __future__ import annotations

import builtins as _b
import math
from collections import namedtuple

from ..kernels import reduce as K
from ..runtime import dtypes as dt
from ..shape import coalesce, contiguous_strides, normalize_dim, numel
from ..tensor import Tensor

__all__ = ["sum", "sum_to_size", "mean", "prod", "amax", "amin", "max", "min", "argmax", "argmin", "var", "std", "logsumexp",
           "norm", "all", "any", "cumsum"]

# torch.return_types.max / .min: a named (values, indices) pair.
max_result = namedtuple("max", ["values", "indices"])
min_result = namedtuple("min", ["values", "indices"])

_TORCH_NAMES = {dt.bool_: "Bool", dt.uint8: "Byte", dt.int8: "Char", dt.int16: "Short", dt.int32: "Int",
                dt.int64: "Long", dt.float16: "Half", dt.bfloat16: "BFloat16", dt.float32: "Float",
                dt.float64: "Double"}


# ------------------------------------------------------------------------------ planning
def _check_tensor(x, name):
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(x).__name__}")


def _dims(x: Tensor, dim) -> tuple:
    """Normalised reduced dims, sorted. None or an empty tuple/list means every dim; a 0-d
    tensor accepts dim 0 / -1 and reduces over its one element."""
    nd = x.dim()
    if dim is None:
        return tuple(range(nd))
    if isinstance(dim, (list, tuple)):
        if len(dim) == 0:
            return tuple(range(nd))
        seen = []
        for d in dim:
            n = normalize_dim(d, nd)
            if n in seen:
                raise RuntimeError(f"dim {n} appears multiple times in the list of dims")
            seen.append(n)
        return tuple(sorted(seen)) if nd else ()
    if isinstance(dim, bool) or not isinstance(dim, int):
        if hasattr(dim, "__index__") and not isinstance(dim, bool):
            dim = int(dim.__index__())
        else:
            raise TypeError(f"dim must be an int, a tuple of ints or None, got {type(dim).__name__}")
    n = normalize_dim(dim, nd)
    return (n,) if nd else ()


class _Plan:
    """The (M, R) problem of reducing ``dims`` of ``x``: the tensor the kernel reads (x itself or
    a contiguous copy of its permuted view), kept-dim sizes/strides (coalesced), the reduced
    stride, and the output shapes with and without keepdim."""

    def __init__(self, x: Tensor, dims: tuple):
        nd = x.dim()
        kept = [d for d in range(nd) if d not in dims]
        self.kept_shape = tuple(x.shape[d] for d in kept)
        self.keep_shape = tuple(1 if d in dims else x.shape[d] for d in range(nd))
        rshape = [x.shape[d] for d in dims]
        self.M, self.R = numel(self.kept_shape), numel(rshape)
        self.x = x
        if self.M == 0 or self.R == 0:
            return
        rs, (rst,) = coalesce(rshape, [x.stride(d) for d in dims])
        if len(rs) > 1:
            # The reduced dims do not collapse to one stride: copy them to the end, contiguous.
            x = x.permute(*kept, *dims).contiguous()
            kept_strides, self.stride_r = x.stride()[:len(kept)], 1
        else:
            kept_strides, self.stride_r = tuple(x.stride(d) for d in kept), rst[0]
        self.x = x
        self.m_sizes, (self.m_strides,) = coalesce(self.kept_shape, kept_strides)
        self.column = self.M > 1 and self.m_strides[-1] == 1 and self.stride_r != 1

    def args(self):
        return (self.M, self.R, self.m_sizes, self.m_strides, self.stride_r)

    def output(self, dtype, device, keepdim):
        """(the (M,) kernel output, the tensor to return: the same memory, shaped)."""
        out = Tensor._empty(self.kept_shape, dtype, device)
        if keepdim:
            return out, out._view(self.keep_shape, contiguous_strides(self.keep_shape))
        return out, out


def _dtype_arg(dtype):
    return None if dtype is None else dt.as_dtype(dtype)


def _fill(t: Tensor, value):
    from .copying import fill_
    if t.numel():
        fill_(t, value)
    return t


def _reduce(x, dim, keepdim, out_dtype, empty_value, **kw):
    """A _reduce_kernel reduction of ``x`` over ``dim`` into a new ``out_dtype`` tensor;
    ``empty_value`` fills it when the reduced length is 0."""
    plan = _Plan(x, _dims(x, dim))
    out, res = plan.output(out_dtype, x.device, keepdim)
    if plan.M == 0:
        return res
    if plan.R == 0:
        _fill(out, empty_value)
        return res
    K.reduce(plan.x, out, *plan.args(), column=plan.column, **kw)
    return res


def _sum_dtype(x: Tensor, dtype):
    """torch: integral and bool sums/products/cumsums are int64 unless a dtype is given."""
    if dtype is not None:
        return dt.as_dtype(dtype)
    return x.dtype if x.dtype.is_floating_point else dt.int64


def _check_nonempty(name, x, dims, dim_given):
    if x.numel() != 0:
        return
    if not dim_given:
        raise RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0. "
                           "Specify the reduction dim with the 'dim' argument.")
    for d in dims:
        if x.shape[d] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")


# ------------------------------------------------------------------------------ sum-like
def sum(x: Tensor, dim=None, keepdim: bool = False, dtype=None) -> Tensor:
    """torch.sum: integers and bool sum to int64; fp16/bf16 accumulate in fp32."""
    _check_tensor(x, "sum")
    return _reduce(x, dim, keepdim, _sum_dtype(x, dtype), 0, op=K.OP_SUM)


def mean(x: Tensor, dim=None, keepdim: bool = False, dtype=None) -> Tensor:
    _check_tensor(x, "mean")
    dtype = _dtype_arg(dtype)
    if dtype is None and not x.dtype.is_floating_point:
        raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either a floating point or "
                           f"complex dtype. Got: {_TORCH_NAMES[x.dtype]}")
    if dtype is not None and not dtype.is_floating_point:
        raise RuntimeError("mean(): could not infer output dtype. Optional dtype must be either a floating point "
                           f"or complex dtype. Got: {_TORCH_NAMES[dtype]}")
    return _reduce(x, dim, keepdim, dtype or x.dtype, math.nan, op=K.OP_SUM, post=K.POST_MEAN)


def prod(x: Tensor, dim=None, keepdim: bool = False, dtype=None) -> Tensor:
    """torch.prod: ``dim`` is one int (or None for every element)."""
    _check_tensor(x, "prod")
    if isinstance(dim, (list, tuple)):
        raise TypeError("prod() received an invalid combination of arguments - got (dim=tuple), "
                        "but expected (int dim, bool keepdim, *, dtype)")
    if dim is None and keepdim:
        keepdim = False
    return _reduce(x, dim, keepdim, _sum_dtype(x, dtype), 1, op=K.OP_PROD)


def all(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """torch.all: True where every element is nonzero (NaN counts as nonzero). bool result
    (uint8 for uint8 input, as torch)."""
    _check_tensor(x, "all")
    out_dtype = dt.uint8 if x.dtype is dt.uint8 else dt.bool_
    return _reduce(x, dim, keepdim, out_dtype, True, op=K.OP_MIN, pre=K.PRE_NONZERO)


def any(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    _check_tensor(x, "any")
    out_dtype = dt.uint8 if x.dtype is dt.uint8 else dt.bool_
    return _reduce(x, dim, keepdim, out_dtype, False, op=K.OP_MAX, pre=K.PRE_NONZERO)


# ------------------------------------------------------------------------------ max-like
def _extreme(name, x, dim, keepdim, is_max, dim_given):
    dims = _dims(x, dim)
    _check_nonempty(name, x, dims, dim_given)
    return _reduce(x, dim, keepdim, x.dtype, None, op=K.OP_MAX if is_max else K.OP_MIN)


def amax(x: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    """torch.amax: the maximum over ``dim`` (default every dim); NaN propagates."""
    _check_tensor(x, "amax")
    return _extreme("amax", x, dim, keepdim, True, dim not in ((), [], None))


def amin(x: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    _check_tensor(x, "amin")
    return _extreme("amin", x, dim, keepdim, False, dim not in ((), [], None))


def _max_min(name, x, dim, keepdim, is_max, result):
    _check_tensor(x, name)
    if isinstance(dim, Tensor):
        from . import elementwise
        return (elementwise.maximum if is_max else elementwise.minimum)(x, dim)
    if dim is None:
        return _extreme(name, x, None, False, is_max, False)
    if isinstance(dim, (list, tuple)):
        raise TypeError(f"{name}() received an invalid combination of arguments - got (dim=tuple), "
                        "but expected one of: (), (Tensor other), (int dim, bool keepdim)")
    values, indices = _arg(name, x, dim, keepdim, is_max, with_values=True)
    return result(values, indices)


def max(x: Tensor, dim=None, keepdim: bool = False):
    """torch.max: ``x.max()`` (every element), ``x.max(dim, keepdim)`` -> (values, indices) with
    the first index of the maximum, ``x.max(other)`` = maximum(x, other)."""
    return _max_min("max", x, dim, keepdim, True, max_result)


def min(x: Tensor, dim=None, keepdim: bool = False):
    return _max_min("min", x, dim, keepdim, False, min_result)


def _arg(name, x, dim, keepdim, is_max, with_values=False):
    if dim is None:
        dims = tuple(range(x.dim()))
        _check_nonempty(name, x, dims, False)
        plan = _Plan(x, dims)
        keep_shape = plan.keep_shape if keepdim else ()
    else:
        if isinstance(dim, (list, tuple)):
            raise TypeError(f"{name}(): argument 'dim' must be int, not {type(dim).__name__}")
        dims = _dims(x, dim)
        _check_nonempty(name, x, dims, True)
        plan = _Plan(x, dims)
        keep_shape = plan.keep_shape if keepdim else plan.kept_shape
    indices = Tensor._empty(plan.kept_shape, dt.int64, x.device)
    values = Tensor._empty(plan.kept_shape, x.dtype, x.device) if with_values else None
    if plan.M:
        K.argreduce(plan.x, values, indices, *plan.args(), is_max=is_max, column=plan.column)
    strides = contiguous_strides(keep_shape)
    indices = indices._view(keep_shape, strides)
    if with_values:
        return values._view(keep_shape, strides), indices
    return indices


def argmax(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """torch.argmax: first index of the maximum over ``dim`` (flattened when None); NaN is the
    maximum."""
    _check_tensor(x, "argmax")
    return _arg("argmax", x, dim, keepdim, True)


def argmin(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    _check_tensor(x, "argmin")
    return _arg("argmin", x, dim, keepdim, False)


# ------------------------------------------------------------------------------ statistics
def _var_std(name, x, dim, unbiased, keepdim, correction, std):
    _check_tensor(x, name)
    if isinstance(dim, bool):  # var(x, unbiased)
        if unbiased is not None:
            raise TypeError(f"{name}() received an invalid combination of arguments")
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise RuntimeError(f"{name}: Cannot specify both unbiased and correction")
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    if not x.dtype.is_floating_point:
        raise RuntimeError("std and var only support floating point and complex dtypes")
    plan = _Plan(x, _dims(x, dim))
    out, res = plan.output(x.dtype, x.device, keepdim)
    if plan.M == 0:
        return res
    if plan.R == 0:
        _fill(out, math.nan)
        return res
    K.var(plan.x, out, *plan.args(), correction=float(correction), std=std, column=plan.column)
    return res


def var(x: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None) -> Tensor:
    """torch.var: sum((x - mean)^2) / max(N - correction, 0) over ``dim`` (correction defaults
    to 1; ``unbiased=False`` means 0)."""
    return _var_std("var", x, dim, unbiased, keepdim, correction, False)


def std(x: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None) -> Tensor:
    return _var_std("std", x, dim, unbiased, keepdim, correction, True)


def logsumexp(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """torch.logsumexp: log(sum(exp(x))) over ``dim``, max-subtracted; integer inputs give the
    default float dtype; an empty reduction gives -inf."""
    _check_tensor(x, "logsumexp")
    if not x.dtype.is_floating_point:
        x = x.to(dt.get_default_dtype())
    plan = _Plan(x, _dims(x, dim))
    out, res = plan.output(x.dtype, x.device, keepdim)
    if plan.M == 0:
        return res
    if plan.R == 0:
        _fill(out, -math.inf)
        return res
    K.logsumexp(plan.x, out, *plan.args(), column=plan.column)
    return res


def norm(x: Tensor, p="fro", dim=None, keepdim: bool = False, dtype=None) -> Tensor:
    """torch.norm (vector norms): p = 'fro' or 2, 1, inf, -inf, 0 (count of nonzeros) or any
    float, over ``dim`` (every element when None)."""
    _check_tensor(x, "norm")
    if not x.dtype.is_floating_point:
        raise RuntimeError("linalg.vector_norm: Expected a floating point or complex tensor as input. "
                           f"Got {_TORCH_NAMES[x.dtype]}")
    if p == "fro" or p is None:
        p = 2.0
    elif isinstance(p, str):
        raise RuntimeError(f"tnn.norm: p={p!r} (matrix norms) is not supported; use a vector norm")
    p = float(p)
    dtype = _dtype_arg(dtype)
    if dtype is not None and dtype is not x.dtype:
        x = x.to(dtype)
    if p == math.inf or p == -math.inf:
        dims = _dims(x, dim)
        if _b.any(x.shape[d] == 0 for d in dims):
            raise RuntimeError(f"linalg.vector_norm cannot compute the {'inf' if p > 0 else '-inf'} norm on an "
                               "empty tensor because the operation does not have an identity")
        return _reduce(x, dim, keepdim, x.dtype, None, op=K.OP_MAX if p > 0 else K.OP_MIN, pre=K.PRE_ABS)
    if p == 0:
        kw = dict(op=K.OP_SUM, pre=K.PRE_NONZERO)
    elif p == 1:
        kw = dict(op=K.OP_SUM, pre=K.PRE_ABS)
    elif p == 2:
        kw = dict(op=K.OP_SUM, pre=K.PRE_SQUARE, post=K.POST_SQRT)
    else:
        kw = dict(op=K.OP_SUM, pre=K.PRE_POW, post=K.POST_ROOT, p=p)
    return _reduce(x, dim, keepdim, x.dtype, 0.0, **kw)


# ------------------------------------------------------------------------------ scans
def cumsum(x: Tensor, dim, dtype=None) -> Tensor:
    """torch.cumsum along ``dim``: integers and bool accumulate to int64 unless ``dtype``."""
    _check_tensor(x, "cumsum")
    d = normalize_dim(dim, x.dim())
    out = Tensor._empty(x.shape, _sum_dtype(x, dtype), x.device)
    if x.numel() == 0:
        return out
    if x.dim() == 0:
        from .copying import copy_
        return copy_(out, x)
    kept = [i for i in range(x.dim()) if i != d]
    sizes, (xs, os) = coalesce([x.shape[i] for i in kept], [x.stride(i) for i in kept],
                               [out.stride(i) for i in kept])
    column = len(kept) > 0 and xs[-1] == 1 and x.stride(d) != 1
    K.cumsum(x, out, numel(sizes), x.shape[d], sizes, xs, os, x.stride(d), out.stride(d), column=column)
    return out


def sum_to_size(x: Tensor, *size) -> Tensor:
    """Sum ``x`` down to ``size`` (which x must be expandable from): the gradient of a broadcast.
    Returns x itself when the shapes already match."""
    size = tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else tuple(size)
    if tuple(x.shape) == size:
        return x
    lead = x.dim() - len(size)
    if lead < 0 or _b.any(s != 1 and s != xs for s, xs in zip(size, x.shape[lead:])):
        raise RuntimeError(f"size {{{list(size)}}} is not expandable to size {{{list(x.shape)}}}.")
    dims = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(size) if s == 1 and x.shape[lead + i] != 1)
    out = sum(x, dims, keepdim=True) if dims else x
    return out.reshape(size)
