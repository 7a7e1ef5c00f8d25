"""Linear layers: a tiled GEMM with a fused epilogue (bias, activation, the pre-activation kept for
backward) and a fused row-sum output, plus the activation-backward / bias-gradient pass.

    forward   Y  = act(X @ W^T + b)        _linear_kernel (A = X, B = W^T as a strided view)
    backward  dZ = dY * act'(Z), db = sum_m dZ    _linear_act_bwd_kernel (one pass over dY)
              dX = dZ @ W                  _linear_kernel, no epilogue
              dW = dZ^T @ X (+ db = row sums of dZ^T when no pass over dY gave it)  _linear_kernel

Everything is 2-D: the functional layer folds the leading batch dims of X and dY into rows, so a
(B, T, C) input is one (B*T, C) GEMM, never a batch loop. Tile shapes come from the matmul
family's table (``kernels.matmul.matmul_config``), autotuned on a GPU (``tuned_config``); fp32
multiplies in IEEE precision unless tf32 is allowed. The activation-backward pass reduces dZ over
rows deterministically: each program sums a fixed range of rows into one fp32 partial row, and a
second launch of the same kernel sums the partial rows (no atomics), so repeated runs give
identical bits.
"""
from __future__ import annotations

import triton.language as tl

from ..runtime import dtypes as dt
from .elementwise import _tanh
from .launch import cdiv, is_interpreted, jit, launch, row_config
from .matmul import tuned_config

ACTIVATIONS = ("none", "relu", "gelu", "gelu_tanh")

# GELU's constants appear as literals in the kernels (the interpreter and the compiler see no
# module floats): 1/sqrt(2) = 0.7071067811865476, 1/sqrt(2 pi) = 0.3989422804014327,
# beta = sqrt(2/pi) = 0.7978845608028654, kappa = 0.044715.


@jit
def _activation(z, ACTIVATION: tl.constexpr, ACC: tl.constexpr):
    """act(z) in the accumulator dtype."""
    if ACTIVATION == "relu":
        y = tl.where(z < 0, 0.0, z).to(ACC)   # NaN stays NaN, as torch.relu
    elif ACTIVATION == "gelu":
        y = 0.5 * z * (1.0 + tl.math.erf(z * 0.7071067811865476))
    elif ACTIVATION == "gelu_tanh":
        y = 0.5 * z * (1.0 + _tanh(0.7978845608028654 * (z + 0.044715 * z * z * z), ACC))
    else:
        y = z
    return y


@jit
def _activation_grad(dy, s, ACTIVATION: tl.constexpr, ACC: tl.constexpr):
    """dz = dy * act'(z). ``s`` is the saved tensor: the output y for relu, z for the gelus."""
    if ACTIVATION == "relu":
        dz = tl.where(s > 0, dy, 0.0).to(ACC)  # threshold_backward: zero where y <= 0
    elif ACTIVATION == "gelu":
        cdf = 0.5 * (1.0 + tl.math.erf(s * 0.7071067811865476))
        pdf = tl.exp(-0.5 * s * s) * 0.3989422804014327
        dz = dy * (cdf + s * pdf)
    elif ACTIVATION == "gelu_tanh":
        t = _tanh(0.7978845608028654 * (s + 0.044715 * s * s * s), ACC)
        dinner = 0.7978845608028654 * (1.0 + 3.0 * 0.044715 * s * s)
        dz = dy * (0.5 * (1.0 + t) + 0.5 * s * (1.0 - t * t) * dinner)
    else:
        dz = dy
    return dz


