"""Cross-entropy (fused log-softmax + NLL) and NLL loss over class rows.

Every kernel sees its input as a strided (N, C, S) problem: torch's layouts [N, C] (S = 1),
[N, C, d1..dk] (S = d1*...*dk, the functional layer reshapes the spatial dims to one) and the
unbatched [C] (N = S = 1). A *row* is one (n, s) pair, R = N * S rows, ``row = n * S + s``; the
C classes of a row are ``stride_c`` apart. Class-index targets are int64 (N, S); probability
targets have the input's (N, C, S) shape.

Cross-entropy walks each row twice at most: pass 1 an online max / sum-exp (and the sums label
smoothing and probability targets need) in BLOCK_N chunks, so vocabularies of any size work with
int64 offsets; pass 2 (only when the input requires grad) writes d loss / d logits into a
contiguous (N, C, S) buffer, already divided by the mean's denominator. Backward then only scales
that buffer by grad_output (as Liger-Kernel does): no [N, C] probability tensor is kept.

Smoothing and probability-target sums are kept relative to the running max,
``sum_j c_j * (x_j - m)``, so large logits (1e4) do not cancel catastrophically.
"""
import triton.language as tl

from .creation import float_bits
from .launch import cdiv, elementwise_config, is_interpreted, jit, launch, next_power_of_2, row_config
from .helpers import f64_from_bits
from .loss import finish_sum

_INTERP_TILE = 1 << 15   # elements per interpreter program (BLOCK_M * BLOCK_N)




