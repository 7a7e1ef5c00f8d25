"""Random sampling: exact Philox bits against a NumPy reference, distributions by
Kolmogorov-Smirnov / chi-square, reproducibility, generator state, layouts, dtypes and errors.

Statistical bounds are loose (alpha around 1e-4) and every test draws from a fixed seed, so the
suite is deterministic."""
import math

import numpy as np
import pytest
import triton
from hypothesis import given, strategies as st
from triton.backends.compiler import GPUTarget

import tnn
from tnn.kernels import random as K
from tnn.testing import layouts, make_tensor, shapes, to_numpy

FLOATS = [tnn.float32, tnn.float64, tnn.float16, tnn.bfloat16]


# ---------------------------------------------------------------- references
def philox(seed: int, counters: np.ndarray):
    """Philox-4x32-10 as tl.randint4x computes it: counter (lo, hi, 0, 0), key = the 64-bit seed."""
    m32 = np.uint64(0xFFFFFFFF)
    ctr = counters.astype(np.uint64)
    c0, c1 = ctr & m32, ctr >> np.uint64(32)
    c2 = np.zeros_like(c0)
    c3 = np.zeros_like(c0)
    k0, k1 = np.uint64(seed & 0xFFFFFFFF), np.uint64((seed >> 32) & 0xFFFFFFFF)
    A, B = np.uint64(0xD2511F53), np.uint64(0xCD9E8D57)
    for _ in range(10):
        p0, p2 = A * c0, B * c2  # < 2**64: exact in uint64
        c0, c1, c2, c3 = (p2 >> np.uint64(32)) ^ c1 ^ k0, p2 & m32, (p0 >> np.uint64(32)) ^ c3 ^ k1, p0 & m32
        k0, k1 = (k0 + np.uint64(0x9E3779B9)) & m32, (k1 + np.uint64(0xBB67AE85)) & m32
    return c0, c1, c2, c3


def ks_statistic(samples, cdf) -> float:
    x = np.sort(np.asarray(samples, dtype=np.float64).reshape(-1))
    n = len(x)
    f = cdf(x)
    return float(max((np.arange(1, n + 1) / n - f).max(), (f - np.arange(0, n) / n).max()))


def ks_bound(n: int) -> float:
    return 2.0 / math.sqrt(n)  # ~ alpha 6e-4


_erf = np.frompyfunc(math.erf, 1, 1)


def normal_cdf(x):
    return 0.5 * (1.0 + _erf(np.asarray(x) / math.sqrt(2.0)).astype(np.float64))


def uniform_cdf(x):
    return np.clip(x, 0.0, 1.0)


def chi_square(counts, expected) -> float:
    counts = np.asarray(counts, dtype=np.float64)
    return float(((counts - expected) ** 2 / expected).sum())


# ---------------------------------------------------------------- exact bits
def test_rand_matches_philox_reference_bits(device):
    g = tnn.Generator().manual_seed(1234567890123)
    g.set_offset(5)
    x = tnn.rand(257, generator=g, device=device)
    c0, _, _, _ = philox(1234567890123, np.arange(5, 5 + 257))
    expected = (c0 >> np.uint64(8)).astype(np.float32) * np.float32(2.0 ** -24)
    np.testing.assert_array_equal(x.numpy() if device == "cpu" else to_numpy(x), expected)
    assert g.get_offset() == 5 + 257


def test_randint_matches_philox_reference_bits(device):
    g = tnn.Generator().manual_seed(2**64 - 3)  # the top bit set: the seed travels as int64 bits
    x = tnn.randint(-7, 1000, (64,), generator=g, device=device)
    c0, c1, _, _ = philox(2**64 - 3, np.arange(64))
    r = (c0 << np.uint64(32)) | c1
    np.testing.assert_array_equal(to_numpy(x), (r % np.uint64(1007)).astype(np.int64) - 7)


