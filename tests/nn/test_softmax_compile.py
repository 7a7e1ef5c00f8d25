"""The softmax kernels compile for a real GPU (sm_90) where none is present: Triton's compiler and
ptxas run on the CPU, catching GPU-only compile errors (loop-carried running max/sum types,
constexpr branches) the interpreter cannot."""
import pytest
import triton
import triton.language as tl
from triton.backends.compiler import GPUTarget

from tnn.kernels import softmax as K

SM90 = GPUTarget("cuda", 90, 32)


def _compile(fn, signature, constexprs):
    src = triton.compiler.ASTSource(fn=fn, signature=signature, constexprs=constexprs)
    return triton.compile(src, target=SM90)


# (x dtype, y dtype, LOG, NEGATE, ACC, KRANK, ONE_PASS, BLOCK_M, BLOCK_N): a packed short-row fp16
# softmax, a looped (online) bf16 log-softmax, fp32 -> fp64 dtype= cast softmin over 2 row dims.
FWD_CASES = [
    ("fp16", "fp16", False, False, tl.float32, 1, True, 8, 512),
    ("bf16", "bf16", True, False, tl.float32, 1, False, 1, 16384),
    ("fp32", "fp64", False, True, tl.float64, 2, True, 4, 256),
]

@pytest.mark.parametrize("xd,yd,log,neg,acc,krank,one_pass,bm,bn", FWD_CASES)
def test_softmax_fwd_kernel_compiles(xd, yd, log, neg, acc, krank, one_pass, bm, bn):
    sig = {"x_ptr": f"*{xd}", "y_ptr": f"*{yd}", "M": "i32", "N": "i32", "m_sizes": ("i32",) * krank,
           "x_m_strides": ("i64",) * krank, "y_m_strides": ("i64",) * krank, "x_stride_n": "i64",
           "y_stride_n": "i64", "LOG": "constexpr", "NEGATE": "constexpr", "ACC": "constexpr",
           "KRANK": "constexpr", "ONE_PASS": "constexpr", "BLOCK_M": "constexpr", "BLOCK_N": "constexpr"}
    k = _compile(K._softmax_fwd_kernel, sig, {"LOG": log, "NEGATE": neg, "ACC": acc, "KRANK": krank,
                                              "ONE_PASS": one_pass, "BLOCK_M": bm, "BLOCK_N": bn})
    assert k.asm["cubin"]

# (y dtype, dx dtype, LOG, ACC, ONE_PASS): both backward forms, one-pass and looped.
BWD_CASES = [
    ("fp32", "fp16", False, tl.float32, True),
    ("bf16", "bf16", True, tl.float32, False),
    ("fp64", "fp64", False, tl.float64, False),
]

@pytest.mark.parametrize("yd,dd,log,acc,one_pass", BWD_CASES)
def test_softmax_bwd_kernel_compiles(yd, dd, log, acc, one_pass):
    sig = {"y_ptr": f"*{yd}", "dy_ptr": f"*{yd}", "dx_ptr": f"*{dd}", "M": "i32", "N": "i32",
           "m_sizes": ("i32",), "y_m_strides": ("i64",), "dy_m_strides": ("i64",), "dx_m_strides": ("i64",),
           "y_stride_n": "i64", "dy_stride_n": "i64", "dx_stride_n": "i64", "LOG": "constexpr",
           "NEGATE": "constexpr", "ACC": "constexpr", "KRANK": "constexpr", "ONE_PASS": "constexpr",
           "BLOCK_M": "constexpr", "BLOCK_N": "constexpr"}
    k = _compile(K._softmax_bwd_kernel, sig, {"LOG": log, "NEGATE": not log, "ACC": acc, "KRANK": 1,
                                              "ONE_PASS": one_pass, "BLOCK_M": 2, "BLOCK_N": 1024})
    assert k.asm["cubin"]
