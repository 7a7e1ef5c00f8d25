"""tnn.optim's optimizers against the NumPy reference steps (tnn.reference.optim): several steps
of SGD / Adam / AdamW / RMSprop / Adagrad over every option (hypothesis over hyperparameters),
parameters of several shapes (1, primes, 0-d), dtypes fp32 / fp16 / bf16 / fp64, transposed and
offset (unaligned) parameters, strided gradients; a parameter whose grad is None is skipped;
groups with their own lr; one launch per group; state_dict / load_state_dict resuming
identically; zero_grad; closure; repr; torch's error messages."""
import importlib

import numpy as np
import pytest
from hypothesis import given, strategies as st

import tnn
from tnn.kernels import optim as K
from tnn.runtime import dtypes as dt
from tnn.testing import assert_close, make_tensor, random_array

ref = importlib.import_module("tnn.reference.optim")
SHAPES = [(7,), (3, 5), (), (1,)]
STEPS = 4


def _options(name):
    """A strategy for the hyperparameters of optimizer ``name`` (torch's keyword names)."""
    f = st.sampled_from
    if name == "SGD":
        return st.fixed_dictionaries({
            "lr": f([0.1, 0.013]), "momentum": f([0.0, 0.9]), "dampening": f([0.0, 0.3]),
            "weight_decay": f([0.0, 0.05]), "nesterov": st.booleans(), "maximize": st.booleans(),
        }).map(lambda o: dict(o, dampening=0.0) if o["nesterov"] else o).map(
            lambda o: dict(o, momentum=0.9) if o["nesterov"] else o)
    if name in ("Adam", "AdamW"):
        return st.fixed_dictionaries({
            "lr": f([0.01, 0.1]), "betas": f([(0.9, 0.999), (0.3, 0.8), (0.0, 0.5)]), "eps": f([1e-8, 1e-3]),
            "weight_decay": f([0.0, 0.1]), "amsgrad": st.booleans(), "maximize": st.booleans(),
        })
    if name == "RMSprop":
        return st.fixed_dictionaries({
            "lr": f([0.01, 0.003]), "alpha": f([0.99, 0.5]), "eps": f([1e-8, 1e-2]), "weight_decay": f([0.0, 0.1]),
            "momentum": f([0.0, 0.7]), "centered": st.booleans(), "maximize": st.booleans(),
        })
    return st.fixed_dictionaries({
        "lr": f([0.01, 0.1]), "lr_decay": f([0.0, 0.05]), "weight_decay": f([0.0, 0.1]),
        "initial_accumulator_value": f([0.0, 0.5]), "eps": f([1e-10, 1e-3]), "maximize": st.booleans(),
    })


REF_STEP = {"SGD": ref.sgd_step, "Adam": ref.adam_step, "AdamW": ref.adamw_step, "RMSprop": ref.rmsprop_step,
            "Adagrad": ref.adagrad_step}


def _run(device, name, opts, dtype=dt.float32, shapes=SHAPES, layout="contiguous", g_layout="contiguous",
         seed=0, steps=STEPS):
    """``steps`` steps of tnn.optim.<name>(**opts) and of the reference on the same gradients;
    parameters and every state tensor compared after each step."""
    arrays = [random_array(dtype, s, seed + i) for i, s in enumerate(shapes)]
    params = [make_tensor(a, layout, device, requires_grad=True) for a in arrays]
    opt = getattr(tnn.optim, name)(params, **opts)
    ref_params = [a.copy() for a in arrays]
    ref_states = [{} for _ in arrays]
    for k in range(steps):
        for i, (p, s) in enumerate(zip(params, shapes)):
            g = random_array(dtype, s, 1000 * (k + 1) + seed + i, low=-2, high=2)
            p.grad = make_tensor(g, g_layout, device)
            ref_params[i] = REF_STEP[name](ref_params[i], g, ref_states[i], **opts)
        opt.step()
        for i, p in enumerate(params):
            assert_close(p.detach(), ref_params[i], dtype=dtype, reduce_len=4 * (k + 1),
                         msg=f"{name} step {k + 1} param {i} {opts}")
            for key, v in ref_states[i].items():
                got = opt.state[p][key]
                if key == "step":
                    assert got.dtype is dt.float32 and got.dim() == 0 and got.item() == v
                else:
                    assert got.dtype is dtype and tuple(got.shape) == tuple(p.shape)
                    assert_close(got, v, dtype=dtype, reduce_len=4 * (k + 1), msg=f"{name} state {key}")
    return opt, params


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"])
def test_matches_reference_every_option(device, name):
    @given(opts=_options(name), seed=st.integers(0, 1000))
    def check(opts, seed):
        _run(device, name, opts, seed=seed)
    check()


