"""tnn.backends: process-wide switches, as torch.backends.

``tnn.backends.matmul.allow_tf32 = True`` lets fp32 matmuls run on tensor cores with tf32 inputs
(about 10 mantissa bits); the default, as torch's, is False: fp32 matmuls in IEEE precision.
``tnn.backends.cuda.matmul`` is the same object, where torch code looks for it."""
from types import SimpleNamespace


class _MatmulBackend:
    """Settings read by every matmul launch."""

    def __init__(self):
        self.allow_tf32 = False

    def __repr__(self):
        return f"tnn.backends.matmul(allow_tf32={self.allow_tf32})"


matmul = _MatmulBackend()
cuda = SimpleNamespace(matmul=matmul)
