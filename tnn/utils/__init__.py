"""tnn.utils: torch.utils' small pieces that torch.nn relies on (hooks)."""
from . import hooks  # noqa: F401
