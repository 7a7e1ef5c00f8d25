"""NumPy reference steps of torch's optimizers: the documented algorithms of torch.optim.SGD,
Adam, AdamW, RMSprop and Adagrad, one parameter at a time.

``<name>_step(param, grad, state, **hyperparameters)`` returns the new parameter and updates the
``state`` dict in place (creating it on the first call, with torch's keys: 'step' as a float,
'momentum_buffer', 'exp_avg', ...). Arrays may be any float dtype: the arithmetic is float64,
and the new parameter and every state array are rounded to the parameter's dtype, as tnn (and
torch) store them. Hyperparameter names and defaults are torch's."""
from __future__ import annotations

import math

import numpy as np

__all__ = ["sgd_step", "adam_step", "adamw_step", "rmsprop_step", "adagrad_step"]


def _f64(a):
    return np.asarray(a).astype(np.float64)


def _store(x, like):
    return np.asarray(x).astype(np.asarray(like).dtype)


def sgd_step(param, grad, state, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False,
             maximize=False):
    """g = +-grad + wd * p; buf = g (first step) or momentum * buf + (1 - dampening) * g;
    g = g + momentum * buf (nesterov) or buf; p = p - lr * g."""
    p, g = _f64(param), _f64(grad)
    if maximize:
        g = -g
    if weight_decay != 0:
        g = g + weight_decay * p
    if momentum != 0:
        buf = state.get("momentum_buffer")
        if buf is None:
            buf = g.copy()
        else:
            buf = momentum * _f64(buf) + (1 - dampening) * g
        state["momentum_buffer"] = _store(buf, param)
        buf = _f64(state["momentum_buffer"])
        g = g + momentum * buf if nesterov else buf
    return _store(p - lr * g, param)


def _adam(param, grad, state, lr, betas, eps, weight_decay, amsgrad, maximize, decoupled):
    beta1, beta2 = betas
    p, g = _f64(param), _f64(grad)
    if len(state) == 0:
        state["step"] = 0.0
        state["exp_avg"] = np.zeros_like(param)
        state["exp_avg_sq"] = np.zeros_like(param)
        if amsgrad:
            state["max_exp_avg_sq"] = np.zeros_like(param)
    if maximize:
        g = -g
    state["step"] += 1
    t = state["step"]
    if decoupled:
        p = p * (1 - lr * weight_decay)
    elif weight_decay != 0:
        g = g + weight_decay * p
    m = beta1 * _f64(state["exp_avg"]) + (1 - beta1) * g
    v = beta2 * _f64(state["exp_avg_sq"]) + (1 - beta2) * g * g
    state["exp_avg"], state["exp_avg_sq"] = _store(m, param), _store(v, param)
    m, v = _f64(state["exp_avg"]), _f64(state["exp_avg_sq"])
    if amsgrad:
        state["max_exp_avg_sq"] = _store(np.maximum(_f64(state["max_exp_avg_sq"]), v), param)
        v = _f64(state["max_exp_avg_sq"])
    bias_correction1 = 1 - beta1 ** t
    bias_correction2 = 1 - beta2 ** t
    denom = np.sqrt(v) / math.sqrt(bias_correction2) + eps
    return _store(p - lr / bias_correction1 * m / denom, param)


def adam_step(param, grad, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False,
              maximize=False):
    """g = +-grad + wd * p; m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2 (amsgrad: running max);
    p = p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)."""
    return _adam(param, grad, state, lr, betas, eps, weight_decay, amsgrad, maximize, decoupled=False)


def adamw_step(param, grad, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False,
               maximize=False):
    """Adam with decoupled weight decay: p = p * (1 - lr * wd) first, no wd term in g."""
    return _adam(param, grad, state, lr, betas, eps, weight_decay, amsgrad, maximize, decoupled=True)


def rmsprop_step(param, grad, state, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 maximize=False):
    """g = +-grad + wd * p; sq = alpha sq + (1 - alpha) g^2; centered: ga = alpha ga + (1 - alpha) g,
    avg = sqrt(sq - ga^2) + eps, else sqrt(sq) + eps; momentum: buf = momentum buf + g / avg,
    p = p - lr buf; else p = p - lr g / avg."""
    p, g = _f64(param), _f64(grad)
    if len(state) == 0:
        state["step"] = 0.0
        state["square_avg"] = np.zeros_like(param)
        if momentum > 0:
            state["momentum_buffer"] = np.zeros_like(param)
        if centered:
            state["grad_avg"] = np.zeros_like(param)
    if maximize:
        g = -g
    state["step"] += 1
    if weight_decay != 0:
        g = g + weight_decay * p
    state["square_avg"] = _store(alpha * _f64(state["square_avg"]) + (1 - alpha) * g * g, param)
    sq = _f64(state["square_avg"])
    if centered:
        state["grad_avg"] = _store(alpha * _f64(state["grad_avg"]) + (1 - alpha) * g, param)
        ga = _f64(state["grad_avg"])
        avg = np.sqrt(sq - ga * ga) + eps
    else:
        avg = np.sqrt(sq) + eps
    if momentum > 0:
        state["momentum_buffer"] = _store(momentum * _f64(state["momentum_buffer"]) + g / avg, param)
        return _store(p - lr * _f64(state["momentum_buffer"]), param)
    return _store(p - lr * g / avg, param)


def adagrad_step(param, grad, state, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                 eps=1e-10, maximize=False):
    """g = +-grad + wd * p; clr = lr / (1 + (t - 1) lr_decay); sum += g^2; p = p - clr g / (sqrt(sum) + eps)."""
    p, g = _f64(param), _f64(grad)
    if len(state) == 0:
        state["step"] = 0.0
        state["sum"] = np.full_like(param, initial_accumulator_value)
    if maximize:
        g = -g
    state["step"] += 1
    t = state["step"]
    if weight_decay != 0:
        g = g + weight_decay * p
    clr = lr / (1 + (t - 1) * lr_decay)
    state["sum"] = _store(_f64(state["sum"]) + g * g, param)
    return _store(p - clr * g / (np.sqrt(_f64(state["sum"])) + eps), param)
