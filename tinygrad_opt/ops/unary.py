"""Elementwise functions: exp, log, relu, tanh, sigmoid.

Each derivative is written in terms of the output where that is cheaper: the forward
result is kept by the closure anyway.
"""
from ..backend import get_array_module
from ..tensor import make_result


def exp(a):
    """out = e^a.    dout/da = e^a = out."""
    out = get_array_module(a.array).exp(a.array)

    def backward(g):
        return (g * out,)
    return make_result(out, (a,), backward, "exp")


def log(a):
    """out = ln a.    dout/da = 1/a."""
    def backward(g):
        return (g / a.array,)
    return make_result(get_array_module(a.array).log(a.array), (a,), backward, "log")


def relu(a):
    """out = max(a, 0).    dout/da = 1 where a > 0, else 0 (0 at the kink a = 0, as PyTorch)."""
    out = get_array_module(a.array).maximum(a.array, 0)

    def backward(g):
        return (g * (out > 0),)
    return make_result(out, (a,), backward, "relu")


def tanh(a):
    """out = tanh a.    dout/da = 1 - tanh^2 a = 1 - out^2."""
    out = get_array_module(a.array).tanh(a.array)

    def backward(g):
        return (g * (1 - out * out),)
    return make_result(out, (a,), backward, "tanh")


def sigmoid(a):
    """out = 1 / (1 + e^-a).    dout/da = out (1 - out).

    Computed as (1 + tanh(a/2)) / 2, the same function, which never overflows: e^-a does
    for a < -88 in float32.
    """
    out = (1 + get_array_module(a.array).tanh(a.array * 0.5)) * 0.5

    def backward(g):
        return (g * out * (1 - out),)
    return make_result(out, (a,), backward, "sigmoid")
