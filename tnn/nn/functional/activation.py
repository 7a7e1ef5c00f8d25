"""Activations: torch.nn.functional's signatures over tnn/kernels/activation.py.

Each activation is one autograd Function around the elementwise kernel (the OP a constexpr),
forward directly above backward. What backward reads is what torch's derivative reads: the
output for relu, sigmoid, tanh and every in-place variant whose torch formula uses the result
(elu_, celu_, selu_, leaky_relu_, hardtanh_, threshold_); the input otherwise (an in-place op of
that kind saves a copy of the input before overwriting it). grad_fn names are torch's.
Training-mode rrelu has its own Function and kernels: random per-element slopes from tnn's
Philox generator, regenerated in backward from the saved (seed, offset) rather than stored.
"""
from __future__ import annotations

from ...autograd.function import Function
from ...autograd.grad_mode import is_grad_enabled
from ...kernels import activation as K
from ...ops import random as _random
from ...ops.copying import _check_writable_overlap
from ...ops.creation import zeros
from ...runtime import dtypes as dt
from ...shape import coalesce, normalize_dim
from ...tensor import Tensor

__all__ = [
    "relu", "relu_", "relu6", "leaky_relu", "leaky_relu_", "elu", "elu_", "selu", "selu_", "celu", "celu_",
    "gelu", "silu", "mish", "sigmoid", "logsigmoid", "tanh", "hardtanh", "hardtanh_", "hardsigmoid", "hardswish",
    "softplus", "softsign", "softshrink", "hardshrink", "tanhshrink", "threshold", "threshold_", "glu", "prelu",
    "rrelu", "rrelu_",
]

_TORCH_NAMES = {
    dt.float32: "Float", dt.float64: "Double", dt.float16: "Half", dt.bfloat16: "BFloat16", dt.int64: "Long",
    dt.int32: "Int", dt.int16: "Short", dt.int8: "Char", dt.uint8: "Byte", dt.bool_: "Bool",
}
SELU_ALPHA, SELU_SCALE = K.SELU_ALPHA, K.SELU_SCALE
# torch's refusals (raised in backward) for in-place variants whose result cannot give the gradient.
_LEAKY_INPLACE_MSG = (
    "In-place leakyReLu backward calculation is triggered with a negative slope which is not supported. This is "
    "caused by calling in-place forward function with a negative slope, please call out-of-place version instead. "
    "File an issue at https://github.com/pytorch/pytorch if you do require supporting in-place leakRelu backward "
    "calculation with negative slope")
_ELU_INPLACE_MSG = (
    "In-place elu backward calculation is triggered with a negative slope which is not supported. This is caused "
    "by calling in-place forward function with a negative slope, please call out-of-place version instead.")


# ----------------------------------------------------------------------------- the Function
class _Activation(Function):
    """y = OP(x) elementwise (in place when ``inplace``). ``spec`` = (forward OP, backward OP,
    what backward reads: "input" or "result", None or the error backward must raise)."""

    @staticmethod
    def forward(ctx, x, spec, params, inplace):
        op, bwd_op, reads, ctx.refuse = spec
        saved = x
        if inplace:
            if reads == "input" and ctx.needs_input_grad[0]:
                saved = x.clone()  # the input is about to be overwritten
            y = x
        else:
            y = Tensor._empty(x.shape, x.dtype, x.device)
        if y.numel():
            sizes, (xs, ys) = coalesce(x.shape, x.stride(), y.stride())
            K.act_fwd(x, y, op, params, sizes, xs, ys)
        if inplace:
            x._version_bump()
            ctx.mark_dirty(x)
        ctx.op, ctx.params = bwd_op, params
        ctx.save_for_backward(y if reads == "result" else saved)
        return y

    @staticmethod
    def backward(ctx, dy):
        if ctx.refuse:
            raise RuntimeError(ctx.refuse)
        (s,) = ctx.saved_tensors
        dx = Tensor._empty(s.shape, s.dtype, s.device)
        if dx.numel():
            sizes, (ss, gs, ds) = coalesce(s.shape, s.stride(), dy.stride(), dx.stride())
            K.act_bwd(s, dy, dx, ctx.op, ctx.params, sizes, ss, gs, ds)
        return dx, None, None, None


