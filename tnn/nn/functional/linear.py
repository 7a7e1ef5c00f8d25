"""F.linear, tnn's F.linear_act (linear + bias + activation fused into the GEMM epilogue) and
F.bilinear, with torch's signatures and errors.

Leading batch dims of the input fold into GEMM rows (a (B, T, C) input is one (B*T, C) GEMM;
``reshape`` makes a copy only when the dims cannot fold). Backward: dX = dZ @ W, dW = dZ^T @ X
over all rows at once, db from the pass that already reads dY (the activation-backward pass, or
the dW GEMM's row-sum output), all deterministic."""
from __future__ import annotations

from ... import backends
from ...autograd.function import Function
from ...kernels import linear as K
from ...runtime import dtypes as dt
from ...shape import contiguous_strides
from ...tensor import Tensor

__all__ = ["linear", "linear_act", "bilinear"]

_NAMES = {dt.float32: "Float", dt.float64: "Double", dt.float16: "Half", dt.bfloat16: "BFloat16",
          dt.int64: "Long", dt.int32: "Int", dt.int16: "Short", dt.int8: "Char", dt.uint8: "Byte",
          dt.bool_: "Bool"}
_ACTIVATIONS = {None: "none", "none": "none", "relu": "relu", "gelu": "gelu", "gelu_tanh": "gelu_tanh"}


def _numel(shape) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


class _Linear(Function):
    _backward_name = "AddmmBackward0"

    @staticmethod
    def forward(ctx, input, weight, bias, activation):
        Kd, N = input.shape[-1], weight.shape[0]
        lead = tuple(input.shape[:-1])
        M = _numel(lead)
        x2 = input.reshape(M, Kd)                                       # (M, K), a view when dims fold
        out = Tensor._empty((M, N), input.dtype, input.device)          # (M, N)
        keep_pre = activation in ("gelu", "gelu_tanh") and any(ctx.needs_input_grad[:3])
        pre = Tensor._empty((M, N), input.dtype, input.device) if keep_pre else None
        K.linear_fwd(x2, weight, bias, out, activation, pre, allow_tf32=backends.matmul.allow_tf32)
        ctx.activation = activation
        ctx.bias_shape = tuple(bias.shape) if bias is not None else None
        ctx.save_for_backward(input, weight, pre if keep_pre else out if activation == "relu" else None)
        shape = lead + (N,)
        return out._view(shape, contiguous_strides(shape))

    @staticmethod
    def backward(ctx, grad):
        input, weight, saved = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        Kd, N = input.shape[-1], weight.shape[0]
        M = _numel(input.shape[:-1])
        tf32 = backends.matmul.allow_tf32
        g = grad.reshape(M, N)                                           # (M, N) dY
        if g.dtype is not input.dtype:
            g = g.to(input.dtype)
        dz, db = g, None
        if ctx.activation != "none":
            dz = Tensor._empty((M, N), g.dtype, g.device)                # (M, N) dZ = dY * act'(Z)
            db = Tensor._empty((N,), g.dtype, g.device) if need_b else None
            K.linear_act_bwd(g, saved, dz, db, ctx.activation)
        elif need_b and (not need_w or Kd == 0):
            db = Tensor._empty((N,), g.dtype, g.device)
            K.bias_grad(g, db)
        dx = dw = None
        if need_x:
            dx = Tensor._empty((M, Kd), g.dtype, g.device)              # (M, K)
            K.linear_bwd_input(dz, weight, dx, allow_tf32=tf32)
            dx = dx._view(tuple(input.shape), contiguous_strides(input.shape))
        if need_w:
            dw = Tensor._empty((N, Kd), g.dtype, g.device)              # (N, K)
            fuse_db = need_b and db is None
            if fuse_db:
                db = Tensor._empty((N,), g.dtype, g.device)
            K.linear_bwd_weight(dz, input.reshape(M, Kd), dw, db if fuse_db else None, allow_tf32=tf32)
        if need_b and ctx.bias_shape != (N,):
            db = db.sum_to_size(ctx.bias_shape)
        return dx, dw, db, None


class _LinearNoBias(_Linear):
    _backward_name = "MmBackward0"


class _LinearAct(_Linear):
    _backward_name = "LinearActBackward0"   # tnn-specific: torch has no fused linear + activation


