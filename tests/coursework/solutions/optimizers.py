"""Correct optimizers written the torch.optim way, as a student would: override step(), state in
self.state[p], Tensor in-place ops under no_grad(). Their floating-point operations are ordered
differently from the library's (no folded bias corrections), so grading them full marks shows a
reordering is never flagged."""
import numpy

from tinygrad_opt import no_grad
from tinygrad_opt.optim import Optimizer


def zeros_like(p):
    return p.detach() * 0.0


class SGD(Optimizer):
    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *, maximize=False):
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                                      nesterov=nesterov, maximize=maximize))

    @no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            mu, tau = group["momentum"], group["dampening"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = -p.grad if group["maximize"] else p.grad
                if group["weight_decay"]:
                    g = g + group["weight_decay"] * p
                if mu:
                    state = self.state[p]
                    if "momentum_buffer" not in state:
                        state["momentum_buffer"] = g * 1.0
                    else:
                        state["momentum_buffer"].mul_(mu).add_(g, alpha=1 - tau)
                    b = state["momentum_buffer"]
                    g = g + mu * b if group["nesterov"] else b
                p.add_(g, alpha=-group["lr"])


class Adam(Optimizer):
    decoupled = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 maximize=False):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                                      maximize=maximize))

    def step(self, closure=None):
        with no_grad():
            for group in self.param_groups:
                beta1, beta2 = group["betas"]
                lr, wd = group["lr"], group["weight_decay"]
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    state = self.state[p]
                    if not state:
                        state["step"] = 0
                        state["exp_avg"], state["exp_avg_sq"] = zeros_like(p), zeros_like(p)
                    state["step"] += 1
                    t = state["step"]
                    g = -p.grad if group["maximize"] else p.grad
                    if wd and self.decoupled:
                        p.mul_(1 - lr * wd)
                    elif wd:
                        g = g + wd * p
                    m, v = state["exp_avg"], state["exp_avg_sq"]
                    m.mul_(beta1).add_(g, alpha=1 - beta1)
                    v.mul_(beta2).add_(g * g, alpha=1 - beta2)
                    if group["amsgrad"]:
                        if "max_exp_avg_sq" not in state:
                            state["max_exp_avg_sq"] = zeros_like(p)
                        v_max = state["max_exp_avg_sq"]
                        v_max.copy_(numpy.maximum(v_max.array, v.array))
                        v = v_max
                    m_hat = m / (1 - beta1 ** t)
                    v_hat = v / (1 - beta2 ** t)
                    p.data -= lr * m_hat / (v_hat ** 0.5 + group["eps"])


class AdamW(Adam):
    decoupled = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 maximize=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize)


class RMSprop(Optimizer):
    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False, *,
                 maximize=False):
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                                      centered=centered, maximize=maximize))

    @no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            alpha = group["alpha"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["step"], state["square_avg"] = 0, zeros_like(p)
                state["step"] += 1
                g = -p.grad if group["maximize"] else p.grad
                if group["weight_decay"]:
                    g = g + group["weight_decay"] * p
                v = state["square_avg"]
                v.mul_(alpha).add_(g * g, alpha=1 - alpha)
                if group["centered"]:
                    if "grad_avg" not in state:
                        state["grad_avg"] = zeros_like(p)
                    a = state["grad_avg"]
                    a.mul_(alpha).add_(g, alpha=1 - alpha)
                    denom = (v - a * a) ** 0.5 + group["eps"]
                else:
                    denom = v ** 0.5 + group["eps"]
                if group["momentum"] > 0:
                    if "momentum_buffer" not in state:
                        state["momentum_buffer"] = zeros_like(p)
                    b = state["momentum_buffer"]
                    b.mul_(group["momentum"]).add_(g / denom)
                    p.sub_(b, alpha=group["lr"])
                else:
                    p.sub_(g / denom, alpha=group["lr"])


class Adagrad(Optimizer):
    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10, *,
                 maximize=False):
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value, eps=eps, maximize=maximize))

    @no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["step"], state["sum"] = 0, zeros_like(p) + group["initial_accumulator_value"]
                state["step"] += 1
                g = -p.grad if group["maximize"] else p.grad
                if group["weight_decay"]:
                    g = g + group["weight_decay"] * p
                clr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
                state["sum"].add_(g * g)
                p.sub_(g / (state["sum"] ** 0.5 + group["eps"]), alpha=clr)


class Adadelta(Optimizer):
    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, *, maximize=False):
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize))

    @no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            rho, eps = group["rho"], group["eps"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["step"], state["square_avg"], state["acc_delta"] = 0, zeros_like(p), zeros_like(p)
                state["step"] += 1
                g = -p.grad if group["maximize"] else p.grad
                if group["weight_decay"]:
                    g = g + group["weight_decay"] * p
                v, u = state["square_avg"], state["acc_delta"]
                v.mul_(rho).add_(g * g, alpha=1 - rho)
                delta = (u + eps) ** 0.5 / (v + eps) ** 0.5 * g
                u.mul_(rho).add_(delta * delta, alpha=1 - rho)
                p.sub_(delta, alpha=group["lr"])


class Adamax(Optimizer):
    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, *, maximize=False):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, maximize=maximize))

    @no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["step"], state["exp_avg"], state["exp_inf"] = 0, zeros_like(p), zeros_like(p)
                state["step"] += 1
                g = -p.grad if group["maximize"] else p.grad
                if group["weight_decay"]:
                    g = g + group["weight_decay"] * p
                m, u = state["exp_avg"], state["exp_inf"]
                m.mul_(beta1).add_(g, alpha=1 - beta1)
                u.copy_(numpy.maximum(beta2 * u.array, numpy.abs(g.array) + group["eps"]))
                p.sub_(m / u, alpha=group["lr"] / (1 - beta1 ** state["step"]))


class NAdam(Optimizer):
    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3, *,
                 maximize=False):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      momentum_decay=momentum_decay, maximize=maximize))

    @no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            psi = group["momentum_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["step"], state["mu_product"] = 0, 1.0
                    state["exp_avg"], state["exp_avg_sq"] = zeros_like(p), zeros_like(p)
                state["step"] += 1
                t = state["step"]
                g = -p.grad if group["maximize"] else p.grad
                if group["weight_decay"]:
                    g = g + group["weight_decay"] * p
                mu = beta1 * (1 - 0.5 * 0.96 ** (t * psi))
                mu_next = beta1 * (1 - 0.5 * 0.96 ** ((t + 1) * psi))
                state["mu_product"] *= mu
                m, v = state["exp_avg"], state["exp_avg_sq"]
                m.mul_(beta1).add_(g, alpha=1 - beta1)
                v.mul_(beta2).add_(g * g, alpha=1 - beta2)
                denom = (v / (1 - beta2 ** t)) ** 0.5 + group["eps"]
                m_hat = mu_next * m / (1 - state["mu_product"] * mu_next) + (1 - mu) * g / (1 - state["mu_product"])
                p.sub_(m_hat / denom, alpha=group["lr"])
