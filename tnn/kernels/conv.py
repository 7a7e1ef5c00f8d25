"""Convolution as implicit GEMM, forward and backward, for 1-, 2- and 3-d convolutions alike.

Every problem is seen as 3-d: the functional layer views (N, C, L) as (N, C, 1, 1, L) and
(N, C, H, W) as (N, C, 1, H, W) (size-1 dims, any stride), so one kernel of each kind serves
conv1d/2d/3d and their transposes. Layouts are torch's: x (N, C, D, H, W), weight
(C_out, C/groups, KD, KH, KW), y (N, C_out, OD, OH, OW), any strides. Per group g the three
products are GEMMs whose operands are never materialised (no im2col buffer): a program computes
the address of every operand element from its (output or input) position and its reduction index.

    forward   y[m, co]  = sum_(c, r) x[n, c, o*s - p + k*d] * w[co, c, k]    _conv_fwd_kernel
              rows m = (n, od, oh, ow), columns co, reduction (c, r = (kd, kh, kw))
    dX        dx[m, ci] = sum_(co, r) dy[n, co, o] * w[co, ci, k]            _conv_bwd_input_kernel
              rows m = (n, id, ih, iw), columns ci, reduction (co, r), where o*s = i + p - k*d
              (no term unless divisible and in range): the transposed problem, gathered, no atomics.
              conv_transpose's forward is exactly this kernel (its weight is this layout).
    dW, db    dw[co, (ci, r)] = sum_m dy[n, co, o] * x[n, ci, o*s - p + k*d]  _conv_bwd_weight_kernel
              db[co] = sum_m dy[n, co, o]: the row sums of the dy tiles the GEMM already loads.

The reduction dim walks (channel, kernel position) in chunks of BLOCK_C channels x BLOCK_R
positions. BLOCK_R == 1 (GPU from 16 channels per group; the interpreter when it is cheaper):
nested loops over kd, kh, kw hoist each dim's address and padding mask (per row), so only the
channel offset is per element -- the inner loop is as cheap as a plain GEMM's. BLOCK_R > 1 (few
channels: a 7x7 stem, depthwise; the interpreter's one-big-chunk mode): taps are decoded per
lane, with the masks per element. ``_chunk`` / ``_interp_mode`` choose.

Determinism: dW and db are reduced over batch and space inside a program; when the GPU splits that
reduction over SPLIT programs (few output tiles), each writes an fp32 partial and
_conv_split_sum_kernel sums them in a fixed order. No atomics anywhere.
Accumulation is fp32 (fp64 for fp64); fp32 multiplies in IEEE precision unless tf32 is allowed.
"""
from __future__ import annotations

from typing import NamedTuple

import triton.language as tl

from ..runtime import dtypes as dt
from .launch import cdiv, is_interpreted, jit, launch, next_power_of_2


