"""Ops that pick, element by element, one of two values: where, maximum, minimum, clamp.

Each passes the gradient to the value it picked. Where two values tie (``maximum(a, b)``
with a = b, ``clamp`` at a bound) the rule is PyTorch's, stated in each docstring.
Operands broadcast; the engine sums each gradient back to its input's shape.
"""
from __future__ import annotations

from ..backend import get_array_module
from ..operands import as_tensor, same_device
from ..tensor import Tensor, make_result


def _pair(op, a, b):
    """Both operands as tensors on one device (a Python number takes the other's dtype); an
    integer tensor meeting a float one takes its dtype, as in PyTorch (NumPy: float64)."""
    if not isinstance(a, Tensor):
        a = as_tensor(a, like=b)
    b = as_tensor(b, like=a)
    same_device(op, a, b)
    if a.dtype.kind == "f" and b.dtype.kind != "f":
        b = Tensor._wrap(b.array.astype(a.dtype))        # integers never need grad: no graph is lost
    elif b.dtype.kind == "f" and a.dtype.kind != "f":
        a = Tensor._wrap(a.array.astype(b.dtype))
    return a, b


def where(condition: Tensor, input: Tensor | float | None = None, other: Tensor | float | None = None) -> Tensor:
    """out_i = input_i where condition_i, else other_i.

    dout/dinput = condition, dout/dother = not condition: each side gets the gradient of
    the elements it supplied. ``condition`` must be a bool tensor, as in PyTorch.
    ``where(condition)`` alone is ``condition.nonzero(as_tuple=True)``: one int64 index
    tensor per axis.
    """
    if not isinstance(condition, Tensor):
        raise TypeError(f"where: condition must be a bool Tensor, got {type(condition).__name__}; "
                        f"write where(Tensor(mask), x, y)")
    if condition.dtype.kind != "b":
        raise TypeError(f"where: condition must have dtype bool, got {condition.dtype}; "
                        f"write where(c != 0, x, y) or where(c.bool(), x, y)")
    xp = get_array_module(condition.array)
    if input is None and other is None:
        return tuple(Tensor._wrap(i.astype(xp.int64)) for i in xp.nonzero(condition.array))
    if input is None or other is None:
        raise TypeError("where: pass both input and other (where(condition, x, y)), or neither")
    input, other = _pair("where", input, other)
    same_device("where", condition, input)
    c = condition.array
    out = xp.where(c, input.array, other.array)

    def backward(g):
        zero = xp.zeros((), dtype=g.dtype)
        return (None,
                xp.where(c, g, zero) if input.requires_grad else None,
                xp.where(c, zero, g) if other.requires_grad else None)
    return make_result(out, (condition, input, other), backward, "where")


def maximum(a: Tensor, b: Tensor | float, *, out: Tensor | None = None) -> Tensor:
    """out_i = max(a_i, b_i); with ``out=t``, written into t in place (torch.optim's amsgrad:
    ``torch.maximum(v_max, v, out=v_max)``), by ``t.copy_``'s rules.

    dout/da = 1 where a > b, 0 where a < b, and 1/2 where a = b (PyTorch splits a tie
    evenly between the two inputs); dout/db likewise.
    """
    a, b = _pair("maximum", a, b)
    xp = get_array_module(a.array)
    result = xp.maximum(a.array, b.array)

    def backward(g):
        share = (a.array > b.array) + 0.5 * (a.array == b.array)      # a's part: 1, 1/2 or 0
        return (g * share if a.requires_grad else None,
                g * (1 - share) if b.requires_grad else None)
    return _into(make_result(result, (a, b), backward, "maximum"), out)


def minimum(a: Tensor, b: Tensor | float, *, out: Tensor | None = None) -> Tensor:
    """out_i = min(a_i, b_i).    dout/da = 1 where a < b, 1/2 where a = b, else 0; b likewise.
    With ``out=t``, written into t in place."""
    a, b = _pair("minimum", a, b)
    xp = get_array_module(a.array)
    result = xp.minimum(a.array, b.array)

    def backward(g):
        share = (a.array < b.array) + 0.5 * (a.array == b.array)
        return (g * share if a.requires_grad else None,
                g * (1 - share) if b.requires_grad else None)
    return _into(make_result(result, (a, b), backward, "minimum"), out)


def _into(result, into):
    """``result``, or ``into`` after ``into.copy_(result)`` (PyTorch's ``out=``)."""
    return result if into is None else into.copy_(result)


def clamp(a: Tensor, min: float | None = None, max: float | None = None) -> Tensor:
    """out = min(max(a, lo), hi), each element of a limited to [lo, hi].

    dout/da = 1 where lo <= a <= hi (the bounds included, as PyTorch), 0 outside.
    The bounds are numbers; for tensor bounds write maximum(minimum(a, hi), lo).
    """
    if min is None and max is None:
        raise ValueError("clamp: at least one of min and max must be given (as in PyTorch)")
    for name, bound in (("min", min), ("max", max)):
        if bound is not None and (not isinstance(bound, (int, float)) or isinstance(bound, bool)):
            raise TypeError(f"clamp: {name} must be a number, got {type(bound).__name__}; for tensor "
                            f"bounds write maximum(minimum(x, hi), lo)")
    xp = get_array_module(a.array)
    out = xp.clip(a.array, min, max)

    def backward(g):
        inside = xp.ones(a.shape, dtype=bool)
        if min is not None:
            inside &= a.array >= min
        if max is not None:
            inside &= a.array <= max
        return (g * inside,)
    return make_result(out, (a,), backward, "clamp")
