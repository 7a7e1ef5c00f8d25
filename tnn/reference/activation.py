"""NumPy float64 references for the activation family: forward ``ref.<op>(input, ...)`` and
backward ``ref.<op>_backward(grad_output, input, ...)`` returning a tuple with one gradient per
tensor input, with F.<op>'s parameter names. ``inplace`` is accepted where F takes it: the
values are the same, and only threshold's gradient differs in place (see threshold_backward).

Gradient conventions at the breakpoints are torch's (ATen's backward kernels), one line each:

- relu:         grad where result > 0, else 0                  -> relu'(0) = 0
- relu6:        hardtanh(x, 0, 6)                              -> 0 at 0 and at 6
- hardtanh:     0 where x <= min_val or x >= max_val          -> passes strictly inside (min, max)
- leaky_relu:   grad where x > 0, else grad * negative_slope  -> slope at 0
- elu/selu/celu: the x <= 0 branch at 0: grad * input_scale * alpha * scale * exp(x * input_scale)
                (elu'(0) = alpha, selu'(0) = scale * alpha, celu'(0) = 1)
- hardsigmoid:  grad / 6 strictly inside (-3, 3), else 0       -> 0 at -3 and 3
- hardswish:    0 for x < -3, grad * (x / 3 + 1/2) for -3 <= x <= 3, grad above
                -> -1/2 at -3, 3/2 at 3 (torch's CUDA kernel and CPU scalar loop; its CPU
                vectorized loop gives 1 at 3)
- softshrink, hardshrink: 0 for -lambd <= x <= lambd          -> 0 at +-lambd
- threshold:    0 where x <= threshold                         -> 0 at the threshold
                (threshold_ tests the result: where value > threshold the gradient passes there)
- softplus:     grad where beta * x > threshold, else grad * sigmoid(beta * x)
- prelu:        like leaky_relu with weight[c]: dx = weight * grad at 0, and the weight gets
                x * grad only where x <= 0 (0 at 0), summed over every dim but the channel (dim 1)
The smooth ones are their derivatives: gelu ('none': Phi(x) + x phi(x); 'tanh': torch's formula),
silu, mish, sigmoid, logsigmoid, tanh, softsign (1 / (1 + |x|)^2), tanhshrink (tanh(x)^2), glu.
"""
from __future__ import annotations

import functools
import math

import numpy as np

__all__ = [
    "relu", "relu6", "leaky_relu", "elu", "selu", "celu", "gelu", "silu", "mish", "sigmoid", "logsigmoid", "tanh",
    "hardtanh", "hardsigmoid", "hardswish", "softplus", "softsign", "softshrink", "hardshrink", "tanhshrink",
    "threshold", "glu", "prelu", "rrelu", "rrelu_with_noise",
]
__all__ += [n + "_backward" for n in __all__]
# relu, sigmoid and tanh (and their backwards) are exported by reference.elementwise too (same
# values and conventions, results cast to the input dtype there): the package keeps those, so
# `from .activation import *` leaves them alone. Use `tnn.reference.activation.relu` for these.
__all__ = [n for n in __all__ if n.removesuffix("_backward") not in ("relu", "sigmoid", "tanh")]

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _f(a):
    return np.asarray(a, dtype=np.float64)


