"""Reductions: sum, mean, prod, var, std, norm, amax/amin, max/min (with indices), argmax/argmin,
any/all.

Each takes PyTorch's ``dim`` and ``keepdim`` (NumPy's ``axis`` and ``keepdims`` are accepted
as the same arguments, as PyTorch accepts them). ``dim=None`` reduces over every element.

A reduction's gradient has the input's shape: every input element that fed an output
element receives that output's gradient ``g`` (times the local derivative). To line ``g``
up with the input we first put the reduced axes back (``keepdim``), then broadcast.

Integer and bool tensors follow PyTorch: ``sum`` and ``prod`` count in int64 (so
``(pred == labels).sum()`` counts the matches), ``mean``, ``var`` and ``std`` refuse them
(write ``t.float().mean()``). Reducing a zero-size axis: the sum is 0, the product 1, the
mean nan; a maximum or minimum of no elements is undefined, and raises.
"""
from __future__ import annotations

import builtins
import math
import numbers
from typing import NamedTuple

import numpy

from ..backend import get_array_module
from ..tensor import Tensor, make_result
from .select import maximum, minimum
from .unary import sqrt


class ValuesIndices(NamedTuple):
    """What ``max(dim)`` and ``min(dim)`` return, as PyTorch's ``torch.return_types.max``:
    ``values, indices = x.max(dim=1)`` or ``x.max(dim=1).indices``."""
    values: Tensor
    indices: Tensor


def _dim(op, a, dim, axis, keepdim, keepdims, tuple_ok=False):
    """PyTorch's ``dim``/``keepdim`` or NumPy's ``axis``/``keepdims``, checked: ``(dim, keepdim)``.

    ``dim`` is None, an int in [-ndim, ndim), or, where ``tuple_ok``, a tuple (or list) of
    such ints naming distinct axes.
    """
    if axis is not None:
        if dim is not None:
            raise TypeError(f"{op}: got both dim={dim!r} and axis={axis!r}; they are one argument, pass one")
        dim = axis
    if keepdims is not None:
        keepdim = keepdims
    if tuple_ok and isinstance(dim, list):
        dim = tuple(dim)
    _check_axis(op, a, dim, tuple_ok)
    if a.ndim == 0:            # a 0-d tensor has one element: any valid dim reduces over all of it
        dim = None
    return dim, bool(keepdim)


def _check_axis(op, a, axis, tuple_ok=False):
    """Raise a clear error unless ``axis`` is None, an int in [-ndim, ndim), or, where
    ``tuple_ok``, a tuple of such ints naming distinct axes."""
    if axis is None:
        return
    if tuple_ok and isinstance(axis, tuple):
        for ax in axis:
            _check_axis(op, a, ax)
        if len({ax % a.ndim for ax in axis}) != len(axis):
            raise ValueError(f"{op}: dim {axis} names one axis twice (tensor of shape {a.shape})")
        return
    if not isinstance(axis, numbers.Integral) or isinstance(axis, bool):
        allowed = "an int, a tuple of ints" if tuple_ok else "an int"
        raise TypeError(f"{op}: dim must be {allowed} or None, got {axis!r}")
    n = builtins.max(a.ndim, 1)            # a 0-d tensor takes dim 0 or -1, as in PyTorch
    if not -n <= axis < n:
        raise ValueError(f"{op}: dim {axis!r} is out of range for a tensor of shape {a.shape} "
                         f"(use an int in [{-n}, {n}) or None)")


def _count(a, dim):
    """How many elements each output element reduces over."""
    if dim is None:
        return a.array.size
    if isinstance(dim, tuple):
        return math.prod(a.shape[d] for d in dim)
    return a.shape[dim]


def _expand(g, a, dim, keepdim):
    """``g`` reshaped so it broadcasts against ``a``: each reduced axis put back as size 1.

    (``expand_dims`` takes one axis or a tuple; negative axes count from the end of ``a``.)
    """
    if dim is None:
        return g.reshape((1,) * a.ndim)
    return g if keepdim else get_array_module(g).expand_dims(g, dim)


