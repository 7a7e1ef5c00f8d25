"""Gradients of the view ops (tnn/ops/views.py): each backward against tnn.reference over shapes,
layouts and dtypes; grad_fn names; views of views; in-place ops on views (CopySlices on the base,
live views re-derived, the leaf rules); setitem."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import tnn
import tnn.reference as ref
from tnn.autograd import Function
from tnn.testing import assert_close, layouts, make_tensor, random_array, shapes

from .graph_helpers import F32, F64, Copy, backward, grad_out, leaf, nonleaf  # noqa: F401


class MulInPlace(Function):
    """a *= k in place, k a Python number: the generic in-place Function (mark_dirty)."""

    @staticmethod
    def forward(ctx, a, k):
        ctx.k = k
        a.copy_(a * k)
        ctx.mark_dirty(a)
        return a

    @staticmethod
    def backward(ctx, g):
        return g * ctx.k, None


def check_against_reference(device, fn, ref_name, args, *, layout="contiguous", seed=0, reduce_len=1):
    """fn(*tensors) vs ref.<ref_name>(*args), then each float input's gradient vs
    ref.<ref_name>_backward for a random grad_output. The arrays in ``args`` become fn's tensor
    arguments, in order: float ones leaves laid out as ``layout``, integer/bool ones plain tensors."""
    tensors = []
    for a in args:
        if isinstance(a, np.ndarray):
            is_float = a.dtype.kind == "f" or a.dtype.name == "bfloat16"
            t = make_tensor(a, layout, device, requires_grad=True) if is_float else tnn.tensor(a, device=device)
            tensors.append((t, is_float))
    y = fn(*(t for t, _ in tensors))
    assert_close(y, getattr(ref, ref_name)(*args))
    g = random_array(y.dtype, tuple(y.shape), seed + 1)
    y.backward(tnn.tensor(g, device=device))
    expected = getattr(ref, ref_name + "_backward")(g, *args)
    for (t, is_float), e in zip(tensors, expected):
        if is_float:
            assert t.grad.dtype is t.dtype and t.grad.shape == t.shape
            assert_close(t.grad, e, dtype=t.dtype, reduce_len=reduce_len)


dtypes = st.sampled_from([F32, F64])


@given(shape=shapes(0, 4, max_size=7, max_numel=300, allow_empty=True), layout=layouts(), dtype=dtypes,
       data=st.data())
def test_reshape_family_grads(device, shape, layout, dtype, data):
    a = random_array(dtype, shape, 1)
    n = a.size
    sizes = [d for d in range(1, n + 1) if n % d == 0] or [0]
    first = data.draw(st.sampled_from(sizes))
    new = (first, -1) if first else (0, *shape[1:]) if shape else (1,)
    check_against_reference(device, lambda x: x.reshape(new), "reshape", [a, new], layout=layout)
    check_against_reference(device, lambda x: x.reshape(new).contiguous().view(*new), "view", [a, new])
    if len(shape) >= 1:
        s = data.draw(st.integers(-len(shape), len(shape) - 1))
        e = data.draw(st.integers(s % len(shape), len(shape) - 1))
        check_against_reference(device, lambda x: x.flatten(s, e), "flatten", [a, s, e], layout=layout)
        d = data.draw(st.integers(0, len(shape) - 1))
        if shape[d]:
            check_against_reference(device, lambda x: x.unflatten(d, (1, shape[d])), "unflatten",
                                    [a, d, (1, shape[d])], layout=layout)
    d = data.draw(st.integers(-len(shape) - 1, len(shape)))
    check_against_reference(device, lambda x: x.unsqueeze(d).squeeze(), "reshape",
                            [a, tuple(s for s in shape if s != 1)], layout=layout)
    check_against_reference(device, lambda x: x.unsqueeze(d), "unsqueeze", [a, d], layout=layout)
    if shape:
        sq = data.draw(st.one_of(st.none(), st.integers(0, len(shape) - 1),
                                 st.lists(st.integers(0, len(shape) - 1), max_size=2, unique=True).map(tuple)))
        check_against_reference(device, lambda x: x.squeeze(sq), "squeeze", [a, sq], layout=layout)


@given(shape=shapes(0, 4, max_size=7, max_numel=300, allow_empty=True), layout=layouts(), dtype=dtypes,
       data=st.data())
def test_permute_transpose_grads(device, shape, layout, dtype, data):
    a = random_array(dtype, shape, 2)
    nd = len(shape)
    perm = tuple(data.draw(st.permutations(range(nd))))
    check_against_reference(device, lambda x: x.permute(perm), "permute", [a, perm], layout=layout)
    d0, d1 = (data.draw(st.integers(-nd, nd - 1)), data.draw(st.integers(-nd, nd - 1))) if nd else (0, -1)
    check_against_reference(device, lambda x: x.transpose(d0, d1), "transpose", [a, d0, d1], layout=layout)
    check_against_reference(device, lambda x: x.swapaxes(d0, d1), "transpose", [a, d0, d1], layout=layout)
    if nd <= 2:
        check_against_reference(device, lambda x: x.t(), "t", [a], layout=layout)
    if nd:
        src, dst = data.draw(st.integers(-nd, nd - 1)), data.draw(st.integers(-nd, nd - 1))
        check_against_reference(device, lambda x: x.movedim(src, dst), "movedim", [a, src, dst], layout=layout)
        check_against_reference(device, lambda x: x.T, "permute", [a, tuple(reversed(range(nd)))], layout=layout)
    if nd >= 2:
        check_against_reference(device, lambda x: x.mT, "transpose", [a, -2, -1], layout=layout)


@given(shape=shapes(0, 3, max_size=7, max_numel=100), layout=layouts(), dtype=dtypes, data=st.data())
def test_expand_grads(device, shape, layout, dtype, data):
    shape = tuple(1 if data.draw(st.booleans()) else s for s in shape)
    a = random_array(dtype, shape, 3)
    lead = tuple(data.draw(st.lists(st.sampled_from([1, 2, 3]), max_size=2)))
    target = lead + tuple(data.draw(st.sampled_from([3, 5, -1])) if s == 1 else data.draw(st.sampled_from([s, -1]))
                          for s in shape)
    n = int(np.prod([t for t in target if t > 0]) or 1)
    check_against_reference(device, lambda x: x.expand(target), "expand", [a, target], layout=layout,
                            reduce_len=n)
    other = np.zeros(ref.expand(a, target).shape)
    check_against_reference(device, lambda x: x.expand_as(tnn.tensor(other, device=device)), "expand",
                            [a, target], layout=layout, reduce_len=n)


@given(shape=shapes(1, 3, max_size=7, max_numel=200, allow_empty=True), layout=layouts(), dtype=dtypes,
       data=st.data())
def test_narrow_select_split_grads(device, shape, layout, dtype, data):
    a = random_array(dtype, shape, 4)
    d = data.draw(st.integers(-len(shape), len(shape) - 1))
    size = shape[d]
    start = data.draw(st.integers(0, size))
    length = data.draw(st.integers(0, size - start))
    check_against_reference(device, lambda x: x.narrow(d, start, length), "narrow", [a, d, start, length],
                            layout=layout)
    if size:
        i = data.draw(st.integers(-size, size - 1))
        check_against_reference(device, lambda x: x.select(d, i), "select", [a, d, i], layout=layout)
        check_against_reference(device, lambda x: x.unbind(d)[i], "select", [a, d, i], layout=layout)
    step = data.draw(st.integers(1, max(size, 1)))
    pieces = list(range(0, size, step)) or [0]
    k = data.draw(st.integers(0, len(pieces) - 1))
    n = min(step, size - pieces[k])
    check_against_reference(device, lambda x: x.split(step, d)[k], "narrow", [a, d, pieces[k], n], layout=layout)
    chunks = data.draw(st.integers(1, 4))
    c = -(-size // chunks) if size else 1
    starts = list(range(0, size, c)) or [0]
    k = data.draw(st.integers(0, len(starts) - 1))
    check_against_reference(device, lambda x: x.chunk(chunks, d)[k], "narrow",
                            [a, d, starts[k], min(c, size - starts[k])], layout=layout)


@st.composite
def basic_keys(draw, shape):
    key = []
    for n in shape:
        kind = draw(st.sampled_from(["int", "slice", "full", "none"] if n else ["slice", "full", "none"]))
        if kind == "int":
            key.append(draw(st.integers(-n, n - 1)))
        elif kind == "slice":
            bound = st.one_of(st.none(), st.integers(-n - 2, n + 2))
            key.append(slice(draw(bound), draw(bound), draw(st.sampled_from([None, 1, 2, 3]))))
        elif kind == "full":
            key.append(slice(None))
        else:
            key += [None, slice(None)]
    if key and draw(st.booleans()):
        cut = draw(st.integers(0, len(key) - 1))  # drop a tail: indexing fewer dims than there are
        key = key[:cut] + [Ellipsis] if draw(st.booleans()) else key[:cut]
    return tuple(key)


@given(shape=shapes(0, 3, max_size=7, max_numel=200, allow_empty=True), layout=layouts(), dtype=dtypes,
       data=st.data())
def test_getitem_basic_grads(device, shape, layout, dtype, data):
    a = random_array(dtype, shape, 5)
    key = data.draw(basic_keys(shape))
    check_against_reference(device, lambda x: x[key], "getitem", [a, key], layout=layout)


@st.composite
def advanced_keys(draw, shape):
    """(tnn key, reference key): an index array (negative and repeated values), a mask, or either
    mixed with ints and slices."""
    d = draw(st.integers(0, len(shape) - 1))
    n = shape[d]
    if draw(st.booleans()) or n == 0:
        k = draw(st.integers(1, len(shape) - d))
        mask = random_array(tnn.bool, shape[d:d + k], draw(st.integers(0, 99)))
        adv = mask
    else:
        m = draw(st.integers(0, 5))
        adv = np.array(draw(st.lists(st.integers(-n, n - 1), min_size=m, max_size=m)), dtype=np.int64)
        if draw(st.booleans()) and m >= 2:
            adv = adv[: m // 2 * 2].reshape(2, -1)
    pre = [slice(None)] * d  # (tnn.reference's getitem applies other slices twice before an index)
    if pre and shape[0] and draw(st.booleans()):
        pre[0] = draw(st.integers(0, shape[0] - 1))
    key_np = tuple(pre) + (adv,)
    key_t = lambda dev: tuple(pre) + (tnn.tensor(adv, device=dev),)  # noqa: E731
    return key_t, key_np


@given(shape=shapes(1, 3, max_size=7, max_numel=200), layout=layouts(), dtype=dtypes, data=st.data())
def test_getitem_advanced_grads(device, shape, layout, dtype, data):
    a = random_array(dtype, shape, 6)
    key_t, key_np = data.draw(advanced_keys(shape))
    k = key_t(device)
    y_ref = ref.getitem(a, key_np)
    check_against_reference(device, lambda x: x[k], "getitem", [a, key_np], layout=layout,
                            reduce_len=max(1, y_ref.size))


@pytest.mark.parametrize("dtype", [tnn.float16, tnn.bfloat16])
def test_low_precision_view_grads(device, dtype):
    a = random_array(dtype, (3, 1, 5), 7)
    x = make_tensor(a, "transposed", device, requires_grad=True)
    y = x.expand(2, 3, 4, 5).permute(3, 0, 1, 2)[1:, :, ::2]
    g = random_array(dtype, tuple(y.shape), 8)
    y.backward(tnn.tensor(g, device=device))
    e = ref.expand_backward(ref.permute_backward(ref.getitem_backward(
        g, np.zeros((5, 2, 3, 4)), (slice(1, None), slice(None), slice(None, None, 2)))[0],
        np.zeros((2, 3, 4, 5)), 3, 0, 1, 2)[0], a, 2, 3, 4, 5)[0]
    assert x.grad.dtype is dtype
    assert_close(x.grad, e, dtype=dtype, reduce_len=8)


# ---------------------------------------------------------------- grad_fn names
NAMES = [
    ("view", lambda x: x.view(6, 5), "ViewBackward0"),
    ("view_as", lambda x: x.view_as(tnn.zeros(5, 6)), "ViewBackward0"),
    ("reshape", lambda x: x.reshape(-1), "ViewBackward0"),
    ("reshape_copy", lambda x: x.t().reshape(-1), "UnsafeViewBackward0"),
    ("flatten", lambda x: x.flatten(), "ViewBackward0"),
    ("unflatten", lambda x: x.unflatten(1, (2, 3)), "ViewBackward0"),
    ("permute", lambda x: x.permute(1, 0), "PermuteBackward0"),
    ("transpose", lambda x: x.transpose(0, 1), "TransposeBackward0"),
    ("swapaxes", lambda x: x.swapaxes(0, 1), "TransposeBackward0"),
    ("t", lambda x: x.t(), "TBackward0"),
    ("T", lambda x: x.T, "PermuteBackward0"),
    ("mT", lambda x: x.mT, "TransposeBackward0"),
    ("movedim", lambda x: x.movedim(0, 1), "PermuteBackward0"),
    ("squeeze", lambda x: x[None].squeeze(), "SqueezeBackward0"),
    ("squeeze_dim", lambda x: x[None].squeeze(0), "SqueezeBackward1"),
    ("squeeze_dims", lambda x: x[None].squeeze((0, 1)), "SqueezeBackward2"),
    ("unsqueeze", lambda x: x.unsqueeze(1), "UnsqueezeBackward0"),
    ("expand", lambda x: x[:, :1].expand(5, 4), "ExpandBackward0"),
    ("expand_as", lambda x: x[:1].expand_as(x), "ExpandBackward0"),
    ("narrow", lambda x: x.narrow(1, 1, 2), "SliceBackward0"),
    ("split", lambda x: x.split(2, 1)[1], "SplitBackward0"),
    ("split_sizes", lambda x: x.split([1, 5], 1)[0], "SplitWithSizesBackward0"),
    ("chunk", lambda x: x.chunk(3, 1)[2], "SplitBackward0"),
    ("unbind", lambda x: x.unbind(1)[3], "UnbindBackward0"),
    ("select", lambda x: x.select(1, 2), "SelectBackward0"),
    ("getitem_int", lambda x: x[1], "SelectBackward0"),
    ("getitem_int_last", lambda x: x[1:3, 0], "SelectBackward0"),
    ("getitem_slice", lambda x: x[:, 1:3], "SliceBackward0"),
    ("getitem_none", lambda x: x[None], "UnsqueezeBackward0"),
    ("getitem_alias", lambda x: x[...], "AliasBackward0"),
    ("getitem_tensor", lambda x: x[tnn.tensor([0, 0, 2])], "IndexBackward0"),
]


@pytest.mark.parametrize("name,fn,expected", NAMES, ids=[n[0] for n in NAMES])
def test_grad_fn_names(device, name, fn, expected):
    x = leaf(np.zeros((5, 6)), device)
    y = fn(x)
    assert y.requires_grad and y.grad_fn.name() == expected
    with tnn.no_grad():
        z = fn(x)
    assert z.grad_fn is None and not z.requires_grad
    assert fn(x.detach()).grad_fn is None


def test_views_alias_storage_and_record_base(device):
    x, y = nonleaf(np.arange(6.0).reshape(2, 3), device)
    v = y.t()[1:]
    assert v._base is y and v.data_ptr() == y.data_ptr() + y.element_size()
    assert v._version == y._version
    assert_close(v, np.arange(6.0).reshape(2, 3).T[1:])


# ---------------------------------------------------------------- named edge cases
def test_views_chain_and_grads_sum_over_uses(device):
    a = random_array(F64, (4, 6), 1)
    x = leaf(a, device, "transposed")
    y1 = x.t().reshape(3, 8)[1:, ::2]              # view of view of view
    y2 = x.unsqueeze(0).expand(2, 4, 6)[1, :, 2]   # expand then index
    g1, g2 = grad_out((2, 4), 1), grad_out((4,), 2)
    tnn.autograd.backward([y1, y2], [tnn.tensor(g1, device=device), tnn.tensor(g2, device=device)])
    e = np.zeros((3, 8))
    e[1:, ::2] = g1
    expected = e.reshape(6, 4).T.copy()
    expected[:, 2] += g2
    assert_close(x.grad, expected)


def test_noncontiguous_gradients(device):
    a = random_array(F64, (3, 5), 2)
    x = leaf(a, device)
    y = x.permute(1, 0)[::2]                       # (3, 3)
    g = grad_out((3, 3), 3)
    gt = tnn.tensor(np.ascontiguousarray(g.T), device=device).t()  # non-contiguous gradient
    y.backward(gt)
    e = np.zeros((5, 3))
    e[::2] = g
    assert_close(x.grad, e.T)


def test_zero_size_views(device):
    x = leaf(np.zeros((0, 3)), device)
    y = x.t().reshape(3, 0)[1:].unsqueeze(0).expand(2, 2, 0)
    y.backward(tnn.zeros(2, 2, 0, dtype=F64, device=device))
    assert x.grad.shape == (0, 3)
    parts = x.split(2, 1)
    assert [p.shape for p in parts] == [(0, 2), (0, 1)]
    parts[1].sum().backward()
    assert x.grad.shape == (0, 3)


def test_split_unused_pieces_get_zero(device):
    a = random_array(F64, (7, 2), 3)
    x = leaf(a, device, "strided")
    pieces = x.chunk(3)
    backward(pieces[1], grad_out((3, 2), 4), device)
    e = np.zeros((7, 2))
    e[3:6] = grad_out((3, 2), 4)
    assert_close(x.grad, e)
    x.grad = None
    u = x.unbind(1)
    tnn.autograd.backward([u[1], u[0]], [tnn.ones(7, dtype=F64, device=device),
                                         tnn.full((7,), 2.0, dtype=F64, device=device)])
    assert_close(x.grad, np.tile([[2.0, 1.0]], (7, 1)))


def test_expand_sums_broadcast_dims(device):
    x = leaf(random_array(F64, (3, 1), 5), device)
    y = x.expand(2, 3, 4)
    g = grad_out((2, 3, 4), 6)
    backward(y, g, device)
    assert_close(x.grad, g.sum(axis=(0, 2))[:, None])


def test_float16_views(device):
    a = random_array(tnn.float16, (4, 3), 8)
    x = leaf(a, device, dtype=tnn.float16)
    y = x.t()[1:].reshape(-1)
    g = grad_out((8,), 9, tnn.float16)
    backward(y, g, device)
    e = np.zeros((3, 4), np.float16)
    e[1:] = g.reshape(2, 4)
    assert x.grad.dtype is tnn.float16
    assert_close(x.grad, e.T)


# ---------------------------------------------------------------- in-place on views
def test_inplace_on_view_records_copyslices_on_base(device):
    a = random_array(F64, (3, 4), 10)
    x, y = nonleaf(a, device)
    v = y[1]
    other = y[:, 2]                                # a live view made before the in-place op
    MulInPlace.apply(v, 3.0)
    assert y.grad_fn.name() == "CopySlices"
    assert v.grad_fn.name() == "SelectBackward0" and other.grad_fn.name() == "SelectBackward0"
    expected = a.copy()
    expected[1] *= 3
    assert_close(y, expected)
    g = grad_out((3, 4), 11)
    backward(y, g, device)
    e = g.copy()
    e[1] *= 3
    assert_close(x.grad, e)
    x.grad = None
    x, y = nonleaf(a, device)
    other = y[:, 2]
    MulInPlace.apply(y[1], 3.0)
    backward(other, grad_out((3,), 12), device)   # sees the modification through the base
    e = np.zeros((3, 4))
    e[:, 2] = grad_out((3,), 12)
    e[1, 2] *= 3
    assert_close(x.grad, e)


def test_inplace_on_view_of_view(device):
    a = random_array(F64, (4, 5), 13)
    x, y = nonleaf(a, device)
    v = y.t()[1:3]                                 # (2, 4) view of a view
    w = v[:, ::2]
    MulInPlace.apply(w, -2.0)
    assert y.grad_fn.name() == "CopySlices"
    expected = a.copy()
    expected[::2, 1:3] *= -2
    assert_close(y, expected)
    g = grad_out((2, 4), 14)
    backward(v, g, device)                         # v is re-derived from y's new history
    e = np.zeros((5, 4))
    e[1:3] = g
    e[1:3, ::2] *= -2
    assert_close(x.grad, e.T)


def test_inplace_on_base_updates_views(device):
    a = random_array(F64, (3, 3), 15)
    x, y = nonleaf(a, device)
    v = y[0]
    MulInPlace.apply(y, 5.0)
    assert v.grad_fn.name() == "SelectBackward0"
    backward(v, np.ones(3), device)
    e = np.zeros((3, 3))
    e[0] = 5.0
    assert_close(x.grad, e)


def test_inplace_view_of_leaf_raises(device):
    x = leaf(np.ones((2, 3)), device)
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad is being used in an "
                                           "in-place operation."):
        x[0][1] = 2.0
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
        x.t().masked_fill_(tnn.tensor([True, False], device=device), 0.0)
    with pytest.raises(RuntimeError, match="^a leaf Variable that requires grad is being used in an in-place"):
        x[0] = 2.0
    assert_close(x.detach()[0], np.ones(3))       # raised before anything was written
    with tnn.no_grad():                            # allowed without grad mode, as in torch
        x[0] = 2.0
        x[1][1] = 3.0
    assert_close(x.detach(), np.array([[2.0, 2, 2], [1, 3, 1]]))
    assert x.is_leaf and x.grad_fn is None
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
        MulInPlace.apply(x[1], 2.0)               # a custom in-place Function: checked by Function.apply


def test_views_share_version_counter(device):
    x, y = nonleaf(np.zeros((2, 3)), device)
    v = y[1]
    before = v._version
    y[0] = 1.0
    assert v._version == y._version > before


class SaveInput(Function):
    """y = x * 2 saving x: modifying x (through a view) afterwards must fail backward."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * 2

    @staticmethod
    def backward(ctx, g):
        ctx.saved_tensors
        return g * 2


