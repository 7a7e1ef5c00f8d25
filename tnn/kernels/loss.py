"""Pointwise losses (mse, l1, smooth_l1, huber, binary cross-entropy with and without logits,
kl_div, soft_margin), fused forward + reduction and backward; the final deterministic sum every loss uses; and
one_hot.

The pointwise kernels see every operand as strided over the broadcast shape ``sizes`` (stride 0
along broadcast dims; the functional layer coalesces the shape with all strides). Forward writes
either the per-element loss (reduction='none', contiguous, output dtype) or one ACC partial sum
per program, which ``finish_sum`` adds up in a single program (no atomics: deterministic).
Backward recomputes d loss / d input (and d loss / d target when needed) from the saved operands
and grad_output, writing contiguous gradients over the broadcast shape; the functional layer
sums them down to each operand's shape.
"""
import triton.language as tl

from .creation import float_bits
from .launch import cdiv, elementwise_config, jit, launch
from .helpers import f64_from_bits, strided_offsets

MSE, L1, SMOOTH_L1, HUBER, BCE, BCE_LOGITS, KL_DIV, KL_DIV_LOG_TARGET, SOFT_MARGIN = range(9)
_DIVIDE_NONE, _DIVIDE_BY_PTR, _DIVIDE_BY_CONST = 0, 1, 2




@jit
def _softplus_neg(x):
    """log(1 + exp(-x)) in the stable form max(-x, 0) + log(1 + exp(-|x|))."""
    return tl.maximum(-x, 0) + tl.log(1 + tl.exp(-tl.abs(x)))


@jit
def _load_opt(ptr, idx, sizes, strides, mask, PRESENT: tl.constexpr, ACC: tl.constexpr, RANK: tl.constexpr):
    """An optional strided operand (weight, pos_weight) in ACC, or 1 when absent."""
    if PRESENT:
        v = tl.load(ptr + strided_offsets(idx, sizes, strides, RANK), mask=mask, other=0).to(ACC)
    else:
        v = tl.zeros_like(idx).to(ACC) + 1
    return v


@jit
def _pointwise_loss(x, y, w, pw, p, LOSS: tl.constexpr):
    """The per-element loss of input x and target y (ACC tensors); w: weight, pw: pos_weight,
    p: beta (smooth_l1) or delta (huber)."""
    if LOSS == 0:      # MSE
        v = (x - y) * (x - y)
    elif LOSS == 1:    # L1
        v = tl.abs(x - y)
    elif LOSS == 2:    # SMOOTH_L1, beta > 0
        ad = tl.abs(x - y)
        v = tl.where(ad < p, 0.5 * ad * ad / p, ad - 0.5 * p)
    elif LOSS == 3:    # HUBER
        ad = tl.abs(x - y)
        v = tl.where(ad < p, 0.5 * ad * ad, p * (ad - 0.5 * p))
    elif LOSS == 4:    # BCE, logs clamped at -100 as torch
        v = -(y * tl.maximum(tl.log(x), -100.0) + (1 - y) * tl.maximum(tl.log(1 - x), -100.0)) * w
    elif LOSS == 5:    # BCE_LOGITS: (1 - y) x + (1 + (pw - 1) y) softplus(-x)
        v = ((1 - y) * x + (1 + (pw - 1) * y) * _softplus_neg(x)) * w
    elif LOSS == 6:    # KL_DIV: xlogy(y, y) - y x
        v = tl.where(y == 0, 0, y * tl.log(y)) - y * x
    elif LOSS == 7:    # KL_DIV_LOG_TARGET: exp(y) (y - x)
        v = tl.exp(y) * (y - x)
    else:              # SOFT_MARGIN: log(1 + exp(-y x)), stable
        v = _softplus_neg(y * x)
    return v


