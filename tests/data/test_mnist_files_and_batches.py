"""Tests of tinygrad_opt.data: the IDX parser, checksums, locating/downloading, loading, batches.

No test touches the network: downloads go through ``mnist._urlopen``, replaced here.
The real MNIST / Fashion-MNIST files are used when present (TINYGRAD_OPT_DATA, else
../shared/data next to the repository), otherwise those tests are skipped.
"""
import gzip
import hashlib
import io
import os
import stat
import tracemalloc
import urllib.error
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_opt
from tinygrad_opt import backend
from tinygrad_opt.data import (ChecksumError, DatasetNotFoundError, IDXError, MinibatchIterator,
                               data_dir, load_mnist, load_mnist_arrays, normalize, read_idx,
                               sample_minibatch, subset, train_mean_std, write_idx)
from tinygrad_opt.data import mnist

REPO = Path(__file__).resolve().parents[2]
IDX_DTYPES = [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64]


def _no_network(url, timeout=None):
    raise AssertionError(f"the test tried to open {url}")


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    """No test may reach the network, whatever it does."""
    monkeypatch.setattr(mnist, "_urlopen", _no_network)


# ---------------------------------------------------------------- IDX format

@pytest.mark.parametrize("name", ["images-idx3-ubyte", "images-idx3-ubyte.gz"])
def test_idx_round_trip(tmp_path, name):
    images = np.random.default_rng(0).integers(0, 256, size=(3, 28, 28), dtype=np.uint8)
    write_idx(tmp_path / name, images)
    back = read_idx(tmp_path / name)
    assert back.dtype == np.uint8 and back.shape == (3, 28, 28)
    np.testing.assert_array_equal(back, images)
    assert back.flags.writeable


def test_idx_header_bytes(tmp_path):
    write_idx(tmp_path / "labels", np.array([7, 2, 1], dtype=np.uint8))
    assert (tmp_path / "labels").read_bytes() == bytes.fromhex("00000801 00000003 070201")


def test_gzip_is_recognised_by_content_not_name(tmp_path):
    labels = np.arange(10, dtype=np.uint8)
    write_idx(tmp_path / "a.gz", labels)
    (tmp_path / "a.gz").rename(tmp_path / "compressed-without-suffix")
    np.testing.assert_array_equal(read_idx(tmp_path / "compressed-without-suffix"), labels)
    write_idx(tmp_path / "raw", labels)
    (tmp_path / "raw").rename(tmp_path / "raw-but-named.gz")
    np.testing.assert_array_equal(read_idx(tmp_path / "raw-but-named.gz"), labels)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(array=st.sampled_from(IDX_DTYPES).flatmap(lambda dtype: hnp.arrays(
           dtype, hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=5))),
       compressed=st.booleans(), big_endian_input=st.booleans())
def test_idx_round_trip_any_array(tmp_path, array, compressed, big_endian_input):
    if big_endian_input:
        array = array.astype(array.dtype.newbyteorder(">"))
    path = tmp_path / ("a.gz" if compressed else "a")
    write_idx(path, array)
    back = read_idx(path)
    assert back.shape == array.shape
    assert back.dtype == array.dtype.newbyteorder("=")
    np.testing.assert_array_equal(back, array)


