"""Loss modules (reprs, forward == the F call with the module's options, legacy size_average /
reduce, class weights as buffers) and the margin losses added to tnn.nn.functional
(cosine_embedding_loss, margin_ranking_loss, triplet_margin_loss): against the NumPy reference for
values and every gradient over fp32 / fp16 / bf16 / fp64 and options, the reference's backwards
against finite differences, and torch's error messages."""
import warnings

import numpy as np
import pytest
from hypothesis import given, strategies as st

import tnn
import tnn.nn as nn
import tnn.nn.functional as F
from tests.reference import fd
from tnn.reference import loss as ref
from tnn.runtime import dtypes as dt
from tnn.testing import assert_close, layouts, make_tensor, random_array, to_numpy

FLOATS = (dt.float32, dt.float16, dt.bfloat16, dt.float64)


def _t(a, device, requires_grad=False):
    t = tnn.tensor(np.asarray(a), device=device)
    return t.requires_grad_(True) if requires_grad else t


def _eq(a, b):
    np.testing.assert_array_equal(to_numpy(a), to_numpy(b))


# ----------------------------------------------------------------------------- modules
REPRS = [
    (lambda: nn.L1Loss(), "L1Loss()"), (lambda: nn.MSELoss(reduction="sum"), "MSELoss()"),
    (lambda: nn.SmoothL1Loss(beta=0.5), "SmoothL1Loss()"), (lambda: nn.HuberLoss(delta=2.0), "HuberLoss()"),
    (lambda: nn.BCELoss(), "BCELoss()"), (lambda: nn.BCEWithLogitsLoss(), "BCEWithLogitsLoss()"),
    (lambda: nn.CrossEntropyLoss(label_smoothing=0.1), "CrossEntropyLoss()"), (lambda: nn.NLLLoss(), "NLLLoss()"),
    (lambda: nn.KLDivLoss(), "KLDivLoss()"), (lambda: nn.CosineEmbeddingLoss(), "CosineEmbeddingLoss()"),
    (lambda: nn.MarginRankingLoss(0.5), "MarginRankingLoss()"), (lambda: nn.TripletMarginLoss(), "TripletMarginLoss()"),
]


@pytest.mark.parametrize("make,expected", REPRS, ids=[e for _, e in REPRS])
def test_repr(make, expected):
    assert repr(make()) == expected


def _rng(seed=0):
    return np.random.default_rng(seed)


def _pair(device, shape=(4, 5), lo=-2.0, hi=2.0, seed=0):
    r = _rng(seed)
    x = _t(r.uniform(lo, hi, shape).astype(np.float32), device, requires_grad=True)
    y = _t(r.uniform(lo, hi, shape).astype(np.float32), device)
    return x, y


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_pointwise_loss_modules(device, reduction):
    x, y = _pair(device)
    for mod, fn in [(nn.L1Loss(reduction=reduction), lambda: F.l1_loss(x, y, reduction=reduction)),
                    (nn.MSELoss(reduction=reduction), lambda: F.mse_loss(x, y, reduction=reduction)),
                    (nn.SmoothL1Loss(reduction=reduction, beta=0.5),
                     lambda: F.smooth_l1_loss(x, y, reduction=reduction, beta=0.5)),
                    (nn.HuberLoss(reduction=reduction, delta=0.7),
                     lambda: F.huber_loss(x, y, reduction=reduction, delta=0.7))]:
        out = mod(x, y)
        _eq(out, fn())
        assert mod.reduction == reduction and list(mod.state_dict()) == []
        out.sum().backward()
        assert x.grad is not None
        x.grad = None


def test_bce_modules(device):
    r = _rng(1)
    p = _t(r.uniform(0.05, 0.95, (3, 4)).astype(np.float32), device, requires_grad=True)
    z = _t(r.uniform(-3, 3, (3, 4)).astype(np.float32), device, requires_grad=True)
    y = _t(r.integers(0, 2, (3, 4)).astype(np.float32), device)
    w = _t(r.uniform(0.5, 2, (4,)).astype(np.float32), device)
    pw = _t(r.uniform(0.5, 2, (4,)).astype(np.float32), device)
    m = nn.BCELoss(weight=w)
    assert list(m.state_dict()) == ["weight"] and m.weight is w
    _eq(m(p, y), F.binary_cross_entropy(p, y, weight=w))
    m2 = nn.BCEWithLogitsLoss(weight=w, pos_weight=pw, reduction="sum")
    assert list(m2.state_dict()) == ["weight", "pos_weight"]
    _eq(m2(z, y), F.binary_cross_entropy_with_logits(z, y, w, reduction="sum", pos_weight=pw))
    assert list(nn.BCEWithLogitsLoss().state_dict()) == []
    m2(z, y).backward()
    assert z.grad is not None


