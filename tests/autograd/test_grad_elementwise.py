"""Gradients of the elementwise ops (tnn/ops/elementwise.py): unary math, binary arithmetic with
broadcasting, promotion and scalars on either side, where / clamp / lerp, and every in-place
variant, against tnn.reference (NumPy, float64) and finite differences; plus torch's named edge
cases (pow at 0, max/min ties, clamp bounds), grad_fn names, no_grad, out=, and version errors."""
import functools
import math

import numpy as np
import pytest
from hypothesis import given, strategies as st

import tnn
import tnn.reference as ref
from tnn.testing import (assert_close, broadcastable_shapes, gradcheck, layouts, make_tensor, random_array,
                         shapes, to_numpy)

F16, BF16, F32, F64 = tnn.float16, tnn.bfloat16, tnn.float32, tnn.float64
seeds = st.integers(0, 2**16)


def host(x):
    """x's values as NumPy in x's own dtype (bfloat16 kept), for the reference."""
    return x.detach().cpu().numpy().copy()


def leaf(values, device, dtype=F64, layout="contiguous"):
    return make_tensor(np.asarray(values).astype(dtype.np), layout, device, requires_grad=True)


def nonleaf(values, device, dtype=F64):
    """(leaf x, x * 1): a tensor with history that in-place ops may modify."""
    x = leaf(values, device, dtype)
    return x, x * 1


def backprop(y, seed, device):
    """Backpropagate a random gradient through y; returns it as float64 NumPy."""
    g = tnn.tensor(random_array(F64, tuple(y.shape), seed), dtype=y.dtype, device=device)
    y.backward(g)
    return to_numpy(g).astype(np.float64)


def check_grads(inputs, expected, tol=None):
    """Each tensor input that requires grad has a gradient of its shape and dtype equal to the
    reference's entry (None meaning zero)."""
    tol = tol or {}
    for x, e in zip(inputs, expected):
        if not (isinstance(x, tnn.Tensor) and x.requires_grad):
            continue
        assert x.grad is not None
        assert x.grad.dtype is x.dtype and tuple(x.grad.shape) == tuple(x.shape)
        e = np.zeros(tuple(x.shape)) if e is None else e
        assert_close(x.grad, e, dtype=x.dtype, **tol)


# ------------------------------------------------------------------------------ unary
UNARY = ["neg", "abs", "sign", "exp", "exp2", "expm1", "log", "log2", "log1p", "sqrt", "rsqrt", "reciprocal",
         "sin", "cos", "tanh", "sigmoid", "relu", "floor", "ceil", "round", "trunc", "square"]
POSITIVE = {"log", "log2", "sqrt", "rsqrt", "reciprocal"}  # domains: inputs drawn from [0.25, 4]
NAMES = {"neg": "NegBackward0", "log1p": "Log1PBackward0", "square": "PowBackward0", "exp2": "Exp2Backward0",
         "expm1": "Expm1Backward0", "log2": "Log2Backward0"}


def unary_values(name, shape, seed, dtype=F64):
    low = 0.25 if name in POSITIVE else (-0.75 if name == "log1p" else -4.0)
    return random_array(dtype, shape, seed, low=low, high=4.0)


@pytest.mark.parametrize("name", UNARY)
@given(shape=shapes(0, 3, 7, max_numel=64), layout=layouts(), dtype=st.sampled_from([F32, F64]), seed=seeds)
def test_unary_grad(device, name, shape, layout, dtype, seed):
    x = leaf(unary_values(name, shape, seed), device, dtype, layout if shape else "contiguous")
    y = getattr(tnn, name)(x)
    assert y.requires_grad and y.grad_fn.name() == NAMES.get(name, name.title() + "Backward0")
    g = backprop(y, seed + 1, device)
    check_grads([x], getattr(ref, name + "_backward")(g, host(x)))


@pytest.mark.parametrize("name", UNARY)
def test_unary_inplace_grad(device, name):
    """x.op_() on a tensor with history: same gradient and grad_fn name as the out-of-place op;
    ops whose derivative needs the input see its value from before the write."""
    vals = unary_values(name, (3, 5), 3)
    x, y = nonleaf(vals, device)
    out = getattr(y, name + "_")()
    assert out is y and y.grad_fn.name() == NAMES.get(name, name.title() + "Backward0")
    assert y._version == 1 and not y.is_leaf
    g = backprop(y, 4, device)
    assert_close(y, getattr(ref, name)(vals))
    check_grads([x], getattr(ref, name + "_backward")(g, vals))


