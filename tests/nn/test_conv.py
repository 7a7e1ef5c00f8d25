"""F.conv1d/2d/3d and F.conv_transpose1d/2d/3d against the NumPy float64 reference
(tnn.reference.conv): forward and every gradient (input, weight, bias) over kernel sizes, strides,
paddings (int / tuple / 'same' / 'valid'), dilations, groups (depthwise too), bias on/off,
fp32 / fp16 / bf16 / fp64, non-contiguous inputs, unbatched inputs; the GPU's reduction chunking
(several taps per chunk) and the split (two-pass, deterministic) weight gradient forced on the
interpreter; named edge cases (kernel = input, stride > kernel, 1x1, 7x7/2 pad 3, batch of one,
empty batch); the reference's backward by finite differences; torch's error messages."""
import importlib

import numpy as np
import pytest
from hypothesis import given, strategies as st

import tnn
import tnn.nn.functional as F
from tnn.kernels import conv as K
from tnn.runtime import dtypes as dt
from tnn.testing import assert_close, make_tensor, random_array

from ..reference import fd

ref = importlib.import_module("tnn.reference.conv")
FLOATS = (dt.float32, dt.float16, dt.bfloat16, dt.float64)


def _out_len(i, k, s, p, d, transposed, op=0):
    if transposed:
        return (i - 1) * s - 2 * p + d * (k - 1) + op + 1
    return (i + 2 * p - d * (k - 1) - 1) // s + 1


