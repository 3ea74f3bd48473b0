"""Property tests of every op: the forward against NumPy, the backward against finite
differences (``gradcheck``), in float64, on random small shapes (size-1 axes, broadcasting
pairs, scalars), on each backend.

Hypothesis draws the shapes, axes, flags, exponents and indices; the values come from a
drawn seed (uniform in a range), kept away from the points where an op has no derivative
(relu at 0, ties of max).
"""
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_opt
from tinygrad_opt import Tensor, nn, ops
from tinygrad_opt.gradcheck import gradcheck
from tinygrad_opt.ops.loss import cross_entropy

# derandomize: the same examples on every run, so the suite never flakes; the device_backend
# fixture only switches the default backend, so it is safe to share between examples
examples = settings(max_examples=25, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])
STRICT = dict(atol=1e-8, rtol=1e-7)     # float64 central differences are good to ~1e-10 here
FORWARD = dict(rtol=1e-12, atol=1e-12)

shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)
nonscalar_shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)
broadcast_pairs = hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=4)
seeds = st.integers(0, 2 ** 32 - 1)


def uniform(seed, shape, low=-2.0, high=2.0):
    return np.random.default_rng(seed).uniform(low, high, shape)


def away_from_zero(seed, shape, low=0.5, high=2.0):
    """Values with |x| in [low, high) and a random sign (safe divisors, bases of powers)."""
    rng = np.random.default_rng(seed)
    return rng.uniform(low, high, shape) * rng.choice([-1.0, 1.0], shape)


def leaf(x):
    return Tensor(x, requires_grad=True)


def check(fn, inputs, expected):
    """gradcheck ``fn`` at ``inputs`` and compare its forward value with NumPy's ``expected``."""
    out = fn(*inputs)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out.numpy(), expected, **FORWARD)
    assert gradcheck(fn, inputs, **STRICT)


# -- elementwise binary ops, with broadcasting ----------------------------------------------
BINARY = {"add": (ops.add, np.add), "sub": (ops.sub, np.subtract),
          "mul": (ops.mul, np.multiply), "div": (ops.div, np.divide)}


@pytest.mark.parametrize("name", sorted(BINARY))
@examples
@given(pair=broadcast_pairs, seed=seeds)
def test_binary_ops(device_backend, name, pair, seed):
    op, reference = BINARY[name]
    a = uniform(seed, pair.input_shapes[0])
    b = away_from_zero(seed + 1, pair.input_shapes[1])
    check(op, [leaf(a), leaf(b)], reference(a, b))


@examples
@given(shape=shapes, seed=seeds)
def test_neg(device_backend, shape, seed):
    a = uniform(seed, shape)
    check(ops.neg, [leaf(a)], -a)


@examples
@given(shape=shapes, seed=seeds, exponent=st.sampled_from([0, 1, 2, 3, -1, -2]))
def test_pow_integer_exponent(device_backend, shape, seed, exponent):
    a = away_from_zero(seed, shape)
    check(lambda t: t ** exponent, [leaf(a)], a ** float(exponent))


@examples
@given(shape=shapes, seed=seeds, exponent=st.floats(-2.5, 2.5))
def test_pow_fractional_exponent_positive_base(device_backend, shape, seed, exponent):
    a = uniform(seed, shape, 0.3, 2.0)
    check(lambda t: t ** exponent, [leaf(a)], a ** exponent)


def test_pow_zero_exponent_has_zero_gradient_at_zero(device_backend):
    x = leaf(np.array([0.0, 2.0]))
    (x ** 0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0])


# -- unary ------------------------------------------------------------------------------------
UNARY = {"exp": (ops.exp, np.exp, -2.0), "log": (ops.log, np.log, 0.2),
         "tanh": (ops.tanh, np.tanh, -3.0), "sigmoid": (ops.sigmoid, lambda x: 1 / (1 + np.exp(-x)), -4.0)}


@pytest.mark.parametrize("name", sorted(UNARY))
@examples
@given(shape=shapes, seed=seeds)
def test_unary_ops(device_backend, name, shape, seed):
    op, reference, low = UNARY[name]
    a = uniform(seed, shape, low, 3.0)
    out = op(leaf(a))
    np.testing.assert_allclose(out.numpy(), reference(a), rtol=1e-14, atol=1e-15)
    assert gradcheck(op, [leaf(a)], **STRICT)


