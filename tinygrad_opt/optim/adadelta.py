"""Adadelta (Zeiler, 2012), as in ``torch.optim.Adadelta``.

Like RMSprop it divides by a running RMS of gradients, and it multiplies by a running RMS
of its own past *steps*, so the step has the units of the parameter ("no learning rate"
in the paper). PyTorch keeps a learning rate that scales the step, default 1.0 (the paper's
algorithm). Here eps sits **inside** both square roots, as in the paper.
"""
from ..backend import get_array_module
from .optimizer import Optimizer, check_nonnegative, check_unit_interval


def adadelta_update(param, grad, state, buf, buf2, *, lr, rho, eps, weight_decay, maximize):
    """One Adadelta step on one parameter's array ``param``, in place (PyTorch's algorithm).

        g_t = +-grad f(theta_{t-1}) (- when maximize) + lambda theta_{t-1}
        v_t = rho v_{t-1} + (1 - rho) g_t^2                       running mean of g^2
        dx_t = sqrt(u_{t-1} + eps) / sqrt(v_t + eps) * g_t        the step, in parameter units
        u_t = rho u_{t-1} + (1 - rho) dx_t^2                      running mean of dx^2
        theta_t = theta_{t-1} - gamma dx_t

    ``buf``, ``buf2``: two work arrays shaped like ``param`` (dx_t needs both roots at once).
    """
    xp = get_array_module(param)
    state["step"] += 1
    if maximize:
        grad = -grad
    if weight_decay:
        grad = grad + weight_decay * param
    v, u = state["square_avg"], state["acc_delta"]
    v *= rho
    xp.multiply(grad, grad, buf)
    buf *= 1 - rho
    v += buf
    std = buf2
    xp.add(v, eps, std)
    xp.sqrt(std, std)                    # std = sqrt(v_t + eps)
    xp.add(u, eps, buf)
    xp.sqrt(buf, buf)
    buf /= std
    buf *= grad                          # buf = dx_t
    u *= rho
    xp.multiply(buf, buf, buf2)
    buf2 *= 1 - rho
    u += buf2
    buf *= lr
    param -= buf


class Adadelta(Optimizer):
    """``Adadelta(params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, *, maximize=False)``.

    State per parameter: ``step``, ``square_avg`` (v_t) and ``acc_delta`` (u_t).
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0, *, maximize=False):
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize))

    def check_hyperparameters(self, group, owner):
        check_nonnegative(owner, "learning rate lr", group["lr"])
        check_unit_interval(owner, "rho", group["rho"])
        check_nonnegative(owner, "eps", group["eps"])
        check_nonnegative(owner, "weight_decay", group["weight_decay"])

    def init_state(self, param, group):
        xp = get_array_module(param)
        return {"step": 0, "square_avg": xp.zeros_like(param), "acc_delta": xp.zeros_like(param)}

    def step(self, closure=None):
        loss = self.evaluate_closure(closure)
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                adadelta_update(p.array, p.grad.array, self.state_for(p, group), self.scratch(p), self.scratch(p, 1),
                                lr=group["lr"], rho=group["rho"], eps=group["eps"],
                                weight_decay=group["weight_decay"], maximize=group["maximize"])
        return loss
