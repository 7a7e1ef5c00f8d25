"""Loss functions and distances of torch.nn.functional, over tnn/kernels/cross_entropy.py,
tnn/kernels/loss.py and tnn/kernels/margin_loss.py.

cross_entropy is one fused kernel per row block (online log-sum-exp + NLL); when the input
requires grad the same pass writes d loss / d logits, so backward only scales it by grad_output.
nll_loss, mse/l1/smooth_l1/huber, binary_cross_entropy(_with_logits), kl_div and soft_margin_loss
are fused pointwise kernels with their reductions; multi_margin_loss and multilabel_margin_loss
are row kernels (BLOCK_M rows per program). cosine_similarity, pairwise_distance and normalize are
Functions whose forward and backward are written with tnn's tensor ops (a dedicated kernel buys
nothing there); one_hot is a small kernel. The losses torch itself composes in Python/ATen
(poisson/gaussian NLL, hinge embedding, multilabel soft margin, the triplet and embedding losses)
are composed here the same way, so autograd gives their gradients.

Every argument check raises torch's error before any launch."""
from __future__ import annotations

import math
import warnings

import numpy as np

from ...autograd.function import Function
from ...autograd.grad_mode import is_grad_enabled
from ...kernels import cross_entropy as _ce
from ...kernels import loss as _kl
from ...runtime import dtypes as dt
from ...shape import broadcast_shapes, broadcast_strides, coalesce, contiguous_strides, normalize_dim
from ...tensor import Tensor

__all__ = [
    "cross_entropy", "nll_loss", "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "kl_div", "cosine_similarity", "pairwise_distance", "normalize", "one_hot",
    "cosine_embedding_loss", "margin_ranking_loss", "triplet_margin_loss", "poisson_nll_loss", "gaussian_nll_loss",
    "hinge_embedding_loss", "soft_margin_loss", "multilabel_soft_margin_loss", "multi_margin_loss",
    "multilabel_margin_loss", "triplet_margin_with_distance_loss",
]

_TORCH_NAMES = {
    dt.float32: "Float", dt.float64: "Double", dt.float16: "Half", dt.bfloat16: "BFloat16", dt.int64: "Long",
    dt.int32: "Int", dt.int16: "Short", dt.int8: "Char", dt.uint8: "Byte", dt.bool_: "Bool",
}


# ------------------------------------------------------------------------------ shared checks
def _reduction(size_average, reduce, reduction: str, extra=()) -> str:
    """torch's _Reduction: the legacy size_average/reduce flags win (with torch's warning)."""
    if size_average is not None or reduce is not None:
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        reduction = "mean" if (size_average and reduce) else "sum" if reduce else "none"
        warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{reduction}' "
                      "instead.", stacklevel=3)
    if reduction not in ("none", "mean", "sum") + tuple(extra):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _check_tensor(x, name: str, fn: str):
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}(): argument '{name}' must be Tensor, not {type(x).__name__}")


def _check_float(x, kernel: str):
    if not x.dtype.is_floating_point:
        dev = "cuda" if x.device.type == "cuda" else "cpu"
        raise RuntimeError(f'"{kernel}_{dev}" not implemented for \'{_TORCH_NAMES[x.dtype]}\'')


def _no_grad_for(t, name: str):
    """torch has no derivative for class weights / pos_weight of these losses."""
    if t is not None and t.requires_grad and is_grad_enabled():
        raise RuntimeError(f"the derivative for '{name}' is not implemented.")


def _sizes(shape) -> str:
    return str(list(shape))


_NAMED: dict = {}


def _named(cls, name: str):
    """A subclass of Function ``cls`` whose graph node is called ``name`` (torch's grad_fn name
    depends on the options, e.g. NllLossBackward0 vs AddBackward0 with label smoothing)."""
    key = (cls, name)
    sub = _NAMED.get(key)
    if sub is None:
        sub = _NAMED[key] = type(cls.__name__, (cls,), {"_backward_name": name})
    return sub


# ------------------------------------------------------------------------------ class rows
def _check_class_target(input: Tensor, target: Tensor, weight, fn: str):
    """torch's nll_loss_nd checks for class-index targets; returns (N, C, S)."""
    if input.dim() < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {input.dim()})")
    if target.dtype is not dt.int64:
        raise RuntimeError(f"expected scalar type Long but found {_TORCH_NAMES[target.dtype]}")
    if input.dim() != 1 and target.dim() >= 1 and input.shape[0] != target.shape[0]:
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target batch_size "
                         f"({target.shape[0]}).")
    if input.dim() <= 2:
        if target.dim() > 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        if (input.dim() == 1) != (target.dim() == 0):
            raise RuntimeError(f"size mismatch (got input: {_sizes(input.shape)}, target: {_sizes(target.shape)})")
    else:
        if input.dim() == 4 and target.dim() != 3:
            raise RuntimeError("only batches of spatial targets supported (3D tensors) but got targets of "
                               f"dimension: {target.dim()}")
        if input.dim() == 4 and tuple(target.shape[1:]) != tuple(input.shape[2:]):
            raise RuntimeError("input and target batch or spatial sizes don't match: target "
                               f"{_sizes(target.shape)}, input {_sizes(input.shape)}")
        if tuple(target.shape[1:]) != tuple(input.shape[2:]):
            raise RuntimeError(f"Expected target size {_sizes((input.shape[0],) + tuple(input.shape[2:]))}, "
                               f"got {_sizes(target.shape)}")
    C = input.shape[0] if input.dim() == 1 else input.shape[1]
    if weight is not None:
        _check_tensor(weight, "weight", fn)
        if weight.numel() != C or weight.dim() != 1:
            raise RuntimeError(f"weight tensor should be defined either for all {C} classes or no classes but got "
                               f"weight tensor of shape: {_sizes(weight.shape)}")
        if weight.dtype is not input.dtype:
            raise RuntimeError(f"expected scalar type {_TORCH_NAMES[input.dtype]} but found "
                               f"{_TORCH_NAMES[weight.dtype]}")
    return _ncs(input)


