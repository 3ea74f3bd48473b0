"""In-place operations and the version check, as in PyTorch.

Every in-place change bumps a tensor's version; an op records the versions of its inputs
and output, and a backward that would read changed values raises instead, naming the op and
the tensor. ``.data`` and ``.array`` stay the untracked escape hatch; ``detach()`` shares the
version count."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tinygrad_opt import Tensor, no_grad, ops
from tinygrad_opt.tensor import make_result

examples = settings(max_examples=40, deadline=None, derandomize=True, database=None)
MODIFIED = "has been modified by an in-place operation"


def leaf(x):
    return Tensor(np.asarray(x, dtype=np.float64), requires_grad=True)


def const(x):
    return Tensor(np.asarray(x, dtype=np.float64))


# -- every in-place change bumps the version --------------------------------------------------
CHANGES = {
    "add_": lambda t: t.add_(1.0),
    "sub_": lambda t: t.sub_(const([1.0, 2.0, 3.0]), alpha=2),
    "mul_": lambda t: t.mul_(2.0),
    "div_": lambda t: t.div_(2.0),
    "copy_": lambda t: t.copy_(const([7.0])),
    "fill_": lambda t: t.fill_(3.0),
    "zero_": lambda t: t.zero_(),
    "clamp_": lambda t: t.clamp_(min=0.0),
    "setitem": lambda t: t.__setitem__(slice(0, 2), 5.0),
    "+=": lambda t: t.__iadd__(1.0),
    "-=": lambda t: t.__isub__(1.0),
    "*=": lambda t: t.__imul__(2.0),
    "/=": lambda t: t.__itruediv__(2.0),
}


@pytest.mark.parametrize("name", CHANGES)
def test_each_in_place_change_bumps_the_version_once(name):
    t = const([1.0, -2.0, 3.0])
    assert t._version == 0
    out = CHANGES[name](t)
    assert t._version == 1
    assert out is t or out is None


@pytest.mark.parametrize("name", CHANGES)
def test_each_in_place_change_of_a_saved_input_makes_backward_raise(device_backend, name):
    w, x = leaf([0.5, 1.5, -1.0]), const([1.0, -2.0, 3.0])
    loss = (w * x).sum()                         # mul saves x for dL/dw = g x
    CHANGES[name](x)
    with pytest.raises(RuntimeError, match=MODIFIED) as e:
        loss.backward()
    message = str(e.value)
    assert "input 1 of op 'mul' (a tensor, shape (3,), float64)" in message
    assert "saved at version 0 and is now at version 1" in message
    assert w.grad is None


def test_a_parameter_changed_between_forward_and_backward(device_backend):
    """The optimizer's step between the forward pass and backward(): PyTorch raises too."""
    W, x = leaf(np.ones((2, 3))), const(np.ones((4, 3)))
    loss = ops.linear(x, W).sum()
    with no_grad():
        W -= 0.1 * Tensor(np.ones((2, 3)))
    with pytest.raises(RuntimeError, match=MODIFIED) as e:
        loss.backward()
    assert "input 1 of op 'linear' (a leaf that requires grad, shape (2, 3)" in str(e.value)
    assert "optimizer.step() after loss.backward()" in str(e.value)


def test_an_optimizer_that_works_on_arrays_bumps_the_version_itself(device_backend):
    """The contract for optimizers: update p.array in place, then call p._bump_version()."""
    p = leaf([1.0, 2.0])
    loss = (p * p).sum()
    p.array -= 0.1                               # what an optimizer's step does ...
    loss_kept = loss
    p._bump_version()                            # ... and then says so
    with pytest.raises(RuntimeError, match=MODIFIED):
        loss_kept.backward()


def test_a_changed_output_that_the_backward_reads(device_backend):
    """exp's backward reads its output: changing the output (here under no_grad) is caught."""
    x = leaf([0.0, 1.0])
    y = x.exp()
    with no_grad():
        y.mul_(2.0)
    with pytest.raises(RuntimeError, match=MODIFIED) as e:
        y.sum().backward()
    assert "the output of op 'exp'" in str(e.value)


