"""Matrix products with torch's semantics: matmul (1-D, 2-D and broadcast batched N-D operands),
mm (2-D), bmm (3-D) and the ``@`` operator. All of them reach the one batched GEMM kernel in
tnn.kernels.matmul through shape-only views; nothing is copied. Backward runs the same kernel
on transposed views (dA = dC @ B^T, dB = A^T @ dC), summing over broadcast batch dims."""
from __future__ import annotations

from .. import backends
from ..kernels import matmul as K
from ..runtime import dtypes as dt
from ..autograd.function import Function
from ..shape import broadcast_shapes, broadcast_strides, coalesce, contiguous_strides
from ..tensor import Tensor

__all__ = ["matmul", "mm", "bmm"]

# c10's names for dtypes, as torch prints them in matmul errors.
_C10_NAMES = {dt.float32: "float", dt.float64: "double", dt.float16: "c10::Half", dt.bfloat16: "c10::BFloat16",
              dt.int64: "long int", dt.int32: "int", dt.int16: "short int", dt.int8: "signed char",
              dt.uint8: "unsigned char", dt.bool_: "bool"}


def _check_operands(fn: str, a, b, names=("m1", "m2")):
    for pos, (name, x) in enumerate((("input", a), ("other", b)), 1):
        if not isinstance(x, Tensor):
            raise TypeError(f"{fn}(): argument '{name}' (position {pos}) must be Tensor, not {type(x).__name__}")
    if a.device != b.device:
        raise RuntimeError("Expected all tensors to be on the same device, but found at least two devices, "
                           f"{a.device} and {b.device}!")
    if a.dtype is not b.dtype:
        raise RuntimeError(f"expected {names[0]} and {names[1]} to have the same dtype, but got: "
                           f"{_C10_NAMES[a.dtype]} != {_C10_NAMES[b.dtype]}")
    if a.dtype is dt.bool_:
        raise RuntimeError(f"\"{fn}\" not implemented for 'Bool'")


def _shape_str(shape) -> str:
    return "x".join(str(s) for s in shape)


def _product(a: Tensor, b: Tensor, out_shape) -> Tensor:
    """out = a @ b for a of shape (*batch, M, K) and b of shape (*batch, K, N), batch dims already
    broadcast (stride 0 where repeated); the result is returned viewed as ``out_shape``."""
    batch = tuple(a.shape[:-2])
    M, N = a.shape[-2], b.shape[-1]
    c = Tensor._empty(batch + (M, N), a.dtype, a.device)
    K.matmul(a, b, c, allow_tf32=backends.matmul.allow_tf32)
    return c._view(out_shape, contiguous_strides(out_shape))


def _as_matrix(t: Tensor, row: bool) -> Tensor:
    """A 1-D tensor viewed as a (1, K) row or a (K, 1) column."""
    (n,), (s,) = t.shape, t.stride()
    return t._view((1, n), (0, s)) if row else t._view((n, 1), (s, 0))


def _expand_batch(t: Tensor, batch) -> Tensor:
    """View t (*tbatch, R, C) as (*batch, R, C), repeating broadcast batch dims with stride 0."""
    tb = tuple(t.shape[:-2])
    strides = broadcast_strides(tb, t.stride()[:-2], batch) + tuple(t.stride()[-2:])
    return t._view(tuple(batch) + tuple(t.shape[-2:]), strides)


def _check_matmul(a: Tensor, b: Tensor) -> None:
    """torch.matmul's argument checks and error texts (nothing is computed)."""
    _check_operands("matmul", a, b)
    da, db = a.dim(), b.dim()
    if da == 0 or db == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {da}D and {db}D")
    if da == 1 and db == 1:
        if a.shape[0] != b.shape[0]:
            raise RuntimeError(
                f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src [{b.shape[0]}] to have the "
                f"same number of elements, but got {a.shape[0]} and {b.shape[0]} elements respectively")
    elif db == 1:
        rows = _numel(a.shape[:-1])
        if a.shape[-1] != b.shape[0]:
            raise RuntimeError(f"size mismatch, got input ({rows}), mat ({rows}x{a.shape[-1]}), vec ({b.shape[0]})")
    elif da == 1:
        if a.shape[0] != b.shape[-2]:
            if db == 2:
                raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied (1x{a.shape[0]} and "
                                   f"{_shape_str(b.shape)})")
            _bmm_mismatch(_numel(b.shape[:-2]), a.shape[0], b.shape[-2])
    else:
        if db == 2 and a.shape[-1] != b.shape[0]:
            rows = _numel(a.shape[:-1])
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{a.shape[-1]} and "
                               f"{_shape_str(b.shape)})")
        batch = broadcast_shapes(a.shape[:-2], b.shape[:-2])
        if a.shape[-1] != b.shape[-2]:
            _bmm_mismatch(_numel(batch), a.shape[-1], b.shape[-2])


def _matrices(a: Tensor, b: Tensor):
    """(a as (*batch, M, K), b as (*batch, K, N), the broadcast batch shape): 1-D operands become
    a row / a column, batch dims stay as they are (not yet broadcast)."""
    am = _as_matrix(a, True) if a.dim() == 1 else a
    bm = _as_matrix(b, False) if b.dim() == 1 else b
    return am, bm, tuple(broadcast_shapes(am.shape[:-2], bm.shape[:-2]))


