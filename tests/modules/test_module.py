"""tnn.nn.Module, Parameter and Buffer: registration by assignment, lookup and deletion, errors with
torch's text, iteration order and de-duplication, modes, conversions, state_dict round trips and
strict/non-strict loading, reprs (exact torch strings), deepcopy/pickle."""
import copy
import pickle
from collections import OrderedDict

import numpy as np
import pytest

import tnn
import tnn.nn as nn
from tnn.nn.modules.module import _addindent, _IncompatibleKeys, typename
from tnn.testing import assert_close


class Lin(nn.Module):
    """A small Linear written with tnn ops (layer modules are tested elsewhere)."""

    def __init__(self, i, o, bias=True, device=None):
        super().__init__()
        self.i, self.o = i, o
        self.weight = nn.Parameter(tnn.tensor(np.arange(o * i, dtype=np.float32).reshape(o, i) / 10, device=device))
        if bias:
            self.bias = nn.Parameter(tnn.zeros(o, device=device))
        else:
            self.register_parameter("bias", None)

    def forward(self, x):
        y = x @ self.weight.T
        return y + self.bias if self.bias is not None else y

    def extra_repr(self):
        return f"in_features={self.i}, out_features={self.o}, bias={self.bias is not None}"


class Act(nn.Module):
    def forward(self, x):
        return x.tanh()


class Norm(nn.Module):
    def __init__(self, n, device=None):
        super().__init__()
        self.weight = nn.Parameter(tnn.ones(n, device=device))
        self.register_buffer("running_mean", tnn.zeros(n, device=device))
        self.register_buffer("num_batches_tracked", tnn.tensor(0, device=device))
        self.register_buffer("scratch", tnn.zeros(n, device=device), persistent=False)

    def forward(self, x):
        return (x - self.running_mean) * self.weight


class Net(nn.Module):
    def __init__(self, device=None):
        super().__init__()
        self.fc1 = Lin(3, 4, device=device)
        self.norm = Norm(4, device=device)
        self.act = Act()
        self.fc2 = Lin(4, 2, device=device)
        self.scale = nn.Parameter(tnn.ones(1, device=device))

    def forward(self, x):
        return self.fc2(self.act(self.norm(self.fc1(x)))) * self.scale


# ----------------------------------------------------------------------------- Parameter / Buffer
def test_parameter_basics(device):
    t = tnn.ones(2, 3, device=device)
    p = nn.Parameter(t)
    assert isinstance(p, tnn.Tensor) and isinstance(p, nn.Parameter)
    assert p.requires_grad and p.is_leaf and p.grad_fn is None
    assert p.shape == (2, 3) and p.dtype is tnn.float32
    assert p.data_ptr() == t.data_ptr()  # shares storage
    with tnn.no_grad():
        t.fill_(5.0)
    assert p.detach().numpy().tolist() == [[5.0] * 3] * 2
    assert not nn.Parameter(t, requires_grad=False).requires_grad
    assert nn.Parameter().shape == (0,)
    assert repr(nn.Parameter(tnn.tensor([1.0, 2.0]))) == "Parameter containing:\ntensor([1., 2.], requires_grad=True)"
    assert repr(nn.Parameter(tnn.tensor([1.0]), requires_grad=False)) == "Parameter containing:\ntensor([1.])"


def test_parameter_from_nonleaf_detaches(device):
    x = tnn.ones(3, device=device, requires_grad=True)
    y = x * 2
    p = nn.Parameter(y)
    assert p.is_leaf and p.grad_fn is None and p.requires_grad
    assert p.data_ptr() == y.data_ptr()
    p.sum().backward()
    assert x.grad is None and p.grad.detach().numpy().tolist() == [1.0, 1.0, 1.0]


