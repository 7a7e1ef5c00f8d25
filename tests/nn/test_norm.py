"""F.layer_norm / rms_norm / group_norm / batch_norm / instance_norm against the NumPy float64
reference (tnn.reference.normalization): forward and every gradient (input, weight, bias) over fp32 / fp16 /
bf16 / fp64, shapes with 1 and prime sizes, strided inputs and gradients, weight / bias None,
training and eval, running-stat updates (momentum, unbiased variance); the looped / multi-program
/ multi-slice kernel paths forced small; named edge cases (large means, batch of one, empty
inputs, channels-last, mixed dtypes, determinism) and torch's error messages."""
import importlib

import numpy as np
import pytest
from hypothesis import given, strategies as st

import tnn
import tnn.nn.functional as F
from tnn.kernels import norm as K
from tnn.runtime import dtypes as dt
from tnn.testing import assert_close, gradcheck, layouts, make_tensor, random_array, to_numpy, tolerance

ref = importlib.import_module("tnn.reference.normalization")
FLOATS = (dt.float32, dt.float16, dt.bfloat16, dt.float64)
SIZES = (1, 2, 3, 5, 7, 8, 13)


def _tensor(arr, device, layout="contiguous", grad=True):
    return None if arr is None else make_tensor(arr, layout, device, requires_grad=grad)


def _check(device, op, x_arr, params, kwargs, grad_names, *, layout="contiguous", g_layout="contiguous",
           seed=0, reduce_fwd=1, reduce_x=1, reduce_w=1, cond=1.0):
    """Run F.<op>(x, **params, **kwargs) against ref.<op>; then backward against ref.<op>_backward.
    ``params``: name -> array or None (tensors; running_* never require grad); ``grad_names``: the
    tensor parameter names in the order of the reference backward's entries after the input.
    ``cond`` scales the absolute tolerances: a set of nearly equal values has a huge rstd and its
    results carry rounding errors of the size eps * rstd (torch's kernels as much as these)."""
    x = _tensor(x_arr, device, layout)
    ts = {n: (_tensor(a, device, grad=not n.startswith("running")) if a is not None else None)
          for n, a in params.items()}
    np_params = {n: (None if a is None else a.copy()) for n, a in params.items()}
    y = getattr(F, op)(x, **ts, **kwargs)
    assert y.dtype is x.dtype and tuple(y.shape) == x_arr.shape
    expected = getattr(ref, op)(x_arr, **np_params, **kwargs)
    assert_close(y.detach(), expected, reduce_len=reduce_fwd, atol=_atol(y.dtype, reduce_fwd, cond))
    for n in ("running_mean", "running_var"):
        if ts.get(n) is not None:  # updated in place exactly as the reference updated its copy
            assert_close(ts[n], np_params[n], dtype=ts[n].dtype, reduce_len=reduce_fwd, msg=n)
    g = random_array(x.dtype, x_arr.shape, seed + 1)
    y.backward(make_tensor(g, g_layout, device))
    grads = getattr(ref, op + "_backward")(g, x_arr, **params, **kwargs)
    assert x.grad.dtype is x.dtype and tuple(x.grad.shape) == x_arr.shape
    assert_close(x.grad, grads[0], reduce_len=reduce_x, atol=_atol(x.dtype, reduce_x, cond), msg="d input")
    for name, e in zip(grad_names, grads[1:]):
        t = ts.get(name)
        if t is None or name.startswith("running"):
            assert e is None or t is not None
            continue
        assert t.grad is not None and t.grad.dtype is t.dtype and tuple(t.grad.shape) == tuple(t.shape), name
        assert_close(t.grad, e, reduce_len=reduce_w, atol=_atol(t.dtype, reduce_w, cond), msg=f"d {name}")
    return y


def _atol(dtype, reduce_len, cond):
    return tolerance(dtype, reduce_len)[1] * cond


