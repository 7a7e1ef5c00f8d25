"""Dropout throughput (p = 0.1, training): F.dropout and the channel-wise F.dropout2d against
torch, forward and forward+backward. No mask is stored: backward regenerates it from Philox.

GB/s of the bytes the kernels must move at least (s = element size, n elements):
  forward            2*n*s   (read x, write y)
  forward+backward   4*n*s   (forward, then read dy, write dx)"""
import tnn
import tnn.nn.functional as F

from .harness import Harness, torch_dtype

CASES = (("dropout", (8192, 8192)), ("dropout", (4096, 4 * 4096)), ("dropout2d", (64, 256, 56, 56)))
QUICK = (("dropout", (33, 65)), ("dropout2d", (2, 3, 5, 7)))
DTYPES = (tnn.bfloat16, tnn.float32)


def _case(h: Harness, op: str, shape, dtype):
    x = tnn.randn(*shape, dtype=dtype, device=h.device, requires_grad=True)
    dy = tnn.randn(*shape, dtype=dtype, device=h.device)
    fn = getattr(F, op)
    n, s = x.numel(), dtype.itemsize

    def step():
        x.grad = None
        fn(x, 0.1, True).backward(dy)

    with tnn.no_grad():
        ours_f = h.time(lambda: fn(x, 0.1, True))
    ours_b = h.time(step)
    theirs_f = theirs_b = None
    torch = h.torch
    if torch is not None:
        tx = torch.randn(*shape, dtype=torch_dtype(torch, dtype), device=str(h.device), requires_grad=True)
        tdy = torch.randn(*shape, dtype=torch_dtype(torch, dtype), device=str(h.device))
        tfn = getattr(torch.nn.functional, op)

        def tstep():
            tx.grad = None
            tfn(tx, 0.1, True).backward(tdy)
        with torch.no_grad():
            theirs_f = h.time(lambda: tfn(tx, 0.1, True))
        theirs_b = h.time(tstep)
    for mode, ours, theirs, nbytes in (("forward", ours_f, theirs_f, 2 * n * s),
                                       ("forward+backward", ours_b, theirs_b, 4 * n * s)):
        row = h.add("dropout", f"{op} {mode}", "x".join(map(str, shape)), dtype, ours, nbytes / ours.ms / 1e6,
                    "GB/s", theirs, nbytes / theirs.ms / 1e6 if theirs else None)
    # The mask is regenerated in backward, never stored: the step's peak is the output and the grad.
    x.grad = None
    row.peak_mb = h.peak_mb(step)
    if torch is not None:
        tx.grad = None
        row.torch_peak_mb = h.torch_peak_mb(tstep)


def run(h: Harness):
    cases, dtypes = (QUICK, (tnn.float32,)) if h.quick else (CASES, DTYPES)
    for dtype in dtypes:
        for op, shape in cases:
            _case(h, op, shape, dtype)
    limit = h.limits.get("GB/s")
    h.set_limits("dropout", "GB/s", limit=limit, per_dtype=limit is None)
