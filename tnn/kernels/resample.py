"""Resampling: interpolate (nearest, nearest-exact, linear / bilinear / trilinear, bicubic, and the
antialiased bilinear / bicubic filters) forward and backward, and im2col / col2im (F.unfold / F.fold).

Interpolate sees every input as 5-d (N, C, D, H, W): the launcher gives a 3-d or 4-d input's
missing spatial dims size 1 and stride 0 (scale 1, so they map o = 0 -> i = 0 with weight 1).
Per spatial dim, output index o reads (torch's CPU rules, UpSample.h):
    nearest        i = o if out == in, o >> 1 if out == 2 in, else min(floor(o * s), in - 1)  (fp32)
    nearest-exact  i = min(floor(fp32((o + 0.5) * s)), in - 1)   ((o + 0.5) * s in fp64, as torch)
    linear         src = s * o (align_corners) or max(s * (o + 0.5) - 0.5, 0); i0 = min(floor(src),
                   in - 1), i1 = i0 + (i0 < in - 1), l1 = clamp(src - i0, 0, 1), l0 = 1 - l1
    bicubic        src = s * o (align_corners) or s * (o + 0.5) - 0.5 (NOT clamped at 0), i =
                   floor(src) (may be -1), t = src - i; taps i - 1 .. i + 2, each clamped to
                   [0, in - 1] (border taps repeat), weights Keys' cubic convolution (A = -0.75):
                   cc2(t + 1), cc1(t), cc1(1 - t), cc2((1 - t) + 1) with cc1(x) = ((A + 2) x -
                   (A + 3)) x^2 + 1, cc2(x) = ((A x - 5A) x + 8A) x - 4A
with s the scale the launcher computed as torch does (1 / scale_factor when one was given, else
in / out; align_corners: (in - 1) / (out - 1), or 0 for out == 1), rounded to the opmath dtype
(fp32 for fp16 / bf16 / fp32; nearest always fp32). Linear modes sum the 2^D corners' products
of weights (bicubic: the 4 x 4 taps'), accumulating in fp32 (fp64 for fp64).

Backward is separable: one gather pass per spatial dim, reducing that dim from the output size to
the input size: input index i sums w(o, i) * g[o] over the outputs o that read it. Because
i0(o) is non-decreasing in o, those o are the contiguous run with i0(o) in {i - 1, i} (nearest:
{i}; bicubic: i - 2 .. i + 1, which also covers the clamped border taps, since i0 lies in
[-1, in - 1]: a lane sums every tap of o whose clamped index is i, so a border index that several
taps of one o repeat gets all their weights); each lane finds its first o by binary search over
the same index function the forward uses, then walks at most ``span`` positions (the host's
bound on the run length). No atomics; intermediate passes keep fp32 (fp64).

Antialiased bilinear / bicubic (torch's _upsample_{bilinear,bicubic}2d_aa) are separable filters,
run as one pass per spatial dim (W then H forward; H then W backward, intermediates in fp32 /
fp64). Per dim, with support = (interp / 2) * s when s >= 1 else interp / 2 (interp = 2 bilinear,
4 bicubic) and taps = 2 ceil(support) + 1:
    center = s * (o + 0.5), xmin = max(int(center - support + 0.5), 0),
    xmax = min(int(center + support + 0.5), in, xmin + taps)          (int truncates toward 0)
    w(o, k) = f((k - center + 0.5) / max(s, 1)) / sum over k' in [xmin, xmax) of the same
with f the triangle max(1 - |x|, 0) (bilinear) or the cubic convolution with A = -0.5 on |x| < 2
(bicubic), no normalisation when the sum is 0. The backward gathers as above: the o whose window
holds i are a contiguous run (xmin, xmax non-decreasing in o), found by binary search on xmax.

im2col (F.unfold) writes cols[n, (c, ki, kj), (oi, oj)] = x[n, c, oi*sh - ph + ki*dh, oj*sw - pw
+ kj*dw] (0 outside); col2im (F.fold) is its adjoint, computed as a gather: x[n, c, h, w] sums
cols over the (ki, kj) whose window position (h + ph - ki*dh) / sh is an integer block index.
unfold's backward is col2im and fold's is im2col.
"""
from __future__ import annotations

import numpy as np
import triton.language as tl

from ..shape import contiguous_strides
from .creation import float_bits
from .helpers import axis_split, f64_from_bits
from .launch import cdiv, elementwise_config, jit, launch

