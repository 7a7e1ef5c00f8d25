"""The indexing kernels compile for a real GPU (sm_90) without one: catches code that only the
interpreter accepts (Python-level tricks, dtype mismatches in tl.where/store, bad loops)."""
import pytest

triton = pytest.importorskip("triton")
from triton.backends.compiler import GPUTarget  # noqa: E402
from triton.compiler import ASTSource  # noqa: E402

from tnn.kernels import index as K  # noqa: E402


def _tup(n, ty="i32"):
    return (ty,) * n


def _compile(fn, signature, constexprs):
    sig = dict(signature)
    for k in constexprs:
        sig[k] = "constexpr"
    c = triton.compile(ASTSource(fn=fn, signature=sig, constexprs=constexprs), target=GPUTarget("cuda", 90, 32))
    assert "ptx" in c.asm and len(c.asm["ptx"]) > 0


@pytest.mark.parametrize("idx_ty,first", [("*i64", True), ("*i32", False)])
def test_index_offsets_compiles(idx_ty, first):
    _compile(K._index_offsets_kernel,
             dict(acc_ptr="*i64", idx_ptr=idx_ty, numel="i64", sizes=_tup(2), acc_strides=_tup(2),
                  idx_strides=_tup(2), dim_size="i32", dim_stride="i64"),
             dict(FIRST=first, RANK=2, BLOCK=1024))


@pytest.mark.parametrize("x_ty,idx_ty,rank", [("*fp32", "*i64", 1), ("*bf16", "*i32", 3), ("*i1", "*i64", 2)])
def test_gather_compiles(x_ty, idx_ty, rank):
    _compile(K._gather_kernel,
             dict(x_ptr=x_ty, idx_ptr=idx_ty, out_ptr=x_ty, numel="i32", sizes=_tup(rank), x_strides=_tup(rank),
                  idx_strides=_tup(rank), out_strides=_tup(rank), mul="i64", wrap="i32"),
             dict(RANK=rank, BLOCK=1024))


@pytest.mark.parametrize("x_ty,reduce", [("*fp32", 0), ("*fp16", 1), ("*bf16", 2), ("*i64", 1), ("*i1", 1)])
def test_scatter_compiles(x_ty, reduce):
    _compile(K._scatter_kernel,
             dict(x_ptr=x_ty, idx_ptr="*i64", src_ptr=x_ty, n_par="i32", par_sizes=_tup(2), x_par_strides=_tup(2),
                  idx_par_strides=_tup(2), src_par_strides=_tup(2), n_loop="i32", loop_sizes=_tup(1),
                  idx_loop_strides=_tup(1), src_loop_strides=_tup(1), mul="i64", wrap="i32"),
             dict(REDUCE=reduce, RANK_P=2, RANK_L=1, BLOCK=1024))


@pytest.mark.parametrize("x_ty", ["*fp32", "*bf16", "*i1"])
def test_masked_fill_compiles(x_ty):
    _compile(K._masked_fill_kernel,
             dict(x_ptr=x_ty, mask_ptr="*i1", value_ptr=x_ty, out_ptr=x_ty, numel="i32", sizes=_tup(2),
                  x_strides=_tup(2), mask_strides=_tup(2), out_strides=_tup(2)),
             dict(RANK=2, BLOCK=1024))


@pytest.mark.parametrize("x_ty", ["*fp16", "*i1"])
def test_nonzero_compiles(x_ty):
    _compile(K._count_nonzero_kernel,
             dict(x_ptr=x_ty, counts_ptr="*i64", numel="i32", sizes=_tup(2), x_strides=_tup(2)),
             dict(RANK=2, BLOCK=1024))
    _compile(K._nonzero_kernel,
             dict(x_ptr=x_ty, starts_ptr="*i64", out_ptr="*i64", numel="i32", sizes=_tup(2), x_strides=_tup(2),
                  shape=_tup(3)),
             dict(RANK=2, NDIM=3, BLOCK=1024))
