"""Indexing kernels: gather (index_select, gather, advanced getitem), scatter (setitem, scatter,
index_put_, with a deterministic accumulate), masked_fill, and the two passes of nonzero.

Every indexed access is described the same way, over an iteration space S (the shape of the
indexed result):

    x element read or written at i in S:  base(i) + wrap(idx[j(i)]) * mul

where base(i) walks the dims of x that are not indexed (stride 0 along index dims), j(i) walks the
index tensor (stride 0 along the other dims), mul is x's stride along the indexed dim (1 when idx
already holds flat element offsets) and wrap(v) adds ``wrap`` to negative v (NumPy/torch negative
indices; 0 where the ops layer rejects negatives). Several index tensors are first folded into one
int64 tensor of flat offsets by ``_index_offsets_kernel``, one launch per index tensor.
All offsets are int64."""
import triton.language as tl

from .launch import cdiv, elementwise_config, jit, launch
from .helpers import strided_offsets


@jit
def _is_nonzero(x):
    """x != 0, comparing bf16 in fp32 (Triton's interpreter compares bf16 wrongly)."""
    if x.dtype == tl.bfloat16:
        x = x.to(tl.float32)
    return x != 0


@jit
def _index_offsets_kernel(
    acc_ptr,      # (*sizes) contiguous int64: flat element offsets into x, accumulated
    idx_ptr,      # (*sizes) strided (broadcast), int32/int64 indices into one dim of x
    numel,        # elements of the broadcast index shape
    sizes,        # tuple of RANK sizes (coalesced)
    acc_strides,  # tuple of RANK strides of acc
    idx_strides,  # tuple of RANK strides of idx (0 where broadcast)
    dim_size,     # size of the indexed dim of x (negative indices wrap by it)
    dim_stride,   # stride of the indexed dim of x (elements)
    FIRST: tl.constexpr,  # acc is written, not accumulated (first index tensor)
    RANK: tl.constexpr,
    BLOCK: tl.constexpr,
):
    """acc[i] (+)= wrap(idx[i], dim_size) * dim_stride.

    Grid: (cdiv(numel, BLOCK),); one program handles BLOCK consecutive row-major positions."""
    i = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = i < numel
    v = tl.load(idx_ptr + strided_offsets(i, sizes, idx_strides, RANK), mask=mask, other=0).to(tl.int64)
    v = tl.where(v < 0, v + dim_size, v) * dim_stride
    a_off = strided_offsets(i, sizes, acc_strides, RANK)
    if not FIRST:
        v += tl.load(acc_ptr + a_off, mask=mask, other=0)
    tl.store(acc_ptr + a_off, v, mask=mask)


@jit
def _gather_kernel(
    x_ptr,        # source, strided, any dtype
    idx_ptr,      # index tensor (int32/int64), strided over S (0 along non-index dims)
    out_ptr,      # (*S) strided, x's dtype
    numel,        # elements of S
    sizes,        # tuple of RANK sizes of S (coalesced)
    x_strides,    # tuple of RANK strides of x over S (0 along index dims)
    idx_strides,  # tuple of RANK strides of idx over S
    out_strides,  # tuple of RANK strides of out
    mul,          # stride of x along the indexed dim (1 for flat offsets)
    wrap,         # size added to negative indices (0: none)
    RANK: tl.constexpr,
    BLOCK: tl.constexpr,
):
    """out[i] = x[base(i) + wrap(idx[j(i)]) * mul] for every i in S.

    Grid: (cdiv(numel, BLOCK),); one program gathers BLOCK consecutive row-major positions of S."""
    i = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = i < numel
    v = tl.load(idx_ptr + strided_offsets(i, sizes, idx_strides, RANK), mask=mask, other=0).to(tl.int64)
    v = tl.where(v < 0, v + wrap, v)
    src = strided_offsets(i, sizes, x_strides, RANK) + v * mul
    val = tl.load(x_ptr + src, mask=mask)
    tl.store(out_ptr + strided_offsets(i, sizes, out_strides, RANK), val, mask=mask)


