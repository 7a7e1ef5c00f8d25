"""Gradients of matmul / mm / bmm / ``@`` in every torch shape form (dot, matrix-vector,
vector-matrix, matrix product, batched with broadcast batch dims) against tnn.reference."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import tnn
import tnn.reference as ref
from tnn.testing import assert_close, gradcheck, layouts, make_tensor, random_array

F32, F64 = tnn.float32, tnn.float64


@st.composite
def matmul_shapes(draw):
    """A pair of operand shapes in one of torch's matmul forms, batch dims broadcasting."""
    m, k, n = (draw(st.sampled_from([1, 2, 3, 5, 7])) for _ in range(3))
    form = draw(st.sampled_from(["dot", "mv", "vm", "mm", "nd_vec", "vec_nd", "batched"]))
    if form == "dot":
        return (k,), (k,)
    if form == "mv":
        return (m, k), (k,)
    if form == "vm":
        return (k,), (k, n)
    if form == "mm":
        return (m, k), (k, n)
    batch = tuple(draw(st.lists(st.sampled_from([1, 2, 3]), min_size=1, max_size=2)))
    if form == "nd_vec":
        return batch + (m, k), (k,)
    if form == "vec_nd":
        return (k,), batch + (k, n)
    # batched: each side keeps, drops or sets to 1 some batch dims
    def side():
        b = batch[draw(st.integers(0, len(batch))):]
        return tuple(1 if draw(st.booleans()) else s for s in b)
    return side() + (m, k), side() + (k, n)


def _ref_grads(g, a, b):
    ga, gb = ref.matmul_backward(g, a, b)
    return ga, gb


def check(device, fn, sa, sb, dtype, layout_a, layout_b, seed, need=(True, True), **tol):
    a_np, b_np = random_array(F64, sa, seed), random_array(F64, sb, seed + 1)
    a = make_tensor(a_np.astype(dtype.np), layout_a, device, requires_grad=need[0])
    b = make_tensor(b_np.astype(dtype.np), layout_b, device, requires_grad=need[1])
    y = fn(a, b)
    a64, b64 = (np.asarray(tnn.testing.to_numpy(t), dtype=np.float64) for t in (a, b))
    assert_close(y, ref.matmul(a64, b64), reduce_len=sa[-1], **tol)
    g = tnn.tensor(random_array(F64, tuple(y.shape), seed + 2).astype(dtype.np), device=device)
    y.backward(g)
    ga, gb = _ref_grads(np.asarray(tnn.testing.to_numpy(g), dtype=np.float64), a64, b64)
    for t, e, on in ((a, ga, need[0]), (b, gb, need[1])):
        if not on:
            assert t.grad is None
            continue
        assert t.grad.dtype is dtype and tuple(t.grad.shape) == tuple(t.shape)
        reduce_len = int(np.prod(y.shape)) // max(1, int(np.prod(t.shape))) * max(y.shape[-1:] or (1,))
        assert_close(t.grad, e, reduce_len=max(reduce_len, 1), **tol)
    return y


@pytest.mark.parametrize("dtype", [F32, F64])
@given(shapes=matmul_shapes(), la=layouts(), lb=layouts(), seed=st.integers(0, 2**16))
def test_matmul_grad(device, dtype, shapes, la, lb, seed):
    sa, sb = shapes
    check(device, lambda a, b: a @ b, sa, sb, dtype, la, lb, seed)


@pytest.mark.parametrize("dtype", [tnn.float16, tnn.bfloat16])
def test_matmul_grad_half(device, dtype):
    tol = dict(rtol=2e-2, atol=2e-2) if dtype is tnn.float16 else dict(rtol=8e-2, atol=8e-2)
    for i, (sa, sb) in enumerate([((5, 7), (7, 3)), ((2, 3, 5), (5, 4)), ((7,), (2, 7, 3))]):
        check(device, tnn.matmul, sa, sb, dtype, "transposed", "contiguous", i, **tol)


@given(b=st.sampled_from([1, 2, 3]), m=st.sampled_from([1, 3, 5]), k=st.sampled_from([1, 2, 7]),
       n=st.sampled_from([1, 4, 5]), la=layouts(), lb=layouts(), seed=st.integers(0, 2**16))
def test_mm_bmm_grad(device, b, m, k, n, la, lb, seed):
    y = check(device, tnn.mm, (m, k), (k, n), F32, la, lb, seed)
    assert y.grad_fn.name() == "MmBackward0"
    y = check(device, tnn.bmm, (b, m, k), (b, k, n), F32, la, lb, seed)
    assert y.grad_fn.name() == "BmmBackward0"


@pytest.mark.parametrize("need", [(True, False), (False, True)])
def test_only_one_operand_needs_grad(device, need):
    check(device, tnn.matmul, (2, 3, 4), (4, 5), F64, "contiguous", "transposed", 3, need=need)
    check(device, tnn.matmul, (3, 4), (2, 4, 5), F64, "strided", "contiguous", 4, need=need)


def test_weight_shared_across_batch(device):
    """x (B, T, K) @ w (K, N): dW folds the batch into one GEMM when x's batch and rows merge; a
    transposed-batch x takes the batched path. Both must agree with the reference."""
    x_np, w_np = random_array(F64, (3, 4, 5), 0), random_array(F64, (5, 2), 1)
    for x in (tnn.tensor(x_np, device=device), tnn.tensor(np.ascontiguousarray(x_np.transpose(1, 0, 2)),
                                                          device=device).transpose(0, 1)):
        x.requires_grad_()
        w = tnn.tensor(w_np, device=device, requires_grad=True)
        g = random_array(F64, (3, 4, 2), 2)
        (x @ w).backward(tnn.tensor(g, device=device))
        ga, gb = _ref_grads(g, x_np, w_np)
        assert_close(x.grad, ga)
        assert_close(w.grad, gb, reduce_len=12)


