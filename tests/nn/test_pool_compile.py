"""The pooling kernels compile for a real GPU (sm_90) where none is present: Triton's compiler and
ptxas run on the CPU, catching GPU-only compile errors (tuple arguments, runtime window loops,
loop-carried max / argmax types, None index pointers, constexpr branches) the interpreter cannot."""
import pytest
import triton
import triton.language as tl
from triton.backends.compiler import GPUTarget

from tnn.kernels import pool as K

SM90 = GPUTarget("cuda", 90, 32)
T3 = ("i32",) * 3
T5 = ("i64",) * 5


def _compile(fn, signature, constexprs):
    sig = dict(signature)
    for name in constexprs:
        sig[name] = "constexpr"
    src = triton.compiler.ASTSource(fn=fn, signature=sig, constexprs=constexprs)
    return triton.compile(src, target=SM90)


# (dtype, MAX, ADAPTIVE, COUNT_INCLUDE_PAD, HAS_DIVISOR, STORE_INDEX, CHANNELS_LAST, IDX, ACC)
FWD_CASES = [
    ("fp16", True, False, True, False, True, True, tl.int32, tl.float32),     # max + indices, NHWC
    ("bf16", True, True, True, False, False, False, tl.int64, tl.float32),    # adaptive max, no indices
    ("fp32", False, False, False, True, False, False, tl.int32, tl.float32),  # avg, divisor_override
    ("fp64", False, True, True, False, False, True, tl.int32, tl.float64),    # adaptive avg
]


@pytest.mark.parametrize("xd,mx,adaptive,cip,has_div,store,cl,idx,acc", FWD_CASES)
def test_pool_fwd_kernel_compiles(xd, mx, adaptive, cip, has_div, store, cl, idx, acc):
    sig = {"x_ptr": f"*{xd}", "y_ptr": f"*{xd}", "numel": "i32", "C": "i32", "in_size": T3,
           "out_size": T3, "x_strides": T5, "y_strides": T5, "ksize": T3, "stride": T3, "pad": T3, "dil": T3,
           "divisor": "i32"}
    cx = dict(MAX=mx, ADAPTIVE=adaptive, COUNT_INCLUDE_PAD=cip, HAS_DIVISOR=has_div, STORE_INDEX=store,
              CHANNELS_LAST=cl, IDX=idx, ACC=acc, BLOCK=1024)
    if store:
        sig["i_ptr"] = "*i64"
    else:
        cx["i_ptr"] = None
    assert _compile(K._pool_fwd_kernel, sig, cx).asm["cubin"]


# (dtype, MAX, ADAPTIVE, COUNT_INCLUDE_PAD, HAS_DIVISOR, CHANNELS_LAST, IDX, ACC)
BWD_CASES = [
    ("fp32", True, False, True, False, False, tl.int32, tl.float32),
    ("bf16", True, True, True, False, True, tl.int64, tl.float32),
    ("fp16", False, False, False, False, True, tl.int32, tl.float32),
    ("fp64", False, True, True, True, False, tl.int32, tl.float64),
]


@pytest.mark.parametrize("xd,mx,adaptive,cip,has_div,cl,idx,acc", BWD_CASES)
def test_pool_bwd_kernel_compiles(xd, mx, adaptive, cip, has_div, cl, idx, acc):
    sig = {"dy_ptr": f"*{xd}", "dx_ptr": f"*{xd}", "numel": "i32", "C": "i32", "in_size": T3, "out_size": T3,
           "dy_strides": T5, "i_strides": T5, "dx_strides": T5, "ksize": T3, "stride": T3, "pad": T3, "dil": T3,
           "span": T3, "divisor": "i32"}
    cx = dict(MAX=mx, ADAPTIVE=adaptive, COUNT_INCLUDE_PAD=cip, HAS_DIVISOR=has_div, CHANNELS_LAST=cl, IDX=idx,
              ACC=acc, BLOCK=1024)
    if mx:
        sig["i_ptr"] = "*i64"
    else:
        cx["i_ptr"] = None
    assert _compile(K._pool_bwd_kernel, sig, cx).asm["cubin"]


@pytest.mark.parametrize("xd,idx", [("fp32", tl.int32), ("bf16", tl.int64)])
def test_max_unpool_kernels_compile(xd, idx):
    sig = {"x_ptr": f"*{xd}", "i_ptr": "*i64", "y_ptr": f"*{xd}", "numel": "i32", "sizes": ("i32",) * 5,
           "x_strides": T5, "i_strides": T5, "out_plane": "i32"}
    assert _compile(K._max_unpool_fwd_kernel, sig, dict(IDX=idx, BLOCK=1024)).asm["cubin"]
    sig = {"dy_ptr": f"*{xd}", "i_ptr": "*i64", "dx_ptr": f"*{xd}", "numel": "i32", "sizes": ("i32",) * 5,
           "i_strides": T5, "dx_strides": T5, "dy_strides": T5, "out_size": T3, "out_plane": "i32"}
    assert _compile(K._max_unpool_bwd_kernel, sig, dict(IDX=idx, BLOCK=1024)).asm["cubin"]


@pytest.mark.parametrize("xd,cl,idx", [("fp32", False, tl.int32), ("bf16", True, tl.int64)])
def test_max_pool_scatter_bwd_kernel_compiles(xd, cl, idx):
    sig = {"dy_ptr": f"*{xd}", "i_ptr": "*i64", "dx_ptr": f"*{xd}", "numel": "i32", "C": "i32", "in_size": T3,
           "out_size": T3, "dy_strides": T5, "i_strides": T5, "dx_strides": T5, "ksize": T3, "stride": T3,
           "pad": T3, "dil": T3}
    assert _compile(K._max_pool_scatter_bwd_kernel, sig, dict(CHANNELS_LAST=cl, IDX=idx, BLOCK=1024)).asm["cubin"]
