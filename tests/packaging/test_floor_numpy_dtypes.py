"""On the NumPy floor (1.24, installed by .ci/floors) a float32 mean stays float32.

NumPy 1 turns a float32 scalar divided by a Python int into float64, so a full mean or a mean loss
came back float64 there while NumPy 2 gives float32: the dtype of a result depended on the NumPy
version. These tests fail on NumPy 1 if an op divides a reduced scalar by a Python int."""
import numpy as np
import pytest

import tinygrad_opt as t
from tinygrad_opt import nn, ops

LABELS = [0, 1, 2, 0]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("reduce", [
    lambda x: x.mean(),
    lambda x: x.mean(dim=0),
    lambda x: ops.nll_loss(ops.log_softmax(x, 1), t.tensor(LABELS)),
    lambda x: ops.cross_entropy(x, t.tensor(LABELS)),
    lambda x: nn.CrossEntropyLoss()(x, t.tensor(LABELS)),
    lambda x: nn.MSELoss()(x, x * 2),
], ids=["mean", "mean_dim", "nll_loss", "cross_entropy", "CrossEntropyLoss", "MSELoss"])
def test_a_mean_keeps_the_input_dtype(device_backend, reduce, dtype):
    x = t.tensor(np.arange(12, dtype=dtype).reshape(4, 3) / 7, requires_grad=True)
    out = reduce(x)
    out.sum().backward() if out.ndim else out.backward()
    assert (out.dtype, x.grad.dtype) == (np.dtype(dtype), np.dtype(dtype))
