"""NumPy float64 references for the normalisation ops, with F's parameter names:

    layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5)
    rms_norm(input, normalized_shape, weight=None, eps=None)          eps None: finfo(input dtype).eps
    group_norm(input, num_groups, weight=None, bias=None, eps=1e-5)
    batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5)
    instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
                  momentum=0.1, eps=1e-5)
    local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0)

Forward results are in the input's dtype. Every op normalises x over a set of elements with the
biased variance, xhat = (x - mean) / sqrt(var + eps) (rms_norm: x / sqrt(mean(x^2) + eps)), then
applies the per-channel affine y = xhat * w + b. As torch, batch_norm / instance_norm in training
mode update ``running_mean`` / ``running_var`` IN PLACE (momentum, the UNBIASED batch variance;
instance_norm averages the per-instance statistics over the batch); eval mode normalises with the
running statistics.

Backward ``<op>_backward(grad_output, *forward args)`` returns one entry per tensor parameter:
layer_norm / group_norm -> (d input, d weight, d bias); rms_norm -> (d input, d weight);
batch_norm / instance_norm -> (d input, None, None, d weight, d bias) (running stats get no
gradient); None where the argument is None. The backward never touches running statistics.
With xhat's statistics over the set S of n elements and dxhat = grad * w:
    dx = rstd * (dxhat - mean_S(dxhat) - xhat * mean_S(dxhat * xhat))     (rms: no mean_S(dxhat) term)
    dw = sum over everything but the channel of grad * xhat,   db = sum of grad.
Eval-mode batch_norm (fixed statistics): dx = grad * w * rstd.

local_response_norm (torch's definition, channels c of (N, C, *)): with the window
W(c) = [c - size//2, c + (size-1)//2] clipped to [0, C) (zero padding) and
D_c = k + alpha/size * sum_{j in W(c)} x_j^2,  y_c = x_c * D_c^-beta; its backward
(-> (d input,)) is dx_j = g_j D_j^-beta - 2 beta alpha/size x_j * sum_{c : j in W(c)} g_c x_c D_c^(-beta-1).
"""
from __future__ import annotations

import numpy as np

from ._util import finalize

__all__ = ["layer_norm", "layer_norm_backward", "rms_norm", "rms_norm_backward", "group_norm",
           "group_norm_backward", "batch_norm", "batch_norm_backward", "instance_norm", "instance_norm_backward",
           "local_response_norm", "local_response_norm_backward"]


def _f64(a):
    return None if a is None else np.asarray(a).astype(np.float64)


def _out(y, like):
    return np.asarray(y).astype(np.asarray(like).dtype)


def _norm(x, axes, eps, rms=False):
    """(xhat, rstd) of x normalised over ``axes`` (keepdims statistics)."""
    if rms:
        rstd = 1.0 / np.sqrt(np.mean(x * x, axis=axes, keepdims=True) + eps)
        return x * rstd, rstd
    mean = np.mean(x, axis=axes, keepdims=True)
    var = np.mean((x - mean) ** 2, axis=axes, keepdims=True)
    rstd = 1.0 / np.sqrt(var + eps)
    return (x - mean) * rstd, rstd


def _dx(g, xhat, rstd, w, axes, rms=False):
    dxh = g if w is None else g * w
    t = xhat * np.mean(dxh * xhat, axis=axes, keepdims=True)
    if not rms:
        t = t + np.mean(dxh, axis=axes, keepdims=True)
    return rstd * (dxh - t)


def _affine(xhat, w, b):
    y = xhat if w is None else xhat * w
    return y if b is None else y + b


# ------------------------------------------------------------------------ layer_norm / rms_norm
def _rows(input, normalized_shape):
    """input as float64 (M, N) with N = prod(normalized_shape)."""
    shape = tuple(normalized_shape) if isinstance(normalized_shape, (tuple, list)) else (int(normalized_shape),)
    x = _f64(input)
    n = int(np.prod(shape, dtype=np.int64))
    return x.reshape(-1, n) if x.size else x.reshape(0, n), shape


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    x, shape = _rows(input, normalized_shape)
    xhat, _ = _norm(x, 1, eps)
    w = None if weight is None else _f64(weight).reshape(-1)
    b = None if bias is None else _f64(bias).reshape(-1)
    return _out(_affine(xhat, w, b).reshape(np.shape(input)), input)


