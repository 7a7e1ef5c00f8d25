"""The optimizer kernels compile for a real GPU (sm_90) where none is present: Triton's compiler
and ptxas run on the CPU. Also checks the multi-tensor design's key property on the GPU: with
ALIGNED, full blocks of pointers loaded from the address table still get 128-bit vector loads
and stores (tl.multiple_of on the int -> pointer cast)."""
import re

import pytest
import triton
import triton.language as tl
from triton.backends.compiler import GPUTarget

from tnn.kernels import optim as K

SM90 = GPUTarget("cuda", 90, 32)


def _compile(fn, scalars, ref, constexprs):
    sig = {"ptrs": "*i64", "meta": "*i64", "ref": f"*{ref}", "T": "i32", "B": "i32"}
    sig.update({s: "i64" for s in scalars})
    sig.update({c: "constexpr" for c in constexprs})
    return triton.compile(triton.compiler.ASTSource(fn=fn, signature=sig, constexprs=constexprs), target=SM90)


def _vector_ops(ptx):
    return len(re.findall(r"ld\.global(\.\w+)*\.v4", ptx)), len(re.findall(r"st\.global(\.\w+)*\.v4", ptx))


ADAM = ["one_minus_b1", "beta2", "one_minus_b2", "eps", "weight_decay", "decay", "step_size", "bc2_sqrt"]


@pytest.mark.parametrize("ref,acc,amsgrad,decoupled,first,aligned", [
    ("fp32", tl.float32, True, False, False, True),
    ("bf16", tl.float32, False, True, True, True),
    ("fp64", tl.float64, False, False, False, False),
])
def test_adam_compiles(ref, acc, amsgrad, decoupled, first, aligned):
    k = _compile(K._adam_step_kernel, ADAM, ref, dict(HAS_WD=True, DECOUPLED=decoupled, AMSGRAD=amsgrad, FIRST=first,
                                                      MAXIMIZE=False, ALIGNED=aligned, ACC=acc, BLOCK=1024))
    assert k.asm["cubin"]
    loads, stores = _vector_ops(k.asm["ptx"])
    if aligned and ref == "fp32":
        # 1024 elements / 128 threads = 8 fp32 per thread = two v4 accesses per tensor
        assert loads >= 2 * (5 if amsgrad else 4) and stores >= 2 * (4 if amsgrad else 3)
    if not aligned:
        assert loads == 0


@pytest.mark.parametrize("ref,momentum,first,nesterov", [("fp32", True, False, True), ("fp16", True, True, False),
                                                         ("fp32", False, False, False)])
def test_sgd_compiles(ref, momentum, first, nesterov):
    k = _compile(K._sgd_step_kernel, ["lr", "momentum", "damp_keep", "weight_decay"], ref,
                 dict(HAS_WD=True, MOMENTUM=momentum, FIRST=first, NESTEROV=nesterov, MAXIMIZE=True, ALIGNED=True,
                      ACC=tl.float32, BLOCK=1024))
    assert k.asm["cubin"]


@pytest.mark.parametrize("centered,momentum,first", [(True, True, False), (False, False, True)])
def test_rmsprop_compiles(centered, momentum, first):
    k = _compile(K._rmsprop_step_kernel, ["lr", "alpha", "one_minus_alpha", "eps", "weight_decay", "momentum"],
                 "fp32", dict(HAS_WD=False, CENTERED=centered, MOMENTUM=momentum, FIRST=first, MAXIMIZE=False,
                              ALIGNED=True, ACC=tl.float32, BLOCK=1024))
    assert k.asm["cubin"]


def test_adagrad_compiles():
    k = _compile(K._adagrad_step_kernel, ["clr", "eps", "weight_decay"], "bf16",
                 dict(HAS_WD=True, MAXIMIZE=False, ALIGNED=True, ACC=tl.float32, BLOCK=1024))
    assert k.asm["cubin"]
