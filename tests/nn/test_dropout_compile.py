"""The dropout kernel compiles for a real GPU (sm_90) without one (Triton's compiler and ptxas on
the CPU), with its per-call scalars (seed, offset, threshold, coefficients) unspecialised."""
import pytest
import triton
import triton.language as tl
from triton.backends.compiler import GPUTarget

from tnn.kernels import dropout as K

SM90 = GPUTarget("cuda", 90, 32)


@pytest.mark.parametrize("ptr,compute,rank", [("*fp32", tl.float32, 1), ("*bf16", tl.float32, 3),
                                              ("*fp64", tl.float64, 2)])
def test_dropout_kernel_compiles(ptr, compute, rank):
    fn = K._dropout_fwd_kernel
    sig = {}
    for n in fn.arg_names:
        if n in ("RANK", "CHANNELS", "COMPUTE", "BLOCK"):
            sig[n] = "constexpr"
        elif n.endswith("_ptr"):
            sig[n] = ptr
        elif n in ("sizes", "x_strides", "out_strides"):
            sig[n] = ("i32",) * rank
        elif n in ("seed", "offset", "threshold", "scale_bits", "keep_shift_bits", "drop_bits"):
            sig[n] = "i64"
        else:
            sig[n] = "i32"
    constexprs = {"RANK": rank, "CHANNELS": rank == 3, "COMPUTE": compute, "BLOCK": 1024}
    src = triton.compiler.ASTSource(fn=fn, signature=sig, constexprs=constexprs)
    k = triton.compile(src, target=SM90, options=dict(num_warps=4))
    assert k.asm["cubin"]
