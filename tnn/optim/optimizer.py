"""Optimizer: torch.optim.Optimizer's API (param groups, per-parameter state, state_dict /
load_state_dict in torch's format, zero_grad, step(closure)) over tnn's multi-tensor kernels.

A subclass's ``step`` calls ``self._buckets(group, ...)``, which walks the group's parameters
that have a gradient, creates their state on first use, and sorts them into buckets of one
device, one dtype and one "launch key" (e.g. Adam's step count: parameters that skipped steps
have their own bias corrections); each bucket is then ONE kernel launch from tnn/kernels/optim.py.
In the common case (one device and dtype, every parameter with a gradient) a group costs one launch.

State tensors have the parameter's dtype, shape and strides (torch's zeros_like with
preserve_format); ``state['step']`` is a 0-d float32 cpu tensor as in torch, counted on the host
(a NumPy view, no kernel).

Hooks as torch: ``register_step_pre_hook`` / ``register_step_post_hook`` per optimizer, the
global ``register_optimizer_step_pre_hook`` / ``register_optimizer_step_post_hook`` for every
optimizer, and state_dict / load_state_dict pre- and post-hooks; each returns a RemovableHandle.
As in torch, the first construction of an optimizer class wraps its class's ``step`` once
(``_patch_step_function``), and the wrapper runs the hooks around the real step."""
from __future__ import annotations

import copy
import functools
from collections import OrderedDict, defaultdict
from itertools import chain

from ..runtime import dtypes as dt
from ..shape import is_contiguous
from ..tensor import Tensor
from ..utils.hooks import RemovableHandle

__all__ = ["Optimizer", "required", "register_optimizer_step_pre_hook", "register_optimizer_step_post_hook"]

_global_optimizer_pre_hooks: OrderedDict = OrderedDict()
_global_optimizer_post_hooks: OrderedDict = OrderedDict()


def register_optimizer_step_pre_hook(hook) -> RemovableHandle:
    """Register a pre hook common to all optimizers: ``hook(optimizer, args, kwargs) -> None or
    (new_args, new_kwargs)``, called before every optimizer's step (before its own pre hooks)."""
    handle = RemovableHandle(_global_optimizer_pre_hooks)
    _global_optimizer_pre_hooks[handle.id] = hook
    return handle


def register_optimizer_step_post_hook(hook) -> RemovableHandle:
    """Register a post hook common to all optimizers: ``hook(optimizer, args, kwargs) -> None``,
    called after every optimizer's step (after its own post hooks)."""
    handle = RemovableHandle(_global_optimizer_post_hooks)
    _global_optimizer_post_hooks[handle.id] = hook
    return handle


class _RequiredParameter:
    """Singleton class representing a required parameter for an Optimizer."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


def _typename(obj) -> str:
    if isinstance(obj, Tensor):
        return "tnn.Tensor"
    t = type(obj)
    return t.__qualname__ if t.__module__ in ("builtins", "__builtin__") else f"{t.__module__}.{t.__qualname__}"


_DENSE_LAYOUTS: set = set()   # (shape, strides) pairs already found dense


def _is_dense(t: Tensor) -> bool:
    """The elements fill exactly numel consecutive slots from data_ptr (any dim order): then the
    kernels may treat the tensor as a flat array, with state tensors of the same strides."""
    if is_contiguous(t.shape, t.stride()):
        return True
    dims = sorted((st, sz) for st, sz in zip(t.stride(), t.shape) if sz != 1)
    expected = 1
    for st, sz in dims:
        if st != expected:
            return False
        expected *= sz
    return True


def _empty_like(p: Tensor) -> Tensor:
    """Uninitialised state with p's shape, dtype, device and (dense) strides."""
    out = Tensor._empty((p.numel(),), p.dtype, p.device)
    if is_contiguous(p.shape, p.stride()):
        return out._view(p.shape, tuple(_contig_strides(p.shape)), 0)
    return out._view(p.shape, p.stride(), 0)


def _contig_strides(shape):
    strides, acc = [], 1
    for s in reversed(shape):
        strides.append(acc)
        acc *= max(s, 1)
    return tuple(reversed(strides))


def _same_layout(a: Tensor, p: Tensor) -> bool:
    return all(sa == sp for sa, sp, n in zip(a.stride(), p.stride(), p.shape) if n != 1) or (
        is_contiguous(a.shape, a.stride()) and is_contiguous(p.shape, p.stride()))


