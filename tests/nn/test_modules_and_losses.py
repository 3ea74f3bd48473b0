"""Modules: parameter walking, train/eval, state_dict, printing, Linear init, the course's MLP,
losses and their input validation."""
import numpy as np
import pytest

import tinygrad_opt
from tinygrad_opt import Tensor, backend, nn
import tinygrad_opt.nn.functional as F


class Block(nn.Module):
    """Own parameters set before and after a sub-module: PyTorch lists its own first."""

    def __init__(self):
        self.scale = nn.Parameter(np.ones(2))
        self.inner = nn.Linear(2, 2)
        self.shift = nn.Parameter(np.zeros(2))
        self.tied = self.scale                      # the same Parameter twice: listed once

    def forward(self, x):
        return self.inner(x * self.scale + self.shift)


MLP_NAMES = ["main.0.weight", "main.0.bias", "main.2.weight", "main.2.bias", "main.4.weight", "main.4.bias"]


# -- walking the tree --------------------------------------------------------------------
def test_named_parameters_dotted_names_in_definition_order():
    model = nn.MLP(6, 3, [5, 4])
    names = [name for name, _ in model.named_parameters()]
    assert names == MLP_NAMES
    assert [name for name, _ in nn.MLP(6, 3, [5, 4]).named_parameters()] == names     # deterministic
    assert [p for _, p in model.named_parameters()] == list(model.parameters())
    assert [p.shape for p in model.parameters()] == [(5, 6), (5,), (4, 5), (4,), (3, 4), (3,)]
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in model.parameters())


def test_named_parameters_own_first_then_children_each_once():
    block = Block()
    assert [n for n, _ in block.named_parameters()] == ["scale", "shift", "inner.weight", "inner.bias"]
    outer = nn.Sequential(block, nn.ReLU(), nn.Linear(2, 1))
    assert [n for n, _ in outer.named_parameters()] == ["0.scale", "0.shift", "0.inner.weight",
                                                        "0.inner.bias", "2.weight", "2.bias"]
    shared = nn.Linear(2, 2)
    assert len(list(nn.Sequential(shared, shared).parameters())) == 2


def test_modules_and_children():
    model = nn.MLP(4, 2, [3])
    kinds = [type(m).__name__ for m in model.modules()]
    assert kinds == ["MLP", "Sequential", "Linear", "ReLU", "Linear"]
    assert [name for name, _ in model.named_children()] == ["main"]


def test_zero_grad(device_backend):
    model = nn.MLP(4, 2, [3])
    F.nll_loss(model(Tensor(np.ones((2, 4), dtype=np.float32))), Tensor([0, 1])).backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad(set_to_none=False)
    for p in model.parameters():
        assert p.grad.shape == p.shape and not p.grad.numpy().any()
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_train_eval_propagate():
    model = nn.MLP(4, 2, [3, 3])
    assert all(m.training for m in model.modules())
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())
    model.main[1].eval()
    assert [m.training for m in model.modules()] == [True, True, True, False, True, True, True]


# -- state_dict ---------------------------------------------------------------------------------
def test_state_dict_round_trip_with_copies(device_backend):
    tinygrad_opt.manual_seed(0)
    a = nn.MLP(6, 3, [5])
    tinygrad_opt.manual_seed(1)
    b = nn.MLP(6, 3, [5])
    sd = a.state_dict()
    assert list(sd) == ["main.0.weight", "main.0.bias", "main.2.weight", "main.2.bias"]
    before = {k: backend.to_numpy(v).copy() for k, v in sd.items()}
    a.main[0].weight.array *= 0                 # changing the model later must not change the copy
    assert backend.to_numpy(sd["main.0.weight"]).any()
    b.load_state_dict(sd)
    for name, p in b.named_parameters():
        np.testing.assert_array_equal(p.numpy(), before[name])
        assert p.dtype == np.float32 and backend.backend_of(p.array).name == device_backend
    sd["main.0.bias"] *= 0                     # nor may the loaded model share the dict's arrays
    np.testing.assert_array_equal(b.main[0].bias.numpy(), before["main.0.bias"])
    x = Tensor(np.ones((2, 6), dtype=np.float32))
    a.load_state_dict(b.state_dict())
    np.testing.assert_array_equal(a(x).numpy(), b(x).numpy())


def test_load_state_dict_across_backends_and_dtypes():
    backend.use("numpy")
    model = nn.Linear(3, 2)
    gpu_sd = {k: Tensor(v.astype(np.float64)).to("gpu").array for k, v in model.state_dict().items()}
    fresh = nn.Linear(3, 2)
    fresh.load_state_dict(gpu_sd)
    assert type(fresh.weight.array) is np.ndarray and fresh.weight.dtype == np.float32
    np.testing.assert_array_equal(fresh.weight.numpy(), model.weight.numpy())


