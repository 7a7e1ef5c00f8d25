"""Training-mode RReLU (F.rrelu / F.rrelu_ with training=True, nn.RReLU in train mode).

The slopes come from tnn's Philox generator: element i (row-major logical index) of a call that
reserved counters from ``offset`` gets lower + (upper - lower) * U_i, where U_i is exactly what
``tnn.rand`` (float32; float64 for float64 inputs) draws from the same (seed, offset). So after
``tnn.manual_seed(s)`` the slopes of the first call are recomputed here with tnn.rand and fed to the
float64 reference ``ref.rrelu_with_noise`` -- forward and gradient are then checked exactly like a
deterministic op. Separately: the slopes' distribution (range, Kolmogorov-Smirnov statistic against
U(lower, upper), computed with NumPy), fresh draws per call, reproducibility, backward regenerating
the same slopes, torch's x <= 0 rule at signed zeros / NaN / infinities, in place, empty tensors,
errors, and the reference's own gradient by finite differences."""
import inspect

import numpy as np
import pytest
from hypothesis import given, strategies as st

import tnn
import tnn.nn as nn
import tnn.nn.functional as F
from tnn.reference import activation as ref
from tnn.runtime import dtypes as dt
from tnn.testing import assert_close, layouts, make_tensor, random_array, shapes, to_numpy

from ..reference import fd

FLOATS = (dt.float32, dt.float16, dt.bfloat16, dt.float64)
BOUNDS = [(1.0 / 8, 1.0 / 3), (0.25, 0.5), (0.0, 1.0), (-0.5, 0.25), (0.375, 0.375)]


def _slopes(shape, dtype, seed, lower, upper):
    """The slopes of the first rrelu call after tnn.manual_seed(seed), recomputed with tnn.rand."""
    tnn.manual_seed(seed)
    u = to_numpy(tnn.rand(tuple(shape), dtype=tnn.float64 if dtype is dt.float64 else tnn.float32))
    return lower + (upper - lower) * u.astype(np.float64)


def _with_zeros(arr):
    flat = arr.reshape(-1)
    flat[::5] = 0  # torch's rule is x <= 0: zeros take the random slope (in value and gradient)
    return arr


# ------------------------------------------------------------------------------ property
@given(data=st.data())
def test_rrelu_training_matches_reference(device, data):
    shape = data.draw(shapes(min_dims=0, max_dims=4, max_size=17, max_numel=2048), label="shape")
    dtype = data.draw(st.sampled_from(FLOATS), label="dtype")
    layout = data.draw(layouts(), label="layout")
    g_layout = data.draw(st.sampled_from(["contiguous", "transposed", "offset"]), label="g_layout")
    lower, upper = data.draw(st.sampled_from(BOUNDS), label="bounds")
    inplace = data.draw(st.booleans(), label="inplace")
    seed = data.draw(st.integers(0, 2**64 - 1), label="seed")
    arr = _with_zeros(random_array(dtype, shape, seed % 1000, -2, 2))
    g_arr = random_array(dtype, shape, seed % 1000 + 1, -2, 2)
    noise = _slopes(shape, dtype, seed, lower, upper)

    leaf = make_tensor(arr, layout, device, requires_grad=True)
    x = leaf * 1 if inplace else leaf  # in place needs a non-leaf
    tnn.manual_seed(seed)
    y = F.rrelu(x, lower, upper, training=True, inplace=inplace)
    assert (y is x) == inplace and y.dtype is dtype and tuple(y.shape) == shape
    assert y.grad_fn.name() == ("RreluWithNoiseBackward1" if inplace else "RreluWithNoiseBackward0")
    a64 = arr.astype(np.float64)
    assert_close(y.detach(), ref.rrelu_with_noise(a64, noise, lower, upper, training=True), dtype=dtype)
    y.backward(make_tensor(g_arr, g_layout, device))
    dx_ref, none = ref.rrelu_with_noise_backward(g_arr.astype(np.float64), a64, noise, lower, upper, training=True)
    assert none is None
    assert_close(leaf.grad, dx_ref, dtype=dtype)


@pytest.mark.parametrize("layout", ["transposed", "strided", "offset"])
def test_rrelu_inplace_on_strided_views(device, layout):
    arr = _with_zeros(random_array(dt.float32, (5, 7), 3, -2, 2))
    x = make_tensor(arr, layout, device)
    tnn.manual_seed(11)
    y = F.rrelu_(x, 0.1, 0.4, training=True)
    assert y is x
    noise = _slopes((5, 7), dt.float32, 11, 0.1, 0.4)
    assert_close(x, ref.rrelu_with_noise(arr, noise, 0.1, 0.4, training=True), dtype=dt.float32)


