"""Reductions: sum, mean, prod, amax/amin, max/min (with indices), argmax/argmin, var/std,
logsumexp, norm, all/any, and cumsum -- torch's signatures, dtype rules and error texts.

Every reduction becomes an (M kept rows, R reduced) problem for tnn/kernels/reduce.py: the
reduced dims are permuted to the end; when they collapse to one (R, stride) the kernel reads the
input in place (kept dims may be any strided layout), otherwise an explicit contiguous copy of
the permuted view is made first. Empty reductions are filled here (sum 0, prod 1, mean nan ...);
max-like reductions of an empty dim raise as torch does.

Every differentiable reduction is a Function (torch's grad_fn names): arguments are checked in the
public function, the Function's forward runs the kernel and saves what its backward needs, and
backward is written with tnn ops. argmax/argmin/all/any are not differentiable."""
from __future__ import annotations

import builtins as _b
import math
from collections import namedtuple

from ..autograd.function import Function
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


# ------------------------------------------------------------------------------ autograd helpers
def _unreduce(g: Tensor, shape, dims) -> Tensor:
    """A reduction's result (or gradient) ``g``, keepdim or not, viewed with size 1 at each reduced
    dim of an input of ``shape`` so that it broadcasts against the input. No copy."""
    if g.dim() == len(shape):
        return g
    it = iter(g.stride())
    strides = tuple(0 if d in dims else next(it) for d in range(len(shape)))
    return g._view(tuple(1 if d in dims else s for d, s in enumerate(shape)), strides)


def _expand_grad(g: Tensor, shape, dims, dtype) -> Tensor:
    """The gradient of a sum: ``g`` cast to the input dtype and broadcast back over ``dims``."""
    return _unreduce(g.to(dtype), shape, dims).expand(shape)


def _where(cond, a, b):
    from .elementwise import where
    return where(cond, a, b)


# ------------------------------------------------------------------------------ sum-like
class _Sum(Function):
    _backward_name = "SumBackward1"

    @staticmethod
    def forward(ctx, x, dims, keepdim, dtype):
        ctx.meta = (x.shape, x.dtype, dims)
        return _reduce(x, dims, keepdim, dtype, 0, op=K.OP_SUM)

    @staticmethod
    def backward(ctx, g):
        shape, dtype, dims = ctx.meta
        return _expand_grad(g, shape, dims, dtype), None, None, None


class _SumAll(_Sum):
    _backward_name = "SumBackward0"


def sum(x: Tensor, dim=None, keepdim: bool = False, dtype=None) -> Tensor:
    """torch.sum: integers and bool sum to int64; fp16/bf16 accumulate in fp32."""
    _check_tensor(x, "sum")
    fn = _SumAll if dim is None and not keepdim else _Sum
    return fn.apply(x, _dims(x, dim), keepdim, _sum_dtype(x, dtype))


class _Mean(Function):
    _backward_name = "MeanBackward1"

    @staticmethod
    def forward(ctx, x, dims, keepdim, dtype):
        ctx.meta = (x.shape, x.dtype, dims)
        return _reduce(x, dims, keepdim, dtype, math.nan, op=K.OP_SUM, post=K.POST_MEAN)

    @staticmethod
    def backward(ctx, g):
        shape, dtype, dims = ctx.meta
        n = numel([shape[d] for d in dims])
        g = g.to(dtype)
        return _expand_grad(g / n if n else g, shape, dims, dtype), None, None, None


class _MeanAll(_Mean):
    _backward_name = "MeanBackward0"


def mean(x: Tensor, dim=None, keepdim: bool = False, dtype=None) -> Tensor:
    _check_tensor(x, "mean")
    dtype = _dtype_arg(dtype)
    if dtype is None and not x.dtype.is_floating_point:
        raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either a floating point or "
                           f"complex dtype. Got: {_TORCH_NAMES[x.dtype]}")
    if dtype is not None and not dtype.is_floating_point:
        raise RuntimeError("mean(): could not infer output dtype. Optional dtype must be either a floating point "
                           f"or complex dtype. Got: {_TORCH_NAMES[dtype]}")
    fn = _MeanAll if dim is None and not keepdim else _Mean
    return fn.apply(x, _dims(x, dim), keepdim, dtype or x.dtype)


def _prod(x, dims, keepdim, dtype):
    return _reduce(x, dims, keepdim, dtype, 1, op=K.OP_PROD)


