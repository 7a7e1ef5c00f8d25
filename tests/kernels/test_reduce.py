"""Reductions and cumsum against NumPy (float64 references), over shapes with 0, 1 and prime
sizes, dims (single, negative, tuples, None), keepdim, dtypes and strided layouts, plus named
edge cases: NaN and ties for max/argmax, variance corrections and large means, infinite
logsumexp rows, norm variants, empty reductions and torch's error messages."""
import math

import numpy as np
import pytest
from hypothesis import given, strategies as st

import tnn
from tnn.kernels import reduce as K
from tnn.runtime import dtypes as dt
from tnn.testing import assert_close, layouts, make_tensor, random_array, shapes

FLOATS = (dt.float32, dt.float16, dt.bfloat16, dt.float64)
INTS = (dt.int64, dt.int32, dt.uint8, dt.int8)
SUMMABLE = FLOATS + INTS + (dt.bool_,)


# ------------------------------------------------------------------------------ helpers
def _draw_dim(data, ndim, allow_tuple=True, allow_none=True):
    """None, a single (possibly negative) dim, or a tuple of distinct dims."""
    choices = []
    if allow_none:
        choices.append(st.none())
    if ndim == 0:
        choices.append(st.sampled_from([0, -1]))
    else:
        choices.append(st.integers(-ndim, ndim - 1))
        if allow_tuple:
            choices.append(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True).flatmap(
                lambda ds: st.tuples(*[st.sampled_from([d, d - ndim]) for d in ds])))
    return data.draw(st.one_of(*choices))


def _axis(dim, ndim):
    """The NumPy axis for a tnn dim argument (a 0-d array reduces with axis=None)."""
    if dim is None or ndim == 0:
        return None
    if isinstance(dim, int):
        return dim % ndim
    return tuple(d % ndim for d in dim)


def _red_len(shape, axis):
    if axis is None:
        return int(np.prod(shape, dtype=np.int64))
    axes = (axis,) if isinstance(axis, int) else axis
    return int(np.prod([shape[a] for a in axes], dtype=np.int64))


def _f64(arr):
    return np.asarray(arr).astype(np.float64)


def _in_dtype(ref, dtype):
    """A float64 reference rounded through ``dtype`` (so fp16 overflow reads inf on both sides)."""
    with np.errstate(all="ignore"):
        return np.asarray(ref).astype(dtype.np).astype(np.float64)


def _input(data, dtypes, allow_empty=True, max_dims=4, max_numel=600, low=-4.0, high=4.0):
    shape = data.draw(shapes(0, max_dims, max_size=17, max_numel=max_numel, allow_empty=allow_empty))
    dtype = data.draw(st.sampled_from(dtypes))
    layout = data.draw(layouts())
    arr = random_array(dtype, shape, data.draw(st.integers(0, 2**31)), low, high)
    return arr, dtype, layout


# ------------------------------------------------------------------------------ sum / mean / prod
@given(st.data())
def test_sum_matches_numpy(device, data):
    arr, dtype, layout = _input(data, SUMMABLE)
    dim = _draw_dim(data, arr.ndim)
    keepdim = data.draw(st.booleans())
    x = make_tensor(arr, layout, device)
    axis = _axis(dim, arr.ndim)
    out = tnn.sum(x, dim, keepdim) if dim is not None else x.sum(keepdim=keepdim) if keepdim else x.sum()
    keepdim = keepdim and arr.ndim > 0
    if dtype.is_floating_point:
        assert out.dtype is dtype
        ref = np.sum(_f64(arr), axis=axis, keepdims=keepdim)
        assert_close(out, ref, reduce_len=_red_len(arr.shape, axis))
    else:
        assert out.dtype is dt.int64
        ref = np.sum(arr.astype(np.int64), axis=axis, keepdims=keepdim)
        assert_close(out, ref)


@given(st.data())
def test_mean_matches_numpy(device, data):
    arr, dtype, layout = _input(data, FLOATS, allow_empty=False)
    dim = _draw_dim(data, arr.ndim)
    keepdim = data.draw(st.booleans())
    out = make_tensor(arr, layout, device).mean(dim, keepdim)
    axis = _axis(dim, arr.ndim)
    assert out.dtype is dtype
    assert_close(out, np.mean(_f64(arr), axis=axis, keepdims=keepdim), reduce_len=_red_len(arr.shape, axis))


