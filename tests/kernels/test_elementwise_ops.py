"""Elementwise ops: type promotion, operators, in-place semantics, where/clamp/lerp and torch's
error messages."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import tnn
from tnn.runtime import dtypes as dt
from tnn.testing import ALL_DTYPES, FLOAT_DTYPES, assert_close, broadcastable_shapes, layouts, make_tensor, random_array


def T(data, dtype=None, device="cpu"):
    return tnn.tensor(np.asarray(data, dtype=dtype.np) if dtype is not None else data, device=device)


# ----------------------------------------------------------------------------- promotion
PROMOTION = [
    # (a, b, expected dtype of a + b); tensors given as (dtype, ndim)
    ((dt.int64, 1), 2.5, dt.float32),
    ((dt.int32, 1), 2, dt.int32),
    ((dt.int8, 1), 1000, dt.int8),
    ((dt.uint8, 1), (dt.int8, 1), dt.int16),
    ((dt.uint8, 1), (dt.int16, 1), dt.int16),
    ((dt.float16, 1), (dt.bfloat16, 1), dt.float32),
    ((dt.float16, 1), 1.5, dt.float16),
    ((dt.bfloat16, 1), (dt.int64, 1), dt.bfloat16),
    ((dt.bool_, 1), True, dt.bool_),
    ((dt.bool_, 1), 1, dt.int64),
    ((dt.bool_, 1), (dt.uint8, 1), dt.uint8),
    ((dt.int8, 1), True, dt.int8),
    ((dt.int8, 1), (dt.int64, 0), dt.int8),        # a 0-dim tensor does not widen within a category
    ((dt.float16, 1), (dt.float64, 0), dt.float16),
    ((dt.int32, 1), (dt.float64, 0), dt.float64),   # ... but a higher category wins with its own dtype
    ((dt.int32, 0), (dt.float16, 0), dt.float16),
    ((dt.int64, 0), 2.5, dt.float32),
    ((dt.float32, 1), (dt.float64, 1), dt.float64),
    ((dt.int16, 0), (dt.int8, 1), dt.int8),
    ((dt.float64, 0), (dt.int32, 0), dt.float64),
]


def _make(spec, device):
    if isinstance(spec, tuple):
        d, ndim = spec
        return tnn.tensor(np.ones((3,) * ndim, d.np), device=device)
    return spec


@pytest.mark.parametrize("a,b,expected", PROMOTION)
def test_promotion_table(device, a, b, expected):
    x, y = _make(a, device), _make(b, device)
    assert (x + y).dtype is expected
    assert (y + x).dtype is expected
    assert tnn.maximum(x, y).dtype is expected if isinstance(y, tnn.Tensor) else True
    assert (x == y).dtype is dt.bool_


def test_true_division_and_default_dtype(device):
    i = T([1, 2, 3], device=device)
    assert (i / 2).dtype is dt.float32 and (i / 2).tolist() == [0.5, 1.0, 1.5]
    assert (1 / i).dtype is dt.float32
    assert tnn.true_divide(i, i).dtype is dt.float32
    assert (i * 2.5).dtype is dt.float32
    prev = dt.get_default_dtype()
    try:
        tnn.set_default_dtype(dt.float64)
        assert (i * 2.5).dtype is dt.float64 and (i / i).dtype is dt.float64
        assert (T([1.0], dt.float32, device) * 2.5).dtype is dt.float32
    finally:
        tnn.set_default_dtype(prev)


def test_float64_scalars_are_exact(device):
    x = T([1.0, 2.0], dt.float64, device)
    v = 0.1 + 2 ** -40  # not representable in float32
    np.testing.assert_array_equal((x + v).numpy(), np.array([1.0, 2.0]) + v)
    np.testing.assert_array_equal((x * v).numpy(), np.array([1.0, 2.0]) * v)
    np.testing.assert_array_equal(tnn.where(x > 1, v, x).numpy(), [1.0, v])
    big = 2 ** 40 + 1
    assert (T([1], dt.int64, device) + big).tolist() == [big + 1]


# ----------------------------------------------------------------------------- operators
def test_operators(device):
    x = T([1.0, -2.0, 4.0], device=device)
    i = T([1, 2, 3], device=device)
    m = T([True, False, True], device=device)
    assert (2 - x).tolist() == [1.0, 4.0, -2.0]
    assert (2 ** i).tolist() == [2, 4, 8] and (2 ** i).dtype is dt.int64
    assert (2.0 ** i).dtype is dt.float32
    with np.errstate(invalid="ignore"):
        assert_close(x ** 0.5, np.sqrt(np.array([1.0, -2.0, 4.0], np.float32)), equal_nan=True)
    assert (1 / x).tolist() == [1.0, -0.5, 0.25]
    assert (x == 4).tolist() == [False, False, True]
    assert (-x).tolist() == [-1.0, 2.0, -4.0] and abs(x).tolist() == [1.0, 2.0, 4.0]
    assert (~m).tolist() == [False, True, False] and (~i).tolist() == [-2, -3, -4]
    assert (m & T([True, True, False], device=device)).tolist() == [True, False, False]
    assert (m | False).tolist() == [True, False, True] and (True ^ m).tolist() == [False, True, False]
    assert (i & 2).tolist() == [0, 2, 2] and (6 | i).tolist() == [7, 6, 7]
    assert (7 // i).tolist() == [7, 3, 2] and (7 % i).tolist() == [0, 1, 1] and (-7.0 % i).tolist() == [0, 1, 2]
    assert (3 * i).tolist() == [3, 6, 9] and (i - 1).tolist() == [0, 1, 2] and (1 + i).tolist() == [2, 3, 4]
    assert (i < 2).tolist() == [True, False, False] and (i >= 2).tolist() == [False, True, True]
    assert (2 > i).tolist() == [True, False, False] and (i != 2).tolist() == [True, False, True]
    assert (+x) is x
    assert (x == None) is False and (x != None) is True  # noqa: E711
    assert (np.float32(2.0) * x).tolist() == [2.0, -4.0, 8.0]  # numpy scalars defer to the tensor
    assert (x * np.int64(3)).dtype is dt.float32


def test_inplace_operators_keep_identity_and_storage(device):
    x = T([1.0, 2.0, 3.0], device=device)
    ptr, ver, ident = x.data_ptr(), x._version, id(x)
    x += 1
    x *= T([2.0, 2.0, 2.0], device=device)
    x -= 1
    x /= 2
    x **= 2
    x //= 1
    x %= 5
    assert id(x) == ident and x.data_ptr() == ptr and x._version == ver + 7
    expected = ((np.array([1.0, 2.0, 3.0]) + 1) * 2 - 1) / 2
    np.testing.assert_array_equal(x.numpy(), np.floor(expected ** 2) % 5)


def test_inplace_writes_through_views(device):
    base = T(np.arange(12, dtype=np.float32).reshape(3, 4), device=device)
    v = base.t()  # (4, 3) strided view
    ver = base._version
    v.mul_(T([1.0, 10.0, 100.0], device=device))
    assert base._version == ver + 1 and v._version == ver + 1
    np.testing.assert_array_equal(base.numpy(), np.arange(12).reshape(3, 4) * np.array([[1], [10], [100]]))
    base[1].add_(0.5)
    assert base.numpy()[1, 0] == 40.5
    col = base[:, 1]
    col.clamp_(max=5.0)
    assert base.numpy()[:, 1].tolist() == [1.0, 5.0, 5.0]


def test_inplace_dtype_rules(device):
    i = T([1, 2, 3], device=device)
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        i.add_(1.5)
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        i.div_(2)
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        i.exp_()
    with pytest.raises(RuntimeError, match="result type Double can't be cast to the desired output type Int"):
        T([1, 2], dt.int32, device).mul_(T([1.0, 2.0], dt.float64, device))
    with pytest.raises(RuntimeError, match="result type Long can't be cast to the desired output type Bool"):
        T([True], device=device).add_(2)
    assert i.div_(2, rounding_mode="floor").tolist() == [0, 1, 1]
    h = T([1.0, 2.0], dt.float16, device)
    h.add_(T([0.5, 0.25], dt.float32, device))  # float32 result cast into float16
    assert h.dtype is dt.float16 and h.tolist() == [1.5, 2.25]
    f = T([1.0, 5.0, 3.0], device=device)
    f.lt_(3)  # comparison written as 1.0 / 0.0 in f's dtype
    assert f.dtype is dt.float32 and f.tolist() == [1.0, 0.0, 0.0]
    f.logical_not_()
    assert f.tolist() == [0.0, 1.0, 1.0]
    b = T([1, 0, 2], device=device)
    b.logical_and_(T([1, 1, 0], device=device))
    assert b.tolist() == [1, 0, 0] and b.dtype is dt.int64


def test_inplace_broadcast_rules(device):
    x = T(np.ones(3, np.float32), device=device)
    with pytest.raises(RuntimeError, match=r"output with shape \[3\] doesn't match the broadcast shape \[2, 3\]"):
        x.add_(T(np.ones((2, 3), np.float32), device=device))
    y = T(np.ones((2, 3), np.float32), device=device)
    y.add_(x)  # the other operand may broadcast
    assert y.tolist() == [[2.0] * 3] * 2
    e = T([1.0], device=device).expand(3)
    with pytest.raises(RuntimeError, match="more than one element of the written-to tensor"):
        e.mul_(2)


def test_out_argument(device):
    a = T([1.0, 2.0], device=device)
    out = T([0.0, 0.0], dt.float64, device)
    r = tnn.add(a, 1, out=out)
    assert r is out and out.tolist() == [2.0, 3.0] and out.dtype is dt.float64
    with pytest.raises(RuntimeError, match="can't be cast"):
        tnn.mul(a, 2, out=T([0, 0], device=device))


# ----------------------------------------------------------------------------- where / clamp / lerp
SCALAR_CHOICES = [None, None, 2, -1.5, True]


@given(shapes=broadcastable_shapes(max_dims=3, max_size=7), cshape=st.sampled_from([None, (1,), ()]),
       dx=st.sampled_from(ALL_DTYPES), dy=st.sampled_from(ALL_DTYPES), sx=st.sampled_from(SCALAR_CHOICES),
       sy=st.sampled_from(SCALAR_CHOICES), lx=layouts(), seed=st.integers(0, 2**31))
def test_where_matches_numpy(device, shapes, cshape, dx, dy, sx, sy, lx, seed):
    s1, s2 = shapes
    cs = s1 if cshape is None else cshape
    cond = random_array(dt.bool_, cs, seed)
    xa = random_array(dx, s1, seed + 1) if sx is None else None
    ya = random_array(dy, s2, seed + 2) if sy is None else None
    x = make_tensor(xa, lx, device) if sx is None else sx
    y = make_tensor(ya, "transposed", device) if sy is None else sy
    out = tnn.where(make_tensor(cond, lx, device), x, y)
    res = tnn.result_type(x, y)
    assert out.dtype is res
    # operands are rounded to the result dtype first (a float32 0-dim tensor with a bfloat16 one)
    conv = (lambda a: a.astype(res.np).astype(np.float64)) if res.is_floating_point else (lambda a: a.astype(res.np))
    X = conv(np.asarray(xa if sx is None else sx).astype(np.float32 if dx is dt.bfloat16 and sx is None else None))
    Y = conv(np.asarray(ya if sy is None else sy).astype(np.float32 if dy is dt.bfloat16 and sy is None else None))
    expected = np.where(cond, X, Y)
    if res.is_floating_point:
        expected = expected.astype(res.np if res is not dt.bfloat16 else np.float32)
        assert_close(out, expected, rtol=0, atol=0)
    else:
        np.testing.assert_array_equal(out.numpy(), expected)


def test_where_forms(device):
    c = T([True, False, True], device=device)
    x = T([1.0, 2.0, 3.0], device=device)
    assert tnn.where(c, x, 0.0).tolist() == [1.0, 0.0, 3.0]
    assert tnn.where(c, 1.0, 0.0).dtype is dt.float32
    assert tnn.where(c, 1, 0).dtype is dt.int64 and tnn.where(c, 1, 0).tolist() == [1, 0, 1]
    assert x.where(c, -x).tolist() == [1.0, -2.0, 3.0]  # method: self where cond else other
    assert tnn.where(c, True, False).dtype is dt.bool_
    with pytest.raises(RuntimeError, match="where expected condition to be a boolean tensor, but got a tensor "
                                           "with dtype Float"):
        tnn.where(x, x, x)


@given(shape=st.sampled_from([(5,), (3, 4), (2, 1, 3), ()]), d=st.sampled_from(ALL_DTYPES[:-1]),
       lo=st.sampled_from([None, -1, -0.5, "t"]), hi=st.sampled_from([None, 2, 1.5, "t"]),
       layout=layouts(), seed=st.integers(0, 2**31))
def test_clamp_matches_numpy(device, shape, d, lo, hi, layout, seed):
    if lo is None and hi is None:
        return
    arr = random_array(d, shape, seed)
    x = make_tensor(arr, layout, device)
    lo_a = random_array(d, shape[-1:], seed + 1, -4, 0) if lo == "t" else lo
    hi_a = random_array(d, shape[-1:], seed + 2, 0, 4) if hi == "t" else hi
    lo_v = tnn.tensor(lo_a, device=device) if lo == "t" else lo
    hi_v = tnn.tensor(hi_a, device=device) if hi == "t" else hi
    out = tnn.clamp(x, lo_v, hi_v)
    res = tnn.result_type(x, *[v for v in (lo_v, hi_v) if v is not None])
    assert out.dtype is res
    f = (lambda a: np.asarray(a).astype(np.float32 if d is dt.bfloat16 and isinstance(a, np.ndarray) else None)
         .astype(np.float64 if res.is_floating_point else res.np))
    expected = f(arr)
    if lo is not None:
        expected = np.maximum(expected, f(lo_a))
    if hi is not None:
        expected = np.minimum(expected, f(hi_a))
    if res.is_floating_point:
        assert_close(out, expected)
    else:
        np.testing.assert_array_equal(out.numpy(), expected)


def test_clamp_semantics(device):
    x = T([-3.0, 0.5, np.nan, 7.0], device=device)
    np.testing.assert_array_equal(tnn.clamp(x, -1, 2).numpy(), [-1.0, 0.5, np.nan, 2.0])
    np.testing.assert_array_equal(tnn.clamp(x, min=0).numpy(), [0.0, 0.5, np.nan, 7.0])
    np.testing.assert_array_equal(tnn.clamp(x, 3, 1).numpy(), [1.0, 1.0, np.nan, 1.0])  # min > max gives max
    np.testing.assert_array_equal(tnn.clamp(x, float("nan"), 1).numpy(), [np.nan] * 4)
    np.testing.assert_array_equal(tnn.clip(x, max=0.0).numpy(), tnn.clamp_max(x, 0.0).numpy())
    np.testing.assert_array_equal(tnn.clamp_min(x, 1.0).numpy(), [1.0, 1.0, np.nan, 7.0])
    i = T([-5, 0, 5], device=device)
    assert tnn.clamp(i, -1, 1).tolist() == [-1, 0, 1] and tnn.clamp(i, -1, 1).dtype is dt.int64
    assert tnn.clamp(i, min=0.5).dtype is dt.float32  # clamp promotes, as torch
    assert i.clamp_(min=0) is i and i.tolist() == [0, 0, 5]
    with pytest.raises(RuntimeError, match="At least one of 'min' or 'max' must not be None"):
        tnn.clamp(x)
    with pytest.raises(RuntimeError, match="result type Float can't be cast"):
        i.clamp_(0.5, 2)


@given(shapes=broadcastable_shapes(max_dims=3, max_size=7), d=st.sampled_from(FLOAT_DTYPES + (dt.float64,)),
       w=st.sampled_from([0.0, 0.25, 0.75, 1.0, -0.5, "t"]), layout=layouts(), seed=st.integers(0, 2**31))
def test_lerp_matches_numpy(device, shapes, d, w, layout, seed):
    s1, s2 = shapes
    a, b = random_array(d, s1, seed), random_array(d, s2, seed + 1)
    wa = random_array(d, s2, seed + 2, -0.5, 1.5) if w == "t" else w
    wv = make_tensor(wa, layout, device) if w == "t" else w
    out = tnn.lerp(make_tensor(a, layout, device), tnn.tensor(b, device=device), wv)
    f64 = lambda v: np.asarray(v).astype(np.float32 if d is dt.bfloat16 and isinstance(v, np.ndarray) else None).astype(np.float64)
    A, B, W = f64(a), f64(b), f64(wa)
    assert out.dtype is d
    assert_close(out, A + W * (B - A))


def test_lerp_exact_ends_and_errors(device):
    a = T([1.0, -3.0, 1e8], device=device)
    b = T([2.0, 5.0, 1.0], device=device)
    assert tnn.lerp(a, b, 1.0).tolist() == b.tolist() and tnn.lerp(a, b, 0.0).tolist() == a.tolist()
    a.lerp_(b, 0.5)
    assert a.tolist()[:2] == [1.5, 1.0]
    with pytest.raises(RuntimeError, match="expected dtype float for `end` but got dtype double"):
        tnn.lerp(a, b.double(), 0.5)
    with pytest.raises(RuntimeError, match="expected dtype float for `weight` but got dtype double"):
        tnn.lerp(a, b, b.double())
    with pytest.raises(RuntimeError, match="not implemented for 'Long'"):
        tnn.lerp(T([1], device=device), T([2], device=device), 0.5)


# ----------------------------------------------------------------------------- errors
def test_error_messages(device):
    x = T([1.0, 2.0], device=device)
    i = T([1, 2], device=device)
    m = T([True, False], device=device)
    with pytest.raises(RuntimeError, match="Negation, the `-` operator, on a bool tensor is not supported"):
        -m
    with pytest.raises(RuntimeError, match="Subtraction, the `-` operator, with two bool tensors"):
        m - m
    with pytest.raises(RuntimeError, match="Subtraction, the `-` operator, with a bool tensor"):
        m - 1
    with pytest.raises(RuntimeError, match="\"bitwise_and_cpu\" not implemented for 'Float'|bitwise_and_cuda"):
        x & x
    with pytest.raises(RuntimeError, match="bitwise_not_c.* not implemented for 'Float'"):
        ~x
    with pytest.raises(RuntimeError, match="For integral input tensors, argument alpha must not be a floating"):
        tnn.add(i, i, alpha=0.5)
    with pytest.raises(RuntimeError, match="Boolean alpha only supported for Boolean results"):
        tnn.add(x, x, alpha=True)
    with pytest.raises(RuntimeError, match="Integers to negative integer powers are not allowed."):
        i ** -1
    with pytest.raises(RuntimeError, match="div expected rounding_mode to be one of None, 'trunc', or 'floor'"):
        tnn.div(x, x, rounding_mode="round")
    with pytest.raises(RuntimeError, match=r"The size of tensor a \(2\) must match the size of tensor b \(3\)"):
        x + T([1.0, 2.0, 3.0], device=device)
    with pytest.raises(TypeError, match=r"add\(\): argument 'other' \(position 2\) must be Tensor, not str"):
        tnn.add(x, "a")
    with pytest.raises(TypeError, match="must be Tensor, not int"):
        tnn.mul(2, 3)
    with pytest.raises(TypeError):
        x + [1.0, 2.0]


def test_integer_division_by_zero_raises(device):
    i = T([1, 2], device=device)
    z = T([1, 0], device=device)
    for fn in (lambda: i // 0, lambda: i % 0, lambda: tnn.fmod(i, 0), lambda: tnn.div(i, 0, rounding_mode="trunc")):
        with pytest.raises(RuntimeError, match="ZeroDivisionError"):
            fn()
    if device == "cpu":  # a cuda check would need a device sync; torch does not check there either
        with pytest.raises(RuntimeError, match="ZeroDivisionError"):
            i // z
        with pytest.raises(RuntimeError, match="ZeroDivisionError"):
            i.remainder_(z)
    assert (i / 0).tolist() == [float("inf")] * 2  # true division is float: IEEE
    assert (T([1.0, -1.0], device=device) // 0).tolist() == [float("inf"), float("-inf")]
