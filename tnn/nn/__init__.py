"""tnn.nn: the torch.nn surface — Module and its layers, Parameter/Buffer, functional, init, utils."""
from . import functional  # noqa: F401
from .parameter import Buffer, Parameter  # noqa: F401
from . import modules  # noqa: F401
from .modules import *  # noqa: F401,F403
from . import utils  # noqa: F401

try:
    from . import init  # noqa: F401
except ModuleNotFoundError as _e:
    if _e.name != f"{__name__}.init":
        raise
