"""Layer norm, RMS norm and batch norm throughput against torch.nn.functional.

layer_norm / rms_norm over the last dim of (M, N) rows (N from 1k to 32k, the longest taking the
looped path), with weight and bias; batch_norm in training mode over (N, C, H, W) images, contiguous
and channels-last (read in place through strides), with running stats.

GB/s of the bytes the kernels must move at least (s = element size, n elements):
  forward          2*n*s   (read x, write y)
  forward+backward 5*n*s   (forward, then read x and dy, write dx)
Weights, statistics and partial sums are small and not counted; batch norm's forward reads x
twice (statistics, then normalise) and its backward three times, so its figures are below what
the memory system moves."""
import tnn
import tnn.nn.functional as F

from .harness import Harness, torch_dtype

ROWS = (("rows", 4096, 1024), ("rows", 4096, 4096), ("rows", 1024, 32768))
IMAGES = (("images", 32, 64, 56), ("images", 64, 256, 14))      # (name, N, C, H=W)
QUICK_ROWS = (("rows", 8, 97),)
QUICK_IMAGES = (("images", 2, 3, 5),)
DTYPES = (tnn.bfloat16, tnn.float32)


def _time_pair(h: Harness, fn, x, params, dy):
    def step():
        x.grad = None
        for p in params:
            p.grad = None
        fn().backward(dy)
    with tnn.no_grad():
        fwd = h.time(fn)
    return fwd, h.time(step)


def _torch_pair(h: Harness, shape, dtype, make, channels_last=False):
    torch = h.torch
    if torch is None:
        return None, None
    td = torch_dtype(torch, dtype)
    dev = str(h.device)
    x = torch.randn(*shape, dtype=td, device=dev)
    if channels_last:
        x = x.to(memory_format=torch.channels_last)
    x.requires_grad_(True)
    dy = torch.randn(*shape, dtype=td, device=dev)
    fn, params = make(torch, x, td, dev)

    def step():
        x.grad = None
        for p in params:
            p.grad = None
        fn().backward(dy)
    with torch.no_grad():
        fwd = h.time(fn)
    return fwd, h.time(step)


def _add(h, name, shape, dtype, n, ours, theirs):
    s = dtype.itemsize
    for mode, o, t, nbytes in (("forward", ours[0], theirs[0], 2 * n * s),
                               ("forward+backward", ours[1], theirs[1], 5 * n * s)):
        h.add("norm", f"{name} {mode}", "x".join(map(str, shape)), dtype, o, nbytes / o.ms / 1e6, "GB/s", t,
              nbytes / t.ms / 1e6 if t else None)


def _rows_case(h: Harness, op: str, M: int, N: int, dtype):
    x = tnn.randn(M, N, dtype=dtype, device=h.device, requires_grad=True)      # (M, N)
    w = tnn.randn(N, dtype=dtype, device=h.device, requires_grad=True)         # (N,)
    b = tnn.randn(N, dtype=dtype, device=h.device, requires_grad=True)
    dy = tnn.randn(M, N, dtype=dtype, device=h.device)
    if op == "layer_norm":
        fn, params = (lambda: F.layer_norm(x, (N,), w, b)), (w, b)
    else:
        fn, params = (lambda: F.rms_norm(x, (N,), w)), (w,)
    ours = _time_pair(h, fn, x, params, dy)

    def make(torch, tx, td, dev):
        tw = torch.randn(N, dtype=td, device=dev, requires_grad=True)
        tb = torch.randn(N, dtype=td, device=dev, requires_grad=True)
        if op == "layer_norm":
            return (lambda: torch.nn.functional.layer_norm(tx, (N,), tw, tb)), (tw, tb)
        return (lambda: torch.nn.functional.rms_norm(tx, (N,), tw)), (tw,)
    theirs = _torch_pair(h, (M, N), dtype, make)
    _add(h, op, (M, N), dtype, M * N, ours, theirs)


def _batch_case(h: Harness, N: int, C: int, HW: int, dtype, channels_last: bool):
    shape = (N, C, HW, HW)
    if channels_last:   # an (N, H, W, C) buffer viewed as (N, C, H, W)
        x = tnn.randn(N, HW, HW, C, dtype=dtype, device=h.device).permute(0, 3, 1, 2)
        x.requires_grad_(True)
    else:
        x = tnn.randn(*shape, dtype=dtype, device=h.device, requires_grad=True)
    w = tnn.ones(C, dtype=dtype, device=h.device, requires_grad=True)
    b = tnn.zeros(C, dtype=dtype, device=h.device, requires_grad=True)
    rm, rv = tnn.zeros(C, device=h.device), tnn.ones(C, device=h.device)
    dy = tnn.randn(*shape, dtype=dtype, device=h.device)
    ours = _time_pair(h, lambda: F.batch_norm(x, rm, rv, w, b, training=True), x, (w, b), dy)

    def make(torch, tx, td, dev):
        tw = torch.ones(C, dtype=td, device=dev, requires_grad=True)
        tb = torch.zeros(C, dtype=td, device=dev, requires_grad=True)
        trm, trv = torch.zeros(C, device=dev), torch.ones(C, device=dev)
        return (lambda: torch.nn.functional.batch_norm(tx, trm, trv, tw, tb, training=True)), (tw, tb)
    theirs = _torch_pair(h, shape, dtype, make, channels_last)
    _add(h, "batch_norm channels-last" if channels_last else "batch_norm", shape, dtype, x.numel(), ours, theirs)


def run(h: Harness):
    rows, images, dtypes = (QUICK_ROWS, QUICK_IMAGES, (tnn.float32,)) if h.quick else (ROWS, IMAGES, DTYPES)
    for dtype in dtypes:
        for _, M, N in rows:
            for op in ("layer_norm", "rms_norm"):
                _rows_case(h, op, M, N, dtype)
        for _, N, C, HW in images:
            for cl in (False, True):
                _batch_case(h, N, C, HW, dtype, cl)
    limit = h.limits.get("GB/s")
    h.set_limits("norm", "GB/s", limit=limit, per_dtype=limit is None)