# ----------------------------------------------------------------------------------- helpers
@jit
def _tile_ids(pid, rows, cols, BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, GROUP_M: tl.constexpr):
    """(tile row, tile column) of program ``pid``, grouped GROUP_M tile rows at a time (Triton
    tutorial 03) so programs running together share operand tiles in L2."""
    num_m = tl.cdiv(rows, BLOCK_M)
    num_n = tl.cdiv(cols, BLOCK_N)
    group = GROUP_M * num_n
    first_m = (pid // group) * GROUP_M
    size_m = tl.minimum(num_m - first_m, GROUP_M)
    return first_m + (pid % group) % size_m, (pid % group) // size_m


@jit
def _split3(idx, sizes):
    """Row-major (n, a, b, c) of flat indices over (N, sizes[0], sizes[1], sizes[2])."""
    c = idx % sizes[2]
    t = idx // sizes[2]
    b = t % sizes[1]
    t = t // sizes[1]
    return t // sizes[0], t % sizes[0], b, c


@jit
def _position(r, ksize):
    """(kd, kh, kw) of the flat kernel position r over (KD, KH, KW)."""
    return r // (ksize[1] * ksize[2]), (r // ksize[2]) % ksize[1], r % ksize[2]


@jit
def _tap(o, k, size, stride, pad, dil):
    """Input coordinate i = o*stride - pad + k*dil of output o and tap k, and 0 <= i < size."""
    i = o * stride - pad + k * dil
    return i, (i >= 0) & (i < size)


@jit
def _tap_t(i, k, size, stride, pad, dil):
    """The output o with o*stride - pad + k*dil == i, and whether it exists (divisible, in range)."""
    t = i + pad - k * dil
    tc = tl.maximum(t, 0)            # // and % of negatives differ between backends: never divide one
    o = tc // stride
    return o, (t >= 0) & (tc - o * stride == 0) & (o < size)


@jit
def _mma(a, b, acc, USE_DOT: tl.constexpr, ACC: tl.constexpr, INPUT_PRECISION: tl.constexpr):
    """acc += a @ b: tl.dot, or a broadcast multiply-sum when a side is 1 wide (depthwise)."""
    if USE_DOT:
        acc = tl.dot(a, b, acc, input_precision=INPUT_PRECISION, out_dtype=ACC)
    else:
        acc += tl.sum(a.to(ACC)[:, :, None] * b.to(ACC)[None, :, :], axis=1)
    return acc


@jit
def _channel_loop(acc, a_ptr, a_off, a_ok, a_stride_c, b_ptr, b_off, b_ok, b_stride_c, lane_c, CH,
                  BLOCK_C: tl.constexpr, USE_DOT: tl.constexpr, ACC: tl.constexpr, INPUT_PRECISION: tl.constexpr):
    """acc += A @ B over the reduction channels 0..CH in BLOCK_C steps, for fixed tap(s): A's
    element (m, lane) at a_off + c*a_stride_c (a_ok), B's (lane, n) at b_off + c*b_stride_c (b_ok),
    c = c0 + lane_c[lane]. a_off/a_ok broadcast to (BLOCK_M, BLOCK_K), b_off/b_ok to (BLOCK_K, BLOCK_N)."""
    for c0 in range(0, CH, BLOCK_C):
        c = c0 + lane_c                                                # (BLOCK_K,)
        c_ok = c < CH
        a = tl.load(a_ptr + a_off + (c * a_stride_c)[None, :], mask=a_ok & c_ok[None, :], other=0)
        b = tl.load(b_ptr + b_off + (c * b_stride_c)[:, None], mask=b_ok & c_ok[:, None], other=0)
        acc = _mma(a, b, acc, USE_DOT, ACC, INPUT_PRECISION)
    return acc


# ----------------------------------------------------------------------------------- kernels
@jit
def _conv_fwd_kernel(
    x_ptr, x_strides,            # input  (N, C, D, H, W); strides: tuple of 5
    w_ptr, w_strides,            # weight (C_out, C/groups, KD, KH, KW); strides: tuple of 5
    b_ptr, stride_b,             # bias (C_out,), or None
    y_ptr, y_strides,            # output (N, C_out, OD, OH, OW), written; strides: tuple of 5
    in_size,                     # (D, H, W)
    out_size,                    # (OD, OH, OW)
    ksize,                       # (KD, KH, KW)
    stride, padding, dilation,   # (d, h, w) each; padding is the leading (front/top/left) padding
    M,                           # rows: N * OD * OH * OW
    CG, COG,                     # input / output channels per group
    HAS_BIAS: tl.constexpr,
    USE_DOT: tl.constexpr,       # False: multiply-sum (BLOCK_N == 1, one output channel per group)
    GROUP_M: tl.constexpr,
    BLOCK_M: tl.constexpr,       # output positions per tile
    BLOCK_N: tl.constexpr,       # output channels per tile
    BLOCK_C: tl.constexpr,       # input channels per reduction chunk
    BLOCK_R: tl.constexpr,       # kernel positions per reduction chunk
    ACC: tl.constexpr,           # tl.float32 or tl.float64
    INPUT_PRECISION: tl.constexpr,
):
    """y[n, co, o] = bias[co] + sum_(c, k) x[n, g*CG + c, o*stride - padding + k*dilation] * w[co, c, k]
    for co in group g, as an implicit GEMM (rows: output positions of the whole batch, columns:
    output channels, reduction: CG channels x KD*KH*KW positions; out-of-range taps read 0).

    Grid: (cdiv(M, BLOCK_M) * cdiv(COG, BLOCK_N), groups). One program computes a BLOCK_M x
    BLOCK_N tile of group program_id(1), walking the reduction in BLOCK_C x BLOCK_R chunks."""
    g = tl.program_id(1)
    pid_m, pid_n = _tile_ids(tl.program_id(0), M, COG, BLOCK_M, BLOCK_N, GROUP_M)
    offs_m = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
    mask_m = offs_m < M
    n, od, oh, ow = _split3(offs_m, out_size)
    co = g * COG + pid_n * BLOCK_N + tl.arange(0, BLOCK_N)          # (BLOCK_N,) global channels
    mask_n = co < (g + 1) * COG
    x_base = n.to(tl.int64) * x_strides[0] + (g * CG).to(tl.int64) * x_strides[1]   # (BLOCK_M,)
    w_base = co.to(tl.int64) * w_strides[0]                                          # (BLOCK_N,)
    lanes = tl.arange(0, BLOCK_C * BLOCK_R)
    lane_c = (lanes // BLOCK_R).to(tl.int64)                        # channel of each reduction lane
    KVOL = ksize[0] * ksize[1] * ksize[2]
    acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=ACC)
    if BLOCK_R == 1:   # one tap per chunk: addresses and masks per row, each dim's part hoisted
        for kd in range(0, ksize[0]):
            i_d, ok_d = _tap(od, kd, in_size[0], stride[0], padding[0], dilation[0])
            off_d = x_base + i_d * x_strides[2]
            ok_d = mask_m & ok_d
            for kh in range(0, ksize[1]):
                i_h, ok_h = _tap(oh, kh, in_size[1], stride[1], padding[1], dilation[1])
                off_h = off_d + i_h * x_strides[3]
                ok_h = ok_d & ok_h
                w_dh = w_base + kd * w_strides[2] + kh * w_strides[3]
                for kw in range(0, ksize[2]):
                    i_w, ok_w = _tap(ow, kw, in_size[2], stride[2], padding[2], dilation[2])
                    acc = _channel_loop(acc, x_ptr, (off_h + i_w * x_strides[4])[:, None], (ok_h & ok_w)[:, None],
                                        x_strides[1], w_ptr, (w_dh + kw * w_strides[4])[None, :], mask_n[None, :],
                                        w_strides[1], lane_c, CG, BLOCK_C, USE_DOT, ACC, INPUT_PRECISION)
    else:              # BLOCK_R taps per chunk: decoded per lane
        for r0 in range(0, KVOL, BLOCK_R):
            r = r0 + lanes % BLOCK_R
            kd, kh, kw = _position(r, ksize)
            i_d, ok_d = _tap(od[:, None], kd[None, :], in_size[0], stride[0], padding[0], dilation[0])
            i_h, ok_h = _tap(oh[:, None], kh[None, :], in_size[1], stride[1], padding[1], dilation[1])
            i_w, ok_w = _tap(ow[:, None], kw[None, :], in_size[2], stride[2], padding[2], dilation[2])
            a_off = x_base[:, None] + i_d * x_strides[2] + i_h * x_strides[3] + i_w * x_strides[4]
            a_ok = mask_m[:, None] & (r < KVOL)[None, :] & ok_d & ok_h & ok_w
            b_off = w_base[None, :] + (kd * w_strides[2] + kh * w_strides[3] + kw * w_strides[4])[:, None]
            b_ok = (r < KVOL)[:, None] & mask_n[None, :]
            acc = _channel_loop(acc, x_ptr, a_off, a_ok, x_strides[1], w_ptr, b_off, b_ok, w_strides[1], lane_c, CG,
                                BLOCK_C, USE_DOT, ACC, INPUT_PRECISION)
    if HAS_BIAS:
        acc += tl.load(b_ptr + co * stride_b, mask=mask_n, other=0).to(ACC)[None, :]
    y_off = n.to(tl.int64) * y_strides[0] + od * y_strides[2] + oh * y_strides[3] + ow * y_strides[4]
    y_ptrs = y_ptr + y_off[:, None] + (co.to(tl.int64) * y_strides[1])[None, :]
    tl.store(y_ptrs, acc.to(y_ptr.dtype.element_ty), mask=mask_m[:, None] & mask_n[None, :])


@jit
def _conv_bwd_input_kernel(
    dy_ptr, dy_strides,          # output gradient (N, C_out, OD, OH, OW); strides: tuple of 5
    w_ptr, w_strides,            # weight (C_out, C/groups, KD, KH, KW); strides: tuple of 5
    b_ptr, stride_b,             # bias (C,) added to every dx (conv_transpose's forward), or None
    dx_ptr, dx_strides,          # input gradient (N, C, D, H, W), written; strides: tuple of 5
    in_size,                     # (D, H, W)
    out_size,                    # (OD, OH, OW)
    ksize,                       # (KD, KH, KW)
    stride, padding, dilation,   # (d, h, w) each, of the forward convolution
    M,                           # rows: N * D * H * W
    CG, COG,                     # input / output channels per group
    HAS_BIAS: tl.constexpr,
    USE_DOT: tl.constexpr,       # False: multiply-sum (BLOCK_N == 1, one input channel per group)
    GROUP_M: tl.constexpr,
    BLOCK_M: tl.constexpr,       # input positions per tile
    BLOCK_N: tl.constexpr,       # input channels per tile
    BLOCK_C: tl.constexpr,       # output channels per reduction chunk
    BLOCK_R: tl.constexpr,       # kernel positions per reduction chunk
    ACC: tl.constexpr,
    INPUT_PRECISION: tl.constexpr,
):
    """dx[n, ci, i] = bias[ci] + sum_(co, k) dy[n, g*COG + co, o] * w[g*COG + co, ci, k] over the taps
    with o*stride - padding + k*dilation == i (o integral and in range): the convolution's input
    gradient, and conv_transpose's forward. Gathered per input position, so no atomics.

    Grid: (cdiv(M, BLOCK_M) * cdiv(CG, BLOCK_N), groups). One program computes a BLOCK_M x
    BLOCK_N tile of group program_id(1) (input positions x input channels), walking the reduction
    (COG output channels x KD*KH*KW taps) in BLOCK_C x BLOCK_R chunks."""
    g = tl.program_id(1)
    pid_m, pid_n = _tile_ids(tl.program_id(0), M, CG, BLOCK_M, BLOCK_N, GROUP_M)
    offs_m = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
    mask_m = offs_m < M
    n, i_d, i_h, i_w = _split3(offs_m, in_size)
    ci = g * CG + pid_n * BLOCK_N + tl.arange(0, BLOCK_N)            # (BLOCK_N,) global channels
    mask_n = ci < (g + 1) * CG
    a_base = n.to(tl.int64) * dy_strides[0] + (g * COG).to(tl.int64) * dy_strides[1]   # (BLOCK_M,)
    w_base = (g * COG).to(tl.int64) * w_strides[0] + (ci - g * CG).to(tl.int64) * w_strides[1]
    lanes = tl.arange(0, BLOCK_C * BLOCK_R)
    lane_c = (lanes // BLOCK_R).to(tl.int64)
    KVOL = ksize[0] * ksize[1] * ksize[2]
    acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=ACC)
    if BLOCK_R == 1:
        for kd in range(0, ksize[0]):
            o_d, ok_d = _tap_t(i_d, kd, out_size[0], stride[0], padding[0], dilation[0])
            off_d = a_base + o_d * dy_strides[2]
            ok_d = mask_m & ok_d
            for kh in range(0, ksize[1]):
                o_h, ok_h = _tap_t(i_h, kh, out_size[1], stride[1], padding[1], dilation[1])
                off_h = off_d + o_h * dy_strides[3]
                ok_h = ok_d & ok_h
                w_dh = w_base + kd * w_strides[2] + kh * w_strides[3]
                for kw in range(0, ksize[2]):
                    o_w, ok_w = _tap_t(i_w, kw, out_size[2], stride[2], padding[2], dilation[2])
                    acc = _channel_loop(acc, dy_ptr, (off_h + o_w * dy_strides[4])[:, None], (ok_h & ok_w)[:, None],
                                        dy_strides[1], w_ptr, (w_dh + kw * w_strides[4])[None, :], mask_n[None, :],
                                        w_strides[0], lane_c, COG, BLOCK_C, USE_DOT, ACC, INPUT_PRECISION)
    else:
        for r0 in range(0, KVOL, BLOCK_R):
            r = r0 + lanes % BLOCK_R
            kd, kh, kw = _position(r, ksize)
            o_d, ok_d = _tap_t(i_d[:, None], kd[None, :], out_size[0], stride[0], padding[0], dilation[0])
            o_h, ok_h = _tap_t(i_h[:, None], kh[None, :], out_size[1], stride[1], padding[1], dilation[1])
            o_w, ok_w = _tap_t(i_w[:, None], kw[None, :], out_size[2], stride[2], padding[2], dilation[2])
            a_off = a_base[:, None] + o_d * dy_strides[2] + o_h * dy_strides[3] + o_w * dy_strides[4]
            a_ok = mask_m[:, None] & (r < KVOL)[None, :] & ok_d & ok_h & ok_w
            b_off = w_base[None, :] + (kd * w_strides[2] + kh * w_strides[3] + kw * w_strides[4])[:, None]
            b_ok = (r < KVOL)[:, None] & mask_n[None, :]
            acc = _channel_loop(acc, dy_ptr, a_off, a_ok, dy_strides[1], w_ptr, b_off, b_ok, w_strides[0], lane_c,
                                COG, BLOCK_C, USE_DOT, ACC, INPUT_PRECISION)
    if HAS_BIAS:
        acc += tl.load(b_ptr + ci * stride_b, mask=mask_n, other=0).to(ACC)[None, :]
    x_off = n.to(tl.int64) * dx_strides[0] + i_d * dx_strides[2] + i_h * dx_strides[3] + i_w * dx_strides[4]
    dx_ptrs = dx_ptr + x_off[:, None] + (ci.to(tl.int64) * dx_strides[1])[None, :]
    tl.store(dx_ptrs, acc.to(dx_ptr.dtype.element_ty), mask=mask_m[:, None] & mask_n[None, :])


@jit
def _conv_bwd_weight_kernel(
    x_ptr, x_strides,            # input (N, C, D, H, W); strides: tuple of 5
    dy_ptr, dy_strides,          # output gradient (N, C_out, OD, OH, OW); strides: tuple of 5
    dw_ptr,                      # (SPLIT, C_out, CG, KD, KH, KW) contiguous, written (SPLIT == 1: dw itself)
    db_ptr,                      # (SPLIT, C_out) contiguous, written when HAS_DB, or None
    in_size,                     # (D, H, W)
    out_size,                    # (OD, OH, OW)
    ksize,                       # (KD, KH, KW)
    stride, padding, dilation,   # (d, h, w) each
    M,                           # reduction length: N * OD * OH * OW
    m_per_split,                 # reduction length per program along grid axis 2 (a BLOCK_K multiple)
    C_OUT, CG, COG,              # output channels; input / output channels per group
    HAS_DB: tl.constexpr,
    USE_DOT: tl.constexpr,       # False: multiply-sum (BLOCK_M == 1, one output channel per group)
    GROUP_M: tl.constexpr,
    BLOCK_M: tl.constexpr,       # output channels per tile
    BLOCK_C: tl.constexpr,       # input channels per tile column block
    BLOCK_R: tl.constexpr,       # kernel positions per tile column block (columns: BLOCK_C * BLOCK_R)
    BLOCK_K: tl.constexpr,       # reduction chunk (output positions of the batch)
    ACC: tl.constexpr,
    INPUT_PRECISION: tl.constexpr,
):
    """dw[co, ci, k] = sum_(n, o) dy[n, co, o] * x[n, g*CG + ci, o*stride - padding + k*dilation] for
    co in group g (a GEMM: rows co, columns (ci, k), reduction over the batch's output positions),
    and db[co] = sum_(n, o) dy[n, co, o] from the same dy tiles, stored by the programs of the
    first column tile. Program (., ., s) reduces positions [s*m_per_split, (s+1)*m_per_split) and
    writes partial s (summed afterwards in a fixed order when SPLIT > 1).

    Grid: (cdiv(COG, BLOCK_M) * cdiv(CG, BLOCK_C) * cdiv(KD*KH*KW, BLOCK_R), groups, SPLIT).
    One program computes a BLOCK_M x (BLOCK_C * BLOCK_R) tile, walking its positions in BLOCK_K steps."""
    g = tl.program_id(1)
    split = tl.program_id(2)
    KVOL = ksize[0] * ksize[1] * ksize[2]
    n_r = tl.cdiv(KVOL, BLOCK_R)
    pid_m, pid_n = _tile_ids(tl.program_id(0), COG, tl.cdiv(CG, BLOCK_C) * n_r * BLOCK_C * BLOCK_R,
                             BLOCK_M, BLOCK_C * BLOCK_R, GROUP_M)
    co = g * COG + pid_m * BLOCK_M + tl.arange(0, BLOCK_M)           # (BLOCK_M,) global channels
    mask_co = co < (g + 1) * COG
    lanes = tl.arange(0, BLOCK_C * BLOCK_R)
    ci = (pid_n // n_r) * BLOCK_C + lanes // BLOCK_R                  # (BLOCK_N,) channel in group
    r = (pid_n % n_r) * BLOCK_R + lanes % BLOCK_R                     # (BLOCK_N,) kernel position
    mask_col = (ci < CG) & (r < KVOL)
    x_chan = (g * CG + ci).to(tl.int64) * x_strides[1]               # (BLOCK_N,)
    dy_chan = co.to(tl.int64) * dy_strides[1]                        # (BLOCK_M,)
    kd, kh, kw = _position(r, ksize)
    r_first = (pid_n % n_r) * BLOCK_R
    kd0, kh0, kw0 = _position(r_first, ksize)                        # BLOCK_R == 1: the one tap
    offs_k = tl.arange(0, BLOCK_K)
    acc = tl.zeros((BLOCK_M, BLOCK_C * BLOCK_R), dtype=ACC)
    dbacc = tl.zeros((BLOCK_M,), dtype=ACC)
    m_lo = split * m_per_split
    m_hi = tl.minimum(m_lo + m_per_split, M)
    for m0 in range(m_lo, m_hi, BLOCK_K):
        mk = m0 + offs_k
        mask_k = mk < m_hi
        n, od, oh, ow = _split3(mk, out_size)
        n64 = n.to(tl.int64)
        dy_off = n64 * dy_strides[0] + od * dy_strides[2] + oh * dy_strides[3] + ow * dy_strides[4]
        a = tl.load(dy_ptr + dy_chan[:, None] + dy_off[None, :], mask=mask_co[:, None] & mask_k[None, :],
                    other=0)                                          # (BLOCK_M, BLOCK_K)
        if BLOCK_R == 1:
            i_d, ok_d = _tap(od, kd0, in_size[0], stride[0], padding[0], dilation[0])
            i_h, ok_h = _tap(oh, kh0, in_size[1], stride[1], padding[1], dilation[1])
            i_w, ok_w = _tap(ow, kw0, in_size[2], stride[2], padding[2], dilation[2])
            sp = n64 * x_strides[0] + i_d * x_strides[2] + i_h * x_strides[3] + i_w * x_strides[4]
            b_off = sp[:, None] + x_chan[None, :]
            b_ok = (mask_k & ok_d & ok_h & ok_w)[:, None] & mask_col[None, :]
        else:
            i_d, ok_d = _tap(od[:, None], kd[None, :], in_size[0], stride[0], padding[0], dilation[0])
            i_h, ok_h = _tap(oh[:, None], kh[None, :], in_size[1], stride[1], padding[1], dilation[1])
            i_w, ok_w = _tap(ow[:, None], kw[None, :], in_size[2], stride[2], padding[2], dilation[2])
            b_off = (n64 * x_strides[0])[:, None] + x_chan[None, :] + i_d * x_strides[2] + \
                i_h * x_strides[3] + i_w * x_strides[4]
            b_ok = mask_k[:, None] & mask_col[None, :] & ok_d & ok_h & ok_w
        b = tl.load(x_ptr + b_off, mask=b_ok, other=0)                # (BLOCK_K, BLOCK_N)
        acc = _mma(a, b, acc, USE_DOT, ACC, INPUT_PRECISION)
        if HAS_DB:
            dbacc += tl.sum(a.to(ACC), axis=1)
    out = dw_ptr + split.to(tl.int64) * C_OUT * CG * KVOL
    w_off = co.to(tl.int64)[:, None] * (CG * KVOL) + (ci * KVOL + r)[None, :]
    tl.store(out + w_off, acc.to(dw_ptr.dtype.element_ty), mask=mask_co[:, None] & mask_col[None, :])
    if HAS_DB:
        tl.store(db_ptr + split * C_OUT + co, dbacc.to(db_ptr.dtype.element_ty), mask=mask_co & ((co * 0 + pid_n) == 0))


@jit
def _conv_split_sum_kernel(
    part_ptr,                    # (SPLIT, numel) contiguous partials (fp32 / fp64)
    out_ptr,                     # (numel,) contiguous, written in its own dtype
    numel, SPLIT,
    ACC: tl.constexpr,
    BLOCK: tl.constexpr,
):
    """out[i] = sum_s part[s, i], the split partials summed in order s = 0, 1, ... (deterministic).

    Grid: (cdiv(numel, BLOCK),); one program sums BLOCK consecutive columns."""
    offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < numel
    acc = tl.zeros((BLOCK,), dtype=ACC)
    for s in range(0, SPLIT):
        acc += tl.load(part_ptr + s * numel + offs, mask=mask, other=0).to(ACC)
    tl.store(out_ptr + offs, acc.to(out_ptr.dtype.element_ty), mask=mask)


# ----------------------------------------------------------------------------------- configs
class ConvConfig(NamedTuple):
    BLOCK_M: int   # GEMM rows per tile (positions; dW: output channels)
    BLOCK_N: int   # GEMM columns per tile (channels; dW: BLOCK_C * BLOCK_R)
    BLOCK_C: int   # channels per reduction chunk (dW: per column block)
    BLOCK_R: int   # kernel positions per reduction chunk (dW: per column block)
    BLOCK_K: int   # dW only: positions per reduction step
    GROUP_M: int
    num_warps: int
    num_stages: int


# Per kind: (BLOCK_M, max BLOCK_N, reduction chunk, warps for a full tile, stages). Edit to tune.
GPU_TILES = {
    "f16": (128, 128, 32, 8, 3),
    "tf32": (128, 128, 32, 8, 3),
    "f32": (64, 64, 16, 4, 3),
    "f64": (64, 32, 16, 4, 2),
}
_GPU_PROGRAMS = 264          # ~2 waves on an H100 (132 SMs): below this, smaller tiles / split-K
_INTERP_TILE = 1 << 16       # elements per operand tile on the interpreter (NumPy per program)
# Tests set these to run the GPU's reduction chunking ("gpu": several taps per chunk below 16
# channels) and a split weight-gradient reduction on the interpreter.
INTERPRETER_CHUNKS = "auto"     # or "positions", "flat", "gpu" (see _chunk)
WEIGHT_SPLIT = None


def _kind(dtype, allow_tf32: bool) -> str:
    if dtype is dt.float64:
        return "f64"
    if dtype is dt.float32:
        return "tf32" if allow_tf32 else "f32"
    return "f16"


def _acc(dtype):
    return tl.float64 if dtype is dt.float64 else tl.float32


def _precision(dtype, allow_tf32: bool) -> str:
    return "tf32" if (allow_tf32 and dtype is dt.float32) else "ieee"


def _chunk(channels: int, kvol: int, target: int, mode: str) -> tuple[int, int]:
    """(BLOCK_C, BLOCK_R) for a reduction over ``channels`` x ``kvol`` taps.

    "gpu": about ``target`` lanes, at least 16 as tl.dot needs (surplus lanes masked), one tap per
    chunk from 16 channels up, else several. The interpreter (whose tl.dot takes any size) pays
    ~100 us per Triton op and ~0.3 us per tile element: "positions" loops over taps with all
    channels at once (per-row address math), "flat" takes every tap in one chunk (per-element)."""
    if mode == "positions":
        return min(next_power_of_2(max(channels, 1)), 256), 1
    if mode == "flat":
        br = min(next_power_of_2(kvol), 64)
        return min(next_power_of_2(max(channels, 1)), max(1, 256 // br)), br
    if channels >= 16:
        return min(target, next_power_of_2(channels)), 1
    bc = next_power_of_2(max(channels, 1))
    br = min(next_power_of_2(kvol), max(1, target // bc))
    return bc, max(br, 16 // bc)


def _interp_mode(rows: int, channels: int, kvol: int, per_iteration_elems: int) -> str:
    """The cheaper interpreter chunking: "flat" costs ~0.3 us per gathered element (rows x padded
    channels x taps), "positions" ~``per_iteration_elems`` x 0.3 us per tap and channel chunk."""
    if INTERPRETER_CHUNKS != "auto":
        return INTERPRETER_CHUNKS
    bc, br = _chunk(channels, kvol, 0, "flat")
    flat = rows * bc * br * cdiv(kvol, br) * cdiv(channels, bc)
    pc, _ = _chunk(channels, kvol, 0, "positions")
    return "flat" if flat < per_iteration_elems * kvol * cdiv(channels, pc) else "positions"


def gemm_config(rows: int, cols: int, channels: int, kvol: int, groups: int, dtype, device,
                allow_tf32: bool = False) -> ConvConfig:
    """Tiles of the forward / input-gradient GEMM: ``rows`` positions x ``cols`` channels per group,
    reducing ``channels`` x ``kvol`` taps."""
    interp = is_interpreted(device)
    bm, bn_max, target, warps, stages = GPU_TILES[_kind(dtype, allow_tf32)]
    bc, br = _chunk(channels, kvol, target, _interp_mode(rows, channels, kvol, 11000) if interp else "gpu")
    if interp:
        bn = min(next_power_of_2(max(cols, 1)), 256)
        bm = max(16, min(next_power_of_2(max(rows, 1)), _INTERP_TILE // max(bc * br, bn)))
        return ConvConfig(bm, bn, bc, br, 0, 8, 1, 1)
    if cols == 1:                     # one channel per group: multiply-sum over a 1-wide tile
        bn = 1
    else:
        bn = max(16, min(next_power_of_2(cols), bn_max))
    if bn == 1:
        return ConvConfig(128, 1, bc, br, 0, 8, 4, 2)
    if cdiv(rows, bm) * cdiv(cols, bn) * groups < _GPU_PROGRAMS and bm > 64:
        bm = 64
    if bm * bn < 128 * 128:
        warps = 4
    return ConvConfig(bm, bn, bc, br, 0, 8, warps, stages)


def weight_config(c_out_g: int, channels: int, kvol: int, M: int, groups: int, dtype, device,
                  allow_tf32: bool = False) -> tuple[ConvConfig, int]:
    """(tiles, SPLIT) of the weight-gradient GEMM: rows ``c_out_g`` output channels, columns
    ``channels`` x ``kvol`` taps, reduction over ``M`` positions (split over SPLIT programs when
    the output has too few tiles to fill the GPU)."""
    interp = is_interpreted(device)
    _, _, target, warps, stages = GPU_TILES[_kind(dtype, allow_tf32)]
    if interp:
        bm = min(next_power_of_2(max(c_out_g, 1)), 256)
        bc, br = _chunk(channels, kvol, 64, _interp_mode(M, channels, kvol, 37000))
        bk = max(16, min(next_power_of_2(max(M, 1)), _INTERP_TILE // max(bm, bc * br)))
        return ConvConfig(bm, bc * br, bc, br, bk, 8, 1, 1), 1
    bm = 1 if c_out_g == 1 else max(16, min(next_power_of_2(c_out_g), 64))
    bc, br = _chunk(channels, kvol, 64, "gpu")
    bk = 2 * target
    tiles = cdiv(c_out_g, bm) * cdiv(channels, bc) * cdiv(kvol, br) * groups
    split = max(1, min(cdiv(_GPU_PROGRAMS, tiles), M // (8 * bk)))
    return ConvConfig(bm, bc * br, bc, br, bk, 8, 4, stages), split


# ----------------------------------------------------------------------------------- launchers
def _geometry(x, w, y, stride, padding, dilation):
    """The shared (in_size, out_size, ksize, stride, padding, dilation) tuple arguments."""
    return (tuple(x.shape[2:]), tuple(y.shape[2:]), tuple(w.shape[2:]), tuple(stride), tuple(padding),
            tuple(dilation))


def conv_fwd(x, weight, bias, y, stride, padding, dilation, groups: int, allow_tf32: bool = False,
             config: ConvConfig | None = None):
    """y (N, C_out, OD, OH, OW) = conv(x (N, C, D, H, W), weight (C_out, C/groups, KD, KH, KW)) + bias,
    all 5-d with any strides; ``padding`` the leading padding per dim (y's size carries the rest)."""
    N, C = x.shape[:2]
    c_out, cg = weight.shape[:2]
    cog = c_out // groups
    M = N * y.shape[2] * y.shape[3] * y.shape[4]
    kvol = weight.shape[2] * weight.shape[3] * weight.shape[4]
    cfg = config or gemm_config(M, cog, cg, kvol, groups, x.dtype, x.device, allow_tf32)
    grid = (cdiv(M, cfg.BLOCK_M) * cdiv(cog, cfg.BLOCK_N), groups)
    launch(_conv_fwd_kernel, grid,
           x, tuple(x.stride()), weight, tuple(weight.stride()),
           bias, bias.stride(0) if bias is not None else 0, y, tuple(y.stride()),
           *_geometry(x, weight, y, stride, padding, dilation), M, cg, cog,
           HAS_BIAS=bias is not None, USE_DOT=cfg.BLOCK_N > 1, GROUP_M=cfg.GROUP_M,
           BLOCK_M=cfg.BLOCK_M, BLOCK_N=cfg.BLOCK_N, BLOCK_C=cfg.BLOCK_C, BLOCK_R=cfg.BLOCK_R,
           ACC=_acc(x.dtype), INPUT_PRECISION=_precision(x.dtype, allow_tf32),
           num_warps=cfg.num_warps, num_stages=cfg.num_stages)


def conv_bwd_input(dy, weight, dx, stride, padding, dilation, groups: int, bias=None, allow_tf32: bool = False,
                   config: ConvConfig | None = None):
    """dx (N, C, D, H, W) = the input gradient of conv(., weight) for the output gradient dy
    (N, C_out, OD, OH, OW), plus ``bias`` (C,) when given: conv_transpose's forward."""
    N, C = dx.shape[:2]
    c_out, cg = weight.shape[:2]
    cog = c_out // groups
    M = N * dx.shape[2] * dx.shape[3] * dx.shape[4]
    kvol = weight.shape[2] * weight.shape[3] * weight.shape[4]
    cfg = config or gemm_config(M, cg, cog, kvol, groups, dy.dtype, dy.device, allow_tf32)
    grid = (cdiv(M, cfg.BLOCK_M) * cdiv(cg, cfg.BLOCK_N), groups)
    launch(_conv_bwd_input_kernel, grid,
           dy, tuple(dy.stride()), weight, tuple(weight.stride()),
           bias, bias.stride(0) if bias is not None else 0, dx, tuple(dx.stride()),
           *_geometry(dx, weight, dy, stride, padding, dilation), M, cg, cog,
           HAS_BIAS=bias is not None, USE_DOT=cfg.BLOCK_N > 1, GROUP_M=cfg.GROUP_M,
           BLOCK_M=cfg.BLOCK_M, BLOCK_N=cfg.BLOCK_N, BLOCK_C=cfg.BLOCK_C, BLOCK_R=cfg.BLOCK_R,
           ACC=_acc(dy.dtype), INPUT_PRECISION=_precision(dy.dtype, allow_tf32),
           num_warps=cfg.num_warps, num_stages=cfg.num_stages)


def conv_bwd_weight(x, dy, dw, db, stride, padding, dilation, groups: int, allow_tf32: bool = False,
                    config: ConvConfig | None = None, split: int | None = None):
    """dw (C_out, C/groups, KD, KH, KW) contiguous = the weight gradient of conv(x, .) for dy, and
    db (C_out,) contiguous = sum of dy over batch and space when given. ``split`` overrides the
    number of reduction slices (tests force the two-pass path with it)."""
    from ..tensor import Tensor
    N = x.shape[0]
    c_out, cg = dw.shape[:2]
    cog = c_out // groups
    kvol = dw.shape[2] * dw.shape[3] * dw.shape[4]
    M = N * dy.shape[2] * dy.shape[3] * dy.shape[4]
    cfg, s = weight_config(cog, cg, kvol, M, groups, x.dtype, x.device, allow_tf32)
    cfg = config or cfg
    s = max(1, min(split or WEIGHT_SPLIT or s, cdiv(max(M, 1), cfg.BLOCK_K)))
    per = cdiv(cdiv(max(M, 1), s), cfg.BLOCK_K) * cfg.BLOCK_K
    s = cdiv(max(M, 1), per)
    acc_dt = dt.float64 if x.dtype is dt.float64 else dt.float32
    w_out = dw if s == 1 else Tensor._empty((s,) + tuple(dw.shape), acc_dt, dw.device)
    b_out = db if s == 1 or db is None else Tensor._empty((s, c_out), acc_dt, dw.device)
    grid = (cdiv(cog, cfg.BLOCK_M) * cdiv(cg, cfg.BLOCK_C) * cdiv(kvol, cfg.BLOCK_R), groups, s)
    launch(_conv_bwd_weight_kernel, grid,
           x, tuple(x.stride()), dy, tuple(dy.stride()), w_out, b_out,
           *_geometry(x, dw, dy, stride, padding, dilation), M, per, c_out, cg, cog,
           HAS_DB=db is not None, USE_DOT=cfg.BLOCK_M > 1, GROUP_M=cfg.GROUP_M,
           BLOCK_M=cfg.BLOCK_M, BLOCK_C=cfg.BLOCK_C, BLOCK_R=cfg.BLOCK_R, BLOCK_K=cfg.BLOCK_K,
           ACC=_acc(x.dtype), INPUT_PRECISION=_precision(x.dtype, allow_tf32),
           num_warps=cfg.num_warps, num_stages=cfg.num_stages)
    if s > 1:
        split_sum(w_out, dw)
        if db is not None:
            split_sum(b_out, db)


def split_sum(part, out):
    """out (contiguous, numel E) = part (SPLIT, E...) contiguous summed over its first dim, in order."""
    numel = out.numel()
    block = max(16, min(next_power_of_2(max(numel, 1)), 1 << 16)) if is_interpreted(out.device) else 1024
    launch(_conv_split_sum_kernel, (cdiv(numel, block),), part, out, numel, part.shape[0],
           ACC=_acc(part.dtype), BLOCK=block, num_warps=4)