@pytest.mark.parametrize("dtype", [dt.float16, dt.bfloat16, dt.float64])
@pytest.mark.parametrize("name,opts", [("SGD", {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.01}),
                                       ("Adam", {"lr": 0.01, "amsgrad": True}),
                                       ("AdamW", {"lr": 0.01}),
                                       ("RMSprop", {"lr": 0.01, "momentum": 0.5, "centered": True}),
                                       ("Adagrad", {"lr": 0.1, "lr_decay": 0.1})])
def test_low_and_double_precision(device, name, opts, dtype):
    """float16 / bfloat16 parameters with float32 math (state in the parameter dtype); float64."""
    _run(device, name, opts, dtype=dtype, shapes=[(5,), (2, 3)], steps=3)


@pytest.mark.parametrize("layout,g_layout", [("transposed", "contiguous"), ("offset", "strided"),
                                             ("contiguous", "transposed")])
def test_layouts(device, layout, g_layout):
    """Transposed (dense) and offset (unaligned) parameters; strided / transposed gradients."""
    opt, params = _run(device, "Adam", {"lr": 0.05}, shapes=[(3, 5), (4, 2)], layout=layout, g_layout=g_layout,
                       steps=2)
    for p in params:   # state has the parameter's layout
        assert opt.state[p]["exp_avg"].stride() == p.stride()


def test_long_tensor_several_blocks(device, monkeypatch):
    """Blocks that split tensors (full blocks unmasked, a partial last block), two tensors."""
    monkeypatch.setattr(K, "_INTERP_MAX_BLOCK", 16)
    _run(device, "Adam", {"lr": 0.05, "weight_decay": 0.1}, shapes=[(37,), (16,), (5,)], steps=2)
    _run(device, "SGD", {"lr": 0.05, "momentum": 0.9}, shapes=[(40,), (3,)], steps=2)


def test_one_launch_per_group(device, monkeypatch):
    calls = []
    real = K.launch
    monkeypatch.setattr(K, "launch", lambda *a, **k: (calls.append(a[0]), real(*a, **k)))
    ps = [tnn.randn(3, device=device, requires_grad=True) for _ in range(4)]
    opt = tnn.optim.Adam([{"params": ps[:3]}, {"params": ps[3:], "lr": 0.5}])
    for p in ps:
        p.grad = tnn.ones_like(p)
    opt.step()
    opt.step()
    assert len(calls) == 4   # 2 groups x 2 steps


def test_grad_none_skipped_and_own_step_count(device):
    a, b = (tnn.tensor(random_array(dt.float32, (4,), s), device=device, requires_grad=True) for s in (1, 2))
    opt = tnn.optim.Adam([a, b], lr=0.1)
    ra, rb, sa, sb = a.detach().numpy().copy(), b.detach().numpy().copy(), {}, {}
    for k in range(3):
        ga = random_array(dt.float32, (4,), 10 + k)
        a.grad = tnn.tensor(ga, device=device)
        ra = ref.adam_step(ra, ga, sa, lr=0.1)
        if k != 1:    # b has no gradient at step 2: untouched, then its step count lags a's
            gb = random_array(dt.float32, (4,), 20 + k)
            b.grad = tnn.tensor(gb, device=device)
            rb = ref.adam_step(rb, gb, sb, lr=0.1)
        else:
            b.grad = None
        before = b.detach().numpy().copy()
        opt.step()
        if k == 1:
            np.testing.assert_array_equal(b.detach().numpy(), before)
        assert_close(a.detach(), ra)
        assert_close(b.detach(), rb)
    assert opt.state[a]["step"].item() == 3 and opt.state[b]["step"].item() == 2
    c = tnn.zeros(3, device=device, requires_grad=True)
    opt2 = tnn.optim.SGD([c], lr=0.1, momentum=0.9)
    opt2.step()
    assert len(opt2.state) == 0
    sgd = tnn.optim.SGD([a], lr=0.1)     # no momentum: no state at all, as torch
    sgd.step()
    assert sgd.state_dict()["state"] == {}


