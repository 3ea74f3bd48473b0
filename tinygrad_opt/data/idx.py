"""The IDX file format: how MNIST stores its images and labels.

An IDX file is a tiny header followed by the raw array, row-major (C order)::

    byte 0, 1   0x00 0x00                 always zero
    byte 2      type code of the entries  (see TYPES below)
    byte 3      ndim, the number of dimensions
    then        ndim sizes, each a big-endian unsigned 32-bit integer
    then        prod(sizes) entries, each big-endian, no padding

So ``train-images-idx3-ubyte`` starts ``00 00 08 03`` (uint8, 3 dims), then
60000, 28, 28, then 47,040,000 pixel bytes: ``images: (60000, 28, 28) uint8``.
``train-labels-idx1-ubyte`` starts ``00 00 08 01``, then 60000, then one byte
per label: ``labels: (60000,) uint8``.

The files are usually distributed gzip-compressed (``*.gz``). ``read_idx``
recognises gzip by its first two bytes (1f 8b), not by the file name, so a
renamed file still reads.
"""
import gzip
import io
import math
import struct
import zlib
from pathlib import Path

import numpy as np

# type code -> big-endian NumPy dtype of one entry
TYPES = {
    0x08: np.dtype(">u1"),  # unsigned byte
    0x09: np.dtype(">i1"),  # signed byte
    0x0B: np.dtype(">i2"),  # short
    0x0C: np.dtype(">i4"),  # int
    0x0D: np.dtype(">f4"),  # float
    0x0E: np.dtype(">f8"),  # double
}

GZIP_MAGIC = b"\x1f\x8b"


class IDXError(ValueError):
    """A file is not a valid IDX file; the message names the file and the problem."""


# The largest array read_idx allocates unless told otherwise: 2 GiB (MNIST's largest file
# holds 47 MB). A header is read first, so a crafted or damaged one that declares more is
# refused before any memory is taken.
MAX_BYTES = 1 << 31


def read_idx(path, max_bytes=MAX_BYTES):
    """Read an IDX file (raw or gzip-compressed) into a NumPy array.

    Returns a new, writable array in native byte order with the shape and
    dtype the header declares, e.g. ``(60000, 28, 28) uint8``.
    Raises ``IDXError`` (a ``ValueError``) naming the file for a truncated or corrupt
    file, for bytes after the declared data, and for a header that declares more than
    ``max_bytes`` of data -- before allocating anything.

    Bounded: the header is read first, then exactly the bytes it declares (a gzip file is
    decompressed as it is read, never more than that), then one byte to check the file ends.
    """
    path = Path(path)
    with open(path, "rb") as f:
        return _read_stream(f, str(path), max_bytes)


def parse_idx(data, source="<bytes>", max_bytes=MAX_BYTES):
    """Parse the bytes of an IDX file (raw or gzip); ``source`` names it in errors."""
    return _read_stream(io.BytesIO(data), source, max_bytes)


def _read_stream(f, source, max_bytes):
    if f.read(2) == GZIP_MAGIC:
        f.seek(0)
        f = gzip.GzipFile(fileobj=f, mode="rb")
    else:
        f.seek(0)
    try:
        return _read_array(f, source, max_bytes)
    except (EOFError, OSError, zlib.error) as e:
        # EOFError: stream cut short; BadGzipFile (an OSError): bad header
        # or CRC; zlib.error: damaged compressed data.
        raise IDXError(f"{source}: corrupt gzip stream ({e}); file truncated or damaged?") from e


def _read_array(f, source, max_bytes):
    magic = f.read(4)
    if len(magic) < 4:
        raise IDXError(f"{source}: expected a 4-byte IDX header, found {len(magic)} bytes (file truncated?)")
    zero0, zero1, type_code, ndim = magic
    if zero0 != 0 or zero1 != 0:
        raise IDXError(f"{source}: not an IDX file: expected magic bytes 00 00 <type> <ndim>, "
                       f"found {magic.hex(' ')}")
    if type_code not in TYPES:
        known = ", ".join(f"0x{code:02X}" for code in TYPES)
        raise IDXError(f"{source}: unknown IDX type code 0x{type_code:02X}; expected one of {known}")
    if ndim == 0:
        raise IDXError(f"{source}: IDX header declares 0 dimensions; expected at least 1")

    sizes = f.read(4 * ndim)
    if len(sizes) < 4 * ndim:
        raise IDXError(f"{source}: expected {ndim} dimension sizes ({4 + 4 * ndim}-byte header), "
                       f"found only {4 + len(sizes)} bytes (file truncated?)")
    shape = struct.unpack(f">{ndim}I", sizes)
    dtype = TYPES[type_code]
    expected = math.prod(shape) * dtype.itemsize
    if expected > max_bytes:
        raise IDXError(f"{source}: the header declares shape {shape} ({dtype.name}), {expected} bytes of data, "
                       f"more than the limit of {max_bytes} bytes; a damaged or crafted header? "
                       f"(read_idx(path, max_bytes=...) raises the limit)")

    # Read into one buffer of the declared size: never more memory than the array needs.
    buffer = bytearray(expected)
    found = f.readinto(buffer) if expected else 0
    while found < expected:
        more = f.readinto(memoryview(buffer)[found:])
        if not more:
            break
        found += more
    if found < expected:
        raise IDXError(f"{source}: expected {expected} bytes of data ({dtype.name}) for shape {shape}, "
                       f"found {found} (file truncated?)")
    if f.read(1):
        raise IDXError(f"{source}: expected {expected} bytes of data ({dtype.name}) for shape {shape}, "
                       f"found more (trailing bytes after the data)")
    # astype copies: the result owns writable memory in native byte order.
    array = np.frombuffer(buffer, dtype=dtype).reshape(shape)
    return array.astype(dtype.newbyteorder("="))


def write_idx(path, array):
    """Write ``array`` as an IDX file; gzip-compress it if the name ends in ``.gz``.

    The dtype must be one IDX can hold: uint8, int8, int16, int32, float32 or
    float64. Used to make small test files; ``read_idx(path)`` gives the array back.
    """
    array = np.asarray(array)
    type_code = next((code for code, dtype in TYPES.items() if dtype == array.dtype.newbyteorder(">")), None)
    if type_code is None:
        names = ", ".join(dtype.name for dtype in TYPES.values())
        raise TypeError(f"IDX cannot store dtype {array.dtype}; use one of {names}")
    if not 1 <= array.ndim <= 255:
        raise ValueError(f"IDX needs 1 to 255 dimensions, got {array.ndim}")
    if any(size >= 2**32 for size in array.shape):
        raise ValueError(f"IDX sizes are 32-bit; shape {array.shape} is too large")

    header = bytes([0, 0, type_code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    data = header + array.astype(TYPES[type_code]).tobytes()
    path = Path(path)
    if path.name.endswith(".gz"):
        data = gzip.compress(data, mtime=0)  # mtime=0: same array, same bytes
    path.write_bytes(data)
