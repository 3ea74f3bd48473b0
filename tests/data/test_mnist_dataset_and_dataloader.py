"""MNIST, DataLoader and transforms the torchvision way: the course's data lines, imports changed.

The MNIST tests need the real files ($TINYGRAD_OPT_DATA, else ../shared/data); without
them they are skipped. The DataLoader's own tests use a small made-up dataset.
"""
import os
from pathlib import Path

import numpy as np
import pytest

import tinygrad_opt
from tinygrad_opt import Tensor, backend
from tinygrad_opt.data import MNIST, DataLoader, collate, data_dir, transforms
from tinygrad_opt.data.mnist import FILES

REPO = Path(__file__).resolve().parents[2]


def _mnist_root():
    for base in (os.environ.get("TINYGRAD_OPT_DATA"), REPO.parent / "shared" / "data"):
        if base and all((data_dir("mnist", base) / name).is_file() for name in FILES):
            return str(base)
    pytest.skip("the real MNIST files are not here (set TINYGRAD_OPT_DATA)")


@pytest.fixture(scope="module")
def test_set():
    return MNIST(root=_mnist_root(), train=False, transform=transforms.ToTensor())


def test_mnist_has_torchvisions_data_and_targets(test_set):
    assert isinstance(test_set.data, Tensor) and test_set.data.shape == (10000, 28, 28)
    assert test_set.data.dtype == np.uint8 and test_set.targets.dtype == np.int64
    assert test_set.targets.shape == (10000,) and len(test_set) == 10000
    assert int(test_set.data.numpy().max()) == 255
    image, label = test_set[0]
    assert image.shape == (1, 28, 28) and image.dtype == np.float32 and label == 7    # the first test digit
    np.testing.assert_array_equal(image.numpy()[0], test_set.data.numpy()[0] / np.float32(255))
    assert "Number of datapoints: 10000" in repr(test_set) and "Split: Test" in repr(test_set)


def test_the_courses_loop_over_mnist(test_set):
    """003's lines: test_loader = DataLoader(dataset=test_dataset, batch_size=batch_size, shuffle=False)."""
    test_loader = DataLoader(dataset=test_set, batch_size=100, shuffle=False)
    assert len(test_loader) == 100
    images, labels = next(iter(test_loader))
    assert images.shape == (100, 1, 28, 28) and images.dtype == np.float32
    assert labels.shape == (100,) and labels.dtype == np.int64
    assert 0.0 <= float(images.numpy().min()) and float(images.numpy().max()) <= 1.0
    np.testing.assert_array_equal(labels.numpy(), test_set.targets.numpy()[:100])
    # the batch path (__getitems__) and the item path give the same numbers
    np.testing.assert_array_equal(images.numpy()[3], test_set[3][0].numpy())


def test_normalize_as_the_course_writes_it():
    mean, std = 33.3, 78.6            # the course passes mean / 255. of pixel values
    tform = transforms.Compose([transforms.ToTensor(), transforms.Normalize(mean=[mean / 255.], std=[std / 255.])])
    pixels = np.array([[0, 255], [51, 102]], dtype=np.uint8)
    out = tform(Tensor(pixels))
    assert out.shape == (1, 2, 2) and out.dtype == np.float32
    np.testing.assert_allclose(out.numpy()[0], (pixels / 255 - mean / 255) / (std / 255), rtol=1e-6)
    batch = tform(Tensor(np.stack([pixels, pixels])))
    assert batch.shape == (2, 1, 2, 2)
    np.testing.assert_array_equal(batch.numpy()[1], out.numpy())
    assert "Normalize(mean=" in repr(tform)


def test_normalize_refuses_what_would_be_silently_wrong():
    with pytest.raises(TypeError, match="put ToTensor\\(\\) before it"):
        transforms.Normalize([0.5], [0.5])(Tensor(np.zeros((2, 2), dtype=np.uint8)))
    with pytest.raises(ValueError, match="zero"):
        transforms.Normalize([0.5], [0.0])
    with pytest.raises(ValueError, match="2 means for an image of 3 channels"):
        transforms.Normalize([0.5, 0.5], [1, 1])(Tensor(np.zeros((3, 2, 2), dtype=np.float32)))


class _Squares:
    """A made-up dataset: example i is (Tensor [i, i*i], i)."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return Tensor(np.array([i, i * i], dtype=np.float32)), i


def test_dataloader_batches_len_and_drop_last():
    loader = DataLoader(_Squares(10), batch_size=4)
    batches = list(loader)
    assert len(loader) == len(batches) == 3
    assert [len(y) for _, y in batches] == [4, 4, 2]
    x, y = batches[0]
    assert x.shape == (4, 2) and y.dtype == np.int64 and y.numpy().tolist() == [0, 1, 2, 3]
    np.testing.assert_array_equal(x.numpy()[:, 1], y.numpy() ** 2)
    dropped = DataLoader(_Squares(10), batch_size=4, drop_last=True)
    assert len(dropped) == len(list(dropped)) == 2


def test_dataloader_shuffles_reproducibly():
    def order(loader):
        return np.concatenate([y.numpy() for _, y in loader]).tolist()
    tinygrad_opt.manual_seed(0)
    first = DataLoader(_Squares(50), batch_size=8, shuffle=True)
    a, b = order(first), order(first)
    assert sorted(a) == list(range(50)) and a != list(range(50)) and a != b    # every pass its own order
    tinygrad_opt.manual_seed(0)
    assert order(DataLoader(_Squares(50), batch_size=8, shuffle=True)) == a     # manual_seed: same batches
    seeded = [order(DataLoader(_Squares(50), 8, shuffle=True, generator=np.random.default_rng(3)))
              for _ in range(2)]
    assert seeded[0] == seeded[1] != a


def test_dataloader_validates_its_arguments():
    with pytest.raises(ValueError, match="batch_size must be a positive integer, got 0"):
        DataLoader(_Squares(3), batch_size=0)
    with pytest.raises(TypeError, match="numpy.random.Generator"):
        DataLoader(_Squares(3), shuffle=True, generator=7)
    with pytest.raises(TypeError, match="cannot batch examples of type str"):
        collate(["a", "b"])


def test_dataloader_keeps_a_device_dataset_on_its_device():
    fake = backend.get("fakegpu")
    images = Tensor(fake.from_host(np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)))
    out = transforms.ToTensor()(images)
    assert backend.backend_of(out.array) is fake and out.shape == (2, 1, 3, 3)
    np.testing.assert_allclose(out.numpy()[1, 0], np.arange(9, 18).reshape(3, 3) / 255, rtol=1e-6)
