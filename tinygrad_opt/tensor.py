"""The Tensor and reverse-mode automatic differentiation.

A :class:`Tensor` wraps an array (``.array``, NumPy or CuPy) and, when it takes part in a
computation that needs gradients, remembers how it was made: its ``_parents`` (the input
tensors) and a ``_backward`` function that turns the gradient of the final loss with
respect to this tensor, ``g = dL/dout``, into the gradients with respect to each parent
(the chain rule, ``dL/dx = dL/dout * dout/dx``). Every op in :mod:`tinygrad_opt.ops` is a
forward computation followed by its ``backward`` closure, side by side.

``loss.backward()`` then walks that graph from the loss to the leaves:

1. **Seed.** dL/dL = 1 for a scalar loss (else the ``gradient`` you pass).
2. **Topological order.** Sort the graph so that each tensor comes after all tensors
   computed from it. Why not simply recurse into parents as soon as a gradient arrives?
   Take ``b = a + a``: ``a`` is a parent of ``b`` twice. Its gradient is the *sum* of both
   contributions, ``dL/da = dL/db * 1 + dL/db * 1``, and in a longer graph
   (``c = a * 2; d = a + c``) ``a`` gets one contribution directly from ``d`` and one later,
   through ``c``. A node may pass its gradient on only once *all* its contributions are in;
   visiting nodes in reverse topological order guarantees exactly that. Such an order
   comes for free: an op's inputs exist before the op runs, so numbering the op results as
   they are made (PyTorch's "sequence number") puts every node after its parents. Collect
   the graph's nodes, sort them by that number: a chain 10,000 ops deep needs no recursion.
3. **Each node's backward.** Each node's gradient is handed to its ``_backward``, which
   returns one gradient per parent.
4. **Undo broadcasting, in one place.** If ``x`` of shape ``(3, 1)`` was broadcast against
   ``(3, 4)``, the gradient that comes back has shape ``(3, 4)``: every copy of ``x``
   contributed, so the contributions are summed back to ``(3, 1)``. The engine does this
   once for all ops (:func:`unbroadcast`), so no op can forget it. A gradient of any other
   shape is a bug in that op's backward: an error naming the op and both shapes.
5. **Accumulate.** The parents' gradients are added up. Tensors created by the user with
   ``requires_grad=True`` keep ``.grad``, which *adds up* over backward calls (as in
   PyTorch) until it is zeroed. A leaf passes nothing on, so it needs no place in the
   order: each contribution is added to its ``.grad`` the moment it arrives.
6. **Free.** The graph is freed (the closures hold the inputs' arrays) unless
   ``retain_graph=True``; a second backward through a freed graph names the op and says so.

**Versions.** A backward reads the values its op saw in the forward pass. Every tensor
counts its in-place changes (``t._version``: ``add_``, ``+=``, ``t[i] = v``, an optimizer's
step, which calls ``p._bump_version()``); an op records the versions of its inputs and
output, and its backward first checks them: a tensor changed in between makes
``backward()`` raise, naming the op and the tensor, instead of using the new values. The
check is conservative (it covers every input, including those whose values a backward
happens not to need). ``detach()`` shares the count with its source, as in PyTorch;
``.data`` and ``.array`` are the untracked escape hatch.
"""
from __future__ import annotations

import itertools
import operator
from typing import Callable, Sequence

import numpy

from . import anomaly, backend
from .backend import Array
from .conversion import Conversions, to_array
from .grad_mode import flags
from .inplace import InPlace
from .tensor_methods import TensorMethods


