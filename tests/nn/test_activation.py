"""Activations (tnn.nn.functional) against the NumPy float64 reference (tnn.reference.activation):
forward and gradient of every op over shapes with 1 and prime sizes, strided inputs and gradients,
fp32 / fp16 / bf16 / fp64 and each option; values and gradients AT the breakpoints (torch's
conventions, listed in the reference's docstring); in-place variants (values, aliasing, version
counters, grad_fn names, torch's refusals); GLU and PReLU (per-channel and single weight, the
deterministic weight gradient); integer relu, 0-d and empty tensors and torch's error messages.

Parameters in the property tests are exactly representable in float32, so the kernels (which
compute fp16/bf16/fp32 in float32, as torch) and the float64 reference compare the same numbers."""
import math

import numpy as np
import pytest
from hypothesis import given, strategies as st

import tnn
import tnn.nn.functional as F
from tnn.reference import activation as ref
from tnn.runtime import dtypes as dt
from tnn.testing import assert_close, layouts, make_tensor, random_array, shapes, to_numpy

FLOATS = (dt.float32, dt.float16, dt.bfloat16, dt.float64)

# name -> list of keyword sets drawn by the property test
OPTIONS = {
    "relu": [{}], "relu6": [{}], "leaky_relu": [{}, {"negative_slope": 0.25}, {"negative_slope": -1.5}],
    "elu": [{}, {"alpha": 0.5}, {"alpha": 2.0}], "selu": [{}], "celu": [{}, {"alpha": 0.5}, {"alpha": 3.0}],
    "gelu": [{}, {"approximate": "tanh"}], "silu": [{}], "mish": [{}], "sigmoid": [{}], "logsigmoid": [{}],
    "tanh": [{}], "hardtanh": [{}, {"min_val": -2.0, "max_val": 0.5}], "hardsigmoid": [{}], "hardswish": [{}],
    "softplus": [{}, {"beta": 2.0, "threshold": 3.0}, {"beta": 0.5, "threshold": 1.0}], "softsign": [{}],
    "softshrink": [{}, {"lambd": 1.5}, {"lambd": 0.0}], "hardshrink": [{}, {"lambd": 1.25}], "tanhshrink": [{}],
    "threshold": [{"threshold": 0.5, "value": -2.0}, {"threshold": -1.0, "value": 3.0}],
    "rrelu": [{}, {"lower": 0.25, "upper": 0.5}],
}
GRAD_NAMES = {
    "relu": "ReluBackward0", "relu6": "HardtanhBackward0", "leaky_relu": "LeakyReluBackward0",
    "elu": "EluBackward0", "selu": "EluBackward0", "celu": "CeluBackward0", "gelu": "GeluBackward0",
    "silu": "SiluBackward0", "mish": "MishBackward0", "sigmoid": "SigmoidBackward0",
    "logsigmoid": "LogSigmoidBackward0", "tanh": "TanhBackward0", "hardtanh": "HardtanhBackward0",
    "hardsigmoid": "HardsigmoidBackward0", "hardswish": "HardswishBackward0", "softplus": "SoftplusBackward0",
    "softsign": "DivBackward0", "softshrink": "SoftshrinkBackward0", "hardshrink": "HardshrinkBackward0",
    "tanhshrink": "SubBackward0", "threshold": "ThresholdBackward0", "rrelu": "RreluWithNoiseBackward0",
}


def _f64(a):
    return np.asarray(a).astype(np.float64)


def _run(device, name, arr, kw, layout="contiguous", g_arr=None, g_layout="contiguous"):
    """(y, x.grad) of F.<name>(x, **kw) with the gradient g_arr (or None)."""
    x = make_tensor(arr, layout, device, requires_grad=True)
    y = getattr(F, name)(x, **kw)
    if g_arr is None:
        return y, None
    y.backward(make_tensor(g_arr, g_layout, device))
    return y, x.grad


