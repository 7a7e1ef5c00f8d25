"""tnn.cuda: availability and synchronization, as torch.cuda."""
from .runtime.device import device_count, is_available, synchronize  # noqa: F401


def manual_seed(seed: int) -> None:
    """One Philox stream serves every device in tnn, so this seeds the same generator as tnn.manual_seed."""
    from .ops.random import manual_seed as _seed
    _seed(seed)


manual_seed_all = manual_seed
