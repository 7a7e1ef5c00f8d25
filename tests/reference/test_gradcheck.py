"""tnn.testing.gradcheck: autograd gradients against finite differences and tnn.reference, with
custom Functions (built from non-differentiable tnn ops) and, where already differentiable,
built-in ops."""
import numpy as np
import pytest

import tnn
import tnn.reference as ref
from tnn.autograd import Function
from tnn.testing import gradcheck


class Cube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * x * x * 3


class WrongCube(Cube):
    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * x * x * 3.1


class Mul(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return (g * b if ctx.needs_input_grad[0] else None), (g * a if ctx.needs_input_grad[1] else None)


class Scale(Function):
    """x * k for a Python number k (a non-tensor argument)."""

    @staticmethod
    def forward(ctx, x, k):
        ctx.k = k
        return x * k

    @staticmethod
    def backward(ctx, g):
        return g * ctx.k, None


def leaf(arr, device, dtype=tnn.float64):
    return tnn.tensor(np.asarray(arr), dtype=dtype, device=device, requires_grad=True)


def test_custom_function_against_fd_and_reference(device):
    x = leaf(np.linspace(-1.5, 2.0, 6).reshape(2, 3), device)
    assert gradcheck(Cube.apply, [x], reference=lambda g, a: (3 * a ** 2 * g,))
    assert x.grad is None  # the inputs' .grad are left alone


def test_wrong_backward_is_reported(device):
    x = leaf([[1.0, -2.0, 0.5]], device)
    with pytest.raises(AssertionError, match=r"input 0 .*finite differences: max abs error"):
        gradcheck(WrongCube.apply, [x])
    with pytest.raises(AssertionError, match=r"input 0 .*the reference"):
        gradcheck(WrongCube.apply, [x], reference=lambda g, a: (3 * a ** 2 * g,), finite_differences=False)


def test_two_inputs_with_tnn_reference(device):
    a = leaf(np.arange(1.0, 7.0).reshape(2, 3), device)
    b = leaf(np.linspace(-1, 1, 6).reshape(2, 3), device)
    assert gradcheck(Mul.apply, (a, b), reference=ref.mul_backward)
    g = np.arange(6.0).reshape(2, 3)
    assert gradcheck(Mul.apply, (a, b), reference=ref.mul_backward, grad_output=g)
    with pytest.raises(AssertionError, match="input 1"):
        gradcheck(Mul.apply, (a, b), reference=lambda g, x, y: ref.mul_backward(g, x * 1.01, y))


def test_only_inputs_requiring_grad_are_checked(device):
    a = leaf([1.0, 2.0], device)
    b = tnn.tensor([3.0, 4.0], dtype=tnn.float64, device=device)
    assert gradcheck(Mul.apply, (a, b), reference=ref.mul_backward)
    assert gradcheck(Scale.apply, (a, 2.5), reference=lambda g, x, k: (g * k, None))


def test_float32_inputs_use_the_rounded_step(device):
    x = leaf([0.5, -1.25], device, dtype=tnn.float32)
    assert gradcheck(Cube.apply, [x], eps=1e-3, atol=1e-3, rtol=1e-2)
    with pytest.raises(ValueError, match="resolution"):
        gradcheck(Cube.apply, [leaf([1000.0], device, dtype=tnn.float16)], eps=1e-6)


def test_argument_errors(device):
    x = tnn.tensor([1.0], dtype=tnn.float64, device=device)
    with pytest.raises(ValueError, match="no input requires grad"):
        gradcheck(Cube.apply, [x])
    x = leaf([1.0, 2.0], device)
    with pytest.raises(TypeError, match="one Tensor"):
        gradcheck(lambda t: (Cube.apply(t), t), [x])
    with pytest.raises(AssertionError, match="does not require grad"):
        gradcheck(lambda t: t.detach(), [x])
    with pytest.raises(ValueError, match="grad_output has shape"):
        gradcheck(Cube.apply, [x], grad_output=np.ones(3))


# Built-in ops, once the autograd wiring reaches them (skipped until then).
BUILTIN = [
    ("permute", lambda x: x.permute(1, 0), lambda g, x: ref.permute_backward(g, x, 1, 0)),
    ("sum", lambda x: x.sum(1), lambda g, x: ref.sum_backward(g, x, 1)),
    ("getitem", lambda x: x[:, 1], lambda g, x: ref.getitem_backward(g, x, (slice(None), 1))),
    ("amax", lambda x: x.amax(0), lambda g, x: ref.amax_backward(g, x, 0)),
    ("mul", lambda x: x * x, lambda g, x: (2 * x * g,)),
]


@pytest.mark.parametrize("name,fn,reference", BUILTIN, ids=[b[0] for b in BUILTIN])
def test_builtin_ops(device, name, fn, reference):
    x = leaf(np.array([[0.3, -1.2, 2.0], [1.1, 0.4, -0.7]]), device)
    with tnn.enable_grad():
        if not fn(x).requires_grad:
            pytest.skip(f"{name} is not differentiable yet")
    assert gradcheck(fn, [x], reference=reference)


def test_builtin_matmul(device):
    a = leaf(np.linspace(-1, 1, 6).reshape(2, 3), device)
    b = leaf(np.linspace(0.5, 2, 6).reshape(3, 2), device)
    if not tnn.matmul(a, b).requires_grad:
        pytest.skip("matmul is not differentiable yet")
    assert gradcheck(tnn.matmul, (a, b), reference=ref.matmul_backward)
