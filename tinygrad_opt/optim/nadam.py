"""NAdam (Dozat, 2016): Adam with Nesterov momentum, as in ``torch.optim.NAdam``.

    mu_t = beta1 (1 - 0.5 * 0.96^(t psi)),   mu_{t+1} = beta1 (1 - 0.5 * 0.96^((t+1) psi))
    m_t = beta1 m_{t-1} + (1 - beta1) g_t
    v_t = beta2 v_{t-1} + (1 - beta2) g_t^2
    m_hat = mu_{t+1} m_t / (1 - prod_{i<=t+1} mu_i) + (1 - mu_t) g_t / (1 - prod_{i<=t} mu_i)
    v_hat = v_t / (1 - beta2^t)
    theta_t = theta_{t-1} - gamma m_hat / (sqrt(v_hat) + eps)

Nesterov's idea applied to Adam: the step uses the momentum *after* this step's update,
``mu_{t+1} m_t``, plus the current gradient's own share, ``(1 - mu_t) g_t``. Dozat's
momentum schedule mu_t (psi = ``momentum_decay``) warms the momentum up over the first few
hundred steps; the bias correction of the first moment then uses the product of the mu's
instead of ``beta1^t``. ``state["mu_product"]`` carries prod_{i<=t} mu_i (a number).
"""
from __future__ import annotations

from typing import Iterable

from ..backend import Array, get_array_module
from ..tensor import Tensor
from .optimizer import Optimizer, check_nonnegative


class NAdam(Optimizer):
    """``NAdam(params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3, *, maximize=False)``.

    State per parameter: ``step``, ``mu_product``, ``exp_avg`` (m_t), ``exp_avg_sq`` (v_t).
    """

    def __init__(self, params: Iterable[Tensor] | Iterable[dict], lr: float = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0.0,
                 momentum_decay: float = 4e-3, *, maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      momentum_decay=momentum_decay, maximize=maximize))

    def check_hyperparameters(self, group: dict, owner: str) -> None:
        super().check_hyperparameters(group, owner)
        check_nonnegative(owner, "momentum_decay", group["momentum_decay"])

    def init_state(self, param: Array, group: dict) -> dict:
        xp = get_array_module(param)
        return {"step": 0, "mu_product": 1.0, "exp_avg": xp.zeros_like(param), "exp_avg_sq": xp.zeros_like(param)}

    def update(self, p: Array, g: Array, state: dict, group: dict) -> None:
        xp = get_array_module(p)
        lr, (beta1, beta2), eps, t = group["lr"], group["betas"], group["eps"], state["step"]
        psi = group["momentum_decay"]
        mu = beta1 * (1 - 0.5 * 0.96 ** (t * psi))            # mu_t
        mu_next = beta1 * (1 - 0.5 * 0.96 ** ((t + 1) * psi))  # mu_{t+1}
        state["mu_product"] *= mu                             # prod_{i<=t} mu_i
        prod = state["mu_product"]
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m[...] = beta1 * m + (1 - beta1) * g                  # m_t = beta1 m_{t-1} + (1 - beta1) g_t
        v[...] = beta2 * v + (1 - beta2) * g * g              # v_t = beta2 v_{t-1} + (1 - beta2) g_t^2
        # m_hat = mu_{t+1} m_t / (1 - prod_{i<=t+1} mu_i) + (1 - mu_t) g_t / (1 - prod_{i<=t} mu_i)
        m_hat = mu_next * m / (1 - prod * mu_next) + (1 - mu) * g / (1 - prod)
        v_hat = v / (1 - beta2 ** t)                          # v_hat = v_t / (1 - beta2^t)
        p -= lr * m_hat / (xp.sqrt(v_hat) + eps)              # theta_t = theta_{t-1} - gamma m_hat / (sqrt(v_hat)+eps)