def _ncs(input: Tensor):
    if input.dim() == 1:
        return 1, input.shape[0], 1
    S = 1
    for d in input.shape[2:]:
        S *= d
    return input.shape[0], input.shape[1], S


def _check_target_range(target: Tensor, C: int, ignore_index: int):
    """torch's 'Target 5 is out of bounds.' (checked on the host: one small device-to-host copy)."""
    if target.numel() == 0:
        return
    t = np.asarray(target.numpy()).reshape(-1)
    bad = t[(t != ignore_index) & ((t < 0) | (t >= C))]
    if bad.size:
        raise IndexError(f"Target {int(bad[0])} is out of bounds.")


def _row_shape(input: Tensor) -> tuple:
    return () if input.dim() == 1 else (input.shape[0],) + tuple(input.shape[2:])


def _as_ncs(x: Tensor, N: int, C: int, S: int) -> Tensor:
    return x.reshape(N, C, S)


def _nll_name(input: Tensor, reduction: str) -> str:
    """torch's grad_fn of nll_loss_nd: 1-D/2-D nll_loss; 4-D nll_loss2d; 3-D and 5-D+ go through
    nll_loss2d on a reshaped input and view back when unreduced."""
    if input.dim() <= 2:
        return "NllLossBackward0"
    return "ViewBackward0" if reduction == "none" and input.dim() != 4 else "NllLoss2DBackward0"


class _CrossEntropy(Function):
    @staticmethod
    def forward(ctx, input, target, weight, ignore_index, reduction, label_smoothing, prob):
        N, C, S = _ncs(input)
        x = _as_ncs(input, N, C, S)                                        # (N, C, S)
        t = _as_ncs(target, N, C, S) if prob else target.reshape(N, S)     # (N, C, S) or (N, S)
        loss, dx, dt_ = _ce.cross_entropy_fwd(
            x, t, weight, ignore_index=ignore_index, label_smoothing=label_smoothing, reduction=reduction,
            prob_target=prob, compute_grad=ctx.needs_input_grad[0],
            compute_dtarget=prob and ctx.needs_input_grad[1])
        ctx.save_for_backward(dx, dt_)                                     # d loss / d (input, target), unscaled
        ctx.meta = (N, S, tuple(input.shape), tuple(target.shape), reduction)
        return loss if reduction != "none" else loss.reshape(_row_shape(input))

    @staticmethod
    def backward(ctx, grad):
        dx, dt_ = ctx.saved_tensors
        N, S, in_shape, t_shape, reduction = ctx.meta
        go = grad.reshape(N, S) if reduction == "none" else grad           # (N, S) or ()
        gx = _ce.scale_rows(dx, go, dx.dtype).reshape(in_shape) if dx is not None else None
        gt = _ce.scale_rows(dt_, go, dt_.dtype).reshape(t_shape) if dt_ is not None else None
        return gx, gt, None, None, None, None, None


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """torch.nn.functional.cross_entropy: class indices ([N, C] / [N]; [N, C, d...] / [N, d...];
    [C] / []) or class probabilities (target shaped like input)."""
    reduction = _reduction(size_average, reduce, reduction)
    _check_tensor(input, "input", "cross_entropy_loss")
    _check_tensor(target, "target", "cross_entropy_loss")
    label_smoothing = float(label_smoothing)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    if input.dim() < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {input.dim()})")
    _check_float(input, "log_softmax_lastdim_kernel_impl")
    prob = tuple(target.shape) == tuple(input.shape)
    if prob:
        if not target.dtype.is_floating_point:
            raise RuntimeError("Expected floating point type for target with class probabilities, got "
                               f"{_TORCH_NAMES[target.dtype]}")
        if ignore_index >= 0:
            raise RuntimeError("ignore_index is not supported for floating point target")
        C = _ncs(input)[1]
        if weight is not None:
            _check_tensor(weight, "weight", "cross_entropy_loss")
            if weight.dim() != 1 or weight.numel() != C:
                raise RuntimeError(f"weight tensor should be defined either for all {C} classes or no classes but "
                                   f"got weight tensor of shape: {_sizes(weight.shape)}")
        if target.dtype is not input.dtype:
            target = target.to(input.dtype)
        name = "DivBackward0" if reduction == "mean" else "NegBackward0"
    else:
        N, C, S = _check_class_target(input, target, weight, "cross_entropy_loss")
        _check_target_range(target, C, ignore_index)
        name = "AddBackward0" if label_smoothing > 0 else _nll_name(input, reduction)
    _no_grad_for(weight, "weight")
    return _named(_CrossEntropy, name).apply(input, target, weight, int(ignore_index), reduction, label_smoothing,
                                             prob)


