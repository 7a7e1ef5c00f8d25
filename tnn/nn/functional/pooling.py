"""Pooling: torch.nn.functional's max / average / adaptive / power-average pooling and
max-unpooling, over tnn/kernels/pool.py.

Every 2-d and 3-d pool is one Function over a 5-d view (N, C, D, H, W) of its input (unit D for
2-d, N = 1 when unbatched), read in place through its strides. 1-d pools are what torch makes of
them: the 2-d op on ``input.unsqueeze(-2)``, squeezed again (so their grad_fn is
SqueezeBackward1, as torch's). Outputs keep the input's memory format (channels-last in,
channels-last out) and the kernels walk them in memory order. adaptive_avg_pool2d/3d to a
single output position is a mean over the spatial dims, as in torch (grad_fn MeanBackward1).
lp_pool is composed from avg_pool exactly as torch writes it. Validation happens before any
launch and raises torch's messages.
"""
from __future__ import annotations

import numbers

from ...autograd.function import Function
from ...kernels import pool as K
from ...runtime import dtypes as dt
from ...tensor import Tensor

__all__ = [
    "max_pool1d", "max_pool2d", "max_pool3d", "max_pool1d_with_indices", "max_pool2d_with_indices",
    "max_pool3d_with_indices", "avg_pool1d", "avg_pool2d", "avg_pool3d", "adaptive_avg_pool1d",
    "adaptive_avg_pool2d", "adaptive_avg_pool3d", "adaptive_max_pool1d", "adaptive_max_pool2d",
    "adaptive_max_pool3d", "adaptive_max_pool1d_with_indices", "adaptive_max_pool2d_with_indices",
    "adaptive_max_pool3d_with_indices", "lp_pool1d", "lp_pool2d", "lp_pool3d", "max_unpool1d", "max_unpool2d",
    "max_unpool3d",
]

_NAMES = {dt.int64: "Long", dt.int32: "Int", dt.int16: "Short", dt.int8: "Char", dt.uint8: "Byte", dt.bool_: "Bool"}
_WORDS = {2: "two", 3: "three"}


# ------------------------------------------------------------------------------ argument helpers
def _ints(value, name: str = "") -> list:
    """An IntArrayRef argument: an int (or int-like) becomes [v], a sequence a list of ints."""
    if isinstance(value, bool) or value is None:
        raise TypeError(f"argument '{name}' must be tuple of ints, not {type(value).__name__}")
    if isinstance(value, numbers.Integral):
        return [int(value)]
    if isinstance(value, Tensor):
        return [int(v) for v in value.tolist()] if value.dim() else [int(value.item())]
    try:
        return [int(v) if isinstance(v, numbers.Integral) else _bad(v, name) for v in value]
    except TypeError:
        raise TypeError(f"argument '{name}' must be tuple of ints, not {type(value).__name__}") from None


def _bad(v, name):
    raise TypeError(f"argument '{name}' must be tuple of ints, but found element of type {type(v).__name__}")


def _expand(v: list, n: int) -> tuple:
    return tuple(v) if len(v) == n else tuple(v[:1]) * n


def _sizes(t) -> str:
    return "[" + ", ".join(str(s) for s in t.shape) + "]"


def _check_input(name: str, input):
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")


def _check_float(kernel: str, input):
    if not input.dtype.is_floating_point:
        raise RuntimeError(f'"{kernel}" not implemented for \'{_NAMES[input.dtype]}\'')


