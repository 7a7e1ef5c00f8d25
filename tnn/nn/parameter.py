"""torch.nn.parameter: Parameter (a leaf Tensor a Module registers when assigned as an attribute)
and Buffer (the marker that registers a tensor as a buffer, as in torch 2.5)."""
from __future__ import annotations

from collections import OrderedDict

from ..tensor import Tensor

__all__ = ["Parameter", "Buffer", "is_lazy"]


def _empty0():
    from ..ops.creation import empty
    return empty(0)


class Parameter(Tensor):
    """A Tensor that is a module parameter: assigning one as a Module attribute registers it in
    ``parameters()``. It shares ``data``'s storage (a non-leaf ``data`` is detached) and is a leaf
    with ``requires_grad`` (default True). Ops on a Parameter return plain Tensors."""

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            data = _empty0()
        if not isinstance(data, Tensor):
            raise TypeError(f"Parameter(): argument 'data' must be Tensor, not {type(data).__name__}")
        self = object.__new__(cls)
        Tensor.__init__(self, data._buf, data._shape, data._strides, data._offset, data.dtype,
                        version=data._version_box)
        if requires_grad:
            self.requires_grad_(True)
        return self

    def __init__(self, data=None, requires_grad=True):  # everything happened in __new__
        pass

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(self.data.clone(), self.requires_grad)
        memo[id(self)] = result
        return result

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    def __reduce_ex__(self, proto):
        return (_rebuild_parameter, (self.data, self.requires_grad, OrderedDict()))

    __hash__ = Tensor.__hash__


def _rebuild_parameter(data, requires_grad, backward_hooks=None):
    return Parameter(data, requires_grad)


class _BufferMeta(type):
    # isinstance(t, Buffer) is True for the tensors Buffer(...) returned (they carry the mark).
    def __instancecheck__(self, instance):
        if self is Buffer:
            return isinstance(instance, Tensor) and getattr(instance, "_is_buffer", False)
        return super().__instancecheck__(instance)


class Buffer(metaclass=_BufferMeta):
    """A kind of Tensor that should not be considered a model parameter: assigning
    ``Buffer(t, persistent=...)`` as a Module attribute registers it with ``register_buffer``.
    Non-persistent buffers are left out of ``state_dict``. ``Buffer(t)`` returns a detached Tensor
    (sharing t's storage, keeping its requires_grad) that carries the mark."""

    def __new__(cls, data=None, *, persistent=True):
        if data is None:
            data = _empty0()
        t = data.detach()
        if data.requires_grad:
            t.requires_grad_(True)
        t.persistent = persistent
        t._is_buffer = True
        return t


def is_lazy(param) -> bool:
    """tnn has no lazy (uninitialized) parameters."""
    return False
