"""Reverse-mode autograd with torch's semantics: Function, the engine, grad mode."""
from .engine import backward, grad  # noqa: F401
from .function import BackwardNode, Function, FunctionCtx, Node, RemovableHandle  # noqa: F401
from .grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled  # noqa: F401
