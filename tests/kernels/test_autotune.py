"""Autotuning (kernels/autotune.py) without a GPU: bucketing, selection with an injected timer,
the on-disk cache (round trip, merge, corruption), the interpreter path, and the GEMM wiring
(matmul.tuned_config). The candidates' largest tiles compile for sm_90 within its shared memory."""
import json

import pytest
import triton
from triton.backends.compiler import GPUTarget

import tnn
from tnn.kernels import autotune as A
from tnn.kernels import matmul as MM

CUDA = tnn.device("cuda", 0)
CPU = tnn.device("cpu")
CONFIGS = [MM.MatmulConfig(64, 64, 32, 8, 4, 3), MM.MatmulConfig(128, 128, 32, 8, 8, 3),
           MM.MatmulConfig(128, 64, 32, 8, 4, 4)]


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TNN_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(A, "ENABLED", True)
    A.clear_memory()
    yield tmp_path
    A.clear_memory()


class FakeTimer:
    """Times by config: runs fn (which runs the config) and returns that config's fixed time."""

    def __init__(self, ms: dict, fail=()):
        self.ms, self.fail, self.calls, self.current = ms, set(fail), [], None

    def run_config(self, cfg):
        self.current = cfg

    def __call__(self, fn):
        fn()
        self.calls.append(self.current)
        if self.current in self.fail:
            raise RuntimeError("out of resources: shared memory")
        return self.ms[self.current]


def _never(*a, **kw):
    raise AssertionError("timed or launched although it should not")


def test_bucket():
    assert [A.bucket(n) for n in (0, 1, 31, 32, 33, 64, 65, 1000, 4096, 4097)] == \
        [32, 32, 32, 32, 64, 64, 128, 1024, 4096, 8192]
    assert A.bucket(3, floor=1) == 4 and A.bucket(1, floor=1) == 1
    assert A.bucket_mnk(7, 100, 5000) == (32, 128, 8192)


def test_interpreter_returns_fixed_config_without_timing():
    big = MM.MatmulConfig(128, 128, 128, 8, 1, 1)
    assert A.tune("matmul", ("k",), CONFIGS, _never, CPU, interpreter_config=big, timer=_never) is big
    assert A.tune("matmul", ("k",), CONFIGS, _never, CPU, timer=_never) is CONFIGS[0]
    assert MM.tuned_config("matmul", 4096, 4096, 4096, tnn.float16, CPU, False, 1, (True, True), _never) == \
        MM.matmul_config(4096, 4096, 4096, tnn.float16, CPU)


def test_selects_fastest_and_caches_in_memory(cache):
    t = FakeTimer({CONFIGS[0]: 3.0, CONFIGS[1]: 1.5, CONFIGS[2]: 2.0})
    assert A.tune("matmul", ("f16", 64), CONFIGS, t.run_config, CUDA, timer=t, device_label="Fake GPU") == CONFIGS[1]
    assert t.calls == CONFIGS
    assert A.tune("matmul", ("f16", 64), CONFIGS, _never, CUDA, timer=_never, device_label="Fake GPU") == CONFIGS[1]
    t2 = FakeTimer({CONFIGS[0]: 1.0, CONFIGS[1]: 1.5, CONFIGS[2]: 2.0})   # another key: tuned on its own
    assert A.tune("matmul", ("f16", 128), CONFIGS, t2.run_config, CUDA, timer=t2, device_label="Fake GPU") == CONFIGS[0]


def test_cache_round_trip_on_disk(cache):
    t = FakeTimer({CONFIGS[0]: 3.0, CONFIGS[1]: 2.5, CONFIGS[2]: 0.5})
    A.tune("linear", ("f16", 256, 256, 64), CONFIGS, t.run_config, CUDA, timer=t, device_label="Fake GPU")
    path = cache / "autotune-fake-gpu.json"
    assert path == A.cache_path("Fake GPU") and path.exists()
    data = json.loads(path.read_text())
    (k, v), = data["entries"].items()
    assert k.startswith(f"triton={triton.__version__}|linear|") and v == list(CONFIGS[2])
    A.clear_memory()   # a new process: reads the file, times nothing
    assert A.tune("linear", ("f16", 256, 256, 64), CONFIGS, _never, CUDA, timer=_never,
                  device_label="Fake GPU") == CONFIGS[2]
    assert not list(cache.glob("*.tmp"))   # atomic write left no temporary behind


def test_writes_merge_with_other_processes(cache):
    path = A.cache_path("Fake GPU")
    A.save_cache(path, {"triton=x|other|[1]": [1, 2, 3, 4, 5, 6]})
    t = FakeTimer({c: i + 1.0 for i, c in enumerate(CONFIGS)})
    A.tune("matmul", ("f16",), CONFIGS, t.run_config, CUDA, timer=t, device_label="Fake GPU")
    entries = A.load_cache(path)
    assert len(entries) == 2 and entries["triton=x|other|[1]"] == [1, 2, 3, 4, 5, 6]