def test_parameter_ops_return_plain_tensors_and_accumulate(device):
    p = nn.Parameter(tnn.tensor([1.0, 2.0, 3.0], device=device))
    for r in (p + 1, p * p, p[1:], p.T, p.detach(), p.data, p.view(3, 1), p.sum()):
        assert type(r) is tnn.Tensor
    with tnn.no_grad():
        assert p.mul_(1.0) is p  # in-place ops return the Parameter itself
    (p * p).sum().backward()
    (p * 2).sum().backward()
    assert_close(p.grad, np.array([4.0, 6.0, 8.0]))
    assert type(p.grad) is tnn.Tensor


def test_parameter_deepcopy_and_pickle(device):
    p = nn.Parameter(tnn.tensor([1.0, 2.0], device=device))
    q = copy.deepcopy(p)
    assert type(q) is nn.Parameter and q.requires_grad and q.data_ptr() != p.data_ptr()
    assert q.detach().numpy().tolist() == [1.0, 2.0]
    r = pickle.loads(pickle.dumps(nn.Parameter(tnn.tensor([3.0]), requires_grad=False)))
    assert type(r) is nn.Parameter and not r.requires_grad and r.detach().numpy().tolist() == [3.0]


def test_buffer_marker(device):
    t = tnn.ones(2, device=device)
    b = nn.Buffer(t)
    assert isinstance(b, nn.Buffer) and isinstance(b, tnn.Tensor) and b.persistent
    assert not isinstance(t, nn.Buffer)
    assert b.data_ptr() == t.data_ptr()
    assert not nn.Buffer(t, persistent=False).persistent
    assert nn.Buffer().shape == (0,)
    g = nn.Buffer(tnn.ones(1, requires_grad=True))
    assert g.requires_grad and g.is_leaf


def test_typename():
    assert typename(tnn.ones(1)) == "tnn.FloatTensor"
    assert typename(tnn.ones(1, dtype=tnn.int64)) == "tnn.LongTensor"
    assert typename(nn.Parameter(tnn.ones(1, dtype=tnn.float16))) == "tnn.HalfTensor"
    assert typename(5) == "int"
    assert typename(Lin) == f"{__name__}.Lin"


# ----------------------------------------------------------------------------- registration
def test_registration_by_assignment(device):
    n = Norm(3, device=device)
    assert list(n._parameters) == ["weight"]
    assert list(n._buffers) == ["running_mean", "num_batches_tracked", "scratch"]
    assert n._non_persistent_buffers_set == {"scratch"}
    n.extra = nn.Buffer(tnn.ones(2, device=device), persistent=False)
    assert "extra" in n._buffers and "extra" in n._non_persistent_buffers_set
    n.extra = tnn.zeros(2, device=device)  # reassigning a registered buffer keeps it a buffer, non-persistent
    assert "extra" in n._buffers and "extra" in n._non_persistent_buffers_set
    assert n.extra.detach().numpy().tolist() == [0.0, 0.0]
    n.plain = tnn.ones(1, device=device)  # a plain tensor attribute is not registered
    assert "plain" not in n._buffers and "plain" in n.__dict__
    n.sub = Act()
    assert n._modules["sub"] is n.sub
    n.weight = None  # None keeps the parameter slot
    assert n._parameters["weight"] is None and n.weight is None
    n.sub = None
    assert n._modules["sub"] is None and n.sub is None
    n.running_mean = None
    assert n._buffers["running_mean"] is None


def test_reassignment_moves_between_kinds(device):
    m = nn.Module()
    m.x = nn.Parameter(tnn.ones(1, device=device))
    with pytest.raises(TypeError, match=f"cannot assign '{__name__}.Act' as parameter 'x'"):
        m.x = Act()  # a parameter slot takes only a Parameter or None (torch's rule)
    del m.x
    m.x = Act()
    m.x = nn.Parameter(tnn.ones(1, device=device))  # module -> parameter
    assert "x" not in m._modules and "x" in m._parameters
    m.y = 3
    m.y = nn.Parameter(tnn.ones(1, device=device))  # plain attribute -> parameter
    assert "y" not in m.__dict__ and "y" in m._parameters
    m.register_buffer("b", tnn.ones(1, device=device), persistent=False)
    m.b = nn.Parameter(tnn.ones(1, device=device))
    assert "b" not in m._buffers and "b" not in m._non_persistent_buffers_set


