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


def read_idx(path):
    """Read an IDX file (raw or gzip-compressed) into a NumPy array.

    Returns a new, writable array in native byte order with the shape and
    dtype the header declares, e.g. ``(60000, 28, 28) uint8``.
    Raises ``IDXError`` (a ``ValueError``) for a truncated or corrupt file.
    """
    path = Path(path)
    return parse_idx(path.read_bytes(), source=str(path))


def parse_idx(data, source="<bytes>"):
    """Parse the bytes of an IDX file (raw or gzip); ``source`` names it in errors."""
    if data[:2] == GZIP_MAGIC:
        try:
            data = gzip.decompress(data)
        except (EOFError, OSError, zlib.error) as e:
            # EOFError: stream cut short; BadGzipFile (an OSError): bad header
            # or CRC; zlib.error: damaged compressed data.
            raise IDXError(f"{source}: corrupt gzip stream ({e}); file truncated or damaged?") from e

    if len(data) < 4:
        raise IDXError(f"{source}: expected a 4-byte IDX header, found {len(data)} bytes (file truncated?)")
    zero0, zero1, type_code, ndim = data[:4]
    if zero0 != 0 or zero1 != 0:
        raise IDXError(f"{source}: not an IDX file: expected magic bytes 00 00 <type> <ndim>, "
                       f"found {data[:4].hex(' ')}")
    if type_code not in TYPES:
        known = ", ".join(f"0x{code:02X}" for code in TYPES)
        raise IDXError(f"{source}: unknown IDX type code 0x{type_code:02X}; expected one of {known}")
    if ndim == 0:
        raise IDXError(f"{source}: IDX header declares 0 dimensions; expected at least 1")

    header_size = 4 + 4 * ndim
    if len(data) < header_size:
        raise IDXError(f"{source}: expected {ndim} dimension sizes ({header_size}-byte header), "
                       f"found only {len(data)} bytes (file truncated?)")
    shape = struct.unpack_from(f">{ndim}I", data, 4)
    dtype = TYPES[type_code]

    expected = math.prod(shape) * dtype.itemsize
    found = len(data) - header_size
    if found != expected:
        hint = "file truncated?" if found < expected else "trailing bytes after the data"
        raise IDXError(f"{source}: expected {expected} bytes of data ({dtype.name}) for shape {shape}, "
                       f"found {found} ({hint})")

    # astype copies: the result owns writable memory in native byte order.
    array = np.frombuffer(data, dtype=dtype, offset=header_size).reshape(shape)
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