class _NllLoss(Function):
    @staticmethod
    def forward(ctx, input, target, weight, ignore_index, reduction):
        N, C, S = _ncs(input)
        t = target.reshape(N, S)                                           # (N, S)
        loss, den = _ce.nll_fwd(_as_ncs(input, N, C, S), t, weight, ignore_index=ignore_index, reduction=reduction)
        ctx.save_for_backward(t, weight, den)
        ctx.meta = ((N, C, S), input.dtype, tuple(input.shape), ignore_index, reduction)
        return loss if reduction != "none" else loss.reshape(_row_shape(input))

    @staticmethod
    def backward(ctx, grad):
        t, weight, den = ctx.saved_tensors
        ncs, dtype, in_shape, ignore_index, reduction = ctx.meta
        go = grad.reshape(ncs[0], ncs[2]) if reduction == "none" else grad
        dx = _ce.nll_bwd(go, t, weight, den, ncs, dtype, ignore_index=ignore_index)
        return dx.reshape(in_shape), None, None, None, None


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    """torch.nn.functional.nll_loss over log-probabilities, torch's target layouts."""
    reduction = _reduction(size_average, reduce, reduction)
    _check_tensor(input, "input", "nll_loss_nd")
    _check_tensor(target, "target", "nll_loss_nd")
    N, C, S = _check_class_target(input, target, weight, "nll_loss_nd")
    _check_float(input, "nll_loss_forward_reduce_cuda_kernel_2d_index" if input.device.type == "cuda"
                 else "nll_loss_out_frame")
    _check_target_range(target, C, ignore_index)
    _no_grad_for(weight, "weight")
    return _named(_NllLoss, _nll_name(input, reduction)).apply(input, target, weight, int(ignore_index), reduction)


# ------------------------------------------------------------------------------ pointwise losses
class _Pointwise(Function):
    @staticmethod
    def forward(ctx, input, target, weight, pos_weight, loss, reduction, p, divisor):
        shape = broadcast_shapes(input.shape, target.shape)
        ops = [t for t in (input, target, weight, pos_weight)]
        sizes, strides = coalesce(shape, *[broadcast_strides(t.shape, t.stride(), shape) if t is not None
                                           else (0,) * len(shape) for t in ops])
        out_dtype = dt.promote_types(input.dtype, target.dtype)
        out = _kl.pointwise_loss_fwd(loss, input, target, weight, pos_weight, sizes, strides, out_dtype,
                                     reduction=reduction, p=p, divisor=divisor)
        ctx.save_for_backward(input, target, weight, pos_weight)
        ctx.meta = (shape, loss, reduction, p, divisor)
        return out._view(shape, contiguous_strides(shape)) if reduction == "none" else out

    @staticmethod
    def backward(ctx, grad):
        input, target, weight, pos_weight = ctx.saved_tensors
        shape, loss, reduction, p, divisor = ctx.meta
        ops = (input, target, weight, pos_weight)
        go_strides = broadcast_strides(grad.shape, grad.stride(), shape) if reduction == "none" else (0,) * len(shape)
        sizes, strides = coalesce(shape, *[broadcast_strides(t.shape, t.stride(), shape) if t is not None
                                           else (0,) * len(shape) for t in ops], go_strides)
        need_dx, need_dy = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        scale = (1.0 / divisor if divisor else math.nan) if reduction == "mean" else 1.0
        dx, dy = _kl.pointwise_loss_bwd(loss, input, target, weight, pos_weight, grad, sizes, strides[:4],
                                        strides[4], need_dx=need_dx, need_dy=need_dy, p=p, scale=scale)
        if dx is not None:
            dx = dx._view(shape, contiguous_strides(shape)).sum_to_size(input.shape)
        if dy is not None:
            dy = dy._view(shape, contiguous_strides(shape)).sum_to_size(target.shape)
        return dx, dy, None, None, None, None, None, None