def test_register_methods(device):
    m = nn.Module()
    m.register_parameter("p", nn.Parameter(tnn.ones(2, device=device)))
    m.register_parameter("q", None)
    m.register_buffer("b", tnn.ones(2, device=device))
    m.register_buffer("nb", None, persistent=False)
    m.add_module("c", Act())
    m.register_module("d", None)
    assert list(m._parameters) == ["p", "q"] and list(m._buffers) == ["b", "nb"]
    assert list(m._modules) == ["c", "d"]
    assert m.q is None and m.nb is None and m.d is None


def test_registration_errors(device):
    m = Lin(2, 2, device=device)
    with pytest.raises(TypeError, match=r"cannot assign 'tnn.FloatTensor' as parameter 'weight' "
                                        r"\(tnn.nn.Parameter or None expected\)"):
        m.weight = tnn.ones(2, 2, device=device)
    m.child = Act()
    with pytest.raises(TypeError, match=r"cannot assign 'int' as child module 'child' "
                                        r"\(tnn.nn.Module or None expected\)"):
        m.child = 3
    m.register_buffer("buf", tnn.ones(1, device=device))
    with pytest.raises(TypeError, match=r"cannot assign 'str' as buffer 'buf' "
                                        r"\(tnn.nn.Buffer, tnn.Tensor or None expected\)"):
        m.buf = "x"
    p = nn.Parameter(tnn.ones(1, device=device))
    with pytest.raises(KeyError, match="parameter name can.{1,3}t contain"):
        m.register_parameter("a.b", p)
    with pytest.raises(KeyError, match="parameter name can.{1,3}t be empty string"):
        m.register_parameter("", p)
    with pytest.raises(TypeError, match="parameter name should be a string. Got int"):
        m.register_parameter(1, p)
    with pytest.raises(KeyError, match="attribute 'i' already exists"):
        m.register_parameter("i", p)
    with pytest.raises(TypeError, match=r"cannot assign 'tnn.FloatTensor' object to parameter 'z' "
                                        r"\(tnn.nn.Parameter or None required\)"):
        m.register_parameter("z", tnn.ones(1))
    with pytest.raises(KeyError, match="buffer name can.{1,3}t contain"):
        m.register_buffer("a.b", tnn.ones(1))
    with pytest.raises(KeyError, match="buffer name can.{1,3}t be empty string"):
        m.register_buffer("", tnn.ones(1))
    with pytest.raises(TypeError, match="buffer name should be a string. Got int"):
        m.register_buffer(3, tnn.ones(1))
    with pytest.raises(KeyError, match="attribute 'weight' already exists"):
        m.register_buffer("weight", tnn.ones(1))
    with pytest.raises(TypeError, match=r"cannot assign 'list' object to buffer 'z' \(tnn Tensor or None required\)"):
        m.register_buffer("z", [1])
    with pytest.raises(TypeError, match="int is not a Module subclass"):
        m.add_module("z", 3)
    with pytest.raises(TypeError, match="module name should be a string. Got int"):
        m.add_module(3, Act())
    with pytest.raises(KeyError, match="attribute 'weight' already exists"):
        m.add_module("weight", Act())
    with pytest.raises(KeyError, match=r"module name can.{1,3}t contain .*, got: a.b"):
        m.add_module("a.b", Act())
    with pytest.raises(KeyError, match="module name can.{1,3}t be empty string"):
        m.add_module("", Act())


def test_nonleaf_parameter_rejected(device):
    m = nn.Module()
    p = nn.Parameter(tnn.ones(2, device=device))
    q = p * 2
    q.__class__ = nn.Parameter  # a Parameter-typed non-leaf cannot be registered
    with pytest.raises(ValueError, match="Cannot assign non-leaf Tensor to parameter 'w'"):
        m.register_parameter("w", q)


