"""F.interpolate (nearest, nearest-exact, linear / bilinear / trilinear, bicubic, antialiased
bilinear / bicubic; the deprecated upsample wrappers), F.unfold / F.fold and F.pixel_shuffle /
F.pixel_unshuffle against the NumPy float64 reference (tnn.reference.vision): forward and
gradient over sizes and scale factors (up, down, 1, size equal to the input, outputs of size 1),
align_corners, recompute_scale_factor, fp32 / fp16 / bf16 / fp64, strided inputs and gradients; grad_fn names, torch's errors and
warnings, and the reference's backwards by finite differences."""
import importlib
import inspect
import warnings

import numpy as np
import pytest
from hypothesis import given, strategies as st

import tnn
import tnn.nn.functional as F
from tnn.runtime import dtypes as dt
from tnn.testing import assert_close, layouts, make_tensor, random_array, to_numpy

from ..reference import fd

ref = importlib.import_module("tnn.reference.vision")
FLOATS = (dt.float32, dt.float16, dt.bfloat16, dt.float64)
G_LAYOUTS = ["contiguous", "transposed", "strided"]
LINEAR = {1: "linear", 2: "bilinear", 3: "trilinear"}


def _check(device, name, arr, *args, layout="contiguous", g_layout="contiguous", seed=0, reduce_len=8, **kwargs):
    """Forward and gradient of F.<name>(x, *args, **kwargs) against ref.<name>; returns y."""
    x = make_tensor(arr, layout, device, requires_grad=True)
    y = getattr(F, name)(x, *args, **kwargs)
    expected = getattr(ref, name)(arr, *args, **kwargs)
    assert y.dtype is x.dtype and tuple(y.shape) == expected.shape, (tuple(y.shape), expected.shape)
    assert_close(y.detach(), expected, dtype=x.dtype, reduce_len=reduce_len)
    g = random_array(x.dtype, expected.shape, seed + 1)
    y.backward(make_tensor(g, g_layout, device))
    (dx,) = getattr(ref, name + "_backward")(g, arr, *args, **kwargs)
    assert x.grad.dtype is x.dtype and tuple(x.grad.shape) == arr.shape
    assert_close(x.grad, dx, dtype=x.dtype, reduce_len=4 * reduce_len)
    return y


# ------------------------------------------------------------------------------ interpolate
@given(st.data())
def test_interpolate_matches_reference(device, data):
    k = data.draw(st.integers(1, 3))
    mode = data.draw(st.sampled_from(["nearest", "nearest-exact", LINEAR[k]]))
    spatial = tuple(data.draw(st.lists(st.sampled_from([1, 2, 3, 5, 7]), min_size=k, max_size=k)))
    shape = (data.draw(st.sampled_from([1, 2])), data.draw(st.sampled_from([1, 3]))) + spatial
    kwargs = {"mode": mode}
    if data.draw(st.booleans()):
        size = tuple(data.draw(st.sampled_from([1, 2, 4, n, 2 * n, 9])) for n in spatial)
        kwargs["size"] = size if k > 1 or data.draw(st.booleans()) else size[0]
    else:
        factors = st.sampled_from([0.5, 0.7, 1.0, 1.5, 2.0, 2.5, 3.0])
        kwargs["scale_factor"] = (tuple(data.draw(factors) for _ in spatial) if data.draw(st.booleans())
                                  else data.draw(factors))
        if any(int(n * f) < 1 for n, f in zip(spatial, np.broadcast_to(kwargs["scale_factor"], (k,)))):
            kwargs["scale_factor"] = 2.0
        kwargs["recompute_scale_factor"] = data.draw(st.sampled_from([None, False, True]))
    if mode == LINEAR[k]:
        kwargs["align_corners"] = data.draw(st.sampled_from([None, False, True]))
    dtype = data.draw(st.sampled_from(FLOATS))
    seed = data.draw(st.integers(0, 2**31))
    _check(device, "interpolate", random_array(dtype, shape, seed), layout=data.draw(layouts()),
           g_layout=data.draw(st.sampled_from(G_LAYOUTS)), seed=seed, **kwargs)