NEAREST, NEAREST_EXACT, LINEAR, CUBIC = 0, 1, 2, 3
MODES = {"nearest": NEAREST, "nearest-exact": NEAREST_EXACT, "linear": LINEAR, "bicubic": CUBIC}
TRIANGLE, KEYS = 0, 1          # antialias filters: bilinear, bicubic (A = -0.5)
AA_FILTERS = {"bilinear": TRIANGLE, "bicubic": KEYS}




@jit
def _nearest_index(o, scale_bits, n_in, n_out, MODE: tl.constexpr):
    """Input index read by output index o (int64) in a nearest mode."""
    scale = f64_from_bits(scale_bits).to(tl.float32)
    if MODE == 0:
        i = tl.floor(o.to(tl.float32) * scale).to(tl.int64)
        i = tl.minimum(i, n_in - 1)
        i = tl.where(n_out == 2 * n_in, o >> 1, i)
        i = tl.where(n_out == n_in, o, i)
    else:
        src = ((o.to(tl.float64) + 0.5) * scale.to(tl.float64)).to(tl.float32)
        i = tl.minimum(tl.floor(src).to(tl.int64), n_in - 1)
    return i


@jit
def _linear_index(o, scale_bits, n_in, ALIGN: tl.constexpr, ACC: tl.constexpr):
    """(i0, i1, l1) for output index o (int64): the two input indices and the weight of i1."""
    scale = f64_from_bits(scale_bits).to(ACC)
    of = o.to(ACC)
    if ALIGN:
        src = scale * of
    else:
        src = scale * (of + 0.5) - 0.5
        src = tl.where(src < 0, 0.0, src)
    i0 = tl.minimum(tl.floor(src).to(tl.int64), n_in - 1)
    i1 = tl.where(i0 < n_in - 1, i0 + 1, i0)
    l1 = tl.minimum(tl.maximum(src - i0.to(ACC), 0.0), 1.0)
    return i0, i1, l1


@jit
def _cubic_index(o, scale_bits, ALIGN: tl.constexpr, ACC: tl.constexpr):
    """(i, t) for output index o (int64) in bicubic mode: i = floor(src) (may be -1), t = src - i."""
    scale = f64_from_bits(scale_bits).to(ACC)
    of = o.to(ACC)
    if ALIGN:
        src = scale * of
    else:
        src = scale * (of + 0.5) - 0.5
    fl = tl.floor(src)
    return fl.to(tl.int64), src - fl


@jit
def _cubic_weight(t, TAP: tl.constexpr):
    """Keys' cubic convolution coefficient (A = -0.75) of tap TAP (input index i - 1 + TAP) at
    fraction t, in t's dtype, with torch's expression order (get_cubic_upsample_coefficients)."""
    A: tl.constexpr = -0.75
    if TAP == 0:
        x = t + 1.0
        w = ((A * x - 5.0 * A) * x + 8.0 * A) * x - 4.0 * A
    elif TAP == 1:
        w = ((A + 2.0) * t - (A + 3.0)) * t * t + 1.0
    elif TAP == 2:
        x = 1.0 - t
        w = ((A + 2.0) * x - (A + 3.0)) * x * x + 1.0
    else:
        x = (1.0 - t) + 1.0
        w = ((A * x - 5.0 * A) * x + 8.0 * A) * x - 4.0 * A
    return w