def _trunc_half(v: int) -> int:
    """C++'s v / 2 (truncating toward zero)."""
    return -((-v) // 2) if v < 0 else v // 2


def _output_shape(size: int, k: int, pad: int, stride: int, dilation: int, ceil_mode: bool) -> int:
    """ATen's pooling_output_shape (Pool.h), with its checks."""
    if stride == 0:
        raise RuntimeError("stride should not be zero")
    if pad < 0:
        raise RuntimeError(f"pad must be non-negative, but got pad: {pad}")
    if pad > _trunc_half((k - 1) * dilation + 1):
        raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={pad}, "
                           f"kernel_size={k} and dilation={dilation}")
    out = (size + 2 * pad - dilation * (k - 1) - 1 + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (out - 1) * stride >= size + pad:
        out -= 1
    return out


def _window_args(name: str, nd: int, kernel_size, stride, padding, dilation, avg3d: bool = False):
    """kernel / stride / padding / dilation as nd-tuples, with ATen's tuple-length messages."""
    w = _WORDS[nd]
    must = "must be" if avg3d else "must either be"
    k = _ints(kernel_size, "kernel_size")
    if len(k) not in (1, nd):
        raise RuntimeError(f"{name}: kernel_size {must} a single int, or a tuple of {w} ints")
    s = [] if stride is None else _ints(stride, "stride")
    if len(s) not in (0, 1, nd):
        raise RuntimeError(f"{name}: stride {must} omitted, a single int, or a tuple of {w} ints")
    p = _ints(padding, "padding")
    if len(p) not in (1, nd):
        raise RuntimeError(f"{name}: padding {must} a single int, or a tuple of {w} ints")
    d = [1] if dilation is None else _ints(dilation, "dilation")
    if len(d) not in (1, nd):
        raise RuntimeError(f"{name}: dilation must be either a single int, or a tuple of {w} ints")
    k = _expand(k, nd)
    s = k if not s else _expand(s, nd)
    return k, s, _expand(p, nd), _expand(d, nd)


def _shape_check(name: str, nd: int, x: Tensor, k, s, p, d, out, check_input_size: bool = False):
    """ATen's pool2d_shape_check / pool3d_shape_check."""
    if nd == 2:
        if not all(v > 0 for v in k):
            raise RuntimeError(f"kernel size should be greater than zero, but got kH: {k[0]} kW: {k[1]}")
        if not all(v > 0 for v in s):
            raise RuntimeError(f"stride should be greater than zero, but got dH: {s[0]} dW: {s[1]}")
        if not all(v > 0 for v in d):
            raise RuntimeError(f"dilation should be greater than zero, but got dilationH: {d[0]} dilationW: {d[1]}")
        sh = x.shape
        ok = x.shape[-3] != 0 and x.shape[-2] != 0 and x.shape[-1] != 0 and (x.dim() == 4 or sh[0] != 0)
        if not ok:
            raise RuntimeError("Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, "
                               f"but got:{_sizes(x)}")
        if not (k[1] // 2 >= p[1] and k[0] // 2 >= p[0]):
            raise RuntimeError(f"pad should be smaller than or equal to half of kernel size, but got padW = {p[1]}, "
                               f"padH = {p[0]}, kW = {k[1]}, kH = {k[0]}")
    else:
        if not all(v > 0 for v in k):
            raise RuntimeError(f"kernel size should be greater than zero, but got kT: {k[0]} kH: {k[1]} kW: {k[2]}")
        if not all(v > 0 for v in s):
            raise RuntimeError(f"stride should be greater than zero, but got dT: {s[0]} dH: {s[1]} dW: {s[2]}")
        if not all(v > 0 for v in d):
            raise RuntimeError(f"dilation should be greater than zero, but got dilationT: {d[0]} dilationH: {d[1]} "
                               f"dilationW: {d[2]}")
        for i in range(x.dim()):
            if x.dim() == 5 and i == 0:
                continue
            if x.shape[i] <= 0:
                raise RuntimeError(f"{name}(): Expected input's non-batch dimensions to have positive length, but "
                                   f"input has a shape of {_sizes(x)} and non-batch dimension {x.shape[i]} has "
                                   "length zero!")
        if check_input_size and not all(i >= kk for i, kk in zip(x.shape[-3:], k)):
            t, h, w_ = x.shape[-3:]
            raise RuntimeError(f"input image (T: {t} H: {h} W: {w_}) smaller than kernel size "
                               f"(kT: {k[0]} kH: {k[1]} kW: {k[2]})")
        if not all(kk // 2 >= pp for kk, pp in zip(k, p)):
            raise RuntimeError(f"pad should be smaller than or equal to half of kernel size, but got kT: {k[0]} "
                               f"kW: {k[2]} kH: {k[1]} padT: {p[0]} padW: {p[2]} padH: {p[1]}")
    if not all(o >= 1 for o in out):
        c = x.shape[-nd - 1]
        ins = "x".join(str(v) for v in (c,) + tuple(x.shape[-nd:]))
        outs = "x".join(str(v) for v in (c,) + tuple(out))
        raise RuntimeError(f"Given input size: ({ins}). Calculated output size: ({outs}). Output size is too small")


# ------------------------------------------------------------------------------ 5-d views
class _Geom:
    """How a pool sees its input: the user's layout (nd spatial dims, batched or not) and the
    window parameters as 3-tuples over (D, H, W)."""

    def __init__(self, x: Tensor, nd: int, out_spatial, k=(1,), s=(1,), p=(0,), d=(1,)):
        self.nd = nd
        self.batched = x.dim() == nd + 2
        self.in_shape = tuple(x.shape)
        lead = (1,) * (3 - nd)
        self.out_spatial = tuple(out_spatial)
        self.k = lead + tuple(k) if len(k) == nd else (1, 1, 1)
        self.s = lead + tuple(s) if len(s) == nd else (1, 1, 1)
        self.p = (0,) * (3 - nd) + tuple(p) if len(p) == nd else (0, 0, 0)
        self.d = lead + tuple(d) if len(d) == nd else (1, 1, 1)
        self.out_shape = tuple(x.shape[:-nd]) + self.out_spatial

    def view5(self, t: Tensor) -> Tensor:
        """t (user layout of this pool's input or output) as an (N, C, D, H, W) view."""
        shape, strides = list(t.shape), list(t.stride())
        if not self.batched:
            shape, strides = [1] + shape, [0] + strides
        if self.nd == 2:
            shape.insert(2, 1)
            strides.insert(2, 0)
        return t._view(shape, strides)

    def empty(self, spatial, dtype, device, channels_last: bool) -> tuple:
        """(user-layout tensor, its 5-d view) of a new contiguous / channels-last tensor."""
        user = tuple(self.in_shape[:-self.nd]) + tuple(spatial)
        n = 1
        for v in user:
            n *= v
        full = ((user[0] if self.batched else 1), user[-self.nd - 1]) + (1,) * (3 - self.nd) + tuple(spatial)
        N, C, D, H, W = full
        if channels_last:
            st5 = (D * H * W * C, 1, H * W * C, W * C, C)
        else:
            st5 = (C * D * H * W, D * H * W, H * W, W, 1)
        base = Tensor._empty((n,), dtype, device)
        v5 = base._view(full, st5, 0)
        keep = [i for i in range(5) if not (i == 0 and not self.batched) and not (i == 2 and self.nd == 2)]
        u = base._view(user, tuple(st5[i] for i in keep), 0)
        return u, v5


def _channels_last(x5: Tensor) -> bool:
    """The input's channels are its innermost dim (NHWC / NDHWC memory): walk and write that way."""
    N, C = x5.shape[:2]
    st = x5.stride()
    spatial = [abs(st[i]) for i in range(2, 5) if x5.shape[i] > 1]
    return C > 1 and bool(spatial) and abs(st[1]) < min(spatial)


# ------------------------------------------------------------------------------ Functions
class _MaxPool2d(Function):
    _backward_name = "MaxPool2DWithIndicesBackward0"

    @staticmethod
    def forward(ctx, x, g: _Geom, adaptive: bool, need_indices: bool):
        x5 = g.view5(x)
        cl = _channels_last(x5)
        y, y5 = g.empty(g.out_spatial, x.dtype, x.device, cl)
        keep = need_indices or any(ctx.needs_input_grad)
        idx, i5 = g.empty(g.out_spatial, dt.int64, x.device, cl) if keep else (None, None)
        if y.numel():
            k = g.k if not adaptive else tuple(K.adaptive_span(i, o) for i, o in zip(x5.shape[2:], y5.shape[2:]))
            K.pool_fwd(x5, y5, i5, k, g.s, g.p, g.d, is_max=True, adaptive=adaptive, channels_last=cl)
        ctx.g, ctx.adaptive, ctx.cl, ctx.x_dtype = g, adaptive, cl, x.dtype
        ctx.set_materialize_grads(False)
        if idx is not None:
            ctx.save_for_backward(idx)
            ctx.mark_non_differentiable(idx)
        return y, idx

    @staticmethod
    def backward(ctx, dy, _didx=None):
        if dy is None:
            return None, None, None, None
        (idx,) = ctx.saved_tensors
        g = ctx.g
        dx, dx5 = g.empty(g.in_shape[-g.nd:], ctx.x_dtype, dy.device, ctx.cl)
        if not dx.numel():
            pass
        elif not ctx.adaptive and K.scatter_backward_ok(g.k, g.s, g.d, dy.device):
            dx.zero_()   # disjoint windows: scatter the (fewer) outputs instead of gathering per input
            if dy.numel():
                K.max_pool_scatter_bwd(g.view5(dy), g.view5(idx), dx5, g.k, g.s, g.p, g.d, channels_last=ctx.cl)
        else:
            K.pool_bwd(g.view5(dy), g.view5(idx), dx5, g.k, g.s, g.p, g.d, is_max=True, adaptive=ctx.adaptive,
                       channels_last=ctx.cl)
        return dx, None, None, None


class _MaxPool3d(_MaxPool2d):
    _backward_name = "MaxPool3DWithIndicesBackward0"


class _AdaptiveMaxPool2d(_MaxPool2d):
    _backward_name = "AdaptiveMaxPool2DBackward0"


class _AdaptiveMaxPool3d(_MaxPool2d):
    _backward_name = "AdaptiveMaxPool3DBackward0"


class _AvgPool2d(Function):
    _backward_name = "AvgPool2DBackward0"

    @staticmethod
    def forward(ctx, x, g: _Geom, adaptive: bool, count_include_pad: bool, divisor):
        x5 = g.view5(x)
        cl = _channels_last(x5)
        y, y5 = g.empty(g.out_spatial, x.dtype, x.device, cl)
        k = g.k if not adaptive else tuple(K.adaptive_span(i, o) for i, o in zip(x5.shape[2:], y5.shape[2:]))
        if y.numel():
            K.pool_fwd(x5, y5, None, k, g.s, g.p, g.d, is_max=False, adaptive=adaptive,
                       count_include_pad=count_include_pad, divisor=divisor, channels_last=cl)
        ctx.g, ctx.k, ctx.adaptive, ctx.cip, ctx.div, ctx.cl, ctx.x_dtype = (
            g, k, adaptive, count_include_pad, divisor, cl, x.dtype)
        return y

    @staticmethod
    def backward(ctx, dy):
        g = ctx.g
        dx, dx5 = g.empty(g.in_shape[-g.nd:], ctx.x_dtype, dy.device, ctx.cl)
        if dx.numel():
            K.pool_bwd(g.view5(dy), None, dx5, ctx.k, g.s, g.p, g.d, is_max=False, adaptive=ctx.adaptive,
                       count_include_pad=ctx.cip, divisor=ctx.div, channels_last=ctx.cl)
        return dx, None, None, None, None


class _AvgPool3d(_AvgPool2d):
    _backward_name = "AvgPool3DBackward0"


class _AdaptiveAvgPool2d(_AvgPool2d):
    _backward_name = "AdaptiveAvgPool2DBackward0"


class _AdaptiveAvgPool3d(_AvgPool2d):
    _backward_name = "AdaptiveAvgPool3DBackward0"


def _unpool5(t: Tensor, nd: int) -> Tensor:
    """t ((N, C, *spatial) or unbatched (C, *spatial), nd = 2 or 3 spatial dims) as an
    (N, C, D, H, W) view; an inserted unit dim takes the stride a contiguous tensor would have."""
    shape, strides = list(t.shape), list(t.stride())
    if len(shape) == nd + 1:
        shape, strides = [1] + shape, [shape[0] * strides[0]] + strides
    if nd == 2:
        shape.insert(2, 1)
        strides.insert(2, shape[3] * strides[2])
    return t._view(shape, strides)


class _MaxUnpool2d(Function):
    _backward_name = "MaxUnpool2DBackward0"

    @staticmethod
    def forward(ctx, x, indices, out_size):
        nd = len(out_size)
        y = Tensor._empty(tuple(x.shape[:-nd]) + tuple(out_size), x.dtype, x.device)
        y.zero_()
        if x.numel() and y.numel():
            K.max_unpool_fwd(_unpool5(x, nd), _unpool5(indices, nd), _unpool5(y, nd))
        ctx.save_for_backward(indices)
        ctx.x_dtype, ctx.nd = x.dtype, nd
        return y

    @staticmethod
    def backward(ctx, dy):
        (indices,) = ctx.saved_tensors
        dx = Tensor._empty(tuple(indices.shape), ctx.x_dtype, dy.device)
        if not dx.numel():
            pass
        elif not dy.numel():
            dx.zero_()
        else:
            K.max_unpool_bwd(_unpool5(dy, ctx.nd), _unpool5(indices, ctx.nd), _unpool5(dx, ctx.nd))
        return dx, None, None


class _MaxUnpool3d(_MaxUnpool2d):
    _backward_name = "MaxUnpool3DBackward0"


# ------------------------------------------------------------------------------ max pooling
def _max_pool(nd: int, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    name = f"max_pool{nd}d"
    _check_input(name, input)
    k, s, p, d = _window_args(name, nd, kernel_size, stride, padding, dilation)
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(f"non-empty {nd + 1}D or {nd + 2}D (batch mode) tensor expected for input")
    _check_float(f"max_pool{nd}d" if nd == 3 else "max_pool2d", input)
    out = tuple(_output_shape(input.shape[-nd + i], k[i], p[i], s[i], d[i], ceil_mode) for i in range(nd))
    _shape_check(f"max_pool{nd}d", nd, input, k, s, p, d, out)
    g = _Geom(input, nd, out, k, s, p, d)
    fn = _MaxPool2d if nd == 2 else _MaxPool3d
    y, idx = fn.apply(input, g, False, bool(return_indices))
    return (y, idx) if return_indices else y


def _check_dim_range(name: str, input, lo: int, hi: int):
    if not lo <= input.dim() < hi:
        raise RuntimeError(f"Expected {lo}D to {hi - 1}D tensor, but got {input.dim()}D tensor for argument #1 "
                           f"'self' (while checking arguments for {name})")


def _check1d(name: str, arg: str, v: list):
    if len(v) != 1:
        raise RuntimeError(f"{name}() argument '{arg}' should contain one int (got {len(v)})")


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):
    _check_input("max_pool1d", input)
    k = _ints(kernel_size, "kernel_size")
    s = k if stride is None or (not isinstance(stride, numbers.Integral) and len(stride) == 0) \
        else _ints(stride, "stride")
    p, d = _ints(padding, "padding"), _ints(dilation, "dilation")
    _check_dim_range("max_pool1d", input, 2, 4)
    for arg, v in (("kernel_size", k), ("stride", s), ("padding", p), ("dilation", d)):
        _check1d("max_pool1d", arg, v)
    y, idx = _max_pool(2, input.unsqueeze(-2), (1, k[0]), (1, s[0]), (0, p[0]), (1, d[0]), ceil_mode, True)
    return y.squeeze(-2), idx.squeeze(-2)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """Max over windows of the last dim: (N, C, L) or (C, L)."""
    if return_indices:
        return max_pool1d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode)
    _check_input("max_pool1d", input)
    k = _ints(kernel_size, "kernel_size")
    s = k if stride is None or (not isinstance(stride, numbers.Integral) and len(stride) == 0) \
        else _ints(stride, "stride")
    p, d = _ints(padding, "padding"), _ints(dilation, "dilation")
    _check_dim_range("max_pool1d", input, 2, 4)
    for arg, v in (("kernel_size", k), ("stride", s), ("padding", p), ("dilation", d)):
        _check1d("max_pool1d", arg, v)
    y = _max_pool(2, input.unsqueeze(-2), (1, k[0]), (1, s[0]), (0, p[0]), (1, d[0]), ceil_mode, False)
    return y.squeeze(-2)


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):
    return _max_pool(2, input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """Max over (kH, kW) windows: (N, C, H, W) or (C, H, W); indices flat within each H*W plane."""
    return _max_pool(2, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):
    return _max_pool(3, input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """Max over (kT, kH, kW) windows: (N, C, D, H, W) or (C, D, H, W)."""
    return _max_pool(3, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


# ------------------------------------------------------------------------------ average pooling
def _avg_pool(nd: int, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override):
    name = f"avg_pool{nd}d"
    _check_input(name, input)
    k, s, p, _ = _window_args(name, nd, kernel_size, stride, padding, None, avg3d=nd == 3)
    if nd == 3 and input.dim() not in (4, 5):
        raise RuntimeError("non-empty 4D or 5D (batch mode) tensor expected for input")
    if divisor_override is not None and int(divisor_override) == 0:
        raise RuntimeError("divisor must be not zero")
    if nd == 2 and input.dim() not in (3, 4):
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, "
                           f"but got:{_sizes(input)}")
    _check_float(name, input)
    out = tuple(_output_shape(input.shape[-nd + i], k[i], p[i], s[i], 1, ceil_mode) for i in range(nd))
    _shape_check(f"{name}", nd, input, k, s, p, (1,) * nd, out, check_input_size=nd == 3)
    g = _Geom(input, nd, out, k, s, p, (1,) * nd)
    fn = _AvgPool2d if nd == 2 else _AvgPool3d
    return fn.apply(input, g, False, bool(count_include_pad),
                    None if divisor_override is None else int(divisor_override))


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """Average over windows of the last dim: (N, C, L) or (C, L)."""
    _check_input("avg_pool1d", input)
    k = _ints(kernel_size, "kernel_size")
    s = k if stride is None or (not isinstance(stride, numbers.Integral) and len(stride) == 0) \
        else _ints(stride, "stride")
    p = _ints(padding, "padding")
    _check_dim_range("avg_pool1d", input, 2, 4)
    for arg, v in (("kernel_size", k), ("stride", s), ("padding", p)):
        _check1d("avg_pool1d", arg, v)
    y = _avg_pool(2, input.unsqueeze(-2), (1, k[0]), (1, s[0]), (0, p[0]), ceil_mode, count_include_pad, None)
    return y.squeeze(-2)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """Average over (kH, kW) windows: (N, C, H, W) or (C, H, W)."""
    return _avg_pool(2, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """Average over (kT, kH, kW) windows: (N, C, D, H, W) or (C, D, H, W)."""
    return _avg_pool(3, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)


# ------------------------------------------------------------------------------ adaptive pooling
def _list_with_default(out_size, defaults):
    """torch.nn.functional's _list_with_default: None entries take the input's size."""
    if isinstance(out_size, numbers.Integral):
        return out_size
    out_size = list(out_size)
    if len(defaults) <= len(out_size):
        raise ValueError(f"Input dimension should be at least {len(out_size) + 1}")
    return [v if v is not None else d for v, d in zip(out_size, defaults[-len(out_size):])]


def _check_nonempty(name: str, input, first: int = 1):
    for i in range(first, input.dim()):
        if input.shape[i] <= 0:
            raise RuntimeError(f"{name}(): Expected input to have non-zero size for non-batch dimensions, but input "
                               f"has sizes {_sizes(input)} with dimension {i} being empty")


def _adaptive_avg(nd: int, input, output_size):
    name = f"adaptive_avg_pool{nd}d"
    _check_input(name, input)
    output_size = _list_with_default(output_size, tuple(input.shape))
    o = _ints(output_size, "output_size")
    if len(o) == 1 and isinstance(output_size, numbers.Integral):
        o = o * nd
    if len(o) != nd:
        raise RuntimeError(f"{name}: output_size must be {nd}")
    if any(v < 0 for v in o):
        raise RuntimeError(f"{name}: elements of output_size must be greater than or equal to 0 but received "
                           "{" + (", " if nd == 2 else ",").join(str(v) for v in o) + "}")
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(f"{name}(): Expected {nd + 1}D or {nd + 2}D tensor, but got {_sizes(input)}")
    _check_float(name, input)
    if all(v == 1 for v in o):  # torch: a mean over the spatial dims
        return input.mean(tuple(range(-1, -nd - 1, -1)), keepdim=True)
    for i in range(-nd, 0):
        if input.shape[i] <= 0:
            raise RuntimeError(f"{name}(): Expected input to have non-zero size for non-batch dimensions, but input "
                               f"has sizes {_sizes(input)} with dimension {i + input.dim()} being empty")
    g = _Geom(input, nd, tuple(o))
    fn = _AdaptiveAvgPool2d if nd == 2 else _AdaptiveAvgPool3d
    return fn.apply(input, g, True, True, None)


def adaptive_avg_pool1d(input, output_size):
    """Average over torch's adaptive windows [floor(i*L/out), ceil((i+1)*L/out)) of the last dim."""
    _check_input("adaptive_avg_pool1d", input)
    o = _ints(output_size, "output_size")
    _check_dim_range("adaptive_avg_pool1d", input, 2, 4)
    _check1d("adaptive_avg_pool1d", "output_size", o)
    return _adaptive_avg(2, input.unsqueeze(-2), (1, o[0])).squeeze(-2)


def adaptive_avg_pool2d(input, output_size):
    """Average over adaptive windows to (oH, oW) (None keeps that input size)."""
    return _adaptive_avg(2, input, output_size)


def adaptive_avg_pool3d(input, output_size):
    """Average over adaptive windows to (oT, oH, oW) (None keeps that input size)."""
    return _adaptive_avg(3, input, output_size)


def _adaptive_max(nd: int, input, output_size, return_indices):
    name = f"adaptive_max_pool{nd}d"
    _check_input(name, input)
    output_size = _list_with_default(output_size, tuple(input.shape))
    o = _ints(output_size, "output_size")
    if len(o) == 1 and isinstance(output_size, numbers.Integral):
        o = o * nd
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(f"{name}(): Expected {nd + 1}D or {nd + 2}D tensor, but got: {_sizes(input)}")
    _check_nonempty(name, input)
    if len(o) != nd:
        raise RuntimeError(f"{name}(): internal error: output_size.size() must be {nd}")
    if any(v < 0 for v in o):
        raise RuntimeError(f"{name}(): elements of output_size must be greater than or equal to 0")
    _check_float(name, input)
    g = _Geom(input, nd, tuple(o))
    fn = _AdaptiveMaxPool2d if nd == 2 else _AdaptiveMaxPool3d
    y, idx = fn.apply(input, g, True, bool(return_indices))
    return (y, idx) if return_indices else y


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=False):
    _check_input("adaptive_max_pool1d", input)
    o = _ints(output_size, "output_size")
    _check_dim_range("adaptive_max_pool1d", input, 2, 4)
    _check1d("adaptive_max_pool1d", "output_size", o)
    _check_nonempty("adaptive_max_pool1d", input)
    y, idx = _adaptive_max(2, input.unsqueeze(-2), (1, o[0]), True)
    return y.squeeze(-2), idx.squeeze(-2)


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """Max over adaptive windows of the last dim (indices as torch: flat in each plane)."""
    y, idx = adaptive_max_pool1d_with_indices(input, output_size)
    return (y, idx) if return_indices else y


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=False):
    return _adaptive_max(2, input, output_size, True)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max over adaptive windows to (oH, oW) (None keeps that input size)."""
    return _adaptive_max(2, input, output_size, return_indices)


def adaptive_max_pool3d_with_indices(input, output_size, return_indices=False):
    return _adaptive_max(3, input, output_size, True)


def adaptive_max_pool3d(input, output_size, return_indices=False):
    """Max over adaptive windows to (oT, oH, oW) (None keeps that input size)."""
    return _adaptive_max(3, input, output_size, return_indices)


# ------------------------------------------------------------------------------ power-average pooling
def _lp(out, norm_type, size):
    return (out.sign() * out.abs().relu()).mul(size).pow(1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """(sum over the window of x**p) ** (1/p), as torch computes it: from avg_pool1d of x**p."""
    if stride is not None:
        out = avg_pool1d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    else:
        out = avg_pool1d(input.pow(norm_type), kernel_size, padding=0, ceil_mode=ceil_mode)
    return _lp(out, norm_type, kernel_size)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """(sum over the (kH, kW) window of x**p) ** (1/p), as torch computes it: from avg_pool2d of x**p."""
    kw, kh = _expand(_ints(kernel_size, "kernel_size"), 2) if isinstance(kernel_size, numbers.Integral) \
        else tuple(kernel_size)
    if stride is not None:
        out = avg_pool2d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    else:
        out = avg_pool2d(input.pow(norm_type), kernel_size, padding=0, ceil_mode=ceil_mode)
    return _lp(out, norm_type, kw * kh)


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """(sum over the (kT, kH, kW) window of x**p) ** (1/p), from avg_pool3d of x**p."""
    kd, kw, kh = _expand(_ints(kernel_size, "kernel_size"), 3) if isinstance(kernel_size, numbers.Integral) \
        else tuple(kernel_size)
    if stride is not None:
        out = avg_pool3d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    else:
        out = avg_pool3d(input.pow(norm_type), kernel_size, padding=0, ceil_mode=ceil_mode)
    return _lp(out, norm_type, kd * kw * kh)


# ------------------------------------------------------------------------------ max unpooling
def _tuple_n(x, n: int) -> tuple:
    if isinstance(x, numbers.Integral):
        return (int(x),) * n
    return tuple(int(v) for v in x)


def _unpool_output_size(input, kernel_size, stride, padding, output_size):
    """torch.nn.functional._unpool_output_size."""
    input_size = input.shape
    default = [(input_size[-len(kernel_size) + d] - 1) * stride[d] + kernel_size[d] - 2 * padding[d]
               for d in range(len(kernel_size))]
    if output_size is None:
        return default
    if len(output_size) == len(kernel_size) + 2:   # kept as given (torch's message prints it as such)
        output_size = output_size[2:]
    if len(output_size) != len(kernel_size):
        raise ValueError("output_size should be a sequence containing "
                         f"{len(kernel_size)} or {len(kernel_size) + 2} elements, but it has a length of "
                         f"'{len(output_size)}'")
    for d in range(len(kernel_size)):
        lo, hi = default[d] - stride[d], default[d] + stride[d]
        if not lo < output_size[d] < hi:
            raise ValueError(f'invalid output_size "{output_size}" (dim {d} must be between {lo} and {hi})')
    return output_size


def _check_unpool_indices(input, indices, output_size):
    """torch's cpu kernel reports an index outside the output plane (cuda would assert); checking
    costs one host read. Skipped, as torch does, when the output is empty."""
    n = 1
    for v in output_size:
        n *= v
    if input.device.type != "cpu" or not indices.numel() or not n:
        return
    import numpy as np
    a = np.asarray(indices.numpy())
    bad = (a < 0) | (a >= n)
    if bad.any():
        raise RuntimeError(f"Found an invalid max index: {int(a[bad].flat[0])} (output volumes are of size "
                           + "x".join(str(v) for v in output_size))


def _check_same_device(input, indices):
    if input.device != indices.device:
        raise RuntimeError("Expected all tensors to be on the same device, but found at least two devices, "
                           f"{input.device} and {indices.device}!")


def _check_unpool_shapes(input, indices, nd):
    """ATen's shape checks shared by max_unpooling2d / 3d: indices shaped as the input, no empty
    non-batch dimension."""
    if tuple(input.shape) != tuple(indices.shape):
        raise RuntimeError(f"Expected shape of indices to be same as that of the input tensor ({_sizes(input)}) "
                           f"but got indices tensor with shape: {_sizes(indices)}")
    for i in range(1, input.dim()):
        if input.shape[i] <= 0:
            raise RuntimeError(f"max_unpooling{nd}d_forward_out_cpu(): Expected input to have non-zero size for "
                               f"non-batch dimensions, but got {_sizes(input)} with dimension {i} being empty.")


def _max_unpool2d(input, indices, output_size):
    if not isinstance(indices, Tensor) or indices.dtype is not dt.int64:
        got = indices.dtype if isinstance(indices, Tensor) else type(indices).__name__
        raise RuntimeError(f"elements in indices should be type int64 but got: {_NAMES.get(got, got)}")
    if len(output_size) != 2:
        raise RuntimeError("There should be exactly two elements (height, width) in output_size, but got "
                           f"{len(output_size)} elements.")
    if input.dim() not in (3, 4):
        raise RuntimeError("Input to max_unpooling2d should be a 3d or 4d Tensor, but got a tensor with "
                           f"{input.dim()} dimensions.")
    _check_unpool_shapes(input, indices, 2)
    _check_same_device(input, indices)
    size = tuple(int(v) for v in output_size)
    _check_unpool_indices(input, indices, size)
    return _MaxUnpool2d.apply(input, indices, size)


def _max_unpool3d(input, indices, output_size, stride, padding):
    """ATen's max_unpooling3d_shape_check, then the kernel."""
    if not isinstance(indices, Tensor) or indices.dtype is not dt.int64:
        raise RuntimeError("elements in indices should be type int64")
    if input.dim() not in (4, 5):
        raise RuntimeError("Input to max_unpooling3d should be a 4d or 5d Tensor, but got a tensor with "
                           f"{input.dim()} dimensions.")
    for what, v in (("output_size", output_size), ("stride", stride), ("padding", padding)):
        if len(v) != 3:
            sep = " " if what == "output_size" else ": "
            raise RuntimeError(f"There should be exactly three elements (depth, height, width) in {what}, but got"
                               f"{sep}{len(v)} elements.")
    _check_unpool_shapes(input, indices, 3)
    if not all(v > 0 for v in stride):
        raise RuntimeError("strides should be greater than zero, but got stride: ["
                           + ", ".join(str(v) for v in stride) + "]")
    _check_same_device(input, indices)
    size = tuple(int(v) for v in output_size)
    _check_unpool_indices(input, indices, size)
    return _MaxUnpool3d.apply(input, indices, size)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of max_pool1d: values placed at their indices, zeros elsewhere."""
    _check_input("max_unpool1d", input)
    kernel_size = _tuple_n(kernel_size, 1)
    stride = _tuple_n(stride, 1) if stride is not None else kernel_size
    padding = _tuple_n(padding, 1)
    size = list(_unpool_output_size(input, kernel_size, stride, padding, output_size)) + [1]
    return _max_unpool2d(input.unsqueeze(-1), indices.unsqueeze(-1), size).squeeze(-1)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of max_pool2d: values placed at their (flat H*W) indices, zeros elsewhere."""
    _check_input("max_unpool2d", input)
    kernel_size = _tuple_n(kernel_size, 2)
    stride = _tuple_n(stride, 2) if stride is not None else kernel_size
    padding = _tuple_n(padding, 2)
    size = _unpool_output_size(input, kernel_size, stride, padding, output_size)
    return _max_unpool2d(input, indices, size)


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of max_pool3d: values placed at their (flat D*H*W) indices, zeros elsewhere."""
    _check_input("max_unpool3d", input)
    kernel_size = _tuple_n(kernel_size, 3)
    stride = _tuple_n(stride, 3) if stride is not None else kernel_size
    padding = _tuple_n(padding, 3)
    size = _unpool_output_size(input, kernel_size, stride, padding, output_size)
    return _max_unpool3d(input, indices, size, stride, padding)
