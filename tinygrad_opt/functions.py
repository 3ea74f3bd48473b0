"""PyTorch's module-level spellings of Tensor methods, for ``import tinygrad_opt as torch``:
``torch.add(a, b, alpha=2)`` is ``a.add(b, alpha=2)``, ``torch.lerp(m, g, 0.1)`` is ``m.lerp(g, 0.1)``.

No math here: each function is one call to the method (tensor_methods.py), whose ops hold the
forward and the backward.
"""
from __future__ import annotations

from .operands import as_tensor
from .tensor import Tensor


def add(input: Tensor | float, other: Tensor | float, *, alpha: float = 1) -> Tensor:
    """input + alpha * other."""
    return _tensor("add", input, other).add(other, alpha=alpha)


def sub(input: Tensor | float, other: Tensor | float, *, alpha: float = 1) -> Tensor:
    """input - alpha * other."""
    return _tensor("sub", input, other).sub(other, alpha=alpha)


def addcmul(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: float = 1) -> Tensor:
    """input + value * tensor1 * tensor2."""
    return _tensor("addcmul", input, tensor1).addcmul(tensor1, tensor2, value=value)


def addcdiv(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: float = 1) -> Tensor:
    """input + value * tensor1 / tensor2."""
    return _tensor("addcdiv", input, tensor1).addcdiv(tensor1, tensor2, value=value)


def lerp(input: Tensor, end: Tensor, weight: Tensor | float) -> Tensor:
    """input + weight * (end - input): from input (weight 0) to end (weight 1)."""
    return _tensor("lerp", input, end).lerp(end, weight)


def _tensor(op, input, other):
    """``input`` as a tensor: a Python number takes the other operand's dtype (``torch.add(1, t)``)."""
    if isinstance(input, Tensor):
        return input
    if not isinstance(other, Tensor):
        raise TypeError(f"torch.{op}: expected a tensor among the first two arguments, got "
                        f"{type(input).__name__} and {type(other).__name__}; write torch.tensor(x) first")
    return as_tensor(input, like=other)
