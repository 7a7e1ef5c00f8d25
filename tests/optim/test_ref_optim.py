"""tnn.reference.optim checked against closed forms (the oracle has no backward to check by
finite differences): Adam's first step is lr * g / (|g| + eps'), SGD with momentum on a constant
gradient is a geometric series, Adagrad on a constant gradient divides by sqrt(t), RMSprop's first
step is g / (sqrt(1 - alpha) |g| + eps); low-precision states are stored rounded."""
import importlib

import ml_dtypes
import numpy as np

ref = importlib.import_module("tnn.reference.optim")


def test_adam_first_step_is_sign_like():
    p, g = np.array([1.0, -2.0, 0.5]), np.array([0.3, -4.0, 1e-3])
    out = ref.adam_step(p, g, st := {}, lr=0.1, eps=1e-8)
    # m = 0.1 g, v = 0.001 g^2; corrected: m / 0.1 = g, v / 0.001 = g^2
    np.testing.assert_allclose(out, p - 0.1 * g / (np.abs(g) + 1e-8), rtol=1e-12)
    assert st["step"] == 1.0 and set(st) == {"step", "exp_avg", "exp_avg_sq"}


def test_adamw_decays_parameter_not_gradient():
    p, g = np.array([2.0]), np.array([0.0])
    np.testing.assert_allclose(ref.adamw_step(p, g, {}, lr=0.1, weight_decay=0.5), [2.0 * (1 - 0.05)])
    np.testing.assert_allclose(ref.adam_step(p, g, {}, lr=0.1, weight_decay=0.5), [2.0 - 0.1], rtol=1e-6)


def test_sgd_momentum_geometric_series():
    p, g, st = np.array([0.0]), np.array([1.0]), {}
    for t in range(1, 6):
        p = ref.sgd_step(p, g, st, lr=0.1, momentum=0.5)
        # buf_t = sum_{k<t} 0.5^k; p_t = -0.1 * sum_{s<=t} buf_s
        expected = -0.1 * sum(sum(0.5 ** k for k in range(s)) for s in range(1, t + 1))
        np.testing.assert_allclose(p, [expected], rtol=1e-12)
    pn = ref.sgd_step(np.array([0.0]), g, {}, lr=0.1, momentum=0.5, nesterov=True)
    np.testing.assert_allclose(pn, [-0.1 * 1.5])
    np.testing.assert_allclose(ref.sgd_step(np.array([0.0]), g, {}, lr=0.1, maximize=True), [0.1])


def test_adagrad_constant_gradient():
    p, g, st = np.array([0.0]), np.array([2.0]), {}
    total = 0.0
    for t in range(1, 5):
        p = ref.adagrad_step(p, g, st, lr=0.1, lr_decay=0.5, eps=0.0)
        total += 0.1 / (1 + (t - 1) * 0.5) * 2.0 / np.sqrt(4.0 * t)
        np.testing.assert_allclose(p, [-total], rtol=1e-12)


def test_rmsprop_first_step_and_centered():
    g = np.array([3.0, -0.5])
    out = ref.rmsprop_step(np.zeros(2), g, {}, lr=0.01, alpha=0.9, eps=1e-8)
    np.testing.assert_allclose(out, -0.01 * g / (np.sqrt(0.1) * np.abs(g) + 1e-8), rtol=1e-12)
    out = ref.rmsprop_step(np.zeros(2), g, st := {}, lr=0.01, alpha=0.9, eps=1e-8, centered=True, momentum=0.5)
    avg = np.sqrt(0.1 * g * g - (0.1 * g) ** 2) + 1e-8
    np.testing.assert_allclose(out, -0.01 * g / avg, rtol=1e-12)
    assert set(st) == {"step", "square_avg", "grad_avg", "momentum_buffer"}


def test_low_precision_state_is_rounded():
    p = np.array([1.0, 2.0], dtype=ml_dtypes.bfloat16)
    out = ref.adam_step(p, np.array([0.1, 0.2], dtype=ml_dtypes.bfloat16), st := {}, lr=0.01)
    assert out.dtype == p.dtype and st["exp_avg"].dtype == p.dtype and st["exp_avg_sq"].dtype == p.dtype