@examples
@given(shape=shapes, seed=seeds)
def test_relu(device_backend, shape, seed):
    a = uniform(seed, shape)
    assume(np.all(np.abs(a) > 1e-3))              # no derivative at the kink
    check(ops.relu, [leaf(a)], np.maximum(a, 0))


def test_relu_gradient_is_zero_at_the_kink():
    x = leaf(np.array([-1.0, 0.0, 2.0]))
    ops.relu(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 1.0])


def test_sigmoid_does_not_overflow():
    x = Tensor(np.array([-1000.0, 0.0, 1000.0], dtype=np.float32))
    with np.errstate(over="raise", invalid="raise", divide="raise"):   # e^-1000 may underflow to 0
        np.testing.assert_allclose(ops.sigmoid(x).numpy(), [0.0, 0.5, 1.0])


# -- matrix products ------------------------------------------------------------------------
@st.composite
def matmul_shapes(draw):
    """(..., n, k) and (..., k, m) with batch axes that broadcast (none: the 2-D product)."""
    n, k, m = draw(st.integers(1, 4)), draw(st.integers(1, 4)), draw(st.integers(1, 4))
    batch = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=2, max_side=3))
    return batch.input_shapes[0] + (n, k), batch.input_shapes[1] + (k, m)


@examples
@given(shape_pair=matmul_shapes(), seed=seeds)
def test_matmul(device_backend, shape_pair, seed):
    a, b = uniform(seed, shape_pair[0]), uniform(seed + 1, shape_pair[1])
    check(ops.matmul, [leaf(a), leaf(b)], a @ b)


@st.composite
def matmul_shapes_with_a_vector(draw):
    """PyTorch's matmul with a 1-D operand: (..., n, k) @ (k,), (k,) @ (..., k, m) or (k,) @ (k,)."""
    k, other = draw(st.integers(1, 4)), draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3))
    return draw(st.sampled_from([(other + (k,), (k,)), ((k,), other[:-1] + (k,) + other[-1:]), ((k,), (k,))]))


@examples
@given(shape_pair=matmul_shapes_with_a_vector(), seed=seeds)
def test_matmul_with_a_vector(device_backend, shape_pair, seed):
    """A vector on the right is summed against a's last axis, on the left against b's second-to-last:
    out = sum_k a_..k b_k, or sum_k a_k b_..km (the dot product sum_k a_k b_k when both are vectors)."""
    a, b = uniform(seed, shape_pair[0]), uniform(seed + 1, shape_pair[1])
    expected = (a * b).sum(-1) if b.ndim == 1 else (a[:, None] * b).sum(-2)
    check(ops.matmul, [leaf(a), leaf(b)], expected)
    assert (leaf(a) @ leaf(b)).shape == expected.shape


def test_matmul_shape_error():
    with pytest.raises(ValueError, match=r"matmul: shapes \(2, 3\) @ \(2, 3\) do not fit; .*k = 3 and 2"):
        leaf(np.ones((2, 3))) @ leaf(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"matmul: shapes \(3,\) @ \(2, 3\) do not fit; .*k = 3 and 2"):
        leaf(np.ones(3)) @ leaf(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"matmul: shapes \(3,\) @ \(2,\) do not fit; .*k = 3 and 2"):
        leaf(np.ones(3)) @ leaf(np.ones(2))
    with pytest.raises(ValueError, match=r"matmul: shapes \(\) @ \(3,\) do not fit: both operands need at "
                                         r"least 1 dimension.*write a \* b"):
        leaf(np.ones(())) @ leaf(np.ones(3))


@examples
@given(lead=st.sampled_from([(), (3,)]), batch=st.integers(1, 4), n_in=st.integers(1, 4),
       n_out=st.integers(1, 4), bias=st.booleans(), seed=seeds)
def test_linear(device_backend, lead, batch, n_in, n_out, bias, seed):
    x = uniform(seed, (batch, *lead, n_in))
    w = uniform(seed + 1, (n_out, n_in))
    b = uniform(seed + 2, (n_out,))
    expected = x @ w.T + (b if bias else 0.0)
    inputs = [leaf(x), leaf(w)] + ([leaf(b)] if bias else [])
    check(ops.linear, inputs, expected)


def test_linear_shape_error():
    with pytest.raises(ValueError, match=r"linear: input of shape \(2, 5\) does not fit weight of shape \(3, 4\): "
                                         r"the input's last axis must equal in_features = 4"):
        ops.linear(leaf(np.ones((2, 5))), leaf(np.ones((3, 4))))