@jit
def _nll_weight_sum_kernel(
    t_ptr,        # (N, S) int64 class indices, strided
    t_stride_n, t_stride_s,
    w_ptr,        # (C,) class weights (HAS_WEIGHT), strided
    w_stride,
    out_ptr,      # (1,) ACC: sum of weight[target] over non-ignored rows
    R, S,         # rows (N * S), spatial size
    ignore_index,
    HAS_WEIGHT: tl.constexpr,
    ACC: tl.constexpr,
    BLOCK: tl.constexpr,
):
    """The denominator of reduction='mean': sum over rows with target != ignore_index of
    weight[target] (or their count without weights). Grid: (1,); the single program walks all R
    rows in BLOCK chunks, so the sum is deterministic."""
    acc = tl.zeros([BLOCK], ACC)
    for start in range(0, R, BLOCK):
        rows = start + tl.arange(0, BLOCK).to(tl.int64)
        rmask = rows < R
        t = tl.load(t_ptr + (rows // S) * t_stride_n + (rows % S) * t_stride_s, mask=rmask, other=ignore_index)
        keep = rmask & (t != ignore_index)
        if HAS_WEIGHT:
            w = tl.load(w_ptr + tl.where(keep, t, 0) * w_stride, mask=keep, other=0).to(ACC)
        else:
            w = keep.to(ACC)
        acc += tl.where(keep, w, 0)
    tl.store(out_ptr, tl.sum(acc, axis=0))


@jit
def _cross_entropy_fwd_kernel(
    x_ptr,        # (N, C, S) logits, strided, any float dtype
    x_stride_n, x_stride_c, x_stride_s,
    t_ptr,        # (N, S) int64 class indices, or (N, C, S) probabilities (PROB_TARGET)
    t_stride_n, t_stride_c, t_stride_s,
    w_ptr,        # (C,) class weights (HAS_WEIGHT)
    w_stride,
    loss_ptr,     # (R,) per-row loss, contiguous: ACC, or the input dtype for reduction='none'
    dx_ptr,       # (N, C, S) contiguous d loss / d logits (COMPUTE_GRAD), input dtype
    dt_ptr,       # (N, C, S) contiguous d loss / d target (COMPUTE_DTARGET), target dtype
    den_ptr,      # (1,) ACC mean denominator (sum of weights of non-ignored rows) when DIV_BY_DEN
    R, S, C,      # rows, spatial size, classes
    ignore_index,
    ls_bits,      # float64 bits: label_smoothing
    scale_bits,   # float64 bits: a constant factor of the gradient (1/rows for prob-target mean)
    PROB_TARGET: tl.constexpr,
    HAS_WEIGHT: tl.constexpr,
    SMOOTHING: tl.constexpr,      # label_smoothing > 0
    COMPUTE_GRAD: tl.constexpr,
    COMPUTE_DTARGET: tl.constexpr,
    DIV_BY_DEN: tl.constexpr,
    ACC: tl.constexpr,
    BLOCK_M: tl.constexpr,
    BLOCK_N: tl.constexpr,
):
    """Per row r with logits x (C,), lse = log(sum_j exp(x_j)), logp_j = x_j - lse:

    class index t:   loss = (1-ls) * w_t * (-logp_t) + ls/C * sum_j w_j * (-logp_j), 0 if ignored
    probabilities y: loss = sum_j w_j * y'_j * (-logp_j),  y' = y * (1-ls) + ls/C
    (w = 1 without weights). With COMPUTE_GRAD, dx = d loss / d x * scale:
    class index: (1-ls) * w_t * (p_j - [j == t]) + ls/C * (p_j * sum(w) - w_j); probabilities:
    p_j * sum(w * y') - w_j * y'_j; ignored rows 0. scale = scale_bits / den when DIV_BY_DEN.
    COMPUTE_DTARGET (probabilities): dt_j = -(1-ls) * w_j * logp_j * scale.

    Grid: (cdiv(R, BLOCK_M),); one program owns BLOCK_M rows and walks their C classes in BLOCK_N
    chunks: pass 1 an online max/sum-exp, pass 2 (gradients only) re-reads x and writes dx/dt."""
    pid = tl.program_id(0)
    rows = pid.to(tl.int64) * BLOCK_M + tl.arange(0, BLOCK_M).to(tl.int64)
    rmask = rows < R
    n = rows // S
    s = rows % S
    x_row = x_ptr + n * x_stride_n + s * x_stride_s        # (BLOCK_M,) pointers
    ls = f64_from_bits(ls_bits).to(ACC)
    c_f = tl.zeros([BLOCK_M], ACC) + C                       # C as a float (C may be a constexpr 1)

    if PROB_TARGET:
        t_row = t_ptr + n * t_stride_n + s * t_stride_s
        ignored = rows < 0                                   # all False
        w_t = tl.zeros([BLOCK_M], ACC)
        x_t = tl.zeros([BLOCK_M], ACC)
    else:
        t = tl.load(t_ptr + n * t_stride_n + s * t_stride_s, mask=rmask, other=ignore_index)
        ignored = t == ignore_index
        t = tl.where(ignored, 0, t)
        live = rmask & ~ignored
        x_t = tl.load(x_row + t * x_stride_c, mask=live, other=0).to(ACC)
        if HAS_WEIGHT:
            w_t = tl.load(w_ptr + t * w_stride, mask=live, other=0).to(ACC)
        else:
            w_t = tl.full([BLOCK_M], 1, ACC)

    # ---- pass 1: online max / sum-exp; c_sum = sum_j c_j, c_rel = sum_j c_j (x_j - m), with
    # c_j = w_j (smoothing) or w_j * y'_j (probability targets).
    m = tl.full([BLOCK_M], float("-inf"), ACC)
    d = tl.zeros([BLOCK_M], ACC)
    c_sum = tl.zeros([BLOCK_M], ACC)
    c_rel = tl.zeros([BLOCK_M], ACC)
    for start in range(0, C, BLOCK_N):
        cols = start + tl.arange(0, BLOCK_N).to(tl.int64)
        cmask = cols < C
        mask = rmask[:, None] & cmask[None, :]
        x = tl.load(x_row[:, None] + cols[None, :] * x_stride_c, mask=mask, other=float("-inf")).to(ACC)
        m_new = tl.maximum(m, tl.max(x, axis=1))
        m_safe = tl.where(m_new == float("-inf"), 0, m_new)
        d = d * tl.exp(m - m_safe) + tl.sum(tl.exp(x - m_safe[:, None]), axis=1)
        if PROB_TARGET or SMOOTHING:
            if PROB_TARGET:
                y = tl.load(t_row[:, None] + cols[None, :] * t_stride_c, mask=mask, other=0).to(ACC)
                c = y * (1 - ls) + ls / c_f[:, None]
                if HAS_WEIGHT:
                    c = c * tl.load(w_ptr + cols * w_stride, mask=cmask, other=0).to(ACC)[None, :]
            else:
                if HAS_WEIGHT:
                    c = tl.load(w_ptr + cols * w_stride, mask=cmask, other=0).to(ACC)[None, :] + tl.zeros_like(x)
                else:
                    c = tl.full([BLOCK_M, BLOCK_N], 1, ACC)
            c = tl.where(mask, c, 0)
            # rebase the running relative sum onto the new max (skip where nothing moved)
            shift = tl.where((m == m_new) | (c_sum == 0), 0, c_sum * (m - m_new))
            c_rel = c_rel + shift + tl.sum(tl.where(mask, c * (x - m_safe[:, None]), 0), axis=1)
            c_sum = c_sum + tl.sum(c, axis=1)
        m = m_new
    log_d = tl.log(d)            # lse = m + log_d; kept apart so x - lse = (x - m) - log_d is exact-ish

    if PROB_TARGET:
        loss = c_sum * log_d - c_rel
    else:
        loss = w_t * ((m - x_t) + log_d)
        if SMOOTHING:
            loss = (1 - ls) * loss + ls / c_f * (c_sum * log_d - c_rel)
        loss = tl.where(ignored, 0, loss)
    tl.store(loss_ptr + rows, loss.to(loss_ptr.dtype.element_ty), mask=rmask)

    # ---- pass 2: gradients, in (N, C, S) contiguous buffers
    if COMPUTE_GRAD or COMPUTE_DTARGET:
        scale = f64_from_bits(scale_bits).to(ACC)
        if DIV_BY_DEN:
            scale = scale / tl.load(den_ptr).to(ACC)
        g_row = n * C * S + s                                  # (BLOCK_M,) offsets of class 0
        for start in range(0, C, BLOCK_N):
            cols = start + tl.arange(0, BLOCK_N).to(tl.int64)
            cmask = cols < C
            mask = rmask[:, None] & cmask[None, :]
            x = tl.load(x_row[:, None] + cols[None, :] * x_stride_c, mask=mask, other=0).to(ACC)
            p = tl.exp((x - m[:, None]) - log_d[:, None])
            if HAS_WEIGHT:
                w = tl.load(w_ptr + cols * w_stride, mask=cmask, other=0).to(ACC)[None, :]
            else:
                w = tl.full([1, BLOCK_N], 1, ACC)
            if PROB_TARGET:
                y = tl.load(t_row[:, None] + cols[None, :] * t_stride_c, mask=mask, other=0).to(ACC)
                y = y * (1 - ls) + ls / c_f[:, None]
                g = p * c_sum[:, None] - w * y
                g = g * scale
            else:
                # (w_t * scale) first: a zero weight over a zero denominator is nan, as in torch
                hit = (cols[None, :] == t[:, None]).to(ACC)
                g = (w_t * scale)[:, None] * (p - hit)
                if SMOOTHING:
                    g = (1 - ls) * g + (ls / c_f * scale)[:, None] * (p * c_sum[:, None] - w)
                g = tl.where(ignored[:, None], 0, g)
            offs = g_row[:, None] + cols[None, :] * S
            if COMPUTE_GRAD:
                tl.store(dx_ptr + offs, g.to(dx_ptr.dtype.element_ty), mask=mask)
            if COMPUTE_DTARGET:
                dt = (1 - ls) * w * ((m[:, None] - x) + log_d[:, None]) * scale
                tl.store(dt_ptr + offs, dt.to(dt_ptr.dtype.element_ty), mask=mask)


@jit
def _scale_rows_kernel(
    src_ptr,      # (N, C, S) contiguous per-row gradient (dx or dt buffer)
    go_ptr,       # (N, S) grad_output, strided (strides 0 for a scalar grad_output)
    go_stride_n, go_stride_s,
    out_ptr,      # (N, C, S) contiguous result
    numel, C, S,
    ACC: tl.constexpr,
    BLOCK: tl.constexpr,
):
    """out[n, c, s] = src[n, c, s] * grad_output[n, s]: the backward of cross-entropy, whose
    gradient up to grad_output was written by the forward pass. Grid: (cdiv(numel, BLOCK),)."""
    i = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK).to(tl.int64)
    mask = i < numel
    n = i // (C * S)
    s = i % S
    g = tl.load(go_ptr + n * go_stride_n + s * go_stride_s, mask=mask, other=0).to(ACC)
    v = tl.load(src_ptr + i, mask=mask, other=0).to(ACC)
    tl.store(out_ptr + i, (v * g).to(out_ptr.dtype.element_ty), mask=mask)


@jit
def _nll_fwd_kernel(
    x_ptr,        # (N, C, S) log-probabilities, strided
    x_stride_n, x_stride_c, x_stride_s,
    t_ptr,        # (N, S) int64 class indices
    t_stride_n, t_stride_s,
    w_ptr,        # (C,) class weights (HAS_WEIGHT)
    w_stride,
    loss_ptr,     # (R,) per-row loss, contiguous: ACC, or the input dtype for reduction='none'
    R, S, ignore_index,
    HAS_WEIGHT: tl.constexpr,
    ACC: tl.constexpr,
    BLOCK: tl.constexpr,
):
    """loss[r] = -w[t_r] * x[n, t_r, s] (0 where t_r == ignore_index).
    Grid: (cdiv(R, BLOCK),); one program gathers BLOCK rows."""
    rows = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK).to(tl.int64)
    rmask = rows < R
    n = rows // S
    s = rows % S
    t = tl.load(t_ptr + n * t_stride_n + s * t_stride_s, mask=rmask, other=ignore_index)
    live = rmask & (t != ignore_index)
    t = tl.where(live, t, 0)
    x = tl.load(x_ptr + n * x_stride_n + s * x_stride_s + t * x_stride_c, mask=live, other=0).to(ACC)
    if HAS_WEIGHT:
        w = tl.load(w_ptr + t * w_stride, mask=live, other=0).to(ACC)
    else:
        w = tl.full([BLOCK], 1, ACC)
    tl.store(loss_ptr + rows, tl.where(live, -w * x, 0).to(loss_ptr.dtype.element_ty), mask=rmask)


