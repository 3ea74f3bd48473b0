"""Optimizers written the way torch.optim's own source writes them (``exp_avg.lerp_``,
``addcmul_``, ``addcdiv_``, ``add_(x, alpha=)``, ``zeros_like(p, memory_format=...)``,
``torch.maximum(..., out=...)``) run here and follow the published equations, computed in NumPy."""
import importlib.util
from pathlib import Path

import numpy as np
import pytest

import tinygrad_opt as torch
from tinygrad_opt.optim import Optimizer


def _student_adam():
    """The student's Adam of tests/coursework/solutions (the one the grader also grades), loaded by path."""
    path = Path(__file__).resolve().parents[1] / "coursework" / "solutions" / "adam_as_torch_optim.py"
    spec = importlib.util.spec_from_file_location("adam_as_torch_optim", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.Adam


StudentAdam = _student_adam()


class StudentSGD(Optimizer):
    """torch.optim's single-tensor SGD, with the older ``p.data.add_`` spelling."""

    def __init__(self, params, lr=1e-2, momentum=0, dampening=0, weight_decay=0, nesterov=False):
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                                      nesterov=nesterov))

    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                d_p = p.grad.data
                if group["weight_decay"] != 0:
                    d_p = d_p.add(p.data, alpha=group["weight_decay"])
                if group["momentum"] != 0:
                    state = self.state[p]
                    if "momentum_buffer" not in state:
                        buf = state["momentum_buffer"] = torch.clone(d_p).detach()
                    else:
                        buf = state["momentum_buffer"]
                        buf.mul_(group["momentum"]).add_(d_p, alpha=1 - group["dampening"])
                    d_p = d_p.add(buf, alpha=group["momentum"]) if group["nesterov"] else buf
                p.data.add_(d_p, alpha=-group["lr"])


def _grads(seed, steps, shape=(3, 4)):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=shape) for _ in range(steps)]


def _run(opt_class, theta0, grads, **options):
    p = torch.tensor(theta0, dtype=torch.float64, requires_grad=True)
    opt = opt_class([p], **options)
    for g in grads:
        p.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
    return p.numpy()


def numpy_adam(theta, grads, lr, betas, eps, weight_decay, amsgrad):
    """Kingma and Ba's Adam with PyTorch's L2 penalty and amsgrad, in NumPy."""
    b1, b2 = betas
    m, v, v_max = np.zeros_like(theta), np.zeros_like(theta), np.zeros_like(theta)
    for t, g in enumerate(grads, start=1):
        g = g + weight_decay * theta
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        v_max = np.maximum(v_max, v)
        v_hat = (v_max if amsgrad else v) / (1 - b2 ** t)
        theta = theta - lr / (1 - b1 ** t) * m / (np.sqrt(v_hat) + eps)
    return theta


def numpy_sgd(theta, grads, lr, momentum, dampening, weight_decay, nesterov):
    """SGD with PyTorch's momentum (b_1 = g_1, then b_t = mu b_{t-1} + (1 - tau) g_t), in NumPy."""
    b = None
    for g in grads:
        g = g + weight_decay * theta
        if momentum:
            b = g.copy() if b is None else momentum * b + (1 - dampening) * g
            g = g + momentum * b if nesterov else b
        theta = theta - lr * g
    return theta


@pytest.mark.parametrize("options", [dict(), dict(weight_decay=0.1), dict(amsgrad=True, lr=0.05),
                                     dict(betas=(0.5, 0.9), eps=1e-3)])