@given(st.data())
def test_interpolate_bicubic_and_antialias_match_reference(device, data):
    """Bicubic (A = -0.75, unclamped source index, clamped taps) and the antialiased bilinear /
    bicubic filters, up- and downsampling, size= and (non-integer) scale_factor=."""
    mode, antialias = data.draw(st.sampled_from([("bicubic", False), ("bicubic", False), ("bicubic", True),
                                                  ("bilinear", True)]))
    spatial = tuple(data.draw(st.lists(st.sampled_from([1, 2, 3, 5, 7, 11]), min_size=2, max_size=2)))
    shape = (data.draw(st.sampled_from([1, 2])), data.draw(st.sampled_from([1, 3]))) + spatial
    kwargs = {"mode": mode, "antialias": antialias,
              "align_corners": data.draw(st.sampled_from([None, False, True]))}
    if data.draw(st.booleans()):
        size = tuple(data.draw(st.sampled_from([1, 2, 3, n, 2 * n + 1, 13])) for n in spatial)
        kwargs["size"] = size if data.draw(st.booleans()) else size[0]
    else:
        factors = st.sampled_from([0.3, 0.5, 0.7, 1.0, 1.3, 2.0, 2.5, 3.7])
        kwargs["scale_factor"] = (tuple(data.draw(factors) for _ in spatial) if data.draw(st.booleans())
                                  else data.draw(factors))
        if any(int(n * f) < 1 for n, f in zip(spatial, np.broadcast_to(kwargs["scale_factor"], (2,)))):
            kwargs["scale_factor"] = 1.5
        kwargs["recompute_scale_factor"] = data.draw(st.sampled_from([None, False, True]))
    dtype = data.draw(st.sampled_from(FLOATS))
    seed = data.draw(st.integers(0, 2**31))
    y = _check(device, "interpolate", random_array(dtype, shape, seed), layout=data.draw(layouts()),
               g_layout=data.draw(st.sampled_from(G_LAYOUTS)), seed=seed, reduce_len=16, **kwargs)
    name = ("UpsampleBicubic2D" if mode == "bicubic" else "UpsampleBilinear2D") + ("Aa" if antialias else "")
    assert y.grad_fn.name() == name + "Backward0"


@pytest.mark.parametrize("kwargs", [dict(size=(2, 40), mode="bicubic"), dict(size=(40, 3), mode="bicubic",
                                                                           align_corners=True),
                                    dict(size=(3, 2), mode="bicubic"),
                                    dict(size=(3, 2), mode="bicubic", antialias=True),
                                    dict(scale_factor=(0.13, 4.3), mode="bilinear", antialias=True)])
def test_interpolate_bicubic_antialias_long_gathers(device, kwargs):
    """Large up / downsampling: each input index gathers a long run of outputs (or a wide
    antialias window) in the backward; 2-pixel inputs make every output's taps clamp."""
    arr = random_array(dt.float32, (1, 2, 31, 2), 3)
    _check(device, "interpolate", arr, reduce_len=64, **kwargs)


def test_interpolate_bicubic_identities(device):
    """Same size (even through a scale factor) copies, as torch; constant images stay constant
    (the four weights sum to 1 and clamped border taps repeat the edge); antialiased bilinear
    upsampling without align_corners equals plain bilinear (the triangle filter at scale < 1 is
    linear interpolation, the window's normalisation at the borders is bilinear's clamp)."""
    arr = random_array(dt.float32, (2, 3, 3, 5), 4)
    for kw in (dict(size=(3, 5)), dict(scale_factor=1.0), dict(scale_factor=(1.2, 1.1)),
               dict(size=(3, 5), align_corners=True)):
        y = _check(device, "interpolate", arr, mode="bicubic", **kw)
        np.testing.assert_array_equal(to_numpy(y), arr)
    const = np.full((1, 2, 4, 3), 1.5, np.float32)
    for kw in (dict(size=(9, 2)), dict(scale_factor=2.5, align_corners=True), dict(size=(1, 7), antialias=True)):
        y = F.interpolate(tnn.tensor(const, device=device), mode="bicubic", **kw)
        assert_close(y, np.full(tuple(y.shape), 1.5), reduce_len=16)
    x = tnn.tensor(arr, device=device)
    for kw in (dict(size=(7, 12)), dict(scale_factor=2.5), dict(size=(5, 11), align_corners=False)):
        assert_close(F.interpolate(x, mode="bilinear", antialias=True, **kw),
                     F.interpolate(x, mode="bilinear", **kw), reduce_len=4)


