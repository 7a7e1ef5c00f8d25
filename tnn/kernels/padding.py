"""Padding (F.pad): constant, reflect, replicate and circular, forward and backward.

Forward is one gather kernel over the output: each output index o_d along a dim maps to an input
index i_d (pads before the dim ``b_d``, input size n_d):
    constant   i = o - b, the fill value where i is outside [0, n) (negative pads crop)
    reflect    i = o - b reflected once about 0 and n - 1 (torch requires pads < n)
    replicate  i = clamp(o - b, 0, n - 1)
    circular   i = (o - b) mod p + c: the input cropped by the negative pads (c elements off the
               front, p kept) wrapped by the positive ones, as torch's narrow-and-copy does.
The launcher passes b = max(pad_before, 0) for circular; the kernel takes any strides.

Backward of constant padding is constant padding of the gradient with the pads negated and fill 0
(a slice with zeros where the input was cropped): the same kernel. Backward of the other modes is
a deterministic gather, one pass per padded dim (separable): pass d reduces the gradient's
dim d from the output size to the input size, each input index summing the output positions that
map to it -- reflect: o = i + b, b - i (i >= 1), 2(n - 1) - i + b (i <= n - 2); replicate: the
range [i + b, i + b] widened to [0, b] for i = 0 and [n - 1 + b, out) for i = n - 1; circular:
i - c + b + k p for k = -1, 0, 1. No atomics. Intermediate passes keep float32 (float64).
"""
from __future__ import annotations

import triton.language as tl

from .creation import float_bits
from .helpers import axis_split
from .launch import cdiv, elementwise_config, jit, launch

CONSTANT, REFLECT, REPLICATE, CIRCULAR = 0, 1, 2, 3
MODES = {"constant": CONSTANT, "reflect": REFLECT, "replicate": REPLICATE, "circular": CIRCULAR}


@jit
def _pad_fwd_kernel(
    x_ptr,        # (*in_sizes) strided input
    y_ptr,        # (*out_sizes) contiguous output
    numel,        # elements of y
    out_sizes,    # tuple of RANK output sizes
    in_sizes,     # tuple of RANK input sizes
    x_strides,    # tuple of RANK input strides (elements)
    before,       # tuple of RANK pads before each dim (constant: may be negative; circular: >= 0)
    crop,         # tuple of RANK elements cropped off each dim's front (circular)
    period,       # tuple of RANK wrap periods: the cropped input sizes (circular)
    value_bits,   # float64 fill value as int64 bits (constant)
    MODE: tl.constexpr,   # CONSTANT, REFLECT, REPLICATE or CIRCULAR
    RANK: tl.constexpr,
    BLOCK: tl.constexpr,
):
    """y[o] = x[i(o)] (constant: the fill value where i(o) falls outside x).

    Grid: (cdiv(numel, BLOCK),); one program writes BLOCK consecutive output elements."""
    idx = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = idx < numel
    inside = mask
    off = tl.zeros_like(idx)
    rem = idx
    for d in tl.static_range(RANK - 1, -1, -1):
        o = rem % out_sizes[d]
        rem = rem // out_sizes[d]
        i = o - before[d]
        n = in_sizes[d]
        if MODE == 0:
            inside = inside & (i >= 0) & (i < n)
        elif MODE == 1:
            i = tl.where(i < 0, -i, i)
            i = tl.where(i >= n, 2 * (n - 1) - i, i)
        elif MODE == 2:
            i = tl.minimum(tl.maximum(i, 0), n - 1)
        else:
            p = period[d]
            i = (i % p + p) % p + crop[d]   # sign-safe modulo on either backend
        off += i * x_strides[d]
    v = tl.load(x_ptr + off, mask=inside, other=0).to(y_ptr.dtype.element_ty)
    if MODE == 0:
        fill = value_bits.to(tl.int64).to(tl.float64, bitcast=True).to(y_ptr.dtype.element_ty)
        v = tl.where(inside, v, fill)
    tl.store(y_ptr + idx, v, mask=mask)


