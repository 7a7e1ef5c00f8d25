"""tnn's dtypes, their NumPy and Triton counterparts, and torch's type-promotion rules."""
from __future__ import annotations

import ml_dtypes
import numpy as np


class dtype:
    """A tensor element type. Printed as ``tnn.float32``; ``str()`` ends in the name Triton
    canonicalises (``float32`` -> ``fp32``), which is how kernels specialise on it."""

    __slots__ = ("name", "itemsize", "np", "category", "is_signed", "_tl_name")

    def __init__(self, name: str, np_dtype, category: int, tl_name: str):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.itemsize = self.np.itemsize
        self.category = category  # 0 bool, 1 integer, 2 floating
        self.is_signed = category == 2 or (category == 1 and self.np.kind == "i")
        self._tl_name = tl_name

    @property
    def is_floating_point(self) -> bool:
        return self.category == 2

    @property
    def is_complex(self) -> bool:
        return False

    @property
    def tl(self):
        import triton.language as tl
        return getattr(tl, self._tl_name)

    def to_real(self):
        return self

    def __repr__(self) -> str:
        return f"tnn.{self.name}"

    __str__ = __repr__

    def __reduce__(self):
        return (_by_name, (self.name,))


bool_ = dtype("bool", np.bool_, 0, "int1")
uint8 = dtype("uint8", np.uint8, 1, "uint8")
int8 = dtype("int8", np.int8, 1, "int8")
int16 = dtype("int16", np.int16, 1, "int16")
int32 = dtype("int32", np.int32, 1, "int32")
int64 = dtype("int64", np.int64, 1, "int64")
float16 = dtype("float16", np.float16, 2, "float16")
bfloat16 = dtype("bfloat16", ml_dtypes.bfloat16, 2, "bfloat16")
float32 = dtype("float32", np.float32, 2, "float32")
float64 = dtype("float64", np.float64, 2, "float64")

ALL = (bool_, uint8, int8, int16, int32, int64, float16, bfloat16, float32, float64)
FLOATING = (float16, bfloat16, float32, float64)
_BY_NAME = {d.name: d for d in ALL}
_BY_NP = {d.np: d for d in ALL}


def _by_name(name: str) -> dtype:
    return _BY_NAME[name]


def from_numpy(np_dtype) -> dtype:
    """The tnn dtype for a NumPy dtype; TypeError for ones tnn has no kernels for."""
    nd = np.dtype(np_dtype)
    try:
        return _BY_NP[nd]
    except KeyError:
        raise TypeError(
            f"can't convert np.ndarray of type numpy.{nd}. The only supported types are: "
            "float64, float32, float16, bfloat16, int64, int32, int16, int8, uint8, and bool."
        ) from None


_default_dtype = float32


def get_default_dtype() -> dtype:
    return _default_dtype


def set_default_dtype(d: dtype) -> None:
    global _default_dtype
    if not isinstance(d, dtype) or not d.is_floating_point:
        raise TypeError(f"only floating-point types are supported as the default type, got {d}")
    _default_dtype = d


# Torch's promotion lattice: within a category the wider type wins; uint8 with a signed int widens
# to the next signed type; float16 with bfloat16 goes to float32.
def promote_types(a: dtype, b: dtype) -> dtype:
    if a is b:
        return a
    if a.category != b.category:
        return a if a.category > b.category else b
    if a.category == 2:
        if {a, b} == {float16, bfloat16}:
            return float32
        return a if a.itemsize > b.itemsize else b
    if a.category == 1:
        if a is uint8 or b is uint8:
            other = b if a is uint8 else a
            return int16 if other is int8 else other
        return a if a.itemsize > b.itemsize else b
    return a


def _combine_categories(higher, lower):
    """torch's combine_categories: a lower-priority operand only matters when it is of a higher
    category (e.g. a float scalar with an int tensor)."""
    if higher is None:
        return lower
    if lower is None:
        return higher
    if higher.is_floating_point:
        return higher
    if higher is bool_ or lower.is_floating_point:
        return promote_types(higher, lower)
    return higher


def result_type(*operands) -> dtype:
    """torch.result_type over Tensors and Python scalars: dimensioned tensors decide within a
    category, zero-dim tensors next, Python scalars last (a float scalar gives the default dtype)."""
    dim_r = zero_r = wrapped_r = None
    for x in operands:
        if isinstance(x, bool):
            wrapped_r = bool_ if wrapped_r is None else promote_types(wrapped_r, bool_)
        elif isinstance(x, int):
            wrapped_r = int64 if wrapped_r is None else promote_types(wrapped_r, int64)
        elif isinstance(x, float):
            d = get_default_dtype()
            wrapped_r = d if wrapped_r is None else promote_types(wrapped_r, d)
        elif hasattr(x, "dtype") and hasattr(x, "shape"):
            if len(x.shape) == 0:
                zero_r = x.dtype if zero_r is None else promote_types(zero_r, x.dtype)
            else:
                dim_r = x.dtype if dim_r is None else promote_types(dim_r, x.dtype)
        else:
            raise TypeError(f"result_type: unsupported operand of type {type(x).__name__}")
    return _combine_categories(dim_r, _combine_categories(zero_r, wrapped_r))


def can_cast(from_: dtype, to: dtype) -> bool:
    """torch.can_cast: no lowering of category (float -> int, int -> bool)."""
    return from_.category <= to.category


def as_dtype(x) -> dtype:
    """Accept a tnn dtype, a NumPy dtype or a name such as 'float32'."""
    if isinstance(x, dtype):
        return x
    if isinstance(x, str) and x in _BY_NAME:
        return _BY_NAME[x]
    if x is float:
        return float64
    if x is int:
        return int64
    if x is bool:
        return bool_
    try:
        return from_numpy(x)
    except TypeError:
        raise TypeError(f"expected a tnn dtype, got {x!r}") from None
