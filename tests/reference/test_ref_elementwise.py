"""tnn.reference elementwise ops: forwards against plain NumPy and torch's dtype rules; every
backward against central finite differences, breakpoint conventions checked explicitly."""
import math

import ml_dtypes
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tnn.reference as ref
from tnn.testing import broadcastable_shapes

from .fd import away, check, normal

SHAPE = (3, 4)

# name -> (input generator, plain NumPy forward)
UNARY = {
    "neg": (normal, np.negative),
    "abs": (away, np.abs),
    "exp": (normal, np.exp),
    "exp2": (normal, np.exp2),
    "expm1": (normal, np.expm1),
    "log": (lambda s: away(s, positive=True), np.log),
    "log2": (lambda s: away(s, positive=True), np.log2),
    "log1p": (lambda s: away(s, positive=True) - 0.5, np.log1p),
    "sqrt": (lambda s: away(s, positive=True), np.sqrt),
    "rsqrt": (lambda s: away(s, positive=True), lambda x: 1 / np.sqrt(x)),
    "reciprocal": (away, lambda x: 1 / x),
    "sin": (normal, np.sin),
    "cos": (normal, np.cos),
    "tanh": (normal, np.tanh),
    "sigmoid": (normal, lambda x: 1 / (1 + np.exp(-x))),
    "relu": (away, lambda x: np.maximum(x, 0)),
    "square": (normal, np.square),
    "sign": (away, np.sign),
    "floor": (lambda s: np.floor(normal(s) * 3) + 0.5, np.floor),
    "ceil": (lambda s: np.floor(normal(s) * 3) + 0.5, np.ceil),
    "trunc": (lambda s: np.floor(normal(s) * 3) + 0.5, np.trunc),
    "round": (lambda s: np.floor(normal(s) * 3) + 0.3, np.round),
}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_forward_and_backward(name):
    gen, np_fn = UNARY[name]
    x = gen(SHAPE)
    out = getattr(ref, name)(x)
    assert out.dtype == np.float64 and out.shape == SHAPE
    np.testing.assert_allclose(out, np_fn(x), rtol=1e-12, atol=1e-12)
    (g,) = check(name, x)
    if name in ("sign", "floor", "ceil", "trunc", "round"):
        assert not g.any()


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_0d_and_empty(name):
    gen, _ = UNARY[name]
    check(name, gen(()))
    assert getattr(ref, name)(np.zeros((0, 3))).shape == (0, 3)


def test_unary_dtypes():
    i8 = np.array([-128, -3, 0, 5], np.int8)
    assert ref.exp(i8).dtype == np.float32            # float math on ints: the default dtype
    assert ref.sqrt(np.array([True])).dtype == np.float32
    assert ref.abs(i8).dtype == np.int8 and ref.abs(i8)[0] == -128  # wraps like the device
    assert ref.neg(i8).tolist() == [-128, 3, 0, -5]
    assert ref.square(np.array([True, False])).dtype == np.int64
    assert ref.relu(i8).tolist() == [0, 0, 0, 5]
    assert ref.sign(np.array([0.0, -0.0, 2.0, -3.0])).tolist() == [0, 0, 1, -1]
    bf = np.array([1.0, 2.0], ml_dtypes.bfloat16)
    assert ref.exp(bf).dtype == ml_dtypes.bfloat16
    np.testing.assert_allclose(ref.exp(bf).astype(np.float64), np.exp([1.0, 2.0]), rtol=8e-3)
    assert ref.sin(np.array([0.5], np.float16)).dtype == np.float16
    f = np.array([np.nan, np.inf, -np.inf, 1.0, 0.0])
    assert ref.isnan(f).tolist() == [True, False, False, False, False]
    assert ref.isinf(f).tolist() == [False, True, True, False, False]
    assert ref.isfinite(f).tolist() == [False, False, False, True, True]
    assert ref.logical_not(f).tolist() == [False, False, False, False, True]
    assert ref.isnan(np.arange(3)).dtype == np.bool_
    assert ref.isnan_backward(np.ones(5), f) == (None,)
    assert ref.exp_backward(np.ones(4), i8) == (None,)
    assert ref.bitwise_not(np.array([0, 5], np.uint8)).tolist() == [255, 250]
    assert ref.bitwise_not(np.array([True, False])).tolist() == [False, True]


def test_round_half_even_and_decimals():
    x = np.array([0.5, 1.5, 2.5, -0.5, -1.5, 1.2345, 1250.0])
    assert ref.round(x).tolist() == [0.0, 2.0, 2.0, -0.0, -2.0, 1.0, 1250.0]
    np.testing.assert_allclose(ref.round(x, decimals=2), np.round(x, 2))
    np.testing.assert_allclose(ref.round(x, decimals=-2), np.round(x, -2))
    assert ref.round(np.array([3], np.int32)).tolist() == [3]
    assert not ref.round_backward(np.ones(7), x, decimals=1)[0].any()


