"""Public test helpers for tnn and for users testing their own kernels: one tolerance table,
assert_close against NumPy, and hypothesis strategies for shapes, dtypes and strided views."""
from __future__ import annotations

import numpy as np

from .runtime import dtypes as dt

# (rtol, atol) per dtype for one elementwise result. Reductions and matmuls scale atol with the
# reduced length (see assert_close's ``reduce_len``).
TOLERANCES = {
    dt.float64: (1e-7, 1e-7),
    dt.float32: (1.3e-5, 1e-5),
    dt.float16: (1e-3, 1e-3),
    dt.bfloat16: (1.6e-2, 1e-2),
}


def tolerance(dtype, reduce_len: int = 1) -> tuple[float, float]:
    rtol, atol = TOLERANCES.get(dtype, (0.0, 0.0))
    scale = max(1.0, float(np.sqrt(reduce_len)))
    return rtol * scale, atol * scale


def to_numpy(x) -> np.ndarray:
    """A host NumPy copy of a Tensor (bfloat16 widened to float32), or np.asarray of anything else."""
    from .tensor import Tensor
    if isinstance(x, Tensor):
        a = x.detach().cpu().numpy().copy()
        return a.astype(np.float32) if x.dtype is dt.bfloat16 else a
    return np.asarray(x)


def assert_close(actual, expected, *, dtype=None, rtol=None, atol=None, reduce_len: int = 1,
                 equal_nan: bool = True, check_dtype: bool = True, check_shape: bool = True, msg: str = ""):
    """Compare a tnn Tensor with a NumPy array (or Tensor) using the dtype's tolerances.

    ``dtype`` defaults to the actual tensor's dtype; integer and bool results must match exactly.
    Shape mismatch and (if ``check_dtype``) dtype mismatch with a Tensor ``expected`` fail."""
    from .tensor import Tensor
    if dtype is None:
        dtype = actual.dtype if isinstance(actual, Tensor) else dt.from_numpy(np.asarray(actual).dtype)
    if check_dtype and isinstance(actual, Tensor) and isinstance(expected, Tensor):
        assert actual.dtype is expected.dtype, f"dtype mismatch: {actual.dtype} vs {expected.dtype}. {msg}"
    a, e = to_numpy(actual), to_numpy(expected)
    if check_shape:
        assert a.shape == e.shape, f"shape mismatch: {a.shape} vs {e.shape}. {msg}"
    r, t = tolerance(dtype, reduce_len)
    rtol = r if rtol is None else rtol
    atol = t if atol is None else atol
    if dtype.category < 2 and rtol == 0 and atol == 0:
        np.testing.assert_array_equal(a, e, err_msg=msg)
        return
    np.testing.assert_allclose(a.astype(np.float64), np.asarray(e, dtype=np.float64), rtol=rtol, atol=atol,
                               equal_nan=equal_nan, err_msg=msg)


# ---------------------------------------------------------------- hypothesis strategies
def _st():
    from hypothesis import strategies as st
    return st


FLOAT_DTYPES = (dt.float32, dt.float16, dt.bfloat16)
INT_DTYPES = (dt.int64, dt.int32, dt.int16, dt.int8, dt.uint8)
ALL_DTYPES = (dt.float32, dt.float16, dt.bfloat16, dt.float64) + INT_DTYPES + (dt.bool_,)

# Sizes that catch masking bugs: 1, primes around block edges, and small powers of two.
INTERESTING_SIZES = (1, 2, 3, 5, 7, 8, 13, 16, 17, 31, 64)


def sizes(max_size: int = 17):
    st = _st()
    return st.sampled_from([s for s in INTERESTING_SIZES if s <= max_size])


def shapes(min_dims: int = 0, max_dims: int = 4, max_size: int = 17, max_numel: int = 4096, allow_empty=False):
    """Shapes whose dims come from INTERESTING_SIZES (and 0 when allow_empty)."""
    st = _st()
    dim = sizes(max_size)
    if allow_empty:
        dim = st.one_of(dim, st.just(0))
    return st.lists(dim, min_size=min_dims, max_size=max_dims).map(tuple).filter(
        lambda s: int(np.prod(s, dtype=np.int64)) <= max_numel)


