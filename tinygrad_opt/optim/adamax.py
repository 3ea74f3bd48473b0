"""Adamax (Kingma & Ba, 2015, section 7.1), as in ``torch.optim.Adamax``.

    m_t = beta1 m_{t-1} + (1 - beta1) g_t
    u_t = max(beta2 u_{t-1}, |g_t| + eps)                  elementwise
    theta_t = theta_{t-1} - gamma / (1 - beta1^t) m_t / u_t

Adam with the L2 norm of past gradients replaced by the L-infinity norm: the second-moment
average becomes a decaying *maximum* of |g|, which needs no bias correction. eps is added
to |g| inside the maximum (PyTorch's placement), so the divisor is never zero.
"""
from __future__ import annotations

from typing import Iterable

from ..backend import Array, get_array_module
from ..tensor import Tensor
from .optimizer import Optimizer


class Adamax(Optimizer):
    """``Adamax(params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, *, maximize=False)``.

    State per parameter: ``step``, ``exp_avg`` (m_t) and ``exp_inf`` (u_t).
    """

    def __init__(self, params: Iterable[Tensor] | Iterable[dict], lr: float = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0.0, *,
                 maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, maximize=maximize))

    def init_state(self, param: Array, group: dict) -> dict:
        xp = get_array_module(param)
        return {"step": 0, "exp_avg": xp.zeros_like(param), "exp_inf": xp.zeros_like(param)}

    def update(self, p: Array, g: Array, state: dict, group: dict) -> None:
        xp = get_array_module(p)
        lr, (beta1, beta2), eps, t = group["lr"], group["betas"], group["eps"], state["step"]
        m, u = state["exp_avg"], state["exp_inf"]
        m[...] = beta1 * m + (1 - beta1) * g                  # m_t = beta1 m_{t-1} + (1 - beta1) g_t
        u[...] = xp.maximum(beta2 * u, xp.abs(g) + eps)       # u_t = max(beta2 u_{t-1}, |g_t| + eps)
        p -= lr / (1 - beta1 ** t) * m / u                    # theta_t = theta_{t-1} - gamma / (1 - beta1^t) m_t / u_t