def _cond(arr, groups_axis_shape, eps=1e-5):
    """max(1, largest rstd / 2) over the normalised sets of arr reshaped to ``groups_axis_shape``
    (the set is the last axis)."""
    x = np.asarray(arr, dtype=np.float64).reshape(groups_axis_shape)
    if x.size == 0:
        return 1.0
    return max(1.0, float((1 / np.sqrt(x.var(-1) + eps)).max()) / 2)


def _maybe(draw, arr):
    return arr if draw(st.booleans()) else None


# ------------------------------------------------------------------------------ layer_norm / rms_norm
@given(st.data())
def test_layer_norm_and_rms_norm_match_reference(device, data):
    op = data.draw(st.sampled_from(["layer_norm", "rms_norm"]))
    lead = data.draw(st.lists(st.sampled_from(SIZES), max_size=2))
    norm = data.draw(st.lists(st.sampled_from(SIZES), min_size=1, max_size=2))
    shape = tuple(lead + norm)
    dtype = data.draw(st.sampled_from(FLOATS))
    seed = data.draw(st.integers(0, 2**31))
    x = random_array(dtype, shape, seed)
    w = _maybe(data.draw, random_array(dtype, tuple(norm), seed + 2))
    params = {"weight": w}
    kwargs = {"eps": data.draw(st.sampled_from([1e-5, 1e-3]))}
    if op == "layer_norm":
        params["bias"] = _maybe(data.draw, random_array(dtype, tuple(norm), seed + 3))
    elif data.draw(st.booleans()):
        kwargs["eps"] = None  # finfo(dtype).eps
    n = int(np.prod(norm))
    m = int(np.prod(lead)) if lead else 1
    _check(device, op, x, params, dict(normalized_shape=tuple(norm), **kwargs), list(params),
           layout=data.draw(layouts()), g_layout=data.draw(st.sampled_from(["contiguous", "transposed", "strided"])),
           seed=seed, reduce_fwd=n, reduce_x=4 * n, reduce_w=m, cond=_cond(x, (m, n), kwargs["eps"] or 1e-7)
           if op == "layer_norm" else 1.0)


@pytest.mark.parametrize("op", ["layer_norm", "rms_norm"])
@pytest.mark.parametrize("rows_per_prog", [None, 2])
def test_layer_norm_looped_rows_and_partials(device, monkeypatch, op, rows_per_prog):
    """Rows longer than one block (chunked Chan statistics, two-pass backward with read-modify-write
    partial rows), forced with a 16-wide block over rows of 37 (a ragged last chunk); several
    programs' partial rows summed by the second pass."""
    monkeypatch.setattr(K, "MAX_BLOCK_N", 16)
    monkeypatch.setattr(K, "ROWS_PER_PROG", rows_per_prog)
    x = random_array(dt.float32, (5, 37), 1)
    params = {"weight": random_array(dt.float32, (37,), 2)}
    if op == "layer_norm":
        params["bias"] = random_array(dt.float32, (37,), 3)
    _check(device, op, x, params, dict(normalized_shape=37), list(params), layout="strided", g_layout="transposed",
           reduce_fwd=37, reduce_x=4 * 37, reduce_w=5)


def test_layer_norm_multi_program_one_pass(device, monkeypatch):
    """One-pass rows, partial rows from 3 programs (7 rows, 3 per program: a short last range)."""
    monkeypatch.setattr(K, "ROWS_PER_PROG", 3)
    monkeypatch.setattr(K, "_INTERP_TILE", 16)
    x = random_array(dt.float32, (7, 3, 5), 4)
    params = {"weight": random_array(dt.float32, (3, 5), 5), "bias": random_array(dt.float32, (3, 5), 6)}
    _check(device, "layer_norm", x, params, dict(normalized_shape=(3, 5)), list(params), reduce_fwd=15,
           reduce_x=60, reduce_w=7)


