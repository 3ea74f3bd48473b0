"""``Module``: a container of parameters and sub-modules, and ``Parameter``: a trainable tensor.

A module's parameters are found by walking its attributes in the order they were set in
``__init__`` (Python dicts keep insertion order), descending into sub-modules. So
``named_parameters()`` gives PyTorch's dotted names (``main.0.weight``) in definition
order, the same order on every run, which optimizers and checkpoints rely on.

As in PyTorch, ``parameters()``, ``named_parameters()``, ``modules()`` and ``children()``
are generators: walk them once, or write ``list(model.parameters())`` to index them or
take their ``len``.
"""
from __future__ import annotations

from collections import namedtuple
from collections.abc import Mapping
from typing import Callable, Iterator, Sequence

import numpy

from .. import backend
from ..backend import Array
from ..tensor import Tensor


class Parameter(Tensor):
    """A tensor that a module trains: a leaf with ``requires_grad=True``."""

    __slots__ = ()

    def __init__(self, data: Tensor | Array | Sequence | float, requires_grad: bool = True) -> None:
        super().__init__(data.array if isinstance(data, Tensor) else data, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict`` returns, as in PyTorch: the model's names the state_dict lacks,
    and the state_dict's names the model lacks."""

    __slots__ = ()

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()


def _as_array(module, name, value):
    """A state_dict entry as an array of some backend: a Tensor gives its data, an array
    stays as it is, a list or a number becomes a host (NumPy) array; anything else is refused."""
    if isinstance(value, Tensor):
        return value.array
    try:
        backend.backend_of(value)
        return value
    except TypeError:     # not an array of any backend
        pass
    try:
        host = numpy.asarray(value)
    except ValueError:    # a ragged nested list
        host = None
    if host is None or host.dtype.kind not in "biuf":
        raise TypeError(f"load_state_dict into {type(module).__name__}: {name}: expected an array, "
                        f"a Tensor or a (nested) list of numbers, got {type(value).__name__}")
    return host


def _indent(text):
    """Indent every line of ``text`` but the first by two spaces (a child's repr inside its parent)."""
    return text.replace("\n", "\n  ")


class Module:
    """Base class of layers and models: subclass it, set parameters and sub-modules as
    attributes in ``__init__``, and write ``forward``.
    """

    training = True

    def forward(self, *args: Tensor) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args: Tensor, **kwargs) -> Tensor:
        return self.forward(*args, **kwargs)

    def __setattr__(self, name: str, value: object) -> None:
        # As PyTorch: a parameter is replaced by a Parameter or None only. A plain Tensor there
        # would silently drop out of parameters(), so the optimizer would never train it.
        if isinstance(self.__dict__.get(name), Parameter) and value is not None \
                and not isinstance(value, Parameter):
            raise TypeError(f"{type(self).__name__}: cannot assign a {type(value).__name__} as parameter "
                            f"'{name}' (Parameter or None expected); to change its values write "
                            f"self.{name}.data = ..., or make a new one: nn.Parameter(...)")
        object.__setattr__(self, name, value)

    # -- registering, by name --------------------------------------------------------------
    def _check_name(self, method, name, kind):
        """``name`` must be a new attribute name, or one that already holds a ``kind`` (or None)."""
        if not isinstance(name, str):
            raise TypeError(f"{type(self).__name__}.{method}: name must be a str, got {type(name).__name__}")
        if name == "" or "." in name:
            raise KeyError(f"{type(self).__name__}.{method}: name must be non-empty and contain no '.', "
                           f"got {name!r}")
        old = self.__dict__.get(name)
        if hasattr(type(self), name) or not (old is None or isinstance(old, kind)):
            raise KeyError(f"{type(self).__name__}.{method}: attribute '{name}' already exists")

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """``self.<name> = param``, for a name made at run time; ``param``: a Parameter or None."""
        self._check_name("register_parameter", name, Parameter)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"{type(self).__name__}.register_parameter: '{name}' must be a Parameter or None, "
                            f"got {type(param).__name__}; wrap it: nn.Parameter(tensor)")
        setattr(self, name, param)

    def add_module(self, name: str, module: Module | None) -> None:
        """``self.<name> = module``, for a name made at run time; ``module``: a Module or None."""
        self._check_name("add_module", name, Module)
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(self).__name__}.add_module: '{name}' must be a Module or None, "
                            f"got {type(module).__name__}")
        setattr(self, name, module)

    # -- walking the tree (generators, as in PyTorch) ---------------------------------------
    def _submodules(self):
        """(attribute name, module) for each attribute holding a module, repeats included."""
        return [(name, value) for name, value in vars(self).items() if isinstance(value, Module)]

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """(name, module) for each direct sub-module, each once."""
        seen = set()
        for name, module in self._submodules():
            if id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self) -> Iterator[Module]:
        for _, module in self.named_children():
            yield module

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """(dotted name, module) for this module (named ``prefix``, "" by default) and every
        sub-module, depth first in definition order, each module once."""
        seen = set()
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            below = [(f"{name}.{child_name}" if name else child_name, child)
                     for child_name, child in module.named_children()]
            stack.extend(reversed(below))       # popped in definition order

    def modules(self) -> Iterator[Module]:
        for _, module in self.named_modules():
            yield module

    def named_parameters(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple[str, Parameter]]:
        """(dotted name, Parameter) pairs: each module's own first, then its sub-modules',
        in definition order, each parameter once (a shared one under its first name)."""
        seen = set()
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        for module_name, module in modules:
            for name, value in vars(module).items():
                if isinstance(value, Parameter) and id(value) not in seen:
                    seen.add(id(value))
                    yield (f"{module_name}.{name}" if module_name else name), value

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    # -- training helpers ----------------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear the gradients: ``.grad = None`` (PyTorch 2's default), or zero them in place."""
        for p in self.parameters():
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad.zero_()

    def train(self, mode: bool = True) -> Module:
        """Set ``training`` on this module and every sub-module; returns the module."""
        if not isinstance(mode, bool):
            raise ValueError(f"{type(self).__name__}.train: mode must be True or False, got {mode!r}")
        for m in self.modules():
            m.training = mode
        return self

    def eval(self) -> Module:
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Switch gradients of every parameter on or off (e.g. to freeze a layer); returns the module."""
        for p in self.parameters():
            p.requires_grad = requires_grad
        return self

    def apply(self, fn: Callable[[Module], None]) -> Module:
        """Call ``fn(m)`` on every sub-module, then on this one (e.g. to re-initialise weights)."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    def to(self, device: str) -> Module:
        """Move every parameter (and its gradient) to ``device`` ("cpu" or "gpu"), in place."""
        target = backend.for_device(device)
        for p in self.parameters():
            if backend.backend_of(p.array) is not target:
                p.array = target.from_host(backend.to_numpy(p.array))
                if p.grad is not None:
                    p._grad = Tensor._wrap(target.from_host(p.grad.numpy()))
        return self

    # -- saving and loading ----------------------------------------------------------------
    def state_dict(self) -> dict[str, Array]:
        """{dotted name: a copy of the parameter's array}, in definition order.

        Copies, not references (PyTorch returns references): a state_dict kept as "the best
        model so far" must not change as training goes on.
        """
        return {name: p.array.copy() for name, p in self.named_parameters()}

    def load_state_dict(self, state_dict: Mapping[str, Array | Tensor], strict: bool = True) -> IncompatibleKeys:
        """Copy arrays into the parameters, checking names and shapes first; returns
        ``IncompatibleKeys(missing_keys, unexpected_keys)``, as PyTorch.

        Arrays may come from any backend, and Tensors and nested lists of numbers (a
        state_dict read from JSON) work too; each is moved to its parameter's backend and
        dtype. With ``strict`` (default) missing and unexpected names are errors; without it
        the names that match are loaded and the others reported. Nothing is loaded when
        anything is refused.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"load_state_dict into {type(self).__name__}: expected a dict of name -> array "
                            f"(what state_dict() returns), got {type(state_dict).__name__}")
        params = dict(self.named_parameters())
        missing = [k for k in params if k not in state_dict]
        unexpected = [k for k in state_dict if k not in params]
        problems = []
        if strict and missing:
            problems.append(f"missing keys {missing}")
        if strict and unexpected:
            problems.append(f"unexpected keys {unexpected}")
        arrays = {name: _as_array(self, name, value) for name, value in state_dict.items() if name in params}
        for name, value in arrays.items():
            if tuple(value.shape) != params[name].shape:
                problems.append(f"{name}: shape {tuple(value.shape)} in the state_dict, "
                                f"{params[name].shape} in the model")
        if problems:
            raise ValueError(f"load_state_dict into {type(self).__name__}: " + "; ".join(problems))
        for name, value in arrays.items():
            p = params[name]
            host = backend.to_numpy(value)
            p.array = backend.backend_of(p.array).from_host(host.astype(p.dtype, copy=True))
        return IncompatibleKeys(missing, unexpected)

    # -- printing, in PyTorch's format -------------------------------------------------------
    def extra_repr(self) -> str:
        """The settings shown between the parentheses, e.g. ``in_features=784, out_features=10``."""
        return ""

    def __repr__(self) -> str:
        """``Name(extra)`` for a leaf; otherwise the extra lines, then ``(name): child`` per line."""
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({name}): {_indent(repr(child))}" for name, child in self._submodules()]
        if not child_lines and len(extra_lines) <= 1:
            return f"{type(self).__name__}({extra})"
        return f"{type(self).__name__}(\n  " + "\n  ".join(extra_lines + child_lines) + "\n)"
