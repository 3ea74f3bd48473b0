"""The nn API as PyTorch users know it: generators over the module tree, containers, activations,
load_state_dict's report, printing, and errors that name the module and say what to write.
Expected numbers come from the published formulas in NumPy."""
import types
import warnings
from collections import OrderedDict

import numpy as np
import pytest

import tinygrad_opt
from tinygrad_opt import Tensor, nn, optim
from tinygrad_opt.gradcheck import gradcheck
import tinygrad_opt.nn.functional as F


class FeedforwardNeuralNetModel(nn.Module):
    """The assignment's model (seeds/003), verbatim but for the imports."""

    def __init__(self, input_dim, hidden_dim, output_dim):
        super(FeedforwardNeuralNetModel, self).__init__()
        # Linear function
        self.fc1 = nn.Linear(input_dim, hidden_dim)
        # Non-linearity
        self.relu = nn.ReLU()
        # Linear function (readout)
        self.fc2 = nn.Linear(hidden_dim, output_dim)

    def forward(self, x):
        # Linear function
        out = self.fc1(x)
        # Non-linearity
        out = self.relu(out)
        # Linear function (readout)
        out = self.fc2(out)
        return out


class Stack(nn.Module):
    """A model with a ModuleList of blocks, as users write deeper nets."""

    def __init__(self, widths):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(a, b) for a, b in zip(widths[:-1], widths[1:], strict=True)])
        self.act = nn.Tanh()

    def forward(self, x):
        for layer in self.layers:
            x = self.act(layer(x))
        return x


# -- walking the tree: generators, as in PyTorch ---------------------------------------------
def test_walkers_are_generators():
    model = nn.MLP(6, 3, [5])
    for walker in (model.parameters, model.named_parameters, model.modules, model.named_modules,
                   model.children, model.named_children):
        assert isinstance(walker(), types.GeneratorType), walker.__name__
    params = model.parameters()
    assert len(list(params)) == 4 and list(params) == []          # spent after one pass, as PyTorch's
    name, p = next(model.named_parameters())
    assert name == "main.0.weight" and isinstance(p, nn.Parameter)


def test_named_modules_dotted_names_each_module_once():
    model = nn.MLP(4, 2, [3])
    assert [name for name, _ in model.named_modules()] == ["", "main", "main.0", "main.1", "main.2"]
    assert [name for name, _ in model.named_modules(prefix="net")][:2] == ["net", "net.main"]
    shared = nn.Linear(2, 2)
    seq = nn.Sequential(shared, nn.ReLU(), shared)
    assert [name for name, _ in seq.named_modules()] == ["", "0", "1"]
    assert [name for name, _ in seq.named_children()] == ["0", "1"]
    assert [type(m).__name__ for m in seq.children()] == ["Linear", "ReLU"]
    assert [name for name, _ in seq.named_parameters()] == ["0.weight", "0.bias"]


def test_named_parameters_prefix_and_recurse():
    model = FeedforwardNeuralNetModel(4, 3, 2)
    assert [n for n, _ in model.named_parameters()] == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert [n for n, _ in model.named_parameters(prefix="m")][0] == "m.fc1.weight"
    assert list(model.named_parameters(recurse=False)) == []
    assert [n for n, _ in model.fc1.named_parameters(recurse=False)] == ["weight", "bias"]
    assert len(list(model.parameters(recurse=False))) == 0


def test_optimizer_takes_the_generator():
    model = FeedforwardNeuralNetModel(4, 3, 2)
    opt = optim.SGD(model.parameters(), lr=0.1)
    assert [p for p in opt.param_groups[0]["params"]] == list(model.parameters())


# -- training helpers ----------------------------------------------------------------------
def _backward_once(model, n_in=4):
    x = Tensor(np.random.default_rng(0).standard_normal((3, n_in)).astype(np.float32))
    F.cross_entropy(model(x), Tensor(np.array([0, 1, 1]))).backward()


def test_zero_grad_to_none_by_default_or_zeros_in_place(device_backend):
    model = FeedforwardNeuralNetModel(4, 3, 2)
    _backward_once(model)
    grads = [p.grad for p in model.parameters()]
    model.zero_grad(set_to_none=False)
    for p, g in zip(model.parameters(), grads, strict=True):
        assert p.grad is g and not p.grad.numpy().any()         # the same tensors, zeroed in place
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    model.zero_grad(set_to_none=False)                          # no grads yet: they stay None
    assert all(p.grad is None for p in model.parameters())


