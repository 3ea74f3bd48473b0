"""softmax and log-softmax, the numerically stable way, each with one fused backward.

``dim`` says which axis is normalised. PyTorch's functions take ``dim=None`` too, with a
deprecated guess (axis 0 for 1-D and 3-D input, else axis 1); here the guess is made only
where it is the last axis (up to 2-D), and otherwise the call asks for ``dim``.
"""
from __future__ import annotations

from ..backend import get_array_module
from ..tensor import Tensor, make_result


def _check_dim(op, a, dim):
    """``dim`` as an int in range; None only for up to 2-D input, meaning the last axis."""
    ndim = a.array.ndim
    if dim is None:
        if ndim > 2:
            raise ValueError(f"{op}: pass dim= for a tensor of shape {a.shape} (PyTorch's guess for "
                             f"{ndim}-D input is not the last axis; write {op}(x, dim=-1) for that)")
        return -1
    if not -max(ndim, 1) <= dim < max(ndim, 1):
        raise ValueError(f"{op}: dim {dim} is out of range for shape {a.shape}")
    return dim if ndim else None


def log_softmax(a: Tensor, dim: int | None = None) -> Tensor:
    """out_i = a_i - log sum_j e^{a_j}     (over axis ``dim``), e.g. a: (B, C) logits.

    Stable form: with m = max_j a_j,  log sum_j e^{a_j} = m + log sum_j e^{a_j - m},
    so no exponential exceeds e^0 = 1 and huge logits (1e4) give no overflow.

    Derivative: d out_i / d a_k = [i = k] - softmax_k, with softmax = e^out. Hence

        dL/da_k = g_k - softmax_k * sum_i g_i

    one expression for the whole Jacobian-vector product, instead of a graph of
    max / sub / exp / sum / log nodes. (An axis of size 0: the result is empty too.)
    """
    dim = _check_dim("log_softmax", a, dim)
    xp = get_array_module(a.array)
    if a.array.size:
        shifted = a.array - a.array.max(axis=dim, keepdims=True)
        out = shifted - xp.log(xp.exp(shifted).sum(axis=dim, keepdims=True))
    else:                                              # no elements: no maximum to shift by
        out = a.array.copy()

    def backward(g):
        return (g - xp.exp(out) * g.sum(axis=dim, keepdims=True),)
    return make_result(out, (a,), backward, "log_softmax")


def softmax(a: Tensor, dim: int | None = None) -> Tensor:
    """out_i = e^{a_i} / sum_j e^{a_j}     (over axis ``dim``); each slice sums to 1.

    Stable form: e^{a_i - m} / sum_j e^{a_j - m} with m = max_j a_j (the same ratio).

    Derivative: d out_i / d a_k = out_i ([i = k] - out_k). Hence

        dL/da_k = out_k (g_k - sum_i g_i out_i)
    """
    dim = _check_dim("softmax", a, dim)
    xp = get_array_module(a.array)
    if a.array.size:
        e = xp.exp(a.array - a.array.max(axis=dim, keepdims=True))
        out = e / e.sum(axis=dim, keepdims=True)
    else:
        out = a.array.copy()

    def backward(g):
        return (out * (g - (g * out).sum(axis=dim, keepdims=True)),)
    return make_result(out, (a,), backward, "softmax")
