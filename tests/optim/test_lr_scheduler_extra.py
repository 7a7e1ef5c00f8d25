"""tnn.optim.lr_scheduler, the schedulers beyond test_lr_scheduler.py: ConstantLR, PolynomialLR,
MultiplicativeLR, SequentialLR, ChainedScheduler, ReduceLROnPlateau, CyclicLR (lr and momentum /
beta1 cycling), CosineAnnealingWarmRestarts (integer and fractional epochs).

Each lr sequence (~30 steps) is compared with a pure-Python function written from the formula
torch's documentation gives (not from the code under test: e.g. piecewise-linear CyclicLR, restart
loops for SGDR, products of factors for chains); plus state_dict round trips mid-schedule,
step(epoch)'s closed form, and the error messages. No kernel runs except in the last test."""
import math

import numpy as np
import pytest

import tnn
from tnn.optim import lr_scheduler as S

N = 30


def _opt(lr=0.1, cls=tnn.optim.SGD, groups=1, **kw):
    """An optimizer with ``groups`` groups of one parameter, group i at lr * (i + 1)."""
    ps = [tnn.zeros(2, requires_grad=True) for _ in range(groups)]
    return cls([{"params": [p], "lr": lr * (i + 1)} for i, p in enumerate(ps)], lr=lr, **kw)


def _lrs(opt, sched, n=N):
    """[lrs after construction, after step 1, ..., after step n] (one column per group)."""
    out = [[g["lr"] for g in opt.param_groups]]
    for _ in range(n):
        opt.step()
        sched.step()
        out.append(list(sched.get_last_lr()))
        assert out[-1] == [g["lr"] for g in opt.param_groups]
    return np.array(out)


def _bases(opt):
    return [g["initial_lr"] for g in opt.param_groups]


def _check(got, fn, bases, n=N, rtol=1e-10, atol=1e-14):
    expected = np.array([[fn(e, b) for b in bases] for e in range(n + 1)])
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol)


def _resume(make, n_before, n_after=8, metrics=None):
    """Run ``make(opt)``'s scheduler n_before steps, save optimizer + scheduler state, rebuild both
    fresh, load, and check both continue identically for n_after steps."""
    opt = make_opt = _opt(0.1, groups=2, momentum=0.9)
    sched = make(opt)
    for i in range(n_before):
        sched.step(*(() if metrics is None else (metrics[i],)))
    sd_opt, sd = opt.state_dict(), sched.state_dict()
    assert "optimizer" not in sd
    opt2 = _opt(0.1, groups=2, momentum=0.9)
    sched2 = make(opt2)
    opt2.load_state_dict(sd_opt)
    sched2.load_state_dict(sd)
    for i in range(n_after):
        args = () if metrics is None else (metrics[n_before + i],)
        sched.step(*args)
        sched2.step(*args)
        assert sched.get_last_lr() == sched2.get_last_lr()
        assert [g["lr"] for g in opt2.param_groups] == sched2.get_last_lr()
        assert [g.get("momentum") for g in make_opt.param_groups] == [g.get("momentum") for g in opt2.param_groups]


# ---------------------------------------------------------------------------------------- ConstantLR
@pytest.mark.parametrize("factor,total_iters", [(1.0 / 3, 5), (0.5, 12), (0.25, 1)])
def test_constant_lr(factor, total_iters):
    opt = _opt(0.05, groups=2)
    s = S.ConstantLR(opt, factor=factor, total_iters=total_iters)
    # docs: lr = initial_lr * factor while epoch < total_iters, then initial_lr
    _check(_lrs(opt, s), lambda e, b: b * factor if e < total_iters else b, _bases(opt))


