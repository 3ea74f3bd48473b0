"""RMSprop (Hinton, Coursera lecture 6e, 2012), as in ``torch.optim.RMSprop``.

    v_t = alpha v_{t-1} + (1 - alpha) g_t^2                 running mean of g^2, v_0 = 0
    centered:  a_t = alpha a_{t-1} + (1 - alpha) g_t;   v~_t = v_t - a_t^2   (a variance)
    otherwise: v~_t = v_t
    s_t = g_t / (sqrt(v~_t) + eps)
    momentum mu > 0:  b_t = mu b_{t-1} + s_t;   theta_t = theta_{t-1} - gamma b_t
    otherwise:        theta_t = theta_{t-1} - gamma s_t

Divide each coordinate's step by a running root-mean-square of its recent gradients, so
coordinates with large gradients take smaller steps and flat ones larger steps. a and b
start at 0 on the first step that uses them (also when centered or momentum is switched on
mid-run).

Where eps sits: here (PyTorch, Keras) **outside** the square root, ``g / (sqrt(v) + eps)``.
The course's ``rmsprop_update`` (``functional.py``) puts it inside, ``g / sqrt(v + eps)``;
both are in use, and they differ most where ``v`` is tiny.
"""
from __future__ import annotations

from typing import Iterable

from ..backend import Array, get_array_module
from ..tensor import Tensor
from .optimizer import Optimizer, check_nonnegative, zeros_state


class RMSprop(Optimizer):
    """``RMSprop(params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
    *, maximize=False)``.

    State per parameter: ``step``, ``square_avg`` (v_t), with ``centered`` ``grad_avg``
    (a_t), with momentum ``momentum_buffer`` (b_t); these two are made on first use when the
    option is switched on mid-run.
    """

    optional_state = ("grad_avg", "momentum_buffer")

    def __init__(self, params: Iterable[Tensor] | Iterable[dict], lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False, *,
                 maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered, maximize=maximize))

    def check_hyperparameters(self, group: dict, owner: str) -> None:
        super().check_hyperparameters(group, owner)
        check_nonnegative(owner, "alpha", group["alpha"])
        check_nonnegative(owner, "momentum", group["momentum"])

    def init_state(self, param: Array, group: dict) -> dict:
        xp = get_array_module(param)
        state = {"step": 0, "square_avg": xp.zeros_like(param)}
        if group["centered"]:
            state["grad_avg"] = xp.zeros_like(param)
        if group["momentum"] > 0:
            state["momentum_buffer"] = xp.zeros_like(param)
        return state

    def update(self, p: Array, g: Array, state: dict, group: dict) -> None:
        xp = get_array_module(p)
        lr, alpha, eps, mu = group["lr"], group["alpha"], group["eps"], group["momentum"]
        v = state["square_avg"]
        v[...] = alpha * v + (1 - alpha) * g * g              # v_t = alpha v_{t-1} + (1 - alpha) g_t^2
        if group["centered"]:
            a = zeros_state(state, "grad_avg", p)
            a[...] = alpha * a + (1 - alpha) * g              # a_t = alpha a_{t-1} + (1 - alpha) g_t
            v = v - a * a                                     # v~_t = v_t - a_t^2
        s = g / (xp.sqrt(v) + eps)                            # s_t = g_t / (sqrt(v~_t) + eps)
        if mu > 0:
            b = zeros_state(state, "momentum_buffer", p)
            b[...] = mu * b + s                               # b_t = mu b_{t-1} + s_t
            s = b
        p -= lr * s                                           # theta_t = theta_{t-1} - gamma s_t (or b_t)
