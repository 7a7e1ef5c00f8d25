"""Function (torch.autograd.Function's shape), its ctx, and the graph nodes the engine walks.

A Function's ``apply`` runs ``forward`` with grad mode off and, when any tensor input requires
grad, records a ``BackwardNode`` whose ``next_functions`` point at the inputs' nodes (their
``grad_fn``, or an ``AccumulateGrad`` for a leaf). Users write their own kernel plus a Function and
it joins the graph exactly like a built-in op."""
from __future__ import annotations

import itertools

from .grad_mode import is_grad_enabled, no_grad

_FREED_MSG = (
    "Trying to backward through the graph a second time (or directly access saved tensors after they have "
    "already been freed). Saved intermediate values of the graph are freed when you call .backward() or "
    "autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time or if "
    "you need to access saved tensors after calling backward.")

_sequence = itertools.count()


class RemovableHandle:
    """Returned by every register_*hook: ``remove()`` takes the hook out again."""

    _ids = itertools.count()

    def __init__(self, hooks: dict):
        self.id = next(RemovableHandle._ids)
        self._hooks = hooks

    def remove(self) -> None:
        self._hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


class Node:
    """A backward graph node. ``next_functions[i]`` is ``(node, input_nr)`` for the i-th input, or
    ``(None, 0)`` for inputs that need no gradient."""

    def __init__(self):
        self.next_functions: tuple = ()
        self._hooks: dict = {}       # fn(grad_inputs, grad_outputs) -> new grad_inputs or None
        self._pre_hooks: dict = {}   # fn(grad_outputs) -> new grad_outputs or None
        self._tensor_pre_hooks: dict = {}  # output_nr -> {id: fn(grad) -> new grad or None}
        self._retained: dict = {}    # output_nr -> weak list of tensors that retain_grad()
        self._sequence_nr = next(_sequence)
        self.metadata: dict = {}

    def name(self) -> str:
        return type(self).__name__

    def register_hook(self, fn) -> RemovableHandle:
        h = RemovableHandle(self._hooks)
        self._hooks[h.id] = fn
        return h

    def register_prehook(self, fn) -> RemovableHandle:
        h = RemovableHandle(self._pre_hooks)
        self._pre_hooks[h.id] = fn
        return h

    def _register_tensor_hook(self, output_nr: int, fn) -> RemovableHandle:
        hooks = self._tensor_pre_hooks.setdefault(output_nr, {})
        h = RemovableHandle(hooks)
        hooks[h.id] = fn
        return h

    def apply(self, grad_outputs: tuple) -> tuple:
        raise NotImplementedError

    def _release(self) -> None:
        """Free what backward needed (retain_graph=False)."""

    def __call__(self, *grad_outputs):
        return self.apply(grad_outputs)

    def __repr__(self):
        return f"<{self.name()} object at {hex(id(self))}>"


class AccumulateGrad(Node):
    """The node for a leaf tensor: runs its hooks, then adds the gradient into ``variable.grad``."""

    def __init__(self, variable):
        super().__init__()
        self.variable = variable
        self._leaf_hooks: dict = {}

    def apply(self, grad_outputs):
        raise RuntimeError("AccumulateGrad is applied by the engine")


class FunctionCtx:
    """What forward hands to backward: saved tensors (checked against in-place changes), which
    inputs need a gradient, and the marks torch's ctx offers."""

    def __init__(self):
        self.needs_input_grad: tuple = ()
        self._saved = ()
        self._saved_versions = ()
        self._freed = False
        self._dirty = ()
        self._non_differentiable = ()
        self.materialize_grads = True
        self._node = None

    def save_for_backward(self, *tensors) -> None:
        self._saved = tensors
        self._saved_versions = tuple(t._version if t is not None else None for t in tensors)

    @property
    def saved_tensors(self) -> tuple:
        if self._freed:
            raise RuntimeError(_FREED_MSG)
        for i, (t, v) in enumerate(zip(self._saved, self._saved_versions)):
            if t is not None and t._version != v:
                node = self._node.name() if self._node is not None else "a backward function"
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by an inplace "
                    f"operation: [{t.dtype} {list(t.shape)}], which is saved tensor {i} of {node}, is at version "
                    f"{t._version}; expected version {v} instead.")
        return self._saved

    def mark_dirty(self, *tensors) -> None:
        self._dirty = tensors

    def mark_non_differentiable(self, *tensors) -> None:
        self._non_differentiable = tensors

    def set_materialize_grads(self, value: bool) -> None:
        self.materialize_grads = bool(value)


