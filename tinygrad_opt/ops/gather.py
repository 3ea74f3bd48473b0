"""Ops that copy elements to new places: expand, repeat, gather, index_select, masked_fill, topk.

Each element of the output comes from one element of the input (or from a constant), so
the backward adds each output gradient back to the element it came from. An input element
copied several times (expand, repeat, a repeated index) receives the sum of its copies'
gradients.
"""
from __future__ import annotations

import numbers
from typing import Sequence

from ..backend import get_array_module
from ..operands import same_device
from ..tensor import Tensor, make_result
from .reduce import ValuesIndices
from .shape import _axis, reshape


def expand(a: Tensor, shape: Sequence[int]) -> Tensor:
    """out = a broadcast to ``shape`` (-1 keeps a's size): a (3, 1) expands to (3, 4).

    a: (..., 1, ...) -> out: (..., n, ...).    dL/da = g summed over the copies (the engine's
    unbroadcast does it: the backward hands back g of out's shape).
    """
    shape = tuple(shape)
    lead = len(shape) - a.ndim
    if lead < 0:
        raise ValueError(f"expand: the target shape {shape} has fewer dimensions than the tensor's {a.shape}")
    shape = tuple(a.shape[i - lead] if n == -1 and i >= lead else n for i, n in enumerate(shape))
    if any(n < 0 for n in shape) or any(m != 1 and m != n for m, n in zip(a.shape, shape[lead:], strict=True)):
        raise ValueError(f"expand: a tensor of shape {a.shape} cannot expand to {shape}: only axes of size 1 "
                         f"(or new leading axes) can grow; use repeat to tile other axes")
    out = get_array_module(a.array).broadcast_to(a.array, shape).copy()   # a copy: in-place changes stay apart

    def backward(g):
        return (g,)
    return make_result(out, (a,), backward, "expand")


def repeat(a: Tensor, sizes: Sequence[int]) -> Tensor:
    """out = a tiled ``sizes[i]`` times along each axis: (2, 3).repeat(2, 1) is (4, 3).

    dL/da = the sum of g over the tiles: g reshaped to (tiles_0, n_0, tiles_1, n_1, ...) and
    summed over the tile axes.
    """
    sizes = tuple(sizes)
    if len(sizes) < a.ndim:
        raise ValueError(f"repeat: give at least one count per dimension ({a.ndim} for shape {a.shape}), "
                         f"got {sizes}")
    xp = get_array_module(a.array)
    shape = (1,) * (len(sizes) - a.ndim) + tuple(a.shape)
    out = xp.tile(a.array.reshape(shape), sizes)

    def backward(g):
        split = [n for pair in zip(sizes, shape, strict=True) for n in pair]
        grad = g.reshape(split).sum(axis=tuple(range(0, len(split), 2)))
        return (grad.reshape(a.shape),)
    return make_result(out, (a,), backward, "repeat")


def _index_tensor(op, a, index, d):
    """index's array, its entries checked to lie in [0, n) for a's axis d of size n, as PyTorch
    checks them (NumPy would read index -1 as the last entry)."""
    if not isinstance(index, Tensor) or index.dtype.kind not in "iu":
        raise TypeError(f"{op}: index must be an integer tensor (torch.tensor([...]) of int64), got "
                        f"{getattr(index, 'dtype', type(index).__name__)}")
    same_device(op, a, index)
    idx, n = index.array, a.shape[d]
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        bad = int(idx.min()) if idx.min() < 0 else int(idx.max())
        raise IndexError(f"{op}: index {bad} is out of range for dimension {d} of size {n} (shape {a.shape})")
    return idx


