"""Optimizer steps: SGD, Adam / AdamW, RMSprop and Adagrad, each ONE multi-tensor launch that
updates many parameters (all of one dtype on one device) and their optimizer state in place.

Multi-tensor layout. A launch over T tensors (numels n_0 .. n_{T-1}) is described by two int64
device tables instead of one argument per tensor:
    ptrs  (R, T)       raw addresses (data_ptr) of row r's tensor t: row 0 the parameters, row 1
                       their gradients, rows 2.. the optimizer state (exp_avg, ...). Every tensor
                       of column t has n_t elements, dense in memory (same layout as the param).
    meta  (T + 2*B,)   n_t for every tensor, then for each of the B blocks the tensor it belongs
                       to and the element it starts at: tensor t is cut into cdiv(n_t, BLOCK)
                       blocks of BLOCK elements (the last one partial).
Program b reads its (tensor, start) from meta, loads the addresses of column t, casts them to
typed pointers (``int.to(ref.dtype)``: ``ref`` is any parameter, passed only for its pointer
type), and updates elements [start, start + BLOCK) of every tensor of that column. meta depends
only on the numels and BLOCK, so the optimizer caches it; ptrs changes when a gradient or state
tensor is reallocated (cached per address tuple). On the interpreter the addresses are host
addresses, and its int -> pointer cast is a bitcast, so the very same kernel runs on cpu.

Full blocks (start + BLOCK <= n_t, all but each tensor's last) are processed without a mask, and
with ALIGNED (every address 16-byte aligned, checked by the launcher) the addresses are declared
multiples of 16, so the GPU issues vectorised 128-bit loads and stores.

Math: float32 for float16/bfloat16/float32 tensors (float64 for float64); parameters and state
are stored back in their own dtype (state has the parameter's dtype, as torch's zeros_like state),
and a value torch materialises as a tensor and reads again (a state after its update, grad + wd * p,
AdamW's decayed parameter) is rounded to that dtype first, as torch reads it.
Hyperparameters arrive as float64 bit patterns (``float_bits``, ``do_not_specialize``) so a new
learning rate or step count never recompiles; host-side derived scalars (Adam's step size
lr / (1 - beta1^t), sqrt(1 - beta2^t), AdamW's 1 - lr * wd, Adagrad's decayed lr) are computed
in float64 in Python exactly as torch computes them, then rounded to the math dtype. FIRST
(the state was just created) treats every state tensor as zeros without reading it, so fresh
state buffers need no zero-fill launch. The formulas follow torch 2.x's single-tensor
implementations operation by operation (torch.optim.sgd/adam/rmsprop/adagrad).
"""
from __future__ import annotations

import numpy as np
import triton.language as tl

from ..runtime import dtypes as dt
from .creation import float_bits
from .launch import cdiv, is_interpreted, jit, launch
from .helpers import f64_param

# Elements per program on the GPU (4 warps: 8 fp32 per thread, two 128-bit accesses per tensor).
_GPU_BLOCK = 1024
# The interpreter pays per program: a block covers a whole (small) tensor.
_INTERP_MAX_BLOCK = 1 << 16


# ----------------------------------------------------------------------------------- helpers
@jit
def _locate(meta, T, B, BLOCK: tl.constexpr):
    """(tensor index, first element, numel) of this program's block, all int64."""
    b = tl.program_id(0)
    t = tl.load(meta + T + b)
    start = tl.multiple_of(tl.load(meta + T + B + b), BLOCK)
    n = tl.load(meta + t)
    return t, start, n


@jit
def _address(ptrs, row, T, t, ref, ALIGNED: tl.constexpr):
    """Row ``row`` of column ``t`` of the address table, as a pointer of ref's type."""
    p = tl.load(ptrs + row * T + t).to(ref.dtype)
    if ALIGNED:
        p = tl.multiple_of(p, 16)
    return p




@jit
def _load(ptr, offs, mask, ACC: tl.constexpr):
    return tl.load(ptr + offs, mask=mask).to(ACC)


