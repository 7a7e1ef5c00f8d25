"""Indexing with tensors: advanced getitem/setitem, index_select, gather, scatter, index_put_,
masked_fill, masked_select, nonzero, repeat, and cat/stack.

Index tensors are moved to the indexed tensor's device, and bounds are checked on the host (one
device-to-host copy of the indices, as torch's cpu path does) before any launch. Semantics are
torch's: integers select a dim before advanced indexing (``x[0, :, idx]`` is ``x[0][:, idx]``),
the broadcast index dims replace the indexed dims in place when those are adjacent and go first
otherwise (NumPy's rule), and a boolean mask is its ``nonzero()`` coordinates.

Autograd: each op is a Function over the non-differentiable ``_<op>_impl``; gradients scatter back
with the same kernels (gather <-> scatter-add, index -> index_put with accumulate)."""
from __future__ import annotations

import numpy as np

from ..autograd.function import Function
from ..autograd.grad_mode import is_grad_enabled
from ..kernels import copy as KC
from ..kernels import index as K
from ..runtime import dtypes as dt
from ..shape import broadcast_shapes, broadcast_strides, coalesce, contiguous_strides, normalize_dim
from ..tensor import Tensor
from .copying import _check_writable_overlap, _host_array, copy_, host_tensor
from .views import _check_inplace_pre, _shape_arg, _sum_to, basic_index, narrow, unsqueeze

__all__ = ["cat", "concat", "concatenate", "stack", "hstack", "vstack", "index_select", "gather", "scatter",
           "scatter_add", "masked_fill", "masked_select", "nonzero", "index_put"]

# torch's C++ type names, as its error messages print them.
_TORCH_NAMES = {dt.float32: "Float", dt.float64: "Double", dt.float16: "Half", dt.bfloat16: "BFloat16",
                dt.int64: "Long", dt.int32: "Int", dt.int16: "Short", dt.int8: "Char", dt.uint8: "Byte",
                dt.bool_: "Bool"}
_C_NAMES = {dt.float32: "float", dt.float64: "double", dt.float16: "c10::Half", dt.bfloat16: "c10::BFloat16",
            dt.int64: "long", dt.int32: "int", dt.int16: "short", dt.int8: "signed char",
            dt.uint8: "unsigned char", dt.bool_: "bool"}
_INDEX_DTYPES = (dt.int64, dt.int32)


# ---------------------------------------------------------------- helpers
def _on(t: Tensor, dev) -> Tensor:
    return t if t.device == dev else t.to(dev)


def _scalar_tensor(value, dtype, dev) -> Tensor:
    """A 0-d tensor of ``dtype`` on ``dev`` holding ``value`` (a Python/NumPy scalar or 0-d Tensor)."""
    if isinstance(value, Tensor):
        return value.to(device=dev, dtype=dtype)
    if dtype is dt.bool_:
        arr = np.array(bool(value))
    elif dtype.category == 1:
        if isinstance(value, float) and not np.isfinite(value):
            raise RuntimeError(f"value cannot be converted to type {dtype.name} without overflow")
        v = int(value)
        info = np.iinfo(dtype.np)
        if not info.min <= v <= info.max:
            raise RuntimeError(f"value cannot be converted to type {dtype.name} without overflow")
        arr = np.array(v, dtype=dtype.np)
    else:
        arr = np.array(float(value), dtype=np.float64).astype(dtype.np)
    return host_tensor(arr, dev)


def _check_bounds(idx: Tensor, size: int, dim: int, *, negative: bool, exc=IndexError, msg=None):
    """Raise ``exc`` when some index is outside [-size, size) (or [0, size) without ``negative``),
    naming the first bad value in row-major order."""
    if idx.numel() == 0:
        return
    a = _host_array(idx).astype(np.int64, copy=False)
    lo = -size if negative else 0
    bad = (a < lo) | (a >= size)
    if bad.any():
        v = int(a[bad].reshape(-1)[0])
        raise exc(msg or f"index {v} is out of bounds for dimension {dim} with size {size}")


def _is_mask(k) -> bool:
    return isinstance(k, Tensor) and k.dtype in (dt.bool_, dt.uint8)


def _zeros(shape, dtype, dev) -> Tensor:
    from .creation import zeros
    return zeros(tuple(shape), dtype=dtype, device=dev)


def _key_tensors(key) -> tuple:
    parts = key if isinstance(key, tuple) else (key,)
    return tuple(k for k in parts if isinstance(k, Tensor))


def _check_out_grad(name, *tensors):
    if is_grad_enabled() and any(isinstance(x, Tensor) and x.requires_grad for x in tensors):
        raise RuntimeError(f"{name}(): functions with out=... arguments don't support automatic differentiation, "
                           "but one of the arguments requires grad.")


