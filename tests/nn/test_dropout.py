"""F.dropout / dropout1d / dropout2d / dropout3d / alpha_dropout / feature_alpha_dropout.

Exact: tnn.reference.dropout recomputes the Philox masks in NumPy from the (seed, offset) each call
reserves, so forward and backward are compared element for element over shapes, dtypes, p and
strided inputs. Statistical: the kept fraction is within a binomial bound of 1 - p, kept values
are scaled by 1/(1-p), alpha dropout keeps mean 0 / variance 1. Plus: the backward mask is the
forward mask (regenerated, never stored), manual_seed reproduces, consecutive calls differ, the
generator advances by one counter per element (per channel), training/inplace flags, p = 0 / 1,
torch's warnings and errors."""
import importlib
import warnings

import numpy as np
import pytest
from hypothesis import given, strategies as st

import tnn
import tnn.nn.functional as F
from tnn.runtime import dtypes as dt
from tnn.testing import assert_close, layouts, make_tensor, random_array, shapes

ref = importlib.import_module("tnn.reference.dropout")
gen = tnn.ops.random.default_generator
FLOATS = (dt.float32, dt.float16, dt.bfloat16, dt.float64)


def _channels(name, shape):
    """Draws of the channel-wise forms: N*C, or C for dropout1d's 2-D / dropout3d's 4-D input."""
    if name == "dropout" or name == "alpha_dropout":
        return None
    if (name == "dropout1d" and len(shape) == 2) or (name == "dropout3d" and len(shape) == 4):
        return shape[0]
    return shape[0] * shape[1]


def _reference(name, arr, p, seed, offset, grad=None):
    channels = _channels(name, arr.shape)
    alpha = "alpha" in name
    base = ("feature_" if channels is not None else "") + ("alpha_dropout" if alpha else "dropout")
    kw = dict(seed=seed, offset=offset)
    if channels is not None:
        kw["channels"] = channels
    if grad is None:
        return getattr(ref, base)(arr, p, True, **kw)
    return getattr(ref, base + "_backward")(grad, arr, p, True, **kw)


_RANKS = {"dropout": (0, 4), "alpha_dropout": (0, 4), "dropout1d": (2, 3), "dropout2d": (3, 4),
          "dropout3d": (4, 5), "feature_alpha_dropout": (2, 4)}


# ------------------------------------------------------------------------------ exact masks
@pytest.mark.filterwarnings("ignore:dropout")
@given(st.data())
def test_masks_match_reference_philox(device, data):
    name = data.draw(st.sampled_from(sorted(_RANKS)))
    lo, hi = _RANKS[name]
    shape = data.draw(shapes(min_dims=lo, max_dims=hi, max_size=13, max_numel=2048))
    dtype = data.draw(st.sampled_from(FLOATS))
    p = data.draw(st.sampled_from([0.1, 0.5, 0.75, 1 / 3]))
    layout, g_layout = data.draw(layouts()), data.draw(layouts())
    seed = data.draw(st.integers(0, 2**31))
    arr = random_array(dtype, shape, seed)
    x = make_tensor(arr, layout, device, requires_grad=True)
    tnn.manual_seed(seed)
    gen.set_offset(data.draw(st.sampled_from([0, 2**32 - 7, 12345])))
    s, off = gen.initial_seed(), gen.get_offset()
    y = getattr(F, name)(x, p, True)
    assert y.dtype is dtype and tuple(y.shape) == shape
    assert_close(y.detach(), _reference(name, arr, p, s, off))
    draws = _channels(name, shape)
    assert gen.get_offset() == off + (arr.size if draws is None else draws)
    g = random_array(dtype, shape, seed + 1)
    y.backward(make_tensor(g, g_layout, device))
    assert_close(x.grad, _reference(name, arr, p, s, off, grad=g))


