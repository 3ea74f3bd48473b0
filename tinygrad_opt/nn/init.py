"""Initialisation: draw on the host from the seeded generator, then move to the backend.

Drawing on the host makes ``manual_seed(s)`` give the same initial weights on every
backend, CPU or GPU.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Sequence

from .. import backend

if TYPE_CHECKING:
    import numpy

    from ..backend import Array


def uniform(shape: Sequence[int], low: float, high: float, dtype: numpy.dtype | str | None = None,
            device: str | None = None) -> Array:
    """An array of ``shape`` drawn uniformly from [low, high)."""
    dtype = dtype or backend.get_default_dtype()
    host = backend.host_rng().uniform(low, high, size=shape).astype(dtype)
    target = backend.current() if device is None else backend.for_device(device)
    return target.from_host(host)


def pytorch_linear_bound(in_features: int) -> float:
    """PyTorch's default bound for a Linear layer's weight and bias: 1/sqrt(in_features).

    (PyTorch calls kaiming_uniform with a = sqrt(5): gain = sqrt(2/(1+5)) = sqrt(1/3),
    bound = gain * sqrt(3/fan_in) = 1/sqrt(fan_in).)
    """
    return 1.0 / math.sqrt(in_features)
