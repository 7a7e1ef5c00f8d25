"""Engine semantics with custom Functions: graph order, accumulation, hooks, retain_graph, version
checks, grad mode, autograd.grad. The Functions here compute with tnn ops inside forward/backward,
so these tests do not depend on the built-in ops being differentiable."""
import numpy as np
import pytest

import tnn
from tnn.autograd import Function


class Square(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * x * 2


class Mul(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return (g * b if ctx.needs_input_grad[0] else None), (g * a if ctx.needs_input_grad[1] else None)


class Sum(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.shape = tuple(x.shape)
        return x.sum()

    @staticmethod
    def backward(ctx, g):
        return g.expand(ctx.shape)


class SplitTwo(Function):
    """Two outputs: (x * 2, x * 3)."""

    @staticmethod
    def forward(ctx, x):
        return x * 2, x * 3

    @staticmethod
    def backward(ctx, g1, g2):
        return g1 * 2 + g2 * 3


def leaf(values, device):
    return tnn.tensor(values, dtype=tnn.float64, device=device, requires_grad=True)


def test_square_sum_gradient(device):
    x = leaf([1.0, -2.0, 3.0], device)
    y = Sum.apply(Square.apply(x))
    assert y.requires_grad and not y.is_leaf and x.is_leaf
    assert y.grad_fn.name() == "SumBackward"
    y.backward()
    assert x.grad.tolist() == [2.0, -4.0, 6.0]


def test_diamond_graph_sums_both_paths(device):
    x = leaf([1.0, 2.0], device)
    a = Square.apply(x)            # x^2
    b = Mul.apply(x, a)            # x^3, x used twice
    c = Mul.apply(a, b)            # x^5
    Sum.apply(c).backward()
    np.testing.assert_allclose(x.grad.tolist(), [5.0, 5 * 16.0])


def test_tensor_reused_many_times(device):
    x = leaf([0.5, 1.5], device)
    y = x
    for _ in range(5):
        y = Mul.apply(y, x)        # x^6
    Sum.apply(y).backward()
    np.testing.assert_allclose(x.grad.tolist(), [6 * 0.5**5, 6 * 1.5**5])


def test_leaf_accumulates_across_backward_calls(device):
    x = leaf([1.0, 2.0], device)
    Sum.apply(Square.apply(x)).backward()
    Sum.apply(Square.apply(x)).backward()
    assert x.grad.tolist() == [4.0, 8.0]
    g = x.grad
    g.zero_()
    Sum.apply(x).backward()
    assert x.grad.tolist() == [1.0, 1.0]


def test_multiple_outputs_and_unused_output(device):
    x = leaf([1.0, 1.0], device)
    p, q = SplitTwo.apply(x)
    assert p.grad_fn is q.grad_fn
    Sum.apply(p).backward()        # q unused: its gradient is materialised as zeros
    assert x.grad.tolist() == [2.0, 2.0]


def test_non_scalar_backward_needs_gradient(device):
    x = leaf([1.0, 2.0], device)
    y = Square.apply(x)
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        y.backward()
    y.backward(tnn.tensor([1.0, 0.5], dtype=tnn.float64, device=device))
    assert x.grad.tolist() == [2.0, 2.0]
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        Square.apply(x).backward(tnn.ones(3, dtype=tnn.float64, device=device))


def test_backward_twice_needs_retain_graph(device):
    x = leaf([3.0], device)
    y = Sum.apply(Square.apply(x))
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.tolist() == [12.0]
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        y.backward()


def test_inplace_change_of_saved_tensor_is_detected(device):
    x = leaf([1.0, 2.0], device)
    a = Square.apply(x)
    b = Square.apply(a)            # saves a
    a.detach().add_(1.0)           # modifies a's storage and bumps the shared version
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        Sum.apply(b).backward()


def test_requires_grad_rules(device):
    x = tnn.tensor([1, 2], device=device)
    with pytest.raises(RuntimeError, match="only Tensors of floating point dtype can require gradients"):
        x.requires_grad_()
    y = tnn.ones(2, device=device)
    with pytest.raises(RuntimeError, match="does not require grad and does not have a grad_fn"):
        Sum.apply(y).backward()
    z = Square.apply(leaf([1.0], device))
    with pytest.raises(RuntimeError, match="you can only change requires_grad flags of leaf variables"):
        z.requires_grad_(False)
    with pytest.raises(RuntimeError, match="cannot register a hook on a tensor that doesn't require gradient"):
        y.register_hook(lambda g: g)


def test_no_grad_and_friends(device):
    x = leaf([1.0], device)
    with tnn.no_grad():
        assert not tnn.is_grad_enabled()
        y = Square.apply(x)
        with tnn.enable_grad():
            z = Square.apply(x)
    assert tnn.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad

    @tnn.no_grad()
    def f(t):
        return Square.apply(t)
    assert not f(x).requires_grad
    with tnn.set_grad_enabled(False):
        assert not Square.apply(x).requires_grad
    with tnn.inference_mode():
        assert not Square.apply(x).requires_grad
    assert tnn.is_grad_enabled()


def test_tensor_hooks_order_and_replacement(device):
    x = leaf([1.0, 2.0], device)
    seen = []
    y = Square.apply(x)
    h1 = y.register_hook(lambda g: seen.append(("y1", g.tolist())))
    y.register_hook(lambda g: g * 10)                  # replaces the gradient flowing into y's node
    y.register_hook(lambda g: seen.append(("y3", g.tolist())))
    x.register_hook(lambda g: seen.append(("x", g.tolist())))
    Sum.apply(y).backward(retain_graph=True)
    assert seen == [("y1", [1.0, 1.0]), ("y3", [10.0, 10.0]), ("x", [20.0, 40.0])]
    assert x.grad.tolist() == [20.0, 40.0]
    h1.remove()
    seen.clear()
    Sum.apply(y).backward()
    assert [s[0] for s in seen] == ["y3", "x"]


def test_leaf_hook_replaces_gradient(device):
    x = leaf([1.0, 2.0], device)
    x.register_hook(lambda g: g * 0 + 7)
    Sum.apply(Square.apply(x)).backward()
    assert x.grad.tolist() == [7.0, 7.0]


def test_retain_grad_and_detach(device):
    x = leaf([1.0, 2.0], device)
    y = Square.apply(x)
    y.retain_grad()
    assert y.retains_grad
    Sum.apply(Square.apply(y)).backward()
    assert y.grad.tolist() == [2.0, 8.0]
    d = y.detach()
    assert not d.requires_grad and d.data_ptr() == y.data_ptr()


def test_autograd_grad(device):
    x = leaf([1.0, 2.0], device)
    w = leaf([3.0, 4.0], device)
    y = Sum.apply(Mul.apply(Square.apply(x), w))
    gx, gw = tnn.autograd.grad(y, (x, w), retain_graph=True)
    assert gx.tolist() == [6.0, 16.0] and gw.tolist() == [1.0, 4.0]
    assert x.grad is None and w.grad is None              # grad() does not accumulate
    z = leaf([1.0], device)
    with pytest.raises(RuntimeError, match="appears to not have been used in the graph"):
        tnn.autograd.grad(y, (x, z), retain_graph=True)
    gx2, gz = tnn.autograd.grad(y, (x, z), allow_unused=True, retain_graph=True)
    assert gz is None and gx2.tolist() == [6.0, 16.0]
    (ga,) = tnn.autograd.grad(y, x, retain_graph=True)
    assert ga.tolist() == [6.0, 16.0]
    with pytest.raises(NotImplementedError, match="create_graph=True"):
        tnn.autograd.grad(y, (x,), create_graph=True)


def test_grad_wrt_intermediate(device):
    x = leaf([1.0, 2.0], device)
    a = Square.apply(x)
    y = Sum.apply(Mul.apply(a, a))
    (ga,) = tnn.autograd.grad(y, a)
    assert ga.tolist() == [2.0, 8.0]


def test_backward_inputs_argument(device):
    x = leaf([1.0], device)
    w = leaf([2.0], device)
    y = Sum.apply(Mul.apply(x, w))
    y.backward(inputs=[w])
    assert w.grad.tolist() == [1.0] and x.grad is None


def test_node_hooks_and_next_functions(device):
    x = leaf([1.0, 2.0], device)
    y = Square.apply(x)
    node = y.grad_fn
    (acc, nr), = node.next_functions
    assert acc.name() == "AccumulateGrad" and acc.variable is x and nr == 0
    calls = []
    node.register_prehook(lambda grads: calls.append("pre"))
    node.register_hook(lambda gin, gout: calls.append("post"))
    Sum.apply(y).backward()
    assert calls == ["pre", "post"]


def test_wrong_number_of_gradients(device):
    class Bad(Function):
        @staticmethod
        def forward(ctx, a, b):
            return a * b

        @staticmethod
        def backward(ctx, g):
            return g

    x, w = leaf([1.0], device), leaf([2.0], device)
    with pytest.raises(RuntimeError, match="returned an incorrect number of gradients"):
        Sum.apply(Bad.apply(x, w)).backward()


def test_wrong_gradient_shape(device):
    class BadShape(Function):
        @staticmethod
        def forward(ctx, a):
            return a * 1

        @staticmethod
        def backward(ctx, g):
            return g.sum()

    x = leaf([1.0, 2.0], device)
    with pytest.raises(RuntimeError, match="returned an invalid gradient at index 0"):
        Sum.apply(BadShape.apply(x)).backward()


def test_mark_dirty_and_leaf_inplace_error(device):
    class AddOne_(Function):
        @staticmethod
        def forward(ctx, x):
            x.add_(1.0)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g

    x = leaf([1.0], device)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place operation"):
        AddOne_.apply(x)
    y = Square.apply(leaf([2.0], device))
    out = AddOne_.apply(y)
    assert out is y and y.grad_fn.name() == "AddOne_Backward"


def test_mark_non_differentiable(device):
    class WithIndex(Function):
        @staticmethod
        def forward(ctx, x):
            idx = x.argmax()
            out = x * 1
            flag = x * 0
            ctx.mark_non_differentiable(flag)
            return out, flag, idx

        @staticmethod
        def backward(ctx, g, g_flag, g_idx):
            return g

    x = leaf([1.0, 5.0], device)
    out, flag, idx = WithIndex.apply(x)
    assert out.requires_grad and not flag.requires_grad and not idx.requires_grad


def test_grad_fn_shown_in_repr(device):
    y = Square.apply(leaf([1.0], device))
    assert "grad_fn=<SquareBackward>" in repr(y)
    assert "requires_grad=True" in repr(leaf([1.0], device))
