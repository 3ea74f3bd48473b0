"""Every differentiable op of the engine: each one a forward and its backward, side by side.

=================  =============================================
arithmetic         add, sub, mul, div, neg, pow
unary              exp, log, relu, tanh, sigmoid
matmul             matmul (``@``), linear (x W^T + b)
reduce             sum, mean, max, prod
shape              reshape, transpose, permute, getitem (indexing)
softmax            log_softmax
loss               nll_loss, mse_loss
=================  =============================================
"""
from .arithmetic import add, div, mul, neg, pow, sub
from .loss import mse_loss, nll_loss
from .matmul import linear, matmul
from .reduce import max, mean, prod, sum
from .shape import getitem, permute, reshape, transpose
from .softmax import log_softmax
from .unary import exp, log, relu, sigmoid, tanh

__all__ = ["add", "sub", "mul", "div", "neg", "pow", "exp", "log", "relu", "tanh", "sigmoid",
           "matmul", "linear", "sum", "mean", "max", "prod", "reshape", "transpose", "permute",
           "getitem", "log_softmax", "nll_loss", "mse_loss"]
