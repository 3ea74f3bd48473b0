"""Reliability (issue 7): every bad input gets a message that teaches, numerical faults are
caught or avoided, diverging runs are recorded, and the same seed gives the same bits.

The first part is a checklist, one test per item of the issue: each checks that the message
names the op or function, what was expected, and what was given. (Checkpoints have their
own file, tests/reliability/test_checkpoints.py; it also runs mnist_optimizers twice in separate processes
and checks the two give the same bits.)
"""
import gzip
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_opt
import tinygrad_opt.nn.functional as F
from tinygrad_opt import AnomalyError, Tensor, backend, detect_anomaly, nn, optim
from tinygrad_opt.data import ChecksumError, DatasetNotFoundError, IDXError, load_mnist, read_idx

HERE = Path(__file__).name
REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:   # `experiments` is a folder of scripts, not an installed package
    sys.path.insert(0, str(REPO))


def message(excinfo):
    return str(excinfo.value)


def next_line():
    """The line number of the caller's next line (where the op under test is written)."""
    return sys._getframe(1).f_lineno + 1


# == bad input gets a clear error ==========================================================
def test_matmul_shape_mismatch():
    with pytest.raises(ValueError) as e:
        Tensor(np.ones((2, 3))) @ Tensor(np.ones((4, 5)))
    assert all(s in message(e) for s in ("matmul", "(2, 3)", "(4, 5)", "k"))


def test_broadcasting_shape_mismatch():
    with pytest.raises(ValueError) as e:
        Tensor(np.ones((2, 3))) + Tensor(np.ones(4))
    assert all(s in message(e) for s in ("add", "(2, 3)", "(4,)", "broadcast"))


@pytest.mark.parametrize("loss", ["nll_loss", "cross_entropy"])
@pytest.mark.parametrize("target, expected, given", [
    (np.array([0.0, 1.0]), "integer", "float64"),            # wrong dtype (e.g. one-hot floats)
    (np.array([[0], [1]]), "(2,)", "(2, 1)"),                # wrong shape
    (np.array([0, 3]), "[0, 3)", "label 3"),                 # out of range ("3" alone is in "[0, 3)")
    (np.array([0, -1]), "[0, 3)", "label -1"),
])
def test_labels_of_wrong_dtype_shape_or_range(loss, target, expected, given):
    logits = Tensor(np.zeros((2, 3), dtype=np.float32))
    with pytest.raises((TypeError, ValueError)) as e:
        getattr(F, loss)(logits, Tensor(target))
    assert loss in message(e) and expected in message(e) and given in message(e)


def test_backward_on_a_non_scalar():
    y = Tensor(np.ones((2, 3)), requires_grad=True) * 2
    with pytest.raises(RuntimeError) as e:
        y.backward()
    assert all(s in message(e) for s in ("backward", "scalar", "(2, 3)"))


def test_second_backward_through_a_freed_graph():
    x = Tensor(np.ones(3), requires_grad=True)
    loss = (x.exp() * 2).sum()
    loss.backward()
    with pytest.raises(RuntimeError) as e:
        loss.backward()
    assert all(s in message(e) for s in ("backward", "second time", "'sum'", "retain_graph=True"))


@pytest.mark.parametrize("params, error, words", [
    ([], ValueError, ["SGD", "empty parameter list"]),
    ("duplicate", ValueError, ["SGD", "more than one place", "params[0]", "params[1]"]),
    ([np.ones(3)], TypeError, ["SGD", "params[0]", "numpy.ndarray", "array([1., 1., 1.])", "Tensors"]),
])
def test_optimizer_given_no_parameters_duplicates_or_non_tensors(params, error, words):
    if params == "duplicate":
        w = Tensor(np.ones(3), requires_grad=True)
        params = [w, w]
    with pytest.raises(error) as e:
        optim.SGD(params, lr=0.1)
    assert all(s in message(e) for s in words), message(e)