@jit
def _pointwise_grads(x, y, w, pw, p, LOSS: tl.constexpr):
    """(d loss / d x, d loss / d y) per element, as torch's backward formulas."""
    if LOSS == 0:
        dx = 2 * (x - y)
        dy = -dx
    elif LOSS == 1:
        d = x - y
        dx = tl.where(d > 0, 1.0, tl.where(d < 0, -1.0, 0.0)).to(x.dtype)
        dy = -dx
    elif LOSS == 2:
        d = x - y
        dx = tl.where(d < -p, -1.0, tl.where(d > p, 1.0, d / p)).to(x.dtype)
        dy = -dx
    elif LOSS == 3:
        d = x - y
        dx = tl.where(d < -p, -p, tl.where(d > p, p, d)).to(x.dtype)
        dy = -dx
    elif LOSS == 4:
        dx = w * (x - y) / tl.maximum((1 - x) * x, 1e-12)
        dy = w * (tl.log(1 - x) - tl.log(x))
    elif LOSS == 5:
        sig = tl.where(x >= 0, 1 / (1 + tl.exp(-x)), tl.exp(x) / (1 + tl.exp(x)))
        dx = w * ((1 + (pw - 1) * y) * sig - pw * y)
        dy = w * (-x + (pw - 1) * _softplus_neg(x))
    elif LOSS == 6:
        dx = -y
        dy = tl.where(y == 0, 0, tl.log(y)) + y / y - x
    elif LOSS == 7:
        e = tl.exp(y)
        dx = -e
        dy = e * (y - x + 1)
    else:              # SOFT_MARGIN: d/dx = -y sigmoid(-y x), d/dy = -x sigmoid(-y x)
        s = y * x
        sig = tl.where(s >= 0, tl.exp(-s) / (1 + tl.exp(-s)), 1 / (1 + tl.exp(s)))
        dx = -y * sig
        dy = -x * sig
    return dx, dy


@jit
def _pointwise_loss_fwd_kernel(
    x_ptr, y_ptr, w_ptr, pw_ptr,   # input, target, weight (HAS_W), pos_weight (HAS_PW): strided over sizes
    out_ptr,      # (numel,) contiguous per-element loss, output dtype (not REDUCE)
    part_ptr,     # (grid,) ACC partial sums (REDUCE)
    numel,
    sizes,        # tuple of RANK broadcast sizes
    x_strides, y_strides, w_strides, pw_strides,   # tuples of RANK strides (0 where broadcast)
    p_bits,       # float64 bits: beta / delta
    LOSS: tl.constexpr,
    HAS_W: tl.constexpr,
    HAS_PW: tl.constexpr,
    REDUCE: tl.constexpr,
    ACC: tl.constexpr,
    RANK: tl.constexpr,
    BLOCK: tl.constexpr,
):
    """loss[i] = f(x[i], y[i], w[i], pw[i]) (see _pointwise_loss); with REDUCE, each program
    writes the sum over its elements to part[pid]. Grid: (cdiv(numel, BLOCK),); one program,
    BLOCK consecutive row-major indices of the broadcast shape."""
    pid = tl.program_id(0)
    idx = pid.to(tl.int64) * BLOCK + tl.arange(0, BLOCK).to(tl.int64)
    mask = idx < numel
    x = tl.load(x_ptr + strided_offsets(idx, sizes, x_strides, RANK), mask=mask, other=0.5).to(ACC)
    y = tl.load(y_ptr + strided_offsets(idx, sizes, y_strides, RANK), mask=mask, other=0.5).to(ACC)
    w = _load_opt(w_ptr, idx, sizes, w_strides, mask, HAS_W, ACC, RANK)
    pw = _load_opt(pw_ptr, idx, sizes, pw_strides, mask, HAS_PW, ACC, RANK)
    v = _pointwise_loss(x, y, w, pw, f64_from_bits(p_bits).to(ACC), LOSS)
    if REDUCE:
        tl.store(part_ptr + pid, tl.sum(tl.where(mask, v, 0), axis=0))
    else:
        tl.store(out_ptr + idx, v.to(out_ptr.dtype.element_ty), mask=mask)