def test_load_state_dict_errors():
    model = nn.MLP(4, 2, [3])
    sd = model.state_dict()
    missing = {k: v for k, v in sd.items() if k != "main.0.bias"}
    with pytest.raises(ValueError, match=r"load_state_dict into MLP: missing keys \['main.0.bias'\]"):
        model.load_state_dict(missing)
    with pytest.raises(ValueError, match=r"load_state_dict into MLP: unexpected keys \['extra.weight'\]"):
        model.load_state_dict({**sd, "extra.weight": np.zeros(2)})
    wrong = {**sd, "main.2.weight": np.zeros((3, 2), dtype=np.float32)}
    with pytest.raises(ValueError, match=r"main.2.weight: shape \(3, 2\) in the state_dict, \(2, 3\) in the model"):
        model.load_state_dict(wrong)
    before = model.main[0].weight.numpy().copy()
    with pytest.raises(ValueError):
        model.load_state_dict({**wrong, "main.0.weight": np.zeros((3, 4), dtype=np.float32)})
    np.testing.assert_array_equal(model.main[0].weight.numpy(), before)     # nothing half-loaded
    model.load_state_dict(missing, strict=False)                            # non-strict: partial load


def test_load_state_dict_from_lists_and_numbers(device_backend):
    """A state_dict read back from JSON holds nested lists (and numbers for 0-d entries)."""
    model, fresh = nn.Linear(3, 2), nn.Linear(3, 2)
    as_lists = {k: backend.to_numpy(v).tolist() for k, v in model.state_dict().items()}
    fresh.load_state_dict(as_lists)
    for name, p in fresh.named_parameters():
        assert p.dtype == np.float32 and backend.backend_of(p.array).name == device_backend
        np.testing.assert_array_equal(p.numpy(), dict(model.named_parameters())[name].numpy())
    fresh.load_state_dict({**as_lists, "bias": Tensor([1.0, 2.0])})       # a Tensor works too
    np.testing.assert_array_equal(fresh.bias.numpy(), [1.0, 2.0])
    with pytest.raises(ValueError, match=r"load_state_dict into Linear: bias: shape \(\) in the state_dict, "
                                         r"\(2,\) in the model"):
        fresh.load_state_dict({**as_lists, "bias": 0.5})


@pytest.mark.parametrize("value, kind", [("abc", "str"), (None, "NoneType"), ([[1.0, 2.0], [3.0]], "list")])
def test_load_state_dict_refuses_non_arrays_naming_the_key(value, kind):
    model = nn.Linear(2, 2)
    with pytest.raises(TypeError, match=rf"^load_state_dict into Linear: weight: expected an array, a Tensor "
                                        rf"or a \(nested\) list of numbers, got {kind}"):
        model.load_state_dict({**model.state_dict(), "weight": value})


def test_module_to_device():
    backend.use("numpy")
    model = nn.MLP(4, 2, [3]).to("gpu")
    assert all(p.device == "gpu" for p in model.parameters())
    assert model(Tensor(np.ones((1, 4), dtype=np.float32), device="gpu")).device == "gpu"
    assert all(type(p.array) is np.ndarray for p in model.to("cpu").parameters())


# -- printing ----------------------------------------------------------------------------------
def test_print_linear_mlp_like_the_course(capsys):
    print(nn.MLP(in_dim=784, out_dim=10, hidden_dims=[]))
    assert capsys.readouterr().out == ("MLP(\n  (main): Sequential(\n"
                                       "    (0): Linear(in_features=784, out_features=10, bias=True)\n  )\n)\n")


def test_print_mlp_with_hidden_layers():
    assert repr(nn.MLP(784, 10, [128, 64], use_bias=False)) == (
        "MLP(\n"
        "  (main): Sequential(\n"
        "    (0): Linear(in_features=784, out_features=128, bias=False)\n"
        "    (1): ReLU()\n"
        "    (2): Linear(in_features=128, out_features=64, bias=False)\n"
        "    (3): ReLU()\n"
        "    (4): Linear(in_features=64, out_features=10, bias=False)\n"
        "  )\n"
        ")")
    assert repr(nn.LogSoftmax(dim=1)) == "LogSoftmax(dim=1)"
    assert repr(nn.Flatten()) == "Flatten(start_dim=1, end_dim=-1)"
    backend.use("numpy")
    parameter = nn.Parameter(np.array([1.0], dtype=np.float32))
    assert repr(parameter) == "Parameter containing:\nTensor([1.], requires_grad=True)"