def test_inplace_through_view_invalidates_saved_base(device):
    x, y = nonleaf(np.ones((2, 3)), device)
    out = SaveInput.apply(y)
    y[1][0] = 5.0
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()


# ---------------------------------------------------------------- setitem
def test_setitem_basic_grads(device):
    a = random_array(F64, (4, 5), 16)
    x, y = nonleaf(a, device)
    w = leaf(random_array(F64, (1, 5), 17), device)
    y[1:3] = w                                     # value broadcast along the rows
    assert y.grad_fn.name() == "CopySlices"
    g = grad_out((4, 5), 18)
    backward(y, g, device)
    e = g.copy()
    e[1:3] = 0
    assert_close(x.grad, e)
    assert_close(w.grad, g[1:3].sum(0, keepdims=True))


def test_setitem_value_with_extra_leading_ones(device):
    x, y = nonleaf(np.zeros((3, 2)), device)
    w = leaf(np.ones((1, 1, 2)), device)
    y[0] = w
    g = grad_out((3, 2), 19)
    backward(y, g, device)
    assert w.grad.shape == (1, 1, 2)
    assert_close(w.grad, g[0][None, None])


def test_setitem_into_buffer_makes_it_require_grad(device):
    buf = tnn.zeros(3, 4, dtype=F64, device=device)
    row = buf[2]                                   # a view made before the buffer joins the graph
    w = leaf(random_array(F64, (4,), 20), device)
    buf[0] = w
    buf[2][1:3] = w[:2]
    assert buf.requires_grad and buf.grad_fn.name() == "CopySlices"
    assert row.requires_grad and row.grad_fn is not None
    g = grad_out((3, 4), 21)
    backward(buf, g, device)
    e = g[0].copy()
    e[:2] += g[2, 1:3]
    assert_close(w.grad, e)


