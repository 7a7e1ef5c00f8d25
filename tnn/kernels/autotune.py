"""Config autotuning for GPU launchers, with tnn's own torch-free benchmarker and an on-disk cache.

``tune(kernel_name, key, configs, run_config, device)`` returns the fastest of ``configs`` for a
launch whose tuning key is ``key``:

- interpreter (cpu): returns ``interpreter_config`` (or ``configs[0]``) at once, no timing;
- cuda: the first time a (device name, Triton version, kernel, key) is seen, every config is run
  through ``run_config(cfg)`` and timed by ``Benchmarker`` (CUDA events through
  ``cuda.bindings.driver``: warm-up, a 256 MB write to flush L2 before each repeat, median); the
  winner is kept in memory and written to ``<cache dir>/autotune-<device>.json`` (cache dir:
  ``TNN_CACHE_DIR``, else ``~/.cache/tnn``; atomic replace, merged with what other processes
  wrote). Later processes read it back and never time that key again. A config that fails to
  compile or launch (out of shared memory, say) counts as infinitely slow.

Keys are bucketed by the launcher (``bucket``, ``bucket_mnk``): sizes round up to powers of two
with a floor of 32, so dynamic shapes map to a few keys and do not retune every step.
``TNN_AUTOTUNE=0`` turns tuning off: ``tune`` then returns ``configs[0]`` (the launcher's own
heuristic pick goes first). A cache file that cannot be read or parsed is ignored (and replaced
on the next write).
"""
from __future__ import annotations

import json
import math
import os
import re
import tempfile
import threading
from pathlib import Path

ENABLED = os.environ.get("TNN_AUTOTUNE", "1").strip().lower() not in ("0", "false", "off", "no")
L2_FLUSH_BYTES = 256 << 20
FORMAT = 1


# ------------------------------------------------------------------------------ keys
def bucket(n: int, floor: int = 32) -> int:
    """n rounded up to a power of two, at least ``floor`` (0 and negatives give ``floor``)."""
    n = int(n)
    if n <= floor:
        return floor
    return 1 << (n - 1).bit_length()


def bucket_mnk(M: int, N: int, K: int, floor: int = 32) -> tuple[int, int, int]:
    return bucket(M, floor), bucket(N, floor), bucket(K, floor)


def _key_str(kernel_name: str, key) -> str:
    return f"{kernel_name}|{json.dumps(_jsonable(key), separators=(',', ':'))}"


def _jsonable(x):
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, (bool, int, float, str)) or x is None:
        return x
    return str(x)


def _cfg_list(cfg) -> list:
    return [_jsonable(v) for v in (cfg._asdict().values() if hasattr(cfg, "_asdict") else cfg)]


# ------------------------------------------------------------------------------ disk cache
def cache_dir() -> Path:
    d = os.environ.get("TNN_CACHE_DIR")
    return Path(d) if d else Path.home() / ".cache" / "tnn"


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", str(name).lower()).strip("-") or "cuda"


def cache_path(device_name: str) -> Path:
    return cache_dir() / f"autotune-{_slug(device_name)}.json"


def _triton_version() -> str:
    try:
        import triton
        return str(triton.__version__)
    except Exception:
        return "unknown"


def load_cache(path: Path) -> dict:
    """The entries of a cache file ({key string: config list}); {} when missing or unreadable."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError, UnicodeDecodeError):
        return {}
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("entries"), dict):
        return {}
    return {k: v for k, v in data["entries"].items() if isinstance(k, str) and isinstance(v, list)}


def save_cache(path: Path, entries: dict) -> None:
    """Merge ``entries`` into the file at ``path`` and replace it atomically (best effort: a
    read-only cache directory only costs retuning in the next process)."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        merged = load_cache(path)
        merged.update(entries)
        fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w") as f:
                json.dump({"format": FORMAT, "entries": merged}, f, indent=0, sort_keys=True)
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
    except OSError:
        pass


# ------------------------------------------------------------------------------ benchmarker
def _drv():
    from cuda.bindings import driver
    return driver


def _ok(result):
    err = result[0] if isinstance(result, tuple) else result
    if int(err) != 0:
        raise RuntimeError(f"CUDA error: {err}")
    return result[1] if isinstance(result, tuple) and len(result) == 2 else result


