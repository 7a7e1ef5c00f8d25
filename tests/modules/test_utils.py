"""tnn.nn.utils: clip_grad_norm_ / clip_grad_value_ against a NumPy float64 reference over norm
types and dtypes, their edge cases and errors; parameters_to_vector / vector_to_parameters."""
import math
import warnings

import numpy as np
import pytest
from hypothesis import given, strategies as st

import tnn
import tnn.nn as nn
from tnn.nn.utils import (clip_grad_norm, clip_grad_norm_, clip_grad_value_, clip_grads_with_norm_, get_total_norm,
                          parameters_to_vector, vector_to_parameters)
from tnn.testing import assert_close, random_array


def _params_with_grads(shapes, dtype, seed, device):
    params = []
    for i, shape in enumerate(shapes):
        p = nn.Parameter(tnn.zeros(shape or (1,), dtype=dtype, device=device))
        if shape is not None:
            p.grad = tnn.tensor(random_array(dtype, shape, seed + i), device=device)
        params.append(p)
    return params


def _ref_total_norm(grads, p):
    flat = np.concatenate([g.reshape(-1) for g in grads]) if grads else np.zeros(0)
    if math.isinf(p):
        return np.abs(flat).max()
    return (np.abs(flat) ** p).sum() ** (1.0 / p)


@given(st.lists(st.sampled_from([(1,), (3,), (2, 5), (7, 3), (4, 1, 2)]), min_size=1, max_size=4),
       st.sampled_from([2.0, 1.0, math.inf, 3.0]),
       st.sampled_from([tnn.float32, tnn.float16, tnn.bfloat16]),
       st.sampled_from([0.5, 3.0, 1000.0]),
       st.integers(0, 2**16))
def test_clip_grad_norm_matches_reference(device, shapes, norm_type, dtype, max_norm, seed):
    params = _params_with_grads(shapes, dtype, seed, device)
    grads64 = [p.grad.float().numpy().astype(np.float64) for p in params]
    total = _ref_total_norm(grads64, norm_type)
    coef = min(1.0, max_norm / (total + 1e-6))
    n = sum(g.size for g in grads64)
    out = clip_grad_norm_(params, max_norm, norm_type=norm_type)
    assert out.shape == () and out.dtype is dtype
    assert_close(out, np.array(total), dtype=dtype, reduce_len=n)
    for p, g in zip(params, grads64):
        assert p.grad.dtype is dtype
        assert_close(p.grad, g * coef, dtype=dtype, reduce_len=n)


def test_clip_grad_norm_details(device):
    params = _params_with_grads([(3,), None, (2, 2)], tnn.float32, 0, device)  # a parameter without grad
    before = [p.grad.numpy().copy() for p in params if p.grad is not None]
    grad_objs = [p.grad for p in params if p.grad is not None]
    total = clip_grad_norm_(iter(params), 1e9)  # a generator works; grads untouched when under max_norm
    assert_close(total, np.array(_ref_total_norm([b.astype(np.float64) for b in before], 2.0)), reduce_len=7)
    for p, b in zip([p for p in params if p.grad is not None], before):
        assert np.array_equal(p.grad.numpy(), b)
    assert [p.grad for p in params if p.grad is not None] == grad_objs  # scaled in place, same objects
    one = nn.Parameter(tnn.ones(4, device=device))
    one.grad = tnn.full((4,), 3.0, device=device)
    t = clip_grad_norm_(one, 3.0)  # a single tensor
    assert_close(t, np.array(6.0))
    assert_close(one.grad, np.full(4, 3.0 * 3.0 / (6.0 + 1e-6)))
    assert float(clip_grad_norm_([], 1.0)) == 0.0
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        assert float(clip_grad_norm_((p for p in []), 1.0)) == 0.0
    assert any("empty generator" in str(x.message) for x in w)
    with pytest.warns(FutureWarning):
        clip_grad_norm([one], 1.0)


def test_clip_grad_norm_nonfinite(device):
    p = nn.Parameter(tnn.ones(2, device=device))
    p.grad = tnn.tensor([1.0, float("inf")], device=device)
    with pytest.raises(RuntimeError, match="The total norm of order 2.0 for gradients from `parameters` is "
                                           "non-finite, so it cannot be clipped"):
        clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    total = clip_grad_norm_([p], 1.0)
    assert math.isinf(float(total))


def test_total_norm_and_clip_with_norm(device):
    params = _params_with_grads([(3,), (2,)], tnn.float32, 5, device)
    grads = [p.grad for p in params]
    ref = [g.numpy().astype(np.float64) for g in grads]
    total = get_total_norm(grads, 2.0)
    assert_close(total, np.array(_ref_total_norm(ref, 2.0)), reduce_len=5)
    clip_grads_with_norm_(params, 0.1, total)
    coef = 0.1 / (_ref_total_norm(ref, 2.0) + 1e-6)
    for p, g in zip(params, ref):
        assert_close(p.grad, g * coef)


@given(st.sampled_from([tnn.float32, tnn.float16, tnn.bfloat16]), st.sampled_from([0.1, 1.0, 2.5]),
       st.integers(0, 2**16))
def test_clip_grad_value(device, dtype, clip, seed):
    params = _params_with_grads([(5,), (2, 3)], dtype, seed, device)
    ref = [p.grad.float().numpy() for p in params]
    assert clip_grad_value_(params, clip) is None
    for p, g in zip(params, ref):
        assert p.grad.dtype is dtype
        assert_close(p.grad, np.clip(g, -clip, clip), dtype=dtype)


def test_clip_grad_value_single_and_missing(device):
    p = nn.Parameter(tnn.ones(2, device=device))
    clip_grad_value_(p, 1.0)  # no grad: nothing happens
    p.grad = tnn.tensor([-3.0, 0.5], device=device)
    clip_grad_value_(p, 1)
    assert p.grad.numpy().tolist() == [-1.0, 0.5]


def test_parameters_to_vector_and_back(device):
    a = nn.Parameter(tnn.tensor(np.arange(6, dtype=np.float32).reshape(2, 3), device=device))
    b = nn.Parameter(tnn.tensor([10.0, 11.0], device=device))
    v = parameters_to_vector([a, b])
    assert v.shape == (8,) and v.detach().numpy().tolist() == [0, 1, 2, 3, 4, 5, 10, 11]
    v.sum().backward()  # differentiable
    assert a.grad.numpy().tolist() == [[1.0] * 3] * 2
    new = tnn.tensor(np.arange(100, 108, dtype=np.float32), device=device)
    vector_to_parameters(new, [a, b])
    assert a.detach().numpy().tolist() == [[100, 101, 102], [103, 104, 105]] and b.shape == (2,)
    assert b.detach().numpy().tolist() == [106, 107]
    assert isinstance(a, nn.Parameter) and a.requires_grad
    with pytest.raises(TypeError, match="expected tnn.Tensor, but got: list"):
        vector_to_parameters([1.0], [a])


def test_module_parameters_roundtrip(device):
    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(tnn.ones(3, 2, device=device))
            self.b = nn.Parameter(tnn.zeros(3, device=device))

    m = M()
    v = parameters_to_vector(m.parameters())
    with tnn.no_grad():
        v2 = v * 2
    vector_to_parameters(v2, m.parameters())
    assert m.w.detach().numpy().tolist() == [[2.0, 2.0]] * 3
