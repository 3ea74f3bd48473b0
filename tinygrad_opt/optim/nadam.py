"""NAdam (Dozat, 2016): Adam with Nesterov momentum, as in ``torch.optim.NAdam``.

Nesterov's idea applied to Adam: the step uses the momentum *after* this step's update,
``mu_{t+1} m_t``, plus the current gradient's own share, ``(1 - mu_t) g_t``. Dozat's
momentum schedule ``mu_t = beta1 (1 - 0.5 * 0.96^(t psi))`` (psi = ``momentum_decay``)
warms the momentum up over the first few hundred steps; the bias correction of the first
moment then uses the product of the mu's instead of ``beta1^t``.
"""
import math

from ..backend import get_array_module
from .optimizer import Optimizer, check_betas, check_nonnegative


def nadam_update(param, grad, state, buf, buf2, *, lr, beta1, beta2, eps, weight_decay, momentum_decay,
                 maximize):
    """One NAdam step on one parameter's array ``param``, in place (PyTorch's algorithm).

        g_t = +-grad f(theta_{t-1}) (- when maximize) + lambda theta_{t-1}
        mu_t = beta1 (1 - 0.5 * 0.96^(t psi)),   mu_{t+1} = beta1 (1 - 0.5 * 0.96^((t+1) psi))
        m_t = beta1 m_{t-1} + (1 - beta1) g_t
        v_t = beta2 v_{t-1} + (1 - beta2) g_t^2
        m_hat = mu_{t+1} m_t / (1 - prod_{i<=t+1} mu_i) + (1 - mu_t) g_t / (1 - prod_{i<=t} mu_i)
        v_hat = v_t / (1 - beta2^t)
        theta_t = theta_{t-1} - gamma m_hat / (sqrt(v_hat) + eps)

    ``state["mu_product"]`` carries prod_{i<=t} mu_i (a number) from step to step.
    ``buf``, ``buf2``: two work arrays shaped like ``param`` (the divisor is used twice).
    """
    xp = get_array_module(param)
    state["step"] += 1
    t = state["step"]
    if maximize:
        grad = -grad
    if weight_decay:
        grad = grad + weight_decay * param
    mu = beta1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))
    mu_next = beta1 * (1 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))
    state["mu_product"] *= mu
    mu_product = state["mu_product"]
    m, v = state["exp_avg"], state["exp_avg_sq"]
    m *= beta1
    xp.multiply(grad, 1 - beta1, buf)
    m += buf
    v *= beta2
    xp.multiply(grad, grad, buf)
    buf *= 1 - beta2
    v += buf
    denom = buf                                       # sqrt(v_hat) + eps, in the work array
    xp.sqrt(v, denom)
    denom /= math.sqrt(1 - beta2 ** t)
    denom += eps
    xp.divide(grad, denom, buf2)                      # the current gradient's share
    buf2 *= lr * (1 - mu) / (1 - mu_product)
    param -= buf2
    xp.divide(m, denom, buf2)                         # the momentum's share
    buf2 *= lr * mu_next / (1 - mu_product * mu_next)
    param -= buf2


class NAdam(Optimizer):
    """``NAdam(params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3, *, maximize=False)``.

    State per parameter: ``step``, ``mu_product``, ``exp_avg`` (m_t), ``exp_avg_sq`` (v_t).
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, momentum_decay=4e-3,
                 *, maximize=False):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      momentum_decay=momentum_decay, maximize=maximize))

    def check_hyperparameters(self, group, owner):
        check_nonnegative(owner, "learning rate lr", group["lr"])
        check_betas(owner, group["betas"])
        check_nonnegative(owner, "eps", group["eps"])
        check_nonnegative(owner, "weight_decay", group["weight_decay"])
        check_nonnegative(owner, "momentum_decay", group["momentum_decay"])

    def init_state(self, param, group):
        xp = get_array_module(param)
        return {"step": 0, "mu_product": 1.0, "exp_avg": xp.zeros_like(param), "exp_avg_sq": xp.zeros_like(param)}

    def step(self, closure=None):
        loss = self.evaluate_closure(closure)
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                nadam_update(p.array, p.grad.array, self.state_for(p, group), self.scratch(p), self.scratch(p, 1),
                             lr=group["lr"], beta1=beta1, beta2=beta2, eps=group["eps"],
                             weight_decay=group["weight_decay"], momentum_decay=group["momentum_decay"],
                             maximize=group["maximize"])
        return loss
