"""Reductions over a (M kept rows, R reduced) problem, and the cumulative sum along a row.

Every kernel here sees its input as a 2-D strided problem: row ``m`` (0 <= m < M) enumerates the
kept dims in row-major order and sits at ``strided_offsets(m, m_sizes, m_strides, KRANK)``; the
reduced elements of a row are ``R`` apart by ``stride_r``. The ops layer (tnn/ops/reduce.py)
permutes the reduced dims to the end and collapses them to one (R, stride_r), copying to a
contiguous layout first when they do not collapse. Outputs are contiguous over M.

One program owns a (BLOCK_M, BLOCK_R) tile: BLOCK_M rows, walked along R in BLOCK_R chunks, so
rows of any length work. Each tile lane keeps its own running state (sum, max and index, ...)
and the lanes are combined once at the end. Row reductions (stride_r == 1) get a wide BLOCK_R;
column reductions (rows contiguous, stride_r large, e.g. reducing dim 0 of a matrix) get a wide
BLOCK_M, so each chunk load is coalesced along the rows either way.

Accumulation: fp32 for fp16/bf16/fp32, fp64 for fp64, int64 for integers (the ACC constexpr).
Kernels assume R >= 1: empty reductions are filled by the ops layer.
"""
import triton.language as tl

from .creation import float_bits
from .launch import cdiv, is_interpreted, jit, launch, next_power_of_2, row_config
from .helpers import f64_from_bits, row_offsets

# PRE: transform of each element before reducing (norms, all/any).
PRE_NONE, PRE_ABS, PRE_SQUARE, PRE_POW, PRE_NONZERO = 0, 1, 2, 3, 4
# OP: how elements combine.
OP_SUM, OP_PROD, OP_MAX, OP_MIN = 0, 1, 2, 3
# POST: transform of the reduced value (mean, 2-norm, p-norm).
POST_NONE, POST_MEAN, POST_SQRT, POST_ROOT = 0, 1, 2, 3






