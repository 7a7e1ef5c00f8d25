"""Gradients of the reductions: sum, mean, prod, amax/amin, max/min (all three forms), var/std,
logsumexp, norm, cumsum and sum_to_size, against tnn.reference (NumPy, float64) over shapes, dims,
layouts and dtypes, plus torch's named edge cases (zeros in prod, ties, NaN/inf rows, zero std)."""
import math

import numpy as np
import pytest
from hypothesis import assume, given, strategies as st

import tnn
import tnn.reference as ref
from tnn.testing import assert_close, gradcheck, layouts, make_tensor, random_array

nan, inf = math.nan, math.inf
F32, F64 = tnn.float32, tnn.float64


def leaf(values, device, dtype=F64):
    return tnn.tensor(values, dtype=dtype, device=device, requires_grad=True)


def grad_of(fn, x, g=None):
    """x.grad after backpropagating g (default ones) through fn(x)."""
    x.grad = None
    y = fn(x)
    y.backward(tnn.ones_like(y) if g is None else g)
    return x.grad


# ------------------------------------------------------------------------------ against the reference
@st.composite
def reduce_case(draw, max_dims=3):
    """(shape, dim, keepdim) with dim None, one dim or a tuple of dims (incl. negative)."""
    shape = draw(st.lists(st.sampled_from([1, 2, 3, 5, 7]), min_size=0, max_size=max_dims).map(tuple))
    nd = len(shape)
    choice = draw(st.sampled_from(["none", "one", "many"]) if nd else st.sampled_from(["none", "one"]))
    if choice == "none":
        dim = None
    elif choice == "one":
        dim = draw(st.integers(-nd, nd - 1)) if nd else draw(st.sampled_from([0, -1]))
    else:
        dims = draw(st.lists(st.integers(0, nd - 1), min_size=1, max_size=nd, unique=True))
        dim = tuple(d - nd if draw(st.booleans()) else d for d in dims)
    return shape, dim, draw(st.booleans())


def _layout_for(shape, layout):
    return layout if len(shape) >= 1 else "contiguous"


def _check_against_ref(device, name, fn, arr, layout, dtype, kwargs, seed, **tol):
    """Backpropagate a random gradient through fn(x) and compare x.grad with ref.<name>_backward."""
    x = make_tensor(arr.astype(dtype.np), _layout_for(arr.shape, layout), device, requires_grad=True)
    y = fn(x)
    x64 = np.asarray(tnn.testing.to_numpy(x), dtype=np.float64)
    expected_y = getattr(ref, name)(x64, **kwargs)
    if isinstance(expected_y, tuple):  # max/min with dim: (values, indices)
        expected_y = expected_y[0]
    gnp = random_array(F64, tuple(y.shape), seed + 1)
    g = tnn.tensor(gnp, dtype=y.dtype, device=device)
    y.backward(g)
    gnp = np.asarray(tnn.testing.to_numpy(g), dtype=np.float64)
    expected = ref_grads(name, gnp, x64, kwargs)
    assert x.grad.dtype is x.dtype and tuple(x.grad.shape) == tuple(x.shape)
    assert_close(y, expected_y, **tol)
    assert_close(x.grad, expected, **tol)


def ref_grads(name, g, x, kwargs):
    r = getattr(ref, name + "_backward")(g, x, **kwargs)
    return r[0] if isinstance(r, (tuple, list)) else r


SUM_LIKE = ["sum", "mean"]


@pytest.mark.parametrize("name", SUM_LIKE)
@pytest.mark.parametrize("dtype", [F32, F64])
@given(case=reduce_case(), layout=layouts(), seed=st.integers(0, 2**16))
def test_sum_mean_grad(device, name, dtype, case, layout, seed):
    shape, dim, keepdim = case
    arr = random_array(F64, shape, seed)
    kw = dict(dim=dim, keepdim=keepdim)
    _check_against_ref(device, name, lambda x: getattr(x, name)(**kw), arr, layout, dtype, kw, seed,
                       reduce_len=max(1, arr.size))


@pytest.mark.parametrize("dtype", [tnn.float16, tnn.bfloat16])
def test_sum_mean_grad_half(device, dtype):
    arr = random_array(F64, (3, 5), 1)
    for name in SUM_LIKE:
        kw = dict(dim=1, keepdim=False)
        _check_against_ref(device, name, lambda x: getattr(x, name)(**kw), arr, "transposed", dtype, kw, 3,
                           reduce_len=5)


