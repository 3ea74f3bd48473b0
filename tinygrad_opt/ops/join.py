"""Joining tensors: ``cat`` along an existing axis, ``stack`` along a new one.

The backward cuts the gradient into the pieces each input supplied: a join's gradient is
the split of g.
"""
from __future__ import annotations

from typing import Sequence

from ..backend import get_array_module
from ..operands import same_device
from ..tensor import Tensor, make_result


def _check(op, tensors):
    """A non-empty sequence of tensors on one device, all with the same number of axes."""
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{op}: expected a list or tuple of tensors, got {type(tensors).__name__}; "
                        f"write {op}([a, b], dim=0)")
    if not tensors:
        raise ValueError(f"{op}: expected a non-empty list of tensors")
    for t in tensors:
        same_device(op, tensors[0], t)
    return tuple(tensors)


def _dim(op, dim, ndim, shape):
    if not -ndim <= dim < ndim:
        raise ValueError(f"{op}: dim {dim} is out of range for tensors of shape {shape} "
                         f"(use an int in [{-ndim}, {ndim}))")
    return dim % ndim


def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """out = [t_1, t_2, ...] joined along axis ``dim``; every other axis must match.

    dL/dt_k = the slice of g that t_k supplied: g[..., start_k : start_k + n_k, ...] along dim.
    """
    tensors = _check("cat", tensors)
    first = tensors[0]
    if first.ndim == 0:
        raise ValueError("cat: zero-dimensional tensors cannot be concatenated; use stack")
    d = _dim("cat", dim, first.ndim, first.shape)
    for t in tensors:
        if t.ndim != first.ndim or t.shape[:d] + t.shape[d + 1:] != first.shape[:d] + first.shape[d + 1:]:
            raise ValueError(f"cat: shapes {[x.shape for x in tensors]} do not fit: all axes but dim {dim} "
                             f"must match")
    xp = get_array_module(first.array)
    out = xp.concatenate([t.array for t in tensors], axis=d)
    ends = []
    for t in tensors:
        ends.append((ends[-1] if ends else 0) + t.shape[d])

    def backward(g):
        cut = [slice(None)] * g.ndim
        grads = []
        for t, end in zip(tensors, ends, strict=True):
            cut[d] = slice(end - t.shape[d], end)
            grads.append(g[tuple(cut)] if t.requires_grad else None)
        return tuple(grads)
    return make_result(out, tensors, backward, "cat")


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """out[..., k, ...] = t_k: the tensors (all of one shape) along a new axis ``dim``.

    dL/dt_k = g[..., k, ...]: the k-th slice of g along the new axis.
    """
    tensors = _check("stack", tensors)
    first = tensors[0]
    for t in tensors:
        if t.shape != first.shape:
            raise ValueError(f"stack: expects tensors of one shape, got {[x.shape for x in tensors]}")
    d = _dim("stack", dim, first.ndim + 1, first.shape)
    xp = get_array_module(first.array)
    out = xp.stack([t.array for t in tensors], axis=d)

    def backward(g):
        return tuple(xp.take(g, k, axis=d) if t.requires_grad else None for k, t in enumerate(tensors))
    return make_result(out, tensors, backward, "stack")
