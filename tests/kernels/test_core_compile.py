"""The core kernels compile for a real GPU (sm_90) even where none is present: Triton's compiler
and ptxas run on the CPU, so CI catches GPU-only compile errors that the interpreter cannot."""
import pytest
import triton
from triton.backends.compiler import GPUTarget

from tnn.kernels import copy as C, creation as R

SM90 = GPUTarget("cuda", 90, 32)


def _compile(fn, signature, constexprs):
    src = triton.compiler.ASTSource(fn=fn, signature=signature, constexprs=constexprs)
    return triton.compile(src, target=SM90)


@pytest.mark.parametrize("src,dst", [("fp32", "bf16"), ("fp16", "i1"), ("i64", "fp32")])
def test_copy_kernel_compiles(src, dst):
    sig = {"src_ptr": f"*{src}", "dst_ptr": f"*{dst}", "numel": "i64", "sizes": ("i64", "i64"),
           "src_strides": ("i64", "i64"), "dst_strides": ("i64", "i64"), "RANK": "constexpr", "BLOCK": "constexpr"}
    k = _compile(C._copy_kernel, sig, {"RANK": 2, "BLOCK": 1024})
    assert k.asm["cubin"]


def test_fill_and_ramp_kernels_compile():
    sig = {"dst_ptr": "*fp16", "value": "fp32", "numel": "i64", "sizes": ("i64",), "dst_strides": ("i64",),
           "RANK": "constexpr", "BLOCK": "constexpr"}
    assert _compile(C._fill_kernel, sig, {"RANK": 1, "BLOCK": 1024}).asm["cubin"]
    sig = {"out_ptr": "*fp64", "n": "i64", "start_bits": "i64", "step_bits": "i64", "end_bits": "i64",
           "SYMMETRIC": "constexpr", "BLOCK": "constexpr"}
    assert _compile(R._ramp_kernel, sig, {"SYMMETRIC": True, "BLOCK": 1024}).asm["cubin"]
