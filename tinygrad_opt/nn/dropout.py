"""Dropout (Srivastava et al., 2014): in training, zero each element with probability p and
scale the rest by 1 / (1 - p), so that the expected value of every element is unchanged;
in evaluation, the identity. Also ``Identity``, the layer that does nothing.

    mask_i ~ Bernoulli(1 - p),   out = x * mask / (1 - p),   dL/dx = g * mask / (1 - p)

The mask comes from the seeded host generator (``manual_seed``), so a seed gives the same
masks on every backend. The backward is that of the multiplication by the fixed mask.
"""
from __future__ import annotations

from .. import backend, ops
from ..tensor import Tensor
from .module import Module


def dropout(input: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    """x * mask / (1 - p) with mask_i ~ Bernoulli(1 - p) when training, else x itself."""
    if not 0 <= p <= 1:
        raise ValueError(f"dropout: probability has to be between 0 and 1, but got {p}")
    if not training or p == 0:
        return input
    keep = backend.host_rng().random(input.shape) >= p
    scale = keep / (1 - p) if p < 1 else keep * 0.0          # p = 1 drops everything
    return ops.mul(input, Tensor(scale.astype(input.dtype), device=input.device))


class Dropout(Module):
    """``dropout`` in training mode (``model.train()``), the identity in evaluation (``model.eval()``)."""

    def __init__(self, p: float = 0.5) -> None:
        if not 0 <= p <= 1:
            raise ValueError(f"Dropout: probability has to be between 0 and 1, but got {p}")
        self.p = p

    def forward(self, x: Tensor) -> Tensor:
        return dropout(x, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class Identity(Module):
    """out = x (a placeholder layer, e.g. to remove a layer from a model)."""

    def forward(self, x: Tensor) -> Tensor:
        return x