@pytest.mark.parametrize("name", ["neg", "exp", "sqrt", "sin", "tanh", "sigmoid", "relu", "square", "abs"])
def test_unary_gradcheck(device, name):
    x = leaf(unary_values(name, (2, 3), 11), device)
    assert gradcheck(getattr(tnn, name), [x], reference=getattr(ref, name + "_backward"))


def test_round_decimals_and_rounding_ops_have_zero_grad(device):
    x = leaf([[0.123, -1.77, 2.5]], device)
    for fn, name in [(lambda t: t.round(decimals=2), "RoundBackward1"), (tnn.round, "RoundBackward0"),
                     (tnn.floor, "FloorBackward0"), (tnn.sign, "SignBackward0"), (tnn.trunc, "TruncBackward0")]:
        x.grad = None
        y = fn(x)
        assert y.grad_fn.name() == name
        y.sum().backward()
        assert_close(x.grad, np.zeros((1, 3)))


def test_unary_edge_conventions(device):
    """abs'(0) = 0; relu'(0) = 0; sqrt'(0) = inf; log'(0) = inf."""
    x = leaf([0.0, -2.0, 3.0], device)
    for fn, expected in [(tnn.abs, [0.0, -1.0, 1.0]), (tnn.relu, [0.0, 0.0, 1.0])]:
        x.grad = None
        fn(x).sum().backward()
        assert_close(x.grad, np.array(expected))
    z = leaf([0.0], device)
    tnn.sqrt(z).sum().backward()
    assert z.grad.tolist() == [math.inf]


# ------------------------------------------------------------------------------ binary
BINARY = ["add", "sub", "mul", "div", "true_divide", "remainder", "fmod", "pow", "maximum", "minimum"]
DIVISORS = {"div", "true_divide", "remainder", "fmod"}


def _operand_values(name, which, shape, seed):
    """Values away from the ops' singularities: divisors with |b| in [0.5, 4]; pow's base in
    [0.25, 2] and exponent in [-2, 2]."""
    if name == "pow":
        return random_array(F64, shape, seed, 0.25, 2.0) if which == 0 else random_array(F64, shape, seed, -2, 2)
    if which == 1 and name in DIVISORS:
        v = random_array(F64, shape, seed, 0.5, 4.0)
        return v * np.where(random_array(F64, shape, seed + 7) < 0, -1.0, 1.0)
    return random_array(F64, shape, seed)


@st.composite
def binary_case(draw, name):
    """(shapes, kind, dtypes, kwargs): kind 'tt' (two tensors), 'ts' (tensor, number), 'st'."""
    sa, sb = draw(broadcastable_shapes(max_dims=3, max_size=7))
    kind = draw(st.sampled_from(["tt", "tt", "ts", "st"]))
    dtypes = draw(st.sampled_from([(F32, F32), (F64, F64), (F32, F64), (F64, F32)]))
    kw = {}
    if name in ("add", "sub"):
        kw["alpha"] = draw(st.sampled_from([1, 2, -0.5]))
    if name == "div":
        kw["rounding_mode"] = draw(st.sampled_from([None, None, "trunc", "floor"]))
    return sa, sb, kind, dtypes, kw


def _scalar_for(name, which, seed):
    if name == "pow":
        return [2.0, 0.5, 3.0][seed % 3] if which == 0 else [2, 3, 0.5, -1, 2.5, 0, 1, -1.5][seed % 8]
    if which == 1 and name in DIVISORS:
        return [2.5, -1.5, 0.75][seed % 3]
    return [1.5, -2.0, 3][seed % 3]