def _float_only(op, a):
    """mean, var and std of integers or bools: PyTorch refuses them, and so do we."""
    if a.dtype.kind != "f":
        raise TypeError(f"{op}: the input has dtype {a.dtype}; {op} needs a floating tensor (as in "
                        f"PyTorch, which cannot infer the output dtype either). Convert first: "
                        f"t.float().{op}(), e.g. (pred == labels).float().mean() for an accuracy")


def _integer_sum_dtype(a):
    """Bools and integers add up in int64, as in PyTorch (NumPy: uint8 stays unsigned)."""
    return numpy.int64 if a.dtype.kind in "biu" else None


def sum(a: Tensor, dim: int | tuple[int, ...] | None = None, keepdim: bool = False, *,
        axis: int | tuple[int, ...] | None = None, keepdims: bool | None = None,
        dtype: numpy.dtype | str | None = None) -> Tensor:
    """out = sum_i a_i.    dout/da_i = 1: each element receives g.

    A sum over no elements is 0. ``dtype``: convert the input first (as PyTorch).
    """
    dim, keepdim = _dim("sum", a, dim, axis, keepdim, keepdims, tuple_ok=True)
    xp = get_array_module(a.array)
    out = a.array.sum(axis=dim, keepdims=keepdim, dtype=_integer_sum_dtype(a) if dtype is None else dtype)

    def backward(g):
        return (xp.broadcast_to(_expand(g, a, dim, keepdim), a.shape),)
    return make_result(out, (a,), backward, "sum")


def mean(a: Tensor, dim: int | tuple[int, ...] | None = None, keepdim: bool = False, *,
         axis: int | tuple[int, ...] | None = None, keepdims: bool | None = None,
         dtype: numpy.dtype | str | None = None) -> Tensor:
    """out = (1/n) sum_i a_i over the n reduced elements.    dout/da_i = 1/n.

    The mean of no elements (n = 0) is nan, as in PyTorch. ``dtype``: convert the input
    first, so ``mask.mean(dtype=float32)`` works on a bool tensor.
    """
    dim, keepdim = _dim("mean", a, dim, axis, keepdim, keepdims, tuple_ok=True)
    x = a.array if dtype is None else a.array.astype(dtype)
    if dtype is None:
        _float_only("mean", a)
    xp = get_array_module(x)
    n = _count(a, dim)
    # sum / n rather than .mean(): the same numbers, without NumPy's Python-level mean wrapper;
    # n in the sum's dtype, or NumPy 1 turns a float32 scalar divided by an int into float64
    total = x.sum(axis=dim, keepdims=keepdim)
    out = total / total.dtype.type(n) if n else xp.full_like(total, xp.nan)

    def backward(g):
        return (xp.broadcast_to(_expand(g, a, dim, keepdim) / builtins.max(n, 1), a.shape),)
    return make_result(out, (a,), backward, "mean")


def var(a: Tensor, dim: int | tuple[int, ...] | None = None, unbiased: bool = True, keepdim: bool = False, *,
        correction: int | None = None, axis: int | tuple[int, ...] | None = None,
        keepdims: bool | None = None) -> Tensor:
    """out = sum_i (a_i - mean)^2 / (n - c) over the n reduced elements.

    c = 1 (``unbiased=True``, PyTorch's default: Bessel's correction), 0 for the population
    variance, or any ``correction``. NumPy's ``var`` defaults to c = 0: not the same number.

    dout/da_i = 2 (a_i - mean) / (n - c): the mean's own dependence on a_i drops out,
    because the deviations sum to zero.  With n - c <= 0, as PyTorch: inf or nan.
    """
    if isinstance(dim, bool):              # PyTorch's var(x, False): the flag given positionally
        dim, unbiased = None, dim
    dim, keepdim = _dim("var", a, dim, axis, keepdim, keepdims, tuple_ok=True)
    _float_only("var", a)
    c = (1 if unbiased else 0) if correction is None else correction
    n = _count(a, dim)
    deviation = a.array - a.array.sum(axis=dim, keepdims=True) / builtins.max(n, 1)
    divisor = a.dtype.type(builtins.max(n - c, 0))
    with numpy.errstate(divide="ignore", invalid="ignore"):    # PyTorch gives inf or nan, silently
        out = (deviation * deviation).sum(axis=dim, keepdims=keepdim) / divisor

    def backward(g):
        with numpy.errstate(divide="ignore", invalid="ignore"):
            return (2 * deviation * _expand(g, a, dim, keepdim) / divisor,)
    return make_result(out, (a,), backward, "var")