# ---------------------------------------------------------------- advanced indexing
def _decompose(t: Tensor, key):
    """Split a key into a basic view ``v`` of ``t`` (ints, slices, None, Ellipsis applied) and a
    list of (dim of v, integer index tensor on t's device, needs a bounds check), dims ascending;
    masks become their nonzero() coordinates (in bounds by construction), a Python bool a new
    size-1 dim indexed by the mask [b]."""
    parts = list(key) if isinstance(key, tuple) else [key]
    # 0-d masks index like Python bools.
    parts = [bool(k.item()) if _is_mask(k) and k.dim() == 0 else k for k in parts]
    for k in parts:
        if isinstance(k, Tensor) and not _is_mask(k) and k.dtype not in _INDEX_DTYPES:
            if k.dtype.category == 1 or k.numel() == 0:
                continue  # other integer dtypes, and [] (which becomes an empty float tensor)
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    if sum(k is Ellipsis for k in parts) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")

    def consumes(k):
        if k is None or k is Ellipsis or isinstance(k, bool):
            return 0
        return k.dim() if _is_mask(k) else 1

    consumed = sum(consumes(k) for k in parts)
    if consumed > t.dim():
        raise IndexError(f"too many indices for tensor of dimension {t.dim()}")
    if Ellipsis in [k for k in parts if not isinstance(k, Tensor)]:
        i = next(j for j, k in enumerate(parts) if k is Ellipsis)
        parts[i:i + 1] = [slice(None)] * (t.dim() - consumed)
    else:
        parts += [slice(None)] * (t.dim() - consumed)

    basic, adv = [], []  # adv: (dim of v, tensor, is_mask)
    td = vd = 0
    for k in parts:
        if isinstance(k, bool):
            basic.append(None)
            adv.append((vd, host_tensor(np.array([k]), t.device), True))
            vd += 1
        elif k is None:
            basic.append(None)
            vd += 1
        elif isinstance(k, slice):
            basic.append(k)
            vd += 1
            td += 1
        elif isinstance(k, Tensor):
            n = k.dim() if _is_mask(k) else 1
            if _is_mask(k):
                for j in range(n):
                    if k.shape[j] != t.shape[td + j]:
                        raise IndexError(
                            f"The shape of the mask {list(k.shape)} at index {j} does not match the shape of the "
                            f"indexed tensor {list(t.shape)} at index {td + j}")
            basic += [slice(None)] * n
            adv.append((vd, _on(k, t.device), _is_mask(k)))
            vd += n
            td += n
        else:  # int
            basic.append(int(k))
            td += 1
    v = basic_index(t, basic)
    out = []
    for d, k, is_mask in adv:
        if is_mask:
            nz = nonzero(k)
            out += [(d + j, nz[:, j], False) for j in range(k.dim())]
        else:
            if k.dtype.category != 1:
                k = k.to(dtype=dt.int64)  # an empty list index
            out.append((d, k, True))
    return v, out


class _Plan:
    """How x[key] reads v: result shape R, and strides over R of v's base offset and of the
    index tensor ``idx`` (whose values, times ``mul`` after wrapping by ``wrap``, add the offset
    along the indexed dims). ``index_dims``: the positions of R that the index broadcast fills."""

    def __init__(self, v: Tensor, adv):
        dev = v.device
        shapes = [k.shape for _, k, _ in adv]
        try:
            bshape = broadcast_shapes(*shapes)
        except RuntimeError:
            raise IndexError("shape mismatch: indexing tensors could not be broadcast together with shapes "
                             + ", ".join(str(list(s)) for s in shapes)) from None
        for d, k, check in adv:
            if check:
                _check_bounds(k, v.shape[d], d, negative=True)
        dims = [d for d, _, _ in adv]
        rest = [d for d in range(v.dim()) if d not in dims]
        adjacent = dims == list(range(dims[0], dims[0] + len(dims)))
        before = [d for d in rest if d < dims[0]] if adjacent else []
        after = [d for d in rest if d not in before]
        nb = len(bshape)
        self.shape = tuple([v.shape[d] for d in before] + list(bshape) + [v.shape[d] for d in after])
        self.x_strides = tuple([v.stride()[d] for d in before] + [0] * nb + [v.stride()[d] for d in after])
        self.index_dims = tuple(range(len(before), len(before) + nb))
        if len(adv) == 1:
            d, k, _ = adv[0]
            self.idx = k
            ist = broadcast_strides(k.shape, k.stride(), bshape)
            self.mul, self.wrap = v.stride()[d], v.shape[d]
        else:
            acc = Tensor._empty(bshape, dt.int64, dev)
            for j, (d, k, _) in enumerate(adv):
                sizes, (a_st, i_st) = coalesce(bshape, acc.stride(), broadcast_strides(k.shape, k.stride(), bshape))
                K.index_offsets(acc, k, sizes, a_st, i_st, v.shape[d], v.stride()[d], first=j == 0)
            self.idx, ist = acc, acc.stride()
            self.mul, self.wrap = 1, 0
        self.idx_strides = tuple([0] * len(before) + list(ist) + [0] * len(after))


def advanced_getitem(t: Tensor, key) -> Tensor:
    """t[key] for keys holding index tensors or masks: a new tensor."""
    v, adv = _decompose(t, key)
    if not adv:
        return basic_index(v, [slice(None)] * v.dim()).clone()
    plan = _Plan(v, adv)
    out = Tensor._empty(plan.shape, t.dtype, t.device)
    if out.numel():
        sizes, (x_st, i_st, o_st) = coalesce(plan.shape, plan.x_strides, plan.idx_strides, out.stride())
        K.gather(v, plan.idx, out, sizes, x_st, i_st, o_st, plan.mul, plan.wrap)
    return out


