"""Layer modules (linear, flatten, activation, dropout, sparse): reprs byte-identical to torch's,
default initialisation, forward == the F call, train/eval behaviour, state_dict keys, gradients
reaching every parameter, constructor errors."""
import math
import warnings

import numpy as np
import pytest

import tnn
import tnn.nn as nn
import tnn.nn.functional as F
from tnn.testing import to_numpy as _np


def _x(shape, device, seed=0, dtype=tnn.float32, requires_grad=False, low=-2.0, high=2.0):
    a = np.random.default_rng(seed).uniform(low, high, size=shape).astype(dtype.np)
    t = tnn.tensor(a, device=device)
    return t.requires_grad_(True) if requires_grad else t


def _eq(a, b):
    np.testing.assert_array_equal(_np(a), _np(b))


# ----------------------------------------------------------------------------- reprs
REPRS = [
    (lambda: nn.Identity(54, unused="x"), "Identity()"),
    (lambda: nn.Linear(3, 4), "Linear(in_features=3, out_features=4, bias=True)"),
    (lambda: nn.Linear(3, 4, bias=False), "Linear(in_features=3, out_features=4, bias=False)"),
    (lambda: nn.Bilinear(2, 3, 4), "Bilinear(in1_features=2, in2_features=3, out_features=4, bias=True)"),
    (lambda: nn.Flatten(), "Flatten(start_dim=1, end_dim=-1)"),
    (lambda: nn.Flatten(0, 2), "Flatten(start_dim=0, end_dim=2)"),
    (lambda: nn.Unflatten(1, (2, 5)), "Unflatten(dim=1, unflattened_size=(2, 5))"),
    (lambda: nn.Unflatten(-1, [2, -1]), "Unflatten(dim=-1, unflattened_size=[2, -1])"),
    (lambda: nn.ReLU(), "ReLU()"),
    (lambda: nn.ReLU(inplace=True), "ReLU(inplace=True)"),
    (lambda: nn.ReLU6(), "ReLU6()"),
    (lambda: nn.ReLU6(True), "ReLU6(inplace=True)"),
    (lambda: nn.LeakyReLU(), "LeakyReLU(negative_slope=0.01)"),
    (lambda: nn.LeakyReLU(0.2, inplace=True), "LeakyReLU(negative_slope=0.2, inplace=True)"),
    (lambda: nn.ELU(), "ELU(alpha=1.0)"),
    (lambda: nn.ELU(0.5, True), "ELU(alpha=0.5, inplace=True)"),
    (lambda: nn.CELU(2), "CELU(alpha=2)"),
    (lambda: nn.SELU(), "SELU()"),
    (lambda: nn.SELU(inplace=True), "SELU(inplace=True)"),
    (lambda: nn.GELU(), "GELU(approximate='none')"),
    (lambda: nn.GELU(approximate="tanh"), "GELU(approximate='tanh')"),
    (lambda: nn.SiLU(), "SiLU()"),
    (lambda: nn.SiLU(inplace=True), "SiLU(inplace=True)"),
    (lambda: nn.Mish(), "Mish()"),
    (lambda: nn.Sigmoid(), "Sigmoid()"),
    (lambda: nn.LogSigmoid(), "LogSigmoid()"),
    (lambda: nn.Tanh(), "Tanh()"),
    (lambda: nn.Hardtanh(), "Hardtanh(min_val=-1.0, max_val=1.0)"),
    (lambda: nn.Hardtanh(-2, 3, True), "Hardtanh(min_val=-2, max_val=3, inplace=True)"),
    (lambda: nn.Hardsigmoid(), "Hardsigmoid()"),
    (lambda: nn.Hardswish(inplace=True), "Hardswish()"),
    (lambda: nn.Softplus(), "Softplus(beta=1.0, threshold=20.0)"),
    (lambda: nn.Softplus(2, 10), "Softplus(beta=2, threshold=10)"),
    (lambda: nn.Softsign(), "Softsign()"),
    (lambda: nn.Softshrink(), "Softshrink(0.5)"),
    (lambda: nn.Hardshrink(0.25), "Hardshrink(0.25)"),
    (lambda: nn.Tanhshrink(), "Tanhshrink()"),
    (lambda: nn.Threshold(0.1, 20), "Threshold(threshold=0.1, value=20)"),
    (lambda: nn.Threshold(0.1, 20.0, inplace=True), "Threshold(threshold=0.1, value=20.0, inplace=True)"),
    (lambda: nn.GLU(), "GLU(dim=-1)"),
    (lambda: nn.PReLU(), "PReLU(num_parameters=1)"),
    (lambda: nn.PReLU(3, 0.1), "PReLU(num_parameters=3)"),
    (lambda: nn.RReLU(), "RReLU(lower=0.125, upper=0.3333333333333333)"),
    (lambda: nn.RReLU(0.1, 0.3, inplace=True), "RReLU(lower=0.1, upper=0.3, inplace=True)"),
    (lambda: nn.Softmax(), "Softmax(dim=None)"),
    (lambda: nn.Softmax(dim=1), "Softmax(dim=1)"),
    (lambda: nn.Softmin(0), "Softmin(dim=0)"),
    (lambda: nn.LogSoftmax(dim=-1), "LogSoftmax(dim=-1)"),
    (lambda: nn.Softmax2d(), "Softmax2d()"),
    (lambda: nn.Dropout(), "Dropout(p=0.5, inplace=False)"),
    (lambda: nn.Dropout(0.1, inplace=True), "Dropout(p=0.1, inplace=True)"),
    (lambda: nn.Dropout1d(0.2), "Dropout1d(p=0.2, inplace=False)"),
    (lambda: nn.Dropout2d(), "Dropout2d(p=0.5, inplace=False)"),
    (lambda: nn.Dropout3d(0.25), "Dropout3d(p=0.25, inplace=False)"),
    (lambda: nn.AlphaDropout(0.2), "AlphaDropout(p=0.2, inplace=False)"),
    (lambda: nn.FeatureAlphaDropout(), "FeatureAlphaDropout(p=0.5, inplace=False)"),
    (lambda: nn.Embedding(10, 3), "Embedding(10, 3)"),
    (lambda: nn.Embedding(10, 3, padding_idx=0), "Embedding(10, 3, padding_idx=0)"),
    (lambda: nn.Embedding(10, 3, padding_idx=-1), "Embedding(10, 3, padding_idx=9)"),
    (lambda: nn.Embedding(5, 2, max_norm=1.0, norm_type=1.0, scale_grad_by_freq=True),
     "Embedding(5, 2, max_norm=1.0, norm_type=1.0, scale_grad_by_freq=True)"),
]