def test_groups_with_different_lr(device):
    a = tnn.ones(3, device=device, requires_grad=True)
    b = tnn.ones(3, device=device, requires_grad=True)
    opt = tnn.optim.SGD([{"params": [a]}, {"params": b, "lr": 0.5}], lr=0.1)
    assert opt.param_groups[1]["params"] == [b] and opt.param_groups[1]["momentum"] == 0
    a.grad = tnn.ones(3, device=device)
    b.grad = tnn.ones(3, device=device)
    opt.step()
    assert_close(a.detach(), np.full(3, 0.9, np.float32))
    assert_close(b.detach(), np.full(3, 0.5, np.float32))
    opt.param_groups[0]["lr"] = 0.2    # a changed lr takes effect without recompiling anything
    opt.step()
    assert_close(a.detach(), np.full(3, 0.7, np.float32))


def test_mixed_dtypes_in_one_group(device):
    a = tnn.ones(3, dtype=tnn.float16, device=device, requires_grad=True)
    b = tnn.ones(2, device=device, requires_grad=True)
    opt = tnn.optim.SGD([a, b], lr=0.25, momentum=0.5)
    for _ in range(2):
        a.grad = tnn.ones(3, dtype=tnn.float16, device=device)
        b.grad = tnn.ones(2, device=device)
        opt.step()
    assert_close(a.detach(), np.full(3, 1 - 0.25 - 0.25 * 1.5, np.float16))
    assert_close(b.detach(), np.full(2, 1 - 0.25 - 0.25 * 1.5, np.float32))


# ------------------------------------------------------------------------------ state_dict
@pytest.mark.parametrize("name,opts", [("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
                                       ("Adam", {"lr": 0.01, "amsgrad": True}),
                                       ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.3}),
                                       ("Adagrad", {"lr": 0.1, "lr_decay": 0.01})])
def test_state_dict_round_trip_resumes_identically(device, name, opts, tmp_path):
    def make():
        ps = [tnn.tensor(random_array(dt.float32, s, i), device=device, requires_grad=True)
              for i, s in enumerate([(4,), (2, 3)])]
        return ps, getattr(tnn.optim, name)([{"params": ps[:1]}, {"params": ps[1:], "lr": 0.02}], **opts)

    def step(ps, opt, k):
        for i, p in enumerate(ps):
            p.grad = tnn.tensor(random_array(dt.float32, tuple(p.shape), 100 * k + i), device=device)
        opt.step()

    ps, opt = make()
    for k in range(2):
        step(ps, opt, k)
    sd = opt.state_dict()
    assert sorted(sd) == ["param_groups", "state"]
    assert [g["params"] for g in sd["param_groups"]] == [[0], [1]]
    assert sd["param_groups"][1]["lr"] == 0.02 and set(sd["state"]) == {0, 1}
    tnn.save({"optimizer": sd, "params": [p.detach() for p in ps]}, tmp_path / "ckpt.safetensors")
    saved = tnn.load(tmp_path / "ckpt.safetensors")
    ps2, opt2 = make()
    for p, q in zip(ps2, saved["params"]):
        p.detach().copy_(q)
    opt2.load_state_dict(saved["optimizer"])
    assert opt2.param_groups[1]["lr"] == 0.02 and opt2.param_groups[1]["params"] == [ps2[1]]
    for k in range(2, 4):
        step(ps, opt, k)
        step(ps2, opt2, k)
    for p, q in zip(ps, ps2):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())
    for key, v in opt.state[ps[1]].items():
        np.testing.assert_array_equal(v.numpy(), opt2.state[ps2[1]][key].numpy())


def test_load_state_dict_errors(device):
    a = tnn.ones(2, device=device, requires_grad=True)
    b = tnn.ones(2, device=device, requires_grad=True)
    opt = tnn.optim.SGD([a, b])
    with pytest.raises(ValueError, match="different number of parameter groups"):
        opt.load_state_dict({"state": {}, "param_groups": []})
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
        opt.load_state_dict(tnn.optim.SGD([a]).state_dict())