class BackwardNode(Node):
    """The node a Function.apply records: calls ``cls.backward(ctx, *grads)``."""

    def __init__(self, fn_cls, ctx: FunctionCtx, name: str):
        super().__init__()
        self._fn_cls = fn_cls
        self.ctx = ctx
        self._name = name
        self._output_meta: tuple = ()  # (shape, dtype, device) per output, for materialising zeros
        ctx._node = self

    def name(self) -> str:
        return self._name

    def apply(self, grad_outputs):
        grads = self._fn_cls.backward(self.ctx, *grad_outputs)
        return grads if isinstance(grads, tuple) else (grads,)

    def _release(self) -> None:
        self.ctx._freed = True
        self.ctx._saved = ()


def _is_tensor(x) -> bool:
    from ..tensor import Tensor
    return isinstance(x, Tensor)


def gradient_edge(t):
    """(node, input_nr) through which gradient reaches tensor t."""
    if t.grad_fn is not None:
        return (t.grad_fn, getattr(t, "_output_nr", 0))
    if t.requires_grad:
        acc = t.__dict__.get("_accumulator")
        if acc is None:
            acc = t._accumulator = AccumulateGrad(t)
        return (acc, 0)
    return (None, 0)


class FunctionMeta(type):
    def __init__(cls, name, bases, ns):
        super().__init__(name, bases, ns)
        if "_backward_name" not in ns:
            cls._backward_name = f"{name}Backward"


class Function(metaclass=FunctionMeta):
    """Subclass with static ``forward(ctx, *args, **kwargs)`` and ``backward(ctx, *grad_outputs)``,
    then call ``MyFunction.apply(*args)``. ``backward`` returns one gradient (or None) per forward
    argument."""

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your custom "
                                  "autograd.Function to use it with backward mode AD.")

    @classmethod
    def apply(cls, *args, **kwargs):
        ctx = FunctionCtx()
        needs = tuple(_is_tensor(a) and a.requires_grad for a in args)
        record = is_grad_enabled() and any(needs)
        ctx.needs_input_grad = needs if record else tuple(False for _ in args)
        with no_grad():
            out = cls.forward(ctx, *args, **kwargs)
        if not record:
            return out
        if ctx._dirty:
            from ..ops import views as _views  # view + in-place bookkeeping lives with the views
        for t in ctx._dirty:
            if t.requires_grad and t.grad_fn is None:
                raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
            _views._check_inplace(t)
        outs = out if isinstance(out, tuple) else (out,)
        node = BackwardNode(cls, ctx, cls._backward_name)
        node.next_functions = tuple(gradient_edge(a) if n else (None, 0) for a, n in zip(args, needs))
        non_diff = {id(t) for t in ctx._non_differentiable}
        dirty = {id(t) for t in ctx._dirty}
        inputs = {id(a) for a in args if _is_tensor(a)}
        meta, new_outs = [], []
        for i, o in enumerate(outs):
            if not _is_tensor(o):
                meta.append(None)
                new_outs.append(o)
                continue
            if id(o) in inputs and id(o) not in dirty:
                o = o.detach()  # an input returned unchanged becomes a new node output, not the input
            meta.append((tuple(o.shape), o.dtype, o.device))
            if id(o) not in non_diff and o.dtype.is_floating_point:
                o.grad_fn = node
                o._output_nr = i
                o.requires_grad = True
            new_outs.append(o)
        node._output_meta = tuple(meta)
        if ctx._dirty:
            _views._rebase_inplace(node, args, ctx._dirty)
        return tuple(new_outs) if isinstance(out, tuple) else new_outs[0]


# Torch exposes FunctionCtx as the ctx type and BackwardCFunction for custom nodes.
BackwardCFunction = BackwardNode
