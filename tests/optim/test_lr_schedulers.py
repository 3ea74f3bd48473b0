"""LR schedules: the pure functions, the PyTorch-named classes over them (PyTorch's numbers),
ReduceLROnPlateau, and state_dict round trips."""
import math

import numpy as np
import pytest

from tinygrad_opt import Tensor, optim
from tinygrad_opt.optim import lr_scheduler as S


def _opt(lr=1.0, groups=1):
    params = [Tensor(np.ones(2), requires_grad=True) for _ in range(groups)]
    return optim.SGD([{"params": [p]} for p in params], lr=lr)


def _lrs(scheduler, n):
    out = []
    for _ in range(n):
        out.append(scheduler.get_last_lr()[0])
        scheduler.optimizer.step()
        scheduler.step()
    return out


def test_step_and_multistep():
    assert _lrs(S.StepLR(_opt(0.05), step_size=2, gamma=0.5), 6) == pytest.approx(
        [0.05, 0.05, 0.025, 0.025, 0.0125, 0.0125])
    # torch's docstring example: lr 0.05 for epoch < 30, 0.005 for 30 <= epoch < 80, 0.0005 after
    lrs = _lrs(S.MultiStepLR(_opt(0.05), milestones=[30, 80], gamma=0.1), 100)
    assert lrs[29] == pytest.approx(0.05) and lrs[30] == pytest.approx(0.005)
    assert lrs[79] == pytest.approx(0.005) and lrs[80] == pytest.approx(0.0005)


def test_exponential_and_cosine():
    assert _lrs(S.ExponentialLR(_opt(1.0), gamma=0.9), 4) == pytest.approx([1.0, 0.9, 0.81, 0.729])
    lrs = _lrs(S.CosineAnnealingLR(_opt(0.1), T_max=10, eta_min=0.001), 11)
    assert lrs[0] == pytest.approx(0.1) and lrs[10] == pytest.approx(0.001)
    assert lrs[5] == pytest.approx(0.001 + (0.1 - 0.001) / 2)
    assert all(a > b for a, b in zip(lrs[:-1], lrs[1:], strict=True))


def test_linear_warmup_matches_torch_example():
    # torch's docstring: lr 0.05, start_factor 0.5, total_iters 4 -> 0.025, 0.03125, 0.0375, 0.04375, 0.05, ...
    lrs = _lrs(S.LinearLR(_opt(0.05), start_factor=0.5, total_iters=4), 7)
    assert lrs == pytest.approx([0.025, 0.03125, 0.0375, 0.04375, 0.05, 0.05, 0.05])


def test_classes_are_their_functions_for_each_group():
    opt = _opt(groups=2)
    opt.param_groups[1]["lr"] = 0.5
    sched = S.CosineAnnealingLR(opt, T_max=7)
    for t in range(10):
        assert sched.get_last_lr() == pytest.approx([S.cosine_annealing_lr(t, 1.0, 7),
                                                     S.cosine_annealing_lr(t, 0.5, 7)])
        sched.step()
    assert S.step_lr(7, 2.0, 3, 0.5) == 0.5 and S.multistep_lr(5, 1.0, [2, 5], 0.1) == pytest.approx(0.01)
    assert S.linear_lr(100, 1.0, 0.1, 1.0, 10) == 1.0 and math.isclose(S.exponential_lr(2, 4.0, 0.5), 1.0)


SCHEDULERS = [
    (S.StepLR, dict(step_size=3, gamma=0.5)),
    (S.MultiStepLR, dict(milestones=[2, 5, 6], gamma=0.5)),
    (S.ExponentialLR, dict(gamma=0.8)),
    (S.CosineAnnealingLR, dict(T_max=7, eta_min=0.01)),
    (S.LinearLR, dict(start_factor=0.25, total_iters=6)),
]


@pytest.mark.parametrize("cls, kwargs", SCHEDULERS, ids=[c.__name__ for c, _ in SCHEDULERS])
def test_scheduler_state_dict_round_trip(cls, kwargs):
    """As in PyTorch: save both the optimizer (it holds the lr) and the scheduler, load both."""
    opt = _opt(0.1)
    sched = cls(opt, **kwargs)
    for _ in range(4):
        sched.step()
    saved = sched.state_dict()
    assert saved["last_epoch"] == 4 and saved["base_lrs"] == [0.1] and "optimizer" not in saved
    opt2 = _opt(0.1)
    sched2 = cls(opt2, **kwargs)
    opt2.load_state_dict(opt.state_dict())
    sched2.load_state_dict(saved)
    assert opt2.param_groups[0]["lr"] == opt.param_groups[0]["lr"]
    assert opt2.param_groups[0]["lr"] == pytest.approx(cls(_opt(0.1), **kwargs).lr_at(4, 0.1), rel=1e-12)
    assert sched2.get_last_lr() == sched.get_last_lr()
    for _ in range(5):
        sched.step()
        sched2.step()
        assert sched2.get_last_lr() == sched.get_last_lr()
    with pytest.raises(ValueError, match="keys"):
        sched2.load_state_dict({"last_epoch": 1})


