"""What a learner coming from PyTorch writes, after ``import tinygrad_opt as torch``.

Each idiom either works and gives PyTorch's result (expected numbers from the documented
formulas, in NumPy; PyTorch is never imported), or raises an error that says what to write
instead. First the traps of issue 12 (ordinary code that used to be silently wrong), then the
everyday idioms, then the ones that are refused. docs/pytorch.md is the same list for readers.
"""
import math

import numpy as np
import pytest

import tinygrad_opt as torch
import tinygrad_opt.nn as nn
import tinygrad_opt.nn.functional as F
from tinygrad_opt import backend
from tinygrad_opt.tensor import make_result


def sigmoid64(x):
    """1 / (1 + e^-x), evaluated where it does not overflow."""
    x = np.asarray(x, dtype=np.float64)
    return np.where(x >= 0, 1 / (1 + np.exp(-np.abs(x))), np.exp(-np.abs(x)) / (1 + np.exp(-np.abs(x))))


# == the traps ====================================================================================
def test_update_in_place_under_no_grad_changes_the_parameter():
    p = torch.tensor([1.0, -2.0, 3.0], requires_grad=True)
    before = p.numpy().copy()
    lr = 0.1
    for _ in range(100):
        p.grad = None
        (p * p).sum().backward()             # dL/dp = 2p
        with torch.no_grad():
            p -= lr * p.grad
    expected = before * (1 - 2 * lr) ** 100   # p <- p - lr 2p, a hundred times
    np.testing.assert_allclose(p.numpy(), expected, rtol=1e-5)
    assert p.requires_grad and p.is_leaf


def test_update_in_place_outside_no_grad_says_to_use_it():
    p = torch.tensor([1.0, 2.0], requires_grad=True)
    (p * p).sum().backward()
    with pytest.raises(RuntimeError, match=r"no_grad\(\)"):
        p -= 0.1 * p.grad


def test_counting_correct_predictions():
    outputs = torch.tensor([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7], [0.6, 0.4]])
    labels = torch.tensor([1, 0, 0, 0])
    _, predicted = torch.max(outputs.data, 1)
    correct = (predicted == labels).sum()
    assert correct.dtype == np.int64 and correct.item() == 3
    assert 100 * correct / len(labels) == 75.0               # a 0-d float tensor, compared elementwise
    assert (predicted == labels).float().mean().item() == 0.75
    assert predicted.eq(labels.view_as(predicted)).sum().item() == 3     # PyTorch's MNIST example


def test_int_and_bool_of_a_comparison_are_its_value():
    a, b = torch.tensor([3]), torch.tensor([3])
    assert int(a == b) == 1 and bool(a == b) and not bool(a != b)
    assert a is not b and len({a, b}) == 2      # hashing stays by identity, as in PyTorch


def test_changing_a_saved_tensor_in_place_makes_backward_name_the_op_and_tensor():
    w = torch.randn(3, requires_grad=True)
    x = torch.randn(3)
    y = (w * x).sum()
    x += 1                                    # the backward of w * x needs the old x
    with pytest.raises(RuntimeError, match=r"input 1 of op 'mul'.*shape \(3,\).*version 0.*version 1"):
        y.backward()