def test_constant_lr_docs_example_and_closed_form():
    opt = _opt(0.05)
    s = S.ConstantLR(opt, factor=0.5, total_iters=40)
    got = _lrs(opt, s, 45)[:, 0]
    assert got[0] == pytest.approx(0.025) and got[39] == pytest.approx(0.025) and got[40] == pytest.approx(0.05)
    with pytest.warns(UserWarning, match="epoch parameter"):
        s.step(3)
    assert s.get_last_lr() == [pytest.approx(0.025)] and s.last_epoch == 3
    with pytest.raises(ValueError, match="Constant multiplicative factor expected to be between 0 and 1."):
        S.ConstantLR(_opt(), factor=1.5)
    with pytest.raises(ValueError, match="Constant multiplicative factor expected to be between 0 and 1."):
        S.ConstantLR(_opt(), factor=-0.1)


# -------------------------------------------------------------------------------------- PolynomialLR
@pytest.mark.parametrize("total_iters,power", [(10, 1.0), (12, 0.9), (7, 2.0), (N + 5, 0.5)])
def test_polynomial_lr(total_iters, power):
    opt = _opt(0.2, groups=2)
    s = S.PolynomialLR(opt, total_iters=total_iters, power=power)
    # docs: lr = initial_lr * (1 - min(epoch, total_iters) / total_iters) ** power
    _check(_lrs(opt, s), lambda e, b: b * (1 - min(e, total_iters) / total_iters) ** power, _bases(opt))


def test_polynomial_lr_defaults_closed_form_and_resume():
    opt = _opt(0.05)
    s = S.PolynomialLR(opt)                  # total_iters=5, power=1.0
    np.testing.assert_allclose(_lrs(opt, s, 6)[:, 0], [0.05, 0.04, 0.03, 0.02, 0.01, 0.0, 0.0], atol=1e-15)
    with pytest.warns(UserWarning):
        s.step(2)
    assert s.get_last_lr() == [pytest.approx(0.03)]
    _resume(lambda o: S.PolynomialLR(o, total_iters=12, power=0.9), 5)


# ---------------------------------------------------------------------------------- MultiplicativeLR
def test_multiplicative_lr():
    opt = _opt(0.1, groups=2)
    fns = [lambda e: 0.95, lambda e: 1.0 - 0.01 * e]
    s = S.MultiplicativeLR(opt, lr_lambda=fns)
    got = _lrs(opt, s)
    # docs: lr_epoch = lr_(epoch-1) * lmbda(epoch), so lr_e = initial_lr * prod_{k=1..e} lmbda(k)
    for k, (fn, base) in enumerate(zip(fns, (0.1, 0.2))):
        np.testing.assert_allclose(got[:, k], [base * math.prod(fn(j) for j in range(1, e + 1)) for e in range(N + 1)],
                                   rtol=1e-12)
    # one function for every group
    opt = _opt(0.1, groups=2)
    got = _lrs(opt, S.MultiplicativeLR(opt, lambda e: 0.5), 4)
    np.testing.assert_allclose(got, [[0.1 * 0.5 ** e, 0.2 * 0.5 ** e] for e in range(5)], rtol=1e-12)


def test_multiplicative_lr_state_dict_and_errors():
    class Decay:
        def __init__(self):
            self.g = 0.9

        def __call__(self, e):
            return self.g

    opt = _opt(0.1, groups=2)
    s = S.MultiplicativeLR(opt, [lambda e: 0.5, Decay()])
    _lrs(opt, s, 3)
    sd = s.state_dict()
    assert sd["lr_lambdas"][0] is None and sd["lr_lambdas"][1] == {"g": 0.9} and sd["last_epoch"] == 3
    s.lr_lambdas[1].g = 0.1
    s.load_state_dict(sd)
    assert s.lr_lambdas[1].g == 0.9 and "lr_lambdas" in sd
    _resume(lambda o: S.MultiplicativeLR(o, Decay()), 4)
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas, but got 3"):
        S.MultiplicativeLR(opt, [Decay()] * 3)
    with pytest.raises(TypeError, match="lr_lambda should be a function, but got int"):
        S.MultiplicativeLR(opt, 3)


