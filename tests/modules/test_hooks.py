"""Module hooks with torch's semantics and order: forward pre-hooks and hooks (args/kwargs/output
replacement, prepend, always_call), full backward pre-hooks and hooks (grad_output/grad_input
tuples, replacement), global hooks before the module's own, removable handles."""
import warnings

import numpy as np
import pytest

import tnn
import tnn.nn as nn
from tnn.nn.modules import module as module_mod
from tnn.testing import assert_close
from tnn.utils.hooks import RemovableHandle


class Scale(nn.Module):
    def __init__(self, device=None):
        super().__init__()
        self.w = nn.Parameter(tnn.tensor([2.0, 3.0], device=device))

    def forward(self, x, y=None, *, z=None):
        out = x * self.w
        if y is not None:
            out = out + y
        if z is not None:
            out = out + z
        return out


class Split(nn.Module):
    """Two outputs and a non-tensor argument."""

    def forward(self, x, k, y):
        return x * k, y * 3.0


def _t(vals, device, rg=False):
    return tnn.tensor(np.asarray(vals, dtype=np.float32), device=device, requires_grad=rg)


def _np(t):
    return t.detach().numpy()


@pytest.fixture(autouse=True)
def _no_global_hooks_left():
    yield
    for d in (module_mod._global_forward_pre_hooks, module_mod._global_forward_hooks,
              module_mod._global_backward_hooks, module_mod._global_backward_pre_hooks):
        assert not d, "a test left a global hook registered"
    module_mod._global_is_full_backward_hook = None


# ----------------------------------------------------------------------------- handles
def test_removable_handle():
    from collections import OrderedDict
    d, extra = OrderedDict(), OrderedDict()
    h = RemovableHandle(d, extra_dict=extra)
    d[h.id] = "hook"
    extra[h.id] = True
    h2 = RemovableHandle(d, extra_dict=[extra])
    assert h2.id == h.id + 1
    h.remove()
    assert h.id not in d and h.id not in extra
    h.remove()  # idempotent
    with RemovableHandle(d) as h3:
        d[h3.id] = 1
    assert h3.id not in d


# ----------------------------------------------------------------------------- forward hooks
def test_forward_pre_hook_replaces_args(device):
    m = Scale(device)
    x = _t([1.0, 1.0], device)
    h = m.register_forward_pre_hook(lambda mod, args: args[0] * 10)  # a single value is wrapped in a tuple
    assert _np(m(x)).tolist() == [20.0, 30.0]
    h.remove()
    h = m.register_forward_pre_hook(lambda mod, args: (args[0], _t([1.0, 1.0], device)))
    assert _np(m(x)).tolist() == [3.0, 4.0]
    h.remove()
    seen = []
    with m.register_forward_pre_hook(lambda mod, args: seen.append((mod, len(args)))):
        m(x)
    assert seen == [(m, 1)]
    m(x)
    assert len(seen) == 1  # removed by the context manager


def test_forward_pre_hook_with_kwargs(device):
    m = Scale(device)
    x = _t([1.0, 1.0], device)

    def hook(mod, args, kwargs):
        assert kwargs == {"z": 1.0}
        return (args[0],), {"z": 5.0}

    m.register_forward_pre_hook(hook, with_kwargs=True)
    assert _np(m(x, z=1.0)).tolist() == [7.0, 8.0]

    m2 = Scale(device)
    m2.register_forward_pre_hook(lambda mod, a, k: a, with_kwargs=True)
    with pytest.raises(RuntimeError, match=r"forward pre-hook must return None or a tuple of \(new_args, new_kwargs\)"):
        m2(x)


def test_forward_hook_replaces_output_and_sees_args(device):
    m = Scale(device)
    x = _t([1.0, 2.0], device)
    seen = []

    def hook(mod, args, out):
        seen.append((args[0] is x, _np(out).tolist()))
        return out + 1

    m.register_forward_hook(hook)
    m.register_forward_hook(lambda mod, args, kwargs, out: out * kwargs.get("scale", 1), with_kwargs=True)
    assert _np(m(x)).tolist() == [3.0, 7.0]
    assert seen == [(True, [2.0, 6.0])]