class Benchmarker:
    """Times a callable on one device with CUDA events (driver API, no torch)."""

    def __init__(self, device_index: int = 0, flush_bytes: int = L2_FLUSH_BYTES):
        from ..runtime.device import cuda_device
        from ..runtime.memory import Buffer
        from ..runtime.device import device as _device
        self.index = device_index
        cuda_device(device_index)
        from .fastlaunch import stream_handle
        drv = _drv()
        self.drv = drv
        self.stream = drv.CUstream(stream_handle(device_index))
        self.elapsed = getattr(drv, "cuEventElapsedTime_v2", None) or drv.cuEventElapsedTime
        self._flush = Buffer.allocate(flush_bytes, _device("cuda", device_index)) if flush_bytes else None

    def _event(self):
        return _ok(self.drv.cuEventCreate(0))   # CU_EVENT_DEFAULT: timing enabled

    def flush_l2(self):
        if self._flush is not None:
            _ok(self.drv.cuMemsetD32Async(self._flush.ptr, 0, self._flush.nbytes // 4, self.stream))

    def time(self, fn, warmup: int = 3, rep: int | None = None, target_ms: float = 25.0) -> float:
        """Median milliseconds of ``fn()`` (each repeat after an L2 flush)."""
        drv = self.drv
        start, end = self._event(), self._event()
        try:
            for _ in range(warmup):
                fn()
            _ok(drv.cuEventRecord(start, self.stream))
            fn()
            _ok(drv.cuEventRecord(end, self.stream))
            _ok(drv.cuEventSynchronize(end))
            est = max(float(_ok(self.elapsed(start, end))), 1e-3)
            if rep is None:
                rep = int(min(50, max(5, target_ms / est)))
            pairs = [(self._event(), self._event()) for _ in range(rep)]
            try:
                for s, e in pairs:
                    self.flush_l2()
                    _ok(drv.cuEventRecord(s, self.stream))
                    fn()
                    _ok(drv.cuEventRecord(e, self.stream))
                _ok(drv.cuEventSynchronize(pairs[-1][1]))
                times = sorted(float(_ok(self.elapsed(s, e))) for s, e in pairs)
            finally:
                for s, e in pairs:
                    drv.cuEventDestroy(s)
                    drv.cuEventDestroy(e)
        finally:
            drv.cuEventDestroy(start)
            drv.cuEventDestroy(end)
        n = len(times)
        return times[n // 2] if n % 2 else 0.5 * (times[n // 2 - 1] + times[n // 2])


_BENCHMARKERS: dict = {}


def benchmarker(device_index: int) -> Benchmarker:
    b = _BENCHMARKERS.get(device_index)
    if b is None:
        b = _BENCHMARKERS[device_index] = Benchmarker(device_index)
    return b


# ------------------------------------------------------------------------------ tune
_lock = threading.Lock()
_memory: dict = {}        # device name -> {key string: config list}, loaded from disk once per name
_DEVICE_NAMES: dict = {}
stats = {"tuned": 0, "timed": 0}


def device_name(dev) -> str:
    n = _DEVICE_NAMES.get(dev.index)
    if n is None:
        from ..runtime.device import cuda_device
        n = _DEVICE_NAMES[dev.index] = _slug(getattr(cuda_device(dev.index), "name", "cuda"))
    return n


def _table(name: str) -> dict:
    t = _memory.get(name)
    if t is None:
        t = _memory[name] = load_cache(cache_path(name))
    return t


def clear_memory() -> None:
    """Forget what was tuned or loaded in this process (tests)."""
    _memory.clear()


def tune(kernel_name: str, key, configs, run_config, device, *, interpreter_config=None, timer=None,
         device_label: str | None = None):
    """The fastest of ``configs`` (a sequence of NamedTuples or tuples) for ``key`` on ``device``.

    ``run_config(cfg)`` launches the kernel once with ``cfg`` (on the caller's real arguments).
    ``timer(fn) -> ms`` replaces the CUDA-event benchmarker (tests); ``device_label`` the device
    name used for the cache."""
    configs = list(configs)
    if device.type == "cpu":
        return interpreter_config if interpreter_config is not None else configs[0]
    if not ENABLED or len(configs) == 1:
        return configs[0]
    name = device_label or device_name(device)
    skey = f"triton={_triton_version()}|{_key_str(kernel_name, key)}"
    by_list = {tuple(_cfg_list(c)): c for c in configs}
    with _lock:
        table = _table(name)
        hit = table.get(skey)
    if hit is not None and tuple(hit) in by_list:
        return by_list[tuple(hit)]
    timer = timer or benchmarker(device.index).time
    best, best_ms, first_err = None, math.inf, None
    for cfg in configs:
        try:
            ms = float(timer(lambda cfg=cfg: run_config(cfg)))
            stats["timed"] += 1
        except Exception as e:  # does not compile / too much shared memory: never the winner
            first_err = first_err or e
            continue
        if ms < best_ms:
            best, best_ms = cfg, ms
    if best is None:
        raise first_err
    with _lock:
        table[skey] = _cfg_list(best)
        save_cache(cache_path(name), {skey: table[skey]})
    stats["tuned"] += 1
    return best
