"""Array backends: NumPy on the CPU, CuPy on the GPU, one engine over both.

The engine never calls ``numpy`` on tensor data. Every op asks the array it was given
for its module, ``xp = get_array_module(x)``, and calls ``xp.exp``, ``xp.zeros_like`` and
so on, so the same line of code runs on NumPy arrays (host memory) and CuPy arrays
(device memory). This is the trick DeZero and Chainer use (``cuda.get_array_module``).

A :class:`Backend` names one such array library:

* ``name``    -- ``"numpy"`` or ``"cupy"`` (tests add a stand-in, see ``tests/fake_device.py``)
* ``device``  -- ``"cpu"`` or ``"gpu"``: where its arrays live
* ``xp``      -- the module whose functions operate on those arrays
* ``to_host`` / ``from_host`` -- copy an array to a NumPy array and back
* ``synchronize`` -- wait until the device has finished the work queued so far (a GPU call
  returns before its kernels have run, so timing GPU work needs it; nothing to do for NumPy)

New tensors go to the *default* backend: ``TINYGRAD_OPT_BACKEND=numpy|cupy`` in the
environment, or ``tinygrad_opt.backend.use("cupy")`` in code.

Randomness: parameters are initialised from one seeded NumPy ``Generator`` on the host
and then copied to the backend, so ``manual_seed(0)`` gives the *same* initial weights on
the CPU and on the GPU. Each backend's own generator (CuPy's) is seeded too.
"""
from __future__ import annotations

import os
from typing import Any

import numpy

# A NumPy or CuPy array (or the array of a backend registered by the tests): what ``t.array`` holds.
# Any, because the two libraries share no base class; the name says what is meant.
Array = Any


class BackendError(RuntimeError):
    """A backend was asked for that cannot be used here (not installed, no GPU, unknown)."""


class Backend:
    """One array library: its name, its device, its module and how to copy to/from the host."""

    def __init__(self, name, device, xp, array_types, to_host, from_host, seed=None, synchronize=None):
        self.name = name
        self.device = device
        self.xp = xp
        self.array_types = tuple(array_types)
        self.to_host = to_host
        self.from_host = from_host
        self.seed = seed
        self.synchronize = synchronize if synchronize is not None else _nothing_queued

    def __repr__(self):
        return f"Backend(name={self.name!r}, device={self.device!r})"


def _nothing_queued():
    """``synchronize`` of a backend whose calls finish before they return (NumPy)."""


NUMPY = Backend("numpy", "cpu", numpy, (numpy.ndarray, numpy.generic),
                to_host=numpy.asarray, from_host=numpy.asarray, seed=None)

_backends = {"numpy": NUMPY}        # name -> Backend
_devices = {"cpu": NUMPY}           # device -> Backend that new arrays of that device use
_by_type = {numpy.ndarray: NUMPY}   # exact array type -> Backend (fast path of backend_of)
_default = None                     # chosen on first use, so the env var can be set after import
_default_dtype = numpy.dtype(numpy.float32)
_host_rng = numpy.random.default_rng()
_last_seed = None                   # manual_seed's argument, for backends registered after it


def register(backend):
    """Make ``backend`` known by name and as the backend of its device.

    CuPy registers itself on first use; tests register a stand-in GPU backend this way.
    A backend registered after ``manual_seed(s)`` is seeded with ``s`` here: CuPy often
    loads only when the first tensor goes to the GPU, after the script has seeded.
    """
    _backends[backend.name] = backend
    _devices[backend.device] = backend
    for t in [t for t, b in _by_type.items() if b.name == backend.name]:    # types found for a replaced one
        del _by_type[t]
    for t in backend.array_types:
        _by_type[t] = backend
    if backend.seed is not None and _last_seed is not None:
        backend.seed(_last_seed)


def _load_cupy():
    try:
        import cupy
    except ImportError as e:
        raise BackendError(
            "backend 'cupy' was asked for, but CuPy is not installed "
            "(pip install 'tinygrad_opt[cuda12]' or '[cuda13]' to match your CUDA)") from e
    try:
        n = cupy.cuda.runtime.getDeviceCount()
    except Exception as e:  # CUDA driver missing or broken: CuPy raises its own runtime errors
        raise BackendError(f"backend 'cupy': CuPy is installed but no GPU is visible ({e})") from e
    if n == 0:
        raise BackendError("backend 'cupy': CuPy is installed but no GPU is visible (0 devices)")

    def synchronize():
        cupy.cuda.Device().synchronize()      # all queued work on the current GPU, every stream

    register(Backend("cupy", "gpu", cupy, (cupy.ndarray,),
                     to_host=cupy.asnumpy, from_host=cupy.asarray, seed=cupy.random.seed,
                     synchronize=synchronize))