# -------------------------------------------------------------------------------------- SequentialLR
def test_sequential_lr_docs_example():
    # docs: ConstantLR(factor=0.1, total_iters=2) then ExponentialLR(gamma=0.9) from milestone 2
    opt = _opt(1.0)
    s = S.SequentialLR(opt, [S.ConstantLR(opt, factor=0.1, total_iters=2), S.ExponentialLR(opt, gamma=0.9)],
                       milestones=[2])
    np.testing.assert_allclose(_lrs(opt, s, 5)[:, 0], [0.1, 0.1, 1.0, 0.9, 0.81, 0.729], rtol=1e-12)


def test_sequential_lr_three_schedulers():
    opt = _opt(0.1, groups=2)
    warm, m1, m2, eta = 3, 4, 14, 0.001
    s = S.SequentialLR(opt, [S.LinearLR(opt, start_factor=0.25, total_iters=warm),
                             S.CosineAnnealingLR(opt, T_max=10, eta_min=eta),
                             S.ExponentialLR(opt, gamma=0.8)], milestones=[m1, m2])
    assert s.last_epoch == 0 and s.get_last_lr() == [0.025, 0.05]

    def ref(e, b):   # each scheduler restarts at its milestone from its own epoch 0
        if e < m1:
            return b * (0.25 + 0.75 * min(e, warm) / warm)
        if e < m2:
            return eta + (b - eta) * (1 + math.cos(math.pi * (e - m1) / 10)) / 2
        return b * 0.8 ** (e - m2)

    _check(_lrs(opt, s), ref, _bases(opt))

    def make(o):
        return S.SequentialLR(o, [S.LinearLR(o, start_factor=0.25, total_iters=warm),
                                  S.CosineAnnealingLR(o, T_max=10, eta_min=eta),
                                  S.ExponentialLR(o, gamma=0.8)], milestones=[m1, m2])

    _resume(make, 7)       # mid-cosine, crossing the second milestone
    sd = make(_opt(0.1, groups=2)).state_dict()
    assert len(sd["_schedulers"]) == 3 and sd["_milestones"] == [m1, m2] and "optimizer" not in sd


def test_sequential_lr_errors():
    opt, other = _opt(), _opt()
    a, b = S.ConstantLR(opt), S.ExponentialLR(opt, gamma=0.9)
    with pytest.raises(ValueError, match="SequentialLR expects at least one scheduler, but got no scheduler."):
        S.SequentialLR(opt, [], [])
    with pytest.raises(ValueError, match="Sequential Schedulers expects number of schedulers provided to be one more "
                                         "than the number of milestone points, but got number of schedulers 2 and "
                                         "the number of milestones to be equal to 2"):
        S.SequentialLR(opt, [a, b], milestones=[2, 3])
    with pytest.raises(ValueError, match="SequentialLR expects all schedulers to belong to the same optimizer, but got "
                                         "scheduler ExponentialLR at index 1"):
        S.SequentialLR(other, [S.ConstantLR(other), b], milestones=[2])
    with pytest.raises(ValueError, match="SequentialLR does not support `ReduceLROnPlateau` scheduler"):
        S.SequentialLR(opt, [a, S.ReduceLROnPlateau(opt)], milestones=[2])
    with pytest.raises(TypeError, match="SequentialLR at index 0 should have `optimizer` as its attribute."):
        S.SequentialLR(opt, [object()], milestones=[])


