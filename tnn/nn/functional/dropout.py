"""F.dropout, F.dropout1d/2d/3d (channel-wise), F.alpha_dropout and F.feature_alpha_dropout with
torch's signatures, checks and warnings.

Each call reserves its Philox counters from tnn's default generator (one per element, or one per
(N, C) channel for the channel-wise forms) and saves only (seed, offset, p): backward regenerates
the mask with the same kernel. ``tnn.manual_seed`` therefore makes every mask reproducible, and
two calls never share counters."""
from __future__ import annotations

import warnings

from ...autograd.function import Function
from ...autograd.grad_mode import is_grad_enabled
from ...kernels import dropout as K
from ...ops import random as _random
from ...ops.copying import _check_writable_overlap
from ...shape import coalesce
from ...tensor import Tensor

__all__ = ["dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout"]

_NAMES = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


class _Dropout(Function):
    _backward_name = "NativeDropoutBackward0"

    @staticmethod
    def forward(ctx, input, p, inplace, channels, alpha):
        n = input.numel()
        draws = n if channels is None else channels           # one draw per element or per channel
        group = 1 if channels is None else n // channels      # elements sharing one draw
        seed, offset = _random.default_generator._reserve(draws)
        out = input if inplace else Tensor._empty(tuple(input.shape), input.dtype, input.device)
        sizes, (xs, os) = coalesce(tuple(input.shape), input.stride(), out.stride())
        K.dropout_fwd(input, out, sizes, xs, os, group, seed, offset, p, alpha)
        if inplace:
            input._version_bump()
            ctx.mark_dirty(input)
        ctx.mask = (group, seed, offset, p, alpha)   # all backward needs: the mask is regenerated
        return out

    @staticmethod
    def backward(ctx, grad):
        group, seed, offset, p, alpha = ctx.mask
        dx = Tensor._empty(tuple(grad.shape), grad.dtype, grad.device)
        sizes, (gs, ds) = coalesce(tuple(grad.shape), grad.stride(), dx.stride())
        K.dropout_bwd(grad, dx, sizes, gs, ds, group, seed, offset, p, alpha)
        return dx, None, None, None, None


class _FeatureDropout(_Dropout):
    _backward_name = "MulBackward0"   # torch: input * channel noise


class _AlphaDropout(_Dropout):
    _backward_name = "AddBackward0"   # torch: input * noise * a + b


def _check(input, p, fn):
    if not isinstance(input, Tensor):
        raise TypeError(f"{fn}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _run(input, p, training, inplace, channels, alpha):
    if not training or p == 0 or input.numel() == 0:
        return input
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"result type Float can't be cast to the desired output type {_NAMES[input.dtype.name]}")
    if inplace:
        _check_writable_overlap(input)
        if input.requires_grad and input.grad_fn is None and is_grad_enabled():   # before the data changes
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
    fn = _AlphaDropout if alpha else _Dropout if channels is None else _FeatureDropout
    return fn.apply(input, float(p), bool(inplace), channels, alpha)


def _feature_channels(input) -> int:
    """Number of channels of the feature noise of an (N, C, *) input: N*C."""
    if input.dim() < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    return input.shape[0] * input.shape[1]


def dropout(input, p=0.5, training=True, inplace=False):
    """Zero each element with probability p and scale the rest by 1/(1-p); identity when not
    training (the input itself is returned) or p == 0."""
    _check(input, p, "dropout")
    return _run(input, p, training, inplace, None, False)


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Channel-wise dropout of (N, C, L) or unbatched (C, L) inputs: one draw per channel."""
    _check(input, p, "dropout1d")
    d = input.dim()
    if d not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {d}D input. Note that dropout1d exists to provide "
            "channel-wise dropout on inputs with 1 spatial dimension, a channel dimension, and an optional batch "
            "dimension (i.e. 2D or 3D inputs).")
    if not training or p == 0 or input.numel() == 0:
        return input
    channels = input.shape[0] * input.shape[1] if d == 3 else input.shape[0]   # unbatched (C, L): C
    return _run(input, p, training, inplace, channels, False)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Channel-wise dropout of (N, C, H, W) inputs. As torch, a 3-D input is taken as (N, C, L)
    (with a warning), and other ranks are deprecated (warning) but processed as (N, C, *)."""
    _check(input, p, "dropout2d")
    d = input.dim()
    if d not in (3, 4):
        warnings.warn(
            f"dropout2d: Received a {d}-D input to dropout2d, which is deprecated and will result in an error in a "
            "future release. To retain the behavior and silence this warning, please use dropout instead. Note "
            "that dropout2d exists to provide channel-wise dropout on inputs with 2 spatial dimensions, a channel "
            "dimension, and an optional batch dimension (i.e. 3D or 4D inputs).", stacklevel=2)
    if d == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout behavior is "
            "desired - input is interpreted as shape (N, C, L), where C is the channel dim. This behavior will "
            "change in a future release to interpret the input as one without a batch dimension, i.e. shape "
            "(C, H, W). To maintain the 1D channel-wise dropout behavior, please switch to using dropout1d "
            "instead.", stacklevel=2)
    if not training or p == 0 or input.numel() == 0:
        return input
    return _run(input, p, training, inplace, _feature_channels(input), False)


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Channel-wise dropout of (N, C, D, H, W) or unbatched (C, D, H, W) inputs; other ranks are
    deprecated (warning), processed as unbatched unless 5-D, as torch."""
    _check(input, p, "dropout3d")
    d = input.dim()
    if d not in (4, 5):
        warnings.warn(
            f"dropout3d: Received a {d}-D input to dropout3d, which is deprecated and will result in an error in a "
            "future release. To retain the behavior and silence this warning, please use dropout instead. Note "
            "that dropout3d exists to provide channel-wise dropout on inputs with 3 spatial dimensions, a channel "
            "dimension, and an optional batch dimension (i.e. 4D or 5D inputs).", stacklevel=2)
    if not training or p == 0 or input.numel() == 0:
        return input
    if d == 5:
        channels = _feature_channels(input)
    else:  # torch unsqueezes a leading batch dim of 1: (1, C, *) -> C = shape[0] channels
        if d < 1:
            raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
        channels = input.shape[0]
    return _run(input, p, training, inplace, channels, False)


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Dropout for SELU networks: keeps mean 0 and variance 1 (dropped values saturate at
    -alpha', then an affine map), as torch.nn.functional.alpha_dropout."""
    _check(input, p, "alpha_dropout")
    return _run(input, p, training, inplace, None, True)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Alpha dropout with one draw per (N, C) channel."""
    _check(input, p, "feature_alpha_dropout")
    if not training or p == 0 or input.numel() == 0:
        return input
    return _run(input, p, training, inplace, _feature_channels(input), True)