@given(st.data())
def test_prod_matches_numpy(device, data):
    arr, dtype, layout = _input(data, FLOATS + (dt.int64, dt.int32, dt.bool_), max_numel=200, low=-1.6, high=1.6)
    if dtype.is_floating_point:
        arr = (np.sign(arr) * (0.75 + np.abs(arr) / 2)).astype(arr.dtype)  # |x| in [0.75, 1.55]
    dim = data.draw(st.one_of(st.none(), st.integers(-max(arr.ndim, 1), max(arr.ndim, 1) - 1)))
    keepdim = data.draw(st.booleans()) and dim is not None
    out = make_tensor(arr, layout, device).prod(dim, keepdim)
    axis = _axis(dim, arr.ndim)
    if dtype.is_floating_point:
        n = _red_len(arr.shape, axis)
        rtol = {dt.float64: 1e-12, dt.float32: 1e-6, dt.float16: 1e-3, dt.bfloat16: 8e-3}[dtype] * (n + 1)
        assert_close(out, _in_dtype(np.prod(_f64(arr), axis=axis, keepdims=keepdim), dtype), rtol=rtol, atol=1e-30)
    else:
        assert out.dtype is dt.int64
        assert_close(out, np.prod(arr.astype(np.int64), axis=axis, keepdims=keepdim))


def test_sum_dtype_argument_and_promotion(device):
    a = np.arange(12, dtype=np.int32).reshape(3, 4)
    x = tnn.tensor(a, device=device)
    s = x.sum(1, dtype=tnn.float32)
    assert s.dtype is tnn.float32 and s.tolist() == [6.0, 22.0, 38.0]
    assert x.sum().dtype is tnn.int64 and x.sum().item() == 66
    assert tnn.tensor([True, True, False], device=device).sum().item() == 2
    h = tnn.tensor(np.full(4097, 0.1, np.float16), device=device)
    # fp32 accumulation: summing in fp16 would stall far below 409.7
    assert abs(h.sum().item() - 4097 * float(np.float16(0.1))) < 0.5
    assert_close(h.sum(dtype=tnn.float64), np.float64(4097 * float(np.float16(0.1))), reduce_len=4097)
    m = x.mean(0, dtype=tnn.float64)
    assert m.dtype is tnn.float64 and m.tolist() == [4.0, 5.0, 6.0, 7.0]


def test_int_sum_is_exact_beyond_fp32(device):
    a = np.full((3, 5), 2**40 + 1, dtype=np.int64)
    assert tnn.tensor(a, device=device).sum().item() == 15 * (2**40 + 1)


# ------------------------------------------------------------------------------ max-like
@given(st.data())
def test_amax_amin_match_numpy(device, data):
    arr, dtype, layout = _input(data, FLOATS + INTS + (dt.bool_,), allow_empty=False)
    dim = _draw_dim(data, arr.ndim)
    keepdim = data.draw(st.booleans())
    x = make_tensor(arr, layout, device)
    axis = _axis(dim, arr.ndim)
    for f, ref in ((tnn.amax, np.max), (tnn.amin, np.min)):
        out = f(x, () if dim is None else dim, keepdim)
        assert out.dtype is dtype
        assert_close(out, ref(arr, axis=axis, keepdims=keepdim), rtol=0, atol=0)