# ---------------------------------------------------------------------------------- ChainedScheduler
def test_chained_scheduler():
    opt = _opt(1.0, groups=2)
    s = S.ChainedScheduler([S.ConstantLR(opt, factor=0.1, total_iters=2), S.ExponentialLR(opt, gamma=0.9)])
    assert s.optimizer is opt
    # chaining multiplies the factors: initial_lr * (0.1 if e < 2 else 1) * 0.9 ** e
    _check(_lrs(opt, s), lambda e, b: b * (0.1 if e < 2 else 1.0) * 0.9 ** e, _bases(opt))

    opt = _opt(0.1)
    s = S.ChainedScheduler([S.MultiStepLR(opt, milestones=[3, 7], gamma=0.5),
                            S.CosineAnnealingLR(opt, T_max=N)], optimizer=opt)
    # CosineAnnealingLR's recursive form scales the current lr: product of both schedules
    _check(_lrs(opt, s), lambda e, b: b * 0.5 ** ((e >= 3) + (e >= 7)) * (1 + math.cos(math.pi * e / N)) / 2,
           _bases(opt), atol=1e-13)


def test_chained_scheduler_state_dict_and_errors():
    def make(o):
        return S.ChainedScheduler([S.ConstantLR(o, factor=0.5, total_iters=6), S.StepLR(o, step_size=4, gamma=0.3)])

    _resume(make, 5)
    opt, other = _opt(), _opt()
    with pytest.raises(ValueError, match="ChainedScheduler expects at least one scheduler to be chained, but got no "
                                         "scheduler."):
        S.ChainedScheduler([])
    with pytest.raises(ValueError, match="ChainedScheduler expects all schedulers to belong to the same optimizer"):
        S.ChainedScheduler([S.ConstantLR(opt), S.ConstantLR(other)])
    with pytest.raises(ValueError, match="ChainedScheduler does not support `ReduceLROnPlateau` scheduler as it "
                                         "requires additional kwargs to be specified when calling `step`, but got one "
                                         "at index 1 in the given schedulers sequence."):
        S.ChainedScheduler([S.ConstantLR(opt), S.ReduceLROnPlateau(opt)])


# --------------------------------------------------------------------------------- ReduceLROnPlateau
def _plateau_ref(metrics, lrs, mode="min", factor=0.1, patience=10, threshold=1e-4, threshold_mode="rel",
                 cooldown=0, min_lr=0, eps=1e-8):
    """The documented rule: a metric improves on the best by threshold (rel: best * (1 -+ threshold),
    abs: best -+ threshold); after more than `patience` non-improving epochs lr = max(lr * factor,
    min_lr) unless that changes it by eps or less; then `cooldown` epochs count no bad epochs."""
    min_lrs = list(min_lr) if isinstance(min_lr, (list, tuple)) else [min_lr] * len(lrs)
    lrs, best, bad, cool, out = list(lrs), None, 0, 0, []
    sign = 1 if mode == "min" else -1
    for m in metrics:
        if best is None:
            better = True
        elif threshold_mode == "rel":
            better = sign * m < sign * best * (1 - sign * threshold)
        else:
            better = sign * m < sign * best - threshold
        if better:
            best, bad = m, 0
        else:
            bad += 1
        if cool > 0:
            cool, bad = cool - 1, 0
        if bad > patience:
            for i, lr in enumerate(lrs):
                new = max(lr * factor, min_lrs[i])
                if lr - new > eps:
                    lrs[i] = new
            cool, bad = cooldown, 0
        out.append(list(lrs))
    return np.array(out)


def test_reduce_lr_on_plateau_hand_checked():
    opt = _opt(1.0)
    s = S.ReduceLROnPlateau(opt, factor=0.5, patience=2, cooldown=1, threshold=0.1)
    assert s.get_last_lr() == [1.0] and s.last_epoch == 0
    got = []
    for m in [10, 9.5, 9.5, 9.5, 8.0, 8.0, 8.0, 8.0, 8.0, 8.0]:
        s.step(m)
        got.append(s.get_last_lr()[0])
    # 9.5 is not below 10 * (1 - 0.1): 3 bad epochs > patience 2 -> halve; the cooldown step hides one bad epoch
    assert got == [1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25]
    assert s.best == 8.0 and s.last_epoch == 10


