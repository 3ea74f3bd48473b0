"""MNIST the torchvision way: a dataset object with ``.data``, ``.targets`` and indexing.

    from tinygrad_opt.data import MNIST, DataLoader, transforms
    train_dataset = MNIST(root='./data', train=True, transform=transforms.ToTensor(), download=True)
    train_dataset.data        # (60000, 28, 28) uint8 Tensor, pixels 0..255
    train_dataset.targets     # (60000,) int64 Tensor, classes 0..9
    image, label = train_dataset[0]      # (1, 28, 28) float32 Tensor in [0, 1], and 5

Where the files are looked for and how they are checked: ``mnist.py`` (``root`` comes first,
then $TINYGRAD_OPT_DATA, then the user cache). torchvision's default is ``download=False``;
so is this one's.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from ..tensor import Tensor
from .mnist import load_mnist


class MNIST:
    """The 60 000 training (``train=True``) or 10 000 test images of MNIST, and their labels.

    ``transform`` is applied to each image (``transforms.ToTensor()``, ...), ``target_transform``
    to each label. ``.data`` and ``.targets`` may be replaced (the course standardises
    ``train_set.data`` in place); indexing then reads the new ones.
    """

    def __init__(self, root: str | Path | None = None, train: bool = True, transform: Callable | None = None,
                 target_transform: Callable | None = None, download: bool = False, *, dataset: str = "mnist") -> None:
        arrays = load_mnist(root, dataset=dataset, download=download)
        images, labels = ((arrays.train_images, arrays.train_labels) if train
                          else (arrays.test_images, arrays.test_labels))
        self.train = bool(train)
        self.data = Tensor(images)                       # (N, 28, 28) uint8
        self.targets = Tensor(labels.astype(np.int64))   # (N,) int64
        self.transform = transform
        self.target_transform = target_transform

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: int) -> tuple:
        """``(image, label)``: the image (28, 28) through ``transform``, the label an int."""
        image, label = Tensor(self.data.array[index]), int(self.targets.array[index])
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            label = self.target_transform(label)
        return image, label

    def __getitems__(self, indices: Sequence[int]) -> tuple[Tensor, Tensor]:
        """A whole batch at once, ``(images (B, ...), labels (B,))``, as a ``DataLoader`` asks for it:
        one indexing and one transform of the batch instead of B of each. (PyTorch's DataLoader
        calls a dataset's ``__getitems__`` the same way.)"""
        images, labels = Tensor(self.data.array[indices]), Tensor(self.targets.array[indices])
        if self.transform is not None:
            images = self.transform(images)
        if self.target_transform is not None:
            labels = Tensor(np.asarray([self.target_transform(int(t)) for t in labels.numpy()]))
        return images, labels

    def __repr__(self) -> str:
        split = "Train" if self.train else "Test"
        return (f"Dataset MNIST\n    Number of datapoints: {len(self)}\n    Split: {split}"
                + (f"\n    Transform: {self.transform!r}" if self.transform is not None else ""))
