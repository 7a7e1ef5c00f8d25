"""Activation throughput over n elements (a memory-bound elementwise kernel each way), and GLU,
against torch.nn.functional.

GB/s of the bytes the kernels must move at least (s = element size):
  forward          2*n*s   (read x, write y)
  forward+backward 5*n*s   (forward, then read the saved x or y and dy, write dx)
GLU over an (n/1024, 2048) input: forward 3*n*s (read 2n, write n), forward+backward 8*n*s
(then read x (2n) and dy (n), write dx (2n))."""
import tnn
import tnn.nn.functional as F

from .harness import Harness, torch_dtype

NUMEL = 1 << 24
DTYPES = (tnn.bfloat16, tnn.float32)
# (label, F name, kwargs)
OPS = (("relu", "relu", {}), ("gelu", "gelu", {}), ("gelu-tanh", "gelu", {"approximate": "tanh"}),
       ("silu", "silu", {}), ("leaky_relu", "leaky_relu", {"negative_slope": 0.1}), ("mish", "mish", {}),
       ("hardswish", "hardswish", {}), ("softplus", "softplus", {}))


def _time_pair(h: Harness, x, dy, fn, tx, tdy, tfn):
    """(ours fwd, ours fwd+bwd, torch fwd, torch fwd+bwd) Stats."""
    def step():
        x.grad = None
        fn(x).backward(dy)
    with tnn.no_grad():
        of = h.time(lambda: fn(x))
    ob = h.time(step)
    tf = tb = None
    if tx is not None:
        torch = h.torch

        def tstep():
            tx.grad = None
            tfn(tx).backward(tdy)
        with torch.no_grad():
            tf = h.time(lambda: tfn(tx))
        tb = h.time(tstep)
    return of, ob, tf, tb


def run(h: Harness):
    n, dtypes = ((4096, (tnn.float32,)) if h.quick else (NUMEL, DTYPES))
    torch = h.torch
    for dtype in dtypes:
        s = dtype.itemsize
        x = tnn.randn(n, dtype=dtype, device=h.device, requires_grad=True)   # (n,)
        dy = tnn.randn(n, dtype=dtype, device=h.device)                        # (n,)
        tx = tdy = None
        if torch is not None:
            td = torch_dtype(torch, dtype)
            tx = torch.randn(n, dtype=td, device=str(h.device), requires_grad=True)
            tdy = torch.randn(n, dtype=td, device=str(h.device))
        for label, name, kw in OPS:
            fn = lambda v, name=name, kw=kw: getattr(F, name)(v, **kw)  # noqa: E731
            tfn = (lambda v, name=name, kw=kw: getattr(torch.nn.functional, name)(v, **kw)) if torch else None
            of, ob, tf, tb = _time_pair(h, x, dy, fn, tx, tdy, tfn)
            for mode, ours, theirs, nbytes in (("forward", of, tf, 2 * n * s), ("forward+backward", ob, tb, 5 * n * s)):
                h.add("activation", f"{label} {mode}", str(n), dtype, ours, nbytes / ours.ms / 1e6, "GB/s", theirs,
                      nbytes / theirs.ms / 1e6 if theirs else None)
        # GLU over (rows, 2 * 1024) -> (rows, 1024)
        rows = max(1, n // 1024)
        gx = tnn.randn(rows, 2048, dtype=dtype, device=h.device, requires_grad=True)
        gdy = tnn.randn(rows, 1024, dtype=dtype, device=h.device)
        tgx = tgdy = None
        if torch is not None:
            tgx = torch.randn(rows, 2048, dtype=td, device=str(h.device), requires_grad=True)
            tgdy = torch.randn(rows, 1024, dtype=td, device=str(h.device))
        m = rows * 1024
        of, ob, tf, tb = _time_pair(h, gx, gdy, F.glu, tgx, tgdy, torch.nn.functional.glu if torch else None)
        for mode, ours, theirs, nbytes in (("forward", of, tf, 3 * m * s), ("forward+backward", ob, tb, 8 * m * s)):
            h.add("activation", f"glu {mode}", f"{rows}x2048", dtype, ours, nbytes / ours.ms / 1e6, "GB/s", theirs,
                  nbytes / theirs.ms / 1e6 if theirs else None)
    limit = h.limits.get("GB/s")
    h.set_limits("activation", "GB/s", limit=limit, per_dtype=limit is None)
