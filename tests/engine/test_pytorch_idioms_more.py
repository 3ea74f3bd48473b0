"""More of what PyTorch-style code writes (issue 12): each works with PyTorch's semantics, checked
against the published formulas in NumPy, or fails with an error that says what to write instead."""
import copy
import math
import pickle

import numpy as np
import pytest

import tinygrad_opt as torch
import tinygrad_opt.nn as nn
import tinygrad_opt.nn.functional as F
import tinygrad_opt.optim as optim


def test_grad_mode_switches():
    w = torch.ones(2, requires_grad=True)
    with torch.set_grad_enabled(False):
        assert not (w * 2).requires_grad
    assert (w * 2).requires_grad
    torch.set_grad_enabled(False)
    try:
        assert not torch.is_grad_enabled()
    finally:
        torch.set_grad_enabled(True)
    with torch.inference_mode():
        assert not (w * 2).requires_grad
    with torch.inference_mode(False):
        assert (w * 2).requires_grad


def test_module_functions():
    a = torch.tensor([1.0, float("nan"), float("inf"), -2.0])
    assert a.isnan().tolist() == [False, True, False, False]
    assert torch.isinf(a).tolist() == [False, False, True, False]
    assert torch.isfinite(a).tolist() == [True, False, False, True]
    assert torch.allclose(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0 + 1e-6]))
    assert not torch.allclose(torch.tensor([1.0]), torch.tensor([1.1]))
    assert torch.pi == math.pi
    torch.manual_seed(0)
    assert sorted(torch.randperm(7).tolist()) == list(range(7))
    host = np.arange(3.0)
    assert torch.as_tensor(host).tolist() == [0.0, 1.0, 2.0]
    if torch.backend.current() is torch.backend.NUMPY:         # on the CPU, shared without a copy
        assert torch.as_tensor(host).array is host
    t = torch.tensor([1.0])
    assert torch.as_tensor(t) is t
    x, w = np.arange(6.0).reshape(2, 3), np.ones((3, 2))
    np.testing.assert_array_equal(torch.mm(torch.tensor(x), torch.tensor(w)).numpy(), x @ w)


def test_new_tensors_take_dtype_and_device():
    x = torch.zeros(2, dtype=torch.float64)
    assert x.new_zeros(3).dtype == np.float64 and x.new_zeros((2, 3)).shape == (2, 3)
    assert x.new_ones(2).tolist() == [1.0, 1.0]
    assert x.new_full((2,), 7.0).tolist() == [7.0, 7.0]
    assert x.new_tensor([1, 2]).dtype == np.float64


def test_one_hot_and_its_errors():
    y = torch.tensor([0, 2, 1])
    np.testing.assert_array_equal(F.one_hot(y).numpy(), np.eye(3, dtype=np.int64)[[0, 2, 1]])
    assert F.one_hot(y, 5).shape == (3, 5)
    with pytest.raises(TypeError, match="integer tensor"):
        F.one_hot(torch.tensor([0.0]))
    with pytest.raises(ValueError, match="class values"):
        F.one_hot(y, 2)


def test_dropout_scales_the_kept_and_is_the_identity_in_eval():
    x = torch.ones(1000, 10)
    torch.manual_seed(3)
    out = F.dropout(x, p=0.25)
    torch.manual_seed(3)
    keep = np.random.default_rng(3).random((1000, 10)) >= 0.25
    np.testing.assert_allclose(out.numpy(), keep / 0.75, rtol=1e-6)
    layer = nn.Dropout(0.25)
    assert layer.eval()(x) is x
    assert F.dropout(x, 0.5, training=False) is x
    assert float(F.dropout(x, 1.0).sum()) == 0.0
    w = torch.ones(4, requires_grad=True)
    torch.manual_seed(1)
    y = F.dropout(w, 0.5)
    y.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), y.detach().numpy())     # dL/dx = mask / (1 - p)
    assert nn.Identity()(x) is x
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(1.5)