# ------------------------------------------------------------------------------ the random slopes
def test_slopes_are_uniform_on_the_interval(device):
    lower, upper, n = 0.1, 0.4, 20000
    tnn.manual_seed(0)
    x = tnn.full((n,), -1.5, device=device)
    a = np.sort(to_numpy(F.rrelu(x, lower, upper, training=True)).astype(np.float64) / -1.5)
    assert a.min() >= lower and a.max() <= upper
    cdf = (a - lower) / (upper - lower)
    ks = max(np.max(np.arange(1, n + 1) / n - cdf), np.max(cdf - np.arange(n) / n))
    assert ks < 1.63 / np.sqrt(n), ks  # Kolmogorov-Smirnov at the 1% level (fixed seed: reproducible)
    assert abs(a.mean() - 0.25) < 0.005 and abs(a.var() - 0.09 / 12) < 0.0005
    b = to_numpy(F.rrelu(x, lower, upper, training=True)).astype(np.float64) / -1.5  # unsorted, next call
    assert abs(np.corrcoef(b[:-1], b[1:])[0, 1]) < 0.05  # neighbouring slopes independent


def test_slopes_fresh_per_call_and_reproducible(device):
    x = tnn.full((3, 50), -1.0, device=device)
    g = tnn.manual_seed(123)
    y1 = to_numpy(F.rrelu(x, training=True))
    assert g.get_offset() == 150  # one Philox counter per element, as dropout
    y2 = to_numpy(F.rrelu(x, training=True))
    assert not np.array_equal(y1, y2)
    tnn.manual_seed(123)
    np.testing.assert_array_equal(to_numpy(F.rrelu(x, training=True)), y1)
    np.testing.assert_array_equal(to_numpy(F.rrelu(x, training=True)), y2)
    # A transposed view of the same values draws per logical index: same result as contiguous.
    tnn.manual_seed(123)
    xt = tnn.full((50, 3), -1.0, device=device).T
    np.testing.assert_array_equal(to_numpy(F.rrelu(xt, training=True)), y1)


def test_backward_regenerates_the_forward_slopes(device):
    arr = random_array(dt.float32, (4, 33), 5, -2, 2)
    x = tnn.tensor(arr, device=device, requires_grad=True)
    y = F.rrelu(x, training=True)
    tnn.rand(100, device=device)  # other draws between forward and backward change nothing
    F.rrelu(tnn.tensor(arr, device=device), training=True)
    y.sum().backward()
    slopes = to_numpy(y.detach()) / arr
    np.testing.assert_allclose(to_numpy(x.grad), np.where(arr <= 0, slopes, 1.0), rtol=1e-6)
    # And a second backward through a retained graph gives the same gradient again.
    x.grad = None
    z = F.rrelu(x, training=True)
    (z * 2).sum().backward(retain_graph=True)
    first = to_numpy(x.grad).copy()
    x.grad = None
    (z * 2).sum().backward()
    np.testing.assert_array_equal(to_numpy(x.grad), first)


def test_zero_nan_inf_follow_torch(device):
    vals = np.array([0.0, -0.0, np.nan, 1.5, -1.0, np.inf, -np.inf], dtype=np.float32)
    x = tnn.tensor(vals, device=device, requires_grad=True)
    y = F.rrelu(x, 0.2, 0.3, training=True)
    out = to_numpy(y.detach())
    assert out[0] == 0 and out[1] == 0 and np.signbit(out[1]) and np.isnan(out[2])
    assert out[3] == 1.5 and 0.2 <= -out[4] <= 0.3 and out[5] == np.inf and out[6] == -np.inf
    y.backward(tnn.ones(7, device=device))
    d = to_numpy(x.grad)
    assert 0.2 <= d[0] <= 0.3 and 0.2 <= d[1] <= 0.3  # x <= 0 takes its slope, zeros included
    assert d[2] == 1 and d[3] == 1 and d[5] == 1  # NaN and positives pass (torch's noise = 1)
    assert d[4] == -out[4] and 0.2 <= d[6] <= 0.3


@pytest.mark.parametrize("dtype", [dt.float16, dt.bfloat16, dt.float64])
def test_low_precision_and_fp64(device, dtype):
    arr = random_array(dtype, (6, 11), 8, -3, 3)
    x = tnn.tensor(arr, device=device, requires_grad=True)
    tnn.manual_seed(77)
    y = F.rrelu(x, 0.125, 0.375, training=True)
    assert y.dtype is dtype
    noise = _slopes((6, 11), dtype, 77, 0.125, 0.375)
    a64 = np.asarray(arr, np.float64)
    assert_close(y, ref.rrelu_with_noise(a64, noise, 0.125, 0.375, training=True), dtype=dtype)
    y.sum().backward()
    dx_ref = ref.rrelu_with_noise_backward(np.ones((6, 11)), a64, noise, 0.125, 0.375, training=True)[0]
    assert_close(x.grad, dx_ref, dtype=dtype)


# ------------------------------------------------------------------------------ modes, in place, edges
def test_eval_mode_unchanged_and_draws_nothing(device):
    arr = random_array(dt.float32, (4, 5), 1, -2, 2)
    x = tnn.tensor(arr, device=device, requires_grad=True)
    g = tnn.manual_seed(5)
    y = F.rrelu(x, 0.1, 0.3)
    assert g.get_offset() == 0 and y.grad_fn.name() == "RreluWithNoiseBackward0"
    assert_close(y, ref.rrelu(arr.astype(np.float64), 0.1, 0.3), dtype=dt.float32)
    y.sum().backward()
    assert_close(x.grad, ref.rrelu_backward(np.ones((4, 5)), arr.astype(np.float64), 0.1, 0.3)[0],
                 dtype=dt.float32)