@jit
def _scatter_kernel(
    x_ptr,             # destination, strided, any dtype (written in place)
    idx_ptr,           # index tensor (int32/int64), strided over S
    src_ptr,           # values, strided over S (0 where broadcast), x's dtype
    n_par,             # elements of the parallel part P of S
    par_sizes,         # tuple of RANK_P sizes of P
    x_par_strides,     # tuple of RANK_P strides of x over P
    idx_par_strides,   # tuple of RANK_P strides of idx over P
    src_par_strides,   # tuple of RANK_P strides of src over P
    n_loop,            # elements of the sequential part L of S (1 when not reducing)
    loop_sizes,        # tuple of RANK_L sizes of L
    idx_loop_strides,  # tuple of RANK_L strides of idx over L
    src_loop_strides,  # tuple of RANK_L strides of src over L
    mul,               # stride of x along the indexed dim (1 for flat offsets)
    wrap,              # size added to negative indices (0: none)
    REDUCE: tl.constexpr,  # 0: x[...] = src, 1: x[...] += src, 2: x[...] *= src
    RANK_P: tl.constexpr,
    RANK_L: tl.constexpr,
    BLOCK: tl.constexpr,
):
    """x[base(p) + wrap(idx[j(p, l)]) * mul] (op)= src[s(p, l)] for p in P and l in L, S = P x L.

    P holds the dims along which x's base offset moves, L the dims that only move the index.
    Two (p, l) pairs can hit the same element of x only with the same p, so a reduction is
    race-free and deterministic when each program owns a block of P and walks L in order
    (duplicate indices are summed in index order). Without REDUCE the host puts all of S in P
    (n_loop = 1) and duplicate indices race: one of the writes wins.
    Grid: (cdiv(n_par, BLOCK),); one program handles BLOCK consecutive positions of P, all of L.
    fp16/bf16 reductions add in fp32 and round once per step."""
    p = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = p < n_par
    x_base = strided_offsets(p, par_sizes, x_par_strides, RANK_P)
    idx_base = strided_offsets(p, par_sizes, idx_par_strides, RANK_P)
    src_base = strided_offsets(p, par_sizes, src_par_strides, RANK_P)
    for l in tl.range(0, n_loop, num_stages=1):  # no prefetch: iteration l+1 may read what l wrote
        lv = tl.zeros([1], dtype=tl.int64) + l
        v = tl.load(idx_ptr + idx_base + strided_offsets(lv, loop_sizes, idx_loop_strides, RANK_L),
                    mask=mask, other=0).to(tl.int64)
        v = tl.where(v < 0, v + wrap, v)
        dst = x_ptr + x_base + v * mul
        val = tl.load(src_ptr + src_base + strided_offsets(lv, loop_sizes, src_loop_strides, RANK_L), mask=mask)
        if REDUCE != 0:
            cur = tl.load(dst, mask=mask)
            if x_ptr.dtype.element_ty == tl.int1:
                val = (cur | val) if REDUCE == 1 else (cur & val)
            elif x_ptr.dtype.element_ty.is_fp16() or x_ptr.dtype.element_ty.is_bf16():
                if REDUCE == 1:
                    val = (cur.to(tl.float32) + val.to(tl.float32)).to(x_ptr.dtype.element_ty)
                else:
                    val = (cur.to(tl.float32) * val.to(tl.float32)).to(x_ptr.dtype.element_ty)
            else:
                val = (cur + val) if REDUCE == 1 else (cur * val)
        tl.store(dst, val, mask=mask)


@jit
def _masked_fill_kernel(
    x_ptr,         # (*sizes) strided, any dtype
    mask_ptr,      # (*sizes) strided (broadcast), bool
    value_ptr,     # 0-d, x's dtype
    out_ptr,       # (*sizes) strided, x's dtype (may be x itself)
    numel,
    sizes,         # tuple of RANK sizes (coalesced)
    x_strides,     # tuple of RANK strides
    mask_strides,  # tuple of RANK strides (0 where broadcast)
    out_strides,   # tuple of RANK strides
    RANK: tl.constexpr,
    BLOCK: tl.constexpr,
):
    """out[i] = value if mask[i] else x[i]. Grid: (cdiv(numel, BLOCK),); one program does BLOCK
    consecutive row-major positions."""
    i = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    inb = i < numel
    m = tl.load(mask_ptr + strided_offsets(i, sizes, mask_strides, RANK), mask=inb, other=0) != 0
    x = tl.load(x_ptr + strided_offsets(i, sizes, x_strides, RANK), mask=inb)
    value = tl.load(value_ptr)
    tl.store(out_ptr + strided_offsets(i, sizes, out_strides, RANK), tl.where(m, value, x), mask=inb)


@jit
def _count_nonzero_kernel(
    x_ptr,       # (*sizes) strided, any dtype
    counts_ptr,  # (cdiv(numel, BLOCK),) int64: nonzeros per block
    numel,
    sizes,       # tuple of RANK sizes (coalesced)
    x_strides,   # tuple of RANK strides
    RANK: tl.constexpr,
    BLOCK: tl.constexpr,
):
    """First pass of nonzero: counts[b] = number of x != 0 among row-major positions
    [b * BLOCK, (b + 1) * BLOCK). Grid: (cdiv(numel, BLOCK),); one program counts one block."""
    pid = tl.program_id(0)
    i = pid.to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    inb = i < numel
    x = tl.load(x_ptr + strided_offsets(i, sizes, x_strides, RANK), mask=inb)
    nz = (_is_nonzero(x) & inb).to(tl.int64)
    tl.store(counts_ptr + pid, tl.sum(nz, axis=0))