def _check(device, name, arr, kw, layout="contiguous", g_layout="contiguous", seed=0, exact=False):
    d = dt.from_numpy(arr.dtype)
    g_arr = random_array(d, arr.shape, seed + 1, -2, 2)
    y, dx = _run(device, name, arr, kw, layout, g_arr, g_layout)
    assert y.dtype is d and dx.dtype is d and tuple(dx.shape) == arr.shape
    assert y.grad_fn.name() == GRAD_NAMES[name]
    tol = {"rtol": 0, "atol": 0} if exact else {}
    assert_close(y.detach(), getattr(ref, name)(_f64(arr), **kw), dtype=d, **tol)
    (dx_ref,) = getattr(ref, name + "_backward")(_f64(g_arr), _f64(arr), **kw)
    assert_close(dx, dx_ref, dtype=d, **tol)


# ------------------------------------------------------------------------------ properties
@pytest.mark.parametrize("name", sorted(OPTIONS))
@given(data=st.data())
def test_activation_matches_reference(device, name, data):
    kw = data.draw(st.sampled_from(OPTIONS[name]))
    shape = data.draw(shapes(min_dims=0, max_dims=4, max_size=17, max_numel=2048))
    dtype = data.draw(st.sampled_from(FLOATS))
    layout = data.draw(layouts())
    g_layout = data.draw(st.sampled_from(["contiguous", "transposed", "offset"]))
    seed = data.draw(st.integers(0, 2**31))
    arr = random_array(dtype, shape, seed, -7.0, 7.0)
    _check(device, name, arr, kw, layout, g_layout, seed)


@given(st.data())
def test_glu_matches_reference(device, data):
    shape = list(data.draw(shapes(min_dims=1, max_dims=4, max_size=13, max_numel=1024)))
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    shape[dim] *= 2
    dtype = data.draw(st.sampled_from(FLOATS))
    layout = data.draw(layouts())
    seed = data.draw(st.integers(0, 2**31))
    arr = random_array(dtype, tuple(shape), seed, -6, 6)
    x = make_tensor(arr, layout, device, requires_grad=True)
    y = F.glu(x, dim)
    assert y.grad_fn.name() == "GluBackward0"
    assert_close(y.detach(), ref.glu(_f64(arr), dim), dtype=dtype)
    g = random_array(dtype, tuple(y.shape), seed + 1)
    y.backward(make_tensor(g, data.draw(layouts()), device))
    assert_close(x.grad, ref.glu_backward(_f64(g), _f64(arr), dim)[0], dtype=dtype)