@jit
def _nll_bwd_kernel(
    t_ptr,        # (N, S) int64 class indices
    t_stride_n, t_stride_s,
    w_ptr,        # (C,) class weights (HAS_WEIGHT)
    w_stride,
    go_ptr,       # (N, S) grad_output, strided (strides 0 for a scalar)
    go_stride_n, go_stride_s,
    den_ptr,      # (1,) ACC mean denominator (DIV_BY_DEN)
    dx_ptr,       # (N, C, S) contiguous gradient
    R, S, C, ignore_index,
    HAS_WEIGHT: tl.constexpr,
    DIV_BY_DEN: tl.constexpr,
    ACC: tl.constexpr,
    BLOCK_M: tl.constexpr,
    BLOCK_N: tl.constexpr,
):
    """dx[n, c, s] = -w[t] * grad_output[n, s] / den where c == t (not ignored), else 0.
    Grid: (cdiv(R, BLOCK_M), cdiv(C, BLOCK_N)); one program writes a BLOCK_M x BLOCK_N tile."""
    rows = tl.program_id(0).to(tl.int64) * BLOCK_M + tl.arange(0, BLOCK_M).to(tl.int64)
    cols = tl.program_id(1).to(tl.int64) * BLOCK_N + tl.arange(0, BLOCK_N).to(tl.int64)
    rmask = rows < R
    n = rows // S
    s = rows % S
    t = tl.load(t_ptr + n * t_stride_n + s * t_stride_s, mask=rmask, other=ignore_index)
    live = rmask & (t != ignore_index)
    t = tl.where(live, t, 0)
    g = tl.load(go_ptr + n * go_stride_n + s * go_stride_s, mask=rmask, other=0).to(ACC)
    if HAS_WEIGHT:
        g = g * tl.load(w_ptr + t * w_stride, mask=live, other=0).to(ACC)
    if DIV_BY_DEN:
        g = g / tl.load(den_ptr).to(ACC)
    v = tl.where(live[:, None] & (cols[None, :] == t[:, None]), -g[:, None], 0)
    mask = rmask[:, None] & (cols < C)[None, :]
    tl.store(dx_ptr + (n * C * S + s)[:, None] + cols[None, :] * S, v.to(dx_ptr.dtype.element_ty), mask=mask)


