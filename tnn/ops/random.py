"""Random sampling: Generator (Philox seed + counter offset), rand/randn/randint/normal/randperm/
bernoulli/multinomial and the in-place samplers uniform_/normal_/random_/bernoulli_/exponential_.

Every draw takes ``numel`` fresh Philox counters from its generator (``Generator._reserve``) and
runs ``kernels.random.random_fill``; sample i of a draw depends only on (seed, offset + i), where
i is the row-major logical index. Consequences, by design:

- the same seed gives the same numbers on cpu and cuda (one kernel source; uniform and integer
  results are bit-identical, normal/exponential agree to the last ulp or so -- see kernels/random.py);
- a strided or transposed view filled in place gets the same values as a contiguous tensor of the
  same shape would;
- there is ONE default generator for every device (torch keeps one per device), so
  ``tnn.manual_seed`` makes cpu and cuda runs draw the same streams.

randperm and multinomial draw their randomness with the kernel and then sort / search on the host
(NumPy): tnn has no sort kernel yet. That costs a device round trip for cuda tensors.
"""
from __future__ import annotations

import math
import os

import numpy as np

from ..kernels import random as K
from ..runtime import dtypes as dt
from ..runtime.device import as_device
from ..shape import broadcast_shapes, broadcast_strides, coalesce
from ..tensor import Tensor
from .copying import _check_writable_overlap, _host_array, host_tensor
from .views import _shape_arg

__all__ = [
    "Generator", "default_generator", "manual_seed", "seed", "initial_seed", "get_rng_state", "set_rng_state",
    "rand", "randn", "randint", "normal", "rand_like", "randn_like", "randint_like", "randperm", "bernoulli",
    "multinomial",
]

_U64 = (1 << 64) - 1
_DEFAULT_SEED = 67280421310721  # torch's default_generator initial seed


class Generator:
    """A Philox stream: a 64-bit seed and a 64-bit counter offset.

    ``get_state()`` returns a 16-byte uint8 cpu tensor (seed, offset as little-endian uint64), as
    torch returns a ByteTensor; ``set_state`` takes it back. The ``device`` argument is recorded
    for torch compatibility only: the same stream serves every device."""

    def __init__(self, device="cpu"):
        self.device = as_device(device)
        self._seed = _DEFAULT_SEED
        self._offset = 0

    def manual_seed(self, seed) -> "Generator":
        seed = int(seed)
        if not -(1 << 63) <= seed <= _U64:
            raise RuntimeError(
                f"Overflow when unpacking long long: seed must be within the range [-0x8000000000000000, "
                f"0xffffffffffffffff], got {seed}")
        self._seed = seed & _U64
        self._offset = 0
        return self

    def seed(self) -> int:
        """Seed from OS entropy; returns the new seed (torch.Generator.seed)."""
        s = int.from_bytes(os.urandom(8), "little") & ((1 << 63) - 1)
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> Tensor:
        raw = np.array([self._seed, self._offset], dtype=np.uint64).view(np.uint8)
        return host_tensor(raw, as_device("cpu"))

    def set_state(self, new_state) -> "Generator":
        if not isinstance(new_state, Tensor) or new_state.dtype is not dt.uint8 or new_state.numel() != 16:
            raise RuntimeError("set_state: expected a uint8 tensor of 16 bytes (as returned by get_state())")
        seed, off = np.ascontiguousarray(_host_array(new_state).reshape(-1)).view(np.uint64).tolist()
        self._seed, self._offset = int(seed), int(off)
        return self

    def get_offset(self) -> int:
        return self._offset

    def set_offset(self, offset: int) -> "Generator":
        self._offset = int(offset)
        return self

    def _reserve(self, n: int) -> tuple[int, int]:
        """(seed, first counter) for a draw of n samples; advances the offset past them."""
        off = self._offset
        self._offset = (off + int(n)) & _U64
        return self._seed, off

    def __repr__(self):
        return f"<tnn.Generator object, device={self.device}>"


default_generator = Generator()