class _Index(Function):
    """x[key] with index tensors or masks: the gradient is scattered back with accumulation, so
    repeated indices sum."""
    _backward_name = "IndexBackward0"

    @staticmethod
    def forward(ctx, t, key):
        ctx.meta, ctx.key = (tuple(t.shape), t.dtype, t.device), key
        ctx.save_for_backward(*_key_tensors(key))
        return advanced_getitem(t, key)

    @staticmethod
    def backward(ctx, grad):
        ctx.saved_tensors  # raises if an index tensor was modified in place since forward
        g = _zeros(*ctx.meta)
        advanced_setitem(g, ctx.key, grad, accumulate=True)
        return g, None


def _index(t: Tensor, key) -> Tensor:
    return _Index.apply(t, key)


def advanced_setitem(t: Tensor, key, value, accumulate: bool = False) -> None:
    """t[key] = value (or += with ``accumulate``, summing duplicate indices in order)."""
    _check_writable_overlap(t)
    v, adv = _decompose(t, key)
    if isinstance(value, Tensor):
        value = value.to(device=t.device, dtype=t.dtype)
        if value._buf is t._buf:
            value = value.clone()  # reading what the scatter overwrites
    else:
        value = _scalar_tensor(value, t.dtype, t.device)
    if not adv:
        copy_(v, value)
        return
    plan = _Plan(v, adv)
    shape = plan.shape
    vshape, vstrides = tuple(value.shape), tuple(value.stride())
    while len(vshape) > len(shape) and vshape[0] == 1:  # torch drops leading 1s of the value
        vshape, vstrides = vshape[1:], vstrides[1:]
    try:
        ok = broadcast_shapes(vshape, shape) == shape
    except RuntimeError:
        ok = False
    if not ok:
        raise RuntimeError(f"shape mismatch: value tensor of shape {list(value.shape)} cannot be broadcast to "
                           f"indexing result of shape {list(shape)}")
    src_strides = broadcast_strides(vshape, vstrides, shape)
    if any(s == 0 for s in shape):
        return
    if accumulate:
        par = [i for i in range(len(shape)) if i not in plan.index_dims]
        loop = list(plan.index_dims)
    else:
        par, loop = list(range(len(shape))), []
    pick = lambda st, ds: tuple(st[i] for i in ds)  # noqa: E731
    p_sizes, p_st = coalesce(pick(shape, par), pick(plan.x_strides, par), pick(plan.idx_strides, par),
                             pick(src_strides, par))
    l_sizes, l_st = coalesce(pick(shape, loop), pick(plan.idx_strides, loop), pick(src_strides, loop))
    K.scatter(v, plan.idx, value, p_sizes, p_st, l_sizes, l_st, plan.mul, plan.wrap, reduce=1 if accumulate else 0)
    t._version_bump()


class _IndexPut(Function):
    """t[key] = values (+= with accumulate): values get the gathered gradient; t gets the gradient
    zeroed where written (unchanged with accumulate)."""
    _backward_name = "IndexPutBackward0"

    @staticmethod
    def forward(ctx, t, values, key, accumulate, inplace):
        ctx.key, ctx.accumulate, ctx.values_shape = key, accumulate, tuple(values.shape)
        ctx.save_for_backward(*_key_tensors(key))
        if not inplace:
            t = t.clone()
        advanced_setitem(t, key, values, accumulate=accumulate)
        if inplace:
            ctx.mark_dirty(t)
        return t

    @staticmethod
    def backward(ctx, grad):
        ctx.saved_tensors
        gt = gv = None
        if ctx.needs_input_grad[0]:
            gt = grad
            if not ctx.accumulate:
                gt = grad.clone()
                advanced_setitem(gt, ctx.key, 0)
        if ctx.needs_input_grad[1]:
            gv = _sum_to(advanced_getitem(grad, ctx.key), ctx.values_shape)
        return gt, gv, None, None, None


def _index_put_key(t: Tensor, indices, values):
    """Validate index_put's arguments; the key they make (None entries index whole dims)."""
    if not isinstance(indices, (tuple, list)):
        raise TypeError(f"index_put_(): argument 'indices' must be tuple of Tensors, not {type(indices).__name__}")
    if len(indices) > t.dim():
        raise IndexError(f"too many indices for tensor of dimension {t.dim()} (got {len(indices)})")
    if not isinstance(values, Tensor):
        raise TypeError(f"index_put_(): argument 'values' must be Tensor, not {type(values).__name__}")
    if values.dtype is not t.dtype:
        raise RuntimeError(
            f"Index put requires the source and destination dtypes match, got {_TORCH_NAMES[t.dtype]} for the "
            f"destination and {_TORCH_NAMES[values.dtype]} for the source.")
    key = tuple(slice(None) if k is None else k for k in indices)
    from .views import _normalize_key
    return _normalize_key(key)