# -- layers ----------------------------------------------------------------------------------
def test_mlp_alternates_linear_and_relu():
    model = nn.MLP(8, 3, [6, 5, 4])
    kinds = [type(m).__name__ for m in model.main]
    assert kinds == ["Linear", "ReLU", "Linear", "ReLU", "Linear", "ReLU", "Linear"]
    widths = [(m.in_features, m.out_features) for m in model.main if isinstance(m, nn.Linear)]
    assert widths == [(8, 6), (6, 5), (5, 4), (4, 3)]
    assert len(nn.MLP(8, 3, []).main) == 1
    assert all(m.bias is None for m in nn.MLP(8, 3, [6], use_bias=False).main if isinstance(m, nn.Linear))
    assert len(list(nn.MLP(8, 3, [6], use_bias=False).parameters())) == 2


def test_mlp_forward_gives_log_probabilities(device_backend):
    model = nn.MLP(6, 4, [5])
    x = np.random.default_rng(0).standard_normal((3, 1, 2, 3)).astype(np.float32)   # flattened to (3, 6)
    out = model(Tensor(x))
    assert out.shape == (3, 4) and out.dtype == np.float32
    np.testing.assert_allclose(np.exp(out.numpy()).sum(axis=1), 1.0, rtol=1e-6)
    w0, b0, w1, b1 = (p.numpy() for p in model.parameters())
    logits = np.maximum(x.reshape(3, 6) @ w0.T + b0, 0) @ w1.T + b1
    expected = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-5, atol=1e-6)


def test_linear_init_bounds_and_shapes():
    tinygrad_opt.manual_seed(0)
    layer = nn.Linear(100, 300)
    assert layer.weight.shape == (300, 100) and layer.bias.shape == (300,)
    bound = 1 / np.sqrt(100)
    w, b = layer.weight.numpy(), layer.bias.numpy()
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    # uniform on [-bound, bound]: it reaches near both ends, mean 0, std bound/sqrt(3)
    assert w.min() < -0.99 * bound and w.max() > 0.99 * bound
    assert abs(w.mean()) < 0.01 * bound
    assert abs(w.std() - bound / np.sqrt(3)) < 0.01 * bound
    assert nn.Linear(3, 2, bias=False).bias is None


@pytest.mark.parametrize("args", [(0, 3), (3, -1), (2.5, 3)])
def test_linear_rejects_bad_sizes(args):
    with pytest.raises(ValueError, match=r"Linear: (in|out)_features must be a positive int, got"):
        nn.Linear(*args)


def test_linear_layer_computes_x_wt_plus_b(device_backend):
    layer = nn.Linear(3, 2)
    x = np.arange(12, dtype=np.float32).reshape(4, 3)
    expected = x @ layer.weight.numpy().T + layer.bias.numpy()
    np.testing.assert_allclose(layer(Tensor(x)).numpy(), expected, rtol=1e-6)


def test_sequential_indexing_and_errors():
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert len(seq) == 3
    assert isinstance(seq[0], nn.Linear) and isinstance(seq[1], nn.ReLU) and seq[-1] is seq[2]
    assert [type(m).__name__ for m in seq] == ["Linear", "ReLU", "Linear"]
    with pytest.raises(TypeError, match=r"Sequential: argument 1 is a function, not a Module"):
        nn.Sequential(nn.ReLU(), lambda x: x)


class NoForward(nn.Module):
    pass


def test_flatten_and_module_without_forward():
    out = nn.Flatten()(Tensor(np.zeros((2, 3, 4), dtype=np.float32)))
    assert out.shape == (2, 12)
    with pytest.raises(NotImplementedError, match=r"NoForward must define forward\(\)"):
        NoForward()(Tensor([1.0]))


