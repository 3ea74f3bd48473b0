"""The Tensor and reverse-mode automatic differentiation.

A :class:`Tensor` wraps an array (``.array``, NumPy or CuPy) and, when it takes part in a
computation that needs gradients, remembers how it was made: its ``_parents`` (the input
tensors) and a ``_backward`` function that turns the gradient of the final loss with
respect to this tensor, ``g = dL/dout``, into the gradients with respect to each parent
(the chain rule, ``dL/dx = dL/dout * dout/dx``). Every op in :mod:`tinygrad_opt.ops` is a
forward computation followed by its ``backward`` closure, side by side.

``loss.backward()`` then walks that graph from the loss to the leaves:

1. **Topological order.** Sort the graph so that each tensor comes after all tensors
   computed from it. Why not simply recurse into parents as soon as a gradient arrives?
   Take ``b = a + a``: ``a`` is a parent of ``b`` twice. Its gradient is the *sum* of both
   contributions, ``dL/da = dL/db * 1 + dL/db * 1``, and in a longer graph
   (``c = a * 2; d = a + c``) ``a`` gets one contribution directly from ``d`` and one later,
   through ``c``. A node may pass its gradient on only once *all* its contributions are in;
   visiting nodes in reverse topological order guarantees exactly that. The sort is an
   iterative depth-first search, so a chain 10,000 ops deep needs no recursion.
2. **Backward, node by node.** Each node's gradient is handed to its ``_backward``; the
   results are added into the parents' gradients.
3. **Undo broadcasting, in one place.** If ``x`` of shape ``(3, 1)`` was broadcast against
   ``(3, 4)``, the gradient that comes back has shape ``(3, 4)``: every copy of ``x``
   contributed, so the contributions are summed back to ``(3, 1)``. The engine does this
   once for all ops (:func:`unbroadcast`), so no op can forget it.
4. **Leaves accumulate.** Tensors created by the user with ``requires_grad=True`` keep
   ``.grad``, which *adds up* over backward calls (as in PyTorch) until it is zeroed. A leaf
   passes nothing on, so it needs no place in the order: each contribution is added to its
   ``.grad`` the moment it arrives.

Afterwards the graph is freed (the closures hold the inputs' arrays) unless
``retain_graph=True``; a second backward through a freed graph raises an error.
"""
import os
import traceback

import numpy

from . import backend
from .grad_mode import AnomalyError, flags
from .tensor_methods import TensorMethods

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


