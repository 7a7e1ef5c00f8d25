"""The linear kernels compile for a real GPU (sm_90) without one: Triton's compiler and ptxas run
on the CPU. The fused GEMM is compiled with the tiles the launcher picks for big problems, and the
PTX shows fp16/bf16 (and tf32) on Hopper tensor cores and IEEE fp32 on FMA units."""
import pytest
import triton
import triton.language as tl
from triton.backends.compiler import GPUTarget

import tnn
from tnn.kernels import linear as K
from tnn.kernels.matmul import matmul_config

SM90 = GPUTarget("cuda", 90, 32)
CUDA = tnn.device("cuda", 0)   # names the config table's target; nothing is queried
_PTR = {tnn.float16: "*fp16", tnn.bfloat16: "*bf16", tnn.float32: "*fp32", tnn.float64: "*fp64"}


def _compile(fn, types: dict, constexprs: dict, ptr: str, aligned=(), **options):
    names = fn.arg_names
    sig = {}
    for n in names:
        if n in constexprs:
            sig[n] = "constexpr"
        elif n in types:
            sig[n] = types[n]
        elif n.endswith("_ptr"):
            sig[n] = ptr
        else:
            sig[n] = "i32"
    attrs = {(names.index(n),): [["tt.divisibility", 16]] for n in aligned}
    src = triton.compiler.ASTSource(fn=fn, signature=sig, constexprs=constexprs, attrs=attrs)
    k = triton.compile(src, target=SM90, options=options)
    assert k.asm["cubin"]
    return k.asm["ptx"]


def _gemm(dtype, activation="none", bias=True, pre=False, rowsum=False, allow_tf32=False, M=4096, N=4096, Kd=4096):
    cfg = matmul_config(M, N, Kd, dtype, CUDA, allow_tf32)
    ce = dict(HAS_BIAS=bias, ACTIVATION=activation, STORE_PRE=pre, ROW_SUM=rowsum,
              stride_ak=1, stride_bk=1, stride_cn=1, **K._gemm_constexprs(dtype, cfg, allow_tf32))
    types = {"rowsum_ptr": _PTR[tnn.float32 if dtype is not tnn.float64 else dtype]} if rowsum else {}
    return _compile(K._linear_kernel, types, ce, _PTR[dtype],
                    aligned=("a_ptr", "b_ptr", "c_ptr", "M", "N", "K", "stride_am", "stride_bn", "stride_cm"),
                    num_warps=cfg.num_warps, num_stages=cfg.num_stages)


@pytest.mark.parametrize("dtype,activation", [(tnn.float16, "gelu"), (tnn.bfloat16, "relu")])
def test_fused_epilogue_gemm_uses_tensor_cores(dtype, activation):
    ptx = _gemm(dtype, activation, pre=activation == "gelu")
    assert "wgmma.mma_async" in ptx


def test_fp32_ieee_and_tf32_with_row_sum():
    assert "wgmma.mma_async" not in _gemm(tnn.float32, "gelu_tanh", rowsum=True)
    assert "wgmma.mma_async" in _gemm(tnn.float32, "none", bias=False, rowsum=True, allow_tf32=True)


def test_fp64_gemm_compiles():
    _gemm(tnn.float64, "gelu", pre=True, M=512, N=512, Kd=512)


@pytest.mark.parametrize("dtype,activation,acc", [(tnn.bfloat16, "gelu", tl.float32),
                                                  (tnn.float32, "gelu_tanh", tl.float32),
                                                  (tnn.float64, "none", tl.float64)])
def test_act_bwd_kernel_compiles(dtype, activation, acc):
    ce = dict(ACTIVATION=activation, WRITE_DZ=activation != "none", COL_SUM=True, ACC_DTYPE=acc,
              BLOCK_M=32, BLOCK_N=128, stride_dyn=1, stride_sn=1, stride_dzn=1)
    _compile(K._linear_act_bwd_kernel, {"part_ptr": "*fp32" if acc == tl.float32 else "*fp64"}, ce, _PTR[dtype],
             num_warps=4)