def test_truncated_file_names_file_expected_and_found(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte"
    write_idx(path, np.zeros((3, 28, 28), dtype=np.uint8))
    path.write_bytes(path.read_bytes()[:16 + 1000])
    with pytest.raises(IDXError) as error:
        read_idx(path)
    message = str(error.value)
    assert "train-images-idx3-ubyte" in message
    assert "expected 2352 bytes" in message and "shape (3, 28, 28)" in message
    assert "found 1000" in message and "truncated" in message
    assert isinstance(error.value, ValueError)


def test_truncated_gzip_stream(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    images = np.random.default_rng(1).integers(0, 256, size=(20, 28, 28), dtype=np.uint8)
    write_idx(path, images)
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(IDXError, match=r"train-images-idx3-ubyte\.gz: corrupt gzip stream"):
        read_idx(path)


def test_damaged_gzip_stream(tmp_path):
    path = tmp_path / "labels.gz"
    write_idx(path, np.arange(200, dtype=np.uint8))
    data = bytearray(path.read_bytes())
    data[30:40] = bytes(10)
    path.write_bytes(bytes(data))
    with pytest.raises(IDXError, match=r"labels\.gz: corrupt gzip stream"):
        read_idx(path)


@pytest.mark.parametrize("header_and_data, expected", [
    ("0102 0801 00000001 07", "not an IDX file: expected magic bytes 00 00 <type> <ndim>, found 01 02 08 01"),
    ("0000 0701 00000001 07", "unknown IDX type code 0x07"),
    ("0000 0800", "declares 0 dimensions"),
    ("0000", "expected a 4-byte IDX header, found 2 bytes"),
    ("0000 0803 0000000a 0000001c", "expected 3 dimension sizes (16-byte header), found only 12 bytes"),
    ("0000 0801 00000005 070201", "expected 5 bytes of data (uint8) for shape (5,), found 3 (file truncated?)"),
    ("0000 0801 00000002 070201", "expected 2 bytes of data (uint8) for shape (2,), found more (trailing bytes"),
    ("0000 0C01 00000002 00000001 0000", "expected 8 bytes of data (int32) for shape (2,), found 6"),
])
def test_corrupt_headers_give_clear_errors(tmp_path, header_and_data, expected):
    path = tmp_path / "bad-idx1-ubyte"
    path.write_bytes(bytes.fromhex(header_and_data))
    with pytest.raises(IDXError) as error:
        read_idx(path)
    assert str(error.value).startswith(f"{path}: ")
    assert expected in str(error.value)


def _gzip_bomb(path, declared_shape, actual_bytes):
    """A small .gz whose IDX header declares ``declared_shape`` uint8 and holds ``actual_bytes`` zeros."""
    header = bytes([0, 0, 8, len(declared_shape)]) + b"".join(n.to_bytes(4, "big") for n in declared_shape)
    path.write_bytes(gzip.compress(header + bytes(actual_bytes)))


def test_a_header_past_the_limit_is_refused_before_allocating(tmp_path):
    """A 2 MB .gz used to cost 4.2 GB: now the header is checked before anything is decompressed."""
    path = tmp_path / "huge-idx3-ubyte.gz"
    _gzip_bomb(path, (60000, 28, 28 * 10000), 1000)          # declares 470 GB
    with pytest.raises(IDXError, match=r"huge-idx3-ubyte\.gz: the header declares shape .* more than the limit"):
        read_idx(path)
    _gzip_bomb(path, (10, 10), 100)
    with pytest.raises(IDXError, match="more than the limit of 99 bytes"):
        read_idx(path, max_bytes=99)
    assert read_idx(path, max_bytes=100).shape == (10, 10)


def test_trailing_data_is_refused_without_reading_it(tmp_path):
    """Bytes past the declared array: refused after reading one more byte, not the whole rest."""
    path = tmp_path / "trailing-idx1-ubyte.gz"
    _gzip_bomb(path, (4,), 4 + 50_000_000)                    # 50 MB of zeros compress to about 50 kB
    tracemalloc.start()
    try:
        with pytest.raises(IDXError, match=r"trailing-idx1-ubyte\.gz: .*trailing bytes"):
            read_idx(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 5_000_000, f"read_idx held {peak} bytes for a 4-byte array"


def test_write_idx_rejects_what_idx_cannot_hold(tmp_path):
    with pytest.raises(TypeError, match="IDX cannot store dtype int64"):
        write_idx(tmp_path / "a", np.zeros(3, dtype=np.int64))
    with pytest.raises(ValueError, match="1 to 255 dimensions"):
        write_idx(tmp_path / "a", np.uint8(3))


# ---------------------------------------------------------------- fake datasets

def _write_fake_dataset(folder, n_train=6, n_test=4):
    """Four small, valid IDX files with the MNIST names; returns {name: bytes}."""
    rng = np.random.default_rng(0)
    arrays = {
        "train-images-idx3-ubyte.gz": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte.gz": rng.integers(0, 10, n_train, dtype=np.uint8),
        "t10k-images-idx3-ubyte.gz": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte.gz": rng.integers(0, 10, n_test, dtype=np.uint8),
    }
    folder.mkdir(parents=True, exist_ok=True)
    for name, array in arrays.items():
        write_idx(folder / name, array)
    return {name: (folder / name).read_bytes() for name in arrays}


def _trust(monkeypatch, dataset, files):
    """Make the fake files' checksums the expected ones."""
    for name, data in files.items():
        monkeypatch.setitem(mnist.SHA256[dataset], name, hashlib.sha256(data).hexdigest())


def test_load_fake_dataset(tmp_path, monkeypatch):
    files = _write_fake_dataset(tmp_path)
    _trust(monkeypatch, "mnist", files)
    data = load_mnist(tmp_path, download=False)
    assert data.train_images.shape == (6, 28, 28) and data.train_labels.shape == (6,)
    assert data.test_images.shape == (4, 28, 28) and data.test_labels.shape == (4,)
    np.testing.assert_array_equal(data.train_labels, read_idx(tmp_path / "train-labels-idx1-ubyte.gz"))


def _decompress_all(folder):
    """Replace every .gz file in ``folder`` by its uncompressed form (what ``gunzip *.gz`` does)."""
    for path in list(folder.glob("*.gz")):
        path.with_suffix("").write_bytes(gzip.decompress(path.read_bytes()))
        path.unlink()


def test_uncompressed_files_are_read_and_checked(tmp_path, monkeypatch):
    files = _write_fake_dataset(tmp_path)
    _decompress_all(tmp_path)
    raw = {name.removesuffix(".gz"): gzip.decompress(data) for name, data in files.items()}
    _trust(monkeypatch, "mnist", raw)
    data = load_mnist(tmp_path, download=False)
    assert data.train_images.shape == (6, 28, 28) and data.test_labels.shape == (4,)
    name = "t10k-labels-idx1-ubyte"
    (tmp_path / name).write_bytes(raw[name][:-1] + bytes([(raw[name][-1] + 1) % 10]))   # one label changed
    with pytest.raises(ChecksumError, match=f"{name}: SHA-256 mismatch for MNIST"):
        load_mnist(tmp_path, download=False)


def test_uncompressed_checksums_are_the_published_ones():
    """SOURCE.txt next to the shared data lists the uncompressed files' SHA-256 too."""
    source = _real_folder("mnist") / "SOURCE.txt"
    if not source.is_file():
        pytest.skip(f"{source} not found")
    text = source.read_text()
    for name in mnist.FILES:
        assert mnist.SHA256["mnist"][name.removesuffix(".gz")] in text, name


def test_uncompressed_files_need_a_known_checksum(tmp_path, monkeypatch):
    """Fashion-MNIST's uncompressed checksums are not listed: only its .gz files are used."""
    _write_fake_dataset(tmp_path)
    _decompress_all(tmp_path)
    with pytest.raises(DatasetNotFoundError, match="Fashion-MNIST files missing"):
        load_mnist(tmp_path, dataset="fashion-mnist", download=False)


def test_checksum_mismatch_names_file_expected_and_actual(tmp_path):
    files = _write_fake_dataset(tmp_path)
    name = "train-images-idx3-ubyte.gz"
    with pytest.raises(ChecksumError) as error:
        load_mnist(tmp_path, download=False)
    message = str(error.value)
    assert str(tmp_path / name) in message
    assert f"expected {mnist.SHA256['mnist'][name]}" in message
    assert f"found {hashlib.sha256(files[name]).hexdigest()}" in message
    assert "not used" in message
    assert isinstance(error.value, ValueError)


def test_checksum_mismatch_is_checked_even_when_other_files_are_fine(tmp_path, monkeypatch):
    files = _write_fake_dataset(tmp_path)
    _trust(monkeypatch, "mnist", files)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(b"\0\0\x08\x01\0\0\0\x04abcd"))
    with pytest.raises(ChecksumError, match="t10k-labels-idx1-ubyte.gz: SHA-256 mismatch"):
        load_mnist(tmp_path, download=False)


def test_checksum_error_recognises_the_other_datasets_file(tmp_path, monkeypatch):
    files = _write_fake_dataset(tmp_path)
    _trust(monkeypatch, "mnist", files)
    with pytest.raises(ChecksumError, match="it is the MNIST file of that name"):
        load_mnist(tmp_path, dataset="fashion-mnist", download=False)


def test_missing_without_download_lists_files_and_folder(tmp_path):
    _write_fake_dataset(tmp_path)
    (tmp_path / "t10k-images-idx3-ubyte.gz").unlink()
    with pytest.raises(DatasetNotFoundError) as error:
        load_mnist(tmp_path, download=False)
    message = str(error.value)
    assert f"MNIST files missing in {tmp_path}: t10k-images-idx3-ubyte.gz." in message
    assert "train-images" not in message.split("To fix")[1].split("or put")[0]
    assert "TINYGRAD_OPT_DATA" in message
    assert isinstance(error.value, FileNotFoundError)


def test_offline_gives_one_message_listing_files_folder_and_env_var(tmp_path, monkeypatch):
    attempts = []

    def offline(url, timeout=None):
        attempts.append(url)
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(mnist, "_urlopen", offline)
    folder = tmp_path / "nothing-here"
    with pytest.raises(DatasetNotFoundError) as error:
        load_mnist(folder)
    message = str(error.value)
    assert f"MNIST files missing in {folder}" in message
    for name in mnist.FILES:
        assert f"\n  {name}" in message
    assert "Temporary failure in name resolution" in message
    assert "export TINYGRAD_OPT_DATA=" in message
    # Both mirrors tried for the first file, then it gives up: offline is offline.
    assert attempts == [mirror + mnist.FILES[0] for mirror in mnist.MIRRORS["mnist"]]
    assert list(folder.iterdir()) == []


def test_download_waits_seconds_not_minutes(tmp_path, monkeypatch):
    timeouts = []

    def offline(url, timeout=None):
        timeouts.append(timeout)
        raise TimeoutError("timed out")

    monkeypatch.setattr(mnist, "_urlopen", offline)
    with pytest.raises(DatasetNotFoundError, match="TimeoutError: timed out"):
        load_mnist(tmp_path / "empty")
    assert timeouts and all(0 < t <= 10 for t in timeouts)


class _Server:
    """Stands in for urlopen: serves bytes by URL, records the requests."""

    def __init__(self, responses):
        self.responses = responses
        self.requested = []

    def __call__(self, url, timeout=None):
        self.requested.append(url)
        return io.BytesIO(self.responses[url])


def test_download_verifies_then_renames_atomically(tmp_path, monkeypatch):
    files = _write_fake_dataset(tmp_path / "source")
    _trust(monkeypatch, "mnist", files)
    first_mirror = mnist.MIRRORS["mnist"][0]
    server = _Server({first_mirror + name: data for name, data in files.items()})
    monkeypatch.setattr(mnist, "_urlopen", server)
    renames = []
    real_replace = os.replace

    def recording_replace(source, destination):
        assert not Path(destination).exists()   # the final name appears only once complete
        renames.append((Path(source), Path(destination)))
        real_replace(source, destination)

    monkeypatch.setattr(mnist.os, "replace", recording_replace)
    folder = tmp_path / "cache" / "mnist"
    data = load_mnist(folder)

    assert data.train_images.shape == (6, 28, 28)
    assert server.requested == [first_mirror + name for name in mnist.FILES]
    assert [destination for _, destination in renames] == [folder / name for name in mnist.FILES]
    assert all(source.parent == folder and source.name.endswith(".part") for source, _ in renames)
    assert sorted(p.name for p in folder.iterdir()) == sorted(mnist.FILES)
    assert all((folder / name).read_bytes() == files[name] for name in mnist.FILES)
    # created as open() would under the umask (0644 under 022), not mkstemp's 0600
    assert all(stat.S_IMODE((folder / name).stat().st_mode) == 0o666 & ~_umask() for name in mnist.FILES)


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_corrupt_download_is_not_kept_and_next_mirror_is_tried(tmp_path, monkeypatch):
    files = _write_fake_dataset(tmp_path / "source")
    _trust(monkeypatch, "mnist", files)
    first, second = mnist.MIRRORS["mnist"]
    name = "train-labels-idx1-ubyte.gz"
    responses = {first + n: data for n, data in files.items()}
    responses[first + name] = files[name][:-5]           # a cut-off download
    responses[second + name] = files[name]
    monkeypatch.setattr(mnist, "_urlopen", _Server(responses))
    folder = tmp_path / "data"
    data = load_mnist(folder)
    np.testing.assert_array_equal(data.train_labels, read_idx(tmp_path / "source" / name))
    assert sorted(p.name for p in folder.iterdir()) == sorted(mnist.FILES)


def test_download_corrupt_everywhere_fails_and_leaves_nothing(tmp_path, monkeypatch):
    files = _write_fake_dataset(tmp_path / "source")
    _trust(monkeypatch, "mnist", files)
    corrupt = {mirror + name: b"<html>not found</html>" for mirror in mnist.MIRRORS["mnist"]
               for name in files}
    monkeypatch.setattr(mnist, "_urlopen", _Server(corrupt))
    folder = tmp_path / "data"
    with pytest.raises(DatasetNotFoundError) as error:
        load_mnist(folder)
    message = str(error.value)
    actual = hashlib.sha256(b"<html>not found</html>").hexdigest()
    assert f"SHA-256 of the download is {actual}, expected {mnist.SHA256['mnist'][mnist.FILES[0]]}" in message
    assert list(folder.iterdir()) == []


def test_download_fetches_only_missing_files(tmp_path, monkeypatch):
    files = _write_fake_dataset(tmp_path)
    _trust(monkeypatch, "fashion-mnist", files)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    mirror = mnist.MIRRORS["fashion-mnist"][0]
    server = _Server({mirror + "t10k-labels-idx1-ubyte.gz": files["t10k-labels-idx1-ubyte.gz"]})
    monkeypatch.setattr(mnist, "_urlopen", server)
    load_mnist(tmp_path, dataset="fashion-mnist")
    assert server.requested == [mirror + "t10k-labels-idx1-ubyte.gz"]


# ---------------------------------------------------------------- where the files are

def test_data_dir_order_root_then_env_then_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TINYGRAD_OPT_DATA", str(tmp_path / "env"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert data_dir("mnist", tmp_path / "arg") == tmp_path / "arg"
    assert data_dir("mnist") == tmp_path / "env"
    monkeypatch.delenv("TINYGRAD_OPT_DATA")
    assert data_dir("fashion-mnist") == tmp_path / "xdg" / "tinygrad_opt" / "fashion-mnist"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert data_dir("mnist") == tmp_path / "home" / ".cache" / "tinygrad_opt" / "mnist"


def test_data_dir_prefers_a_subfolder_named_after_the_dataset(tmp_path, monkeypatch):
    (tmp_path / "fashion-mnist").mkdir()
    monkeypatch.setenv("TINYGRAD_OPT_DATA", str(tmp_path))
    assert data_dir("fashion-mnist") == tmp_path / "fashion-mnist"
    assert data_dir("mnist") == tmp_path               # no mnist/ subfolder: files directly in it
    with pytest.raises(ValueError, match="unknown dataset 'cifar'"):
        data_dir("cifar")


# ---------------------------------------------------------------- preprocessing

def test_train_mean_std_is_exact():
    images = np.random.default_rng(0).integers(0, 256, size=(50, 28, 28), dtype=np.uint8)
    mean, std = train_mean_std(images)
    assert mean == pytest.approx(images.mean() / 255, rel=1e-12)
    assert std == pytest.approx(images.std() / 255, rel=1e-12)
    with pytest.raises(TypeError, match="raw uint8"):
        train_mean_std(images / 255)


def test_normalize_unit_and_standard():
    images = np.array([[0, 51, 255]], dtype=np.uint8)
    unit = normalize(images)
    assert unit.dtype == np.float32
    np.testing.assert_allclose(unit, [[0, 0.2, 1]])
    standard = normalize(images, "standard", mean=0.2, std=0.5, dtype=np.float64)
    assert standard.dtype == np.float64
    np.testing.assert_allclose(standard, [[-0.4, 0, 1.6]])
    with pytest.raises(ValueError, match="train_mean_std"):
        normalize(images, "standard")
    with pytest.raises(ValueError, match="'unit' or 'standard'"):
        normalize(images, "minmax")


def test_load_mnist_arrays_on_fake_data(tmp_path, monkeypatch):
    files = _write_fake_dataset(tmp_path)
    _trust(monkeypatch, "mnist", files)
    x_train, y_train, x_test, y_test = load_mnist_arrays(tmp_path, normalize="standard")
    assert x_train.shape == (6, 784) and x_test.shape == (4, 784) and x_train.dtype == np.float32
    assert y_train.dtype == np.int64 and y_test.shape == (4,)
    assert abs(x_train.mean()) < 1e-5 and x_train.std() == pytest.approx(1, abs=1e-5)
    x_train, _, _, _ = load_mnist_arrays(tmp_path, flatten=False, dtype=np.float64)
    assert x_train.shape == (6, 28, 28) and x_train.dtype == np.float64
    assert 0 <= x_train.min() and x_train.max() <= 1


# ---------------------------------------------------------------- the real files

def _real_folder(dataset):
    """The folder holding the real files: where TINYGRAD_OPT_DATA leads, or next to it (CI
    points it at the MNIST folder), or ../shared/data/<dataset>; skip the test if none."""
    env = os.environ.get("TINYGRAD_OPT_DATA")
    candidates = [data_dir(dataset), Path(env).parent / dataset] if env else []
    candidates.append(REPO.parent / "shared" / "data" / dataset)
    labels = "train-labels-idx1-ubyte.gz"
    expected = mnist.SHA256[dataset][labels]
    for folder in candidates:
        # Both datasets use the same file names; a small file's checksum tells them apart.
        if (all((folder / name).is_file() for name in mnist.FILES)
                and hashlib.sha256((folder / labels).read_bytes()).hexdigest() == expected):
            return folder
    pytest.skip(f"the real {dataset} files are not here (set TINYGRAD_OPT_DATA)")


@pytest.fixture(scope="module")
def real_mnist():
    return load_mnist(_real_folder("mnist"), download=False)


def test_real_mnist_shapes_dtypes_labels(real_mnist):
    assert real_mnist.train_images.shape == (60000, 28, 28)
    assert real_mnist.test_images.shape == (10000, 28, 28)
    assert real_mnist.train_images.dtype == np.uint8 and real_mnist.train_labels.dtype == np.uint8
    train_counts = np.bincount(real_mnist.train_labels, minlength=10)
    assert train_counts.sum() == 60000 and train_counts[1] == 6742
    assert list(train_counts) == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    assert np.bincount(real_mnist.test_labels, minlength=10).sum() == 10000
    assert real_mnist.train_labels.max() == 9 and real_mnist.test_labels.max() == 9


def test_real_mnist_mean_std_are_the_courses(real_mnist):
    mean, std = train_mean_std(real_mnist.train_images)
    assert mean == pytest.approx(0.1307, abs=5e-5) and std == pytest.approx(0.3081, abs=5e-5)
    assert mean == pytest.approx(0.1306604763, abs=1e-9) and std == pytest.approx(0.3081078039, abs=1e-9)


def test_real_load_mnist_arrays(real_mnist):
    x_train, y_train, x_test, y_test = load_mnist_arrays(_real_folder("mnist"), download=False)
    assert x_train.shape == (60000, 784) and x_train.dtype == np.float32
    assert x_test.shape == (10000, 784) and y_test.shape == (10000,) and y_train.dtype == np.int64
    assert float(x_train.mean(dtype=np.float64)) == pytest.approx(0.1307, abs=5e-5)
    np.testing.assert_array_equal(y_train, real_mnist.train_labels)


def test_real_fashion_mnist():
    data = load_mnist(_real_folder("fashion-mnist"), dataset="fashion-mnist", download=False)
    assert data.train_images.shape == (60000, 28, 28) and data.test_images.shape == (10000, 28, 28)
    assert list(np.bincount(data.train_labels)) == [6000] * 10
    assert list(np.bincount(data.test_labels)) == [1000] * 10
    assert train_mean_std(data.train_images)[0] == pytest.approx(0.2860406, abs=1e-7)


# ---------------------------------------------------------------- minibatches

def _epoch(batches):
    """An epoch's batches as NumPy pairs; each batch must come as a pair of Tensors."""
    return [_host(xb, yb) for xb, yb in batches]


def _host(xb, yb):
    assert isinstance(xb, tinygrad_opt.Tensor) and isinstance(yb, tinygrad_opt.Tensor)
    assert not xb.requires_grad and not yb.requires_grad
    return xb.numpy().copy(), yb.numpy().copy()


def _labels(batches):
    return [_host(xb, yb)[1] for xb, yb in batches]


def test_each_epoch_covers_every_example_once():
    x, y = np.arange(10) * 10, np.arange(10)
    batches = MinibatchIterator(x, y, batch_size=3, seed=1)
    assert len(batches) == 4
    for _ in range(3):
        epoch = _epoch(batches)
        assert [len(yb) for _, yb in epoch] == [3, 3, 3, 1]
        seen = np.concatenate([yb for _, yb in epoch])
        assert sorted(seen) == list(range(10))
        assert all(np.array_equal(xb, yb * 10) for xb, yb in epoch)   # x and y stay paired


def test_drop_last():
    batches = MinibatchIterator(np.arange(10), np.arange(10), batch_size=3, drop_last=True)
    assert len(batches) == 3
    epoch = _epoch(batches)
    assert [len(yb) for _, yb in epoch] == [3, 3, 3]
    assert len(set(np.concatenate([yb for _, yb in epoch]))) == 9


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 40), batch_size=st.integers(1, 45), drop_last=st.booleans(),
       shuffle=st.booleans(), seed=st.integers(0, 2**32))
