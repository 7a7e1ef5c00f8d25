"""Conv, pooling, padding, pixel-shuffle and upsampling modules: torch's reprs, default init,
forward equal to the functional call, padding modes, ConvTranspose's output_size, and
fuse_conv_bn_eval."""
import math

import numpy as np
import pytest

import tnn
import tnn.nn as nn
import tnn.nn.functional as F
from tnn.testing import assert_close, to_numpy

REPRS = [
    (lambda: nn.Conv2d(1, 8, 3, padding=1), "Conv2d(1, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))"),
    (lambda: nn.Conv2d(16, 33, (3, 5), stride=(2, 1), padding=(4, 2), dilation=(3, 1), bias=False,
                       padding_mode="reflect"),
     "Conv2d(16, 33, kernel_size=(3, 5), stride=(2, 1), padding=(4, 2), dilation=(3, 1), bias=False, "
     "padding_mode=reflect)"),
    (lambda: nn.Conv1d(4, 4, 3, padding="same", groups=2),
     "Conv1d(4, 4, kernel_size=(3,), stride=(1,), padding=same, groups=2)"),
    (lambda: nn.Conv3d(2, 3, 1), "Conv3d(2, 3, kernel_size=(1, 1, 1), stride=(1, 1, 1))"),
    (lambda: nn.ConvTranspose2d(16, 33, 3, stride=2, output_padding=1),
     "ConvTranspose2d(16, 33, kernel_size=(3, 3), stride=(2, 2), output_padding=(1, 1))"),
    (lambda: nn.MaxPool2d(2), "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"),
    (lambda: nn.MaxPool1d(3, 2, 1), "MaxPool1d(kernel_size=3, stride=2, padding=1, dilation=1, ceil_mode=False)"),
    (lambda: nn.AvgPool1d(3), "AvgPool1d(kernel_size=(3,), stride=(3,), padding=(0,))"),
    (lambda: nn.AvgPool2d(3, stride=2), "AvgPool2d(kernel_size=3, stride=2, padding=0)"),
    (lambda: nn.AdaptiveAvgPool2d((5, 7)), "AdaptiveAvgPool2d(output_size=(5, 7))"),
    (lambda: nn.AdaptiveMaxPool2d(1), "AdaptiveMaxPool2d(output_size=1)"),
    (lambda: nn.LPPool2d(2, 3, stride=2), "LPPool2d(norm_type=2, kernel_size=3, stride=2, ceil_mode=False)"),
    (lambda: nn.MaxUnpool2d(2), "MaxUnpool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0))"),
    (lambda: nn.ZeroPad2d(2), "ZeroPad2d((2, 2, 2, 2))"),
    (lambda: nn.ConstantPad1d(2, 3.5), "ConstantPad1d(padding=(2, 2), value=3.5)"),
    (lambda: nn.ReflectionPad2d((1, 1, 2, 0)), "ReflectionPad2d((1, 1, 2, 0))"),
    (lambda: nn.ReplicationPad3d(1), "ReplicationPad3d((1, 1, 1, 1, 1, 1))"),
    (lambda: nn.CircularPad1d(1), "CircularPad1d((1, 1))"),
    (lambda: nn.PixelShuffle(3), "PixelShuffle(upscale_factor=3)"),
    (lambda: nn.PixelUnshuffle(2), "PixelUnshuffle(downscale_factor=2)"),
    (lambda: nn.Upsample(scale_factor=2), "Upsample(scale_factor=2.0, mode='nearest')"),
    (lambda: nn.UpsamplingBilinear2d(size=(4, 4)), "UpsamplingBilinear2d(size=(4, 4), mode='bilinear')"),
    (lambda: nn.Fold((4, 5), (2, 2)), "Fold(output_size=(4, 5), kernel_size=(2, 2), dilation=1, padding=0, stride=1)"),
    (lambda: nn.Unfold(3, padding=1), "Unfold(kernel_size=3, dilation=1, padding=1, stride=1)"),
]


@pytest.mark.parametrize("make,text", REPRS, ids=[t.split("(")[0] + str(i) for i, (_, t) in enumerate(REPRS)])
def test_repr_is_torchs(make, text):
    assert repr(make()) == text


def test_conv_default_init_bounds_and_state_dict(device):
    tnn.manual_seed(0)
    m = nn.Conv2d(6, 32, 3, device=device)
    bound = 1 / math.sqrt(6 * 9)
    w, b = to_numpy(m.weight.detach()), to_numpy(m.bias.detach())
    assert w.shape == (32, 6, 3, 3) and np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert np.abs(w).max() > 0.9 * bound and abs(w.std() - bound / math.sqrt(3)) < 0.1 * bound
    assert list(m.state_dict()) == ["weight", "bias"]
    t = nn.ConvTranspose2d(4, 6, 3, groups=2, bias=False, device=device)
    assert tuple(t.weight.shape) == (4, 3, 3, 3) and t.bias is None and list(t.state_dict()) == ["weight"]


