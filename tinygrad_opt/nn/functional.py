"""Functions of the layers, PyTorch's names: ``import tinygrad_opt.nn.functional as F``.

Each is the op of the same name in :mod:`tinygrad_opt.ops`, where its forward and backward
are; ``softmax`` and ``log_softmax`` add PyTorch's old rule for a missing ``dim``.
"""
from __future__ import annotations

import warnings

from .. import ops
from ..ops import cross_entropy, linear, mse_loss, nll_loss, relu, sigmoid, tanh
from ..tensor import Tensor

__all__ = ["linear", "relu", "sigmoid", "tanh", "softmax", "log_softmax", "nll_loss", "cross_entropy",
           "mse_loss"]


def log_softmax(x: Tensor, dim: int | None = None) -> Tensor:
    """x - log sum e^x along ``dim``: log-probabilities (for (B, C) scores, ``dim=1``)."""
    if dim is None:
        dim = _implicit_dim("log_softmax", x.ndim)
    return ops.log_softmax(x, dim)


def softmax(x: Tensor, dim: int | None = None) -> Tensor:
    """e^x / sum e^x along ``dim``: probabilities (for (B, C) scores, ``dim=1``)."""
    if dim is None:
        dim = _implicit_dim("softmax", x.ndim)
    return ops.softmax(x, dim)


def _implicit_dim(name, ndim):
    """PyTorch's old rule when no ``dim`` is given, with its warning: 0 for 0-, 1- and 3-D
    input, else 1 (so (B, C) normalises each row)."""
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include "
                  f"dim=X as an argument.", UserWarning, stacklevel=3)
    return 0 if ndim in (0, 1, 3) else 1