@jit
def _nonzero_kernel(
    x_ptr,       # (*sizes) strided, any dtype
    starts_ptr,  # (cdiv(numel, BLOCK),) int64: exclusive prefix sum of the per-block counts
    out_ptr,     # (count, NDIM) contiguous int64: coordinates of the nonzeros
    numel,
    sizes,       # tuple of RANK sizes (coalesced), for loading x
    x_strides,   # tuple of RANK strides
    shape,       # tuple of NDIM sizes: x's logical shape, for the coordinates
    RANK: tl.constexpr,
    NDIM: tl.constexpr,
    BLOCK: tl.constexpr,
):
    """Second pass of nonzero: the k-th nonzero of x in row-major order (k counted from
    starts[b] within block b by a prefix sum) writes its NDIM coordinates to out[k, :].
    Grid: (cdiv(numel, BLOCK),) with the same BLOCK as the first pass."""
    pid = tl.program_id(0)
    i = pid.to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    inb = i < numel
    x = tl.load(x_ptr + strided_offsets(i, sizes, x_strides, RANK), mask=inb)
    nz = _is_nonzero(x) & inb
    pos = tl.load(starts_ptr + pid) + tl.cumsum(nz.to(tl.int64), axis=0) - 1
    rem = i
    for d in tl.static_range(NDIM - 1, -1, -1):
        tl.store(out_ptr + pos * NDIM + d, rem % shape[d], mask=nz)
        rem = rem // shape[d]


# ---------------------------------------------------------------- launchers
def index_offsets(acc, idx, sizes, acc_strides, idx_strides, dim_size: int, dim_stride: int, first: bool):
    """acc (+)= wrap(idx) * dim_stride over ``sizes`` (coalesced by the caller)."""
    numel = _numel(sizes)
    block, warps = elementwise_config(numel, acc.device)
    launch(_index_offsets_kernel, (cdiv(numel, block),), acc, idx, numel, tuple(sizes), tuple(acc_strides),
           tuple(idx_strides), dim_size, dim_stride, FIRST=first, RANK=len(sizes), BLOCK=block, num_warps=warps)


def gather(x, idx, out, sizes, x_strides, idx_strides, out_strides, mul: int, wrap: int):
    """out[i] = x[base(i) + wrap(idx[j(i)]) * mul] over ``sizes`` (coalesced by the caller)."""
    numel = _numel(sizes)
    block, warps = elementwise_config(numel, out.device)
    launch(_gather_kernel, (cdiv(numel, block),), x, idx, out, numel, tuple(sizes), tuple(x_strides),
           tuple(idx_strides), tuple(out_strides), mul, wrap, RANK=len(sizes), BLOCK=block, num_warps=warps)


def scatter(x, idx, src, par_sizes, par_strides, loop_sizes, loop_strides, mul: int, wrap: int, reduce: int = 0):
    """x[base(p) + wrap(idx[j(p, l)]) * mul] (op)= src[s(p, l)]. ``par_strides`` is
    (x, idx, src) strides over P, ``loop_strides`` (idx, src) strides over L; both coalesced."""
    n_par, n_loop = _numel(par_sizes), _numel(loop_sizes)
    if n_loop == 0:
        return
    block, warps = elementwise_config(n_par, x.device)
    xs, ids, ss = par_strides
    il, sl = loop_strides
    launch(_scatter_kernel, (cdiv(n_par, block),), x, idx, src, n_par, tuple(par_sizes), tuple(xs), tuple(ids),
           tuple(ss), n_loop, tuple(loop_sizes), tuple(il), tuple(sl), mul, wrap, REDUCE=reduce,
           RANK_P=len(par_sizes), RANK_L=len(loop_sizes), BLOCK=block, num_warps=warps)


def masked_fill(x, mask, value, out, sizes, x_strides, mask_strides, out_strides):
    """out = where(mask, value, x); value is a 0-d tensor of x's dtype on x's device."""
    numel = _numel(sizes)
    block, warps = elementwise_config(numel, out.device)
    launch(_masked_fill_kernel, (cdiv(numel, block),), x, mask, value, out, numel, tuple(sizes),
           tuple(x_strides), tuple(mask_strides), tuple(out_strides), RANK=len(sizes), BLOCK=block,
           num_warps=warps)


def nonzero_block(numel: int, device) -> int:
    """The BLOCK both nonzero passes use (they must agree)."""
    return elementwise_config(numel, device)[0]


def count_nonzero_blocks(x, counts, sizes, x_strides, block: int):
    numel = _numel(sizes)
    launch(_count_nonzero_kernel, (cdiv(numel, block),), x, counts, numel, tuple(sizes), tuple(x_strides),
           RANK=len(sizes), BLOCK=block, num_warps=4)


def nonzero(x, starts, out, sizes, x_strides, shape, block: int):
    numel = _numel(sizes)
    launch(_nonzero_kernel, (cdiv(numel, block),), x, starts, out, numel, tuple(sizes), tuple(x_strides),
           tuple(shape), RANK=len(sizes), NDIM=len(shape), BLOCK=block, num_warps=4)


def _numel(sizes) -> int:
    n = 1
    for s in sizes:
        n *= s
    return n