def test_float64_uniform_uses_53_bits(device):
    g = tnn.Generator().manual_seed(7)
    x = to_numpy(tnn.rand(100, generator=g, dtype=tnn.float64, device=device))
    c0, c1, _, _ = philox(7, np.arange(100))
    k = ((c0 << np.uint64(32)) | c1) >> np.uint64(11)
    np.testing.assert_array_equal(x, k.astype(np.float64) * 2.0 ** -53)


# ---------------------------------------------------------------- distributions
@pytest.mark.parametrize("dtype", FLOATS)
def test_rand_uniform_ks(device, dtype):
    tnn.manual_seed(0)
    x = to_numpy(tnn.rand(4000, dtype=dtype, device=device))
    assert x.min() >= 0.0 and x.max() < 1.0
    assert ks_statistic(x, uniform_cdf) < ks_bound(len(x))


@pytest.mark.parametrize("dtype", FLOATS)
def test_randn_normal_ks(device, dtype):
    tnn.manual_seed(1)
    x = to_numpy(tnn.randn(4000, dtype=dtype, device=device))
    assert np.isfinite(x).all()
    assert ks_statistic(x, normal_cdf) < ks_bound(len(x)) + (0.01 if dtype is tnn.bfloat16 else 0.0)


def test_normal_mean_std(device):
    tnn.manual_seed(2)
    x = to_numpy(tnn.normal(3.0, 0.5, (2, 3000), device=device))
    assert x.shape == (2, 3000)
    assert abs(x.mean() - 3.0) < 4 * 0.5 / math.sqrt(x.size)
    assert abs(x.std() - 0.5) < 0.02
    assert ks_statistic((x - 3.0) / 0.5, normal_cdf) < ks_bound(x.size)


def test_normal_tensor_mean_and_std(device):
    tnn.manual_seed(3)
    mean = tnn.tensor(np.linspace(-50, 50, 40).reshape(40, 1), dtype=tnn.float32, device=device)
    std = tnn.tensor(np.linspace(0.5, 2.0, 50), dtype=tnn.float32, device=device)
    x = tnn.normal(mean, std)
    assert x.shape == (40, 50) and x.dtype is tnn.float32
    z = (to_numpy(x) - to_numpy(mean)) / to_numpy(std)
    assert ks_statistic(z, normal_cdf) < ks_bound(z.size)
    # one tensor argument, the other a float; the result takes the tensor's dtype
    y = tnn.normal(tnn.zeros(2000, dtype=tnn.float64, device=device), 2.0)
    assert y.dtype is tnn.float64 and abs(to_numpy(y).std() - 2.0) < 0.15
    y = tnn.normal(1.0, tnn.full((2000,), 0.25, device=device))
    assert abs(to_numpy(y).mean() - 1.0) < 0.03
    np.testing.assert_array_equal(to_numpy(tnn.normal(mean, 0.0)), to_numpy(mean))


@pytest.mark.parametrize("dtype", FLOATS)
def test_uniform_inplace_range_and_ks(device, dtype):
    tnn.manual_seed(4)
    x = tnn.empty(3000, dtype=dtype, device=device)
    assert x.uniform_(-2.0, 6.0) is x
    a = to_numpy(x).astype(np.float64)
    assert a.min() >= -2.0 and a.max() < 6.0
    assert ks_statistic((a + 2.0) / 8.0, uniform_cdf) < ks_bound(a.size) + (0.01 if dtype is tnn.bfloat16 else 0)


def test_uniform_equal_bounds_and_keywords(device):
    x = tnn.empty(10, device=device).uniform_(1.5, 1.5)
    np.testing.assert_array_equal(to_numpy(x), np.full(10, 1.5, np.float32))
    y = tnn.empty(1000, device=device).uniform_(**{"from": 2.0, "to": 3.0})
    assert 2.0 <= to_numpy(y).min() and to_numpy(y).max() < 3.0


@pytest.mark.parametrize("dtype", [tnn.float32, tnn.float16, tnn.bfloat16, tnn.float64])
def test_normal_inplace(device, dtype):
    tnn.manual_seed(5)
    x = tnn.empty(3000, dtype=dtype, device=device).normal_(-1.0, 3.0)
    a = to_numpy(x).astype(np.float64)
    assert ks_statistic((a + 1.0) / 3.0, normal_cdf) < ks_bound(a.size) + (0.01 if dtype is tnn.bfloat16 else 0)