@pytest.mark.parametrize("name", BINARY)
@given(data=st.data(), layout=layouts(), seed=seeds)
def test_binary_grad(device, name, data, layout, seed):
    sa, sb, kind, dtypes, kw = data.draw(binary_case(name))
    ops = []
    for which, (shape, d) in enumerate(zip((sa, sb), dtypes)):
        if kind[which] == "s":
            ops.append(_scalar_for(name, which, seed))
        else:
            ops.append(leaf(_operand_values(name, which, shape, seed + which), device, d,
                            layout if len(shape) else "contiguous"))
    y = getattr(tnn, name)(*ops, **kw)
    g = backprop(y, seed + 2, device)
    arrs = [host(o) if isinstance(o, tnn.Tensor) else o for o in ops]
    assert_close(y, getattr(ref, name)(*arrs, **kw), atol=1e-5, rtol=1e-5)
    check_grads(ops, getattr(ref, name + "_backward")(g, *arrs, **kw), {"atol": 1e-5, "rtol": 2e-5})


@pytest.mark.parametrize("name", BINARY)
def test_binary_inplace_grad(device, name):
    """a.op_(b) on a tensor with history: the gradients of the out-of-place op w.r.t. a's old
    value and b (broadcast over a's shape)."""
    av, bv = _operand_values(name, 0, (3, 4), 1), _operand_values(name, 1, (4,), 2)
    x, a = nonleaf(av, device)
    b = leaf(bv, device)
    kw = {"alpha": 2} if name in ("add", "sub") else {}
    method = name + "_" if name != "true_divide" else "div_"
    out = getattr(a, method)(b, **kw)
    assert out is a and a._version == 1
    g = backprop(a, 5, device)
    assert_close(a, getattr(ref, name)(av, bv, **kw))
    check_grads([x, b], getattr(ref, name + "_backward")(g, av, bv, **kw))


@pytest.mark.parametrize("name", BINARY)
def test_binary_gradcheck(device, name):
    a = leaf(_operand_values(name, 0, (2, 3), 21), device)
    b = leaf(_operand_values(name, 1, (3,), 22), device)
    assert gradcheck(getattr(tnn, name), [a, b], reference=getattr(ref, name + "_backward"))


def test_add_sub_alpha_gradcheck(device):
    a, b = leaf(random_array(F64, (3, 1), 1), device), leaf(random_array(F64, (4,), 2), device)
    for fn in (tnn.add, tnn.sub):
        assert gradcheck(functools.partial(fn, alpha=-2.5), [a, b],
                         reference=functools.partial(getattr(ref, fn.__name__ + "_backward"), alpha=-2.5))


@pytest.mark.parametrize("dtype,tol", [(F16, 1e-2), (BF16, 6e-2)])
def test_low_precision_grads(device, dtype, tol):
    """A few ops in float16/bfloat16, compared (loosely) with the float64 reference."""
    av, bv = random_array(F64, (5, 7), 1), random_array(F64, (7,), 2, 0.5, 2)
    for name, fn in [("mul", tnn.mul), ("div", tnn.div), ("add", tnn.add), ("maximum", tnn.maximum)]:
        a, b = leaf(av, device, dtype), leaf(bv, device, dtype)
        g = backprop(fn(a, b), 3, device)
        check_grads([a, b], getattr(ref, name + "_backward")(g, host(a), host(b)), {"atol": tol, "rtol": tol})
    for name in ("exp", "sigmoid", "tanh", "sqrt"):
        x = leaf(unary_values(name, (5, 7), 4), device, dtype)
        g = backprop(getattr(tnn, name)(x), 5, device)
        check_grads([x], getattr(ref, name + "_backward")(g, host(x)), {"atol": tol, "rtol": tol})


def test_promotion_grads_keep_operand_dtypes(device):
    """float32 * float64 -> float64, but each gradient has its operand's dtype; an integer operand
    gets none; a 0-d float64 tensor does not promote a float32 one."""
    a, b = leaf([1.0, 2.0], device, F32), leaf([[3.0], [4.0]], device, F64)
    y = a * b
    assert y.dtype is F64
    y.sum().backward()
    assert a.grad.dtype is F32 and a.grad.tolist() == [7.0, 7.0]
    assert b.grad.dtype is F64 and b.grad.tolist() == [[3.0], [3.0]]
    i = tnn.tensor([2, 3], device=device)
    c = leaf([0.5, 1.5], device, F16)
    (c * i).sum().backward()
    assert c.grad.dtype is F16 and c.grad.tolist() == [2.0, 3.0]
    s = leaf(2.0, device, F64)
    z = leaf([1.0, 2.0, 3.0], device, F32)
    y = z * s
    assert y.dtype is F32
    y.sum().backward()
    assert s.grad.dtype is F64 and s.grad.shape == () and s.grad.item() == 6.0
    assert z.grad.tolist() == [2.0, 2.0, 2.0]


