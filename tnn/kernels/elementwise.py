"""Elementwise kernels: one unary, one binary and one ternary kernel, the operation chosen by a
``tl.constexpr`` OP string. Every operand is either a strided tensor or a Python scalar passed
as a kernel argument (a constexpr flag says which), broadcast to the output's shape by stride 0.

Types: tensor operands are rounded to COMMON (the promoted dtype) and converted to COMPUTE (float32
for float16/bfloat16, float64 for float64, the integer type itself for integers, int8 for bool);
the result is cast to the output pointer's dtype (bool outputs get ``v != 0``). Scalars travel as bits: float64 as the int64 bit pattern,
float32 as the int32 bit pattern, integers as themselves (see ``scalar_arg``).

Layout: the ops layer coalesces shape and strides (``tnn.shape.coalesce``) and passes RANK sizes
and per-operand strides; CONTIG (every tensor operand dense with stride 1, RANK == 1) skips the
index arithmetic. Offsets are int64.

Only core ``tl`` functions are used, so one source runs compiled and in the interpreter (which has
no libdevice): expm1, log1p, tanh, pow and round-half-even are built from exp/log/floor here.
"""
import struct

import numpy as np
import triton.language as tl

from .launch import cdiv, elementwise_config, jit, launch
from .helpers import flat_offsets


# ----------------------------------------------------------------------------- helpers


@jit
def _operand(ptr, val, off, mask, IS_SCALAR: tl.constexpr, COMMON: tl.constexpr, COMPUTE: tl.constexpr):
    """One operand in the COMPUTE dtype, shaped like ``off``: the scalar argument ``val`` (decoded
    from its bits for floats) or a masked load at ``off`` (masked lanes read 1, harmless for every op).
    A loaded value passes through COMMON (the promoted dtype, torch's common dtype) first: a wider
    0-dim tensor is rounded to it as torch does (float32 0-dim == float16 tensor compares in float16)."""
    if IS_SCALAR:
        if COMPUTE == tl.float64:
            v = val.to(tl.int64).to(tl.float64, bitcast=True)
        elif COMPUTE == tl.float32:
            v = val.to(tl.int32).to(tl.float32, bitcast=True)
        else:
            v = val.to(COMPUTE)
        # Block-shaped, so every op sees operands of one shape (the interpreter mishandles some
        # 0-d tensor ops); a GPU compile folds the splat away.
        v = tl.zeros_like(off).to(COMPUTE) + v
    else:
        v = tl.load(ptr + off, mask=mask, other=1).to(COMMON).to(COMPUTE)
    return v


@jit
def _store(ptr, off, v, mask):
    """Store ``v`` cast to the pointer's dtype; bool outputs get v != 0 (as torch converts)."""
    if ptr.dtype.element_ty == tl.int1:
        tl.store(ptr + off, v != 0, mask=mask)
    else:
        tl.store(ptr + off, v.to(ptr.dtype.element_ty), mask=mask)


@jit
def _div(a, b, COMPUTE: tl.constexpr):
    """IEEE (correctly rounded) float division."""
    if COMPUTE == tl.float32:
        r = tl.math.div_rn(a, b)
    else:
        r = a / b
    return r


@jit
def _sqrt(x, COMPUTE: tl.constexpr):
    """Correctly rounded square root."""
    if COMPUTE == tl.float32:
        r = tl.math.sqrt_rn(x)
    else:
        r = tl.sqrt(x)
    return r


@jit
def _trunc(x):
    return tl.where(x < 0, tl.ceil(x), tl.floor(x))


@jit
def _rint(x):
    """Round half to even (C's nearbyint); keeps the sign of zero (rint(-0.4) == -0.0)."""
    r = tl.floor(x)
    d = x - r  # exact
    half = r * 0.5
    odd = tl.floor(half) != half
    r = tl.where((d > 0.5) | ((d == 0.5) & odd), r + 1, r)
    return tl.where(r == 0, x * 0, r)


@jit
def _expm1_series(x, N: tl.constexpr):
    """x * (1 + x/2 * (1 + x/3 * (... (1 + x/N)))): expm1 for |x| < 0.5."""
    t = tl.full(x.shape, 1.0, x.dtype)
    for k in tl.static_range(N, 1, -1):
        t = 1.0 + x * t * (1.0 / k)
    return x * t


