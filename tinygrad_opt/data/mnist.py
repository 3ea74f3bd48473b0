"""MNIST and Fashion-MNIST: find the four files, check them, read them, scale the pixels.

Each dataset is four gzip-compressed IDX files (see ``idx.py``), same names for both::

    train-images-idx3-ubyte.gz   train_images  (60000, 28, 28) uint8, pixels 0..255
    train-labels-idx1-ubyte.gz   train_labels  (60000,) uint8, classes 0..9
    t10k-images-idx3-ubyte.gz    test_images   (10000, 28, 28) uint8
    t10k-labels-idx1-ubyte.gz    test_labels   (10000,) uint8

Where the files are looked for -- the first of these that is given picks a base folder B:

    1. the ``root`` argument,
    2. the environment variable ``TINYGRAD_OPT_DATA``,
    3. the per-user cache: ``$XDG_CACHE_HOME/tinygrad_opt/<dataset>``
       (``~/.cache/tinygrad_opt/<dataset>`` when XDG_CACHE_HOME is unset).

For 1 and 2: if B has a subfolder named after the dataset (``mnist`` or ``fashion-mnist``)
the files are in that subfolder, otherwise directly in B. So TINYGRAD_OPT_DATA may name
the folder that holds the four MNIST files, or a parent holding ``mnist/`` and
``fashion-mnist/``.

Uncompressed MNIST files (the same names without ``.gz``, as ``gunzip`` leaves them) are
used where the ``.gz`` file is absent. Every file's SHA-256 is compared with the published
one (``SHA256`` below) before its bytes are used; a mismatch raises ``ChecksumError``. Missing files are downloaded from
the public mirrors when ``download=True``, into a temporary file in the same folder,
verified, and only then renamed to their final name. When they cannot be found or
downloaded, ``DatasetNotFoundError`` says which files to put where.
"""
import hashlib
import http.client
import math
import os
import sys
import tempfile
import urllib.request
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ..checkpoint import file_mode
from .idx import parse_idx

ENV_VAR = "TINYGRAD_OPT_DATA"

FILES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)