@jit
def _linear_kernel(
    a_ptr, stride_am, stride_ak,       # A (M, K) strided
    b_ptr, stride_bk, stride_bn,       # B (K, N) strided (W^T of a (N, K) weight: swapped strides)
    c_ptr, stride_cm, stride_cn,       # C (M, N) strided, written: act(A @ B + bias)
    bias_ptr, stride_bias,             # bias (N,) strided (stride 0 broadcasts one value), or None
    pre_ptr, stride_pm, stride_pn,     # Z (M, N) strided, written with A @ B + bias when STORE_PRE, or None
    rowsum_ptr,                        # (M,) contiguous, written with sum_k A[m, k] when ROW_SUM, or None
    M, N, K,                           # matrix sizes
    HAS_BIAS: tl.constexpr,
    ACTIVATION: tl.constexpr,          # "none", "relu", "gelu" or "gelu_tanh"
    STORE_PRE: tl.constexpr,           # also write the pre-activation Z (backward of the gelus needs it)
    ROW_SUM: tl.constexpr,             # also write the row sums of A (db from the dW GEMM)
    BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr,
    GROUP_M: tl.constexpr,             # tile rows per group in the swizzled program order
    ACC_DTYPE: tl.constexpr,           # tl.float32 (fp16/bf16/fp32) or tl.float64
    INPUT_PRECISION: tl.constexpr,     # "ieee" or "tf32" (fp32 inputs only)
):
    """C = act(A @ B + bias) with fp32 (fp64 for fp64) accumulation; C, Z in their own dtypes.

    The row sums of A are accumulated from the same tiles the product loads (so db costs no extra
    read of dY) and stored by the programs of the first tile column only.

    Grid: (cdiv(M, BLOCK_M) * cdiv(N, BLOCK_N),). One program computes one BLOCK_M x BLOCK_N tile,
    walking K in steps of BLOCK_K; tiles are visited in groups of GROUP_M tile rows (Triton
    tutorial 03) so programs running together share rows of A and columns of B in L2."""
    pid = tl.program_id(0)
    num_pid_m = tl.cdiv(M, BLOCK_M)
    num_pid_n = tl.cdiv(N, BLOCK_N)
    group = GROUP_M * num_pid_n
    first_m = (pid // group) * GROUP_M
    group_m = tl.minimum(num_pid_m - first_m, GROUP_M)
    pid_m = first_m + (pid % group) % group_m
    pid_n = (pid % group) // group_m

    offs_m = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
    offs_n = pid_n * BLOCK_N + tl.arange(0, BLOCK_N)
    offs_k = tl.arange(0, BLOCK_K)
    offs_k64 = offs_k.to(tl.int64)
    # int64 offsets: rows * stride and a transposed operand's K stride * BLOCK_K may pass 2**31.
    a_ptrs = a_ptr + offs_m[:, None].to(tl.int64) * stride_am + offs_k64[None, :] * stride_ak
    b_ptrs = b_ptr + offs_k64[:, None] * stride_bk + offs_n[None, :].to(tl.int64) * stride_bn
    a_step = BLOCK_K * tl.cast(stride_ak, tl.int64)
    b_step = BLOCK_K * tl.cast(stride_bk, tl.int64)
    mask_m = offs_m[:, None] < M
    mask_n = offs_n[None, :] < N

    acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=ACC_DTYPE)
    rsum = tl.zeros((BLOCK_M,), dtype=ACC_DTYPE)
    for k in range(0, tl.cdiv(K, BLOCK_K)):
        k_left = K - k * BLOCK_K
        a = tl.load(a_ptrs, mask=mask_m & (offs_k[None, :] < k_left), other=0)   # (BLOCK_M, BLOCK_K)
        b = tl.load(b_ptrs, mask=(offs_k[:, None] < k_left) & mask_n, other=0)   # (BLOCK_K, BLOCK_N)
        acc = tl.dot(a, b, acc, input_precision=INPUT_PRECISION, out_dtype=ACC_DTYPE)
        if ROW_SUM:
            rsum += tl.sum(a.to(ACC_DTYPE), axis=1)
        a_ptrs += a_step
        b_ptrs += b_step

    if HAS_BIAS:
        bias = tl.load(bias_ptr + offs_n.to(tl.int64) * stride_bias, mask=offs_n < N, other=0)   # (BLOCK_N,)
        acc += bias.to(ACC_DTYPE)[None, :]
    mask = mask_m & mask_n
    if STORE_PRE:
        p_ptrs = pre_ptr + offs_m[:, None].to(tl.int64) * stride_pm + offs_n[None, :].to(tl.int64) * stride_pn
        tl.store(p_ptrs, acc.to(pre_ptr.dtype.element_ty), mask=mask)
    y = _activation(acc, ACTIVATION, ACC_DTYPE)
    c_ptrs = c_ptr + offs_m[:, None].to(tl.int64) * stride_cm + offs_n[None, :].to(tl.int64) * stride_cn
    tl.store(c_ptrs, y.to(c_ptr.dtype.element_ty), mask=mask)
    if ROW_SUM:
        tl.store(rowsum_ptr + offs_m, rsum.to(rowsum_ptr.dtype.element_ty), mask=offs_m < tl.where(pid_n == 0, M, 0))


