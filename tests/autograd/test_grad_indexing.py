"""Gradients of the indexing ops (tnn/ops/indexing.py): advanced getitem/setitem, index_select,
gather, scatter(_add), masked_fill/select, index_put, cat/stack, repeat — each backward against
tnn.reference, plus grad_fn names, duplicate indices, in-place rules and version checks."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import tnn
import tnn.reference as ref
from tnn.autograd import Function
from tnn.testing import assert_close, layouts, make_tensor, random_array, shapes

from .graph_helpers import F32, F64, Copy, backward, grad_out, leaf, nonleaf  # noqa: F401


def ix(values, device):
    return tnn.tensor(np.asarray(values, dtype=np.int64), device=device)


def check_against_reference(device, fn, ref_name, args, *, layout="contiguous", seed=0, reduce_len=1,
                            check_forward=True, **kwargs):
    """fn(*tensors) vs ref.<ref_name>(*args), then each float input's gradient vs
    ref.<ref_name>_backward for a random grad_output. The arrays in ``args`` become fn's tensor
    arguments, in order: float ones leaves laid out as ``layout`` (0-d ones contiguous),
    integer/bool ones plain tensors. ``kwargs`` go to the reference."""
    tensors = []
    for a in args:
        if isinstance(a, np.ndarray):
            is_float = a.dtype.kind == "f" or a.dtype.name == "bfloat16"
            t = make_tensor(a, layout, device, requires_grad=True) if is_float else tnn.tensor(a, device=device)
            tensors.append((t, is_float))
    y = fn(*(t for t, _ in tensors))
    if check_forward:
        assert_close(y, getattr(ref, ref_name)(*args, **kwargs))
    g = random_array(y.dtype, tuple(y.shape), seed + 1)
    y.backward(tnn.tensor(g, device=device))
    expected = getattr(ref, ref_name + "_backward")(g, *args, **kwargs)
    for (t, is_float), e in zip(tensors, expected):
        if is_float:
            assert t.grad.dtype is t.dtype and t.grad.shape == t.shape
            assert_close(t.grad, e, dtype=t.dtype, reduce_len=reduce_len)


dtypes = st.sampled_from([F32, F64])


@st.composite
def index_case(draw, min_dims=1, unique=False, empty=True):
    """(shape, dim, index array) for gather/scatter: index no larger than shape off ``dim``; with
    ``unique`` no two entries of a column along dim are equal (scatter's forward is then defined)."""
    shape = draw(shapes(min_dims, 3, max_size=7, max_numel=150, allow_empty=empty))
    nd = len(shape)
    d = draw(st.integers(-max(nd, 1), max(nd, 1) - 1))
    dd = d % max(nd, 1)
    ishape = [draw(st.integers(0 if empty else min(1, s), s)) for s in (shape or (1,))]
    n = (shape or (1,))[dd]
    if n == 0:
        ishape[dd] = 0
    elif unique:
        ishape[dd] = draw(st.integers(0, n))
    else:
        ishape[dd] = draw(st.integers(0, 5))
    rng = np.random.default_rng(draw(st.integers(0, 99)))
    if unique:
        cols = int(np.prod(ishape)) // max(ishape[dd], 1) if ishape[dd] else 0
        perms = np.stack([rng.permutation(n)[:ishape[dd]] for _ in range(cols)], -1) if cols else np.zeros(
            (ishape[dd], 0), np.int64)
        rest = ishape[:dd] + ishape[dd + 1:]
        idx = np.moveaxis(perms.reshape((ishape[dd],) + tuple(rest)), 0, dd)
    else:
        idx = rng.integers(0, max(n, 1), size=ishape)
    idx = idx.astype(np.int64).reshape(ishape if nd else ())
    return shape, d, idx


@given(case=index_case(), layout=layouts(), dtype=dtypes, data=st.data())
def test_gather_index_select_grads(device, case, layout, dtype, data):
    shape, d, idx = case
    a = random_array(dtype, shape, 1)
    n = max(idx.size, 1)
    check_against_reference(device, lambda x, i: x.gather(d, i), "gather", [a, d, idx], layout=layout,
                            reduce_len=n)
    sel = idx.reshape(-1)[:4] if shape else idx.reshape(-1)[:1]
    if a.size:  # (tnn.reference's index_select_backward cannot reshape an empty gradient)
        check_against_reference(device, lambda x, i: x.index_select(d, i), "index_select", [a, d, sel],
                                layout=layout, reduce_len=n)
    else:
        x = make_tensor(a, layout, device, requires_grad=True)
        x.index_select(d, tnn.tensor(sel, device=device)).sum().backward()
        assert_close(x.grad, np.zeros(shape, a.dtype))


@given(case=index_case(unique=True), layout=layouts(), dtype=dtypes, data=st.data())
def test_scatter_grads(device, case, layout, dtype, data):
    shape, d, idx = case
    a = random_array(dtype, shape, 2)
    extra = data.draw(st.sampled_from([0, 1]))
    src = random_array(dtype, tuple(s + extra for s in idx.shape), 3)
    check_against_reference(device, lambda x, i, s: x.scatter(d, i, s), "scatter", [a, d, idx, src], layout=layout)
    check_against_reference(device, lambda x, i: x.scatter(d, i, 1.5), "scatter", [a, d, idx, None, 1.5],
                            layout=layout)
    check_against_reference(device, lambda x, i, s: Copy.apply(x).scatter_(d, i, s), "scatter",
                            [a, d, idx, src], layout=layout)


@given(case=index_case(), layout=layouts(), dtype=dtypes)
def test_scatter_add_grads(device, case, layout, dtype):
    shape, d, idx = case
    a = random_array(dtype, shape, 4)
    src = random_array(dtype, idx.shape, 5)
    n = max(idx.shape[d] if idx.ndim else 1, 1)
    check_against_reference(device, lambda x, i, s: x.scatter_add(d, i, s), "scatter_add", [a, d, idx, src],
                            layout=layout, reduce_len=n)
    check_against_reference(device, lambda x, i, s: Copy.apply(x).scatter_add_(d, i, s), "scatter_add",
                            [a, d, idx, src], layout=layout, reduce_len=n)
    check_against_reference(device, lambda x, i, s: x.scatter(d, i, s, reduce="add"), "scatter",
                            [a, d, idx, src], layout=layout, reduce_len=n, reduce="add")


@given(pair=st.sampled_from([((3, 4), (4,)), ((2, 1, 5), (3, 1)), ((), (2, 3)), ((4, 1), (1, 6)), ((0, 3), (3,)),
                             ((5,), ())]), layout=layouts(), dtype=dtypes, seed=st.integers(0, 99),
       tensor_value=st.booleans())
def test_masked_fill_select_grads(device, pair, layout, dtype, seed, tensor_value):
    ts, ms = pair
    a = random_array(dtype, ts, seed)
    mask = np.asarray(random_array(tnn.bool, ms, seed + 1))
    value = np.array(-2.5, dtype=dtype.np) if tensor_value else -2.5
    n = max(1, int(np.prod(np.broadcast_shapes(ts, ms))) // max(1, int(np.prod(ts))))
    check_against_reference(device, lambda x, m, *v: x.masked_fill(m, v[0] if v else value), "masked_fill",
                            [a, mask, value], layout=layout, reduce_len=n * (mask.size if tensor_value else 1))
    check_against_reference(device, lambda x, m: x.masked_select(m), "masked_select", [a, mask], layout=layout,
                            reduce_len=n)
    if np.broadcast_shapes(ts, ms) == ts:
        check_against_reference(device, lambda x, m, *v: Copy.apply(x).masked_fill_(m, v[0] if v else value),
                                "masked_fill", [a, mask, value], layout=layout, reduce_len=mask.size)


@given(shape=shapes(0, 3, max_size=5, max_numel=60, allow_empty=True), layout=layouts(), dtype=dtypes,
       data=st.data())
def test_repeat_grads(device, shape, layout, dtype, data):
    a = random_array(dtype, shape, 6)
    sizes = tuple(data.draw(st.lists(st.sampled_from([0, 1, 2, 3]), min_size=len(shape), max_size=len(shape) + 2)))
    n = max(1, int(np.prod(sizes)))
    check_against_reference(device, lambda x: x.repeat(*sizes), "repeat", [a, *sizes], layout=layout, reduce_len=n)


@given(shape=shapes(1, 3, max_size=5, max_numel=60, allow_empty=True), layout=layouts(), data=st.data())
def test_cat_stack_grads(device, shape, layout, data):
    nd = len(shape)
    d = data.draw(st.integers(-nd, nd - 1))
    count = data.draw(st.integers(1, 3))
    dts = [data.draw(dtypes) for _ in range(count)]
    cat_arrays = []
    for i, dt_ in enumerate(dts):
        s = list(shape)
        s[d] = data.draw(st.integers(0, 3))
        cat_arrays.append(random_array(dt_, tuple(s), 10 + i))
    if data.draw(st.booleans()):
        cat_arrays.insert(data.draw(st.integers(0, count)), np.zeros((0,), np.float32))  # legacy empty
    for name, arrays, dim in (("cat", cat_arrays, d),
                              ("stack", [random_array(dt_, shape, 20 + i) for i, dt_ in enumerate(dts)],
                               data.draw(st.integers(-nd - 1, nd)))):
        xs = [make_tensor(a, layout if a.ndim else "contiguous", device, requires_grad=True) for a in arrays]
        y = getattr(tnn, name)(xs, dim)
        assert_close(y, getattr(ref, name)(arrays, dim))
        g = random_array(y.dtype, tuple(y.shape), 30)
        y.backward(tnn.tensor(g, device=device))
        for x, e in zip(xs, getattr(ref, name + "_backward")(g, arrays, dim)):
            assert x.grad.dtype is x.dtype and x.grad.shape == x.shape
            assert_close(x.grad, e, dtype=x.dtype)


@given(shape=shapes(1, 3, max_size=6, max_numel=100), layout=layouts(), dtype=dtypes, data=st.data(),
       accumulate=st.booleans())
def test_index_put_grads(device, shape, layout, dtype, data, accumulate):
    """index_put(_) has no reference of its own: its gradients are the reference getitem's
    (values: the indexed gradient; self: the gradient, zeroed where written unless accumulating)."""
    a = random_array(dtype, shape, 7)
    n = shape[0]
    m = data.draw(st.integers(0, 4 if accumulate else min(4, n)))
    rows = data.draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m, unique=not accumulate))
    idx = np.array([r - n if data.draw(st.booleans()) else r for r in rows], dtype=np.int64)  # negative too
    vshape = data.draw(st.sampled_from([(m,) + shape[1:], shape[1:], (1,) * len(shape)]))
    vals = random_array(dtype, vshape, 8)
    inplace = data.draw(st.booleans())
    x = make_tensor(a, layout, device, requires_grad=True)
    v = make_tensor(vals, "contiguous", device, requires_grad=True)
    i = tnn.tensor(idx, device=device)
    y = Copy.apply(x).index_put_((i,), v, accumulate) if inplace else x.index_put((i,), v, accumulate)
    expected = a.astype(np.float64)
    if accumulate:
        np.add.at(expected, idx, np.broadcast_to(vals, (m,) + shape[1:]).astype(np.float64))
    else:
        expected[idx] = vals
    assert_close(y, expected, reduce_len=m + 1)
    g = random_array(dtype, shape, 9)
    y.backward(tnn.tensor(g, device=device))
    written = ref.getitem_backward(np.ones((m,) + shape[1:]), a, (idx,))[0] > 0
    assert_close(x.grad, g if accumulate else np.where(written, 0, g))
    picked = ref.getitem(g, (idx,)).astype(np.float64)
    assert_close(v.grad, picked.reshape((-1,) + vshape).sum(0) if len(vshape) < picked.ndim else
                 picked.sum(tuple(k for k, s in enumerate(vshape) if s == 1 and picked.shape[k] != 1), keepdims=True)
                 .reshape(vshape), reduce_len=m + 1)


