"""Gradients of the copies and conversions (tnn/ops/copying.py): clone / contiguous
(CloneBackward0), to / float / double / half / bfloat16 / type_as (ToCopyBackward0) between float
dtypes and devices, copy_ (CopyBackwards) with broadcasting and casts, fill_ / zero_; and item /
tolist / numpy on tensors that require grad."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import tnn
import tnn.reference as ref
from tnn.testing import (assert_close, broadcastable_shapes, gradcheck, layouts, make_tensor, random_array,
                         shapes, to_numpy)

F16, BF16, F32, F64 = tnn.float16, tnn.bfloat16, tnn.float32, tnn.float64
FLOATS = [F16, BF16, F32, F64]
seeds = st.integers(0, 2**16)


def host(x):
    return x.detach().cpu().numpy().copy()


def leaf(values, device, dtype=F64, layout="contiguous"):
    return make_tensor(np.asarray(values).astype(dtype.np), layout, device, requires_grad=True)


def backprop(y, seed, device):
    g = tnn.tensor(random_array(F64, tuple(y.shape), seed), dtype=y.dtype, device=device)
    y.backward(g)
    return to_numpy(g).astype(np.float64)


@given(shape=shapes(0, 3, 7, max_numel=64), layout=layouts(), dtype=st.sampled_from([F32, F64]), seed=seeds)
def test_clone_contiguous_grad(device, shape, layout, dtype, seed):
    layout = layout if shape else "contiguous"
    x = leaf(random_array(F64, shape, seed), device, dtype, layout)
    for fn in (tnn.Tensor.clone, tnn.Tensor.contiguous):
        x.grad = None
        y = fn(x)
        if fn is tnn.Tensor.contiguous and x.is_contiguous():
            assert y is x  # no copy, no node
            continue
        assert y.grad_fn.name() == "CloneBackward0" and y.is_contiguous()
        assert y._buf is not x._buf
        g = backprop(y, seed + 1, device)
        assert x.grad.dtype is dtype and x.grad.shape == x.shape
        assert_close(x.grad, ref.clone_backward(g, host(x))[0])


@given(shape=shapes(0, 3, 7, max_numel=64), layout=layouts(), src=st.sampled_from(FLOATS),
       dst=st.sampled_from(FLOATS), seed=seeds)
def test_to_dtype_grad(device, shape, layout, src, dst, seed):
    x = leaf(random_array(F64, shape, seed), device, src, layout if shape else "contiguous")
    y = x.to(dst)
    if src is dst:
        assert y is x
        return
    assert y.dtype is dst and y.grad_fn.name() == "ToCopyBackward0"
    g = backprop(y, seed + 1, device)
    assert x.grad.dtype is src and x.grad.shape == x.shape
    expected = ref.to_backward(g, host(x), dst.np)[0]
    assert_close(x.grad, expected, dtype=src if src.itemsize <= dst.itemsize else dst)


def test_caster_methods_and_type_as(device):
    x = leaf([1.5, -2.25], device, F32)
    other = tnn.zeros(1, dtype=F16, device=device)
    for fn, d in [(tnn.Tensor.double, F64), (tnn.Tensor.half, F16), (tnn.Tensor.bfloat16, BF16),
                  (lambda t: t.type_as(other), F16), (lambda t: t.to(dtype=F64), F64),
                  (lambda t: t.to(device, F64), F64), (lambda t: t.to(other), F16)]:
        x.grad = None
        y = fn(x)
        assert y.dtype is d and y.grad_fn.name() == "ToCopyBackward0"
        (y * 3).sum().backward()
        assert x.grad.dtype is F32 and x.grad.tolist() == [3.0, 3.0]
    assert x.float() is x and x.to(device) is x and x.to(F32) is x
    y = x.to(F32, copy=True)  # a requested copy is a node
    assert y is not x and y.grad_fn.name() == "ToCopyBackward0"


def test_to_integer_is_not_differentiable(device):
    x = leaf([1.7, -2.2], device)
    for y in (x.long(), x.int(), x.to(tnn.int16), x.bool(), x.byte()):
        assert not y.requires_grad and y.grad_fn is None
    assert x.long().tolist() == [1, -2]


def test_chained_casts_and_roundtrip(device):
    x = leaf(random_array(F64, (3, 4), 1), device, F32)
    y = (x.double() * 2).half().float().sum()
    y.backward()
    assert x.grad.dtype is F32 and x.grad.tolist() == [[2.0] * 4] * 3


def test_device_moves(device):
    """to(other device) and back: the gradient is moved back (only where a second device exists)."""
    if device == "cpu":
        pytest.skip("needs a second device")
    x = leaf([1.0, 2.0], device, F32)
    y = x.cpu()
    assert y.device.type == "cpu" and y.grad_fn.name() == "ToCopyBackward0"
    (y.to(device, F64) * 2).sum().backward()
    assert x.grad.device == x.device and x.grad.dtype is F32 and x.grad.tolist() == [2.0, 2.0]


@given(data=st.data(), layout=layouts(), seed=seeds)
def test_copy_grad(device, data, layout, seed):
    """dst.copy_(src): src gets the gradient summed over the broadcast dims, in its own dtype;
    dst's previous history gets zero."""
    sa, ss = data.draw(broadcastable_shapes(max_dims=3, max_size=7))
    sd = tuple(np.broadcast_shapes(sa, ss))  # dst has the broadcast shape; src broadcasts to it
    ddt, sdt = data.draw(st.sampled_from([(F32, F32), (F64, F64), (F32, F64), (F64, F32), (F32, F16)]))
    x = leaf(random_array(F64, sd, seed), device, ddt)
    dst = x * 2  # has history, owns storage
    src = leaf(random_array(F64, ss, seed + 1), device, sdt, layout if ss else "contiguous")
    out = dst.copy_(src)
    assert out is dst and dst.grad_fn.name() == "CopyBackwards" and dst._version == 1
    assert_close(dst, np.broadcast_to(host(src).astype(ddt.np), sd), dtype=ddt)
    g = backprop(dst, seed + 2, device)
    gd, gs = ref.copy__backward(g, host(x), host(src))
    assert_close(x.grad, gd)
    assert src.grad.dtype is sdt and src.grad.shape == src.shape
    assert_close(src.grad, gs, dtype=sdt if sdt.itemsize <= ddt.itemsize else ddt)