@jit
def _expm1(x, COMPUTE: tl.constexpr):
    """exp(x) - 1 without cancellation: a series for |x| < 0.5, exp(x) - 1 elsewhere."""
    if COMPUTE == tl.float64:
        s = _expm1_series(x, 18)
    else:
        s = _expm1_series(x, 10)
    return tl.where(tl.abs(x) < 0.5, s, tl.exp(x) - 1.0)


@jit
def _log1p_series(s, N: tl.constexpr):
    """2 atanh(s) = 2 s (1 + s^2/3 + s^4/5 + ...), N terms."""
    s2 = s * s
    t = tl.full(s.shape, 1.0 / (2 * N - 1), s.dtype)
    for k in tl.static_range(N - 2, -1, -1):
        t = (1.0 / (2 * k + 1)) + s2 * t
    return 2.0 * s * t


@jit
def _log1p(x, COMPUTE: tl.constexpr):
    """log(1 + x) without cancellation: 2 atanh(x / (2 + x)) as a series for |x| < 0.5 (|s| <= 1/3),
    log(1 + x) elsewhere."""
    small = tl.abs(x) < 0.5
    xs = tl.where(small, x, 0.0)
    s = _div(xs, 2.0 + xs, COMPUTE)
    if COMPUTE == tl.float64:
        r = _log1p_series(s, 18)
    else:
        r = _log1p_series(s, 9)
    return tl.where(small, r, tl.log(1.0 + x))


@jit
def _tanh(x, COMPUTE: tl.constexpr):
    """tanh(x) = e / (e + 2) with e = expm1(2|x|), sign restored; tanh(+-0) = +-0."""
    a = tl.abs(x)
    a = tl.where(a > 20.0, 20.0, a)  # tanh(20) rounds to 1 in float64 already
    e = _expm1(2.0 * a, COMPUTE)
    r = _div(e, e + 2.0, COMPUTE)
    r = tl.where(x < 0, -r, r)
    return tl.where(x == 0, x, r)


@jit
def _is_odd_integer(y):
    """y is an integer with y / 2 not an integer (False for inf and nan)."""
    half = y * 0.5
    return (tl.floor(y) == y) & (tl.floor(half) != half)


@jit
def _pow_float(x, y, COMPUTE: tl.constexpr):
    """C pow(x, y): exp2(y * log2|x|) evaluated in float64, the sign from odd integer y,
    nan for a negative base with a non-integer exponent, pow(x, 0) = pow(1, y) = 1,
    pow(-1, +-inf) = 1."""
    xd = x.to(tl.float64)
    yd = y.to(tl.float64)
    ax = tl.abs(xd)
    r = tl.exp2(yd * tl.log2(ax))
    y_int = tl.floor(yd) == yd
    r = tl.where((xd < 0) & ~y_int & (ax * 0 == 0), float("nan"), r)  # (-inf) ** 0.5 = inf
    r = tl.where((xd < 0) | ((xd == 0) & (1.0 / xd < 0)), tl.where(_is_odd_integer(yd), -r, r), r)
    r = tl.where((ax == 1.0) & (yd * 0 != 0) & (yd == yd), 1.0, r)  # (+-1) ** +-inf
    r = tl.where((yd == 0) | (xd == 1.0), 1.0, r)
    return r.to(COMPUTE)


@jit
def _pow_int(x, y, COMPUTE: tl.constexpr):
    """Integer power by squaring over every bit of y (wrapping like C); for y < 0 the result
    is 1 / x truncated (1 for x == 1, +-1 for x == -1, else 0), as torch's powi."""
    r = tl.full(x.shape, 1, COMPUTE) + tl.zeros_like(y)
    base = x + tl.zeros_like(y)
    e = y + tl.zeros_like(x)
    for _ in range(COMPUTE.primitive_bitwidth):
        r = tl.where((e & 1) != 0, r * base, r)
        base = base * base
        e = e >> 1
    if COMPUTE.is_int_signed():
        odd = (y & 1) != 0
        neg = tl.where(x == 1, 1, tl.where(x == -1, tl.where(odd, -1, 1), 0)).to(COMPUTE)
        r = tl.where(y < 0, neg, r)
    return r


