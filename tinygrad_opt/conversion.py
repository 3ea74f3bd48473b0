"""Conversions into and out of a Tensor.

In: ``Tensor(data)`` turns numbers, nested lists and arrays into a backend array
(:func:`to_array`). Out: Python numbers (``float(t)``, ``int(t)``, ``bool(t)``, ``t.item()``),
lists (``t.tolist()``), NumPy arrays (``t.numpy()``, ``numpy.asarray(t)``), and other dtypes
(``t.float()``, ``t.double()``, ``t.long()``, ``t.int()``, ``t.bool()``), as in PyTorch.

A Python number has one value, so only a one-element tensor converts to one; anything else
is an error that says how to reduce the tensor first, as PyTorch's does.
"""
from __future__ import annotations

import builtins
from typing import TYPE_CHECKING, Sequence

import numpy

from . import backend

if TYPE_CHECKING:
    from numpy import ndarray      # in the class below, ``numpy`` is the method

    from .backend import Array
    from .tensor import Tensor


def to_array(data: Array | Sequence | builtins.float, dtype: numpy.dtype | str | None, device: str | None,
             requires_grad: builtins.bool) -> Array:
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


class Conversions:
    """The conversion methods of :class:`~tinygrad_opt.tensor.Tensor`."""

    __slots__ = ()

    def numpy(self) -> ndarray:
        """The data as a NumPy array on the host (copied from the GPU when needed)."""
        return backend.to_numpy(self.array)

    def __array__(self, dtype: numpy.dtype | str | None = None, copy: builtins.bool | None = None) -> numpy.ndarray:
        """NumPy (and matplotlib) read a tensor as its host array: ``numpy.asarray(t)``."""
        host = self.numpy()
        return host if dtype is None else host.astype(dtype, copy=False)

    def tolist(self) -> list | builtins.float | builtins.int:
        """The data as (nested) Python lists of numbers; a 0-d tensor gives a number."""
        return self.numpy().tolist()

    def item(self) -> builtins.float | builtins.int | builtins.bool:
        """The value of a one-element tensor as a Python number."""
        return self._one_value("item()")

    def _one_value(self, what):
        if self.array.size != 1:
            raise ValueError(f"{what}: only a one-element tensor has a single value, this one has shape "
                             f"{self.shape} ({self.array.size} elements); reduce it first "
                             f"(t.sum(), t.mean(), t.max()) or pick one element (t[0])")
        return self.array.item()

    def __float__(self) -> builtins.float:
        return float(self._one_value("float(t)"))

    def __int__(self) -> builtins.int:
        return int(self._one_value("int(t)"))

    def __bool__(self) -> builtins.bool:
        if self.array.size != 1:
            raise RuntimeError(f"bool(t): the truth value of a tensor with {self.array.size} elements "
                               f"(shape {self.shape}) is ambiguous; write t.any() or t.all()")
        return bool(self.array.item())

    def __format__(self, spec: str) -> str:
        """``f"{loss:.4f}"``: a 0-d tensor formats as its number, as in PyTorch (so the course's
        ``'Accuracy: {}'.format(100 * correct / total)`` prints a number); any other tensor
        formats as its repr, and only with an empty spec."""
        if self.ndim == 0:
            return format(self.item(), spec)
        if spec:
            raise TypeError(f"format spec {spec!r}: only a 0-d tensor formats as a number, this one has shape "
                            f"{self.shape}; format its elements (t.tolist()) or one of them (t[0].item())")
        return repr(self)

    def __index__(self) -> builtins.int:
        """A one-element integer tensor as a list index: ``classes[label]``, ``range(n)``."""
        if self.dtype.kind not in "iu" or self.array.size != 1:
            raise TypeError(f"only a one-element integer tensor can be used as an index, got shape "
                            f"{self.shape} and dtype {self.dtype}")
        return int(self.array.item())

    # -- dtype casts (PyTorch's names) -------------------------------------------------------
    def float(self) -> Tensor:
        """This tensor as float32 (differentiable when it is a float tensor)."""
        return arithmetic.cast(self, "float32")

    def double(self) -> Tensor:
        """This tensor as float64 (differentiable when it is a float tensor)."""
        return arithmetic.cast(self, "float64")

    def long(self) -> Tensor:
        """This tensor as int64 (no gradient flows through a cast to integers)."""
        return arithmetic.cast(self, "int64")

    def int(self) -> Tensor:
        """This tensor as int32 (no gradient flows through a cast to integers)."""
        return arithmetic.cast(self, "int32")

    def bool(self) -> Tensor:
        """This tensor as booleans, nonzero -> True (no gradient)."""
        return arithmetic.cast(self, "bool")


# the casts are ops, and the ops need Tensor, which needs this class: bound at call time
from .ops import arithmetic  # noqa: E402
