"""Tensor = Buffer + shape + strides (elements) + offset + dtype + autograd fields.

Methods are thin: each forwards to a function in ``tnn.ops``; the operator and method tables at
the bottom of this file are the whole mapping."""
from __future__ import annotations

from .runtime import dtypes as _dt
from .runtime.memory import Buffer
from .shape import contiguous_strides, is_contiguous, numel as _numel


class Size(tuple):
    """torch.Size: a tuple of ints that prints as ``tnn.Size([2, 3])``."""

    def __repr__(self):
        return f"tnn.Size({list(self)})"

    def numel(self) -> int:
        return _numel(self)

    def __getitem__(self, item):
        r = super().__getitem__(item)
        return Size(r) if isinstance(item, slice) else r


class Tensor:
    """An n-dimensional view of a Buffer. Views share the buffer and its version counter."""

    __array_priority__ = 1000  # so numpy scalars on the left defer to our reflected operators

    def __init__(self, buf: Buffer, shape, strides, offset: int, dtype: _dt.dtype, *, version=None):
        self._buf = buf
        self._shape = Size(int(s) for s in shape)
        self._strides = tuple(int(s) for s in strides)
        self._offset = int(offset)
        self.dtype = dtype
        self._version_box = version if version is not None else [0]  # shared by all views
        self.requires_grad = False
        self.grad = None
        self.grad_fn = None

    # ------------------------------------------------------------------ metadata
    @property
    def shape(self) -> Size:
        return self._shape

    def size(self, dim=None):
        if dim is None:
            return self._shape
        from .shape import normalize_dim
        return self._shape[normalize_dim(dim, self.dim())]

    def dim(self) -> int:
        return len(self._shape)

    ndim = property(dim)

    def numel(self) -> int:
        return _numel(self._shape)

    nelement = numel

    def stride(self, dim=None):
        if dim is None:
            return self._strides
        from .shape import normalize_dim
        return self._strides[normalize_dim(dim, self.dim())]

    def storage_offset(self) -> int:
        return self._offset

    def is_contiguous(self, memory_format=None) -> bool:
        return is_contiguous(self._shape, self._strides)

    @property
    def device(self):
        return self._buf.device

    @property
    def is_cuda(self) -> bool:
        return self._buf.device.type == "cuda"

    @property
    def is_cpu(self) -> bool:
        return self._buf.device.type == "cpu"

    def data_ptr(self) -> int:
        return self._buf.ptr + self._offset * self.dtype.itemsize

    def element_size(self) -> int:
        return self.dtype.itemsize

    @property
    def itemsize(self) -> int:
        return self.dtype.itemsize

    @property
    def nbytes(self) -> int:
        return self.numel() * self.dtype.itemsize

    def is_floating_point(self) -> bool:
        return self.dtype.is_floating_point

    def _version_bump(self):
        self._version_box[0] += 1

    @property
    def _version(self) -> int:
        return self._version_box[0]

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    def requires_grad_(self, requires_grad: bool = True):
        if not self.dtype.is_floating_point and requires_grad:
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        if self.grad_fn is not None and not requires_grad:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use a computed "
                "variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach().")
        self.requires_grad = requires_grad
        return self

    def detach(self):
        return Tensor(self._buf, self._shape, self._strides, self._offset, self.dtype, version=self._version_box)

    def detach_(self):
        self.grad_fn = None
        self.requires_grad = False
        return self

    # ------------------------------------------------------------------ autograd
    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        from .autograd.engine import backward
        backward((self,), None if gradient is None else (gradient,), retain_graph, create_graph, inputs)

    def register_hook(self, hook):
        """hook(grad) -> new grad or None, run when the gradient w.r.t. this tensor is computed."""
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        from .autograd.function import RemovableHandle, gradient_edge
        if self.grad_fn is not None:
            return self.grad_fn._register_tensor_hook(getattr(self, "_output_nr", 0), hook)
        acc, _ = gradient_edge(self)
        h = RemovableHandle(acc._leaf_hooks)
        acc._leaf_hooks[h.id] = hook
        return h

    def retain_grad(self):
        if not self.requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is not None and not self.retains_grad:
            self.grad_fn._retained.setdefault(getattr(self, "_output_nr", 0), []).append(self)
            self._retains_grad = True

    def where(self, condition, other):
        """x.where(condition, other) == tnn.where(condition, x, other): the method's argument order."""
        from .ops.elementwise import where
        return where(condition, self, other)

    @property
    def retains_grad(self) -> bool:
        return self.__dict__.get("_retains_grad", False)

    def _view(self, shape, strides, offset=None):
        """A new Tensor over the same buffer (no autograd bookkeeping; ops.views adds that)."""
        return Tensor(self._buf, shape, strides, self._offset if offset is None else offset, self.dtype,
                      version=self._version_box)

    @staticmethod
    def _empty(shape, dtype, device):
        shape = tuple(shape)
        buf = Buffer.allocate(_numel(shape) * dtype.itemsize, device)
        return Tensor(buf, shape, contiguous_strides(shape), 0, dtype)

    # ------------------------------------------------------------------ python protocol
    def __len__(self):
        if self.dim() == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._shape[0]

    def __iter__(self):
        if self.dim() == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._shape[0]))

    def __bool__(self):
        if self.numel() != 1:
            raise RuntimeError(f"Boolean value of Tensor with more than one value is ambiguous")
        return bool(self.item())

    def __float__(self):
        return float(self._scalar("float"))

    def __int__(self):
        return int(self._scalar("int"))

    def __index__(self):
        if self.dtype.is_floating_point or self.dtype is _dt.bool_ or self.numel() != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def _scalar(self, what):
        if self.numel() != 1:
            raise RuntimeError(f"a Tensor with {self.numel()} elements cannot be converted to Scalar")
        return self.item()

    __hash__ = object.__hash__

    def __repr__(self):
        from .ops.format import tensor_repr
        return tensor_repr(self)

    def __format__(self, spec):
        if self.dim() == 0 and spec:
            return format(self.item(), spec)
        return repr(self)

    def __array__(self, dtype=None, copy=None):
        a = self.numpy()
        return a.astype(dtype) if dtype is not None else a

    def __dlpack__(self, *args, **kwargs):
        from .ops.dlpack import to_dlpack
        return to_dlpack(self, *args, **kwargs)

    def __dlpack_device__(self):
        from .ops.dlpack import dlpack_device
        return dlpack_device(self)

    def __reduce__(self):
        from .ops.creation import _rebuild
        return (_rebuild, (self.numpy(force=True), str(self.device), self.requires_grad))

    @property
    def T(self):
        return self.permute(*reversed(range(self.dim())))

    @property
    def mT(self):
        if self.dim() < 2:
            raise RuntimeError("tensor.mT is only supported on matrices or batches of matrices. Got 1-D tensor.")
        return self.transpose(-2, -1)

    @property
    def H(self):
        return self.T

    @property
    def data(self):
        return self.detach()

    @data.setter
    def data(self, other):
        self._buf, self._shape, self._strides, self._offset, self.dtype = (
            other._buf, other._shape, other._strides, other._offset, other.dtype)


