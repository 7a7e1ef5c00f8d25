"""Views sharing storage: view/reshape, transpose/permute, (un)squeeze, expand, flatten, narrow,
split/chunk, and basic indexing. No kernels run here except where torch copies too (reshape of
a non-viewable layout, indexing with tensors).

Autograd: every view op is a Function whose forward returns the view and whose backward maps the
gradient back to the input's shape. A view made in grad mode also remembers its base (the tensor
whose storage it views, ``_base``) and how to re-create itself from it (``_replay``), so that an
in-place op on a view can be recorded on the base (``CopySlices``) and every live view of that base
re-derived from the base's new history, as torch does."""
from __future__ import annotations

import weakref

import numpy as np

from ..autograd.function import Function, Node, gradient_edge
from ..autograd.grad_mode import enable_grad, is_grad_enabled
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


def _make_view(t: Tensor, shape, strides, offset) -> Tensor:
    """Every view goes through here: a new Tensor over t's storage (and version counter)."""
    return t._view(shape, strides, offset)


# ---------------------------------------------------------------- view tracking (autograd)
def _root(t: Tensor):
    """(base, replay): the tensor whose history a view of t extends, and how to re-create t from
    it (None when t is that base itself). A leaf that requires grad is its own base even if its
    storage is a view of another tensor's."""
    base = t.__dict__.get("_base")
    if base is not None and not (t.requires_grad and t.grad_fn is None):
        return base, t.__dict__.get("_replay")
    return t, None


class _Scratch:
    """Stands in for the ctx when nothing is recorded (the common, no-grad path stays cheap)."""


def _apply_view(fn, t: Tensor, *args):
    """fn.apply(t, *args) for a view Function; in grad mode each output view also records its
    base and a replay (base -> this view), and registers itself with the base."""
    grad_mode = is_grad_enabled()
    out = fn.apply(t, *args) if grad_mode and t.requires_grad else fn.forward(_Scratch(), t, *args)
    if not grad_mode or not t.dtype.is_floating_point:
        return out
    base, prev = _root(t)
    views = base.__dict__.get("_views")
    if views is None:
        views = base._views = weakref.WeakSet()
    multi = isinstance(out, tuple)
    for i, o in enumerate(out if multi else (out,)):
        if multi:
            step = lambda b, i=i: _apply_view(fn, b, *args)[i]  # noqa: E731
        else:
            step = lambda b: _apply_view(fn, b, *args)  # noqa: E731
        o._base = base
        o._replay = step if prev is None else (lambda b, step=step: step(prev(b)))
        views.add(o)
    return out


def _check_inplace(t: Tensor) -> None:
    """Called by Function.apply for each tensor an op recorded in grad mode modified in place."""
    base, replay = _root(t)
    if replay is not None and base.requires_grad and base.grad_fn is None:
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place operation.")


def _check_inplace_pre(t: Tensor, *others) -> None:
    """The same checks as Function.apply makes for an in-place op on t, made before any launch."""
    if not is_grad_enabled():
        return
    if t.requires_grad and t.grad_fn is None:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
    if t.requires_grad or any(isinstance(o, Tensor) and o.requires_grad for o in others):
        _check_inplace(t)


def _rebase_inplace(node, args, dirty) -> None:
    """After an in-place op recorded as ``node`` modified ``dirty``: a modified view's base gets a
    CopySlices node (its history now includes the op), and every live view of the modified base
    re-derives its grad_fn from the base's new history."""
    for t in dirty:
        if not t.dtype.is_floating_point:
            continue
        base, replay = _root(t)
        if replay is not None:
            i = next((j for j, a in enumerate(args) if a is t), None)
            if i is None:
                raise RuntimeError("tnn: in-place modification of a view of a tensor that requires grad is not "
                                   "supported here; use out-of-place ops or clone() first")
            cs = CopySlices(base, replay, node, i)
            base.grad_fn, base._output_nr, base.requires_grad = cs, 0, True
        _regenerate_views(base)


def _regenerate_views(base: Tensor) -> None:
    views = base.__dict__.get("_views")
    if not views:
        return
    with enable_grad():
        for w in list(views):
            replay = w.__dict__.get("_replay")
            if replay is None or (w.requires_grad and w.grad_fn is None) or w.__dict__.get("_base") is not base:
                continue
            nv = replay(base)
            w.grad_fn, w._output_nr, w.requires_grad = nv.grad_fn, getattr(nv, "_output_nr", 0), nv.requires_grad


