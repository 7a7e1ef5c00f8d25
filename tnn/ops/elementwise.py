"""Elementwise arithmetic, comparisons and math with torch's broadcasting and type promotion.

Every function validates its arguments (torch's error texts), works out the result dtype with
``result_type`` and the dtype the kernel computes in (float32 for float16/bfloat16, int8 for
bool), allocates the output (or checks the in-place / ``out=`` target), and launches one of the
three kernels in ``tnn.kernels.elementwise``. Python scalars go to the kernel as scalar
arguments, never as tensors.

Autograd: every float-valued op is a Function (torch's grad_fn names) over those helpers; its
backward is written with the same public ops. In-place variants mark their input dirty and save
the result where backward can use it (exp_, sigmoid_, ...), else a clone of the input taken before
it is overwritten. Comparisons, logical/bitwise ops, isnan & co. and floor_divide have no gradient
(their in-place forms on a float tensor in a graph give its old values a zero gradient)."""
from __future__ import annotations

import builtins as _b
import math
import numbers

import numpy as np

from ..autograd.function import Function
from ..autograd.grad_mode import is_grad_enabled
from ..kernels import elementwise as K
from ..runtime import dtypes as dt
from ..shape import broadcast_shapes, broadcast_strides, coalesce
from ..tensor import Tensor
from .copying import _check_writable_overlap
from .views import _check_inplace_pre

__all__ = [
    "neg", "negative", "abs", "absolute", "sign", "exp", "exp2", "expm1", "log", "log2", "log1p", "sqrt", "rsqrt",
    "reciprocal", "sin", "cos", "tanh", "sigmoid", "relu", "floor", "ceil", "round", "trunc", "fix", "square",
    "isnan", "isinf", "isfinite", "logical_not", "bitwise_not",
    "neg_", "abs_", "sign_", "exp_", "exp2_", "expm1_", "log_", "log2_", "log1p_", "sqrt_", "rsqrt_",
    "reciprocal_", "sin_", "cos_", "tanh_", "sigmoid_", "relu_", "floor_", "ceil_", "round_", "trunc_",
    "logical_not_", "square_",
    "add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "floor_divide", "remainder",
    "fmod", "pow", "maximum", "minimum", "eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less",
    "less_equal", "not_equal", "logical_and", "logical_or", "logical_xor", "bitwise_and", "bitwise_or",
    "bitwise_xor", "where", "clamp", "clip", "clamp_min", "clamp_max", "lerp",
    "add_", "sub_", "mul_", "div_", "remainder_", "pow_", "clamp_", "clip_", "lerp_", "floor_divide_",
    "fmod_", "maximum_", "minimum_", "eq_", "ne_", "lt_", "le_", "gt_", "ge_", "logical_and_", "logical_or_",
    "logical_xor_", "clamp_min_", "clamp_max_",
]

_TORCH_NAMES = {
    dt.float32: "Float", dt.float64: "Double", dt.float16: "Half", dt.bfloat16: "BFloat16", dt.int64: "Long",
    dt.int32: "Int", dt.int16: "Short", dt.int8: "Char", dt.uint8: "Byte", dt.bool_: "Bool",
}
_CPP_NAMES = {dt.float32: "float", dt.float64: "double", dt.float16: "c10::Half", dt.bfloat16: "c10::BFloat16"}


def _tname(d) -> str:
    """torch's ScalarType name (Float, Long, ...), as its error messages print dtypes."""
    return _TORCH_NAMES[d]


def _not_implemented(kernel: str, d, dev) -> RuntimeError:
    return RuntimeError(f'"{kernel}_{"cuda" if dev.type == "cuda" else "cpu"}" not implemented for \'{_tname(d)}\'')


def _compute(d):
    """The dtype a kernel computes in for results of dtype d."""
    if d is dt.float16 or d is dt.bfloat16:
        return dt.float32
    if d is dt.bool_:
        return dt.int8
    return d


def _default_float():
    return dt.get_default_dtype()