@given(st.data())
def test_max_min_dim_and_argmax_match_numpy(device, data):
    # Integer-valued data so that ties are frequent: the first index must win.
    arr, dtype, layout = _input(data, FLOATS + INTS + (dt.bool_,), allow_empty=False, low=-0.3, high=0.3)
    if dtype.is_floating_point:
        arr = np.round(arr.astype(np.float64) * 5).astype(arr.dtype)
    x = make_tensor(arr, layout, device)
    dim = _draw_dim(data, arr.ndim, allow_tuple=False, allow_none=False)
    keepdim = data.draw(st.booleans())
    axis = _axis(dim, arr.ndim)
    for f, vref, iref in ((tnn.max, np.max, np.argmax), (tnn.min, np.min, np.argmin)):
        res = f(x, dim, keepdim)
        values, indices = res
        assert res.values is values and res.indices is indices
        exp_i = iref(arr, axis=axis, keepdims=keepdim) if arr.ndim else np.array(0)
        assert values.dtype is dtype and indices.dtype is dt.int64
        assert_close(values, vref(arr, axis=axis, keepdims=keepdim), rtol=0, atol=0)
        assert_close(indices, exp_i)
    # argmax / argmin over one dim and flattened
    assert_close(x.argmax(dim, keepdim), np.argmax(arr, axis=axis, keepdims=keepdim) if arr.ndim else np.array(0))
    assert_close(tnn.argmin(x), np.array(np.argmin(arr)))
    assert_close(x.max(), np.max(arr), rtol=0, atol=0)


def test_argmax_keepdim_without_dim(device):
    x = tnn.tensor(np.array([[1.0, 5.0], [7.0, 2.0]], np.float32), device=device)
    r = x.argmax(keepdim=True)
    assert r.shape == (1, 1) and r.item() == 2
    assert x.argmin().shape == () and x.argmin().item() == 0


def test_nan_propagates_in_max_and_argmax(device):
    a = np.array([[1.0, np.nan, 3.0, np.nan], [4.0, 2.0, -1.0, 0.5], [np.nan, 1.0, 2.0, 9.0]], np.float32)
    for dtype in (tnn.float32, tnn.float16, tnn.bfloat16, tnn.float64):
        x = tnn.tensor(a, device=device).to(dtype)
        assert x.argmax(1).tolist() == [1, 0, 0]
        assert x.argmin(1).tolist() == [1, 2, 0]
        v, i = x.max(1)
        assert np.isnan(v.tolist()[0]) and v.tolist()[1] == 4.0 and i.tolist() == [1, 0, 0]
        assert np.isnan(x.max().item()) and np.isnan(x.amin().item())
        assert np.isnan(x.amax(0).tolist()[0]) and x.amax(0).tolist()[2] == 3.0
        assert x.argmax().item() == 1
    only_nan = tnn.tensor([np.nan, np.nan], device=device)
    assert only_nan.argmax().item() == 0 and np.isnan(only_nan.max().item())


def test_ties_take_the_first_index(device):
    a = np.array([[2, 7, 7, 1, 7], [0, 0, 0, 0, 0]], np.int32)
    x = tnn.tensor(a, device=device)
    assert x.argmax(1).tolist() == [1, 0] and x.argmin(1).tolist() == [3, 0]
    assert x.max(1).indices.tolist() == [1, 0]
    assert x.T.argmax(0).tolist() == [1, 0]  # column layout
    b = tnn.tensor(np.ones(40000, np.float32), device=device)  # ties across many chunks
    assert b.argmax().item() == 0 and b.argmin().item() == 0


def test_max_min_of_infinities_and_ints_extremes(device):
    x = tnn.tensor([-np.inf, -np.inf], device=device)
    assert x.max().item() == -np.inf and x.argmax().item() == 0
    i = tnn.tensor(np.array([np.iinfo(np.int64).min, np.iinfo(np.int64).max], np.int64), device=device)
    assert i.max().item() == np.iinfo(np.int64).max and i.amin().item() == np.iinfo(np.int64).min
    u = tnn.tensor(np.array([3, 255, 0], np.uint8), device=device)
    assert u.max().item() == 255 and u.argmin().item() == 2


def test_max_with_other_tensor_is_maximum(device):
    from tnn.ops import elementwise
    if not hasattr(elementwise, "maximum"):
        pytest.skip("elementwise.maximum not available yet")
    a = tnn.tensor([1.0, 5.0, -2.0], device=device)
    b = tnn.tensor([3.0, 4.0, -1.0], device=device)
    assert a.max(b).tolist() == [3.0, 5.0, -1.0]
    assert tnn.min(a, b).tolist() == [1.0, 4.0, -2.0]