def broadcastable_shapes(max_dims: int = 4, max_size: int = 13):
    """Pairs of shapes that broadcast together (dims dropped or set to 1 on either side)."""
    st = _st()

    @st.composite
    def pair(draw):
        base = draw(shapes(0, max_dims, max_size, max_numel=2048))
        def variant():
            s = list(base)
            drop = draw(st.integers(0, len(s)))
            s = s[drop:]
            return tuple(1 if draw(st.booleans()) and draw(st.booleans()) else d for d in s)
        return variant(), variant()
    return pair()


def arrays(dtype, shape, *, low=-4.0, high=4.0, seed_strategy=None):
    """A strategy for NumPy arrays of a tnn dtype drawn from a seed (fast and shrinkable)."""
    st = _st()
    return st.integers(0, 2**32 - 1).map(lambda seed: random_array(dtype, shape, seed, low, high))


def random_array(dtype, shape, seed: int = 0, low=-4.0, high=4.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if dtype is dt.bool_:
        return rng.random(shape) < 0.5
    if dtype.category == 1:
        info = np.iinfo(dtype.np)
        lo, hi = max(int(low * 8), info.min), min(int(high * 8), info.max)
        return rng.integers(lo, hi + 1, size=shape).astype(dtype.np)
    return rng.uniform(low, high, size=shape).astype(dtype.np)


def layouts():
    """Strategy for how to lay a tensor out: contiguous, transposed, sliced with a step, or offset."""
    return _st().sampled_from(["contiguous", "transposed", "strided", "offset"])


def make_tensor(arr: np.ndarray, layout: str = "contiguous", device=None, requires_grad: bool = False):
    """A tnn Tensor equal to ``arr`` whose memory layout is ``layout`` (a non-contiguous view for
    every layout but 'contiguous'), so tests exercise strided kernels."""
    from .ops.creation import tensor
    arr = np.asarray(arr)
    if layout == "contiguous" or arr.ndim == 0:
        t = tensor(arr, device=device)
    elif layout == "transposed":
        t = tensor(np.ascontiguousarray(arr.T), device=device).T
    elif layout == "strided":
        big = np.zeros(arr.shape[:-1] + (arr.shape[-1] * 2,), dtype=arr.dtype)
        big[..., ::2] = arr
        t = tensor(big, device=device)[..., ::2]
    elif layout == "offset":
        flat = np.concatenate([np.zeros(3, arr.dtype), arr.reshape(-1)])
        t = tensor(flat, device=device)[3:].view(arr.shape)
    else:
        raise ValueError(f"unknown layout {layout!r}")
    if requires_grad:
        t.requires_grad_(True)
    return t


# ---------------------------------------------------------------- gradcheck
def _host_copy(x) -> np.ndarray:
    """A NumPy copy of a Tensor in its own dtype (bfloat16 stays ml_dtypes.bfloat16)."""
    return x.detach().cpu().numpy().copy()


def _check_grad(what: str, i: int, actual: np.ndarray, expected: np.ndarray, atol: float, rtol: float):
    if actual.shape != expected.shape:
        raise AssertionError(f"gradcheck: input {i}: autograd gradient has shape {actual.shape} but {what} "
                             f"has shape {expected.shape}")
    err = np.abs(actual - expected)
    bad = ~(err <= atol + rtol * np.abs(expected))  # NaN on either side counts as a mismatch
    if bad.any():
        worst = np.where(np.isnan(err), np.inf, err)
        k = np.unravel_index(int(np.argmax(np.where(bad, worst, -1.0))), actual.shape) if actual.ndim else ()
        raise AssertionError(
            f"gradcheck: the gradient of input {i} (shape {actual.shape}) disagrees with {what}: max abs error "
            f"{float(np.max(worst)):.6g} ({int(bad.sum())} of {bad.size} elements out of tolerance atol={atol}, "
            f"rtol={rtol}); at index {tuple(int(v) for v in k)}: autograd {float(actual[k])!r}, "
            f"{what} {float(expected[k])!r}")


def gradcheck(fn, inputs, *, reference=None, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              grad_output=None, seed: int = 0, finite_differences: bool = True) -> bool:
    """Check tnn's autograd gradients of ``fn(*inputs)`` (one output Tensor).

    ``inputs``: Tensors (float64 ones with ``requires_grad=True`` recommended) and other
    arguments; the gradient is checked for every input that requires grad. ``grad_output``
    (default: standard normal of the output's shape, seeded by ``seed``) is backpropagated with
    tnn.autograd.grad (the inputs' ``.grad`` are left alone), and the result compared with

    - central finite differences of ``fn`` (unless ``finite_differences=False``): fn called
      under no_grad on copies of the input with one element moved by +-eps (the step actually
      taken after rounding to the input's dtype divides the difference), and
    - ``reference(grad_output_np, *input_arrays)`` if given: a ``tnn.reference.<op>_backward``-
      style callable taking NumPy arrays (the inputs in their dtypes, other arguments as they
      are) and returning one gradient per input, None meaning zero.

    Raises AssertionError naming the input index and the max error; returns True."""
    from .autograd import grad as _autograd_grad
    from .autograd.grad_mode import enable_grad, no_grad
    from .ops.creation import tensor
    from .tensor import Tensor

    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    diff = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not diff:
        raise ValueError("gradcheck: no input requires grad")
    for i in diff:
        if not inputs[i].dtype.is_floating_point:
            raise ValueError(f"gradcheck: input {i} requires grad but has dtype {inputs[i].dtype}")
    with enable_grad():
        out = fn(*inputs)
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: fn must return one Tensor, got {type(out).__name__} (wrap fn to pick one)")
    if not out.requires_grad:
        raise AssertionError("gradcheck: the output does not require grad: fn recorded no graph to the inputs")
    if grad_output is None:
        g = np.random.default_rng(seed).standard_normal(tuple(out.shape))
    else:
        g = np.asarray(to_numpy(grad_output), dtype=np.float64)
        if g.shape != tuple(out.shape):
            raise ValueError(f"gradcheck: grad_output has shape {g.shape}, the output {tuple(out.shape)}")
    g_t = tensor(np.asarray(g).astype(out.dtype.np), device=out.device)
    g = to_numpy(g_t).astype(np.float64)  # what is actually fed back (rounded to the output's dtype)
    grads = _autograd_grad(out, [inputs[i] for i in diff], g_t, allow_unused=True)
    analytic = {}
    for i, gr in zip(diff, grads):
        analytic[i] = np.zeros(tuple(inputs[i].shape)) if gr is None else to_numpy(gr).astype(np.float64)

    if finite_differences:
        with no_grad():
            for i in diff:
                x = inputs[i]
                base = _host_copy(x)
                num = np.zeros(base.shape)
                for j in range(base.size):
                    plus, minus = base.copy(), base.copy()
                    plus.flat[j] = np.float64(base.flat[j]) + eps
                    minus.flat[j] = np.float64(base.flat[j]) - eps
                    step = float(plus.flat[j]) - float(minus.flat[j])
                    if step == 0.0:
                        raise ValueError(f"gradcheck: eps={eps} is below the resolution of {x.dtype} at input {i}; "
                                         "use float64 inputs or a larger eps")
                    vals = []
                    for arr in (plus, minus):
                        args = list(inputs)
                        args[i] = tensor(arr, device=x.device)
                        vals.append(to_numpy(fn(*args)).astype(np.float64))
                    num.flat[j] = np.sum(g * (vals[0] - vals[1])) / step
                _check_grad("finite differences", i, analytic[i], num, atol, rtol)

    if reference is not None:
        arrays = [_host_copy(x) if isinstance(x, Tensor) else x for x in inputs]
        expected = reference(g, *arrays)
        if not isinstance(expected, (tuple, list)):
            expected = (expected,)
        for i in diff:
            e = expected[i] if i < len(expected) else None
            e = np.zeros(tuple(inputs[i].shape)) if e is None else np.asarray(e, dtype=np.float64)
            _check_grad("the reference", i, analytic[i], e, atol, rtol)
    return True
