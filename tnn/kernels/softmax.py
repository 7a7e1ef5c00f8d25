"""Softmax, log-softmax and softmin along one dim, forward and backward.

Every kernel sees an (M rows, N columns) problem: the softmax dim is the columns, ``stride_n``
apart; row ``m`` enumerates the other dims in row-major order and starts at
``strided_offsets(m, m_sizes, m_strides, KRANK)`` (those dims coalesced by the launcher). So any
dim of any strided tensor is read in place, without a transposing copy; outputs are allocated
contiguous by the functional layer.

One program owns BLOCK_M rows. A row that fits one BLOCK_N block (ONE_PASS) is loaded once:
max-subtracted exp, sum, store. A longer row is walked in BLOCK_N chunks twice: the first pass
keeps a running max and a sum rescaled whenever the max grows (online softmax), the second writes
the output; the backward's first pass accumulates sum(dy * y) (or sum(dy) for log-softmax).

Special values follow torch's max-subtracted formula: a row with +inf or NaN is all NaN, a row
of only -inf is NaN, -inf entries of other rows give 0 (log-softmax: -inf).
Accumulation is float32 (float64 for float64); outputs are stored in their own dtype.
"""
import triton.language as tl

from .launch import cdiv, is_interpreted, jit, launch, next_power_of_2, row_config
from .helpers import row_offsets

# Longest row kept in registers in one pass (GPU): longer rows loop over chunks of this size.
MAX_BLOCK_N = 1 << 14
# Elements one program holds at once: interpreter programs are NumPy calls over the whole tile,
# so they get big tiles; on the GPU short rows are packed BLOCK_M to a program up to this size.
_INTERP_TILE = 1 << 16
_GPU_TILE = 4096




@jit
def _load_logits(x_ptr, off, mask, y_ptr, NEGATE: tl.constexpr, ACC: tl.constexpr):
    """x rounded to the output's dtype first (softmax(x, dtype=...) casts its input), in ACC;
    negated for softmin; -inf where masked."""
    x = tl.load(x_ptr + off, mask=mask, other=0).to(y_ptr.dtype.element_ty).to(ACC)
    if NEGATE:
        x = -x
    return tl.where(mask, x, float("-inf"))


@jit
def _softmax_fwd_kernel(
    x_ptr,        # (M, N) strided input
    y_ptr,        # (M, N) strided output
    M,            # rows
    N,            # softmax length (>= 1)
    m_sizes,      # tuple of KRANK row sizes
    x_m_strides,  # tuple of KRANK row strides of x (elements)
    y_m_strides,  # tuple of KRANK row strides of y
    x_stride_n,   # column stride of x
    y_stride_n,   # column stride of y
    LOG: tl.constexpr,       # log_softmax
    NEGATE: tl.constexpr,    # softmin: softmax(-x)
    ACC: tl.constexpr,       # accumulator dtype
    KRANK: tl.constexpr,
    ONE_PASS: tl.constexpr,  # N <= BLOCK_N
    BLOCK_M: tl.constexpr,
    BLOCK_N: tl.constexpr,
):
    """y = exp(x - max) / sum(exp(x - max)) along each row (LOG: x - max - log(sum)).

    Grid: (cdiv(M, BLOCK_M),). One program computes BLOCK_M rows: in one tile when ONE_PASS, else
    in two passes over BLOCK_N chunks (running max and rescaled sum, then the output)."""
    rows = tl.program_id(0).to(tl.int64) * BLOCK_M + tl.arange(0, BLOCK_M)
    rmask = (rows < M)[:, None]
    x_row = row_offsets(rows, m_sizes, x_m_strides, KRANK)[:, None]
    y_row = row_offsets(rows, m_sizes, y_m_strides, KRANK)[:, None]
    cols = tl.arange(0, BLOCK_N).to(tl.int64)[None, :]
    if ONE_PASS:
        mask = rmask & (cols < N)
        x = _load_logits(x_ptr, x_row + cols * x_stride_n, mask, y_ptr, NEGATE, ACC)
        z = x - tl.max(x, axis=1)[:, None]
        e = tl.exp(z)
        s = tl.sum(e, axis=1)[:, None]
        if LOG:
            y = z - tl.log(s)
        else:
            y = e / s
        tl.store(y_ptr + y_row + cols * y_stride_n, y.to(y_ptr.dtype.element_ty), mask=mask)
    else:
        m = tl.full([BLOCK_M], float("-inf"), ACC)
        s = tl.zeros([BLOCK_M], ACC)
        for n0 in range(0, N, BLOCK_N):
            c = n0 + cols
            x = _load_logits(x_ptr, x_row + c * x_stride_n, rmask & (c < N), y_ptr, NEGATE, ACC)
            m_new = tl.maximum(m, tl.max(x, axis=1))
            # Shift by 0 while the row max is still -inf, so exp(-inf - -inf) never makes a NaN.
            shift = tl.where(m_new == float("-inf"), 0.0, m_new)
            s = s * tl.exp(m - shift) + tl.sum(tl.exp(x - shift[:, None]), axis=1)
            m = m_new
        shift = tl.where(m == float("-inf"), 0.0, m)[:, None]
        if LOG:
            base = shift + tl.log(s)[:, None]
        else:
            inv = 1.0 / s[:, None]
        for n0 in range(0, N, BLOCK_N):
            c = n0 + cols
            mask = rmask & (c < N)
            x = _load_logits(x_ptr, x_row + c * x_stride_n, mask, y_ptr, NEGATE, ACC)
            if LOG:
                y = x - base
            else:
                y = tl.exp(x - shift) * inv
            tl.store(y_ptr + y_row + c * y_stride_n, y.to(y_ptr.dtype.element_ty), mask=mask)


