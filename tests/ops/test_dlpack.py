"""DLPack: zero-copy exchange with NumPy both ways (shared memory checked by writing through one
side), strides, dtypes (bool code 6, bfloat16 code 4), 0-d and empty, capsule protocol details
(versioned/legacy, consumption, lifetimes) and errors."""
import ctypes
import gc
import weakref

import numpy as np
import pytest
from hypothesis import given, strategies as st

import tnn
from tnn.ops import dlpack as D
from tnn.testing import make_tensor, random_array, shapes, to_numpy

NP_DTYPES = [np.float32, np.float64, np.float16, np.int64, np.int32, np.int16, np.int8, np.uint8, np.bool_]
cpu_only = pytest.mark.usefixtures("cpu_device")


@pytest.fixture
def cpu_device(device):
    if tnn.device(device).type != "cpu":
        pytest.skip("NumPy exchanges host memory only")


def _capsule_name_is(capsule, name: bytes) -> bool:
    f = ctypes.PYFUNCTYPE(ctypes.c_int, ctypes.py_object, ctypes.c_char_p)(("PyCapsule_IsValid", ctypes.pythonapi))
    return bool(f(capsule, name))


# ---------------------------------------------------------------- tnn -> NumPy
@cpu_only
@pytest.mark.parametrize("np_dtype", NP_DTYPES)
def test_numpy_from_tnn_shares_memory(np_dtype):
    arr = random_array(tnn.runtime.dtypes.from_numpy(np.dtype(np_dtype)), (3, 5), seed=1)
    t = tnn.tensor(arr)
    a = np.from_dlpack(t)
    assert a.dtype == np_dtype and a.shape == (3, 5)
    np.testing.assert_array_equal(a, arr)
    a[1, 2] = np.array(1, dtype=np_dtype)  # written through NumPy, read through tnn
    assert t[1, 2].item() == a[1, 2].item()
    t[0, 0] = 0
    assert a[0, 0] == 0


@cpu_only
@pytest.mark.parametrize("layout", ["transposed", "strided", "offset"])
def test_numpy_from_tnn_views(layout):
    arr = np.arange(24, dtype=np.float32).reshape(4, 6)
    t = make_tensor(arr, layout)
    a = np.from_dlpack(t)
    np.testing.assert_array_equal(a, arr)
    assert a.strides == tuple(s * 4 for s in t.stride())
    a[3, 5] = -1.0
    assert t[3, 5].item() == -1.0


@cpu_only
def test_numpy_from_tnn_0d_and_empty():
    a = np.from_dlpack(tnn.tensor(3.5))
    assert a.shape == () and a.item() == 3.5
    e = np.from_dlpack(tnn.zeros(0, 3))
    assert e.shape == (0, 3) and e.dtype == np.float32


@cpu_only
def test_numpy_refuses_bfloat16_cleanly():
    t = tnn.tensor([1.0, 2.0], dtype=tnn.bfloat16)
    r = weakref.ref(t)
    with pytest.raises(Exception) as info:
        np.from_dlpack(t)
    assert not isinstance(info.value, SystemError)  # the consumer's own error survives the capsule's death
    del t, info
    gc.collect()
    assert r() is None  # the unconsumed export was freed


# ---------------------------------------------------------------- NumPy -> tnn
@cpu_only
@pytest.mark.parametrize("np_dtype", NP_DTYPES)
def test_tnn_from_numpy_shares_memory(np_dtype):
    arr = random_array(tnn.runtime.dtypes.from_numpy(np.dtype(np_dtype)), (4, 3), seed=2)
    t = tnn.from_dlpack(arr)
    assert t.dtype.np == np.dtype(np_dtype) and t.shape == (4, 3) and t.device == tnn.device("cpu")
    assert t.data_ptr() == arr.ctypes.data
    np.testing.assert_array_equal(t.numpy(), arr)
    t[2, 1] = 1
    assert arr[2, 1] == 1
    arr[0, 0] = 0
    assert t[0, 0].item() == 0