class _Prod(Function):
    _backward_name = "ProdBackward1"

    @staticmethod
    def forward(ctx, x, dims, keepdim, dtype):
        ctx.dims, ctx.in_dtype = dims, x.dtype
        ctx.save_for_backward(x)
        return _prod(x, dims, keepdim, dtype)

    @staticmethod
    def backward(ctx, g):
        """d prod / d x_i = product of the others: prod(nonzeros) / x_i without zeros; at the one
        zero of a slice the product of the rest; 0 everywhere else (several zeros, as torch)."""
        (x,) = ctx.saved_tensors
        dims = ctx.dims
        xg = x.to(g.dtype)
        zero = xg == 0
        zeros = _unreduce(zero.sum(dims, keepdim=True), x.shape, dims)         # zeros per slice
        rest = _prod(_where(zero, 1.0, xg), dims, True, g.dtype)              # product of the nonzeros
        local = _where(zero, _where(zeros == 1, rest, 0.0), _where(zeros == 0, rest / xg, 0.0))
        return (local * _unreduce(g, x.shape, dims)).to(ctx.in_dtype), None, None, None


class _ProdAll(_Prod):
    _backward_name = "ProdBackward0"


def prod(x: Tensor, dim=None, keepdim: bool = False, dtype=None) -> Tensor:
    """torch.prod: ``dim`` is one int (or None for every element)."""
    _check_tensor(x, "prod")
    if isinstance(dim, (list, tuple)):
        raise TypeError("prod() received an invalid combination of arguments - got (dim=tuple), "
                        "but expected (int dim, bool keepdim, *, dtype)")
    if dim is None and keepdim:
        keepdim = False
    fn = _ProdAll if dim is None else _Prod
    return fn.apply(x, _dims(x, dim), keepdim, _sum_dtype(x, dtype))


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
class _Amax(Function):
    _backward_name = "AmaxBackward0"

    @staticmethod
    def forward(ctx, x, dims, keepdim, is_max):
        out = _reduce(x, dims, keepdim, x.dtype, None, op=K.OP_MAX if is_max else K.OP_MIN)
        ctx.dims = dims
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        """Split evenly among the elements equal to the extreme (torch's scale_grad_by_count)."""
        x, out = ctx.saved_tensors
        mask = x == _unreduce(out, x.shape, ctx.dims)
        count = mask.sum(ctx.dims, keepdim=True)
        return (_unreduce(g, x.shape, ctx.dims) / count) * mask, None, None, None


class _Amin(_Amax):
    _backward_name = "AminBackward0"


def _extreme(name, x, dim, keepdim, is_max, dim_given):
    dims = _dims(x, dim)
    _check_nonempty(name, x, dims, dim_given)
    return (_Amax if is_max else _Amin).apply(x, dims, keepdim, is_max)