def index_put_(t: Tensor, indices, values, accumulate: bool = False) -> Tensor:
    """t[indices] = values (``+=`` with accumulate; duplicates summed deterministically)."""
    key = _index_put_key(t, indices, values)
    _check_inplace_pre(t, values)
    return _IndexPut.apply(t, values, key, bool(accumulate), True)


def index_put(t: Tensor, indices, values, accumulate: bool = False) -> Tensor:
    return _IndexPut.apply(t, values, _index_put_key(t, indices, values), bool(accumulate), False)


# ---------------------------------------------------------------- index_select / gather / scatter
def _index_select_check(t: Tensor, dim: int, index: Tensor):
    if not isinstance(index, Tensor):
        raise TypeError(f"index_select(): argument 'index' must be Tensor, not {type(index).__name__}")
    if index.dim() > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    if index.dtype not in _INDEX_DTYPES:
        raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
    d = normalize_dim(dim, t.dim())
    index = _on(index, t.device).reshape(-1)
    _check_bounds(index, t.shape[d] if t.dim() else 1, d, negative=False, msg="index out of range in self")
    return d, index


def _index_select_impl(t: Tensor, d: int, index: Tensor) -> Tensor:
    x = t if t.dim() else t.reshape(1)
    shape = list(x.shape)
    shape[d] = index.shape[0]
    out = Tensor._empty(shape, t.dtype, t.device)
    if out.numel():
        x_st = [0 if i == d else s for i, s in enumerate(x.stride())]
        i_st = [index.stride()[0] if i == d else 0 for i in range(x.dim())]
        sizes, (x_st, i_st, o_st) = coalesce(shape, x_st, i_st, out.stride())
        K.gather(x, index, out, sizes, x_st, i_st, o_st, x.stride()[d], 0)
    return out if t.dim() or index.numel() != 1 else out.reshape(())


class _IndexSelect(Function):
    """The gradient is added back at the selected rows (duplicates summed)."""
    _backward_name = "IndexSelectBackward0"

    @staticmethod
    def forward(ctx, t, d, index):
        ctx.meta, ctx.d = (tuple(t.shape), t.dtype, t.device), d
        ctx.save_for_backward(index)
        return _index_select_impl(t, d, index)

    @staticmethod
    def backward(ctx, grad):
        (index,) = ctx.saved_tensors
        g = _zeros(*ctx.meta)
        x = g if g.dim() else g.reshape(1)
        shape = list(x.shape)
        shape[ctx.d] = index.shape[0]
        advanced_setitem(x, (slice(None),) * ctx.d + (index,), grad.reshape(shape), accumulate=True)
        return g, None, None


def index_select(t: Tensor, dim: int, index: Tensor) -> Tensor:
    d, index = _index_select_check(t, dim, index)
    return _IndexSelect.apply(t, d, index)


def _check_scatter_gather(name, t, dim, index, src=None):
    if not isinstance(index, Tensor):
        raise TypeError(f"{name}(): argument 'index' must be Tensor, not {type(index).__name__}")
    if index.dtype is not dt.int64:
        raise RuntimeError(f"{name}(): Expected dtype int64 for index")
    d = normalize_dim(dim, t.dim())
    idim, tdim = max(index.dim(), 1), max(t.dim(), 1)
    ishape = list(index.shape) or [1]
    tshape = list(t.shape) or [1]
    if name == "gather":
        if idim != tdim:
            raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
        for i in range(tdim):
            if i != d and ishape[i] > tshape[i]:
                raise RuntimeError(
                    f"Size does not match at dimension {i} expected index {list(index.shape)} to be smaller than "
                    f"self {list(t.shape)} apart from dimension {d}")
    else:
        if idim != tdim:
            raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
        if src is not None and idim != max(src.dim(), 1):
            raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
        sshape = (list(src.shape) or [1]) if src is not None else None
        for i in range(tdim):
            if (i != d and ishape[i] > tshape[i]) or (sshape is not None and ishape[i] > sshape[i]):
                raise RuntimeError(
                    f"Expected index {list(index.shape)} to be smaller than self {list(t.shape)} apart from "
                    f"dimension {d}" + (f" and to be smaller size than src {list(src.shape)}" if sshape else ""))
    index = _on(index, t.device)
    _check_bounds(index, tshape[d], d, negative=False, exc=RuntimeError)
    return d, index


def _as_nd(t: Tensor) -> Tensor:
    return t if t.dim() else t.reshape(1)


def _gather_impl(t: Tensor, d: int, index: Tensor, out=None) -> Tensor:
    res = Tensor._empty(index.shape, t.dtype, t.device) if out is None else out
    if tuple(res.shape) != tuple(index.shape):
        raise RuntimeError(f"gather(): out has shape {list(res.shape)}, expected {list(index.shape)}")
    if index.numel():
        x, idx, o = _as_nd(t), _as_nd(index), _as_nd(res)
        x_st = [0 if i == d else s for i, s in enumerate(x.stride())]
        sizes, (x_st, i_st, o_st) = coalesce(idx.shape, x_st, idx.stride(), o.stride())
        K.gather(x, idx, o, sizes, x_st, i_st, o_st, x.stride()[d], 0)
    return res


