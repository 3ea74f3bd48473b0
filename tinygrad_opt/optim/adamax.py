"""Adamax (Kingma & Ba, 2015, section 7.1), as in ``torch.optim.Adamax``.

Adam with the L2 norm of past gradients replaced by the L-infinity norm: the second-moment
average becomes a decaying *maximum* of |g|, which needs no bias correction. eps is added
to |g| inside the maximum (PyTorch's placement), so the divisor is never zero.
"""
from ..backend import get_array_module
from .optimizer import Optimizer, check_betas, check_nonnegative


def adamax_update(param, grad, state, buf, *, lr, beta1, beta2, eps, weight_decay, maximize):
    """One Adamax step on one parameter's array ``param``, in place (PyTorch's algorithm).

        g_t = +-grad f(theta_{t-1}) (- when maximize) + lambda theta_{t-1}
        m_t = beta1 m_{t-1} + (1 - beta1) g_t
        u_t = max(beta2 u_{t-1}, |g_t| + eps)                  elementwise
        theta_t = theta_{t-1} - gamma m_t / ((1 - beta1^t) u_t)
    """
    xp = get_array_module(param)
    state["step"] += 1
    if maximize:
        grad = -grad
    if weight_decay:
        grad = grad + weight_decay * param
    m, u = state["exp_avg"], state["exp_inf"]
    m *= beta1
    xp.multiply(grad, 1 - beta1, buf)
    m += buf
    u *= beta2
    xp.abs(grad, buf)
    buf += eps
    xp.maximum(u, buf, out=u)
    xp.divide(m, u, buf)
    buf *= lr / (1 - beta1 ** state["step"])
    param -= buf


class Adamax(Optimizer):
    """``Adamax(params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, *, maximize=False)``.

    State per parameter: ``step``, ``exp_avg`` (m_t) and ``exp_inf`` (u_t).
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, *, maximize=False):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, maximize=maximize))

    def check_hyperparameters(self, group, owner):
        check_nonnegative(owner, "learning rate lr", group["lr"])
        check_betas(owner, group["betas"])
        check_nonnegative(owner, "eps", group["eps"])
        check_nonnegative(owner, "weight_decay", group["weight_decay"])

    def init_state(self, param, group):
        xp = get_array_module(param)
        return {"step": 0, "exp_avg": xp.zeros_like(param), "exp_inf": xp.zeros_like(param)}

    def step(self, closure=None):
        loss = self.evaluate_closure(closure)
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                adamax_update(p.array, p.grad.array, self.state_for(p, group), self.scratch(p),
                              lr=group["lr"], beta1=beta1, beta2=beta2, eps=group["eps"],
                              weight_decay=group["weight_decay"], maximize=group["maximize"])
        return loss