@jit
def _load_state(ptr, offs, mask, FIRST: tl.constexpr, ACC: tl.constexpr):
    """A state tensor's values; zeros without reading when it was just created (FIRST)."""
    if FIRST:
        x = tl.zeros([offs.shape[0]], ACC)
    else:
        x = tl.load(ptr + offs, mask=mask).to(ACC)
    return x


@jit
def _store(ptr, offs, v, mask):
    tl.store(ptr + offs, v.to(ptr.dtype.element_ty), mask=mask)


@jit
def _rounded(x, ptr):
    """x as stored in ptr's dtype and read back: what torch's next operation sees."""
    return x.to(ptr.dtype.element_ty).to(x.dtype)


@jit
def _sqrt(x, ACC: tl.constexpr):
    """Correctly rounded square root (torch's), in float32 or float64."""
    if ACC == tl.float64:
        r = tl.sqrt(x)
    else:
        r = tl.sqrt_rn(x)
    return r


@jit
def _lerp(a, b, w):
    """torch.lerp(a, b, w) for a scalar weight, in ATen's two-sided form."""
    if tl.abs(w) < 0.5:
        r = a + w * (b - a)
    else:
        r = b - (b - a) * (1.0 - w)
    return r


# ----------------------------------------------------------------------------------- SGD
@jit
def _sgd_block(p_ptr, g_ptr, b_ptr, offs, mask, lr, momentum, damp_keep, weight_decay,
               HAS_WD: tl.constexpr, MOMENTUM: tl.constexpr, FIRST: tl.constexpr, NESTEROV: tl.constexpr,
               MAXIMIZE: tl.constexpr, ACC: tl.constexpr):
    p = _load(p_ptr, offs, mask, ACC)
    g = _load(g_ptr, offs, mask, ACC)
    if MAXIMIZE:
        g = -g
    if HAS_WD:
        g = _rounded(g + weight_decay * p, p_ptr)     # grad.add(param, alpha=weight_decay)
    if MOMENTUM:
        if FIRST:
            buf = g
        else:
            buf = _load(b_ptr, offs, mask, ACC) * momentum
            buf = buf + damp_keep * g
        _store(b_ptr, offs, buf, mask)
        buf = _rounded(buf, p_ptr)
        if NESTEROV:
            g = g + momentum * buf
        else:
            g = buf
    _store(p_ptr, offs, p + (-lr) * g, mask)


@jit(do_not_specialize=["lr", "momentum", "damp_keep", "weight_decay"])
def _sgd_step_kernel(
    ptrs,          # (3, T) int64: param, grad, momentum_buffer addresses (row 2 unused without MOMENTUM)
    meta,          # (T + 2*B,) int64: numels, block -> tensor, block -> start element
    ref,           # any parameter: the pointer type of every tensor
    T,             # tensors
    B,             # blocks (= grid size)
    lr,            # float64 bits: learning rate
    momentum,      # float64 bits
    damp_keep,     # float64 bits: 1 - dampening
    weight_decay,  # float64 bits
    HAS_WD: tl.constexpr,     # weight_decay != 0
    MOMENTUM: tl.constexpr,   # momentum != 0: keep a momentum buffer
    FIRST: tl.constexpr,      # the buffers are new: buf = grad (torch clones the gradient)
    NESTEROV: tl.constexpr,
    MAXIMIZE: tl.constexpr,
    ALIGNED: tl.constexpr,    # every address is a multiple of 16 bytes
    ACC: tl.constexpr,        # math dtype
    BLOCK: tl.constexpr,
):
    """torch.optim.SGD's step for every tensor of the table:
        g = +-grad (+ wd * p);  buf = g (FIRST) or momentum * buf + (1 - dampening) * g;
        g = g + momentum * buf (nesterov) or buf;  p = p - lr * g.
    Grid: (B,). One program updates BLOCK elements of one parameter (and its buffer)."""
    t, start, n = _locate(meta, T, B, BLOCK)
    p_ptr = _address(ptrs, 0, T, t, ref, ALIGNED)
    g_ptr = _address(ptrs, 1, T, t, ref, ALIGNED)
    b_ptr = _address(ptrs, 2, T, t, ref, ALIGNED)
    offs = start + tl.arange(0, BLOCK)
    lr_ = f64_param(lr, ACC)
    mom = f64_param(momentum, ACC)
    keep = f64_param(damp_keep, ACC)
    wd = f64_param(weight_decay, ACC)
    if start + BLOCK <= n:
        _sgd_block(p_ptr, g_ptr, b_ptr, offs, None, lr_, mom, keep, wd, HAS_WD, MOMENTUM, FIRST, NESTEROV,
                   MAXIMIZE, ACC)
    else:
        _sgd_block(p_ptr, g_ptr, b_ptr, offs, offs < n, lr_, mom, keep, wd, HAS_WD, MOMENTUM, FIRST, NESTEROV,
                   MAXIMIZE, ACC)


