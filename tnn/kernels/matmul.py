"""Batched tiled GEMM: C[b] = A[b] @ B[b] over strided operands, the kernel behind matmul, mm,
bmm and (later) Linear.

One kernel serves every dtype. Floating inputs multiply with ``tl.dot`` (fp32 accumulation for
fp16/bf16/fp32, fp64 for fp64); integer inputs, which ``tl.dot`` does not take (it knows int8 only),
multiply by broadcast-multiply-sum in int64. The output has the input dtype. Tile shapes come from
``matmul_config`` below: a small table for GPUs, big tiles for the interpreter; on a GPU, problems
big enough to matter are autotuned over ``TUNE_CONFIGS`` (``tuned_config``, kernels/autotune.py).
"""
from __future__ import annotations

from typing import NamedTuple

import triton.language as tl

from ..runtime import dtypes as dt
from ..shape import coalesce, numel
from . import autotune as _autotune
from .launch import cdiv, is_interpreted, jit, launch, next_power_of_2


@jit
def _matmul_kernel(
    a_ptr,              # (*batch, M, K) strided
    b_ptr,              # (*batch, K, N) strided
    c_ptr,              # (*batch, M, N) strided
    M, N, K,            # matrix sizes
    batch_sizes,        # tuple of BATCH_RANK sizes (the broadcast batch shape)
    a_batch_strides,    # tuple of BATCH_RANK strides of A (0 where A is broadcast)
    stride_am, stride_ak,
    b_batch_strides,    # tuple of BATCH_RANK strides of B (0 where B is broadcast)
    stride_bk, stride_bn,
    c_batch_strides,    # tuple of BATCH_RANK strides of C
    stride_cm, stride_cn,
    BATCH_RANK: tl.constexpr,
    BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr,
    GROUP_M: tl.constexpr,           # tile rows per group in the swizzled program order
    ACC_DTYPE: tl.constexpr,         # tl.float32, tl.float64 or tl.int64
    INPUT_PRECISION: tl.constexpr,   # "ieee" or "tf32" (fp32 inputs only)
    USE_DOT: tl.constexpr,           # False: broadcast-multiply-sum (integers)
):
    """C[b, m, n] = sum_k A[b, m, k] * B[b, k, n] for every batch index b of ``batch_sizes``.

    Any strides (batch strides may be 0 for broadcast operands). Accumulates in ACC_DTYPE and
    writes C in its own dtype.

    Grid: (batch * cdiv(M, BLOCK_M) * cdiv(N, BLOCK_N),). One program computes one
    BLOCK_M x BLOCK_N tile of one batch entry, walking K in steps of BLOCK_K. Tiles are visited
    in groups of GROUP_M tile rows (Triton tutorial 03), so programs running together share
    columns of B and rows of A in L2.
    """
    pid = tl.program_id(0)
    num_pid_m = tl.cdiv(M, BLOCK_M)
    num_pid_n = tl.cdiv(N, BLOCK_N)
    tiles = num_pid_m * num_pid_n
    pid_b = pid // tiles
    tile = pid % tiles
    # Swizzle: within a group of GROUP_M tile rows, go down the column before moving right.
    group = GROUP_M * num_pid_n
    first_m = (tile // group) * GROUP_M
    group_m = tl.minimum(num_pid_m - first_m, GROUP_M)
    pid_m = first_m + (tile % group) % group_m
    pid_n = (tile % group) // group_m

    # Batch index -> element offsets of this batch entry in A, B and C (int64: tensors may be big).
    rem = pid_b.to(tl.int64)
    a_off = rem * 0
    b_off = rem * 0
    c_off = rem * 0
    for d in tl.static_range(BATCH_RANK - 1, -1, -1):
        i = rem % batch_sizes[d]
        rem = rem // batch_sizes[d]
        a_off += i * a_batch_strides[d]
        b_off += i * b_batch_strides[d]
        c_off += i * c_batch_strides[d]

    offs_m = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
    offs_n = pid_n * BLOCK_N + tl.arange(0, BLOCK_N)
    offs_k = tl.arange(0, BLOCK_K)
    # int64 offsets: a transposed operand's K stride times BLOCK_K may pass 2**31.
    offs_k64 = offs_k.to(tl.int64)
    a_ptrs = a_ptr + a_off + offs_m[:, None].to(tl.int64) * stride_am + offs_k64[None, :] * stride_ak
    b_ptrs = b_ptr + b_off + offs_k64[:, None] * stride_bk + offs_n[None, :].to(tl.int64) * stride_bn
    a_step = BLOCK_K * tl.cast(stride_ak, tl.int64)
    b_step = BLOCK_K * tl.cast(stride_bk, tl.int64)
    mask_m = offs_m[:, None] < M
    mask_n = offs_n[None, :] < N

    acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=ACC_DTYPE)
    for k in range(0, tl.cdiv(K, BLOCK_K)):
        k_left = K - k * BLOCK_K
        a = tl.load(a_ptrs, mask=mask_m & (offs_k[None, :] < k_left), other=0)   # (BLOCK_M, BLOCK_K)
        b = tl.load(b_ptrs, mask=(offs_k[:, None] < k_left) & mask_n, other=0)   # (BLOCK_K, BLOCK_N)
        if USE_DOT:
            acc = tl.dot(a, b, acc, input_precision=INPUT_PRECISION, out_dtype=ACC_DTYPE)
        else:
            acc += tl.sum(a.to(ACC_DTYPE)[:, :, None] * b.to(ACC_DTYPE)[None, :, :], axis=1)
        a_ptrs += a_step
        b_ptrs += b_step

    c_ptrs = c_ptr + c_off + offs_m[:, None].to(tl.int64) * stride_cm + offs_n[None, :].to(tl.int64) * stride_cn
    tl.store(c_ptrs, acc.to(c_ptr.dtype.element_ty), mask=mask_m & mask_n)