@pytest.mark.parametrize("dtype", [tnn.float16, tnn.bfloat16])
@pytest.mark.parametrize("name, kw", [("prod", dict(dim=1)), ("amax", dict(dim=0)), ("var", dict(dim=1)),
                                      ("std", dict(dim=None)), ("logsumexp", dict(dim=1)), ("norm", dict(dim=1)),
                                      ("norm", dict(p=3, dim=0)), ("cumsum", dict(dim=1)), ("max", dict(dim=1))])
def test_half_precision_grads(device, dtype, name, kw):
    arr = random_array(F64, (3, 5), 2, 0.5, 2.0)
    fn = (lambda x: x.max(**kw).values) if name == "max" else (lambda x: getattr(x, name)(**kw))
    tol = dict(rtol=2e-2, atol=2e-2) if dtype is tnn.float16 else dict(rtol=6e-2, atol=6e-2)
    _check_against_ref(device, name, fn, arr, "transposed", dtype, kw, 4, **tol)


def test_sum_dtype_arg_grad_in_input_dtype(device):
    x = leaf(random_array(F32, (4, 3), 0), device, F32)
    y = x.sum(dtype=tnn.float64)
    assert y.dtype is F64 and y.grad_fn.name() == "SumBackward0"
    y.backward()
    assert x.grad.dtype is F32
    assert_close(x.grad, np.ones((4, 3)))
    x.grad = None
    x.mean(1, dtype=tnn.float64).backward(tnn.tensor([1.0, 2.0, 3.0, 4.0], dtype=F64, device=device))
    assert x.grad.dtype is F32
    assert_close(x.grad, np.repeat([[1.0], [2.0], [3.0], [4.0]], 3, axis=1) / 3)
    x.grad = None
    x.cumsum(0, dtype=tnn.float64).sum().backward()
    assert x.grad.dtype is F32
    assert_close(x.grad, np.repeat([[4.0], [3.0], [2.0], [1.0]], 3, axis=1))


@given(case=reduce_case(), layout=layouts(), seed=st.integers(0, 2**16))
def test_prod_grad(device, case, layout, seed):
    shape, dim, keepdim = case
    if isinstance(dim, tuple):
        dim = dim[0]
    kw = dict(dim=dim, keepdim=keepdim and dim is not None)
    arr = random_array(F64, shape, seed, low=0.5, high=1.5) * np.where(random_array(F64, shape, seed + 7) > 0, 1, -1)
    if arr.size > 1 and seed % 3 == 0:
        arr.reshape(-1)[seed % arr.size] = 0.0        # one zero
    if arr.size > 2 and seed % 3 == 1:
        arr.reshape(-1)[:2] = 0.0                     # several zeros (maybe in one slice)
    _check_against_ref(device, "prod", lambda x: x.prod(**kw), arr, layout, F64, kw, seed)


@pytest.mark.parametrize("name", ["amax", "amin"])
@given(case=reduce_case(), layout=layouts(), seed=st.integers(0, 2**16))
def test_amax_amin_grad(device, name, case, layout, seed):
    shape, dim, keepdim = case
    arr = np.round(random_array(F64, shape, seed, -2, 2))   # small integers: many ties
    kw = dict(dim=() if dim is None else dim, keepdim=keepdim)
    _check_against_ref(device, name, lambda x: getattr(x, name)(**kw), arr, layout, F32, kw, seed)


@pytest.mark.parametrize("name", ["max", "min"])
@given(case=reduce_case(), layout=layouts(), seed=st.integers(0, 2**16))
def test_max_min_grad(device, name, case, layout, seed):
    shape, dim, keepdim = case
    arr = np.round(random_array(F64, shape, seed, -2, 2))   # ties: full form splits, dim form picks one
    if isinstance(dim, tuple):
        dim = dim[0]
    if dim is None:
        fn, kw = (lambda x: getattr(x, name)()), {}
    else:
        fn, kw = (lambda x: getattr(x, name)(dim, keepdim).values), dict(dim=dim, keepdim=keepdim)
    _check_against_ref(device, name, fn, arr, layout, F64, kw, seed)


@pytest.mark.parametrize("name", ["var", "std"])
@given(case=reduce_case(), layout=layouts(), correction=st.sampled_from([0, 1, 2]), seed=st.integers(0, 2**16))
def test_var_std_grad(device, name, case, layout, correction, seed):
    shape, dim, keepdim = case
    dims = range(len(shape)) if dim is None else [dim] if isinstance(dim, int) and shape else dim if shape else []
    n = int(np.prod([shape[d] for d in dims]))
    assume(n - correction > 0 and (name == "var" or n > 1))   # degenerate cases: test_var_std_degenerate
    arr = random_array(F64, shape, seed)
    kw = dict(dim=dim, keepdim=keepdim, correction=correction)
    _check_against_ref(device, name, lambda x: getattr(x, name)(**kw), arr, layout, F64, kw, seed)