def test_upsample_bicubic_paths(device):
    """F.upsample and nn.Upsample reach the bicubic kernels."""
    arr = random_array(dt.float32, (1, 2, 3, 4), 5)
    with pytest.warns(UserWarning, match="upsample` is deprecated"):
        y = _check(device, "upsample", arr, scale_factor=2, mode="bicubic", align_corners=False)
    assert y.grad_fn.name() == "UpsampleBicubic2DBackward0"
    m = tnn.nn.Upsample(size=(5, 2), mode="bicubic", align_corners=True)
    assert_close(m(tnn.tensor(arr, device=device)), ref.interpolate(arr, (5, 2), mode="bicubic", align_corners=True),
                 reduce_len=16)


@pytest.mark.parametrize("mode", ["nearest", "nearest-exact", "bilinear"])
def test_interpolate_edge_sizes(device, mode):
    """Scale 1, size equal to the input (identity), output size 1, downsampling, and a large
    upsampling factor (each input gathers a long run of outputs in the backward)."""
    arr = random_array(dt.float32, (2, 3, 5, 4), 1)
    align = {"align_corners": False} if mode == "bilinear" else {}
    y = _check(device, "interpolate", arr, scale_factor=1.0, mode=mode, **align)
    np.testing.assert_array_equal(to_numpy(y), arr)
    y = _check(device, "interpolate", arr, size=(5, 4), mode=mode, **align)
    np.testing.assert_array_equal(to_numpy(y), arr)
    _check(device, "interpolate", arr, size=1, mode=mode, **align)
    _check(device, "interpolate", arr, size=(2, 3), mode=mode, **align)
    _check(device, "interpolate", random_array(dt.float32, (1, 2, 2, 1), 2), size=(19, 23), mode=mode, **align)
    if mode == "bilinear":
        _check(device, "interpolate", arr, size=1, mode=mode, align_corners=True)
        _check(device, "interpolate", random_array(dt.float32, (1, 2, 1, 3), 3), size=(4, 17), mode=mode,
               align_corners=True)


def test_upsample_wrappers_warn_and_match(device):
    arr = random_array(dt.float32, (1, 2, 3, 4), 4)
    x = tnn.tensor(arr, device=device)
    with pytest.warns(UserWarning, match="`nn.functional.upsample` is deprecated"):
        y = F.upsample(x, scale_factor=2, mode="bilinear")
    assert_close(y, ref.upsample(arr, scale_factor=2, mode="bilinear"), reduce_len=4)
    with pytest.warns(UserWarning, match="upsample_nearest` is deprecated"):
        y = F.upsample_nearest(x, size=(5, 7))
    assert_close(y, ref.upsample_nearest(arr, size=(5, 7)))
    with pytest.warns(UserWarning, match="upsample_bilinear` is deprecated"):
        _check(device, "upsample_bilinear", arr, size=(5, 6))
    with pytest.warns(UserWarning):
        y = F.upsample_bilinear(x, scale_factor=2)
    assert_close(y, ref.interpolate(arr, scale_factor=2, mode="bilinear", align_corners=True), reduce_len=4)


def test_interpolate_grad_fn_names(device):
    x3, x4, x5 = (tnn.ones(*s, device=device, requires_grad=True) for s in ((1, 1, 2), (1, 1, 2, 2), (1, 1, 2, 2, 2)))
    for x, k in ((x3, 1), (x4, 2), (x5, 3)):
        assert F.interpolate(x, scale_factor=2).grad_fn.name() == f"UpsampleNearest{k}DBackward0"
        assert F.interpolate(x, scale_factor=2, mode="nearest-exact").grad_fn.name() == \
            f"UpsampleNearestExact{k}DBackward0"
    assert F.interpolate(x3, size=3, mode="linear").grad_fn.name() == "UpsampleLinear1DBackward0"
    assert F.interpolate(x4, size=3, mode="bilinear").grad_fn.name() == "UpsampleBilinear2DBackward0"
    assert F.interpolate(x5, size=3, mode="trilinear").grad_fn.name() == "UpsampleTrilinear3DBackward0"
    assert F.interpolate(x4, size=3, mode="bicubic").grad_fn.name() == "UpsampleBicubic2DBackward0"
    assert F.interpolate(x4, size=3, mode="bilinear", antialias=True).grad_fn.name() == \
        "UpsampleBilinear2DAaBackward0"
    assert F.interpolate(x4, size=3, mode="bicubic", antialias=True).grad_fn.name() == "UpsampleBicubic2DAaBackward0"