# ---------------------------------------------------------------------------------- configs
class MatmulConfig(NamedTuple):
    BLOCK_M: int
    BLOCK_N: int
    BLOCK_K: int
    GROUP_M: int
    num_warps: int
    num_stages: int


# GPU tile table, per operand kind, from the largest tile down. A row is used when the problem
# (all batch entries) fills at least ``min_tiles`` tiles of it (about one wave of an H100's 132 SMs for the big ones),
# so large problems get big tiles and skinny ones small tiles. Edit here to tune.
#   kind: (min_tiles, MatmulConfig(BLOCK_M, BLOCK_N, BLOCK_K, GROUP_M, num_warps, num_stages))
GPU_CONFIGS = {
    "f16": [  # fp16 / bf16 on tensor cores
        (128, MatmulConfig(128, 256, 64, 8, 8, 3)),
        (64, MatmulConfig(128, 128, 64, 8, 4, 4)),
        (0, MatmulConfig(64, 64, 64, 8, 4, 4)),
    ],
    "tf32": [  # fp32 with allow_tf32: tensor cores on tf32 inputs
        (128, MatmulConfig(128, 128, 32, 8, 8, 3)),
        (0, MatmulConfig(64, 64, 32, 8, 4, 4)),
    ],
    "f32": [  # fp32 in IEEE precision: FMA units, no tensor cores
        (128, MatmulConfig(128, 128, 16, 8, 8, 3)),
        (0, MatmulConfig(64, 64, 16, 8, 4, 3)),
    ],
    "f64": [
        (0, MatmulConfig(64, 64, 16, 8, 4, 3)),
    ],
    "int": [  # broadcast-multiply-sum: the (BLOCK_M, BLOCK_K, BLOCK_N) product lives in registers
        (0, MatmulConfig(32, 32, 8, 8, 4, 2)),
    ],
}

# The interpreter runs each program as NumPy calls on whole tiles: fewer, bigger tiles are faster.
_INTERP_MAX_TILE = 128
_INTERP_MAX_K_NO_DOT = 32  # the integer path materialises BLOCK_M * BLOCK_K * BLOCK_N products


def _kind(dtype, allow_tf32: bool) -> str:
    if dtype.category != 2:
        return "int"
    if dtype is dt.float64:
        return "f64"
    if dtype is dt.float32:
        return "tf32" if allow_tf32 else "f32"
    return "f16"