def test_the_same_change_after_backward_is_fine_and_a_new_forward_sees_it(device_backend):
    w, x = leaf([1.0, 2.0]), const([3.0, 4.0])
    (w * x).sum().backward()
    with no_grad():
        w -= 0.5 * w.grad                        # p -= lr * p.grad, the course's update
    np.testing.assert_array_equal(w.numpy(), [-0.5, 0.0])
    w.grad = None
    (w * x).sum().backward()                     # a new graph records the new version
    np.testing.assert_array_equal(w.grad.numpy(), [3.0, 4.0])


def test_training_loop_written_the_pytorch_way(device_backend):
    """zero_grad, forward, backward, step (in place, under no_grad), repeated: no false alarm."""
    w, x, y = leaf([0.0, 0.0]), const([[1.0, 2.0], [3.0, 4.0]]), const([1.0, 2.0])
    losses = []
    for _ in range(20):
        if w.grad is not None:
            w.grad.zero_()
        loss = (((x @ w.reshape(2, 1)).reshape(2) - y) ** 2).sum()
        loss.backward()
        with no_grad():
            w -= 0.01 * w.grad
        losses.append(loss.item())
    assert losses[-1] < 0.1 * losses[0]


def test_retain_graph_then_a_change_then_backward_again(device_backend):
    w, x = leaf([1.0]), const([2.0])
    loss = (w * x).sum()
    loss.backward(retain_graph=True)
    x.add_(1.0)
    with pytest.raises(RuntimeError, match=MODIFIED):
        loss.backward()


# -- the escape hatch and detach() ------------------------------------------------------------
def test_writing_through_data_is_untracked(device_backend):
    """PyTorch's .data: no version, no check; the backward then uses the new values."""
    w, x = leaf([1.0, 2.0]), const([3.0, 4.0])
    loss = (w * x).sum()
    x.data.mul_(2.0)
    assert x._version == 0
    loss.backward()
    np.testing.assert_array_equal(w.grad.numpy(), [6.0, 8.0])


def test_detach_shares_the_version(device_backend):
    """As in PyTorch: an in-place change through x.detach() is an in-place change of x."""
    w, x = leaf([1.0, 2.0]), const([3.0, 4.0])
    loss = (w * x).sum()
    d = x.detach()
    d.zero_()
    assert x._version == d._version == 1
    np.testing.assert_array_equal(x.numpy(), [0.0, 0.0])
    with pytest.raises(RuntimeError, match=MODIFIED):
        loss.backward()


def test_an_op_whose_inputs_are_unchanged_is_not_flagged_by_others():
    """Only the versions an op recorded count: a tensor changed before the forward is fine."""
    x = const([1.0, 2.0])
    x.add_(1.0)
    w = leaf([1.0, 1.0])
    (w * x).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [2.0, 3.0])


# -- the leaf rule and the rule for tensors computed with grad ------------------------------------
@pytest.mark.parametrize("name", CHANGES)
def test_in_place_on_a_parameter_outside_no_grad_is_refused(name):
    p = leaf([1.0, 2.0, 3.0])
    with pytest.raises(RuntimeError, match="a leaf tensor that requires grad cannot be changed in place"):
        CHANGES[name](p)
    assert p._version == 0
    np.testing.assert_array_equal(p.numpy(), [1.0, 2.0, 3.0])
    with no_grad():
        CHANGES[name](p)
    assert p._version == 1


@pytest.mark.parametrize("name", CHANGES)
def test_in_place_on_a_tensor_computed_with_grad_is_refused(name):
    h = leaf([1.0, 2.0, 3.0]) * 2.0
    with pytest.raises(RuntimeError, match="not supported; write the out-of-place form"):
        CHANGES[name](h)


# -- clamp_ -------------------------------------------------------------------------------------
bounds = st.one_of(st.none(), st.floats(-3, 3))


@given(x=hnp.arrays(np.float64, hnp.array_shapes(max_dims=3, max_side=4), elements=st.floats(-5, 5)),
       lo=bounds, hi=bounds)
@examples
def test_clamp_in_place_is_min_of_max(x, lo, hi):
    """PyTorch: clamp(x, min, max) = min(max(x, min), max); with min > max everything is max."""
    if lo is None and hi is None:
        with pytest.raises(ValueError, match="give min, max or both"):
            const(x).clamp_()
        return
    t = const(x.copy())
    assert t.clamp_(lo, hi) is t
    expected = x if lo is None else np.maximum(x, lo)
    expected = expected if hi is None else np.minimum(expected, hi)
    np.testing.assert_array_equal(t.numpy(), expected)