def manual_seed(seed) -> Generator:
    """Seed the default generator (for every device); returns it."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state() -> Tensor:
    return default_generator.get_state()


def set_rng_state(new_state) -> None:
    default_generator.set_state(new_state)


# ---------------------------------------------------------------- helpers
_SCALAR_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16",
                 "int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
                 "bool": "Bool"}


def _gen(generator) -> Generator:
    if generator is None:
        return default_generator
    if not isinstance(generator, Generator):
        raise TypeError(f"expected a tnn.Generator, got {type(generator).__name__}")
    return generator


def _require_float(t: Tensor, what: str):
    if not t.dtype.is_floating_point:
        raise RuntimeError(f'"{what}" not implemented for \'{_SCALAR_NAMES[t.dtype.name]}\'')


def _fill(out: Tensor, dist: int, generator, a=0.0, b=0.0, a_tensor=None, b_tensor=None) -> Tensor:
    """Draw into ``out`` (any layout); tensor parameters broadcast to out's shape."""
    _check_writable_overlap(out)
    n = out.numel()
    if n == 0:
        return out
    operands = [out.stride()]
    for p in (a_tensor, b_tensor):
        if p is not None:
            if p.device != out.device:
                raise RuntimeError(
                    f"Expected all tensors to be on the same device, but found at least two devices, "
                    f"{out.device} and {p.device}!")
            operands.append(broadcast_strides(p.shape, p.stride(), out.shape))
    sizes, strides = coalesce(out.shape, *operands)
    rest = iter(strides[1:])
    a_st = next(rest) if a_tensor is not None else None
    b_st = next(rest) if b_tensor is not None else None
    seed_, off = _gen(generator)._reserve(n)
    K.random_fill(out, dist, seed_, off, sizes, strides[0], a, b, a_tensor, a_st, b_tensor, b_st)
    out._version_bump()
    return out


def _new(size, dtype, device, default=None) -> Tensor:
    from .creation import _new as new
    return new(size, dtype if dtype is not None else default, device, False)


def _size_arg(size, kw) -> tuple:
    """*size, or the size= keyword (torch.rand(size=(2, 3)))."""
    if "size" in kw:
        if size:
            raise TypeError("size given both positionally and as a keyword")
        size = (kw.pop("size"),)
    return _shape_arg(size)


def _finish(t: Tensor, requires_grad: bool) -> Tensor:
    return t.requires_grad_(True) if requires_grad else t


def _num(x, name="value"):
    if isinstance(x, Tensor):
        return x.item()
    return x


# ---------------------------------------------------------------- in-place samplers (Tensor methods)
def uniform_(t: Tensor, a=0.0, b=1.0, *, generator=None, **kw) -> Tensor:
    a = float(_num(kw.pop("from", a)))
    b = float(_num(kw.pop("to", b)))
    _require_float(t, "check_uniform_bounds")
    if not a <= b:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={_fmt(a)} > to={_fmt(b)}")
    info = np.finfo(np.float32 if t.dtype is dt.bfloat16 else t.dtype.np)
    lim = float(info.max) if t.dtype is not dt.bfloat16 else 3.3895313892515355e38
    if b - a > lim:
        raise RuntimeError(
            f"uniform_ expects to-from <= std::numeric_limits<{_SCALAR_NAMES[t.dtype.name]}>::max(), but found "
            f"to={_fmt(b)} and from={_fmt(a)} which result in to-from to exceed the limit")
    return _fill(t, K.UNIFORM, generator, a, b)


def normal_(t: Tensor, mean=0.0, std=1.0, *, generator=None) -> Tensor:
    mean, std = float(_num(mean)), float(_num(std))
    _require_float(t, "normal_kernel_cpu")
    if not std >= 0.0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {_fmt(std)}")
    return _fill(t, K.NORMAL, generator, mean, std)


def exponential_(t: Tensor, lambd=1.0, *, generator=None) -> Tensor:
    lambd = float(_num(lambd))
    _require_float(t, "exponential_cpu")
    if not lambd > 0.0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={_fmt(lambd)}")
    return _fill(t, K.EXPONENTIAL, generator, lambd)


def _int_bounds(d: dt.dtype) -> tuple[int, int]:
    """The inclusive range random_ may produce for a dtype (floats: integers exactly representable)."""
    if d is dt.bool_:
        return 0, 1
    if d.category == 1:
        info = np.iinfo(d.np)
        return int(info.min), int(info.max)
    digits = K._MANT_BITS[d.name]
    return -(1 << digits), 1 << digits


def random_(t: Tensor, *args, generator=None, **kw) -> Tensor:
    """random_(): [0, max] (floats: [0, 2**digits]); random_(to): [0, to); random_(from, to): [from, to);
    random_(from, None): [from, max]."""
    if "from" in kw or "to" in kw:
        args = (kw.pop("from", 0), kw.pop("to", None))
    if kw:
        raise TypeError(f"random_() got unexpected keyword arguments {sorted(kw)}")
    if len(args) > 2:
        raise TypeError(f"random_() takes at most 2 positional arguments but {len(args)} were given")
    lo, hi = _int_bounds(t.dtype)
    if not args:
        frm, to = 0, hi + 1
    elif len(args) == 1:
        frm, to = 0, int(_num(args[0]))
    else:
        frm = int(_num(args[0]))
        to = hi + 1 if args[1] is None else int(_num(args[1]))
    if frm >= to:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={frm} >= to={to}")
    name = _SCALAR_NAMES[t.dtype.name]
    if not lo <= frm <= hi:
        raise RuntimeError(f"from is out of bounds for {name}")
    if not lo <= to - 1 <= hi:
        raise RuntimeError(f"to - 1 is out of bounds for {name}")
    return _fill(t, K.RANDINT, generator, frm, (to - frm) & _U64)