@pytest.mark.parametrize("content", ["{not json", "[]", '{"format": 99, "entries": {}}', "\x00\xff"])
def test_corrupted_cache_file_is_ignored(cache, content):
    path = A.cache_path("Fake GPU")
    path.write_bytes(content.encode("latin-1"))
    t = FakeTimer({CONFIGS[0]: 2.0, CONFIGS[1]: 1.0, CONFIGS[2]: 3.0})
    assert A.tune("matmul", ("f16",), CONFIGS, t.run_config, CUDA, timer=t, device_label="Fake GPU") == CONFIGS[1]
    assert len(t.calls) == 3
    assert list(A.load_cache(path).values()) == [list(CONFIGS[1])]   # replaced by a valid file


def test_stale_choice_or_new_triton_version_retunes(cache, monkeypatch):
    t = FakeTimer({CONFIGS[0]: 2.0, CONFIGS[1]: 1.0, CONFIGS[2]: 3.0})
    A.tune("matmul", ("f16",), CONFIGS, t.run_config, CUDA, timer=t, device_label="Fake GPU")
    t.calls.clear()
    # the cached winner is no longer a candidate: time the new list
    assert A.tune("matmul", ("f16",), [CONFIGS[0], CONFIGS[2]], t.run_config, CUDA, timer=t,
                  device_label="Fake GPU") == CONFIGS[0]
    assert t.calls == [CONFIGS[0], CONFIGS[2]]
    t.calls.clear()
    monkeypatch.setattr(A, "_triton_version", lambda: "9.9.9")
    A.tune("matmul", ("f16",), CONFIGS, t.run_config, CUDA, timer=t, device_label="Fake GPU")
    assert t.calls == CONFIGS


def test_failing_configs_are_skipped(cache):
    t = FakeTimer({CONFIGS[0]: 2.0, CONFIGS[1]: 1.0, CONFIGS[2]: 3.0}, fail={CONFIGS[1]})
    assert A.tune("matmul", ("f16",), CONFIGS, t.run_config, CUDA, timer=t, device_label="Fake GPU") == CONFIGS[0]
    t = FakeTimer({}, fail=set(CONFIGS))
    with pytest.raises(RuntimeError, match="out of resources"):
        A.tune("matmul", ("f32",), CONFIGS, t.run_config, CUDA, timer=t, device_label="Fake GPU")


def test_disabled_returns_first_without_timing(monkeypatch):
    monkeypatch.setattr(A, "ENABLED", False)
    assert A.tune("matmul", ("f16",), CONFIGS, _never, CUDA, timer=_never, device_label="x") is CONFIGS[0]
    assert MM.tuned_config("matmul", 4096, 4096, 4096, tnn.float16, CUDA, False, 1, (True, True), _never) == \
        MM.matmul_config(4096, 4096, 4096, tnn.float16, CUDA)


def test_gemm_wiring(monkeypatch):
    seen = []

    def fake_tune(name, key, configs, run, device, **kw):
        seen.append((name, key, configs))
        return configs[-1]

    monkeypatch.setattr(A, "tune", fake_tune)
    # tiny problems keep the table's pick and never tune
    assert MM.tuned_config("matmul", 64, 64, 64, tnn.float16, CUDA, False, 1, (True, True), _never) == \
        MM.matmul_config(64, 64, 64, tnn.float16, CUDA)
    # fp64 / integer GEMMs have nothing to tune
    assert MM.tuned_config("matmul", 1024, 1024, 1024, tnn.float64, CUDA, False, 1, (True, True), _never) == \
        MM.matmul_config(1024, 1024, 1024, tnn.float64, CUDA)
    assert not seen
    cfg = MM.tuned_config("matmul", 1000, 3000, 700, tnn.bfloat16, CUDA, False, 2, (True, False), _never)
    (name, key, configs), = seen
    assert name == "matmul" and key == ("f16", "bfloat16", 1024, 4096, 1024, 2, (True, False))
    assert cfg == configs[-1] and configs == MM.tune_candidates("f16", 1024)
    seen.clear()
    # the candidates depend on the bucketed key only, so a cached choice is always among them
    MM.tuned_config("linear", 20, 8192, 4096, tnn.float16, CUDA, False, 1, (True, True, False), _never)
    MM.tuned_config("linear", 9, 8192, 4096, tnn.float16, CUDA, False, 1, (True, True, False), _never)
    assert seen[0][1] == seen[1][1] and seen[0][2] == seen[1][2]
    assert seen[0][2][0].BLOCK_M == 16   # skinny problems try short tiles
    MM.tuned_config("matmul", 4096, 4096, 4096, tnn.float32, CUDA, True, 1, (True, True), _never)
    assert seen[-1][1][0] == "tf32" and seen[-1][2] == MM.tune_candidates("tf32", 4096)


