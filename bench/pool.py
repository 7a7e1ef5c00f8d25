"""Pooling throughput at ResNet sizes against torch.nn.functional: the stem's max_pool2d 3x3/2
(pad 1) on 112x112 maps, contiguous and channels-last, the same window averaged, a ResNet-D 2x2/2
average, an adaptive average to 7x7 and the head's global average (a mean, as in torch).

GB/s of the bytes the kernels must move at least (s = element size, n_in / n_out elements):
  forward          (n_in + n_out)*s                       (read x, write y)
  forward+backward max: 2*(n_in*s + n_out*(s + 8))        (x, y and int64 indices; dy, indices, dx)
                   avg: 2*(n_in + n_out)*s                (x, y; dy, dx)
The forward is timed under no_grad, where max pooling writes no indices.
max_unpool3d (a 2x2x2/2 pool's values and indices back to the input size, V-Net / SegNet-3D
style): forward zero-fills and scatters, (n_out + n_in)*s + 8*n_in bytes; its backward gathers,
(n_in*s + 8*n_in + n_in*s) more."""
import tnn
import tnn.nn.functional as F

from .harness import Harness, torch_dtype

# (case, op, (N, C, H, W), args)
CASES = (
    ("stem 3x3/2", "max_pool2d", (32, 64, 112, 112), (3, 2, 1)),
    ("stem 3x3/2 channels-last", "max_pool2d", (32, 64, 112, 112), (3, 2, 1)),
    ("stem 3x3/2", "avg_pool2d", (32, 64, 112, 112), (3, 2, 1)),
    ("resnet-d 2x2/2", "avg_pool2d", (32, 256, 56, 56), (2, 2)),
    ("to 7x7", "adaptive_avg_pool2d", (32, 512, 14, 14), ((7, 7),)),
    ("global head", "adaptive_avg_pool2d", (32, 2048, 7, 7), ((1, 1),)),
)
QUICK = (("stem 3x3/2", "max_pool2d", (2, 3, 12, 12), (3, 2, 1)),
         ("stem 3x3/2 channels-last", "max_pool2d", (2, 3, 12, 12), (3, 2, 1)),
         ("stem 3x3/2", "avg_pool2d", (2, 3, 12, 12), (3, 2, 1)),
         ("to 7x7", "adaptive_avg_pool2d", (2, 3, 10, 10), ((7, 7),)),
         ("lenet 2x2", "max_pool2d", (64, 16, 8, 8), (2,)))
DTYPES = (tnn.bfloat16, tnn.float32)


def _case(h: Harness, name: str, op: str, shape, args, dtype):
    N, C, H, W = shape
    cl = "channels-last" in name
    if cl:   # an (N, H, W, C) buffer viewed as (N, C, H, W)
        x = tnn.randn(N, H, W, C, dtype=dtype, device=h.device).permute(0, 3, 1, 2).requires_grad_(True)
    else:
        x = tnn.randn(*shape, dtype=dtype, device=h.device, requires_grad=True)
    fn = getattr(F, op)
    with tnn.no_grad():
        y = fn(x, *args)
    dy = tnn.randn(*y.shape, dtype=dtype, device=h.device)

    def step():
        x.grad = None
        fn(x, *args).backward(dy)
    with tnn.no_grad():
        ours_f = h.time(lambda: fn(x, *args))
    ours_b = h.time(step)
    theirs_f = theirs_b = None
    torch = h.torch
    if torch is not None:
        td = torch_dtype(torch, dtype)
        tx = torch.randn(*shape, dtype=td, device=str(h.device))
        if cl:
            tx = tx.to(memory_format=torch.channels_last)
        tx.requires_grad_(True)
        tdy = torch.randn(*y.shape, dtype=td, device=str(h.device))
        tfn = getattr(torch.nn.functional, op)

        def tstep():
            tx.grad = None
            tfn(tx, *args).backward(tdy)
        with torch.no_grad():
            theirs_f = h.time(lambda: tfn(tx, *args))
        theirs_b = h.time(tstep)
    s, n_in, n_out = dtype.itemsize, x.numel(), y.numel()
    full = 2 * (n_in * s + n_out * (s + 8)) if op == "max_pool2d" else 2 * (n_in + n_out) * s
    for mode, ours, theirs, nbytes in (("forward", ours_f, theirs_f, (n_in + n_out) * s),
                                       ("forward+backward", ours_b, theirs_b, full)):
        h.add("pool", f"{op} {name} {mode}", "x".join(map(str, shape)), dtype, ours, nbytes / ours.ms / 1e6,
              "GB/s", theirs, nbytes / theirs.ms / 1e6 if theirs else None)


def _unpool_case(h: Harness, shape, dtype):
    """max_unpool3d of max_pool3d(x, 2)'s (values, indices) back to x's size."""
    x = tnn.randn(*shape, dtype=dtype, device=h.device)
    with tnn.no_grad():
        y, idx = F.max_pool3d(x, 2, return_indices=True)
    v = y.detach().requires_grad_(True)
    du = tnn.randn(*shape, dtype=dtype, device=h.device)

    def step():
        v.grad = None
        F.max_unpool3d(v, idx, 2, output_size=shape[2:]).backward(du)
    with tnn.no_grad():
        ours_f = h.time(lambda: F.max_unpool3d(v, idx, 2, output_size=shape[2:]))
    ours_b = h.time(step)
    theirs_f = theirs_b = None
    torch = h.torch
    if torch is not None:
        td = torch_dtype(torch, dtype)
        tx = torch.randn(*shape, dtype=td, device=str(h.device))
        ty, ti = torch.nn.functional.max_pool3d(tx, 2, return_indices=True)
        tv = ty.detach().requires_grad_(True)
        tdu = torch.randn(*shape, dtype=td, device=str(h.device))

        def tstep():
            tv.grad = None
            torch.nn.functional.max_unpool3d(tv, ti, 2, output_size=shape[2:]).backward(tdu)
        with torch.no_grad():
            theirs_f = h.time(lambda: torch.nn.functional.max_unpool3d(tv, ti, 2, output_size=shape[2:]))
        theirs_b = h.time(tstep)
    s, n_in, n_out = dtype.itemsize, y.numel(), x.numel()
    fwd = (n_out + n_in) * s + 8 * n_in
    for mode, ours, theirs, nbytes in (("forward", ours_f, theirs_f, fwd),
                                       ("forward+backward", ours_b, theirs_b, fwd + 2 * n_in * s + 8 * n_in)):
        h.add("pool", f"max_unpool3d 2x2x2/2 {mode}", "x".join(map(str, shape)), dtype, ours,
              nbytes / ours.ms / 1e6, "GB/s", theirs, nbytes / theirs.ms / 1e6 if theirs else None)


def run(h: Harness):
    cases, dtypes = (QUICK, (tnn.float32,)) if h.quick else (CASES, DTYPES)
    for dtype in dtypes:
        for name, op, shape, args in cases:
            _case(h, name, op, shape, args, dtype)
        _unpool_case(h, (2, 3, 4, 6, 6) if h.quick else (4, 32, 32, 64, 64), dtype)
    limit = h.limits.get("GB/s")   # the copy bandwidth, when the copy family ran first
    h.set_limits("pool", "GB/s", limit=limit, per_dtype=limit is None)