_FUNCTIONS: dict = {}


def _function(name: str):
    """The _Activation subclass whose grad_fn prints as torch's ``name``."""
    fn = _FUNCTIONS.get(name)
    if fn is None:
        fn = _FUNCTIONS[name] = type(name.replace("Backward", "Fn"), (_Activation,), {"_backward_name": name})
    return fn


def _check_tensor(name: str, x):
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(x).__name__}")


def _check_float(kernel: str, x: Tensor):
    if not x.dtype.is_floating_point:
        dev = "cuda" if x.device.type == "cuda" else "cpu"
        raise RuntimeError(f'"{kernel}_{dev}" not implemented for \'{_TORCH_NAMES[x.dtype]}\'')


def _apply(name: str, x, op: str, params=(), *, inplace=False, bwd_op=None, reads="input", grad_name: str,
           ints=False, refuse=None):
    _check_tensor(name, x)
    if not (ints and x.dtype is not dt.bool_):
        _check_float(name, x)
    if inplace:
        _check_writable_overlap(x)
    spec = (op, bwd_op or op, reads, refuse)
    return _function(grad_name).apply(x, spec, tuple(float(p) for p in params), bool(inplace))


# ----------------------------------------------------------------------------- piecewise linear
def relu(input, inplace: bool = False):
    """max(x, 0); relu'(0) = 0. Integer inputs are allowed (as torch)."""
    return _apply("relu", input, "relu", inplace=inplace, reads="result", grad_name="ReluBackward0", ints=True)


def relu_(input):
    return relu(input, inplace=True)


def hardtanh(input, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False):
    """clamp(x, min_val, max_val); the gradient passes strictly inside (min_val, max_val)."""
    return _apply("hardtanh", input, "hardtanh", (min_val, max_val), inplace=inplace,
                  reads="result" if inplace else "input",
                  grad_name="HardtanhBackward1" if inplace else "HardtanhBackward0")


def hardtanh_(input, min_val: float = -1.0, max_val: float = 1.0):
    return hardtanh(input, min_val, max_val, inplace=True)


def relu6(input, inplace: bool = False):
    """hardtanh(x, 0, 6): gradient 0 at 0 and at 6."""
    return hardtanh(input, 0.0, 6.0, inplace)


def leaky_relu(input, negative_slope: float = 0.01, inplace: bool = False):
    """x if x > 0 else negative_slope * x; gradient negative_slope at 0."""
    return _leaky("leaky_relu", input, negative_slope, inplace, ("LeakyReluBackward0", "LeakyReluBackward1"))


def _leaky(name, input, negative_slope, inplace, grad_names):
    refuse = _LEAKY_INPLACE_MSG if inplace and negative_slope < 0 else None
    return _apply(name, input, "leaky_relu", (negative_slope,), inplace=inplace,
                  reads="result" if inplace else "input", grad_name=grad_names[inplace], refuse=refuse)


def leaky_relu_(input, negative_slope: float = 0.01):
    return leaky_relu(input, negative_slope, inplace=True)


def _threshold(input, th: float, value: float, inplace: bool):
    return _apply("threshold", input, "threshold", (th, value), inplace=inplace,
                  reads="result" if inplace else "input",
                  grad_name="ThresholdBackward1" if inplace else "ThresholdBackward0")


def threshold(input, threshold: float, value: float, inplace: bool = False):
    """value if x <= threshold else x; the gradient is 0 where x <= threshold (threshold_ tests the
    result instead of the input, as torch's ThresholdBackward1)."""
    return _threshold(input, threshold, value, inplace)


def threshold_(input, threshold: float, value: float):
    return _threshold(input, threshold, value, True)


def softshrink(input, lambd: float = 0.5):
    """x - lambd above lambd, x + lambd below -lambd, else 0; gradient 0 on [-lambd, lambd]."""
    _check_tensor("softshrink", input)
    if lambd < 0:
        raise RuntimeError(f"lambda must be greater or equal to 0, but found to be {float(lambd)}.")
    return _apply("softshrink", input, "softshrink", (lambd,), grad_name="SoftshrinkBackward0")