@jit
def _reduce_kernel(
    x_ptr,        # (M, R) strided input, any dtype
    out_ptr,      # (M, n_split) contiguous output
    M,            # kept rows
    R,            # reduced length (>= 1)
    m_sizes,      # tuple of KRANK kept sizes
    m_strides,    # tuple of KRANK kept strides (elements)
    stride_r,     # stride of the reduced dim (elements)
    r_per_prog,   # reduced elements per program along grid axis 1 (R unless split)
    n_bits,       # float64 bits: the divisor of POST_MEAN
    p_bits,       # float64 bits: the power of PRE_POW / POST_ROOT
    PRE: tl.constexpr,    # PRE_* code
    OP: tl.constexpr,     # OP_* code
    POST: tl.constexpr,   # POST_* code
    ACC: tl.constexpr,    # accumulator dtype
    KRANK: tl.constexpr,
    BLOCK_M: tl.constexpr,
    BLOCK_R: tl.constexpr,
):
    """out[m, s] = POST(OP over r in slice s of PRE(x[m, r])).

    Grid: (cdiv(M, BLOCK_M), n_split). One program reduces BLOCK_M rows over its slice of
    r_per_prog reduced elements, in BLOCK_R chunks; n_split > 1 writes per-slice partials that a
    second launch (PRE_NONE) combines. MAX/MIN propagate NaN and need no identity: in the first
    chunk, lanes past the slice re-read its first element (harmless for an idempotent op), and later
    chunks leave masked lanes unchanged. SUM/PROD mask lanes to 0/1.
    """
    pid_m = tl.program_id(0)
    pid_s = tl.program_id(1)
    rows = pid_m.to(tl.int64) * BLOCK_M + tl.arange(0, BLOCK_M)
    rmask = rows < M
    row_off = row_offsets(rows, m_sizes, m_strides, KRANK)[:, None]
    cols = tl.arange(0, BLOCK_R)
    r_start = pid_s.to(tl.int64) * r_per_prog
    r_end = tl.minimum(r_start + r_per_prog, R)
    p = f64_from_bits(p_bits).to(ACC)
    if OP == 1:
        acc = tl.full([BLOCK_M, BLOCK_R], 1, ACC)
    else:
        acc = tl.zeros([BLOCK_M, BLOCK_R], ACC)
    if OP >= 2:
        # Peeled first chunk: every lane starts from a real element, so no identity is needed.
        c = r_start + cols
        c = tl.where(c < r_end, c, r_start)
        x = tl.load(x_ptr + row_off + c[None, :] * stride_r, mask=rmask[:, None])
        acc = _pre(x, p, PRE, ACC)
        first = r_start + BLOCK_R
    else:
        first = r_start
    for r0 in range(first, r_end, BLOCK_R):
        c = r0 + cols
        valid = rmask[:, None] & (c < r_end)[None, :]
        x = tl.load(x_ptr + row_off + c[None, :] * stride_r, mask=valid, other=0)
        v = _pre(x, p, PRE, ACC)
        if OP == 2:
            acc = tl.where(valid & ((v > acc) | (v != v)), v, acc)
        elif OP == 3:
            acc = tl.where(valid & ((v < acc) | (v != v)), v, acc)
        elif OP == 0:
            acc += tl.where(valid, v, 0)
        else:
            acc *= tl.where(valid, v, 1)
    if OP == 0:
        res = tl.sum(acc, axis=1)
    elif OP == 1:
        # Product of the lanes: the last column of their running product.
        res = tl.sum(tl.where(cols[None, :] == BLOCK_R - 1, tl.cumprod(acc, axis=1), 0), axis=1)
    else:
        res = _nan_max_min(acc, OP == 2)
    if POST == 1:
        res = res / f64_from_bits(n_bits).to(ACC)
    elif POST == 2:
        res = tl.sqrt(res)
    elif POST == 3:
        res = tl.exp2(tl.log2(res) / p)
    if out_ptr.dtype.element_ty == tl.int1:
        res = res != 0
    tl.store(out_ptr + rows * tl.num_programs(1) + pid_s, res.to(out_ptr.dtype.element_ty), mask=rmask)


@jit
def _pre(x, p, PRE: tl.constexpr, ACC: tl.constexpr):
    """The element transform of _reduce_kernel, in the accumulator dtype."""
    if PRE == 4:
        v = (x != 0).to(ACC)
    else:
        v = x.to(ACC)
        if PRE == 1:
            v = tl.abs(v)
        elif PRE == 2:
            v = v * v
        elif PRE == 3:
            v = tl.exp2(p * tl.log2(tl.abs(v)))
    return v


@jit
def _nan_max_min(acc, IS_MAX: tl.constexpr):
    """Max (or min) of each row of a (BLOCK_M, BLOCK_R) tile; NaN if the row holds one."""
    if acc.dtype.is_floating():
        isnan = acc != acc
        if IS_MAX:
            res = tl.max(tl.where(isnan, float("-inf"), acc), axis=1)
        else:
            res = tl.min(tl.where(isnan, float("inf"), acc), axis=1)
        res = tl.where(tl.max(isnan.to(tl.int32), axis=1) > 0, float("nan"), res)
    else:
        if IS_MAX:
            res = tl.max(acc, axis=1)
        else:
            res = tl.min(acc, axis=1)
    return res