# -- reductions -----------------------------------------------------------------------------
@st.composite
def shape_and_axis(draw, min_dims=0):
    shape = draw(hnp.array_shapes(min_dims=min_dims, max_dims=3, min_side=1, max_side=4))
    axis = draw(st.none() | st.integers(-len(shape), len(shape) - 1)) if shape else None
    return shape, axis


REDUCE = {"sum": (ops.sum, np.sum), "mean": (ops.mean, np.mean), "prod": (ops.prod, np.prod)}


@pytest.mark.parametrize("name", sorted(REDUCE))
@examples
@given(shape_axis=shape_and_axis(), keepdims=st.booleans(), seed=seeds)
def test_sum_mean_prod(device_backend, name, shape_axis, keepdims, seed):
    check_reduction(name, *shape_axis, keepdims, seed)


def check_reduction(name, shape, axis, keepdims, seed):
    """The op's forward against NumPy's and its backward against finite differences."""
    op, reference = REDUCE[name]
    a = uniform(seed, shape)
    check(lambda t: op(t, axis, keepdims), [leaf(a)], reference(a, axis=axis, keepdims=keepdims))


@examples
@given(shape_axis=shape_and_axis(min_dims=1), keepdims=st.booleans(), seed=seeds,
       zeros=st.lists(st.integers(0, 63), min_size=1, max_size=2))
def test_prod_with_zeros(device_backend, shape_axis, keepdims, seed, zeros):
    """One or two exact zeros: the gradient is not out / a_i (which would divide by zero)."""
    shape, axis = shape_axis
    a = uniform(seed, shape).reshape(-1)
    a[[z % a.size for z in zeros]] = 0.0
    a = a.reshape(shape)
    check(lambda t: ops.prod(t, axis, keepdims), [leaf(a)], np.prod(a, axis=axis, keepdims=keepdims))


def test_prod_gradient_with_a_zero_exactly():
    x = leaf(np.array([2.0, 0.0, 3.0]))
    ops.prod(x).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 6.0, 0.0])


def top_two_apart(a, axis):
    """True when the largest and second-largest values of each reduction differ by > 1e-3."""
    flat = a.reshape(-1) if axis is None else np.moveaxis(a, axis, -1)
    if flat.shape[-1] < 2:
        return True
    top = np.sort(flat, axis=-1)
    return bool(np.all(top[..., -1] - top[..., -2] > 1e-3))


@pytest.mark.parametrize("name", ["amax", "amin"])
@examples
@given(shape_axis=shape_and_axis(), keepdims=st.booleans(), seed=seeds)
def test_amax_amin(device_backend, name, shape_axis, keepdims, seed):
    shape, axis = shape_axis
    a = uniform(seed, shape)
    assume(top_two_apart(a if name == "amax" else -a, axis))
    reference = np.max if name == "amax" else np.min
    check(lambda t: getattr(ops, name)(t, axis, keepdims), [leaf(a)], reference(a, axis=axis, keepdims=keepdims))


@pytest.mark.parametrize("name", ["max", "min"])
@examples
@given(shape_axis=shape_and_axis(min_dims=1), keepdims=st.booleans(), seed=seeds)
def test_max_min_with_a_dim_give_values_and_indices(device_backend, name, shape_axis, keepdims, seed):
    shape, axis = shape_axis
    axis = 0 if axis is None else axis
    a = uniform(seed, shape)
    assume(top_two_apart(a if name == "max" else -a, axis))
    values, indices = getattr(ops, name)(leaf(a), axis, keepdims)
    np.testing.assert_array_equal(values.numpy(), getattr(np, name)(a, axis=axis, keepdims=keepdims))
    expected = getattr(np, "arg" + name)(a, axis=axis)
    np.testing.assert_array_equal(indices.numpy(), np.expand_dims(expected, axis) if keepdims else expected)
    assert indices.dtype == np.int64 and not indices.requires_grad
    check(lambda t: getattr(ops, name)(t, dim=axis, keepdim=keepdims).values, [leaf(a)],
          getattr(np, name)(a, axis=axis, keepdims=keepdims))


def test_max_with_a_dim_sends_the_gradient_to_the_returned_index():
    x = leaf(np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]]))
    values, indices = x.max(dim=1)
    np.testing.assert_array_equal(indices.numpy(), [1, 0])
    values.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    y = leaf(np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]]))
    y.min(1).values.sum().backward()
    np.testing.assert_array_equal(y.grad.numpy(), [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])


