"""Reduction throughput: sum over the last dim (contiguous rows), over dim 0 (strided columns),
over everything, and var / amax along the last dim, against torch; forward and forward+backward
for sum.

GB/s of the bytes the kernel must move at least (n input elements, s = element size): n*s forward
(the output is negligible); forward+backward adds writing the n-element gradient."""
import tnn

from .harness import Harness, torch_dtype

SIZES = ((8192, 8192), (65536, 1024))
QUICK = ((33, 65),)
DTYPES = (tnn.float32, tnn.bfloat16)

# name -> reduction applied to x (the same expression works for tnn and torch)
OPS = {
    "sum dim=-1": lambda x: x.sum(dim=-1),
    "sum dim=0": lambda x: x.sum(dim=0),
    "sum all": lambda x: x.sum(),
    "var dim=-1": lambda x: x.var(dim=-1),
    "amax dim=-1": lambda x: x.amax(dim=-1),
}


def _case(h: Harness, shape, dtype):
    x = tnn.randn(*shape, dtype=dtype, device=h.device, requires_grad=True)   # (M, N)
    n, s = x.numel(), dtype.itemsize
    tx = None
    if h.torch is not None:
        tx = h.torch.randn(*shape, dtype=torch_dtype(h.torch, dtype), device=str(h.device), requires_grad=True)
    label = "x".join(map(str, shape))
    for name, op in OPS.items():
        with tnn.no_grad():
            ours = h.time(lambda: op(x))
        theirs = None
        if tx is not None:
            with h.torch.no_grad():
                theirs = h.time(lambda: op(tx))
        h.add("reduce", f"{name} forward", label, dtype, ours, n * s / ours.ms / 1e6, "GB/s", theirs,
              n * s / theirs.ms / 1e6 if theirs else None)

    def step():
        x.grad = None
        x.sum(dim=-1).sum().backward()
    ours = h.time(step)
    theirs = None
    if tx is not None:
        def tstep():
            tx.grad = None
            tx.sum(dim=-1).sum().backward()
        theirs = h.time(tstep)
    h.add("reduce", "sum dim=-1 forward+backward", label, dtype, ours, 2 * n * s / ours.ms / 1e6, "GB/s", theirs,
          2 * n * s / theirs.ms / 1e6 if theirs else None)


def run(h: Harness):
    sizes, dtypes = (QUICK, (tnn.float32,)) if h.quick else (SIZES, DTYPES)
    for dtype in dtypes:
        for shape in sizes:
            _case(h, shape, dtype)
    limit = h.limits.get("GB/s")
    h.set_limits("reduce", "GB/s", limit=limit, per_dtype=limit is None)
