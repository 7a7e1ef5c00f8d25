"""F.embedding against the NumPy float64 reference (tnn.reference.embedding): the gather forward and
the deterministic segment-sum weight gradient over index shapes (0-d, empty, primes), int64 / int32
indices, strided indices / weights / gradients, fp32 / fp16 / bf16 / fp64 weights, padding_idx
(positive and negative), scale_grad_by_freq; max_norm's in-place renormalisation for several
norm types; bitwise determinism with heavily repeated rows; torch's errors."""
import importlib

import numpy as np
import pytest
from hypothesis import given, strategies as st

import tnn
import tnn.nn.functional as F
from tnn.runtime import dtypes as dt
from tnn.testing import assert_close, layouts, make_tensor, random_array, shapes

ref = importlib.import_module("tnn.reference.embedding")
FLOATS = (dt.float32, dt.float16, dt.bfloat16, dt.float64)


@given(st.data())
def test_embedding_matches_reference(device, data):
    V = data.draw(st.sampled_from([1, 3, 7, 17]))
    D = data.draw(st.sampled_from([1, 3, 5, 16, 17]))
    ishape = data.draw(shapes(min_dims=0, max_dims=3, max_size=7, max_numel=256, allow_empty=True))
    idtype = data.draw(st.sampled_from([np.int64, np.int32]))
    wdtype = data.draw(st.sampled_from(FLOATS))
    padding_idx = data.draw(st.sampled_from([None, 0, V - 1, -1]))
    by_freq = data.draw(st.booleans())
    seed = data.draw(st.integers(0, 2**31))
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, V, size=ishape).astype(idtype)
    w_a = random_array(wdtype, (V, D), seed)
    i = make_tensor(idx, data.draw(layouts()), device)
    w = make_tensor(w_a, data.draw(layouts()), device, requires_grad=True)
    y = F.embedding(i, w, padding_idx=padding_idx, scale_grad_by_freq=by_freq)
    assert y.dtype is wdtype and tuple(y.shape) == ishape + (D,)
    assert_close(y.detach(), ref.embedding(idx, w_a, padding_idx))
    g = random_array(wdtype, ishape + (D,), seed + 1)
    y.backward(make_tensor(g, data.draw(layouts()), device))
    _, dw = ref.embedding_backward(g, idx, w_a, padding_idx, scale_grad_by_freq=by_freq)
    reps = int(np.bincount(idx.reshape(-1), minlength=V).max()) if idx.size else 1
    assert w.grad.dtype is wdtype and tuple(w.grad.shape) == (V, D)
    assert_close(w.grad, dw, reduce_len=reps)


def test_reference_backward_by_finite_differences():
    rng = np.random.default_rng(0)
    idx = rng.integers(0, 5, size=(3, 4))
    w = rng.standard_normal((5, 2))
    g = rng.standard_normal((3, 4, 2))
    for pad, freq in ((None, False), (2, True)):
        _, dw = ref.embedding_backward(g, idx, w, pad, scale_grad_by_freq=freq)
        num = np.zeros_like(w)
        counts = np.bincount(idx.ravel(), minlength=5)
        for r, c in np.ndindex(w.shape):
            e = np.zeros_like(w)
            e[r, c] = 1e-6
            d = ((ref.embedding(idx, w + e) - ref.embedding(idx, w - e)) * g).sum() / 2e-6
            num[r, c] = 0.0 if r == pad else d / (counts[r] if freq else 1)
        np.testing.assert_allclose(dw, num, rtol=1e-6, atol=1e-8)


def test_backward_is_deterministic_with_repeated_rows(device):
    idx = tnn.tensor(np.random.default_rng(1).integers(0, 4, size=(50, 7)), device=device)
    w_a = random_array(dt.float32, (4, 9), 2)
    g = tnn.tensor(random_array(dt.float32, (50, 7, 9), 3), device=device)
    grads = []
    for _ in range(2):
        w = tnn.tensor(w_a, device=device, requires_grad=True)
        F.embedding(idx, w).backward(g)
        grads.append(w.grad.numpy().copy())
    np.testing.assert_array_equal(grads[0], grads[1])
    _, dw = ref.embedding_backward(g.numpy(), idx.numpy(), w_a)
    assert_close(tnn.tensor(grads[0]), dw, reduce_len=350)


