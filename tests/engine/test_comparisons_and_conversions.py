"""Comparisons are elementwise and give bool tensors, tensors hash by identity, and tensors
convert to Python numbers, lists and other dtypes as in PyTorch."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_opt
from tinygrad_opt import Tensor, nn, optim

examples = settings(max_examples=40, deadline=None, derandomize=True, database=None)
OPERATORS = {"==": np.equal, "!=": np.not_equal, "<": np.less, "<=": np.less_equal, ">": np.greater,
             ">=": np.greater_equal}


def apply(symbol, a, b):
    return {"==": lambda: a == b, "!=": lambda: a != b, "<": lambda: a < b, "<=": lambda: a <= b,
            ">": lambda: a > b, ">=": lambda: a >= b}[symbol]()


small_ints = st.integers(-2, 2)       # few values, so that ties (==) are common
pairs = hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3)


@given(symbol=st.sampled_from(sorted(OPERATORS)), shapes=pairs, data=st.data())
@examples
def test_comparisons_are_elementwise_with_broadcasting(symbol, shapes, data):
    a = data.draw(hnp.arrays(np.float64, shapes.input_shapes[0], elements=small_ints))
    b = data.draw(hnp.arrays(np.int64, shapes.input_shapes[1], elements=small_ints))
    out = apply(symbol, Tensor(a), Tensor(b))
    assert isinstance(out, Tensor) and out.dtype == np.bool_ and not out.requires_grad
    np.testing.assert_array_equal(out.numpy(), OPERATORS[symbol](a, b))
    number = data.draw(small_ints)
    np.testing.assert_array_equal(apply(symbol, Tensor(a), number).numpy(), OPERATORS[symbol](a, number))
    np.testing.assert_array_equal(apply(symbol, number, Tensor(a)).numpy(), OPERATORS[symbol](number, a))


def test_comparisons_on_each_backend_and_their_errors(device_backend):
    a = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    assert (a > 1.5).device == a.device and (a > 1.5).tolist() == [False, True, True]
    assert not (a == a).requires_grad                   # piecewise constant: no graph
    with pytest.raises(ValueError, match=r"eq \(==\): shapes \(3,\) and \(2,\) cannot broadcast"):
        _ = a == Tensor([1.0, 2.0])
    assert (a == None) is False and (a != None) is True   # noqa: E711  (Python's and PyTorch's answer)


def test_accuracy_the_course_way():
    """The course: ``(predicted == labels).sum()`` and ``int(a == b)``."""
    predicted, labels = Tensor(np.array([1, 2, 3, 4])), Tensor(np.array([1, 0, 3, 0]))
    hits = predicted == labels
    assert hits.tolist() == [True, False, True, False]
    assert int(hits.sum()) == 2
    assert int(Tensor(np.array([5])) == Tensor(np.array([5]))) == 1
    assert float((predicted != labels).any()) == 1.0 and not bool((predicted < 0).any())
    assert bool((predicted > 0).all())


def test_any_and_all_along_an_axis():
    x = np.array([[0, 1, 0], [0, 0, 0]])
    t = Tensor(x)
    np.testing.assert_array_equal(t.any(1).numpy(), x.any(1))
    np.testing.assert_array_equal(t.all(0, keepdim=True).numpy(), x.all(0, keepdims=True))
    assert t.any().shape == () and bool(t.any()) and not bool(t.all())


# -- hashing by identity, and the places that must use it ----------------------------------------
def test_tensors_hash_by_identity():
    a, b = Tensor([1.0]), Tensor([1.0])
    assert hash(a) == hash(a) and len({a, b}) == 2 and {a: 1, b: 2}[a] == 1
    assert any(t is b for t in [a, b])


def test_equal_parameters_stay_distinct_in_optimizers_and_modules():
    """Parameters with the same values, one-element and larger, must be told apart by identity
    everywhere a library searches for a tensor (``in``, ``index`` and ``==`` would compare values:
    two equal one-element tensors would be "the same", a larger one would raise)."""
    for shape in [(1,), (2, 3)]:
        a, b, c = (Tensor(np.ones(shape), requires_grad=True) for _ in range(3))
        opt = optim.SGD([a, b], lr=0.1, momentum=0.9)
        opt.add_param_group({"params": [c], "lr": 0.5})
        with pytest.raises(ValueError):
            opt.add_param_group({"params": [a]})             # the same tensor twice: refused
        for p in (a, b, c):
            (p * 2.0).sum().backward()
        opt.step()
        assert len(opt.state) == 3
        state = opt.state_dict()
        again = optim.SGD([Tensor(np.ones(shape), requires_grad=True) for _ in range(2)], lr=0.1, momentum=0.9)
        again.add_param_group({"params": [Tensor(np.ones(shape), requires_grad=True)], "lr": 0.5})
        again.load_state_dict(state)
        opt.zero_grad()

    class Twin(nn.Module):
        def __init__(self):
            self.first = nn.Linear(2, 2)
            self.second = nn.Linear(2, 2)
            self.second.weight.data = self.first.weight.data.detach() * 1.0   # equal values
            self.second.bias.data = self.first.bias.data.detach() * 1.0
    assert len(list(Twin().parameters())) == 4


# -- conversions -----------------------------------------------------------------------------------
def test_python_numbers_from_one_element_tensors(device_backend):
    assert float(Tensor([[2.5]])) == 2.5 and int(Tensor(np.array([7]))) == 7 and int(Tensor(2.9)) == 2
    assert bool(Tensor([1.0])) is True and bool(Tensor(0.0)) is False
    assert isinstance(Tensor(np.array(3.0)).item(), float) and Tensor(np.array(3)).item() == 3
    assert ["a", "b", "c"][Tensor(np.array(1))] == "b"       # an integer tensor as an index


@pytest.mark.parametrize("convert, error", [
    (float, r"float\(t\): only a one-element tensor has a single value, this one has shape \(2,\)"),
    (int, r"int\(t\): only a one-element tensor has a single value"),
    (lambda t: t.item(), r"item\(\): only a one-element tensor"),
])
def test_python_numbers_from_larger_tensors_are_errors(convert, error):
    with pytest.raises(ValueError, match=error):
        convert(Tensor([1.0, 2.0]))


def test_truth_value_of_a_larger_tensor_is_ambiguous():
    with pytest.raises(RuntimeError, match=r"ambiguous; write t.any\(\) or t.all\(\)"):
        bool(Tensor([1.0, 2.0]))
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(Tensor(np.zeros(0)))
    with pytest.raises(RuntimeError, match="ambiguous"):
        if Tensor([1.0, 2.0]) == Tensor([1.0, 2.0]):
            pass
    with pytest.raises(TypeError, match="only a one-element integer tensor can be used as an index"):
        [1, 2][Tensor([1.0])]


def test_tolist_size_numel_dim(device_backend):
    t = Tensor(np.arange(6.0).reshape(2, 3))
    assert t.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]] and Tensor(4.0).tolist() == 4.0
    assert t.size() == (2, 3) and t.size(1) == 3 and t.size(-2) == 2
    assert t.numel() == 6 and t.dim() == 2 and Tensor(1.0).dim() == 0


@pytest.mark.parametrize("method, dtype", [("float", np.float32), ("double", np.float64), ("long", np.int64),
                                           ("int", np.int32), ("bool", np.bool_)])
def test_dtype_casts(device_backend, method, dtype):
    t = Tensor(np.array([0.0, 1.5, -2.0]))
    out = getattr(t, method)()
    assert out.dtype == dtype and out.device == t.device
    np.testing.assert_array_equal(out.numpy(), np.array([0.0, 1.5, -2.0]).astype(dtype))


def test_a_cast_to_the_same_dtype_is_the_tensor_itself():
    t = Tensor([1.0, 2.0])
    assert t.float() is t


def test_float_casts_are_differentiable_integer_casts_are_not(device_backend):
    x = Tensor(np.array([0.5, -1.0], dtype=np.float32), requires_grad=True)
    y = x.double()
    assert y.requires_grad and y.grad_fn == "cast"
    (y * y).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, -2.0])
    assert not x.long().requires_grad and not x.bool().requires_grad


def test_numpy_takes_tensors():
    t = Tensor([1.0, 2.0])
    np.testing.assert_array_equal(np.asarray(t), [1.0, 2.0])
    assert tinygrad_opt.Tensor is Tensor
