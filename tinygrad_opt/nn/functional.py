"""Functions of the layers, PyTorch's names: ``import tinygrad_opt.nn.functional as F``."""
from .. import ops
from ..ops import linear, mse_loss, nll_loss, relu
from ..ops.loss import cross_entropy


def log_softmax(x, dim=-1):
    return ops.log_softmax(x, dim)




__all__ = ["linear", "relu", "log_softmax", "nll_loss", "cross_entropy", "mse_loss"]
