"""pad: torch.nn.functional.pad's signature over tnn/kernels/padding.py.

mode="constant" pads (or, with negative pads, crops) any number of trailing dims; "reflect",
"replicate" and "circular" pad the last 1-3 dims of a (N, C, *) or (C, *) input, with torch's
checks and messages. One Function per torch backward node: ConstantPadNdBackward0 (CloneBackward0
when no pad is positive, as torch narrows and clones), ReflectionPad{1,2,3}DBackward0,
ReplicationPad{1,2,3}DBackward0 and CopySlices for circular (torch builds it with narrow/copy_).
"""
from __future__ import annotations

import numbers

from ...autograd.function import Function
from ...kernels import padding as K
from ...runtime import dtypes as dt
from ...tensor import Tensor

__all__ = ["pad"]


def _acc(dtype):
    return dt.float64 if dtype is dt.float64 else dt.float32


class _Pad(Function):
    @staticmethod
    def forward(ctx, x, before, out_shape, mode, value):
        y = Tensor._empty(out_shape, x.dtype, x.device)
        if y.numel():
            K.pad_fwd(x, y, before, mode, value)
        ctx.before, ctx.mode, ctx.in_shape, ctx.dtype = before, mode, tuple(x.shape), x.dtype
        return y

    @staticmethod
    def backward(ctx, g):
        dx = Tensor._empty(ctx.in_shape, ctx.dtype, g.device)
        if dx.numel():
            if g.numel():
                K.pad_bwd(g, dx, ctx.before, ctx.mode, _acc(ctx.dtype))
            else:
                dx.zero_()
        return dx, None, None, None, None


def _node(name):
    return type(f"_Pad_{name}", (_Pad,), {"_backward_name": name})


_CONSTANT = _node("ConstantPadNdBackward0")
_CLONE = _node("CloneBackward0")
_CIRCULAR = _node("CopySlices")
_NODES = {(m, k): _node(f"{n}Pad{k}DBackward0") for m, n in (("reflect", "Reflection"), ("replicate", "Replication"))
          for k in (1, 2, 3)}


def _sizes(shape) -> str:
    return "[" + ", ".join(str(s) for s in shape) + "]"


def _check_valid_input(x, k: int, pad):
    """torch's padding::check_valid_input<k>: (C, *) or (N, C, *) with only N allowed to be 0."""
    batch = x.dim() == k + 2
    dims = range(1, x.dim()) if batch else range(x.dim())
    if not all(x.shape[d] != 0 for d in dims):
        raise RuntimeError(f"Expected {k + 1}D or {k + 2}D (batch mode) tensor with possibly 0 batch size and other "
                           f"non-zero dimensions for input, but got: {_sizes(x.shape)}")


def _reflect_checks(x, k: int, pairs):
    _check_valid_input(x, k, pairs)
    first = x.dim() - k
    outs = []
    for j, (l, r) in enumerate(pairs):  # pairs in dim order (D, H, W)
        d = first + j
        n = x.shape[d]
        if not (l < n and r < n):
            arg = 4 + 2 * (k - 1 - j)
            raise RuntimeError(f"Argument #{arg}: Padding size should be less than the corresponding input dimension, "
                               f"but got: padding ({l}, {r}) at dimension {d} of input {_sizes(x.shape)}")
        outs.append(n + l + r)
    _too_small(x, k, outs, any_ok=k > 1)


def _too_small(x, k, outs, any_ok):
    names = "DHW"[3 - k:]
    ins = x.shape[x.dim() - k:]
    ok = (any(o >= 1 for o in outs) if any_ok else all(o >= 1 for o in outs)) and all(o >= 0 for o in outs)
    if not ok:
        i = ", ".join(f"{n}: {s}" for n, s in zip(names, ins))
        o = " ".join(f"{n}: {s}" for n, s in zip(names, outs))
        raise RuntimeError(f"input ({i}) is too small. Calculated output {o}")


def _replicate_checks(x, k: int, pairs):
    _check_valid_input(x, k, pairs)
    first = x.dim() - k
    _too_small(x, k, [x.shape[first + j] + l + r for j, (l, r) in enumerate(pairs)], any_ok=k > 1)


def _circular_checks(x, k: int, pairs):
    first = x.dim() - k
    for j, (l, r) in enumerate(pairs):
        n = x.shape[first + j]
        if not (l <= n and r <= n):
            raise RuntimeError("Padding value causes wrapping around more than once.")
        if n + l + r < 0:
            raise RuntimeError("Negative padding value is resulting in an empty dimension")
        kept = n - max(-l, 0) - max(-r, 0)
        if max(l, 0) > kept or max(r, 0) > kept:
            # torch would copy from not-yet-written output here; tnn refuses instead
            raise RuntimeError("Padding value causes wrapping around more than once.")


def pad(input, pad, mode="constant", value=None):
    """Pads the last len(pad) // 2 dims of ``input``: pad = (left_last, right_last, left_2nd_last, ...)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"pad(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    if not isinstance(pad, (list, tuple)) or not all(isinstance(p, numbers.Integral) and not isinstance(p, bool)
                                                     for p in pad):
        raise TypeError(f"pad(): argument 'pad' (position 2) must be tuple of ints, not {type(pad).__name__}")
    if mode not in K.MODES:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    pad = [int(p) for p in pad]
    ndim = input.dim()
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) > 2 * ndim:
        raise RuntimeError("Padding length should be less than or equal to two times the input dimension but got "
                           f"padding length {len(pad)} and input of dimension {ndim}")
    k = len(pad) // 2
    # pairs[j] = (before, after) of dim ndim - k + j
    pairs = [(pad[2 * (k - 1 - j)], pad[2 * (k - 1 - j) + 1]) for j in range(k)]
    if mode == "constant":
        for j, (l, r) in enumerate(pairs):
            d = ndim - k + j
            if input.shape[d] + l + r < 0:
                raise RuntimeError(f"The input size {input.shape[d]}, plus negative padding {l} and {r} resulted in a "
                                   f"negative output size, which is invalid. Check dimension {d} of your input.")
        cls = _CONSTANT if any(p > 0 for p in pad) else _CLONE
        fill = 0.0 if value is None else value
        if isinstance(fill, bool):
            fill = float(fill)
    else:
        if value is not None and value != 0:
            raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
        if not ((k == 1 and ndim in (2, 3)) or (k == 2 and ndim in (3, 4)) or (k == 3 and ndim in (4, 5))):
            raise NotImplementedError("Only 2D, 3D, 4D, 5D padding with non-constant padding are supported for now")
        if mode == "reflect":
            _reflect_checks(input, k, pairs)
            cls = _NODES["reflect", k]
        elif mode == "replicate":
            _replicate_checks(input, k, pairs)
            cls = _NODES["replicate", k]
        else:
            _circular_checks(input, k, pairs)
            cls = _CIRCULAR
        fill = 0.0
    before = [0] * (ndim - k) + [l for l, _ in pairs]
    out_shape = tuple(input.shape[:ndim - k]) + tuple(input.shape[ndim - k + j] + l + r
                                                      for j, (l, r) in enumerate(pairs))
    x = input
    if ndim == 0:  # pad=() on a 0-d tensor: a copy
        x = input.reshape(1)
        before, out_shape = [0], (1,)
        return cls.apply(x, before, out_shape, mode, float(fill)).reshape(())
    return cls.apply(x, before, out_shape, mode, float(fill))