def _forward(module_name: str, fn_name: str):
    def method(self, *args, **kwargs):
        from . import ops
        return getattr(getattr(ops, module_name), fn_name)(self, *args, **kwargs)
    method.__name__ = fn_name
    method.__qualname__ = f"Tensor.{fn_name}"
    return method


def _reflected(module_name: str, fn_name: str):
    def method(self, other):
        from . import ops
        return getattr(getattr(ops, module_name), fn_name)(other, self)
    method.__name__ = f"__r{fn_name}__"
    return method


# Method name -> (ops module, function). The function receives the tensor first.
_METHODS = {
    "copying": ["numpy", "tolist", "item", "cpu", "cuda", "to", "contiguous", "clone", "copy_", "fill_",
                "zero_", "type_as", "float", "double", "half", "bfloat16", "int", "long", "short", "char",
                "byte", "bool"],
    "views": ["view", "view_as", "reshape", "reshape_as", "transpose", "t", "permute", "squeeze", "unsqueeze",
              "expand", "expand_as", "flatten", "unflatten", "narrow", "split", "chunk", "unbind", "movedim",
              "swapaxes", "swapdims", "select", "__getitem__", "__setitem__"],
    "indexing": ["index_select", "gather", "masked_fill", "masked_fill_", "masked_select", "nonzero",
                 "index_put_", "index_put", "scatter", "scatter_", "scatter_add", "scatter_add_", "repeat"],
    "elementwise": [
        "neg", "abs", "sign", "exp", "exp2", "expm1", "log", "log2", "log1p", "sqrt", "rsqrt", "reciprocal",
        "sin", "cos", "tanh", "sigmoid", "relu", "floor", "ceil", "round", "trunc", "isnan", "isinf",
        "isfinite", "logical_not", "square",
        "neg_", "abs_", "sign_", "exp_", "exp2_", "expm1_", "log_", "log2_", "log1p_", "sqrt_", "rsqrt_",
        "reciprocal_", "sin_", "cos_", "tanh_", "sigmoid_", "relu_", "floor_", "ceil_", "round_", "trunc_",
        "logical_not_", "square_",
        "add", "sub", "mul", "div", "true_divide", "floor_divide", "remainder", "fmod", "pow", "maximum",
        "minimum", "eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or", "logical_xor", "clamp",
        "clip", "lerp", "add_", "sub_", "mul_", "div_", "remainder_", "pow_", "clamp_", "clip_",
        "lerp_", "floor_divide_", "maximum_", "minimum_", "eq_", "ne_", "lt_", "le_", "gt_", "ge_",
        "logical_and_", "logical_or_", "logical_xor_", "bitwise_not", "bitwise_and", "bitwise_or",
        "bitwise_xor", "clamp_min", "clamp_max", "fmod_", "clamp_min_", "clamp_max_",
    ],
    "reduce": ["sum", "mean", "prod", "amax", "amin", "max", "min", "argmax", "argmin", "var", "std",
               "logsumexp", "norm", "all", "any", "cumsum", "sum_to_size"],
    "matmul": ["matmul", "mm", "bmm", "__matmul__"],
    "random": ["uniform_", "normal_", "random_", "bernoulli_", "exponential_", "bernoulli", "multinomial"],
}