def test_forward_hook_with_kwargs_arguments(device):
    m = Scale(device)
    got = {}

    def hook(mod, args, kwargs, out):
        got.update(kwargs)

    m.register_forward_hook(hook, with_kwargs=True)
    m(_t([1.0, 1.0], device), z=2.0)
    assert got == {"z": 2.0}


def test_hook_order_prepend_and_global_first(device):
    m = Scale(device)
    order = []
    m.register_forward_pre_hook(lambda mod, a: order.append("pre1"))
    m.register_forward_pre_hook(lambda mod, a: order.append("pre0"), prepend=True)
    m.register_forward_hook(lambda mod, a, o: order.append("hook1"))
    m.register_forward_hook(lambda mod, a, o: order.append("hook0"), prepend=True)
    g1 = nn.modules.module.register_module_forward_pre_hook(lambda mod, a: order.append("gpre"))
    g2 = nn.modules.module.register_module_forward_hook(lambda mod, a, o: order.append("ghook"))
    try:
        m(_t([1.0, 1.0], device))
    finally:
        g1.remove()
        g2.remove()
    assert order == ["gpre", "pre0", "pre1", "ghook", "hook0", "hook1"]
    order.clear()
    m(_t([1.0, 1.0], device))
    assert order == ["pre0", "pre1", "hook0", "hook1"]


def test_global_hooks_apply_to_every_module(device):
    seq = nn.Sequential(Scale(device), Scale(device))
    names = []
    h = nn.modules.module.register_module_forward_hook(lambda mod, a, o: names.append(type(mod).__name__))
    try:
        seq(_t([1.0, 1.0], device))
    finally:
        h.remove()
    assert names == ["Scale", "Scale", "Sequential"]


def test_always_call_runs_when_forward_raises(device):
    class Boom(nn.Module):
        def forward(self, x):
            raise ValueError("boom")

    m = Boom()
    calls = []
    m.register_forward_hook(lambda mod, a, o: calls.append(("always", o)), always_call=True)
    m.register_forward_hook(lambda mod, a, o: calls.append("normal"))
    g = nn.modules.module.register_module_forward_hook(lambda mod, a, o: calls.append("global"), always_call=True)
    try:
        with pytest.raises(ValueError, match="boom"):
            m(1)
    finally:
        g.remove()
    assert calls == ["global", ("always", None)]

    # an always_call hook that already ran is not run again when a later hook raises
    m2 = Scale(device)
    calls.clear()
    m2.register_forward_hook(lambda mod, a, o: calls.append("always"), always_call=True)

    def bad(mod, a, o):
        raise KeyError("later")

    m2.register_forward_hook(bad)
    with pytest.raises(KeyError):
        m2(_t([1.0, 1.0], device))
    assert calls == ["always"]

    # an exception inside an always_call hook during error handling is silenced with a warning
    m3 = Boom()

    def failing(mod, a, o):
        raise RuntimeError("in hook")

    m3.register_forward_hook(failing, always_call=True)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        with pytest.raises(ValueError, match="boom"):
            m3(1)
    assert any("always_call=True" in str(x.message) for x in w)


def test_handle_removes_extra_dicts(device):
    m = Scale(device)
    h = m.register_forward_hook(lambda mod, a, k, o: None, with_kwargs=True, always_call=True)
    assert h.id in m._forward_hooks_with_kwargs and h.id in m._forward_hooks_always_called
    h.remove()
    assert not m._forward_hooks and not m._forward_hooks_with_kwargs and not m._forward_hooks_always_called
    h = m.register_forward_pre_hook(lambda mod, a, k: None, with_kwargs=True)
    h.remove()
    assert not m._forward_pre_hooks_with_kwargs


# ----------------------------------------------------------------------------- backward hooks
def test_full_backward_hook_sees_grads(device):
    m = Scale(device)
    x = _t([1.0, 2.0], device, rg=True)
    seen = []

    def hook(mod, grad_input, grad_output):
        assert mod is m and isinstance(grad_input, tuple) and isinstance(grad_output, tuple)
        seen.append(([_np(g).tolist() for g in grad_input], [_np(g).tolist() for g in grad_output]))

    m.register_full_backward_hook(hook)
    y = m(x)
    assert y.grad_fn.name() == "BackwardHookFunctionBackward"
    (y * _t([1.0, 10.0], device)).sum().backward()
    assert seen == [([[2.0, 30.0]], [[1.0, 10.0]])]
    assert _np(x.grad).tolist() == [2.0, 30.0]
    assert _np(m.w.grad).tolist() == [1.0, 20.0]


