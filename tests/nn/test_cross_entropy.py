"""F.cross_entropy and F.nll_loss against the NumPy float64 reference (tnn.reference.loss):
forward and every gradient, over torch's target layouts ([N, C] / [N], [N, C, d...] /
[N, d...], unbatched [C] / []), probability targets, weight, ignore_index, label_smoothing and
reductions, fp32 / fp16 / bf16 / fp64, strided inputs; named edge cases (huge and -inf logits,
all-ignored targets, zero weight sums, C = 1, a 70000-class row, ...), memory (no probability
tensor kept) and torch's error messages."""
import math

import numpy as np
import pytest
from hypothesis import given, strategies as st

import tnn
import tnn.nn.functional as F
from tnn.reference import loss as ref
from tnn.runtime import dtypes as dt
from tnn.runtime.memory import Buffer
from tnn.testing import assert_close, layouts, make_tensor, random_array, to_numpy

FLOATS = (dt.float32, dt.float16, dt.bfloat16, dt.float64)


# ------------------------------------------------------------------------------ helpers
def _shape(data, layout_kind):
    C = data.draw(st.sampled_from([1, 2, 3, 5, 7, 13, 17]))
    if layout_kind == "unbatched":
        return (C,)
    N = data.draw(st.sampled_from([1, 2, 3, 5]))
    if layout_kind == "2d":
        return (N, C)
    spatial = data.draw(st.sampled_from([(1,), (3,), (2, 3), (1, 2, 2)]))
    return (N, C) + spatial


def _targets(rng, shape, C, ignore_index, p_ignore=0.25):
    """Class indices of input ``shape`` with about p_ignore of them set to ignore_index."""
    tshape = () if len(shape) == 1 else (shape[0],) + shape[2:]
    t = rng.integers(0, C, size=tshape).astype(np.int64)
    drop = rng.random(tshape) < p_ignore
    return np.where(drop, ignore_index, t).astype(np.int64)


def _grad_out(rng, out, dtype):
    """A random grad_output shaped like ``out`` (numpy), in dtype."""
    g = rng.uniform(0.5, 1.5, size=out.shape)
    return tnn.tensor(g.astype(dtype.np), device=out.device), to_numpy(tnn.tensor(g.astype(dtype.np)))


def _check(out, expected, dtype, reduce_len=1, **kw):
    assert_close(out.detach(), np.asarray(expected), dtype=dtype, reduce_len=reduce_len, **kw)


def _fd(f, x, eps=1e-6):
    """Central finite differences of the scalar f at float64 array x."""
    g = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        xp, xm = x.copy(), x.copy()
        xp[i] += eps
        xm[i] -= eps
        g[i] = (f(xp) - f(xm)) / (2 * eps)
    return g


# ------------------------------------------------------------------------------ properties
@given(st.data())
def test_cross_entropy_class_targets_match_reference(device, data):
    kind = data.draw(st.sampled_from(["2d", "unbatched", "nd"]))
    shape = _shape(data, kind)
    C = shape[0] if kind == "unbatched" else shape[1]
    dtype = data.draw(st.sampled_from(FLOATS))
    layout = data.draw(layouts())
    seed = data.draw(st.integers(0, 2**31))
    rng = np.random.default_rng(seed)
    ignore_index = data.draw(st.sampled_from([-100, 0, C - 1]))
    reduction = data.draw(st.sampled_from(["mean", "sum", "none"]))
    ls = data.draw(st.sampled_from([0.0, 0.0, 0.1, 0.6]))
    use_w = data.draw(st.booleans())
    x_np = random_array(dtype, shape, seed, -3, 3)
    t_np = _targets(rng, shape, C, ignore_index)
    if reduction == "mean" and np.all(t_np == ignore_index):
        t_np = np.zeros_like(t_np) if ignore_index != 0 else np.ones_like(t_np) % C
    w_np = rng.uniform(0.2, 2.0, C).astype(dtype.np) if use_w else None
    x = make_tensor(x_np, layout, device, requires_grad=True)
    w = tnn.tensor(w_np, device=device) if use_w else None
    kw = dict(weight=w, ignore_index=ignore_index, reduction=reduction, label_smoothing=ls)
    out = F.cross_entropy(x, tnn.tensor(t_np, device=device), **kw)
    xr, wr = to_numpy(x), (to_numpy(w) if use_w else None)
    rkw = dict(kw, weight=wr)
    expected = ref.cross_entropy(xr, t_np, **rkw)
    red = C * (1 if reduction == "none" else max(1, t_np.size))
    _check(out, expected, dtype, reduce_len=red)
    g, g_np = _grad_out(rng, out, dtype)
    out.backward(g)
    _check(x.grad, ref.cross_entropy_backward(g_np, xr, t_np, **rkw)[0], dtype, reduce_len=C)
    assert x.grad.dtype is dtype and tuple(x.grad.shape) == shape


