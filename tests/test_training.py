"""End to end, so unit tests cannot hide a wrong training run: a small CNN built from tnn.nn
Modules, trained with tnn.optim, agrees step by step with the same network and updates computed
in NumPy by tnn.reference; its loss falls; and a state_dict written the way torch writes one
(safetensors, torch's key names and layouts) loads into it and gives the reference's outputs."""
import numpy as np
import pytest
from safetensors import numpy as stn

import tnn
import tnn.nn as nn
import tnn.reference as ref
from tnn.testing import assert_close, random_array, to_numpy

N, C, S, K = 6, 3, 6, 4   # batch, conv channels, image size, classes


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, C, 3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(C * (S // 2) ** 2, K)

    def forward(self, x):
        return self.fc(self.pool(self.conv(x).relu()).flatten(1))


def _reference_step(w: dict, x, y):
    """(loss, grads) of the same network, forward and backward by tnn.reference in float64."""
    h = ref.conv2d(x, w["conv.weight"], w["conv.bias"], 1, 1)
    a = ref.relu(h)
    p = ref.max_pool2d(a, 2)
    f = p.reshape(len(x), -1)
    logits = ref.linear(f, w["fc.weight"], w["fc.bias"])
    loss = ref.cross_entropy(logits, y)
    (dlogits, _, _) = ref.cross_entropy_backward(np.array(1.0), logits, y)
    df, dfw, dfb = ref.linear_backward(dlogits, f, w["fc.weight"], w["fc.bias"])
    (da,) = ref.max_pool2d_backward(df.reshape(p.shape), a, 2)
    (dh,) = ref.relu_backward(da, h)
    _, dcw, dcb = ref.conv2d_backward(dh, x, w["conv.weight"], w["conv.bias"], 1, 1)
    return float(loss), {"conv.weight": dcw, "conv.bias": dcb, "fc.weight": dfw, "fc.bias": dfb}


def _data(seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((N, 1, S, S)).astype(np.float32), rng.integers(0, K, N).astype(np.int64)


@pytest.mark.parametrize("opt_name,opts", [("SGD", dict(lr=0.1, momentum=0.9, weight_decay=1e-3)),
                                           ("Adam", dict(lr=0.01, weight_decay=1e-2))])
def test_training_agrees_with_numpy_step_by_step(device, opt_name, opts):
    tnn.manual_seed(0)
    model = SmallCNN().to(device)
    opt = getattr(tnn.optim, opt_name)(model.parameters(), **opts)
    step_ref = getattr(ref, opt_name.lower() + "_step")
    w = {k: to_numpy(v).astype(np.float32) for k, v in model.state_dict().items()}
    state = {k: {} for k in w}
    x_np, y_np = _data()
    x, y = tnn.tensor(x_np, device=device), tnn.tensor(y_np, device=device)
    losses = []
    for step in range(6):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        ref_loss, grads = _reference_step({k: v.astype(np.float64) for k, v in w.items()}, x_np, y_np)
        assert abs(loss.item() - ref_loss) < 1e-4 * max(1.0, abs(ref_loss)), f"step {step}"
        for name, p in model.named_parameters():
            assert_close(p.grad, grads[name], dtype=tnn.float32, reduce_len=64)
            w[name] = step_ref(w[name], grads[name].astype(np.float32), state[name], **opts)
        opt.step()
        for name, p in model.named_parameters():
            assert_close(p.detach(), w[name], rtol=1e-4, atol=1e-5)
        losses.append(ref_loss)
    assert losses[-1] < losses[0]


def test_loss_falls_over_a_short_training_run(device):
    tnn.manual_seed(1)
    model = SmallCNN().to(device)
    opt = tnn.optim.Adam(model.parameters(), lr=0.02)
    x_np, y_np = _data(1)
    x, y = tnn.tensor(x_np, device=device), tnn.tensor(y_np, device=device)
    losses = []
    for _ in range(25):
        opt.zero_grad()
        loss = nn.CrossEntropyLoss()(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.25 * losses[0]


def test_torch_written_state_dict_loads_and_gives_the_same_outputs(device, tmp_path):
    """safetensors.torch.save_file(model.state_dict(), path) of the same architecture in torch:
    flat torch key names, torch's layouts (Conv2d weight (out, in, kH, kW), Linear (out, in))."""
    weights = {"conv.weight": random_array(tnn.float32, (C, 1, 3, 3), 1),
               "conv.bias": random_array(tnn.float32, (C,), 2),
               "fc.weight": random_array(tnn.float32, (K, C * (S // 2) ** 2), 3),
               "fc.bias": random_array(tnn.float32, (K,), 4)}
    path = tmp_path / "torch_small_cnn.safetensors"
    stn.save_file(weights, str(path), metadata={"format": "pt"})
    model = SmallCNN().to(device)
    result = model.load_state_dict(tnn.load(path))
    assert not result.missing_keys and not result.unexpected_keys
    x_np, _ = _data(2)
    with tnn.no_grad():
        out = model(tnn.tensor(x_np, device=device))
    w = {k: v.astype(np.float64) for k, v in weights.items()}
    h = ref.max_pool2d(ref.relu(ref.conv2d(x_np, w["conv.weight"], w["conv.bias"], 1, 1)), 2)
    expected = ref.linear(h.reshape(N, -1), w["fc.weight"], w["fc.bias"])
    assert_close(out, expected, dtype=tnn.float32, reduce_len=64)