@given(st.data())
def test_prelu_matches_reference(device, data):
    shape = data.draw(shapes(min_dims=0, max_dims=4, max_size=13, max_numel=1024))
    per_channel = len(shape) >= 2 and data.draw(st.booleans())
    wshape = (shape[1],) if per_channel else data.draw(st.sampled_from([(1,), ()]))
    dtype = data.draw(st.sampled_from(FLOATS))
    layout = data.draw(layouts())
    need = data.draw(st.sampled_from([(True, True), (True, False), (False, True)]))
    seed = data.draw(st.integers(0, 2**31))
    arr = random_array(dtype, shape, seed, -5, 5)
    w_arr = random_array(dtype, wshape, seed + 1, -1, 1)
    x = make_tensor(arr, layout, device, requires_grad=need[0])
    w = make_tensor(w_arr, "strided" if wshape and wshape[0] > 1 else "contiguous", device, requires_grad=need[1])
    y = F.prelu(x, w)
    assert_close(y.detach(), ref.prelu(_f64(arr), _f64(w_arr)), dtype=dtype)
    assert y.grad_fn.name() == "PreluKernelBackward0"
    g = random_array(dtype, shape, seed + 2)
    y.backward(make_tensor(g, data.draw(layouts()), device))
    dx, dw = ref.prelu_backward(_f64(g), _f64(arr), _f64(w_arr))
    reduce_len = max(1, int(np.prod(shape)) // max(1, w_arr.size))
    if need[0]:
        assert_close(x.grad, dx, dtype=dtype)
    else:
        assert x.grad is None
    if need[1]:
        assert w.grad.dtype is dtype and tuple(w.grad.shape) == wshape
        assert_close(w.grad, dw, dtype=dtype, reduce_len=reduce_len)
    else:
        assert w.grad is None


# ------------------------------------------------------------------------------ breakpoints
# name, kwargs, points where the piecewise definition switches (plus neighbours)
BREAKPOINTS = [
    ("relu", {}, [0.0, -0.0]),
    ("relu6", {}, [0.0, 6.0]),
    ("hardtanh", {}, [-1.0, 1.0]),
    ("hardtanh", {"min_val": -2.0, "max_val": 0.5}, [-2.0, 0.5]),
    ("leaky_relu", {"negative_slope": 0.25}, [0.0]),
    ("elu", {"alpha": 2.0}, [0.0]),
    ("selu", {}, [0.0]),
    ("celu", {"alpha": 0.5}, [0.0]),
    ("hardsigmoid", {}, [-3.0, 3.0]),
    ("hardswish", {}, [-3.0, 3.0]),
    ("softshrink", {"lambd": 0.5}, [-0.5, 0.5]),
    ("hardshrink", {"lambd": 0.5}, [-0.5, 0.5]),
    ("threshold", {"threshold": 0.5, "value": -2.0}, [0.5]),
    ("softplus", {"beta": 2.0, "threshold": 3.0}, [1.5]),
    ("rrelu", {}, [0.0]),
]


@pytest.mark.parametrize("name,kw,points", BREAKPOINTS, ids=lambda v: v if isinstance(v, str) else "")
@pytest.mark.parametrize("dtype", [dt.float32, dt.float64])
def test_values_and_gradients_at_breakpoints(device, name, kw, points, dtype):
    """torch's values and gradient conventions at (and just either side of) each breakpoint: a
    wrong branch is off by far more than the tolerance. Neighbours are the adjacent float32 values
    (+-2^-20 around 0, to stay clear of denormals)."""
    xs = []
    for p in points:
        lo, hi = ((-2.0 ** -20, 2.0 ** -20) if p == 0 else
                  (np.nextafter(np.float32(p), np.float32(-np.inf)), np.nextafter(np.float32(p), np.float32(np.inf))))
        xs += [p, lo, hi]
    arr = np.array(xs, dtype=dtype.np)
    g = np.linspace(0.5, 1.5, arr.size).astype(dtype.np)
    y, dx = _run(device, name, arr, kw, g_arr=g)
    assert_close(y.detach(), getattr(ref, name)(_f64(arr), **kw))
    assert_close(dx, getattr(ref, name + "_backward")(_f64(g), _f64(arr), **kw)[0])


def test_breakpoint_conventions_spelled_out(device):
    """The conventions themselves, written down as numbers (gradient with dy = 1)."""
    def grad_at(name, x, **kw):
        return float(_run(device, name, np.array([x], np.float32), kw, g_arr=np.ones(1, np.float32))[1][0])
    assert grad_at("relu", 0.0) == 0.0
    assert grad_at("leaky_relu", 0.0, negative_slope=0.25) == 0.25
    assert grad_at("hardtanh", -1.0) == 0.0 and grad_at("hardtanh", 1.0) == 0.0 and grad_at("hardtanh", 0.0) == 1.0
    assert grad_at("relu6", 0.0) == 0.0 and grad_at("relu6", 6.0) == 0.0
    assert grad_at("elu", 0.0, alpha=2.0) == 2.0
    assert grad_at("hardsigmoid", -3.0) == 0.0 and grad_at("hardsigmoid", 3.0) == 0.0
    assert grad_at("hardswish", -3.0) == -0.5 and grad_at("hardswish", 3.0) == 1.5
    assert grad_at("softshrink", 0.5) == 0.0 and grad_at("hardshrink", -0.5) == 0.0
    assert grad_at("threshold", 0.5, threshold=0.5, value=-2.0) == 0.0
    w = tnn.tensor([0.25], device=device, requires_grad=True)
    x = tnn.tensor([0.0], device=device, requires_grad=True)
    F.prelu(x, w).backward(tnn.ones(1, device=device))
    assert float(x.grad[0]) == 0.25 and float(w.grad[0]) == 0.0


# ------------------------------------------------------------------------------ in-place variants
def _nonleaf(device, arr):
    """(leaf, h): h = hardtanh(leaf, -100, 100), an identity with gradient 1 that is not a leaf."""
    leaf = tnn.tensor(arr, device=device, requires_grad=True)
    return leaf, F.hardtanh(leaf, -100.0, 100.0)


INPLACE = [
    (F.relu_, {}, "relu", {}, "ReluBackward0"),
    (F.relu, {"inplace": True}, "relu", {}, "ReluBackward0"),
    (F.relu6, {"inplace": True}, "relu6", {}, "HardtanhBackward1"),
    (F.hardtanh_, {"min_val": -0.5, "max_val": 2.0}, "hardtanh", {"min_val": -0.5, "max_val": 2.0},
     "HardtanhBackward1"),
    (F.leaky_relu_, {"negative_slope": 0.25}, "leaky_relu", {"negative_slope": 0.25}, "LeakyReluBackward1"),
    (F.elu_, {"alpha": 1.5}, "elu", {"alpha": 1.5}, "EluBackward1"),
    (F.selu_, {}, "selu", {}, "EluBackward1"),
    (F.celu_, {"alpha": 0.5}, "celu", {"alpha": 0.5}, "CeluBackward1"),
    (F.threshold_, {"threshold": 0.5, "value": 0.25}, "threshold", {"threshold": 0.5, "value": 0.25},
     "ThresholdBackward1"),
    (F.silu, {"inplace": True}, "silu", {}, "SiluBackward0"),
    (F.mish, {"inplace": True}, "mish", {}, "MishBackward0"),
    (F.hardsigmoid, {"inplace": True}, "hardsigmoid", {}, "HardsigmoidBackward0"),
    (F.hardswish, {"inplace": True}, "hardswish", {}, "HardswishBackward0"),
    (F.rrelu_, {}, "rrelu", {}, "RreluWithNoiseBackward1"),
]


@pytest.mark.parametrize("fn,kw,name,ref_kw,grad_name", INPLACE, ids=[c[2] + str(i) for i, c in enumerate(INPLACE)])
def test_inplace_variants(device, fn, kw, name, ref_kw, grad_name):
    arr = np.array([[-4.0, -3.0, -0.5, 0.0], [0.25, 0.5, 2.0, 7.0]], np.float32)
    g = np.linspace(-1, 1, 8).reshape(2, 4).astype(np.float32)
    leaf, h = _nonleaf(device, arr)
    v = h._version
    y = fn(h, **kw)
    assert y is h and h._version > v and y.grad_fn.name() == grad_name
    assert_close(y.detach(), ref.__dict__[name](_f64(arr), **ref_kw))
    y.backward(tnn.tensor(g, device=device))
    expected = ref.__dict__[name + "_backward"](_f64(g), _f64(arr), **ref_kw, inplace=True)[0]
    assert_close(leaf.grad, expected)
    # a strided view is written in place (its base sees the change)
    both = np.zeros((2, 8), np.float32)
    both[:, ::2], both[:, 1::2] = arr, arr
    base = tnn.tensor(both, device=device)
    fn(base[:, ::2], **kw)
    assert_close(base[:, ::2], ref.__dict__[name](_f64(arr), **ref_kw))
    assert_close(base[:, 1::2], arr)
    with tnn.no_grad():
        assert fn(tnn.tensor(arr, device=device), **kw).grad_fn is None


def test_threshold_inplace_gradient_tests_the_result(device):
    """torch's threshold_ backward reads the result: with value > threshold the replaced entries pass
    the gradient (ThresholdBackward1); the out-of-place op blocks them."""
    arr = np.array([-1.0, 0.0, 2.0], np.float32)
    leaf, h = _nonleaf(device, arr)
    F.threshold_(h, 0.5, 1.0).backward(tnn.ones(3, device=device))
    assert to_numpy(leaf.grad).tolist() == [1.0, 1.0, 1.0]
    x = tnn.tensor(arr, device=device, requires_grad=True)
    F.threshold(x, 0.5, 1.0).backward(tnn.ones(3, device=device))
    assert to_numpy(x.grad).tolist() == [0.0, 0.0, 1.0]


def test_inplace_errors(device):
    x = tnn.tensor([1.0, -1.0], device=device, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
        F.relu_(x)
    _, h = _nonleaf(device, np.array([1.0, -1.0], np.float32))
    y = F.leaky_relu_(h, -0.5)
    with pytest.raises(RuntimeError, match="In-place leakyReLu backward calculation is triggered with a negative"):
        y.backward(tnn.ones(2, device=device))
    _, h = _nonleaf(device, np.array([1.0, -1.0], np.float32))
    y = F.elu_(h, -0.5)
    with pytest.raises(RuntimeError, match="In-place elu backward calculation is triggered with a negative slope"):
        y.backward(tnn.ones(2, device=device))
    with pytest.raises(RuntimeError, match="more than one element of the written-to tensor"):
        F.relu_(tnn.ones(1, device=device).expand(3))


def test_saved_tensor_modified_in_place(device):
    """sigmoid saves its output and gelu its input: changing either in place makes backward refuse."""
    x = tnn.tensor([0.5, -1.0], device=device, requires_grad=True)
    y = F.sigmoid(x)
    F.relu_(y)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward(tnn.ones(2, device=device))
    _, h = _nonleaf(device, np.array([0.5, -1.0], np.float32))
    y = F.gelu(h)
    F.relu_(h)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward(tnn.ones(2, device=device))


# ------------------------------------------------------------------------------ named edge cases
def test_gelu_erf_accuracy(device):
    """gelu('none') needs erf: tl.math.erf (libdevice on the GPU, NumPy's under the interpreter)."""
    arr = np.linspace(-6, 6, 1001)
    y = F.gelu(tnn.tensor(arr, device=device))
    np.testing.assert_allclose(to_numpy(y), ref.gelu(arr), rtol=1e-14, atol=1e-15)
    y32 = F.gelu(tnn.tensor(arr.astype(np.float32), device=device))
    np.testing.assert_allclose(to_numpy(y32), ref.gelu(arr.astype(np.float32).astype(np.float64)), rtol=1e-6,
                               atol=1e-7)
    nz = arr != 0
    erf = np.vectorize(math.erf)(arr[nz] / math.sqrt(2))
    np.testing.assert_allclose(2 * to_numpy(y)[nz] / arr[nz] - 1, erf, atol=1e-13)


def test_extreme_inputs(device):
    """Large |x|: no overflow to NaN in sigmoid/logsigmoid/softplus/mish/silu/tanh/gelu/elu."""
    arr = np.array([-1e4, -100.0, -30.0, 30.0, 100.0, 1e4], np.float32)
    g = np.ones_like(arr)
    for name in ("sigmoid", "logsigmoid", "softplus", "mish", "tanh", "gelu", "elu", "selu", "softsign",
                 "tanhshrink", "hardswish"):
        y, dx = _run(device, name, arr, {}, g_arr=g)
        assert_close(y.detach(), getattr(ref, name)(_f64(arr)), msg=name)
        assert_close(dx, getattr(ref, name + "_backward")(_f64(g), _f64(arr))[0], msg=name)


def test_nan_propagates(device):
    arr = np.array([np.nan, 1.0], np.float32)
    for name in ("relu", "hardtanh", "relu6", "leaky_relu", "elu", "gelu", "silu", "sigmoid", "tanh",
                 "hardsigmoid", "hardswish", "softplus", "softshrink", "hardshrink", "threshold"):
        kw = {"threshold": 0.0, "value": 0.0} if name == "threshold" else {}
        y = to_numpy(getattr(F, name)(tnn.tensor(arr, device=device), **kw))
        assert np.isnan(y[0]), name


def test_integer_relu_and_float_only_ops(device):
    x = tnn.tensor([-3, 0, 5], device=device)
    y = F.relu(x)
    assert y.dtype is tnn.int64 and to_numpy(y).tolist() == [0, 0, 5]
    F.relu_(x)
    assert to_numpy(x).tolist() == [0, 0, 5]
    for name in ("gelu", "sigmoid", "elu", "leaky_relu", "hardtanh", "silu", "softplus"):
        with pytest.raises(RuntimeError, match="not implemented for 'Long'"):
            getattr(F, name)(x)
    with pytest.raises(RuntimeError, match="not implemented for 'Bool'"):
        F.relu(tnn.tensor([True], device=device))


@pytest.mark.parametrize("name", ["relu", "gelu", "sigmoid", "hardswish", "softplus"])
def test_zero_dim_and_empty(device, name):
    for arr in (np.array(-1.5, np.float32), np.zeros((0, 3), np.float32)):
        g = np.ones_like(arr)
        y, dx = _run(device, name, arr, {}, g_arr=g)
        assert tuple(y.shape) == arr.shape and tuple(dx.shape) == arr.shape
        assert_close(dx, getattr(ref, name + "_backward")(_f64(g), _f64(arr))[0])
    w = tnn.tensor([0.5, 0.25, 1.0], device=device, requires_grad=True)
    x = tnn.zeros(0, 3, 2, device=device, requires_grad=True)
    F.prelu(x, w).backward(tnn.zeros(0, 3, 2, device=device))
    assert to_numpy(w.grad).tolist() == [0.0, 0.0, 0.0] and tuple(x.grad.shape) == (0, 3, 2)


def test_errors(device):
    x = tnn.ones(2, 3, device=device)
    with pytest.raises(TypeError, match="relu\\(\\): argument 'input' \\(position 1\\) must be Tensor, not list"):
        F.relu([1.0])
    with pytest.raises(RuntimeError, match="approximate argument must be either none or tanh."):
        F.gelu(x, approximate="fast")
    with pytest.raises(RuntimeError, match="lambda must be greater or equal to 0, but found to be -0.5."):
        F.softshrink(x, -0.5)
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        F.celu(x, 0.0)
    with pytest.raises(RuntimeError, match="Halving dimension must be even, but dimension 1 is size 3"):
        F.glu(x)
    with pytest.raises(RuntimeError, match="glu does not support scalars because halving size must be even"):
        F.glu(tnn.tensor(1.0, device=device))
    with pytest.raises(IndexError, match="Dimension out of range"):
        F.glu(x, 2)
    with pytest.raises(RuntimeError, match="Mismatch of parameter numbers and input channel size. Found parameter "
                                           "numbers = 2 and channel size = 3."):
        F.prelu(x, tnn.ones(2, device=device))
    with pytest.raises(RuntimeError, match="prelu: Type promoting not supported. Got Float and Double"):
        F.prelu(x, tnn.ones(3, device=device, dtype=tnn.float64))
    with pytest.raises(RuntimeError, match="Not allow zero-dim input tensor."):
        F.prelu(tnn.tensor(1.0, device=device), tnn.ones(3, device=device))
    with pytest.raises(RuntimeError, match="Expected `weight` to be a scalar or 1D tensor, but got: ndim = 2"):
        F.prelu(x, tnn.ones(1, 1, device=device))
    with pytest.raises(RuntimeError, match="Lower bound should be less than or equal to the upper bound"):
        F.rrelu(x, 0.5, 0.25, training=True)  # training mode itself: tests/nn/test_rrelu.py


# ------------------------------------------------------------------------------ the reference itself
def _fd(f, x, g, eps=1e-6):
    fd = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[i] += eps
        xm[i] -= eps
        fd[i] = ((f(xp) - f(xm)) * g).sum() / (2 * eps)
    return fd


@pytest.mark.parametrize("name", sorted(OPTIONS))
def test_reference_backward_matches_finite_differences(name):
    rng = np.random.default_rng(1)
    x = rng.uniform(-5, 5, size=(4, 6))
    x = np.where(np.abs(np.abs(x) - 3) < 0.05, x + 0.1, x)  # keep off the breakpoints (+-3, +-1, ...)
    g = rng.normal(size=x.shape)
    for kw in OPTIONS[name]:
        (dx,) = getattr(ref, name + "_backward")(g, x, **kw)
        fd = _fd(lambda v: getattr(ref, name)(v, **kw), x, g)
        np.testing.assert_allclose(dx, fd, rtol=1e-5, atol=1e-6, err_msg=f"{name} {kw}")


def test_reference_glu_prelu_finite_differences():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(2, 4, 3))
    g = rng.normal(size=(2, 2, 3))
    np.testing.assert_allclose(ref.glu_backward(g, x, 1)[0], _fd(lambda v: ref.glu(v, 1), x, g), atol=1e-7)
    w = rng.normal(size=4)
    g = rng.normal(size=x.shape)
    dx, dw = ref.prelu_backward(g, x, w)
    np.testing.assert_allclose(dx, _fd(lambda v: ref.prelu(v, w), x, g), atol=1e-7)
    np.testing.assert_allclose(dw, _fd(lambda v: ref.prelu(x, v), w, g), atol=1e-7)