@pytest.mark.parametrize("mode,threshold_mode,threshold,patience,cooldown,min_lr", [
    ("min", "rel", 1e-4, 2, 0, 0),
    ("min", "abs", 0.05, 1, 2, 1e-3),
    ("max", "rel", 0.01, 0, 0, [0.01, 0.005]),
    ("max", "abs", 0.02, 3, 1, 0),
])
def test_reduce_lr_on_plateau_against_rule(mode, threshold_mode, threshold, patience, cooldown, min_lr):
    rng = np.random.default_rng(7)
    walk = np.cumsum(rng.normal(0, 0.1, N)) + 3.0
    metrics = [float(v) for v in walk]
    opt = _opt(0.1, groups=2)
    kw = dict(mode=mode, factor=0.5, patience=patience, threshold=threshold, threshold_mode=threshold_mode,
              cooldown=cooldown, min_lr=min_lr)
    s = S.ReduceLROnPlateau(opt, **kw)
    got = []
    for m in metrics:
        s.step(m)
        got.append(s.get_last_lr())
        assert got[-1] == [g["lr"] for g in opt.param_groups]
    expected = _plateau_ref(metrics, [0.1, 0.2], **kw)
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    assert len({tuple(r) for r in expected}) > 2      # the walk does trigger several reductions


def test_reduce_lr_on_plateau_min_lr_eps_tensor_metric_and_resume():
    opt = _opt(1.0, groups=2)
    s = S.ReduceLROnPlateau(opt, factor=0.1, patience=0, min_lr=[0.05, 0.5])
    for _ in range(4):
        s.step(tnn.tensor(1.0))                 # a 0-d tensor metric
    assert s.get_last_lr() == [0.05, 0.5]       # clamped at the per-group min_lr
    opt = _opt(1e-8)
    s = S.ReduceLROnPlateau(opt, factor=0.5, patience=0)
    s.step(1.0)
    s.step(1.0)
    assert s.get_last_lr() == [1e-8]            # the change 5e-9 is below eps=1e-8: skipped
    opt = _opt(1e-8)
    s = S.ReduceLROnPlateau(opt, factor=0.5, patience=0, eps=1e-9)
    s.step(1.0)
    s.step(1.0)
    assert s.get_last_lr() == [5e-9]
    with pytest.warns(UserWarning, match="epoch parameter"):
        s.step(1.0, epoch=10)
    assert s.last_epoch == 10

    metrics = [5, 4, 4, 4, 4, 3, 3, 3, 3, 3, 3, 2, 2, 2, 2, 2]
    _resume(lambda o: S.ReduceLROnPlateau(o, mode="min", factor=0.5, patience=1, cooldown=1), 6, 10, metrics)
    sd = S.ReduceLROnPlateau(_opt(), mode="max").state_dict()
    assert sd["mode"] == "max" and sd["mode_worse"] == -math.inf and "optimizer" not in sd


def test_reduce_lr_on_plateau_errors():
    opt = _opt(groups=2)
    with pytest.raises(ValueError, match=r"Factor should be < 1.0."):
        S.ReduceLROnPlateau(opt, factor=1.0)
    with pytest.raises(ValueError, match="mode avg is unknown!"):
        S.ReduceLROnPlateau(opt, mode="avg")
    with pytest.raises(ValueError, match="threshold mode pct is unknown!"):
        S.ReduceLROnPlateau(opt, threshold_mode="pct")
    with pytest.raises(ValueError, match="expected 2 min_lrs, got 3"):
        S.ReduceLROnPlateau(opt, min_lr=[0, 0, 0])
    with pytest.raises(TypeError, match="int is not an Optimizer"):
        S.ReduceLROnPlateau(5)
    s = S.ReduceLROnPlateau(opt, patience=0, min_lr=[0, 0])
    opt.add_param_group({"params": [tnn.zeros(1, requires_grad=True)]})
    s.step(1.0)
    with pytest.raises(RuntimeError, match=r"The number of param groups in the `optimizer` \(3\) differs from when "
                                           r"`ReduceLROnPlateau` was initialized \(2\)"):
        s.step(2.0)


