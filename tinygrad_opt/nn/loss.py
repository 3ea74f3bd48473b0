"""Loss modules over the functions in ``nn.functional`` (PyTorch's names)."""
from .. import ops
from . import functional as F
from .module import Module


class NLLLoss(Module):
    """Negative log-likelihood of (B, C) log-probabilities and (B,) labels."""

    def __init__(self, reduction="mean"):
        self.reduction = reduction

    def forward(self, logp, target):
        return ops.nll_loss(logp, target, self.reduction)


class CrossEntropyLoss(Module):
    """nll_loss(log_softmax(logits)): cross-entropy of (B, C) raw scores and (B,) labels."""

    def __init__(self, reduction="mean"):
        self.reduction = reduction

    def forward(self, logits, target):
        return F.cross_entropy(logits, target, self.reduction)


class MSELoss(Module):
    """Mean (or summed) squared error between tensors of the same shape."""

    def __init__(self, reduction="mean"):
        self.reduction = reduction

    def forward(self, input, target):
        return ops.mse_loss(input, target, self.reduction)
