"""tnn.reference reductions and scans: forwards against plain NumPy and torch's dtype rules,
backwards against central finite differences, tie and zero conventions checked explicitly."""
import math

import ml_dtypes
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tnn.reference as ref
from tnn.testing import shapes

from .fd import away, check, normal

X = normal((3, 4, 5))
DIMS = [None, 0, -1, (0, 2), (), (1,)]


def _axis(dim):
    return None if dim is None or dim == () else dim


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", DIMS, ids=str)
@pytest.mark.parametrize("name", ["sum", "mean", "amax", "amin", "var", "std", "logsumexp", "norm"])
def test_reductions(name, dim, keepdim):
    x = X
    np_fn = {"sum": np.sum, "mean": np.mean, "amax": np.max, "amin": np.min,
             "var": lambda a, axis, keepdims: np.var(a, axis=axis, keepdims=keepdims, ddof=1),
             "std": lambda a, axis, keepdims: np.std(a, axis=axis, keepdims=keepdims, ddof=1),
             "logsumexp": lambda a, axis, keepdims: np.log(np.sum(np.exp(a), axis=axis, keepdims=keepdims)),
             "norm": lambda a, axis, keepdims: np.sqrt(np.sum(a * a, axis=axis, keepdims=keepdims))}[name]
    args = (x, "fro", dim) if name == "norm" else (x, dim)
    out = getattr(ref, name)(*args, keepdim=keepdim)
    np.testing.assert_allclose(out, np_fn(x, axis=_axis(dim), keepdims=keepdim), rtol=1e-12)
    check(name, *args, keepdim=keepdim)


@pytest.mark.parametrize("dim", [None, 0, 2, -2], ids=str)
def test_prod(dim):
    x = away((2, 3, 4), 1, 0.5, 1.5)
    np.testing.assert_allclose(ref.prod(x, dim), np.prod(x, axis=dim), rtol=1e-12)
    check("prod", x, dim)
    if dim is not None:
        check("prod", x, dim, keepdim=True)


def test_prod_gradient_with_zeros():
    x = np.array([[2.0, 0.0, 3.0, 4.0], [0.0, 5.0, 0.0, 1.0], [1.0, 2.0, 3.0, 4.0]])
    (g,) = ref.prod_backward(np.ones(3), x, 1)
    assert g.tolist() == [[0.0, 24.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], [24.0, 12.0, 8.0, 6.0]]
    check("prod", x, 1)  # the product is polynomial in x: the finite differences hold at zeros too
    check("prod", x)
    assert ref.prod(x, None, keepdim=True).shape == ()  # keepdim ignored without a dim, as tnn


def test_sum_mean_dtypes():
    i = np.arange(6, dtype=np.int32).reshape(2, 3)
    assert ref.sum(i).dtype == np.int64 and ref.sum(i) == 15
    assert ref.sum(np.ones(3, bool)).dtype == np.int64
    assert ref.prod(np.ones(3, np.int8)).dtype == np.int64
    assert ref.sum(i, dtype=np.float64).dtype == np.float64
    assert ref.sum(i, 1, dtype="float32").tolist() == [3.0, 12.0]
    assert ref.mean(i, dtype=np.float32).dtype == np.float32
    bf = np.full(100, 0.01, ml_dtypes.bfloat16)
    assert ref.sum(bf).dtype == ml_dtypes.bfloat16
    np.testing.assert_allclose(float(ref.sum(bf)), 100 * float(bf[0]), rtol=1e-2)  # no bf16 accumulation
    assert ref.sum(np.float16([60000, 60000, -60000])) == np.float16(60000)  # float64 inside
    assert ref.sum_backward(np.ones(()), i) == (None,)
    assert ref.sum(np.zeros((0, 3)), 0).tolist() == [0.0, 0.0, 0.0]
    assert np.isnan(ref.mean(np.zeros((0,))))


def test_zero_dim_input():
    x = np.array(1.5)
    for name in ("sum", "mean", "amax", "amin", "logsumexp", "prod"):
        assert getattr(ref, name)(x, 0).shape == ()
        check(name, x, 0)
    assert np.isnan(ref.var(x))  # one element, correction 1
    assert ref.cumsum(x, 0) == 1.5
    assert ref.max(x, 0) == (1.5, 0)
    assert ref.argmax(x) == 0