@pytest.mark.parametrize("dtype", [tnn.float16, tnn.bfloat16])
def test_low_precision_index_grads(device, dtype):
    a = random_array(dtype, (4, 5), 40)
    idx = np.array([[0, 3, 3, 1, 0], [2, 2, 0, 1, 3]], np.int64)
    check_against_reference(device, lambda x, i: x.gather(0, i), "gather", [a, 0, idx], layout="transposed",
                            reduce_len=4)
    check_against_reference(device, lambda x: x.repeat(2, 1, 2), "repeat", [a, 2, 1, 2], reduce_len=4)
    src = random_array(dtype, (2, 5), 41)
    check_against_reference(device, lambda x, i, s: x.scatter_add(0, i, s), "scatter_add", [a, 0, idx, src],
                            reduce_len=4)


# ---------------------------------------------------------------- grad_fn names
def _names(device):
    i = ix([2, 0, 2], device)
    m = tnn.tensor(np.array([[True, False, True]] * 4), device=device)
    g = ix([[0, 1, 2], [3, 0, 1]], device)
    v = tnn.tensor(1.5, dtype=F64, device=device, requires_grad=True)
    return [
        ("index", lambda x: x[i], "IndexBackward0"),
        ("index_select", lambda x: x.index_select(1, i), "IndexSelectBackward0"),
        ("gather", lambda x: x.gather(0, g), "GatherBackward0"),
        ("scatter", lambda x: x.scatter(0, g, x[:2] * 1), "ScatterBackward0"),
        ("scatter_value", lambda x: x.scatter(0, g, 2.0), "ScatterBackward1"),
        ("scatter_add", lambda x: x.scatter_add(0, g, x[1:3]), "ScatterAddBackward0"),
        ("masked_fill", lambda x: x.masked_fill(m, 0.0), "MaskedFillBackward0"),
        ("masked_fill_tensor", lambda x: x.masked_fill(m, v), "MaskedFillBackward1"),
        ("masked_select", lambda x: x.masked_select(m), "MaskedSelectBackward0"),
        ("index_put", lambda x: x.index_put((i,), x[0, :1]), "IndexPutBackward0"),
        ("cat", lambda x: tnn.cat([x, x], 1), "CatBackward0"),
        ("stack", lambda x: tnn.stack([x, x]), "StackBackward0"),
        ("repeat", lambda x: x.repeat(2, 1), "RepeatBackward0"),
    ]


