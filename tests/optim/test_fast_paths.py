"""The fast paths (optim/fast_paths.py) against the rules they reproduce: SGD (momentum,
dampening, Nesterov, momentum switched on mid-run) and Adam, 100 steps, on each backend; and
used only while the class's update() is that rule."""
import numpy as np
import pytest

from tinygrad_opt import Tensor, backend, optim
from tinygrad_opt.optim import fast_paths


class RuleSGD(optim.SGD):
    """SGD with its rule called as written (a new function object: no fast path)."""

    def update(self, p, g, state, group):
        return optim.SGD.update(self, p, g, state, group)


class RuleAdam(optim.Adam):
    def update(self, p, g, state, group):
        return optim.Adam.update(self, p, g, state, group)


CASES = [(optim.SGD, RuleSGD, dict(lr=0.05)), (optim.SGD, RuleSGD, dict(lr=0.05, momentum=0.9)),
         (optim.SGD, RuleSGD, dict(lr=0.05, momentum=0.9, dampening=0.3)),
         (optim.SGD, RuleSGD, dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.1)),
         (optim.SGD, RuleSGD, dict(lr=0.05, momentum=0.8, maximize=True)),
         (optim.Adam, RuleAdam, dict(lr=0.01)), (optim.Adam, RuleAdam, dict(lr=0.01, betas=(0.8, 0.9), eps=1e-3)),
         (optim.Adam, RuleAdam, dict(lr=0.01, weight_decay=0.1, maximize=True)),
         (optim.Adam, RuleAdam, dict(lr=0.01, amsgrad=True))]


@pytest.mark.parametrize("fast, rule, hp", CASES, ids=[f"{f.__name__}-{'-'.join(h)}" for f, _, h in CASES])
def test_fast_path_is_the_rule(fast, rule, hp, device_backend):
    rng = np.random.default_rng(0)
    x0 = [rng.standard_normal((3, 4)), rng.standard_normal(5)]
    grads = [[rng.standard_normal(x.shape) for x in x0] for _ in range(100)]
    a = [Tensor(x.copy(), requires_grad=True) for x in x0]
    b = [Tensor(x.copy(), requires_grad=True) for x in x0]
    opt_fast, opt_rule = fast(a, **hp), rule(b, **hp)
    for t, gs in enumerate(grads):
        if t == 50 and "momentum" not in hp and fast is optim.SGD:
            for o in (opt_fast, opt_rule):
                o.param_groups[0]["momentum"] = 0.9          # switched on mid-run
        for p, q, g in zip(a, b, gs, strict=True):
            p.grad = Tensor(backend.backend_of(p.array).from_host(g))
            q.grad = Tensor(backend.backend_of(q.array).from_host(g))
        opt_fast.step()
        opt_rule.step()
    for p, q in zip(a, b, strict=True):
        np.testing.assert_allclose(p.numpy(), q.numpy(), rtol=1e-12, atol=1e-15)
    # Adam's fast path writes through a work array (amsgrad takes the rule); SGD's needs none
    assert bool(opt_fast.work_arrays) is (fast is optim.Adam and not hp.get("amsgrad", False))
    assert not opt_rule.work_arrays


def test_sgd_with_momentum_runs_its_fast_path(monkeypatch):
    calls = []

    def counted(*args):
        calls.append(1)
        return fast_paths.sgd(*args)
    monkeypatch.setattr(optim.SGD, "fast_path", (optim.SGD.update, counted))
    p = Tensor(np.ones(3), requires_grad=True)
    opt = optim.SGD([p], lr=0.5, momentum=0.9)
    for _ in range(2):
        p.grad = Tensor(np.array([1.0, 2.0, 4.0]))
        opt.step()
    assert len(calls) == 2
    np.testing.assert_allclose(p.numpy(), 1 - 0.5 * (1 + 1.9) * np.array([1.0, 2.0, 4.0]), rtol=1e-15)


def test_sgd_without_momentum_takes_the_rule():
    """Plain SGD's rule, p -= lr g, is already the hand-written loop's update: no fast path, no work array."""
    p = Tensor(np.ones(3), requires_grad=True)
    opt = optim.SGD([p], lr=0.5)
    p.grad = Tensor(np.array([1.0, 2.0, 4.0]))
    opt.step()
    np.testing.assert_array_equal(p.numpy(), [0.5, 0.0, -1.0])
    assert not opt.work_arrays


def test_a_subclass_with_its_own_rule_never_gets_the_fast_path(monkeypatch):
    calls = []
    monkeypatch.setattr(fast_paths, "adam", lambda *a: calls.append(a))
    p = Tensor(np.ones(2), requires_grad=True)
    for cls in (optim.AdamW, RuleAdam):
        opt = cls([p])
        p.grad = Tensor(np.ones(2))
        opt.step()
    assert not calls
    assert optim.Adam.fast_path[0] is optim.Adam.update and optim.SGD.fast_path[0] is optim.SGD.update


def test_work_array_follows_the_parameter():
    p = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    opt = optim.Adam([p], lr=0.1)
    p.grad = Tensor(np.ones(3, dtype=np.float32))
    opt.step()
    first = opt.work_arrays[id(p.array)]
    assert first.shape == (3,) and first.dtype == np.float32
    assert fast_paths.work_array(opt, p.array) is first
    assert fast_paths.work_array(opt, np.ones((2, 2))).shape == (2, 2)


@pytest.mark.parametrize("cls, hp", [(optim.SGD, dict(lr=0.1, momentum=0.9)), (RuleSGD, dict(lr=0.1, momentum=0.9)),
                                     (optim.Adam, dict(lr=0.1)), (RuleAdam, dict(lr=0.1))])
def test_zero_dimensional_parameters_step_like_one_element_ones(cls, hp):
    """A 0-d parameter steps exactly as a one-element one (its state: 0-d arrays, updated in place)."""
    from tinygrad_opt import nn
    scalar, vector = nn.Parameter(np.array(1.5)), nn.Parameter(np.array([1.5]))
    opt_s, opt_v = cls([scalar], **hp), cls([vector], **hp)
    for _ in range(4):
        for p, o in ((scalar, opt_s), (vector, opt_v)):
            o.zero_grad()
            (p * p).sum().backward()
            o.step()
    np.testing.assert_allclose(scalar.numpy(), vector.numpy()[0], rtol=1e-14)