@pytest.mark.parametrize("make,expected", REPRS, ids=[e for _, e in REPRS])
def test_repr(make, expected):
    assert repr(make()) == expected


def test_repr_nested():
    m = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Dropout(0.1))
    assert repr(m) == ("Sequential(\n"
                       "  (0): Linear(in_features=2, out_features=3, bias=True)\n"
                       "  (1): ReLU()\n"
                       "  (2): Dropout(p=0.1, inplace=False)\n"
                       ")")


# ----------------------------------------------------------------------------- Linear / Bilinear
def _check_bounds(t, bound, min_spread=0.8):
    a = _np(t)
    assert np.abs(a).max() <= bound * (1 + 1e-6)
    assert a.max() > min_spread * bound and a.min() < -min_spread * bound
    assert abs(a.mean()) < 4 * bound / math.sqrt(3 * a.size)


def test_linear_default_init(device):
    tnn.manual_seed(0)
    m = nn.Linear(48, 96, device=device)
    assert tuple(m.weight.shape) == (96, 48) and tuple(m.bias.shape) == (96,)
    assert m.weight.dtype is tnn.float32 and m.weight.device == tnn.device(device)
    _check_bounds(m.weight, 1 / math.sqrt(48), 0.95)
    _check_bounds(m.bias, 1 / math.sqrt(48), 0.6)
    w = _np(m.weight)
    assert abs(w.std() - (1 / math.sqrt(48)) / math.sqrt(3)) < 0.05 * w.std()
    assert isinstance(m.weight, nn.Parameter) and m.weight.requires_grad
    assert [n for n, _ in m.named_parameters()] == ["weight", "bias"]
    assert list(m.state_dict()) == ["weight", "bias"]
    assert list(nn.Linear(2, 3, bias=False).state_dict()) == ["weight"]
    assert nn.Linear(2, 3, bias=False).bias is None