def test_optimizer_step_between_forward_and_backward_is_an_error():
    model = nn.Linear(3, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    x = torch.randn(4, 3)
    model(x).sum().backward()
    loss = model(x).sum()                     # a forward with the current weights
    optimizer.step()                          # ... which the step then changes
    with pytest.raises(RuntimeError, match=r"op 'linear'.*a leaf that requires grad.*step\(\)"):
        loss.backward()


def double_with_a_bad_backward(a):
    """out = 2a, with a backward that sums a gradient away: the wrong shape."""
    def backward(g):
        return (2 * g.sum(axis=0),)
    return make_result(2 * a.array, (a,), backward, "double")


def test_a_custom_op_whose_gradient_has_the_wrong_shape_is_named():
    x = torch.ones(3, 4, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"op 'double' returned a gradient of shape \(4,\) for its input 0 "
                                           r"of shape \(3, 4\)"):
        double_with_a_bad_backward(x).sum().backward()
    assert x.grad is None


def test_assigning_a_grad_of_the_wrong_shape_or_dtype_is_an_error():
    p = torch.zeros(2, 3, requires_grad=True)
    with pytest.raises(ValueError, match=r"shape \(3,\).*shape \(2, 3\)"):
        p.grad = torch.zeros(3)
    with pytest.raises(ValueError, match="float64"):
        p.grad = torch.zeros(2, 3, dtype=torch.float64)
    with pytest.raises(TypeError, match="Tensor"):
        p.grad = np.zeros((2, 3))


def test_step_refuses_a_gradient_that_does_not_match_its_parameter():
    p = torch.zeros(2, 3, requires_grad=True)
    optimizer = torch.optim.SGD([p], lr=0.1)
    p.grad = torch.ones(2, 3)
    p.grad.data = torch.ones(3)               # .data replaces the storage unchecked, as in PyTorch
    with pytest.raises(ValueError, match=r"SGD.step: param_groups\[0\]\['params'\]\[0\] has a gradient of "
                                         r"shape \(3,\).*shape \(2, 3\)"):
        optimizer.step()
    assert (p.numpy() == 0).all()


def my_log_softmax(z):
    """The course exercise's own op, named "log_softmax", with a backward that is deliberately
    off by a factor 2 (a student's bug, which the gradient must show)."""
    xp = backend.get_array_module(z.array)
    shifted = z.array - z.array.max(axis=1, keepdims=True)
    out = shifted - xp.log(xp.exp(shifted).sum(axis=1, keepdims=True))

    def backward(g):
        return (2 * (g - xp.exp(out) * g.sum(axis=1, keepdims=True)),)
    return make_result(out, (z,), backward, "log_softmax")


def test_a_users_op_named_log_softmax_gets_its_own_backward():
    z = torch.tensor([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]], requires_grad=True)
    target = torch.tensor([1, 2])
    F.nll_loss(my_log_softmax(z), target).backward()
    zz = z.numpy().astype(np.float64)
    softmax = np.exp(zz) / np.exp(zz).sum(axis=1, keepdims=True)
    right = (softmax - np.eye(3)[[1, 2]]) / 2                    # d mean NLL / dz
    np.testing.assert_allclose(z.grad.numpy(), 2 * right, rtol=1e-5)   # the user's factor 2 shows


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_sigmoid_keeps_both_tails(dtype):
    x = np.array([-80.0, -40.0, -17.0, -1.0, 0.0, 1.0, 17.0, 40.0], dtype=dtype)
    got = torch.sigmoid(torch.tensor(x)).numpy()
    assert got.dtype == dtype
    np.testing.assert_allclose(got, sigmoid64(x), rtol={"float64": 1e-14, "float32": 1e-6}[dtype])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_log_of_sigmoid_far_in_the_tail_is_finite_with_gradient_one(dtype):
    x = torch.tensor(-40.0, dtype=dtype, requires_grad=True)
    y = torch.log(torch.sigmoid(x))
    y.backward()
    # log sigmoid(x) = x - log(1 + e^x); d/dx = 1 - sigmoid(x)
    assert y.item() == pytest.approx(-40.0, rel=1e-7)
    assert x.grad.item() == pytest.approx(1.0, rel=1e-7)


def test_warm_up_then_decay_compound_and_a_hand_set_lr_is_respected():
    p = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.SGD([p], lr=1.0)
    warmup = torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=0.1, total_iters=4)
    decay = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.9)
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.1)      # creating the second keeps the first's lr
    for k in range(1, 8):
        optimizer.step()
        warmup.step()
        decay.step()
        # both act on the current lr: base * linear factor * gamma^k
        expected = (0.1 + 0.9 * min(k, 4) / 4) * 0.9 ** k
        assert optimizer.param_groups[0]["lr"] == pytest.approx(expected, rel=1e-12)

    optimizer = torch.optim.SGD([p], lr=1.0)
    step = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
    optimizer.param_groups[0]['lr'] = 0.3
    lrs = []
    for _ in range(4):
        optimizer.step()
        step.step()
        lrs.append(optimizer.param_groups[0]["lr"])
    assert lrs == pytest.approx([0.3, 0.15, 0.15, 0.075])


# == everyday idioms that work ======================================================================
def test_zero_grad_in_place_on_a_0d_gradient():
    """A 0-d gradient accumulated twice stayed a NumPy scalar, and zero_() did nothing."""
    p = torch.tensor(2.0, requires_grad=True)
    (p * 3).backward()
    (p * 3).backward()
    assert p.grad.item() == 6.0
    p.grad.zero_()
    assert p.grad.item() == 0.0
    (p * p).backward()
    assert p.grad.item() == 4.0              # 0 + 2p
    p.grad.data.zero_()
    assert p.grad.item() == 0.0


def test_zero_grad_in_place_on_a_vector_and_by_the_optimizer():
    model = nn.Linear(2, 2)
    model(torch.ones(1, 2)).sum().backward()
    for p in model.parameters():
        p.grad.zero_()
        assert (p.grad.numpy() == 0).all()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    optimizer.zero_grad()
    assert all(p.grad is None for p in model.parameters())     # set_to_none, PyTorch's default
    model.zero_grad()


