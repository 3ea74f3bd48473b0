"""Correct backward passes for the ops an assignment can hand out, written as a student would."""
from tinygrad_opt.backend import get_array_module
from tinygrad_opt.tensor import make_result


def relu(a):
    xp = get_array_module(a.array)
    out = xp.maximum(a.array, 0)

    def backward(g):
        return (g * (a.array > 0),)
    return make_result(out, (a,), backward, "relu")


def exp(a):
    xp = get_array_module(a.array)
    out = xp.exp(a.array)

    def backward(g):
        return (g * out,)
    return make_result(out, (a,), backward, "exp")


def log(a):
    xp = get_array_module(a.array)
    out = xp.log(a.array)

    def backward(g):
        return (g / a.array,)
    return make_result(out, (a,), backward, "log")


def tanh(a):
    xp = get_array_module(a.array)
    out = xp.tanh(a.array)

    def backward(g):
        return (g * (1 - out ** 2),)
    return make_result(out, (a,), backward, "tanh")


def sigmoid(a):
    xp = get_array_module(a.array)
    out = 1 / (1 + xp.exp(-a.array))

    def backward(g):
        return (g * out * (1 - out),)
    return make_result(out, (a,), backward, "sigmoid")


def mul(a, b):
    out = a.array * b.array

    def backward(g):
        return g * b.array, g * a.array
    return make_result(out, (a, b), backward, "mul")


def div(a, b):
    out = a.array / b.array

    def backward(g):
        return g / b.array, -g * a.array / b.array ** 2
    return make_result(out, (a, b), backward, "div")


def matmul(a, b):
    xp = get_array_module(a.array)
    out = a.array @ b.array

    def backward(g):
        return g @ xp.swapaxes(b.array, -1, -2), xp.swapaxes(a.array, -1, -2) @ g
    return make_result(out, (a, b), backward, "matmul")


def linear(x, weight, bias):
    out = x.array @ weight.array.T + bias.array

    def backward(g):
        g2, x2 = g.reshape(-1, g.shape[-1]), x.array.reshape(-1, x.shape[-1])
        return g @ weight.array, g2.T @ x2, g2.sum(axis=0)
    return make_result(out, (x, weight, bias), backward, "linear")


def log_softmax(a, dim=-1):
    xp = get_array_module(a.array)
    shifted = a.array - a.array.max(axis=dim, keepdims=True)
    out = shifted - xp.log(xp.exp(shifted).sum(axis=dim, keepdims=True))

    def backward(g):
        return (g - xp.exp(out) * g.sum(axis=dim, keepdims=True),)
    return make_result(out, (a,), backward, "log_softmax")
