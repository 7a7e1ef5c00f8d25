"""The GPU fast launch path (kernels/fastlaunch.py), checked without a GPU.

- Its key mirrors Triton's specialization exactly: over many argument lists for real tnn kernels,
  two lists get equal fast-path keys iff Triton's own binder (built for an sm_90 backend, the code
  ``JITFunction.run`` uses) gives them equal specializations.
- The launcher gets what ``JITFunction.run`` hands it: every bound argument in parameter order
  (constexprs included), pointers as ints.
- A kernel compiled for sm_90 from Triton's specialization of a launch has the signature and
  divisibility attributes that the fast-path key of that launch describes.
- Miss / hit / fallback logic against a fake kernel and launcher; launch() routes cuda tensors
  through it and falls back to ``kernel[grid]``.
"""
import random

import pytest
import triton
from triton.backends.compiler import GPUTarget
from triton.compiler import make_backend
from triton.runtime.jit import create_function_from_signature

import tnn
from tnn.kernels import copy as C
from tnn.kernels import dropout as D
from tnn.kernels import fastlaunch as F
from tnn.kernels import launch as L
from tnn.kernels import linear as LIN
from tnn.kernels import matmul as MM

SM90 = GPUTarget("cuda", 90, 32)
BACKEND = make_backend(SM90)
CUDA = tnn.device("cuda", 0)


class _Buf:
    def __init__(self, ptr):
        self.ptr = ptr


class FakeTensor:
    """What launch() and the fast path read of a Tensor: buffer address, offset, dtype, device."""

    def __init__(self, ptr, dtype=tnn.float32, offset=0, device=CUDA):
        self._buf = _Buf(ptr)
        self._offset = offset
        self.dtype = dtype
        self.device = device


def _triton_spec(kernel, args, cx):
    """Triton's (bound args, specialization) for a launch, as JITFunction.run computes them."""
    binder = create_function_from_signature(kernel.signature, kernel.params, BACKEND)
    conv = tuple(L._pointer(a, False) if isinstance(a, FakeTensor) else a for a in args)
    bound, spec, _ = binder(*conv, **cx)
    return bound, spec


_INTS = [1, 16, 32, 48, 7, 3, 2, -16, -3, 2**31 - 1, 2**31, 2**31 + 16, 2**40 + 5, 2**63 - 1, 2**63, 2**63 + 16]
_OFFSETS = [0, 1, 2, 4, 8, 16, 24]


def _draw_matmul(rng):
    dt = rng.choice([tnn.float16, tnn.float32])
    ptr = lambda: FakeTensor(1 << 24, dt, rng.choice(_OFFSETS))  # noqa: E731
    i = lambda: rng.choice(_INTS)  # noqa: E731
    rank = rng.choice([1, 2])
    tup = lambda: tuple(rng.choice(_INTS[:8]) for _ in range(rank))  # noqa: E731
    args = (ptr(), ptr(), ptr(), i(), i(), i(), tup(), tup(), i(), i(), tup(), i(), i(), tup(), i(), i())
    cfg = rng.choice([MM.MatmulConfig(64, 64, 32, 8, 4, 3), MM.MatmulConfig(16, 64, 64, 1, 4, 4)])
    return args, MM.kernel_constexprs(dt, cfg, rank)


def _draw_dropout(rng):
    i = lambda: rng.choice(_INTS)  # noqa: E731
    x = FakeTensor(1 << 24, tnn.bfloat16, rng.choice(_OFFSETS))
    out = FakeTensor(1 << 25, tnn.bfloat16, rng.choice(_OFFSETS))
    args = (x, (i(),), out, (i(),), i(), (i(),), i(), i(), i(), i(), i(), i(), i())
    return args, dict(RANK=1, CHANNELS=rng.choice([True, False]), COMPUTE=triton.language.float32, BLOCK=1024)


def _draw_linear(rng):
    i = lambda: rng.choice(_INTS[:9])  # noqa: E731
    t = lambda: FakeTensor(1 << 24, tnn.float16, rng.choice(_OFFSETS))  # noqa: E731
    maybe = lambda: t() if rng.random() < 0.5 else None  # noqa: E731
    args = (t(), i(), i(), t(), i(), i(), t(), i(), i(), maybe(), i(), maybe(), i(), i(), maybe(), i(), i(), i())
    cx = dict(HAS_BIAS=args[9] is not None, ACTIVATION="relu", STORE_PRE=args[11] is not None,
              ROW_SUM=args[14] is not None,
              **LIN._gemm_constexprs(tnn.float16, MM.MatmulConfig(64, 64, 32, 8, 4, 3), False))
    return args, cx


