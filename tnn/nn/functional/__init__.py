"""tnn.nn.functional: torch.nn.functional's signatures over tnn's kernels, one file per family."""
import importlib as _importlib

# Each family module defines __all__; a family not written yet is simply absent.
for _family in ("activation", "softmax", "norm", "dropout", "loss", "linear", "embedding", "conv", "pooling", "padding", "vision"):
    try:
        _mod = _importlib.import_module(f".{_family}", __name__)
    except ModuleNotFoundError as _e:
        if _e.name != f"{__name__}.{_family}":
            raise
        continue
    globals().update({_n: getattr(_mod, _n) for _n in _mod.__all__})
del _importlib, _family