# ----------------------------------------------------------------------------------- Adam / AdamW
@jit
def _adam_block(p_ptr, g_ptr, m_ptr, v_ptr, vmax_ptr, offs, mask, one_minus_b1, beta2, one_minus_b2, eps,
                weight_decay, decay, step_size, bc2_sqrt,
                HAS_WD: tl.constexpr, DECOUPLED: tl.constexpr, AMSGRAD: tl.constexpr, FIRST: tl.constexpr,
                MAXIMIZE: tl.constexpr, ACC: tl.constexpr):
    p = _load(p_ptr, offs, mask, ACC)
    g = _load(g_ptr, offs, mask, ACC)
    if MAXIMIZE:
        g = -g
    if HAS_WD:
        if DECOUPLED:
            p = _rounded(p * decay, p_ptr)             # param.mul_(1 - lr * weight_decay)
        else:
            g = _rounded(g + weight_decay * p, p_ptr)  # grad.add(param, alpha=weight_decay)
    m = _lerp(_load_state(m_ptr, offs, mask, FIRST, ACC), g, one_minus_b1)   # exp_avg.lerp_(grad, 1 - beta1)
    v = _load_state(v_ptr, offs, mask, FIRST, ACC) * beta2 + one_minus_b2 * g * g  # mul_(beta2).addcmul_()
    _store(m_ptr, offs, m, mask)
    _store(v_ptr, offs, v, mask)
    m = _rounded(m, p_ptr)
    v = _rounded(v, p_ptr)
    if AMSGRAD:
        v = tl.maximum(_load_state(vmax_ptr, offs, mask, FIRST, ACC), v)     # torch.maximum(..., out=max)
        _store(vmax_ptr, offs, v, mask)
    denom = _sqrt(v, ACC) / bc2_sqrt + eps
    _store(p_ptr, offs, p + (-step_size) * (m / denom), mask)


@jit(do_not_specialize=["one_minus_b1", "beta2", "one_minus_b2", "eps", "weight_decay", "decay", "step_size",
                        "bc2_sqrt"])
