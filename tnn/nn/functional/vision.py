"""interpolate (and the deprecated upsample, upsample_nearest, upsample_bilinear), unfold / fold and
pixel_shuffle / pixel_unshuffle: torch.nn.functional's signatures over tnn/kernels/resample.py and
the strided copy kernel.

interpolate resolves size / scale_factor / recompute_scale_factor / align_corners exactly as torch's
Python code does, with its errors, then runs one Function per torch backward node
(UpsampleNearest{1,2,3}DBackward0, UpsampleNearestExact{1,2,3}DBackward0, UpsampleLinear1DBackward0,
UpsampleBilinear2DBackward0, UpsampleTrilinear3DBackward0, UpsampleBicubic2DBackward0, and for
antialias=True UpsampleBilinear2DAaBackward0 / UpsampleBicubic2DAaBackward0). mode="area" is adaptive
average pooling (F.adaptive_avg_pool{1,2,3}d, as torch). Bicubic copies the input when both output
sizes equal the input's (torch's CUDA special case: the launcher passes scale 1, for which the
cubic weights are exactly 0, 1, 0, 0); antialias has no such case (as torch's CUDA aa kernel: at
scale 1 its filters are the identity anyway). unfold / fold are im2col / col2im (Im2ColBackward0 /
Col2ImBackward0), each the other's backward. pixel_shuffle / pixel_unshuffle are one strided copy each, the other being
the backward.
"""
from __future__ import annotations

import math
import numbers
import warnings

from ...autograd.function import Function
from ...kernels import copy as KC
from ...kernels import resample as K
from ...runtime import dtypes as dt
from ...shape import coalesce, contiguous_strides
from ...tensor import Tensor

__all__ = ["interpolate", "upsample", "upsample_nearest", "upsample_bilinear", "unfold", "fold", "pixel_shuffle",
           "pixel_unshuffle"]

_NAMES = {dt.int64: "Long", dt.int32: "Int", dt.int16: "Short", dt.int8: "Char", dt.uint8: "Byte", dt.bool_: "Bool"}


def _acc(dtype):
    return dt.float64 if dtype is dt.float64 else dt.float32


def _sizes(shape) -> str:
    return "[" + ", ".join(str(s) for s in shape) + "]"


# ------------------------------------------------------------------------------ interpolate
class _Interpolate(Function):
    @staticmethod
    def forward(ctx, x, out_shape, mode, scales, align):
        y = Tensor._empty(out_shape, x.dtype, x.device)
        if y.numel():
            K.resample_fwd(x, y, mode, scales, align)
        ctx.args, ctx.in_shape, ctx.dtype = (mode, scales, align), tuple(x.shape), x.dtype
        return y

    @staticmethod
    def backward(ctx, g):
        dx = Tensor._empty(ctx.in_shape, ctx.dtype, g.device)
        if dx.numel():
            mode, scales, align = ctx.args
            K.resample_bwd(g, dx, mode, scales, align, _acc(ctx.dtype))
        return dx, None, None, None, None


class _InterpolateAA(Function):
    @staticmethod
    def forward(ctx, x, out_shape, kind, params):
        y = Tensor._empty(out_shape, x.dtype, x.device)
        if y.numel():
            K.aa_fwd(x, y, kind, params, _acc(x.dtype))
        ctx.args, ctx.in_shape, ctx.dtype = (kind, params), tuple(x.shape), x.dtype
        return y

    @staticmethod
    def backward(ctx, g):
        dx = Tensor._empty(ctx.in_shape, ctx.dtype, g.device)
        if dx.numel():
            kind, params = ctx.args
            K.aa_bwd(g, dx, kind, params, _acc(ctx.dtype))
        return dx, None, None, None


_AA_NODES = {kind: type(f"_{name}", (_InterpolateAA,), {"_backward_name": f"{name}Backward0"})
             for kind, name in (("bilinear", "UpsampleBilinear2DAa"), ("bicubic", "UpsampleBicubic2DAa"))}