def test_full_backward_hook_replaces_grad_input(device):
    m = Scale(device)
    x = _t([1.0, 2.0], device, rg=True)
    m.register_full_backward_hook(lambda mod, gi, go: (gi[0] * 100,))
    m(x).sum().backward()
    assert _np(x.grad).tolist() == [200.0, 300.0]
    assert _np(m.w.grad).tolist() == [1.0, 2.0]  # parameter gradients are not grad_input


def test_backward_pre_hook_replaces_grad_output(device):
    m = Scale(device)
    x = _t([1.0, 2.0], device, rg=True)
    seen = []

    def pre(mod, grad_output):
        seen.append(_np(grad_output[0]).tolist())
        return (grad_output[0] * 2,)

    m.register_full_backward_pre_hook(pre)
    m.register_full_backward_hook(lambda mod, gi, go: seen.append(("after", _np(go[0]).tolist())))
    m(x).sum().backward()
    assert seen == [[1.0, 1.0], ("after", [2.0, 2.0])]
    assert _np(x.grad).tolist() == [4.0, 6.0]
    assert _np(m.w.grad).tolist() == [2.0, 4.0]  # the replaced grad_output reaches the parameters too


def test_backward_hook_order_global_and_prepend(device):
    m = Scale(device)
    order = []
    m.register_full_backward_pre_hook(lambda mod, go: order.append("pre1"))
    m.register_full_backward_pre_hook(lambda mod, go: order.append("pre0"), prepend=True)
    m.register_full_backward_hook(lambda mod, gi, go: order.append("hook1"))
    m.register_full_backward_hook(lambda mod, gi, go: order.append("hook0"), prepend=True)
    g1 = nn.modules.module.register_module_full_backward_pre_hook(lambda mod, go: order.append("gpre"))
    g2 = nn.modules.module.register_module_full_backward_hook(lambda mod, gi, go: order.append("ghook"))
    try:
        m(_t([1.0, 1.0], device, rg=True)).sum().backward()
    finally:
        g1.remove()
        g2.remove()
    assert order == ["gpre", "pre0", "pre1", "ghook", "hook0", "hook1"]


def test_backward_hooks_none_for_non_tensors_and_tuple_outputs(device):
    m = Split()
    x = _t([1.0, 2.0], device, rg=True)
    y = _t([5.0], device)  # does not require grad
    seen = []

    def hook(mod, gi, go):
        seen.append((len(gi), gi[1] is None, gi[2] is None, [_np(g).tolist() for g in go]))

    m.register_full_backward_hook(hook)
    a, b = m(x, 4.0, y)
    assert a.requires_grad and not b.requires_grad
    a.sum().backward()
    assert len(seen) == 1
    n, k_none, y_none, go = seen[0]
    assert n == 3 and k_none and y_none and go[0] == [1.0, 1.0]
    assert _np(x.grad).tolist() == [4.0, 4.0]


def test_backward_hook_no_input_requires_grad(device):
    m = Scale(device)
    x = _t([1.0, 2.0], device)  # the hook still runs, with grad_input (None,)
    seen = []
    m.register_full_backward_hook(lambda mod, gi, go: seen.append((gi, _np(go[0]).tolist())))
    m(x).sum().backward()
    assert seen == [((None,), [1.0, 1.0])]
    assert _np(m.w.grad).tolist() == [1.0, 2.0]

    m2 = Scale(device)
    m2.register_full_backward_hook(lambda mod, gi, go: (tnn.ones(2),))
    with pytest.raises(RuntimeError, match="Backward hook for Modules where no input requires gradient should "
                                           "always return None or None for all gradients."):
        m2(x).sum().backward()