def test_max_without_a_dim_shares_the_gradient_among_ties():
    """PyTorch's rule for max() and amax: each of the k tied maxima receives g / k."""
    y = leaf(np.array([3.0, 1.0, 3.0]))
    ops.max(y).backward()
    np.testing.assert_array_equal(y.grad.numpy(), [0.5, 0.0, 0.5])
    z = leaf(np.array([[2.0, 2.0, 2.0], [0.0, 5.0, 1.0]]))
    (ops.amax(z, dim=1) * Tensor(np.array([3.0, 1.0]))).sum().backward()
    np.testing.assert_array_equal(z.grad.numpy(), [[1.0, 1.0, 1.0], [0.0, 1.0, 0.0]])
    w = leaf(np.array([-1.0, -4.0, -4.0, 0.0]))
    w.min().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [0.0, 0.5, 0.5, 0.0])


@pytest.mark.parametrize("name", ["sum", "mean", "max", "prod", "amax", "var", "argmax"])
def test_reduction_dim_error(name):
    with pytest.raises(ValueError, match=rf"{name}: dim 2 is out of range for a tensor of shape \(2, 3\)"):
        getattr(ops, name)(leaf(np.ones((2, 3))), 2)


@st.composite
def shape_and_axes(draw):
    """A shape and a tuple of distinct axes of it (negative ones too, possibly empty)."""
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4))
    return shape, draw(hnp.valid_tuple_axes(len(shape)))


@pytest.mark.parametrize("name", ["sum", "mean"])
@examples
@given(shape_axes=shape_and_axes(), keepdims=st.booleans(), seed=seeds)
def test_sum_mean_over_a_tuple_of_axes(device_backend, name, shape_axes, keepdims, seed):
    check_reduction(name, *shape_axes, keepdims, seed)


def test_reduction_dim_type_errors():
    x = leaf(np.ones((2, 3)))
    for name in ("max", "prod", "argmax"):
        with pytest.raises(TypeError, match=rf"^{name}: dim must be an int or None, got \(0, 1\)"):
            getattr(ops, name)(x, (0, 1))
    with pytest.raises(TypeError, match=r"^sum: dim must be an int, a tuple of ints or None, got 1.0"):
        x.sum(dim=1.0)
    with pytest.raises(ValueError, match=r"^mean: dim \(1, -1\) names one axis twice"):
        x.mean(axis=(1, -1))
    with pytest.raises(ValueError, match=r"^sum: dim 2 is out of range for a tensor of shape \(2, 3\)"):
        x.sum(axis=(0, 2))
    with pytest.raises(TypeError, match=r"^sum: got both dim=0 and axis=1; they are one argument"):
        x.sum(dim=0, axis=1)


# -- shape ops ------------------------------------------------------------------------------
@st.composite
def reshapes(draw):
    shape = draw(shapes)
    size = int(np.prod(shape))
    target = draw(st.sampled_from([(size,), (-1,), shape[::-1], (1, *shape, 1), (size, 1), (-1, 1)]))
    return shape, target


@examples
@given(shapes_pair=reshapes(), seed=seeds)
def test_reshape(device_backend, shapes_pair, seed):
    shape, target = shapes_pair
    a = uniform(seed, shape)
    check(lambda t: t.reshape(target), [leaf(a)], a.reshape(target))
    check(lambda t: t.view(*target), [leaf(a)], a.reshape(target))


def test_reshape_error():
    with pytest.raises(ValueError,
                       match=r"reshape: cannot view a tensor of shape \(2, 3\) \(6 elements\) as shape \(4,\)"):
        leaf(np.ones((2, 3))).reshape(4)


@st.composite
def shape_and_two_axes(draw):
    shape = draw(nonscalar_shapes)
    d0, d1 = draw(st.integers(-len(shape), len(shape) - 1)), draw(st.integers(-len(shape), len(shape) - 1))
    return shape, d0, d1


@examples
@given(shape_axes=shape_and_two_axes(), seed=seeds)
def test_transpose(device_backend, shape_axes, seed):
    shape, d0, d1 = shape_axes
    a = uniform(seed, shape)
    check(lambda t: t.transpose(d0, d1), [leaf(a)], np.swapaxes(a, d0, d1))


@examples
@given(shape=shapes, seed=seeds)
def test_T(device_backend, shape, seed):
    a = uniform(seed, shape)
    check(lambda t: t.T, [leaf(a)], a.T)