def _out_shape(a: Tensor, b: Tensor, batch) -> tuple:
    return tuple(batch) + ((a.shape[-2],) if a.dim() > 1 else ()) + ((b.shape[-1],) if b.dim() > 1 else ())


def _forward(a: Tensor, b: Tensor) -> Tensor:
    """a @ b for operands that passed the checks, every torch shape form."""
    am, bm, batch = _matrices(a, b)
    return _product(_expand_batch(am, batch), _expand_batch(bm, batch), _out_shape(a, b, batch))


def _mT(t: Tensor) -> Tensor:
    """The transposed view of the last two dims (no copy)."""
    st = t.stride()
    return t._view(tuple(t.shape[:-2]) + (t.shape[-1], t.shape[-2]), st[:-2] + (st[-1], st[-2]))


def _folded(t: Tensor):
    """t (*batch, R, C) as one (batch*R, C) matrix view when its batch and row dims merge, else None."""
    sizes, (strides,) = coalesce(tuple(t.shape[:-1]), tuple(t.stride()[:-1]))
    if len(sizes) != 1:
        return None
    return t._view((sizes[0], t.shape[-1]), (strides[0], t.stride(-1)))


class _Matmul(Function):
    """C = A @ B over (*batch, M, K) and (*batch, K, N) (1-D operands as a row / column):
    dA = dC @ B^T and dB = A^T @ dC through the same GEMM on transposed views, each summed over
    the batch dims its operand was broadcast along."""

    _backward_name = "MatmulBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _forward(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        am, bm, batch = _matrices(a, b)
        g = grad.to(a.dtype).reshape(batch + (am.shape[-2], bm.shape[-1]))   # (*batch, M, N)
        ga = gb = None
        if ctx.needs_input_grad[0]:
            full = batch + tuple(am.shape[-2:])
            ga = _product(g, _expand_batch(_mT(bm), batch), full)                # (*batch, M, K)
            ga = ga.sum_to_size(am.shape).reshape(a.shape)
        if ctx.needs_input_grad[1]:
            fa, fg = (_folded(am), _folded(g)) if batch and bm.dim() == 2 else (None, None)
            if fa is not None and fg is not None:
                # b is shared by every batch entry: one (K, batch*M) @ (batch*M, N) product.
                gb = _product(_mT(fa), fg, tuple(bm.shape))
            else:
                full = batch + tuple(bm.shape[-2:])
                gb = _product(_expand_batch(_mT(am), batch), g, full)          # (*batch, K, N)
                gb = gb.sum_to_size(bm.shape)
            gb = gb.reshape(b.shape)
        return ga, gb


class _Dot(_Matmul):
    _backward_name = "DotBackward0"


class _Mv(_Matmul):
    _backward_name = "MvBackward0"


class _Mm(_Matmul):
    _backward_name = "MmBackward0"


class _Bmm(_Matmul):
    _backward_name = "BmmBackward0"


_FORMS = {(1, 1): _Dot, (2, 1): _Mv, (2, 2): _Mm}


def matmul(input: Tensor, other: Tensor) -> Tensor:
    """torch.matmul: dot for 1-D x 1-D, matrix-vector, vector-matrix, matrix product, and
    batched products whose batch dims broadcast ((2, 1, 3, 4) @ (5, 4, 6) -> (2, 5, 3, 6))."""
    _check_matmul(input, other)
    return _FORMS.get((input.dim(), other.dim()), _Matmul).apply(input, other)


def _numel(shape) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


def _bmm_mismatch(batch: int, k_a: int, k_b: int):
    raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{batch}, {k_a}] but got: "
                       f"[{batch}, {k_b}].")


def mm(input: Tensor, mat2: Tensor) -> Tensor:
    """torch.mm: (M, K) @ (K, N) -> (M, N); both operands must be matrices."""
    a, b = input, mat2
    _check_operands("mm", a, b, ("mat1", "mat2"))
    if a.dim() != 2:
        raise RuntimeError("self must be a matrix")
    if b.dim() != 2:
        raise RuntimeError("mat2 must be a matrix")
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({_shape_str(a.shape)} and "
                           f"{_shape_str(b.shape)})")
    return _Mm.apply(a, b)


def bmm(input: Tensor, mat2: Tensor) -> Tensor:
    """torch.bmm: (B, M, K) @ (B, K, N) -> (B, M, N), no broadcasting."""
    a, b = input, mat2
    _check_operands("bmm", a, b, ("mat1", "mat2"))
    if a.dim() != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if b.dim() != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    if b.shape[0] != a.shape[0] or b.shape[1] != a.shape[2]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{a.shape[0]}, "
                           f"{a.shape[2]}] but got: [{b.shape[0]}, {b.shape[1]}].")
    return _Bmm.apply(a, b)


def __matmul__(input: Tensor, other) -> Tensor:
    """``a @ b``; a non-tensor operand gives NotImplemented so Python raises its TypeError."""
    if not isinstance(other, Tensor):
        return NotImplemented
    return matmul(input, other)
