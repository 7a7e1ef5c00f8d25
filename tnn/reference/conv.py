"""NumPy float64 references for convolutions, with F's parameter names:
``conv1d/2d/3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1)`` and
``conv_transpose1d/2d/3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
dilation=1)``; ``<op>_backward(grad_output, *same args)`` -> (d input, d weight, d bias or None).

Direct loops over the definition, one kernel tap (kd, kh, kw) and one group at a time:
    conv:            y[n, o, p] += sum_c xpad[n, c, p*s + k*d] * w[o, c, k]
    conv_transpose:  yfull[n, o, i*s + k*d] += sum_c x[n, c, i] * w[c, o, k],  y = yfull cropped by padding
Unbatched inputs (no N dim) are accepted as torch does. padding may be 'same' (total d*(k-1) per
dim, the odd one on the right) or 'valid' for conv.
"""
from __future__ import annotations

import itertools

import numpy as np

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
           "conv1d_backward", "conv2d_backward", "conv3d_backward", "conv_transpose1d_backward",
           "conv_transpose2d_backward", "conv_transpose3d_backward"]


def _f(a):
    return None if a is None else np.asarray(a, dtype=np.float64)


def _t(v, nd):
    return (v,) * nd if isinstance(v, int) else (tuple(v) * nd if len(v) == 1 else tuple(v))


