"""Normalisation kernels: layer_norm / rms_norm over rows, and group / instance / batch norm over
sets of (N, C, L) planes, forward and backward, with the affine (weight, bias) fused.

Row norms (layer_norm, rms_norm) see an (M rows, N columns) problem: the normalised trailing dims
are the columns (one stride apart), row ``m`` starts at ``strided_offsets(m, m_sizes, m_strides)``.
One program owns BLOCK_M rows; a row that fits one BLOCK_N block (ONE_PASS) stays in registers,
a longer one is walked in BLOCK_N chunks, combining per-chunk (count, mean, M2) with Chan's
parallel formula -- numerically stable for large means, never sum(x^2) - sum(x)^2.

Set norms see the input as (N, C, L) (L = the spatial dims, coalesced to one stride) and
normalise "groups" k of J planes x L elements, element (j, l) of group k at
    (k // K1) * s_k0 + (k % K1) * s_k1 + j * s_j + l * s_l
    group_norm:    k = (n, g), K1 = G, J = C / G planes (channels g*Cg + j), s_j = stride of C
    instance_norm: group_norm with G = C (J = 1)
    batch_norm:    k = c,      K1 = C, J = N planes (the batch),             s_j = stride of N
so batch norm reads its channels across N and the spatial dims with strides, no copy. A group can
be split into SJ x SL slices (the GPU gives each channel of a batch norm several programs); every
kernel over x has grid (K, SJ, SL), program (k, sj, sl) owning planes [sj*j_per, +j_per) and
elements [sl*l_per, +l_per) of group k, in BLOCK_J x BLOCK_L tiles.
    forward:  _norm_stats_kernel   (count, mean, M2) of each slice (Chan within the slice)
              _norm_combine_kernel mean / rstd per group from the slices; batch/instance norm
                                   update running_mean / running_var in place (unbiased var)
              _norm_apply_kernel   y = (x - mean) * rstd * w[ch] + b[ch]
    backward: _norm_bwd_reduce_kernel  per (group, plane, l-slice) sums of dy * xhat and dy
              _norm_bwd_dx_kernel      dx, its group sums gathered (times w[ch]) from those
              _channel_sum_kernel      dweight / dbias: the partials summed per channel

On the interpreter (which pays per tl op per program, not per element) each program instead owns
BLOCK_K whole groups in BLOCK_K x BLOCK_J x BLOCK_L tiles (a small problem is one program):
    forward:  _norm_stats_many_kernel  group statistics, finished to mean / rstd (and the running
                                       stats) in place -- or slice partials for _norm_combine_kernel
                                       when instance norm averages running stats over the batch
              _norm_apply_many_kernel  y as _norm_apply_kernel
    backward: _norm_bwd_many_kernel    the per-plane partials and dx in one kernel (groups are whole)
              _channel_sum_kernel      as above
SET_SPLIT (tests) forces the sliced GPU kernels onto the interpreter.

Determinism: no atomics anywhere. Weight and bias gradients are written as per-program fp32
partials (row norms: one partial row per program; set norms: one partial per plane and l-slice)
and summed in a fixed order by _channel_sum_kernel. Statistics and every accumulation are in
fp32 (fp64 for fp64 inputs) and saved as such: mean and rstd are what backward needs.
"""
from __future__ import annotations

import triton.language as tl

from ..runtime import dtypes as dt
from .creation import float_bits
from .helpers import f64_param, row_offsets
from .launch import cdiv, is_interpreted, jit, launch, next_power_of_2, row_config

# Longest row a row-norm program holds in registers (GPU); longer rows loop over chunks.
MAX_BLOCK_N = 1 << 14
# Elements one program holds at once: interpreter programs are NumPy calls over the whole tile.
_INTERP_TILE = 1 << 16
_GPU_TILE = 4096
# Programs a GPU launch should have to fill the device (~4 per SM of an H100).
_GPU_PROGRAMS = 528
# Tests set these to force multi-program row ranges / multi-slice groups on the interpreter.
ROWS_PER_PROG = None           # row norms backward: rows per program
SET_SPLIT = None               # set norms: (j_per, l_per, BLOCK_J, BLOCK_L)


@jit
def _chan_merge(cnt, mean, m2, bc, bmean, bm2):
    """(count, mean, M2) merged with a block's (bc, bmean, bm2) by Chan's formula; an empty block
    (bc = 0) leaves them unchanged."""
    tot = cnt + bc
    delta = bmean - mean
    frac = tl.where(tot > 0, bc / tl.maximum(tot, 1.0), 0.0)
    return tot, mean + delta * frac, m2 + bm2 + delta * delta * cnt * frac


@jit
def _tile_moments(x, mask, nb, AXIS: tl.constexpr):
    """Mean and M2 along AXIS of the tile x (masked-out entries 0), nb valid entries per lane."""
    bmean = tl.sum(x, axis=AXIS) / tl.maximum(nb, 1.0)
    d = tl.where(mask, x - tl.expand_dims(bmean, AXIS), 0.0)
    return bmean, tl.sum(d * d, axis=AXIS)


@jit
def _chan_collapse(cnt, mean, m2, AXIS: tl.constexpr):
    """Lanes of (count, mean, M2) along AXIS merged into one (count, mean, M2) (pairwise-stable:
    deviations are taken from the merged mean)."""
    total = tl.sum(cnt, axis=AXIS)
    gmean = tl.sum(cnt * mean, axis=AXIS) / tl.maximum(total, 1.0)
    dm = mean - tl.expand_dims(gmean, AXIS)
    return total, gmean, tl.sum(m2 + cnt * dm * dm, axis=AXIS)


@jit
def _rsqrt(v, ACC: tl.constexpr):
    """1 / sqrt(v) with a correctly rounded square root (sqrt_rn is fp32 only; fp64's is exact)."""
    if ACC == tl.float64:
        r = 1.0 / tl.sqrt(v)
    else:
        r = 1.0 / tl.sqrt_rn(v)
    return r


@jit
def _layer_norm_fwd_kernel(
    x_ptr,        # (M, N) strided input
    y_ptr,        # (M, N) contiguous output
    w_ptr,        # (N,) contiguous weight, or None
    b_ptr,        # (N,) contiguous bias, or None
    mean_ptr,     # (M,) ACC row means (not written for RMS)
    rstd_ptr,     # (M,) ACC 1 / sqrt(var + eps) (RMS: 1 / sqrt(mean(x^2) + eps))
    M,            # rows
    N,            # normalised length (>= 1)
    m_sizes,      # tuple of KRANK row sizes
    x_m_strides,  # tuple of KRANK row strides of x (elements)
    x_stride_n,   # column stride of x
    eps_bits,     # float64 eps as int64 bits
    RMS: tl.constexpr, HAS_W: tl.constexpr, HAS_B: tl.constexpr,
    ACC: tl.constexpr, KRANK: tl.constexpr, ONE_PASS: tl.constexpr,
    BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr,
):
    """y = (x - mean) * rstd * w + b per row (RMS: x * rstd * w), saving mean and rstd.

    Grid: (cdiv(M, BLOCK_M),). One program normalises BLOCK_M rows: one tile when ONE_PASS (exact
    two-pass variance in registers), else a pass over BLOCK_N chunks merging chunk statistics
    (Chan) and a pass writing y."""
    rows = tl.program_id(0).to(tl.int64) * BLOCK_M + tl.arange(0, BLOCK_M)
    rmask = rows < M
    x_row = row_offsets(rows, m_sizes, x_m_strides, KRANK)[:, None]
    y_row = rows[:, None] * N
    cols = tl.arange(0, BLOCK_N).to(tl.int64)[None, :]
    eps = f64_param(eps_bits, ACC)
    if ONE_PASS:
        mask = rmask[:, None] & (cols < N)
        x = tl.load(x_ptr + x_row + cols * x_stride_n, mask=mask, other=0).to(ACC)
        if RMS:
            mean = tl.zeros([BLOCK_M], ACC)
            var = tl.sum(x * x, axis=1) / N
        else:
            mean = tl.sum(x, axis=1) / N
            d = tl.where(mask, x - mean[:, None], 0.0)
            var = tl.sum(d * d, axis=1) / N
    else:
        cnt = tl.zeros([BLOCK_M], ACC)
        mean = tl.zeros([BLOCK_M], ACC)
        m2 = tl.zeros([BLOCK_M], ACC)
        for n0 in range(0, N, BLOCK_N):
            c = n0 + cols
            mask = rmask[:, None] & (c < N)
            x = tl.load(x_ptr + x_row + c * x_stride_n, mask=mask, other=0).to(ACC)
            if RMS:
                m2 += tl.sum(x * x, axis=1)
            else:
                nb = tl.sum((c < N).to(ACC), axis=1)           # (1,) valid columns of this chunk
                bmean, bm2 = _tile_moments(x, mask, nb, 1)
                cnt, mean, m2 = _chan_merge(cnt, mean, m2, nb, bmean, bm2)
        var = m2 / N
    rstd = _rsqrt(var + eps, ACC)
    if not RMS:
        tl.store(mean_ptr + rows, mean, mask=rmask)
    tl.store(rstd_ptr + rows, rstd, mask=rmask)
    if ONE_PASS:
        y = _affine(x, mean[:, None], rstd[:, None], w_ptr, b_ptr, cols, cols < N, HAS_W, HAS_B, ACC)
        tl.store(y_ptr + y_row + cols, y.to(y_ptr.dtype.element_ty), mask=mask)
    else:
        for n0 in range(0, N, BLOCK_N):
            c = n0 + cols
            mask = rmask[:, None] & (c < N)
            x = tl.load(x_ptr + x_row + c * x_stride_n, mask=mask, other=0).to(ACC)
            y = _affine(x, mean[:, None], rstd[:, None], w_ptr, b_ptr, c, c < N, HAS_W, HAS_B, ACC)
            tl.store(y_ptr + y_row + c, y.to(y_ptr.dtype.element_ty), mask=mask)


