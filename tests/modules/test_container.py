"""Containers: Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict — list/dict API,
registration and naming, forward, and reprs compared with torch's exact text."""
from collections import OrderedDict

import numpy as np
import pytest

import tnn
import tnn.nn as nn


class Lin(nn.Module):
    def __init__(self, i, o):
        super().__init__()
        self.i, self.o = i, o
        self.weight = nn.Parameter(tnn.ones(o, i))

    def forward(self, x):
        return x @ self.weight.T

    def extra_repr(self):
        return f"in_features={self.i}, out_features={self.o}"


class Tanh(nn.Module):
    def forward(self, x):
        return x.tanh()


class AddOne(nn.Module):
    def forward(self, x):
        return x + 1


# ----------------------------------------------------------------------------- Sequential
def test_sequential_forward_and_naming(device):
    s = nn.Sequential(Lin(3, 2), AddOne(), AddOne())
    x = tnn.ones(4, 3, device=device)
    s.to(device)
    assert s(x).detach().numpy().tolist() == [[5.0, 5.0]] * 4
    assert list(s._modules) == ["0", "1", "2"]
    assert [n for n, _ in s.named_parameters()] == ["0.weight"]
    od = nn.Sequential(OrderedDict([("fc", Lin(3, 2)), ("act", Tanh())]))
    assert list(od._modules) == ["fc", "act"] and isinstance(od.fc, Lin)
    assert len(nn.Sequential()) == 0
    assert nn.Sequential()(x) is x


def test_sequential_indexing():
    a, b, c = Lin(1, 1), Tanh(), AddOne()
    s = nn.Sequential(a, b, c)
    assert s[0] is a and s[-1] is c and s[-3] is a
    with pytest.raises(IndexError, match="index 3 is out of range"):
        s[3]
    with pytest.raises(IndexError, match="index -4 is out of range"):
        s[-4]
    sl = s[1:]
    assert type(sl) is nn.Sequential and list(sl) == [b, c] and list(sl._modules) == ["1", "2"]
    assert list(s[::-1]) == [c, b, a]
    s[1] = AddOne()
    assert isinstance(s[1], AddOne) and list(s._modules) == ["0", "1", "2"]
    del s[0]
    assert list(s._modules) == ["0", "1"] and s[1] is c
    s2 = nn.Sequential(OrderedDict([("x", Tanh()), ("y", AddOne()), ("z", Tanh())]))
    del s2[1:]
    assert list(s2._modules) == ["0"]  # numbering is rebuilt after deletion, as torch does
    assert list(iter(s)) == list(s._modules.values())


def test_sequential_mutation():
    a, b, c, d = Tanh(), AddOne(), Lin(1, 1), Tanh()
    s = nn.Sequential(a)
    assert s.append(b) is s and list(s) == [a, b]
    assert s.insert(0, c) is s and list(s) == [c, a, b]
    s.insert(-1, d)
    assert list(s) == [c, a, d, b]
    with pytest.raises(IndexError, match="Index out of range: 9"):
        s.insert(9, Tanh())
    with pytest.raises(AssertionError, match="module should be of type"):
        s.insert(0, 3)
    assert s.pop(1) is a and list(s) == [c, d, b]
    assert s.extend(nn.Sequential(a)) is s and list(s)[-1] is a
    assert list(s._modules) == ["0", "1", "2", "3"]


def test_sequential_arithmetic():
    a, b = Tanh(), AddOne()
    s = nn.Sequential(a, b)
    t = s + nn.Sequential(b)
    assert list(t) == [a, b, b] and list(t._modules) == ["0", "1", "2"]
    with pytest.raises(ValueError, match="add operator supports only objects of Sequential class"):
        s + [a]
    m = s * 2
    assert list(m) == [a, b, a, b] and list(m._modules) == ["0", "1", "2", "3"]
    assert list(2 * s) == [a, b, a, b]
    with pytest.raises(TypeError, match="unsupported operand type"):
        s * 1.5
    with pytest.raises(ValueError, match="Non-positive multiplication factor 0"):
        s * 0
    s2 = nn.Sequential(a)
    s2 += nn.Sequential(b)
    assert list(s2) == [a, b]
    s2 *= 2
    assert list(s2) == [a, b, a, b]
    assert len(list(s2.named_modules())) == 3  # shared modules once


