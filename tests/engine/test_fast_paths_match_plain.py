"""Every fast path of the engine against the plain computation it replaces: the same numbers.

The speed work (issue: performance) fused ops and dropped copies. Each shortcut is checked
here against the slow, obvious version built from the engine's elementary ops (or from the
hand-written NumPy MLP the benchmark compares with), forward and backward, on each backend.
"""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tinygrad_opt
from tinygrad_opt import Tensor, backend, nn, ops, optim
import tinygrad_opt.nn.functional as F

from experiments import numpy_mlp

examples = settings(max_examples=20, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])
seeds = st.integers(0, 2 ** 32 - 1)
CLOSE = dict(rtol=1e-12, atol=1e-12)        # float64: the two orders of rounding differ a little


def leaf(x):
    return Tensor(x, requires_grad=True)


def grads(fn, *arrays):
    """(forward value, [gradient of each input]) of sum(fn(...) * G) for a fixed random G."""
    inputs = [leaf(a) for a in arrays]
    out = fn(*inputs)
    weights = np.random.default_rng(7).standard_normal(out.shape)
    (out * Tensor(weights)).sum().backward()
    return out.numpy(), [t.grad.numpy() for t in inputs]


def assert_same(fast, plain):
    (fast_out, fast_grads), (plain_out, plain_grads) = fast, plain
    np.testing.assert_allclose(fast_out, plain_out, **CLOSE)
    for f, p in zip(fast_grads, plain_grads, strict=True):
        np.testing.assert_allclose(f, p, **CLOSE)


@given(seed=seeds, batch=st.integers(1, 5), n_in=st.integers(1, 6), n_out=st.integers(1, 4))
@examples
def test_linear_equals_matmul_plus_bias(device_backend, seed, batch, n_in, n_out):
    rng = np.random.default_rng(seed)
    x, w, b = rng.standard_normal((batch, n_in)), rng.standard_normal((n_out, n_in)), rng.standard_normal(n_out)
    assert_same(grads(ops.linear, x, w, b), grads(lambda x, w, b: x @ w.T + b, x, w, b))
    assert_same(grads(lambda x, w: ops.linear(x, w), x, w), grads(lambda x, w: x @ w.T, x, w))


@given(seed=seeds, rows=st.integers(1, 4), classes=st.integers(1, 6), dim=st.sampled_from([0, 1, -1]))
@examples
def test_fused_log_softmax_equals_the_composed_graph(device_backend, seed, rows, classes, dim):
    """One op with backward g - softmax * sum(g), against max / sub / exp / sum / log nodes."""
    a = np.random.default_rng(seed).uniform(-5, 5, (rows, classes))

    def composed(t):
        shifted = t - t.amax(dim, keepdim=True).detach()      # the shift is a constant
        return shifted - shifted.exp().sum(axis=dim, keepdims=True).log()
    assert_same(grads(lambda t: ops.log_softmax(t, dim), a), grads(composed, a))


@given(seed=seeds, rows=st.integers(1, 5), classes=st.integers(1, 6),
       reduction=st.sampled_from(["mean", "sum", "none"]))
@examples
def test_fused_nll_loss_equals_a_one_hot_product(device_backend, seed, rows, classes, reduction):
    rng = np.random.default_rng(seed)
    logp, labels = rng.standard_normal((rows, classes)), rng.integers(0, classes, rows)
    onehot = Tensor(np.eye(classes)[labels])

    def plain(t):
        per_row = -(t * onehot).sum(axis=1)
        return per_row.mean() if reduction == "mean" else per_row.sum() if reduction == "sum" else per_row
    assert_same(grads(lambda t: ops.nll_loss(t, Tensor(labels), reduction), logp), grads(plain, logp))


@given(seed=seeds, rows=st.integers(1, 5), classes=st.integers(1, 6),
       reduction=st.sampled_from(["mean", "sum", "none"]), dtype=st.sampled_from(["float32", "float64"]))