def test_reference_philox_matches_kernel_bits(device):
    """The NumPy Philox reproduces the kernel's draws exactly, so masks agree bit for bit."""
    tnn.manual_seed(2**63 + 5)   # a seed above 2**63: the kernel sees it as a negative int64
    off = gen.get_offset()
    y = F.dropout(tnn.ones(4099, device=device), 0.5)
    keep = ref.dropout_mask((4099,), 0.5, gen.initial_seed(), off)
    np.testing.assert_array_equal(y.numpy() != 0, keep)


# ------------------------------------------------------------------------------ statistics
@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
@pytest.mark.parametrize("dtype", [dt.float32, dt.float16])
def test_kept_fraction_and_scale(device, p, dtype):
    n = 200_000
    y = F.dropout(tnn.ones(n, dtype=dtype, device=device), p).numpy().astype(np.float64)
    kept = y != 0
    frac = kept.mean()
    sigma = np.sqrt(p * (1 - p) / n)
    assert abs(frac - (1 - p)) < 5 * sigma, (frac, 1 - p)
    np.testing.assert_array_equal(np.unique(y[kept]), [float(np.asarray(1 / (1 - p), dtype.np))])


def test_channel_fraction(device):
    y = F.dropout2d(tnn.ones(400, 50, 2, 3, device=device), 0.3).numpy()
    per_channel = y.reshape(20000, 6)
    assert (per_channel == per_channel[:, :1]).all()       # one draw per (n, c)
    frac = (per_channel[:, 0] != 0).mean()
    assert abs(frac - 0.7) < 5 * np.sqrt(0.21 / 20000)


def test_alpha_dropout_keeps_mean_and_variance(device):
    tnn.manual_seed(0)
    x = tnn.randn(200_000, device=device)
    y = F.alpha_dropout(x, 0.2, training=True).numpy()
    assert abs(y.mean()) < 0.02 and abs(y.std() - 1.0) < 0.02
    a = 1 / np.sqrt((ref.ALPHA ** 2 * 0.2 + 1) * 0.8)
    dropped = y == np.float32(ref.ALPHA * a * (0.2 - 1))     # the saturation value, after the affine map
    assert abs(dropped.mean() - 0.2) < 5 * np.sqrt(0.16 / y.size)


# ------------------------------------------------------------------------------ mask semantics
def test_backward_regenerates_the_forward_mask(device):
    x = tnn.ones(64, 33, device=device, requires_grad=True)
    y = F.dropout(x, 0.4)
    assert y.grad_fn.name() == "NativeDropoutBackward0"
    gen.set_offset(gen.get_offset() + 1000)   # later draws must not change this node's mask
    F.dropout(tnn.ones(10, device=device), 0.5)
    y.backward(tnn.ones(64, 33, device=device))
    np.testing.assert_array_equal(x.grad.numpy(), y.detach().numpy())


def test_reproducible_with_manual_seed_and_calls_differ(device):
    x = tnn.ones(1000, device=device)
    tnn.manual_seed(7)
    a, b = F.dropout(x).numpy(), F.dropout(x).numpy()
    tnn.manual_seed(7)
    a2 = F.dropout(x).numpy()
    np.testing.assert_array_equal(a, a2)
    assert not np.array_equal(a, b)


def test_layout_does_not_change_the_mask(device):
    arr = random_array(dt.float32, (9, 7), 1)
    outs = []
    for layout in ("contiguous", "transposed", "strided"):
        tnn.manual_seed(3)
        outs.append(F.dropout(make_tensor(arr, layout, device), 0.5).numpy())
    np.testing.assert_array_equal(outs[0], outs[1])
    np.testing.assert_array_equal(outs[0], outs[2])


# ------------------------------------------------------------------------------ flags and edge cases
def test_identity_when_not_training_or_p_zero(device):
    x = tnn.ones(3, 4, device=device)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    assert F.dropout2d(tnn.ones(2, 3, 4, 5, device=device), 0.5, False).shape == (2, 3, 4, 5)
    assert F.alpha_dropout(x, 0.5) is x              # alpha_dropout's training defaults to False
    assert F.feature_alpha_dropout(x, 0.5) is x
    e = tnn.ones(0, 3, device=device)
    assert F.dropout(e, 0.5) is e