def _adam_step_kernel(
    ptrs,           # (5, T) int64: param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq (AMSGRAD) addresses
    meta,           # (T + 2*B,) int64: numels, block -> tensor, block -> start element
    ref,            # any parameter: the pointer type of every tensor
    T,              # tensors
    B,              # blocks (= grid size)
    one_minus_b1,   # float64 bits: 1 - beta1
    beta2,          # float64 bits
    one_minus_b2,   # float64 bits: 1 - beta2
    eps,            # float64 bits
    weight_decay,   # float64 bits: L2 coefficient added to the gradient (Adam)
    decay,          # float64 bits: 1 - lr * weight_decay, the parameter's factor (AdamW)
    step_size,      # float64 bits: lr / (1 - beta1 ** step)
    bc2_sqrt,       # float64 bits: sqrt(1 - beta2 ** step)
    HAS_WD: tl.constexpr,     # weight_decay != 0
    DECOUPLED: tl.constexpr,  # AdamW: decay the parameter instead of adding wd * p to the gradient
    AMSGRAD: tl.constexpr,
    FIRST: tl.constexpr,      # the state is new (zeros): not read
    MAXIMIZE: tl.constexpr,
    ALIGNED: tl.constexpr,
    ACC: tl.constexpr,
    BLOCK: tl.constexpr,
):
    """torch.optim.Adam / AdamW's step (every tensor of the table at the same step count):
        g = +-grad;  Adam: g += wd * p  |  AdamW: p *= 1 - lr * wd
        m = lerp(m, g, 1 - beta1);  v = beta2 * v + (1 - beta2) * g^2;  amsgrad: vmax = max(vmax, v)
        p = p - step_size * m / (sqrt(v or vmax) / bc2_sqrt + eps)
    Grid: (B,). One program updates BLOCK elements of one parameter and its state."""
    t, start, n = _locate(meta, T, B, BLOCK)
    p_ptr = _address(ptrs, 0, T, t, ref, ALIGNED)
    g_ptr = _address(ptrs, 1, T, t, ref, ALIGNED)
    m_ptr = _address(ptrs, 2, T, t, ref, ALIGNED)
    v_ptr = _address(ptrs, 3, T, t, ref, ALIGNED)
    vmax_ptr = _address(ptrs, 4, T, t, ref, ALIGNED)
    offs = start + tl.arange(0, BLOCK)
    b1c = f64_param(one_minus_b1, ACC)
    b2 = f64_param(beta2, ACC)
    b2c = f64_param(one_minus_b2, ACC)
    eps_ = f64_param(eps, ACC)
    wd = f64_param(weight_decay, ACC)
    dec = f64_param(decay, ACC)
    ss = f64_param(step_size, ACC)
    bc2 = f64_param(bc2_sqrt, ACC)
    if start + BLOCK <= n:
        _adam_block(p_ptr, g_ptr, m_ptr, v_ptr, vmax_ptr, offs, None, b1c, b2, b2c, eps_, wd, dec, ss, bc2,
                    HAS_WD, DECOUPLED, AMSGRAD, FIRST, MAXIMIZE, ACC)
    else:
        _adam_block(p_ptr, g_ptr, m_ptr, v_ptr, vmax_ptr, offs, offs < n, b1c, b2, b2c, eps_, wd, dec, ss, bc2,
                    HAS_WD, DECOUPLED, AMSGRAD, FIRST, MAXIMIZE, ACC)


# ----------------------------------------------------------------------------------- RMSprop
@jit
def _rmsprop_block(p_ptr, g_ptr, sq_ptr, ga_ptr, buf_ptr, offs, mask, lr, alpha, one_minus_alpha, eps,
                   weight_decay, momentum,
                   HAS_WD: tl.constexpr, CENTERED: tl.constexpr, MOMENTUM: tl.constexpr, FIRST: tl.constexpr,
                   MAXIMIZE: tl.constexpr, ACC: tl.constexpr):
    p = _load(p_ptr, offs, mask, ACC)
    g = _load(g_ptr, offs, mask, ACC)
    if MAXIMIZE:
        g = -g
    if HAS_WD:
        g = _rounded(g + weight_decay * p, p_ptr)     # grad.add(param, alpha=weight_decay)
    sq = _load_state(sq_ptr, offs, mask, FIRST, ACC) * alpha + one_minus_alpha * g * g  # mul_().addcmul_()
    _store(sq_ptr, offs, sq, mask)
    sq = _rounded(sq, p_ptr)
    if CENTERED:
        ga = _lerp(_load_state(ga_ptr, offs, mask, FIRST, ACC), g, one_minus_alpha)  # grad_avg.lerp_
        _store(ga_ptr, offs, ga, mask)
        ga = _rounded(ga, p_ptr)
        avg = _sqrt(sq - ga * ga, ACC) + eps     # square_avg.addcmul(ga, ga, value=-1).sqrt_().add_(eps)
    else:
        avg = _sqrt(sq, ACC) + eps               # square_avg.sqrt().add_(eps)
    if MOMENTUM:
        buf = _load_state(buf_ptr, offs, mask, FIRST, ACC) * momentum + g / avg  # mul_().addcdiv_(g, avg)
        _store(buf_ptr, offs, buf, mask)
        p = p + (-lr) * _rounded(buf, p_ptr)
    else:
        p = p + (-lr) * (g / avg)
    _store(p_ptr, offs, p, mask)


