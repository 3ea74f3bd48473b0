"""The gradient checker: it passes correct ops and catches the usual backward bugs, each
written here as a small broken op with ``make_result``, as a student would write one."""
import numpy as np
import pytest

from tinygrad_opt import Tensor, backend, ops
from tinygrad_opt.gradcheck import GradcheckError, gradcheck
from tinygrad_opt.tensor import make_result


def leaf(x):
    return Tensor(np.asarray(x, dtype=np.float64), requires_grad=True)


# -- broken ops ------------------------------------------------------------------------------
def mul_forgets_g(a, b):
    """a * b whose backward returns b and a: right only when the incoming gradient is 1."""
    def backward(g):
        return b.array, a.array
    return make_result(a.array * b.array, (a, b), backward, "mul_forgets_g")


def exp_wrong_sign(a):
    out = backend.get_array_module(a.array).exp(a.array)

    def backward(g):
        return (-g * out,)
    return make_result(out, (a,), backward, "exp_wrong_sign")


def add_row_wrong_axis(x, b):
    """x: (n, n) + b: (n,) broadcast over rows; dL/db = sum over axis 0, summed over axis 1 here."""
    def backward(g):
        return g, g.sum(axis=1)
    return make_result(x.array + b.array, (x, b), backward, "add_row_wrong_axis")


def square_plus_constant(a):
    """a^2 whose backward adds 1 to the right 2 a g."""
    def backward(g):
        return (2 * a.array * g + 1,)
    return make_result(a.array * a.array, (a,), backward, "square_plus_constant")


def square_one_element_wrong(a):
    """a^2, with the gradient of element 2 five times too large."""
    def backward(g):
        grad = 2 * a.array * g
        grad[2] *= 5
        return (grad,)
    return make_result(a.array * a.array, (a,), backward, "square_one_element_wrong")


def square_constant_when_g_vanishes(a):
    """a^2 whose backward gives 1 wherever the incoming gradient is exactly 0."""
    def backward(g):
        return (2 * a.array * g + (g == 0),)
    return make_result(a.array * a.array, (a,), backward, "square_constant_when_g_vanishes")


# -- correct ops pass ---------------------------------------------------------------------------
def test_passes_on_correct_ops(device_backend):
    rng = np.random.default_rng(0)
    a, b = leaf(rng.standard_normal((3, 4))), leaf(rng.standard_normal((4, 2)))
    assert gradcheck(lambda x, y: (x @ y).tanh() * 3.0, [a, b]) is True
    assert gradcheck(lambda x: ops.log_softmax(x, 1), [a]) is True


def test_leaves_the_inputs_alone():
    a = leaf([1.0, 2.0])
    a.grad = Tensor(a.array * 0 + 9.0)
    gradcheck(lambda x: x * x, [a])
    np.testing.assert_array_equal(a.grad.numpy(), [9.0, 9.0])
    np.testing.assert_array_equal(a.numpy(), [1.0, 2.0])


def test_inputs_without_grad_are_constants():
    c = Tensor(np.array([1.0, 2.0, 3.0]))                  # not checked: no requires_grad
    assert gradcheck(lambda x, k: x * k, [leaf([0.5, 1.0, 1.5]), c])


# -- broken ops are caught ----------------------------------------------------------------------
@pytest.mark.parametrize("broken, inputs, index", [
    (mul_forgets_g, lambda: [leaf([0.5, -1.0, 2.0]), leaf([1.5, 0.3, -0.7])], 0),
    (exp_wrong_sign, lambda: [leaf([0.5, -1.0, 2.0])], 0),
    (add_row_wrong_axis, lambda: [leaf(np.arange(9.0).reshape(3, 3)), leaf([1.0, 2.0, 3.0])], 1),
    (square_plus_constant, lambda: [leaf([0.5, -1.0, 2.0])], 0),
], ids=["forgets-g", "wrong-sign", "wrong-axis", "adds-constant"])
def test_catches_broken_ops(device_backend, broken, inputs, index):
    with pytest.raises(GradcheckError, match=rf"gradcheck: the gradient of input {index} \(shape \(\d+(, \d+)?,?\)\) "
                                             rf"is wrong at index \(\d+(, \d+)?,?\): backward gives -?[\d.e+-]+, "
                                             rf"finite differences give -?[\d.e+-]+"):
        gradcheck(broken, inputs())