@jit
def _argreduce_kernel(
    x_ptr,        # (M, R) strided input
    val_ptr,      # (M,) contiguous values (written if WRITE_VALUES)
    idx_ptr,      # (M,) contiguous int64 indices
    M,
    R,            # reduced length (>= 1)
    m_sizes,      # tuple of KRANK kept sizes
    m_strides,    # tuple of KRANK kept strides
    stride_r,
    IS_MAX: tl.constexpr,
    WRITE_VALUES: tl.constexpr,
    ACC: tl.constexpr,
    KRANK: tl.constexpr,
    BLOCK_M: tl.constexpr,
    BLOCK_R: tl.constexpr,
):
    """idx[m] = first r maximising (minimising) x[m, r]; val[m] = that x. NaN counts as the
    extreme (the first NaN wins), as torch.

    Grid: (cdiv(M, BLOCK_M),). One program keeps a running (best, index) per tile lane over the
    row's BLOCK_R chunks (online: each element read once), then picks the best lane, ties going
    to the smallest index. In the first chunk, lanes past R re-read element 0 of the row with
    index 0, which never changes the answer; later chunks leave masked lanes unchanged."""
    rows = tl.program_id(0).to(tl.int64) * BLOCK_M + tl.arange(0, BLOCK_M)
    rmask = rows < M
    row_off = row_offsets(rows, m_sizes, m_strides, KRANK)[:, None]
    cols = tl.arange(0, BLOCK_R).to(tl.int64)
    c = tl.where(cols < R, cols, 0)
    best = tl.load(x_ptr + row_off + c[None, :] * stride_r, mask=rmask[:, None]).to(ACC)
    bidx = tl.zeros([BLOCK_M, BLOCK_R], tl.int64) + c[None, :]
    for r0 in range(BLOCK_R, R, BLOCK_R):
        c = r0 + cols
        valid = rmask[:, None] & (c < R)[None, :]
        x = tl.load(x_ptr + row_off + c[None, :] * stride_r, mask=valid, other=0).to(ACC)
        if IS_MAX:
            take = valid & ((x > best) | ((x != x) & (best == best)))
        else:
            take = valid & ((x < best) | ((x != x) & (best == best)))
        best = tl.where(take, x, best)
        bidx = tl.where(take, c[None, :], bidx)
    m = _nan_max_min(best, IS_MAX)
    idx = tl.min(tl.where(best == m[:, None], bidx, R), axis=1)
    if best.dtype.is_floating():
        nan_idx = tl.min(tl.where(best != best, bidx, R), axis=1)
        idx = tl.where(nan_idx < R, nan_idx, idx)
    tl.store(idx_ptr + rows, idx, mask=rmask)
    if WRITE_VALUES:
        v = m
        if val_ptr.dtype.element_ty == tl.int1:
            v = v != 0
        tl.store(val_ptr + rows, v.to(val_ptr.dtype.element_ty), mask=rmask)


@jit
def _var_kernel(
    x_ptr,        # (M, R) strided float input
    out_ptr,      # (M,) contiguous output
    M,
    R,            # reduced length (>= 1)
    m_sizes,
    m_strides,
    stride_r,
    dof_bits,     # float64 bits: max(R - correction, 0)
    STD: tl.constexpr,  # write sqrt(var)
    ACC: tl.constexpr,
    KRANK: tl.constexpr,
    BLOCK_M: tl.constexpr,
    BLOCK_R: tl.constexpr,
):
    """out[m] = sum_r (x[m, r] - mean_m)^2 / dof (its square root with STD), by the corrected
    two-pass algorithm: pass 1 computes the mean, pass 2 sums d = x - mean and d^2, and
    var = (sum d^2 - (sum d)^2 / R) / dof, stable for large means.

    Grid: (cdiv(M, BLOCK_M),). One program reads its BLOCK_M rows twice in BLOCK_R chunks."""
    rows = tl.program_id(0).to(tl.int64) * BLOCK_M + tl.arange(0, BLOCK_M)
    rmask = rows < M
    row_off = row_offsets(rows, m_sizes, m_strides, KRANK)[:, None]
    cols = tl.arange(0, BLOCK_R).to(tl.int64)
    s = tl.zeros([BLOCK_M, BLOCK_R], ACC)
    for r0 in range(0, R, BLOCK_R):
        c = r0 + cols
        valid = rmask[:, None] & (c < R)[None, :]
        s += tl.load(x_ptr + row_off + c[None, :] * stride_r, mask=valid, other=0).to(ACC)
    n = R.to(ACC)
    mean = tl.sum(s, axis=1) / n
    s1 = tl.zeros([BLOCK_M, BLOCK_R], ACC)
    s2 = tl.zeros([BLOCK_M, BLOCK_R], ACC)
    for r0 in range(0, R, BLOCK_R):
        c = r0 + cols
        valid = rmask[:, None] & (c < R)[None, :]
        x = tl.load(x_ptr + row_off + c[None, :] * stride_r, mask=valid, other=0).to(ACC)
        d = tl.where(valid, x - mean[:, None], 0)
        s1 += d
        s2 += d * d
    t1 = tl.sum(s1, axis=1)
    m2 = tl.sum(s2, axis=1) - t1 * t1 / n
    m2 = tl.where(m2 < 0, 0.0, m2)  # rounding can leave a tiny negative; NaN stays NaN
    res = m2 / f64_from_bits(dof_bits).to(ACC)
    if STD:
        res = tl.sqrt(res)
    tl.store(out_ptr + rows, res.to(out_ptr.dtype.element_ty), mask=rmask)


