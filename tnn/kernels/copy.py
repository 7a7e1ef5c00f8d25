"""Strided copy with dtype conversion, and fill: the basis of contiguous(), .to(dtype), copy_,
cat and every creation op that writes a constant."""
import triton.language as tl

from .helpers import strided_offsets  # noqa: F401  (re-exported: kernels import it from here too)
from .launch import cdiv, elementwise_config, jit, launch




@jit
def _copy_kernel(
    src_ptr,      # (*sizes) strided, any dtype
    dst_ptr,      # (*sizes) strided, any dtype
    numel,        # number of elements
    sizes,        # tuple of RANK sizes
    src_strides,  # tuple of RANK strides (elements)
    dst_strides,  # tuple of RANK strides (elements)
    RANK: tl.constexpr,
    BLOCK: tl.constexpr,
):
    """dst[i] = cast(src[i]) for every index i of a shape both tensors share.

    Grid: (cdiv(numel, BLOCK),); one program copies BLOCK consecutive row-major indices.
    Bool destinations get (src != 0), as torch converts to bool."""
    idx = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = idx < numel
    v = tl.load(src_ptr + strided_offsets(idx, sizes, src_strides, RANK), mask=mask)
    if dst_ptr.dtype.element_ty == tl.int1:
        if src_ptr.dtype.element_ty == tl.bfloat16:
            v = v.to(tl.float32)  # the interpreter compares bf16 (stored as uint16) wrongly
        v = v != 0
    tl.store(dst_ptr + strided_offsets(idx, sizes, dst_strides, RANK), v.to(dst_ptr.dtype.element_ty), mask=mask)


@jit
def _fill_kernel(
    dst_ptr,      # (*sizes) strided
    value,        # scalar (fp32, int32/64 or bool as Triton types it)
    numel,
    sizes,
    dst_strides,
    RANK: tl.constexpr,
    BLOCK: tl.constexpr,
):
    """dst[i] = value for every index. Grid: (cdiv(numel, BLOCK),)."""
    idx = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = idx < numel
    v = tl.full([BLOCK], value, dtype=dst_ptr.dtype.element_ty)
    tl.store(dst_ptr + strided_offsets(idx, sizes, dst_strides, RANK), v, mask=mask)


def copy(src, dst, sizes, src_strides, dst_strides):
    """Launch the strided copy; shapes/strides already coalesced by the caller."""
    numel = 1
    for s in sizes:
        numel *= s
    block, warps = elementwise_config(numel, dst.device)
    launch(_copy_kernel, (cdiv(numel, block),), src, dst, numel, tuple(sizes), tuple(src_strides),
           tuple(dst_strides), RANK=len(sizes), BLOCK=block, num_warps=warps)


def fill(dst, value, sizes, dst_strides):
    numel = 1
    for s in sizes:
        numel *= s
    block, warps = elementwise_config(numel, dst.device)
    launch(_fill_kernel, (cdiv(numel, block),), dst, value, numel, tuple(sizes), tuple(dst_strides),
           RANK=len(sizes), BLOCK=block, num_warps=warps)