@pytest.mark.parametrize("correction", [0, 1, 2])
def test_var_std_corrections(correction):
    x = normal((4, 5), 3)
    np.testing.assert_allclose(ref.var(x, 1, correction=correction), np.var(x, axis=1, ddof=correction))
    np.testing.assert_allclose(ref.std(x, 0, correction=correction), np.std(x, axis=0, ddof=correction))
    check("var", x, 1, correction=correction)
    check("std", x, (0, 1), correction=correction, keepdim=True)
    np.testing.assert_allclose(ref.var(x, 1, unbiased=False), np.var(x, axis=1))
    np.testing.assert_allclose(ref.var(x, False), np.var(x))  # var(x, unbiased)
    assert np.isinf(ref.var(np.array([1.0, 2.0]), correction=2))  # N - correction = 0


@pytest.mark.parametrize("p", ["fro", 2, 1, 3, 1.5, 0.5, math.inf, -math.inf, 0])
def test_norm(p):
    x = away((3, 4), 5, 0.2, 2.0)
    a = np.abs(x)
    q = 2 if p == "fro" else p
    if q == math.inf:
        expect = a.max(1)
    elif q == -math.inf:
        expect = a.min(1)
    elif q == 0:
        expect = (a != 0).sum(1)
    else:
        expect = (a ** q).sum(1) ** (1 / q)
    np.testing.assert_allclose(ref.norm(x, p, 1), expect, rtol=1e-12)
    (g,) = check("norm", x, p, 1)
    if q == 0:
        assert not g.any()


def test_norm_breakpoints():
    z = np.zeros((2, 3))
    for p in (2, 3, 1.5):
        assert not ref.norm_backward(np.ones(2), z, p, 1)[0].any()  # 0 where the norm is 0
    assert ref.norm_backward(np.ones(()), np.array([0.0, 1.0]), 1)[0].tolist() == [0.0, 1.0]
    (g,) = ref.norm_backward(np.ones(()), np.array([-2.0, 1.0, 2.0]), math.inf)
    assert g.tolist() == [-0.5, 0.0, 0.5]   # inf norm: split among the ties of |x|, signed
    assert ref.norm(np.arange(4, dtype=np.float32), dtype=np.float64).dtype == np.float64


def test_amax_amin_ties_split_evenly():
    x = np.array([[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, 2.0, 2.0]])
    (g,) = ref.amax_backward(np.array([6.0, 8.0]), x, 1)
    assert g.tolist() == [[0.0, 3.0, 3.0, 0.0], [2.0, 2.0, 2.0, 2.0]]
    (g,) = ref.amin_backward(np.array([6.0, 8.0]), x, 1)
    assert g.tolist() == [[0.0, 0.0, 0.0, 6.0], [2.0, 2.0, 2.0, 2.0]]
    (g,) = ref.amax_backward(np.array(12.0), x)
    assert g.tolist() == [[0.0, 6.0, 6.0, 0.0], [0.0, 0.0, 0.0, 0.0]]


def test_max_min_with_dim_route_to_the_first_index():
    x = np.array([[1.0, 3.0, 3.0, 0.0], [2.0, np.nan, 5.0, 2.0]])
    v, i = ref.max(x, 1)
    assert i.tolist() == [1, 1] and v[0] == 3.0 and np.isnan(v[1])  # NaN is the max
    v, i = ref.min(x, 1, keepdim=True)
    assert i.tolist() == [[3], [1]] and i.dtype == np.int64
    (g,) = ref.max_backward(np.array([5.0, 7.0]), x[:1].repeat(2, 0), 1)
    assert g.tolist() == [[0.0, 5.0, 0.0, 0.0], [0.0, 7.0, 0.0, 0.0]]
    x = normal((3, 4, 5), 2)
    for dim in (0, 1, -1):
        v, i = ref.max(x, dim)
        np.testing.assert_array_equal(v, x.max(dim))
        np.testing.assert_array_equal(i, x.argmax(dim))
        check("max", x, dim)
        check("min", x, dim, keepdim=True)
    check("max", x)
    check("min", x)