def bernoulli_(t: Tensor, p=0.5, *, generator=None) -> Tensor:
    if isinstance(p, Tensor):
        _check_probs(p, "bernoulli_")
        if not p.is_floating_point():
            p = p.to(dtype=dt.float32)
        broadcast_shapes(t.shape, p.shape)
        if tuple(broadcast_shapes(t.shape, p.shape)) != tuple(t.shape):
            raise RuntimeError(f"expand: the shape of p {list(p.shape)} can't be broadcast to {list(t.shape)}")
        return _fill(t, K.BERNOULLI, generator, a_tensor=p)
    p = float(p)
    if not 0.0 <= p <= 1.0:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={_fmt(p)}")
    return _fill(t, K.BERNOULLI, generator, p)


def _check_probs(p: Tensor, what: str):
    if p.numel() and p.is_floating_point():
        a = _host_array(p).astype(np.float64)
        if not ((a >= 0) & (a <= 1)).all():
            raise RuntimeError(f"{what}: all elements of p must be in [0, 1]")


def _fmt(x: float) -> str:
    """A float the way torch's messages print a c10::Scalar / double (1, 0.5, -1.5)."""
    return f"{x:g}" if math.isfinite(x) else str(x)


# ---------------------------------------------------------------- factories
def rand(*size, generator=None, dtype=None, device=None, requires_grad=False, **kw) -> Tensor:
    """Uniform on [0, 1)."""
    out = _new(_size_arg(size, kw), dtype, device, dt.get_default_dtype())
    _require_float(out, "check_uniform_bounds")
    return _finish(_fill(out, K.UNIFORM, generator, 0.0, 1.0), requires_grad)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False, **kw) -> Tensor:
    """Standard normal."""
    out = _new(_size_arg(size, kw), dtype, device, dt.get_default_dtype())
    _require_float(out, "normal_kernel_cpu")
    return _finish(_fill(out, K.NORMAL, generator, 0.0, 1.0), requires_grad)


def randint(*args, size=None, generator=None, dtype=None, device=None, requires_grad=False, **kw) -> Tensor:
    """randint(high, size) or randint(low, high, size) (low/high also as keywords): uniform
    integers in [low, high), int64 unless dtype says otherwise."""
    low, high = kw.pop("low", None), kw.pop("high", None)
    if kw:
        raise TypeError(f"randint() got unexpected keyword arguments {sorted(kw)}")
    args = list(args)
    if size is None and args and isinstance(args[-1], (tuple, list)):
        size = args.pop()
    if high is None:
        if not args:
            raise TypeError("randint() missing required argument 'high'")
        high = args.pop()
    if low is None:
        low = args.pop() if args else 0
    if args or size is None:
        raise TypeError("randint() received an invalid combination of arguments - expected "
                        "(int low = 0, int high, tuple of ints size, *, Generator generator, dtype, device)")
    out = _new(_shape_arg(size), dtype, device, dt.int64)
    low, high = int(_num(low)), int(_num(high))
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    random_(out, low, high, generator=generator)
    return _finish(out, requires_grad)


def rand_like(t: Tensor, *, generator=None, dtype=None, device=None, requires_grad=False, **_) -> Tensor:
    return rand(tuple(t.shape), generator=generator, dtype=dtype or t.dtype, device=device or t.device,
                requires_grad=requires_grad)


def randn_like(t: Tensor, *, generator=None, dtype=None, device=None, requires_grad=False, **_) -> Tensor:
    return randn(tuple(t.shape), generator=generator, dtype=dtype or t.dtype, device=device or t.device,
                 requires_grad=requires_grad)


