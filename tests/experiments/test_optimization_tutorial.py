"""The optimization tutorial as the course has it: its protocols, check cells, widgets' knobs and
the bonus's benchmark. Every test counts steps or compares numbers, never wall-clock time."""
import argparse
import os
import sys
from pathlib import Path

import numpy as np
import pytest

from tinygrad_opt import manual_seed, nn
from tinygrad_opt.data import data_dir
from tinygrad_opt.data.mnist import FILES
from tinygrad_opt.optim.functional import momentum_update

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from experiments.optimization_tutorial import (computation_time, final, minibatch, momentum, overparam,  # noqa: E402
                                               random_search, rmsprop)
from experiments.optimization_tutorial.__main__ import build_parser  # noqa: E402
from experiments.optimization_tutorial.course import (SEED, CourseData, eval_model, load_course_data,  # noqa: E402
                                                      random_update, sample_minibatch)


def _mnist_root():
    for base in (os.environ.get("TINYGRAD_OPT_DATA"), REPO.parent / "shared" / "data"):
        if base and all((data_dir("mnist", base) / name).is_file() for name in FILES):
            return Path(base)
    return None


@pytest.fixture(scope="module")
def course_data():
    root = _mnist_root()
    if root is None:
        pytest.skip("MNIST files not found: set TINYGRAD_OPT_DATA to a folder holding the four MNIST .gz files")
    return load_course_data(SEED, root=root)


def _quick(seed=SEED):
    return argparse.Namespace(quick=True, seed=seed, no_progress=True)


def _fake_course_data(n=1200):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, 784)).astype(np.float32)
    y = rng.integers(0, 10, n)
    return CourseData(x, y, x[:200], y[:200], x[:100], y[:100], 0.1307, 0.3081)


# -- sampling and seeds ------------------------------------------------------------------------

def test_the_course_seed_is_the_default():
    assert SEED == 2021 and build_parser().parse_args([]).seed == 2021


def test_subset_and_minibatches_are_drawn_with_replacement(course_data):
    """np.random.choice(60000, 500) right after set_seed(2021), as the course draws its subset."""
    index = np.random.RandomState(2021).choice(60000, 500)
    assert np.array_equal(course_data.X, course_data.x_train[index])
    x, y = sample_minibatch(np.arange(5), np.arange(5) * 10, num_points=100, rng=np.random.default_rng(0))
    assert x.shape == (100,) and np.array_equal(y, 10 * x) and len(set(x.tolist())) == 5   # repeats


def test_random_update_moves_every_number_by_noise_scale():
    manual_seed(0)
    model = nn.MLP(in_dim=784, out_dim=10, hidden_dims=[])
    before = [p.numpy().copy() for p in model.parameters()]
    random_update(model, noise_scale=1e-2)
    steps = np.concatenate([(p.numpy() - b).ravel() for p, b in zip(model.parameters(), before, strict=True)])
    assert steps.std() == pytest.approx(1e-2, rel=0.05) and np.linalg.norm(steps) == pytest.approx(0.886, rel=0.05)
    before = [p.numpy().copy() for p in model.parameters()]
    random_update(model, noise_scale=0.5, normalized=True)
    for p, b in zip(model.parameters(), before, strict=True):
        assert np.linalg.norm(p.numpy() - b) == pytest.approx(0.5, rel=1e-5)


# -- section 3: random search, the course's protocol --------------------------------------------

def test_random_search_the_course_protocol_rarely_helps(course_data, tmp_path):
    result = random_search.run(course_data, _quick(), tmp_path)
    init, trained = result["models"]["Initialization"], result["models"]["Partially trained"]
    for r in (init, trained):
        assert r["gd_delta"] < 0 and len(r["random_deltas"]) == len(r["equal_length_deltas"]) == 10
        assert r["random_step_length"] == pytest.approx(0.01 * np.sqrt(7850), rel=0.02)
        assert r["gd_step_length"] < r["random_step_length"] / 10
    assert trained["fraction_down"] == 0.0 and init["fraction_down"] <= 0.3
    assert trained["equal_length_fraction_down"] > trained["fraction_down"]      # the extra: length, not direction


