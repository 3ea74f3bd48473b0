"""The Tensor's operators and methods: each one forwards to its op in :mod:`tinygrad_opt.ops`.

``a + b`` is ``ops.add(a, b)``, ``t.sum(dim)`` is ``ops.sum(t, dim)``: the math (forward and
backward side by side) lives in the ops; this class only gives it PyTorch's spelling.
:class:`tinygrad_opt.tensor.Tensor` inherits these methods.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

from . import backend, unsupported

if TYPE_CHECKING:
    import numpy

    from .backend import Array
    from .ops.reduce import ValuesIndices
    from .tensor import Tensor


class TensorMethods:
    """Operators and methods of :class:`~tinygrad_opt.tensor.Tensor`, forwarding to the ops."""

    __slots__ = ()

    def __add__(self, other: Tensor | float) -> Tensor:
        return ops.add(self, other)

    def __radd__(self, other: Tensor | float) -> Tensor:
        return ops.add(other, self)

    def __sub__(self, other: Tensor | float) -> Tensor:
        return ops.sub(self, other)

    def __rsub__(self, other: Tensor | float) -> Tensor:
        return ops.sub(other, self)

    def __mul__(self, other: Tensor | float) -> Tensor:
        return ops.mul(self, other)

    def __rmul__(self, other: Tensor | float) -> Tensor:
        return ops.mul(other, self)

    def __truediv__(self, other: Tensor | float) -> Tensor:
        return ops.div(self, other)

    def __rtruediv__(self, other: Tensor | float) -> Tensor:
        return ops.div(other, self)

    def __neg__(self) -> Tensor:
        return ops.neg(self)

    def __pow__(self, exponent: Tensor | float) -> Tensor:
        return ops.pow(self, exponent)

    def __rpow__(self, base: float) -> Tensor:
        return ops.rpow(base, self)

    def __matmul__(self, other: Tensor) -> Tensor:
        return ops.matmul(self, other)

    def __rmatmul__(self, other: Tensor) -> Tensor:
        return ops.matmul(other, self)

    # PyTorch's method names for the operators: x.mul(y) is x * y, x.mm(W) is x @ W
    mul, div, pow, neg = __mul__, __truediv__, __pow__, __neg__

    def add(self, other: Tensor | float, *, alpha: float = 1) -> Tensor:
        """self + alpha * other (``grad.add(p, alpha=weight_decay)``)."""
        return ops.add(self, _scaled("add", self, other, alpha))

    def sub(self, other: Tensor | float, *, alpha: float = 1) -> Tensor:
        """self - alpha * other."""
        return ops.sub(self, _scaled("sub", self, other, alpha))

    def addcmul(self, tensor1: Tensor, tensor2: Tensor, *, value: float = 1) -> Tensor:
        """self + value * tensor1 * tensor2 (RMSprop's centered v - a^2 is ``v.addcmul(a, a, value=-1)``)."""
        return ops.add(self, _scaled("addcmul", self, ops.mul(tensor1, tensor2), value))

    def addcdiv(self, tensor1: Tensor, tensor2: Tensor, *, value: float = 1) -> Tensor:
        """self + value * tensor1 / tensor2."""
        return ops.add(self, _scaled("addcdiv", self, ops.div(tensor1, tensor2), value))

    def lerp(self, end: Tensor, weight: Tensor | float) -> Tensor:
        """self + weight * (end - self): the linear interpolation from self (weight 0) to end (weight 1).
        ``weight``: a number, or a tensor (which then gets its gradient too, as in PyTorch)."""
        if isinstance(weight, TensorMethods) and weight.numel() != 1:
            return ops.add(self, ops.mul(ops.sub(end, self), weight))
        return ops.add(self, _scaled("lerp", self, ops.sub(end, self), weight))
    matmul = mm = __matmul__

    # -- comparisons: elementwise bool tensors, as in PyTorch (Tensor keeps hashing by identity)
    def __eq__(self, other: Tensor | float | None) -> Tensor:
        return ops.eq(self, other)

    def __ne__(self, other: Tensor | float | None) -> Tensor:
        return ops.ne(self, other)

    def __lt__(self, other: Tensor | float) -> Tensor:
        return ops.lt(self, other)

    def __le__(self, other: Tensor | float) -> Tensor:
        return ops.le(self, other)

    def __gt__(self, other: Tensor | float) -> Tensor:
        return ops.gt(self, other)

    def __ge__(self, other: Tensor | float) -> Tensor:
        return ops.ge(self, other)

    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__    # x.eq(y) is x == y

    def __getitem__(self, index: int | slice | tuple | Tensor | None) -> Tensor:
        return ops.getitem(self, index)

    # -- reductions: PyTorch's dim= and keepdim= (NumPy's axis= and keepdims= work too) ------
    def sum(self, dim: int | tuple[int, ...] | None = None, keepdim: bool = False, *,
            axis: int | tuple[int, ...] | None = None, keepdims: bool | None = None,
            dtype: numpy.dtype | str | None = None) -> Tensor:
        return ops.sum(self, dim, keepdim, axis=axis, keepdims=keepdims, dtype=dtype)

    def mean(self, dim: int | tuple[int, ...] | None = None, keepdim: bool = False, *,
             axis: int | tuple[int, ...] | None = None, keepdims: bool | None = None,
             dtype: numpy.dtype | str | None = None) -> Tensor:
        return ops.mean(self, dim, keepdim, axis=axis, keepdims=keepdims, dtype=dtype)

    def prod(self, dim: int | tuple[int, ...] | None = None, keepdim: bool = False, *,
             axis: int | tuple[int, ...] | None = None, keepdims: bool | None = None,
             dtype: numpy.dtype | str | None = None) -> Tensor:
        return ops.prod(self, dim, keepdim, axis=axis, keepdims=keepdims, dtype=dtype)

    def var(self, dim: int | tuple[int, ...] | None = None, unbiased: bool = True, keepdim: bool = False, *,
            correction: int | None = None, axis: int | tuple[int, ...] | None = None,
            keepdims: bool | None = None) -> Tensor:
        return ops.var(self, dim, unbiased, keepdim, correction=correction, axis=axis, keepdims=keepdims)

    def std(self, dim: int | tuple[int, ...] | None = None, unbiased: bool = True, keepdim: bool = False, *,
            correction: int | None = None, axis: int | tuple[int, ...] | None = None,
            keepdims: bool | None = None) -> Tensor:
        return ops.std(self, dim, unbiased, keepdim, correction=correction, axis=axis, keepdims=keepdims)

    def norm(self, p: float | str = "fro", dim: int | tuple[int, ...] | None = None, keepdim: bool = False) -> Tensor:
        return ops.norm(self, p, dim, keepdim)

    def max(self, dim: int | Tensor | None = None, keepdim: bool = False, *, axis: int | None = None,
            keepdims: bool | None = None) -> Tensor | ValuesIndices:
        """The largest element; with ``dim``, ``(values, indices)``; with a tensor, the elementwise max."""
        return ops.max(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def min(self, dim: int | Tensor | None = None, keepdim: bool = False, *, axis: int | None = None,
            keepdims: bool | None = None) -> Tensor | ValuesIndices:
        """The smallest element; with ``dim``, ``(values, indices)``; with a tensor, the elementwise min."""
        return ops.min(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def amax(self, dim: int | tuple[int, ...] | None = None, keepdim: bool = False, *,
             axis: int | tuple[int, ...] | None = None, keepdims: bool | None = None) -> Tensor:
        return ops.amax(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def amin(self, dim: int | tuple[int, ...] | None = None, keepdim: bool = False, *,
             axis: int | tuple[int, ...] | None = None, keepdims: bool | None = None) -> Tensor:
        return ops.amin(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def argmax(self, dim: int | None = None, keepdim: bool = False, *, axis: int | None = None,
               keepdims: bool | None = None) -> Tensor:
        """Index of the largest entry, int64 (not differentiable: a new tensor without graph)."""
        return ops.argmax(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def argmin(self, dim: int | None = None, keepdim: bool = False, *, axis: int | None = None,
               keepdims: bool | None = None) -> Tensor:
        """Index of the smallest entry, int64 (not differentiable)."""
        return ops.argmin(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def any(self, dim: int | tuple[int, ...] | None = None, keepdim: bool = False, *,
            axis: int | tuple[int, ...] | None = None, keepdims: bool | None = None) -> Tensor:
        return ops.any(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def all(self, dim: int | tuple[int, ...] | None = None, keepdim: bool = False, *,
            axis: int | tuple[int, ...] | None = None, keepdims: bool | None = None) -> Tensor:
        return ops.all(self, dim, keepdim, axis=axis, keepdims=keepdims)

    # -- elementwise ---------------------------------------------------------------------
    def exp(self) -> Tensor:
        return ops.exp(self)

    def log(self) -> Tensor:
        return ops.log(self)

    def sqrt(self) -> Tensor:
        return ops.sqrt(self)

    def abs(self) -> Tensor:
        return ops.abs(self)

    __abs__ = abs

    def relu(self) -> Tensor:
        return ops.relu(self)

    def log1p(self) -> Tensor:
        return ops.log1p(self)

    def square(self) -> Tensor:
        return ops.square(self)

    def sign(self) -> Tensor:
        return ops.sign(self)

    def sin(self) -> Tensor:
        return ops.sin(self)

    def cos(self) -> Tensor:
        return ops.cos(self)

    def conj(self) -> Tensor:
        """The complex conjugate: a real tensor itself (torch.optim's ``grad.conj()``)."""
        return self

    def isnan(self) -> Tensor:
        return ops.isnan(self)

    def isinf(self) -> Tensor:
        return ops.isinf(self)

    def isfinite(self) -> Tensor:
        return ops.isfinite(self)

    def masked_fill(self, mask: Tensor, value: float) -> Tensor:
        return ops.masked_fill(self, mask, value)

    def gather(self, dim: int, index: Tensor) -> Tensor:
        return ops.gather(self, dim, index)

    def index_select(self, dim: int, index: Tensor) -> Tensor:
        return ops.index_select(self, dim, index)

    def topk(self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> ValuesIndices:
        return ops.topk(self, k, dim, largest, sorted)

    def tanh(self) -> Tensor:
        return ops.tanh(self)

    def sigmoid(self) -> Tensor:
        return ops.sigmoid(self)

    def clamp(self, min: float | None = None, max: float | None = None) -> Tensor:
        return ops.clamp(self, min, max)

    clip = clamp    # PyTorch's alias

    def maximum(self, other: Tensor | float) -> Tensor:
        return ops.maximum(self, other)

    def minimum(self, other: Tensor | float) -> Tensor:
        return ops.minimum(self, other)

    def where(self, condition: Tensor, other: Tensor | float) -> Tensor:
        """``x.where(c, y)`` is ``where(c, x, y)``, as in PyTorch."""
        return ops.where(condition, self, other)

    def softmax(self, dim: int | None = None) -> Tensor:
        return ops.softmax(self, dim)

    def log_softmax(self, dim: int | None = None) -> Tensor:
        return ops.log_softmax(self, dim)

    # -- shape ---------------------------------------------------------------------------
    def reshape(self, *shape: int | Sequence[int]) -> Tensor:
        return ops.reshape(self, _sizes(shape))

    view = reshape  # PyTorch's name for a reshape that shares memory, as the course uses it

    def view_as(self, other: Tensor) -> Tensor:
        """This tensor in ``other``'s shape (``target.view_as(pred)``)."""
        return ops.reshape(self, other.shape)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        return ops.flatten(self, start_dim, end_dim)

    def unsqueeze(self, dim: int) -> Tensor:
        return ops.unsqueeze(self, dim)

    def squeeze(self, dim: int | None = None) -> Tensor:
        return ops.squeeze(self, dim)

    def permute(self, *dims: int | Sequence[int]) -> Tensor:
        return ops.permute(self, _sizes(dims))

    def transpose(self, dim0: int = -2, dim1: int = -1) -> Tensor:
        return ops.transpose(self, dim0, dim1)

    def t(self) -> Tensor:
        """The transpose of a matrix (of a tensor of at most 2 axes, as PyTorch)."""
        if self.ndim > 2:
            raise ValueError(f"t(): expects a tensor of at most 2 dimensions, got shape {self.shape}; "
                             f"use transpose(dim0, dim1) or permute")
        return self.T

    @property
    def T(self) -> Tensor:
        return ops.permute(self, tuple(reversed(range(self.ndim))))

    def clone(self) -> Tensor:
        return ops.clone(self)

    def expand(self, *sizes: int | Sequence[int]) -> Tensor:
        return ops.expand(self, _sizes(sizes))

    def expand_as(self, other: Tensor) -> Tensor:
        return ops.expand(self, other.shape)

    def repeat(self, *sizes: int | Sequence[int]) -> Tensor:
        return ops.repeat(self, _sizes(sizes))

    def split(self, split_size: int | Sequence[int], dim: int = 0) -> tuple[Tensor, ...]:
        """Pieces of ``split_size`` along ``dim`` (the last one smaller), or of the sizes in a list:
        slices of self (getitem), so each piece's gradient goes back to its place."""
        d = dim % self.ndim
        n = self.shape[d]
        sizes = list(split_size) if isinstance(split_size, (list, tuple)) else [split_size] * -(-n // split_size)
        if sum(sizes) < n or any(s < 0 for s in sizes) or isinstance(split_size, (list, tuple)) and sum(sizes) != n:
            raise ValueError(f"split: sizes {split_size} do not split dimension {dim} of size {n} (shape {self.shape})")
        starts = [sum(sizes[:i]) for i in range(len(sizes))]
        return tuple(self[(slice(None),) * d + (slice(s, min(s + k, n)),)]
                     for s, k in zip(starts, sizes, strict=True))

    def chunk(self, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
        """``chunks`` pieces along ``dim`` (as PyTorch: each ceil(n / chunks), so maybe fewer pieces)."""
        return self.split(-(-self.shape[dim] // chunks), dim)

    # -- new tensors like this one (same dtype and device; no graph) ----------------------
    def new_zeros(self, *size: int | Sequence[int], dtype: numpy.dtype | str | None = None) -> Tensor:
        return self.new_full(_sizes(size), 0, dtype=dtype)

    def new_ones(self, *size: int | Sequence[int], dtype: numpy.dtype | str | None = None) -> Tensor:
        return self.new_full(_sizes(size), 1, dtype=dtype)

    def new_full(self, size: Sequence[int], fill_value: float, *, dtype: numpy.dtype | str | None = None) -> Tensor:
        xp = backend.get_array_module(self.array)
        size = (size,) if isinstance(size, int) else tuple(size)
        return type(self)._wrap(xp.full(size, fill_value, dtype=self.dtype if dtype is None else dtype))

    def new_tensor(self, data: Array | Sequence | float, *, dtype: numpy.dtype | str | None = None) -> Tensor:
        return type(self)(data, dtype=self.dtype if dtype is None else dtype, device=self.device)

    def contiguous(self, memory_format: str | None = None) -> Tensor:
        """Itself: the values are the same whatever the layout of the array in memory (PyTorch
        returns the tensor itself when it is contiguous)."""
        return self

    # -- PyTorch methods this Tensor lacks: reading one raises an AttributeError that says what
    # to write instead (unsupported.py). Named one by one, not caught by a __getattr__: with a
    # __getattr__ on the class, CPython cannot speed up any attribute read of any tensor
    # (t.array, t.requires_grad, ...): a small training step took 8 % longer (docs/performance.md).
    half = unsupported.Missing()
    type = unsupported.Missing()      # below this line, this class body's "type" is this attribute
    nonzero = unsupported.Missing()
    register_hook = unsupported.Missing()
    dot = unsupported.Missing()
    mv = unsupported.Missing()
    log_ = unsupported.Missing()
    detach_ = unsupported.Missing()
    normal_ = unsupported.Missing()
    uniform_ = unsupported.Missing()


def _scaled(op, like, other, factor):
    """factor * other, with PyTorch's check that the factor (alpha=, value=, weight=) is a number."""
    factor = like._number(op, "alpha" if op in ("add", "sub") else "weight" if op == "lerp" else "value", factor)
    if factor == 1:
        return other
    return ops.mul(other, factor) if isinstance(other, TensorMethods) else factor * other


def _sizes(args):
    """``f(2, 3)`` or ``f((2, 3))`` (or a list): PyTorch takes both spellings."""
    return tuple(args[0]) if len(args) == 1 and isinstance(args[0], (tuple, list)) else args


from . import ops  # noqa: E402  (the ops need Tensor, Tensor's operators need the ops)
