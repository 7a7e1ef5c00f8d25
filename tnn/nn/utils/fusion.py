"""Fold an eval-mode BatchNorm into the preceding convolution (torch.nn.utils.fusion)."""
from __future__ import annotations

import copy

from ...autograd.grad_mode import no_grad
from ...ops.creation import ones_like, zeros
from ..parameter import Parameter

__all__ = ["fuse_conv_bn_eval", "fuse_conv_bn_weights"]


def fuse_conv_bn_eval(conv, bn, transpose: bool = False):
    """A copy of ``conv`` computing bn(conv(x)) with ``bn``'s running statistics; both in eval mode."""
    if conv.training or bn.training:
        raise AssertionError("Fusion only for eval!")
    fused_conv = copy.deepcopy(conv)
    if bn.running_mean is None or bn.running_var is None:
        raise AssertionError("BatchNorm needs running statistics to fuse")
    fused_conv.weight, fused_conv.bias = fuse_conv_bn_weights(
        fused_conv.weight, fused_conv.bias, bn.running_mean, bn.running_var, bn.eps, bn.weight, bn.bias, transpose)
    return fused_conv


def fuse_conv_bn_weights(conv_w, conv_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b, transpose: bool = False):
    """(weight, bias) Parameters: w' = w * gamma / sqrt(var + eps) per output channel,
    b' = (b - mean) * gamma / sqrt(var + eps) + beta."""
    with no_grad():
        conv_weight_dtype = conv_w.dtype
        conv_bias_dtype = conv_b.dtype if conv_b is not None else conv_weight_dtype
        if conv_b is None:
            conv_b = zeros(bn_rm.shape, dtype=bn_rm.dtype, device=bn_rm.device)
        if bn_w is None:
            bn_w = ones_like(bn_rm)
        if bn_b is None:
            bn_b = zeros(bn_rm.shape, dtype=bn_rm.dtype, device=bn_rm.device)
        bn_var_rsqrt = (bn_rv + bn_eps).rsqrt()
        shape = [1] * conv_w.dim()
        shape[1 if transpose else 0] = -1
        fused_w = (conv_w * (bn_w * bn_var_rsqrt).reshape(shape)).to(dtype=conv_weight_dtype)
        fused_b = ((conv_b - bn_rm) * bn_var_rsqrt * bn_w + bn_b).to(dtype=conv_bias_dtype)
    return Parameter(fused_w, conv_w.requires_grad), Parameter(fused_b, conv_b.requires_grad)