def test_clamp_in_place_keeps_nan_and_takes_tensor_bounds(device_backend):
    t = const([np.nan, -2.0, 0.5, 9.0])
    t.clamp_(min=const([0.0, 0.0, 0.0, 0.0]), max=1.0)
    np.testing.assert_array_equal(t.numpy(), [np.nan, 0.0, 0.5, 1.0])
    with pytest.raises(RuntimeError, match="can't be cast to the tensor's dtype int64"):
        Tensor(np.array([1, 2])).clamp_(min=0.5)


# -- t[index] = value -----------------------------------------------------------------------------
def test_setitem_forms(device_backend):
    t = const(np.zeros((3, 4)))
    t[0] = 1.0                                          # a row, from a number
    t[1, 1:3] = const([2.0, 3.0])                        # a slice, from a tensor
    t[:, 3] = const([[4.0], [5.0], [6.0]]).reshape(3)    # a column
    t[Tensor(np.array([2, 2])), Tensor(np.array([0, 1]))] = 7.0   # index tensors
    np.testing.assert_array_equal(t.numpy(), [[1, 1, 1, 4], [0, 2, 3, 5], [7, 7, 0, 6]])
    u = const([-1.0, 2.0, -3.0])
    u[u < 0] = 0.0                                      # a boolean mask, as in PyTorch
    np.testing.assert_array_equal(u.numpy(), [0.0, 2.0, 0.0])
    assert t._version == 4 and u._version == 1


def test_setitem_errors_name_the_shapes():
    t = const(np.zeros((3, 4)))
    with pytest.raises(RuntimeError, match=r"shape \(3,\) cannot be applied in place to one of shape \(4,\)"):
        t[0] = const([1.0, 2.0, 3.0])
    with pytest.raises(RuntimeError, match="can't be cast to the tensor's dtype int64"):
        Tensor(np.array([1, 2]))[0] = 0.5
    assert t._version == 0


def test_setitem_on_a_saved_tensor_makes_backward_raise():
    w, x = leaf([1.0, 2.0]), const([3.0, 4.0])
    loss = (w * x).sum()
    x[0] = 0.0
    with pytest.raises(RuntimeError, match=MODIFIED):
        loss.backward()


# -- requires_grad_() -------------------------------------------------------------------------------
def test_requires_grad_in_place():
    x = const([1.0, 2.0])
    assert x.requires_grad_() is x and x.requires_grad and x.is_leaf
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0])
    assert x.requires_grad_(False) is x and not x.requires_grad
    with pytest.raises(RuntimeError, match="only floating-point tensors can require gradients"):
        Tensor(np.array([1, 2])).requires_grad_()
    h = leaf([1.0]) * 2.0
    assert h.requires_grad_() is h                     # already true: nothing to change
    with pytest.raises(RuntimeError, match=r"requires_grad_\(False\): only a leaf's flag can be changed"):
        h.requires_grad_(False)


# -- a random program of in-place changes against NumPy ---------------------------------------------
@given(steps=st.lists(st.sampled_from(sorted(CHANGES)), max_size=8))
@examples
def test_in_place_sequences_match_numpy_and_count_every_change(steps):
    x = np.array([1.0, -2.0, 3.0])
    t = const(x.copy())
    numpy_ops = {"add_": lambda a: a + 1.0, "sub_": lambda a: a - 2 * np.array([1.0, 2.0, 3.0]),
                 "mul_": lambda a: a * 2.0, "div_": lambda a: a / 2.0, "copy_": lambda a: np.full(3, 7.0),
                 "fill_": lambda a: np.full(3, 3.0), "zero_": lambda a: np.zeros(3),
                 "clamp_": lambda a: np.maximum(a, 0.0), "setitem": lambda a: np.r_[5.0, 5.0, a[2]],
                 "+=": lambda a: a + 1.0, "-=": lambda a: a - 1.0, "*=": lambda a: a * 2.0,
                 "/=": lambda a: a / 2.0}
    for name in steps:
        CHANGES[name](t)
        x = numpy_ops[name](x)
    np.testing.assert_array_equal(t.numpy(), x)
    assert t._version == len(steps)