# ----------------------------------------------------------------------------- ModuleList
def test_modulelist():
    a, b, c = Tanh(), AddOne(), Lin(1, 1)
    ml = nn.ModuleList([a, b])
    assert len(ml) == 2 and ml[0] is a and ml[-1] is b and list(ml) == [a, b]
    with pytest.raises(IndexError, match="index 2 is out of range"):
        ml[2]
    assert ml.append(c) is ml and ml[2] is c
    ml.insert(1, c)
    assert list(ml) == [a, c, b, c] and list(ml._modules) == ["0", "1", "2", "3"]
    ml[-1] = a
    assert ml[3] is a
    sl = ml[1:3]
    assert type(sl) is nn.ModuleList and list(sl) == [c, b] and list(sl._modules) == ["0", "1"]
    del ml[0]
    assert list(ml) == [c, b, a] and list(ml._modules) == ["0", "1", "2"]
    del ml[::2]
    assert list(ml) == [b]
    assert ml.extend([a, c]) is ml and list(ml) == [b, a, c]
    ml += [b]
    assert len(ml) == 4
    assert ml.pop(0) is b and len(ml) == 3
    combined = ml + nn.ModuleList([Tanh()])
    assert len(combined) == 4 and list(combined._modules) == ["0", "1", "2", "3"]
    with pytest.raises(TypeError, match="ModuleList.extend should be called with an iterable, but got int"):
        ml.extend(3)
    with pytest.raises(NotImplementedError, match=r'Module \[ModuleList\] is missing the required "forward"'):
        ml(1)
    assert [n for n, _ in nn.ModuleList([Lin(1, 1), Lin(1, 1)]).named_parameters()] == ["0.weight", "1.weight"]
    assert len(nn.ModuleList()) == 0


# ----------------------------------------------------------------------------- ModuleDict
def test_moduledict():
    a, b, c = Tanh(), AddOne(), Lin(1, 1)
    md = nn.ModuleDict({"b": b, "a": a})
    assert list(md.keys()) == ["b", "a"]  # plain dicts keep their order
    assert md["a"] is a and "a" in md and "z" not in md and len(md) == 2
    md["c"] = c
    assert list(md) == ["b", "a", "c"] and list(md.values()) == [b, a, c]
    assert list(md.items())[0] == ("b", b)
    del md["b"]
    assert list(md) == ["a", "c"]
    assert md.pop("a") is a and list(md) == ["c"]
    md.update([("x", a), ("y", b)])
    md.update(nn.ModuleDict({"z": c}))
    assert list(md) == ["c", "x", "y", "z"]
    assert [n for n, _ in md.named_parameters()] == ["c.weight"]
    md.clear()
    assert len(md) == 0
    with pytest.raises(TypeError, match="ModuleDict.update should be called with an iterable of key/module pairs, "
                                        "but got int"):
        md.update(3)
    with pytest.raises(ValueError, match="ModuleDict update sequence element #0 has length 3; 2 is required"):
        md.update([("a", b, c)])
    with pytest.raises(TypeError, match="ModuleDict update sequence element #0 should be Iterable; isint"):
        md.update([1])