@jit
def _logsumexp_kernel(
    x_ptr,        # (M, R) strided input
    out_ptr,      # (M,) contiguous float output
    M,
    R,            # reduced length (>= 1)
    m_sizes,
    m_strides,
    stride_r,
    ACC: tl.constexpr,
    KRANK: tl.constexpr,
    BLOCK_M: tl.constexpr,
    BLOCK_R: tl.constexpr,
):
    """out[m] = log(sum_r exp(x[m, r])), stable: each lane keeps a running max mx and a sum
    s = sum exp(x - mx), rescaled when mx grows; lanes merge against the row max. A row whose max
    is +-inf gives that max (all -inf -> -inf, any +inf -> +inf); NaN propagates.

    Grid: (cdiv(M, BLOCK_M),). One program reads its BLOCK_M rows once in BLOCK_R chunks."""
    rows = tl.program_id(0).to(tl.int64) * BLOCK_M + tl.arange(0, BLOCK_M)
    rmask = rows < M
    row_off = row_offsets(rows, m_sizes, m_strides, KRANK)[:, None]
    cols = tl.arange(0, BLOCK_R).to(tl.int64)
    mx = tl.full([BLOCK_M, BLOCK_R], float("-inf"), ACC)
    s = tl.zeros([BLOCK_M, BLOCK_R], ACC)
    for r0 in range(0, R, BLOCK_R):
        c = r0 + cols
        valid = rmask[:, None] & (c < R)[None, :]
        x = tl.load(x_ptr + row_off + c[None, :] * stride_r, mask=valid, other=float("-inf")).to(ACC)
        new = tl.where((x > mx) | (x != x), x, mx)
        alpha = tl.where(mx == new, 1.0, tl.exp(mx - new))
        term = tl.where(x == new, 1.0, tl.exp(x - new))
        s = s * alpha + tl.where(valid, term, 0.0)
        mx = new
    row_max = _nan_max_min(mx, True)
    safe = tl.where((row_max == float("inf")) | (row_max == float("-inf")), 0.0, row_max)
    total = tl.sum(s * tl.exp(mx - safe[:, None]), axis=1)
    res = tl.where(safe == row_max, safe + tl.log(total), row_max)
    tl.store(out_ptr + rows, res.to(out_ptr.dtype.element_ty), mask=rmask)


