"""The embedding kernels (gather, segment-sum backward, renorm) compile for a real GPU (sm_90)
without one: Triton's compiler and ptxas run on the CPU."""
import pytest
import triton
import triton.language as tl
from triton.backends.compiler import GPUTarget

from tnn.kernels import embedding as K

SM90 = GPUTarget("cuda", 90, 32)


def _compile(fn, types, constexprs, ptr):
    sig = {n: ("constexpr" if n in constexprs else types.get(n, ptr if n.endswith("_ptr") else "i32"))
           for n in fn.arg_names}
    src = triton.compiler.ASTSource(fn=fn, signature=sig, constexprs=constexprs)
    k = triton.compile(src, target=SM90, options=dict(num_warps=4))
    assert k.asm["cubin"]


@pytest.mark.parametrize("idx,ptr,rank", [("*i64", "*fp32", 1), ("*i32", "*bf16", 2)])
def test_embedding_fwd_compiles(idx, ptr, rank):
    _compile(K._embedding_fwd_kernel, {"idx_ptr": idx, "idx_sizes": ("i32",) * rank,
                                       "idx_strides": ("i32",) * rank},
             dict(RANK=rank, BLOCK_I=8, BLOCK_D=256), ptr)


@pytest.mark.parametrize("ptr,acc,by_freq", [("*fp16", tl.float32, True), ("*fp64", tl.float64, False)])
def test_embedding_bwd_compiles(ptr, acc, by_freq):
    _compile(K._embedding_bwd_kernel, {"perm_ptr": "*i64", "starts_ptr": "*i64", "rows_ptr": "*i64"},
             dict(SCALE_BY_FREQ=by_freq, ACC=acc, BLOCK_J=16, BLOCK_D=256), ptr)


@pytest.mark.parametrize("norm", ["2", "p"])
def test_embedding_renorm_compiles(norm):
    _compile(K._embedding_renorm_kernel, {"rows_ptr": "*i64", "max_norm_bits": "i64", "norm_type_bits": "i64"},
             dict(NORM=norm, ACC=tl.float32, BLOCK_D=1024), "*bf16")
