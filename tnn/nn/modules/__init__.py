"""tnn.nn.modules: Module, the containers, and one file per layer family (each defines __all__;
a family not written yet is simply absent)."""
import importlib as _importlib

from .module import Module  # noqa: F401
from .container import *  # noqa: F401,F403
from . import container as _container

__all__ = ["Module", *_container.__all__]

for _family in ("linear", "activation", "normalization", "batchnorm", "instancenorm", "dropout", "sparse", "loss",
                "flatten", "conv", "pooling", "padding", "pixelshuffle", "upsampling", "fold"):
    try:
        _mod = _importlib.import_module(f".{_family}", __name__)
    except ModuleNotFoundError as _e:
        if _e.name != f"{__name__}.{_family}":
            raise
        continue
    globals().update({_n: getattr(_mod, _n) for _n in _mod.__all__})
    __all__ += list(_mod.__all__)
del _importlib, _family
