"""Adadelta (Zeiler, 2012), as in ``torch.optim.Adadelta``.

    v_t = rho v_{t-1} + (1 - rho) g_t^2                       running mean of g^2
    dx_t = sqrt(u_{t-1} + eps) / sqrt(v_t + eps) * g_t        the step, in parameter units
    u_t = rho u_{t-1} + (1 - rho) dx_t^2                      running mean of dx^2
    theta_t = theta_{t-1} - gamma dx_t

Like RMSprop it divides by a running RMS of gradients, and it multiplies by a running RMS
of its own past *steps*, so the step has the units of the parameter ("no learning rate"
in the paper). PyTorch keeps a learning rate that scales the step, default 1.0 (the paper's
algorithm). Here eps sits **inside** both square roots, as in the paper.
"""
from __future__ import annotations

from typing import Iterable

from ..backend import Array, get_array_module
from ..tensor import Tensor
from .optimizer import Optimizer, check_unit_interval


class Adadelta(Optimizer):
    """``Adadelta(params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, *, maximize=False)``.

    State per parameter: ``step``, ``square_avg`` (v_t) and ``acc_delta`` (u_t).
    """

    def __init__(self, params: Iterable[Tensor] | Iterable[dict], lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0.0, *, maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize))

    def check_hyperparameters(self, group: dict, owner: str) -> None:
        super().check_hyperparameters(group, owner)
        check_unit_interval(owner, "rho", group["rho"])

    def init_state(self, param: Array, group: dict) -> dict:
        xp = get_array_module(param)
        return {"step": 0, "square_avg": xp.zeros_like(param), "acc_delta": xp.zeros_like(param)}

    def update(self, p: Array, g: Array, state: dict, group: dict) -> None:
        xp = get_array_module(p)
        lr, rho, eps = group["lr"], group["rho"], group["eps"]
        v, u = state["square_avg"], state["acc_delta"]
        v[...] = rho * v + (1 - rho) * g * g                  # v_t = rho v_{t-1} + (1 - rho) g_t^2
        dx = xp.sqrt(u + eps) / xp.sqrt(v + eps) * g          # dx_t = sqrt(u_{t-1} + eps) / sqrt(v_t + eps) g_t
        u[...] = rho * u + (1 - rho) * dx * dx                # u_t = rho u_{t-1} + (1 - rho) dx_t^2
        p -= lr * dx                                          # theta_t = theta_{t-1} - gamma dx_t
