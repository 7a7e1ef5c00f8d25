"""Pooling: max / average / adaptive pooling forward and backward, and max-unpooling.

Every pooling kernel sees a 5-d problem (N, C, D, H, W): 1-d and 2-d pools are views with unit
leading spatial dims (the functional layer builds them), unbatched inputs have N = 1. Inputs are
read in place through their strides (channels-last too); outputs are written through theirs.

Windows, per spatial dim (input length I, output length O, kernel K, stride S, padding P,
dilation DIL):
- regular:  output o reads positions ``o*S - P + k*DIL`` (k < K) that lie in [0, I);
- adaptive: output o reads ``[floor(o*I/O), ceil((o+1)*I/O))`` (torch's start/end index).

Max pooling follows torch exactly: the running max is replaced when ``v > max`` or v is NaN (so a
NaN wins, the last NaN of a window giving the index), ties keep the first index, a window of only
-inf reports its first in-bounds element. Indices are flat within one (D, H, W) input plane.
Average pooling accumulates in float32 (float64 for float64) and divides by the window size
clamped to the padded input (count_include_pad), by the in-bounds count, or by divisor_override.

Backward kernels are gathers over the INPUT: each program owns BLOCK input elements and visits
every output whose window can hold them (at most ``span`` per dim, a launcher-computed bound),
summing the matching gradients in output order. No atomics, no zero-fill; deterministic.
In the interpreter, max pooling with disjoint windows (stride >= dilated kernel) scatters per
output instead (no two outputs share an input, so no conflicts): fewer, cheaper programs there.
Index math is int32 on the GPU when every offset fits, int64 otherwise and in the interpreter
(whose int32 arithmetic runs an overflow check per operation, ~4x slower).

Max-unpooling (2-d as the D = 1 case of 3-d) scatters each input value to its index in a
zero-filled output (indices from a max pool are distinct unless windows overlap, where equal
indices carry equal values); its backward gathers the output gradient at the indices.
"""
from __future__ import annotations

import triton.language as tl

from .launch import cdiv, elementwise_config, is_interpreted, jit, launch
from .helpers import strided_offsets

_INT32_MAX = 2**31 - 1


@jit
def _split5(idx, C, D, H, W, CHANNELS_LAST: tl.constexpr):
    """(n, c, d, h, w) of flat indices over an (N, C, D, H, W) problem enumerated row-major in
    (N, C, D, H, W) order, or in (N, D, H, W, C) order when CHANNELS_LAST."""
    # quotient, then remainder by multiply-subtract (cheaper than a second division)
    if CHANNELS_LAST:
        r = idx // C
        c = idx - r * C
        q = r // W
        w = r - q * W
        r = q // H
        h = q - r * H
        n = r // D
        d = r - n * D
    else:
        r = idx // W
        w = idx - r * W
        q = r // H
        h = r - q * H
        r = q // D
        d = q - r * D
        n = r // C
        c = r - n * C
    return n, c, d, h, w


@jit
def _window(o, I, O, S, P, ADAPTIVE: tl.constexpr):
    """(start, lo, hi) of output positions o along one dim: the window reads start + k*DIL,
    the positions in [lo, hi) being valid."""
    if ADAPTIVE:
        start = (o * I) // O
        hi = ((o + 1) * I + O - 1) // O
        lo = start
    else:
        start = o * S - P
        lo = tl.zeros_like(o)
        hi = tl.zeros_like(o) + I
    return start, lo, hi