@pytest.mark.parametrize("sa, sb", [((2, 3, 4), (4, 2)), ((2, 3, 4), (4,)), ((4,), (4, 2)), ((4,), (4,)),
                                    ((3, 4), (4, 2)), ((2, 1, 3, 4), (2, 4, 2))])
def test_gradcheck_matmul(device, sa, sb):
    a = tnn.tensor(random_array(F64, sa, 0), device=device, requires_grad=True)
    b = tnn.tensor(random_array(F64, sb, 1), device=device, requires_grad=True)
    assert gradcheck(tnn.matmul, (a, b), reference=ref.matmul_backward)


# ------------------------------------------------------------------------------ named edge cases
def test_grad_fn_names(device):
    def t(*shape):
        return tnn.tensor(random_array(F64, shape, 0), device=device, requires_grad=True)
    assert (t(3) @ t(3)).grad_fn.name() == "DotBackward0"
    assert (t(2, 3) @ t(3)).grad_fn.name() == "MvBackward0"
    assert (t(2, 3) @ t(3, 4)).grad_fn.name() == "MmBackward0"
    assert tnn.mm(t(2, 3), t(3, 4)).grad_fn.name() == "MmBackward0"
    assert tnn.bmm(t(2, 2, 3), t(2, 3, 4)).grad_fn.name() == "BmmBackward0"
    assert (t(3) @ t(3, 4)).grad_fn.name() == "MatmulBackward0"
    assert (t(2, 2, 3) @ t(3, 4)).grad_fn.name() == "MatmulBackward0"
    assert t(2, 3).matmul(t(3)).grad_fn.name() == "MvBackward0"


def test_no_graph_under_no_grad_and_for_plain_inputs(device):
    a = tnn.tensor(random_array(F64, (2, 3), 0), device=device, requires_grad=True)
    b = tnn.tensor(random_array(F64, (3, 2), 1), device=device)
    with tnn.no_grad():
        y = a @ b
    assert not y.requires_grad and y.grad_fn is None
    y = b @ b.T
    assert not y.requires_grad and y.grad_fn is None
    y = a @ b
    assert y.requires_grad and y.grad_fn.next_functions[1] == (None, 0)


def test_same_tensor_twice(device):
    a_np = random_array(F64, (4, 4), 0)
    a = tnn.tensor(a_np, device=device, requires_grad=True)
    g = random_array(F64, (4, 4), 1)
    (a @ a).backward(tnn.tensor(g, device=device))
    assert_close(a.grad, g @ a_np.T + a_np.T @ g, reduce_len=4)
    v = tnn.tensor([1.0, 2.0, 3.0], device=device, requires_grad=True)
    (v @ v).backward()
    assert v.grad.tolist() == [2.0, 4.0, 6.0]


def test_non_contiguous_and_expanded_grad(device):
    a_np, b_np = random_array(F64, (3, 4), 0), random_array(F64, (4, 5), 1)
    a = tnn.tensor(a_np, device=device, requires_grad=True)
    b = tnn.tensor(b_np, device=device, requires_grad=True)
    g = tnn.tensor(random_array(F64, (5, 3), 2), device=device).T          # transposed gradient
    (a @ b).backward(g)
    assert_close(a.grad, g.numpy() @ b_np.T, reduce_len=5)
    assert_close(b.grad, a_np.T @ g.numpy(), reduce_len=3)
    a.grad = b.grad = None
    (a @ b).sum().backward()                                            # stride-0 gradient from sum
    assert_close(a.grad, np.ones((3, 5)) @ b_np.T, reduce_len=5)
    assert_close(b.grad, a_np.T @ np.ones((3, 5)), reduce_len=3)


def test_zero_size(device):
    for sa, sb in [((0, 3), (3, 4)), ((3, 0), (0, 4)), ((2, 0, 3), (3, 5)), ((0,), (0,)), ((0, 2, 3), (3, 1))]:
        a = tnn.zeros(sa, dtype=F64, device=device, requires_grad=True)
        b = tnn.ones(sb, dtype=F64, device=device, requires_grad=True)
        y = a @ b
        y.backward(tnn.ones_like(y))
        ga, gb = _ref_grads(np.ones(tuple(y.shape)), np.zeros(sa), np.ones(sb))
        assert tuple(a.grad.shape) == sa and tuple(b.grad.shape) == sb
        assert_close(a.grad, ga)
        assert_close(b.grad, gb)


def test_inplace_after_save_raises(device):
    a = tnn.tensor(random_array(F64, (2, 3), 0), device=device, requires_grad=True)
    b = tnn.tensor(random_array(F64, (3, 2), 1), device=device, requires_grad=True)
    y = a @ b
    b.detach().mul_(2.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_errors_before_graph(device):
    a = tnn.tensor(random_array(F64, (2, 3), 0), device=device, requires_grad=True)
    with pytest.raises(RuntimeError, match="mat1 and mat2 shapes cannot be multiplied"):
        a @ a
    with pytest.raises(RuntimeError, match="expected m1 and m2 to have the same dtype"):
        a @ tnn.ones((3, 2), device=device)
    with pytest.raises(RuntimeError, match="batch1 must be a 3D tensor"):
        tnn.bmm(a, a)