class _Gather(Function):
    """The gradient is scatter-added back to where each element came from."""
    _backward_name = "GatherBackward0"

    @staticmethod
    def forward(ctx, t, d, index):
        ctx.meta, ctx.d = (tuple(t.shape), t.dtype, t.device), d
        ctx.save_for_backward(index)
        return _gather_impl(t, d, index)

    @staticmethod
    def backward(ctx, grad):
        (index,) = ctx.saved_tensors
        g = _zeros(*ctx.meta)
        _scatter_impl(g, ctx.d, index, grad, None, "add")
        return g, None, None


def gather(t: Tensor, dim: int, index: Tensor, *, sparse_grad: bool = False, out=None) -> Tensor:
    """out[i][j][k] = t[index[i][j][k]][j][k] (dim 0), and so on for other dims."""
    d, index = _check_scatter_gather("gather", t, dim, index)
    if out is not None:
        _check_out_grad("gather", t)
        return _gather_impl(t, d, index, out)
    return _Gather.apply(t, d, index)


def _scatter_check(t: Tensor, dim: int, index: Tensor, src, value, reduce, inplace: bool):
    """Validate scatter's arguments: (dim, index on t's device, src or None, value or None)."""
    if src is None and value is None:
        raise TypeError("scatter() missing required argument 'src' or 'value'")
    if reduce not in (None, "add", "multiply"):
        raise RuntimeError("reduce argument must be either add or multiply.")
    if src is not None and not isinstance(src, Tensor):
        src, value = None, src
    if src is not None and src.dtype is not t.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    d, index = _check_scatter_gather("scatter", t, dim, index, src)
    if inplace:
        _check_writable_overlap(t)
    if reduce == "multiply" and is_grad_enabled() and (
            t.requires_grad or (src is not None and src.requires_grad)):
        raise RuntimeError("the derivative for 'scatter' with reduce='multiply' is not implemented.")
    if src is None:
        _scalar_tensor(value, t.dtype, t.device)  # checks the value fits t's dtype
    return d, index, src, value


def _scatter_impl(t: Tensor, d: int, index: Tensor, src, value, reduce=None) -> Tensor:
    """t[index[i][j]][j] = src[i][j] (dim 0), and so on; ``reduce`` 'add' or 'multiply' combines
    with what is there instead (deterministically, duplicates in index order)."""
    if src is None:
        src = _scalar_tensor(value, t.dtype, t.device).expand(index.shape)
    else:
        src = _on(src, t.device)
        if src._buf is t._buf:
            src = src.clone()
    if index.numel() == 0:
        return t
    x, idx, s = _as_nd(t), _as_nd(index), _as_nd(src)
    shape = tuple(idx.shape)
    x_st = tuple(0 if i == d else st for i, st in enumerate(x.stride()))
    if reduce is None:
        par, loop = list(range(len(shape))), []
    else:
        par, loop = [i for i in range(len(shape)) if i != d], [d]
    pick = lambda st, ds: tuple(st[i] for i in ds)  # noqa: E731
    p_sizes, p_st = coalesce(pick(shape, par), pick(x_st, par), pick(idx.stride(), par), pick(s.stride(), par))
    l_sizes, l_st = coalesce(pick(shape, loop), pick(idx.stride(), loop), pick(s.stride(), loop))
    K.scatter(x, idx, s, p_sizes, p_st, l_sizes, l_st, x.stride()[d], 0,
              reduce={None: 0, "add": 1, "multiply": 2}[reduce])
    t._version_bump()
    return t


class _Scatter(Function):
    """scatter with src: t's gradient is zero where src was written (passed through unchanged for
    reduce='add'); src's gradient is gathered from where each element went."""
    _backward_name = "ScatterBackward0"

    @staticmethod
    def forward(ctx, t, src, d, index, value, reduce, inplace):
        ctx.d, ctx.reduce = d, reduce
        ctx.src_shape = tuple(src.shape) if src is not None else None
        ctx.save_for_backward(index)
        if not inplace:
            t = t.clone()
        _scatter_impl(t, d, index, src, value, reduce)
        if inplace:
            ctx.mark_dirty(t)
        return t

    @staticmethod
    def backward(ctx, grad):
        (index,) = ctx.saved_tensors
        gt = gs = None
        if ctx.needs_input_grad[0]:
            gt = grad
            if ctx.reduce != "add":
                gt = _scatter_impl(grad.clone(), ctx.d, index, None, 0)
        if ctx.needs_input_grad[1]:
            gs = _gather_impl(grad, ctx.d, index)
            if tuple(gs.shape) != ctx.src_shape:  # src larger than index: unused elements get 0
                full = _zeros(ctx.src_shape, gs.dtype, gs.device)
                region = full
                for i, n in enumerate(index.shape):
                    region = narrow(region, i, 0, n)
                region.copy_(gs)
                gs = full
        return gt, gs, None, None, None, None, None


class _ScatterValue(_Scatter):
    _backward_name = "ScatterBackward1"


class _ScatterAdd(_Scatter):
    _backward_name = "ScatterAddBackward0"


