"""Making tensors, PyTorch's way: ``tensor``, ``from_numpy``, ``zeros``, ``ones``, ``full``, ``*_like``,
``rand``, ``randn`` (and their ``*_like``), ``randint``, ``randperm``, ``arange``, ``linspace``, ``eye``,
``as_tensor``, and the dtype names.

Every function takes ``dtype=``, ``device=`` ("cpu" or "gpu"; default: the default backend)
and ``requires_grad=``, as in PyTorch, and sizes either way: ``zeros(2, 3)`` or
``zeros((2, 3))``. Floats default to the default float dtype (float32), Python integers
to int64, as in PyTorch.

Random numbers come from the one seeded host generator behind :func:`manual_seed`
(``backend.host_rng()``) and are then copied to the device, so a seed gives the same
numbers on the CPU and on the GPU. (The same seed gives other numbers than PyTorch's:
the generators differ.)
"""
from __future__ import annotations

import builtins
from typing import Sequence

import numpy

from . import backend
from .backend import Array
from .tensor import Tensor

# The dtype names as ``torch.float32`` spells them (NumPy dtypes underneath).
float16 = half = numpy.dtype("float16")
float32 = numpy.dtype("float32")
float64 = double = numpy.dtype("float64")
uint8 = numpy.dtype("uint8")
int8 = numpy.dtype("int8")
int16 = short = numpy.dtype("int16")
int32 = numpy.dtype("int32")
int64 = long = numpy.dtype("int64")
bool = numpy.dtype("bool")    # noqa: A001  (torch.bool; this module's own code never needs the builtin)

# torch.optim's ``zeros_like(p, memory_format=torch.preserve_format)``: every array here is
# contiguous, so both formats are the same
preserve_format, contiguous_format = "preserve_format", "contiguous_format"


def _size(size):
    """``(2, 3)`` from ``f(2, 3)``, ``f((2, 3))`` or ``f([2, 3])``."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    for n in size:
        if not isinstance(n, (int, numpy.integer)) or isinstance(n, type(True)) or n < 0:
            raise TypeError(f"size must be non-negative integers, got {tuple(size)}")
    return tuple(int(n) for n in size)


def _float_dtype(dtype):
    return backend.get_default_dtype() if dtype is None else numpy.dtype(dtype)


def _make(host, device, requires_grad):
    """A new tensor from a fresh host array, on ``device`` (default: the default backend)."""
    return Tensor(host, requires_grad=requires_grad, device=device)


def tensor(data: Array | Sequence | float, dtype: numpy.dtype | str | None = None, device: str | None = None,
           requires_grad: builtins.bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (numbers, nested lists, an array or a tensor).

    Unlike ``Tensor(array)``, which wraps a NumPy array without copying, this always
    copies, as ``torch.tensor`` does. Python floats become float32, ints int64, bools bool.
    """
    if isinstance(data, Tensor):
        data = data.array
    if not isinstance(data, (list, tuple, int, float, type(True), numpy.ndarray, numpy.generic)):
        data = data.copy()                       # a device array: copied on its device
    elif isinstance(data, (numpy.ndarray, numpy.generic)):
        data = numpy.array(data)                 # a copy (Tensor would share a NumPy array)
    return Tensor(data, requires_grad=requires_grad, dtype=dtype, device=device)


def from_numpy(array: numpy.ndarray) -> Tensor:
    """A CPU tensor sharing ``array``'s memory and keeping its dtype, as ``torch.from_numpy``:
    writing to one changes the other."""
    if not isinstance(array, numpy.ndarray):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__}")
    return Tensor(array, device="cpu")


def zeros(*size: int | Sequence[int], dtype: numpy.dtype | str | None = None, device: str | None = None,
          requires_grad: builtins.bool = False) -> Tensor:
    """A tensor of ``size`` filled with 0 (default float dtype)."""
    return _make(numpy.zeros(_size(size), _float_dtype(dtype)), device, requires_grad)


def ones(*size: int | Sequence[int], dtype: numpy.dtype | str | None = None, device: str | None = None,
         requires_grad: builtins.bool = False) -> Tensor:
    """A tensor of ``size`` filled with 1 (default float dtype)."""
    return _make(numpy.ones(_size(size), _float_dtype(dtype)), device, requires_grad)


def full(size: Sequence[int], fill_value: float, dtype: numpy.dtype | str | None = None, device: str | None = None,
         requires_grad: builtins.bool = False) -> Tensor:
    """A tensor of ``size`` filled with ``fill_value``; the dtype follows the value as in
    PyTorch (bool, int64, or the default float dtype) unless given."""
    if dtype is None:
        dtype = numpy.asarray(fill_value).dtype
        if dtype.kind == "f":
            dtype = backend.get_default_dtype()
    return _make(numpy.full(_size((size,)), fill_value, dtype), device, requires_grad)


def _like(t, dtype, device, memory_format):
    if memory_format not in (None, preserve_format, contiguous_format):
        raise ValueError(f"memory_format={memory_format!r}: only torch.preserve_format and torch.contiguous_format "
                         f"(the same here: every array is contiguous)")
    if not isinstance(t, Tensor):
        raise TypeError(f"expected a Tensor, got {type(t).__name__}")
    return t.shape, (t.dtype if dtype is None else numpy.dtype(dtype)), (t.device if device is None else device)


def zeros_like(input: Tensor, dtype: numpy.dtype | str | None = None, device: str | None = None,
               requires_grad: builtins.bool = False, memory_format: object = None) -> Tensor:
    """Zeros of ``input``'s shape, dtype and device (each may be overridden)."""
    shape, dtype, device = _like(input, dtype, device, memory_format)
    return _make(numpy.zeros(shape, dtype), device, requires_grad)