def _check(input, weight, bias, fn="linear"):
    for name, x in (("input", input), ("weight", weight)):
        if not isinstance(x, Tensor):
            raise TypeError(f"{fn}(): argument '{name}' must be Tensor, not {type(x).__name__}")
    if bias is not None and not isinstance(bias, Tensor):
        raise TypeError(f"{fn}(): argument 'bias' must be Tensor, not {type(bias).__name__}")
    if input.dim() == 0 or weight.dim() == 0:
        raise RuntimeError(f"both arguments to linear need to be at least 1D, but they are {input.dim()}D and "
                           f"{weight.dim()}D")
    if weight.dim() > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {weight.dim()}D")
    for x in (weight, bias):
        if x is not None and x.device != input.device:
            raise RuntimeError("Expected all tensors to be on the same device, but found at least two devices, "
                               f"{input.device} and {x.device}!")
    if input.dtype is not weight.dtype:
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got {_NAMES[input.dtype]} and "
                           f"{_NAMES[weight.dtype]}")
    if bias is not None and bias.dtype is not weight.dtype:
        raise RuntimeError(f"self and mat2 must have the same dtype, but got {_NAMES[bias.dtype]} and "
                           f"{_NAMES[weight.dtype]}")
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"\"addmm_impl\" not implemented for '{_NAMES[input.dtype]}'")
    k_w = weight.shape[-1]
    if input.shape[-1] != k_w:
        rows = _numel(input.shape[:-1])
        wt = "x".join(str(s) for s in reversed(weight.shape)) if weight.dim() == 2 else str(k_w)
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{input.shape[-1]} and {wt})")
    n = weight.shape[0] if weight.dim() == 2 else None
    if bias is not None and weight.dim() == 2 and bias.dim() <= 1 and bias.numel() not in (1, n):
        raise RuntimeError(f"The size of tensor a ({bias.shape[0]}) must match the size of tensor b ({n}) at "
                           f"non-singleton dimension {max(input.dim() - 1, 0)}")


def _linear(input, weight, bias, activation: str):
    if weight.dim() == 1:   # a vector weight: y = x . w (+ b), the last dim dropped, as torch.matmul
        y = _linear(input, weight.unsqueeze(0), None, "none").squeeze(-1)
        y = y + bias if bias is not None else y
        return _act(y, activation)
    if bias is not None and bias.dim() >= 2:   # a bias broadcast over rows too: GEMM, then add
        return _act(_linear(input, weight, None, "none") + bias, activation)
    fn = _LinearAct if activation != "none" else _Linear if bias is not None else _LinearNoBias
    return fn.apply(input, weight, bias, activation)


def _act(y, activation: str):
    if activation == "none":
        return y
    if activation == "relu":
        return y.relu()
    from . import gelu  # the activation family, on the rare unfused paths
    return gelu(y, approximate="tanh" if activation == "gelu_tanh" else "none")


def linear(input, weight, bias=None):
    """y = input @ weight^T + bias, weight (out_features, in_features) as torch's; input (*, in)."""
    _check(input, weight, bias)
    return _linear(input, weight, bias, "none")


def linear_act(input, weight, bias=None, activation=None):
    """tnn-specific: act(linear(input, weight, bias)) in one GEMM whose epilogue adds the bias and
    applies ``activation`` (None, 'relu', 'gelu' (erf) or 'gelu_tanh'); backward recomputes nothing
    but act' (from the saved output for relu, the saved pre-activation for the gelus)."""
    if activation not in _ACTIVATIONS:
        raise ValueError(f"linear_act: activation must be None, 'relu', 'gelu' or 'gelu_tanh', but got "
                         f"{activation!r}")
    _check(input, weight, bias, "linear_act")
    return _linear(input, weight, bias, _ACTIVATIONS[activation])


def bilinear(input1, input2, weight, bias=None):
    """y[..., o] = sum_ij input1[..., i] weight[o, i, j] input2[..., j] + bias[o], composed of a GEMM
    (input1 @ weight viewed as (I, O*J)), a product with input2 and a sum over j."""
    for name, x in (("input1", input1), ("input2", input2), ("weight", weight)):
        if not isinstance(x, Tensor):
            raise TypeError(f"bilinear(): argument '{name}' must be Tensor, not {type(x).__name__}")
    if input1.dim() != input2.dim():
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {input1.dim()} and {input2.dim()}")
    for i in range(input1.dim() - 1):
        if input1.shape[i] != input2.shape[i]:
            raise RuntimeError(f"bilinear(): input batch dimensions do not match: got {input1.shape[i]} and "
                               f"{input2.shape[i]}")
    if weight.dim() != 3:
        raise RuntimeError(f"bilinear(): weight must be 3-dimensional, but got {weight.dim()}D")
    if input1.shape[-1] != weight.shape[1]:
        raise RuntimeError(f"bilinear(): input1 size does not match weight size: got {input1.shape[-1]} but "
                           f"expected {weight.shape[1]}")
    if input2.shape[-1] != weight.shape[2]:
        raise RuntimeError(f"bilinear(): input2 size does not match weight size: got {input2.shape[-1]} but "
                           f"expected {weight.shape[2]}")
    if bias is not None and (bias.dim() != 1 or bias.shape[0] != weight.shape[0]):
        raise RuntimeError(f"bilinear(): bias size does not match weight size: got "
                           f"{bias.shape[0] if bias.dim() else 1} but expected {weight.shape[0]}")
    O, I, J = weight.shape
    lead = tuple(input1.shape[:-1])
    B = _numel(lead)
    w2 = weight.permute(1, 0, 2).reshape(I, O * J)                           # (I, O*J)
    t = _linear(input1.reshape(B, I), w2.t(), None, "none").reshape(B, O, J)  # (B, O, J)
    y = (t * input2.reshape(B, 1, J)).sum(-1)                                 # (B, O)
    if bias is not None:
        y = y + bias
    return y.reshape(lead + (O,))