def test_class_losses(device):
    r = _rng(2)
    x = _t(r.normal(size=(5, 4)).astype(np.float32), device, requires_grad=True)
    tgt = _t(np.array([0, 3, 1, -100, 2]), device)
    w = _t(r.uniform(0.5, 2, (4,)).astype(np.float32), device)
    m = nn.CrossEntropyLoss(weight=w, label_smoothing=0.1)
    assert list(m.state_dict()) == ["weight"]
    _eq(m(x, tgt), F.cross_entropy(x, tgt, weight=w, label_smoothing=0.1))
    m = nn.CrossEntropyLoss(ignore_index=1, reduction="none")
    tgt2 = _t(np.array([0, 3, 1, 1, 2]), device)
    out = m(x, tgt2)
    _eq(out, F.cross_entropy(x, tgt2, ignore_index=1, reduction="none"))
    assert to_numpy(out)[2] == 0
    logp = F.log_softmax(x, 1)
    m = nn.NLLLoss(weight=w, ignore_index=-100, reduction="sum")
    _eq(m(logp, tgt), F.nll_loss(logp, tgt, weight=w, reduction="sum"))
    m(logp, tgt).backward()
    assert x.grad is not None and nn.NLLLoss().weight is None
    assert list(nn.CrossEntropyLoss().state_dict()) == []


def test_kldiv_module(device):
    r = _rng(3)
    inp = _t(np.log(r.dirichlet(np.ones(4), 3)).astype(np.float32), device)
    tgt = _t(r.dirichlet(np.ones(4), 3).astype(np.float32), device)
    _eq(nn.KLDivLoss(reduction="batchmean")(inp, tgt), F.kl_div(inp, tgt, reduction="batchmean"))
    lt = tgt.log()
    _eq(nn.KLDivLoss(reduction="sum", log_target=True)(inp, lt),
        F.kl_div(inp, lt, reduction="sum", log_target=True))


def test_legacy_reduction_flags():
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated, please use "
                                         "reduction='sum' instead."):
        assert nn.MSELoss(size_average=False).reduction == "sum"
    with pytest.warns(UserWarning, match="reduction='none'"):
        assert nn.CrossEntropyLoss(reduce=False).reduction == "none"
    with pytest.warns(UserWarning, match="reduction='mean'"):
        assert nn.L1Loss(size_average=True, reduce=True).reduction == "mean"


def test_margin_loss_modules(device):
    r = _rng(4)
    a = _t(r.normal(size=(3, 5)).astype(np.float32), device, requires_grad=True)
    b = _t(r.normal(size=(3, 5)).astype(np.float32), device, requires_grad=True)
    c = _t(r.normal(size=(3, 5)).astype(np.float32), device)
    y = _t(np.array([1.0, -1.0, -1.0], dtype=np.float32), device)
    _eq(nn.CosineEmbeddingLoss(margin=-0.2)(a, b, y), F.cosine_embedding_loss(a, b, y, margin=-0.2))
    s1, s2 = a[:, 0], b[:, 0]
    _eq(nn.MarginRankingLoss(0.3, reduction="none")(s1, s2, y),
        F.margin_ranking_loss(s1, s2, y, margin=0.3, reduction="none"))
    m = nn.TripletMarginLoss(margin=2.0, p=1.0, swap=True, reduction="sum")
    out = m(a, b, c)
    _eq(out, F.triplet_margin_loss(a, b, c, margin=2.0, p=1.0, swap=True, reduction="sum"))
    out.backward()
    assert a.grad is not None and b.grad is not None
    with pytest.raises(ValueError, match="TripletMarginLoss: expected margin to be greater than 0, got 0 instead"):
        nn.TripletMarginLoss(margin=0)


