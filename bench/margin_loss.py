"""The margin losses with their own kernels -- soft_margin_loss (pointwise), multi_margin_loss and
multilabel_margin_loss (row kernels) -- against torch.nn.functional.

Throughput in GB/s of the bytes the kernels must move at least (s = element size):
  soft_margin       forward 2*n*s (read x, y); forward+backward 5*n*s (forward, then read x, y, write dx)
  multi_margin      forward N*C*s (read x once; the targets are N*8, left out); forward+backward
                    3*N*C*s (forward, then read x, write dx)
  multilabel_margin forward N*C*(s+9) (read x and the int64 targets, write the uint8 is_target);
                    forward+backward adds N*C*(2s+9) (read x, targets, is_target, write dx). Its work
                    is O(C^2) per row (as torch's kernel), so for large C the figure measures compute.
reduction='mean' throughout."""
from __future__ import annotations

import numpy as np

import tnn
import tnn.nn.functional as F

from .harness import Harness, torch_dtype

DTYPES = (tnn.bfloat16, tnn.float32)
SOFT_NUMEL = 1 << 24
MULTI_CASES = ((4096, 100), (4096, 1000), (1024, 32000))
MULTILABEL_CASES = ((4096, 32), (1024, 256))


def _time(h: Harness, family_name, shape, dtype, fn, tfn, nbytes_fwd, nbytes_step, x, tx):
    def step():
        x.grad = None
        fn().backward()
    ours_f, ours_b = h.time(fn), h.time(step)
    theirs_f = theirs_b = None
    if tfn is not None:
        def tstep():
            tx.grad = None
            tfn().backward()
        theirs_f, theirs_b = h.time(tfn), h.time(tstep)
    for mode, ours, theirs, nbytes in (("forward", ours_f, theirs_f, nbytes_fwd),
                                       ("forward+backward", ours_b, theirs_b, nbytes_step)):
        h.add("margin_loss", f"{family_name} {mode}", shape, dtype, ours, nbytes / ours.ms / 1e6, "GB/s", theirs,
              nbytes / theirs.ms / 1e6 if theirs else None)


def _soft_margin(h: Harness, n: int, dtype):
    torch = h.torch
    x = tnn.randn(n, dtype=dtype, device=h.device, requires_grad=True)            # (n,)
    y = (tnn.rand(n, device=h.device) > 0.5).to(dtype) * 2 - 1                     # (n,) +-1
    tx = tfn = None
    if torch is not None:
        tx = torch.randn(n, dtype=torch_dtype(torch, dtype), device=str(h.device), requires_grad=True)
        ty = (torch.rand(n, device=str(h.device)) > 0.5).to(tx.dtype) * 2 - 1

        def tfn():
            return torch.nn.functional.soft_margin_loss(tx, ty)
    s = dtype.itemsize
    _time(h, "soft_margin", str(n), dtype, lambda: F.soft_margin_loss(x, y), tfn, 2 * n * s, 5 * n * s, x, tx)


def _multi_margin(h: Harness, N: int, C: int, dtype):
    torch = h.torch
    x = tnn.randn(N, C, dtype=dtype, device=h.device, requires_grad=True)         # (N, C)
    t = tnn.randint(0, C, (N,), device=h.device)                                   # (N,)
    tx = tfn = None
    if torch is not None:
        tx = torch.randn(N, C, dtype=torch_dtype(torch, dtype), device=str(h.device), requires_grad=True)
        tt = torch.randint(0, C, (N,), device=str(h.device))

        def tfn():
            return torch.nn.functional.multi_margin_loss(tx, tt)
    s = dtype.itemsize
    _time(h, "multi_margin", f"{N}x{C}", dtype, lambda: F.multi_margin_loss(x, t), tfn, N * C * s, 3 * N * C * s,
          x, tx)


def _multilabel_targets(N: int, C: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.full((N, C), -1, np.int64)
    k = max(1, C // 8)                                                   # ~C/8 labels per row
    for n in range(N):
        t[n, :k] = rng.choice(C, size=k, replace=False)
    return t


def _multilabel_margin(h: Harness, N: int, C: int, dtype):
    torch = h.torch
    x = tnn.randn(N, C, dtype=dtype, device=h.device, requires_grad=True)         # (N, C)
    t_np = _multilabel_targets(N, C)
    t = tnn.tensor(t_np, device=h.device)                                          # (N, C) -1 padded
    tx = tfn = None
    if torch is not None:
        tx = torch.randn(N, C, dtype=torch_dtype(torch, dtype), device=str(h.device), requires_grad=True)
        tt = torch.from_numpy(t_np).to(str(h.device))

        def tfn():
            return torch.nn.functional.multilabel_margin_loss(tx, tt)
    s = dtype.itemsize
    fwd = N * C * (s + 9)
    _time(h, "multilabel_margin", f"{N}x{C}", dtype, lambda: F.multilabel_margin_loss(x, t), tfn, fwd,
          fwd + N * C * (2 * s + 9), x, tx)


def run(h: Harness):
    if h.quick:
        dtypes, n_soft, multi, multilabel = (tnn.float32,), 4096, ((8, 97),), ((8, 13),)
    else:
        dtypes, n_soft, multi, multilabel = DTYPES, SOFT_NUMEL, MULTI_CASES, MULTILABEL_CASES
    for dtype in dtypes:
        _soft_margin(h, n_soft, dtype)
        for N, C in multi:
            _multi_margin(h, N, C, dtype)
        for N, C in multilabel:
            _multilabel_margin(h, N, C, dtype)
    limit = h.limits.get("GB/s")
    h.set_limits("margin_loss", "GB/s", limit=limit, per_dtype=limit is None)