@jit
def _resample_fwd_kernel(
    x_ptr,        # (N, C, D, H, W) strided input (absent dims: size 1, stride 0)
    y_ptr,        # (N, C, D', H', W') contiguous output
    numel,        # elements of y
    out_sizes,    # tuple of 5 output sizes
    in_sizes,     # tuple of 5 input sizes
    x_strides,    # tuple of 5 input strides (elements)
    scales,       # tuple of 3 per-dim scales (D, H, W), float64 bits
    MODE: tl.constexpr,    # NEAREST, NEAREST_EXACT, LINEAR or CUBIC (CUBIC: 4-d inputs only)
    ALIGN: tl.constexpr,   # linear / bicubic: align_corners
    KD: tl.constexpr,      # corners per dim: 2 for an interpolated linear dim, else 1
    KH: tl.constexpr,
    KW: tl.constexpr,
    ACC: tl.constexpr,     # accumulator / opmath dtype
    BLOCK: tl.constexpr,
):
    """y[n, c, od, oh, ow] = sum over corners of x[n, c, id, ih, iw] * wd * wh * ww (nearest: the
    one source element; bicubic: the 4 x 4 clamped taps around (ih, iw), D being 1).

    Grid: (cdiv(numel, BLOCK),); one program writes BLOCK consecutive output elements."""
    idx = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = idx < numel
    ow = idx % out_sizes[4]
    t = idx // out_sizes[4]
    oh = t % out_sizes[3]
    t = t // out_sizes[3]
    od = t % out_sizes[2]
    t = t // out_sizes[2]
    c = t % out_sizes[1]
    n = t // out_sizes[1]
    base = n * x_strides[0] + c * x_strides[1]
    if MODE == 2:
        d0, d1, ld = _linear_index(od, scales[0], in_sizes[2], ALIGN, ACC)
        h0, h1, lh = _linear_index(oh, scales[1], in_sizes[3], ALIGN, ACC)
        w0, w1, lw = _linear_index(ow, scales[2], in_sizes[4], ALIGN, ACC)
        acc = tl.zeros([BLOCK], ACC)
        for a in tl.static_range(KD):
            if a == 0:
                di, wd = d0, 1.0 - ld
            else:
                di, wd = d1, ld
            for b in tl.static_range(KH):
                if b == 0:
                    hi, wh = h0, 1.0 - lh
                else:
                    hi, wh = h1, lh
                part = tl.zeros([BLOCK], ACC)
                for e in tl.static_range(KW):
                    if e == 0:
                        wi, ww = w0, 1.0 - lw
                    else:
                        wi, ww = w1, lw
                    off = base + di * x_strides[2] + hi * x_strides[3] + wi * x_strides[4]
                    part += ww * tl.load(x_ptr + off, mask=mask, other=0).to(ACC)
                acc += wd * (wh * part)
        tl.store(y_ptr + idx, acc.to(y_ptr.dtype.element_ty), mask=mask)
    elif MODE == 3:
        h0, th = _cubic_index(oh, scales[1], ALIGN, ACC)
        w0, tw = _cubic_index(ow, scales[2], ALIGN, ACC)
        acc = tl.zeros([BLOCK], ACC)
        for b in tl.static_range(4):
            hi = tl.minimum(tl.maximum(h0 + (b - 1), 0), in_sizes[3] - 1)
            part = tl.zeros([BLOCK], ACC)
            for e in tl.static_range(4):
                wi = tl.minimum(tl.maximum(w0 + (e - 1), 0), in_sizes[4] - 1)
                v = tl.load(x_ptr + base + hi * x_strides[3] + wi * x_strides[4], mask=mask, other=0).to(ACC)
                part += _cubic_weight(tw, e) * v
            acc += _cubic_weight(th, b) * part
        tl.store(y_ptr + idx, acc.to(y_ptr.dtype.element_ty), mask=mask)
    else:
        di = _nearest_index(od, scales[0], in_sizes[2], out_sizes[2], MODE)
        hi = _nearest_index(oh, scales[1], in_sizes[3], out_sizes[3], MODE)
        wi = _nearest_index(ow, scales[2], in_sizes[4], out_sizes[4], MODE)
        off = base + di * x_strides[2] + hi * x_strides[3] + wi * x_strides[4]
        tl.store(y_ptr + idx, tl.load(x_ptr + off, mask=mask, other=0), mask=mask)