def _scatter(t, dim, index, src, value, reduce, inplace, fn=None) -> Tensor:
    if src is not None and not isinstance(src, Tensor):
        src, value = None, src
    d, index, src, value = _scatter_check(t, dim, index, src, value, reduce, inplace)
    if inplace:
        _check_inplace_pre(t, src)
    if fn is None:
        fn = _Scatter if src is not None else _ScatterValue
    return fn.apply(t, src, d, index, value, reduce, inplace)


def scatter_(t: Tensor, dim: int, index: Tensor, src=None, value=None, *, reduce=None) -> Tensor:
    """t[index[i][j]][j] = src[i][j] (dim 0), and so on, in place; ``reduce`` 'add' or 'multiply'
    combines with what is there instead (deterministically, duplicates in index order)."""
    return _scatter(t, dim, index, src, value, reduce, True)


def scatter(t: Tensor, dim: int, index: Tensor, src=None, value=None, *, reduce=None) -> Tensor:
    return _scatter(t, dim, index, src, value, reduce, False)


def scatter_add_(t: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    return _scatter(t, dim, index, src, None, "add", True, _ScatterAdd)


def scatter_add(t: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    return _scatter(t, dim, index, src, None, "add", False, _ScatterAdd)


# ---------------------------------------------------------------- masks
def _check_mask(name, mask):
    if not isinstance(mask, Tensor):
        raise TypeError(f"{name}(): argument 'mask' must be Tensor, not {type(mask).__name__}")
    if mask.dtype is not dt.bool_:
        if name == "masked_select":
            raise RuntimeError("masked_select: expected BoolTensor for mask")
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype {_C_NAMES[mask.dtype]}")


def _fill_value(t: Tensor, value) -> Tensor:
    if isinstance(value, Tensor) and value.dim() != 0:
        raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                           f"{value.dim()} dimension(s).")
    return _scalar_tensor(value, t.dtype, t.device)


def _masked_fill_inplace_impl(t: Tensor, mask: Tensor, val: Tensor) -> Tensor:
    if t.numel():
        m_st = broadcast_strides(mask.shape, mask.stride(), t.shape)
        sizes, (x_st, m_st, o_st) = coalesce(t.shape, t.stride(), m_st, t.stride())
        K.masked_fill(t, mask, val, t, sizes, x_st, m_st, o_st)
        t._version_bump()
    return t


def _masked_fill_impl(t: Tensor, mask: Tensor, val: Tensor) -> Tensor:
    shape = broadcast_shapes(t.shape, mask.shape)
    out = Tensor._empty(shape, t.dtype, t.device)
    if out.numel():
        x_st = broadcast_strides(t.shape, t.stride(), shape)
        m_st = broadcast_strides(mask.shape, mask.stride(), shape)
        sizes, (x_st, m_st, o_st) = coalesce(shape, x_st, m_st, out.stride())
        K.masked_fill(t, mask, val, out, sizes, x_st, m_st, o_st)
    return out


class _MaskedFill(Function):
    """t's gradient is zero where filled (summed back over broadcast dims); a 0-d value tensor gets
    the sum of the gradient over the filled positions (MaskedFillBackward1)."""
    _backward_name = "MaskedFillBackward0"

    @staticmethod
    def forward(ctx, t, value, mask, inplace):
        ctx.in_shape = tuple(t.shape)
        if isinstance(value, Tensor):
            ctx.value_meta = (value.dtype, value.device)
        ctx.save_for_backward(mask)
        val = _scalar_tensor(value, t.dtype, t.device)
        if not inplace:
            return _masked_fill_impl(t, mask, val)
        _masked_fill_inplace_impl(t, mask, val)
        ctx.mark_dirty(t)
        return t

    @staticmethod
    def backward(ctx, grad):
        (mask,) = ctx.saved_tensors
        zero = _scalar_tensor(0, grad.dtype, grad.device)
        gt = gv = None
        if ctx.needs_input_grad[0]:
            gt = _masked_fill_impl(grad, mask, zero).sum_to_size(ctx.in_shape)
        if ctx.needs_input_grad[1]:
            from .elementwise import logical_not
            dtype, device = ctx.value_meta
            gv = _masked_fill_impl(grad, logical_not(mask), zero).sum().to(device=device, dtype=dtype)
        return gt, gv, None, None


class _MaskedFillTensor(_MaskedFill):
    _backward_name = "MaskedFillBackward1"


def masked_fill_(t: Tensor, mask: Tensor, value) -> Tensor:
    """t[mask] = value where ``mask`` (bool) broadcasts to t's shape."""
    _check_mask("masked_fill_", mask)
    shape = broadcast_shapes(t.shape, mask.shape)
    if shape != tuple(t.shape):
        raise RuntimeError(f"output with shape {list(t.shape)} doesn't match the broadcast shape {list(shape)}")
    _check_writable_overlap(t)
    _fill_value(t, value)
    _check_inplace_pre(t, value)
    fn = _MaskedFillTensor if isinstance(value, Tensor) else _MaskedFill
    return fn.apply(t, value, _on(mask, t.device), True)


def masked_fill(t: Tensor, mask: Tensor, value) -> Tensor:
    """A copy of t (broadcast with mask) with value where mask is True."""
    _check_mask("masked_fill", mask)
    broadcast_shapes(t.shape, mask.shape)
    _fill_value(t, value)
    fn = _MaskedFillTensor if isinstance(value, Tensor) else _MaskedFill
    return fn.apply(t, value, _on(mask, t.device), False)


class _MaskedSelect(Function):
    """The gradient is scattered back to the selected positions (summed over broadcast dims)."""
    _backward_name = "MaskedSelectBackward0"

    @staticmethod
    def forward(ctx, t, mask):
        ctx.meta = (tuple(t.shape), t.dtype, t.device)
        shape = broadcast_shapes(t.shape, mask.shape) or (1,)
        ctx.shape = shape
        ctx.save_for_backward(mask)
        return advanced_getitem(_as_nd(t).expand(shape), _as_nd(mask).expand(shape))

    @staticmethod
    def backward(ctx, grad):
        (mask,) = ctx.saved_tensors
        shape, dtype, device = ctx.meta
        g = _zeros(ctx.shape, dtype, device)
        advanced_setitem(g, _as_nd(mask).expand(ctx.shape), grad)
        return g.sum_to_size(shape), None


def masked_select(t: Tensor, mask: Tensor) -> Tensor:
    """The elements of t (broadcast with mask) where mask is True, as a 1-D tensor."""
    _check_mask("masked_select", mask)
    broadcast_shapes(t.shape, mask.shape)
    return _MaskedSelect.apply(t, _on(mask, t.device))


def nonzero(t: Tensor, *, as_tuple: bool = False):
    """Coordinates of the nonzero elements in row-major order: (count, ndim) int64, or a tuple of
    ndim 1-D tensors. Two kernel passes with one host sync between them (for the count)."""
    if t.dim() == 0:
        if as_tuple:
            return nonzero(t.reshape(1), as_tuple=True)
        n = 1 if bool(t.item()) else 0
        return Tensor._empty((n, 0), dt.int64, t.device)
    numel = t.numel()
    if numel == 0:
        out = Tensor._empty((0, t.dim()), dt.int64, t.device)
    else:
        sizes, (x_st,) = coalesce(t.shape, t.stride())
        block = K.nonzero_block(numel, t.device)
        nblocks = -(-numel // block)
        counts = Tensor._empty((nblocks,), dt.int64, t.device)
        K.count_nonzero_blocks(t, counts, sizes, x_st, block)
        c = _host_array(counts)
        starts = np.zeros(nblocks, np.int64)
        np.cumsum(c[:-1], out=starts[1:])
        out = Tensor._empty((int(c.sum()), t.dim()), dt.int64, t.device)
        if out.numel():
            K.nonzero(t, host_tensor(starts, t.device), out, sizes, x_st, tuple(t.shape), block)
    if as_tuple:
        return tuple(out[:, j] for j in range(t.dim()))
    return out


# ---------------------------------------------------------------- repeat / cat / stack
def _repeat_impl(t: Tensor, sizes) -> Tensor:
    lead = len(sizes) - t.dim()
    xshape = (1,) * lead + tuple(t.shape)
    xstrides = (0,) * lead + tuple(t.stride())
    out = Tensor._empty(tuple(s * x for s, x in zip(sizes, xshape)), t.dtype, t.device)
    if out.numel():
        inter = tuple(v for s, x in zip(sizes, xshape) for v in (s, x))
        src_st = tuple(v for st in xstrides for v in (0, st))
        shape_c, (s_st, d_st) = coalesce(inter, src_st, contiguous_strides(inter))
        KC.copy(t, out, shape_c, s_st, d_st)
    return out


class _Repeat(Function):
    """The gradient of every tile is summed back onto t."""
    _backward_name = "RepeatBackward0"

    @staticmethod
    def forward(ctx, t, sizes):
        ctx.in_shape, ctx.sizes = tuple(t.shape), sizes
        return _repeat_impl(t, sizes)

    @staticmethod
    def backward(ctx, grad):
        sizes = ctx.sizes
        xshape = (1,) * (len(sizes) - len(ctx.in_shape)) + ctx.in_shape
        inter = tuple(v for s, x in zip(sizes, xshape) for v in (s, x))
        g = grad.reshape(inter)
        if inter:
            g = g.sum(tuple(range(0, len(inter), 2)))
        return g.reshape(ctx.in_shape), None


def repeat(t: Tensor, *sizes) -> Tensor:
    sizes = _shape_arg(sizes)
    if len(sizes) < t.dim():
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor")
    if any(s < 0 for s in sizes):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(sizes)}: {list(sizes)}")
    return _Repeat.apply(t, sizes)


def _tensor_list(name, tensors):
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{name}(): argument 'tensors' must be tuple of Tensors, not {type(tensors).__name__}")
    for i, x in enumerate(tensors):
        if not isinstance(x, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {type(x).__name__}")
    return list(tensors)


def _is_legacy_empty(x: Tensor) -> bool:
    return x.dim() == 1 and x.shape[0] == 0


def _cat_impl(tensors, dim: int, out=None) -> Tensor:
    """Concatenate along ``dim`` with torch's type promotion; legacy empty (0,) tensors are skipped.
    One strided-copy launch per input into a narrow() view of the output."""
    if not tensors:
        raise RuntimeError("torch.cat(): expected a non-empty list of Tensors")
    for i, x in enumerate(tensors):
        if x.dim() == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
        if x.device != tensors[0].device:
            raise RuntimeError("Expected all tensors to be on the same device, but found at least two devices, "
                               f"{tensors[0].device} and {x.device}!")
    dtype = tensors[0].dtype
    for x in tensors[1:]:
        dtype = dt.promote_types(dtype, x.dtype)
    dev = tensors[0].device
    used = [(i, x) for i, x in enumerate(tensors) if not _is_legacy_empty(x)]
    if not used:
        shape = (0,)
    else:
        ref = used[0][1]
        d = normalize_dim(dim, ref.dim())
        for i, x in used[1:]:
            if x.dim() != ref.dim():
                raise RuntimeError(f"Tensors must have same number of dimensions: got {ref.dim()} and {x.dim()}")
            for a in range(ref.dim()):
                if a != d and x.shape[a] != ref.shape[a]:
                    raise RuntimeError(
                        f"Sizes of tensors must match except in dimension {d}. Expected size {ref.shape[a]} but got "
                        f"size {x.shape[a]} for tensor number {i} in the list.")
        shape = list(ref.shape)
        shape[d] = sum(x.shape[d] for _, x in used)
    if out is None:
        res = Tensor._empty(shape, dtype, dev)
    else:
        if tuple(out.shape) != tuple(shape):
            raise RuntimeError(f"cat(): out has shape {list(out.shape)}, expected {list(shape)}")
        res = out
    off = 0
    for _, x in used:
        n = x.shape[d]
        if n:
            copy_(narrow(res, d, off, n), x)
        off += n
    return res


class _Cat(Function):
    """Each input gets its slice of the gradient (cast back to its dtype)."""
    _backward_name = "CatBackward0"

    @staticmethod
    def forward(ctx, *tensors, dim=0):
        res = _cat_impl(tensors, dim)
        used = [x for x in tensors if not _is_legacy_empty(x)]
        ctx.d = normalize_dim(dim, used[0].dim()) if used else 0
        ctx.meta = [(tuple(x.shape), x.dtype, x.device, _is_legacy_empty(x)) for x in tensors]
        return res

    @staticmethod
    def backward(ctx, grad):
        grads, off = [], 0
        for (shape, dtype, device, skipped), need in zip(ctx.meta, ctx.needs_input_grad):
            if skipped:
                grads.append(_zeros(shape, dtype, device) if need else None)
                continue
            n = shape[ctx.d]
            grads.append(narrow(grad, ctx.d, off, n).to(dtype=dtype) if need else None)
            off += n
        return tuple(grads)


def cat(tensors, dim: int = 0, *, out=None) -> Tensor:
    """Concatenate along ``dim`` with torch's type promotion; legacy empty (0,) tensors are skipped."""
    tensors = _tensor_list("cat", tensors)
    if out is not None:
        _check_out_grad("cat", *tensors)
        return _cat_impl(tensors, dim, out)
    return _Cat.apply(*tensors, dim=dim)


concat = concatenate = cat


def _stack_impl(tensors, dim: int, out=None) -> Tensor:
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    s0 = tuple(tensors[0].shape)
    for i, x in enumerate(tensors[1:], 1):
        if tuple(x.shape) != s0:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(s0)} at entry 0 and "
                               f"{list(x.shape)} at entry {i}")
    d = normalize_dim(dim, len(s0) + 1)
    return _cat_impl([unsqueeze(x, d) for x in tensors], d, out=out)


