"""tinygrad_opt: a small deep-learning framework to read and learn the math of training.

    from tinygrad_opt import Tensor, nn, optim
    import tinygrad_opt.nn.functional as F

Where to read:
  backend.py      NumPy (CPU) or CuPy (GPU) behind one engine: ``get_array_module``
  tensor.py       Tensor and reverse-mode autodiff: the graph, the topological sort, backward
  ops/            every op, forward and backward side by side, derivatives in the docstrings
  nn/             Module, Linear, ReLU, the course's MLP, losses
  optim/          the optimizers, each update rule under its equations; LR schedules; a checker
  gradcheck.py    finite-difference checks of any op's backward
  data/           MNIST / Fashion-MNIST (IDX files, checksums), minibatches
  allocator.py    why a training loop needs glibc to keep freed memory (a 2x speed-up)
"""
from . import backend, nn, ops
from .allocator import keep_freed_memory
from .backend import get_default_dtype, manual_seed, set_default_dtype
from .draw import draw_graph
from .grad_mode import AnomalyError, detect_anomaly, enable_grad, is_grad_enabled, no_grad
from .tensor import Tensor

__version__ = "0.1.0"

keep_freed_memory()    # see allocator.py: without it, some training loops page-fault every step

__all__ = ["Tensor", "no_grad", "enable_grad", "is_grad_enabled", "detect_anomaly", "AnomalyError",
           "manual_seed", "set_default_dtype", "get_default_dtype", "backend", "nn", "ops", "draw_graph"]
