"""LocalResponseNorm and MaxUnpool3d modules: torch's constructor defaults and reprs, and forward
equal to the functional call."""
import numpy as np
import pytest

import tnn
import tnn.nn as nn
import tnn.nn.functional as F
from tnn.testing import random_array, to_numpy
from tnn.runtime import dtypes as dt


@pytest.mark.parametrize("make,text", [
    (lambda: nn.LocalResponseNorm(2), "LocalResponseNorm(2, alpha=0.0001, beta=0.75, k=1.0)"),
    (lambda: nn.LocalResponseNorm(5, alpha=1e-3, beta=0.5, k=2), "LocalResponseNorm(5, alpha=0.001, beta=0.5, k=2)"),
    (lambda: nn.MaxUnpool3d(2), "MaxUnpool3d(kernel_size=(2, 2, 2), stride=(2, 2, 2), padding=(0, 0, 0))"),
    (lambda: nn.MaxUnpool3d((1, 2, 3), stride=2, padding=(0, 1, 1)),
     "MaxUnpool3d(kernel_size=(1, 2, 3), stride=(2, 2, 2), padding=(0, 1, 1))"),
])
def test_reprs(make, text):
    m = make()
    assert repr(m) == text
    assert list(m.parameters()) == [] and list(m.buffers()) == []


def test_forward_equals_functional(device):
    x = tnn.tensor(random_array(dt.float32, (2, 3, 4, 4, 4), 1), device=device)
    np.testing.assert_array_equal(to_numpy(nn.LocalResponseNorm(3)(x)), to_numpy(F.local_response_norm(x, 3)))
    y, idx = nn.MaxPool3d(2, return_indices=True)(x)
    u = nn.MaxUnpool3d(2)(y, idx)
    np.testing.assert_array_equal(to_numpy(u), to_numpy(F.max_unpool3d(y, idx, 2)))
    assert tuple(u.shape) == (2, 3, 4, 4, 4)