class Tensor(TensorMethods, InPlace, Conversions):
    """An array with an optional gradient and the record of how it was computed.

    ``Tensor(data, requires_grad=False, dtype=None, device=None)``, the options by keyword
    (PyTorch's ``torch.Tensor(2, 3)``, an uninitialised tensor of that size, is ``zeros(2, 3)`` here)

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

    __slots__ = ("array", "_grad", "requires_grad", "_parents", "_backward", "_op", "_origin",
                 "_version_counter", "_saved_versions", "_retains_grad", "_sequence_number", "__weakref__")
    # ``ndarray + tensor``: NumPy would make an object array of tensors; None makes it hand
    # the operation to Tensor.__radd__ and friends
    __array_ufunc__ = None

    def __init__(self, data: Array | Sequence | float, *size: int, requires_grad: bool = False,
                 dtype: numpy.dtype | str | None = None, device: str | None = None) -> None:
        if size:
            sizes = ", ".join(map(repr, (data, *size)))
            raise TypeError(f"Tensor({sizes}): Tensor(data) wraps data, and its options are keywords "
                            f"(Tensor(data, requires_grad=True)); for a tensor of that size write "
                            f"torch.zeros({sizes}) or torch.randn({sizes})")
        if isinstance(data, Tensor):
            raise TypeError("Tensor(data): data is already a Tensor; use t.detach() or t.to(...)")
        self.array = to_array(data, dtype, device, requires_grad)
        if requires_grad and self.array.dtype.kind != "f":
            raise TypeError(f"Tensor(requires_grad=True) needs a floating dtype, got {self.array.dtype}")
        self._grad = None
        self._version_counter = [0]    # a list, so that detach() can share it: see _bump_version
        self._saved_versions = ()
        self.requires_grad = bool(requires_grad)
        self._parents = ()
        self._backward = None
        self._op = None
        self._origin = None
        self._retains_grad = False
        self._sequence_number = None

    # -- .data and .grad: Tensors, as in PyTorch -------------------------------------------
    @property
    def data(self) -> Tensor:
        """This tensor's values as a new tensor that shares its storage and is cut from the graph.

        Writing through it (``p.data -= lr * g``) changes ``self`` without the autograd checks
        and without a new version: PyTorch's escape hatch. ``.array`` is the backend array itself (NumPy or CuPy).
        """
        return Tensor._wrap(self.array)

    @data.setter
    def data(self, value: Tensor) -> None:
        if not isinstance(value, Tensor):
            raise TypeError(f"t.data = ...: expected a Tensor, got {type(value).__name__}; "
                            f"write t.data = Tensor(x)")
        self.array = value.array

    @property
    def grad(self) -> Tensor | None:
        """dL/d(self) after ``backward()``: a Tensor without grad of this tensor's shape, or None."""
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"t.grad = ...: expected a Tensor or None, got {type(value).__name__}; "
                                f"write t.grad = Tensor(g)")
            if value.shape != self.shape or value.dtype != self.dtype or value.device != self.device:
                raise ValueError(f"t.grad = ...: the gradient must match the tensor: got shape "
                                 f"{value.shape}, dtype {value.dtype} on {value.device}, the tensor has "
                                 f"shape {self.shape}, dtype {self.dtype} on {self.device}")
        self._grad = value

    # -- properties --------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self.array.shape

    @property
    def dtype(self) -> numpy.dtype:
        return self.array.dtype

    @property
    def ndim(self) -> int:
        return self.array.ndim

    @property
    def device(self) -> str:
        return backend.device_of(self.array)

    @property
    def is_leaf(self) -> bool:
        return self._backward is None

    @property
    def grad_fn(self) -> str | None:
        """Name of the op that made this tensor (None for a leaf)."""
        return self._op

    def __len__(self) -> int:
        return len(self.array)

    def size(self, dim: int | None = None) -> tuple[int, ...] | int:
        return self.shape if dim is None else self.shape[dim]

    def numel(self) -> int:
        return self.array.size

    def dim(self) -> int:
        return self.array.ndim

    def detach(self) -> Tensor:
        """A tensor sharing this data and its version count, cut from the graph.

        As in PyTorch, an in-place change through the detached tensor (``x.detach().zero_()``)
        is an in-place change of ``x``: a graph that saved ``x`` refuses to backward. (``.data``
        is the untracked escape hatch: it gets a count of its own.)
        """
        out = Tensor._wrap(self.array)
        out._version_counter = self._version_counter
        return out

    def to(self, device: str | numpy.dtype) -> Tensor:
        """A copy of this tensor on ``device`` ("cpu" or "gpu"; PyTorch's "cuda" names the GPU),
        or in dtype ``device`` (``t.to(torch.float64)``, as PyTorch); itself when nothing changes.

        A copy to another device is a new leaf that keeps ``requires_grad``; a dtype change is
        the differentiable cast of ``t.float()`` and ``t.double()``.
        """
        if isinstance(device, (numpy.dtype, type)):           # torch.float64 is numpy.dtype("float64")
            return arithmetic.cast(self, numpy.dtype(device))
        target = backend.for_device(device)
        source = backend.backend_of(self.array)
        if target is source:
            return self
        out = Tensor._wrap(target.from_host(source.to_host(self.array)))
        out.requires_grad = self.requires_grad
        return out

    def cpu(self) -> Tensor:
        """This tensor on the CPU (a copy, or itself when already there)."""
        return self.to("cpu")

    def cuda(self) -> Tensor:
        """This tensor on the GPU (CuPy); an error saying what is missing when there is none."""
        return self.to("gpu")

    def __repr__(self) -> str:
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
        t._version_counter = [0]
        t._saved_versions = ()
        t.requires_grad = False
        t._parents = ()
        t._backward = None
        t._op = None
        t._origin = None
        t._retains_grad = False
        t._sequence_number = None
        return t

    # -- the backward pass ---------------------------------------------------------------
    def backward(self, gradient: Tensor | Array | float | None = None, retain_graph: bool = False) -> None:
        """Compute d(self)/d(leaf) for every leaf with ``requires_grad`` and add it to ``leaf.grad``.

        ``gradient`` is dL/d(self); it may be left out only when ``self`` is a scalar
        (then it is 1). With ``retain_graph=False`` the graph is freed afterwards.
        The steps are those of the module docstring: seed, order, each node's backward,
        undo broadcasting, accumulate, free.
        """
        gradient = _seed(self, gradient)
        if self._backward is None:               # backward() on a leaf itself: dL/dL = 1
            _accumulate(self, gradient, set(), gradient)
            return
        grads = {self: gradient}                 # dL/d(node) of the op nodes, filled in as we go
        kept = set()                             # ids of the arrays leaves keep as their .grad
        for node in reversed(_topological_order(self)):
            g = grads.pop(node, None)
            if g is None:
                continue
            if node._retains_grad:                  # retain_grad(): keep dL/d(node) as node.grad too
                _accumulate(node, g, kept, gradient)
            for parent, pg in zip(node._parents, _node_backward(node, g), strict=True):
                if pg is None or not parent.requires_grad:
                    continue
                data = parent.array
                if pg.shape != data.shape:
                    pg = unbroadcast(pg, data.shape, node, parent)
                if pg.dtype != data.dtype:              # a float32 leaf gets a float32 grad
                    pg = pg.astype(data.dtype)
                if parent._backward is None:            # a leaf passes nothing on: add it up now
                    _accumulate(parent, pg, kept, gradient)
                else:
                    grads[parent] = grads[parent] + pg if parent in grads else pg
            if not retain_graph:                # drop the closures and the arrays they hold
                _free(node)

    def retain_grad(self) -> None:
        """Keep dL/d(self) in ``self.grad`` at the next ``backward()`` although ``self`` is not a
        leaf (an op's result), to look at a hidden layer's gradient. A leaf keeps it anyway."""
        if not self.requires_grad:
            raise RuntimeError("retain_grad(): this tensor does not require grad, so it gets no gradient; "
                               "make the leaves it comes from requires_grad=True")
        self._retains_grad = self._backward is not None

    @property
    def retains_grad(self) -> bool:
        """True after ``retain_grad()`` on a non-leaf (PyTorch's ``t.retains_grad``)."""
        return self._retains_grad

    # -- versions: in-place changes after an op saved a tensor ---------------------------
    @property
    def _version(self):
        """How many times this tensor's array was changed in place (PyTorch's ``t._version``)."""
        return self._version_counter[0]

    def _bump_version(self):
        """Record an in-place change of ``self.array`` (an optimizer's step, ``add_``, ``+=``).

        Code that updates ``p.array`` in place itself (an optimizer) calls this after the
        update, so that a graph that saved ``p`` refuses to backward with its new values.
        """
        self._version_counter[0] += 1

    # ``==`` is elementwise (TensorMethods.__eq__), so a tensor is a dict key, a set member, an
    # Optimizer.state key and ``x in list`` only by identity (PyTorch's rule too). Never search a
    # list of tensors with ``in`` or ``.index()``: those call ``==``. Compare with ``is`` instead.
    __hash__ = object.__hash__


