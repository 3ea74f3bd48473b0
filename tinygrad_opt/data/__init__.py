"""Data: MNIST / Fashion-MNIST as plain NumPy arrays, and ways to draw minibatches.

    from tinygrad_opt.data import load_mnist_arrays, MinibatchIterator
    x_train, y_train, x_test, y_test = load_mnist_arrays()   # (60000, 784) float32, (60000,) int64
    for xb, yb in MinibatchIterator(x_train, y_train, batch_size=100, seed=0):
        ...

Where to read:
  idx.py      the IDX file format the datasets are stored in
  mnist.py    finding, checking (SHA-256), downloading and loading the files; pixel scaling
  loader.py   epochs of shuffled minibatches, random minibatches, the fixed 500-example subset
"""
from .idx import IDXError, parse_idx, read_idx, write_idx
from .loader import MinibatchIterator, sample_minibatch, subset
from .mnist import (ChecksumError, DatasetNotFoundError, MNISTData, data_dir, load_mnist,
                    load_mnist_arrays, normalize, train_mean_std)

__all__ = ["IDXError", "read_idx", "parse_idx", "write_idx",
           "MinibatchIterator", "sample_minibatch", "subset",
           "ChecksumError", "DatasetNotFoundError", "MNISTData", "data_dir", "load_mnist",
           "load_mnist_arrays", "normalize", "train_mean_std"]