@jit
def _maximum(a, b):
    """max with NaN propagation (torch.maximum)."""
    return tl.where((a > b) | (a != a), a, b)


@jit
def _minimum(a, b):
    return tl.where((a < b) | (a != a), a, b)


# ----------------------------------------------------------------------------- the operations
@jit
def _unary_op(x, p, OP: tl.constexpr, COMPUTE: tl.constexpr):
    """f(x) for the unary OP, in COMPUTE. ``p`` is the op's scalar parameter (round's 10^|decimals|)."""
    if OP == "neg":
        r = -x
    elif OP == "abs":
        r = tl.abs(x)
    elif OP == "sign":
        r = (x > 0).to(COMPUTE) - (x < 0).to(COMPUTE)  # sign(nan) = 0, sign(-0.0) = 0 as torch
    elif OP == "exp":
        r = tl.exp(x)
    elif OP == "exp2":
        r = tl.exp2(x)
    elif OP == "expm1":
        r = _expm1(x, COMPUTE)
    elif OP == "log":
        r = tl.log(x)
    elif OP == "log2":
        r = tl.log2(x)
    elif OP == "log1p":
        r = _log1p(x, COMPUTE)
    elif OP == "sqrt":
        r = _sqrt(x, COMPUTE)
    elif OP == "rsqrt":
        r = _div(1.0, _sqrt(x, COMPUTE), COMPUTE)
    elif OP == "reciprocal":
        r = _div(1.0, x, COMPUTE)
    elif OP == "sin":
        r = tl.sin(x)
    elif OP == "cos":
        r = tl.cos(x)
    elif OP == "tanh":
        r = _tanh(x, COMPUTE)
    elif OP == "sigmoid":
        r = _div(1.0, 1.0 + tl.exp(-x), COMPUTE)
    elif OP == "relu":
        r = tl.where(x < 0, 0, x)  # relu(nan) = nan
    elif OP == "floor":
        r = tl.floor(x)
    elif OP == "ceil":
        r = tl.ceil(x)
    elif OP == "trunc":
        r = _trunc(x)
    elif OP == "round":
        r = _rint(x)
    elif OP == "round_pos":  # round(x, decimals > 0)
        r = _div(_rint(x * p), p, COMPUTE)
    elif OP == "round_neg":  # round(x, decimals < 0)
        r = _rint(_div(x, p, COMPUTE)) * p
    elif OP == "square":
        r = x * x
    elif OP == "cube":
        r = x * x * x
    elif OP == "inv_square":
        r = _div(1.0, x * x, COMPUTE)
    elif OP == "isnan":
        r = x != x
    elif OP == "isinf":
        r = (x == x) & (x * 0 != x * 0)
    elif OP == "isfinite":
        r = x * 0 == x * 0
    elif OP == "false":
        r = x != x
    elif OP == "true":
        r = x == x
    elif OP == "logical_not":
        r = x == 0
    elif OP == "bitwise_not":
        r = ~x
    elif OP == "identity":
        r = x
    else:
        tl.static_assert(False, "unknown unary OP")
    return r