def layer_norm_backward(grad_output, input, normalized_shape, weight=None, bias=None, eps=1e-5):
    x, shape = _rows(input, normalized_shape)
    g = _f64(grad_output).reshape(x.shape)
    xhat, rstd = _norm(x, 1, eps)
    w = None if weight is None else _f64(weight).reshape(-1)
    dx = _dx(g, xhat, rstd, w, 1).reshape(np.shape(input))
    dw = None if weight is None else (g * xhat).sum(0).reshape(np.shape(weight))
    db = None if bias is None else g.sum(0).reshape(np.shape(bias))
    return dx, dw, db


def _rms_eps(input, eps):
    import ml_dtypes
    return float(ml_dtypes.finfo(np.asarray(input).dtype).eps) if eps is None else eps


def rms_norm(input, normalized_shape, weight=None, eps=None):
    x, shape = _rows(input, normalized_shape)
    xhat, _ = _norm(x, 1, _rms_eps(input, eps), rms=True)
    w = None if weight is None else _f64(weight).reshape(-1)
    return _out(_affine(xhat, w, None).reshape(np.shape(input)), input)


def rms_norm_backward(grad_output, input, normalized_shape, weight=None, eps=None):
    x, shape = _rows(input, normalized_shape)
    g = _f64(grad_output).reshape(x.shape)
    xhat, rstd = _norm(x, 1, _rms_eps(input, eps), rms=True)
    w = None if weight is None else _f64(weight).reshape(-1)
    dx = _dx(g, xhat, rstd, w, 1, rms=True).reshape(np.shape(input))
    dw = None if weight is None else (g * xhat).sum(0).reshape(np.shape(weight))
    return dx, dw


# ------------------------------------------------------------------------ group_norm
def _channel(v, ndim):
    """A (C,) per-channel vector shaped to broadcast against (N, C, *)."""
    return None if v is None else _f64(v).reshape((1, -1) + (1,) * (ndim - 2))


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    x = _f64(input)
    n, c = x.shape[:2]
    xg = x.reshape(n, num_groups, -1)
    xhat, _ = _norm(xg, 2, eps)
    y = _affine(xhat.reshape(x.shape), _channel(weight, x.ndim), _channel(bias, x.ndim))
    return _out(y, input)


def group_norm_backward(grad_output, input, num_groups, weight=None, bias=None, eps=1e-5):
    x = _f64(input)
    n, c = x.shape[:2]
    g = _f64(grad_output).reshape(x.shape)
    xhat, rstd = _norm(x.reshape(n, num_groups, -1), 2, eps)
    xhat = xhat.reshape(x.shape)
    w = _channel(weight, x.ndim)
    dxh = g if w is None else g * w
    dx = _dx(dxh.reshape(n, num_groups, -1), xhat.reshape(n, num_groups, -1), rstd, None, 2).reshape(x.shape)
    red = (0,) + tuple(range(2, x.ndim))
    dw = None if weight is None else (g * xhat).sum(red)
    db = None if bias is None else g.sum(red)
    return dx, dw, db


# ------------------------------------------------------------------------ batch_norm / instance_norm
def _update(running, value, momentum):
    if running is not None:
        running[...] = ((1 - momentum) * _f64(running) + momentum * value).astype(running.dtype)


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    x = _f64(input)
    red = (0,) + tuple(range(2, x.ndim))
    if training:
        xhat, _ = _norm(x, red, eps)
        count = x.size // x.shape[1]
        _update(running_mean, x.mean(red), momentum)
        _update(running_var, x.var(red) * count / max(count - 1, 1), momentum)
    else:
        mean, var = _channel(running_mean, x.ndim), _channel(running_var, x.ndim)
        xhat = (x - mean) / np.sqrt(var + eps)
    return _out(_affine(xhat, _channel(weight, x.ndim), _channel(bias, x.ndim)), input)