@jit
def _first(start, DIL, ADAPTIVE: tl.constexpr):
    """The first window position >= 0 (torch's initial argmax position)."""
    if ADAPTIVE:
        f = start
    else:
        neg = tl.maximum(-start, 0)
        f = start + ((neg + DIL - 1) // DIL) * DIL
    return f


@jit
def _sizes(start, I, K, P):
    """(padded size, in-bounds count) of regular windows along one dim (average pooling)."""
    pend = tl.minimum(start + K, I + P)
    count = tl.minimum(pend, I) - tl.maximum(start, 0)
    return pend - start, count


@jit
def _divisor(sd, sh, sw, ed, eh, ew, in_size, ksize, pad, divisor,
             ADAPTIVE: tl.constexpr, COUNT_INCLUDE_PAD: tl.constexpr, HAS_DIVISOR: tl.constexpr,
             ACC: tl.constexpr):
    """The divisor of average windows starting at (sd, sh, sw) (adaptive: ending at (ed, eh, ew))."""
    if HAS_DIVISOR:
        div = (tl.zeros_like(sd) + divisor).to(ACC)
    elif ADAPTIVE:
        div = ((ed - sd) * (eh - sh) * (ew - sw)).to(ACC)
    else:
        pd, cd = _sizes(sd, in_size[0], ksize[0], pad[0])
        ph, ch = _sizes(sh, in_size[1], ksize[1], pad[1])
        pw, cw = _sizes(sw, in_size[2], ksize[2], pad[2])
        if COUNT_INCLUDE_PAD:
            div = (pd * ph * pw).to(ACC)
        else:
            div = (cd * ch * cw).to(ACC)
    return div


@jit
def _pool_fwd_kernel(
    x_ptr,        # (N, C, ID, IH, IW) strided input
    y_ptr,        # (N, C, OD, OH, OW) strided output
    i_ptr,        # (N, C, OD, OH, OW) int64 argmax, y's strides (MAX and STORE_INDEX), else None
    numel,        # N*C*OD*OH*OW
    C,            # channels
    in_size,      # (ID, IH, IW)
    out_size,     # (OD, OH, OW)
    x_strides,    # 5 strides of x (elements)
    y_strides,    # 5 strides of y and i
    ksize,        # (KD, KH, KW); adaptive: the longest window per dim
    stride,       # (SD, SH, SW)
    pad,          # (PD, PH, PW)
    dil,          # (DD, DH, DW)
    divisor,      # divisor_override (HAS_DIVISOR)
    MAX: tl.constexpr,                # max pooling, else average
    ADAPTIVE: tl.constexpr,           # adaptive windows (stride/pad/dil unused)
    COUNT_INCLUDE_PAD: tl.constexpr,
    HAS_DIVISOR: tl.constexpr,
    STORE_INDEX: tl.constexpr,
    CHANNELS_LAST: tl.constexpr,      # enumerate outputs in (N, OD, OH, OW, C) order
    IDX: tl.constexpr,                # index dtype: tl.int32, or tl.int64 for big tensors
    ACC: tl.constexpr,                # accumulator dtype
    BLOCK: tl.constexpr,
):
    """y[n, c, o] = max (with its flat input index) or average of x[n, c] over o's window.

    Grid: (cdiv(numel, BLOCK),). One program computes BLOCK consecutive outputs (in the
    enumeration order), walking the KD*KH*KW window positions with masked loads."""
    idx = tl.program_id(0).to(IDX) * BLOCK + tl.arange(0, BLOCK).to(IDX)
    mask = idx < numel
    ID, IH, IW = in_size[0], in_size[1], in_size[2]
    n, c, od, oh, ow = _split5(idx, C, out_size[0], out_size[1], out_size[2], CHANNELS_LAST)
    sd, lod, hid = _window(od, ID, out_size[0], stride[0], pad[0], ADAPTIVE)
    sh, loh, hih = _window(oh, IH, out_size[1], stride[1], pad[1], ADAPTIVE)
    sw, low, hiw = _window(ow, IW, out_size[2], stride[2], pad[2], ADAPTIVE)
    x_base = n * x_strides[0] + c * x_strides[1]
    if MAX:
        best = tl.full([BLOCK], float("-inf"), ACC)
        arg = (_first(sd, dil[0], ADAPTIVE) * IH + _first(sh, dil[1], ADAPTIVE)) * IW + _first(sw, dil[2], ADAPTIVE)
    else:
        acc = tl.zeros([BLOCK], ACC)
    for kd in range(0, ksize[0]):
        pd = sd + kd * dil[0]
        vd = mask & (pd >= lod) & (pd < hid)
        for kh in range(0, ksize[1]):
            ph = sh + kh * dil[1]
            vdh = vd & (ph >= loh) & (ph < hih)
            for kw in range(0, ksize[2]):
                pw = sw + kw * dil[2]
                valid = vdh & (pw >= low) & (pw < hiw)
                off = x_base + pd * x_strides[2] + ph * x_strides[3] + pw * x_strides[4]
                v = tl.load(x_ptr + off, mask=valid, other=0).to(ACC)
                if MAX:
                    upd = valid & ((v > best) | (v != v))
                    best = tl.where(upd, v, best)
                    arg = tl.where(upd, (pd * IH + ph) * IW + pw, arg)
                else:
                    acc += v
    y_off = n * y_strides[0] + c * y_strides[1] + od * y_strides[2] + oh * y_strides[3] + ow * y_strides[4]
    if MAX:
        tl.store(y_ptr + y_off, best.to(y_ptr.dtype.element_ty), mask=mask)
        if STORE_INDEX:
            tl.store(i_ptr + y_off, arg.to(tl.int64), mask=mask)
    else:
        div = _divisor(sd, sh, sw, hid, hih, hiw, in_size, ksize, pad, divisor, ADAPTIVE, COUNT_INCLUDE_PAD,
                       HAS_DIVISOR, ACC)
        out = tl.where(div != 0, acc / tl.where(div != 0, div, 1), 0)
        tl.store(y_ptr + y_off, out.to(y_ptr.dtype.element_ty), mask=mask)


@jit
def _candidates(i, I, O, K, S, P, DIL, ADAPTIVE: tl.constexpr):
    """[first, last] outputs along one dim whose window may hold input position i (all >= 0
    arithmetic: no division of negatives, which rounds differently on GPU and interpreter)."""
    if ADAPTIVE:
        first = (i * O) // I
        last = ((i + 1) * O - 1) // I
    else:
        first = (tl.maximum(i + P - (K - 1) * DIL, 0) + S - 1) // S
        last = (i + P) // S
    return first, tl.minimum(last, O - 1)


@jit
def _pool_bwd_kernel(
    dy_ptr,       # (N, C, OD, OH, OW) strided output gradient
    i_ptr,        # (N, C, OD, OH, OW) int64 argmax (MAX), else None
    dx_ptr,       # (N, C, ID, IH, IW) strided input gradient
    numel,        # N*C*ID*IH*IW
    C,            # channels
    in_size,      # (ID, IH, IW)
    out_size,     # (OD, OH, OW)
    dy_strides,   # 5 strides of dy
    i_strides,    # 5 strides of i
    dx_strides,   # 5 strides of dx
    ksize,        # (KD, KH, KW)
    stride,       # (SD, SH, SW)
    pad,          # (PD, PH, PW)
    dil,          # (DD, DH, DW)
    span,         # (ND, NH, NW): most outputs per dim whose window can hold one input position
    divisor,      # divisor_override (HAS_DIVISOR)
    MAX: tl.constexpr,
    ADAPTIVE: tl.constexpr,
    COUNT_INCLUDE_PAD: tl.constexpr,
    HAS_DIVISOR: tl.constexpr,
    CHANNELS_LAST: tl.constexpr,      # enumerate inputs in (N, ID, IH, IW, C) order
    IDX: tl.constexpr,
    ACC: tl.constexpr,
    BLOCK: tl.constexpr,
):
    """dx[n, c, p] = sum over outputs o whose window holds p of dy[n, c, o] * (MAX: [i[o] == p],
    average: 1 / divisor(o)).

    Grid: (cdiv(numel, BLOCK),). One program computes BLOCK consecutive input positions, each a
    gather over its ND*NH*NW candidate outputs (masked to the valid ones), summed in fp32."""
    idx = tl.program_id(0).to(IDX) * BLOCK + tl.arange(0, BLOCK).to(IDX)
    mask = idx < numel
    ID, IH, IW = in_size[0], in_size[1], in_size[2]
    OD, OH, OW = out_size[0], out_size[1], out_size[2]
    n, c, pd, ph, pw = _split5(idx, C, ID, IH, IW, CHANNELS_LAST)
    fd, ld = _candidates(pd, ID, OD, ksize[0], stride[0], pad[0], dil[0], ADAPTIVE)
    fh, lh = _candidates(ph, IH, OH, ksize[1], stride[1], pad[1], dil[1], ADAPTIVE)
    fw, lw = _candidates(pw, IW, OW, ksize[2], stride[2], pad[2], dil[2], ADAPTIVE)
    g_base = n * dy_strides[0] + c * dy_strides[1]
    i_base = n * i_strides[0] + c * i_strides[1]
    me = (pd * IH + ph) * IW + pw
    acc = tl.zeros([BLOCK], ACC)
    # MAX: p must be one of the window's dilated positions (p + P - o*S, in [0, (K-1)*DIL] for
    # every candidate, a multiple of DIL): a window holding no input element reports an index past
    # the input that can name p without p being in it; its gradient is dropped.
    DILATED: tl.constexpr = MAX and not ADAPTIVE
    for jd in range(0, span[0]):
        od = fd + jd
        vd = mask & (od <= ld)
        if DILATED:
            vd = vd & ((pd + pad[0] - od * stride[0]) % dil[0] == 0)
        for jh in range(0, span[1]):
            oh = fh + jh
            vdh = vd & (oh <= lh)
            if DILATED:
                vdh = vdh & ((ph + pad[1] - oh * stride[1]) % dil[1] == 0)
            for jw in range(0, span[2]):
                ow = fw + jw
                valid = vdh & (ow <= lw)
                if DILATED:
                    valid = valid & ((pw + pad[2] - ow * stride[2]) % dil[2] == 0)
                g_off = g_base + od * dy_strides[2] + oh * dy_strides[3] + ow * dy_strides[4]
                g = tl.load(dy_ptr + g_off, mask=valid, other=0).to(ACC)
                if MAX:
                    i_off = i_base + od * i_strides[2] + oh * i_strides[3] + ow * i_strides[4]
                    hit = tl.load(i_ptr + i_off, mask=valid, other=-1) == me
                    acc += tl.where(hit, g, 0)
                else:
                    sd, lod, hid = _window(od, ID, OD, stride[0], pad[0], ADAPTIVE)
                    sh, loh, hih = _window(oh, IH, OH, stride[1], pad[1], ADAPTIVE)
                    sw, low, hiw = _window(ow, IW, OW, stride[2], pad[2], ADAPTIVE)
                    div = _divisor(sd, sh, sw, hid, hih, hiw, in_size, ksize, pad, divisor, ADAPTIVE,
                                   COUNT_INCLUDE_PAD, HAS_DIVISOR, ACC)
                    acc += tl.where(valid & (div != 0), g / tl.where(div != 0, div, 1), 0)
    dx_off = n * dx_strides[0] + c * dx_strides[1] + pd * dx_strides[2] + ph * dx_strides[3] + pw * dx_strides[4]
    tl.store(dx_ptr + dx_off, acc.to(dx_ptr.dtype.element_ty), mask=mask)


@jit
def _in_window(p, o, K, S, P, DIL):
    """Whether input position p is one of output o's window positions o*S - P + k*DIL."""
    t = p - o * S + P
    return (t >= 0) & (t <= (K - 1) * DIL) & (tl.where(t >= 0, t, 0) % DIL == 0)


@jit
def _max_pool_scatter_bwd_kernel(
    dy_ptr,       # (N, C, OD, OH, OW) strided output gradient
    i_ptr,        # (N, C, OD, OH, OW) int64 argmax
    dx_ptr,       # (N, C, ID, IH, IW) strided input gradient, zero-filled
    numel,        # N*C*OD*OH*OW
    C,            # channels
    in_size,      # (ID, IH, IW)
    out_size,     # (OD, OH, OW)
    dy_strides,   # 5 strides of dy
    i_strides,    # 5 strides of i
    dx_strides,   # 5 strides of dx
    ksize,        # (KD, KH, KW)
    stride,       # (SD, SH, SW)
    pad,          # (PD, PH, PW)
    dil,          # (DD, DH, DW)
    CHANNELS_LAST: tl.constexpr,
    IDX: tl.constexpr,
    BLOCK: tl.constexpr,
):
    """dx[n, c].flat[i[n, c, o]] = dy[n, c, o]: max pooling's backward when no two windows share
    an input element (stride >= the dilated kernel), so no two outputs write one place.

    Grid: (cdiv(numel, BLOCK),). One program scatters BLOCK consecutive outputs. Used by the
    interpreter, where walking the (fewer) outputs beats the per-input gather."""
    idx = tl.program_id(0).to(IDX) * BLOCK + tl.arange(0, BLOCK).to(IDX)
    mask = idx < numel
    ID, IH, IW = in_size[0], in_size[1], in_size[2]
    n, c, od, oh, ow = _split5(idx, C, out_size[0], out_size[1], out_size[2], CHANNELS_LAST)
    g = tl.load(dy_ptr + n * dy_strides[0] + c * dy_strides[1] + od * dy_strides[2] + oh * dy_strides[3]
                + ow * dy_strides[4], mask=mask, other=0)
    j = tl.load(i_ptr + n * i_strides[0] + c * i_strides[1] + od * i_strides[2] + oh * i_strides[3]
                + ow * i_strides[4], mask=mask, other=-1)
    ok = mask & (j >= 0) & (j < ID * IH * IW)
    j = tl.where(ok, j, 0).to(IDX)
    q = j // IW
    pw = j - q * IW
    pd = q // IH
    ph = q - pd * IH
    # a window holding no input element reports torch's index past the input, which can name an
    # element of another window: drop it, as the gather does
    ok = ok & _in_window(pd, od, ksize[0], stride[0], pad[0], dil[0])
    ok = ok & _in_window(ph, oh, ksize[1], stride[1], pad[1], dil[1])
    ok = ok & _in_window(pw, ow, ksize[2], stride[2], pad[2], dil[2])
    off = n * dx_strides[0] + c * dx_strides[1] + pd * dx_strides[2] + ph * dx_strides[3] + pw * dx_strides[4]
    tl.store(dx_ptr + off, g.to(dx_ptr.dtype.element_ty), mask=ok)


@jit
def _max_unpool_fwd_kernel(
    x_ptr,        # (N, C, D, H, W) strided input values
    i_ptr,        # (N, C, D, H, W) strided int64 indices into each (OD*OH*OW) output plane
    y_ptr,        # (N, C, OD, OH, OW) contiguous, zero-filled output
    numel,        # N*C*D*H*W
    sizes,        # (N, C, D, H, W)
    x_strides,    # 5 strides of x
    i_strides,    # 5 strides of i
    out_plane,    # OD*OH*OW
    IDX: tl.constexpr,
    BLOCK: tl.constexpr,
):
    """y[n, c].flat[i[n, c, d, h, w]] = x[n, c, d, h, w]; indices outside [0, out_plane) are skipped.
    2-d unpooling is the D = 1 case.

    Grid: (cdiv(numel, BLOCK),). One program scatters BLOCK consecutive inputs."""
    idx = tl.program_id(0).to(IDX) * BLOCK + tl.arange(0, BLOCK).to(IDX)
    mask = idx < numel
    v = tl.load(x_ptr + strided_offsets(idx, sizes, x_strides, 5), mask=mask)
    j = tl.load(i_ptr + strided_offsets(idx, sizes, i_strides, 5), mask=mask, other=-1)
    ok = mask & (j >= 0) & (j < out_plane)
    plane = (idx // (sizes[2] * sizes[3] * sizes[4])).to(tl.int64)
    tl.store(y_ptr + plane * out_plane + j, v, mask=ok)


@jit
def _max_unpool_bwd_kernel(
    dy_ptr,       # (N, C, OD, OH, OW) strided output gradient
    i_ptr,        # (N, C, D, H, W) strided int64 indices
    dx_ptr,       # (N, C, D, H, W) strided input gradient
    numel,        # N*C*D*H*W
    sizes,        # (N, C, D, H, W)
    i_strides,    # 5 strides of i
    dx_strides,   # 5 strides of dx
    dy_strides,   # 5 strides of dy
    out_size,     # (OD, OH, OW)
    out_plane,    # OD*OH*OW
    IDX: tl.constexpr,
    BLOCK: tl.constexpr,
):
    """dx[n, c, d, h, w] = dy[n, c].flat[i[n, c, d, h, w]] (0 for an index outside the plane).

    Grid: (cdiv(numel, BLOCK),). One program gathers BLOCK consecutive input positions."""
    idx = tl.program_id(0).to(IDX) * BLOCK + tl.arange(0, BLOCK).to(IDX)
    mask = idx < numel
    j = tl.load(i_ptr + strided_offsets(idx, sizes, i_strides, 5), mask=mask, other=-1)
    ok = mask & (j >= 0) & (j < out_plane)
    j = tl.where(ok, j, 0).to(IDX)
    plane = idx // (sizes[2] * sizes[3] * sizes[4])
    n = plane // sizes[1]
    c = plane - n * sizes[1]
    q = j // out_size[2]
    ow = j - q * out_size[2]
    od = q // out_size[1]
    oh = q - od * out_size[1]
    off = n * dy_strides[0] + c * dy_strides[1] + od * dy_strides[2] + oh * dy_strides[3] + ow * dy_strides[4]
    g = tl.load(dy_ptr + off, mask=ok, other=0)
    tl.store(dx_ptr + strided_offsets(idx, sizes, dx_strides, 5), g, mask=mask)


# ----------------------------------------------------------------------------- launchers
def _acc(dtype):
    return tl.float64 if dtype.name == "float64" else tl.float32


def _span_elems(shape, strides) -> int:
    """One past the largest element offset a view reaches (for the int32/int64 choice)."""
    return 1 + sum((s - 1) * abs(st) for s, st in zip(shape, strides) if s > 0)


def _index_dtype(*tensors):
    """int32 index math on the GPU where every offset fits (int64 division is slow there); int64
    in the interpreter, whose int32 arithmetic pays for an overflow check on every operation."""
    big = any(max(t.numel(), _span_elems(t.shape, t.stride())) > _INT32_MAX // 2 for t in tensors)
    return tl.int64 if big or is_interpreted(tensors[0].device) else tl.int32


def adaptive_span(I: int, O: int) -> int:
    """The longest adaptive window along a dim of input I, output O."""
    return max((((o + 1) * I + O - 1) // O) - (o * I) // O for o in range(O)) if O else 1


def adaptive_fanout(I: int, O: int) -> int:
    """Most outputs whose adaptive window holds one input position."""
    return max(min(((i + 1) * O - 1) // I, O - 1) - (i * O) // I + 1 for i in range(I)) if I else 1


def pool_fwd(x, y, idx, ksize, stride, pad, dil, *, is_max: bool, adaptive: bool = False,
             count_include_pad: bool = True, divisor=None, channels_last: bool = False):
    """y (and idx, int64, y's strides, or None) = max / average pooling of x; all 5-d views
    (N, C, D, H, W). For adaptive pools ``ksize`` is the longest window per dim."""
    assert x.dim() == 5 and y.dim() == 5 and (idx is None or idx.stride() == y.stride())
    numel = y.numel()
    C = x.shape[1]
    block, warps = elementwise_config(numel, x.device)
    ts = (x, y) if idx is None else (x, y, idx)
    launch(_pool_fwd_kernel, (cdiv(numel, block),), x, y, idx, numel, C, tuple(x.shape[2:]), tuple(y.shape[2:]),
           tuple(x.stride()), tuple(y.stride()), tuple(ksize), tuple(stride), tuple(pad), tuple(dil),
           int(divisor or 0), MAX=is_max, ADAPTIVE=adaptive, COUNT_INCLUDE_PAD=count_include_pad,
           HAS_DIVISOR=divisor is not None, STORE_INDEX=idx is not None, CHANNELS_LAST=channels_last,
           IDX=_index_dtype(*ts), ACC=_acc(x.dtype), BLOCK=block, num_warps=warps)


def pool_bwd(dy, idx, dx, ksize, stride, pad, dil, *, is_max: bool, adaptive: bool = False,
             count_include_pad: bool = True, divisor=None, channels_last: bool = False):
    """dx (5-d, every element written) from dy (and the forward's argmax idx for max pools)."""
    numel = dx.numel()
    C = dx.shape[1]
    ins, outs = tuple(dx.shape[2:]), tuple(dy.shape[2:])
    if adaptive:
        span = tuple(adaptive_fanout(i, o) for i, o in zip(ins, outs))
    else:
        span = tuple(min((k - 1) * d // s + 1, o) for k, d, s, o in zip(ksize, dil, stride, outs))
    block, warps = elementwise_config(numel, dx.device)
    ts = (dy, dx) if idx is None else (dy, dx, idx)
    launch(_pool_bwd_kernel, (cdiv(numel, block),), dy, idx, dx, numel, C, ins, outs, tuple(dy.stride()),
           tuple(idx.stride()) if idx is not None else (0,) * 5, tuple(dx.stride()), tuple(ksize), tuple(stride),
           tuple(pad), tuple(dil), span, int(divisor or 0), MAX=is_max, ADAPTIVE=adaptive,
           COUNT_INCLUDE_PAD=count_include_pad, HAS_DIVISOR=divisor is not None, CHANNELS_LAST=channels_last,
           IDX=_index_dtype(*ts), ACC=_acc(dx.dtype), BLOCK=block, num_warps=warps)


def scatter_backward_ok(ksize, stride, dil, dev) -> bool:
    """Whether max_pool_scatter_bwd applies and pays: interpreter, windows sharing no element."""
    return is_interpreted(dev) and all((k - 1) * d + 1 <= s for k, s, d in zip(ksize, stride, dil))


def max_pool_scatter_bwd(dy, idx, dx, ksize, stride, pad, dil, channels_last: bool = False):
    """dx (5-d, zero-filled by the caller) receives dy at the argmax idx (windows disjoint)."""
    numel = dy.numel()
    block, warps = elementwise_config(numel, dy.device)
    launch(_max_pool_scatter_bwd_kernel, (cdiv(numel, block),), dy, idx, dx, numel, dx.shape[1],
           tuple(dx.shape[2:]), tuple(dy.shape[2:]), tuple(dy.stride()), tuple(idx.stride()), tuple(dx.stride()),
           tuple(ksize), tuple(stride), tuple(pad), tuple(dil), CHANNELS_LAST=channels_last, IDX=_index_dtype(dy, idx, dx), BLOCK=block, num_warps=warps)


def max_unpool_fwd(x, idx, y):
    """y (contiguous (N, C, OD, OH, OW), zero-filled by the caller) receives x (5-d) scattered at idx."""
    assert x.dim() == 5 and y.dim() == 5 and y.is_contiguous()
    numel = x.numel()
    block, warps = elementwise_config(numel, x.device)
    launch(_max_unpool_fwd_kernel, (cdiv(numel, block),), x, idx, y, numel, tuple(x.shape), tuple(x.stride()),
           tuple(idx.stride()), y.shape[2] * y.shape[3] * y.shape[4], IDX=_index_dtype(x, idx, y), BLOCK=block,
           num_warps=warps)


def max_unpool_bwd(dy, idx, dx):
    """dx (N, C, D, H, W) = dy (N, C, OD, OH, OW) gathered at idx."""
    assert dy.dim() == 5 and dx.dim() == 5
    numel = dx.numel()
    block, warps = elementwise_config(numel, dx.device)
    out = tuple(dy.shape[2:])
    launch(_max_unpool_bwd_kernel, (cdiv(numel, block),), dy, idx, dx, numel, tuple(dx.shape), tuple(idx.stride()),
           tuple(dx.stride()), tuple(dy.stride()), out, out[0] * out[1] * out[2],
           IDX=_index_dtype(dy, idx, dx), BLOCK=block, num_warps=warps)
