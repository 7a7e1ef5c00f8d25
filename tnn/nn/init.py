"""tnn.nn.init: torch.nn.init's functions, with torch's signatures, formulas and error messages.

Every initialiser writes into ``tensor`` in place under ``no_grad`` and returns it. Random draws
come from tnn's Philox generator (``Tensor.uniform_`` / ``Tensor.normal_`` -> kernels/random.py),
so ``tnn.manual_seed`` makes them reproducible and a ``generator=`` argument is honoured, as in
torch. The numbers differ from torch's (a different generator), the distributions do not.

Two initialisers do part of their work on the host, because they are one-off set-up and not a
hot path: ``orthogonal_`` runs NumPy's QR (float64) on tnn-drawn normals and copies the result in;
``dirac_`` / ``sparse_`` build their structure / zero mask with NumPy.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from ..autograd.grad_mode import no_grad
from ..ops.copying import _host_array, host_tensor
from ..runtime import dtypes as dt
from ..tensor import Tensor

__all__ = [
    "calculate_gain", "uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_", "eye_", "dirac_",
    "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "orthogonal_", "sparse_",
    "uniform", "normal", "constant", "xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal",
    "orthogonal", "sparse",
]


# ----------------------------------------------------------------------------- gains and fans
def calculate_gain(nonlinearity, param=None):
    r"""The recommended gain for a nonlinearity (torch.nn.init.calculate_gain):

    linear / conv / sigmoid: 1, tanh: 5/3, relu: sqrt(2), leaky_relu: sqrt(2 / (1 + slope^2)),
    selu: 3/4 (as torch, chosen for self-normalising networks)."""
    linear_fns = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                  "conv_transpose3d"]
    if nonlinearity in linear_fns or nonlinearity == "sigmoid":
        return 1
    elif nonlinearity == "tanh":
        return 5.0 / 3
    elif nonlinearity == "relu":
        return math.sqrt(2.0)
    elif nonlinearity == "leaky_relu":
        if param is None:
            negative_slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, int) or isinstance(param, float):
            # True/False are instances of int, hence the check above
            negative_slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + negative_slope ** 2))
    elif nonlinearity == "selu":
        return 3.0 / 4
    else:
        raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor):
    """fan_in = size(1) * receptive field, fan_out = size(0) * receptive field (dims 2.. of a conv
    weight); Linear's weight [out, in] gives (in, out)."""
    dimensions = tensor.dim()
    if dimensions < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions")
    num_input_fmaps = tensor.size(1)
    num_output_fmaps = tensor.size(0)
    receptive_field_size = 1
    if tensor.dim() > 2:
        for s in tensor.shape[2:]:
            receptive_field_size *= s
    fan_in = num_input_fmaps * receptive_field_size
    fan_out = num_output_fmaps * receptive_field_size
    return fan_in, fan_out


def _calculate_correct_fan(tensor, mode):
    mode = mode.lower()
    valid_modes = ["fan_in", "fan_out"]
    if mode not in valid_modes:
        raise ValueError(f"Mode {mode} not supported, please use one of {valid_modes}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


# ----------------------------------------------------------------------------- simple fills
def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator=None) -> Tensor:
    """Fill with U(a, b)."""
    with no_grad():
        return tensor.uniform_(a, b, generator=generator)


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator=None) -> Tensor:
    """Fill with N(mean, std^2)."""
    with no_grad():
        return tensor.normal_(mean, std, generator=generator)


def constant_(tensor: Tensor, val: float) -> Tensor:
    with no_grad():
        return tensor.fill_(val)


def ones_(tensor: Tensor) -> Tensor:
    with no_grad():
        return tensor.fill_(1.0)


def zeros_(tensor: Tensor) -> Tensor:
    with no_grad():
        return tensor.zero_()


def eye_(tensor: Tensor) -> Tensor:
    """The identity matrix in a 2-D tensor (ones on the main diagonal of a rectangle)."""
    if tensor.dim() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    with no_grad():
        tensor.zero_()
        k = min(tensor.shape)
        if k:
            s0, s1 = tensor.stride()
            tensor._view((k,), (s0 + s1,)).fill_(1)  # the diagonal, in any layout
    return tensor


