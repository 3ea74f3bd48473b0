"""In-place operations on tensors, with PyTorch's rules: for users' code.

``add_ sub_ mul_ div_ copy_ fill_ zero_ clamp_``, the optimizers' ``addcmul_ addcdiv_ lerp_``,
``sqrt_ exp_ abs_ neg_``, ``+= -= *= /=`` and ``t[index] = value`` change a tensor's array in place;
``unsqueeze_`` and ``squeeze_`` change its shape in place.
(The engine, the ops and the optimizers work on arrays directly; this API is for code written the
PyTorch way, such as ``with no_grad(): p -= lr * p.grad``.) The rules:

* **A leaf that requires grad** (a parameter) may change in place only inside
  ``no_grad()``: while gradients are recorded, PyTorch refuses too, since the graph would
  not know what the new values were computed from.
* **A tensor computed with grad** is not changed in place while gradients are recorded
  (PyTorch can rewrite the graph for that; this engine does not, and says so).
* **Every change bumps the tensor's version** (``t._version``). An op that recorded the
  tensor for its backward remembers the version it saw; if it differs at ``backward()``,
  the backward would use the new values, so it raises instead (see ``tensor.py``).
* **``t.data`` and ``t.array`` are the escape hatch**: writing through them changes the
  values without any check and without a new version, as ``.data`` does in PyTorch.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

from . import backend
from .grad_mode import flags

if TYPE_CHECKING:
    from .backend import Array
    from .tensor import Tensor


class InPlace:
    """The in-place methods of :class:`~tinygrad_opt.tensor.Tensor`."""

    __slots__ = ()

    def _check_inplace(self, op):
        """Raise unless ``op`` may change ``self`` in place now (the rules above)."""
        if flags.grad_enabled and self.requires_grad:
            if self._backward is None:
                raise RuntimeError(f"{op}: a leaf tensor that requires grad cannot be changed in place while "
                                   f"gradients are recorded; update parameters inside 'with no_grad():' "
                                   f"(e.g. p -= lr * p.grad), or write through p.data")
            raise RuntimeError(f"{op}: in-place operations on tensors computed with grad are not supported; "
                               f"write the out-of-place form instead (y = y + x, not y += x)")

    def _operand(self, op, other, shape):
        """``other`` (a Tensor, array or number) as an array of self's kind that broadcasts to
        ``shape`` and casts to self's dtype without losing its fraction."""
        if isinstance(other, InPlace):             # a Tensor
            if type(other.array) is not type(self.array) and other.device != self.device:
                raise RuntimeError(f"{op}: expected both tensors on the same device, got {self.device} and "
                                   f"{other.device} (move one with .to('{self.device}'))")
            other = other.array
        xp = backend.get_array_module(self.array)
        other = xp.asarray(other)
        try:
            fits = xp.broadcast_shapes(shape, other.shape) == tuple(shape)
        except ValueError:
            fits = False
        if not fits:
            raise RuntimeError(f"{op}: a tensor of shape {tuple(other.shape)} cannot be applied in place to "
                               f"one of shape {tuple(shape)} (it must broadcast to {tuple(shape)})")
        if other.dtype.kind == "f" and self.dtype.kind != "f":
            raise RuntimeError(f"{op}: result type {other.dtype} can't be cast to the tensor's dtype "
                               f"{self.dtype}; convert first, e.g. t = t.float()")
        return other

    def _inplace(self, op, other):
        self._check_inplace(op)
        return self._operand(op, other, self.shape)

    def add_(self, other: Tensor | Array | float, alpha: float = 1) -> Tensor:
        """self <- self + alpha * other, in place."""
        alpha = self._number("add_", "alpha", alpha)
        other = self._inplace("add_", other)
        self.array += other if alpha == 1 else alpha * other
        self._bump_version()
        return self

    def sub_(self, other: Tensor | Array | float, alpha: float = 1) -> Tensor:
        """self <- self - alpha * other, in place."""
        alpha = self._number("sub_", "alpha", alpha)
        other = self._inplace("sub_", other)
        self.array -= other if alpha == 1 else alpha * other
        self._bump_version()
        return self

    def addcmul_(self, tensor1: Tensor, tensor2: Tensor, value: float = 1) -> Tensor:
        """self <- self + value * tensor1 * tensor2, in place (Adam's v <- beta2 v + (1 - beta2) g^2)."""
        value = self._number("addcmul_", "value", value)
        t1, t2 = self._inplace("addcmul_", tensor1), self._operand("addcmul_", tensor2, self.shape)
        self.array += value * (t1 * t2)
        self._bump_version()
        return self

    def addcdiv_(self, tensor1: Tensor, tensor2: Tensor, value: float = 1) -> Tensor:
        """self <- self + value * tensor1 / tensor2, in place (Adam's theta <- theta - lr m / (sqrt(v) + eps))."""
        value = self._number("addcdiv_", "value", value)
        t1, t2 = self._inplace("addcdiv_", tensor1), self._operand("addcdiv_", tensor2, self.shape)
        self.array += value * (t1 / t2)
        self._bump_version()
        return self

    def lerp_(self, end: Tensor, weight: Tensor | float) -> Tensor:
        """self <- self + weight * (end - self), in place (m <- m + (1 - beta1)(g - m) is Adam's m update).

        ``weight``: a number, or a tensor of weights that broadcasts to self's shape."""
        if isinstance(weight, InPlace) and weight.numel() != 1:
            weight = self._operand("lerp_", weight, self.shape)
        else:
            weight = self._number("lerp_", "weight", weight)
        end = self._inplace("lerp_", end)
        self.array += weight * (end - self.array)
        self._bump_version()
        return self

    def sqrt_(self) -> Tensor:
        """self <- sqrt(self), in place."""
        return self._unary_("sqrt_", "sqrt")

    def exp_(self) -> Tensor:
        """self <- e^self, in place."""
        return self._unary_("exp_", "exp")

    def abs_(self) -> Tensor:
        """self <- |self|, in place."""
        return self._unary_("abs_", "abs")

    def neg_(self) -> Tensor:
        """self <- -self, in place."""
        return self._unary_("neg_", "negative")

    def _unary_(self, op, name):
        self._check_inplace(op)
        if self.dtype.kind != "f" and name in ("sqrt", "exp"):
            raise RuntimeError(f"{op}: result type float can't be cast to the tensor's dtype {self.dtype}; "
                               f"convert first, e.g. t = t.float()")
        getattr(backend.get_array_module(self.array), name)(self.array, out=self.array)
        self._bump_version()
        return self

    def _number(self, op, name, value):
        """``alpha=``, ``value=``, ``weight=``: a Python number (a float one only for a float tensor)."""
        if isinstance(value, InPlace) and value.numel() == 1 and name == "weight":
            value = value.item()
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            hint = (f"; PyTorch's old order {op}(number, tensor) is written {op}(tensor, {name}=number)"
                    if isinstance(value, InPlace) else "")
            raise TypeError(f"{op}: {name} must be a Python number, got {type(value).__name__}{hint}")
        if isinstance(value, float) and self.dtype.kind != "f":
            raise RuntimeError(f"{op}: a float {name}={value} can't be applied to a tensor of dtype {self.dtype}; "
                               f"convert first, e.g. t = t.float()")
        return value

    def mul_(self, other: Tensor | Array | float) -> Tensor:
        """self <- self * other, in place."""
        self.array *= self._inplace("mul_", other)
        self._bump_version()
        return self

    def div_(self, other: Tensor | Array | float) -> Tensor:
        """self <- self / other, in place."""
        self.array /= self._inplace("div_", other)
        self._bump_version()
        return self

    def copy_(self, src: Tensor | Array | float) -> Tensor:
        """self <- src (broadcast to self's shape, cast to self's dtype), in place."""
        self.array[...] = self._inplace("copy_", src)
        self._bump_version()
        return self

    def fill_(self, value: Tensor | Array | float) -> Tensor:
        """Every element <- value, in place."""
        self._check_inplace("fill_")
        self.array.fill(value)
        self._bump_version()
        return self

    def zero_(self) -> Tensor:
        """Every element <- 0, in place."""
        return self.fill_(0)

    def clamp_(self, min: float | None = None, max: float | None = None) -> Tensor:
        """self <- min(max(self, min), max), in place; a bound left out is no bound.

        As in PyTorch, where min > max every element becomes max, and nan stays nan.
        """
        if min is None and max is None:
            raise ValueError("clamp_: give min, max or both (e.g. t.clamp_(min=0))")
        self._check_inplace("clamp_")
        xp = backend.get_array_module(self.array)
        if min is not None:
            xp.maximum(self.array, self._operand("clamp_", min, self.shape), out=self.array)
        if max is not None:
            xp.minimum(self.array, self._operand("clamp_", max, self.shape), out=self.array)
        self._bump_version()
        return self

    def unsqueeze_(self, dim: int) -> Tensor:
        """self <- self with a new axis of size 1 at ``dim``, in place: the same values in a new shape."""
        return self._change_shape("unsqueeze_", self.unsqueeze, dim)

    def squeeze_(self, dim: int | Sequence[int] | None = None) -> Tensor:
        """self <- self without its axes of size 1 (all, or those named by ``dim``), in place."""
        return self._change_shape("squeeze_", self.squeeze, dim)

    def _change_shape(self, op, reshaped, dim):
        """A shape change in place, by the rules above: a graph that saved self needs its old shape, so
        the version moves on. A ``.grad`` keeps the old shape, and the next backward would add a gradient
        of the new shape to it (broadcasting (3,) + (3, 1) to (3, 3)): refused until it is cleared."""
        self._check_inplace(op)
        array = reshaped(dim).array     # the out-of-place op's shape and errors; no graph: checked above
        if self._grad is not None and array.shape != self.shape:
            raise RuntimeError(f"{op}: this tensor has a .grad of shape {self._grad.shape}, which would not "
                               f"fit its new shape {array.shape}; set t.grad = None first, or write a new "
                               f"tensor: t = t.{op[:-1]}(dim)")
        self.array = array
        self._bump_version()
        return self

    def __setitem__(self, index: int | slice | tuple | Tensor | None, value: Tensor | Array | float) -> None:
        """self[index] = value, in place: value broadcasts to the selected part, cast to self's dtype."""
        op = "t[index] = value"
        self._check_inplace(op)
        index = _array_index(index)
        part = self.array[index]             # the selected part's shape, to check the value against
        self.array[index] = self._operand(op, value, part.shape)
        self._bump_version()

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` on a leaf, in place (a tensor computed with grad keeps its graph)."""
        if not requires_grad and self._backward is not None:
            raise RuntimeError("requires_grad_(False): only a leaf's flag can be changed; a tensor computed "
                               "with grad stays in the graph. Use t.detach() for a tensor cut from it")
        if requires_grad and self.dtype.kind != "f":
            raise RuntimeError(f"requires_grad_(): only floating-point tensors can require gradients, this "
                               f"one has dtype {self.dtype}; convert first, e.g. t = t.float()")
        self.requires_grad = bool(requires_grad)
        return self

    def __iadd__(self, other: Tensor | Array | float) -> Tensor:
        return self.add_(other)

    def __isub__(self, other: Tensor | Array | float) -> Tensor:
        return self.sub_(other)

    def __imul__(self, other: Tensor | Array | float) -> Tensor:
        return self.mul_(other)

    def __itruediv__(self, other: Tensor | Array | float) -> Tensor:
        return self.div_(other)


def _array_index(index):
    """An index with the tensors in it replaced by their arrays (``t[mask] = 0``, ``t[rows, cols]``)."""
    if isinstance(index, tuple):
        return tuple(i.array if isinstance(i, InPlace) else i for i in index)
    return index.array if isinstance(index, InPlace) else index