def test_copy_into_tensor_without_grad_and_leaf_errors(device):
    src = leaf([1.0, 2.0, 3.0], device)
    buf = tnn.zeros(2, 3, dtype=F32, device=device)
    buf.copy_(src)
    assert buf.requires_grad and buf.grad_fn.name() == "CopyBackwards"
    (buf * buf).sum().backward()
    assert src.grad.dtype is F64 and src.grad.tolist() == [4.0, 8.0, 12.0]
    x = leaf([0.0, 0.0, 0.0], device)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
        x.copy_(src)
    assert x.tolist() == [0.0, 0.0, 0.0] and x._version == 0
    with tnn.no_grad():
        x.copy_(src)  # allowed without grad mode
    assert x.tolist() == [1.0, 2.0, 3.0] and x.grad_fn is None
    y = tnn.zeros(3, dtype=F64, device=device)
    y.copy_(tnn.tensor([4.0, 5.0, 6.0], device=device))  # nothing requires grad: no node
    assert y.grad_fn is None and not y.requires_grad


def test_copy_into_view_of_nonleaf(device):
    x = leaf(np.arange(6.0).reshape(2, 3), device)
    src = leaf([7.0, 8.0, 9.0], device)
    y = x * 1
    y[1].copy_(src * 2)
    (y * y).sum().backward()
    assert x.grad.tolist() == [[0.0, 2.0, 4.0], [0.0, 0.0, 0.0]]
    assert src.grad.tolist() == [4 * 14.0, 4 * 16.0, 4 * 18.0]


