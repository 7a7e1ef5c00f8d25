"""Tensor operations: each checks its arguments (raising torch-like errors before any launch),
allocates outputs and calls a launcher in tnn.kernels. Tensor methods and operators land here."""
from . import copying, creation, views  # noqa: F401
from . import elementwise, reduce, matmul, indexing, random, format, dlpack  # noqa: F401
