"""NumPy float64 references for softmax, log_softmax and softmin along ``dim``, with F's parameter
names: forward ``ref.softmax(input, dim, dtype=None)``, backward
``ref.softmax_backward(grad_output, input, dim, dtype=None)`` -> (d input,).

dim=None follows torch's legacy rule (0 for 0-, 1- and 3-d inputs, else 1). ``dtype`` rounds the
input to that dtype first, as torch casts before the softmax. Special values as torch's
max-subtracted formula: a row holding +inf or NaN is NaN, an all -inf row is NaN.
Backward: dx = y * (dy - sum(dy * y)); log_softmax: dx = dy - softmax(x) * sum(dy);
softmin: minus softmax's with y = softmin(x).
"""
from __future__ import annotations

import numpy as np

__all__ = ["softmax", "log_softmax", "softmin", "softmax_backward", "log_softmax_backward", "softmin_backward"]


def _prep(input, dim, dtype):
    x = np.asarray(input)
    if dtype is not None:
        x = x.astype(dtype.np)
    x = x.astype(np.float64)
    if dim is None:
        dim = 0 if x.ndim in (0, 1, 3) else 1
    if x.ndim == 0:
        return x.reshape(1), 0, True
    return x, dim % x.ndim, False


def _softmax(x, dim):
    with np.errstate(all="ignore"):
        z = x - np.max(x, axis=dim, keepdims=True)
        e = np.exp(z)
        return e / np.sum(e, axis=dim, keepdims=True)


def _log_softmax(x, dim):
    with np.errstate(all="ignore"):
        z = x - np.max(x, axis=dim, keepdims=True)
        return z - np.log(np.sum(np.exp(z), axis=dim, keepdims=True))


def _out(y, scalar):
    return y.reshape(()) if scalar else y


def softmax(input, dim=None, dtype=None):
    x, d, s = _prep(input, dim, dtype)
    return _out(_softmax(x, d), s)


def log_softmax(input, dim=None, dtype=None):
    x, d, s = _prep(input, dim, dtype)
    return _out(_log_softmax(x, d), s)


def softmin(input, dim=None, dtype=None):
    x, d, s = _prep(input, dim, dtype)
    return _out(_softmax(-x, d), s)


def softmax_backward(grad_output, input, dim=None, dtype=None):
    x, d, s = _prep(input, dim, dtype)
    g = np.asarray(grad_output, dtype=np.float64).reshape(x.shape)
    y = _softmax(x, d)
    with np.errstate(all="ignore"):
        return (_out(y * (g - np.sum(g * y, axis=d, keepdims=True)), s),)


def log_softmax_backward(grad_output, input, dim=None, dtype=None):
    x, d, s = _prep(input, dim, dtype)
    g = np.asarray(grad_output, dtype=np.float64).reshape(x.shape)
    with np.errstate(all="ignore"):
        return (_out(g - _softmax(x, d) * np.sum(g, axis=d, keepdims=True), s),)


def softmin_backward(grad_output, input, dim=None, dtype=None):
    x, d, s = _prep(input, dim, dtype)
    g = np.asarray(grad_output, dtype=np.float64).reshape(x.shape)
    y = _softmax(-x, d)
    with np.errstate(all="ignore"):
        return (_out(-(y * (g - np.sum(g * y, axis=d, keepdims=True))), s),)