def test_linear_factory_kwargs(device):
    m = nn.Linear(3, 2, device=device, dtype=tnn.float64)
    assert m.weight.dtype is tnn.float64 and m.bias.dtype is tnn.float64
    assert nn.Bilinear(2, 2, 2, dtype=tnn.float16, device=device).weight.dtype is tnn.float16
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        m0 = nn.Linear(0, 3, device=device)
    assert _np(m0.bias).tolist() == [0.0, 0.0, 0.0]  # fan_in == 0: bound 0


def test_linear_forward_backward(device):
    tnn.manual_seed(1)
    m = nn.Linear(5, 3, device=device)
    x = _x((2, 4, 5), device, requires_grad=True)
    y = m(x)
    _eq(y, F.linear(x, m.weight, m.bias))
    xn, wn, bn = _np(x), _np(m.weight), _np(m.bias)
    np.testing.assert_allclose(_np(y), xn @ wn.T + bn, rtol=1e-5, atol=1e-5)
    y.sum().backward()
    np.testing.assert_allclose(_np(m.weight.grad), np.ones((8, 3)).T @ xn.reshape(8, 5), rtol=1e-5)
    np.testing.assert_allclose(_np(m.bias.grad), np.full(3, 8.0))
    np.testing.assert_allclose(_np(x.grad), np.ones((2, 4, 3)) @ wn, rtol=1e-5)


def test_bilinear(device):
    tnn.manual_seed(2)
    m = nn.Bilinear(20, 3, 30, device=device)
    assert tuple(m.weight.shape) == (30, 20, 3)
    _check_bounds(m.weight, 1 / math.sqrt(20), 0.9)
    _check_bounds(m.bias, 1 / math.sqrt(20), 0.5)
    x1, x2 = _x((4, 20), device, 1), _x((4, 3), device, 2)
    y = m(x1, x2)
    _eq(y, F.bilinear(x1, x2, m.weight, m.bias))
    exp = np.einsum("bi,oij,bj->bo", _np(x1), _np(m.weight), _np(x2)) + _np(m.bias)
    np.testing.assert_allclose(_np(y), exp, rtol=1e-4, atol=1e-4)
    y.sum().backward()
    assert m.weight.grad is not None and tuple(m.weight.grad.shape) == (30, 20, 3)
    assert m.bias.grad is not None
    assert nn.Bilinear(2, 3, 4, bias=False).bias is None


def test_identity(device):
    x = _x((2, 3), device)
    assert nn.Identity()(x) is x


def test_reset_parameters_redraws(device):
    tnn.manual_seed(3)
    m = nn.Linear(4, 4, device=device)
    w0 = _np(m.weight).copy()
    m.reset_parameters()
    assert not np.array_equal(w0, _np(m.weight))
    tnn.manual_seed(3)
    np.testing.assert_array_equal(_np(nn.Linear(4, 4, device=device).weight), w0)


# ----------------------------------------------------------------------------- Flatten / Unflatten
def test_flatten_unflatten(device):
    x = _x((2, 3, 4, 5), device, requires_grad=True)
    assert tuple(nn.Flatten()(x).shape) == (2, 60)
    assert tuple(nn.Flatten(0, 2)(x).shape) == (24, 5)
    assert tuple(nn.Flatten(-2)(x).shape) == (2, 3, 20)
    y = nn.Unflatten(1, (3, 1))(x)
    assert tuple(y.shape) == (2, 3, 1, 4, 5)
    z = nn.Unflatten(-1, [5, -1])(nn.Flatten()(x))
    assert tuple(z.shape) == (2, 5, 12)
    z.sum().backward()
    np.testing.assert_array_equal(_np(x.grad), np.ones((2, 3, 4, 5)))


