"""Creation ops, copies and dtype conversion against NumPy."""
import math

import ml_dtypes
import numpy as np
import pytest
from hypothesis import given, strategies as st

import tnn
from tnn.runtime import dtypes as dt
from tnn.testing import ALL_DTYPES, assert_close, layouts, make_tensor, random_array, shapes


def test_tensor_dtype_inference(device):
    assert tnn.tensor([1.0, 2.0], device=device).dtype is tnn.float32
    assert tnn.tensor([1, 2], device=device).dtype is tnn.int64
    assert tnn.tensor([True, False], device=device).dtype is tnn.bool
    assert tnn.tensor(np.zeros(3), device=device).dtype is tnn.float64          # numpy float64 stays
    assert tnn.tensor(np.zeros(3, np.int32), device=device).dtype is tnn.int32
    assert tnn.tensor(2.5, device=device).shape == ()
    assert tnn.tensor([[1, 2], [3, 4]], dtype=tnn.float16, device=device).dtype is tnn.float16
    assert tnn.tensor([], device=device).shape == (0,)
    with pytest.raises(ValueError, match="expected sequence of equal-length lists"):
        tnn.tensor([[1, 2], [3]], device=device)
    with pytest.raises(TypeError):
        tnn.tensor(["a"], device=device)


def test_from_numpy_shares_memory():
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    x = tnn.from_numpy(a)
    a[0, 0] = 100.0
    assert x[0, 0].item() == 100.0
    t = tnn.from_numpy(a.T)
    assert t.stride() == (1, 4) and t.tolist() == a.T.tolist()
    x.numpy()[1, 1] = -5.0
    assert a[1, 1] == -5.0
    with pytest.raises(TypeError, match="expected np.ndarray"):
        tnn.from_numpy([1, 2])


@pytest.mark.parametrize("fn,np_fn", [(tnn.zeros, np.zeros), (tnn.ones, np.ones)])
def test_zeros_ones(device, fn, np_fn):
    for d in (tnn.float32, tnn.float16, tnn.bfloat16, tnn.int64, tnn.bool, tnn.uint8):
        x = fn(2, 3, dtype=d, device=device)
        assert x.dtype is d and x.shape == (2, 3)
        np.testing.assert_array_equal(x.numpy() if device == "cpu" else x.cpu().numpy(), np_fn((2, 3), d.np))
    assert fn((4,), device=device).shape == (4,)
    assert fn(0, device=device).numel() == 0


def test_full_and_like(device):
    assert tnn.full((2,), 7, device=device).dtype is tnn.int64
    assert tnn.full((2,), True, device=device).dtype is tnn.bool
    assert tnn.full((2,), 1.5, device=device).tolist() == [1.5, 1.5]
    x = tnn.full((2, 2), math.pi, dtype=tnn.float64, device=device)
    assert x.tolist() == [[math.pi] * 2] * 2                 # exact float64, not rounded through fp32
    y = tnn.ones_like(x)
    assert y.dtype is tnn.float64 and y.tolist() == [[1.0] * 2] * 2
    assert tnn.zeros_like(x, dtype=tnn.int32).dtype is tnn.int32
    assert tnn.full_like(x, 3).tolist() == [[3.0] * 2] * 2
    assert tnn.empty_like(x).shape == (2, 2)
    with pytest.raises(RuntimeError, match="value cannot be converted to type int8 without overflow"):
        tnn.full((1,), 300, dtype=tnn.int8, device=device)
    with pytest.raises(RuntimeError, match="negative dimension"):
        tnn.zeros(-1, device=device)


@pytest.mark.parametrize("args,kw", [((5,), {}), ((1, 4), {}), ((0, 1, 0.1), {}), ((-3, 3, 0.5), {}),
                                     ((10, 0, -3), {}), ((0, 5), {"dtype": tnn.float16}), ((2.5,), {})])
def test_arange_matches_numpy(device, args, kw):
    x = tnn.arange(*args, device=device, **kw)
    e = np.arange(*args)
    assert x.shape == e.shape
    assert_close(x, e.astype(x.dtype.np), check_dtype=False)
    if all(isinstance(a, int) for a in args) and not kw:
        assert x.dtype is tnn.int64


def test_linspace_eye(device):
    for steps in (0, 1, 2, 5, 101):
        x = tnn.linspace(-1.0, 3.0, steps, device=device)
        assert_close(x, np.linspace(-1.0, 3.0, steps).astype(np.float32))
    assert tnn.linspace(0, 1, 5, dtype=tnn.float64, device=device).tolist()[-1] == 1.0
    assert tnn.eye(3, device=device).tolist() == np.eye(3).tolist()
    assert tnn.eye(2, 4, dtype=tnn.int64, device=device).tolist() == np.eye(2, 4, dtype=np.int64).tolist()
    assert tnn.eye(0, device=device).shape == (0, 0)


_CAST_DTYPES = (tnn.float32, tnn.float16, tnn.bfloat16, tnn.float64, tnn.int64, tnn.int32, tnn.int8, tnn.uint8,
                tnn.bool)


