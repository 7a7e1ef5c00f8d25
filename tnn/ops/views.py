"""Views sharing storage: view/reshape, transpose/permute, (un)squeeze, expand, flatten, narrow,
split/chunk, and basic indexing. No kernels run here except where torch copies too (reshape of
a non-viewable layout, indexing with tensors)."""
from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from ..shape import contiguous_strides, normalize_dim, normalize_dims, numel


def _shape_arg(args):
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    for a in args:
        if not isinstance(a, int) or isinstance(a, bool):
            if hasattr(a, "__index__"):
                continue
            raise TypeError(f"shape must be a sequence of ints, got element of type {type(a).__name__}")
    return tuple(int(a) for a in args)


def _infer_shape(shape, n: int) -> tuple:
    neg = [i for i, s in enumerate(shape) if s == -1]
    if len(neg) > 1:
        raise RuntimeError("only one dimension can be inferred")
    if any(s < -1 for s in shape):
        raise RuntimeError(f"invalid shape dimension {min(shape)}")
    known = numel(s for s in shape if s != -1)
    if neg:
        if known == 0 or n % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {n}")
        shape = tuple(n // known if s == -1 else s for s in shape)
    if numel(shape) != n:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {n}")
    return shape


def _view_strides(old_shape, old_strides, new_shape):
    """Strides for viewing (old_shape, old_strides) as new_shape without a copy, or None
    (torch's computeStride: split/merge only within runs of dims that are contiguous together)."""
    if numel(old_shape) == 0:
        return contiguous_strides(new_shape)
    old = [(s, st) for s, st in zip(old_shape, old_strides) if s != 1]
    new_strides = [0] * len(new_shape)
    oi, ni = 0, 0
    nd = len(new_shape)
    while ni < nd:
        if new_shape[ni] == 1:
            new_strides[ni] = 1
            ni += 1
            continue
        if oi >= len(old):
            return None
        # Collect a chunk of old dims that is contiguous within itself.
        chunk_size, chunk_stride = old[oi][0], old[oi][1]
        oi += 1
        while oi < len(old) and old[oi - 1][1] == old[oi][0] * old[oi][1]:
            chunk_size *= old[oi][0]
            chunk_stride = old[oi][1]
            oi += 1
        # Fill new dims from this chunk, innermost stride = chunk_stride.
        start = ni
        acc = 1
        while ni < nd and acc < chunk_size:
            acc *= new_shape[ni]
            ni += 1
        if acc != chunk_size:
            return None
        st = chunk_stride
        for j in range(ni - 1, start - 1, -1):
            new_strides[j] = st if new_shape[j] != 1 else 1
            st *= new_shape[j]
    if oi != len(old):
        return None
    return tuple(new_strides)


def view(t: Tensor, *shape) -> Tensor:
    if len(shape) == 1 and not isinstance(shape[0], (tuple, list, int)) and hasattr(shape[0], "itemsize"):
        raise NotImplementedError("view(dtype) is not supported")
    shape = _infer_shape(_shape_arg(shape), t.numel())
    strides = _view_strides(t.shape, t.stride(), shape)
    if strides is None:
        raise RuntimeError(
            "view size is not compatible with input tensor's size and stride (at least one dimension spans "
            "across two contiguous subspaces). Use .reshape(...) instead.")
    return _make_view(t, shape, strides, t.storage_offset())


def view_as(t: Tensor, other: Tensor) -> Tensor:
    return view(t, tuple(other.shape))


def reshape(t: Tensor, *shape) -> Tensor:
    shape = _infer_shape(_shape_arg(shape), t.numel())
    strides = _view_strides(t.shape, t.stride(), shape)
    if strides is not None:
        return _make_view(t, shape, strides, t.storage_offset())
    return view(t.contiguous(), shape)


def reshape_as(t: Tensor, other: Tensor) -> Tensor:
    return reshape(t, tuple(other.shape))


def _make_view(t: Tensor, shape, strides, offset) -> Tensor:
    """Every view goes through here, so autograd (issue 3) has one place to record views."""
    return t._view(shape, strides, offset)


def permute(t: Tensor, *dims) -> Tensor:
    dims = _shape_arg(dims)
    if len(dims) != t.dim():
        raise RuntimeError(
            f"permute(sparse_coo): number of dimensions in the tensor input does not match the length of the "
            f"desired ordering of dimensions i.e. input.dim() = {t.dim()} is not equal to len(dims) = {len(dims)}")
    dims = normalize_dims(dims, t.dim()) if t.dim() else ()
    return _make_view(t, [t.shape[d] for d in dims], [t.stride()[d] for d in dims], t.storage_offset())


def transpose(t: Tensor, dim0: int, dim1: int) -> Tensor:
    if t.dim() == 0:
        normalize_dim(dim0, 0), normalize_dim(dim1, 0)
        return _make_view(t, (), (), t.storage_offset())
    d0, d1 = normalize_dim(dim0, t.dim()), normalize_dim(dim1, t.dim())
    order = list(range(t.dim()))
    order[d0], order[d1] = order[d1], order[d0]
    return permute(t, order)


swapaxes = swapdims = transpose


def t(x: Tensor) -> Tensor:
    if x.dim() > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {x.dim()}D")
    return transpose(x, 0, 1) if x.dim() == 2 else _make_view(x, x.shape, x.stride(), x.storage_offset())


def movedim(t: Tensor, source, destination) -> Tensor:
    src = normalize_dims(source, t.dim())
    dst = normalize_dims(destination, t.dim())
    if len(src) != len(dst):
        raise RuntimeError("movedim: Invalid source or destination dims")
    order = [d for d in range(t.dim()) if d not in src]
    for s, d in sorted(zip(dst, src)):
        order.insert(s, d)
    return permute(t, order)


def squeeze(t: Tensor, dim=None) -> Tensor:
    if dim is None:
        keep = [i for i, s in enumerate(t.shape) if s != 1]
    else:
        dims = normalize_dims(dim, t.dim()) if t.dim() else ()
        keep = [i for i, s in enumerate(t.shape) if not (i in dims and s == 1)]
    return _make_view(t, [t.shape[i] for i in keep], [t.stride()[i] for i in keep], t.storage_offset())


def unsqueeze(t: Tensor, dim: int) -> Tensor:
    d = normalize_dim(dim, t.dim() + 1)
    shape, strides = list(t.shape), list(t.stride())
    st = strides[d] * shape[d] if d < t.dim() else 1
    shape.insert(d, 1)
    strides.insert(d, st)
    return _make_view(t, shape, strides, t.storage_offset())


def expand(t: Tensor, *sizes) -> Tensor:
    sizes = _shape_arg(sizes)
    if len(sizes) < t.dim():
        raise RuntimeError(
            f"expand(torch.FloatTensor{{{list(t.shape)}}}, size=[{', '.join(map(str, sizes))}]): the number of sizes "
            f"provided ({len(sizes)}) must be greater or equal to the number of dimensions in the tensor ({t.dim()})")
    lead = len(sizes) - t.dim()
    shape, strides = [], []
    for i, s in enumerate(sizes):
        if i < lead:
            if s < 0:
                raise RuntimeError(f"The expanded size of the tensor (-1) isn't allowed in a leading, non-existing dimension {i}")
            shape.append(s)
            strides.append(0)
            continue
        cur, st = t.shape[i - lead], t.stride()[i - lead]
        if s == -1:
            s = cur
        if cur == s:
            shape.append(s)
            strides.append(st)
        elif cur == 1:
            shape.append(s)
            strides.append(0)
        else:
            raise RuntimeError(
                f"The expanded size of the tensor ({s}) must match the existing size ({cur}) at non-singleton "
                f"dimension {i}.  Target sizes: {list(sizes)}.  Tensor sizes: {list(t.shape)}")
    return _make_view(t, shape, strides, t.storage_offset())


def expand_as(t: Tensor, other: Tensor) -> Tensor:
    return expand(t, tuple(other.shape))


def flatten(t: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    if t.dim() == 0:
        return reshape(t, (1,))
    s, e = normalize_dim(start_dim, t.dim()), normalize_dim(end_dim, t.dim())
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    shape = list(t.shape[:s]) + [numel(t.shape[s:e + 1])] + list(t.shape[e + 1:])
    return reshape(t, shape)


def unflatten(t: Tensor, dim: int, sizes) -> Tensor:
    d = normalize_dim(dim, t.dim())
    sizes = _infer_shape(tuple(sizes), t.shape[d])
    return view(t, tuple(t.shape[:d]) + sizes + tuple(t.shape[d + 1:]))


def narrow(t: Tensor, dim: int, start: int, length: int) -> Tensor:
    if t.dim() == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    d = normalize_dim(dim, t.dim())
    size = t.shape[d]
    start = int(start)
    if start < -size or start > size:
        raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], but got {start})")
    start %= size if size else 1
    if length < 0 or start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    shape = list(t.shape)
    shape[d] = length
    return _make_view(t, shape, t.stride(), t.storage_offset() + start * t.stride()[d])


