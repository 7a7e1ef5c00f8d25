"""The activation kernels compile for a real GPU (sm_90) where none is present: Triton's compiler
and ptxas run on the CPU, catching GPU-only compile errors (libdevice erf, float64 helpers,
loop-carried types) the interpreter cannot. A few specialisations, chosen to cover every helper."""
import pytest
import triton
import triton.language as tl
from triton.backends.compiler import GPUTarget

from tnn.kernels import activation as K

SM90 = GPUTarget("cuda", 90, 32)


def _compile(fn, signature, constexprs):
    src = triton.compiler.ASTSource(fn=fn, signature=signature, constexprs=constexprs)
    return triton.compile(src, target=SM90)


def _elementwise(ptrs, rank):
    sig = {name: f"*{d}" for name, d in ptrs}
    sig.update({"numel": "i32", "sizes": ("i32",) * rank})
    sig.update({f"{name[:-4]}_strides": ("i64",) * rank for name, _ in ptrs})
    return sig


# (direction, OP, dtype, ACC, RANK): erf in fp32 and fp64, the tanh form in bf16, expm1 in fp64,
# mish's softplus/tanh in fp16 backward, and relu of an integer.
ACT_CASES = [
    ("fwd", "gelu", "fp32", tl.float32, 1),
    ("bwd", "gelu", "fp64", tl.float64, 2),
    ("fwd", "gelu_tanh", "bf16", tl.float32, 1),
    ("fwd", "elu", "fp64", tl.float64, 3),
    ("bwd", "mish", "fp16", tl.float32, 1),
    ("fwd", "relu", "i32", tl.int32, 1),
]


@pytest.mark.parametrize("direction,op,d,acc,rank", ACT_CASES)
def test_act_kernel_compiles(direction, op, d, acc, rank):
    if direction == "fwd":
        fn, sig = K._act_fwd_kernel, _elementwise([("x_ptr", d), ("y_ptr", d)], rank)
    else:
        fn, sig = K._act_bwd_kernel, _elementwise([("s_ptr", d), ("dy_ptr", d), ("dx_ptr", d)], rank)
    sig.update({"a_bits": "i64", "b_bits": "i64", "c_bits": "i64", "OP": "constexpr", "ACC": "constexpr",
                "CONTIG": "constexpr", "RANK": "constexpr", "BLOCK": "constexpr"})
    k = _compile(fn, sig, {"OP": op, "ACC": acc, "CONTIG": rank == 1, "RANK": rank, "BLOCK": 1024})
    assert k.asm["cubin"]


def test_glu_and_prelu_kernels_compile():
    sig = _elementwise([("a_ptr", "bf16"), ("b_ptr", "bf16"), ("dy_ptr", "bf16"), ("da_ptr", "bf16"),
                        ("db_ptr", "bf16")], 2)
    sig.update({"ACC": "constexpr", "CONTIG": "constexpr", "RANK": "constexpr", "BLOCK": "constexpr"})
    assert _compile(K._glu_bwd_kernel, sig, {"ACC": tl.float32, "CONTIG": False, "RANK": 2,
                                             "BLOCK": 1024}).asm["cubin"]
    sig = {"x_ptr": "*fp16", "w_ptr": "*fp16", "dy_ptr": "*fp16", "dx_ptr": "*fp16", "part_ptr": "*fp32",
           "C": "i32", "S": "i32", "BS": "i32", "per_prog": "i32", "w_stride": "i32", "sizes": ("i32",) * 2,
           "x_strides": ("i64",) * 2, "dy_strides": ("i64",) * 2, "dx_strides": ("i64",) * 2,
           "NEED_DX": "constexpr", "NEED_DW": "constexpr", "ACC": "constexpr", "RANK": "constexpr",
           "BLOCK": "constexpr"}
    assert _compile(K._prelu_bwd_kernel, sig, {"NEED_DX": True, "NEED_DW": True, "ACC": tl.float32, "RANK": 2,
                                               "BLOCK": 1024}).asm["cubin"]


# Training-mode RReLU: Philox (randint4x) + the fp32 / fp64 uniform helpers, both directions.
RRELU_CASES = [("fwd", "fp32", tl.float32, 1), ("bwd", "bf16", tl.float32, 2), ("fwd", "fp64", tl.float64, 3)]


@pytest.mark.parametrize("direction,d,acc,rank", RRELU_CASES)
def test_rrelu_kernel_compiles(direction, d, acc, rank):
    if direction == "fwd":
        fn, sig = K._rrelu_fwd_kernel, _elementwise([("x_ptr", d), ("y_ptr", d)], rank)
    else:
        fn, sig = K._rrelu_bwd_kernel, _elementwise([("s_ptr", d), ("dy_ptr", d), ("dx_ptr", d)], rank)
    sig.update({"seed": "i64", "offset": "i64", "lo_bits": "i64", "hi_bits": "i64", "ACC": "constexpr",
                "CONTIG": "constexpr", "RANK": "constexpr", "BLOCK": "constexpr"})
    k = _compile(fn, sig, {"ACC": acc, "CONTIG": rank == 1, "RANK": rank, "BLOCK": 1024})
    assert k.asm["cubin"]
