"""The reduction kernels compile for a real GPU (sm_90) where none is present: Triton's compiler
and ptxas run on the CPU, catching GPU-only compile errors the interpreter cannot."""
import pytest
import triton
import triton.language as tl
from triton.backends.compiler import GPUTarget

from tnn.kernels import reduce as K

SM90 = GPUTarget("cuda", 90, 32)


def _compile(fn, signature, constexprs):
    src = triton.compiler.ASTSource(fn=fn, signature=signature, constexprs=constexprs)
    return triton.compile(src, target=SM90)


def _rows(krank):
    return {"M": "i32", "R": "i32", "m_sizes": ("i32",) * krank, "m_strides": ("i64",) * krank, "stride_r": "i32"}


# (x dtype, out dtype, PRE, OP, POST, ACC, KRANK, BLOCK_M, BLOCK_R): sum of a half row into fp32
# acc, a split-stage max of fp32 (NaN path), an int prod (cumprod lanes), a bool all(), a
# float64 p-norm over a 2-d kept layout, and a column-shaped tile.
REDUCE_CASES = [
    ("fp16", "fp16", K.PRE_NONE, K.OP_SUM, K.POST_MEAN, tl.float32, 1, 4, 1024),
    ("fp32", "fp32", K.PRE_NONE, K.OP_MAX, K.POST_NONE, tl.float32, 1, 1, 1024),
    ("i32", "i64", K.PRE_NONE, K.OP_PROD, K.POST_NONE, tl.int64, 2, 16, 256),
    ("i1", "i1", K.PRE_NONZERO, K.OP_MIN, K.POST_NONE, tl.int32, 1, 128, 32),
    ("fp64", "fp64", K.PRE_POW, K.OP_SUM, K.POST_ROOT, tl.float64, 2, 128, 32),
]


@pytest.mark.parametrize("xd,od,pre,op,post,acc,krank,bm,br", REDUCE_CASES)
def test_reduce_kernel_compiles(xd, od, pre, op, post, acc, krank, bm, br):
    sig = {"x_ptr": f"*{xd}", "out_ptr": f"*{od}", **_rows(krank), "r_per_prog": "i32", "n_bits": "i64",
           "p_bits": "i64", "PRE": "constexpr", "OP": "constexpr", "POST": "constexpr", "ACC": "constexpr",
           "KRANK": "constexpr", "BLOCK_M": "constexpr", "BLOCK_R": "constexpr"}
    k = _compile(K._reduce_kernel, sig, {"PRE": pre, "OP": op, "POST": post, "ACC": acc, "KRANK": krank,
                                         "BLOCK_M": bm, "BLOCK_R": br})
    assert k.asm["cubin"]


@pytest.mark.parametrize("xd,acc", [("bf16", tl.float32), ("i64", tl.int64)])
def test_argreduce_kernel_compiles(xd, acc):
    sig = {"x_ptr": f"*{xd}", "val_ptr": f"*{xd}", "idx_ptr": "*i64", **_rows(1), "IS_MAX": "constexpr",
           "WRITE_VALUES": "constexpr", "ACC": "constexpr", "KRANK": "constexpr", "BLOCK_M": "constexpr",
           "BLOCK_R": "constexpr"}
    k = _compile(K._argreduce_kernel, sig, {"IS_MAX": True, "WRITE_VALUES": True, "ACC": acc, "KRANK": 1,
                                            "BLOCK_M": 2, "BLOCK_R": 1024})
    assert k.asm["cubin"]


def test_var_logsumexp_cumsum_kernels_compile():
    sig = {"x_ptr": "*bf16", "out_ptr": "*bf16", **_rows(1), "dof_bits": "i64", "STD": "constexpr",
           "ACC": "constexpr", "KRANK": "constexpr", "BLOCK_M": "constexpr", "BLOCK_R": "constexpr"}
    assert _compile(K._var_kernel, sig, {"STD": True, "ACC": tl.float32, "KRANK": 1, "BLOCK_M": 4,
                                         "BLOCK_R": 512}).asm["cubin"]
    sig = {"x_ptr": "*fp64", "out_ptr": "*fp64", **_rows(2), "ACC": "constexpr", "KRANK": "constexpr",
           "BLOCK_M": "constexpr", "BLOCK_R": "constexpr"}
    assert _compile(K._logsumexp_kernel, sig, {"ACC": tl.float64, "KRANK": 2, "BLOCK_M": 2,
                                               "BLOCK_R": 1024}).asm["cubin"]
    sig = {"x_ptr": "*i1", "out_ptr": "*i64", "M": "i32", "R": "i32", "m_sizes": ("i32",),
           "x_m_strides": ("i64",), "out_m_strides": ("i64",), "x_stride_r": "i32", "out_stride_r": "i32",
           "ACC": "constexpr", "KRANK": "constexpr", "BLOCK_M": "constexpr", "BLOCK_R": "constexpr"}
    assert _compile(K._cumsum_kernel, sig, {"ACC": tl.int64, "KRANK": 1, "BLOCK_M": 128,
                                            "BLOCK_R": 32}).asm["cubin"]
