"""The one place where Tensors become kernel arguments and kernels are launched, on either backend.

- cuda tensors: the kernel is compiled by Triton and launched on the GPU.
- cpu tensors: the same kernel source runs in Triton's interpreter on host buffers.

Both backends live in one process. Triton decides at decoration time whether ``@triton.jit``
makes a compiled or an interpreted function, and a compiled ``JITFunction`` refuses to be called
from Python -- which is exactly what an interpreted kernel does when it calls a helper such as
``tl.zeros`` or one of ours. ``_install_mixed_mode`` replaces that refusal (it only ever raises)
with "run the helper through the interpreter", so one ``@triton.jit`` object serves both.

The interpreter expects torch-like tensors; ``_HostPointer`` is the tiny stand-in it gets instead.
On the GPU a launch goes straight to the compiled kernel's launcher, cached per specialization key
(``fastlaunch.py``; ``kernel[grid]`` is the fallback). Launch configs: the GPU uses the launcher's
per-device choice (GEMMs: ``autotune.py``); the interpreter pays per program instance, so it gets
large blocks (``interpreter_block``).
"""
from __future__ import annotations

import inspect
import os

import triton
import triton.language as tl
from triton.language import core as _tl_core  # noqa: F401  (its presence here makes _patch_lang patch it)

from ..runtime.device import cuda_device as _cuda_device
from ..runtime.device import device
from . import fastlaunch as _fast

jit = triton.jit
cdiv = triton.cdiv
next_power_of_2 = triton.next_power_of_2


class _DevicePointer:
    """What a compiled kernel receives for a tensor: an address and a dtype Triton can name."""

    __slots__ = ("ptr", "dtype")

    def __init__(self, ptr: int, dtype):
        self.ptr = ptr
        self.dtype = dtype

    def data_ptr(self) -> int:
        return self.ptr


class _HostPointer(_DevicePointer):
    """The interpreter's torch-like view of a host buffer: the host copy *is* the buffer, so the
    storage round trip the interpreter makes for device tensors is the identity here."""

    __slots__ = ()

    def untyped_storage(self):
        return self

    def cpu(self):
        return self

    def new_empty(self, *args, **kwargs):
        return self

    def set_(self, *args):
        return self

    def storage_offset(self):
        return 0

    def size(self):
        return ()

    def stride(self):
        return ()

    def copy_(self, other):
        return self


