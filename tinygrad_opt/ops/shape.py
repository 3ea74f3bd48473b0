"""Ops that move elements without changing them: reshape (and flatten, unsqueeze, squeeze,
which are reshapes to a computed shape), transpose, permute, clone, indexing.

Their backward moves the gradient back the same way: reshape it to the old shape,
transpose it back, or put it back at the indexed positions.
"""
from __future__ import annotations

import numbers
from typing import Sequence

from ..backend import get_array_module
from ..operands import same_device
from ..tensor import Tensor, make_result


def reshape(a: Tensor, shape: Sequence[int]) -> Tensor:
    """out = a viewed with a new shape (same elements, same order).  dL/da = g reshaped back."""
    try:
        out = a.array.reshape(shape)
    except ValueError:
        raise ValueError(f"reshape: cannot view a tensor of shape {a.shape} ({a.array.size} elements) "
                         f"as shape {tuple(shape)}") from None

    def backward(g):
        return (g.reshape(a.shape),)
    return make_result(out, (a,), backward, "reshape")


def _axis(op, a, dim, ndim=None):
    """``dim`` as an axis in [0, ndim) (``ndim``: of the result, default a's), or a clear error."""
    ndim = a.ndim if ndim is None else ndim
    n = max(ndim, 1)
    if not isinstance(dim, numbers.Integral) or isinstance(dim, bool):
        raise TypeError(f"{op}: dim must be an int, got {dim!r}")
    if not -n <= dim < n:
        raise ValueError(f"{op}: dim {dim} is out of range for a tensor of shape {a.shape} "
                         f"(use an int in [{-n}, {n}))")
    return dim % n


