"""Containers of modules: ``Sequential`` (applied one after the other) and ``ModuleList``.

Both keep their modules as attributes named "0", "1", ... so that, like any attribute,
the modules' parameters are found by ``parameters()`` and named ``"0.weight"`` etc.
(a plain Python list of modules would be invisible to ``parameters()``, as in PyTorch).
A module put in twice counts twice (it runs twice), its parameters once.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Iterable, Iterator, NoReturn

from ..tensor import Tensor
from .module import Module, _indent


def _position(container, i, n):
    """Index ``i`` (negative counts from the end) as a position in [0, n), or an IndexError."""
    if not isinstance(i, int):
        raise TypeError(f"{type(container).__name__} indices must be integers or slices, got {type(i).__name__}")
    if not -n <= i < n:
        raise IndexError(f"{type(container).__name__}: index {i} is out of range for {n} modules")
    return i % n


class Sequential(Module):
    """Modules applied one after the other: ``Sequential(m0, m1, ...)(x) = ...m1(m0(x))``.

    ``seq[i]`` is the i-th module (``seq[1:]`` a Sequential of the rest), ``len(seq)`` their
    number, ``for m in seq`` walks them. ``Sequential(OrderedDict([(name, module), ...]))``
    names them instead of numbering them.
    """

    def __init__(self, *modules: Module) -> None:
        named = modules[0].items() if len(modules) == 1 and isinstance(modules[0], OrderedDict) \
            else ((str(i), m) for i, m in enumerate(modules))
        for name, m in named:
            if not isinstance(m, Module):
                raise TypeError(f"Sequential: argument {name} is a {type(m).__name__}, not a Module")
            self.add_module(name, m)

    def __getitem__(self, i: int | slice) -> Module | Sequential:
        named = self._submodules()
        if isinstance(i, slice):
            return Sequential(OrderedDict(named[i]))
        return named[_position(self, i, len(named))][1]

    def __len__(self) -> int:
        return len(self._submodules())

    def __iter__(self) -> Iterator[Module]:
        return iter([m for _, m in self._submodules()])

    def append(self, module: Module) -> Sequential:
        """Add ``module`` at the end; returns the Sequential."""
        if not isinstance(module, Module):
            raise TypeError(f"Sequential.append: expected a Module, got {type(module).__name__}")
        self.add_module(str(len(self)), module)
        return self

    def forward(self, x: Tensor) -> Tensor:
        for _, m in self._submodules():
            x = m(x)
        return x


class ModuleList(Module):
    """A list of modules whose parameters the model sees: ``append``, ``extend``, ``insert``,
    ``layers[i]``, ``layers[i] = m``, ``len``, ``for m in layers``. It has no ``forward``:
    call its modules in your own ``forward``."""

    def __init__(self, modules: Iterable[Module] = ()) -> None:
        self.extend(modules)

    def _set_all(self, modules):
        """Renumber: the modules become attributes "0", "1", ... in this order."""
        for i, m in enumerate(modules):
            if not isinstance(m, Module):
                raise TypeError(f"ModuleList: item {i} is a {type(m).__name__}, not a Module")
        for name, _ in self._submodules():
            delattr(self, name)
        for i, m in enumerate(modules):
            self.add_module(str(i), m)

    def _list(self):
        return [m for _, m in self._submodules()]

    def __getitem__(self, i: int | slice) -> Module | ModuleList:
        modules = self._list()
        if isinstance(i, slice):
            return ModuleList(modules[i])
        return modules[_position(self, i, len(modules))]

    def __setitem__(self, i: int | slice, module: Module) -> None:
        modules = self._list()
        modules[_position(self, i, len(modules))] = module
        self._set_all(modules)

    def __len__(self) -> int:
        return len(self._submodules())

    def __iter__(self) -> Iterator[Module]:
        return iter(self._list())

    def append(self, module: Module) -> ModuleList:
        """Add ``module`` at the end; returns the ModuleList."""
        self._set_all([*self._list(), module])
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        """Append each of ``modules``; returns the ModuleList."""
        if isinstance(modules, Module) and not isinstance(modules, (ModuleList, Sequential)):
            raise TypeError(f"ModuleList.extend: expected an iterable of Modules, got a {type(modules).__name__}; "
                            f"use append for one module")
        self._set_all([*self._list(), *modules])
        return self

    def __iadd__(self, modules: Iterable[Module]) -> ModuleList:
        return self.extend(modules)

    def insert(self, index: int, module: Module) -> None:
        """Put ``module`` before position ``index``, as ``list.insert``."""
        modules = self._list()
        modules.insert(index, module)
        self._set_all(modules)

    def forward(self, *args: Tensor) -> NoReturn:
        raise NotImplementedError("ModuleList is a container, not a layer: call its modules in your "
                                  "forward (for layer in self.layers: x = layer(x)), or use nn.Sequential")

    def __repr__(self) -> str:
        """As PyTorch: runs of identical modules are shown once, ``(0-2): 3 x Linear(...)``."""
        texts = [repr(m) for m in self]
        if not texts:
            return "ModuleList()"
        runs = []                                  # [first index, last index, text]
        for i, text in enumerate(texts):
            if runs and runs[-1][2] == text:
                runs[-1][1] = i
            else:
                runs.append([i, i, text])
        lines = [f"({a}): {_indent(text)}" if a == b else f"({a}-{b}): {b - a + 1} x {_indent(text)}"
                 for a, b, text in runs]
        return "ModuleList(\n  " + "\n  ".join(lines) + "\n)"