class _Stack(Function):
    """Each input gets its slice of the gradient along the new dim."""
    _backward_name = "StackBackward0"

    @staticmethod
    def forward(ctx, *tensors, dim=0):
        res = _stack_impl(tensors, dim)
        ctx.d = normalize_dim(dim, tensors[0].dim() + 1)
        ctx.dtypes = [x.dtype for x in tensors]
        return res

    @staticmethod
    def backward(ctx, grad):
        return tuple(grad.select(ctx.d, i).to(dtype=dtype) if need else None
                     for i, (dtype, need) in enumerate(zip(ctx.dtypes, ctx.needs_input_grad)))


def stack(tensors, dim: int = 0, *, out=None) -> Tensor:
    tensors = _tensor_list("stack", tensors)
    if out is not None:
        _check_out_grad("stack", *tensors)
        return _stack_impl(tensors, dim, out)
    return _Stack.apply(*tensors, dim=dim)


def hstack(tensors, *, out=None) -> Tensor:
    tensors = [x.reshape(1) if x.dim() == 0 else x for x in _tensor_list("hstack", tensors)]
    if tensors and all(x.dim() == 1 for x in tensors):
        return cat(tensors, 0, out=out)
    return cat(tensors, 1, out=out)


def vstack(tensors, *, out=None) -> Tensor:
    tensors = [x.reshape(1, -1) if x.dim() < 2 else x for x in _tensor_list("vstack", tensors)]
    return cat(tensors, 0, out=out)