@cpu_only
def test_tnn_from_numpy_strided_views():
    base = np.arange(60, dtype=np.float64).reshape(5, 12)
    for view in (base.T, base[1:, 3::2], base[::2, ::3], base[2], base[:, 5]):
        t = tnn.from_dlpack(view)
        assert t.shape == view.shape
        assert t.stride() == tuple(s // 8 for s in view.strides)
        np.testing.assert_array_equal(t.numpy(), view)
        assert t.data_ptr() == view.ctypes.data
    t = tnn.from_dlpack(base[1:, 3::2])
    t[0, 0] = -5.0
    assert base[1, 3] == -5.0
    # a kernel over the imported view sees the right elements
    np.testing.assert_array_equal(t.contiguous().numpy(), base[1:, 3::2])


@cpu_only
def test_tnn_from_numpy_0d_and_empty():
    t = tnn.from_dlpack(np.array(2.5))
    assert t.shape == () and t.item() == 2.5
    e = tnn.from_dlpack(np.zeros((0, 3), np.int32))
    assert e.shape == (0, 3) and e.dtype is tnn.int32
    b = tnn.from_dlpack(np.array([True, False, True]))
    assert b.dtype is tnn.bool and b.tolist() == [True, False, True]


@cpu_only
def test_tnn_keeps_the_producer_alive():
    arr = np.arange(1000, dtype=np.int64)
    t = tnn.from_dlpack(arr)[10:20]
    r = weakref.ref(arr)
    del arr
    gc.collect()
    junk = [np.full(1000, -1, np.int64) for _ in range(20)]
    assert r() is not None
    np.testing.assert_array_equal(t.numpy(), np.arange(10, 20))
    del t, junk
    gc.collect()
    assert r() is None


@cpu_only
def test_negative_strides_are_refused():
    with pytest.raises(BufferError, match="negative strides"):
        tnn.from_dlpack(np.arange(5.0)[::-1])


@cpu_only
def test_read_only_source_is_copied():
    arr = np.arange(4.0)
    arr.flags.writeable = False
    t = tnn.from_dlpack(arr)
    assert t.data_ptr() != arr.ctypes.data
    t[0] = 9.0
    assert arr[0] == 0.0 and t.tolist() == [9.0, 1.0, 2.0, 3.0]


@cpu_only
@given(shape=shapes(0, 3, max_size=7, allow_empty=True), dtype=st.sampled_from(NP_DTYPES),
       layout=st.sampled_from(["contiguous", "transposed", "strided", "offset"]))
def test_round_trip_property(shape, dtype, layout):
    arr = random_array(tnn.runtime.dtypes.from_numpy(np.dtype(dtype)), shape, seed=3)
    if layout != "contiguous" and len(shape) == 0:
        layout = "contiguous"
    t = make_tensor(arr, layout)
    a = np.from_dlpack(t)
    np.testing.assert_array_equal(a, arr)
    back = tnn.from_dlpack(a)
    assert back.shape == t.shape and back.dtype is t.dtype
    if t.numel():
        assert back.data_ptr() == t.data_ptr() and back.stride() == t.stride()
    np.testing.assert_array_equal(to_numpy(back), arr)


# ---------------------------------------------------------------- tnn -> tnn, any device
@pytest.mark.parametrize("dtype", [tnn.bfloat16, tnn.float16, tnn.float32, tnn.bool, tnn.int64, tnn.uint8])
def test_tnn_round_trip_zero_copy(device, dtype):
    arr = random_array(dtype, (3, 4), seed=4)
    t = tnn.tensor(arr, dtype=dtype, device=device).T
    u = tnn.from_dlpack(t)
    assert u.dtype is dtype and u.shape == (4, 3) and u.stride() == t.stride()
    assert u.data_ptr() == t.data_ptr() and u.device == t.device
    np.testing.assert_array_equal(to_numpy(u), to_numpy(t))
    u[0, 0] = 1
    assert to_numpy(t)[0, 0] == 1


def test_dlpack_device_and_dtype_codes(device):
    t = tnn.zeros(2, dtype=tnn.bfloat16, device=device)
    expected = (2, tnn.device(device).index) if tnn.device(device).type == "cuda" else (1, 0)
    assert t.__dlpack_device__() == expected
    cap = t.__dlpack__()
    assert _capsule_name_is(cap, b"dltensor")
    get = ctypes.PYFUNCTYPE(ctypes.c_void_p, ctypes.py_object, ctypes.c_char_p)(
        ("PyCapsule_GetPointer", ctypes.pythonapi))
    m = D.DLManagedTensor.from_address(get(cap, b"dltensor"))
    assert (m.dl_tensor.dtype.code, m.dl_tensor.dtype.bits, m.dl_tensor.dtype.lanes) == (4, 16, 1)
    assert m.dl_tensor.device.device_type == expected[0]
    b = tnn.zeros(2, dtype=tnn.bool, device=device).__dlpack__(max_version=(1, 0))
    assert _capsule_name_is(b, b"dltensor_versioned")
    mv = D.DLManagedTensorVersioned.from_address(get(b, b"dltensor_versioned"))
    assert (mv.version.major, mv.version.minor) == (1, 0) and mv.flags == 0
    assert (mv.dl_tensor.dtype.code, mv.dl_tensor.dtype.bits) == (6, 8)


def test_capsules_are_consumed_once(device):
    t = tnn.arange(6, device=device)
    for kwargs, used in (({}, b"used_dltensor"), ({"max_version": (1, 0)}, b"used_dltensor_versioned")):
        cap = t.__dlpack__(**kwargs)
        u = tnn.from_dlpack(cap)
        assert _capsule_name_is(cap, used)
        assert to_numpy(u).tolist() == list(range(6))
        with pytest.raises(ValueError, match="not been consumed"):
            tnn.from_dlpack(cap)


def test_export_lifetime(device):
    t = tnn.arange(5, device=device).float()
    r = weakref.ref(t)
    u = tnn.from_dlpack(t)
    del t
    gc.collect()
    assert r() is not None  # the export holds the tensor (and its buffer)
    assert to_numpy(u).tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]
    del u
    gc.collect()
    assert r() is None  # the consumer called the deleter
    t2 = tnn.ones(3, device=device)
    r2 = weakref.ref(t2)
    cap = t2.__dlpack__(max_version=(1, 0))
    del t2, cap  # never consumed: the capsule's destructor frees it
    gc.collect()
    assert r2() is None