def test_exponential_ks(device):
    tnn.manual_seed(6)
    x = to_numpy(tnn.empty(3000, device=device).exponential_(2.0)).astype(np.float64)
    assert x.min() >= 0.0 and np.isfinite(x).all()
    assert ks_statistic(x, lambda v: 1.0 - np.exp(-2.0 * v)) < ks_bound(x.size)


def test_randint_range_and_chi_square(device):
    tnn.manual_seed(7)
    x = to_numpy(tnn.randint(3, 13, (5000,), device=device))
    assert x.dtype == np.int64 and x.min() >= 3 and x.max() <= 12
    counts = np.bincount(x - 3, minlength=10)
    assert chi_square(counts, 500.0) < 40.0  # df 9: p ~ 1e-5


def test_randint_argument_forms(device):
    tnn.manual_seed(8)
    a = tnn.randint(5, (2, 3), device=device)
    assert a.shape == (2, 3) and a.dtype is tnn.int64 and 0 <= to_numpy(a).min() and to_numpy(a).max() < 5
    b = tnn.randint(low=-3, high=-1, size=(50,), device=device)
    assert set(to_numpy(b).tolist()) <= {-3, -2}
    c = tnn.randint(0, 2, (7,), dtype=tnn.float32, device=device)
    assert c.dtype is tnn.float32 and set(to_numpy(c).tolist()) <= {0.0, 1.0}
    d = tnn.randint(10, 20, size=(4,), dtype=tnn.int8, device=device)
    assert d.dtype is tnn.int8 and str(d.device) == str(tnn.device(device))
    e = tnn.randint(0, 2, (100,), dtype=tnn.bool, device=device)
    assert e.dtype is tnn.bool and 20 < to_numpy(e).sum() < 80
    full = to_numpy(tnn.randint(-2**63, 2**63 - 1, (100,), device=device))
    assert (full < 0).any() and (full > 2**62).any()


@pytest.mark.parametrize("dtype,lo,hi", [
    (tnn.int8, 0, 127), (tnn.uint8, 0, 255), (tnn.int16, 0, 2**15 - 1), (tnn.bool, 0, 1),
    (tnn.float16, 0, 2**11), (tnn.bfloat16, 0, 2**8),
])
def test_random_default_range(device, dtype, lo, hi):
    tnn.manual_seed(9)
    x = to_numpy(tnn.empty(3000, dtype=dtype, device=device).random_()).astype(np.int64)
    assert x.min() >= lo and x.max() <= hi
    assert x.max() > lo + (hi - lo) * 0.9  # the whole range is used
    np.testing.assert_array_equal(x, np.round(x))


def test_random_from_to_forms(device):
    tnn.manual_seed(10)
    x = to_numpy(tnn.empty(500, dtype=tnn.int32, device=device).random_(7))
    assert set(x.tolist()) == set(range(7))
    y = to_numpy(tnn.empty(500, dtype=tnn.float32, device=device).random_(-3, 2))
    assert set(y.tolist()) == {-3.0, -2.0, -1.0, 0.0, 1.0}
    z = to_numpy(tnn.empty(500, dtype=tnn.int8, device=device).random_(120, None))
    assert set(z.tolist()) == set(range(120, 128))
    w = to_numpy(tnn.empty(200, dtype=tnn.int64, device=device).random_(**{"from": -5, "to": -4}))
    assert set(w.tolist()) == {-5}