@pytest.mark.parametrize("looped", [False, True])
def test_layer_norm_large_mean_is_stable(device, monkeypatch, looped):
    """1e4 + N(0, 1) in fp32: a sum(x^2) - sum(x)^2 variance would lose every digit."""
    if looped:
        monkeypatch.setattr(K, "MAX_BLOCK_N", 16)
    rng = np.random.default_rng(0)
    x = (1e4 + rng.standard_normal((4, 100))).astype(np.float32)
    y = to_numpy(F.layer_norm(tnn.tensor(x, device=device), (100,)))
    np.testing.assert_allclose(y, ref.layer_norm(x, (100,)), rtol=1e-3, atol=2e-3)
    np.testing.assert_allclose(y.std(1), 1.0, rtol=1e-3)


@pytest.mark.parametrize("op", ["group_norm", "instance_norm"])
def test_group_and_instance_norm_large_mean_is_stable(device, monkeypatch, op):
    """1e4 + N(0, 1) in fp32 through the set-norm statistics, one slice and split slices."""
    rng = np.random.default_rng(5)
    x = (1e4 + rng.standard_normal((2, 4, 30))).astype(np.float32)
    for split in (None, (1, 8, 1, 4)):
        monkeypatch.setattr(K, "SET_SPLIT", split)
        xt = tnn.tensor(x, device=device)
        y = to_numpy(F.group_norm(xt, 2) if op == "group_norm" else F.instance_norm(xt))
        e = ref.group_norm(x, 2) if op == "group_norm" else ref.instance_norm(x)
        np.testing.assert_allclose(y, e, rtol=1e-3, atol=2e-3)


def test_layer_norm_non_coalescing_trailing_dims_and_mixed_dtypes(device):
    """Normalised dims that are not one stride apart (a transposed (5, 7) block) take one explicit
    copy; an fp16 input with fp32 weight and bias (AMP) keeps each gradient in its own dtype."""
    x = random_array(dt.float32, (3, 5, 7), 7)
    _check(device, "layer_norm", x, {"weight": random_array(dt.float32, (5, 7), 8), "bias": None},
           dict(normalized_shape=(5, 7)), ["weight", "bias"], layout="transposed", reduce_fwd=35, reduce_x=140,
           reduce_w=3)
    xh = random_array(dt.float16, (6, 9), 9)
    xt = tnn.tensor(xh, device=device, requires_grad=True)
    w = tnn.tensor(random_array(dt.float32, (9,), 10), device=device, requires_grad=True)
    b = tnn.tensor(random_array(dt.float32, (9,), 11), device=device, requires_grad=True)
    y = F.layer_norm(xt, (9,), w, b)
    assert y.dtype is tnn.float16
    assert_close(y.detach(), ref.layer_norm(xh, (9,), to_numpy(w), to_numpy(b)), reduce_len=9)
    g = random_array(dt.float16, (6, 9), 12)
    y.backward(tnn.tensor(g, device=device))
    dx, dw, db = ref.layer_norm_backward(g, xh, (9,), to_numpy(w), to_numpy(b))
    assert w.grad.dtype is tnn.float32 and xt.grad.dtype is tnn.float16
    assert_close(xt.grad, dx, reduce_len=36)
    assert_close(w.grad, dw, reduce_len=6, rtol=1e-4)
    assert_close(b.grad, db, reduce_len=6, rtol=1e-4)


def test_layer_norm_batch_of_one_and_empty(device):
    x = random_array(dt.float32, (1, 11), 13)
    _check(device, "layer_norm", x, {"weight": random_array(dt.float32, (11,), 14), "bias": None},
           dict(normalized_shape=11), ["weight", "bias"], reduce_fwd=11, reduce_x=44)
    xt = tnn.zeros(0, 4, device=device, requires_grad=True)
    w = tnn.ones(4, device=device, requires_grad=True)
    y = F.layer_norm(xt, (4,), w)
    assert tuple(y.shape) == (0, 4)
    y.sum().backward()
    assert tuple(xt.grad.shape) == (0, 4) and (to_numpy(w.grad) == 0).all()
    # a single normalised element: xhat = 0, the output is the bias
    y = F.layer_norm(tnn.tensor([[3.0], [-2.0]], device=device), (1,), bias=tnn.tensor([0.5], device=device))
    assert (to_numpy(y) == 0.5).all()