def test_interpolate_nearest_integer_input(device):
    arr = np.arange(24, dtype=np.uint8).reshape(1, 2, 3, 4)
    y = F.interpolate(tnn.tensor(arr, device=device), size=(5, 7))
    assert y.dtype is tnn.uint8
    np.testing.assert_array_equal(to_numpy(y), ref.interpolate(arr, size=(5, 7)).astype(np.uint8))


def test_interpolate_errors(device):
    x = tnn.ones(1, 2, 3, 4, device=device)
    with pytest.raises(ValueError, match="align_corners option can only be set with the interpolating modes"):
        F.interpolate(x, scale_factor=2, align_corners=True)
    with pytest.raises(ValueError, match="only one of size or scale_factor should be defined"):
        F.interpolate(x, size=2, scale_factor=2)
    with pytest.raises(ValueError, match="either size or scale_factor should be defined"):
        F.interpolate(x)
    with pytest.raises(ValueError, match="Input and output must have the same number of spatial dimensions"):
        F.interpolate(x, size=(2, 3, 4))
    with pytest.raises(ValueError, match="Input and scale_factor must have the same number of spatial dimensions"):
        F.interpolate(x, scale_factor=(2.0,))
    with pytest.raises(TypeError, match="expected size to be one of int or Tuple"):
        F.interpolate(x, size=(2.5, 3))
    with pytest.raises(ValueError, match="recompute_scale_factor is not meaningful with an explicit size."):
        F.interpolate(x, size=5, recompute_scale_factor=True)
    with pytest.raises(ValueError, match="Anti-alias option is restricted to bilinear and bicubic modes"):
        F.interpolate(x, size=5, antialias=True)
    with pytest.raises(NotImplementedError, match="Got 4D input, but linear mode needs 3D input"):
        F.interpolate(x, size=5, mode="linear")
    with pytest.raises(NotImplementedError, match="Got 3D input, but bilinear mode needs 4D input"):
        F.interpolate(tnn.ones(1, 2, 3, device=device), size=5, mode="bilinear")
    with pytest.raises(NotImplementedError, match=r"Only 3D, 4D and 5D input Tensors supported \(got 2D\)"):
        F.interpolate(tnn.ones(2, 3, device=device), size=5)
    with pytest.raises(NotImplementedError, match=r"Only 3D, 4D and 5D input Tensors supported \(got 3D\) for the "
                                                  r"modes: .* \(got bicubic\)"):
        F.interpolate(tnn.ones(1, 2, 3, device=device), size=5, mode="bicubic")
    with pytest.raises(ValueError, match="Anti-alias option is restricted to bilinear and bicubic modes and requires "
                                         "a 4-D tensor"):
        F.interpolate(tnn.ones(1, 1, 2, 2, 2, device=device), size=3, mode="trilinear", antialias=True)
    with pytest.raises(RuntimeError, match="\"upsample_bicubic2d_out_frame\" not implemented for 'Long'"):
        F.interpolate(tnn.ones(1, 1, 2, 2, dtype=tnn.int64, device=device), size=3, mode="bicubic")
    with pytest.raises(RuntimeError, match="\"_upsample_bilinear2d_aa\" not implemented for 'Int'"):
        F.interpolate(tnn.ones(1, 1, 2, 2, dtype=tnn.int32, device=device), size=3, mode="bilinear", antialias=True)
    with pytest.raises(RuntimeError, match=r"Input and output sizes should be greater than 0, but got input "
                                           r"\(H: 3, W: 4\) output \(H: 0, W: 1\)"):
        F.interpolate(x, scale_factor=0.3, mode="bicubic", antialias=True)
    with pytest.raises(RuntimeError, match=r"Input and output sizes should be greater than 0, but got input "
                                           r"\(H: 3, W: 4\) output \(H: 0, W: 1\)"):
        F.interpolate(x, scale_factor=0.3)
    with pytest.raises(RuntimeError, match="Non-empty 4D data tensor expected"):
        F.interpolate(tnn.ones(1, 0, 3, 4, device=device), size=5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.interpolate(x, size=5, mode="bilinear")  # align_corners=None: no warning


# ------------------------------------------------------------------------------ unfold / fold
def _geometry(data):
    k = tuple(data.draw(st.integers(1, 3)) for _ in range(2))
    d = tuple(data.draw(st.integers(1, 2)) for _ in range(2))
    p = tuple(data.draw(st.integers(0, 2)) for _ in range(2))
    s = tuple(data.draw(st.integers(1, 3)) for _ in range(2))
    return k, d, p, s


@given(st.data())
def test_unfold_fold_match_reference(device, data):
    k, d, p, s = _geometry(data)
    H, W = (data.draw(st.sampled_from([1, 2, 3, 5, 7])) for _ in range(2))
    if (H + 2 * p[0] - d[0] * (k[0] - 1) - 1) < 0 or (W + 2 * p[1] - d[1] * (k[1] - 1) - 1) < 0:
        p = (p[0] + d[0] * (k[0] - 1), p[1] + d[1] * (k[1] - 1))
    C = data.draw(st.sampled_from([1, 2, 3]))
    batch = data.draw(st.sampled_from([(), (1,), (2,)]))
    dtype = data.draw(st.sampled_from(FLOATS))
    seed = data.draw(st.integers(0, 2**31))
    kw = dict(kernel_size=k if data.draw(st.booleans()) else list(k), dilation=d, padding=p, stride=s)
    _check(device, "unfold", random_array(dtype, batch + (C, H, W), seed), layout=data.draw(layouts()),
           g_layout=data.draw(st.sampled_from(G_LAYOUTS)), seed=seed, reduce_len=k[0] * k[1], **kw)
    cols = ref.unfold(np.zeros(batch + (C, H, W)), **kw).shape
    _check(device, "fold", random_array(dtype, cols, seed + 7), (H, W), layout=data.draw(layouts()),
           g_layout=data.draw(st.sampled_from(G_LAYOUTS)), seed=seed, reduce_len=k[0] * k[1], **kw)


def test_unfold_fold_int_arguments_and_names(device):
    arr = random_array(dt.float32, (2, 3, 4, 5), 5)
    y = _check(device, "unfold", arr, 2, padding=1, stride=2)
    assert y.grad_fn.name() == "Im2ColBackward0"
    z = _check(device, "fold", to_numpy(y), (4, 5), 2, padding=1, stride=2)
    assert z.grad_fn.name() == "Col2ImBackward0"
    assert F.unfold(tnn.ones(3, 4, 5, device=device, requires_grad=True), 2).grad_fn.name() == "Im2ColBackward0"


def test_unfold_fold_errors(device):
    x = tnn.ones(1, 2, 3, 3, device=device)
    with pytest.raises(RuntimeError, match="kernel size should be greater than zero, but got kernel_height: 0"):
        F.unfold(x, (0, 1))
    with pytest.raises(RuntimeError, match="dilation should be greater than zero"):
        F.unfold(x, 2, dilation=0)
    with pytest.raises(RuntimeError, match="padding should be non-negative, but got pad_height: -1 pad_width: -1"):
        F.unfold(x, 2, padding=-1)
    with pytest.raises(RuntimeError, match="stride should be greater than zero"):
        F.unfold(x, 2, stride=0)
    with pytest.raises(RuntimeError, match=r"Expected 3D or 4D \(batch mode\) tensor"):
        F.unfold(tnn.ones(1, 1, 1, 3, 3, device=device), 2)
    with pytest.raises(RuntimeError, match=r"calculated shape of the array of sliding blocks as \(-1, -1\), but its "
                                           r"components must be at least one."):
        F.unfold(x, 5)
    cols = tnn.ones(1, 8, 4, device=device)
    with pytest.raises(RuntimeError, match=r"Expected size of input's dimension 1 to be divisible by the product of "
                                           r"kernel_size, but got input.size\(1\)=8 and kernel_size=\(3, 3\)"):
        F.fold(cols, (3, 3), 3)
    with pytest.raises(RuntimeError, match=r"expected size of input's dimension 2 to match the calculated number of "
                                           r"sliding blocks 2 \* 2 = 4, but got input.size\(2\)=5."):
        F.fold(tnn.ones(1, 8, 5, device=device), (3, 3), 2)
    with pytest.raises(RuntimeError, match=r"Expected 2D or 3D \(batch mode\) tensor for input"):
        F.fold(tnn.ones(8, device=device), (3, 3), 2)


# ------------------------------------------------------------------------------ pixel (un)shuffle
@given(st.data())
def test_pixel_shuffle_unshuffle_match_reference(device, data):
    r = data.draw(st.integers(1, 3))
    batch = tuple(data.draw(st.lists(st.sampled_from([1, 2]), max_size=2)))
    C, H, W = data.draw(st.sampled_from([1, 2])), data.draw(st.sampled_from([1, 2, 3])), data.draw(
        st.sampled_from([1, 3]))
    dtype = data.draw(st.sampled_from(FLOATS))
    seed = data.draw(st.integers(0, 2**31))
    layout, g_layout = data.draw(layouts()), data.draw(st.sampled_from(G_LAYOUTS))
    y = _check(device, "pixel_shuffle", random_array(dtype, batch + (C * r * r, H, W), seed), r, layout=layout,
               g_layout=g_layout, seed=seed)
    assert y.grad_fn.name() == "PixelShuffleBackward0"
    y = _check(device, "pixel_unshuffle", random_array(dtype, batch + (C, H * r, W * r), seed), r, layout=layout,
               g_layout=g_layout, seed=seed)
    assert y.grad_fn.name() == "PixelUnshuffleBackward0"


def test_pixel_shuffle_errors(device):
    with pytest.raises(RuntimeError, match="pixel_shuffle expects input to have at least 3 dimensions, but got input "
                                           "with 2 dimension"):
        F.pixel_shuffle(tnn.ones(4, 4, device=device), 2)
    with pytest.raises(RuntimeError, match=r"input.size\(-3\)=3 is not divisible by 4"):
        F.pixel_shuffle(tnn.ones(1, 3, 2, 2, device=device), 2)
    with pytest.raises(RuntimeError, match="pixel_shuffle expects a positive upscale_factor, but got 0"):
        F.pixel_shuffle(tnn.ones(1, 4, 2, 2, device=device), 0)
    with pytest.raises(RuntimeError, match=r"input.size\(-2\)=3 is not divisible by 2"):
        F.pixel_unshuffle(tnn.ones(1, 1, 3, 4, device=device), 2)
    with pytest.raises(RuntimeError, match=r"input.size\(-1\)=5 is not divisible by 2"):
        F.pixel_unshuffle(tnn.ones(1, 1, 4, 5, device=device), 2)


# ------------------------------------------------------------------------------ the reference
def test_reference_signatures_match_functional():
    for name in ref.__all__:
        if name.endswith("_backward"):
            continue
        fwd, bwd = inspect.signature(getattr(ref, name)), inspect.signature(getattr(ref, name + "_backward"))
        assert list(fwd.parameters) == list(inspect.signature(getattr(F, name)).parameters)
        assert list(bwd.parameters) == ["grad_output"] + list(fwd.parameters)


@pytest.mark.parametrize("kwargs", [dict(size=(3, 7), mode="nearest"), dict(scale_factor=1.5, mode="nearest-exact"),
                                    dict(size=(5, 3), mode="bilinear"),
                                    dict(scale_factor=(0.7, 2.0), mode="bilinear", align_corners=True),
                                    dict(size=(6, 2), mode="bicubic"),
                                    dict(scale_factor=(0.7, 2.5), mode="bicubic", align_corners=True),
                                    dict(size=(2, 7), mode="bilinear", antialias=True),
                                    dict(size=(5, 2), mode="bicubic", antialias=True, align_corners=True)])
def test_reference_interpolate_backward_matches_finite_differences(kwargs):
    fd.check("interpolate", fd.normal((1, 2, 3, 4)), **kwargs)


def test_reference_unfold_fold_shuffle_backward_match_finite_differences():
    kw = dict(kernel_size=(2, 3), dilation=(1, 2), padding=1, stride=(2, 1))
    fd.check("unfold", fd.normal((1, 2, 4, 5)), **kw)
    cols = ref.unfold(np.zeros((1, 2, 4, 5)), **kw).shape
    fd.check("fold", fd.normal(cols), (4, 5), **kw)
    fd.check("pixel_shuffle", fd.normal((1, 8, 2, 3)), 2)
    fd.check("pixel_unshuffle", fd.normal((1, 2, 4, 6)), 2)


def test_interpolate_area_is_adaptive_average_pooling(device):
    """mode='area' routes to F.adaptive_avg_pool{1,2,3}d (scale factors recomputed to a size)."""
    arr = random_array(dt.float32, (2, 3, 4, 6), 6)
    x = tnn.tensor(arr, device=device)
    expected = arr.reshape(2, 3, 2, 2, 3, 2).mean((3, 5))
    assert_close(F.interpolate(x, size=(2, 3), mode="area"), expected, reduce_len=4)
    assert_close(F.interpolate(x, scale_factor=0.5, mode="area"), expected, reduce_len=4)
