"""``TensorDataset``: tensors of the same length seen as one dataset of tuples (x_i, y_i, ...)."""
from __future__ import annotations

from typing import Sequence

from ..tensor import Tensor


class TensorDataset:
    """``TensorDataset(x, y)[i]`` is ``(x[i], y[i])``; ``DataLoader(TensorDataset(x, y), batch_size=32)``
    gives batches ``(x[batch], y[batch])``. Every tensor must have the same first dimension."""

    def __init__(self, *tensors: Tensor) -> None:
        if not tensors or not all(isinstance(t, Tensor) and t.ndim for t in tensors):
            raise TypeError("TensorDataset: give one or more tensors of at least one dimension")
        lengths = [t.shape[0] for t in tensors]
        if len(set(lengths)) != 1:
            raise ValueError(f"TensorDataset: size mismatch between tensors: first dimensions {lengths}")
        self.tensors = tensors

    def __len__(self) -> int:
        return self.tensors[0].shape[0]

    def __getitem__(self, index: int) -> tuple[Tensor, ...]:
        return tuple(t[index] for t in self.tensors)

    def __getitems__(self, indices: Sequence[int]) -> tuple[Tensor, ...]:
        """A whole batch at once (what DataLoader asks for): each tensor indexed by ``indices``."""
        return tuple(Tensor(t.array[indices]) for t in self.tensors)
