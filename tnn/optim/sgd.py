"""torch.optim.SGD: stochastic gradient descent with momentum, dampening, Nesterov momentum,
weight decay and maximize; one fused kernel launch per parameter group (kernels/optim.py)."""
from __future__ import annotations

from ..kernels import optim as K
from .optimizer import Optimizer, _check_flags, _empty_like, _float

__all__ = ["SGD"]


class SGD(Optimizer):
    """SGD(params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
    maximize=False, foreach=None, differentiable=False, fused=None).

    Per step: g = grad (negated if maximize) + weight_decay * p; with momentum,
    buf = g on the first step, else momentum * buf + (1 - dampening) * g, and g = g + momentum *
    buf (nesterov) or buf; p -= lr * g. ``foreach``/``fused`` are accepted: every step is fused."""

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize: bool = False, foreach=None, differentiable: bool = False, fused=None):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize, foreach=foreach, differentiable=differentiable,
                        fused=fused)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        _check_flags(differentiable, "SGD")
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("nesterov", False)
            group.setdefault("maximize", False)
            group.setdefault("foreach", None)
            group.setdefault("differentiable", False)
            group.setdefault("fused", False)

    def step(self, closure=None):
        """Perform a single optimization step (returns the closure's loss, if given)."""
        loss = self._closure(closure)
        for group in self.param_groups:
            momentum = _float(group["momentum"])

            def init(p, state):
                if momentum != 0 and state.get("momentum_buffer") is None:
                    state["momentum_buffer"] = _empty_like(p)
                    return True
                return False

            for params, grads, states, first, _ in self._buckets(group, init):
                K.sgd_step(params, grads, [s["momentum_buffer"] for s in states] if momentum != 0 else None,
                           lr=_float(group["lr"]), momentum=momentum, dampening=_float(group["dampening"]),
                           weight_decay=_float(group["weight_decay"]), nesterov=bool(group["nesterov"]),
                           maximize=bool(group["maximize"]), first=first)
                self._bump(params)
        return loss
