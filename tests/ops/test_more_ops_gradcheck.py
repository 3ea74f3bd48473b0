"""The ops added for PyTorch-style code, forward against NumPy and backward against finite differences
(``gradcheck``), in float64, on each backend: log1p, square, sign, sin, cos, expand, repeat, gather,
index_select, masked_fill, topk (also of a 0-d tensor), number ** tensor, and the methods built from ops
(add with alpha, addcmul, lerp, split)."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tinygrad_opt import Tensor, ops
from tinygrad_opt.gradcheck import gradcheck
from test_new_ops_gradcheck import STRICT, check, examples, leaf, seeds, shapes, uniform

nonscalar = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)


@examples
@given(shape=shapes, seed=seeds, name=st.sampled_from(["log1p", "square", "sin", "cos"]))
def test_elementwise(device_backend, shape, seed, name):
    a = uniform(seed, shape, -0.9, 2.0)
    expected = {"log1p": np.log1p, "square": np.square, "sin": np.sin, "cos": np.cos}[name](a)
    check(getattr(ops, name), [leaf(a)], expected)



@examples
@given(shape=shapes, seed=seeds, base=st.sampled_from([0.5, 0.9, 2, 10.0]))
def test_number_to_the_power_of_a_tensor(device_backend, shape, seed, base):
    a = uniform(seed, shape, -2.0, 2.0)
    out = base ** leaf(a)
    np.testing.assert_allclose(out.numpy(), base ** a, rtol=1e-12, atol=1e-12)
    # 10 ** a reaches 100: the central differences' rounding (about 1e-13 / 2e-6 = 5e-8, varying with
    # how NumPy's sum is laid out) exceeds STRICT's atol; gradcheck's own tolerances still catch a
    # backward 0.1 % off
    assert gradcheck(lambda t: base ** t, [leaf(a)])


def test_number_to_the_power_of_a_tensor_needs_a_positive_base():
    with pytest.raises(ValueError, match=r"base \*\* tensor: the base must be a Python number > 0, got -2"):
        (-2) ** leaf(np.array([1.0]))


def test_number_to_the_power_of_integers_is_a_float_of_the_default_dtype_for_a_float_base():
    assert (0.9 ** Tensor(np.array([1, 2]))).dtype == np.float32
    assert (2 ** Tensor(np.array([1, 2]))).dtype == np.int64

def test_sign_has_zero_gradient(device_backend):
    x = leaf(np.array([-2.0, 0.0, 3.0]))
    out = ops.sign(x)
    np.testing.assert_array_equal(out.numpy(), [-1.0, 0.0, 1.0])
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 0.0])


@examples
@given(shape=nonscalar, seed=seeds, lead=st.integers(0, 2), grow=st.integers(2, 3))
def test_expand(device_backend, shape, seed, lead, grow):
    a = uniform(seed, tuple(1 if i == 0 else n for i, n in enumerate(shape)))
    target = (2,) * lead + (grow,) + a.shape[1:]
    check(lambda t: ops.expand(t, target), [leaf(a)], np.broadcast_to(a, target))


@examples
@given(shape=nonscalar, seed=seeds, data=st.data())
def test_repeat(device_backend, shape, seed, data):
    sizes = tuple(data.draw(st.lists(st.integers(1, 3), min_size=len(shape), max_size=len(shape) + 1)))
    a = uniform(seed, shape)
    check(lambda t: ops.repeat(t, sizes), [leaf(a)], np.tile(a, sizes))


@examples
@given(shape=nonscalar, seed=seeds, data=st.data())
def test_gather_and_index_select_add_up_repeated_picks(device_backend, shape, seed, data):
    dim = data.draw(st.integers(0, len(shape) - 1))
    a = uniform(seed, shape)
    rng = np.random.default_rng(seed)
    idx_shape = tuple(rng.integers(1, 4) if i == dim else n for i, n in enumerate(shape))
    index = rng.integers(0, shape[dim], idx_shape)
    check(lambda t: ops.gather(t, dim, Tensor(index)), [leaf(a)], np.take_along_axis(a, index, axis=dim))
    rows = rng.integers(0, shape[dim], 5)
    check(lambda t: ops.index_select(t, dim, Tensor(rows)), [leaf(a)], np.take(a, rows, axis=dim))


@examples
@given(shape=nonscalar, seed=seeds)
def test_masked_fill(device_backend, shape, seed):
    a = uniform(seed, shape)
    mask = a > 0.5
    check(lambda t: ops.masked_fill(t, Tensor(mask), -1.5), [leaf(a)], np.where(mask, -1.5, a))


@examples
@given(shape=nonscalar, seed=seeds, largest=st.booleans(), data=st.data())
def test_topk_values_and_indices(device_backend, shape, seed, largest, data):
    dim = data.draw(st.integers(0, len(shape) - 1))
    k = data.draw(st.integers(1, shape[dim]))
    a = uniform(seed, shape)
    order = np.argsort(-a if largest else a, axis=dim, kind="stable")
    index = np.take(order, np.arange(k), axis=dim)
    check(lambda t: ops.topk(t, k, dim, largest).values, [leaf(a)], np.take_along_axis(a, index, axis=dim))
    np.testing.assert_array_equal(ops.topk(Tensor(a), k, dim, largest).indices.numpy(), index)


@examples
@given(seed=seeds, largest=st.booleans(), dim=st.sampled_from([0, -1]))
def test_topk_of_a_0d_tensor_is_the_tensor_at_index_0(device_backend, seed, largest, dim):
    """PyTorch reads a 0-d tensor as one entry: topk(t, 1) gives t itself and index 0, both 0-d."""
    a = uniform(seed, ())
    check(lambda t: ops.topk(t, 1, dim, largest).values, [leaf(a)], a)
    indices = ops.topk(Tensor(a), 1, dim, largest).indices
    assert indices.shape == () and indices.dtype == np.int64 and indices.item() == 0


def test_topk_of_a_0d_tensor_needs_k_1():
    for k in (0, 2, -1):
        with pytest.raises(ValueError, match=f"topk: k = {k} is out of range for a 0-d tensor: it has one entry"):
            ops.topk(Tensor(np.array(3.0)), k)
    with pytest.raises(ValueError, match=r"topk: dim 1 is out of range for a tensor of shape \(\)"):
        ops.topk(Tensor(np.array(3.0)), 1, dim=1)


@examples
@given(seed=seeds)
def test_methods_made_of_ops(device_backend, seed):
    a, b, c = uniform(seed, (3, 4)), uniform(seed + 1, (3, 4)), uniform(seed + 2, (4,), 0.5, 2.0)
    check(lambda x, y: x.add(y, alpha=-0.5), [leaf(a), leaf(b)], a - 0.5 * b)
    check(lambda x, y, z: x.addcmul(y, z, value=2), [leaf(a), leaf(b), leaf(c)], a + 2 * b * c)
    check(lambda x, y, z: x.addcdiv(y, z, value=-1), [leaf(a), leaf(b), leaf(c)], a - b / c)
    check(lambda x, y: x.lerp(y, 0.3), [leaf(a), leaf(b)], a + 0.3 * (b - a))
    pieces = [np.split(a, [2], axis=1), np.split(a, [2], axis=0)]
    check(lambda x: ops.cat(x.split(2, dim=1)[::-1], 1), [leaf(a)], np.concatenate(pieces[0][::-1], 1))
    check(lambda x: x.chunk(2)[0] * 2, [leaf(a)], pieces[1][0] * 2)
    assert gradcheck(lambda x: x.expand_as(Tensor(np.zeros((2, 3, 4)))), [leaf(a)], **STRICT)