# ------------------------------------------------------------------------------ var / std
@given(st.data())
def test_var_std_match_numpy(device, data):
    arr, dtype, layout = _input(data, FLOATS, allow_empty=False)
    dim = _draw_dim(data, arr.ndim)
    keepdim = data.draw(st.booleans())
    correction = data.draw(st.sampled_from([0, 1, 2]))
    x = make_tensor(arr, layout, device)
    axis = _axis(dim, arr.ndim)
    a = _f64(arr)
    n = _red_len(arr.shape, axis)
    with np.errstate(all="ignore"):
        m2 = np.sum((a - a.mean(axis=axis, keepdims=True)) ** 2, axis=axis, keepdims=keepdim)
        ref = m2 / max(n - correction, 0)
    v = x.var(dim, keepdim=keepdim, correction=correction)
    s = tnn.std(x, dim, keepdim=keepdim, correction=correction)
    assert v.dtype is dtype
    assert_close(v, ref, reduce_len=n)
    with np.errstate(all="ignore"):
        assert_close(s, np.sqrt(ref), reduce_len=n)


def test_var_corrections_and_single_element(device):
    x = tnn.tensor([[1.0, 2.0, 3.0, 4.0]], device=device)
    assert x.var().item() == pytest.approx(5 / 3)
    assert x.var(unbiased=False).item() == pytest.approx(1.25)
    assert x.var(1, False).item() == pytest.approx(1.25)
    assert tnn.var(x, False).item() == pytest.approx(1.25)
    assert x.var(1, correction=2).item() == pytest.approx(2.5)
    assert x.std(dim=1, correction=0).item() == pytest.approx(math.sqrt(1.25))
    one = tnn.tensor([3.0], device=device)
    assert math.isnan(one.var().item()) and one.var(correction=0).item() == 0.0
    assert math.isnan(one.std().item())
    two = tnn.tensor([1.0, 2.0], device=device)
    assert two.var(correction=2).item() == math.inf
    assert math.isnan(tnn.tensor([5.0, 5.0], device=device).var(correction=2).item())
    assert math.isnan(tnn.tensor([1.0, np.nan], device=device).var().item())
    assert math.isnan(tnn.tensor([1.0, np.inf], device=device).var().item())
    assert math.isnan(tnn.tensor(np.zeros((0, 3), np.float32), device=device).var(0).tolist()[0])
    with pytest.raises(RuntimeError, match="std and var only support floating point"):
        tnn.tensor([1, 2], device=device).var()


def test_variance_is_stable_for_large_means(device):
    rng = np.random.default_rng(0)
    a = (1e4 + rng.standard_normal((3, 5000))).astype(np.float32)
    ref = _f64(a).var(axis=1, ddof=1)
    for layout in ("contiguous", "transposed"):
        x = make_tensor(a, layout, device) if layout == "contiguous" else make_tensor(a.T.copy(), layout, device).T
        np.testing.assert_allclose(x.var(1).numpy(), ref, rtol=1e-3)
    np.testing.assert_allclose(tnn.tensor(a, device=device).std().item(), _f64(a).std(ddof=1), rtol=1e-3)


# ------------------------------------------------------------------------------ logsumexp
def _lse_ref(a, axis, keepdims):
    a = _f64(a)
    with np.errstate(all="ignore"):
        m = np.max(a, axis=axis, keepdims=True, initial=-np.inf)
        safe = np.where(np.isinf(m), 0.0, m)
        r = np.log(np.sum(np.exp(a - safe), axis=axis, keepdims=True)) + safe
    if not keepdims:
        r = np.squeeze(r, axis=axis) if axis is not None else r.reshape(())
    return r


@given(st.data())
def test_logsumexp_matches_numpy(device, data):
    arr, dtype, layout = _input(data, FLOATS + (dt.int32,), low=-30, high=30)
    dim = _draw_dim(data, arr.ndim, allow_none=False)
    keepdim = data.draw(st.booleans())
    axis = _axis(dim, arr.ndim)
    out = tnn.logsumexp(make_tensor(arr, layout, device), dim, keepdim)
    assert out.dtype is (dtype if dtype.is_floating_point else tnn.float32)
    assert_close(out, _lse_ref(arr, axis, keepdim), reduce_len=_red_len(arr.shape, axis), atol=1e-5 * 32
                 if dtype is dt.float32 else None)