# ----------------------------------------------------------------------------- operands
def _scalar(x, fn: str, arg: str, pos: int):
    """A Tensor stays; Python and NumPy numbers become Python bool/int/float; anything else is a
    TypeError worded as torch's argument parser."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, (bool, np.bool_)):
        return _b.bool(x)
    if isinstance(x, numbers.Integral):
        x = _b.int(x)
        if not -(1 << 63) <= x < (1 << 63):
            raise RuntimeError("Overflow when unpacking long")
        return x
    if isinstance(x, numbers.Real):
        return _b.float(x)
    if isinstance(x, np.ndarray) and x.ndim == 0 and x.dtype.kind in "biuf":
        return _scalar(x.item(), fn, arg, pos)
    raise TypeError(f"{fn}(): argument '{arg}' (position {pos}) must be Tensor, not {type(x).__name__}")


def _operands(fn: str, *xs, names=("input", "other")):
    """Normalise operands; at least one must be a Tensor (as torch's signatures require)."""
    out = [_scalar(x, fn, names[min(i, len(names) - 1)], i + 1) for i, x in enumerate(xs)]
    if not any(isinstance(x, Tensor) for x in out):
        first = xs[0]
        raise TypeError(f"{fn}(): argument '{names[0]}' (position 1) must be Tensor, not {type(first).__name__}")
    return out


def _dtype_of(x):
    """The dtype a Python scalar stands for (for checks that look at operand types)."""
    if isinstance(x, Tensor):
        return x.dtype
    if isinstance(x, bool):
        return dt.bool_
    if isinstance(x, int):
        return dt.int64
    return _default_float()


def _device(operands, keep_first=False):
    """The common device. A 0-dim cpu tensor may join tensors on another device (as in torch):
    it is replaced by its value, after promotion has been decided (except the first operand when
    ``keep_first``: unary and ternary kernels read it from memory, so it must be on the device)."""
    dev = None
    for x in operands:
        if isinstance(x, Tensor) and x.dim() > 0:
            dev = x.device
            break
    if dev is None:
        dev = next(x.device for x in operands if isinstance(x, Tensor))
    res = []
    for i, x in enumerate(operands):
        if isinstance(x, Tensor) and x.device != dev:
            if x.dim() == 0 and x.device.type == "cpu" and not (keep_first and i == 0):
                x = x.item()
            else:
                raise RuntimeError("Expected all tensors to be on the same device, but found at least two devices, "
                                   f"{dev} and {x.device}!")
        res.append(x)
    return dev, res


def _check_out(out: Tensor, shape, result_dtype, dev, check_cast: bool = True):
    """An in-place / out= target must be on the device, hold the broadcast shape exactly and be
    able to receive the result dtype (no float -> int, no int -> bool)."""
    if not isinstance(out, Tensor):
        raise TypeError(f"argument 'out' must be Tensor, not {type(out).__name__}")
    if out.device != dev:
        raise RuntimeError(f"Expected all tensors to be on the same device, but found at least two devices, "
                           f"{dev} and {out.device}!")
    if check_cast and not dt.can_cast(result_dtype, out.dtype):
        raise RuntimeError(f"result type {_tname(result_dtype)} can't be cast to the desired output type "
                           f"{_tname(out.dtype)}")
    if tuple(out.shape) != tuple(shape):
        raise RuntimeError(f"output with shape {list(out.shape)} doesn't match the broadcast shape {list(shape)}")
    _check_writable_overlap(out)


def _run(kind: str, op: str, operands, result_dtype, compute, *, common=None, out=None, check_cast=True, extra=0,
         a_compute=None):
    """Broadcast, allocate (or check ``out``), coalesce and launch. ``operands`` are Tensors or
    Python scalars (the first of a unary/ternary op is a Tensor); ``extra`` is the scalar
    parameter (alpha, round's 10^k) already in Python form; ``common`` the promoted operand dtype
    (defaults to the result dtype)."""
    dev, operands = _device(operands, keep_first=kind != "binary")
    shape = broadcast_shapes(*[x.shape for x in operands if isinstance(x, Tensor)])
    if out is None:
        out = Tensor._empty(shape, result_dtype, dev)
    else:
        _check_out(out, shape, result_dtype, dev, check_cast)
    if out.numel() == 0:
        return out
    tensor_strides = [broadcast_strides(x.shape, x.stride(), shape) for x in operands if isinstance(x, Tensor)]
    sizes, strides = coalesce(shape, *tensor_strides, out.stride())
    it = iter(strides)
    args, arg_strides = [], []
    zeros = (0,) * len(sizes)
    for x in operands:
        if isinstance(x, Tensor):
            args.append(x)
            arg_strides.append(next(it))
        else:
            args.append(K.scalar_arg(x, compute))
            arg_strides.append(zeros)
    out_strides = next(it)
    extra = K.scalar_arg(extra, compute)
    if kind == "unary":
        K.unary(args[0], out, op, compute, sizes, arg_strides[0], out_strides, p=extra)
    elif kind == "binary":
        K.binary(args[0], args[1], out, op, common or result_dtype, compute, sizes, arg_strides[0], arg_strides[1],
                 out_strides, alpha=extra)
    else:
        common = common or result_dtype
        K.ternary(args[0], args[1], args[2], out, op, a_compute or common, a_compute or compute, common, compute,
                  sizes, *arg_strides, out_strides)
    return out


def _finish_inplace(t: Tensor) -> Tensor:
    t._version_bump()
    return t


# ----------------------------------------------------------------------------- autograd helpers
LN2 = math.log(2.0)


def _meta(x):
    """(shape, dtype, device) of a Tensor operand (what its gradient must have), None for a scalar."""
    return (tuple(x.shape), x.dtype, x.device) if isinstance(x, Tensor) else None


def _to_operand(g: Tensor, meta) -> Tensor:
    """A gradient of the (broadcast) result as the gradient of an operand with ``meta``: summed
    over the broadcast dims, cast to the operand's dtype and moved to its device."""
    shape, dtype, dev = meta
    if tuple(g.shape) != shape:
        g = g.sum_to_size(shape)
    if g.dtype is not dtype or g.device != dev:
        g = g.to(device=dev, dtype=dtype)
    return g


def _zeros(meta) -> Tensor:
    from .creation import zeros
    shape, dtype, dev = meta
    return zeros(shape, dtype=dtype, device=dev)


def _save(ctx, *values) -> None:
    """Save what backward needs: Tensors version-checked (save_for_backward), scalars as they are."""
    ctx.save_for_backward(*(v if isinstance(v, Tensor) else None for v in values))
    ctx.scalars = tuple(None if isinstance(v, Tensor) else v for v in values)


def _load(ctx) -> tuple:
    return tuple(s if t is None else t for t, s in zip(ctx.saved_tensors, ctx.scalars))


def _no_out_grad(name: str, *xs) -> None:
    if is_grad_enabled() and _b.any(isinstance(x, Tensor) and x.requires_grad for x in xs):
        raise RuntimeError(f"{name}(): functions with out=... arguments don't support automatic differentiation, "
                           "but one of the arguments requires grad.")


def _pre_inplace(t, *others) -> None:
    """The leaf / view-of-leaf checks of an in-place op, made before anything is written."""
    if isinstance(t, Tensor):
        _check_inplace_pre(t, *others)


# ----------------------------------------------------------------------------- unary
_FLOAT_UNARY = {"exp", "exp2", "expm1", "log", "log2", "log1p", "sqrt", "rsqrt", "reciprocal", "sin", "cos",
                "tanh", "sigmoid"}
_ROUNDING = {"floor", "ceil", "round", "trunc"}


def _unary_plan(name: str, x: Tensor):
    """(kernel OP, result dtype, compute dtype) for a unary op on x, or a torch-worded error."""
    d = x.dtype
    if name in _FLOAT_UNARY:
        res = d if d.is_floating_point else _default_float()
        return name, res, _compute(res)
    if name == "neg":
        if d is dt.bool_:
            raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If you are trying to "
                               "invert a mask, use the `~` or `logical_not()` operator instead.")
        return "neg", d, _compute(d)
    if name in ("abs", "sign", "relu"):
        if d is dt.bool_ or (name == "abs" and d is dt.uint8):
            return "identity", d, _compute(d)
        return name, d, _compute(d)
    if name in _ROUNDING:
        return (name if d.is_floating_point else "identity"), d, _compute(d)
    if name == "square":
        res = dt.int64 if d is dt.bool_ else d
        return "square", res, _compute(res)
    if name in ("isnan", "isinf", "isfinite"):
        op = name if d.is_floating_point else ("true" if name == "isfinite" else "false")
        return op, dt.bool_, _compute(d)
    if name == "logical_not":
        return "logical_not", dt.bool_, _compute(d)
    if name == "bitwise_not":
        if d.is_floating_point:
            raise _not_implemented("bitwise_not", d, x.device)
        return ("logical_not" if d is dt.bool_ else "bitwise_not"), d, _compute(d)
    raise AssertionError(name)