def std(a: Tensor, dim: int | tuple[int, ...] | None = None, unbiased: bool = True, keepdim: bool = False, *,
        correction: int | None = None, axis: int | tuple[int, ...] | None = None,
        keepdims: bool | None = None) -> Tensor:
    """out = sqrt(var(a)), the standard deviation (unbiased by default, as PyTorch's).

    The chain rule through sqrt gives dout/da_i = (a_i - mean) / ((n - c) out).
    """
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    return sqrt(var(a, dim, unbiased, keepdim, correction=correction, axis=axis, keepdims=keepdims))


def norm(a: Tensor, p: float | str = "fro", dim: int | tuple[int, ...] | None = None, keepdim: bool = False) -> Tensor:
    """out = sqrt(sum_i a_i^2), the Euclidean (Frobenius) norm: PyTorch's default ``p``.

    dout/da_i = a_i / out. Where out = 0 (every a_i = 0) the gradient is 0, PyTorch's
    subgradient, not 0/0. Other norms read better written out: ``x.abs().sum()`` (p = 1),
    ``x.abs().max()`` (p = inf).
    """
    if p not in (2, "fro"):
        raise ValueError(f"norm: only p=2 (the Euclidean norm) is an op here, got p={p!r}; write "
                         f"x.abs().sum() for p=1, x.abs().max() for p=inf, (x.abs() ** p).sum() ** (1 / p) else")
    dim, keepdim = _dim("norm", a, dim, None, keepdim, None, tuple_ok=True)
    _float_only("norm", a)
    xp = get_array_module(a.array)
    length = xp.sqrt((a.array * a.array).sum(axis=dim, keepdims=True))     # reduced axes kept, size 1
    out = length if keepdim else (length.reshape(()) if dim is None else xp.squeeze(length, axis=dim))

    def backward(g):
        return (a.array * _expand(g, a, dim, keepdim) / xp.where(length == 0, 1, length),)
    return make_result(out, (a,), backward, "norm")


def _nonempty(op, a, dim):
    """A maximum or minimum of no elements is undefined: say so, as PyTorch does."""
    if dim is None and a.array.size == 0:
        raise RuntimeError(f"{op}(): cannot reduce a tensor of shape {a.shape} with no elements; "
                           f"pass dim= to reduce over a non-empty axis")
    if dim is not None and a.ndim and a.shape[dim] == 0:
        raise RuntimeError(f"{op}(): cannot reduce dim {dim} of a tensor of shape {a.shape}: it has size 0, "
                           f"and a {op} of no elements is undefined")


def amax(a: Tensor, dim: int | tuple[int, ...] | None = None, keepdim: bool = False, *,
         axis: int | tuple[int, ...] | None = None, keepdims: bool | None = None) -> Tensor:
    """out = max_i a_i (values only; ``dim`` may be a tuple).

    dout/da_i = 1/k for each of the k elements equal to the maximum, 0 elsewhere: ties
    share the gradient evenly (PyTorch's rule for ``amax`` and for ``max()`` without a dim).
    """
    dim, keepdim = _dim("amax", a, dim, axis, keepdim, keepdims, tuple_ok=True)
    _nonempty("amax", a, dim)
    out = a.array.max(axis=dim, keepdims=keepdim)

    def backward(g):
        return (_share_among_ties(g, a, out, dim, keepdim),)
    return make_result(out, (a,), backward, "amax")