@jit
def _binary_op(a, b, alpha, OP: tl.constexpr, COMPUTE: tl.constexpr):
    """f(a, b) for the binary OP, in COMPUTE; ``alpha`` is add/sub's multiplier."""
    if OP == "add":
        r = a + b
    elif OP == "add_alpha":
        r = a + alpha * b
    elif OP == "sub":
        r = a - b
    elif OP == "sub_alpha":
        r = a - alpha * b
    elif OP == "mul":
        r = a * b
    elif OP == "div":
        r = _div(a, b, COMPUTE)
    elif OP == "div_trunc":
        if COMPUTE.is_floating():
            r = _trunc(_div(a, b, COMPUTE))
        else:
            r = a // b  # C division truncates
    elif OP == "div_floor":
        if COMPUTE.is_floating():
            # torch's div_floor_floating: floor((a - fmod(a, b)) / b) with the sign fix-ups.
            mod = a % b
            div = _div(a - mod, b, COMPUTE)
            div = tl.where((mod != 0) & ((b < 0) != (mod < 0)), div - 1.0, div)
            fl = tl.floor(div)
            fl = tl.where(div - fl > 0.5, fl + 1.0, fl)
            q = _div(a, b, COMPUTE)
            zero = tl.where(q < 0, -0.0, 0.0)
            zero = tl.where((q == 0) & (1.0 / q < 0), -0.0, zero)
            r = tl.where(div != 0, fl, zero)
            r = tl.where(b == 0, q, r)
        else:
            q = a // b
            rem = a % b
            r = tl.where((rem != 0) & ((rem < 0) != (b < 0)), q - 1, q)
    elif OP == "remainder":
        mod = a % b  # fmod semantics (C) for ints and floats
        r = tl.where((mod != 0) & ((b < 0) != (mod < 0)), mod + b, mod)
    elif OP == "fmod":
        r = a % b
    elif OP == "pow":
        if COMPUTE.is_floating():
            r = _pow_float(a, b, COMPUTE)
        else:
            r = _pow_int(a, b, COMPUTE)
    elif OP == "maximum":
        r = _maximum(a, b)
    elif OP == "minimum":
        r = _minimum(a, b)
    elif OP == "eq":
        r = a == b
    elif OP == "ne":
        r = a != b
    elif OP == "lt":
        r = a < b
    elif OP == "le":
        r = a <= b
    elif OP == "gt":
        r = a > b
    elif OP == "ge":
        r = a >= b
    elif OP == "logical_and":
        r = (a != 0) & (b != 0)
    elif OP == "logical_or":
        r = (a != 0) | (b != 0)
    elif OP == "logical_xor":
        r = (a != 0) != (b != 0)
    elif OP == "bitwise_and":
        r = a & b
    elif OP == "bitwise_or":
        r = a | b
    elif OP == "bitwise_xor":
        r = a ^ b
    else:
        tl.static_assert(False, "unknown binary OP")
    return r


@jit
def _ternary_op(a, b, c, OP: tl.constexpr, COMPUTE: tl.constexpr):
    """f(a, b, c) for the ternary OP, in COMPUTE."""
    if OP == "where":
        r = tl.where(a, b, c)
    elif OP == "clamp":
        r = _minimum(_maximum(a, b), c)  # nan in x or a bound propagates; min > max gives max
    elif OP == "lerp":
        # torch's lerp: the form used depends on |weight| < 0.5 (exact at both ends).
        r = tl.where(tl.abs(c) < 0.5, a + c * (b - a), b - (b - a) * (1.0 - c))
    else:
        tl.static_assert(False, "unknown ternary OP")
    return r


# ----------------------------------------------------------------------------- kernels
@jit
def _unary_kernel(
    x_ptr,        # (*sizes) strided input
    out_ptr,      # (*sizes) strided output
    numel,        # number of elements
    sizes,        # tuple of RANK sizes (coalesced)
    x_strides,    # tuple of RANK strides (elements)
    out_strides,  # tuple of RANK strides (elements)
    p,            # the op's scalar parameter, encoded as scalar_arg (round's 10^|decimals|)
    OP: tl.constexpr,       # operation name, see _unary_op
    COMPUTE: tl.constexpr,  # tl dtype the op computes in
    CONTIG: tl.constexpr,   # both operands dense, RANK == 1, stride 1
    RANK: tl.constexpr,
    BLOCK: tl.constexpr,
):
    """out[i] = OP(x[i]) for every index i.

    Grid: (cdiv(numel, BLOCK),); one program computes BLOCK consecutive row-major indices."""
    idx = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = idx < numel
    x = _operand(x_ptr, 0, flat_offsets(idx, sizes, x_strides, CONTIG, RANK), mask, False, COMPUTE, COMPUTE)
    pv = _operand(x_ptr, p, idx, mask, True, COMPUTE, COMPUTE)
    r = _unary_op(x, pv, OP, COMPUTE)
    _store(out_ptr, flat_offsets(idx, sizes, out_strides, CONTIG, RANK), r, mask)