def _pointwise(fn: str, kernel: str, code: int, name: str, input, target, reduction, *, weight=None,
               pos_weight=None, p=0.0, divisor=None, size_warning=True):
    _check_tensor(input, "input", fn)
    _check_tensor(target, "target", fn)
    if size_warning and tuple(target.shape) != tuple(input.shape):
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input size ({input.shape}). "
                      "This will likely lead to incorrect results due to broadcasting. Please ensure they have the "
                      "same size.", stacklevel=3)
    shape = broadcast_shapes(input.shape, target.shape)
    if not dt.promote_types(input.dtype, target.dtype).is_floating_point:
        _check_float(input if not input.dtype.is_floating_point else target, kernel)
    for extra, label in ((weight, "weight"), (pos_weight, "pos_weight")):
        if extra is not None:
            _check_tensor(extra, label, fn)
            if broadcast_shapes(extra.shape, shape) != tuple(shape):
                raise RuntimeError(f"The size of tensor a ({_sizes(extra.shape)}) must match the size of tensor b "
                                   f"({_sizes(shape)}) at non-singleton dimension")
            _no_grad_for(extra, label)
    if divisor is None:
        divisor = float(math.prod(shape))
    return _named(_Pointwise, name).apply(input, target, weight, pos_weight, code, reduction, float(p),
                                          float(divisor))


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """mean / sum / none of (input - target)^2, broadcasting with torch's warning."""
    reduction = _reduction(size_average, reduce, reduction)
    return _pointwise("mse_loss", "mse", _kl.MSE, "MseLossBackward0", input, target, reduction)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """mean / sum / none of |input - target|."""
    reduction = _reduction(size_average, reduce, reduction)
    name = {"mean": "MeanBackward0", "sum": "SumBackward0", "none": "AbsBackward0"}[reduction]
    return _pointwise("l1_loss", "abs", _kl.L1, name, input, target, reduction)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta (l1_loss when beta == 0)."""
    reduction = _reduction(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    if beta == 0:   # torch calls l1_loss
        name = {"mean": "MeanBackward0", "sum": "SumBackward0", "none": "AbsBackward0"}[reduction]
        return _pointwise("smooth_l1_loss", "abs", _kl.L1, name, input, target, reduction)
    return _pointwise("smooth_l1_loss", "smooth_l1", _kl.SMOOTH_L1, "SmoothL1LossBackward0", input, target,
                      reduction, p=beta)


def huber_loss(input, target, reduction="mean", delta=1.0):
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta)."""
    reduction = _reduction(None, None, reduction)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    return _pointwise("huber_loss", "huber", _kl.HUBER, "HuberLossBackward0", input, target, reduction, p=delta)


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """-w (y log x + (1 - y) log(1 - x)), logs clamped at -100 as torch."""
    reduction = _reduction(size_average, reduce, reduction)
    _check_tensor(input, "input", "binary_cross_entropy")
    _check_tensor(target, "target", "binary_cross_entropy")
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Using a target size ({target.shape}) that is different to the input size "
                         f"({input.shape}) is deprecated. Please ensure they have the same size.")
    if input.device.type == "cpu" and input.dtype.is_floating_point and input.numel():
        # torch checks in its kernel; on the host this costs nothing (cuda skips the copy).
        a = np.asarray(input.detach().numpy(), dtype=np.float64)
        if np.any(~((a >= 0) & (a <= 1))):
            raise RuntimeError("all elements of input should be between 0 and 1")
    return _pointwise("binary_cross_entropy", "binary_cross_entropy", _kl.BCE, "BinaryCrossEntropyBackward0",
                      input, target, reduction, weight=weight, size_warning=False)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    """(1 - y) x + (1 + (pos_weight - 1) y) log(1 + exp(-x)), in the stable form, times weight."""
    reduction = _reduction(size_average, reduce, reduction)
    _check_tensor(input, "input", "binary_cross_entropy_with_logits")
    _check_tensor(target, "target", "binary_cross_entropy_with_logits")
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Target size ({target.shape}) must be the same as input size ({input.shape})")
    return _pointwise("binary_cross_entropy_with_logits", "binary_cross_entropy_with_logits", _kl.BCE_LOGITS,
                      "BinaryCrossEntropyWithLogitsBackward0", input, target, reduction, weight=weight,
                      pos_weight=pos_weight, size_warning=False)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """Pointwise KL divergence target * (log target - input) (exp(target) * (target - input) with
    log_target); 'batchmean' divides the sum by the batch size, 'mean' by every element (warned)."""
    if size_average is not None or reduce is not None:
        reduction = _reduction(size_average, reduce, reduction)
    else:
        if reduction == "mean":
            warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                          "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                          "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                          stacklevel=2)
        reduction = _reduction(None, None, reduction, extra=("batchmean",))
    _check_tensor(input, "input", "kl_div")
    _check_tensor(target, "target", "kl_div")
    code = _kl.KL_DIV_LOG_TARGET if log_target else _kl.KL_DIV
    if reduction == "batchmean":
        divisor = float(input.shape[0]) if input.dim() else 1.0
        return _pointwise("kl_div", "kl_div", code, "DivBackward0", input, target, "mean", divisor=divisor,
                          size_warning=False)
    name = {"mean": "MeanBackward0", "sum": "SumBackward0",
            "none": "MulBackward0" if log_target else "SubBackward0"}[reduction]
    return _pointwise("kl_div", "kl_div", code, name, input, target, reduction, size_warning=False)


# ------------------------------------------------------------------------------ distances
def _ops():
    from ... import ops
    return ops


def _up(*ts):
    """fp16/bf16 tensors widened to fp32: these Functions compute with several tnn ops, and
    rounding each intermediate to 16 bits would cancel badly (x/|x| - x (x.g)/|x|^2)."""
    return tuple(t.to(dt.float32) if t.dtype in (dt.float16, dt.bfloat16) else t for t in ts)


class _CosineSimilarity(Function):
    _backward_name = "SumBackward1"

    @staticmethod
    def forward(ctx, x1, x2, dim, eps):
        ops = _ops()
        shape = broadcast_shapes(x1.shape, x2.shape)
        ctx.save_for_backward(x1, x2)
        ctx.meta = (shape, dim, eps)
        a, b = _up(x1.expand(*shape), x2.expand(*shape))
        r1 = ops.reduce.norm(a, 2, dim, keepdim=True)
        r2 = ops.reduce.norm(b, 2, dim, keepdim=True)
        n1, n2 = r1.clamp_min(eps), r2.clamp_min(eps)
        return ((a / n1) * (b / n2)).sum(dim).to(x1.dtype)

    @staticmethod
    def backward(ctx, grad):
        ops = _ops()
        x1, x2 = ctx.saved_tensors
        shape, dim, eps = ctx.meta
        a, b, grad = _up(x1.expand(*shape), x2.expand(*shape), grad)
        r1 = ops.reduce.norm(a, 2, dim, keepdim=True)
        r2 = ops.reduce.norm(b, 2, dim, keepdim=True)
        n1, n2 = r1.clamp_min(eps), r2.clamp_min(eps)
        cos = ((a / n1) * (b / n2)).sum(dim, keepdim=True)
        g = grad.unsqueeze(dim)
        u1 = ops.elementwise.where(r1 == 0, 0.0, a / r1)
        u2 = ops.elementwise.where(r2 == 0, 0.0, b / r2)
        d1 = d2 = None
        if ctx.needs_input_grad[0]:
            d1 = (g * (b / n2 - cos * u1) / n1).sum_to_size(x1.shape).to(x1.dtype)
        if ctx.needs_input_grad[1]:
            d2 = (g * (a / n1 - cos * u2) / n2).sum_to_size(x2.shape).to(x2.dtype)
        return d1, d2, None, None


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """sum over dim of (x1 / max(||x1||, eps)) * (x2 / max(||x2||, eps)), as torch computes it."""
    _check_tensor(x1, "x1", "cosine_similarity")
    _check_tensor(x2, "x2", "cosine_similarity")
    shape = broadcast_shapes(x1.shape, x2.shape)
    dim = normalize_dim(dim, len(shape))
    if not x1.dtype.is_floating_point or not x2.dtype.is_floating_point:
        common = dt.promote_types(x1.dtype, x2.dtype)
        common = common if common.is_floating_point else dt.get_default_dtype()
        x1, x2 = x1.to(common), x2.to(common)
    elif x1.dtype is not x2.dtype:
        common = dt.promote_types(x1.dtype, x2.dtype)
        x1, x2 = x1.to(common), x2.to(common)
    return _CosineSimilarity.apply(x1, x2, dim, float(eps))


