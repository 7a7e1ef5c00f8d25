"""Your own Triton kernel as a differentiable tnn op, checked against NumPy.

Writes a fused "scaled softplus" y = softplus(x) * s (s a per-column scale) forward and backward
kernel, wraps both in a tnn.autograd.Function so it joins the autograd graph like a built-in op,
and tests values and gradients with tnn.testing against a NumPy reference.

Runs anywhere: on a GPU the kernels are compiled; without one Triton's interpreter runs them.
Usage: python examples/custom_kernel.py
"""
import numpy as np
import triton.language as tl

import tnn
from tnn.kernels.launch import cdiv, elementwise_config, jit, launch
from tnn.testing import assert_close


@jit
def _load_x_s(x_ptr, s_ptr, i, mask, N):
    """x[i] and s[i % N] in fp32, and softplus(x) in its stable form (a helper: kernels call it on
    both backends)."""
    x = tl.load(x_ptr + i, mask=mask).to(tl.float32)
    s = tl.load(s_ptr + i % N, mask=mask).to(tl.float32)
    return x, s, tl.maximum(x, 0.0) + tl.log(1.0 + tl.exp(-tl.abs(x)))


@jit
def _scaled_softplus_fwd_kernel(
    x_ptr,        # (M, N) contiguous
    s_ptr,        # (N,)
    y_ptr,        # (M, N) contiguous
    numel, N,
    BLOCK: tl.constexpr,
):
    """y = log(1 + exp(x)) * s[col]. Grid: (cdiv(numel, BLOCK),); one program, BLOCK elements."""
    i = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = i < numel
    x, s, sp = _load_x_s(x_ptr, s_ptr, i, mask, N)
    tl.store(y_ptr + i, (sp * s).to(y_ptr.dtype.element_ty), mask=mask)


@jit
def _scaled_softplus_bwd_kernel(
    x_ptr, s_ptr, dy_ptr,   # (M, N), (N,), (M, N) contiguous
    dx_ptr, dsp_ptr,        # (M, N) outputs: dx, and dy * softplus(x) (summed over rows for ds)
    numel, N,
    BLOCK: tl.constexpr,
):
    """dx = dy * s * sigmoid(x); dsp = dy * softplus(x). Grid: (cdiv(numel, BLOCK),)."""
    i = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = i < numel
    x, s, sp = _load_x_s(x_ptr, s_ptr, i, mask, N)
    dy = tl.load(dy_ptr + i, mask=mask).to(tl.float32)
    sig = 1.0 / (1.0 + tl.exp(-x))
    tl.store(dx_ptr + i, (dy * s * sig).to(dx_ptr.dtype.element_ty), mask=mask)
    tl.store(dsp_ptr + i, (dy * sp).to(dsp_ptr.dtype.element_ty), mask=mask)


class ScaledSoftplus(tnn.autograd.Function):
    @staticmethod
    def forward(ctx, x, s):
        x = x.contiguous()
        y = tnn.empty_like(x)
        block, warps = elementwise_config(x.numel(), x.device)
        launch(_scaled_softplus_fwd_kernel, (cdiv(x.numel(), block),), x, s, y, x.numel(), x.shape[-1],
               BLOCK=block, num_warps=warps)
        ctx.save_for_backward(x, s)
        return y

    @staticmethod
    def backward(ctx, dy):
        x, s = ctx.saved_tensors
        dy = dy.contiguous()
        dx, dsp = tnn.empty_like(x), tnn.empty_like(x)
        block, warps = elementwise_config(x.numel(), x.device)
        launch(_scaled_softplus_bwd_kernel, (cdiv(x.numel(), block),), x, s, dy, dx, dsp, x.numel(),
               x.shape[-1], BLOCK=block, num_warps=warps)
        ds = dsp.reshape(-1, x.shape[-1]).sum(dim=0)
        return dx, ds


def reference(x, s, dy):
    """NumPy forward and backward in float64."""
    sp = np.logaddexp(0.0, x)
    sig = 1.0 / (1.0 + np.exp(-x))
    return sp * s, dy * s * sig, (dy * sp).reshape(-1, x.shape[-1]).sum(axis=0)


def main():
    rng = np.random.default_rng(0)
    x_np = rng.normal(size=(5, 7)) * 3
    s_np = rng.uniform(0.5, 2.0, size=7)
    dy_np = rng.normal(size=(5, 7))
    x = tnn.tensor(x_np, dtype=tnn.float32, requires_grad=True)
    s = tnn.tensor(s_np, dtype=tnn.float32, requires_grad=True)

    y = ScaledSoftplus.apply(x, s)
    print("grad_fn:", y.grad_fn.name())
    y.backward(tnn.tensor(dy_np, dtype=tnn.float32))

    y_ref, dx_ref, ds_ref = reference(x_np.astype(np.float32).astype(np.float64), s_np.astype(np.float32), dy_np)
    assert_close(y, y_ref.astype(np.float32))
    assert_close(x.grad, dx_ref.astype(np.float32))
    assert_close(s.grad, ds_ref.astype(np.float32), reduce_len=x_np.shape[0])
    print("forward, dx and ds match the NumPy reference")


if __name__ == "__main__":
    main()
