"""The ops PyTorch users reach for, forward against NumPy and backward against finite differences
(``gradcheck``), in float64, on random small shapes, on each backend: var/std, sqrt, abs, softmax,
where/maximum/minimum/clamp, cat/stack, flatten/unsqueeze/squeeze/clone, indexing that mixes
integers and index arrays. Expected values come from NumPy (PyTorch is never a dependency).
"""
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tinygrad_opt import Tensor, ops
from tinygrad_opt.gradcheck import gradcheck

examples = settings(max_examples=20, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])
STRICT = dict(atol=1e-8, rtol=1e-7)
FORWARD = dict(rtol=1e-12, atol=1e-12)

shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)
nonscalar_shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)
seeds = st.integers(0, 2 ** 32 - 1)


def uniform(seed, shape, low=-2.0, high=2.0):
    return np.random.default_rng(seed).uniform(low, high, shape)


def leaf(x):
    return Tensor(x, requires_grad=True)


def check(fn, inputs, expected):
    out = fn(*inputs)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out.numpy(), expected, **FORWARD)
    assert gradcheck(fn, inputs, **STRICT)


@st.composite
def shape_and_dims(draw):
    """A shape and a dim: None, an int, or a tuple of distinct axes (as sum, mean, var take)."""
    shape = draw(nonscalar_shapes)
    dim = draw(st.none() | st.integers(-len(shape), len(shape) - 1) | hnp.valid_tuple_axes(len(shape), min_size=1))
    return shape, dim


# -- var and std ----------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["var", "std"])
@examples
@given(shape_dim=shape_and_dims(), keepdim=st.booleans(), correction=st.sampled_from([0, 1, 2]), seed=seeds)
def test_var_std(device_backend, name, shape_dim, keepdim, correction, seed):
    shape, dim = shape_dim
    n = int(np.prod(shape)) if dim is None else int(np.prod([shape[d] for d in np.atleast_1d(dim)]))
    assume(n > correction and (name == "var" or n > 1))      # std of one value is 0: no derivative
    a = uniform(seed, shape)
    axis = dim if dim is None or isinstance(dim, int) else tuple(dim)
    expected = getattr(np, name)(a, axis=axis, keepdims=keepdim, ddof=correction)
    check(lambda t: getattr(ops, name)(t, dim, keepdim=keepdim, correction=correction), [leaf(a)], expected)


def test_var_std_are_unbiased_by_default_as_pytorch():
    a = np.array([[1.0, 2.0, 4.0], [0.0, 0.0, 3.0]])
    x = Tensor(a)
    np.testing.assert_allclose(x.var().numpy(), np.var(a, ddof=1), rtol=1e-15)
    np.testing.assert_allclose(x.std(dim=1).numpy(), np.std(a, axis=1, ddof=1), rtol=1e-15)
    np.testing.assert_allclose(x.var(1, unbiased=False).numpy(), np.var(a, axis=1), rtol=1e-15)
    np.testing.assert_allclose(x.std(False).numpy(), np.std(a), rtol=1e-15)   # torch.std(x, False)
    np.testing.assert_allclose(x.var(axis=0, keepdims=True).numpy(), np.var(a, axis=0, ddof=1, keepdims=True))
    assert np.isnan(Tensor(np.array([3.0])).var().item())                      # one sample, n - 1 = 0


# -- elementwise ----------------------------------------------------------------------------
@examples
@given(shape=shapes, seed=seeds)
def test_sqrt(device_backend, shape, seed):
    a = uniform(seed, shape, 0.1, 4.0)
    check(ops.sqrt, [leaf(a)], np.sqrt(a))


@examples
@given(shape=shapes, seed=seeds)
def test_abs(device_backend, shape, seed):
    a = uniform(seed, shape)
    assume(np.all(np.abs(a) > 1e-3))
    check(ops.abs, [leaf(a)], np.abs(a))


def test_abs_gradient_is_zero_at_zero():
    x = leaf(np.array([-2.0, 0.0, 3.0]))
    abs(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [-1.0, 0.0, 1.0])


def reference_sigmoid(a):
    """1 / (1 + e^-a) in float64, written in the form that is exact in each tail."""
    a = np.asarray(a, dtype=np.float64)
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1 / (1 + e), e / (1 + e))


def test_sigmoid_keeps_its_left_tail_in_float64():
    """PyTorch: log(sigmoid(-40)) = -40 with gradient 1; through tanh it was -inf and nan."""
    x = leaf(np.array([-40.0, -700.0]))
    y = ops.log(ops.sigmoid(x))
    np.testing.assert_allclose(y.numpy(), [-40.0, -700.0], rtol=1e-15)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 1.0], rtol=1e-15)