def dirac_(tensor: Tensor, groups: int = 1) -> Tensor:
    """The Dirac delta in a 3/4/5-D conv weight: each of the first min(out/groups, in) output
    channels of a group passes its input channel through unchanged (identity convolution)."""
    dimensions = tensor.dim()
    if dimensions not in [3, 4, 5]:
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    sizes = tensor.size()
    if sizes[0] % groups != 0:
        raise ValueError("dim 0 must be divisible by groups")
    out_chans_per_grp = sizes[0] // groups
    min_dim = min(out_chans_per_grp, sizes[1])
    arr = np.zeros(tuple(sizes), dtype=np.float64)
    centre = tuple(s // 2 for s in sizes[2:])
    for g in range(groups):
        for d in range(min_dim):
            arr[(g * out_chans_per_grp + d, d) + centre] = 1
    with no_grad():
        tensor.copy_(host_tensor(arr.astype(tensor.dtype.np), tensor.device))
    return tensor


# ----------------------------------------------------------------------------- scaled random inits
def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio, 2010)."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    a = math.sqrt(3.0) * std  # Calculate uniform bounds from standard deviation
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


def kaiming_uniform_(tensor: Tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                     generator=None) -> Tensor:
    """U(-bound, bound) with bound = gain * sqrt(3 / fan_mode) (He et al., 2015)."""
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op")
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    gain = calculate_gain(nonlinearity, a)
    std = gain / math.sqrt(fan)
    bound = math.sqrt(3.0) * std  # Calculate uniform bounds from standard deviation
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor: Tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                    generator=None) -> Tensor:
    """N(0, std^2) with std = gain / sqrt(fan_mode)."""
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op")
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    gain = calculate_gain(nonlinearity, a)
    std = gain / math.sqrt(fan)
    return normal_(tensor, 0.0, std, generator)


# Giles, "Approximating the erfinv function" (GPU Computing Gems, 2010), single-precision version:
# relative error below ~4e-7 over (-1, 1) -- ample for an initialiser.
_ERFINV_CENTRAL = (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
                   -0.00125372503, -0.00417768164, 0.246640727, 1.50140941)
_ERFINV_TAIL = (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
                -0.0076224613, 0.00943887047, 1.00167406, 2.83297682)


def _erfinv(x: Tensor) -> Tensor:
    """erfinv of a float tensor with values in (-1, 1), composed of tnn elementwise ops."""
    from ..ops.elementwise import where
    w = -((1.0 - x) * (1.0 + x)).log()
    wc = w - 2.5
    wt = w.clamp_min(5.0).sqrt() - 3.0
    pc = wc * 0.0 + _ERFINV_CENTRAL[0]
    for c in _ERFINV_CENTRAL[1:]:
        pc = pc * wc + c
    pt = wt * 0.0 + _ERFINV_TAIL[0]
    for c in _ERFINV_TAIL[1:]:
        pt = pt * wt + c
    return where(w < 5.0, pc, pt) * x


def trunc_normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0,
                  generator=None) -> Tensor:
    """N(mean, std^2) truncated to [a, b], by inverse-CDF sampling as torch does: u ~ U(2l-1, 2u-1)
    with l, u the normal CDF at a and b, x = mean + std * sqrt(2) * erfinv(u), clamped to [a, b].
    Computed in float32 (float64 for a float64 tensor) and written in the tensor's dtype."""
    def norm_cdf(x):
        # Computes standard normal cumulative distribution function
        return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0

    if (mean < a - 2 * std) or (mean > b + 2 * std):
        warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. "
                      "The distribution of values may be incorrect.", stacklevel=2)
    with no_grad():
        lo = norm_cdf((a - mean) / std)
        hi = norm_cdf((b - mean) / std)
        work_dtype = dt.float64 if tensor.dtype is dt.float64 else dt.float32
        u = Tensor._empty(tensor.shape, work_dtype, tensor.device)
        u.uniform_(2 * lo - 1, 2 * hi - 1, generator=generator)
        # Keep erfinv's argument inside the open interval (|u| == 1 only when a or b is infinite).
        edge = 1.0 - float(np.finfo(work_dtype.np).eps)
        x = _erfinv(u.clamp(-edge, edge)) * (std * math.sqrt(2.0)) + mean
        tensor.copy_(x.clamp(a, b))
    return tensor


