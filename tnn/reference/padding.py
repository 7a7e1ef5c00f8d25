"""NumPy float64 reference for F.pad: ``ref.pad(input, pad, mode="constant", value=None)`` and
``ref.pad_backward(grad_output, input, pad, mode="constant", value=None)`` -> (d input,).

Direct loops over the output: output index o along a padded dim (pads before b, after a, input
size n) reads input index
    constant   o - b, or the fill value outside [0, n) (negative pads crop)
    reflect    o - b reflected about 0 and n - 1
    replicate  clamp(o - b, 0, n - 1)
    circular   the input cropped by the negative pads, wrapped by the positive ones:
               (o - max(b, 0)) mod n' + max(-b, 0), n' = n - max(-b, 0) - max(-a, 0).
The backward adds each output gradient into the input index it read (0 for fill positions).
Non-float inputs keep their dtype in the forward (the fill value cast to it).
"""
from __future__ import annotations

import numpy as np

__all__ = ["pad", "pad_backward"]


def _index(o, b, a, n, mode):
    """The input index output index o reads along one dim, or None for the fill value."""
    i = o - b
    if mode == "constant":
        return i if 0 <= i < n else None
    if mode == "reflect":
        if i < 0:
            i = -i
        if i >= n:
            i = 2 * (n - 1) - i
        return i
    if mode == "replicate":
        return min(max(i, 0), n - 1)
    crop = max(-b, 0)
    kept = n - crop - max(-a, 0)
    return (o - max(b, 0)) % kept + crop


def _plan(shape, pad):
    k = len(pad) // 2
    nd = len(shape)
    pads = [(0, 0)] * (nd - k) + [(pad[2 * (k - 1 - j)], pad[2 * (k - 1 - j) + 1]) for j in range(k)]
    out_shape = tuple(s + b + a for s, (b, a) in zip(shape, pads))
    return pads, out_shape


def _sources(shape, pad, mode):
    """(output index, input index or None) for every output element."""
    pads, out_shape = _plan(shape, pad)
    for o in np.ndindex(*out_shape):
        src = tuple(_index(oi, b, a, n, mode) for oi, (b, a), n in zip(o, pads, shape))
        yield o, (None if any(s is None for s in src) else src)


def pad(input, pad, mode="constant", value=None):
    x = np.asarray(input)
    floating = x.dtype.kind == "f" or x.dtype.name == "bfloat16"
    xs = x.astype(np.float64) if floating else x
    _, out_shape = _plan(x.shape, pad)
    fill = 0.0 if value is None else value
    y = np.zeros(out_shape, dtype=xs.dtype)
    for o, src in _sources(x.shape, pad, mode):
        y[o] = xs[src] if src is not None else fill
    return y


def pad_backward(grad_output, input, pad, mode="constant", value=None):
    x = np.asarray(input)
    g = np.asarray(grad_output, dtype=np.float64)
    dx = np.zeros(x.shape)
    for o, src in _sources(x.shape, pad, mode):
        if src is not None:
            dx[src] += g[o]
    return (dx,)