def test_int_divided_by_float_and_integer_results(device):
    x = leaf([1.0, 2.0], device, F32)
    i = tnn.tensor([4, 6], device=device)
    (i / x).sum().backward()  # d/dx (i / x) = -i / x^2
    assert x.grad.tolist() == [-4.0, -1.5]
    y = x // 2  # floor_divide has no gradient
    assert not y.requires_grad and y.grad_fn is None
    for cmp in (x > 1, x == x, tnn.isnan(x), tnn.logical_and(x, x), tnn.isfinite(x)):
        assert not cmp.requires_grad and cmp.grad_fn is None


def test_operators_route_through_functions(device):
    x = leaf([1.0, 2.0, 4.0], device)
    cases = [(lambda t: t * 3, "MulBackward0", [3.0] * 3), (lambda t: 3 * t, "MulBackward0", [3.0] * 3),
             (lambda t: 2 - t, "RsubBackward1", [-1.0] * 3), (lambda t: t - 2, "SubBackward0", [1.0] * 3),
             (lambda t: t + 1, "AddBackward0", [1.0] * 3), (lambda t: 1 + t, "AddBackward0", [1.0] * 3),
             (lambda t: -t, "NegBackward0", [-1.0] * 3), (lambda t: t ** 2, "PowBackward0", [2.0, 4.0, 8.0]),
             (lambda t: 2 ** t, "PowBackward2", [2 * math.log(2), 4 * math.log(2), 16 * math.log(2)]),
             (lambda t: t ** t, "PowBackward1", [1.0, 4 * (1 + math.log(2)), 256 * (1 + math.log(4))]),
             (lambda t: t / 2, "DivBackward0", [0.5] * 3), (lambda t: 4 / t, "DivBackward0", [-4.0, -1.0, -0.25]),
             (lambda t: t % 3, "RemainderBackward0", [1.0] * 3), (lambda t: abs(t), "AbsBackward0", [1.0] * 3),
             (lambda t: tnn.fmod(t, 3), "FmodBackward0", [1.0] * 3), (lambda t: t.div(3, rounding_mode="trunc"),
                                                                    "DivBackward3", [0.0] * 3),
             (lambda t: t.div(t, rounding_mode="floor"), "DivBackward2", [0.0] * 3)]
    for fn, name, expected in cases:
        x.grad = None
        y = fn(x)
        assert y.grad_fn.name() == name
        y.sum().backward()
        assert_close(x.grad, np.array(expected), rtol=1e-12, atol=1e-12)


def test_augmented_assignment_on_nonleaf(device):
    x, y = nonleaf([1.0, 2.0], device)
    w = leaf([3.0, 5.0], device)
    y += w
    y *= w
    y -= 1
    y /= 2
    y **= 2
    assert y.grad_fn.name() == "PowBackward0" and y._version == 5
    y.sum().backward()
    # y = (((x + w) * w - 1) / 2) ** 2
    xv, wv = np.array([1.0, 2.0]), np.array([3.0, 5.0])
    inner = ((xv + wv) * wv - 1) / 2
    assert_close(x.grad, 2 * inner * wv / 2)
    assert_close(w.grad, 2 * inner * (xv + 2 * wv) / 2)


def test_gradient_through_tensor_used_twice(device):
    x = leaf([1.0, -2.0, 3.0], device)
    (x * x + x.exp() * x).sum().backward()
    xv = np.array([1.0, -2.0, 3.0])
    assert_close(x.grad, 2 * xv + np.exp(xv) * (xv + 1))
    x.grad = None
    a = x * 1
    a.mul_(a)  # in place with itself as the other operand: d(a^2)/da = 2a
    a.sum().backward()
    assert_close(x.grad, 2 * xv)


