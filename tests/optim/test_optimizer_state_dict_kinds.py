"""state_dict / load_state_dict keep each state entry the kind it was saved as, on every backend:
numbers stay numbers (NAdam's running product mu_product, a step count), arrays stay arrays and
Tensors stay Tensors (torch.optim keeps its state as Tensors, its step count as a 0-d one)."""
import numpy as np
import pytest

from tinygrad_opt import Tensor, backend, no_grad
from tinygrad_opt.optim import NAdam, Optimizer


class TorchStyleNAdam(Optimizer):
    """NAdam as a student writes it for torch.optim: own step(), state made on first sight,
    a Python float mu_product, a 0-d Tensor step count, Tensor running averages."""

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, momentum_decay=4e-3):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, momentum_decay=momentum_decay))

    @no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["step"], state["mu_product"] = Tensor(0.0), 1.0
                    state["exp_avg"], state["exp_avg_sq"] = p.detach() * 0.0, p.detach() * 0.0
                state["step"] += 1
                t = state["step"].item()
                mu = beta1 * (1 - 0.5 * 0.96 ** (t * group["momentum_decay"]))
                mu_next = beta1 * (1 - 0.5 * 0.96 ** ((t + 1) * group["momentum_decay"]))
                state["mu_product"] *= mu
                m, v, g = state["exp_avg"], state["exp_avg_sq"], p.grad
                m.mul_(beta1).add_(g, alpha=1 - beta1)
                v.mul_(beta2).add_(g * g, alpha=1 - beta2)
                denom = (v / (1 - beta2 ** t)) ** 0.5 + group["eps"]
                p.sub_(mu_next * m / (1 - state["mu_product"] * mu_next) / denom
                       + (1 - mu) * g / (1 - state["mu_product"]) / denom, alpha=group["lr"])


def _grad(p, t):
    host = np.cos(np.arange(p.numel()).reshape(p.shape) + t)
    return Tensor(backend.backend_of(p.array).from_host(host))


def _run(opt, params, steps):
    for t in steps:
        for p in params:
            p.grad = _grad(p, t)
        opt.step()


def test_a_torch_style_state_keeps_its_kinds_and_continues_exactly(device_backend):
    x0 = [np.linspace(-1, 1, 6).reshape(2, 3), np.array([0.5, -0.25])]
    straight = [Tensor(x.copy(), requires_grad=True) for x in x0]
    _run(TorchStyleNAdam(straight), straight, range(8))
    first = [Tensor(x.copy(), requires_grad=True) for x in x0]
    opt = TorchStyleNAdam(first)
    _run(opt, first, range(4))
    saved = opt.state_dict()
    new = [Tensor(p.numpy().copy(), requires_grad=True) for p in first]
    _run(opt, first, range(4, 6))                 # the saved copy does not follow later steps
    fresh = TorchStyleNAdam(new)
    fresh.load_state_dict(saved)
    state = fresh.state[new[0]]
    assert type(state["mu_product"]) is float and state["mu_product"] == saved["state"][0]["mu_product"]
    assert isinstance(state["step"], Tensor) and state["step"].shape == () and state["step"].item() == 4.0
    assert isinstance(state["exp_avg"], Tensor) and state["exp_avg"].shape == (2, 3)
    assert backend.backend_of(state["exp_avg"].array) is backend.backend_of(new[0].array)
    assert state["exp_avg"].array is not saved["state"][0]["exp_avg"].array       # a copy, not the saved one
    # the two steps after the save, then the rest: the same numbers as the run never interrupted
    _run(fresh, new, range(4, 8))
    _run(opt, first, range(6, 8))
    for a, b in zip(new, straight, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    for a, b in zip(first, straight, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_numbers_and_host_arrays_of_a_torch_style_state(device_backend):
    p = Tensor(np.ones(3), requires_grad=True)
    opt = TorchStyleNAdam([p])
    opt.state[p].update(step=7, mu_product=0.5, count=np.int64(3), buffer=backend.current().from_host(np.full(3, 2.0)))
    fresh = TorchStyleNAdam([p])
    fresh.load_state_dict(opt.state_dict())
    state = fresh.state[p]
    assert (type(state["step"]), state["step"]) == (int, 7)
    assert (type(state["mu_product"]), state["mu_product"]) == (float, 0.5)
    assert state["count"] == 3 and not hasattr(state["count"], "__len__")
    assert backend.backend_of(state["buffer"]) is backend.backend_of(p.array)
    np.testing.assert_array_equal(backend.to_numpy(state["buffer"]), [2.0, 2.0, 2.0])
    with pytest.raises(ValueError,
                       match=r"parameter 0: state 'buffer' has shape \(3,\), the parameter has shape \(2,\)"):
        TorchStyleNAdam([Tensor(np.ones(2), requires_grad=True)]).load_state_dict(opt.state_dict())


def test_a_library_rule_state_loads_numbers_as_numbers_and_refuses_the_wrong_kind(device_backend):
    w = Tensor(np.ones(3), requires_grad=True)
    opt = NAdam([w])
    w.grad = Tensor(backend.backend_of(w.array).from_host(np.ones(3)))
    opt.step()
    saved = opt.state_dict()
    fresh = NAdam([w])
    fresh.load_state_dict(saved)
    assert type(fresh.state[w]["mu_product"]) is float and type(fresh.state[w]["step"]) is int
    bad = {**saved, "state": {0: {**saved["state"][0], "mu_product": np.array([0.5, 0.5])}}}
    with pytest.raises(ValueError,
                       match=r"parameter 0: state 'mu_product' is an array of shape \(2,\); it is a number"):
        NAdam([w]).load_state_dict(bad)
    bad = {**saved, "state": {0: {**saved["state"][0], "exp_avg": np.array(0.5)}}}
    with pytest.raises(ValueError,
                       match=r"parameter 0: state 'exp_avg' has shape \(\), the parameter has shape \(3,\)"):
        NAdam([w]).load_state_dict(bad)
