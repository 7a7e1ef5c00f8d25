"""The loss kernels (tnn/kernels/cross_entropy.py, tnn/kernels/loss.py) compile for a real GPU
(sm_90) where none is present: Triton's compiler and ptxas run on the CPU, catching GPU-only
compile errors (loop-carried types, constexpr specialisations) the interpreter cannot."""
import pytest
import triton
import triton.language as tl
from triton.backends.compiler import GPUTarget

from tnn.kernels import cross_entropy as CE
from tnn.kernels import loss as L

SM90 = GPUTarget("cuda", 90, 32)


def _compile(fn, signature, constexprs):
    src = triton.compiler.ASTSource(fn=fn, signature=signature, constexprs=constexprs)
    return triton.compile(src, target=SM90)


def _ce_sig(xd, td, C="i32", S="i32"):
    return {"x_ptr": f"*{xd}", "x_stride_n": "i64", "x_stride_c": "i64", "x_stride_s": "i64", "t_ptr": f"*{td}",
            "t_stride_n": "i64", "t_stride_c": "i64", "t_stride_s": "i64", "w_ptr": f"*{xd}", "w_stride": "i32",
            "loss_ptr": "*fp32" if xd != "fp64" else "*fp64", "dx_ptr": f"*{xd}", "dt_ptr": f"*{xd}",
            "den_ptr": "*fp32" if xd != "fp64" else "*fp64", "R": "i32", "S": S, "C": C, "ignore_index": "i64",
            "ls_bits": "i64", "scale_bits": "i64", "PROB_TARGET": "constexpr", "HAS_WEIGHT": "constexpr",
            "SMOOTHING": "constexpr", "COMPUTE_GRAD": "constexpr", "COMPUTE_DTARGET": "constexpr",
            "DIV_BY_DEN": "constexpr", "ACC": "constexpr", "BLOCK_M": "constexpr", "BLOCK_N": "constexpr"}


# (x dtype, PROB_TARGET, HAS_WEIGHT, SMOOTHING, GRAD, DTARGET, DIV_BY_DEN, ACC, BLOCK_M, BLOCK_N, C, S):
# a bf16 LM head row per program with every class-index option; fp32 probability targets with
# the target gradient, several rows per program; fp64 inference with C and S specialised to 1.
CE_CASES = [
    ("bf16", False, True, True, True, False, True, tl.float32, 1, 4096, "i32", "i32"),
    ("fp32", True, True, True, True, True, False, tl.float32, 4, 256, "i32", "i32"),
    ("fp64", False, False, False, False, False, False, tl.float64, 16, 16, 1, 1),
]


@pytest.mark.parametrize("xd,prob,hw,sm,grad,dtg,den,acc,bm,bn,C,S", CE_CASES)
def test_cross_entropy_fwd_kernel_compiles(xd, prob, hw, sm, grad, dtg, den, acc, bm, bn, C, S):
    sig = _ce_sig(xd, xd if prob else "i64", "constexpr" if C == 1 else C, "constexpr" if S == 1 else S)
    consts = {"PROB_TARGET": prob, "HAS_WEIGHT": hw, "SMOOTHING": sm, "COMPUTE_GRAD": grad,
              "COMPUTE_DTARGET": dtg, "DIV_BY_DEN": den, "ACC": acc, "BLOCK_M": bm, "BLOCK_N": bn}
    if C == 1:
        consts["C"] = 1
    if S == 1:
        consts["S"] = 1
    assert _compile(CE._cross_entropy_fwd_kernel, sig, consts).asm["cubin"]


def test_cross_entropy_helper_kernels_compile():
    sig = {"src_ptr": "*fp16", "go_ptr": "*fp16", "go_stride_n": "i32", "go_stride_s": "i32", "out_ptr": "*fp16",
           "numel": "i64", "C": "i32", "S": "i32", "ACC": "constexpr", "BLOCK": "constexpr"}
    assert _compile(CE._scale_rows_kernel, sig, {"ACC": tl.float32, "BLOCK": 1024}).asm["cubin"]
    sig = {"t_ptr": "*i64", "t_stride_n": "i64", "t_stride_s": "i64", "w_ptr": "*bf16", "w_stride": "i32",
           "out_ptr": "*fp32", "R": "i32", "S": "i32", "ignore_index": "i64", "HAS_WEIGHT": "constexpr",
           "ACC": "constexpr", "BLOCK": "constexpr"}
    assert _compile(CE._nll_weight_sum_kernel, sig, {"HAS_WEIGHT": True, "ACC": tl.float32,
                                                     "BLOCK": 1024}).asm["cubin"]