@pytest.mark.parametrize("value", [-17.0, -30.0, -80.0, 17.0, 40.0])
def test_sigmoid_float32_tails_to_full_precision(value):
    """In float32, sigmoid(-17) was 44 % off (1 + tanh cancels); now within float32 rounding."""
    x = Tensor(np.array([value], dtype=np.float32), requires_grad=True)
    out = ops.sigmoid(x)
    np.testing.assert_allclose(out.numpy(), reference_sigmoid(value), rtol=2e-7)
    out.backward(Tensor(np.ones(1, dtype=np.float32)))
    s = reference_sigmoid(value)
    np.testing.assert_allclose(x.grad.numpy(), np.exp(-abs(value)) / (1 + np.exp(-abs(value))) ** 2, rtol=1e-6)
    assert x.grad.numpy()[0] > 0 or s == 1.0


# -- softmax --------------------------------------------------------------------------------
@st.composite
def shape_and_axis(draw):
    shape = draw(nonscalar_shapes)
    return shape, draw(st.integers(-len(shape), len(shape) - 1))


def reference_softmax(a, axis):
    e = np.exp(a - a.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


@examples
@given(shape_axis=shape_and_axis(), seed=seeds)
def test_softmax(device_backend, shape_axis, seed):
    shape, axis = shape_axis
    a = uniform(seed, shape, -3.0, 3.0)
    check(lambda t: ops.softmax(t, axis), [leaf(a)], reference_softmax(a, axis))
    check(lambda t: t.softmax(dim=axis), [leaf(a)], reference_softmax(a, axis))


def test_softmax_dim_must_be_given_beyond_two_axes():
    x = Tensor(np.zeros((2, 3, 4)))
    for op in (ops.softmax, ops.log_softmax):
        with pytest.raises(ValueError, match=rf"{op.__name__}: pass dim= for a tensor of shape \(2, 3, 4\)"):
            op(x)
    np.testing.assert_allclose(ops.softmax(Tensor(np.zeros((2, 4)))).numpy(), np.full((2, 4), 0.25))


# -- where, maximum, minimum, clamp ---------------------------------------------------------
broadcast_triples = hnp.mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=3, max_side=3)


@examples
@given(shapes3=broadcast_triples, seed=seeds)
def test_where(device_backend, shapes3, seed):
    c_shape, x_shape, y_shape = shapes3.input_shapes
    c = np.random.default_rng(seed).random(c_shape) < 0.5
    a, b = uniform(seed + 1, x_shape), uniform(seed + 2, y_shape)
    check(lambda x, y: ops.where(Tensor(c), x, y), [leaf(a), leaf(b)], np.where(c, a, b))


def test_where_with_numbers_and_its_errors():
    x = leaf(np.array([1.0, -2.0, 3.0]))
    out = ops.where(Tensor(np.array([True, False, True])), x, 0.0)
    np.testing.assert_array_equal(out.numpy(), [1.0, 0.0, 3.0])
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 0.0, 1.0])
    with pytest.raises(TypeError, match=r"where: condition must have dtype bool, got float64; write where\(c != 0"):
        ops.where(x.detach(), x, 0.0)
    rows, cols = ops.where(Tensor(np.array([[True, False], [False, True]])))
    np.testing.assert_array_equal(rows.numpy(), [0, 1])
    np.testing.assert_array_equal(cols.numpy(), [0, 1])


@pytest.mark.parametrize("name", ["maximum", "minimum"])
@examples
@given(pair=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=4), seed=seeds)
def test_maximum_minimum(device_backend, name, pair, seed):
    a, b = uniform(seed, pair.input_shapes[0]), uniform(seed + 1, pair.input_shapes[1])
    assume(np.all(np.abs(a[..., None] - b[..., None]) > 1e-3) if a.size and b.size else True)
    check(getattr(ops, name), [leaf(a), leaf(b)], getattr(np, name)(a, b))


def test_maximum_tie_splits_the_gradient_as_pytorch():
    a, b = leaf(np.array([1.0, 2.0, 3.0])), leaf(np.array([1.0, 5.0, 0.0]))
    ops.maximum(a, b).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [0.5, 0.0, 1.0])
    np.testing.assert_array_equal(b.grad.numpy(), [0.5, 1.0, 0.0])
    c = leaf(np.array([1.0, 2.0]))
    ops.max(c, Tensor(np.array([0.0, 4.0]))).sum().backward()      # torch.max(a, b) is maximum
    np.testing.assert_array_equal(c.grad.numpy(), [1.0, 0.0])


