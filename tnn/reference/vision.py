"""NumPy float64 references for interpolate (and the deprecated upsample wrappers), unfold / fold
and pixel_shuffle / pixel_unshuffle, with F's parameter names; each ``<op>_backward(grad_output,
*same args)`` returns (d input,).

interpolate follows torch's CPU rules literally, per spatial dim, output index o (input size n,
output size m):
  scale  align_corners: (n - 1) / (m - 1) (0 when m == 1); else 1 / scale_factor when a scale
         factor is used (not recomputed), else n / m -- rounded to float32 (float64 for a float64
         input in the linear modes; nearest modes always float32).
  nearest        o if m == n, o // 2 if m == 2n, else min(floor(float32(o) * s), n - 1)
  nearest-exact  min(floor(float32((o + 0.5) * s)), n - 1)
  linear         src = s * o (align_corners) or max(s * (o + 0.5) - 0.5, 0) in float32 (float64);
                 i0 = min(floor(src), n - 1), i1 = i0 + 1 if i0 < n - 1 else i0,
                 weights 1 - l and l, l = clamp(src - i0, 0, 1)
  bicubic        (4-d) src = s * o (align_corners) or s * (o + 0.5) - 0.5 (not clamped at 0),
                 i = floor(src), t = src - i; taps i - 1 + a (a = 0..3), each clamped to [0, n - 1],
                 weights W(t + 1), W(t), W(1 - t), W(2 - t) with Keys' kernel (A = -0.75)
                 W(x) = (A + 2)|x|^3 - (A + 3)|x|^2 + 1 (|x| <= 1), A|x|^3 - 5A|x|^2 + 8A|x| - 4A
                 (1 < |x| < 2); when both output sizes equal the input's the output is the input
  antialias      (bilinear / bicubic, 4-d) s as for linear; support = (interp / 2) * s if s >= 1
                 else interp / 2 (interp 2 / 4); center = s * (o + 0.5); the window is
                 [max(int(center - support + 0.5), 0), min(int(center + support + 0.5), n)),
                 at most 2 ceil(support) + 1 long, weights f((k - center + 0.5) / max(s, 1))
                 normalised to sum 1 (when the sum is not 0), f the triangle max(1 - |x|, 0) or
                 Keys' kernel with A = -0.5
and the output is the sum over the corners of the product of the per-dim weights. The backward
loops over the outputs and adds each gradient times its weight into the source elements.
unfold / fold loop over (n, c, ki, kj, oi, oj) directly. pixel_shuffle: out[.., c, h*r + i, w*r + j]
= in[.., c*r*r + i*r + j, h, w]; pixel_unshuffle is its inverse.
"""
from __future__ import annotations

import itertools
import math

import numpy as np

__all__ = ["interpolate", "interpolate_backward", "upsample", "upsample_backward", "upsample_nearest",
           "upsample_nearest_backward", "upsample_bilinear", "upsample_bilinear_backward", "unfold",
           "unfold_backward", "fold", "fold_backward", "pixel_shuffle", "pixel_shuffle_backward",
           "pixel_unshuffle", "pixel_unshuffle_backward"]


def _f64(x):
    return np.asarray(x).astype(np.float64)


def _is_f64(x):
    return np.asarray(x).dtype == np.float64


def _plan(shape, size, scale_factor, recompute_scale_factor):
    """(output spatial sizes, per-dim scale factors or None) as torch's interpolate resolves them."""
    k = len(shape) - 2
    if size is not None:
        out = list(size) if isinstance(size, (list, tuple)) else [size] * k
        return [int(v) for v in out], [None] * k
    sf = list(scale_factor) if isinstance(scale_factor, (list, tuple)) else [scale_factor] * k
    out = [int(math.floor(float(shape[2 + d]) * sf[d])) for d in range(k)]
    return out, ([None] * k if recompute_scale_factor else [float(v) for v in sf])


def _keys(x, a):
    """Keys' cubic convolution kernel with parameter a at x."""
    x = abs(x)
    if x <= 1:
        return ((a + 2) * x - (a + 3)) * x * x + 1
    if x < 2:
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return 0.0


def _aa_taps(mode, n, m, o, sf, align, f):
    """[(input index, weight)] of output index o of one dim under the antialiased filter."""
    if align:
        s = (f(n - 1) / f(m - 1)) if m > 1 else f(0)
    else:
        s = f(1.0 / sf) if sf is not None and sf > 0 else f(n) / f(m)
    half = 1.0 if mode == "bilinear" else 2.0
    support = f(half * s) if s >= 1 else f(half)
    center = f(s * (f(o) + f(0.5)))
    lo = max(int(f(center - support + f(0.5))), 0)
    hi = min(int(f(center + support + f(0.5))), n, lo + 2 * int(math.ceil(support)) + 1)
    inv = 1.0 / float(s) if s >= 1 else 1.0
    filt = (lambda x: max(1.0 - abs(x), 0.0)) if mode == "bilinear" else (lambda x: _keys(x, -0.5))
    w = [filt((k - float(center) + 0.5) * inv) for k in range(lo, hi)]
    total = sum(w)
    return [(k, v / total if total != 0 else v) for k, v in zip(range(lo, hi), w)]