def test_logsumexp_infinite_rows(device):
    a = np.array([[-np.inf, -np.inf, -np.inf], [np.inf, 1.0, -np.inf], [1000.0, 1000.0, -np.inf],
                  [np.nan, 1.0, 2.0], [-np.inf, 0.0, -np.inf]], np.float32)
    for dtype in (tnn.float32, tnn.float64, tnn.bfloat16):
        r = tnn.tensor(a, device=device).to(dtype).logsumexp(1).tolist()
        assert r[0] == -np.inf and r[1] == np.inf and np.isnan(r[3]) and r[4] == 0.0
        assert r[2] == pytest.approx(1000 + math.log(2), rel=1e-2)
    assert tnn.tensor(np.zeros((2, 0), np.float32), device=device).logsumexp(1).tolist() == [-np.inf, -np.inf]


# ------------------------------------------------------------------------------ norm
def _norm_ref(a, p, axis, keepdims):
    a = np.abs(_f64(a))
    with np.errstate(all="ignore"):
        if p == math.inf:
            return np.max(a, axis=axis, keepdims=keepdims)
        if p == -math.inf:
            return np.min(a, axis=axis, keepdims=keepdims)
        if p == 0:
            return np.sum(a != 0, axis=axis, keepdims=keepdims).astype(np.float64)
        return np.sum(a ** p, axis=axis, keepdims=keepdims) ** (1.0 / p)


@given(st.data())
def test_norm_matches_numpy(device, data):
    arr, dtype, layout = _input(data, FLOATS, allow_empty=False)
    p = data.draw(st.sampled_from(["fro", 2, 1, math.inf, -math.inf, 0, 3, 1.5, 0.5]))
    dim = _draw_dim(data, arr.ndim)
    keepdim = data.draw(st.booleans())
    if data.draw(st.booleans()):
        arr = np.where(np.abs(_f64(arr)) < 1, 0, arr).astype(arr.dtype)  # zeros for p = 0 and inf norms
    axis = _axis(dim, arr.ndim)
    out = make_tensor(arr, layout, device).norm(p, dim, keepdim)
    assert out.dtype is dtype
    ref = _in_dtype(_norm_ref(arr, 2.0 if p == "fro" else p, axis, keepdim), dtype)
    assert_close(out, ref, reduce_len=_red_len(arr.shape, axis))


def test_norm_edge_cases(device):
    x = tnn.tensor([[3.0, -4.0], [0.0, 0.0]], device=device)
    assert x.norm().item() == 5.0 and tnn.norm(x, 1).item() == 7.0 and x.norm(0).item() == 2.0
    assert x.norm(math.inf).item() == 4.0 and x.norm(-math.inf, dim=1).tolist() == [3.0, 0.0]
    assert x.norm(dim=1, keepdim=True).tolist() == [[5.0], [0.0]]
    n = x.norm(-1.0, dim=1).tolist()  # (sum |x|^-1)^-1: a zero gives inf^-1 = 0
    assert n[0] == pytest.approx(12 / 7) and n[1] == 0.0
    assert x.norm(2, dim=0, dtype=tnn.float64).dtype is tnn.float64
    e = tnn.tensor(np.zeros((0, 2), np.float32), device=device)
    assert e.norm().item() == 0.0 and e.norm(1, dim=0).tolist() == [0.0, 0.0]
    with pytest.raises(RuntimeError, match="cannot compute the inf norm on an empty tensor"):
        e.norm(math.inf, dim=0)
    with pytest.raises(RuntimeError, match="Expected a floating point or complex tensor as input. Got Long"):
        tnn.tensor([1, 2], device=device).norm()


# ------------------------------------------------------------------------------ all / any
@given(st.data())
def test_all_any_match_numpy(device, data):
    arr, dtype, layout = _input(data, (dt.bool_, dt.float32, dt.int32, dt.uint8, dt.bfloat16), low=-0.2, high=0.2)
    if dtype.is_floating_point:
        arr = np.array(np.round(arr.astype(np.float64) * 4).astype(arr.dtype))
        arr[arr.astype(np.float64) > 0.5] = np.nan  # NaN is "true"
    dim = _draw_dim(data, arr.ndim)
    keepdim = data.draw(st.booleans())
    axis = _axis(dim, arr.ndim)
    x = make_tensor(arr, layout, device)
    out_dtype = dt.uint8 if dtype is dt.uint8 else dt.bool_
    for f, ref in ((tnn.all, np.all), (tnn.any, np.any)):
        out = f(x, dim, keepdim)
        assert out.dtype is out_dtype
        assert_close(out, ref(arr != 0, axis=axis, keepdims=keepdim).astype(out_dtype.np))