def hardshrink(input, lambd: float = 0.5):
    """0 on [-lambd, lambd], else x; gradient 0 on [-lambd, lambd]."""
    return _apply("hardshrink", input, "hardshrink", (lambd,), grad_name="HardshrinkBackward0")


def hardsigmoid(input, inplace: bool = False):
    """relu6(x + 3) / 6; gradient 1/6 strictly inside (-3, 3), 0 at the breakpoints."""
    return _apply("hardsigmoid", input, "hardsigmoid", inplace=inplace, grad_name="HardsigmoidBackward0")


def hardswish(input, inplace: bool = False):
    """x * relu6(x + 3) / 6; gradient 0 below -3, x / 3 + 1/2 on [-3, 3], 1 above."""
    return _apply("hardswish", input, "hardswish", inplace=inplace, grad_name="HardswishBackward0")


# ----------------------------------------------------------------------------- exponential family
def _elu(name, input, alpha, scale, input_scale, inplace, grad_names):
    return _apply(name, input, "elu", (alpha * scale, scale, input_scale), inplace=inplace,
                  bwd_op="elu_result" if inplace else "elu", reads="result" if inplace else "input",
                  grad_name=grad_names[1] if inplace else grad_names[0],
                  refuse=_ELU_INPLACE_MSG if inplace and alpha < 0 else None)


def elu(input, alpha: float = 1.0, inplace: bool = False):
    """x if x > 0 else alpha * (exp(x) - 1); gradient alpha at 0 (the x <= 0 branch)."""
    return _elu("elu", input, float(alpha), 1.0, 1.0, inplace, ("EluBackward0", "EluBackward1"))


def elu_(input, alpha: float = 1.0):
    return elu(input, alpha, inplace=True)


def selu(input, inplace: bool = False):
    """scale * elu(x, alpha) with torch's SELU constants."""
    return _elu("selu", input, SELU_ALPHA, SELU_SCALE, 1.0, inplace, ("EluBackward0", "EluBackward1"))


def selu_(input):
    return selu(input, inplace=True)


def celu(input, alpha: float = 1.0, inplace: bool = False):
    """x if x > 0 else alpha * (exp(x / alpha) - 1)."""
    _check_tensor("celu", input)
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError")
    return _elu("celu", input, float(alpha), 1.0, 1.0 / float(alpha), inplace, ("CeluBackward0", "CeluBackward1"))


def celu_(input, alpha: float = 1.0):
    return celu(input, alpha, inplace=True)


def gelu(input, approximate: str = "none"):
    """x * Phi(x) (erf form), or the tanh approximation with approximate='tanh'."""
    _check_tensor("gelu", input)
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    op = "gelu" if approximate == "none" else "gelu_tanh"
    return _apply("gelu", input, op, grad_name="GeluBackward0")


def silu(input, inplace: bool = False):
    """x * sigmoid(x)."""
    return _apply("silu", input, "silu", inplace=inplace, grad_name="SiluBackward0")


def mish(input, inplace: bool = False):
    """x * tanh(softplus(x))."""
    return _apply("mish", input, "mish", inplace=inplace, grad_name="MishBackward0")


def sigmoid(input):
    """1 / (1 + exp(-x)); backward from the result."""
    return _apply("sigmoid", input, "sigmoid", reads="result", grad_name="SigmoidBackward0")


def logsigmoid(input):
    """log(sigmoid(x)) = min(x, 0) - log1p(exp(-|x|))."""
    return _apply("log_sigmoid_forward", input, "logsigmoid", grad_name="LogSigmoidBackward0")


def tanh(input):
    """tanh(x); backward from the result."""
    return _apply("tanh", input, "tanh", reads="result", grad_name="TanhBackward0")


def softplus(input, beta: float = 1.0, threshold: float = 20.0):
    """log(1 + exp(beta * x)) / beta, or x where beta * x > threshold."""
    return _apply("softplus", input, "softplus", (beta, threshold), grad_name="SoftplusBackward0")


def softsign(input):
    """x / (1 + |x|) (torch composes it, so its grad_fn is DivBackward0)."""
    return _apply("softsign", input, "softsign", grad_name="DivBackward0")