def test_noncontiguous_and_expanded_gradients(device):
    """Gradients arriving as strided / expanded views (from sum, transpose) are handled."""
    x = leaf(random_array(F64, (3, 4), 1), device, layout="transposed")
    w = leaf(random_array(F64, (4,), 2), device)
    y = (x * w).sigmoid().t()  # grad arrives transposed
    y.sum().backward()  # and expanded
    s = 1 / (1 + np.exp(-(host(x) * host(w))))
    assert_close(x.grad, s * (1 - s) * host(w))
    assert_close(w.grad, (s * (1 - s) * host(x)).sum(0))
    assert x.grad.is_contiguous()


def test_zero_size_tensors(device):
    x = leaf(np.zeros((0, 3)), device)
    b = leaf(np.ones(3), device)
    y = (x * b).exp() + tnn.clamp(x, 0, 1) + tnn.where(x > 0, x, b)
    y.sum().backward()
    assert x.grad.shape == (0, 3) and b.grad.tolist() == [0.0, 0.0, 0.0]


def test_no_graph_under_no_grad_and_for_non_float(device):
    x = leaf([1.0, 2.0], device)
    with tnn.no_grad():
        y = x * 2 + x.exp()
        x2 = x.clamp(0, 1)
    assert not y.requires_grad and y.grad_fn is None and not x2.requires_grad
    z = tnn.tensor([1.0, 2.0], device=device)
    assert (z * 2).grad_fn is None and not (z * 2).requires_grad
    with tnn.no_grad():
        x.mul_(2)  # a leaf may be modified in place under no_grad
    assert x.tolist() == [2.0, 4.0] and x.is_leaf and x._version == 1


def test_out_argument_refuses_grad(device):
    x = leaf([1.0, 2.0], device)
    out = tnn.empty(2, dtype=F64, device=device)
    msg = "functions with out=... arguments don't support automatic differentiation"
    for fn in (lambda: tnn.exp(x, out=out), lambda: tnn.add(x, 1, out=out), lambda: tnn.clamp(x, 0, out=out),
               lambda: tnn.where(x > 1, x, 0.0, out=out), lambda: tnn.lerp(x, x, 0.5, out=out),
               lambda: tnn.round(x, out=out)):
        with pytest.raises(RuntimeError, match=msg):
            fn()
    with tnn.no_grad():
        tnn.add(x, 1, out=out)
    assert out.tolist() == [2.0, 3.0]
    tnn.gt(x, 1, out=tnn.empty(2, dtype=tnn.bool, device=device))  # not differentiable: allowed


def test_inplace_on_leaf_raises_before_writing(device):
    x = leaf([1.0, 2.0], device)
    msg = "a leaf Variable that requires grad is being used in an in-place operation."
    for fn in (lambda: x.add_(1), lambda: x.exp_(), lambda: x.clamp_(0, 1), lambda: x.lerp_(x, 0.5),
               lambda: x.pow_(2), lambda: x.eq_(1), lambda: x.round_(decimals=1)):
        with pytest.raises(RuntimeError, match=msg):
            fn()
    assert x.tolist() == [1.0, 2.0] and x._version == 0


def test_inplace_version_errors(device):
    """A tensor saved for backward and then modified in place makes backward raise."""
    x = leaf([0.5, 1.5], device)
    y = x.exp()  # saves its result
    y.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()
    a = x * 1
    b = a.sin()  # saves its input
    a.mul_(2)
    with pytest.raises(RuntimeError, match=r"is at version 1; expected version 0 instead"):
        b.sum().backward()
    c = x * 1
    d = c * c
    c.zero_()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        d.sum().backward()
    e = x * 1
    f = e.sigmoid_()  # uses its own result: a later write to it invalidates it
    f.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        f.sum().backward()


def test_inplace_into_tensor_without_grad(device):
    """buf.add_(w) with w requiring grad: buf joins the graph (AddBackward0)."""
    buf = tnn.zeros(3, dtype=F64, device=device)
    w = leaf([1.0, 2.0, 3.0], device)
    buf.add_(w, alpha=3).mul_(w)
    assert buf.requires_grad and buf.grad_fn.name() == "MulBackward0"
    buf.sum().backward()
    assert w.grad.tolist() == [6.0, 12.0, 18.0]


