"""F.softmax / F.log_softmax / F.softmin against the NumPy float64 reference (tnn.reference.softmax):
forward and gradient along every dim of shapes with 1 and prime sizes, strided inputs and
gradients, fp32 / fp16 / bf16 / fp64 and the dtype= cast; the looped (online) path for rows longer
than one block; named edge cases (-inf entries and all -inf rows, +inf / NaN rows, 1e4 logits, a
70000-long row, 0-d and empty tensors, dim=None's legacy rule) and torch's error messages."""
import importlib
import warnings

import numpy as np
import pytest
from hypothesis import given, strategies as st

import tnn
import tnn.nn.functional as F
from tnn.kernels import softmax as K
from tnn.runtime import dtypes as dt
from tnn.testing import assert_close, layouts, make_tensor, random_array, shapes, to_numpy

# The module itself: tnn.reference's package namespace binds `softmax` to the function.
ref = importlib.import_module("tnn.reference.softmax")
FLOATS = (dt.float32, dt.float16, dt.bfloat16, dt.float64)
OPS = ("softmax", "log_softmax", "softmin")


def _check_op(device, name, arr, dim, layout="contiguous", dtype=None, g_layout="contiguous", seed=0):
    """Forward and gradient of F.<name> against the reference; returns the output."""
    x = make_tensor(arr, layout, device, requires_grad=arr.dtype.kind == "f" or arr.dtype == dt.bfloat16.np)
    y = getattr(F, name)(x, dim, dtype=dtype)
    out_dtype = dtype or x.dtype
    assert y.dtype is out_dtype and tuple(y.shape) == arr.shape
    n = arr.shape[dim] if arr.ndim else 1
    expected = getattr(ref, name)(arr, dim, dtype=dtype)
    assert_close(y.detach(), expected, dtype=out_dtype, reduce_len=n)
    if not x.requires_grad:
        return y
    g_arr = random_array(out_dtype, arr.shape, seed + 1)
    y.backward(make_tensor(g_arr, g_layout, device))
    (dx,) = getattr(ref, name + "_backward")(g_arr, arr, dim, dtype=dtype)
    assert x.grad.dtype is x.dtype and tuple(x.grad.shape) == arr.shape
    # the gradient is formed from the rounded output: scale the tolerance by the output dtype too
    tol_dtype = max((x.dtype, out_dtype), key=lambda d: dt_rank(d))
    assert_close(x.grad, dx, dtype=tol_dtype, reduce_len=4 * n)
    return y


def dt_rank(d):
    return {dt.float64: 0, dt.float32: 1, dt.float16: 2, dt.bfloat16: 3}[d]


# ------------------------------------------------------------------------------ properties
@given(st.data())
def test_softmax_family_matches_reference(device, data):
    name = data.draw(st.sampled_from(OPS))
    shape = data.draw(shapes(min_dims=1, max_dims=4, max_size=17, max_numel=1024))
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    dtype = data.draw(st.sampled_from(FLOATS))
    layout = data.draw(layouts())
    g_layout = data.draw(st.sampled_from(["contiguous", "transposed", "strided"]))
    seed = data.draw(st.integers(0, 2**31))
    arr = random_array(dtype, shape, seed, -6.0, 6.0)
    _check_op(device, name, arr, dim, layout, g_layout=g_layout, seed=seed)


@given(st.data())
def test_softmax_dtype_argument_casts_input_first(device, data):
    name = data.draw(st.sampled_from(OPS))
    src = data.draw(st.sampled_from([dt.float16, dt.bfloat16, dt.float32, dt.float64]))
    dst = data.draw(st.sampled_from([dt.float32, dt.float64, dt.float16]))
    shape = data.draw(shapes(min_dims=1, max_dims=3, max_size=13, max_numel=512))
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    arr = random_array(src, shape, data.draw(st.integers(0, 2**31)))
    _check_op(device, name, arr, dim, dtype=dst)


@pytest.mark.parametrize("name", OPS)
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_looped_rows_match_one_pass(device, monkeypatch, name, dim):
    """Rows longer than one block: the online (running max, rescaled sum) forward and two-pass
    backward, forced here with a 16-wide block over rows of 37 / 50 (a ragged last chunk)."""
    monkeypatch.setattr(K, "MAX_BLOCK_N", 16)
    arr = random_array(dt.float32, (37, 3, 50), 7, -8, 8)
    arr[1, 0, :] = -np.inf if dim == -1 else arr[1, 0, :]
    arr[2, :, 5] = -np.inf
    _check_op(device, name, arr, dim, "transposed" if dim == 1 else "contiguous", g_layout="strided")