def test_unflatten_errors():
    with pytest.raises(TypeError, match="unflattened_size must be tuple of ints, but found element of type float "
                                        "at pos 1"):
        nn.Unflatten(1, (2, 2.0))
    with pytest.raises(TypeError, match="unflattened_size must be a tuple of ints, but found type int"):
        nn.Unflatten(1, 4)
    with pytest.raises(TypeError, match="unflattened_size must be a tuple of tuples, but found type list"):
        nn.Unflatten("features", [("C", 2)])
    with pytest.raises(TypeError, match="invalid argument type for dim parameter"):
        nn.Unflatten(1.0, (2, 2))


# ----------------------------------------------------------------------------- activations
ACTIVATIONS = [
    (nn.ReLU(), lambda x: F.relu(x)),
    (nn.ReLU6(), lambda x: F.relu6(x)),
    (nn.LeakyReLU(0.2), lambda x: F.leaky_relu(x, 0.2)),
    (nn.ELU(0.7), lambda x: F.elu(x, 0.7)),
    (nn.SELU(), lambda x: F.selu(x)),
    (nn.CELU(1.3), lambda x: F.celu(x, 1.3)),
    (nn.GELU(), lambda x: F.gelu(x)),
    (nn.GELU("tanh"), lambda x: F.gelu(x, approximate="tanh")),
    (nn.SiLU(), lambda x: F.silu(x)),
    (nn.Mish(), lambda x: F.mish(x)),
    (nn.Sigmoid(), lambda x: F.sigmoid(x)),
    (nn.LogSigmoid(), lambda x: F.logsigmoid(x)),
    (nn.Tanh(), lambda x: F.tanh(x)),
    (nn.Hardtanh(-0.5, 1.5), lambda x: F.hardtanh(x, -0.5, 1.5)),
    (nn.Hardsigmoid(), lambda x: F.hardsigmoid(x)),
    (nn.Hardswish(), lambda x: F.hardswish(x)),
    (nn.Softplus(2.0, 3.0), lambda x: F.softplus(x, 2.0, 3.0)),
    (nn.Softsign(), lambda x: F.softsign(x)),
    (nn.Softshrink(0.3), lambda x: F.softshrink(x, 0.3)),
    (nn.Hardshrink(0.3), lambda x: F.hardshrink(x, 0.3)),
    (nn.Tanhshrink(), lambda x: F.tanhshrink(x)),
    (nn.Threshold(0.1, -3.0), lambda x: F.threshold(x, 0.1, -3.0)),
    (nn.GLU(1), lambda x: F.glu(x, 1)),
    (nn.Softmax(1), lambda x: F.softmax(x, 1)),
    (nn.Softmin(-1), lambda x: F.softmin(x, -1)),
    (nn.LogSoftmax(0), lambda x: F.log_softmax(x, 0)),
]


@pytest.mark.parametrize("module,fn", ACTIVATIONS, ids=[type(m).__name__ + str(i)
                                                        for i, (m, _) in enumerate(ACTIVATIONS)])
def test_activation_forward_equals_functional(device, module, fn):
    x = _x((3, 4, 2), device, requires_grad=True)
    y = module(x)
    _eq(y, fn(x))
    y.sum().backward()
    assert x.grad is not None and tuple(x.grad.shape) == (3, 4, 2)
    assert list(module.parameters()) == [] and list(module.state_dict()) == []


@pytest.mark.parametrize("cls,fn", [(nn.ReLU, F.relu), (nn.SiLU, F.silu), (nn.Hardswish, F.hardswish),
                                    (nn.ELU, F.elu), (nn.LeakyReLU, F.leaky_relu), (nn.Hardtanh, F.hardtanh),
                                    (nn.ReLU6, F.relu6), (nn.SELU, F.selu), (nn.CELU, F.celu),
                                    (nn.Mish, F.mish), (nn.Hardsigmoid, F.hardsigmoid)])
