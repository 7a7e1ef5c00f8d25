"""F.conv1d/2d/3d and F.conv_transpose1d/2d/3d with torch's signatures, semantics and errors,
over the implicit-GEMM kernels of tnn/kernels/conv.py.

Every call is a 3-d problem to the kernels: (N, C, L) and (N, C, H, W) are viewed as
(N, C, 1, 1, L) and (N, C, 1, H, W) -- views, never copies. Unbatched inputs get a batch dim of
one (a differentiable unsqueeze) and lose it again. padding='same' pads d*(k-1) in total per dim,
the odd one on the right/bottom as torch; the kernels only need the leading padding (the output
size carries the rest), so no padded copy of the input is made.

    conv            forward: conv_fwd           dX: conv_bwd_input    dW, db: conv_bwd_weight
    conv_transpose  forward: conv_bwd_input     dX: conv_fwd          dW: conv_bwd_weight (x <-> dy)
                    db: a deterministic sum of dy over batch and space

Both autograd nodes are named ConvolutionBackward0, as torch's."""
from __future__ import annotations

from ... import backends
from ...autograd.function import Function
from ...kernels import conv as K
from ...runtime import dtypes as dt
from ...tensor import Tensor

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d"]

_SCALAR = {dt.float32: "Float", dt.float64: "Double", dt.float16: "Half", dt.bfloat16: "BFloat16",
           dt.int64: "Long", dt.int32: "Int", dt.int16: "Short", dt.int8: "Char", dt.uint8: "Byte", dt.bool_: "Bool"}


# --------------------------------------------------------------------------------- views
def _as5d(t, nd: int):
    """(N, C, *spatial) with nd spatial dims viewed as (N, C, D, H, W): leading unit dims."""
    pad = 3 - nd
    return t._view(tuple(t.shape[:2]) + (1,) * pad + tuple(t.shape[2:]),
                   tuple(t.stride()[:2]) + (0,) * pad + tuple(t.stride()[2:]))


def _as3(values, nd: int, fill: int):
    return (fill,) * (3 - nd) + tuple(values)


def _spatial_sum(g):
    """Sum of g (N, C, *spatial) over every dim but C (a deterministic reduction), as (C,)."""
    dims = (0,) + tuple(range(2, g.dim()))
    return g.sum(dims)


class _Conv(Function):
    _backward_name = "ConvolutionBackward0"

    @staticmethod
    def forward(ctx, input, weight, bias, stride, padding, dilation, groups, out_spatial):
        nd = input.dim() - 2
        geom = (_as3(stride, nd, 1), _as3(padding, nd, 0), _as3(dilation, nd, 1), groups)
        shape = (input.shape[0], weight.shape[0]) + tuple(out_spatial)
        y = Tensor._empty(shape, input.dtype, input.device)                     # (N, C_out, *out)
        if y.numel():
            K.conv_fwd(_as5d(input, nd), _as5d(weight, nd), bias, _as5d(y, nd), *geom,
                       allow_tf32=backends.matmul.allow_tf32)
        ctx.geom = geom
        ctx.save_for_backward(input, weight)
        return y

    @staticmethod
    def backward(ctx, grad):
        input, weight, nd, tf32, grad, g5 = _backward_operands(ctx, grad)
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        dx = dw = db = None
        if need_x:
            dx = Tensor._empty(input.shape, input.dtype, input.device)          # (N, C, *in)
            if dx.numel():
                K.conv_bwd_input(g5, _as5d(weight, nd), _as5d(dx, nd), *ctx.geom, allow_tf32=tf32)
        if need_w:
            dw = Tensor._empty(weight.shape, weight.dtype, weight.device)       # (C_out, C/groups, *k)
            fuse_b = need_b and dw.numel() > 0
            if fuse_b:
                db = Tensor._empty((weight.shape[0],), weight.dtype, weight.device)
            if dw.numel():
                K.conv_bwd_weight(_as5d(input, nd), g5, _as5d(dw, nd), db if fuse_b else None, *ctx.geom,
                                  allow_tf32=tf32)
        if need_b and db is None:
            db = _spatial_sum(grad)
        return dx, dw, db, None, None, None, None, None


def _backward_operands(ctx, grad):
    """What both convolutions' backward read: the saved input and weight, the spatial rank, the
    tf32 switch, grad in the input's dtype and grad as an (N, C_out, OD, OH, OW) view."""
    input, weight = ctx.saved_tensors
    nd = input.dim() - 2
    if grad.dtype is not input.dtype:
        grad = grad.to(input.dtype)
    return input, weight, nd, backends.matmul.allow_tf32, grad, _as5d(grad, nd)


