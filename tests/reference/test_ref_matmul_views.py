"""tnn.reference matmul (torch's 1-D / N-D broadcasting rules), views, getitem and casts: forwards
against plain NumPy, backwards against central finite differences."""
import ml_dtypes
import numpy as np
import pytest

import tnn.reference as ref

from .fd import check, normal

MATMUL_SHAPES = [
    ((3,), (3,)),              # dot: a 0-d result
    ((2, 3), (3, 4)),          # mm
    ((3,), (3, 4)),            # vector @ matrix
    ((2, 3), (3,)),            # matrix @ vector
    ((5, 2, 3), (3,)),         # batched matrix @ vector
    ((3,), (5, 3, 2)),         # vector @ batched matrix
    ((2, 1, 2, 3), (4, 3, 2)),  # batch dims broadcast
    ((1, 2, 3), (4, 3, 2)),
    ((4, 2, 3), (3, 2)),
]


@pytest.mark.parametrize("sa,sb", MATMUL_SHAPES, ids=str)
def test_matmul(sa, sb):
    a, b = normal(sa), normal(sb, 1)
    out = ref.matmul(a, b)
    np.testing.assert_allclose(out, np.matmul(a, b), rtol=1e-12)
    assert isinstance(out, np.ndarray)
    ga, gb = check("matmul", a, b)
    assert ga.shape == sa and gb.shape == sb


def test_mm_bmm_and_dtypes():
    a, b = normal((2, 3)), normal((3, 4), 1)
    check("mm", a, b)
    a3, b3 = normal((5, 2, 3)), normal((5, 3, 4), 1)
    np.testing.assert_allclose(ref.bmm(a3, b3), a3 @ b3)
    check("bmm", a3, b3)
    h = a.astype(np.float16)
    assert ref.mm(h, b.astype(np.float16)).dtype == np.float16
    bf = a.astype(ml_dtypes.bfloat16)
    out = ref.matmul(bf, b.astype(ml_dtypes.bfloat16))
    assert out.dtype == ml_dtypes.bfloat16
    np.testing.assert_allclose(out.astype(np.float64), a.astype(ml_dtypes.bfloat16).astype(np.float64)
                               @ b.astype(ml_dtypes.bfloat16).astype(np.float64), rtol=1e-2, atol=1e-2)
    assert ref.matmul(np.ones((2, 3), np.int64), np.ones((3,), np.int64)).tolist() == [3, 3]
    assert ref.matmul(np.zeros((2, 0)), np.zeros((0, 3))).tolist() == [[0.0] * 3] * 2
    assert ref.matmul_backward(np.ones(2), np.ones((2, 3), np.int64), normal((3,))) [0] is None


# ----------------------------------------------------------------------------- views
X = normal((2, 3, 4))

VIEW_CASES = [
    ("reshape", (X, 4, 6), X.reshape(4, 6)),
    ("reshape", (X, (-1, 2)), X.reshape(-1, 2)),
    ("view", (X, 24), X.reshape(24)),
    ("permute", (X, 2, 0, 1), X.transpose(2, 0, 1)),
    ("permute", (X, (-1, 1, 0)), X.transpose(2, 1, 0)),
    ("transpose", (X, 0, -1), X.swapaxes(0, 2)),
    ("movedim", (X, 0, 2), np.moveaxis(X, 0, 2)),
    ("squeeze", (X[:, :1],), X[:, 0]),
    ("squeeze", (X[:1, :1], 1), X[:1, 0]),
    ("squeeze", (X[:1, :1], (0, 1, 2)), X[0, 0]),
    ("unsqueeze", (X, -1), X[..., None]),
    ("unsqueeze", (X, 1), X[:, None]),
    ("flatten", (X,), X.reshape(-1)),
    ("flatten", (X, 1), X.reshape(2, 12)),
    ("flatten", (X, 0, 1), X.reshape(6, 4)),
    ("unflatten", (X, 2, (2, 2)), X.reshape(2, 3, 2, 2)),
    ("narrow", (X, 1, 1, 2), X[:, 1:3]),
    ("narrow", (X, -1, -3, 2), X[..., 1:3]),
    ("select", (X, 1, 2), X[:, 2]),
    ("select", (X, -1, -1), X[..., -1]),
    ("expand", (X[:, :1], 5, 2, 3, 4), np.broadcast_to(X[:, :1], (5, 2, 3, 4))),
    ("expand", (X[:, :1], -1, 3, -1), np.broadcast_to(X[:, :1], (2, 3, 4))),
    ("expand_as", (X[:1], np.zeros((2, 3, 4), bool)), np.broadcast_to(X[:1], (2, 3, 4))),
    ("t", (X[0],), X[0].T),
    ("t", (X[0, 0],), X[0, 0]),
    ("clone", (X,), X),
    ("contiguous", (X.transpose(1, 0, 2),), X.transpose(1, 0, 2)),
]


@pytest.mark.parametrize("name,args,expect", VIEW_CASES, ids=lambda v: v if isinstance(v, str) else "")
def test_views(name, args, expect):
    out = getattr(ref, name)(*args)
    np.testing.assert_array_equal(out, expect)
    assert not np.shares_memory(out, args[0])  # a fresh array, never a NumPy view
    check(name, *args)