@examples
@given(shape=shapes, seed=seeds, low=st.sampled_from([None, -1.0, 0.0]), high=st.sampled_from([None, 0.5, 1.5]))
def test_clamp(device_backend, shape, seed, low, high):
    assume(low is not None or high is not None)
    a = uniform(seed, shape)
    bounds = [v for v in (low, high) if v is not None]
    assume(all(np.all(np.abs(a - v) > 1e-3) for v in bounds))
    check(lambda t: t.clamp(min=low, max=high), [leaf(a)], np.clip(a, low, high))


def test_clamp_passes_the_gradient_at_its_bounds_and_checks_its_arguments():
    x = leaf(np.array([-2.0, -1.0, 0.0, 1.0, 2.0]))
    ops.clamp(x, -1.0, 1.0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0, 1.0, 1.0, 0.0])
    with pytest.raises(ValueError, match="clamp: at least one of min and max must be given"):
        x.clamp()
    with pytest.raises(TypeError, match=r"clamp: min must be a number, got Tensor; for tensor bounds"):
        x.clamp(min=x)


# -- cat and stack --------------------------------------------------------------------------
@st.composite
def cat_shapes(draw):
    base = list(draw(nonscalar_shapes))
    dim = draw(st.integers(-len(base), len(base) - 1))
    sizes = draw(st.lists(st.integers(0, 3), min_size=1, max_size=3))
    return [tuple(base[:dim % len(base)] + [n] + base[dim % len(base) + 1:]) for n in sizes], dim


@examples
@given(shapes_dim=cat_shapes(), seed=seeds)
def test_cat(device_backend, shapes_dim, seed):
    shapes_, dim = shapes_dim
    arrays = [uniform(seed + k, s) for k, s in enumerate(shapes_)]
    check(lambda *ts: ops.cat(list(ts), dim=dim), [leaf(a) for a in arrays], np.concatenate(arrays, axis=dim))


@examples
@given(shape=shapes, n=st.integers(1, 3), data=st.data(), seed=seeds)
def test_stack(device_backend, shape, n, data, seed):
    dim = data.draw(st.integers(-len(shape) - 1, len(shape)))
    arrays = [uniform(seed + k, shape) for k in range(n)]
    check(lambda *ts: ops.stack(ts, dim), [leaf(a) for a in arrays], np.stack(arrays, axis=dim))


def test_cat_of_one_tensor_twice_adds_both_gradients_and_errors_name_the_shapes():
    x = leaf(np.array([1.0, 2.0]))
    (ops.cat([x, x]) * Tensor(np.array([1.0, 2.0, 3.0, 4.0]))).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [4.0, 6.0])
    with pytest.raises(ValueError, match=r"cat: shapes \[\(2, 3\), \(2, 4\)\] do not fit: all axes but dim 0"):
        ops.cat([Tensor(np.zeros((2, 3))), Tensor(np.zeros((2, 4)))])
    with pytest.raises(ValueError, match=r"stack: expects tensors of one shape, got \[\(2,\), \(3,\)\]"):
        ops.stack([Tensor(np.zeros(2)), Tensor(np.zeros(3))])
    with pytest.raises(TypeError, match=r"cat: expected a list or tuple of tensors, got Tensor"):
        ops.cat(x)


# -- flatten, unsqueeze, squeeze, clone -----------------------------------------------------
@examples
@given(shape=shapes, data=st.data(), seed=seeds)
def test_flatten(device_backend, shape, data, seed):
    a = uniform(seed, shape)
    if not shape:
        check(lambda t: t.flatten(), [leaf(a)], a.reshape(1))
        return
    start = data.draw(st.integers(0, len(shape) - 1))
    end = data.draw(st.integers(start, len(shape) - 1))
    expected = a.reshape(shape[:start] + (-1,) + shape[end + 1:])
    check(lambda t: t.flatten(start, end - len(shape)), [leaf(a)], expected)


@examples
@given(shape=shapes, data=st.data(), seed=seeds)
def test_unsqueeze_squeeze(device_backend, shape, data, seed):
    a = uniform(seed, shape)
    dim = data.draw(st.integers(-len(shape) - 1, len(shape)))
    check(lambda t: t.unsqueeze(dim), [leaf(a)], np.expand_dims(a, dim))
    check(lambda t: t.unsqueeze(dim).squeeze(dim), [leaf(a)], a)
    check(lambda t: t.squeeze(), [leaf(a)], np.squeeze(a))


