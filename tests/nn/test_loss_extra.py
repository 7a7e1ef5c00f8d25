"""The losses added after the first loss family: soft_margin_loss, multi_margin_loss and
multilabel_margin_loss (Triton kernels), poisson_nll_loss, gaussian_nll_loss,
hinge_embedding_loss, multilabel_soft_margin_loss and triplet_margin_with_distance_loss
(composed as torch composes them). Against the NumPy float64 reference (tnn.reference.loss) for
values and every gradient over fp32 / fp16 / bf16 / fp64, shapes with 1 and primes, strided
inputs and every option; the reference backwards against finite differences; named edge cases,
torch's error messages, and the kernels compiling for sm_90."""
import math

import numpy as np
import pytest
import triton
import triton.language as tl
from hypothesis import given, strategies as st
from triton.backends.compiler import GPUTarget

import tnn
import tnn.nn.functional as F
from tests.reference import fd
from tnn.reference import loss as ref
from tnn.runtime import dtypes as dt
from tnn.testing import assert_close, layouts, make_tensor, random_array, shapes, sizes, to_numpy

FLOATS = (dt.float32, dt.float16, dt.bfloat16, dt.float64)
REDUCTIONS = ("mean", "sum", "none")


def _check(out, expected, dtype, reduce_len=1, **kw):
    assert_close(out.detach(), np.asarray(expected), dtype=dtype, reduce_len=reduce_len, **kw)


def _grad_out(seed, out, dtype):
    g = np.random.default_rng(seed).uniform(0.5, 1.5, size=out.shape).astype(dtype.np)
    return tnn.tensor(g, device=out.device), to_numpy(tnn.tensor(g))


def _backward(out, seed, dtype):
    g, g_np = _grad_out(seed, out, dtype)
    out.backward(g)
    return g_np


# ------------------------------------------------------------------------------ kernel losses
@given(st.data())
def test_soft_margin_loss_matches_reference(device, data):
    shape = data.draw(shapes(0, 3, max_size=13, max_numel=300, allow_empty=True))
    t_shape = data.draw(st.sampled_from([shape, shape[-1:], (1,) * len(shape)]))
    dtype = data.draw(st.sampled_from(FLOATS))
    reduction = data.draw(st.sampled_from(REDUCTIONS))
    seed = data.draw(st.integers(0, 2**31))
    x = make_tensor(random_array(dtype, shape, seed, -5, 5), data.draw(layouts()), device, requires_grad=True)
    y_np = random_array(dtype, t_shape, seed + 1, -2, 2)
    if data.draw(st.booleans()):
        y_np = np.where(y_np >= 0, 1, -1).astype(dtype.np)
    y = make_tensor(y_np, data.draw(layouts()), device)
    out = F.soft_margin_loss(x, y, reduction=reduction)
    xr, yr = to_numpy(x), to_numpy(y)
    n = max(1, int(np.prod(shape)))
    _check(out, ref.soft_margin_loss(xr, yr, reduction=reduction), dtype, reduce_len=n)
    assert out.dtype is dtype
    g = _backward(out, seed, dtype)
    _check(x.grad, ref.soft_margin_loss_backward(g, xr, yr, reduction=reduction)[0], dtype)
    assert x.grad.dtype is dtype and tuple(x.grad.shape) == tuple(shape)


def _margin_input(data, dtype, device, seed, lo=-2.0, hi=2.0):
    nd = data.draw(st.sampled_from([0, 1, 2, 2]))
    C = data.draw(sizes(17)) if nd else 1
    N = data.draw(st.sampled_from([1, 2, 3, 7, 13])) if nd == 2 else 1
    shape = ((N, C) if nd == 2 else (C,) if nd == 1 else ())
    x = make_tensor(random_array(dtype, shape, seed, lo, hi), data.draw(layouts()), device, requires_grad=True)
    return x, N, C, nd


@given(st.data())
def test_multi_margin_loss_matches_reference(device, data):
    dtype = data.draw(st.sampled_from(FLOATS))
    seed = data.draw(st.integers(0, 2**31))
    rng = np.random.default_rng(seed)
    x, N, C, nd = _margin_input(data, dtype, device, seed)
    t_np = rng.integers(0, C, size=N)
    if nd < 2 and data.draw(st.booleans()):
        t_np = t_np.reshape(())                       # 0-d target: a 0-d loss even unreduced
    t = make_tensor(t_np, data.draw(layouts()) if t_np.ndim else "contiguous", device)
    kw = dict(p=data.draw(st.sampled_from([1, 2])), margin=data.draw(st.sampled_from([1.0, 0.5, 1.5, 0.0])),
              reduction=data.draw(st.sampled_from(REDUCTIONS)))
    w_np = None
    if data.draw(st.booleans()):
        w_np = random_array(dtype, (C,), seed + 2, 0.2, 2.0)
        kw["weight"] = make_tensor(w_np, data.draw(layouts()), device)
    out = F.multi_margin_loss(x, t, **kw)
    rkw = dict(kw, weight=to_numpy(kw["weight"]) if w_np is not None else None)
    xr = to_numpy(x)
    _check(out, ref.multi_margin_loss(xr, t_np, **rkw), dtype, reduce_len=N * C)
    assert out.dtype is dtype and out.grad_fn.name() == "MultiMarginLossBackward0"
    g = _backward(out, seed, dtype)
    _check(x.grad, ref.multi_margin_loss_backward(g, xr, t_np, **rkw)[0], dtype, reduce_len=C)
    assert x.grad.dtype is dtype and tuple(x.grad.shape) == tuple(x.shape)


