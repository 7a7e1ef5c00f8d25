"""NumPy float64 references for the loss family: forward ``ref.<op>(...)`` and backward
``ref.<op>_backward(grad_output, *inputs, **kw)`` (one gradient per tensor input, None where torch
gives none), with F.<op>'s parameter names. Written straight from torch's formulas, for tests."""
from __future__ import annotations

import numpy as np

__all__ = [
    "cross_entropy", "cross_entropy_backward", "nll_loss", "nll_loss_backward", "mse_loss", "mse_loss_backward",
    "l1_loss", "l1_loss_backward", "smooth_l1_loss", "smooth_l1_loss_backward", "huber_loss",
    "huber_loss_backward", "binary_cross_entropy", "binary_cross_entropy_backward",
    "binary_cross_entropy_with_logits", "binary_cross_entropy_with_logits_backward", "kl_div", "kl_div_backward",
    "cosine_similarity", "cosine_similarity_backward", "pairwise_distance", "pairwise_distance_backward",
    "normalize", "normalize_backward", "one_hot", "cosine_embedding_loss", "cosine_embedding_loss_backward",
    "margin_ranking_loss", "margin_ranking_loss_backward", "triplet_margin_loss", "triplet_margin_loss_backward",
    "poisson_nll_loss", "poisson_nll_loss_backward", "gaussian_nll_loss", "gaussian_nll_loss_backward",
    "hinge_embedding_loss", "hinge_embedding_loss_backward", "soft_margin_loss", "soft_margin_loss_backward",
    "multilabel_soft_margin_loss", "multilabel_soft_margin_loss_backward", "multi_margin_loss",
    "multi_margin_loss_backward", "multilabel_margin_loss", "multilabel_margin_loss_backward",
    "triplet_margin_with_distance_loss", "triplet_margin_with_distance_loss_backward",
]


def _f(a):
    return None if a is None else np.asarray(a, dtype=np.float64)


def _sum_to(g, shape):
    """Sum a broadcast gradient down to ``shape``."""
    shape = tuple(shape)
    while g.ndim > len(shape):
        g = g.sum(axis=0)
    for i, s in enumerate(shape):
        if s == 1 and g.shape[i] != 1:
            g = g.sum(axis=i, keepdims=True)
    return g


def _reduce(v, reduction, divisor=None):
    if reduction == "none":
        return v
    s = v.sum()
    if reduction == "sum":
        return np.float64(s)
    with np.errstate(all="ignore"):
        return np.float64(s / (v.size if divisor is None else divisor))


# ---------------------------------------------------------------- class rows
def _rows(input, target, prob):
    """input (N, C, *d) / (C,) -> (R, C) rows; target -> (R,) or (R, C); plus the row shape."""
    x = _f(input)
    t = np.asarray(target)
    if x.ndim == 1:
        x, t = x[None], t[None]
        row_shape = ()
    else:
        row_shape = (x.shape[0],) + x.shape[2:]
    C = x.shape[1]
    xr = np.moveaxis(x, 1, -1).reshape(-1, C)
    tr = np.moveaxis(t, 1, -1).reshape(-1, C).astype(np.float64) if prob else t.reshape(-1).astype(np.int64)
    return xr, tr, row_shape


def _unrows(g_rows, input_shape):
    """(R, C) -> input's layout."""
    if len(input_shape) == 1:
        return g_rows.reshape(input_shape)
    N, C, rest = input_shape[0], input_shape[1], tuple(input_shape[2:])
    return np.moveaxis(g_rows.reshape((N,) + rest + (C,)), -1, 1)


def _log_softmax(x):
    with np.errstate(all="ignore"):
        m = x.max(axis=1, keepdims=True)
        m = np.where(np.isfinite(m), m, 0.0)
        lse = m + np.log(np.exp(x - m).sum(axis=1, keepdims=True))
        return x - lse


def _is_prob(input, target):
    t = np.asarray(target)
    return t.shape == np.shape(input) and t.dtype.kind == "f"