def test_unary_breakpoints():
    z = np.array([0.0, -0.0, 1.0, -1.0])
    g = np.array([1.0, 2.0, 3.0, 4.0])
    assert ref.relu_backward(g, z)[0].tolist() == [0.0, 0.0, 3.0, 0.0]    # relu'(0) = 0
    assert ref.abs_backward(g, z)[0].tolist() == [0.0, 0.0, 3.0, -4.0]    # abs'(0) = 0
    ints = np.array([1.0, -2.0, 3.0, 0.0])
    for name in ("sign", "floor", "ceil", "trunc", "round"):
        assert getattr(ref, name + "_backward")(g, ints)[0].tolist() == [0.0] * 4
    assert ref.sqrt_backward(np.ones(1), np.zeros(1))[0][0] == np.inf


# ----------------------------------------------------------------------------- binary
def _binary_inputs(name, sa, sb, seed=0):
    a, b = normal(sa, seed), normal(sb, seed + 7)
    if name == "div":
        b = away(sb, seed + 7, 0.5, 2.0)
    if name in ("remainder", "fmod"):  # a / b at least 0.09 away from an integer (the jumps)
        b = away(sb, seed + 7, 1.0, 1.1)
        a = np.asarray(np.floor(normal(sa, seed) * 2) + 0.5 + away(sa, seed + 3, 0.0, 0.1))
    if name == "pow":
        a = away(sa, seed, 0.5, 2.0, positive=True)
    if name in ("maximum", "minimum"):  # ties are measure zero, checked separately
        a = np.asarray(a + 0.01 * np.sign(a))
    return a, b


BINARY = {
    "add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide, "remainder": np.remainder,
    "fmod": np.fmod, "pow": np.power, "maximum": np.maximum, "minimum": np.minimum,
}
SHAPE_PAIRS = [((3, 4), (3, 4)), ((3, 1), (1, 4)), ((2, 3, 4), (4,)), ((4,), (2, 1, 4)), ((), (3, 2)),
               ((5,), ())]


@pytest.mark.parametrize("shapes", SHAPE_PAIRS, ids=str)
@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_forward_and_backward(name, shapes):
    a, b = _binary_inputs(name, *shapes)
    out = getattr(ref, name)(a, b)
    np.testing.assert_allclose(out, BINARY[name](a, b), rtol=1e-12, atol=1e-12)
    ga, gb = check(name, a, b)
    assert ga.shape == a.shape and gb.shape == b.shape


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_with_scalar_operands(name):
    a, b = _binary_inputs(name, (2, 3), (2, 3))
    s = 1.75
    ga, gs = getattr(ref, name + "_backward")(np.ones((2, 3)), a, s)
    assert gs is None and ga.shape == (2, 3)
    check(name, a, s)
    if name != "pow":  # pow(scalar, tensor) below, with a positive base
        check(name, s, b)


@given(shapes=broadcastable_shapes(max_dims=3, max_size=5), name=st.sampled_from(sorted(BINARY)),
       seed=st.integers(0, 100))
def test_binary_broadcast_property(shapes, name, seed):
    a, b = _binary_inputs(name, *shapes, seed=seed)
    check(name, a, b, seed=seed)


def test_alpha_and_rounding_modes():
    a, b = normal((2, 3)), away((3,), 1)
    np.testing.assert_allclose(ref.add(a, b, alpha=2.5), a + 2.5 * b)
    np.testing.assert_allclose(ref.sub(a, b, alpha=-3), a + 3 * b)
    check("add", a, b, alpha=2.5)
    check("sub", a, b, alpha=-3)
    x, y = np.array([7.5, -7.5, 7.0, -7.0]), np.array([2.0, 2.0, -2.0, -2.0])
    assert ref.div(x, y, rounding_mode="trunc").tolist() == [3.0, -3.0, -3.0, 3.0]
    assert ref.div(x, y, rounding_mode="floor").tolist() == [3.0, -4.0, -4.0, 3.0]
    xi, yi = np.array([7, -7, 7, -7], np.int32), np.array([2, 2, -2, -2], np.int32)
    assert ref.div(xi, yi, rounding_mode="trunc").tolist() == [3, -3, -3, 3]
    assert ref.div(xi, yi, rounding_mode="floor").tolist() == [3, -4, -4, 3]
    assert ref.div(xi, yi, rounding_mode="floor").dtype == np.int32
    assert ref.floor_divide(xi, yi).tolist() == [3, -4, -4, 3]
    assert ref.remainder(xi, yi).tolist() == [1, 1, -1, -1]
    assert ref.fmod(xi, yi).tolist() == [1, -1, 1, -1]
    for mode in ("trunc", "floor"):
        ga, gb = ref.div_backward(np.ones(4), x, y, rounding_mode=mode)
        assert not ga.any() and not gb.any()
    with pytest.raises(RuntimeError, match="rounding_mode"):
        ref.div(x, y, rounding_mode="round")


