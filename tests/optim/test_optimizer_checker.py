"""The optimizer checker: deliberately broken optimizers are caught at the right step with a message
naming the step, the parameter and both values; correct ones pass; the README's examples run."""
import re
from pathlib import Path

import numpy as np
import pytest

from tinygrad_opt import Tensor, backend, no_grad
from tinygrad_opt.optim import SGD, Adam, AdamW, NAdam, Optimizer, RMSprop
from tinygrad_opt.optim.check import (NotConverged, OptimizerMismatch, check_convergence, check_optimizer,
                                      compare)

README = Path(__file__).resolve().parents[2] / "docs" / "optimizers.md"


# -- broken optimizers, written the torch.optim way, as a student might ---------------------------
def zeros(p):
    return p.detach() * 0.0


class AdamWithoutBiasCorrection(Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps))

    @no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                state = self.state[p]
                if not state:
                    state["m"], state["v"] = zeros(p), zeros(p)
                m, v = state["m"], state["v"]
                m.mul_(beta1).add_(p.grad, alpha=1 - beta1)
                v.mul_(beta2).add_(p.grad * p.grad, alpha=1 - beta2)
                p.data -= group["lr"] * m / (v ** 0.5 + group["eps"])


class Momentum(Optimizer):
    """b = mu b + g;  p -= lr b, with the two lines a test can break."""

    def __init__(self, params, lr=1e-3, momentum=0.0, weight_decay=0.0, nesterov=False):
        super().__init__(params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay))

    def velocity(self, b, g, mu):
        return b.mul_(mu).add_(g)

    @no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                g = p.grad + group["weight_decay"] * p
                b = self.state[p].setdefault("b", zeros(p))
                p.sub_(self.velocity(b, g, group["momentum"]), alpha=group["lr"])


class MomentumWithWrongSign(Momentum):
    """b = mu b - g, then p -= lr b: Sutskever's sign mixed into PyTorch's form."""

    def velocity(self, b, g, mu):
        return b.mul_(mu).sub_(g)


class MomentumTermWithWrongSign(Momentum):
    """b = -mu b + g: right at step 1 (b = 0), wrong from step 2."""

    def velocity(self, b, g, mu):
        return b.mul_(-mu).add_(g)


class NesterovWithoutLookAhead(Momentum):
    """Nesterov written as plain momentum: steps along b_t, not g_t + mu b_t."""


class RMSpropWithEpsInsideSqrt(Optimizer):
    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8):
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps))

    @no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                v = self.state[p].setdefault("v", zeros(p))
                v.mul_(group["alpha"]).add_(p.grad * p.grad, alpha=1 - group["alpha"])
                p.data -= group["lr"] * p.grad / (v + group["eps"]) ** 0.5


class SGDWithWeightDecayTwice(Optimizer):
    def __init__(self, params, lr=1e-3, weight_decay=0.0):
        super().__init__(params, dict(lr=lr, weight_decay=weight_decay))

    @no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                g = p.grad + group["weight_decay"] * p
                p.sub_(g + group["weight_decay"] * p, alpha=group["lr"])


class CrashingOptimizer(SGD):
    def step(self, closure=None):
        raise KeyError("exp_avg")


BROKEN = [
    (AdamWithoutBiasCorrection, Adam, dict(lr=1e-2), 1, "times the reference's at step 1. Look at a bias correction"),
    (MomentumWithWrongSign, SGD, dict(lr=1e-2, momentum=0.9), 1, "moves the other way"),
    (MomentumTermWithWrongSign, SGD, dict(lr=1e-2, momentum=0.9), 2, "what is carried from step to step"),
    (NesterovWithoutLookAhead, SGD, dict(lr=1e-2, momentum=0.9, nesterov=True), 1,
     "= 1/(1 + momentum) times the reference's: Nesterov's look-ahead is missing"),
    (RMSpropWithEpsInsideSqrt, RMSprop, dict(lr=1e-2), 1, "where eps sits"),
    (SGDWithWeightDecayTwice, SGD, dict(lr=1e-2, weight_decay=0.1), 1, "proportional to the parameter"),
    (CrashingOptimizer, SGD, dict(lr=1e-2), 1, "raised KeyError"),
]


@pytest.mark.parametrize("candidate, reference, hp, step, hint", BROKEN, ids=[b[0].__name__ for b in BROKEN])
def test_broken_optimizer_is_caught_at_the_right_step(candidate, reference, hp, step, hint):
    with pytest.raises(OptimizerMismatch) as info:
        check_optimizer(candidate, reference, problems=["convex quadratic"], **hp)
    mismatch = info.value.report.mismatches[0]
    assert (mismatch.problem, mismatch.step, mismatch.param) == ("convex quadratic", step, "x")
    message = str(info.value).splitlines()[0]
    assert message.startswith(f"{candidate.__name__} on 'convex quadratic' parts from the reference at step {step}, "
                              f"parameter 'x' element ")
    assert f"candidate {mismatch.candidate:.10g} vs reference {mismatch.reference:.10g}" in message
    assert hint in message
    if candidate is not CrashingOptimizer:
        assert mismatch.candidate != mismatch.reference


def test_broken_optimizer_caught_on_device_backend(device_backend):
    with pytest.raises(OptimizerMismatch, match="at step 1"):
        check_optimizer(SGDWithWeightDecayTwice, SGD, lr=1e-2, weight_decay=0.1, problems=["convex quadratic"])


