"""The stand-in GPU backend itself: it must refuse what CuPy refuses, or the backend-parametrised
tests prove nothing, and it must compute what NumPy computes."""
import numpy as np
import pytest

from tinygrad_opt import Tensor, backend

from fake_device import FAKE, FakeDeviceArray, fakexp


def dev(x):
    return fakexp.asarray(np.asarray(x, dtype=np.float64))


def test_registered_as_the_gpu_backend_by_conftest():
    assert backend.get("fakegpu") is FAKE
    assert FAKE.device == "gpu" and FAKE.xp is fakexp
    a = dev([1.0, 2.0])
    assert backend.backend_of(a) is FAKE and backend.get_array_module(a) is fakexp
    assert backend.device_of(a) == "gpu"


def test_refuses_implicit_conversion_to_numpy():
    a = dev([1.0, 2.0])
    with pytest.raises(TypeError, match="implicit conversion to a NumPy array is not allowed"):
        np.asarray(a)
    with pytest.raises(TypeError, match="implicit conversion to a NumPy array is not allowed"):
        np.array(a)


def test_refuses_numpy_functions_and_ufuncs():
    a = dev([1.0, 2.0])
    with pytest.raises(TypeError, match=r"numpy.sum was called on a device array"):
        np.sum(a)
    with pytest.raises(TypeError, match="does not support ufuncs"):
        np.exp(a)


def test_refuses_mixing_host_and_device_arrays():
    a, h = dev([1.0, 2.0]), np.ones(2)
    with pytest.raises(TypeError, match=r"unsupported type numpy.ndarray mixed with device arrays"):
        a + h
    with pytest.raises(TypeError):
        h + a
    with pytest.raises(TypeError, match=r"unsupported type numpy.ndarray mixed with device arrays"):
        fakexp.maximum(a, h)
    # like CuPy, a host integer array is accepted as an index (it is copied to the device)
    assert isinstance(a[np.array([1, 0])], FakeDeviceArray)
    np.testing.assert_array_equal(a[np.array([1, 0])].get(), [2.0, 1.0])


def test_in_place_operators_keep_the_array_object():
    a = dev([1.0, 2.0])
    before = a
    a += 1.0
    a *= 2.0
    assert a is before
    np.testing.assert_array_equal(a.get(), [4.0, 6.0])


def test_computes_like_numpy_and_stays_on_device():
    h = np.arange(6.0).reshape(2, 3)
    a = fakexp.asarray(h)
    for result, expected in [(a + 1.0, h + 1.0), (a * a, h * h), (a @ a.T, h @ h.T),
                             (fakexp.exp(a), np.exp(h)), (a.sum(axis=0), h.sum(axis=0)),
                             (a.reshape(3, 2), h.reshape(3, 2)), (a[:, 1], h[:, 1]),
                             (fakexp.moveaxis(a, 0, 1), np.moveaxis(h, 0, 1))]:
        assert isinstance(result, FakeDeviceArray)
        np.testing.assert_array_equal(result.get(), expected)


def test_reductions_give_0d_arrays_not_scalars():
    a = dev([1.0, 2.0, 3.0])
    for r in (a.sum(), a.max(), a.mean(), fakexp.sum(a), a[0]):
        assert isinstance(r, FakeDeviceArray) and r.shape == ()
    assert float(a.sum()) == 6.0 and a.max().item() == 3.0


def test_host_copies_are_copies():
    h = np.ones(3)
    a = fakexp.asarray(h)
    h[0] = 5.0
    assert a.get()[0] == 1.0
    host = a.get()
    host[1] = 7.0
    assert a.get()[1] == 1.0
    b = FAKE.from_host(h)
    h[2] = 9.0
    assert b.get()[2] == 1.0
    np.testing.assert_array_equal(backend.to_numpy(b), [5.0, 1.0, 1.0])


def test_add_at_scatters_with_repeats():
    a = fakexp.zeros(3)
    fakexp.add.at(a, fakexp.asarray(np.array([0, 2, 0])), dev([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(a.get(), [4.0, 0.0, 2.0])
    fakexp.add.at(a, (np.array([1, 1]),), dev([5.0, 6.0]))    # a host index array, as CuPy allows
    np.testing.assert_array_equal(a.get(), [4.0, 11.0, 2.0])


def test_in_place_ops_change_the_device_array():
    a = dev([1.0, 2.0])
    b = a
    b += 1.0
    a[0] = 10.0
    np.testing.assert_array_equal(a.get(), [10.0, 3.0])


def test_tensors_on_the_stand_in():
    backend.use("fakegpu")
    t = Tensor([1.0, 2.0])
    assert isinstance(t.array, FakeDeviceArray) and t.device == "gpu"
    np.testing.assert_array_equal(t.numpy(), [1.0, 2.0])
