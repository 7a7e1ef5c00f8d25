"""The shared benchmark harness: timing, result rows and the results files.

Timing (``Harness.time``): warm up, synchronize, then time each repeat with a pair of CUDA events
(cuda-core) recorded around the call on the default stream, after writing a 256 MB buffer so
every repeat starts with a cold L2. Reported: median and 20th/80th percentiles in ms. Without
cuda-core events it falls back to ``time.perf_counter`` around call + ``tnn.cuda.synchronize()``.

On cpu the kernels run in Triton's interpreter: the harness still runs every family end to end,
but each figure is labelled "interpreter: not a performance figure".

torch is imported here only (never in tnn/), and only when installed with a GPU, as the baseline.
"""
from __future__ import annotations

import dataclasses
import datetime
import json
import re
import time
from pathlib import Path

import numpy as np

import tnn

INTERPRETER_NOTE = "interpreter: not a performance figure"
L2_FLUSH_BYTES = 256 << 20


@dataclasses.dataclass
class Stats:
    ms: float    # median
    p20: float
    p80: float


@dataclasses.dataclass
class Row:
    family: str                 # "matmul", "copy", ...
    name: str                   # case name, e.g. "square" or "transposed"
    shape: str                  # e.g. "4096x4096x4096"
    dtype: str                  # e.g. "float16"
    ms: float                   # median time of tnn
    ms_p20: float
    ms_p80: float
    value: float                # throughput of tnn in ``unit``
    unit: str                   # "TFLOP/s", "GB/s" or "us"
    torch_ms: float | None = None
    torch_value: float | None = None
    ratio: float | None = None  # torch_ms / ms: > 1 means tnn is faster
    of_limit: float | None = None  # value / the device limit of this unit (see Harness.limits)
    peak_mb: float | None = None   # tnn's peak allocation during one call (Harness.peak_mb)
    torch_peak_mb: float | None = None
    note: str = ""


def _torch_or_none(dev):
    """torch with a GPU, as the baseline; None on cpu (the interpreter is not compared)."""
    if dev.type != "cuda":
        return None
    try:
        import torch
    except ImportError:
        return None
    return torch if torch.cuda.is_available() else None


