"""Small graph builders shared by the gradient tests: leaves, non-leaf copies that own their
storage, random output gradients."""
import numpy as np

import tnn
from tnn.autograd import Function
from tnn.testing import make_tensor, random_array

F32, F64 = tnn.float32, tnn.float64


def leaf(arr, device, layout="contiguous", dtype=F64):
    return make_tensor(np.asarray(arr, dtype=dtype.np), layout, device, requires_grad=True)


class Copy(Function):
    """y = a copy of x: makes a non-leaf that owns its storage, independently of other ops."""

    @staticmethod
    def forward(ctx, x):
        return x.clone()

    @staticmethod
    def backward(ctx, g):
        return g


def nonleaf(arr, device, dtype=F64):
    """(leaf, non-leaf copy of it that requires grad and owns its storage), both equal to arr."""
    x = leaf(arr, device, dtype=dtype)
    return x, Copy.apply(x)


def grad_out(shape, seed=7, dtype=F64):
    return random_array(dtype, shape, seed)


def backward(y, g, device):
    y.backward(tnn.tensor(g, dtype=y.dtype, device=device))