def test_init_functions_follow_pytorchs_formulas():
    w = torch.zeros(300, 200)
    torch.manual_seed(0)
    nn.init.kaiming_uniform_(w, nonlinearity="relu")
    bound = math.sqrt(2.0) * math.sqrt(3.0 / 200)
    assert np.abs(w.numpy()).max() <= bound and np.abs(w.numpy()).max() > 0.99 * bound
    nn.init.kaiming_normal_(w, mode="fan_out")             # leaky_relu, a = 0: gain sqrt(2)
    assert abs(w.numpy().std() - math.sqrt(2.0 / 300)) < 0.02 * math.sqrt(2.0 / 300)
    nn.init.xavier_uniform_(w, gain=nn.init.calculate_gain("tanh"))
    assert np.abs(w.numpy()).max() <= 5 / 3 * math.sqrt(6.0 / 500)
    nn.init.xavier_normal_(w)
    assert abs(w.numpy().std() - math.sqrt(2.0 / 500)) < 0.02 * math.sqrt(2.0 / 500)
    nn.init.normal_(w, 1.0, 0.5)
    assert abs(w.numpy().mean() - 1.0) < 0.01
    nn.init.uniform_(w, -0.1, 0.1)
    assert np.abs(w.numpy()).max() <= 0.1
    assert nn.init.zeros_(w).numpy().max() == 0 and nn.init.ones_(w).numpy().min() == 1
    assert nn.init.constant_(w, 0.5).numpy().mean() == 0.5
    assert nn.init.calculate_gain("leaky_relu", 0.2) == math.sqrt(2.0 / 1.04)
    layer = nn.Linear(3, 2)
    version = layer.weight._version
    nn.init.zeros_(layer.weight)
    assert layer.weight._version == version + 1
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        nn.init.xavier_uniform_(layer.bias)


def test_clip_grad_norm_returns_the_norm_and_scales_as_pytorch():
    a = torch.ones(3, dtype=torch.float64, requires_grad=True)
    b = torch.ones(2, dtype=torch.float64, requires_grad=True)
    ga, gb = np.array([3.0, 0.0, 0.0]), np.array([0.0, 4.0])
    a.grad, b.grad = torch.tensor(ga), torch.tensor(gb)
    total = nn.utils.clip_grad_norm_([a, b], max_norm=1.0)
    assert math.isclose(float(total), 5.0, rel_tol=1e-6)
    np.testing.assert_allclose(a.grad.numpy(), ga / (5.0 + 1e-6), rtol=1e-6)
    np.testing.assert_allclose(b.grad.numpy(), gb / (5.0 + 1e-6), rtol=1e-6)
    assert math.isclose(float(nn.utils.clip_grad_norm_(a, 10.0, norm_type="inf")), 0.6, rel_tol=1e-5)
    np.testing.assert_allclose(a.grad.numpy(), ga / (5.0 + 1e-6), rtol=1e-6)     # under max_norm: unchanged
    b.grad = torch.tensor([float("nan"), 1.0], dtype=torch.float64)
    with pytest.raises(RuntimeError, match="error_if_nonfinite"):
        nn.utils.clip_grad_norm_([b], 1.0, error_if_nonfinite=True)
    nn.utils.clip_grad_value_([a], 0.1)
    assert a.grad.numpy().max() <= 0.1


def test_tensor_dataset_through_the_dataloader():
    x, y = torch.arange(10.0).view(5, 2), torch.tensor([0, 1, 0, 1, 1])
    data = torch.utils.data.TensorDataset(x, y)
    assert len(data) == 5 and data[1][0].tolist() == [2.0, 3.0] and int(data[1][1]) == 1
    batches = list(torch.utils.data.DataLoader(data, batch_size=2))
    assert [b[0].shape for b in batches] == [(2, 2), (2, 2), (1, 2)]
    assert batches[2][1].tolist() == [1]
    with pytest.raises(ValueError, match="size mismatch"):
        torch.utils.data.TensorDataset(x, torch.zeros(4))


@pytest.mark.parametrize("reach, says", [
    (lambda x: x.half(), "keep float32"), (lambda x: x.type(torch.float64), "to(dtype)"),
    (lambda x: x.nonzero(), "nonzero()"), (lambda x: x.register_hook(print), ".grad"),
    (lambda x: torch.einsum, "matmul"),
    (lambda x: torch.bmm, "matmul"), (lambda x: torch.autograd.grad, "backward()"),
    (lambda x: torch.mv, "A @ x"), (lambda x: x.dot, "a @ b"),
    (lambda x: torch.FloatTensor, "dtype=torch.float32"), (lambda x: nn.Conv2d, "nn.Linear"),
    (lambda x: nn.BatchNorm1d, "x.mean(0)"), (lambda x: F.conv2d, "nn.Linear"),
    (lambda x: optim.RAdam, "optim.Adam"), (lambda x: optim.LBFGS, "optim.SGD"),
])
def test_unsupported_names_say_what_to_write(reach, says):
    with pytest.raises(AttributeError, match="tinygrad_opt has no") as info:
        reach(torch.zeros(2))
    assert says in str(info.value) and "docs/pytorch.md" in str(info.value)


def test_every_listed_tensor_method_is_named_on_the_class_and_contiguous_is_itself():
    # Tensor has no __getattr__ (it would slow every attribute read): each missing method the
    # table lists must be a Missing attribute of the class, or its advice would never be seen
    from tinygrad_opt import unsupported
    from tinygrad_opt.tensor import Tensor
    named = {n for n in dir(Tensor) if isinstance(getattr(Tensor, n), unsupported.Missing)}
    assert named == set(unsupported.TENSOR)
    assert "__getattr__" not in vars(Tensor) and not any("__getattr__" in vars(c) for c in Tensor.__mro__)
    x = torch.zeros(2)
    assert x.contiguous() is x and not hasattr(x, "half")