def test_binary_promotion():
    f32, f16 = np.ones(2, np.float32), np.ones(2, np.float16)
    i32, u8, b = np.ones(2, np.int32), np.ones(2, np.uint8), np.ones(2, bool)
    bf = np.ones(2, ml_dtypes.bfloat16)
    assert ref.add(i32, 1.5).dtype == np.float32        # a float scalar gives the default dtype
    assert ref.add(i32, 2).dtype == np.int32            # an int scalar does not widen
    assert ref.add(f16, np.float64(2.0)).dtype == np.float16
    assert ref.add(f16, np.ones((), np.float64)).dtype == np.float16  # 0-d arrays rank below dimensioned
    assert ref.add(np.ones((), np.float64), np.ones((), np.float32)).dtype == np.float64
    assert ref.mul(f16, bf).dtype == np.float32
    assert ref.add(u8, np.ones(2, np.int8)).dtype == np.int16
    assert ref.add(b, b).dtype == np.bool_ and ref.add(b, b).tolist() == [True, True]
    assert ref.div(i32, i32).dtype == np.float32
    assert ref.add(u8, 255).tolist() == [0, 0]           # wraps in uint8
    assert ref.lt(f32, 2).dtype == np.bool_
    # Operands compare in the common dtype: float32(0.1) == 0.1 (the scalar is cast to float32).
    assert ref.eq(np.array([0.1], np.float32), 0.1).tolist() == [True]
    assert ref.eq(np.array([0.1], np.float64), np.float32(0.1)).tolist() == [False]
    assert ref.pow(np.array([2, 3], np.int64), 2).tolist() == [4, 9]
    assert ref.pow(np.array([1, -1, 2], np.int64), np.array([-3, -3, -1])).tolist() == [1, -1, 0]
    assert ref.pow(2, np.array([0.5, 2.0], np.float16)).dtype == np.float16
    assert ref.pow(2.0, np.array([3], np.int64)).dtype == np.float32


def test_pow_gradients():
    b = away((2, 3), 2, 0.5, 2.0)
    check("pow", 1.5, b)                              # scalar base: only the exponent's gradient
    x = away((2, 3), 3, 0.5, 2.0, positive=True)
    for e in (2, 3, 0.5, -1, -2.5):
        check("pow", x, e)
    # torch's conventions at zero: d/dinput is 0 where the exponent is 0; d/dexponent is 0 where
    # input == 0 and exponent >= 0.
    ga, gb = ref.pow_backward(np.ones(3), np.array([0.0, 0.0, 2.0]), np.array([0.0, 2.0, 0.0]))
    assert ga.tolist() == [0.0, 0.0, 0.0]
    assert gb.tolist() == [0.0, 0.0, math.log(2.0)]


def test_maximum_minimum_ties_split_evenly():
    a, b = np.array([1.0, 2.0, 3.0]), np.array([1.0, 5.0, 0.0])
    g = np.array([2.0, 4.0, 6.0])
    ga, gb = ref.maximum_backward(g, a, b)
    assert ga.tolist() == [1.0, 0.0, 6.0] and gb.tolist() == [1.0, 4.0, 0.0]
    ga, gb = ref.minimum_backward(g, a, b)
    assert ga.tolist() == [1.0, 4.0, 0.0] and gb.tolist() == [1.0, 0.0, 6.0]
    assert np.isnan(ref.maximum(np.array([np.nan]), np.array([1.0]))[0])


@pytest.mark.parametrize("name", ["eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or", "logical_xor"])
def test_comparisons_and_logical(name):
    a = np.array([[0.0, 1.0, 2.0], [3.0, 0.0, -1.0]])
    b = np.array([0.0, 2.0, 2.0])
    np_fn = {"eq": np.equal, "ne": np.not_equal, "lt": np.less, "le": np.less_equal, "gt": np.greater,
             "ge": np.greater_equal, "logical_and": np.logical_and, "logical_or": np.logical_or,
             "logical_xor": np.logical_xor}[name]
    out = getattr(ref, name)(a, b)
    assert out.dtype == np.bool_
    np.testing.assert_array_equal(out, np_fn(a, b))
    assert getattr(ref, name + "_backward")(np.ones((2, 3)), a, b) == (None, None)


