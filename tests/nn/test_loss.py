"""Pointwise losses (mse, l1, smooth_l1, huber, binary_cross_entropy, *_with_logits, kl_div),
distances (cosine_similarity, pairwise_distance, normalize) and one_hot against the NumPy float64
reference (tnn.reference.loss): forward and every gradient over broadcast shapes (incl. 1, primes
and empty), fp32 / fp16 / bf16 / fp64, strided inputs and each option; named edge cases at the
breakpoints and extremes; torch's warnings and error messages."""
import math
import warnings

import numpy as np
import pytest
from hypothesis import given, strategies as st

import tnn
import tnn.nn.functional as F
from tnn.reference import loss as ref
from tnn.runtime import dtypes as dt
from tnn.testing import assert_close, broadcastable_shapes, layouts, make_tensor, random_array, shapes, to_numpy

FLOATS = (dt.float32, dt.float16, dt.bfloat16, dt.float64)


def _fd(f, x, eps=1e-6):
    g = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        xp, xm = x.copy(), x.copy()
        xp[i] += eps
        xm[i] -= eps
        g[i] = (f(xp) - f(xm)) / (2 * eps)
    return g


def _grad_out(rng, out, dtype):
    g = rng.uniform(0.5, 1.5, size=out.shape).astype(dtype.np)
    return tnn.tensor(g, device=out.device), to_numpy(tnn.tensor(g))


def _check(out, expected, dtype, reduce_len=1, **kw):
    assert_close(out.detach(), np.asarray(expected), dtype=dtype, reduce_len=reduce_len, **kw)


# op -> (kwargs options, input range, target range, same shape required)
POINTWISE = {
    "mse_loss": ([{}], (-3, 3), (-3, 3), False),
    "l1_loss": ([{}], (-3, 3), (-3, 3), False),
    "smooth_l1_loss": ([{}, {"beta": 0.5}, {"beta": 0.0}, {"beta": 2.0}], (-3, 3), (-3, 3), False),
    "huber_loss": ([{}, {"delta": 0.5}, {"delta": 2.5}], (-3, 3), (-3, 3), False),
    "binary_cross_entropy": ([{}], (0.02, 0.98), (0, 1), True),
    "binary_cross_entropy_with_logits": ([{}], (-6, 6), (0, 1), True),
    "kl_div": ([{}, {"log_target": True}], (-3, 0), (0.01, 1), False),
}