def test_backward_hook_wrong_lengths(device):
    m = Scale(device)
    m.register_full_backward_hook(lambda mod, gi, go: (gi[0], gi[0]))
    with pytest.raises(RuntimeError, match="Backward hook returned an invalid number of grad_input, got 2, but "
                                           "expected 1"):
        m(_t([1.0, 1.0], device, rg=True)).sum().backward()
    m2 = Scale(device)
    m2.register_full_backward_pre_hook(lambda mod, go: (go[0], go[0]))
    with pytest.raises(RuntimeError, match="Backward pre hook returned an invalid number of grad_output, got 2, "
                                           "but expected 1"):
        m2(_t([1.0, 1.0], device, rg=True)).sum().backward()


def test_backward_hooks_in_a_sequential_chain(device):
    seq = nn.Sequential(Scale(device), Scale(device))
    grads = []
    for i, layer in enumerate(seq):
        layer.register_full_backward_hook(lambda mod, gi, go, i=i: grads.append((i, _np(gi[0]).tolist(),
                                                                                _np(go[0]).tolist())))
    x = _t([1.0, 1.0], device, rg=True)
    seq(x).sum().backward()
    # the last module's hook runs first; its grad_input is the first's grad_output
    assert grads == [(1, [2.0, 3.0], [1.0, 1.0]), (0, [4.0, 9.0], [2.0, 3.0])]
    assert_close(x.grad, np.array([4.0, 9.0]))


def test_no_backward_hook_setup_under_no_grad(device):
    m = Scale(device)
    called = []
    m.register_full_backward_hook(lambda *a: called.append(1))
    with tnn.no_grad():
        y = m(_t([1.0, 1.0], device, rg=True))
    assert y.grad_fn is None and not called


def test_mixing_backward_hook_kinds_raises(device):
    m = Scale(device)
    m.register_full_backward_hook(lambda *a: None)
    with pytest.raises(RuntimeError, match="Cannot use both regular backward hooks and full backward hooks"):
        m.register_backward_hook(lambda *a: None)


def test_hooks_removed_restore_fast_path(device):
    m = Scale(device)
    h1 = m.register_full_backward_hook(lambda *a: None)
    h2 = m.register_full_backward_pre_hook(lambda *a: None)
    h1.remove()
    h2.remove()
    y = m(_t([1.0, 1.0], device, rg=True))
    assert y.grad_fn.name() != "BackwardHookFunctionBackward"


def test_global_registration_hooks(device):
    seen = []

    def on_param(mod, name, p):
        seen.append(("param", name))

    def on_buf(mod, name, b):
        seen.append(("buf", name))
        return b * 2  # a hook may replace what is registered

    def on_mod(mod, name, sub):
        seen.append(("mod", name))

    hs = [module_mod.register_module_parameter_registration_hook(on_param),
          module_mod.register_module_buffer_registration_hook(on_buf),
          module_mod.register_module_module_registration_hook(on_mod)]
    try:
        m = nn.Module()
        m.w = nn.Parameter(tnn.ones(1, device=device))
        m.register_buffer("b", tnn.ones(1, device=device))
        m.c = Scale(device)
        m.add_module("d", None)
    finally:
        for h in hs:
            h.remove()
    # Scale's own w registers before Scale itself
    assert seen == [("param", "w"), ("buf", "b"), ("param", "w"), ("mod", "c"), ("mod", "d")]
    assert _np(m.b).tolist() == [2.0]


def test_deprecated_backward_hook_runs_as_full(device):
    m = Scale(device)
    seen = []
    m.register_backward_hook(lambda mod, gi, go: seen.append(len(gi)))
    with pytest.raises(RuntimeError, match="Cannot use both regular backward hooks and full backward hooks"):
        m.register_full_backward_hook(lambda *a: None)
    m(_t([1.0, 1.0], device, rg=True)).sum().backward()
    assert seen == [1]


def test_backward_pre_hook_on_tuple_outputs(device):
    m = Split()
    x = _t([1.0, 2.0], device, rg=True)
    y = _t([1.0], device, rg=True)
    m.register_full_backward_pre_hook(lambda mod, go: (go[0] * 2, go[1] * 5))
    seen = []
    m.register_full_backward_hook(lambda mod, gi, go: seen.append(gi[1]))
    a, b = m(x, 4.0, y)
    (a.sum() + b.sum()).backward()
    assert seen == [None]  # the non-tensor argument
    assert _np(x.grad).tolist() == [8.0, 8.0] and _np(y.grad).tolist() == [15.0]
