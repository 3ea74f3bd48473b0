"""The Tensor's operators and methods: each one forwards to its op in :mod:`tinygrad_opt.ops`.

``a + b`` is ``ops.add(a, b)``, ``t.sum(dim)`` is ``ops.sum(t, dim)``: the math (forward and
backward side by side) lives in the ops; this class only gives it PyTorch's spelling.
:class:`tinygrad_opt.tensor.Tensor` inherits these methods.
"""


from . import backend, unsupported


class TensorMethods:
    """Operators and methods of :class:`~tinygrad_opt.tensor.Tensor`, forwarding to the ops."""

    __slots__ = ()

    def __getattr__(self, name):
        """Only after a failed lookup: a PyTorch method this Tensor lacks says what to write instead."""
        raise unsupported.missing("Tensor", name)

    def __add__(self, other):
        return ops.add(self, other)

    def __radd__(self, other):
        return ops.add(other, self)

    def __sub__(self, other):
        return ops.sub(self, other)

    def __rsub__(self, other):
        return ops.sub(other, self)

    def __mul__(self, other):
        return ops.mul(self, other)

    def __rmul__(self, other):
        return ops.mul(other, self)

    def __truediv__(self, other):
        return ops.div(self, other)

    def __rtruediv__(self, other):
        return ops.div(other, self)

    def __neg__(self):
        return ops.neg(self)

    def __pow__(self, exponent):
        return ops.pow(self, exponent)

    def __rpow__(self, base):
        return ops.rpow(base, self)

    def __matmul__(self, other):
        return ops.matmul(self, other)

    def __rmatmul__(self, other):
        return ops.matmul(other, self)

    # PyTorch's method names for the operators: x.mul(y) is x * y, x.mm(W) is x @ W
    mul, div, pow, neg = __mul__, __truediv__, __pow__, __neg__

    def add(self, other, *, alpha=1):
        """self + alpha * other (``grad.add(p, alpha=weight_decay)``)."""
        return ops.add(self, _scaled("add", self, other, alpha))

    def sub(self, other, *, alpha=1):
        """self - alpha * other."""
        return ops.sub(self, _scaled("sub", self, other, alpha))

    def addcmul(self, tensor1, tensor2, *, value=1):
        """self + value * tensor1 * tensor2 (RMSprop's centered v - a^2 is ``v.addcmul(a, a, value=-1)``)."""
        return ops.add(self, _scaled("addcmul", self, ops.mul(tensor1, tensor2), value))

    def addcdiv(self, tensor1, tensor2, *, value=1):
        """self + value * tensor1 / tensor2."""
        return ops.add(self, _scaled("addcdiv", self, ops.div(tensor1, tensor2), value))

    def lerp(self, end, weight):
        """self + weight * (end - self): the linear interpolation from self (weight 0) to end (weight 1)."""
        return ops.add(self, _scaled("lerp", self, ops.sub(end, self), weight))
    matmul = mm = __matmul__

    # -- comparisons: elementwise bool tensors, as in PyTorch (Tensor keeps hashing by identity)
    def __eq__(self, other):
        return ops.eq(self, other)

    def __ne__(self, other):
        return ops.ne(self, other)

    def __lt__(self, other):
        return ops.lt(self, other)

    def __le__(self, other):
        return ops.le(self, other)

    def __gt__(self, other):
        return ops.gt(self, other)

    def __ge__(self, other):
        return ops.ge(self, other)

    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__    # x.eq(y) is x == y

    def __getitem__(self, index):
        return ops.getitem(self, index)

    # -- reductions: PyTorch's dim= and keepdim= (NumPy's axis= and keepdims= work too) ------
    def sum(self, dim=None, keepdim=False, *, axis=None, keepdims=None, dtype=None):
        return ops.sum(self, dim, keepdim, axis=axis, keepdims=keepdims, dtype=dtype)

    def mean(self, dim=None, keepdim=False, *, axis=None, keepdims=None, dtype=None):
        return ops.mean(self, dim, keepdim, axis=axis, keepdims=keepdims, dtype=dtype)

    def prod(self, dim=None, keepdim=False, *, axis=None, keepdims=None, dtype=None):
        return ops.prod(self, dim, keepdim, axis=axis, keepdims=keepdims, dtype=dtype)

    def var(self, dim=None, unbiased=True, keepdim=False, *, correction=None, axis=None, keepdims=None):
        return ops.var(self, dim, unbiased, keepdim, correction=correction, axis=axis, keepdims=keepdims)

    def std(self, dim=None, unbiased=True, keepdim=False, *, correction=None, axis=None, keepdims=None):
        return ops.std(self, dim, unbiased, keepdim, correction=correction, axis=axis, keepdims=keepdims)

    def norm(self, p="fro", dim=None, keepdim=False):
        return ops.norm(self, p, dim, keepdim)

    def max(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """The largest element; with ``dim``, ``(values, indices)``; with a tensor, the elementwise max."""
        return ops.max(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def min(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """The smallest element; with ``dim``, ``(values, indices)``; with a tensor, the elementwise min."""
        return ops.min(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def amax(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        return ops.amax(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def amin(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        return ops.amin(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def argmax(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """Index of the largest entry, int64 (not differentiable: a new tensor without graph)."""
        return ops.argmax(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def argmin(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """Index of the smallest entry, int64 (not differentiable)."""
        return ops.argmin(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def any(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        return ops.any(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def all(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        return ops.all(self, dim, keepdim, axis=axis, keepdims=keepdims)

    # -- elementwise ---------------------------------------------------------------------
    def exp(self):
        return ops.exp(self)

    def log(self):
        return ops.log(self)

    def sqrt(self):
        return ops.sqrt(self)

    def abs(self):
        return ops.abs(self)

    __abs__ = abs

    def relu(self):
        return ops.relu(self)

    def log1p(self):
        return ops.log1p(self)

    def square(self):
        return ops.square(self)

    def sign(self):
        return ops.sign(self)

    def sin(self):
        return ops.sin(self)

    def cos(self):
        return ops.cos(self)

    def conj(self):
        """The complex conjugate: a real tensor itself (torch.optim's ``grad.conj()``)."""
        return self

    def isnan(self):
        return ops.isnan(self)

    def isinf(self):
        return ops.isinf(self)

    def isfinite(self):
        return ops.isfinite(self)

    def masked_fill(self, mask, value):
        return ops.masked_fill(self, mask, value)

    def gather(self, dim, index):
        return ops.gather(self, dim, index)

    def index_select(self, dim, index):
        return ops.index_select(self, dim, index)

    def topk(self, k, dim=-1, largest=True, sorted=True):
        return ops.topk(self, k, dim, largest, sorted)

    def tanh(self):
        return ops.tanh(self)

    def sigmoid(self):
        return ops.sigmoid(self)

    def clamp(self, min=None, max=None):
        return ops.clamp(self, min, max)

    clip = clamp    # PyTorch's alias

    def maximum(self, other):
        return ops.maximum(self, other)

    def minimum(self, other):
        return ops.minimum(self, other)

    def where(self, condition, other):
        """``x.where(c, y)`` is ``where(c, x, y)``, as in PyTorch."""
        return ops.where(condition, self, other)

    def softmax(self, dim=None):
        return ops.softmax(self, dim)

    def log_softmax(self, dim=None):
        return ops.log_softmax(self, dim)

    # -- shape ---------------------------------------------------------------------------
    def reshape(self, *shape):
        return ops.reshape(self, _sizes(shape))

    view = reshape  # PyTorch's name for a reshape that shares memory, as the course uses it

    def view_as(self, other):
        """This tensor in ``other``'s shape (``target.view_as(pred)``)."""
        return ops.reshape(self, other.shape)

    def flatten(self, start_dim=0, end_dim=-1):
        return ops.flatten(self, start_dim, end_dim)

    def unsqueeze(self, dim):
        return ops.unsqueeze(self, dim)

    def squeeze(self, dim=None):
        return ops.squeeze(self, dim)

    def permute(self, *dims):
        return ops.permute(self, _sizes(dims))

    def transpose(self, dim0=-2, dim1=-1):
        return ops.transpose(self, dim0, dim1)

    def t(self):
        """The transpose of a matrix (of a tensor of at most 2 axes, as PyTorch)."""
        if self.ndim > 2:
            raise ValueError(f"t(): expects a tensor of at most 2 dimensions, got shape {self.shape}; "
                             f"use transpose(dim0, dim1) or permute")
        return self.T

    @property
    def T(self):
        return ops.permute(self, tuple(reversed(range(self.ndim))))

    def clone(self):
        return ops.clone(self)

    def expand(self, *sizes):
        return ops.expand(self, _sizes(sizes))

    def expand_as(self, other):
        return ops.expand(self, other.shape)

    def repeat(self, *sizes):
        return ops.repeat(self, _sizes(sizes))

    def split(self, split_size, dim=0):
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

    def chunk(self, chunks, dim=0):
        """``chunks`` pieces along ``dim`` (as PyTorch: each ceil(n / chunks), so maybe fewer pieces)."""
        return self.split(-(-self.shape[dim] // chunks), dim)

    # -- new tensors like this one (same dtype and device; no graph) ----------------------
    def new_zeros(self, *size, dtype=None):
        return self.new_full(_sizes(size), 0, dtype=dtype)

    def new_ones(self, *size, dtype=None):
        return self.new_full(_sizes(size), 1, dtype=dtype)

    def new_full(self, size, fill_value, *, dtype=None):
        xp = backend.get_array_module(self.array)
        size = (size,) if isinstance(size, int) else tuple(size)
        return type(self)._wrap(xp.full(size, fill_value, dtype=self.dtype if dtype is None else dtype))

    def new_tensor(self, data, *, dtype=None):
        return type(self)(data, dtype=self.dtype if dtype is None else dtype, device=self.device)


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