@jit
def _affine(x, mean, rstd, w_ptr, b_ptr, ch, ch_mask, HAS_W: tl.constexpr, HAS_B: tl.constexpr, ACC: tl.constexpr):
    """(x - mean) * rstd * w[ch] + b[ch] (the affine parts that exist)."""
    y = (x - mean) * rstd
    if HAS_W:
        y = y * tl.load(w_ptr + ch, mask=ch_mask, other=0).to(ACC)
    if HAS_B:
        y = y + tl.load(b_ptr + ch, mask=ch_mask, other=0).to(ACC)
    return y


@jit
def _layer_norm_bwd_kernel(
    x_ptr,        # (M, N) strided input
    dy_ptr,       # (M, N) strided output gradient
    dx_ptr,       # (M, N) contiguous input gradient (written when HAS_DX)
    w_ptr,        # (N,) contiguous weight, or None
    mean_ptr,     # (M,) ACC saved means (unused for RMS)
    rstd_ptr,     # (M,) ACC saved rstd
    part_ptr,     # (2, R, N) ACC: [0] partial column sums of dy * xhat, [1] of dy (HAS_DW / HAS_DB)
    M, N,         # sizes
    R,            # programs (partial rows)
    rows_per_prog,  # rows per program (a multiple of BLOCK_M)
    m_sizes,      # tuple of KRANK row sizes
    x_m_strides,  # tuple of KRANK row strides of x
    dy_m_strides,  # tuple of KRANK row strides of dy
    x_stride_n, dy_stride_n,  # column strides
    RMS: tl.constexpr, HAS_W: tl.constexpr, HAS_DX: tl.constexpr, HAS_DW: tl.constexpr,
    HAS_DB: tl.constexpr, ACC: tl.constexpr, KRANK: tl.constexpr, ONE_PASS: tl.constexpr,
    BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr,
):
    """dx = rstd * (w*dy - mean(w*dy) - xhat * mean(w*dy*xhat)) per row (RMS: no mean(w*dy) term),
    and the column sums of dy * xhat and dy over this program's rows (dweight / dbias partials).

    Grid: (R,). Program r walks rows [r*rows_per_prog, +rows_per_prog) in BLOCK_M tiles. ONE_PASS:
    each tile is one load of x and dy, the partials stay in registers and are stored once. Else
    per tile a pass over BLOCK_N chunks sums the two row terms and a second writes dx and adds to
    the program's own partial row (read-modify-write, no other program touches it)."""
    pid = tl.program_id(0).to(tl.int64)
    row0 = pid * rows_per_prog
    row_end = tl.minimum(row0 + rows_per_prog, M)
    cols = tl.arange(0, BLOCK_N).to(tl.int64)[None, :]
    if HAS_DW:
        p_dw = part_ptr + pid * N
    if HAS_DB:
        p_db = part_ptr + (R + pid) * N
    if ONE_PASS:
        cm = cols < N
        if HAS_W:
            w = tl.load(w_ptr + cols, mask=cm, other=0).to(ACC)
        dw_acc = tl.zeros([BLOCK_N], ACC)
        db_acc = tl.zeros([BLOCK_N], ACC)
        for m0 in range(row0, row_end, BLOCK_M):
            rows = m0 + tl.arange(0, BLOCK_M)
            rmask = rows < row_end
            mask = rmask[:, None] & cm
            x = tl.load(x_ptr + row_offsets(rows, m_sizes, x_m_strides, KRANK)[:, None] + cols * x_stride_n,
                        mask=mask, other=0).to(ACC)
            g = tl.load(dy_ptr + row_offsets(rows, m_sizes, dy_m_strides, KRANK)[:, None] + cols * dy_stride_n,
                        mask=mask, other=0).to(ACC)
            rstd = tl.load(rstd_ptr + rows, mask=rmask, other=0)[:, None].to(ACC)
            if RMS:
                xhat = x * rstd
            else:
                xhat = tl.where(mask, (x - tl.load(mean_ptr + rows, mask=rmask, other=0)[:, None].to(ACC)) * rstd,
                                0.0)
            if HAS_DX:
                if HAS_W:
                    wg = g * w
                else:
                    wg = g
                t = xhat * (tl.sum(wg * xhat, axis=1) / N)[:, None]
                if not RMS:
                    t += (tl.sum(wg, axis=1) / N)[:, None]
                tl.store(dx_ptr + rows[:, None] * N + cols, ((wg - t) * rstd).to(dx_ptr.dtype.element_ty), mask=mask)
            if HAS_DW:
                dw_acc += tl.sum(g * xhat, axis=0)
            if HAS_DB:
                db_acc += tl.sum(g, axis=0)
        if HAS_DW:
            tl.store(p_dw + cols, dw_acc[None, :].to(part_ptr.dtype.element_ty), mask=cm)
        if HAS_DB:
            tl.store(p_db + cols, db_acc[None, :].to(part_ptr.dtype.element_ty), mask=cm)
    else:
        for m0 in range(row0, row_end, BLOCK_M):
            rows = m0 + tl.arange(0, BLOCK_M)
            rmask = rows < row_end
            x_row = row_offsets(rows, m_sizes, x_m_strides, KRANK)[:, None]
            g_row = row_offsets(rows, m_sizes, dy_m_strides, KRANK)[:, None]
            rstd = tl.load(rstd_ptr + rows, mask=rmask, other=0)[:, None].to(ACC)
            if RMS:
                mean = tl.zeros([BLOCK_M, 1], ACC)
            else:
                mean = tl.load(mean_ptr + rows, mask=rmask, other=0)[:, None].to(ACC)
            a = tl.zeros([BLOCK_M], ACC)
            b = tl.zeros([BLOCK_M], ACC)
            if HAS_DX:
                for n0 in range(0, N, BLOCK_N):
                    c = n0 + cols
                    mask = rmask[:, None] & (c < N)
                    x = tl.load(x_ptr + x_row + c * x_stride_n, mask=mask, other=0).to(ACC)
                    g = tl.load(dy_ptr + g_row + c * dy_stride_n, mask=mask, other=0).to(ACC)
                    if HAS_W:
                        g = g * tl.load(w_ptr + c, mask=c < N, other=0).to(ACC)
                    a += tl.sum(g, axis=1)
                    b += tl.sum(tl.where(mask, g * (x - mean) * rstd, 0.0), axis=1)
            a = (a / N)[:, None]
            b = (b / N)[:, None]
            for n0 in range(0, N, BLOCK_N):
                c = n0 + cols
                mask = rmask[:, None] & (c < N)
                x = tl.load(x_ptr + x_row + c * x_stride_n, mask=mask, other=0).to(ACC)
                g = tl.load(dy_ptr + g_row + c * dy_stride_n, mask=mask, other=0).to(ACC)
                xhat = tl.where(mask, (x - mean) * rstd, 0.0)
                if HAS_DX:
                    if HAS_W:
                        wg = g * tl.load(w_ptr + c, mask=c < N, other=0).to(ACC)
                    else:
                        wg = g
                    t = xhat * b
                    if not RMS:
                        t += a
                    tl.store(dx_ptr + rows[:, None] * N + c, ((wg - t) * rstd).to(dx_ptr.dtype.element_ty), mask=mask)
                if HAS_DW:
                    prev = tl.load(p_dw + c, mask=c < N, other=0)
                    tl.store(p_dw + c, prev + tl.sum(g * xhat, axis=0)[None, :], mask=c < N)
                if HAS_DB:
                    prev = tl.load(p_db + c, mask=c < N, other=0)
                    tl.store(p_db + c, prev + tl.sum(g, axis=0)[None, :], mask=c < N)