def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    prob = _is_prob(input, target)
    x, t, row_shape = _rows(input, target, prob)
    R, C = x.shape
    w = np.ones(C) if weight is None else _f(weight)
    logp = _log_softmax(x)
    ls = float(label_smoothing)
    with np.errstate(all="ignore"):
        if prob:
            tt = t * (1 - ls) + ls / C
            loss = -(logp * tt * w).sum(axis=1)
            return _reduce(loss.reshape(row_shape), reduction, R)
        keep = t != ignore_index
        ts = np.where(keep, t, 0)
        wt = np.where(keep, w[ts], 0.0)
        nll = np.where(keep, -wt * logp[np.arange(R), ts], 0.0)
        loss = nll
        if ls > 0:
            smooth = np.where(keep, -(logp * w).sum(axis=1), 0.0)
            loss = (1 - ls) * nll + ls / C * smooth
        return _reduce(loss.reshape(row_shape), reduction, wt.sum())


def cross_entropy_backward(grad_output, input, target, weight=None, ignore_index=-100, reduction="mean",
                           label_smoothing=0.0):
    """(d input, d target (probability targets only, else None), None for weight)."""
    prob = _is_prob(input, target)
    x, t, row_shape = _rows(input, target, prob)
    R, C = x.shape
    w = np.ones(C) if weight is None else _f(weight)
    logp = _log_softmax(x)
    p = np.exp(logp)
    ls = float(label_smoothing)
    go = _f(grad_output)
    with np.errstate(all="ignore"):
        if prob:
            tt = t * (1 - ls) + ls / C
            div = R if reduction == "mean" else 1
            g_rows = go.reshape(-1, 1) if reduction == "none" else np.full((R, 1), go / div)
            dx = (p * (tt * w).sum(axis=1, keepdims=True) - w * tt) * g_rows
            dt = -(1 - ls) * w * logp * g_rows
            return _unrows(dx, np.shape(input)), _unrows(dt, np.shape(input)), None
        keep = t != ignore_index
        ts = np.where(keep, t, 0)
        wt = np.where(keep, w[ts], 0.0)
        onehot = np.zeros((R, C))
        onehot[np.arange(R), ts] = 1.0
        if reduction == "none":
            scale = go.reshape(-1, 1)
        else:
            scale = np.full((R, 1), go / wt.sum() if reduction == "mean" else go)
        g = (wt[:, None] * scale) * (p - onehot)
        if ls > 0:
            g = (1 - ls) * g + ls / C * scale * (p * w.sum() - w)
        g = np.where(keep[:, None], g, 0.0)
        return _unrows(g, np.shape(input)), None, None


def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):
    x, t, row_shape = _rows(input, target, False)
    R, C = x.shape
    w = np.ones(C) if weight is None else _f(weight)
    keep = t != ignore_index
    ts = np.where(keep, t, 0)
    wt = np.where(keep, w[ts], 0.0)
    loss = np.where(keep, -wt * x[np.arange(R), ts], 0.0)
    return _reduce(loss.reshape(row_shape), reduction, wt.sum())


def nll_loss_backward(grad_output, input, target, weight=None, ignore_index=-100, reduction="mean"):
    x, t, row_shape = _rows(input, target, False)
    R, C = x.shape
    w = np.ones(C) if weight is None else _f(weight)
    keep = t != ignore_index
    ts = np.where(keep, t, 0)
    wt = np.where(keep, w[ts], 0.0)
    go = _f(grad_output)
    with np.errstate(all="ignore"):
        gr = go.reshape(-1) if reduction == "none" else np.full(R, go / (wt.sum() if reduction == "mean" else 1))
        g = np.zeros((R, C))
        g[np.arange(R), ts] = np.where(keep, -wt * gr, 0.0)
    return _unrows(g, np.shape(input)), None, None


# ---------------------------------------------------------------- pointwise
def _pointwise(fn, input, target, reduction, *extra):
    x, y = np.broadcast_arrays(_f(input), _f(target))
    ex = [None if e is None else np.broadcast_to(_f(e), x.shape) for e in extra]
    with np.errstate(all="ignore"):
        return _reduce(fn(x, y, *ex), reduction)


def _pointwise_backward(dfn, grad_output, input, target, reduction, *extra):
    shape = np.broadcast_shapes(np.shape(input), np.shape(target))
    x, y = np.broadcast_to(_f(input), shape), np.broadcast_to(_f(target), shape)
    ex = [None if e is None else np.broadcast_to(_f(e), shape) for e in extra]
    go = _f(grad_output)
    n = int(np.prod(shape))
    with np.errstate(all="ignore"):
        g = go if reduction == "none" else np.full(shape, go / (n if reduction == "mean" else 1))
        dx, dy = dfn(x, y, *ex)
        return _sum_to(g * dx, np.shape(input)), _sum_to(g * dy, np.shape(target))


