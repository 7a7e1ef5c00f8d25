"""Elementwise ops: unary math, binary arithmetic and comparisons, where, clamp, lerp.

Operands are cast to torch's common dtype first (so a float32 array compared with 0.1 sees
0.1 rounded to float32), then computed in float64 (int64 for integer results)."""
from __future__ import annotations

import math

import numpy as np

from ..runtime import dtypes as dt
from ._util import cast, dtype_of, f64, finalize, grad_for, needs_grad, result_type, vals

__all__ = []  # filled by _export below

LN2 = math.log(2.0)


def _export(**fns):
    globals().update(fns)
    __all__.extend(fns)


def _no_grad_unary(grad_output, input):
    """The backward of an op without a gradient (bool or integer results)."""
    return (None,)


def _no_grad_binary(grad_output, input, other):
    return None, None


# ----------------------------------------------------------------------------- unary
def _float_result(x):
    """Float math on an integer/bool array gives the default float dtype."""
    d = dtype_of(x)
    return d if d.is_floating_point else dt.get_default_dtype()


def _float_unary(name, fwd, deriv):
    """An op on floats: f(x) = fwd(x); its backward is grad * deriv(x, f(x)), both float64."""
    def op(input):
        d = _float_result(input)
        return cast(fwd(vals(input, d)), d)

    def backward(grad_output, input):
        if not needs_grad(input):
            return (None,)
        x = f64(input)
        return (f64(grad_output) * deriv(x, fwd(x)),)

    op.__name__, backward.__name__ = name, name + "_backward"
    op.__doc__ = f"torch.{name} in float64 (integer inputs give the default float dtype)."
    _export(**{name: op, name + "_backward": backward})


_float_unary("exp", np.exp, lambda x, y: y)
_float_unary("exp2", np.exp2, lambda x, y: y * LN2)
_float_unary("expm1", np.expm1, lambda x, y: y + 1.0)
_float_unary("log", np.log, lambda x, y: 1.0 / x)
_float_unary("log2", np.log2, lambda x, y: 1.0 / (x * LN2))
_float_unary("log1p", np.log1p, lambda x, y: 1.0 / (1.0 + x))
_float_unary("sqrt", np.sqrt, lambda x, y: 0.5 / y)
_float_unary("rsqrt", lambda x: 1.0 / np.sqrt(x), lambda x, y: -0.5 * y ** 3)
_float_unary("reciprocal", lambda x: 1.0 / x, lambda x, y: -y * y)
_float_unary("sin", np.sin, lambda x, y: np.cos(x))
_float_unary("cos", np.cos, lambda x, y: -np.sin(x))
_float_unary("tanh", np.tanh, lambda x, y: 1.0 - y * y)
_float_unary("sigmoid", lambda x: 1.0 / (1.0 + np.exp(-x)), lambda x, y: y * (1.0 - y))


def _same_unary(name, fwd, deriv, result=None):
    """An op whose result keeps the input dtype (``result`` maps it otherwise); integers are
    computed exactly in int64. deriv(x) is the derivative (torch's convention at breakpoints),
    None for a zero gradient."""
    def op(input):
        d = dtype_of(input)
        r = result(d) if result else d
        return cast(fwd(vals(input, r)), r)

    def backward(grad_output, input):
        if not needs_grad(input):
            return (None,)
        if deriv is None:
            return (np.zeros(np.shape(input)),)
        return (f64(grad_output) * deriv(f64(input)),)

    op.__name__, backward.__name__ = name, name + "_backward"
    op.__doc__ = f"torch.{name} in float64 / int64, result in the input's dtype."
    _export(**{name: op, name + "_backward": backward})


_same_unary("neg", np.negative, lambda x: -np.ones_like(x))
_same_unary("abs", np.abs, np.sign)                         # abs'(0) = 0
_same_unary("sign", np.sign, None)
_same_unary("relu", lambda x: np.maximum(x, 0), lambda x: (x > 0).astype(np.float64))  # relu'(0) = 0
_same_unary("floor", np.floor, None)
_same_unary("ceil", np.ceil, None)
_same_unary("trunc", np.trunc, None)
_same_unary("square", lambda x: x * x, lambda x: 2.0 * x,
            result=lambda d: dt.int64 if d is dt.bool_ else d)


