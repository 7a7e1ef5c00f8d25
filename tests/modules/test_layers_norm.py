"""Normalisation modules: BatchNorm1d/2d/3d, InstanceNorm1d/2d/3d, LayerNorm, RMSNorm, GroupNorm --
reprs, default init, buffers and state_dict keys as torch, forward == the F call and == NumPy,
running statistics in training (momentum, momentum=None cumulative average, num_batches_tracked),
eval with running stats, input-dim errors, gradients to weight and bias, old-checkpoint loading."""
from collections import OrderedDict

import numpy as np
import pytest

import tnn
import tnn.nn as nn
import tnn.nn.functional as F
from tnn.testing import to_numpy as _np


def _x(shape, device, seed=0, requires_grad=False, dtype=tnn.float32):
    a = np.random.default_rng(seed).normal(1.0, 2.0, size=shape).astype(dtype.np)
    t = tnn.tensor(a, device=device)
    return t.requires_grad_(True) if requires_grad else t


def _eq(a, b):
    np.testing.assert_array_equal(_np(a), _np(b))


REPRS = [
    (lambda: nn.BatchNorm1d(3), "BatchNorm1d(3, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)"),
    (lambda: nn.BatchNorm2d(3), "BatchNorm2d(3, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)"),
    (lambda: nn.BatchNorm3d(4, eps=1e-3, momentum=None, affine=False, track_running_stats=False),
     "BatchNorm3d(4, eps=0.001, momentum=None, affine=False, track_running_stats=False)"),
    (lambda: nn.InstanceNorm1d(3), "InstanceNorm1d(3, eps=1e-05, momentum=0.1, affine=False, "
                                   "track_running_stats=False)"),
    (lambda: nn.InstanceNorm2d(5, affine=True, track_running_stats=True),
     "InstanceNorm2d(5, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)"),
    (lambda: nn.InstanceNorm3d(2), "InstanceNorm3d(2, eps=1e-05, momentum=0.1, affine=False, "
                                   "track_running_stats=False)"),
    (lambda: nn.LayerNorm(4), "LayerNorm((4,), eps=1e-05, elementwise_affine=True)"),
    (lambda: nn.LayerNorm([2, 3], eps=1e-6, elementwise_affine=False),
     "LayerNorm((2, 3), eps=1e-06, elementwise_affine=False)"),
    (lambda: nn.LayerNorm(4, bias=False), "LayerNorm((4,), eps=1e-05, elementwise_affine=True)"),
    (lambda: nn.RMSNorm(4), "RMSNorm((4,), eps=None, elementwise_affine=True)"),
    (lambda: nn.RMSNorm([2, 4], eps=1e-6), "RMSNorm((2, 4), eps=1e-06, elementwise_affine=True)"),
    (lambda: nn.GroupNorm(2, 6), "GroupNorm(2, 6, eps=1e-05, affine=True)"),
    (lambda: nn.GroupNorm(1, 3, affine=False), "GroupNorm(1, 3, eps=1e-05, affine=False)"),
]


@pytest.mark.parametrize("make,expected", REPRS, ids=[e for _, e in REPRS])
def test_repr(make, expected):
    assert repr(make()) == expected


# ----------------------------------------------------------------------------- BatchNorm
def test_batchnorm_init_and_state(device):
    m = nn.BatchNorm2d(3, device=device)
    assert list(m.state_dict()) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    assert [n for n, _ in m.named_parameters()] == ["weight", "bias"]
    assert [n for n, _ in m.named_buffers()] == ["running_mean", "running_var", "num_batches_tracked"]
    assert _np(m.weight).tolist() == [1, 1, 1] and _np(m.bias).tolist() == [0, 0, 0]
    assert _np(m.running_mean).tolist() == [0, 0, 0] and _np(m.running_var).tolist() == [1, 1, 1]
    nbt = m.num_batches_tracked
    assert nbt.dtype is tnn.int64 and nbt.dim() == 0 and nbt.item() == 0
    assert not m.running_mean.requires_grad
    m2 = nn.BatchNorm1d(3, affine=False, track_running_stats=False)
    assert list(m2.state_dict()) == [] and m2.weight is None and m2.running_mean is None
    assert m2.num_batches_tracked is None
    m3 = nn.BatchNorm1d(2, dtype=tnn.float64, device=device)
    assert m3.weight.dtype is tnn.float64 and m3.running_var.dtype is tnn.float64
    assert m3.num_batches_tracked.dtype is tnn.int64


def _batch_stats(x):
    axes = (0,) + tuple(range(2, x.ndim))
    n = x.size // x.shape[1]
    mean = x.mean(axis=axes)
    var = x.var(axis=axes)
    return mean, var, var * n / (n - 1)