# ----------------------------------------------------------------------------- margin losses vs the reference
@given(st.data())
def test_cosine_embedding_loss_matches_reference(device, data):
    dtype = data.draw(st.sampled_from(FLOATS))
    unbatched = data.draw(st.booleans())
    N, D = data.draw(st.integers(1, 7)), data.draw(st.sampled_from([1, 2, 5, 13]))
    shape = (D,) if unbatched else (N, D)
    seed = data.draw(st.integers(0, 2**31))
    kw = {"margin": data.draw(st.sampled_from([0.0, -0.3, 0.4])),
          "reduction": data.draw(st.sampled_from(["mean", "sum", "none"]))}
    x1 = make_tensor(random_array(dtype, shape, seed), data.draw(layouts()), device, requires_grad=True)
    x2 = make_tensor(random_array(dtype, shape, seed + 1), data.draw(layouts()), device, requires_grad=True)
    yv = np.random.default_rng(seed).choice([1, -1], size=() if unbatched else (N,))
    y = tnn.tensor(yv, device=device)   # integer targets, as torch accepts
    out = F.cosine_embedding_loss(x1, x2, y, **kw)
    a, b = to_numpy(x1), to_numpy(x2)
    assert_close(out.detach(), ref.cosine_embedding_loss(a, b, yv, **kw), dtype=dtype, reduce_len=D * 4,
                 check_dtype=False)
    g = np.random.default_rng(seed + 2).uniform(0.5, 1.5, size=tuple(out.shape)).astype(dtype.np)
    out.backward(tnn.tensor(g, device=device))
    g1, g2, _ = ref.cosine_embedding_loss_backward(to_numpy(tnn.tensor(g)), a, b, yv, **kw)
    assert_close(x1.grad, g1, dtype=dtype, reduce_len=D * 8)
    assert_close(x2.grad, g2, dtype=dtype, reduce_len=D * 8)


@given(st.data())
def test_margin_ranking_loss_matches_reference(device, data):
    dtype = data.draw(st.sampled_from(FLOATS))
    shape = data.draw(st.sampled_from([(), (1,), (7,), (3, 5)]))
    seed = data.draw(st.integers(0, 2**31))
    kw = {"margin": data.draw(st.sampled_from([0.0, 0.5, -0.25])),
          "reduction": data.draw(st.sampled_from(["mean", "sum", "none"]))}
    x1 = make_tensor(random_array(dtype, shape, seed), data.draw(layouts()), device, requires_grad=True)
    x2 = make_tensor(random_array(dtype, shape, seed + 1), data.draw(layouts()), device, requires_grad=True)
    yv = np.random.default_rng(seed).choice([1.0, -1.0], size=shape).astype(dtype.np)
    y = make_tensor(yv, "contiguous", device, requires_grad=True)
    out = F.margin_ranking_loss(x1, x2, y, **kw)
    a, b, yn = to_numpy(x1), to_numpy(x2), to_numpy(y)
    n = max(int(np.prod(shape)), 1)
    assert_close(out.detach(), ref.margin_ranking_loss(a, b, yn, **kw), dtype=dtype, reduce_len=n)
    g = np.random.default_rng(seed + 2).uniform(0.5, 1.5, size=tuple(out.shape)).astype(dtype.np)
    out.backward(tnn.tensor(g, device=device))
    exp = ref.margin_ranking_loss_backward(to_numpy(tnn.tensor(g)), a, b, yn, **kw)
    for t, e in zip((x1, x2, y), exp):
        assert_close(t.grad, e, dtype=dtype, reduce_len=n)


@given(st.data())
def test_triplet_margin_loss_matches_reference(device, data):
    dtype = data.draw(st.sampled_from(FLOATS))
    shape = data.draw(st.sampled_from([(5,), (1, 3), (4, 6), (2, 3, 4)]))
    seed = data.draw(st.integers(0, 2**31))
    kw = {"margin": data.draw(st.sampled_from([1.0, 0.5, 3.0])), "p": data.draw(st.sampled_from([2.0, 1.0, 3.0])),
          "swap": data.draw(st.booleans()), "reduction": data.draw(st.sampled_from(["mean", "sum", "none"]))}
    ts = [make_tensor(random_array(dtype, shape, seed + i), data.draw(layouts()), device, requires_grad=True)
          for i in range(3)]
    out = F.triplet_margin_loss(*ts, **kw)
    arrs = [to_numpy(t) for t in ts]
    D = shape[-1]
    assert_close(out.detach(), ref.triplet_margin_loss(*arrs, **kw), dtype=dtype, reduce_len=D * 8,
                 check_dtype=False)
    g = np.random.default_rng(seed + 3).uniform(0.5, 1.5, size=tuple(out.shape)).astype(dtype.np)
    out.backward(tnn.tensor(g, device=device))
    exp = ref.triplet_margin_loss_backward(to_numpy(tnn.tensor(g)), *arrs, **kw)
    for t, e in zip(ts, exp):
        assert_close(t.grad, e, dtype=dtype, reduce_len=D * 16)


