"""The resample and im2col / col2im kernels compile for a real GPU (sm_90) where none is present:
Triton's compiler and ptxas run on the CPU, catching GPU-only compile errors (fp64 index math,
static corner loops, bicubic's 4 x 4 clamped taps, the per-lane binary search, runtime-bounded
gather loops, the antialias filters' window loops)."""
import pytest
import triton
import triton.language as tl
from triton.backends.compiler import GPUTarget

from tnn.kernels import resample as K

SM90 = GPUTarget("cuda", 90, 32)
T5 = ("i64",) * 5
T4 = ("i64",) * 4


def _compile(fn, signature, constexprs):
    src = triton.compiler.ASTSource(fn=fn, signature=signature, constexprs=constexprs)
    return triton.compile(src, target=SM90)


# (dtype, MODE, ALIGN, KD, KH, KW, ACC): nearest fp16 2-d, nearest-exact bf16, bilinear fp32,
# trilinear fp64 with align_corners, bicubic bf16 and fp64 with align_corners
@pytest.mark.parametrize("xd,mode,align,kd,kh,kw,acc", [
    ("fp16", K.NEAREST, False, 1, 1, 1, tl.float32), ("bf16", K.NEAREST_EXACT, False, 1, 1, 1, tl.float32),
    ("fp32", K.LINEAR, False, 1, 2, 2, tl.float32), ("fp64", K.LINEAR, True, 2, 2, 2, tl.float64),
    ("bf16", K.CUBIC, False, 1, 1, 1, tl.float32), ("fp64", K.CUBIC, True, 1, 1, 1, tl.float64)])
def test_resample_fwd_kernel_compiles(xd, mode, align, kd, kh, kw, acc):
    sig = {"x_ptr": f"*{xd}", "y_ptr": f"*{xd}", "numel": "i64", "out_sizes": T5, "in_sizes": T5, "x_strides": T5,
           "scales": ("i64",) * 3, "MODE": "constexpr", "ALIGN": "constexpr", "KD": "constexpr", "KH": "constexpr",
           "KW": "constexpr", "ACC": "constexpr", "BLOCK": "constexpr"}
    k = _compile(K._resample_fwd_kernel, sig, {"MODE": mode, "ALIGN": align, "KD": kd, "KH": kh, "KW": kw, "ACC": acc,
                                              "BLOCK": 1024})
    assert k.asm["cubin"]


@pytest.mark.parametrize("gd,dd,mode,align,axis,acc", [("fp16", "fp32", K.NEAREST, False, 4, tl.float32),
                                                       ("fp32", "bf16", K.LINEAR, False, 3, tl.float32),
                                                       ("fp64", "fp64", K.LINEAR, True, 2, tl.float64),
                                                       ("fp16", "fp16", K.CUBIC, False, 4, tl.float32),
                                                       ("fp64", "fp64", K.CUBIC, True, 3, tl.float64)])
def test_resample_bwd_kernel_compiles(gd, dd, mode, align, axis, acc):
    sig = {"g_ptr": f"*{gd}", "dx_ptr": f"*{dd}", "numel": "i64", "dx_sizes": T5, "g_strides": T5, "n_in": "i64",
           "n_out": "i64", "scale_bits": "i64", "span": "i32", "steps": "i32", "MODE": "constexpr",
           "ALIGN": "constexpr", "AXIS": "constexpr", "ACC": "constexpr", "BLOCK": "constexpr"}
    k = _compile(K._resample_bwd_kernel, sig, {"MODE": mode, "ALIGN": align, "AXIS": axis, "ACC": acc, "BLOCK": 1024})
    assert k.asm["cubin"]


# (x / g dtype, out dtype, FILTER, AXIS, ACC): the W pass into an fp32 intermediate, the H pass out
@pytest.mark.parametrize("xd,yd,filt,axis,acc", [("fp16", "fp32", K.TRIANGLE, 3, tl.float32),
                                                 ("fp32", "bf16", K.KEYS, 2, tl.float32),
                                                 ("fp64", "fp64", K.KEYS, 3, tl.float64)])
def test_aa_kernels_compile(xd, yd, filt, axis, acc):
    sig = {"x_ptr": f"*{xd}", "y_ptr": f"*{yd}", "numel": "i64", "y_sizes": T4, "x_strides": T4, "n_in": "i64",
           "scale_bits": "i64", "support_bits": "i64", "taps": "i32", "FILTER": "constexpr", "AXIS": "constexpr",
           "ACC": "constexpr", "BLOCK": "constexpr"}
    k = {"FILTER": filt, "AXIS": axis, "ACC": acc, "BLOCK": 1024}
    assert _compile(K._aa_fwd_kernel, sig, k).asm["cubin"]
    sig = {"g_ptr": f"*{xd}", "dx_ptr": f"*{yd}", "numel": "i64", "dx_sizes": T4, "g_strides": T4, "n_in": "i64",
           "n_out": "i64", "scale_bits": "i64", "support_bits": "i64", "taps": "i32", "span": "i32", "steps": "i32",
           "FILTER": "constexpr", "AXIS": "constexpr", "ACC": "constexpr", "BLOCK": "constexpr"}
    assert _compile(K._aa_bwd_kernel, sig, k).asm["cubin"]


_GEOM = ("C", "H", "W")
_CONV = ("KH", "KW", "OH", "OW", "sh", "sw", "ph", "pw", "dh", "dw")


def test_unfold_kernels_compile():
    sig = {"x_ptr": "*bf16", "y_ptr": "*bf16", "numel": "i64", **{n: "i64" for n in _GEOM},
           **{n: "i64" for n in ("sxn", "sxc", "sxh", "sxw")}, **{n: "i64" for n in _CONV}, "BLOCK": "constexpr"}
    assert _compile(K._unfold_fwd_kernel, sig, {"BLOCK": 1024}).asm["cubin"]
    sig = {"y_ptr": "*fp16", "x_ptr": "*fp16", "numel": "i64", **{n: "i64" for n in _GEOM},
           **{n: "i64" for n in ("syn", "syr", "syl")}, **{n: "i64" for n in _CONV}, "ACC": "constexpr",
           "BLOCK": "constexpr"}
    assert _compile(K._unfold_bwd_kernel, sig, {"ACC": tl.float32, "BLOCK": 1024}).asm["cubin"]