def round(input, decimals: int = 0):
    """torch.round: half to even, to ``decimals`` decimal places."""
    d = dtype_of(input)
    x = vals(input, d)
    return cast(np.round(x, decimals) if d.is_floating_point else x, d)


def round_backward(grad_output, input, decimals: int = 0):
    return (np.zeros(np.shape(input)) if needs_grad(input) else None,)


def _bool_unary(name, fwd):
    def op(input):
        return cast(fwd(vals(input, dtype_of(input))), dt.bool_)

    op.__name__, op.__doc__ = name, f"torch.{name}: a bool array."
    _export(**{name: op, name + "_backward": _no_grad_unary})


_bool_unary("isnan", np.isnan)
_bool_unary("isinf", np.isinf)
_bool_unary("isfinite", np.isfinite)
_bool_unary("logical_not", lambda x: x == 0)


def bitwise_not(input):
    d = dtype_of(input)
    x = vals(input, d)
    return cast(x == 0 if d is dt.bool_ else ~x, d)


bitwise_not_backward = _no_grad_unary
negative, negative_backward = neg, neg_backward
absolute, absolute_backward = abs, abs_backward
fix, fix_backward = trunc, trunc_backward
__all__ += ["round", "round_backward", "bitwise_not", "bitwise_not_backward", "negative", "negative_backward",
            "absolute", "absolute_backward", "fix", "fix_backward"]


# ----------------------------------------------------------------------------- binary
def _common(input, other):
    d = result_type(input, other)
    return d, vals(input, d), vals(other, d)


def _fv(x, d):
    """Operand x cast to the common dtype d, as float64 (for gradient formulas)."""
    return vals(x, d).astype(np.float64)


def add(input, other, *, alpha=1):
    """input + alpha * other."""
    d, a, b = _common(input, other)
    return cast(a + alpha * b, d)


def add_backward(grad_output, input, other, *, alpha=1):
    g = f64(grad_output)
    return grad_for(input, g), grad_for(other, g * alpha)


def sub(input, other, *, alpha=1):
    """input - alpha * other."""
    d, a, b = _common(input, other)
    return cast(a - alpha * b, d)


def sub_backward(grad_output, input, other, *, alpha=1):
    g = f64(grad_output)
    return grad_for(input, g), grad_for(other, -alpha * g)


def mul(input, other):
    d, a, b = _common(input, other)
    return cast(a * b, d)


def mul_backward(grad_output, input, other):
    d, g = result_type(input, other), f64(grad_output)
    return grad_for(input, g * _fv(other, d)), grad_for(other, g * _fv(input, d))