def test_margin_losses_edge_cases(device):
    # cosine: target 0 contributes nothing; the hinge is inactive below the margin
    x1 = _t(np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 2.0]], np.float32), device, requires_grad=True)
    x2 = _t(np.array([[0.0, 1.0], [1.0, 1.0], [0.0, 1.0]], np.float32), device)
    y = _t(np.array([-1, 0, 1]), device)
    out = F.cosine_embedding_loss(x1, x2, y, margin=0.5, reduction="none")
    np.testing.assert_allclose(to_numpy(out), [0.0, 0.0, 0.0], atol=1e-6)
    out.sum().backward()
    np.testing.assert_allclose(to_numpy(x1.grad), np.zeros((3, 2)), atol=1e-6)
    # ranking: exactly at the margin -> loss 0, gradient 0 (clamp_min passes it at equality only in value)
    a, b = _t(np.array([1.0], np.float32), device), _t(np.array([0.5], np.float32), device)
    assert F.margin_ranking_loss(a, b, _t(np.array([1.0], np.float32), device), margin=0.5).item() == 0.0
    # triplet: identical anchor / positive / negative gives the margin
    t = _t(np.ones((2, 3), np.float32), device)
    assert F.triplet_margin_loss(t, t, t, margin=0.7).item() == pytest.approx(0.7)


def test_margin_loss_errors(device):
    a2, a1, a3 = tnn.ones(2, 3, device=device), tnn.ones(3, device=device), tnn.ones(2, 3, 4, device=device)
    with pytest.raises(RuntimeError, match="0D or 1D target tensor expected, multi-target not supported"):
        F.cosine_embedding_loss(a2, a2, tnn.ones(2, 1, device=device))
    with pytest.raises(RuntimeError, match=r"1D target tensor expects 2D input tensors, but found inputs with sizes "
                                           r"\[3\] and \[3\]."):
        F.cosine_embedding_loss(a1, a1, tnn.ones(3, device=device))
    with pytest.raises(RuntimeError, match=r"0D target tensor expects 1D input tensors, but found inputs with sizes "
                                           r"\[2, 3\] and \[2, 3\]."):
        F.cosine_embedding_loss(a2, a2, tnn.tensor(1.0, device=device))
    with pytest.raises(RuntimeError, match="margin_ranking_loss : All input tensors should have same dimension but "
                                           "got sizes: input1: "):
        F.margin_ranking_loss(a2, a2, a1)
    with pytest.raises(RuntimeError, match="The anchor, positive, and negative tensors are expected to have the same "
                                           "number of dimensions, but got: anchor 2D, positive 2D, and negative 3D "
                                           "inputs"):
        F.triplet_margin_loss(a2, a2, a3)
    with pytest.raises(ValueError, match="foo is not a valid value for reduction"):
        F.margin_ranking_loss(a1, a1, a1, reduction="foo")
    with pytest.raises(TypeError, match="must be Tensor"):
        F.triplet_margin_loss(a2, a2, [1.0])
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        F.cosine_embedding_loss(a2, a2, tnn.ones(2, device=device), size_average=False)
    assert any("reduction='sum'" in str(x.message) for x in w)


# ----------------------------------------------------------------------------- the reference, by finite differences
def _away(shape, seed):
    return fd.away(shape, seed)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_ref_cosine_embedding_fd(reduction):
    y = np.array([1, -1, -1, 1])
    fd.check("cosine_embedding_loss", _away((4, 3), 0), _away((4, 3), 1), y, margin=-0.5, reduction=reduction)
    fd.check("cosine_embedding_loss", _away((3,), 2), _away((3,), 3), np.array(-1), margin=-1.0,
             reduction=reduction)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_ref_margin_ranking_fd(reduction):
    y = np.array([1.0, -1.0, 1.0, -1.0, 1.0])
    fd.check("margin_ranking_loss", _away((5,), 0), _away((5,), 1), y, margin=0.3, reduction=reduction)
    # integer target: no gradient for it
    grads = ref.margin_ranking_loss_backward(np.array(1.0), _away((5,), 0), _away((5,), 1), y.astype(np.int64))
    assert grads[2] is None


@pytest.mark.parametrize("p,swap", [(2.0, False), (1.0, True), (3.0, True)])
def test_ref_triplet_fd(p, swap):
    fd.check("triplet_margin_loss", _away((4, 3), 0), _away((4, 3), 1), _away((4, 3), 2), margin=2.0, p=p,
             swap=swap, reduction="none")
    fd.check("triplet_margin_loss", _away((4, 3), 3), _away((4, 3), 4), _away((4, 3), 5), margin=1.5, p=p,
             swap=swap, reduction="mean")
