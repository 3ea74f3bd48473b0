"""Every differentiable op of the engine: each one a forward and its backward, side by side.

=================  ======================================================================
arithmetic         add, sub, mul, div, neg, pow, rpow
unary              exp, log, log1p, sqrt, square, abs, sign, sin, cos, relu, tanh, sigmoid
compare            eq, ne, lt, le, gt, ge, isnan, isinf, isfinite (bool tensors, not differentiable), allclose
select             where, maximum, minimum, clamp
matmul             matmul (``@``), linear (x W^T + b)
reduce             sum, mean, prod, var, std, norm, amax, amin, max, min (values and indices),
                   argmax, argmin, any, all (not differentiable)
shape              reshape, flatten, unsqueeze, squeeze, transpose, permute, clone, getitem
join               cat, stack
gather             expand, repeat, gather, index_select, masked_fill, topk
softmax            softmax, log_softmax
loss               nll_loss, cross_entropy (log_softmax fused with nll), mse_loss
=================  ======================================================================
"""
from .arithmetic import add, div, mul, neg, pow, rpow, sub
from .compare import allclose, eq, ge, gt, isfinite, isinf, isnan, le, lt, ne
from .gather import expand, gather, index_select, masked_fill, repeat, topk
from .join import cat, stack
from .loss import cross_entropy, mse_loss, nll_loss
from .matmul import linear, matmul
from .reduce import (ValuesIndices, all, amax, amin, any, argmax, argmin, max, mean, min, norm, prod, std, sum,
                     var)
from .select import clamp, maximum, minimum, where
from .shape import clone, flatten, getitem, permute, reshape, squeeze, transpose, unsqueeze
from .softmax import log_softmax, softmax
from .unary import abs, cos, exp, log, log1p, relu, sigmoid, sign, sin, sqrt, square, tanh

__all__ = ["add", "sub", "mul", "div", "neg", "pow", "rpow", "exp", "log", "sqrt", "abs", "relu", "tanh", "sigmoid",
           "log1p", "square", "sign", "sin", "cos", "expand", "repeat", "gather", "index_select", "masked_fill", "topk",
           "eq", "ne", "lt", "le", "gt", "ge", "isnan", "isinf", "isfinite", "allclose",
           "where", "maximum", "minimum", "clamp", "matmul", "linear",
           "sum", "mean", "prod", "var", "std", "norm", "amax", "amin", "max", "min", "argmax", "argmin", "any", "all",
           "ValuesIndices",
           "reshape", "flatten", "unsqueeze", "squeeze", "transpose", "permute", "clone", "getitem",
           "cat", "stack", "softmax", "log_softmax", "nll_loss", "cross_entropy", "mse_loss"]
