"""Functions of the layers, PyTorch's names: ``import tinygrad_opt.nn.functional as F``."""
import warnings

from .. import ops
from ..ops import linear, mse_loss, nll_loss, relu
from ..ops.loss import cross_entropy


def log_softmax(x, dim=None):
    """x - log sum e^x along ``dim``: log-probabilities (for (B, C) scores, ``dim=1``)."""
    if dim is None:
        dim = _implicit_dim("log_softmax", x.ndim)
    return ops.log_softmax(x, dim)




# -- the rest of PyTorch's names; each is the op of the same name in tinygrad_opt.ops ----------
sigmoid = ops.sigmoid
tanh = ops.tanh


def softmax(x, dim=None):
    """e^x / sum e^x along ``dim``: probabilities, computed as e^log_softmax(x) (stable)."""
    if dim is None:
        dim = _implicit_dim("softmax", x.ndim)
    return ops.exp(ops.log_softmax(x, dim))


def _implicit_dim(name, ndim):
    """PyTorch's old rule when no ``dim`` is given, with its warning: 0 for 0-, 1- and 3-D
    input, else 1 (so (B, C) normalises each row)."""
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include "
                  f"dim=X as an argument.", UserWarning, stacklevel=3)
    return 0 if ndim in (0, 1, 3) else 1


__all__ = ["linear", "relu", "sigmoid", "tanh", "softmax", "log_softmax", "nll_loss", "cross_entropy",
           "mse_loss"]