@jit
def _pointwise_loss_bwd_kernel(
    x_ptr, y_ptr, w_ptr, pw_ptr,   # as the forward, strided over sizes
    go_ptr,       # grad_output strided over sizes (all strides 0 for a reduced loss)
    dx_ptr,       # (numel,) contiguous d loss / d input, input dtype (NEED_DX)
    dy_ptr,       # (numel,) contiguous d loss / d target, target dtype (NEED_DY)
    numel,
    sizes,
    x_strides, y_strides, w_strides, pw_strides, go_strides,
    p_bits,       # float64 bits: beta / delta
    scale_bits,   # float64 bits: 1/n for reduction='mean' (1 otherwise)
    LOSS: tl.constexpr,
    HAS_W: tl.constexpr,
    HAS_PW: tl.constexpr,
    NEED_DX: tl.constexpr,
    NEED_DY: tl.constexpr,
    ACC: tl.constexpr,
    RANK: tl.constexpr,
    BLOCK: tl.constexpr,
):
    """dx[i] = grad_output[i] * scale * d loss / d x, dy likewise. Grid: (cdiv(numel, BLOCK),)."""
    idx = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK).to(tl.int64)
    mask = idx < numel
    x = tl.load(x_ptr + strided_offsets(idx, sizes, x_strides, RANK), mask=mask, other=0.5).to(ACC)
    y = tl.load(y_ptr + strided_offsets(idx, sizes, y_strides, RANK), mask=mask, other=0.5).to(ACC)
    w = _load_opt(w_ptr, idx, sizes, w_strides, mask, HAS_W, ACC, RANK)
    pw = _load_opt(pw_ptr, idx, sizes, pw_strides, mask, HAS_PW, ACC, RANK)
    g = tl.load(go_ptr + strided_offsets(idx, sizes, go_strides, RANK), mask=mask, other=0).to(ACC)
    g = g * f64_from_bits(scale_bits).to(ACC)
    dx, dy = _pointwise_grads(x, y, w, pw, f64_from_bits(p_bits).to(ACC), LOSS)
    if NEED_DX:
        tl.store(dx_ptr + idx, (g * dx).to(dx_ptr.dtype.element_ty), mask=mask)
    if NEED_DY:
        tl.store(dy_ptr + idx, (g * dy).to(dy_ptr.dtype.element_ty), mask=mask)


@jit
def _finish_sum_kernel(
    src_ptr,      # (n,) contiguous values (ACC partial sums or per-row losses)
    den_ptr,      # (1,) divisor (DIVIDE == 1)
    out_ptr,      # () the result, output dtype
    n,
    div_bits,     # float64 bits: constant divisor (DIVIDE == 2)
    DIVIDE: tl.constexpr,
    ACC: tl.constexpr,
    BLOCK: tl.constexpr,
):
    """out = sum(src) [/ den or / div]. Grid: (1,); one program walks src in BLOCK chunks, so the
    result does not depend on scheduling. 0 / 0 (an empty mean, all targets ignored) is nan."""
    acc = tl.zeros([BLOCK], ACC)
    for start in range(0, n, BLOCK):
        i = start + tl.arange(0, BLOCK).to(tl.int64)
        acc += tl.load(src_ptr + i, mask=i < n, other=0).to(ACC)
    total = tl.sum(acc, axis=0)
    if DIVIDE == 1:
        total = total / tl.load(den_ptr).to(ACC)
    elif DIVIDE == 2:
        total = total / f64_from_bits(div_bits).to(ACC)
    tl.store(out_ptr, total.to(out_ptr.dtype.element_ty))