def test_requires_grad_freezes_a_layer():
    model = FeedforwardNeuralNetModel(4, 3, 2)
    assert model.fc1.requires_grad_(False) is model.fc1
    _backward_once(model)
    assert model.fc1.weight.grad is None and model.fc1.bias.grad is None
    assert model.fc2.weight.grad is not None
    model.requires_grad_()
    assert all(p.requires_grad for p in model.parameters())


def test_train_eval_and_mode_check():
    model = Stack([3, 3, 3])
    assert model.eval() is model and not any(m.training for m in model.modules())
    assert all(m.training for m in model.train().modules())
    with pytest.raises(ValueError, match=r"Stack.train: mode must be True or False, got 'eval'"):
        model.train("eval")


def test_apply_visits_children_first_then_the_module():
    seq = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.ReLU(), nn.Linear(2, 1)))
    seen = []
    assert seq.apply(lambda m: seen.append(type(m).__name__)) is seq
    assert seen == ["Linear", "ReLU", "Linear", "Sequential", "Sequential"]

    def init_zero(m):
        if isinstance(m, nn.Linear):
            m.weight.data.zero_()
    seq.apply(init_zero)
    assert not seq[0].weight.numpy().any() and not seq[1][1].weight.numpy().any()


def test_register_parameter_and_add_module():
    m = nn.Module()
    m.register_parameter("scale", nn.Parameter(np.ones(3)))
    m.add_module("block0", nn.Linear(3, 2))
    m.register_parameter("unused", None)
    assert [n for n, _ in m.named_parameters()] == ["scale", "block0.weight", "block0.bias"]
    with pytest.raises(TypeError, match=r"register_parameter: 'w' must be a Parameter or None, got Tensor; "
                                        r"wrap it: nn.Parameter\(tensor\)"):
        m.register_parameter("w", Tensor([1.0]))
    with pytest.raises(KeyError, match=r"name must be non-empty and contain no '.', got 'a.b'"):
        m.add_module("a.b", nn.ReLU())
    with pytest.raises(KeyError, match=r"attribute 'train' already exists"):
        m.add_module("train", nn.ReLU())
    with pytest.raises(KeyError, match=r"attribute 'block0' already exists"):
        m.register_parameter("block0", nn.Parameter(np.ones(1)))
    with pytest.raises(TypeError, match=r"add_module: 'f' must be a Module or None, got function"):
        m.add_module("f", lambda x: x)


def test_a_plain_tensor_cannot_replace_a_parameter():
    """PyTorch refuses it too: the tensor would silently drop out of parameters() and never train."""
    layer = nn.Linear(2, 2)
    with pytest.raises(TypeError, match=r"^Linear: cannot assign a Tensor as parameter 'weight' \(Parameter or "
                                        r"None expected\); to change its values write self.weight.data = "):
        layer.weight = Tensor(np.zeros((2, 2), dtype=np.float32), requires_grad=True)
    layer.bias = None
    layer.weight = nn.Parameter(np.zeros((2, 2), dtype=np.float32))
    assert [n for n, _ in layer.named_parameters()] == ["weight"]


# -- containers ----------------------------------------------------------------------------
def test_sequential_as_pytorch():
    seq = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    assert len(seq) == 3 and seq[-1] is seq[2] and [type(m) for m in seq] == [nn.Linear, nn.ReLU, nn.Linear]
    tail = seq[1:]
    assert isinstance(tail, nn.Sequential) and [n for n, _ in tail.named_children()] == ["1", "2"]
    with pytest.raises(IndexError, match=r"Sequential: index 3 is out of range for 3 modules"):
        seq[3]
    assert seq.append(nn.Sigmoid()) is seq and len(seq) == 4 and isinstance(seq[3], nn.Sigmoid)
    named = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 2)), ("act", nn.Tanh())]))
    assert named.fc is named[0] and [n for n, _ in named.named_parameters()] == ["fc.weight", "fc.bias"]
    assert repr(named) == ("Sequential(\n  (fc): Linear(in_features=2, out_features=2, bias=True)\n"
                           "  (act): Tanh()\n)")


def test_sequential_runs_a_repeated_module_each_time():
    double = nn.Linear(1, 1, bias=False)
    double.weight.data.fill_(2.0)
    seq = nn.Sequential(double, double, double)
    assert len(seq) == 3 and len(list(seq.parameters())) == 1
    np.testing.assert_array_equal(seq(Tensor([[1.0]])).numpy(), [[8.0]])
    assert repr(seq).count("Linear(") == 3


