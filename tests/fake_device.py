"""A stand-in GPU backend for machines without one: NumPy underneath, CuPy's manners on top.

CuPy arrays live in device memory, so CuPy refuses what would silently copy them to the
host: ``numpy.asarray(gpu_array)`` raises, NumPy functions and ufuncs refuse them, and
mixing a host ``ndarray`` into an operation raises. A framework that calls ``numpy`` on
tensor data works on the CPU and breaks on the GPU. These arrays behave the same way, so
running the op, layer and optimizer tests on this backend makes such a call fail in CI,
with no GPU anywhere.

It plays the role of ``cupy`` for the engine: ``FAKE.xp`` is the module (``fakexp``),
``FakeDeviceArray`` the array type, ``.get()`` copies to the host, and its device is "gpu".
"""
import numbers
import types

import numpy

from tinygrad_opt import backend

_REFUSED = ("FakeDeviceArray: implicit conversion to a NumPy array is not allowed "
            "(device data: use .get(), or backend.to_numpy)")


def _unwrap(x, op):
    """The NumPy array inside a fake array; host ndarrays are refused, as CuPy does."""
    if isinstance(x, FakeDeviceArray):
        return x._a
    if isinstance(x, numpy.ndarray):
        raise TypeError(f"{op}: unsupported type numpy.ndarray mixed with device arrays "
                        f"(a host array reached device code)")
    if isinstance(x, (list, tuple)):
        return type(x)(_unwrap(v, op) for v in x)
    return x


def _unwrap_index(index):
    """An index may hold host integer or boolean arrays: CuPy copies them to the device."""
    if isinstance(index, numpy.ndarray):
        return index
    if isinstance(index, tuple):
        return tuple(_unwrap_index(i) for i in index)
    return _unwrap(index, "index")


def _wrap(r):
    """Device results stay device arrays; like CuPy, reductions give 0-d arrays, not scalars."""
    if isinstance(r, (numpy.ndarray, numpy.generic)):
        return FakeDeviceArray(numpy.asarray(r))
    if isinstance(r, tuple):
        return tuple(_wrap(v) for v in r)
    return r


class FakeDeviceArray:
    """An array in pretend device memory (wraps a private NumPy array ``_a``)."""

    __array_ufunc__ = None     # NumPy ufuncs, and ndarray (op) fake, refuse these arrays

    def __init__(self, a):
        self._a = a

    def __array__(self, *args, **kwargs):
        raise TypeError(_REFUSED)

    def __array_function__(self, func, types_, args, kwargs):
        raise TypeError(f"numpy.{func.__name__} was called on a device array; "
                        f"call it through the array's module (xp = get_array_module(x))")

    def get(self):
        """Copy to the host, as ``cupy.ndarray.get()``."""
        return self._a.copy()

    # attributes
    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    T = property(lambda self: FakeDeviceArray(self._a.T))
    flags = property(lambda self: self._a.flags)
    strides = property(lambda self: self._a.strides)
    base = property(lambda self: None if self._a.base is None else FakeDeviceArray(self._a.base))

    def __len__(self):
        return len(self._a)

    def __repr__(self):
        return f"fake_device_array({self._a!r})"

    def item(self):
        return self._a.item()

    def __float__(self):
        return float(self._a)

    def __int__(self):
        return int(self._a)

    def __bool__(self):
        return bool(self._a)

    def __index__(self):
        return self._a.__index__()

    def __iter__(self):
        return (_wrap(v) for v in self._a)

    def __getitem__(self, index):
        return _wrap(self._a[_unwrap_index(index)])

    def __setitem__(self, index, value):
        self._a[_unwrap_index(index)] = _unwrap(value, "setitem")

    def _method(name):
        def method(self, *args, **kwargs):
            return _wrap(getattr(self._a, name)(*_unwrap(args, name),
                                                **{k: _unwrap(v, name) for k, v in kwargs.items()}))
        method.__name__ = name
        return method

    for _name in ("reshape", "transpose", "swapaxes", "sum", "mean", "max", "min", "argmax", "argmin",
                  "prod", "cumprod", "cumsum", "astype", "copy", "fill", "any", "all", "ravel",
                  "squeeze", "clip", "dot", "std", "var", "view"):
        locals()[_name] = _method(_name)

    def _in_place(name):
        """``a += b`` updates the same array object, as NumPy's and CuPy's do."""
        def method(self, other):
            getattr(self._a, name)(_unwrap(other, name))
            return self
        method.__name__ = name
        return method

    for _name in ("add", "radd", "sub", "rsub", "mul", "rmul", "truediv", "rtruediv", "floordiv",
                  "mod", "pow", "rpow", "matmul", "rmatmul", "neg", "pos", "abs", "invert",
                  "lt", "le", "gt", "ge", "eq", "ne", "and", "or", "xor"):
        _dunder = f"__{_name}__"
        locals()[_dunder] = _method(_dunder)
    for _name in ("iadd", "isub", "imul", "itruediv", "ipow"):
        _dunder = f"__{_name}__"
        locals()[_dunder] = _in_place(_dunder)
    del _name, _dunder, _method, _in_place

    def __hash__(self):
        return id(self)


