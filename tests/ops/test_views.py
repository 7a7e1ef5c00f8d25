"""Views share storage and match NumPy's reshapes, transposes and basic indexing."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import tnn
from tnn.testing import assert_close, layouts, make_tensor, random_array, shapes


def _t(arr, device, layout="contiguous"):
    return make_tensor(arr, layout, device)


@given(shape=shapes(1, 4), layout=layouts(), seed=st.integers(0, 100))
def test_reshape_flatten_match_numpy(device, shape, layout, seed):
    a = random_array(tnn.float32, shape, seed)
    x = _t(a, device, layout)
    assert_close(x.reshape(-1), a.reshape(-1))
    assert_close(x.flatten(), a.reshape(-1))
    if len(shape) >= 2:
        assert_close(x.flatten(1), a.reshape(a.shape[0], -1))
        assert_close(x.reshape(shape[-1], -1), a.reshape(shape[-1], -1))


@given(shape=shapes(1, 4), layout=layouts(), data=st.data())
def test_permute_transpose_match_numpy(device, shape, layout, data):
    a = random_array(tnn.float32, shape, 1)
    x = _t(a, device, layout)
    perm = data.draw(st.permutations(range(len(shape))))
    assert_close(x.permute(*perm), a.transpose(perm))
    assert_close(x.permute(*perm).contiguous(), a.transpose(perm))
    assert_close(x.T, a.T)
    d0, d1 = data.draw(st.integers(-len(shape), len(shape) - 1)), data.draw(st.integers(-len(shape), len(shape) - 1))
    assert_close(x.transpose(d0, d1), np.swapaxes(a, d0, d1))
    assert_close(x.movedim(0, -1), np.moveaxis(a, 0, -1))


def test_views_share_storage(device):
    x = tnn.zeros(3, 4, device=device)
    v = x.view(4, 3)
    v.fill_(2.0)
    assert x.tolist() == [[2.0] * 4] * 3
    row = x[1]
    row.fill_(7.0)
    assert x.tolist()[1] == [7.0] * 4
    assert x.tolist()[0] == [2.0] * 4
    col = x[:, 2]
    col.zero_()
    assert [r[2] for r in x.tolist()] == [0.0] * 3
    assert x.data_ptr() == v.data_ptr()
    assert col.stride() == (4,) and col.storage_offset() == 2


def test_view_errors_like_torch(device):
    x = tnn.zeros(2, 3, device=device)
    with pytest.raises(RuntimeError, match=r"shape '\[4, 2\]' is invalid for input of size 6"):
        x.view(4, 2)
    with pytest.raises(RuntimeError, match="only one dimension can be inferred"):
        x.view(-1, -1)
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        x.T.view(6)
    assert x.T.reshape(6).shape == (6,)
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"):
        x.transpose(0, 2)


def test_squeeze_unsqueeze_expand(device):
    a = random_array(tnn.float32, (3, 1, 5), 3)
    x = _t(a, device)
    assert x.squeeze().shape == (3, 5)
    assert x.squeeze(1).shape == (3, 5)
    assert x.squeeze(0).shape == (3, 1, 5)
    assert x.squeeze((0, 1)).shape == (3, 5)
    assert x.unsqueeze(0).shape == (1, 3, 1, 5)
    assert x.unsqueeze(-1).shape == (3, 1, 5, 1)
    e = x.expand(2, 3, 4, 5)
    assert e.shape == (2, 3, 4, 5) and e.stride()[0] == 0 and e.stride()[2] == 0
    assert_close(e, np.broadcast_to(a, (2, 3, 4, 5)))
    assert_close(x.expand(-1, 6, -1).contiguous(), np.broadcast_to(a, (3, 6, 5)))
    with pytest.raises(RuntimeError, match=r"The expanded size of the tensor \(4\) must match the existing size \(3\)"):
        x.expand(4, 1, 5)
    with pytest.raises(RuntimeError, match="unsupported operation: more than one element"):
        e.fill_(1.0)


def test_split_chunk_narrow_unflatten(device):
    a = random_array(tnn.float32, (7, 4), 5)
    x = _t(a, device)
    parts = x.split(3)
    assert [p.shape[0] for p in parts] == [3, 3, 1]
    for p, q in zip(parts, np.split(a, [3, 6])):
        assert_close(p, q)
    assert [p.shape[1] for p in x.split([1, 3], dim=1)] == [1, 3]
    assert [p.shape[0] for p in x.chunk(3)] == [3, 3, 1]
    assert [p.shape[0] for p in tnn.zeros(6, device=device).chunk(4)] == [2, 2, 2]
    assert_close(x.narrow(0, 2, 3), a[2:5])
    assert_close(x.narrow(1, -2, 2), a[:, 2:4])
    assert x.unflatten(1, (2, 2)).shape == (7, 2, 2)
    assert x.unflatten(0, (-1, 7)).shape == (1, 7, 4)
    with pytest.raises(RuntimeError, match="split_with_sizes expects split_sizes to sum exactly to 7"):
        x.split([3, 3])
    with pytest.raises(RuntimeError, match=r"start \(5\) \+ length \(3\) exceeds dimension size \(7\)"):
        x.narrow(0, 5, 3)
    assert len(x.unbind(1)) == 4


@given(shape=shapes(1, 3, max_size=13), seed=st.integers(0, 1000), data=st.data())
def test_basic_indexing_matches_numpy(device, shape, seed, data):
    a = random_array(tnn.float32, shape, seed)
    x = _t(a, device, data.draw(layouts()))
    key = []
    for s in shape:
        kind = data.draw(st.sampled_from(["int", "slice", "full", "none"]))
        if kind == "int":
            key.append(data.draw(st.integers(-s, s - 1)))
        elif kind == "slice":
            start = data.draw(st.one_of(st.none(), st.integers(-s - 2, s + 2)))
            stop = data.draw(st.one_of(st.none(), st.integers(-s - 2, s + 2)))
            step = data.draw(st.one_of(st.none(), st.integers(1, 3)))
            key.append(slice(start, stop, step))
        elif kind == "none":
            key.append(None)
            key.append(slice(None))
        else:
            key.append(slice(None))
    if data.draw(st.booleans()) and len(key) > 1:
        key = [Ellipsis] + key[len(key) // 2:]
    key = tuple(key)
    expected = a[key]
    got = x[key]
    assert tuple(got.shape) == expected.shape
    assert_close(got, expected)


def test_setitem_basic(device):
    a = np.zeros((4, 5), np.float32)
    x = _t(a, device)
    x[1] = 3.0
    x[:, 4] = tnn.arange(4, dtype=tnn.float32, device=device)
    x[2:, :2] = tnn.ones(2, 2, device=device)
    a[1] = 3.0
    a[:, 4] = np.arange(4)
    a[2:, :2] = 1
    assert_close(x, a)


def test_indexing_errors(device):
    x = tnn.zeros(3, 4, device=device)
    with pytest.raises(IndexError, match="index 3 is out of bounds for dimension 0 with size 3"):
        x[3]
    with pytest.raises(IndexError, match="too many indices for tensor of dimension 2"):
        x[0, 0, 0]
    with pytest.raises(IndexError, match="an index can only have a single ellipsis"):
        x[..., ...]
    with pytest.raises(ValueError, match="step must be greater than zero"):
        x[::-1]


def test_zero_dim_and_empty(device):
    s = tnn.tensor(3.5, device=device)
    assert s.shape == () and s.dim() == 0 and s.item() == 3.5 and float(s) == 3.5
    assert s.reshape(1).shape == (1,)
    assert s[None].shape == (1,)
    assert s[...].shape == ()
    e = tnn.zeros(0, 3, device=device)
    assert e.numel() == 0 and e.T.shape == (3, 0)
    assert e.reshape(3, 0, 5).shape == (3, 0, 5)
    assert e.contiguous().shape == (0, 3)
    assert e[:, 1].shape == (0,)
