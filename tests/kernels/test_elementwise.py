"""Elementwise unary and binary ops against NumPy: values over dtypes, broadcast shape pairs,
non-contiguous layouts and Python scalars on either side."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import tnn
from tnn.runtime import dtypes as dt
from tnn.testing import ALL_DTYPES, assert_close, broadcastable_shapes, layouts, make_tensor, random_array, shapes

FLOATS = (dt.float32, dt.float16, dt.bfloat16, dt.float64)
INTS = (dt.int64, dt.int32, dt.int16, dt.int8, dt.uint8)


def _np(x):
    """Host array of a tensor, bfloat16 widened to float32."""
    a = x.numpy().copy()
    return a.astype(np.float32) if x.dtype is dt.bfloat16 else a


def _check(actual, expected, res_dtype, shape):
    assert actual.dtype is res_dtype, (actual.dtype, res_dtype)
    assert tuple(actual.shape) == tuple(shape)
    if res_dtype.is_floating_point:
        with np.errstate(all="ignore"):  # round (and overflow) the reference to the result dtype
            expected = np.asarray(expected, dtype=np.float64).astype(res_dtype.np).astype(np.float64)
        assert_close(actual, expected)
    else:
        np.testing.assert_array_equal(_np(actual), np.asarray(expected).astype(res_dtype.np))


# ----------------------------------------------------------------------------- unary
def _sign(x):
    if x.dtype == np.bool_:
        return x
    return (x > 0).astype(x.dtype) - (x < 0).astype(x.dtype)  # torch: sign(nan) = 0


UNARY = {
    "neg": np.negative, "abs": np.abs, "sign": _sign, "exp": np.exp, "exp2": np.exp2, "expm1": np.expm1,
    "log": np.log, "log2": np.log2, "log1p": np.log1p, "sqrt": np.sqrt, "rsqrt": lambda x: 1 / np.sqrt(x),
    "reciprocal": lambda x: 1 / x, "sin": np.sin, "cos": np.cos, "tanh": np.tanh,
    "sigmoid": lambda x: 1 / (1 + np.exp(-x)), "relu": lambda x: np.where(x < 0, 0, x), "floor": np.floor,
    "ceil": np.ceil, "round": np.round, "trunc": np.trunc, "square": np.square, "isnan": np.isnan,
    "isinf": np.isinf, "isfinite": np.isfinite, "logical_not": np.logical_not, "bitwise_not": np.invert,
}
FLOAT_VALUED = {"exp", "exp2", "expm1", "log", "log2", "log1p", "sqrt", "rsqrt", "reciprocal", "sin", "cos", "tanh",
                "sigmoid"}


def _unary_dtypes(name):
    if name == "bitwise_not":
        return INTS + (dt.bool_,)
    if name == "neg":
        return FLOATS + INTS
    return ALL_DTYPES


def _unary_result(name, d):
    if name in FLOAT_VALUED:
        return d if d.is_floating_point else dt.float32
    if name in ("isnan", "isinf", "isfinite", "logical_not"):
        return dt.bool_
    if name == "square" and d is dt.bool_:
        return dt.int64
    return d


def _unary_reference(name, arr, d):
    res = _unary_result(name, d)
    with np.errstate(all="ignore"):
        if res.is_floating_point or name in ("isnan", "isinf", "isfinite"):
            x = arr.astype(np.float64)
        elif name == "square":
            x = arr.astype(res.np)
        else:
            x = arr
        return UNARY[name](x), res


@pytest.mark.parametrize("name", sorted(UNARY))
@given(data=st.data(), shape=shapes(0, 3, max_size=13, allow_empty=True), layout=layouts(), seed=st.integers(0, 2**31))
def test_unary_matches_numpy(device, name, data, shape, layout, seed):
    d = data.draw(st.sampled_from(_unary_dtypes(name)), label="dtype")
    low, high = (-1.5, 4.0) if name in ("log", "log2", "log1p", "sqrt", "rsqrt") else (-4.0, 4.0)
    arr = random_array(d, shape, seed, low, high)
    if name in ("round",) and d.is_floating_point:
        arr = (np.round(arr.astype(np.float64) * 2) / 2).astype(d.np)  # many exact .5 ties
    x = make_tensor(arr, layout, device)
    expected, res = _unary_reference(name, arr.astype(np.float32) if d is dt.bfloat16 else arr, d)
    _check(getattr(tnn, name)(x), expected, res, shape)
    if name in ("isnan", "isinf", "isfinite", "bitwise_not"):
        return
    if res is d or (res.category <= d.category):
        # the in-place variant writes into x itself (same storage, version bumped)
        ptr, ver = x.data_ptr(), x._version
        r = getattr(x, name + "_")()
        assert r is x and x.data_ptr() == ptr and x._version == ver + 1
        _check(x, np.asarray(expected).astype(res.np).astype(d.np) if res is not d else expected, d, shape)


SPECIAL = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-30, -1e-30, 1e-8, -1e-8, 0.5, -0.5, 1.5, 2.5, -2.5, 1.0,
                    -1.0, 30.0, -30.0, 88.0, -88.0, 100.0, -100.0, 1e30, -1e30, 0.49999997, 3.0e-5, -0.4])


@pytest.mark.parametrize("d", [dt.float32, dt.float64])
@pytest.mark.parametrize("name", sorted(set(UNARY) - {"bitwise_not"}))
def test_unary_special_values(device, name, d):
    arr = SPECIAL.astype(d.np)
    out = getattr(tnn, name)(tnn.tensor(arr, device=device))
    expected, res = _unary_reference(name, arr, d)
    if res.is_floating_point:
        # |x| large: exp/sin/cos etc. of huge arguments compare with a looser tolerance
        with np.errstate(all="ignore"):
            expected = np.asarray(expected, np.float64).astype(res.np)  # overflow to inf as the result dtype
        assert_close(out, expected.astype(np.float64), rtol=2e-5 if d is dt.float32 else 1e-7, atol=1e-6,
                     equal_nan=True)
    else:
        np.testing.assert_array_equal(_np(out), expected)


def test_sign_of_zero_and_nan(device):
    out = tnn.sign(tnn.tensor([-0.0, 0.0, np.nan, -np.inf, 3.0], device=device)).numpy()
    np.testing.assert_array_equal(out, [0.0, 0.0, 0.0, -1.0, 1.0])
    assert not np.signbit(out[0])  # torch: (0 < x) - (x < 0) is +0


def test_round_half_even(device):
    vals = [0.5, 1.5, 2.5, 3.5, -0.5, -1.5, -2.5, 0.49999997, 2.0**23 + 1, -(2.0**23) - 1, 1e30, -0.4, 0.4]
    for d in (dt.float32, dt.float64, dt.float16):
        with np.errstate(over="ignore"):  # 1e30 is inf in float16
            arr = np.array(vals, d.np)
        out = tnn.round(tnn.tensor(arr, device=device)).numpy()
        np.testing.assert_array_equal(out, np.round(arr))
        assert np.signbit(out[-2]) and not np.signbit(out[-1])  # round(-0.4) = -0.0


def test_round_decimals(device):
    arr = np.array([1.2345, -2.5551, 1234.5, -1250.0, 0.125], np.float64)
    x = tnn.tensor(arr, device=device)
    assert_close(tnn.round(x, decimals=2), np.round(arr, 2))
    assert_close(tnn.round(x, decimals=-2), np.round(arr, -2))
    with pytest.raises(RuntimeError, match="not implemented for 'Long'"):
        tnn.round(tnn.tensor([1, 2], device=device), decimals=1)


def test_expm1_log1p_tanh_small_arguments_are_accurate(device):
    arr = np.array([1e-10, -1e-10, 1e-6, -3e-5, 0.01, -0.3, 0.49, -0.49, 0.51], np.float64)
    for d in (dt.float32, dt.float64):
        x = tnn.tensor(arr.astype(d.np), device=device)
        a = arr.astype(d.np).astype(np.float64)
        tol = dict(rtol=2e-7 if d is dt.float32 else 1e-14, atol=0)
        assert_close(tnn.expm1(x), np.expm1(a), **tol)
        assert_close(tnn.log1p(x), np.log1p(a), **tol)
        assert_close(tnn.tanh(x), np.tanh(a), **tol)


def test_integer_inputs_to_float_ops_give_default_dtype(device):
    x = tnn.tensor([1, 2, 3], device=device)
    for name in sorted(FLOAT_VALUED):
        assert getattr(tnn, name)(x).dtype is dt.float32
    prev = dt.get_default_dtype()
    try:
        tnn.set_default_dtype(dt.float64)
        assert tnn.exp(x).dtype is dt.float64
        assert_close(tnn.sqrt(x), np.sqrt([1.0, 2.0, 3.0]))
    finally:
        tnn.set_default_dtype(prev)
    assert tnn.sqrt(tnn.tensor([True, False], device=device)).dtype is dt.float32
    # rounding ops keep integers as they are
    assert tnn.floor(x).dtype is dt.int64 and tnn.round(x).tolist() == [1, 2, 3]


# ----------------------------------------------------------------------------- binary
BINARY = ["add", "sub", "mul", "div", "div_trunc", "div_floor", "floor_divide", "remainder", "fmod", "pow",
          "maximum", "minimum", "eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or", "logical_xor",
          "bitwise_and", "bitwise_or", "bitwise_xor", "add_alpha", "sub_alpha"]
BOOL_OUT = {"eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or", "logical_xor"}
INT_DIV = {"div_trunc", "div_floor", "floor_divide", "remainder", "fmod"}


def _call(name, a, b):
    if name == "div_trunc":
        return tnn.div(a, b, rounding_mode="trunc")
    if name == "div_floor":
        return tnn.div(a, b, rounding_mode="floor")
    if name == "add_alpha":
        return tnn.add(a, b, alpha=2 if not _is_float(a, b) else 0.5)
    if name == "sub_alpha":
        return tnn.sub(a, b, alpha=3 if not _is_float(a, b) else -1.5)
    return getattr(tnn, name)(a, b)


def _is_float(a, b):
    return tnn.result_type(a, b).is_floating_point


def _ref_op(name, A, B, common):
    """NumPy reference on operands already converted to the common dtype (float64 for floats)."""
    f = common.is_floating_point
    if name == "add":
        return A + B
    if name == "sub":
        return A - B
    if name == "add_alpha":
        return A + (0.5 if f else 2) * B
    if name == "sub_alpha":
        return A - (-1.5 if f else 3) * B
    if name == "mul":
        return A * B
    if name == "div":
        return A.astype(np.float64) / B.astype(np.float64)
    if name == "div_trunc":
        return np.trunc(A / B) if f else (np.trunc(A.astype(np.float64) / B)).astype(common.np)
    if name in ("div_floor", "floor_divide"):
        return np.floor_divide(A, B)
    if name == "remainder":
        return np.remainder(A, B)
    if name == "fmod":
        return np.fmod(A, B)
    if name == "pow":
        return np.power(A, B)
    if name in ("maximum", "minimum"):
        return getattr(np, name)(A, B)
    ops = {"eq": np.equal, "ne": np.not_equal, "lt": np.less, "le": np.less_equal, "gt": np.greater,
           "ge": np.greater_equal, "logical_and": np.logical_and, "logical_or": np.logical_or,
           "logical_xor": np.logical_xor, "bitwise_and": np.bitwise_and, "bitwise_or": np.bitwise_or,
           "bitwise_xor": np.bitwise_xor}
    return ops[name](A, B)


def _valid(name, da, db, common):
    if name.startswith("bitwise"):
        return not common.is_floating_point
    if name in ("sub", "sub_alpha"):
        return dt.bool_ not in (da, db)
    if name in INT_DIV or name == "pow":
        return common is not dt.bool_
    if name == "add_alpha":
        return common is not dt.bool_
    return True


SCALARS = {"int": [2, -3, 5], "float": [0.5, -1.25, 3.0], "bool": [True, False]}


@st.composite
def _operand_pair(draw, name):
    """(a, b) as (kind, dtype, shape, layout, value-or-array) with at least one tensor."""
    sa, sb = draw(broadcastable_shapes(max_dims=3, max_size=7))
    kinds = draw(st.sampled_from([("t", "t"), ("t", "t"), ("t", "s"), ("s", "t")]))
    out = []
    for kind, shape in zip(kinds, (sa, sb)):
        if kind == "t":
            d = draw(st.sampled_from(ALL_DTYPES))
            seed = draw(st.integers(0, 2**31))
            out.append(("t", d, shape, draw(layouts()), random_array(d, shape, seed)))
        else:
            skind = draw(st.sampled_from(sorted(SCALARS)))
            out.append(("s", None, None, None, draw(st.sampled_from(SCALARS[skind]))))
    return out


@pytest.mark.parametrize("name", BINARY)
@given(data=st.data())
def test_binary_matches_numpy(device, name, data):
    (ka, da, sa, la, va), (kb, db, sb, lb, vb) = data.draw(_operand_pair(name))
    da_ = da if ka == "t" else tnn.result_type(va)
    db_ = db if kb == "t" else tnn.result_type(vb)
    probe_a = tnn.tensor(va, device=device) if ka == "t" else va
    probe_b = tnn.tensor(vb, device=device) if kb == "t" else vb
    common = tnn.result_type(probe_a, probe_b)
    if not _valid(name, da_, db_, common):
        return
    if (name in INT_DIV and not common.is_floating_point) or (name == "pow" and not common.is_floating_point):
        # integer division by zero raises (tested separately); negative integer powers likewise
        if kb == "t":
            vb = np.where(vb == 0, 1, vb).astype(vb.dtype) if name != "pow" else np.abs(vb).astype(vb.dtype)
        elif name != "pow":
            vb = vb if vb != 0 else 1
        else:
            vb = abs(vb)
    a = make_tensor(va, la, device) if ka == "t" else va
    b = make_tensor(vb, lb, device) if kb == "t" else vb
    out = _call(name, a, b)

    def conv(k, d, v):
        arr = np.asarray(v)
        if k == "t" and d is dt.bfloat16:
            arr = arr.astype(np.float32)
        arr = arr.astype(common.np) if common is not dt.bfloat16 else arr.astype(dt.bfloat16.np)
        return arr.astype(np.float64) if common.is_floating_point else arr

    A, B = conv(ka, da, va), conv(kb, db, vb)
    with np.errstate(all="ignore"):
        expected = _ref_op(name, A, B, common)
    if name in BOOL_OUT:
        res = dt.bool_
    elif name == "div":
        res = common if common.is_floating_point else dt.float32
    else:
        res = common
    shape = np.broadcast_shapes(*(s for s in (sa, sb) if s is not None))
    _check(out, np.broadcast_to(expected, shape), res, shape)


def test_integer_division_semantics(device):
    a = tnn.tensor([7, -7, 7, -7, 0], device=device)
    b = tnn.tensor([2, 2, -2, -2, 3], device=device)
    assert tnn.div(a, b, rounding_mode="trunc").tolist() == [3, -3, -3, 3, 0]
    assert tnn.div(a, b, rounding_mode="floor").tolist() == [3, -4, -4, 3, 0]
    assert (a // b).tolist() == [3, -4, -4, 3, 0]
    assert (a % b).tolist() == [1, 1, -1, -1, 0]
    assert tnn.fmod(a, b).tolist() == [1, -1, 1, -1, 0]
    assert (a / b).dtype is dt.float32 and (a / b).tolist() == [3.5, -3.5, -3.5, 3.5, 0.0]
    u = tnn.tensor(np.array([250, 7], np.uint8), device=device)
    assert (u // 3).tolist() == [83, 2] and (u % 3).tolist() == [1, 1] and (u + 10).tolist() == [4, 17]


def test_float_division_semantics(device):
    a = tnn.tensor([7.5, -7.5, 7.5, -7.5, 1.0, -1.0, 0.0, 5.0], device=device)
    b = tnn.tensor([2.0, 2.0, -2.0, -2.0, 0.0, 0.0, 0.0, np.inf], device=device)
    with np.errstate(all="ignore"):
        an, bn = a.numpy(), b.numpy()
        np.testing.assert_array_equal((a // b).numpy(), np.floor_divide(an, bn))
        np.testing.assert_array_equal((a % b).numpy(), np.remainder(an, bn))
        np.testing.assert_array_equal(tnn.fmod(a, b).numpy(), np.fmod(an, bn))
        np.testing.assert_array_equal(tnn.div(a, b, rounding_mode="trunc").numpy(), np.trunc(an / bn))
        np.testing.assert_array_equal((a / b).numpy(), an / bn)
    # floor division of a negative by a positive giving zero keeps the sign, as torch
    z = tnn.div(tnn.tensor([-0.5], device=device), 4.0, rounding_mode="floor").numpy()
    assert z[0] == -1.0


def test_pow_special_values(device):
    vals = np.array([0.0, -0.0, 1.0, -1.0, 2.0, -2.0, 0.5, -0.5, np.inf, -np.inf, np.nan, 3.0], np.float64)
    base, expo = np.meshgrid(vals, vals, indexing="ij")
    for d in (dt.float32, dt.float64):
        out = tnn.pow(tnn.tensor(base.astype(d.np), device=device), tnn.tensor(expo.astype(d.np), device=device))
        with np.errstate(all="ignore"):
            exp = np.power(base, expo)
        assert_close(out, exp, equal_nan=True)
        ok = ~np.isnan(exp)  # the sign of zeros and infinities (a NaN's sign bit is arbitrary)
        np.testing.assert_array_equal(np.signbit(out.numpy())[ok], np.signbit(exp.astype(d.np))[ok])


def test_pow_scalar_exponent_fast_paths(device):
    arr = np.array([0.0, 0.25, 1.5, 4.0, -2.0, np.inf], np.float32)
    x = tnn.tensor(arr, device=device)
    with np.errstate(all="ignore"):
        for e in (2, 3, 0.5, -0.5, -1, -2, 2.5, 0, 1):
            assert_close(x ** e, np.power(arr.astype(np.float64), e), equal_nan=True)
    i = tnn.tensor([1, -2, 3], device=device)
    assert (i ** 2).tolist() == [1, 4, 9] and (i ** 2).dtype is dt.int64
    assert (i ** 3).tolist() == [1, -8, 27]
    assert (i ** 0.5).dtype is dt.float32
    assert (2 ** i).tolist() == [2, 0, 8]  # 2 ** -2 -> 0 (tensor exponents follow C's 1 / x, as torch)
    assert (tnn.tensor([True, False], device=device) ** 2).dtype is dt.int64


def test_integer_pow_negative_tensor_exponent(device):
    base = tnn.tensor([1, -1, -1, 2, -3, 0, 5], device=device)
    e = tnn.tensor([-3, -3, -2, -1, -2, 4, 0], device=device)
    assert tnn.pow(base, e).tolist() == [1, -1, 1, 0, 0, 0, 1]
    big = tnn.tensor(np.array([3, 7], np.int8), device=device)
    assert tnn.pow(big, 9).tolist() == list(np.power(np.array([3, 7], np.int8), 9))  # wraps like C


def test_maximum_minimum_propagate_nan(device):
    a = tnn.tensor([1.0, np.nan, 3.0, np.nan], device=device)
    b = tnn.tensor([np.nan, 2.0, 1.0, np.nan], device=device)
    np.testing.assert_array_equal(tnn.maximum(a, b).numpy(), [np.nan, np.nan, 3.0, np.nan])
    np.testing.assert_array_equal(tnn.minimum(a, b).numpy(), [np.nan, np.nan, 1.0, np.nan])


def test_empty_tensors(device):
    x = tnn.tensor(np.zeros((0, 3), np.float32), device=device)
    y = tnn.tensor(np.zeros((4, 1, 3), np.int32), device=device)
    r = x + y
    assert tuple(r.shape) == (4, 0, 3) and r.dtype is dt.float32
    assert tnn.exp(x).shape == (0, 3) and (x == 1).dtype is dt.bool_
    assert tnn.where(x > 0, x, 1.0).shape == (0, 3)
    assert x.add_(1) is x
