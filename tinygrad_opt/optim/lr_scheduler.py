"""Learning-rate schedules: readable functions of the step, and PyTorch's scheduler classes.

Where a schedule has a closed form, it is a pure function of the step ``t`` (as in optax),
with no hidden state, so it can be plotted, tested and reasoned about on its own::

    step_lr(t, base_lr, step_size, gamma=0.1)          base_lr gamma^floor(t / step_size)
    multistep_lr(t, base_lr, milestones, gamma=0.1)    base_lr gamma^(number of milestones <= t)
    constant_lr(t, base_lr, factor=1/3, total_iters=5) base_lr factor while t < total_iters, then base_lr
    linear_lr(t, base_lr, start_factor=1/3, end_factor=1, total_iters=5)
                                                       base_lr (start + (end - start) min(t, total_iters) / total_iters)
    exponential_lr(t, base_lr, gamma)                  base_lr gamma^t
    polynomial_lr(t, base_lr, total_iters=5, power=1)  base_lr (1 - min(t, total_iters) / total_iters)^power
    cosine_annealing_lr(t, base_lr, T_max, eta_min=0)  eta_min + (base_lr - eta_min) (1 + cos(pi t / T_max)) / 2
    cosine_annealing_warm_restarts_lr(t, base_lr, T_0, T_mult=1, eta_min=0)
                                                       the half cosine, restarted: cycles T_0, T_0 T_mult, ...
    cyclic_lr(t, base_lr, max_lr, step_size_up, ...)   triangle waves between base_lr and max_lr
    one_cycle_lr(t, max_lr, total_steps, ...)          warm up to max_lr, then anneal far below the start

The classes are ``torch.optim.lr_scheduler``'s, with its numbers for the same calls. Call
``scheduler.step()`` once per epoch (or per iteration), after ``optimizer.step()``. As in
PyTorch, the *chainable* schedulers step from each group's **current** lr (``StepLR``,
``MultiStepLR``, ``ConstantLR``, ``LinearLR``, ``ExponentialLR``, ``PolynomialLR``,
``MultiplicativeLR``, ``CosineAnnealingLR``): each ``step()`` multiplies the lr by the
schedule's ratio ``lr(t) / lr(t - 1)``, so

* two schedulers on one optimizer compound (``LinearLR`` warm-up and ``ExponentialLR``
  decay, both stepped: the product of the two factors; ``ChainedScheduler`` steps a list);
* an lr set by hand (``opt.param_groups[0]["lr"] = 0.01``) is where the next step starts.

The others (``LambdaLR``, ``CosineAnnealingWarmRestarts``, ``CyclicLR``, ``OneCycleLR``) set
the lr from their closed form each step. ``SequentialLR`` hands over from one scheduler to
the next at milestones. ``step(epoch)`` (deprecated in PyTorch) jumps to an epoch with the
closed form. ``last_epoch`` resumes a run (the groups must then hold their ``initial_lr``).
``ReduceLROnPlateau`` follows a validation metric instead of the step.
"""
from __future__ import annotations

import bisect
import math
import types
from typing import TYPE_CHECKING, Callable, Sequence

if TYPE_CHECKING:
    from .optimizer import Optimizer


# -- the schedules: pure functions of the step t = 0, 1, 2, ... ---------------------------------
def step_lr(t: int, base_lr: float, step_size: int, gamma: float = 0.1) -> float:
    """Decay by ``gamma`` every ``step_size`` steps."""
    return base_lr * gamma ** (t // step_size)


def multistep_lr(t: int, base_lr: float, milestones: Sequence[int], gamma: float = 0.1) -> float:
    """Decay by ``gamma`` at each milestone (sorted step numbers)."""
    return base_lr * gamma ** bisect.bisect_right(sorted(milestones), t)


def constant_lr(t: int, base_lr: float, factor: float = 1.0 / 3, total_iters: int = 5) -> float:
    """``factor`` times the lr for the first ``total_iters`` steps, then the lr itself."""
    return base_lr * (factor if t < total_iters else 1.0)


def linear_lr(t: int, base_lr: float, start_factor: float = 1.0 / 3, end_factor: float = 1.0,
              total_iters: int = 5) -> float:
    """Linear ramp of the factor from ``start_factor`` to ``end_factor`` over ``total_iters`` steps (warm-up)."""
    return base_lr * (start_factor + (end_factor - start_factor) * min(t, total_iters) / total_iters)


def exponential_lr(t: int, base_lr: float, gamma: float) -> float:
    """Decay by ``gamma`` every step."""
    return base_lr * gamma ** t


def polynomial_lr(t: int, base_lr: float, total_iters: int = 5, power: float = 1.0) -> float:
    """From ``base_lr`` down to 0 at ``total_iters`` along ``(1 - t / total_iters)^power``."""
    return base_lr * (1.0 - min(t, total_iters) / total_iters) ** power


def cosine_annealing_lr(t: int, base_lr: float, T_max: int, eta_min: float = 0.0) -> float:
    """Half a cosine from ``base_lr`` at t = 0 down to ``eta_min`` at t = T_max (SGDR without restarts)."""
    return eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * t / T_max)) / 2