def test_bernoulli(device):
    tnn.manual_seed(11)
    x = tnn.empty(4000, device=device).bernoulli_(0.3)
    a = to_numpy(x)
    assert set(np.unique(a).tolist()) <= {0.0, 1.0}
    assert abs(a.mean() - 0.3) < 4 * math.sqrt(0.3 * 0.7 / a.size)
    p = tnn.tensor([[0.0, 1.0, 0.5, 0.0]] * 500, device=device)
    b = to_numpy(tnn.bernoulli(p))
    assert b.shape == (500, 4) and b.dtype == np.float32
    assert (b[:, 0] == 0).all() and (b[:, 1] == 1).all() and (b[:, 3] == 0).all()
    assert 0.4 < b[:, 2].mean() < 0.6
    # method forms, float p, tensor p broadcast into an int / bool tensor
    assert to_numpy(p.bernoulli()).shape == (500, 4)
    assert to_numpy(tnn.bernoulli(p, 1.0)).min() == 1.0
    i = tnn.empty(3, 4, dtype=tnn.int32, device=device).bernoulli_(tnn.tensor([1.0, 0.0, 1.0, 0.0], device=device))
    np.testing.assert_array_equal(to_numpy(i), np.tile([1, 0, 1, 0], (3, 1)))
    bo = tnn.empty(6, dtype=tnn.bool, device=device).bernoulli_(1.0)
    assert bo.dtype is tnn.bool and to_numpy(bo).all()


def test_float16_and_bfloat16_bernoulli(device):
    tnn.manual_seed(12)
    for d in (tnn.float16, tnn.bfloat16, tnn.float64):
        a = to_numpy(tnn.empty(2000, dtype=d, device=device).bernoulli_(0.75)).astype(np.float64)
        assert abs(a.mean() - 0.75) < 0.05


# ---------------------------------------------------------------- layouts
def test_inplace_on_transposed_view_matches_contiguous(device):
    g = tnn.Generator()
    g.manual_seed(99)
    a = tnn.empty(3, 5, device=device).uniform_(generator=g)
    g.manual_seed(99)
    b = tnn.empty(5, 3, device=device).T  # shape (3, 5), strides (1, 3)
    b.normal_(generator=g)  # a different distribution, same counters: check layout with uniform below
    g.manual_seed(99)
    b.uniform_(generator=g)
    np.testing.assert_array_equal(to_numpy(b), to_numpy(a))


@pytest.mark.parametrize("dtype", FLOATS)
def test_inplace_on_strided_view_touches_only_the_view(device, dtype):
    tnn.manual_seed(13)
    big = tnn.zeros(4, 7, dtype=dtype, device=device)
    view = big[1:, ::2]
    view.normal_(5.0, 1.0)
    a = to_numpy(big)
    assert (a[0] == 0).all() and (a[:, 1::2] == 0).all()
    assert (a[1:, ::2] != 0).all()
    view2 = big[:, 1::2]
    view2.random_(1, 3)
    assert set(to_numpy(big)[:, 1::2].reshape(-1).tolist()) <= {1.0, 2.0}


def test_expanded_view_is_rejected(device):
    x = tnn.zeros(1, 3, device=device).expand(4, 3)
    with pytest.raises(RuntimeError, match="more than one element of the written-to tensor"):
        x.uniform_()


def test_empty_and_scalar_shapes(device):
    g = tnn.Generator().manual_seed(0)
    e = tnn.rand(0, 3, generator=g, device=device)
    assert e.shape == (0, 3) and g.get_offset() == 0
    s = tnn.randn((), generator=g, device=device)
    assert s.shape == () and g.get_offset() == 1
    assert tnn.randint(0, 5, (0,), device=device).shape == (0,)
    assert tnn.randperm(0, device=device).shape == (0,)


@pytest.mark.parametrize("size", [1, 2, 7, 31])
def test_sizes_and_shape_args(device, size):
    assert tnn.rand(size, device=device).shape == (size,)
    assert tnn.randn(2, size, device=device).shape == (2, size)
    assert tnn.rand((size, 3), device=device).shape == (size, 3)
    assert tnn.rand([3, size], device=device).shape == (3, size)
    assert tnn.randn(size=(size, 2), device=device).shape == (size, 2)


# ---------------------------------------------------------------- generators and reproducibility
def test_manual_seed_reproducible(device):
    g = tnn.manual_seed(42)
    assert g is tnn.default_generator and tnn.initial_seed() == 42
    a = to_numpy(tnn.randn(50, device=device))
    b = to_numpy(tnn.randn(50, device=device))
    tnn.manual_seed(42)
    np.testing.assert_array_equal(to_numpy(tnn.randn(50, device=device)), a)
    np.testing.assert_array_equal(to_numpy(tnn.randn(50, device=device)), b)
    assert not np.array_equal(a, b)  # consecutive draws use different counters


