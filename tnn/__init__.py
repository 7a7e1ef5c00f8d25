"""tnn: torch.nn rebuilt on hand-written Triton kernels over raw device buffers, without PyTorch."""
import os as _os

# Triton 3.9 warns on every process that FP fusion's default will change; keep today's default
# (fused multiply-add on) explicitly, as torch's kernels do, unless the user chose otherwise.
_os.environ.setdefault("TRITON_DEFAULT_FP_FUSION", "1")
from .runtime.dtypes import (  # noqa: F401
    bfloat16, bool_ as bool, dtype, float16, float32, float64, get_default_dtype, int8, int16, int32, int64,
    promote_types, result_type as _result_type, can_cast, set_default_dtype, uint8,
)
from .runtime.dtypes import float16 as half, float32 as float, float64 as double  # noqa: F401
from .runtime.dtypes import int16 as short, int32 as int, int64 as long  # noqa: F401
from .runtime.device import device, set_default_device  # noqa: F401
from .tensor import Size, Tensor  # noqa: F401
from . import autograd, cuda, ops  # noqa: F401
from . import nn  # noqa: F401
from .autograd import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled  # noqa: F401
from .ops.creation import (  # noqa: F401
    arange, as_tensor, empty, empty_like, eye, from_numpy, full, full_like, linspace, ones, ones_like, tensor,
    zeros, zeros_like,
)
from .ops.views import (  # noqa: F401
    chunk, flatten, movedim, narrow, permute, reshape, select, split, squeeze, swapaxes, swapdims, t, transpose,
    unbind, unflatten, unsqueeze,
)
from .ops.copying import clone  # noqa: F401
from .ops.elementwise import *  # noqa: F401,F403
from .ops.reduce import *  # noqa: F401,F403
from .ops.matmul import *  # noqa: F401,F403
from .ops.indexing import *  # noqa: F401,F403
from .ops.random import *  # noqa: F401,F403
from .ops.dlpack import *  # noqa: F401,F403
from .ops.format import *  # noqa: F401,F403


def result_type(*operands):
    return _result_type(*operands)


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


def numel(t) -> int:
    return t.numel()


def get_default_device():
    from .runtime.device import default_device
    return default_device()
from . import optim  # noqa: F401,E402
from .serialization import load, save  # noqa: F401,E402