def _small_m_config(M: int, N: int, kind: str) -> MatmulConfig | None:
    """Skinny problems (a few rows, as in decoding): a short BLOCK_M wastes less of each tile."""
    if M > 32 or kind not in ("f16", "tf32"):
        return None
    block_m = 16 if M <= 16 else 32
    return MatmulConfig(block_m, 64 if N <= 1024 else 128, 64 if kind == "f16" else 32, 1, 4, 4)


def matmul_config(M: int, N: int, K: int, dtype, device, allow_tf32: bool = False, batch: int = 1) -> MatmulConfig:
    """Tile shape, warps and pipeline depth for ``batch`` (M, K) @ (K, N) products of ``dtype``."""
    kind = _kind(dtype, allow_tf32)
    if is_interpreted(device):
        bm = min(max(16, next_power_of_2(M)), _INTERP_MAX_TILE)
        bn = min(max(16, next_power_of_2(N)), _INTERP_MAX_TILE)
        bk = min(max(16, next_power_of_2(K)), _INTERP_MAX_TILE if kind != "int" else _INTERP_MAX_K_NO_DOT)
        return MatmulConfig(bm, bn, bk, 8, 1, 1)
    small = _small_m_config(M, N, kind)
    if small is not None:
        return small
    for min_tiles, cfg in GPU_CONFIGS[kind]:
        if batch * cdiv(M, cfg.BLOCK_M) * cdiv(N, cfg.BLOCK_N) >= min_tiles:
            return cfg
    return GPU_CONFIGS[kind][-1][1]


# Autotuning (kernels/autotune.py), GPU only: the candidates timed once per bucketed problem, per
# kind -- the shapes of Triton's matmul tutorial for sm_90 plus the table above. Skinny problems
# (M bucket <= 32) also try short BLOCK_M tiles. Problems under TUNE_MIN_WORK multiply-adds keep
# the table's pick: they are launch-bound, and tuning them would only cost compile time.
TUNE_CONFIGS = {
    "f16": [
        MatmulConfig(128, 256, 64, 8, 8, 3), MatmulConfig(128, 128, 64, 8, 4, 4),
        MatmulConfig(64, 256, 32, 8, 4, 4), MatmulConfig(128, 128, 32, 8, 4, 4),
        MatmulConfig(128, 64, 32, 8, 4, 4), MatmulConfig(64, 128, 32, 8, 4, 4),
        MatmulConfig(128, 32, 32, 8, 4, 4), MatmulConfig(64, 64, 64, 8, 4, 4),
        MatmulConfig(64, 32, 32, 8, 2, 5), MatmulConfig(32, 64, 32, 8, 2, 5),
    ],
    "tf32": [
        MatmulConfig(128, 128, 32, 8, 8, 3), MatmulConfig(128, 256, 32, 8, 8, 3),
        MatmulConfig(128, 128, 32, 8, 4, 4), MatmulConfig(128, 64, 32, 8, 4, 4),
        MatmulConfig(64, 128, 32, 8, 4, 4), MatmulConfig(64, 64, 32, 8, 4, 4),
    ],
    "f32": [
        MatmulConfig(128, 128, 16, 8, 8, 3), MatmulConfig(128, 64, 32, 8, 4, 3),
        MatmulConfig(64, 128, 32, 8, 4, 3), MatmulConfig(64, 64, 32, 8, 4, 4),
        MatmulConfig(64, 64, 16, 8, 4, 3), MatmulConfig(32, 64, 32, 8, 4, 3),
    ],
}
TUNE_SKINNY = {
    "f16": [MatmulConfig(16, 64, 64, 1, 4, 4), MatmulConfig(16, 128, 64, 1, 4, 4),
            MatmulConfig(32, 64, 64, 1, 4, 4), MatmulConfig(32, 128, 64, 1, 4, 3)],
    "tf32": [MatmulConfig(16, 64, 32, 1, 4, 4), MatmulConfig(16, 128, 32, 1, 4, 4),
             MatmulConfig(32, 64, 32, 1, 4, 4)],
}
TUNE_MIN_WORK = 1 << 24


def tune_candidates(kind: str, m_bucket: int) -> list:
    """The configs timed for a key: a function of the key alone, so a cached choice always names one."""
    cands = (TUNE_SKINNY.get(kind, []) if m_bucket <= 32 else []) + TUNE_CONFIGS.get(kind, [])
    return list(dict.fromkeys(cands))