@jit
def _softmax_bwd_kernel(
    y_ptr,        # (M, N) strided saved output
    dy_ptr,       # (M, N) strided gradient of the output
    dx_ptr,       # (M, N) strided gradient of the input
    M,            # rows
    N,            # softmax length (>= 1)
    m_sizes,      # tuple of KRANK row sizes
    y_m_strides,  # tuple of KRANK row strides per tensor (elements)
    dy_m_strides,
    dx_m_strides,
    y_stride_n,   # column stride per tensor
    dy_stride_n,
    dx_stride_n,
    LOG: tl.constexpr,       # log_softmax: dx = dy - exp(y) * sum(dy)
    NEGATE: tl.constexpr,    # softmin: the gradient is negated
    ACC: tl.constexpr,
    KRANK: tl.constexpr,
    ONE_PASS: tl.constexpr,
    BLOCK_M: tl.constexpr,
    BLOCK_N: tl.constexpr,
):
    """dx = y * (dy - sum(dy * y)) along each row (LOG: dy - exp(y) * sum(dy)), from the output y.

    Grid: (cdiv(M, BLOCK_M),). One program computes BLOCK_M rows: one tile when ONE_PASS, else a
    pass accumulating the row sums over BLOCK_N chunks and a pass writing dx."""
    rows = tl.program_id(0).to(tl.int64) * BLOCK_M + tl.arange(0, BLOCK_M)
    rmask = (rows < M)[:, None]
    y_row = row_offsets(rows, m_sizes, y_m_strides, KRANK)[:, None]
    g_row = row_offsets(rows, m_sizes, dy_m_strides, KRANK)[:, None]
    d_row = row_offsets(rows, m_sizes, dx_m_strides, KRANK)[:, None]
    cols = tl.arange(0, BLOCK_N).to(tl.int64)[None, :]
    if ONE_PASS:
        mask = rmask & (cols < N)
        y = tl.load(y_ptr + y_row + cols * y_stride_n, mask=mask, other=0).to(ACC)
        g = tl.load(dy_ptr + g_row + cols * dy_stride_n, mask=mask, other=0).to(ACC)
        if LOG:
            dx = g - tl.exp(y) * tl.sum(g, axis=1)[:, None]
        else:
            dx = y * (g - tl.sum(g * y, axis=1)[:, None])
        if NEGATE:
            dx = -dx
        tl.store(dx_ptr + d_row + cols * dx_stride_n, dx.to(dx_ptr.dtype.element_ty), mask=mask)
    else:
        acc = tl.zeros([BLOCK_M, BLOCK_N], ACC)
        for n0 in range(0, N, BLOCK_N):
            c = n0 + cols
            mask = rmask & (c < N)
            g = tl.load(dy_ptr + g_row + c * dy_stride_n, mask=mask, other=0).to(ACC)
            if LOG:
                acc += g
            else:
                acc += g * tl.load(y_ptr + y_row + c * y_stride_n, mask=mask, other=0).to(ACC)
        total = tl.sum(acc, axis=1)[:, None]
        for n0 in range(0, N, BLOCK_N):
            c = n0 + cols
            mask = rmask & (c < N)
            y = tl.load(y_ptr + y_row + c * y_stride_n, mask=mask, other=0).to(ACC)
            g = tl.load(dy_ptr + g_row + c * dy_stride_n, mask=mask, other=0).to(ACC)
            if LOG:
                dx = g - tl.exp(y) * total
            else:
                dx = y * (g - total)
            if NEGATE:
                dx = -dx
            tl.store(dx_ptr + d_row + c * dx_stride_n, dx.to(dx_ptr.dtype.element_ty), mask=mask)


