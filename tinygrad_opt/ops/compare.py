"""Comparisons ``== != < <= > >=`` (the logical reductions ``any`` and ``all`` are in reduce).

Elementwise, as in PyTorch: ``(predicted == labels)`` is a bool tensor of the broadcast
shape, so ``(predicted == labels).sum()`` counts the hits. Their results are piecewise
constant, so no gradient flows through them: each returns a new tensor without a graph.
(Tensors still hash by identity: a tensor is a dict key by identity, and ``x in a_list``
must not be used to find one; see ``Tensor.__hash__``.)
"""
from __future__ import annotations

import operator

from ..backend import get_array_module
from .. import operands
from ..tensor import Tensor


def _compare(a, b, op, name):
    """``op`` (an operator such as ``operator.eq``) of the broadcast operands, as a bool tensor."""
    if b is None:                                   # t == None: False, as Python and PyTorch say
        return NotImplemented
    a, b = operands.broadcast_operands(a, b, name)
    out = op(a.array, b.array)
    return Tensor._wrap(get_array_module(out).asarray(out))   # a 0-d result stays an array


def eq(a: Tensor, b: Tensor | float | None) -> Tensor:
    """out = (a == b), elementwise."""
    return _compare(a, b, operator.eq, "eq (==)")


def ne(a: Tensor, b: Tensor | float | None) -> Tensor:
    """out = (a != b), elementwise."""
    return _compare(a, b, operator.ne, "ne (!=)")


def lt(a: Tensor, b: Tensor | float | None) -> Tensor:
    """out = (a < b), elementwise."""
    return _compare(a, b, operator.lt, "lt (<)")


def le(a: Tensor, b: Tensor | float | None) -> Tensor:
    """out = (a <= b), elementwise."""
    return _compare(a, b, operator.le, "le (<=)")


def gt(a: Tensor, b: Tensor | float | None) -> Tensor:
    """out = (a > b), elementwise."""
    return _compare(a, b, operator.gt, "gt (>)")


def ge(a: Tensor, b: Tensor | float | None) -> Tensor:
    """out = (a >= b), elementwise."""
    return _compare(a, b, operator.ge, "ge (>=)")


def isnan(a: Tensor) -> Tensor:
    """out = (a is nan), elementwise."""
    return Tensor._wrap(get_array_module(a.array).isnan(a.array))


def isinf(a: Tensor) -> Tensor:
    """out = (a is +inf or -inf), elementwise."""
    return Tensor._wrap(get_array_module(a.array).isinf(a.array))


def isfinite(a: Tensor) -> Tensor:
    """out = (a is neither nan nor inf), elementwise."""
    return Tensor._wrap(get_array_module(a.array).isfinite(a.array))


def allclose(a: Tensor, b: Tensor, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:
    """True when |a - b| <= atol + rtol |b| everywhere (a Python bool, as PyTorch)."""
    a, b = operands.broadcast_operands(a, b, "allclose")
    return bool(get_array_module(a.array).allclose(a.array, b.array, rtol=rtol, atol=atol, equal_nan=equal_nan))