@jit
def _linear_act_bwd_kernel(
    dy_ptr, stride_dym, stride_dyn,    # dY (M, N) strided
    s_ptr, stride_sm, stride_sn,       # saved (M, N) strided: y for relu, z for the gelus; None for "none"
    dz_ptr, stride_dzm, stride_dzn,    # dZ (M, N) strided, written when WRITE_DZ, or None
    part_ptr, stride_pr,               # (R, N) row-major: column sums of dZ over each program's rows, or None
    M, N,                              # sizes
    rows_per_prog,                     # rows per program along grid axis 1 (a multiple of BLOCK_M)
    ACTIVATION: tl.constexpr,          # "none", "relu", "gelu" or "gelu_tanh"
    WRITE_DZ: tl.constexpr,
    COL_SUM: tl.constexpr,             # write the column sums (the bias gradient, or its partials)
    ACC_DTYPE: tl.constexpr,           # tl.float32 or tl.float64
    BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr,
):
    """dZ = dY * act'(saved) and part[r, n] = sum of dZ[m, n] over the rows m of row range r.

    With ACTIVATION "none" and WRITE_DZ off this is a plain deterministic column reduction, which
    also serves as the second pass over the partial rows.

    Grid: (cdiv(N, BLOCK_N), R). Program (j, r) owns columns j*BLOCK_N .. +BLOCK_N and rows
    r*rows_per_prog .. min(M, (r+1)*rows_per_prog), walked top to bottom in BLOCK_M tiles."""
    pid_n = tl.program_id(0)
    pid_r = tl.program_id(1)
    offs_n = pid_n * BLOCK_N + tl.arange(0, BLOCK_N)
    mask_n = offs_n[None, :] < N
    offs_n64 = offs_n[None, :].to(tl.int64)
    row0 = pid_r.to(tl.int64) * rows_per_prog
    row_end = tl.minimum(row0 + rows_per_prog, M)
    col = tl.zeros((BLOCK_N,), dtype=ACC_DTYPE)
    for m0 in range(row0, row_end, BLOCK_M):
        rows = m0 + tl.arange(0, BLOCK_M)[:, None].to(tl.int64)      # (BLOCK_M, 1)
        mask = (rows < row_end) & mask_n
        dy = tl.load(dy_ptr + rows * stride_dym + offs_n64 * stride_dyn, mask=mask, other=0).to(ACC_DTYPE)
        if ACTIVATION != "none":
            s = tl.load(s_ptr + rows * stride_sm + offs_n64 * stride_sn, mask=mask, other=0).to(ACC_DTYPE)
            dz = _activation_grad(dy, s, ACTIVATION, ACC_DTYPE)
        else:
            dz = dy
        if WRITE_DZ:
            tl.store(dz_ptr + rows * stride_dzm + offs_n64 * stride_dzn, dz.to(dz_ptr.dtype.element_ty), mask=mask)
        if COL_SUM:
            col += tl.sum(tl.where(mask, dz, 0.0).to(ACC_DTYPE), axis=0)
    if COL_SUM:
        tl.store(part_ptr + pid_r.to(tl.int64) * stride_pr + offs_n, col.to(part_ptr.dtype.element_ty),
                 mask=offs_n < N)


# ---------------------------------------------------------------------------------- launchers
def _acc(dtype):
    return tl.float64 if dtype is dt.float64 else tl.float32


def _gemm_constexprs(dtype, cfg, allow_tf32: bool) -> dict:
    """Tile constexprs of _linear_kernel for inputs of ``dtype`` (shared with the compile test)."""
    return dict(BLOCK_M=cfg.BLOCK_M, BLOCK_N=cfg.BLOCK_N, BLOCK_K=cfg.BLOCK_K, GROUP_M=cfg.GROUP_M,
                ACC_DTYPE=_acc(dtype),
                INPUT_PRECISION="tf32" if (allow_tf32 and dtype is dt.float32) else "ieee")


def gemm(a, b, c, bias=None, activation: str = "none", pre=None, rowsum=None, allow_tf32: bool = False,
         config=None):
    """c = act(a @ b + bias) for 2-D a (M, K), b (K, N), c (M, N), any strides; bias (N,) or a
    single value (stride 0) or None; ``pre`` (M, N) receives a @ b + bias; ``rowsum`` (M,)
    contiguous receives the row sums of a. K may be 0 (c = act(bias))."""
    assert activation in ACTIVATIONS, activation
    M, K = a.shape
    N = b.shape[1]
    bias_stride = 0 if bias is None or bias.dim() == 0 or bias.shape[0] == 1 else bias.stride(0)
    ps = pre.stride() if pre is not None else (0, 0)

    def run(cfg):
        grid = (cdiv(M, cfg.BLOCK_M) * cdiv(N, cfg.BLOCK_N),)
        launch(_linear_kernel, grid,
               a, a.stride(0), a.stride(1),
               b, b.stride(0), b.stride(1),
               c, c.stride(0), c.stride(1),
               bias, bias_stride,
               pre, ps[0], ps[1],
               rowsum,
               M, N, K,
               HAS_BIAS=bias is not None, ACTIVATION=activation, STORE_PRE=pre is not None,
               ROW_SUM=rowsum is not None, num_warps=cfg.num_warps, num_stages=cfg.num_stages,
               **_gemm_constexprs(a.dtype, cfg, allow_tf32))

    run(config or tuned_config("linear", M, N, K, a.dtype, c.device, allow_tf32, 1,
                               (a.stride(1) == 1, b.stride(1) == 1, rowsum is not None), run))


