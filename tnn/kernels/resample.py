"""Resampling: interpolate (nearest, nearest-exact, linear / bilinear / trilinear) forward and
backward, and im2col / col2im (F.unfold / F.fold).

Interpolate sees every input as 5-d (N, C, D, H, W): the launcher gives a 3-d or 4-d input's
missing spatial dims size 1 and stride 0 (scale 1, so they map o = 0 -> i = 0 with weight 1).
Per spatial dim, output index o reads (torch's CPU rules, UpSample.h):
    nearest        i = o if out == in, o >> 1 if out == 2 in, else min(floor(o * s), in - 1)  (fp32)
    nearest-exact  i = min(floor(fp32((o + 0.5) * s)), in - 1)   ((o + 0.5) * s in fp64, as torch)
    linear         src = s * o (align_corners) or max(s * (o + 0.5) - 0.5, 0); i0 = min(floor(src),
                   in - 1), i1 = i0 + (i0 < in - 1), l1 = clamp(src - i0, 0, 1), l0 = 1 - l1
with s the scale the launcher computed as torch does (1 / scale_factor when one was given, else
in / out; align_corners: (in - 1) / (out - 1), or 0 for out == 1), rounded to the opmath dtype
(fp32 for fp16 / bf16 / fp32; nearest always fp32). Linear modes sum the 2^D corners' products
of weights, accumulating in fp32 (fp64 for fp64).

Backward is separable: one gather pass per spatial dim, reducing that dim from the output size to
the input size: input index i sums w(o, i) * g[o] over the outputs o that read it. Because
i0(o) is non-decreasing in o, those o are the contiguous run with i0(o) in {i - 1, i} (nearest:
{i}); each lane finds its first o by binary search over the same index function the forward
uses, then walks at most ``span`` positions (the host's bound on the run length). No atomics;
intermediate passes keep fp32 (fp64).

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
from .launch import cdiv, elementwise_config, jit, launch
from .helpers import f64_from_bits

NEAREST, NEAREST_EXACT, LINEAR = 0, 1, 2
MODES = {"nearest": NEAREST, "nearest-exact": NEAREST_EXACT, "linear": LINEAR}




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
def _resample_fwd_kernel(
    x_ptr,        # (N, C, D, H, W) strided input (absent dims: size 1, stride 0)
    y_ptr,        # (N, C, D', H', W') contiguous output
    numel,        # elements of y
    out_sizes,    # tuple of 5 output sizes
    in_sizes,     # tuple of 5 input sizes
    x_strides,    # tuple of 5 input strides (elements)
    scales,       # tuple of 3 per-dim scales (D, H, W), float64 bits
    MODE: tl.constexpr,    # NEAREST, NEAREST_EXACT or LINEAR
    ALIGN: tl.constexpr,   # linear: align_corners
    KD: tl.constexpr,      # corners per dim: 2 for an interpolated linear dim, else 1
    KH: tl.constexpr,
    KW: tl.constexpr,
    ACC: tl.constexpr,     # accumulator / opmath dtype
    BLOCK: tl.constexpr,
):
    """y[n, c, od, oh, ow] = sum over corners of x[n, c, id, ih, iw] * wd * wh * ww (nearest: the
    one source element).

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
    input i in output o (nearest: 1 where the index function maps o to i).

    Grid: (cdiv(numel, BLOCK),); one program writes BLOCK consecutive elements of dx: per lane a
    binary search for the first o with index(o) >= i - 1 (nearest: >= i), then ``span`` steps."""
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
    else:
        target = i
    lo = tl.zeros_like(idx)
    hi = tl.zeros_like(idx) + n_out
    for _ in range(0, steps):
        mid = (lo + hi) // 2
        if MODE == 2:
            f, _1, _2 = _linear_index(mid, scale_bits, n_in, ALIGN, ACC)
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
        else:
            m = m & (_nearest_index(o, scale_bits, n_in, n_out, MODE) == i)
            acc += tl.load(g_ptr + base + o * s, mask=m, other=0).to(ACC)
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
    f = np.float32 if mode != "linear" else _acc_np(dtype)
    if mode == "linear" and align:
        return float(f(n_in - 1) / f(n_out - 1)) if n_out > 1 else 0.0
    if scale is not None and scale > 0:
        return float(f(1.0 / scale))
    return float(f(n_in) / f(n_out))


def source_indices(mode: str, n_in: int, n_out: int, s: float, align: bool, dtype) -> np.ndarray:
    """Host copy of the kernels' index function over every output position (i0 for linear)."""
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