class _Interpreter:
    """Runs a kernel's Python body once per program instance with Triton's interpreter builder."""

    def __init__(self):
        from triton.runtime import interpreter as I
        from triton.runtime.jit import JITFunction

        self.I = I
        self._rewritten = {}

        def _interpret_helper(jitfn, *args, **kwargs):
            # Called only from inside an interpreted kernel (the original method always raised).
            return self.rewritten(jitfn.fn)(*args, **kwargs)

        JITFunction.__call__ = _interpret_helper
        _fix_bf16_dot(I)
        self._fix_bfloat16_casts()
        # Record once what _patch_lang changes for tl and tl.core (this module imports both), so a
        # launch re-applies those attributes with plain setattr instead of re-inspecting modules.
        scope = I._patch_lang(_patch_probe)
        changes = list(scope._changes)
        self._patched = [(obj, name, getattr(obj, name)) for obj, name, _ in changes]
        scope.restore()
        self._originals = [(obj, name, orig) for obj, name, orig in changes]

    def _fix_bfloat16_casts(self):
        """The interpreter stores bfloat16 as raw uint16 and casts to it by truncation (and ints or
        float64 to it by integer conversion); the GPU rounds to nearest even. Route every cast that
        touches bfloat16 through ml_dtypes, which rounds as the GPU does."""
        import ml_dtypes
        import numpy as np

        I = self.I
        builder = I.interpreter_builder
        original = builder.cast_impl

        def cast_impl(src, dst_type):
            src_t, dst_t = src.dtype.scalar, dst_type.scalar
            if src_t != tl.bfloat16 and dst_t != tl.bfloat16:
                return original(src, dst_type)
            value = src.data.view(ml_dtypes.bfloat16) if src_t == tl.bfloat16 else src.data
            if dst_t == tl.bfloat16:
                data = np.asarray(value).astype(ml_dtypes.bfloat16).view(np.uint16)
            else:
                data = np.asarray(value).astype(I._get_np_dtype(dst_type))
            return I.TensorHandle(data, dst_t)

        builder.cast_impl = cast_impl

        # Arithmetic, min/max and comparisons on bfloat16 would otherwise act on the raw uint16 bits.
        binary_original = builder.binary_op

        def binary_op(lhs, rhs, op):
            if lhs.dtype.scalar != tl.bfloat16 and rhs.dtype.scalar != tl.bfloat16:
                return binary_original(lhs, rhs, op)
            a, b = (h.data.view(ml_dtypes.bfloat16).astype(np.float32) if h.dtype.scalar == tl.bfloat16
                    else h.data for h in (lhs, rhs))
            out = op(a, b)
            if out.dtype == np.bool_:
                return I.TensorHandle(out, tl.int1)
            return I.TensorHandle(out.astype(ml_dtypes.bfloat16).view(np.uint16), tl.bfloat16)

        builder.binary_op = binary_op

    def rewritten(self, fn):
        f = self._rewritten.get(fn)
        if f is None:
            f = self._rewritten[fn] = self.I.InterpretedFunction(fn).rewrite()
        return f

    def run(self, kernel, grid, args, constexprs):
        I = self.I
        pyfn = kernel.fn
        fn = self.rewritten(pyfn)
        names = _arg_names(pyfn)
        bound = dict(zip(names, args))
        bound.update(constexprs)
        call_args = {n: (bound[n] if n in _constexpr_names(pyfn) else I._implicit_cvt(bound[n])) for n in names}
        grid = tuple(grid) + (1,) * (3 - len(grid))
        for obj, name, new in self._patched:
            setattr(obj, name, new)
        import numpy as np
        try:
            # IEEE results without NumPy warnings, as on a GPU: kernels legitimately compute
            # log(0), inf - inf ... on lanes that a later tl.where discards.
            I.interpreter_builder.set_grid_dim(*grid)
            with np.errstate(all="ignore"):
                for x in range(grid[0]):
                    for y in range(grid[1]):
                        for z in range(grid[2]):
                            I.interpreter_builder.set_grid_idx(x, y, z)
                            fn(**call_args)
        finally:
            for obj, name, orig in reversed(self._originals):
                if orig is I._MISSING:
                    delattr(obj, name)
                else:
                    setattr(obj, name, orig)


def _fix_bf16_dot(I):
    """Triton's interpreter (3.9) keeps bfloat16 as uint16 bit patterns and its tl.dot multiplies
    those integers. Widen bfloat16 operands to float32 (exact: bf16 is fp32's top half) first."""
    import numpy as np
    builder = I.interpreter_builder
    create_dot = builder.create_dot

    def widen(x):
        if x.dtype.scalar == tl.bfloat16 and x.data.dtype == np.uint16:
            return I.TensorHandle((x.data.astype(np.uint32) << 16).view(np.float32), tl.float32)
        return x

    def dot(a, b, d, input_precision, max_num_imprecise_acc):
        return create_dot(widen(a), widen(b), d, input_precision, max_num_imprecise_acc)

    builder.create_dot = dot


def _patch_probe():
    """Its module globals hold both tl and tl.core: _patch_lang uses them to know what to patch."""


_ARG_NAMES: dict = {}
_CONSTEXPRS: dict = {}


def _arg_names(fn):
    names = _ARG_NAMES.get(fn)
    if names is None:
        names = _ARG_NAMES[fn] = [p for p in inspect.signature(fn).parameters]
    return names


