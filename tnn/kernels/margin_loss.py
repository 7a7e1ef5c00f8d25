"""Multi-class margin losses over (N, C) rows, forward and backward: multi_margin_loss (one class
index per row) and multilabel_margin_loss (a -1-terminated list of class indices per row).

Every kernel sees the input as N rows of C columns, read in place through (stride_n, stride_c)
(a 1-D input is one row, stride_n = 0). One program owns BLOCK_M rows and walks the columns in
BLOCK_N chunks. Forward writes one loss per row -- in the output dtype for reduction='none', else
in ACC for ``loss.finish_sum``, which adds them in a single program: no atomics, so results are
deterministic. Backward writes d loss / d input contiguous (N, C), each element exactly once.
Accumulation is float32 (float64 for float64).
"""
import triton.language as tl

from .creation import float_bits
from .helpers import f64_param
from .launch import cdiv, is_interpreted, jit, launch, next_power_of_2

# Elements one program holds at once: the interpreter pays per program, so it gets big tiles.
_INTERP_TILE = 1 << 16
_GPU_TILE = 4096
_MAX_BLOCK_N = 1024


@jit
def _multi_margin_fwd_kernel(
    x_ptr,        # (N, C) strided input
    x_stride_n, x_stride_c,
    t_ptr,        # (N,) int64 target class per row
    t_stride,
    w_ptr,        # (C,) class weights (HAS_WEIGHT)
    w_stride,
    out_ptr,      # (N,) contiguous per-row loss (output dtype, or ACC when the loss is reduced)
    N, C,
    margin_bits,  # float64 bits of margin
    P: tl.constexpr,           # 1 or 2
    HAS_WEIGHT: tl.constexpr,
    ACC: tl.constexpr,
    BLOCK_M: tl.constexpr,
    BLOCK_N: tl.constexpr,
):
    """loss[n] = w[y] / C * sum_{c != y} max(0, margin - x[n, y] + x[n, c])^P with y = t[n].

    Grid: (cdiv(N, BLOCK_M),). One program: BLOCK_M rows, their target logits gathered once, the
    hinge terms summed over BLOCK_N-column chunks."""
    rows = tl.program_id(0).to(tl.int64) * BLOCK_M + tl.arange(0, BLOCK_M).to(tl.int64)
    rmask = rows < N
    t = tl.load(t_ptr + rows * t_stride, mask=rmask, other=0)
    x_row = rows * x_stride_n
    xt = tl.load(x_ptr + x_row + t * x_stride_c, mask=rmask, other=0).to(ACC)
    base = f64_param(margin_bits, ACC) - xt                                   # (BLOCK_M,)
    cols = tl.arange(0, BLOCK_N).to(tl.int64)[None, :]
    acc = tl.zeros([BLOCK_M, BLOCK_N], ACC)
    for n0 in range(0, C, BLOCK_N):
        c = n0 + cols
        mask = rmask[:, None] & (c < C) & (c != t[:, None])
        x = tl.load(x_ptr + x_row[:, None] + c * x_stride_c, mask=mask, other=0).to(ACC)
        z = base[:, None] + x
        if P == 2:
            h = z * z
        else:
            h = z
        acc += tl.where(mask & (z > 0), h, 0.0)
    loss = tl.sum(acc, axis=1)
    if HAS_WEIGHT:
        loss = loss * tl.load(w_ptr + t * w_stride, mask=rmask, other=0).to(ACC)
    loss = loss / C
    tl.store(out_ptr + rows, loss.to(out_ptr.dtype.element_ty), mask=rmask)