def test_grad_fn_names(device):
    for name, fn, expected in _names(device):
        x = leaf(np.ones((4, 3)), device)
        y = fn(x)
        assert y.requires_grad and y.grad_fn.name() == expected, name
        with tnn.no_grad():
            assert fn(x).grad_fn is None, name


# ---------------------------------------------------------------- named edge cases
def test_duplicate_indices_sum(device):
    a = random_array(F64, (4, 3), 1)
    x = leaf(a, device, "transposed")
    idx = ix([1, 1, 3, 1], device)
    g = grad_out((4, 3), 2)
    backward(x[idx], g, device)
    e = np.zeros((4, 3))
    np.add.at(e, [1, 1, 3, 1], g)
    assert_close(x.grad, e)
    x.grad = None
    backward(x.index_select(0, idx), g, device)
    assert_close(x.grad, e)
    x.grad = None
    m = tnn.tensor(a > 0, device=device)           # a mask and a tensor index together
    y = x[ix([0, 2, 2], device), 1:]
    backward(y, grad_out((3, 2), 3), device)
    e = np.zeros((4, 3))
    np.add.at(e[:, 1:], [0, 2, 2], grad_out((3, 2), 3))
    assert_close(x.grad, e)
    x.grad = None
    backward(x[m], grad_out((int((a > 0).sum()),), 4), device)
    e = np.zeros((4, 3))
    e[a > 0] = grad_out((int((a > 0).sum()),), 4)
    assert_close(x.grad, e)


