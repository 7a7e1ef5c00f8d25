"""GPU launches without Triton's per-call Python: the compiled kernel cached per specialization key.

``kernel[grid](...)`` (``JITFunction.run``) costs 12-20 us of host time a call: it binds the
arguments, specializes each one, builds a string cache key, looks the kernel up, computes launch
metadata and only then calls the launcher. ``try_launch`` does the same work once per
specialization and afterwards goes straight to the launcher:

    key  = (per-argument specialization, constexpr values, num_warps, num_stages, device)
    miss -> kernel.run(..., warmup=True) compiles (or finds in Triton's own cache) the kernel;
            its launcher is initialised once (``compiled.run`` loads the module)
    hit  -> compiled.run(gx, gy, gz, stream, function, packed_metadata, None, None, None, *args)

The key mirrors Triton's specialization rules (``native_specialize_impl`` in Triton 3.6 and 3.9,
applied as ``create_function_from_signature`` does): for every runtime argument

    tensor  pointer dtype, and whether its address is 16-byte aligned ("D")
    int     == 1 (becomes a constexpr), % 16 == 0 ("D"), and its type by range: i32 / i64 / u64
    bool    u1;  float  fp32;  None  constexpr;  tuple  each element as above (always specialized)

``do_not_specialize`` parameters keep only the type (an int's i32/i64/u64 range, a pointer's
dtype) and ``do_not_specialize_on_alignment`` drops "D"; annotated parameters follow Triton's
annotation rules. Two argument lists with equal keys therefore get the same compiled kernel
from Triton (tests/kernels/test_fastlaunch.py checks this against Triton's own binder, and
``TNN_FAST_LAUNCH=check`` checks it on a GPU at every launch).

The launcher takes every bound argument in parameter order, constexprs included (3.6's generated
C launcher parses them as objects, 3.9's skips them by annotation), pointers as plain ints (which
also skips the launcher's per-pointer cuPointerGetAttribute). The stream is tnn's: the handle of
the cuda-core device's ``default_stream``, on which tnn allocates.

The plain path (``kernel[grid]``) is used whenever this one cannot be sure: TNN_FAST_LAUNCH=0, a
launch hook installed (``knobs.runtime.launch_enter_hook`` / ``launch_exit_hook``), pre-run hooks
on the kernel, an argument type outside the table above, a keyword argument that is not a
trailing parameter, or any error while setting up or calling the launcher.
"""
from __future__ import annotations

import os

_MODE = os.environ.get("TNN_FAST_LAUNCH", "1").strip().lower()
ENABLED = _MODE not in ("0", "false", "off", "no")
CHECK = _MODE == "check"   # also ask Triton for the kernel at every launch and compare (GPU debugging)

_I32 = (-(1 << 31), (1 << 31) - 1)
_I64 = (-(1 << 63), (1 << 63) - 1)


class Unsupported(Exception):
    """An argument the fast path does not specialize: the plain path takes the launch."""


# ------------------------------------------------------------------------------ keys
def int_code(x: int, specialize: bool = True, align: bool = True) -> int:
    """Triton's specialization of a Python int as a small code:
    1 == the value 1 (a constexpr), else 2 * type (1 i32, 2 i64, 3 u64) + 1 when 16-divisible."""
    if specialize and x == 1:
        return 1
    t = 2 if _I32[0] <= x <= _I32[1] else 4 if _I64[0] <= x <= _I64[1] else 6
    return t + (specialize and align and not x & 15)


def _elem_key(x):
    """Key of one tuple element (Triton specializes tuple elements with the defaults)."""
    t = type(x)
    if t is int:
        return int_code(x)
    if t is bool:
        return "u1"
    if t is float:
        return "fp32"
    if x is None:
        return "N"
    if t is tuple:
        return tuple([_elem_key(e) for e in x])
    raise Unsupported(t.__name__)


_TUPLE_KEYS: dict = {}


def tuple_key(t: tuple):
    """Key of a tuple argument (memoised by value: stride and size tuples repeat)."""
    k = _TUPLE_KEYS.get(t)
    if k is None:
        if len(_TUPLE_KEYS) > 4096:
            _TUPLE_KEYS.clear()
        k = _TUPLE_KEYS[t] = _tuple_key(t)
    return k


def _tuple_key(t: tuple):
    return tuple([(1 if x == 1 else (2 if -2147483648 <= x <= 2147483647 else
                                     4 if -9223372036854775808 <= x <= 9223372036854775807 else 6)
                   + (not x & 15)) if type(x) is int else _elem_key(x) for x in t])