def test_setitem_advanced_key(device):
    a = random_array(F64, (5, 3), 22)
    x, y = nonleaf(a, device)
    w = leaf(random_array(F64, (2, 3), 23), device)
    idx = tnn.tensor([3, 0], device=device)
    y[idx] = w
    assert y.grad_fn.name() == "CopySlices"
    g = grad_out((5, 3), 24)
    backward(y, g, device)
    e = g.copy()
    e[[3, 0]] = 0
    assert_close(x.grad, e)
    assert_close(w.grad, g[[3, 0]])


def test_setitem_scalar_and_int_tensors(device):
    x, y = nonleaf(np.ones((2, 2)), device)
    y[0, 1] = 7.0
    g = grad_out((2, 2), 25)
    backward(y, g, device)
    e = g.copy()
    e[0, 1] = 0
    assert_close(x.grad, e)
    n = tnn.zeros(3, dtype=tnn.int64, device=device)
    n[1] = 4                                       # integer tensors never join the graph
    assert not n.requires_grad and n.tolist() == [0, 4, 0]


# ---------------------------------------------------------------- finite differences
def test_gradcheck_views_and_setitem(device):
    from tnn.testing import gradcheck
    x = leaf(random_array(F64, (3, 4), 26), device, "transposed")
    w = leaf(random_array(F64, (2, 1), 27), device)
    assert gradcheck(lambda x: x.t()[1:, None, ::2].expand(3, 4, 2).reshape(6, 4), (x,))
    assert gradcheck(lambda x: x.unbind(1)[2], (x,))

    def setitem(x, w):
        y = Copy.apply(x)
        y[1:, 3:] = w                               # basic key, broadcast value
        y[tnn.tensor([2, 0], device=device), 1] = w[:, 0]  # advanced key
        return y
    assert gradcheck(setitem, (x, w))

    def inplace_on_view(x, w):
        y = Copy.apply(x)
        v = y.t()[1:3]
        v[0] = w.expand(2, 3).reshape(-1)[:3]
        MulInPlace.apply(v, 3.0)
        return y
    assert gradcheck(inplace_on_view, (x, w))