def _seed(root, gradient):
    """dL/d(root) as an array: ``gradient``, or 1 for a scalar root, after checking both."""
    if not root.requires_grad:
        raise RuntimeError("backward(): this tensor does not require grad and has no graph "
                           "(was it computed under no_grad(), or from tensors without requires_grad?)")
    xp = backend.get_array_module(root.array)
    if gradient is None:
        if root.array.size != 1:
            raise RuntimeError(f"backward(): grad can be implicitly created only for scalar outputs; "
                               f"this tensor has shape {root.shape}. Reduce it to a scalar "
                               f"(e.g. .sum() or .mean()) or pass backward(gradient=...)")
        if root.array.ndim == 0:     # a third of ones_like's cost, which nearly every backward pays
            return xp.asarray(1, dtype=root.array.dtype)
        return xp.ones_like(root.array)
    gradient = gradient.array if isinstance(gradient, Tensor) else xp.asarray(gradient, dtype=root.dtype)
    if gradient.shape != root.shape:
        raise ValueError(f"backward(): gradient has shape {gradient.shape}, "
                         f"but the tensor has shape {root.shape}")
    return gradient


def _topological_order(root):
    """The op nodes of the graph below ``root`` (those needing grad), each after its parents.

    The nodes are collected with a stack (no recursion), then sorted by the number
    ``make_result`` gave each when it was made: a node is made after its parents, so it
    comes after them. Reversing the list gives an order in which every node's gradient is
    complete before it is passed on. Leaves are left out: they pass no gradient on, so
    ``backward`` adds up their contributions as they arrive.
    """
    nodes, stack = {root}, [root]
    while stack:
        for parent in stack.pop()._parents:
            if parent._backward is not None and parent.requires_grad and parent not in nodes:
                nodes.add(parent)
                stack.append(parent)
    return sorted(nodes, key=_made_at)