def test_looped_path_grows_max_across_chunks(device, monkeypatch):
    """The running max increases chunk after chunk (and starts at -inf): the sum must be rescaled."""
    monkeypatch.setattr(K, "MAX_BLOCK_N", 16)
    row = np.concatenate([np.full(20, -np.inf), np.linspace(-50, 60, 80)]).astype(np.float32)
    for name in OPS[:2]:
        _check_op(device, name, np.stack([row, row[::-1]]), 1)


# ------------------------------------------------------------------------------ edge cases
@pytest.mark.parametrize("looped", [False, True])
def test_special_values(device, monkeypatch, looped):
    """-inf entries give 0 (log: -inf); an all -inf row, a +inf row and a NaN row are NaN."""
    if looped:
        monkeypatch.setattr(K, "MAX_BLOCK_N", 16)
    n = 40
    arr = np.zeros((5, n), np.float32)
    arr[0, :3] = -np.inf
    arr[1, :] = -np.inf
    arr[2, 7] = np.inf
    arr[3, 9] = np.nan
    arr[4] = np.arange(n)
    x = tnn.tensor(arr, device=device)
    for name in ("softmax", "log_softmax"):
        y = to_numpy(getattr(F, name)(x, 1))
        e = getattr(ref, name)(arr, 1)
        assert np.isnan(y[1:4]).all() and np.isnan(e[1:4]).all()
        np.testing.assert_allclose(y[[0, 4]], e[[0, 4]], rtol=1e-5, atol=1e-6)
    assert (to_numpy(F.softmax(x, 1))[0, :3] == 0).all()
    assert (to_numpy(F.log_softmax(x, 1))[0, :3] == -np.inf).all()


@pytest.mark.parametrize("dtype", [dt.float32, dt.float16, dt.bfloat16])
def test_huge_logits(device, dtype):
    """1e4-sized logits: max subtraction keeps exp finite."""
    arr = np.array([[1e4, 1e4 - 1, -1e4], [-1e4, -1e4 + 2, -1e4 + 1]], dtype=np.float32).astype(dtype.np)
    for name in OPS:
        _check_op(device, name, arr, 1)


def test_seventy_thousand_long_row(device):
    """One 70000-long row (longer than any one-pass block): forward and backward."""
    arr = random_array(dt.float32, (1, 70000), 3, -10, 10)
    for name in ("softmax", "log_softmax"):
        x = tnn.tensor(arr, device=device, requires_grad=True)
        y = getattr(F, name)(x, -1)
        assert_close(y.detach(), getattr(ref, name)(arr, -1), rtol=1e-4, atol=1e-9 if name == "softmax" else 1e-4)
        g = random_array(dt.float32, arr.shape, 4)
        y.backward(tnn.tensor(g, device=device))
        (dx,) = getattr(ref, name + "_backward")(g, arr, -1)
        assert_close(x.grad, dx, rtol=1e-4, atol=1e-4 if name == "log_softmax" else 1e-7)
    assert abs(float(F.softmax(tnn.tensor(arr, device=device), 1).sum()) - 1.0) < 1e-4


@pytest.mark.parametrize("name", OPS)
def test_zero_dim_and_empty(device, name):
    x = tnn.tensor(2.5, device=device, requires_grad=True)
    y = getattr(F, name)(x, 0)
    assert y.shape == () and float(y) == (0.0 if name == "log_softmax" else 1.0)
    y.backward()
    assert x.grad.shape == () and float(x.grad) == 0.0
    for shape, dim in (((0, 3), 1), ((3, 0), 1), ((2, 0, 4), 0)):
        x = tnn.zeros(shape, device=device, requires_grad=True)
        y = getattr(F, name)(x, dim)
        assert tuple(y.shape) == shape
        y.backward(tnn.zeros(shape, device=device))
        assert tuple(x.grad.shape) == shape


