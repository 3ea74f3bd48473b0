"""PyTorch's spelling, as a learner writes it after ``import tinygrad_opt as torch``: module-level
functions, creation functions with dtype/device/requires_grad, reductions with dim/keepdim,
max/min with indices, counting with bool tensors, torch.add(a, b, alpha=) and the other methods as
functions (with their gradients), and what is refused with a hint.
Expected numbers come from NumPy.
"""
import numpy as np
import pytest
from hypothesis import given

import tinygrad_opt as torch
from tinygrad_opt import Tensor
from test_new_ops_gradcheck import check, examples, leaf, seeds, uniform


def test_the_packages_and_functions_a_torch_user_reaches_for():
    assert torch.optim.SGD and torch.optim.Adam and torch.nn.Linear
    assert torch.nn.functional.cross_entropy and torch.nn.functional.log_softmax
    for name in ("tensor", "zeros", "ones", "full", "zeros_like", "ones_like", "full_like", "rand", "randn",
                 "randint", "arange", "linspace", "eye", "max", "min", "sum", "mean", "argmax", "exp", "log",
                 "sqrt", "abs", "sigmoid", "tanh", "relu", "softmax", "log_softmax", "maximum", "minimum",
                 "where", "cat", "stack", "manual_seed", "no_grad", "enable_grad", "optim", "nn"):
        assert name in torch.__all__ and callable(getattr(torch, name)) or name in ("optim", "nn")
    assert torch.float32 == np.float32 and torch.float == np.float32 and torch.long == np.int64
    assert torch.bool == np.bool_ and torch.double == np.float64 and torch.int == np.int32
    for name in ("float", "int", "bool"):      # import * must not replace Python's own
        assert name not in torch.__all__


# -- creation -------------------------------------------------------------------------------
def test_creation_functions_shapes_and_dtypes(device_backend):
    assert torch.zeros(2, 3).shape == (2, 3) and torch.zeros((2, 3)).shape == (2, 3)
    assert torch.ones([4]).dtype == np.float32 and torch.zeros(2, dtype=torch.float64).dtype == np.float64
    np.testing.assert_array_equal(torch.full((2, 2), 7).numpy(), np.full((2, 2), 7))
    assert torch.full((2,), 7).dtype == np.int64 and torch.full((2,), 0.5).dtype == np.float32
    assert torch.full((2,), True).dtype == np.bool_
    np.testing.assert_array_equal(torch.arange(5).numpy(), np.arange(5))
    assert torch.arange(5).dtype == np.int64 and torch.arange(0, 1, 0.25).dtype == np.float32
    np.testing.assert_allclose(torch.arange(1, 2, 0.25).numpy(), [1.0, 1.25, 1.5, 1.75])
    np.testing.assert_allclose(torch.linspace(0, 1, 5).numpy(), [0.0, 0.25, 0.5, 0.75, 1.0])
    np.testing.assert_array_equal(torch.eye(2, 3).numpy(), np.eye(2, 3))
    t = torch.tensor([[1.0, 2.0]], requires_grad=True)
    assert t.requires_grad and t.dtype == np.float32 and t.is_leaf
    assert torch.tensor([1, 2]).dtype == np.int64 and torch.tensor([True]).dtype == np.bool_
    like = torch.zeros_like(t)
    assert like.shape == t.shape and like.dtype == t.dtype and like.device == t.device and not like.requires_grad
    np.testing.assert_array_equal(torch.ones_like(t, dtype=torch.float64).numpy(), [[1.0, 1.0]])
    np.testing.assert_array_equal(torch.full_like(t, 3).numpy(), [[3.0, 3.0]])
    assert torch.randn(3, 4, requires_grad=True).requires_grad


def test_creation_on_a_device(device_backend):
    for t in (torch.zeros(2, device="gpu"), torch.rand(2, device="gpu"), torch.tensor([1.0], device="gpu")):
        assert t.device == "gpu"
    assert torch.zeros(2, device="cpu").device == "cpu"


def test_tensor_copies_its_data_unlike_Tensor():
    a = np.array([1.0, 2.0])
    t = torch.tensor(a)
    a[0] = 9.0
    assert t.numpy()[0] == 1.0 and t.dtype == np.float64     # a float64 array stays float64, as PyTorch
    u = torch.tensor(t)
    u.array[1] = 5.0
    assert t.numpy()[1] == 2.0


def test_from_numpy_shares_memory_and_dtype():
    a = np.array([1.0, 2.0])
    t = torch.from_numpy(a)
    a[0] = 9.0
    assert t.numpy()[0] == 9.0 and t.dtype == np.float64 and t.device == "cpu"
    with pytest.raises(TypeError, match="from_numpy: expected a numpy.ndarray, got list"):
        torch.from_numpy([1.0])


