"""Training one narrow network by gradient descent, two ways that must agree.

``train``: the engine's way -- ``loss.backward()`` fills ``w.grad`` by autodiff and
``optim.SGD`` takes the step ``w <- w - lr * w.grad``.

``train_analytic``: the course's way -- the same step with the hand-derived gradient
``model.dloss_dw`` and no graph at all.

Both follow the course's ``train`` loop: epoch i records the loss *before* its step and the
weights *after* it, and a run whose gradient turns nan or inf stops there (its remaining
records stay nan) and is reported as diverged.
"""
from collections import namedtuple

import numpy

from tinygrad_opt import Tensor, backend, no_grad
from tinygrad_opt.optim import SGD

History = namedtuple("History", "losses weights diverged_at")
History.__doc__ = """One run's records: ``losses: (n_epochs,)``, ``weights: (n_epochs, n_weights)``
(nan after a divergence) and ``diverged_at``: the epoch whose gradient was nan/inf, or None."""


def _as_tensors(model, x, y):
    dtype = next(model.parameters()).dtype
    return Tensor(x, dtype=dtype), Tensor(y, dtype=dtype)


def _weights(model):
    return numpy.concatenate([p.numpy().reshape(-1) for p in model.parameters()])


def _is_finite(arrays):
    return all(bool(backend.get_array_module(a).isfinite(a).all()) for a in arrays)


def train(model, x, y, lr, n_epochs):
    """Gradient descent with autodiff and ``optim.SGD``; x, y: (n,) host arrays. Returns a History."""
    x, y = _as_tensors(model, x, y)
    params = list(model.parameters())
    optimizer = SGD(params, lr=lr)
    losses = numpy.full(n_epochs, numpy.nan)
    weights = numpy.full((n_epochs, sum(p.numel() for p in params)), numpy.nan)
    with numpy.errstate(over="ignore", invalid="ignore"):   # a diverging run overflows, by design
        for i in range(n_epochs):
            optimizer.zero_grad()
            loss = model.loss(model(x), y)
            losses[i] = loss.item()
            loss.backward()
            if not _is_finite([p.grad.array for p in params]):
                return History(losses, weights, i)
            optimizer.step()
            weights[i] = _weights(model)
    return History(losses, weights, None)


def train_analytic(model, x, y, lr, n_epochs):
    """The course's loop: the same steps with the hand-derived ``model.dloss_dw``. Returns a History."""
    x, y = _as_tensors(model, x, y)
    params = list(model.parameters())
    losses = numpy.full(n_epochs, numpy.nan)
    weights = numpy.full((n_epochs, sum(p.numel() for p in params)), numpy.nan)
    with no_grad(), numpy.errstate(over="ignore", invalid="ignore"):
        for i in range(n_epochs):
            losses[i] = model.loss(model(x), y).item()
            grads = model.dloss_dw(x, y)
            if len(params) == 1:            # the deep net's dloss_dw is one array, not a tuple
                grads = (grads,)
            if not _is_finite(grads):
                return History(losses, weights, i)
            for p, g in zip(params, grads, strict=True):
                p.array -= lr * g
            weights[i] = _weights(model)
    return History(losses, weights, None)
