"""Loss modules over the functions in ``nn.functional`` (PyTorch's names).

``reduction`` ("mean", "sum" or "none") is a keyword, as in PyTorch, whose first positional
argument is a per-class ``weight`` (not supported here).
"""
from __future__ import annotations

from ..ops.loss import check_reduction
from ..tensor import Tensor
from . import functional as F
from .module import Module


class NLLLoss(Module):
    """Negative log-likelihood of (B, C) log-probabilities and (B,) integer labels."""

    def __init__(self, *, reduction: str = "mean") -> None:
        check_reduction("NLLLoss", reduction)
        self.reduction = reduction

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.nll_loss(input, target, self.reduction)


class CrossEntropyLoss(Module):
    """nll_loss(log_softmax(logits, 1)): cross-entropy of (B, C) raw scores and (B,) integer labels."""

    def __init__(self, *, reduction: str = "mean") -> None:
        check_reduction("CrossEntropyLoss", reduction)
        self.reduction = reduction

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.cross_entropy(input, target, self.reduction)


class MSELoss(Module):
    """Mean (or summed) squared error between tensors of the same shape."""

    def __init__(self, *, reduction: str = "mean") -> None:
        check_reduction("MSELoss", reduction)
        self.reduction = reduction

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.mse_loss(input, target, self.reduction)
