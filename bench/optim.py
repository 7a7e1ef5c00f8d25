"""Optimizer step throughput: one SGD (momentum) / Adam / AdamW step over all the parameters of
a ResNet-50 (161 tensors, 25.6M elements) and over 2000 small tensors (launch-bound regime),
against torch.optim with fused=True (foreach where fused is unavailable).

tnn's step is ONE multi-tensor kernel launch per parameter group (tnn/kernels/optim.py) plus the
host work of bucketing parameters and looking up the cached address tables.

GB/s of the state traffic a step must move at least (s = element size, n = elements):
  SGD momentum   5*n*s   (read p, g, buf; write p, buf)
  Adam / AdamW   7*n*s   (read p, g, m, v; write p, m, v)"""
import tnn

from .harness import Harness, torch_dtype

DTYPES = (tnn.float32, tnn.bfloat16)
OPTIMIZERS = (("SGD", {"lr": 0.1, "momentum": 0.9}, 5), ("Adam", {"lr": 1e-3}, 7),
              ("AdamW", {"lr": 1e-3, "weight_decay": 0.01}, 7))


def resnet50_shapes():
    """Parameter shapes of torchvision's resnet50 (conv weights, BN weight/bias, fc)."""
    shapes = [(64, 3, 7, 7), (64,), (64,)]
    cin = 64
    for width, blocks in ((64, 3), (128, 4), (256, 6), (512, 3)):
        for b in range(blocks):
            shapes += [(width, cin, 1, 1), (width,), (width,), (width, width, 3, 3), (width,), (width,),
                       (4 * width, width, 1, 1), (4 * width,), (4 * width,)]
            if b == 0:
                shapes += [(4 * width, cin, 1, 1), (4 * width,), (4 * width,)]
            cin = 4 * width
    return shapes + [(1000, 2048), (1000,)]


CASES = (("resnet50", resnet50_shapes()), ("2000 small", [(1000,)] * 2000))
QUICK = (("tiny", [(7, 3), (5,), (64,)]),)


def _case(h: Harness, name, shapes, dtype, opt_name, opts, rw):
    params = [tnn.randn(*s, dtype=dtype, device=h.device, requires_grad=True) for s in shapes]
    for p in params:
        p.grad = tnn.randn(*p.shape, dtype=dtype, device=h.device)
    opt = getattr(tnn.optim, opt_name)(params, **opts)
    opt.step()                    # creates the state (the first step reads no state)
    n = sum(p.numel() for p in params)
    ours = h.time(opt.step)
    theirs = None
    torch = h.torch
    label = ""
    if torch is not None:
        tps = [torch.randn(*s, dtype=torch_dtype(torch, dtype), device=str(h.device), requires_grad=True)
               for s in shapes]
        for p in tps:
            p.grad = torch.randn_like(p)
        topt = None
        for kind in ("fused", "foreach"):
            try:
                topt = getattr(torch.optim, opt_name)(tps, **opts, **{kind: True})
                topt.step()
                label = f" (torch {kind})"
                break
            except (RuntimeError, TypeError, ValueError):
                topt = None
        if topt is not None:
            theirs = h.time(topt.step)
    nbytes = rw * n * dtype.itemsize
    h.add("optim", f"{opt_name} step {name}{label}", f"{len(shapes)} tensors, {n} elems", dtype, ours,
          nbytes / ours.ms / 1e6, "GB/s", theirs, nbytes / theirs.ms / 1e6 if theirs else None)


def run(h: Harness):
    cases, dtypes = (QUICK, (tnn.float32,)) if h.quick else (CASES, DTYPES)
    for dtype in dtypes:
        for name, shapes in cases:
            for opt_name, opts, rw in OPTIMIZERS:
                _case(h, name, shapes, dtype, opt_name, opts, rw)
    limit = h.limits.get("GB/s")
    h.set_limits("optim", "GB/s", limit=limit, per_dtype=limit is None)