def _pnorm_grad(d, nrm, p: float, dim: int):
    """d ||d||_p / d d given the keepdim norm (0 where the norm is 0), as torch's norm backward."""
    ops = _ops()
    where, sign = ops.elementwise.where, ops.elementwise.sign
    if p == 0:
        return ops.creation.zeros_like(d)
    if p == 1:
        return sign(d)
    if math.isinf(p):
        hit = (d.abs() == nrm).to(d.dtype)
        return sign(d) * hit / hit.sum(dim, keepdim=True)
    if p == 2:
        return where(nrm == 0, 0.0, d / nrm)
    v = sign(d) * d.abs() ** (p - 1) / nrm ** (p - 1)
    v = where(nrm == 0, 0.0, v)
    return where(d == 0, 0.0, v) if p < 1 else v


class _PairwiseDistance(Function):
    _backward_name = "NormBackward1"

    @staticmethod
    def forward(ctx, x1, x2, p, eps, keepdim):
        ops = _ops()
        ctx.save_for_backward(x1, x2)
        ctx.meta = (p, eps, keepdim)
        a, b = _up(x1, x2)
        d = a - b + eps
        out_dtype = dt.promote_types(x1.dtype, x2.dtype)
        if d.dim() == 0:
            return d.abs().to(out_dtype)
        return ops.reduce.norm(d, p, -1, keepdim=keepdim).to(out_dtype)

    @staticmethod
    def backward(ctx, grad):
        ops = _ops()
        x1, x2 = ctx.saved_tensors
        p, eps, keepdim = ctx.meta
        a, b, grad = _up(x1, x2, grad)
        d = a - b + eps
        if d.dim() == 0:
            gd = grad * ops.elementwise.sign(d)
        else:
            nrm = ops.reduce.norm(d, p, -1, keepdim=True)
            g = grad if keepdim else grad.unsqueeze(-1)
            gd = g * _pnorm_grad(d, nrm, p, -1)
        d1 = gd.sum_to_size(x1.shape).to(x1.dtype) if ctx.needs_input_grad[0] else None
        d2 = (-gd).sum_to_size(x2.shape).to(x2.dtype) if ctx.needs_input_grad[1] else None
        return d1, d2, None, None, None


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """||x1 - x2 + eps||_p over the last dim."""
    _check_tensor(x1, "x1", "pairwise_distance")
    _check_tensor(x2, "x2", "pairwise_distance")
    broadcast_shapes(x1.shape, x2.shape)
    _check_float(x1, "norm")
    _check_float(x2, "norm")
    return _PairwiseDistance.apply(x1, x2, float(p), float(eps), bool(keepdim))


class _Normalize(Function):
    _backward_name = "DivBackward0"

    @staticmethod
    def forward(ctx, input, p, dim, eps):
        ops = _ops()
        ctx.save_for_backward(input)
        ctx.meta = (p, dim, eps)
        (x,) = _up(input)
        nrm = ops.reduce.norm(x, p, dim, keepdim=True)
        return (x / nrm.clamp_min(eps)).to(input.dtype)

    @staticmethod
    def backward(ctx, grad):
        ops = _ops()
        (saved,) = ctx.saved_tensors
        p, dim, eps = ctx.meta
        x, grad = _up(saved, grad)
        nrm = ops.reduce.norm(x, p, dim, keepdim=True)
        den = nrm.clamp_min(eps)
        # d/dx (x / den) = (g - (g . y) d||x||/dx) / den with y = x / den; the norm term only
        # where the clamp is inactive. Subtracting at the scale of g, then dividing, keeps it exact
        # where the two terms cancel (a single-element dim gives 0).
        gy = ops.elementwise.where(nrm >= eps, (grad * (x / den)).sum(dim, keepdim=True), 0.0)
        dx = (grad - gy * _pnorm_grad(x, nrm, p, dim)) / den
        return dx.to(saved.dtype), None, None, None


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """input / max(||input||_p over dim, eps)."""
    _check_tensor(input, "input", "normalize")
    if out is not None:
        raise NotImplementedError("tnn.nn.functional.normalize: out= is not supported")
    _check_float(input, "norm")
    dim = normalize_dim(dim, input.dim())
    return _Normalize.apply(input, float(p), dim, float(eps))


def one_hot(tensor, num_classes=-1):
    """int64 one-hot encoding with a trailing dim of num_classes (inferred as max + 1 when -1)."""
    _check_tensor(tensor, "input", "one_hot")
    if tensor.dtype is not dt.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if tensor.numel() == 0:
        if num_classes == -1:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        if num_classes < -1:
            raise RuntimeError("num_classes should be positive")
    else:
        t = np.asarray(tensor.numpy())
        if t.min() < 0:
            raise RuntimeError("Class values must be non-negative.")
        if num_classes == -1:
            num_classes = int(t.max()) + 1
        elif num_classes < -1:
            raise RuntimeError("num_classes should be positive")
        elif t.max() >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    return _kl.one_hot(tensor.contiguous(), int(num_classes))


