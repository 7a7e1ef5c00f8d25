"""F.max_pool / avg_pool / adaptive_* / lp_pool / max_unpool (1-d, 2-d, 3-d) against the NumPy
float64 reference (tnn.reference.pooling): values, argmax indices (exactly) and the input
gradient over kernel sizes, strides, paddings, dilations, ceil_mode, count_include_pad,
divisor_override, fp32 / fp16 / bf16 / fp64, strided, offset, transposed and channels-last
inputs, strided output gradients, batched and unbatched; named edge cases (kernel equal to the
input, stride larger than the kernel, 1x1, global pooling, -inf / NaN inputs, empty batch, batch
of one, overlapping windows summing gradients); torch's grad_fn names and error messages; the
reference's backwards against central finite differences."""
import importlib
import inspect

import numpy as np
import pytest
from hypothesis import assume, given, strategies as st

import tnn
import tnn.nn.functional as F
from tnn.runtime import dtypes as dt
from tnn.testing import assert_close, make_tensor, random_array, to_numpy

from ..reference import fd

ref = importlib.import_module("tnn.reference.pooling")
FLOATS = (dt.float32, dt.float16, dt.bfloat16, dt.float64)
LAYOUTS = ("contiguous", "channels_last", "strided", "offset", "transposed")


def _tensor(arr, layout, device, grad=False):
    """make_tensor's layouts plus channels-last (channels innermost in memory)."""
    if layout == "channels_last" and arr.ndim >= 3:
        perm = (0,) + tuple(range(2, arr.ndim)) + (1,)
        back = np.argsort(perm)
        t = tnn.tensor(np.ascontiguousarray(arr.transpose(perm)), device=device).permute(*back)
        return t.requires_grad_(grad)
    return make_tensor(arr, "contiguous" if layout == "channels_last" else layout, device, requires_grad=grad)


def _out_len(L, k, s, p, d, ceil):
    o = (L + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil else 0)) // s + 1
    if ceil and (o - 1) * s >= L + p:
        o -= 1
    return o


def _check(device, name, arr, args=(), kwargs=None, *, layout="contiguous", g_layout="contiguous", seed=0,
           reduce_len=1):
    """F.<name>(x, *args, **kwargs) against ref.<name>: values (indices exactly when returned) and
    the gradient of a random output gradient laid out as ``g_layout``."""
    kwargs = kwargs or {}
    x = _tensor(arr, layout, device, grad=True)
    out = getattr(F, name)(x, *args, **kwargs)
    expected = getattr(ref, name)(arr, *args, **kwargs)
    if isinstance(expected, tuple):
        y, idx = out
        assert idx.dtype is dt.int64 and idx.grad_fn is None
        np.testing.assert_array_equal(to_numpy(idx), expected[1])
        expected = expected[0]
    else:
        y = out
    assert y.dtype is x.dtype and tuple(y.shape) == expected.shape
    assert_close(y.detach(), expected, dtype=x.dtype, reduce_len=reduce_len)
    g = random_array(x.dtype, expected.shape, seed + 1)
    y.backward(_tensor(g, g_layout, device))
    (dx,) = getattr(ref, name + "_backward")(g, arr, *args, **kwargs)[:1]
    assert x.grad.dtype is x.dtype and tuple(x.grad.shape) == arr.shape
    assert_close(x.grad, dx, dtype=x.dtype, reduce_len=4 * reduce_len)
    return y


