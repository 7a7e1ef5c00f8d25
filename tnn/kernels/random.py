"""Random numbers: one counter-based Philox kernel for every distribution.

A draw is named by (seed, offset): element i of the output (its row-major logical index, not its
memory position) gets Philox-4x32-10 with key ``seed`` and counter ``offset + i`` (``tl.randint4x``:
the 64-bit counter goes into the low two 32-bit counter words). The generator hands each draw a
fresh range of ``numel`` counters, so draws never overlap and a draw is reproducible from its
(seed, offset) alone -- on either backend, since the interpreter runs this same source. Integer
and uniform results are bit-identical on cpu and cuda; results through log/sqrt/cos (normal,
exponential) can differ in the last ulp, as the GPU's libdevice and NumPy's libm round differently.

Float conversion follows torch's CPU ``uniform_real_distribution``: a uniform of an output with
an M-bit significand (24 fp32, 11 fp16, 8 bf16, 53 fp64) is ``k * 2**-M`` for a random M-bit
integer k, so it is exactly representable and lies in [0, 1). Normal and exponential samples are
computed in fp32 (fp64 for fp64 outputs) from 24-bit (53-bit) uniforms and rounded to the output.

``seed``, ``offset`` and the scalar parameters are ``do_not_specialize``: new values never
recompile (Triton still types an int argument i32 or i64 by its value, so a seed above 2**31 and
one below it are two compiled variants, each compiled once).
"""
import triton.language as tl

from .creation import float_bits
from .launch import cdiv, elementwise_config, jit, launch
from .helpers import strided_offsets

UNIFORM, NORMAL, RANDINT, BERNOULLI, EXPONENTIAL = 0, 1, 2, 3, 4

# Significand bits (with the implicit one) of each float output: how many random bits a uniform gets.
_MANT_BITS = {"float32": 24, "float16": 11, "bfloat16": 8, "float64": 53}


@jit
def _uniform01(c0, c1, MANT_BITS: tl.constexpr):
    """A uniform in [0, 1) with MANT_BITS random bits from Philox words c0 (and c1 for > 32 bits):
    fp32 for MANT_BITS <= 24, fp64 for 53. Exact: k * 2**-MANT_BITS."""
    if MANT_BITS > 24:
        k = ((c0.to(tl.uint64) << 32) | c1.to(tl.uint64)) >> (64 - MANT_BITS)
        return k.to(tl.int64).to(tl.float64) * (1.0 / (1 << MANT_BITS))
    else:
        k = c0 >> (32 - MANT_BITS)
        return k.to(tl.int32).to(tl.float32) * (1.0 / (1 << MANT_BITS))