def test_nll_kernels_compile():
    sig = {"x_ptr": "*bf16", "x_stride_n": "i64", "x_stride_c": "i64", "x_stride_s": "i64", "t_ptr": "*i64",
           "t_stride_n": "i64", "t_stride_s": "i64", "w_ptr": "*bf16", "w_stride": "i32", "loss_ptr": "*fp32",
           "R": "i32", "S": "i32", "ignore_index": "i64", "HAS_WEIGHT": "constexpr", "ACC": "constexpr",
           "BLOCK": "constexpr"}
    assert _compile(CE._nll_fwd_kernel, sig, {"HAS_WEIGHT": True, "ACC": tl.float32, "BLOCK": 1024}).asm["cubin"]
    sig = {"t_ptr": "*i64", "t_stride_n": "i64", "t_stride_s": "i64", "w_ptr": "*fp32", "w_stride": "i32",
           "go_ptr": "*fp32", "go_stride_n": "i32", "go_stride_s": "i32", "den_ptr": "*fp32", "dx_ptr": "*fp32",
           "R": "i32", "S": "i32", "C": "i32", "ignore_index": "i64", "HAS_WEIGHT": "constexpr",
           "DIV_BY_DEN": "constexpr", "ACC": "constexpr", "BLOCK_M": "constexpr", "BLOCK_N": "constexpr"}
    assert _compile(CE._nll_bwd_kernel, sig, {"HAS_WEIGHT": False, "DIV_BY_DEN": True, "ACC": tl.float32,
                                              "BLOCK_M": 2, "BLOCK_N": 1024}).asm["cubin"]


def _pw_sig(xd, rank, bwd):
    sig = {"x_ptr": f"*{xd}", "y_ptr": f"*{xd}", "w_ptr": f"*{xd}", "pw_ptr": f"*{xd}"}
    if bwd:
        sig.update({"go_ptr": f"*{xd}", "dx_ptr": f"*{xd}", "dy_ptr": f"*{xd}"})
    else:
        sig.update({"out_ptr": f"*{xd}", "part_ptr": "*fp32"})
    sig.update({"numel": "i64", "sizes": ("i32",) * rank})
    for name in ("x_strides", "y_strides", "w_strides", "pw_strides") + (("go_strides",) if bwd else ()):
        sig[name] = ("i64",) * rank
    sig["p_bits"] = "i64"
    if bwd:
        sig["scale_bits"] = "i64"
    flags = ("LOSS", "HAS_W", "HAS_PW") + (("NEED_DX", "NEED_DY") if bwd else ("REDUCE",)) + ("ACC", "RANK", "BLOCK")
    sig.update({f: "constexpr" for f in flags})
    return sig


def test_pointwise_loss_kernels_compile():
    sig = _pw_sig("bf16", 2, False)
    assert _compile(L._pointwise_loss_fwd_kernel, sig, {
        "LOSS": L.BCE_LOGITS, "HAS_W": True, "HAS_PW": True, "REDUCE": True, "ACC": tl.float32, "RANK": 2,
        "BLOCK": 1024}).asm["cubin"]
    sig = _pw_sig("fp32", 1, True)
    assert _compile(L._pointwise_loss_bwd_kernel, sig, {
        "LOSS": L.SMOOTH_L1, "HAS_W": False, "HAS_PW": False, "NEED_DX": True, "NEED_DY": True, "ACC": tl.float32,
        "RANK": 1, "BLOCK": 1024}).asm["cubin"]


def test_finish_sum_and_one_hot_kernels_compile():
    sig = {"src_ptr": "*fp32", "den_ptr": "*fp32", "out_ptr": "*bf16", "n": "i32", "div_bits": "i64",
           "DIVIDE": "constexpr", "ACC": "constexpr", "BLOCK": "constexpr"}
    assert _compile(L._finish_sum_kernel, sig, {"DIVIDE": 1, "ACC": tl.float32, "BLOCK": 1024}).asm["cubin"]
    sig = {"t_ptr": "*i64", "out_ptr": "*i64", "numel": "i64", "K": "i32", "BLOCK": "constexpr"}
    assert _compile(L._one_hot_kernel, sig, {"BLOCK": 1024}).asm["cubin"]
