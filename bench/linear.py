"""Linear throughput: F.linear (bias in the GEMM epilogue) and tnn's F.linear_act(..., 'gelu')
(bias + GELU in the epilogue) against torch's F.linear and F.gelu(F.linear(...)), forward and
forward+backward, on transformer-layer shapes (tokens x in -> out).

TFLOP/s with explicit FLOP counts (M tokens, K in, N out):
  forward            2*M*N*K
  forward+backward   6*M*N*K   (forward, dX = dY W, dW = dY^T X; db and the activation's
                                 backward are memory-bound passes, not counted)"""
import tnn
import tnn.nn.functional as F

from .harness import Harness, torch_dtype

# (case, M tokens, K in, N out): squares 512..8192, a 4096-wide model over 8192 tokens, GPT-2 small's MLP.
CASES = tuple(("square", n, n, n) for n in (512, 1024, 2048, 4096, 8192)) + (
    ("qkv", 8192, 4096, 3 * 4096), ("mlp-up", 8192, 4096, 4 * 4096), ("mlp-down", 8192, 4 * 4096, 4096),
    ("gpt2-mlp-up", 8192, 768, 3072))
QUICK = (("mlp-up", 24, 16, 48),)
DTYPES = (tnn.bfloat16, tnn.float16, tnn.float32)


def _case(h: Harness, name, M, K, N, dtype, act):
    dev = h.device
    x = tnn.randn(M, K, dtype=dtype, device=dev, requires_grad=True)        # (M, K)
    w = (tnn.randn(N, K, dtype=dtype, device=dev) * (K ** -0.5)).detach().requires_grad_()   # (N, K)
    b = tnn.zeros(N, dtype=dtype, device=dev, requires_grad=True)           # (N,)
    dy = tnn.randn(M, N, dtype=dtype, device=dev)                           # (M, N)
    fn = (lambda: F.linear_act(x, w, b, act)) if act else (lambda: F.linear(x, w, b))

    def step():
        x.grad = w.grad = b.grad = None
        fn().backward(dy)

    with tnn.no_grad():
        ours_f = h.time(fn)
    ours_b = h.time(step)
    theirs_f = theirs_b = None
    torch = h.torch
    if torch is not None:
        td = torch_dtype(torch, dtype)
        tx = torch.randn(M, K, dtype=td, device=str(dev), requires_grad=True)
        tw = (torch.randn(N, K, dtype=td, device=str(dev)) * K ** -0.5).requires_grad_()
        tb = torch.zeros(N, dtype=td, device=str(dev), requires_grad=True)
        tdy = torch.randn(M, N, dtype=td, device=str(dev))
        tF = torch.nn.functional
        tfn = (lambda: tF.gelu(tF.linear(tx, tw, tb))) if act else (lambda: tF.linear(tx, tw, tb))

        def tstep():
            tx.grad = tw.grad = tb.grad = None
            tfn().backward(tdy)
        with torch.no_grad():
            theirs_f = h.time(tfn)
        theirs_b = h.time(tstep)
    label = f"{name}{' +gelu' if act else ''}"
    for mode, ours, theirs, flops in (("forward", ours_f, theirs_f, 2 * M * N * K),
                                      ("forward+backward", ours_b, theirs_b, 6 * M * N * K)):
        h.add("linear", f"{label} {mode}", f"{M}x{K}->{N}", dtype, ours, flops / ours.ms / 1e9, "TFLOP/s", theirs,
              flops / theirs.ms / 1e9 if theirs else None)


def run(h: Harness):
    cases, dtypes = (QUICK, (tnn.float32,)) if h.quick else (CASES, DTYPES)
    for dtype in dtypes:
        for name, M, K, N in cases:
            for act in (None, "gelu"):
                _case(h, name, M, K, N, dtype, act)
    h.set_limits("linear", "TFLOP/s", per_dtype=True)
