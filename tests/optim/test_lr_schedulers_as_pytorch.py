"""LR schedulers behave as torch.optim.lr_scheduler's: chainable ones step from the current lr
(warm-up then decay compounds, a hand-set lr is respected), last_epoch resumes, and every
scheduler gives the lr sequence of PyTorch's documented formulas, computed here in NumPy."""
import numpy as np
import pytest

from tinygrad_opt import Tensor, optim
from tinygrad_opt.optim import lr_scheduler as S


def _opt(lr=1.0, groups=1, cls=optim.SGD, **kw):
    params = [Tensor(np.ones(2), requires_grad=True) for _ in range(groups)]
    return cls([{"params": [p]} for p in params], lr=lr, **kw)


def _lrs(scheduler, n, group=0):
    """The lr of steps 0 .. n-1: read, optimizer.step(), scheduler.step()."""
    out = []
    for _ in range(n):
        out.append(scheduler.optimizer.param_groups[group]["lr"])
        assert scheduler.get_last_lr()[group] == out[-1]
        scheduler.optimizer.step()
        scheduler.step()
    return out


t = np.arange(40)


# -- the documented closed forms, in NumPy (independent of the module's functions) -----------------
def np_linear(base, start, end, total):
    return base * (start + (end - start) * np.minimum(t, total) / total)


def np_cosine(base, T, eta_min):
    return eta_min + (base - eta_min) * (1 + np.cos(np.pi * t / T)) / 2


