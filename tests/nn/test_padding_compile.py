"""The padding kernels compile for a real GPU (sm_90) where none is present: Triton's compiler and
ptxas run on the CPU, catching GPU-only compile errors (tuple-indexed per-dim loops, constexpr mode
branches, the runtime-bounded replicate loop) the interpreter cannot."""
import pytest
import triton
import triton.language as tl
from triton.backends.compiler import GPUTarget

from tnn.kernels import padding as K

SM90 = GPUTarget("cuda", 90, 32)


def _compile(fn, signature, constexprs):
    src = triton.compiler.ASTSource(fn=fn, signature=signature, constexprs=constexprs)
    return triton.compile(src, target=SM90)


# (x dtype, y dtype, MODE, RANK): constant fp16 over 3 dims, reflect bf16 3-d, circular fp32 5-d
@pytest.mark.parametrize("xd,yd,mode,rank", [("fp16", "fp16", K.CONSTANT, 3), ("bf16", "bf16", K.REFLECT, 3),
                                             ("fp32", "fp32", K.CIRCULAR, 5)])
def test_pad_fwd_kernel_compiles(xd, yd, mode, rank):
    t = ("i64",) * rank
    sig = {"x_ptr": f"*{xd}", "y_ptr": f"*{yd}", "numel": "i64", "out_sizes": t, "in_sizes": t, "x_strides": t,
           "before": t, "crop": t, "period": t, "value_bits": "i64", "MODE": "constexpr", "RANK": "constexpr",
           "BLOCK": "constexpr"}
    assert _compile(K._pad_fwd_kernel, sig, {"MODE": mode, "RANK": rank, "BLOCK": 1024}).asm["cubin"]


# (g dtype, dx dtype, MODE, AXIS, ACC): first pass fp16 -> fp32 intermediate, last pass fp32 -> bf16
@pytest.mark.parametrize("gd,dd,mode,axis,acc", [("fp16", "fp32", K.REPLICATE, 3, tl.float32),
                                                 ("fp32", "bf16", K.REFLECT, 2, tl.float32),
                                                 ("fp64", "fp64", K.CIRCULAR, 3, tl.float64)])
def test_pad_bwd_kernel_compiles(gd, dd, mode, axis, acc):
    t = ("i64",) * 4
    sig = {"g_ptr": f"*{gd}", "dx_ptr": f"*{dd}", "numel": "i64", "dx_sizes": t, "g_strides": t, "n_out": "i64",
           "n_in": "i64", "before": "i64", "crop": "i64", "period": "i64", "nslots": "i32", "MODE": "constexpr",
           "AXIS": "constexpr", "ACC": "constexpr", "RANK": "constexpr", "BLOCK": "constexpr"}
    k = _compile(K._pad_bwd_kernel, sig, {"MODE": mode, "AXIS": axis, "ACC": acc, "RANK": 4, "BLOCK": 1024})
    assert k.asm["cubin"]
