"""torch.optim.Adam and torch.optim.AdamW (decoupled weight decay), with amsgrad and maximize;
one fused kernel launch per parameter group (kernels/optim.py)."""
from __future__ import annotations

from ..kernels import optim as K
from .optimizer import Optimizer, _check_flags, _empty_like, _float, _zeros_step

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    """Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
    foreach=None, maximize=False, capturable=False, differentiable=False, fused=None).

    Per step t: g = grad (negated if maximize) + weight_decay * p; m = lerp(m, g, 1 - beta1);
    v = beta2 * v + (1 - beta2) * g^2 (amsgrad: vmax = max(vmax, v), used for v);
    p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)."""

    _decoupled = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 foreach=None, maximize: bool = False, capturable: bool = False, differentiable: bool = False,
                 fused=None):
        if hasattr(lr, "numel") and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad, maximize=maximize,
                        foreach=foreach, capturable=capturable, differentiable=differentiable, fused=fused)
        _check_flags(differentiable, type(self).__name__)
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("amsgrad", False)
            group.setdefault("maximize", False)
            group.setdefault("foreach", None)
            group.setdefault("capturable", False)
            group.setdefault("differentiable", False)
            group.setdefault("fused", None)

    def step(self, closure=None):
        """Perform a single optimization step (returns the closure's loss, if given)."""
        loss = self._closure(closure)
        for group in self.param_groups:
            amsgrad = bool(group["amsgrad"])
            beta1, beta2 = (_float(b) for b in group["betas"])

            def init(p, state):
                if len(state) == 0:
                    state["step"] = _zeros_step()
                    state["exp_avg"] = _empty_like(p)
                    state["exp_avg_sq"] = _empty_like(p)
                    if amsgrad:
                        state["max_exp_avg_sq"] = _empty_like(p)
                    return True
                if amsgrad and "max_exp_avg_sq" not in state:
                    state["max_exp_avg_sq"] = _empty_like(p).zero_()
                return False

            for params, grads, states, first, step in self._buckets(group, init, self._increment_step):
                K.adam_step(params, grads, [s["exp_avg"] for s in states], [s["exp_avg_sq"] for s in states],
                            [s["max_exp_avg_sq"] for s in states] if amsgrad else None, step=step,
                            lr=_float(group["lr"]), beta1=beta1, beta2=beta2, eps=_float(group["eps"]),
                            weight_decay=_float(group["weight_decay"]), amsgrad=amsgrad,
                            maximize=bool(group["maximize"]), decoupled=self._decoupled, first=first)
                self._bump(params)
        return loss


class AdamW(Adam):
    """AdamW(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
    maximize=False, foreach=None, capturable=False, differentiable=False, fused=None).

    Adam with decoupled weight decay: p *= 1 - lr * weight_decay before the Adam update (whose
    gradient gets no weight-decay term)."""

    _decoupled = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 maximize: bool = False, foreach=None, capturable: bool = False, differentiable: bool = False,
                 fused=None):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                         foreach=foreach, maximize=maximize, capturable=capturable, differentiable=differentiable,
                         fused=fused)