for _mod, _names in _METHODS.items():
    for _name in _names:
        setattr(Tensor, _name, _forward(_mod, _name))

# Operators. Comparisons and arithmetic go through ops.elementwise, which handles Python scalars.
_OPERATORS = {
    "__add__": "add", "__sub__": "sub", "__mul__": "mul", "__truediv__": "div", "__floordiv__": "floor_divide",
    "__mod__": "remainder", "__pow__": "pow", "__eq__": "eq", "__ne__": "ne", "__lt__": "lt", "__le__": "le",
    "__gt__": "gt", "__ge__": "ge", "__and__": "bitwise_and", "__or__": "bitwise_or", "__xor__": "bitwise_xor",
    "__iadd__": "add_", "__isub__": "sub_", "__imul__": "mul_", "__itruediv__": "div_",
    "__ifloordiv__": "floor_divide_", "__imod__": "remainder_", "__ipow__": "pow_",
    "__neg__": "neg", "__abs__": "abs", "__invert__": "bitwise_not",
}
for _op, _fn in _OPERATORS.items():
    setattr(Tensor, _op, _forward("elementwise", _fn))
for _op, _fn in {"__radd__": "add", "__rsub__": "sub", "__rmul__": "mul", "__rtruediv__": "div",
                 "__rfloordiv__": "floor_divide", "__rmod__": "remainder", "__rpow__": "pow",
                 "__rand__": "bitwise_and", "__ror__": "bitwise_or", "__rxor__": "bitwise_xor"}.items():
    setattr(Tensor, _op, _reflected("elementwise", _fn))
setattr(Tensor, "__rmatmul__", _reflected("matmul", "matmul"))


def _forward_functional(fn_name: str):
    """A method that torch's Tensor has although its op is an nn one (x.softmax(dim)): it calls
    tnn.nn.functional lazily, since tensor.py sits below nn/ in the layering."""
    def method(self, *args, **kwargs):
        from .nn import functional
        return getattr(functional, fn_name)(self, *args, **kwargs)
    method.__name__ = fn_name
    method.__qualname__ = f"Tensor.{fn_name}"
    return method


for _name in ("softmax", "log_softmax"):
    setattr(Tensor, _name, _forward_functional(_name))
Tensor.__pos__ = lambda self: self
