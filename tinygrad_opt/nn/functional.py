"""Functions of the layers, PyTorch's names: ``import tinygrad_opt.nn.functional as F``."""
from .. import ops
from ..ops import linear, mse_loss, nll_loss, relu
from ..ops.loss import check_labels, check_reduction


def log_softmax(x, dim=-1):
    return ops.log_softmax(x, dim)


def cross_entropy(logits, target, reduction="mean"):
    """Cross-entropy of raw scores: ``nll_loss(log_softmax(logits, 1), target)``.

    logits: (B, C), target: (B,) labels in [0, C).
    """
    check_reduction("cross_entropy", reduction)        # so that errors name this function
    check_labels("cross_entropy", logits, target)
    return ops.nll_loss(ops.log_softmax(logits, 1), target, reduction)


__all__ = ["linear", "relu", "log_softmax", "nll_loss", "cross_entropy", "mse_loss"]
