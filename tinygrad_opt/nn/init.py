"""Initialisation: draw on the host from the seeded generator, then move to the backend.

``uniform`` makes a new array (the layers' own); ``torch.nn.init``'s in-place functions
(``kaiming_uniform_``, ``xavier_normal_``, ``zeros_``, ...) fill an existing tensor, with PyTorch's formulas.

Drawing on the host makes ``manual_seed(s)`` give the same initial weights on every
backend, CPU or GPU.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Sequence

from .. import backend
from ..tensor import Tensor

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


# -- torch.nn.init: fill a tensor in place, PyTorch's formulas ----------------------------------
def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The factor that keeps the activations' variance through a layer followed by ``nonlinearity``:
    1 for linear and sigmoid, 5/3 for tanh, sqrt(2) for relu, sqrt(2 / (1 + slope^2)) for leaky_relu
    (slope ``param``, default 0.01), 3/4 for selu."""
    fixed = {"linear": 1.0, "conv1d": 1.0, "conv2d": 1.0, "conv3d": 1.0, "sigmoid": 1.0, "tanh": 5.0 / 3,
             "relu": math.sqrt(2.0), "selu": 3.0 / 4}
    if nonlinearity in fixed:
        return fixed[nonlinearity]
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        return math.sqrt(2.0 / (1 + slope ** 2))
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}; one of "
                     f"{sorted(fixed) + ['leaky_relu']}")


def _calculate_fan_in_and_fan_out(tensor):
    """fan_in = shape[1] * receptive field, fan_out = shape[0] * receptive field (W: (out, in, ...))."""
    if tensor.ndim < 2:
        raise ValueError(f"fan in and fan out need a tensor of at least 2 dimensions, got shape {tensor.shape}")
    receptive = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _fan(tensor, mode):
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _fill(tensor, host):
    """Write the host values into ``tensor``'s array in place (as PyTorch's init, under no_grad)."""
    tensor.array[...] = backend.for_device(tensor.device).from_host(host.astype(tensor.dtype))
    tensor._bump_version()
    return tensor


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0) -> Tensor:
    """tensor <- samples of U(a, b)."""
    return _fill(tensor, backend.host_rng().uniform(a, b, size=tensor.shape))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0) -> Tensor:
    """tensor <- samples of N(mean, std^2)."""
    return _fill(tensor, backend.host_rng().normal(mean, std, size=tensor.shape))


def constant_(tensor: Tensor, val: float) -> Tensor:
    """tensor <- val everywhere."""
    tensor.array[...] = val
    tensor._bump_version()
    return tensor


def zeros_(tensor: Tensor) -> Tensor:
    return constant_(tensor, 0)


def ones_(tensor: Tensor) -> Tensor:
    return constant_(tensor, 1)


def xavier_uniform_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """U(-a, a), a = gain sqrt(6 / (fan_in + fan_out)) (Glorot and Bengio, 2010)."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound)


def xavier_normal_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """N(0, std^2), std = gain sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)))


def kaiming_uniform_(tensor: Tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu") -> Tensor:
    """U(-bound, bound), bound = gain sqrt(3 / fan) (He et al., 2015; gain from ``nonlinearity``, a = slope)."""
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / _fan(tensor, mode))
    return uniform_(tensor, -bound, bound)


def kaiming_normal_(tensor: Tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu") -> Tensor:
    """N(0, std^2), std = gain / sqrt(fan)."""
    return normal_(tensor, 0.0, calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode)))