def _quiet(fn):
    """Compute inf/nan as torch does, without NumPy's floating-point warnings."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with np.errstate(all="ignore"):
            return fn(*args, **kwargs)
    return wrapper


def _sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # no overflow for large |x|


def _softplus(x):
    return np.logaddexp(0.0, x)


def _erf(x):
    return np.vectorize(math.erf, otypes=[np.float64])(x) if np.size(x) else np.zeros(np.shape(x))


# ----------------------------------------------------------------------------- piecewise linear
@_quiet
def relu(input, inplace=False):
    x = _f(input)
    return np.where(x < 0, 0.0, x)


@_quiet
def relu_backward(grad_output, input, inplace=False):
    return (np.where(relu(input) > 0, _f(grad_output), 0.0),)


@_quiet
def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    x = _f(input)
    r = np.where(x < min_val, min_val, x)
    return np.where(r > max_val, max_val, r)


@_quiet
def hardtanh_backward(grad_output, input, min_val=-1.0, max_val=1.0, inplace=False):
    x = _f(input)
    return (np.where((x <= min_val) | (x >= max_val), 0.0, _f(grad_output)),)


def relu6(input, inplace=False):
    return hardtanh(input, 0.0, 6.0)


def relu6_backward(grad_output, input, inplace=False):
    return hardtanh_backward(grad_output, input, 0.0, 6.0)


@_quiet
def leaky_relu(input, negative_slope=0.01, inplace=False):
    x = _f(input)
    return np.where(x > 0, x, x * negative_slope)


@_quiet
def leaky_relu_backward(grad_output, input, negative_slope=0.01, inplace=False):
    g = _f(grad_output)
    return (np.where(_f(input) > 0, g, g * negative_slope),)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """Evaluation mode: leaky_relu with slope (lower + upper) / 2. Training mode draws random
    slopes, which a reference cannot reproduce: use rrelu_with_noise with the slopes given."""
    if training:
        raise ValueError("reference rrelu(training=True): pass the slopes to rrelu_with_noise(input, noise, ...)")
    return leaky_relu(input, (lower + upper) / 2)


def rrelu_backward(grad_output, input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    if training:
        raise ValueError("reference rrelu_backward(training=True): use rrelu_with_noise_backward")
    return leaky_relu_backward(grad_output, input, (lower + upper) / 2)


@_quiet
def rrelu_with_noise(input, noise, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """torch's rrelu_with_noise with the slopes given. Training: noise[i] * x[i] where x[i] <= 0
    (zero included), x[i] elsewhere (positive or NaN); ``noise`` holds one slope per element
    (only those at x <= 0 matter). Evaluation: rrelu (noise unused)."""
    if not training:
        return rrelu(input, lower, upper)
    x, a = _f(input), _f(noise)
    out = np.empty(x.shape)
    for i in np.ndindex(x.shape):
        out[i] = a[i] * x[i] if x[i] <= 0 else x[i]
    return out


@_quiet
def rrelu_with_noise_backward(grad_output, input, noise, lower=1.0 / 8, upper=1.0 / 3, training=False,
                              inplace=False):
    """(d input, None): noise[i] * grad where x[i] <= 0, grad elsewhere (the noise is not
    differentiable: torch records it, 1 for positive inputs, and multiplies)."""
    if not training:
        return rrelu_backward(grad_output, input, lower, upper)[0], None
    x, a, g = _f(input), _f(noise), _f(grad_output)
    dx = np.empty(x.shape)
    for i in np.ndindex(x.shape):
        dx[i] = a[i] * g[i] if x[i] <= 0 else g[i]
    return dx, None


@_quiet
def threshold(input, threshold, value, inplace=False):
    x = _f(input)
    return np.where(x <= threshold, value, x)


@_quiet
def threshold_backward(grad_output, input, threshold, value, inplace=False):
    """0 where x <= threshold; in place torch tests the result instead (ThresholdBackward1)."""
    t = _threshold_value(input, threshold, value) if inplace else _f(input)
    return (np.where(t <= threshold, 0.0, _f(grad_output)),)


_threshold_value = threshold


@_quiet
def softshrink(input, lambd=0.5):
    x = _f(input)
    return np.where(x > lambd, x - lambd, np.where(x < -lambd, x + lambd, np.where(np.isnan(x), x, 0.0)))


@_quiet
def softshrink_backward(grad_output, input, lambd=0.5):
    x = _f(input)
    return (np.where((x >= -lambd) & (x <= lambd), 0.0, _f(grad_output)),)


@_quiet
def hardshrink(input, lambd=0.5):
    x = _f(input)
    return np.where((x >= -lambd) & (x <= lambd), 0.0, x)


@_quiet
def hardshrink_backward(grad_output, input, lambd=0.5):
    x = _f(input)
    return (np.where((x >= -lambd) & (x <= lambd), 0.0, _f(grad_output)),)


@_quiet
def hardsigmoid(input, inplace=False):
    return hardtanh(_f(input) + 3.0, 0.0, 6.0) / 6.0


@_quiet
def hardsigmoid_backward(grad_output, input, inplace=False):
    x = _f(input)
    return (np.where((x > -3.0) & (x < 3.0), _f(grad_output) / 6.0, 0.0),)


@_quiet
def hardswish(input, inplace=False):
    x = _f(input)
    return x * hardtanh(x + 3.0, 0.0, 6.0) / 6.0


@_quiet
def hardswish_backward(grad_output, input, inplace=False):
    x, g = _f(input), _f(grad_output)
    return (np.where(x < -3.0, 0.0, np.where(x <= 3.0, g * (x / 3.0 + 0.5), g)),)


# ----------------------------------------------------------------------------- exponential family
def _elu(x, alpha, scale, input_scale):
    x = _f(x)
    return np.where(x <= 0, np.expm1(x * input_scale) * alpha * scale, x * scale)


def _elu_backward(g, x, alpha, scale, input_scale):
    x, g = _f(x), _f(g)
    return (np.where(x <= 0, g * input_scale * alpha * scale * np.exp(x * input_scale), g * scale),)


@_quiet
def elu(input, alpha=1.0, inplace=False):
    return _elu(input, alpha, 1.0, 1.0)


@_quiet
def elu_backward(grad_output, input, alpha=1.0, inplace=False):
    return _elu_backward(grad_output, input, alpha, 1.0, 1.0)


@_quiet
def selu(input, inplace=False):
    return _elu(input, SELU_ALPHA, SELU_SCALE, 1.0)


@_quiet
def selu_backward(grad_output, input, inplace=False):
    return _elu_backward(grad_output, input, SELU_ALPHA, SELU_SCALE, 1.0)


@_quiet
def celu(input, alpha=1.0, inplace=False):
    return _elu(input, alpha, 1.0, 1.0 / alpha)


@_quiet
def celu_backward(grad_output, input, alpha=1.0, inplace=False):
    return _elu_backward(grad_output, input, alpha, 1.0, 1.0 / alpha)


_GELU_BETA = math.sqrt(2.0) * (2.0 / math.sqrt(math.pi)) * 0.5
_GELU_KAPPA = 0.044715


@_quiet
def gelu(input, approximate="none"):
    x = _f(input)
    if approximate == "tanh":
        return 0.5 * x * (1.0 + np.tanh(_GELU_BETA * (x + _GELU_KAPPA * x ** 3)))
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))


@_quiet
def gelu_backward(grad_output, input, approximate="none"):
    x, g = _f(input), _f(grad_output)
    if approximate == "tanh":
        t = np.tanh(_GELU_BETA * (x + _GELU_KAPPA * x ** 3))
        d = 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * _GELU_BETA * (1.0 + 3.0 * _GELU_KAPPA * x * x)
    else:
        d = 0.5 * (1.0 + _erf(x / math.sqrt(2.0))) + x * np.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)
    return (g * d,)


@_quiet
def silu(input, inplace=False):
    x = _f(input)
    return x * _sigmoid(x)


@_quiet
def silu_backward(grad_output, input, inplace=False):
    x = _f(input)
    s = _sigmoid(x)
    return (_f(grad_output) * s * (1.0 + x * (1.0 - s)),)


@_quiet
def mish(input, inplace=False):
    x = _f(input)
    return x * np.tanh(_softplus(x))


@_quiet
def mish_backward(grad_output, input, inplace=False):
    x = _f(input)
    t = np.tanh(_softplus(x))
    return (_f(grad_output) * (t + x * _sigmoid(x) * (1.0 - t * t)),)


@_quiet
def sigmoid(input):
    return _sigmoid(_f(input))


@_quiet
def sigmoid_backward(grad_output, input):
    s = _sigmoid(_f(input))
    return (_f(grad_output) * s * (1.0 - s),)


@_quiet
def logsigmoid(input):
    return -_softplus(-_f(input))


@_quiet
def logsigmoid_backward(grad_output, input):
    return (_f(grad_output) * _sigmoid(-_f(input)),)


@_quiet
def tanh(input):
    return np.tanh(_f(input))


@_quiet
def tanh_backward(grad_output, input):
    t = np.tanh(_f(input))
    return (_f(grad_output) * (1.0 - t * t),)


@_quiet
def softplus(input, beta=1.0, threshold=20.0):
    x = _f(input)
    return np.where(x * beta > threshold, x, _softplus(x * beta) / beta)


@_quiet
def softplus_backward(grad_output, input, beta=1.0, threshold=20.0):
    x, g = _f(input), _f(grad_output)
    return (np.where(x * beta > threshold, g, g * _sigmoid(x * beta)),)


@_quiet
def softsign(input):
    x = _f(input)
    return x / (1.0 + np.abs(x))


@_quiet
def softsign_backward(grad_output, input):
    return (_f(grad_output) / (1.0 + np.abs(_f(input))) ** 2,)


@_quiet
def tanhshrink(input):
    x = _f(input)
    return x - np.tanh(x)


@_quiet
def tanhshrink_backward(grad_output, input):
    return (_f(grad_output) * np.tanh(_f(input)) ** 2,)


# ----------------------------------------------------------------------------- glu, prelu
def _halves(x, dim):
    h = x.shape[dim] // 2
    return np.take(x, np.arange(h), axis=dim), np.take(x, np.arange(h, 2 * h), axis=dim)


@_quiet
def glu(input, dim=-1):
    a, b = _halves(_f(input), dim)
    return a * _sigmoid(b)


@_quiet
def glu_backward(grad_output, input, dim=-1):
    a, b = _halves(_f(input), dim)
    g = _f(grad_output)
    s = _sigmoid(b)
    return (np.concatenate([g * s, g * a * s * (1.0 - s)], axis=dim),)


def _prelu_weight(x, w):
    """The weight broadcast against x: one value, or one per channel (dim 1)."""
    w = _f(w)
    if w.size == 1:
        return w.reshape(())
    return w.reshape((1, -1) + (1,) * (x.ndim - 2))


@_quiet
def prelu(input, weight):
    x = _f(input)
    return np.where(x > 0, x, _prelu_weight(x, weight) * x)


@_quiet
def prelu_backward(grad_output, input, weight):
    x, g = _f(input), _f(grad_output)
    w = _prelu_weight(x, weight)
    dx = np.where(x > 0, g, w * g)
    contrib = np.where(x > 0, 0.0, x * g)
    if np.size(weight) == 1:
        dw = np.asarray(contrib.sum()).reshape(np.shape(weight))
    else:
        dw = contrib.sum(axis=tuple(i for i in range(x.ndim) if i != 1)).reshape(np.shape(weight))
    return dx, dw
