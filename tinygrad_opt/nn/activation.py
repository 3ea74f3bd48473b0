"""Activation functions and (log-)softmax as modules, for ``Sequential``: each calls the
function of the same name in ``nn.functional``."""
from __future__ import annotations

from ..tensor import Tensor
from . import functional as F
from .module import Module


class ReLU(Module):
    """y = max(x, 0), elementwise.

    ``inplace=True`` is accepted so that PyTorch code runs; the result is the same, but it
    is a new tensor: this engine never overwrites a layer's input.
    """

    def __init__(self, inplace: bool = False) -> None:
        self.inplace = inplace

    def forward(self, x: Tensor) -> Tensor:
        return F.relu(x)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class Sigmoid(Module):
    """y = 1 / (1 + e^-x), elementwise."""

    def forward(self, x: Tensor) -> Tensor:
        return F.sigmoid(x)


class Tanh(Module):
    """y = tanh x, elementwise."""

    def forward(self, x: Tensor) -> Tensor:
        return F.tanh(x)


class Softmax(Module):
    """y = e^x / sum e^x along ``dim``: probabilities. Give ``dim`` (the class axis, 1 for (B, C))."""

    def __init__(self, dim: int | None = None) -> None:
        self.dim = dim

    def forward(self, x: Tensor) -> Tensor:
        return F.softmax(x, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """y = x - log sum e^x along ``dim``: log-probabilities. Give ``dim`` (1 for (B, C))."""

    def __init__(self, dim: int | None = None) -> None:
        self.dim = dim

    def forward(self, x: Tensor) -> Tensor:
        return F.log_softmax(x, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"
