"""layer_norm, rms_norm, group_norm, batch_norm and instance_norm: torch.nn.functional's
signatures over tnn/kernels/norm.py; local_response_norm composed from tnn's differentiable ops
(square, pad, avg_pool, pow, div) exactly as torch's Python implementation is.

Each op is one Function whose forward runs the fused normalise + affine kernels and saves the input,
the weight and the fp32 (fp64 for fp64 inputs) mean / rstd; backward computes dx, dweight and dbias
with the backward kernels (weight / bias gradients deterministic: per-program partials plus a
second pass). The kernels read strided inputs in place as long as the normalised dims (layer /
rms norm) or the spatial dims (the others) are one stride apart; otherwise forward makes one
explicit contiguous copy. batch_norm / instance_norm in training mode update running_mean /
running_var in place (momentum, unbiased variance), as torch does.
"""
from __future__ import annotations

import numpy as np

from ...autograd.function import Function
from ...kernels import norm as K
from ...runtime import dtypes as dt
from ...shape import coalesce, contiguous_strides
from ...tensor import Tensor

__all__ = ["layer_norm", "rms_norm", "group_norm", "batch_norm", "instance_norm", "local_response_norm"]

_NAMES = {dt.int64: "Long", dt.int32: "Int", dt.int16: "Short", dt.int8: "Char", dt.uint8: "Byte", dt.bool_: "Bool"}


def _numel(shape) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


def _one_stride(t: Tensor, first: int) -> Tensor:
    """t, or a contiguous copy when its dims from ``first`` on are not one stride apart."""
    sizes, _ = coalesce(tuple(t.shape[first:]), tuple(t.stride()[first:]))
    return t if len(sizes) == 1 else t.contiguous()


def _contig(t):
    return None if t is None else t.contiguous()


def _check_input(name: str, kernel: str, input):
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    if not input.dtype.is_floating_point:
        raise RuntimeError(f'"{kernel}" not implemented for \'{_NAMES[input.dtype]}\'')


def _check_param(name: str, t, what: str):
    if t is not None and not isinstance(t, Tensor):
        raise TypeError(f"{name}(): argument '{what}' must be Tensor, not {type(t).__name__}")
    if t is not None and not t.dtype.is_floating_point:
        raise RuntimeError(f"{name}(): expected {what} to have a floating point dtype, but got {t.dtype}")


# ------------------------------------------------------------------------------ layer_norm / rms_norm
class _LayerNorm(Function):
    _backward_name = "NativeLayerNormBackward0"

    @staticmethod
    def forward(ctx, x, weight, bias, n_norm, eps, rms):
        x = _one_stride(x, x.dim() - n_norm)
        M = _numel(x.shape[:x.dim() - n_norm])
        acc = K.acc_dtype(x.dtype)
        y = Tensor._empty(tuple(x.shape), x.dtype, x.device)                  # (*, normalized_shape)
        mean = None if rms else Tensor._empty((M,), acc, x.device)            # (M,)
        rstd = Tensor._empty((M,), acc, x.device)                             # (M,)
        if y.numel():
            K.layer_norm_fwd(x, y, _contig(weight), _contig(bias), mean, rstd, n_norm, eps, rms)
        ctx.n_norm, ctx.rms = n_norm, rms
        ctx.bias_meta = (tuple(bias.shape), bias.dtype) if bias is not None else None
        ctx.save_for_backward(x, weight, mean, rstd)
        return y

    @staticmethod
    def backward(ctx, dy):
        x, weight, mean, rstd = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        dx = Tensor._empty(tuple(x.shape), x.dtype, x.device) if need_x else None
        dw = Tensor._empty(tuple(weight.shape), weight.dtype, x.device) if need_w else None
        db = Tensor._empty(*ctx.bias_meta, x.device) if need_b else None
        if x.numel():
            K.layer_norm_bwd(x, _one_stride(dy, x.dim() - ctx.n_norm), dx, _contig(weight), mean, rstd, dw, db,
                             ctx.n_norm, ctx.rms)
        else:
            for t in (dw, db):
                if t is not None:
                    t.zero_()
        return dx, dw, db, None, None, None


class _RMSNorm(_LayerNorm):
    _backward_name = "FusedRmsNormBackward0"


def _normalized_shape(normalized_shape) -> tuple:
    if isinstance(normalized_shape, (int, np.integer)):
        return (int(normalized_shape),)
    return tuple(int(s) for s in normalized_shape)