@jit(do_not_specialize=["lr", "alpha", "one_minus_alpha", "eps", "weight_decay", "momentum"])
def _rmsprop_step_kernel(
    ptrs,             # (5, T) int64: param, grad, square_avg, grad_avg (CENTERED), momentum_buffer addresses
    meta,             # (T + 2*B,) int64: numels, block -> tensor, block -> start element
    ref,              # any parameter: the pointer type of every tensor
    T,                # tensors
    B,                # blocks (= grid size)
    lr,               # float64 bits
    alpha,            # float64 bits
    one_minus_alpha,  # float64 bits: 1 - alpha
    eps,              # float64 bits
    weight_decay,     # float64 bits
    momentum,         # float64 bits
    HAS_WD: tl.constexpr,
    CENTERED: tl.constexpr,
    MOMENTUM: tl.constexpr,   # momentum > 0: keep a momentum buffer
    FIRST: tl.constexpr,      # the state is new (zeros): not read
    MAXIMIZE: tl.constexpr,
    ALIGNED: tl.constexpr,
    ACC: tl.constexpr,
    BLOCK: tl.constexpr,
):
    """torch.optim.RMSprop's step for every tensor of the table:
        g = +-grad (+ wd * p);  sq = alpha * sq + (1 - alpha) * g^2
        centered: ga = lerp(ga, g, 1 - alpha), avg = sqrt(sq - ga^2) + eps;  else avg = sqrt(sq) + eps
        momentum: buf = momentum * buf + g / avg, p -= lr * buf;  else p -= lr * g / avg
    Grid: (B,). One program updates BLOCK elements of one parameter and its state."""
    t, start, n = _locate(meta, T, B, BLOCK)
    p_ptr = _address(ptrs, 0, T, t, ref, ALIGNED)
    g_ptr = _address(ptrs, 1, T, t, ref, ALIGNED)
    sq_ptr = _address(ptrs, 2, T, t, ref, ALIGNED)
    ga_ptr = _address(ptrs, 3, T, t, ref, ALIGNED)
    buf_ptr = _address(ptrs, 4, T, t, ref, ALIGNED)
    offs = start + tl.arange(0, BLOCK)
    lr_ = f64_param(lr, ACC)
    a = f64_param(alpha, ACC)
    ac = f64_param(one_minus_alpha, ACC)
    eps_ = f64_param(eps, ACC)
    wd = f64_param(weight_decay, ACC)
    mom = f64_param(momentum, ACC)
    if start + BLOCK <= n:
        _rmsprop_block(p_ptr, g_ptr, sq_ptr, ga_ptr, buf_ptr, offs, None, lr_, a, ac, eps_, wd, mom,
                       HAS_WD, CENTERED, MOMENTUM, FIRST, MAXIMIZE, ACC)
    else:
        _rmsprop_block(p_ptr, g_ptr, sq_ptr, ga_ptr, buf_ptr, offs, offs < n, lr_, a, ac, eps_, wd, mom,
                       HAS_WD, CENTERED, MOMENTUM, FIRST, MAXIMIZE, ACC)


# ----------------------------------------------------------------------------------- Adagrad
@jit
def _adagrad_block(p_ptr, g_ptr, s_ptr, offs, mask, clr, eps, weight_decay,
                   HAS_WD: tl.constexpr, MAXIMIZE: tl.constexpr, ACC: tl.constexpr):
    p = _load(p_ptr, offs, mask, ACC)
    g = _load(g_ptr, offs, mask, ACC)
    if MAXIMIZE:
        g = -g
    if HAS_WD:
        g = _rounded(g + weight_decay * p, p_ptr)     # grad.add(param, alpha=weight_decay)
    s = _load(s_ptr, offs, mask, ACC) + g * g     # state_sum.addcmul_(grad, grad, value=1)
    _store(s_ptr, offs, s, mask)
    std = _sqrt(_rounded(s, p_ptr), ACC) + eps    # state_sum.sqrt().add_(eps)
    _store(p_ptr, offs, p + (-clr) * (g / std), mask)