class Tensor(TensorMethods):
    """An array with an optional gradient and the record of how it was computed.

    ``Tensor(data, requires_grad=False, dtype=None, device=None)``

    * ``data``: a list, a number, or an array. Host data (lists, numbers, NumPy arrays) goes
      to ``device`` or else the default backend; a device array stays where it is. Python
      floats become the default float dtype (float32); an array keeps its float dtype
      (a float64 array stays float64, as in PyTorch).
    * ``requires_grad``: make this a leaf whose ``.grad`` ``backward()`` fills in.

    Copies: a NumPy array on the CPU is used as it is, without a copy (like
    ``torch.as_tensor``: a minibatch costs nothing to wrap), except for a leaf with
    ``requires_grad=True``, which gets its own copy, because an optimizer updates it in
    place and must not change your array. A device array is never copied.
    """

    __slots__ = ("array", "_grad", "requires_grad", "_parents", "_backward", "_op", "_origin", "_version",
                 "__weakref__")
    # ``ndarray + tensor``: NumPy would make an object array of tensors; None makes it hand
    # the operation to Tensor.__radd__ and friends
    __array_ufunc__ = None

    def __init__(self, data, requires_grad=False, dtype=None, device=None):
        if isinstance(data, Tensor):
            raise TypeError("Tensor(data): data is already a Tensor; use t.detach() or t.to(...)")
        self.array = _to_array(data, dtype, device, requires_grad)
        if requires_grad and self.array.dtype.kind != "f":
            raise TypeError(f"Tensor(requires_grad=True) needs a floating dtype, got {self.array.dtype}")
        self._grad = None
        self._version = 0
        self.requires_grad = bool(requires_grad)
        self._parents = ()
        self._backward = None
        self._op = None
        self._origin = None

    # -- .data and .grad: Tensors, as in PyTorch -------------------------------------------
    @property
    def data(self):
        """This tensor's values as a new tensor that shares its storage and is cut from the graph.

        Writing through it (``p.data -= lr * g``) changes ``self`` without the autograd checks:
        PyTorch's escape hatch. ``.array`` is the backend array itself (NumPy or CuPy).
        """
        return Tensor._wrap(self.array)

    @data.setter
    def data(self, value):
        if not isinstance(value, Tensor):
            raise TypeError(f"t.data = ...: expected a Tensor, got {type(value).__name__}; "
                            f"write t.data = Tensor(x)")
        self.array = value.array

    @property
    def grad(self):
        """dL/d(self) after ``backward()``: a Tensor without grad of this tensor's shape, or None."""
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"t.grad = ...: expected a Tensor or None, got {type(value).__name__}; "
                                f"write t.grad = Tensor(g)")
            if value.shape != self.shape or value.dtype != self.dtype or value.device != self.device:
                raise ValueError(f"t.grad = ...: the gradient must match the tensor: got shape "
                                 f"{value.shape}, dtype {value.dtype} on {value.device}, the tensor has "
                                 f"shape {self.shape}, dtype {self.dtype} on {self.device}")
        self._grad = value

    def __array__(self, dtype=None, copy=None):
        """NumPy (and matplotlib) read a tensor as its host array: ``numpy.asarray(t)``."""
        host = self.numpy()
        return host if dtype is None else host.astype(dtype, copy=False)

    # -- properties --------------------------------------------------------------------
    @property
    def shape(self):
        return self.array.shape

    @property
    def dtype(self):
        return self.array.dtype

    @property
    def ndim(self):
        return self.array.ndim

    @property
    def device(self):
        return backend.device_of(self.array)

    @property
    def is_leaf(self):
        return self._backward is None

    @property
    def grad_fn(self):
        """Name of the op that made this tensor (None for a leaf)."""
        return self._op

    def __len__(self):
        return len(self.array)

    def size(self, dim=None):
        return self.shape if dim is None else self.shape[dim]

    def numel(self):
        return self.array.size

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self.array.size != 1:
            raise ValueError(f"item(): only a one-element tensor has a single value, "
                             f"this one has shape {self.shape}")
        return self.array.item()

    def numpy(self):
        """The data as a NumPy array on the host (copied from the GPU when needed)."""
        return backend.to_numpy(self.array)

    def detach(self):
        """A tensor sharing this data, cut from the graph (no gradient flows through it)."""
        return Tensor._wrap(self.array)

    def to(self, device):
        """A copy of this tensor on ``device`` ("cpu" or "gpu"); itself when already there.

        The copy is a new leaf that keeps ``requires_grad``.
        """
        target = backend.for_device(device)
        source = backend.backend_of(self.array)
        if target is source:
            return self
        out = Tensor._wrap(target.from_host(source.to_host(self.array)))
        out.requires_grad = self.requires_grad
        return out

    def __repr__(self):
        text = numpy.array2string(self.numpy(), separator=", ", precision=4, threshold=20,
                                  prefix="Tensor(")
        extra = ""
        if self.device != "cpu":
            extra += f", device={self.device!r}"
        if self.dtype != backend.get_default_dtype():
            extra += f", dtype={self.dtype}"
        if self._op is not None:
            extra += f", grad_fn={self._op}"
        elif self.requires_grad:
            extra += ", requires_grad=True"
        return f"Tensor({text}{extra})"

    @staticmethod
    def _wrap(array):
        """A leaf tensor around an existing backend array (no copy, no checks)."""
        t = Tensor.__new__(Tensor)
        t.array = array
        t._grad = None
        t._version = 0
        t.requires_grad = False
        t._parents = ()
        t._backward = None
        t._op = None
        t._origin = None
        return t

    # -- the backward pass ---------------------------------------------------------------
    def backward(self, gradient=None, retain_graph=False):
        """Compute d(self)/d(leaf) for every leaf with ``requires_grad`` and add it to ``leaf.grad``.

        ``gradient`` is dL/d(self); it may be left out only when ``self`` is a scalar
        (then it is 1). With ``retain_graph=False`` the graph is freed afterwards.
        """
        if not self.requires_grad:
            raise RuntimeError("backward(): this tensor does not require grad and has no graph "
                               "(was it computed under no_grad(), or from tensors without requires_grad?)")
        xp = backend.get_array_module(self.array)
        if gradient is None:
            if self.array.size != 1:
                raise RuntimeError(f"backward(): grad can be implicitly created only for scalar outputs; "
                                   f"this tensor has shape {self.shape}. Reduce it to a scalar "
                                   f"(e.g. .sum() or .mean()) or pass backward(gradient=...)")
            gradient = xp.ones_like(self.array)
        else:
            gradient = gradient.array if isinstance(gradient, Tensor) else xp.asarray(gradient, dtype=self.dtype)
            if gradient.shape != self.shape:
                raise ValueError(f"backward(): gradient has shape {gradient.shape}, "
                                 f"but the tensor has shape {self.shape}")
        if self._backward is None:               # backward() on a leaf itself: dL/dL = 1
            _accumulate(self, gradient, set(), gradient)
            return
        # (tensors are dict keys by identity: Tensor defines no __eq__)
        grads = {self: gradient}                 # dL/d(node) of the op nodes, filled in as we go
        kept = set()                             # ids of the arrays leaves keep as their .grad
        anomaly = flags.anomaly
        for node in reversed(_topological_order(self)):
            g = grads.pop(node, None)
            if g is None:
                continue
            backward = node._backward
            if backward is _freed:
                raise RuntimeError(f"backward(): trying to backward through the graph a second time "
                                   f"(at op '{node._op}'); its saved values were freed by the first "
                                   f"backward. Pass retain_graph=True to the first backward() if you "
                                   f"need to call it twice")
            parent_grads = backward(g)
            if anomaly:
                _check_finite(parent_grads, node, "backward")
            for parent, pg in zip(node._parents, parent_grads):
                if pg is None or not parent.requires_grad:
                    continue
                data = parent.array
                if pg.shape != data.shape:
                    pg = unbroadcast(pg, data.shape)
                if pg.dtype != data.dtype:              # a float32 leaf gets a float32 grad
                    pg = pg.astype(data.dtype)
                if parent._backward is None:            # a leaf passes nothing on: add it up now
                    _accumulate(parent, pg, kept, gradient)
                elif parent in grads:
                    grads[parent] = grads[parent] + pg
                else:
                    grads[parent] = pg
            if not retain_graph:                # drop the closures and the arrays they hold
                node._parents = ()
                node._backward = _freed

    def _bump_version(self):
        """Record an in-place change of ``self.array`` (an optimizer's step, ``add_``, ``+=``)."""
        self._version += 1

    # -- in-place operations: for users' code (the engine and optimizers work on arrays) ----
    def _inplace(self, op, other=None):
        """Check that ``op`` may change ``self`` in place; ``other`` as an array of self's kind."""
        if flags.grad_enabled and self.requires_grad:
            if self._backward is None:
                raise RuntimeError(f"{op}: a leaf tensor that requires grad cannot be changed in place while "
                                   f"gradients are recorded; update parameters inside 'with no_grad():' "
                                   f"(e.g. p -= lr * p.grad), or write through p.data")
            raise RuntimeError(f"{op}: in-place operations on tensors computed with grad are not supported; "
                               f"write the out-of-place form instead (y = y + x, not y += x)")
        if other is None:
            return None
        if isinstance(other, Tensor):
            other = other.array
        xp = backend.get_array_module(self.array)
        other = xp.asarray(other)
        try:
            shape = xp.broadcast_shapes(self.shape, other.shape)
        except ValueError:
            shape = None
        if shape != self.shape:
            raise RuntimeError(f"{op}: a tensor of shape {tuple(other.shape)} cannot be applied in place to "
                               f"one of shape {self.shape} (it must broadcast to {self.shape})")
        if other.dtype.kind == "f" and self.dtype.kind != "f":
            raise RuntimeError(f"{op}: result type {other.dtype} can't be cast to the tensor's dtype "
                               f"{self.dtype}; convert first, e.g. t = t.float()")
        return other

    def add_(self, other, alpha=1):
        """self <- self + alpha * other, in place."""
        other = self._inplace("add_", other)
        self.array += other if alpha == 1 else alpha * other
        self._bump_version()
        return self

    def sub_(self, other, alpha=1):
        """self <- self - alpha * other, in place."""
        other = self._inplace("sub_", other)
        self.array -= other if alpha == 1 else alpha * other
        self._bump_version()
        return self

    def mul_(self, other):
        """self <- self * other, in place."""
        self.array *= self._inplace("mul_", other)
        self._bump_version()
        return self

    def div_(self, other):
        """self <- self / other, in place."""
        self.array /= self._inplace("div_", other)
        self._bump_version()
        return self

    def copy_(self, src):
        """self <- src (broadcast to self's shape, cast to self's dtype), in place."""
        self.array[...] = self._inplace("copy_", src)
        self._bump_version()
        return self

    def fill_(self, value):
        """Every element <- value, in place."""
        self._inplace("fill_")
        self.array.fill(value)
        self._bump_version()
        return self

    def zero_(self):
        """Every element <- 0, in place."""
        return self.fill_(0)

    def __iadd__(self, other):
        return self.add_(other)

    def __isub__(self, other):
        return self.sub_(other)

    def __imul__(self, other):
        return self.mul_(other)

    def __itruediv__(self, other):
        return self.div_(other)


