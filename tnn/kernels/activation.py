"""Activation kernels, forward and backward: one elementwise kernel per direction with the
activation chosen by a ``tl.constexpr`` OP string, plus GLU (two halves of one input) and PReLU
(a per-channel weight whose gradient is reduced deterministically), and training-mode RReLU
(random slopes from Philox, regenerated in backward; see the section at the end).

Layout: the functional layer coalesces the shape and every operand's strides
(``tnn.shape.coalesce``) into RANK sizes; CONTIG (RANK == 1, every stride 1) skips the index
arithmetic. Offsets are int64. Types: values are computed in ACC (float32 for float16/bfloat16/
float32, float64 for float64, the integer type itself for relu of integers) and stored in the
output's dtype. Float parameters (slopes, alphas, thresholds) arrive as the int64 bits of a
float64 (``float_bits``) and are rounded to ACC in the kernel, as torch rounds its Scalars to the
op's math type.

Gradient conventions at the breakpoints (torch's, see tnn/reference/activation.py) live in
``_act_bwd``: every comparison there is the one torch's backward kernel makes.
"""
import triton.language as tl

from .creation import float_bits
from .elementwise import _expm1, _log1p, _tanh
from .helpers import f64_param, flat_offsets, strided_offsets
from .launch import cdiv, elementwise_config, is_interpreted, jit, launch, next_power_of_2
from .random import _uniform01

# Constants torch uses (ATen's Activation.h / math constants).
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
# GELU's constants appear as literals in the kernels (a jit function sees no module floats):
# M_SQRT1_2 = 0.7071067811865476; M_2_SQRTPI * M_SQRT1_2 / 2 = 0.3989422804014327 (the normal pdf's
# 1/sqrt(2 pi)); beta = M_SQRT2 * M_2_SQRTPI / 2 = 0.7978845608028654; kappa = 0.044715.


# ----------------------------------------------------------------------------- helpers
@jit
def _sigmoid(x):
    return 1.0 / (1.0 + tl.exp(-x))


@jit
def _softplus(x, ACC: tl.constexpr):
    """log(1 + exp(x)) without overflow: max(x, 0) + log1p(exp(-|x|))."""
    return tl.where(x > 0, x, 0.0) + _log1p(tl.exp(-tl.abs(x)), ACC)


@jit
def _clamp(x, lo, hi):
    """min(max(x, lo), hi) with NaN passing through (as torch's clamp / std::min(std::max))."""
    r = tl.where(x < lo, lo, x)
    return tl.where(r > hi, hi, r)


# ----------------------------------------------------------------------------- the operations
@jit
def _act_fwd(x, a, b, c, OP: tl.constexpr, ACC: tl.constexpr):
    """y = OP(x; a, b, c) in ACC. Parameters per OP: leaky_relu a=negative_slope; hardtanh a=min,
    b=max; elu a=alpha*scale, b=scale, c=input_scale (elu, selu and celu); softplus a=beta,
    b=threshold; softshrink/hardshrink a=lambd; threshold a=threshold, b=value."""
    if OP == "relu":
        y = tl.where(x < 0, 0, x)  # relu(nan) = nan
    elif OP == "hardtanh":
        y = _clamp(x, a, b)
    elif OP == "leaky_relu":
        y = tl.where(x > 0, x, x * a)
    elif OP == "elu":
        y = tl.where(x <= 0, _expm1(x * c, ACC) * a, x * b)
    elif OP == "gelu":
        y = 0.5 * x * (1.0 + tl.math.erf(x * 0.7071067811865476))
    elif OP == "gelu_tanh":
        inner = (x + x * x * x * 0.044715) * 0.7978845608028654
        y = 0.5 * x * (1.0 + _tanh(inner, ACC))
    elif OP == "silu":
        y = x / (1.0 + tl.exp(-x))
    elif OP == "mish":
        y = x * _tanh(_softplus(x, ACC), ACC)
    elif OP == "sigmoid":
        y = _sigmoid(x)
    elif OP == "logsigmoid":
        y = tl.where(x < 0, x, 0.0) - _log1p(tl.exp(-tl.abs(x)), ACC)
    elif OP == "tanh":
        y = _tanh(x, ACC)
    elif OP == "hardsigmoid":
        y = _clamp(x + 3.0, 0.0, 6.0) / 6.0
    elif OP == "hardswish":
        y = x * _clamp(x + 3.0, 0.0, 6.0) / 6.0
    elif OP == "softplus":
        xb = x * a
        y = tl.where(xb > b, x, _log1p(tl.exp(xb), ACC) / a)
    elif OP == "softsign":
        y = x / (1.0 + tl.abs(x))
    elif OP == "softshrink":
        y = tl.where(x > a, x - a, tl.where(x < -a, x + a, tl.where(x != x, x, 0.0)))  # NaN stays
    elif OP == "hardshrink":
        y = tl.where((x >= -a) & (x <= a), 0.0, x)
    elif OP == "tanhshrink":
        y = x - _tanh(x, ACC)
    elif OP == "threshold":
        y = tl.where(x <= a, b, x)
    else:
        tl.static_assert(False, "unknown activation OP")
    return y