@jit(do_not_specialize=["clr", "eps", "weight_decay"])
def _adagrad_step_kernel(
    ptrs,          # (3, T) int64: param, grad, sum addresses
    meta,          # (T + 2*B,) int64: numels, block -> tensor, block -> start element
    ref,           # any parameter: the pointer type of every tensor
    T,             # tensors
    B,             # blocks (= grid size)
    clr,           # float64 bits: lr / (1 + (step - 1) * lr_decay)
    eps,           # float64 bits
    weight_decay,  # float64 bits
    HAS_WD: tl.constexpr,
    MAXIMIZE: tl.constexpr,
    ALIGNED: tl.constexpr,
    ACC: tl.constexpr,
    BLOCK: tl.constexpr,
):
    """torch.optim.Adagrad's (dense) step for every tensor of the table at the same step count:
        g = +-grad (+ wd * p);  sum += g^2;  p -= clr * g / (sqrt(sum) + eps)
    Grid: (B,). One program updates BLOCK elements of one parameter and its sum."""
    t, start, n = _locate(meta, T, B, BLOCK)
    p_ptr = _address(ptrs, 0, T, t, ref, ALIGNED)
    g_ptr = _address(ptrs, 1, T, t, ref, ALIGNED)
    s_ptr = _address(ptrs, 2, T, t, ref, ALIGNED)
    offs = start + tl.arange(0, BLOCK)
    clr_ = f64_param(clr, ACC)
    eps_ = f64_param(eps, ACC)
    wd = f64_param(weight_decay, ACC)
    if start + BLOCK <= n:
        _adagrad_block(p_ptr, g_ptr, s_ptr, offs, None, clr_, eps_, wd, HAS_WD, MAXIMIZE, ACC)
    else:
        _adagrad_block(p_ptr, g_ptr, s_ptr, offs, offs < n, clr_, eps_, wd, HAS_WD, MAXIMIZE, ACC)


# ----------------------------------------------------------------------------------- launchers
_META_CACHE: dict = {}
_PTR_CACHE: dict = {}
_CACHE_SIZE = 64


def _cached(cache: dict, key, make):
    v = cache.get(key)
    if v is None:
        if len(cache) >= _CACHE_SIZE:
            cache.pop(next(iter(cache)))
        v = cache[key] = make()
    return v


def _block_size(numels, dev) -> int:
    if is_interpreted(dev):
        return max(16, min(1 << (max(numels) - 1).bit_length(), _INTERP_MAX_BLOCK))
    return _GPU_BLOCK


def _meta(numels: tuple, block: int, dev):
    """The (T + 2*B,) int64 table: numels, then each block's tensor index and start element."""
    def make():
        from ..ops.creation import tensor
        counts = [cdiv(n, block) for n in numels]
        tensor_of = np.repeat(np.arange(len(numels), dtype=np.int64), counts)
        first = np.repeat(np.cumsum([0] + counts[:-1]), counts)
        start = (np.arange(len(tensor_of), dtype=np.int64) - first) * block
        return tensor(np.concatenate([np.asarray(numels, np.int64), tensor_of, start]), device=dev)
    return _cached(_META_CACHE, (dev, block, numels), make)


def _check(rows):
    p0 = rows[0][0]
    for row in rows[1:]:
        for p, t in zip(rows[0], row):
            if t is not None and (t.dtype is not p0.dtype or t.device != p0.device or t.numel() != p.numel()):
                raise RuntimeError("optimizer step: every tensor of a launch must have the parameter's "
                                   f"dtype {p0.dtype}, device {p0.device} and numel")


def _table(rows: list, numels: tuple, dev):
    """((len(rows), T) int64 addresses, all 16-byte aligned?); a None (unused state) is address 0.
    Cached per address tuple: the checks run when a tensor is new (its address unseen)."""
    addrs = tuple(tuple(0 if x is None else x.data_ptr() for x in row) for row in rows)

    def make():
        from ..ops.creation import tensor
        _check(rows)
        return (tensor(np.asarray(addrs, dtype=np.int64), device=dev),
                all(a % 16 == 0 for row in addrs for a in row))
    return _cached(_PTR_CACHE, (dev, rows[0][0].dtype, numels, addrs), make)