CLOSED_FORMS = [
    (S.StepLR, dict(step_size=3, gamma=0.5), 0.1 * 0.5 ** (t // 3)),
    (S.MultiStepLR, dict(milestones=[2, 5, 5, 9], gamma=0.5), 0.1 * 0.5 ** np.searchsorted([2, 5, 5, 9], t, "right")),
    (S.ConstantLR, dict(factor=0.5, total_iters=4), 0.1 * np.where(t < 4, 0.5, 1.0)),
    (S.LinearLR, dict(start_factor=0.25, end_factor=0.75, total_iters=6), np_linear(0.1, 0.25, 0.75, 6)),
    (S.ExponentialLR, dict(gamma=0.9), 0.1 * 0.9 ** t),
    (S.PolynomialLR, dict(total_iters=8, power=2.0), 0.1 * (1 - np.minimum(t, 8) / 8) ** 2),
    (S.CosineAnnealingLR, dict(T_max=7, eta_min=0.01), np_cosine(0.1, 7, 0.01)),     # past T_max: back up
    (S.LambdaLR, dict(lr_lambda=lambda e: 0.95 ** e), 0.1 * 0.95 ** t),
    (S.MultiplicativeLR, dict(lr_lambda=lambda e: 0.95), 0.1 * 0.95 ** t),
]


@pytest.mark.parametrize("cls, kwargs, expected", CLOSED_FORMS, ids=[c.__name__ for c, _, _ in CLOSED_FORMS])
def test_sequence_is_the_documented_formula(cls, kwargs, expected):
    np.testing.assert_allclose(_lrs(cls(_opt(0.1), **kwargs), len(t)), expected, rtol=1e-12, atol=1e-15)


def test_pytorch_docstring_examples():
    # ConstantLR: lr 0.05, factor 0.5, total_iters 4 -> 0.025 for epochs 0-3, then 0.05
    assert _lrs(S.ConstantLR(_opt(0.05), factor=0.5, total_iters=4), 6) == pytest.approx([0.025] * 4 + [0.05] * 2)
    # PolynomialLR: lr 0.001, total_iters 4, power 1 -> 0.001, 0.00075, 0.0005, 0.00025, 0
    assert _lrs(S.PolynomialLR(_opt(0.001), total_iters=4, power=1.0), 6) == pytest.approx(
        [0.001, 0.00075, 0.0005, 0.00025, 0.0, 0.0], abs=1e-15)


# -- chaining and hand-set lrs -----------------------------------------------------------------
def test_warmup_then_decay_compound():
    """Two chainable schedulers on one optimizer, both stepped: the product of the two factors."""
    opt = _opt(0.1)
    warmup = S.LinearLR(opt, start_factor=0.1, total_iters=5)
    decay = S.ExponentialLR(opt, gamma=0.9)          # created second: does not reset the warm-up's lr
    assert opt.param_groups[0]["lr"] == pytest.approx(0.01)
    got = []
    for _ in range(12):
        got.append(opt.param_groups[0]["lr"])
        opt.step()
        warmup.step()
        decay.step()
    np.testing.assert_allclose(got, np_linear(0.1, 0.1, 1.0, 5)[:12] * 0.9 ** t[:12], rtol=1e-12)


def test_chained_scheduler_is_the_same_as_stepping_both():
    opt = _opt(0.1)
    chained = S.ChainedScheduler([S.ConstantLR(opt, factor=0.5, total_iters=3), S.ExponentialLR(opt, gamma=0.9)])
    got = _lrs(chained, 10)
    np.testing.assert_allclose(got, 0.1 * np.where(t[:10] < 3, 0.5, 1.0) * 0.9 ** t[:10], rtol=1e-12)
    saved = chained.state_dict()
    assert [s["last_epoch"] for s in saved["_schedulers"]] == [10, 10]


def test_hand_set_lr_is_where_the_next_step_starts():
    opt = _opt(1.0)
    sched = S.StepLR(opt, step_size=2, gamma=0.5)
    sched.step()                                        # t = 1: 1.0
    opt.param_groups[0]["lr"] = 0.3                     # by hand
    sched.step()                                        # t = 2: a decay step, from 0.3
    assert opt.param_groups[0]["lr"] == pytest.approx(0.15)
    sched.step()                                        # t = 3: unchanged
    assert sched.get_last_lr() == [pytest.approx(0.15)]
    cos = S.CosineAnnealingLR(o := _opt(1.0), T_max=10)
    cos.step()
    o.param_groups[0]["lr"] = 0.5
    cos.step()                                          # the distance to eta_min scaled by the cosine ratio
    ratio = (1 + np.cos(np.pi * 2 / 10)) / (1 + np.cos(np.pi * 1 / 10))
    assert o.param_groups[0]["lr"] == pytest.approx(0.5 * ratio, rel=1e-12)


def test_second_scheduler_does_not_reset_the_lr_or_initial_lr():
    opt = _opt(0.1)
    S.StepLR(opt, step_size=1, gamma=0.5).step()        # lr 0.05
    second = S.StepLR(opt, step_size=3, gamma=0.1)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.05) and second.base_lrs == [0.1]


def test_last_epoch_resumes_and_needs_initial_lr():
    with pytest.raises(KeyError, match=r"param_groups\[0\] has no 'initial_lr'"):
        S.StepLR(_opt(0.1), step_size=2, last_epoch=3)
    opt = _opt(0.1)
    S.ExponentialLR(opt, gamma=0.5)
    opt.param_groups[0]["lr"] = 0.1 * 0.5 ** 3          # as a run saved at epoch 3 left it
    resumed = S.ExponentialLR(opt, gamma=0.5, last_epoch=3)
    assert resumed.last_epoch == 4 and resumed.get_last_lr() == [pytest.approx(0.1 * 0.5 ** 4)]
    cos_opt = _opt(0.1)
    cos_opt.param_groups[0]["initial_lr"] = 0.1
    cos = S.CosineAnnealingLR(cos_opt, T_max=10, last_epoch=4)     # resumed: the closed form at t = 5
    assert cos.get_last_lr() == [pytest.approx(np_cosine(0.1, 10, 0.0)[5], rel=1e-12)]


def test_step_with_an_epoch_uses_the_closed_form():
    sched = S.StepLR(_opt(0.1), step_size=3, gamma=0.5)
    sched.step(7)
    assert sched.last_epoch == 7 and sched.get_last_lr() == [pytest.approx(0.1 * 0.25)]


# -- the closed-form schedulers ----------------------------------------------------------------
def np_warm_restarts(base, T_0, T_mult, eta_min, steps):
    out, T_i, T_cur = [], T_0, 0
    for _ in range(steps):
        out.append(eta_min + (base - eta_min) * (1 + np.cos(np.pi * T_cur / T_i)) / 2)
        T_cur += 1
        if T_cur >= T_i:
            T_cur, T_i = T_cur - T_i, T_i * T_mult
    return out


@pytest.mark.parametrize("T_0, T_mult", [(5, 1), (2, 2), (3, 3)])
def test_cosine_warm_restarts(T_0, T_mult):
    sched = S.CosineAnnealingWarmRestarts(_opt(0.1), T_0=T_0, T_mult=T_mult, eta_min=0.001)
    np.testing.assert_allclose(_lrs(sched, 30), np_warm_restarts(0.1, T_0, T_mult, 0.001, 30), rtol=1e-12)
    assert S.cosine_annealing_warm_restarts_lr(6, 0.1, 2, 2, 0.001) == pytest.approx(0.1)     # restarts at 2, 6
    jump = S.CosineAnnealingWarmRestarts(_opt(0.1), T_0=4, eta_min=0.0)
    jump.step(5.5)                                      # a fractional epoch: 1.5 into the second cycle
    assert jump.get_last_lr() == [pytest.approx(0.1 * (1 + np.cos(np.pi * 1.5 / 4)) / 2)]


def np_cyclic(base, top, up, down, mode, gamma, steps):
    out = []
    for k in range(steps):
        cycle = np.floor(1 + k / (up + down))
        x = 1 + k / (up + down) - cycle
        rise = x / (up / (up + down)) if x <= up / (up + down) else (x - 1) / (up / (up + down) - 1)
        scale = {"triangular": 1.0, "triangular2": 0.5 ** (cycle - 1), "exp_range": gamma ** k}[mode]
        out.append(base + (top - base) * rise * scale)
    return np.array(out)


@pytest.mark.parametrize("mode", ["triangular", "triangular2", "exp_range"])
def test_cyclic_lr(mode):
    opt = _opt(1.0, momentum=0.5)
    sched = S.CyclicLR(opt, base_lr=0.01, max_lr=0.1, step_size_up=4, step_size_down=2, mode=mode, gamma=0.97)
    moms = []
    lrs = []
    for _ in range(25):
        lrs.append(opt.param_groups[0]["lr"])
        moms.append(opt.param_groups[0]["momentum"])
        opt.step()
        sched.step()
    expected = np_cyclic(0.01, 0.1, 4, 2, mode, 0.97, 25)
    np.testing.assert_allclose(lrs, expected, rtol=1e-12)
    # the momentum moves the other way: 0.9 at base_lr, 0.8 at max_lr (scaled as the lr's height)
    np.testing.assert_allclose(moms, 0.9 - (0.9 - 0.8) * (expected - 0.01) / (0.1 - 0.01), rtol=1e-12)
    with pytest.raises(ValueError, match="cycle_momentum needs an optimizer with 'momentum' or 'betas'"):
        S.CyclicLR(_opt(cls=optim.Adagrad), base_lr=0.01, max_lr=0.1)


def test_cyclic_lr_on_adam_cycles_beta1():
    opt = _opt(1.0, cls=optim.Adam)
    sched = S.CyclicLR(opt, base_lr=0.01, max_lr=0.1, step_size_up=2)
    sched.step()
    assert opt.param_groups[0]["betas"] == (pytest.approx(0.85), 0.999)


def np_one_cycle(max_lr, total, pct, div, final_div, strategy, three_phase):
    def anneal(a, b, x):
        return b + (a - b) / 2 * (np.cos(np.pi * x) + 1) if strategy == "cos" else (b - a) * x + a
    init, mini = max_lr / div, max_lr / div / final_div
    e1 = pct * total - 1
    phases = ([(0, e1, init, max_lr), (e1, 2 * e1, max_lr, init), (2 * e1, total - 1, init, mini)] if three_phase
              else [(0, e1, init, max_lr), (e1, total - 1, max_lr, mini)])
    out = []
    for k in range(total):
        for i, (s, e, a, b) in enumerate(phases):
            if k <= e or i == len(phases) - 1:
                out.append(anneal(a, b, (k - s) / (e - s)))
                break
    return np.array(out)


@pytest.mark.parametrize("strategy, three_phase", [("cos", False), ("linear", False), ("cos", True)])
def test_one_cycle_lr(strategy, three_phase):
    opt = _opt(123.0, momentum=0.9)
    sched = S.OneCycleLR(opt, max_lr=0.1, epochs=4, steps_per_epoch=5, anneal_strategy=strategy,
                         three_phase=three_phase)
    assert opt.param_groups[0]["initial_lr"] == pytest.approx(0.004)      # max_lr / div_factor, not the lr given
    lrs = _lrs(sched, 20)
    np.testing.assert_allclose(lrs, np_one_cycle(0.1, 20, 0.3, 25.0, 1e4, strategy, three_phase), rtol=1e-12)
    assert lrs[-1] == pytest.approx(0.004 / 1e4)
    assert sched.last_epoch == 20                       # PyTorch allows t = total_steps, not one more
    with pytest.raises(ValueError, match="tried to step 21 times; total_steps is 20"):
        sched.step()


def test_one_cycle_cycles_the_momentum_and_survives_state_dict():
    opt = _opt(1.0, momentum=0.9)
    sched = S.OneCycleLR(opt, max_lr=0.1, total_steps=10)
    assert opt.param_groups[0]["momentum"] == pytest.approx(0.95)
    for _ in range(2):
        sched.step()
    # phase one ends at step 0.3 * 10 - 1 = 2: the momentum there is base_momentum
    assert opt.param_groups[0]["momentum"] == pytest.approx(0.85)
    fresh = _opt(1.0, momentum=0.9)
    fresh.load_state_dict(opt.state_dict())             # the scheduler's group entries are accepted
    assert fresh.param_groups[0]["max_lr"] == 0.1


def test_sequential_lr_hands_over_at_the_milestone():
    """PyTorch's rule: at a milestone the next scheduler jumps to its step 0 (``step(0)``)."""
    opt = _opt(1.0)
    warm = S.ConstantLR(opt, factor=0.1, total_iters=2)
    decay = S.ExponentialLR(opt, gamma=0.9)
    seq = S.SequentialLR(opt, schedulers=[warm, decay], milestones=[3])
    got = _lrs(seq, 8)
    np.testing.assert_allclose(got, [0.1, 0.1, 1.0, 1.0, 0.9, 0.81, 0.729, 0.6561], rtol=1e-12)
    saved = seq.state_dict()
    assert saved["last_epoch"] == 8 and len(saved["_schedulers"]) == 2
    with pytest.raises(ValueError, match="expected 1 milestones for 2 schedulers"):
        S.SequentialLR(opt, schedulers=[warm, decay], milestones=[3, 5])
    with pytest.raises(ValueError, match=r"schedulers\[0\] \(StepLR\) belongs to another optimizer"):
        S.SequentialLR(opt, schedulers=[S.StepLR(_opt(), step_size=1), decay], milestones=[3])


def test_lambda_state_dict_saves_callable_objects_not_functions():
    class Decay:
        def __init__(self):
            self.rate = 0.5

        def __call__(self, epoch):
            return self.rate ** epoch

    opt = _opt(1.0, groups=2)
    sched = S.LambdaLR(opt, lr_lambda=[Decay(), lambda e: 1.0])
    sched.step()
    saved = sched.state_dict()
    assert saved["lr_lambdas"] == [{"rate": 0.5}, None]
    other = Decay()
    other.rate = 0.9
    sched2 = S.LambdaLR(_opt(1.0, groups=2), lr_lambda=[other, lambda e: 1.0])
    sched2.load_state_dict(saved)
    assert other.rate == 0.5 and sched2.last_epoch == 1
    with pytest.raises(ValueError, match=r"expected 2 values for lr_lambda \(one per parameter group\), got 3"):
        S.LambdaLR(opt, lr_lambda=[Decay()] * 3)


def test_new_scheduler_errors():
    with pytest.raises(ValueError, match=r"ConstantLR: factor must be in \[0, 1\]"):
        S.ConstantLR(_opt(), factor=2.0)
    with pytest.raises(ValueError, match="PolynomialLR: total_iters must be a positive int"):
        S.PolynomialLR(_opt(), total_iters=0)
    with pytest.raises(ValueError, match="OneCycleLR: give total_steps, or epochs and steps_per_epoch"):
        S.OneCycleLR(_opt(), max_lr=0.1)
    with pytest.raises(ValueError, match="CyclicLR: mode must be"):
        S.CyclicLR(_opt(momentum=0.9), base_lr=0.1, max_lr=1.0, mode="sawtooth")
    with pytest.raises(ValueError, match="CosineAnnealingWarmRestarts: T_0 must be a positive int"):
        S.CosineAnnealingWarmRestarts(_opt(), T_0=0)
