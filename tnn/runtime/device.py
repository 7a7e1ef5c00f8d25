"""Devices: tnn.device('cpu'), tnn.device('cuda', 0), 'cuda:1'; CUDA availability through cuda-core."""
from __future__ import annotations

import functools
import os


class device:
    """Where a tensor's buffer lives. Equal and hashable by (type, index), like torch.device."""

    __slots__ = ("type", "index")

    def __init__(self, type, index: int | None = None):
        if isinstance(type, device):
            if index is not None:
                raise ValueError("device(): index given twice")
            self.type, self.index = type.type, type.index
            return
        if isinstance(type, int) and not isinstance(type, bool):
            type, index = "cuda", type
        if not isinstance(type, str):
            raise TypeError(f"device() expected a string or int, got {type.__class__.__name__}")
        kind, _, idx = type.partition(":")
        if idx:
            if index is not None:
                raise RuntimeError(f"type (string) must not include an index because index was passed explicitly: {type}")
            if not idx.isdigit():
                raise RuntimeError(f"Invalid device string: '{type}'")
            index = int(idx)
        if kind not in ("cpu", "cuda"):
            raise RuntimeError(
                f"Expected one of cpu, cuda device type at start of device string: {type}")
        if kind == "cpu" and index not in (None, 0):
            raise RuntimeError(f"Device index must be 0 for cpu, got {index}")
        if index is not None and index < 0:
            raise RuntimeError(f"Device index must not be negative, got {index}")
        self.type = kind
        self.index = 0 if kind == "cuda" and index is None else (None if kind == "cpu" else index)

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and self.type == other.type and self.index == other.index

    def __hash__(self):
        return hash((self.type, self.index))

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"


CPU = device("cpu")


def as_device(d) -> device:
    if d is None:
        return default_device()
    return d if isinstance(d, device) else device(d)


@functools.lru_cache(maxsize=None)
def _cuda_core():
    """cuda.core's module, or None when it (or a driver) is missing."""
    try:
        import cuda.core as cc  # cuda-core >= 1.0
        cc.Device
    except (ImportError, AttributeError):
        try:
            import cuda.core.experimental as cc  # cuda-core 0.x
        except ImportError:
            return None
    return cc


@functools.lru_cache(maxsize=None)
def device_count() -> int:
    if os.environ.get("TNN_DISABLE_CUDA") == "1":
        return 0
    cc = _cuda_core()
    if cc is None:
        return 0
    try:
        return int(cc.system.num_devices)
    except Exception:  # no driver, no device: same answer for the user
        return 0


def is_available() -> bool:
    return device_count() > 0


_default_device: device | None = None


def default_device() -> device:
    """cuda:0 when a GPU is present (and TNN_DEFAULT_DEVICE does not say otherwise), else cpu."""
    global _default_device
    if _default_device is None:
        env = os.environ.get("TNN_DEFAULT_DEVICE")
        _default_device = device(env) if env else (device("cuda", 0) if is_available() else CPU)
    return _default_device


def set_default_device(d) -> None:
    global _default_device
    _default_device = device(d)


@functools.lru_cache(maxsize=None)
def cuda_device(index: int):
    """The cuda-core Device for an index, made current. RuntimeError when there is none."""
    if index >= device_count():
        if device_count() == 0:
            raise RuntimeError("Found no NVIDIA driver on your system (tnn.cuda.is_available() is False)")
        raise RuntimeError(f"CUDA error: invalid device ordinal {index} (device count {device_count()})")
    dev = _cuda_core().Device(index)
    dev.set_current()
    return dev


def synchronize(d=None) -> None:
    """Wait for all work on a CUDA device; a no-op for cpu."""
    d = as_device(d if d is not None else ("cuda" if is_available() else "cpu"))
    if d.type == "cuda":
        cuda_device(d.index).sync()
