"""Check a backward pass against finite differences: ``gradcheck(fn, inputs)``.

For a function f of tensors, reverse mode computes the vector-Jacobian product
``v^T J`` for an output gradient v. Central differences estimate the same thing one input
element at a time:

    d(v . f)/dx_j  ~=  (v . f(x + eps e_j) - v . f(x - eps e_j)) / (2 eps)

with error O(eps^2), small enough in float64 for eps = 1e-6.

Two details make the check catch real bugs:

* v is random, never all ones. A backward that forgets to multiply by the incoming
  gradient (returns ``b`` instead of ``g * b``) is right exactly when g = 1.
* A second backward with v = 0 must give zero gradients: a backward that adds a constant
  regardless of g passes the first check only by luck.

On failure the error names the input, the worst element's index, the analytic and the
numeric value, and how many elements disagree, so a student knows where to look.
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy

from . import backend
from .grad_mode import no_grad
from .tensor import GradientShapeError, Tensor


class GradcheckError(AssertionError):
    """The analytic gradient (backward) disagrees with finite differences."""


def _fresh_leaves(inputs):
    """Copies of the inputs as new leaves, so the user's ``.grad`` is never touched."""
    leaves = []
    for i, x in enumerate(inputs):
        if not isinstance(x, Tensor):
            raise TypeError(f"gradcheck: input {i} is a {type(x).__name__}, expected a Tensor")
        t = Tensor._wrap(x.array.copy())
        t.requires_grad = x.requires_grad
        leaves.append(t)
    return leaves


def _analytic(fn, leaves, v):
    for t in leaves:
        t.grad = None
    out = fn(*leaves)
    try:
        out.backward(gradient=v)
    except GradientShapeError as e:       # name the input as gradcheck numbers them, and both shapes
        inputs = [i for i, t in enumerate(leaves) if t is e.tensor]
        where = (f"input {inputs[0]}" if inputs else f"an intermediate tensor (input {e.input_index} of op "
                                                     f"'{e.op}')")
        raise GradcheckError(f"gradcheck: the gradient of {where} has the wrong shape: op '{e.op}' returned "
                             f"shape {e.got} for a tensor of shape {e.expected}, and it does not reduce to "
                             f"it by undoing broadcasting. A backward returns one gradient per input, of "
                             f"that input's shape") from None
    return [t.grad.numpy() if t.grad is not None else numpy.zeros(t.shape) for t in leaves]


def _numeric(fn, leaves, i, v_host, eps):
    """Central-difference estimate of d(v . fn)/d(input i), element by element, on the host."""
    x = leaves[i].array
    host = backend.to_numpy(x).copy()
    grad = numpy.zeros(host.shape)
    home = backend.backend_of(x)
    with no_grad():
        for j in numpy.ndindex(host.shape):
            old = host[j]
            values = []
            for step in (eps, -eps):
                host[j] = old + step
                leaves[i].array = home.from_host(host.copy())
                values.append(float((backend.to_numpy(fn(*leaves).array) * v_host).sum()))
            host[j] = old
            grad[j] = (values[0] - values[1]) / (2 * eps)
    leaves[i].array = x
    return grad


def gradcheck(fn: Callable[..., Tensor], inputs: Sequence[Tensor], eps: float = 1e-6, atol: float = 1e-6,
              rtol: float = 1e-4, seed: int = 0) -> bool:
    """Raise :class:`GradcheckError` unless ``fn``'s backward matches finite differences.

    ``fn(*inputs)`` must return a Tensor. Inputs with ``requires_grad=True`` are checked;
    they must be float64 (float32 differences are too coarse to judge a gradient). Returns
    True when every checked input agrees to ``|analytic - numeric| <= atol + rtol |numeric|``.

    The defaults are tight enough to catch a backward 0.1 % off (a factor 1.001: the error
    is then 10 times ``rtol``) wherever a gradient element exceeds about 1e-3, and loose
    enough for the central differences' own error in float64 (about 1e-10 relative).
    """
    leaves = _fresh_leaves(inputs)
    checked = [i for i, t in enumerate(leaves) if t.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input has requires_grad=True, so there is nothing to check")
    for i in checked:
        if leaves[i].dtype != numpy.float64:
            raise TypeError(f"gradcheck: input {i} has dtype {leaves[i].dtype}; use float64 "
                            f"(Tensor(x, dtype='float64', requires_grad=True)): finite differences "
                            f"in float32 are too noisy to judge a gradient")
    out = fn(*leaves)
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: fn must return a Tensor, it returned {type(out).__name__}")
    v_host = numpy.random.default_rng(seed).standard_normal(out.shape)
    # the output's own backend, not device=out.device: that names whichever backend was
    # registered last for "gpu", which need not be the one fn computed on
    home = backend.backend_of(out.array)
    v = home.from_host(v_host.astype(out.dtype))

    analytic = _analytic(fn, leaves, v)
    for i in checked:
        numeric = _numeric(fn, leaves, i, v_host, eps)
        error = numpy.abs(analytic[i] - numeric)
        bad = error > atol + rtol * numpy.abs(numeric)
        if bad.any():
            j = numpy.unravel_index(numpy.argmax(numpy.where(bad, error, -1)), error.shape)
            raise GradcheckError(
                f"gradcheck: the gradient of input {i} (shape {leaves[i].shape}) is wrong at index "
                f"{tuple(int(k) for k in j)}: backward gives {analytic[i][j]:.6g}, finite differences "
                f"give {numeric[j]:.6g} (difference {error[j]:.3g}, tolerance {atol + rtol * abs(numeric[j]):.3g}); "
                f"{int(bad.sum())} of {bad.size} elements disagree. "
                f"Check the backward of the ops in fn for this input: a missing factor of g, "
                f"a wrong sign, or a sum over the wrong axis are the usual causes")

    zero = _analytic(fn, leaves, home.from_host(numpy.zeros(out.shape, dtype=out.dtype)))
    for i in checked:
        if numpy.abs(zero[i]).max(initial=0) > 0:
            j = numpy.unravel_index(numpy.abs(zero[i]).argmax(), zero[i].shape)
            raise GradcheckError(
                f"gradcheck: with a zero output gradient, input {i} still gets a nonzero gradient "
                f"({zero[i][j]:.6g} at index {tuple(int(k) for k in j)}); the backward must multiply "
                f"by the incoming gradient g, never add a term that does not depend on g")
    return True