def _unary(name: str, x, *, out=None, inplace=False, p=0, op=None):
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(x).__name__}")
    kop, res, compute = _unary_plan(name, x)
    kop = op or kop
    if inplace:
        out = x
    r = _run("unary", kop, [x], res, compute, out=out, extra=p,
             check_cast=not (name in ("logical_not", "isnan", "isinf", "isfinite") and inplace))
    return _finish_inplace(r) if (inplace or out is not None) else r


class _Unary(Function):
    """Base of the unary Functions: forward runs ``_unary(cls._op)`` (in place when ``inplace``)
    and saves what ``cls._grad(grad, saved)`` needs: "input" (an in-place op clones it before
    overwriting it), "result" or nothing. ``_grad`` None means a zero gradient (rounding ops)."""
    _op = ""
    _save = None
    _grad = None

    @classmethod
    def forward(cls, ctx, x, inplace=False, **kw):
        saved = x
        if cls._save == "input" and inplace and ctx.needs_input_grad[0]:
            saved = x.clone()
        out = _unary(cls._op, x, inplace=inplace, **kw)
        if inplace:
            ctx.mark_dirty(x)
        if cls._save:
            ctx.save_for_backward(saved if cls._save == "input" else out)
        return out

    @classmethod
    def backward(cls, ctx, grad):
        if cls._grad is None:
            from .creation import zeros_like
            return zeros_like(grad), None
        return cls._grad(grad, ctx.saved_tensors[0] if cls._save else None), None


def _unary_fn(op: str, backward_name: str, save=None, grad=None):
    """A _Unary subclass: ``grad(g, saved)`` is the input's gradient given the saved tensor."""
    return type(f"_{op.title()}", (_Unary,), {"_op": op, "_backward_name": backward_name, "_save": save,
                                               "_grad": None if grad is None else staticmethod(grad)})


_UNARY = {  # torch's derivative formulas (derivatives.yaml); x the input, y the result
    "neg": _unary_fn("neg", "NegBackward0", None, lambda g, _: neg(g)),
    "abs": _unary_fn("abs", "AbsBackward0", "input", lambda g, x: g * sign(x)),
    "sign": _unary_fn("sign", "SignBackward0"),
    "exp": _unary_fn("exp", "ExpBackward0", "result", lambda g, y: g * y),
    "exp2": _unary_fn("exp2", "Exp2Backward0", "result", lambda g, y: g * y * LN2),
    "expm1": _unary_fn("expm1", "Expm1Backward0", "result", lambda g, y: g * (y + 1)),
    "log": _unary_fn("log", "LogBackward0", "input", lambda g, x: g / x),
    "log2": _unary_fn("log2", "Log2Backward0", "input", lambda g, x: g / (x * LN2)),
    "log1p": _unary_fn("log1p", "Log1PBackward0", "input", lambda g, x: g / (x + 1)),
    "sqrt": _unary_fn("sqrt", "SqrtBackward0", "result", lambda g, y: g / (y * 2)),
    "rsqrt": _unary_fn("rsqrt", "RsqrtBackward0", "result", lambda g, y: g * y ** 3 * -0.5),
    "reciprocal": _unary_fn("reciprocal", "ReciprocalBackward0", "result", lambda g, y: (g * y * y).neg_()),
    "sin": _unary_fn("sin", "SinBackward0", "input", lambda g, x: g * cos(x)),
    "cos": _unary_fn("cos", "CosBackward0", "input", lambda g, x: (g * sin(x)).neg_()),
    "tanh": _unary_fn("tanh", "TanhBackward0", "result", lambda g, y: g * (1 - y * y)),
    "sigmoid": _unary_fn("sigmoid", "SigmoidBackward0", "result", lambda g, y: g * y * (1 - y)),
    # threshold_backward: zero where the result is <= 0 (a NaN result passes the gradient)
    "relu": _unary_fn("relu", "ReluBackward0", "result", lambda g, y: where(le(y, 0), 0.0, g)),
    "floor": _unary_fn("floor", "FloorBackward0"),
    "ceil": _unary_fn("ceil", "CeilBackward0"),
    "trunc": _unary_fn("trunc", "TruncBackward0"),
    "square": _unary_fn("square", "PowBackward0", "input", lambda g, x: g * x * 2),
    "logical_not": _unary_fn("logical_not", "LogicalNotBackward0"),  # in place on floats only: zero grad
}
_Round, _RoundDecimals = _unary_fn("round", "RoundBackward0"), _unary_fn("round", "RoundBackward1")


