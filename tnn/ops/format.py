"""Tensor repr in torch's format (placeholder until the formatter lands)."""


def tensor_repr(t):
    from .copying import _host_array
    return f"tensor({_host_array(t).tolist()})"
