"""Matmul throughput: TFLOP/s (2*M*N*K / time) for squares 512..8192 and transformer-layer
shapes, fp16 / bf16 / fp32 (IEEE, as torch's default allow_tf32=False), against torch.matmul.
"of limit" is the fraction of the best figure measured for that dtype, by torch or by us."""
import tnn

from .harness import Harness, torch_dtype

SQUARES = (512, 1024, 2048, 4096, 8192)
# (name, M = tokens, N, K) for a 4096-wide model over 8192 tokens, and a GPT-2-sized LM head.
TRANSFORMER = (("qkv", 8192, 3 * 4096, 4096), ("attn-out", 8192, 4096, 4096), ("mlp-up", 8192, 4 * 4096, 4096),
               ("mlp-down", 8192, 4096, 4 * 4096), ("lm-head", 8192, 50304, 768))
DTYPES = (tnn.float16, tnn.bfloat16, tnn.float32)
QUICK_SHAPES = (("square", 32, 32, 32), ("square", 64, 64, 64), ("mlp-up", 48, 96, 32))


def cases(quick: bool):
    if quick:
        return QUICK_SHAPES
    return tuple(("square", n, n, n) for n in SQUARES) + TRANSFORMER


def run(h: Harness):
    dtypes = (tnn.float32,) if h.quick else DTYPES
    for dtype in dtypes:
        for name, M, N, K in cases(h.quick):
            a = tnn.randn(M, K, dtype=dtype, device=h.device)   # (M, K)
            b = tnn.randn(K, N, dtype=dtype, device=h.device)   # (K, N)
            flops = 2 * M * N * K
            ours = h.time(lambda: a @ b)
            theirs = theirs_tflops = None
            if h.torch is not None:
                torch = h.torch
                ta = torch.randn(M, K, dtype=torch_dtype(torch, dtype), device=str(h.device))
                tb = torch.randn(K, N, dtype=torch_dtype(torch, dtype), device=str(h.device))
                theirs = h.time(lambda: ta @ tb)
                theirs_tflops = flops / theirs.ms / 1e9
            h.add("matmul", name, f"{M}x{N}x{K}", dtype, ours, flops / ours.ms / 1e9, "TFLOP/s", theirs,
                  theirs_tflops)
    h.set_limits("matmul", "TFLOP/s", per_dtype=True)