@jit
def _cumsum_kernel(
    x_ptr,          # (M, R) strided input
    out_ptr,        # (M, R) strided output
    M,
    R,
    m_sizes,        # tuple of KRANK kept sizes
    x_m_strides,    # tuple of KRANK kept strides of x
    out_m_strides,  # tuple of KRANK kept strides of out
    x_stride_r,
    out_stride_r,
    ACC: tl.constexpr,
    KRANK: tl.constexpr,
    BLOCK_M: tl.constexpr,
    BLOCK_R: tl.constexpr,
):
    """out[m, r] = sum_{j <= r} x[m, j], accumulated in ACC.

    Grid: (cdiv(M, BLOCK_M),). One program scans its BLOCK_M rows chunk by chunk: tl.cumsum
    within a (BLOCK_M, BLOCK_R) chunk plus a per-row carry of everything before it."""
    rows = tl.program_id(0).to(tl.int64) * BLOCK_M + tl.arange(0, BLOCK_M)
    rmask = rows < M
    x_row = row_offsets(rows, m_sizes, x_m_strides, KRANK)[:, None]
    o_row = row_offsets(rows, m_sizes, out_m_strides, KRANK)[:, None]
    cols = tl.arange(0, BLOCK_R).to(tl.int64)
    carry = tl.zeros([BLOCK_M], ACC)
    for r0 in range(0, R, BLOCK_R):
        c = r0 + cols
        valid = rmask[:, None] & (c < R)[None, :]
        x = tl.load(x_ptr + x_row + c[None, :] * x_stride_r, mask=valid, other=0)
        if x.dtype == tl.int1:
            x = x.to(tl.int8)
        x = x.to(ACC)
        y = tl.cumsum(x, axis=1) + carry[:, None]
        carry += tl.sum(x, axis=1)
        tl.store(out_ptr + o_row + c[None, :] * out_stride_r, y.to(out_ptr.dtype.element_ty), mask=valid)


# ---------------------------------------------------------------------------- launchers
_INTERP_TILE = 1 << 16   # elements per program under the interpreter
_GPU_TILE = 4096         # elements per program on a GPU
_GPU_MIN_PROGRAMS = 264  # below this many programs a long reduction is split over R