def test_load_state_dict_casts_to_param(device):
    p = tnn.ones(3, dtype=tnn.float16, device=device, requires_grad=True)
    opt = tnn.optim.Adam([p])
    sd = {"state": {0: {"step": 2.0, "exp_avg": tnn.zeros(3), "exp_avg_sq": tnn.zeros(3)}},
          "param_groups": [dict(opt.state_dict()["param_groups"][0], lr=0.5)]}
    opt.load_state_dict(sd)
    st_ = opt.state[p]
    assert st_["exp_avg"].dtype is tnn.float16 and st_["step"].dtype is tnn.float32 and st_["step"].item() == 2
    assert opt.param_groups[0]["lr"] == 0.5 and opt.param_groups[0]["params"][0] is p


# ------------------------------------------------------------------------------ API
def test_zero_grad(device):
    p = tnn.ones(3, device=device, requires_grad=True)
    opt = tnn.optim.SGD([p])
    p.grad = tnn.ones(3, device=device)
    g = p.grad
    opt.zero_grad(set_to_none=False)
    assert p.grad is g and p.grad.tolist() == [0.0, 0.0, 0.0]
    opt.zero_grad()
    assert p.grad is None
    opt.zero_grad()


def test_closure(device):
    p = tnn.tensor([1.0, 2.0], device=device, requires_grad=True)
    opt = tnn.optim.SGD([p], lr=0.1)
    calls = []

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        calls.append(1)
        return loss

    with tnn.no_grad():    # the closure runs with grad enabled, as torch's
        loss = opt.step(closure)
    assert calls == [1] and loss.item() == 5.0
    assert_close(p.detach(), np.array([0.8, 1.6], np.float32))
    assert opt.step() is None


def test_named_parameters(device):
    a = tnn.ones(2, device=device, requires_grad=True)
    opt = tnn.optim.SGD([("w", a)], lr=0.1)
    assert opt.param_groups[0]["param_names"] == ["w"] and opt.param_groups[0]["params"] == [a]
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["w"]


def test_repr():
    p = tnn.ones(2, requires_grad=True)
    assert repr(tnn.optim.SGD([p])) == (
        "SGD (\nParameter Group 0\n    dampening: 0\n    differentiable: False\n    foreach: None\n"
        "    fused: None\n    lr: 0.001\n    maximize: False\n    momentum: 0\n    nesterov: False\n"
        "    weight_decay: 0\n)")
    assert repr(tnn.optim.AdamW([p], lr=0.1)) == (
        "AdamW (\nParameter Group 0\n    amsgrad: False\n    betas: (0.9, 0.999)\n    capturable: False\n"
        "    differentiable: False\n    eps: 1e-08\n    foreach: None\n    fused: None\n    lr: 0.1\n"
        "    maximize: False\n    weight_decay: 0.01\n)")
    two = tnn.optim.Adagrad([{"params": [p]}, {"params": [tnn.ones(1, requires_grad=True)], "lr": 1}])
    assert "Parameter Group 1\n" in repr(two) and "    lr: 1\n" in repr(two)


def test_defaults():
    p = tnn.ones(2, requires_grad=True)
    assert tnn.optim.SGD([p]).defaults["lr"] == 1e-3
    assert tnn.optim.Adam([p]).defaults["weight_decay"] == 0
    assert tnn.optim.AdamW([p]).defaults["weight_decay"] == 1e-2
    r = tnn.optim.RMSprop([p]).defaults
    assert (r["lr"], r["alpha"], r["eps"]) == (1e-2, 0.99, 1e-8)
    a = tnn.optim.Adagrad([p]).defaults
    assert (a["lr"], a["eps"], a["initial_accumulator_value"]) == (1e-2, 1e-10, 0)