def _sgd_run(with_scheduler, steps=3):
    """An SGD + momentum run of a few steps, optionally under a StepLR; returns (opt, sched)."""
    opt = optim.SGD([{"params": [Tensor(np.ones(2), requires_grad=True)]} for _ in range(2)], lr=0.1, momentum=0.9)
    sched = S.StepLR(opt, step_size=2, gamma=0.5) if with_scheduler else None
    for _ in range(steps):
        for group in opt.param_groups:
            group["params"][0].grad = Tensor(np.full(2, 0.5))     # on the default backend
        opt.step()
        if sched:
            sched.step()
    return opt, sched


def test_optimizer_saved_with_a_scheduler_loads_before_its_scheduler_is_made():
    """PyTorch's usual order: build the optimizer, load its state, then build the scheduler.
    The saved groups carry the scheduler's 'initial_lr'; the fresh optimizer's do not yet."""
    opt, sched = _sgd_run(with_scheduler=True)
    saved, saved_sched = opt.state_dict(), sched.state_dict()
    assert all("initial_lr" in g for g in saved["param_groups"])
    fresh = _opt(0.1, groups=2)
    fresh.load_state_dict(saved)
    assert [g["lr"] for g in fresh.param_groups] == [g["lr"] for g in opt.param_groups]
    assert [g["initial_lr"] for g in fresh.param_groups] == [0.1, 0.1]
    sched2 = S.StepLR(fresh, step_size=2, gamma=0.5)       # base_lrs from the loaded initial_lr
    assert sched2.base_lrs == sched.base_lrs
    sched2.load_state_dict(saved_sched)
    assert sched2.get_last_lr() == sched.get_last_lr()
    with pytest.raises(ValueError, match=r"options \['dampening', 'lr', 'maximize'"):
        fresh.load_state_dict({**saved, "param_groups": [{k: v for k, v in g.items() if k != "momentum"}
                                                         for g in saved["param_groups"]]})


def test_optimizer_saved_without_a_scheduler_loads_into_one_that_has_one():
    opt, _ = _sgd_run(with_scheduler=False)
    saved = opt.state_dict()
    assert not any("initial_lr" in g for g in saved["param_groups"])
    fresh = _opt(0.1, groups=2)
    sched = S.StepLR(fresh, step_size=2, gamma=0.5)
    fresh.load_state_dict(saved)
    assert [g["initial_lr"] for g in fresh.param_groups] == [0.1, 0.1]    # the scheduler's record is kept
    assert fresh.param_groups[0]["momentum"] == 0.9
    sched.step()
    assert sched.get_last_lr() == [0.1, 0.1]


def test_reduce_on_plateau():
    opt = _opt(1.0)
    sched = S.ReduceLROnPlateau(opt, factor=0.5, patience=2, cooldown=1, min_lr=0.2)
    lrs = []
    for metric in [5, 4] + [4] * 13:
        sched.step(metric)
        lrs.append(opt.param_groups[0]["lr"])
    # improvements at 5 and 4; then 3 bad epochs (> patience 2) -> halve; the cooldown epoch resets the
    # count, 3 more bad -> halve again; the next halving (0.125) is stopped at min_lr = 0.2
    assert lrs == [1.0] * 4 + [0.5] * 4 + [0.25] * 4 + [0.2] * 3
    saved = sched.state_dict()
    sched2 = S.ReduceLROnPlateau(_opt(1.0), factor=0.5, patience=2, cooldown=1, min_lr=0.2)
    sched2.load_state_dict(saved)
    assert sched2.num_bad_epochs == sched.num_bad_epochs and sched2.best == 4
    maxi = S.ReduceLROnPlateau(_opt(1.0), mode="max", patience=0, threshold_mode="abs", threshold=0.5)
    maxi.step(1.0)
    maxi.step(1.4)          # not better by more than 0.5 -> reduce
    assert maxi.get_last_lr() == [pytest.approx(0.1)]


def test_scheduler_errors():
    with pytest.raises(TypeError, match="expected an optimizer"):
        S.StepLR(object(), step_size=1)
    with pytest.raises(ValueError, match="step_size must be a positive int"):
        S.StepLR(_opt(), step_size=0)
    with pytest.raises(ValueError, match="milestones must be increasing"):
        S.MultiStepLR(_opt(), milestones=[5, 2])
    with pytest.raises(ValueError, match="mode must be"):
        S.ReduceLROnPlateau(_opt(), mode="lowest")