def test_saved_index_modified_raises(device):
    x = leaf(np.ones((3, 2)), device)
    idx = ix([[0, 1], [2, 0]], device)
    y = x.gather(0, idx)
    idx[0, 0] = 1
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()
    mask = tnn.tensor([True, False], device=device)
    y = x.masked_fill(mask, 0.0)
    mask.fill_(True)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_out_argument_with_grad_raises(device):
    x = leaf(np.ones((2, 2)), device)
    out = tnn.empty(4, 2, dtype=F64, device=device)
    with pytest.raises(RuntimeError, match=r"cat\(\): functions with out=... arguments don't support automatic "
                                           "differentiation, but one of the arguments requires grad."):
        tnn.cat([x, x], out=out)
    with pytest.raises(RuntimeError, match=r"stack\(\): functions with out="):
        tnn.stack([x, x], out=out.view(2, 2, 2))
    with pytest.raises(RuntimeError, match=r"gather\(\): functions with out="):
        tnn.gather(x, 0, ix([[0, 1]], device), out=out[:1])
    with tnn.no_grad():
        tnn.cat([x, x], out=out)
    assert_close(out, np.ones((4, 2)))


def test_scatter_multiply_with_grad_raises(device):
    x = leaf(np.ones((2, 2)), device)
    with pytest.raises(RuntimeError, match="the derivative for 'scatter' with reduce='multiply' is not implemented"):
        x.scatter(0, ix([[0, 1]], device), x[:1] * 1, reduce="multiply")