# ------------------------------------------------------------------------------------------ CyclicLR
def _cyclic_ref(it, base, peak, up, down, mode="triangular", gamma=1.0, scale_fn=None, scale_mode="cycle"):
    """CLR (Smith 2017, bckenstler/CLR): a triangle rising linearly over `up` iterations and falling
    over `down`, its height (peak - base) scaled per cycle (triangular: 1, triangular2: halved each
    cycle) or per iteration (exp_range: gamma ** iteration). Returns (height fraction, scale)."""
    period = up + down
    cycle = it // period + 1
    pos = it - (cycle - 1) * period
    frac = pos / up if pos <= up else 1 - (pos - up) / down
    if scale_fn is not None:
        scale = scale_fn(cycle if scale_mode == "cycle" else it)
    elif mode == "triangular":
        scale = 1.0
    elif mode == "triangular2":
        scale = 0.5 ** (cycle - 1)
    else:
        scale = gamma ** it
    return base + (peak - base) * frac * scale, frac * scale


@pytest.mark.parametrize("mode,up,down,gamma", [("triangular", 4, None, 1.0), ("triangular", 3, 7, 1.0),
                                                 ("triangular2", 5, 3, 1.0), ("exp_range", 4, 4, 0.97)])
def test_cyclic_lr_sgd_momentum(mode, up, down, gamma):
    opt = _opt(0.5, groups=2, momentum=0.9)
    base_lr, max_lr = [0.01, 0.02], [0.1, 0.3]
    s = S.CyclicLR(opt, base_lr=base_lr, max_lr=max_lr, step_size_up=up, step_size_down=down, mode=mode,
                   gamma=gamma, base_momentum=0.8, max_momentum=[0.9, 0.95])
    got_lr, got_m = [], []
    for it in range(N + 1):
        if it:
            opt.step()
            s.step()
        got_lr.append(s.get_last_lr())
        got_m.append([g["momentum"] for g in opt.param_groups])
    dn = up if down is None else down
    for k in range(2):
        ref = [_cyclic_ref(it, base_lr[k], max_lr[k], up, dn, mode, gamma) for it in range(N + 1)]
        np.testing.assert_allclose([r[k] for r in got_lr], [r[0] for r in ref], rtol=1e-10, atol=1e-15)
        max_m = (0.9, 0.95)[k]   # momentum cycles inversely: max_momentum - (max - base) * height fraction
        np.testing.assert_allclose([r[k] for r in got_m], [max_m - (max_m - 0.8) * r[1] for r in ref], rtol=1e-10)
    assert got_lr[0] == base_lr and got_m[0] == [0.9, 0.95]
    assert opt.param_groups[1]["max_momentum"] == 0.95 and opt.param_groups[0]["base_momentum"] == 0.8
    assert s.base_lrs == base_lr and opt.param_groups[0]["initial_lr"] == 0.01


def test_cyclic_lr_adam_beta1():
    opt = _opt(1e-3, cls=tnn.optim.Adam, betas=(0.9, 0.99))
    s = S.CyclicLR(opt, base_lr=0.001, max_lr=0.01, step_size_up=5, step_size_down=10, mode="triangular2",
                   base_momentum=0.85, max_momentum=0.95)
    for it in range(N + 1):
        if it:
            s.step()
        lr, frac = _cyclic_ref(it, 0.001, 0.01, 5, 10, "triangular2")
        assert s.get_last_lr()[0] == pytest.approx(lr, rel=1e-10)
        beta1, beta2 = opt.param_groups[0]["betas"]
        assert beta1 == pytest.approx(0.95 - 0.1 * frac, rel=1e-10) and beta2 == 0.99