@jit
def _resample_bwd_kernel(
    g_ptr,        # (N, C, D*, H*, W*) strided gradient: n_out along AXIS
    dx_ptr,       # same shape with n_in along AXIS, contiguous
    numel,        # elements of dx
    dx_sizes,     # tuple of 5 sizes of dx
    g_strides,    # tuple of 5 strides of g (elements)
    n_in,         # input size along AXIS
    n_out,        # output size along AXIS
    scale_bits,   # AXIS's scale, float64 bits
    span,         # bound on the output positions any one input index gathers (+ margin)
    steps,        # binary-search steps: ceil(log2(n_out + 1)) + 1
    MODE: tl.constexpr,
    ALIGN: tl.constexpr,
    AXIS: tl.constexpr,    # 2, 3 or 4
    ACC: tl.constexpr,
    BLOCK: tl.constexpr,
):
    """dx[.., i, ..] = sum over o of w(o, i) * g[.., o, ..] along AXIS, w the forward's weight of
    input i in output o (nearest: 1 where the index function maps o to i; bicubic: the sum of the
    coefficients of o's taps whose clamped index is i, so repeated border taps all count).

    Grid: (cdiv(numel, BLOCK),); one program writes BLOCK consecutive elements of dx: per lane a
    binary search for the first o with index(o) >= i - 1 (nearest: >= i; bicubic: >= i - 2), then
    ``span`` steps. Deterministic: no atomics, a fixed summation order."""
    idx = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = idx < numel
    base = tl.zeros_like(idx)
    i = tl.zeros_like(idx)
    rem = idx
    for d in tl.static_range(4, -1, -1):
        k = rem % dx_sizes[d]
        rem = rem // dx_sizes[d]
        if d == AXIS:
            i = k
        else:
            base += k * g_strides[d]
    if MODE == 2:
        target = i - 1
    elif MODE == 3:
        target = i - 2
    else:
        target = i
    lo = tl.zeros_like(idx)
    hi = tl.zeros_like(idx) + n_out
    for _ in range(0, steps):
        mid = (lo + hi) // 2
        if MODE == 2:
            f, _1, _2 = _linear_index(mid, scale_bits, n_in, ALIGN, ACC)
        elif MODE == 3:
            f, _1 = _cubic_index(mid, scale_bits, ALIGN, ACC)
        else:
            f = _nearest_index(mid, scale_bits, n_in, n_out, MODE)
        active = lo < hi
        less = f < target
        lo = tl.where(active & less, mid + 1, lo)
        hi = tl.where(active & (~less), mid, hi)
    s = g_strides[AXIS]
    acc = tl.zeros([BLOCK], ACC)
    for j in range(0, span):
        o = lo + j
        m = mask & (o < n_out)
        if MODE == 2:
            i0, i1, l1 = _linear_index(o, scale_bits, n_in, ALIGN, ACC)
            w = tl.where(i0 == i, 1.0 - l1, 0.0) + tl.where(i1 == i, l1, 0.0)
            m = m & ((i0 == i) | (i1 == i))
            acc += w * tl.load(g_ptr + base + o * s, mask=m, other=0).to(ACC)
        elif MODE == 3:
            c0, t = _cubic_index(o, scale_bits, ALIGN, ACC)
            w = tl.zeros([BLOCK], ACC)
            for a in tl.static_range(4):
                k = tl.minimum(tl.maximum(c0 + (a - 1), 0), n_in - 1)
                w += tl.where(k == i, _cubic_weight(t, a), 0.0)
            m = m & (c0 >= i - 2) & (c0 <= i + 1)
            acc += w * tl.load(g_ptr + base + o * s, mask=m, other=0).to(ACC)
        else:
            m = m & (_nearest_index(o, scale_bits, n_in, n_out, MODE) == i)
            acc += tl.load(g_ptr + base + o * s, mask=m, other=0).to(ACC)
    tl.store(dx_ptr + idx, acc.to(dx_ptr.dtype.element_ty), mask=mask)


@jit
def _aa_filter(x, FILTER: tl.constexpr):
    """The antialias filter at x (any sign): triangle (bilinear) or cubic convolution with
    A = -0.5 (bicubic), as torch's aa_filter."""
    x = tl.abs(x)
    if FILTER == 0:
        w = tl.where(x < 1.0, 1.0 - x, 0.0)
    else:
        A: tl.constexpr = -0.5
        w1 = ((A + 2.0) * x - (A + 3.0)) * x * x + 1.0
        w2 = (((x - 5.0) * x + 8.0) * x - 4.0) * A
        w = tl.where(x < 1.0, w1, tl.where(x < 2.0, w2, 0.0))
    return w


@jit
def _aa_window(o, scale, support, n_in, taps, ACC: tl.constexpr):
    """(center, xmin, xmax) of output index o (int64): the input window [xmin, xmax) it reads."""
    center = scale * (o.to(ACC) + 0.5)
    xmin = tl.maximum((center - support + 0.5).to(tl.int64), 0)
    xmax = tl.minimum((center + support + 0.5).to(tl.int64), n_in)
    xmax = tl.minimum(xmax, xmin + taps)
    return center, xmin, xmax