def _module_function(name, fn):
    def function(*args, **kwargs):
        return _wrap(fn(*_unwrap(args, name), **{k: _unwrap(v, name) for k, v in kwargs.items()}))
    function.__name__ = name
    return function


def _host_to_device(name, fn):
    """``xp.asarray``/``xp.array`` accept host arrays: the explicit host-to-device copy."""
    def function(a, *args, **kwargs):
        if isinstance(a, FakeDeviceArray):
            a = a._a
        elif isinstance(a, numpy.ndarray):
            a = a.copy()
        else:
            a = _unwrap(a, name)
        return _wrap(fn(a, *args, **kwargs))
    function.__name__ = name
    return function


class _UfuncWithAt:
    """``xp.add`` with ``.at`` (unbuffered scatter-add), as CuPy's ufuncs have."""

    def __init__(self, ufunc):
        self._ufunc = ufunc
        self.__name__ = ufunc.__name__

    def __call__(self, *args, **kwargs):
        name = self.__name__
        return _wrap(self._ufunc(*_unwrap(args, name), **{k: _unwrap(v, name) for k, v in kwargs.items()}))

    def at(self, a, index, b=None):
        # the index may hold host arrays (``grad[np.arange(B), y]``), as in __getitem__
        args = (a._a, _unwrap_index(index)) + (() if b is None else (_unwrap(b, "at"),))
        self._ufunc.at(*args)


def _make_module():
    """The ``xp`` of the fake backend: NumPy's namespace, every function wrapped to unwrap
    fake arrays and re-wrap results, host arrays refused (except by asarray/array)."""
    mod = types.ModuleType("fakexp", "NumPy behind CuPy-like device-array manners (tests only)")
    for name in dir(numpy):
        if name.startswith("_"):
            continue
        obj = getattr(numpy, name)
        if isinstance(obj, numpy.ufunc):
            setattr(mod, name, _UfuncWithAt(obj))
        elif isinstance(obj, (type, numbers.Number, types.ModuleType)) or obj is None:
            setattr(mod, name, obj)   # dtypes, constants; submodules stay NumPy's (unused by the engine)
        elif callable(obj):
            setattr(mod, name, _module_function(name, obj))
    mod.asarray = _host_to_device("asarray", numpy.asarray)
    mod.array = _host_to_device("array", numpy.array)
    mod.ndarray = FakeDeviceArray
    return mod


fakexp = _make_module()

FAKE = backend.Backend(
    "fakegpu", "gpu", fakexp, (FakeDeviceArray,),
    to_host=lambda a: a.get() if isinstance(a, FakeDeviceArray) else numpy.asarray(a),
    from_host=lambda h: FakeDeviceArray(numpy.array(h, copy=True)),
    seed=None)
