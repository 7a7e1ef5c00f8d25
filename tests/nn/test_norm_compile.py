"""The norm kernels compile for a real GPU (sm_90) where none is present: Triton's compiler and
ptxas run on the CPU, catching GPU-only compile errors (loop-carried statistics types, constexpr
branches, None pointers) the interpreter cannot."""
import pytest
import triton
import triton.language as tl
from triton.backends.compiler import GPUTarget

from tnn.kernels import norm as K

SM90 = GPUTarget("cuda", 90, 32)


def _compile(fn, signature, constexprs):
    sig = dict(signature)
    for name, value in constexprs.items():
        sig[name] = "constexpr"
    src = triton.compiler.ASTSource(fn=fn, signature=sig, constexprs=constexprs)
    return triton.compile(src, target=SM90)


# (x dtype, RMS, HAS_W, HAS_B, ACC, KRANK, ONE_PASS, BLOCK_M, BLOCK_N)
LN_CASES = [
    ("fp16", False, True, True, tl.float32, 1, True, 4, 1024),
    ("bf16", True, True, False, tl.float32, 2, False, 1, 16384),
    ("fp64", False, False, False, tl.float64, 1, False, 1, 4096),
]


@pytest.mark.parametrize("xd,rms,has_w,has_b,acc,krank,one_pass,bm,bn", LN_CASES)
def test_layer_norm_kernels_compile(xd, rms, has_w, has_b, acc, krank, one_pass, bm, bn):
    accd = "fp64" if acc == tl.float64 else "fp32"
    none = {} if has_w else {"w_ptr": None}
    sig = {"x_ptr": f"*{xd}", "y_ptr": f"*{xd}", "mean_ptr": f"*{accd}", "rstd_ptr": f"*{accd}", "M": "i32",
           "N": "i32", "m_sizes": ("i32",) * krank, "x_m_strides": ("i64",) * krank, "x_stride_n": "i64",
           "eps_bits": "i64"}
    if has_w:
        sig["w_ptr"] = f"*{xd}"
    if has_b:
        sig["b_ptr"] = "*fp32"
    cx = dict(none, RMS=rms, HAS_W=has_w, HAS_B=has_b, ACC=acc, KRANK=krank, ONE_PASS=one_pass, BLOCK_M=bm,
              BLOCK_N=bn)
    if not has_b:
        cx["b_ptr"] = None
    assert _compile(K._layer_norm_fwd_kernel, sig, cx).asm["cubin"]
    sig = {"x_ptr": f"*{xd}", "dy_ptr": f"*{xd}", "dx_ptr": f"*{xd}", "mean_ptr": f"*{accd}",
           "rstd_ptr": f"*{accd}", "part_ptr": f"*{accd}", "M": "i32", "N": "i32", "R": "i32",
           "rows_per_prog": "i32", "m_sizes": ("i32",) * krank, "x_m_strides": ("i64",) * krank,
           "dy_m_strides": ("i64",) * krank, "x_stride_n": "i64", "dy_stride_n": "i64"}
    if has_w:
        sig["w_ptr"] = f"*{xd}"
    cx = dict(none, RMS=rms, HAS_W=has_w, HAS_DX=True, HAS_DW=has_w, HAS_DB=has_b, ACC=acc, KRANK=krank,
              ONE_PASS=one_pass, BLOCK_M=bm, BLOCK_N=bn)
    assert _compile(K._layer_norm_bwd_kernel, sig, cx).asm["cubin"]


SET_ARGS = ("s_k0", "s_k1", "s_j", "s_l")


@pytest.mark.parametrize("xd,acc,training,has_w", [("fp16", tl.float32, True, True),
                                                   ("fp64", tl.float64, False, False)])
def test_set_norm_kernels_compile(xd, acc, training, has_w):
    accd = "fp64" if acc == tl.float64 else "fp32"
    strides = {n: "i64" for n in SET_ARGS}
    tiles = dict(ACC=acc, BLOCK_J=4, BLOCK_L=256)
    sig = {"x_ptr": f"*{xd}", "part_ptr": f"*{accd}", "K": "i32", "J": "i32", "L": "i32", "K1": "i32",
           **strides, "j_per": "i32", "l_per": "i32"}
    assert _compile(K._norm_stats_kernel, sig, tiles).asm["cubin"]
    sig = {"part_ptr": f"*{accd}", "mean_ptr": f"*{accd}", "rstd_ptr": f"*{accd}", "rm_ptr": "*fp32",
           "rv_ptr": "*fp32", "stride_rm": "i64", "stride_rv": "i64", "C": "i32", "NAVG": "i32", "S": "i32",
           "eps_bits": "i64", "momentum_bits": "i64"}
    assert _compile(K._norm_combine_kernel, sig, dict(TRAINING=training, UPDATE=training, ACC=acc, BLOCK_C=128,
                                                      BLOCK_S=16)).asm["cubin"]
    w = {"w_ptr": f"*{xd}"} if has_w else {}
    wc = {} if has_w else {"w_ptr": None}
    sig = {"x_ptr": f"*{xd}", "y_ptr": f"*{xd}", **w, "b_ptr": "*fp32", "mean_ptr": f"*{accd}",
           "rstd_ptr": f"*{accd}", "J": "i32", "L": "i32", "K1": "i32", "CPG": "i32", **strides,
           **{"y" + n: "i64" for n in SET_ARGS}, "j_per": "i32", "l_per": "i32"}
    assert _compile(K._norm_apply_kernel, sig, dict(wc, HAS_W=has_w, HAS_B=True, CH_ALONG_J=training,
                                                    **tiles)).asm["cubin"]
    sig = {"x_ptr": f"*{xd}", "dy_ptr": f"*{xd}", "mean_ptr": f"*{accd}", "rstd_ptr": f"*{accd}",
           "part_ptr": f"*{accd}", "K": "i32", "J": "i32", "L": "i32", "K1": "i32", **strides,
           **{"g" + n: "i64" for n in SET_ARGS}, "j_per": "i32", "l_per": "i32"}
    assert _compile(K._norm_bwd_reduce_kernel, sig, tiles).asm["cubin"]
    sig = {"x_ptr": f"*{xd}", "dy_ptr": f"*{xd}", "dx_ptr": f"*{xd}", **w, "mean_ptr": f"*{accd}",
           "rstd_ptr": f"*{accd}", "part_ptr": f"*{accd}", "K": "i32", "J": "i32", "L": "i32", "K1": "i32",
           "CPG": "i32", "SL": "i32", **strides, **{"g" + n: "i64" for n in SET_ARGS},
           **{"d" + n: "i64" for n in SET_ARGS}, "j_per": "i32", "l_per": "i32"}
    assert _compile(K._norm_bwd_dx_kernel, sig, dict(wc, TRAINING=training, HAS_W=has_w, CH_ALONG_J=True,
                                                     BLOCK_P=256, **tiles)).asm["cubin"]
    sig = {"part_ptr": f"*{accd}", "dw_ptr": f"*{xd}", "db_ptr": "*fp32", "A": "i32", "C": "i32", "B": "i32"}
    assert _compile(K._channel_sum_kernel, sig, dict(HAS_DW=True, HAS_DB=True, ACC=acc, BLOCK_C=128,
                                                     BLOCK_B=32)).asm["cubin"]