def test_inplace_index_ops_on_leaf_raise_before_writing(device):
    x = leaf(np.ones((2, 3)), device)
    m = tnn.tensor([True, False, True], device=device)
    msg = "^a leaf Variable that requires grad is being used in an in-place operation."
    with pytest.raises(RuntimeError, match=msg):
        x.masked_fill_(m, 0.0)
    with pytest.raises(RuntimeError, match=msg):
        x.scatter_(0, ix([[1, 0, 1]], device), 5.0)
    with pytest.raises(RuntimeError, match=msg):
        x.scatter_add_(0, ix([[1, 0, 1]], device), tnn.ones(1, 3, dtype=F64, device=device))
    with pytest.raises(RuntimeError, match=msg):
        x.index_put_((ix([1], device),), tnn.zeros(3, dtype=F64, device=device))
    with pytest.raises(RuntimeError, match=msg):
        x[ix([0], device)] = 3.0
    with pytest.raises(RuntimeError, match="a view of a leaf Variable"):
        x[1].masked_fill_(m, 0.0)
    assert_close(x.detach(), np.ones((2, 3)))


def test_inplace_index_ops_on_nonleaf(device):
    a = random_array(F64, (3, 4), 5)
    g = grad_out((3, 4), 6)
    # masked_fill_ with a 0-d value tensor that requires grad
    x, y = nonleaf(a, device)
    v = leaf(np.array(2.5), device)
    m = a > 0
    y.masked_fill_(tnn.tensor(m, device=device), v)
    assert y.grad_fn.name() == "MaskedFillBackward1"
    assert_close(y, np.where(m, 2.5, a))
    backward(y, g, device)
    assert_close(x.grad, np.where(m, 0, g))
    assert_close(v.grad, np.array(g[m].sum()))
    # scatter_ with src, on a view of a non-leaf: CopySlices on the base
    x, y = nonleaf(a, device)
    src = leaf(random_array(F64, (2, 3), 7), device)
    idx = ix([[0, 1, 0], [2, 0, 1]], device)
    y[:, 1:].scatter_(0, idx, src)
    assert y.grad_fn.name() == "CopySlices"
    backward(y, g, device)
    e = g.copy()
    e[[0, 2], [1, 1]] = e[[1, 0], [2, 2]] = e[[0, 1], [3, 3]] = 0
    assert_close(x.grad, e)
    ni = idx.numpy()
    assert_close(src.grad, np.take_along_axis(g[:, 1:], ni, 0))
    # index_put_ with accumulate keeps self's gradient
    x, y = nonleaf(a, device)
    vals = leaf(random_array(F64, (2, 4), 8), device)
    y.index_put_((ix([1, 1], device),), vals, accumulate=True)
    backward(y, g, device)
    assert_close(x.grad, g)
    assert_close(vals.grad, g[[1, 1]])
    assert_close(y.detach()[1], a[1] + random_array(F64, (2, 4), 8).sum(0))