def _to_array(data, dtype, device, requires_grad):
    """Turn ``Tensor(...)``'s argument into an array of the right backend and dtype."""
    try:
        source = backend.backend_of(data)
    except TypeError:
        source = None
    if source is not None and source is not backend.NUMPY and device is None:
        array = data                                   # a device array stays where it is
        return array if dtype is None else array.astype(dtype, copy=False)
    target = backend.current() if device is None else backend.for_device(device)
    if source is None:                                 # Python numbers and lists
        expected = "expected numbers, nested lists of equal lengths, or an array"
        try:
            host = numpy.asarray(data)
        except ValueError:                             # NumPy: "inhomogeneous shape after 1 dimensions"
            raise ValueError(f"Tensor(): {expected}; got ragged rows ({_ragged(data)}), which do not form "
                             f"a rectangular array") from None
        if dtype is None and host.dtype.kind == "f":
            dtype = backend.get_default_dtype()
        if host.dtype.kind not in "biuf":
            got = {"U": "strings", "S": "bytes", "c": "complex numbers"}.get(host.dtype.kind, "other objects")
            sample = f"e.g. {host.item(0)!r}, " if host.size else ""
            raise TypeError(f"Tensor(): cannot make a tensor from {type(data).__name__}: {expected}; "
                            f"got {got} ({sample}numpy dtype {host.dtype})")
    else:
        host = source.to_host(data)
    if dtype is not None:
        host = host.astype(dtype, copy=False)
    if requires_grad and host is data and target is backend.NUMPY:
        host = host.copy()   # else an optimizer's in-place update of this leaf changes the caller's array
    return target.from_host(host)


