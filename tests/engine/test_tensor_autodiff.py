"""The Tensor and the backward pass: attributes, graph bookkeeping, accumulation, freeing,
deep graphs, no_grad, shared inputs, broadcasting, Python numbers."""
import re

import numpy as np
import pytest

from tinygrad_opt import AnomalyError, Tensor, backend, detect_anomaly, no_grad
from tinygrad_opt.grad_mode import enable_grad, is_grad_enabled


def grad_of(t):
    return t.grad.numpy()


# -- attributes ----------------------------------------------------------------------------
def test_constructor_and_attributes(device_backend):
    x = np.arange(6.0, dtype=np.float32).reshape(2, 3)
    t = Tensor(x, requires_grad=True)
    assert t.shape == (2, 3) and t.ndim == 2 and t.dtype == np.float32
    assert t.requires_grad and t.grad is None and t.is_leaf and t.grad_fn is None
    assert len(t) == 2 and t.numel() == 6 and t.size() == (2, 3) and t.size(1) == 3
    assert backend.backend_of(t.array).name == device_backend
    np.testing.assert_array_equal(t.numpy(), x)
    assert Tensor([[1, 2]]).shape == (1, 2)
    assert Tensor(3.0).shape == () and Tensor(3.0).ndim == 0


@pytest.mark.parametrize("device", ["cpu", "gpu"])
def test_tensor_from_host_array_is_a_copy(device):
    """On every device: updating the tensor in place (as optimizers do) leaves the caller's array alone."""
    for dtype in (np.float32, None):
        x = np.ones(3, dtype=np.float32)
        t = Tensor(x, requires_grad=True, device=device, dtype=dtype)
        t.array += 1.0
        x[1] = 5.0
        np.testing.assert_array_equal(x, [1.0, 5.0, 1.0])
        np.testing.assert_array_equal(t.numpy(), [2.0, 2.0, 2.0])


def test_item(device_backend):
    assert Tensor([[2.5]]).item() == 2.5
    assert isinstance(Tensor(np.array(3.0)).item(), float)
    assert Tensor([1.0, 2.0]).sum().item() == 3.0
    with pytest.raises(ValueError, match=r"item\(\): only a one-element tensor has a single value, "
                                         r"this one has shape \(2,\)"):
        Tensor([1.0, 2.0]).item()


def test_detach_cuts_the_graph(device_backend):
    a = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    b = a * 3.0
    d = b.detach()
    assert not d.requires_grad and d.is_leaf and d._parents == ()
    np.testing.assert_array_equal(d.numpy(), [3.0, 6.0])
    loss = (d * a).sum()          # gradient reaches a only through the direct use of a
    loss.backward()
    np.testing.assert_array_equal(grad_of(a), [3.0, 6.0])


def test_repr_text():
    backend.use("numpy")
    assert repr(Tensor([1.0, 2.0])) == "Tensor([1., 2.])"
    assert repr(Tensor([1.0, 2.0], requires_grad=True)) == "Tensor([1., 2.], requires_grad=True)"
    assert repr(Tensor(np.array([0.5]))) == "Tensor([0.5], dtype=float64)"
    a = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    assert repr(a * 2) == "Tensor([[2., 4.],\n        [6., 8.]], grad_fn=mul)"
    assert repr(Tensor([1.0]).to("gpu")) == "Tensor([1.], device='gpu')"
    assert repr(Tensor([1, 2])) == "Tensor([1, 2], dtype=int64)"
    assert "..." in repr(Tensor(np.zeros(100, dtype=np.float32)))      # long tensors are summarised


# -- backward: basics and errors ------------------------------------------------------------
def test_backward_on_scalar(device_backend):
    x = Tensor(np.array([1.0, -2.0, 3.0]), requires_grad=True)
    loss = (x * x).sum()
    assert loss.requires_grad and loss.grad_fn == "sum" and not loss.is_leaf
    loss.backward()
    np.testing.assert_allclose(grad_of(x), [2.0, -4.0, 6.0], rtol=0, atol=0)
    assert backend.backend_of(x.grad.array).name == device_backend


def test_backward_with_explicit_gradient(device_backend):
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = x * x
    y.backward(gradient=np.array([1.0, 10.0]))
    np.testing.assert_array_equal(grad_of(x), [2.0, 40.0])
    z = x * 3.0
    with pytest.raises(ValueError, match=r"backward\(\): gradient has shape \(3,\), but the tensor has shape \(2,\)"):
        z.backward(gradient=np.ones(3))