def _pads(padding, weight, dilation, nd):
    """((left, right) per dim)."""
    if padding == "valid":
        return [(0, 0)] * nd
    if padding == "same":
        tot = [d * (k - 1) for d, k in zip(dilation, weight.shape[2:])]
        return [(t // 2, t - t // 2) for t in tot]
    return [(p, p) for p in _t(padding, nd)]


def _batch(x, nd):
    return (x[None], True) if x.ndim == nd + 1 else (x, False)


def _contract(a, b):
    """sum over n and space of a[n, i, ...] * b[n, j, ...] -> (i, j)."""
    axes = [0] + list(range(2, a.ndim))
    return np.tensordot(a, b, axes=(axes, axes))


def _win(k, d, s, n):
    """The slice of a padded axis tap k touches for outputs 0..n-1."""
    return slice(k * d, k * d + (n - 1) * s + 1, s)


def _conv_fwd(nd, input, weight, bias, stride, padding, dilation, groups):
    x, unb = _batch(_f(input), nd)
    w = _f(weight)
    s, d = _t(stride, nd), _t(dilation, nd)
    pads = _pads(padding, w, d, nd)
    xp = np.pad(x, [(0, 0), (0, 0)] + pads)
    N, G = x.shape[0], groups
    cg, co_g = w.shape[1], w.shape[0] // G
    out = [(xp.shape[2 + i] - d[i] * (w.shape[2 + i] - 1) - 1) // s[i] + 1 for i in range(nd)]
    y = np.zeros((N, w.shape[0], *out))
    for g in range(G):
        xs = xp[:, g * cg:(g + 1) * cg]
        ws = w[g * co_g:(g + 1) * co_g]
        for k in itertools.product(*(range(n) for n in w.shape[2:])):
            patch = xs[(slice(None), slice(None)) + tuple(_win(k[i], d[i], s[i], out[i]) for i in range(nd))]
            y[:, g * co_g:(g + 1) * co_g] += np.einsum("nc...,oc->no...", patch, ws[(slice(None), slice(None)) + k])
    if bias is not None:
        y += _f(bias).reshape((1, -1) + (1,) * nd)
    return y[0] if unb else y


def _conv_bwd(nd, grad_output, input, weight, bias, stride, padding, dilation, groups):
    x, unb = _batch(_f(input), nd)
    gy = _f(grad_output)[None] if unb else _f(grad_output)
    w = _f(weight)
    s, d = _t(stride, nd), _t(dilation, nd)
    pads = _pads(padding, w, d, nd)
    xp = np.pad(x, [(0, 0), (0, 0)] + pads)
    dxp, dw = np.zeros_like(xp), np.zeros_like(w)
    G = groups
    cg, co_g = w.shape[1], w.shape[0] // G
    out = gy.shape[2:]
    for g in range(G):
        gs = gy[:, g * co_g:(g + 1) * co_g]
        for k in itertools.product(*(range(n) for n in w.shape[2:])):
            idx = (slice(None), slice(g * cg, (g + 1) * cg)) + tuple(_win(k[i], d[i], s[i], out[i]) for i in range(nd))
            wk = w[(slice(g * co_g, (g + 1) * co_g), slice(None)) + k]
            dxp[idx] += np.einsum("no...,oc->nc...", gs, wk)
            dw[(slice(g * co_g, (g + 1) * co_g), slice(None)) + k] = _contract(gs, xp[idx])
    crop = (slice(None), slice(None)) + tuple(slice(l, l + x.shape[2 + i]) for i, (l, _) in enumerate(pads))
    dx = dxp[crop]
    db = gy.sum(axis=(0,) + tuple(range(2, gy.ndim))) if bias is not None else None
    return (dx[0] if unb else dx), dw, db


def _convt_fwd(nd, input, weight, bias, stride, padding, output_padding, groups, dilation):
    x, unb = _batch(_f(input), nd)
    w = _f(weight)
    s, d, p, op = _t(stride, nd), _t(dilation, nd), _t(padding, nd), _t(output_padding, nd)
    N, G = x.shape[0], groups
    ci_g, co_g = w.shape[0] // G, w.shape[1]
    L = x.shape[2:]
    full = [(L[i] - 1) * s[i] + d[i] * (w.shape[2 + i] - 1) + 1 + op[i] for i in range(nd)]
    yf = np.zeros((N, co_g * G, *full))
    for g in range(G):
        xs = x[:, g * ci_g:(g + 1) * ci_g]
        for k in itertools.product(*(range(n) for n in w.shape[2:])):
            idx = (slice(None), slice(g * co_g, (g + 1) * co_g)) + tuple(_win(k[i], d[i], s[i], L[i]) for i in range(nd))
            yf[idx] += np.einsum("nc...,co->no...", xs, w[(slice(g * ci_g, (g + 1) * ci_g), slice(None)) + k])
    y = yf[(slice(None), slice(None)) + tuple(slice(p[i], full[i] - p[i]) for i in range(nd))]
    if bias is not None:
        y = y + _f(bias).reshape((1, -1) + (1,) * nd)
    return np.ascontiguousarray(y[0] if unb else y)


def _convt_bwd(nd, grad_output, input, weight, bias, stride, padding, output_padding, groups, dilation):
    x, unb = _batch(_f(input), nd)
    gy = _f(grad_output)[None] if unb else _f(grad_output)
    w = _f(weight)
    s, d, p = _t(stride, nd), _t(dilation, nd), _t(padding, nd)
    G = groups
    ci_g, co_g = w.shape[0] // G, w.shape[1]
    L = x.shape[2:]
    gf = np.pad(gy, [(0, 0), (0, 0)] + [(p[i], p[i]) for i in range(nd)])   # the uncropped output's gradient
    dx, dw = np.zeros_like(x), np.zeros_like(w)
    for g in range(G):
        xs = x[:, g * ci_g:(g + 1) * ci_g]
        for k in itertools.product(*(range(n) for n in w.shape[2:])):
            idx = (slice(None), slice(g * co_g, (g + 1) * co_g)) + tuple(_win(k[i], d[i], s[i], L[i]) for i in range(nd))
            wk = (slice(g * ci_g, (g + 1) * ci_g), slice(None)) + k
            dx[:, g * ci_g:(g + 1) * ci_g] += np.einsum("no...,co->nc...", gf[idx], w[wk])
            dw[wk] = _contract(xs, gf[idx])
    db = gy.sum(axis=(0,) + tuple(range(2, gy.ndim))) if bias is not None else None
    return (dx[0] if unb else dx), dw, db


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _conv_fwd(1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _conv_fwd(2, input, weight, bias, stride, padding, dilation, groups)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _conv_fwd(3, input, weight, bias, stride, padding, dilation, groups)


def conv1d_backward(grad_output, input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _conv_bwd(1, grad_output, input, weight, bias, stride, padding, dilation, groups)


def conv2d_backward(grad_output, input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _conv_bwd(2, grad_output, input, weight, bias, stride, padding, dilation, groups)


def conv3d_backward(grad_output, input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _conv_bwd(3, grad_output, input, weight, bias, stride, padding, dilation, groups)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    return _convt_fwd(1, input, weight, bias, stride, padding, output_padding, groups, dilation)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    return _convt_fwd(2, input, weight, bias, stride, padding, output_padding, groups, dilation)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    return _convt_fwd(3, input, weight, bias, stride, padding, output_padding, groups, dilation)


def conv_transpose1d_backward(grad_output, input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                              dilation=1):
    return _convt_bwd(1, grad_output, input, weight, bias, stride, padding, output_padding, groups, dilation)


def conv_transpose2d_backward(grad_output, input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                              dilation=1):
    return _convt_bwd(2, grad_output, input, weight, bias, stride, padding, output_padding, groups, dilation)


def conv_transpose3d_backward(grad_output, input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                              dilation=1):
    return _convt_bwd(3, grad_output, input, weight, bias, stride, padding, output_padding, groups, dilation)
