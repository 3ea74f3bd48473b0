"""The Tensor's operators and methods: each one forwards to its op in :mod:`tinygrad_opt.ops`.

``a + b`` is ``ops.add(a, b)``, ``t.sum(dim)`` is ``ops.sum(t, dim)``: the math (forward and
backward side by side) lives in the ops; this class only gives it PyTorch's spelling.
:class:`tinygrad_opt.tensor.Tensor` inherits these methods.
"""


class TensorMethods:
    """Operators and methods of :class:`~tinygrad_opt.tensor.Tensor`, forwarding to the ops."""

    __slots__ = ()

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

    def __matmul__(self, other):
        return ops.matmul(self, other)

    def __rmatmul__(self, other):
        return ops.matmul(other, self)

    # PyTorch's method names for the operators: x.add(y) is x + y, x.mm(W) is x @ W
    add, sub, mul, div, pow, neg = __add__, __sub__, __mul__, __truediv__, __pow__, __neg__
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


def _sizes(args):
    """``f(2, 3)`` or ``f((2, 3))`` (or a list): PyTorch takes both spellings."""
    return tuple(args[0]) if len(args) == 1 and isinstance(args[0], (tuple, list)) else args


from . import ops  # noqa: E402  (the ops need Tensor, Tensor's operators need the ops)
