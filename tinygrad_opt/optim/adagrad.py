"""Adagrad (Duchi, Hazan & Singer, 2011), as in ``torch.optim.Adagrad``.

Each coordinate's step is divided by the root of the *sum* of all its squared gradients
so far: frequently-updated coordinates slow down, rarely-updated ones keep large steps.
The sum only grows, so the effective step size only shrinks (RMSprop and Adadelta replace
the sum by a running average to stop that).
"""
from ..backend import get_array_module
from .optimizer import Optimizer, check_nonnegative


def adagrad_update(param, grad, state, buf, *, lr, lr_decay, weight_decay, eps, maximize):
    """One Adagrad step on one parameter's array ``param``, in place (PyTorch's algorithm).

        g_t = +-grad f(theta_{t-1}) (- when maximize) + lambda theta_{t-1}
        gamma~_t = gamma / (1 + (t - 1) eta)                 lr_decay eta
        s_t = s_{t-1} + g_t^2                                 s_0 = initial_accumulator_value
        theta_t = theta_{t-1} - gamma~_t g_t / (sqrt(s_t) + eps)
    """
    xp = get_array_module(param)
    state["step"] += 1
    if maximize:
        grad = -grad
    if weight_decay:
        grad = grad + weight_decay * param
    clr = lr / (1 + (state["step"] - 1) * lr_decay)
    s = state["sum"]
    xp.multiply(grad, grad, buf)
    s += buf
    xp.sqrt(s, buf)
    buf += eps
    xp.divide(grad, buf, buf)
    buf *= clr
    param -= buf


class Adagrad(Optimizer):
    """``Adagrad(params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10, *, maximize=False)``.

    State per parameter: ``step`` and ``sum`` (s_t).
    """

    def __init__(self, params, lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0,
                 eps=1e-10, *, maximize=False):
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value, eps=eps,
                                      maximize=maximize))

    def check_hyperparameters(self, group, owner):
        check_nonnegative(owner, "learning rate lr", group["lr"])
        check_nonnegative(owner, "lr_decay", group["lr_decay"])
        check_nonnegative(owner, "weight_decay", group["weight_decay"])
        check_nonnegative(owner, "initial_accumulator_value", group["initial_accumulator_value"])
        check_nonnegative(owner, "eps", group["eps"])

    def init_state(self, param, group):
        xp = get_array_module(param)
        return {"step": 0, "sum": xp.full_like(param, group["initial_accumulator_value"])}

    def step(self, closure=None):
        loss = self.evaluate_closure(closure)
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                adagrad_update(p.array, p.grad.array, self.state_for(p, group), self.scratch(p),
                               lr=group["lr"], lr_decay=group["lr_decay"],
                               weight_decay=group["weight_decay"], eps=group["eps"],
                               maximize=group["maximize"])
        return loss