@pytest.mark.parametrize("make, words", [
    (lambda p: optim.SGD(p, lr=-0.1), ["SGD", "lr", "-0.1", ">= 0"]),
    (lambda p: optim.SGD(p, lr=0.1, momentum=-0.5), ["SGD", "momentum", "-0.5"]),
    (lambda p: optim.Adam(p, betas=(0.9, 1.5)), ["Adam", "beta", "1.5", "[0, 1)"]),
    (lambda p: optim.Adam(p, lr="fast"), ["Adam", "lr", "number", "'fast'"]),
    (lambda p: optim.SGD(p, lr=float("inf")), ["SGD", "lr", "inf", "finite"]),
    (lambda p: optim.Adam(p, eps=float("nan")), ["Adam", "eps", "nan", "finite"]),
    (lambda p: optim.AdamW(p, weight_decay=float("inf")), ["AdamW", "weight_decay", "inf", "finite"]),
])
def test_bad_hyperparameters(make, words):
    with pytest.raises((TypeError, ValueError)) as e:
        make([Tensor(np.ones(3), requires_grad=True)])
    assert all(s in message(e) for s in words), message(e)


def test_mixing_cpu_and_gpu_arrays():
    cpu = Tensor(np.ones((2, 2), dtype=np.float32), device="cpu")
    gpu = Tensor(np.ones((2, 2), dtype=np.float32), device="gpu")       # the stand-in GPU in tests
    for name, op in (("add", lambda: cpu + gpu), ("matmul", lambda: cpu @ gpu)):
        with pytest.raises(RuntimeError) as e:
            op()
        assert "same device" in message(e) and "cpu" in message(e) and "gpu" in message(e)
        assert message(e).startswith(f"{name}:"), message(e)


@pytest.mark.parametrize("change, words", [
    (lambda sd: sd.pop("0.bias"), ["load_state_dict", "missing", "0.bias"]),
    (lambda sd: sd.update(extra=np.zeros(2)), ["load_state_dict", "unexpected", "extra"]),
    (lambda sd: sd.update({"0.weight": np.zeros((3, 3))}), ["load_state_dict", "0.weight", "(3, 3)", "(2, 3)"]),
])
def test_model_load_state_dict_missing_extra_or_wrongly_shaped(change, words):
    model = nn.Sequential(nn.Linear(3, 2))
    state = model.state_dict()
    change(state)
    with pytest.raises(ValueError) as e:
        model.load_state_dict(state)
    assert all(s in message(e) for s in words), message(e)


def test_optimizer_load_state_dict_missing_extra_or_wrongly_shaped():
    w = Tensor(np.ones((2, 3), dtype=np.float32), requires_grad=True)
    adam = optim.Adam([w])
    w.grad = Tensor(np.ones((2, 3), dtype=np.float32))
    adam.step()
    for change, words in [
        (lambda s: s["state"][0].pop("exp_avg"), ["Adam.load_state_dict", "exp_avg", "expects"]),
        (lambda s: s["state"].update({5: {}}), ["Adam.load_state_dict", "parameter 5", "only 1"]),
        (lambda s: s["state"][0].update(exp_avg=np.zeros(4)), ["Adam.load_state_dict", "(4,)", "(2, 3)"]),
    ]:
        state = adam.state_dict()
        change(state)
        with pytest.raises(ValueError) as e:
            optim.Adam([w]).load_state_dict(state)
        assert all(s in message(e) for s in words), message(e)


def test_missing_data_files(tmp_path):
    with pytest.raises(DatasetNotFoundError) as e:
        load_mnist(tmp_path, download=False)
    assert str(tmp_path) in message(e) and "train-images-idx3-ubyte.gz" in message(e)
    assert "TINYGRAD_OPT_DATA" in message(e)


def test_corrupt_data_files(tmp_path):
    names = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
             "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]
    for name in names:
        (tmp_path / name).write_bytes(gzip.compress(b"\x00\x00\x08\x01\x00\x00\x00\x02\x07"))
    with pytest.raises(ChecksumError) as e:
        load_mnist(tmp_path, download=False)
    assert "train-images-idx3-ubyte.gz" in message(e) and "SHA-256" in message(e) and "expected" in message(e)
    truncated = tmp_path / "labels.idx"
    truncated.write_bytes(b"\x00\x00\x08\x01\x00\x00\x00\x05\x01\x02")    # header says 5 labels, 2 follow
    with pytest.raises(IDXError) as e:
        read_idx(truncated)
    assert str(truncated) in message(e) and "expected 5 bytes" in message(e) and "found 2" in message(e)