@given(st.data())
def test_cross_entropy_probability_targets_match_reference(device, data):
    kind = data.draw(st.sampled_from(["2d", "unbatched", "nd"]))
    shape = _shape(data, kind)
    C = shape[0] if kind == "unbatched" else shape[1]
    dtype = data.draw(st.sampled_from(FLOATS))
    seed = data.draw(st.integers(0, 2**31))
    rng = np.random.default_rng(seed)
    reduction = data.draw(st.sampled_from(["mean", "sum", "none"]))
    ls = data.draw(st.sampled_from([0.0, 0.25]))
    use_w = data.draw(st.booleans())
    x_np = random_array(dtype, shape, seed, -3, 3)
    p = rng.uniform(0, 1, shape)
    y_np = (p / p.sum(axis=0 if kind == "unbatched" else 1, keepdims=True)).astype(dtype.np)
    w_np = rng.uniform(0.2, 2.0, C).astype(dtype.np) if use_w else None
    x = make_tensor(x_np, data.draw(layouts()), device, requires_grad=True)
    y = make_tensor(y_np, data.draw(layouts()), device, requires_grad=True)
    w = tnn.tensor(w_np, device=device) if use_w else None
    out = F.cross_entropy(x, y, weight=w, reduction=reduction, label_smoothing=ls)
    xr, yr, wr = to_numpy(x), to_numpy(y), (to_numpy(w) if use_w else None)
    kw = dict(weight=wr, reduction=reduction, label_smoothing=ls)
    _check(out, ref.cross_entropy(xr, yr, **kw), dtype, reduce_len=C * max(1, x_np.size // C))
    g, g_np = _grad_out(rng, out, dtype)
    out.backward(g)
    dx, dy, _ = ref.cross_entropy_backward(g_np, xr, yr, **kw)
    _check(x.grad, dx, dtype, reduce_len=C)
    _check(y.grad, dy, dtype, reduce_len=C)


@given(st.data())
def test_nll_loss_matches_reference(device, data):
    kind = data.draw(st.sampled_from(["2d", "unbatched", "nd"]))
    shape = _shape(data, kind)
    C = shape[0] if kind == "unbatched" else shape[1]
    dtype = data.draw(st.sampled_from(FLOATS))
    seed = data.draw(st.integers(0, 2**31))
    rng = np.random.default_rng(seed)
    ignore_index = data.draw(st.sampled_from([-100, 1]))
    reduction = data.draw(st.sampled_from(["mean", "sum", "none"]))
    use_w = data.draw(st.booleans())
    x_np = random_array(dtype, shape, seed, -3, 0)
    t_np = _targets(rng, shape, C, ignore_index, p_ignore=0.2)
    w_np = rng.uniform(0.2, 2.0, C).astype(dtype.np) if use_w else None
    x = make_tensor(x_np, data.draw(layouts()), device, requires_grad=True)
    w = tnn.tensor(w_np, device=device) if use_w else None
    out = F.nll_loss(x, tnn.tensor(t_np, device=device), weight=w, ignore_index=ignore_index, reduction=reduction)
    xr, wr = to_numpy(x), (to_numpy(w) if use_w else None)
    kw = dict(weight=wr, ignore_index=ignore_index, reduction=reduction)
    expected = ref.nll_loss(xr, t_np, **kw)
    _check(out, expected, dtype, reduce_len=max(1, t_np.size))
    g, g_np = _grad_out(rng, out, dtype)
    out.backward(g)
    _check(x.grad, ref.nll_loss_backward(g_np, xr, t_np, **kw)[0], dtype)


# ------------------------------------------------------------------------------ reference by finite differences
@pytest.mark.parametrize("case", ["index", "index_ls_w", "prob_ls_w", "nll"])
def test_reference_backward_matches_finite_differences(case):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(3, 4, 2))
    w = rng.uniform(0.5, 2, 4)
    g = rng.uniform(0.5, 1.5, size=(3, 2))
    if case.startswith("prob"):
        t = rng.uniform(0, 1, size=x.shape)
        kw = dict(weight=w, label_smoothing=0.2, reduction="none")
    else:
        t = rng.integers(0, 4, size=(3, 2))
        t[0, 0] = 1
        kw = dict(ignore_index=1, reduction="none") if case != "index_ls_w" else dict(
            weight=w, ignore_index=1, label_smoothing=0.3, reduction="none")
    fwd, bwd = (ref.nll_loss, ref.nll_loss_backward) if case == "nll" else (ref.cross_entropy,
                                                                              ref.cross_entropy_backward)
    analytic = bwd(g, x, t, **kw)
    assert_close(analytic[0], _fd(lambda v: (fwd(v, t, **kw) * g).sum(), x), dtype=dt.float64, rtol=1e-6,
                 atol=1e-6)
    if case.startswith("prob"):
        assert_close(analytic[1], _fd(lambda v: (fwd(x, v, **kw) * g).sum(), t), dtype=dt.float64, rtol=1e-6,
                     atol=1e-6)
    for red in ("mean", "sum"):
        kw2 = dict(kw, reduction=red)
        assert_close(bwd(1.0, x, t, **kw2)[0], _fd(lambda v: fwd(v, t, **kw2), x), dtype=dt.float64, rtol=1e-6,
                     atol=1e-6)


# ------------------------------------------------------------------------------ named edge cases
def _ce_both(device, x_np, t_np, dtype=dt.float32, **kw):
    x = tnn.tensor(x_np.astype(dtype.np), device=device, requires_grad=True)
    out = F.cross_entropy(x, tnn.tensor(t_np, device=device), **kw)
    out.backward(tnn.ones_like(out))
    xr = to_numpy(x)
    rkw = dict(kw)
    if isinstance(kw.get("weight"), tnn.Tensor):
        rkw["weight"] = to_numpy(kw["weight"])
    g = np.ones(np.shape(ref.cross_entropy(xr, t_np, **rkw)))
    return out, x.grad, ref.cross_entropy(xr, t_np, **rkw), ref.cross_entropy_backward(g, xr, t_np, **rkw)[0]


@pytest.mark.parametrize("dtype", [dt.float32, dt.bfloat16], ids=str)
@pytest.mark.parametrize("ls", [0.0, 0.3])
def test_huge_logits(device, ls, dtype):
    rng = np.random.default_rng(0)
    # offset 1e4 with small spread (catastrophic cancellation if sums are not max-relative), and
    # a spread of 1e4 (exp overflow without the max subtraction)
    for x_np in (1e4 + rng.normal(size=(4, 9)), 1e4 + rng.normal(size=(4, 9)) * 100, rng.normal(size=(4, 9)) * 1e4):
        out, gx, e, ge = _ce_both(device, x_np, rng.integers(0, 9, 4), dtype, label_smoothing=ls,
                                  reduction="none")
        assert np.all(np.isfinite(out.detach().numpy().astype(np.float64)))
        _check(out, e, dtype)
        _check(gx, ge, dtype)


def test_neg_inf_logits(device):
    x_np = np.array([[0.0, -np.inf, 1.0, -np.inf], [-np.inf, 2.0, 0.5, 0.0], [1.0, -np.inf, -np.inf, 0.0]])
    t_np = np.array([0, 1, 1])            # the last row's target logit is -inf: loss inf
    out, gx, e, ge = _ce_both(device, x_np, t_np, reduction="none")
    o = out.detach().numpy()
    assert np.isfinite(o[:2]).all() and o[2] == np.inf
    _check(out, e, dt.float32)
    g = gx.numpy()
    assert g[0, 1] == 0 and g[0, 3] == 0 and g[1, 0] == 0
    _check(gx, ge, dt.float32)
    # with label smoothing the -inf logits make every smoothed row infinite, as torch
    out, _, e, _ = _ce_both(device, x_np, t_np, reduction="none", label_smoothing=0.1)
    assert np.all(np.isinf(out.detach().numpy()))


@pytest.mark.parametrize("ls", [0.0, 0.2])
def test_all_ignored_targets(device, ls):
    x_np = np.random.default_rng(0).normal(size=(3, 5))
    t_np = np.full(3, -100)
    out, gx, e, _ = _ce_both(device, x_np, t_np, label_smoothing=ls)
    assert math.isnan(out.item()) and math.isnan(e)
    assert np.all(gx.numpy() == 0)
    out, gx, _, _ = _ce_both(device, x_np, t_np, reduction="sum", label_smoothing=ls)
    assert out.item() == 0 and np.all(gx.numpy() == 0)
    x = tnn.tensor(x_np.astype(np.float32), device=device, requires_grad=True)
    out = F.nll_loss(x, tnn.tensor(t_np, device=device))
    out.backward()
    assert math.isnan(out.item()) and np.all(x.grad.numpy() == 0)


def test_ignore_index_inside_range(device):
    rng = np.random.default_rng(2)
    x_np = rng.normal(size=(6, 4))
    t_np = np.array([0, 2, 2, 3, 1, 2])
    out, gx, e, ge = _ce_both(device, x_np, t_np, ignore_index=2)
    _check(out, e, dt.float32)
    _check(gx, ge, dt.float32)
    assert np.all(gx.numpy()[[1, 2, 5]] == 0)
    # the same loss as dropping those rows
    keep = t_np != 2
    assert_close(out.detach(), ref.cross_entropy(x_np[keep], t_np[keep]), dtype=dt.float32)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_label_smoothing_with_weights_and_ignore_index(device, reduction):
    rng = np.random.default_rng(3)
    x_np = rng.normal(size=(7, 5))
    t_np = np.array([0, 4, -1, 2, -1, 3, 1])
    w = tnn.tensor(rng.uniform(0.2, 3, 5).astype(np.float32), device=device)
    out, gx, e, ge = _ce_both(device, x_np, t_np, weight=w, ignore_index=-1, label_smoothing=0.35,
                              reduction=reduction)
    assert out.grad_fn.name() == "AddBackward0"
    _check(out, e, dt.float32, reduce_len=35)
    _check(gx, ge, dt.float32, reduce_len=5)


def test_probability_targets_with_smoothing(device):
    rng = np.random.default_rng(4)
    x_np = rng.normal(size=(4, 6)).astype(np.float32)
    y_np = rng.dirichlet(np.ones(6), size=4).astype(np.float32)
    x = tnn.tensor(x_np, device=device, requires_grad=True)
    y = tnn.tensor(y_np, device=device, requires_grad=True)
    out = F.cross_entropy(x, y, label_smoothing=0.4)
    out.backward()
    assert out.grad_fn.name() == "DivBackward0"
    _check(out, ref.cross_entropy(x_np, y_np, label_smoothing=0.4), dt.float32)
    dx, dy, _ = ref.cross_entropy_backward(1.0, x_np, y_np, label_smoothing=0.4)
    _check(x.grad, dx, dt.float32)
    _check(y.grad, dy, dt.float32)
    # one-hot probabilities give the class-index loss
    onehot = np.eye(6, dtype=np.float32)[[1, 0, 5, 3]]
    a = F.cross_entropy(tnn.tensor(x_np, device=device), tnn.tensor(onehot, device=device), label_smoothing=0.2)
    b = F.cross_entropy(tnn.tensor(x_np, device=device), tnn.tensor([1, 0, 5, 3], device=device),
                        label_smoothing=0.2)
    assert_close(a, b.numpy(), dtype=dt.float32)


def test_batch_of_one(device):
    x_np = np.random.default_rng(5).normal(size=(1, 11))
    for red in ("mean", "none"):
        out, gx, e, ge = _ce_both(device, x_np, np.array([7]), reduction=red)
        assert tuple(out.shape) == (() if red == "mean" else (1,))
        _check(out, e, dt.float32)
        _check(gx, ge, dt.float32)


@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_spatial_layout_n_c_d1_d2(device, reduction):
    rng = np.random.default_rng(6)
    x_np = rng.normal(size=(2, 5, 3, 4)).astype(np.float32)
    t_np = rng.integers(0, 5, size=(2, 3, 4))
    t_np[0, 1, 2] = -100
    # channels-last storage: a non-contiguous (N, C, H, W) view
    x = tnn.tensor(np.ascontiguousarray(x_np.transpose(0, 2, 3, 1)), device=device).permute(0, 3, 1, 2)
    x.requires_grad_(True)
    out = F.cross_entropy(x, tnn.tensor(t_np, device=device), reduction=reduction)
    assert out.grad_fn.name() == "NllLoss2DBackward0"
    assert tuple(out.shape) == (() if reduction == "mean" else (2, 3, 4))
    g_np = rng.uniform(0.5, 1.5, size=out.shape).astype(np.float32)
    out.backward(tnn.tensor(g_np, device=device))
    _check(out, ref.cross_entropy(x_np, t_np, reduction=reduction), dt.float32, reduce_len=120)
    _check(x.grad, ref.cross_entropy_backward(g_np, x_np, t_np, reduction=reduction)[0], dt.float32)


def test_unbatched(device):
    rng = np.random.default_rng(7)
    x_np = rng.normal(size=(6,))
    for red in ("mean", "sum", "none"):
        out, gx, e, ge = _ce_both(device, x_np, np.array(4), reduction=red, label_smoothing=0.1)
        assert out.shape == () and gx.shape == (6,)
        _check(out, e, dt.float32)
        _check(gx, ge, dt.float32)
    y = tnn.tensor(rng.dirichlet(np.ones(6)).astype(np.float32), device=device)
    out = F.cross_entropy(tnn.tensor(x_np.astype(np.float32), device=device), y, reduction="none")
    _check(out, ref.cross_entropy(x_np.astype(np.float32), to_numpy(y), reduction="none"), dt.float32)


def test_one_class(device):
    x_np = np.random.default_rng(8).normal(size=(4, 1))
    out, gx, e, ge = _ce_both(device, x_np, np.zeros(4, np.int64), reduction="none", label_smoothing=0.5)
    assert np.all(out.detach().numpy() == 0) and np.all(gx.numpy() == 0)
    _check(gx, ge, dt.float32)
    with pytest.raises(IndexError, match="Target 1 is out of bounds."):
        F.cross_entropy(tnn.tensor(x_np, device=device), tnn.tensor([0, 1, 0, 0], device=device))


def test_70000_class_row(device):
    rng = np.random.default_rng(9)
    C = 70000
    x_np = rng.normal(size=(1, C)).astype(np.float32) * 3
    w = tnn.tensor(rng.uniform(0.5, 1.5, C).astype(np.float32), device=device)
    out, gx, e, ge = _ce_both(device, x_np, np.array([65432]), weight=w, label_smoothing=0.1)
    _check(out, e, dt.float32, reduce_len=C)
    _check(gx, ge, dt.float32)


def test_weights_sum_to_zero(device):
    rng = np.random.default_rng(10)
    x_np = rng.normal(size=(3, 4))
    w = tnn.tensor(np.array([0.0, 0.0, 1.0, 1.0], np.float32), device=device)
    t_np = np.array([0, 1, -100])
    out, gx, e, ge = _ce_both(device, x_np, t_np, weight=w)
    assert math.isnan(out.item()) and math.isnan(e)
    g = gx.numpy()
    assert np.all(np.isnan(g[:2])) and np.all(g[2] == 0)   # torch: 0 * (1 / 0) is nan on live rows
    out, gx, e, ge = _ce_both(device, x_np, t_np, weight=w, reduction="sum")
    _check(out, e, dt.float32)
    _check(gx, ge, dt.float32)


def test_empty_batch(device):
    x = tnn.zeros(0, 5, device=device, requires_grad=True)
    t = tnn.zeros(0, dtype=tnn.int64, device=device)
    assert math.isnan(F.cross_entropy(x, t).item())
    assert F.cross_entropy(x, t, reduction="sum").item() == 0
    out = F.cross_entropy(x, t, reduction="none")
    assert tuple(out.shape) == (0,)
    F.cross_entropy(x, t, reduction="sum").backward()
    assert tuple(x.grad.shape) == (0, 5)


def test_grad_fn_names_and_no_grad(device):
    x = tnn.randn(3, 4, device=device, requires_grad=True)
    t = tnn.tensor([0, 1, 2], device=device)
    assert F.cross_entropy(x, t).grad_fn.name() == "NllLossBackward0"
    assert F.cross_entropy(x, t, label_smoothing=0.1).grad_fn.name() == "AddBackward0"
    y = tnn.full((3, 4), 0.25, device=device)
    assert F.cross_entropy(x, y, reduction="sum").grad_fn.name() == "NegBackward0"
    assert F.cross_entropy(x, y).grad_fn.name() == "DivBackward0"
    assert F.nll_loss(x, t).grad_fn.name() == "NllLossBackward0"
    x3 = tnn.randn(2, 4, 3, device=device, requires_grad=True)
    t3 = tnn.zeros(2, 3, dtype=tnn.int64, device=device)
    assert F.cross_entropy(x3, t3).grad_fn.name() == "NllLoss2DBackward0"
    assert F.cross_entropy(x3, t3, reduction="none").grad_fn.name() == "ViewBackward0"
    assert F.nll_loss(x3, t3, reduction="none").grad_fn.name() == "ViewBackward0"
    with tnn.no_grad():
        out = F.cross_entropy(x, t)
    assert out.grad_fn is None and not out.requires_grad


def test_backward_twice_with_retain_graph(device):
    """The forward's gradient buffer is scaled out of place: a second backward sees it intact."""
    x = tnn.randn(4, 6, device=device, requires_grad=True)
    t = tnn.tensor([0, 5, 2, 1], device=device)
    out = F.cross_entropy(x, t)
    out.backward(tnn.tensor(3.0, device=device), retain_graph=True)
    first = x.grad.numpy().copy()
    x.grad = None
    out.backward(tnn.tensor(3.0, device=device))
    np.testing.assert_array_equal(first, x.grad.numpy())


def test_non_contiguous_grad_output(device):
    rng = np.random.default_rng(11)
    x_np = rng.normal(size=(2, 3, 5)).astype(np.float32)
    t_np = rng.integers(0, 3, size=(2, 5))
    x = tnn.tensor(x_np, device=device, requires_grad=True)
    out = F.cross_entropy(x, tnn.tensor(t_np, device=device), reduction="none")   # (2, 5)
    g_np = rng.normal(size=(5, 2)).astype(np.float32)
    out.backward(tnn.tensor(g_np, device=device).T)
    _check(x.grad, ref.cross_entropy_backward(g_np.T, x_np, t_np, reduction="none")[0], dt.float32)


def test_no_probability_tensor_kept(device, monkeypatch):
    """Inference allocates no [N, C] buffer; training allocates exactly one (d loss / d logits)."""
    N, C = 8, 300
    x = tnn.randn(N, C, device=device)
    t = tnn.tensor(np.arange(N) % C, device=device)
    sizes = []
    orig = Buffer.allocate

    def counting(nbytes, dev):
        sizes.append(nbytes)
        return orig(nbytes, dev)
    monkeypatch.setattr(Buffer, "allocate", staticmethod(counting))
    F.cross_entropy(x, t)
    assert max(sizes) < N * C * 4
    sizes.clear()
    x.requires_grad_(True)
    out = F.cross_entropy(x, t)
    assert sum(s >= N * C * 4 for s in sizes) == 1
    node_saved = out.grad_fn.ctx._saved
    assert sum(s is not None and s.numel() == N * C for s in node_saved) == 1


def test_legacy_size_average_and_reduce(device):
    x_np = np.random.default_rng(12).normal(size=(3, 4)).astype(np.float32)
    x, t = tnn.tensor(x_np, device=device), tnn.tensor([1, 2, 3], device=device)
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
        out = F.cross_entropy(x, t, size_average=False)
    assert_close(out, ref.cross_entropy(x_np, [1, 2, 3], reduction="sum"), dtype=dt.float32)
    with pytest.warns(UserWarning):
        out = F.nll_loss(x, t, reduce=False)
    assert tuple(out.shape) == (3,)


# ------------------------------------------------------------------------------ errors
def test_errors(device):
    x = tnn.randn(3, 5, device=device)
    t = tnn.tensor([0, 1, 2], device=device)
    with pytest.raises(IndexError, match="Target 5 is out of bounds."):
        F.cross_entropy(x, tnn.tensor([0, 5, 1], device=device))
    with pytest.raises(IndexError, match="Target -3 is out of bounds."):
        F.nll_loss(x, tnn.tensor([0, -3, 1], device=device))
    with pytest.raises(ValueError, match=r"Expected input batch_size \(3\) to match target batch_size \(2\)."):
        F.cross_entropy(x, tnn.tensor([0, 1], device=device))
    with pytest.raises(RuntimeError, match="weight tensor should be defined either for all 5 classes or no classes "
                                           r"but got weight tensor of shape: \[3\]"):
        F.cross_entropy(x, t, weight=tnn.ones(3, device=device))
    with pytest.raises(RuntimeError, match="expected scalar type Float but found Double"):
        F.cross_entropy(x, t, weight=tnn.ones(5, dtype=tnn.float64, device=device))
    with pytest.raises(RuntimeError, match="label_smoothing must be between 0.0 and 1.0. Got: 1.5"):
        F.cross_entropy(x, t, label_smoothing=1.5)
    with pytest.raises(RuntimeError, match="expected scalar type Long but found Float"):
        F.cross_entropy(x, tnn.zeros(3, device=device))
    with pytest.raises(RuntimeError, match="expected scalar type Long but found Int"):
        F.cross_entropy(x, t.int())
    with pytest.raises(RuntimeError, match="ignore_index is not supported for floating point target"):
        F.cross_entropy(x, tnn.zeros(3, 5, device=device), ignore_index=1)
    with pytest.raises(RuntimeError, match="Expected floating point type for target with class probabilities"):
        F.cross_entropy(x, tnn.zeros(3, 5, dtype=tnn.int64, device=device))
    with pytest.raises(ValueError, match="mean_sq is not a valid value for reduction"):
        F.cross_entropy(x, t, reduction="mean_sq")
    with pytest.raises(ValueError, match=r"Expected 1 or more dimensions \(got 0\)"):
        F.cross_entropy(tnn.tensor(1.0, device=device), t)
    with pytest.raises(RuntimeError, match=r"Expected target size \[3, 4\], got \[3, 2\]"):
        F.cross_entropy(tnn.randn(3, 5, 4, device=device), tnn.zeros(3, 2, dtype=tnn.int64, device=device))
    with pytest.raises(RuntimeError, match="input and target batch or spatial sizes don't match: target "
                                           r"\[3, 2, 2\], input \[3, 5, 2, 3\]"):
        F.cross_entropy(tnn.randn(3, 5, 2, 3, device=device), tnn.zeros(3, 2, 2, dtype=tnn.int64, device=device))
    with pytest.raises(RuntimeError, match="only batches of spatial targets supported"):
        F.nll_loss(tnn.randn(3, 5, 2, 3, device=device), tnn.zeros(3, 6, dtype=tnn.int64, device=device))
    with pytest.raises(RuntimeError, match="0D or 1D target tensor expected, multi-target not supported"):
        F.nll_loss(x, tnn.zeros(3, 1, dtype=tnn.int64, device=device))
    with pytest.raises(RuntimeError, match=r"size mismatch \(got input: \[5\], target: \[1\]\)"):
        F.cross_entropy(tnn.randn(5, device=device), tnn.tensor([1], device=device))
    with pytest.raises(RuntimeError, match="the derivative for 'weight' is not implemented."):
        F.cross_entropy(x, t, weight=tnn.ones(5, device=device, requires_grad=True))
    with pytest.raises(TypeError):
        F.cross_entropy(x, [0, 1, 2])


# ------------------------------------------------------------------------------ a deterministic sweep
@pytest.mark.parametrize("dtype", FLOATS, ids=str)
@pytest.mark.parametrize("shape", [(5, 7), (7,), (2, 3, 5), (3, 4, 2, 3)], ids=str)
@pytest.mark.parametrize("opts", ["plain", "weight_ls_ignore", "prob_ls_weight"])
def test_cross_entropy_sweep(device, dtype, shape, opts):
    """Every layout x dtype x option family, all three reductions, forward and gradients."""
    rng = np.random.default_rng(len(shape) * 31 + shape[0])
    C = shape[0] if len(shape) == 1 else shape[1]
    x_np = random_array(dtype, shape, 7, -4, 4)
    w_np = rng.uniform(0.3, 2.0, C).astype(dtype.np)
    if opts == "prob_ls_weight":
        p = rng.uniform(size=shape)
        t_np = (p / p.sum(axis=0 if len(shape) == 1 else 1, keepdims=True)).astype(dtype.np)
        kw = dict(label_smoothing=0.15)
    else:
        t_np = _targets(rng, shape, C, 1 if opts != "plain" else -100, p_ignore=0.3 if opts != "plain" else 0)
        if np.all(t_np == 1):
            t_np = np.zeros_like(t_np)
        kw = dict(ignore_index=1, label_smoothing=0.2) if opts != "plain" else {}
    for reduction in ("mean", "sum", "none"):
        x = tnn.tensor(x_np, device=device, requires_grad=True)
        w = tnn.tensor(w_np, device=device) if opts != "plain" else None
        t = tnn.tensor(t_np, device=device)
        out = F.cross_entropy(x, t, weight=w, reduction=reduction, **kw)
        xr, tr = to_numpy(x), to_numpy(t) if opts == "prob_ls_weight" else t_np
        rkw = dict(kw, weight=to_numpy(w) if w is not None else None, reduction=reduction)
        _check(out, ref.cross_entropy(xr, tr, **rkw), dtype, reduce_len=x_np.size)
        g, g_np = _grad_out(rng, out, dtype)
        out.backward(g)
        _check(x.grad, ref.cross_entropy_backward(g_np, xr, tr, **rkw)[0], dtype, reduce_len=C)


# ------------------------------------------------------------------------------ gradcheck (float64)
@pytest.mark.parametrize("case", ["index_w_ls_ignore", "prob_w_ls", "nll_nd"])
def test_gradcheck(device, case):
    from tnn.testing import gradcheck
    rng = np.random.default_rng(13)
    x = tnn.tensor(rng.normal(size=(3, 4, 2)), device=device, requires_grad=True)
    w = rng.uniform(0.5, 2, 4)
    if case == "prob_w_ls":
        y = tnn.tensor(rng.uniform(0, 1, size=(3, 4, 2)), device=device, requires_grad=True)
        kw = dict(label_smoothing=0.2, reduction="none")
        gradcheck(lambda a, b, ww: F.cross_entropy(a, b, weight=ww, **kw), (x, y, tnn.tensor(w, device=device)),
                  reference=lambda g, a, b, ww: ref.cross_entropy_backward(g, a, b, weight=ww, **kw))
        return
    t = tnn.tensor(np.array([[0, 3], [2, 2], [1, 0]]), device=device)
    if case == "nll_nd":
        kw = dict(ignore_index=0, reduction="mean")
        gradcheck(lambda a, tt, ww: F.nll_loss(a, tt, weight=ww, **kw), (x, t, tnn.tensor(w, device=device)),
                  reference=lambda g, a, tt, ww: ref.nll_loss_backward(g, a, tt, weight=ww, **kw))
        return
    kw = dict(ignore_index=2, label_smoothing=0.3, reduction="sum")
    gradcheck(lambda a, tt, ww: F.cross_entropy(a, tt, weight=ww, **kw), (x, t, tnn.tensor(w, device=device)),
              reference=lambda g, a, tt, ww: ref.cross_entropy_backward(g, a, tt, weight=ww, **kw))
