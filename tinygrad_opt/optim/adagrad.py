"""Adagrad (Duchi, Hazan & Singer, 2011), as in ``torch.optim.Adagrad``.

    gamma~_t = gamma / (1 + (t - 1) eta)                 lr_decay eta
    s_t = s_{t-1} + g_t^2                                 s_0 = initial_accumulator_value
    theta_t = theta_{t-1} - gamma~_t g_t / (sqrt(s_t) + eps)

Each coordinate's step is divided by the root of the *sum* of all its squared gradients
so far: frequently-updated coordinates slow down, rarely-updated ones keep large steps.
The sum only grows, so the effective step size only shrinks (RMSprop and Adadelta replace
the sum by a running average to stop that).

s_0 is the ``initial_accumulator_value`` of the parameter's own group, as in torch.optim
(``Adagrad([{"params": body}, {"params": head, "initial_accumulator_value": 0.1}])``).
"""
from __future__ import annotations

from typing import Iterable

from ..backend import Array, get_array_module
from ..tensor import Tensor
from .optimizer import Optimizer, check_nonnegative


class Adagrad(Optimizer):
    """``Adagrad(params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
    *, maximize=False)``.

    State per parameter: ``step`` and ``sum`` (s_t).
    """

    def __init__(self, params: Iterable[Tensor] | Iterable[dict], lr: float = 1e-2, lr_decay: float = 0.0,
                 weight_decay: float = 0.0, initial_accumulator_value: float = 0.0, eps: float = 1e-10, *,
                 maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value, eps=eps,
                                      maximize=maximize))

    def check_hyperparameters(self, group: dict, owner: str) -> None:
        super().check_hyperparameters(group, owner)
        check_nonnegative(owner, "lr_decay", group["lr_decay"])
        check_nonnegative(owner, "initial_accumulator_value", group["initial_accumulator_value"])

    def init_state(self, param: Array, group: dict) -> dict:
        return {"step": 0, "sum": get_array_module(param).full_like(param, group["initial_accumulator_value"])}

    def update(self, p: Array, g: Array, state: dict, group: dict) -> None:
        xp = get_array_module(p)
        lr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])   # gamma~_t = gamma / (1 + (t - 1) eta)
        s = state["sum"]
        s += g * g                                            # s_t = s_{t-1} + g_t^2
        p -= lr * g / (xp.sqrt(s) + group["eps"])             # theta_t = theta_{t-1} - gamma~_t g_t / (sqrt(s_t) + eps)