class _ConvTranspose(Function):
    _backward_name = "ConvolutionBackward0"

    @staticmethod
    def forward(ctx, input, weight, bias, stride, padding, dilation, groups, out_spatial):
        nd = input.dim() - 2
        geom = (_as3(stride, nd, 1), _as3(padding, nd, 0), _as3(dilation, nd, 1), groups)
        shape = (input.shape[0], weight.shape[1] * groups) + tuple(out_spatial)
        y = Tensor._empty(shape, input.dtype, input.device)                     # (N, C_out, *out)
        if y.numel():
            K.conv_bwd_input(_as5d(input, nd), _as5d(weight, nd), _as5d(y, nd), *geom, bias=bias,
                             allow_tf32=backends.matmul.allow_tf32)
        ctx.geom = geom
        ctx.save_for_backward(input, weight)
        return y

    @staticmethod
    def backward(ctx, grad):
        input, weight, nd, tf32, grad, g5 = _backward_operands(ctx, grad)
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        dx = dw = db = None
        if need_x:   # the convolution of grad with the same weight
            dx = Tensor._empty(input.shape, input.dtype, input.device)          # (N, C_in, *in)
            if dx.numel():
                K.conv_fwd(g5, _as5d(weight, nd), None, _as5d(dx, nd), *ctx.geom, allow_tf32=tf32)
        if need_w:   # the convolution's weight gradient with grad as its input, input as its dy
            dw = Tensor._empty(weight.shape, weight.dtype, weight.device)       # (C_in, C_out/groups, *k)
            if dw.numel():
                K.conv_bwd_weight(g5, _as5d(input, nd), _as5d(dw, nd), None, *ctx.geom, allow_tf32=tf32)
        if need_b:
            db = _spatial_sum(grad)
        return dx, dw, db, None, None, None, None, None


# --------------------------------------------------------------------------------- checks
def _type_name(t) -> str:
    name = _SCALAR.get(t.dtype, str(t.dtype)) + "Tensor"
    return f"torch.cuda.{name}" if t.device.type == "cuda" else f"torch.{name}"


def _tuple(name: str, value, nd: int):
    if isinstance(value, int) and not isinstance(value, bool):
        return (value,) * nd
    if isinstance(value, (tuple, list)) and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        if len(value) == 1:
            return tuple(value) * nd
        if len(value) == nd:
            return tuple(value)
        raise RuntimeError(f"expected {name} to be a single integer value or a list of {nd} values to match the "
                           f"convolution dimensions, but got {name}={list(value)}")
    raise TypeError(f"argument '{name}' must be tuple of ints, not {type(value).__name__}")


def _check_common(fn: str, nd: int, input, weight, bias, stride, dilation, groups):
    for name, t in (("input", input), ("weight", weight)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{fn}(): argument '{name}' (position {1 if name == 'input' else 2}) must be Tensor, "
                            f"not {type(t).__name__}")
    if bias is not None and not isinstance(bias, Tensor):
        raise TypeError(f"{fn}(): argument 'bias' (position 3) must be Tensor, not {type(bias).__name__}")
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {fn}, but got input of "
                           f"size: {list(input.shape)}")
    if not isinstance(groups, int) or isinstance(groups, bool):
        raise TypeError(f"{fn}(): argument 'groups' must be int, not {type(groups).__name__}")
    stride, dilation = _tuple("stride", stride, nd), _tuple("dilation", dilation, nd)
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError("dilation should be greater than zero")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and (t.dtype is not input.dtype or t.device != input.device):
            raise RuntimeError(f"Input type ({_type_name(input)}) and {name} type ({_type_name(t)}) should be the same")
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"\"{fn}\" not implemented for '{_SCALAR[input.dtype]}'")
    return stride, dilation


def _batched(input, nd: int):
    """(input with a batch dim, whether one was added)."""
    if input.dim() == nd + 1:
        return input.unsqueeze(0), True
    return input, False


def _check_weight(input, weight, bias, groups, transposed: bool):
    """torch's check_shape_forward: weight rank, groups, channels, bias (input is batched)."""
    k = input.dim()
    if weight.dim() != k:
        raise RuntimeError(f"Expected {weight.dim()}-dimensional input for {weight.dim()}-dimensional weight "
                           f"{list(weight.shape)}, but got {k}-dimensional input of size {list(input.shape)} instead")
    if weight.shape[0] % groups != 0:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but got "
                           f"weight of size {list(weight.shape)} instead")
    tr = "transposed=1" if transposed else f"groups={groups}"
    expect = weight.shape[0] if transposed else weight.shape[1] * groups
    if input.shape[1] != expect:
        raise RuntimeError(f"Given {tr}, weight of size {list(weight.shape)}, expected input{list(input.shape)} to "
                           f"have {expect} channels, but got {input.shape[1]} channels instead")
    n_out = weight.shape[1] * groups if transposed else weight.shape[0]
    if bias is not None and (bias.dim() != 1 or bias.shape[0] != n_out):
        pre = "Given transposed=1, weight" if transposed else "Given weight"
        raise RuntimeError(f"{pre} of size {list(weight.shape)}, expected bias to be 1-dimensional with {n_out} "
                           f"elements, but got bias of size {list(bias.shape)} instead")