@pytest.mark.parametrize("cls, hp", [(SGD, dict(lr=1e-2, momentum=0.9, nesterov=True)), (Adam, dict(lr=1e-2)),
                                     (AdamW, dict(lr=1e-2)), (NAdam, dict(lr=1e-2))])
def test_correct_optimizer_passes_on_every_problem(cls, hp):
    report = check_optimizer(cls, cls, steps=30, **hp)
    assert report.ok and [r[0] for r in report.results] == ["convex quadratic", "ill-conditioned quadratic",
                                                             "rosenbrock", "small MLP"]
    assert "agrees with the reference on every problem" in str(report)


def test_diverging_reference_stops_the_comparison_without_failing():
    report = compare(lambda ps: SGD(ps, lr=0.1), lambda ps: SGD(ps, lr=0.1), problems=["rosenbrock"], steps=50)
    assert report.ok and "the reference diverged" in str(report)


def test_problems_leave_global_state_alone():
    dtype, state = backend.get_default_dtype(), backend.rng_state()
    check_optimizer(SGD, SGD, lr=1e-2, problems=["small MLP"], steps=3)
    assert backend.get_default_dtype() == dtype and backend.rng_state() == state


def test_check_convergence():
    result = check_convergence(lambda ps: Adam(ps, lr=0.05), "convex quadratic", steps=600, tol=1e-6)
    assert result["final_loss"] <= 1e-6 and len(result["losses"]) == 601
    with pytest.raises(NotConverged, match=r"SGD did not converge on 'rosenbrock' in 20 steps: final loss .* > tol"):
        check_convergence(lambda ps: SGD(ps, lr=1e-4), "rosenbrock", steps=20, tol=1e-6)
    with pytest.raises(ValueError, match="unknown problem 'sphere'"):
        check_convergence(lambda ps: SGD(ps, lr=1e-4), "sphere")


# -- the README's examples run, and say what they do ------------------------------------------------
def _section(name):
    text = README.read_text()
    start, end = text.index(f"<!-- section:{name} -->"), text.index(f"<!-- /section:{name} -->")
    return text[start:end]


def test_readme_write_your_own_lion():
    blocks = re.findall(r"```python\n(.*?)```", _section("write-your-own"), re.S)
    assert len(blocks) == 3
    namespace = {}
    for block in blocks:
        exec(block, namespace)
    assert namespace["result"]["final_loss"] <= 1e-6
    Lion = namespace["Lion"]
    # Lion's first steps against the equations, in NumPy
    rng = np.random.default_rng(0)
    x0, grads = rng.standard_normal(4), rng.standard_normal((5, 4))
    p = Tensor(x0.copy(), requires_grad=True)
    opt = Lion([p], lr=0.1, betas=(0.9, 0.99), weight_decay=0.5)
    x, m = x0.copy(), np.zeros(4)
    for g in grads:
        p.grad = Tensor(g)              # on the default backend, like p
        opt.step()
        c = 0.9 * m + 0.1 * g
        x = x - 0.1 * (np.sign(c) + 0.5 * x)
        m = 0.99 * m + 0.01 * g
        np.testing.assert_allclose(p.numpy(), x, rtol=1e-14)
    with pytest.raises(ValueError, match="Lion: invalid beta parameter at index 0: 1.5"):
        Lion([p], betas=(1.5, 0.9))
    template = namespace["MyOptimizer"]([p], lr=0.5)
    p.grad = Tensor(np.ones(4))
    before = p.numpy().copy()
    template.step()
    np.testing.assert_allclose(p.numpy(), before - 0.5)


def test_readme_checker_message_is_the_real_one():
    section = _section("optimizers")
    code = re.search(r"```python\n(from tinygrad_opt import no_grad\n.*?)```", section, re.S).group(1)
    shown = re.search(r"```text\nOptimizerMismatch: (.*?)\n```", section, re.S).group(1)
    with pytest.raises(OptimizerMismatch) as info:
        exec(code, {})
    assert str(info.value).splitlines()[0] == shown


class AdamWithEpsInsideSqrt(AdamWithoutBiasCorrection):
    @no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                state = self.state[p]
                if not state:
                    state["t"], state["m"], state["v"] = 0, zeros(p), zeros(p)
                state["t"] += 1
                m, v, t = state["m"], state["v"], state["t"]
                m.mul_(beta1).add_(p.grad, alpha=1 - beta1)
                v.mul_(beta2).add_(p.grad * p.grad, alpha=1 - beta2)
                p.data -= group["lr"] * (m / (1 - beta1 ** t)) / (v / (1 - beta2 ** t) + group["eps"]) ** 0.5


def test_the_earliest_step_over_all_problems_is_reported():
    # the quadratics part only near step 27; the MLP, whose small gradients feel eps, at step 1
    with pytest.raises(OptimizerMismatch) as info:
        check_optimizer(AdamWithEpsInsideSqrt, Adam, lr=1e-2)
    first = info.value.report.mismatches[0]
    assert (first.problem, first.step) == ("small MLP", 1)
    assert {r[0]: r[2].step for r in info.value.report.results if r[2]}["convex quadratic"] > 20
    assert str(info.value).startswith("AdamWithEpsInsideSqrt on 'small MLP' parts from the reference at step 1")