@jit
def _multi_margin_bwd_kernel(
    x_ptr,        # (N, C) strided input
    x_stride_n, x_stride_c,
    t_ptr,        # (N,) int64 targets
    t_stride,
    w_ptr,        # (C,) class weights (HAS_WEIGHT)
    w_stride,
    go_ptr,       # (N,) gradient of the per-row losses (stride 0: one value for a reduced loss)
    go_stride,
    dx_ptr,       # (N, C) contiguous d loss / d input, input dtype
    N, C,
    margin_bits,  # float64 bits of margin
    scale_bits,   # float64 bits of 1 / C ('none', 'sum') or 1 / (N C) ('mean')
    P: tl.constexpr,
    HAS_WEIGHT: tl.constexpr,
    ACC: tl.constexpr,
    BLOCK_M: tl.constexpr,
    BLOCK_N: tl.constexpr,
):
    """dx[n, c] = g_n w[y] (1 or 2 z) where z = margin - x[n, y] + x[n, c] > 0 (c != y, else 0);
    dx[n, y] = -sum_c dx[n, c], with g_n = grad_output[n] * scale.

    Grid: (cdiv(N, BLOCK_M),). One program: BLOCK_M rows; each chunk's non-target columns are
    stored as they are computed, the target column once after the last chunk (no element is
    written twice)."""
    rows = tl.program_id(0).to(tl.int64) * BLOCK_M + tl.arange(0, BLOCK_M).to(tl.int64)
    rmask = rows < N
    t = tl.load(t_ptr + rows * t_stride, mask=rmask, other=0)
    x_row = rows * x_stride_n
    xt = tl.load(x_ptr + x_row + t * x_stride_c, mask=rmask, other=0).to(ACC)
    base = f64_param(margin_bits, ACC) - xt
    g = tl.load(go_ptr + rows * go_stride, mask=rmask, other=0).to(ACC) * f64_param(scale_bits, ACC)
    if HAS_WEIGHT:
        g = g * tl.load(w_ptr + t * w_stride, mask=rmask, other=0).to(ACC)
    cols = tl.arange(0, BLOCK_N).to(tl.int64)[None, :]
    d_row = (rows * C)[:, None]
    acc = tl.zeros([BLOCK_M, BLOCK_N], ACC)
    for n0 in range(0, C, BLOCK_N):
        c = n0 + cols
        mask = rmask[:, None] & (c < C) & (c != t[:, None])
        x = tl.load(x_ptr + x_row[:, None] + c * x_stride_c, mask=mask, other=0).to(ACC)
        z = base[:, None] + x
        if P == 2:
            h = 2 * z
        else:
            h = tl.zeros_like(z) + 1
        h = tl.where(mask & (z > 0), h * g[:, None], 0.0)
        acc += h
        tl.store(dx_ptr + d_row + c, h.to(dx_ptr.dtype.element_ty), mask=mask)
    tl.store(dx_ptr + rows * C + t, (-tl.sum(acc, axis=1)).to(dx_ptr.dtype.element_ty), mask=rmask)


@jit
def _multilabel_margin_fwd_kernel(
    x_ptr,        # (N, C) strided input
    x_stride_n, x_stride_c,
    t_ptr,        # (N, C) int64 target classes per row, ended by the first negative entry
    t_stride_n, t_stride_c,
    is_t_ptr,     # (N, C) contiguous uint8: 1 where the column is one of the row's targets
    out_ptr,      # (N,) contiguous per-row loss (output dtype, or ACC when the loss is reduced)
    N, C,
    ACC: tl.constexpr,
    BLOCK_M: tl.constexpr,
    BLOCK_N: tl.constexpr,
):
    """loss[n] = 1 / C * sum_{j < len_n} sum_{c not a target} max(0, 1 - x[n, t[n, j]] + x[n, c]),
    len_n = the number of entries before the first negative one (repeated targets count twice,
    as torch). Also writes is_target for the backward.

    Grid: (cdiv(N, BLOCK_M),). One program: BLOCK_M rows; per BLOCK_N-column chunk, one pass
    over the C target slots marks the chunk's target columns, a second adds the hinge terms."""
    rows = tl.program_id(0).to(tl.int64) * BLOCK_M + tl.arange(0, BLOCK_M).to(tl.int64)
    rmask = rows < N
    x_row = rows * x_stride_n
    t_row = rows * t_stride_n
    cols = tl.arange(0, BLOCK_N).to(tl.int64)[None, :]
    acc = tl.zeros([BLOCK_M, BLOCK_N], ACC)
    for n0 in range(0, C, BLOCK_N):
        c = n0 + cols
        cmask = rmask[:, None] & (c < C)
        x = tl.load(x_ptr + x_row[:, None] + c * x_stride_c, mask=cmask, other=0).to(ACC)
        is_t = tl.zeros([BLOCK_M, BLOCK_N], tl.int32)
        alive = rmask
        for j in range(0, C):
            tj = tl.load(t_ptr + t_row + j * t_stride_c, mask=rmask, other=-1)
            alive = alive & (tj >= 0)
            is_t = tl.where(alive[:, None] & (c == tj[:, None]), 1, is_t)
        tl.store(is_t_ptr + (rows * C)[:, None] + c, is_t.to(tl.uint8), mask=cmask)
        keep = cmask & (is_t == 0)
        alive = rmask
        for j in range(0, C):
            tj = tl.load(t_ptr + t_row + j * t_stride_c, mask=rmask, other=-1)
            alive = alive & (tj >= 0)
            xt = tl.load(x_ptr + x_row + tj * x_stride_c, mask=alive, other=0).to(ACC)
            z = 1 - xt[:, None] + x
            acc += tl.where(keep & alive[:, None] & (z > 0), z, 0.0)
    loss = tl.sum(acc, axis=1) / C
    tl.store(out_ptr + rows, loss.to(out_ptr.dtype.element_ty), mask=rmask)