class CopySlices(Node):
    """Gradient of an in-place op ``fn`` applied to a view of ``base``: the gradient w.r.t. the old
    base is the incoming one with the view's region replaced by fn's gradient w.r.t. the view; fn's
    other inputs get their gradients from fn's backward."""

    def __init__(self, base: Tensor, replay, fn_node, i: int):
        super().__init__()
        self._meta = (tuple(base.shape), base.dtype, base.device)
        self._replay, self._fn, self._i = replay, fn_node, i
        self.next_functions = (gradient_edge(base),) + tuple(
            e for j, e in enumerate(fn_node.next_functions) if j != i)
        self._output_meta = (self._meta,)

    def name(self) -> str:
        return "CopySlices"

    def apply(self, grad_outputs):
        grad = grad_outputs[0] if grad_outputs else None
        if grad is None:
            return (None,) * len(self.next_functions)
        res = Tensor._empty(*self._meta)
        res.copy_(grad)
        region = self._replay(res)  # the modified view's elements, in a copy of the gradient
        fg = list(self._fn.apply((region.clone(),)))
        fg += [None] * (len(self._fn.next_functions) - len(fg))
        if fg[self._i] is None:
            region.zero_()
        else:
            region.copy_(fg[self._i])
        return (res,) + tuple(g for j, g in enumerate(fg) if j != self._i)

    def _release(self) -> None:
        self._fn._release()


# ---------------------------------------------------------------- view Functions
def _zeros_like_meta(ctx):
    from .creation import zeros
    return zeros(ctx.in_shape, dtype=ctx.dtype, device=ctx.device)


def _save_meta(ctx, t: Tensor) -> None:
    ctx.in_shape, ctx.dtype, ctx.device = tuple(t.shape), t.dtype, t.device


class _View(Function):
    _backward_name = "ViewBackward0"

    @staticmethod
    def forward(ctx, t, shape):
        ctx.in_shape = tuple(t.shape)
        return _make_view(t, shape, _view_strides(t.shape, t.stride(), shape), t.storage_offset())

    @staticmethod
    def backward(ctx, grad):
        return reshape(grad, ctx.in_shape), None


class _ReshapeCopy(Function):
    """reshape of a layout no view can express: a contiguous copy viewed as ``shape`` (not a view)."""
    _backward_name = "UnsafeViewBackward0"

    @staticmethod
    def forward(ctx, t, shape):
        ctx.in_shape = tuple(t.shape)
        c = t.contiguous()
        return _make_view(c, shape, contiguous_strides(shape), c.storage_offset())

    @staticmethod
    def backward(ctx, grad):
        return reshape(grad, ctx.in_shape), None


def view(t: Tensor, *shape) -> Tensor:
    if len(shape) == 1 and not isinstance(shape[0], (tuple, list, int)) and hasattr(shape[0], "itemsize"):
        raise NotImplementedError("view(dtype) is not supported")
    shape = _infer_shape(_shape_arg(shape), t.numel())
    if _view_strides(t.shape, t.stride(), shape) is None:
        raise RuntimeError(
            "view size is not compatible with input tensor's size and stride (at least one dimension spans "
            "across two contiguous subspaces). Use .reshape(...) instead.")
    return _apply_view(_View, t, shape)


def view_as(t: Tensor, other: Tensor) -> Tensor:
    return view(t, tuple(other.shape))


def reshape(t: Tensor, *shape) -> Tensor:
    shape = _infer_shape(_shape_arg(shape), t.numel())
    if _view_strides(t.shape, t.stride(), shape) is not None:
        return _apply_view(_View, t, shape)
    return _ReshapeCopy.apply(t, shape)


def reshape_as(t: Tensor, other: Tensor) -> Tensor:
    return reshape(t, tuple(other.shape))


class _Permute(Function):
    _backward_name = "PermuteBackward0"

    @staticmethod
    def forward(ctx, t, dims):
        ctx.dims = dims
        return _make_view(t, [t.shape[d] for d in dims], [t.stride()[d] for d in dims], t.storage_offset())

    @staticmethod
    def backward(ctx, grad):
        inv = [0] * len(ctx.dims)
        for i, d in enumerate(ctx.dims):
            inv[d] = i
        return permute(grad, inv), None


def permute(t: Tensor, *dims) -> Tensor:
    dims = _shape_arg(dims)
    if len(dims) != t.dim():
        raise RuntimeError(
            f"permute(sparse_coo): number of dimensions in the tensor input does not match the length of the "
            f"desired ordering of dimensions i.e. input.dim() = {t.dim()} is not equal to len(dims) = {len(dims)}")
    dims = tuple(normalize_dims(dims, t.dim())) if t.dim() else ()
    return _apply_view(_Permute, t, dims)