def test_assign_before_init():
    class Bad(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(tnn.ones(1))

    class BadMod(nn.Module):
        def __init__(self):
            self.c = Act()

    class BadBuf(nn.Module):
        def __init__(self):
            self.register_buffer("b", tnn.ones(1))

    with pytest.raises(AttributeError, match=r"cannot assign parameters before Module.__init__\(\) call"):
        Bad()
    with pytest.raises(AttributeError, match=r"cannot assign module before Module.__init__\(\) call"):
        BadMod()
    with pytest.raises(AttributeError, match=r"cannot assign buffer before Module.__init__\(\) call"):
        BadBuf()


def test_init_arguments_rejected():
    with pytest.raises(TypeError, match=r"Module.__init__\(\) got an unexpected keyword argument 'a'"):
        nn.Module(a=1)
    with pytest.raises(TypeError, match=r"Module.__init__\(\) takes 1 positional argument but 2 were given"):
        nn.Module(1)


def test_getattr_delattr(device):
    m = Norm(2, device=device)
    m.c = Act()
    with pytest.raises(AttributeError, match="'Norm' object has no attribute 'nope'"):
        m.nope
    del m.weight
    del m.running_mean
    del m.scratch
    del m.c
    assert "weight" not in m._parameters and "running_mean" not in m._buffers and "c" not in m._modules
    assert "scratch" not in m._non_persistent_buffers_set
    m.z = 1
    del m.z
    with pytest.raises(AttributeError):
        del m.z


def test_forward_unimplemented():
    with pytest.raises(NotImplementedError, match=r'Module \[Module\] is missing the required "forward" function'):
        nn.Module()(1)


def test_call_passes_args_and_kwargs():
    class K(nn.Module):
        def forward(self, a, b=1, *, c=2):
            return a + b + c

    assert K()(1) == 4 and K()(1, 2, c=3) == 6


# ----------------------------------------------------------------------------- lookup and iteration
def test_iteration_order_and_names(device):
    net = Net(device)
    assert [n for n, _ in net.named_parameters()] == ["scale", "fc1.weight", "fc1.bias", "norm.weight",
                                                      "fc2.weight", "fc2.bias"]
    assert [n for n, _ in net.named_parameters(recurse=False)] == ["scale"]
    assert [n for n, _ in net.named_parameters(prefix="model")][:2] == ["model.scale", "model.fc1.weight"]
    assert [n for n, _ in net.named_buffers()] == ["norm.running_mean", "norm.num_batches_tracked", "norm.scratch"]
    assert list(net.buffers(recurse=False)) == []
    assert [n for n, _ in net.named_children()] == ["fc1", "norm", "act", "fc2"]
    assert [n for n, _ in net.named_modules()] == ["", "fc1", "norm", "act", "fc2"]
    assert [n for n, _ in net.named_modules(prefix="m")] == ["m", "m.fc1", "m.norm", "m.act", "m.fc2"]
    assert list(net.modules())[0] is net and list(net.children())[0] is net.fc1
    assert len(list(net.parameters())) == 6
    assert all(isinstance(p, nn.Parameter) for p in net.parameters())


def test_shared_modules_and_parameters_deduplicated(device):
    shared = Lin(2, 2, device=device)
    m = nn.Module()
    m.a = shared
    m.b = shared
    m.c = Act()
    m.c.w = shared.weight  # a parameter shared between modules
    assert [n for n, _ in m.named_modules()] == ["", "a", "c"]
    assert [n for n, _ in m.named_modules(remove_duplicate=False)] == ["", "a", "b", "c"]
    assert [n for n, _ in m.named_children()] == ["a", "c"]
    assert [n for n, _ in m.named_parameters()] == ["a.weight", "a.bias"]
    assert [n for n, _ in m.named_parameters(remove_duplicate=False)] == [
        "a.weight", "a.bias", "b.weight", "b.bias", "c.w"]
    assert len(list(m.parameters())) == 2
    # state_dict keeps every name (as torch does)
    assert list(m.state_dict()) == ["a.weight", "a.bias", "b.weight", "b.bias", "c.w"]


def test_get_submodule_parameter_buffer(device):
    net = nn.Module()
    net.body = Net(device)
    assert net.get_submodule("") is net
    assert net.get_submodule("body.fc1") is net.body.fc1
    assert net.get_parameter("body.fc1.weight") is net.body.fc1.weight
    assert net.get_parameter("body.scale") is net.body.scale
    assert net.get_buffer("body.norm.running_mean") is net.body.norm.running_mean
    with pytest.raises(AttributeError, match="Net has no attribute `nope`"):
        net.get_submodule("body.nope")
    with pytest.raises(AttributeError, match="`weight` is not an nn.Module"):
        net.get_submodule("body.fc1.weight")
    with pytest.raises(AttributeError, match="`running_mean` is not an nn.Parameter"):
        net.get_parameter("body.norm.running_mean")
    with pytest.raises(AttributeError, match="Lin has no attribute `w`"):
        net.get_parameter("body.fc1.w")
    with pytest.raises(AttributeError, match="`weight` is not a buffer"):
        net.get_buffer("body.fc1.weight")
    net.set_submodule("body.act", Lin(1, 1))
    assert isinstance(net.body.act, Lin)


def test_dir(device):
    m = Norm(2, device=device)
    m.c = Act()
    d = dir(m)
    for name in ("weight", "running_mean", "scratch", "c", "forward", "training", "state_dict"):
        assert name in d
    assert d == sorted(d)
    s = dir(nn.Sequential(Act(), Act()))
    assert "0" not in s and "append" in s


# ----------------------------------------------------------------------------- modes, grads
def test_train_eval(device):
    net = Net(device)
    assert net.training and all(m.training for m in net.modules())
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    assert net.train() is net and all(m.training for m in net.modules())
    net.train(False)
    assert not net.fc1.training
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        net.train("yes")


def test_apply_order(device):
    net = Net(device)
    seen = []
    assert net.apply(lambda m: seen.append(type(m).__name__)) is net
    assert seen == ["Lin", "Norm", "Act", "Lin", "Net"]


def test_requires_grad_and_zero_grad(device):
    net = Net(device)
    assert net.requires_grad_(False) is net
    assert not any(p.requires_grad for p in net.parameters())
    net.requires_grad_()
    x = tnn.ones(2, 3, device=device)
    net(x).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad(set_to_none=False)
    for p in net.parameters():
        assert p.grad is not None and not p.grad.requires_grad
        assert np.all(p.grad.detach().numpy() == 0)
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_training_step_updates_parameters_in_place(device):
    net = Net(device)
    w = net.fc1.weight
    x = tnn.tensor(np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3), device=device)
    before = w.detach().numpy().copy()
    net(x).sum().backward()
    with tnn.no_grad():
        for p in net.parameters():
            p.sub_(p.grad * 0.1)
    assert net.fc1.weight is w and not np.allclose(w.detach().numpy(), before)