def _multilabel_targets(rng, N, C, row_shape):
    """Rows of distinct labels padded with -1; some rows carry a repeated label or values after
    the first -1 (ignored), one may be all -1."""
    t = np.full((N, C), -1, np.int64)
    for n in range(N):
        k = int(rng.integers(0, C + 1))
        t[n, :k] = rng.choice(C, size=k, replace=False)
        if k + 1 < C and rng.random() < 0.3:
            t[n, k + 1:] = rng.integers(-1, C, size=C - k - 1)     # after the terminator: ignored
        if 0 < k < C and rng.random() < 0.3:
            t[n, k] = t[n, 0]                                       # a repeated label counts twice
    return t.reshape(row_shape)


@given(st.data())
def test_multilabel_margin_loss_matches_reference(device, data):
    dtype = data.draw(st.sampled_from(FLOATS))
    seed = data.draw(st.integers(0, 2**31))
    rng = np.random.default_rng(seed)
    x, N, C, nd = _margin_input(data, dtype, device, seed)
    t_np = _multilabel_targets(rng, N, C, x.shape if nd else data.draw(st.sampled_from([(), (1,)])))
    t = make_tensor(t_np, data.draw(layouts()) if t_np.ndim else "contiguous", device)
    reduction = data.draw(st.sampled_from(REDUCTIONS))
    out = F.multilabel_margin_loss(x, t, reduction=reduction)
    xr = to_numpy(x)
    _check(out, ref.multilabel_margin_loss(xr, t_np, reduction=reduction), dtype, reduce_len=N * C * C)
    assert out.dtype is dtype and out.grad_fn.name() == "MultilabelMarginLossBackward0"
    g = _backward(out, seed, dtype)
    _check(x.grad, ref.multilabel_margin_loss_backward(g, xr, t_np, reduction=reduction)[0], dtype,
           reduce_len=C * C)


# ------------------------------------------------------------------------------ composed losses
def _pair_shapes(data):
    shape = data.draw(shapes(1, 3, max_size=13, max_numel=200))
    return shape, data.draw(st.sampled_from([shape, shape[-1:], shape]))


