"""Elementwise functions: exp, log, log1p, sqrt, square, abs, sign, sin, cos, relu, tanh, sigmoid.

Each derivative is written in terms of the output where that is cheaper: the forward
result is kept by the closure anyway.
"""
from __future__ import annotations

from ..backend import get_array_module
from ..tensor import Tensor, make_result


def exp(a: Tensor) -> Tensor:
    """out = e^a.    dout/da = e^a = out."""
    out = get_array_module(a.array).exp(a.array)

    def backward(g):
        return (g * out,)
    return make_result(out, (a,), backward, "exp")


def log(a: Tensor) -> Tensor:
    """out = ln a.    dout/da = 1/a."""
    out = get_array_module(a.array).log(a.array)

    def backward(g):
        return (g / a.array,)
    return make_result(out, (a,), backward, "log")


def log1p(a: Tensor) -> Tensor:
    """out = ln(1 + a), exact for tiny a where 1 + a would round.    dout/da = 1 / (1 + a)."""
    out = get_array_module(a.array).log1p(a.array)

    def backward(g):
        return (g / (1 + a.array),)
    return make_result(out, (a,), backward, "log1p")


def square(a: Tensor) -> Tensor:
    """out = a^2.    dout/da = 2a."""
    out = a.array * a.array

    def backward(g):
        return (g * 2 * a.array,)
    return make_result(out, (a,), backward, "square")


def sign(a: Tensor) -> Tensor:
    """out = -1, 0 or 1 by the sign of a.    dout/da = 0 everywhere (a step function; 0 at a = 0 too, as PyTorch)."""
    xp = get_array_module(a.array)
    out = xp.sign(a.array)

    def backward(g):
        return (xp.zeros_like(g),)
    return make_result(out, (a,), backward, "sign")


def sin(a: Tensor) -> Tensor:
    """out = sin a.    dout/da = cos a."""
    xp = get_array_module(a.array)
    out = xp.sin(a.array)

    def backward(g):
        return (g * xp.cos(a.array),)
    return make_result(out, (a,), backward, "sin")


def cos(a: Tensor) -> Tensor:
    """out = cos a.    dout/da = -sin a."""
    xp = get_array_module(a.array)
    out = xp.cos(a.array)

    def backward(g):
        return (-g * xp.sin(a.array),)
    return make_result(out, (a,), backward, "cos")


def sqrt(a: Tensor) -> Tensor:
    """out = sqrt(a).    dout/da = 1 / (2 sqrt(a)) = 1 / (2 out)  (inf at a = 0, as PyTorch)."""
    out = get_array_module(a.array).sqrt(a.array)

    def backward(g):
        return (g / (2 * out),)
    return make_result(out, (a,), backward, "sqrt")


def abs(a: Tensor) -> Tensor:
    """out = |a|.    dout/da = sign(a): 1 for a > 0, -1 for a < 0, and 0 at a = 0 (as PyTorch)."""
    xp = get_array_module(a.array)
    out = xp.abs(a.array)

    def backward(g):
        return (g * xp.sign(a.array),)
    return make_result(out, (a,), backward, "abs")


def relu(a: Tensor) -> Tensor:
    """out = max(a, 0).    dout/da = 1 where a > 0, else 0 (0 at the kink a = 0, as PyTorch)."""
    out = get_array_module(a.array).maximum(a.array, 0)

    def backward(g):
        return (g * (out > 0),)
    return make_result(out, (a,), backward, "relu")


def tanh(a: Tensor) -> Tensor:
    """out = tanh a.    dout/da = 1 - tanh^2 a = 1 - out^2."""
    out = get_array_module(a.array).tanh(a.array)

    def backward(g):
        return (g * (1 - out * out),)
    return make_result(out, (a,), backward, "tanh")


def sigmoid(a: Tensor) -> Tensor:
    """out = 1 / (1 + e^-a).    dout/da = out (1 - out).

    Stable in both tails. With e = e^-|a| (never above 1, so never overflowing):

        out = 1 / (1 + e)    for a >= 0          out = e / (1 + e)    for a < 0

    the second form keeps the tiny values of the left tail to full relative precision
    (sigmoid(-40) = 4.2e-18, so log(sigmoid(-40)) = -40), where 1 - (something near 1)
    would cancel. For the same reason the derivative is taken as
    out (1 - out) = e / (1 + e)^2, which is exact in both tails.
    """
    xp = get_array_module(a.array)
    e = xp.exp(-xp.abs(a.array))
    one_plus_e = 1 + e
    out = xp.where(a.array >= 0, 1, e) / one_plus_e

    def backward(g):
        return (g * (e / (one_plus_e * one_plus_e)),)
    return make_result(out, (a,), backward, "sigmoid")