# ----------------------------------------------------------------------------- conversions
def test_to_dtype_keeps_identity_and_skips_integers(device):
    net = Net(device)
    w = net.fc1.weight
    net(tnn.ones(1, 3, device=device)).sum().backward()
    assert net.to(tnn.float64) is net
    assert net.fc1.weight is w and w.dtype is tnn.float64 and w.grad.dtype is tnn.float64
    assert isinstance(net.fc1.weight, nn.Parameter) and w.requires_grad and w.is_leaf
    assert net.norm.running_mean.dtype is tnn.float64
    assert net.norm.num_batches_tracked.dtype is tnn.int64
    assert_close(w, np.arange(12).reshape(4, 3) / 10, dtype=tnn.float32)
    for fn, dt in (("half", tnn.float16), ("bfloat16", tnn.bfloat16), ("float", tnn.float32),
                   ("double", tnn.float64)):
        assert getattr(net, fn)() is net
        assert net.fc2.bias.dtype is dt and net.norm.scratch.dtype is dt
        assert net.norm.num_batches_tracked.dtype is tnn.int64
    net.to(dtype=tnn.float32)
    assert net.scale.dtype is tnn.float32
    net.type(tnn.float16)
    assert net.scale.dtype is tnn.float16 and net.norm.num_batches_tracked.dtype is tnn.float16
    net.type("tnn.DoubleTensor")
    assert net.scale.dtype is tnn.float64