def test_a_users_op_sees_the_version_check_too():
    """The check is the engine's, not each op's: an op written with make_result gets it."""
    def times(a, b):
        out = a.array * b.array

        def backward(g):
            return g * b.array, None
        return make_result(out, (a, b), backward, "times")
    w, x = leaf([1.0]), const([2.0])
    loss = times(w, x).sum()
    x += 1.0
    with pytest.raises(RuntimeError, match=MODIFIED) as e:
        loss.backward()
    assert "'times'" in str(e.value)


# -- unsqueeze_ and squeeze_: the shape changes in place ----------------------------------------------
@given(shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3), data=st.data())
@examples
def test_unsqueeze_and_squeeze_in_place_give_the_out_of_place_shape(shape, data):
    x = np.arange(float(np.prod(shape))).reshape(shape)
    dim = data.draw(st.integers(-len(shape) - 1, len(shape)))
    t = const(x)
    assert t.unsqueeze_(dim) is t and t._version == 1
    np.testing.assert_array_equal(t.numpy(), np.expand_dims(x, dim))
    squeeze_dim = data.draw(st.none() | st.integers(-t.ndim, t.ndim - 1))
    expected = np.squeeze(t.numpy()) if squeeze_dim is None else ops.squeeze(const(t.numpy()), squeeze_dim).numpy()
    assert t.squeeze_(squeeze_dim) is t and t._version == 2
    np.testing.assert_array_equal(t.numpy(), expected)
    assert t.shape == expected.shape


def test_unsqueeze_in_place_of_a_saved_input_makes_backward_raise(device_backend):
    w, x = leaf([0.5, 1.5, -1.0]), const([1.0, -2.0, 3.0])
    loss = (w * x).sum()                         # mul saves x, of shape (3,)
    x.unsqueeze_(0)
    with pytest.raises(RuntimeError, match=MODIFIED) as e:
        loss.backward()
    assert "input 1 of op 'mul' (a tensor, shape (1, 3), float64)" in str(e.value)


def test_unsqueeze_in_place_of_a_parameter_needs_no_grad_and_a_cleared_grad(device_backend):
    p = leaf([1.0, 2.0, 3.0])
    with pytest.raises(RuntimeError, match="unsqueeze_: a leaf tensor that requires grad cannot be changed"):
        p.unsqueeze_(0)
    assert p.shape == (3,) and p._version == 0
    (p * p).sum().backward()
    with no_grad(), pytest.raises(RuntimeError, match=r"\.grad of shape \(3,\), which would not fit its new "
                                                        r"shape \(3, 1\); set t.grad = None first"):
        p.unsqueeze_(1)
    assert p.shape == (3,) and p._version == 0
    p.grad = None
    with no_grad():
        p.unsqueeze_(1)
    assert p.is_leaf and p.requires_grad and p.shape == (3, 1)
    (p * const([[1.0], [2.0], [3.0]])).sum().backward()       # a new graph sees the new shape
    np.testing.assert_array_equal(p.grad.numpy(), [[1.0], [2.0], [3.0]])
    with no_grad():
        p.squeeze_(0)                            # no axis of size 1 there: the shape stays, .grad still fits
    assert p.shape == (3, 1) and p._version == 2


def test_squeeze_in_place_of_a_tensor_computed_with_grad_is_refused():
    h = leaf([[1.0, 2.0, 3.0]]) * 2.0
    with pytest.raises(RuntimeError, match="squeeze_: in-place operations on tensors computed with grad"):
        h.squeeze_(0)
    assert h.shape == (1, 3)


def test_unsqueeze_in_place_of_a_detached_tensor_leaves_the_source_shape():
    x = leaf([1.0, 2.0])
    d = x.detach()
    d.unsqueeze_(0)
    assert d.shape == (1, 2) and x.shape == (2,)
    d[0, 0] = 5.0                                # still the same storage, as in PyTorch
    assert x.numpy()[0] == 5.0 and x._version == d._version == 2


def test_unsqueeze_in_place_with_a_bad_dim_changes_nothing():
    t = const([1.0, 2.0])
    with pytest.raises(ValueError, match=r"unsqueeze: dim 3 is out of range for a tensor of shape \(2,\)"):
        t.unsqueeze_(3)
    assert t.shape == (2,) and t._version == 0
