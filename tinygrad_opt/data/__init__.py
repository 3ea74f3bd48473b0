"""Data: MNIST / Fashion-MNIST, the torchvision way or as plain NumPy arrays, and minibatches.

The torchvision way (the course's code with only its imports changed)::

    from tinygrad_opt.data import MNIST, DataLoader, transforms
    train_dataset = MNIST(root='./data', train=True, transform=transforms.ToTensor(), download=True)
    train_loader = DataLoader(dataset=train_dataset, batch_size=100, shuffle=True)
    for images, labels in train_loader:       # (100, 1, 28, 28) float32, (100,) int64 Tensors
        ...

As arrays::

    from tinygrad_opt.data import load_mnist_arrays, MinibatchIterator
    x_train, y_train, x_test, y_test = load_mnist_arrays()   # (60000, 784) float32, (60000,) int64
    for xb, yb in MinibatchIterator(x_train, y_train, batch_size=100, seed=0):
        ...                                                   # Tensors (100, 784), (100,)

Where to read:
  idx.py         the IDX file format the datasets are stored in
  mnist.py       finding, checking (SHA-256), downloading and loading the files; pixel scaling
  datasets.py    ``MNIST``: a dataset with ``.data``, ``.targets`` and indexing
  tensor_dataset.py  ``TensorDataset``: tensors of equal length as a dataset of tuples
  transforms.py  ``ToTensor``, ``Normalize``, ``Compose``
  dataloader.py  ``DataLoader``: batches of Tensors, shuffled reproducibly
  loader.py      epochs of shuffled minibatches, random minibatches, the fixed 500-example subset
"""
from . import transforms
from .dataloader import DataLoader, collate
from .datasets import MNIST
from .idx import IDXError, parse_idx, read_idx, write_idx
from .loader import MinibatchIterator, sample_minibatch, subset
from .tensor_dataset import TensorDataset
from .mnist import (ChecksumError, DatasetNotFoundError, MNISTData, data_dir, load_mnist,
                    load_mnist_arrays, normalize, train_mean_std)

__all__ = ["MNIST", "TensorDataset", "DataLoader", "collate", "transforms", "IDXError", "read_idx", "parse_idx",
           "write_idx",
           "MinibatchIterator", "sample_minibatch", "subset",
           "ChecksumError", "DatasetNotFoundError", "MNISTData", "data_dir", "load_mnist",
           "load_mnist_arrays", "normalize", "train_mean_std"]