@pytest.mark.parametrize("dtype", [F32, F64])
@given(case=reduce_case(), layout=layouts(), seed=st.integers(0, 2**16))
def test_logsumexp_grad(device, dtype, case, layout, seed):
    shape, dim, keepdim = case
    dim = tuple(range(len(shape))) if dim is None else dim
    kw = dict(dim=dim, keepdim=keepdim)
    _check_against_ref(device, "logsumexp", lambda x: x.logsumexp(**kw), random_array(F64, shape, seed), layout,
                       dtype, kw, seed)


@pytest.mark.parametrize("p", ["fro", 2, 1, inf, -inf, 3, 1.5, 0.5, 0])
@given(case=reduce_case(), layout=layouts(), seed=st.integers(0, 2**16))
def test_norm_grad(device, p, case, layout, seed):
    shape, dim, keepdim = case
    arr = random_array(F64, shape, seed)
    if p in (inf, -inf):
        arr = np.round(arr)                       # ties among the maxima / minima of |x|
    if p in (0.5, 1) and arr.size > 1:
        arr.reshape(-1)[seed % arr.size] = 0.0
    kw = dict(p=p, dim=dim, keepdim=keepdim)
    _check_against_ref(device, "norm", lambda x: x.norm(**kw), arr, layout, F64, kw, seed)


@pytest.mark.parametrize("dtype", [F32, F64])
@given(shape=st.lists(st.sampled_from([1, 2, 3, 7]), min_size=0, max_size=3).map(tuple), layout=layouts(),
       data=st.data(), seed=st.integers(0, 2**16))
def test_cumsum_grad(device, dtype, shape, layout, data, seed):
    nd = len(shape)
    dim = data.draw(st.integers(-nd, nd - 1) if nd else st.sampled_from([0, -1]))
    kw = dict(dim=dim)
    _check_against_ref(device, "cumsum", lambda x: x.cumsum(**kw), random_array(F64, shape, seed), layout, dtype, kw,
                       seed, reduce_len=max(shape, default=1))


@given(shapes=tnn.testing.broadcastable_shapes(max_dims=3, max_size=5), seed=st.integers(0, 2**16))
def test_sum_to_size_grad(device, shapes, seed):
    big, small = shapes
    big = np.broadcast_shapes(big, small)
    x = leaf(random_array(F64, big, seed), device)
    y = x.sum_to_size(small)
    g = random_array(F64, small, seed + 1)
    if tuple(big) == tuple(small):
        assert y is x
        return
    y.backward(tnn.tensor(g, device=device))
    assert_close(x.grad, np.broadcast_to(g, big))


GRADCHECK_CASES = [("sum", dict(dim=1)), ("mean", dict(dim=(0, 1))), ("prod", dict(dim=0)), ("amax", dict(dim=1)),
                   ("max", {}), ("min", dict(dim=1)), ("var", dict(dim=0)), ("std", dict(dim=1, correction=0)),
                   ("logsumexp", dict(dim=1)), ("norm", {}), ("norm", dict(p=3, dim=0)), ("norm", dict(p=inf)),
                   ("cumsum", dict(dim=1))]


@pytest.mark.parametrize("name, kw", GRADCHECK_CASES)
def test_gradcheck_reductions(device, name, kw):
    """Finite differences in float64 and the reference, through every differentiable reduction."""
    x = leaf(random_array(F64, (3, 4), 5, 0.5, 2.0), device)
    if name in ("max", "min") and kw:
        fn = lambda t: getattr(t, name)(**kw).values  # noqa: E731
    else:
        fn = lambda t: getattr(t, name)(**kw)  # noqa: E731
    assert gradcheck(fn, (x,), reference=lambda g, a: getattr(ref, name + "_backward")(g, a, **kw))


def test_gradcheck_sum_to_size(device):
    x = leaf(random_array(F64, (2, 3, 4), 6), device)
    assert gradcheck(lambda t: t.sum_to_size(3, 1), (x,), reference=lambda g, a: ref.sum_to_size_backward(g, a, 3, 1))


