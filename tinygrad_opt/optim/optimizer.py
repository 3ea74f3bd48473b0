"""``Optimizer``: the base class of every optimizer, PyTorch's design.

An optimizer holds

* ``param_groups`` -- a list of dicts, each ``{"params": [Tensor, ...], "lr": ..., <options>}``.
  One group is the usual case; several groups give parts of a model their own options
  (``Adam([{"params": body}, {"params": head, "lr": 1e-2}], lr=1e-3)``). Options a group
  leaves out are taken from the optimizer's ``defaults``.
* ``state`` -- a dict Tensor -> that parameter's state: its step count ``"step"`` and the
  algorithm's running averages (arrays shaped like the parameter, on its backend).

and its ``step()`` reads each parameter's ``.grad`` and changes ``.array`` **in place**:

* in place, on the parameter's own backend (NumPy or CuPy): no copy to the host, no new
  parameter arrays, so a model's references to its parameters stay valid;
* ``.grad`` is only read, never written (the engine may hand one gradient array to
  several tensors);
* a parameter whose ``.grad`` is None (it took no part in the loss) is skipped, and its
  step count does not advance: the count is kept per parameter.

Array calls write into existing arrays to avoid a temporary per operation per step:
``xp.multiply(a, b, out)`` -- a ufunc's last positional argument is its output array
(NumPy's and CuPy's ``out=``). Each parameter gets a reusable work array,
``self.scratch(p)``, for intermediate results (a second one, ``self.scratch(p, 1)``, where
an update needs two at once); it holds nothing between steps.

A buffer that only an option needs (SGD's momentum, RMSprop's centered average, Adam's
amsgrad maximum) is made by ``init_state`` when the option is on from the start, and by the
update on first use when the option is switched on mid-run
(``opt.param_groups[0]["momentum"] = 0.9``); such entries are listed in ``optional_state``.

``state_dict()`` / ``load_state_dict()`` save and restore everything a run needs to continue
exactly: the groups' options and every parameter's state, parameters named by their index
in the order of ``param_groups`` (the format of ``torch.optim``).
"""
import math
import numbers
from collections import defaultdict

from .. import backend
from ..grad_mode import enable_grad
from ..tensor import Tensor


# Options an LR scheduler adds to a parameter group (lr_scheduler.py records each group's
# starting lr there). A saved optimizer may have them and a fresh one not, or the other way
# round, depending only on whether a scheduler was made yet: loading ignores the difference.
SCHEDULER_KEYS = {"initial_lr"}