# ------------------------------------------------------------------------------ launchers
def _acc(dtype):
    return tl.float64 if dtype.itemsize == 8 else tl.float32


def _acc_tnn(dtype):
    from ..runtime import dtypes as dt
    return dt.float64 if dtype.itemsize == 8 else dt.float32


def _tile(R: int, C: int, dev) -> tuple[int, int, int]:
    """(BLOCK_M, BLOCK_N, num_warps): one row per program on a GPU when rows are long (the row
    loop is the parallelism), several short rows per program otherwise; big tiles on the
    interpreter."""
    bn, warps = row_config(C, dev, max_block=(1 << 14) if is_interpreted(dev) else 4096)
    if is_interpreted(dev):
        return min(next_power_of_2(max(R, 1)), max(1, _INTERP_TILE // bn)), bn, 1
    bm = 1 if bn >= 1024 else min(next_power_of_2(max(R, 1)), 1024 // bn)
    return bm, bn, warps


def _strides_w(weight):
    return (weight, weight.stride(0)) if weight is not None else (None, 0)


def weight_sum(target, weight, ignore_index: int, S: int, acc_dtype):
    """(1,) tensor of the mean's denominator: sum of weight[target] over non-ignored rows."""
    from ..tensor import Tensor
    out = Tensor._empty((1,), acc_dtype, target.device)
    R = target.shape[0] * S
    block, warps = elementwise_config(R, target.device)
    w, w_stride = _strides_w(weight)
    launch(_nll_weight_sum_kernel, (1,), target, target.stride(0), target.stride(1), w, w_stride, out, R, S,
           ignore_index, HAS_WEIGHT=weight is not None, ACC=_acc(acc_dtype), BLOCK=min(block, 1024),
           num_warps=warps)
    return out


def cross_entropy_fwd(x, target, weight, *, ignore_index: int, label_smoothing: float, reduction: str,
                      prob_target: bool, compute_grad: bool, compute_dtarget: bool):
    """x (N, C, S) strided; target (N, S) int64 or (N, C, S) float. Returns (loss, dx, dt):
    loss is the 0-d reduced loss ('mean'/'sum', input dtype) or the (N, S) per-row loss ('none');
    dx / dt the contiguous (N, C, S) gradients (or None) that backward scales by grad_output."""
    from ..tensor import Tensor
    N, C, S = x.shape
    R = N * S
    acc_dt = _acc_tnn(x.dtype)
    loss = _row_buffer(x, reduction)
    dx = Tensor._empty((N, C, S), x.dtype, x.device) if compute_grad else None
    dt = Tensor._empty((N, C, S), target.dtype, x.device) if compute_dtarget else None
    mean_by_weight = reduction == "mean" and not prob_target
    den = weight_sum(target, weight, ignore_index, S, acc_dt) if mean_by_weight else None
    scale = 1.0 / R if (reduction == "mean" and prob_target and R > 0) else 1.0
    bm, bn, warps = _tile(R, C, x.device)
    w, w_stride = _strides_w(weight)
    ts = (target.stride(0), target.stride(1), target.stride(2)) if prob_target else (
        target.stride(0), 0, target.stride(1))
    launch(_cross_entropy_fwd_kernel, (cdiv(R, bm),), x, *x.stride(), target, *ts, w, w_stride, loss,
           dx if dx is not None else loss, dt if dt is not None else loss, den if den is not None else loss,
           R, S, C, ignore_index, float_bits(label_smoothing), float_bits(scale),
           PROB_TARGET=prob_target, HAS_WEIGHT=weight is not None, SMOOTHING=label_smoothing > 0,
           COMPUTE_GRAD=compute_grad, COMPUTE_DTARGET=compute_dtarget, DIV_BY_DEN=mean_by_weight,
           ACC=_acc(x.dtype), BLOCK_M=bm, BLOCK_N=bn, num_warps=warps)
    return _reduce_rows(loss, x.dtype, (N, S), reduction, den, R), dx, dt


def _row_buffer(x, reduction):
    """Per-row losses: in the output dtype for 'none' (they are the result), else ACC."""
    from ..tensor import Tensor
    N, C, S = x.shape
    return Tensor._empty((N * S,), x.dtype if reduction == "none" else _acc_tnn(x.dtype), x.device)


def _reduce_rows(loss, out_dtype, row_shape, reduction, den, R):
    from ..tensor import Tensor
    if reduction == "none":
        return loss._view(row_shape, (row_shape[1], 1))
    out = Tensor._empty((), out_dtype, loss.device)
    if reduction == "sum":
        finish_sum(loss, out)
    elif den is not None:
        finish_sum(loss, out, den=den)
    else:
        finish_sum(loss, out, divisor=float(R) if R > 0 else 0.0)
    return out


def scale_rows(src, grad_output, out_dtype):
    """src (N, C, S) contiguous times grad_output: a 0-d scalar or an (N, S) tensor."""
    from ..tensor import Tensor
    N, C, S = src.shape
    out = Tensor._empty((N, C, S), out_dtype, src.device)
    gs = (0, 0) if grad_output.dim() == 0 else (grad_output.stride(0), grad_output.stride(1))
    numel = N * C * S
    block, warps = elementwise_config(numel, src.device)
    launch(_scale_rows_kernel, (cdiv(numel, block),), src, grad_output, *gs, out, numel, C, S,
           ACC=_acc(src.dtype), BLOCK=block, num_warps=warps)
    return out


def nll_fwd(x, target, weight, *, ignore_index: int, reduction: str):
    """x (N, C, S) strided log-probabilities, target (N, S) int64. Returns (loss, den): den is the
    (1,) mean denominator for 'mean' (backward needs it), else None."""
    from ..tensor import Tensor
    N, C, S = x.shape
    R = N * S
    acc_dt = _acc_tnn(x.dtype)
    loss = _row_buffer(x, reduction)
    block, warps = elementwise_config(R, x.device)
    w, w_stride = _strides_w(weight)
    launch(_nll_fwd_kernel, (cdiv(R, block),), x, *x.stride(), target, target.stride(0), target.stride(1), w,
           w_stride, loss, R, S, ignore_index, HAS_WEIGHT=weight is not None, ACC=_acc(x.dtype), BLOCK=block,
           num_warps=warps)
    den = weight_sum(target, weight, ignore_index, S, acc_dt) if reduction == "mean" else None
    return _reduce_rows(loss, x.dtype, (N, S), reduction, den, R), den


def nll_bwd(grad_output, target, weight, den, shape, dtype, *, ignore_index: int):
    """The (N, C, S) contiguous gradient of nll_loss: -w[t] * grad_output / den at the targets."""
    from ..tensor import Tensor
    N, C, S = shape
    R = N * S
    dx = Tensor._empty((N, C, S), dtype, target.device)
    bm, bn, warps = _tile(R, C, target.device)
    if not is_interpreted(target.device):   # a pure write: 2048-element tiles
        bn = min(next_power_of_2(max(C, 1)), 1024)
        bm, warps = min(next_power_of_2(max(R, 1)), max(1, 2048 // bn)), 4
    gs = (0, 0) if grad_output.dim() == 0 else (grad_output.stride(0), grad_output.stride(1))
    w, w_stride = _strides_w(weight)
    launch(_nll_bwd_kernel, (cdiv(R, bm), cdiv(C, bn)), target, target.stride(0), target.stride(1), w, w_stride,
           grad_output, *gs, den if den is not None else dx, dx, R, S, C, ignore_index,
           HAS_WEIGHT=weight is not None, DIV_BY_DEN=den is not None, ACC=_acc(dtype), BLOCK_M=bm, BLOCK_N=bn,
           num_warps=warps)
    return dx