def test_to_device_and_tensor_forms(device):
    net = Net(device)
    net.to(device)
    net.to(device, tnn.float16)
    assert net.fc1.weight.dtype is tnn.float16 and str(net.fc1.weight.device).startswith(device)
    net.to(tnn.ones(1, dtype=tnn.float32, device=device))
    assert net.fc1.weight.dtype is tnn.float32
    net.to(device=device, dtype=tnn.float64, non_blocking=True)
    assert net.fc1.weight.dtype is tnn.float64
    assert net.cpu() is net and net.fc1.weight.device.type == "cpu"
    with pytest.raises(TypeError, match=r"nn.Module.to only accepts floating point or complex dtypes, but got "
                                        r"desired dtype=tnn.int32"):
        net.to(tnn.int32)
    out = net(tnn.ones(2, 3, dtype=tnn.float64))
    assert out.dtype is tnn.float64


# ----------------------------------------------------------------------------- state dict
def test_state_dict_keys_order_and_values(device):
    net = Net(device)
    sd = net.state_dict()
    assert isinstance(sd, OrderedDict)
    assert list(sd) == ["scale", "fc1.weight", "fc1.bias", "norm.weight", "norm.running_mean",
                        "norm.num_batches_tracked", "fc2.weight", "fc2.bias"]
    assert dict(sd._metadata) == {"": {"version": 1}, "fc1": {"version": 1}, "norm": {"version": 1},
                                  "act": {"version": 1}, "fc2": {"version": 1}}
    v = sd["fc1.weight"]
    assert type(v) is tnn.Tensor and not v.requires_grad and v.data_ptr() == net.fc1.weight.data_ptr()
    kv = net.state_dict(keep_vars=True)
    assert kv["fc1.weight"] is net.fc1.weight
    pre = net.fc1.state_dict(prefix="x.")
    assert list(pre) == ["x.weight", "x.bias"] and list(pre._metadata) == ["x"]
    dest = OrderedDict()
    assert net.act.state_dict(destination=dest) is dest


def test_state_dict_version_metadata():
    class V(nn.Module):
        _version = 2

    m = nn.Module()
    m.v = V()
    assert m.state_dict()._metadata["v"] == {"version": 2}


def test_load_state_dict_roundtrip(device):
    a, b = Net(device), Net(device)
    with tnn.no_grad():
        for i, p in enumerate(a.parameters()):
            p.fill_(float(i + 1))
        a.norm.running_mean.fill_(0.5)
        a.norm.num_batches_tracked.fill_(7)
    wb = b.fc1.weight
    res = b.load_state_dict(a.state_dict())
    assert isinstance(res, _IncompatibleKeys) and res.missing_keys == [] and res.unexpected_keys == []
    assert repr(res) == "<All keys matched successfully>"
    assert b.fc1.weight is wb  # copied in place
    for (n1, t1), (n2, t2) in zip(a.state_dict().items(), b.state_dict().items()):
        assert n1 == n2 and np.array_equal(t1.detach().numpy(), t2.detach().numpy())
    assert b.fc1.weight.data_ptr() != a.fc1.weight.data_ptr()
    assert b.fc1.weight.requires_grad and b.fc1.weight.grad_fn is None
    x = tnn.ones(2, 3, device=device)
    assert_close(a(x), b(x).detach().numpy())


def test_load_state_dict_strict_errors(device):
    net = Net(device)
    sd = net.state_dict()
    del sd["fc2.bias"]
    sd["fc2.extra"] = tnn.ones(1)
    sd["nope.weight"] = tnn.ones(1)
    with pytest.raises(RuntimeError) as e:
        net.load_state_dict(sd)
    assert str(e.value) == ('Error(s) in loading state_dict for Net:\n\tMissing key(s) in state_dict: "fc2.bias". '
                            '\n\tUnexpected key(s) in state_dict: "nope.weight", "fc2.extra". ')
    res = net.load_state_dict(sd, strict=False)
    assert res.missing_keys == ["fc2.bias"] and res.unexpected_keys == ["nope.weight", "fc2.extra"]
    assert repr(res) == ("_IncompatibleKeys(missing_keys=['fc2.bias'], "
                         "unexpected_keys=['nope.weight', 'fc2.extra'])")


