"""Embedding: a row gather forward, a deterministic segment-sum backward and max_norm renorm.

Backward never uses atomics. The functional layer sorts the flat indices (stably, on the host,
where the range check already brought them) into segments of equal rows; one program per
(segment, column block) sums its segment's gradient rows in order, in fp32 (fp64 for fp64), and
writes that weight row once. Rows no index touches are zero-filled before the launch. The same
inputs therefore always give the same bits.
"""
from __future__ import annotations

import triton.language as tl

from ..runtime import dtypes as dt
from .creation import float_bits
from .launch import cdiv, is_interpreted, jit, launch, next_power_of_2, row_config
from .helpers import strided_offsets


@jit
def _embedding_fwd_kernel(
    idx_ptr,            # (*idx) strided int32/int64 indices
    idx_sizes,          # tuple of RANK sizes (coalesced)
    idx_strides,        # tuple of RANK strides
    w_ptr,              # weight (V, D) strided
    stride_wv, stride_wd,
    out_ptr,            # (n, D) contiguous, written
    n, D,               # number of indices, embedding dim
    RANK: tl.constexpr,
    BLOCK_I: tl.constexpr, BLOCK_D: tl.constexpr,
):
    """out[i, :] = weight[idx[i], :] for the row-major flat index i of idx (indices in range).

    Grid: (cdiv(n, BLOCK_I), cdiv(D, BLOCK_D)); one program copies a BLOCK_I x BLOCK_D tile:
    BLOCK_I looked-up rows, BLOCK_D columns of each."""
    i = tl.program_id(0).to(tl.int64) * BLOCK_I + tl.arange(0, BLOCK_I)
    d = tl.program_id(1).to(tl.int64) * BLOCK_D + tl.arange(0, BLOCK_D)
    mi = i < n
    rows = tl.load(idx_ptr + strided_offsets(i, idx_sizes, idx_strides, RANK), mask=mi, other=0).to(tl.int64)
    mask = mi[:, None] & (d[None, :] < D)
    vals = tl.load(w_ptr + rows[:, None] * stride_wv + d[None, :] * stride_wd, mask=mask)
    tl.store(out_ptr + i[:, None] * D + d[None, :], vals, mask=mask)


@jit
def _embedding_bwd_kernel(
    grad_ptr,           # dY (n, D) strided
    stride_gn, stride_gd,
    perm_ptr,           # (n_kept,) int64: positions i of the kept indices, sorted by row, stable
    starts_ptr,         # (U + 1,) int64: segment u is perm[starts[u] : starts[u + 1]]
    rows_ptr,           # (U,) int64: the weight row of segment u
    dw_ptr,             # dweight (V, D) strided, written at the U rows only
    stride_dwv, stride_dwd,
    D,                  # embedding dim
    SCALE_BY_FREQ: tl.constexpr,   # divide each row's sum by its number of occurrences
    ACC: tl.constexpr,             # tl.float32 or tl.float64
    BLOCK_J: tl.constexpr, BLOCK_D: tl.constexpr,
):
    """dweight[rows[u], :] = sum over j in segment u of dY[perm[j], :] (divided by the segment's
    length when SCALE_BY_FREQ).

    Grid: (U, cdiv(D, BLOCK_D)); program (u, c) walks segment u in order, BLOCK_J gradient rows at
    a time, for BLOCK_D columns, and stores one row block: no two programs write the same place."""
    u = tl.program_id(0)
    d = tl.program_id(1).to(tl.int64) * BLOCK_D + tl.arange(0, BLOCK_D)
    md = d < D
    start = tl.load(starts_ptr + u)
    end = tl.load(starts_ptr + u + 1)
    acc = tl.zeros((BLOCK_D,), dtype=ACC)
    for j0 in range(start, end, BLOCK_J):
        j = j0 + tl.arange(0, BLOCK_J)
        mj = j < end
        pos = tl.load(perm_ptr + j, mask=mj, other=0)
        g = tl.load(grad_ptr + pos[:, None] * stride_gn + d[None, :] * stride_gd, mask=mj[:, None] & md[None, :],
                    other=0)
        acc += tl.sum(g.to(ACC), axis=0)
    if SCALE_BY_FREQ:
        acc = acc / (end - start).to(ACC)
    row = tl.load(rows_ptr + u)
    tl.store(dw_ptr + row * stride_dwv + d * stride_dwd, acc.to(dw_ptr.dtype.element_ty), mask=md)