@jit
def _pad_bwd_kernel(
    g_ptr,        # (*g_sizes) strided gradient: size n_out along AXIS
    dx_ptr,       # (*dx_sizes) contiguous result: size n_in along AXIS
    numel,        # elements of dx
    dx_sizes,     # tuple of RANK sizes of dx
    g_strides,    # tuple of RANK strides of g (elements)
    n_out,        # g's size along AXIS (the padded size)
    n_in,         # dx's size along AXIS (the input size)
    before,       # pad before AXIS (circular: max(pad, 0))
    crop,         # circular: elements cropped off AXIS's front
    period,       # circular: the cropped input size
    nslots,       # replicate: the longest range of output positions one input index gathers
    MODE: tl.constexpr,   # REFLECT, REPLICATE or CIRCULAR
    AXIS: tl.constexpr,   # the dim this pass reduces
    ACC: tl.constexpr,    # accumulator dtype
    RANK: tl.constexpr,
    BLOCK: tl.constexpr,
):
    """dx[.., i, ..] = sum of g[.., o, ..] over the output positions o along AXIS that the forward
    read from input position i (see the module docstring).

    Grid: (cdiv(numel, BLOCK),); one program writes BLOCK consecutive elements of dx."""
    idx = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = idx < numel
    i, base = axis_split(idx, dx_sizes, g_strides, AXIS, RANK)
    s = g_strides[AXIS]
    acc = tl.zeros([BLOCK], ACC)
    if MODE == 1:
        o = i + before
        m = mask & (o >= 0) & (o < n_out)
        acc += tl.load(g_ptr + base + o * s, mask=m, other=0).to(ACC)
        o = before - i
        m = mask & (i >= 1) & (o >= 0) & (o < n_out)
        acc += tl.load(g_ptr + base + o * s, mask=m, other=0).to(ACC)
        o = 2 * (n_in - 1) - i + before
        m = mask & (i <= n_in - 2) & (o >= 0) & (o < n_out)
        acc += tl.load(g_ptr + base + o * s, mask=m, other=0).to(ACC)
    elif MODE == 2:
        lo = tl.where(i == 0, 0, i + before)
        hi = tl.where(i == n_in - 1, n_out - 1, i + before)
        lo = tl.maximum(lo, 0)
        hi = tl.minimum(hi, n_out - 1)
        for j in range(0, nslots):
            o = lo + j
            acc += tl.load(g_ptr + base + o * s, mask=mask & (o <= hi), other=0).to(ACC)
    else:
        ic = i - crop
        valid = mask & (ic >= 0) & (ic < period)
        for k in tl.static_range(3):
            o = ic + before + (k - 1) * period
            acc += tl.load(g_ptr + base + o * s, mask=valid & (o >= 0) & (o < n_out), other=0).to(ACC)
    tl.store(dx_ptr + idx, acc.to(dx_ptr.dtype.element_ty), mask=mask)


# ----------------------------------------------------------------------------- launchers
def _numel(shape) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


def pad_fwd(x, y, before, mode: str, value: float = 0.0):
    """y = pad(x): ``before[d]`` elements before each dim d (all dims; y's shape gives the after
    side). Circular: ``before`` may be negative (crop), handled here as crop-then-wrap."""
    rank = x.dim()
    in_sizes, out_sizes = tuple(x.shape), tuple(y.shape)
    crop, period, b = [0] * rank, [1] * rank, list(before)
    if mode == "circular":
        for d in range(rank):
            after = out_sizes[d] - in_sizes[d] - before[d]
            crop[d] = max(-before[d], 0)
            period[d] = max(in_sizes[d] - crop[d] - max(-after, 0), 1)
            b[d] = max(before[d], 0)
    n = y.numel()
    block, warps = elementwise_config(n, y.device)
    launch(_pad_fwd_kernel, (cdiv(n, block),), x, y, n, out_sizes, in_sizes, tuple(x.stride()), tuple(b),
           tuple(crop), tuple(period), float_bits(value), MODE=MODES[mode], RANK=rank, BLOCK=block,
           num_warps=warps)


def pad_bwd(g, dx, before, mode: str, acc_dtype):
    """dx = the gradient of pad(x) for the output gradient g (any strides): constant is the
    negated-pad slice; the other modes one gather pass per padded dim, intermediates in
    ``acc_dtype`` (a tnn dtype)."""
    from ..tensor import Tensor
    rank = g.dim()
    if mode == "constant":
        pad_fwd(g, dx, [-b for b in before], "constant", 0.0)
        return
    dims = [d for d in range(rank) if g.shape[d] != dx.shape[d] or before[d] != 0]
    if not dims:  # no padding at all: dx = g
        pad_fwd(g, dx, [0] * rank, "constant", 0.0)
        return
    cur = g
    for k, d in enumerate(dims):
        n_in, n_out = dx.shape[d], cur.shape[d]
        shape = tuple(cur.shape[:d]) + (n_in,) + tuple(cur.shape[d + 1:])
        out = dx if k == len(dims) - 1 else Tensor._empty(shape, acc_dtype, dx.device)
        b, crop, period, nslots = before[d], 0, 1, 1
        if mode == "circular":
            after = n_out - n_in - before[d]
            crop = max(-before[d], 0)
            period = max(n_in - crop - max(-after, 0), 1)
            b = max(before[d], 0)
        elif mode == "replicate":
            nslots = min(n_out, max(before[d], 0) + max(n_out - n_in - before[d], 0) + 1)
        n = out.numel()
        block, warps = elementwise_config(n, dx.device)
        launch(_pad_bwd_kernel, (cdiv(n, block),), cur, out, n, shape, tuple(cur.stride()), n_out, n_in, b, crop,
               period, nslots, MODE=MODES[mode], AXIS=d, ACC=acc_dtype.tl, RANK=rank, BLOCK=block, num_warps=warps)
        cur = out
