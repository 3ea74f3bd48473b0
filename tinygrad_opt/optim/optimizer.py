"""``Optimizer``: the base class of every optimizer, PyTorch's design, DeZero's shape.

An optimizer holds

* ``param_groups`` -- a list of dicts, each ``{"params": [Tensor, ...], "lr": ..., <options>}``.
  One group is the usual case; several groups give parts of a model their own options
  (``Adam([{"params": body}, {"params": head, "lr": 1e-2}], lr=1e-3)``). Options a group
  leaves out are taken from the optimizer's ``defaults``.
* ``state`` -- a dict Tensor -> that parameter's state: its step count ``"step"`` and the
  algorithm's running averages (arrays shaped like the parameter, on its backend).

``step()`` is written once, here, for every algorithm::

    for each group, for each parameter p in it whose p.grad is not None:
        check that p.grad matches p (shape, dtype, device)
        t = state["step"] += 1                        (a count per parameter)
        g = -grad if maximize else grad               the effective gradient g_t ...
        g = g + weight_decay * p                      ... with the L2 penalty (coupled weight decay)
        self.update(p, g, state, group)               the algorithm's rule, in place on p
        p._bump_version()                             a graph that saved p can no longer backward

so an algorithm's file holds only its equations: ``update(p, g, state, group)`` changes the
parameter's array ``p`` in place, one line per equation, with the array's own operations
(``xp = get_array_module(p)`` for ``xp.sqrt``: NumPy or CuPy). Running averages are updated
in place too (``m[...] = beta1 * m + (1 - beta1) * g``), so ``state`` holds the same arrays
from step to step, as torch.optim's does. ``g`` may be ``p.grad``'s own array: read it, never
write to it (``p.grad`` is the user's: torch.optim leaves it as backward made it).

The order of maximize and weight decay: the gradient is negated *first*, then ``lambda theta``
is added (so the decay still pulls theta towards 0), as PyTorch's implementation does.
PyTorch's documented pseudo-code instead adds ``lambda theta`` to the unnegated gradient and
flips the sign of the final step: in effect ``g_t = -(grad f + lambda theta)``, a decay that
pushes theta away from 0. The two differ only when maximize and weight decay are both set.
AdamW's weight decay is *decoupled* (``theta *= 1 - lr lambda``, nothing in the gradient):
it sets ``coupled_weight_decay = False`` and applies it in its own rule.

A parameter's state is made by ``init_state`` at its first step. A buffer that only an
option needs (SGD's momentum, RMSprop's centered average, Adam's amsgrad maximum) is made on
first use (``zeros_state``) when the option is switched on mid-run
(``opt.param_groups[0]["momentum"] = 0.9``); such entries are listed in ``optional_state``.

Where the benchmark showed a rule too slow (SGD with momentum, Adam), ``fast_paths.py`` has
the same update written in place without temporaries, named as such and tested against the
rule; ``step()`` uses it only while the class's ``update`` is that rule (``fast_path``).

A torch.optim-style subclass may instead override ``step()`` itself
(``state = self.state[p]; if not state: ...``, ``with no_grad(): p.add_(...)``): ``state``
is a ``defaultdict(dict)`` as in torch.optim.

``state_dict()`` / ``load_state_dict()`` save and restore everything a run needs to continue
exactly: the groups' options and every parameter's state, parameters named by their index
in the order of ``param_groups`` (the format of ``torch.optim``).
"""
from __future__ import annotations

import math
import numbers
from collections import defaultdict
from typing import Callable, Iterable

from .. import backend
from ..backend import Array
from ..grad_mode import enable_grad
from ..tensor import Tensor


# Options an LR scheduler adds to a parameter group (lr_scheduler.py records each group's
# starting lr there). A saved optimizer may have them and a fresh one not, or the other way
# round, depending only on whether a scheduler was made yet: loading ignores the difference.
SCHEDULER_KEYS = {"initial_lr", "max_lr", "min_lr", "max_momentum", "base_momentum"}