def mse_loss(input, target, reduction="mean"):
    return _pointwise(lambda x, y: (x - y) ** 2, input, target, reduction)


def mse_loss_backward(grad_output, input, target, reduction="mean"):
    return _pointwise_backward(lambda x, y: (2 * (x - y), -2 * (x - y)), grad_output, input, target, reduction)


def l1_loss(input, target, reduction="mean"):
    return _pointwise(lambda x, y: np.abs(x - y), input, target, reduction)


def l1_loss_backward(grad_output, input, target, reduction="mean"):
    return _pointwise_backward(lambda x, y: (np.sign(x - y), -np.sign(x - y)), grad_output, input, target,
                               reduction)


def smooth_l1_loss(input, target, reduction="mean", beta=1.0):
    if beta == 0:
        return l1_loss(input, target, reduction)
    return _pointwise(lambda x, y: np.where(np.abs(x - y) < beta, 0.5 * (x - y) ** 2 / beta,
                                            np.abs(x - y) - 0.5 * beta), input, target, reduction)


def smooth_l1_loss_backward(grad_output, input, target, reduction="mean", beta=1.0):
    if beta == 0:
        return l1_loss_backward(grad_output, input, target, reduction)

    def d(x, y):
        g = np.clip((x - y) / beta, -1.0, 1.0)
        return g, -g
    return _pointwise_backward(d, grad_output, input, target, reduction)


def huber_loss(input, target, reduction="mean", delta=1.0):
    return _pointwise(lambda x, y: np.where(np.abs(x - y) < delta, 0.5 * (x - y) ** 2,
                                            delta * (np.abs(x - y) - 0.5 * delta)), input, target, reduction)


def huber_loss_backward(grad_output, input, target, reduction="mean", delta=1.0):
    def d(x, y):
        g = np.clip(x - y, -delta, delta)
        return g, -g
    return _pointwise_backward(d, grad_output, input, target, reduction)


def binary_cross_entropy(input, target, weight=None, reduction="mean"):
    def f(x, y, w):
        v = -(y * np.maximum(np.log(x), -100.0) + (1 - y) * np.maximum(np.log(1 - x), -100.0))
        return v if w is None else v * w
    return _pointwise(f, input, target, reduction, weight)


def binary_cross_entropy_backward(grad_output, input, target, weight=None, reduction="mean"):
    def d(x, y, w):
        w = 1.0 if w is None else w
        return w * (x - y) / np.maximum((1 - x) * x, 1e-12), w * (np.log(1 - x) - np.log(x))
    return _pointwise_backward(d, grad_output, input, target, reduction, weight) + (None,)


def _softplus(x):
    return np.logaddexp(0.0, x)


def binary_cross_entropy_with_logits(input, target, weight=None, reduction="mean", pos_weight=None):
    def f(x, y, w, pw):
        lw = 1.0 if pw is None else 1 + (pw - 1) * y
        v = (1 - y) * x + lw * _softplus(-x)
        return v if w is None else v * w
    return _pointwise(f, input, target, reduction, weight, pos_weight)


def binary_cross_entropy_with_logits_backward(grad_output, input, target, weight=None, reduction="mean",
                                              pos_weight=None):
    """(d input, d target, None for weight, None for pos_weight)."""
    def d(x, y, w, pw):
        w = 1.0 if w is None else w
        pw = 1.0 if pw is None else pw
        sig = 1 / (1 + np.exp(-x))
        return w * ((1 + (pw - 1) * y) * sig - pw * y), w * (-x + (pw - 1) * _softplus(-x))
    return _pointwise_backward(d, grad_output, input, target, reduction, weight, pos_weight) + (None, None)


def kl_div(input, target, reduction="mean", log_target=False):
    x, y = np.broadcast_arrays(_f(input), _f(target))
    with np.errstate(all="ignore"):
        v = np.exp(y) * (y - x) if log_target else np.where(y == 0, 0.0, y * np.log(y)) - y * x
    if reduction == "batchmean":
        s = v.sum()
        return np.float64(s / np.shape(input)[0]) if np.ndim(input) else np.float64(s)
    return _reduce(v, reduction)