def test_rms_norm_default_eps(device):
    """eps=None means finfo(input.dtype).eps, in each dtype."""
    for dtype in (dt.float32, dt.float16, dt.bfloat16):
        x = (random_array(dtype, (3, 4), 15) * 0).astype(dtype.np)  # x = 0: y = 0 * rsqrt(eps)
        x[0, 0] = 1e-3
        y = to_numpy(F.rms_norm(tnn.tensor(x, device=device), (4,)))
        assert_close(y, ref.rms_norm(x, (4,)), dtype=dtype)


def test_layer_norm_errors(device):
    x = tnn.ones(2, 3, 4, device=device)
    with pytest.raises(RuntimeError, match=r"Given normalized_shape=\[5\], expected input with shape \[\*, 5\], "
                                           r"but got input of size\[2, 3, 4\]"):
        F.layer_norm(x, (5,))
    with pytest.raises(RuntimeError, match=r"Given normalized_shape=\[2, 4\], expected input with shape "
                                           r"\[\*, 2, 4\], but got input of size\[2, 3, 4\]"):
        F.rms_norm(x, [2, 4])
    with pytest.raises(RuntimeError, match=r"Expected weight to be of same shape as normalized_shape, but got "
                                           r"weight of shape \[3\] and normalized_shape = \[4\]"):
        F.layer_norm(x, 4, tnn.ones(3, device=device))
    with pytest.raises(RuntimeError, match=r"Expected bias to be of same shape"):
        F.layer_norm(x, 4, None, tnn.ones(2, 2, device=device))
    with pytest.raises(RuntimeError, match="not implemented for 'Long'"):
        F.layer_norm(tnn.tensor([[1, 2]], device=device), (2,))
    with pytest.raises(TypeError, match="must be Tensor, not list"):
        F.layer_norm([1.0, 2.0], (2,))


# ------------------------------------------------------------------------------ group_norm
@st.composite
def _nc_shapes(draw, min_dims=2, max_dims=4):
    shape = [draw(st.sampled_from((1, 2, 3))), draw(st.sampled_from((1, 2, 3, 4, 6)))]
    shape += draw(st.lists(st.sampled_from((1, 2, 3, 5, 7)), min_size=min_dims - 2, max_size=max_dims - 2))
    return tuple(shape)


@given(st.data())
def test_group_norm_matches_reference(device, data):
    shape = data.draw(_nc_shapes())
    C = shape[1]
    groups = data.draw(st.sampled_from([d for d in range(1, C + 1) if C % d == 0]))
    dtype = data.draw(st.sampled_from(FLOATS))
    seed = data.draw(st.integers(0, 2**31))
    x = random_array(dtype, shape, seed)
    params = {"weight": _maybe(data.draw, random_array(dtype, (C,), seed + 2)),
              "bias": _maybe(data.draw, random_array(dtype, (C,), seed + 3))}
    n = x.size // (shape[0] * groups)
    red = x.size // C
    _check(device, "group_norm", x, params, dict(num_groups=groups), list(params), layout=data.draw(layouts()),
           g_layout=data.draw(st.sampled_from(["contiguous", "transposed", "strided"])), seed=seed, reduce_fwd=n,
           reduce_x=4 * n, reduce_w=red, cond=_cond(x, (shape[0] * groups, n)))


def test_group_norm_split_slices_and_errors(device, monkeypatch):
    """Groups split into several slices (forced): Chan-merged statistics, per-slice partials."""
    monkeypatch.setattr(K, "SET_SPLIT", (2, 4, 1, 2))  # j_per, l_per, BLOCK_J, BLOCK_L
    x = random_array(dt.float32, (2, 6, 3, 3), 16)
    params = {"weight": random_array(dt.float32, (6,), 17), "bias": random_array(dt.float32, (6,), 18)}
    _check(device, "group_norm", x, params, dict(num_groups=2), list(params), layout="transposed", reduce_fwd=27,
           reduce_x=108, reduce_w=18)
    x = tnn.ones(2, 6, 4, device=device)
    with pytest.raises(RuntimeError, match=r"Expected number of channels in input to be divisible by num_groups, "
                                           r"but got input of shape \[2, 6, 4\] and num_groups=4"):
        F.group_norm(x, 4)
    with pytest.raises(RuntimeError, match=r"Expected weight to be a vector of size equal to the number of "
                                           r"channels in input, but got weight of shape \[3\] and input of shape "
                                           r"\[2, 6, 4\]"):
        F.group_norm(x, 2, tnn.ones(3, device=device))