def test_epochs_partition_the_examples(n, batch_size, drop_last, shuffle, seed):
    if drop_last and batch_size > n:
        return
    batches = MinibatchIterator(np.arange(n), np.arange(n), batch_size, shuffle, seed, drop_last)
    for _ in range(2):
        seen = _labels(batches)
        assert len(seen) == len(batches)
        flat = np.concatenate(seen)
        assert len(set(flat)) == len(flat) == (n // batch_size * batch_size if drop_last else n)


def test_same_seed_same_batches_and_epochs_differ():
    x = np.arange(100)
    first, again = MinibatchIterator(x, x, 10, seed=3), MinibatchIterator(x, x, 10, seed=3)
    epochs = [np.concatenate(_labels(first)) for _ in range(3)]
    epochs_again = [np.concatenate(_labels(again)) for _ in range(3)]
    assert all(np.array_equal(a, b) for a, b in zip(epochs, epochs_again, strict=True))
    assert not np.array_equal(epochs[0], epochs[1]) and not np.array_equal(epochs[1], epochs[2])
    other_seed = np.concatenate(_labels(MinibatchIterator(x, x, 10, seed=4)))
    assert not np.array_equal(epochs[0], other_seed)
    assert epochs[1].tolist() == MinibatchIterator(x, x, 10, seed=3).epoch_order(1).tolist()


def test_no_shuffle_keeps_the_order():
    x = np.arange(7)
    batches = MinibatchIterator(x, x, 3, shuffle=False)
    assert [yb.tolist() for yb in _labels(batches)] == [[0, 1, 2], [3, 4, 5], [6]]
    assert [yb.tolist() for yb in _labels(batches)] == [[0, 1, 2], [3, 4, 5], [6]]


@pytest.mark.parametrize("stop_after", [0, 1, 5, 7, 8, 13, 16])
def test_resume_from_state_dict_sees_the_same_batches(stop_after):
    x = np.arange(50)
    uninterrupted = MinibatchIterator(x, x, 7, seed=5)      # 8 batches per epoch
    reference = [yb.tolist() for _ in range(3) for yb in _labels(uninterrupted)]

    # Train on batches, checkpointing after each, until the run is killed.
    killed = MinibatchIterator(x, x, 7, seed=5)
    seen, checkpoint = [], killed.state_dict()
    while len(seen) < stop_after:
        for _, yb in killed:
            seen.append(yb.numpy().tolist())
            checkpoint = killed.state_dict()
            if len(seen) == stop_after:
                break

    resumed = MinibatchIterator(x, x, 7, seed=5)
    resumed.load_state_dict(checkpoint)
    while len(seen) < len(reference):
        seen += [yb.tolist() for yb in _labels(resumed)]
    assert seen == reference


def test_state_counts_batches_and_iteration_continues_mid_epoch():
    x = np.arange(10)
    batches = MinibatchIterator(x, x, 4, seed=0)            # 3 batches per epoch
    assert (batches.epoch, batches.position) == (0, 0)
    for _ in batches:
        break
    assert batches.state_dict()["batches_done"] == 1 and (batches.epoch, batches.position) == (0, 1)
    assert len(list(batches)) == 2                           # the rest of epoch 0
    assert (batches.epoch, batches.position) == (1, 0)
    assert len(list(batches)) == 3


def test_load_state_dict_refuses_other_settings():
    x = np.arange(10)
    state = MinibatchIterator(x, x, 4, seed=0).state_dict()
    with pytest.raises(ValueError, match="saved iterator has seed=0, this one has seed=1"):
        MinibatchIterator(x, x, 4, seed=1).load_state_dict(state)
    with pytest.raises(ValueError, match="batch_size=4, this one has batch_size=5"):
        MinibatchIterator(x, x, 5, seed=0).load_state_dict(state)
    with pytest.raises(ValueError, match="mnist_optimizers --resume.*use the same --seed and batch size"):
        MinibatchIterator(x, x, 4, seed=1).load_state_dict(state)


@pytest.mark.parametrize("kwargs, message", [
    (dict(batch_size=0), "batch_size must be a positive integer, got 0"),
    (dict(batch_size=2.5), "batch_size must be a positive integer, got 2.5"),
    (dict(batch_size=True), "batch_size must be a positive integer, got True"),
    (dict(batch_size=11, drop_last=True), "leaves no batch"),
    (dict(batch_size=2, seed=-1), "seed must be a non-negative integer"),
])
def test_iterator_validates_its_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        MinibatchIterator(np.arange(10), np.arange(10), **kwargs)


def test_x_and_y_must_have_the_same_length():
    with pytest.raises(ValueError, match="same number of examples, got 10 and 9"):
        MinibatchIterator(np.arange(10), np.arange(9), 2)
    with pytest.raises(ValueError, match="same number of examples"):
        sample_minibatch(np.arange(10), np.arange(9), 2, np.random.default_rng(0))


def test_batches_stay_on_the_arrays_device():
    """On a device backend (the stand-in GPU) the batches are Tensors of that backend: the
    arrays are only indexed, never copied to the host."""
    fake = backend.get("fakegpu")
    x, y = fake.from_host(np.arange(10) * 2), fake.from_host(np.arange(10))
    epoch = list(MinibatchIterator(x, y, 4, seed=0))
    assert all(backend.backend_of(b.array) is fake for pair in epoch for b in pair)
    assert sorted(np.concatenate([yb.numpy() for _, yb in epoch])) == list(range(10))
    xb, yb = sample_minibatch(x, y, 3, np.random.default_rng(0))
    assert backend.backend_of(xb.array) is fake
    np.testing.assert_array_equal(xb.numpy(), yb.numpy() * 2)
    xs, ys = subset(x, y, n=5, seed=0)
    assert backend.backend_of(xs) is fake and len(xs) == len(ys) == 5


def test_iterators_take_tensors_too():
    x, y = tinygrad_opt.Tensor(np.arange(10.0)), tinygrad_opt.Tensor(np.arange(10))
    xb, yb = next(iter(MinibatchIterator(x, y, 4, seed=0)))
    np.testing.assert_array_equal(xb.numpy(), yb.numpy())
    xs, ys = subset(x, y, n=5, seed=0)
    assert isinstance(xs, tinygrad_opt.Tensor) and np.array_equal(xs.numpy(), ys.numpy())


def test_sample_minibatch():
    x, y = np.arange(100) * 3, np.arange(100)
    rng = np.random.default_rng(0)
    xb, yb = _host(*sample_minibatch(x, y, 20, rng))
    assert xb.shape == (20,) and len(set(yb)) == 20 and np.array_equal(xb, yb * 3)
    yb2 = sample_minibatch(x, y, 20, rng)[1].numpy()
    assert not np.array_equal(yb, yb2)                      # the generator moves on
    yb_again = sample_minibatch(x, y, 20, np.random.default_rng(0))[1].numpy()
    np.testing.assert_array_equal(yb, yb_again)             # same seed, same batch
    assert sorted(sample_minibatch(x, y, 100, rng)[1].numpy()) == list(range(100))
    with pytest.raises(ValueError, match="num_points=101 is more than the 100 examples"):
        sample_minibatch(x, y, 101, rng)
    with pytest.raises(TypeError, match="numpy.random.Generator"):
        sample_minibatch(x, y, 5, 0)


def test_sample_minibatch_has_the_courses_signature():
    """sample_minibatch(input_data, target_data, num_points=100, rng=None), as in the course;
    without rng it draws from the generator manual_seed seeds."""
    x, y = np.arange(500) * 3, np.arange(500)
    xb, yb = _host(*sample_minibatch(x, y))
    assert xb.shape == yb.shape == (100,) and len(set(yb)) == 100 and np.array_equal(xb, yb * 3)
    xb, yb = _host(*sample_minibatch(input_data=x, target_data=y, num_points=7, rng=np.random.default_rng(1)))
    np.testing.assert_array_equal(yb, sample_minibatch(x, y, 7, np.random.default_rng(1))[1].numpy())
    tinygrad_opt.manual_seed(3)
    first = sample_minibatch(x, y, num_points=10)[1].numpy()
    tinygrad_opt.manual_seed(3)
    np.testing.assert_array_equal(sample_minibatch(x, y, num_points=10)[1].numpy(), first)


def test_subset_is_seeded_and_distinct():
    images = np.arange(1000 * 4).reshape(1000, 2, 2)
    labels = np.arange(1000)
    xs, ys = subset(images, labels, seed=7)
    assert xs.shape == (500, 2, 2) and len(set(ys)) == 500
    np.testing.assert_array_equal(xs[:, 0, 0], ys * 4)
    np.testing.assert_array_equal(subset(images, labels, seed=7)[1], ys)
    assert not np.array_equal(subset(images, labels, seed=8)[1], ys)
    with pytest.raises(ValueError, match="n=1001 is more than the 1000 examples"):
        subset(images, labels, n=1001)