@pytest.mark.parametrize("scale_mode", ["cycle", "iterations"])
def test_cyclic_lr_custom_scale_fn_no_momentum(scale_mode):
    def fn(x):
        return 1.0 / (1.0 + 0.1 * x)

    opt = _opt(0.5, cls=tnn.optim.Adagrad)       # no momentum: fine with cycle_momentum=False
    s = S.CyclicLR(opt, base_lr=0.01, max_lr=0.2, step_size_up=3, step_size_down=5, mode="nonsense", scale_fn=fn,
                   scale_mode=scale_mode, cycle_momentum=False)
    _check(_lrs(opt, s), lambda e, b: _cyclic_ref(e, 0.01, 0.2, 3, 5, scale_fn=fn, scale_mode=scale_mode)[0],
           [None])
    assert "momentum" not in opt.param_groups[0]


def test_cyclic_lr_state_dict_and_errors():
    class Scale:
        def __init__(self):
            self.k = 0.5

        def __call__(self, x):
            return self.k ** x

    opt = _opt(0.1, groups=2, momentum=0.9)
    s = S.CyclicLR(opt, base_lr=0.01, max_lr=0.1, step_size_up=4, scale_fn=lambda x: 1.0)
    sd = s.state_dict()
    assert sd["_scale_fn_custom"] is None and "_scale_fn_ref" not in sd and "optimizer" not in sd
    s = S.CyclicLR(opt, base_lr=0.01, max_lr=0.1, step_size_up=4, scale_fn=Scale())
    sd = s.state_dict()
    assert sd["_scale_fn_custom"] == {"k": 0.5}
    s._scale_fn_custom.k = 0.9
    s.load_state_dict(sd)
    assert s._scale_fn_custom.k == 0.5 and "_scale_fn_custom" in sd
    _resume(lambda o: S.CyclicLR(o, base_lr=[0.01, 0.02], max_lr=0.1, step_size_up=3, step_size_down=5,
                                 mode="exp_range", gamma=0.95), 6, 12)
    _resume(lambda o: S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=3, mode="triangular2"), 7, 12)

    with pytest.raises(ValueError, match="mode is invalid and scale_fn is None"):
        S.CyclicLR(opt, base_lr=0.01, max_lr=0.1, mode="square")
    with pytest.raises(ValueError, match="base_lr must have the same length as optimizer.param_groups. base_lr has 3 "
                                         "values, param_groups has 2."):
        S.CyclicLR(opt, base_lr=[0.01] * 3, max_lr=0.1)
    with pytest.raises(ValueError, match="max_lr must have the same length"):
        S.CyclicLR(opt, base_lr=0.01, max_lr=[0.1])
    with pytest.raises(ValueError, match="optimizer must support momentum or beta1 with `cycle_momentum` option "
                                         "enabled"):
        S.CyclicLR(_opt(cls=tnn.optim.Adagrad), base_lr=0.01, max_lr=0.1)
    with pytest.raises(TypeError, match="list is not an Optimizer"):
        S.CyclicLR([], base_lr=0.01, max_lr=0.1)


# ------------------------------------------------------------------------------ CosineAnnealingWarmRestarts
def _sgdr_ref(epoch, base, T_0, T_mult, eta_min):
    """SGDR: T_cur counts epochs since the last restart, T_i is the current period (T_0, then
    multiplied by T_mult at each restart); lr = eta_min + (base - eta_min)(1 + cos(pi T_cur / T_i)) / 2."""
    t, T = epoch, T_0
    while t >= T:
        t -= T
        T *= T_mult
    return eta_min + (base - eta_min) * (1 + math.cos(math.pi * t / T)) / 2


@pytest.mark.parametrize("T_0,T_mult,eta_min", [(5, 1, 0.0), (3, 2, 0.001), (2, 3, 0.0), (7, 1, 0.01)])
def test_cosine_warm_restarts(T_0, T_mult, eta_min):
    opt = _opt(0.1, groups=2)
    s = S.CosineAnnealingWarmRestarts(opt, T_0=T_0, T_mult=T_mult, eta_min=eta_min)
    _check(_lrs(opt, s), lambda e, b: _sgdr_ref(e, b, T_0, T_mult, eta_min), _bases(opt), atol=1e-15)


