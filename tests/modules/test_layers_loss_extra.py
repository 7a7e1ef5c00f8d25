"""The loss Modules over the losses added after the first family (PoissonNLLLoss, GaussianNLLLoss,
HingeEmbeddingLoss, SoftMarginLoss, MultiLabelSoftMarginLoss, MultiLabelMarginLoss,
MultiMarginLoss, TripletMarginWithDistanceLoss): torch's reprs, constructor defaults and checks,
forward == the F call with the module's options, legacy size_average / reduce, class weights as
buffers, gradients reaching the inputs."""
import numpy as np
import pytest

import tnn
import tnn.nn as nn
import tnn.nn.functional as F
from tnn.testing import to_numpy

REPRS = [
    (lambda: nn.PoissonNLLLoss(), "PoissonNLLLoss()"),
    (lambda: nn.PoissonNLLLoss(log_input=False, full=True, eps=1e-3), "PoissonNLLLoss()"),
    (lambda: nn.GaussianNLLLoss(full=True), "GaussianNLLLoss()"),
    (lambda: nn.HingeEmbeddingLoss(margin=2.0), "HingeEmbeddingLoss()"),
    (lambda: nn.SoftMarginLoss(), "SoftMarginLoss()"),
    (lambda: nn.MultiLabelSoftMarginLoss(weight=tnn.ones(3)), "MultiLabelSoftMarginLoss()"),
    (lambda: nn.MultiLabelMarginLoss(), "MultiLabelMarginLoss()"),
    (lambda: nn.MultiMarginLoss(), "MultiMarginLoss()"),
    (lambda: nn.MultiMarginLoss(p=2, margin=0.5, weight=tnn.ones(4)), "MultiMarginLoss()"),
    (lambda: nn.TripletMarginWithDistanceLoss(), "TripletMarginWithDistanceLoss()"),
    (lambda: nn.TripletMarginWithDistanceLoss(distance_function=F.cosine_similarity, swap=True),
     "TripletMarginWithDistanceLoss()"),
]


@pytest.mark.parametrize("make,expected", REPRS, ids=[f"{i}-{e}" for i, (_, e) in enumerate(REPRS)])
def test_repr(make, expected):
    assert repr(make()) == expected


def test_defaults():
    m = nn.PoissonNLLLoss()
    assert (m.log_input, m.full, m.eps, m.reduction) == (True, False, 1e-8, "mean")
    m = nn.GaussianNLLLoss()
    assert (m.full, m.eps, m.reduction) == (False, 1e-6, "mean")
    assert nn.HingeEmbeddingLoss().margin == 1.0
    m = nn.MultiMarginLoss()
    assert (m.p, m.margin, m.weight, m.reduction) == (1, 1.0, None, "mean")
    m = nn.TripletMarginWithDistanceLoss()
    assert (m.margin, m.swap, m.reduction) == (1.0, False, "mean")
    assert m.distance_function is F.pairwise_distance
    assert nn.MultiLabelSoftMarginLoss().weight is None
    with pytest.raises(TypeError):
        nn.GaussianNLLLoss(True)                       # keyword-only, as torch
    with pytest.raises(TypeError):
        nn.TripletMarginWithDistanceLoss(None)


def _t(a, device, requires_grad=False):
    t = tnn.tensor(np.asarray(a), device=device)
    return t.requires_grad_(True) if requires_grad else t