# ------------------------------------------------------------------------------ margin losses
# Composed of differentiable tnn ops (sums, norms, clamp, where): each is a handful of small
# elementwise passes over per-sample values, where a dedicated kernel would buy little.
def _apply_loss_reduction(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    """1 - cos(x1, x2) where target == 1, max(0, cos(x1, x2) - margin) where target == -1 (0
    elsewhere), cos over dim 1 of (N, D) inputs (dim 0 of (D,) inputs with a 0-d target), with
    torch's EPSILON = 1e-12 added to each squared magnitude."""
    reduction = _reduction(size_average, reduce, reduction)
    for name, x in (("input1", input1), ("input2", input2), ("target", target)):
        _check_tensor(x, name, "cosine_embedding_loss")
    targ_dim = target.dim()
    if targ_dim not in (0, 1):
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if targ_dim == 1:
        if input1.dim() != 2 or input2.dim() != 2:
            raise RuntimeError(f"1D target tensor expects 2D input tensors, but found inputs with sizes "
                               f"{_sizes(input1.shape)} and {_sizes(input2.shape)}.")
    elif input1.dim() != 1 or input2.dim() != 1:
        raise RuntimeError(f"0D target tensor expects 1D input tensors, but found inputs with sizes "
                           f"{_sizes(input1.shape)} and {_sizes(input2.shape)}.")
    _check_float(input1, "sum")
    ops = _ops()
    out_dtype = dt.promote_types(input1.dtype, input2.dtype)
    x1, x2 = _up(input1, input2)  # fp16/bf16 in fp32: the gradient is a difference of near-equal terms
    prod_sum = (x1 * x2).sum(targ_dim)
    mag_square1 = (x1 * x1).sum(targ_dim) + 1e-12
    mag_square2 = (x2 * x2).sum(targ_dim) + 1e-12
    denom = (mag_square1 * mag_square2).sqrt()
    cos = prod_sum / denom
    pos = 1 - cos
    neg = (cos - margin).clamp_min(0)
    output = ops.elementwise.where(target == 1, pos, 0.0) + ops.elementwise.where(target == -1, neg, 0.0)
    return _apply_loss_reduction(output, reduction).to(out_dtype)


def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    """max(0, -target * (input1 - input2) + margin), elementwise (broadcasting)."""
    reduction = _reduction(size_average, reduce, reduction)
    for name, x in (("input1", input1), ("input2", input2), ("target", target)):
        _check_tensor(x, name, "margin_ranking_loss")
    if input1.dim() != input2.dim() or input1.dim() != target.dim():
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension but got sizes: "
                           f"input1: {input1.size()}, input2: {input2.size()}, target: {target.size()} ")
    output = (-target * (input1 - input2) + margin).clamp_min(0)
    return _apply_loss_reduction(output, reduction)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False, size_average=None,
                        reduce=None, reduction="mean"):
    """max(0, margin + d(a, p) - d(a, n)) with d = pairwise_distance(., ., p, eps); with ``swap``,
    d(a, n) is replaced by min(d(a, n), d(p, n)) (Balntas et al., 2016)."""
    reduction = _reduction(size_average, reduce, reduction)
    for name, x in (("anchor", anchor), ("positive", positive), ("negative", negative)):
        _check_tensor(x, name, "triplet_margin_loss")
    a_dim, p_dim, n_dim = anchor.dim(), positive.dim(), negative.dim()
    if not (a_dim == p_dim and p_dim == n_dim):
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the same number of "
                           f"dimensions, but got: anchor {a_dim}D, positive {p_dim}D, and negative {n_dim}D inputs")
    dist_pos = pairwise_distance(anchor, positive, p, eps)
    dist_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        dist_swap = pairwise_distance(positive, negative, p, eps)
        dist_neg = _ops().elementwise.minimum(dist_neg, dist_swap)
    output = (margin + dist_pos - dist_neg).clamp_min(0)
    return _apply_loss_reduction(output, reduction)


# ------------------------------------------------------------------------------ likelihood losses
# Composed of differentiable tnn ops as torch composes them (ATen's poisson_nll_loss, Python's
# gaussian_nll_loss), in float32 for fp16/bf16 inputs (_up) and cast back at the end.
def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None,
                     reduction="mean"):
    """exp(input) - target * input (log_input), else input - target * log(input + eps); with
    ``full``, plus Stirling's target * log(target) - target + 0.5 log(2 pi target) where target > 1."""
    reduction = _reduction(size_average, reduce, reduction)
    _check_tensor(input, "input", "poisson_nll_loss")
    _check_tensor(target, "target", "poisson_nll_loss")
    broadcast_shapes(input.shape, target.shape)
    out_dtype = dt.promote_types(input.dtype, target.dtype)
    if not out_dtype.is_floating_point:
        _check_float(input, "exp")
    x, t = _up(input.to(out_dtype), target.to(out_dtype))
    if log_input:
        loss = x.exp() - t * x
    else:
        loss = x - t * (x + eps).log()
    if full:
        stirling = t * t.log() - t + 0.5 * (2 * math.pi * t).log()
        loss = loss + stirling.masked_fill(t <= 1, 0)
    return _apply_loss_reduction(loss, reduction).to(out_dtype)


