"""The convolution kernels compile for a real GPU (sm_90) where none is present: Triton's compiler
and ptxas run on the CPU, catching what the interpreter cannot (nested dynamic tap loops, tuple
arguments, the constexpr chunking branches). Configs come from the launchers' GPU tables, and
the PTX shows fp16/bf16 (and tf32) implicit GEMMs on Hopper tensor cores."""
import pytest
import triton
from triton.backends.compiler import GPUTarget

import tnn
from tnn.kernels import conv as K

SM90 = GPUTarget("cuda", 90, 32)
CUDA = tnn.device("cuda", 0)   # names the config tables' target; nothing is queried
_PTR = {tnn.float16: "*fp16", tnn.bfloat16: "*bf16", tnn.float32: "*fp32", tnn.float64: "*fp64"}
_TUPLES = {"x_strides": 5, "w_strides": 5, "y_strides": 5, "dy_strides": 5, "dx_strides": 5, "in_size": 3,
           "out_size": 3, "ksize": 3, "stride": 3, "padding": 3, "dilation": 3}


def _compile(fn, dtype, constexprs: dict, cfg, part=None):
    sig = {}
    for n in fn.arg_names:
        if n in constexprs:
            sig[n] = "constexpr"
        elif n in _TUPLES:
            sig[n] = ("i32",) * _TUPLES[n]
        elif n in ("dw_ptr", "db_ptr") and part is not None:
            sig[n] = part
        elif n.endswith("_ptr"):
            sig[n] = _PTR[dtype]
        else:
            sig[n] = "i32"
    src = triton.compiler.ASTSource(fn=fn, signature=sig, constexprs=constexprs)
    k = triton.compile(src, target=SM90, options=dict(num_warps=cfg.num_warps, num_stages=cfg.num_stages))
    assert k.asm["cubin"]
    return k.asm["ptx"]


def _gemm_ce(cfg, dtype, tf32=False, bias=True):
    return dict(HAS_BIAS=bias, USE_DOT=cfg.BLOCK_N > 1, GROUP_M=cfg.GROUP_M, BLOCK_M=cfg.BLOCK_M,
                BLOCK_N=cfg.BLOCK_N, BLOCK_C=cfg.BLOCK_C, BLOCK_R=cfg.BLOCK_R, ACC=K._acc(dtype),
                INPUT_PRECISION=K._precision(dtype, tf32))


# (dtype, allow_tf32, rows, cols, channels, kvol, groups): a ResNet 3x3 layer (one tap per chunk),
# the 7x7 stem (C=3: several taps per chunk), a depthwise 3x3 (1-wide tiles, multiply-sum), fp64.
GEMM_CASES = [
    (tnn.float16, False, 32 * 56 * 56, 64, 64, 9, 1),
    (tnn.bfloat16, False, 32 * 112 * 112, 64, 3, 49, 1),
    (tnn.float32, True, 32 * 28 * 28, 128, 128, 9, 1),
    (tnn.float32, False, 32 * 56 * 56, 1, 1, 9, 64),
    (tnn.float64, False, 1024, 32, 8, 27, 2),
]


@pytest.mark.parametrize("kernel", ["fwd", "bwd_input"])
@pytest.mark.parametrize("dtype,tf32,rows,cols,channels,kvol,groups", GEMM_CASES)
def test_gemm_kernels_compile(kernel, dtype, tf32, rows, cols, channels, kvol, groups):
    cfg = K.gemm_config(rows, cols, channels, kvol, groups, dtype, CUDA, tf32)
    fn = K._conv_fwd_kernel if kernel == "fwd" else K._conv_bwd_input_kernel
    ptx = _compile(fn, dtype, _gemm_ce(cfg, dtype, tf32, bias=kernel == "fwd"), cfg)
    if dtype in (tnn.float16, tnn.bfloat16) or tf32:
        assert "mma" in ptx
    if dtype is tnn.float32 and not tf32:
        assert "wgmma" not in ptx


# (dtype, c_out/groups, channels, kvol, M, groups)
WEIGHT_CASES = [
    (tnn.float16, 64, 64, 9, 32 * 56 * 56, 1),      # split reduction, one tap per column block
    (tnn.bfloat16, 64, 3, 49, 32 * 112 * 112, 1),   # stem: several taps per column block
    (tnn.float32, 1, 1, 9, 32 * 56 * 56, 64),       # depthwise: 1-row tiles
    (tnn.float64, 16, 8, 27, 4096, 1),
]


@pytest.mark.parametrize("dtype,cog,channels,kvol,M,groups", WEIGHT_CASES)
def test_weight_kernel_compiles(dtype, cog, channels, kvol, M, groups):
    cfg, split = K.weight_config(cog, channels, kvol, M, groups, dtype, CUDA)
    part = None if split == 1 else ("*fp64" if dtype is tnn.float64 else "*fp32")
    ce = dict(HAS_DB=True, USE_DOT=cfg.BLOCK_M > 1, GROUP_M=cfg.GROUP_M, BLOCK_M=cfg.BLOCK_M,
              BLOCK_C=cfg.BLOCK_C, BLOCK_R=cfg.BLOCK_R, BLOCK_K=cfg.BLOCK_K, ACC=K._acc(dtype),
              INPUT_PRECISION="ieee")
    _compile(K._conv_bwd_weight_kernel, dtype, ce, cfg, part)


@pytest.mark.parametrize("dtype", [tnn.float16, tnn.float64])
def test_split_sum_compiles(dtype):
    sig = {"part_ptr": "*fp64" if dtype is tnn.float64 else "*fp32", "out_ptr": _PTR[dtype], "numel": "i32",
           "SPLIT": "i32", "ACC": "constexpr", "BLOCK": "constexpr"}
    src = triton.compiler.ASTSource(fn=K._conv_split_sum_kernel, signature=sig,
                                    constexprs={"ACC": K._acc(dtype), "BLOCK": 1024})
    assert triton.compile(src, target=SM90).asm["cubin"]