def test_unknown_names_stay_attribute_errors_and_probes_stay_plain():
    x = torch.zeros(2, requires_grad=True)
    with pytest.raises(AttributeError, match="no_such_method"):
        x.no_such_method()
    with pytest.raises(AttributeError, match="see docs/pytorch.md"):
        _ = torch.no_such_function
    assert not hasattr(x, "__array_interface__") and not hasattr(torch, "__path_hooks__")
    with pytest.raises(AttributeError, match="__no_such_dunder__"):
        _ = x.__no_such_dunder__
    assert copy.deepcopy(x).tolist() == [0.0, 0.0]
    assert pickle.loads(pickle.dumps(torch.tensor([1.0, 2.0]))).tolist() == [1.0, 2.0]


def test_retain_grad_keeps_a_hidden_layers_gradient():
    """h = x W^T, L = sum(h^2): dL/dh = 2h, kept in h.grad; dL/dW = (2h)^T x as before."""
    w = torch.tensor([[1.0, 2.0], [3.0, -1.0]], requires_grad=True)
    x = torch.tensor([[0.5, -1.0]])
    h = x @ w.T
    h.retain_grad()
    assert h.retains_grad and not w.retains_grad
    (h ** 2).sum().backward()
    expected_w = (2 * h.detach().numpy()).T @ x.numpy()
    np.testing.assert_allclose(h.grad.numpy(), 2 * h.detach().numpy())
    np.testing.assert_allclose(w.grad.numpy(), expected_w)
    h.grad.zero_()                        # a Tensor of its own: changing it changes no other gradient
    np.testing.assert_allclose(w.grad.numpy(), expected_w)


def test_retain_grad_adds_up_over_backwards_and_passes_through_add():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    h.retain_grad()
    out = h + h                           # add hands one gradient array to both inputs
    out.sum().backward(retain_graph=True)
    np.testing.assert_array_equal(h.grad.numpy(), [2.0, 2.0])
    out.sum().backward()
    np.testing.assert_array_equal(h.grad.numpy(), [4.0, 4.0])
    np.testing.assert_array_equal(x.grad.numpy(), [12.0, 12.0])


def test_retain_grad_without_requires_grad_says_why():
    with pytest.raises(RuntimeError, match="does not require grad"):
        torch.zeros(2).retain_grad()


def test_a_non_leaf_without_retain_grad_keeps_no_grad():
    x = torch.tensor([1.0], requires_grad=True)
    h = x * 2
    (h * h).sum().backward()
    assert h.grad is None and x.grad is not None


def test_gather_with_a_smaller_index_takes_the_inputs_first_rows_as_pytorch():
    """out has index's shape: out[i][j] = a[i][index[i][j]] for i < index.size(0) (NumPy would broadcast)."""
    a = torch.arange(16.0).reshape(4, 4).requires_grad_()
    out = a.gather(1, torch.tensor([[0, 1]]))
    assert out.tolist() == [[0.0, 1.0]]
    out.sum().backward()
    expected = np.zeros((4, 4))
    expected[0, :2] = 1
    np.testing.assert_array_equal(a.grad.numpy(), expected)
    with pytest.raises(ValueError, match=r"gather: index of shape \(5, 1\) does not fit input of shape \(4, 4\)"):
        a.gather(1, torch.zeros(5, 1).long())


@pytest.mark.parametrize("select", [lambda a: a.gather(1, torch.tensor([[-1], [0], [0], [0]])),
                                    lambda a: a.index_select(0, torch.tensor([-1])),
                                    lambda a: a.gather(1, torch.tensor([[4], [0], [0], [0]]))])
def test_an_index_out_of_range_is_an_error_never_counted_from_the_end(select):
    a = torch.arange(16.0).reshape(4, 4)
    with pytest.raises(IndexError, match=r"index (-1|4) is out of range for dimension [01] of size 4"):
        select(a)


def test_lerp_takes_a_tensor_of_weights_as_pytorch():
    start, end, weight = np.zeros((2, 3)), np.ones((2, 3)), np.array([[0.5], [0.25]])
    m = torch.tensor(start)
    m.lerp_(torch.tensor(end), torch.tensor(weight))
    np.testing.assert_allclose(m.numpy(), start + weight * (end - start))
    w = torch.tensor(weight, requires_grad=True)
    out = torch.tensor(start).lerp(torch.tensor(end), w)
    np.testing.assert_allclose(out.detach().numpy(), start + weight * (end - start))
    out.sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), (end - start).sum(axis=1, keepdims=True))   # d/dw = end - start