# == numerical faults: anomaly mode ===========================================================
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_anomaly_mode_names_the_forward_op_and_the_user_line():
    x = Tensor(np.array([1.0, -1.0]), requires_grad=True)
    with pytest.raises(AnomalyError) as e, detect_anomaly():
        h = x * 2.0
        line = next_line()
        y = (h - 1.0).log().exp()        # log of -3 is nan; exp then only passes it on
        y.sum()
    assert "'log'" in message(e) and "nan" in message(e) and "forward" in message(e)
    assert f"{HERE}:{line}" in message(e) and ".log().exp()" in message(e)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_anomaly_mode_names_the_backward_op_and_the_user_line():
    x = Tensor(np.array([0.0, 4.0]), requires_grad=True)
    with pytest.raises(AnomalyError) as e, detect_anomaly():
        line = next_line()
        r = x ** 0.5                      # forward is finite (0), d/dx = 0.5 / sqrt(x) is inf at 0
        loss = (r * 3.0).sum()
        loss.backward()
    assert "'pow'" in message(e) and "inf" in message(e) and "backward" in message(e)
    assert f"{HERE}:{line}" in message(e)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_without_anomaly_mode_nan_passes_silently_and_the_mode_is_switched_off_again():
    x = Tensor(np.array([-1.0]), requires_grad=True)
    with pytest.raises(AnomalyError), detect_anomaly():
        x.log()
    y = x.log()                           # outside the context: no check, nan as NumPy gives it
    assert np.isnan(y.numpy()).all()


# == numerical faults: huge logits and tiny probabilities stay finite ==========================
def logits_strategy(dtype, bound):
    """(B, C) logits anywhere in [-bound, bound]: probabilities down to e^(-2 bound), i.e. 0."""
    shapes = st.tuples(st.integers(1, 4), st.integers(2, 6))
    return hnp.arrays(dtype, shapes, elements=floats(dtype, bound))


def floats(dtype, bound):
    """Any finite value of ``dtype`` in [-bound, bound], subnormals included."""
    bound = float(np.asarray(bound, dtype=dtype))       # the nearest value the format has
    return st.floats(-bound, bound, width=np.dtype(dtype).itemsize * 8)


def logsumexp64(x):
    x = x.astype(np.float64)
    m = x.max(axis=1, keepdims=True)
    return m + np.log(np.exp(x - m).sum(axis=1, keepdims=True))


def test_the_mean_loss_of_huge_float32_losses_does_not_overflow_their_sum():
    """Two losses of 2e38 each: a float32 sum is inf, their mean 2e38 (PyTorch sums in float64 on the CPU)."""
    x = np.array([[1e38, -1e38], [1e38, -1e38]], np.float32)
    labels = Tensor(np.array([1, 1]))
    for loss in (F.cross_entropy(Tensor(x), labels), F.nll_loss(F.log_softmax(Tensor(x), dim=1), labels),
                 F.mse_loss(Tensor(np.full(2, 1.4e19, np.float32)), Tensor(np.zeros(2, np.float32)))):
        assert loss.dtype == np.float32 and np.isfinite(loss.item()), loss
    assert F.cross_entropy(Tensor(x), labels).item() == np.float32(2e38)