def split(t: Tensor, split_size_or_sections, dim: int = 0):
    d = normalize_dim(dim, t.dim())
    size = t.shape[d]
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        if step <= 0 and size:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {size}")
        sections = [min(step, size - i) for i in range(0, size, step)] if size else [0]
    else:
        sections = list(split_size_or_sections)
        if sum(sections) != size:
            raise RuntimeError(
                f"split_with_sizes expects split_sizes to sum exactly to {size} (input tensor's size at dimension "
                f"{d}), but got split_sizes={sections}")
    out, start = [], 0
    for n in sections:
        out.append(narrow(t, d, start, n))
        start += n
    return tuple(out)


def chunk(t: Tensor, chunks: int, dim: int = 0):
    if chunks <= 0:
        raise RuntimeError("chunk expects `chunks` to be greater than 0, got: %d" % chunks)
    d = normalize_dim(dim, t.dim())
    size = t.shape[d]
    step = -(-size // chunks) if size else 1
    return split(t, step, d) if size else (narrow(t, d, 0, 0),) * 1


def unbind(t: Tensor, dim: int = 0):
    d = normalize_dim(dim, t.dim())
    return tuple(select(t, d, i) for i in range(t.shape[d]))


def select(t: Tensor, dim: int, index: int) -> Tensor:
    d = normalize_dim(dim, t.dim())
    size = t.shape[d]
    if index < -size or index >= size:
        raise IndexError(f"index {index} is out of bounds for dimension {d} with size {size}")
    index %= size
    shape = list(t.shape)
    strides = list(t.stride())
    off = t.storage_offset() + index * strides[d]
    del shape[d], strides[d]
    return _make_view(t, shape, strides, off)


def _is_basic(key) -> bool:
    return key is None or key is Ellipsis or isinstance(key, slice) or (
        isinstance(key, int) and not isinstance(key, bool))


def _expand_key(t: Tensor, key) -> list:
    if not isinstance(key, tuple):
        key = (key,)
    key = list(key)
    n_ell = sum(k is Ellipsis for k in key)
    if n_ell > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    consumed = sum(1 for k in key if k is not None and k is not Ellipsis and not (
        isinstance(k, Tensor) and k.dtype.name == "bool" and k.dim() != 1) and not isinstance(k, bool))
    consumed += sum(k.dim() - 1 for k in key if isinstance(k, Tensor) and k.dtype.name == "bool" and k.dim() > 1)
    if consumed > t.dim():
        raise IndexError(f"too many indices for tensor of dimension {t.dim()}")
    if n_ell:
        i = key.index(Ellipsis)
        key[i:i + 1] = [slice(None)] * (t.dim() - consumed)
    else:
        key += [slice(None)] * (t.dim() - consumed)
    return key


def basic_index(t: Tensor, key: list) -> Tensor:
    """Apply a key of ints, slices and None (already expanded to cover every dim) as a view."""
    shape, strides, off = [], [], t.storage_offset()
    d = 0
    for k in key:
        if k is None:
            shape.append(1)
            strides.append(None)  # filled below, as torch does, from the next dim
            continue
        size, st = t.shape[d], t.stride()[d]
        if isinstance(k, int):
            if k < -size or k >= size:
                raise IndexError(f"index {k} is out of bounds for dimension {d} with size {size}")
            off += (k % size) * st
        else:
            start, stop, step = k.indices(size)
            if step <= 0:
                raise ValueError("step must be greater than zero")
            n = max(0, -(-(stop - start) // step))
            shape.append(n)
            strides.append(st * step)
            if n:
                off += start * st
        d += 1
    nxt = 1
    for i in range(len(strides) - 1, -1, -1):
        if strides[i] is None:
            strides[i] = nxt
        nxt = strides[i] * max(shape[i], 1)
    return _make_view(t, shape, strides, off)


def __getitem__(t: Tensor, key):
    key = _normalize_key(key)
    parts = key if isinstance(key, tuple) else (key,)
    if all(_is_basic(k) for k in parts):
        return basic_index(t, _expand_key(t, key))
    from .indexing import advanced_getitem
    return advanced_getitem(t, key)


def __setitem__(t: Tensor, key, value) -> None:
    key = _normalize_key(key)
    parts = key if isinstance(key, tuple) else (key,)
    if all(_is_basic(k) for k in parts):
        basic_index(t, _expand_key(t, key)).copy_(value)
        return
    from .indexing import advanced_setitem
    advanced_setitem(t, key, value)


def _normalize_key(key):
    """Lists of ints/bools and NumPy arrays index like tensors; 0-d integer tensors like ints."""
    def conv(k):
        if isinstance(k, (bool, int, slice, Tensor)) or k is None or k is Ellipsis:
            if isinstance(k, Tensor) and k.dim() == 0 and k.dtype.category == 1:
                return int(k.item())
            return k
        if isinstance(k, (list, np.ndarray)):
            from .creation import tensor
            return tensor(k, device="cpu")
        if hasattr(k, "__index__"):
            return int(k.__index__())
        raise IndexError(
            "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid indices "
            f"(got {type(k).__name__})")
    if isinstance(key, tuple):
        return tuple(conv(k) for k in key)
    return conv(key)
