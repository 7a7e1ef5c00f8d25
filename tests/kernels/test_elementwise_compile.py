"""The elementwise kernels compile for a real GPU (sm_90) even where none is present, for a
representative set of OP / dtype / scalar-operand / layout specialisations (about 1 s each), so
GPU-only compile errors (constexpr dtype branches, int1 stores, fp64 math, None pointers for
scalar operands, tuple strides) show up in CI."""
import pytest
import triton
import triton.language as tl
from triton.backends.compiler import GPUTarget

from tnn.kernels import elementwise as E

SM90 = GPUTarget("cuda", 90, 32)


def _compile(fn, signature, constexprs):
    src = triton.compiler.ASTSource(fn=fn, signature=signature, constexprs=constexprs)
    k = triton.compile(src, target=SM90)
    assert k.asm["cubin"]
    return k


def _tuple(rank):
    return ("i64",) * rank


@pytest.mark.parametrize("op,compute,x,out,rank", [
    ("expm1", tl.float32, "fp16", "fp16", 2),
    ("tanh", tl.float64, "fp64", "fp64", 1),
    ("log1p", tl.float32, "bf16", "bf16", 3),
    ("round", tl.float32, "fp32", "fp32", 2),
    ("isinf", tl.float32, "fp32", "i1", 1),
    ("bitwise_not", tl.int8, "i1", "i1", 1),
    ("sigmoid", tl.float32, "i64", "fp32", 1),
])
def test_unary_kernel_compiles(op, compute, x, out, rank):
    sig = {"x_ptr": f"*{x}", "out_ptr": f"*{out}", "numel": "i64", "sizes": _tuple(rank), "x_strides": _tuple(rank),
           "out_strides": _tuple(rank), "p": "i32", "OP": "constexpr", "COMPUTE": "constexpr", "CONTIG": "constexpr",
           "RANK": "constexpr", "BLOCK": "constexpr"}
    _compile(E._unary_kernel, sig, {"OP": op, "COMPUTE": compute, "CONTIG": rank == 1, "RANK": rank, "BLOCK": 1024})


@pytest.mark.parametrize("op,common,compute,a,b,out,a_scalar,b_scalar,val", [
    ("add_alpha", tl.float16, tl.float32, "fp16", "fp16", "fp16", False, True, "i32"),
    ("div_floor", tl.float64, tl.float64, "fp64", "fp64", "fp64", True, False, "i64"),
    ("div_floor", tl.int32, tl.int32, "i32", "i32", "i32", False, False, "i32"),
    ("remainder", tl.uint8, tl.uint8, "u8", "u8", "u8", False, True, "i32"),
    ("pow", tl.float32, tl.float32, "fp32", "bf16", "fp32", False, False, "i32"),
    ("pow", tl.int64, tl.int64, "i64", "i64", "i64", True, False, "i64"),
    ("lt", tl.bfloat16, tl.float32, "bf16", "fp32", "i1", False, False, "i32"),
    ("bitwise_xor", tl.int1, tl.int8, "i1", "i1", "i1", False, True, "i32"),
])
def test_binary_kernel_compiles(op, common, compute, a, b, out, a_scalar, b_scalar, val):
    rank = 2
    sig = {"a_ptr": "constexpr" if a_scalar else f"*{a}", "a_val": val, "b_ptr": "constexpr" if b_scalar else f"*{b}",
           "b_val": val, "out_ptr": f"*{out}", "numel": "i64", "sizes": _tuple(rank), "a_strides": _tuple(rank),
           "b_strides": _tuple(rank), "out_strides": _tuple(rank), "alpha": val, "OP": "constexpr",
           "A_SCALAR": "constexpr", "B_SCALAR": "constexpr", "COMMON": "constexpr", "COMPUTE": "constexpr",
           "CONTIG": "constexpr", "RANK": "constexpr", "BLOCK": "constexpr"}
    cx = {"OP": op, "A_SCALAR": a_scalar, "B_SCALAR": b_scalar, "COMMON": common, "COMPUTE": compute,
          "CONTIG": False, "RANK": rank, "BLOCK": 1024}
    if a_scalar:
        cx["a_ptr"] = None
    if b_scalar:
        cx["b_ptr"] = None
    _compile(E._binary_kernel, sig, cx)


@pytest.mark.parametrize("op,a,b,c,out,b_scalar,c_scalar", [
    ("where", "i1", "fp32", "fp32", "fp32", False, True),
    ("clamp", "fp16", "fp16", "fp16", "fp16", True, True),
    ("lerp", "fp64", "fp64", "fp64", "fp64", False, False),
])
def test_ternary_kernel_compiles(op, a, b, c, out, b_scalar, c_scalar):
    rank = 1
    compute = {"fp16": tl.float32, "fp32": tl.float32, "fp64": tl.float64}[out]
    common = {"fp16": tl.float16, "fp32": tl.float32, "fp64": tl.float64}[out]
    a_dt = tl.int1 if op == "where" else common
    val = "i64" if out == "fp64" else "i32"
    sig = {"a_ptr": f"*{a}", "b_ptr": "constexpr" if b_scalar else f"*{b}", "b_val": val,
           "c_ptr": "constexpr" if c_scalar else f"*{c}", "c_val": val, "out_ptr": f"*{out}", "numel": "i64",
           "sizes": _tuple(rank), "a_strides": _tuple(rank), "b_strides": _tuple(rank), "c_strides": _tuple(rank),
           "out_strides": _tuple(rank), "OP": "constexpr", "B_SCALAR": "constexpr", "C_SCALAR": "constexpr",
           "A_COMMON": "constexpr", "A_COMPUTE": "constexpr", "COMMON": "constexpr", "COMPUTE": "constexpr",
           "CONTIG": "constexpr", "RANK": "constexpr", "BLOCK": "constexpr"}
    cx = {"OP": op, "B_SCALAR": b_scalar, "C_SCALAR": c_scalar, "A_COMMON": a_dt,
          "A_COMPUTE": a_dt if op == "where" else compute, "COMMON": common, "COMPUTE": compute, "CONTIG": True,
          "RANK": rank, "BLOCK": 1024}
    if b_scalar:
        cx["b_ptr"] = None
    if c_scalar:
        cx["c_ptr"] = None
    _compile(E._ternary_kernel, sig, cx)