def _make_unary(name: str):
    fn_cls = _UNARY.get(name)
    differentiable = fn_cls is not None and name != "logical_not"

    def fn(input, *, out=None):
        if out is not None:
            _no_out_grad(name, input, out)
            return _unary(name, input, out=out)
        if not differentiable:
            return _unary(name, input)
        return fn_cls.apply(input)

    def fn_(input):
        if fn_cls is None:
            return _unary(name, input, inplace=True)
        _pre_inplace(input)
        return fn_cls.apply(input, True)

    fn.__name__, fn_.__name__ = name, name + "_"
    fn.__doc__ = f"Elementwise {name} (torch.{name})."
    fn_.__doc__ = f"In-place {name}."
    return fn, fn_


neg, neg_ = _make_unary("neg")
abs, abs_ = _make_unary("abs")
sign, sign_ = _make_unary("sign")
exp, exp_ = _make_unary("exp")
exp2, exp2_ = _make_unary("exp2")
expm1, expm1_ = _make_unary("expm1")
log, log_ = _make_unary("log")
log2, log2_ = _make_unary("log2")
log1p, log1p_ = _make_unary("log1p")
sqrt, sqrt_ = _make_unary("sqrt")
rsqrt, rsqrt_ = _make_unary("rsqrt")
reciprocal, reciprocal_ = _make_unary("reciprocal")
sin, sin_ = _make_unary("sin")
cos, cos_ = _make_unary("cos")
tanh, tanh_ = _make_unary("tanh")
sigmoid, sigmoid_ = _make_unary("sigmoid")
relu, relu_ = _make_unary("relu")
floor, floor_ = _make_unary("floor")
ceil, ceil_ = _make_unary("ceil")
trunc, trunc_ = _make_unary("trunc")
square, square_ = _make_unary("square")
isnan, _ = _make_unary("isnan")
isinf, _ = _make_unary("isinf")
isfinite, _ = _make_unary("isfinite")
logical_not, logical_not_ = _make_unary("logical_not")
bitwise_not, _ = _make_unary("bitwise_not")
negative, absolute, fix = neg, abs, trunc


def _round_op(x, decimals):
    if not isinstance(decimals, int) or isinstance(decimals, bool):
        raise TypeError(f"round(): argument 'decimals' must be int, not {type(decimals).__name__}")
    if decimals == 0:
        return None, 0
    if isinstance(x, Tensor) and not x.dtype.is_floating_point:
        raise _not_implemented("round", x.dtype, x.device)
    return ("round_pos" if decimals > 0 else "round_neg"), 10.0 ** _b.abs(decimals)


def round(input, decimals: int = 0, *, out=None):
    """Round half to even (torch.round); ``decimals`` rounds to that many decimal places."""
    op, p = _round_op(input, decimals)
    if out is not None:
        _no_out_grad("round", input, out)
        return _unary("round", input, out=out, op=op, p=p)
    return (_RoundDecimals if decimals else _Round).apply(input, op=op, p=p)


def round_(input, decimals: int = 0):
    op, p = _round_op(input, decimals)
    _pre_inplace(input)
    return (_RoundDecimals if decimals else _Round).apply(input, True, op=op, p=p)


# ----------------------------------------------------------------------------- binary
_COMPARISONS = {"eq", "ne", "lt", "le", "gt", "ge"}
_LOGICAL = {"logical_and", "logical_or", "logical_xor"}


def _binary(name: str, a, b, *, out=None, inplace=False, alpha=1, rounding_mode=None):
    """Plan and launch a binary op (see the module docstring)."""
    fn_name = name.rstrip("_")
    if inplace and not isinstance(a, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(a).__name__}")
    a, b = _operands(fn_name, a, b)
    common = dt.result_type(a, b)
    dev = (a if isinstance(a, Tensor) else b).device
    op, res, extra = fn_name, common, 0
    compute = _compute(common)
    if fn_name in ("add", "sub"):
        alpha = _scalar(alpha, fn_name, "alpha", 3)
        if isinstance(alpha, Tensor):
            raise TypeError(f"{fn_name}(): argument 'alpha' must be Number, not Tensor")
        if fn_name == "sub" and dt.bool_ in (_dtype_of(a), _dtype_of(b)):
            if _dtype_of(a) is dt.bool_ and _dtype_of(b) is dt.bool_:
                raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. "
                                   "Use the `^` or `logical_xor()` operator instead.")
            raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. "
                               "If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.")
        if isinstance(alpha, bool) and common is not dt.bool_:
            raise RuntimeError("Boolean alpha only supported for Boolean results.")
        if isinstance(alpha, float) and not common.is_floating_point:
            raise RuntimeError("For integral input tensors, argument alpha must not be a floating point number.")
        if alpha != 1:
            op, extra = fn_name + "_alpha", alpha
    elif fn_name in ("div", "true_divide", "floor_divide"):
        if fn_name == "floor_divide":
            rounding_mode = "floor"
        if rounding_mode is None:
            op = "div"
            res = common if common.is_floating_point else _default_float()
            compute = _compute(res)
        elif rounding_mode in ("trunc", "floor"):
            if common is dt.bool_:
                raise _not_implemented("div_" + rounding_mode, common, dev)
            op = "div_" + rounding_mode
        else:
            raise RuntimeError("div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
                               f"'{rounding_mode}'")
    elif fn_name in ("remainder", "fmod"):
        if common is dt.bool_:
            raise _not_implemented(fn_name, common, dev)
    elif fn_name == "pow":
        if common is dt.bool_:
            raise _not_implemented("pow", common, dev)
        if (not isinstance(b, Tensor) and not isinstance(b, float) and not _dtype_of(a).is_floating_point
                and b < 0):
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        special = {2: "square", 3: "cube", 0.5: "sqrt", -0.5: "rsqrt", -1: "reciprocal", -2: "inv_square"}
        if (isinstance(a, Tensor) and not isinstance(b, Tensor) and not isinstance(b, bool)
                and (common.is_floating_point or b in (2, 3)) and b in special):
            if inplace:
                out = a
            r = _run("unary", special[b], [a], res, compute, out=out)
            return _finish_inplace(r) if (inplace or out is not None) else r
    elif fn_name in _COMPARISONS or fn_name in _LOGICAL:
        res = dt.bool_
    elif fn_name in ("bitwise_and", "bitwise_or", "bitwise_xor"):
        if common.is_floating_point:
            raise _not_implemented(fn_name, common, dev)
    elif fn_name not in ("mul", "maximum", "minimum"):
        raise AssertionError(name)
    if op in ("div_trunc", "div_floor", "remainder", "fmod") and not compute.is_floating_point:
        _check_zero_divisor(b)
    if inplace:
        out = a
    r = _run("binary", op, [a, b], res, compute, common=common, out=out, extra=extra,
             check_cast=res is not dt.bool_)
    return _finish_inplace(r) if (inplace or out is not None) else r


