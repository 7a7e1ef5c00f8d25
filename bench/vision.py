"""Reflect padding, bilinear / bicubic 2x upsampling (the resampling ops of U-Nets and GANs) and
antialiased bilinear 0.5x downsampling (image pipelines) at a few image sizes, forward and
forward+backward, against torch.nn.functional.

GB/s of the bytes the kernels must move at least (s = element size; X input, Y output elements):
  forward          (X + Y) * s   (read x, write y)
  forward+backward 2 * (X + Y) * s   (forward, then read dy, write dx; the per-dim backward
                                      passes' intermediates are not counted)"""
import tnn
import tnn.nn.functional as F

from .harness import Harness, torch_dtype

# (N, C, H, W)
SHAPES = ((8, 64, 64, 64), (16, 128, 128, 128), (4, 32, 512, 512))
QUICK = ((1, 2, 5, 7),)
DTYPES = (tnn.bfloat16, tnn.float32)
OPS = {
    "pad reflect 2": (lambda f, x: f.pad(x, (2, 2, 2, 2), mode="reflect"), lambda N, C, H, W: N * C * (H + 4) * (W + 4)),
    "bilinear 2x": (lambda f, x: f.interpolate(x, scale_factor=2, mode="bilinear"), lambda N, C, H, W: N * C * H * W * 4),
    "bicubic 2x": (lambda f, x: f.interpolate(x, scale_factor=2, mode="bicubic"), lambda N, C, H, W: N * C * H * W * 4),
    "bilinear aa 0.5x": (lambda f, x: f.interpolate(x, scale_factor=0.5, mode="bilinear", antialias=True),
                         lambda N, C, H, W: N * C * (H // 2) * (W // 2)),
}


def _case(h: Harness, shape, dtype, name: str):
    op, out_numel = OPS[name]
    x = tnn.randn(*shape, dtype=dtype, device=h.device, requires_grad=True)
    with tnn.no_grad():
        y = op(F, x)
    dy = tnn.randn(*y.shape, dtype=dtype, device=h.device)
    s = dtype.itemsize
    nbytes = (x.numel() + out_numel(*shape)) * s

    def step():
        x.grad = None
        op(F, x).backward(dy)

    with tnn.no_grad():
        ours_f = h.time(lambda: op(F, x))
    ours_b = h.time(step)
    theirs_f = theirs_b = None
    torch = h.torch
    if torch is not None:
        tx = torch.randn(*shape, dtype=torch_dtype(torch, dtype), device=str(h.device), requires_grad=True)
        tdy = torch.randn(*y.shape, dtype=torch_dtype(torch, dtype), device=str(h.device))

        def tstep():
            tx.grad = None
            op(torch.nn.functional, tx).backward(tdy)
        with torch.no_grad():
            theirs_f = h.time(lambda: op(torch.nn.functional, tx))
        theirs_b = h.time(tstep)
    for mode, ours, theirs, b in (("forward", ours_f, theirs_f, nbytes), ("forward+backward", ours_b, theirs_b,
                                                                          2 * nbytes)):
        h.add("vision", f"{name} {mode}", "x".join(map(str, shape)), dtype, ours, b / ours.ms / 1e6, "GB/s", theirs,
              b / theirs.ms / 1e6 if theirs else None)


def run(h: Harness):
    shapes, dtypes = (QUICK, (tnn.float32,)) if h.quick else (SHAPES, DTYPES)
    for dtype in dtypes:
        for shape in shapes:
            for name in OPS:
                _case(h, shape, dtype, name)
    limit = h.limits.get("GB/s")
    h.set_limits("vision", "GB/s", limit=limit, per_dtype=limit is None)