class _Param:
    __slots__ = ("name", "constexpr", "specialize", "align", "annotation", "has_default", "default")

    def __init__(self, kp):
        self.name = kp.name
        self.constexpr = bool(kp.is_constexpr)
        specialize = not kp.do_not_specialize
        ann = kp.annotation_type if not self.constexpr else ""
        if ann and isinstance(ann, str) and (ann == "u1" or ann[:2] in ("fp", "bf")):
            specialize = False
        self.specialize = specialize
        self.align = not kp.do_not_specialize_on_alignment
        self.annotation = ann
        self.has_default = bool(kp.has_default)
        self.default = kp.default if self.has_default else None


def _int_expr(v: str, p: _Param) -> str:
    rng = (f"(2 if -2147483648 <= {v} <= 2147483647 else "
           f"4 if -9223372036854775808 <= {v} <= 9223372036854775807 else 6)")
    if p.annotation and not p.specialize:
        return "0"                       # ("<annotation>", None): the value is not looked at
    if not p.specialize:
        return rng
    div = f" + (not {v} & 15)" if p.align else ""
    return f"(1 if {v} == 1 else {rng}{div})"


def _is_tensor_type(obj) -> bool:
    return hasattr(obj, "_buf") and hasattr(obj, "_offset") and hasattr(obj, "dtype")


def make_binder(params: list, args: tuple, tail: list):
    """Generate ``bind(args, cx, num_warps, num_stages, device) -> (key, launcher_args)`` for
    argument types like ``args``'s.

    ``params`` are the kernel's parameters, ``args`` its positional arguments (tensors still
    Tensors), ``tail`` the parameters after them, all given by keyword in ``cx``."""
    if len(args) > len(params):
        raise Unsupported("too many arguments")
    lines, keys, vals = [], [], []
    ns = {"_tuple_key": tuple_key}
    for i, (a, p) in enumerate(zip(args, params)):
        v = f"a{i}"
        t = type(a)
        if p.constexpr:
            keys.append(v)               # ("constexpr", value): the value is the key
            vals.append(v)
        elif _is_tensor_type(a):
            lines.append(f"    p{i} = {v}._buf.ptr + {v}._offset * {v}.dtype.itemsize")
            keys.append(f"{v}.dtype")
            if p.specialize and p.align:
                keys.append(f"not p{i} & 15")   # "D" when 16-byte aligned
            vals.append(f"p{i}")
        elif t is int:
            keys.append(_int_expr(v, p))
            vals.append(v)
        elif t is bool or t is float or a is None:
            vals.append(v)               # u1 / fp32 / constexpr None: nothing beyond the type
        elif t is tuple:
            keys.append(f"_tuple_key({v})")
            vals.append(v)
        else:
            raise Unsupported(t.__name__)
    for j, p in enumerate(tail):
        if not p.constexpr:
            raise Unsupported(f"runtime argument {p.name} given by keyword")
        name = f"d{j}"
        if p.has_default:
            ns[name] = p.default
            expr = f"cx.get({p.name!r}, {name})"
        else:
            expr = f"cx[{p.name!r}]"
        lines.append(f"    c{j} = {expr}")
        keys.append(f"c{j}")
        vals.append(f"c{j}")
    unpack = f"    {''.join(f'a{i}, ' for i in range(len(args)))}= args\n" if args else ""
    src = ("def bind(args, cx, nw, ns, dev):\n" + unpack + "".join(l + "\n" for l in lines) +
           f"    return ({''.join(k + ', ' for k in keys)}nw, ns, dev), ({''.join(x + ', ' for x in vals)})\n")
    exec(compile(src, f"<tnn fastlaunch binder {len(args)}>", "exec"), ns)
    bind = ns["bind"]
    bind.source = src
    bind.n_tail = len(tail)
    return bind


# ------------------------------------------------------------------------------ per kernel
class _Launch:
    __slots__ = ("compiled", "launcher", "function", "packed")

    def __init__(self, compiled):
        self.compiled = compiled
        self.launcher = compiled.run          # a property in 3.6 and 3.9: loads the module once
        self.function = compiled.function
        self.packed = compiled.packed_metadata


class _Entry:
    """What tnn keeps per JITFunction: its parameters, one binder per argument-type tuple and
    one launch per key."""

    __slots__ = ("params", "binders", "launches")

    def __init__(self, kernel):
        self.params = [_Param(kp) for kp in kernel.params]
        self.binders = {}    # tuple of the positional arguments' types -> bind
        self.launches = {}   # key -> _Launch


def _entry(kernel):
    e = getattr(kernel, "_tnn_fast", None)
    if e is None:
        try:
            e = _Entry(kernel)
        except Exception:  # not a JITFunction as we know it
            e = False
        try:
            kernel._tnn_fast = e
        except Exception:
            return None
    return e or None


def _binder(entry, args, cx):
    tkey = tuple(map(type, args))
    b = entry.binders.get(tkey)
    if b is None:
        n = len(args)
        tail = entry.params[n:]
        if set(cx) - {p.name for p in tail}:
            raise Unsupported("keyword argument that is not a trailing parameter")
        b = entry.binders[tkey] = make_binder(entry.params, args, tail)
    return b