def test_inplace(device):
    arr = random_array(dt.float32, (3, 8), 2, -2, 2)
    leaf = tnn.tensor(arr, device=device, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
        F.rrelu_(leaf, training=True)
    np.testing.assert_array_equal(to_numpy(leaf.detach()), arr)  # refused before any write
    assert tnn.manual_seed(4).get_offset() == 0
    x = leaf * 1
    v = x._version
    y = F.rrelu_(x, training=True)
    assert y is x and x._version > v and y.grad_fn.name() == "RreluWithNoiseBackward1"
    y.sum().backward()
    noise = _slopes((3, 8), dt.float32, 4, 1.0 / 8, 1.0 / 3)
    assert_close(leaf.grad, ref.rrelu_with_noise_backward(np.ones((3, 8)), arr, noise, 1 / 8, 1 / 3, True)[0],
                 dtype=dt.float32)
    # A negative lower bound can flip signs: the input is kept for backward, and the gradient is right.
    leaf.grad = None
    tnn.manual_seed(4)
    y = F.rrelu(leaf * 1, -1.0, -0.5, training=True, inplace=True)
    y.sum().backward()
    noise = _slopes((3, 8), dt.float32, 4, -1.0, -0.5)
    assert_close(leaf.grad, np.where(arr <= 0, noise, 1.0), dtype=dt.float32)
    # In place on a leaf is allowed without grad (no graph), as torch.
    with tnn.no_grad():
        F.rrelu_(leaf, training=True)
    assert (to_numpy(leaf.detach())[arr < 0] > arr[arr < 0]).all()


def test_empty_and_scalar(device):
    x = tnn.zeros((0, 3), device=device, requires_grad=True)
    y = F.rrelu(x, training=True)
    assert tuple(y.shape) == (0, 3)
    y.sum().backward()
    assert tuple(x.grad.shape) == (0, 3)
    s = tnn.tensor(-2.0, device=device, requires_grad=True)
    tnn.manual_seed(9)
    out = F.rrelu(s, training=True)
    assert out.shape == () and 0.125 <= -out.item() / 2 <= 1 / 3
    out.backward()
    assert s.grad.item() == pytest.approx(-out.item() / 2)


def test_errors(device):
    x = tnn.ones(3, device=device)
    with pytest.raises(RuntimeError, match="Lower bound should be less than or equal to the upper bound"):
        F.rrelu(x, 0.4, 0.3, training=True)
    with pytest.raises(RuntimeError, match="Lower bound should be less than or equal to the upper bound"):
        F.rrelu_(x, 0.4, 0.3)
    with pytest.raises(RuntimeError, match="\"rrelu_with_noise_out_(cpu|cuda)\" not implemented for 'Long'"):
        F.rrelu(tnn.tensor([1, -2], device=device), training=True)
    with pytest.raises(TypeError, match="rrelu\\(\\): argument 'input' \\(position 1\\) must be Tensor, not list"):
        F.rrelu([1.0], training=True)
    with pytest.raises(ValueError, match="rrelu_with_noise"):
        ref.rrelu(np.ones(2), training=True)


def test_module_train_and_eval(device):
    m = nn.RReLU(0.1, 0.3)
    arr = random_array(dt.float32, (2, 3, 5), 6, -2, 2)
    x = tnn.tensor(arr, device=device, requires_grad=True)
    tnn.manual_seed(21)
    y = m(x)
    tnn.manual_seed(21)
    np.testing.assert_array_equal(to_numpy(y), to_numpy(F.rrelu(x, 0.1, 0.3, training=True)))
    y.sum().backward()
    noise = _slopes((2, 3, 5), dt.float32, 21, 0.1, 0.3)
    assert_close(x.grad, np.where(arr <= 0, noise, 1.0), dtype=dt.float32)
    m.eval()
    assert_close(m(x), np.where(arr > 0, arr, 0.2 * arr), dtype=dt.float32)
    mi = nn.RReLU(0.1, 0.3, inplace=True)
    z = tnn.tensor(arr, device=device)
    assert mi(z) is z


# ------------------------------------------------------------------------------ the reference itself
def test_reference_backward_matches_finite_differences():
    x = fd.away((4, 6), seed=3)
    noise = np.random.default_rng(4).uniform(0.1, 0.4, size=x.shape)
    g = fd.normal(x.shape, 5)
    for training in (True, False):
        bound = inspect.signature(ref.rrelu_with_noise).bind(x, noise, 0.1, 0.4, training)
        num = fd.numerical_vjp(ref.rrelu_with_noise, bound, ("input", None), g)
        dx, dn = ref.rrelu_with_noise_backward(g, x, noise, 0.1, 0.4, training)
        assert dn is None
        np.testing.assert_allclose(dx, num, rtol=1e-6, atol=1e-8)