@st.composite
def shape_and_permutation(draw):
    shape = draw(shapes)
    dims = draw(st.permutations(range(len(shape))))
    negative = draw(st.lists(st.booleans(), min_size=len(shape), max_size=len(shape)))
    return shape, tuple(d - len(shape) if neg else d for d, neg in zip(dims, negative, strict=True))


@examples
@given(shape_dims=shape_and_permutation(), seed=seeds)
def test_permute(device_backend, shape_dims, seed):
    shape, dims = shape_dims
    a = uniform(seed, shape)
    check(lambda t: ops.permute(t, dims), [leaf(a)], np.transpose(a, dims))


def test_permute_and_transpose_errors():
    with pytest.raises(ValueError, match=r"permute: \(0, 0\) is not a permutation of the 2 axes of shape \(2, 3\)"):
        ops.permute(leaf(np.ones((2, 3))), (0, 0))
    with pytest.raises(ValueError, match=r"transpose: axis 2 is out of range for shape \(2, 3\)"):
        leaf(np.ones((2, 3))).transpose(0, 2)


@st.composite
def basic_indexing(draw):
    shape = draw(nonscalar_shapes)
    return shape, draw(hnp.basic_indices(shape, allow_newaxis=True, allow_ellipsis=True))


@examples
@given(shape_index=basic_indexing(), seed=seeds)
def test_getitem_basic(device_backend, shape_index, seed):
    shape, index = shape_index
    a = uniform(seed, shape)
    check(lambda t: t[index], [leaf(a)], a[index])


@st.composite
def advanced_indexing(draw):
    """Integer arrays (repeats likely): one per axis, or one list on a single axis."""
    shape = draw(nonscalar_shapes)
    if draw(st.booleans()):
        arrays = draw(hnp.integer_array_indices(shape, result_shape=hnp.array_shapes(max_dims=2, max_side=5)))
        return shape, tuple(arrays)
    axis = draw(st.integers(0, len(shape) - 1))
    picks = draw(st.lists(st.integers(-shape[axis], shape[axis] - 1), min_size=1, max_size=6))
    return shape, (slice(None),) * axis + (np.array(picks),)


@examples
@given(shape_index=advanced_indexing(), seed=seeds)
def test_getitem_advanced(device_backend, shape_index, seed):
    shape, index = shape_index
    a = uniform(seed, shape)
    # index arrays as tensors, so they live on the same device as the data
    on_device = tuple(Tensor(i) if isinstance(i, np.ndarray) else i for i in index)
    check(lambda t: t[on_device], [leaf(a)], a[index])


def test_getitem_repeated_index_adds_up(device_backend):
    x = leaf(np.array([1.0, 2.0, 3.0]))
    x[Tensor(np.array([0, 2, 0, 0]))].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 0.0, 1.0])


def test_gather_with_a_host_row_index(device_backend):
    """``logp[np.arange(B), y]``, as a hand-written NLL does: a host index array (CuPy copies
    it to the device) next to a label tensor, or alone; forward and backward (add.at)."""
    a = uniform(0, (4, 3))
    y = np.array([2, 0, 2, 1])
    rows = np.arange(4)
    check(lambda t: t[rows, Tensor(y)], [leaf(a)], a[rows, y])
    check(lambda t: t[rows, y], [leaf(a)], a[rows, y])


def test_getitem_error():
    with pytest.raises(IndexError, match=r"getitem: index does not fit a tensor of shape \(2, 3\)"):
        leaf(np.ones((2, 3)))[5]


# -- softmax and losses ---------------------------------------------------------------------
def reference_log_softmax(a, axis):
    m = a.max(axis=axis, keepdims=True)
    return a - m - np.log(np.exp(a - m).sum(axis=axis, keepdims=True))


@examples
@given(shape_axis=shape_and_axis(min_dims=1), seed=seeds)
def test_log_softmax(device_backend, shape_axis, seed):
    shape, axis = shape_axis
    axis = -1 if axis is None else axis
    a = uniform(seed, shape, -3.0, 3.0)
    check(lambda t: ops.log_softmax(t, axis), [leaf(a)], reference_log_softmax(a, axis))


def test_log_softmax_is_stable_for_huge_logits():
    x = Tensor(np.array([[1e4, 0.0, -1e4]], dtype=np.float32))
    with np.errstate(over="raise", invalid="raise", divide="raise"):   # e^-2e4 may underflow to 0
        out = ops.log_softmax(x, 1).numpy()
    np.testing.assert_allclose(out, [[0.0, -1e4, -2e4]])
    with pytest.raises(ValueError, match=r"log_softmax: dim 2 is out of range for shape \(1, 3\)"):
        ops.log_softmax(x, 2)