def kl_div_backward(grad_output, input, target, reduction="mean", log_target=False):
    shape = np.broadcast_shapes(np.shape(input), np.shape(target))
    x, y = np.broadcast_to(_f(input), shape), np.broadcast_to(_f(target), shape)
    go = _f(grad_output)
    n = int(np.prod(shape))
    if reduction == "none":
        g = go
    elif reduction == "mean":
        g = np.full(shape, go / n)
    elif reduction == "batchmean" and np.ndim(input):
        g = np.full(shape, go / np.shape(input)[0])
    else:
        g = np.full(shape, go)
    with np.errstate(all="ignore"):
        if log_target:
            dx, dy = -np.exp(y), np.exp(y) * (y - x + 1)
        else:
            dx, dy = -y, np.where(y == 0, 0.0, np.log(y)) + y / y - x
    return _sum_to(g * dx, np.shape(input)), _sum_to(g * dy, np.shape(target))


# ---------------------------------------------------------------- distances
def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    a, b = np.broadcast_arrays(_f(x1), _f(x2))
    n1 = np.maximum(np.sqrt((a * a).sum(axis=dim, keepdims=True)), eps)
    n2 = np.maximum(np.sqrt((b * b).sum(axis=dim, keepdims=True)), eps)
    return ((a / n1) * (b / n2)).sum(axis=dim)


def cosine_similarity_backward(grad_output, x1, x2, dim=1, eps=1e-8):
    a, b = np.broadcast_arrays(_f(x1), _f(x2))
    r1 = np.sqrt((a * a).sum(axis=dim, keepdims=True))
    r2 = np.sqrt((b * b).sum(axis=dim, keepdims=True))
    n1, n2 = np.maximum(r1, eps), np.maximum(r2, eps)
    cos = ((a / n1) * (b / n2)).sum(axis=dim, keepdims=True)
    g = np.expand_dims(_f(grad_output), dim)
    with np.errstate(all="ignore"):
        u1 = np.where(r1 == 0, 0.0, a / r1)
        u2 = np.where(r2 == 0, 0.0, b / r2)
    d1 = g * (b / (n1 * n2) - cos / n1 * u1)
    d2 = g * (a / (n1 * n2) - cos / n2 * u2)
    return _sum_to(d1, np.shape(x1)), _sum_to(d2, np.shape(x2))


def _pnorm(d, p, axis, keepdims=False):
    a = np.abs(d)
    if p == np.inf:
        return a.max(axis=axis, keepdims=keepdims)
    if p == -np.inf:
        return a.min(axis=axis, keepdims=keepdims)
    if p == 0:
        return (a != 0).sum(axis=axis, keepdims=keepdims).astype(np.float64)
    return (a ** p).sum(axis=axis, keepdims=keepdims) ** (1.0 / p)


def _pnorm_grad(d, p, axis):
    """d ||d||_p / d d (0 where the norm is 0), as torch's norm backward."""
    nrm = _pnorm(d, p, axis, keepdims=True)
    with np.errstate(all="ignore"):
        if p == 0:
            return np.zeros_like(d)
        if p in (np.inf, -np.inf):
            hit = (np.abs(d) == nrm).astype(np.float64)
            return np.sign(d) * hit / hit.sum(axis=axis, keepdims=True)
        if p == 1:
            return np.sign(d)
        if p == 2:
            return np.where(nrm == 0, 0.0, d / nrm)
        return np.where(nrm == 0, 0.0, np.sign(d) * np.abs(d) ** (p - 1) / nrm ** (p - 1))


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    d = _f(x1) - _f(x2) + eps
    return _pnorm(d, p, -1, keepdim) if d.ndim else np.abs(d)


def pairwise_distance_backward(grad_output, x1, x2, p=2.0, eps=1e-6, keepdim=False):
    d = _f(x1) - _f(x2) + eps
    if d.ndim == 0:
        gd = _f(grad_output) * np.sign(d)
    else:
        g = _f(grad_output)
        if not keepdim:
            g = np.expand_dims(g, -1)
        gd = g * _pnorm_grad(d, p, -1)
    return _sum_to(gd, np.shape(x1)), _sum_to(-gd, np.shape(x2))


def normalize(input, p=2.0, dim=1, eps=1e-12):
    x = _f(input)
    return x / np.maximum(_pnorm(x, p, dim, keepdims=True), eps)