class Harness:
    def __init__(self, device=None, quick: bool = False):
        self.device = tnn.device(device) if device is not None else tnn.get_default_device()
        self.quick = quick
        self.interpreted = self.device.type == "cpu"
        self.torch = _torch_or_none(self.device)
        self.rows: list[Row] = []
        self.limits: dict[str, float] = {}  # unit -> device limit (copy bandwidth for GB/s)
        self._flush_buf = None
        self._events = self._event_factory()

    # ------------------------------------------------------------------ timing
    def _event_factory(self):
        if self.device.type != "cuda":
            return None
        try:
            from tnn.runtime.device import cuda_device
            dev = cuda_device(self.device.index)
            stream = dev.default_stream
            new_event = lambda: dev.create_event({"enable_timing": True})  # noqa: E731
            start, end = new_event(), new_event()
            stream.record(start)
            stream.record(end)
            end.sync()
            float(end - start)  # elapsed ms, as timing uses it
            return new_event, stream
        except Exception:  # an older or newer cuda-core API: fall back to host timing
            return None

    def sync(self):
        tnn.cuda.synchronize(self.device) if self.device.type == "cuda" else None

    def _flush_l2(self):
        if self.device.type != "cuda":
            return
        if self._flush_buf is None:
            self._flush_buf = tnn.empty(L2_FLUSH_BYTES // 4, dtype=tnn.int32, device=self.device)
        self._flush_buf.zero_()

    def time(self, fn, warmup: int | None = None, rep: int | None = None, flush: bool = True) -> Stats:
        """Median and 20/80 percentiles (ms) of ``fn()`` over ``rep`` repeats."""
        warmup = warmup if warmup is not None else (1 if self.interpreted else 5)
        rep = rep if rep is not None else (2 if self.interpreted else 25)
        for _ in range(warmup):
            fn()
        self.sync()
        times = []
        if self._events is not None:
            new_event, stream = self._events
            pairs = [(new_event(), new_event()) for _ in range(rep)]
            for start, end in pairs:
                if flush:
                    self._flush_l2()
                stream.record(start)
                fn()
                stream.record(end)
            pairs[-1][1].sync()
            times = [float(end - start) for start, end in pairs]
        else:
            for _ in range(rep):
                if flush:
                    self._flush_l2()
                    self.sync()
                t0 = time.perf_counter()
                fn()
                self.sync()
                times.append((time.perf_counter() - t0) * 1e3)
        p20, med, p80 = np.percentile(times, [20, 50, 80])
        return Stats(float(med), float(p20), float(p80))

    def peak_mb(self, fn) -> float:
        """MB allocated at the peak of one ``fn()`` call beyond what was held before it (tnn's own
        allocation counter; cpu too). The result is dropped before returning."""
        import gc
        gc.collect()
        tnn.cuda.reset_peak_memory_stats(self.device)
        before = tnn.cuda.memory_allocated(self.device)
        out = fn()
        peak = tnn.cuda.max_memory_allocated(self.device) - before
        del out
        return peak / 2**20

    def torch_peak_mb(self, fn) -> float | None:
        """The same for a torch call (torch's caching allocator counters), None without torch."""
        if self.torch is None:
            return None
        cuda = self.torch.cuda
        cuda.synchronize()
        cuda.reset_peak_memory_stats()
        before = cuda.memory_allocated()
        out = fn()
        peak = cuda.max_memory_allocated() - before
        del out
        return peak / 2**20

    # ------------------------------------------------------------------ rows
    def add(self, family, name, shape, dtype, stats: Stats, value, unit, torch_stats: Stats | None = None,
            torch_value=None) -> Row:
        row = Row(family, name, shape, str(dtype).removeprefix("tnn."), stats.ms, stats.p20, stats.p80, value,
                  unit, note=INTERPRETER_NOTE if self.interpreted else "")
        if torch_stats is not None:
            row.torch_ms, row.torch_value = torch_stats.ms, torch_value
            row.ratio = torch_stats.ms / stats.ms
        self.rows.append(row)
        return row

    def set_limits(self, family: str, unit: str, limit: float | None = None, per_dtype: bool = False):
        """Fill ``of_limit`` for a family's rows: against ``limit`` when given (and record it as the
        device limit for ``unit``), else against the best figure measured in the family (ours or
        torch's), per dtype when ``per_dtype``."""
        rows = [r for r in self.rows if r.family == family and r.unit == unit]
        for r in rows:
            peers = [p for p in rows if not per_dtype or p.dtype == r.dtype]
            best = limit or max(max(p.value, p.torch_value or 0.0) for p in peers)
            r.of_limit = r.value / best if best else None
        if limit:
            self.limits[unit] = limit

    # ------------------------------------------------------------------ output
    def device_name(self) -> str:
        if self.device.type != "cuda":
            return "cpu-interpreter"
        from tnn.runtime.device import cuda_device
        name = getattr(cuda_device(self.device.index), "name", "cuda")
        return re.sub(r"[^a-z0-9]+", "-", str(name).lower()).strip("-")

    def write(self, out_dir: str | Path | None = None) -> Path:
        """results.json and results.md under bench/results/<device>-<date>[-quick]/."""
        if out_dir is None:
            stamp = datetime.date.today().isoformat()
            out_dir = Path(__file__).parent / "results" / (
                f"{self.device_name()}-{stamp}" + ("-quick" if self.quick else ""))
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        import triton
        meta = {"device": self.device_name(), "date": datetime.datetime.now().isoformat(timespec="seconds"),
                "triton": triton.__version__, "torch": getattr(self.torch, "__version__", None),
                "quick": self.quick, "limits": self.limits,
                "note": INTERPRETER_NOTE if self.interpreted else ""}
        (out / "results.json").write_text(json.dumps(
            {"meta": meta, "rows": [dataclasses.asdict(r) for r in self.rows]}, indent=1))
        (out / "results.md").write_text(self.markdown(meta))
        self.charts(out)
        return out

    def charts(self, out: Path) -> list[Path]:
        """One PNG per family: tnn vs torch throughput per case (matplotlib, the optional 'bench'
        extra; skipped without it)."""
        try:
            import matplotlib
            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:
            return []
        paths = []
        for family in dict.fromkeys(r.family for r in self.rows):
            rows = [r for r in self.rows if r.family == family]
            labels = [f"{r.name}\n{r.shape}\n{r.dtype}" for r in rows]
            xs = np.arange(len(rows))
            fig, ax = plt.subplots(figsize=(max(6, 0.9 * len(rows)), 4))
            ax.bar(xs - 0.2, [r.value for r in rows], 0.4, label="tnn")
            if any(r.torch_value for r in rows):
                ax.bar(xs + 0.2, [r.torch_value or 0 for r in rows], 0.4, label="torch")
            ax.set_xticks(xs, labels, fontsize=6)
            ax.set_ylabel(rows[0].unit)
            ax.set_title(f"{family} on {self.device_name()}" + (f" ({INTERPRETER_NOTE})" if self.interpreted else ""))
            ax.legend()
            fig.tight_layout()
            path = out / f"{family}.png"
            fig.savefig(path, dpi=110)
            plt.close(fig)
            paths.append(path)
        return paths

    def markdown(self, meta: dict | None = None) -> str:
        lines = []
        if meta:
            lines += [f"# tnn benchmarks: {meta['device']}, {meta['date']}", "",
                      f"triton {meta['triton']}, torch {meta['torch']}." + (f" **{meta['note']}**" if meta['note'] else ""),
                      ""]
        for family in dict.fromkeys(r.family for r in self.rows):
            lines += [f"## {family}", "", "| case | shape | dtype | ms (p20-p80) | tnn | torch ms | torch | "
                      "torch/tnn time | of limit | peak MB (torch) | note |", "|" + "---|" * 11]
            for r in (r for r in self.rows if r.family == family):
                lines.append(
                    f"| {r.name} | {r.shape} | {r.dtype} | {r.ms:.4g} ({r.ms_p20:.4g}-{r.ms_p80:.4g}) | "
                    f"{r.value:.4g} {r.unit} | {_fmt(r.torch_ms)} | {_fmt(r.torch_value)} | {_fmt(r.ratio, '.2f')} | "
                    f"{_fmt(r.of_limit, '.0%')} | {_peak(r)} | {r.note} |")
            lines.append("")
        return "\n".join(lines)


def _peak(r: Row) -> str:
    if r.peak_mb is None:
        return "-"
    return f"{r.peak_mb:.4g}" + (f" ({r.torch_peak_mb:.4g})" if r.torch_peak_mb is not None else "")


def _fmt(x, spec=".4g") -> str:
    return "-" if x is None else format(x, spec)


def torch_dtype(torch, dtype):
    """The torch dtype named like a tnn dtype."""
    return getattr(torch, str(dtype).removeprefix("tnn."))
