"""Operand checks shared by the ops: numbers become tensors, devices and dtypes must agree.

A bad operand gets an error that names the op and the tensors' shapes, dtypes or devices as
the user wrote them (NumPy's own messages name neither), and says what to write instead.
"""
from . import backend
from .tensor import Tensor


def as_tensor(value, like):
    """``value`` as a tensor; a Python number takes the dtype of ``like`` when that is a float,
    or when both are integers (``labels + 1`` stays int64); else the default float dtype
    (``Tensor([1, 2]) * 2.5`` is float32: the arithmetic ops then convert the integer tensor)."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        xp = backend.get_array_module(like.array)
        kind = like.array.dtype.kind
        keep = kind == "f" or (kind in "iu" and isinstance(value, int))
        dtype = like.array.dtype if keep else backend.get_default_dtype()
        return Tensor._wrap(xp.asarray(value, dtype=dtype))
    return Tensor(value)


def same_device(op, a, b):
    """Raise a clear error if ``a`` or ``b`` is not a Tensor, or they live on different devices."""
    if not (isinstance(a, Tensor) and isinstance(b, Tensor)):
        t = b if isinstance(a, Tensor) else a
        raise TypeError(f"{op}: expected tensors, got a {type(t).__module__}.{type(t).__name__}; "
                        f"wrap it first, e.g. Tensor(y)")
    if type(a.array) is type(b.array):
        return
    da, db = backend.device_of(a.array), backend.device_of(b.array)
    if da != db:
        raise RuntimeError(f"{op}: expected both tensors on the same device, got {da} and {db} "
                           f"(move one with .to('{da}') or .to('{db}'))")


def same_dtype(op, a, b):
    """Raise a clear error if two float tensors of a matrix product differ in dtype.

    (PyTorch refuses this too: float64 data through float32 weights would silently run
    the whole network in float64.)
    """
    if a.array.dtype != b.array.dtype:
        raise TypeError(f"{op}: both operands must have the same dtype, got {a.array.dtype} and "
                        f"{b.array.dtype}; convert the input, e.g. Tensor(x, dtype='{b.array.dtype}')")


def broadcast_operands(a, b, op):
    """Both operands of an elementwise op as tensors on one device, with shapes that broadcast.

    A Python number takes the other's dtype. An integer operand meeting a float one is
    converted to the float's dtype first, as in PyTorch: NumPy alone would turn
    int64 * float32 into float64.
    """
    if not isinstance(a, Tensor):
        a = as_tensor(a, like=b)
    if not isinstance(b, Tensor):
        b = as_tensor(b, like=a)
    if type(a.array) is not type(b.array):      # same_device's own first test: every op pays for the call
        same_device(op, a, b)
    # NumPy's own message names neither the op nor the tensors' shapes as the user wrote them
    # (the two checks below run only when shapes or dtypes differ: every op pays for them)
    if a.array.shape != b.array.shape:
        for m, n in zip(reversed(a.shape), reversed(b.shape), strict=False):
            if m != n and m != 1 and n != 1:
                raise ValueError(f"{op}: shapes {a.shape} and {b.shape} cannot broadcast: aligned from "
                                 f"the right, each pair of axes must be equal or contain a 1")
    if a.array.dtype != b.array.dtype:
        if a.dtype.kind == "f" and b.dtype.kind != "f":
            b = Tensor._wrap(b.array.astype(a.dtype))    # integers never need grad: no graph is lost
        elif b.dtype.kind == "f" and a.dtype.kind != "f":
            a = Tensor._wrap(a.array.astype(b.dtype))
    return a, b