def _taps(mode, n, m, o, sf, align, f):
    """[(input index, weight)] that output index o of one dim reads; f: the opmath float type."""
    if mode in ("nearest", "nearest-exact"):
        s = np.float32(1.0 / sf) if sf is not None and sf > 0 else np.float32(n) / np.float32(m)
        if mode == "nearest":
            i = o if m == n else o // 2 if m == 2 * n else min(int(np.floor(np.float32(o) * s)), n - 1)
        else:
            i = min(int(np.floor(np.float32((o + 0.5) * float(s)))), n - 1)
        return [(i, 1.0)]
    if mode == "bicubic":
        if align:
            s = (f(n - 1) / f(m - 1)) if m > 1 else f(0)
            src = f(s * f(o))
        else:
            s = f(1.0 / sf) if sf is not None and sf > 0 else f(n) / f(m)
            src = f(s * (f(o) + f(0.5)) - f(0.5))
        i = int(np.floor(src))
        t = float(src) - i
        return [(min(max(i - 1 + a, 0), n - 1), _keys(t + 1 - a, -0.75)) for a in range(4)]
    if align:
        s = (f(n - 1) / f(m - 1)) if m > 1 else f(0)
        src = f(s * f(o))
    else:
        s = f(1.0 / sf) if sf is not None and sf > 0 else f(n) / f(m)
        src = f(s * (f(o) + f(0.5)) - f(0.5))
        src = max(src, f(0))
    i0 = min(int(np.floor(src)), n - 1)
    i1 = i0 + 1 if i0 < n - 1 else i0
    lam = min(max(float(src) - i0, 0.0), 1.0)
    return [(i0, 1.0 - lam), (i1, lam)]


def _mode_parts(mode):
    return "linear" if mode in ("linear", "bilinear", "trilinear") else mode


def _contributions(x_shape, size, scale_factor, mode, align_corners, recompute_scale_factor, antialias, f):
    out_sp, sfs = _plan(x_shape, size, scale_factor, recompute_scale_factor)
    align = bool(align_corners)
    N, C, sp = x_shape[0], x_shape[1], x_shape[2:]
    out_shape = (N, C, *out_sp)
    if antialias:
        taps = [[_aa_taps(mode, sp[d], out_sp[d], o, sfs[d], align, f) for o in range(out_sp[d])]
                for d in range(len(sp))]
        return out_shape, taps
    mode = _mode_parts(mode)
    if mode == "bicubic" and tuple(out_sp) == tuple(sp):
        return out_shape, [[[(o, 1.0)] for o in range(n)] for n in sp]
    taps = [[_taps(mode, sp[d], out_sp[d], o, sfs[d], align, f) for o in range(out_sp[d])] for d in range(len(sp))]
    return out_shape, taps


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    x = _f64(input)
    f = np.float64 if _is_f64(input) else np.float32
    out_shape, taps = _contributions(x.shape, size, scale_factor, mode, align_corners, recompute_scale_factor,
                                     antialias, f)
    y = np.zeros(out_shape)
    for o in np.ndindex(*out_shape[2:]):
        for corner in itertools.product(*(taps[d][o[d]] for d in range(len(o)))):
            w = np.prod([c[1] for c in corner])
            y[(slice(None), slice(None)) + o] += w * x[(slice(None), slice(None)) + tuple(c[0] for c in corner)]
    return y