@jit
def _multilabel_margin_bwd_kernel(
    x_ptr,        # (N, C) strided input
    x_stride_n, x_stride_c,
    t_ptr,        # (N, C) int64 targets, as the forward
    t_stride_n, t_stride_c,
    is_t_ptr,     # (N, C) contiguous uint8 is_target from the forward
    go_ptr,       # (N,) gradient of the per-row losses (stride 0 for a reduced loss)
    go_stride,
    dx_ptr,       # (N, C) contiguous d loss / d input, input dtype
    N, C,
    scale_bits,   # float64 bits of 1 / C ('none', 'sum') or 1 / (N C) ('mean')
    ACC: tl.constexpr,
    BLOCK_M: tl.constexpr,
    BLOCK_N: tl.constexpr,
):
    """With g_n = grad_output[n] * scale: a non-target column c gets g_n times the number of live
    target slots j with 1 - x[n, t[n, j]] + x[n, c] > 0; a target column c gets -g_n times (the
    number of live slots holding c) times (the number of non-target columns d with
    1 - x[n, c] + x[n, d] > 0) -- torch's loop, regrouped so that every element is a sum over the
    row computed and written by one program.

    Grid: (cdiv(N, BLOCK_M),). One program: BLOCK_M rows, per BLOCK_N-column chunk a pass over the
    C target slots and a pass over the C columns (loads of single columns for all its rows)."""
    rows = tl.program_id(0).to(tl.int64) * BLOCK_M + tl.arange(0, BLOCK_M).to(tl.int64)
    rmask = rows < N
    x_row = rows * x_stride_n
    t_row = rows * t_stride_n
    it_row = rows * C
    g = tl.load(go_ptr + rows * go_stride, mask=rmask, other=0).to(ACC) * f64_param(scale_bits, ACC)
    cols = tl.arange(0, BLOCK_N).to(tl.int64)[None, :]
    for n0 in range(0, C, BLOCK_N):
        c = n0 + cols
        cmask = rmask[:, None] & (c < C)
        x = tl.load(x_ptr + x_row[:, None] + c * x_stride_c, mask=cmask, other=0).to(ACC)
        not_t = tl.load(is_t_ptr + it_row[:, None] + c, mask=cmask, other=1) == 0
        mult = tl.zeros([BLOCK_M, BLOCK_N], ACC)     # live slots holding this column
        hits = tl.zeros([BLOCK_M, BLOCK_N], ACC)     # live slots whose hinge is active here
        alive = rmask
        for j in range(0, C):
            tj = tl.load(t_ptr + t_row + j * t_stride_c, mask=rmask, other=-1)
            alive = alive & (tj >= 0)
            mult += tl.where(alive[:, None] & (c == tj[:, None]), 1.0, 0.0)
            xt = tl.load(x_ptr + x_row + tj * x_stride_c, mask=alive, other=0).to(ACC)
            hits += tl.where(alive[:, None] & not_t & (1 - xt[:, None] + x > 0), 1.0, 0.0)
        active = tl.zeros([BLOCK_M, BLOCK_N], ACC)   # non-target columns d this (target) column loses to
        for d in range(0, C):
            xd = tl.load(x_ptr + x_row + d * x_stride_c, mask=rmask, other=0).to(ACC)
            d_not_t = tl.load(is_t_ptr + it_row + d, mask=rmask, other=1) == 0
            active += tl.where(d_not_t[:, None] & (1 - x + xd[:, None] > 0), 1.0, 0.0)
        dx = g[:, None] * (hits - mult * active)
        tl.store(dx_ptr + it_row[:, None] + c, dx.to(dx_ptr.dtype.element_ty), mask=cmask)


# ------------------------------------------------------------------------------ launchers
def _acc(dtype):
    return tl.float64 if dtype.itemsize == 8 else tl.float32