def test_squeeze_leaves_an_axis_whose_size_is_not_one():
    x = Tensor(np.zeros((2, 1, 3, 1)))
    assert x.squeeze(0).shape == (2, 1, 3, 1)          # PyTorch: a no-op, not an error
    assert x.squeeze(1).shape == (2, 3, 1)
    assert x.squeeze((1, 3)).shape == (2, 3)
    assert x.flatten(1).shape == (2, 3)
    assert x.view(-1, 3).shape == (2, 3) and x.view(6).shape == (6,)
    assert x.permute(3, 2, 1, 0).shape == (1, 3, 1, 2) and x.permute((3, 2, 1, 0)).shape == (1, 3, 1, 2)
    with pytest.raises(ValueError, match=r"unsqueeze: dim 5 is out of range for a tensor of shape \(2, 1, 3, 1\)"):
        x.unsqueeze(5)


@examples
@given(shape=shapes, seed=seeds)
def test_clone(device_backend, shape, seed):
    a = uniform(seed, shape)
    check(ops.clone, [leaf(a)], a)


def test_clone_has_its_own_storage():
    x = Tensor(np.array([1.0, 2.0]))
    y = x.clone()
    y.array[0] = 5.0
    assert x.numpy()[0] == 1.0


# -- indexing: integers mixed with index arrays, as PyTorch --------------------------------
def test_integer_and_index_array_separated_by_a_slice_follow_pytorch(device_backend):
    """PyTorch applies the integer first: x[0, :, [0, 1]] is x[0][:, [0, 1]], shape (4, 2).
    NumPy would give (2, 4) (the integer counts as an index array, so the picked axis moves first)."""
    a = uniform(0, (3, 4, 5))
    expected = a[0][:, [0, 1]]
    assert expected.shape == (4, 2) and a[0, :, [0, 1]].shape == (2, 4)
    check(lambda t: t[0, :, [0, 1]], [leaf(a)], expected)
    check(lambda t: t[1, ..., Tensor(np.array([4, 0, 4]))], [leaf(a)], a[1][..., [4, 0, 4]])
    check(lambda t: t[:, 2, None, [3, 3]], [leaf(a)], a[:, 2][:, None, [3, 3]])
    # a 0-d integer tensor (what argmax() gives) is an integer too
    check(lambda t: t[Tensor(np.array(2)), :, [1, 0]], [leaf(a)], a[2][:, [1, 0]])


def test_index_arrays_separated_by_a_slice_go_first_in_both():
    """Where NumPy and PyTorch agree (no integer among the indices): the picked axis goes first."""
    a = uniform(1, (3, 4, 5))
    check(lambda t: t[[0, 1], :, [0, 1]], [leaf(a)], a[[0, 1], :, [0, 1]])
    assert Tensor(a)[[0, 1], :, [0, 1]].shape == (2, 4)


# -- zero-size axes -------------------------------------------------------------------------
def test_reductions_of_zero_size_axes_as_pytorch(device_backend):
    x = Tensor(np.zeros((0, 3)), requires_grad=True)
    assert x.sum().item() == 0.0 and x.sum(0).shape == (3,)
    np.testing.assert_array_equal(x.prod(0).numpy(), [1.0, 1.0, 1.0])
    assert np.isnan(x.mean().item())
    assert np.all(np.isnan(x.mean(dim=0).numpy())) and x.mean(1).shape == (0,)
    x.mean(0).sum().backward()
    assert x.grad.shape == (0, 3)
    assert x.max(dim=1).values.shape == (0,) and x.amax(1).shape == (0,)
    with pytest.raises(RuntimeError, match=r"max\(\): cannot reduce a tensor of shape \(0, 3\) with no elements"):
        x.max()
    with pytest.raises(RuntimeError, match=r"max\(\): cannot reduce dim 0 of a tensor of shape \(0, 3\): "
                                           r"it has size 0"):
        x.max(0)
    with pytest.raises(RuntimeError, match=r"argmin\(\): cannot reduce a tensor of shape \(0, 3\)"):
        x.argmin()
    for op in (ops.log_softmax, ops.softmax):
        out = op(x, 1)
        assert out.shape == (0, 3)
        out.sum().backward()


def test_boolean_mask_index(device_backend):
    a = uniform(2, (3, 4))
    mask = a > 0
    check(lambda t: t[Tensor(mask)], [leaf(a)], a[mask])
    check(lambda t: t[1, Tensor(mask[1])], [leaf(a)], a[1][mask[1]])


# -- norm: sqrt(sum a^2) over dim, as torch.norm / Tensor.norm --------------------------------
@examples
@given(shape_dim=shape_and_dims(), keepdim=st.booleans(), seed=seeds)
def test_norm(device_backend, shape_dim, keepdim, seed):
    shape, dim = shape_dim
    a = uniform(seed, shape)
    axis = dim if dim is None or isinstance(dim, int) else tuple(dim)
    expected = np.sqrt((a * a).sum(axis=axis, keepdims=keepdim))
    check(lambda t: ops.norm(t, dim=dim, keepdim=keepdim), [leaf(a)], expected)
