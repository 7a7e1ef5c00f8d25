"""tnn.save / tnn.load: round trips of every dtype (bfloat16 included), 0-d, empty and
non-contiguous tensors, nested checkpoints (OrderedDict, int keys, tuples, lists, numbers, inf,
None, dtypes, devices), requires_grad, file objects; a plain safetensors file as torch writes it
(flat name -> tensor, no tnn metadata) loading as an OrderedDict of tnn tensors; map_location."""
import io
import json
from collections import OrderedDict

import ml_dtypes
import numpy as np
import pytest
import safetensors
import safetensors.numpy as stn

import tnn
from tnn.runtime import dtypes as dt
from tnn.testing import make_tensor, random_array

DTYPES = [dt.float32, dt.float16, dt.bfloat16, dt.float64, dt.int64, dt.int32, dt.int16, dt.int8, dt.uint8,
          dt.bool_]


def _same(a, b):
    assert isinstance(b, tnn.Tensor) and a.dtype is b.dtype and tuple(a.shape) == tuple(b.shape)
    np.testing.assert_array_equal(a.detach().numpy(force=True), b.detach().numpy(force=True))


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_round_trip_every_dtype(device, dtype, tmp_path):
    sd = OrderedDict([("w", tnn.tensor(random_array(dtype, (3, 5), 1), device=device)),
                      ("scalar", tnn.tensor(random_array(dtype, (), 2), device=device)),
                      ("empty", tnn.tensor(random_array(dtype, (0, 4), 3), device=device))])
    tnn.save(sd, tmp_path / "a.safetensors")
    out = tnn.load(tmp_path / "a.safetensors")
    assert type(out) is OrderedDict and list(out) == ["w", "scalar", "empty"]
    for k in sd:
        _same(sd[k], out[k])
        assert out[k].device == sd[k].device


@pytest.mark.parametrize("layout", ["transposed", "strided", "offset"])
def test_non_contiguous(device, layout, tmp_path):
    arr = random_array(dt.float32, (4, 6), 0)
    t = make_tensor(arr, layout, device)
    tnn.save({"t": t}, tmp_path / "t.safetensors")
    np.testing.assert_array_equal(tnn.load(tmp_path / "t.safetensors")["t"].numpy(force=True), arr)
    # and the file is a plain safetensors file any reader understands
    np.testing.assert_array_equal(stn.load_file(tmp_path / "t.safetensors")["t"], arr)


def test_nested_checkpoint(device, tmp_path):
    w = tnn.randn(3, device=device)
    ckpt = {
        "model": OrderedDict([("layer.weight", w), ("layer.bias", tnn.zeros(2, dtype=tnn.bfloat16, device=device))]),
        "optimizer": {"state": {0: {"step": tnn.tensor(3.0), "exp_avg": tnn.ones(3, device=device)}},
                      "param_groups": [{"lr": 0.1, "betas": (0.9, 0.999), "params": [0], "amsgrad": False,
                                        "foreach": None, "name": "x"}]},
        "epoch": 3, "loss": float("inf"), "history": [1.5, float("nan")], "dtype": tnn.float16,
        "device": tnn.device("cpu"), "empty": {}, "flag": True,
    }
    buf = io.BytesIO()
    tnn.save(ckpt, buf)
    out = tnn.load(io.BytesIO(buf.getvalue()))
    assert type(out) is dict and type(out["model"]) is OrderedDict and list(out["model"]) == list(ckpt["model"])
    _same(ckpt["model"]["layer.weight"], out["model"]["layer.weight"])
    _same(ckpt["model"]["layer.bias"], out["model"]["layer.bias"])
    assert list(out["optimizer"]["state"]) == [0]      # int keys stay ints
    _same(ckpt["optimizer"]["state"][0]["exp_avg"], out["optimizer"]["state"][0]["exp_avg"])
    assert out["optimizer"]["state"][0]["step"].item() == 3.0
    assert out["optimizer"]["param_groups"] == ckpt["optimizer"]["param_groups"]
    assert out["epoch"] == 3 and out["loss"] == float("inf") and out["history"][0] == 1.5
    assert np.isnan(out["history"][1]) and out["flag"] is True and out["empty"] == {}
    assert out["dtype"] is tnn.float16 and out["device"] == tnn.device("cpu")