def linear_fwd(x, weight, bias, out, activation: str = "none", pre=None, allow_tf32: bool = False):
    """out (M, N) = act(x (M, K) @ weight (N, K)^T + bias (N,)); ``pre`` (M, N) gets the
    pre-activation when given. weight is read through swapped strides, never transposed."""
    w_t = weight._view((weight.shape[1], weight.shape[0]), (weight.stride(1), weight.stride(0)))
    gemm(x, w_t, out, bias, activation, pre, allow_tf32=allow_tf32)


def linear_bwd_input(dz, weight, dx, allow_tf32: bool = False):
    """dx (M, K) = dz (M, N) @ weight (N, K)."""
    gemm(dz, weight, dx, allow_tf32=allow_tf32)


def linear_bwd_weight(dz, x, dw, db=None, allow_tf32: bool = False):
    """dw (N, K) = dz (M, N)^T @ x (M, K); db (N,) contiguous = column sums of dz, from the same
    tiles (the rows of dz^T), when given. Needs K >= 1 for db (else no program runs)."""
    dz_t = dz._view((dz.shape[1], dz.shape[0]), (dz.stride(1), dz.stride(0)))
    gemm(dz_t, x, dw, rowsum=db, allow_tf32=allow_tf32)


def _row_split(M: int, n_col_blocks: int, block_m: int, device) -> tuple[int, int]:
    """(R, rows_per_prog): one row range on the interpreter; on a GPU enough ranges for ~2 waves."""
    if is_interpreted(device) or M <= block_m:
        return 1, max(M, 1)
    want = max(1, min(cdiv(M, block_m), cdiv(264, n_col_blocks)))
    rows = cdiv(cdiv(M, want), block_m) * block_m
    return cdiv(M, rows), rows


def linear_act_bwd(dy, saved, dz, db, activation: str, rows_per_prog: int | None = None):
    """dz (M, N) = dy * act'(saved) (when dz is given) and db (N,) = column sums of dz (when db is
    given), in one pass over dy. Deterministic: fp32 partial rows, then a second pass.
    ``rows_per_prog`` overrides the row split (tests force the two-pass path with it)."""
    from ..tensor import Tensor
    M, N = dy.shape
    acc = _acc(dy.dtype)
    block_n, warps = row_config(N, dy.device, max_block=128 if not is_interpreted(dy.device) else 1 << 14)
    block_m = 32 if not is_interpreted(dy.device) else max(1, min((1 << 14) // block_n, 1 << 12))
    block_m = 1 << (block_m.bit_length() - 1)
    R, rows = _row_split(M, cdiv(N, block_n), block_m, dy.device)
    if rows_per_prog is not None:
        rows = max(1, int(rows_per_prog))
        R = max(1, cdiv(M, rows))
    part = db
    if db is not None and R > 1:
        part = Tensor._empty((R, N), dt.float64 if dy.dtype is dt.float64 else dt.float32, dy.device)
    ss = saved.stride() if saved is not None else (0, 0)
    zs = dz.stride() if dz is not None else (0, 0)
    launch(_linear_act_bwd_kernel, (cdiv(N, block_n), R),
           dy, dy.stride(0), dy.stride(1), saved, ss[0], ss[1], dz, zs[0], zs[1],
           part, N, M, N, rows,
           ACTIVATION=activation, WRITE_DZ=dz is not None, COL_SUM=db is not None, ACC_DTYPE=acc,
           BLOCK_M=block_m, BLOCK_N=block_n, num_warps=warps)
    if db is not None and R > 1:
        bm = 1 << max(0, (R - 1).bit_length())
        launch(_linear_act_bwd_kernel, (cdiv(N, block_n), 1),
               part, N, 1, None, 0, 0, None, 0, 0, db, N, R, N, R,
               ACTIVATION="none", WRITE_DZ=False, COL_SUM=True, ACC_DTYPE=acc,
               BLOCK_M=min(bm, 64), BLOCK_N=block_n, num_warps=warps)


def bias_grad(dy, db, rows_per_prog: int | None = None):
    """db (N,) = column sums of dy (M, N), deterministic."""
    linear_act_bwd(dy, None, None, db, "none", rows_per_prog)
