"""The optimization tutorial's update functions, on this engine.

Neuromatch Academy's deep-learning course, week 1 day 5 "Optimization techniques"
(NeuromatchAcademy/course-content-dl, ``tutorials/W1D5_Optimization``), has the learner write
each update by hand, with these signatures and defaults:

    zero_grad(params)
    gradient_update(loss, params, lr=1e-3)
    momentum_update(loss, params, grad_vel, lr=1e-3, beta=0.8)
    rmsprop_update(loss, params, grad_sq, lr=1e-3, alpha=0.8, epsilon=1e-8)

Each update clears the gradients, calls ``loss.backward()`` itself, and then changes the
parameters in place without recording a graph. The buffers ``grad_vel`` / ``grad_sq`` (one
per parameter, Tensors as in the course, or backend arrays) are updated in place too, so the
caller's list carries the state to the next call.

The rules are the course's own solutions, which differ in two places from ``torch.optim``
(and from :mod:`tinygrad_opt.optim`):

* momentum is Sutskever's form ``v = -lr g + beta v;  p = p + v`` (PyTorch: ``b = mu b + g;
  p = p - lr b``; see ``sgd.py`` for when that matters);
* RMSprop puts epsilon **inside** the square root, ``p = p - lr g / sqrt(epsilon + s)``
  (PyTorch: ``g / (sqrt(s) + eps)``).
"""
from ..backend import get_array_module
from ..grad_mode import no_grad
from ..tensor import Tensor


def zero_grad(params):
    """Clear the gradients of ``params`` (they accumulate over successive backward calls)."""
    for par in params:
        if par.grad is not None:
            par.grad = Tensor._wrap(get_array_module(par.grad.array).zeros_like(par.grad.array))


def _buffers(name, params, buffers):
    """The arrays behind a per-parameter buffer list, checked against ``params``."""
    buffers = list(buffers)
    if len(buffers) != len(params):
        raise ValueError(f"{name}: got {len(buffers)} buffers for {len(params)} parameters (one per parameter)")
    arrays = [b.array if isinstance(b, Tensor) else b for b in buffers]
    for i, (par, a) in enumerate(zip(params, arrays)):
        if tuple(getattr(a, "shape", ())) != par.shape:
            raise ValueError(f"{name}: buffer {i} has shape {tuple(getattr(a, 'shape', ()))}, "
                             f"parameter {i} has shape {par.shape}")
    return arrays


def _backward(loss, params):
    zero_grad(params)
    loss.backward()


def gradient_update(loss, params, lr=1e-3):
    """Gradient descent:  p <- p - lr * dloss/dp,  for every parameter in ``params``."""
    params = list(params)
    _backward(loss, params)
    with no_grad():
        for par in params:
            par.array -= lr * par.grad.array


def momentum_update(loss, params, grad_vel, lr=1e-3, beta=0.8):
    """Momentum (Sutskever et al. 2013), the course's form; ``grad_vel`` holds the velocities v:

        v <- -lr * dloss/dp + beta * v
        p <- p + v
    """
    params = list(params)
    velocities = _buffers("momentum_update", params, grad_vel)
    _backward(loss, params)
    with no_grad():
        for par, vel in zip(params, velocities):
            vel *= beta
            vel -= lr * par.grad.array
            par.array += vel


def rmsprop_update(loss, params, grad_sq, lr=1e-3, alpha=0.8, epsilon=1e-8):
    """RMSprop, the course's form; ``grad_sq`` holds the running averages s of squared gradients:

        s <- alpha * s + (1 - alpha) * g^2
        p <- p - lr * g / sqrt(epsilon + s)          (epsilon inside the root, as in the course)
    """
    params = list(params)
    averages = _buffers("rmsprop_update", params, grad_sq)
    _backward(loss, params)
    with no_grad():
        for par, s in zip(params, averages):
            g = par.grad.array
            s *= alpha
            s += (1 - alpha) * (g * g)
            par.array -= lr * (g / get_array_module(s).sqrt(epsilon + s))
