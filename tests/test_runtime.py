"""dtypes, promotion, devices and buffers."""
import numpy as np
import pytest

import tnn
from tnn.runtime import dtypes as dt
from tnn.runtime.memory import Buffer, copy_bytes


def test_dtype_names_and_numpy():
    assert repr(tnn.float32) == "tnn.float32"
    assert tnn.float is tnn.float32 and tnn.half is tnn.float16 and tnn.long is tnn.int64
    assert tnn.bool.np == np.bool_ and tnn.bfloat16.itemsize == 2
    assert tnn.float16.is_floating_point and not tnn.int32.is_floating_point
    for d in dt.ALL:
        assert dt.from_numpy(d.np) is d
    with pytest.raises(TypeError, match="can't convert np.ndarray of type numpy.complex64"):
        dt.from_numpy(np.complex64)


@pytest.mark.parametrize("a,b,expected", [
    (dt.uint8, dt.int8, dt.int16), (dt.float16, dt.bfloat16, dt.float32), (dt.int32, dt.float16, dt.float16),
    (dt.bool_, dt.uint8, dt.uint8), (dt.int64, dt.int8, dt.int64), (dt.float64, dt.float32, dt.float64),
    (dt.bool_, dt.bool_, dt.bool_), (dt.uint8, dt.int64, dt.int64),
])
def test_promote_types(a, b, expected):
    assert dt.promote_types(a, b) is expected
    assert dt.promote_types(b, a) is expected


def test_result_type_follows_torch_priorities(device):
    i32 = tnn.tensor([1, 2], dtype=tnn.int32, device=device)
    f16 = tnn.tensor([1.0], dtype=tnn.float16, device=device)
    zero_f64 = tnn.tensor(1.0, dtype=tnn.float64, device=device)
    zero_i64 = tnn.tensor(1, device=device)
    assert tnn.result_type(i32, 2.5) is tnn.float32           # float scalar lifts int tensor to default
    assert tnn.result_type(i32, 7) is tnn.int32               # int scalar keeps the tensor's int
    assert tnn.result_type(f16, 2.5) is tnn.float16           # same category: tensor wins
    assert tnn.result_type(f16, zero_f64) is tnn.float16      # 0-d of same category loses
    assert tnn.result_type(i32, zero_f64) is tnn.float64      # 0-d of higher category wins
    assert tnn.result_type(i32, zero_i64) is tnn.int32
    assert tnn.result_type(tnn.tensor([True], device=device), 3) is tnn.int64
    assert tnn.result_type(2, 3.0) is tnn.float32


def test_default_dtype_roundtrip():
    assert tnn.get_default_dtype() is tnn.float32
    tnn.set_default_dtype(tnn.float64)
    try:
        assert tnn.tensor([1.5]).dtype is tnn.float64
    finally:
        tnn.set_default_dtype(tnn.float32)
    with pytest.raises(TypeError):
        tnn.set_default_dtype(tnn.int32)


def test_device_parsing():
    assert tnn.device("cuda:1") == tnn.device("cuda", 1)
    assert tnn.device("cuda").index == 0
    assert repr(tnn.device("cpu")) == "device(type='cpu')"
    assert repr(tnn.device("cuda", 2)) == "device(type='cuda', index=2)"
    assert str(tnn.device("cuda:3")) == "cuda:3"
    assert tnn.device("cpu") == "cpu"
    with pytest.raises(RuntimeError, match="Expected one of cpu, cuda"):
        tnn.device("tpu")
    with pytest.raises(RuntimeError, match="Invalid device string"):
        tnn.device("cuda:x")
    assert isinstance(tnn.cuda.is_available(), bool)


def test_cpu_buffers_are_aligned_and_copy():
    a = Buffer.allocate(100, tnn.device("cpu"))
    b = Buffer.allocate(100, tnn.device("cpu"))
    assert a.ptr % 64 == 0
    a.host_view()[:] = np.arange(100, dtype=np.uint8)
    copy_bytes(b, 10, a, 0, 50)
    assert (b.host_view()[10:60] == np.arange(50)).all()
    assert Buffer.allocate(0, tnn.device("cpu")).nbytes == 0


def test_cuda_unavailable_error_is_clear():
    if tnn.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(RuntimeError, match="Found no NVIDIA driver"):
        tnn.zeros(2, device="cuda")


def test_import_without_torch(tmp_path):
    """tnn must import and run with torch made unimportable."""
    import subprocess
    import sys
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'torch' or name.startswith('torch.'):\n"
        "            raise ImportError('torch is blocked in this test')\n"
        "sys.meta_path.insert(0, Block())\n"
        "import tnn\n"
        "x = tnn.arange(6, dtype=tnn.float32, device='cpu').view(2, 3)\n"
        "y = x.T.contiguous().to(tnn.float16)\n"
        "assert y.tolist() == [[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]], y.tolist()\n"
        "assert 'torch' not in sys.modules\n"
        "print('ok')\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.strip().endswith("ok")


def test_memory_counters_follow_allocations_and_frees(device):
    import gc
    gc.collect()
    base = tnn.cuda.memory_allocated(device)
    x = tnn.zeros(1000, device=device)
    assert tnn.cuda.memory_allocated(device) == base + 4000
    tnn.cuda.reset_peak_memory_stats(device)
    y = x * 2
    del y
    gc.collect()
    assert tnn.cuda.memory_allocated(device) == base + 4000
    assert tnn.cuda.max_memory_allocated(device) == base + 8000
    v = x.view(10, 100)  # a view allocates nothing
    assert tnn.cuda.memory_allocated(device) == base + 4000
    del x, v
    gc.collect()
    assert tnn.cuda.memory_allocated(device) == base