def _check(device, nd, x_a, w_a, b_a, transposed=False, layout="contiguous", **kw):
    """Forward and every gradient of F.conv{nd}d / F.conv_transpose{nd}d against the reference."""
    name = f"conv_transpose{nd}d" if transposed else f"conv{nd}d"
    dtype = dt.from_numpy(x_a.dtype)
    x = make_tensor(x_a, layout, device, requires_grad=True)
    w = make_tensor(w_a, "contiguous", device, requires_grad=True)
    b = make_tensor(b_a, "contiguous", device, requires_grad=True) if b_a is not None else None
    y = getattr(F, name)(x, w, b, **kw)
    expected = getattr(ref, name)(x_a, w_a, b_a, **kw)
    assert y.dtype is dtype and tuple(y.shape) == expected.shape and y.is_contiguous()
    groups = kw.get("groups", 1)
    kvol = int(np.prod(w_a.shape[2:]))
    red = (w_a.shape[0] // groups if transposed else w_a.shape[1]) * kvol
    assert_close(y.detach(), expected, reduce_len=4 * red)
    if y.grad_fn is not None:
        assert y.grad_fn.name() in ("ConvolutionBackward0", "SqueezeBackward1", "SqueezeBackward0")
    g_a = random_array(dtype, expected.shape, 99, -1, 1)
    y.backward(make_tensor(g_a, "contiguous", device))
    dx, dw, db = getattr(ref, name + "_backward")(g_a, x_a, w_a, b_a, **kw)
    batch_space = max(1, int(np.prod(expected.shape[:1] + expected.shape[2:] if x_a.ndim == nd + 2
                                     else expected.shape[1:])))
    out_per_group = (w_a.shape[1] if transposed else w_a.shape[0] // groups) * kvol
    assert_close(x.grad, dx, reduce_len=4 * out_per_group)
    assert_close(w.grad, dw, reduce_len=4 * batch_space)
    if b is not None:
        assert_close(b.grad, db, reduce_len=4 * batch_space)
    return y


@st.composite
def conv_cases(draw, transposed=False):
    nd = draw(st.sampled_from([1, 2, 2, 3]))
    dtype = draw(st.sampled_from(FLOATS))
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    cin_g = draw(st.sampled_from([1, 2, 3]))
    cout_g = draw(st.sampled_from([1, 2, 3]))
    depthwise = draw(st.booleans()) and not transposed
    if depthwise:
        groups, cin_g, cout_g = draw(st.sampled_from([2, 4])), 1, 1
    N = draw(st.sampled_from([1, 2]))
    unbatched = draw(st.booleans()) and draw(st.booleans())
    max_k = {1: 4, 2: 3, 3: 2}[nd]
    k = tuple(draw(st.integers(1, max_k)) for _ in range(nd))
    s = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    d = tuple(draw(st.integers(1, 2)) for _ in range(nd))
    max_i = {1: 9, 2: 7, 3: 4}[nd]
    kw = {"stride": s, "dilation": d, "groups": groups}
    if transposed:
        p = tuple(draw(st.integers(0, 1)) for _ in range(nd))
        op = tuple(draw(st.integers(0, max(s[i], d[i]) - 1)) for i in range(nd))
        size = []
        for i in range(nd):
            n_in = draw(st.integers(1, max_i - 2))
            while _out_len(n_in, k[i], s[i], p[i], d[i], True, op[i]) < 1:
                n_in += 1
            size.append(n_in)
        size = tuple(size)
        kw.update(padding=p, output_padding=op)
        w_shape = (cin_g * groups, cout_g) + k
    else:
        pad = draw(st.sampled_from(["int", "tuple", "same", "valid"]))
        if pad == "same":
            s = kw["stride"] = (1,) * nd
            kw["padding"] = "same"
            p = tuple((d_ * (k_ - 1)) / 2 for d_, k_ in zip(d, k))
        elif pad == "valid":
            kw["padding"], p = "valid", (0,) * nd
        else:
            p = tuple(draw(st.integers(0, 2)) for _ in range(nd))
            kw["padding"] = p if pad == "tuple" else p[0]
            p = p if pad == "tuple" else (p[0],) * nd
        span = tuple(d_ * (k_ - 1) + 1 for d_, k_ in zip(d, k))
        size = tuple(max(draw(st.integers(1, max_i)), int(sp - 2 * p_)) for sp, p_ in zip(span, p))
        w_shape = (cout_g * groups, cin_g) + k
    for key in ("stride", "dilation"):
        if draw(st.booleans()) and len(set(kw[key])) == 1:
            kw[key] = kw[key][0]
    x_shape = (() if unbatched else (N,)) + (cin_g * groups,) + size
    seed = draw(st.integers(0, 2**31))
    x_a = random_array(dtype, x_shape, seed, -1, 1)
    w_a = random_array(dtype, w_shape, seed + 1, -1, 1)
    b_a = random_array(dtype, (w_shape[1] * groups if transposed else w_shape[0],), seed + 2, -1, 1) \
        if draw(st.booleans()) else None
    layout = draw(st.sampled_from(["contiguous", "transposed", "strided", "offset"]))
    return nd, x_a, w_a, b_a, layout, kw


# ------------------------------------------------------------------------------ properties
@given(conv_cases())
def test_conv_matches_reference(device, case):
    nd, x_a, w_a, b_a, layout, kw = case
    _check(device, nd, x_a, w_a, b_a, layout=layout, **kw)


@given(conv_cases(transposed=True))
def test_conv_transpose_matches_reference(device, case):
    nd, x_a, w_a, b_a, layout, kw = case
    _check(device, nd, x_a, w_a, b_a, transposed=True, layout=layout, **kw)


# (nd, N, C_in, C_out, size, kernel, kwargs): few channels (several taps per chunk on a GPU),
# many channels (one tap per chunk), depthwise (multiply-sum), a 7x7/2 stem, conv_transpose.
GPU_PATH_CASES = [
    (2, 2, 3, 5, (9, 8), (7, 7), dict(stride=2, padding=3)),
    (2, 1, 17, 18, (4, 5), (3, 3), dict(padding=1)),
    (2, 2, 4, 4, (6, 6), (3, 3), dict(padding=1, groups=4)),
    (1, 2, 20, 3, (7,), (1,), dict(stride=2)),
    (3, 1, 2, 16, (3, 4, 3), (2, 3, 2), dict(padding=(1, 0, 1), dilation=(1, 1, 2))),
]


@pytest.mark.parametrize("mode", ["gpu", "flat", "positions"])
@pytest.mark.parametrize("nd,N,cin,cout,size,k,kw", GPU_PATH_CASES)
def test_reduction_chunkings(device, monkeypatch, mode, nd, N, cin, cout, size, k, kw):
    """The GPU's chunking (BLOCK_R > 1 taps per chunk below 16 channels, 16-wide tiles) and both
    interpreter chunkings give the same results; the weight gradient split in 3 (two passes)."""
    monkeypatch.setattr(K, "INTERPRETER_CHUNKS", mode)
    monkeypatch.setattr(K, "WEIGHT_SPLIT", 3 if mode == "gpu" else None)
    g = kw.get("groups", 1)
    x_a = random_array(dt.float32, (N, cin) + size, 1, -1, 1)
    w_a = random_array(dt.float32, (cout, cin // g) + k, 2, -1, 1)
    b_a = random_array(dt.float32, (cout,), 3, -1, 1)
    _check(device, nd, x_a, w_a, b_a, **kw)
    wt = random_array(dt.float32, (cin, cout // g) + k, 4, -1, 1)
    kwt = {key: v for key, v in kw.items() if key != "padding"}
    _check(device, nd, x_a, wt, None, transposed=True, **kwt)


def test_split_weight_gradient_is_deterministic(device, monkeypatch):
    """Per-split fp32 partials summed in a fixed order: identical bits on every run, and equal
    (to rounding) to the unsplit reduction."""
    x_a = random_array(dt.float32, (3, 4, 7, 6), 5)
    w_a = random_array(dt.float32, (6, 4, 3, 3), 6)
    grads = []
    for split in (4, 4, None):
        monkeypatch.setattr(K, "WEIGHT_SPLIT", split)
        monkeypatch.setattr(K, "INTERPRETER_CHUNKS", "gpu" if split else "auto")
        x = tnn.tensor(x_a, device=device)
        w = tnn.tensor(w_a, device=device, requires_grad=True)
        b = tnn.zeros(6, device=device, requires_grad=True)
        F.conv2d(x, w, b, padding=1).square().sum().backward()
        grads.append((w.grad.numpy().copy(), b.grad.numpy().copy()))
    assert all(np.array_equal(a, b) for a, b in zip(grads[0], grads[1]))
    for a, b in zip(grads[0], grads[2]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-3)


# ------------------------------------------------------------------------------ edge cases
EDGE = [
    ("kernel equals input", 2, (2, 3, 5, 4), (4, 3, 5, 4), {}),
    ("stride larger than kernel", 2, (2, 2, 9, 8), (3, 2, 2, 2), dict(stride=3)),
    ("1x1", 2, (2, 5, 3, 4), (7, 5, 1, 1), {}),
    ("7x7 stride 2 padding 3", 2, (1, 3, 9, 9), (4, 3, 7, 7), dict(stride=2, padding=3)),
    ("batch of one", 1, (1, 3, 7), (2, 3, 3), dict(padding=1)),
    ("same, even kernel (asymmetric)", 2, (2, 2, 5, 6), (3, 2, 4, 2), dict(padding="same", dilation=(1, 2))),
    ("depthwise multiplier 2", 2, (2, 3, 5, 5), (6, 1, 3, 3), dict(groups=3, padding=1)),
    ("3-d", 3, (1, 2, 3, 4, 5), (2, 2, 3, 3, 3), dict(padding=1, stride=(1, 2, 2))),
]


@pytest.mark.parametrize("name,nd,x_shape,w_shape,kw", EDGE, ids=[e[0] for e in EDGE])
def test_named_edge_cases(device, name, nd, x_shape, w_shape, kw):
    x_a = random_array(dt.float64, x_shape, 1, -1, 1)
    w_a = random_array(dt.float64, w_shape, 2, -1, 1)
    _check(device, nd, x_a, w_a, random_array(dt.float64, (w_shape[0],), 3), **kw)


@pytest.mark.parametrize("transposed", [False, True])
def test_empty_batch(device, transposed):
    """N = 0: an empty output; the weight and bias gradients are zeros (nothing to reduce)."""
    fn = F.conv_transpose2d if transposed else F.conv2d
    x = tnn.zeros(0, 3, 5, 5, device=device, requires_grad=True)
    w = tnn.ones(3, 4, 3, 3, device=device, requires_grad=True) if transposed else \
        tnn.ones(4, 3, 3, 3, device=device, requires_grad=True)
    b = tnn.ones(4, device=device, requires_grad=True)
    y = fn(x, w, b, padding=1)
    assert tuple(y.shape) == (0, 4, 5, 5)
    y.sum().backward()
    assert tuple(x.grad.shape) == (0, 3, 5, 5)
    assert (w.grad.numpy() == 0).all() and (b.grad.numpy() == 0).all()


def test_unbatched_and_grad_fn(device):
    x_a = random_array(dt.float32, (3, 6, 5), 1)
    w_a = random_array(dt.float32, (4, 3, 3, 3), 2)
    y = _check(device, 2, x_a, w_a, None, padding=1)
    assert tuple(y.shape) == (4, 6, 5)
    x = tnn.tensor(random_array(dt.float32, (1, 3, 6, 5), 1), device=device, requires_grad=True)
    assert F.conv2d(x, tnn.tensor(w_a, device=device)).grad_fn.name() == "ConvolutionBackward0"
    assert F.conv_transpose2d(x, tnn.tensor(w_a.transpose(1, 0, 2, 3).copy(), device=device)).grad_fn.name() == \
        "ConvolutionBackward0"
    with tnn.no_grad():
        assert F.conv2d(x, tnn.tensor(w_a, device=device)).grad_fn is None


def test_lenet_sized_layers(device):
    """The two conv layers of a LeNet on 8x8 digits (batch 64), forward and backward."""
    for N, cin, cout, hw in ((64, 1, 8, 8), (64, 8, 16, 4)):
        x_a = random_array(dt.float32, (N, cin, hw, hw), 1, -1, 1)
        w_a = random_array(dt.float32, (cout, cin, 3, 3), 2, -1, 1)
        _check(device, 2, x_a, w_a, random_array(dt.float32, (cout,), 3), padding=1)


# ------------------------------------------------------------------------------ reference by FD
REF_CASES = [
    ("conv1d", (2, 4, 7), (6, 2, 3), dict(stride=2, padding=1, dilation=2, groups=2)),
    ("conv1d", (3, 6), (2, 3, 4), dict(padding="same")),
    ("conv2d", (1, 2, 5, 4), (3, 2, 2, 3), dict(stride=(2, 1), padding=(1, 0))),
    ("conv2d", (1, 2, 4, 4), (2, 1, 3, 2), dict(padding="same", groups=2, dilation=(1, 2))),
    ("conv3d", (1, 2, 3, 3, 4), (2, 2, 2, 1, 2), dict(padding=1, stride=2)),
    ("conv_transpose1d", (2, 4, 3), (4, 3, 3), dict(stride=2, padding=1, output_padding=1, groups=2, dilation=2)),
    ("conv_transpose2d", (1, 2, 3, 2), (2, 3, 2, 3), dict(stride=(2, 3), padding=(0, 1), output_padding=(1, 2))),
    ("conv_transpose2d", (2, 3, 3), (2, 2, 2, 2), {}),
    ("conv_transpose3d", (1, 2, 2, 2, 3), (2, 2, 2, 2, 1), dict(stride=2, padding=(1, 0, 0))),
]


@pytest.mark.parametrize("name,x_shape,w_shape,kw", REF_CASES)
def test_reference_backward_by_finite_differences(name, x_shape, w_shape, kw):
    transposed = "transpose" in name
    groups = kw.get("groups", 1)
    n_b = w_shape[1] * groups if transposed else w_shape[0]
    fd.check(name, fd.normal(x_shape, 1), fd.normal(w_shape, 2), fd.normal((n_b,), 3), **kw)
    fd.check(name, fd.normal(x_shape, 4), fd.normal(w_shape, 5), **kw)


def test_reference_matches_definition():
    """A 1-d conv and its transpose written out by hand."""
    x = np.array([[[1.0, 2, 3, 4, 5]]])
    w = np.array([[[1.0, 0, -1]]])
    np.testing.assert_allclose(ref.conv1d(x, w, padding=1), [[[-2.0, -2, -2, -2, 4]]])
    np.testing.assert_allclose(ref.conv1d(x, w, stride=2), [[[-2.0, -2]]])
    np.testing.assert_allclose(ref.conv_transpose1d(np.array([[[1.0, 2]]]), w, stride=2),
                               [[[1.0, 0, 1, 0, -2]]])


# ------------------------------------------------------------------------------ errors
def test_errors(device):
    x = tnn.ones(1, 4, 5, 5, device=device)
    w = tnn.ones(8, 3, 3, 3, device=device)
    with pytest.raises(RuntimeError, match=r"Given groups=1, weight of size \[8, 3, 3, 3\], expected input\[1, 4, 5, 5\] "
                                           r"to have 3 channels, but got 4 channels instead"):
        F.conv2d(x, w)
    with pytest.raises(RuntimeError, match=r"Expected 3-dimensional input for 3-dimensional weight \[8, 4, 3\], but got "
                                           r"4-dimensional input of size \[1, 4, 5, 5\] instead"):
        F.conv2d(x, tnn.ones(8, 4, 3, device=device))
    with pytest.raises(RuntimeError, match=r"Expected 3D \(unbatched\) or 4D \(batched\) input to conv2d, but got input "
                                           r"of size: \[4, 5\]"):
        F.conv2d(tnn.ones(4, 5, device=device), w)
    with pytest.raises(RuntimeError, match="Given groups=3, expected weight to be divisible by 3 at dimension 0"):
        F.conv2d(tnn.ones(1, 3, 5, 5, device=device), tnn.ones(4, 1, 3, 3, device=device), groups=3)
    with pytest.raises(RuntimeError, match=r"Calculated padded input size per channel: \(4 x 4\). Kernel size: \(5 x 5\). "
                                           r"Kernel size can't be greater than actual input size"):
        F.conv2d(tnn.ones(1, 3, 4, 4, device=device), tnn.ones(2, 3, 5, 5, device=device))
    with pytest.raises(RuntimeError, match=r"Kernel size: \(5 x 5\)"):   # dilation 2 on a 3x3 kernel
        F.conv2d(tnn.ones(1, 3, 4, 4, device=device), w, dilation=2)
    with pytest.raises(RuntimeError, match="padding='same' is not supported for strided convolutions"):
        F.conv2d(tnn.ones(1, 3, 5, 5, device=device), w, stride=2, padding="same")
    with pytest.raises(RuntimeError, match="Invalid padding string: 'full'"):
        F.conv2d(tnn.ones(1, 3, 5, 5, device=device), w, padding="full")
    with pytest.raises(RuntimeError, match="negative padding is not supported"):
        F.conv2d(tnn.ones(1, 3, 5, 5, device=device), w, padding=-1)
    with pytest.raises(RuntimeError, match="non-positive stride is not supported"):
        F.conv1d(tnn.ones(1, 3, 5, device=device), tnn.ones(2, 3, 3, device=device), stride=0)
    with pytest.raises(RuntimeError, match="expected stride to be a single integer value or a list of 2 values"):
        F.conv2d(tnn.ones(1, 3, 5, 5, device=device), w, stride=(1, 1, 1))
    with pytest.raises(RuntimeError, match=r"Input type \(torch.FloatTensor\) and weight type \(torch.HalfTensor\) "
                                           r"should be the same"):
        F.conv2d(tnn.ones(1, 3, 5, 5, device=device), w.half())
    with pytest.raises(RuntimeError, match="and bias type"):
        F.conv2d(tnn.ones(1, 3, 5, 5, device=device), w, tnn.ones(8, device=device, dtype=tnn.float64))
    with pytest.raises(RuntimeError, match=r"expected bias to be 1-dimensional with 8 elements, but got bias of size \[7\]"):
        F.conv2d(tnn.ones(1, 3, 5, 5, device=device), w, tnn.ones(7, device=device))
    with pytest.raises(RuntimeError, match="not implemented for 'Long'"):
        F.conv2d(tnn.ones(1, 3, 5, 5, device=device, dtype=tnn.int64), w.long())
    with pytest.raises(TypeError, match="must be Tensor"):
        F.conv2d([1.0], w)
    # conv_transpose
    with pytest.raises(RuntimeError, match="output padding must be smaller than either stride or dilation"):
        F.conv_transpose2d(tnn.ones(1, 8, 3, 3, device=device), w, output_padding=1)
    with pytest.raises(RuntimeError, match=r"Given transposed=1, weight of size \[8, 3, 3, 3\], expected input\[1, 4, 3, 3\] "
                                           r"to have 8 channels, but got 4 channels instead"):
        F.conv_transpose2d(tnn.ones(1, 4, 3, 3, device=device), w)
    with pytest.raises(RuntimeError, match="Output size is too small"):
        F.conv_transpose2d(tnn.ones(1, 8, 1, 1, device=device), w, padding=2)
    with pytest.raises(TypeError, match="argument 'padding' must be tuple of ints, not str"):
        F.conv_transpose2d(tnn.ones(1, 8, 3, 3, device=device), w, padding="same")
