"""The GEMM kernel compiles for a real GPU (sm_90) with the configs the launcher picks, without a
GPU: Triton's compiler and ptxas run on the CPU. The PTX also shows the precision switch at work:
fp16/bf16 and tf32 use Hopper tensor cores (wgmma), IEEE fp32 uses FMA units."""
import pytest
import triton
from triton.backends.compiler import GPUTarget

import tnn
from tnn.kernels import matmul as K

SM90 = GPUTarget("cuda", 90, 32)
CUDA = tnn.device("cuda", 0)  # only names the target for the config table; nothing is queried
_PTR = {tnn.float16: "*fp16", tnn.bfloat16: "*bf16", tnn.float32: "*fp32", tnn.float64: "*fp64",
        tnn.int64: "*i64"}
# Runtime arguments that the JIT would mark 16-divisible for aligned, contiguous operands.
_ALIGNED = ("a_ptr", "b_ptr", "c_ptr", "M", "N", "K", "stride_am", "stride_bk", "stride_cm")
_TUPLES = ("batch_sizes", "a_batch_strides", "b_batch_strides", "c_batch_strides")


def _compile(dtype, M, N, Kdim, allow_tf32=False):
    """Compile the specialisation a launch of row-major operands would compile (unit inner strides)."""
    cfg = K.matmul_config(M, N, Kdim, dtype, CUDA, allow_tf32)
    constexprs = K.kernel_constexprs(dtype, cfg, 1, allow_tf32)
    constexprs.update(stride_ak=1, stride_bn=1, stride_cn=1)
    names = K._matmul_kernel.arg_names
    sig = {}
    for n in names:
        if n in constexprs:
            sig[n] = "constexpr"
        elif n.endswith("_ptr"):
            sig[n] = _PTR[dtype]
        elif n in _TUPLES:
            sig[n] = ("i32",)
        else:
            sig[n] = "i32"
    attrs = {(names.index(n),): [["tt.divisibility", 16]] for n in _ALIGNED}
    attrs.update({(names.index(n), 0): [["tt.divisibility", 16]] for n in _TUPLES})
    src = triton.compiler.ASTSource(fn=K._matmul_kernel, signature=sig, constexprs=constexprs, attrs=attrs)
    kernel = triton.compile(src, target=SM90, options=dict(num_warps=cfg.num_warps, num_stages=cfg.num_stages))
    assert kernel.asm["cubin"]
    return kernel.asm["ptx"]


@pytest.mark.parametrize("dtype", [tnn.float16, tnn.bfloat16])
def test_half_precision_uses_tensor_cores(dtype):
    ptx = _compile(dtype, 4096, 4096, 4096)
    assert "wgmma.mma_async" in ptx and "cp.async" in ptx  # tensor cores, pipelined loads


def test_skinny_config_compiles():
    assert "mma" in _compile(tnn.float16, 8, 4096, 4096)


def test_fp32_precision_switch():
    assert "wgmma.mma_async" not in _compile(tnn.float32, 1024, 1024, 1024)            # IEEE: FMA
    assert "wgmma.mma_async" in _compile(tnn.float32, 1024, 1024, 1024, allow_tf32=True)  # tf32


@pytest.mark.parametrize("dtype", [tnn.float64, tnn.int64])
def test_fp64_and_integer_paths_compile(dtype):
    _compile(dtype, 512, 512, 512)
