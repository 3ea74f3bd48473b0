"""Elementwise arithmetic: ``+ - * /``, negation, and ``**`` with a number as exponent.

Each op takes tensors (or a Python number, which becomes a constant), computes its result,
and defines ``backward(g)``, which maps ``g = dL/dout`` to ``(dL/da, dL/db)``. Shapes may
broadcast: ``backward`` returns gradients of the *broadcast* shape and the engine sums them
back to each input's shape (``tensor.unbroadcast``), so no op here has to.
A gradient that nobody needs is not computed (``None``).
"""
from ..backend import get_default_dtype
from ..tensor import Tensor, as_tensor, make_result, same_device


def _operands(a, b, op):
    """Both operands as tensors on one device; a Python number takes the other's dtype.

    An integer operand meeting a float one is converted to the float's dtype first, as in
    PyTorch: NumPy alone would turn int64 * float32 into float64.
    """
    if not hasattr(a, "_parents"):
        a = as_tensor(a, like=b)
    b = as_tensor(b, like=a)
    same_device(op, a, b)
    # NumPy's own message names neither the op nor the tensors' shapes as the user wrote them
    # (the two checks below run only when shapes or dtypes differ: every op pays for them)
    if a.array.shape != b.array.shape:
        for m, n in zip(reversed(a.shape), reversed(b.shape)):
            if m != n and m != 1 and n != 1:
                raise ValueError(f"{op}: shapes {a.shape} and {b.shape} cannot broadcast: aligned from "
                                 f"the right, each pair of axes must be equal or contain a 1")
    if a.array.dtype != b.array.dtype:
        if a.dtype.kind == "f" and b.dtype.kind != "f":
            b = Tensor._wrap(b.array.astype(a.dtype))    # integers never need grad: no graph is lost
        elif b.dtype.kind == "f" and a.dtype.kind != "f":
            a = Tensor._wrap(a.array.astype(b.dtype))
    return a, b


def add(a, b):
    """out = a + b.    dout/da = 1, dout/db = 1, so both receive g."""
    a, b = _operands(a, b, "add")

    def backward(g):
        return g, g
    return make_result(a.array + b.array, (a, b), backward, "add")


def sub(a, b):
    """out = a - b.    dout/da = 1, dout/db = -1."""
    a, b = _operands(a, b, "sub")

    def backward(g):
        return g, (-g if b.requires_grad else None)
    return make_result(a.array - b.array, (a, b), backward, "sub")


def mul(a, b):
    """out = a * b.    dout/da = b, dout/db = a."""
    a, b = _operands(a, b, "mul")

    def backward(g):
        return (g * b.array if a.requires_grad else None,
                g * a.array if b.requires_grad else None)
    return make_result(a.array * b.array, (a, b), backward, "mul")


def div(a, b):
    """out = a / b.    dout/da = 1/b, dout/db = -a/b^2 = -out/b."""
    a, b = _operands(a, b, "div")
    out = a.array / b.array
    if a.dtype.kind != "f":     # integer / integer: the default float dtype, as in PyTorch (NumPy: float64)
        out = out.astype(get_default_dtype())

    def backward(g):
        ga = g / b.array if a.requires_grad else None
        gb = -g * out / b.array if b.requires_grad else None
        return ga, gb
    return make_result(out, (a, b), backward, "div")


def neg(a):
    """out = -a.    dout/da = -1."""
    def backward(g):
        return (-g,)
    return make_result(-a.array, (a,), backward, "neg")


def pow(a, exponent):
    """out = a^p for a number p.    dout/da = p a^(p-1).

    (The exponent is a constant: no gradient flows into it.)
    """
    if not isinstance(exponent, (int, float)) or isinstance(exponent, bool):
        raise TypeError(f"pow: the exponent must be a Python number, got {type(exponent).__name__}")

    def backward(g):
        if exponent == 0:   # a^0 = 1 is constant; 0 * a^(-1) would give nan at a = 0
            return (g * 0,)
        return (g * exponent * a.array ** (exponent - 1),)
    out = a.array ** exponent
    if a.dtype.kind != "f" and isinstance(exponent, float):   # integers ** 0.5: the default float dtype
        out = out.astype(get_default_dtype())
    return make_result(out, (a,), backward, "pow")
