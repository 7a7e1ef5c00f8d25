"""NumPy references for the dropout family. Masks are not random here: a NumPy Philox4x32-10
(the generator tnn's kernels use, as Triton's ``tl.randint``) recomputes them from the (seed,
offset) a call reserved, so tests compare masks bit for bit. Forward ``ref.<op>(input, p,
training, *, seed, offset)`` and ``ref.<op>_backward(grad_output, input, p, training, *, seed,
offset)`` take F.<op>'s parameter names plus the Philox key and first counter."""
from __future__ import annotations

import numpy as np

__all__ = ["philox_uint32", "dropout_mask", "dropout", "dropout_backward", "feature_dropout",
           "feature_dropout_backward", "alpha_dropout", "alpha_dropout_backward", "feature_alpha_dropout",
           "feature_alpha_dropout_backward"]

ALPHA = 1.7580993408473766
_M32 = np.uint64(0xFFFFFFFF)


def philox_uint32(seed: int, counters) -> np.ndarray:
    """The first uint32 output of Philox4x32-10 keyed by the 64-bit ``seed`` at each 64-bit counter
    (Triton's randint: counter words (lo, hi, 0, 0), key words (seed lo, seed hi))."""
    ctr = np.asarray(counters, dtype=np.uint64)
    c0 = ctr & _M32
    c1 = ctr >> np.uint64(32)
    c2 = np.zeros_like(c0)
    c3 = np.zeros_like(c0)
    seed &= (1 << 64) - 1
    k0 = np.uint64(seed & 0xFFFFFFFF)
    k1 = np.uint64(seed >> 32)
    ra, rb = np.uint64(0xD2511F53), np.uint64(0xCD9E8D57)
    ka, kb = np.uint64(0x9E3779B9), np.uint64(0xBB67AE85)
    for _ in range(10):
        pa, pb = ra * c0, rb * c2                       # < 2**64: exact in uint64
        c0, c1, c2, c3 = ((pb >> np.uint64(32)) ^ c1 ^ k0, pb & _M32, (pa >> np.uint64(32)) ^ c3 ^ k1, pa & _M32)
        k0, k1 = (k0 + ka) & _M32, (k1 + kb) & _M32
    return c0.astype(np.uint32)


def dropout_mask(shape, p: float, seed: int, offset: int, channels: int | None = None) -> np.ndarray:
    """Bool keep-mask of ``shape``: one draw per element, or per channel (``channels`` draws, each
    shared by numel // channels consecutive row-major elements)."""
    n = int(np.prod(shape, dtype=np.int64))
    group = 1 if channels is None else max(1, n // max(channels, 1))
    draws = philox_uint32(seed, offset + np.arange(n, dtype=np.uint64) // np.uint64(group))
    thr = min(1 << 32, max(0, round(p * 4294967296.0)))
    return (draws.astype(np.int64) >= thr).reshape(shape)


def _coef(p, alpha):
    if p >= 1.0:
        return 0.0, 0.0, 0.0
    if alpha:
        a = 1.0 / np.sqrt((ALPHA * ALPHA * p + 1.0) * (1.0 - p))
        return a, ALPHA * a * p, ALPHA * a * (p - 1.0)
    return 1.0 / (1.0 - p), 0.0, 0.0


def _fwd(x, p, training, seed, offset, channels, alpha):
    x = np.asarray(x, dtype=np.float64)
    if not training or p == 0 or x.size == 0:
        return x.copy()
    keep = dropout_mask(x.shape, p, seed, offset, channels)
    s, k, d = _coef(p, alpha)
    return np.where(keep, x * s + k, d)


def _bwd(g, x, p, training, seed, offset, channels, alpha):
    g = np.asarray(g, dtype=np.float64)
    if not training or p == 0 or g.size == 0:
        return g.copy()
    keep = dropout_mask(g.shape, p, seed, offset, channels)
    return np.where(keep, g * _coef(p, alpha)[0], 0.0)


def dropout(input, p=0.5, training=True, *, seed, offset):
    return _fwd(input, p, training, seed, offset, None, False)


def dropout_backward(grad_output, input, p=0.5, training=True, *, seed, offset):
    return _bwd(grad_output, input, p, training, seed, offset, None, False)


def feature_dropout(input, p=0.5, training=True, *, channels, seed, offset):
    """Channel-wise dropout (dropout1d/2d/3d): ``channels`` = N*C (C when unbatched)."""
    return _fwd(input, p, training, seed, offset, channels, False)


def feature_dropout_backward(grad_output, input, p=0.5, training=True, *, channels, seed, offset):
    return _bwd(grad_output, input, p, training, seed, offset, channels, False)


def alpha_dropout(input, p=0.5, training=False, *, seed, offset):
    return _fwd(input, p, training, seed, offset, None, True)


def alpha_dropout_backward(grad_output, input, p=0.5, training=False, *, seed, offset):
    return _bwd(grad_output, input, p, training, seed, offset, None, True)


def feature_alpha_dropout(input, p=0.5, training=False, *, channels, seed, offset):
    return _fwd(input, p, training, seed, offset, channels, True)


def feature_alpha_dropout_backward(grad_output, input, p=0.5, training=False, *, channels, seed, offset):
    return _bwd(grad_output, input, p, training, seed, offset, channels, True)
