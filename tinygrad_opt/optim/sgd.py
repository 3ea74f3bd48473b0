"""Stochastic gradient descent, with momentum and Nesterov momentum (``torch.optim.SGD``).

    b_1 = g_1;   b_t = mu b_{t-1} + (1 - tau) g_t          momentum mu, dampening tau
    d_t = g_t + mu b_t   (nesterov)   or   b_t              (d_t = g_t without momentum)
    theta_t = theta_{t-1} - gamma d_t                       learning rate gamma

g_t is the effective gradient (``Optimizer.gradient``: maximize, weight decay as an L2 penalty).
``b_1 = g_1`` happens on the first step *with momentum*: step 1, or the first step after
momentum was switched on mid-run (PyTorch's rule too: it starts b when it has none).

Two ways of writing momentum are in use, and they are not the same algorithm:

* PyTorch's (this one): ``b = mu b + g;  p = p - lr b``. The velocity ``b`` is a running
  sum of *gradients*; the learning rate multiplies it at the moment of the update.
* Sutskever et al. (2013), and the course's ``momentum_update``: ``v = mu v - lr g;  p = p + v``.
  The velocity holds *steps*, each already scaled by the learning rate of its own time.

With a constant learning rate the two trajectories are identical (``v = -lr b``). When the
learning rate changes (a schedule), they part: PyTorch's form applies the *new* lr to the
whole accumulated history at once (a drop of lr by 10x shrinks the very next step 10x),
Sutskever's keeps the old steps at their old scale and lets them fade out at rate ``mu``.
"""
from __future__ import annotations

from typing import Iterable

from ..backend import Array, get_array_module
from ..tensor import Tensor
from . import fast_paths
from .optimizer import Optimizer, check_nonnegative, zeros_state


class SGD(Optimizer):
    """``SGD(params, lr, momentum=0, dampening=0, weight_decay=0, nesterov=False, *, maximize=False)``.

    State per parameter: ``step`` and, with momentum, ``momentum_buffer`` (b_t).
    """

    optional_state = ("momentum_buffer",)

    def __init__(self, params: Iterable[Tensor] | Iterable[dict], lr: float, momentum: float = 0.0,
                 dampening: float = 0.0, weight_decay: float = 0.0, nesterov: bool = False, *,
                 maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov, maximize=maximize))

    def check_hyperparameters(self, group: dict, owner: str) -> None:
        super().check_hyperparameters(group, owner)
        check_nonnegative(owner, "momentum", group["momentum"])
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(f"{owner}: Nesterov momentum needs momentum > 0 and dampening = 0, got "
                             f"momentum={group['momentum']}, dampening={group['dampening']}")

    def init_state(self, param: Array, group: dict) -> dict:
        if group["momentum"]:
            return {"step": 0, "momentum_buffer": get_array_module(param).zeros_like(param)}
        return {"step": 0}

    def update(self, p: Array, g: Array, state: dict, group: dict) -> None:
        lr, mu, tau = group["lr"], group["momentum"], group["dampening"]
        if mu:
            first = "momentum_buffer" not in state or state["step"] == 1     # the first step with momentum
            b = zeros_state(state, "momentum_buffer", p)
            if first:
                b[...] = g                                   # b_1 = g_1
            else:
                b[...] = mu * b + (1 - tau) * g              # b_t = mu b_{t-1} + (1 - tau) g_t
            g = g + mu * b if group["nesterov"] else b       # d_t = g_t + mu b_t, or b_t
        p -= lr * g                                          # theta_t = theta_{t-1} - gamma d_t

    fast_path = (update, fast_paths.sgd)                     # with momentum: in place (fast_paths.py)
