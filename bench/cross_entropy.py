"""Cross-entropy over LM-head-sized vocabularies (32k .. 256k classes), and two hot pointwise
losses, against torch.nn.functional.

Throughput in GB/s of the bytes a fused kernel must move at least:
  forward          N*C*s   (read the logits once; s = element size)
  forward+backward 2*N*C*s (read the logits, write d loss / d logits once)
so torch (log_softmax + nll_loss, several passes) and tnn are measured by the same yardstick.
Peak memory: the extra device memory a forward+backward step allocates above its inputs
(tnn.cuda.max_memory_allocated vs torch.cuda.max_memory_allocated), in the forward+backward rows. Pointwise rows: mse_loss and binary_cross_entropy_with_logits
over n elements, bytes 2*n*s forward and 4*n*s forward+backward (read x, y; write dx)."""
from __future__ import annotations

import tnn
import tnn.nn.functional as F

from .harness import Harness, torch_dtype

VOCABS = (32768, 50257, 128256, 256000)   # 32k, GPT-2, Llama 3, Gemma
TOKENS = 4096
DTYPES = (tnn.bfloat16, tnn.float32)
POINTWISE_NUMEL = 1 << 24


def _cross_entropy(h: Harness, N: int, C: int, dtype):
    x = tnn.randn(N, C, dtype=dtype, device=h.device)           # (N, C) logits
    t = tnn.randint(0, C, (N,), device=h.device)                 # (N,) class indices
    s = dtype.itemsize
    shape = f"{N}x{C}"

    def fwd():
        F.cross_entropy(x, t)

    def step():
        x.grad = None
        F.cross_entropy(x, t).backward()

    tx = tt = None
    torch = h.torch
    if torch is not None:
        tx = torch.randn(N, C, dtype=torch_dtype(torch, dtype), device=str(h.device))
        tt = torch.randint(0, C, (N,), device=str(h.device))

        def tfwd():
            torch.nn.functional.cross_entropy(tx, tt)

        def tstep():
            tx.grad = None
            torch.nn.functional.cross_entropy(tx, tt).backward()

    ours = h.time(fwd)
    theirs = h.time(tfwd) if tx is not None else None
    h.add("cross_entropy", "forward", shape, dtype, ours, N * C * s / ours.ms / 1e6, "GB/s", theirs,
          N * C * s / theirs.ms / 1e6 if theirs else None)
    x.requires_grad_(True)
    if tx is not None:
        tx.requires_grad_(True)
    ours = h.time(step)
    theirs = h.time(tstep) if tx is not None else None
    row = h.add("cross_entropy", "forward+backward", shape, dtype, ours, 2 * N * C * s / ours.ms / 1e6, "GB/s",
                theirs, 2 * N * C * s / theirs.ms / 1e6 if theirs else None)
    x.grad = None
    row.peak_mb = h.peak_mb(step)
    if tx is not None:
        tx.grad = None
        row.torch_peak_mb = h.torch_peak_mb(tstep)


def _pointwise(h: Harness, n: int, dtype):
    torch = h.torch
    for name, tname, make_y in (("mse_loss", "mse_loss", tnn.randn),
                                ("bce_with_logits", "binary_cross_entropy_with_logits", tnn.rand)):
        fn = getattr(F, tname)
        x = tnn.randn(n, dtype=dtype, device=h.device, requires_grad=True)   # (n,)
        y = make_y(n, dtype=dtype, device=h.device)                            # (n,)
        s = dtype.itemsize

        def step():
            x.grad = None
            fn(x, y).backward()
        ours_f = h.time(lambda: fn(x, y))
        ours_b = h.time(step)
        theirs_f = theirs_b = None
        if torch is not None:
            tfn = getattr(torch.nn.functional, tname)
            tx = torch.randn(n, dtype=torch_dtype(torch, dtype), device=str(h.device), requires_grad=True)
            ty = (torch.randn if make_y is tnn.randn else torch.rand)(n, dtype=torch_dtype(torch, dtype),
                                                                       device=str(h.device))

            def tstep():
                tx.grad = None
                tfn(tx, ty).backward()
            theirs_f = h.time(lambda: tfn(tx, ty))
            theirs_b = h.time(tstep)
        for mode, ours, theirs, nbytes in (("forward", ours_f, theirs_f, 2 * n * s),
                                           ("forward+backward", ours_b, theirs_b, 4 * n * s)):
            h.add("cross_entropy", f"{name} {mode}", str(n), dtype, ours, nbytes / ours.ms / 1e6, "GB/s", theirs,
                  nbytes / theirs.ms / 1e6 if theirs else None)


def run(h: Harness):
    if h.quick:
        cases, dtypes, n_pw = ((8, 97), (4, 1000)), (tnn.float32,), 4096
    else:
        cases, dtypes, n_pw = tuple((TOKENS, c) for c in VOCABS), DTYPES, POINTWISE_NUMEL
    for dtype in dtypes:
        for N, C in cases:
            _cross_entropy(h, N, C, dtype)
        _pointwise(h, n_pw, dtype)
    limit = h.limits.get("GB/s")
    h.set_limits("cross_entropy", "GB/s", limit=limit, per_dtype=limit is None)



