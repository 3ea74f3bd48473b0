"""Learning-rate schedules: each one a pure function of the step, and PyTorch-named classes over them.

The schedule *is* the function (as in optax): ``lr = schedule(t, base_lr, ...)``, with no
hidden state, so it can be plotted, tested and reasoned about on its own::

    step_lr(t, base_lr, step_size, gamma=0.1)            base_lr * gamma^floor(t / step_size)
    multistep_lr(t, base_lr, milestones, gamma=0.1)      base_lr * gamma^(number of milestones <= t)
    exponential_lr(t, base_lr, gamma)                    base_lr * gamma^t
    cosine_annealing_lr(t, base_lr, T_max, eta_min=0)    eta_min + (base_lr - eta_min) (1 + cos(pi t / T_max)) / 2
    linear_lr(t, base_lr, start_factor=1/3, end_factor=1, total_iters=5)
                                                         base_lr * (start + (end - start) min(t, total_iters) / total_iters)

The classes (``StepLR``, ``MultiStepLR``, ``ExponentialLR``, ``CosineAnnealingLR``, ``LinearLR``)
keep the step count ``last_epoch`` and, on each ``scheduler.step()``, set every parameter
group's ``lr`` to the function's value, as ``torch.optim.lr_scheduler`` does (call it once
per epoch, or per iteration, after ``optimizer.step()``). They give PyTorch's numbers
(PyTorch's closed forms); unlike PyTorch's they *set* the lr rather than multiply it, so
two schedulers on one optimizer do not compound: compose the functions instead.

``ReduceLROnPlateau`` is different: its lr depends on the validation metric it is given,
not on the step, so it is a small state machine rather than a function.
"""
import bisect
import math


# -- the schedules: pure functions of the step t = 0, 1, 2, ... ---------------------------------
def step_lr(t, base_lr, step_size, gamma=0.1):
    """Decay by ``gamma`` every ``step_size`` steps."""
    return base_lr * gamma ** (t // step_size)


def multistep_lr(t, base_lr, milestones, gamma=0.1):
    """Decay by ``gamma`` at each milestone (sorted step numbers)."""
    return base_lr * gamma ** bisect.bisect_right(sorted(milestones), t)


def exponential_lr(t, base_lr, gamma):
    """Decay by ``gamma`` every step."""
    return base_lr * gamma ** t


def cosine_annealing_lr(t, base_lr, T_max, eta_min=0.0):
    """Half a cosine from ``base_lr`` at t = 0 down to ``eta_min`` at t = T_max (SGDR without restarts)."""
    return eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * t / T_max)) / 2


def linear_lr(t, base_lr, start_factor=1.0 / 3, end_factor=1.0, total_iters=5):
    """Linear ramp of the factor from ``start_factor`` to ``end_factor`` over ``total_iters`` steps (warm-up)."""
    return base_lr * (start_factor + (end_factor - start_factor) * min(t, total_iters) / total_iters)


# -- the classes ---------------------------------------------------------------------------------
def _optimizer_groups(name, optimizer):
    groups = getattr(optimizer, "param_groups", None)
    if not isinstance(groups, list) or not all(isinstance(g, dict) and "lr" in g for g in groups):
        raise TypeError(f"{name}: expected an optimizer (with param_groups holding an 'lr'), "
                        f"got {type(optimizer).__name__}")
    return groups


class LRScheduler:
    """Base class: ``lr_at(t, base_lr)`` is the schedule; ``step()`` advances t and applies it.

    Creating a scheduler applies the lr of step 0 and records each group's starting lr as
    ``initial_lr`` (the ``base_lrs``), as PyTorch does.
    """

    def __init__(self, optimizer):
        groups = _optimizer_groups(type(self).__name__, optimizer)
        self.optimizer = optimizer
        for group in groups:
            group.setdefault("initial_lr", group["lr"])
        self.base_lrs = [group["initial_lr"] for group in groups]
        self.last_epoch = 0
        self._apply()

    def lr_at(self, t, base_lr):
        raise NotImplementedError

    def _apply(self):
        for group, base_lr in zip(self.optimizer.param_groups, self.base_lrs):
            group["lr"] = self.lr_at(self.last_epoch, base_lr)

    def step(self):
        self.last_epoch += 1
        self._apply()

    def get_last_lr(self):
        """The lr of each group, as set by the last ``step()``."""
        return [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self):
        """Everything but the optimizer: the settings, ``base_lrs`` and ``last_epoch``."""
        return {k: (list(v) if isinstance(v, list) else v) for k, v in vars(self).items() if k != "optimizer"}

    def load_state_dict(self, state_dict):
        name = f"{type(self).__name__}.load_state_dict"
        expected = set(self.state_dict())
        if set(state_dict) != expected:
            raise ValueError(f"{name}: keys {sorted(state_dict)} in the state_dict, expected {sorted(expected)}")
        if len(state_dict["base_lrs"]) != len(self.optimizer.param_groups):
            raise ValueError(f"{name}: the state_dict has {len(state_dict['base_lrs'])} base_lrs, the optimizer "
                             f"has {len(self.optimizer.param_groups)} parameter groups")
        self.__dict__.update(state_dict)
        self._apply()