def test_load_state_dict_size_mismatch(device):
    m = Lin(3, 4, device=device)
    sd = {"weight": tnn.ones(4, 2), "bias": tnn.ones(4)}
    with pytest.raises(RuntimeError) as e:
        m.load_state_dict(sd)
    assert str(e.value) == ("Error(s) in loading state_dict for Lin:\n\tsize mismatch for weight: copying a param "
                            "with shape tnn.Size([4, 2]) from checkpoint, the shape in current model is "
                            "tnn.Size([4, 3]).")
    with pytest.raises(RuntimeError, match="size mismatch for weight"):
        m.load_state_dict(sd, strict=False)  # shape errors raise even when not strict
    with pytest.raises(RuntimeError, match='While copying the parameter named "bias", expected tnn.Tensor'):
        m.load_state_dict({"weight": tnn.ones(4, 3), "bias": [1, 2, 3, 4]})
    with pytest.raises(TypeError, match="Expected state_dict to be dict-like, got <class 'list'>."):
        m.load_state_dict([1])


def test_load_state_dict_casts_and_non_persistent(device):
    n = Norm(3, device=device)
    sd = {"weight": tnn.full((3,), 2.0, dtype=tnn.float64), "running_mean": tnn.ones(3),
          "num_batches_tracked": tnn.tensor(5)}
    assert n.load_state_dict(sd).missing_keys == []  # the non-persistent 'scratch' is not expected
    assert n.weight.dtype is tnn.float32 and n.weight.detach().numpy().tolist() == [2.0] * 3
    assert int(n.num_batches_tracked) == 5
    with pytest.raises(RuntimeError, match='Unexpected key\\(s\\) in state_dict: "scratch"'):
        n.load_state_dict({**sd, "scratch": tnn.ones(3)})
    # 0.3-era checkpoints stored scalars as shape (1,)
    n.load_state_dict({**sd, "num_batches_tracked": tnn.tensor([9])})
    assert int(n.num_batches_tracked) == 9


def test_load_state_dict_assign(device):
    m = Lin(2, 2, device=device)
    w = tnn.ones(2, 2, dtype=tnn.float64, device=device)
    m.load_state_dict({"weight": w, "bias": tnn.zeros(2, device=device)}, assign=True)
    assert isinstance(m.weight, nn.Parameter) and m.weight.requires_grad
    assert m.weight.dtype is tnn.float64 and m.weight.data_ptr() == w.data_ptr()


def test_load_state_dict_missing_child_none(device):
    m = nn.Module()
    m.a = Lin(2, 2, bias=False, device=device)
    m.b = None
    assert list(m.state_dict()) == ["a.weight"]
    assert m.load_state_dict({"a.weight": tnn.ones(2, 2)}).missing_keys == []


def test_extra_state(device):
    class E(nn.Module):
        def __init__(self):
            super().__init__()
            self.state = {"k": 1}

        def get_extra_state(self):
            return dict(self.state)

        def set_extra_state(self, s):
            self.state = s

    m = nn.Module()
    m.e = E()
    sd = m.state_dict()
    assert list(sd) == ["e._extra_state"] and sd["e._extra_state"] == {"k": 1}
    m2 = nn.Module()
    m2.e = E()
    m2.load_state_dict({"e._extra_state": {"k": 5}})
    assert m2.e.state == {"k": 5}
    with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "e._extra_state"'):
        m2.load_state_dict({})
    with pytest.raises(RuntimeError, match='Unexpected key\\(s\\) in state_dict: "_extra_state"'):
        Act().load_state_dict({"_extra_state": 1})