def normalize_backward(grad_output, input, p=2.0, dim=1, eps=1e-12):
    x, g = _f(input), _f(grad_output)
    nrm = _pnorm(x, p, dim, keepdims=True)
    den = np.maximum(nrm, eps)
    dden = -(g * x).sum(axis=dim, keepdims=True) / den ** 2
    dnrm = np.where(nrm >= eps, dden, 0.0)
    return (g / den + dnrm * _pnorm_grad(x, p, dim),)


def one_hot(tensor, num_classes=-1):
    t = np.asarray(tensor).astype(np.int64)
    k = int(t.max()) + 1 if num_classes == -1 else num_classes
    return (t[..., None] == np.arange(k)).astype(np.int64)


# ---------------------------------------------------------------- margin losses
def _reduce_grad(grad_output, shape, reduction):
    """The gradient reaching each per-sample loss value."""
    go = _f(grad_output)
    if reduction == "none":
        return np.broadcast_to(go, shape)
    n = int(np.prod(shape))
    return np.full(shape, go / n if reduction == "mean" else go)


_COS_EPS = 1e-12


def cosine_embedding_loss(input1, input2, target, margin=0, reduction="mean"):
    x1, x2, y = _f(input1), _f(input2), np.asarray(target)
    if y.ndim == 0:
        x1, x2, y = x1[None], x2[None], y[None]
    N = x1.shape[0]
    loss = np.zeros(N)
    for i in range(N):
        cos = (x1[i] * x2[i]).sum() / np.sqrt(((x1[i] ** 2).sum() + _COS_EPS) * ((x2[i] ** 2).sum() + _COS_EPS))
        if y[i] == 1:
            loss[i] = 1 - cos
        elif y[i] == -1:
            loss[i] = max(0.0, cos - margin)
    return _reduce(loss.reshape(np.shape(target)), reduction)


def cosine_embedding_loss_backward(grad_output, input1, input2, target, margin=0, reduction="mean"):
    """(d input1, d input2, None): d cos / d x1 = x2 / (|x1| |x2|) - cos x1 / |x1|^2 with the
    epsilon-padded magnitudes; the hinge passes the gradient where cos - margin > 0."""
    x1, x2, y = _f(input1), _f(input2), np.asarray(target)
    squeeze = y.ndim == 0
    if squeeze:
        x1, x2, y = x1[None], x2[None], y[None]
    g = _reduce_grad(grad_output, np.shape(target), reduction).reshape(-1)
    d1, d2 = np.zeros_like(x1), np.zeros_like(x2)
    for i in range(x1.shape[0]):
        m1, m2 = (x1[i] ** 2).sum() + _COS_EPS, (x2[i] ** 2).sum() + _COS_EPS
        den = np.sqrt(m1 * m2)
        cos = (x1[i] * x2[i]).sum() / den
        dc1 = x2[i] / den - cos * x1[i] / m1
        dc2 = x1[i] / den - cos * x2[i] / m2
        s = -1.0 if y[i] == 1 else (1.0 if y[i] == -1 and cos - margin > 0 else 0.0)
        d1[i], d2[i] = g[i] * s * dc1, g[i] * s * dc2
    if squeeze:
        d1, d2 = d1[0], d2[0]
    return d1, d2, None


def margin_ranking_loss(input1, input2, target, margin=0, reduction="mean"):
    x1, x2, y = np.broadcast_arrays(_f(input1), _f(input2), _f(target))
    return _reduce(np.maximum(0.0, -y * (x1 - x2) + margin), reduction)


def margin_ranking_loss_backward(grad_output, input1, input2, target, margin=0, reduction="mean"):
    """(d input1, d input2, d target); the hinge passes the gradient where its argument is > 0."""
    x1, x2, y = np.broadcast_arrays(_f(input1), _f(input2), _f(target))
    v = -y * (x1 - x2) + margin
    g = _reduce_grad(grad_output, v.shape, reduction) * (v > 0)
    dt = _sum_to(-g * (x1 - x2), np.shape(target)) if np.asarray(target).dtype.kind == "f" else None
    return _sum_to(-g * y, np.shape(input1)), _sum_to(g * y, np.shape(input2)), dt