def randint_like(t: Tensor, low=0, high=None, *, generator=None, dtype=None, device=None, requires_grad=False,
                 **_) -> Tensor:
    if high is None:
        low, high = 0, low
    return randint(low, high, tuple(t.shape), generator=generator, dtype=dtype or t.dtype,
                   device=device or t.device, requires_grad=requires_grad)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, device=None, requires_grad=False,
           out=None, **_) -> Tensor:
    """normal(mean, std, size) with floats; or elementwise with Tensor mean and/or std (the result
    has their broadcast shape, dtype and device)."""
    mt, st = isinstance(mean, Tensor), isinstance(std, Tensor)
    if not (mt or st):
        if size is None:
            raise TypeError("normal() received an invalid combination of arguments - with float mean and std, "
                            "size is required")
        o = _new(_shape_arg(size), dtype, device, dt.get_default_dtype())
        return _finish(normal_(o, mean, std, generator=generator), requires_grad)
    tensors = [x for x in (mean, std) if isinstance(x, Tensor)]
    for x in tensors:
        _require_float(x, "normal")
    shape = broadcast_shapes(*[x.shape for x in tensors])
    res_dtype = tensors[0].dtype if len(tensors) == 1 else dt.promote_types(mean.dtype, std.dtype)
    o = Tensor._empty(shape, res_dtype, tensors[0].device)
    if st:
        if std.numel() and float(_host_array(std).astype(np.float64).min()) < 0:
            raise RuntimeError("normal expects all elements of std >= 0.0")
    else:
        std = float(std)
        if not std >= 0.0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {_fmt(std)}")
    _fill(o, K.NORMAL, generator, 0.0 if mt else float(mean), 0.0 if st else std,
          a_tensor=mean if mt else None, b_tensor=std if st else None)
    if out is not None:
        out.copy_(o)
        return out
    return o


def bernoulli(input: Tensor, p=None, *, generator=None, out=None) -> Tensor:
    """bernoulli(input): out[i] = 1 with probability input[i]; bernoulli(input, p): probability p
    (a float) for every element. The result has input's shape and dtype."""
    o = Tensor._empty(input.shape, input.dtype, input.device)
    if p is None:
        _require_float(input, "bernoulli_tensor_cpu_p_")
        bernoulli_(o, input, generator=generator)
    else:
        bernoulli_(o, p, generator=generator)
    if out is not None:
        out.copy_(o)
        return out
    return o


def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False, **_) -> Tensor:
    """A random permutation of 0..n-1: n random 64-bit keys drawn by the kernel, argsorted on the
    host (stable, so ties -- probability ~n**2 / 2**64 -- cannot bias it)."""
    n = int(n)
    if n < 0:
        raise RuntimeError(f"n must be non-negative, got{n}")
    d = dt.as_dtype(dtype) if dtype is not None else dt.int64
    dev = as_device(device)
    keys = Tensor._empty((n,), dt.int64, dev)
    _fill(keys, K.RANDINT, generator, -(1 << 63), 0)
    perm = np.argsort(_host_array(keys), kind="stable")
    if d.category == 2 and n > (1 << K._MANT_BITS[d.name]) + 1 or d.category == 1 and n - 1 > np.iinfo(d.np).max:
        raise RuntimeError(f"n must be less than or equal to the maximum value representable by {d}")
    return _finish(host_tensor(perm.astype(d.np), dev), requires_grad)


def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *, generator=None,
                out=None) -> Tensor:
    """Sample category indices from rows of non-negative weights. The uniforms come from the
    kernel; the inverse-CDF search (with replacement) and the exponential-race top-k (without
    replacement: index i wins with key E_i / w_i, E_i ~ Exp(1)) run on the host."""
    if input.dim() not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if not input.is_floating_point():
        raise RuntimeError(f'"multinomial" not implemented for \'{_SCALAR_NAMES[input.dtype.name]}\'')
    num_samples = int(num_samples)
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    n_cat = input.shape[-1]
    if not replacement and num_samples > n_cat:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    w = _host_array(input).astype(np.float64).reshape(-1, n_cat)
    if not np.isfinite(w).all() or (w < 0).any():
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if (w.sum(axis=1) <= 0).any():
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    rows = w.shape[0]
    if not replacement and ((w > 0).sum(axis=1) < num_samples).any():
        raise RuntimeError("invalid multinomial distribution (with replacement=False, not enough non-negative "
                           "category to sample)")
    if replacement:
        u = Tensor._empty((rows, num_samples), dt.float64, input.device)
        uniform_(u, generator=generator)
        cdf = np.cumsum(w, axis=1)
        cdf /= cdf[:, -1:]
        uh = _host_array(u)
        idx = np.stack([np.searchsorted(cdf[r], uh[r], side="right") for r in range(rows)])
        idx = np.minimum(idx, n_cat - 1)
    else:
        e = Tensor._empty((rows, n_cat), dt.float64, input.device)
        exponential_(e, generator=generator)
        with np.errstate(divide="ignore"):
            keys = _host_array(e) / w
        idx = np.argsort(keys, axis=1, kind="stable")[:, :num_samples]
    idx = idx.reshape(tuple(input.shape[:-1]) + (num_samples,)).astype(np.int64)
    o = host_tensor(idx, input.device)
    if out is not None:
        out.copy_(o)
        return out
    return o
