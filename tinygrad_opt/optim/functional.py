"""The optimization tutorial's update functions, on this engine.

Neuromatch Academy's deep-learning course, week 1 day 5 "Optimization techniques"
(NeuromatchAcademy/course-content-dl, ``tutorials/W1D5_Optimization``), has the learner write
each update by hand, with these signatures and defaults:

    zero_grad(params)
    gradient_update(loss, params, lr=1e-3)
    momentum_update(loss, params, grad_vel, lr=1e-3, beta=0.8)
    rmsprop_update(loss, params, grad_sq, lr=1e-3, alpha=0.8, epsilon=1e-8)

Each update clears the gradients, calls ``loss.backward()`` itself, and then changes the
parameters in place under ``no_grad()``, as the course writes it with PyTorch
(``par -= lr * par.grad``; Tensors have PyTorch's in-place operators). The buffers
``grad_vel`` / ``grad_sq`` (one per parameter, Tensors as in the course, or backend arrays)
are updated in place too (``copy_``, where the course rebinds ``vel.data``), so the caller's
list, arrays included, carries the state to the next call.

The rules are the course's own solutions, which differ in two places from ``torch.optim``
(and from :mod:`tinygrad_opt.optim`):

* momentum is Sutskever's form ``v = -lr g + beta v;  p = p + v`` (PyTorch: ``b = mu b + g;
  p = p - lr b``; see ``sgd.py`` for when that matters);
* RMSprop puts epsilon **inside** the square root, ``p = p - lr g / sqrt(epsilon + s)``
  (PyTorch: ``g / (sqrt(s) + eps)``).
"""
from __future__ import annotations

from typing import Sequence

from ..backend import Array, get_array_module
from ..grad_mode import no_grad
from ..tensor import Tensor


def zero_grad(params: Sequence[Tensor]) -> None:
    """Clear the gradients of ``params`` (they accumulate over successive backward calls)."""
    for par in params:
        if par.grad is not None:
            # new zeros rather than the course's in-place par.grad.data.zero_(): a gradient set by
            # hand (par.grad = Tensor(g)) shares the caller's array g, which must stay as it was
            par.grad = Tensor._wrap(get_array_module(par.grad.array).zeros_like(par.grad.array))


def _buffers_and_backward(name, loss, params, buffers):
    """The per-parameter buffers as Tensors (an array is wrapped, sharing its memory), checked
    against ``params`` (they are updated in place, so the caller's list carries the state);
    then, as the course does first in every update: ``zero_grad(params); loss.backward()``."""
    buffers = [b if isinstance(b, Tensor) else Tensor._wrap(b) for b in buffers]
    if len(buffers) != len(params):
        raise ValueError(f"{name}: got {len(buffers)} buffers for {len(params)} parameters (one per parameter)")
    for i, (par, b) in enumerate(zip(params, buffers, strict=True)):
        if b.shape != par.shape:
            raise ValueError(f"{name}: buffer {i} has shape {b.shape}, parameter {i} has shape {par.shape}")
    zero_grad(params)
    loss.backward()
    return buffers


def gradient_update(loss: Tensor, params: Sequence[Tensor], lr: float = 1e-3) -> None:
    """Gradient descent:  p <- p - lr * dloss/dp,  for every parameter in ``params``."""
    params = list(params)
    zero_grad(params)
    loss.backward()
    with no_grad():
        for par in params:
            par -= lr * par.grad


def momentum_update(loss: Tensor, params: Sequence[Tensor], grad_vel: Sequence[Tensor | Array], lr: float = 1e-3,
                    beta: float = 0.8) -> None:
    """Momentum (Sutskever et al. 2013), the course's form; ``grad_vel`` holds the velocities v:

        v <- -lr * dloss/dp + beta * v
        p <- p + v
    """
    params = list(params)
    velocities = _buffers_and_backward("momentum_update", loss, params, grad_vel)
    with no_grad():
        for par, vel in zip(params, velocities, strict=True):
            vel.copy_(-lr * par.grad + beta * vel)
            par += vel


def rmsprop_update(loss: Tensor, params: Sequence[Tensor], grad_sq: Sequence[Tensor | Array], lr: float = 1e-3,
                   alpha: float = 0.8, epsilon: float = 1e-8) -> None:
    """RMSprop, the course's form; ``grad_sq`` holds the running averages s of squared gradients:

        s <- alpha * s + (1 - alpha) * g^2
        p <- p - lr * g / sqrt(epsilon + s)          (epsilon inside the root, as in the course)
    """
    params = list(params)
    averages = _buffers_and_backward("rmsprop_update", loss, params, grad_sq)
    with no_grad():
        for par, gsq in zip(params, averages, strict=True):
            gsq.copy_(alpha * gsq + (1 - alpha) * par.grad ** 2)
            par -= lr * (par.grad / (epsilon + gsq) ** 0.5)