@jit
def _act_bwd(s, g, a, b, c, OP: tl.constexpr, ACC: tl.constexpr):
    """dx = OP'(x) * g in ACC, from the saved value ``s``: the input x, or the output y for the OPs
    that say so (their torch backward reads the result)."""
    if OP == "relu":  # s = y: relu'(0) = 0
        d = tl.where(s > 0, g, 0.0)
    elif OP == "hardtanh":  # s = x (or y in place): gradient strictly inside (min, max)
        d = tl.where((s <= a) | (s >= b), 0.0, g)
    elif OP == "leaky_relu":  # s = x (or y in place): leaky_relu'(0) = negative_slope
        d = tl.where(s > 0, g, g * a)
    elif OP == "elu":  # s = x: the x <= 0 branch at 0
        d = tl.where(s <= 0, g * c * a * tl.exp(s * c), g * b)
    elif OP == "elu_result":  # s = y (elu_, celu_, selu_ in place)
        d = tl.where(s <= 0, g * c * (s + a), g * b)
    elif OP == "gelu":
        cdf = 0.5 * (1.0 + tl.math.erf(s * 0.7071067811865476))
        pdf = tl.exp(-0.5 * s * s) * 0.3989422804014327
        d = g * (cdf + s * pdf)
    elif OP == "gelu_tanh":
        x_sq = s * s
        t = _tanh((s + x_sq * s * 0.044715) * 0.7978845608028654, ACC)
        left_d = 0.5 * (1.0 + t)
        right_d = 0.5 * s * (1.0 - t * t) * 0.7978845608028654 * (1.0 + x_sq * (3.0 * 0.044715))
        d = g * (left_d + right_d)
    elif OP == "silu":
        sg = _sigmoid(s)
        d = g * sg * (1.0 + s * (1.0 - sg))
    elif OP == "mish":
        tsp = _tanh(_softplus(s, ACC), ACC)
        d = g * (tsp + s * _sigmoid(s) * (1.0 - tsp * tsp))
    elif OP == "sigmoid":  # s = y
        d = g * (1.0 - s) * s
    elif OP == "logsigmoid":
        z = tl.exp(-tl.abs(s))
        d = g * tl.where(s < 0, 1.0 - z / (1.0 + z), z / (1.0 + z))
    elif OP == "tanh":  # s = y
        d = g * (1.0 - s * s)
    elif OP == "hardsigmoid":  # 0 at -3 and 3
        d = tl.where((s > -3.0) & (s < 3.0), g / 6.0, 0.0)
    elif OP == "hardswish":  # -0.5 at -3, 1.5 at 3
        d = tl.where(s < -3.0, 0.0, tl.where(s <= 3.0, g * (s / 3.0 + 0.5), g))
    elif OP == "softplus":
        xb = s * a
        z = tl.exp(xb)
        d = tl.where(xb > b, g, g * z / (z + 1.0))
    elif OP == "softsign":
        den = 1.0 + tl.abs(s)
        d = g / (den * den)
    elif OP == "softshrink" or OP == "hardshrink":  # 0 on [-lambd, lambd]
        d = tl.where((s >= -a) & (s <= a), 0.0, g)
    elif OP == "tanhshrink":
        t = _tanh(s, ACC)
        d = g * t * t
    elif OP == "threshold":  # s = x (threshold_ in place: y, as torch)
        d = tl.where(s <= a, 0.0, g)
    else:
        tl.static_assert(False, "unknown activation OP")
    return d


