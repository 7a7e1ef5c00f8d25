"""Convolution throughput for ResNet-50 layer shapes at batch 32 (the 7x7/2 stem, 3x3 convs at
64/128/256/512 channels, 1x1 bottleneck convs) and a depthwise 3x3, forward and forward+backward,
against torch.nn.functional.conv2d (cuDNN; its tf32 switched off for fp32, as tnn's IEEE default).

TFLOP/s of the implicit GEMMs (N*OH*OW output positions, C_out channels, C_in/groups*kH*kW taps):
  forward          2 * N*OH*OW * C_out * C_in/groups * kH*kW
  forward+backward 3x that (dX and dW are GEMMs of the same size)
"of limit" is the fraction of the best matmul TFLOP/s measured for that dtype (bench/matmul.py,
when it ran in the same session), else of the best figure in this family."""
import tnn
import tnn.nn.functional as F

from .harness import Harness, torch_dtype

# (name, N, C_in, H, C_out, k, stride, padding, groups)
CASES = (
    ("stem 7x7/2", 32, 3, 224, 64, 7, 2, 3, 1),
    ("3x3 64", 32, 64, 56, 64, 3, 1, 1, 1),
    ("3x3 128", 32, 128, 28, 128, 3, 1, 1, 1),
    ("3x3 256", 32, 256, 14, 256, 3, 1, 1, 1),
    ("3x3 512", 32, 512, 7, 512, 3, 1, 1, 1),
    ("3x3/2 128", 32, 128, 56, 128, 3, 2, 1, 1),
    ("1x1 256->64", 32, 256, 56, 64, 1, 1, 0, 1),
    ("1x1 64->256", 32, 64, 56, 256, 1, 1, 0, 1),
    ("1x1 1024->256", 32, 1024, 14, 256, 1, 1, 0, 1),
    ("1x1 512->2048", 32, 512, 7, 2048, 1, 1, 0, 1),
    ("depthwise 3x3 256", 32, 256, 28, 256, 3, 1, 1, 256),
)
QUICK = (("3x3 8", 2, 8, 8, 8, 3, 1, 1, 1), ("stem 7x7/2", 1, 3, 16, 4, 7, 2, 3, 1),
         ("depthwise 3x3", 2, 4, 8, 4, 3, 1, 1, 4))
DTYPES = (tnn.bfloat16, tnn.float16, tnn.float32)


def _case(h: Harness, name, N, C, H, Co, k, s, p, g, dtype):
    x = tnn.randn(N, C, H, H, dtype=dtype, device=h.device, requires_grad=True)        # (N, C, H, W)
    w = (tnn.randn(Co, C // g, k, k, dtype=dtype, device=h.device) * 0.05).requires_grad_()
    b = tnn.zeros(Co, dtype=dtype, device=h.device, requires_grad=True)
    OH = (H + 2 * p - k) // s + 1
    dy = tnn.randn(N, Co, OH, OH, dtype=dtype, device=h.device)
    flops = 2 * N * OH * OH * Co * (C // g) * k * k

    def step():
        x.grad = w.grad = b.grad = None
        F.conv2d(x, w, b, s, p, 1, g).backward(dy)

    with tnn.no_grad():
        ours_f = h.time(lambda: F.conv2d(x, w, b, s, p, 1, g))
    ours_b = h.time(step)
    theirs_f = theirs_b = None
    torch = h.torch
    if torch is not None:
        torch.backends.cudnn.allow_tf32 = False
        td = torch_dtype(torch, dtype)
        tx = torch.randn(N, C, H, H, dtype=td, device=str(h.device), requires_grad=True)
        tw = (torch.randn(Co, C // g, k, k, dtype=td, device=str(h.device)) * 0.05).requires_grad_()
        tb = torch.zeros(Co, dtype=td, device=str(h.device), requires_grad=True)
        tdy = torch.randn(N, Co, OH, OH, dtype=td, device=str(h.device))
        tconv = torch.nn.functional.conv2d

        def tstep():
            tx.grad = tw.grad = tb.grad = None
            tconv(tx, tw, tb, s, p, 1, g).backward(tdy)
        with torch.no_grad():
            theirs_f = h.time(lambda: tconv(tx, tw, tb, s, p, 1, g))
        theirs_b = h.time(tstep)
    shape = f"N{N} {C}->{Co} {H}x{H} k{k}/{s}" + (f" g{g}" if g > 1 else "")
    for mode, ours, theirs, f in (("forward", ours_f, theirs_f, flops), ("forward+backward", ours_b, theirs_b, 3 * flops)):
        h.add("conv", f"{name} {mode}", shape, dtype, ours, f / ours.ms / 1e9, "TFLOP/s", theirs,
              f / theirs.ms / 1e9 if theirs else None)


def _matmul_peaks(h: Harness) -> dict:
    """Best matmul TFLOP/s per dtype measured in this session (ours or torch's)."""
    peaks = {}
    for r in h.rows:
        if r.family == "matmul" and r.unit == "TFLOP/s":
            peaks[r.dtype] = max(peaks.get(r.dtype, 0.0), r.value, r.torch_value or 0.0)
    return peaks


def run(h: Harness):
    cases, dtypes = (QUICK, (tnn.float32,)) if h.quick else (CASES, DTYPES)
    for dtype in dtypes:
        for case in cases:
            _case(h, *case, dtype)
    peaks = _matmul_peaks(h)
    if peaks:
        for r in h.rows:
            if r.family == "conv" and r.dtype in peaks:
                r.of_limit = r.value / peaks[r.dtype]
    else:
        h.set_limits("conv", "TFLOP/s", per_dtype=True)