def _variant(rng, a):
    """The same kind of argument with another value (which may or may not specialize differently)."""
    if isinstance(a, FakeTensor):
        return FakeTensor(a._buf.ptr, a.dtype, rng.choice(_OFFSETS))
    if type(a) is int:
        return rng.choice(_INTS)
    if type(a) is tuple:
        i = rng.randrange(len(a))
        return a[:i] + (rng.choice(_INTS[:8]),) + a[i + 1:]
    return a


@pytest.mark.parametrize("kernel,draw", [(MM._matmul_kernel, _draw_matmul), (D._dropout_fwd_kernel, _draw_dropout),
                                         (LIN._linear_kernel, _draw_linear)],
                         ids=["matmul", "dropout(do_not_specialize)", "linear(None args)"])
def test_key_mirrors_triton_specialization(kernel, draw):
    """Equal fast keys <=> equal Triton specializations: over random launches, and over pairs that
    differ in one argument (where a key that is too coarse or too fine shows at once)."""
    rng = random.Random(0)
    ours_to_theirs, theirs_to_ours = {}, {}
    same = 0
    for _ in range(60):
        args, cx = draw(rng)
        base = (F.specialization_key(kernel, args, cx, 4, 3), str(_triton_spec(kernel, args, cx)[1]))
        variants = [args[:i] + (_variant(rng, a),) + args[i + 1:] for i, a in enumerate(args) for _ in range(2)]
        for v in [args] + variants:
            ours = F.specialization_key(kernel, v, cx, 4, 3)
            assert ours is not None
            theirs = str(_triton_spec(kernel, v, cx)[1])
            assert (ours == base[0]) == (theirs == base[1]), (v, ours, theirs)
            same += ours == base[0]
            assert ours_to_theirs.setdefault(ours, theirs) == theirs, "fast key too coarse: two Triton kernels"
            assert theirs_to_ours.setdefault(theirs, ours) == ours, "fast key finer than Triton's"
    assert len(ours_to_theirs) > 50 and same > 200  # both outcomes were exercised many times


def test_do_not_specialize_params_get_no_value_key():
    x, out = FakeTensor(1 << 24, tnn.float32), FakeTensor(1 << 25, tnn.float32)
    base = dict(RANK=1, CHANNELS=False, COMPUTE=triton.language.float32, BLOCK=1024)
    keys = {F.specialization_key(D._dropout_fwd_kernel, (x, (1,), out, (1,), 4096, (4096,), 1, seed, off, 7, 0, 0, 0),
                                 base) for seed in (1, 16, 12345, 2**30) for off in (0, 1, 32, 99)}
    assert len(keys) == 1  # seeds / offsets never make a new kernel
    big = F.specialization_key(D._dropout_fwd_kernel, (x, (1,), out, (1,), 4096, (4096,), 1, 2**40, 0, 7, 0, 0, 0), base)
    assert big not in keys  # ... but an int64-range seed is a different type, as in Triton


def test_int_codes():
    assert F.int_code(1) == 1 and F.int_code(1, specialize=False) == 2
    assert F.int_code(32) == 3 and F.int_code(33) == 2 and F.int_code(-16) == 3
    assert F.int_code(32, align=False) == 2
    assert F.int_code(2**31) == 5 and F.int_code(2**31 + 3) == 4 and F.int_code(2**63) == 7
    assert F.int_code(2**40, specialize=False) == 4
    assert F.tuple_key((1, 16, 5)) == (1, 3, 2) and F.tuple_key(((1,), True)) == ((1,), "u1")


def test_launcher_gets_all_bound_args_in_parameter_order():
    rng = random.Random(1)
    args, cx = _draw_matmul(rng)
    bound, _ = _triton_spec(MM._matmul_kernel, args, cx)
    expect = tuple(v.data_ptr() if isinstance(v, L._DevicePointer) else v for v in bound.values())
    assert F.launcher_args(MM._matmul_kernel, args, dict(reversed(cx.items()))) == expect


