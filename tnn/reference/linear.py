"""NumPy float64 references for the linear family: ``linear``, ``linear_act`` (tnn's fused
linear + activation) and ``bilinear``, forward and ``<op>_backward(grad_output, *inputs, **kw)``
returning one gradient per tensor input (None for an absent bias)."""
from __future__ import annotations

import math

import numpy as np

__all__ = ["linear", "linear_backward", "linear_act", "linear_act_backward", "bilinear", "bilinear_backward"]

_erf = np.vectorize(math.erf, otypes=[np.float64])
_BETA = math.sqrt(2.0 / math.pi)
_KAPPA = 0.044715


def _f(a):
    return None if a is None else np.asarray(a, dtype=np.float64)


def _sum_to(g, shape):
    shape = tuple(shape)
    while g.ndim > len(shape):
        g = g.sum(axis=0)
    for i, s in enumerate(shape):
        if s == 1 and g.shape[i] != 1:
            g = g.sum(axis=i, keepdims=True)
    return g


def gelu_erf(z):
    z = _f(z)
    return 0.5 * z * (1.0 + _erf(z / math.sqrt(2.0)))


def gelu_tanh(z):
    z = _f(z)
    return 0.5 * z * (1.0 + np.tanh(_BETA * (z + _KAPPA * z ** 3)))


def _act(z, activation):
    if activation in (None, "none"):
        return z
    if activation == "relu":
        return np.maximum(z, 0.0)
    if activation == "gelu":
        return gelu_erf(z)
    if activation == "gelu_tanh":
        return gelu_tanh(z)
    raise ValueError(activation)


def _act_grad(z, activation):
    """act'(z)."""
    if activation in (None, "none"):
        return np.ones_like(z)
    if activation == "relu":
        return (z > 0).astype(np.float64)
    if activation == "gelu":
        return 0.5 * (1.0 + _erf(z / math.sqrt(2.0))) + z * np.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)
    t = np.tanh(_BETA * (z + _KAPPA * z ** 3))
    return 0.5 * (1.0 + t) + 0.5 * z * (1.0 - t * t) * _BETA * (1.0 + 3.0 * _KAPPA * z * z)


def _pre(input, weight, bias):
    x, w = _f(input), _f(weight)
    z = x @ w.T
    return z + _f(bias) if bias is not None else z


def linear(input, weight, bias=None):
    """input (*, in) @ weight (out, in)^T + bias."""
    return _pre(input, weight, bias)


def linear_backward(grad_output, input, weight, bias=None):
    return linear_act_backward(grad_output, input, weight, bias, None)


def linear_act(input, weight, bias=None, activation=None):
    return _act(_pre(input, weight, bias), activation)


def linear_act_backward(grad_output, input, weight, bias=None, activation=None):
    """(d input, d weight, d bias) of act(input @ weight^T + bias)."""
    x, w = _f(input), _f(weight)
    dz = _f(grad_output) * _act_grad(_pre(x, w, bias), activation)       # (*, out)
    dx = dz @ w                                                           # (*, in)
    dz2 = dz.reshape(-1, w.shape[0])
    dw = dz2.T @ x.reshape(-1, w.shape[1])                                # (out, in)
    db = None if bias is None else _sum_to(dz, np.shape(bias))
    return dx, dw, db


def bilinear(input1, input2, weight, bias=None):
    """y[..., o] = sum_ij x1[..., i] W[o, i, j] x2[..., j] + b[o]."""
    y = np.einsum("...i,oij,...j->...o", _f(input1), _f(weight), _f(input2))
    return y + _f(bias) if bias is not None else y


def bilinear_backward(grad_output, input1, input2, weight, bias=None):
    g, x1, x2, w = _f(grad_output), _f(input1), _f(input2), _f(weight)
    d1 = np.einsum("...o,oij,...j->...i", g, w, x2)
    d2 = np.einsum("...o,oij,...i->...j", g, w, x1)
    O, I, J = w.shape
    dw = np.einsum("bo,bi,bj->oij", g.reshape(-1, O), x1.reshape(-1, I), x2.reshape(-1, J))
    db = None if bias is None else g.reshape(-1, w.shape[0]).sum(axis=0)
    return d1, d2, dw, db