# -- losses --------------------------------------------------------------------------------
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_loss_modules_equal_functional_forms(device_backend, reduction):
    rng = np.random.default_rng(0)
    logits = Tensor(rng.standard_normal((5, 4)).astype(np.float32))
    y = Tensor(np.array([0, 3, 1, 1, 2]))
    logp = F.log_softmax(logits, 1)
    pairs = [(nn.NLLLoss(reduction=reduction)(logp, y), F.nll_loss(logp, y, reduction)),
             (nn.CrossEntropyLoss(reduction=reduction)(logits, y), F.cross_entropy(logits, y, reduction)),
             (F.cross_entropy(logits, y, reduction), F.nll_loss(logp, y, reduction))]
    for module_value, functional_value in pairs:
        np.testing.assert_array_equal(module_value.numpy(), functional_value.numpy())
    a, b = Tensor(rng.standard_normal((3, 2))), Tensor(rng.standard_normal((3, 2)))
    np.testing.assert_array_equal(nn.MSELoss(reduction=reduction)(a, b).numpy(), F.mse_loss(a, b, reduction).numpy())
    # and against the published equations
    lp = logits.numpy().astype(np.float64)
    lp = lp - np.log(np.exp(lp).sum(axis=1, keepdims=True))
    per_example = -lp[np.arange(5), y.numpy()]
    expected = {"mean": per_example.mean(), "sum": per_example.sum(), "none": per_example}[reduction]
    np.testing.assert_allclose(F.cross_entropy(logits, y, reduction).numpy(), expected, rtol=1e-6)


@pytest.mark.parametrize("loss, op", [(F.nll_loss, "nll_loss"), (F.cross_entropy, "cross_entropy"),
                                      (nn.NLLLoss(), "nll_loss"), (nn.CrossEntropyLoss(), "cross_entropy")],
                         ids=["nll_loss", "cross_entropy", "NLLLoss", "CrossEntropyLoss"])
@pytest.mark.parametrize("target, error, text", [
    (np.array([0.0, 1.0]), TypeError, r"target must hold integer class labels, got dtype float64"),
    (np.array([[0], [1]]), ValueError, r"target must have shape \(B,\) = \(2,\) to match input \(2, 3\), got \(2, 1\)"),
    (np.array([0, 3]), ValueError, r"target label 3 is out of range: labels must be in \[0, 3\) for 3 classes"),
    (np.array([-1, 0]), ValueError, r"target label -1 is out of range: labels must be in \[0, 3\)"),
], ids=["float", "shape-B1", "label-C", "negative"])
def test_label_validation_names_op_and_problem(loss, op, target, error, text):
    with pytest.raises(error, match=rf"^{op}: {text}"):
        loss(Tensor(np.zeros((2, 3), dtype=np.float32)), Tensor(target))


@pytest.mark.parametrize("loss, op", [(F.nll_loss, "nll_loss"), (F.cross_entropy, "cross_entropy"),
                                      (F.mse_loss, "mse_loss")])
def test_losses_reject_non_tensor_targets(loss, op):
    with pytest.raises(TypeError, match=rf"^{op}: expected tensors, got a numpy.ndarray; wrap it first"):
        loss(Tensor(np.zeros((2, 3), dtype=np.float32)), np.array([0, 1]))


@pytest.mark.parametrize("loss, name", [
    (F.cross_entropy, "cross_entropy"), (lambda x, y, r: nn.CrossEntropyLoss(reduction=r)(x, y), "CrossEntropyLoss"),
    (lambda x, y, r: nn.NLLLoss(reduction=r)(x, y), "NLLLoss"), (lambda x, y, r: nn.MSELoss(reduction=r), "MSELoss")],
    ids=["cross_entropy", "CrossEntropyLoss", "NLLLoss", "MSELoss"])
def test_reduction_error_names_the_loss(loss, name):
    """A loss module checks ``reduction`` when it is made, naming itself."""
    with pytest.raises(ValueError, match=rf"^{name}: reduction must be one of \('mean', 'sum', 'none'\), "
                                         r"got 'avg'"):
        loss(Tensor(np.zeros((2, 3), dtype=np.float32)), Tensor([0, 1]), "avg")


@pytest.mark.parametrize("loss", [nn.NLLLoss, nn.CrossEntropyLoss, nn.MSELoss])
def test_loss_module_reduction_is_a_keyword(loss):
    """PyTorch's first positional argument is a per-class weight: refused, not taken for reduction."""
    with pytest.raises(TypeError, match=r"positional argument"):
        loss("sum")
    assert loss(reduction="sum").reduction == "sum"
    assert repr(loss()) == f"{loss.__name__}()"


def test_nll_loss_needs_2d_input():
    with pytest.raises(ValueError, match=r"^nll_loss: expected input of shape \(B, C\) .*got \(2, 3, 4\)"):
        F.nll_loss(Tensor(np.zeros((2, 3, 4), dtype=np.float32)), Tensor([0, 1]))


def test_mse_loss_shape_mismatch():
    with pytest.raises(ValueError, match=r"^mse_loss: input shape \(4, 1\) and target shape \(4,\) differ"):
        F.mse_loss(Tensor(np.zeros((4, 1))), Tensor(np.zeros(4)))
