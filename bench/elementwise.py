"""Elementwise throughput: a unary op (exp), a binary op (add), a broadcast binary op (add of a row
vector) and a mixed-dtype op (fp16 + fp32 -> fp32), against torch, forward and forward+backward.

GB/s of the bytes the kernel must move at least (n output elements, s = element size):
  unary / broadcast   2*n*s   (read x, write y; the broadcast operand is negligible)
  binary              3*n*s   (read x and y, write z)
  forward+backward    adds the gradient traffic: read dz, write dx (and dy for binary)."""
import tnn

from .harness import Harness, torch_dtype

SIZES = ((8192, 8192), (4096, 4 * 4096))
QUICK = ((33, 65),)
DTYPES = (tnn.float32, tnn.bfloat16)

# name -> (our op, torch op, operands, bytes multiple forward, bytes multiple forward+backward)
OPS = {
    "exp": (lambda x, y: x.exp(), lambda x, y: x.exp(), 1, 2, 5),
    "add": (lambda x, y: x + y, lambda x, y: x + y, 2, 3, 7),
    "add-row-broadcast": (lambda x, y: x + y[0], lambda x, y: x + y[0], 2, 2, 4),
}


def _case(h: Harness, name: str, shape, dtype):
    ours_op, torch_op, n_in, fwd_mult, step_mult = OPS[name]
    x = tnn.randn(*shape, dtype=dtype, device=h.device, requires_grad=True)   # (M, N)
    y = tnn.randn(*shape, dtype=dtype, device=h.device, requires_grad=n_in == 2)
    dz = tnn.randn(*shape, dtype=dtype, device=h.device)
    n, s = x.numel(), dtype.itemsize

    def step():
        x.grad = y.grad = None
        ours_op(x, y).backward(dz)
    with tnn.no_grad():
        ours_f = h.time(lambda: ours_op(x, y))
    ours_b = h.time(step)
    theirs_f = theirs_b = None
    torch = h.torch
    if torch is not None:
        td = torch_dtype(torch, dtype)
        tx = torch.randn(*shape, dtype=td, device=str(h.device), requires_grad=True)
        ty = torch.randn(*shape, dtype=td, device=str(h.device), requires_grad=n_in == 2)
        tdz = torch.randn(*shape, dtype=td, device=str(h.device))

        def tstep():
            tx.grad = ty.grad = None
            torch_op(tx, ty).backward(tdz)
        with torch.no_grad():
            theirs_f = h.time(lambda: torch_op(tx, ty))
        theirs_b = h.time(tstep)
    for mode, ours, theirs, nbytes in (("forward", ours_f, theirs_f, fwd_mult * n * s),
                                       ("forward+backward", ours_b, theirs_b, step_mult * n * s)):
        h.add("elementwise", f"{name} {mode}", "x".join(map(str, shape)), dtype, ours, nbytes / ours.ms / 1e6,
              "GB/s", theirs, nbytes / theirs.ms / 1e6 if theirs else None)


def _mixed(h: Harness, shape):
    """fp16 + fp32 -> fp32: promotion inside the kernel, no cast pass."""
    a = tnn.randn(*shape, dtype=tnn.float16, device=h.device)
    b = tnn.randn(*shape, dtype=tnn.float32, device=h.device)
    nbytes = a.numel() * (2 + 4 + 4)
    ours = h.time(lambda: a + b)
    theirs = None
    if h.torch is not None:
        ta = h.torch.randn(*shape, dtype=h.torch.float16, device=str(h.device))
        tb = h.torch.randn(*shape, dtype=h.torch.float32, device=str(h.device))
        theirs = h.time(lambda: ta + tb)
    h.add("elementwise", "fp16+fp32 forward", "x".join(map(str, shape)), tnn.float32, ours,
          nbytes / ours.ms / 1e6, "GB/s", theirs, nbytes / theirs.ms / 1e6 if theirs else None)


def run(h: Harness):
    sizes, dtypes = (QUICK, (tnn.float32,)) if h.quick else (SIZES, DTYPES)
    for dtype in dtypes:
        for shape in sizes:
            for name in OPS:
                _case(h, name, shape, dtype)
    _mixed(h, sizes[0])
    limit = h.limits.get("GB/s")
    h.set_limits("elementwise", "GB/s", limit=limit, per_dtype=limit is None)