def test_legacy_implicit_dim(device):
    """dim=None: 0 for 0-, 1- and 3-d inputs, else 1, with torch's deprecation warning."""
    for shape, dim in (((5,), 0), ((3, 4), 1), ((2, 3, 4), 0), ((2, 3, 4, 5), 1)):
        arr = random_array(dt.float32, shape, 1)
        x = tnn.tensor(arr, device=device)
        with pytest.warns(UserWarning, match="Implicit dimension choice for softmax has been deprecated"):
            y = F.softmax(x)
        assert_close(y, ref.softmax(arr, dim), reduce_len=shape[dim])
        with pytest.warns(UserWarning, match="log_softmax"):
            F.log_softmax(x)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.softmax(tnn.ones(3, device=device), 0)  # an explicit dim does not warn


def test_integer_input(device):
    x = tnn.tensor([[1, 2, 3]], device=device)
    assert_close(F.softmax(x, 1, dtype=tnn.float64), ref.softmax(np.array([[1.0, 2, 3]]), 1))
    with pytest.raises(RuntimeError, match="not implemented for 'Long'"):
        F.softmax(x, 1)
    with pytest.raises(RuntimeError, match="not implemented for 'Long'"):
        F.log_softmax(x, 1)


def test_errors(device):
    x = tnn.ones(2, 3, device=device)
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"):
        F.softmax(x, 2)
    with pytest.raises(TypeError, match="softmax\\(\\): argument 'input' \\(position 1\\) must be Tensor, not list"):
        F.softmax([1.0, 2.0], 0)


# ------------------------------------------------------------------------------ autograd behaviour
def test_grad_fn_names_and_saved_output(device):
    x = tnn.tensor(random_array(dt.float32, (3, 4), 0), device=device, requires_grad=True)
    assert F.softmax(x, 1).grad_fn.name() == "SoftmaxBackward0"
    assert F.softmin(x, 1).grad_fn.name() == "SoftmaxBackward0"
    assert F.log_softmax(x, 1).grad_fn.name() == "LogSoftmaxBackward0"
    with tnn.no_grad():
        assert F.softmax(x, 1).grad_fn is None
    y = F.softmax(x, 1)
    y.mul_(2)  # the saved output changed: backward must refuse
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward(tnn.ones(3, 4, device=device))


def test_gradient_through_reused_input_and_expanded_grad(device):
    """A stride-0 (expanded) output gradient; and x feeding two softmax nodes (gradients add)."""
    arr = random_array(dt.float64, (4, 6), 5)
    x = tnn.tensor(arr, device=device, requires_grad=True)
    y = F.log_softmax(x, 0)
    y.backward(tnn.ones(1, 6, device=device, dtype=tnn.float64).expand(4, 6))
    (dx,) = ref.log_softmax_backward(np.ones((4, 6)), arr, 0)
    assert_close(x.grad, dx)
    x.grad = None
    g1, g2 = random_array(dt.float64, (4, 6), 6), random_array(dt.float64, (4, 6), 7)
    tnn.autograd.backward((F.softmax(x, 1), F.softmin(x, 0)),
                          (tnn.tensor(g1, device=device), tnn.tensor(g2, device=device)))
    (d1,) = ref.softmax_backward(g1, arr, 1)
    (d2,) = ref.softmin_backward(g2, arr, 0)
    assert_close(x.grad, d1 + d2)


@pytest.mark.parametrize("name", OPS)
def test_reference_backward_matches_finite_differences(name):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 5)) * 3
    g = rng.normal(size=(3, 5))
    for dim in (0, 1):
        (dx,) = getattr(ref, name + "_backward")(g, x, dim)
        fd = np.zeros_like(x)
        for i in np.ndindex(x.shape):
            xp, xm = x.copy(), x.copy()
            xp[i] += 1e-6
            xm[i] -= 1e-6
            f = getattr(ref, name)
            fd[i] = ((f(xp, dim) - f(xm, dim)) * g).sum() / 2e-6
        np.testing.assert_allclose(dx, fd, rtol=1e-6, atol=1e-8)


def test_tensor_methods_call_the_functional(device):
    arr = random_array(dt.float32, (3, 5), 7)
    x = tnn.tensor(arr, device=device, requires_grad=True)
    assert_close(x.softmax(1), ref.softmax(arr, 1), dtype=dt.float32, reduce_len=5)
    y = x.log_softmax(dim=0, dtype=tnn.float64)
    assert y.dtype is tnn.float64 and y.grad_fn.name() == "LogSoftmaxBackward0"
    assert_close(y, ref.log_softmax(arr, 0, dtype=dt.float64), dtype=dt.float32, reduce_len=3)