@pytest.mark.parametrize("dtype, bound", [(np.float32, 1e38), (np.float64, 1e300)])
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_log_softmax_and_cross_entropy_stay_finite_for_huge_logits(dtype, bound, data):
    x = data.draw(logits_strategy(dtype, bound))
    labels = np.array(data.draw(st.lists(st.integers(0, x.shape[1] - 1), min_size=len(x), max_size=len(x))))
    eps = np.finfo(dtype).eps
    scale = float(np.abs(x).max()) + 1.0

    logits = Tensor(x, requires_grad=True)
    logp = F.log_softmax(logits, dim=1)
    assert np.isfinite(logp.numpy()).all()
    np.testing.assert_allclose(np.exp(logp.numpy().astype(np.float64)).sum(axis=1), 1.0, rtol=0, atol=20 * eps)

    loss = F.cross_entropy(logits, Tensor(labels))
    loss.backward()
    reference = (logsumexp64(x)[:, 0] - x.astype(np.float64)[np.arange(len(x)), labels]).mean()
    assert np.isfinite(loss.item()) and abs(loss.item() - reference) <= 8 * eps * scale
    shifted = np.exp(x.astype(np.float64) - x.max(axis=1, keepdims=True))
    softmax = shifted / shifted.sum(axis=1, keepdims=True)
    expected_grad = (softmax - np.eye(x.shape[1])[labels]) / len(x)
    grad = logits.grad.numpy()
    assert np.isfinite(grad).all()
    np.testing.assert_allclose(grad, expected_grad, rtol=0, atol=8 * eps)


def test_cross_entropy_of_a_vanishing_probability_is_its_exact_log():
    # p(target) = e^-20000 underflows to 0 in any float format; in log space it is just -20000.
    logits = Tensor(np.array([[1e4, 0.0, -1e4]], dtype=np.float32), requires_grad=True)
    loss = F.cross_entropy(logits, Tensor(np.array([2])))
    loss.backward()
    assert loss.item() == 2e4
    np.testing.assert_array_equal(logits.grad.numpy(), [[1.0, 0.0, -1.0]])
    logp = np.log(np.array([[1e-45, 1.0]], dtype=np.float32))     # the smallest float32 probability
    assert np.isfinite(F.nll_loss(Tensor(logp), Tensor(np.array([0]))).item())


@pytest.mark.parametrize("dtype, bound", [(np.float32, 1e18), (np.float64, 1e150)])
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_mse_loss_stays_finite_for_large_and_tiny_values(dtype, bound, data):
    """Largest values whose squared differences still fit the format (1e18^2 * 4 * 24 < 3e38)."""
    shape = data.draw(st.tuples(st.integers(1, 4), st.integers(1, 6)))
    elements = floats(dtype, bound)
    a = data.draw(hnp.arrays(dtype, shape, elements=elements))
    b = data.draw(hnp.arrays(dtype, shape, elements=elements))
    prediction = Tensor(a, requires_grad=True)
    loss = F.mse_loss(prediction, Tensor(b))
    loss.backward()
    reference = ((a.astype(np.float64) - b) ** 2).mean()
    assert np.isfinite(loss.item()) and np.isfinite(prediction.grad.numpy()).all()
    # squares below the smallest normal number lose digits or flush to 0: absolute error < tiny
    np.testing.assert_allclose(loss.item(), reference, rtol=50 * np.finfo(dtype).eps, atol=np.finfo(dtype).tiny)


# == numerical faults: a diverging run is stopped, recorded, and the sweep goes on ============
@pytest.mark.filterwarnings("ignore::RuntimeWarning")          # the overflow is the point
def test_diverging_run_is_recorded_and_the_sweep_goes_on():
    from experiments import mnist_optimizers as mo
    rng = np.random.default_rng(0)
    x = rng.random((100, 784), dtype=np.float32)
    y = rng.integers(0, 10, 100)
    histories = {}
    for name, lr in (("sgd", 1e12), ("adam", None)):     # lr 1e12: the loss overflows within steps
        run = mo.new_run(name, x, y, seed=0, batch_size=10)     # 10 batches per epoch
        if lr is not None:
            run.optimizer.param_groups[0]["lr"] = lr
        histories[name] = mo.train(run, x[:20], y[:20], iterations=25, eval_every=10)
    diverged, fine = histories["sgd"], histories["adam"]
    losses = np.array(diverged["train_loss"])
    # Stopped at the first non-finite loss, in the first epoch: not at the end of that epoch.
    assert diverged["diverged_at"] is not None and diverged["diverged_at"] == len(losses) < 10
    assert np.isfinite(losses[:-1]).all() and not np.isfinite(losses[-1])
    assert (~np.isfinite(losses)).sum() == 1
    assert fine["diverged_at"] is None and len(fine["train_loss"]) == 25 and np.isfinite(fine["train_loss"]).all()
    assert fine["eval_step"] == [10, 20, 25]
    assert "diverged" in mo.summary_table(histories)


