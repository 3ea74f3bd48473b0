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

    def __getitem__(self, index):
        return ops.getitem(self, index)

    def sum(self, axis=None, keepdims=False):
        return ops.sum(self, axis, keepdims)

    def mean(self, axis=None, keepdims=False):
        return ops.mean(self, axis, keepdims)

    def max(self, axis=None, keepdims=False):
        return ops.max(self, axis, keepdims)

    def prod(self, axis=None, keepdims=False):
        return ops.prod(self, axis, keepdims)

    def exp(self):
        return ops.exp(self)

    def log(self):
        return ops.log(self)

    def relu(self):
        return ops.relu(self)

    def tanh(self):
        return ops.tanh(self)

    def sigmoid(self):
        return ops.sigmoid(self)

    def log_softmax(self, dim=-1):
        return ops.log_softmax(self, dim)

    def reshape(self, *shape):
        return ops.reshape(self, shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape)

    view = reshape  # PyTorch's name for a reshape that shares memory, as the course uses it

    def transpose(self, dim0=-2, dim1=-1):
        return ops.transpose(self, dim0, dim1)

    @property
    def T(self):
        return ops.permute(self, tuple(reversed(range(self.ndim))))

    def argmax(self, axis=None):
        """Index of the largest entry (not differentiable: a new tensor without graph)."""
        return type(self)._wrap(self.array.argmax(axis=axis))


from . import ops  # noqa: E402  (the ops need Tensor, Tensor's operators need the ops)
