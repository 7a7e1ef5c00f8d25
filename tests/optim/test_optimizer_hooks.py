"""Optimizer hooks as torch's: per-optimizer step pre/post hooks, the global
register_optimizer_step_pre_hook / _post_hook, state_dict and load_state_dict pre/post hooks.
Call order, (args, kwargs) replacement by a pre hook, return-value checks, RemovableHandle
(remove(), context manager), per-instance isolation, the class step patched once, pickling.
Steps use a closure (recorded in the call log) and parameters without gradients, so no kernel
runs except in the last test."""
import copy
import pickle

import pytest

import tnn
from tnn.optim import optimizer as O
from tnn.utils.hooks import RemovableHandle


def _sgd(lr=0.1, **kw):
    return tnn.optim.SGD([tnn.zeros(2, requires_grad=True)], lr=lr, **kw)


def _logger(log, name):
    def hook(opt, args, kwargs):
        log.append((name, opt, args, dict(kwargs)))
    return hook


def test_step_hook_order_and_arguments():
    log = []
    opt = _sgd()
    h = [O.register_optimizer_step_pre_hook(_logger(log, "global_pre")),
         O.register_optimizer_step_post_hook(_logger(log, "global_post"))]
    try:
        h += [opt.register_step_post_hook(_logger(log, "post1")), opt.register_step_pre_hook(_logger(log, "pre1")),
              opt.register_step_pre_hook(_logger(log, "pre2")), opt.register_step_post_hook(_logger(log, "post2"))]
        assert all(isinstance(x, RemovableHandle) for x in h)

        def closure():
            log.append(("step", None, (), {}))
            return 3.0

        assert opt.step(closure) == 3.0          # the step's return value passes through
        names = [e[0] for e in log]
        # global pre hooks, the optimizer's pre hooks (registration order), the step, the optimizer's
        # post hooks, then the global post hooks
        assert names == ["global_pre", "pre1", "pre2", "step", "post1", "post2", "global_post"]
        for name, o, args, kwargs in log:
            if name != "step":
                assert o is opt and args == (opt, closure) and kwargs == {}
        log.clear()
        opt.step(closure=closure)
        assert log[0][2] == (opt,) and log[0][3] == {"closure": closure}
    finally:
        for x in h:
            x.remove()
    log.clear()
    opt.step()
    assert log == []


def test_pre_hook_replaces_args_and_kwargs():
    log = []
    opt = _sgd()

    def original():
        log.append("original")
        return 1.0

    def replacement():
        log.append("replacement")
        return 2.0

    def swap_args(o, args, kwargs):
        return (o, replacement), kwargs

    h = opt.register_step_pre_hook(swap_args)
    seen = []
    opt.register_step_post_hook(lambda o, args, kwargs: seen.append(args))
    assert opt.step(original) == 2.0 and log == ["replacement"]
    assert seen == [(opt, replacement)]          # post hooks see the replaced arguments
    h.remove()

    def swap_kwargs(o, args, kwargs):
        return (o,), {"closure": replacement}

    with opt.register_step_pre_hook(swap_kwargs):      # a handle is a context manager
        log.clear()
        assert opt.step() == 2.0 and log == ["replacement"]
    log.clear()
    assert opt.step(original) == 1.0 and log == ["original"]

    # a later pre hook sees an earlier one's replacement
    got = []
    opt.register_step_pre_hook(swap_args)
    opt.register_step_pre_hook(lambda o, args, kwargs: got.append(args[1]))
    opt.step(original)
    assert got == [replacement]


def test_pre_hook_bad_return():
    opt = _sgd()
    opt.register_step_pre_hook(lambda o, args, kwargs: ("only one",))
    with pytest.raises(RuntimeError, match=r"must return None or a tuple of \(new_args, new_kwargs\), but got "
                                           r"\('only one',\)."):
        opt.step()


