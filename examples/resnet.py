"""ResNet-34 as in the classic "ResNet in 50 lines" (residual blocks with BatchNorm, Sequential
layers, average pooling and an fc layer), written with tnn exactly as it is written with torch.

On cpu (Triton's interpreter) it runs one forward+backward on a small input and checks that every
parameter got a gradient. On a GPU it also times training steps (forward, backward, SGD step) at
batch 32 x 3 x 224 x 224 and, when torch is installed, the same model in torch in the same run.

    python examples/resnet.py [--device cpu|cuda] [--width 64] [--size 32] [--batch 2]
"""
from __future__ import annotations

import argparse
import time

import tnn
import tnn.nn as nn
import tnn.nn.functional as F


# ---------------------------------------------------------------- the 50 lines
class ResidualBlock(nn.Module):
    def __init__(self, inchannel, outchannel, stride=1, shortcut=None):
        super().__init__()
        self.left = nn.Sequential(
            nn.Conv2d(inchannel, outchannel, 3, stride, 1, bias=False),
            nn.BatchNorm2d(outchannel),
            nn.ReLU(inplace=True),
            nn.Conv2d(outchannel, outchannel, 3, 1, 1, bias=False),
            nn.BatchNorm2d(outchannel))
        self.right = shortcut

    def forward(self, x):
        out = self.left(x)
        residual = x if self.right is None else self.right(x)
        out += residual
        return F.relu(out)


class ResNet(nn.Module):
    def __init__(self, num_classes=1000, width=64):
        super().__init__()
        w = width
        self.pre = nn.Sequential(
            nn.Conv2d(3, w, 7, 2, 3, bias=False),
            nn.BatchNorm2d(w),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(3, 2, 1))
        self.layer1 = self._make_layer(w, 2 * w, 3)
        self.layer2 = self._make_layer(2 * w, 4 * w, 4, stride=2)
        self.layer3 = self._make_layer(4 * w, 8 * w, 6, stride=2)
        self.layer4 = self._make_layer(8 * w, 8 * w, 3, stride=2)
        self.fc = nn.Linear(8 * w, num_classes)

    def _make_layer(self, inchannel, outchannel, block_num, stride=1):
        shortcut = nn.Sequential(
            nn.Conv2d(inchannel, outchannel, 1, stride, bias=False),
            nn.BatchNorm2d(outchannel))
        layers = [ResidualBlock(inchannel, outchannel, stride, shortcut)]
        for _ in range(1, block_num):
            layers.append(ResidualBlock(outchannel, outchannel))
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.pre(x)
        x = self.layer1(x)
        x = self.layer2(x)
        x = self.layer3(x)
        x = self.layer4(x)
        # The original pools with avg_pool2d(x, 7) for 224x224 inputs; the adaptive form takes any size.
        x = F.adaptive_avg_pool2d(x, 1)
        x = x.view(x.size(0), -1)
        return self.fc(x)
# ---------------------------------------------------------------- end of the 50 lines


def forward_backward(device, width: int, size: int, batch: int, num_classes: int = 10) -> float:
    """One training-mode forward+backward; returns the loss. Every parameter must get a gradient."""
    tnn.manual_seed(0)
    model = ResNet(num_classes, width).to(device)
    x = tnn.randn(batch, 3, size, size, device=device)
    y = tnn.randint(0, num_classes, (batch,), device=device)
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None]
    assert not missing, f"parameters without gradient: {missing}"
    return loss.item()


def time_training(device, batch: int = 32, size: int = 224, steps: int = 10):
    """ms per training step (fwd+bwd+SGD) for tnn and, when importable, torch on the same GPU."""
    model = ResNet().to(device)
    opt = tnn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x = tnn.randn(batch, 3, size, size, device=device)
    y = tnn.randint(0, 1000, (batch,), device=device)

    def step():
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
    for _ in range(2):
        step()
    tnn.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    tnn.cuda.synchronize()
    ours = (time.perf_counter() - t0) / steps * 1e3
    print(f"tnn   ResNet-34 training step, batch {batch}x3x{size}x{size}: {ours:.1f} ms")
    try:
        import torch
    except ImportError:
        return
    # The same architecture in torch: this file with torch's nn.
    import sys
    import types
    tmod = types.ModuleType("resnet_torch")
    tmod.__dict__.update(nn=torch.nn, F=torch.nn.functional)
    src = open(__file__).read().split("# ---------------------------------------------------------------- the 50 lines")[1]
    exec(src.split("# ---------------------------------------------------------------- end of the 50 lines")[0],
         tmod.__dict__)
    sys.modules["resnet_torch"] = tmod
    tm = tmod.ResNet().cuda()
    topt = torch.optim.SGD(tm.parameters(), lr=0.1, momentum=0.9)
    tx = torch.randn(batch, 3, size, size, device="cuda")
    ty = torch.randint(0, 1000, (batch,), device="cuda")

    def tstep():
        topt.zero_grad()
        torch.nn.functional.cross_entropy(tm(tx), ty).backward()
        topt.step()
    for _ in range(2):
        tstep()
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(steps):
        tstep()
    torch.cuda.synchronize()
    theirs = (time.perf_counter() - t0) / steps * 1e3
    print(f"torch ResNet-34 training step: {theirs:.1f} ms  (torch/tnn time: {theirs / ours:.2f})")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--device", default=None)
    p.add_argument("--width", type=int, default=None, help="channels of the stem (64 in ResNet-34)")
    p.add_argument("--size", type=int, default=32, help="input height and width for the forward+backward check")
    p.add_argument("--batch", type=int, default=2)
    args = p.parse_args(argv)
    device = tnn.device(args.device) if args.device else tnn.get_default_device()
    width = args.width or (64 if device.type == "cuda" else 8)
    t0 = time.perf_counter()
    loss = forward_backward(device, width, args.size, args.batch)
    print(f"ResNet-34 (width {width}) forward+backward on {args.batch}x3x{args.size}x{args.size} ({device}): "
          f"loss {loss:.4f}, every parameter has a gradient ({time.perf_counter() - t0:.1f} s)")
    if device.type == "cuda":
        time_training(device)


if __name__ == "__main__":
    main()
