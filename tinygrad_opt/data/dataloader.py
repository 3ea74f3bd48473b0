"""``DataLoader``: a dataset cut into batches of Tensors, as ``torch.utils.data.DataLoader``.

    train_loader = DataLoader(dataset=train_dataset, batch_size=100, shuffle=True)
    for images, labels in train_loader:      # images: (100, 1, 28, 28) float32, labels: (100,) int64
        ...

Each pass (epoch) visits every example once: in order, or in a new random order when
``shuffle=True``. The order is drawn from ``generator`` (a ``numpy.random.Generator``), else
from the generator ``tinygrad_opt.manual_seed`` seeds -- so ``manual_seed(0)`` before making
the loader gives the same batches in every run, as in PyTorch. The last batch is smaller,
or dropped with ``drop_last=True``. No worker processes: the batches are made in the loop.

A dataset that has ``__getitems__(indices)`` (``MNIST`` has) makes each batch itself, in one
go; for any other, the examples ``dataset[i]`` are stacked (``collate``).
"""
from __future__ import annotations

import numbers
from typing import Iterator, Sequence

import numpy as np

from .. import backend
from ..tensor import Tensor


class DataLoader:
    def __init__(self, dataset: Sequence, batch_size: int = 1, shuffle: bool = False, drop_last: bool = False,
                 generator: np.random.Generator | None = None) -> None:
        if not isinstance(batch_size, numbers.Integral) or isinstance(batch_size, bool) or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be a positive integer, got {batch_size!r}")
        if generator is not None and not isinstance(generator, np.random.Generator):
            raise TypeError(f"DataLoader: generator must be a numpy.random.Generator "
                            f"(np.random.default_rng(seed)), got {type(generator).__name__}")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.generator = generator

    def __len__(self) -> int:
        """Batches per pass: floor(N / batch_size) with drop_last, else ceil."""
        if self.drop_last:
            return len(self.dataset) // self.batch_size
        return -(-len(self.dataset) // self.batch_size)

    def __iter__(self) -> Iterator:
        n = len(self.dataset)
        if self.shuffle:
            order = (self.generator or backend.host_rng()).permutation(n)
        else:
            order = np.arange(n)
        for batch in range(len(self)):
            indices = order[batch * self.batch_size:(batch + 1) * self.batch_size]
            if hasattr(self.dataset, "__getitems__"):
                yield self.dataset.__getitems__(indices)
            else:
                yield collate([self.dataset[int(i)] for i in indices])


def collate(samples: Sequence) -> Tensor | tuple:
    """Stack a list of examples into a batch: tuples field by field; Tensors stacked along a new
    first axis; numbers into a Tensor (ints int64, floats the default float dtype)."""
    first = samples[0]
    if isinstance(first, (tuple, list)):
        return tuple(collate([sample[i] for sample in samples]) for i in range(len(first)))
    if isinstance(first, Tensor):
        xp = backend.get_array_module(first.array)
        return Tensor(xp.stack([sample.array for sample in samples]))
    if isinstance(first, numbers.Integral):
        return Tensor(np.asarray(samples, dtype=np.int64))
    if isinstance(first, numbers.Real):
        return Tensor([float(s) for s in samples])
    raise TypeError(f"DataLoader cannot batch examples of type {type(first).__name__}; "
                    f"a dataset's items should be Tensors, numbers, or tuples of them")