def amax(x: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    """torch.amax: the maximum over ``dim`` (default every dim); NaN propagates."""
    _check_tensor(x, "amax")
    return _extreme("amax", x, dim, keepdim, True, dim not in ((), [], None))


def amin(x: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    _check_tensor(x, "amin")
    return _extreme("amin", x, dim, keepdim, False, dim not in ((), [], None))


class _MaxAll(Function):
    _backward_name = "MaxBackward1"

    @staticmethod
    def forward(ctx, x, is_max):
        out = _reduce(x, None, False, x.dtype, None, op=K.OP_MAX if is_max else K.OP_MIN)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        """Split evenly among every element equal to the result (NaNs when it is NaN), as torch's
        evenly_distribute_backward."""
        from .elementwise import isnan, logical_and, logical_or
        x, out = ctx.saved_tensors
        mask = logical_or(x == out, logical_and(isnan(x), isnan(out)))
        return mask * (g / mask.sum()), None


class _MinAll(_MaxAll):
    _backward_name = "MinBackward1"


class _MaxDim(Function):
    _backward_name = "MaxBackward0"

    @staticmethod
    def forward(ctx, x, dim, keepdim, is_max):
        values, indices = _arg("max" if is_max else "min", x, dim, keepdim, is_max, with_values=True)
        ctx.shape, ctx.dims = tuple(x.shape), _dims(x, dim)
        ctx.save_for_backward(indices)
        ctx.set_materialize_grads(False)
        return values, indices

    @staticmethod
    def backward(ctx, g, _):
        """The gradient goes to the returned index only."""
        from .creation import arange
        if g is None:
            return None, None, None, None
        shape, dims = ctx.shape, ctx.dims
        if not dims:  # a 0-d input: its one element is the maximum
            return g, None, None, None
        (indices,) = ctx.saved_tensors
        d = dims[0]
        pos = arange(shape[d], device=g.device)
        pos = pos._view(tuple(shape[d] if i == d else 1 for i in range(len(shape))),
                        tuple(1 if i == d else 0 for i in range(len(shape))))
        hit = pos == _unreduce(indices, shape, dims)
        return _where(hit, _unreduce(g, shape, dims), 0.0), None, None, None


class _MinDim(_MaxDim):
    _backward_name = "MinBackward0"


def _max_min(name, x, dim, keepdim, is_max, result):
    _check_tensor(x, name)
    if isinstance(dim, Tensor):
        from . import elementwise
        return (elementwise.maximum if is_max else elementwise.minimum)(x, dim)
    if dim is None:
        _check_nonempty(name, x, _dims(x, None), False)
        return (_MaxAll if is_max else _MinAll).apply(x, is_max)
    if isinstance(dim, (list, tuple)):
        raise TypeError(f"{name}() received an invalid combination of arguments - got (dim=tuple), "
                        "but expected one of: (), (Tensor other), (int dim, bool keepdim)")
    _check_nonempty(name, x, _dims(x, dim), True)
    values, indices = (_MaxDim if is_max else _MinDim).apply(x, dim, keepdim, is_max)
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
class _Var(Function):
    _backward_name = "VarBackward0"

    @staticmethod
    def forward(ctx, x, dims, correction, keepdim, std, full):
        plan = _Plan(x, dims)
        out, res = plan.output(x.dtype, x.device, keepdim)
        if plan.M and plan.R:
            K.var(plan.x, out, *plan.args(), correction=float(correction), std=std, column=plan.column)
        elif plan.M:
            _fill(out, math.nan)
        ctx.meta = (dims, correction, std, full)
        ctx.save_for_backward(x, res if std else None)
        return res

    @staticmethod
    def backward(ctx, g):
        """torch's var_backward: 2 (x - mean) / (N - correction) times the gradient; for std first
        g / (2 std), 0 where std == 0."""
        x, out = ctx.saved_tensors
        dims, correction, std, full = ctx.meta
        if std:
            g = _where(out == 0, 0.0, g / (out * 2))
        g = _unreduce(g, x.shape, dims)
        if full:
            dof = x.numel() - correction
            if dof <= 0:  # 2 / 0 = inf: nan where x == mean, inf elsewhere (as torch)
                return g * _where(x == x.mean(), math.nan, math.inf), None, None, None, None, None
            return g * (2.0 / dof) * (x - x.mean()), None, None, None, None, None
        dof = numel([x.shape[d] for d in dims]) - correction
        scale = 2.0 / dof if dof else math.inf
        return g * scale * (x - x.mean(dims, keepdim=True)), None, None, None, None, None


class _Std(_Var):
    _backward_name = "StdBackward0"


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
    full = dim is None or x.dim() == 0
    return (_Std if std else _Var).apply(x, _dims(x, dim), correction, keepdim, std, full)


def var(x: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None) -> Tensor:
    """torch.var: sum((x - mean)^2) / max(N - correction, 0) over ``dim`` (correction defaults
    to 1; ``unbiased=False`` means 0)."""
    return _var_std("var", x, dim, unbiased, keepdim, correction, False)


def std(x: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None) -> Tensor:
    return _var_std("std", x, dim, unbiased, keepdim, correction, True)


class _Logsumexp(Function):
    _backward_name = "LogsumexpBackward0"

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        plan = _Plan(x, dims)
        out, res = plan.output(x.dtype, x.device, keepdim)
        if plan.M and plan.R:
            K.logsumexp(plan.x, out, *plan.args(), column=plan.column)
        elif plan.M:
            _fill(out, -math.inf)
        ctx.dims = dims
        ctx.save_for_backward(x, res)
        return res

    @staticmethod
    def backward(ctx, g):
        """softmax(x) along dims times the gradient: g * exp(x - logsumexp) (nan on rows whose
        result is +-inf, as torch)."""
        x, out = ctx.saved_tensors
        dims = ctx.dims
        return _unreduce(g, x.shape, dims) * (x - _unreduce(out, x.shape, dims)).exp(), None, None


def logsumexp(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """torch.logsumexp: log(sum(exp(x))) over ``dim``, max-subtracted; integer inputs give the
    default float dtype; an empty reduction gives -inf."""
    _check_tensor(x, "logsumexp")
    if not x.dtype.is_floating_point:
        x = x.to(dt.get_default_dtype())
    return _Logsumexp.apply(x, _dims(x, dim), keepdim)


class _Norm(Function):
    _backward_name = "LinalgVectorNormBackward0"

    @staticmethod
    def forward(ctx, x, p, dims, keepdim, dtype):
        ctx.meta = (p, dims, x.dtype)
        if dtype is not None and dtype is not x.dtype:
            x = x.to(dtype)
        if p == math.inf or p == -math.inf:
            kw = dict(op=K.OP_MAX if p > 0 else K.OP_MIN, pre=K.PRE_ABS)
        elif p == 0:
            kw = dict(op=K.OP_SUM, pre=K.PRE_NONZERO)
        elif p == 1:
            kw = dict(op=K.OP_SUM, pre=K.PRE_ABS)
        elif p == 2:
            kw = dict(op=K.OP_SUM, pre=K.PRE_SQUARE, post=K.POST_SQRT)
        else:
            kw = dict(op=K.OP_SUM, pre=K.PRE_POW, post=K.POST_ROOT, p=p)
        out = _reduce(x, dims, keepdim, x.dtype, 0.0, **kw)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        """torch's norm_backward: p=1 sign(x); p=2 x / norm (0 where norm == 0); +-inf split
        evenly among the elements reaching the norm; other p sign(x) |x|^(p-1) / norm^(p-1)."""
        from .creation import zeros
        from .elementwise import isnan, logical_or
        x, norm_ = ctx.saved_tensors
        p, dims, in_dtype = ctx.meta
        g, n = _unreduce(g, x.shape, dims), _unreduce(norm_, x.shape, dims)
        if p == 0:
            gx = zeros(x.shape, dtype=x.dtype, device=x.device)
        elif p == 1:
            gx = x.sign() * g
        elif p == 2:
            gx = g * _where(n == 0, 0.0, x / n)
        elif math.isinf(p):
            a = x.abs()
            mask = logical_or(a == n, isnan(a))
            gx = x.sign() * ((g / mask.sum(dims, keepdim=True)) * mask)
        elif p < 1:
            gx = x.sign() * _where(x == 0, 0.0, x.abs() ** (p - 1)) * g * n ** (1 - p)
        else:
            scale = _where(n == 0, 0.0, g / n ** (p - 1))
            gx = (x.sign() * x.abs() ** (p - 1) if p < 2 else x * x.abs() ** (p - 2)) * scale
        return gx.to(in_dtype), None, None, None, None


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
    dims = _dims(x, dim)
    if math.isinf(p) and _b.any(x.shape[d] == 0 for d in dims):
        raise RuntimeError(f"linalg.vector_norm cannot compute the {'inf' if p > 0 else '-inf'} norm on an "
                           "empty tensor because the operation does not have an identity")
    return _Norm.apply(x, p, dims, keepdim, dtype)


# ------------------------------------------------------------------------------ scans
def _scan(x: Tensor, out: Tensor, d: int) -> Tensor:
    """out = running sum of x along dim d (same shape; the stride along d may be negative)."""
    kept = [i for i in range(x.dim()) if i != d]
    sizes, (xs, os) = coalesce([x.shape[i] for i in kept], [x.stride(i) for i in kept],
                               [out.stride(i) for i in kept])
    column = len(kept) > 0 and xs[-1] == 1 and _b.abs(x.stride(d)) != 1
    K.cumsum(x, out, numel(sizes), x.shape[d], sizes, xs, os, x.stride(d), out.stride(d), column=column)
    return out


def _reversed(t: Tensor, d: int) -> Tensor:
    """t read backwards along dim d: a negative-stride view (private: only kernels see it)."""
    s = t.stride(d)
    strides = t.stride()[:d] + (-s,) + t.stride()[d + 1:]
    return t._view(t.shape, strides, t.storage_offset() + (t.shape[d] - 1) * s)


class _Cumsum(Function):
    _backward_name = "CumsumBackward0"

    @staticmethod
    def forward(ctx, x, d, dtype):
        ctx.d, ctx.in_dtype = d, x.dtype
        out = Tensor._empty(x.shape, dtype, x.device)
        if x.numel() == 0:
            return out
        if x.dim() == 0:
            from .copying import copy_
            return copy_(out, x)
        return _scan(x, out, d)

    @staticmethod
    def backward(ctx, g):
        """The reverse running sum of g along d: a scan over reversed views of g and the result."""
        if g.dim() == 0 or g.numel() == 0:
            return g.to(ctx.in_dtype), None, None
        out = Tensor._empty(g.shape, g.dtype, g.device)
        _scan(_reversed(g, ctx.d), _reversed(out, ctx.d), ctx.d)
        return out.to(ctx.in_dtype), None, None


def cumsum(x: Tensor, dim, dtype=None) -> Tensor:
    """torch.cumsum along ``dim``: integers and bool accumulate to int64 unless ``dtype``."""
    _check_tensor(x, "cumsum")
    d = normalize_dim(dim, x.dim())
    return _Cumsum.apply(x, d, _sum_dtype(x, dtype))


class _SumToSize(Function):
    _backward_name = "SumBackward1"

    @staticmethod
    def forward(ctx, x, size, dims):
        ctx.shape = tuple(x.shape)
        out = sum(x, dims, keepdim=True) if dims else x
        return out.reshape(size)

    @staticmethod
    def backward(ctx, g):
        return g.expand(ctx.shape), None, None


class _SumToSizeView(_SumToSize):
    _backward_name = "ViewBackward0"  # torch: sum(keepdim) then view away the leading dims


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
    return (_SumToSizeView if lead else _SumToSize).apply(x, size, dims)