def _dist(a, b, p, eps):
    return pairwise_distance(a, b, p, eps)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False, reduction="mean"):
    d_pos = _dist(anchor, positive, p, eps)
    d_neg = _dist(anchor, negative, p, eps)
    if swap:
        d_neg = np.minimum(d_neg, _dist(positive, negative, p, eps))
    return _reduce(np.maximum(0.0, margin + d_pos - d_neg), reduction)


def triplet_margin_loss_backward(grad_output, anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False,
                                 reduction="mean"):
    """(d anchor, d positive, d negative), through pairwise_distance_backward; with swap, the
    minimum routes the gradient to the smaller distance (half to each on a tie)."""
    d_pos = _dist(anchor, positive, p, eps)
    d_an = _dist(anchor, negative, p, eps)
    v = margin + d_pos - (np.minimum(d_an, _dist(positive, negative, p, eps)) if swap else d_an)
    g = _reduce_grad(grad_output, np.shape(v), reduction) * (v > 0)
    ga, gp = pairwise_distance_backward(g, anchor, positive, p, eps)
    gn = np.zeros(np.shape(negative))
    w_an = np.ones(np.shape(v))
    if swap:
        d_pn = _dist(positive, negative, p, eps)
        w_an = np.where(d_an < d_pn, 1.0, np.where(d_an == d_pn, 0.5, 0.0))
        gp2, gn2 = pairwise_distance_backward(-g * (1 - w_an), positive, negative, p, eps)
        gp, gn = gp + gp2, gn + gn2
    ga2, gn3 = pairwise_distance_backward(-g * w_an, anchor, negative, p, eps)
    return ga + ga2, gp, gn + gn3


# ---------------------------------------------------------------- likelihood losses
def poisson_nll_loss(input, target, log_input=True, full=False, eps=1e-8, reduction="mean"):
    x, t = np.broadcast_arrays(_f(input), _f(target))
    loss = np.zeros(x.shape)
    with np.errstate(all="ignore"):
        for i in np.ndindex(x.shape):
            v = np.exp(x[i]) - t[i] * x[i] if log_input else x[i] - t[i] * np.log(x[i] + eps)
            if full and t[i] > 1:
                v += t[i] * np.log(t[i]) - t[i] + 0.5 * np.log(2 * np.pi * t[i])
            loss[i] = v
    return _reduce(loss, reduction)


def poisson_nll_loss_backward(grad_output, input, target, log_input=True, full=False, eps=1e-8, reduction="mean"):
    """(d input, d target); the Stirling term contributes log(t) + 1 / (2 t) where t > 1, else 0."""
    x, t = np.broadcast_arrays(_f(input), _f(target))
    g = _reduce_grad(grad_output, x.shape, reduction)
    dx, dt = np.zeros(x.shape), np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        if log_input:
            dx[i], dt[i] = np.exp(x[i]) - t[i], -x[i]
        else:
            dx[i], dt[i] = 1 - t[i] / (x[i] + eps), -np.log(x[i] + eps)
        if full and t[i] > 1:
            dt[i] += np.log(t[i]) + 0.5 / t[i]
    return _sum_to(g * dx, np.shape(input)), _sum_to(g * dt, np.shape(target))


def _gaussian_var(input, var):
    """var as torch broadcasts it: a float fills input's shape, a var one dim short gets a
    trailing 1."""
    if not isinstance(var, np.ndarray):
        return np.full(np.shape(input), float(var))
    v = _f(var)
    if v.shape != np.shape(input) and v.shape == np.shape(input)[:-1]:
        v = v[..., None]
    return v


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    x, t, v = np.broadcast_arrays(_f(input), _f(target), _gaussian_var(input, var))
    loss = np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        vc = max(v[i], eps)
        loss[i] = 0.5 * (np.log(vc) + (x[i] - t[i]) ** 2 / vc)
        if full:
            loss[i] += 0.5 * np.log(2 * np.pi)
    return _reduce(loss, reduction)


