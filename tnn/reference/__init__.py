"""tnn.reference: NumPy forward AND backward of every kernel op, computed in float64 -- the oracle
tests compare tnn with. Never imported by the library's compute path.

Conventions
-----------
Forward: ``ref.<op>(*args, **kwargs)`` takes NumPy arrays (any dtype tnn has, ml_dtypes.bfloat16
included) where tnn takes tensors and Python scalars where it takes scalars, with the SAME
parameter names and defaults as ``tnn.<op>`` (``out=`` left out). So ``ref.add(a, b, alpha=2)``,
``ref.div(a, b, rounding_mode="floor")``, ``ref.sum(x, dim=1, keepdim=True)``,
``ref.max(x, 1)`` -> ``(values, indices)``, ``ref.getitem(x, key)`` for ``x[key]``.

- An ``np.ndarray`` (0-d included) stands for a tensor; Python and NumPy scalars (``np.float32(1)``
  too) for Python scalars, exactly as tnn takes them.
- The result dtype is the one tnn (torch) returns: torch's promotion (``result_type``: dimensioned
  arrays, then 0-d arrays, then scalars; a Python float gives the default dtype), int/bool sums
  give int64, float math on integers gives the default dtype, comparisons give bool.
- Operands are first cast to the op's common dtype (so a float32 array compared with 0.1 sees
  0.1 rounded to float32; an int32 array added to a float16 one is rounded to float16); Python
  scalars to the dtype kernels compute in (float32 for float16/bfloat16). Then the op is computed
  in float64 (int64 where the result is an integer or bool: exact, wrapping on the final cast)
  and the result cast to the output dtype. Results are always fresh ndarrays (0-d included),
  never NumPy views of an input.

Backward: ``ref.<op>_backward(grad_output, *args, **kwargs)`` takes the gradient of the output
and the forward's arguments, and returns a tuple with one entry per tensor-like parameter of the
op, in signature order -- ``add_backward`` -> ``(d_input, d_other)``, ``sum_backward`` ->
``(d_x,)``, ``where_backward`` -> ``(None, d_input, d_other)``, ``clamp_backward`` ->
``(d_input, d_min, d_max)``, ``gather_backward`` -> ``(d_t, None)`` (the index),
``scatter_backward`` -> ``(d_t, None, d_src)``; ``cat_backward`` / ``stack_backward`` return one
entry per array in the sequence. Non-tensor parameters (dim, shapes, alpha ...) have no entry.

- An entry is the vector-Jacobian product as a float64 array of that argument's shape (binary
  ops sum over the broadcast dims), or None for integer/bool arrays and Python scalars.
- The op's inputs are taken at their values cast to the common dtype, in float64.
- torch's conventions where the derivative is not defined: relu'(0) = 0, abs'(0) = 0, clamp
  passes the gradient where min <= x <= max (inclusive), maximum/minimum give grad/2 to each side
  on ties, amax/amin and full max()/min() split the gradient evenly among ties, max(x, dim) /
  min(x, dim) route it to the selected (first) index, pow's gradients are 0 where the exponent is
  0 (input) or where input == 0 and exponent >= 0 (exponent), norm's are 0 where the norm is 0;
  sign/floor/ceil/round/trunc and rounded division have zero gradients; comparisons, logical and
  bitwise ops, isnan/isinf/isfinite, argmax/argmin and all/any return None.
- prod's gradient is exact with zeros present (prefix/suffix products, no division).

Each op is short and obviously correct on purpose: it is the oracle, and tests/reference/ checks
every ``_backward`` against central finite differences of its forward.
"""
import importlib as _importlib

# One module per op family; ``ref.<op>`` is the function, so no family module is named after an op
# (the nn normalisation family is ``normalization``, since ``norm`` is the reduction).
_FAMILIES = ("elementwise", "reduce", "matmul", "views", "indexing", "softmax", "activation",
             "normalization", "dropout", "loss", "linear", "embedding", "conv", "pooling", "padding", "vision", "optim")

__all__ = []
for _name in _FAMILIES:
    _module = _importlib.import_module(f".{_name}", __name__)
    for _op in _module.__all__:
        globals()[_op] = getattr(_module, _op)
    __all__ += _module.__all__
del _name, _module, _op