@jit
def _embedding_renorm_kernel(
    w_ptr,              # weight (V, D) strided, rescaled in place
    stride_wv, stride_wd,
    rows_ptr,           # (U,) int64: distinct rows to renormalise
    D,                  # embedding dim
    max_norm_bits,      # float64 bits of max_norm
    norm_type_bits,     # float64 bits of p (used when NORM == "p")
    NORM: tl.constexpr,            # "1", "2", "inf", "0" or "p"
    ACC: tl.constexpr,             # tl.float32 or tl.float64
    BLOCK_D: tl.constexpr,
):
    """If ||weight[r]||_p > max_norm: weight[r] *= max_norm / (||weight[r]||_p + 1e-7), as
    torch.embedding_renorm_.

    Grid: (U,); one program owns one row: a pass computing the norm, then (if needed) a pass
    scaling it, BLOCK_D columns at a time."""
    row = tl.load(rows_ptr + tl.program_id(0))
    base = w_ptr + row * stride_wv
    p = norm_type_bits.to(tl.int64).to(tl.float64, bitcast=True).to(ACC)
    acc = tl.zeros((BLOCK_D,), dtype=ACC)
    for d0 in range(0, D, BLOCK_D):
        d = d0 + tl.arange(0, BLOCK_D)
        x = tl.abs(tl.load(base + d.to(tl.int64) * stride_wd, mask=d < D, other=0).to(ACC))
        if NORM == "2":
            acc += x * x
        elif NORM == "1":
            acc += x
        elif NORM == "inf":
            acc = tl.maximum(acc, x)
        elif NORM == "0":
            acc += tl.where(x != 0, 1.0, 0.0).to(ACC)
        else:
            acc += tl.where(x > 0, tl.exp(p * tl.log(tl.where(x > 0, x, 1.0))), 0.0).to(ACC)
    if NORM == "inf":
        norm = tl.max(acc, axis=0)
    else:
        norm = tl.sum(acc, axis=0)
        if NORM == "2":
            norm = tl.sqrt(norm)
        elif NORM == "p":
            norm = tl.where(norm > 0, tl.exp(tl.log(tl.where(norm > 0, norm, 1.0)) / p), 0.0).to(ACC)
    max_norm = max_norm_bits.to(tl.int64).to(tl.float64, bitcast=True).to(ACC)
    if norm > max_norm:
        scale = max_norm / (norm + 1e-7)
        for d0 in range(0, D, BLOCK_D):
            d = d0 + tl.arange(0, BLOCK_D)
            ptrs = base + d.to(tl.int64) * stride_wd
            x = tl.load(ptrs, mask=d < D, other=0).to(ACC)
            tl.store(ptrs, (x * scale).to(w_ptr.dtype.element_ty), mask=d < D)


# ---------------------------------------------------------------------------------- launchers
def _acc(dtype):
    return tl.float64 if dtype is dt.float64 else tl.float32


def embedding_fwd(idx, idx_sizes, idx_strides, weight, out):
    """out (n, D) = weight[idx] for indices (shape/strides coalesced to idx_sizes/idx_strides)."""
    n, D = out.shape
    block_d, warps = row_config(D, out.device, max_block=256 if not is_interpreted(out.device) else 1 << 14)
    if is_interpreted(out.device):
        block_i = max(1, min(next_power_of_2(max(n, 1)), (1 << 16) // block_d))
    else:
        block_i = max(1, 2048 // block_d)
    launch(_embedding_fwd_kernel, (cdiv(n, block_i), cdiv(D, block_d)),
           idx, tuple(idx_sizes), tuple(idx_strides), weight, weight.stride(0), weight.stride(1), out, n, D,
           RANK=len(idx_sizes), BLOCK_I=block_i, BLOCK_D=block_d, num_warps=warps)


def embedding_bwd(grad, perm, starts, rows, dweight, scale_grad_by_freq: bool, max_segment: int):
    """dweight[rows[u]] = sum of grad rows perm[starts[u]:starts[u+1]] (dweight pre-zeroed);
    grad (n, D) strided; ``max_segment`` (the longest segment) sizes the interpreter's tiles."""
    U = rows.shape[0]
    D = grad.shape[1]
    block_d, warps = row_config(D, grad.device, max_block=256 if not is_interpreted(grad.device) else 1 << 14)
    if is_interpreted(grad.device):
        block_j = max(1, min(next_power_of_2(max(max_segment, 1)), max(1, (1 << 16) // block_d)))
    else:
        block_j = 16
    launch(_embedding_bwd_kernel, (U, cdiv(D, block_d)),
           grad, grad.stride(0), grad.stride(1), perm, starts, rows, dweight, dweight.stride(0),
           dweight.stride(1), D, SCALE_BY_FREQ=bool(scale_grad_by_freq), ACC=_acc(dweight.dtype),
           BLOCK_J=block_j, BLOCK_D=block_d, num_warps=warps)


def _norm_kind(p: float) -> str:
    if p == 2.0:
        return "2"
    if p == 1.0:
        return "1"
    if p == float("inf"):
        return "inf"
    if p == 0.0:
        return "0"
    return "p"


def embedding_renorm(weight, rows, max_norm: float, norm_type: float):
    """Rescale, in place, each of the distinct ``rows`` (int64, (U,)) of weight whose p-norm
    exceeds max_norm down to max_norm."""
    D = weight.shape[1]
    block_d, warps = row_config(D, weight.device, max_block=1024 if not is_interpreted(weight.device) else 1 << 14)
    launch(_embedding_renorm_kernel, (rows.shape[0],),
           weight, weight.stride(0), weight.stride(1), rows, D, float_bits(max_norm), float_bits(norm_type),
           NORM=_norm_kind(float(norm_type)), ACC=_acc(weight.dtype), BLOCK_D=block_d, num_warps=warps)