# ------------------------------------------------------------------------------ cumsum
@given(st.data())
def test_cumsum_matches_numpy(device, data):
    arr, dtype, layout = _input(data, SUMMABLE)
    d = data.draw(st.integers(-max(arr.ndim, 1), max(arr.ndim, 1) - 1))
    out = make_tensor(arr, layout, device).cumsum(d)
    if arr.ndim == 0:
        ref = arr
    elif dtype.is_floating_point:
        ref = np.cumsum(_f64(arr), axis=d)
    else:
        ref = np.cumsum(arr.astype(np.int64), axis=d)
    assert out.shape == arr.shape and out.dtype is (dtype if dtype.is_floating_point else dt.int64)
    assert_close(out, ref, reduce_len=arr.shape[d] if arr.ndim else 1)


def test_cumsum_each_dim_and_dtype(device):
    a = np.arange(2 * 3 * 5, dtype=np.int32).reshape(2, 3, 5)
    x = tnn.tensor(a, device=device)
    for d in range(3):
        assert_close(x.cumsum(d), np.cumsum(a.astype(np.int64), axis=d))
        assert_close(tnn.cumsum(x.permute(2, 0, 1), d, dtype=tnn.float32),
                     np.cumsum(a.transpose(2, 0, 1), axis=d).astype(np.float32))


# ------------------------------------------------------------------------------ long rows, layouts, split
def test_rows_longer_than_one_block(device):
    rng = np.random.default_rng(1)
    a = rng.standard_normal((2, 70000)).astype(np.float32)
    a[1, 65001] = 50.0
    x = tnn.tensor(a, device=device)
    assert_close(x.sum(1), _f64(a).sum(1), reduce_len=70000)
    assert x.argmax(1).tolist() == list(np.argmax(a, axis=1))
    assert x.max(1).values.tolist() == list(np.max(a, axis=1).astype(np.float64))
    assert_close(x.var(1), _f64(a).var(1, ddof=1), reduce_len=70000)
    assert_close(x.logsumexp(1), _lse_ref(a, 1, False), reduce_len=70000)
    assert_close(x.cumsum(1), np.cumsum(_f64(a), axis=1), reduce_len=70000, atol=2e-3)


def test_column_and_copy_paths(device):
    rng = np.random.default_rng(2)
    a = rng.standard_normal((6, 7, 5)).astype(np.float32)
    x = tnn.tensor(a, device=device)
    # kept dims (0, 2) of a contiguous tensor: kept rank 2, reduced stride 5, read in place
    assert_close(x.sum(1), _f64(a).sum(1), reduce_len=7)
    assert_close(x.argmax(1), np.argmax(a, axis=1))
    # reduced dims (0, 2) do not collapse: an explicit contiguous copy first
    assert_close(x.sum((0, 2)), _f64(a).sum((0, 2)), reduce_len=30)
    assert_close(x.amax((-1, 0), keepdim=True), a.max((0, 2), keepdims=True))
    # column reduction of a matrix: dim 0, rows contiguous
    m = x.reshape(42, 5)
    assert_close(m.mean(0), _f64(a).reshape(42, 5).mean(0), reduce_len=42)
    assert_close(m.std(0), _f64(a).reshape(42, 5).std(0, ddof=1), reduce_len=42)
    # expanded (stride 0) input
    e = tnn.tensor(a[0, 0], device=device).unsqueeze(0).expand(4, 5)
    assert_close(e.sum(0), 4 * _f64(a[0, 0]), reduce_len=4)


@pytest.mark.parametrize("op,pre,post,p", [
    (K.OP_SUM, K.PRE_NONE, K.POST_MEAN, 1.0), (K.OP_MAX, K.PRE_NONE, K.POST_NONE, 1.0),
    (K.OP_PROD, K.PRE_NONE, K.POST_NONE, 1.0), (K.OP_SUM, K.PRE_POW, K.POST_ROOT, 3.0),
    (K.OP_MIN, K.PRE_NONZERO, K.POST_NONE, 1.0)])
