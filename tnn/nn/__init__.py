"""tnn.nn: the torch.nn surface. functional lands first; Modules come with the Module layer."""
from . import functional  # noqa: F401
