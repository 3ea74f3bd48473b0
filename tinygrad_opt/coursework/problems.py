"""The standard problems an optimizer is graded and checked on (float64, fixed start).

Each is a function returning a fresh :class:`Problem`, the same in every process:

* ``convex quadratic``          f(x) = 1/2 sum_i a_i (x_i - c_i)^2,  x in R^5, a_i in [1, 3]
* ``ill-conditioned quadratic`` f(x) = 1/2 (x_0^2 + 50 x_1^2): condition number 50
* ``rosenbrock``                f(x) = (1 - x_0)^2 + 100 (x_1 - x_0^2)^2, from (-1.2, 1)
* ``small MLP``                 the course's MLP (4 -> 8 -> 3), NLL loss on 16 fixed examples:
                                four parameters, for parameter groups and missing gradients

To add a problem, write a function like these and put it in ``PROBLEMS`` (or pass the
function itself where a problem name is asked for).
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy

from .. import backend, nn
from ..nn import functional as F
from ..tensor import Tensor


class Problem:
    """A test objective: named parameters (``[(name, Tensor)]``) at their start and ``loss()``;
    ``minimum``: the least loss when it is known and reached (None otherwise)."""

    def __init__(self, name: str, params: list[tuple[str, Tensor]], loss: Callable[[], Tensor],
                 minimum: float | None = None) -> None:
        self.name = name
        self.params = params
        self.loss = loss
        self.minimum = minimum


def _param(values):
    return Tensor(numpy.asarray(values, dtype=numpy.float64), requires_grad=True)


def _const(values):
    return Tensor(numpy.asarray(values, dtype=numpy.float64))


def convex_quadratic() -> Problem:
    a, c = _const([1.0, 1.5, 2.0, 2.5, 3.0]), _const([1.0, -1.0, 0.5, 2.0, -0.5])
    x = _param([2.0, 1.0, -1.0, 0.5, 1.5])
    return Problem("convex quadratic", [("x", x)], lambda: 0.5 * (a * (x - c) ** 2).sum(), minimum=0.0)


def ill_conditioned_quadratic() -> Problem:
    a = _const([1.0, 50.0])
    x = _param([-1.5, 1.0])
    return Problem("ill-conditioned quadratic", [("x", x)], lambda: 0.5 * (a * x ** 2).sum(), minimum=0.0)


def rosenbrock() -> Problem:
    x = _param([-1.2, 1.0])
    return Problem("rosenbrock", [("x", x)], lambda: (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2,
                   minimum=0.0)


def small_mlp() -> Problem:
    """The course's MLP (4 -> 8 -> 3, ReLU) with seeded weights, on 16 fixed examples.

    Built without disturbing the caller: the default dtype and the host generator's state
    are restored afterwards.
    """
    rng = numpy.random.default_rng(0)
    x_host = rng.standard_normal((16, 4))
    y_host = (x_host @ rng.standard_normal((4, 3))).argmax(axis=1)
    dtype, rng_state = backend.get_default_dtype(), backend.rng_state()
    try:
        backend.set_default_dtype(numpy.float64)
        backend.manual_seed(0)
        model = nn.MLP(in_dim=4, out_dim=3, hidden_dims=[8])
    finally:
        backend.set_default_dtype(dtype)
        backend.set_rng_state(rng_state)
    x, y = _const(x_host), Tensor(y_host)
    return Problem("small MLP", list(model.named_parameters()), lambda: F.nll_loss(model(x), y))


PROBLEMS = {"convex quadratic": convex_quadratic, "ill-conditioned quadratic": ill_conditioned_quadratic,
            "rosenbrock": rosenbrock, "small MLP": small_mlp}


def problem_makers(problems: Sequence[str | Callable[[], Problem]] | None) -> list[Callable[[], Problem]]:
    """Problem functions from names and/or functions (default: all four)."""
    if problems is None:
        return list(PROBLEMS.values())
    makers = []
    for p in problems:
        if callable(p):
            makers.append(p)
        elif p in PROBLEMS:
            makers.append(PROBLEMS[p])
        else:
            raise ValueError(f"check: unknown problem {p!r}; known: {list(PROBLEMS)}")
    return makers
