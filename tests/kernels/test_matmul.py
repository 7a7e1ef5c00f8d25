"""matmul / mm / bmm / @ against NumPy in float64: shapes (1-D cases, 1, primes, broadcast batch
dims, empty), dtypes, strided operands, the tile walk with small tiles, tf32 switch, errors."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import tnn
from tnn.kernels import matmul as K
from tnn.testing import assert_close, broadcastable_shapes, make_tensor, random_array, sizes

FLOATS = (tnn.float32, tnn.float16, tnn.bfloat16, tnn.float64)
LAYOUTS = ("contiguous", "transposed", "strided", "offset")


def _ref(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.matmul(a.astype(np.float64), b.astype(np.float64))


def _check(a_arr, b_arr, dtype, device, la="contiguous", lb="contiguous", fn=tnn.matmul):
    a, b = make_tensor(a_arr, la, device), make_tensor(b_arr, lb, device)
    out = fn(a, b)
    assert out.dtype is dtype and out.device == a.device and out.is_contiguous()
    assert_close(out, _ref(a_arr, b_arr), reduce_len=max(a_arr.shape[-1], 1))
    return out


@st.composite
def operand_shapes(draw):
    """(shape_a, shape_b) for every form matmul takes: 1-D x 1-D, matrix-vector, vector-matrix,
    matrix x matrix and batched with broadcast batch dims."""
    m, k, n = draw(sizes(17)), draw(sizes(17)), draw(sizes(17))
    kind = draw(st.sampled_from(["dot", "mv", "vm", "mm", "batched"]))
    if kind == "dot":
        return (k,), (k,)
    if kind == "mv":
        return (m, k), (k,)
    if kind == "vm":
        return (k,), (k, n)
    if kind == "mm":
        return (m, k), (k, n)
    ba, bb = draw(broadcastable_shapes(max_dims=2, max_size=5))
    return ba + (m, k), bb + (k, n)


@pytest.mark.parametrize("dtype", FLOATS)
@given(shapes=operand_shapes(), la=st.sampled_from(LAYOUTS), lb=st.sampled_from(LAYOUTS), seed=st.integers(0, 2**16))
def test_matmul_matches_numpy(device, dtype, shapes, la, lb, seed):
    sa, sb = shapes
    a, b = random_array(dtype, sa, seed), random_array(dtype, sb, seed + 1)
    out = _check(a, b, dtype, device, la, lb)
    assert tuple(out.shape) == np.matmul(a.astype(np.float64), b.astype(np.float64)).shape


@given(m=sizes(17), k=sizes(17), n=sizes(17), dtype=st.sampled_from(FLOATS), seed=st.integers(0, 2**16))
def test_mm_bmm_and_operator(device, m, k, n, dtype, seed):
    a, b = random_array(dtype, (m, k), seed), random_array(dtype, (k, n), seed + 1)
    _check(a, b, dtype, device, fn=tnn.mm)
    _check(a, b, dtype, device, fn=lambda x, y: x @ y)
    _check(a, b, dtype, device, fn=lambda x, y: x.mm(y))
    a3, b3 = random_array(dtype, (3, m, k), seed + 2), random_array(dtype, (3, k, n), seed + 3)
    _check(a3, b3, dtype, device, "transposed", "strided", fn=tnn.bmm)
    _check(a3, b3, dtype, device, fn=lambda x, y: x.bmm(y))


@pytest.mark.parametrize("dtype", FLOATS)
def test_multi_tile_primes(device, dtype):
    # Larger than one interpreter tile (128) in every dim, so edges and the K loop are both masked.
    a, b = random_array(dtype, (131, 137), 1), random_array(dtype, (137, 139), 2)
    _check(a, b, dtype, device, "transposed", "contiguous")


@pytest.mark.parametrize("group_m", [1, 3, 8])
def test_small_tiles_swizzle_and_batch(device, group_m):
    # GPU-sized tiles on a ragged grid (3 x 4 tiles per batch entry, a partial last group) and a
    # two-dim broadcast batch, through the launcher directly.
    cfg = K.MatmulConfig(16, 16, 16, group_m, 4, 2)
    a_arr = random_array(tnn.float32, (2, 1, 37, 41), 3)
    b_arr = random_array(tnn.float32, (3, 41, 53), 4)
    a = tnn.tensor(a_arr, device=device).expand(2, 3, 37, 41)
    b = make_tensor(b_arr, "transposed", device).expand(2, 3, 41, 53)
    c = tnn.empty(2, 3, 37, 53, device=device)
    K.matmul(a, b, c, config=cfg)
    assert_close(c, _ref(a_arr, b_arr), reduce_len=41)


def test_folded_batch_runs_one_product(device, monkeypatch):
    """(B, T, K) @ (K, N) with a contiguous left operand is one (B*T, K) @ (K, N) product."""
    calls = []
    real = K.launch
    monkeypatch.setattr(K, "launch", lambda kernel, grid, *args, **kw: (calls.append(args), real(kernel, grid, *args, **kw)))
    a_arr, b_arr = random_array(tnn.float32, (2, 3, 5, 7), 5), random_array(tnn.float32, (7, 4), 6)
    _check(a_arr, b_arr, tnn.float32, device)
    assert calls[-1][3] == 30 and calls[-1][6] == (1,)   # M = 2*3*5, batch folded away
    _check(a_arr, b_arr, tnn.float32, device, la="transposed")  # batch dims do not merge into rows
    assert calls[-1][3] == 5


@pytest.mark.parametrize("dtype", [tnn.int64, tnn.int32, tnn.int16, tnn.int8, tnn.uint8])
def test_integer_matmul_exact(device, dtype):
    a = random_array(dtype, (2, 5, 19), 7)
    b = random_array(dtype, (19, 3), 8)
    out = make_tensor(a, "offset", device) @ make_tensor(b, "transposed", device)
    expected = np.matmul(a.astype(np.int64), b.astype(np.int64)).astype(dtype.np)  # wraps as torch does
    assert out.dtype is dtype
    np.testing.assert_array_equal(out.numpy(), expected)


@pytest.mark.parametrize("sa,sb,out_shape", [
    ((0, 3), (3, 4), (0, 4)), ((3, 0), (0, 4), (3, 4)), ((2, 0, 3), (3, 4), (2, 0, 4)),
    ((0,), (0,), ()), ((0, 2, 3), (1, 3, 4), (0, 2, 4)), ((1, 1), (1, 1), (1, 1)), ((1,), (1, 1), (1,)),
])
def test_empty_and_unit_shapes(device, sa, sb, out_shape):
    a, b = random_array(tnn.float32, sa, 9), random_array(tnn.float32, sb, 10)
    out = _check(a, b, tnn.float32, device)
    assert tuple(out.shape) == out_shape


def test_zero_k_gives_zeros_and_vector_results(device):
    out = tnn.matmul(tnn.ones(3, 0, device=device), tnn.ones(0, 2, device=device))
    np.testing.assert_array_equal(out.numpy() if out.is_cpu else out.cpu().numpy(), np.zeros((3, 2), np.float32))
    v = tnn.tensor([1.0, 2.0, 3.0], device=device)
    assert (v @ v).dim() == 0 and (v @ v).item() == 14.0
    m = tnn.tensor([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]], device=device)
    assert (m @ v).tolist() == [4.0, 2.0]
    assert (v @ m.T).tolist() == [4.0, 2.0]


def test_tf32_switch_reaches_the_kernel(device, monkeypatch):
    seen = []
    real = K.launch
    monkeypatch.setattr(K, "launch", lambda kernel, grid, *args, **kw: (seen.append(kw), real(kernel, grid, *args, **kw)))
    assert tnn.backends.matmul.allow_tf32 is False and tnn.backends.cuda.matmul is tnn.backends.matmul
    a, b = random_array(tnn.float32, (5, 6), 11), random_array(tnn.float32, (6, 7), 12)
    _check(a, b, tnn.float32, device)
    assert seen[-1]["INPUT_PRECISION"] == "ieee"
    monkeypatch.setattr(tnn.backends.matmul, "allow_tf32", True)
    tnn.matmul(tnn.tensor(a, device=device), tnn.tensor(b, device=device))
    assert seen[-1]["INPUT_PRECISION"] == "tf32"
    tnn.matmul(tnn.tensor(a.astype(np.float16), device=device), tnn.tensor(b.astype(np.float16), device=device))
    assert seen[-1]["INPUT_PRECISION"] == "ieee"  # tf32 only concerns fp32 inputs


def test_config_table():
    cuda = tnn.device("cuda", 0)
    big = K.matmul_config(4096, 4096, 4096, tnn.float16, cuda)
    assert (big.BLOCK_M, big.BLOCK_N) == (128, 256)
    assert K.matmul_config(8, 4096, 4096, tnn.bfloat16, cuda).BLOCK_M == 16
    assert K.matmul_config(4096, 4096, 4096, tnn.float32, cuda, allow_tf32=True) in [c for _, c in K.GPU_CONFIGS["tf32"]]
    assert K.matmul_config(64, 64, 64, tnn.int32, cuda) == K.GPU_CONFIGS["int"][0][1]
    interp = K.matmul_config(3, 300, 5, tnn.float32, tnn.device("cpu"))
    assert (interp.BLOCK_M, interp.BLOCK_N, interp.BLOCK_K) == (16, 128, 16)
    assert K.kernel_constexprs(tnn.float64, big, 1)["ACC_DTYPE"] == K.tl.float64
    assert K.kernel_constexprs(tnn.int8, big, 1)["USE_DOT"] is False


def _t(shape, device, dtype=tnn.float32):
    return tnn.zeros(*shape, dtype=dtype, device=device)


@pytest.mark.parametrize("fn,sa,sb,msg", [
    (tnn.matmul, (), (2, 3), "both arguments to matmul need to be at least 1D, but they are 0D and 2D"),
    (tnn.matmul, (3,), (4,), r"inconsistent tensor size, expected tensor \[3\] and src \[4\]"),
    (tnn.matmul, (2, 3), (4,), r"size mismatch, got input \(2\), mat \(2x3\), vec \(4\)"),
    (tnn.matmul, (3,), (4, 5), r"mat1 and mat2 shapes cannot be multiplied \(1x3 and 4x5\)"),
    (tnn.matmul, (2, 3), (4, 5), r"mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x5\)"),
    (tnn.matmul, (2, 2, 3), (4, 5), r"mat1 and mat2 shapes cannot be multiplied \(4x3 and 4x5\)"),
    (tnn.matmul, (2, 2, 3), (2, 4, 5), r"Expected size for first two dimensions of batch2 tensor to be: \[2, 3\]"),
    (tnn.matmul, (2, 2, 3), (3, 3, 5), "The size of tensor a"),
    (tnn.mm, (3,), (3, 2), "self must be a matrix"),
    (tnn.mm, (2, 3), (3,), "mat2 must be a matrix"),
    (tnn.mm, (2, 3), (4, 5), r"mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x5\)"),
    (tnn.bmm, (2, 3), (2, 3, 4), "batch1 must be a 3D tensor"),
    (tnn.bmm, (2, 2, 3), (3, 4), "batch2 must be a 3D tensor"),
    (tnn.bmm, (2, 2, 3), (1, 3, 4), r"Expected size for first two dimensions of batch2 tensor to be: \[2, 3\] but got: \[1, 3\]"),
])
def test_shape_errors(device, fn, sa, sb, msg):
    with pytest.raises(RuntimeError, match=msg):
        fn(_t(sa, device), _t(sb, device))


def test_dtype_device_and_type_errors(device):
    a = _t((2, 3), device)
    with pytest.raises(RuntimeError, match=r"expected m1 and m2 to have the same dtype, but got: float != c10::Half"):
        tnn.matmul(a, _t((3, 2), device, tnn.float16))
    with pytest.raises(RuntimeError, match=r"expected mat1 and mat2 to have the same dtype, but got: c10::BFloat16 != double"):
        tnn.mm(_t((2, 3), device, tnn.bfloat16), _t((3, 2), device, tnn.float64))
    with pytest.raises(RuntimeError, match="\"matmul\" not implemented for 'Bool'"):
        tnn.matmul(_t((2, 3), device, tnn.bool), _t((3, 2), device, tnn.bool))
    with pytest.raises(TypeError, match=r"matmul\(\): argument 'other' \(position 2\) must be Tensor, not list"):
        tnn.matmul(a, [[1.0]])
    with pytest.raises(TypeError, match="unsupported operand"):
        a @ 3
    with pytest.raises(TypeError, match="must be Tensor, not ndarray"):
        np.ones((4, 2), np.float32) @ a
    if device != "cpu":
        with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
            tnn.matmul(a, _t((3, 2), "cpu"))
