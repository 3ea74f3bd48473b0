"""tinygrad_opt: a small deep-learning framework to read and learn the math of training.

    from tinygrad_opt import Tensor, nn, optim
    import tinygrad_opt.nn.functional as F

or, coming from PyTorch, ``import tinygrad_opt as torch``: ``torch.tensor``, ``torch.zeros``,
``torch.max``, ``torch.cat``, ``torch.float32``, ``torch.nn.functional``, ``torch.optim.SGD``, ...

Where to read:
  backend.py      NumPy (CPU) or CuPy (GPU) behind one engine: ``get_array_module``
  tensor.py       Tensor and reverse-mode autodiff: the graph, the topological sort, backward
  ops/            every op, forward and backward side by side, derivatives in the docstrings
  creation.py     tensor, zeros, ones, full, rand, randn, randint, arange, linspace, eye; dtype names
  functions.py    torch.add(a, b, alpha=), sub, addcmul, addcdiv, lerp: Tensor methods as functions
  nn/             Module, Linear, ReLU, the course's MLP, losses
  optim/          the optimizers, each update rule under its equations; LR schedules; a checker
  gradcheck.py    finite-difference checks of any op's backward
  draw.py         draw_graph: a picture of the graph that made a tensor (graphviz, optional)
  coursework/     hand out, check and grade an optimizer assignment (docs/teaching.md)
  data/           MNIST / Fashion-MNIST (IDX files, checksums), minibatches (torch.utils.data: utils.py)
  cuda.py         cuda.is_available(); backend.device() is torch.device
  serialization.py  torch.save / torch.load of a model's state_dict (.npz, no pickle)
  allocator.py    why a training loop needs glibc to keep freed memory (a 2x speed-up)
"""
import math

from . import backend, ops  # ops first: it loads tensor.py, whose Tensor needs the ops
from . import creation, cuda, nn, optim, unsupported, utils
from .allocator import keep_freed_memory
from .backend import device, get_default_dtype, manual_seed, set_default_dtype
from .creation import (arange, as_tensor, contiguous_format, double, eye, float16, float32, float64, from_numpy, full,
                       full_like, half, int8, int16, int32, int64, linspace, long, ones, ones_like, preserve_format,
                       rand, rand_like, randint, randn, randn_like, randperm, short, tensor, uint8, zeros, zeros_like)
from .draw import draw_graph
from .grad_mode import (AnomalyError, detect_anomaly, enable_grad, inference_mode, is_grad_enabled, no_grad,
                        set_grad_enabled)
from .functions import add, addcdiv, addcmul, lerp, sub
from .ops import (abs, all, allclose, amax, amin, any, argmax, argmin, cat, clamp, clone, cos, div, exp, flatten,
                  gather, index_select, isfinite, isinf, isnan, log, log1p, log_softmax, masked_fill, matmul, max,
                  maximum, mean, min, minimum, mul, norm, permute, pow, prod, relu, reshape, sigmoid, sign, sin,
                  softmax, sqrt, square, squeeze, stack, std, sum, tanh, topk, transpose, unsqueeze, var, where)
from .serialization import load, save
from .tensor import Tensor

__version__ = "0.1.0"
pi = math.pi
mm = matmul

keep_freed_memory()    # see allocator.py: without it, some training loops page-fault every step

# torch.float, torch.int, torch.bool: kept out of __all__, so that "import *" leaves Python's own
# float, int and bool alone
float, int, bool = float32, int32, creation.bool

__all__ = ["Tensor", "no_grad", "enable_grad", "set_grad_enabled", "inference_mode", "is_grad_enabled",
           "detect_anomaly", "AnomalyError",
           "manual_seed", "set_default_dtype", "get_default_dtype", "backend", "nn", "ops", "optim", "draw_graph",
           "device", "cuda", "utils", "save", "load",
           # making tensors, and the dtype names (creation.py)
           "tensor", "from_numpy", "zeros", "ones", "full", "zeros_like", "ones_like", "full_like", "rand", "randn",
           "rand_like", "randn_like", "randperm", "as_tensor", "preserve_format", "contiguous_format",
           "randint", "arange", "linspace", "eye", "float16", "half", "float32", "float64", "double",
           "uint8", "int8", "int16", "short", "int32", "int64", "long",
           # the ops, as functions (ops/)
           "sum", "mean", "prod", "var", "std", "norm", "max", "min", "amax", "amin", "argmax", "argmin", "any", "all",
           "exp",
           "log", "sqrt", "abs", "sigmoid", "tanh", "relu", "softmax", "log_softmax", "maximum", "minimum", "clamp",
           "matmul", "mm", "pow", "add", "sub", "mul", "div", "addcmul", "addcdiv", "lerp", "square", "sign", "sin",
           "cos", "log1p", "pi",
           "isnan", "isinf", "isfinite", "allclose", "gather", "index_select", "masked_fill", "topk",
           "where", "cat", "stack", "reshape", "flatten", "unsqueeze", "squeeze", "permute", "transpose",
           "clone"]


def __getattr__(name):
    """A PyTorch name this library lacks: an error saying what to write instead (unsupported.py)."""
    raise unsupported.missing("torch", name)