# ------------------------------------------------------------------------------ batch_norm
@given(st.data())
def test_batch_norm_matches_reference(device, data):
    shape = data.draw(_nc_shapes(2, 5))
    N, C = shape[:2]
    training = data.draw(st.booleans())
    if training and N * int(np.prod(shape[2:])) == 1:
        shape = (2,) + shape[1:]
    dtype = data.draw(st.sampled_from(FLOATS))
    seed = data.draw(st.integers(0, 2**31))
    x = random_array(dtype, shape, seed)
    stats_dtype = data.draw(st.sampled_from([dtype, dt.float32]))
    with_running = not training or data.draw(st.booleans())
    rm = random_array(stats_dtype, (C,), seed + 4) if with_running else None
    rv = random_array(stats_dtype, (C,), seed + 5, 0.5, 2.0) if with_running else None
    params = {"running_mean": rm, "running_var": rv,
              "weight": _maybe(data.draw, random_array(dtype, (C,), seed + 2)),
              "bias": _maybe(data.draw, random_array(dtype, (C,), seed + 3))}
    kwargs = dict(training=training, momentum=data.draw(st.sampled_from([0.1, 0.5, 1.0])),
                  eps=data.draw(st.sampled_from([1e-5, 1e-2])))
    red = x.size // C
    _check(device, "batch_norm", x, params, kwargs, list(params), layout=data.draw(layouts()),
           g_layout=data.draw(st.sampled_from(["contiguous", "transposed", "strided"])), seed=seed,
           reduce_fwd=red, reduce_x=4 * red, reduce_w=red,
           cond=_cond(np.moveaxis(x, 1, 0), (C, red), kwargs["eps"]) if training else 1.0)


def test_batch_norm_split_slices_running_stats_and_large_mean(device, monkeypatch):
    """Channels split across several programs (forced), fp32 input 1e4 + N(0, 1): the per-slice
    (count, mean, M2) merge keeps the variance; the running stats get the unbiased variance."""
    monkeypatch.setattr(K, "SET_SPLIT", (2, 4, 2, 2))
    rng = np.random.default_rng(1)
    x = (1e4 + rng.standard_normal((5, 3, 9))).astype(np.float32)
    params = {"running_mean": np.zeros(3, np.float32), "running_var": np.ones(3, np.float32),
              "weight": random_array(dt.float32, (3,), 19), "bias": random_array(dt.float32, (3,), 20)}
    xt = tnn.tensor(x, device=device)
    rm, rv = tnn.zeros(3, device=device), tnn.ones(3, device=device)
    y = to_numpy(F.batch_norm(xt, rm, rv, training=True, momentum=0.3))
    np.testing.assert_allclose(y.std((0, 2)), 1.0, rtol=1e-3)
    e_rm, e_rv = np.zeros(3, np.float32), np.ones(3, np.float32)
    ref.batch_norm(x, e_rm, e_rv, training=True, momentum=0.3)
    np.testing.assert_allclose(to_numpy(rm), e_rm, rtol=1e-6)
    np.testing.assert_allclose(to_numpy(rv), e_rv, rtol=1e-4)
    x = random_array(dt.float32, (5, 3, 9), 21)
    _check(device, "batch_norm", x, params, dict(training=True), list(params), layout="offset", reduce_fwd=45,
           reduce_x=180, reduce_w=45)