def tile_config(M: int, R: int, column: bool, dev) -> tuple[int, int, int]:
    """(BLOCK_M, BLOCK_R, num_warps) for an (M, R) problem. ``column``: rows are contiguous
    (kept stride 1) and the reduced dim is not, so the tile is wide along M for coalescing."""
    if is_interpreted(dev):
        br, warps = row_config(R, dev)
        return min(next_power_of_2(max(M, 1)), max(1, _INTERP_TILE // br)), br, warps
    if column:
        bm = min(next_power_of_2(max(M, 1)), 128)
        br = min(next_power_of_2(max(R, 1)), max(1, _GPU_TILE // bm))
    else:
        br, _ = row_config(R, dev, max_block=1024)
        bm = min(next_power_of_2(max(M, 1)), max(1, _GPU_TILE // br))
    return bm, br, (4 if bm * br <= 2048 else 8)


def _acc_dtype(dtype):
    """The accumulator for a dtype (a tnn dtype): fp32 for 16/32-bit floats, fp64, int64."""
    if dtype.category == 2:
        return tl.float64 if dtype.itemsize == 8 else tl.float32
    return tl.int64


def _exact_acc(dtype):
    """A dtype that holds every value of ``dtype`` exactly, for max/min/argmax (bool -> int8)."""
    from ..runtime import dtypes as dt
    if dtype in (dt.float16, dt.bfloat16):
        return tl.float32
    return tl.int8 if dtype is dt.bool_ else dtype.tl


def reduce(x, out, M, R, m_sizes, m_strides, stride_r, *, op, pre=PRE_NONE, post=POST_NONE, p=1.0,
           n=None, column=False, split=None):
    """Launch _reduce_kernel: out (M,) contiguous = POST(OP over R of PRE(x)).

    SUM/PROD accumulate per out's dtype, MAX/MIN in x's own (exact) type, PRE_NONZERO counts in
    int32. ``split``: number of R slices of a two-stage reduction (None: chosen from the problem,
    never on the interpreter); stage one writes (M, split) partials in the accumulator dtype.
    ``n``: the divisor of POST_MEAN (default R)."""
    assert R >= 1
    from ..runtime import dtypes as dt
    if op in (OP_SUM, OP_PROD):
        ACC = _acc_dtype(out.dtype)
    elif pre == PRE_NONZERO:
        ACC = tl.int32
    else:
        ACC = _exact_acc(x.dtype)
    bm, br, warps = tile_config(M, R, column, out.device)
    if split is None:
        split = 1
        progs = cdiv(M, bm)
        if not is_interpreted(out.device) and progs < _GPU_MIN_PROGRAMS and R > 4 * br:
            split = min(cdiv(R, br), cdiv(_GPU_MIN_PROGRAMS * 2, progs))
    per = cdiv(R, max(1, min(split, R)))
    if per < R:
        per = cdiv(per, br) * br   # slices start on chunk boundaries
    split = cdiv(R, per)
    common = dict(PRE=pre, OP=op, ACC=ACC, KRANK=len(m_sizes), BLOCK_M=bm, BLOCK_R=br, num_warps=warps)
    args = (M, R, tuple(m_sizes), tuple(m_strides), stride_r, per, float_bits(R if n is None else n), float_bits(p))
    if split == 1:
        launch(_reduce_kernel, (cdiv(M, bm), 1), x, out, *args, POST=post, **common)
        return out
    from ..tensor import Tensor
    part_dtype = {str(d.tl): d for d in dt.ALL}[str(ACC)]
    part = Tensor._empty((M, split), part_dtype, out.device)
    launch(_reduce_kernel, (cdiv(M, bm), split), x, part, *args, POST=POST_NONE, **common)
    return reduce(part, out, M, split, (M,), (split,), 1, op=op, post=post, p=p, n=R if n is None else n, split=1)


def argreduce(x, values, indices, M, R, m_sizes, m_strides, stride_r, *, is_max, column=False):
    """Launch _argreduce_kernel: indices (M,) int64 and, unless ``values`` is None, values (M,)."""
    assert R >= 1
    ACC = _exact_acc(x.dtype)
    bm, br, warps = tile_config(M, R, column, indices.device)
    launch(_argreduce_kernel, (cdiv(M, bm),), x, indices if values is None else values, indices, M, R,
           tuple(m_sizes), tuple(m_strides), stride_r, IS_MAX=is_max, WRITE_VALUES=values is not None, ACC=ACC,
           KRANK=len(m_sizes), BLOCK_M=bm, BLOCK_R=br, num_warps=warps)


def var(x, out, M, R, m_sizes, m_strides, stride_r, *, correction=1.0, std=False, column=False):
    """Launch _var_kernel: out (M,) = var (or std) over R with divisor max(R - correction, 0)."""
    assert R >= 1
    bm, br, warps = tile_config(M, R, column, out.device)
    launch(_var_kernel, (cdiv(M, bm),), x, out, M, R, tuple(m_sizes), tuple(m_strides), stride_r,
           float_bits(max(R - correction, 0.0)), STD=std, ACC=_acc_dtype(out.dtype), KRANK=len(m_sizes),
           BLOCK_M=bm, BLOCK_R=br, num_warps=warps)


def logsumexp(x, out, M, R, m_sizes, m_strides, stride_r, *, column=False):
    """Launch _logsumexp_kernel: out (M,) float = log-sum-exp over R."""
    assert R >= 1
    bm, br, warps = tile_config(M, R, column, out.device)
    launch(_logsumexp_kernel, (cdiv(M, bm),), x, out, M, R, tuple(m_sizes), tuple(m_strides), stride_r,
           ACC=_acc_dtype(out.dtype), KRANK=len(m_sizes), BLOCK_M=bm, BLOCK_R=br, num_warps=warps)


def cumsum(x, out, M, R, m_sizes, x_m_strides, out_m_strides, x_stride_r, out_stride_r, *, column=False):
    """Launch _cumsum_kernel: out = running sum of x along R, accumulated per out's dtype."""
    bm, br, warps = tile_config(M, R, column, out.device)
    launch(_cumsum_kernel, (cdiv(M, bm),), x, out, M, R, tuple(m_sizes), tuple(x_m_strides),
           tuple(out_m_strides), x_stride_r, out_stride_r, ACC=_acc_dtype(out.dtype), KRANK=len(m_sizes),
           BLOCK_M=bm, BLOCK_R=br, num_warps=warps)