@jit(do_not_specialize=["a_val", "b_val", "alpha"])
def _binary_kernel(
    a_ptr,        # (*sizes) strided first operand, or None when A_SCALAR
    a_val,        # first operand's scalar value (scalar_arg) when A_SCALAR, else 0
    b_ptr,        # (*sizes) strided second operand, or None when B_SCALAR
    b_val,        # second operand's scalar value when B_SCALAR, else 0
    out_ptr,      # (*sizes) strided output
    numel,        # number of elements
    sizes,        # tuple of RANK sizes (coalesced)
    a_strides,    # tuple of RANK strides (0 where a broadcasts)
    b_strides,    # tuple of RANK strides
    out_strides,  # tuple of RANK strides
    alpha,        # scalar_arg multiplier for add_alpha / sub_alpha, else 0
    OP: tl.constexpr,        # operation name, see _binary_op
    A_SCALAR: tl.constexpr,  # a is the scalar a_val
    B_SCALAR: tl.constexpr,  # b is the scalar b_val
    COMMON: tl.constexpr,    # tl dtype of the promoted operands (torch's common dtype)
    COMPUTE: tl.constexpr,   # tl dtype both operands are converted to
    CONTIG: tl.constexpr,    # every tensor operand dense, RANK == 1, stride 1
    RANK: tl.constexpr,
    BLOCK: tl.constexpr,
):
    """out[i] = OP(a[i], b[i]) with broadcasting (stride 0) and scalar operands.

    Grid: (cdiv(numel, BLOCK),); one program computes BLOCK consecutive row-major indices."""
    idx = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = idx < numel
    a = _operand(a_ptr, a_val, flat_offsets(idx, sizes, a_strides, CONTIG, RANK), mask, A_SCALAR, COMMON, COMPUTE)
    b = _operand(b_ptr, b_val, flat_offsets(idx, sizes, b_strides, CONTIG, RANK), mask, B_SCALAR, COMMON, COMPUTE)
    al = _operand(out_ptr, alpha, idx, mask, True, COMPUTE, COMPUTE)
    r = _binary_op(a, b, al, OP, COMPUTE)
    _store(out_ptr, flat_offsets(idx, sizes, out_strides, CONTIG, RANK), r, mask)


@jit(do_not_specialize=["b_val", "c_val"])
def _ternary_kernel(
    a_ptr,        # (*sizes) strided first operand (where: the bool condition); always a tensor
    b_ptr,        # (*sizes) strided second operand, or None when B_SCALAR
    b_val,        # second operand's scalar value (scalar_arg) when B_SCALAR, else 0
    c_ptr,        # (*sizes) strided third operand, or None when C_SCALAR
    c_val,        # third operand's scalar value when C_SCALAR, else 0
    out_ptr,      # (*sizes) strided output
    numel,        # number of elements
    sizes,        # tuple of RANK sizes (coalesced)
    a_strides,    # tuple of RANK strides (0 where a broadcasts)
    b_strides,
    c_strides,
    out_strides,
    OP: tl.constexpr,         # "where" (a ? b : c), "clamp" (a to [b, c]), "lerp" (a + c (b - a))
    B_SCALAR: tl.constexpr,
    C_SCALAR: tl.constexpr,
    A_COMMON: tl.constexpr,   # tl dtype a is rounded to (int1 for where's condition, else COMMON)
    A_COMPUTE: tl.constexpr,  # tl dtype a is converted to (int1 for where's condition, else COMPUTE)
    COMMON: tl.constexpr,     # tl dtype of the promoted operands b, c
    COMPUTE: tl.constexpr,    # tl dtype the other operands are converted to
    CONTIG: tl.constexpr,
    RANK: tl.constexpr,
    BLOCK: tl.constexpr,
):
    """out[i] = OP(a[i], b[i], c[i]) with broadcasting and scalar b / c.

    Grid: (cdiv(numel, BLOCK),); one program computes BLOCK consecutive row-major indices."""
    idx = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = idx < numel
    a = _operand(a_ptr, 0, flat_offsets(idx, sizes, a_strides, CONTIG, RANK), mask, False, A_COMMON, A_COMPUTE)
    b = _operand(b_ptr, b_val, flat_offsets(idx, sizes, b_strides, CONTIG, RANK), mask, B_SCALAR, COMMON, COMPUTE)
    c = _operand(c_ptr, c_val, flat_offsets(idx, sizes, c_strides, CONTIG, RANK), mask, C_SCALAR, COMMON, COMPUTE)
    r = _ternary_op(a, b, c, OP, COMPUTE)
    _store(out_ptr, flat_offsets(idx, sizes, out_strides, CONTIG, RANK), r, mask)