_made_at = operator.attrgetter("_sequence_number")
_op_results = itertools.count()       # numbers the op results as they are made (make_result)


def _node_backward(node, g):
    """One node's backward: dL/dout -> a gradient (or None) per parent.

    First the tensors the op saved must be as they were when it ran (their versions), or
    the backward would compute with values the forward never saw. Under ``detect_anomaly()``
    the gradients are then checked for nan and inf.
    """
    for counter, saved in node._saved_versions:
        if counter[0] != saved:
            raise RuntimeError(_modified_message(node, counter, saved))
    grads = node._backward(g)
    if not isinstance(grads, (tuple, list)) or len(grads) != len(node._parents):
        got = f"{len(grads)} values" if isinstance(grads, (tuple, list)) else f"a {type(grads).__name__}"
        raise RuntimeError(f"backward of op '{node._op}' must return a tuple with one gradient (or None) per "
                           f"input, {len(node._parents)} in all; it returned {got}")
    if flags.anomaly:
        anomaly.check_finite(grads, node, "backward")
    return grads


def _modified_message(node, counter, saved):
    # the tensor whose count moved: the output or an input (saved in that order by make_result)
    t = next(t for t in (node, *node._parents) if t._version_counter is counter)
    what = f"the output of op '{node._op}'" if t is node else f"input {_position(node, t)} of op '{node._op}'"
    kind = "a leaf that requires grad" if t.requires_grad and t._backward is None else "a tensor"
    return (f"backward(): one of the tensors needed for gradient computation has been modified by an in-place "
            f"operation: {what} ({kind}, shape {t.shape}, {t.dtype}) was saved at version {saved} and is "
            f"now at version {t._version_counter[0]}. An in-place change (add_, +=, t[i] = v, an optimizer's "
            f"step()) between the forward pass and backward() would make the backward use the new values. "
            f"Call backward() before the change (optimizer.step() after loss.backward()), or change a copy "
            f"(t = t.clone()) instead")


