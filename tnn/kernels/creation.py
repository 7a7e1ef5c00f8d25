"""Ramps for arange and linspace. Float parameters arrive as the int64 bit pattern of a float64
(a Python float kernel argument would be rounded to fp32), and are bitcast back in the kernel."""
import triton.language as tl

from .launch import cdiv, elementwise_config, jit, launch


@jit
def _ramp_kernel(
    out_ptr,      # (n,) contiguous
    n,            # number of elements
    start_bits,   # float64 start, as int64 bits
    step_bits,    # float64 step, as int64 bits
    end_bits,     # float64 end (linspace only), as int64 bits
    SYMMETRIC: tl.constexpr,  # linspace: fill the back half from the end, as torch does
    BLOCK: tl.constexpr,
):
    """out[i] = start + i * step (computed in float64, then cast to out's dtype; integer outputs
    truncate toward zero). With SYMMETRIC, i >= n // 2 gets end - (n - 1 - i) * step.
    Grid: (cdiv(n, BLOCK),)."""
    i = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = i < n
    start = start_bits.to(tl.int64).to(tl.float64, bitcast=True)
    step = step_bits.to(tl.int64).to(tl.float64, bitcast=True)
    v = start + i.to(tl.float64) * step
    if SYMMETRIC:
        end = end_bits.to(tl.int64).to(tl.float64, bitcast=True)
        v = tl.where(i < n // 2, v, end - (n - 1 - i).to(tl.float64) * step)
    tl.store(out_ptr + i, v.to(out_ptr.dtype.element_ty), mask=mask)


def float_bits(x: float) -> int:
    """The int64 whose bits are the float64 x: how float64 scalars travel to kernels exactly."""
    import struct
    return struct.unpack("<q", struct.pack("<d", float(x)))[0]


def ramp(out, start: float, step: float, end: float = 0.0, symmetric: bool = False):
    n = out.numel()
    block, warps = elementwise_config(n, out.device)
    launch(_ramp_kernel, (cdiv(n, block),), out, n, float_bits(start), float_bits(step), float_bits(end),
           SYMMETRIC=symmetric, BLOCK=block, num_warps=warps)