@pytest.mark.parametrize("op", ["batch_norm", "group_norm", "instance_norm"])
def test_set_norms_with_tiny_interpreter_tiles(device, monkeypatch, op):
    """The interpreter's many-groups-per-program kernels with a 4-element tile cap: every loop
    (over groups, planes and elements) runs several times; running stats updated as the reference."""
    monkeypatch.setattr(K, "_INTERP_TILE", 4)
    x = random_array(dt.float32, (3, 4, 5), 40)
    kwargs = {"batch_norm": dict(training=True, momentum=0.3), "group_norm": dict(num_groups=2),
              "instance_norm": dict(use_input_stats=True, momentum=0.2)}[op]
    params = {"weight": random_array(dt.float32, (4,), 41), "bias": random_array(dt.float32, (4,), 42)}
    if op != "group_norm":
        params = {"running_mean": random_array(dt.float32, (4,), 43),
                  "running_var": random_array(dt.float32, (4,), 44, 0.5, 2.0), **params}
    red = 15 if op == "batch_norm" else 10
    _check(device, op, x, params, kwargs, list(params), layout="strided", g_layout="transposed",
           reduce_fwd=red, reduce_x=4 * red, reduce_w=15)


def test_batch_norm_channels_last_and_non_coalescing(device):
    """A channels-last (N, H, W, C) buffer seen as (N, C, H, W) is read in place; spatial dims that
    are not one stride apart take one explicit copy."""
    arr = random_array(dt.float32, (2, 3, 4, 5), 22)
    params = {"running_mean": np.zeros(3, np.float32), "running_var": np.ones(3, np.float32),
              "weight": random_array(dt.float32, (3,), 23), "bias": None}
    x = tnn.tensor(np.ascontiguousarray(arr.transpose(0, 2, 3, 1)), device=device).permute(0, 3, 1, 2)
    x.requires_grad_(True)
    rm, rv = tnn.zeros(3, device=device), tnn.ones(3, device=device)
    y = F.batch_norm(x, rm, rv, tnn.tensor(params["weight"], device=device), training=True)
    e_rm, e_rv = params["running_mean"].copy(), params["running_var"].copy()
    assert_close(y.detach(), ref.batch_norm(arr, e_rm, e_rv, params["weight"], training=True), reduce_len=40)
    assert_close(rv, e_rv, reduce_len=40)
    g = random_array(dt.float32, arr.shape, 24)
    y.backward(tnn.tensor(g, device=device))
    assert_close(x.grad, ref.batch_norm_backward(g, arr, None, None, params["weight"], training=True)[0],
                 reduce_len=160)
    _check(device, "batch_norm", arr, params, dict(training=True), list(params), layout="transposed",
           reduce_fwd=40, reduce_x=160, reduce_w=40)


def test_batch_norm_batch_of_one_and_errors(device):
    x = random_array(dt.float32, (1, 3, 5), 25)
    _check(device, "batch_norm", x, {"running_mean": None, "running_var": None, "weight": None, "bias": None},
           dict(training=True), ["running_mean", "running_var", "weight", "bias"], reduce_fwd=5, reduce_x=20)
    with pytest.raises(ValueError, match=r"Expected more than 1 value per channel when training, got input size "
                                         r"\[1, 3\]"):
        F.batch_norm(tnn.ones(1, 3, device=device), None, None, training=True)
    with pytest.raises(RuntimeError, match="running_mean should contain 3 elements not 4"):
        F.batch_norm(tnn.ones(2, 3, device=device), tnn.zeros(4, device=device), tnn.ones(4, device=device))
    with pytest.raises(RuntimeError, match="weight should contain 3 elements not 2"):
        F.batch_norm(tnn.ones(2, 3, device=device), None, None, tnn.ones(2, device=device), training=True)
    with pytest.raises(RuntimeError, match="running_mean and running_var must be defined in evaluation mode"):
        F.batch_norm(tnn.ones(2, 3, device=device), None, None)
    with pytest.raises(ValueError, match=r"expected 2D, 3D, 4D or 5D input \(got 1D input\)"):
        F.batch_norm(tnn.ones(3, device=device), None, None, training=True)