def _ragged(data):
    """Where a nested list stops being rectangular, e.g. 'rows of lengths 2, 1'."""
    try:
        lengths = [len(row) for row in data]
    except TypeError:                                  # numbers mixed with lists
        return "numbers mixed with lists"
    if len(set(lengths)) > 1:
        return "rows of lengths " + ", ".join(map(str, dict.fromkeys(lengths)))    # first-seen order
    return "deeper rows of different lengths"


def _topological_order(root):
    """The op nodes of the graph below ``root`` (those needing grad), each after its parents.

    Iterative depth-first search: a node is appended once all of its parents have been,
    so reversing the list gives an order in which every node's gradient is complete
    before it is passed on. Leaves are left out: they pass no gradient on, so ``backward``
    adds up their contributions as they arrive.
    """
    order, visited = [], set()
    stack = [(root, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)
        elif node not in visited:
            visited.add(node)
            stack.append((node, True))
            for parent in node._parents:
                if parent.requires_grad and parent._backward is not None and parent not in visited:
                    stack.append((parent, False))
    return order


def _accumulate(leaf, g, kept, gradient):
    """Add ``g`` into ``leaf.grad``: gradients add up until zeroed, as in PyTorch.

    The first contribution is kept without a copy when it is a fresh array nobody else
    holds. A view (reshape, sum's broadcast), the caller's ``gradient``, or an array that
    another leaf already keeps (``add`` hands ``g`` to both inputs) is copied, so that
    updating one ``.grad`` in place never changes another array. ``kept``: the ids of
    the arrays that leaves keep in this backward pass.
    """
    if leaf._grad is not None:
        leaf._grad.array = leaf._grad.array + g
    elif g.base is None and g is not gradient and id(g) not in kept:
        leaf._grad = Tensor._wrap(g)
        kept.add(id(g))
    else:
        leaf._grad = Tensor._wrap(g.copy())


def unbroadcast(grad, shape):
    """Sum ``grad`` back to ``shape``, undoing NumPy broadcasting.

    Broadcasting first prepends size-1 axes until the ranks match, then stretches size-1
    axes. Each stretched copy received a gradient, so the input's gradient is the sum over
    the copies: sum away the prepended leading axes, then sum (keeping the axis) every axis
    where ``shape`` has 1 and ``grad`` does not.
    """
    lead = grad.ndim - len(shape)
    if lead and not shape:  # down to a scalar; NumPy gives numpy.float64, a gradient stays an array
        return backend.get_array_module(grad).asarray(grad.sum())
    if lead:
        grad = grad.sum(axis=tuple(range(lead)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad


def _freed(g):
    """Stands in for the backward of a node whose graph was freed (``backward`` checks for it)."""
    raise RuntimeError("backward(): this node's graph was freed by an earlier backward()")


def make_result(data, parents, backward, op):
    """Wrap an op's output array; record the graph edge when a parent needs grad.

    ``parents``: the input tensors. ``backward(g)``: dL/dout -> one gradient per parent
    (None for a parent that needs none; shapes may still be broadcast, the engine sums
    them back). ``op``: the op's name, for errors and ``grad_fn``.
    """
    if data.ndim == 0:    # NumPy turns 0-d results into scalars (numpy.float32); keep an array
        data = backend.get_array_module(data).asarray(data)
    out = Tensor._wrap(data)
    if flags.grad_enabled:
        for p in parents:
            if p.requires_grad:
                out.requires_grad = True
                out._parents = parents
                out._backward = backward
                out._op = op
                break
    if flags.anomaly:
        out._op = op
        out._origin = _user_line()
        _check_finite((data,), out, "forward")
    return out


def as_tensor(value, like):
    """``value`` as a tensor; a Python number takes the dtype of ``like`` when that is a float,
    or when both are integers (``labels + 1`` stays int64); else the default float dtype
    (``Tensor([1, 2]) * 2.5`` is float32: the arithmetic ops then convert the integer tensor)."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        xp = backend.get_array_module(like.array)
        kind = like.array.dtype.kind
        keep = kind == "f" or (kind in "iu" and isinstance(value, int))
        dtype = like.array.dtype if keep else backend.get_default_dtype()
        return Tensor._wrap(xp.asarray(value, dtype=dtype))
    return Tensor(value)


def same_device(op, a, b):
    """Raise a clear error if ``a`` or ``b`` is not a Tensor, or they live on different devices."""
    if not (isinstance(a, Tensor) and isinstance(b, Tensor)):
        t = b if isinstance(a, Tensor) else a
        raise TypeError(f"{op}: expected tensors, got a {type(t).__module__}.{type(t).__name__}; "
                        f"wrap it first, e.g. Tensor(y)")
    if type(a.array) is type(b.array):
        return
    da, db = backend.device_of(a.array), backend.device_of(b.array)
    if da != db:
        raise RuntimeError(f"{op}: expected both tensors on the same device, got {da} and {db} "
                           f"(move one with .to('{da}') or .to('{db}'))")


def same_dtype(op, a, b):
    """Raise a clear error if two float tensors of a matrix product differ in dtype.

    (PyTorch refuses this too: float64 data through float32 weights would silently run
    the whole network in float64.)
    """
    if a.array.dtype != b.array.dtype:
        raise TypeError(f"{op}: both operands must have the same dtype, got {a.array.dtype} and "
                        f"{b.array.dtype}; convert the input, e.g. Tensor(x, dtype='{b.array.dtype}')")


def _user_line():
    """'file:line in function' of the innermost frame outside this package."""
    for frame in reversed(traceback.extract_stack()[:-2]):
        # the separator matters: a user's folder "tinygrad_opt_notebooks" starts with the same letters
        if not os.path.abspath(frame.filename).startswith(_PACKAGE_DIR + os.sep):
            return f"{frame.filename}:{frame.lineno} in {frame.name}: {frame.line}"
    return "<unknown>"


def _check_finite(arrays, node, phase):
    for a in arrays:
        if a is None:
            continue
        xp = backend.get_array_module(a)
        if not bool(xp.isfinite(a).all()):
            what = "nan" if bool(xp.isnan(a).any()) else "inf"
            if node._origin is not None:
                where = f"the op was created at {node._origin}"
            else:   # the graph was built outside detect_anomaly(): only backward() is known
                where = (f"backward() was called at {_user_line()}; run the forward pass inside "
                         f"detect_anomaly() to see the line that created the op")
            raise AnomalyError(f"detect_anomaly: op '{node._op}' produced {what} in its {phase} pass; {where}")