# SHA-256 of the .gz files. The official pages publish MD5s; these files match them
# (MNIST: f68b3c2d.., d53e105e.., 9fb629c4.., ec29112d..; Fashion-MNIST: 8d4fb7e6..,
# 25c81989.., bef4ecab.., bb300cfd..), and SHA-256 is the stronger check. For MNIST also
# those of the uncompressed files (their MD5s, 6bbc9ace.., a25bea73.., 2646ac64..,
# 27ae3e4e.., are the published ones too): a file name listed here is accepted.
SHA256 = {
    "mnist": {
        "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
        "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    },
    "fashion-mnist": {
        "train-images-idx3-ubyte.gz": "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
        "train-labels-idx1-ubyte.gz": "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
        "t10k-images-idx3-ubyte.gz": "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
        "t10k-labels-idx1-ubyte.gz": "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
    },
}

MIRRORS = {
    "mnist": (
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
    ),
    "fashion-mnist": ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
}

DISPLAY_NAMES = {"mnist": "MNIST", "fashion-mnist": "Fashion-MNIST"}

# Seconds a download may wait to connect, or for the next bytes: short, so that offline the
# message comes fast, while a slow download that keeps sending still finishes.
DOWNLOAD_TIMEOUT = 10

# The network goes through this one name so that tests can replace it.
_urlopen = urllib.request.urlopen


class ChecksumError(ValueError):
    """A dataset file's SHA-256 is not the published one; the file was not used."""


class DatasetNotFoundError(FileNotFoundError):
    """Dataset files are missing and could not be downloaded."""


class MNISTData(NamedTuple):
    """The four arrays of MNIST or Fashion-MNIST, exactly as stored in the files."""
    train_images: np.ndarray  # (60000, 28, 28) uint8
    train_labels: np.ndarray  # (60000,) uint8
    test_images: np.ndarray   # (10000, 28, 28) uint8
    test_labels: np.ndarray   # (10000,) uint8


def data_dir(dataset="mnist", root=None):
    """The folder where ``dataset``'s four files are, or will be downloaded to.

    The rule is in this module's docstring: ``root``, else $TINYGRAD_OPT_DATA,
    else the user cache; a subfolder named after the dataset is preferred.
    """
    _check_dataset(dataset)
    base = root if root is not None else os.environ.get(ENV_VAR) or None
    if base is not None:
        base = Path(base).expanduser()
        return base / dataset if (base / dataset).is_dir() else base
    cache = os.environ.get("XDG_CACHE_HOME", "")
    # The XDG spec says to ignore a relative XDG_CACHE_HOME.
    cache = Path(cache) if os.path.isabs(cache) else Path.home() / ".cache"
    return cache / "tinygrad_opt" / dataset


def load_mnist(root=None, *, dataset="mnist", download=True):
    """Load MNIST (or ``dataset="fashion-mnist"``) as four uint8 arrays: an ``MNISTData``.

    Files are found as ``data_dir`` says, downloaded if missing and ``download`` is
    true, and checked against their SHA-256 before being read.
    """
    folder = data_dir(dataset, root)
    missing = [name for name in FILES if _find(dataset, folder, name) is None]
    if missing and download:
        _download_missing(dataset, folder, missing)
    elif missing:
        raise DatasetNotFoundError(_not_found_message(dataset, folder, missing, failures=()))
    return MNISTData(*(_read_verified(dataset, _find(dataset, folder, name)) for name in FILES))


def train_mean_std(train_images):
    """Mean and standard deviation of the pixels, on the 0..1 scale (pixel / 255).

    For MNIST's training images: 0.1307 and 0.3081, the course's numbers. Pass the
    *training* images: standardising test data with its own statistics would use
    information a model may not see.

    ``train_images``: uint8 array, any shape. Sums of integers are exact, so the
    variance comes from exact sums of x and x^2 (uint64 cannot overflow: 47e6 * 255^2
    < 2^42) with no cancellation error, and no float copy of the 47 million pixels.
    The standard deviation is the population one (divide by N; the course's torch
    ``.std()`` divides by N - 1, which at N = 47 million changes the 8th digit).
    """
    if train_images.dtype != np.uint8:
        raise TypeError(f"train_mean_std expects the raw uint8 images, got dtype {train_images.dtype}")
    pixels = train_images.reshape(-1)
    n = pixels.size
    sum_x = int(pixels.sum(dtype=np.uint64))
    # einsum multiplies and adds in one pass, without a squared copy of the pixels.
    sum_xx = int(np.einsum("i,i->", pixels, pixels, dtype=np.uint64))
    variance = (n * sum_xx - sum_x**2) / n**2  # exact integer numerator, then one division
    return sum_x / n / 255, math.sqrt(variance) / 255


def normalize(images, mode="unit", *, mean=None, std=None, dtype=np.float32):
    """Turn uint8 pixels into floats for a network.

    mode="unit":      x = pixel / 255, in [0, 1].
    mode="standard":  x = (pixel / 255 - mean) / std, with ``mean, std`` from
                      ``train_mean_std(train_images)`` (also for the test images).
    ``images``: uint8, any shape; the result has the same shape and ``dtype``.
    """
    if mode not in ("unit", "standard"):
        raise ValueError(f"normalize mode must be 'unit' or 'standard', got {mode!r}")
    if mode == "standard" and (mean is None or std is None):
        raise ValueError("normalize(mode='standard') needs mean= and std= of the training set; "
                         "get them from train_mean_std(train_images)")
    x = np.divide(images, 255, dtype=dtype)
    if mode == "standard":
        # In place: the float copy of 60000 images is 188 MB; avoid making more.
        x -= mean
        x /= std
    return x


# load_mnist_arrays has a parameter called `normalize`; this name reaches the function.
_normalize = normalize


def load_mnist_arrays(root=None, *, dataset="mnist", normalize="unit", flatten=True,
                      dtype=np.float32, download=True):
    """MNIST ready for training: ``(x_train, y_train, x_test, y_test)``.

    x_train: (60000, 784) ``dtype``, or (60000, 28, 28) with flatten=False
    y_train: (60000,) int64, classes 0..9
    x_test, y_test: the same for the 10000 test examples.
    ``normalize``: "unit" (pixel / 255) or "standard" (minus the training mean,
    over the training std; see ``normalize``).
    """
    data = load_mnist(root, dataset=dataset, download=download)
    mean, std = train_mean_std(data.train_images) if normalize == "standard" else (None, None)
    x_train = _normalize(data.train_images, normalize, mean=mean, std=std, dtype=dtype)
    x_test = _normalize(data.test_images, normalize, mean=mean, std=std, dtype=dtype)
    if flatten:
        x_train = x_train.reshape(len(x_train), -1)
        x_test = x_test.reshape(len(x_test), -1)
    return x_train, data.train_labels.astype(np.int64), x_test, data.test_labels.astype(np.int64)


def _check_dataset(dataset):
    if dataset not in SHA256:
        raise ValueError(f"unknown dataset {dataset!r}; expected one of {', '.join(SHA256)}")


def _find(dataset, folder, name):
    """The file in ``folder`` that holds ``name`` (a .gz name): itself, else its uncompressed
    form if that one has a known checksum; None if neither is there."""
    for candidate in (name, name.removesuffix(".gz")):
        if candidate in SHA256[dataset] and (folder / candidate).is_file():
            return folder / candidate
    return None


def _read_verified(dataset, path):
    # One read: the bytes that are hashed are the bytes that are parsed, so the file
    # cannot change in between, and parsing needs the whole file in memory anyway.
    data = path.read_bytes()
    expected = SHA256[dataset][path.name]
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        raise ChecksumError(_checksum_message(dataset, path, expected, actual))
    return parse_idx(data, source=str(path))


def _checksum_message(dataset, path, expected, actual):
    others = [other for other in SHA256 if SHA256[other].get(path.name) == actual]
    what = (f"it is the {DISPLAY_NAMES[others[0]]} file of that name" if others
            else "damaged or a different file")
    return (f"{path}: SHA-256 mismatch for {DISPLAY_NAMES[dataset]}: expected {expected}, "
            f"found {actual} ({what}). The file was not used; delete it to download it again, "
            f"or replace it with a good copy.")


def _download_missing(dataset, folder, missing):
    for name in missing:
        failures = []
        for mirror in MIRRORS[dataset]:
            failure = _download(mirror + name, folder / name, SHA256[dataset][name])
            if failure is None:
                break
            failures.append(f"{mirror + name}: {failure}")
        else:
            # Every mirror failed for this file; most likely we are offline, so stop here.
            still_missing = [other for other in missing if _find(dataset, folder, other) is None]
            raise DatasetNotFoundError(_not_found_message(dataset, folder, still_missing, failures))


def _download(url, destination, expected_sha256):
    """Fetch ``url`` to ``destination``; return None on success, else why it failed."""
    print(f"downloading {url} -> {destination}", file=sys.stderr)
    temporary = None
    try:
        destination.parent.mkdir(parents=True, exist_ok=True)
        # Same folder as the destination, so os.replace is an atomic rename: readers see
        # either no file or the whole verified file, never a partial download.
        handle, temporary = tempfile.mkstemp(dir=destination.parent, prefix=destination.name + ".",
                                             suffix=".part")
        os.chmod(temporary, file_mode())    # as open() would: readable by others under umask 022
        digest = hashlib.sha256()
        with os.fdopen(handle, "wb") as out, _urlopen(url, timeout=DOWNLOAD_TIMEOUT) as response:
            while chunk := response.read(1 << 20):
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() != expected_sha256:
            return f"SHA-256 of the download is {digest.hexdigest()}, expected {expected_sha256}; discarded"
        os.replace(temporary, destination)
        return None
    except (OSError, http.client.HTTPException) as e:  # URLError and timeouts are OSErrors
        return f"{type(e).__name__}: {e}"
    finally:
        if temporary is not None and os.path.exists(temporary):
            os.remove(temporary)


def _not_found_message(dataset, folder, missing, failures):
    name = DISPLAY_NAMES[dataset]
    lines = [f"{name} files missing in {folder}: {', '.join(missing)}."]
    if failures:
        lines += ["Download failed:"] + [f"  {failure}" for failure in failures]
    lines += [f"To fix: put these files (from {' or '.join(MIRRORS[dataset])}) into {folder}:"]
    lines += [f"  {file}" for file in missing]
    if any(name.removesuffix(".gz") in SHA256[dataset] for name in missing):
        lines += ["(gzip-compressed, or uncompressed under the same name without .gz)"]
    lines += [f"or put all four {name} files in a folder of your choice and point to it with",
              f"  export {ENV_VAR}=/path/to/that/folder",
              f"(or to a folder with a {dataset}/ subfolder), or pass root=... to the loader",
              "(on an experiment's command line: --data /path/to/that/folder)."]
    return "\n".join(lines)