@given(src=st.sampled_from(_CAST_DTYPES), dst=st.sampled_from(_CAST_DTYPES), shape=shapes(0, 3),
       layout=layouts(), seed=st.integers(0, 2**16))
def test_to_dtype_matches_numpy_astype(device, src, dst, shape, layout, seed):
    a = random_array(src, shape, seed, low=0.0, high=10.0)
    x = make_tensor(a, layout, device)
    y = x.to(dst)
    assert y.dtype is dst and y.is_contiguous()
    expected = (a != 0) if dst is tnn.bool else a.astype(np.float64).astype(dst.np) if src.category == 2 and dst.category == 1 else a.astype(dst.np)
    np.testing.assert_array_equal(y.cpu().numpy(), expected)


@given(shape=shapes(1, 4), layout=layouts(), dtype=st.sampled_from(ALL_DTYPES), seed=st.integers(0, 99))
def test_contiguous_clone_copy(device, shape, layout, dtype, seed):
    a = random_array(dtype, shape, seed)
    x = make_tensor(a, layout, device)
    c = x.contiguous()
    assert c.is_contiguous()
    assert (c is x) == (layout == "contiguous" or x.is_contiguous())
    np.testing.assert_array_equal(c.cpu().numpy(), a)
    k = x.clone()
    assert k.data_ptr() != x.data_ptr()
    np.testing.assert_array_equal(k.cpu().numpy(), a)
    dst = make_tensor(np.zeros_like(a), layout, device)
    dst.copy_(x)
    np.testing.assert_array_equal(dst.cpu().numpy(), a)


def test_copy_broadcasts_and_checks(device):
    dst = tnn.zeros(3, 4, device=device)
    dst.copy_(tnn.arange(4, dtype=tnn.float32, device=device))
    assert dst.tolist() == [[0.0, 1.0, 2.0, 3.0]] * 3
    v0 = dst._version
    dst.copy_(tnn.tensor([[1], [2], [3]], device=device))   # int -> float, broadcast
    assert dst.tolist() == [[1.0] * 4, [2.0] * 4, [3.0] * 4] and dst._version > v0
    with pytest.raises(RuntimeError, match=r"output with shape \[3, 1\] doesn.t match the broadcast shape \[3, 4\]"):
        tnn.zeros(3, 1, device=device).copy_(dst)


def test_host_conversion(device):
    x = tnn.tensor([[1.5, 2.0], [3.0, 4.0]], device=device)
    assert x.tolist() == [[1.5, 2.0], [3.0, 4.0]]
    assert x[0, 1].item() == 2.0 and isinstance(x[0, 1].item(), float)
    assert isinstance(tnn.tensor(3, device=device).item(), int)
    assert float(x[1, 1]) == 4.0 and int(x[1, 0]) == 3
    assert x.cpu().device == tnn.device("cpu")
    assert x.to("cpu").dtype is tnn.float32
    assert x.to(x) is x
    assert x.to(tnn.float16).dtype is tnn.float16
    assert x.half().dtype is tnn.float16 and x.long().dtype is tnn.int64 and x.bool().dtype is tnn.bool
    assert x.to(tnn.bfloat16).tolist() == [[1.5, 2.0], [3.0, 4.0]]
    assert np.asarray(x.cpu()).shape == (2, 2)
    with pytest.raises(RuntimeError, match="a Tensor with 4 elements cannot be converted to Scalar"):
        x.item()
    with pytest.raises(RuntimeError, match="Boolean value of Tensor with more than one value is ambiguous"):
        bool(x)
    if device == "cpu":
        assert x.numpy().dtype == np.float32
    else:
        with pytest.raises(TypeError, match="can't convert cuda:0 device type tensor to numpy"):
            x.numpy()


def test_bfloat16_roundtrip(device):
    a = np.array([1.0, -2.5, 3.140625, 1e-3], dtype=ml_dtypes.bfloat16)
    x = tnn.tensor(a, device=device)
    assert x.dtype is tnn.bfloat16
    np.testing.assert_array_equal(x.cpu().numpy(), a)
    assert_close(x.float(), a.astype(np.float32))


def test_metadata(device):
    x = tnn.zeros(2, 3, 5, dtype=tnn.float16, device=device)
    assert x.size() == (2, 3, 5) and x.size(-1) == 5 and x.dim() == 3 and x.ndim == 3
    assert x.numel() == 30 and x.element_size() == 2 and x.nbytes == 60
    assert x.stride() == (15, 5, 1) and x.stride(0) == 15
    assert x.is_contiguous() and not x.transpose(0, 2).is_contiguous()
    assert repr(x.shape) == "tnn.Size([2, 3, 5])"
    assert x.device == tnn.device(device)
    assert len(x) == 2


def test_pickle_round_trip_keeps_values_device_and_requires_grad(device):
    import pickle
    x = tnn.tensor([[1.5, -2.0], [3.0, 4.25]], device=device, requires_grad=True)
    y = pickle.loads(pickle.dumps(x))
    assert y.device == x.device and y.requires_grad and y.is_leaf
    np.testing.assert_array_equal(y.detach().numpy(force=True), x.detach().numpy(force=True))
