"""tnn.save / tnn.load: state_dicts and checkpoints as safetensors files, no pickle.

A file is a standard safetensors file: every tensor of ``obj`` is one named entry (any dtype tnn
has; bfloat16 through ml_dtypes; non-contiguous tensors are saved as their values), and the
structure around them (dicts -- OrderedDict, int keys --, lists, tuples, numbers, strings, None,
bools, dtypes, devices) is JSON in the header's ``__metadata__["tnn"]``, where each tensor
appears as {"T": name}. A model state_dict (a flat str -> Tensor mapping) is stored under its own
keys, so torch's ``safetensors.torch.load_file`` reads tnn's files and, the other way, a plain
safetensors file written by torch (``safetensors.torch.save_file(model.state_dict(), path)``,
no tnn metadata) loads as an OrderedDict of tnn tensors in the file's order:
``model.load_state_dict(tnn.load("model.safetensors"))``.

``map_location`` as torch.load's: None (each tensor back on the device it was saved from), a
device or string (everything there), or a dict {saved device: new device}. ``weights_only`` is
accepted for compatibility: these files only ever hold data, so loading never runs code."""
from __future__ import annotations

import json
import math
import os
from collections import OrderedDict

import numpy as np

__all__ = ["save", "load"]

_KEY = "tnn"
_FORMAT = 1


class _Writer:
    def __init__(self):
        self.arrays: dict = {}      # name -> np.ndarray (contiguous, host)
        self.devices: dict = {}     # name -> device string
        self.grad: list = []        # names of tensors that require grad

    def tensor(self, t, name: str) -> dict:
        base, i = name or "tensor", 1
        while name in self.arrays or not name:
            name, i = f"{base}#{i}", i + 1
        arr = t.detach().numpy(force=True).copy(order="C")   # (ascontiguousarray would make 0-d 1-d)
        self.arrays[name] = arr
        self.devices[name] = str(t.device)
        if t.requires_grad:
            self.grad.append(name)
        return {"T": name}

    def encode(self, obj, path: str):
        from .runtime.device import device as Device
        from .runtime.dtypes import dtype as DType
        from .tensor import Tensor
        if isinstance(obj, Tensor):
            return self.tensor(obj, path)
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if isinstance(obj, (int, np.integer)) and not isinstance(obj, bool):
            return int(obj)
        if isinstance(obj, (float, np.floating)):
            f = float(obj)
            return f if math.isfinite(f) else {"F": repr(f)}
        if isinstance(obj, np.bool_):
            return bool(obj)
        if isinstance(obj, dict):
            items = [[self.encode(k, ""), self.encode(v, f"{path}.{k}" if path else str(k))] for k, v in obj.items()]
            return {"D": items, "O": isinstance(obj, OrderedDict)}
        if isinstance(obj, list):
            return {"L": [self.encode(v, f"{path}.{i}" if path else str(i)) for i, v in enumerate(obj)]}
        if isinstance(obj, tuple):
            return {"U": [self.encode(v, f"{path}.{i}" if path else str(i)) for i, v in enumerate(obj)]}
        if isinstance(obj, DType):
            return {"dtype": str(obj).replace("tnn.", "")}
        if isinstance(obj, Device):
            return {"device": str(obj)}
        raise TypeError(f"tnn.save: cannot save an object of type {type(obj).__name__} (tensors, dicts, lists, "
                        "tuples, numbers, strings, None, dtypes and devices only)")


def save(obj, f, pickle_module=None, pickle_protocol=2, **_) -> None:
    """Save ``obj`` (a state_dict, an optimizer state_dict, a checkpoint dict ...) to ``f`` (a
    path or a writable binary file object) as a safetensors file. (torch.save's pickle options
    are accepted and ignored: nothing is pickled.)"""
    import safetensors.numpy as stn
    w = _Writer()
    structure = w.encode(obj, "")
    meta = {_KEY: json.dumps({"format": _FORMAT, "obj": structure, "devices": w.devices, "requires_grad": w.grad})}
    if isinstance(f, (str, os.PathLike)):
        stn.save_file(w.arrays, os.fspath(f), metadata=meta)
    else:
        f.write(stn.save(w.arrays, metadata=meta))