class Optimizer:
    """Base class: subclass it, pass ``defaults`` from ``__init__``, write ``init_state`` and ``update``.

    ``params``: an iterable of Tensors (e.g. ``model.parameters()``) or of dicts, each with
    a ``"params"`` entry and per-group options. ``defaults``: the options of the algorithm.
    """

    # State entries only an option needs (see the module docstring): a saved state may lack
    # them (the option was switched on later) or keep them (it was switched off).
    optional_state = ()

    # weight_decay as an L2 penalty added to the gradient; AdamW decouples it (its own rule)
    coupled_weight_decay = True

    # (rule, fast) where fast_paths.py has a faster formulation of a class's rule: step() calls
    # fast(self, p, g, state, group) while the class's update is still that rule
    fast_path = None

    def __init__(self, params: Iterable[Tensor] | Iterable[dict], defaults: dict) -> None:
        self.defaults = dict(defaults)
        self.state = defaultdict(dict)    # as torch.optim: state = self.state[p]; if not state: ...
        self.param_groups = []
        self.work_arrays = {}             # the fast paths' work arrays (fast_paths.py)
        if isinstance(params, Tensor):
            raise TypeError(f"{self._name()}: params must be an iterable of Tensors or of dicts, "
                            f"got a single Tensor; wrap it in a list: [tensor]")
        if isinstance(params, dict):
            raise TypeError(f"{self._name()}: params must be an iterable of Tensors or of dicts, got one dict; "
                            f"wrap it in a list: [{{'params': ...}}]")
        groups = list(params)
        if not groups:
            raise ValueError(f"{self._name()}: got an empty parameter list")
        if not isinstance(groups[0], dict):
            self._add_group({"params": groups}, "params", self._name())
            return
        for group in groups:
            self.add_param_group(group)

    def _name(self):
        return type(self).__name__

    # -- parameter groups -------------------------------------------------------------------
    def add_param_group(self, param_group: dict) -> None:
        """Add a group ``{"params": ..., <options>}``; missing options come from ``defaults``."""
        n = len(self.param_groups)
        if not isinstance(param_group, dict):
            raise TypeError(f"{self._name()}: param_groups[{n}] is a {type(param_group).__name__}; "
                            f"a parameter group is a dict with a 'params' entry")
        if "params" not in param_group:
            raise ValueError(f"{self._name()}: param_groups[{n}] has no 'params' entry "
                             f"(keys: {sorted(param_group)})")
        self._add_group(param_group, f"param_groups[{n}]['params']", f"{self._name()} param_groups[{n}]")

    def _add_group(self, param_group, where, owner):
        """Check the group's tensors (``where`` names them in errors) and options, then append it."""
        params = param_group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        if not params:
            raise ValueError(f"{self._name()}: got an empty parameter list in {where}")
        seen = {}
        for g, group in enumerate(self.param_groups):
            for i, p in enumerate(group["params"]):
                seen[id(p)] = f"param_groups[{g}]['params'][{i}]"
        for i, p in enumerate(params):
            loc = f"{where}[{i}]"
            if not isinstance(p, Tensor):
                kind = f"{type(p).__module__}.{type(p).__name__}".replace("builtins.", "")
                raise TypeError(f"{self._name()}: {loc} is a {kind} ({short_repr(p)}); optimizers "
                                f"take Tensors (e.g. model.parameters())")
            if not p.is_leaf:
                raise ValueError(f"{self._name()}: {loc} is not a leaf tensor (it was computed by "
                                 f"'{p.grad_fn}'); optimize the tensors you created, not results")
            if p.dtype.kind != "f":
                raise TypeError(f"{self._name()}: {loc} has dtype {p.dtype}; only floating tensors can be optimized")
            if id(p) in seen:
                raise ValueError(f"{self._name()}: a parameter appears in more than one place "
                                 f"({seen[id(p)]} and {loc})")
            seen[id(p)] = loc
        group = {**self.defaults, **param_group, "params": params}
        self.check_hyperparameters(group, owner)
        self.param_groups.append(group)

    def check_hyperparameters(self, group: dict, owner: str) -> None:
        """Raise ValueError for an invalid option of ``group``: ``lr``, and the common options
        ``eps``, ``weight_decay`` and ``betas`` where the group has them. An algorithm with
        options of its own checks them too (``super().check_hyperparameters(group, owner)``)."""
        check_nonnegative(owner, "learning rate lr", group["lr"])
        if "betas" in group:
            check_betas(owner, group["betas"])
        for name in ("eps", "weight_decay"):
            if name in group:
                check_nonnegative(owner, name, group[name])

    # -- per-parameter state ---------------------------------------------------------------
    def init_state(self, param: Array, group: dict) -> dict:
        """The fresh state of one parameter (its ``data`` array): ``{"step": 0, <arrays>}``.

        Subclasses return their running averages here; ``load_state_dict`` also uses it to
        check that a loaded state has the right entries (plus any of ``optional_state``).
        """
        return {"step": 0}

    def state_for(self, p: Tensor, group: dict) -> dict:
        """``self.state[p]``, created by ``init_state`` on the parameter's first step."""
        state = self.state.get(p)
        if not state:
            state = self.state[p] = self.init_state(p.array, group)
        return state

    # -- the training-loop calls -------------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients: ``None`` (default), or new zero arrays with ``set_to_none=False``.

        (A new array, not an in-place fill: gradient arrays may be shared, see module doc.)
        """
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none or p.grad is None:
                    p.grad = None
                else:
                    p.grad = Tensor._wrap(backend.get_array_module(p.grad.array).zeros_like(p.grad.array))

    def step(self, closure: Callable[[], Tensor] | None = None) -> Tensor | None:
        """One step of the algorithm for every parameter that has a gradient; returns the closure's loss."""
        loss = self.evaluate_closure(closure)
        update = type(self).update                       # called as update(self, ...)
        if self.fast_path is not None and update is self.fast_path[0]:
            update = self.fast_path[1]
        for g, group in enumerate(self.param_groups):
            for i, p in enumerate(group["params"]):
                if p._grad is None:                      # it took no part in the loss (p.grad, read directly)
                    continue
                self.check_grad(p, g, i)
                state = self.state_for(p, group)
                state["step"] += 1
                update(self, p.array, self.gradient(p, group), state, group)
                p._bump_version()
        return loss

    def check_grad(self, p: Tensor, g: int, i: int) -> None:
        """Refuse a ``.grad`` that does not match its parameter (it could only be broadcast wrongly)."""
        grad, data = p._grad.array, p.array
        # arrays of one type live on one device (backend.backend_of): device_of only when the types differ
        if (grad.shape != data.shape or grad.dtype != data.dtype
                or type(grad) is not type(data) and backend.device_of(grad) != backend.device_of(data)):
            raise ValueError(f"{self._name()}.step: param_groups[{g}]['params'][{i}] has a gradient of shape "
                             f"{tuple(grad.shape)}, dtype {grad.dtype} on {backend.device_of(grad)}, the "
                             f"parameter has shape {tuple(data.shape)}, dtype {data.dtype} on "
                             f"{backend.device_of(data)}; a gradient must match its parameter")

    def gradient(self, p: Tensor, group: dict) -> Array:
        """g_t, the gradient the rule follows: ``-grad`` with maximize, plus ``lambda theta``
        with (coupled) weight decay. ``p.grad``'s own array when neither is set: read only."""
        g = p._grad.array
        if group.get("maximize"):
            g = -g
        if group.get("weight_decay") and self.coupled_weight_decay:
            g = g + group["weight_decay"] * p.array
        return g

    def update(self, p: Array, g: Array, state: dict, group: dict) -> None:
        """The algorithm's rule: change the parameter's array ``p`` in place, given the
        effective gradient ``g`` (an array, read only), this parameter's ``state``
        (``state["step"]`` is t, already counted) and its group's options."""
        raise NotImplementedError(f"{self._name()} must define update(p, g, state, group) "
                                  f"(or override step() itself)")

    @staticmethod
    def evaluate_closure(closure: Callable[[], Tensor] | None) -> Tensor | None:
        """Call ``closure()`` (which recomputes the loss and its gradients) if given; return its loss."""
        if closure is None:
            return None
        with enable_grad():
            return closure()

    # -- saving and loading ------------------------------------------------------------------
    def state_dict(self) -> dict:
        """``{"state": {index: {name: array copy or number}}, "param_groups": [{options, "params": [indices]}]}``.

        Parameters are numbered 0, 1, ... through the groups in order. Arrays are copies on
        the parameters' backend; everything else is plain numbers, tuples, lists and dicts.
        """
        index_of, groups = {}, []
        for group in self.param_groups:
            ids = []
            for p in group["params"]:
                index_of[id(p)] = len(index_of)
                ids.append(index_of[id(p)])
            groups.append({**{k: v for k, v in group.items() if k != "params"}, "params": ids})
        state = {}
        for group in self.param_groups:
            for p in group["params"]:
                if p in self.state:
                    state[index_of[id(p)]] = {k: _copy(v) for k, v in self.state[p].items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore options and state saved by ``state_dict()`` (of an optimizer over the same
        parameter shapes). Everything is checked before anything changes: group and parameter
        counts, group options, state entries and array shapes. Each entry keeps its kind
        (``_load_value``): numbers stay numbers; arrays and Tensors are copied to the
        parameter's backend, floating ones in its dtype.

        Each group takes the saved options, as in PyTorch. An LR scheduler's ``initial_lr``
        may be in one and not the other (the optimizer is often loaded before its scheduler
        is made, or saved before one was): a saved one is taken, a current one is kept.
        """
        name = f"{self._name()}.load_state_dict"
        if not isinstance(state_dict, dict) or set(state_dict) != {"state", "param_groups"}:
            keys = sorted(state_dict) if isinstance(state_dict, dict) else type(state_dict).__name__
            raise ValueError(f"{name}: expected a dict with keys 'state' and 'param_groups', got {keys}")
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"{name}: the state_dict has {len(saved_groups)} parameter groups, "
                             f"this optimizer has {len(self.param_groups)}")
        new_groups, params, group_of = [], [], []
        for g, (saved, group) in enumerate(zip(saved_groups, self.param_groups, strict=True)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(f"{name}: param_groups[{g}] has {len(saved['params'])} parameters in the "
                                 f"state_dict and {len(group['params'])} in this optimizer")
            saved_options = set(saved) - SCHEDULER_KEYS - {"params"}
            options = set(group) - SCHEDULER_KEYS - {"params"}
            if saved_options != options:
                raise ValueError(f"{name}: param_groups[{g}] has options {sorted(saved_options)} "
                                 f"in the state_dict, {self._name()} has {sorted(options)}")
            kept = {k: v for k, v in group.items() if k in SCHEDULER_KEYS}
            new_group = {**kept, **saved, "params": group["params"]}
            self.check_hyperparameters(new_group, f"{name} param_groups[{g}]")
            new_groups.append(new_group)
            params += group["params"]
            group_of += [new_group] * len(group["params"])
        new_state = {}
        for index, saved in state_dict["state"].items():
            index = int(index)
            if not 0 <= index < len(params):
                raise ValueError(f"{name}: the state_dict has state for parameter {index}, but this "
                                 f"optimizer has only {len(params)} parameters (0..{len(params) - 1})")
            p = params[index]
            expected = self.init_state(p.array, group_of[index])
            optional = set(self.optional_state)
            # a state the rule reads is checked against init_state; an optimizer that writes
            # its own step() (torch.optim style) keeps whatever entries it made, as torch.optim does
            own_step = type(self).step is not Optimizer.step
            if not own_step and not set(expected) - optional <= set(saved) <= set(expected) | optional:
                may = f" (any of {sorted(optional)} may be missing or extra)" if optional else ""
                raise ValueError(f"{name}: parameter {index}: state entries {sorted(saved)} in the "
                                 f"state_dict, {self._name()} expects {sorted(expected)}{may}")
            # the entry init_state makes (an optional entry is an array shaped like the parameter);
            # None where the rule makes none: a torch.optim-style step() keeps what it saved
            fresh = {} if own_step else {**{k: p.array for k in optional}, **expected}
            new_state[p] = {k: self._load_value(name, index, k, v, p, fresh.get(k)) for k, v in saved.items()}
        for group, new_group in zip(self.param_groups, new_groups, strict=True):
            group.update(new_group)
        self.state = defaultdict(dict, new_state)

    @staticmethod
    def _load_value(name, index, key, value, p, fresh):
        """A saved entry for parameter ``p``, kept the kind it was saved as: a number stays a
        number, an array an array and a Tensor a Tensor (torch.optim-style state), the last two
        moved to p's backend. ``fresh`` is the entry ``init_state`` makes, or None where it
        makes none: where it is a number, a 0-d array (as a file format stores a number)
        becomes a number; where it is an array, the saved one must have its shape."""
        if isinstance(value, Tensor):
            return Tensor._wrap(Optimizer._load_array(name, index, key, value.array, p, fresh))
        if fresh is not None and not hasattr(fresh, "shape") and hasattr(value, "shape"):
            if value.ndim != 0:
                raise ValueError(f"{name}: parameter {index}: state '{key}' is an array of shape "
                                 f"{tuple(value.shape)}; it is a number")
            return value.item()
        if isinstance(value, numbers.Number) or not hasattr(value, "shape"):
            return value
        return Optimizer._load_array(name, index, key, value, p, fresh)

    @staticmethod
    def _load_array(name, index, key, value, p, fresh):
        """A saved array on p's backend, floating ones in p's dtype. Its shape is checked: that
        of ``fresh`` where init_state makes the entry, else p's, or 0-d (a number kept in an
        array, as torch.optim keeps its step count)."""
        shapes = [tuple(fresh.shape)] if hasattr(fresh, "shape") else [p.shape, ()]
        if tuple(value.shape) not in shapes:
            raise ValueError(f"{name}: parameter {index}: state '{key}' has shape {tuple(value.shape)}, "
                             f"the parameter has shape {p.shape}")
        dtype = p.dtype if value.dtype.kind == "f" else value.dtype
        host = backend.to_numpy(value).astype(dtype, copy=True)
        return backend.backend_of(p.array).from_host(host)

    def __repr__(self) -> str:
        lines = [f"{self._name()} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {group[k]}" for k in sorted(group) if k != "params"]
        return "\n".join(lines + [")"])


# -- helpers shared by the algorithms ------------------------------------------------------------
def zeros_state(state: dict, name: str, like: Array) -> Array:
    """``state[name]``, created as zeros shaped like ``like`` the first time it is asked for.

    For a buffer only an option needs: the option may be switched on after the first step.
    (Not ``state.setdefault(name, xp.zeros_like(like))``: that would allocate every step.)
    """
    if name not in state:
        state[name] = backend.get_array_module(like).zeros_like(like)
    return state[name]


def _copy(value):
    """A saved copy of a state entry: arrays and Tensors copied, numbers as they are."""
    if isinstance(value, Tensor):
        return Tensor._wrap(value.array.copy())
    return value.copy() if hasattr(value, "shape") else value


def short_repr(value: object, limit: int = 40) -> str:
    """``repr(value)`` on one line, cut to ``limit`` characters, for error messages."""
    text = " ".join(repr(value).split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _number(owner, name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{owner}: {name} must be a number, got {type(value).__name__} {short_repr(value)}")
    return float(value)


def check_nonnegative(owner: str, name: str, value: float) -> None:
    """``name`` finite and >= 0, e.g. ``check_nonnegative("SGD", "learning rate lr", -0.1)`` raises."""
    v = _number(owner, name, value)
    if not math.isfinite(v):                # inf passes ">= 0", and nan would be called negative
        raise ValueError(f"{owner}: invalid {name}: {value} (must be a finite number >= 0)")
    if not v >= 0.0:
        raise ValueError(f"{owner}: invalid {name}: {value} (must be >= 0)")


def check_unit_interval(owner: str, name: str, value: float, closed: bool = True) -> None:
    """``name`` in [0, 1] (``closed``) or [0, 1)."""
    v = _number(owner, name, value)
    if not (0.0 <= v <= 1.0 if closed else 0.0 <= v < 1.0):
        raise ValueError(f"{owner}: invalid {name}: {value} (must be in [0, 1{']' if closed else ')'})")


def check_betas(owner: str, betas: tuple[float, float]) -> None:
    """Two coefficients, each in [0, 1)."""
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise ValueError(f"{owner}: betas must be a pair (beta1, beta2), got {betas!r}")
    for i, beta in enumerate(betas):
        v = _number(owner, f"beta parameter at index {i}", beta)
        if not 0.0 <= v < 1.0:
            raise ValueError(f"{owner}: invalid beta parameter at index {i}: {beta} (each beta must be in [0, 1))")