class _Transpose(Function):
    _backward_name = "TransposeBackward0"

    @staticmethod
    def forward(ctx, t, d0, d1):
        ctx.d = (d0, d1)
        shape, strides = list(t.shape), list(t.stride())
        if t.dim():
            shape[d0], shape[d1] = shape[d1], shape[d0]
            strides[d0], strides[d1] = strides[d1], strides[d0]
        return _make_view(t, shape, strides, t.storage_offset())

    @staticmethod
    def backward(ctx, grad):
        return (transpose(grad, *ctx.d) if grad.dim() else grad), None, None


def transpose(t: Tensor, dim0: int, dim1: int) -> Tensor:
    if t.dim() == 0:
        normalize_dim(dim0, 0), normalize_dim(dim1, 0)
        return _apply_view(_Transpose, t, 0, 0)
    d0, d1 = normalize_dim(dim0, t.dim()), normalize_dim(dim1, t.dim())
    return _apply_view(_Transpose, t, d0, d1)


swapaxes = swapdims = transpose


class _T(Function):
    _backward_name = "TBackward0"

    @staticmethod
    def forward(ctx, x):
        if x.dim() == 2:
            return _make_view(x, x.shape[::-1], x.stride()[::-1], x.storage_offset())
        return _make_view(x, x.shape, x.stride(), x.storage_offset())

    @staticmethod
    def backward(ctx, grad):
        return t(grad)


def t(x: Tensor) -> Tensor:
    if x.dim() > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {x.dim()}D")
    return _apply_view(_T, x)


def movedim(t: Tensor, source, destination) -> Tensor:
    src = normalize_dims(source, t.dim())
    dst = normalize_dims(destination, t.dim())
    if len(src) != len(dst):
        raise RuntimeError("movedim: Invalid source or destination dims")
    order = [d for d in range(t.dim()) if d not in src]
    for s, d in sorted(zip(dst, src)):
        order.insert(s, d)
    return permute(t, order)


class _Squeeze(Function):
    """squeeze(): SqueezeBackward0; squeeze(dim): 1; squeeze(dims): 2 (subclasses below)."""
    _backward_name = "SqueezeBackward0"

    @staticmethod
    def forward(ctx, t, keep):
        ctx.in_shape = tuple(t.shape)
        return _make_view(t, [t.shape[i] for i in keep], [t.stride()[i] for i in keep], t.storage_offset())

    @staticmethod
    def backward(ctx, grad):
        return reshape(grad, ctx.in_shape), None


class _SqueezeDim(_Squeeze):
    _backward_name = "SqueezeBackward1"


class _SqueezeDims(_Squeeze):
    _backward_name = "SqueezeBackward2"


def squeeze(t: Tensor, dim=None) -> Tensor:
    if dim is None:
        keep = tuple(i for i, s in enumerate(t.shape) if s != 1)
        fn = _Squeeze
    else:
        dims = normalize_dims(dim, t.dim()) if t.dim() else ()
        keep = tuple(i for i, s in enumerate(t.shape) if not (i in dims and s == 1))
        fn = _SqueezeDims if isinstance(dim, (tuple, list)) else _SqueezeDim
    return _apply_view(fn, t, keep)


class _Unsqueeze(Function):
    _backward_name = "UnsqueezeBackward0"

    @staticmethod
    def forward(ctx, t, d):
        ctx.d = d
        shape, strides = list(t.shape), list(t.stride())
        st = strides[d] * shape[d] if d < t.dim() else 1
        shape.insert(d, 1)
        strides.insert(d, st)
        return _make_view(t, shape, strides, t.storage_offset())

    @staticmethod
    def backward(ctx, grad):
        return squeeze(grad, ctx.d), None


def unsqueeze(t: Tensor, dim: int) -> Tensor:
    return _apply_view(_Unsqueeze, t, normalize_dim(dim, t.dim() + 1))


class _Expand(Function):
    _backward_name = "ExpandBackward0"

    @staticmethod
    def forward(ctx, t, shape):
        ctx.in_shape = tuple(t.shape)
        lead = len(shape) - t.dim()
        strides = [0 if i < lead or t.shape[i - lead] != s else t.stride()[i - lead] for i, s in enumerate(shape)]
        return _make_view(t, shape, strides, t.storage_offset())

    @staticmethod
    def backward(ctx, grad):
        return grad.sum_to_size(ctx.in_shape), None