def _check_zero_divisor(b):
    """torch raises for integer division by zero on the cpu (a cuda check would need a sync)."""
    if isinstance(b, Tensor):
        if b.device.type == "cpu" and b.numel() and bool((b.numpy(force=True) == 0).any()):
            raise RuntimeError("ZeroDivisionError")
    elif b == 0:
        raise RuntimeError("ZeroDivisionError")


class _Binary(Function):
    """Base of the binary Functions. forward runs ``_binary(cls._op)`` (in place when ``inplace``;
    keyword options such as alpha land in ctx.kw) and saves what ``cls._saves(needs_a, needs_b)``
    asks for among (a, b, result); an in-place op clones its first operand before overwriting it
    when backward needs it. ``cls._grads(ctx, g, a, b, r, na, nb)`` gives the gradients w.r.t.
    the broadcast result, then summed to each operand's shape, dtype and device."""
    _op = ""

    @staticmethod
    def _saves(na, nb):
        return False, False, False

    @classmethod
    def forward(cls, ctx, a, b, inplace=False, **kw):
        ctx.meta, ctx.kw = (_meta(a), _meta(b)), kw
        sa, sb, sr = cls._saves(*ctx.needs_input_grad[:2])
        a0 = a.clone() if inplace and isinstance(a, Tensor) and (sa or (sb and b is a)) else a
        out = _binary(cls._op + "_" if inplace else cls._op, a, b, inplace=inplace, **kw)
        if inplace:
            ctx.mark_dirty(a)
        _save(ctx, a0 if sa else None, (a0 if b is a else b) if sb else None, out if sr else None)
        return out

    @classmethod
    def backward(cls, ctx, grad):
        na, nb = ctx.needs_input_grad[:2]
        ga, gb = cls._grads(ctx, grad, *_load(ctx), na, nb)
        return (_to_operand(ga, ctx.meta[0]) if na else None, _to_operand(gb, ctx.meta[1]) if nb else None, None)


class _Add(_Binary):
    _op, _backward_name, _sign = "add", "AddBackward0", 1

    @classmethod
    def _grads(cls, ctx, g, a, b, r, na, nb):
        alpha = cls._sign * ctx.kw.get("alpha", 1)
        return g, ((g if alpha == 1 else g * alpha) if nb else None)


class _Sub(_Add):
    _op, _backward_name, _sign = "sub", "SubBackward0", -1


class _Rsub(_Sub):  # number - tensor
    _backward_name = "RsubBackward1"


class _Mul(_Binary):
    _op, _backward_name = "mul", "MulBackward0"
    _saves = staticmethod(lambda na, nb: (nb, na, False))

    @staticmethod
    def _grads(ctx, g, a, b, r, na, nb):
        return (g * b if na else None), (g * a if nb else None)


class _Div(_Binary):
    _op, _backward_name = "div", "DivBackward0"
    _saves = staticmethod(lambda na, nb: (nb, True, False))

    @staticmethod
    def _grads(ctx, g, a, b, r, na, nb):
        return (g / b if na else None), ((g * (a / b) / b).neg_() if nb else None)


class _TrueDivide(_Div):
    _op = "true_divide"


class _ZeroGrad(_Binary):
    """Results without a gradient (rounded division; in-place comparisons, logical ops and
    floor_divide_ on a float tensor): the operands' histories get zeros."""

    @staticmethod
    def _grads(ctx, g, a, b, r, na, nb):
        return (_zeros(ctx.meta[0]) if na else None), (_zeros(ctx.meta[1]) if nb else None)


class _DivRounded(_ZeroGrad):
    _op, _backward_name = "div", "DivBackward2"


class _DivRoundedScalar(_DivRounded):
    _backward_name = "DivBackward3"


_ZERO_GRAD_CLASSES: dict = {}


def _zero_grad_cls(op: str, other):
    """The _ZeroGrad Function of an in-place non-differentiable op (EqBackward0 / EqBackward1 ...)."""
    key = (op, isinstance(other, Tensor))
    cls = _ZERO_GRAD_CLASSES.get(key)
    if cls is None:
        name = "".join(w.title() for w in op.split("_")) + f"Backward{int(key[1])}"
        cls = _ZERO_GRAD_CLASSES[key] = type(f"_{name}", (_ZeroGrad,), {"_op": op, "_backward_name": name})
    return cls