def test_random_functions_follow_manual_seed(device_backend):
    torch.manual_seed(3)
    first = [torch.rand(4).numpy(), torch.randn(2, 2).numpy(), torch.randint(0, 10, (5,)).numpy()]
    torch.manual_seed(3)
    again = [torch.rand(4).numpy(), torch.randn(2, 2).numpy(), torch.randint(10, (5,)).numpy()]
    for x, y in zip(first, again, strict=True):
        np.testing.assert_array_equal(x, y)
    r = torch.randint(3, 6, (1000,))
    assert r.dtype == np.int64 and r.numpy().min() == 3 and r.numpy().max() == 5
    u = torch.rand(1000).numpy()
    assert u.dtype == np.float32 and 0 <= u.min() and u.max() < 1


# -- reductions, PyTorch's names ------------------------------------------------------------
def test_dim_and_keepdim_are_numpys_axis_and_keepdims():
    a = np.arange(24.0).reshape(2, 3, 4)
    x = Tensor(a)
    for name in ("sum", "mean", "prod"):
        np.testing.assert_array_equal(getattr(x, name)(dim=1, keepdim=True).numpy(),
                                      getattr(np, name)(a, axis=1, keepdims=True))
        np.testing.assert_array_equal(getattr(x, name)(axis=1, keepdims=True).numpy(),
                                      getattr(np, name)(a, axis=1, keepdims=True))
        np.testing.assert_array_equal(getattr(torch, name)(x, 2).numpy(), getattr(np, name)(a, axis=2))
    np.testing.assert_array_equal(x.sum(dim=[0, 2]).numpy(), a.sum(axis=(0, 2)))    # a list, as PyTorch
    np.testing.assert_array_equal(torch.argmax(x, dim=2).numpy(), a.argmax(axis=2))
    np.testing.assert_array_equal(x.argmin(1, keepdim=True).numpy(), a.argmin(axis=1)[:, None])
    assert x.argmax().item() == 23 and x.argmax().dtype == np.int64


def test_max_of_a_dim_unpacks_as_the_course_writes_it():
    """``_, predicted = torch.max(outputs.data, 1)`` and ``.values`` / ``.indices``."""
    outputs = Tensor(np.array([[0.1, 0.7, 0.2], [0.9, 0.05, 0.05]]), requires_grad=True)
    _, predicted = torch.max(outputs.data, 1)
    np.testing.assert_array_equal(predicted.numpy(), [1, 0])
    result = outputs.max(dim=1, keepdim=True)
    assert result.values.shape == (2, 1) and result.indices.shape == (2, 1)
    assert "values=" in repr(result) and "indices=" in repr(result)
    values, indices = torch.min(outputs, dim=0)
    np.testing.assert_array_equal(values.numpy(), [0.1, 0.05, 0.05])
    np.testing.assert_array_equal(indices.numpy(), [0, 1, 1])
    assert torch.max(outputs).item() == pytest.approx(0.9)
    assert outputs.max(keepdims=True).shape == (1, 1) and outputs.min(axis=None, keepdim=True).shape == (1, 1)


def test_counting_with_bool_tensors_as_pytorch(device_backend):
    pred = Tensor(np.array([1, 2, 3, 4]))
    labels = Tensor(np.array([1, 0, 3, 4]))
    matches = Tensor(pred.numpy() == labels.numpy())             # what pred == labels gives: bool
    total = matches.sum()
    assert total.dtype == np.int64 and total.item() == 3
    assert matches.sum(dim=0).item() == 3
    assert matches.mean(dtype=torch.float32).item() == pytest.approx(0.75)
    with pytest.raises(TypeError, match=r"mean: the input has dtype bool; mean needs a floating tensor .*"
                                        r"t\.float\(\)\.mean\(\), e\.g\. \(pred == labels\)\.float\(\)\.mean\(\)"):
        matches.mean()


def test_integer_sums_are_int64_and_integer_means_refuse(device_backend):
    for dtype in (np.uint8, np.int8, np.int32, np.int64):
        t = Tensor(np.array([200, 100, 7], dtype=dtype) if dtype != np.int8 else np.array([100, 100, 7], dtype=dtype))
        assert t.sum().dtype == np.int64 and t.sum().item() == int(t.numpy().astype(np.int64).sum())
    assert Tensor(np.array([2, 3])).prod().dtype == np.int64
    with pytest.raises(TypeError, match=r"mean: the input has dtype int64"):
        Tensor(np.array([1, 2])).mean()
    with pytest.raises(TypeError, match=r"var: the input has dtype int64"):
        Tensor(np.array([1, 2])).var()