# ------------------------------------------------------------------------------ named edge cases
def test_grad_fn_names(device):
    x = leaf(random_array(F64, (2, 3), 0), device)
    names = {
        "SumBackward0": x.sum(), "SumBackward1": x.sum(1), "MeanBackward0": x.mean(),
        "MeanBackward1": x.mean(0, keepdim=True), "ProdBackward0": x.prod(), "ProdBackward1": x.prod(1),
        "AmaxBackward0": x.amax(), "AminBackward0": x.amin(0), "MaxBackward1": x.max(), "MinBackward1": x.min(),
        "MaxBackward0": x.max(1).values, "MinBackward0": x.min(0)[0], "VarBackward0": x.var(1),
        "StdBackward0": x.std(), "LogsumexpBackward0": x.logsumexp(1),
        "LinalgVectorNormBackward0": tnn.norm(x, 1), "CumsumBackward0": x.cumsum(0),
    }
    for name, y in names.items():
        assert y.grad_fn.name() == name
    assert x.sum_to_size(1, 3).grad_fn.name() == "SumBackward1"
    assert x.sum_to_size(3).grad_fn.name() == "ViewBackward0"


def test_non_differentiable_outputs(device):
    x = leaf([[1.0, 3.0], [2.0, 0.0]], device)
    for y in (x.argmax(), x.argmin(1), x.all(), x.any(0), x.max(1).indices):
        assert not y.requires_grad and y.grad_fn is None
    with tnn.no_grad():
        for y in (x.sum(), x.max(), x.norm(), x.cumsum(0), x.var(), x.max(0).values):
            assert not y.requires_grad and y.grad_fn is None


def test_prod_with_zeros(device):
    # one zero: only it gets a gradient (the product of the others); several zeros: all 0
    assert grad_of(lambda t: t.prod(), leaf([2.0, 0.0, 3.0], device)).tolist() == [0.0, 6.0, 0.0]
    assert grad_of(lambda t: t.prod(), leaf([0.0, 2.0, 0.0], device)).tolist() == [0.0, 0.0, 0.0]
    x = leaf([[2.0, 0.0, 3.0], [1.0, 2.0, 3.0], [0.0, 0.0, 1.0]], device)
    assert grad_of(lambda t: t.prod(1), x).tolist() == [[0.0, 6.0, 0.0], [6.0, 3.0, 2.0], [0.0, 0.0, 0.0]]
    assert grad_of(lambda t: t.prod(0, keepdim=True), x).tolist() == [[0.0, 0.0, 3.0], [0.0, 0.0, 3.0],
                                                                      [2.0, 0.0, 9.0]]
    assert grad_of(lambda t: t.prod(), leaf(5.0, device)).tolist() == 1.0


def test_ties_split_evenly(device):
    x = leaf([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]], device)
    assert_close(grad_of(lambda t: t.amax(1), x), np.array([[0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]]))
    assert_close(grad_of(lambda t: t.amin(), x), np.array([[1.0, 0, 0], [0, 0, 0]]))
    assert_close(grad_of(lambda t: t.max(), leaf([3.0, 1.0, 3.0, 3.0], device)), np.array([1 / 3, 0, 1 / 3, 1 / 3]))
    # the dim form sends everything to the returned (first) index
    assert grad_of(lambda t: t.max(1).values, x).tolist() == [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]
    assert grad_of(lambda t: t.min(0, keepdim=True).values, x).tolist() == [[1.0, 0.0, 0.0], [0.0, 1.0, 1.0]]
    # inf norms: split among the elements whose |x| reaches the norm, with their sign
    assert_close(grad_of(lambda t: t.norm(inf), leaf([-3.0, 3.0, 1.0], device)), np.array([-0.5, 0.5, 0.0]))
    assert_close(grad_of(lambda t: t.norm(-inf), leaf([-1.0, 3.0, 1.0], device)), np.array([-0.5, 0.0, 0.5]))


def test_nan_in_max_like(device):
    x = leaf([1.0, nan, 2.0], device)
    # full max/min: the NaN is the result and receives the gradient (torch's evenly_distribute_backward)
    assert_close(grad_of(lambda t: t.max(), x), np.array([0.0, 1.0, 0.0]))
    # amax: no element equals NaN, torch's (grad / 0) * mask gives NaN everywhere
    assert np.isnan(grad_of(lambda t: t.amax(), x).numpy()).all()