# ----------------------------------------------------------------------------- launchers
def _acc(dtype):
    return tl.float64 if dtype.name == "float64" else tl.float32


def rows_of(shape, dim: int, *strides_list):
    """(M, N, m_sizes, [m_strides per tensor], [stride_n per tensor]) for a softmax along ``dim``
    of tensors of ``shape`` with the given strides; the other dims coalesced (>= 1 of them)."""
    from ..shape import coalesce
    if not shape:  # a 0-d tensor: one row of one element
        shape, strides_list, dim = (1,), [(0,) for _ in strides_list], 0
    row_shape = tuple(s for i, s in enumerate(shape) if i != dim)
    m_sizes, m_strides = coalesce(row_shape, *(tuple(st for i, st in enumerate(s) if i != dim)
                                               for s in strides_list))
    M = 1
    for s in row_shape:
        M *= s
    return M, shape[dim], m_sizes, m_strides, [s[dim] for s in strides_list]


def _tile(M: int, N: int, dev, max_block_n=None, columns: bool = False):
    """(BLOCK_M, BLOCK_N, ONE_PASS, num_warps). ``columns``: the softmax dim is strided and the
    rows are adjacent in memory (softmax over dim 0 of a contiguous matrix): on the GPU a tile then
    takes 64 rows, so each column chunk is one coalesced load, and walks N in narrower chunks."""
    interp = is_interpreted(dev)
    if columns and not interp and M > 1:
        block_m = min(next_power_of_2(M), 64)
        block_n = max(16, min(next_power_of_2(max(N, 1)), max_block_n or MAX_BLOCK_N, 8192 // block_m))
        return block_m, block_n, N <= block_n, 4
    block_n, warps = row_config(N, dev, max_block=max_block_n or MAX_BLOCK_N)
    tile = _INTERP_TILE if interp else _GPU_TILE
    block_m = max(1, min(next_power_of_2(max(M, 1)), tile // block_n))
    return block_m, block_n, N <= block_n, warps


def _is_columns(m_strides, stride_n) -> bool:
    """Rows adjacent (innermost row stride 1) while the softmax dim is strided."""
    return stride_n != 1 and m_strides[-1] == 1


def softmax_fwd(x, y, dim: int, log: bool, negate: bool, max_block_n=None):
    """y = (log_)softmax(x or -x) along ``dim``; x and y of one shape (any strides), N >= 1.
    ``max_block_n`` caps the one-pass row length (tests use it to reach the looped path)."""
    M, N, m_sizes, (xm, ym), (xn, yn) = rows_of(tuple(x.shape), dim, x.stride(), y.stride())
    block_m, block_n, one_pass, warps = _tile(M, N, x.device, max_block_n, _is_columns(xm, xn))
    launch(_softmax_fwd_kernel, (cdiv(M, block_m),), x, y, M, N, m_sizes, xm, ym, xn, yn, LOG=log, NEGATE=negate,
           ACC=_acc(y.dtype), KRANK=len(m_sizes), ONE_PASS=one_pass, BLOCK_M=block_m, BLOCK_N=block_n,
           num_warps=warps)


def softmax_bwd(y, dy, dx, dim: int, log: bool, negate: bool, max_block_n=None):
    """dx from the saved output y and the output gradient dy (all one shape, any strides)."""
    M, N, m_sizes, (ym, gm, dm), (yn, gn, dn) = rows_of(tuple(y.shape), dim, y.stride(), dy.stride(), dx.stride())
    block_m, block_n, one_pass, warps = _tile(M, N, y.device, max_block_n, _is_columns(ym, yn))
    acc = tl.float64 if dx.dtype.name == "float64" or y.dtype.name == "float64" else tl.float32
    launch(_softmax_bwd_kernel, (cdiv(M, block_m),), y, dy, dx, M, N, m_sizes, ym, gm, dm, yn, gn, dn, LOG=log,
           NEGATE=negate, ACC=acc, KRANK=len(m_sizes), ONE_PASS=one_pass, BLOCK_M=block_m, BLOCK_N=block_n,
           num_warps=warps)