def test_state_dict_hooks(device):
    m = Lin(2, 2, device=device)
    calls = []
    h1 = m.register_state_dict_pre_hook(lambda mod, prefix, keep_vars: calls.append(("pre", prefix, keep_vars)))

    def post(mod, sd, prefix, meta):
        calls.append(("post", prefix, list(sd)))
        sd[prefix + "added"] = 1

    h2 = m.register_state_dict_post_hook(post)
    sd = m.state_dict(prefix="p.")
    assert calls == [("pre", "p.", False), ("post", "p.", ["p.weight", "p.bias"])] and sd["p.added"] == 1
    h1.remove()
    h2.remove()
    assert list(m.state_dict()) == ["weight", "bias"]

    seen = []

    def lpre(mod, sd, prefix, meta, strict, missing, unexpected, errors):
        seen.append(("pre", mod is m, prefix))
        sd.pop(prefix + "old_name", None)

    def lpost(mod, keys):
        seen.append(("post", list(keys.missing_keys)))
        keys.missing_keys.clear()

    m.register_load_state_dict_pre_hook(lpre)
    m.register_load_state_dict_post_hook(lpost)
    res = m.load_state_dict({"weight": tnn.ones(2, 2), "old_name": tnn.ones(1)})
    assert seen == [("pre", True, ""), ("post", ["bias"])]
    assert res.missing_keys == [] and res.unexpected_keys == []


def test_load_from_state_dict_override(device):
    class Renamed(Lin):
        def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing, unexpected, errors):
            if local_metadata.get("version", 1) < 2 and prefix + "w" in state_dict:
                state_dict[prefix + "weight"] = state_dict.pop(prefix + "w")
            super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing, unexpected, errors)

    outer = nn.Module()
    outer.r = Renamed(2, 2, device=device)
    outer.load_state_dict({"r.w": tnn.full((2, 2), 3.0), "r.bias": tnn.ones(2)})
    assert outer.r.weight.detach().numpy().tolist() == [[3.0, 3.0], [3.0, 3.0]]


# ----------------------------------------------------------------------------- repr
def test_addindent():
    assert _addindent("one", 2) == "one"
    assert _addindent("a\nb\nc", 2) == "a\n  b\n  c"


def test_repr_formats(device):
    assert repr(Act()) == "Act()"
    assert repr(Lin(3, 4, device=device)) == "Lin(in_features=3, out_features=4, bias=True)"
    assert repr(Net(device)) == (
        "Net(\n"
        "  (fc1): Lin(in_features=3, out_features=4, bias=True)\n"
        "  (norm): Norm()\n"
        "  (act): Act()\n"
        "  (fc2): Lin(in_features=4, out_features=2, bias=True)\n"
        ")")

    class Multi(nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = nn.Module()
            self.inner.deep = Act()
            self.none = None

        def extra_repr(self):
            return "k=1\nj=2"

    m = Multi()
    m.none = None
    m.register_module("nothing", None)
    assert repr(m) == (
        "Multi(\n"
        "  k=1\n"
        "  j=2\n"
        "  (inner): Module(\n"
        "    (deep): Act()\n"
        "  )\n"
        "  (nothing): None\n"
        ")")

    class One(Multi):
        def extra_repr(self):
            return "k=1"

    assert repr(One()).startswith("One(\n  k=1\n  (inner): Module(\n")


def test_deepcopy_and_pickle_module(device):
    net = Net(device)
    net2 = copy.deepcopy(net)
    assert net2.fc1.weight is not net.fc1.weight
    assert isinstance(net2.fc1.weight, nn.Parameter)
    assert np.array_equal(net2.fc1.weight.detach().numpy(), net.fc1.weight.detach().numpy())
    with tnn.no_grad():
        net2.fc1.weight.fill_(0.0)
    assert net.fc1.weight.detach().numpy().any()
    net3 = pickle.loads(pickle.dumps(net.cpu()))
    assert list(net3.state_dict()) == list(net.state_dict())
    assert "scratch" in net3.norm._non_persistent_buffers_set