def test_requires_grad_kept(tmp_path):
    p = tnn.ones(2, requires_grad=True)
    tnn.save({"p": p, "q": tnn.ones(1)}, tmp_path / "p.safetensors")
    out = tnn.load(tmp_path / "p.safetensors")
    assert out["p"].requires_grad and not out["q"].requires_grad


def test_torch_written_file(device, tmp_path):
    """What safetensors.torch.save_file(model.state_dict()) writes: flat names, torch's dtype codes,
    no tnn metadata (written here with safetensors.numpy, byte-identical in format)."""
    tensors = {"fc1.weight": random_array(dt.float32, (4, 3), 0), "fc1.bias": random_array(dt.float32, (4,), 1),
               "bn.num_batches_tracked": np.array(7, np.int64),
               "emb.weight": random_array(dt.bfloat16, (5, 2), 2), "half": random_array(dt.float16, (2,), 3)}
    path = tmp_path / "torch_model.safetensors"
    stn.save_file(tensors, str(path), metadata={"format": "pt"})
    head = open(path, "rb").read()
    n = int.from_bytes(head[:8], "little")
    assert json.loads(head[8:8 + n])["emb.weight"]["dtype"] == "BF16"
    out = tnn.load(path, map_location=device)
    assert type(out) is OrderedDict and set(out) == set(tensors)
    for k, a in tensors.items():
        t = out[k]
        assert t.dtype is dt.from_numpy(a.dtype) and tuple(t.shape) == a.shape and t.device == tnn.device(device)
        np.testing.assert_array_equal(t.numpy(force=True).astype(np.float64), a.astype(np.float64))
    assert out["emb.weight"].dtype is tnn.bfloat16 and out["bn.num_batches_tracked"].dim() == 0
    with safetensors.safe_open(str(path), framework="np") as f:
        assert f.metadata() == {"format": "pt"}


def test_map_location(tmp_path):
    tnn.save({"a": tnn.ones(2)}, tmp_path / "m.safetensors")
    for loc in ("cpu", tnn.device("cpu"), {"cpu": "cpu"}):
        assert tnn.load(tmp_path / "m.safetensors", map_location=loc)["a"].device == tnn.device("cpu")
    assert tnn.load(tmp_path / "m.safetensors", weights_only=False)["a"].tolist() == [1.0, 1.0]
    with pytest.raises(TypeError, match="callable map_location"):
        tnn.load(tmp_path / "m.safetensors", map_location=lambda s, loc: s)


def test_cuda_file_without_cuda(tmp_path):
    if tnn.cuda.is_available():
        pytest.skip("cuda is available")
    # a file whose tensor was saved from cuda:0 (metadata as tnn.save writes it there)
    meta = {"tnn": json.dumps({"format": 1, "obj": {"D": [["a", {"T": "a"}]], "O": False},
                               "devices": {"a": "cuda:0"}, "requires_grad": []})}
    stn.save_file({"a": np.ones(2, np.float32)}, str(tmp_path / "c.safetensors"), metadata=meta)
    with pytest.raises(RuntimeError, match="map_location=tnn.device\\('cpu'\\)"):
        tnn.load(tmp_path / "c.safetensors")
    assert tnn.load(tmp_path / "c.safetensors", map_location="cpu")["a"].device == tnn.device("cpu")


def test_unsupported_object(tmp_path):
    with pytest.raises(TypeError, match="cannot save an object of type object"):
        tnn.save({"x": object()}, tmp_path / "bad.safetensors")


def test_ml_dtypes_bf16_values_exact(tmp_path):
    a = np.array([1.0, -2.5, 3.140625, 1e-3], dtype=ml_dtypes.bfloat16)
    t = tnn.tensor(a)
    tnn.save({"b": t}, tmp_path / "b.safetensors")
    np.testing.assert_array_equal(stn.load_file(tmp_path / "b.safetensors")["b"].view(np.uint16), a.view(np.uint16))
