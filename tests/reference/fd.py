"""Central finite differences for checking tnn.reference's backwards (NumPy only)."""
import inspect

import numpy as np

import tnn.reference as ref

EPS = 1e-6
RTOL = 1e-5
ATOL = 1e-7


def rng(seed=0):
    return np.random.default_rng(seed)


def away(shape, seed=0, low=0.2, high=2.0, positive=False):
    """float64 values with |x| in [low, high] (random signs unless ``positive``): away from 0."""
    r = rng(seed)
    x = r.uniform(low, high, size=shape)
    return np.asarray(x if positive else x * r.choice([-1.0, 1.0], size=shape))


def normal(shape, seed=0):
    return np.asarray(rng(seed).standard_normal(shape))


def _leaves(bound):
    """(name, k) for every float64 array argument (k indexes into a sequence argument)."""
    out = []
    for name, v in bound.arguments.items():
        if isinstance(v, np.ndarray) and v.dtype == np.float64:
            out.append((name, None))
        elif isinstance(v, (list, tuple)) and v and all(isinstance(e, np.ndarray) for e in v):
            out += [(name, k) for k, e in enumerate(v) if e.dtype == np.float64]
    return out


def _get(bound, leaf):
    name, k = leaf
    return bound.arguments[name] if k is None else bound.arguments[name][k]


def _call_with(fwd, bound, leaf, value):
    args = dict(bound.arguments)
    name, k = leaf
    if k is None:
        args[name] = value
    else:
        seq = list(args[name])
        seq[k] = value
        args[name] = seq
    b = inspect.BoundArguments(bound.signature, args)
    return _first(fwd(*b.args, **b.kwargs))


def _first(out):
    """The differentiable output: the values of a (values, indices) pair."""
    return np.asarray(out[0] if isinstance(out, tuple) else out, dtype=np.float64)


def numerical_vjp(fwd, bound, leaf, g, eps=EPS):
    """d/dx of sum(g * fwd(...)) for the array at ``leaf``, by central differences."""
    x = _get(bound, leaf)
    out = np.zeros(x.shape)
    for j in range(x.size):
        xp, xm = x.copy(), x.copy()
        xp.flat[j] += eps
        xm.flat[j] -= eps
        fp = _call_with(fwd, bound, leaf, xp)
        fm = _call_with(fwd, bound, leaf, xm)
        out.flat[j] = np.sum(g * (fp - fm)) / (2 * eps)
    return out


def check(name, *args, seed=0, rtol=RTOL, atol=ATOL, grad_output=None, **kwargs):
    """Check ref.<name>_backward against finite differences of ref.<name> for every float64
    array argument. The backward's non-None entries must line up, in order, with those arrays;
    returns the backward's tuple for further checks."""
    fwd, bwd = getattr(ref, name), getattr(ref, name + "_backward")
    bound = inspect.signature(fwd).bind(*args, **kwargs)
    out = _first(fwd(*args, **kwargs))
    g = normal(out.shape, seed + 1) if grad_output is None else np.asarray(grad_output, np.float64)
    grads = bwd(g, *args, **kwargs)
    assert isinstance(grads, tuple), f"{name}_backward must return a tuple"
    given = [x for x in grads if x is not None]
    leaves = _leaves(bound)
    assert len(given) == len(leaves), f"{name}: {len(given)} gradients for {len(leaves)} float arrays"
    for leaf, analytic in zip(leaves, given):
        x = _get(bound, leaf)
        assert isinstance(analytic, np.ndarray) and analytic.dtype == np.float64, f"{name}: not a float64 array"
        assert analytic.shape == x.shape, f"{name}: gradient shape {analytic.shape} vs input {x.shape}"
        num = numerical_vjp(fwd, bound, leaf, g)
        np.testing.assert_allclose(analytic, num, rtol=rtol, atol=atol, err_msg=f"{name} d/d{leaf}")
    return grads