def expand(t: Tensor, *sizes) -> Tensor:
    sizes = _shape_arg(sizes)
    if len(sizes) < t.dim():
        raise RuntimeError(
            f"expand(torch.FloatTensor{{{list(t.shape)}}}, size=[{', '.join(map(str, sizes))}]): the number of sizes "
            f"provided ({len(sizes)}) must be greater or equal to the number of dimensions in the tensor ({t.dim()})")
    lead = len(sizes) - t.dim()
    shape = []
    for i, s in enumerate(sizes):
        if i < lead:
            if s < 0:
                raise RuntimeError(f"The expanded size of the tensor (-1) isn't allowed in a leading, non-existing dimension {i}")
            shape.append(s)
            continue
        cur = t.shape[i - lead]
        if s == -1:
            s = cur
        if cur != s and cur != 1:
            raise RuntimeError(
                f"The expanded size of the tensor ({s}) must match the existing size ({cur}) at non-singleton "
                f"dimension {i}.  Target sizes: {list(sizes)}.  Tensor sizes: {list(t.shape)}")
        shape.append(s)
    return _apply_view(_Expand, t, tuple(shape))


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


def _narrow_view(t: Tensor, d: int, start: int, length: int) -> Tensor:
    shape = list(t.shape)
    shape[d] = length
    return _make_view(t, shape, t.stride(), t.storage_offset() + start * t.stride()[d])


def _select_view(t: Tensor, d: int, index: int) -> Tensor:
    shape, strides = list(t.shape), list(t.stride())
    off = t.storage_offset() + index * strides[d]
    del shape[d], strides[d]
    return _make_view(t, shape, strides, off)


class _Narrow(Function):
    _backward_name = "SliceBackward0"

    @staticmethod
    def forward(ctx, t, d, start, length):
        _save_meta(ctx, t)
        ctx.args = (d, start, length)
        return _narrow_view(t, d, start, length)

    @staticmethod
    def backward(ctx, grad):
        g = _zeros_like_meta(ctx)
        if grad.numel():
            narrow(g, *ctx.args).copy_(grad)
        return g, None, None, None


def _narrow_args(t: Tensor, dim: int, start: int, length: int):
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
    return d, start, int(length)


def narrow(t: Tensor, dim: int, start: int, length: int) -> Tensor:
    return _apply_view(_Narrow, t, *_narrow_args(t, dim, start, length))


class _SplitWithSizes(Function):
    """All pieces of split/chunk as one node, like torch."""
    _backward_name = "SplitWithSizesBackward0"

    @staticmethod
    def forward(ctx, t, d, sections):
        _save_meta(ctx, t)
        ctx.d, ctx.sections = d, sections
        out, start = [], 0
        for n in sections:
            out.append(_narrow_view(t, d, start, n))
            start += n
        return tuple(out)

    @staticmethod
    def backward(ctx, *grads):
        g = _zeros_like_meta(ctx)
        start = 0
        for n, gi in zip(ctx.sections, grads):
            if gi is not None and n:
                narrow(g, ctx.d, start, n).copy_(gi)
            start += n
        return g, None, None


class _Split(_SplitWithSizes):
    _backward_name = "SplitBackward0"


def split(t: Tensor, split_size_or_sections, dim: int = 0):
    d = normalize_dim(dim, t.dim())
    size = t.shape[d]
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        if step <= 0 and size:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {size}")
        sections = tuple(min(step, size - i) for i in range(0, size, step)) if size else (0,)
        fn = _Split
    else:
        sections = tuple(int(s) for s in split_size_or_sections)
        if sum(sections) != size or any(s < 0 for s in sections):
            raise RuntimeError(
                f"split_with_sizes expects split_sizes to sum exactly to {size} (input tensor's size at dimension "
                f"{d}), but got split_sizes={list(sections)}")
        fn = _SplitWithSizes
    return _apply_view(fn, t, d, sections)