def test_module_level_elementwise_functions():
    a = np.array([-1.5, 0.5, 2.0])
    x = Tensor(a)
    np.testing.assert_allclose(torch.exp(x).numpy(), np.exp(a), rtol=1e-6)
    np.testing.assert_allclose(torch.abs(x).numpy(), np.abs(a))
    np.testing.assert_allclose(abs(x).numpy(), np.abs(a))
    np.testing.assert_allclose(torch.relu(x).numpy(), np.maximum(a, 0))
    np.testing.assert_allclose(torch.sqrt(torch.abs(x)).numpy(), np.sqrt(np.abs(a)), rtol=1e-6)
    np.testing.assert_allclose(torch.tanh(x).numpy(), np.tanh(a), rtol=1e-6)
    np.testing.assert_allclose(torch.maximum(x, Tensor(np.zeros(3))).numpy(), np.maximum(a, 0))
    np.testing.assert_allclose(x.clamp(min=0.0).numpy(), np.clip(a, 0, None))
    np.testing.assert_allclose(torch.cat([x, x]).numpy(), np.concatenate([a, a]))
    assert torch.stack([x, x], dim=1).shape == (3, 2)
    m = Tensor(np.arange(6.0).reshape(2, 3))
    assert m.t().shape == (3, 2) and m.T.shape == (3, 2) and m.transpose(0, 1).shape == (3, 2)
    with torch.no_grad():
        assert not (Tensor(a, requires_grad=True) * 2).requires_grad
        with torch.enable_grad():
            assert (Tensor(a, requires_grad=True) * 2).requires_grad


def test_any_and_all_of_bool_tensors(device_backend):
    m = np.array([[True, False, False], [False, False, False]])
    x = Tensor(m)
    assert x.any().item() is True and x.all().item() is False
    np.testing.assert_array_equal(x.any(dim=1).numpy(), m.any(axis=1))
    np.testing.assert_array_equal(torch.all(x, 0, keepdim=True).numpy(), m.all(axis=0, keepdims=True))
    assert x.any(1).dtype == np.bool_


# -- torch.add(a, b, alpha=) and the other methods as module-level functions -----------------------
@examples
@given(seed=seeds)
def test_module_level_functions_of_the_methods(device_backend, seed):
    """torch.add, sub, addcmul, addcdiv, lerp: the methods' values and gradients (gradcheck), by the
    documented formulas input + alpha * other, input + value * t1 * t2, input + weight * (end - input)."""
    a, b, c = uniform(seed, (3, 4)), uniform(seed + 1, (3, 4)), uniform(seed + 2, (4,), 0.5, 2.0)
    check(lambda x, y: torch.add(x, y, alpha=2), [leaf(a), leaf(b)], a + 2 * b)
    check(lambda x, y: torch.sub(x, y, alpha=-0.5), [leaf(a), leaf(b)], a + 0.5 * b)
    check(lambda x, y, z: torch.addcmul(x, y, z, value=0.3), [leaf(a), leaf(b), leaf(c)], a + 0.3 * b * c)
    check(lambda x, y, z: torch.addcdiv(x, y, z, value=-2), [leaf(a), leaf(b), leaf(c)], a - 2 * b / c)
    check(lambda x, y: torch.lerp(x, y, 0.25), [leaf(a), leaf(b)], a + 0.25 * (b - a))
    check(lambda x, y, w: torch.lerp(x, y, w), [leaf(a), leaf(b), leaf(c)], a + c * (b - a))
    check(lambda x, y: torch.add(x, y), [leaf(a), leaf(b)], a + b)


def test_module_level_functions_take_a_number_first_and_check_their_factors():
    t = torch.tensor([1.0, 2.0])
    np.testing.assert_array_equal(torch.add(1, t).numpy(), [2.0, 3.0])
    np.testing.assert_array_equal(torch.sub(1, t, alpha=2).numpy(), [-1.0, -3.0])
    assert torch.add(1, t).dtype == np.float32
    with pytest.raises(TypeError, match=r"add: alpha must be a Python number, got Tensor; .*add\(tensor, alpha="):
        torch.add(t, t, alpha=t)
    with pytest.raises(TypeError, match=r"torch\.sub: expected a tensor among the first two arguments, got int"):
        torch.sub(1, 2)
    for name in ("add", "sub", "addcmul", "addcdiv", "lerp"):
        assert name in torch.__all__