def _position(node, parent):
    """Index of ``parent`` among ``node``'s inputs, by identity (``==`` is elementwise)."""
    return next(i for i, p in enumerate(node._parents) if p is parent)


def _free(node):
    """Drop a node's closure and inputs after backward; a second backward then names the op."""
    op = node._op

    def freed(g):
        raise RuntimeError(f"backward(): trying to backward through the graph a second time (at op '{op}'); "
                           f"its saved values were freed by the first backward. Pass retain_graph=True to "
                           f"the first backward() if you need to call it twice")
    node._parents = ()
    node._saved_versions = ()
    node._backward = freed


def _accumulate(leaf, g, kept, gradient):
    """Add ``g`` into ``leaf.grad``: gradients add up until zeroed, as in PyTorch.

    The first contribution is kept without a copy when it is a fresh array nobody else
    holds. A view (reshape, sum's broadcast), the caller's ``gradient``, or an array that
    another leaf already keeps (``add`` hands ``g`` to both inputs) is copied, so that
    updating one ``.grad`` in place never changes another array. ``kept``: the ids of
    the arrays that leaves keep in this backward pass.
    """
    if not g.ndim:     # NumPy makes numpy.float32 scalars of 0-d results: zero_() could not change one
        g = backend.get_array_module(g).asarray(g)
    if leaf._grad is not None:
        total = leaf._grad.array + g
        leaf._grad.array = total if total.ndim else backend.get_array_module(total).asarray(total)
    elif g.base is None and g is not gradient and id(g) not in kept:
        leaf._grad = Tensor._wrap(g)
        kept.add(id(g))
    else:
        leaf._grad = Tensor._wrap(g.copy())


def unbroadcast(grad: Array, shape: tuple[int, ...], node: Tensor, parent: Tensor) -> Array:
    """Sum ``grad`` back to ``shape``, undoing NumPy broadcasting.

    Broadcasting first prepends size-1 axes until the ranks match, then stretches size-1
    axes. Each stretched copy received a gradient, so the input's gradient is the sum over
    the copies: sum away the prepended leading axes, then sum (keeping the axis) every axis
    where ``shape`` has 1 and ``grad`` does not. A gradient that no broadcasting of
    ``shape`` could have produced is a bug in ``node``'s backward (for input ``parent``):
    an error, never a gradient silently broadcast into ``.grad``.
    """
    if not shape:   # a scalar, broadcast to every element: the sum (an array; NumPy's sum gives numpy.float64)
        return backend.get_array_module(grad).asarray(grad.sum())
    lead = grad.ndim - len(shape)
    if lead < 0 or any(n != 1 and n != m for n, m in zip(shape, grad.shape[lead:], strict=True)):
        raise GradientShapeError(node, parent, tuple(grad.shape))
    if lead:
        grad = grad.sum(axis=tuple(range(lead)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad


class GradientShapeError(RuntimeError):
    """An op's backward returned a gradient that no broadcasting of its input's shape explains.

    ``op``: the op's name; ``input_index``: which of its inputs; ``tensor``: that input;
    ``got``: the gradient's shape; ``expected``: the input's shape.
    """

    def __init__(self, node, parent, got):
        self.op, self.input_index, self.tensor = node._op, _position(node, parent), parent
        self.got, self.expected = got, tuple(parent.shape)
        super().__init__(f"backward of op '{self.op}' returned a gradient of shape {got} for its input "
                         f"{self.input_index} of shape {self.expected}: a gradient must have its input's "
                         f"shape (or a shape the input was broadcast to)")


def make_result(data: Array, parents: tuple[Tensor, ...], backward: Callable, op: str) -> Tensor:
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
                out._sequence_number = next(_op_results)
                # the versions of what the backward may read: the output and every input,
                # each with its counter (a list shared with detach()), read again at backward
                out._saved_versions = ((out._version_counter, 0),
                                       *[(q._version_counter, q._version_counter[0]) for q in parents])
                break
    if flags.anomaly:
        out._op = op
        out._origin = anomaly.user_line()
        anomaly.check_finite((data,), out, "forward")
    return out


# t.to(dtype) is the cast op, and the ops need Tensor: bound at call time, as in conversion.py
from .ops import arithmetic  # noqa: E402