REDUCTIONS = {"mean": np.mean, "sum": np.sum, "none": lambda v: v}


@pytest.mark.parametrize("reduction", sorted(REDUCTIONS))
@pytest.mark.parametrize("of_logits", ["logp", "log_softmax", "cross_entropy"])
@examples
@given(batch=st.integers(1, 4), classes=st.integers(1, 4), seed=seeds, data=st.data())
def test_nll_loss(device_backend, reduction, of_logits, batch, classes, seed, data):
    """nll_loss of log-probabilities; of log_softmax(z), two ops; and cross_entropy(z), one fused op."""
    logits = of_logits != "logp"
    x = uniform(seed, (batch, classes), -4.0 if logits else -3.0, 4.0 if logits else 0.0)
    logp = reference_log_softmax(x, 1) if logits else x
    target = np.array(data.draw(st.lists(st.integers(0, classes - 1), min_size=batch, max_size=batch)))
    expected = REDUCTIONS[reduction](-logp[np.arange(batch), target])
    loss = {"logp": lambda t, y: ops.nll_loss(t, y, reduction),
            "log_softmax": lambda t, y: ops.nll_loss(ops.log_softmax(t, 1), y, reduction),
            "cross_entropy": lambda t, y: cross_entropy(t, y, reduction)}[of_logits]
    check(loss, [leaf(x), Tensor(target)], expected)


@pytest.mark.parametrize("reduction", sorted(REDUCTIONS))
@examples
@given(shape=shapes, seed=seeds)
def test_mse_loss(device_backend, reduction, shape, seed):
    a, b = uniform(seed, shape), uniform(seed + 1, shape)
    expected = REDUCTIONS[reduction]((a - b) ** 2)
    check(lambda x, y: ops.mse_loss(x, y, reduction), [leaf(a), leaf(b)], expected)


@pytest.mark.parametrize("op", [ops.nll_loss, cross_entropy, ops.mse_loss])
def test_loss_reduction_error(op):
    name = op.__name__
    with pytest.raises(ValueError, match=rf"{name}: reduction must be one of \('mean', 'sum', 'none'\), got 'avg'"):
        op(leaf(np.zeros((2, 3))), Tensor([0, 1]), "avg")


# -- whole models ---------------------------------------------------------------------------
def test_mlp_with_nll_loss_gradcheck(device_backend):
    """Every parameter of MLP(6, 3, [5, 4]) in float64, through the real modules."""
    tinygrad_opt.set_default_dtype(np.float64)
    tinygrad_opt.manual_seed(0)
    model = nn.MLP(6, 3, [5, 4])
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((5, 6)))
    y = Tensor(np.array([0, 2, 1, 2, 0]))
    # gradcheck hands fn fresh copies of the parameters: plug them into the layers
    slots = [(layer, name) for layer in model.main if isinstance(layer, nn.Linear) for name in ("weight", "bias")]
    assert len(slots) == len(list(model.parameters())) == 6

    def loss_fn(*params):
        for (layer, name), p in zip(slots, params, strict=True):
            vars(layer)[name] = p       # a Module refuses a plain Tensor for a Parameter, as PyTorch
        return nn.functional.nll_loss(model(x), y)
    params = [getattr(layer, name) for layer, name in slots]
    assert all(p.dtype == np.float64 for p in params)
    assert gradcheck(loss_fn, params, **STRICT)


def test_deep_narrow_linear_net_gradcheck(device_backend):
    """y = x * w_1 * ... * w_n with the mean squared error: the narrow net of the course."""
    rng = np.random.default_rng(3)
    x, target = Tensor(rng.standard_normal(8)), Tensor(rng.standard_normal(8))
    w = leaf(rng.uniform(0.7, 1.3, 12))

    def loss_fn(weights):
        return ops.mse_loss(x * ops.prod(weights), target)
    assert gradcheck(loss_fn, [w], **STRICT)
    # and the closed form: dL/dw_i = mean(2 (x P - t) x) * P / w_i with P = prod w
    P = w.numpy().prod()
    loss_fn(w).backward()
    expected = np.mean(2 * (x.numpy() * P - target.numpy()) * x.numpy()) * P / w.numpy()
    np.testing.assert_allclose(w.grad.numpy(), expected, rtol=1e-12)
