"""F.local_response_norm against the NumPy float64 reference (tnn.reference.normalization): values
and the input gradient over 3-d to 6-d inputs, window sizes below / equal to / above the channel
count (odd and even: the window is zero-padded size//2 before and (size-1)//2 after), alpha /
beta / k, fp32 / fp16 / bf16 / fp64, strided / transposed / offset inputs and output gradients;
named edge cases (size 1, one channel, empty input returned as is, torch's grad_fn DivBackward0),
the dim < 3 error, and the reference's backward against central finite differences.

torch composes the op from square, pad, avg_pool and pow in Python; tnn does the same with its
own ops (so the gradient is autograd's through those kernels)."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import tnn
import tnn.nn.functional as F
from tnn import reference as ref
from tnn.runtime import dtypes as dt
from tnn.reference.normalization import _lrn_denominator
from tnn.testing import assert_close, make_tensor, random_array, to_numpy, tolerance

from ..reference import fd

FLOATS = (dt.float32, dt.float16, dt.bfloat16, dt.float64)


def _terms(g, arr, size, alpha=1e-4, beta=0.75, k=1.0):
    """The largest |first term| + |second term| of the reference gradient
    g_j D_j^-beta - 2 beta alpha/size x_j sum_c g_c x_c D_c^(-beta-1) (computed with |g|, |x|)."""
    g, x = np.abs(g.astype(np.float64)), np.abs(arr.astype(np.float64))
    first = g * _lrn_denominator(x, size, alpha, k) ** -beta
    (diff,) = ref.local_response_norm_backward(g, x, size, alpha, beta, k)
    return float((2 * first - diff).max())


def _check(device, arr, size, kwargs=None, *, layout="contiguous", g_layout="contiguous", seed=0):
    kwargs = kwargs or {}
    x = make_tensor(arr, layout, device, requires_grad=True)
    dtype = x.dtype
    y = F.local_response_norm(x, size, **kwargs)
    e = ref.local_response_norm(arr, size, **kwargs)
    assert y.dtype is dtype and tuple(y.shape) == arr.shape
    # half-precision inputs round every step of the composition (square, mean, pow, div)
    assert_close(y.detach(), e, dtype=dtype, reduce_len=4 * size)
    g = random_array(dtype, arr.shape, seed + 1)
    y.backward(make_tensor(g, g_layout, device))
    (dx,) = ref.local_response_norm_backward(g, arr, size, **kwargs)
    assert x.grad.dtype is dtype and tuple(x.grad.shape) == arr.shape
    # the gradient is a difference of two terms that can cancel: errors scale with the terms
    _, atol = tolerance(dtype, 8 * size)
    assert_close(x.grad, dx, dtype=dtype, reduce_len=8 * size, atol=atol * max(1.0, _terms(g, arr, size, **kwargs)))
    return y


@given(st.data())
def test_local_response_norm_matches_reference(device, data):
    ndim = data.draw(st.sampled_from([3, 3, 4, 4, 5, 6]))
    C = data.draw(st.sampled_from([1, 2, 3, 5, 7]))
    rest = tuple(data.draw(st.sampled_from([1, 2, 3, 5])) for _ in range(ndim - 2))
    N = data.draw(st.sampled_from([1, 2]))
    size = data.draw(st.integers(1, C + 2))
    kwargs = {}
    if data.draw(st.booleans()):
        kwargs = dict(alpha=data.draw(st.sampled_from([1e-4, 0.3, 2.0])),
                      beta=data.draw(st.sampled_from([0.75, 0.5, 1.5])),
                      k=data.draw(st.sampled_from([1.0, 2.0, 0.5])))
    dtype = data.draw(st.sampled_from(FLOATS))
    arr = random_array(dtype, (N, C) + rest, data.draw(st.integers(0, 2**31)), -2.0, 2.0)
    _check(device, arr, size, kwargs, layout=data.draw(st.sampled_from(["contiguous", "strided", "transposed",
                                                                        "offset"])),
           g_layout=data.draw(st.sampled_from(["contiguous", "strided", "transposed"])))


@pytest.mark.parametrize("shape,size", [((2, 6, 5), 1), ((2, 1, 4), 3), ((1, 4, 3, 3), 4), ((1, 3, 2, 2), 9),
                                        ((2, 5, 2, 1, 3), 2)])
def test_named_window_cases(device, shape, size):
    """size 1 (each channel alone), one channel, even windows, windows wider than the channels."""
    arr = random_array(dt.float32, shape, 3, -3.0, 3.0)
    _check(device, arr, size, dict(alpha=1.0, beta=0.75, k=1.0))
    # strong normalisation with default parameters too
    _check(device, arr, size)


def test_channels_last_input(device):
    arr = random_array(dt.float32, (2, 5, 3, 4), 7)
    x = tnn.tensor(np.ascontiguousarray(arr.transpose(0, 2, 3, 1)), device=device).permute(0, 3, 1, 2)
    x.requires_grad_(True)
    y = F.local_response_norm(x, 3, alpha=0.5)
    assert_close(y.detach(), ref.local_response_norm(arr, 3, alpha=0.5))
    y.sum().backward()
    assert_close(x.grad, ref.local_response_norm_backward(np.ones_like(arr), arr, 3, alpha=0.5)[0])


def test_empty_input_is_returned_and_grad_fn(device):
    x = tnn.ones(0, 3, 4, device=device, requires_grad=True)
    assert F.local_response_norm(x, 2) is x
    z = tnn.ones(2, 0, 4, 4, device=device)
    assert F.local_response_norm(z, 3) is z
    x = tnn.ones(1, 3, 4, device=device, requires_grad=True)
    assert F.local_response_norm(x, 2).grad_fn.name() == "DivBackward0"
    with tnn.no_grad():
        assert F.local_response_norm(x, 2).grad_fn is None


def test_module_matches_functional(device):
    arr = random_array(dt.float32, (2, 4, 3, 3), 9)
    x = tnn.tensor(arr, device=device)
    m = tnn.nn.LocalResponseNorm(3, alpha=0.2, beta=0.5, k=2.0)
    np.testing.assert_array_equal(to_numpy(m(x)), to_numpy(F.local_response_norm(x, 3, 0.2, 0.5, 2.0)))


def test_errors(device):
    for shape in ((4, 5), (4,)):
        with pytest.raises(ValueError, match=rf"Expected 3D or higher dimensionality input \(got {len(shape)} "
                                              r"dimensions\)"):
            F.local_response_norm(tnn.ones(*shape, device=device), 2)
    with pytest.raises(ValueError, match=r"Expected 3D or higher dimensionality input \(got 0 dimensions\)"):
        F.local_response_norm(tnn.tensor(1.0, device=device), 2)


@pytest.mark.parametrize("shape,size,kwargs", [
    ((2, 5, 3), 3, dict(alpha=0.5, beta=0.75, k=1.0)),
    ((1, 4, 2, 3), 2, dict(alpha=1.5, beta=1.25, k=0.7)),
    ((1, 3, 2, 1, 2), 6, {}),
    ((2, 2, 3), 1, dict(alpha=2.0, beta=0.5, k=1.0)),
])
def test_reference_backward_matches_finite_differences(shape, size, kwargs):
    fd.check("local_response_norm", fd.normal(shape, 4), size, **kwargs)


def test_signature_matches_reference():
    import inspect
    f = [(p.name, p.default) for p in inspect.signature(F.local_response_norm).parameters.values()]
    r = [(p.name, p.default) for p in inspect.signature(ref.local_response_norm).parameters.values()]
    b = [(p.name, p.default) for p in inspect.signature(ref.local_response_norm_backward).parameters.values()]
    assert f == r == [("input", inspect.Parameter.empty), ("size", inspect.Parameter.empty), ("alpha", 1e-4),
                      ("beta", 0.75), ("k", 1.0)]
    assert b[0][0] == "grad_output" and b[1:] == r