def tanhshrink(input):
    """x - tanh(x) (torch composes it: SubBackward0)."""
    return _apply("tanhshrink", input, "tanhshrink", grad_name="SubBackward0")


# ----------------------------------------------------------------------------- GLU
class _Glu(Function):
    _backward_name = "GluBackward0"

    @staticmethod
    def forward(ctx, x, dim):
        out_shape = list(x.shape)
        out_shape[dim] //= 2
        y = Tensor._empty(out_shape, x.dtype, x.device)
        if y.numel():
            a, b = _halves(x, dim)
            sizes, st = coalesce(y.shape, a.stride(), b.stride(), y.stride())
            K.glu_fwd(a, b, y, sizes, *st)
        ctx.dim = dim
        ctx.save_for_backward(x)
        return y

    @staticmethod
    def backward(ctx, dy):
        (x,) = ctx.saved_tensors
        dx = Tensor._empty(x.shape, x.dtype, x.device)
        if dx.numel():
            a, b = _halves(x, ctx.dim)
            da, db = _halves(dx, ctx.dim)
            sizes, st = coalesce(dy.shape, a.stride(), b.stride(), dy.stride(), da.stride(), db.stride())
            K.glu_bwd(a, b, dy, da, db, sizes, *st)
        return dx, None


def _halves(x: Tensor, dim: int):
    """The two halves of x along dim, as views (no autograd bookkeeping)."""
    shape = list(x.shape)
    h = shape[dim] // 2
    shape[dim] = h
    return (x._view(shape, x.stride(), x._offset), x._view(shape, x.stride(), x._offset + h * x.stride(dim)))


def glu(input, dim: int = -1):
    """a * sigmoid(b) where a, b are the first and second halves of the input along ``dim``."""
    _check_tensor("glu", input)
    if input.dim() == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    dim = normalize_dim(dim, input.dim())
    if input.shape[dim] % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {dim} is size {input.shape[dim]}")
    _check_float("glu", input)
    return _Glu.apply(input, dim)


# ----------------------------------------------------------------------------- PReLU
def _prelu_layout(x: Tensor, w: Tensor):
    """(C, S, weight stride): x seen as (B, C, S) with C = size(1), or (1, 1, numel) for a single weight."""
    if w.numel() == 1:
        return 1, max(x.numel(), 1), 0
    C = x.shape[1]
    S = 1
    for s in x.shape[2:]:
        S *= s
    return C, S, w.stride()[0] if w.dim() else 0


class _Prelu(Function):
    _backward_name = "PreluKernelBackward0"

    @staticmethod
    def forward(ctx, x, w):
        y = Tensor._empty(x.shape, x.dtype, x.device)
        if y.numel():
            C, S, ws = _prelu_layout(x, w)
            sizes, (xs, ys) = coalesce(x.shape, x.stride(), y.stride())
            K.prelu_fwd(x, w, y, C, S, ws, sizes, xs, ys)
        ctx.save_for_backward(x, w)
        return y

    @staticmethod
    def backward(ctx, dy):
        x, w = ctx.saved_tensors
        need_dx, need_dw = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        C, S, ws = _prelu_layout(x, w)
        BS = x.numel() // C if C else 0
        dx = Tensor._empty(x.shape, x.dtype, x.device) if need_dx else None
        part = None
        if need_dw:
            _, _, n_split = K.prelu_plan(C, BS, x.device)
            part = Tensor._empty((C, n_split), dt.float32, x.device)  # (C, n_split)
        if x.numel():
            sizes, st = coalesce(x.shape, x.stride(), dy.stride(), *([dx.stride()] if need_dx else []))
            K.prelu_bwd(x, w, dy, dx if need_dx else x, part if need_dw else x, C, S, BS, ws, sizes, st[0], st[1],
                        st[-1], need_dx, need_dw)
        dw = None
        if need_dw:
            if x.numel():
                dw = part.sum(1) if w.numel() != 1 else part.sum()  # second, deterministic pass over the partials
                dw = dw.reshape(w.shape).to(w.dtype)
            else:
                dw = zeros(w.shape, dtype=w.dtype, device=w.device)
        return dx, dw


