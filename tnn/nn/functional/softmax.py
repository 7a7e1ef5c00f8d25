"""softmax, log_softmax and softmin: torch.nn.functional's signatures over tnn/kernels/softmax.py.

Any dim is handled in place by the strided kernels; the output is contiguous and is what the
backward saves (dx = y * (dy - sum(dy * y)), log-softmax: dx = dy - exp(y) * sum(dy)).
``dtype=`` casts the input first (inside the kernel, so the graph is one SoftmaxBackward0 node
whose gradient comes back in the input's dtype, as torch's CUDA half-to-float path).
"""
from __future__ import annotations

import warnings

from ...autograd.function import Function
from ...kernels import softmax as K
from ...runtime import dtypes as dt
from ...shape import normalize_dim
from ...tensor import Tensor

__all__ = ["softmax", "log_softmax", "softmin"]

_TORCH_NAMES = {dt.int64: "Long", dt.int32: "Int", dt.int16: "Short", dt.int8: "Char", dt.uint8: "Byte",
                dt.bool_: "Bool"}


class _Softmax(Function):
    _backward_name = "SoftmaxBackward0"

    @staticmethod
    def forward(ctx, x, dim, out_dtype, negate):
        y = Tensor._empty(x.shape, out_dtype, x.device)
        if y.numel():
            K.softmax_fwd(x, y, dim, log=False, negate=negate)
        ctx.dim, ctx.negate, ctx.x_dtype = dim, negate, x.dtype
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, dy):
        (y,) = ctx.saved_tensors
        dx = Tensor._empty(y.shape, ctx.x_dtype, y.device)
        if dx.numel():
            K.softmax_bwd(y, dy, dx, ctx.dim, log=False, negate=ctx.negate)
        return dx, None, None, None


class _LogSoftmax(Function):
    _backward_name = "LogSoftmaxBackward0"

    @staticmethod
    def forward(ctx, x, dim, out_dtype):
        y = Tensor._empty(x.shape, out_dtype, x.device)
        if y.numel():
            K.softmax_fwd(x, y, dim, log=True, negate=False)
        ctx.dim, ctx.x_dtype = dim, x.dtype
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, dy):
        (y,) = ctx.saved_tensors
        dx = Tensor._empty(y.shape, ctx.x_dtype, y.device)
        if dx.numel():
            K.softmax_bwd(y, dy, dx, ctx.dim, log=True, negate=False)
        return dx, None, None


def _get_softmax_dim(name: str, ndim: int, stacklevel: int) -> int:
    """torch's legacy rule for dim=None (deprecated): 0 for 0-, 1- and 3-d inputs, else 1."""
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X "
                  "as an argument.", stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def _prepare(name: str, kernel: str, input, dim, stacklevel, dtype):
    """Validate; return (input, normalized dim, output dtype). An integer input with a float
    ``dtype`` is converted by the kernel's load."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    if dim is None:
        dim = _get_softmax_dim(name, input.dim(), stacklevel + 1)  # one frame deeper than torch's
    dim = normalize_dim(dim, input.dim())
    if dtype is not None and not isinstance(dtype, dt.dtype):
        raise TypeError(f"{name}(): argument 'dtype' must be torch.dtype, not {type(dtype).__name__}")
    out_dtype = dtype if dtype is not None else input.dtype
    if not out_dtype.is_floating_point:
        dev = "cuda" if input.device.type == "cuda" else "cpu"
        k = "host_softmax" if dev == "cuda" else kernel
        raise RuntimeError(f'"{k}" not implemented for \'{_TORCH_NAMES[out_dtype]}\'')
    return input, dim, out_dtype


def softmax(input, dim=None, _stacklevel: int = 3, dtype=None):
    """exp(x) / sum(exp(x)) along ``dim`` (max-subtracted); ``dtype`` casts the input first."""
    x, dim, out_dtype = _prepare("softmax", "softmax_lastdim_kernel_impl", input, dim, _stacklevel, dtype)
    return _Softmax.apply(x, dim, out_dtype, False)


def softmin(input, dim=None, _stacklevel: int = 3, dtype=None):
    """softmax(-x) along ``dim``."""
    x, dim, out_dtype = _prepare("softmin", "softmax_lastdim_kernel_impl", input, dim, _stacklevel, dtype)
    return _Softmax.apply(x, dim, out_dtype, True)


def log_softmax(input, dim=None, _stacklevel: int = 3, dtype=None):
    """x - max - log(sum(exp(x - max))) along ``dim``; ``dtype`` casts the input first."""
    x, dim, out_dtype = _prepare("log_softmax", "log_softmax_lastdim_kernel_impl", input, dim, _stacklevel, dtype)
    return _LogSoftmax.apply(x, dim, out_dtype)
