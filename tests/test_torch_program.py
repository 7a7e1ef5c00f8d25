"""Issue 6's bar: a program written for torch.nn -- module definitions, Sequential / ModuleList /
ModuleDict, hooks, state_dict, SGD/Adam, a training loop -- runs with `torch` replaced by `tnn`
and prints the module reprs torch prints. The program below is torch code; the test rewrites
`torch` to `tnn` textually and runs it."""
import textwrap

import pytest

TORCH_PROGRAM = textwrap.dedent('''
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    from collections import OrderedDict

    torch.manual_seed(0)

    class Block(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.conv = nn.Conv2d(c, c, 3, padding=1, bias=False)
            self.bn = nn.BatchNorm2d(c)

        def forward(self, x):
            return F.relu(self.bn(self.conv(x)) + x)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Sequential(OrderedDict([("conv", nn.Conv2d(1, 4, 3, padding=1)), ("act", nn.ReLU())]))
            self.blocks = nn.ModuleList([Block(4) for _ in range(2)])
            self.heads = nn.ModuleDict({"pool": nn.AdaptiveAvgPool2d(1), "fc": nn.Linear(4, 3)})
            self.dropout = nn.Dropout(0.25)

        def forward(self, x):
            x = self.stem(x)
            for block in self.blocks:
                x = block(x)
            x = torch.flatten(self.heads["pool"](x), 1)
            return self.heads["fc"](self.dropout(x))

    model = Net()
    print(model)
    seen = []
    handle = model.heads["fc"].register_forward_hook(lambda m, inp, out: seen.append(tuple(out.shape)))
    grads = []
    model.stem.conv.register_full_backward_hook(lambda m, gin, gout: grads.append(gout[0].shape))
    x = torch.randn(8, 1, 6, 6)
    y = torch.randint(0, 3, (8,))
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=10, gamma=0.5)
    losses = []
    for step in range(15):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        sched.step()
        losses.append(loss.item())
    handle.remove()
    model(x)
    print("hook calls", len(seen), seen[0], "backward hook calls", len(grads))
    print("lr", sched.get_last_lr())
    sd = model.state_dict()
    print(list(sd)[:6])
    clone = Net()
    print(clone.load_state_dict(sd))
    model.eval(); clone.eval()
    with torch.no_grad():
        print("same outputs", bool((model(x) - clone(x)).abs().max() < 1e-6))
    adam = torch.optim.Adam(clone.parameters(), lr=1e-3)
    print(adam)
    print("loss fell", losses[-1] < losses[0])
''')

EXPECTED_REPR = """Net(
  (stem): Sequential(
    (conv): Conv2d(1, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
    (act): ReLU()
  )
  (blocks): ModuleList(
    (0-1): 2 x Block(
      (conv): Conv2d(4, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), bias=False)
      (bn): BatchNorm2d(4, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)
    )
  )
  (heads): ModuleDict(
    (pool): AdaptiveAvgPool2d(output_size=1)
    (fc): Linear(in_features=4, out_features=3, bias=True)
  )
  (dropout): Dropout(p=0.25, inplace=False)
)"""

EXPECTED_ADAM = """Adam (
Parameter Group 0
    amsgrad: False
    betas: (0.9, 0.999)
    capturable: False
    differentiable: False
    eps: 1e-08
    foreach: None
    fused: None
    lr: 0.001
    maximize: False
    weight_decay: 0
)"""


def test_torch_program_runs_with_tnn(capsys):
    src = TORCH_PROGRAM.replace("torch", "tnn")
    exec(compile(src, "<torch program as tnn>", "exec"), {"__name__": "torch_program"})
    out = capsys.readouterr().out
    assert out.startswith(EXPECTED_REPR + "\n")
    assert "hook calls 15 (8, 3) backward hook calls 15" in out
    assert "lr [0.025]" in out
    assert "['stem.conv.weight', 'stem.conv.bias', 'blocks.0.conv.weight', 'blocks.0.bn.weight', " \
           "'blocks.0.bn.bias', 'blocks.0.bn.running_mean']" in out
    assert "<All keys matched successfully>" in out
    assert "same outputs True" in out
    assert EXPECTED_ADAM in out
    assert "loss fell True" in out