def tuned_config(kernel_name: str, M: int, N: int, K: int, dtype, device, allow_tf32: bool, batch: int,
                 layout: tuple, run) -> MatmulConfig:
    """``matmul_config``'s pick, or on a GPU (for problems worth it) the fastest candidate for the
    bucketed problem, timed once through ``run(cfg)`` and remembered on disk (kernels/autotune.py).
    ``layout`` names what else changes the best tile (which operand strides are unit)."""
    cfg = matmul_config(M, N, K, dtype, device, allow_tf32, batch)
    if is_interpreted(device) or not _autotune.ENABLED or M * N * K * batch < TUNE_MIN_WORK:
        return cfg
    kind = _kind(dtype, allow_tf32)
    mb, nb, kb = _autotune.bucket_mnk(M, N, K)
    cands = tune_candidates(kind, mb)
    if not cands:
        return cfg
    key = (kind, dtype.name, mb, nb, kb, _autotune.bucket(batch, 1), tuple(bool(x) for x in layout))
    return _autotune.tune(kernel_name, key, cands, run, device)


def kernel_constexprs(dtype, cfg: MatmulConfig, batch_rank: int, allow_tf32: bool = False) -> dict:
    """The constexpr arguments of _matmul_kernel for inputs of ``dtype`` (shared with the compile test)."""
    if dtype.category != 2:
        acc = tl.int64
    elif dtype is dt.float64:
        acc = tl.float64
    else:
        acc = tl.float32
    return dict(
        BATCH_RANK=batch_rank, BLOCK_M=cfg.BLOCK_M, BLOCK_N=cfg.BLOCK_N, BLOCK_K=cfg.BLOCK_K,
        GROUP_M=cfg.GROUP_M, ACC_DTYPE=acc,
        INPUT_PRECISION="tf32" if (allow_tf32 and dtype is dt.float32) else "ieee",
        USE_DOT=dtype.category == 2,
    )


# ---------------------------------------------------------------------------------- launcher
def _fold_rows(t) -> tuple[int, int] | None:
    """(rows, row_stride) when t's batch dims and its row dim merge into one strided dim, else None."""
    sizes, (strides,) = coalesce(tuple(t.shape[:-1]), tuple(t.stride()[:-1]))
    return (sizes[0], strides[0]) if len(sizes) == 1 else None


def matmul(a, b, c, allow_tf32: bool = False, config: MatmulConfig | None = None):
    """c = a @ b for a (*batch, M, K), b (*batch, K, N), c (*batch, M, N), any strides.

    The three share one batch shape (broadcast operands carry stride 0 there). K may be 0: c is
    then zeros. When b is the same matrix for every batch entry and a's and c's batch dims merge
    into their rows, one (batch*M, K) @ (K, N) product runs instead (bigger tiles, as torch folds).
    ``config`` overrides the tile table, for tuning and benchmarks."""
    batch_shape = tuple(a.shape[:-2])
    M, K, N = a.shape[-2], a.shape[-1], b.shape[-1]
    sizes, bstrides = coalesce(batch_shape, a.stride()[:-2], b.stride()[:-2], c.stride()[:-2])
    a_rows, c_rows = a.stride(-2), c.stride(-2)
    if batch_shape and all(s == 0 for s in bstrides[1]):
        fa, fc = _fold_rows(a), _fold_rows(c)
        if fa is not None and fc is not None:
            (M, a_rows), (_, c_rows) = fa, fc
            sizes, bstrides = (1,), [(0,), (0,), (0,)]
    batch = numel(sizes)

    def run(cfg):
        grid = (batch * cdiv(M, cfg.BLOCK_M) * cdiv(N, cfg.BLOCK_N),)
        launch(_matmul_kernel, grid,
               a, b, c, M, N, K, sizes,
               bstrides[0], a_rows, a.stride(-1),
               bstrides[1], b.stride(-2), b.stride(-1),
               bstrides[2], c_rows, c.stride(-1),
               num_warps=cfg.num_warps, num_stages=cfg.num_stages,
               **kernel_constexprs(a.dtype, cfg, len(sizes), allow_tf32))

    run(config or tuned_config("matmul", M, N, K, a.dtype, c.device, allow_tf32, batch,
                               (a.stride(-1) == 1, b.stride(-1) == 1), run))