@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
def test_conv_padding_modes_match_pad_then_conv(device, mode):
    tnn.manual_seed(1)
    m = nn.Conv2d(2, 3, 3, padding=1, padding_mode=mode, device=device)
    x = tnn.randn(2, 2, 5, 4, device=device)
    expected = F.conv2d(F.pad(x, (1, 1, 1, 1), mode="constant" if mode == "zeros" else mode), m.weight, m.bias)
    assert_close(m(x), expected, dtype=tnn.float32, reduce_len=18)


def test_conv_transpose_output_size_picks_output_padding(device):
    m = nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1, device=device)
    x = tnn.randn(1, 3, 4, 4, device=device)
    assert tuple(m(x).shape) == (1, 2, 7, 7)
    y = m(x, output_size=[8, 8])
    assert tuple(y.shape) == (1, 2, 8, 8)
    assert_close(y, F.conv_transpose2d(x, m.weight, m.bias, 2, 1, 1), dtype=tnn.float32, reduce_len=18)
    with pytest.raises(ValueError, match="requested an output size of"):
        m(x, output_size=[10, 10])


def test_conv_constructor_errors():
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="padding='same' is not supported for strided convolutions"):
        nn.Conv2d(3, 3, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        nn.Conv2d(3, 3, 3, padding_mode="mirror")


@pytest.mark.parametrize("module,fn", [
    (nn.MaxPool2d(3, 2, 1), lambda x: F.max_pool2d(x, 3, 2, 1)),
    (nn.AvgPool2d(2, count_include_pad=False, padding=1), lambda x: F.avg_pool2d(x, 2, padding=1, count_include_pad=False)),
    (nn.AdaptiveAvgPool2d((2, 3)), lambda x: F.adaptive_avg_pool2d(x, (2, 3))),
    (nn.AdaptiveMaxPool2d(2), lambda x: F.adaptive_max_pool2d(x, 2)),
    (nn.LPPool2d(2, 2), lambda x: F.lp_pool2d(x, 2.0, 2)),
    (nn.ReflectionPad2d((1, 2, 0, 1)), lambda x: F.pad(x, (1, 2, 0, 1), mode="reflect")),
    (nn.ConstantPad2d(1, -1.0), lambda x: F.pad(x, (1, 1, 1, 1), value=-1.0)),
    (nn.PixelUnshuffle(2), lambda x: F.pixel_unshuffle(x, 2)),
    (nn.Unfold(3, dilation=2, padding=1, stride=2), lambda x: F.unfold(x, 3, 2, 1, 2)),
    (nn.Upsample(scale_factor=2, mode="bilinear"), lambda x: F.interpolate(x, scale_factor=2, mode="bilinear")),
], ids=lambda v: type(v).__name__ if isinstance(v, nn.Module) else "")
def test_forward_is_the_functional(device, module, fn):
    x = tnn.randn(2, 3, 6, 6, device=device).abs() + 0.1
    assert_close(module(x), fn(x), dtype=tnn.float32, reduce_len=9)


def test_fold_inverts_unfold_for_disjoint_blocks(device):
    x = tnn.randn(2, 3, 4, 6, device=device)
    cols = nn.Unfold((2, 3), stride=(2, 3))(x)
    assert tuple(cols.shape) == (2, 18, 4)
    assert_close(nn.Fold((4, 6), (2, 3), stride=(2, 3))(cols), x, dtype=tnn.float32)


def test_max_pool_return_indices_and_unpool_round_trip(device):
    x = tnn.randn(1, 2, 4, 4, device=device).abs() + 0.1  # positive: unpooling fills zeros around the maxima
    y, idx = nn.MaxPool2d(2, return_indices=True)(x)
    up = nn.MaxUnpool2d(2)(y, idx)
    assert tuple(up.shape) == (1, 2, 4, 4)
    assert_close(nn.MaxPool2d(2)(up), y, dtype=tnn.float32)


def test_fuse_conv_bn_eval_matches_conv_then_bn(device):
    tnn.manual_seed(2)
    conv, bn = nn.Conv2d(3, 4, 3, padding=1, device=device), nn.BatchNorm2d(4, device=device)
    x = tnn.randn(2, 3, 5, 5, device=device)
    bn(conv(x) * 3 + 1)  # training step: running statistics move away from (0, 1)
    conv.eval()
    bn.eval()
    fused = nn.utils.fuse_conv_bn_eval(conv, bn)
    assert isinstance(fused, nn.Conv2d) and fused is not conv and isinstance(fused.weight, nn.Parameter)
    with tnn.no_grad():
        assert_close(fused(x), bn(conv(x)), dtype=tnn.float32, reduce_len=27)
    with pytest.raises(AssertionError, match="Fusion only for eval"):
        nn.utils.fuse_conv_bn_eval(conv.train(), bn)
