"""Adam (Kingma & Ba, 2015) and AdamW (Loshchilov & Hutter, 2019), as in ``torch.optim``.

Adam keeps running averages of the gradient (m, the first moment) and of its square
(v, the second moment), corrects both for starting at zero (the bias corrections
1 - beta^t), and steps by ``m_hat / (sqrt(v_hat) + eps)``: about ``lr`` per coordinate
whatever the gradient's scale.

Variants, and which one this is:

* **where eps sits** -- added to ``sqrt(v_hat)``, *after* bias correction (the paper's
  Algorithm 1 and PyTorch). TensorFlow/Keras add their "epsilon hat" to ``sqrt(v_t)``
  before the correction, which is the same as a step-dependent eps here.
* **weight decay** -- ``Adam(weight_decay=lambda)`` adds ``lambda theta`` to the gradient (an
  L2 penalty), which then passes through the adaptive scaling: parameters with large
  gradients get little decay. ``AdamW`` *decouples* it: ``theta <- theta (1 - lr lambda)``
  directly, then the Adam step without any penalty in the gradient.
* **amsgrad** (Reddi et al., 2018) -- divide by the running *maximum* of v_t. PyTorch (and
  this code) takes the maximum of the raw v_t and bias-corrects the maximum.
"""
import math

from ..backend import get_array_module
from .optimizer import Optimizer, check_betas, check_nonnegative, zeros_state


def adam_update(param, grad, state, buf, *, lr, beta1, beta2, eps, weight_decay, amsgrad, maximize,
                decoupled_weight_decay):
    """One Adam (or AdamW) step on one parameter's array ``param``, in place.

        g_t = +-grad f(theta_{t-1})                             (- when maximize)
        Adam:  g_t = g_t + lambda theta_{t-1}                   L2 penalty
        AdamW: theta_{t-1} = theta_{t-1} (1 - gamma lambda)     decoupled weight decay
        m_t = beta1 m_{t-1} + (1 - beta1) g_t
        v_t = beta2 v_{t-1} + (1 - beta2) g_t^2
        amsgrad: v_t^max = max(v_{t-1}^max, v_t), used below in place of v_t   (v_0^max = 0)
        m_hat = m_t / (1 - beta1^t),   v_hat = v_t / (1 - beta2^t)
        theta_t = theta_{t-1} - gamma m_hat / (sqrt(v_hat) + eps)

    computed in the paper's "more efficient" order (Kingma & Ba, end of section 2), with the
    bias corrections folded into two numbers, no m_hat / v_hat arrays:

        theta_t = theta_{t-1} - gamma_t m_t / (sqrt(v_t) + eps_t),
        gamma_t = gamma sqrt(1 - beta2^t) / (1 - beta1^t),   eps_t = eps sqrt(1 - beta2^t)

    (multiply the fraction above and below by sqrt(1 - beta2^t): the same update, so eps
    still sits after the bias correction, as in PyTorch).
    """
    xp = get_array_module(param)
    state["step"] += 1
    t = state["step"]
    if maximize:
        grad = -grad
    if weight_decay and decoupled_weight_decay:
        param *= 1 - lr * weight_decay
    elif weight_decay:
        grad = grad + weight_decay * param
    m, v = state["exp_avg"], state["exp_avg_sq"]
    m *= beta1
    xp.multiply(grad, 1 - beta1, buf)
    m += buf
    v *= beta2
    xp.multiply(grad, grad, buf)
    buf *= 1 - beta2
    v += buf
    if amsgrad:
        v_max = zeros_state(state, "max_exp_avg_sq", param)   # amsgrad may be switched on mid-run
        xp.maximum(v_max, v, out=v_max)
        v = v_max
    root_bc2 = math.sqrt(1 - beta2 ** t)
    xp.sqrt(v, buf)
    buf += eps * root_bc2
    xp.divide(m, buf, buf)
    buf *= lr * root_bc2 / (1 - beta1 ** t)
    param -= buf


class Adam(Optimizer):
    """``Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *, maximize=False)``.

    State per parameter: ``step``, ``exp_avg`` (m_t), ``exp_avg_sq`` (v_t), with amsgrad
    ``max_exp_avg_sq`` (made on first use when amsgrad is switched on mid-run).
    Equations: :func:`adam_update`.
    """

    optional_state = ("max_exp_avg_sq",)

    decoupled_weight_decay = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False,
                 *, maximize=False):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad, maximize=maximize))

    def check_hyperparameters(self, group, owner):
        check_nonnegative(owner, "learning rate lr", group["lr"])
        check_betas(owner, group["betas"])
        check_nonnegative(owner, "eps", group["eps"])
        check_nonnegative(owner, "weight_decay", group["weight_decay"])

    def init_state(self, param, group):
        xp = get_array_module(param)
        state = {"step": 0, "exp_avg": xp.zeros_like(param), "exp_avg_sq": xp.zeros_like(param)}
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = xp.zeros_like(param)
        return state

    def step(self, closure=None):
        loss = self.evaluate_closure(closure)
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                adam_update(p.array, p.grad.array, self.state_for(p, group), self.scratch(p),
                            lr=group["lr"], beta1=beta1, beta2=beta2, eps=group["eps"],
                            weight_decay=group["weight_decay"], amsgrad=group["amsgrad"],
                            maximize=group["maximize"], decoupled_weight_decay=self.decoupled_weight_decay)
        return loss


class AdamW(Adam):
    """``AdamW(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *, maximize=False)``.

    Adam with decoupled weight decay: ``theta <- theta (1 - lr lambda)`` before the Adam step,
    nothing added to the gradient. Note the default ``weight_decay=1e-2`` (Adam's is 0).
    """

    decoupled_weight_decay = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False,
                 *, maximize=False):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                         maximize=maximize)