# ------------------------------------------------------------------------------ properties
@given(st.data())
def test_pointwise_losses_match_reference(device, data):
    name = data.draw(st.sampled_from(sorted(POINTWISE)))
    options, (xlo, xhi), (ylo, yhi), same = POINTWISE[name]
    kw = dict(data.draw(st.sampled_from(options)))
    reductions = ["mean", "sum", "none"] + (["batchmean"] if name == "kl_div" else [])
    kw["reduction"] = data.draw(st.sampled_from(reductions))
    if same:
        s = data.draw(shapes(0, 3, max_size=13, max_numel=300, allow_empty=True))
        xs = ys = s
    else:
        xs, ys = data.draw(broadcastable_shapes(max_dims=3, max_size=13))
    dtype = data.draw(st.sampled_from(FLOATS))
    seed = data.draw(st.integers(0, 2**31))
    rng = np.random.default_rng(seed)
    x = make_tensor(random_array(dtype, xs, seed, xlo, xhi), data.draw(layouts()), device, requires_grad=True)
    y = make_tensor(random_array(dtype, ys, seed + 1, ylo, yhi), data.draw(layouts()), device,
                    requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = getattr(F, name)(x, y, **kw)
    xr, yr = to_numpy(x), to_numpy(y)
    n = int(np.prod(np.broadcast_shapes(xs, ys)))
    _check(out, getattr(ref, name)(xr, yr, **kw), dtype, reduce_len=max(n, 1))
    g, g_np = _grad_out(rng, out, dtype)
    out.backward(g)
    grads = getattr(ref, name + "_backward")(g_np, xr, yr, **kw)
    red = max(1, n // max(1, int(np.prod(xs))))
    _check(x.grad, grads[0], dtype, reduce_len=red)
    _check(y.grad, grads[1], dtype, reduce_len=max(1, n // max(1, int(np.prod(ys)))))
    assert x.grad.dtype is dtype and tuple(x.grad.shape) == tuple(xs)


@given(st.data())
def test_bce_weights_match_reference(device, data):
    logits = data.draw(st.booleans())
    shape = data.draw(shapes(1, 3, max_size=13, max_numel=300))
    dtype = data.draw(st.sampled_from(FLOATS))
    seed = data.draw(st.integers(0, 2**31))
    rng = np.random.default_rng(seed)
    reduction = data.draw(st.sampled_from(["mean", "sum", "none"]))
    lo, hi = (-5, 5) if logits else (0.02, 0.98)
    x = make_tensor(random_array(dtype, shape, seed, lo, hi), data.draw(layouts()), device, requires_grad=True)
    y = make_tensor(random_array(dtype, shape, seed + 1, 0, 1), "contiguous", device, requires_grad=True)
    w_shape = data.draw(st.sampled_from([shape, shape[-1:], (1,) * len(shape)]))
    w = tnn.tensor(random_array(dtype, w_shape, seed + 2, 0.2, 2), device=device)
    kw = dict(weight=w, reduction=reduction)
    if logits and data.draw(st.booleans()):
        kw["pos_weight"] = tnn.tensor(random_array(dtype, shape[-1:], seed + 3, 0.2, 3), device=device)
    name = "binary_cross_entropy_with_logits" if logits else "binary_cross_entropy"
    out = getattr(F, name)(x, y, **kw)
    rkw = {k: (to_numpy(v) if isinstance(v, tnn.Tensor) else v) for k, v in kw.items()}
    xr, yr = to_numpy(x), to_numpy(y)
    n = int(np.prod(shape))
    _check(out, getattr(ref, name)(xr, yr, **rkw), dtype, reduce_len=n)
    g, g_np = _grad_out(rng, out, dtype)
    out.backward(g)
    grads = getattr(ref, name + "_backward")(g_np, xr, yr, **rkw)
    _check(x.grad, grads[0], dtype)
    _check(y.grad, grads[1], dtype)


@given(st.data())
def test_distances_match_reference(device, data):
    name = data.draw(st.sampled_from(["cosine_similarity", "pairwise_distance", "normalize"]))
    dtype = data.draw(st.sampled_from((dt.float32, dt.float64, dt.float16)))
    seed = data.draw(st.integers(0, 2**31))
    rng = np.random.default_rng(seed)
    if name == "normalize":
        shape = data.draw(shapes(1, 3, max_size=13, max_numel=300))
        x = make_tensor(random_array(dtype, shape, seed), data.draw(layouts()), device, requires_grad=True)
        kw = dict(p=data.draw(st.sampled_from([1.0, 2.0, 3.0])), dim=data.draw(st.integers(-len(shape),
                                                                                           len(shape) - 1)))
        out = F.normalize(x, **kw)
        xr = to_numpy(x)
        _check(out, ref.normalize(xr, **kw), dtype, reduce_len=shape[kw["dim"]])
        g, g_np = _grad_out(rng, out, dtype)
        out.backward(g)
        _check(x.grad, ref.normalize_backward(g_np, xr, **kw)[0], dtype, reduce_len=shape[kw["dim"]])
        return
    xs, ys = data.draw(broadcastable_shapes(max_dims=3, max_size=13).filter(
        lambda p: len(np.broadcast_shapes(*p)) >= 1))
    full = np.broadcast_shapes(xs, ys)
    if name == "cosine_similarity":
        kw = dict(dim=data.draw(st.integers(-len(full), len(full) - 1)))
        length = full[kw["dim"]]
    else:
        kw = dict(p=data.draw(st.sampled_from([1.0, 2.0, 3.0, math.inf])), keepdim=data.draw(st.booleans()))
        length = full[-1]
    x1 = make_tensor(random_array(dtype, xs, seed), data.draw(layouts()), device, requires_grad=True)
    x2 = make_tensor(random_array(dtype, ys, seed + 1), "contiguous", device, requires_grad=True)
    out = getattr(F, name)(x1, x2, **kw)
    a, b = to_numpy(x1), to_numpy(x2)
    _check(out, getattr(ref, name)(a, b, **kw), dtype, reduce_len=length)
    g, g_np = _grad_out(rng, out, dtype)
    out.backward(g)
    d1, d2 = getattr(ref, name + "_backward")(g_np, a, b, **kw)
    n = int(np.prod(full))
    _check(x1.grad, d1, dtype, reduce_len=max(length, n // max(1, int(np.prod(xs)))))
    _check(x2.grad, d2, dtype, reduce_len=max(length, n // max(1, int(np.prod(ys)))))


# ------------------------------------------------------------------------------ references by finite differences
@pytest.mark.parametrize("name,kw", [
    ("mse_loss", {}), ("l1_loss", {}), ("smooth_l1_loss", {"beta": 0.7}), ("huber_loss", {"delta": 0.6}),
    ("binary_cross_entropy", {}), ("binary_cross_entropy_with_logits", {}), ("kl_div", {}),
    ("kl_div", {"log_target": True}),
])
def test_pointwise_reference_backward_matches_finite_differences(name, kw):
    rng = np.random.default_rng(0)
    bce = name.startswith("binary")
    x = rng.uniform(0.1, 0.9, (3, 4)) if name == "binary_cross_entropy" else rng.normal(size=(3, 4))
    y = rng.uniform(0.1, 0.9, (4,)) if bce or name == "kl_div" else rng.normal(size=(4,))
    if bce:
        y = np.broadcast_to(y, x.shape).copy()
    if name == "binary_cross_entropy_with_logits":
        kw = dict(kw, weight=rng.uniform(0.5, 2, (4,)), pos_weight=rng.uniform(0.5, 2, (4,)))
    g = rng.uniform(0.5, 1.5, (3, 4))
    fwd, bwd = getattr(ref, name), getattr(ref, name + "_backward")
    kn = dict(kw, reduction="none")
    dx, dy = bwd(g, x, y, **kn)[:2]
    assert_close(dx, _fd(lambda v: (fwd(v, y, **kn) * g).sum(), x), dtype=dt.float64, rtol=1e-6, atol=1e-6)
    assert_close(dy, _fd(lambda v: (fwd(x, v, **kn) * g).sum(), y), dtype=dt.float64, rtol=1e-6, atol=1e-6)
    km = dict(kw, reduction="mean")
    assert_close(bwd(1.0, x, y, **km)[0], _fd(lambda v: fwd(v, y, **km), x), dtype=dt.float64, rtol=1e-6,
                 atol=1e-6)


@pytest.mark.parametrize("name,kw", [("cosine_similarity", {"dim": 1}), ("pairwise_distance", {"p": 2.0}),
                                     ("pairwise_distance", {"p": 3.0}), ("pairwise_distance", {"p": 1.0})])
def test_distance_reference_backward_matches_finite_differences(name, kw):
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(3, 5)), rng.normal(size=(1, 5))
    fwd, bwd = getattr(ref, name), getattr(ref, name + "_backward")
    g = rng.uniform(0.5, 1.5, size=np.shape(fwd(a, b, **kw)))
    d1, d2 = bwd(g, a, b, **kw)
    assert_close(d1, _fd(lambda v: (fwd(v, b, **kw) * g).sum(), a), dtype=dt.float64, rtol=1e-6, atol=1e-6)
    assert_close(d2, _fd(lambda v: (fwd(a, v, **kw) * g).sum(), b), dtype=dt.float64, rtol=1e-6, atol=1e-6)


def test_normalize_reference_backward_matches_finite_differences():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(3, 4))
    g = rng.normal(size=(3, 4))
    for kw in ({"dim": 1}, {"dim": 0, "p": 3.0}):
        d = ref.normalize_backward(g, x, **kw)[0]
        assert_close(d, _fd(lambda v: (ref.normalize(v, **kw) * g).sum(), x), dtype=dt.float64, rtol=1e-6,
                     atol=1e-6)


# ------------------------------------------------------------------------------ named edge cases
def _run(device, name, x_np, y_np, dtype=dt.float32, **kw):
    x = tnn.tensor(np.asarray(x_np, dtype.np), device=device, requires_grad=True)
    y = tnn.tensor(np.asarray(y_np, dtype.np), device=device, requires_grad=True)
    out = getattr(F, name)(x, y, **kw)
    out.backward(tnn.ones_like(out))
    xr, yr = to_numpy(x), to_numpy(y)
    g = np.ones(out.shape)
    return out, x.grad, y.grad, getattr(ref, name)(xr, yr, **kw), getattr(ref, name + "_backward")(g, xr, yr, **kw)


@pytest.mark.parametrize("beta", [0.5, 1.0])
def test_smooth_l1_and_huber_at_breakpoints(device, beta):
    d = np.array([-2 * beta, -beta, -beta / 2, 0.0, beta / 2, beta, 2 * beta], np.float32)
    for name, kw in (("smooth_l1_loss", {"beta": beta}), ("huber_loss", {"delta": beta})):
        out, gx, gy, e, (ex, ey) = _run(device, name, d, np.zeros_like(d), reduction="none", **kw)
        _check(out, e, dt.float32)
        _check(gx, ex, dt.float32)
        _check(gy, ey, dt.float32)
    out, gx, _, e, (ex, _) = _run(device, "smooth_l1_loss", d, np.zeros_like(d), reduction="none", beta=0.0)
    _check(out, np.abs(d), dt.float32)
    _check(gx, np.sign(d), dt.float32)
    _, gx, _, _, _ = _run(device, "l1_loss", d, np.zeros_like(d), reduction="sum")
    _check(gx, np.sign(d), dt.float32)      # sign(0) = 0 at the kink, as torch


def test_bce_log_clamp(device):
    x = np.array([0.0, 1.0, 0.0, 1.0, 0.5], np.float32)
    y = np.array([1.0, 0.0, 0.0, 1.0, 0.5], np.float32)
    out, gx, _, e, _ = _run(device, "binary_cross_entropy", x, y, reduction="none")
    np.testing.assert_allclose(out.detach().numpy(), [100, 100, 0, 0, math.log(2)], rtol=1e-6)
    g = gx.numpy()
    assert np.all(np.isfinite(g[:2])) and g[0] < 0 and g[1] > 0     # (x - y) / max(x (1 - x), 1e-12)
    np.testing.assert_allclose(g[:2], [-1e12, 1e12], rtol=1e-5)


def test_bce_with_logits_extreme_logits_are_stable(device):
    x = np.array([-200.0, -50.0, 0.0, 50.0, 200.0], np.float32)
    y = np.array([1.0, 0.0, 0.3, 1.0, 0.0], np.float32)
    out, gx, gy, e, (ex, ey, *_) = _run(device, "binary_cross_entropy_with_logits", x, y, reduction="none")
    assert np.all(np.isfinite(out.detach().numpy()))
    _check(out, e, dt.float32)
    _check(gx, ex, dt.float32)
    _check(gy, ey, dt.float32)
    out, gx, _, e, (ex, *_) = _run(device, "binary_cross_entropy_with_logits", x, y, reduction="sum",
                                   pos_weight=tnn.tensor([3.0] * 5, device=device))
    _check(out, ref.binary_cross_entropy_with_logits(x, y, reduction="sum", pos_weight=np.full(5, 3.0)),
           dt.float32)


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss", "binary_cross_entropy_with_logits"])
def test_empty_inputs(device, name):
    x = tnn.zeros(0, 3, device=device, requires_grad=True)
    y = tnn.zeros(0, 3, device=device)
    assert math.isnan(getattr(F, name)(x, y).item())
    assert getattr(F, name)(x, y, reduction="sum").item() == 0
    out = getattr(F, name)(x, y, reduction="none")
    assert tuple(out.shape) == (0, 3)
    getattr(F, name)(x, y, reduction="sum").backward()
    assert tuple(x.grad.shape) == (0, 3)


def test_kl_div_reductions_and_warning(device):
    rng = np.random.default_rng(3)
    x_np = np.log(rng.dirichlet(np.ones(5), size=4)).astype(np.float32)
    y_np = rng.dirichlet(np.ones(5), size=4).astype(np.float32)
    y_np[0, 1] = 0.0                      # xlogy(0, 0) = 0
    x, y = tnn.tensor(x_np, device=device), tnn.tensor(y_np, device=device)
    with pytest.warns(UserWarning, match="reduction: 'mean' divides the total loss by both the batch size"):
        out = F.kl_div(x, y)
    _check(out, ref.kl_div(x_np, y_np), dt.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = F.kl_div(x, y, reduction="batchmean")
    _check(out, ref.kl_div(x_np, y_np, reduction="sum") / 4, dt.float32)
    assert out.item() >= 0
    out = F.kl_div(x, tnn.tensor(np.log(np.maximum(y_np, 1e-30)), device=device), reduction="sum", log_target=True)
    _check(out, ref.kl_div(x_np, np.log(np.maximum(y_np, 1e-30)), reduction="sum", log_target=True), dt.float32)


def test_mse_size_mismatch_warns_and_broadcasts(device):
    x = tnn.randn(3, 4, device=device, requires_grad=True)
    y = tnn.randn(4, device=device)
    with pytest.warns(UserWarning, match="Using a target size .* that is different to the input size"):
        out = F.mse_loss(x, y)
    _check(out, ref.mse_loss(to_numpy(x), to_numpy(y)), dt.float32)
    with pytest.warns(UserWarning):
        F.l1_loss(y, x)       # input broadcast up: its gradient is summed back
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.mse_loss(x, tnn.randn(3, 4, device=device))


def test_mixed_dtypes_promote(device):
    x = tnn.randn(5, device=device, dtype=tnn.float16, requires_grad=True)
    y = tnn.randn(5, device=device, dtype=tnn.float32)
    out = F.mse_loss(x, y)
    assert out.dtype is tnn.float32
    out.backward()
    assert x.grad.dtype is tnn.float16
    _check(x.grad, ref.mse_loss_backward(1.0, to_numpy(x), to_numpy(y))[0], dt.float16)


def test_grad_fn_names(device):
    x = tnn.rand(3, 4, device=device, requires_grad=True)
    y = tnn.rand(3, 4, device=device)
    assert F.mse_loss(x, y).grad_fn.name() == "MseLossBackward0"
    assert F.l1_loss(x, y).grad_fn.name() == "MeanBackward0"
    assert F.smooth_l1_loss(x, y).grad_fn.name() == "SmoothL1LossBackward0"
    assert F.huber_loss(x, y).grad_fn.name() == "HuberLossBackward0"
    assert F.binary_cross_entropy(x, y).grad_fn.name() == "BinaryCrossEntropyBackward0"
    assert F.binary_cross_entropy_with_logits(x, y).grad_fn.name() == "BinaryCrossEntropyWithLogitsBackward0"
    assert F.kl_div(x, y, reduction="batchmean").grad_fn.name() == "DivBackward0"
    assert F.cosine_similarity(x, y).grad_fn.name() == "SumBackward1"
    assert F.pairwise_distance(x, y).grad_fn.name() == "NormBackward1"
    assert F.normalize(x).grad_fn.name() == "DivBackward0"
    with tnn.no_grad():
        assert F.mse_loss(x, y).grad_fn is None


def test_cosine_similarity_zero_vector_and_eps(device):
    x1 = tnn.tensor([[0.0, 0.0, 0.0], [1.0, 2.0, 2.0], [1e-9, 0.0, 0.0]], device=device, requires_grad=True)
    x2 = tnn.tensor([[1.0, 0.0, 0.0], [2.0, 4.0, 4.0], [1.0, 1.0, 0.0]], device=device, requires_grad=True)
    out = F.cosine_similarity(x1, x2)
    out.backward(tnn.ones_like(out))
    a, b = to_numpy(x1), to_numpy(x2)
    _check(out, ref.cosine_similarity(a, b), dt.float32)
    d1, d2 = ref.cosine_similarity_backward(np.ones(3), a, b)
    assert np.all(np.isfinite(x1.grad.numpy()))
    _check(x1.grad, d1, dt.float32, rtol=1e-4)
    _check(x2.grad, d2, dt.float32)


def test_pairwise_distance_shapes(device):
    a, b = tnn.randn(4, 6, device=device), tnn.randn(6, device=device)
    assert tuple(F.pairwise_distance(a, b).shape) == (4,)
    assert tuple(F.pairwise_distance(a, b, keepdim=True).shape) == (4, 1)
    assert tuple(F.pairwise_distance(b, b).shape) == ()
    _check(F.pairwise_distance(b, b), 6 ** 0.5 * 1e-6, dt.float32)   # ||eps||


def test_normalize_zero_rows(device):
    x = tnn.tensor([[0.0, 0.0], [3.0, 4.0]], device=device, requires_grad=True)
    out = F.normalize(x, dim=1)
    _check(out, [[0, 0], [0.6, 0.8]], dt.float32)
    out.backward(tnn.ones_like(out))
    _check(x.grad, ref.normalize_backward(np.ones((2, 2)), to_numpy(x), dim=1)[0], dt.float32)


def test_one_hot(device):
    t = tnn.tensor([[0, 3], [2, 1]], device=device)
    out = F.one_hot(t)
    assert out.dtype is tnn.int64 and tuple(out.shape) == (2, 2, 4)
    np.testing.assert_array_equal(out.numpy(), ref.one_hot(t.numpy()))
    np.testing.assert_array_equal(F.one_hot(t, 6).numpy(), ref.one_hot(t.numpy(), 6))
    np.testing.assert_array_equal(F.one_hot(tnn.tensor(2, device=device), 3).numpy(), [0, 0, 1])
    assert tuple(F.one_hot(tnn.zeros(0, dtype=tnn.int64, device=device), 5).shape) == (0, 5)
    with pytest.raises(RuntimeError, match="Class values must be smaller than num_classes."):
        F.one_hot(t, 3)
    with pytest.raises(RuntimeError, match="Class values must be non-negative."):
        F.one_hot(tnn.tensor([-1, 0], device=device))
    with pytest.raises(RuntimeError, match="Can not infer total number of classes from empty tensor."):
        F.one_hot(tnn.zeros(0, dtype=tnn.int64, device=device))
    with pytest.raises(RuntimeError, match="one_hot is only applicable to index tensor of type LongTensor."):
        F.one_hot(tnn.tensor([0, 1], dtype=tnn.int32, device=device))


# ------------------------------------------------------------------------------ errors
def test_errors(device):
    x, y = tnn.rand(3, 4, device=device), tnn.rand(3, 4, device=device)
    with pytest.raises(RuntimeError, match="smooth_l1_loss does not support negative values for beta."):
        F.smooth_l1_loss(x, y, beta=-1.0)
    with pytest.raises(RuntimeError, match="huber_loss does not support non-positive values for delta."):
        F.huber_loss(x, y, delta=0.0)
    with pytest.raises(ValueError, match="Using a target size .* is deprecated. Please ensure they have the same"):
        F.binary_cross_entropy(x, tnn.rand(4, device=device))
    with pytest.raises(ValueError, match="Target size .* must be the same as input size"):
        F.binary_cross_entropy_with_logits(x, tnn.rand(4, device=device))
    with pytest.raises(ValueError, match="batch is not a valid value for reduction"):
        F.mse_loss(x, y, reduction="batch")
    with pytest.raises(ValueError, match="batchmean is not a valid value for reduction"):
        F.mse_loss(x, y, reduction="batchmean")
    with pytest.raises(RuntimeError, match="The size of tensor a"), pytest.warns(UserWarning):
        F.mse_loss(x, tnn.rand(5, device=device))
    with pytest.raises(RuntimeError, match="not implemented for 'Long'"):
        F.mse_loss(tnn.zeros(3, dtype=tnn.int64, device=device), tnn.zeros(3, dtype=tnn.int64, device=device))
    with pytest.raises(RuntimeError, match="the derivative for 'weight' is not implemented."):
        F.binary_cross_entropy(x, y, weight=tnn.ones(4, device=device, requires_grad=True))
    if device == "cpu":
        with pytest.raises(RuntimeError, match="all elements of input should be between 0 and 1"):
            F.binary_cross_entropy(tnn.full((3, 4), 1.5, device=device), y)
    with pytest.raises(TypeError):
        F.mse_loss(x, 1.0)
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
        out = F.mse_loss(x, y, reduce=False)
    assert tuple(out.shape) == (3, 4)


def test_integer_target_promotes(device):
    x = tnn.tensor([0.5, 2.0, -1.0], device=device, requires_grad=True)
    out = F.mse_loss(x, tnn.tensor([1, 2, 3], device=device))
    assert out.dtype is tnn.float32
    out.backward()
    _check(out, ref.mse_loss([0.5, 2.0, -1.0], [1, 2, 3]), dt.float32)
    _check(x.grad, ref.mse_loss_backward(1.0, [0.5, 2.0, -1.0], [1.0, 2.0, 3.0])[0], dt.float32)


# ------------------------------------------------------------------------------ gradcheck (float64)
@pytest.mark.parametrize("name,kw", [
    ("mse_loss", {}), ("l1_loss", {"reduction": "sum"}), ("smooth_l1_loss", {"beta": 0.4}),
    ("huber_loss", {"delta": 0.7, "reduction": "none"}), ("binary_cross_entropy", {}),
    ("binary_cross_entropy_with_logits", {}), ("kl_div", {"reduction": "batchmean"}),
    ("kl_div", {"log_target": True, "reduction": "none"}), ("cosine_similarity", {"dim": 0}),
    ("pairwise_distance", {"p": 3.0}), ("normalize", {"dim": 0}),
])
def test_gradcheck(device, name, kw):
    from tnn.testing import gradcheck
    rng = np.random.default_rng(14)
    lo = 0.1 if name in ("binary_cross_entropy", "kl_div") else -2
    x = tnn.tensor(rng.uniform(lo, 0.9, size=(3, 4)), device=device, requires_grad=True)
    y = tnn.tensor(rng.uniform(0.1, 0.9, size=(3, 4)), device=device, requires_grad=True)
    fn, bwd = getattr(F, name), getattr(ref, name + "_backward")
    if name == "normalize":
        gradcheck(lambda a: fn(a, **kw), (x,), reference=lambda g, a: bwd(g, a, **kw))
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gradcheck(lambda a, b: fn(a, b, **kw), (x, y), reference=lambda g, a, b: bwd(g, a, b, **kw)[:2])