# ----------------------------------------------------------------------------- launchers
def scalar_arg(value, compute) -> int:
    """How a Python scalar reaches a kernel computing in ``compute`` (a tnn dtype): float64 as the
    int64 bits of the double, float32 (the compute type of every narrower float) as the int32 bits
    of the float, integers and bools as ints."""
    if compute.name == "float64":
        return struct.unpack("<q", struct.pack("<d", float(value)))[0]
    if compute.is_floating_point:
        return struct.unpack("<i", np.float32(float(value)).tobytes())[0]
    return int(value)


def _numel(sizes) -> int:
    n = 1
    for s in sizes:
        n *= s
    return n


def _contig(sizes, strides_list) -> bool:
    return len(sizes) == 1 and all(st == (1,) for st in strides_list)


def _launch(kernel, out, sizes, tensor_strides, args, **constexprs):
    numel = _numel(sizes)
    block, warps = elementwise_config(numel, out.device)
    with np.errstate(all="ignore"):  # the interpreter evaluates with NumPy: inf/nan are results here
        launch(kernel, (cdiv(numel, block),), *args, CONTIG=_contig(sizes, tensor_strides), RANK=len(sizes),
               BLOCK=block, num_warps=warps, **constexprs)


def unary(x, out, op: str, compute, sizes, x_strides, out_strides, p=0):
    """out = op(x). ``compute`` is a tnn dtype; shapes coalesced by the caller; ``p`` a scalar_arg."""
    _launch(_unary_kernel, out, sizes, [x_strides, out_strides],
            (x, out, _numel(sizes), tuple(sizes), tuple(x_strides), tuple(out_strides), p),
            OP=op, COMPUTE=compute.tl)


def binary(a, b, out, op: str, common, compute, sizes, a_strides, b_strides, out_strides, alpha=0):
    """out = op(a, b). ``a``/``b`` are Tensors or ints already encoded by ``scalar_arg`` (then their
    strides are ignored); ``common`` (the promoted dtype) and ``compute`` are tnn dtypes; shapes
    coalesced by the caller."""
    a_scalar, b_scalar = not hasattr(a, "_buf"), not hasattr(b, "_buf")
    strides = [st for st, s in ((a_strides, a_scalar), (b_strides, b_scalar)) if not s] + [out_strides]
    _launch(_binary_kernel, out, sizes, strides,
            (None if a_scalar else a, a if a_scalar else 0, None if b_scalar else b, b if b_scalar else 0, out,
             _numel(sizes), tuple(sizes), tuple(a_strides), tuple(b_strides), tuple(out_strides), alpha),
            OP=op, A_SCALAR=a_scalar, B_SCALAR=b_scalar, COMMON=common.tl, COMPUTE=compute.tl)


def ternary(a, b, c, out, op: str, a_common, a_compute, common, compute, sizes, a_strides, b_strides, c_strides,
            out_strides):
    """out = op(a, b, c). ``a`` is a Tensor; ``b``/``c`` Tensors or scalar_arg ints."""
    b_scalar, c_scalar = not hasattr(b, "_buf"), not hasattr(c, "_buf")
    strides = [a_strides] + [st for st, s in ((b_strides, b_scalar), (c_strides, c_scalar)) if not s] + [out_strides]
    _launch(_ternary_kernel, out, sizes, strides,
            (a, None if b_scalar else b, b if b_scalar else 0, None if c_scalar else c, c if c_scalar else 0, out,
             _numel(sizes), tuple(sizes), tuple(a_strides), tuple(b_strides), tuple(c_strides), tuple(out_strides)),
            OP=op, B_SCALAR=b_scalar, C_SCALAR=c_scalar, A_COMMON=a_common.tl, A_COMPUTE=a_compute.tl,
            COMMON=common.tl, COMPUTE=compute.tl)
