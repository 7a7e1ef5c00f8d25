"""A first look at tnn: tensors in tnn's own buffers, every op a Triton kernel.

Runs on a GPU when one is present (compiled kernels), else on the CPU through Triton's
interpreter -- the same kernel source either way.
Usage: python examples/demo.py
"""
import tnn

tnn.manual_seed(0)
dev = tnn.get_default_device()
print(f"device: {dev}")

x = tnn.randn(4, 8)                         # (4, 8) standard normal, Philox generator
w = tnn.randn(8, 3) / 8 ** 0.5              # (8, 3)
b = tnn.zeros(3)

h = (x @ w + b).relu()                      # (4, 3): matmul, broadcasted add, relu
p = (h - h.amax(dim=1, keepdim=True)).exp()
p = p / p.sum(dim=1, keepdim=True)          # softmax by hand, row sums are 1
print("probabilities:\n", p)
print("row sums:", p.sum(dim=1))
print("argmax:", p.argmax(dim=1))
print("mean / std of x:", x.mean().item(), x.std().item())

y = x.T.contiguous()                        # strided copy kernel
print("x.T is a view:", x.T.is_contiguous(), "-> contiguous copy:", y.is_contiguous(), y.shape)
print("bfloat16:", x[0, :4].to(tnn.bfloat16))
print("(x @ x.T).sum(dim=1):", (x @ x.T).sum(dim=1))