def amin(a: Tensor, dim: int | tuple[int, ...] | None = None, keepdim: bool = False, *,
         axis: int | tuple[int, ...] | None = None, keepdims: bool | None = None) -> Tensor:
    """out = min_i a_i (values only).  dout/da_i = 1/k for each of the k minimal elements."""
    dim, keepdim = _dim("amin", a, dim, axis, keepdim, keepdims, tuple_ok=True)
    _nonempty("amin", a, dim)
    out = a.array.min(axis=dim, keepdims=keepdim)

    def backward(g):
        return (_share_among_ties(g, a, out, dim, keepdim),)
    return make_result(out, (a,), backward, "amin")


def _share_among_ties(g, a, out, dim, keepdim):
    """g / k at each of the k elements equal to the extreme ``out``, 0 elsewhere."""
    winners = a.array == _expand(out, a, dim, keepdim)
    share = winners.sum(axis=dim, keepdims=True)
    return _expand(g, a, dim, keepdim) / share * winners


def _with_indices(op, a, dim, keepdim, arg):
    """(values, indices) of the extreme along ``dim``; ``arg`` is argmax or argmin.

    out_j = a[index_j]: the gradient goes to the returned index only (one element, even
    among ties), as in PyTorch.
    """
    xp = get_array_module(a.array)
    _nonempty(op, a, dim)
    index = xp.expand_dims(arg(a.array, axis=dim), dim)              # keepdim form, int64
    out = xp.take_along_axis(a.array, index, axis=dim)
    if not keepdim:
        out, index = out.squeeze(dim), index.squeeze(dim)

    def backward(g):
        positions = xp.arange(a.shape[dim]).reshape([-1 if d == dim % a.ndim else 1 for d in range(a.ndim)])
        picked = positions == (index if keepdim else xp.expand_dims(index, dim))
        return (picked * _expand(g, a, dim, keepdim),)
    values = make_result(out, (a,), backward, op)
    return ValuesIndices(values, Tensor._wrap(index.astype(xp.int64, copy=False)))


def max(a: Tensor, dim: int | Tensor | None = None, keepdim: bool = False, *, axis: int | None = None,
        keepdims: bool | None = None) -> Tensor | ValuesIndices:
    """``max(a)``: the largest element (ties share the gradient, see :func:`amax`).
    ``max(a, dim)``: ``(values, indices)`` along ``dim``; the gradient goes to each index.
    ``max(a, b)`` with a tensor ``b``: the elementwise maximum (:func:`~.select.maximum`).
    """
    if isinstance(dim, Tensor):
        return maximum(a, dim)
    if dim is None and axis is None:
        return amax(a, None, keepdim if keepdims is None else keepdims)
    dim, keepdim = _dim("max", a, dim, axis, keepdim, keepdims)
    if a.ndim == 0:            # PyTorch: a 0-d tensor's max over dim 0 is itself, at index 0
        return ValuesIndices(amax(a), _zero_index(a))
    return _with_indices("max", a, dim, keepdim, get_array_module(a.array).argmax)


def min(a: Tensor, dim: int | Tensor | None = None, keepdim: bool = False, *, axis: int | None = None,
        keepdims: bool | None = None) -> Tensor | ValuesIndices:
    """``min(a)``, ``min(a, dim)`` -> ``(values, indices)``, ``min(a, b)``: as :func:`max`."""
    if isinstance(dim, Tensor):
        return minimum(a, dim)
    if dim is None and axis is None:
        return amin(a, None, keepdim if keepdims is None else keepdims)
    dim, keepdim = _dim("min", a, dim, axis, keepdim, keepdims)
    if a.ndim == 0:
        return ValuesIndices(amin(a), _zero_index(a))
    return _with_indices("min", a, dim, keepdim, get_array_module(a.array).argmin)


def _zero_index(a):
    return Tensor._wrap(get_array_module(a.array).zeros((), dtype="int64"))