@pytest.mark.parametrize("cls,shape", [(nn.BatchNorm1d, (6, 3)), (nn.BatchNorm1d, (4, 3, 5)),
                                       (nn.BatchNorm2d, (2, 3, 4, 5)), (nn.BatchNorm3d, (2, 3, 2, 3, 2))])
def test_batchnorm_train_updates_running_stats(device, cls, shape):
    m = cls(3, momentum=0.25, device=device)
    with tnn.no_grad():
        m.weight.copy_(tnn.tensor([1.0, 2.0, -0.5], device=device))
        m.bias.copy_(tnn.tensor([0.0, 0.5, 1.0], device=device))
    rm, rv = np.zeros(3), np.ones(3)
    for step in range(2):
        x = _x(shape, device, seed=step)
        y = m(x)
        _eq(y, F.batch_norm(x, None, None, m.weight, m.bias, True, 0.25, 1e-5))
        xn = _np(x).astype(np.float64)
        mean, var, unbiased = _batch_stats(xn)
        bshape = (1, 3) + (1,) * (len(shape) - 2)
        exp = (xn - mean.reshape(bshape)) / np.sqrt(var.reshape(bshape) + 1e-5) * np.array(
            [1.0, 2.0, -0.5]).reshape(bshape) + np.array([0.0, 0.5, 1.0]).reshape(bshape)
        np.testing.assert_allclose(_np(y.detach()), exp, rtol=1e-4, atol=1e-4)
        rm = 0.75 * rm + 0.25 * mean
        rv = 0.75 * rv + 0.25 * unbiased
        np.testing.assert_allclose(_np(m.running_mean), rm, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(_np(m.running_var), rv, rtol=1e-5, atol=1e-6)
        assert m.num_batches_tracked.item() == step + 1


def test_batchnorm_eval_uses_running_stats(device):
    m = nn.BatchNorm2d(3, device=device)
    with tnn.no_grad():
        m.running_mean.copy_(tnn.tensor([0.5, -1.0, 2.0], device=device))
        m.running_var.copy_(tnn.tensor([4.0, 0.25, 1.0], device=device))
        m.weight.fill_(2.0)
    m.eval()
    x = _x((2, 3, 2, 2), device)
    y = m(x)
    xn = _np(x).astype(np.float64)
    exp = (xn - np.array([0.5, -1.0, 2.0]).reshape(1, 3, 1, 1)) / np.sqrt(
        np.array([4.0, 0.25, 1.0]).reshape(1, 3, 1, 1) + 1e-5) * 2.0
    np.testing.assert_allclose(_np(y), exp, rtol=1e-5, atol=1e-5)
    _eq(y, F.batch_norm(x, m.running_mean, m.running_var, m.weight, m.bias, False, 0.1, 1e-5))
    assert m.num_batches_tracked.item() == 0  # eval does not count
    np.testing.assert_array_equal(_np(m.running_mean), [0.5, -1.0, 2.0])  # nor update


def test_batchnorm_momentum_none_cumulative_average(device):
    m = nn.BatchNorm1d(2, momentum=None, device=device)
    means, vars_ = [], []
    for step in range(3):
        x = _x((5, 2), device, seed=10 + step)
        m(x)
        mean, _, unbiased = _batch_stats(_np(x).astype(np.float64))
        means.append(mean)
        vars_.append(unbiased)
        np.testing.assert_allclose(_np(m.running_mean), np.mean(means, axis=0), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(_np(m.running_var), np.mean(vars_, axis=0), rtol=1e-5, atol=1e-6)
    assert m.num_batches_tracked.item() == 3


def test_batchnorm_without_running_stats(device):
    m = nn.BatchNorm1d(3, track_running_stats=False, device=device)
    x = _x((4, 3), device)
    y_train = m(x)
    m.eval()
    _eq(m(x), y_train)  # eval falls back to batch statistics
    assert list(m.state_dict()) == ["weight", "bias"]


def test_batchnorm_gradients(device):
    m = nn.BatchNorm2d(3, device=device)
    x = _x((2, 3, 2, 3), device, requires_grad=True)
    y = m(x)
    (y * _x((2, 3, 2, 3), device, seed=5)).sum().backward()
    for p in (m.weight, m.bias, x):
        assert p.grad is not None and p.grad.shape == p.shape
    g = _np(_x((2, 3, 2, 3), device, seed=5))
    np.testing.assert_allclose(_np(m.bias.grad), g.sum(axis=(0, 2, 3)), rtol=1e-5, atol=1e-5)
    assert m.running_mean.grad is None


@pytest.mark.parametrize("cls,ndim,msg", [(nn.BatchNorm1d, 4, "expected 2D or 3D input \\(got 4D input\\)"),
                                          (nn.BatchNorm2d, 3, "expected 4D input \\(got 3D input\\)"),
                                          (nn.BatchNorm3d, 4, "expected 5D input \\(got 4D input\\)")])
def test_batchnorm_input_dim_errors(device, cls, ndim, msg):
    with pytest.raises(ValueError, match=msg):
        cls(2, device=device)(_x((2,) * ndim, device))


def test_batchnorm_train_single_value_error(device):
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        nn.BatchNorm1d(3, device=device)(_x((1, 3), device))


def test_batchnorm_reset_and_load_state_dict(device):
    m = nn.BatchNorm1d(2, device=device)
    m(_x((4, 2), device))
    sd = m.state_dict()
    m2 = nn.BatchNorm1d(2, device=device)
    m2.load_state_dict(sd)
    _eq(m2.running_mean, m.running_mean)
    assert m2.num_batches_tracked.item() == 1
    m2.reset_running_stats()
    assert _np(m2.running_mean).tolist() == [0, 0] and m2.num_batches_tracked.item() == 0
    # a checkpoint from before version 2 has no num_batches_tracked: it loads, the count is kept
    old = OrderedDict((k, v) for k, v in sd.items() if k != "num_batches_tracked")
    old._metadata = OrderedDict({"": {"version": 1}})
    m3 = nn.BatchNorm1d(2, device=device)
    m3.load_state_dict(old)
    assert m3.num_batches_tracked.item() == 0
    _eq(m3.running_var, m.running_var)
    # at version 2 the key is required
    new = OrderedDict(old)
    new._metadata = OrderedDict({"": {"version": 2}})
    with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "num_batches_tracked"'):
        nn.BatchNorm1d(2, device=device).load_state_dict(new)


# ----------------------------------------------------------------------------- InstanceNorm
@pytest.mark.parametrize("cls,shape", [(nn.InstanceNorm1d, (2, 3, 5)), (nn.InstanceNorm2d, (2, 3, 4, 3)),
                                       (nn.InstanceNorm3d, (2, 3, 2, 2, 3))])
def test_instancenorm(device, cls, shape):
    m = cls(3, device=device)
    assert m.weight is None and m.running_mean is None and list(m.state_dict()) == []
    x = _x(shape, device)
    y = m(x)
    _eq(y, F.instance_norm(x))
    xn = _np(x).astype(np.float64)
    axes = tuple(range(2, len(shape)))
    exp = (xn - xn.mean(axis=axes, keepdims=True)) / np.sqrt(xn.var(axis=axes, keepdims=True) + 1e-5)
    np.testing.assert_allclose(_np(y), exp, rtol=1e-4, atol=1e-4)
    # unbatched input
    y0 = m(x[0])
    np.testing.assert_allclose(_np(y0), exp[0], rtol=1e-4, atol=1e-4)


def test_instancenorm_running_stats_and_affine(device):
    m = nn.InstanceNorm1d(2, affine=True, track_running_stats=True, momentum=0.5, device=device)
    assert list(m.state_dict()) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    x = _x((3, 2, 4), device, requires_grad=True)
    m(x).sum().backward()
    assert m.weight.grad is not None and m.bias.grad is not None
    xn = _np(x.detach()).astype(np.float64)
    inst_mean = xn.mean(axis=2).mean(axis=0)
    inst_var = (xn.var(axis=2) * 4 / 3).mean(axis=0)
    np.testing.assert_allclose(_np(m.running_mean), 0.5 * inst_mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(_np(m.running_var), 0.5 + 0.5 * inst_var, rtol=1e-5, atol=1e-6)
    m.eval()  # eval with tracked stats normalises with them
    y = m(x.detach())
    rm, rv = _np(m.running_mean), _np(m.running_var)
    np.testing.assert_allclose(_np(y), (xn - rm[None, :, None]) / np.sqrt(rv[None, :, None] + 1e-5), rtol=1e-4,
                               atol=1e-4)


def test_instancenorm_errors_and_warning(device):
    with pytest.raises(ValueError, match="expected 3D or 4D input \\(got 2D input\\)"):
        nn.InstanceNorm2d(3)(_x((2, 3), device))
    with pytest.raises(ValueError, match="expected 2D or 3D input \\(got 4D input\\)"):
        nn.InstanceNorm1d(3)(_x((2, 3, 4, 5), device))
    with pytest.raises(ValueError, match="expected 4D or 5D input \\(got 3D input\\)"):
        nn.InstanceNorm3d(3)(_x((2, 3, 4), device))
    with pytest.raises(ValueError, match="expected input's size at dim=1 to match num_features \\(4\\), but got: 3."):
        nn.InstanceNorm1d(4, affine=True, device=device)(_x((2, 3, 5), device))
    with pytest.warns(UserWarning, match="input's size at dim=1 does not match num_features"):
        nn.InstanceNorm1d(4)(_x((2, 3, 5), device))


def test_instancenorm_old_checkpoint_running_stats(device):
    m = nn.InstanceNorm1d(2, device=device)
    sd = OrderedDict(running_mean=tnn.zeros(2, device=device), running_var=tnn.ones(2, device=device))
    sd._metadata = OrderedDict({"": {}})
    with pytest.raises(RuntimeError, match='Unexpected running stats buffer\\(s\\) "running_mean" and "running_var" '
                                           'for InstanceNorm1d with track_running_stats=False'):
        m.load_state_dict(sd)


# ----------------------------------------------------------------------------- LayerNorm / RMSNorm / GroupNorm
def test_layernorm(device):
    m = nn.LayerNorm([3, 4], device=device)
    assert tuple(m.weight.shape) == (3, 4) and (_np(m.weight) == 1).all() and (_np(m.bias) == 0).all()
    assert list(m.state_dict()) == ["weight", "bias"]
    with tnn.no_grad():
        m.weight.uniform_(0.5, 1.5)
        m.bias.uniform_(-1, 1)
    x = _x((2, 3, 4), device, requires_grad=True)
    y = m(x)
    _eq(y, F.layer_norm(x, (3, 4), m.weight, m.bias))
    xn = _np(x.detach()).astype(np.float64)
    mu, var = xn.mean(axis=(1, 2), keepdims=True), xn.var(axis=(1, 2), keepdims=True)
    exp = (xn - mu) / np.sqrt(var + 1e-5) * _np(m.weight) + _np(m.bias)
    np.testing.assert_allclose(_np(y), exp, rtol=1e-4, atol=1e-4)
    y.sum().backward()
    assert m.weight.grad is not None and m.bias.grad is not None
    np.testing.assert_allclose(_np(m.bias.grad), np.full((3, 4), 2.0))
    m2 = nn.LayerNorm(4, bias=False, device=device)
    assert m2.bias is None and list(m2.state_dict()) == ["weight"]
    m3 = nn.LayerNorm(4, elementwise_affine=False, device=device)
    assert m3.weight is None and list(m3.parameters()) == []
    _eq(m3(x[0]), F.layer_norm(x[0], (4,)))


def test_rmsnorm(device):
    m = nn.RMSNorm(4, device=device)
    assert (_np(m.weight) == 1).all() and list(m.state_dict()) == ["weight"]
    x = _x((3, 4), device, requires_grad=True)
    y = m(x)
    _eq(y, F.rms_norm(x, (4,), m.weight, None))
    xn = _np(x.detach()).astype(np.float64)
    eps = np.finfo(np.float32).eps
    np.testing.assert_allclose(_np(y), xn / np.sqrt((xn ** 2).mean(axis=1, keepdims=True) + eps), rtol=1e-5)
    y.sum().backward()
    assert m.weight.grad is not None
    m2 = nn.RMSNorm([3, 4], eps=1e-3, elementwise_affine=False, device=device)
    assert m2.weight is None
    _eq(m2(x), F.rms_norm(x, (3, 4), None, 1e-3))


def test_groupnorm(device):
    m = nn.GroupNorm(2, 4, device=device)
    assert (_np(m.weight) == 1).all() and (_np(m.bias) == 0).all()
    x = _x((2, 4, 3), device, requires_grad=True)
    y = m(x)
    _eq(y, F.group_norm(x, 2, m.weight, m.bias))
    xn = _np(x.detach()).astype(np.float64).reshape(2, 2, 6)
    exp = ((xn - xn.mean(axis=2, keepdims=True)) / np.sqrt(xn.var(axis=2, keepdims=True) + 1e-5)).reshape(2, 4, 3)
    np.testing.assert_allclose(_np(y), exp, rtol=1e-4, atol=1e-4)
    y.sum().backward()
    assert m.weight.grad is not None and m.bias.grad is not None
    with pytest.raises(ValueError, match="num_channels must be divisible by num_groups"):
        nn.GroupNorm(3, 4)


def test_batchnorm_dtype_conversion_keeps_counter(device):
    m = nn.BatchNorm1d(2, device=device).double()
    assert m.weight.dtype is tnn.float64 and m.running_mean.dtype is tnn.float64
    assert m.num_batches_tracked.dtype is tnn.int64
    m(_x((3, 2), device, dtype=tnn.float64))
    assert m.num_batches_tracked.item() == 1
