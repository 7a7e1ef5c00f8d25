"""tnn.nn.init: gains and fans exactly as torch, distribution statistics of every random
initialiser, structure of the deterministic ones, no_grad + in-place + return value, errors."""
import math
import warnings

import numpy as np
import pytest

import tnn
from tnn.nn import init
from tnn.testing import to_numpy
from tnn.nn.init import _calculate_correct_fan, _calculate_fan_in_and_fan_out, _erfinv


def _np(t):
    return to_numpy(t).astype(np.float64)


# ----------------------------------------------------------------------------- gains and fans
@pytest.mark.parametrize("name", ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                                  "conv_transpose3d", "sigmoid"])
def test_gain_linear(name):
    assert init.calculate_gain(name) == 1


def test_gains():
    assert init.calculate_gain("tanh") == 5.0 / 3
    assert init.calculate_gain("relu") == math.sqrt(2.0)
    assert init.calculate_gain("selu") == 3.0 / 4
    assert init.calculate_gain("leaky_relu") == math.sqrt(2.0 / (1 + 0.01 ** 2))
    assert init.calculate_gain("leaky_relu", 0.2) == math.sqrt(2.0 / 1.04)
    assert init.calculate_gain("leaky_relu", 0) == math.sqrt(2.0)
    assert init.calculate_gain("leaky_relu", math.sqrt(5)) == math.sqrt(2.0 / 6)


def test_gain_errors():
    with pytest.raises(ValueError, match="Unsupported nonlinearity gelu"):
        init.calculate_gain("gelu")
    with pytest.raises(ValueError, match="negative_slope True not a valid number"):
        init.calculate_gain("leaky_relu", True)
    with pytest.raises(ValueError, match="negative_slope 0.1 not a valid number"):
        init.calculate_gain("leaky_relu", "0.1")


@pytest.mark.parametrize("shape,fans", [((5, 3), (3, 5)), ((8, 4, 3), (12, 24)), ((6, 2, 3, 5), (30, 90)),
                                        ((2, 3, 1, 2, 2), (12, 8)), ((7, 0), (0, 7))])
def test_fans(device, shape, fans):
    t = tnn.empty(shape, device=device)
    assert _calculate_fan_in_and_fan_out(t) == fans
    assert _calculate_correct_fan(t, "fan_in") == fans[0]
    assert _calculate_correct_fan(t, "FAN_OUT") == fans[1]


def test_fan_errors(device):
    for shape in [(), (4,)]:
        with pytest.raises(ValueError, match="Fan in and fan out can not be computed for tensor with fewer than 2 "
                                             "dimensions"):
            init.xavier_uniform_(tnn.empty(shape, device=device))
    with pytest.raises(ValueError, match=r"Mode fan_avg not supported, please use one of \['fan_in', 'fan_out'\]"):
        init.kaiming_uniform_(tnn.empty(3, 4, device=device), mode="fan_avg")


# ----------------------------------------------------------------------------- random initialisers
def _check_uniform(a, lo, hi):
    n = a.size
    assert a.min() >= lo and a.max() <= hi
    # mean and std of U(lo, hi), within ~5 standard errors
    w = hi - lo
    assert abs(a.mean() - (lo + hi) / 2) < 5 * w / math.sqrt(12 * n)
    assert abs(a.std() - w / math.sqrt(12)) < 5 * w / math.sqrt(12) / math.sqrt(n) * 1.2
    # spread over the whole interval
    assert a.min() < lo + 0.05 * w and a.max() > hi - 0.05 * w


def _check_normal(a, mean, std):
    n = a.size
    assert abs(a.mean() - mean) < 5 * std / math.sqrt(n)
    assert abs(a.std() - std) < 5 * std / math.sqrt(2 * n)


def test_uniform_normal(device):
    tnn.manual_seed(1)
    t = tnn.empty(4000, device=device)
    assert init.uniform_(t, -2.0, 3.0) is t
    _check_uniform(_np(t), -2.0, 3.0)
    assert init.normal_(t, 1.5, 0.5) is t
    _check_normal(_np(t), 1.5, 0.5)


@pytest.mark.parametrize("dtype", [tnn.float32, tnn.float16, tnn.bfloat16, tnn.float64])
def test_kaiming_uniform_linear_default(device, dtype):
    # nn.Linear's default: kaiming_uniform_(a=sqrt(5)) -> bound = 1/sqrt(fan_in)
    tnn.manual_seed(2)
    w = tnn.empty(80, 50, dtype=dtype, device=device, requires_grad=True)
    out = init.kaiming_uniform_(w, a=math.sqrt(5))
    assert out is w and w.dtype is dtype
    assert w.requires_grad and w.grad_fn is None and w.is_leaf
    bound = 1 / math.sqrt(50)
    _check_uniform(_np(w), -bound * 1.004, bound * 1.004)