@jit
def _aa_fwd_kernel(
    x_ptr,        # (N, C, H*, W*) strided input of this pass: n_in along AXIS
    y_ptr,        # same with n_out along AXIS, contiguous
    numel,        # elements of y
    y_sizes,      # tuple of 4 sizes of y
    x_strides,    # tuple of 4 strides of x (elements)
    n_in,         # input size along AXIS
    scale_bits,   # AXIS's scale, float64 bits
    support_bits,  # filter support in input pixels, float64 bits
    taps,         # window bound: 2 * ceil(support) + 1
    FILTER: tl.constexpr,  # TRIANGLE or KEYS
    AXIS: tl.constexpr,    # 2 or 3
    ACC: tl.constexpr,
    BLOCK: tl.constexpr,
):
    """One separable pass of antialiased interpolation along AXIS: y[.., o, ..] = sum over k in
    [xmin(o), xmax(o)) of w(o, k) * x[.., k, ..], w the normalised filter weights (module docstring).

    Grid: (cdiv(numel, BLOCK),); one program writes BLOCK consecutive elements of y, each lane
    walking ``taps`` window positions (masked past its xmax)."""
    idx = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = idx < numel
    o, base = axis_split(idx, y_sizes, x_strides, AXIS, 4)
    scale = f64_from_bits(scale_bits).to(ACC)
    support = f64_from_bits(support_bits).to(ACC)
    invscale = tl.where(scale >= 1.0, 1.0 / scale, 1.0)
    center, xmin, xmax = _aa_window(o, scale, support, n_in, taps, ACC)
    d0 = xmin.to(ACC) - center
    s = x_strides[AXIS]
    total = tl.zeros([BLOCK], ACC)
    acc = tl.zeros([BLOCK], ACC)
    for j in range(0, taps):
        m = mask & (xmin + j < xmax)
        w = tl.where(m, _aa_filter((j + d0 + 0.5) * invscale, FILTER), 0.0)
        total += w
        acc += w * tl.load(x_ptr + base + (xmin + j) * s, mask=m, other=0).to(ACC)
    acc = tl.where(total != 0.0, acc / total, acc)
    tl.store(y_ptr + idx, acc.to(y_ptr.dtype.element_ty), mask=mask)


@jit
def _aa_bwd_kernel(
    g_ptr,        # (N, C, H*, W*) strided gradient: n_out along AXIS
    dx_ptr,       # same shape with n_in along AXIS, contiguous
    numel,        # elements of dx
    dx_sizes,     # tuple of 4 sizes of dx
    g_strides,    # tuple of 4 strides of g (elements)
    n_in,         # input size along AXIS
    n_out,        # output size along AXIS
    scale_bits,   # AXIS's scale, float64 bits
    support_bits,  # filter support, float64 bits
    taps,         # window bound: 2 * ceil(support) + 1
    span,         # bound on the outputs any one input index gathers (+ margin)
    steps,        # binary-search steps: ceil(log2(n_out + 1)) + 1
    FILTER: tl.constexpr,
    AXIS: tl.constexpr,
    ACC: tl.constexpr,
    BLOCK: tl.constexpr,
):
    """The adjoint of one _aa_fwd_kernel pass, as a gather: dx[.., i, ..] = sum over the o whose
    window holds i of w(o, i) * g[.., o, ..]. Those o are a contiguous run (xmin, xmax
    non-decreasing in o): a binary search finds the first o with xmax(o) > i, then ``span`` steps;
    each o recomputes its normaliser over its ``taps`` window. Deterministic (no atomics).

    Grid: (cdiv(numel, BLOCK),); one program writes BLOCK consecutive elements of dx."""
    idx = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = idx < numel
    i, base = axis_split(idx, dx_sizes, g_strides, AXIS, 4)
    scale = f64_from_bits(scale_bits).to(ACC)
    support = f64_from_bits(support_bits).to(ACC)
    invscale = tl.where(scale >= 1.0, 1.0 / scale, 1.0)
    lo = tl.zeros_like(idx)
    hi = tl.zeros_like(idx) + n_out
    for _ in range(0, steps):
        mid = (lo + hi) // 2
        _c, _x, xmax = _aa_window(mid, scale, support, n_in, taps, ACC)
        active = lo < hi
        less = xmax <= i
        lo = tl.where(active & less, mid + 1, lo)
        hi = tl.where(active & (~less), mid, hi)
    s = g_strides[AXIS]
    acc = tl.zeros([BLOCK], ACC)
    for j in range(0, span):
        o = lo + j
        center, xmin, xmax = _aa_window(o, scale, support, n_in, taps, ACC)
        m = mask & (o < n_out) & (xmin <= i) & (i < xmax)
        d0 = xmin.to(ACC) - center
        total = tl.zeros([BLOCK], ACC)
        w = tl.zeros([BLOCK], ACC)
        for q in range(0, taps):
            f = tl.where(xmin + q < xmax, _aa_filter((q + d0 + 0.5) * invscale, FILTER), 0.0)
            total += f
            w += tl.where(xmin + q == i, f, 0.0)
        w = tl.where(total != 0.0, w / total, w)
        acc += w * tl.load(g_ptr + base + o * s, mask=m, other=0).to(ACC)
    tl.store(dx_ptr + idx, acc.to(dx_ptr.dtype.element_ty), mask=mask)