def cosine_annealing_warm_restarts_lr(t: int, base_lr: float, T_0: int, T_mult: int = 1, eta_min: float = 0.0) -> float:
    """SGDR (Loshchilov & Hutter, 2017): the half cosine over cycles of T_0, T_0 T_mult, ... steps."""
    T_i, T_cur = T_0, t                     # the current cycle's length, the steps into it
    while T_cur >= T_i:                     # a restart: the next cycle is T_mult times longer
        T_cur, T_i = T_cur - T_i, T_i * T_mult
    return eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * T_cur / T_i)) / 2


def cyclic_lr(t: int, base_lr: float, max_lr: float, step_size_up: int = 2000, step_size_down: int | None = None,
              mode: str = "triangular", gamma: float = 1.0, scale_fn: Callable[[float], float] | None = None,
              scale_mode: str = "cycle") -> float:
    """Smith (2017): up from ``base_lr`` to ``max_lr`` in ``step_size_up`` steps, down in ``step_size_down``.

    The wave's height is scaled: "triangular" by 1, "triangular2" by 1/2^(cycle - 1) (cycle =
    1, 2, ...), "exp_range" by gamma^t; or by ``scale_fn(cycle)`` (``scale_fn(t)`` with
    ``scale_mode="iterations"``).
    """
    up = float(step_size_up)
    down = float(step_size_down) if step_size_down is not None else up
    cycle = math.floor(1 + t / (up + down))
    x = 1.0 + t / (up + down) - cycle                    # the position in the cycle, in [0, 1)
    up_share = up / (up + down)
    rise = x / up_share if x <= up_share else (x - 1) / (up_share - 1)      # 0 -> 1 -> 0
    if scale_fn is not None:
        scale = scale_fn(cycle if scale_mode == "cycle" else t)
    else:
        scale = {"triangular": 1.0, "triangular2": 1 / 2.0 ** (cycle - 1), "exp_range": gamma ** t}[mode]
    return base_lr + (max_lr - base_lr) * rise * scale


def one_cycle_lr(t: int, max_lr: float, total_steps: int, pct_start: float = 0.3, anneal_strategy: str = "cos",
                 div_factor: float = 25.0, final_div_factor: float = 1e4, three_phase: bool = False) -> float:
    """Smith & Topin (2018): from max_lr / div_factor up to max_lr over the first ``pct_start``
    of the steps, then down to (max_lr / div_factor) / final_div_factor at the last step
    (``three_phase``: back to the start first, then down)."""
    initial_lr = max_lr / div_factor
    return _one_cycle(t, total_steps, pct_start, three_phase, anneal_strategy,
                      initial_lr, max_lr, initial_lr / final_div_factor)


def _one_cycle(t, total_steps, pct_start, three_phase, strategy, start, peak, final):
    """start -> peak -> final (three_phase: start -> peak -> start -> final), PyTorch's phase ends."""
    rise_end = float(pct_start * total_steps) - 1
    if three_phase:
        phases = [(0.0, rise_end, start, peak), (rise_end, 2 * rise_end, peak, start),
                  (2 * rise_end, total_steps - 1, start, final)]
    else:
        phases = [(0.0, rise_end, start, peak), (rise_end, total_steps - 1, peak, final)]
    for i, (begin, end, a, b) in enumerate(phases):
        if t <= end or i == len(phases) - 1:
            return _anneal(strategy, a, b, (t - begin) / (end - begin))


def _anneal(strategy, start, end, pct):
    """From ``start`` (pct = 0) to ``end`` (pct = 1): half a cosine ("cos") or a line ("linear")."""
    if strategy == "cos":
        return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
    return (end - start) * pct + start