def test_full_max_min_split_evenly_and_nan():
    x = np.array([1.0, 4.0, 4.0, 4.0])
    assert ref.max(x) == 4.0
    assert ref.max_backward(np.array(3.0), x)[0].tolist() == [0.0, 1.0, 1.0, 1.0]
    assert ref.min_backward(np.array(3.0), x)[0].tolist() == [3.0, 0.0, 0.0, 0.0]
    (g,) = ref.max_backward(np.array(2.0), np.array([np.nan, 1.0, np.nan]))
    assert g.tolist() == [1.0, 0.0, 1.0]
    a, b = normal((2, 3)), normal((3,), 1)
    np.testing.assert_array_equal(ref.max(a, b), np.maximum(a, b))  # max(x, other)
    check("max", a, b)


def test_argmax_argmin():
    x = np.array([[1, 5, 5], [7, 0, 7]], np.int32)
    assert ref.argmax(x).tolist() == 3 and ref.argmax(x, keepdim=True).shape == (1, 1)
    assert ref.argmax(x, 1).tolist() == [1, 0]
    assert ref.argmin(x, 0, keepdim=True).tolist() == [[0, 1, 0]]
    assert ref.argmax(x, 1).dtype == np.int64
    assert ref.argmax_backward(np.ones(2), x.astype(float), 1) == (None,)


def test_all_any():
    x = np.array([[0.0, 1.0, np.nan], [2.0, 3.0, 4.0]])
    assert ref.all(x).tolist() is False and ref.any(x).tolist() is True
    assert ref.all(x, 1).tolist() == [False, True]                # NaN is nonzero
    assert ref.any(np.zeros((2, 0)), 1).tolist() == [False, False]
    assert ref.all(np.array([1, 2], np.uint8)).dtype == np.uint8
    assert ref.all(x, (0, 1), keepdim=True).shape == (1, 1)
    assert ref.all_backward(np.ones(()), x) == (None,)


def test_logsumexp_stability_and_dtypes():
    x = np.array([[1000.0, 1000.0], [-np.inf, -np.inf]])
    np.testing.assert_allclose(ref.logsumexp(x, 1), [1000 + math.log(2), -np.inf])
    assert ref.logsumexp(np.array([1, 2], np.int64)).dtype == np.float32
    assert ref.logsumexp(np.zeros((2, 0)), 1).tolist() == [-np.inf, -np.inf]
    assert np.isnan(ref.logsumexp(np.array([np.inf, np.nan])))


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cumsum(dim):
    x = normal((3, 4), 4)
    np.testing.assert_allclose(ref.cumsum(x, dim), np.cumsum(x, axis=dim))
    check("cumsum", x, dim)
    assert ref.cumsum(np.ones(3, bool), 0).dtype == np.int64
    assert ref.cumsum(np.ones(3, np.int32), 0, dtype=np.float16).dtype == np.float16


def test_sum_to_size():
    x = normal((2, 3, 4))
    np.testing.assert_allclose(ref.sum_to_size(x, 3, 1), x.sum(0).sum(1, keepdims=True))
    check("sum_to_size", x, (1, 4))
    assert ref.sum_to_size(np.ones((2, 3), np.int32), 3).dtype == np.int64


@given(shape=shapes(1, 3, max_size=5), data=st.data(),
       name=st.sampled_from(["sum", "mean", "prod", "amax", "amin", "var", "logsumexp", "norm", "cumsum"]))
def test_reduction_gradients_property(shape, data, name):
    x = away(shape, data.draw(st.integers(0, 100)), 0.3, 1.5)
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    keepdim = data.draw(st.booleans())
    if name == "cumsum":
        check(name, x, dim)
    elif name == "var":
        check(name, x, dim, keepdim=keepdim, correction=0)
    elif name == "norm":
        check(name, x, data.draw(st.sampled_from([2, 1, 3, 0.5])), dim, keepdim)
    else:
        check(name, x, dim, keepdim)