def test_module_list_registers_its_modules():
    model = Stack([4, 3, 2])
    assert [n for n, _ in model.named_parameters()] == ["layers.0.weight", "layers.0.bias",
                                                         "layers.1.weight", "layers.1.bias"]
    layers = model.layers
    assert len(layers) == 2 and layers[-1] is layers[1] and [m.out_features for m in layers] == [3, 2]
    layers.append(nn.Linear(2, 2))
    layers.extend([nn.Linear(2, 2), nn.Linear(2, 1)])
    layers.insert(0, nn.Linear(4, 4))
    assert [(m.in_features, m.out_features) for m in layers] == [(4, 4), (4, 3), (3, 2), (2, 2), (2, 2), (2, 1)]
    assert [n for n, _ in layers.named_children()] == [str(i) for i in range(6)]
    layers[1] = nn.Linear(4, 3, bias=False)
    assert layers[1].bias is None and len(list(model.parameters())) == 11
    assert model(Tensor(np.ones((5, 4), dtype=np.float32))).shape == (5, 1)
    layers += [nn.Linear(1, 1)]
    assert len(layers) == 7 and isinstance(layers[2:4], nn.ModuleList) and len(layers[2:4]) == 2
    assert model.state_dict().keys() == dict(model.named_parameters()).keys()


def test_module_list_errors():
    layers = nn.ModuleList()
    with pytest.raises(TypeError, match=r"ModuleList: item 0 is a function, not a Module"):
        layers.append(lambda x: x)
    with pytest.raises(TypeError, match=r"ModuleList.extend: expected an iterable of Modules, got a Linear; "
                                        r"use append"):
        layers.extend(nn.Linear(2, 2))
    with pytest.raises(IndexError, match=r"ModuleList: index 0 is out of range for 0 modules"):
        layers[0]
    with pytest.raises(NotImplementedError, match=r"ModuleList is a container, not a layer: call its modules"):
        nn.ModuleList([nn.ReLU()])(Tensor([1.0]))


def test_module_list_repr_groups_repeats_as_pytorch():
    layers = nn.ModuleList([nn.Linear(3, 3) for _ in range(3)] + [nn.ReLU()])
    assert repr(layers) == ("ModuleList(\n"
                            "  (0-2): 3 x Linear(in_features=3, out_features=3, bias=True)\n"
                            "  (3): ReLU()\n"
                            ")")
    assert repr(nn.ModuleList()) == "ModuleList()"
    assert repr(Stack([2, 2, 2])) == ("Stack(\n"
                                      "  (layers): ModuleList(\n"
                                      "    (0-1): 2 x Linear(in_features=2, out_features=2, bias=True)\n"
                                      "  )\n"
                                      "  (act): Tanh()\n"
                                      ")")


# -- activations and softmax -----------------------------------------------------------------
def _x(shape=(4, 5), seed=0, dtype=np.float32):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype) * 3


def _np_softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