def _target(saved: str, map_location):
    from .runtime.device import device as Device
    if map_location is None:
        return saved
    if isinstance(map_location, dict):
        return map_location.get(saved, saved)
    if isinstance(map_location, (str, Device)):
        return str(map_location)
    if callable(map_location):
        raise TypeError("tnn.load: a callable map_location is not supported; pass a device, a string or a dict")
    raise TypeError(f"tnn.load: map_location must be None, a device, a string or a dict, not "
                    f"{type(map_location).__name__}")


_NP_TYPES = {"F64": "float64", "F32": "float32", "F16": "float16", "I64": "int64", "I32": "int32", "I16": "int16",
             "I8": "int8", "U8": "uint8", "BOOL": "bool"}


def _array(view: dict) -> np.ndarray:
    """A safetensors entry ({'dtype', 'shape', 'data'}) as a NumPy array (bfloat16 via ml_dtypes)."""
    code = view["dtype"]
    if code == "BF16":
        import ml_dtypes
        npd = np.dtype(ml_dtypes.bfloat16)
    elif code in _NP_TYPES:
        npd = np.dtype(_NP_TYPES[code])
    else:
        raise TypeError(f"tnn.load: tensors of safetensors dtype {code} are not supported by tnn")
    return np.frombuffer(view["data"], dtype=npd).reshape(view["shape"])


def _header(data: bytes) -> dict:
    """The file's JSON header (tensor entries in the order the file lists them, __metadata__)."""
    n = int.from_bytes(data[:8], "little")
    return json.loads(data[8:8 + n])


def load(f, map_location=None, pickle_module=None, *, weights_only=True, mmap=None, **pickle_load_args):
    """Load an object saved by tnn.save -- or any safetensors file of tensors, such as one written
    by ``safetensors.torch.save_file(model.state_dict())`` -- from a path or a binary file object."""
    import safetensors
    from .ops.creation import tensor as make
    from .runtime.device import device as Device

    if isinstance(f, (str, os.PathLike)):
        with open(os.fspath(f), "rb") as fh:
            data = fh.read()
    else:
        data = f.read()
    header = _header(data)
    metadata = header.get("__metadata__") or {}
    order = [k for k in header if k != "__metadata__"]
    arrays = {name: _array(v) for name, v in safetensors.deserialize(data)}

    info = json.loads(metadata[_KEY]) if _KEY in metadata else None
    devices = info["devices"] if info else {}
    grad = set(info["requires_grad"]) if info else set()
    tensors: dict = {}

    def get(name):
        t = tensors.get(name)
        if t is None:
            saved = devices.get(name, "cpu")
            dev = _target(saved, map_location)
            if Device(dev).type == "cuda":
                from . import cuda
                if not cuda.is_available():
                    raise RuntimeError(
                        "Attempting to deserialize object on a CUDA device but tnn.cuda.is_available() is False. "
                        "If you are running on a CPU-only machine, please use tnn.load with "
                        "map_location=tnn.device('cpu') to map your storages to the CPU.")
            t = tensors[name] = make(np.array(arrays[name]), device=dev, requires_grad=name in grad)
        return t

    if info is None:
        return OrderedDict((k, get(k)) for k in order)

    def decode(x):
        if isinstance(x, dict):
            if "T" in x:
                return get(x["T"])
            if "D" in x:
                items = [(decode(k), decode(v)) for k, v in x["D"]]
                return OrderedDict(items) if x.get("O") else dict(items)
            if "L" in x:
                return [decode(v) for v in x["L"]]
            if "U" in x:
                return tuple(decode(v) for v in x["U"])
            if "F" in x:
                return float(x["F"])
            if "dtype" in x:
                from .runtime import dtypes
                return dtypes.as_dtype(x["dtype"])
            if "device" in x:
                return Device(x["device"])
            raise ValueError(f"tnn.load: unknown entry {x!r} in the file's metadata")
        return x

    return decode(info["obj"])