def _check_layer_norm(name: str, input, shape, weight, bias):
    _check_input(name, "LayerNormKernelImpl", input)
    n = len(shape)
    if n == 0:
        raise RuntimeError(f"Expected normalized_shape to be at least 1-dimensional, i.e., containing at least one "
                           f"element, but got normalized_shape = {list(shape)}")
    for what, t in (("weight", weight), ("bias", bias)):
        _check_param(name, t, what)
        if t is not None and tuple(t.shape) != shape:
            raise RuntimeError(f"Expected {what} to be of same shape as normalized_shape, but got {what} of shape "
                               f"{list(t.shape)} and normalized_shape = {list(shape)}")
    if input.dim() < n or tuple(input.shape[input.dim() - n:]) != shape:
        expected = "[*, " + ", ".join(str(s) for s in shape) + "]"
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape {expected}, but got "
                           f"input of size{list(input.shape)}")


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """(x - mean) / sqrt(var + eps) * weight + bias over the trailing ``normalized_shape`` dims."""
    shape = _normalized_shape(normalized_shape)
    _check_layer_norm("layer_norm", input, shape, weight, bias)
    return _apply_row_norm(_LayerNorm, input, weight, bias, len(shape), float(eps), False)


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """x / sqrt(mean(x^2) + eps) * weight over the trailing dims; eps None: finfo(input.dtype).eps."""
    shape = _normalized_shape(normalized_shape)
    _check_layer_norm("rms_norm", input, shape, weight, None)
    if eps is None:
        eps = _finfo_eps(input.dtype)
    return _apply_row_norm(_RMSNorm, input, weight, None, len(shape), float(eps), True)


def _finfo_eps(dtype) -> float:
    import ml_dtypes
    return float(ml_dtypes.finfo(dtype.np).eps)


def _apply_row_norm(fn, input, weight, bias, n_norm, eps, rms):
    return fn.apply(input, weight, bias, n_norm, eps, rms)


# ------------------------------------------------------------------------------ group / instance / batch
def _as_ncl(t: Tensor) -> Tensor:
    """(N, C, *) as an (N, C, L) view (L = the spatial dims, one stride apart; copied otherwise)."""
    t = _one_stride(t, 2) if t.dim() > 3 else t
    N, C = t.shape[0], t.shape[1]
    if t.dim() == 2:
        return t._view((N, C, 1), (t.stride(0), t.stride(1), 1))
    L = _numel(t.shape[2:])
    sizes, (st,) = coalesce(tuple(t.shape[2:]), tuple(t.stride()[2:]))
    return t._view((N, C, L), (t.stride(0), t.stride(1), st[0] if L > 1 else 1))


class _SetNorm(Function):
    """group_norm ("group"), instance_norm (group norm with C groups) and batch_norm ("batch")."""
    _backward_name = "NativeGroupNormBackward0"

    @staticmethod
    def forward(ctx, x, weight, bias, running_mean, running_var, kind, groups, training, momentum, eps):
        x3 = _as_ncl(x)                                                        # (N, C, L)
        N, C, L = x3.shape
        acc = K.acc_dtype(x.dtype)
        n_stats = C if kind == "batch" else N * groups
        mean = Tensor._empty((n_stats,), acc, x.device)                       # (K,) per group
        rstd = Tensor._empty((n_stats,), acc, x.device)
        y = Tensor._empty((N, C, L), x.dtype, x.device)                       # (N, C, L)
        update = training and running_mean is not None
        if y.numel():
            K.set_norm_fwd(x3, y, _contig(weight), _contig(bias), mean, rstd, kind, groups, eps, training,
                           running_mean if (update or not training) else None,
                           running_var if (update or not training) else None, momentum)
            if update:
                running_mean._version_bump()
                running_var._version_bump()
        ctx.kind, ctx.groups, ctx.training, ctx.shape = kind, groups, training, tuple(x.shape)
        ctx.bias_dtype = bias.dtype if bias is not None else None
        ctx.save_for_backward(x3, weight, mean, rstd)
        return y._view(tuple(x.shape), contiguous_strides(x.shape))

    @staticmethod
    def backward(ctx, dy):
        x3, weight, mean, rstd = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad[0], ctx.needs_input_grad[1], ctx.needs_input_grad[2]
        N, C, L = x3.shape
        dx = Tensor._empty((N, C, L), x3.dtype, x3.device) if need_x else None
        dw = Tensor._empty((C,), weight.dtype, x3.device) if need_w else None
        db = Tensor._empty((C,), ctx.bias_dtype, x3.device) if need_b else None
        if x3.numel():
            K.set_norm_bwd(x3, _as_ncl(dy), dx, _contig(weight), mean, rstd, dw, db, ctx.kind, ctx.groups,
                           ctx.training)
        else:
            for t in (dw, db):
                if t is not None:
                    t.zero_()
        if dx is not None:
            dx = dx._view(ctx.shape, contiguous_strides(ctx.shape))
        return dx, dw, db, None, None, None, None, None, None, None


class _BatchNorm(_SetNorm):
    _backward_name = "NativeBatchNormBackward0"


def _apply_set_norm(fn, input, weight, bias, running_mean, running_var, kind, groups, training, momentum, eps):
    return fn.apply(input, weight, bias, running_mean, running_var, kind, groups, training, float(momentum),
                    float(eps))


