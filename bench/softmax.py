"""Softmax / log-softmax throughput along the last dim (rows of 1k .. 128k, the longest taking the
looped online-softmax path) and along dim 0 (strided columns, no transposing copy), against
torch.nn.functional.

GB/s of the bytes the kernels must move at least (s = element size, M*N elements):
  forward          2*M*N*s   (read x, write y)
  forward+backward 5*M*N*s   (forward, then read y and dy, write dx)"""
import tnn
import tnn.nn.functional as F

from .harness import Harness, torch_dtype

# (case, M rows, N softmax length, dim)
CASES = (("last-dim", 4096, 1024, -1), ("last-dim", 4096, 8192, -1), ("last-dim", 1024, 32768, -1),
         ("looped", 256, 131072, -1), ("dim-0", 1024, 4096, 0))
QUICK = (("last-dim", 8, 97, -1), ("dim-0", 33, 16, 0))
DTYPES = (tnn.bfloat16, tnn.float32)


def _case(h: Harness, name: str, M: int, N: int, dim: int, dtype, op: str):
    shape = (M, N) if dim == -1 else (N, M)       # the softmax dim has length N
    x = tnn.randn(*shape, dtype=dtype, device=h.device, requires_grad=True)   # (M, N) or (N, M)
    dy = tnn.randn(*shape, dtype=dtype, device=h.device)
    fn = getattr(F, op)
    s, n = dtype.itemsize, M * N

    def step():
        x.grad = None
        fn(x, dim).backward(dy)

    with tnn.no_grad():
        ours_f = h.time(lambda: fn(x, dim))
    ours_b = h.time(step)
    theirs_f = theirs_b = None
    torch = h.torch
    if torch is not None:
        tx = torch.randn(*shape, dtype=torch_dtype(torch, dtype), device=str(h.device), requires_grad=True)
        tdy = torch.randn(*shape, dtype=torch_dtype(torch, dtype), device=str(h.device))
        tfn = getattr(torch.nn.functional, op)

        def tstep():
            tx.grad = None
            tfn(tx, dim).backward(tdy)
        with torch.no_grad():
            theirs_f = h.time(lambda: tfn(tx, dim))
        theirs_b = h.time(tstep)
    for mode, ours, theirs, nbytes in (("forward", ours_f, theirs_f, 2 * n * s),
                                       ("forward+backward", ours_b, theirs_b, 5 * n * s)):
        h.add("softmax", f"{op} {name} {mode}", "x".join(map(str, shape)), dtype, ours, nbytes / ours.ms / 1e6,
              "GB/s", theirs, nbytes / theirs.ms / 1e6 if theirs else None)


def run(h: Harness):
    cases, dtypes = (QUICK, (tnn.float32,)) if h.quick else (CASES, DTYPES)
    for dtype in dtypes:
        for name, M, N, dim in cases:
            for op in ("softmax", "log_softmax"):
                _case(h, name, M, N, dim, dtype, op)
    limit = h.limits.get("GB/s")
    h.set_limits("softmax", "GB/s", limit=limit, per_dtype=limit is None)