def test_sm90_compiled_signature_matches_key():
    """Compile what Triton's run path would compile for a launch (its own _pack_args), for sm_90,
    and read the signature back against the fast-path key of the same launch."""
    kernel = C._fill_kernel
    dst = FakeTensor(1 << 24, tnn.float16, offset=8)           # 16-byte aligned
    args = (dst, 3, 4096, (64, 64), (1, 64))                  # value int (i32), numel 16-divisible
    cx = dict(RANK=2, BLOCK=1024)
    bound, spec = _triton_spec(kernel, args, cx)
    opts = dict(cx, num_warps=4, num_stages=2)
    options, signature, constexprs, attrs = kernel._pack_args(BACKEND, opts, bound, spec, None)
    compiled = triton.compile(triton.compiler.ASTSource(fn=kernel, signature=signature, constexprs=constexprs,
                                                        attrs=attrs), target=SM90, options=options.__dict__)
    assert isinstance(compiled, triton.compiler.CompiledKernel) and compiled.asm["cubin"]
    key = F.specialization_key(kernel, args, cx, 4, 2)
    # key: dtype, aligned, value code, numel code, sizes codes, strides codes, RANK, BLOCK, warps, stages, device
    assert key == (tnn.float16, True, 2, 3, (3, 3), (1, 3), 2, 1024, 4, 2, 0)
    sig = compiled.src.signature
    assert sig["dst_ptr"] == "*fp16" and sig["value"] == "i32" and sig["numel"] == "i32"
    assert sig["sizes"] == ("i32", "i32") and sig["dst_strides"] == ("constexpr", "i32")
    div = {path for path, a in compiled.src.attrs.items() if ["tt.divisibility", 16] in a}
    names = kernel.arg_names
    assert div == {(names.index("dst_ptr"),), (names.index("numel"),), (names.index("sizes"), 0),
                   (names.index("sizes"), 1), (names.index("dst_strides"), 1)}
    assert compiled.metadata.num_warps == 4


# ------------------------------------------------------------------------------ runtime logic
class FakeCompiled:
    def __init__(self, log, fail=False):
        self.log = log
        self.function = 0xF00
        self.packed_metadata = (4, 1, 0)
        self.fail = fail

    @property
    def run(self):
        def launcher(*a):
            if self.fail:
                raise RuntimeError("launch failed")
            self.log.append(("launch", a))
        return launcher


class FakeKernel:
    """A JITFunction stand-in: the real parameters of _fill_kernel, a recording run()."""

    def __init__(self, compile_error=False, returns_none=False, fail_launch=False):
        self.params = C._fill_kernel.params
        self.pre_run_hooks = []
        self.log = []
        self.compiled = FakeCompiled(self.log, fail=fail_launch)
        self.compile_error = compile_error
        self.returns_none = returns_none

    def run(self, *args, grid, warmup, **kw):
        self.log.append(("run", warmup, args, kw))
        if self.compile_error:
            raise RuntimeError("compile error")
        return None if self.returns_none else self.compiled

    def __getitem__(self, grid):
        return lambda *a, **kw: self.log.append(("plain", grid, a, kw))


@pytest.fixture
def fast(monkeypatch):
    monkeypatch.setattr(F, "ENABLED", True)
    monkeypatch.setattr(F, "CHECK", False)
    monkeypatch.setitem(F._STREAMS, 0, 0x57)
    monkeypatch.setattr(F, "hooks_active", lambda: False)
    return F


def _fill_args(offset=0):
    return (FakeTensor(1 << 24, tnn.float32, offset), 2.5, 4096, (4096,), (1,)), dict(RANK=1, BLOCK=1024)


def test_miss_then_hit(fast):
    k = FakeKernel()
    args, cx = _fill_args()
    assert F.try_launch(k, (4,), 0, args, cx, num_warps=4)
    assert [e[0] for e in k.log] == ["run", "launch"]
    _, warmup, conv, kw = k.log[0]
    assert warmup is True and kw == dict(RANK=1, BLOCK=1024, num_warps=4)
    assert conv[0].data_ptr() == 1 << 24 and conv[0].dtype is tnn.float32   # Triton sees a typed pointer
    assert k.log[1][1] == (4, 1, 1, 0x57, 0xF00, (4, 1, 0), None, None, None, 1 << 24, 2.5, 4096, (4096,), (1,), 1, 1024)
    k.log.clear()
    assert F.try_launch(k, (4, 2), 0, _fill_args()[0], cx, num_warps=4)
    assert [e[0] for e in k.log] == ["launch"] and k.log[0][1][:3] == (4, 2, 1)   # no second compile
    k.log.clear()
    assert F.try_launch(k, (4,), 0, _fill_args(offset=1)[0], cx, num_warps=4)   # misaligned: new key
    assert [e[0] for e in k.log] == ["run", "launch"]
    k.log.clear()
    assert F.try_launch(k, (4,), 0, args, cx, num_warps=8)                       # new num_warps: new key
    assert [e[0] for e in k.log] == ["run", "launch"]


@pytest.mark.parametrize("case", ["disabled", "hook", "pre_run_hook", "compile_error", "returns_none",
                                  "unsupported_type", "unknown_kwarg", "runtime_arg_by_keyword"])