# -- section 4: momentum --------------------------------------------------------------------------

def test_momentum_check_cell_and_the_challenge_within_the_sliders(course_data):
    after = momentum.momentum_check(course_data, SEED)
    assert np.concatenate([v.ravel() for v in after.values()]).std() == pytest.approx(0.9, abs=0.03)
    problem = momentum.momentum_problem(course_data, SEED, grid_points=4)
    assert problem.newton_gradient < 1e-8
    assert problem.hessian[0, 0] < problem.hessian[1, 1]           # measured: the weight is the flat direction
    assert momentum.KNOBS["lr"].check("lr", 10 ** 0.7) and momentum.KNOBS["beta"].check("beta", 0.59)
    lr, beta, steps = momentum.solve_challenge(problem, [10 ** 0.7], [0.59])
    assert steps <= 100
    path, _ = momentum.trajectory(problem.loss, momentum_update, 300, lr=0.1, beta=0.9)
    assert momentum.first_step_within(momentum.distances(problem, path), 1e-6) is None   # the defaults don't


def test_momentum_experiment_draws_the_3d_surface_beside_the_contour(course_data):
    problem = momentum.momentum_problem(course_data, SEED, grid_points=4)
    fig, summary = momentum.momentum_experiment(problem, max_steps=50, lr=0.1, beta=0.9)
    assert [ax.name for ax in fig.axes if ax.name == "3d"] == ["3d"]
    assert set(summary) == {"GD", "Momentum"} and summary["GD"]["trajectory"].shape == (50, 3)


# -- the widgets' knobs ---------------------------------------------------------------------------

def test_each_demo_has_the_course_defaults():
    assert {k: v.default for k, v in momentum.KNOBS.items()} == {"max_steps": 300, "lr": 0.1, "beta": 0.9}
    assert {k: v.default for k, v in overparam.KNOBS.items()} == {"max_steps": 150, "hidden_dims": "10",
                                                                  "lr": 5e-2, "num_inits": 7}
    assert {k: v.default for k, v in rmsprop.KNOBS.items()} == {"batch_size": 135, "lr": 2e-3, "max_steps": 275}
    assert minibatch.KNOBS["time_budget"].default == 2.5 and minibatch.KNOBS["time_budget"].choices == (2.5, 5, 10)
    assert computation_time.KNOBS["hidden_dims"].choices == ("1", "100", "50, 50")
    assert {k: v.default for k, v in final.KNOBS.items()} == {"max_epochs": 2, "lr": 1e-5, "batch_size": 64}


def test_knob_options_take_the_widget_range_and_refuse_the_rest(capsys):
    parser = build_parser()
    args = parser.parse_args(["momentum", "--momentum-lr", "5.01", "--momentum-beta", "0.53",
                              "--overparam-num-inits", "10", "--minibatch-time-budget", "5",
                              "--optimizers-batch-size", "250"])
    assert (args.momentum_lr, args.momentum_beta, args.overparam_num_inits) == (5.01, 0.53, 10)
    assert args.minibatch_time_budget == 5.0 and args.optimizers_batch_size == 250 and args.momentum_max_steps is None
    for bad in (["--momentum-lr", "19.8"], ["--overparam-num-inits", "11"], ["--minibatch-time-budget", "3"]):
        with pytest.raises(SystemExit):
            parser.parse_args(bad)
    assert "the course's slider range" in capsys.readouterr().err