def interpolate_backward(grad_output, input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                         recompute_scale_factor=None, antialias=False):
    x = np.asarray(input)
    g = _f64(grad_output)
    f = np.float64 if _is_f64(input) else np.float32
    out_shape, taps = _contributions(x.shape, size, scale_factor, mode, align_corners, recompute_scale_factor,
                                     antialias, f)
    dx = np.zeros(x.shape)
    for o in np.ndindex(*out_shape[2:]):
        for corner in itertools.product(*(taps[d][o[d]] for d in range(len(o)))):
            w = np.prod([c[1] for c in corner])
            dx[(slice(None), slice(None)) + tuple(c[0] for c in corner)] += w * g[(slice(None), slice(None)) + o]
    return (dx,)


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_backward(grad_output, input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    return interpolate_backward(grad_output, input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_nearest_backward(grad_output, input, size=None, scale_factor=None):
    return interpolate_backward(grad_output, input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


def upsample_bilinear_backward(grad_output, input, size=None, scale_factor=None):
    return interpolate_backward(grad_output, input, size, scale_factor, mode="bilinear", align_corners=True)


# ------------------------------------------------------------------------------ unfold / fold
def _pair(v):
    return tuple(v) if isinstance(v, (list, tuple)) else (v, v)


def _blocks(H, W, k, d, p, s):
    return ((H + 2 * p[0] - d[0] * (k[0] - 1) - 1) // s[0] + 1, (W + 2 * p[1] - d[1] * (k[1] - 1) - 1) // s[1] + 1)


def _patches(N, C, H, W, kernel_size, dilation, padding, stride):
    """Yields (n, row, col, (n, c, h, w)) for every column entry that reads the image."""
    k, d, p, s = _pair(kernel_size), _pair(dilation), _pair(padding), _pair(stride)
    OH, OW = _blocks(H, W, k, d, p, s)
    for n, c, ki, kj, oi, oj in itertools.product(range(N), range(C), range(k[0]), range(k[1]), range(OH), range(OW)):
        h, w = oi * s[0] - p[0] + ki * d[0], oj * s[1] - p[1] + kj * d[1]
        if 0 <= h < H and 0 <= w < W:
            yield n, (c * k[0] + ki) * k[1] + kj, oi * OW + oj, (n, c, h, w)


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    x = _f64(input)
    batched = x.ndim == 4
    x = x if batched else x[None]
    N, C, H, W = x.shape
    k = _pair(kernel_size)
    OH, OW = _blocks(H, W, k, _pair(dilation), _pair(padding), _pair(stride))
    y = np.zeros((N, C * k[0] * k[1], OH * OW))
    for n, r, l, src in _patches(N, C, H, W, kernel_size, dilation, padding, stride):
        y[n, r, l] = x[src]
    return y if batched else y[0]


def unfold_backward(grad_output, input, kernel_size, dilation=1, padding=0, stride=1):
    x = np.asarray(input)
    batched = x.ndim == 4
    g = _f64(grad_output) if batched else _f64(grad_output)[None]
    N, C, H, W = x.shape if batched else (1,) + x.shape
    dx = np.zeros((N, C, H, W))
    for n, r, l, src in _patches(N, C, H, W, kernel_size, dilation, padding, stride):
        dx[src] += g[n, r, l]
    return (dx if batched else dx[0],)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    x = _f64(input)
    batched = x.ndim == 3
    x = x if batched else x[None]
    k = _pair(kernel_size)
    N, C = x.shape[0], x.shape[1] // (k[0] * k[1])
    H, W = _pair(output_size)
    y = np.zeros((N, C, H, W))
    for n, r, l, dst in _patches(N, C, H, W, kernel_size, dilation, padding, stride):
        y[dst] += x[n, r, l]
    return y if batched else y[0]


def fold_backward(grad_output, input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    x = np.asarray(input)
    batched = x.ndim == 3
    g = _f64(grad_output) if batched else _f64(grad_output)[None]
    k = _pair(kernel_size)
    shape = x.shape if batched else (1,) + x.shape
    N, C = shape[0], shape[1] // (k[0] * k[1])
    H, W = _pair(output_size)
    dx = np.zeros(shape)
    for n, r, l, dst in _patches(N, C, H, W, kernel_size, dilation, padding, stride):
        dx[n, r, l] = g[dst]
    return (dx if batched else dx[0],)


# ------------------------------------------------------------------------------ pixel (un)shuffle
def _shuffle_map(shape, r):
    """(input index, output index) pairs of pixel_shuffle over an input of ``shape``."""
    *batch, C, H, W = shape
    for b in np.ndindex(*batch):
        for c, i, j, h, w in itertools.product(range(C // (r * r)), range(r), range(r), range(H), range(W)):
            yield b + (c * r * r + i * r + j, h, w), b + (c, h * r + i, w * r + j)


def pixel_shuffle(input, upscale_factor):
    x = np.asarray(input)
    r = upscale_factor
    *batch, C, H, W = x.shape
    y = np.zeros((*batch, C // (r * r), H * r, W * r), dtype=x.dtype)
    for src, dst in _shuffle_map(x.shape, r):
        y[dst] = x[src]
    return y


def pixel_shuffle_backward(grad_output, input, upscale_factor):
    g = _f64(grad_output)
    dx = np.zeros(np.shape(input))
    for src, dst in _shuffle_map(np.shape(input), upscale_factor):
        dx[src] = g[dst]
    return (dx,)


def pixel_unshuffle(input, downscale_factor):
    x = np.asarray(input)
    r = downscale_factor
    *batch, C, H, W = x.shape
    y = np.zeros((*batch, C * r * r, H // r, W // r), dtype=x.dtype)
    for src, dst in _shuffle_map(y.shape, r):
        y[src] = x[dst]
    return y


def pixel_unshuffle_backward(grad_output, input, downscale_factor):
    r = downscale_factor
    *batch, C, H, W = np.shape(input)
    g = _f64(grad_output)
    dx = np.zeros(np.shape(input))
    for src, dst in _shuffle_map((*batch, C * r * r, H // r, W // r), r):
        dx[dst] = g[src]
    return (dx,)