def test_different_offsets_and_seeds_give_different_streams(device):
    g = tnn.Generator().manual_seed(5)
    a = to_numpy(tnn.rand(100, generator=g, device=device))
    assert g.get_offset() == 100
    b = to_numpy(tnn.rand(100, generator=g, device=device))
    assert np.mean(a == b) < 0.05
    g.set_offset(50)
    c = to_numpy(tnn.rand(100, generator=g, device=device))
    np.testing.assert_array_equal(c[50:], b[:50])  # counters 100..149 again
    np.testing.assert_array_equal(c[:50], a[50:])
    h = tnn.Generator().manual_seed(6)
    assert np.mean(to_numpy(tnn.rand(100, generator=h, device=device)) == a) < 0.05


def test_generator_independent_of_default(device):
    tnn.manual_seed(0)
    g = tnn.Generator().manual_seed(0)
    a = to_numpy(tnn.rand(10, generator=g, device=device))
    tnn.rand(10, device=device)  # advances only the default generator
    g2 = tnn.Generator().manual_seed(0)
    np.testing.assert_array_equal(to_numpy(tnn.rand(10, generator=g2, device=device)), a)


def test_generator_state_save_restore(device):
    g = tnn.Generator(device=device).manual_seed(2024)
    tnn.rand(7, generator=g, device=device)
    state = g.get_state()
    assert state.dtype is tnn.uint8 and state.shape == (16,)
    a = to_numpy(tnn.randn(20, generator=g, device=device))
    tnn.randn(5, generator=g, device=device)
    g.set_state(state)
    np.testing.assert_array_equal(to_numpy(tnn.randn(20, generator=g, device=device)), a)
    # the module-level state of the default generator
    tnn.manual_seed(3)
    s = tnn.get_rng_state()
    x = to_numpy(tnn.rand(5, device=device))
    tnn.set_rng_state(s)
    np.testing.assert_array_equal(to_numpy(tnn.rand(5, device=device)), x)
    with pytest.raises(RuntimeError, match="16 bytes"):
        g.set_state(tnn.zeros(3, dtype=tnn.uint8))


def test_seed_and_initial_seed():
    g = tnn.Generator()
    assert g.initial_seed() == 67280421310721
    s = g.seed()
    assert g.initial_seed() == s and 0 <= s < 2**63
    assert tnn.seed() == tnn.initial_seed()
    assert g.manual_seed(-1).initial_seed() == 2**64 - 1
    with pytest.raises(RuntimeError, match="Overflow"):
        g.manual_seed(2**64)


def test_same_values_for_every_float_dtype_of_normal(device):
    # normal samples are computed in fp32 whatever the output: fp16/bf16 are its roundings
    g = tnn.Generator()
    ref = to_numpy(tnn.randn(64, generator=g.manual_seed(1), device=device))
    for d in (tnn.float16, tnn.bfloat16):
        x = tnn.randn(64, generator=g.manual_seed(1), dtype=d, device=device)
        np.testing.assert_array_equal(to_numpy(x), ref.astype(d.np).astype(np.float32))


def test_seed_and_offset_are_not_specialized():
    names = [p.name for p in K._random_kernel.params if p.do_not_specialize]
    assert {"seed", "offset", "a_bits", "b_bits"} <= set(names)


# ---------------------------------------------------------------- factories with dtype/device args
def test_like_factories_and_args(device):
    t = tnn.zeros(3, 4, dtype=tnn.float16, device=device)
    for f in (tnn.rand_like, tnn.randn_like):
        r = f(t)
        assert r.shape == (3, 4) and r.dtype is tnn.float16 and r.device == t.device
        assert f(t, dtype=tnn.float64).dtype is tnn.float64
    r = tnn.randint_like(t, 10)
    assert r.dtype is tnn.float16 and to_numpy(r).max() < 10
    r = tnn.randint_like(tnn.zeros(100, dtype=tnn.int32, device=device), 5, 8)
    assert r.dtype is tnn.int32 and set(to_numpy(r).tolist()) <= {5, 6, 7}
    x = tnn.rand(2, 2, dtype=tnn.float64, device=device, requires_grad=True)
    assert x.requires_grad and x.dtype is tnn.float64
    assert tnn.randn(3, device=device).dtype is tnn.get_default_dtype()