class _Remainder(_Binary):
    """d/dother of a - b * round(a / b) is -round(a / b): floor for remainder, trunc for fmod."""
    _op, _backward_name, _mode = "remainder", "RemainderBackward1", "floor"
    _saves = staticmethod(lambda na, nb: (nb, nb, False))

    @classmethod
    def _grads(cls, ctx, g, a, b, r, na, nb):
        return g, ((g * div(a, b, rounding_mode=cls._mode)).neg_() if nb else None)


class _RemainderScalar(_Remainder):
    _backward_name = "RemainderBackward0"


class _Fmod(_Remainder):
    _op, _backward_name, _mode = "fmod", "FmodBackward1", "trunc"


class _FmodScalar(_Fmod):
    _backward_name = "FmodBackward0"


class _PowScalar(_Binary):
    """tensor ** number: exponent * x ** (exponent - 1), zero for exponent 0."""
    _op, _backward_name = "pow", "PowBackward0"
    _saves = staticmethod(lambda na, nb: (na, True, False))

    @staticmethod
    def _grads(ctx, g, a, b, r, na, nb):
        if b == 0:
            return _zeros(ctx.meta[0]), None
        return g * (a if b - 1 == 1 else a ** (b - 1)) * b, None


class _PowTensor(_Binary):
    """tensor ** tensor: the input's gradient is 0 where the exponent is 0; the exponent's,
    result * log(input), is 0 where input == 0 and exponent >= 0."""
    _op, _backward_name = "pow", "PowBackward1"
    _saves = staticmethod(lambda na, nb: (True, True, nb))

    @staticmethod
    def _grads(ctx, g, a, b, r, na, nb):
        a, b = (v if v.dtype is g.dtype else v.to(g.dtype) for v in (a, b))
        ga = where(eq(b, 0), 0.0, g * b * a ** (b - 1)) if na else None
        gb = where(logical_and(eq(a, 0), ge(b, 0)), 0.0, g * r * log(a)) if nb else None
        return ga, gb


class _RPow(_Binary):
    """number ** tensor: result * log(number) (0 where the number is 0 and the exponent >= 0)."""
    _op, _backward_name = "pow", "PowBackward2"
    _saves = staticmethod(lambda na, nb: (True, nb, nb))

    @staticmethod
    def _grads(ctx, g, a, b, r, na, nb):
        base = _b.float(a)
        gb = g * r * (math.log(base) if base > 0 else (-math.inf if base == 0 else math.nan))
        return None, (where(ge(b, 0), 0.0, gb) if base == 0 else gb)


class _Maximum(_Binary):
    """The larger operand gets the gradient; ties give half to each (NaN: both get it)."""
    _op, _backward_name, _max = "maximum", "MaximumBackward0", True
    _saves = staticmethod(lambda na, nb: (True, True, False))

    @classmethod
    def _grads(cls, ctx, g, a, b, r, na, nb):
        loses = lt if cls._max else gt
        half = where(eq(a, b), g * 0.5, g)
        return (where(loses(a, b), 0.0, half) if na else None), (where(loses(b, a), 0.0, half) if nb else None)


class _Minimum(_Maximum):
    _op, _backward_name, _max = "minimum", "MinimumBackward0", False


def _call(fn_cls, name: str, a, b, out, **kw):
    """Out of place: the Function (or, with ``out=``, the plain kernel after the autograd check)."""
    if out is not None:
        _no_out_grad(name, a, b, out)
        return _binary(name, a, b, out=out, **kw)
    return fn_cls.apply(a, b, **kw)


def _call_(fn_cls, a, b, **kw):
    """In place: the leaf checks, then the Function on ``a``."""
    _pre_inplace(a, b)
    return fn_cls.apply(a, b, True, **kw)


def add(input, other, *, alpha=1, out=None):
    """input + alpha * other."""
    return _call(_Add, "add", input, other, out, alpha=alpha)


def sub(input, other, *, alpha=1, out=None):
    """input - alpha * other."""
    return _call(_Sub if isinstance(input, Tensor) else _Rsub, "sub", input, other, out, alpha=alpha)


def add_(input, other, *, alpha=1):
    return _call_(_Add, input, other, alpha=alpha)


def sub_(input, other, *, alpha=1):
    return _call_(_Sub, input, other, alpha=alpha)


def _div_cls(other, rounding_mode):
    if rounding_mode is None:
        return _Div
    return _DivRounded if isinstance(other, Tensor) else _DivRoundedScalar


def div(input, other, *, rounding_mode=None, out=None):
    """True division (ints give the default float dtype), or rounded with 'trunc' / 'floor'."""
    return _call(_div_cls(other, rounding_mode), "div", input, other, out, rounding_mode=rounding_mode)


def div_(input, other, *, rounding_mode=None):
    return _call_(_div_cls(other, rounding_mode), input, other, rounding_mode=rounding_mode)


def _make_binary(name: str, doc: str, pick=None):
    """fn, fn_ for a binary op; ``pick(a, b)`` chooses its Function (None: no gradient)."""
    def fn(input, other, *, out=None):
        if pick is None:
            return _binary(name, input, other, out=out)
        return _call(pick(input, other), name, input, other, out)

    def fn_(input, other):
        return _call_(pick(input, other) if pick else _zero_grad_cls(name, other), input, other)

    fn.__name__, fn_.__name__ = name, name + "_"
    fn.__doc__, fn_.__doc__ = doc, f"In-place {name}."
    return fn, fn_


def _by_other(tensor_cls, scalar_cls):
    return lambda a, b: tensor_cls if isinstance(b, Tensor) else scalar_cls


def _pick_pow(a, b):
    if not isinstance(a, Tensor):
        return _RPow
    return _PowTensor if isinstance(b, Tensor) else _PowScalar


