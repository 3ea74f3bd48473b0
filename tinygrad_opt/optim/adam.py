"""Adam (Kingma & Ba, 2015) and AdamW (Loshchilov & Hutter, 2019), as in ``torch.optim``.

    m_t = beta1 m_{t-1} + (1 - beta1) g_t                  first moment (mean of g)
    v_t = beta2 v_{t-1} + (1 - beta2) g_t^2                second moment (mean of g^2)
    m_hat = m_t / (1 - beta1^t),   v_hat = v_t / (1 - beta2^t)      bias corrections
    theta_t = theta_{t-1} - gamma m_hat / (sqrt(v_hat) + eps)

m and v start at zero, so early averages are too small; dividing by 1 - beta^t corrects
that. The step is about ``lr`` per coordinate whatever the gradient's scale.

Variants, and which one this is:

* **where eps sits** -- added to ``sqrt(v_hat)``, *after* bias correction (the paper's
  Algorithm 1 and PyTorch). TensorFlow/Keras add their "epsilon hat" to ``sqrt(v_t)``
  before the correction, which is the same as a step-dependent eps here.
* **weight decay** -- ``Adam(weight_decay=lambda)`` adds ``lambda theta`` to the gradient (an
  L2 penalty, ``Optimizer.gradient``), which then passes through the adaptive scaling:
  parameters with large gradients get little decay. ``AdamW`` *decouples* it:
  ``theta <- theta (1 - lr lambda)`` directly, then the Adam step without any penalty in g.
* **amsgrad** (Reddi et al., 2018) -- divide by the running *maximum* of v_t,
  ``v_t^max = max(v_{t-1}^max, v_t)``. PyTorch (and this code) takes the maximum of the raw
  v_t and bias-corrects the maximum.
"""
from __future__ import annotations

from typing import Iterable

from ..backend import Array, get_array_module
from ..tensor import Tensor
from . import fast_paths
from .optimizer import Optimizer, zeros_state


class Adam(Optimizer):
    """``Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *, maximize=False)``.

    State per parameter: ``step``, ``exp_avg`` (m_t), ``exp_avg_sq`` (v_t), with amsgrad
    ``max_exp_avg_sq`` (made on first use when amsgrad is switched on mid-run).
    """

    optional_state = ("max_exp_avg_sq",)

    def __init__(self, params: Iterable[Tensor] | Iterable[dict], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0.0,
                 amsgrad: bool = False, *, maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad, maximize=maximize))

    def init_state(self, param: Array, group: dict) -> dict:
        xp = get_array_module(param)
        state = {"step": 0, "exp_avg": xp.zeros_like(param), "exp_avg_sq": xp.zeros_like(param)}
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = xp.zeros_like(param)
        return state

    def update(self, p: Array, g: Array, state: dict, group: dict) -> None:
        xp = get_array_module(p)
        lr, (beta1, beta2), eps, t = group["lr"], group["betas"], group["eps"], state["step"]
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m[...] = beta1 * m + (1 - beta1) * g                  # m_t = beta1 m_{t-1} + (1 - beta1) g_t
        v[...] = beta2 * v + (1 - beta2) * g * g              # v_t = beta2 v_{t-1} + (1 - beta2) g_t^2
        if group["amsgrad"]:
            v_max = zeros_state(state, "max_exp_avg_sq", p)   # (amsgrad may be switched on mid-run)
            v_max[...] = xp.maximum(v_max, v)                 # v_t^max = max(v_{t-1}^max, v_t)
            v = v_max
        m_hat = m / (1 - beta1 ** t)                          # m_hat = m_t / (1 - beta1^t)
        v_hat = v / (1 - beta2 ** t)                          # v_hat = v_t / (1 - beta2^t)
        p -= lr * m_hat / (xp.sqrt(v_hat) + eps)              # theta_t = theta_{t-1} - gamma m_hat / (sqrt(v_hat)+eps)

    fast_path = (update, fast_paths.adam)                     # the same update in place (fast_paths.py)


class AdamW(Adam):
    """``AdamW(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *, maximize=False)``.

    Adam with decoupled weight decay: ``theta <- theta (1 - lr lambda)`` before the Adam step,
    nothing added to the gradient. Note the default ``weight_decay=1e-2`` (Adam's is 0).
    """

    coupled_weight_decay = False

    def __init__(self, params: Iterable[Tensor] | Iterable[dict], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, weight_decay: float = 1e-2,
                 amsgrad: bool = False, *, maximize: bool = False) -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                         maximize=maximize)

    def update(self, p: Array, g: Array, state: dict, group: dict) -> None:
        p *= 1 - group["lr"] * group["weight_decay"]          # theta_{t-1} <- theta_{t-1} (1 - gamma lambda)
        super().update(p, g, state, group)                    # then Adam's step