@examples
def test_cross_entropy_is_bit_for_bit_nll_loss_of_log_softmax(device_backend, seed, rows, classes,
                                                               reduction, dtype):
    """cross_entropy(z) is one op with the shortcut softmax - onehot; nll_loss(log_softmax(z))
    is two ops and two backwards: the same loss and the same gradient, bit for bit."""
    rng = np.random.default_rng(seed)
    z, labels = rng.uniform(-5, 5, (rows, classes)).astype(dtype), Tensor(rng.integers(0, classes, rows))
    fused = grads(lambda t: F.cross_entropy(t, labels, reduction), z)
    apart = grads(lambda t: ops.nll_loss(ops.log_softmax(t, 1), labels, reduction), z)
    for f, p in zip([fused[0], *fused[1]], [apart[0], *apart[1]], strict=True):
        np.testing.assert_array_equal(f, p)


@given(dtype=st.sampled_from(["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"]),
       classes=st.integers(1, 5), data=st.data())
@examples
def test_one_pass_label_check_agrees_with_min_and_max(device_backend, dtype, classes, data):
    """check_labels reads the labels once, as unsigned integers of the same width; it must
    refuse exactly the label sets that a min and a max would."""
    info = np.iinfo(dtype)
    labels = np.array(data.draw(st.lists(st.integers(max(info.min, -300), min(info.max, 300)), min_size=1,
                                         max_size=6)), dtype=dtype)
    out_of_range = labels.min() < 0 or labels.max() >= classes
    logp = Tensor(np.zeros((len(labels), classes)))
    if out_of_range:
        with pytest.raises(ValueError, match="is out of range"):
            ops.nll_loss(logp, Tensor(labels))
    else:
        ops.nll_loss(logp, Tensor(labels))


def test_the_fusion_is_an_op_of_its_own_never_chosen_by_a_name():
    z = leaf(np.random.default_rng(0).standard_normal((3, 4)))
    labels = Tensor(np.array([0, 3, 1]))
    assert F.cross_entropy(z, labels)._parents[0] is z                        # one op, straight to the logits
    logp = ops.log_softmax(z, 1)
    assert ops.nll_loss(logp, labels)._parents[0] is logp                      # two ops, two backwards


def test_a_users_own_op_named_log_softmax_gets_its_own_backward():
    """The course's exercise: a student's log_softmax, recorded under that name. nll_loss must
    call the student's backward (here deliberately wrong), not a fused gradient."""
    from tinygrad_opt.tensor import make_result
    calls = []

    def my_log_softmax(a):
        xp = backend.get_array_module(a.array)
        out = a.array - xp.log(xp.exp(a.array).sum(axis=1, keepdims=True))

        def backward(g):
            calls.append(g.shape)
            return (g * 0.0,)                                                 # wrong on purpose
        return make_result(out, (a,), backward, "log_softmax")
    z = leaf(np.random.default_rng(0).standard_normal((3, 4)))
    ops.nll_loss(my_log_softmax(z), Tensor(np.array([0, 3, 1]))).backward()
    assert calls == [(3, 4)]
    np.testing.assert_array_equal(z.grad.numpy(), np.zeros((3, 4)))


def test_cross_entropy_beside_another_use_of_the_log_probabilities():
    """cross_entropy's edge carries its part; log_softmax's own node carries the other use."""
    rng = np.random.default_rng(1)
    z, w = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    labels = Tensor(np.array([2, 0, 1, 1]))
    fused, apart = leaf(z), leaf(z)
    (F.cross_entropy(fused, labels) + (ops.log_softmax(fused, 1) * Tensor(w)).sum()).backward()
    logp = ops.log_softmax(apart, 1)
    (ops.nll_loss(logp, labels) + (logp * Tensor(w)).sum()).backward()
    np.testing.assert_allclose(fused.grad.numpy(), apart.grad.numpy(), rtol=1e-14, atol=1e-15)