def _trunc_div(a, b):
    """C division: the quotient rounded toward zero (exact for int64)."""
    if a.dtype.kind == "f":
        return np.trunc(a / b)
    return np.sign(a) * np.sign(b) * (np.abs(a) // np.abs(b))


def div(input, other, *, rounding_mode=None):
    """True division (integers give the default float dtype), or 'trunc' / 'floor' rounded."""
    d, a, b = _common(input, other)
    if rounding_mode is None:
        r = d if d.is_floating_point else dt.get_default_dtype()
        return cast(np.asarray(a, np.float64) / b, r)
    if rounding_mode == "trunc":
        return cast(_trunc_div(a, b), d)
    if rounding_mode == "floor":
        return cast(np.floor_divide(a, b), d)
    raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '{rounding_mode}'")


def div_backward(grad_output, input, other, *, rounding_mode=None):
    """Rounded division has a zero gradient (as torch)."""
    d, g = result_type(input, other), f64(grad_output)
    if rounding_mode is not None:
        z = np.zeros_like(g)
        return grad_for(input, z), grad_for(other, z)
    a, b = _fv(input, d), _fv(other, d)
    return grad_for(input, g / b), grad_for(other, -g * a / (b * b))


def true_divide(input, other):
    return div(input, other)


def true_divide_backward(grad_output, input, other):
    return div_backward(grad_output, input, other)


def floor_divide(input, other):
    return div(input, other, rounding_mode="floor")


def floor_divide_backward(grad_output, input, other):
    return div_backward(grad_output, input, other, rounding_mode="floor")


def remainder(input, other):
    """Python's modulus: the result has the sign of other."""
    d, a, b = _common(input, other)
    return cast(np.remainder(a, b), d)


def remainder_backward(grad_output, input, other):
    d, g = result_type(input, other), f64(grad_output)
    return grad_for(input, g), grad_for(other, -g * np.floor_divide(_fv(input, d), _fv(other, d)))


def fmod(input, other):
    """C's fmod: the result has the sign of input."""
    d, a, b = _common(input, other)
    return cast(np.fmod(a, b), d)


def fmod_backward(grad_output, input, other):
    d, g = result_type(input, other), f64(grad_output)
    return grad_for(input, g), grad_for(other, -g * _trunc_div(_fv(input, d), _fv(other, d)))


def pow(input, other):
    """input ** other; integer powers with a negative exponent are 0 unless the base is +-1."""
    d, a, b = _common(input, other)
    if d.is_floating_point:
        return cast(np.power(a, b), d)
    a, b = np.broadcast_arrays(a, b)
    r = np.power(a, np.maximum(b, 0))
    neg = np.where(a == 1, 1, np.where(a == -1, 1 - 2 * (np.abs(b) % 2), 0))
    return cast(np.where(b < 0, neg, r), d)


def pow_backward(grad_output, input, other):
    """torch: d/dinput = other * input^(other-1) (0 where other == 0); d/dother = out * log(input)
    (0 where input == 0 and other >= 0)."""
    d, g = result_type(input, other), f64(grad_output)
    a, b = _fv(input, d), _fv(other, d)
    out = np.power(a, b)
    ga = np.where(b == 0, 0.0, g * b * np.power(a, b - 1))
    gb = np.where((a == 0) & (b >= 0), 0.0, g * out * np.log(a))
    return grad_for(input, ga), grad_for(other, gb)


def maximum(input, other):
    """Elementwise max; NaN propagates."""
    d, a, b = _common(input, other)
    return cast(np.maximum(a, b), d)


def maximum_backward(grad_output, input, other):
    """Ties split the gradient evenly (grad / 2 to each), as torch."""
    d, g = result_type(input, other), f64(grad_output)
    a, b = _fv(input, d), _fv(other, d)
    half = np.where(a == b, g / 2, g)
    return grad_for(input, np.where(a < b, 0.0, half)), grad_for(other, np.where(a > b, 0.0, half))


def minimum(input, other):
    d, a, b = _common(input, other)
    return cast(np.minimum(a, b), d)


def minimum_backward(grad_output, input, other):
    d, g = result_type(input, other), f64(grad_output)
    a, b = _fv(input, d), _fv(other, d)
    half = np.where(a == b, g / 2, g)
    return grad_for(input, np.where(a > b, 0.0, half)), grad_for(other, np.where(a < b, 0.0, half))


def _bool_binary(name, fwd):
    """A comparison / logical op: operands compared in their common dtype; a bool result."""
    def op(input, other):
        _, a, b = _common(input, other)
        return cast(fwd(a, b), dt.bool_)

    op.__name__, op.__doc__ = name, f"torch.{name}: a bool array (no gradient)."
    _export(**{name: op, name + "_backward": _no_grad_binary})


_bool_binary("eq", np.equal)
_bool_binary("ne", np.not_equal)
_bool_binary("lt", np.less)
_bool_binary("le", np.less_equal)
_bool_binary("gt", np.greater)
_bool_binary("ge", np.greater_equal)
_bool_binary("logical_and", lambda a, b: (a != 0) & (b != 0))
_bool_binary("logical_or", lambda a, b: (a != 0) | (b != 0))
_bool_binary("logical_xor", lambda a, b: (a != 0) ^ (b != 0))


def _bitwise(name, fwd):
    def op(input, other):
        d, a, b = _common(input, other)
        return cast(fwd(a, b), d)

    op.__name__, op.__doc__ = name, f"torch.{name} (integers and bool)."
    _export(**{name: op, name + "_backward": _no_grad_binary})


_bitwise("bitwise_and", np.bitwise_and)
_bitwise("bitwise_or", np.bitwise_or)
_bitwise("bitwise_xor", np.bitwise_xor)

subtract, subtract_backward = sub, sub_backward
multiply, multiply_backward = mul, mul_backward
divide, divide_backward = div, div_backward
greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne
greater_backward = greater_equal_backward = less_backward = less_equal_backward = not_equal_backward = \
    _no_grad_binary
__all__ += ["add", "add_backward", "sub", "sub_backward", "mul", "mul_backward", "div", "div_backward",
            "true_divide", "true_divide_backward", "floor_divide", "floor_divide_backward", "remainder",
            "remainder_backward", "fmod", "fmod_backward", "pow", "pow_backward", "maximum", "maximum_backward",
            "minimum", "minimum_backward", "subtract", "subtract_backward", "multiply", "multiply_backward",
            "divide", "divide_backward", "greater", "greater_equal", "less", "less_equal", "not_equal",
            "greater_backward", "greater_equal_backward", "less_backward", "less_equal_backward",
            "not_equal_backward"]


# ----------------------------------------------------------------------------- ternary
def where(condition, input=None, other=None):
    """condition ? input : other, broadcasting all three (input/other promoted together);
    where(condition) is the tuple of its nonzero coordinates."""
    if input is None and other is None:
        return tuple(i.astype(np.int64) for i in np.nonzero(np.atleast_1d(condition)))
    d = result_type(input, other)
    return cast(np.where(np.asarray(condition, bool), vals(input, d), vals(other, d)), d)


def where_backward(grad_output, condition, input=None, other=None):
    g, c = f64(grad_output), np.asarray(condition, bool)
    return None, grad_for(input, np.where(c, g, 0.0)), grad_for(other, np.where(c, 0.0, g))


def clamp(input, min=None, max=None):
    """min(max(input, min), max): min > max gives max; NaN propagates."""
    d = result_type(input, min, max)
    x = vals(input, d)
    if min is not None:
        x = np.maximum(x, vals(min, d))
    if max is not None:
        x = np.minimum(x, vals(max, d))
    return cast(x, d)


def clamp_backward(grad_output, input, min=None, max=None):
    """torch: input gets the gradient where min <= input <= max (inclusive); a tensor min gets it
    where input < min < max, a tensor max where input > max or max < min."""
    d, g = result_type(input, min, max), f64(grad_output)
    x = _fv(input, d)
    lo = None if min is None else _fv(min, d)
    hi = None if max is None else _fv(max, d)
    keep = np.ones(np.broadcast_shapes(*[np.shape(v) for v in (x, lo, hi, g) if v is not None]), bool)
    g_min = g_max = None
    if lo is not None:
        keep &= x >= lo
        g_min = np.where((x < lo) & (True if hi is None else lo < hi), g, 0.0)
    if hi is not None:
        keep &= x <= hi
        g_max = np.where((x > hi) | (False if lo is None else hi < lo), g, 0.0)
    return (grad_for(input, np.where(keep, g, 0.0)),
            None if g_min is None else grad_for(min, g_min),
            None if g_max is None else grad_for(max, g_max))


def clamp_min(input, min):
    return clamp(input, min, None)


def clamp_min_backward(grad_output, input, min):
    return clamp_backward(grad_output, input, min, None)[:2]


def clamp_max(input, max):
    return clamp(input, None, max)


def clamp_max_backward(grad_output, input, max):
    gi, _, gmax = clamp_backward(grad_output, input, None, max)
    return gi, gmax


clip, clip_backward = clamp, clamp_backward


def lerp(input, end, weight):
    """input + weight * (end - input), in torch's two-sided form."""
    d = result_type(input, end, weight)
    a, b, w = vals(input, d), vals(end, d), vals(weight, d)
    return cast(np.where(np.abs(w) < 0.5, a + w * (b - a), b - (b - a) * (1 - w)), d)


def lerp_backward(grad_output, input, end, weight):
    d, g = result_type(input, end, weight), f64(grad_output)
    a, b, w = _fv(input, d), _fv(end, d), _fv(weight, d)
    return grad_for(input, g * (1 - w)), grad_for(end, g * w), grad_for(weight, g * (b - a))


__all__ += ["where", "where_backward", "clamp", "clamp_backward", "clamp_min", "clamp_min_backward", "clamp_max",
            "clamp_max_backward", "clip", "clip_backward", "lerp", "lerp_backward"]

finalize(globals(), __all__)