def test_copy_saved_then_overwritten_raises(device):
    x = leaf([1.0, 2.0], device)
    y = x * 1
    z = y.sin()  # saves y
    y.copy_(tnn.tensor([5.0, 6.0], dtype=F64, device=device))
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


def test_copy_gradcheck(device):
    src = leaf(random_array(F64, (3,), 1), device)

    def fn(s):
        return tnn.zeros(2, 3, dtype=F64, device=device).copy_(s) * 1.5

    assert gradcheck(fn, [src])


def test_fill_and_zero(device):
    x = leaf([1.0, 2.0, 3.0], device)
    y = x * 2
    y.fill_(4.5)
    assert y.grad_fn.name() == "FillBackward0" and y.tolist() == [4.5] * 3 and y._version == 1
    (y * x).sum().backward()  # only the direct use of x remains
    assert x.grad.tolist() == [4.5] * 3
    x.grad = None
    y = x * 2
    y.zero_()
    assert y.grad_fn.name() == "ZeroBackward0"
    (y + x).sum().backward()
    assert x.grad.tolist() == [1.0] * 3
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
        x.fill_(0)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
        x.zero_()
    assert x.tolist() == [1.0, 2.0, 3.0]


def test_fill_with_tensor_value(device):
    v = leaf(2.0, device, F32)
    buf = tnn.empty(2, 3, dtype=F64, device=device)
    buf.fill_(v)
    assert buf.grad_fn.name() == "FillBackward1" and buf.tolist() == [[2.0] * 3] * 2
    g = backprop(buf, 3, device)
    assert v.grad.dtype is F32 and v.grad.shape == ()
    assert_close(v.grad, np.array(g.sum(), dtype=np.float32), rtol=1e-6, atol=1e-6)
    with pytest.raises(RuntimeError, match="fill_ only supports 0-dimension value tensor"):
        buf.fill_(leaf([1.0], device))


def test_fill_exact_float64_value(device):
    x = leaf([1.0, 2.0], device)
    y = x * 1
    y.fill_(0.1)  # not representable in fp32: staged through a copy
    assert y.tolist() == [0.1, 0.1] and y.grad_fn.name() == "FillBackward0"
    (y * 3).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0]


def test_zero_size(device):
    x = leaf(np.zeros((0, 4)), device, F32)
    y = x.clone().double().contiguous()
    y.sum().backward()
    assert x.grad.shape == (0, 4) and x.grad.dtype is F32


def test_no_graph_under_no_grad(device):
    x = leaf([1.0, 2.0], device)
    with tnn.no_grad():
        for y in (x.clone(), x.float(), x.t() if x.dim() > 1 else x.clone()):
            assert not y.requires_grad and y.grad_fn is None


def test_item_tolist_numpy_on_tensors_requiring_grad(device):
    x = leaf([[1.25, -2.0]], device, F32)
    assert x.tolist() == [[1.25, -2.0]] and x[0, 0].item() == 1.25 and x.sum().item() == -0.75
    assert float(x[0, 1]) == -2.0 and bool(x[0, 0]) and int(x[0, 1]) == -2
    assert x.half().tolist() == [[1.25, -2.0]] and x.bfloat16()[0, 0].item() == 1.25
    with pytest.raises(RuntimeError, match=r"Can't call numpy\(\) on Tensor that requires grad. "
                                           r"Use tensor.detach\(\).numpy\(\) instead."):
        x.cpu().numpy()
    with pytest.raises(RuntimeError, match=r"Can't call numpy\(\) on Tensor that requires grad"):
        (x * 2).cpu().numpy()
    assert x.detach().cpu().numpy().tolist() == [[1.25, -2.0]]
    with tnn.no_grad():  # torch checks requires_grad only in grad mode
        assert x.cpu().numpy().tolist() == [[1.25, -2.0]]
    assert x.numpy(force=True).tolist() == [[1.25, -2.0]]