mul, mul_ = _make_binary("mul", "input * other.", lambda a, b: _Mul)
true_divide, _ = _make_binary("true_divide", "input / other (true division).", lambda a, b: _TrueDivide)
floor_divide, floor_divide_ = _make_binary("floor_divide", "floor(input / other), as Python's //.")
remainder, remainder_ = _make_binary("remainder", "Python's modulus: the result has the sign of other.",
                                     _by_other(_Remainder, _RemainderScalar))
fmod, fmod_ = _make_binary("fmod", "C's fmod: the result has the sign of input.", _by_other(_Fmod, _FmodScalar))
pow, pow_ = _make_binary("pow", "input ** exponent.", _pick_pow)
maximum, maximum_ = _make_binary("maximum", "Elementwise max; NaN propagates.", lambda a, b: _Maximum)
minimum, minimum_ = _make_binary("minimum", "Elementwise min; NaN propagates.", lambda a, b: _Minimum)
logical_and, logical_and_ = _make_binary("logical_and", "(input != 0) & (other != 0), bool.")
logical_or, logical_or_ = _make_binary("logical_or", "(input != 0) | (other != 0), bool.")
logical_xor, logical_xor_ = _make_binary("logical_xor", "(input != 0) ^ (other != 0), bool.")
bitwise_and, bitwise_and_ = _make_binary("bitwise_and", "input & other (integers and bool).")
bitwise_or, bitwise_or_ = _make_binary("bitwise_or", "input | other (integers and bool).")
bitwise_xor, bitwise_xor_ = _make_binary("bitwise_xor", "input ^ other (integers and bool).")
_eq, eq_ = _make_binary("eq", "input == other, bool.")
_ne, ne_ = _make_binary("ne", "input != other, bool.")
lt, lt_ = _make_binary("lt", "input < other, bool.")
le, le_ = _make_binary("le", "input <= other, bool.")
gt, gt_ = _make_binary("gt", "input > other, bool.")
ge, ge_ = _make_binary("ge", "input >= other, bool.")


def eq(input, other, *, out=None):
    """input == other, bool. (``tensor == None`` is False, as Python's default comparison.)"""
    if other is None:
        return False
    return _eq(input, other, out=out)


def ne(input, other, *, out=None):
    """input != other, bool."""
    if other is None:
        return True
    return _ne(input, other, out=out)


subtract, multiply, divide = sub, mul, div
greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne


# ----------------------------------------------------------------------------- ternary
def _where(condition, input, other, *, out=None):
    if not isinstance(condition, Tensor):
        raise TypeError(f"where(): argument 'condition' (position 1) must be Tensor, not {type(condition).__name__}")
    if condition.dtype is not dt.bool_:
        raise RuntimeError("where expected condition to be a boolean tensor, but got a tensor with dtype "
                           f"{_tname(condition.dtype)}")
    x = _scalar(input, "where", "input", 2)
    y = _scalar(other, "where", "other", 3)
    res = dt.result_type(x, y)  # two scalars: their own promotion (floats give the default dtype)
    r = _run("ternary", "where", [condition, x, y], res, _compute(res), out=out, a_compute=dt.bool_)
    return _finish_inplace(r) if out is not None else r


class _Where(Function):
    """Each branch gets the gradient where it was selected, zero elsewhere."""
    _backward_name = "WhereBackward0"

    @staticmethod
    def forward(ctx, condition, x, y):
        ctx.meta = (_meta(x), _meta(y))
        ctx.save_for_backward(condition)
        return _where(condition, x, y)

    @staticmethod
    def backward(ctx, grad):
        (c,) = ctx.saved_tensors
        _, nx, ny = ctx.needs_input_grad
        return (None, _to_operand(where(c, grad, 0.0), ctx.meta[0]) if nx else None,
                _to_operand(where(c, 0.0, grad), ctx.meta[1]) if ny else None)


def where(condition, input=None, other=None, *, out=None):
    """condition ? input : other, broadcasting all three; where(condition) is nonzero(as_tuple=True)."""
    if input is None and other is None:
        from .indexing import nonzero
        return nonzero(condition, as_tuple=True)
    if out is not None:
        _no_out_grad("where", input, other, out)
        return _where(condition, input, other, out=out)
    return _Where.apply(condition, input, other)


def _clamp(name: str, input, min=None, max=None, *, out=None, inplace=False):
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    lo = None if min is None else _scalar(min, name, "min", 2)
    hi = None if max is None else _scalar(max, name, "max", 3)
    common = dt.result_type(input, *[v for v in (lo, hi) if v is not None])
    if common is dt.bool_:
        raise _not_implemented("clamp", common, input.device)
    if inplace:
        out = input
    if hi is None:
        r = _run("binary", "maximum", [input, lo], common, _compute(common), out=out)
    elif lo is None:
        r = _run("binary", "minimum", [input, hi], common, _compute(common), out=out)
    else:
        r = _run("ternary", "clamp", [input, lo, hi], common, _compute(common), out=out)
    return _finish_inplace(r) if (inplace or out is not None) else r