def _launch(kernel, params, grads, states, scalars, **constexprs):
    """Build (or find cached) tables for ``params`` (one dtype, one device, dense, their
    ``grads`` and ``states``: lists of per-parameter tensors, or None for an unused row) and
    launch ``kernel`` once over all of them."""
    numels = tuple(p.numel() for p in params)
    rows = [params, grads] + [s if s is not None else [None] * len(params) for s in states]
    if 0 in numels:
        keep = [i for i, n in enumerate(numels) if n]
        if not keep:
            return
        rows = [[row[i] for i in keep] for row in rows]
        numels = tuple(numels[i] for i in keep)
    dev = rows[0][0].device
    block = _block_size(numels, dev)
    meta = _meta(numels, block, dev)
    ptrs, aligned = _table(rows, numels, dev)
    n_blocks = (meta.numel() - len(numels)) // 2
    acc = tl.float64 if rows[0][0].dtype is dt.float64 else tl.float32
    launch(kernel, (n_blocks,), ptrs, meta, rows[0][0], len(numels), n_blocks,
           *[float_bits(x) for x in scalars], ALIGNED=aligned, ACC=acc, BLOCK=block,
           num_warps=1 if is_interpreted(dev) else 4, **constexprs)


def sgd_step(params, grads, momentum_buffers, *, lr, momentum, dampening, weight_decay, nesterov, maximize,
             first):
    """One torch.optim.SGD step over ``params`` (same dtype and device, dense): updates params and
    (momentum != 0) ``momentum_buffers`` in place; ``first``: the buffers are new (set to grad)."""
    _launch(_sgd_step_kernel, params, grads, [momentum_buffers if momentum != 0 else None],
            (lr, momentum, 1.0 - dampening, weight_decay), HAS_WD=weight_decay != 0, MOMENTUM=momentum != 0,
            FIRST=first, NESTEROV=nesterov, MAXIMIZE=maximize)


def adam_step(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, *, step, lr, beta1, beta2, eps,
              weight_decay, amsgrad, maximize, decoupled, first):
    """One torch.optim.Adam (decoupled: AdamW) step over ``params`` whose state is at ``step``
    (already incremented); bias corrections computed here in float64 as torch does."""
    bc1 = 1 - beta1 ** step
    bc2 = 1 - beta2 ** step
    _launch(_adam_step_kernel, params, grads, [exp_avgs, exp_avg_sqs, max_exp_avg_sqs if amsgrad else None],
            (1 - beta1, beta2, 1 - beta2, eps, weight_decay, 1 - lr * weight_decay, lr / bc1, bc2 ** 0.5),
            HAS_WD=weight_decay != 0, DECOUPLED=decoupled, AMSGRAD=amsgrad, FIRST=first, MAXIMIZE=maximize)


def rmsprop_step(params, grads, square_avgs, grad_avgs, momentum_buffers, *, lr, alpha, eps, weight_decay,
                 momentum, centered, maximize, first):
    """One torch.optim.RMSprop step over ``params``."""
    _launch(_rmsprop_step_kernel, params, grads,
            [square_avgs, grad_avgs if centered else None, momentum_buffers if momentum > 0 else None],
            (lr, alpha, 1 - alpha, eps, weight_decay, momentum), HAS_WD=weight_decay != 0, CENTERED=centered,
            MOMENTUM=momentum > 0, FIRST=first, MAXIMIZE=maximize)


def adagrad_step(params, grads, state_sums, *, step, lr, lr_decay, eps, weight_decay, maximize):
    """One torch.optim.Adagrad step over ``params`` whose state is at ``step`` (incremented)."""
    clr = lr / (1 + (step - 1) * lr_decay)
    _launch(_adagrad_step_kernel, params, grads, [state_sums], (clr, eps, weight_decay),
            HAS_WD=weight_decay != 0, MAXIMIZE=maximize)
