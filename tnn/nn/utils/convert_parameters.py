"""torch.nn.utils.convert_parameters: flatten parameters into one vector and back."""
from __future__ import annotations

from ...tensor import Tensor

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def _check_param_device(param, old_param_device):
    """-1 for cpu, the cuda index otherwise; parameters must all be on one device."""
    this = param.device.index if param.is_cuda else -1
    if this is None:
        this = 0
    if old_param_device is None:
        return this
    if this != old_param_device:
        raise TypeError("Found two parameters on different devices, this is currently not supported.")
    return old_param_device


def parameters_to_vector(parameters) -> Tensor:
    """One 1-D tensor: every parameter flattened, concatenated in order (differentiable)."""
    from ...ops.indexing import cat
    param_device = None
    vec = []
    for param in parameters:
        param_device = _check_param_device(param, param_device)
        vec.append(param.view(-1))
    return cat(vec)


def vector_to_parameters(vec: Tensor, parameters) -> None:
    """Point each parameter's data at its slice of ``vec`` (the inverse of parameters_to_vector)."""
    if not isinstance(vec, Tensor):
        from ..modules.module import typename
        raise TypeError(f"expected tnn.Tensor, but got: {typename(vec)}")
    param_device = None
    pointer = 0
    for param in parameters:
        param_device = _check_param_device(param, param_device)
        num_param = param.numel()
        param.data = vec[pointer:pointer + num_param].view_as(param).data
        pointer += num_param
