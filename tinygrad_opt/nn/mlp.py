"""The course's multi-layer perceptron (``MLP(in_dim, out_dim, hidden_dims, use_bias)``)."""
from __future__ import annotations

from typing import Sequence

from .. import ops
from ..tensor import Tensor
from .activation import ReLU
from .container import Sequential
from .layers import Linear
from .module import Module


class MLP(Module):
    """in_dim -> [Linear + ReLU for each hidden width] -> Linear -> log_softmax(dim=1).

    ``hidden_dims=[]`` is the linear model (multinomial logistic regression). Inputs of any
    shape (B, ...) are flattened to (B, in_dim) first, as the course's ``x.view(-1, in_dim)``.
    The output holds log-probabilities: pair it with ``nll_loss``. ``logits(x)`` gives the
    scores before the log-softmax, for ``cross_entropy``: ``F.cross_entropy(model.logits(x), y)``
    is ``F.nll_loss(model(x), y)`` as one op, the same numbers bit for bit, at one fewer
    backward (the main job, ``experiments/mnist_optimizers.py``, trains with it).
    """

    def __init__(self, in_dim: int = 784, out_dim: int = 10, hidden_dims: Sequence[int] = (),
                 use_bias: bool = True) -> None:
        self.in_dim = in_dim
        self.out_dim = out_dim
        widths = [in_dim, *hidden_dims]
        layers = []
        for n_in, n_out in zip(widths[:-1], widths[1:], strict=True):
            layers += [Linear(n_in, n_out, bias=use_bias), ReLU()]
        layers.append(Linear(widths[-1], out_dim, bias=use_bias))
        self.main = Sequential(*layers)

    def logits(self, x: Tensor) -> Tensor:
        """The scores z: (B, out_dim) before the log-softmax, for x: (B, in_dim) (or (B, ...))."""
        if x.ndim != 2 or x.shape[1] != self.in_dim:
            x = ops.reshape(x, (-1, self.in_dim))
        return self.main(x)

    def forward(self, x: Tensor) -> Tensor:
        return ops.log_softmax(self.logits(x), 1)