def orthogonal_(tensor: Tensor, gain: float = 1, generator=None) -> Tensor:
    """A (semi-)orthogonal matrix (Saxe et al., 2013): the Q of a QR decomposition of a normal
    matrix, signs fixed by diag(R) so the distribution is uniform (Haar). Dims after the first are
    flattened. The normals come from tnn's generator; the QR runs on the host in float64 with NumPy
    (an initialiser, not a hot path -- tnn has no QR kernel), and the result is copied in."""
    if tensor.dim() < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        # no-op
        return tensor
    rows = tensor.size(0)
    cols = tensor.numel() // rows
    work_dtype = dt.float64 if tensor.dtype is dt.float64 else dt.float32
    flat = Tensor._empty((rows, cols), work_dtype, tensor.device)
    flat.normal_(0, 1, generator=generator)
    m = _host_array(flat).astype(np.float64)
    if rows < cols:
        m = m.T
    q, r = np.linalg.qr(m)
    # Make Q uniform according to https://arxiv.org/pdf/math-ph/0609050.pdf
    q = q * np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    q = np.ascontiguousarray(q * gain).reshape(tuple(tensor.shape))
    with no_grad():
        tensor.copy_(host_tensor(q.astype(tensor.dtype.np), tensor.device))
    return tensor


def sparse_(tensor: Tensor, sparsity: float, std: float = 0.01, generator=None) -> Tensor:
    """A 2-D sparse matrix (Martens, 2010): N(0, std^2) values, with ceil(sparsity * rows) entries of
    every column set to zero at random rows (a random subset per column, drawn from tnn's generator
    as per-entry random keys and ranked on the host)."""
    if tensor.dim() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    rows, cols = tensor.shape
    num_zeros = int(math.ceil(sparsity * rows))
    with no_grad():
        tensor.normal_(0, std, generator=generator)
        if num_zeros and rows and cols:
            keys = Tensor._empty((rows, cols), dt.int64, tensor.device)
            keys.random_(generator=generator)
            order = np.argsort(_host_array(keys), axis=0, kind="stable")
            keep = np.ones((rows, cols), dtype=tensor.dtype.np)
            np.put_along_axis(keep, order[:num_zeros], 0, axis=0)
            tensor.mul_(host_tensor(keep, tensor.device))
    return tensor


# ----------------------------------------------------------------------------- deprecated aliases
def _make_deprecate(meth):
    new_name = meth.__name__
    old_name = new_name[:-1]

    def deprecated_init(*args, **kwargs):
        warnings.warn(f"`nn.init.{old_name}` is now deprecated in favor of `nn.init.{new_name}`.",
                      FutureWarning, stacklevel=2)
        return meth(*args, **kwargs)

    deprecated_init.__doc__ = f"{old_name}(...)\n\n.. warning::\n    This method is now deprecated in favor of " \
                              f":func:`tnn.nn.init.{new_name}`.\n\nSee :func:`~tnn.nn.init.{new_name}` for details."
    deprecated_init.__name__ = old_name
    return deprecated_init


uniform = _make_deprecate(uniform_)
normal = _make_deprecate(normal_)
constant = _make_deprecate(constant_)
xavier_uniform = _make_deprecate(xavier_uniform_)
xavier_normal = _make_deprecate(xavier_normal_)
kaiming_uniform = _make_deprecate(kaiming_uniform_)
kaiming_normal = _make_deprecate(kaiming_normal_)
orthogonal = _make_deprecate(orthogonal_)
sparse = _make_deprecate(sparse_)