def chunk(t: Tensor, chunks: int, dim: int = 0):
    if chunks <= 0:
        raise RuntimeError("chunk expects `chunks` to be greater than 0, got: %d" % chunks)
    d = normalize_dim(dim, t.dim())
    size = t.shape[d]
    step = -(-size // chunks) if size else 1
    return split(t, step, d) if size else split(t, 0, d)


class _Select(Function):
    _backward_name = "SelectBackward0"

    @staticmethod
    def forward(ctx, t, d, index):
        _save_meta(ctx, t)
        ctx.d, ctx.index = d, index
        return _select_view(t, d, index)

    @staticmethod
    def backward(ctx, grad):
        g = _zeros_like_meta(ctx)
        select(g, ctx.d, ctx.index).copy_(grad)
        return g, None, None


def select(t: Tensor, dim: int, index: int) -> Tensor:
    d = normalize_dim(dim, t.dim())
    size = t.shape[d]
    index = int(index)
    if index < -size or index >= size:
        raise IndexError(f"index {index} is out of bounds for dimension {d} with size {size}")
    return _apply_view(_Select, t, d, index % size)


class _Unbind(Function):
    _backward_name = "UnbindBackward0"

    @staticmethod
    def forward(ctx, t, d):
        _save_meta(ctx, t)
        ctx.d = d
        return tuple(_select_view(t, d, i) for i in range(t.shape[d]))

    @staticmethod
    def backward(ctx, *grads):
        g = _zeros_like_meta(ctx)
        for i, gi in enumerate(grads):
            if gi is not None:
                select(g, ctx.d, i).copy_(gi)
        return g, None


def unbind(t: Tensor, dim: int = 0):
    return _apply_view(_Unbind, t, normalize_dim(dim, t.dim()))


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


def basic_index(t: Tensor, key) -> Tensor:
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


class _BasicIndex(Function):
    """x[key] for a key of ints, slices and None: one node per call, named after the last step
    torch's indexing would record (subclasses below); a key that changes nothing is an alias."""
    _backward_name = "AliasBackward0"

    @staticmethod
    def forward(ctx, t, key):
        _save_meta(ctx, t)
        ctx.key = key
        return basic_index(t, key)

    @staticmethod
    def backward(ctx, grad):
        g = _zeros_like_meta(ctx)
        if grad.numel():
            basic_index(g, ctx.key).copy_(grad)
        return g, None


class _SelectIndex(_BasicIndex):
    _backward_name = "SelectBackward0"


class _SliceIndex(_BasicIndex):
    _backward_name = "SliceBackward0"


class _UnsqueezeIndex(_BasicIndex):
    _backward_name = "UnsqueezeBackward0"


def _basic_fn(t: Tensor, key):
    fn, d = _BasicIndex, 0
    for k in key:
        if k is None:
            fn = _UnsqueezeIndex
            continue
        if isinstance(k, int):
            fn = _SelectIndex
        elif d < t.dim() and k.indices(t.shape[d]) != (0, t.shape[d], 1):
            fn = _SliceIndex
        d += 1
    return fn


def __getitem__(t: Tensor, key):
    key = _normalize_key(key)
    parts = key if isinstance(key, tuple) else (key,)
    if all(_is_basic(k) for k in parts):
        k = tuple(_expand_key(t, key))
        return _apply_view(_basic_fn(t, k), t, k)
    from .indexing import _index
    return _index(t, key)


def _sum_to(g: Tensor, shape) -> Tensor:
    """Reduce a broadcast gradient to ``shape``, which may have extra leading 1s (a setitem value)."""
    shape = tuple(shape)
    if len(shape) > g.dim():
        g = reshape(g, (1,) * (len(shape) - g.dim()) + tuple(g.shape))
    return g.sum_to_size(shape)


class _SetItem(Function):
    """x[key] = value, in place: the gradient w.r.t. the old x is zero where it was overwritten; the
    value gets the gradient of the region it was written to, summed to its shape."""
    _backward_name = "CopySlices"

    @staticmethod
    def forward(ctx, t, value, key, basic):
        ctx.key, ctx.basic = key, basic
        if isinstance(value, Tensor):
            ctx.value_meta = (tuple(value.shape), value.dtype, value.device)
        if basic:
            region = basic_index(t, key)
            if isinstance(value, Tensor) and value.dim() > region.dim():
                lead = 0  # torch drops the value's leading 1s
                while value.dim() - lead > region.dim() and value.shape[lead] == 1:
                    lead += 1
                value = reshape(value, value.shape[lead:])
            region.copy_(value)
        else:
            from .indexing import advanced_setitem
            advanced_setitem(t, key, value)
        ctx.mark_dirty(t)
        return t

    @staticmethod
    def backward(ctx, grad):
        from .indexing import advanced_getitem, advanced_setitem
        gt = gv = None
        if ctx.needs_input_grad[0]:
            gt = grad.clone()
            if ctx.basic:
                basic_index(gt, ctx.key).zero_()
            else:
                advanced_setitem(gt, ctx.key, 0)
        if ctx.needs_input_grad[1]:
            region = basic_index(grad, ctx.key) if ctx.basic else advanced_getitem(grad, ctx.key)
            shape, dtype, device = ctx.value_meta
            gv = _sum_to(region, shape).to(device=device, dtype=dtype)
        return gt, gv, None, None


def __setitem__(t: Tensor, key, value) -> None:
    key = _normalize_key(key)
    parts = key if isinstance(key, tuple) else (key,)
    basic = all(_is_basic(k) for k in parts)
    _check_inplace_pre(t, value)
    _SetItem.apply(t, value, tuple(_expand_key(t, key)) if basic else key, basic)


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
