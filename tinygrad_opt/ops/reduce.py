"""Reductions: sum, mean, max, prod over one axis (or all), with or without ``keepdims``;
sum and mean also over a tuple of axes.

A reduction's gradient has the input's shape: every input element that fed an output
element receives that output's gradient ``g`` (times the local derivative). To line ``g``
up with the input we first put the reduced axes back (``keepdims``), then broadcast.
"""
import math
import numbers

from ..backend import get_array_module
from ..tensor import make_result


def _check_axis(op, a, axis, tuple_ok=False):
    """Raise a clear error unless ``axis`` is None, an int in [-ndim, ndim), or, where
    ``tuple_ok`` (sum and mean), a tuple of such ints naming distinct axes."""
    if axis is None:
        return
    if tuple_ok and isinstance(axis, tuple):
        for ax in axis:
            _check_axis(op, a, ax)
        if len({ax % a.ndim for ax in axis}) != len(axis):
            raise ValueError(f"{op}: axis {axis} names one axis twice (tensor of shape {a.shape})")
        return
    if not isinstance(axis, numbers.Integral) or isinstance(axis, bool):
        allowed = "an int, a tuple of ints" if tuple_ok else "an int"
        raise TypeError(f"{op}: axis must be {allowed} or None, got {axis!r}")
    if not -a.ndim <= axis < a.ndim:
        raise ValueError(f"{op}: axis {axis!r} is out of range for a tensor of shape {a.shape} "
                         f"(use an int in [{-a.ndim}, {a.ndim}) or None)")


def _expand(g, a, axis, keepdims):
    """``g`` reshaped so it broadcasts against ``a``: each reduced axis put back as size 1.

    (``expand_dims`` takes one axis or a tuple; negative axes count from the end of ``a``.)
    """
    if axis is None:
        return g.reshape((1,) * a.ndim)
    return g if keepdims else get_array_module(g).expand_dims(g, axis)


def sum(a, axis=None, keepdims=False):
    """out = sum_i a_i.    dout/da_i = 1: each element receives g."""
    _check_axis("sum", a, axis, tuple_ok=True)
    xp = get_array_module(a.array)

    def backward(g):
        return (xp.broadcast_to(_expand(g, a, axis, keepdims), a.shape),)
    return make_result(a.array.sum(axis=axis, keepdims=keepdims), (a,), backward, "sum")


def mean(a, axis=None, keepdims=False):
    """out = (1/n) sum_i a_i over the n reduced elements.    dout/da_i = 1/n."""
    _check_axis("mean", a, axis, tuple_ok=True)
    xp = get_array_module(a.array)
    if axis is None:
        n = a.array.size
    else:
        n = math.prod(a.shape[ax] for ax in axis) if isinstance(axis, tuple) else a.shape[axis]

    def backward(g):
        return (xp.broadcast_to(_expand(g, a, axis, keepdims) / n, a.shape),)
    # sum / n rather than .mean(): the same numbers, without NumPy's Python-level mean wrapper
    return make_result(a.array.sum(axis=axis, keepdims=keepdims) / n, (a,), backward, "mean")


def max(a, axis=None, keepdims=False):
    """out = max_i a_i.    dout/da_i = 1 for the arg-max element, 0 elsewhere.

    With ties the gradient goes to the first maximal element only (the one ``argmax``
    returns), as PyTorch's ``max(dim)`` does.
    """
    _check_axis("max", a, axis)
    xp = get_array_module(a.array)
    out = a.array.max(axis=axis, keepdims=keepdims)

    def backward(g):
        if axis is None:
            mask = xp.zeros(a.array.size, dtype=bool)
            mask[a.array.argmax()] = True
            return (mask.reshape(a.shape) * g,)
        index = xp.expand_dims(a.array.argmax(axis=axis), axis)
        shape = [1] * a.ndim
        shape[axis] = a.shape[axis]
        mask = xp.arange(a.shape[axis]).reshape(shape) == index
        return (mask * _expand(g, a, axis, keepdims),)
    return make_result(out, (a,), backward, "max")


def prod(a, axis=None, keepdims=False):
    """out = prod_i a_i.    dout/da_i = prod_{j != i} a_j.

    Where no a_i is zero that is simply out / a_i, one division. At a zero the division
    fails (0/0), so then the product of the others is built exactly, as the exclusive
    products before and after each element (two cumulative products):
    prod_{j != i} a_j = (prod_{j<i} a_j)(prod_{j>i} a_j).
    Used by the deep narrow linear net, y = x * w_1 * ... * w_n.
    """
    _check_axis("prod", a, axis)
    xp = get_array_module(a.array)
    out = a.array.prod(axis=axis, keepdims=keepdims)

    def backward(g):
        # (bool() of a device array waits for the GPU: one sync, for a branch worth it)
        if not bool((a.array == 0).any()):
            return (_expand(out * g, a, axis, keepdims) / a.array,)
        # work along the last axis: of the flattened array (axis=None), or with axis swapped there
        x = a.array.reshape(-1) if axis is None else a.array.swapaxes(axis, -1)
        before = xp.ones_like(x)                                         # prod_{j<i} x_j
        before[..., 1:] = xp.cumprod(x[..., :-1], axis=-1)
        after = xp.ones_like(x)                                          # prod_{j>i} x_j
        after[..., :-1] = xp.cumprod(x[..., :0:-1], axis=-1)[..., ::-1]
        before *= after
        others = before.reshape(a.shape) if axis is None else before.swapaxes(axis, -1)
        return (others * _expand(g, a, axis, keepdims),)
    return make_result(out, (a,), backward, "prod")
