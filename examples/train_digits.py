"""The main job: train a LeNet-style CNN on scikit-learn's bundled 8x8 handwritten digits with tnn.

Written the way a torch.nn program is (Module, Sequential, Conv2d, MaxPool2d, CrossEntropyLoss,
Adam, state_dict), with `torch` replaced by `tnn`: every op is a hand-written Triton kernel,
compiled on a GPU, run by Triton's interpreter on a cpu. It prints a progress bar per epoch, the
loss and accuracies, saves a checkpoint, reloads it into a fresh model and ends with
`test accuracy: NN.N%` measured by the reloaded model.

    python examples/train_digits.py [--epochs 12] [--device cpu|cuda] [--checkpoint PATH]
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time

import numpy as np
from sklearn.datasets import load_digits
from tqdm import tqdm

import tnn
import tnn.nn as nn


class LeNet(nn.Module):
    """Two conv/relu/pool stages and a two-layer classifier, sized for 8x8 inputs."""

    def __init__(self, num_classes: int = 10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2),    # (N, 8, 4, 4)
            nn.Conv2d(8, 16, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2),   # (N, 16, 2, 2)
        )
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(16 * 2 * 2, 64), nn.ReLU(), nn.Dropout(0.1), nn.Linear(64, num_classes),
        )

    def forward(self, x):
        return self.classifier(self.features(x))


def load_data(seed: int):
    """(x_train, y_train, x_test, y_test) as NumPy arrays: images (N, 1, 8, 8) scaled to [0, 1],
    a fixed 80/20 split."""
    digits = load_digits()
    x = (digits.images.astype(np.float32) / 16.0)[:, None]     # (1797, 1, 8, 8)
    y = digits.target.astype(np.int64)                           # (1797,)
    order = np.random.default_rng(seed).permutation(len(x))
    n_test = len(x) // 5
    test, train = order[:n_test], order[n_test:]
    return x[train], y[train], x[test], y[test]


def batches(x: np.ndarray, y: np.ndarray, batch_size: int, device, rng: np.random.Generator | None = None):
    order = rng.permutation(len(x)) if rng is not None else np.arange(len(x))
    for i in range(0, len(x), batch_size):
        idx = order[i:i + batch_size]
        yield tnn.tensor(x[idx], device=device), tnn.tensor(y[idx], device=device)


def accuracy(model: nn.Module, x: np.ndarray, y: np.ndarray, device, batch_size: int = 256) -> float:
    model.eval()
    correct = 0
    with tnn.no_grad():
        for xb, yb in batches(x, y, batch_size, device):
            correct += int((model(xb).argmax(dim=1) == yb).sum().item())
    return correct / len(x)


def train(epochs: int, batch_size: int, lr: float, device, seed: int, checkpoint: str) -> float:
    tnn.manual_seed(seed)
    x_train, y_train, x_test, y_test = load_data(seed)
    model = LeNet().to(device)
    print(model)
    print(f"{sum(p.numel() for p in model.parameters())} parameters on {device}; "
          f"{len(x_train)} training and {len(x_test)} test images")
    loss_fn = nn.CrossEntropyLoss()
    optimizer = tnn.optim.Adam(model.parameters(), lr=lr)
    scheduler = tnn.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    rng = np.random.default_rng(seed)
    steps = (len(x_train) + batch_size - 1) // batch_size
    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        model.train()
        total, seen = 0.0, 0
        bar = tqdm(batches(x_train, y_train, batch_size, device, rng), total=steps, desc=f"epoch {epoch}/{epochs}",
                   unit="batch", leave=False, mininterval=0.5)
        for xb, yb in bar:
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(yb)
            seen += len(yb)
            bar.set_postfix(loss=f"{total / seen:.4f}")
        scheduler.step()
        print(f"epoch {epoch:2d}  loss {total / seen:.4f}  train acc {accuracy(model, x_train, y_train, device):.1%}"
              f"  test acc {accuracy(model, x_test, y_test, device):.1%}  ({time.perf_counter() - start:.0f} s)")

    tnn.save(model.state_dict(), checkpoint)
    reloaded = LeNet().to(device)
    reloaded.load_state_dict(tnn.load(checkpoint))
    print(f"checkpoint saved to {checkpoint} ({os.path.getsize(checkpoint)} bytes) and reloaded")
    acc = accuracy(reloaded, x_test, y_test, device)
    assert acc == accuracy(model, x_test, y_test, device), "the reloaded model disagrees with the trained one"
    print(f"test accuracy: {100 * acc:.1f}%")
    return acc


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--epochs", type=int, default=12)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=1e-2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default=None, help="cpu or cuda (default: cuda when available)")
    p.add_argument("--checkpoint", default=os.path.join(tempfile.gettempdir(), "tnn_lenet_digits.safetensors"))
    args = p.parse_args(argv)
    device = tnn.device(args.device) if args.device else tnn.get_default_device()
    return train(args.epochs, args.batch_size, args.lr, device, args.seed, args.checkpoint)


if __name__ == "__main__":
    main()