@given(st.data())
def test_poisson_nll_loss_matches_reference(device, data):
    dtype = data.draw(st.sampled_from(FLOATS))
    seed = data.draw(st.integers(0, 2**31))
    log_input, full = data.draw(st.booleans()), data.draw(st.booleans())
    kw = dict(log_input=log_input, full=full, reduction=data.draw(st.sampled_from(REDUCTIONS)))
    if not log_input and data.draw(st.booleans()):
        kw["eps"] = 0.25
    xs, ts = _pair_shapes(data)
    lo, hi = (-2.0, 2.0) if log_input else (0.1, 3.0)
    x = make_tensor(random_array(dtype, xs, seed, lo, hi), data.draw(layouts()), device, requires_grad=True)
    t = make_tensor(random_array(dtype, ts, seed + 1, 0.05, 4.0), data.draw(layouts()), device,
                    requires_grad=True)
    out = F.poisson_nll_loss(x, t, **kw)
    xr, tr = to_numpy(x), to_numpy(t)
    n = int(np.prod(xs))
    _check(out, ref.poisson_nll_loss(xr, tr, **kw), dtype, reduce_len=n)
    assert out.dtype is dtype
    g = _backward(out, seed, dtype)
    dx, dtg = ref.poisson_nll_loss_backward(g, xr, tr, **kw)
    _check(x.grad, dx, dtype)
    _check(t.grad, dtg, dtype, reduce_len=n // int(np.prod(ts)))


@given(st.data())
def test_gaussian_nll_loss_matches_reference(device, data):
    dtype = data.draw(st.sampled_from(FLOATS))
    seed = data.draw(st.integers(0, 2**31))
    shape = data.draw(shapes(1, 3, max_size=13, max_numel=200))
    kind = data.draw(st.sampled_from(["same", "short", "one", "float"]))
    kw = dict(full=data.draw(st.booleans()), reduction=data.draw(st.sampled_from(REDUCTIONS)))
    if data.draw(st.booleans()):
        kw["eps"] = 0.3                               # clamps part of var (no gradient through the clamp)
    x = make_tensor(random_array(dtype, shape, seed), data.draw(layouts()), device, requires_grad=True)
    t = make_tensor(random_array(dtype, shape, seed + 1), data.draw(layouts()), device, requires_grad=True)
    if kind == "float":
        var = var_r = 0.7
    else:
        v_shape = {"same": shape, "short": shape[:-1],
                   "one": shape[:-1] + (1,) if len(shape) == 1 or data.draw(st.booleans())
                   else (1,) + shape[1:]}[kind]
        if kind == "one" and v_shape == shape:
            v_shape = shape[:-1] + (1,)
        var = make_tensor(random_array(dtype, v_shape, seed + 2, 0.05, 2.0), data.draw(layouts()), device,
                          requires_grad=True)
        var_r = to_numpy(var)
    out = F.gaussian_nll_loss(x, t, var, **kw)
    xr, tr = to_numpy(x), to_numpy(t)
    n = int(np.prod(shape))
    _check(out, ref.gaussian_nll_loss(xr, tr, var_r, **kw), dtype, reduce_len=n)
    g = _backward(out, seed, dtype)
    dx, dtg, dv = ref.gaussian_nll_loss_backward(g, xr, tr, var_r, **kw)
    _check(x.grad, dx, dtype)
    _check(t.grad, dtg, dtype)
    if kind != "float":
        _check(var.grad, dv, dtype, reduce_len=n // int(np.prod(var.shape)))


@given(st.data())
def test_hinge_embedding_loss_matches_reference(device, data):
    dtype = data.draw(st.sampled_from(FLOATS))
    seed = data.draw(st.integers(0, 2**31))
    xs, ts = _pair_shapes(data)
    kw = dict(margin=data.draw(st.sampled_from([1.0, 0.5, 2.0, -0.5])),
              reduction=data.draw(st.sampled_from(REDUCTIONS)))
    x = make_tensor(random_array(dtype, xs, seed, -3, 3), data.draw(layouts()), device, requires_grad=True)
    y_np = np.random.default_rng(seed).choice([-1.0, 1.0, 0.0], size=ts, p=[0.45, 0.45, 0.1]).astype(dtype.np)
    y = make_tensor(y_np, data.draw(layouts()), device)
    out = F.hinge_embedding_loss(x, y, **kw)
    xr, yr = to_numpy(x), to_numpy(y)
    _check(out, ref.hinge_embedding_loss(xr, yr, **kw), dtype, reduce_len=int(np.prod(xs)))
    g = _backward(out, seed, dtype)
    _check(x.grad, ref.hinge_embedding_loss_backward(g, xr, yr, **kw)[0], dtype)


@given(st.data())
def test_multilabel_soft_margin_loss_matches_reference(device, data):
    dtype = data.draw(st.sampled_from(FLOATS))
    seed = data.draw(st.integers(0, 2**31))
    shape = data.draw(shapes(1, 3, max_size=13, max_numel=200))
    reduction = data.draw(st.sampled_from(REDUCTIONS))
    x = make_tensor(random_array(dtype, shape, seed, -4, 4), data.draw(layouts()), device, requires_grad=True)
    y_np = random_array(dtype, shape, seed + 1, 0, 1)
    if data.draw(st.booleans()):
        y_np = (y_np > 0.5).astype(dtype.np)
    y = make_tensor(y_np, data.draw(layouts()), device, requires_grad=True)
    w = None
    if data.draw(st.booleans()):
        w = make_tensor(random_array(dtype, shape[-1:], seed + 2, 0.2, 2), "contiguous", device,
                        requires_grad=True)
    out = F.multilabel_soft_margin_loss(x, y, weight=w, reduction=reduction)
    xr, yr, wr = to_numpy(x), to_numpy(y), (to_numpy(w) if w is not None else None)
    C = shape[-1]
    _check(out, ref.multilabel_soft_margin_loss(xr, yr, wr, reduction=reduction), dtype,
           reduce_len=int(np.prod(shape)))
    g = _backward(out, seed, dtype)
    dx, dy, dw = ref.multilabel_soft_margin_loss_backward(g, xr, yr, wr, reduction=reduction)
    _check(x.grad, dx, dtype)
    _check(y.grad, dy, dtype)
    if w is not None:
        _check(w.grad, dw, dtype, reduce_len=int(np.prod(shape)) // C)


def _cos_distance_np(a, b):
    return 1.0 - ref.cosine_similarity(a, b, dim=-1)


_cos_distance_np.backward = lambda g, a, b: tuple(-d for d in ref.cosine_similarity_backward(g, a, b, dim=-1))


@given(st.data())
def test_triplet_margin_with_distance_loss_matches_reference(device, data):
    dtype = data.draw(st.sampled_from(FLOATS))
    seed = data.draw(st.integers(0, 2**31))
    shape = data.draw(st.sampled_from([(5, 7), (1, 3), (13,), (2, 1), (3, 2, 5)]))
    custom = data.draw(st.booleans())
    kw = dict(margin=data.draw(st.sampled_from([1.0, 0.3, 2.0])), swap=data.draw(st.booleans()),
              reduction=data.draw(st.sampled_from(REDUCTIONS)))
    a, p, n = (make_tensor(random_array(dtype, shape, seed + i), data.draw(layouts()), device, requires_grad=True)
               for i in range(3))
    fn = (lambda u, v: 1.0 - F.cosine_similarity(u, v, dim=-1)) if custom else None
    out = F.triplet_margin_with_distance_loss(a, p, n, distance_function=fn, **kw)
    ar, pr, nr = to_numpy(a), to_numpy(p), to_numpy(n)
    rfn = _cos_distance_np if custom else None
    _check(out, ref.triplet_margin_with_distance_loss(ar, pr, nr, distance_function=rfn, **kw), dtype,
           reduce_len=int(np.prod(shape)))
    g = _backward(out, seed, dtype)
    grads = ref.triplet_margin_with_distance_loss_backward(g, ar, pr, nr, distance_function=rfn, **kw)
    for t, e in zip((a, p, n), grads):
        _check(t.grad, e, dtype, reduce_len=shape[-1])


# ------------------------------------------------------------------------------ references by finite differences
_R = fd.rng(5)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_reference_backwards_match_finite_differences(reduction):
    x, y = fd.normal((3, 4), 1), fd.normal((3, 4), 2)
    sign = np.where(fd.normal((3, 4), 3) > 0, 1.0, -1.0).astype(np.float32)   # targets without a gradient
    pos = fd.away((3, 4), 4, positive=True)
    kw = dict(reduction=reduction)
    fd.check("soft_margin_loss", x, sign, **kw)
    fd.check("soft_margin_loss", x, y.astype(np.float32), **kw)
    fd.check("poisson_nll_loss", x, pos * 2, full=True, **kw)
    fd.check("poisson_nll_loss", pos, pos[0] * 2, log_input=False, full=True, eps=0.1, **kw)
    fd.check("gaussian_nll_loss", x, y, pos, full=True, **kw)
    fd.check("gaussian_nll_loss", x, y, pos[:, 0], **kw)
    fd.check("gaussian_nll_loss", x, y, pos[:, :1], **kw)
    fd.check("gaussian_nll_loss", x, y, 0.5, **kw)
    fd.check("hinge_embedding_loss", x, sign, margin=0.7, **kw)
    fd.check("multilabel_soft_margin_loss", x, np.abs(y) / 3, pos[0], **kw)
    t = np.array([2, 0, 3])
    fd.check("multi_margin_loss", x, t, **kw)
    fd.check("multi_margin_loss", x, t, p=2, margin=0.6, weight=pos[1].astype(np.float32), **kw)  # no d weight
    tl_ = np.array([[1, 3, -1, -1], [0, -1, 2, 2], [-1, 0, 0, 0]])
    fd.check("multilabel_margin_loss", x, tl_, **kw)
    a, p_, n = fd.normal((3, 5), 6), fd.normal((3, 5), 7), fd.normal((3, 5), 8)
    fd.check("triplet_margin_with_distance_loss", a, p_, n, margin=2.0, **kw)
    fd.check("triplet_margin_with_distance_loss", a, p_, n, margin=2.0, swap=True, **kw)
    fd.check("triplet_margin_with_distance_loss", a, p_, n, distance_function=_cos_distance_np, swap=True,
             margin=1.5, **kw)


# ------------------------------------------------------------------------------ named edge cases
def test_soft_margin_extreme_values_are_finite(device):
    x = tnn.tensor([-200.0, -50.0, 0.0, 50.0, 200.0], device=device, requires_grad=True)
    y = tnn.tensor([1.0, 1.0, -1.0, -1.0, -1.0], device=device)
    out = F.soft_margin_loss(x, y, reduction="none")
    out.backward(tnn.ones_like(out))
    # torch's log(1 + exp(-y x)) overflows to inf (and its gradient to nan); the stable form does not.
    _check(out, ref.soft_margin_loss(to_numpy(x), to_numpy(y), reduction="none"), dt.float32)
    _check(x.grad, ref.soft_margin_loss_backward(np.ones(5), to_numpy(x), to_numpy(y), reduction="none")[0],
           dt.float32)
    assert np.all(np.isfinite(out.detach().numpy())) and np.all(np.isfinite(x.grad.numpy()))


def test_soft_margin_integer_target_and_broadcast(device):
    x = tnn.tensor([[0.5, -1.0, 2.0], [1.0, 0.0, -3.0]], device=device, requires_grad=True)
    y = tnn.tensor([1, -1, 1], device=device)
    out = F.soft_margin_loss(x, y)
    out.backward()
    _check(out, ref.soft_margin_loss(to_numpy(x), [1.0, -1.0, 1.0]), dt.float32)
    _check(x.grad, ref.soft_margin_loss_backward(1.0, to_numpy(x), [1.0, -1.0, 1.0])[0], dt.float32)
    assert out.grad_fn.name() == "SoftMarginLossBackward0"


def test_multi_margin_shapes(device):
    x = tnn.tensor([0.1, 0.8, -0.3, 0.4], device=device, requires_grad=True)
    assert tuple(F.multi_margin_loss(x, tnn.tensor(1, device=device), reduction="none").shape) == ()
    out = F.multi_margin_loss(x, tnn.tensor([1], device=device), reduction="none")
    assert tuple(out.shape) == (1,)
    _check(out, [(0.3 + 0.0 + 0.6) / 4], dt.float32)     # max(0, 1 - 0.8 + x_c) over c != 1
    x0 = tnn.tensor(2.0, device=device, requires_grad=True)
    out = F.multi_margin_loss(x0, tnn.tensor([0], device=device))
    out.backward()
    assert out.item() == 0.0 and x0.grad.item() == 0.0
    empty = tnn.zeros(0, 5, device=device, requires_grad=True)
    t0 = tnn.zeros(0, dtype=tnn.int64, device=device)
    assert tuple(F.multi_margin_loss(empty, t0, reduction="none").shape) == (0,)
    assert F.multi_margin_loss(empty, t0, reduction="sum").item() == 0.0
    assert math.isnan(F.multi_margin_loss(empty, t0).item())
    F.multi_margin_loss(empty, t0, reduction="sum").backward()
    assert tuple(empty.grad.shape) == (0, 5)


def test_multilabel_margin_padding_and_shapes(device):
    x_np = np.array([[0.1, 0.2, 0.4, 0.8], [0.3, -0.2, 0.5, 0.0]], np.float32)
    x = tnn.tensor(x_np, device=device, requires_grad=True)
    t_np = np.array([[3, 0, -1, 1], [-1, 2, 2, 2]])     # row 0: labels {3, 0} (the 1 after -1 ignored); row 1: none
    out = F.multilabel_margin_loss(x, tnn.tensor(t_np, device=device), reduction="none")
    # torch's docstring example: 0.25 * ((1-(0.1-0.2)) + (1-(0.1-0.4)) + (1-(0.8-0.2)) + (1-(0.8-0.4)))
    _check(out, [0.85, 0.0], dt.float32)
    out.backward(tnn.ones_like(out))
    _check(x.grad, ref.multilabel_margin_loss_backward(np.ones(2), x_np, t_np, reduction="none")[0], dt.float32)
    assert np.all(x.grad.numpy()[1] == 0)
    x1 = tnn.tensor(x_np[0], device=device, requires_grad=True)
    out = F.multilabel_margin_loss(x1, tnn.tensor(t_np[0], device=device), reduction="none")
    assert tuple(out.shape) == ()                        # a 1-D input gives a 0-d loss even unreduced
    _check(out, 0.85, dt.float32)
    empty = tnn.zeros(0, 3, device=device)
    assert tuple(F.multilabel_margin_loss(empty, tnn.zeros(0, 3, dtype=tnn.int64, device=device),
                                          reduction="none").shape) == (0,)


def test_multi_margin_long_rows_use_several_chunks(device):
    # C > the kernels' column chunk: the target column is written once, after the loop.
    rng = np.random.default_rng(9)
    x_np = rng.normal(size=(2, 1500)).astype(np.float32) * 0.01
    t_np = np.array([1499, 3])
    x = tnn.tensor(x_np, device=device, requires_grad=True)
    out = F.multi_margin_loss(x, tnn.tensor(t_np, device=device), p=2, reduction="sum")
    out.backward()
    _check(out, ref.multi_margin_loss(x_np, t_np, p=2, reduction="sum"), dt.float32, reduce_len=3000)
    _check(x.grad, ref.multi_margin_loss_backward(1.0, x_np, t_np, p=2, reduction="sum")[0], dt.float32)


def test_gaussian_nll_var_clamp_passes_gradient_through(device):
    x = tnn.tensor([1.0, 2.0, 0.0], device=device)
    t = tnn.tensor([0.0, 2.5, 0.1], device=device)
    var = tnn.tensor([1e-9, 0.5, -0.0], device=device, requires_grad=True)
    out = F.gaussian_nll_loss(x, t, var, reduction="sum")
    out.backward()
    vc = np.maximum(to_numpy(var), 1e-6)
    d = to_numpy(x) - to_numpy(t)
    _check(out, (0.5 * (np.log(vc) + d ** 2 / vc)).sum(), dt.float32)
    # the clamp is outside autograd: d/dvar at the clamped value, not 0
    _check(var.grad, 0.5 * (1 / vc - d ** 2 / vc ** 2), dt.float32)
    assert var.grad.numpy()[0] < -1e11


def test_gaussian_nll_var_shapes(device):
    x = tnn.randn(4, 3, 5, device=device)
    t = tnn.randn(4, 3, 5, device=device)
    for shape in [(4, 3, 5), (4, 3), (4, 3, 1), (4, 1, 5), (1, 3, 5)]:
        v = tnn.rand(*shape, device=device) + 0.1
        out = F.gaussian_nll_loss(x, t, v, reduction="none")
        assert tuple(out.shape) == (4, 3, 5)
        _check(out, ref.gaussian_nll_loss(to_numpy(x), to_numpy(t), to_numpy(v), reduction="none"), dt.float32)
    out = F.gaussian_nll_loss(x, t, 2.0)
    _check(out, ref.gaussian_nll_loss(to_numpy(x), to_numpy(t), 2.0), dt.float32, reduce_len=60)
    for shape in [(4, 1, 1), (4,), (3, 5), (4, 3, 2), (2, 3, 5)]:
        with pytest.raises(ValueError, match="var is of incorrect size"):
            F.gaussian_nll_loss(x, t, tnn.ones(*shape, device=device))
    with pytest.raises(ValueError, match="var has negative entry/entries"):
        F.gaussian_nll_loss(x, t, -tnn.ones(4, 3, 5, device=device))
    with pytest.raises(ValueError, match="var has negative entry/entries"):
        F.gaussian_nll_loss(x, t, -1.0)
    with pytest.raises(ValueError, match="average is not valid"):
        F.gaussian_nll_loss(x, t, tnn.ones(4, 3, 5, device=device), reduction="average")


def test_poisson_stirling_only_above_one(device):
    x = tnn.tensor([0.5, 0.5, 0.5, 0.5], device=device, requires_grad=True)
    t = tnn.tensor([0.0, 1.0, 1.5, 4.0], device=device)
    out = F.poisson_nll_loss(x, t, full=True, reduction="none")
    base = np.exp(0.5) - to_numpy(t) * 0.5
    st_ = np.array([0, 0, 1.5 * np.log(1.5) - 1.5 + 0.5 * np.log(3 * np.pi),
                    4 * np.log(4) - 4 + 0.5 * np.log(8 * np.pi)])
    _check(out, base + st_, dt.float32)
    out.backward(tnn.ones_like(out))
    _check(x.grad, np.exp(0.5) - to_numpy(t), dt.float32)
    out = F.poisson_nll_loss(x, t, log_input=False, reduction="none")
    _check(out, 0.5 - to_numpy(t) * np.log(0.5 + 1e-8), dt.float32)


def test_hinge_embedding_at_the_margin(device):
    x = tnn.tensor([1.0, 0.5, 2.0, -1.0, 0.3], device=device, requires_grad=True)
    y = tnn.tensor([-1.0, -1.0, -1.0, 1.0, 0.0], device=device)     # 0: neither 1 nor -1 -> both terms
    out = F.hinge_embedding_loss(x, y, reduction="none")
    _check(out, [0.0, 0.5, 0.0, -1.0, 0.7 + 0.3], dt.float32)
    out.backward(tnn.ones_like(out))
    _check(x.grad, [-1.0, -1.0, 0.0, 1.0, 0.0], dt.float32)          # clamp passes at margin - x == 0


def test_triplet_with_distance_defaults_to_pairwise(device):
    rng = np.random.default_rng(4)
    a, p, n = (tnn.tensor(rng.normal(size=(4, 6)).astype(np.float32), device=device) for _ in range(3))
    _check(F.triplet_margin_with_distance_loss(a, p, n), F.triplet_margin_loss(a, p, n).numpy(), dt.float32)
    _check(F.triplet_margin_with_distance_loss(a, p, n, swap=True, reduction="none"),
           F.triplet_margin_loss(a, p, n, swap=True, reduction="none").numpy(), dt.float32)


def test_grad_fn_names_and_no_grad(device):
    x = tnn.rand(3, 4, device=device, requires_grad=True)
    y = tnn.rand(3, 4, device=device)
    t = tnn.tensor([0, 3, 1], device=device)
    assert F.soft_margin_loss(x, y).grad_fn.name() == "SoftMarginLossBackward0"
    assert F.multi_margin_loss(x, t).grad_fn.name() == "MultiMarginLossBackward0"
    assert F.multilabel_margin_loss(x, tnn.full((3, 4), -1, dtype=tnn.int64, device=device)).grad_fn.name() == \
        "MultilabelMarginLossBackward0"
    assert F.poisson_nll_loss(x, y).grad_fn.name() == "MeanBackward0"
    assert F.poisson_nll_loss(x, y, reduction="none").grad_fn.name() == "SubBackward0"
    assert F.hinge_embedding_loss(x, y, reduction="sum").grad_fn.name() == "SumBackward0"
    assert F.multilabel_soft_margin_loss(x, y, reduction="none").grad_fn.name() == "DivBackward0"
    with tnn.no_grad():
        assert F.multi_margin_loss(x, t).grad_fn is None
        assert F.soft_margin_loss(x, y).grad_fn is None


# ------------------------------------------------------------------------------ errors
def test_errors(device):
    x = tnn.rand(3, 4, device=device)
    t = tnn.tensor([0, 3, 1], device=device)
    with pytest.raises(ValueError, match="only p == 1 and p == 2 supported"):
        F.multi_margin_loss(x, t, p=3)
    with pytest.raises(ValueError, match="weight must be one-dimensional"):
        F.multi_margin_loss(x, t, weight=tnn.ones(1, 4, device=device))
    with pytest.raises(RuntimeError, match=r"inconsistent target size, expected 3 but got \[4\]"):
        F.multi_margin_loss(x, tnn.tensor([0, 1, 2, 3], device=device))
    with pytest.raises(RuntimeError, match=r"inconsistent weight size, expected 4 but got \[5\]"):
        F.multi_margin_loss(x, t, weight=tnn.ones(5, device=device))
    with pytest.raises(RuntimeError, match=r"Expected non-empty vector or matrix with optional 0-dim batch size, "
                                           r"but got: \[3, 0\]"):
        F.multi_margin_loss(tnn.rand(3, 0, device=device), t)
    with pytest.raises(RuntimeError, match=r"but got: \[2, 3, 4\]"):
        F.multilabel_margin_loss(tnn.rand(2, 3, 4, device=device), t)
    with pytest.raises(RuntimeError, match="target out of range"):
        F.multi_margin_loss(x, tnn.tensor([0, 4, 1], device=device))
    with pytest.raises(RuntimeError, match="target out of range"):
        F.multi_margin_loss(x, tnn.tensor([0, -1, 1], device=device))
    with pytest.raises(RuntimeError, match="expected scalar type Long but found Int"):
        F.multi_margin_loss(x, t.to(tnn.int32))
    with pytest.raises(RuntimeError, match="The function 'multi_margin_loss' is not differentiable with respect "
                                           "to argument 'weight'"):
        F.multi_margin_loss(x, t, weight=tnn.ones(4, device=device, requires_grad=True))
    with pytest.raises(RuntimeError, match=r"inconsistent target size: \[3\] for input of size: \[3, 4\]"):
        F.multilabel_margin_loss(x, t)
    with pytest.raises(RuntimeError, match=r"inconsistent target size: \[3\] for input of size: \[4\]"):
        F.multilabel_margin_loss(tnn.rand(4, device=device), t)
    with pytest.raises(RuntimeError, match="argument #2 'target' is out of range"):
        F.multilabel_margin_loss(x, tnn.full((3, 4), 4, dtype=tnn.int64, device=device))
    with pytest.raises(RuntimeError, match="argument #2 'target' is out of range"):
        F.multilabel_margin_loss(x, tnn.full((3, 4), -2, dtype=tnn.int64, device=device))
    with pytest.raises(RuntimeError, match=r"output with shape \[4\] doesn't match the broadcast shape \[3, 4\]"):
        F.soft_margin_loss(tnn.rand(4, device=device), x)
    with pytest.raises(RuntimeError, match="The function 'soft_margin_loss' is not differentiable with respect to "
                                           "argument 'target'. This input cannot have requires_grad True."):
        F.soft_margin_loss(x, tnn.rand(3, 4, device=device, requires_grad=True))
    with pytest.raises(ValueError, match="avg is not a valid value for reduction"):
        F.soft_margin_loss(x, x, reduction="avg")
    with pytest.raises(ValueError, match="avg is not a valid value for reduction"):
        F.multi_margin_loss(x, t, reduction="avg")
    with pytest.raises(ValueError, match="avg is not a valid value for reduction"):
        F.poisson_nll_loss(x, x, reduction="avg")
    with pytest.raises(ValueError, match="avg is not valid"):
        F.multilabel_soft_margin_loss(x, x, reduction="avg")
    with pytest.raises(ValueError, match="avg is not a valid value for reduction"):
        F.triplet_margin_with_distance_loss(x, x, x, reduction="avg")
    with pytest.raises(ValueError, match="TripletMarginWithDistanceLoss: expected margin to be greater than 0, "
                                         "got 0 instead"):
        F.triplet_margin_with_distance_loss(x, x, x, margin=0)
    with pytest.raises(RuntimeError, match="The anchor, positive, and negative tensors are expected to have the "
                                           "same number of dimensions, but got: anchor 2D, positive 1D, and "
                                           "negative 2D inputs"):
        F.triplet_margin_with_distance_loss(x, x[0], x)
    with pytest.raises(TypeError):
        F.multi_margin_loss(x, [0, 1, 2])
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
        out = F.multi_margin_loss(x, t, reduce=False)
    assert tuple(out.shape) == (3,)


# ------------------------------------------------------------------------------ kernels compile for sm_90
SM90 = GPUTarget("cuda", 90, 32)


def _compile(fn, signature, constexprs):
    return triton.compile(triton.compiler.ASTSource(fn=fn, signature=signature, constexprs=constexprs),
                          target=SM90)


def _mm_sig(xd, bwd):
    sig = {"x_ptr": f"*{xd}", "x_stride_n": "i64", "x_stride_c": "i64", "t_ptr": "*i64", "t_stride": "i64",
           "w_ptr": f"*{xd}", "w_stride": "i64"}
    if bwd:
        sig.update({"go_ptr": f"*{xd}", "go_stride": "i64", "dx_ptr": f"*{xd}"})
    else:
        sig["out_ptr"] = "*fp32"
    sig.update({"N": "i32", "C": "i32", "margin_bits": "i64"})
    if bwd:
        sig["scale_bits"] = "i64"
    sig.update({k: "constexpr" for k in ("P", "HAS_WEIGHT", "ACC", "BLOCK_M", "BLOCK_N")})
    return sig


def test_margin_kernels_compile():
    from tnn.kernels import loss as L
    from tnn.kernels import margin_loss as M
    consts = {"P": 2, "HAS_WEIGHT": True, "ACC": tl.float32, "BLOCK_M": 4, "BLOCK_N": 1024}
    assert _compile(M._multi_margin_fwd_kernel, _mm_sig("bf16", False), consts).asm["cubin"]
    consts = {"P": 1, "HAS_WEIGHT": False, "ACC": tl.float32, "BLOCK_M": 1, "BLOCK_N": 1024}
    assert _compile(M._multi_margin_bwd_kernel, _mm_sig("fp16", True), consts).asm["cubin"]
    sig = {"x_ptr": "*fp32", "x_stride_n": "i64", "x_stride_c": "i64", "t_ptr": "*i64", "t_stride_n": "i64",
           "t_stride_c": "i64", "is_t_ptr": "*u8", "out_ptr": "*fp32", "N": "i32", "C": "i32",
           "ACC": "constexpr", "BLOCK_M": "constexpr", "BLOCK_N": "constexpr"}
    assert _compile(M._multilabel_margin_fwd_kernel, sig,
                    {"ACC": tl.float32, "BLOCK_M": 16, "BLOCK_N": 64}).asm["cubin"]
    sig = {"x_ptr": "*bf16", "x_stride_n": "i64", "x_stride_c": "i64", "t_ptr": "*i64", "t_stride_n": "i64",
           "t_stride_c": "i64", "is_t_ptr": "*u8", "go_ptr": "*bf16", "go_stride": "i64", "dx_ptr": "*bf16",
           "N": "i32", "C": "i32", "scale_bits": "i64", "ACC": "constexpr", "BLOCK_M": "constexpr",
           "BLOCK_N": "constexpr"}
    assert _compile(M._multilabel_margin_bwd_kernel, sig,
                    {"ACC": tl.float32, "BLOCK_M": 4, "BLOCK_N": 256}).asm["cubin"]
    sig = {"x_ptr": "*fp16", "y_ptr": "*fp16", "w_ptr": "*fp16", "pw_ptr": "*fp16", "go_ptr": "*fp16",
           "dx_ptr": "*fp16", "dy_ptr": "*fp16", "numel": "i64", "sizes": ("i32",), "x_strides": ("i64",),
           "y_strides": ("i64",), "w_strides": ("i64",), "pw_strides": ("i64",), "go_strides": ("i64",),
           "p_bits": "i64", "scale_bits": "i64"}
    sig.update({k: "constexpr" for k in ("LOSS", "HAS_W", "HAS_PW", "NEED_DX", "NEED_DY", "ACC", "RANK", "BLOCK")})
    assert _compile(L._pointwise_loss_bwd_kernel, sig, {
        "LOSS": L.SOFT_MARGIN, "HAS_W": False, "HAS_PW": False, "NEED_DX": True, "NEED_DY": False,
        "ACC": tl.float32, "RANK": 1, "BLOCK": 1024}).asm["cubin"]