def test_inplace_on_view_propagates_to_base(device):
    x, y = nonleaf(np.arange(6.0).reshape(2, 3), device)
    y[:, 1].mul_(3)
    y[0].exp_()
    y.sum().backward()
    xv = np.arange(6.0).reshape(2, 3)
    scale = np.array([1.0, 3.0, 1.0])
    expected = np.tile(scale, (2, 1))
    expected[0] = np.exp(xv[0] * scale) * scale
    assert_close(x.grad, expected)
    # exp_ saved its result (the view); a later write through another view of the same storage
    # invalidates it, as in torch (views share the version counter)
    x, y = nonleaf(np.arange(6.0).reshape(2, 3), device)
    y[0].exp_()
    y[:, 1].mul_(3)
    with pytest.raises(RuntimeError, match="saved tensor 0 of ExpBackward0, is at version 2; expected version 1"):
        y.sum().backward()


def test_inplace_comparison_gives_zero_grad(device):
    x, y = nonleaf([1.0, 2.0, 3.0], device)
    y.gt_(1.5)
    assert y.grad_fn.name() == "GtBackward0" and y.tolist() == [0.0, 1.0, 1.0]
    (y * 2 + x).sum().backward()
    assert x.grad.tolist() == [1.0, 1.0, 1.0]
    x.grad = None
    x2, y2 = nonleaf([1.0, 2.0], device)
    y2.floor_divide_(2)
    y2.sum().backward()
    assert x2.grad.tolist() == [0.0, 0.0]


# ------------------------------------------------------------------------------ pow at 0, max/min ties
def test_pow_conventions_at_zero(device):
    x = leaf([0.0, 2.0, -1.5], device)
    (x ** 0).sum().backward()  # d/dx x**0 = 0, even at 0
    assert x.grad.tolist() == [0.0, 0.0, 0.0]
    base = leaf([0.0, 0.0, 0.0, 2.0], device)
    e = leaf([0.0, 2.0, -1.0, 0.0], device)
    (base ** e).sum().backward()
    # d/dbase: 0 where e == 0; 2 * 0 ** 1 = 0; -1 * 0 ** -2 = -inf
    assert base.grad.tolist() == [0.0, 0.0, -math.inf, 0.0]
    # d/de: 0 where base == 0 and e >= 0; 0 ** -1 * log(0) = inf * -inf = -inf; 2 ** 0 * log 2
    assert_close(e.grad, np.array([0.0, 0.0, -math.inf, math.log(2)]))
    e2 = leaf([0.0, 1.0, -1.0], device)
    (0.0 ** e2).sum().backward()  # number base 0: 0 where e >= 0
    assert e2.grad.tolist()[:2] == [0.0, 0.0] and e2.grad.tolist()[2] == -math.inf
    e3 = leaf([1.0, 2.0], device)
    ((-2.0) ** e3).sum().backward()  # log of a negative base: NaN, as torch
    assert all(math.isnan(v) for v in e3.grad.tolist())
    y = leaf([3.0], device)
    (y ** 1).sum().backward()
    assert y.grad.tolist() == [1.0]


def test_maximum_minimum_ties_split_gradient(device):
    a = leaf([1.0, 2.0, 3.0, math.nan], device)
    b = leaf([1.0, 5.0, 0.0, 1.0], device)
    tnn.maximum(a, b).sum().backward()
    assert a.grad.tolist() == [0.5, 0.0, 1.0, 1.0] and b.grad.tolist() == [0.5, 1.0, 0.0, 1.0]
    a.grad = b.grad = None
    tnn.minimum(a, b).sum().backward()
    assert a.grad.tolist() == [0.5, 1.0, 0.0, 1.0] and b.grad.tolist() == [0.5, 0.0, 1.0, 1.0]
    g = np.array([1.0, 2.0, 3.0, 4.0])
    expected = ref.minimum_backward(g, host(a), host(b))
    a.grad = b.grad = None
    tnn.minimum(a, b).backward(tnn.tensor(g, device=device))
    check_grads([a, b], expected)