def _as_layout_of(t: Tensor, p: Tensor) -> Tensor:
    """t (p's shape) with p's memory layout: t itself when it already has it, else a copy."""
    if t.shape != p.shape:
        raise RuntimeError(f"optimizer: a tensor of shape {list(t.shape)} goes with a parameter of shape "
                           f"{list(p.shape)}")
    if t.dtype is p.dtype and _same_layout(t, p):
        return t
    out = _empty_like(p)
    out.copy_(t)
    return out


class Optimizer:
    """Base class for all optimizers (torch.optim.Optimizer).

    params: an iterable of Tensors, of (name, Tensor) pairs, or of dicts defining parameter
    groups ({'params': [...], 'lr': ...}); defaults: the hyperparameters a group does not set."""

    def __init__(self, params, defaults: dict):
        self.defaults = defaults
        self._optimizer_step_pre_hooks: OrderedDict = OrderedDict()
        self._optimizer_step_post_hooks: OrderedDict = OrderedDict()
        self._optimizer_state_dict_pre_hooks: OrderedDict = OrderedDict()
        self._optimizer_state_dict_post_hooks: OrderedDict = OrderedDict()
        self._optimizer_load_state_dict_pre_hooks: OrderedDict = OrderedDict()
        self._optimizer_load_state_dict_post_hooks: OrderedDict = OrderedDict()
        self._patch_step_function()
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, "
                            f"but got {_typename(params)}")
        self.state: defaultdict = defaultdict(dict)
        self.param_groups: list = []
        self._step_views: dict = {}
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)

    # ------------------------------------------------------------------ groups
    def add_param_group(self, param_group: dict) -> None:
        """Add a param group to the Optimizer's param_groups (e.g. when fine-tuning unfreezes layers)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the ordering "
                            "of tensors in sets will change between runs. Please use a list instead.")
        else:
            param_group["params"] = list(params)
        tensors, names = [], []
        for param in param_group["params"]:
            if isinstance(param, tuple):
                names.append(param[0])
                tensors.append(param[1])
            else:
                tensors.append(param)
        param_group["params"] = tensors
        if names:
            if len(names) != len(tensors):
                raise ValueError("all optimizer params should be with/without names. Some param names are missing")
            param_group["param_names"] = names
        for param in param_group["params"]:
            if not isinstance(param, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is {_typename(param)}")
            if not self.defaults.get("differentiable", None) and not (param.is_leaf or param.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {name}")
            param_group.setdefault(name, default)
        params = param_group["params"]
        if len(params) != len({id(p) for p in params}):
            import warnings
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in future, this will "
                          "cause an error; see github.com/pytorch/pytorch/issues/40967 for more information",
                          stacklevel=3)
        param_set = set()
        for group in self.param_groups:
            param_set.update(id(p) for p in group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                current = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {current} to the optimizer")
        if not param_set.isdisjoint(id(p) for p in param_group["params"]):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # ------------------------------------------------------------------ state_dict
    def state_dict(self) -> dict:
        """{'state': {index: {name: value}}, 'param_groups': [{..., 'params': [indices]}]}, indices
        counting the parameters of all groups in order (torch's format). Values are references."""
        for pre_hook in self._optimizer_state_dict_pre_hooks.values():
            pre_hook(self)
        mapping: dict = {}
        start = 0

        def pack(group):
            nonlocal start
            packed = {k: v for k, v in group.items() if k != "params"}
            mapping.update({id(p): i for i, p in enumerate(group["params"], start) if id(p) not in mapping})
            packed["params"] = [mapping[id(p)] for p in group["params"]]
            start += len(packed["params"])
            return packed

        param_groups = [pack(g) for g in self.param_groups]
        packed_state = {(mapping[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()}
        state_dict = {"state": packed_state, "param_groups": param_groups}
        for post_hook in self._optimizer_state_dict_post_hooks.values():
            hook_result = post_hook(self, state_dict)
            if hook_result is not None:
                state_dict = hook_result
        return state_dict

    def load_state_dict(self, state_dict: dict) -> None:
        """Load an optimizer state (as returned by state_dict()): tensors move to their
        parameter's device (and floating dtype, except 'step'), hyperparameters are replaced."""
        state_dict = state_dict.copy()    # shallow copy, as torch (a pre hook may edit it)
        for pre_hook in self._optimizer_load_state_dict_pre_hooks.values():
            hook_result = pre_hook(self, state_dict)
            if hook_result is not None:
                state_dict = hook_result
        groups = self.param_groups
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match the size of "
                             "optimizer's group")
        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))

        def cast(param, value, key=None):
            if isinstance(value, Tensor):
                if key == "step":
                    return value.detach().to(device="cpu", dtype=dt.float32).clone().reshape(())
                v = value.detach().to(device=param.device, dtype=param.dtype if param.is_floating_point()
                                      else value.dtype)
                return _as_layout_of(v, param) if v.shape == param.shape else v
            if key == "step" and isinstance(value, (int, float)):
                from ..ops.creation import tensor
                return tensor(float(value), dtype=dt.float32)
            if isinstance(value, dict):
                return {k: cast(param, v, k) for k, v in value.items()}
            if isinstance(value, (list, tuple)):
                return type(value)(cast(param, v) for v in value)
            return value

        state: defaultdict = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                param = id_map[k]
                state[param] = cast(param, v)
            else:
                state[k] = v

        def update_group(group, new_group):
            new_group["params"] = group["params"]
            if "param_names" in group and "param_names" not in new_group:
                new_group["param_names"] = group["param_names"]
            return new_group

        self.state = state
        self.param_groups = [update_group(g, ng) for g, ng in zip(groups, saved_groups)]
        self._step_views = {}
        for post_hook in self._optimizer_load_state_dict_post_hooks.values():
            post_hook(self)

    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._step_views = {}
        for name in ("_optimizer_step_pre_hooks", "_optimizer_step_post_hooks", "_optimizer_state_dict_pre_hooks",
                     "_optimizer_state_dict_post_hooks", "_optimizer_load_state_dict_pre_hooks",
                     "_optimizer_load_state_dict_post_hooks"):
            if name not in self.__dict__:
                setattr(self, name, OrderedDict())
        self._patch_step_function()

    # ------------------------------------------------------------------ hooks
    @staticmethod
    def profile_hook_step(func):
        """Wrap a step function: global then per-optimizer pre hooks (each may return
        ``(new_args, new_kwargs)``, args including the optimizer itself), the step, then
        per-optimizer then global post hooks."""

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            self = args[0]
            for pre_hook in chain(_global_optimizer_pre_hooks.values(), self._optimizer_step_pre_hooks.values()):
                result = pre_hook(self, args, kwargs)
                if result is not None:
                    if isinstance(result, tuple) and len(result) == 2:
                        args, kwargs = result
                    else:
                        raise RuntimeError(f"{func} must return None or a tuple of (new_args, new_kwargs), but "
                                           f"got {result}.")
            out = func(*args, **kwargs)
            for post_hook in chain(self._optimizer_step_post_hooks.values(), _global_optimizer_post_hooks.values()):
                post_hook(self, args, kwargs)
            return out

        return wrapper

    def _patch_step_function(self) -> None:
        """Wrap this optimizer's class's ``step`` with ``profile_hook_step`` (once per class)."""
        hooked = getattr(self.__class__.step, "hooked", None)
        if not hooked:
            self.__class__.step = self.profile_hook_step(self.__class__.step)
            self.__class__.step.hooked = True

    def register_step_pre_hook(self, hook) -> RemovableHandle:
        """``hook(optimizer, args, kwargs) -> None or (new_args, new_kwargs)`` before each step."""
        handle = RemovableHandle(self._optimizer_step_pre_hooks)
        self._optimizer_step_pre_hooks[handle.id] = hook
        return handle

    def register_step_post_hook(self, hook) -> RemovableHandle:
        """``hook(optimizer, args, kwargs) -> None`` after each step."""
        handle = RemovableHandle(self._optimizer_step_post_hooks)
        self._optimizer_step_post_hooks[handle.id] = hook
        return handle

    def register_state_dict_pre_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        """``hook(optimizer) -> None`` before state_dict() builds the dict."""
        return self._register(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        """``hook(optimizer, state_dict) -> state_dict or None`` (a returned dict replaces it)."""
        return self._register(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        """``hook(optimizer, state_dict) -> state_dict or None``, before loading (a returned dict is
        loaded instead)."""
        return self._register(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        """``hook(optimizer) -> None`` after load_state_dict()."""
        return self._register(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    @staticmethod
    def _register(hooks: OrderedDict, hook, prepend: bool) -> RemovableHandle:
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        if prepend:
            hooks.move_to_end(handle.id, last=False)
        return handle

    # ------------------------------------------------------------------ stepping
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all optimized tensors: to None (default) or to zeros in place."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    if set_to_none:
                        p.grad = None
                    else:
                        if p.grad.grad_fn is not None:
                            p.grad.detach_()
                        else:
                            p.grad.requires_grad_(False)
                        p.grad.zero_()

    def step(self, closure=None):
        """Perform a single optimization step; ``closure`` re-evaluates the model and returns the loss."""
        raise NotImplementedError

    @staticmethod
    def _closure(closure):
        if closure is None:
            return None
        from ..autograd import enable_grad
        with enable_grad():
            return closure()

    def __repr__(self):
        s = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            s += "\n"
            s += f"Parameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    s += f"    {key}: {group[key]}\n"
        s += ")"
        return s

    # ------------------------------------------------------------------ helpers for subclasses
    def _increment_step(self, state: dict) -> float:
        """state['step'] += 1 on its host memory (no kernel); returns the new value."""
        t = state["step"]
        entry = self._step_views.get(id(t))
        if entry is None or entry[0] is not t:
            if not isinstance(t, Tensor) or t.device.type != "cpu" or t.dtype is not dt.float32 or t.numel() != 1:
                from ..ops.creation import tensor
                t = state["step"] = tensor(float(t), dtype=dt.float32)
            entry = self._step_views[id(t)] = (t, t.detach().numpy().reshape(()))
        view = entry[1]
        view[()] += 1
        t._version_bump()
        return float(view)

    def _buckets(self, group: dict, init_state, key=None) -> list:
        """[(params, grads, states, first, key)] for the group's parameters with a gradient, one
        entry per (device, dtype, new state or not, key(state)). ``init_state(p, state)`` fills
        an empty state; ``key(state)`` (e.g. incrementing and returning the step) runs for each."""
        buckets: dict = {}
        for p in group["params"]:
            g = p.grad
            if g is None:
                continue
            layout = (p._shape, p._strides)
            if layout not in _DENSE_LAYOUTS:
                if not _is_dense(p):
                    raise RuntimeError("tnn.optim: parameters must be dense in memory (contiguous, or a permutation "
                                       f"of contiguous dims); got shape {list(p.shape)} with strides "
                                       f"{list(p.stride())}")
                if len(_DENSE_LAYOUTS) > 4096:
                    _DENSE_LAYOUTS.clear()
                _DENSE_LAYOUTS.add(layout)
            dev = p._buf.device
            if g.dtype is not p.dtype or (g._buf.device is not dev and g.device != dev):
                raise RuntimeError(f"optimizer: the gradient ({g.dtype}, {g.device}) of a parameter "
                                   f"({p.dtype}, {p.device}) must have its dtype and device")
            if g._strides != p._strides and not _same_layout(g, p):
                g = _as_layout_of(g, p)
            state = self.state.get(p)
            if state is None:          # (no entry for a state-less optimizer such as plain SGD, as torch)
                state = {}
                first = init_state(p, state)
                if state:
                    self.state[p] = state
            else:
                first = init_state(p, state)
            k = (dev, p.dtype, first, None if key is None else key(state))
            b = buckets.get(k)
            if b is None:
                b = buckets[k] = ([], [], [])
            b[0].append(p)
            b[1].append(g)
            b[2].append(state)
        return [(ps, gs, sts, k[2], k[3]) for k, (ps, gs, sts) in buckets.items()]

    @staticmethod
    def _bump(params) -> None:
        for p in params:
            p._version_bump()


def _zeros_step():
    from ..ops.creation import tensor
    return tensor(0.0, dtype=dt.float32)


def _check_flags(differentiable: bool, name: str):
    if differentiable:
        raise RuntimeError(f"tnn.optim.{name}: differentiable=True is not supported (steps run as fused kernels)")


def _float(x) -> float:
    return float(x.item()) if isinstance(x, Tensor) else float(x)