# ----------------------------------------------------------------------------- ParameterList / Dict
def test_parameterlist(device):
    t = tnn.ones(2, device=device)
    p = nn.Parameter(tnn.zeros(3, device=device))
    pl = nn.ParameterList([t, p])
    assert len(pl) == 2 and isinstance(pl[0], nn.Parameter) and pl[1] is p
    assert pl[0].data_ptr() == t.data_ptr()  # wrapped, storage shared
    assert [n for n, _ in pl.named_parameters()] == ["0", "1"]
    pl.append(tnn.ones(1, device=device))
    pl.extend([nn.Parameter(tnn.ones(4, device=device))])
    pl += [tnn.ones(5, device=device)]
    assert len(pl) == 5 and [x.shape[0] for x in pl] == [2, 3, 1, 4, 5]
    assert pl[-1].shape == (5,)
    sl = pl[1:4:2]
    assert type(sl) is nn.ParameterList and sl[0] is p and len(sl) == 2
    pl[0] = tnn.full((2,), 7.0, device=device)
    assert isinstance(pl[0], nn.Parameter) and pl[0].detach().numpy().tolist() == [7.0, 7.0]
    pl.append("not a tensor")
    assert pl[5] == "not a tensor" and len(list(pl.parameters())) == 5
    with pytest.raises(IndexError, match="index 6 is out of range"):
        pl[6]
    with pytest.raises(TypeError, match="ParameterList.extend should be called with an iterable, but got Tensor"):
        pl.extend(tnn.ones(2))
    with pytest.raises(RuntimeError, match="ParameterList should not be called."):
        pl(1)
    assert list(pl.state_dict()) == ["0", "1", "2", "3", "4"]
    assert "0" not in dir(pl)


def test_parameterdict(device):
    a = nn.Parameter(tnn.ones(2, device=device))
    pd = nn.ParameterDict({"b": tnn.zeros(1, device=device), "a": a})
    assert list(pd.keys()) == ["a", "b"]  # a plain mapping is inserted in sorted order, as torch does
    assert pd["a"] is a and isinstance(pd["b"], nn.Parameter) and "a" in pd and len(pd) == 2
    pd["c"] = nn.Parameter(tnn.ones(3, device=device))
    assert list(pd) == ["a", "b", "c"] and list(reversed(pd)) == ["c", "b", "a"]
    assert [k for k, _ in pd.items()] == ["a", "b", "c"] and len(list(pd.values())) == 3
    assert [n for n, _ in pd.named_parameters()] == ["a", "b", "c"]
    assert pd.get("zz") is None and pd.get("a") is a
    assert pd.pop("b").shape == (1,) and list(pd) == ["a", "c"]
    pd.update(OrderedDict([("z", tnn.ones(1)), ("y", tnn.ones(1))]))
    assert list(pd) == ["a", "c", "z", "y"]
    pd.update([("x", tnn.ones(1))])
    k, v = pd.popitem()
    assert k == "x" and "x" not in pd
    assert pd.setdefault("a") is a
    assert pd.setdefault("new", tnn.ones(2)).shape == (2,)
    cp = pd.copy()
    assert cp["a"] is a and list(cp) == list(pd)
    merged = pd | nn.ParameterDict({"q": tnn.ones(1)})
    assert "q" in merged and "q" not in pd
    pd |= nn.ParameterDict({"r": tnn.ones(1)})
    assert "r" in pd
    fk = pd.fromkeys(["u", "v"], tnn.ones(1))
    assert list(fk) == ["u", "v"]
    with pytest.raises(TypeError, match="Index given to ParameterDict cannot be used as a key as it is not a string "
                                        r"\(type is 'int'\)"):
        pd[1]
    with pytest.raises(RuntimeError, match="ParameterDict should not be called."):
        pd(1)
    with pytest.raises(ValueError, match="ParameterDict update sequence element #0 has length 1; 2 is required"):
        pd.update([("a",)])
    pd.clear()
    assert len(pd) == 0 and list(pd.parameters()) == []


# ----------------------------------------------------------------------------- reprs
def test_repr_sequential_nested():
    s = nn.Sequential(Lin(3, 4), nn.Sequential(Tanh(), Lin(4, 2)), nn.ModuleDict({"act": Tanh()}))
    assert repr(s) == (
        "Sequential(\n"
        "  (0): Lin(in_features=3, out_features=4)\n"
        "  (1): Sequential(\n"
        "    (0): Tanh()\n"
        "    (1): Lin(in_features=4, out_features=2)\n"
        "  )\n"
        "  (2): ModuleDict(\n"
        "    (act): Tanh()\n"
        "  )\n"
        ")")
    assert repr(nn.Sequential()) == "Sequential()"
    assert repr(nn.ModuleDict()) == "ModuleDict()"