def gaussian_nll_loss_backward(grad_output, input, target, var, full=False, eps=1e-6, reduction="mean"):
    """(d input, d target, d var); d var is the derivative at the clamped variance, passed through
    the clamp unchanged (torch clamps without autograd); None for a float var."""
    vb = _gaussian_var(input, var)
    x, t, v = np.broadcast_arrays(_f(input), _f(target), vb)
    g = _reduce_grad(grad_output, x.shape, reduction)
    dx, dv = np.zeros(x.shape), np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        vc = max(v[i], eps)
        dx[i] = (x[i] - t[i]) / vc
        dv[i] = 0.5 * (1 / vc - (x[i] - t[i]) ** 2 / vc ** 2)
    dvar = None
    if isinstance(var, np.ndarray):
        dvar = _sum_to(g * dv, vb.shape).reshape(np.shape(var))
    return _sum_to(g * dx, np.shape(input)), _sum_to(-g * dx, np.shape(target)), dvar


# ---------------------------------------------------------------- hinge / soft margin losses
def hinge_embedding_loss(input, target, margin=1.0, reduction="mean"):
    x, y = np.broadcast_arrays(_f(input), _f(target))
    loss = np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        loss[i] = (max(0.0, margin - x[i]) if y[i] != 1 else 0.0) + (x[i] if y[i] != -1 else 0.0)
    return _reduce(loss, reduction)


def hinge_embedding_loss_backward(grad_output, input, target, margin=1.0, reduction="mean"):
    """(d input, None): -1 where target != 1 and margin - x >= 0 (clamp passes its boundary),
    +1 where target != -1."""
    x, y = np.broadcast_arrays(_f(input), _f(target))
    g = _reduce_grad(grad_output, x.shape, reduction)
    dx = np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        dx[i] = (-1.0 if y[i] != 1 and margin - x[i] >= 0 else 0.0) + (1.0 if y[i] != -1 else 0.0)
    return _sum_to(g * dx, np.shape(input)), None


def soft_margin_loss(input, target, reduction="mean"):
    x, y = np.broadcast_arrays(_f(input), _f(target))
    return _reduce(np.logaddexp(0.0, -y * x), reduction)


def soft_margin_loss_backward(grad_output, input, target, reduction="mean"):
    """(d input, None): -y sigmoid(-y x)."""
    x, y = np.broadcast_arrays(_f(input), _f(target))
    with np.errstate(all="ignore"):
        g = _reduce_grad(grad_output, x.shape, reduction)
        return _sum_to(g * -y / (1 + np.exp(y * x)), np.shape(input)), None


def _logsigmoid(x):
    return -np.logaddexp(0.0, -x)


def multilabel_soft_margin_loss(input, target, weight=None, reduction="mean"):
    x, y = np.broadcast_arrays(_f(input), _f(target))
    v = -(y * _logsigmoid(x) + (1 - y) * _logsigmoid(-x))
    if weight is not None:
        v = v * _f(weight)
    return _reduce(v.sum(axis=-1) / np.shape(input)[-1], reduction)


def multilabel_soft_margin_loss_backward(grad_output, input, target, weight=None, reduction="mean"):
    """(d input, d target, d weight (None without one)): per element (sigmoid(x) - y) w / C,
    -x w / C and the unweighted loss / C, times the gradient reaching its row."""
    x, y = np.broadcast_arrays(_f(input), _f(target))
    C = np.shape(input)[-1]
    v = -(y * _logsigmoid(x) + (1 - y) * _logsigmoid(-x))
    shape = np.broadcast_shapes(x.shape, np.shape(weight)) if weight is not None else x.shape
    w = np.broadcast_to(_f(weight), shape) if weight is not None else np.ones(shape)
    g = np.expand_dims(_reduce_grad(grad_output, shape[:-1], reduction), -1) / C
    dx = g * (1 / (1 + np.exp(-x)) - y) * w
    dt = g * -x * w
    dw = _sum_to(g * v, np.shape(weight)) if weight is not None else None
    return _sum_to(dx, np.shape(input)), _sum_to(dt, np.shape(target)), dw


# ---------------------------------------------------------------- multi-class margin losses
def _margin_rows(input):
    x = _f(input)
    return x.reshape(1, -1) if x.ndim <= 1 else x


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, reduction="mean"):
    x = _margin_rows(input)
    t = np.asarray(target).reshape(-1)
    N, C = x.shape
    w = np.ones(C) if weight is None else _f(weight).reshape(-1)
    loss = np.zeros(N)
    for n in range(N):
        y = t[n]
        for c in range(C):
            z = margin - x[n, y] + x[n, c]
            if c != y and z > 0:
                loss[n] += w[y] * z ** p
        loss[n] /= C
    if reduction == "none":
        return loss.reshape(np.shape(target))
    return _reduce(loss, reduction)