# ------------------------------------------------------------------------------ where / clamp / lerp
@given(data=st.data(), layout=layouts(), seed=seeds)
def test_where_grad(device, data, layout, seed):
    sc, sx = data.draw(broadcastable_shapes(max_dims=3, max_size=7))
    sy = data.draw(st.sampled_from([sx, sc, (), "scalar"]))
    cond = tnn.tensor(random_array(tnn.bool, sc, seed), device=device)
    x = leaf(random_array(F64, sx, seed + 1), device, data.draw(st.sampled_from([F32, F64])),
             layout if sx else "contiguous")
    y = 2.5 if sy == "scalar" else leaf(random_array(F64, sy, seed + 2), device, F32)
    out = tnn.where(cond, x, y)
    assert out.grad_fn.name() == "WhereBackward0"
    g = backprop(out, seed + 3, device)
    arrs = [host(cond), host(x), y if sy == "scalar" else host(y)]
    check_grads([cond, x, y], ref.where_backward(g, *arrs))


def test_where_method_and_gradcheck(device):
    x, y = leaf(random_array(F64, (2, 3), 1), device), leaf(random_array(F64, (3,), 2), device)
    cond = x > 0
    assert gradcheck(lambda a, b: tnn.where(cond, a, b), [x, y],
                     reference=lambda g, a, b: ref.where_backward(g, host(cond), a, b)[1:])
    x.where(cond, y).sum().backward()  # the method form: x where cond else y
    assert_close(x.grad, host(cond).astype(np.float64))


@st.composite
def clamp_case(draw):
    shape = draw(shapes(0, 3, 7, max_numel=64))
    kind_lo = draw(st.sampled_from(["none", "number", "tensor"]))
    kind_hi = draw(st.sampled_from(["number", "tensor"] if kind_lo == "none" else ["none", "number", "tensor"]))
    return shape, kind_lo, kind_hi


@given(case=clamp_case(), layout=layouts(), seed=seeds, swapped=st.booleans())
def test_clamp_grad(device, case, layout, seed, swapped):
    """clamp with number / tensor / no bounds (also min > max): gradients to the input where
    min <= x <= max and to tensor bounds where they are selected."""
    shape, kind_lo, kind_hi = case
    x = leaf(random_array(F64, shape, seed, -3, 3), device, F64, layout if shape else "contiguous")
    bounds = []
    for kind, centre, s in ((kind_lo, -1.0, 1), (kind_hi, 1.0, 2)):
        if swapped:
            centre = -centre
        if kind == "none":
            bounds.append(None)
        elif kind == "number":
            bounds.append(centre)
        else:
            bshape = shape[len(shape) // 2:]  # broadcasts against x
            bounds.append(leaf(random_array(F64, bshape, seed + s, centre - 1, centre + 1), device))
    y = tnn.clamp(x, *bounds)
    tensor_bound = any(isinstance(v, tnn.Tensor) for v in bounds)
    assert y.grad_fn.name() == ("ClampBackward0" if tensor_bound else "ClampBackward1")
    g = backprop(y, seed + 3, device)
    arrs = [host(v) if isinstance(v, tnn.Tensor) else v for v in [x] + bounds]
    assert_close(y, ref.clamp(*arrs))
    check_grads([x] + bounds, ref.clamp_backward(g, *arrs))


def test_clamp_bounds_exactly_hit_and_variants(device):
    x = leaf([-2.0, -1.0, 0.0, 1.0, 2.0], device)
    lo = leaf([-1.0] * 5, device)
    hi = leaf(1.0, device)
    tnn.clamp(x, lo, hi).sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 1.0, 1.0, 0.0]  # inclusive at the bounds
    assert lo.grad.tolist() == [1.0, 0.0, 0.0, 0.0, 0.0] and hi.grad.item() == 1.0
    for fn, name, gx in [(lambda t: tnn.clamp_min(t, 0.0), "ClampMinBackward0", [0, 0, 1, 1, 1]),
                         (lambda t: tnn.clamp_max(t, 0.0), "ClampMaxBackward0", [1, 1, 1, 0, 0]),
                         (lambda t: tnn.clamp_min(t, lo), "ClampMinBackward1", [0, 1, 1, 1, 1]),
                         (lambda t: tnn.clamp_max(t, hi), "ClampMaxBackward1", [1, 1, 1, 1, 0]),
                         (lambda t: t.clip(max=0.5), "ClampBackward1", [1, 1, 1, 0, 0]),
                         (lambda t: tnn.clamp(t, 1.0, -1.0), "ClampBackward1", [0, 0, 0, 0, 0])]:
        x.grad = None
        y = fn(x)
        assert y.grad_fn.name() == name
        y.sum().backward()
        assert x.grad.tolist() == [float(v) for v in gx]


