"""torch.nn.modules.padding: Zero/Constant/Reflection/Replication/Circular padding modules for 1-3
spatial dims, with torch's constructors and reprs, over F.pad."""
from __future__ import annotations

from .. import functional as F
from .module import Module

__all__ = [f"{kind}Pad{n}d" for kind in ("Zero", "Constant", "Reflection", "Replication", "Circular")
           for n in (1, 2, 3)]


def _padding(padding, n: int) -> tuple:
    """torch's _single/_quadruple/_ntuple(6): an int repeats on both sides of each dim."""
    if isinstance(padding, (tuple, list)):
        if len(padding) != 2 * n:
            raise ValueError(f"padding must be an int or a {2 * n}-tuple, got {tuple(padding)}")
        return tuple(padding)
    return (padding,) * (2 * n)


class _PadNd(Module):
    __constants__ = ["padding"]
    _N = 1
    _MODE = "constant"

    def __init__(self, padding) -> None:
        super().__init__()
        self.padding = _padding(padding, self._N)

    def forward(self, input):
        return F.pad(input, self.padding, self._MODE)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    __constants__ = ["padding", "value"]

    def __init__(self, padding, value: float) -> None:
        super().__init__(padding)
        self.value = value

    def forward(self, input):
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class _ZeroPadNd(_ConstantPadNd):
    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


def _make(kind: str, n: int):
    base = {"Zero": _ZeroPadNd, "Constant": _ConstantPadNd}.get(kind, _PadNd)
    attrs = {"_N": n, "__module__": __name__, "__qualname__": f"{kind}Pad{n}d",
             "__doc__": f"{kind} padding of the last {n} dim(s); padding is an int or a {2 * n}-tuple "
                        "(left, right, top, bottom, front, back order, last dim first, as F.pad)."}
    if base is _PadNd:
        attrs["_MODE"] = {"Reflection": "reflect", "Replication": "replicate", "Circular": "circular"}[kind]
    return type(f"{kind}Pad{n}d", (base,), attrs)


for _name in __all__:
    globals()[_name] = _make(_name[:-5], int(_name[-2]))
del _name