class StepLR(LRScheduler):
    """lr = base_lr * gamma^floor(t / step_size)."""

    def __init__(self, optimizer, step_size, gamma=0.1):
        if not isinstance(step_size, int) or step_size <= 0:
            raise ValueError(f"StepLR: step_size must be a positive int, got {step_size!r}")
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer)

    def lr_at(self, t, base_lr):
        return step_lr(t, base_lr, self.step_size, self.gamma)


class MultiStepLR(LRScheduler):
    """lr = base_lr * gamma^(number of milestones <= t)."""

    def __init__(self, optimizer, milestones, gamma=0.1):
        milestones = list(milestones)
        if milestones != sorted(milestones) or not all(isinstance(m, int) and m >= 0 for m in milestones):
            raise ValueError(f"MultiStepLR: milestones must be increasing non-negative ints, got {milestones!r}")
        self.milestones, self.gamma = milestones, gamma
        super().__init__(optimizer)

    def lr_at(self, t, base_lr):
        return multistep_lr(t, base_lr, self.milestones, self.gamma)


class ExponentialLR(LRScheduler):
    """lr = base_lr * gamma^t."""

    def __init__(self, optimizer, gamma):
        if not gamma > 0:
            raise ValueError(f"ExponentialLR: gamma must be > 0, got {gamma!r}")
        self.gamma = gamma
        super().__init__(optimizer)

    def lr_at(self, t, base_lr):
        return exponential_lr(t, base_lr, self.gamma)


class CosineAnnealingLR(LRScheduler):
    """lr = eta_min + (base_lr - eta_min) (1 + cos(pi t / T_max)) / 2."""

    def __init__(self, optimizer, T_max, eta_min=0.0):
        if not isinstance(T_max, int) or T_max <= 0:
            raise ValueError(f"CosineAnnealingLR: T_max must be a positive int, got {T_max!r}")
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer)

    def lr_at(self, t, base_lr):
        return cosine_annealing_lr(t, base_lr, self.T_max, self.eta_min)


class LinearLR(LRScheduler):
    """Warm-up: lr = base_lr * (start_factor + (end_factor - start_factor) min(t, total_iters) / total_iters)."""

    def __init__(self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5):
        if not 0 < start_factor <= 1 or not 0 <= end_factor <= 1:
            raise ValueError(f"LinearLR: start_factor must be in (0, 1] and end_factor in [0, 1], got "
                             f"start_factor={start_factor}, end_factor={end_factor}")
        if not isinstance(total_iters, int) or total_iters <= 0:
            raise ValueError(f"LinearLR: total_iters must be a positive int, got {total_iters!r}")
        self.start_factor, self.end_factor, self.total_iters = start_factor, end_factor, total_iters
        super().__init__(optimizer)

    def lr_at(self, t, base_lr):
        return linear_lr(t, base_lr, self.start_factor, self.end_factor, self.total_iters)


class ReduceLROnPlateau:
    """Multiply the lr by ``factor`` when ``metric`` has not improved for ``patience`` calls.

    ``scheduler.step(val_loss)`` once per epoch. "Improved" (mode "min", threshold_mode
    "rel"): ``metric < best * (1 - threshold)``; "abs": ``metric < best - threshold``; mode
    "max" mirrors both. After a reduction, ``cooldown`` calls pass before counting again;
    the lr never goes below ``min_lr``, and changes smaller than ``eps`` are skipped.
    """

    def __init__(self, optimizer, mode="min", factor=0.1, patience=10, threshold=1e-4, threshold_mode="rel",
                 cooldown=0, min_lr=0.0, eps=1e-8):
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
        self.min_lrs = list(min_lr) if isinstance(min_lr, (list, tuple)) else [min_lr] * len(groups)
        if len(self.min_lrs) != len(groups):
            raise ValueError(f"ReduceLROnPlateau: {len(self.min_lrs)} min_lr values for {len(groups)} parameter groups")
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self.last_epoch = 0

    def is_better(self, metric, best):
        if self.mode == "min":
            return metric < (best * (1 - self.threshold) if self.threshold_mode == "rel" else best - self.threshold)
        return metric > (best * (1 + self.threshold) if self.threshold_mode == "rel" else best + self.threshold)

    def step(self, metric):
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
            for group, min_lr in zip(self.optimizer.param_groups, self.min_lrs):
                new_lr = max(group["lr"] * self.factor, min_lr)
                if group["lr"] - new_lr > self.eps:
                    group["lr"] = new_lr
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0

    def get_last_lr(self):
        return [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self):
        return {k: (list(v) if isinstance(v, list) else v) for k, v in vars(self).items() if k != "optimizer"}

    def load_state_dict(self, state_dict):
        expected = set(self.state_dict())
        if set(state_dict) != expected:
            raise ValueError(f"ReduceLROnPlateau.load_state_dict: keys {sorted(state_dict)} in the state_dict, "
                             f"expected {sorted(expected)}")
        self.__dict__.update(state_dict)