# -- the classes ---------------------------------------------------------------------------------
def _optimizer_groups(name, optimizer):
    groups = getattr(optimizer, "param_groups", None)
    if not isinstance(groups, list) or not all(isinstance(g, dict) and "lr" in g for g in groups):
        raise TypeError(f"{name}: expected an optimizer (with param_groups holding an 'lr'), "
                        f"got {type(optimizer).__name__}")
    return groups


def _positive_int(name, what, value):
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{name}: {what} must be a positive int, got {value!r}")


def _per_group(name, what, value, groups):
    """One value per parameter group: a list or tuple of them, or one for all."""
    if isinstance(value, (list, tuple)):
        if len(value) != len(groups):
            raise ValueError(f"{name}: expected {len(groups)} values for {what} (one per parameter group), "
                             f"got {len(value)}")
        return list(value)
    return [value] * len(groups)


class LRScheduler:
    """Base class. A subclass gives its rule as ``ratio(t)`` (chainable: the lr of step t is
    the current lr times ``ratio(t)``) or as ``get_lr()`` (each group's new lr), and its
    closed form as ``lr_at(t, base_lr)`` where it has one.

    Creating a scheduler records each group's starting lr as ``initial_lr`` (the ``base_lrs``)
    and takes the step to ``last_epoch + 1`` (0 for a new run), as PyTorch does.
    """

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        name = type(self).__name__
        groups = _optimizer_groups(name, optimizer)
        self.optimizer = optimizer
        for i, group in enumerate(groups):
            if last_epoch == -1:
                group.setdefault("initial_lr", group["lr"])
            elif "initial_lr" not in group:
                raise KeyError(f"{name}: param_groups[{i}] has no 'initial_lr'; resuming with last_epoch="
                               f"{last_epoch} needs the optimizer's state from the run (load_state_dict first)")
        self.base_lrs = [group["initial_lr"] for group in groups]
        self.last_epoch = last_epoch
        self._initial_step()

    def _initial_step(self):
        self._step_count = 0
        self.step()

    def ratio(self, t: int) -> float:
        """The chainable rule: the lr of step t over the lr of step t - 1."""
        raise NotImplementedError(f"{type(self).__name__} must define ratio(t) or get_lr()")

    def get_lr(self) -> list[float]:
        """Each group's lr for the step ``self.last_epoch``, from its current lr."""
        ratio = self.ratio(self.last_epoch)
        return [group["lr"] * ratio for group in self.optimizer.param_groups]

    def lr_at(self, t: int, base_lr: float) -> float | None:
        """The closed form lr(t), where the schedule has one (``step(epoch)`` uses it), else None."""
        return None

    def step(self, epoch: int | None = None) -> None:
        """Advance one step (or jump to ``epoch``, by the closed form) and set every group's lr."""
        self._step_count += 1
        if epoch is None:
            self.last_epoch += 1
            values = self.get_lr()
        else:
            self.last_epoch = epoch
            values = [self.lr_at(epoch, base_lr) for base_lr in self.base_lrs]
            if None in values:
                values = self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, values, strict=True):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self) -> list[float]:
        """The lr of each group, as set by the last ``step()``."""
        return list(self._last_lr)

    def state_dict(self) -> dict:
        """Everything but the optimizer: the settings, ``base_lrs``, ``last_epoch``, ``_last_lr``."""
        return {k: (list(v) if isinstance(v, list) else v) for k, v in vars(self).items() if k != "optimizer"}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore a saved scheduler (load the optimizer's own state_dict too: it holds the lr)."""
        name = f"{type(self).__name__}.load_state_dict"
        expected = set(self.state_dict())
        if set(state_dict) != expected:
            raise ValueError(f"{name}: keys {sorted(state_dict)} in the state_dict, expected {sorted(expected)}")
        if len(state_dict["base_lrs"]) != len(self.optimizer.param_groups):
            raise ValueError(f"{name}: the state_dict has {len(state_dict['base_lrs'])} base_lrs, the optimizer "
                             f"has {len(self.optimizer.param_groups)} parameter groups")
        self.__dict__.update(state_dict)


class StepLR(LRScheduler):
    """lr = base_lr gamma^floor(t / step_size): times gamma every ``step_size`` steps."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1) -> None:
        _positive_int("StepLR", "step_size", step_size)
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)

    def ratio(self, t: int) -> float:
        return self.gamma if t > 0 and t % self.step_size == 0 else 1.0

    def lr_at(self, t: int, base_lr: float) -> float | None:
        return step_lr(t, base_lr, self.step_size, self.gamma)


class MultiStepLR(LRScheduler):
    """lr = base_lr gamma^(number of milestones <= t): times gamma at each milestone."""

    def __init__(self, optimizer: Optimizer, milestones: Sequence[int], gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        milestones = list(milestones)
        if milestones != sorted(milestones) or not all(isinstance(m, int) and m >= 0 for m in milestones):
            raise ValueError(f"MultiStepLR: milestones must be increasing non-negative ints, got {milestones!r}")
        self.milestones, self.gamma = milestones, gamma
        super().__init__(optimizer, last_epoch)

    def ratio(self, t: int) -> float:
        return self.gamma ** self.milestones.count(t)       # a milestone given twice decays twice

    def lr_at(self, t: int, base_lr: float) -> float | None:
        return multistep_lr(t, base_lr, self.milestones, self.gamma)


class ConstantLR(LRScheduler):
    """lr = base_lr factor for t < total_iters, then base_lr."""

    def __init__(self, optimizer: Optimizer, factor: float = 1.0 / 3, total_iters: int = 5,
                 last_epoch: int = -1) -> None:
        if not 0 <= factor <= 1:
            raise ValueError(f"ConstantLR: factor must be in [0, 1], got {factor!r}")
        self.factor, self.total_iters = factor, total_iters
        super().__init__(optimizer, last_epoch)

    def ratio(self, t: int) -> float:
        if t == 0:
            return self.factor
        return 1.0 / self.factor if t == self.total_iters else 1.0

    def lr_at(self, t: int, base_lr: float) -> float | None:
        return constant_lr(t, base_lr, self.factor, self.total_iters)


class LinearLR(LRScheduler):
    """Warm-up: lr = base_lr (start_factor + (end_factor - start_factor) min(t, total_iters) / total_iters)."""

    def __init__(self, optimizer: Optimizer, start_factor: float = 1.0 / 3, end_factor: float = 1.0,
                 total_iters: int = 5, last_epoch: int = -1) -> None:
        if not 0 < start_factor <= 1 or not 0 <= end_factor <= 1:
            raise ValueError(f"LinearLR: start_factor must be in (0, 1] and end_factor in [0, 1], got "
                             f"start_factor={start_factor}, end_factor={end_factor}")
        _positive_int("LinearLR", "total_iters", total_iters)
        self.start_factor, self.end_factor, self.total_iters = start_factor, end_factor, total_iters
        super().__init__(optimizer, last_epoch)

    def ratio(self, t: int) -> float:
        if t == 0:
            return self.start_factor
        if t > self.total_iters:
            return 1.0
        slope = self.end_factor - self.start_factor       # lr(t) / lr(t - 1), written as PyTorch does
        return 1.0 + slope / (self.total_iters * self.start_factor + (t - 1) * slope)

    def lr_at(self, t: int, base_lr: float) -> float | None:
        return linear_lr(t, base_lr, self.start_factor, self.end_factor, self.total_iters)


class ExponentialLR(LRScheduler):
    """lr = base_lr gamma^t."""

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        if not gamma > 0:
            raise ValueError(f"ExponentialLR: gamma must be > 0, got {gamma!r}")
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def ratio(self, t: int) -> float:
        return self.gamma if t > 0 else 1.0

    def lr_at(self, t: int, base_lr: float) -> float | None:
        return exponential_lr(t, base_lr, self.gamma)


class PolynomialLR(LRScheduler):
    """lr = base_lr (1 - min(t, total_iters) / total_iters)^power: down to 0 at total_iters."""

    def __init__(self, optimizer: Optimizer, total_iters: int = 5, power: float = 1.0, last_epoch: int = -1) -> None:
        _positive_int("PolynomialLR", "total_iters", total_iters)
        self.total_iters, self.power = total_iters, power
        super().__init__(optimizer, last_epoch)

    def ratio(self, t: int) -> float:
        if t == 0 or t > self.total_iters:
            return 1.0
        return ((1.0 - t / self.total_iters) / (1.0 - (t - 1) / self.total_iters)) ** self.power

    def lr_at(self, t: int, base_lr: float) -> float | None:
        return polynomial_lr(t, base_lr, self.total_iters, self.power)


class _Lambdas(LRScheduler):
    """The user's functions of the step, one per group. In a state_dict a callable object is
    saved as its attributes (its ``__dict__``); a plain function or lambda is not saved."""

    def __init__(self, optimizer: Optimizer, lr_lambda: Callable[[int], float] | Sequence[Callable[[int], float]],
                 last_epoch: int = -1) -> None:
        name = type(self).__name__
        self.lr_lambdas = _per_group(name, "lr_lambda", lr_lambda, _optimizer_groups(name, optimizer))
        super().__init__(optimizer, last_epoch)

    def state_dict(self) -> dict:
        saved = super().state_dict()
        saved["lr_lambdas"] = [None if isinstance(f, types.FunctionType) else dict(vars(f))
                               for f in self.lr_lambdas]
        return saved

    def load_state_dict(self, state_dict: dict) -> None:
        state_dict = dict(state_dict)
        for f, saved in zip(self.lr_lambdas, state_dict.pop("lr_lambdas"), strict=True):
            if saved is not None:
                f.__dict__.update(saved)
        super().load_state_dict({**state_dict, "lr_lambdas": self.lr_lambdas})


class LambdaLR(_Lambdas):
    """lr = base_lr lr_lambda(t), ``lr_lambda`` a function of the step (or one per group). Not chainable."""

    def get_lr(self) -> list[float]:
        return [base_lr * f(self.last_epoch) for f, base_lr in zip(self.lr_lambdas, self.base_lrs, strict=True)]


class MultiplicativeLR(_Lambdas):
    """lr_t = lr_{t-1} lr_lambda(t) for t >= 1: the factor of each step is the user's function."""

    def get_lr(self) -> list[float]:
        t = self.last_epoch
        groups = self.optimizer.param_groups
        return [group["lr"] * (f(t) if t > 0 else 1.0) for f, group in zip(self.lr_lambdas, groups, strict=True)]


class CosineAnnealingLR(LRScheduler):
    """lr = eta_min + (base_lr - eta_min) (1 + cos(pi t / T_max)) / 2.

    Chainable as PyTorch's: each step scales the distance to eta_min by the ratio of
    ``1 + cos`` at t and t - 1; past T_max the cosine comes back up.
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1) -> None:
        _positive_int("CosineAnnealingLR", "T_max", T_max)
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        t, T, eta_min = self.last_epoch, self.T_max, self.eta_min
        groups = self.optimizer.param_groups
        if t == 0:
            return [group["lr"] for group in groups]
        if self._step_count == 1:                            # resumed at last_epoch > 0: the closed form
            return [self.lr_at(t, base_lr) for base_lr in self.base_lrs]
        if (t - 1 - T) % (2 * T) == 0:                       # just past the bottom, where the ratio is 0 / 0
            return [group["lr"] + (base_lr - eta_min) * (1 - math.cos(math.pi / T)) / 2
                    for base_lr, group in zip(self.base_lrs, groups, strict=True)]
        ratio = (1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T))
        return [eta_min + (group["lr"] - eta_min) * ratio for group in groups]

    def lr_at(self, t: int, base_lr: float) -> float | None:
        return cosine_annealing_lr(t, base_lr, self.T_max, self.eta_min)


class CosineAnnealingWarmRestarts(LRScheduler):
    """SGDR: lr = eta_min + (base_lr - eta_min) (1 + cos(pi T_cur / T_i)) / 2, where T_cur counts the
    steps since the last restart and T_i is the current cycle's length (T_0, T_0 T_mult, ...).

    ``step(epoch)`` takes a fractional epoch (``step(epoch + i / iters_per_epoch)``), as PyTorch's.
    """

    def __init__(self, optimizer: Optimizer, T_0: int, T_mult: int = 1, eta_min: float = 0.0,
                 last_epoch: int = -1) -> None:
        _positive_int("CosineAnnealingWarmRestarts", "T_0", T_0)
        _positive_int("CosineAnnealingWarmRestarts", "T_mult", T_mult)
        self.T_0, self.T_i, self.T_mult, self.eta_min = T_0, T_0, T_mult, eta_min
        self.T_cur = last_epoch
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return [self.eta_min + (base_lr - self.eta_min) * (1 + math.cos(math.pi * self.T_cur / self.T_i)) / 2
                for base_lr in self.base_lrs]

    def step(self, epoch: int | None = None) -> None:
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:                                    # one more step into the cycle
            epoch = self.last_epoch + 1
            self.T_cur += 1
            if self.T_cur >= self.T_i:                       # a restart
                self.T_cur, self.T_i = self.T_cur - self.T_i, self.T_i * self.T_mult
        else:                                                # a jump: find the cycle of ``epoch``
            if epoch < 0:
                raise ValueError(f"CosineAnnealingWarmRestarts: epoch must be >= 0, got {epoch}")
            self.T_i, self.T_cur = self.T_0, epoch
            while self.T_cur >= self.T_i:
                self.T_cur, self.T_i = self.T_cur - self.T_i, self.T_i * self.T_mult
        self.last_epoch = math.floor(epoch)
        self._step_count += 1
        for group, lr in zip(self.optimizer.param_groups, self.get_lr(), strict=True):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]


class _MomentumCycle:
    """Cycle the momentum against the lr (CyclicLR, OneCycleLR): SGD's ``momentum``, or
    beta1 of ``betas`` for the Adam family."""

    def _setup_momentum(self, name, optimizer, base_momentum, max_momentum, last_epoch):
        defaults = getattr(optimizer, "defaults", {})
        if "momentum" not in defaults and "betas" not in defaults:
            raise ValueError(f"{name}: cycle_momentum needs an optimizer with 'momentum' or 'betas' "
                             f"(pass cycle_momentum=False for {type(optimizer).__name__})")
        self.use_beta1 = "betas" in defaults
        groups = optimizer.param_groups
        self.base_momentums = _per_group(name, "base_momentum", base_momentum, groups)
        self.max_momentums = _per_group(name, "max_momentum", max_momentum, groups)
        if last_epoch == -1:
            for group, low, high in zip(groups, self.base_momentums, self.max_momentums, strict=True):
                self._set_momentum(group, high)
                group["max_momentum"], group["base_momentum"] = high, low

    def _set_momentum(self, group, momentum):
        if self.use_beta1:
            group["betas"] = (momentum, *group["betas"][1:])
        else:
            group["momentum"] = momentum


class CyclicLR(_MomentumCycle, LRScheduler):
    """Cyclical learning rates (Smith, 2017): :func:`cyclic_lr` for each group, stepped per batch.

    With ``cycle_momentum`` the momentum moves the other way, from max_momentum down to
    base_momentum as the lr rises. ``scale_fn(x)`` (with ``scale_mode`` "cycle" or
    "iterations") replaces the mode's scaling.
    """

    def __init__(self, optimizer: Optimizer, base_lr: float | Sequence[float], max_lr: float | Sequence[float],
                 step_size_up: int = 2000, step_size_down: int | None = None, mode: str = "triangular",
                 gamma: float = 1.0, scale_fn: Callable[[float], float] | None = None, scale_mode: str = "cycle",
                 cycle_momentum: bool = True, base_momentum: float | Sequence[float] = 0.8,
                 max_momentum: float | Sequence[float] = 0.9, last_epoch: int = -1) -> None:
        name = "CyclicLR"
        groups = _optimizer_groups(name, optimizer)
        if scale_fn is None and mode not in ("triangular", "triangular2", "exp_range"):
            raise ValueError(f"CyclicLR: mode must be 'triangular', 'triangular2' or 'exp_range', got {mode!r}")
        base_lrs = _per_group(name, "base_lr", base_lr, groups)
        if last_epoch == -1:
            for group, lr in zip(groups, base_lrs, strict=True):
                group["lr"] = lr
        self.max_lrs = _per_group(name, "max_lr", max_lr, groups)
        self.step_size_up = float(step_size_up)
        self.step_size_down = float(step_size_down) if step_size_down is not None else self.step_size_up
        self.mode, self.gamma, self.scale_fn, self.scale_mode = mode, gamma, scale_fn, scale_mode
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self._setup_momentum(name, optimizer, base_momentum, max_momentum, last_epoch)
        super().__init__(optimizer, last_epoch)
        self.base_lrs = base_lrs

    def get_lr(self) -> list[float]:
        # how far up the wave this step is: the wave from 0 to 1, scaled
        height = cyclic_lr(self.last_epoch, 0.0, 1.0, self.step_size_up, self.step_size_down, self.mode,
                           self.gamma, self.scale_fn, self.scale_mode)
        if self.cycle_momentum:
            for group, low, high in zip(self.optimizer.param_groups, self.base_momentums, self.max_momentums,
                                        strict=True):
                self._set_momentum(group, high - (high - low) * height)
        return [base_lr + (max_lr - base_lr) * height
                for base_lr, max_lr in zip(self.base_lrs, self.max_lrs, strict=True)]

    def state_dict(self) -> dict:
        saved = super().state_dict()
        saved["scale_fn"] = None                 # a function is not saved (PyTorch's rule too)
        return saved

    def load_state_dict(self, state_dict: dict) -> None:
        super().load_state_dict({**state_dict, "scale_fn": self.scale_fn})


class OneCycleLR(_MomentumCycle, LRScheduler):
    """The 1cycle policy (Smith & Topin, 2018): :func:`one_cycle_lr` for each group, stepped per batch.

    Starts at max_lr / div_factor (the group's ``initial_lr``), rises to ``max_lr`` over
    ``pct_start`` of ``total_steps`` (or ``epochs * steps_per_epoch``), then anneals to
    initial_lr / final_div_factor. With ``cycle_momentum`` the momentum goes the other way.
    Stepping past ``total_steps`` is an error.
    """

    def __init__(self, optimizer: Optimizer, max_lr: float | Sequence[float], total_steps: int | None = None,
                 epochs: int | None = None, steps_per_epoch: int | None = None, pct_start: float = 0.3,
                 anneal_strategy: str = "cos", cycle_momentum: bool = True,
                 base_momentum: float | Sequence[float] = 0.85, max_momentum: float | Sequence[float] = 0.95,
                 div_factor: float = 25.0, final_div_factor: float = 1e4, three_phase: bool = False,
                 last_epoch: int = -1) -> None:
        name = "OneCycleLR"
        groups = _optimizer_groups(name, optimizer)
        if total_steps is None:
            if epochs is None or steps_per_epoch is None:
                raise ValueError("OneCycleLR: give total_steps, or epochs and steps_per_epoch")
            _positive_int(name, "epochs", epochs)
            _positive_int(name, "steps_per_epoch", steps_per_epoch)
            total_steps = epochs * steps_per_epoch
        _positive_int(name, "total_steps", total_steps)
        if not 0 <= pct_start <= 1 or isinstance(pct_start, bool):
            raise ValueError(f"OneCycleLR: pct_start must be a number in [0, 1], got {pct_start!r}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"OneCycleLR: anneal_strategy must be 'cos' or 'linear', got {anneal_strategy!r}")
        self.total_steps, self.pct_start, self.anneal_strategy = total_steps, pct_start, anneal_strategy
        self.three_phase = three_phase
        if last_epoch == -1:
            for group, peak in zip(groups, _per_group(name, "max_lr", max_lr, groups), strict=True):
                group["initial_lr"] = peak / div_factor
                group["max_lr"] = peak
                group["min_lr"] = group["initial_lr"] / final_div_factor
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self._setup_momentum(name, optimizer, base_momentum, max_momentum, last_epoch)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        t = self.last_epoch
        if t > self.total_steps:
            raise ValueError(f"OneCycleLR: tried to step {t} times; total_steps is {self.total_steps}")
        phases = (t, self.total_steps, self.pct_start, self.three_phase, self.anneal_strategy)
        lrs = []
        for group in self.optimizer.param_groups:
            lrs.append(_one_cycle(*phases, group["initial_lr"], group["max_lr"], group["min_lr"]))
            if self.cycle_momentum:     # the momentum goes the other way: max -> base -> max
                high, low = group["max_momentum"], group["base_momentum"]
                self._set_momentum(group, _one_cycle(*phases, high, low, high))
        return lrs


class _Schedulers:
    """What SequentialLR and ChainedScheduler share: the lr of the last step, and a state_dict
    holding each scheduler's own."""

    def get_last_lr(self) -> list[float]:
        return list(self._last_lr)

    def state_dict(self) -> dict:
        saved = {k: v for k, v in vars(self).items() if k not in ("optimizer", "_schedulers")}
        saved["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return saved

    def load_state_dict(self, state_dict: dict) -> None:
        state_dict = dict(state_dict)
        for scheduler, saved in zip(self._schedulers, state_dict.pop("_schedulers"), strict=True):
            scheduler.load_state_dict(saved)
        self.__dict__.update(state_dict)


class SequentialLR(_Schedulers):
    """Run ``schedulers`` one after another: the i-th from step ``milestones[i - 1]`` on.

    Each hands over by jumping the next one to its step 0 (``step(0)``), PyTorch's rule.
    """

    def __init__(self, optimizer: Optimizer, schedulers: Sequence[LRScheduler], milestones: Sequence[int],
                 last_epoch: int = -1) -> None:
        _check_schedulers("SequentialLR", optimizer, schedulers)
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(f"SequentialLR: expected {len(schedulers) - 1} milestones for {len(schedulers)} "
                             f"schedulers, got {len(milestones)}")
        self.optimizer, self._schedulers, self._milestones = optimizer, list(schedulers), list(milestones)
        self.last_epoch = last_epoch + 1
        for group in optimizer.param_groups:             # undo the schedulers' own first steps ...
            group["lr"] = group["initial_lr"]
        for scheduler in self._schedulers:
            scheduler.last_epoch -= 1
        self._schedulers[0]._initial_step()              # ... and take the first one's only
        self._last_lr = self._schedulers[0].get_last_lr()

    def step(self) -> None:
        self.last_epoch += 1
        i = bisect.bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[i]
        if i > 0 and self._milestones[i - 1] == self.last_epoch:
            scheduler.step(0)
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()


class ChainedScheduler(_Schedulers):
    """Step every scheduler in ``schedulers`` at each ``step()``: chainable ones compound."""

    def __init__(self, schedulers: Sequence[LRScheduler], optimizer: Optimizer | None = None) -> None:
        schedulers = list(schedulers)
        optimizer = optimizer if optimizer is not None or not schedulers else schedulers[0].optimizer
        _check_schedulers("ChainedScheduler", optimizer, schedulers)
        self.optimizer, self._schedulers = optimizer, schedulers
        self._last_lr = [group["lr"] for group in optimizer.param_groups]

    def step(self) -> None:
        for scheduler in self._schedulers:
            scheduler.step()
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]


def _check_schedulers(name, optimizer, schedulers):
    if not schedulers:
        raise ValueError(f"{name}: expected at least one scheduler")
    for i, scheduler in enumerate(schedulers):
        if getattr(scheduler, "optimizer", None) is not optimizer:
            raise ValueError(f"{name}: schedulers[{i}] ({type(scheduler).__name__}) belongs to another optimizer; "
                             f"all must schedule the same one")


class ReduceLROnPlateau:
    """Multiply the lr by ``factor`` when ``metric`` has not improved for ``patience`` calls.

    ``scheduler.step(val_loss)`` once per epoch. "Improved" (mode "min", threshold_mode
    "rel"): ``metric < best * (1 - threshold)``; "abs": ``metric < best - threshold``; mode
    "max" mirrors both. After a reduction, ``cooldown`` calls pass before counting again;
    the lr never goes below ``min_lr``, and changes smaller than ``eps`` are skipped.
    """

    def __init__(self, optimizer: Optimizer, mode: str = "min", factor: float = 0.1, patience: int = 10,
                 threshold: float = 1e-4, threshold_mode: str = "rel", cooldown: int = 0,
                 min_lr: float | Sequence[float] = 0.0, eps: float = 1e-8) -> None:
        groups = _optimizer_groups("ReduceLROnPlateau", optimizer)
        if mode not in ("min", "max"):
            raise ValueError(f"ReduceLROnPlateau: mode must be 'min' or 'max', got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"ReduceLROnPlateau: threshold_mode must be 'rel' or 'abs', got {threshold_mode!r}")
        if not 0 <= factor < 1:
            raise ValueError(f"ReduceLROnPlateau: factor must be in [0, 1), got {factor!r}")
        self.optimizer = optimizer
        self.mode, self.factor, self.patience = mode, factor, patience
        self.threshold, self.threshold_mode = threshold, threshold_mode
        self.cooldown, self.eps = cooldown, eps
        self.min_lrs = _per_group("ReduceLROnPlateau", "min_lr", min_lr, groups)
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self.last_epoch = 0

    def is_better(self, metric: float, best: float) -> bool:
        if self.mode == "min":
            return metric < (best * (1 - self.threshold) if self.threshold_mode == "rel" else best - self.threshold)
        return metric > (best * (1 + self.threshold) if self.threshold_mode == "rel" else best + self.threshold)

    def step(self, metric: float) -> None:
        metric = float(metric)
        self.last_epoch += 1
        if self.is_better(metric, self.best):
            self.best, self.num_bad_epochs = metric, 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            for group, min_lr in zip(self.optimizer.param_groups, self.min_lrs, strict=True):
                new_lr = max(group["lr"] * self.factor, min_lr)
                if group["lr"] - new_lr > self.eps:
                    group["lr"] = new_lr
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0

    def get_last_lr(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self) -> dict:
        return {k: (list(v) if isinstance(v, list) else v) for k, v in vars(self).items() if k != "optimizer"}

    def load_state_dict(self, state_dict: dict) -> None:
        expected = set(self.state_dict())
        if set(state_dict) != expected:
            raise ValueError(f"ReduceLROnPlateau.load_state_dict: keys {sorted(state_dict)} in the state_dict, "
                             f"expected {sorted(expected)}")
        self.__dict__.update(state_dict)