# == determinism ==============================================================================
def train_small_mlp(seed):
    """30 Adam steps of an MLP on fixed random data, everything drawn from ``seed``."""
    tinygrad_opt.manual_seed(seed)
    model = nn.MLP(20, 5, [16, 16])
    opt = optim.Adam(model.parameters(), lr=1e-2)
    rng = backend.host_rng()
    x = rng.standard_normal((64, 20)).astype(np.float32)
    y = rng.integers(0, 5, 64)
    for _ in range(30):
        idx = rng.choice(64, 16, replace=False)
        opt.zero_grad()
        loss = F.nll_loss(model(Tensor(x[idx])), Tensor(y[idx]))
        loss.backward()
        opt.step()
    return model.state_dict()


def test_same_seed_same_bits_on_the_cpu():
    backend.use("numpy")
    first, second, other = train_small_mlp(7), train_small_mlp(7), train_small_mlp(8)
    for name in first:
        assert first[name].tobytes() == second[name].tobytes(), name
    assert any(first[n].tobytes() != other[n].tobytes() for n in first)


# == audit follow-ups: matmul shapes, Tensor() input, anomaly origin, user-line lookup =========
@pytest.mark.parametrize("a, b, words", [
    ((2, 3, 4), (5, 4, 6), ["matmul", "batch", "(2, 3, 4)", "(5, 4, 6)", "broadcast"]),
    ((3,), (2, 2), ["matmul", "(3,) @ (2, 2)", "k = 3 and 2"]),
    ((2, 3), (2,), ["matmul", "(2, 3) @ (2,)", "k = 3 and 2"]),
    ((2, 3), (), ["matmul", "(2, 3) @ ()", "at least 1 dimension", "a * b"]),
])
def test_matmul_batch_axes_and_1d_operands(a, b, words):
    with pytest.raises(ValueError) as e:
        Tensor(np.ones(a)) @ Tensor(np.ones(b))
    assert all(s in message(e) for s in words), message(e)


def test_matmul_batch_axes_still_broadcast():
    out = Tensor(np.ones((1, 2, 3))) @ Tensor(np.ones((5, 3, 4)))
    assert out.shape == (5, 2, 4)


@pytest.mark.parametrize("data, error, words", [
    ([[1, 2], [3]], ValueError, ["ragged rows", "lengths 2, 1"]),
    (["a", "b"], TypeError, ["strings", "'a'"]),
])
def test_tensor_of_ragged_lists_or_strings(data, error, words):
    with pytest.raises(error) as e:
        Tensor(data)
    assert message(e).startswith("Tensor(): "), message(e)
    assert "expected numbers, nested lists of equal lengths, or an array; got" in message(e), message(e)
    assert all(s in message(e) for s in words), message(e)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_anomaly_mode_when_only_backward_runs_inside_it():
    x = Tensor(np.array([0.0, 4.0]), requires_grad=True)
    loss = (x ** 0.5).sum()                     # built outside detect_anomaly: its line is not known
    with pytest.raises(AnomalyError) as e, detect_anomaly():
        line = next_line()
        loss.backward()
    assert "'pow'" in message(e) and "created at" not in message(e)
    assert "backward() was called at" in message(e) and f"{HERE}:{line}" in message(e)
    assert "run the forward pass inside detect_anomaly()" in message(e)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_anomaly_mode_names_user_code_in_a_folder_next_to_the_package():
    # a user's folder whose name starts like the package's, e.g. .../tinygrad_opt_notebooks/cell.py
    from tinygrad_opt.anomaly import PACKAGE_DIR
    cell = PACKAGE_DIR + "_notebooks/cell.py"
    code = compile("x.log()\n", cell, "exec")       # a frame with that file name; nothing is written
    with pytest.raises(AnomalyError) as e, detect_anomaly():
        exec(code, {"x": Tensor(np.array([-1.0]))})
    assert f"{cell}:1" in message(e), message(e)
