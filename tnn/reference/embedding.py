"""NumPy float64 references for F.embedding: forward (with max_norm's renormalisation applied to
a copy of weight) and ``embedding_backward(grad_output, input, weight, ...)`` returning
(None, d weight): indices get no gradient."""
from __future__ import annotations

import numpy as np

__all__ = ["embedding", "embedding_backward", "embedding_renorm"]


def _pad(padding_idx, V):
    if padding_idx is not None and padding_idx < 0:
        return padding_idx + V
    return padding_idx


def embedding_renorm(weight, input, max_norm, norm_type=2.0):
    """A copy of weight whose rows named in input have p-norm <= max_norm (torch.embedding_renorm_)."""
    w = np.array(weight, dtype=np.float64, copy=True)
    for r in np.unique(np.asarray(input)):
        norm = np.linalg.norm(w[r], ord=norm_type) if norm_type != 0 else float(np.count_nonzero(w[r]))
        if norm > max_norm:
            w[r] *= max_norm / (norm + 1e-7)
    return w


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):
    idx = np.asarray(input)
    w = np.asarray(weight, dtype=np.float64)
    if max_norm is not None:
        w = embedding_renorm(w, idx, max_norm, norm_type)
    return w[idx]


def embedding_backward(grad_output, input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
                       scale_grad_by_freq=False, sparse=False):
    idx = np.asarray(input).reshape(-1)
    V, D = np.shape(weight)
    g = np.asarray(grad_output, dtype=np.float64).reshape(-1, D)
    if scale_grad_by_freq:
        g = g / np.bincount(idx, minlength=V)[idx][:, None]
    dw = np.zeros((V, D))
    np.add.at(dw, idx, g)
    pad = _pad(padding_idx, V)
    if pad is not None:
        dw[pad] = 0.0
    return None, dw