def test_view_edge_shapes():
    assert ref.flatten(np.array(2.0)).shape == (1,)
    assert ref.reshape(np.zeros((0, 3)), -1, 3).shape == (0, 3)
    assert ref.squeeze(np.zeros((1, 1))).shape == ()
    assert ref.transpose(np.array(1.0), 0, -1).shape == ()
    assert ref.permute(np.array(1.0)).shape == ()
    check("squeeze", np.ones((1, 1)) * 2.0)
    check("unsqueeze", np.array(3.0), 0)
    assert ref.reshape_backward(np.ones(6), np.ones((2, 3), np.int32), 6) == (None,)


# ----------------------------------------------------------------------------- getitem
Y = normal((3, 4, 5), 2)
I = np.array([2, 0, 2])          # repeated index: gradients add up
M = Y[:, :, 0] > 0               # a (3, 4) mask

GETITEM_KEYS = [
    (1,),
    (slice(None), 2),
    (Ellipsis, 1),
    (None, 1, slice(None, None, 2)),
    (slice(1, None), None, Ellipsis, slice(0, 5, 3)),
    (-1, -1, -1),
    (I,),
    (slice(None), I),
    (I, slice(None), np.array([0, 4, 4])),        # separated index arrays: broadcast dims go first
    (I, np.array([[1], [3]])),                    # broadcasting index arrays
    (0, slice(None), I),                          # torch: x[0][:, I] (NumPy would give another shape)
    (M,),
    (M, 3),
    (Y[:, 0, 0] > 0,),                            # a 1-D mask
    (Ellipsis, np.array([True, False, True, True, False])),
    (True,),
    (False,),
    ([0, 2],),
    (np.array([1, 0, 1], np.uint8),),             # uint8 index arrays are masks (as torch)
    (np.array(1),),                               # a 0-d integer array is an int
]


@pytest.mark.parametrize("key", GETITEM_KEYS, ids=lambda k: str(len(k)))
def test_getitem(key):
    out = ref.getitem(Y, key)
    assert isinstance(out, np.ndarray)
    (g,) = check("getitem", Y, key)
    assert g.shape == Y.shape


def test_getitem_torch_semantics():
    x = np.arange(24).reshape(2, 3, 4)
    idx = np.array([0, 2, 3, 1, 1])
    assert ref.getitem(x, (0, slice(None), idx)).shape == (3, 5)  # torch; NumPy's x[0, :, idx] is (5, 3)
    np.testing.assert_array_equal(ref.getitem(x, (0, slice(None), idx)), x[0][:, idx])
    i, j = np.array([1, 0, 1]), np.array([3, 0, 2])
    np.testing.assert_array_equal(ref.getitem(x, (i, slice(None), j)), x[i, :, j])
    assert ref.getitem(x, (i, slice(None), j)).shape == (3, 3)   # separated: index dims first
    assert ref.getitem(x, (slice(None), i, j)).shape == (2, 3)   # adjacent: in place
    assert ref.getitem(x, True).shape == (1, 2, 3, 4) and ref.getitem(x, False).shape == (0, 2, 3, 4)
    assert ref.getitem(x, (1, 2, 3)).shape == ()
    np.testing.assert_array_equal(ref.getitem(x, np.array([0, 1], np.uint8)), x[np.array([False, True])])
    # Repeated indices accumulate in the backward (scatter-add), as torch's index_put_(accumulate=True).
    (g,) = ref.getitem_backward(np.ones((3, 4)), np.zeros((3, 4)), (np.array([1, 1, 0]),))
    assert g[:, 0].tolist() == [1.0, 2.0, 0.0]
    (g,) = ref.getitem_backward(np.array(5.0), np.zeros((2, 2)), (1, 0))
    assert g.tolist() == [[0.0, 0.0], [5.0, 0.0]]


# ----------------------------------------------------------------------------- casts and copies
def test_to_and_copy():
    x = np.array([1.7, -2.5, 300.0])
    assert ref.to(x, np.float16).dtype == np.float16
    assert ref.to(x, "int32").tolist() == [1, -2, 300]
    assert ref.to(x, "cpu", dtype="bfloat16").dtype == ml_dtypes.bfloat16
    assert ref.to(x, np.zeros(1, np.int8)).dtype == np.int8
    assert ref.to(x, "cpu").dtype == np.float64
    from tnn.runtime import dtypes as dt
    assert ref.to(x, dt.float32).dtype == np.float32
    check("to", x, np.float64)
    (g,) = ref.to_backward(np.ones(3, np.float16), x, np.float16)   # cast back: float64, x's shape
    assert g.dtype == np.float64 and g.tolist() == [1.0, 1.0, 1.0]
    assert ref.to_backward(np.ones(3), x.astype(np.int64), np.float32) == (None,)
    dst, src = np.zeros((2, 3), np.float32), normal((3,))
    out = ref.copy_(dst, src)
    assert out.dtype == np.float32 and out.shape == (2, 3)
    gd, gs = check("copy_", np.zeros((2, 3)), src)
    assert not gd.any()