@jit(do_not_specialize=["seed", "offset", "a_bits", "b_bits"])
def _random_kernel(
    out_ptr,      # (*sizes) strided, any dtype: written
    numel,        # number of elements of out
    sizes,        # tuple of RANK sizes (coalesced)
    out_strides,  # tuple of RANK strides of out (elements)
    a_ptr,        # (*sizes) strided, broadcast: per-element first parameter (mean / p) or None
    a_strides,    # tuple of RANK strides of a (0 on broadcast dims)
    b_ptr,        # (*sizes) strided, broadcast: per-element std, or None
    b_strides,    # tuple of RANK strides of b
    seed,         # Philox key (int64 bits of the 64-bit seed)
    offset,       # first Philox counter of this draw (int64 >= 0)
    a_bits,       # scalar parameter: float64 bits (from, mean, p, lambda) or int64 low (RANDINT)
    b_bits,       # scalar parameter: float64 bits (to, std) or int64 range as uint64 bits (RANDINT, 0 = 2**64)
    RANK: tl.constexpr,
    DIST: tl.constexpr,       # UNIFORM, NORMAL, RANDINT, BERNOULLI or EXPONENTIAL
    A_TENSOR: tl.constexpr,   # the first parameter comes from a_ptr instead of a_bits
    B_TENSOR: tl.constexpr,   # the second parameter comes from b_ptr instead of b_bits
    MANT_BITS: tl.constexpr,  # random bits per uniform: 24, 11, 8 or 53 (53 computes in fp64)
    BLOCK: tl.constexpr,
):
    """out[i] = one sample of DIST drawn with Philox(seed, counter = offset + i):

    UNIFORM      a + (b - a) * U, with a result that rounds to b replaced by a (torch's rule)
    NORMAL       a + b * Z, Z standard normal by Box-Muller (cos branch) from two uniforms
    RANDINT      a + (R64 mod range), R64 a 64-bit random integer (range 0 means all 2**64)
    BERNOULLI    1 if U < p else 0, p = a (scalar) or a_ptr[i]
    EXPONENTIAL  -log(1 - U) / a

    The parameters are a_bits/b_bits or, with A_TENSOR/B_TENSOR, loaded per element. Results are
    cast to out's dtype (bool: != 0). Grid: (cdiv(numel, BLOCK),); one program draws BLOCK
    consecutive logical indices and scatters them through out's strides."""
    idx = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = idx < numel
    c0, c1, c2, c3 = tl.randint4x(seed.to(tl.int64), offset.to(tl.int64) + idx)
    out_ty = out_ptr.dtype.element_ty
    if MANT_BITS > 24:
        ct = tl.float64
    else:
        ct = tl.float32

    if DIST == 2:  # RANDINT
        low = a_bits.to(tl.int64)
        rng = b_bits.to(tl.int64).to(tl.uint64, bitcast=True)
        r = (c0.to(tl.uint64) << 32) | c1.to(tl.uint64)
        r = tl.where(rng == 0, r, r % tl.where(rng == 0, 1, rng))
        v = low + r.to(tl.int64, bitcast=True)
    else:
        if A_TENSOR:
            pa = tl.load(a_ptr + strided_offsets(idx, sizes, a_strides, RANK), mask=mask, other=0).to(ct)
        else:
            pa = a_bits.to(tl.int64).to(tl.float64, bitcast=True).to(ct)
        if B_TENSOR:
            pb = tl.load(b_ptr + strided_offsets(idx, sizes, b_strides, RANK), mask=mask, other=0).to(ct)
        else:
            pb = b_bits.to(tl.int64).to(tl.float64, bitcast=True).to(ct)
        if DIST == 1:  # NORMAL
            if MANT_BITS > 24:
                u1 = 1.0 - _uniform01(c0, c1, 53)
                u2 = _uniform01(c2, c3, 53)
            else:
                u1 = 1.0 - _uniform01(c0, c1, 24)
                u2 = _uniform01(c2, c3, 24)
            z = tl.sqrt(-2.0 * tl.log(u1)) * tl.cos(6.283185307179586 * u2)
            v = pa + pb * z
        else:
            u = _uniform01(c0, c1, MANT_BITS)
            if DIST == 0:  # UNIFORM
                v = pa + (pb - pa) * u
            elif DIST == 3:  # BERNOULLI
                v = tl.where(u < pa, 1.0, 0.0).to(ct)
            else:  # EXPONENTIAL
                v = -tl.log(1.0 - u) / pa
    if out_ty == tl.int1:
        res = v != 0
    else:
        res = v.to(out_ty)
        if DIST == 0:
            res = tl.where(res == pb.to(out_ty), pa.to(out_ty), res)
    tl.store(out_ptr + strided_offsets(idx, sizes, out_strides, RANK), res, mask=mask)


def random_fill(out, dist: int, seed: int, offset: int, sizes, out_strides, a=0.0, b=0.0,
                a_tensor=None, a_strides=None, b_tensor=None, b_strides=None):
    """Fill ``out`` (shape/strides coalesced to ``sizes``/``out_strides`` by the caller) with
    ``dist`` samples from counters offset .. offset + numel - 1. Scalars a, b are floats, or ints
    for RANDINT (low and range); a_tensor/b_tensor (broadcast to ``sizes`` through their strides)
    replace them per element. ``seed`` is taken modulo 2**64."""
    numel = 1
    for s in sizes:
        numel *= s
    mant = _MANT_BITS.get(out.dtype.name, 24)
    if dist == RANDINT:
        a_bits, b_bits = int(a), _signed64(int(b))
    else:
        a_bits, b_bits = float_bits(a), float_bits(b)
    zeros = (0,) * len(sizes)
    block, warps = elementwise_config(numel, out.device)
    launch(_random_kernel, (cdiv(numel, block),), out, numel, tuple(sizes), tuple(out_strides),
           a_tensor, tuple(a_strides) if a_strides is not None else zeros,
           b_tensor, tuple(b_strides) if b_strides is not None else zeros,
           _signed64(seed), int(offset), a_bits, b_bits,
           RANK=len(sizes), DIST=dist, A_TENSOR=a_tensor is not None, B_TENSOR=b_tensor is not None,
           MANT_BITS=mant, BLOCK=block, num_warps=warps)


def _signed64(x: int) -> int:
    """The int64 with the same low 64 bits as x."""
    x &= (1 << 64) - 1
    return x - (1 << 64) if x >= 1 << 63 else x