# ----------------------------------------------------------------------------- kernels
@jit(do_not_specialize=["a_bits", "b_bits", "c_bits"])
def _act_fwd_kernel(
    x_ptr,        # (*sizes) strided input
    y_ptr,        # (*sizes) strided output (x itself for in-place)
    numel,        # number of elements
    sizes,        # tuple of RANK sizes (coalesced)
    x_strides,    # tuple of RANK strides (elements)
    y_strides,    # tuple of RANK strides (elements)
    a_bits,       # float64 parameters as int64 bits (see _act_fwd)
    b_bits,
    c_bits,
    OP: tl.constexpr,      # activation name
    ACC: tl.constexpr,     # compute dtype
    CONTIG: tl.constexpr,  # RANK == 1 and both strides 1
    RANK: tl.constexpr,
    BLOCK: tl.constexpr,
):
    """y[i] = OP(x[i]) for every index i.

    Grid: (cdiv(numel, BLOCK),); one program computes BLOCK consecutive row-major indices."""
    idx = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = idx < numel
    x = tl.load(x_ptr + flat_offsets(idx, sizes, x_strides, CONTIG, RANK), mask=mask).to(ACC)
    y = _act_fwd(x, f64_param(a_bits, ACC), f64_param(b_bits, ACC), f64_param(c_bits, ACC), OP, ACC)
    tl.store(y_ptr + flat_offsets(idx, sizes, y_strides, CONTIG, RANK), y.to(y_ptr.dtype.element_ty), mask=mask)


@jit(do_not_specialize=["a_bits", "b_bits", "c_bits"])
def _act_bwd_kernel(
    s_ptr,        # (*sizes) strided saved tensor: the input, or the output for result-based OPs
    dy_ptr,       # (*sizes) strided gradient of the output
    dx_ptr,       # (*sizes) strided gradient of the input (output)
    numel,
    sizes,        # tuple of RANK sizes (coalesced)
    s_strides,    # tuple of RANK strides per operand (elements)
    dy_strides,
    dx_strides,
    a_bits,       # float64 parameters as int64 bits (as the forward)
    b_bits,
    c_bits,
    OP: tl.constexpr,
    ACC: tl.constexpr,
    CONTIG: tl.constexpr,
    RANK: tl.constexpr,
    BLOCK: tl.constexpr,
):
    """dx[i] = OP'(s[i]) * dy[i].

    Grid: (cdiv(numel, BLOCK),); one program computes BLOCK consecutive row-major indices."""
    idx = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = idx < numel
    s = tl.load(s_ptr + flat_offsets(idx, sizes, s_strides, CONTIG, RANK), mask=mask).to(ACC)
    g = tl.load(dy_ptr + flat_offsets(idx, sizes, dy_strides, CONTIG, RANK), mask=mask).to(ACC)
    d = _act_bwd(s, g, f64_param(a_bits, ACC), f64_param(b_bits, ACC), f64_param(c_bits, ACC), OP, ACC)
    tl.store(dx_ptr + flat_offsets(idx, sizes, dx_strides, CONTIG, RANK), d.to(dx_ptr.dtype.element_ty), mask=mask)


