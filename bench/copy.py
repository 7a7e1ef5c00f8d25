"""Copy bandwidth of the strided copy kernel: contiguous -> contiguous (clone) and a transposed
read (x.T.contiguous()), in GB/s = 2 * bytes / time, against torch's clone / t().contiguous().
The best copy bandwidth measured here (ours or torch's) is the device limit that memory-bound
families divide by."""
import tnn

from .harness import Harness, torch_dtype

SIZES = (2048, 4096, 8192, 16384)   # square n x n
DTYPES = (tnn.float32, tnn.float16)


def run(h: Harness):
    sizes = (64, 96) if h.quick else SIZES
    dtypes = (tnn.float32,) if h.quick else DTYPES
    for dtype in dtypes:
        for n in sizes:
            x = tnn.randn(n, n, dtype=dtype, device=h.device)   # (n, n)
            nbytes = 2 * n * n * dtype.itemsize                   # read once, write once
            tx = None
            if h.torch is not None:
                tx = h.torch.randn(n, n, dtype=torch_dtype(h.torch, dtype), device=str(h.device))
            for name, ours_fn, torch_fn in (
                    ("contiguous", lambda: x.clone(), lambda: tx.clone()),
                    ("transposed", lambda: x.T.contiguous(), lambda: tx.t().contiguous())):
                ours = h.time(ours_fn)
                theirs = h.time(torch_fn) if tx is not None else None
                h.add("copy", name, f"{n}x{n}", dtype, ours, nbytes / ours.ms / 1e6, "GB/s", theirs,
                      nbytes / theirs.ms / 1e6 if theirs else None)
    rows = [r for r in h.rows if r.family == "copy"]
    h.set_limits("copy", "GB/s", limit=max(max(r.value, r.torch_value or 0.0) for r in rows))