def test_adam_written_as_torch_optim_matches_the_equations(options):
    full = dict(lr=1e-2, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False) | options
    theta0, grads = np.random.default_rng(1).normal(size=(3, 4)), _grads(2, 8)
    np.testing.assert_allclose(_run(StudentAdam, theta0, grads, **full), numpy_adam(theta0, grads, **full),
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("options", [dict(), dict(momentum=0.9), dict(momentum=0.9, dampening=0.3),
                                     dict(momentum=0.8, nesterov=True, weight_decay=0.01)])
def test_sgd_written_as_torch_optim_matches_the_equations(options):
    full = dict(lr=0.1, momentum=0, dampening=0, weight_decay=0, nesterov=False) | options
    theta0, grads = np.random.default_rng(3).normal(size=(3, 4)), _grads(4, 6)
    np.testing.assert_allclose(_run(StudentSGD, theta0, grads, **full), numpy_sgd(theta0, grads, **full),
                               rtol=1e-12, atol=1e-12)


def test_the_in_place_idioms_follow_their_equations():
    rng = np.random.default_rng(5)
    a, b, c = (rng.uniform(0.5, 2.0, (2, 3)) for _ in range(3))
    t = lambda x: torch.tensor(x, dtype=torch.float64)    # noqa: E731
    np.testing.assert_allclose(t(a).addcmul_(t(b), t(c), value=0.3).numpy(), a + 0.3 * b * c, rtol=1e-15)
    np.testing.assert_allclose(t(a).addcdiv_(t(b), t(c), value=-2).numpy(), a - 2 * b / c, rtol=1e-15)
    np.testing.assert_allclose(t(a).lerp_(t(b), 0.25).numpy(), a + 0.25 * (b - a), rtol=1e-15)
    np.testing.assert_allclose(t(a).add_(t(b), alpha=-0.5).numpy(), a - 0.5 * b, rtol=1e-15)
    np.testing.assert_allclose(t(a).sub_(t(b), alpha=3).numpy(), a - 3 * b, rtol=1e-15)
    np.testing.assert_allclose(t(a).sqrt_().numpy(), np.sqrt(a), rtol=1e-15)
    np.testing.assert_allclose(t(a).exp_().numpy(), np.exp(a), rtol=1e-15)
    np.testing.assert_allclose(t(-a).abs_().numpy(), a, rtol=1e-15)
    np.testing.assert_allclose(t(a).neg_().numpy(), -a, rtol=1e-15)
    np.testing.assert_allclose(t(a).addcmul(t(b), t(c), value=-1).numpy(), a - b * c, rtol=1e-15)
    np.testing.assert_allclose(t(a).addcdiv(t(b), t(c)).numpy(), a + b / c, rtol=1e-15)
    np.testing.assert_allclose(t(a).lerp(t(b), 0.75).numpy(), a + 0.75 * (b - a), rtol=1e-15)
    np.testing.assert_allclose(t(a).sub(t(b), alpha=2).numpy(), a - 2 * b, rtol=1e-15)
    np.testing.assert_allclose(t(a).add(1.5, alpha=2).numpy(), a + 3.0, rtol=1e-15)
    m = t(a)
    assert torch.maximum(m, t(b), out=m) is m
    np.testing.assert_allclose(m.numpy(), np.maximum(a, b), rtol=0)


def test_in_place_idioms_follow_the_in_place_rules():
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    for change in (lambda: w.addcmul_(w, w), lambda: w.lerp_(w, 0.5), lambda: w.sqrt_(),
                   lambda: w.addcdiv_(w, w, value=0.1)):
        with pytest.raises(RuntimeError, match="no_grad"):
            change()
    y = w * 2
    version = y._version
    with torch.no_grad():
        w.addcdiv_(torch.tensor([1.0, 1.0]), torch.tensor([2.0, 4.0]), value=-1)
        y.sqrt_()
    assert y._version == version + 1
    np.testing.assert_allclose(w.numpy(), [0.5, 1.75])
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        (y * w).sum().backward()


def test_factors_must_be_numbers_and_the_old_argument_order_says_the_new_one():
    p, d_p = torch.zeros(3), torch.ones(3)
    with pytest.raises(TypeError, match=r"add_\(tensor, alpha=number\)"):
        p.add_(-0.1, d_p)                      # PyTorch's deprecated add_(Number, Tensor)
    with pytest.raises(TypeError, match="value must be a Python number"):
        p.addcmul_(d_p, d_p, value="0.5")
    with pytest.raises(RuntimeError, match="float alpha"):
        torch.zeros(3, dtype=torch.int64).add_(torch.ones(3, dtype=torch.int64), alpha=0.5)
    with pytest.raises(RuntimeError, match="can't be cast"):
        torch.ones(3, dtype=torch.int64).sqrt_()
    with pytest.raises(ValueError, match="memory_format"):
        torch.zeros_like(p, memory_format="channels_last")


class StudentRMSprop(Optimizer):
    """torch.optim's single-tensor RMSprop: addcmul_, addcmul(value=-1).sqrt_(), addcdiv_."""

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, momentum=0, centered=False):
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, momentum=momentum, centered=centered))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                grad, state, alpha = p.grad, self.state[p], group["alpha"]
                if len(state) == 0:
                    state["square_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                    state["grad_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                    state["momentum_buffer"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                square_avg = state["square_avg"]
                square_avg.mul_(alpha).addcmul_(grad, grad, value=1 - alpha)
                if group["centered"]:
                    grad_avg = state["grad_avg"]
                    grad_avg.lerp_(grad, 1 - alpha)
                    avg = square_avg.addcmul(grad_avg, grad_avg, value=-1).sqrt_()
                else:
                    avg = square_avg.sqrt()
                avg = avg.add_(group["eps"])
                if group["momentum"] > 0:
                    buf = state["momentum_buffer"]
                    buf.mul_(group["momentum"]).addcdiv_(grad, avg)
                    p.add_(buf, alpha=-group["lr"])
                else:
                    p.addcdiv_(grad, avg, value=-group["lr"])


class StudentAdadelta(Optimizer):
    """torch.optim's single-tensor Adadelta: add(eps).sqrt_(), div_, mul_, addcmul_."""

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6):
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            rho, eps = group["rho"], group["eps"]
            for p in group["params"]:
                grad, state = p.grad, self.state[p]
                if len(state) == 0:
                    state["square_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                    state["acc_delta"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                square_avg, acc_delta = state["square_avg"], state["acc_delta"]
                square_avg.mul_(rho).addcmul_(grad, grad, value=1 - rho)
                std = square_avg.add(eps).sqrt_()
                delta = acc_delta.add(eps).sqrt_()
                delta.div_(std).mul_(grad)
                acc_delta.mul_(rho).addcmul_(delta, delta, value=1 - rho)
                p.add_(delta, alpha=-group["lr"])


def numpy_rmsprop(theta, grads, lr, alpha, eps, momentum, centered):
    """Hinton's RMSprop with PyTorch's centered variant and momentum, in NumPy."""
    v, a, b = np.zeros_like(theta), np.zeros_like(theta), np.zeros_like(theta)
    for g in grads:
        v = alpha * v + (1 - alpha) * g * g
        a = alpha * a + (1 - alpha) * g
        denom = np.sqrt(v - a * a if centered else v) + eps
        b = momentum * b + g / denom
        theta = theta - lr * (b if momentum > 0 else g / denom)
    return theta


def numpy_adadelta(theta, grads, lr, rho, eps):
    """Zeiler's Adadelta, in NumPy."""
    v, u = np.zeros_like(theta), np.zeros_like(theta)
    for g in grads:
        v = rho * v + (1 - rho) * g * g
        delta = np.sqrt(u + eps) / np.sqrt(v + eps) * g
        u = rho * u + (1 - rho) * delta * delta
        theta = theta - lr * delta
    return theta


@pytest.mark.parametrize("options", [dict(), dict(centered=True), dict(momentum=0.9, centered=True)])
def test_rmsprop_written_as_torch_optim_matches_the_equations(options):
    full = dict(lr=1e-2, alpha=0.99, eps=1e-8, momentum=0, centered=False) | options
    theta0, grads = np.random.default_rng(6).normal(size=(3, 4)), _grads(7, 6)
    np.testing.assert_allclose(_run(StudentRMSprop, theta0, grads, **full), numpy_rmsprop(theta0, grads, **full),
                               rtol=1e-12, atol=1e-12)


def test_adadelta_written_as_torch_optim_matches_the_equations():
    full = dict(lr=1.0, rho=0.9, eps=1e-6)
    theta0, grads = np.random.default_rng(8).normal(size=(3, 4)), _grads(9, 6)
    np.testing.assert_allclose(_run(StudentAdadelta, theta0, grads, **full), numpy_adadelta(theta0, grads, **full),
                               rtol=1e-12, atol=1e-12)