def _tile(N: int, C: int, dev):
    """(BLOCK_M, BLOCK_N, num_warps): the row in chunks of up to _MAX_BLOCK_N columns, rows packed
    until the tile holds _GPU_TILE (interpreter: _INTERP_TILE) elements."""
    block_n = max(16, min(next_power_of_2(max(C, 1)), _MAX_BLOCK_N))
    tile = _INTERP_TILE if is_interpreted(dev) else _GPU_TILE
    block_m = max(1, min(tile // block_n, next_power_of_2(max(N, 1))))
    warps = 1 if is_interpreted(dev) else (4 if block_m * block_n <= 2048 else 8)
    return block_m, block_n, warps


def _rows_out(N: int, reduce: bool, out_dtype, dev):
    from ..runtime import dtypes as dt
    from ..tensor import Tensor
    acc = dt.float64 if out_dtype.itemsize == 8 else dt.float32
    return Tensor._empty((N,), acc if reduce else out_dtype, dev)


def _finish(rows, reduction: str, out_dtype, N: int):
    """The per-row losses reduced to a 0-d tensor ('sum', 'mean'), or returned as they are."""
    from ..tensor import Tensor
    from .loss import finish_sum
    if reduction == "none":
        return rows
    res = Tensor._empty((), out_dtype, rows.device)
    return finish_sum(rows, res, divisor=float(N) if reduction == "mean" else None)


def multi_margin_fwd(x, xs, t, ts, w, ws, N: int, C: int, *, p: int, margin: float, reduction: str):
    """x: input viewed as (N, C) through strides ``xs``; t: (N,) int64 via stride ``ts``; w: (C,)
    or None via ``ws``. Returns (N,) per-row losses ('none') or the reduced 0-d loss."""
    rows = _rows_out(N, reduction != "none", x.dtype, x.device)
    block_m, block_n, warps = _tile(N, C, x.device)
    if N:
        launch(_multi_margin_fwd_kernel, (cdiv(N, block_m),), x, xs[0], xs[1], t, ts, w if w is not None else x,
               ws, rows, N, C, float_bits(margin), P=p, HAS_WEIGHT=w is not None, ACC=_acc(x.dtype),
               BLOCK_M=block_m, BLOCK_N=block_n, num_warps=warps)
    return _finish(rows, reduction, x.dtype, N)


def multi_margin_bwd(go, go_stride: int, x, xs, t, ts, w, ws, N: int, C: int, *, p: int, margin: float,
                     scale: float):
    """(N, C) contiguous d loss / d input in x's dtype."""
    from ..tensor import Tensor
    dx = Tensor._empty((N, C), x.dtype, x.device)
    block_m, block_n, warps = _tile(N, C, x.device)
    if N:
        launch(_multi_margin_bwd_kernel, (cdiv(N, block_m),), x, xs[0], xs[1], t, ts, w if w is not None else x,
               ws, go, go_stride, dx, N, C, float_bits(margin), float_bits(scale), P=p,
               HAS_WEIGHT=w is not None, ACC=_acc(x.dtype), BLOCK_M=block_m, BLOCK_N=block_n, num_warps=warps)
    return dx


def multilabel_margin_fwd(x, xs, t, ts, N: int, C: int, *, reduction: str):
    """x, t: (N, C) through strides ``xs``/``ts``. Returns (loss, is_target) with is_target (N, C)
    uint8 contiguous for the backward."""
    from ..runtime import dtypes as dt
    from ..tensor import Tensor
    rows = _rows_out(N, reduction != "none", x.dtype, x.device)
    is_t = Tensor._empty((N, C), dt.uint8, x.device)
    block_m, block_n, warps = _tile(N, C, x.device)
    if N:
        launch(_multilabel_margin_fwd_kernel, (cdiv(N, block_m),), x, xs[0], xs[1], t, ts[0], ts[1], is_t, rows,
               N, C, ACC=_acc(x.dtype), BLOCK_M=block_m, BLOCK_N=block_n, num_warps=warps)
    return _finish(rows, reduction, x.dtype, N), is_t


def multilabel_margin_bwd(go, go_stride: int, x, xs, t, ts, is_t, N: int, C: int, *, scale: float):
    """(N, C) contiguous d loss / d input in x's dtype."""
    from ..tensor import Tensor
    dx = Tensor._empty((N, C), x.dtype, x.device)
    block_m, block_n, warps = _tile(N, C, x.device)
    if N:
        launch(_multilabel_margin_bwd_kernel, (cdiv(N, block_m),), x, xs[0], xs[1], t, ts[0], ts[1], is_t, go,
               go_stride, dx, N, C, float_bits(scale), ACC=_acc(x.dtype), BLOCK_M=block_m, BLOCK_N=block_n,
               num_warps=warps)
    return dx
