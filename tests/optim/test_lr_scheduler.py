"""tnn.optim.lr_scheduler against closed-form values: StepLR, MultiStepLR, ExponentialLR,
CosineAnnealingLR (torch's recursive form, cycling past T_max), LambdaLR, LinearLR, OneCycleLR
(cos / linear, three_phase, momentum and Adam's beta1 cycling); state_dict round trips,
step(epoch)'s closed form, initial_lr, errors. No kernels run except in the optimizer test."""
import math

import numpy as np
import pytest

import tnn
from tnn.optim import lr_scheduler as S


def _opt(lr=0.1, cls=tnn.optim.SGD, groups=1, **kw):
    ps = [tnn.zeros(2, requires_grad=True) for _ in range(groups)]
    return cls([{"params": [p], "lr": lr * (i + 1)} for i, p in enumerate(ps)], lr=lr, **kw)


def _lrs(opt, sched, n):
    out = [[g["lr"] for g in opt.param_groups]]
    for _ in range(n):
        opt.step()
        sched.step()
        out.append(sched.get_last_lr())
    return np.array(out)


def test_step_lr():
    opt = _opt(0.05, groups=2)
    s = S.StepLR(opt, step_size=3, gamma=0.1)
    got = _lrs(opt, s, 8)
    expected = [[0.05 * 0.1 ** (e // 3) * k for k in (1, 2)] for e in range(9)]
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    assert opt.param_groups[1]["initial_lr"] == 0.1 and s.base_lrs == [0.05, 0.1]


def test_multistep_lr():
    opt = _opt(1.0)
    s = S.MultiStepLR(opt, milestones=[2, 5, 5], gamma=0.5)
    got = _lrs(opt, s, 7)[:, 0]
    np.testing.assert_allclose(got, [1, 1, 0.5, 0.5, 0.5, 0.125, 0.125, 0.125], rtol=1e-12)


def test_exponential_lr():
    opt = _opt(0.2)
    s = S.ExponentialLR(opt, gamma=0.9)
    np.testing.assert_allclose(_lrs(opt, s, 6)[:, 0], [0.2 * 0.9 ** e for e in range(7)], rtol=1e-12)


@pytest.mark.parametrize("eta_min", [0.0, 0.01])
def test_cosine_annealing_recursive_matches_closed_form(eta_min):
    opt = _opt(0.1, groups=2)
    T = 5
    s = S.CosineAnnealingLR(opt, T_max=T, eta_min=eta_min)
    got = _lrs(opt, s, 3 * T)
    for k, base in enumerate((0.1, 0.2)):
        expected = [eta_min + (base - eta_min) * (1 + math.cos(math.pi * e / T)) / 2 for e in range(3 * T + 1)]
        np.testing.assert_allclose(got[:, k], expected, rtol=1e-10, atol=1e-14)
    # The recursive form continues from a manually changed lr (as torch's does)
    opt.param_groups[0]["lr"] = 0.05
    s.step()
    assert opt.param_groups[0]["lr"] != pytest.approx(got[-1, 0])


def test_lambda_lr_and_state_dict():
    class Warmup:
        def __init__(self):
            self.k = 2

        def __call__(self, e):
            return min(1.0, (e + 1) / self.k)

    opt = _opt(0.1, groups=2)
    s = S.LambdaLR(opt, [lambda e: 0.5 ** e, Warmup()])
    got = _lrs(opt, s, 3)
    np.testing.assert_allclose(got[:, 0], [0.1 * 0.5 ** e for e in range(4)])
    np.testing.assert_allclose(got[:, 1], [0.2 * min(1.0, (e + 1) / 2) for e in range(4)])
    sd = s.state_dict()
    assert sd["lr_lambdas"][0] is None and sd["lr_lambdas"][1] == {"k": 2}
    assert "optimizer" not in sd and sd["last_epoch"] == 3
    s.lr_lambdas[1].k = 7
    s.load_state_dict(sd)
    assert s.lr_lambdas[1].k == 2 and s.last_epoch == 3
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas, but got 1"):
        S.LambdaLR(opt, [lambda e: 1.0])


def test_linear_lr():
    opt = _opt(0.3)
    s = S.LinearLR(opt, start_factor=0.25, end_factor=1.0, total_iters=4)
    got = _lrs(opt, s, 6)[:, 0]
    expected = [0.3 * (0.25 + 0.75 * min(4, e) / 4) for e in range(7)]
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    with pytest.raises(ValueError, match="Starting multiplicative factor"):
        S.LinearLR(opt, start_factor=0)
    with pytest.raises(ValueError, match="Ending multiplicative factor"):
        S.LinearLR(opt, end_factor=1.5)


def test_closed_form_with_epoch_argument():
    opt = _opt(1.0)
    s = S.StepLR(opt, step_size=2, gamma=0.5)
    with pytest.warns(UserWarning, match="epoch parameter"):
        s.step(5)
    assert s.get_last_lr() == [0.25] and s.last_epoch == 5


def _one_cycle(step, total, max_lr, pct, div, final_div, anneal, three_phase=False):
    """OneCycleLR's lr by its definition (phases end at pct*total - 1, ...)."""
    init, low = max_lr / div, max_lr / div / final_div
    f = (lambda a, b, t: b + (a - b) / 2 * (math.cos(math.pi * t) + 1)) if anneal == "cos" else (
        lambda a, b, t: a + (b - a) * t)
    e1 = pct * total - 1
    if three_phase:
        e2 = 2 * pct * total - 2
        if step <= e1:
            return f(init, max_lr, step / e1)
        if step <= e2:
            return f(max_lr, init, (step - e1) / (e2 - e1))
        return f(init, low, (step - e2) / (total - 1 - e2))
    if step <= e1:
        return f(init, max_lr, step / e1)
    return f(max_lr, low, (step - e1) / (total - 1 - e1))


@pytest.mark.parametrize("anneal,three_phase", [("cos", False), ("linear", False), ("cos", True), ("linear", True)])
def test_one_cycle(anneal, three_phase):
    total = 20
    opt = _opt(0.1, momentum=0.9)
    s = S.OneCycleLR(opt, max_lr=1.0, total_steps=total, anneal_strategy=anneal, three_phase=three_phase)
    got = _lrs(opt, s, total - 1)[:, 0]
    expected = [_one_cycle(e, total, 1.0, 0.3, 25.0, 1e4, anneal, three_phase) for e in range(total)]
    np.testing.assert_allclose(got, expected, rtol=1e-10)
    assert got[0] == pytest.approx(0.04) and got[-1] == pytest.approx(4e-6)
    assert opt.param_groups[0]["momentum"] == pytest.approx(0.95)   # back to max_momentum at the end
    with pytest.raises(ValueError, match="Tried to step 21 times. The specified number of total steps is 20"):
        s.step()
        s.step()


def test_one_cycle_known_values_and_beta1():
    # Values torch prints for OneCycleLR(SGD(lr=0.1), max_lr=1.0, total_steps=10): 0.04, 0.52, 1.0, ...
    opt = _opt(0.1, cls=tnn.optim.Adam)
    s = S.OneCycleLR(opt, max_lr=1.0, epochs=2, steps_per_epoch=5)
    lrs = _lrs(opt, s, 2)[:, 0]
    np.testing.assert_allclose(lrs, [0.04, 0.52, 1.0], rtol=1e-12)
    assert opt.param_groups[0]["betas"] == (0.85, 0.999)    # beta1 cycled down to base_momentum at max lr
    assert opt.param_groups[0]["max_lr"] == 1.0 and opt.param_groups[0]["min_lr"] == pytest.approx(4e-6)
    with pytest.raises(ValueError, match="You must define either total_steps OR"):
        S.OneCycleLR(opt, max_lr=1.0)
    with pytest.raises(ValueError, match="Expected float between 0 and 1 pct_start"):
        S.OneCycleLR(opt, max_lr=1.0, total_steps=5, pct_start=1)
    with pytest.raises(ValueError, match="anneal_strategy must be one of"):
        S.OneCycleLR(opt, max_lr=1.0, total_steps=5, anneal_strategy="exp")
    with pytest.raises(ValueError, match="max_lr must have the same length"):
        S.OneCycleLR(opt, max_lr=[1.0, 2.0], total_steps=5)
    with pytest.raises(ValueError, match="optimizer must support momentum or beta1"):
        S.OneCycleLR(_opt(0.1, cls=tnn.optim.Adagrad), max_lr=1.0, total_steps=5)


def test_state_dict_resume():
    opt = _opt(0.1)
    s = S.StepLR(opt, step_size=2, gamma=0.5)
    _lrs(opt, s, 3)
    sd = s.state_dict()
    opt2 = _opt(0.1)
    opt2.load_state_dict(opt.state_dict())
    s2 = S.StepLR(opt2, step_size=99, gamma=0.9, last_epoch=sd["last_epoch"])
    s2.load_state_dict(sd)
    for _ in range(4):
        s.step()
        s2.step()
        assert s.get_last_lr() == s2.get_last_lr()


def test_errors():
    with pytest.raises(TypeError, match="int is not an Optimizer"):
        S.StepLR(3, step_size=1)
    with pytest.raises(KeyError, match="param 'initial_lr' is not specified in param_groups\\[0\\]"):
        S.StepLR(_opt(0.1), step_size=1, last_epoch=3)


def test_scheduler_drives_optimizer(device):
    p = tnn.zeros(1, device=device, requires_grad=True)
    opt = tnn.optim.SGD([p], lr=1.0)
    s = S.MultiStepLR(opt, milestones=[1], gamma=0.5)
    for _ in range(2):
        p.grad = tnn.ones(1, device=device)
        opt.step()
        s.step()
    assert p.detach().item() == pytest.approx(-1.5)