def test_p_one_gives_zeros_and_zero_gradient(device):
    for fn in (F.dropout, F.alpha_dropout, F.dropout2d):
        x = tnn.full((2, 3, 4), 5.0, device=device, requires_grad=True)
        y = fn(x, 1.0, True) if fn is not F.dropout2d else fn(x.unsqueeze(0), 1.0, True)
        np.testing.assert_array_equal(y.detach().numpy(), 0)
        y.sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), 0)


def test_inplace(device):
    base = tnn.ones(6, 5, device=device, requires_grad=True)
    x = base.sum(1)                                     # a non-leaf (6,) of fives
    t = tnn.ones(6, 5, device=device)
    v = t._version
    r = F.dropout(t, 0.5, inplace=True)
    assert r is t and t._version > v and set(np.unique(t.numpy())) <= {0.0, 2.0}
    leaf = tnn.ones(3, device=device, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        F.dropout(leaf, 0.5, inplace=True)
    np.testing.assert_array_equal(leaf.detach().numpy(), 1.0)   # raised before any write
    y = F.dropout(x, 0.5, inplace=True)   # a non-leaf mutated in place: its gradient goes through the mask
    assert y is x and y.grad_fn.name() == "NativeDropoutBackward0"
    y.sum().backward()
    np.testing.assert_array_equal(base.grad.numpy(), np.repeat(x.detach().numpy()[:, None] / 5, 5, 1))
    with pytest.raises(RuntimeError, match="more than one element of the written-to tensor"):
        F.dropout(tnn.ones(1, 3, device=device).expand(4, 3), 0.5, inplace=True)


def test_channel_forms_shapes_and_names(device):
    x = tnn.ones(3, 4, 5, device=device, requires_grad=True)
    y = F.dropout1d(x, 0.5)
    assert y.grad_fn.name() == "MulBackward0"
    a = y.detach().numpy()
    assert (a == a[..., :1]).all()
    u = F.dropout1d(tnn.ones(4, 5, device=device), 0.5).numpy()   # unbatched (C, L)
    assert (u == u[:, :1]).all()
    v = F.dropout3d(tnn.ones(4, 2, 3, 5, device=device), 0.5).numpy()   # unbatched (C, D, H, W)
    assert (v.reshape(4, -1) == v.reshape(4, -1)[:, :1]).all()
    assert F.feature_alpha_dropout(x, 0.5, True).grad_fn.name() == "AddBackward0"


def test_warnings(device):
    with pytest.warns(UserWarning, match="dropout2d: Received a 3D input to dropout2d and assuming"):
        F.dropout2d(tnn.ones(2, 3, 4, device=device), 0.5)
    with pytest.warns(UserWarning, match="dropout2d: Received a 2-D input to dropout2d, which is deprecated"):
        F.dropout2d(tnn.ones(2, 3, device=device), 0.5)
    with pytest.warns(UserWarning, match="dropout3d: Received a 3-D input to dropout3d, which is deprecated"):
        F.dropout3d(tnn.ones(2, 3, 4, device=device), 0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.dropout2d(tnn.ones(2, 3, 4, 4, device=device), 0.5)
        F.dropout3d(tnn.ones(2, 3, 4, 4, device=device), 0.5)


def test_errors(device):
    x = tnn.ones(2, 3, device=device)
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got 1.5"):
        F.dropout(x, 1.5)
    with pytest.raises(ValueError, match="but got -0.1"):
        F.dropout2d(x, -0.1)
    with pytest.raises(RuntimeError, match="dropout1d: Expected 2D or 3D input, but received a 4D input"):
        F.dropout1d(tnn.ones(1, 2, 3, 4, device=device))
    with pytest.raises(RuntimeError, match="Feature dropout requires at least 2 dimensions in the input"):
        with pytest.warns(UserWarning):
            F.dropout2d(tnn.ones(3, device=device))
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        F.dropout(tnn.ones(3, dtype=tnn.int64, device=device))
    with pytest.raises(TypeError, match="must be Tensor"):
        F.dropout(np.ones(3))