def test_randperm(device):
    g = tnn.Generator().manual_seed(17)
    p = tnn.randperm(50, generator=g, device=device)
    assert p.dtype is tnn.int64
    a = to_numpy(p)
    np.testing.assert_array_equal(np.sort(a), np.arange(50))
    assert not np.array_equal(a, np.arange(50))
    g.manual_seed(17)
    np.testing.assert_array_equal(to_numpy(tnn.randperm(50, generator=g, device=device)), a)
    np.testing.assert_array_equal(to_numpy(tnn.randperm(1, device=device)), [0])
    f = tnn.randperm(10, dtype=tnn.float32, device=device)
    assert f.dtype is tnn.float32 and sorted(to_numpy(f).tolist()) == list(range(10))
    with pytest.raises(RuntimeError, match="n must be non-negative"):
        tnn.randperm(-1)


def test_multinomial(device):
    tnn.manual_seed(18)
    w = tnn.tensor([0.0, 1.0, 3.0, 0.0], device=device)
    s = tnn.multinomial(w, 2000, replacement=True)
    a = to_numpy(s)
    assert s.dtype is tnn.int64 and s.shape == (2000,)
    assert set(a.tolist()) <= {1, 2}
    assert abs((a == 2).mean() - 0.75) < 0.05
    rows = tnn.tensor([[1.0, 1.0, 1.0, 1.0, 1.0], [0.0, 0.0, 5.0, 1.0, 1.0]], device=device)
    s2 = to_numpy(rows.multinomial(3))
    assert s2.shape == (2, 3)
    for r in s2:
        assert len(set(r.tolist())) == 3
    assert set(s2[1].tolist()) == {2, 3, 4}
    with pytest.raises(RuntimeError, match="cannot sample n_sample > prob_dist.size"):
        tnn.multinomial(w, 5)
    with pytest.raises(RuntimeError, match="not enough non-negative category"):
        tnn.multinomial(w, 3)
    with pytest.raises(RuntimeError, match="prob_dist must be 1 or 2 dim"):
        tnn.multinomial(tnn.ones(2, 2, 2, device=device), 1)
    with pytest.raises(RuntimeError, match="probability tensor contains"):
        tnn.multinomial(tnn.tensor([1.0, -1.0], device=device), 1)
    with pytest.raises(RuntimeError, match="sum of probabilities <= 0"):
        tnn.multinomial(tnn.zeros(3, device=device), 1, True)


# ---------------------------------------------------------------- errors
def test_errors(device):
    x = tnn.empty(4, device=device)
    with pytest.raises(RuntimeError, match="random_ expects 'from' to be less than 'to', but got from=5 >= to=5"):
        tnn.randint(5, 5, (3,), device=device)
    with pytest.raises(RuntimeError, match="random_ expects 'from' to be less than 'to', but got from=3 >= to=1"):
        x.random_(3, 1)
    with pytest.raises(RuntimeError, match=r"uniform_ expects to return a \[from, to\) range, but found from=2 > to=1"):
        x.uniform_(2, 1)
    with pytest.raises(RuntimeError, match="normal expects std >= 0.0, but found std -1"):
        x.normal_(0, -1)
    with pytest.raises(RuntimeError, match="normal expects std >= 0.0"):
        tnn.normal(0.0, -2.0, (3,))
    with pytest.raises(RuntimeError, match="normal expects all elements of std >= 0.0"):
        tnn.normal(tnn.zeros(2, device=device), tnn.tensor([1.0, -1.0], device=device))
    with pytest.raises(RuntimeError, match=r"bernoulli_ expects p to be in \[0, 1\], but got p=1.5"):
        x.bernoulli_(1.5)
    with pytest.raises(RuntimeError, match="exponential_ expects lambda > 0.0, but found lambda=0"):
        x.exponential_(0.0)
    with pytest.raises(RuntimeError, match="\"check_uniform_bounds\" not implemented for 'Long'"):
        tnn.rand(3, dtype=tnn.int64)
    with pytest.raises(RuntimeError, match="\"normal_kernel_cpu\" not implemented for 'Int'"):
        tnn.randn(3, dtype=tnn.int32)
    with pytest.raises(RuntimeError, match="from is out of bounds for Char"):
        tnn.empty(3, dtype=tnn.int8).random_(-200, 0)
    with pytest.raises(RuntimeError, match="to - 1 is out of bounds for Byte"):
        tnn.randint(0, 300, (3,), dtype=tnn.uint8)
    with pytest.raises(TypeError, match="expected a tnn.Generator"):
        tnn.rand(3, generator=5)
    with pytest.raises(TypeError, match="missing required argument 'high'"):
        tnn.randint(size=(3,))


