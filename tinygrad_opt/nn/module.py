"""``Module``: a container of parameters and sub-modules, and ``Parameter``: a trainable tensor.

A module's parameters are found by walking its attributes in the order they were set in
``__init__`` (Python dicts keep insertion order), descending into sub-modules. So
``named_parameters()`` gives PyTorch's dotted names (``main.0.weight``) in definition
order, the same order on every run, which optimizers and checkpoints rely on.
"""
import numpy

from .. import backend
from ..tensor import Tensor


class Parameter(Tensor):
    """A tensor that a module trains: a leaf with ``requires_grad=True``."""

    __slots__ = ()

    def __init__(self, data, requires_grad=True):
        super().__init__(data.array if isinstance(data, Tensor) else data, requires_grad=requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


def _as_array(module, name, value):
    """A state_dict entry as an array of some backend: a Tensor gives its data, an array
    stays as it is, a list or a number becomes a host (NumPy) array; anything else is refused."""
    if isinstance(value, Tensor):
        return value.array
    try:
        backend.backend_of(value)
        return value
    except TypeError:     # not an array of any backend
        pass
    try:
        host = numpy.asarray(value)
    except ValueError:    # a ragged nested list
        host = None
    if host is None or host.dtype.kind not in "biuf":
        raise TypeError(f"load_state_dict into {type(module).__name__}: {name}: expected an array, "
                        f"a Tensor or a (nested) list of numbers, got {type(value).__name__}")
    return host


class Module:
    """Base class of layers and models: subclass it, set parameters and sub-modules as
    attributes in ``__init__``, and write ``forward``.
    """

    training = True

    def forward(self, *args):
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    # -- walking the tree ----------------------------------------------------------------
    def named_children(self):
        for name, value in vars(self).items():
            if isinstance(value, Module):
                yield name, value

    def children(self):
        return (m for _, m in self.named_children())

    def modules(self):
        yield self
        for child in self.children():
            yield from child.modules()

    def named_parameters(self, prefix=""):
        """(dotted name, Parameter) pairs, in definition order, each parameter once."""
        seen = set()
        stack = [(prefix, self)]
        while stack:
            pre, module = stack.pop()
            children = []
            for name, value in vars(module).items():
                if isinstance(value, Parameter) and id(value) not in seen:
                    seen.add(id(value))
                    yield pre + name, value
                elif isinstance(value, Module):
                    children.append((pre + name + ".", value))
            stack.extend(reversed(children))

    def parameters(self):
        return [p for _, p in self.named_parameters()]

    # -- training helpers ----------------------------------------------------------------
    def zero_grad(self, set_to_none=True):
        for p in self.parameters():
            if set_to_none or p.grad is None:
                p.grad = None
            else:
                p.grad = Tensor._wrap(backend.get_array_module(p.grad.array).zeros_like(p.grad.array))

    def train(self, mode=True):
        for m in self.modules():
            m.training = mode
        return self

    def eval(self):
        return self.train(False)

    def to(self, device):
        """Move every parameter (and its gradient) to ``device`` ("cpu" or "gpu"), in place."""
        target = backend.for_device(device)
        for p in self.parameters():
            if backend.backend_of(p.array) is not target:
                p.array = target.from_host(backend.to_numpy(p.array))
                if p.grad is not None:
                    p._grad = Tensor._wrap(target.from_host(p.grad.numpy()))
        return self

    # -- saving and loading ----------------------------------------------------------------
    def state_dict(self):
        """{dotted name: a copy of the parameter's array}, in definition order.

        Copies, not references (PyTorch returns references): a state_dict kept as "the best
        model so far" must not change as training goes on.
        """
        return {name: p.array.copy() for name, p in self.named_parameters()}

    def load_state_dict(self, state_dict, strict=True):
        """Copy arrays into the parameters, checking names and shapes first.

        Arrays may come from any backend, and Tensors and nested lists of numbers (a
        state_dict read from JSON) work too; each is moved to its parameter's backend and
        dtype. With ``strict`` (default) missing and unexpected names are errors.
        """
        params = dict(self.named_parameters())
        missing = [k for k in params if k not in state_dict]
        unexpected = [k for k in state_dict if k not in params]
        problems = []
        if strict and missing:
            problems.append(f"missing keys {missing}")
        if strict and unexpected:
            problems.append(f"unexpected keys {unexpected}")
        arrays = {name: _as_array(self, name, value) for name, value in state_dict.items() if name in params}
        for name, value in arrays.items():
            if tuple(value.shape) != params[name].shape:
                problems.append(f"{name}: shape {tuple(value.shape)} in the state_dict, "
                                f"{params[name].shape} in the model")
        if problems:
            raise ValueError(f"load_state_dict into {type(self).__name__}: " + "; ".join(problems))
        for name, value in arrays.items():
            p = params[name]
            host = backend.to_numpy(value)
            p.array = backend.backend_of(p.array).from_host(host.astype(p.dtype, copy=True))

    # -- printing, in PyTorch's format -------------------------------------------------------
    def extra_repr(self):
        return ""

    def __repr__(self):
        lines = []
        for name, child in self.named_children():
            text = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {text}")
        if not lines:
            return f"{type(self).__name__}({self.extra_repr()})"
        return f"{type(self).__name__}(\n" + "\n".join(lines) + "\n)"