@jit
def _glu_fwd_kernel(
    a_ptr,        # (*sizes) strided first half of the input along dim
    b_ptr,        # (*sizes) strided second half (the gate)
    y_ptr,        # (*sizes) strided output
    numel,
    sizes,        # tuple of RANK sizes (coalesced)
    a_strides,    # tuple of RANK strides per operand (elements)
    b_strides,
    y_strides,
    ACC: tl.constexpr,
    CONTIG: tl.constexpr,
    RANK: tl.constexpr,
    BLOCK: tl.constexpr,
):
    """y = a * sigmoid(b), a and b the two halves of the input along the GLU dim.

    Grid: (cdiv(numel, BLOCK),); one program computes BLOCK consecutive output indices."""
    idx = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = idx < numel
    a = tl.load(a_ptr + flat_offsets(idx, sizes, a_strides, CONTIG, RANK), mask=mask).to(ACC)
    b = tl.load(b_ptr + flat_offsets(idx, sizes, b_strides, CONTIG, RANK), mask=mask).to(ACC)
    y = a * _sigmoid(b)
    tl.store(y_ptr + flat_offsets(idx, sizes, y_strides, CONTIG, RANK), y.to(y_ptr.dtype.element_ty), mask=mask)


@jit
def _glu_bwd_kernel(
    a_ptr,        # (*sizes) strided first half of the input
    b_ptr,        # (*sizes) strided second half
    dy_ptr,       # (*sizes) strided gradient of the output
    da_ptr,       # (*sizes) strided gradient of the first half (a view of dx)
    db_ptr,       # (*sizes) strided gradient of the second half (a view of dx)
    numel,
    sizes,        # tuple of RANK sizes (coalesced)
    a_strides,    # tuple of RANK strides per operand (elements)
    b_strides,
    dy_strides,
    da_strides,
    db_strides,
    ACC: tl.constexpr,
    CONTIG: tl.constexpr,
    RANK: tl.constexpr,
    BLOCK: tl.constexpr,
):
    """da = dy * sigmoid(b); db = dy * a * sigmoid(b) * (1 - sigmoid(b)).

    Grid: (cdiv(numel, BLOCK),); one program computes BLOCK consecutive output indices."""
    idx = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = idx < numel
    a = tl.load(a_ptr + flat_offsets(idx, sizes, a_strides, CONTIG, RANK), mask=mask).to(ACC)
    b = tl.load(b_ptr + flat_offsets(idx, sizes, b_strides, CONTIG, RANK), mask=mask).to(ACC)
    g = tl.load(dy_ptr + flat_offsets(idx, sizes, dy_strides, CONTIG, RANK), mask=mask).to(ACC)
    sg = _sigmoid(b)
    da = g * sg
    db = (1.0 - sg) * sg * a * g
    tl.store(da_ptr + flat_offsets(idx, sizes, da_strides, CONTIG, RANK), da.to(da_ptr.dtype.element_ty), mask=mask)
    tl.store(db_ptr + flat_offsets(idx, sizes, db_strides, CONTIG, RANK), db.to(db_ptr.dtype.element_ty), mask=mask)