@jit
def _unfold_fwd_kernel(
    x_ptr,        # (N, C, H, W) strided image
    y_ptr,        # (N, C*KH*KW, OH*OW) contiguous columns
    numel,        # elements of y
    C, H, W,      # image sizes
    sxn, sxc, sxh, sxw,   # image strides
    KH, KW,       # kernel size
    OH, OW,       # blocks along H and W
    sh, sw, ph, pw, dh, dw,   # stride, padding, dilation
    BLOCK: tl.constexpr,
):
    """im2col: y[n, c*KH*KW + ki*KW + kj, oi*OW + oj] = x[n, c, oi*sh - ph + ki*dh, oj*sw - pw + kj*dw]
    (0 where that falls in the padding).

    Grid: (cdiv(numel, BLOCK),); one program writes BLOCK consecutive column elements."""
    idx = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = idx < numel
    L = OH * OW
    R = C * KH * KW
    l = idx % L
    t = idx // L
    r = t % R
    n = t // R
    c = r // (KH * KW)
    k = r % (KH * KW)
    h = (l // OW) * sh - ph + (k // KW) * dh
    w = (l % OW) * sw - pw + (k % KW) * dw
    inside = mask & (h >= 0) & (h < H) & (w >= 0) & (w < W)
    v = tl.load(x_ptr + n * sxn + c * sxc + h * sxh + w * sxw, mask=inside, other=0)
    tl.store(y_ptr + idx, v.to(y_ptr.dtype.element_ty), mask=mask)


@jit
def _unfold_bwd_kernel(
    y_ptr,        # (N, C*KH*KW, OH*OW) strided columns
    x_ptr,        # (N, C, H, W) contiguous image
    numel,        # elements of x
    C, H, W,
    syn, syr, syl,        # column strides
    KH, KW,
    OH, OW,
    sh, sw, ph, pw, dh, dw,
    ACC: tl.constexpr,
    BLOCK: tl.constexpr,
):
    """col2im: x[n, c, h, w] = sum of y[n, c*KH*KW + ki*KW + kj, oi*OW + oj] over the (ki, kj)
    with h = oi*sh - ph + ki*dh and w = oj*sw - pw + kj*dw for block indices 0 <= oi < OH,
    0 <= oj < OW -- the adjoint of im2col, as a gather.

    Grid: (cdiv(numel, BLOCK),); one program writes BLOCK consecutive image elements, looping
    over the KH x KW kernel offsets."""
    idx = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = idx < numel
    w = idx % W
    t = idx // W
    h = t % H
    t = t // H
    c = t % C
    n = t // C
    acc = tl.zeros([BLOCK], ACC)
    for ki in range(0, KH):
        th = h + ph - ki * dh
        thc = tl.maximum(th, 0)
        oi = thc // sh
        vh = (th >= 0) & (thc % sh == 0) & (oi < OH)
        for kj in range(0, KW):
            tw = w + pw - kj * dw
            twc = tl.maximum(tw, 0)
            oj = twc // sw
            vw = (tw >= 0) & (twc % sw == 0) & (oj < OW)
            r = (c * KH + ki) * KW + kj
            off = n * syn + r * syr + (oi * OW + oj) * syl
            acc += tl.load(y_ptr + off, mask=mask & vh & vw, other=0).to(ACC)
    tl.store(x_ptr + idx, acc.to(x_ptr.dtype.element_ty), mask=mask)


# ----------------------------------------------------------------------------- launchers
def _as5d(shape, strides):
    """(N, C, *spatial) padded to (N, C, D, H, W): missing spatial dims get size 1, stride 0."""
    k = 5 - len(shape)
    return tuple(shape[:2]) + (1,) * k + tuple(shape[2:]), tuple(strides[:2]) + (0,) * k + tuple(strides[2:])


def _acc_np(dtype):
    return np.float64 if dtype.name == "float64" else np.float32


def scale_for(mode: str, n_in: int, n_out: int, align: bool, scale, dtype) -> float:
    """The per-dim scale torch's kernels use (area_pixel_compute_scale / compute_scales_value),
    rounded to their opmath type and returned as a Python float (exact)."""
    f = np.float32 if mode not in ("linear", "bicubic") else _acc_np(dtype)
    if mode in ("linear", "bicubic") and align:
        return float(f(n_in - 1) / f(n_out - 1)) if n_out > 1 else 0.0
    if scale is not None and scale > 0:
        return float(f(1.0 / scale))
    return float(f(n_in) / f(n_out))


def source_indices(mode: str, n_in: int, n_out: int, s: float, align: bool, dtype) -> np.ndarray:
    """Host copy of the kernels' index function over every output position (i0 for linear,
    floor(src) for bicubic)."""
    o = np.arange(n_out)
    if mode == "nearest":
        if n_out == n_in:
            return o
        if n_out == 2 * n_in:
            return o >> 1
        return np.minimum(np.floor(o.astype(np.float32) * np.float32(s)).astype(np.int64), n_in - 1)
    if mode == "nearest-exact":
        src = ((o + 0.5) * float(np.float32(s))).astype(np.float32)
        return np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    f = _acc_np(dtype)
    of = o.astype(f)
    if mode == "bicubic":
        return np.floor(f(s) * of if align else f(s) * (of + f(0.5)) - f(0.5)).astype(np.int64)
    src = f(s) * of if align else np.maximum(f(s) * (of + f(0.5)) - f(0.5), f(0))
    return np.minimum(np.floor(src).astype(np.int64), n_in - 1)


def resample_fwd(x, y, mode: str, scales, align: bool):
    """y = interpolate(x); ``scales``: one per spatial dim, from scale_for."""
    sizes, strides = _as5d(tuple(x.shape), x.stride())
    out_sizes, _ = _as5d(tuple(y.shape), y.stride())
    sc = (1.0,) * (3 - len(scales)) + tuple(scales)
    acc = tl.float64 if x.dtype.name == "float64" else tl.float32
    k = [2 if mode == "linear" and j >= 3 - len(scales) else 1 for j in range(3)]
    n = y.numel()
    block, warps = elementwise_config(n, y.device)
    launch(_resample_fwd_kernel, (cdiv(n, block),), x, y, n, out_sizes, sizes, strides,
           tuple(float_bits(s) for s in sc), MODE=MODES[mode], ALIGN=bool(align), KD=k[0], KH=k[1], KW=k[2],
           ACC=acc, BLOCK=block, num_warps=warps)


def resample_bwd(g, dx, mode: str, scales, align: bool, acc_dtype):
    """dx = the gradient of interpolate for the output gradient g (any strides): one gather pass
    per spatial dim (last first), intermediates in ``acc_dtype``."""
    from ..tensor import Tensor
    k = len(scales)
    dx5, _ = _as5d(tuple(dx.shape), dx.stride())
    cur = g
    cur_sizes, cur_strides = _as5d(tuple(g.shape), g.stride())
    acc = acc_dtype.tl
    axes = list(range(4, 4 - k, -1))
    for step, axis in enumerate(axes):
        n_in, n_out = dx5[axis], cur_sizes[axis]
        s = scales[axis - (5 - k)]
        sizes = cur_sizes[:axis] + (n_in,) + cur_sizes[axis + 1:]
        last = step == len(axes) - 1
        out = dx if last else Tensor._empty(sizes, acc_dtype, dx.device)
        idx = source_indices(mode, n_in, n_out, s, align, acc_dtype)
        if mode == "bicubic":  # the o with floor(src) in [i - 2, i + 1] (floor(src) >= -1)
            c = np.bincount(np.clip(idx + 1, 0, n_in), minlength=n_in + 1)
            counts = np.convolve(c, np.ones(4, np.int64))[2:n_in + 2]
        else:
            counts = np.bincount(idx, minlength=n_in)
        if mode == "linear":
            counts = counts + np.concatenate([[0], counts[:-1]])
        span = int(min(n_out, counts.max() + 2))
        steps = int(np.ceil(np.log2(n_out + 1))) + 1
        n = out.numel()
        block, warps = elementwise_config(n, dx.device)
        launch(_resample_bwd_kernel, (cdiv(n, block),), cur, out, n, sizes, cur_strides, n_in, n_out, float_bits(s),
               span, steps, MODE=MODES[mode], ALIGN=bool(align), AXIS=axis, ACC=acc, BLOCK=block, num_warps=warps)
        cur, cur_sizes = out, sizes
        cur_strides = contiguous_strides(sizes)


def aa_params(kind: str, n_in: int, n_out: int, align: bool, scale, dtype):
    """(scale, support, taps) of one antialiased dim, as torch's aa kernels compute them (in the
    opmath dtype; returned as exact Python floats)."""
    f = _acc_np(dtype)
    s = f(scale_for("linear", n_in, n_out, align, scale, dtype))
    half = f(2.0 if kind == "bilinear" else 4.0) * f(0.5)
    support = half * s if s >= 1.0 else half
    return float(s), float(support), int(np.ceil(support)) * 2 + 1


def aa_windows(n_in: int, n_out: int, s: float, support: float, taps: int, dtype):
    """Host copy of the kernels' (xmin, xmax) over every output position."""
    f = _acc_np(dtype)
    center = f(s) * (np.arange(n_out).astype(f) + f(0.5))
    xmin = np.maximum(np.trunc(center - f(support) + f(0.5)).astype(np.int64), 0)
    xmax = np.minimum(np.minimum(np.trunc(center + f(support) + f(0.5)).astype(np.int64), n_in), xmin + taps)
    return xmin, xmax


def aa_fwd(x, y, kind: str, params, acc_dtype):
    """y = antialiased interpolate(x) for 4-d x (any strides): a W pass, then an H pass; ``params``
    the (scale, support, taps) of H and W from aa_params; the intermediate in ``acc_dtype``."""
    from ..tensor import Tensor
    cur = x
    for axis in (3, 2):
        s, support, taps = params[axis - 2]
        sizes = tuple(cur.shape[:axis]) + (y.shape[axis],) + tuple(cur.shape[axis + 1:])
        out = y if axis == 2 else Tensor._empty(sizes, acc_dtype, y.device)
        n = out.numel()
        block, warps = elementwise_config(n, y.device)
        launch(_aa_fwd_kernel, (cdiv(n, block),), cur, out, n, sizes, tuple(cur.stride()), cur.shape[axis],
               float_bits(s), float_bits(support), taps, FILTER=AA_FILTERS[kind], AXIS=axis, ACC=acc_dtype.tl,
               BLOCK=block, num_warps=warps)
        cur = out


def aa_bwd(g, dx, kind: str, params, acc_dtype):
    """dx = the gradient of aa_fwd for the output gradient g (any strides): an H gather pass, then
    a W gather pass, the intermediate in ``acc_dtype``."""
    from ..tensor import Tensor
    cur = g
    for axis in (2, 3):
        s, support, taps = params[axis - 2]
        n_in, n_out = dx.shape[axis], cur.shape[axis]
        sizes = tuple(cur.shape[:axis]) + (n_in,) + tuple(cur.shape[axis + 1:])
        out = dx if axis == 3 else Tensor._empty(sizes, acc_dtype, dx.device)
        xmin, xmax = aa_windows(n_in, n_out, s, support, taps, acc_dtype)
        cover = np.zeros(n_in + 1, np.int64)
        np.add.at(cover, xmin, 1)
        np.add.at(cover, np.maximum(xmax, xmin), -1)
        span = int(min(n_out, np.cumsum(cover)[:n_in].max(initial=0) + 2))
        steps = int(np.ceil(np.log2(n_out + 1))) + 1
        n = out.numel()
        block, warps = elementwise_config(n, dx.device)
        launch(_aa_bwd_kernel, (cdiv(n, block),), cur, out, n, sizes, tuple(cur.stride()), n_in, n_out,
               float_bits(s), float_bits(support), taps, span, steps, FILTER=AA_FILTERS[kind], AXIS=axis,
               ACC=acc_dtype.tl, BLOCK=block, num_warps=warps)
        cur = out


def unfold_fwd(x, y, kernel, dilation, padding, stride, blocks):
    """im2col of the 4-d image x into the contiguous (N, C*KH*KW, OH*OW) y."""
    N, C, H, W = x.shape
    n = y.numel()
    block, warps = elementwise_config(n, y.device)
    launch(_unfold_fwd_kernel, (cdiv(n, block),), x, y, n, C, H, W, *x.stride(), *kernel, *blocks, *stride, *padding,
           *dilation, BLOCK=block, num_warps=warps)


def unfold_bwd(y, x, kernel, dilation, padding, stride, blocks, acc_dtype):
    """col2im of the (N, C*KH*KW, L) columns y (any strides) into the contiguous 4-d image x."""
    N, C, H, W = x.shape
    n = x.numel()
    block, warps = elementwise_config(n, x.device)
    launch(_unfold_bwd_kernel, (cdiv(n, block),), y, x, n, C, H, W, *y.stride(), *kernel, *blocks, *stride, *padding,
           *dilation, ACC=acc_dtype.tl, BLOCK=block, num_warps=warps)