@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf"), 3.0])
@pytest.mark.parametrize("dtype", [dt.float32, dt.float64])
def test_max_norm_renormalises_looked_up_rows_in_place(device, norm_type, dtype):
    w_a = random_array(dtype, (6, 5), 4, -3, 3)
    w_a[2] *= 0.01                                         # a row already inside the ball
    idx = np.array([[0, 2, 2], [5, 0, 3]])
    w = make_tensor(w_a, "transposed", device)
    v = w._version
    y = F.embedding(tnn.tensor(idx, device=device), w, max_norm=1.5, norm_type=norm_type)
    expected_w = ref.embedding_renorm(w_a, idx, 1.5, norm_type)
    assert_close(w, expected_w)
    assert_close(y, expected_w[idx])
    assert w._version > v
    np.testing.assert_array_equal(w.numpy()[[1, 4]], w_a[[1, 4]])   # rows not looked up: untouched
    norms = np.linalg.norm(w.numpy()[[0, 3, 5]].astype(np.float64), ord=norm_type, axis=1)
    assert (norms <= 1.5 + 1e-5).all()


def test_max_norm_with_gradient(device):
    w_a = random_array(dt.float32, (4, 3), 5, -4, 4)
    w = tnn.tensor(w_a, device=device, requires_grad=True)
    idx = tnn.tensor([1, 1, 3], device=device)
    y = F.embedding(idx, w, max_norm=1.0)     # renormalises the leaf's data in place, as torch (no graph)
    assert_close(y.detach(), ref.embedding_renorm(w_a, [1, 3], 1.0)[[1, 1, 3]])
    y.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), np.array([[0] * 3, [2] * 3, [0] * 3, [1] * 3], np.float32))


def test_edge_cases(device):
    w = tnn.tensor(random_array(dt.float32, (5, 3), 6), device=device, requires_grad=True)
    y = F.embedding(tnn.tensor(4, device=device), w)          # 0-d index
    assert tuple(y.shape) == (3,) and y.grad_fn.name() == "EmbeddingBackward0"
    np.testing.assert_array_equal(y.detach().numpy(), w.detach().numpy()[4])
    e = F.embedding(tnn.zeros(2, 0, dtype=tnn.int64, device=device), w)
    assert tuple(e.shape) == (2, 0, 3)
    e.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), 0)
    z = F.embedding(tnn.tensor([0, 1], device=device), tnn.ones(2, 0, device=device))
    assert tuple(z.shape) == (2, 0)
    s = F.embedding(tnn.tensor([[0, 1, 1]], device=device), w, sparse=True)   # dense gradient
    w.grad = None
    s.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy()[:, 0], [1, 2, 0, 0, 0])
    with tnn.no_grad():
        assert F.embedding(tnn.tensor([0], device=device), w).grad_fn is None
    iw = F.embedding(tnn.tensor([2, 0], device=device), tnn.tensor([[1], [2], [3]], device=device))
    np.testing.assert_array_equal(iw.numpy(), [[3], [1]])   # integer weights gather too


def test_errors(device):
    w = tnn.ones(5, 3, device=device)
    with pytest.raises(IndexError, match="index out of range in self"):
        F.embedding(tnn.tensor([0, 5], device=device), w)
    with pytest.raises(IndexError, match="index out of range in self"):
        F.embedding(tnn.tensor([-1], device=device), w)
    with pytest.raises(RuntimeError, match="Expected tensor for argument #1 'indices' to have one of the following "
                                           "scalar types: Long, Int; but got FloatTensor instead"):
        F.embedding(tnn.tensor([0.0], device=device), w)
    with pytest.raises(RuntimeError, match="'weight' must be 2-D"):
        F.embedding(tnn.tensor([0], device=device), tnn.ones(5, device=device))
    with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
        F.embedding(tnn.tensor([0], device=device), w, padding_idx=5)
    with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
        F.embedding(tnn.tensor([0], device=device), w, padding_idx=-6)
