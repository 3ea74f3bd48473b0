"""The layers that hold or reshape data: Linear (x W^T + b) and Flatten."""
from __future__ import annotations

import math

from .. import ops
from ..tensor import Tensor
from .init import pytorch_linear_bound, uniform
from .module import Module, Parameter


class Linear(Module):
    """y = x W^T + b,  x: (..., in_features), W: (out_features, in_features), b: (out_features,).

    Initialised as in PyTorch: W and b uniform in [-1/sqrt(in), 1/sqrt(in)].
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True) -> None:
        for name, n in (("in_features", in_features), ("out_features", out_features)):
            if not isinstance(n, int) or n <= 0:
                raise ValueError(f"Linear: {name} must be a positive int, got {n!r}")
        self.in_features = in_features
        self.out_features = out_features
        k = pytorch_linear_bound(in_features)
        self.weight = Parameter(uniform((out_features, in_features), -k, k))
        self.bias = Parameter(uniform((out_features,), -k, k)) if bias else None

    def forward(self, x: Tensor) -> Tensor:
        if not isinstance(x, Tensor) or x.shape[-1:] != (self.in_features,):
            self._refuse(x)
        return ops.linear(x, self.weight, self.bias)

    def _refuse(self, x):
        """The error for an input this layer cannot take, with what to write instead."""
        if not isinstance(x, Tensor):
            kind = f"{type(x).__module__}.{type(x).__name__}".replace("builtins.", "")
            raise TypeError(f"{self!r}: expected a Tensor, got a {kind}; wrap it first: Tensor(x)")
        hint = ""
        if x.ndim > 2 and math.prod(x.shape[1:]) == self.in_features:
            hint = "; flatten it first: x.view(x.size(0), -1)"
        raise ValueError(f"{self!r}: expected input (..., {self.in_features}), got {x.shape}{hint}")

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Flatten(Module):
    """Merge the axes ``start_dim`` to ``end_dim`` into one: (B, 1, 28, 28) -> (B, 784) by default."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, x: Tensor) -> Tensor:
        shape = x.shape
        n = max(len(shape), 1)                   # a 0-d tensor flattens to (1,), as in PyTorch
        for name, d in (("start_dim", self.start_dim), ("end_dim", self.end_dim)):
            if not -n <= d < n:
                raise IndexError(f"Flatten: {name}={d} is out of range for input of shape {shape} "
                                 f"(expected a dim in [{-n}, {n - 1}])")
        start, end = self.start_dim % n, self.end_dim % n
        if start > end:
            raise ValueError(f"Flatten: start_dim={self.start_dim} comes after end_dim={self.end_dim} "
                             f"for input of shape {shape}")
        merged = math.prod(shape[start:end + 1])
        return ops.reshape(x, shape[:start] + (merged,) + shape[end + 1:])

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
