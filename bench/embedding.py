"""Embedding throughput: the row gather forward and forward+backward (the deterministic sorted
segment-sum into dweight; its host-side sort is part of the time) against torch's F.embedding,
for a GPT-2 vocabulary and a small one with many repeats.

GB/s of the bytes the kernels must move at least (n indices, D dims, V rows, s = element size):
  forward            n*8 + 2*n*D*s          (read indices, read rows, write out)
  forward+backward   forward + n*D*s + V*D*s (read dy, write dweight)"""
import tnn
import tnn.nn.functional as F

from .harness import Harness, torch_dtype

# (case, V vocabulary, D dims, n indices)
CASES = (("gpt2", 50304, 768, 8192), ("gpt2-long", 50304, 768, 65536), ("small-vocab", 512, 1024, 65536))
QUICK = (("small", 37, 16, 50),)
DTYPES = (tnn.bfloat16, tnn.float32)


def _case(h: Harness, name, V, D, n, dtype):
    idx = tnn.randint(0, V, (n,), device=h.device)
    w = tnn.randn(V, D, dtype=dtype, device=h.device, requires_grad=True)
    dy = tnn.randn(n, D, dtype=dtype, device=h.device)
    s = dtype.itemsize

    def step():
        w.grad = None
        F.embedding(idx, w).backward(dy)

    with tnn.no_grad():
        ours_f = h.time(lambda: F.embedding(idx, w))
    ours_b = h.time(step)
    theirs_f = theirs_b = None
    torch = h.torch
    if torch is not None:
        tidx = torch.randint(0, V, (n,), device=str(h.device))
        tw = torch.randn(V, D, dtype=torch_dtype(torch, dtype), device=str(h.device), requires_grad=True)
        tdy = torch.randn(n, D, dtype=torch_dtype(torch, dtype), device=str(h.device))

        def tstep():
            tw.grad = None
            torch.nn.functional.embedding(tidx, tw).backward(tdy)
        with torch.no_grad():
            theirs_f = h.time(lambda: torch.nn.functional.embedding(tidx, tw))
        theirs_b = h.time(tstep)
    fwd = n * 8 + 2 * n * D * s
    for mode, ours, theirs, nbytes in (("forward", ours_f, theirs_f, fwd),
                                       ("forward+backward", ours_b, theirs_b, fwd + n * D * s + V * D * s)):
        h.add("embedding", f"{name} {mode}", f"V={V} D={D} n={n}", dtype, ours, nbytes / ours.ms / 1e6, "GB/s",
              theirs, nbytes / theirs.ms / 1e6 if theirs else None)


def run(h: Harness):
    cases, dtypes = (QUICK, (tnn.float32,)) if h.quick else (CASES, DTYPES)
    for dtype in dtypes:
        for case in cases:
            _case(h, *case, dtype)
    limit = h.limits.get("GB/s")
    h.set_limits("embedding", "GB/s", limit=limit, per_dtype=limit is None)