def test_activation_inplace(device, cls, fn):
    x = _x((5, 3), device)
    expected = fn(x.clone())
    y = cls(inplace=True)(x)
    _eq(x, expected)
    _eq(y, expected)


def test_prelu(device):
    m = nn.PReLU(3, init=0.1, device=device)
    assert _np(m.weight).tolist() == pytest.approx([0.1] * 3)
    assert list(m.state_dict()) == ["weight"]
    x = _x((2, 3, 4), device, requires_grad=True)
    y = m(x)
    _eq(y, F.prelu(x, m.weight))
    xn = _np(x)
    np.testing.assert_allclose(_np(y), np.where(xn > 0, xn, 0.1 * xn), rtol=1e-6)
    y.sum().backward()
    np.testing.assert_allclose(_np(m.weight.grad), np.minimum(xn, 0).sum(axis=(0, 2)), rtol=1e-5)
    assert _np(nn.PReLU(device=device).weight).tolist() == [0.25]


def test_rrelu_train_eval(device):
    m = nn.RReLU(0.1, 0.3)
    x = _x((200,), device, low=-2.0, high=-0.5)
    m.eval()
    np.testing.assert_allclose(_np(m(x)), _np(x) * 0.2, rtol=1e-6)
    m.train()
    y = m(x)  # random slopes in [lower, upper], one per element (tests/nn/test_rrelu.py covers the kernel)
    slopes = _np(y) / _np(x)
    assert slopes.min() >= 0.1 - 1e-6 and slopes.max() <= 0.3 + 1e-6 and slopes.std() > 0.03
    assert not np.array_equal(_np(m(x)), _np(y))


def test_softmax2d(device):
    x = _x((2, 3, 4, 5), device)
    _eq(nn.Softmax2d()(x), F.softmax(x, -3))
    _eq(nn.Softmax2d()(x[0]), F.softmax(x[0], -3))
    with pytest.raises(ValueError, match="Softmax2d: expected input to be 3D or 4D, got 2D instead"):
        nn.Softmax2d()(_x((2, 3), device))


def test_hardtanh_deprecated_and_assert():
    with pytest.warns(FutureWarning, match="keyword argument `min_value` is deprecated and rename to `min_val`"):
        m = nn.Hardtanh(min_value=-2.0)
    assert m.min_val == -2.0
    with pytest.raises(AssertionError):
        nn.Hardtanh(1.0, 0.5)


# ----------------------------------------------------------------------------- dropout
@pytest.mark.parametrize("cls,shape,channels", [(nn.Dropout, (40, 50), None), (nn.Dropout1d, (8, 30, 6), 2),
                                                (nn.Dropout2d, (8, 30, 3, 2), 2),
                                                (nn.Dropout3d, (6, 30, 2, 2, 2), 2)])
def test_dropout_train_eval(device, cls, shape, channels):
    tnn.manual_seed(4)
    m = cls(p=0.3)
    x = tnn.ones(shape, device=device)
    assert m.training
    y = _np(m(x))
    kept = y != 0
    np.testing.assert_allclose(y[kept], 1 / 0.7, rtol=1e-6)
    assert abs(kept.mean() - 0.7) < 0.08
    if channels:  # whole channels dropped together
        per = kept.reshape(shape[0] * shape[1], -1)
        assert (per.all(axis=1) | ~per.any(axis=1)).all()
    m.eval()
    _eq(m(x), x)
    m.train()
    y2 = _np(m(x))
    assert not np.array_equal(y, y2)


def test_dropout_inplace_and_grad(device):
    tnn.manual_seed(5)
    x = tnn.ones(100, device=device)
    y = nn.Dropout(0.5, inplace=True)(x)
    _eq(x, y)
    xg = _x((100,), device, requires_grad=True)
    out = nn.Dropout(0.5)(xg)
    out.sum().backward()
    g, o = _np(xg.grad), _np(out)
    np.testing.assert_allclose(g, np.where(o != 0, 2.0, 0.0))


