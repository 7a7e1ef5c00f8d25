"""NumPy float64 references for pooling, with F's parameter names: ``ref.max_pool2d(input,
kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False)`` ->
values (and int64 indices), ``ref.max_pool2d_backward(grad_output, input, ...)`` -> (d input,),
likewise avg_pool1d/2d/3d, adaptive_avg_pool1d/2d/3d, adaptive_max_pool1d/2d/3d, lp_pool1d/2d/3d
and max_unpool1d/2d/3d (-> (d input, None)).

Written as direct loops over the definitions (torch's), vectorised only over the (N, C) planes:
- output length: floor((L + 2P - DIL*(K-1) - 1 + (ceil_mode ? S-1 : 0)) / S) + 1, minus one in
  ceil mode when the last window would start at or past L + P;
- max: window positions o*S - P + k*DIL inside [0, L), visited in row-major order; the running
  max is replaced when v > max or v is NaN; the index starts at the first in-bounds position
  (so ties keep the first index, an all -inf window its first element); the gradient goes to it.
  A window holding no input element (only possible with dilation and padding) gives -inf and
  torch's index (its first position >= 0 per dim); its gradient is dropped (torch's backward
  would add it to whatever element that index happens to name);
- avg: sum over the in-bounds part, divided by divisor_override, else by the window clipped to
  [-P, L + P) (count_include_pad) or by the in-bounds count;
- adaptive: windows [floor(o*L/O), ceil((o+1)*L/O));
- lp_pool: torch's formula sign(a)*relu(|a|) * prod(kernel) ** (1/p) with a = avg_pool(x**p);
- max_unpool: zeros with out.flat[index] = value per plane; its gradient gathers at the indices.
Values come back in float64 (indices int64), gradients as float64 arrays of the input's shape.
"""
from __future__ import annotations

import itertools
import numbers

import numpy as np

__all__ = []

_OPS = ("max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d", "avg_pool2d", "avg_pool3d",
        "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d", "adaptive_max_pool1d",
        "adaptive_max_pool2d", "adaptive_max_pool3d", "lp_pool1d", "lp_pool2d", "lp_pool3d", "max_unpool1d",
        "max_unpool2d", "max_unpool3d")
__all__ += list(_OPS) + [op + "_backward" for op in _OPS]


# ------------------------------------------------------------------------------ helpers
def _tup(v, n):
    if isinstance(v, numbers.Integral):
        return (int(v),) * n
    v = tuple(int(e) for e in v)
    return v * n if len(v) == 1 else v


def _planes(input, nd):
    """(x as float64 (P, *spatial), batched?, leading shape)."""
    x = np.asarray(input).astype(np.float64)
    lead = x.shape[:-nd]
    return x.reshape((-1,) + x.shape[-nd:]), lead