def _check_channels(what: str, t, C: int):
    if t is not None and t.numel() != C:
        raise RuntimeError(f"{what} should contain {C} elements not {t.numel()}")


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Normalise each of ``num_groups`` channel groups of every sample (N, C, *), then the
    per-channel affine."""
    _check_input("group_norm", "GroupNormKernelImpl", input)
    if input.dim() < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {input.dim()}")
    for what, t in (("weight", weight), ("bias", bias)):
        _check_param("group_norm", t, what)
    N, C = input.shape[0], input.shape[1]
    num_groups = int(num_groups)
    if num_groups <= 0 or C % num_groups != 0:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, but got input of "
                           f"shape {list(input.shape)} and num_groups={num_groups}")
    for what, t in (("weight", weight), ("bias", bias)):
        if t is not None and (t.dim() != 1 or t.numel() != C):
            raise RuntimeError(f"Expected {what} to be a vector of size equal to the number of channels in input, "
                               f"but got {what} of shape {list(t.shape)} and input of shape {list(input.shape)}")
    return _apply_set_norm(_SetNorm, input, weight, bias, None, None, "group", num_groups, True, 0.0, eps)


def _check_running(name, running_mean, running_var, C):
    for what, t in (("running_mean", running_mean), ("running_var", running_var)):
        _check_param(name, t, what)
        _check_channels(what, t, C)
        if t is not None and t.dim() != 1:
            raise RuntimeError(f"{what} should be a 1-D tensor, got {t.dim()}-D")


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    """Per-channel normalisation of (N, C, *) across the batch and spatial dims. Training: batch
    statistics, running stats (if given) updated in place with ``momentum`` and the unbiased
    variance; eval: the running statistics."""
    _check_input("batch_norm", "batch_norm", input)
    if not 2 <= input.dim() <= 5:
        raise ValueError(f"expected 2D, 3D, 4D or 5D input (got {input.dim()}D input)")
    C = input.shape[1]
    if training:
        if input.shape[0] * _numel(input.shape[2:]) == 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size "
                             f"{list(input.shape)}")
    elif running_mean is None or running_var is None:
        raise RuntimeError("running_mean and running_var must be defined in evaluation mode")
    if (running_mean is None) != (running_var is None):
        raise RuntimeError("running_mean and running_var must either both be None or neither be None")
    _check_running("batch_norm", running_mean, running_var, C)
    for what, t in (("weight", weight), ("bias", bias)):
        _check_param("batch_norm", t, what)
        _check_channels(what, t, C)
    return _apply_set_norm(_BatchNorm, input, weight, bias, running_mean, running_var, "batch", C, bool(training),
                           momentum, eps)


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
                  momentum=0.1, eps=1e-5):
    """Normalise every (sample, channel) plane of (N, C, *) over its spatial dims. With running
    stats, training updates them with the batch average of the per-instance statistics;
    use_input_stats=False normalises with the running statistics instead."""
    _check_input("instance_norm", "batch_norm", input)
    if input.dim() < 3:
        raise ValueError(f"expected at least 3D input (got {input.dim()}D input)")
    C = input.shape[1]
    if use_input_stats:
        if _numel(input.shape[2:]) == 1:
            raise ValueError(f"Expected more than 1 spatial element when training, got input size "
                             f"{list(input.shape)}")
    elif running_mean is None or running_var is None:
        raise RuntimeError("Expected running_mean and running_var to be defined when use_input_stats is false")
    if (running_mean is None) != (running_var is None):
        raise RuntimeError("running_mean and running_var must either both be None or neither be None")
    _check_running("instance_norm", running_mean, running_var, C)
    for what, t in (("weight", weight), ("bias", bias)):
        _check_param("instance_norm", t, what)
        _check_channels(what, t, C)
    if not use_input_stats:
        return _apply_set_norm(_BatchNorm, input, weight, bias, running_mean, running_var, "batch", C, False,
                               momentum, eps)
    return _apply_set_norm(_BatchNorm, input, weight, bias, running_mean, running_var, "group", C, True,
                           momentum, eps)


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """x / (k + alpha * mean over a window of ``size`` neighbouring channels of x^2) ** beta, on
    (N, C, *) inputs; the window is zero-padded (size // 2 before, (size - 1) // 2 after) and
    always divided by ``size``. Composed as torch composes it (so are its gradients)."""
    from .padding import pad
    from .pooling import avg_pool2d, avg_pool3d
    dim = input.dim()
    if dim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality input (got {dim} dimensions)")
    if input.numel() == 0:
        return input
    div = input.mul(input)
    if dim == 3:
        div = div.unsqueeze(1)                                      # (N, 1, C, L)
        div = pad(div, (0, 0, size // 2, (size - 1) // 2))
        div = avg_pool2d(div, (size, 1), stride=1).squeeze(1)      # (N, C, L)
    else:
        sizes = input.size()
        div = div.reshape(sizes[0], 1, sizes[1], sizes[2], -1)      # (N, 1, C, D, rest); torch: view
        div = pad(div, (0, 0, 0, 0, size // 2, (size - 1) // 2))
        div = avg_pool3d(div, (size, 1, 1), stride=1).squeeze(1)   # (N, C, D, rest)
        div = div.reshape(sizes)
    div = div.mul(alpha).add(k).pow(beta)
    return input / div