def test_cat_promotes_and_casts_grads_back(device):
    a32 = leaf(random_array(tnn.float32, (2, 3), 9), device, dtype=tnn.float32)
    a64 = leaf(random_array(F64, (1, 3), 10), device)
    empty = leaf(np.zeros((0,)), device)           # legacy empty tensors are skipped
    y = tnn.cat([a32, empty, a64])
    assert y.dtype is F64 and y.shape == (3, 3)
    g = grad_out((3, 3), 11)
    backward(y, g, device)
    assert a32.grad.dtype is tnn.float32 and a64.grad.dtype is F64
    assert_close(a32.grad, g[:2].astype(np.float32))
    assert_close(a64.grad, g[2:])
    assert empty.grad.shape == (0,)


def test_zero_size_index_ops(device):
    x = leaf(np.zeros((0, 3)), device)
    for y in (x[ix([], device)], x.index_select(1, ix([0, 2], device)), x.repeat(2, 1), tnn.cat([x, x]),
              tnn.stack([x, x], 2), x.masked_select(tnn.zeros(0, 3, dtype=tnn.bool, device=device)),
              x.gather(1, tnn.zeros(0, 3, dtype=tnn.int64, device=device))):
        y.backward(tnn.zeros(y.shape, dtype=F64, device=device))
        assert x.grad.shape == (0, 3)
    x.grad = None
    z = leaf(np.ones((2, 3)), device)
    z[ix([], device)].sum().backward()
    assert_close(z.grad, np.zeros((2, 3)))


def test_scatter_src_larger_than_index(device):
    x = leaf(np.zeros((3, 3)), device)
    src = leaf(random_array(F64, (3, 4), 12), device)
    idx = ix([[2, 0], [1, 2]], device)
    y = x.scatter(0, idx, src)
    g = grad_out((3, 3), 13)
    backward(y, g, device)
    e = np.zeros((3, 4))
    e[:2, :2] = np.take_along_axis(g[:, :2], idx.numpy(), 0)
    assert_close(src.grad, e)


# ---------------------------------------------------------------- finite differences
def test_gradcheck_index_ops(device):
    from tnn.testing import gradcheck
    x = leaf(random_array(F64, (3, 4), 50), device, "strided")
    v = leaf(random_array(F64, (2, 4), 51), device)
    i = ix([2, 0], device)
    assert gradcheck(lambda x, v: x.index_put((i,), v), (x, v))
    assert gradcheck(lambda x, v: x.index_put((i, None), v[:, :1], accumulate=True), (x, v))
    assert gradcheck(lambda x, v: Copy.apply(x).index_put_((ix([1, 1], device),), v, accumulate=True), (x, v))
    m = tnn.tensor(random_array(tnn.bool, (3, 1), 52), device=device)
    s = leaf(np.array(0.5), device)
    assert gradcheck(lambda x, s: x.masked_fill(m, s), (x, s))
    assert gradcheck(lambda x, v: tnn.cat([x, v, x[:1]]).repeat(1, 2)[ix([0, 5, 5], device)], (x, v))