def test_alpha_dropout(device):
    tnn.manual_seed(6)
    x = _x((4000,), device, low=-1, high=1)
    m = nn.AlphaDropout(0.2)
    y = _np(m(x))
    assert not np.allclose(y, _np(x))
    m.eval()
    _eq(m(x), x)
    fm = nn.FeatureAlphaDropout(0.2)
    fm.eval()
    xf = _x((2, 3, 4), device)
    _eq(fm(xf), xf)


def test_dropout_p_errors():
    for cls in (nn.Dropout, nn.Dropout2d, nn.AlphaDropout):
        with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got 1.5"):
            cls(1.5)
        with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got -0.1"):
            cls(-0.1)


# ----------------------------------------------------------------------------- Embedding
def test_embedding_init_and_forward(device):
    tnn.manual_seed(7)
    m = nn.Embedding(200, 16, padding_idx=3, device=device)
    w = _np(m.weight)
    assert (w[3] == 0).all()
    rest = np.delete(w, 3, axis=0)
    assert abs(rest.mean()) < 0.05 and abs(rest.std() - 1) < 0.05
    assert list(m.state_dict()) == ["weight"]
    idx = tnn.tensor([[1, 3, 5], [3, 7, 1]], device=device)
    y = m(idx)
    _eq(y, F.embedding(idx, m.weight, padding_idx=3))
    np.testing.assert_array_equal(_np(y), w[_np(idx)])
    y.sum().backward()
    g = _np(m.weight.grad)
    assert (g[3] == 0).all() and (g[1] == 2).all() and (g[5] == 1).all() and (g[0] == 0).all()


def test_embedding_negative_padding_and_dtype(device):
    m = nn.Embedding(6, 2, padding_idx=-2, dtype=tnn.float64, device=device)
    assert m.padding_idx == 4 and m.weight.dtype is tnn.float64
    assert (_np(m.weight)[4] == 0).all()
    with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
        nn.Embedding(5, 2, padding_idx=5)
    with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
        nn.Embedding(5, 2, padding_idx=-6)
    with pytest.raises(NotImplementedError, match="sparse=True"):
        nn.Embedding(5, 2, sparse=True)


def test_embedding_from_pretrained(device):
    w = _x((4, 3), device)
    m = nn.Embedding.from_pretrained(w)
    assert repr(m) == "Embedding(4, 3)"
    assert not m.weight.requires_grad
    _eq(m(tnn.tensor([2, 0], device=device)), w[tnn.tensor([2, 0], device=device)])
    m2 = nn.Embedding.from_pretrained(w, freeze=False, padding_idx=1)
    assert m2.weight.requires_grad and m2.padding_idx == 1
    with pytest.raises(AssertionError, match="Embeddings parameter is expected to be 2-dimensional"):
        nn.Embedding.from_pretrained(_x((4,), device))
    with pytest.raises(AssertionError, match="Shape of weight does not match num_embeddings and embedding_dim"):
        nn.Embedding(3, 3, _weight=w)


def test_embedding_max_norm(device):
    tnn.manual_seed(8)
    m = nn.Embedding(5, 4, max_norm=0.5, device=device)
    with tnn.no_grad():
        m.weight.mul_(3.0)
    m(tnn.tensor([0, 2], device=device))
    norms = np.linalg.norm(_np(m.weight), axis=1)
    assert norms[0] <= 0.5 + 1e-4 and norms[2] <= 0.5 + 1e-4
    assert norms[1] > 0.5  # rows not looked up are untouched


# ----------------------------------------------------------------------------- module-level behaviour
def test_train_eval_flags_and_to(device):
    m = nn.Sequential(nn.Linear(3, 3), nn.Dropout(), nn.PReLU())
    m.eval()
    assert not any(c.training for c in m.modules())
    m.train()
    assert all(c.training for c in m.modules())
    m.double()
    assert all(p.dtype is tnn.float64 for p in m.parameters())
    assert list(m.state_dict()) == ["0.weight", "0.bias", "2.weight"]