def test_fallbacks_to_plain_path(fast, monkeypatch, case):
    k = FakeKernel(compile_error=case == "compile_error", returns_none=case == "returns_none")
    args, cx = _fill_args()
    if case == "disabled":
        monkeypatch.setattr(F, "ENABLED", False)
    elif case == "hook":
        monkeypatch.setattr(F, "hooks_active", lambda: True)
    elif case == "pre_run_hook":
        k.pre_run_hooks.append(lambda *a, **kw: None)
    elif case == "unsupported_type":
        args = args[:2] + (4096.0j,) + args[3:]
    elif case == "unknown_kwarg":
        cx = dict(cx, BLOK=3)
    elif case == "runtime_arg_by_keyword":
        args, cx = args[:2], dict(cx, numel=4096, sizes=(4096,), dst_strides=(1,))
    assert F.try_launch(k, (4,), 0, args, cx) is False
    assert not [e for e in k.log if e[0] == "launch"]


def test_failing_launcher_falls_back_and_forgets_the_key(fast):
    k = FakeKernel(fail_launch=True)
    args, cx = _fill_args()
    assert F.try_launch(k, (4,), 0, args, cx) is False
    assert not k._tnn_fast.launches


def test_launch_hooks_are_detected(monkeypatch):
    from triton import knobs
    assert F.hooks_active() is False
    chain = knobs.runtime.launch_enter_hook
    if hasattr(chain, "add"):
        hook = lambda metadata: None  # noqa: E731
        chain.add(hook)
        try:
            assert F.hooks_active() is True
        finally:
            chain.remove(hook)
    else:
        monkeypatch.setattr(knobs.runtime, "launch_enter_hook", lambda metadata: None)
        assert F.hooks_active() is True
    assert F.hooks_active() is False


def test_check_mode_catches_a_key_mismatch(fast, monkeypatch):
    k = FakeKernel()
    args, cx = _fill_args()
    assert F.try_launch(k, (4,), 0, args, cx)
    monkeypatch.setattr(F, "CHECK", True)
    assert F.try_launch(k, (4,), 0, args, cx)            # Triton returns the same kernel: fine
    k.compiled = FakeCompiled(k.log)                     # Triton now picks another one
    with pytest.raises(RuntimeError, match="different compiled kernel"):
        F.try_launch(k, (4,), 0, args, cx)


def test_launch_routes_cuda_tensors_through_fast_path(monkeypatch):
    calls = []
    monkeypatch.setattr(L, "_cuda_device", lambda index: None)
    import tnn.runtime.device as rd
    monkeypatch.setattr(rd, "cuda_device", lambda index: None)
    k = FakeKernel()
    t = FakeTensor(1 << 24, tnn.float32)
    monkeypatch.setattr(F, "try_launch", lambda *a, **kw: calls.append(a) or True)
    L.launch(k, (3,), t, 1.0, 16, (16,), (1,), RANK=1, BLOCK=16, num_warps=2)
    assert calls and calls[0][1] == (3,) and calls[0][2] == 0 and not k.log
    monkeypatch.setattr(F, "try_launch", lambda *a, **kw: False)
    L.launch(k, (3,), t, 1.0, 16, (16,), (1,), RANK=1, BLOCK=16, num_warps=2)
    (plain,) = k.log
    assert plain[0] == "plain" and plain[1] == (3,) and plain[3] == dict(RANK=1, BLOCK=16, num_warps=2)
    assert plain[2][0].data_ptr() == 1 << 24


def test_cpu_tensors_never_reach_the_fast_path(monkeypatch):
    monkeypatch.setattr(F, "try_launch", lambda *a, **kw: pytest.fail("fast path on cpu"))
    t = tnn.zeros(5)
    t.fill_(2.0)
    assert t.tolist() == [2.0] * 5


def test_gpu_fast_path_hits_and_agrees_with_triton(device, monkeypatch):
    """On a GPU: the second launch of a specialization skips Triton; the kernel Triton would pick
    is the one cached (CHECK mode); a misaligned view gets its own kernel and correct values."""
    if device != "cuda":
        pytest.skip("needs a GPU (TNN_TEST_DEVICE=cuda)")
    if not F.ENABLED:
        pytest.skip("TNN_FAST_LAUNCH=0")
    x = tnn.zeros(1000, device=device)
    x.fill_(3.0)
    miss, plain = F.stats["miss"], F.stats["plain"]
    x.fill_(4.0)
    assert (F.stats["miss"], F.stats["plain"]) == (miss, plain)
    monkeypatch.setattr(F, "CHECK", True)
    x.fill_(5.0)
    x[1:].fill_(6.0)   # 4-byte offset: not 16-byte aligned
    assert x[:3].tolist() == [5.0, 6.0, 6.0] and x[-1].item() == 6.0
    y = tnn.ones(64, 64, device=device)
    assert (y @ y)[0, 0].item() == 64.0