def flatten(a: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Axes start_dim..end_dim merged into one: (2, 3, 4).flatten(1) is (2, 12). A reshape.

    A 0-d tensor becomes shape (1,), as in PyTorch.
    """
    if a.ndim == 0:
        return reshape(a, (1,))
    start, end = _axis("flatten", a, start_dim), _axis("flatten", a, end_dim)
    if start > end:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim} "
                         f"for a tensor of shape {a.shape}")
    merged = 1
    for n in a.shape[start:end + 1]:
        merged *= n
    return reshape(a, a.shape[:start] + (merged,) + a.shape[end + 1:])


def unsqueeze(a: Tensor, dim: int) -> Tensor:
    """A new axis of size 1 at ``dim`` (in [-ndim-1, ndim]): (3,).unsqueeze(0) is (1, 3). A reshape."""
    d = _axis("unsqueeze", a, dim, a.ndim + 1)
    return reshape(a, a.shape[:d] + (1,) + a.shape[d:])


def squeeze(a: Tensor, dim: int | Sequence[int] | None = None) -> Tensor:
    """Axes of size 1 removed: all of them, or only ``dim`` (an int or a tuple), as in PyTorch,
    where a named axis whose size is not 1 is left as it is. A reshape."""
    if dim is None:
        drop = {d for d, n in enumerate(a.shape) if n == 1}
    else:
        dims = dim if isinstance(dim, (tuple, list)) else (dim,)
        drop = {d for d in (_axis("squeeze", a, x) for x in dims) if a.ndim and a.shape[d] == 1}
    return reshape(a, tuple(n for d, n in enumerate(a.shape) if d not in drop))


def clone(a: Tensor) -> Tensor:
    """out = a copy of a, with its own storage.    dL/da = g: the copy is the identity."""
    def backward(g):
        return (g,)
    return make_result(a.array.copy(), (a,), backward, "clone")


def permute(a: Tensor, dims: Sequence[int]) -> Tensor:
    """out = a with its axes reordered: out axis i is a's axis dims[i].

    The gradient is permuted back by the inverse permutation: a's axis dims[i] is g's axis i.
    """
    dims = tuple(dims)
    if len(dims) != a.ndim or sorted(d % a.ndim for d in dims) != list(range(a.ndim)):
        raise ValueError(f"permute: {dims} is not a permutation of the {a.ndim} axes of shape {a.shape}")
    inverse = [0] * len(dims)
    for i, d in enumerate(dims):
        inverse[d % a.ndim] = i

    def backward(g):
        return (g.transpose(inverse),)
    return make_result(a.array.transpose(dims), (a,), backward, "permute")


def transpose(a: Tensor, dim0: int = -2, dim1: int = -1) -> Tensor:
    """out = a with axes dim0 and dim1 swapped (PyTorch's ``transpose``).

    dL/da = g with dim0 and dim1 swapped back: a swap is its own inverse.
    """
    for d in (dim0, dim1):
        if not -a.ndim <= d < a.ndim:
            raise ValueError(f"transpose: axis {d} is out of range for shape {a.shape}")

    def backward(g):
        return (g.swapaxes(dim0, dim1),)
    return make_result(a.array.swapaxes(dim0, dim1), (a,), backward, "transpose")


def _picks_once(index):
    """True when no element can be picked twice: only ints, slices, None, ... and boolean masks."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(isinstance(p, (int, slice)) or p is None or p is Ellipsis
               or (hasattr(p, "dtype") and p.dtype.kind == "b") for p in parts)


def _is_array(part):
    """An index array (a list, or an array of at least one axis): NumPy's advanced indexing."""
    return isinstance(part, list) or (hasattr(part, "dtype") and getattr(part, "ndim", 0) > 0)


def _is_int(part):
    return isinstance(part, numbers.Integral) and not isinstance(part, bool)


def _pytorch_steps(index):
    """PyTorch's reading of an index mixing integers and index arrays, as two NumPy steps.

    PyTorch applies each integer first (it removes its axis), then the index arrays. NumPy
    counts an integer as one more index array, which moves the picked axes to the front
    when a slice separates them: for x of shape (3, 4, 5), ``x[0, :, [0, 1]]`` is (4, 2) in
    PyTorch and (2, 4) in NumPy. Returns (ints and slices, then the arrays), or None when
    NumPy's one step already agrees (no integer, or no index array).
    """
    parts = index if isinstance(index, tuple) else (index,)
    if not any(map(_is_array, parts)):
        return None
    # a 0-d integer array (x[t.argmax(), :, [0, 1]]) is an integer to PyTorch (on a GPU, int() waits for it)
    parts = [int(p) if getattr(p, "ndim", None) == 0 and p.dtype.kind in "iu" else p for p in parts]
    if not any(map(_is_int, parts)):
        return None
    first, second = [], []
    for p in parts:
        if _is_array(p):
            # a boolean mask spans as many axes as it has; an integer array spans one
            mask_axes = p.ndim if hasattr(p, "dtype") and p.dtype.kind == "b" else 1
            first += [slice(None)] * mask_axes
            second.append(p)
        elif _is_int(p):
            first.append(p)                            # its axis is gone after the first step
        else:
            first.append(p)
            second.append(Ellipsis if p is Ellipsis else slice(None))
    return tuple(first), tuple(second)


def getitem(a: Tensor, index: int | slice | tuple | Tensor | None) -> Tensor:
    """out = a[index], e.g. ``logp[arange(B), y]`` picks each row's target log-probability.

    dL/da is zero except at the picked positions, which receive g. An advanced index may
    pick one element several times (``a[[0, 0]]``); then the contributions must add up,
    which ``xp.add.at`` does and plain assignment ``grad[index] = g`` would not.
    Integers mixed with index arrays follow PyTorch, not NumPy (see ``_pytorch_steps``).
    """
    # an index tensor must live on the data's device; host arrays and lists may index
    # either device (CuPy copies them over)
    parts = index if isinstance(index, tuple) else (index,)
    for i in parts:
        if isinstance(i, Tensor):
            same_device("getitem", a, i)
    if isinstance(index, tuple):
        index = tuple(i.array if isinstance(i, Tensor) else i for i in index)
    elif isinstance(index, Tensor):
        index = index.array
    xp = get_array_module(a.array)
    steps = _pytorch_steps(index)
    try:
        out = a.array[index] if steps is None else a.array[steps[0]][steps[1]]
    except IndexError as e:
        raise IndexError(f"getitem: index does not fit a tensor of shape {a.shape}: {e}") from None

    def backward(g):
        grad = xp.zeros_like(a.array)
        if steps is not None:
            xp.add.at(grad[steps[0]], steps[1], g)     # grad[ints and slices] is a view into grad
        elif _picks_once(index):
            grad[index] = g
        else:
            xp.add.at(grad, index, g)
        return (grad,)
    return make_result(xp.asarray(out), (a,), backward, "getitem")
