"""tnn.cuda: availability and synchronization, as torch.cuda."""
from .runtime.device import device_count, is_available, synchronize  # noqa: F401