_NODE_NAMES = {("nearest", 1): "UpsampleNearest1D", ("nearest", 2): "UpsampleNearest2D",
               ("nearest", 3): "UpsampleNearest3D", ("nearest-exact", 1): "UpsampleNearestExact1D",
               ("nearest-exact", 2): "UpsampleNearestExact2D", ("nearest-exact", 3): "UpsampleNearestExact3D",
               ("linear", 1): "UpsampleLinear1D", ("linear", 2): "UpsampleBilinear2D",
               ("linear", 3): "UpsampleTrilinear3D", ("bicubic", 2): "UpsampleBicubic2D"}
_NODES = {key: type(f"_{name}", (_Interpolate,), {"_backward_name": f"{name}Backward0"})
          for key, name in _NODE_NAMES.items()}


def _is_integer(x) -> bool:
    return isinstance(x, numbers.Integral) or (isinstance(x, Tensor) and not x.dtype.is_floating_point
                                               and x.numel() == 1)


def _check_sizes(x, out):
    """torch's upsample_{1,2,3}d_common_check."""
    k = len(out)
    ins = tuple(x.shape[2:])
    if all(s > 0 for s in ins) and all(o > 0 for o in out):
        return
    names = "DHW"[3 - k:]
    i = ", ".join(f"{n}: {s}" for n, s in zip(names, ins))
    o = ", ".join(f"{n}: {s}" for n, s in zip(names, out))
    if k == 1:
        raise RuntimeError(f"Input and output sizes should be greater than 0, but got input ({i}) and output ({o})")
    raise RuntimeError(f"Input and output sizes should be greater than 0, but got input ({i}) output ({o})")


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resample the spatial dims of an (N, C, *spatial) input to ``size`` or by ``scale_factor``."""
    if not isinstance(input, Tensor):
        raise TypeError(f"interpolate(): argument 'input' must be Tensor, not {type(input).__name__}")
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: "
                             "linear | bilinear | bicubic | trilinear")
    else:
        if align_corners is None:
            align_corners = False
    dim = input.dim() - 2
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    elif size is not None:
        scale_factors = None
        if isinstance(size, (list, tuple)):
            if len(size) != dim:
                raise ValueError(
                    "Input and output must have the same number of spatial dimensions, but got input with spatial "
                    f"dimensions of {list(input.shape[2:])} and output size of {size}. Please provide input tensor "
                    "in (N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) format.")
            if not all(_is_integer(v) for v in size):
                raise TypeError("expected size to be one of int or Tuple[int] or Tuple[int, int] or "
                                f"Tuple[int, int, int], but got size with types {[type(v) for v in size]}")
            output_size = [int(v) for v in size]
        else:
            output_size = [int(size) for _ in range(dim)]
    elif scale_factor is not None:
        output_size = None
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != dim:
                raise ValueError(
                    "Input and scale_factor must have the same number of spatial dimensions, but got input with "
                    f"spatial dimensions of {list(input.shape[2:])} and scale_factor of shape {scale_factor}. "
                    "Please provide input tensor in (N, C, d1, d2, ...,dK) format and scale_factor in "
                    "(s1, s2, ...,sK) format.")
            scale_factors = [float(v) for v in scale_factor]
        else:
            scale_factors = [float(scale_factor) for _ in range(dim)]
    else:
        raise ValueError("either size or scale_factor should be defined")
    if recompute_scale_factor is not None and recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if mode == "area" and output_size is None:
        recompute_scale_factor = True
    if recompute_scale_factor is not None and recompute_scale_factor:
        output_size = [math.floor(float(input.size(i + 2)) * scale_factors[i]) for i in range(dim)]
        scale_factors = None
    if antialias and not (mode in ("bilinear", "bicubic") and input.dim() == 4):
        raise ValueError("Anti-alias option is restricted to bilinear and bicubic modes and requires a 4-D tensor "
                         "as input")

    want = {"linear": 3, "bilinear": 4, "trilinear": 5, "bicubic": 4}
    if mode in ("nearest", "nearest-exact", "area") and input.dim() in (3, 4, 5):
        kind = mode
    elif mode in want and input.dim() == want[mode]:
        kind = mode
    else:
        for m, d in want.items():
            if mode == m and input.dim() in (3, 4, 5) and m != "bicubic":
                raise NotImplementedError(f"Got {input.dim()}D input, but {m} mode needs {d}D input")
        raise NotImplementedError(
            f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.dim()}D) for the modes: "
            f"nearest | linear | bilinear | bicubic | trilinear | area | nearest-exact (got {mode})")
    if kind == "area":
        from . import pooling
        return getattr(pooling, f"adaptive_avg_pool{dim}d")(input, output_size)
    # C++: the output size (truncated scale products) and the per-dim scales the kernels use
    if output_size is None:
        output_size = [int(float(input.shape[2 + i]) * scale_factors[i]) for i in range(dim)]
    scales_in = scale_factors if scale_factors is not None else [None] * dim
    nonbatch = 1
    for s in input.shape[1:]:
        nonbatch *= s
    if input.numel() == 0 and nonbatch == 0:
        raise RuntimeError(f"Non-empty {dim + 2}D data tensor expected but got a tensor with sizes "
                           f"{_sizes(input.shape)}")
    _check_sizes(input, output_size)
    kmode = "linear" if kind in ("linear", "bilinear", "trilinear") else kind
    if kmode in ("linear", "bicubic") and not input.dtype.is_floating_point:
        name = f"_upsample_{kind}2d_aa" if antialias else f"upsample_{kind}{dim}d_out_frame"
        raise RuntimeError(f"\"{name}\" not implemented for '{_NAMES[input.dtype]}'")
    align = bool(align_corners) if kmode in ("linear", "bicubic") else False
    out_shape = tuple(input.shape[:2]) + tuple(output_size)
    if antialias:
        params = tuple(K.aa_params(kind, input.shape[2 + i], output_size[i], align, scales_in[i], input.dtype)
                       for i in range(dim))
        return _AA_NODES[kind].apply(input, out_shape, kind, params)
    if kmode == "bicubic" and list(output_size) == list(input.shape[2:]):
        scales = (1.0, 1.0)  # torch copies: the cubic weights at scale 1 are exactly (0, 1, 0, 0)
    else:
        scales = tuple(K.scale_for(kmode, input.shape[2 + i], output_size[i], align, scales_in[i], input.dtype)
                       for i in range(dim))
    return _NODES[kmode, dim].apply(input, out_shape, kmode, scales, align)


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Deprecated alias of interpolate."""
    warnings.warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    """Deprecated: interpolate(..., mode='nearest')."""
    warnings.warn("`nn.functional.upsample_nearest` is deprecated. Use `nn.functional.interpolate` instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    """Deprecated: interpolate(..., mode='bilinear', align_corners=True)."""
    warnings.warn("`nn.functional.upsample_bilinear` is deprecated. Use `nn.functional.interpolate` instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# ------------------------------------------------------------------------------ unfold / fold
def _pair(v, name="kernel_size"):
    if isinstance(v, (list, tuple)):
        if len(v) == 1:
            return (int(v[0]), int(v[0]))
        return tuple(int(e) for e in v)
    return (int(v), int(v))


def _div_rtn(a, b):
    return a // b  # Python floors, as torch's div_rtn


def _common_checks(k, d, p, s, fold_first: bool):
    kc = (k[0] > 0 and k[1] > 0, f"kernel size should be greater than zero, but got kernel_height: {k[0]} "
          f"kernel_width: {k[1]}")
    dc = (d[0] > 0 and d[1] > 0, f"dilation should be greater than zero, but got dilation_height: {d[0]} "
          f"dilation_width: {d[1]}")
    pc = (p[0] >= 0 and p[1] >= 0, f"padding should be non-negative, but got pad_height: {p[0]} pad_width: {p[1]}")
    sc = (s[0] > 0 and s[1] > 0, f"stride should be greater than zero, but got stride_height: {s[0]} "
          f"stride_width: {s[1]}")
    for ok, msg in ((kc, sc, dc, pc) if fold_first else (kc, dc, pc, sc)):
        if not ok:
            raise RuntimeError(msg)


def _geometry(k, d, p, s, H, W):
    return (_div_rtn(H + 2 * p[0] - (d[0] * (k[0] - 1) + 1), s[0]) + 1,
            _div_rtn(W + 2 * p[1] - (d[1] * (k[1] - 1) + 1), s[1]) + 1)


def _batched(t, unbatched_dim: int):
    """A view of t with a leading batch dim of 1 when t has ``unbatched_dim`` dims."""
    return t._view((1,) + tuple(t.shape), (0,) + tuple(t.stride())) if t.dim() == unbatched_dim else t


def _unbatched(t):
    return t._view(tuple(t.shape[1:]), tuple(t.stride()[1:]))


class _Unfold(Function):
    _backward_name = "Im2ColBackward0"

    @staticmethod
    def forward(ctx, x, geom):
        k, d, p, s, blocks = geom
        x4 = _batched(x, 3)
        N, C = x4.shape[0], x4.shape[1]
        y = Tensor._empty((N, C * k[0] * k[1], blocks[0] * blocks[1]), x.dtype, x.device)
        if y.numel():
            K.unfold_fwd(x4, y, k, d, p, s, blocks)
        ctx.geom, ctx.in_shape, ctx.dtype = geom, tuple(x.shape), x.dtype
        return y if x.dim() == 4 else _unbatched(y)

    @staticmethod
    def backward(ctx, g):
        k, d, p, s, blocks = ctx.geom
        dx = Tensor._empty(ctx.in_shape, ctx.dtype, g.device)
        if dx.numel():
            K.unfold_bwd(_batched(g, 2), _batched(dx, 3), k, d, p, s, blocks, _acc(ctx.dtype))
        return dx, None


class _Fold(Function):
    _backward_name = "Col2ImBackward0"

    @staticmethod
    def forward(ctx, x, out_shape, geom):
        k, d, p, s, blocks = geom
        y = Tensor._empty(out_shape, x.dtype, x.device)
        if y.numel():
            K.unfold_bwd(_batched(x, 2), _batched(y, 3), k, d, p, s, blocks, _acc(x.dtype))
        ctx.geom, ctx.in_shape, ctx.dtype = geom, tuple(x.shape), x.dtype
        return y

    @staticmethod
    def backward(ctx, g):
        k, d, p, s, blocks = ctx.geom
        dx = Tensor._empty(ctx.in_shape, ctx.dtype, g.device)
        if dx.numel():
            K.unfold_fwd(_batched(g, 3), _batched(dx, 2), k, d, p, s, blocks)
        return dx, None, None


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """im2col: (N, C, H, W) -> (N, C * prod(kernel_size), L) sliding local blocks (or unbatched)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"im2col(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    k, d, p, s = _pair(kernel_size), _pair(dilation), _pair(padding), _pair(stride)
    _common_checks(k, d, p, s, fold_first=False)
    nd = input.dim()
    sh = input.shape
    if not ((nd == 3 and sh[0] and sh[1] and sh[2]) or (nd == 4 and sh[1] and sh[2] and sh[3])):
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other non-zero "
                           f"dimensions for input, but got: {_sizes(sh)}")
    H, W = sh[-2], sh[-1]
    blocks = _geometry(k, d, p, s, H, W)
    if blocks[0] < 1 or blocks[1] < 1:
        raise RuntimeError(
            f"Given input with spatial size ({H}, {H}), kernel_size=({k[0]}, {k[1]}), dilation=({d[0]}, {d[1]}), "
            f"padding=({p[0]}, {p[1]}), calculated shape of the array of sliding blocks as ({blocks[0]}, "
            f"{blocks[1]}), but its components must be at least one.")
    return _Unfold.apply(input, (k, d, p, s, blocks))


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """col2im: (N, C * prod(kernel_size), L) blocks summed back into (N, C, *output_size)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"col2im(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    o, k, d, p, s = _pair(output_size), _pair(kernel_size), _pair(dilation), _pair(padding), _pair(stride)
    _common_checks(k, d, p, s, fold_first=True)
    nd = input.dim()
    sh = input.shape
    if not ((nd == 2 and sh[0] and sh[1]) or (nd == 3 and sh[1] and sh[2])):
        raise RuntimeError("Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and non-zero "
                           f"dimensions for input, but got: {_sizes(sh)}")
    planes, length = sh[-2], sh[-1]
    if planes % (k[0] * k[1]):
        raise RuntimeError("Expected size of input's dimension 1 to be divisible by the product of kernel_size, but "
                           f"got input.size(1)={planes} and kernel_size=({k[0]}, {k[1]})")
    blocks = _geometry(k, d, p, s, o[0], o[1])
    desc = (f"Given output_size=({o[0]}, {o[1]}), kernel_size=({k[0]}, {k[1]}), dilation=({d[0]}, {d[1]}), "
            f"padding=({p[0]}, {p[1]}), stride=({s[0]}, {s[1]}), ")
    if length != blocks[0] * blocks[1]:
        raise RuntimeError(desc + "expected size of input's dimension 2 to match the calculated number of sliding "
                           f"blocks {blocks[0]} * {blocks[1]} = {blocks[0] * blocks[1]}, but got input.size(2)="
                           f"{length}.")
    if blocks[0] < 1 or blocks[1] < 1:
        raise RuntimeError(desc + f"calculated shape of the array of sliding blocks as ({blocks[0]}, {blocks[1]}), "
                           "which is too small (non-positive)")
    out_shape = ((sh[0],) if nd == 3 else ()) + (planes // (k[0] * k[1]), o[0], o[1])
    return _Fold.apply(input, out_shape, (k, d, p, s, blocks))


# ------------------------------------------------------------------------------ pixel (un)shuffle
def _shuffle_copy(x, r: int, up: bool):
    """One strided copy: pixel_shuffle (up) or pixel_unshuffle of x by r, into a new contiguous tensor."""
    *B, C, H, W = x.shape
    *bs, sc, shh, sw = x.stride()
    B, bs = tuple(B), tuple(bs)
    if up:
        c = C // (r * r)
        out_shape = B + (c, H * r, W * r)
        # read x as (B, c, H, i, W, j): channel c*r*r + i*r + j, pixel (h, w)
        sizes = B + (c, H, r, W, r)
        src = bs + (sc * r * r, shh, sc * r, sw, sc)
    else:
        h, w = H // r, W // r
        out_shape = B + (C * r * r, h, w)
        # read x as (B, C, i, j, h, w): pixel (h*r + i, w*r + j)
        sizes = B + (C, r, r, h, w)
        src = bs + (sc, shh, sw, shh * r, sw * r)
    y = Tensor._empty(out_shape, x.dtype, x.device)
    if y.numel():
        csizes, (cs, cd) = coalesce(sizes, src, contiguous_strides(sizes))
        KC.copy(x, y, csizes, cs, cd)
    return y


class _PixelShuffle(Function):
    _backward_name = "PixelShuffleBackward0"

    @staticmethod
    def forward(ctx, x, r):
        ctx.r = r
        return _shuffle_copy(x, r, True)

    @staticmethod
    def backward(ctx, g):
        return _shuffle_copy(g, ctx.r, False), None


class _PixelUnshuffle(Function):
    _backward_name = "PixelUnshuffleBackward0"

    @staticmethod
    def forward(ctx, x, r):
        ctx.r = r
        return _shuffle_copy(x, r, False)

    @staticmethod
    def backward(ctx, g):
        return _shuffle_copy(g, ctx.r, True), None


def pixel_shuffle(input, upscale_factor):
    """(*, C * r^2, H, W) -> (*, C, H * r, W * r)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"pixel_shuffle(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    r = int(upscale_factor)
    if input.dim() < 3:
        raise RuntimeError("pixel_shuffle expects input to have at least 3 dimensions, but got input with "
                           f"{input.dim()} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_shuffle expects a positive upscale_factor, but got {r}")
    c = input.shape[-3]
    if c % (r * r):
        raise RuntimeError("pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of "
                           f"upscale_factor, but input.size(-3)={c} is not divisible by {r * r}")
    return _PixelShuffle.apply(input, r)


def pixel_unshuffle(input, downscale_factor):
    """(*, C, H * r, W * r) -> (*, C * r^2, H, W)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"pixel_unshuffle(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    r = int(downscale_factor)
    if input.dim() < 3:
        raise RuntimeError("pixel_unshuffle expects input to have at least 3 dimensions, but got input with "
                           f"{input.dim()} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_unshuffle expects a positive downscale_factor, but got {r}")
    h, w = input.shape[-2], input.shape[-1]
    if h % r:
        raise RuntimeError("pixel_unshuffle expects height to be divisible by downscale_factor, but input.size(-2)="
                           f"{h} is not divisible by {r}")
    if w % r:
        raise RuntimeError("pixel_unshuffle expects width to be divisible by downscale_factor, but input.size(-1)="
                           f"{w} is not divisible by {r}")
    return _PixelUnshuffle.apply(input, r)
