"""``torch.nn.utils``: clip the gradients of parameters in place before ``optimizer.step()``.

clip_grad_norm_: with the total norm ||g|| = (sum over every parameter's gradient of ||g_p||^p)^(1/p),
every gradient is multiplied by min(1, max_norm / (||g|| + 1e-6)), as in PyTorch.
"""
from __future__ import annotations

import math
from typing import Iterable

from .. import backend
from ..tensor import Tensor


def _grads(parameters):
    parameters = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    return [p.grad for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False) -> Tensor:
    """Scale the gradients in place so that their total norm is at most ``max_norm``; returns the
    total norm before clipping (a 0-d Tensor). ``norm_type`` inf is the largest |g|."""
    grads = _grads(parameters)
    if not grads:
        return Tensor(0.0)
    xp = backend.get_array_module(grads[0].array)
    norm_type = float(norm_type)
    if math.isinf(norm_type):
        total = max(xp.abs(g.array).max() for g in grads)
    else:
        total = sum((xp.abs(g.array) ** norm_type).sum() for g in grads) ** (1.0 / norm_type)
    total = float(total)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is {total}; "
                           f"set error_if_nonfinite=False to clip anyway")
    coef = min(1.0, max_norm / (total + 1e-6))
    for g in grads:
        g.array *= coef
    return Tensor(xp.asarray(total, dtype=grads[0].dtype))


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float) -> None:
    """Clamp every gradient element to [-clip_value, clip_value], in place."""
    for g in _grads(parameters):
        xp = backend.get_array_module(g.array)
        xp.clip(g.array, -clip_value, clip_value, out=g.array)
