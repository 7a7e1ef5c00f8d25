"""matmul / mm / bmm with torch.matmul's rules (which NumPy's matmul shares): 1-D @ 1-D is a
dot product, a 1-D left operand is a row vector and a 1-D right one a column vector (the added
dim removed again), and batch dims broadcast."""
from __future__ import annotations

import numpy as np

from ._util import cast, finalize, f64, needs_grad, result_type, unbroadcast, vals

__all__ = ["matmul", "matmul_backward", "mm", "mm_backward", "bmm", "bmm_backward"]


def matmul(input, other):
    d = result_type(input, other)
    return cast(np.matmul(vals(input, d), vals(other, d)), d)


def matmul_backward(grad_output, input, other):
    """dA = G @ B^T and dB = A^T @ G on the operands made >= 2-D, summed over broadcast batch
    dims, then given the operands' own shapes back."""
    a, b, g = f64(input), f64(other), f64(grad_output)
    a2 = a[None, :] if a.ndim == 1 else a          # (..., M, K)
    b2 = b[:, None] if b.ndim == 1 else b          # (..., K, N)
    g = g.reshape(np.broadcast_shapes(a2.shape[:-2], b2.shape[:-2]) + (a2.shape[-2], b2.shape[-1]))  # (..., M, N)
    ga = unbroadcast(g @ np.swapaxes(b2, -1, -2), a2.shape).reshape(a.shape)
    gb = unbroadcast(np.swapaxes(a2, -1, -2) @ g, b2.shape).reshape(b.shape)
    return (ga if needs_grad(input) else None), (gb if needs_grad(other) else None)


def mm(input, mat2):
    """(M, K) @ (K, N)."""
    return matmul(input, mat2)


def mm_backward(grad_output, input, mat2):
    return matmul_backward(grad_output, input, mat2)


def bmm(input, mat2):
    """(B, M, K) @ (B, K, N), no broadcasting."""
    return matmul(input, mat2)


def bmm_backward(grad_output, input, mat2):
    return matmul_backward(grad_output, input, mat2)

finalize(globals(), __all__)