def gather(a: Tensor, dim: int, index: Tensor) -> Tensor:
    """out[i][j] = a[index[i][j]][j] for dim = 0, a[i][index[i][j]] for dim = 1 (and so on).

    a: (n_0, ..., n_d, ...), index: same rank, out: index's shape.
    dL/da = zeros with g added at the gathered positions (a position gathered twice gets both).
    """
    d = _axis("gather", a, dim)
    idx = _index_tensor("gather", a, index, d)
    if idx.ndim != a.ndim or any(m > n for i, (m, n) in enumerate(zip(idx.shape, a.shape, strict=True)) if i != d):
        raise ValueError(f"gather: index of shape {idx.shape} does not fit input of shape {a.shape}: it needs as "
                         f"many dimensions, and no larger size on any dimension but dim={dim}")
    xp = get_array_module(a.array)
    # the output has index's shape (as PyTorch): only a's first idx.shape[i] entries on the other axes
    corner = tuple(slice(None) if i == d else slice(0, m) for i, m in enumerate(idx.shape))
    out = xp.take_along_axis(a.array[corner], idx, axis=d)

    def backward(g):
        grad = xp.zeros_like(a.array)
        # the position of each g element in a: its own index on every axis but d, index's value on d
        positions = [idx if i == d else xp.arange(n).reshape([n if j == i else 1 for j in range(idx.ndim)])
                     for i, n in enumerate(idx.shape)]
        xp.add.at(grad, tuple(positions), g)
        return (grad,)
    return make_result(out, (a,), backward, "gather")


def index_select(a: Tensor, dim: int, index: Tensor) -> Tensor:
    """out = the entries of a at ``index`` along ``dim`` (index: 1-D), e.g. rows a[index] for dim = 0.

    dL/da = zeros with g added back at the chosen entries (an entry chosen twice gets both).
    """
    d = _axis("index_select", a, dim)
    idx = _index_tensor("index_select", a, index, d)
    if idx.ndim != 1:
        raise ValueError(f"index_select: index must be 1-D, got shape {idx.shape}")
    xp = get_array_module(a.array)
    out = xp.take(a.array, idx, axis=d)

    def backward(g):
        grad = xp.zeros_like(a.array)
        xp.add.at(grad, (slice(None),) * d + (idx,), g)
        return (grad,)
    return make_result(out, (a,), backward, "index_select")


def masked_fill(a: Tensor, mask: Tensor, value: float) -> Tensor:
    """out = value where mask, else a (mask: bool, broadcasts to a's shape).

    dL/da = g where not mask, 0 where mask (the filled entries no longer depend on a).
    """
    if not isinstance(mask, Tensor) or mask.dtype != bool:
        raise TypeError(f"masked_fill: mask must be a bool tensor (e.g. x > 0), got "
                        f"{getattr(mask, 'dtype', type(mask).__name__)}")
    if not isinstance(value, numbers.Number):
        raise TypeError(f"masked_fill: value must be a number, got {type(value).__name__}")
    same_device("masked_fill", a, mask)
    xp = get_array_module(a.array)
    try:
        keep = ~xp.broadcast_to(mask.array, a.shape)
    except ValueError:
        raise ValueError(f"masked_fill: a mask of shape {mask.shape} does not broadcast to {a.shape}") from None
    out = xp.where(keep, a.array, xp.asarray(value, dtype=a.dtype))

    def backward(g):
        return (g * keep,)
    return make_result(out, (a,), backward, "masked_fill")


def topk(a: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> ValuesIndices:
    """The k largest (or smallest) entries along ``dim`` and their indices: a gather at the
    argsort's first k positions, so dL/da is gather's (g back at the chosen entries).

    Ties keep the lower index first. ``sorted`` is accepted; the values always come sorted.
    A 0-d tensor is one entry, as in PyTorch: its top 1 is itself, at index 0 (both 0-d).
    """
    d = _axis("topk", a, dim)
    if a.ndim == 0:
        if k != 1:
            raise ValueError(f"topk: k = {k} is out of range for a 0-d tensor: it has one entry, so k = 1")
        values, indices = topk(reshape(a, (1,)), 1, 0, largest, sorted)
        return ValuesIndices(reshape(values, ()), reshape(indices, ()))
    n = a.shape[d]
    if not 0 <= k <= n:
        raise ValueError(f"topk: k = {k} is out of range for dimension {dim} of size {n} (shape {a.shape})")
    xp = get_array_module(a.array)
    order = xp.argsort(-a.array if largest else a.array, axis=d, kind="stable")
    index = Tensor._wrap(xp.take(order, xp.arange(k), axis=d).astype(xp.int64))
    return ValuesIndices(gather(a, d, index), index)
