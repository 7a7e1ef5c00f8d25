"""tnn.cuda: availability and synchronization, as torch.cuda."""
from .runtime.device import device_count, is_available, synchronize  # noqa: F401


def manual_seed(seed: int) -> None:
    """One Philox stream serves every device in tnn, so this seeds the same generator as tnn.manual_seed."""
    from .ops.random import manual_seed as _seed
    _seed(seed)


manual_seed_all = manual_seed


def _dev(dev):
    """None -> cuda:0, an int -> cuda:i, else a device or its string (cpu is accepted too, so the
    same bench code reports peaks on the interpreter)."""
    from .runtime.device import as_device, device
    if dev is None:
        return device("cuda", 0)
    if isinstance(dev, int):
        return device("cuda", dev)
    d = as_device(dev)
    return device("cuda", 0) if d.type == "cuda" and d.index is None else d


def memory_allocated(device=None) -> int:
    """Bytes currently held by tnn tensors on the device (tnn's own count; not the pool's reserve)."""
    from .runtime import memory
    return memory.memory_allocated(_dev(device))


def max_memory_allocated(device=None) -> int:
    """Peak of memory_allocated since start or the last reset_peak_memory_stats."""
    from .runtime import memory
    return memory.max_memory_allocated(_dev(device))


def reset_peak_memory_stats(device=None) -> None:
    from .runtime import memory
    memory.reset_peak_memory_stats(_dev(device))