# ------------------------------------------------------------------------------ instance_norm
@pytest.mark.parametrize("mode", ["stats", "running", "eval"])
def test_instance_norm_matches_reference(device, mode):
    """Per-(sample, channel) statistics; running stats get the batch average of the instance
    mean and unbiased variance; use_input_stats=False normalises with the running stats."""
    x = random_array(dt.float32, (3, 2, 5, 2), 26)
    params = {"running_mean": None if mode == "stats" else random_array(dt.float32, (2,), 27),
              "running_var": None if mode == "stats" else random_array(dt.float32, (2,), 28, 0.5, 2.0),
              "weight": random_array(dt.float32, (2,), 29), "bias": random_array(dt.float32, (2,), 30)}
    _check(device, "instance_norm", x, params, dict(use_input_stats=mode != "eval", momentum=0.2), list(params),
           layout="strided", reduce_fwd=10, reduce_x=40, reduce_w=30)


def test_instance_norm_errors(device):
    with pytest.raises(ValueError, match=r"Expected more than 1 spatial element when training, got input size "
                                         r"\[2, 3, 1\]"):
        F.instance_norm(tnn.ones(2, 3, 1, device=device))
    with pytest.raises(RuntimeError, match="Expected running_mean and running_var to be defined when "
                                           "use_input_stats is false"):
        F.instance_norm(tnn.ones(2, 3, 4, device=device), use_input_stats=False)


# ------------------------------------------------------------------------------ autograd behaviour
def test_grad_fn_names_versions_and_no_grad(device):
    x = tnn.tensor(random_array(dt.float32, (2, 4, 3), 31), device=device, requires_grad=True)
    assert F.layer_norm(x, (3,)).grad_fn.name() == "NativeLayerNormBackward0"
    assert F.rms_norm(x, (3,)).grad_fn.name() == "FusedRmsNormBackward0"
    assert F.group_norm(x, 2).grad_fn.name() == "NativeGroupNormBackward0"
    rm, rv = tnn.zeros(4, device=device), tnn.ones(4, device=device)
    v = rm._version
    assert F.batch_norm(x, rm, rv, training=True).grad_fn.name() == "NativeBatchNormBackward0"
    assert rm._version > v and rv._version > v  # updated in place
    with tnn.no_grad():
        assert F.layer_norm(x, (3,)).grad_fn is None
    w = tnn.ones(3, device=device, requires_grad=True)
    y = F.layer_norm(x, (3,), w)
    w.detach().mul_(2)  # the saved weight changed: backward must refuse
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_only_weight_requires_grad_and_determinism(device, monkeypatch):
    """An input without grad gets no dx launch; weight gradients from split partials are bitwise
    identical run to run."""
    monkeypatch.setattr(K, "SET_SPLIT", (1, 2, 1, 2))
    arr = random_array(dt.float32, (4, 3, 5), 32)
    g = random_array(dt.float32, arr.shape, 33)
    outs = []
    for _ in range(2):
        w = tnn.ones(3, device=device, requires_grad=True)
        y = F.batch_norm(tnn.tensor(arr, device=device), None, None, w, training=True)
        y.backward(tnn.tensor(g, device=device))
        outs.append(to_numpy(w.grad))
    assert np.array_equal(outs[0], outs[1])
    b = tnn.zeros(5, device=device, requires_grad=True)
    x = tnn.tensor(arr, device=device)
    F.layer_norm(x, (5,), None, b).sum().backward()  # an expanded (stride 0) output gradient
    assert x.grad is None and b.grad is not None
    assert_close(b.grad, np.full(5, 12.0))
    assert_close(tnn.tensor(outs[0]), ref.batch_norm_backward(g, arr, None, None, np.ones(3), training=True)[3],
                 reduce_len=20)