def test_data_numpy_item_and_formatting():
    model = nn.Linear(3, 2)
    W = model.weight.data.numpy()
    assert isinstance(W, np.ndarray) and W.shape == (2, 3)
    loss = (model(torch.ones(1, 3)) ** 2).mean()
    assert isinstance(loss.item(), float)
    assert f"{loss:.3f}" == f"{loss.item():.3f}"
    assert "Accuracy: {}".format(100 * torch.tensor(3) / 4) == "Accuracy: 75.0"
    assert float(torch.tensor([2.5])) == 2.5 and torch.tensor(7).item() == 7
    assert np.asarray(torch.tensor([1.0, 2.0])).tolist() == [1.0, 2.0]


def test_shapes_views_and_sizes():
    images = torch.zeros(100, 1, 28, 28)
    flat = images.view(-1, 28*28)
    assert flat.shape == (100, 784) and flat.size(0) == 100 and flat.size() == (100, 784)
    assert flat.shape[0] == 100 and flat.numel() == 78400 and flat.dim() == 2 and len(flat) == 100
    assert images.flatten(1).shape == (100, 784) and images.squeeze(1).shape == (100, 28, 28)
    assert flat.unsqueeze(1).shape == (100, 1, 784) and flat.t().shape == (784, 100)
    assert flat.reshape(10, -1).shape == (10, 7840) and flat.permute(1, 0).shape == (784, 100)


def test_dtype_conversions():
    labels = torch.tensor([1, 0, 2])
    assert labels.dtype == torch.int64 == torch.long
    assert labels.float().dtype == torch.float32 and labels.double().dtype == torch.float64
    assert labels.float().long().dtype == torch.int64 and (labels > 0).dtype == torch.bool
    x = torch.tensor([0.5, 1.5], requires_grad=True)
    y = x.to(torch.float64)
    assert y.dtype == np.float64 and y.requires_grad
    y.sum().backward()
    assert x.grad.dtype == np.float32 and x.grad.tolist() == [1.0, 1.0]


def test_no_grad_as_a_decorator_and_as_a_block():
    w = torch.ones(2, requires_grad=True)

    @torch.no_grad()
    def evaluate(x):
        return (w * x).sum()

    assert not evaluate(torch.ones(2)).requires_grad
    with torch.no_grad():
        assert not (w * 2).requires_grad
    assert (w * 2).requires_grad and torch.is_grad_enabled()


def test_train_and_eval_modes():
    model = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
    assert model.training and model[0].training
    assert model.eval() is model and not model.training and not model[1].training
    model.train()
    assert model.training and model[0].training


def test_argmax_max_and_reductions_with_dim():
    scores = np.array([[0.1, 0.7, 0.2], [0.5, 0.3, 0.9]], dtype=np.float32)
    x = torch.tensor(scores)
    assert torch.argmax(x, dim=1).tolist() == [1, 2] == x.argmax(1).tolist()
    values, indices = torch.max(x, 1)
    np.testing.assert_array_equal(values.numpy(), scores.max(axis=1))
    assert indices.tolist() == [1, 2] and torch.max(x, dim=1).indices.tolist() == [1, 2]
    np.testing.assert_allclose(torch.sum(x, dim=0).numpy(), scores.sum(axis=0))
    np.testing.assert_allclose(x.mean(dim=1, keepdim=True).numpy(), scores.mean(axis=1, keepdims=True))
    np.testing.assert_allclose(x.std().item(), scores.std(ddof=1), rtol=1e-6)    # unbiased, as PyTorch


def test_named_parameters_parameters_and_counting():
    model = nn.Sequential(nn.Linear(784, 100), nn.ReLU(), nn.Linear(100, 10))
    names = [name for name, p in model.named_parameters()]
    assert names == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert sum(p.numel() for p in model.parameters()) == 784 * 100 + 100 + 100 * 10 + 10
    assert iter(model.parameters()) is not None and not isinstance(model.parameters(), list)


def test_setting_the_learning_rate_by_hand():
    p = torch.tensor([1.0], requires_grad=True)
    optimizer = torch.optim.SGD([p], lr=0.1)
    optimizer.param_groups[0]['lr'] = 0.01
    (3 * p).sum().backward()
    optimizer.step()
    assert p.item() == pytest.approx(1.0 - 0.01 * 3)