def test_the_demos_run_with_their_knobs():
    data = _fake_course_data()
    fig, r = overparam.overparam(data, max_steps=5, hidden_dims="20, 20", lr=0.05, num_inits=5, seed=0)
    assert r["loss_curves"].shape == (5, 5) and r["hidden_dims"] == [20, 20]
    fig, curves = rmsprop.compare_optimizers(data, batch_size=25, lr=1e-3, max_steps=6, seed=0)
    assert {k: len(v) for k, v in curves.items()} == {"SGD": 6, "Momentum": 6, "RMSprop": 6}
    fig, times = computation_time.computation_time(data, "50, 50", num_points=[1, 10, 100], repeats=2)
    assert times.shape == (3, 2) and (times > 0).all()
    # the tick clock: a budget of updates, not of this machine's seconds (0.05 s of it is 2 updates)
    fig, runs = minibatch.minibatch_experiment(data, "20, 100", "5e-3, 5e-3", time_budget="0.05", seed=0,
                                               clock="ticks")
    assert [r["batch_size"] for r in runs] == [20, 100] and [len(r["loss"]) for r in runs] == [2, 2]

    with pytest.raises(ValueError, match="one learning rate per batch size"):
        minibatch.minibatch_experiment(data, "20, 100", "5e-3", time_budget="0.05")


# -- section 6: minibatches -------------------------------------------------------------------------

def test_minibatch_panels_have_their_own_y_scale():
    runs = [{"batch_size": b, "lr": 5e-3, "time_budget_s": 1.0, "seconds": np.arange(4.0), "loss": scale * np.ones(4),
             "diverged_at": None} for b, scale in ((20, 2.0), (250, 0.1))]
    fig = minibatch.plot(runs)
    limits = [ax.get_ylim() for ax in fig.axes]
    assert limits[0] != limits[1] and limits[1][1] < 0.5


def test_steadily_below_is_below_and_staying_below():
    seconds = np.arange(60.0)
    loss = np.r_[np.ones(20), 0.2 * np.ones(40)]
    # the window of 20 ending at t holds 39 - t ones until t = 39: its mean is below 0.5 from t = 32 on
    assert minibatch.steadily_below(seconds, loss) == 32.0
    assert minibatch.steadily_below(seconds, np.r_[loss, np.ones(20)]) is None
    assert minibatch.steadily_below(seconds[:5], loss[:5]) is None


def test_check_cells_print_as_in_the_course(course_data, capsys):
    assert minibatch.minibatch_check(course_data, SEED) == ([100, 28, 28], [100])
    before, after = rmsprop.rmsprop_check(course_data, SEED)
    steps = np.abs(np.concatenate([(a - b).ravel() for a, b in zip(after, before, strict=True)]))
    assert np.nanmedian(steps) == pytest.approx(1e-3 / np.sqrt(0.2), rel=0.01)
    printed = capsys.readouterr().out
    assert "The input shape is (100, 28, 28) and the target shape is: (100,)" in printed
    assert "The model3 parameters after the update are:" in printed and "main.0.weight" in printed


# -- the bonus: the benchmark, the starting configuration, the tuned model ----------------------------

def test_final_validates_every_200_batches_as_the_course(monkeypatch):
    data = _fake_course_data(900)
    splits = (data.x_train[:640], data.y_train[:640], data.x_train[640:], data.y_train[640:])
    model, metrics = final.train_my_model(data, splits, max_epochs=2, lr=1e-3, batch_size=2, hidden_dims=[5],
                                          seed=0, log=lambda line: None)
    # 320 batches an epoch; the course counts batch_id within the epoch: the 200th of each
    assert len(metrics["train_loss"]) == 640 and metrics["val_idx"] == [200, 520]
    loss, acc = eval_model(model, splits[2], splits[3])
    assert 0 <= acc <= 1 and np.isfinite(loss)


def test_benchmark_is_trained_once_then_loaded(tmp_path, monkeypatch):
    data = _fake_course_data(900)
    monkeypatch.setattr(final, "VALIDATION", 100)
    splits = final.split(data, 0, quick=True)
    path = tmp_path / "benchmark_model.npz"
    model, origin = final.benchmark_model(data, splits, path, seed=0, quick=True)
    assert origin.startswith("trained") and path.exists()
    again, origin = final.benchmark_model(data, splits, path, seed=0, quick=True)
    assert origin.startswith("loaded")
    for a, b in zip(model.parameters(), again.parameters(), strict=True):
        assert np.array_equal(a.numpy(), b.numpy())
    assert [p.shape for p in again.parameters()][::2] == [(200, 784), (100, 200), (50, 100), (10, 50)]