def _out_len(L, k, s, p, d, ceil_mode):
    o = (L + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (o - 1) * s >= L + p:
        o -= 1
    return o


def _windows(shape, k, s, p, d, ceil_mode):
    """For every output position: (position tuple, list of in-bounds input positions in
    row-major window order, clipped-to-padding window size, in-bounds count)."""
    nd = len(shape)
    outs = tuple(_out_len(shape[i], k[i], s[i], p[i], d[i], ceil_mode) for i in range(nd))
    res = []
    for o in itertools.product(*(range(n) for n in outs)):
        starts = [o[i] * s[i] - p[i] for i in range(nd)]
        pos = [q for q in itertools.product(*(range(k[i]) for i in range(nd)))]
        inside = [tuple(starts[i] + q[i] * d[i] for i in range(nd)) for q in pos]
        inside = [t for t in inside if all(0 <= t[i] < shape[i] for i in range(nd))]
        # torch's initial argmax: the first window position >= 0 per dim (past the input only
        # in windows holding no input element, whose gradient is then dropped)
        first = tuple(st + -(-max(-st, 0) // d[i]) * d[i] for i, st in enumerate(starts))
        padded = 1
        count = 1
        for i in range(nd):
            end = min(starts[i] + k[i], shape[i] + p[i])
            padded *= end - starts[i]
            count *= min(end, shape[i]) - max(starts[i], 0)
        res.append((o, inside, padded, count, first))
    return outs, res


def _adaptive_windows(shape, outs):
    res = []
    for o in itertools.product(*(range(n) for n in outs)):
        rng = [range((o[i] * shape[i]) // outs[i], -(-((o[i] + 1) * shape[i]) // outs[i])) for i in range(len(o))]
        inside = list(itertools.product(*rng))
        res.append((o, inside, len(inside), len(inside), inside[0] if inside else (0,) * len(o)))
    return tuple(outs), res


def _flat(t, shape):
    f = 0
    for i, v in enumerate(t):
        f = f * shape[i] + v
    return f


def _max(x, outs, wins):
    P, shape = x.shape[0], x.shape[1:]
    y = np.full((P,) + outs, -np.inf)
    idx = np.zeros((P,) + outs, np.int64)
    for o, inside, _, _, first in wins:
        m = np.full(P, -np.inf)
        i = np.full(P, _flat(first, shape), np.int64)
        for t in inside:
            v = x[(slice(None),) + t]
            upd = (v > m) | np.isnan(v)
            m = np.where(upd, v, m)
            i = np.where(upd, _flat(t, shape), i)
        y[(slice(None),) + o] = m
        idx[(slice(None),) + o] = i
    return y, idx


def _max_backward(g, x, outs, idx, wins):
    P, shape = x.shape[0], x.shape[1:]
    dx = np.zeros((P, int(np.prod(shape))))
    g = g.reshape((P, -1))
    idx = idx.reshape((P, -1))
    empty = [not w[1] for w in wins]  # windows holding no input element: their gradient is dropped
    for p in range(P):
        for j in range(g.shape[1]):
            if not empty[j]:
                dx[p, idx[p, j]] += g[p, j]
    return dx.reshape(x.shape)


def _avg(x, outs, wins, count_include_pad=True, divisor_override=None):
    P = x.shape[0]
    y = np.zeros((P,) + outs)
    for o, inside, padded, count, _ in wins:
        s = np.zeros(P)
        for t in inside:
            s = s + x[(slice(None),) + t]
        div = divisor_override if divisor_override is not None else padded if count_include_pad else count
        y[(slice(None),) + o] = s / div if div else 0.0
    return y


def _avg_backward(g, x, wins, count_include_pad=True, divisor_override=None):
    dx = np.zeros(x.shape)
    for o, inside, padded, count, _ in wins:
        div = divisor_override if divisor_override is not None else padded if count_include_pad else count
        if not div:
            continue
        for t in inside:
            dx[(slice(None),) + t] += g[(slice(None),) + o] / div
    return dx


def _unbatch(y, lead):
    return y.reshape(lead + y.shape[1:])


# ------------------------------------------------------------------------------ max pooling
def _max_pool(nd, input, kernel_size, stride, padding, dilation, ceil_mode):
    k = _tup(kernel_size, nd)
    s = k if stride is None or (not isinstance(stride, numbers.Integral) and len(stride) == 0) else _tup(stride, nd)
    x, lead = _planes(input, nd)
    outs, wins = _windows(x.shape[1:], k, s, _tup(padding, nd), _tup(dilation, nd), ceil_mode)
    return x, lead, outs, wins


def _mp(nd):
    def fwd(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
        x, lead, outs, wins = _max_pool(nd, input, kernel_size, stride, padding, dilation, ceil_mode)
        y, idx = _max(x, outs, wins)
        y, idx = _unbatch(y, lead), _unbatch(idx, lead)
        return (y, idx) if return_indices else y

    def bwd(grad_output, input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
            return_indices=False):
        x, lead, outs, wins = _max_pool(nd, input, kernel_size, stride, padding, dilation, ceil_mode)
        _, idx = _max(x, outs, wins)
        g = np.asarray(grad_output, np.float64).reshape((-1,) + outs)
        return (_max_backward(g, x, outs, idx, wins).reshape(np.shape(input)),)
    return fwd, bwd


max_pool1d, max_pool1d_backward = _mp(1)
max_pool2d, max_pool2d_backward = _mp(2)
max_pool3d, max_pool3d_backward = _mp(3)


# ------------------------------------------------------------------------------ average pooling
def _ap(nd):
    def prep(input, kernel_size, stride, padding, ceil_mode):
        k = _tup(kernel_size, nd)
        s = k if stride is None or (not isinstance(stride, numbers.Integral) and len(stride) == 0) \
            else _tup(stride, nd)
        x, lead = _planes(input, nd)
        outs, wins = _windows(x.shape[1:], k, s, _tup(padding, nd), (1,) * nd, ceil_mode)
        return x, lead, outs, wins

    def fwd(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
            divisor_override=None):
        x, lead, outs, wins = prep(input, kernel_size, stride, padding, ceil_mode)
        return _unbatch(_avg(x, outs, wins, count_include_pad, divisor_override), lead)

    def bwd(grad_output, input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
            divisor_override=None):
        x, lead, outs, wins = prep(input, kernel_size, stride, padding, ceil_mode)
        g = np.asarray(grad_output, np.float64).reshape((-1,) + outs)
        return (_avg_backward(g, x, wins, count_include_pad, divisor_override).reshape(np.shape(input)),)
    return fwd, bwd


avg_pool2d, avg_pool2d_backward = _ap(2)
avg_pool3d, avg_pool3d_backward = _ap(3)
_avg_pool1d, _avg_pool1d_backward = _ap(1)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    return _avg_pool1d(input, kernel_size, stride, padding, ceil_mode, count_include_pad)


def avg_pool1d_backward(grad_output, input, kernel_size, stride=None, padding=0, ceil_mode=False,
                        count_include_pad=True):
    return _avg_pool1d_backward(grad_output, input, kernel_size, stride, padding, ceil_mode, count_include_pad)


# ------------------------------------------------------------------------------ adaptive pooling
def _adaptive_outs(input, output_size, nd):
    shape = np.shape(input)[-nd:]
    o = (output_size,) * nd if isinstance(output_size, numbers.Integral) else tuple(output_size)
    return tuple(shape[i] if v is None else int(v) for i, v in enumerate(o))


def _aap(nd):
    def fwd(input, output_size):
        x, lead = _planes(input, nd)
        outs, wins = _adaptive_windows(x.shape[1:], _adaptive_outs(input, output_size, nd))
        return _unbatch(_avg(x, outs, wins), lead)

    def bwd(grad_output, input, output_size):
        x, lead = _planes(input, nd)
        outs, wins = _adaptive_windows(x.shape[1:], _adaptive_outs(input, output_size, nd))
        g = np.asarray(grad_output, np.float64).reshape((-1,) + outs)
        return (_avg_backward(g, x, wins).reshape(np.shape(input)),)
    return fwd, bwd


adaptive_avg_pool1d, adaptive_avg_pool1d_backward = _aap(1)
adaptive_avg_pool2d, adaptive_avg_pool2d_backward = _aap(2)
adaptive_avg_pool3d, adaptive_avg_pool3d_backward = _aap(3)


def _amp(nd):
    def fwd(input, output_size, return_indices=False):
        x, lead = _planes(input, nd)
        outs, wins = _adaptive_windows(x.shape[1:], _adaptive_outs(input, output_size, nd))
        y, idx = _max(x, outs, wins)
        y, idx = _unbatch(y, lead), _unbatch(idx, lead)
        return (y, idx) if return_indices else y

    def bwd(grad_output, input, output_size, return_indices=False):
        x, lead = _planes(input, nd)
        outs, wins = _adaptive_windows(x.shape[1:], _adaptive_outs(input, output_size, nd))
        _, idx = _max(x, outs, wins)
        g = np.asarray(grad_output, np.float64).reshape((-1,) + outs)
        return (_max_backward(g, x, outs, idx, wins).reshape(np.shape(input)),)
    return fwd, bwd


adaptive_max_pool1d, adaptive_max_pool1d_backward = _amp(1)
adaptive_max_pool2d, adaptive_max_pool2d_backward = _amp(2)
adaptive_max_pool3d, adaptive_max_pool3d_backward = _amp(3)


# ------------------------------------------------------------------------------ power-average pooling
def _lpp(nd):
    def prep(input, norm_type, kernel_size, stride, ceil_mode):
        k = _tup(kernel_size, nd)
        s = k if stride is None else _tup(stride, nd)
        x, lead = _planes(input, nd)
        outs, wins = _windows(x.shape[1:], k, s, (0,) * nd, (1,) * nd, ceil_mode)
        return x, lead, outs, wins, float(np.prod(k))

    def fwd(input, norm_type, kernel_size, stride=None, ceil_mode=False):
        x, lead, outs, wins, kp = prep(input, norm_type, kernel_size, stride, ceil_mode)
        a = _avg(x ** norm_type, outs, wins)
        return _unbatch((np.sign(a) * np.maximum(np.abs(a), 0) * kp) ** (1.0 / norm_type), lead)

    def bwd(grad_output, input, norm_type, kernel_size, stride=None, ceil_mode=False):
        x, lead, outs, wins, kp = prep(input, norm_type, kernel_size, stride, ceil_mode)
        p = float(norm_type)
        a = _avg(x ** p, outs, wins)
        r = a * kp
        g = np.asarray(grad_output, np.float64).reshape((-1,) + outs)
        # d/da of (a * kp) ** (1/p), zero where a == 0 (relu'(0) = 0)
        ga = np.where(a != 0, g * (1.0 / p) * np.abs(r) ** (1.0 / p - 1.0) * np.sign(r) ** (1.0 / p - 1.0) * kp, 0.0)
        gx = _avg_backward(ga, x, wins)
        return ((gx * p * x ** (p - 1.0)).reshape(np.shape(input)),)
    return fwd, bwd


lp_pool1d, lp_pool1d_backward = _lpp(1)
lp_pool2d, lp_pool2d_backward = _lpp(2)
lp_pool3d, lp_pool3d_backward = _lpp(3)


# ------------------------------------------------------------------------------ max unpooling
def _unpool_size(input, nd, kernel_size, stride, padding, output_size):
    k = _tup(kernel_size, nd)
    s = k if stride is None else _tup(stride, nd)
    p = _tup(padding, nd)
    if output_size is not None:
        o = tuple(int(v) for v in output_size)
        return o[-nd:]
    shape = np.shape(input)[-nd:]
    return tuple((shape[i] - 1) * s[i] + k[i] - 2 * p[i] for i in range(nd))


def _mu(nd):
    def fwd(input, indices, kernel_size, stride=None, padding=0, output_size=None):
        outs = _unpool_size(input, nd, kernel_size, stride, padding, output_size)
        x, lead = _planes(input, nd)
        idx = np.asarray(indices).reshape(x.shape[0], -1)
        y = np.zeros((x.shape[0], int(np.prod(outs))))
        xf = x.reshape(x.shape[0], -1)
        for p in range(x.shape[0]):
            for j in range(xf.shape[1]):
                y[p, idx[p, j]] = xf[p, j]
        return y.reshape(lead + outs)

    def bwd(grad_output, input, indices, kernel_size, stride=None, padding=0, output_size=None):
        outs = _unpool_size(input, nd, kernel_size, stride, padding, output_size)
        x, lead = _planes(input, nd)
        idx = np.asarray(indices).reshape(x.shape[0], -1)
        g = np.asarray(grad_output, np.float64).reshape(x.shape[0], -1)
        dx = np.take_along_axis(g, idx, axis=1)
        return (dx.reshape(np.shape(input)), None)
    return fwd, bwd


max_unpool1d, max_unpool1d_backward = _mu(1)
max_unpool2d, max_unpool2d_backward = _mu(2)
max_unpool3d, max_unpool3d_backward = _mu(3)


def _name(fn, name):
    fn.__name__ = fn.__qualname__ = name
    return fn


for _op in _OPS:
    _name(globals()[_op], _op)
    _name(globals()[_op + "_backward"], _op + "_backward")
del _op