def test_errors():
    p = tnn.ones(2, requires_grad=True)
    cases = [
        (lambda: tnn.optim.SGD([p], lr=-1), ValueError, "Invalid learning rate: -1"),
        (lambda: tnn.optim.SGD([p], momentum=-0.5), ValueError, "Invalid momentum value: -0.5"),
        (lambda: tnn.optim.SGD([p], weight_decay=-1), ValueError, "Invalid weight_decay value: -1"),
        (lambda: tnn.optim.SGD([p], nesterov=True), ValueError, "Nesterov momentum requires a momentum and zero"),
        (lambda: tnn.optim.SGD([p], momentum=0.9, dampening=0.1, nesterov=True), ValueError, "zero dampening"),
        (lambda: tnn.optim.Adam([p], betas=(1.0, 0.9)), ValueError, r"Invalid beta parameter at index 0: 1.0"),
        (lambda: tnn.optim.AdamW([p], betas=(0.9, -0.1)), ValueError, r"Invalid beta parameter at index 1: -0.1"),
        (lambda: tnn.optim.Adam([p], eps=-1e-8), ValueError, "Invalid epsilon value: -1e-08"),
        (lambda: tnn.optim.RMSprop([p], alpha=-1), ValueError, "Invalid alpha value: -1"),
        (lambda: tnn.optim.Adagrad([p], lr_decay=-1), ValueError, "Invalid lr_decay value: -1"),
        (lambda: tnn.optim.Adagrad([p], initial_accumulator_value=-1), ValueError,
         "Invalid initial_accumulator_value value: -1"),
        (lambda: tnn.optim.SGD([]), ValueError, "optimizer got an empty parameter list"),
        (lambda: tnn.optim.SGD(p), TypeError, "should be an iterable of Tensors or dicts, but got tnn.Tensor"),
        (lambda: tnn.optim.SGD([p, 1]), TypeError, "optimizer can only optimize Tensors, but one of the params is int"),
        (lambda: tnn.optim.SGD([p * 2]), ValueError, "can't optimize a non-leaf Tensor"),
        (lambda: tnn.optim.SGD([{"params": {p}}]), TypeError, "ordering of tensors in sets"),
        (lambda: tnn.optim.SGD([{"params": [p]}, {"params": [p]}]), ValueError,
         "some parameters appear in more than one parameter group"),
        (lambda: tnn.optim.SGD([p]).add_param_group([p]), TypeError, "param_group must be a dict"),
    ]
    for fn, exc, msg in cases:
        with pytest.raises(exc, match=msg):
            fn()
    with pytest.warns(UserWarning, match="duplicate parameters"):
        tnn.optim.SGD([p, p])


def test_non_dense_parameter_rejected(device):
    base = tnn.zeros(4, 6, device=device)
    p = base[:, ::2].detach().requires_grad_()
    opt = tnn.optim.SGD([p], lr=0.1)
    p.grad = tnn.ones(4, 3, device=device)
    with pytest.raises(RuntimeError, match="must be dense in memory"):
        opt.step()


def test_step_bumps_version(device):
    p = tnn.ones(2, device=device, requires_grad=True)
    opt = tnn.optim.SGD([p], lr=0.1)
    p.grad = tnn.ones(2, device=device)
    v = p._version
    opt.step()
    assert p._version > v


def test_training_loop_matches_reference(device):
    """End to end: least squares y = x @ w trained by Adam for 5 steps through tnn's autograd
    agrees with the same updates computed by NumPy (gradient 2/N x^T (x w - y)) and the reference."""
    x_np, y_np = random_array(dt.float32, (8, 3), 1), random_array(dt.float32, (8, 1), 2)
    w = tnn.zeros(3, 1, device=device, requires_grad=True)
    x, y = tnn.tensor(x_np, device=device), tnn.tensor(y_np, device=device)
    opt = tnn.optim.Adam([w], lr=0.1, weight_decay=0.01)
    w_ref, st = np.zeros((3, 1), np.float32), {}
    for _ in range(5):
        opt.zero_grad()
        loss = ((x @ w - y) ** 2).mean()
        loss.backward()
        g = (2.0 / 8) * x_np.astype(np.float64).T @ (x_np.astype(np.float64) @ w_ref - y_np)
        w_ref = ref.adam_step(w_ref, g.astype(np.float32), st, lr=0.1, weight_decay=0.01)
        opt.step()
        assert_close(w.detach(), w_ref, rtol=1e-4, atol=1e-5)