@jit
def _set_offsets(k, j, l, K1, s_k0, s_k1, s_j, s_l):
    """(BLOCK_J, BLOCK_L) offsets of planes j, elements l of group k."""
    return (k // K1) * s_k0 + (k % K1) * s_k1 + j[:, None] * s_j + l[None, :] * s_l


@jit
def _norm_stats_kernel(
    x_ptr,        # (N, C, L) strided input, read as groups of (J, L) (see the module docstring)
    part_ptr,     # (3, K, S) ACC contiguous: count, mean, M2 of each slice, S = SJ * SL
    K, J, L, K1,  # groups, planes per group, elements per plane, groups per k0
    s_k0, s_k1, s_j, s_l,  # x strides for k // K1, k % K1, the plane, the element
    j_per, l_per,  # slice sizes (multiples of BLOCK_J / BLOCK_L)
    ACC: tl.constexpr, BLOCK_J: tl.constexpr, BLOCK_L: tl.constexpr,
):
    """(count, mean, M2) of slice (sj, sl) of group k.

    Grid: (K, SJ, SL). One program walks its J x L slice in BLOCK_J x BLOCK_L tiles; lane i keeps
    Chan-merged statistics of tile rows i, and the BLOCK_J lanes are merged at the end."""
    k = tl.program_id(0).to(tl.int64)
    sj = tl.program_id(1)
    sl = tl.program_id(2)
    S = tl.num_programs(1) * tl.num_programs(2)
    j_lo = sj.to(tl.int64) * j_per
    j_hi = tl.minimum(j_lo + j_per, J)
    l_lo = sl.to(tl.int64) * l_per
    l_hi = tl.minimum(l_lo + l_per, L)
    cnt = tl.zeros([BLOCK_J], ACC)
    mean = tl.zeros([BLOCK_J], ACC)
    m2 = tl.zeros([BLOCK_J], ACC)
    for j0 in range(j_lo, j_hi, BLOCK_J):
        j = j0 + tl.arange(0, BLOCK_J)
        for l0 in range(l_lo, l_hi, BLOCK_L):
            l = l0 + tl.arange(0, BLOCK_L)
            mask = (j < j_hi)[:, None] & (l < l_hi)[None, :]
            x = tl.load(x_ptr + _set_offsets(k, j, l, K1, s_k0, s_k1, s_j, s_l), mask=mask, other=0).to(ACC)
            nb = tl.sum(mask.to(ACC), axis=1)
            bmean, bm2 = _tile_moments(x, mask, nb, 1)
            cnt, mean, m2 = _chan_merge(cnt, mean, m2, nb, bmean, bm2)
    total, gmean, gm2 = _chan_collapse(cnt, mean, m2, 0)
    p = part_ptr + k * S + sj * tl.num_programs(2) + sl
    tl.store(p, total)
    tl.store(p + K * S, gmean)
    tl.store(p + 2 * K * S, gm2)


@jit
def _norm_combine_kernel(
    part_ptr,     # (3, K, S) ACC slice statistics (TRAINING), K = NAVG * C
    mean_ptr,     # (K,) ACC group means, written (eval: (C,), the running mean)
    rstd_ptr,     # (K,) ACC group rstd, written
    rm_ptr,       # (C,) running mean (any float dtype), or None
    rv_ptr,       # (C,) running var, or None
    stride_rm, stride_rv,
    C, NAVG, S,   # groups per batch entry, batch entries averaged for the running stats, slices
    eps_bits, momentum_bits,  # float64 scalars as int64 bits
    TRAINING: tl.constexpr, UPDATE: tl.constexpr, ACC: tl.constexpr,
    BLOCK_C: tl.constexpr, BLOCK_S: tl.constexpr,
):
    """TRAINING: mean / rstd of groups k = n*C + c from their S slices (Chan), and with UPDATE
    running = (1 - momentum) * running + momentum * (the batch mean / UNBIASED var, averaged over
    n < NAVG), in place. Eval: mean = running_mean, rstd = 1 / sqrt(running_var + eps).

    Grid: (cdiv(C, BLOCK_C),). One program owns BLOCK_C channels c, for every n."""
    c = tl.program_id(0).to(tl.int64) * BLOCK_C + tl.arange(0, BLOCK_C)
    cmask = c < C
    eps = f64_param(eps_bits, ACC)
    if TRAINING:
        sum_mean = tl.zeros([BLOCK_C], ACC)
        sum_var = tl.zeros([BLOCK_C], ACC)
        KS = NAVG * C * S
        for n in range(0, NAVG):
            k = n * C + c
            cnt = tl.zeros([BLOCK_C], ACC)
            mean = tl.zeros([BLOCK_C], ACC)
            m2 = tl.zeros([BLOCK_C], ACC)
            for s0 in range(0, S, BLOCK_S):
                s = s0 + tl.arange(0, BLOCK_S)
                m = cmask[:, None] & (s < S)[None, :]
                off = k[:, None] * S + s[None, :]
                pc = tl.load(part_ptr + off, mask=m, other=0)
                pm = tl.load(part_ptr + KS + off, mask=m, other=0)
                pq = tl.load(part_ptr + 2 * KS + off, mask=m, other=0)
                bc, bmean, bm2 = _chan_collapse(pc, pm, pq, 1)
                cnt, mean, m2 = _chan_merge(cnt, mean, m2, bc, bmean, bm2)
            tl.store(mean_ptr + k, mean, mask=cmask)
            tl.store(rstd_ptr + k, _rsqrt(m2 / cnt + eps, ACC), mask=cmask)
            if UPDATE:
                sum_mean += mean
                sum_var += m2 / (cnt - 1)
        if UPDATE:
            mom = f64_param(momentum_bits, ACC)
            pm = rm_ptr + c * stride_rm
            rm = tl.load(pm, mask=cmask, other=0).to(ACC)
            tl.store(pm, ((1 - mom) * rm + mom * (sum_mean / NAVG)).to(rm_ptr.dtype.element_ty), mask=cmask)
            pv = rv_ptr + c * stride_rv
            rv = tl.load(pv, mask=cmask, other=0).to(ACC)
            tl.store(pv, ((1 - mom) * rv + mom * (sum_var / NAVG)).to(rv_ptr.dtype.element_ty), mask=cmask)
    else:
        rm = tl.load(rm_ptr + c * stride_rm, mask=cmask, other=0).to(ACC)
        rv = tl.load(rv_ptr + c * stride_rv, mask=cmask, other=1).to(ACC)
        tl.store(mean_ptr + c, rm, mask=cmask)
        tl.store(rstd_ptr + c, _rsqrt(rv + eps, ACC), mask=cmask)


@jit
def _channel_of(k, j, K1, CPG, CH_ALONG_J: tl.constexpr):
    """The affine channel of plane(s) j of group k: (k % K1) * CPG (+ j for group/instance norm)."""
    ch = (k % K1) * CPG + tl.zeros_like(j)
    if CH_ALONG_J:
        ch += j
    return ch


@jit
def _norm_apply_kernel(
    x_ptr,        # (N, C, L) strided input
    y_ptr,        # (N, C, L) output (contiguous)
    w_ptr,        # (C,) contiguous weight, or None
    b_ptr,        # (C,) contiguous bias, or None
    mean_ptr,     # (K,) ACC group means
    rstd_ptr,     # (K,) ACC group rstd
    J, L, K1, CPG,  # planes per group, elements per plane, groups per k0, channels per group
    s_k0, s_k1, s_j, s_l,      # x strides (see _norm_stats_kernel)
    ys_k0, ys_k1, ys_j, ys_l,  # y strides
    j_per, l_per,
    HAS_W: tl.constexpr, HAS_B: tl.constexpr, CH_ALONG_J: tl.constexpr, ACC: tl.constexpr,
    BLOCK_J: tl.constexpr, BLOCK_L: tl.constexpr,
):
    """y = (x - mean[k]) * rstd[k] * w[ch] + b[ch] over slice (sj, sl) of group k.

    Grid: (K, SJ, SL); one program writes its slice in BLOCK_J x BLOCK_L tiles."""
    k = tl.program_id(0).to(tl.int64)
    j_lo = tl.program_id(1).to(tl.int64) * j_per
    j_hi = tl.minimum(j_lo + j_per, J)
    l_lo = tl.program_id(2).to(tl.int64) * l_per
    l_hi = tl.minimum(l_lo + l_per, L)
    mean = tl.load(mean_ptr + k).to(ACC)
    rstd = tl.load(rstd_ptr + k).to(ACC)
    for j0 in range(j_lo, j_hi, BLOCK_J):
        j = j0 + tl.arange(0, BLOCK_J)
        ch = _channel_of(k, j, K1, CPG, CH_ALONG_J)[:, None]
        for l0 in range(l_lo, l_hi, BLOCK_L):
            l = l0 + tl.arange(0, BLOCK_L)
            mask = (j < j_hi)[:, None] & (l < l_hi)[None, :]
            x = tl.load(x_ptr + _set_offsets(k, j, l, K1, s_k0, s_k1, s_j, s_l), mask=mask, other=0).to(ACC)
            y = _affine(x, mean, rstd, w_ptr, b_ptr, ch, (j < j_hi)[:, None], HAS_W, HAS_B, ACC)
            tl.store(y_ptr + _set_offsets(k, j, l, K1, ys_k0, ys_k1, ys_j, ys_l), y.to(y_ptr.dtype.element_ty),
                     mask=mask)


@jit
def _norm_bwd_reduce_kernel(
    x_ptr,        # (N, C, L) strided input
    dy_ptr,       # (N, C, L) strided output gradient
    mean_ptr,     # (K,) ACC group means
    rstd_ptr,     # (K,) ACC group rstd
    part_ptr,     # (2, K, J, SL) ACC contiguous: [0] sums of dy * xhat, [1] sums of dy, per plane and l-slice
    K, J, L, K1,
    s_k0, s_k1, s_j, s_l,      # x strides
    gs_k0, gs_k1, gs_j, gs_l,  # dy strides
    j_per, l_per,
    ACC: tl.constexpr, BLOCK_J: tl.constexpr, BLOCK_L: tl.constexpr,
):
    """Per plane j of group k: the sums of dy * xhat and of dy over the program's l-slice.

    Grid: (K, SJ, SL); one program walks its slice in BLOCK_J x BLOCK_L tiles and writes its
    planes' two partials once."""
    k = tl.program_id(0).to(tl.int64)
    sl = tl.program_id(2)
    SL = tl.num_programs(2)
    j_lo = tl.program_id(1).to(tl.int64) * j_per
    j_hi = tl.minimum(j_lo + j_per, J)
    l_lo = sl.to(tl.int64) * l_per
    l_hi = tl.minimum(l_lo + l_per, L)
    mean = tl.load(mean_ptr + k).to(ACC)
    rstd = tl.load(rstd_ptr + k).to(ACC)
    for j0 in range(j_lo, j_hi, BLOCK_J):
        j = j0 + tl.arange(0, BLOCK_J)
        sgx = tl.zeros([BLOCK_J], ACC)
        sg = tl.zeros([BLOCK_J], ACC)
        for l0 in range(l_lo, l_hi, BLOCK_L):
            l = l0 + tl.arange(0, BLOCK_L)
            mask = (j < j_hi)[:, None] & (l < l_hi)[None, :]
            x = tl.load(x_ptr + _set_offsets(k, j, l, K1, s_k0, s_k1, s_j, s_l), mask=mask, other=0).to(ACC)
            g = tl.load(dy_ptr + _set_offsets(k, j, l, K1, gs_k0, gs_k1, gs_j, gs_l), mask=mask, other=0).to(ACC)
            sgx += tl.sum(g * (x - mean) * rstd, axis=1)
            sg += tl.sum(g, axis=1)
        p = part_ptr + (k * J + j) * SL + sl
        tl.store(p, sgx, mask=j < j_hi)
        tl.store(p + K * J * SL, sg, mask=j < j_hi)


@jit
def _norm_bwd_dx_kernel(
    x_ptr,        # (N, C, L) strided input
    dy_ptr,       # (N, C, L) strided output gradient
    dx_ptr,       # (N, C, L) input gradient (contiguous)
    w_ptr,        # (C,) contiguous weight, or None
    mean_ptr,     # (K,) ACC group means
    rstd_ptr,     # (K,) ACC group rstd
    part_ptr,     # (2, K, J, SL) ACC partials from _norm_bwd_reduce_kernel (TRAINING)
    K, J, L, K1, CPG, SL,
    s_k0, s_k1, s_j, s_l,      # x strides
    gs_k0, gs_k1, gs_j, gs_l,  # dy strides
    ds_k0, ds_k1, ds_j, ds_l,  # dx strides
    j_per, l_per,
    TRAINING: tl.constexpr, HAS_W: tl.constexpr, CH_ALONG_J: tl.constexpr, ACC: tl.constexpr,
    BLOCK_J: tl.constexpr, BLOCK_L: tl.constexpr, BLOCK_P: tl.constexpr,
):
    """TRAINING: dx = rstd * (w*dy - (a + xhat * b) / (J*L)) with a = sum of w*dy and b = sum of
    w*dy*xhat over group k (gathered from its J x SL partials). Eval: dx = w * dy * rstd.

    Grid: (K, SJ, SL); one program reads its group's partials, then writes its slice."""
    k = tl.program_id(0).to(tl.int64)
    j_lo = tl.program_id(1).to(tl.int64) * j_per
    j_hi = tl.minimum(j_lo + j_per, J)
    l_lo = tl.program_id(2).to(tl.int64) * l_per
    l_hi = tl.minimum(l_lo + l_per, L)
    mean = tl.load(mean_ptr + k).to(ACC)
    rstd = tl.load(rstd_ptr + k).to(ACC)
    if TRAINING:
        a_acc = tl.zeros([BLOCK_P], ACC)
        b_acc = tl.zeros([BLOCK_P], ACC)
        P = J * SL
        for p0 in range(0, P, BLOCK_P):
            p = p0 + tl.arange(0, BLOCK_P).to(tl.int64)
            pm = p < P
            sgx = tl.load(part_ptr + k * P + p, mask=pm, other=0)
            sg = tl.load(part_ptr + K * P + k * P + p, mask=pm, other=0)
            if HAS_W:
                w = tl.load(w_ptr + _channel_of(k, p // SL, K1, CPG, CH_ALONG_J), mask=pm, other=0).to(ACC)
                sgx *= w
                sg *= w
            a_acc += sg
            b_acc += sgx
        n = tl.full([], 1, ACC) * J * L
        a = tl.sum(a_acc, axis=0) / n
        b = tl.sum(b_acc, axis=0) / n
    for j0 in range(j_lo, j_hi, BLOCK_J):
        j = j0 + tl.arange(0, BLOCK_J)
        jm = (j < j_hi)[:, None]
        if HAS_W:
            w = tl.load(w_ptr + _channel_of(k, j, K1, CPG, CH_ALONG_J)[:, None], mask=jm, other=0).to(ACC)
        for l0 in range(l_lo, l_hi, BLOCK_L):
            l = l0 + tl.arange(0, BLOCK_L)
            mask = jm & (l < l_hi)[None, :]
            g = tl.load(dy_ptr + _set_offsets(k, j, l, K1, gs_k0, gs_k1, gs_j, gs_l), mask=mask, other=0).to(ACC)
            if HAS_W:
                g = g * w
            if TRAINING:
                x = tl.load(x_ptr + _set_offsets(k, j, l, K1, s_k0, s_k1, s_j, s_l), mask=mask, other=0).to(ACC)
                dx = (g - a - (x - mean) * rstd * b) * rstd
            else:
                dx = g * rstd
            tl.store(dx_ptr + _set_offsets(k, j, l, K1, ds_k0, ds_k1, ds_j, ds_l), dx.to(dx_ptr.dtype.element_ty),
                     mask=mask)


@jit
def _channel_sum_kernel(
    part_ptr,     # (2, A, C, B) ACC contiguous partials: [0] of dweight, [1] of dbias
    dw_ptr,       # (C,) weight gradient (contiguous), or None
    db_ptr,       # (C,) bias gradient (contiguous), or None
    A, C, B,
    HAS_DW: tl.constexpr, HAS_DB: tl.constexpr, ACC: tl.constexpr,
    BLOCK_C: tl.constexpr, BLOCK_B: tl.constexpr,
):
    """dw[c] = sum over a, b of part[0, a, c, b]; db[c] likewise from part[1]: the second,
    fixed-order pass of the deterministic weight / bias gradients.

    Grid: (cdiv(C, BLOCK_C),); one program sums BLOCK_C channels, a by a, in BLOCK_B chunks."""
    c = tl.program_id(0).to(tl.int64) * BLOCK_C + tl.arange(0, BLOCK_C)
    cm = (c < C)[:, None]
    acc_w = tl.zeros([BLOCK_C, BLOCK_B], ACC)
    acc_b = tl.zeros([BLOCK_C, BLOCK_B], ACC)
    slot = A * C * B
    for a in range(0, A):
        for b0 in range(0, B, BLOCK_B):
            b = b0 + tl.arange(0, BLOCK_B)
            m = cm & (b < B)[None, :]
            off = (a * C + c[:, None]) * B + b[None, :]
            if HAS_DW:
                acc_w += tl.load(part_ptr + off, mask=m, other=0)
            if HAS_DB:
                acc_b += tl.load(part_ptr + slot + off, mask=m, other=0)
    if HAS_DW:
        tl.store(dw_ptr + c, tl.sum(acc_w, axis=1).to(dw_ptr.dtype.element_ty), mask=c < C)
    if HAS_DB:
        tl.store(db_ptr + c, tl.sum(acc_b, axis=1).to(db_ptr.dtype.element_ty), mask=c < C)


# ------------------------------------------------- set norms on the interpreter: many groups per program
# The interpreter pays Python overhead per tl op per program, whatever the tile holds, so there each
# program owns BLOCK_K whole groups (no slices) and walks them in BLOCK_K x BLOCK_J x BLOCK_L tiles:
# a small problem is one program. Index math is int64 (the interpreter checks int32 arithmetic for
# overflow, which makes it slower). The GPU keeps the one-group-per-program kernels above.
@jit
def _group_tile_offsets(k, j, l, K1, s_k0, s_k1, s_j, s_l):
    """(BLOCK_K, BLOCK_J, BLOCK_L) offsets of planes j, elements l of groups k (all int64)."""
    base = (k // K1) * s_k0 + (k % K1) * s_k1
    return base[:, None, None] + (j * s_j)[None, :, None] + (l * s_l)[None, None, :]


@jit
def _norm_stats_many_kernel(
    x_ptr,        # (N, C, L) strided input, read as groups of (J, L) (see the module docstring)
    part_ptr,     # (3, K, 1) ACC contiguous: count, mean, M2 of each group (not FINISH)
    mean_ptr,     # (K,) ACC group means, written (FINISH)
    rstd_ptr,     # (K,) ACC group rstd, written (FINISH)
    rm_ptr,       # (K,) running mean (any float dtype), or None (UPDATE: channel = group)
    rv_ptr,       # (K,) running var, or None
    stride_rm, stride_rv,
    K, J, L, K1,  # groups, planes per group, elements per plane, groups per k0
    s_k0, s_k1, s_j, s_l,  # x strides
    eps_bits, momentum_bits,  # float64 scalars as int64 bits (FINISH)
    FINISH: tl.constexpr, UPDATE: tl.constexpr, ACC: tl.constexpr,
    BLOCK_K: tl.constexpr, BLOCK_J: tl.constexpr, BLOCK_L: tl.constexpr,
):
    """(count, mean, M2) of groups [pid*BLOCK_K, +BLOCK_K), as _norm_stats_kernel's single slice.
    FINISH: _norm_combine_kernel's work done here instead (its groups are whole): mean and rstd,
    and with UPDATE running = (1 - momentum) * running + momentum * (mean / UNBIASED var), in place.

    Grid: (cdiv(K, BLOCK_K),). One program walks its groups' J x L planes in tiles; lane (k, j)
    keeps Chan-merged statistics of its tile rows, the BLOCK_J lanes of a group merged at the end."""
    k = tl.program_id(0).to(tl.int64) * BLOCK_K + tl.arange(0, BLOCK_K).to(tl.int64)
    km = (k < K)[:, None]
    cnt = tl.zeros([BLOCK_K, BLOCK_J], ACC)
    mean = tl.zeros([BLOCK_K, BLOCK_J], ACC)
    m2 = tl.zeros([BLOCK_K, BLOCK_J], ACC)
    for j0 in range(0, J, BLOCK_J):
        j = j0 + tl.arange(0, BLOCK_J).to(tl.int64)
        kjm = km & (j < J)[None, :]
        for l0 in range(0, L, BLOCK_L):
            l = l0 + tl.arange(0, BLOCK_L).to(tl.int64)
            lm = l < L
            mask = kjm[:, :, None] & lm[None, None, :]
            x = tl.load(x_ptr + _group_tile_offsets(k, j, l, K1, s_k0, s_k1, s_j, s_l), mask=mask,
                        other=0).to(ACC)
            nb = tl.where(kjm, tl.sum(lm.to(ACC), axis=0), 0.0)
            bmean, bm2 = _tile_moments(x, mask, nb, 2)
            cnt, mean, m2 = _chan_merge(cnt, mean, m2, nb, bmean, bm2)
    total, gmean, gm2 = _chan_collapse(cnt, mean, m2, 1)
    if FINISH:
        eps = f64_param(eps_bits, ACC)
        tl.store(mean_ptr + k, gmean, mask=k < K)
        tl.store(rstd_ptr + k, _rsqrt(gm2 / total + eps, ACC), mask=k < K)
        if UPDATE:
            mom = f64_param(momentum_bits, ACC)
            pm = rm_ptr + k * stride_rm
            rm = tl.load(pm, mask=k < K, other=0).to(ACC)
            tl.store(pm, ((1 - mom) * rm + mom * gmean).to(rm_ptr.dtype.element_ty), mask=k < K)
            pv = rv_ptr + k * stride_rv
            rv = tl.load(pv, mask=k < K, other=0).to(ACC)
            tl.store(pv, ((1 - mom) * rv + mom * (gm2 / (total - 1))).to(rv_ptr.dtype.element_ty), mask=k < K)
    else:
        tl.store(part_ptr + k, total, mask=k < K)
        tl.store(part_ptr + K + k, gmean, mask=k < K)
        tl.store(part_ptr + 2 * K + k, gm2, mask=k < K)


@jit
def _norm_apply_many_kernel(
    x_ptr,        # (N, C, L) strided input
    y_ptr,        # (N, C, L) output (contiguous)
    w_ptr,        # (C,) contiguous weight, or None
    b_ptr,        # (C,) contiguous bias, or None
    mean_ptr,     # (K,) ACC group means
    rstd_ptr,     # (K,) ACC group rstd
    K, J, L, K1, CPG,
    s_k0, s_k1, s_j, s_l,      # x strides
    ys_k0, ys_k1, ys_j, ys_l,  # y strides
    HAS_W: tl.constexpr, HAS_B: tl.constexpr, CH_ALONG_J: tl.constexpr, Y_LIKE_X: tl.constexpr,
    ACC: tl.constexpr, BLOCK_K: tl.constexpr, BLOCK_J: tl.constexpr, BLOCK_L: tl.constexpr,
):
    """y = (x - mean[k]) * rstd[k] * w[ch] + b[ch] over groups [pid*BLOCK_K, +BLOCK_K).
    Y_LIKE_X: y's strides are x's (one offset computation serves both).

    Grid: (cdiv(K, BLOCK_K),); one program writes its groups in BLOCK_K x BLOCK_J x BLOCK_L tiles."""
    k = tl.program_id(0).to(tl.int64) * BLOCK_K + tl.arange(0, BLOCK_K).to(tl.int64)
    km = (k < K)[:, None]
    mean = tl.load(mean_ptr + k, mask=k < K, other=0).to(ACC)[:, None, None]
    rstd = tl.load(rstd_ptr + k, mask=k < K, other=0).to(ACC)[:, None, None]
    for j0 in range(0, J, BLOCK_J):
        j = j0 + tl.arange(0, BLOCK_J).to(tl.int64)
        kjm = km & (j < J)[None, :]
        ch = _channel_of(k[:, None], j[None, :], K1, CPG, CH_ALONG_J)[:, :, None]
        for l0 in range(0, L, BLOCK_L):
            l = l0 + tl.arange(0, BLOCK_L).to(tl.int64)
            mask = kjm[:, :, None] & (l < L)[None, None, :]
            off = _group_tile_offsets(k, j, l, K1, s_k0, s_k1, s_j, s_l)
            x = tl.load(x_ptr + off, mask=mask, other=0).to(ACC)
            y = _affine(x, mean, rstd, w_ptr, b_ptr, ch, kjm[:, :, None], HAS_W, HAS_B, ACC)
            if not Y_LIKE_X:
                off = _group_tile_offsets(k, j, l, K1, ys_k0, ys_k1, ys_j, ys_l)
            tl.store(y_ptr + off, y.to(y_ptr.dtype.element_ty), mask=mask)


@jit
def _norm_bwd_many_kernel(
    x_ptr,        # (N, C, L) strided input
    dy_ptr,       # (N, C, L) strided output gradient
    dx_ptr,       # (N, C, L) input gradient (contiguous), or None
    w_ptr,        # (C,) contiguous weight, or None
    mean_ptr,     # (K,) ACC group means
    rstd_ptr,     # (K,) ACC group rstd
    part_ptr,     # (2, K, J, 1) ACC contiguous: [0] sums of dy * xhat, [1] sums of dy per plane (HAS_PART)
    K, J, L, K1, CPG,
    s_k0, s_k1, s_j, s_l,      # x strides
    gs_k0, gs_k1, gs_j, gs_l,  # dy strides
    ds_k0, ds_k1, ds_j, ds_l,  # dx strides
    TRAINING: tl.constexpr, HAS_DX: tl.constexpr, HAS_PART: tl.constexpr, HAS_W: tl.constexpr,
    CH_ALONG_J: tl.constexpr, G_LIKE_X: tl.constexpr, D_LIKE_X: tl.constexpr, ACC: tl.constexpr,
    BLOCK_K: tl.constexpr, BLOCK_J: tl.constexpr, BLOCK_L: tl.constexpr,
):
    """_norm_bwd_reduce_kernel and _norm_bwd_dx_kernel fused for whole groups: per plane j of
    group k the sums of dy * xhat and dy (stored when HAS_PART, for dweight / dbias), their
    w-weighted group sums a and b, then (HAS_DX) dx = rstd * (w*dy - (a + xhat * b) / (J*L))
    (eval: dx = w * dy * rstd).

    G_LIKE_X / D_LIKE_X: dy's / dx's strides are x's (x's offsets serve them).

    Grid: (cdiv(K, BLOCK_K),). One program owns groups [pid*BLOCK_K, +BLOCK_K): a pass over its
    tiles for the sums (when TRAINING or HAS_PART), a second writing dx."""
    k = tl.program_id(0).to(tl.int64) * BLOCK_K + tl.arange(0, BLOCK_K).to(tl.int64)
    km = (k < K)[:, None]
    mean = tl.load(mean_ptr + k, mask=k < K, other=0).to(ACC)[:, None, None]
    rstd = tl.load(rstd_ptr + k, mask=k < K, other=0).to(ACC)[:, None, None]
    a = tl.zeros([BLOCK_K], ACC)
    b = tl.zeros([BLOCK_K], ACC)
    if HAS_PART or (HAS_DX and TRAINING):
        for j0 in range(0, J, BLOCK_J):
            j = j0 + tl.arange(0, BLOCK_J).to(tl.int64)
            kjm = km & (j < J)[None, :]
            sgx = tl.zeros([BLOCK_K, BLOCK_J], ACC)
            sg = tl.zeros([BLOCK_K, BLOCK_J], ACC)
            for l0 in range(0, L, BLOCK_L):
                l = l0 + tl.arange(0, BLOCK_L).to(tl.int64)
                mask = kjm[:, :, None] & (l < L)[None, None, :]
                off = _group_tile_offsets(k, j, l, K1, s_k0, s_k1, s_j, s_l)
                x = tl.load(x_ptr + off, mask=mask, other=0).to(ACC)
                if not G_LIKE_X:
                    off = _group_tile_offsets(k, j, l, K1, gs_k0, gs_k1, gs_j, gs_l)
                g = tl.load(dy_ptr + off, mask=mask, other=0).to(ACC)
                sgx += tl.sum(g * (x - mean) * rstd, axis=2)
                sg += tl.sum(g, axis=2)
            if HAS_PART:
                p = part_ptr + k[:, None] * J + j[None, :]
                tl.store(p, sgx, mask=kjm)
                tl.store(p + K * J, sg, mask=kjm)
            if HAS_W:
                w = tl.load(w_ptr + _channel_of(k[:, None], j[None, :], K1, CPG, CH_ALONG_J), mask=kjm,
                            other=0).to(ACC)
                sgx *= w
                sg *= w
            a += tl.sum(sg, axis=1)
            b += tl.sum(sgx, axis=1)
    if HAS_DX:
        n = tl.full([], 1, ACC) * J * L
        a3 = (a / n)[:, None, None]
        b3 = (b / n)[:, None, None]
        for j0 in range(0, J, BLOCK_J):
            j = j0 + tl.arange(0, BLOCK_J).to(tl.int64)
            kjm = km & (j < J)[None, :]
            if HAS_W:
                w3 = tl.load(w_ptr + _channel_of(k[:, None], j[None, :], K1, CPG, CH_ALONG_J), mask=kjm,
                             other=0).to(ACC)[:, :, None]
            for l0 in range(0, L, BLOCK_L):
                l = l0 + tl.arange(0, BLOCK_L).to(tl.int64)
                mask = kjm[:, :, None] & (l < L)[None, None, :]
                off = _group_tile_offsets(k, j, l, K1, s_k0, s_k1, s_j, s_l)
                if G_LIKE_X:
                    g = tl.load(dy_ptr + off, mask=mask, other=0).to(ACC)
                else:
                    g = tl.load(dy_ptr + _group_tile_offsets(k, j, l, K1, gs_k0, gs_k1, gs_j, gs_l), mask=mask,
                                other=0).to(ACC)
                if HAS_W:
                    g = g * w3
                if TRAINING:
                    x = tl.load(x_ptr + off, mask=mask, other=0).to(ACC)
                    dx = (g - a3 - (x - mean) * rstd * b3) * rstd
                else:
                    dx = g * rstd
                if not D_LIKE_X:
                    off = _group_tile_offsets(k, j, l, K1, ds_k0, ds_k1, ds_j, ds_l)
                tl.store(dx_ptr + off, dx.to(dx_ptr.dtype.element_ty), mask=mask)


# ----------------------------------------------------------------------------------- launchers
def _acc(dtype):
    return tl.float64 if dtype is dt.float64 else tl.float32


def acc_dtype(dtype):
    """The tnn dtype statistics (mean, rstd) and partials are kept in for inputs of ``dtype``."""
    return dt.float64 if dtype is dt.float64 else dt.float32


def _empty(shape, dtype, device):
    from ..tensor import Tensor
    return Tensor._empty(shape, dtype, device)


def _row_tile(M: int, N: int, dev):
    """(BLOCK_M, BLOCK_N, ONE_PASS, num_warps) of a row-norm kernel."""
    block_n, warps = row_config(N, dev, max_block=MAX_BLOCK_N)
    tile = _INTERP_TILE if is_interpreted(dev) else _GPU_TILE
    block_m = max(1, min(next_power_of_2(max(M, 1)), tile // block_n))
    return block_m, block_n, N <= block_n, warps


def _rows(shape, n_norm: int, *strides_list):
    """(M, N, m_sizes, [m_strides per tensor], [stride_n per tensor]) for normalising the last
    ``n_norm`` dims; each tensor's last n_norm dims must coalesce to one (the caller ensures it)."""
    from ..shape import coalesce
    lead, tail = shape[:len(shape) - n_norm], shape[len(shape) - n_norm:]
    M = N = 1
    for s in lead:
        M *= s
    for s in tail:
        N *= s
    m_sizes, m_strides = coalesce(lead, *(st[:len(lead)] for st in strides_list))
    stride_n = []
    for st in strides_list:
        sizes, (n_st,) = coalesce(tail, st[len(lead):])
        assert len(sizes) == 1, "normalised dims must be one stride apart"
        stride_n.append(n_st[0] if N > 1 else 1)
    return M, N, m_sizes, m_strides, stride_n


def layer_norm_fwd(x, y, weight, bias, mean, rstd, n_norm: int, eps: float, rms: bool = False):
    """y (contiguous, x's shape) = layer_norm / rms_norm of x over its last ``n_norm`` dims;
    mean (unused for rms) and rstd (M,) ACC receive the statistics. weight/bias contiguous or None."""
    M, N, m_sizes, (xm,), (xn,) = _rows(tuple(x.shape), n_norm, x.stride())
    block_m, block_n, one_pass, warps = _row_tile(M, N, x.device)
    launch(_layer_norm_fwd_kernel, (cdiv(M, block_m),), x, y, weight, bias, mean, rstd, M, N, m_sizes, xm, xn,
           float_bits(eps), RMS=rms, HAS_W=weight is not None, HAS_B=bias is not None, ACC=_acc(x.dtype),
           KRANK=len(m_sizes), ONE_PASS=one_pass, BLOCK_M=block_m, BLOCK_N=block_n, num_warps=warps)


def layer_norm_bwd(x, dy, dx, weight, mean, rstd, dw, db, n_norm: int, rms: bool = False):
    """dx (contiguous, or None), dw / db (contiguous, or None) of layer_norm / rms_norm from the
    saved x, mean, rstd and the output gradient dy (any strides with coalescing last dims)."""
    M, N, m_sizes, (xm, gm), (xn, gn) = _rows(tuple(x.shape), n_norm, x.stride(), dy.stride())
    block_m, block_n, one_pass, warps = _row_tile(M, N, x.device)
    dev = x.device
    if ROWS_PER_PROG is not None:
        rows = cdiv(ROWS_PER_PROG, block_m) * block_m
    elif is_interpreted(dev):
        rows = cdiv(M, block_m) * block_m
    else:
        rows = cdiv(cdiv(M, min(cdiv(M, block_m), _GPU_PROGRAMS)), block_m) * block_m
    R = cdiv(M, rows)
    acc = acc_dtype(x.dtype)
    part = None
    if dw is not None or db is not None:
        part = _empty((2, R, N), acc, dev)
        if not one_pass:
            part.zero_()
    launch(_layer_norm_bwd_kernel, (R,), x, dy, dx, weight, mean, rstd, part, M, N, R, rows, m_sizes, xm, gm, xn, gn,
           RMS=rms, HAS_W=weight is not None, HAS_DX=dx is not None, HAS_DW=dw is not None, HAS_DB=db is not None,
           ACC=_acc(x.dtype), KRANK=len(m_sizes), ONE_PASS=one_pass, BLOCK_M=block_m, BLOCK_N=block_n,
           num_warps=warps)
    if part is not None:
        channel_sum(part, dw, db, R, N, 1)


def channel_sum(part, dw, db, A: int, C: int, B: int):
    """dw / db (C,) from the (2, A, C, B) partials (fixed order, no atomics)."""
    dev = part.device
    block_b = max(1, min(next_power_of_2(B), 1024 if is_interpreted(dev) else 32))
    tile = _INTERP_TILE if is_interpreted(dev) else _GPU_TILE
    block_c = max(1, min(next_power_of_2(C), tile // block_b, 1 << 14 if is_interpreted(dev) else 256))
    launch(_channel_sum_kernel, (cdiv(C, block_c),), part, dw, db, A, C, B, HAS_DW=dw is not None,
           HAS_DB=db is not None, ACC=_acc(part.dtype), BLOCK_C=block_c, BLOCK_B=block_b,
           num_warps=1 if is_interpreted(dev) else 4)


# --------------------------------------------------------------------- set norms (group/instance/batch)
def set_layout(kind: str, shape, strides, groups: int = 1):
    """(K, K1, J, CPG, CH_ALONG_J, (s_k0, s_k1, s_j, s_l)) of an (N, C, L) tensor for ``kind``
    "batch" (groups = channels, across the batch) or "group" (instance norm: groups = C)."""
    N, C, L = shape
    sN, sC, sL = strides
    if kind == "batch":
        return C, C, N, 1, False, (0, sC, sN, sL)
    cg = C // groups
    return N * groups, groups, cg, cg, True, (sN, cg * sC, sC, sL)


def _set_config(K: int, J: int, L: int, dev):
    """(BLOCK_J, BLOCK_L, j_per, SJ, l_per, SL, num_warps): tile and slicing of a set-norm grid."""
    if SET_SPLIT is not None:
        j_per, l_per, block_j, block_l = SET_SPLIT
        return block_j, block_l, j_per, cdiv(J, j_per), l_per, cdiv(L, l_per), 1
    interp = is_interpreted(dev)
    tile = _INTERP_TILE if interp else 2048
    block_l = max(1, min(next_power_of_2(max(L, 1)), tile))
    block_j = max(1, min(next_power_of_2(max(J, 1)), tile // block_l))
    if interp:
        return block_j, block_l, cdiv(J, block_j) * block_j, 1, cdiv(L, block_l) * block_l, 1, 1
    want = max(1, cdiv(_GPU_PROGRAMS, K))
    sj = min(cdiv(J, block_j), want)
    j_per = cdiv(cdiv(J, sj), block_j) * block_j
    sj = cdiv(J, j_per)
    sl = min(cdiv(L, block_l), max(1, cdiv(want, sj)), 65535)
    l_per = cdiv(cdiv(L, sl), block_l) * block_l
    return block_j, block_l, j_per, sj, l_per, cdiv(L, l_per), 4


def _set_many_config(K: int, J: int, L: int, dev):
    """(BLOCK_K, BLOCK_J, BLOCK_L) of the interpreter's many-groups-per-program kernels, or None
    where the one-group-per-program kernels run (the GPU, or SET_SPLIT forcing them)."""
    if SET_SPLIT is not None or not is_interpreted(dev):
        return None
    tile = _INTERP_TILE
    block_l = max(1, min(next_power_of_2(max(L, 1)), tile))
    block_j = max(1, min(next_power_of_2(max(J, 1)), tile // block_l))
    block_k = max(1, min(next_power_of_2(max(K, 1)), tile // (block_l * block_j)))
    return block_k, block_j, block_l


def set_norm_fwd(x, y, weight, bias, mean, rstd, kind: str, groups: int, eps: float, training: bool = True,
                 running_mean=None, running_var=None, momentum: float = 0.1):
    """y = the group / instance / batch norm of x; x and y (N, C, L) (y contiguous), weight / bias
    (C,) contiguous or None. Training (or group norm): statistics from x into mean / rstd (K,) ACC,
    and running_mean / running_var (C,) updated in place when given (batch: per channel; instance:
    averaged over the batch). Eval (batch only): the running statistics normalise."""
    N, C, L = x.shape
    K, K1, J, cpg, along_j, xs = set_layout(kind, (N, C, L), x.stride(), groups)
    ys = set_layout(kind, (N, C, L), y.stride(), groups)[5]
    many = _set_many_config(K, J, L, x.device)
    block_j, block_l, j_per, SJ, l_per, SL, warps = _set_config(K, J, L, x.device)
    acc, ACC = acc_dtype(x.dtype), _acc(x.dtype)
    update = running_mean is not None
    navg, cc = (N, C) if (kind == "group" and groups == C and update) else (1, K)
    finish = False          # the interpreter's statistics kernel writes mean / rstd itself
    if many is not None:
        block_k, block_j, block_l = many
        SJ = SL = 1
    if training and many is not None:
        # Whole groups per program: the statistics kernel finishes mean / rstd (and the running
        # stats) itself, unless instance norm averages those over the batch (a combine pass).
        S, finish = 1, navg == 1
        part = None if finish else _empty((3, K, S), acc, x.device)
        upd = finish and update
        launch(_norm_stats_many_kernel, (cdiv(K, block_k),), x, part, mean, rstd, running_mean if upd else None,
               running_var if upd else None, running_mean.stride(0) if upd else 0,
               running_var.stride(0) if upd else 0, K, J, L, K1, *xs, float_bits(eps), float_bits(momentum),
               FINISH=finish, UPDATE=upd, ACC=ACC, BLOCK_K=block_k, BLOCK_J=block_j, BLOCK_L=block_l, num_warps=1)
    elif training:
        S = SJ * SL
        part = _empty((3, K, S), acc, x.device)
        launch(_norm_stats_kernel, (K, SJ, SL), x, part, K, J, L, K1, *xs, j_per, l_per, ACC=ACC,
               BLOCK_J=block_j, BLOCK_L=block_l, num_warps=warps)
    else:
        S, part = 1, None
    if not finish:
        block_c = max(1, min(next_power_of_2(cc), 1 << 12 if is_interpreted(x.device) else 128))
        block_s = max(1, min(next_power_of_2(S), 64))
        launch(_norm_combine_kernel, (cdiv(cc, block_c),), part, mean, rstd, running_mean,
               running_var, running_mean.stride(0) if update else 0, running_var.stride(0) if update else 0,
               cc, navg, S, float_bits(eps), float_bits(momentum), TRAINING=training, UPDATE=training and update,
               ACC=ACC, BLOCK_C=block_c, BLOCK_S=block_s, num_warps=1 if is_interpreted(x.device) else 4)
    if many is not None:
        launch(_norm_apply_many_kernel, (cdiv(K, block_k),), x, y, weight, bias, mean, rstd, K, J, L, K1, cpg, *xs,
               *ys, HAS_W=weight is not None, HAS_B=bias is not None, CH_ALONG_J=along_j, Y_LIKE_X=ys == xs,
               ACC=ACC, BLOCK_K=block_k, BLOCK_J=block_j, BLOCK_L=block_l, num_warps=1)
        return
    launch(_norm_apply_kernel, (K, SJ, SL), x, y, weight, bias, mean, rstd, J, L, K1, cpg, *xs, *ys, j_per, l_per,
           HAS_W=weight is not None, HAS_B=bias is not None, CH_ALONG_J=along_j, ACC=ACC, BLOCK_J=block_j,
           BLOCK_L=block_l, num_warps=warps)


def set_norm_bwd(x, dy, dx, weight, mean, rstd, dw, db, kind: str, groups: int, training: bool = True):
    """dx (N, C, L) contiguous (or None), dw / db (C,) (or None) of a set norm from the saved x,
    mean, rstd and the output gradient dy (N, C, L) (any strides)."""
    N, C, L = x.shape
    K, K1, J, cpg, along_j, xs = set_layout(kind, (N, C, L), x.stride(), groups)
    gs = set_layout(kind, (N, C, L), dy.stride(), groups)[5]
    acc, ACC = acc_dtype(x.dtype), _acc(x.dtype)
    many = _set_many_config(K, J, L, x.device)
    if many is not None:
        block_k, block_j, block_l = many
        has_part = dw is not None or db is not None
        part = _empty((2, K, J, 1), acc, x.device) if has_part else None
        ds = set_layout(kind, (N, C, L), dx.stride(), groups)[5] if dx is not None else (0, 0, 0, 0)
        if has_part or dx is not None:
            launch(_norm_bwd_many_kernel, (cdiv(K, block_k),), x, dy, dx, weight, mean, rstd, part, K, J, L, K1, cpg,
                   *xs, *gs, *ds, TRAINING=training, HAS_DX=dx is not None, HAS_PART=has_part,
                   HAS_W=weight is not None, CH_ALONG_J=along_j, G_LIKE_X=gs == xs, D_LIKE_X=ds == xs, ACC=ACC,
                   BLOCK_K=block_k, BLOCK_J=block_j, BLOCK_L=block_l, num_warps=1)
        if has_part:
            A, B = (1, N) if kind == "batch" else (N, 1)
            channel_sum(part, dw, db, A, C, B)
        return
    block_j, block_l, j_per, SJ, l_per, SL, warps = _set_config(K, J, L, x.device)
    part = None
    if (dx is not None and training) or dw is not None or db is not None:
        part = _empty((2, K, J, SL), acc, x.device)
        launch(_norm_bwd_reduce_kernel, (K, SJ, SL), x, dy, mean, rstd, part, K, J, L, K1, *xs, *gs, j_per, l_per,
               ACC=ACC, BLOCK_J=block_j, BLOCK_L=block_l, num_warps=warps)
    if dx is not None:
        ds = set_layout(kind, (N, C, L), dx.stride(), groups)[5]
        block_p = max(1, min(next_power_of_2(J * SL), 1 << 12 if is_interpreted(x.device) else 1024))
        launch(_norm_bwd_dx_kernel, (K, SJ, SL), x, dy, dx, weight, mean, rstd, part, K, J, L, K1, cpg, SL, *xs, *gs,
               *ds, j_per, l_per, TRAINING=training, HAS_W=weight is not None, CH_ALONG_J=along_j, ACC=ACC,
               BLOCK_J=block_j, BLOCK_L=block_l, BLOCK_P=block_p, num_warps=warps)
    if dw is not None or db is not None:
        A, B = (1, N * SL) if kind == "batch" else (N, SL)
        channel_sum(part, dw, db, A, C, B)