def batch_norm_backward(grad_output, input, running_mean, running_var, weight=None, bias=None, training=False,
                        momentum=0.1, eps=1e-5):
    x = _f64(input)
    g = _f64(grad_output).reshape(x.shape)
    red = (0,) + tuple(range(2, x.ndim))
    w = _channel(weight, x.ndim)
    if training:
        xhat, rstd = _norm(x, red, eps)
        dx = _dx(g, xhat, rstd, w, red)
    else:
        rstd = 1.0 / np.sqrt(_channel(running_var, x.ndim) + eps)
        xhat = (x - _channel(running_mean, x.ndim)) * rstd
        dx = g * rstd if w is None else g * w * rstd
    dw = None if weight is None else (g * xhat).sum(red)
    db = None if bias is None else g.sum(red)
    return dx, None, None, dw, db


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
                  momentum=0.1, eps=1e-5):
    x = _f64(input)
    if not use_input_stats:
        return batch_norm(input, running_mean, running_var, weight, bias, False, momentum, eps)
    red = tuple(range(2, x.ndim))
    xhat, _ = _norm(x, red, eps)
    count = int(np.prod(x.shape[2:], dtype=np.int64))
    _update(running_mean, x.mean(red).mean(0), momentum)
    _update(running_var, (x.var(red) * count / max(count - 1, 1)).mean(0), momentum)
    return _out(_affine(xhat, _channel(weight, x.ndim), _channel(bias, x.ndim)), input)


def instance_norm_backward(grad_output, input, running_mean=None, running_var=None, weight=None, bias=None,
                           use_input_stats=True, momentum=0.1, eps=1e-5):
    if not use_input_stats:
        return batch_norm_backward(grad_output, input, running_mean, running_var, weight, bias, False, momentum, eps)
    x = _f64(input)
    g = _f64(grad_output).reshape(x.shape)
    red = tuple(range(2, x.ndim))
    xhat, rstd = _norm(x, red, eps)
    w = _channel(weight, x.ndim)
    dx = _dx(g, xhat, rstd, w, red)
    dw = None if weight is None else (g * xhat).sum((0,) + red)
    db = None if bias is None else g.sum((0,) + red)
    return dx, None, None, dw, db



# ------------------------------------------------------------------------ local_response_norm
def _lrn_denominator(x, size, alpha, k):
    """D[:, c] = k + alpha/size * sum of x[:, j]^2 over j in c's (clipped) channel window."""
    C = x.shape[1]
    d = np.empty_like(x)
    for c in range(C):
        lo, hi = max(c - size // 2, 0), min(c + (size - 1) // 2, C - 1)
        s = np.zeros_like(x[:, c])
        for j in range(lo, hi + 1):
            s = s + x[:, j] * x[:, j]
        d[:, c] = k + alpha / size * s
    return d


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    x = _f64(input)
    if x.ndim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality input (got {x.ndim} dimensions)")
    if x.size == 0:
        return _out(x, input)
    return _out(x / _lrn_denominator(x, size, alpha, k) ** beta, input)


def local_response_norm_backward(grad_output, input, size, alpha=1e-4, beta=0.75, k=1.0):
    x = _f64(input)
    g = _f64(grad_output).reshape(x.shape)
    if x.size == 0:
        return (np.zeros_like(x),)
    C = x.shape[1]
    d = _lrn_denominator(x, size, alpha, k)
    dx = g * d ** -beta
    for j in range(C):
        # the channels c whose window holds j: c - size//2 <= j <= c + (size-1)//2
        for c in range(max(j - (size - 1) // 2, 0), min(j + size // 2, C - 1) + 1):
            dx[:, j] += -2.0 * beta * alpha / size * x[:, j] * g[:, c] * x[:, c] * d[:, c] ** (-beta - 1)
    return (dx,)


finalize(globals(), __all__)