def test_var_std_degenerate(device):
    # zero std: torch masks grad / (2 std) to 0
    assert grad_of(lambda t: t.std(), leaf([2.0, 2.0, 2.0], device)).tolist() == [0.0, 0.0, 0.0]
    r = 0.5 ** 0.5
    assert_close(grad_of(lambda t: t.std(1), leaf([[1.0, 1.0], [1.0, 3.0]], device)), np.array([[0, 0], [-r, r]]))
    # one element, correction 1: var is 0 / 0 = nan and so is its gradient
    assert np.isnan(grad_of(lambda t: t.var(), leaf([5.0], device)).numpy()).all()
    assert np.isnan(grad_of(lambda t: t.std(), leaf([5.0], device)).numpy()).all()
    assert np.isnan(grad_of(lambda t: t.var(1), leaf([[5.0], [1.0]], device)).numpy()).all()
    # N - correction < 0 with a full reduction: where(x == mean, nan, inf)
    g = grad_of(lambda t: t.var(correction=3), leaf([1.0, 2.0, 3.0], device)).numpy()
    assert np.isinf(g[0]) and np.isnan(g[1]) and np.isinf(g[2])


def test_logsumexp_infinite_rows(device):
    x = leaf([[-inf, -inf], [0.0, -inf], [1.0, 1.0]], device)
    g = grad_of(lambda t: t.logsumexp(1), x).numpy()
    assert np.isnan(g[0]).all()                    # -inf - (-inf): nan, as torch
    np.testing.assert_allclose(g[1:], [[1.0, 0.0], [0.5, 0.5]])


def test_norm_at_zero(device):
    z = leaf([0.0, 0.0, 0.0], device)
    for p in (2, "fro", 1, 3, 1.5, 0.5, 0):
        assert grad_of(lambda t: t.norm(p), z).tolist() == [0.0, 0.0, 0.0], p
    x = leaf([[3.0, 4.0], [0.0, 0.0]], device)
    assert_close(grad_of(lambda t: t.norm(dim=1), x), np.array([[0.6, 0.8], [0.0, 0.0]]))


def test_norm_dtype_arg(device):
    x = leaf([3.0, -4.0], device, F32)
    y = x.norm(dtype=tnn.float64)
    assert y.dtype is F64
    y.backward()
    assert x.grad.dtype is F32
    assert_close(x.grad, np.array([0.6, -0.8]))


def test_used_twice_and_non_contiguous_grad(device):
    x = leaf(random_array(F64, (3, 4), 2), device)
    g1, g2 = random_array(F64, (4,), 4), random_array(F64, (4,), 5)
    # x reaches the roots through two reductions: the engine sums both gradients
    tnn.autograd.backward((x.sum(0), x.amax(0)), (tnn.tensor(g1, device=device), tnn.tensor(g2, device=device)))
    a = x.detach().numpy()
    np.testing.assert_allclose(x.grad.numpy(), g1 + (a == a.max(0)) * g2, rtol=1e-12)
    # a transposed (non-contiguous) incoming gradient
    x.grad = None
    g = tnn.tensor(random_array(F64, (4, 3), 3), device=device).T
    x.cumsum(1).backward(g)
    gn = g.numpy()
    np.testing.assert_allclose(x.grad.numpy(), np.cumsum(gn[:, ::-1], 1)[:, ::-1], rtol=1e-12)


def test_zero_size(device):
    x = leaf(np.zeros((0, 3)), device)
    for fn in (lambda t: t.sum(), lambda t: t.sum(0), lambda t: t.mean(1), lambda t: t.prod(0), lambda t: t.var(1),
               lambda t: t.std(0), lambda t: t.logsumexp(0), lambda t: t.norm(dim=0), lambda t: t.cumsum(0),
               lambda t: t.amax(1), lambda t: t.max(1).values, lambda t: t.norm(inf, dim=1)):
        g = grad_of(fn, x)
        assert tuple(g.shape) == (0, 3) and g.dtype is F64


def test_inplace_after_save_raises(device):
    for fn in (lambda t: t.prod(), lambda t: t.var(), lambda t: t.std(1), lambda t: t.amax(), lambda t: t.max(),
               lambda t: t.logsumexp(0), lambda t: t.norm(3)):
        x = leaf([[1.0, 2.0, 3.0]], device)
        y = fn(x)
        x.detach().add_(1.0)      # bumps the version shared with the saved x
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.sum().backward()


def test_binary_max_min_delegate(device):
    a, b = leaf([1.0, 5.0], device), leaf([3.0, 2.0], device)
    assert a.max(b).tolist() == tnn.maximum(a, b).tolist()
    assert a.min(b).tolist() == tnn.minimum(a, b).tolist()
    ym = a.max(b)
    if ym.requires_grad:  # maximum/minimum are differentiable (elementwise family)
        ym.sum().backward()
        assert a.grad.tolist() == [0.0, 1.0] and b.grad.tolist() == [1.0, 0.0]
