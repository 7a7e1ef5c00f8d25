"""torch.optim.Adagrad (dense gradients; lr decay, weight decay, initial accumulator, maximize);
one fused kernel launch per parameter group (kernels/optim.py)."""
from __future__ import annotations

from ..kernels import optim as K
from .optimizer import Optimizer, _check_flags, _empty_like, _float, _zeros_step

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Adagrad(params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
    foreach=None, *, maximize=False, differentiable=False, fused=None).

    Per step t: g = grad (negated if maximize) + weight_decay * p; clr = lr / (1 + (t - 1) lr_decay);
    sum += g^2; p -= clr * g / (sqrt(sum) + eps). The state (step 0, sum filled with
    initial_accumulator_value) is created with the optimizer, as in torch."""

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                 foreach=None, *, maximize: bool = False, differentiable: bool = False, fused=None):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, fused=fused)
        _check_flags(differentiable, "Adagrad")
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, self.state[p], group)

    @staticmethod
    def _init_state(p, state, group) -> bool:
        if len(state) == 0:
            state["step"] = _zeros_step()
            state["sum"] = _empty_like(p).fill_(_float(group["initial_accumulator_value"]))
        return False

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("foreach", None)
            group.setdefault("maximize", False)
            group.setdefault("differentiable", False)
            group.setdefault("fused", None)

    def step(self, closure=None):
        """Perform a single optimization step (returns the closure's loss, if given)."""
        loss = self._closure(closure)
        for group in self.param_groups:
            def init(p, state):
                return self._init_state(p, state, group)

            for params, grads, states, _, step in self._buckets(group, init, self._increment_step):
                K.adagrad_step(params, grads, [s["sum"] for s in states], step=step, lr=_float(group["lr"]),
                               lr_decay=_float(group["lr_decay"]), eps=_float(group["eps"]),
                               weight_decay=_float(group["weight_decay"]), maximize=bool(group["maximize"]))
                self._bump(params)
        return loss