@st.composite
def windows(draw, nd, dilation=True, max_len=8):
    """(spatial shape, kernel, stride or None, padding, dilation, ceil_mode) with an output >= 1."""
    shape = tuple(draw(st.sampled_from([1, 2, 3, 5, 7, 8][:(6 if max_len >= 8 else 4)])) for _ in range(nd))
    k = tuple(draw(st.integers(1, 4)) for _ in range(nd))
    s = None if draw(st.booleans()) else tuple(draw(st.integers(1, 5)) for _ in range(nd))
    p = tuple(draw(st.integers(0, kk // 2)) for kk in k)
    d = tuple(draw(st.integers(1, 3)) if dilation else 1 for _ in range(nd))
    ceil = draw(st.booleans())
    ss = s or k
    assume(all(_out_len(shape[i], k[i], ss[i], p[i], d[i], ceil) >= 1 for i in range(nd)))
    return shape, k, s, p, d, ceil


def _lead(data, nd):
    """Leading dims: (N, C) batched or (C,) unbatched."""
    c = data.draw(st.sampled_from([1, 3]))
    return (data.draw(st.sampled_from([1, 2])), c) if data.draw(st.booleans()) else (c,)


def _args(nd, k, s, p):
    """1-d pools take ints (or 1-tuples); 2-d / 3-d tuples, or one int when all equal."""
    if nd == 1:
        return k[0], (None if s is None else s[0]), p[0]
    pick = lambda t: t if t is None or len(set(t)) > 1 else t[0]  # noqa: E731
    return pick(k), pick(s), pick(p)


# ------------------------------------------------------------------------------ properties
@given(st.data())
def test_max_pool_matches_reference(device, data):
    nd = data.draw(st.sampled_from([1, 2, 2, 3]))
    shape, k, s, p, d, ceil = data.draw(windows(nd, max_len=8 if nd < 3 else 5))
    dtype = data.draw(st.sampled_from(FLOATS))
    lead = _lead(data, nd)
    layout = data.draw(st.sampled_from(LAYOUTS))
    arr = random_array(dtype, lead + shape, data.draw(st.integers(0, 2**31)))
    kk, ss, pp = _args(nd, k, s, p)
    dil = d[0] if nd == 1 or len(set(d)) == 1 else d
    kwargs = dict(stride=ss, padding=pp, dilation=dil, ceil_mode=ceil, return_indices=data.draw(st.booleans()))
    _check(device, f"max_pool{nd}d", arr, (kk,), kwargs, layout=layout, seed=1,
           g_layout=data.draw(st.sampled_from(["contiguous", "strided", "transposed"])))


@given(st.data())
def test_avg_pool_matches_reference(device, data):
    nd = data.draw(st.sampled_from([1, 2, 2, 3]))
    shape, k, s, p, _, ceil = data.draw(windows(nd, dilation=False, max_len=8 if nd < 3 else 5))
    if nd == 3:  # torch's avg_pool3d insists on an input at least the kernel's size
        assume(all(L >= kk for L, kk in zip(shape, k)))
    dtype = data.draw(st.sampled_from(FLOATS))
    lead = _lead(data, nd)
    layout = data.draw(st.sampled_from(LAYOUTS))
    arr = random_array(dtype, lead + shape, data.draw(st.integers(0, 2**31)))
    kk, ss, pp = _args(nd, k, s, p)
    kwargs = dict(stride=ss, padding=pp, ceil_mode=ceil, count_include_pad=data.draw(st.booleans()))
    if nd > 1:
        kwargs["divisor_override"] = data.draw(st.sampled_from([None, None, 1, 3, -2]))
    _check(device, f"avg_pool{nd}d", arr, (kk,), kwargs, layout=layout, reduce_len=int(np.prod(k)),
           g_layout=data.draw(st.sampled_from(["contiguous", "strided", "offset"])))


@given(st.data())
def test_adaptive_pools_match_reference(device, data):
    kind = data.draw(st.sampled_from(["avg", "max"]))
    nd = data.draw(st.sampled_from([1, 2, 2, 3]))
    shape = tuple(data.draw(st.sampled_from([1, 2, 3, 5, 7, 8])) for _ in range(nd))
    out = tuple(data.draw(st.sampled_from([1, 2, 3, 4, 6, 9])) for _ in range(nd))
    if nd > 1 and data.draw(st.booleans()):
        out = (None,) + out[1:]
    dtype = data.draw(st.sampled_from(FLOATS))
    lead = _lead(data, nd)
    arr = random_array(dtype, lead + shape, data.draw(st.integers(0, 2**31)))
    layout = data.draw(st.sampled_from(LAYOUTS))
    o = out[0] if nd == 1 else out
    kwargs = {"return_indices": data.draw(st.booleans())} if kind == "max" else {}
    longest = int(np.prod([-(-L // max(v or L, 1)) + 1 for L, v in zip(shape, out)]))
    _check(device, f"adaptive_{kind}_pool{nd}d", arr, (o,), kwargs, layout=layout, reduce_len=longest)


@pytest.mark.parametrize("nd,norm_type,kernel,stride,ceil", [
    (1, 2, 3, None, False), (1, 1.5, 2, 3, True), (2, 2, 2, None, False), (2, 3, (2, 3), (1, 2), True),
    (2, 1, 3, 2, True), (3, 2, 2, 1, False)])
def test_lp_pool_matches_reference(device, nd, norm_type, kernel, stride, ceil):
    arr = random_array(dt.float32, (2, 3) + (6,) * nd, nd, 0.2, 2.0)
    _check(device, f"lp_pool{nd}d", arr, (norm_type, kernel, stride, ceil), reduce_len=9)
    # negative inputs with an integer power, and float64
    arr = random_array(dt.float64, (3,) + (5,) * nd, 7, -2.0, 2.0)
    if float(norm_type).is_integer() and norm_type % 2 == 0:
        _check(device, f"lp_pool{nd}d", arr, (norm_type, kernel, stride, ceil), reduce_len=9)


@pytest.mark.parametrize("dtype", [dt.float32, dt.bfloat16])
@pytest.mark.parametrize("nd,kernel,stride,padding,batched", [
    (2, 2, None, 0, True), (2, 3, 2, 1, False), (2, (2, 3), (1, 2), (1, 0), True), (1, 3, 2, 1, True),
    (1, 2, None, 0, False), (3, 2, None, 0, True), (3, (2, 3, 2), (1, 2, 3), (1, 1, 0), False),
    (3, 3, 2, 1, True)])
def test_max_unpool_inverts_max_pool(device, dtype, nd, kernel, stride, padding, batched):
    shape = ((2, 3) if batched else (3,)) + {1: (9,), 2: (7, 6), 3: (5, 4, 6)}[nd]
    arr = random_array(dtype, shape, 3)
    x = tnn.tensor(arr, device=device)
    y, idx = getattr(F, f"max_pool{nd}d")(x, kernel, stride, padding, return_indices=True)
    y_np, i_np = to_numpy(y), to_numpy(idx)
    k, st, pd = (np.broadcast_to(v if v is not None else kernel, (nd,)) for v in (kernel, stride, padding))
    default = tuple((y.shape[-nd + i] - 1) * st[i] + k[i] - 2 * pd[i] for i in range(nd))
    for out_size in ((None,) if default == tuple(shape[-nd:]) else ()) + (tuple(shape[-nd:]),):
        v = tnn.tensor(y_np.astype(dtype.np), device=device, requires_grad=True)
        u = getattr(F, f"max_unpool{nd}d")(v, idx, kernel, stride, padding, output_size=out_size)
        e = getattr(ref, f"max_unpool{nd}d")(y_np.astype(dtype.np), i_np, kernel, stride, padding, out_size)
        assert_close(u.detach(), e)
        assert u.grad_fn.name() == {1: "SqueezeBackward1", 2: "MaxUnpool2DBackward0", 3: "MaxUnpool3DBackward0"}[nd]
        g = random_array(dtype, e.shape, 4)
        u.backward(tnn.tensor(g, device=device))
        assert_close(v.grad, ref.__dict__[f"max_unpool{nd}d_backward"](g, y_np, i_np, kernel, stride, padding,
                                                                         out_size)[0])
    # unpooling a pool of positive values, then pooling again, gives the pooled values back
    pos = tnn.tensor(np.abs(arr) + 1, device=device)
    y, idx = getattr(F, f"max_pool{nd}d")(pos, kernel, stride, padding, return_indices=True)
    u = getattr(F, f"max_unpool{nd}d")(y, idx, kernel, stride, padding, output_size=tuple(shape[-nd:]))
    assert_close(getattr(F, f"max_pool{nd}d")(u, kernel, stride, padding), to_numpy(y))


def test_max_unpool_strided_input_and_errors(device):
    arr = random_array(dt.float32, (2, 3, 4, 4), 5)
    x = tnn.tensor(arr, device=device)
    y, idx = F.max_pool2d(x, 2, return_indices=True)
    yt = tnn.tensor(np.ascontiguousarray(to_numpy(y).transpose(0, 1, 3, 2)), device=device).transpose(2, 3)
    it = tnn.tensor(np.ascontiguousarray(to_numpy(idx).transpose(0, 1, 3, 2)), device=device).transpose(2, 3)
    assert_close(F.max_unpool2d(yt, it, 2), ref.max_unpool2d(to_numpy(y), to_numpy(idx), 2))
    with pytest.raises(RuntimeError, match="elements in indices should be type int64 but got: Int"):
        F.max_unpool2d(y, idx.int(), 2)
    with pytest.raises(RuntimeError, match="Expected shape of indices to be same as that of the input tensor"):
        F.max_unpool2d(y, idx[:1], 2)
    with pytest.raises(RuntimeError, match=r"Found an invalid max index: 16 \(output volumes are of size 4x4"):
        F.max_unpool2d(y, tnn.full((2, 3, 2, 2), 16, dtype=tnn.int64, device=device), 2)
    with pytest.raises(ValueError, match=r'invalid output_size "\(9, 4\)" \(dim 0 must be between 2 and 6\)'):
        F.max_unpool2d(y, idx, 2, output_size=(9, 4))
    with pytest.raises(ValueError, match="output_size should be a sequence containing 2 or 4 elements"):
        F.max_unpool2d(y, idx, 2, output_size=(4,))
    with pytest.raises(RuntimeError, match="Input to max_unpooling2d should be a 3d or 4d Tensor"):
        F.max_unpool2d(y[0, 0], idx[0, 0], 2)


@given(st.data())
def test_max_unpool_matches_reference(device, data):
    """max_unpool{1,2,3}d of a max pool's (values, indices) against the reference: values and the
    gradient (a gather of grad_output at the indices), over small shapes, kernels / strides /
    paddings (overlapping windows give repeated indices carrying equal values), output_size None,
    spatial or with the (N, C) prefix, dtypes, strided values / indices / output gradients."""
    nd = data.draw(st.sampled_from([1, 2, 3, 3]))
    shape = tuple(data.draw(st.sampled_from([1, 2, 3, 5])) for _ in range(nd))
    k = tuple(data.draw(st.integers(1, 3)) for _ in range(nd))
    s = None if data.draw(st.booleans()) else tuple(data.draw(st.integers(1, 3)) for _ in range(nd))
    p = tuple(data.draw(st.integers(0, kk // 2)) for kk in k)
    ss = s or k
    assume(all(_out_len(shape[i], k[i], ss[i], p[i], 1, False) >= 1 for i in range(nd)))
    dtype = data.draw(st.sampled_from(FLOATS))
    lead = _lead(data, nd)
    arr = random_array(dtype, lead + shape, data.draw(st.integers(0, 2**31)))
    kk, ss, pp = _args(nd, k, s, p)
    y_np, i_np = getattr(ref, f"max_pool{nd}d")(arr, kk, ss, pp, return_indices=True)
    y_np = y_np.astype(dtype.np)   # the pooled values are input values: exact in dtype
    # the default output size can be smaller than the input (padding): torch then reports the
    # indices past it, so None only where it is the input's size
    outs = tuple(y_np.shape[-nd:])
    default = tuple((outs[i] - 1) * (s or k)[i] + k[i] - 2 * p[i] for i in range(nd))
    out_size = data.draw(st.sampled_from(([None] if default == shape else []) + [shape]
                                         + ([lead + shape] if len(lead) == 2 else [])))
    v = make_tensor(y_np, data.draw(st.sampled_from(["contiguous", "strided", "transposed", "offset"])), device,
                    requires_grad=True)
    idx = make_tensor(i_np, data.draw(st.sampled_from(["contiguous", "strided", "transposed"])), device)
    u = getattr(F, f"max_unpool{nd}d")(v, idx, kk, ss, pp, output_size=out_size)
    e = getattr(ref, f"max_unpool{nd}d")(y_np, i_np, kk, ss, pp, out_size)
    assert u.dtype is dtype and tuple(u.shape) == e.shape
    assert_close(u.detach(), e, dtype=dtype)
    g = random_array(dtype, e.shape, 5)
    u.backward(make_tensor(g, data.draw(st.sampled_from(["contiguous", "strided", "transposed"])), device))
    (dx, none) = getattr(ref, f"max_unpool{nd}d_backward")(g, y_np, i_np, kk, ss, pp, out_size)
    assert none is None and v.grad.dtype is dtype
    assert_close(v.grad, dx, dtype=dtype)


def test_max_unpool3d_named_cases_and_errors(device):
    arr = random_array(dt.float32, (2, 3, 4, 4, 4), 5)
    y, idx = F.max_pool3d(tnn.tensor(arr, device=device), 2, return_indices=True)
    # unbatched, and an empty batch
    u = F.max_unpool3d(y[1], idx[1], 2)
    assert_close(u, ref.max_unpool3d(to_numpy(y[1]), to_numpy(idx[1]), 2))
    x0 = tnn.zeros(0, 3, 2, 2, 2, device=device, requires_grad=True)
    u0 = F.max_unpool3d(x0, tnn.zeros(0, 3, 2, 2, 2, dtype=tnn.int64, device=device), 2)
    assert tuple(u0.shape) == (0, 3, 4, 4, 4)
    u0.sum().backward()
    assert tuple(x0.grad.shape) == (0, 3, 2, 2, 2)
    # the module, with output_size at call time
    m = tnn.nn.MaxUnpool3d((2, 2, 2))
    assert_close(m(y, idx, output_size=(2, 3, 5, 5, 5)), ref.max_unpool3d(to_numpy(y), to_numpy(idx), 2,
                                                                           output_size=(5, 5, 5)))
    cases = [
        (lambda: F.max_unpool3d(y, idx.int(), 2), RuntimeError, r"elements in indices should be type int64"),
        (lambda: F.max_unpool3d(y, idx[:1], 2), RuntimeError,
         r"Expected shape of indices to be same as that of the input tensor \(\[2, 3, 2, 2, 2\]\) but got indices "
         r"tensor with shape: \[1, 3, 2, 2, 2\]"),
        (lambda: F.max_unpool3d(y[0, 0], idx[0, 0], 2), RuntimeError,
         "Input to max_unpooling3d should be a 4d or 5d Tensor, but got a tensor with 3 dimensions."),
        (lambda: F.max_unpool3d(y, tnn.full((2, 3, 2, 2, 2), 64, dtype=tnn.int64, device=device), 2), RuntimeError,
         r"Found an invalid max index: 64 \(output volumes are of size 4x4x4"),
        (lambda: F.max_unpool3d(y, tnn.full((2, 3, 2, 2, 2), -1, dtype=tnn.int64, device=device), 2), RuntimeError,
         r"Found an invalid max index: -1 \(output volumes are of size 4x4x4"),
        (lambda: F.max_unpool3d(y, idx, 2, output_size=(4, 6, 4)), ValueError,
         r'invalid output_size "\(4, 6, 4\)" \(dim 1 must be between 2 and 6\)'),
        (lambda: F.max_unpool3d(y, idx, 2, output_size=[4, 4]), ValueError,
         r"output_size should be a sequence containing 3 or 5 elements, but it has a length of '2'"),
        (lambda: F.max_unpool3d(y, idx, (2, 2)), RuntimeError,
         r"There should be exactly three elements \(depth, height, width\) in output_size, but got 2 elements."),
        (lambda: F.max_unpool3d(y, idx, 2, stride=(2, 2, 2), padding=(0, 0)), IndexError, "out of range"),  # torch too
        (lambda: F.max_unpool3d(y, idx, 2, stride=(2, 0, 2)), RuntimeError,
         r"strides should be greater than zero, but got stride: \[2, 0, 2\]"),
        (lambda: F.max_unpool3d(tnn.ones(1, 2, 0, 2, 2, device=device),
                                tnn.zeros(1, 2, 0, 2, 2, dtype=tnn.int64, device=device), 2), RuntimeError,
         r"max_unpooling3d_forward_out_cpu\(\): Expected input to have non-zero size for non-batch dimensions, but "
         r"got \[1, 2, 0, 2, 2\] with dimension 2 being empty."),
        (lambda: F.max_unpool3d([1.0], idx, 2), TypeError, "must be Tensor"),
    ]
    for fn, exc, msg in cases:
        with pytest.raises(exc, match=msg):
            fn()


# ------------------------------------------------------------------------------ edge cases
@pytest.mark.parametrize("name", ["max_pool2d", "avg_pool2d"])
def test_kernel_equal_to_input_and_global(device, name):
    arr = random_array(dt.float32, (2, 3, 5, 7), 11)
    y = _check(device, name, arr, ((5, 7),), reduce_len=35)
    assert tuple(y.shape) == (2, 3, 1, 1)
    _check(device, name, arr, ((5, 7), 1, (2, 3)), reduce_len=35)  # all-padding-rich windows


@pytest.mark.parametrize("name,extra", [("max_pool2d", {"dilation": 2}), ("avg_pool2d", {}),
                                        ("max_pool1d", {}), ("avg_pool1d", {"ceil_mode": True})])
def test_stride_larger_than_kernel_and_1x1(device, name, extra):
    arr = random_array(dt.float32, (2, 3, 9, 8) if name.endswith("2d") else (2, 3, 11), 12)
    _check(device, name, arr, (2,), dict(stride=3, **extra))
    _check(device, name, arr, (1,), {})  # the identity (1x1)


def test_overlapping_windows_sum_gradients(device):
    """Every input element is the max of several 3x3/1 windows: its gradient is their sum."""
    arr = np.zeros((1, 1, 5, 5), np.float32)
    arr[0, 0, 2, 2] = 10.0
    x = tnn.tensor(arr, device=device, requires_grad=True)
    F.max_pool2d(x, 3, 1, 1).sum().backward()
    assert to_numpy(x.grad)[0, 0, 2, 2] == 9.0
    assert to_numpy(x.grad).sum() == 25.0  # 25 windows, one winner each (ties: the first index)
    _check(device, "max_pool2d", random_array(dt.float16, (2, 2, 6, 6), 3), (3, 1, 1))


@pytest.mark.parametrize("scatter", [True, False])
def test_disjoint_windows_scatter_and_gather_backward_agree(device, monkeypatch, scatter):
    """Max pooling's backward for windows sharing no element: the interpreter scatters the outputs,
    the GPU gathers per input; both paths checked here (ceil_mode's ragged last window included)."""
    from tnn.kernels import pool as K
    if not scatter:
        monkeypatch.setattr(K, "scatter_backward_ok", lambda *a: False)
    arr = random_array(dt.float32, (2, 3, 9, 7), 21)
    _check(device, "max_pool2d", arr, (2,), dict(ceil_mode=True, padding=1), layout="channels_last")
    _check(device, "max_pool2d", arr, ((2, 3),), dict(stride=(3, 4)), g_layout="transposed")
    _check(device, "max_pool1d", arr[0], (2,), dict(stride=4, dilation=2))
    _check(device, "max_pool3d", random_array(dt.bfloat16, (1, 2, 4, 5, 6), 3), (2,), layout="transposed")
    # windows holding no input element (dilation 2 over padding): -inf, torch's index past the
    # input (which names another window's element), and no gradient
    arr = random_array(dt.float32, (1, 2, 2, 1, 1), 4)
    y, idx = F.max_pool3d(tnn.tensor(arr, device=device), (1, 2, 1), (1, 3, 1), (0, 1, 0), (1, 2, 1),
                          return_indices=True)
    assert (to_numpy(y) == -np.inf).all() and (to_numpy(idx).reshape(2, 2) == [[1, 2], [1, 2]]).all()
    _check(device, "max_pool3d", arr, ((1, 2, 1), (1, 3, 1), (0, 1, 0), (1, 2, 1)), {"return_indices": True})


def test_max_special_values(device):
    """NaN wins its window (the last NaN gives the index), -inf windows report their first
    in-bounds element, ties the first index; gradients follow the indices."""
    arr = np.array([[[[1.0, np.nan, 2.0, np.nan],
                      [-np.inf, -np.inf, 3.0, 3.0],
                      [-np.inf, -np.inf, 0.0, 5.0],
                      [-np.inf, -np.inf, 5.0, 5.0]]]], np.float32)
    for padding, ceil in ((0, False), (1, True)):
        y, idx = F.max_pool2d(tnn.tensor(arr, device=device), 2, 2, padding, ceil_mode=ceil, return_indices=True)
        ey, ei = ref.max_pool2d(arr, 2, 2, padding, ceil_mode=ceil, return_indices=True)
        np.testing.assert_array_equal(to_numpy(idx), ei)
        np.testing.assert_array_equal(to_numpy(y), ey)
    y, idx = F.max_pool2d(tnn.tensor(arr, device=device), 2, return_indices=True)
    assert np.isnan(to_numpy(y)[0, 0, 0, 0]) and to_numpy(idx)[0, 0, 0, 0] == 1
    assert np.isnan(to_numpy(y)[0, 0, 0, 1]) and to_numpy(idx)[0, 0, 0, 1] == 3  # last NaN
    assert to_numpy(y)[0, 0, 1, 0] == -np.inf and to_numpy(idx)[0, 0, 1, 0] == 8
    assert to_numpy(idx)[0, 0, 1, 1] == 11  # 5.0 first at flat 11
    _check(device, "max_pool2d", arr, (2,), {"return_indices": True})
    _check(device, "adaptive_max_pool2d", arr, ((3, 3),), {"return_indices": True})


@pytest.mark.parametrize("dtype", [dt.float32, dt.float16])
def test_channels_last_in_channels_last_out(device, dtype):
    arr = random_array(dtype, (2, 5, 6, 7), 13)
    x = _tensor(arr, "channels_last", device, grad=True)
    for fn, args in ((F.max_pool2d, (3, 2, 1)), (F.avg_pool2d, (2,)), (F.adaptive_avg_pool2d, ((3, 4),))):
        y = fn(x, *args)
        assert y.stride(1) == 1 and y.stride(3) == y.shape[1], "channels-last output expected"
        y.backward(tnn.ones(*y.shape, dtype=dtype, device=device))
        x.grad = None
    _check(device, "max_pool3d", random_array(dtype, (1, 4, 3, 4, 5), 1), (2, 1, 1), layout="channels_last")


def test_empty_batch_and_batch_of_one(device):
    x = tnn.zeros(0, 3, 4, 4, device=device, requires_grad=True)
    for fn in (lambda t: F.max_pool2d(t, 2), lambda t: F.avg_pool2d(t, 2), lambda t: F.adaptive_max_pool2d(t, 3)):
        y = fn(x)
        assert tuple(y.shape)[:2] == (0, 3)
        y.sum().backward()
        assert tuple(x.grad.shape) == (0, 3, 4, 4)
    _check(device, "max_pool2d", random_array(dt.float32, (1, 1, 4, 5), 2), (2,))
    _check(device, "avg_pool3d", random_array(dt.bfloat16, (1, 1, 2, 3, 4), 2), (2, 1, 1), reduce_len=8)
    y = F.adaptive_avg_pool2d(tnn.ones(1, 2, 3, 3, device=device), (0, 2))
    assert tuple(y.shape) == (1, 2, 0, 2)


def test_global_adaptive_average_is_a_mean(device):
    arr = random_array(dt.float32, (2, 3, 5, 4), 6)
    for nd, o in ((1, 1), (2, (1, 1)), (2, 1), (3, (1, 1, 1))):
        a = arr if nd < 3 else arr[..., None]
        a = a[0] if nd == 1 else a
        x = tnn.tensor(a, device=device, requires_grad=True)
        y = getattr(F, f"adaptive_avg_pool{nd}d")(x, o)
        assert y.grad_fn.name() in ("MeanBackward1", "SqueezeBackward1")
        _check(device, f"adaptive_avg_pool{nd}d", a, (o,), reduce_len=20)


def test_deterministic(device):
    x = tnn.tensor(random_array(dt.float16, (2, 3, 9, 9), 8), device=device, requires_grad=True)
    grads = []
    for _ in range(2):
        x.grad = None
        F.max_pool2d(x, 3, 1, 1).sum().backward()
        grads.append(to_numpy(x.grad))
    np.testing.assert_array_equal(*grads)


# ------------------------------------------------------------------------------ autograd behaviour
def test_grad_fn_names(device):
    x2 = tnn.ones(1, 2, 4, 4, device=device, requires_grad=True)
    x3 = tnn.ones(1, 2, 4, 4, 4, device=device, requires_grad=True)
    x1 = tnn.ones(1, 2, 4, device=device, requires_grad=True)
    names = {
        "MaxPool2DWithIndicesBackward0": F.max_pool2d(x2, 2), "MaxPool3DWithIndicesBackward0": F.max_pool3d(x3, 2),
        "AvgPool2DBackward0": F.avg_pool2d(x2, 2), "AvgPool3DBackward0": F.avg_pool3d(x3, 2),
        "AdaptiveAvgPool2DBackward0": F.adaptive_avg_pool2d(x2, 3),
        "AdaptiveAvgPool3DBackward0": F.adaptive_avg_pool3d(x3, 3),
        "AdaptiveMaxPool2DBackward0": F.adaptive_max_pool2d(x2, 3),
        "AdaptiveMaxPool3DBackward0": F.adaptive_max_pool3d(x3, 3),
        "SqueezeBackward1": F.max_pool1d(x1, 2), "MeanBackward1": F.adaptive_avg_pool2d(x2, 1),
        "PowBackward0": F.lp_pool2d(x2, 2, 2),
        "MaxUnpool2DBackward0": F.max_unpool2d(*F.max_pool2d(x2, 2, return_indices=True), 2),
        "MaxUnpool3DBackward0": F.max_unpool3d(*F.max_pool3d(x3, 2, return_indices=True), 2),
    }
    for name, y in names.items():
        assert y.grad_fn.name() == name
    assert F.avg_pool1d(x1, 2).grad_fn.name() == "SqueezeBackward1"
    with tnn.no_grad():
        assert F.max_pool2d(x2, 2).grad_fn is None
    y, idx = F.max_pool2d(x2, 2, return_indices=True)
    idx.add_(0)  # the saved indices changed: backward must refuse
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_signatures_match_reference():
    for name in ref._OPS:
        f_params = [(p.name, p.default) for p in inspect.signature(getattr(F, name)).parameters.values()]
        r_params = [(p.name, p.default) for p in inspect.signature(getattr(ref, name)).parameters.values()]
        assert f_params == r_params, name
        b = [(p.name, p.default) for p in inspect.signature(getattr(ref, name + "_backward")).parameters.values()]
        assert b[0][0] == "grad_output" and b[1:] == r_params
    assert "divisor_override" not in inspect.signature(F.avg_pool1d).parameters


# ------------------------------------------------------------------------------ errors
def test_errors(device):
    x = tnn.ones(1, 2, 6, 6, device=device)
    cases = [
        (lambda: F.max_pool2d(x, (2, 2, 2)), "max_pool2d: kernel_size must either be a single int, or a tuple of two ints"),
        (lambda: F.max_pool2d(x, 2, (1, 1, 1)), "max_pool2d: stride must either be omitted, a single int, or a tuple of two ints"),
        (lambda: F.max_pool2d(x, 2, 1, (1, 1, 1)), "max_pool2d: padding must either be a single int, or a tuple of two ints"),
        (lambda: F.max_pool2d(x, 2, 1, 0, (1, 1, 1)), "max_pool2d: dilation must be either a single int, or a tuple of two ints"),
        (lambda: F.max_pool2d(x, 3, padding=2), r"pad should be at most half of effective kernel size, but got pad=2, kernel_size=3 and dilation=1"),
        (lambda: F.max_pool2d(x, 2, 0), "stride should not be zero"),
        (lambda: F.max_pool2d(x, 2, -1), r"stride should be greater than zero, but got dH: -1 dW: -1"),
        (lambda: F.max_pool2d(x, 3, padding=-1), "pad must be non-negative, but got pad: -1"),
        (lambda: F.max_pool2d(x, 7), r"Given input size: \(2x6x6\). Calculated output size: \(2x0x0\). Output size is too small"),
        (lambda: F.max_pool2d(tnn.ones(6, 6, device=device), 2), "non-empty 3D or 4D \\(batch mode\\) tensor expected for input"),
        (lambda: F.max_pool3d(x[0], 2), "non-empty 4D or 5D \\(batch mode\\) tensor expected for input"),
        (lambda: F.max_pool2d(x, 2, dilation=0), "dilation should be greater than zero"),
        (lambda: F.max_pool2d(x, 3, padding=2, dilation=2), "pad should be smaller than or equal to half of kernel size, but got padW = 2, padH = 2, kW = 3, kH = 3"),
        (lambda: F.max_pool1d(x, 2), r"Expected 2D to 3D tensor, but got 4D tensor for argument #1 'self' \(while checking arguments for max_pool1d\)"),
        (lambda: F.max_pool1d(x[0], (2, 2)), r"max_pool1d\(\) argument 'kernel_size' should contain one int \(got 2\)"),
        (lambda: F.avg_pool2d(x, 2, divisor_override=0), "divisor must be not zero"),
        (lambda: F.avg_pool2d(x, 7), r"Given input size: \(2x6x6\). Calculated output size: \(2x0x0\). Output size is too small"),
        (lambda: F.avg_pool3d(tnn.ones(1, 1, 2, 6, 6, device=device), 3), r"input image \(T: 2 H: 6 W: 6\) smaller than kernel size \(kT: 3 kH: 3 kW: 3\)"),
        (lambda: F.avg_pool3d(x, (2, 2)), "avg_pool3d: kernel_size must be a single int, or a tuple of three ints"),
        (lambda: F.avg_pool1d(x[0], 4, padding=3), "pad should be at most half of effective kernel size, but got pad=3, kernel_size=4"),
        (lambda: F.max_pool2d(tnn.ones(1, 0, 4, 4, device=device), 2), "Expected 3D or 4D \\(batch mode\\) tensor with optional 0 dim batch size for input"),
        (lambda: F.adaptive_avg_pool2d(x, (1, 2, 3)), "adaptive_avg_pool2d: output_size must be 2"),
        (lambda: F.adaptive_avg_pool2d(x, (-1, 2)), "elements of output_size must be greater than or equal to 0"),
        (lambda: F.adaptive_avg_pool2d(x[0, 0], 2), r"adaptive_avg_pool2d\(\): Expected 3D or 4D tensor, but got \[6, 6\]"),
        (lambda: F.adaptive_max_pool2d(tnn.ones(1, 2, 0, 4, device=device), 2), "Expected input to have non-zero size for non-batch dimensions"),
        (lambda: F.adaptive_max_pool1d(x, 2), r"Expected 2D to 3D tensor, but got 4D tensor"),
        (lambda: F.max_pool2d(tnn.ones(1, 2, 4, 4, dtype=tnn.int64, device=device), 2), "\"max_pool2d\" not implemented for 'Long'"),
    ]
    for fn, msg in cases:
        with pytest.raises(RuntimeError, match=msg):
            fn()
    with pytest.raises(ValueError, match="Input dimension should be at least 3"):
        F.adaptive_avg_pool2d(tnn.ones(4, 4, device=device), (2, None))
    with pytest.raises(TypeError, match="must be Tensor"):
        F.max_pool2d([1.0], 2)


# ------------------------------------------------------------------------------ the reference itself
def _distinct(shape, seed):
    """Values far apart (no ties, so max is differentiable), random order."""
    n = int(np.prod(shape))
    return (np.random.default_rng(seed).permutation(n).reshape(shape) * 0.37 + 0.5).astype(np.float64)


@pytest.mark.parametrize("name,args,kwargs", [
    ("max_pool1d", (3,), dict(stride=2, padding=1, dilation=1, ceil_mode=True)),
    ("max_pool2d", ((2, 3),), dict(stride=(1, 2), padding=(1, 1), dilation=(2, 1))),
    ("max_pool3d", (2,), dict(stride=1, padding=1)),
    ("avg_pool1d", (3,), dict(stride=2, padding=1, ceil_mode=True, count_include_pad=False)),
    ("avg_pool2d", (3,), dict(stride=2, padding=1, ceil_mode=True)),
    ("avg_pool2d", (2,), dict(stride=1, divisor_override=3)),
    ("avg_pool3d", (2,), dict(stride=(1, 2, 1), padding=1, count_include_pad=False)),
    ("adaptive_avg_pool1d", (3,), {}), ("adaptive_avg_pool2d", ((2, 4),), {}), ("adaptive_avg_pool3d", ((2, 1, 3),), {}),
    ("adaptive_max_pool1d", (4,), {}), ("adaptive_max_pool2d", ((3, 2),), {}), ("adaptive_max_pool3d", ((2, 2, 3),), {}),
    ("lp_pool1d", (2, 3), dict(stride=2, ceil_mode=True)), ("lp_pool2d", (1.5, 2), {}), ("lp_pool3d", (3, 2), {}),
])
def test_reference_backward_matches_finite_differences(name, args, kwargs):
    nd = int(name[-2])
    shape = (2, 2) + (5,) * nd if nd < 3 else (1, 2, 3, 4, 3)
    fd.check(name, _distinct(shape, 0), *args, **kwargs)


def test_reference_unpool_backward_matches_finite_differences():
    x = _distinct((1, 2, 3, 3), 1)
    _, idx = ref.max_pool2d(_distinct((1, 2, 6, 6), 2), 2, return_indices=True)
    fd.check("max_unpool2d", x, idx, 2)
    _, idx1 = ref.max_pool1d(_distinct((2, 7), 3), 2, return_indices=True)
    fd.check("max_unpool1d", _distinct((2, 3), 4), idx1, 2)
    # disjoint windows: distinct indices (a repeated one keeps only its last value, not differentiable)
    _, idx3 = ref.max_pool3d(_distinct((1, 2, 4, 5, 4), 5), 2, return_indices=True)
    fd.check("max_unpool3d", _distinct((1, 2, 2, 2, 2), 6), idx3, 2, output_size=(4, 5, 4))
