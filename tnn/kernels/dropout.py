"""Dropout family: elementwise and channel-wise (dropout1d/2d/3d) dropout and alpha dropout, on
counter-based Philox keyed by (seed, offset). No mask is ever stored: backward runs the same kernel
on the gradient with the same (seed, offset) and so regenerates the same mask.

Element i (row-major logical index) is kept iff  philox(seed, offset + i // group) >= threshold,
a uint32 draw against threshold = round(p * 2**32), so P(keep) = 1 - p exactly up to 2**-32.
``group`` is 1 for elementwise dropout and the spatial size (numel / (N*C)) for channel-wise
dropout, where every element of one (n, c) channel shares one draw.

    kept     out = x * scale + keep_shift
    dropped  out = drop_value
dropout: scale = 1/(1-p), shifts 0. alpha dropout: scale = a, keep_shift = alpha*a*p,
drop_value = alpha*a*(p-1) (torch's constants). Backward of both: dx = dy * scale where kept, 0
elsewhere. The scalars travel as float64 bits and the arithmetic runs in fp32 (fp64 for fp64).
"""
from __future__ import annotations

import triton.language as tl

from ..runtime import dtypes as dt
from .creation import float_bits
from .launch import cdiv, elementwise_config, jit, launch
from .helpers import strided_offsets


@jit(do_not_specialize=["group", "seed", "offset", "threshold", "scale_bits", "keep_shift_bits", "drop_bits"])
def _dropout_fwd_kernel(
    x_ptr,              # (*sizes) strided input (or the gradient, in backward)
    x_strides,          # tuple of RANK strides of x (elements)
    out_ptr,            # (*sizes) strided output; may be x itself (in place)
    out_strides,        # tuple of RANK strides of out
    numel,              # number of elements
    sizes,              # tuple of RANK sizes (coalesced)
    group,              # consecutive elements sharing one draw (1, or the channel's spatial size)
    seed,               # Philox key (int64 bits of the 64-bit seed)
    offset,             # first Philox counter reserved for this call
    threshold,          # keep iff the uint32 draw >= threshold (0 .. 2**32)
    scale_bits,         # float64 bits: multiplier of kept elements
    keep_shift_bits,    # float64 bits: added to kept elements
    drop_bits,          # float64 bits: value of dropped elements
    RANK: tl.constexpr,
    CHANNELS: tl.constexpr,  # group > 1 possible (channel-wise); False skips the division
    COMPUTE: tl.constexpr,   # tl.float32, or tl.float64 for fp64 tensors
    BLOCK: tl.constexpr,
):
    """out[i] = x[i] * scale + keep_shift if philox(seed, offset + i // group) >= threshold else drop.

    Grid: (cdiv(numel, BLOCK),); one program handles BLOCK consecutive row-major indices, reading
    and writing through the strides (reading and writing the same element when in place)."""
    idx = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = idx < numel
    if CHANNELS:
        r = tl.randint(seed.to(tl.int64), offset.to(tl.int64) + idx // group)
    else:
        r = tl.randint(seed.to(tl.int64), offset.to(tl.int64) + idx)
    keep = r.to(tl.int64) >= threshold
    scale = scale_bits.to(tl.int64).to(tl.float64, bitcast=True).to(COMPUTE)
    shift = keep_shift_bits.to(tl.int64).to(tl.float64, bitcast=True).to(COMPUTE)
    drop = drop_bits.to(tl.int64).to(tl.float64, bitcast=True).to(COMPUTE)
    x = tl.load(x_ptr + strided_offsets(idx, sizes, x_strides, RANK), mask=mask, other=0).to(COMPUTE)
    out = tl.where(keep, x * scale + shift, drop)
    tl.store(out_ptr + strided_offsets(idx, sizes, out_strides, RANK), out.to(out_ptr.dtype.element_ty), mask=mask)


# ---------------------------------------------------------------------------------- launchers
ALPHA = 1.7580993408473766  # SELU's alpha * lambda: the negative saturation value of alpha dropout


def threshold(p: float) -> int:
    """The uint32 cut that keeps a draw with probability 1 - p."""
    return min(1 << 32, max(0, round(p * 4294967296.0)))


def coefficients(p: float, alpha: bool) -> tuple[float, float, float]:
    """(scale, keep_shift, drop_value) of the forward map."""
    if p >= 1.0:
        return 0.0, 0.0, 0.0
    if alpha:
        a = 1.0 / ((ALPHA * ALPHA * p + 1.0) * (1.0 - p)) ** 0.5
        return a, ALPHA * a * p, ALPHA * a * (p - 1.0)
    return 1.0 / (1.0 - p), 0.0, 0.0


def _launch(x, out, sizes, strides_x, strides_out, group, seed, offset, p, scale, shift, drop):
    numel = 1
    for s in sizes:
        numel *= s
    block, warps = elementwise_config(numel, out.device)
    launch(_dropout_fwd_kernel, (cdiv(numel, block),), x, tuple(strides_x), out, tuple(strides_out), numel,
           tuple(sizes), int(group), _signed64(seed), int(offset), threshold(p), float_bits(scale),
           float_bits(shift), float_bits(drop), RANK=len(sizes), CHANNELS=group != 1,
           COMPUTE=tl.float64 if out.dtype is dt.float64 else tl.float32, BLOCK=block, num_warps=warps)


def dropout_fwd(x, out, sizes, x_strides, out_strides, group: int, seed: int, offset: int, p: float,
                alpha: bool = False):
    """out = dropout(x) (``alpha``: alpha dropout) with draws offset + i // group. Shapes/strides
    coalesced by the caller so that row-major indices are unchanged (out may be x)."""
    scale, shift, drop = coefficients(p, alpha)
    _launch(x, out, sizes, x_strides, out_strides, group, seed, offset, p, scale, shift, drop)


def dropout_bwd(grad, dx, sizes, grad_strides, dx_strides, group: int, seed: int, offset: int, p: float,
                alpha: bool = False):
    """dx = grad * scale where the forward kept, 0 elsewhere: the forward's mask, regenerated."""
    scale = coefficients(p, alpha)[0]
    _launch(grad, dx, sizes, grad_strides, dx_strides, group, seed, offset, p, scale, 0.0, 0.0)


def _signed64(x: int) -> int:
    x &= (1 << 64) - 1
    return x - (1 << 64) if x >= 1 << 63 else x