@jit
def _one_hot_kernel(
    t_ptr,        # (M,) contiguous int64 class indices
    out_ptr,      # (M, K) contiguous int64
    numel,        # M * K
    K,            # num_classes
    BLOCK: tl.constexpr,
):
    """out[m, k] = (t[m] == k). Grid: (cdiv(M * K, BLOCK),); one program, BLOCK outputs."""
    idx = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK).to(tl.int64)
    mask = idx < numel
    t = tl.load(t_ptr + idx // K, mask=mask, other=-1)
    tl.store(out_ptr + idx, (t == idx % K).to(tl.int64), mask=mask)


# ------------------------------------------------------------------------------ launchers
def _acc(dtype):
    return tl.float64 if dtype.itemsize == 8 else tl.float32


def _acc_tnn(dtype):
    from ..runtime import dtypes as dt
    return dt.float64 if dtype.itemsize == 8 else dt.float32


def finish_sum(src, out, *, den=None, divisor=None):
    """out (0-d) = sum(src) / den[0] (a (1,) tensor) or / divisor (a float), or the plain sum."""
    n = src.numel()
    mode = _DIVIDE_BY_PTR if den is not None else _DIVIDE_BY_CONST if divisor is not None else _DIVIDE_NONE
    block, warps = elementwise_config(n, src.device)
    launch(_finish_sum_kernel, (1,), src, den if den is not None else src, out, n,
           float_bits(divisor if divisor is not None else 1.0), DIVIDE=mode, ACC=_acc(src.dtype),
           BLOCK=min(block, 4096), num_warps=warps)
    return out


def pointwise_loss_fwd(loss: int, x, y, w, pw, sizes, strides, out_dtype, *, reduction: str, p: float = 0.0,
                       divisor: float = 1.0):
    """strides: (x, y, w, pw) stride tuples over the coalesced ``sizes`` (w/pw entries unused when
    the tensor is None). Returns the contiguous per-element loss (flat, for 'none') or a 0-d tensor:
    the sum ('sum') or sum / divisor ('mean')."""
    from ..tensor import Tensor
    numel = 1
    for s in sizes:
        numel *= s
    acc = _acc(out_dtype)
    block, warps = elementwise_config(numel, x.device)
    grid = cdiv(numel, block)
    reduce = reduction != "none"
    out = Tensor._empty((numel,), out_dtype, x.device) if not reduce else None
    part = Tensor._empty((grid,), _acc_tnn(out_dtype), x.device) if reduce else None
    xs, ys, ws, pws = strides
    launch(_pointwise_loss_fwd_kernel, (grid,), x, y, w, pw, out if out is not None else part,
           part if part is not None else out, numel, tuple(sizes), tuple(xs), tuple(ys), tuple(ws), tuple(pws),
           float_bits(p), LOSS=loss, HAS_W=w is not None, HAS_PW=pw is not None, REDUCE=reduce, ACC=acc,
           RANK=len(sizes), BLOCK=block, num_warps=warps)
    if not reduce:
        return out
    res = Tensor._empty((), out_dtype, x.device)
    return finish_sum(part, res, divisor=divisor if reduction == "mean" else None)


def pointwise_loss_bwd(loss: int, x, y, w, pw, go, sizes, strides, go_strides, *, need_dx: bool, need_dy: bool,
                       p: float = 0.0, scale: float = 1.0):
    """(dx, dy): contiguous flat gradients over the broadcast shape, in x's / y's dtype (or None)."""
    from ..tensor import Tensor
    numel = 1
    for s in sizes:
        numel *= s
    dx = Tensor._empty((numel,), x.dtype, x.device) if need_dx else None
    dy = Tensor._empty((numel,), y.dtype, x.device) if need_dy else None
    block, warps = elementwise_config(numel, x.device)
    xs, ys, ws, pws = strides
    from ..runtime.dtypes import promote_types
    acc = _acc(promote_types(x.dtype, y.dtype))
    launch(_pointwise_loss_bwd_kernel, (cdiv(numel, block),), x, y, w, pw, go, dx if dx is not None else dy,
           dy if dy is not None else dx, numel, tuple(sizes), tuple(xs), tuple(ys), tuple(ws), tuple(pws),
           tuple(go_strides), float_bits(p), float_bits(scale), LOSS=loss, HAS_W=w is not None,
           HAS_PW=pw is not None, NEED_DX=need_dx, NEED_DY=need_dy, ACC=acc, RANK=len(sizes), BLOCK=block,
           num_warps=warps)
    return dx, dy


def one_hot(t, num_classes: int):
    """t contiguous int64 (any shape) -> (*t.shape, num_classes) int64."""
    from ..runtime import dtypes as dt
    from ..tensor import Tensor
    out = Tensor._empty(tuple(t.shape) + (num_classes,), dt.int64, t.device)
    numel = out.numel()
    block, warps = elementwise_config(numel, t.device)
    launch(_one_hot_kernel, (cdiv(numel, block),), t, out, numel, num_classes, BLOCK=block, num_warps=warps)
    return out