@pytest.mark.parametrize("T_0,T_mult", [(3, 1), (2, 2)])
def test_cosine_warm_restarts_fractional_epochs(T_0, T_mult):
    opt = _opt(0.1)
    s = S.CosineAnnealingWarmRestarts(opt, T_0=T_0, T_mult=T_mult, eta_min=0.005)
    iters = 4
    for epoch in range(8):
        for i in range(iters):
            s.step(epoch + i / iters)        # the documented per-batch use, no deprecation warning
            assert s.get_last_lr()[0] == pytest.approx(_sgdr_ref(epoch + i / iters, 0.1, T_0, T_mult, 0.005),
                                                       rel=1e-10, abs=1e-15)
            assert s.last_epoch == epoch


def test_cosine_warm_restarts_interleaved_resume_and_errors():
    opt = _opt(0.1)
    s = S.CosineAnnealingWarmRestarts(opt, T_0=10, T_mult=1)
    for _ in range(20):
        s.step()
    s.step(26)
    s.step()                                 # continues as step(27)
    assert s.last_epoch == 27 and s.get_last_lr()[0] == pytest.approx(_sgdr_ref(27, 0.1, 10, 1, 0.0))
    s = S.CosineAnnealingWarmRestarts(opt, T_0=3)
    s.step(2.5)
    s.step()                                 # T_cur 3.5 wraps to 0.5 of the next period
    assert s.T_cur == pytest.approx(0.5) and s.get_last_lr()[0] == pytest.approx(_sgdr_ref(3.5, 0.1, 3, 1, 0.0))
    _resume(lambda o: S.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=0.001), 5, 12)
    with pytest.raises(ValueError, match="Expected positive integer T_0, but got 0"):
        S.CosineAnnealingWarmRestarts(opt, T_0=0)
    with pytest.raises(ValueError, match="Expected positive integer T_0, but got 2.5"):
        S.CosineAnnealingWarmRestarts(opt, T_0=2.5)
    with pytest.raises(ValueError, match="Expected integer T_mult >= 1, but got 0"):
        S.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=0)
    with pytest.raises(ValueError, match="Expected float or int eta_min, but got x of type <class 'str'>"):
        S.CosineAnnealingWarmRestarts(opt, T_0=2, eta_min="x")
    with pytest.raises(ValueError, match="Expected non-negative epoch, but got -1"):
        s.step(-1)


# --------------------------------------------------------------------------------------- integration
def test_exports():
    for name in ["ConstantLR", "PolynomialLR", "MultiplicativeLR", "SequentialLR", "ChainedScheduler",
                 "ReduceLROnPlateau", "CyclicLR", "CosineAnnealingWarmRestarts"]:
        assert name in S.__all__ and issubclass(getattr(S, name), S.LRScheduler)
    assert tnn.optim.lr_scheduler is S


def test_cyclic_momentum_reaches_the_kernel(device):
    # SGD with momentum: the step after CyclicLR reads the cycled lr and momentum (runtime kernel args)
    p = tnn.zeros(1, device=device, requires_grad=True)
    opt = tnn.optim.SGD([p], lr=1.0, momentum=0.5)
    s = S.CyclicLR(opt, base_lr=0.1, max_lr=0.3, step_size_up=1, base_momentum=0.5, max_momentum=0.9)
    expected, buf, x = [], 0.0, 0.0
    for it in range(3):
        lr, m = opt.param_groups[0]["lr"], opt.param_groups[0]["momentum"]
        buf = 1.0 if it == 0 else m * buf + 1.0
        x -= lr * buf
        expected.append(x)
        p.grad = tnn.ones(1, device=device)
        opt.step()
        s.step()
        assert p.detach().item() == pytest.approx(expected[-1], rel=1e-6)