def multi_margin_loss_backward(grad_output, input, target, p=1, margin=1.0, weight=None, reduction="mean"):
    """(d input, None, None)."""
    x = _margin_rows(input)
    t = np.asarray(target).reshape(-1)
    N, C = x.shape
    w = np.ones(C) if weight is None else _f(weight).reshape(-1)
    g = _reduce_grad(grad_output, np.shape(target), reduction).reshape(-1)
    dx = np.zeros((N, C))
    for n in range(N):
        y = t[n]
        for c in range(C):
            z = margin - x[n, y] + x[n, c]
            if c != y and z > 0:
                h = g[n] * w[y] * (1.0 if p == 1 else 2 * z) / C
                dx[n, c] += h
                dx[n, y] -= h
    return dx.reshape(np.shape(input)), None, None


def _label_sets(t_row):
    """The row's targets: the entries before the first negative one."""
    out = []
    for j in t_row:
        if j < 0:
            break
        out.append(int(j))
    return out


def multilabel_margin_loss(input, target, reduction="mean"):
    x = _margin_rows(input)
    t = np.asarray(target).reshape(x.shape)
    N, C = x.shape
    loss = np.zeros(N)
    for n in range(N):
        labels = _label_sets(t[n])
        for j in labels:
            for c in range(C):
                if c not in labels:
                    loss[n] += max(0.0, 1 - x[n, j] + x[n, c])
        loss[n] /= C
    if reduction == "none":
        return loss.reshape(() if np.ndim(target) <= 1 else (N,))
    return _reduce(loss, reduction)


def multilabel_margin_loss_backward(grad_output, input, target, reduction="mean"):
    """(d input, None)."""
    x = _margin_rows(input)
    t = np.asarray(target).reshape(x.shape)
    N, C = x.shape
    go = _f(grad_output)
    g = go.reshape(N) if reduction == "none" else np.full(N, go / (N if reduction == "mean" else 1))
    dx = np.zeros((N, C))
    for n in range(N):
        labels = _label_sets(t[n])
        for j in labels:
            for c in range(C):
                if c not in labels and 1 - x[n, j] + x[n, c] > 0:
                    dx[n, c] += g[n] / C
                    dx[n, j] -= g[n] / C
    return dx.reshape(np.shape(input)), None


# ---------------------------------------------------------------- triplet loss with a distance
def triplet_margin_with_distance_loss(anchor, positive, negative, distance_function=None, margin=1.0, swap=False,
                                      reduction="mean"):
    """``distance_function``: a NumPy function of two arrays (None: pairwise_distance)."""
    d = distance_function if distance_function is not None else pairwise_distance
    d_pos, d_neg = d(anchor, positive), d(anchor, negative)
    if swap:
        d_neg = np.minimum(d_neg, d(positive, negative))
    return _reduce(np.maximum(0.0, margin + d_pos - d_neg), reduction)


def triplet_margin_with_distance_loss_backward(grad_output, anchor, positive, negative, distance_function=None,
                                               margin=1.0, swap=False, reduction="mean"):
    """(d anchor, d positive, d negative). A custom ``distance_function`` must carry its VJP as a
    ``backward(g, a, b) -> (da, db)`` attribute; the clamp passes where its argument is >= 0 (its
    boundary included, as torch's clamp_min), the minimum splits ties evenly."""
    d = distance_function if distance_function is not None else pairwise_distance
    db = distance_function.backward if distance_function is not None else pairwise_distance_backward
    d_pos, d_an = d(anchor, positive), d(anchor, negative)
    v = margin + d_pos - (np.minimum(d_an, d(positive, negative)) if swap else d_an)
    g = _reduce_grad(grad_output, np.shape(v), reduction) * (v >= 0)
    ga, gp = db(g, anchor, positive)
    gn = np.zeros(np.shape(negative))
    w_an = np.ones(np.shape(v))
    if swap:
        d_pn = d(positive, negative)
        w_an = np.where(d_an < d_pn, 1.0, np.where(d_an == d_pn, 0.5, 0.0))
        gp2, gn2 = db(-g * (1 - w_an), positive, negative)
        gp, gn = gp + gp2, gn + gn2
    ga2, gn3 = db(-g * w_an, anchor, negative)
    return ga + ga2, gp, gn + gn3