def _conv(fn: str, nd: int, input, weight, bias, stride, padding, dilation, groups):
    stride, dilation = _check_common(fn, nd, input, weight, bias, stride, dilation, groups)
    x, unbatched = _batched(input, nd)
    _check_weight(x, weight, bias, groups, transposed=False)
    ksize = tuple(weight.shape[2:])
    span = tuple(d * (k - 1) + 1 for d, k in zip(dilation, ksize))            # dilated kernel extent
    if isinstance(padding, str):
        if padding == "valid":
            lead = total = (0,) * nd
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            total = tuple(e - 1 for e in span)
            lead = tuple(t // 2 for t in total)                               # the odd one on the right
        else:
            raise RuntimeError(f"Invalid padding string: '{padding}'")
    else:
        lead = _tuple("padding", padding, nd)
        if any(p < 0 for p in lead):
            raise RuntimeError("negative padding is not supported")
        total = tuple(2 * p for p in lead)
    size = tuple(x.shape[2:])
    padded = tuple(i + t for i, t in zip(size, total))
    if any(p < e for p, e in zip(padded, span)):
        raise RuntimeError(f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). Kernel size: "
                           f"({' x '.join(map(str, span))}). Kernel size can't be greater than actual input size")
    out = tuple((p - e) // s + 1 for p, e, s in zip(padded, span, stride))
    y = _Conv.apply(x, weight, bias, stride, lead, dilation, groups, out)
    return y.squeeze(0) if unbatched else y


def _conv_transpose(fn: str, nd: int, input, weight, bias, stride, padding, output_padding, groups, dilation):
    stride, dilation = _check_common(fn, nd, input, weight, bias, stride, dilation, groups)
    if isinstance(padding, str):
        raise TypeError(f"{fn}(): argument 'padding' must be tuple of ints, not str")
    padding = _tuple("padding", padding, nd)
    output_padding = _tuple("output_padding", output_padding, nd)
    x, unbatched = _batched(input, nd)
    _check_weight(x, weight, bias, groups, transposed=True)
    if any(p < 0 for p in padding):
        raise RuntimeError("negative padding is not supported")
    if any(p < 0 for p in output_padding):
        raise RuntimeError("negative output_padding is not supported")
    if any(op >= s and op >= d for op, s, d in zip(output_padding, stride, dilation)):
        raise RuntimeError(f"output padding must be smaller than either stride or dilation, but got "
                           f"output_padding={output_padding}, stride={stride}, dilation={dilation}")
    size = tuple(x.shape[2:])
    out = tuple((i - 1) * s - 2 * p + d * (k - 1) + op + 1
                for i, s, p, d, k, op in zip(size, stride, padding, dilation, weight.shape[2:], output_padding))
    if any(o <= 0 for o in out):
        raise RuntimeError(f"Given input size per channel: ({' x '.join(map(str, size))}). Calculated output size per "
                           f"channel: ({' x '.join(map(str, out))}). Output size is too small")
    y = _ConvTranspose.apply(x, weight, bias, stride, padding, dilation, groups, out)
    return y.squeeze(0) if unbatched else y


# --------------------------------------------------------------------------------- API
def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-d convolution (cross-correlation) of input (N, C_in, L) or (C_in, L) with weight
    (C_out, C_in/groups, k); padding an int, a 1-tuple, 'same' or 'valid'."""
    return _conv("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-d convolution of input (N, C_in, H, W) or (C_in, H, W) with weight (C_out, C_in/groups, kH, kW)."""
    return _conv("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-d convolution of input (N, C_in, D, H, W) or (C_in, D, H, W) with weight
    (C_out, C_in/groups, kD, kH, kW)."""
    return _conv("conv3d", 3, input, weight, bias, stride, padding, dilation, groups)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Transposed 1-d convolution (the gradient of conv1d w.r.t. its input) of input (N, C_in, L)
    with weight (C_in, C_out/groups, k); L_out = (L-1)*stride - 2*padding + dilation*(k-1) + output_padding + 1."""
    return _conv_transpose("conv_transpose1d", 1, input, weight, bias, stride, padding, output_padding, groups,
                           dilation)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Transposed 2-d convolution of input (N, C_in, H, W) with weight (C_in, C_out/groups, kH, kW)."""
    return _conv_transpose("conv_transpose2d", 2, input, weight, bias, stride, padding, output_padding, groups,
                           dilation)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Transposed 3-d convolution of input (N, C_in, D, H, W) with weight (C_in, C_out/groups, kD, kH, kW)."""
    return _conv_transpose("conv_transpose3d", 3, input, weight, bias, stride, padding, output_padding, groups,
                           dilation)