class Optimizer:
    """Base class: subclass it, set ``defaults`` in ``__init__``, write ``init_state`` and ``step``.

    ``params``: an iterable of Tensors (e.g. ``model.parameters()``) or of dicts, each with
    a ``"params"`` entry and per-group options. ``defaults``: the options of the algorithm.
    """

    # State entries only an option needs (see the module docstring): a saved state may lack
    # them (the option was switched on later) or keep them (it was switched off).
    optional_state = ()

    def __init__(self, params, defaults):
        self.defaults = dict(defaults)
        self.state = defaultdict(dict)    # as torch.optim: state = self.state[p]; if not state: ...
        self.param_groups = []
        self._scratch = {}
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
    def add_param_group(self, param_group):
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

    def check_hyperparameters(self, group, owner):
        """Raise ValueError for an invalid option of ``group`` (each algorithm checks its own)."""
        check_nonnegative(owner, "learning rate lr", group["lr"])

    # -- per-parameter state ---------------------------------------------------------------
    def init_state(self, param, group):
        """The fresh state of one parameter (its ``data`` array): ``{"step": 0, <arrays>}``.

        Subclasses return their running averages here; ``load_state_dict`` also uses it to
        check that a loaded state has the right entries (plus any of ``optional_state``).
        """
        return {"step": 0}

    def state_for(self, p, group):
        """``self.state[p]``, created by ``init_state`` on the parameter's first step."""
        state = self.state.get(p)
        if not state:
            state = self.state[p] = self.init_state(p.array, group)
        return state

    def scratch(self, p, n=0):
        """Work array number ``n`` (0, 1) shaped like ``p``, reused every step (holds no state,
        is not saved). Most updates need one; Adadelta and NAdam need two at once."""
        buf, data = self._scratch.get((p, n)), p.array
        # made anew when the parameter's array changed kind (to another device, shape or dtype)
        if buf is None or type(buf) is not type(data) or buf.shape != data.shape or buf.dtype != data.dtype:
            buf = self._scratch[(p, n)] = backend.get_array_module(data).empty_like(data)
        return buf

    # -- the training-loop calls -------------------------------------------------------------
    def zero_grad(self, set_to_none=True):
        """Forget the gradients: ``None`` (default), or new zero arrays with ``set_to_none=False``.

        (A new array, not an in-place fill: gradient arrays may be shared, see module doc.)
        """
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none or p.grad is None:
                    p.grad = None
                else:
                    p.grad = Tensor._wrap(backend.get_array_module(p.grad.array).zeros_like(p.grad.array))

    def step(self, closure=None):
        raise NotImplementedError(f"{self._name()} must define step()")

    @staticmethod
    def evaluate_closure(closure):
        """Call ``closure()`` (which recomputes the loss and its gradients) if given; return its loss."""
        if closure is None:
            return None
        with enable_grad():
            return closure()

    # -- saving and loading ------------------------------------------------------------------
    def state_dict(self):
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
                    state[index_of[id(p)]] = {k: (v.copy() if hasattr(v, "shape") else v)
                                              for k, v in self.state[p].items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Restore options and state saved by ``state_dict()`` (of an optimizer over the same
        parameter shapes). Everything is checked before anything changes: group and parameter
        counts, group options, state entries and array shapes. Arrays are copied to each
        parameter's backend and dtype.

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
        for g, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
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
            if not set(expected) - optional <= set(saved) <= set(expected) | optional:
                may = f" (any of {sorted(optional)} may be missing or extra)" if optional else ""
                raise ValueError(f"{name}: parameter {index}: state entries {sorted(saved)} in the "
                                 f"state_dict, {self._name()} expects {sorted(expected)}{may}")
            # an optional entry is an array shaped like the parameter
            new_state[p] = {k: self._load_value(name, index, k, v, p, expected.get(k, p.array))
                            for k, v in saved.items()}
        for group, new_group in zip(self.param_groups, new_groups):
            group.update(new_group)
        self.state = defaultdict(dict, new_state)

    @staticmethod
    def _load_value(name, index, key, value, p, fresh):
        """A saved entry for parameter ``p``: arrays checked for shape and moved to p's backend;
        numbers stay numbers (a 0-d array, as a file format may store one, becomes a number)."""
        if not hasattr(fresh, "shape"):
            return value.item() if hasattr(value, "item") else value
        if tuple(value.shape) != p.shape:
            raise ValueError(f"{name}: parameter {index}: state '{key}' has shape {tuple(value.shape)}, "
                             f"the parameter has shape {p.shape}")
        host = backend.to_numpy(value).astype(p.dtype, copy=True)
        return backend.backend_of(p.array).from_host(host)

    def __repr__(self):
        lines = [f"{self._name()} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {group[k]}" for k in sorted(group) if k != "params"]
        return "\n".join(lines + [")"])


# -- helpers shared by the algorithms ------------------------------------------------------------
def zeros_state(state, name, like):
    """``state[name]``, created as zeros shaped like ``like`` the first time it is asked for.

    For a buffer only an option needs: the option may be switched on after the first step.
    (Not ``state.setdefault(name, xp.zeros_like(like))``: that would allocate every step.)
    """
    if name not in state:
        state[name] = backend.get_array_module(like).zeros_like(like)
    return state[name]


def short_repr(value, limit=40):
    """``repr(value)`` on one line, cut to ``limit`` characters, for error messages."""
    text = " ".join(repr(value).split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _number(owner, name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{owner}: {name} must be a number, got {type(value).__name__} {short_repr(value)}")
    return float(value)


def check_nonnegative(owner, name, value):
    """``name`` finite and >= 0, e.g. ``check_nonnegative("SGD", "learning rate lr", -0.1)`` raises."""
    v = _number(owner, name, value)
    if not math.isfinite(v):                # inf passes ">= 0", and nan would be called negative
        raise ValueError(f"{owner}: invalid {name}: {value} (must be a finite number >= 0)")
    if not v >= 0.0:
        raise ValueError(f"{owner}: invalid {name}: {value} (must be >= 0)")


def check_unit_interval(owner, name, value, closed=True):
    """``name`` in [0, 1] (``closed``) or [0, 1)."""
    v = _number(owner, name, value)
    if not (0.0 <= v <= 1.0 if closed else 0.0 <= v < 1.0):
        raise ValueError(f"{owner}: invalid {name}: {value} (must be in [0, 1{']' if closed else ')'})")


def check_betas(owner, betas):
    """Two coefficients, each in [0, 1)."""
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise ValueError(f"{owner}: betas must be a pair (beta1, beta2), got {betas!r}")
    for i, beta in enumerate(betas):
        v = _number(owner, f"beta parameter at index {i}", beta)
        if not 0.0 <= v < 1.0:
            raise ValueError(f"{owner}: invalid beta parameter at index {i}: {beta} (each beta must be in [0, 1))")