@pytest.mark.parametrize("kind,dtype,allow_tf32", [("f16", tnn.float16, False), ("tf32", tnn.float32, True),
                                                   ("f32", tnn.float32, False)])
def test_largest_candidate_compiles_for_sm90(kind, dtype, allow_tf32):
    """The candidate with the most shared memory (tiles x stages) fits an H100 (227 KB per block)."""
    size = {tnn.float16: 2, tnn.float32: 4}[dtype]
    cfg = max(MM.tune_candidates(kind, 4096),
              key=lambda c: (c.BLOCK_M * c.BLOCK_K + c.BLOCK_K * c.BLOCK_N) * size * c.num_stages)
    constexprs = MM.kernel_constexprs(dtype, cfg, 1, allow_tf32)
    names = MM._matmul_kernel.arg_names
    ptr = "*fp16" if dtype is tnn.float16 else "*fp32"
    sig = {n: "constexpr" if n in constexprs else ptr if n.endswith("_ptr") else
           ("i32",) if n in ("batch_sizes", "a_batch_strides", "b_batch_strides", "c_batch_strides") else "i32"
           for n in names}
    src = triton.compiler.ASTSource(fn=MM._matmul_kernel, signature=sig, constexprs=constexprs)
    k = triton.compile(src, target=GPUTarget("cuda", 90, 32),
                       options=dict(num_warps=cfg.num_warps, num_stages=cfg.num_stages))
    assert 0 < k.metadata.shared <= 227 * 1024


class _FakeDriver:
    """cuda.bindings.driver as the benchmarker uses it, on a fake clock that ``fn`` advances."""

    def __init__(self):
        self.clock, self.memsets, self.live = 0.0, 0, 0

    class _Event:
        t = None

    def cuEventCreate(self, flags):
        self.live += 1
        return 0, self._Event()

    def cuEventDestroy(self, ev):
        self.live -= 1
        return (0,)

    def cuEventRecord(self, ev, stream):
        ev.t = self.clock
        return (0,)

    def cuEventSynchronize(self, ev):
        return (0,)

    def cuEventElapsedTime(self, a, b):
        return 0, b.t - a.t

    def cuMemsetD32Async(self, ptr, value, n, stream):
        self.memsets += 1
        self.clock += 100.0   # flushing takes time, but outside the timed interval
        return (0,)


def test_benchmarker_median_with_flush_between_repeats():
    drv = _FakeDriver()

    class _Flush:
        ptr, nbytes = 1 << 20, 256 << 20

    b = A.Benchmarker.__new__(A.Benchmarker)
    b.drv, b.stream, b.elapsed, b._flush = drv, 0, drv.cuEventElapsedTime, _Flush()
    times = iter([1.0] * 4 + [5.0, 1.0, 2.0, 3.0, 100.0])   # 3 warm-up + 1 estimate, then 5 repeats

    def fn():
        drv.clock += next(times)

    assert b.time(fn, warmup=3, rep=5) == 3.0          # median of 5, 1, 2, 3, 100
    assert drv.memsets == 5 and drv.live == 0           # one L2 flush per repeat; events freed
    drv2 = _FakeDriver()
    b.drv, b.elapsed = drv2, drv2.cuEventElapsedTime
    b._flush = None
    ms = b.time(lambda: setattr(drv2, "clock", drv2.clock + 2.0), warmup=1, target_ms=20.0)
    assert ms == 2.0 and drv2.memsets == 0              # rep chosen from the estimate (20 / 2 = 10)


def test_gpu_benchmarker_and_tuning(device, cache):
    """On a GPU: real CUDA-event timing of a real GEMM, and one tuning round persisted to disk."""
    if device != "cuda":
        pytest.skip("needs a GPU (TNN_TEST_DEVICE=cuda)")
    a = tnn.randn(512, 512, device=device, dtype=tnn.float16)
    b = tnn.randn(512, 512, device=device, dtype=tnn.float16)
    c = tnn.empty(512, 512, device=device, dtype=tnn.float16)
    cands = MM.tune_candidates("f16", 512)[:3]
    ms = A.benchmarker(0).time(lambda: MM.matmul(a, b, c, config=cands[0]))
    assert 0 < ms < 100
    best = A.tune("test-matmul", ("f16", 512), cands, lambda cfg: MM.matmul(a, b, c, config=cfg), c.device)
    assert best in cands and A.load_cache(A.cache_path(A.device_name(c.device)))
    ref = (a.float() @ b.float()).half()
    assert (c.float() - ref.float()).abs().max().item() < 1e-1