def get(name):
    """The backend called ``name`` ("numpy", "cupy", or one registered by tests)."""
    if name not in _backends and name == "cupy":
        _load_cupy()
    if name not in _backends:
        raise BackendError(f"unknown backend {name!r}; known: {sorted(set(_backends) | {'cupy'})}")
    return _backends[name]


def device(name):
    """``torch.device(name)``: the device's name here, "cpu" or "gpu", for ``.to(...)``.

    PyTorch's "cuda" and "cuda:0" name the GPU (one GPU: other indices are refused).
    """
    if name in ("cuda", "cuda:0"):
        return "gpu"
    if name not in ("cpu", "gpu"):
        raise BackendError(f"unknown device {name!r}; use 'cpu' or 'gpu' ('cuda' and 'cuda:0' name the GPU)")
    return name


def for_device(device):
    """The backend that holds arrays on ``device`` ("cpu" or "gpu"; PyTorch's "cuda" is the GPU);
    a backend name works too."""
    if device in ("cuda", "cuda:0"):
        device = "gpu"
    if device in _devices:
        return _devices[device]
    if device == "gpu":
        _load_cupy()
        return _devices["gpu"]
    if device in _backends or device == "cupy":
        return get(device)
    raise BackendError(f"unknown device {device!r}; use 'cpu' or 'gpu'")


def use(name):
    """Make ``name`` the default backend for new tensors and parameters."""
    global _default
    _default = get(name)
    return _default


def current():
    """The default backend (``TINYGRAD_OPT_BACKEND`` on first use, else NumPy)."""
    if _default is None:
        name = os.environ.get("TINYGRAD_OPT_BACKEND", "numpy") or "numpy"
        try:
            use(name)
        except BackendError as e:   # say where the name came from: it is not in the user's code
            raise BackendError(f"environment variable TINYGRAD_OPT_BACKEND={name!r}: {e}") from e
    return _default


def backend_of(array):
    """The backend an array belongs to, or a ``TypeError`` naming its type."""
    b = _by_type.get(type(array))
    if b is not None:
        return b
    for b in _backends.values():
        if isinstance(array, b.array_types):
            _by_type[type(array)] = b      # a NumPy scalar (numpy.float64), a subclass: found at once next time
            return b
    raise TypeError(f"{type(array).__module__}.{type(array).__name__} is not an array of any "
                    f"known backend ({', '.join(_backends)})")


def get_array_module(array):
    """``numpy`` for a host array, ``cupy`` for a CuPy array: the ``xp`` an op calls."""
    b = _by_type.get(type(array))       # backend_of's fast path, inline: every op calls this
    return (b if b is not None else backend_of(array)).xp


def device_of(array):
    return backend_of(array).device


def to_numpy(array):
    """A host (NumPy) copy or view of any backend's array."""
    return backend_of(array).to_host(array)


def set_default_dtype(dtype):
    """Float dtype of new parameters and of Python numbers turned into tensors (float32 by default)."""
    global _default_dtype
    dtype = numpy.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"set_default_dtype: expected a floating dtype, got {dtype}")
    _default_dtype = dtype


def get_default_dtype():
    return _default_dtype


def manual_seed(seed):
    """Seed the host generator used for initialisation and sampling, and each backend's own
    (a backend registered later, such as CuPy on first use, gets the same seed then)."""
    global _host_rng, _last_seed
    _host_rng = numpy.random.default_rng(seed)
    _last_seed = seed
    for b in _backends.values():
        if b.seed is not None:
            b.seed(seed)


def host_rng():
    """The seeded host ``numpy.random.Generator`` (see :func:`manual_seed`)."""
    return _host_rng


def rng_state():
    """The host generator's state, a plain dict (for checkpoints)."""
    return _host_rng.bit_generator.state


def set_rng_state(state):
    _host_rng.bit_generator.state = state
