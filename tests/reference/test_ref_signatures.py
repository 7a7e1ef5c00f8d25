"""tnn.reference mirrors tnn's ops: the same parameter names, kinds and defaults (``out=`` left
out), a ``_backward`` for every forward, and coverage of the kernel op set. Introspection only:
no tnn kernel runs here."""
import importlib
import inspect

import numpy as np
import pytest

import tnn.reference as ref
from tnn.ops import copying, elementwise, indexing, matmul, reduce, views

_KERNEL_FAMILIES = [importlib.import_module(f"tnn.reference.{f}")
                    for f in ("elementwise", "reduce", "matmul", "views", "indexing")]
FORWARDS = [(m, n) for m in _KERNEL_FAMILIES for n in m.__all__ if not n.endswith("_backward")]

OP_SET = """neg abs sign exp exp2 expm1 log log2 log1p sqrt rsqrt reciprocal sin cos tanh sigmoid relu floor ceil
round trunc square isnan isinf isfinite logical_not add sub mul div remainder fmod pow maximum minimum eq ne lt le
gt ge logical_and logical_or logical_xor where clamp lerp sum mean prod amax amin max min argmax argmin var std
logsumexp norm all any cumsum matmul mm bmm reshape view permute transpose expand squeeze unsqueeze flatten narrow
getitem index_select gather scatter masked_fill cat stack clone to copy_""".split()


def _tnn_op(name):
    name = "__getitem__" if name == "getitem" else name
    for mod in (elementwise, reduce, matmul, views, indexing, copying):
        if hasattr(mod, name):
            return getattr(mod, name)
    return None


def _params(fn):
    return [(p.name, p.kind, p.default) for p in inspect.signature(fn).parameters.values() if p.name != "out"]


def test_op_set_is_covered():
    missing = [n for n in OP_SET if not (hasattr(ref, n) and hasattr(ref, n + "_backward"))]
    assert not missing


@pytest.mark.parametrize("module,name", FORWARDS, ids=[n for _, n in FORWARDS])
def test_same_signature_as_tnn(module, name):
    fwd, bwd = getattr(module, name), getattr(module, name + "_backward")
    op = _tnn_op(name)
    assert op is not None, f"tnn has no op {name}"
    assert _params(fwd) == _params(op)
    # The backward takes grad_output, then exactly the forward's parameters.
    assert _params(bwd)[0][0] == "grad_output" and _params(bwd)[1:] == _params(fwd)


def test_results_are_fresh_arrays():
    x = np.arange(6.0).reshape(2, 3)
    for out in (ref.sum(x), ref.exp(np.array(1.0)), ref.getitem(x, (1, 2)), ref.matmul(x[0], x[1]),
                ref.select(x[0], 0, 1), ref.sum_backward(np.array(1.0), x)[0]):
        assert isinstance(out, np.ndarray)
    (g,) = ref.sum_backward(np.array(1.0), x)
    g[0, 0] = 5.0  # writable, not a broadcast view
