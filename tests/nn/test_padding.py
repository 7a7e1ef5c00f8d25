"""F.pad against the NumPy float64 reference (tnn.reference.padding): forward and gradient for
every mode -- constant over any number of trailing dims with negative (cropping) pads and a fill
value, reflect / replicate / circular over 1-3 dims of batched and unbatched inputs -- over
fp32 / fp16 / bf16 / fp64, strided inputs and gradients; named edge cases (zero pads, outputs of
size 1, all-cropping pads, empty batches, integer inputs), grad_fn names, torch's error messages,
and the reference's backward by finite differences."""
import importlib

import numpy as np
import pytest
from hypothesis import given, strategies as st

import tnn
import tnn.nn.functional as F
from tnn.runtime import dtypes as dt
from tnn.testing import assert_close, layouts, make_tensor, random_array, to_numpy

from ..reference import fd

ref = importlib.import_module("tnn.reference.padding")
FLOATS = (dt.float32, dt.float16, dt.bfloat16, dt.float64)
SIZES = (1, 2, 3, 5, 7)


def _check(device, arr, pad, mode, value=None, layout="contiguous", g_layout="contiguous", seed=0):
    x = make_tensor(arr, layout, device, requires_grad=True)
    y = F.pad(x, pad, mode=mode, value=value)
    expected = ref.pad(arr, pad, mode, value)
    assert y.dtype is x.dtype and tuple(y.shape) == expected.shape
    assert_close(y.detach(), expected, dtype=x.dtype)
    g = random_array(x.dtype, expected.shape, seed + 1)
    y.backward(make_tensor(g, g_layout, device))
    (dx,) = ref.pad_backward(g, arr, pad, mode, value)
    assert x.grad.dtype is x.dtype and tuple(x.grad.shape) == arr.shape
    assert_close(x.grad, dx, dtype=x.dtype, reduce_len=8)
    return y


def _pads(draw, spatial, low, high):
    """(pad tuple in F.pad's order, for the trailing dims ``spatial``): per dim a (before, after)
    drawn from [low(n), high(n)] keeping the output size >= 1."""
    pairs = []
    for n in spatial:
        while True:
            b = draw(st.integers(low(n), high(n)))
            a = draw(st.integers(low(n), high(n)))
            if n + a + b >= 1:
                break
        pairs.append((b, a))
    return tuple(v for b, a in reversed(pairs) for v in (b, a))


# ------------------------------------------------------------------------------ properties
@given(st.data())
def test_constant_pad_matches_reference(device, data):
    shape = tuple(data.draw(st.lists(st.sampled_from(SIZES), min_size=1, max_size=4)))
    k = data.draw(st.integers(1, len(shape)))
    pad = _pads(data.draw, shape[len(shape) - k:], lambda n: -n + 1, lambda n: 3)
    value = data.draw(st.sampled_from([None, 0.0, 1.5, -2.0]))
    dtype = data.draw(st.sampled_from(FLOATS))
    seed = data.draw(st.integers(0, 2**31))
    _check(device, random_array(dtype, shape, seed), pad, "constant", value, data.draw(layouts()),
           data.draw(st.sampled_from(["contiguous", "transposed", "strided"])), seed)