@given(shape=shapes(1, 3, max_size=13), layout=layouts(), dtype=st.sampled_from(FLOATS))
def test_layout_never_changes_the_values(device, shape, layout, dtype):
    """Sample i depends on the logical index only: a view filled in place equals a contiguous draw."""
    g = tnn.Generator()
    ref = tnn.empty(shape, dtype=dtype, device=device).uniform_(-1.0, 2.0, generator=g.manual_seed(31))
    view = make_tensor(np.zeros(shape, dtype.np), layout, device=device)
    view.uniform_(-1.0, 2.0, generator=g.manual_seed(31))
    np.testing.assert_array_equal(to_numpy(view), to_numpy(ref))
    a = to_numpy(ref).astype(np.float64)
    assert a.min() >= -1.0 and a.max() < 2.0


def test_full_64_bit_range(device):
    x = to_numpy(tnn.empty(200, dtype=tnn.int64, device=device).random_(-2**63, None))
    assert (x < -2**62).any() and (x > 2**62).any()
    y = to_numpy(tnn.empty(200, dtype=tnn.int64, device=device).random_())
    assert y.min() >= 0 and y.max() > 2**62


SM90 = GPUTarget("cuda", 90, 32)


@pytest.mark.parametrize("out,dist,mant,tensors,seed_ty", [
    ("fp32", K.UNIFORM, 24, False, "i64"), ("fp64", K.NORMAL, 53, False, "i32"), ("i64", K.RANDINT, 24, False, "i64"),
    ("i1", K.BERNOULLI, 24, True, "i32"), ("bf16", K.NORMAL, 8, True, "i64"), ("fp16", K.EXPONENTIAL, 11, False, "i64"),
])
def test_kernel_compiles_for_gpu(out, dist, mant, tensors, seed_ty):
    """Triton's compiler and ptxas run on the CPU: GPU-only compile errors show up here too."""
    sig = {"out_ptr": f"*{out}", "numel": "i64", "sizes": ("i64", "i64"), "out_strides": ("i64", "i64"),
           "a_ptr": "*fp32" if tensors else "constexpr", "a_strides": ("i64", "i64"),
           "b_ptr": "*fp32" if tensors else "constexpr", "b_strides": ("i64", "i64"),
           "seed": seed_ty, "offset": "i64", "a_bits": "i64", "b_bits": "i64",
           "RANK": "constexpr", "DIST": "constexpr", "A_TENSOR": "constexpr", "B_TENSOR": "constexpr",
           "MANT_BITS": "constexpr", "BLOCK": "constexpr"}
    cx = {"RANK": 2, "DIST": dist, "A_TENSOR": tensors, "B_TENSOR": tensors, "MANT_BITS": mant, "BLOCK": 1024}
    if not tensors:
        cx.update(a_ptr=None, b_ptr=None)
    src = triton.compiler.ASTSource(fn=K._random_kernel, signature=sig, constexprs=cx)
    assert triton.compile(src, target=SM90).asm["cubin"]