def test_expanded_output_gradient(device):
    """y.sum().backward() hands every kernel a stride-0 gradient."""
    arr = random_array(dt.float64, (3, 4, 5), 34)
    for name, call in (("layer_norm", lambda x: F.layer_norm(x, (4, 5))),
                       ("batch_norm", lambda x: F.batch_norm(x, None, None, training=True)),
                       ("group_norm", lambda x: F.group_norm(x, 2))):
        x = tnn.tensor(arr, device=device, requires_grad=True)
        call(x).sum().backward()
        assert_close(x.grad, np.zeros(arr.shape), atol=1e-9, msg=name)  # sum of a normalised set: constant


def test_gradcheck_float64(device):
    """Finite differences through the kernels themselves (float64), every input at once."""
    rng = np.random.default_rng(2)
    t = lambda *s: tnn.tensor(rng.standard_normal(s), device=device, requires_grad=True)  # noqa: E731
    gradcheck(lambda x, w, b: F.layer_norm(x, (4,), w, b), (t(3, 4), t(4), t(4)))
    gradcheck(lambda x, w, b: F.group_norm(x, 2, w, b), (t(2, 4, 3), t(4), t(4)))
    gradcheck(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), (t(3, 2, 2), t(2), t(2)))


# ------------------------------------------------------------------------------ the reference itself
def _fd(f, arrays, i, g, eps=1e-6):
    out = np.zeros_like(arrays[i])
    for idx in np.ndindex(arrays[i].shape):
        p = [a.copy() for a in arrays]
        m = [a.copy() for a in arrays]
        p[i][idx] += eps
        m[i][idx] -= eps
        out[idx] = ((f(*p) - f(*m)) * g).sum() / (2 * eps)
    return out


CASES = [
    ("layer_norm", (3, 2, 4), lambda x, w, b: ref.layer_norm(x, (2, 4), w, b),
     lambda g, x, w, b: ref.layer_norm_backward(g, x, (2, 4), w, b), (2, 4)),
    ("rms_norm", (3, 5), lambda x, w, b: ref.rms_norm(x, (5,), w, eps=1e-5),
     lambda g, x, w, b: ref.rms_norm_backward(g, x, (5,), w, eps=1e-5) + (None,), (5,)),
    ("group_norm", (2, 4, 3), lambda x, w, b: ref.group_norm(x, 2, w, b),
     lambda g, x, w, b: ref.group_norm_backward(g, x, 2, w, b), (4,)),
    ("batch_norm", (3, 2, 2), lambda x, w, b: ref.batch_norm(x, None, None, w, b, training=True),
     lambda g, x, w, b: ref.batch_norm_backward(g, x, None, None, w, b, training=True)[::3] + (
         ref.batch_norm_backward(g, x, None, None, w, b, training=True)[4],), (2,)),
    ("batch_norm_eval", (3, 2),
     lambda x, w, b: ref.batch_norm(x, np.array([0.3, -1.0]), np.array([2.0, 0.5]), w, b),
     lambda g, x, w, b: tuple(e for i, e in enumerate(ref.batch_norm_backward(
         g, x, np.array([0.3, -1.0]), np.array([2.0, 0.5]), w, b)) if i in (0, 3, 4)), (2,)),
    ("instance_norm", (2, 2, 3), lambda x, w, b: ref.instance_norm(x, None, None, w, b),
     lambda g, x, w, b: tuple(e for i, e in enumerate(ref.instance_norm_backward(g, x, None, None, w, b))
                              if i in (0, 3, 4)), (2,)),
]


@pytest.mark.parametrize("name,shape,fwd,bwd,wshape", CASES, ids=[c[0] for c in CASES])
def test_reference_backward_matches_finite_differences(name, shape, fwd, bwd, wshape):
    rng = np.random.default_rng(3)
    arrays = [rng.standard_normal(shape), rng.standard_normal(wshape), rng.standard_normal(wshape)]
    g = rng.standard_normal(shape)
    grads = bwd(g, *arrays)
    for i, e in enumerate(grads):
        if e is None:
            continue
        np.testing.assert_allclose(e, _fd(fwd, arrays, i, g), rtol=1e-5, atol=1e-7, err_msg=f"{name} input {i}")