@given(st.data())
def test_reflect_replicate_circular_match_reference(device, data):
    mode = data.draw(st.sampled_from(["reflect", "replicate", "circular"]))
    k = data.draw(st.integers(1, 3))
    batched = data.draw(st.booleans())
    spatial = tuple(data.draw(st.lists(st.sampled_from(SIZES), min_size=k, max_size=k)))
    lead = (data.draw(st.sampled_from([1, 2])), data.draw(st.sampled_from([1, 3]))) if batched else \
        (data.draw(st.sampled_from([1, 2])),)
    shape = lead + spatial
    if mode == "reflect":
        pad = _pads(data.draw, spatial, lambda n: -(n - 1), lambda n: n - 1)
    elif mode == "replicate":
        pad = _pads(data.draw, spatial, lambda n: -(n - 1), lambda n: 4)
    else:  # circular: positive pads wrap at most once around the cropped input
        pad = _pads(data.draw, spatial, lambda n: -(n - 1) // 2, lambda n: (n + 1) // 2)
    dtype = data.draw(st.sampled_from(FLOATS))
    seed = data.draw(st.integers(0, 2**31))
    _check(device, random_array(dtype, shape, seed), pad, mode, None, data.draw(layouts()),
           data.draw(st.sampled_from(["contiguous", "transposed", "strided"])), seed)


# ------------------------------------------------------------------------------ edge cases
@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_zero_pads_and_size_one_outputs(device, mode):
    arr = random_array(dt.float32, (2, 3, 4, 5), 1)
    y = _check(device, arr, (0, 0, 0, 0), mode)
    np.testing.assert_array_equal(to_numpy(y), arr)
    if mode != "circular":
        _check(device, arr, (-2, -2, 0, -3), mode)       # output (.., 1, 1)
    _check(device, random_array(dt.float32, (1, 1, 1), 2), (0, 0), mode)


def test_constant_crop_to_empty_and_many_dims(device):
    arr = random_array(dt.float32, (2, 3, 4), 3)
    x = tnn.tensor(arr, device=device, requires_grad=True)
    y = F.pad(x, (-2, -2))
    assert tuple(y.shape) == (2, 3, 0)
    y.sum().backward()
    assert_close(x.grad, np.zeros(arr.shape))
    _check(device, arr, (1, 0, 0, 2, 1, 1), "constant", value=7.0)   # all three dims, incl. the batch
    assert F.pad(x, (0, 0, -1, 0)).grad_fn.name() == "CloneBackward0"
    assert F.pad(x, (1, 0, -1, 0)).grad_fn.name() == "ConstantPadNdBackward0"


def test_replicate_large_pads_and_single_element(device):
    """Replicate's edge elements gather long ranges (pads larger than the input)."""
    _check(device, random_array(dt.float32, (1, 2, 1), 4), (6, 5), "replicate")
    _check(device, random_array(dt.float32, (1, 2, 3, 2), 5), (4, 1, 0, 5), "replicate")


def test_integer_and_bool_inputs_forward(device):
    arr = np.arange(12, dtype=np.int64).reshape(1, 3, 4)
    for mode in ("constant", "reflect", "replicate", "circular"):
        y = F.pad(tnn.tensor(arr, device=device), (2, 1), mode=mode)
        np.testing.assert_array_equal(to_numpy(y), ref.pad(arr, (2, 1), mode))
        assert y.dtype is tnn.int64
    y = F.pad(tnn.tensor(arr, device=device), (1, 1), value=-3)
    np.testing.assert_array_equal(to_numpy(y), ref.pad(arr, (1, 1), "constant", -3))
    b = F.pad(tnn.tensor(arr > 4, device=device), (1, 0), value=1.0)
    assert b.dtype is tnn.bool and to_numpy(b)[0, 0, 0]


def test_empty_batch(device):
    x = tnn.zeros(0, 2, 3, device=device, requires_grad=True)
    for mode in ("constant", "reflect", "replicate", "circular"):
        y = F.pad(x, (1, 2), mode=mode)
        assert tuple(y.shape) == (0, 2, 6)
        y.sum().backward()


def test_grad_fn_names(device):
    for k, shape in ((1, (1, 2, 4)), (2, (1, 2, 4, 4)), (3, (1, 2, 4, 4, 4))):
        x = tnn.ones(*shape, device=device, requires_grad=True)
        pad = (1, 1) * k
        assert F.pad(x, pad, mode="reflect").grad_fn.name() == f"ReflectionPad{k}DBackward0"
        assert F.pad(x, pad, mode="replicate").grad_fn.name() == f"ReplicationPad{k}DBackward0"
        assert F.pad(x, pad, mode="circular").grad_fn.name() == "CopySlices"
        assert F.pad(x, pad).grad_fn.name() == "ConstantPadNdBackward0"


def test_errors(device):
    x = tnn.ones(1, 2, 3, device=device)
    with pytest.raises(NotImplementedError, match="Unrecognised padding mode zeros"):
        F.pad(x, (1, 1), mode="zeros")
    with pytest.raises(RuntimeError, match="Padding length must be divisible by 2"):
        F.pad(x, (1, 1, 1))
    with pytest.raises(RuntimeError, match="Padding length should be less than or equal to two times the input "
                                           "dimension but got padding length 8 and input of dimension 3"):
        F.pad(x, (1,) * 8)
    with pytest.raises(RuntimeError, match=r"The input size 3, plus negative padding -2 and -2 resulted in a negative "
                                           r"output size, which is invalid. Check dimension 2 of your input."):
        F.pad(x, (-2, -2))
    with pytest.raises(RuntimeError, match=r"Argument #4: Padding size should be less than the corresponding input "
                                           r"dimension, but got: padding \(3, 0\) at dimension 2 of input \[1, 2, 3\]"):
        F.pad(x, (3, 0), mode="reflect")
    with pytest.raises(RuntimeError, match=r"Argument #6: .* padding \(0, 2\) at dimension 1 of input \[1, 2, 3\]"):
        F.pad(x, (0, 0, 0, 2), mode="reflect")
    with pytest.raises(RuntimeError, match='Padding mode "reflect" doesn\'t take in value argument'):
        F.pad(x, (1, 1), mode="reflect", value=2.0)
    F.pad(x, (1, 1), mode="reflect", value=0)  # 0 is accepted
    with pytest.raises(NotImplementedError, match="Only 2D, 3D, 4D, 5D padding with non-constant padding"):
        F.pad(tnn.ones(3, device=device), (1, 1), mode="replicate")
    with pytest.raises(NotImplementedError, match="Only 2D, 3D, 4D, 5D padding with non-constant padding"):
        F.pad(tnn.ones(1, 1, 2, 2, 2, 2, device=device), (1, 1, 1, 1), mode="reflect")
    with pytest.raises(RuntimeError, match="Padding value causes wrapping around more than once."):
        F.pad(x, (4, 0), mode="circular")
    with pytest.raises(RuntimeError, match="Expected 2D or 3D \\(batch mode\\) tensor with possibly 0 batch size"):
        F.pad(tnn.ones(1, 0, 3, device=device), (1, 1), mode="reflect")
    with pytest.raises(RuntimeError, match="is too small"):
        F.pad(x, (-2, -1), mode="replicate")
    with pytest.raises(TypeError, match="must be Tensor, not list"):
        F.pad([1.0], (1, 1))
    with pytest.raises(TypeError, match="must be tuple of ints"):
        F.pad(x, (1.5, 1))


# ------------------------------------------------------------------------------ the reference
@pytest.mark.parametrize("mode,pad", [("constant", (1, -1, 2, 0)), ("reflect", (2, 1, -1, 2)),
                                      ("replicate", (3, -1, 0, 2)), ("circular", (2, -1, 1, 2))])
def test_reference_backward_matches_finite_differences(mode, pad):
    fd.check("pad", fd.normal((1, 2, 3, 4)), pad, mode)