@given(seed=seeds, n=st.integers(1, 8), zeros=st.integers(0, 2))
@examples
def test_prod_backward_equals_a_chain_of_products(device_backend, seed, n, zeros):
    """Both of prod's backward paths (out / a_i without zeros, exclusive products with them)
    against w_0 * w_1 * ... built from multiplications."""
    w = np.random.default_rng(seed).uniform(0.5, 1.5, n)
    w[:min(zeros, n)] = 0.0

    def chain(t):
        out = t[0]
        for i in range(1, n):
            out = out * t[i]
        return out
    assert_same(grads(ops.prod, w), grads(chain, w))


@given(seed=seeds)
@examples
def test_mean_as_sum_over_n_equals_numpy_mean(device_backend, seed):
    a = np.random.default_rng(seed).standard_normal((3, 4))
    for axis in (None, 0, 1):
        np.testing.assert_allclose(ops.mean(Tensor(a), axis).numpy(), a.mean(axis=axis), **CLOSE)


def test_tensor_from_numpy_shares_memory_unless_it_is_a_trainable_leaf():
    """A minibatch is wrapped without a copy; a parameter gets its own copy, because an
    optimizer changes it in place and must not change the caller's array. (Host memory: NumPy.)"""
    backend.use("numpy")
    x = np.ones((2, 3))
    assert np.shares_memory(Tensor(x).array, x)
    w = Tensor(x, requires_grad=True)
    assert not np.shares_memory(w.array, x)
    w.array -= 1.0
    assert x[0, 0] == 1.0


def test_leaf_keeps_a_fresh_gradient_without_copying_but_never_a_shared_one():
    backend.use("numpy")                             # (NumPy's .base and shares_memory)
    a, b = leaf(np.ones(3)), leaf(np.ones(3))
    (a * 2.0).sum().backward()
    assert a.grad.array.base is None                     # owned, writable
    (a + b).sum().backward()                         # accumulates into a; b gets a copy, not a's array
    assert not np.shares_memory(a.grad.array, b.grad.array)
    np.testing.assert_array_equal(a.grad, [3.0, 3.0, 3.0])
    np.testing.assert_array_equal(b.grad, [1.0, 1.0, 1.0])


@pytest.mark.parametrize("name", ["sgd", "momentum", "adam"])
def test_mlp_training_equals_the_hand_written_numpy_loop(name):
    """The benchmark compares the engine with experiments/numpy_mlp.py: it must be the same
    computation. Same start, same batches, five steps, float64: same parameters."""
    tinygrad_opt.manual_seed(3)
    backend.set_default_dtype("float64")
    model = nn.MLP(784, 10, [100])
    ref = numpy_mlp.NumpyMLP([p.numpy() for p in model.parameters()])
    settings = {"sgd": (optim.SGD, dict(lr=0.1)), "momentum": (optim.SGD, dict(lr=0.1, momentum=0.9)),
                "adam": (optim.Adam, dict(lr=1e-3))}[name]
    opt, ref_opt = settings[0](model.parameters(), **settings[1]), numpy_mlp.make_optimizer(name, ref.params)
    rng = np.random.default_rng(0)
    for _ in range(5):
        x, y = rng.random((16, 784)), rng.integers(0, 10, 16)
        loss = F.nll_loss(model(Tensor(x)), Tensor(y))
        opt.zero_grad()
        loss.backward()
        ref_loss, ref_grads = ref.loss_and_grads(x, y)
        for p, g in zip(model.parameters(), ref_grads, strict=True):
            np.testing.assert_allclose(p.grad.numpy(), g, rtol=1e-10, atol=1e-14)
        assert loss.item() == pytest.approx(ref_loss, rel=1e-12)
        opt.step()
        ref_opt.step(ref_grads)
    for p, r in zip(model.parameters(), ref.params, strict=True):
        np.testing.assert_allclose(p.numpy(), r, rtol=1e-10, atol=1e-14)
