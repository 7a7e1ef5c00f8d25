"""Host overhead per launch, in microseconds: a 1-element fill through tnn's whole op path
(``t.fill_``), through the kernel launcher alone, and torch's ``fill_`` on a 1-element tensor.
On a GPU also: the launcher with tnn's fast path off (launch() -> Triton's ``kernel[grid]``),
Triton's ``kernel[grid]`` called directly, and the cached compiled launcher called alone (the
floor the fast path approaches; kernels/fastlaunch.py).

Each figure is host time for N back-to-back launches / N (the GPU queue absorbs the kernels;
a final synchronize is not counted), median over repeats."""
import time

import numpy as np
import tnn
from tnn.kernels import copy as K
from tnn.kernels import fastlaunch as F
from tnn.kernels import launch as L

from .harness import Harness, Stats


def _per_launch_us(h: Harness, fn, n: int, reps: int) -> Stats:
    for _ in range(3):
        fn()
    h.sync()
    samples = []
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        samples.append((time.perf_counter() - t0) / n * 1e6)
        h.sync()
    p20, med, p80 = np.percentile(samples, [20, 50, 80])
    return Stats(float(med), float(p20), float(p80))


def _ms(us: Stats) -> Stats:
    return Stats(us.ms / 1e3, us.p20 / 1e3, us.p80 / 1e3)


def run(h: Harness):
    n, reps = (5, 2) if h.interpreted else (2000, 7)
    t = tnn.zeros(1, device=h.device)
    cases = [("tensor.fill_", lambda: t.fill_(1.0)),
             ("launcher (kernels.copy.fill)", lambda: K.fill(t, 1.0, (1,), (1,)))]
    theirs = None
    if h.torch is not None:
        tt = h.torch.zeros(1, device=str(h.device))
        theirs = _per_launch_us(h, lambda: tt.fill_(1.0), n, reps)
    if not h.interpreted:
        cases += _gpu_cases(t)
    for name, fn in cases:
        us = _per_launch_us(h, fn, n, reps)
        h.add("launch_overhead", name, "1", tnn.float32, _ms(us), us.ms, "us", theirs and _ms(theirs),
              theirs.ms if theirs else None)


def _gpu_cases(t):
    """Fast path vs Triton's plain path, for the same fill launch."""
    block, warps = L.elementwise_config(1, t.device)
    args = (t, 1.0, 1, (1,), (1,))
    cx = dict(RANK=1, BLOCK=block)

    def plain_via_launch():
        enabled = F.ENABLED
        F.ENABLED = False
        try:
            K.fill(t, 1.0, (1,), (1,))
        finally:
            F.ENABLED = enabled

    ptr = L._pointer(t, False)
    triton_plain = lambda: K._fill_kernel[(1,)](ptr, 1.0, 1, (1,), (1,), **cx, num_warps=warps)  # noqa: E731
    cases = [("launcher, fast path off (kernel[grid])", plain_via_launch),
             ("triton kernel[grid] direct", triton_plain)]
    K.fill(t, 1.0, (1,), (1,))  # compiles and caches the fast-path entry
    entry = getattr(K._fill_kernel, "_tnn_fast", None)
    if F.ENABLED and entry:
        key = F.specialization_key(K._fill_kernel, args, cx, warps, None, t.device.index)
        ln = entry.launches.get(key)
        if ln is not None:
            kargs = F.launcher_args(K._fill_kernel, args, cx)
            stream = F.stream_handle(t.device.index)
            cases.append(("compiled launcher alone (fast-path floor)", lambda: ln.launcher(
                1, 1, 1, stream, ln.function, ln.packed, None, None, None, *kargs)))
    return cases
