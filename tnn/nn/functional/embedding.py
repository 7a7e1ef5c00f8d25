"""F.embedding with torch's signature and semantics: padding_idx (no gradient for that row),
max_norm (looked-up rows of weight renormalised IN PLACE before the lookup, as torch),
scale_grad_by_freq, and a deterministic backward (sorted segments, one writer per row).

The indices come to the host once per call: to raise torch's IndexError before any launch, and
to build the backward's sorted segments (kept as a NumPy copy: nothing is re-read in backward).
``sparse=True`` is accepted and gives the same gradient as a dense tensor (tnn has no sparse
tensors)."""
from __future__ import annotations

import numpy as np

from ...autograd.function import Function
from ...kernels import embedding as K
from ...ops.copying import _host_array, host_tensor
from ...ops.creation import zeros
from ...runtime import dtypes as dt
from ...shape import coalesce, contiguous_strides
from ...tensor import Tensor

__all__ = ["embedding"]

_NAMES = {dt.float32: "FloatTensor", dt.float64: "DoubleTensor", dt.float16: "HalfTensor",
          dt.bfloat16: "BFloat16Tensor", dt.int16: "ShortTensor", dt.int8: "CharTensor", dt.uint8: "ByteTensor",
          dt.bool_: "BoolTensor"}


class _Embedding(Function):
    _backward_name = "EmbeddingBackward0"

    @staticmethod
    def forward(ctx, input, weight, padding_idx, scale_grad_by_freq, host_idx):
        D = weight.shape[1]
        n = input.numel()
        out = Tensor._empty((n, D), weight.dtype, weight.device)                # (n, D)
        if n and D:
            sizes, (st,) = coalesce(tuple(input.shape), input.stride())
            K.embedding_fwd(input, sizes, st, weight, out)
        ctx.backward_args = (host_idx, tuple(weight.shape), padding_idx, scale_grad_by_freq)
        ctx.weight_dtype = weight.dtype
        shape = tuple(input.shape) + (D,)
        return out._view(shape, contiguous_strides(shape))

    @staticmethod
    def backward(ctx, grad):
        host_idx, (V, D), padding_idx, by_freq = ctx.backward_args
        dw = zeros(V, D, dtype=ctx.weight_dtype, device=grad.device)           # (V, D)
        if grad.dtype is not ctx.weight_dtype:
            grad = grad.to(ctx.weight_dtype)
        flat = host_idx.reshape(-1)
        order = np.argsort(flat, kind="stable")                                 # positions grouped by row
        rows_sorted = flat[order]
        if padding_idx is not None:
            keep = rows_sorted != padding_idx
            order, rows_sorted = order[keep], rows_sorted[keep]
        if order.size and D:
            rows, starts, counts = np.unique(rows_sorted, return_index=True, return_counts=True)
            starts = np.append(starts, order.size).astype(np.int64)
            dev = grad.device
            g = grad.reshape(flat.size, D)                                       # (n, D)
            K.embedding_bwd(g, host_tensor(order.astype(np.int64), dev), host_tensor(starts, dev),
                            host_tensor(rows.astype(np.int64), dev), dw, by_freq, int(counts.max()))
        return None, dw, None, None, None


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):
    """Rows of ``weight`` (num_embeddings, embedding_dim) at integer ``input`` (any shape):
    output (*input.shape, embedding_dim)."""
    for name, x in (("input", input), ("weight", weight)):
        if not isinstance(x, Tensor):
            raise TypeError(f"embedding(): argument '{name}' must be Tensor, not {type(x).__name__}")
    if input.dtype not in (dt.int64, dt.int32):
        raise RuntimeError(
            "Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; but got "
            f"{_NAMES.get(input.dtype, input.dtype.name)} instead (while checking arguments for embedding)")
    if weight.dim() != 2:
        raise RuntimeError("'weight' must be 2-D")
    if input.device != weight.device:
        raise RuntimeError("Expected all tensors to be on the same device, but found at least two devices, "
                           f"{weight.device} and {input.device}!")
    V = weight.shape[0]
    if padding_idx is not None:
        if padding_idx > 0:
            assert padding_idx < V, "Padding_idx must be within num_embeddings"
        elif padding_idx < 0:
            assert padding_idx >= -V, "Padding_idx must be within num_embeddings"
            padding_idx = V + padding_idx
    host_idx = np.array(_host_array(input), dtype=np.int64, copy=True)
    if host_idx.size and (host_idx.min() < 0 or host_idx.max() >= V):
        raise IndexError("index out of range in self")
    if max_norm is not None:
        if not weight.dtype.is_floating_point:
            raise RuntimeError("embedding_renorm_: max_norm needs a floating point weight")
        rows = np.unique(host_idx)
        if rows.size and weight.shape[1]:
            K.embedding_renorm(weight, host_tensor(rows, weight.device), float(max_norm), float(norm_type))
            weight._version_bump()
    return _Embedding.apply(input, weight, padding_idx, bool(scale_grad_by_freq), host_idx)