@pytest.mark.parametrize("variant", ["clamp_", "clamp_min_", "clamp_max_", "clip_"])
def test_clamp_inplace(device, variant):
    vals = np.array([-2.0, -0.5, 0.5, 2.0])
    x, y = nonleaf(vals, device)
    lo = leaf([-1.0, -1.0, -1.0, -1.0], device)
    args = {"clamp_": (lo, 1.0), "clamp_min_": (lo,), "clamp_max_": (1.0,), "clip_": (-1.0, 1.0)}[variant]
    getattr(y, variant)(*args)
    g = backprop(y, 1, device)
    arrs = [host(a) if isinstance(a, tnn.Tensor) else a for a in args]
    if variant == "clamp_max_":
        arrs = [None] + arrs
    expected = ref.clamp_backward(g, vals, *arrs)
    check_grads([x, lo] if variant in ("clamp_", "clamp_min_") else [x], [expected[0], expected[1]])


def test_clamp_gradcheck(device):
    x = leaf(random_array(F64, (2, 3), 5), device)
    lo, hi = leaf(random_array(F64, (3,), 6, -2, 0), device), leaf(random_array(F64, (2, 1), 7, 0, 2), device)
    assert gradcheck(tnn.clamp, [x, lo, hi], reference=ref.clamp_backward)


@given(data=st.data(), layout=layouts(), seed=seeds)
def test_lerp_grad(device, data, layout, seed):
    sx, se = data.draw(broadcastable_shapes(max_dims=3, max_size=7))
    dtype = data.draw(st.sampled_from([F32, F64]))
    weight_kind = data.draw(st.sampled_from(["number", "tensor"]))
    x = leaf(random_array(F64, sx, seed), device, dtype, layout if sx else "contiguous")
    end = leaf(random_array(F64, se, seed + 1), device, dtype)
    w = 0.3 if weight_kind == "number" else leaf(random_array(F64, se, seed + 2, -0.5, 1.5), device, dtype)
    y = tnn.lerp(x, end, w)
    assert y.grad_fn.name() == ("LerpBackward0" if weight_kind == "number" else "LerpBackward1")
    g = backprop(y, seed + 3, device)
    arrs = [host(v) if isinstance(v, tnn.Tensor) else v for v in (x, end, w)]
    check_grads([x, end, w], ref.lerp_backward(g, *arrs))


def test_lerp_inplace_and_gradcheck(device):
    xv, ev, wv = random_array(F64, (3, 4), 1), random_array(F64, (4,), 2), random_array(F64, (3, 4), 3, 0, 1)
    x, y = nonleaf(xv, device)
    end, w = leaf(ev, device), leaf(wv, device)
    y.lerp_(end, w)
    assert y.grad_fn.name() == "LerpBackward1"
    g = backprop(y, 4, device)
    check_grads([x, end, w], ref.lerp_backward(g, xv, ev, wv))
    assert gradcheck(tnn.lerp, [leaf(xv, device), end, w], reference=ref.lerp_backward)


def test_item_tolist_numpy_on_tensors_requiring_grad(device):
    x = leaf([[1.5, -2.0]], device)
    assert x.tolist() == [[1.5, -2.0]] and x[0, 1].item() == -2.0 and float(x[0, 0]) == 1.5
    y = x * 2
    assert y.tolist() == [[3.0, -4.0]] and y.sum().item() == -1.0
    with pytest.raises(RuntimeError, match=r"Can't call numpy\(\) on Tensor that requires grad. "
                                           r"Use tensor.detach\(\).numpy\(\) instead."):
        x.cpu().numpy()
    assert x.detach().cpu().numpy().tolist() == [[1.5, -2.0]]