def test_bitwise():
    a, b = np.array([12, 5], np.int32), np.array([10, 3], np.int32)
    assert ref.bitwise_and(a, b).tolist() == [8, 1]
    assert ref.bitwise_or(a, b).tolist() == [14, 7]
    assert ref.bitwise_xor(a, b).tolist() == [6, 6]


# ----------------------------------------------------------------------------- ternary
def test_where():
    c = np.array([[True, False, True]])
    a, b = normal((2, 3)), normal((2, 1), 1)
    np.testing.assert_allclose(ref.where(c, a, b), np.where(c, a, b))
    gc, ga, gb = check("where", c, a, b)
    assert gc is None
    assert ref.where(c, 1, 2.5).dtype == np.float32  # two scalars promote among themselves
    assert ref.where(c, np.ones(3, np.int32), 2.5).dtype == np.float32
    none_c, ga, gs = ref.where_backward(np.ones((1, 3)), c, a[:1], 0.0)
    assert none_c is None and gs is None and ga.tolist() == [[1.0, 0.0, 1.0]]


def test_clamp_scalars():
    x = away((3, 4), 1, 0.1, 2.0)
    x = np.where(np.abs(np.abs(x) - 0.5) < 0.05, x + 0.2, x)  # away from the bounds
    np.testing.assert_allclose(ref.clamp(x, -0.5, 0.5), np.clip(x, -0.5, 0.5))
    np.testing.assert_allclose(ref.clamp(x, min=-0.5), np.maximum(x, -0.5))
    np.testing.assert_allclose(ref.clamp(x, max=0.5), np.minimum(x, 0.5))
    check("clamp", x, -0.5, 0.5)
    check("clamp", x, min=-0.5)
    check("clamp", x, max=0.5)
    check("clamp_min", x, -0.5)
    check("clamp_max", x, 0.5)
    assert ref.clamp(np.array([1, 5, 9], np.int32), 2, 6).tolist() == [2, 5, 6]
    assert ref.clamp(np.array([1, 5, 9], np.int32), 2.5).dtype == np.float32
    assert ref.clamp(np.array([1.0, 5.0]), 4.0, 2.0).tolist() == [2.0, 2.0]  # min > max gives max
    assert np.isnan(ref.clamp(np.array([np.nan]), 0.0, 1.0)[0])


def test_clamp_breakpoints_inclusive():
    x = np.array([-1.0, -0.5, 0.0, 0.5, 1.0])
    g = np.ones(5)
    gx, gmin, gmax = ref.clamp_backward(g, x, -0.5, 0.5)
    assert gx.tolist() == [0.0, 1.0, 1.0, 1.0, 0.0] and gmin is None and gmax is None
    assert ref.clamp_backward(g, x, min=-0.5)[0].tolist() == [0.0, 1.0, 1.0, 1.0, 1.0]
    assert ref.clamp_backward(g, x, max=0.5)[0].tolist() == [1.0, 1.0, 1.0, 1.0, 0.0]


def test_clamp_tensor_bounds():
    x = normal((3, 4))
    lo = normal((4,), 1) - 0.8
    hi = lo + np.abs(normal((3, 1), 2)) + 0.3
    x = np.where(np.minimum(np.abs(x - lo), np.abs(x - hi)) < 0.05, x + 0.1, x)
    np.testing.assert_allclose(ref.clamp(x, lo, hi), np.minimum(np.maximum(x, lo), hi))
    check("clamp", x, lo, hi)
    check("clamp", x, min=lo)
    check("clamp", x, max=hi)
    # min > max: the result is max, whose gradient it gets; x and min get none.
    gx, gmin, gmax = ref.clamp_backward(np.ones(1), np.array([0.0]), np.array([2.0]), np.array([1.0]))
    assert (gx.tolist(), gmin.tolist(), gmax.tolist()) == ([0.0], [0.0], [1.0])


def test_lerp():
    a, b = normal((2, 3)), normal((3,), 1)
    w = np.array([0.0, 0.3, 0.7])
    np.testing.assert_allclose(ref.lerp(a, b, w), a + w * (b - a), rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(ref.lerp(a, np.broadcast_to(b, a.shape), 1.0), np.broadcast_to(b, a.shape))
    check("lerp", a, b, w)
    check("lerp", a, b, 0.25)
    assert ref.lerp(a.astype(np.float16), b.astype(np.float16), 0.5).dtype == np.float16