def test_device_the_pytorch_way():
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    assert isinstance(torch.cuda.is_available(), bool)
    model = nn.Linear(2, 1).to(device)
    x = torch.ones(3, 2).to(device)
    assert model(x).shape == (3, 1)
    assert torch.device("cpu") == "cpu" and torch.ones(1, device="cpu").device == torch.device("cpu")
    assert torch.device("cuda:0") == "gpu"
    y = torch.ones(2, device="cpu")
    assert y.cpu() is y and y.to("cpu") is y


def test_random_like_and_seeds():
    x = torch.zeros(3, 4, dtype=torch.float64)
    torch.manual_seed(0)
    a, b = torch.randn_like(x), torch.rand_like(x)
    torch.manual_seed(0)
    assert torch.randn_like(x).tolist() == a.tolist()
    assert a.shape == b.shape == (3, 4) and a.dtype == b.dtype == np.float64
    assert ((0 <= b.numpy()) & (b.numpy() < 1)).all()


def test_norm_and_its_gradient():
    v = torch.tensor([3.0, 4.0], requires_grad=True)
    n = v.norm()
    assert n.item() == 5.0 and torch.norm(v).item() == 5.0
    n.backward()
    np.testing.assert_allclose(v.grad.numpy(), [0.6, 0.8])               # v / |v|
    z = torch.zeros(3, requires_grad=True)
    z.norm().backward()
    assert z.grad.tolist() == [0.0, 0.0, 0.0]                             # PyTorch's subgradient at 0
    m = torch.tensor([[3.0, 4.0], [6.0, 8.0]])
    assert m.norm(dim=1).tolist() == [5.0, 10.0]


def test_save_and_load_a_state_dict(tmp_path):
    model = nn.Linear(3, 2)
    torch.save(model.state_dict(), tmp_path / "model.pt")
    other = nn.Linear(3, 2)
    other.load_state_dict(torch.load(tmp_path / "model.pt"))
    np.testing.assert_array_equal(other.weight.numpy(), model.weight.numpy())
    assert [f.name for f in tmp_path.iterdir()] == ["model.pt"]


def test_backward_twice_with_retain_graph_adds_up():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    loss = (x * x).sum()
    loss.backward(retain_graph=True)
    loss.backward()
    assert x.grad.tolist() == [4.0, 8.0]                                  # 2x, twice


def test_requires_grad_detach_and_clamp_():
    images = torch.ones(2, 3).requires_grad_()
    assert images.requires_grad and images.is_leaf
    y = images * 2
    d = y.detach()
    assert not d.requires_grad and d.tolist() == y.tolist()
    w = torch.tensor([-2.0, 0.5, 3.0], requires_grad=True)
    with torch.no_grad():
        w.clamp_(-1, 1)
    assert w.tolist() == [-1.0, 0.5, 1.0]
    assert torch.tensor([-1.0, 2.0]).clamp(min=0).tolist() == [0.0, 2.0]


def test_0d_tensors():
    s = torch.tensor(3.5)
    assert s.shape == () and s.dim() == 0 and s.numel() == 1 and s.item() == 3.5
    assert (s * 2).item() == 7.0 and float(s + 1) == 4.5 and s.tolist() == 3.5
    t = torch.tensor(2.0, requires_grad=True)
    (t ** 3).backward()
    assert t.grad.shape == () and t.grad.item() == 12.0                   # 3 t^2


def test_functional_and_modules_the_course_calls():
    logits = torch.tensor([[2.0, 1.0, 0.1], [0.5, 2.5, 0.3]])
    target = torch.tensor([0, 1])
    z = logits.numpy().astype(np.float64)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    expected = -logp[[0, 1], [0, 1]].mean()
    assert nn.CrossEntropyLoss()(logits, target).item() == pytest.approx(expected, rel=1e-6)
    assert F.cross_entropy(logits, target).item() == pytest.approx(expected, rel=1e-6)
    assert F.nll_loss(F.log_softmax(logits, dim=1), target).item() == pytest.approx(expected, rel=1e-6)
    np.testing.assert_allclose(F.softmax(logits, dim=1).numpy(), np.exp(logp), rtol=1e-6)
    np.testing.assert_allclose(F.relu(logits - 1).numpy(), np.maximum(z - 1, 0), rtol=1e-6)