def argmax(a: Tensor, dim: int | None = None, keepdim: bool = False, *, axis: int | None = None,
           keepdims: bool | None = None) -> Tensor:
    """Index of the largest element along ``dim`` (of the flattened tensor for None): int64,
    not differentiable. Ties: the first, as PyTorch and NumPy."""
    return _arg("argmax", a, dim, keepdim, axis, keepdims)


def argmin(a: Tensor, dim: int | None = None, keepdim: bool = False, *, axis: int | None = None,
           keepdims: bool | None = None) -> Tensor:
    """Index of the smallest element along ``dim`` (see :func:`argmax`)."""
    return _arg("argmin", a, dim, keepdim, axis, keepdims)


def _arg(op, a, dim, keepdim, axis, keepdims):
    dim, keepdim = _dim(op, a, dim, axis, keepdim, keepdims)
    _nonempty(op, a, dim)
    index = getattr(a.array, op)(axis=dim, keepdims=keepdim)
    return Tensor._wrap(get_array_module(a.array).asarray(index, dtype="int64"))


def any(a: Tensor, dim: int | tuple[int, ...] | None = None, keepdim: bool = False, *,
        axis: int | tuple[int, ...] | None = None, keepdims: bool | None = None) -> Tensor:
    """True where any element along ``dim`` is nonzero (a bool tensor; not differentiable)."""
    dim, keepdim = _dim("any", a, dim, axis, keepdim, keepdims, tuple_ok=True)
    return Tensor._wrap(get_array_module(a.array).asarray(a.array.any(axis=dim, keepdims=keepdim)))


def all(a: Tensor, dim: int | tuple[int, ...] | None = None, keepdim: bool = False, *,
        axis: int | tuple[int, ...] | None = None, keepdims: bool | None = None) -> Tensor:
    """True where every element along ``dim`` is nonzero (a bool tensor; not differentiable)."""
    dim, keepdim = _dim("all", a, dim, axis, keepdim, keepdims, tuple_ok=True)
    return Tensor._wrap(get_array_module(a.array).asarray(a.array.all(axis=dim, keepdims=keepdim)))


def prod(a: Tensor, dim: int | tuple[int, ...] | None = None, keepdim: bool = False, *,
         axis: int | tuple[int, ...] | None = None, keepdims: bool | None = None,
         dtype: numpy.dtype | str | None = None) -> Tensor:
    """out = prod_i a_i.    dout/da_i = prod_{j != i} a_j.

    Where no a_i is zero that is simply out / a_i, one division. At a zero the division
    fails (0/0), so then the product of the others is built exactly, as the exclusive
    products before and after each element (two cumulative products):
    prod_{j != i} a_j = (prod_{j<i} a_j)(prod_{j>i} a_j).
    Used by the deep narrow linear net, y = x * w_1 * ... * w_n. A product of no elements is 1.
    """
    dim, keepdim = _dim("prod", a, dim, axis, keepdim, keepdims)
    xp = get_array_module(a.array)
    out = a.array.prod(axis=dim, keepdims=keepdim, dtype=_integer_sum_dtype(a) if dtype is None else dtype)

    def backward(g):
        # no a_i is zero (bool() of a device array waits for the GPU: one sync, for a branch worth it)
        if bool(a.array.all()):
            return (_expand(out * g, a, dim, keepdim) / a.array,)
        # work along the last axis: of the flattened array (dim=None), or with dim swapped there
        x = a.array.reshape(-1) if dim is None else a.array.swapaxes(dim, -1)
        before = xp.ones_like(x)                                         # prod_{j<i} x_j
        before[..., 1:] = xp.cumprod(x[..., :-1], axis=-1)
        after = xp.ones_like(x)                                          # prod_{j>i} x_j
        after[..., :-1] = xp.cumprod(x[..., :0:-1], axis=-1)[..., ::-1]
        before *= after
        others = before.reshape(a.shape) if dim is None else before.swapaxes(dim, -1)
        return (others * _expand(g, a, dim, keepdim),)
    return make_result(out, (a,), backward, "prod")