def test_python_fallback_hooks(device, monkeypatch):
    """The pure-ctypes deleter/destructor used when NumPy's native ones cannot be found."""
    fallback = {v: (ctypes.cast(D._py_deleters[v], ctypes.c_void_p).value,
                    ctypes.cast(D._py_capsule_destructor, ctypes.c_void_p).value) for v in (False, True)}
    monkeypatch.setattr(D, "_HOOKS", fallback)
    for kwargs in ({}, {"max_version": (1, 0)}):
        t = tnn.arange(4, device=device)
        r = weakref.ref(t)
        u = tnn.from_dlpack(t.__dlpack__(**kwargs))
        del t
        gc.collect()
        assert r() is not None and to_numpy(u).tolist() == [0, 1, 2, 3]
        del u
        gc.collect()
        assert r() is None
        t = tnn.arange(4, device=device)
        r = weakref.ref(t)
        cap = t.__dlpack__(**kwargs)
        del t, cap
        gc.collect()
        assert r() is None


def test_copy_and_device_arguments(device):
    t = tnn.arange(4, device=device)
    c = tnn.from_dlpack(t.__dlpack__(max_version=(1, 0), copy=True))
    assert c.data_ptr() != t.data_ptr() and to_numpy(c).tolist() == [0, 1, 2, 3]
    with pytest.raises(BufferError, match="can't export"):
        t.__dlpack__(dl_device=(13, 5))


def test_errors(device):
    with pytest.raises(RuntimeError, match="Can't export tensors that require gradient"):
        tnn.ones(2, device=device, requires_grad=True).__dlpack__()
    with pytest.raises(TypeError, match="expected an object with __dlpack__"):
        tnn.from_dlpack([1, 2])
    assert "from_dlpack" in D.__all__ and tnn.from_dlpack is D.from_dlpack