@pytest.mark.parametrize("module, function, expected", [
    (nn.ReLU(), F.relu, lambda x: np.maximum(x, 0)),
    (nn.Sigmoid(), F.sigmoid, lambda x: 1 / (1 + np.exp(-x))),
    (nn.Tanh(), F.tanh, np.tanh),
    (nn.Softmax(dim=1), lambda t: F.softmax(t, dim=1), lambda x: _np_softmax(x, 1)),
    (nn.Softmax(dim=0), lambda t: F.softmax(t, 0), lambda x: _np_softmax(x, 0)),
    (nn.LogSoftmax(dim=1), lambda t: F.log_softmax(t, dim=1), lambda x: np.log(_np_softmax(x, 1))),
], ids=["ReLU", "Sigmoid", "Tanh", "Softmax1", "Softmax0", "LogSoftmax"])
def test_activation_modules_and_functions_compute_the_formula(device_backend, module, function, expected):
    x = _x()
    reference = expected(x.astype(np.float64))
    for out in (module(Tensor(x)), function(Tensor(x))):
        assert out.shape == x.shape and out.dtype == np.float32
        np.testing.assert_allclose(out.numpy(), reference, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("fn", [lambda t: F.softmax(t, 1), lambda t: F.softmax(t, 0),
                                lambda t: nn.Softmax(dim=-1)(t), lambda t: nn.Sigmoid()(t), lambda t: nn.Tanh()(t)],
                         ids=["softmax1", "softmax0", "Softmax-1", "Sigmoid", "Tanh"])
def test_activation_gradients_match_finite_differences(fn):
    x = Tensor(_x((3, 4), seed=1, dtype=np.float64) / 3, requires_grad=True)
    assert gradcheck(fn, [x])


def test_softmax_is_stable_for_huge_scores():
    out = F.softmax(Tensor(np.array([[1e4, 0.0, -1e4]], dtype=np.float32)), dim=1).numpy()
    np.testing.assert_array_equal(out, [[1.0, 0.0, 0.0]])


@pytest.mark.parametrize("shape, dim", [((5,), 0), ((2, 5), 1), ((2, 3, 4), 0), ((2, 3, 4, 5), 1)])
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_no_dim_warns_and_follows_pytorch_rule(shape, dim, name):
    """PyTorch's implicit choice (deprecated, with this warning): dim 0 for 1-D and 3-D input, else 1."""
    x = Tensor(_x(shape))
    fn = getattr(F, name)
    with pytest.warns(UserWarning, match=rf"Implicit dimension choice for {name} has been deprecated"):
        out = fn(x)
    np.testing.assert_array_equal(out.numpy(), fn(x, dim=dim).numpy())
    module = {"softmax": nn.Softmax, "log_softmax": nn.LogSoftmax}[name]()
    with pytest.warns(UserWarning):
        np.testing.assert_array_equal(module(x).numpy(), out.numpy())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fn(x, dim=-1)                                # with a dim: no warning


def test_activation_reprs():
    assert [repr(m) for m in (nn.ReLU(), nn.ReLU(inplace=True), nn.Sigmoid(), nn.Tanh(), nn.Softmax(dim=1),
                              nn.LogSoftmax(dim=1), nn.Softmax())] == [
        "ReLU()", "ReLU(inplace=True)", "Sigmoid()", "Tanh()", "Softmax(dim=1)", "LogSoftmax(dim=1)",
        "Softmax(dim=None)"]


def test_relu_inplace_gives_the_same_result_and_keeps_the_input():
    x = Tensor(np.array([-1.0, 2.0], dtype=np.float32))
    np.testing.assert_array_equal(nn.ReLU(inplace=True)(x).numpy(), [0.0, 2.0])
    np.testing.assert_array_equal(x.numpy(), [-1.0, 2.0])


@pytest.mark.parametrize("start, end, shape", [(1, -1, (2, 60)), (0, -1, (120,)), (1, 2, (2, 12, 5)),
                                               (-2, -1, (2, 3, 20)), (2, 2, (2, 3, 4, 5))])
def test_flatten_dims(start, end, shape):
    x = _x((2, 3, 4, 5))
    out = nn.Flatten(start, end)(Tensor(x))
    assert out.shape == shape
    np.testing.assert_array_equal(out.numpy(), x.reshape(shape))
    assert repr(nn.Flatten(start, end)) == f"Flatten(start_dim={start}, end_dim={end})"


def test_flatten_errors():
    with pytest.raises(IndexError, match=r"Flatten: start_dim=1 is out of range for input of shape \(5,\) "
                                         r"\(expected a dim in \[-1, 0\]\)"):
        nn.Flatten()(Tensor(np.zeros(5)))
    with pytest.raises(ValueError, match=r"Flatten: start_dim=2 comes after end_dim=1"):
        nn.Flatten(2, 1)(Tensor(np.zeros((2, 3, 4))))


# -- load_state_dict reports, as PyTorch ---------------------------------------------------------
def test_load_state_dict_returns_incompatible_keys():
    tinygrad_opt.manual_seed(0)
    a, b = nn.MLP(4, 2, [3]), nn.MLP(4, 2, [3])
    result = b.load_state_dict(a.state_dict())
    assert result == ([], []) and result.missing_keys == [] and result.unexpected_keys == []
    assert repr(result) == "<All keys matched successfully>"
    partial = {"main.0.weight": a.state_dict()["main.0.weight"] * 0, "head.weight": np.zeros((2, 3))}
    result = b.load_state_dict(partial, strict=False)
    assert result.missing_keys == ["main.0.bias", "main.2.weight", "main.2.bias"]
    assert result.unexpected_keys == ["head.weight"]
    assert repr(result) == ("IncompatibleKeys(missing_keys=['main.0.bias', 'main.2.weight', 'main.2.bias'], "
                            "unexpected_keys=['head.weight'])")
    missing, unexpected = result                      # a named tuple: unpacks too
    assert not b.main[0].weight.numpy().any()          # what matched was loaded
    np.testing.assert_array_equal(b.main[2].weight.numpy(), a.main[2].weight.numpy())
    with pytest.raises(ValueError, match=r"missing keys \['main.0.bias', 'main.2.weight', 'main.2.bias'\]; "
                                         r"unexpected keys \['head.weight'\]"):
        b.load_state_dict(partial)


def test_load_state_dict_takes_tensors_and_parameters(device_backend):
    a, b = nn.Linear(3, 2), nn.Linear(3, 2)
    b.load_state_dict(dict(a.named_parameters()))                     # Parameters, as PyTorch's state_dict
    np.testing.assert_array_equal(b.weight.numpy(), a.weight.numpy())
    assert b.weight.array is not a.weight.array                        # copied, not shared
    b.load_state_dict({"weight": Tensor(np.ones((2, 3))), "bias": Tensor(np.zeros(2))})
    assert b.weight.dtype == np.float32 and b.weight.numpy().sum() == 6


def test_load_state_dict_refuses_a_model():
    a, b = nn.Linear(3, 2), nn.Linear(3, 2)
    with pytest.raises(TypeError, match=r"load_state_dict into Linear: expected a dict of name -> array "
                                        r"\(what state_dict\(\) returns\), got Linear"):
        b.load_state_dict(a)


# -- errors that name the module and what to write ---------------------------------------------
def test_linear_names_an_unflattened_image_batch():
    layer = nn.Linear(784, 100)
    with pytest.raises(ValueError) as info:
        layer(Tensor(np.zeros((100, 1, 28, 28), dtype=np.float32)))
    assert str(info.value) == ("Linear(in_features=784, out_features=100, bias=True): expected input (..., 784), "
                               "got (100, 1, 28, 28); flatten it first: x.view(x.size(0), -1)")


def test_linear_wrong_width_and_non_tensor():
    layer = nn.Linear(784, 100)
    with pytest.raises(ValueError, match=r"^Linear\(in_features=784, out_features=100, bias=True\): expected "
                                         r"input \(..., 784\), got \(100, 10\)$"):
        layer(Tensor(np.zeros((100, 10), dtype=np.float32)))
    with pytest.raises(ValueError, match=r"expected input \(..., 784\), got \(\)$"):
        layer(Tensor(np.float32(1.0)))
    with pytest.raises(TypeError, match=r"^Linear\(in_features=784, out_features=100, bias=True\): expected a "
                                        r"Tensor, got a numpy.ndarray; wrap it first: Tensor\(x\)"):
        layer(np.zeros((2, 784), dtype=np.float32))
    assert layer(Tensor(np.zeros((2, 5, 784), dtype=np.float32))).shape == (2, 5, 100)   # (..., in) is fine


@pytest.mark.parametrize("loss", [nn.CrossEntropyLoss(), nn.NLLLoss(), F.cross_entropy, F.nll_loss],
                         ids=["CrossEntropyLoss", "NLLLoss", "cross_entropy", "nll_loss"])
def test_float_labels_say_long(loss):
    with pytest.raises(TypeError, match=r"target must hold integer class labels, got dtype float32 "
                                        r"\(convert with target.long\(\)"):
        loss(Tensor(np.zeros((2, 3), dtype=np.float32)), Tensor(np.array([0.0, 1.0], dtype=np.float32)))


# -- the course's own lines ------------------------------------------------------------------
def test_print_the_assignments_model_as_pytorch(capsys):
    model = FeedforwardNeuralNetModel(28 * 28, 100, 10)
    print(model)
    assert capsys.readouterr().out == (
        "FeedforwardNeuralNetModel(\n"
        "  (fc1): Linear(in_features=784, out_features=100, bias=True)\n"
        "  (relu): ReLU()\n"
        "  (fc2): Linear(in_features=100, out_features=10, bias=True)\n"
        ")\n")


def test_extra_repr_comes_before_the_children():
    class Scaled(nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = nn.ReLU()

        def extra_repr(self):
            return "scale=2"
    assert repr(Scaled()) == "Scaled(\n  scale=2\n  (inner): ReLU()\n)"


def test_print_params_as_the_course_writes_it(capsys):
    """seeds/001's helper, verbatim: it walks named_parameters and prints param.data."""
    def print_params(model):
        for name, param in model.named_parameters():
            if param.requires_grad:
                print(name, param.data)
    tinygrad_opt.manual_seed(0)
    model = nn.MLP(in_dim=2, out_dim=2, hidden_dims=[])
    print_params(model)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(" ")[0] for line in lines if line[:1].isalpha()] == ["main.0.weight", "main.0.bias"]


def test_the_assignments_step_trains(device_backend):
    """seeds/003's loop body (criterion, zero_grad, backward, step) lowers the loss on a fixed batch."""
    tinygrad_opt.manual_seed(0)
    model = FeedforwardNeuralNetModel(6, 8, 3)
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.SGD(model.parameters(), lr=0.5)
    rng = np.random.default_rng(0)
    images = Tensor(rng.standard_normal((12, 6)).astype(np.float32))
    labels = Tensor(rng.integers(0, 3, 12))
    losses = []
    for _ in range(30):
        optimizer.zero_grad()
        outputs = model(images)
        loss = criterion(outputs, labels)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