def test_final_quick_reports_all_three_models(course_data, tmp_path):
    result = final.run(course_data, _quick(), tmp_path)
    for numbers in (result["starting"]["evaluation"], result["benchmark"], result["tuned"]):
        assert set(numbers) >= {"train_loss", "test_loss", "train_accuracy", "test_accuracy"}
    assert result["starting"]["lr"] == 1e-5 and result["starting"]["batch_size"] == 64
    assert result["tuned"]["test_accuracy"] > result["starting"]["evaluation"]["test_accuracy"]


def test_filters_end_loss_is_what_adam_gives_not_below_1e_2(course_data):
    """The course's comment expects the partially trained model's loss below 1e-2 after 200 Adam steps
    (lr 7e-4); on its subset an independent float64 NumPy Adam from the same start ends at the
    engine's loss, about 0.11."""
    from experiments.optimization_tutorial.course import partially_trained_linear
    model, losses = partially_trained_linear(course_data.X, course_data.y, SEED)
    manual_seed(SEED)
    start = nn.MLP(in_dim=784, out_dim=10, hidden_dims=[])
    params = [p.numpy().astype(np.float64) for p in start.parameters()]
    X, Y = course_data.X.astype(np.float64), np.eye(10)[course_data.y]

    def loss_and_grads(W, b):
        z = X @ W.T + b
        z -= z.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        g = (np.exp(logp) - Y) / len(X)
        return -(logp * Y).sum(axis=1).mean(), [g.T @ X, g.sum(axis=0)]

    m, v = [np.zeros_like(p) for p in params], [np.zeros_like(p) for p in params]
    for t in range(1, 201):
        _, grads = loss_and_grads(*params)
        for i, g in enumerate(grads):
            m[i] = 0.9 * m[i] + 0.1 * g
            v[i] = 0.999 * v[i] + 0.001 * g * g
            params[i] -= 7e-4 * (m[i] / (1 - 0.9 ** t)) / (np.sqrt(v[i] / (1 - 0.999 ** t)) + 1e-8)
    from experiments.optimization_tutorial.course import loss_fn
    assert loss_fn(model, course_data.X, course_data.y).item() == pytest.approx(loss_and_grads(*params)[0], rel=1e-4)
    assert loss_and_grads(*params)[0] > 1e-2


def test_the_time_budget_runs_on_the_chosen_clock(tmp_path):
    """The tick clock reads 0.01 s later each time; the budget check and the record read it once per
    update, so 0.1 s of it is 5 updates, whatever the machine does (--quick runs on it)."""
    fig, runs = minibatch.minibatch_experiment(_fake_course_data(), "20, 100", "5e-3, 5e-3", time_budget="0.1",
                                               seed=0, clock="ticks")
    assert [r["clock"] for r in runs] == ["ticks", "ticks"] and [len(r["loss"]) for r in runs] == [5, 5]
    runs = minibatch.run(_fake_course_data(), _quick(0), tmp_path)["runs"]
    assert {len(r["loss"]) for r in runs.values()} == {5} and len(runs) == 6


def test_a_chosen_drop_down_value_runs_just_that_architecture(tmp_path):
    data = _fake_course_data()
    args = argparse.Namespace(quick=True, seed=0, no_progress=True, overparam_hidden_dims="20, 20",
                              computation_time_hidden_dims="1")
    assert list(overparam.run(data, args, tmp_path)["models"]) == ["[20, 20]"]
    assert list(computation_time.run(data, args, tmp_path)["models"]) == ["1"]


def test_minibatch_refuses_a_learning_rate_count_that_does_not_fit(tmp_path):
    args = argparse.Namespace(quick=True, seed=0, no_progress=True, minibatch_batch_sizes="20, 250",
                              minibatch_lrs="5e-3")
    with pytest.raises(ValueError, match="2 batch sizes but 1 learning rates"):
        minibatch.run(_fake_course_data(), args, tmp_path)