def test_operator_methods_by_name():
    a, b = torch.tensor([1.0, 2.0]), torch.tensor([3.0, 4.0])
    assert a.add(b).tolist() == [4.0, 6.0] and a.sub(b).tolist() == [-2.0, -2.0]
    assert a.mul(b).tolist() == [3.0, 8.0] and b.div(a).tolist() == [3.0, 2.0]
    assert a.pow(2).tolist() == [1.0, 4.0] and a.neg().tolist() == [-1.0, -2.0]
    assert torch.matmul(a.view(1, 2), b.view(2, 1)).item() == 11.0 and a.eq(a).all().item()
    assert torch.tensor([[1.0, 2.0]]).mm(torch.tensor([[3.0], [4.0]])).tolist() == [[11.0]]


def test_torch_utils_data_dataloader_over_a_dataset():
    class Squares:
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return torch.tensor([float(i)]), i * i

    batches = list(torch.utils.data.DataLoader(Squares(), batch_size=2))
    assert [x.shape for x, _ in batches] == [(2, 1), (2, 1), (1, 1)]
    assert batches[1][1].tolist() == [4, 9] and batches[1][1].dtype == np.int64


# == idioms that are refused, with what to write instead ===========================================
def test_torch_Tensor_of_sizes_says_to_write_zeros():
    with pytest.raises(TypeError, match=r"torch.zeros\(2, 3\)"):
        torch.Tensor(2, 3)


def test_mean_of_integers_says_to_convert():
    with pytest.raises(TypeError, match=r"\.float\(\)\.mean\(\)"):
        (torch.tensor([1, 0]) == torch.tensor([1, 1])).mean()


def test_truth_of_many_values_says_any_or_all():
    with pytest.raises(RuntimeError, match=r"t\.any\(\) or t\.all\(\)"):
        bool(torch.tensor([1.0, 2.0]) > 0)


def test_item_of_many_values_says_to_reduce():
    with pytest.raises(ValueError, match=r"reduce it first"):
        torch.tensor([1.0, 2.0]).item()


def test_format_spec_on_many_values_says_to_format_elements():
    with pytest.raises(TypeError, match=r"t\.tolist\(\)"):
        f"{torch.tensor([1.0, 2.0]):.2f}"


def test_in_place_on_a_computed_tensor_says_to_write_it_out_of_place():
    y = torch.ones(2, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match=r"y = y \+ x"):
        y += 1


def test_backward_twice_without_retain_graph_says_retain_graph():
    x = torch.tensor([1.0], requires_grad=True)
    loss = (x * x).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        loss.backward()


def test_other_norms_say_how_to_write_them():
    with pytest.raises(ValueError, match=r"x\.abs\(\)\.sum\(\)"):
        torch.tensor([1.0, -2.0]).norm(p=1)


def test_saving_anything_but_a_state_dict_says_what_to_use(tmp_path):
    model = nn.Linear(2, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(TypeError, match="save_checkpoint"):
        torch.save(optimizer.state_dict(), tmp_path / "opt.pt")
    with pytest.raises(TypeError, match=r"model\.state_dict\(\)"):
        torch.save(model, tmp_path / "model.pt")
    assert not list(tmp_path.iterdir())


def test_matmul_with_vectors_as_pytorch_documents_it():
    """torch.matmul: 1-D @ 1-D is the dot product (0-d); a matrix times a vector is a vector."""
    a, b = torch.tensor([1.0, 2.0], requires_grad=True), torch.tensor([3.0, 4.0], requires_grad=True)
    dot = torch.matmul(a, b)
    assert dot.shape == () and dot.item() == 11.0
    dot.backward()
    np.testing.assert_array_equal(a.grad.numpy(), [3.0, 4.0])      # d(a . b)/da = b
    W = torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    np.testing.assert_array_equal((W @ b).numpy(), [11.0, 25.0, 39.0])
    np.testing.assert_array_equal((torch.tensor([1.0, 0.0, -1.0]) @ W).numpy(), [-4.0, -4.0])
    assert W.matmul(b).shape == (3,)
    with pytest.raises(AttributeError, match=r"torch\.dot.*write a @ b"):
        torch.dot(a, b)


def test_unknown_devices_are_named():
    with pytest.raises(backend.BackendError, match="'cuda:1'"):
        torch.device("cuda:1")


def test_requires_grad_on_integers_says_to_convert():
    with pytest.raises(RuntimeError, match=r"t\.float\(\)"):
        torch.tensor([1, 2]).requires_grad_()


def test_log_sigmoid_in_float32_matches_the_formula_everywhere():
    x = np.linspace(-60, 30, 91).astype(np.float32)
    got = torch.log(torch.sigmoid(torch.tensor(x))).numpy()
    expected = np.where(x < 0, x - np.log1p(np.exp(np.minimum(x, 0).astype(np.float64))),
                        -np.log1p(np.exp(-x.astype(np.float64))))
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-7)
    assert math.isfinite(got.min())
