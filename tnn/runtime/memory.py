"""Buffer: one raw allocation (pointer, nbytes, device) and the copies between buffers.

cpu buffers are 64-byte aligned host memory owned by a NumPy byte array; cuda buffers come from
cuda-core's stream-ordered pool and are freed when the Buffer (the last Tensor view) dies."""
from __future__ import annotations

import ctypes

import numpy as np

from .device import CPU, cuda_device, device

_ALIGN = 64

# Bytes held by Buffer.allocate per device: [current, peak] (tnn.cuda.memory_allocated and
# max_memory_allocated read them). Wrapped foreign memory (NumPy, DLPack) is not counted.
_allocated: dict[device, list[int]] = {}


def memory_allocated(dev: device) -> int:
    return _allocated.get(dev, [0, 0])[0]


def max_memory_allocated(dev: device) -> int:
    return _allocated.get(dev, [0, 0])[1]


def reset_peak_memory_stats(dev: device) -> None:
    stats = _allocated.setdefault(dev, [0, 0])
    stats[1] = stats[0]


class Buffer:
    __slots__ = ("ptr", "nbytes", "device", "_owner", "_counted", "__weakref__")

    def __init__(self, ptr: int, nbytes: int, dev: device, owner, counted: bool = False):
        self.ptr = ptr
        self.nbytes = nbytes
        self.device = dev
        self._owner = owner  # keeps the memory alive: a NumPy array, cuda-core Buffer or DLPack source
        self._counted = counted
        if counted:
            stats = _allocated.setdefault(dev, [0, 0])
            stats[0] += nbytes
            stats[1] = max(stats[1], stats[0])

    def __del__(self):
        if self._counted:
            _allocated[self.device][0] -= self.nbytes

    @staticmethod
    def allocate(nbytes: int, dev: device) -> "Buffer":
        if dev.type == "cpu":
            raw = np.empty(nbytes + _ALIGN, dtype=np.uint8)
            shift = (-raw.ctypes.data) % _ALIGN
            arr = raw[shift:shift + nbytes]
            return Buffer(raw.ctypes.data + shift, nbytes, CPU, arr, counted=True)
        cdev = cuda_device(dev.index)
        # A zero-byte request still gets a real (tiny) allocation so every tensor has a valid pointer.
        cbuf = cdev.allocate(max(nbytes, 1), stream=cdev.default_stream)
        return Buffer(int(cbuf.handle), nbytes, dev, cbuf, counted=True)

    @staticmethod
    def from_numpy(arr: np.ndarray) -> "Buffer":
        """Wrap a NumPy array's memory without copying (the array is kept alive)."""
        base = arr
        return Buffer(arr.ctypes.data, arr.nbytes, CPU, base)

    def host_view(self) -> np.ndarray:
        """The bytes of a cpu buffer as a uint8 array sharing memory."""
        assert self.device.type == "cpu"
        if self.nbytes == 0:
            return np.empty(0, np.uint8)
        raw = (ctypes.c_uint8 * self.nbytes).from_address(self.ptr)
        raw._tnn_buffer = self  # the returned array (through raw) keeps this Buffer, hence its memory, alive
        return np.ctypeslib.as_array(raw)


def _driver():
    from cuda.bindings import driver
    return driver


def _check(result):
    err = result[0] if isinstance(result, tuple) else result
    if int(err) != 0:
        raise RuntimeError(f"CUDA error: {err}")


def copy_bytes(dst: Buffer, dst_off: int, src: Buffer, src_off: int, nbytes: int) -> None:
    """memcpy between any two buffers (H2H, H2D, D2H, D2D), offsets in bytes."""
    if nbytes == 0:
        return
    d, s = dst.ptr + dst_off, src.ptr + src_off
    if dst.device.type == "cpu" and src.device.type == "cpu":
        ctypes.memmove(d, s, nbytes)
        return
    drv = _driver()
    if dst.device.type == "cuda" and src.device.type == "cuda":
        _check(drv.cuMemcpy(d, s, nbytes))
    elif dst.device.type == "cuda":
        cuda_device(dst.device.index)
        _check(drv.cuMemcpyHtoD(d, s, nbytes))
    else:
        cuda_device(src.device.index)
        _check(drv.cuMemcpyDtoH(d, s, nbytes))