def _var_shape_ok(in_shape, var_shape) -> bool:
    """torch's homoscedastic case: same rank, and the sizes of var where they differ from the
    input's add up to 1 (one dim of size 1, e.g. var (4, 1, 32, 32) for input (4, 3, 32, 32))."""
    return len(in_shape) == len(var_shape) and sum(v for i, v in zip(in_shape, var_shape) if i != v) == 1


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """0.5 (log(max(var, eps)) + (input - target)^2 / max(var, eps)) (+ 0.5 log(2 pi) with full).
    As torch, the clamp is applied without autograd: d loss / d var is taken at the clamped value
    and passed to var unchanged. var is input-shaped, input-shaped but for one size-1 dim, input's
    shape without the last dim, or a float."""
    _check_tensor(input, "input", "gaussian_nll_loss")
    _check_tensor(target, "target", "gaussian_nll_loss")
    if isinstance(var, (int, float)) and not isinstance(var, bool):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        from ...ops.creation import full_like
        var = full_like(input, float(var))
    else:
        _check_tensor(var, "var", "gaussian_nll_loss")
        if var.numel() and bool(np.any(np.asarray(var.detach().numpy()) < 0)):
            raise ValueError("var has negative entry/entries")
    if tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif not _var_shape_ok(tuple(input.shape), tuple(var.shape)):
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    out_dtype = dt.promote_types(dt.promote_types(input.dtype, target.dtype), var.dtype)
    x, t, v = _up(input, target, var)
    v = v.clone()
    from ...autograd.grad_mode import no_grad
    with no_grad():
        v.clamp_(min=eps)
    loss = 0.5 * (v.log() + (x - t) ** 2 / v)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _apply_loss_reduction(loss, reduction).to(out_dtype)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    """where(target != 1, max(0, margin - input), 0) + where(target != -1, input, 0), as ATen."""
    reduction = _reduction(size_average, reduce, reduction)
    _check_tensor(input, "input", "hinge_embedding_loss")
    _check_tensor(target, "target", "hinge_embedding_loss")
    where = _ops().elementwise.where
    margin_clamp = (margin - input).clamp_min(0)
    output = where(target != 1, margin_clamp, 0.0) + where(target != -1, input, 0.0)
    return _apply_loss_reduction(output, reduction)


def _not_differentiable(t, arg: str, fn: str):
    """torch's check_no_requires_grad for an argument its derivative formula leaves out."""
    if t is not None and t.requires_grad and is_grad_enabled():
        raise RuntimeError(f"The function '{fn}' is not differentiable with respect to argument '{arg}'. "
                           "This input cannot have requires_grad True.")


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """log(1 + exp(-target * input)) (in the overflow-free form), one fused kernel with its
    reduction; target broadcasts to input's shape and gets no gradient, as torch."""
    reduction = _reduction(size_average, reduce, reduction)
    _check_tensor(input, "input", "soft_margin_loss")
    _check_tensor(target, "target", "soft_margin_loss")
    shape = broadcast_shapes(input.shape, target.shape)
    if tuple(shape) != tuple(input.shape):
        raise RuntimeError(f"output with shape {_sizes(input.shape)} doesn't match the broadcast shape "
                           f"{_sizes(shape)}")
    _check_float(input, "exp")
    _not_differentiable(target, "target", "soft_margin_loss")
    if target.dtype is not input.dtype:
        target = target.to(input.dtype)
    return _pointwise("soft_margin_loss", "exp", _kl.SOFT_MARGIN, "SoftMarginLossBackward0", input, target,
                      reduction, size_warning=False)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """-(target * logsigmoid(input) + (1 - target) * logsigmoid(-input)) [* weight], averaged over
    the last (class) dim, then reduced over the rest -- torch's composition."""
    if size_average is not None or reduce is not None:
        reduction = _reduction(size_average, reduce, reduction)
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    _check_tensor(input, "input", "multilabel_soft_margin_loss")
    _check_tensor(target, "target", "multilabel_soft_margin_loss")
    if weight is not None:
        _check_tensor(weight, "weight", "multilabel_soft_margin_loss")
    if input.dim() < 1:
        raise IndexError("Dimension specified as -1 but tensor has no dimensions")
    from .activation import logsigmoid
    out_dtype = dt.promote_types(input.dtype, target.dtype)
    x, t = _up(input, target)
    loss = -(t * logsigmoid(x) + (1 - t) * logsigmoid(-x))
    if weight is not None:
        (w,) = _up(weight)
        loss = loss * w
        out_dtype = dt.promote_types(out_dtype, weight.dtype)
    class_dim = input.dim() - 1
    C = input.shape[class_dim]
    loss = loss.sum(class_dim) / C
    return _apply_loss_reduction(loss, reduction).to(out_dtype)


# ------------------------------------------------------------------------------ multi-class margin losses
def _as_rows(input: Tensor):
    """(N, C, (stride_n, stride_c)) of a 0-d / 1-d / 2-d input read as rows of classes."""
    if input.dim() == 0:
        return 1, 1, (0, 0)
    if input.dim() == 1:
        return 1, input.shape[0], (0, input.stride(0))
    return input.shape[0], input.shape[1], (input.stride(0), input.stride(1))


def _check_nonempty_rows(input: Tensor):
    nd = input.dim()
    if not ((nd == 2 and input.shape[1] != 0) or (nd == 1 and input.shape[0] != 0) or nd == 0):
        raise RuntimeError("Expected non-empty vector or matrix with optional 0-dim batch size, but got: "
                           f"{_sizes(input.shape)}")


def _check_long(target: Tensor):
    if target.dtype is not dt.int64:
        raise RuntimeError(f"expected scalar type Long but found {_TORCH_NAMES[target.dtype]}")