@pytest.mark.parametrize("mode,nonlinearity,a", [("fan_in", "relu", 0), ("fan_out", "leaky_relu", 0.2),
                                                 ("fan_in", "tanh", 0)])
def test_kaiming(device, mode, nonlinearity, a):
    tnn.manual_seed(3)
    w = tnn.empty(30, 20, 3, 3, device=device)
    fan = 20 * 9 if mode == "fan_in" else 30 * 9
    std = init.calculate_gain(nonlinearity, a) / math.sqrt(fan)
    init.kaiming_uniform_(w, a=a, mode=mode, nonlinearity=nonlinearity)
    _check_uniform(_np(w), -math.sqrt(3) * std, math.sqrt(3) * std)
    init.kaiming_normal_(w, a=a, mode=mode, nonlinearity=nonlinearity)
    _check_normal(_np(w), 0.0, std)


def test_kaiming_zero_element_warns(device):
    w = tnn.zeros(0, 3, device=device)
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        assert init.kaiming_uniform_(w) is w
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        assert init.kaiming_normal_(w) is w


def test_xavier(device):
    tnn.manual_seed(4)
    w = tnn.empty(60, 40, 2, device=device)
    std = 2.0 * math.sqrt(2.0 / (80 + 120))
    init.xavier_uniform_(w, gain=2.0)
    _check_uniform(_np(w), -math.sqrt(3) * std, math.sqrt(3) * std)
    init.xavier_normal_(w, gain=2.0)
    _check_normal(_np(w), 0.0, std)


def test_generator_reproducible(device):
    g = tnn.Generator().manual_seed(7)
    a = _np(init.xavier_uniform_(tnn.empty(5, 6, device=device), generator=g))
    b = _np(init.xavier_uniform_(tnn.empty(5, 6, device=device), generator=g))
    g.manual_seed(7)
    c = _np(init.xavier_uniform_(tnn.empty(5, 6, device=device), generator=g))
    np.testing.assert_array_equal(a, c)
    assert not np.array_equal(a, b)
    tnn.manual_seed(9)
    d = _np(init.normal_(tnn.empty(4, device=device)))
    tnn.manual_seed(9)
    np.testing.assert_array_equal(d, _np(init.normal_(tnn.empty(4, device=device))))