def _constexpr_names(fn):
    names = _CONSTEXPRS.get(fn)
    if names is None:
        from triton.runtime.jit import _normalize_ty
        ann = inspect.get_annotations(fn)
        names = _CONSTEXPRS[fn] = frozenset(n for n, t in ann.items() if _normalize_ty(t) == "constexpr")
    return names


_interpreter: _Interpreter | None = None


def _get_interpreter() -> _Interpreter:
    global _interpreter
    if _interpreter is None:
        _interpreter = _Interpreter()
    return _interpreter


def _pointer(t, host: bool):
    cls = _HostPointer if host else _DevicePointer
    return cls(t._buf.ptr + t._offset * t.dtype.itemsize, t.dtype)


def _is_tensor(a) -> bool:
    return hasattr(a, "_buf") and hasattr(a, "_offset")


def launch(kernel, grid, *args, num_warps: int | None = None, num_stages: int | None = None, **constexprs):
    """Launch ``kernel`` over ``grid`` (a tuple of up to 3 ints).

    ``args`` are the kernel's runtime arguments in order: Tensors (passed as a pointer to their
    first element; the kernel is given their strides separately), ints, floats, tuples of ints
    and None. ``constexprs`` are the ``tl.constexpr`` parameters by name. Every Tensor must be on
    the same device, which picks the backend. Programs over an empty grid are not launched.
    """
    dev = None
    for a in args:
        if _is_tensor(a):
            if dev is None:
                dev = a.device
            elif a.device != dev:
                raise RuntimeError(
                    f"Expected all tensors to be on the same device, but found at least two devices, {dev} and {a.device}!")
    if dev is None:
        raise RuntimeError("launch: a kernel needs at least one tensor argument")
    if any(g == 0 for g in grid):
        return
    host = dev.type == "cpu"
    if not host and _fast_launch(kernel, grid, dev, args, constexprs, num_warps, num_stages):
        return
    conv = tuple(_pointer(a, host) if _is_tensor(a) else a for a in args)
    if host:
        _get_interpreter().run(kernel, grid, conv, constexprs)
        return
    from ..runtime.device import cuda_device
    cuda_device(dev.index)
    opts = {}
    if num_warps is not None:
        opts["num_warps"] = num_warps
    if num_stages is not None:
        opts["num_stages"] = num_stages
    kernel[tuple(grid)](*conv, **constexprs, **opts)


def _fast_launch(kernel, grid, dev, args, constexprs, num_warps, num_stages) -> bool:
    """GPU: launch through the compiled kernel cached per specialization key (kernels/fastlaunch.py);
    False when the plain ``kernel[grid](...)`` path must take this launch."""
    _cuda_device(dev.index)
    return _fast.try_launch(kernel, grid, dev.index, args, constexprs, num_warps, num_stages)


def is_interpreted(dev: device) -> bool:
    return dev.type == "cpu"


# Elementwise work per program. The interpreter runs each program as NumPy calls over the whole
# block, so fewer, bigger programs are much faster there; on a GPU 1024 elements and 4 warps keep
# enough loads in flight for a memory-bound kernel.
_INTERP_MAX_BLOCK = int(os.environ.get("TNN_INTERPRETER_BLOCK", 1 << 16))


def elementwise_config(numel: int, dev: device) -> tuple[int, int]:
    """(BLOCK, num_warps) for a kernel that gives each program BLOCK consecutive elements."""
    if is_interpreted(dev):
        return max(16, min(next_power_of_2(max(numel, 1)), _INTERP_MAX_BLOCK)), 1
    return 1024, 4


def row_config(n_cols: int, dev: device, max_block: int = 1 << 14) -> tuple[int, int]:
    """(BLOCK_N, num_warps) for a kernel that walks one row of n_cols in blocks of BLOCK_N
    (as Liger's calculate_settings: a power of two covering the row, warps growing with it)."""
    block = max(16, min(next_power_of_2(max(n_cols, 1)), max_block))
    if is_interpreted(dev):
        return block, 1
    warps = 4 if block < 2048 else 8 if block < 8192 else 16
    return block, warps