def test_backward_on_non_scalar_without_gradient():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"grad can be implicitly created only for scalar outputs; "
                                           r"this tensor has shape \(2,\)"):
        (x * 2).backward()


def test_backward_without_graph_is_a_clear_error():
    with pytest.raises(RuntimeError, match=r"backward\(\): this tensor does not require grad"):
        (Tensor([1.0]) * 2).sum().backward()


def test_grads_accumulate_across_backward_calls(device_backend):
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    (x * 3.0).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_array_equal(grad_of(x), [3.0 + 2.0, 3.0 + 4.0])


def test_graph_is_freed_after_backward():
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = x.exp()
    loss = (h * 2.0).sum()
    loss.backward()
    assert h._parents == () and loss._parents == ()
    with pytest.raises(RuntimeError, match=r"backward through the graph a second time \(at op 'sum'\).*"
                                           r"retain_graph=True"):
        loss.backward()


def test_second_backward_through_freed_inner_node():
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = x.exp()
    h.sum().backward()
    with pytest.raises(RuntimeError, match=r"a second time \(at op 'exp'\)"):
        (h * 2.0).sum().backward()


def test_retain_graph_allows_a_second_backward(device_backend):
    x = Tensor(np.array([0.5, -1.0]), requires_grad=True)
    loss = (x.tanh() * x).sum()
    loss.backward(retain_graph=True)
    first = grad_of(x).copy()
    loss.backward()
    np.testing.assert_allclose(grad_of(x), 2 * first, rtol=1e-15)
    t = np.tanh([0.5, -1.0])
    np.testing.assert_allclose(first, t + np.array([0.5, -1.0]) * (1 - t ** 2), rtol=1e-12)


