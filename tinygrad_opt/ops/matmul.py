"""Matrix products: ``a @ b`` (2-D, batched, with a vector) and the affine map of a ``Linear`` layer."""
from __future__ import annotations

from ..operands import as_tensor, same_device, same_dtype
from ..tensor import Tensor, make_result
from .shape import reshape


def _swap_last(x):
    return x.swapaxes(-1, -2)


def matmul(a: Tensor, b: Tensor) -> Tensor:
    """out = a @ b,  a: (..., n, k), b: (..., k, m) -> out: (..., n, m).

    out_ij = sum_k a_ik b_kj, so dL/da_ik = sum_j g_ij b_kj and dL/db_kj = sum_i a_ik g_ij:

        dL/da = g @ b^T        dL/db = a^T @ g

    Leading (batch) axes broadcast like any elementwise op; the engine sums the gradient
    over the axes that were broadcast. A 1-D operand is a vector, as in PyTorch:
    :func:`_matmul_with_vector`.
    """
    a, b = as_tensor(a, like=b) if not hasattr(a, "_parents") else a, as_tensor(b, like=a)
    same_device("matmul", a, b)
    same_dtype("matmul", a, b)
    # plain comparisons on shape tuples: this runs every training step, so no array is touched
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul: shapes {a.shape} @ {b.shape} do not fit: both operands need at least "
                         f"1 dimension, and a 0-d tensor is a number; for a number times a tensor write a * b")
    k_b = b.shape[-2] if b.ndim > 1 else b.shape[0]      # a vector on the right is a column (k,)
    if a.shape[-1] != k_b:
        raise ValueError(f"matmul: shapes {a.shape} @ {b.shape} do not fit; need (..., n, k) or (k,) @ "
                         f"(..., k, m) or (k,) with the same k (got k = {a.shape[-1]} and {k_b})")
    # NumPy's own message for batch axes names neither matmul nor the shapes as the user wrote them
    # strict=False: the batch ranks may differ; broadcasting pairs the trailing axes only
    for m, n in zip(reversed(a.shape[:-2]), reversed(b.shape[:-2]), strict=False):
        if m != n and m != 1 and n != 1:
            raise ValueError(f"matmul: batch axes of shapes {a.shape} @ {b.shape} cannot broadcast: "
                             f"{a.shape[:-2]} and {b.shape[:-2]}, aligned from the right, must be equal "
                             f"or contain a 1 in each pair")
    if a.ndim == 1 or b.ndim == 1:
        return _matmul_with_vector(a, b)

    out = a.array @ b.array

    def backward(g):
        return (g @ _swap_last(b.array) if a.requires_grad else None,
                _swap_last(a.array) @ g if b.requires_grad else None)
    return make_result(out, (a, b), backward, "matmul")


def _matmul_with_vector(a: Tensor, b: Tensor) -> Tensor:
    """a @ b with a 1-D operand, as PyTorch's matmul: a vector (k,) on the left is the row (1, k),
    on the right the column (k, 1); the product's axis of size 1 that this added is removed:

        (..., n, k) @ (k,) -> (..., n)      (k,) @ (..., k, m) -> (..., m)      (k,) @ (k,) -> ()

    the last one the dot product sum_k a_k b_k. Adding and removing the axis are reshapes, so the
    backward is the matrix product's (above) with the gradient reshaped on either side.
    """
    row = reshape(a, (1, a.shape[0])) if a.ndim == 1 else a        # (k,) -> (1, k)
    column = reshape(b, (b.shape[0], 1)) if b.ndim == 1 else b     # (k,) -> (k, 1)
    out = matmul(row, column)                                       # (..., n or 1, m or 1)
    n = out.shape[-2:-1] if a.ndim > 1 else ()
    m = out.shape[-1:] if b.ndim > 1 else ()
    return reshape(out, out.shape[:-2] + n + m)


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """out = x W^T + b,  x: (..., in), W: (out, in), b: (out,) -> out: (..., out).

    This is ``x @ W.T + b`` as one op (PyTorch's ``F.linear``), which saves two graph nodes
    per layer. With the batch axes flattened into one, x: (B, in) and g = dL/dout: (B, out):

        dL/dx = g W            (B, out) @ (out, in)
        dL/dW = g^T x          (out, B) @ (B, in)
        dL/db = sum_B g        (out,)
    """
    same_device("linear", x, weight)
    same_dtype("linear", x, weight)
    if bias is not None:
        same_device("linear", x, bias)
    xd, w = x.array, weight.array
    if xd.ndim < 1 or w.ndim != 2 or xd.shape[-1] != w.shape[1]:
        raise ValueError(f"linear: input of shape {x.shape} does not fit weight of shape {weight.shape}: "
                         f"the input's last axis must equal in_features = {w.shape[1] if w.ndim == 2 else '?'}")
    out = xd @ w.T
    if bias is not None:
        out += bias.array
    parents = (x, weight) if bias is None else (x, weight, bias)

    def backward(g):
        if g.ndim == 2:
            g2, x2 = g, x.array                      # (B, out), (B, in)
        else:                                       # batch axes flattened into one
            g2, x2 = g.reshape(-1, g.shape[-1]), x.array.reshape(-1, x.shape[-1])
        gx = g @ weight.array if x.requires_grad else None
        gw = g2.T @ x2 if weight.requires_grad else None
        if bias is None:
            return gx, gw
        return gx, gw, (g2.sum(axis=0) if bias.requires_grad else None)
    return make_result(out, parents, backward, "linear")