def test_repr_modulelist_compresses_repeats():
    ml = nn.ModuleList([Lin(2, 2), Lin(2, 2), Lin(2, 2), Tanh(), Lin(2, 2)])
    assert repr(ml) == (
        "ModuleList(\n"
        "  (0-2): 3 x Lin(in_features=2, out_features=2)\n"
        "  (3): Tanh()\n"
        "  (4): Lin(in_features=2, out_features=2)\n"
        ")")
    blocks = nn.ModuleList([nn.Sequential(Tanh(), AddOne()) for _ in range(2)])
    assert repr(blocks) == (
        "ModuleList(\n"
        "  (0-1): 2 x Sequential(\n"
        "    (0): Tanh()\n"
        "    (1): AddOne()\n"
        "  )\n"
        ")")
    assert repr(nn.ModuleList()) == "ModuleList()"

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList([Lin(2, 2) for _ in range(2)])

    assert repr(Model()) == (
        "Model(\n"
        "  (layers): ModuleList(\n"
        "    (0-1): 2 x Lin(in_features=2, out_features=2)\n"
        "  )\n"
        ")")


def test_repr_parameter_containers():
    pl = nn.ParameterList([tnn.ones(3, 4), nn.Parameter(tnn.ones(2, dtype=tnn.float16))])
    assert repr(pl) == (
        "ParameterList(\n"
        "    (0): Parameter containing: [tnn.float32 of size 3x4]\n"
        "    (1): Parameter containing: [tnn.float16 of size 2]\n"
        ")")
    single = "ParameterList(  (0): Parameter containing: [tnn.float32 of size 5])"  # torch's own quirk
    assert repr(nn.ParameterList([tnn.ones(5)])) == single
    assert repr(nn.ParameterList()) == "ParameterList()"
    pl.append(3)
    assert repr(pl).splitlines()[3] == "    (2): Object of type: int"
    pd = nn.ParameterDict({"w": tnn.ones(2, 3), "b": tnn.ones(1)})
    assert repr(pd) == (
        "ParameterDict(\n"
        "    (b): Parameter containing: [tnn.float32 of size 1]\n"
        "    (w): Parameter containing: [tnn.float32 of size 2x3]\n"
        ")")

    class Holder(nn.Module):
        def __init__(self):
            super().__init__()
            self.params = nn.ParameterList([tnn.ones(2), tnn.ones(2)])

    assert repr(Holder()) == (
        "Holder(\n"
        "  (params): ParameterList(\n"
        "      (0): Parameter containing: [tnn.float32 of size 2]\n"
        "      (1): Parameter containing: [tnn.float32 of size 2]\n"
        "  )\n"
        ")")


def test_containers_state_dict_roundtrip(device):
    def build():
        m = nn.Module()
        m.seq = nn.Sequential(Lin(2, 3), Tanh())
        m.blocks = nn.ModuleList([Lin(3, 3)])
        m.heads = nn.ModuleDict({"a": Lin(3, 1)})
        m.extra = nn.ParameterList([tnn.ones(2)])
        m.table = nn.ParameterDict({"k": tnn.ones(1)})
        return m.to(device)

    a, b = build(), build()
    with tnn.no_grad():
        for i, p in enumerate(a.parameters()):
            p.copy_(tnn.tensor(np.full(p.shape, float(i), dtype=np.float32), device=device))
    keys = list(a.state_dict())
    assert keys == ["seq.0.weight", "blocks.0.weight", "heads.a.weight", "extra.0", "table.k"]
    b.load_state_dict(a.state_dict())
    for (_, x), (_, y) in zip(a.state_dict().items(), b.state_dict().items()):
        assert np.array_equal(x.numpy(), y.numpy())