def test_very_deep_chain_needs_no_recursion():
    x = Tensor(np.array([1.0]), requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.sum().backward()
    np.testing.assert_allclose(grad_of(x), [1.0001 ** 10_000], rtol=1e-9)


def test_leaf_grads_are_owned_writable_arrays(device_backend):
    """Optimizers may update .grad in place: it must not alias another leaf's grad,
    the caller's gradient, or a read-only broadcast view."""
    a = Tensor(np.ones(3), requires_grad=True)
    b = Tensor(np.ones(3), requires_grad=True)
    (a + b).sum().backward()
    assert a.grad is not b.grad
    a.grad += 1.0                                   # in place: must neither fail nor touch b.grad
    np.testing.assert_array_equal(grad_of(a), [2.0, 2.0, 2.0])
    np.testing.assert_array_equal(grad_of(b), [1.0, 1.0, 1.0])
    g = np.full(3, 7.0)
    a.grad = None
    (a * 1.0).backward(gradient=g)
    a.grad *= 2.0
    assert g[0] == 7.0


def test_zero_dim_leaf_grad_is_an_array(device_backend):
    w = Tensor(np.array(2.0), requires_grad=True)
    (Tensor(np.array([1.0, 2.0, 3.0])) * w).sum().backward()
    assert w.grad.shape == () and backend.backend_of(w.grad.array).name == device_backend
    assert float(w.grad.numpy()) == 6.0
    if device_backend == "numpy":
        assert type(w.grad.array) is np.ndarray and type((w * w).array) is np.ndarray


# -- no_grad ---------------------------------------------------------------------------------
def test_no_grad_builds_no_graph():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with no_grad():
        assert not is_grad_enabled()
        y = (x * 2.0 + 1.0).sum()
        with enable_grad():
            z = x * 2.0
    assert is_grad_enabled()
    assert not y.requires_grad and y._parents == () and y.grad_fn is None
    assert z.requires_grad
    assert (x * 2.0).requires_grad


def test_no_grad_as_decorator_and_restores_on_error():
    @no_grad()
    def f(t):
        return t * 2.0
    assert not f(Tensor([1.0], requires_grad=True)).requires_grad
    with pytest.raises(ZeroDivisionError):
        with no_grad():
            _ = 1 / 0
    assert is_grad_enabled()


# -- shared inputs: why the topological sort is needed -----------------------------------------
def test_same_input_twice(device_backend):
    a = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    b = a + a
    b.sum().backward()
    np.testing.assert_array_equal(grad_of(a), [2.0, 2.0])
    a.grad = None
    (a * a).sum().backward()
    np.testing.assert_array_equal(grad_of(a), [2.0, 4.0])


def test_diamond_graph(device_backend):
    a = Tensor(np.array([1.0, -3.0]), requires_grad=True)
    c = a * 2.0
    d = a + c                                    # dd/da = 1 + 2 = 3
    (d * d).sum().backward()                     # d(sum d^2)/da = 2 d * 3 = 18 a
    np.testing.assert_array_equal(grad_of(a), [18.0, -54.0])


def test_long_diamond_chain():
    """Each level uses the previous node twice: 2^n paths, each gradient counted exactly once."""
    a = Tensor(np.array([1.0]), requires_grad=True)
    x = a
    for _ in range(30):
        x = x * 0.5 + x * 0.5 * 1.0
    x.sum().backward()
    np.testing.assert_array_equal(grad_of(a), [1.0])


def test_only_needed_leaves_get_grads():
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = Tensor([3.0, 4.0])
    (a * b).sum().backward()
    assert b.grad is None
    np.testing.assert_array_equal(grad_of(a), [3.0, 4.0])


# -- broadcasting in backward ---------------------------------------------------------------
def sum_to_shape(local, shape):
    """Reference un-broadcast by brute force: add each output element's contribution to
    the input element it came from."""
    out = np.zeros(shape)
    for idx in np.ndindex(local.shape):
        src = idx[len(idx) - len(shape):]
        out[tuple(0 if n == 1 else i for i, n in zip(src, shape, strict=True))] += local[idx]
    return out


BINARY = {
    "add": (lambda a, b: a + b, lambda a, b: (np.ones_like(a * b), np.ones_like(a * b))),
    "sub": (lambda a, b: a - b, lambda a, b: (np.ones_like(a * b), -np.ones_like(a * b))),
    "mul": (lambda a, b: a * b, lambda a, b: (b + 0 * a, a + 0 * b)),
    "div": (lambda a, b: a / b, lambda a, b: (1 / b + 0 * a, -a / b ** 2)),
}
SHAPES = [((3, 1), (1, 4)), ((4,), (3, 4)), ((3, 4), (4,)), ((), (2, 3)), ((2, 3), ()),
          ((2, 1, 3), (4, 1)), ((1,), (1, 1))]


@pytest.mark.parametrize("op", sorted(BINARY))
@pytest.mark.parametrize("shapes", SHAPES, ids=str)
def test_broadcasting_backward(device_backend, op, shapes):
    rng = np.random.default_rng(0)
    a_host = rng.uniform(0.5, 2.0, shapes[0])
    b_host = rng.uniform(0.5, 2.0, shapes[1])
    f, local = BINARY[op]
    a, b = Tensor(a_host, requires_grad=True), Tensor(b_host, requires_grad=True)
    out = f(a, b)
    np.testing.assert_allclose(out.numpy(), f(a_host, b_host), rtol=1e-15)
    g = rng.standard_normal(out.shape)
    out.backward(gradient=g)
    da, db = local(a_host, b_host)
    assert a.grad.shape == shapes[0] and b.grad.shape == shapes[1]
    np.testing.assert_allclose(grad_of(a), sum_to_shape(g * da, shapes[0]), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(grad_of(b), sum_to_shape(g * db, shapes[1]), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("op, name", [(lambda a, b: a + b, "add"), (lambda a, b: a - b, "sub"),
                                      (lambda a, b: a * b, "mul"), (lambda a, b: a / b, "div")])
def test_shapes_that_cannot_broadcast(op, name):
    with pytest.raises(ValueError, match=rf"^{name}: shapes \(2, 3\) and \(4,\) cannot broadcast"):
        op(Tensor(np.ones((2, 3))), Tensor(np.ones(4)))


def test_batched_matmul_broadcast_backward(device_backend):
    rng = np.random.default_rng(1)
    a_host, b_host = rng.standard_normal((2, 1, 3, 4)), rng.standard_normal((5, 4, 2))
    a, b = Tensor(a_host, requires_grad=True), Tensor(b_host, requires_grad=True)
    out = a @ b
    assert out.shape == (2, 5, 3, 2)
    g = rng.standard_normal(out.shape)
    out.backward(gradient=g)
    np.testing.assert_allclose(grad_of(a), (g @ b_host.swapaxes(-1, -2)).sum(axis=1, keepdims=True), rtol=1e-12)
    np.testing.assert_allclose(grad_of(b), (a_host.swapaxes(-1, -2) @ g).sum(axis=0), rtol=1e-12)


# -- Python numbers ------------------------------------------------------------------------
SCALAR_MIX = {
    "2 + t": (lambda t: 2 + t, lambda x: 2 + x, lambda x: np.ones_like(x)),
    "t + 2": (lambda t: t + 2, lambda x: x + 2, lambda x: np.ones_like(x)),
    "2 - t": (lambda t: 2 - t, lambda x: 2 - x, lambda x: -np.ones_like(x)),
    "t - 2": (lambda t: t - 2, lambda x: x - 2, lambda x: np.ones_like(x)),
    "2 * t": (lambda t: 2 * t, lambda x: 2 * x, lambda x: 2 * np.ones_like(x)),
    "t * 0.5": (lambda t: t * 0.5, lambda x: x * 0.5, lambda x: 0.5 * np.ones_like(x)),
    "2 / t": (lambda t: 2 / t, lambda x: 2 / x, lambda x: -2 / x ** 2),
    "t / 2": (lambda t: t / 2, lambda x: x / 2, lambda x: 0.5 * np.ones_like(x)),
    "t ** 2": (lambda t: t ** 2, lambda x: x ** 2, lambda x: 2 * x),
    "t ** 0.5": (lambda t: t ** 0.5, lambda x: x ** 0.5, lambda x: 0.5 / np.sqrt(x)),
    "-t": (lambda t: -t, lambda x: -x, lambda x: -np.ones_like(x)),
}


@pytest.mark.parametrize("expr", sorted(SCALAR_MIX))
def test_python_numbers_keep_float32(device_backend, expr):
    f, value, derivative = SCALAR_MIX[expr]
    x = np.array([0.5, 1.5, 3.0], dtype=np.float32)
    t = Tensor(x, requires_grad=True)
    out = f(t)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.numpy(), value(x.astype(np.float64)), rtol=1e-6)
    out.sum().backward()
    assert t.grad.dtype == np.float32
    np.testing.assert_allclose(grad_of(t), derivative(x.astype(np.float64)), rtol=1e-6)


def test_python_numbers_keep_float64():
    t = Tensor(np.array([2.0]), requires_grad=True)
    for out in (1 - t, 3 / t, t ** 1.5, 0.1 * t):
        assert out.dtype == np.float64


def test_numpy_array_on_the_left():
    backend.use("numpy")
    t = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    out = np.array([3.0, 4.0]) * t + np.float64(1.0)
    assert isinstance(out, Tensor) and out.dtype == np.float64
    np.testing.assert_array_equal(out.numpy(), [4.0, 9.0])
    out.sum().backward()
    np.testing.assert_array_equal(t.grad, [3.0, 4.0])


def test_python_numbers_with_integer_tensors():
    labels = Tensor(np.array([0, 1, 2]))
    assert (labels + 1).dtype == np.int64 and (2 * labels).dtype == np.int64
    assert (labels - 1).dtype == np.int64 and (labels ** 2).dtype == np.int64
    np.testing.assert_array_equal((labels + 1).numpy(), [1, 2, 3])


INT_WITH_FLOAT = {                    # PyTorch's results: the default float dtype, not float64
    "t * 2.5": (lambda t: t * 2.5, [2.5, 5.0, 7.5]),
    "2.5 * t": (lambda t: 2.5 * t, [2.5, 5.0, 7.5]),
    "t + 0.5": (lambda t: t + 0.5, [1.5, 2.5, 3.5]),
    "1.5 - t": (lambda t: 1.5 - t, [0.5, -0.5, -1.5]),
    "t / 2": (lambda t: t / 2, [0.5, 1.0, 1.5]),
    "6 / t": (lambda t: 6 / t, [6.0, 3.0, 2.0]),
    "t / t": (lambda t: t / t, [1.0, 1.0, 1.0]),
    "t ** 0.5": (lambda t: t ** 0.5, [1.0, 2 ** 0.5, 3 ** 0.5]),
}


@pytest.mark.parametrize("expr", sorted(INT_WITH_FLOAT))
@pytest.mark.parametrize("default", [np.float32, np.float64])
def test_integer_tensors_with_floats_give_the_default_float_dtype(device_backend, expr, default):
    backend.set_default_dtype(default)
    f, expected = INT_WITH_FLOAT[expr]
    out = f(Tensor([1, 2, 3]))
    assert out.dtype == default
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6)


def test_integer_tensor_with_a_float_tensor_takes_the_float_dtype(device_backend):
    labels = Tensor([1, 2])
    for floats in (Tensor([0.5, 0.5]), Tensor(np.array([0.5, 0.5]))):     # float32, float64
        for out in (labels * floats, floats + labels, labels / floats, floats - labels):
            assert out.dtype == floats.dtype
    w = Tensor([0.5, 0.5], requires_grad=True)
    (labels * w).sum().backward()                          # a gradient only for the float side
    assert w.grad.dtype == np.float32
    np.testing.assert_array_equal(w.grad.numpy(), [1.0, 2.0])


def test_pow_needs_a_number_exponent():
    with pytest.raises(TypeError, match=r"pow: the exponent must be a Python number, got Tensor"):
        Tensor([1.0]) ** Tensor([2.0])


def test_float32_leaf_gets_float32_grad_from_float64_graph():
    a = Tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    b = Tensor(np.array([3.0, 4.0]))                    # float64 constant: promotes the product
    out = a * b
    assert out.dtype == np.float64
    out.sum().backward()
    assert a.grad.dtype == np.float32
    np.testing.assert_array_equal(grad_of(a), [3.0, 4.0])


# -- detect_anomaly --------------------------------------------------------------------------
def test_detect_anomaly_names_the_op_and_the_line():
    x = Tensor(np.array([0.0, 1.0]), requires_grad=True)
    with detect_anomaly(), np.errstate(divide="ignore"):
        with pytest.raises(AnomalyError,
                           match=r"op 'log' produced inf in its forward pass; .*test_tensor_autodiff.py:\d+"):
            x.log()
        y = x ** 0.5                                   # finite forward, inf derivative at 0
        with pytest.raises(AnomalyError, match=r"op 'pow' produced inf in its backward pass"):
            y.sum().backward()
    with np.errstate(divide="ignore"):
        assert not np.isfinite(x.log().numpy()).all()  # off again: no check


# -- a backward's gradients must fit its inputs ---------------------------------------------------
def _op_returning(grads, name="my_op"):
    """An op on x: (3, 4) whose backward returns ``grads`` as it is (host arrays moved to x's device)."""
    from tinygrad_opt.tensor import make_result

    def op(x):
        home = backend.backend_of(x.array)
        out = x.array * 1.0

        def backward(g):
            if isinstance(grads, np.ndarray):
                return home.from_host(grads)
            return tuple(None if a is None else home.from_host(a) for a in grads)
        return make_result(out, (x,), backward, name)
    return op


@pytest.mark.parametrize("shape", [(3,), (1, 4), (3, 5), (4, 3), (2, 1, 4)])
def test_a_gradient_that_does_not_reduce_to_the_input_shape_is_an_error(shape):
    x = Tensor(np.ones((3, 4)), requires_grad=True)
    y = _op_returning((np.ones(shape),))(x)
    with pytest.raises(RuntimeError, match=r"backward of op 'my_op' returned a gradient of shape "
                                           + re.escape(str(shape)) + r" for its input 0 of shape \(3, 4\)"):
        y.sum().backward()
    assert x.grad is None


@pytest.mark.parametrize("shape", [(2, 3, 4), (5, 1, 3, 4)])
def test_a_gradient_of_a_shape_the_input_broadcasts_to_is_summed_back(shape):
    x = Tensor(np.ones((3, 4)), requires_grad=True)
    _op_returning((np.ones(shape),))(x).sum().backward()
    np.testing.assert_array_equal(grad_of(x), np.full((3, 4), np.prod(shape) / 12))


@pytest.mark.parametrize("grads, got", [((), "0 values"), ((None, None), "2 values"),
                                        (np.ones((3, 4)), r"a (ndarray|FakeDeviceArray)")])
def test_a_backward_must_return_one_gradient_per_input(grads, got):
    x = Tensor(np.ones((3, 4)), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"backward of op 'my_op' must return a tuple with one gradient "
                                           r"\(or None\) per input, 1 in all; it returned " + got):
        _op_returning(grads)(x).sum().backward()
