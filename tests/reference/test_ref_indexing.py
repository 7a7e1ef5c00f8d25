"""tnn.reference indexing ops: forwards against plain NumPy loops, backwards against central
finite differences (repeated indices accumulate)."""
import numpy as np
import pytest

import tnn.reference as ref

from .fd import check, normal

X = normal((3, 4, 5))


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_index_select(dim):
    idx = np.array([2, 0, 2, 1])
    np.testing.assert_array_equal(ref.index_select(X, dim, idx), np.take(X, idx, axis=dim))
    g, none = check("index_select", X, dim, idx)
    assert none is None
    assert ref.index_select(np.array(4.0), 0, np.array([0])).shape == ()
    check("index_select", X, dim, np.array([], np.int64))


def _gather_loop(t, dim, index):
    out = np.empty(index.shape, t.dtype)
    for pos in np.ndindex(index.shape):
        src = list(pos)
        src[dim] = index[pos]
        out[pos] = t[tuple(src)]
    return out


@pytest.mark.parametrize("dim", [0, 1, 2])
def test_gather(dim):
    r = np.random.default_rng(dim)
    shape = [2, 3, 4]                      # smaller than X apart from dim, as torch allows
    shape[dim] = 6                         # and longer along dim: repeated indices
    index = r.integers(0, X.shape[dim], size=shape)
    out = ref.gather(X, dim, index)
    np.testing.assert_array_equal(out, _gather_loop(X, dim, index))
    _, none = check("gather", X, dim, index)
    assert none is None
    assert ref.gather(np.array(3.0), 0, np.array(0)).tolist() == 3.0


@pytest.mark.parametrize("dim", [0, 1])
def test_scatter(dim):
    t = normal((4, 5), 1)
    index = np.array([[0, 1, 2], [3, 0, 1]]) if dim == 0 else np.array([[4, 0, 2], [1, 3, 0]])
    src = normal((3, 4), 2)                # larger than index: only its leading block is read
    out = ref.scatter(t, dim, index, src)
    expect = t.copy()
    for pos in np.ndindex(index.shape):
        dst = list(pos)
        dst[dim] = index[pos]
        expect[tuple(dst)] = src[pos]
    np.testing.assert_array_equal(out, expect)
    gt, none, gs = check("scatter", t, dim, index, src)
    assert none is None and gs.shape == src.shape and not gs[2:].any()
    gt, none, gs = check("scatter", t, dim, index, 1.5)  # a scalar src fills
    assert gs is None
    np.testing.assert_array_equal(ref.scatter(t, dim, index, value=1.5), ref.scatter(t, dim, index, 1.5))


def test_scatter_add_and_reduce():
    t = normal((3, 4), 1)
    index = np.array([[0, 0, 2, 0], [0, 1, 2, 2]])      # repeated targets
    src = normal((2, 4), 2)
    expect = t.copy()
    np.add.at(expect, (index, np.arange(4)[None, :].repeat(2, 0)), src)
    np.testing.assert_allclose(ref.scatter_add(t, 0, index, src), expect)
    np.testing.assert_allclose(ref.scatter(t, 0, index, src, reduce="add"), expect)
    gt, _, gs = check("scatter_add", t, 0, index, src)
    gt, _, gs = ref.scatter_add_backward(np.ones((3, 4)), t, 0, index, src)
    assert gt.tolist() == [[1.0] * 4] * 3 and gs.tolist() == [[1.0] * 4] * 2   # nothing is overwritten
    prod = t.copy()
    np.multiply.at(prod, (index, np.arange(4)[None, :].repeat(2, 0)), src)
    np.testing.assert_allclose(ref.scatter(t, 0, index, src, reduce="multiply"), prod)
    with pytest.raises(NotImplementedError):
        ref.scatter_backward(np.ones((3, 4)), t, 0, index, src, reduce="multiply")


def test_masked_fill_and_select():
    x = normal((3, 4))
    mask = np.array([True, False, False, True])
    np.testing.assert_array_equal(ref.masked_fill(x, mask, -1.0), np.where(mask, -1.0, x))
    gx, none, gv = check("masked_fill", x, mask, 2.0)
    assert none is None and gv is None and not gx[:, 0].any()
    gx, _, gv = check("masked_fill", x, mask, np.array(0.5))   # a 0-d value array gets a gradient
    assert gv.shape == ()
    assert ref.masked_fill(np.arange(3), np.array([True, False, True]), 7.9).tolist() == [7, 1, 7]
    assert ref.masked_fill(x[:1], np.ones((2, 1), bool), 0.0).shape == (2, 4)   # broadcasts
    np.testing.assert_array_equal(ref.masked_select(x, mask), x[:, mask].reshape(-1))
    check("masked_select", x, mask)
    check("masked_select", x[:1], np.ones((2, 4), bool))


def test_repeat():
    x = normal((2, 3))
    np.testing.assert_array_equal(ref.repeat(x, 2, 1, 3), np.tile(x, (2, 1, 3)))
    check("repeat", x, 2, 1, 3)
    check("repeat", x, (3, 2))


def test_cat_stack():
    a, b, c = normal((2, 3)), normal((4, 3), 1), normal((1, 3), 2)
    np.testing.assert_array_equal(ref.cat([a, b, c]), np.concatenate([a, b, c]))
    grads = check("cat", [a, b, c])
    assert [g.shape for g in grads] == [(2, 3), (4, 3), (1, 3)]
    check("cat", [a.T, b.T], dim=-1)
    # Legacy empty (0,) arrays are skipped; integer arrays promote and get no gradient.
    empty = np.zeros((0,))
    out = ref.cat([a, empty, np.ones((1, 3), np.int32)])
    assert out.shape == (3, 3) and out.dtype == np.float64
    ga, ge, gi = ref.cat_backward(np.ones((3, 3)), [a, empty, np.ones((1, 3), np.int32)])
    assert ga.shape == (2, 3) and ge.shape == (0,) and gi is None
    assert ref.cat([np.ones(2, np.float16), np.ones(1, np.float32)]).dtype == np.float32
    s = ref.stack([a, a * 2], dim=1)
    np.testing.assert_array_equal(s, np.stack([a, a * 2], axis=1))
    check("stack", [a, normal((2, 3), 4)], dim=1)
    check("stack", [a, normal((2, 3), 4)], dim=-1)
    assert ref.stack([np.ones(2, np.int32), np.ones(2, np.int64)]).dtype == np.int64