def test_hooks_are_per_instance_and_step_patched_once():
    log = []
    a, b = _sgd(), _sgd()
    a.register_step_pre_hook(_logger(log, "a"))
    b.step()
    assert log == []
    a.step()
    assert [e[0] for e in log] == ["a"]          # once: the class step is wrapped only once
    assert getattr(tnn.optim.SGD.step, "hooked", False)
    adam = tnn.optim.Adam([tnn.zeros(1, requires_grad=True)])
    adamw = tnn.optim.AdamW([tnn.zeros(1, requires_grad=True)])
    log.clear()
    with O.register_optimizer_step_pre_hook(_logger(log, "g")):
        for o in (a, b, adam, adamw):
            o.step()
    assert [e[1] for e in log if e[0] == "g"] == [a, b, adam, adamw]
    assert [e[0] for e in log] == ["g", "a", "g", "g", "g"]   # a: global first, then its own hook
    log.clear()
    a.step()
    assert [e[0] for e in log] == ["a"]


def test_handle_remove_is_idempotent_and_removes_only_its_hook():
    log = []
    opt = _sgd()
    h1 = opt.register_step_post_hook(_logger(log, "1"))
    opt.register_step_post_hook(_logger(log, "2"))
    h1.remove()
    h1.remove()
    opt.step()
    assert [e[0] for e in log] == ["2"]
    assert len(opt._optimizer_step_post_hooks) == 1


def test_state_dict_hooks():
    opt = _sgd(momentum=0.9)
    calls = []
    opt.register_state_dict_pre_hook(lambda o: calls.append(("pre", o)))

    def add_key(o, sd):
        calls.append("post")
        sd["extra"] = 1

    def replace(o, sd):
        calls.append("post_replace")
        return {**sd, "replaced": True}

    opt.register_state_dict_post_hook(add_key)
    h = opt.register_state_dict_post_hook(replace, prepend=True)
    sd = opt.state_dict()
    assert calls == [("pre", opt), "post_replace", "post"]
    assert sd["extra"] == 1 and sd["replaced"] is True and sd["param_groups"][0]["lr"] == 0.1
    h.remove()
    calls.clear()
    assert "replaced" not in opt.state_dict() and calls == [("pre", opt), "post"]


def test_load_state_dict_hooks():
    opt = _sgd(lr=0.1)
    sd = opt.state_dict()
    order = []

    def bump_lr(o, state_dict):
        order.append("pre")
        state_dict = copy.deepcopy(state_dict)
        state_dict["param_groups"][0]["lr"] = 0.5
        return state_dict

    def tag(o, state_dict):
        order.append("pre_first")
        state_dict["tagged"] = True          # edits the shallow copy load_state_dict made, not the caller's

    opt.register_load_state_dict_pre_hook(bump_lr)
    opt.register_load_state_dict_pre_hook(tag, prepend=True)
    opt.register_load_state_dict_post_hook(lambda o: order.append(("post", o.param_groups[0]["lr"])))
    opt.load_state_dict(sd)
    assert order == ["pre_first", "pre", ("post", 0.5)]
    assert opt.param_groups[0]["lr"] == 0.5 and sd["param_groups"][0]["lr"] == 0.1 and "tagged" not in sd


def test_hooks_not_pickled_and_restored_empty():
    opt = _sgd()
    opt.register_step_pre_hook(lambda o, a, k: None)
    opt.register_state_dict_post_hook(lambda o, sd: None)
    for clone in (copy.deepcopy(opt), pickle.loads(pickle.dumps(opt))):
        assert len(clone._optimizer_step_pre_hooks) == 0 and len(clone._optimizer_state_dict_post_hooks) == 0
        log = []
        clone.register_step_post_hook(_logger(log, "c"))
        clone.step()
        assert [e[0] for e in log] == ["c"]


def test_hooked_step_updates_parameters(device):
    p = tnn.zeros(3, device=device, requires_grad=True)
    opt = tnn.optim.SGD([p], lr=0.5)
    seen = []

    def scale_lr(o, args, kwargs):      # a pre hook may edit the groups before the step reads them
        o.param_groups[0]["lr"] = 0.25

    opt.register_step_pre_hook(scale_lr)
    opt.register_step_post_hook(lambda o, a, k: seen.append(p.detach().numpy().tolist()))
    p.grad = tnn.ones(3, device=device)
    opt.step()
    assert seen == [[-0.25, -0.25, -0.25]]
