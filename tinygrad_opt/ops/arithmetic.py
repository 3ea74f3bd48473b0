"""Elementwise arithmetic: ``+ - * /``, negation, and ``**`` with a number as exponent or as base.

Each op takes tensors (or a Python number, which becomes a constant), computes its result,
and defines ``backward(g)``, which maps ``g = dL/dout`` to ``(dL/da, dL/db)``. Shapes may
broadcast: ``backward`` returns gradients of the *broadcast* shape and the engine sums them
back to each input's shape (``tensor.unbroadcast``), so no op here has to. ``cast`` changes
the dtype (``t.float()``, ``t.double()``).
A gradient that nobody needs is not computed (``None``).
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

from ..backend import get_default_dtype
from ..operands import broadcast_operands
from ..tensor import Tensor, make_result

if TYPE_CHECKING:
    import numpy


def add(a: Tensor, b: Tensor | float) -> Tensor:
    """out = a + b.    dout/da = 1, dout/db = 1, so both receive g."""
    a, b = broadcast_operands(a, b, "add")
    out = a.array + b.array

    def backward(g):
        return g, g
    return make_result(out, (a, b), backward, "add")


def sub(a: Tensor, b: Tensor | float) -> Tensor:
    """out = a - b.    dout/da = 1, dout/db = -1."""
    a, b = broadcast_operands(a, b, "sub")
    out = a.array - b.array

    def backward(g):
        return g, (-g if b.requires_grad else None)
    return make_result(out, (a, b), backward, "sub")


def mul(a: Tensor, b: Tensor | float) -> Tensor:
    """out = a * b.    dout/da = b, dout/db = a."""
    a, b = broadcast_operands(a, b, "mul")
    out = a.array * b.array

    def backward(g):
        return (g * b.array if a.requires_grad else None,
                g * a.array if b.requires_grad else None)
    return make_result(out, (a, b), backward, "mul")


def div(a: Tensor, b: Tensor | float) -> Tensor:
    """out = a / b.    dout/da = 1/b, dout/db = -a/b^2 = -out/b."""
    a, b = broadcast_operands(a, b, "div")
    out = a.array / b.array
    if a.dtype.kind != "f":     # integer / integer: the default float dtype, as in PyTorch (NumPy: float64)
        out = out.astype(get_default_dtype())

    def backward(g):
        ga = g / b.array if a.requires_grad else None
        gb = -g * out / b.array if b.requires_grad else None
        return ga, gb
    return make_result(out, (a, b), backward, "div")


def neg(a: Tensor) -> Tensor:
    """out = -a.    dout/da = -1."""
    out = -a.array

    def backward(g):
        return (-g,)
    return make_result(out, (a,), backward, "neg")


def pow(a: Tensor, exponent: Tensor | float) -> Tensor:
    """out = a^p for a number p.    dout/da = p a^(p-1).

    (The exponent is a constant: no gradient flows into it.)
    """
    if not isinstance(exponent, (int, float)) or isinstance(exponent, bool):
        raise TypeError(f"pow: the exponent must be a Python number, got {type(exponent).__name__}")
    out = a.array ** exponent
    if a.dtype.kind != "f" and isinstance(exponent, float):   # integers ** 0.5: the default float dtype
        out = out.astype(get_default_dtype())

    def backward(g):
        if exponent == 0:   # a^0 = 1 is constant; 0 * a^(-1) would give nan at a = 0
            return (g * 0,)
        return (g * exponent * a.array ** (exponent - 1),)
    return make_result(out, (a,), backward, "pow")



def rpow(base: float, a: Tensor) -> Tensor:
    """out = base^a for a number base > 0 (``0.9 ** t``).    dout/da = base^a ln(base) = out ln(base).

    (The base is a constant: no gradient flows into it.)
    """
    if not isinstance(base, (int, float)) or isinstance(base, bool) or base <= 0:
        raise ValueError(f"base ** tensor: the base must be a Python number > 0, got {base!r}; "
                         f"for other bases write exp(t * log(base)) with the sign handled by hand")
    out = base ** a.array
    if a.dtype.kind != "f" and isinstance(base, float):   # 0.5 ** integers: the default float dtype
        out = out.astype(get_default_dtype())
    log_base = math.log(base)

    def backward(g):
        return (g * out * log_base,)
    return make_result(out, (a,), backward, "rpow")

def cast(a: Tensor, dtype: numpy.dtype | str) -> Tensor:
    """out = a as ``dtype`` (``t.float()``, ``t.long()``, ...).    dout/da = 1 between float dtypes.

    The gradient goes back in a's own dtype. A cast to an integer or bool dtype is piecewise
    constant: no gradient flows, as in PyTorch, so its result has no graph.
    """
    if a.array.dtype == dtype:
        return a
    out = a.array.astype(dtype)
    if out.dtype.kind != "f" or a.array.dtype.kind != "f":
        return type(a)._wrap(out)

    def backward(g):
        return (g.astype(a.array.dtype),)
    return make_result(out, (a,), backward, "cast")
