"""Ops that move elements without changing them: reshape, transpose, permute, indexing.

Their backward moves the gradient back the same way: reshape it to the old shape,
transpose it back, or put it back at the indexed positions.
"""
from ..backend import get_array_module
from ..operands import same_device
from ..tensor import Tensor, make_result


def reshape(a, shape):
    """out = a viewed with a new shape (same elements, same order).  dL/da = g reshaped back."""
    try:
        out = a.array.reshape(shape)
    except ValueError:
        raise ValueError(f"reshape: cannot view a tensor of shape {a.shape} ({a.array.size} elements) "
                         f"as shape {tuple(shape)}") from None

    def backward(g):
        return (g.reshape(a.shape),)
    return make_result(out, (a,), backward, "reshape")


def permute(a, dims):
    """out = a with its axes reordered: out axis i is a's axis dims[i].

    The gradient is permuted back by the inverse permutation: a's axis dims[i] is g's axis i.
    """
    dims = tuple(dims)
    if sorted(d % a.ndim for d in dims) != list(range(a.ndim)):
        raise ValueError(f"permute: {dims} is not a permutation of the {a.ndim} axes of shape {a.shape}")
    inverse = [0] * len(dims)
    for i, d in enumerate(dims):
        inverse[d % a.ndim] = i

    def backward(g):
        return (g.transpose(inverse),)
    return make_result(a.array.transpose(dims), (a,), backward, "permute")


def transpose(a, dim0=-2, dim1=-1):
    """out = a with axes dim0 and dim1 swapped (PyTorch's ``transpose``).

    dL/da = g with dim0 and dim1 swapped back: a swap is its own inverse.
    """
    for d in (dim0, dim1):
        if not -a.ndim <= d < a.ndim:
            raise ValueError(f"transpose: axis {d} is out of range for shape {a.shape}")

    def backward(g):
        return (g.swapaxes(dim0, dim1),)
    return make_result(a.array.swapaxes(dim0, dim1), (a,), backward, "transpose")


def _is_basic(index):
    """True when the index has only ints, slices, None and ... (no element is picked twice)."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(isinstance(p, (int, slice)) or p is None or p is Ellipsis for p in parts)


def getitem(a, index):
    """out = a[index], e.g. ``logp[arange(B), y]`` picks each row's target log-probability.

    dL/da is zero except at the picked positions, which receive g. An advanced index may
    pick one element several times (``a[[0, 0]]``); then the contributions must add up,
    which ``xp.add.at`` does and plain assignment ``grad[index] = g`` would not.
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
    try:
        out = a.array[index]
    except IndexError as e:
        raise IndexError(f"getitem: index does not fit a tensor of shape {a.shape}: {e}") from None

    def backward(g):
        grad = xp.zeros_like(a.array)
        if _is_basic(index):
            grad[index] = g
        else:
            xp.add.at(grad, index, g)
        return (grad,)
    return make_result(xp.asarray(out), (a,), backward, "getitem")