def test_message_names_input_worst_element_and_both_values():
    x = np.array([0.5, -1.0, 2.0, 1.5])
    v = np.random.default_rng(0).standard_normal(4)       # gradcheck's output gradient (seed=0)
    right, wrong = 2 * x[2] * v[2], 5 * 2 * x[2] * v[2]
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda c, a: c + square_one_element_wrong(a), [Tensor(np.zeros(4)), leaf(x)])
    message = str(info.value)
    assert message.startswith("gradcheck: the gradient of input 1 (shape (4,)) is wrong at index (2,): ")
    assert f"backward gives {wrong:.6g}, finite differences give " in message
    numeric = float(message.split("finite differences give ")[1].split(" ")[0])
    assert abs(numeric - right) < 1e-6 * abs(right)
    assert "1 of 4 elements disagree" in message


def test_catches_a_term_that_does_not_depend_on_g():
    with pytest.raises(GradcheckError, match=r"with a zero output gradient, input 0 still gets a nonzero "
                                             r"gradient \(1 at index \(0,\)\)"):
        gradcheck(square_constant_when_g_vanishes, [leaf([0.5, -1.0, 2.0])])


def test_output_gradients_come_from_the_outputs_own_backend(monkeypatch):
    """With two backends for "gpu" (the stand-in, then CuPy on a GPU machine), gradcheck on
    the first must build v and the zero gradient there, not on the one registered last."""
    for table in ("_backends", "_devices", "_by_type"):     # copies, restored after the test
        monkeypatch.setattr(backend, table, dict(getattr(backend, table)))

    def refuse(host):
        raise AssertionError("gradcheck built an array on the last backend registered for 'gpu'")
    backend.register(backend.Backend("othergpu", "gpu", None, (), to_host=None, from_host=refuse))
    backend.use("fakegpu")
    x = leaf([[0.5, -1.0], [2.0, 0.25]])
    assert backend.backend_of(x.array).name == "fakegpu"
    assert gradcheck(lambda t: (t * t).sum(axis=1), [x]) is True


# -- bad use of the tool ------------------------------------------------------------------------
def test_rejects_float32_inputs():
    x = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    with pytest.raises(TypeError, match=r"gradcheck: input 0 has dtype float32; use float64"):
        gradcheck(lambda t: t * 2.0, [x])


def test_rejects_fn_returning_a_non_tensor():
    with pytest.raises(TypeError, match=r"gradcheck: fn must return a Tensor, it returned ndarray"):
        gradcheck(lambda t: t.numpy() * 2, [leaf([1.0])])


def test_rejects_non_tensor_inputs_and_nothing_to_check():
    with pytest.raises(TypeError, match=r"gradcheck: input 1 is a ndarray, expected a Tensor"):
        gradcheck(lambda a, b: a, [leaf([1.0]), np.ones(1)])
    with pytest.raises(ValueError, match=r"gradcheck: no input has requires_grad=True"):
        gradcheck(lambda a: a * 2.0, [Tensor(np.ones(2))])


# -- a gradient of the wrong shape, and a backward 0.1 % off -----------------------------------
def matvec_grad_transposed(A, x):
    """A: (3, 4) @ x: (4,) whose backward gives x the gradient A g (shape (3,)) instead of A^T g."""
    def backward(g):
        return g[:, None] * x.array[None, :], A.array[:, :3] @ g
    return make_result(A.array @ x.array, (A, x), backward, "matvec_grad_transposed")


def square_off_by_a_thousandth(a):
    """a^2 whose backward is 0.1 % too large: 2.002 a g."""
    def backward(g):
        return (2.002 * a.array * g,)
    return make_result(a.array * a.array, (a,), backward, "square_off_by_a_thousandth")


def test_a_gradient_of_the_wrong_shape_is_a_gradcheck_error_naming_the_input_and_both_shapes():
    rng = np.random.default_rng(0)
    A, x = leaf(rng.standard_normal((3, 4))), leaf(rng.standard_normal(4))
    with pytest.raises(GradcheckError) as e:
        gradcheck(matvec_grad_transposed, [A, x])
    message = str(e.value)
    assert "input 1" in message and "(3,)" in message and "(4,)" in message
    assert "'matvec_grad_transposed'" in message


def test_a_wrong_shape_on_an_intermediate_tensor_names_the_op():
    rng = np.random.default_rng(0)
    A, x = leaf(rng.standard_normal((3, 4))), leaf(rng.standard_normal(4))
    with pytest.raises(GradcheckError, match=r"intermediate tensor \(input 1 of op 'matvec_grad_transposed'\)"):
        gradcheck(lambda a, v: matvec_grad_transposed(a, v * 2.0), [A, x])


@pytest.mark.parametrize("seed", range(5))
def test_default_tolerances_catch_a_backward_off_by_a_thousandth(seed):
    x = leaf(np.random.default_rng(seed).standard_normal((3, 4)))
    with pytest.raises(GradcheckError, match="input 0"):
        gradcheck(square_off_by_a_thousandth, [x])
    assert gradcheck(lambda t: t * t, [x]) is True           # the right backward still passes
