"""@jit helpers shared by the kernel families: strided offsets and float64 scalars passed as bits.

Kernels call them like Triton builtins; on the interpreter launch.py runs them interpreted."""
import triton.language as tl

from .launch import jit


@jit
def strided_offsets(idx, sizes, strides, RANK: tl.constexpr):
    """Element offsets for flat row-major indices ``idx`` (int64) of a tensor with ``sizes`` and
    ``strides`` (tuples of RANK ints, in elements). Shared by every strided elementwise kernel."""
    off = tl.zeros_like(idx)
    rem = idx
    for d in tl.static_range(RANK - 1, -1, -1):
        i = rem % sizes[d]
        rem = rem // sizes[d]
        off += i * strides[d]
    return off


@jit
def axis_split(idx, sizes, strides, AXIS: tl.constexpr, RANK: tl.constexpr):
    """Flat row-major indices ``idx`` (int64) of a tensor with ``sizes`` split into (the position
    along AXIS, the element offset of the other dims under ``strides``): the start of a 1-d line
    along AXIS of another tensor with those strides, for kernels that walk one axis per lane."""
    base = tl.zeros_like(idx)
    pos = tl.zeros_like(idx)
    rem = idx
    for d in tl.static_range(RANK - 1, -1, -1):
        k = rem % sizes[d]
        rem = rem // sizes[d]
        if d == AXIS:
            pos = k
        else:
            base += k * strides[d]
    return pos, base


@jit
def flat_offsets(idx, sizes, strides, CONTIG: tl.constexpr, RANK: tl.constexpr):
    """Element offsets of flat row-major indices ``idx`` (int64) for one operand: ``idx`` itself
    when the operand is contiguous, else its strided offsets."""
    if CONTIG:
        off = idx
    else:
        off = strided_offsets(idx, sizes, strides, RANK)
    return off


@jit
def row_offsets(rows, m_sizes, m_strides, KRANK: tl.constexpr):
    """Element offsets of the first element of rows ``rows`` (int64) whose kept dims have
    ``m_sizes``/``m_strides`` (KRANK of them; one dim needs no div/mod)."""
    if KRANK == 1:
        off = rows * m_strides[0]
    else:
        off = strided_offsets(rows, m_sizes, m_strides, KRANK)
    return off


@jit
def f64_from_bits(bits):
    """A float64 kernel scalar passed as its int64 bit pattern (see creation.float_bits): Triton
    types Python floats as fp32, which would round the value."""
    return bits.to(tl.int64).to(tl.float64, bitcast=True)


@jit
def f64_param(bits, ACC: tl.constexpr):
    """The same scalar rounded once to the math dtype ACC."""
    return f64_from_bits(bits).to(ACC)