class _Clamp(Function):
    """clamp / clamp_min / clamp_max, bounds None, numbers or tensors (torch's clamp_backward and
    clamp_backward_min_max): the input gets the gradient where min <= x <= max; a tensor min where
    x < min < max; a tensor max where x > max or max < min."""
    _backward_name = "ClampBackward1"

    @staticmethod
    def forward(ctx, x, lo, hi, inplace=False, name="clamp"):
        ctx.meta = (_meta(x), _meta(lo), _meta(hi))
        x0 = x.clone() if inplace and _b.any(ctx.needs_input_grad[:3]) else x
        out = _clamp(name, x, lo, hi, inplace=inplace)
        if inplace:
            ctx.mark_dirty(x)
        _save(ctx, x0, lo, hi)
        return out

    @staticmethod
    def backward(ctx, g):
        x, lo, hi = _load(ctx)
        nx, nlo, nhi = ctx.needs_input_grad[:3]
        gx = glo = ghi = None
        if lo is not None and hi is not None:
            gx = where(logical_and(ge(x, lo), le(x, hi)), g, 0.0) if nx else None
            glo = where(logical_and(lt(x, lo), lt(lo, hi)), g, 0.0) if nlo else None
            ghi = where(logical_or(gt(x, hi), lt(hi, lo)), g, 0.0) if nhi else None
        elif lo is not None:
            gx = where(ge(x, lo), g, 0.0) if nx else None
            glo = where(lt(x, lo), g, 0.0) if nlo else None
        else:
            gx = where(le(x, hi), g, 0.0) if nx else None
            ghi = where(gt(x, hi), g, 0.0) if nhi else None
        return tuple(None if v is None else _to_operand(v, m) for v, m in zip((gx, glo, ghi), ctx.meta)) + (None,)


def _clamp_fn(base: str, tensor_bound: bool):
    name = {"clamp": "Clamp", "clamp_min": "ClampMin", "clamp_max": "ClampMax"}[base]
    number, tensor = (0, 1) if base != "clamp" else (1, 0)  # torch numbers clamp.Tensor 0, clamp.Scalar 1
    return type(f"_{name}{tensor_bound}", (_Clamp,),
                {"_backward_name": f"{name}Backward{tensor if tensor_bound else number}"})


_CLAMP_CLASSES = {(b, t): _clamp_fn(b, t) for b in ("clamp", "clamp_min", "clamp_max") for t in (False, True)}


def _call_clamp(name: str, input, lo, hi, out=None, inplace=False):
    if out is not None:
        _no_out_grad(name, input, lo, hi, out)
        return _clamp(name, input, lo, hi, out=out)
    if inplace:
        _pre_inplace(input, lo, hi)
    cls = _CLAMP_CLASSES[(name.rstrip("_"), isinstance(lo, Tensor) or isinstance(hi, Tensor))]
    return cls.apply(input, lo, hi, inplace, name=name)


def clamp(input, min=None, max=None, *, out=None):
    """min(max(input, min), max) with type promotion; min/max are numbers or tensors; NaN propagates."""
    return _call_clamp("clamp", input, min, max, out)


def clamp_(input, min=None, max=None):
    return _call_clamp("clamp_", input, min, max, inplace=True)


def clamp_min(input, min, *, out=None):
    return _call_clamp("clamp_min", input, min, None, out)


def clamp_max(input, max, *, out=None):
    return _call_clamp("clamp_max", input, None, max, out)


def clamp_min_(input, min):
    return _call_clamp("clamp_min_", input, min, None, inplace=True)


def clamp_max_(input, max):
    return _call_clamp("clamp_max_", input, None, max, inplace=True)


clip, clip_ = clamp, clamp_


def _lerp(name: str, input, end, weight, *, out=None, inplace=False):
    for arg, v, pos in (("input", input, 1), ("end", end, 2)):
        if not isinstance(v, Tensor):
            raise TypeError(f"{name}(): argument '{arg}' (position {pos}) must be Tensor, not {type(v).__name__}")
    w = _scalar(weight, name, "weight", 3)
    if not input.dtype.is_floating_point:
        raise _not_implemented("lerp_kernel_scalar" if not isinstance(w, Tensor) else "lerp_kernel_tensor",
                               input.dtype, input.device)
    if end.dtype is not input.dtype:
        raise RuntimeError(f"expected dtype {_CPP_NAMES[input.dtype]} for `end` but got dtype "
                           f"{_CPP_NAMES.get(end.dtype, end.dtype.name)}")
    if isinstance(w, Tensor) and w.dtype is not input.dtype:
        raise RuntimeError(f"expected dtype {_CPP_NAMES[input.dtype]} for `weight` but got dtype "
                           f"{_CPP_NAMES.get(w.dtype, w.dtype.name)}")
    if inplace:
        out = input
    r = _run("ternary", "lerp", [input, end, w], input.dtype, _compute(input.dtype), out=out)
    return _finish_inplace(r) if (inplace or out is not None) else r


class _Lerp(Function):
    """input: grad * (1 - weight); end: grad * weight; a tensor weight: grad * (end - input)."""
    _backward_name = "LerpBackward0"

    @staticmethod
    def forward(ctx, x, end, w, inplace=False):
        nw = ctx.needs_input_grad[2]
        ctx.meta = (_meta(x), _meta(end), _meta(w))
        x0 = x.clone() if inplace and nw else x
        out = _lerp("lerp_" if inplace else "lerp", x, end, w, inplace=inplace)
        if inplace:
            ctx.mark_dirty(x)
        _save(ctx, x0 if nw else None, end if nw else None, w)
        return out

    @staticmethod
    def backward(ctx, g):
        x, end, w = _load(ctx)
        nx, ne_, nw = ctx.needs_input_grad[:3]
        return (_to_operand(g * (1 - w), ctx.meta[0]) if nx else None,
                _to_operand(g * w, ctx.meta[1]) if ne_ else None,
                _to_operand(g * (end - x), ctx.meta[2]) if nw else None, None)


class _LerpTensor(_Lerp):
    _backward_name = "LerpBackward1"


def lerp(input, end, weight, *, out=None):
    """input + weight * (end - input), in torch's two-sided form (exact at weight 0 and 1)."""
    if out is not None:
        _no_out_grad("lerp", input, end, weight, out)
        return _lerp("lerp", input, end, weight, out=out)
    return (_LerpTensor if isinstance(weight, Tensor) else _Lerp).apply(input, end, weight)


def lerp_(input, end, weight):
    _pre_inplace(input, end, weight)
    return (_LerpTensor if isinstance(weight, Tensor) else _Lerp).apply(input, end, weight, True)
