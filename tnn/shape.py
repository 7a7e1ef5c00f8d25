"""Shape and stride arithmetic shared by Tensor and the ops: contiguous strides, broadcasting, coalescing."""
from __future__ import annotations


def contiguous_strides(shape) -> tuple:
    strides, acc = [], 1
    for s in reversed(shape):
        strides.append(acc)
        acc *= max(s, 1)
    return tuple(reversed(strides))


def numel(shape) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


def is_contiguous(shape, strides) -> bool:
    if 0 in shape:
        return True  # as torch: an empty tensor is contiguous whatever its strides
    expected = 1
    for s, st in zip(reversed(shape), reversed(strides)):
        if s != 1 and st != expected:
            return False
        expected *= s
    return True


def broadcast_shapes(*shapes) -> tuple:
    """torch.broadcast_shapes, with torch's error text."""
    ndim = max((len(s) for s in shapes), default=0)
    out = [1] * ndim
    for shape in shapes:
        for i, s in enumerate(shape):
            j = ndim - len(shape) + i
            if s == out[j] or s == 1:
                continue
            if out[j] == 1:
                out[j] = s
                continue
            raise RuntimeError(
                f"The size of tensor a ({out[j]}) must match the size of tensor b ({s}) at non-singleton dimension {i}")
    return tuple(out)


def broadcast_strides(shape, strides, out_shape) -> tuple:
    """Strides that read a tensor of ``shape`` broadcast to ``out_shape`` (0 where it repeats)."""
    lead = len(out_shape) - len(shape)
    res = [0] * lead
    for s, st, o in zip(shape, strides, out_shape[lead:]):
        res.append(0 if (s == 1 and o != 1) else st)
    return tuple(res)


def coalesce(shape, *strides_list):
    """Merge adjacent dims that are contiguous with each other in every operand and drop size-1
    dims, so kernels index with as few divisions as possible. Returns (sizes, [strides, ...]),
    with at least one dim (a 0-d tensor becomes shape (1,))."""
    dims = [i for i, s in enumerate(shape) if s != 1]
    if not dims:
        return (1,), [(0,) for _ in strides_list]
    sizes = [shape[dims[0]]]
    strides = [[st[dims[0]]] for st in strides_list]
    for d in dims[1:]:
        s = shape[d]
        if all(st_out[-1] == st[d] * s for st_out, st in zip(strides, strides_list)):
            sizes[-1] *= s
            for st_out, st in zip(strides, strides_list):
                st_out[-1] = st[d]
        else:
            sizes.append(s)
            for st_out, st in zip(strides, strides_list):
                st_out.append(st[d])
    return tuple(sizes), [tuple(s) for s in strides]


def normalize_dim(dim: int, ndim: int) -> int:
    """Wrap a negative dim; IndexError with torch's text when out of range (a 0-d tensor accepts
    -1 and 0)."""
    if not isinstance(dim, int) or isinstance(dim, bool):
        raise TypeError(f"dim must be an int, got {type(dim).__name__}")
    n = max(ndim, 1)
    if dim < -n or dim >= n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return dim % n


def normalize_dims(dims, ndim: int) -> tuple:
    if dims is None:
        return tuple(range(ndim))
    if isinstance(dims, int):
        dims = (dims,)
    out = tuple(normalize_dim(d, ndim) for d in dims)
    seen = set()
    for d in out:
        if d in seen:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
        seen.add(d)
    return out
