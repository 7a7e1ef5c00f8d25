"""F.linear / F.linear_act (GEMM with bias + activation in the epilogue) / F.bilinear against the
NumPy float64 reference (tnn.reference.linear): forward and every gradient over leading batch
dims (folded into GEMM rows), sizes 1 and primes, strided inputs / weights / gradients, fp32 /
fp16 / bf16 / fp64, each activation, with and without bias; the reference's own backward by
finite differences; the deterministic two-pass bias reduction; empty dims, vector operands,
broadcast biases, grad_fn names, saved-output version checks, tf32 and torch's error messages."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import tnn
import tnn.nn.functional as F
from tnn.kernels import linear as K
import importlib
ref = importlib.import_module("tnn.reference.linear")
from tnn.runtime import dtypes as dt
from tnn.testing import assert_close, layouts, make_tensor, random_array, to_numpy

FLOATS = (dt.float32, dt.float16, dt.bfloat16, dt.float64)
ACTS = (None, "relu", "gelu", "gelu_tanh")
DIMS = (1, 2, 3, 5, 7, 16, 17)


def _check(device, lead, Kd, N, dtype, bias=True, act=None, layouts_=("contiguous",) * 4, seed=0):
    """Forward and all three gradients of F.linear_act against the reference."""
    x_a = random_array(dtype, lead + (Kd,), seed, -1, 1)
    w_a = random_array(dtype, (N, Kd), seed + 1, -1, 1)
    b_a = random_array(dtype, (N,), seed + 2, -1, 1) if bias else None
    x = make_tensor(x_a, layouts_[0], device, requires_grad=True)
    w = make_tensor(w_a, layouts_[1], device, requires_grad=True)
    b = make_tensor(b_a, layouts_[2], device, requires_grad=True) if bias else None
    y = F.linear_act(x, w, b, act) if act is not None else F.linear(x, w, b)
    assert y.dtype is dtype and tuple(y.shape) == lead + (N,)
    assert_close(y.detach(), ref.linear_act(x_a, w_a, b_a, act), reduce_len=Kd)
    g_a = random_array(dtype, lead + (N,), seed + 3, -1, 1)
    y.backward(make_tensor(g_a, layouts_[3], device))
    if act == "relu":   # relu' from tnn's (already checked) output: z ~ 0 may round to either side
        dx, dw, db = ref.linear_backward(g_a * (to_numpy(y.detach()) > 0), x_a, w_a, b_a)
    else:
        dx, dw, db = ref.linear_act_backward(g_a, x_a, w_a, b_a, act)
    M = int(np.prod(lead, dtype=np.int64))
    # the gradients pass through dZ rounded to the input dtype: scale atol by every reduced length
    assert_close(x.grad, dx, reduce_len=4 * N)
    assert_close(w.grad, dw, reduce_len=4 * max(M, 1) * 2)
    if bias:
        assert_close(b.grad, db, reduce_len=4 * max(M, 1))
    for t, a in ((x, x_a), (w, w_a)):
        assert t.grad.dtype is dtype and tuple(t.grad.shape) == a.shape
    return y


# ------------------------------------------------------------------------------ properties
@given(st.data())
def test_linear_matches_reference(device, data):
    lead = tuple(data.draw(st.lists(st.sampled_from((1, 2, 3, 5)), min_size=0, max_size=3)))
    Kd, N = data.draw(st.sampled_from(DIMS)), data.draw(st.sampled_from(DIMS))
    dtype = data.draw(st.sampled_from(FLOATS))
    act = data.draw(st.sampled_from(ACTS))
    bias = data.draw(st.booleans())
    lays = tuple(data.draw(layouts()) for _ in range(4))
    _check(device, lead, Kd, N, dtype, bias, act, lays, data.draw(st.integers(0, 2**31)))


@pytest.mark.parametrize("act", ACTS)
def test_each_activation_fp32_3d(device, act):
    _check(device, (2, 5), 17, 13, dt.float32, True, act, ("transposed", "strided", "offset", "transposed"))


@pytest.mark.parametrize("dtype", [dt.float16, dt.bfloat16])
def test_half_precision_gelu_tanh(device, dtype):
    _check(device, (7,), 16, 31, dtype, True, "gelu_tanh", seed=3)


def _fd(f, arrays, i, eps=1e-6):
    """Central finite differences of sum(f(*arrays) * g) w.r.t. arrays[i], with a fixed g."""
    a = [np.array(x, dtype=np.float64) for x in arrays]
    g = np.random.default_rng(9).standard_normal(np.shape(f(*a)))
    out = np.zeros_like(a[i])
    for idx in np.ndindex(a[i].shape):
        a[i][idx] += eps
        hi = (f(*a) * g).sum()
        a[i][idx] -= 2 * eps
        lo = (f(*a) * g).sum()
        a[i][idx] += eps
        out[idx] = (hi - lo) / (2 * eps)
    return g, out


@pytest.mark.parametrize("act", ACTS)
def test_reference_backward_by_finite_differences(act):
    rng = np.random.default_rng(1)
    x, w, b = rng.standard_normal((2, 3, 4)), rng.standard_normal((5, 4)), rng.standard_normal(5)
    for i in range(3):
        g, num = _fd(lambda x, w, b: ref.linear_act(x, w, b, act), (x, w, b), i)
        np.testing.assert_allclose(ref.linear_act_backward(g, x, w, b, act)[i], num, rtol=1e-5, atol=1e-6)
    x2, W3 = rng.standard_normal((2, 3, 6)), rng.standard_normal((5, 4, 6))
    for i in range(4):
        g, num = _fd(ref.bilinear, (x, x2, W3, b), i)
        np.testing.assert_allclose(ref.bilinear_backward(g, x, x2, W3, b)[i], num, rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------------------ kernels
@pytest.mark.parametrize("act", ["none", "gelu"])
def test_two_pass_bias_reduction_is_deterministic(device, act):
    """The GPU splits dY's rows over programs and sums fp32 partial rows in a second pass: forced
    here with 3-row ranges over 17 rows; identical bits on every run."""
    g_a = random_array(dt.float32, (17, 13), 4)
    z_a = random_array(dt.float32, (17, 13), 5)
    g, z = tnn.tensor(g_a, device=device), tnn.tensor(z_a, device=device)
    outs = []
    for _ in range(2):
        dz = tnn.empty(17, 13, device=device) if act != "none" else None
        db = tnn.empty(13, device=device)
        K.linear_act_bwd(g, z if act != "none" else None, dz, db, act, rows_per_prog=3)
        outs.append(db.numpy().copy())
    dzr = g_a * (ref._act_grad(z_a.astype(np.float64), act) if act != "none" else 1.0)
    assert_close(tnn.tensor(outs[0]), dzr.sum(0), reduce_len=17)
    assert np.array_equal(outs[0], outs[1])
    one = tnn.empty(13, device=device)
    K.bias_grad(g, one, rows_per_prog=100)
    assert_close(one, g_a.astype(np.float64).sum(0), reduce_len=17)


def test_backward_is_bitwise_deterministic(device):
    x_a, w_a = random_array(dt.float32, (9, 4, 6), 1), random_array(dt.float32, (5, 6), 2)
    grads = []
    for _ in range(2):
        x = tnn.tensor(x_a, device=device, requires_grad=True)
        w = tnn.tensor(w_a, device=device, requires_grad=True)
        b = tnn.zeros(5, device=device, requires_grad=True)
        F.linear(x, w, b).sum().backward()
        grads.append([t.grad.numpy().copy() for t in (x, w, b)])
    assert all(np.array_equal(a, b) for a, b in zip(*grads))


# ------------------------------------------------------------------------------ edge cases
@pytest.mark.parametrize("lead,Kd,N", [((0,), 3, 4), ((2, 0), 3, 4), ((3,), 0, 4), ((3,), 4, 0), ((0,), 0, 2)])
def test_empty_dims(device, lead, Kd, N):
    x = tnn.zeros(*lead, Kd, device=device, requires_grad=True)
    w = tnn.ones(N, Kd, device=device, requires_grad=True)
    b = tnn.full((N,), 2.0, device=device, requires_grad=True)
    y = F.linear_act(x, w, b, "relu")
    assert tuple(y.shape) == lead + (N,)
    np.testing.assert_array_equal(y.detach().numpy(), np.full(lead + (N,), 2.0, np.float32))
    y.sum().backward()
    M = int(np.prod(lead))
    np.testing.assert_array_equal(x.grad.numpy(), np.full(lead + (Kd,), float(N), np.float32))
    np.testing.assert_array_equal(w.grad.numpy(), np.zeros((N, Kd), np.float32))
    np.testing.assert_array_equal(b.grad.numpy(), np.full((N,), float(M), np.float32))


def test_vector_input_and_vector_weight(device):
    x_a, w_a, b_a = random_array(dt.float64, (5,), 1), random_array(dt.float64, (3, 5), 2), random_array(
        dt.float64, (3,), 3)
    x = tnn.tensor(x_a, device=device, requires_grad=True)
    w = tnn.tensor(w_a, device=device, requires_grad=True)
    b = tnn.tensor(b_a, device=device, requires_grad=True)
    y = F.linear(x, w, b)
    assert tuple(y.shape) == (3,)
    assert_close(y.detach(), ref.linear(x_a, w_a, b_a))
    y.backward(tnn.ones(3, dtype=tnn.float64, device=device))
    dx, dw, db = ref.linear_backward(np.ones(3), x_a, w_a, b_a)
    assert_close(x.grad, dx), assert_close(w.grad, dw), assert_close(b.grad, db)
    # a 1-D weight: y = x . w, the last dim dropped (as torch.matmul)
    X = tnn.tensor(random_array(dt.float64, (4, 5), 4), device=device)
    v = tnn.tensor(w_a[0], device=device)
    assert_close(F.linear(X, v), X.numpy() @ w_a[0])


@pytest.mark.parametrize("bshape", [(), (1,)])
def test_broadcast_bias_gets_summed_gradient(device, bshape):
    x_a, w_a = random_array(dt.float64, (4, 3), 1), random_array(dt.float64, (5, 3), 2)
    x, w = tnn.tensor(x_a, device=device, requires_grad=True), tnn.tensor(w_a, device=device)
    b = tnn.full(bshape, 0.5, dtype=tnn.float64, device=device, requires_grad=True)
    y = F.linear(x, w, b)
    assert_close(y.detach(), x_a @ w_a.T + 0.5)
    y.sum().backward()
    assert tuple(b.grad.shape) == bshape and float(b.grad.sum()) == pytest.approx(20.0)


def test_matrix_bias(device):
    x_a, w_a, b_a = (random_array(dt.float64, s, i) for i, s in enumerate([(4, 3), (5, 3), (4, 5)]))
    b = tnn.tensor(b_a, device=device, requires_grad=True)
    y = F.linear(tnn.tensor(x_a, device=device), tnn.tensor(w_a, device=device), b)
    assert_close(y.detach(), x_a @ w_a.T + b_a)


def test_grad_fn_names_and_no_grad(device):
    x = tnn.ones(2, 3, device=device, requires_grad=True)
    w = tnn.ones(4, 3, device=device, requires_grad=True)
    b = tnn.ones(4, device=device, requires_grad=True)
    assert F.linear(x, w, b).grad_fn.name() == "AddmmBackward0"
    assert F.linear(x, w).grad_fn.name() == "MmBackward0"
    assert F.linear_act(x, w, b, "gelu").grad_fn.name() == "LinearActBackward0"
    with tnn.no_grad():
        y = F.linear_act(x, w, b, "relu")
    assert y.grad_fn is None and not y.requires_grad
    # only the bias requires grad: db from the column reduction, no GEMMs for dX / dW
    xb, wb = x.detach(), w.detach()
    F.linear(xb, wb, b).sum().backward()
    np.testing.assert_array_equal(b.grad.numpy(), np.full(4, 2.0, np.float32))


def test_relu_saved_output_modified_in_place_raises(device):
    x = tnn.ones(2, 3, device=device, requires_grad=True)
    w = tnn.ones(4, 3, device=device, requires_grad=True)
    y = F.linear_act(x, w, None, "relu")
    y.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_tf32_switch(device):
    x_a, w_a = random_array(dt.float32, (8, 32), 1), random_array(dt.float32, (8, 32), 2)
    x, w = tnn.tensor(x_a, device=device), tnn.tensor(w_a, device=device)
    try:
        tnn.backends.matmul.allow_tf32 = True
        y = F.linear(x, w)
    finally:
        tnn.backends.matmul.allow_tf32 = False
    assert_close(y, x_a.astype(np.float64) @ w_a.T, rtol=2e-3, atol=2e-2)


def test_errors(device):
    x = tnn.ones(4, 3, device=device)
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(4x3 and 5x2\)"):
        F.linear(x, tnn.ones(2, 5, device=device))
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(8x3 and 5x2\)"):
        F.linear(tnn.ones(2, 4, 3, device=device), tnn.ones(2, 5, device=device))
    with pytest.raises(RuntimeError, match="mat1 and mat2 must have the same dtype, but got Float and Double"):
        F.linear(x, tnn.ones(2, 3, dtype=tnn.float64, device=device))
    with pytest.raises(RuntimeError, match="same dtype, but got Half and Float"):
        F.linear(x, tnn.ones(2, 3, device=device), tnn.ones(2, dtype=tnn.float16, device=device))
    with pytest.raises(RuntimeError, match="both arguments to linear need to be at least 1D, but they are 0D and 2D"):
        F.linear(tnn.tensor(1.0, device=device), tnn.ones(2, 3, device=device))
    with pytest.raises(RuntimeError, match="not implemented for 'Long'"):
        F.linear(tnn.ones(4, 3, dtype=tnn.int64, device=device), tnn.ones(2, 3, dtype=tnn.int64, device=device))
    with pytest.raises(RuntimeError, match=r"The size of tensor a \(5\) must match the size of tensor b \(2\)"):
        F.linear(x, tnn.ones(2, 3, device=device), tnn.ones(5, device=device))
    with pytest.raises(ValueError, match="activation must be"):
        F.linear_act(x, tnn.ones(2, 3, device=device), None, "tanh")
    with pytest.raises(TypeError, match="must be Tensor"):
        F.linear(np.ones((4, 3)), tnn.ones(2, 3, device=device))


# ------------------------------------------------------------------------------ bilinear
def _mul_is_differentiable(device):
    x = tnn.ones(1, device=device, requires_grad=True)
    return (x * x).grad_fn is not None


@pytest.mark.parametrize("bias", [True, False])
def test_bilinear_matches_reference(device, bias):
    """bilinear is composed of F.linear, views, mul and sum: its gradient needs them all."""
    if not _mul_is_differentiable(device):
        pytest.skip("elementwise mul is not differentiable yet")
    x1_a, x2_a = random_array(dt.float64, (2, 3, 4), 1, -1, 1), random_array(dt.float64, (2, 3, 5), 2, -1, 1)
    w_a, b_a = random_array(dt.float64, (7, 4, 5), 3, -1, 1), random_array(dt.float64, (7,), 4, -1, 1)
    x1 = make_tensor(x1_a, "transposed", device, requires_grad=True)
    x2 = tnn.tensor(x2_a, device=device, requires_grad=True)
    w = tnn.tensor(w_a, device=device, requires_grad=True)
    b = tnn.tensor(b_a, device=device, requires_grad=True) if bias else None
    y = F.bilinear(x1, x2, w, b)
    assert_close(y.detach(), ref.bilinear(x1_a, x2_a, w_a, b_a if bias else None))
    g_a = random_array(dt.float64, (2, 3, 7), 5)
    y.backward(tnn.tensor(g_a, device=device))
    grads = ref.bilinear_backward(g_a, x1_a, x2_a, w_a, b_a if bias else None)
    for t, e in zip((x1, x2, w, b), grads):
        if t is not None:
            assert_close(t.grad, e)


def test_bilinear_errors(device):
    w = tnn.ones(7, 4, 5, device=device)
    with pytest.raises(RuntimeError, match="input1 size does not match weight size: got 3 but expected 4"):
        F.bilinear(tnn.ones(2, 3, device=device), tnn.ones(2, 5, device=device), w)
    with pytest.raises(RuntimeError, match="input batch dimensions do not match: got 2 and 3"):
        F.bilinear(tnn.ones(2, 4, device=device), tnn.ones(3, 5, device=device), w)
    with pytest.raises(RuntimeError, match="bias size does not match weight size: got 6 but expected 7"):
        F.bilinear(tnn.ones(2, 4, device=device), tnn.ones(2, 5, device=device), w, tnn.ones(6, device=device))