def test_two_stage_split_reduction(device, op, pre, post, p):
    rng = np.random.default_rng(3)
    a = (0.9 + 0.2 * rng.random((3, 1000))).astype(np.float32)
    a[1, 500] = 0.0
    a[2, 999] = np.nan
    x = tnn.tensor(a, device=device)
    out_dtype = tnn.bool if pre == K.PRE_NONZERO else tnn.float32
    out = tnn.Tensor._empty((3,), out_dtype, x.device)
    K.reduce(x, out, 3, 1000, (3,), (1000,), 1, op=op, pre=pre, post=post, p=p, split=7)
    b = _f64(a)
    ref = {K.OP_SUM: (np.mean(b, 1) if post == K.POST_MEAN else np.sum(np.abs(b) ** 3, 1) ** (1 / 3)),
           K.OP_MAX: np.max(b, 1), K.OP_PROD: np.prod(b, 1), K.OP_MIN: np.all(a != 0, 1)}[op]
    assert_close(out, ref, reduce_len=1000, rtol=1e-4 if op == K.OP_PROD else None)


# ------------------------------------------------------------------------------ empty, 0-d, errors
def test_empty_reductions(device):
    e = tnn.tensor(np.zeros((0, 3), np.float32), device=device)
    assert e.sum().item() == 0.0 and e.sum(0).tolist() == [0.0] * 3 and e.sum(1).shape == (0,)
    assert e.prod(0).tolist() == [1.0] * 3
    assert all(math.isnan(v) for v in e.mean(0).tolist()) and math.isnan(e.mean().item())
    assert e.all().item() is True and e.any(0).tolist() == [False] * 3
    assert e.amax(1).shape == (0,) and e.argmax(1).shape == (0,) and e.max(1).values.shape == (0,)
    assert e.cumsum(0).shape == (0, 3)
    assert tnn.tensor(np.zeros((0,), np.int32), device=device).sum().dtype is tnn.int64


def test_zero_dim_tensors(device):
    s = tnn.tensor(2.5, device=device)
    assert s.sum().item() == 2.5 and s.sum(0).shape == () and s.sum(-1, keepdim=True).shape == ()
    assert s.max(0).values.item() == 2.5 and s.max(0).indices.item() == 0 and s.argmax().item() == 0
    assert s.cumsum(0).item() == 2.5 and s.amax().item() == 2.5 and s.logsumexp(0).item() == 2.5
    assert s.norm().item() == 2.5


def test_error_messages(device):
    x = tnn.tensor(np.zeros((2, 3), np.float32), device=device)
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"):
        x.sum(2)
    with pytest.raises(IndexError, match="Dimension out of range"):
        x.amax((0, -3))
    with pytest.raises(RuntimeError, match="dim 1 appears multiple times in the list of dims"):
        x.sum((1, -1))
    with pytest.raises(RuntimeError, match="mean\\(\\): could not infer output dtype. Input dtype must be either a "
                                           "floating point or complex dtype. Got: Long"):
        tnn.tensor([1, 2], device=device).mean()
    with pytest.raises(RuntimeError, match="Optional dtype must be either a floating point or complex dtype. Got: Int"):
        x.mean(dtype=tnn.int32)
    e = tnn.tensor(np.zeros((0, 3), np.float32), device=device)
    with pytest.raises(IndexError, match=r"max\(\): Expected reduction dim 0 to have non-zero size."):
        e.max(0)
    with pytest.raises(IndexError, match=r"amax\(\): Expected reduction dim 0 to have non-zero size."):
        e.amax(0)
    with pytest.raises(IndexError, match=r"argmin\(\): Expected reduction dim 0 to have non-zero size."):
        e.argmin(0)
    with pytest.raises(RuntimeError, match=r"max\(\): Expected reduction dim to be specified for input.numel\(\) == 0"):
        e.max()
    with pytest.raises(RuntimeError, match=r"amin\(\): Expected reduction dim to be specified"):
        e.amin()
    with pytest.raises(TypeError):
        x.max((0, 1))
