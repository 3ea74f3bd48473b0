"""Functions of the layers, PyTorch's names: ``import tinygrad_opt.nn.functional as F``.

(``dropout`` is in dropout.py, beside its layer; ``one_hot`` is here.)

Each is the op of the same name in :mod:`tinygrad_opt.ops`, where its forward and backward
are; ``softmax`` and ``log_softmax`` add PyTorch's old rule for a missing ``dim``.
"""
from __future__ import annotations

import warnings

from .. import backend, ops, unsupported
from ..ops import cross_entropy, linear, mse_loss, nll_loss, relu, sigmoid, tanh
from ..tensor import Tensor
from .dropout import dropout

__all__ = ["linear", "relu", "sigmoid", "tanh", "softmax", "log_softmax", "nll_loss", "cross_entropy",
           "mse_loss", "dropout", "one_hot"]


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """y: (...) class indices -> (..., num_classes) int64, 1 at each index and 0 elsewhere
    (num_classes -1: the largest index + 1). Not differentiable (integers)."""
    if not isinstance(tensor, Tensor) or tensor.dtype.kind not in "iu":
        raise TypeError(f"one_hot: expected an integer tensor of class indices, got "
                        f"{getattr(tensor, 'dtype', type(tensor).__name__)}; convert with .long()")
    xp = backend.get_array_module(tensor.array)
    n = int(tensor.array.max()) + 1 if num_classes == -1 else num_classes
    if tensor.array.size and (int(tensor.array.min()) < 0 or int(tensor.array.max()) >= n):
        raise ValueError(f"one_hot: class values must be in [0, {n}), got values from {int(tensor.array.min())} "
                         f"to {int(tensor.array.max())}")
    return Tensor._wrap((tensor.array[..., None] == xp.arange(n)).astype(xp.int64))


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


def __getattr__(name):
    """A PyTorch name this library lacks: an error saying what to write instead (unsupported.py)."""
    raise unsupported.missing("nn.functional", name)