def specialization_key(kernel, args, constexprs, num_warps=None, num_stages=None, device_index=0):
    """The fast path's key for a launch (None where the plain path would take it); for tests."""
    entry = _entry(kernel)
    if entry is None:
        return None
    try:
        return _binder(entry, args, constexprs)(args, constexprs, num_warps, num_stages, device_index)[0]
    except Exception:
        return None


def launcher_args(kernel, args, constexprs):
    """The argument tuple the fast path hands the launcher (pointers as ints); for tests."""
    entry = _entry(kernel)
    return _binder(entry, args, constexprs)(args, constexprs, None, None, 0)[1]


# ------------------------------------------------------------------------------ runtime
_STREAMS: dict = {}


def stream_handle(index: int) -> int:
    """The raw handle of the stream tnn allocates on: cuda-core's default stream of the device
    (0, the legacy default stream, if that cannot be read -- what Triton itself uses without torch)."""
    s = _STREAMS.get(index)
    if s is None:
        try:
            from ..runtime.device import cuda_device
            s = int(cuda_device(index).default_stream.handle)
        except Exception:
            s = 0
        _STREAMS[index] = s
    return s


def _knobs_runtime():
    try:
        from triton import knobs
        return knobs.runtime
    except Exception:  # a Triton without knobs: no hooks to honour
        return None


_RT = _knobs_runtime()


def _hook_chain_type():
    try:
        from triton.knobs import HookChain   # 3.6 and 3.9: hooks live in a chain, set when it holds one
        return HookChain
    except Exception:
        return None


_HOOK_CHAIN = _hook_chain_type()
if _RT is not None and not hasattr(_RT, "launch_enter_hook"):
    _RT = None


def hooks_active() -> bool:
    """A launch hook (profilers such as proton install them) or a pipeline-inspection hook is set."""
    rt = _RT
    if rt is None:
        return False
    h = getattr(rt, "launch_enter_hook", None)
    if h is not None and (h.calls if type(h) is _HOOK_CHAIN else True):
        return True
    h = getattr(rt, "launch_exit_hook", None)
    if h is not None and (h.calls if type(h) is _HOOK_CHAIN else True):
        return True
    return getattr(rt, "add_stages_inspection_hook", None) is not None


def _plain_args(args):
    from .launch import _pointer, _is_tensor
    return tuple(_pointer(a, False) if _is_tensor(a) else a for a in args)


def _compile(kernel, grid, args, constexprs, opts):
    """The CompiledKernel Triton would launch for these arguments (compiling it if needed)."""
    compiled = kernel.run(*_plain_args(args), grid=grid, warmup=True, **constexprs, **opts)
    if compiled is not None and hasattr(compiled, "result") and not hasattr(compiled, "packed_metadata"):
        compiled = compiled.result()   # async compile mode hands back a future
    return compiled


stats = {"miss": 0, "plain": 0}


def try_launch(kernel, grid, dev_index: int, args, constexprs, num_warps=None, num_stages=None) -> bool:
    """Launch through the cached launcher; False when the caller must take the plain path."""
    if not ENABLED:
        return False
    entry = _entry(kernel)
    if entry is None or hooks_active() or getattr(kernel, "pre_run_hooks", None):
        stats["plain"] += 1
        return False
    try:
        bind = _binder(entry, args, constexprs)
        if len(constexprs) > bind.n_tail:
            raise Unsupported("unknown keyword argument")
        key, kargs = bind(args, constexprs, num_warps, num_stages, dev_index)
        ln = entry.launches.get(key)
    except Exception:  # Unsupported, a missing constexpr, an unhashable value ...: Triton decides
        stats["plain"] += 1
        return False
    if ln is None or CHECK:
        opts = {}
        if num_warps is not None:
            opts["num_warps"] = num_warps
        if num_stages is not None:
            opts["num_stages"] = num_stages
        if ln is None:
            try:
                compiled = _compile(kernel, grid, args, constexprs, opts)
                if compiled is None:
                    stats["plain"] += 1
                    return False
                ln = _Launch(compiled)
            except Exception:
                stats["plain"] += 1
                return False   # the plain path raises the real error (compile error, out of resources...)
            entry.launches[key] = ln
            stats["miss"] += 1
        elif _compile(kernel, grid, args, constexprs, opts) is not ln.compiled:
            raise RuntimeError(f"tnn fast launch: key {key} of {kernel} maps to a different compiled kernel "
                               f"than Triton's specialization")
    stream = _STREAMS.get(dev_index)
    if stream is None:
        stream = stream_handle(dev_index)
    n = len(grid)
    try:
        ln.launcher(grid[0], grid[1] if n > 1 else 1, grid[2] if n > 2 else 1, stream, ln.function, ln.packed,
                    None, None, None, *kargs)
    except Exception:
        entry.launches.pop(key, None)
        stats["plain"] += 1
        return False
    return True