def ones_like(input: Tensor, dtype: numpy.dtype | str | None = None, device: str | None = None,
              requires_grad: builtins.bool = False, memory_format: object = None) -> Tensor:
    """Ones of ``input``'s shape, dtype and device."""
    shape, dtype, device = _like(input, dtype, device, memory_format)
    return _make(numpy.ones(shape, dtype), device, requires_grad)


def full_like(input: Tensor, fill_value: float, dtype: numpy.dtype | str | None = None, device: str | None = None,
              requires_grad: builtins.bool = False, memory_format: object = None) -> Tensor:
    """``fill_value`` in ``input``'s shape, dtype and device."""
    shape, dtype, device = _like(input, dtype, device, memory_format)
    return _make(numpy.full(shape, fill_value, dtype), device, requires_grad)


def rand(*size: int | Sequence[int], dtype: numpy.dtype | str | None = None, device: str | None = None,
         requires_grad: builtins.bool = False) -> Tensor:
    """Uniform samples in [0, 1), from the seeded generator (see :func:`manual_seed`)."""
    dtype = _float_dtype(dtype)
    host = backend.host_rng().random(_size(size), dtype=numpy.float64).astype(dtype)
    return _make(host, device, requires_grad)


def randn(*size: int | Sequence[int], dtype: numpy.dtype | str | None = None, device: str | None = None,
          requires_grad: builtins.bool = False) -> Tensor:
    """Standard normal samples (mean 0, variance 1), from the seeded generator."""
    dtype = _float_dtype(dtype)
    host = backend.host_rng().standard_normal(_size(size), dtype=numpy.float64).astype(dtype)
    return _make(host, device, requires_grad)


def rand_like(input: Tensor, dtype: numpy.dtype | str | None = None, device: str | None = None,
              requires_grad: builtins.bool = False, memory_format: object = None) -> Tensor:
    """Uniform samples in [0, 1) in ``input``'s shape, dtype and device."""
    shape, dtype, device = _like(input, dtype, device, memory_format)
    return rand(shape, dtype=dtype, device=device, requires_grad=requires_grad)


def randn_like(input: Tensor, dtype: numpy.dtype | str | None = None, device: str | None = None,
               requires_grad: builtins.bool = False, memory_format: object = None) -> Tensor:
    """Standard normal samples in ``input``'s shape, dtype and device."""
    shape, dtype, device = _like(input, dtype, device, memory_format)
    return randn(shape, dtype=dtype, device=device, requires_grad=requires_grad)


def randint(low: int, high: int | None = None, size: Sequence[int] | None = None,
            dtype: numpy.dtype | str | None = None, device: str | None = None,
            requires_grad: builtins.bool = False) -> Tensor:
    """Integers drawn uniformly from [low, high), int64; ``randint(high, size)`` starts at 0,
    as in PyTorch (``randint(0, 10, (3,))`` and ``randint(10, (3,))`` are the same)."""
    if size is None:                 # randint(high, size): the two leading arguments shift
        low, high, size = 0, low, high
    if size is None or high is None:
        raise TypeError("randint: write randint(high, size) or randint(low, high, size), e.g. randint(0, 10, (3,))")
    host = backend.host_rng().integers(low, high, _size((size,)), dtype=numpy.int64)
    return _make(host.astype(int64 if dtype is None else dtype), device, requires_grad)


def arange(start: float, end: float | None = None, step: float = 1, dtype: numpy.dtype | str | None = None,
           device: str | None = None, requires_grad: builtins.bool = False) -> Tensor:
    """start, start + step, ... up to (not including) end; ``arange(n)`` is 0..n-1.

    int64 when every argument is an integer, else the default float dtype, as in PyTorch.
    """
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError("arange: step must be nonzero")
    if dtype is None:
        integers = all(isinstance(v, (int, numpy.integer)) for v in (start, end, step))
        dtype = int64 if integers else backend.get_default_dtype()
    host = numpy.arange(start, end, step, dtype=numpy.float64 if numpy.dtype(dtype).kind == "f" else None)
    return _make(host.astype(dtype), device, requires_grad)


def linspace(start: float, end: float, steps: int, dtype: numpy.dtype | str | None = None, device: str | None = None,
             requires_grad: builtins.bool = False) -> Tensor:
    """``steps`` evenly spaced values from start to end, both included (default float dtype)."""
    host = numpy.linspace(start, end, steps, dtype=numpy.float64)
    return _make(host.astype(_float_dtype(dtype)), device, requires_grad)


def eye(n: int, m: int | None = None, dtype: numpy.dtype | str | None = None, device: str | None = None,
        requires_grad: builtins.bool = False) -> Tensor:
    """The n x m identity matrix (ones on the diagonal; m defaults to n)."""
    return _make(numpy.eye(n, m, dtype=_float_dtype(dtype)), device, requires_grad)


def randperm(n: int, dtype: numpy.dtype | str | None = None, device: str | None = None,
             requires_grad: builtins.bool = False) -> Tensor:
    """0..n-1 in a random order, int64, from the seeded generator."""
    host = backend.host_rng().permutation(n)
    return _make(host.astype(int64 if dtype is None else dtype), device, requires_grad)


def as_tensor(data: Array | Sequence | float, dtype: numpy.dtype | str | None = None,
              device: str | None = None) -> Tensor:
    """``data`` as a tensor without a copy where it can be (a tensor or NumPy array of the right
    dtype and device is shared), as ``torch.as_tensor``."""
    if isinstance(data, Tensor):
        same = (dtype is None or data.dtype == dtype) and (device is None or data.device == device)
        return data if same else data.to(numpy.dtype(dtype or data.dtype)).to(device or data.device)
    return Tensor(data, dtype=dtype, device=device)