class _MultiMarginLoss(Function):
    _backward_name = "MultiMarginLossBackward0"

    @staticmethod
    def forward(ctx, input, target, weight, p, margin, reduction):
        from ...kernels import margin_loss as _mk
        N, C, xs = _as_rows(input)
        ts = target.stride(0) if target.dim() else 0
        ws = weight.stride(0) if weight is not None and weight.dim() else 0
        out = _mk.multi_margin_fwd(input, xs, target, ts, weight, ws, N, C, p=p, margin=margin,
                                   reduction=reduction)
        ctx.save_for_backward(input, target, weight)
        ctx.meta = (p, margin, reduction)
        if reduction == "none" and target.dim() == 0:
            out = out.reshape(())
        return out

    @staticmethod
    def backward(ctx, grad):
        from ...kernels import margin_loss as _mk
        input, target, weight = ctx.saved_tensors
        p, margin, reduction = ctx.meta
        N, C, xs = _as_rows(input)
        ts = target.stride(0) if target.dim() else 0
        ws = weight.stride(0) if weight is not None and weight.dim() else 0
        go_stride = grad.stride(0) if grad.dim() else 0
        scale = 1.0 / (N * C) if reduction == "mean" else 1.0 / C
        dx = _mk.multi_margin_bwd(grad, go_stride, input, xs, target, ts, weight, ws, N, C, p=p, margin=margin,
                                  scale=scale)
        return dx.reshape(input.shape), None, None, None, None, None


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None,
                      reduction="mean"):
    """Per row n with target y: sum_{c != y} w[y] max(0, margin - x[y] + x[c])^p / C (p = 1 or 2);
    input (N, C), (C,) or (); target (N,) / () int64 class indices. Fused Triton kernels."""
    reduction = _reduction(size_average, reduce, reduction)
    _check_tensor(input, "input", "multi_margin_loss")
    _check_tensor(target, "target", "multi_margin_loss")
    if p != 1 and p != 2:
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None:
        _check_tensor(weight, "weight", "multi_margin_loss")
        if weight.dim() != 1:
            raise ValueError("weight must be one-dimensional")
    _check_nonempty_rows(input)
    N, C, _ = _as_rows(input)
    if not (target.dim() <= 1 and target.numel() == N):
        raise RuntimeError(f"inconsistent target size, expected {N} but got {_sizes(target.shape)}")
    if weight is not None and not (weight.dim() <= 1 and weight.numel() == C):
        raise RuntimeError(f"inconsistent weight size, expected {C} but got {_sizes(weight.shape)}")
    _check_float(input, "multi_margin_loss")
    _check_long(target)
    if weight is not None and weight.dtype is not input.dtype:
        raise RuntimeError(f"expected scalar type {_TORCH_NAMES[input.dtype]} but found "
                           f"{_TORCH_NAMES[weight.dtype]}")
    if target.numel():
        t = np.asarray(target.numpy()).reshape(-1)
        if t.min() < 0 or t.max() >= C:
            raise RuntimeError("target out of range")
    _not_differentiable(weight, "weight", "multi_margin_loss")
    return _MultiMarginLoss.apply(input, target, weight, int(p), float(margin), reduction)


class _MultilabelMarginLoss(Function):
    _backward_name = "MultilabelMarginLossBackward0"

    @staticmethod
    def forward(ctx, input, target, reduction):
        from ...kernels import margin_loss as _mk
        N, C, xs = _as_rows(input)
        ts = _as_rows(target)[2]
        out, is_t = _mk.multilabel_margin_fwd(input, xs, target, ts, N, C, reduction=reduction)
        ctx.save_for_backward(input, target, is_t)
        ctx.meta = reduction
        if reduction == "none" and target.dim() <= 1:
            out = out.reshape(())
        return out

    @staticmethod
    def backward(ctx, grad):
        from ...kernels import margin_loss as _mk
        input, target, is_t = ctx.saved_tensors
        reduction = ctx.meta
        N, C, xs = _as_rows(input)
        ts = _as_rows(target)[2]
        go_stride = grad.stride(0) if grad.dim() else 0
        scale = 1.0 / (N * C) if reduction == "mean" else 1.0 / C
        dx = _mk.multilabel_margin_bwd(grad, go_stride, input, xs, target, ts, is_t, N, C, scale=scale)
        return dx.reshape(input.shape), None, None


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Per row: sum over the row's targets j (the class indices before the first -1) and the
    non-target classes c of max(0, 1 - x[j] + x[c]), / C. input (N, C), (C,) or (); target int64
    of input's shape. Fused Triton kernels."""
    reduction = _reduction(size_average, reduce, reduction)
    _check_tensor(input, "input", "multilabel_margin_loss")
    _check_tensor(target, "target", "multilabel_margin_loss")
    _check_nonempty_rows(input)
    N, C, _ = _as_rows(input)
    if input.dim() <= 1:
        ok = target.dim() <= 1 and target.numel() == C
    else:
        ok = target.dim() == 2 and tuple(target.shape) == (N, C)
    if not ok:
        raise RuntimeError(f"inconsistent target size: {_sizes(target.shape)} for input of size: "
                           f"{_sizes(input.shape)}")
    _check_float(input, "multilabel_margin_loss_forward_out_frame")
    _check_long(target)
    if target.numel():
        t = np.asarray(target.numpy())
        if t.min() < -1 or t.max() >= C:
            raise RuntimeError("argument #2 'target' is out of range")
    return _MultilabelMarginLoss.apply(input, target, reduction)


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None, margin=1.0,
                                      swap=False, reduction="mean"):
    """max(0, margin + d(a, p) - d(a, n)) with any differentiable ``distance_function``
    (default pairwise_distance); ``swap`` uses min(d(a, n), d(p, n)). torch's composition."""
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if margin <= 0:
        raise ValueError(f"TripletMarginWithDistanceLoss: expected margin to be greater than 0, got {margin} "
                         "instead")
    for name, x in (("anchor", anchor), ("positive", positive), ("negative", negative)):
        _check_tensor(x, name, "triplet_margin_with_distance_loss")
    a_dim, p_dim, n_dim = anchor.dim(), positive.dim(), negative.dim()
    if not (a_dim == p_dim and p_dim == n_dim):
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the same number of "
                           f"dimensions, but got: anchor {a_dim}D, positive {p_dim}D, and negative {n_dim}D inputs")
    if distance_function is None:
        distance_function = pairwise_distance
    dist_pos = distance_function(anchor, positive)
    dist_neg = distance_function(anchor, negative)
    if swap:
        dist_swap = distance_function(positive, negative)
        dist_neg = _ops().elementwise.minimum(dist_neg, dist_swap)
    loss = (margin + dist_pos - dist_neg).clamp_min(0)
    return _apply_loss_reduction(loss, reduction)