def _eq(a, b):
    np.testing.assert_array_equal(to_numpy(a), to_numpy(b))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_modules_match_functional(device, reduction):
    r = np.random.default_rng(0)
    x = _t(r.normal(size=(4, 5)).astype(np.float32), device, requires_grad=True)
    y = _t(r.uniform(0.1, 3, (4, 5)).astype(np.float32), device)
    sign = _t(np.where(r.normal(size=(4, 5)) > 0, 1.0, -1.0).astype(np.float32), device)
    var = _t(r.uniform(0.2, 2, (4, 1)).astype(np.float32), device, requires_grad=True)
    cls = _t(np.array([0, 4, 2, 1]), device)
    labels = _t(np.array([[0, 3, -1, 0, 0], [4, -1, 1, 1, 1], [-1, 0, 0, 0, 0], [1, 2, 3, 4, 0]]), device)
    w = _t(r.uniform(0.5, 2, (5,)).astype(np.float32), device)
    xp = x.abs() + 0.1                                 # rates for log_input=False
    cases = [
        (nn.PoissonNLLLoss(full=True, reduction=reduction), (x, y),
         lambda: F.poisson_nll_loss(x, y, full=True, reduction=reduction)),
        (nn.PoissonNLLLoss(log_input=False, eps=0.1, reduction=reduction), (xp, y),
         lambda: F.poisson_nll_loss(xp, y, log_input=False, eps=0.1, reduction=reduction)),
        (nn.GaussianNLLLoss(full=True, eps=0.3, reduction=reduction), (x, y, var),
         lambda: F.gaussian_nll_loss(x, y, var, full=True, eps=0.3, reduction=reduction)),
        (nn.HingeEmbeddingLoss(margin=0.5, reduction=reduction), (x, sign),
         lambda: F.hinge_embedding_loss(x, sign, margin=0.5, reduction=reduction)),
        (nn.SoftMarginLoss(reduction=reduction), (x, sign),
         lambda: F.soft_margin_loss(x, sign, reduction=reduction)),
        (nn.MultiLabelSoftMarginLoss(weight=w, reduction=reduction), (x, (sign + 1) / 2),
         lambda: F.multilabel_soft_margin_loss(x, (sign + 1) / 2, weight=w, reduction=reduction)),
        (nn.MultiLabelMarginLoss(reduction=reduction), (x, labels),
         lambda: F.multilabel_margin_loss(x, labels, reduction=reduction)),
        (nn.MultiMarginLoss(p=2, margin=0.7, weight=w, reduction=reduction), (x, cls),
         lambda: F.multi_margin_loss(x, cls, p=2, margin=0.7, weight=w, reduction=reduction)),
    ]
    for mod, args, fn in cases:
        out = mod(*args)
        _eq(out, fn())
        assert mod.reduction == reduction
        x.grad = None
        out.sum().backward()
        assert x.grad is not None and tuple(x.grad.shape) == (4, 5)


def test_weights_are_buffers(device):
    w = _t(np.ones(5, np.float32), device)
    for m in (nn.MultiMarginLoss(weight=w), nn.MultiLabelSoftMarginLoss(weight=w)):
        assert list(m.state_dict()) == ["weight"] and m.weight is w
        assert list(m.buffers()) == [w] and list(m.parameters()) == []
    for m in (nn.MultiMarginLoss(), nn.MultiLabelSoftMarginLoss(), nn.SoftMarginLoss(), nn.PoissonNLLLoss(),
              nn.GaussianNLLLoss(), nn.MultiLabelMarginLoss(), nn.HingeEmbeddingLoss(),
              nn.TripletMarginWithDistanceLoss()):
        assert list(m.state_dict()) == []


def test_triplet_margin_with_distance_module(device):
    r = np.random.default_rng(1)
    a, p, n = (_t(r.normal(size=(3, 6)).astype(np.float32), device, requires_grad=True) for _ in range(3))
    m = nn.TripletMarginWithDistanceLoss()
    _eq(m(a, p, n), F.triplet_margin_with_distance_loss(a, p, n))

    def cos_dist(u, v):
        return 1.0 - F.cosine_similarity(u, v)
    m = nn.TripletMarginWithDistanceLoss(distance_function=cos_dist, margin=0.5, swap=True, reduction="none")
    out = m(a, p, n)
    _eq(out, F.triplet_margin_with_distance_loss(a, p, n, distance_function=cos_dist, margin=0.5, swap=True,
                                                 reduction="none"))
    out.sum().backward()
    assert all(t.grad is not None for t in (a, p, n))
    with pytest.raises(ValueError, match="TripletMarginWithDistanceLoss: expected margin to be greater than 0, "
                                         "got -1.0 instead"):
        nn.TripletMarginWithDistanceLoss(margin=-1.0)


def test_legacy_reduction_flags(device):
    x = _t(np.zeros((2, 3), np.float32), device)
    y = _t(np.ones((2, 3), np.float32), device)
    for cls in (nn.PoissonNLLLoss, nn.HingeEmbeddingLoss, nn.SoftMarginLoss, nn.MultiLabelSoftMarginLoss,
                nn.MultiLabelMarginLoss, nn.MultiMarginLoss):
        with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated, please use "
                                             "reduction='sum' instead."):
            assert cls(size_average=False).reduction == "sum"
        with pytest.warns(UserWarning, match="reduction='none'"):
            assert cls(reduce=False).reduction == "none"
    with pytest.warns(UserWarning, match="reduction='none'"):
        out = nn.SoftMarginLoss(reduce=False)(x, y)
    assert tuple(out.shape) == (2, 3)


def test_constructor_errors():
    with pytest.raises(ValueError, match="only p == 1 and p == 2 supported"):
        nn.MultiMarginLoss(p=3)
    with pytest.raises(ValueError, match="MultiMarginLoss: expected weight to be None or 1D tensor, got 2D instead"):
        nn.MultiMarginLoss(weight=tnn.ones(2, 3))