@jit
def _prelu_fwd_kernel(
    x_ptr,        # (B, C, S) logically; strided over the coalesced sizes
    w_ptr,        # (C,) weight, w_stride apart (0: one shared weight)
    y_ptr,        # (B, C, S) strided output
    numel,        # B * C * S
    C,            # channels
    S,            # elements per (batch, channel)
    w_stride,
    sizes,        # tuple of RANK sizes (coalesced shape of x)
    x_strides,    # tuple of RANK strides per operand (elements)
    y_strides,
    ACC: tl.constexpr,
    CONTIG: tl.constexpr,
    RANK: tl.constexpr,
    BLOCK: tl.constexpr,
):
    """y = x if x > 0 else w[c] * x, c = (i // S) % C the channel of flat index i.

    Grid: (cdiv(numel, BLOCK),); one program computes BLOCK consecutive row-major indices."""
    idx = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = idx < numel
    x = tl.load(x_ptr + flat_offsets(idx, sizes, x_strides, CONTIG, RANK), mask=mask).to(ACC)
    w = tl.load(w_ptr + ((idx // S) % C) * w_stride, mask=mask).to(ACC)
    y = tl.where(x > 0, x, w * x)
    tl.store(y_ptr + flat_offsets(idx, sizes, y_strides, CONTIG, RANK), y.to(y_ptr.dtype.element_ty), mask=mask)


@jit
def _prelu_bwd_kernel(
    x_ptr,        # (B, C, S) logically; strided over the coalesced sizes
    w_ptr,        # (C,) weight, w_stride apart
    dy_ptr,       # (B, C, S) strided gradient of the output
    dx_ptr,       # (B, C, S) strided gradient of the input
    part_ptr,     # (C, n_split) float32 partial sums of the weight gradient, contiguous
    C,            # channels
    S,            # elements per (batch, channel)
    BS,           # B * S: elements per channel
    per_prog,     # elements of a channel per program (a multiple of BLOCK)
    w_stride,
    sizes,        # tuple of RANK sizes (coalesced shape of x)
    x_strides,    # tuple of RANK strides per operand (elements)
    dy_strides,
    dx_strides,
    NEED_DX: tl.constexpr,
    NEED_DW: tl.constexpr,
    ACC: tl.constexpr,
    RANK: tl.constexpr,
    BLOCK: tl.constexpr,
):
    """dx = dy if x > 0 else w[c] * dy; partial[c, s] = sum of (x <= 0) * x * dy over slice s of
    channel c (summed over the splits by a second, deterministic pass; no atomics).

    Grid: (C, n_split). Program (c, s) walks elements [s * per_prog, (s + 1) * per_prog) of the
    B * S elements of channel c (k -> flat index (k // S * C + c) * S + k % S) in BLOCK chunks."""
    c = tl.program_id(0).to(tl.int64)
    split = tl.program_id(1)
    w = tl.load(w_ptr + c * w_stride).to(ACC)
    acc = tl.zeros([BLOCK], ACC)
    start = split.to(tl.int64) * per_prog
    end = tl.minimum(start + per_prog, BS)
    for k0 in range(start, end, BLOCK):
        k = k0 + tl.arange(0, BLOCK).to(tl.int64)
        mask = k < end
        idx = ((k // S) * C + c) * S + k % S
        x = tl.load(x_ptr + strided_offsets(idx, sizes, x_strides, RANK), mask=mask, other=0).to(ACC)
        g = tl.load(dy_ptr + strided_offsets(idx, sizes, dy_strides, RANK), mask=mask, other=0).to(ACC)
        pos = x > 0
        if NEED_DX:
            dx = tl.where(pos, g, w * g)
            tl.store(dx_ptr + strided_offsets(idx, sizes, dx_strides, RANK), dx.to(dx_ptr.dtype.element_ty),
                     mask=mask)
        if NEED_DW:
            acc += tl.where(pos, 0.0, x * g)
    if NEED_DW:
        tl.store(part_ptr + c * tl.num_programs(1) + split, tl.sum(acc, axis=0).to(part_ptr.dtype.element_ty))


# ----------------------------------------------------------------------------- launchers
def _numel(sizes) -> int:
    n = 1
    for s in sizes:
        n *= s
    return n


def _contig(sizes, strides_list) -> bool:
    return len(sizes) == 1 and all(tuple(st) == (1,) for st in strides_list)


def _acc(dtype):
    """The compute dtype (triton) for a storage dtype (tnn)."""
    import triton.language as tl_
    if dtype.name == "float64":
        return tl_.float64
    if dtype.is_floating_point:
        return tl_.float32
    return dtype.tl


def _params(params):
    p = tuple(float_bits(v) for v in params) + (0,) * (3 - len(params))
    return p[:3]


def act_fwd(x, y, op: str, params, sizes, x_strides, y_strides):
    """y = op(x); shapes/strides coalesced by the caller; ``params`` up to three floats."""
    numel = _numel(sizes)
    block, warps = elementwise_config(numel, y.device)
    launch(_act_fwd_kernel, (cdiv(numel, block),), x, y, numel, tuple(sizes), tuple(x_strides), tuple(y_strides),
           *_params(params), OP=op, ACC=_acc(x.dtype), CONTIG=_contig(sizes, [x_strides, y_strides]),
           RANK=len(sizes), BLOCK=block, num_warps=warps)


def act_bwd(s, dy, dx, op: str, params, sizes, s_strides, dy_strides, dx_strides):
    """dx = op'(s) * dy; ``s`` the saved input (or output, for result-based OPs)."""
    numel = _numel(sizes)
    block, warps = elementwise_config(numel, dx.device)
    launch(_act_bwd_kernel, (cdiv(numel, block),), s, dy, dx, numel, tuple(sizes), tuple(s_strides),
           tuple(dy_strides), tuple(dx_strides), *_params(params), OP=op, ACC=_acc(dx.dtype),
           CONTIG=_contig(sizes, [s_strides, dy_strides, dx_strides]), RANK=len(sizes), BLOCK=block,
           num_warps=warps)


def glu_fwd(a, b, y, sizes, a_strides, b_strides, y_strides):
    """y = a * sigmoid(b) over the (coalesced) output shape."""
    numel = _numel(sizes)
    block, warps = elementwise_config(numel, y.device)
    launch(_glu_fwd_kernel, (cdiv(numel, block),), a, b, y, numel, tuple(sizes), tuple(a_strides),
           tuple(b_strides), tuple(y_strides), ACC=_acc(y.dtype),
           CONTIG=_contig(sizes, [a_strides, b_strides, y_strides]), RANK=len(sizes), BLOCK=block, num_warps=warps)


def glu_bwd(a, b, dy, da, db, sizes, a_strides, b_strides, dy_strides, da_strides, db_strides):
    """da, db = the gradients of the two halves."""
    numel = _numel(sizes)
    block, warps = elementwise_config(numel, da.device)
    strides = [a_strides, b_strides, dy_strides, da_strides, db_strides]
    launch(_glu_bwd_kernel, (cdiv(numel, block),), a, b, dy, da, db, numel, tuple(sizes),
           *(tuple(s) for s in strides), ACC=_acc(da.dtype), CONTIG=_contig(sizes, strides), RANK=len(sizes),
           BLOCK=block, num_warps=warps)


def prelu_fwd(x, w, y, C: int, S: int, w_stride: int, sizes, x_strides, y_strides):
    """y = prelu(x, w) with x seen as (B, C, S)."""
    numel = _numel(sizes)
    block, warps = elementwise_config(numel, y.device)
    launch(_prelu_fwd_kernel, (cdiv(numel, block),), x, w, y, numel, C, S, w_stride, tuple(sizes),
           tuple(x_strides), tuple(y_strides), ACC=_acc(y.dtype), CONTIG=_contig(sizes, [x_strides, y_strides]),
           RANK=len(sizes), BLOCK=block, num_warps=warps)


def prelu_bwd(x, w, dy, dx, part, C: int, S: int, BS: int, w_stride: int, sizes, x_strides, dy_strides,
              dx_strides, need_dx: bool, need_dw: bool):
    """dx (when need_dx) and the (C, n_split) float32 partials of dw (when need_dw); ``part`` was
    allocated with ``prelu_splits`` columns."""
    block, per_prog, n_split = prelu_plan(C, BS, x.device)
    launch(_prelu_bwd_kernel, (C, n_split), x, w, dy, dx, part, C, S, BS, per_prog, w_stride, tuple(sizes),
           tuple(x_strides), tuple(dy_strides), tuple(dx_strides), NEED_DX=need_dx, NEED_DW=need_dw,
           ACC=_acc(x.dtype), RANK=len(sizes), BLOCK=block, num_warps=4 if block >= 1024 else 1)


def prelu_plan(C: int, BS: int, dev) -> tuple[int, int, int]:
    """(BLOCK, elements per program, n_split) for the PReLU backward: each channel's B * S
    elements split over enough programs to fill a GPU (about 1024 in all), whole BLOCKs each;
    the interpreter gets one program per channel."""
    if is_interpreted(dev):
        block = max(16, min(next_power_of_2(max(BS, 1)), 1 << 16))
        return block, max(BS, 1), 1
    block = max(16, min(next_power_of_2(max(BS, 1)), 1024))
    n_split = max(1, min(cdiv(BS, block), cdiv(1024, C)))
    per_prog = cdiv(cdiv(BS, n_split), block) * block
    return block, per_prog, cdiv(max(BS, 1), per_prog)


# ----------------------------------------------------------------------------- RReLU (training)
# Training-mode RReLU draws one slope per element from counter-based Philox, keyed like dropout:
# element i (row-major logical index) gets slope a_i = lower + (upper - lower) * U_i with U_i the
# uniform of Philox(seed, counter = offset + i) -- the same U_i that tnn.rand (float32; float64 for
# float64 tensors) would draw from that (seed, offset). No noise tensor is stored: backward
# regenerates the slopes from (seed, offset). torch's rule: x <= 0 (signed zero included) gives
# a * x, anything else (positive or NaN) passes with gradient 1.
@jit
def _rrelu_slope(seed, offset, idx, lo_bits, hi_bits, ACC: tl.constexpr):
    """The slopes lower + (upper - lower) * U of flat indices ``idx`` in ACC (U with 24 random bits
    in fp32, 53 in fp64, exactly as kernels/random.py's _uniform01)."""
    c0, c1, _, _ = tl.randint4x(seed.to(tl.int64), offset.to(tl.int64) + idx)
    lo = f64_param(lo_bits, ACC)
    hi = f64_param(hi_bits, ACC)
    if ACC == tl.float64:
        u = _uniform01(c0, c1, 53)
    else:
        u = _uniform01(c0, c1, 24)
    return lo + (hi - lo) * u.to(ACC)


@jit(do_not_specialize=["seed", "offset", "lo_bits", "hi_bits"])
def _rrelu_fwd_kernel(
    x_ptr,        # (*sizes) strided input
    y_ptr,        # (*sizes) strided output (x itself for rrelu_)
    numel,        # number of elements
    sizes,        # tuple of RANK sizes (coalesced)
    x_strides,    # tuple of RANK strides (elements)
    y_strides,    # tuple of RANK strides (elements)
    seed,         # Philox key (int64 bits of the 64-bit seed)
    offset,       # first Philox counter reserved for this call (one counter per element)
    lo_bits,      # float64 bits of lower
    hi_bits,      # float64 bits of upper
    ACC: tl.constexpr,     # compute dtype: float32 (fp16/bf16/fp32) or float64
    CONTIG: tl.constexpr,  # RANK == 1 and both strides 1
    RANK: tl.constexpr,
    BLOCK: tl.constexpr,
):
    """y[i] = a_i * x[i] where x[i] <= 0, else x[i]; a_i = _rrelu_slope(offset + i).

    Grid: (cdiv(numel, BLOCK),); one program computes BLOCK consecutive row-major indices
    (reading and writing the same element when in place)."""
    idx = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = idx < numel
    x = tl.load(x_ptr + flat_offsets(idx, sizes, x_strides, CONTIG, RANK), mask=mask).to(ACC)
    a = _rrelu_slope(seed, offset, idx, lo_bits, hi_bits, ACC)
    y = tl.where(x <= 0, x * a, x)
    tl.store(y_ptr + flat_offsets(idx, sizes, y_strides, CONTIG, RANK), y.to(y_ptr.dtype.element_ty), mask=mask)


@jit(do_not_specialize=["seed", "offset", "lo_bits", "hi_bits"])
def _rrelu_bwd_kernel(
    s_ptr,        # (*sizes) strided saved tensor: the input (or rrelu_'s result, same sign)
    dy_ptr,       # (*sizes) strided gradient of the output
    dx_ptr,       # (*sizes) strided gradient of the input (output)
    numel,
    sizes,        # tuple of RANK sizes (coalesced)
    s_strides,    # tuple of RANK strides per operand (elements)
    dy_strides,
    dx_strides,
    seed,         # the forward's Philox key and first counter: the slopes are regenerated
    offset,
    lo_bits,      # float64 bits of lower / upper (as the forward)
    hi_bits,
    ACC: tl.constexpr,
    CONTIG: tl.constexpr,
    RANK: tl.constexpr,
    BLOCK: tl.constexpr,
):
    """dx[i] = a_i * dy[i] where s[i] <= 0, else dy[i], with the forward's slopes a_i.

    Grid: (cdiv(numel, BLOCK),); one program computes BLOCK consecutive row-major indices."""
    idx = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = idx < numel
    s = tl.load(s_ptr + flat_offsets(idx, sizes, s_strides, CONTIG, RANK), mask=mask).to(ACC)
    g = tl.load(dy_ptr + flat_offsets(idx, sizes, dy_strides, CONTIG, RANK), mask=mask).to(ACC)
    a = _rrelu_slope(seed, offset, idx, lo_bits, hi_bits, ACC)
    d = tl.where(s <= 0, g * a, g)
    tl.store(dx_ptr + flat_offsets(idx, sizes, dx_strides, CONTIG, RANK), d.to(dx_ptr.dtype.element_ty), mask=mask)


def _signed64(x: int) -> int:
    x &= (1 << 64) - 1
    return x - (1 << 64) if x >= 1 << 63 else x


def rrelu_fwd(x, y, seed: int, offset: int, lower: float, upper: float, sizes, x_strides, y_strides):
    """y = rrelu(x) with random slopes from Philox counters offset .. offset + numel - 1; shapes
    and strides coalesced by the caller (row-major order unchanged). y may be x (in place)."""
    numel = _numel(sizes)
    block, warps = elementwise_config(numel, y.device)
    launch(_rrelu_fwd_kernel, (cdiv(numel, block),), x, y, numel, tuple(sizes), tuple(x_strides),
           tuple(y_strides), _signed64(seed), int(offset), float_bits(lower), float_bits(upper),
           ACC=_acc(x.dtype), CONTIG=_contig(sizes, [x_strides, y_strides]), RANK=len(sizes), BLOCK=block,
           num_warps=warps)


def rrelu_bwd(s, dy, dx, seed: int, offset: int, lower: float, upper: float, sizes, s_strides, dy_strides,
              dx_strides):
    """dx = rrelu'(s) * dy with the forward's slopes, regenerated from its (seed, offset)."""
    numel = _numel(sizes)
    block, warps = elementwise_config(numel, dx.device)
    launch(_rrelu_bwd_kernel, (cdiv(numel, block),), s, dy, dx, numel, tuple(sizes), tuple(s_strides),
           tuple(dy_strides), tuple(dx_strides), _signed64(seed), int(offset), float_bits(lower),
           float_bits(upper), ACC=_acc(dx.dtype), CONTIG=_contig(sizes, [s_strides, dy_strides, dx_strides]),
           RANK=len(sizes), BLOCK=block, num_warps=warps)
