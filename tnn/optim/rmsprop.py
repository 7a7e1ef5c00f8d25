"""torch.optim.RMSprop (centered, momentum, weight decay, maximize); one fused kernel launch per
parameter group (kernels/optim.py)."""
from __future__ import annotations

from ..kernels import optim as K
from .optimizer import Optimizer, _check_flags, _empty_like, _float, _zeros_step

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """RMSprop(params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
    capturable=False, foreach=None, maximize=False, differentiable=False).

    Per step: g = grad (negated if maximize) + weight_decay * p; sq = alpha * sq + (1 - alpha) g^2;
    centered: ga = lerp(ga, g, 1 - alpha), avg = sqrt(sq - ga^2) + eps, else avg = sqrt(sq) + eps;
    momentum > 0: buf = momentum * buf + g / avg, p -= lr * buf; else p -= lr * g / avg."""

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 capturable: bool = False, foreach=None, maximize: bool = False, differentiable: bool = False):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, capturable=capturable, foreach=foreach, maximize=maximize,
                        differentiable=differentiable)
        _check_flags(differentiable, "RMSprop")
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("momentum", 0)
            group.setdefault("centered", False)
            group.setdefault("foreach", None)
            group.setdefault("maximize", False)
            group.setdefault("differentiable", False)
            group.setdefault("capturable", False)

    def step(self, closure=None):
        """Perform a single optimization step (returns the closure's loss, if given)."""
        loss = self._closure(closure)
        for group in self.param_groups:
            momentum = _float(group["momentum"])
            centered = bool(group["centered"])

            def init(p, state):
                if len(state) == 0:
                    state["step"] = _zeros_step()
                    state["square_avg"] = _empty_like(p)
                    if momentum > 0:
                        state["momentum_buffer"] = _empty_like(p)
                    if centered:
                        state["grad_avg"] = _empty_like(p)
                    return True
                for name, needed in (("momentum_buffer", momentum > 0), ("grad_avg", centered)):
                    if needed and name not in state:
                        state[name] = _empty_like(p).zero_()
                return False

            def key(state):
                self._increment_step(state)

            for params, grads, states, first, _ in self._buckets(group, init, key):
                K.rmsprop_step(params, grads, [s["square_avg"] for s in states],
                               [s["grad_avg"] for s in states] if centered else None,
                               [s["momentum_buffer"] for s in states] if momentum > 0 else None,
                               lr=_float(group["lr"]), alpha=_float(group["alpha"]), eps=_float(group["eps"]),
                               weight_decay=_float(group["weight_decay"]), momentum=momentum, centered=centered,
                               maximize=bool(group["maximize"]), first=first)
                self._bump(params)
        return loss