def prelu(input, weight):
    """x if x > 0 else weight[c] * x, c the channel (dim 1), or one shared weight; gradient
    weight at 0 (and no weight gradient there)."""
    _check_tensor("prelu", input)
    if not isinstance(weight, Tensor):
        raise TypeError(f"prelu(): argument 'weight' (position 2) must be Tensor, not {type(weight).__name__}")
    if input.dtype is not weight.dtype:
        raise RuntimeError(f"prelu: Type promoting not supported. Got {_TORCH_NAMES[input.dtype]} and "
                           f"{_TORCH_NAMES[weight.dtype]}")
    if weight.numel() != 1:
        if input.dim() == 0:
            raise RuntimeError("Not allow zero-dim input tensor.")
        channels = input.shape[1] if input.dim() > 1 else 1
        if channels != weight.numel():
            raise RuntimeError("Mismatch of parameter numbers and input channel size. Found parameter numbers = "
                               f"{weight.numel()} and channel size = {channels}.")
    if weight.dim() > 1:
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = {weight.dim()}")
    if input.device != weight.device:
        raise RuntimeError("Expected all tensors to be on the same device, but found at least two devices, "
                           f"{input.device} and {weight.device}!")
    _check_float("prelu", input)
    return _Prelu.apply(input, weight)


# ----------------------------------------------------------------------------- RReLU
class _RreluTrain(Function):
    """Training-mode RReLU: y = a * x where x <= 0 (a ~ U(lower, upper) per element), else x.
    Saves only (seed, offset, lower, upper) and the input -- or, in place, the result, whose sign
    is the input's while every slope is >= 0 (a copy of the input when lower < 0): backward
    regenerates the slopes from Philox instead of storing a noise tensor, as dropout does."""
    _backward_name = "RreluWithNoiseBackward0"

    @staticmethod
    def forward(ctx, x, lower, upper, inplace):
        seed, offset = _random.default_generator._reserve(x.numel())   # one counter per element
        saved = x
        if inplace:
            if lower < 0 and ctx.needs_input_grad[0]:
                saved = x.clone()  # a negative slope can flip the sign: keep the input
            y = x
        else:
            y = Tensor._empty(x.shape, x.dtype, x.device)
        if y.numel():
            sizes, (xs, ys) = coalesce(x.shape, x.stride(), y.stride())
            K.rrelu_fwd(x, y, seed, offset, lower, upper, sizes, xs, ys)
        if inplace:
            x._version_bump()
            ctx.mark_dirty(x)
        ctx.noise = (seed, offset, lower, upper)
        ctx.save_for_backward(y if saved is x and inplace else saved)
        return y

    @staticmethod
    def backward(ctx, dy):
        seed, offset, lower, upper = ctx.noise
        (s,) = ctx.saved_tensors
        dx = Tensor._empty(s.shape, s.dtype, s.device)
        if dx.numel():
            sizes, (ss, gs, ds) = coalesce(s.shape, s.stride(), dy.stride(), dx.stride())
            K.rrelu_bwd(s, dy, dx, seed, offset, lower, upper, sizes, ss, gs, ds)
        return dx, None, None, None


class _RreluTrainInplace(_RreluTrain):
    _backward_name = "RreluWithNoiseBackward1"


def rrelu(input, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False, inplace: bool = False):
    """Randomized leaky ReLU. Training: every element x <= 0 is multiplied by its own slope drawn
    uniformly from [lower, upper] (tnn's Philox generator, so ``tnn.manual_seed`` reproduces
    it; backward uses the same slopes). Evaluation: leaky_relu with the slope (lower + upper) / 2."""
    _check_tensor("rrelu", input)
    lower, upper = float(lower), float(upper)
    if not lower <= upper:
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")
    if not training:
        return _leaky("rrelu", input, (lower + upper) / 2, inplace,
                      ("RreluWithNoiseBackward0", "RreluWithNoiseBackward1"))
    _check_float("rrelu_with_noise_out", input)
    if inplace:
        _check_writable_overlap(input)
        if input.requires_grad and input.grad_fn is None and is_grad_enabled():   # before the data changes
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
    return (_RreluTrainInplace if inplace else _RreluTrain).apply(input, lower, upper, bool(inplace))


def rrelu_(input, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False):
    return rrelu(input, lower, upper, training, inplace=True)