def _truncnorm_moments(mean, std, a, b):
    al, be = (a - mean) / std, (b - mean) / std
    pdf = lambda x: math.exp(-x * x / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    cdf = lambda x: (1 + math.erf(x / math.sqrt(2))) / 2  # noqa: E731
    z = cdf(be) - cdf(al)
    m = mean + std * (pdf(al) - pdf(be)) / z
    var = std ** 2 * (1 + (al * pdf(al) - be * pdf(be)) / z - ((pdf(al) - pdf(be)) / z) ** 2)
    return m, math.sqrt(var)


@pytest.mark.parametrize("mean,std,a,b", [(0.0, 1.0, -2.0, 2.0), (0.0, 0.02, -0.04, 0.04), (1.0, 2.0, 0.0, 6.0)])
def test_trunc_normal(device, mean, std, a, b):
    tnn.manual_seed(5)
    t = tnn.empty(20000, device=device)
    assert init.trunc_normal_(t, mean, std, a, b) is t
    x = _np(t)
    assert x.min() >= a and x.max() <= b
    m, s = _truncnorm_moments(mean, std, a, b)
    assert abs(x.mean() - m) < 5 * s / math.sqrt(x.size)
    assert abs(x.std() - s) < 6 * s / math.sqrt(2 * x.size)
    # the CDF matches (Kolmogorov-Smirnov distance)
    cdf = lambda v: (1 + math.erf((v - mean) / std / math.sqrt(2))) / 2  # noqa: E731
    lo, hi = cdf(a), cdf(b)
    xs = np.sort(x)
    F = (np.array([cdf(v) for v in xs]) - lo) / (hi - lo)
    ks = np.max(np.abs(F - (np.arange(1, xs.size + 1) / xs.size)))
    assert ks < 1.63 / math.sqrt(xs.size) * 1.2


def test_trunc_normal_warns_and_half(device):
    with pytest.warns(UserWarning, match="mean is more than 2 std from"):
        init.trunc_normal_(tnn.empty(10, device=device), mean=5.0, std=1.0, a=-1.0, b=1.0)
    t = tnn.empty(100, dtype=tnn.bfloat16, device=device)
    init.trunc_normal_(t, std=0.5, a=-1.0, b=1.0)
    assert t.dtype is tnn.bfloat16 and np.abs(_np(t)).max() <= 1.0


def test_erfinv_accuracy(device):
    y = np.concatenate([np.linspace(-5, 5, 101), [-0.001, 0.0, 1e-4]])
    from math import erf
    x = tnn.tensor([erf(v) for v in y], dtype=tnn.float64, device=device)
    got = _np(_erfinv(x))
    ok = np.abs(y) <= 3.5  # the single-precision approximation's range: |erf(y)| <= 1 - 7e-7
    np.testing.assert_allclose(got[ok], y[ok], rtol=2e-6, atol=1e-6)


def test_orthogonal(device):
    tnn.manual_seed(6)
    for shape, gain in [((6, 4), 1.0), ((3, 8), 2.0), ((4, 2, 3), 1.0), ((5, 5), 0.5)]:
        w = tnn.empty(shape, device=device, requires_grad=True)
        assert init.orthogonal_(w, gain=gain) is w
        assert w.requires_grad and w.grad_fn is None
        m = _np(w).reshape(shape[0], -1) / gain
        if m.shape[0] >= m.shape[1]:
            np.testing.assert_allclose(m.T @ m, np.eye(m.shape[1]), atol=1e-5)
        else:
            np.testing.assert_allclose(m @ m.T, np.eye(m.shape[0]), atol=1e-5)
    with pytest.raises(ValueError, match="Only tensors with 2 or more dimensions are supported"):
        init.orthogonal_(tnn.empty(3, device=device))
    e = tnn.empty(0, 3, device=device)
    assert init.orthogonal_(e) is e


def test_sparse(device):
    tnn.manual_seed(8)
    t = tnn.empty(20, 30, device=device)
    assert init.sparse_(t, 0.25, std=0.5) is t
    x = _np(t)
    assert ((x == 0).sum(axis=0) == 5).all()  # ceil(0.25 * 20) zeros in every column
    nz = x[x != 0]
    _check_normal(nz, 0.0, 0.5 * 1.0)
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions are supported"):
        init.sparse_(tnn.empty(2, 3, 4, device=device), 0.1)


# ----------------------------------------------------------------------------- deterministic initialisers
@pytest.mark.parametrize("dtype", [tnn.float32, tnn.float16, tnn.int64])
def test_constant_ones_zeros(device, dtype):
    t = tnn.empty(3, 4, dtype=dtype, device=device)
    assert init.constant_(t, 3) is t
    np.testing.assert_array_equal(_np(t), np.full((3, 4), 3))
    assert init.ones_(t) is t
    np.testing.assert_array_equal(_np(t), np.ones((3, 4)))
    assert init.zeros_(t) is t
    np.testing.assert_array_equal(_np(t), np.zeros((3, 4)))


def test_in_place_on_leaf_requiring_grad(device):
    w = tnn.empty(3, 4, device=device, requires_grad=True)
    for fn in (init.ones_, init.zeros_, lambda t: init.constant_(t, 0.5), init.eye_, init.uniform_,
               init.normal_, init.xavier_normal_, init.trunc_normal_):
        assert fn(w) is w
        assert w.requires_grad and w.grad_fn is None
    assert tnn.is_grad_enabled()


def test_eye(device):
    for shape in [(3, 5), (4, 2), (1, 1)]:
        t = tnn.empty(shape, device=device).fill_(7.0)
        assert init.eye_(t) is t
        np.testing.assert_array_equal(_np(t), np.eye(*shape))
    base = tnn.empty(5, 3, device=device)
    init.eye_(base.t())  # non-contiguous view
    np.testing.assert_array_equal(_np(base), np.eye(3, 5).T)
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions are supported"):
        init.eye_(tnn.empty(2, 2, 2, device=device))


@pytest.mark.parametrize("shape,groups", [((4, 4, 3), 1), ((6, 2, 3, 3), 2), ((2, 3, 3, 3, 3), 1),
                                          ((4, 2, 2, 4), 2), ((3, 5, 5), 3)])
def test_dirac(device, shape, groups):
    t = tnn.empty(shape, device=device).fill_(5.0)
    assert init.dirac_(t, groups) is t
    x = _np(t)
    exp = np.zeros(shape)
    per = shape[0] // groups
    centre = tuple(s // 2 for s in shape[2:])
    for g in range(groups):
        for d in range(min(per, shape[1])):
            exp[(g * per + d, d) + centre] = 1
    np.testing.assert_array_equal(x, exp)
    assert x.sum() == groups * min(per, shape[1])


def test_dirac_errors(device):
    with pytest.raises(ValueError, match="Only tensors with 3, 4, or 5 dimensions are supported"):
        init.dirac_(tnn.empty(3, 3, device=device))
    with pytest.raises(ValueError, match="dim 0 must be divisible by groups"):
        init.dirac_(tnn.empty(5, 2, 3, device=device), groups=2)


def test_deprecated_aliases(device):
    t = tnn.empty(3, 4, device=device)
    with pytest.warns(FutureWarning, match=r"`nn.init.constant` is now deprecated in favor of `nn.init.constant_`"):
        assert init.constant(t, 2.0) is t
    assert (_np(t) == 2).all()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        init.xavier_uniform(t)
