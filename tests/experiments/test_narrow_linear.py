"""Narrow linear networks (experiments/narrow_linear): autodiff against the course's hand-derived
gradients, training against the course's loop, the batched sweep against single runs, every
subcommand's --quick run, and the facts the tutorial teaches, checked on the numbers."""
import json
import math
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_opt
from experiments.narrow_linear.__main__ import SUBCOMMANDS, main
from experiments.narrow_linear.batched import DeepNarrowLNNBatch, train_batch
from experiments.narrow_linear.models import DeepNarrowLNN, ShallowNarrowLNN, gen_samples
from experiments.narrow_linear.sweeps import (Config, best_by_fewest_epochs, convergence_epochs, grid,
                                              parallel_executor, sweep)
from experiments.narrow_linear.train import train, train_analytic
from tinygrad_opt import Tensor, backend

from fake_device import FAKE

REPO = Path(__file__).resolve().parents[2]

# Weights away from 0: the course's deep gradient divides by (w_i + 1e-9), a relative error of 1e-9/w_i.
weight = st.floats(0.1, 2.0).flatmap(lambda a: st.sampled_from([a, -a]))
value = st.floats(-3.0, 3.0)


@st.composite
def data(draw, max_n=20):
    n = draw(st.integers(1, max_n))
    return (numpy.array(draw(st.lists(value, min_size=n, max_size=n))),
            numpy.array(draw(st.lists(value, min_size=n, max_size=n))))


@settings(max_examples=60, deadline=None)
@given(depth=st.integers(1, 10), w=st.data(), xy=data())
def test_deep_autodiff_equals_course_gradient(depth, w, xy):
    weights = w.draw(st.lists(weight, min_size=depth, max_size=depth))
    model = DeepNarrowLNN(weights)
    x, y = Tensor(xy[0]), Tensor(xy[1])
    model.loss(model(x), y).backward()
    numpy.testing.assert_allclose(model.w.grad.numpy(), backend.to_numpy(model.dloss_dw(x, y)),
                                  rtol=1e-6, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(w1=value, w2=value, xy=data())
def test_shallow_autodiff_equals_course_gradient(w1, w2, xy):
    model = ShallowNarrowLNN([w1, w2])
    x, y = Tensor(xy[0]), Tensor(xy[1])
    model.loss(model(x), y).backward()
    autodiff = [model.w1.grad.numpy(), model.w2.grad.numpy()]
    numpy.testing.assert_allclose(autodiff, [backend.to_numpy(g) for g in model.dloss_dw(x, y)], rtol=1e-9, atol=1e-12)


def test_losses_follow_the_course_conventions():
    x, y = numpy.array([0.5, 1.0]), numpy.array([1.0, 3.0])
    shallow = ShallowNarrowLNN([2.0, 0.5])            # y_hat = x: errors 0.5, 2
    assert shallow.loss(shallow(Tensor(x)), Tensor(y)).item() == pytest.approx((0.25 + 4) / 2)
    deep = DeepNarrowLNN(numpy.full((1, 3), 1.0))     # y_hat = x, loss halved
    assert deep.loss(deep(Tensor(x)), Tensor(y)).item() == pytest.approx((0.25 + 4) / 4)
    assert deep.w.shape == (3,) and deep.w.dtype == numpy.float64


def test_autodiff_training_equals_course_loop():
    tinygrad_opt.manual_seed(1)
    x, y = gen_samples(50, 2.0, 0.1)
    ours, course = train(ShallowNarrowLNN([1.4, -1.6]), x, y, 0.02, 100), \
        train_analytic(ShallowNarrowLNN([1.4, -1.6]), x, y, 0.02, 100)
    numpy.testing.assert_allclose(ours.weights, course.weights, rtol=1e-12, atol=1e-14)
    ours, course = train(DeepNarrowLNN(numpy.full(20, 0.9)), x, y, 0.03, 200), \
        train_analytic(DeepNarrowLNN(numpy.full(20, 0.9)), x, y, 0.03, 200)
    numpy.testing.assert_allclose(ours.losses, course.losses, rtol=1e-6)


def test_a_diverging_run_stops_and_is_reported():
    tinygrad_opt.manual_seed(0)
    x, y = gen_samples(100, 2.0, 0.1)
    run = train(DeepNarrowLNN(numpy.full(30, 1.5)), x, y, 0.1, 50)
    assert run.diverged_at is not None
    assert numpy.isnan(run.losses[run.diverged_at + 1:]).all() and not numpy.isnan(run.losses[0])
    assert math.isinf(convergence_epochs(run.losses))
    assert train(DeepNarrowLNN(numpy.full(10, 0.9)), x, y, 0.01, 50).diverged_at is None


def test_batched_training_equals_single_runs(device_backend):
    """Rows of one weight matrix, each with its own lr and init, one of them diverging, give
    the same losses as training each net alone."""
    tinygrad_opt.manual_seed(0)
    x, y = gen_samples(100, 2.0, 0.1)
    lrs, inits = [0.01, 0.03, 0.05, 0.02], [0.9, 1.0, 1.3, 0.8]
    losses, diverged_at = train_batch(numpy.array(inits)[:, None] * numpy.ones((1, 12)), x, y, lrs, 80)
    assert list(diverged_at >= 0) == [False, False, True, False]
    for r, (lr, w0) in enumerate(zip(lrs, inits, strict=True)):
        single = train(DeepNarrowLNN(numpy.full(12, w0)), x, y, lr, 80)
        numpy.testing.assert_allclose(losses[:, r], single.losses, rtol=1e-10, atol=1e-14)
        assert diverged_at[r] == (-1 if single.diverged_at is None else single.diverged_at)


def test_batch_model_rejects_a_vector():
    with pytest.raises(ValueError, match="DeepNarrowLNNBatch.*shape"):
        DeepNarrowLNNBatch(numpy.ones(5))


def test_sweep_is_the_same_serial_on_threads_and_on_processes():
    if backend.current() is FAKE:       # worker processes cannot load the stand-in device
        backend.use("numpy")
    tinygrad_opt.manual_seed(0)
    x, y = gen_samples(100, 2.0, 0.1)
    configs = grid([3, 8], [0.01, 0.2], [0.9, 1.1]) + [Config(5, 0.05, 1.0)]
    serial = sweep(configs, x, y, 40, max_batch=3)
    with ThreadPoolExecutor(2) as pool:
        threaded = sweep(configs, x, y, 40, executor=pool, max_batch=3)
    with parallel_executor(2) as pool:
        processes = sweep(configs, x, y, 40, executor=pool)
    for other in (threaded, processes):
        numpy.testing.assert_array_equal(serial[0], other[0])
        numpy.testing.assert_array_equal(serial[1], other[1])
    single = train(DeepNarrowLNN(numpy.full(8, 1.1)), x, y, 0.2, 40)
    numpy.testing.assert_allclose(serial[0][configs.index(Config(8, 0.2, 1.1))], single.losses, rtol=1e-10)


def test_convergence_is_below_and_staying_below():
    losses = numpy.array([[1.0, 0.5, 0.005, 0.004],       # converged at epoch 2
                          [1.0, 0.005, 0.5, 0.005],       # dips below, comes back: not converged
                          [1.0, 0.005, numpy.nan, numpy.nan],   # diverged
                          [0.001, 0.001, 0.001, 0.001]])  # below from the start
    numpy.testing.assert_array_equal(convergence_epochs(losses), [2, numpy.inf, numpy.inf, 0])
    best, fewest = best_by_fewest_epochs([[numpy.inf, 5, 5], [numpy.inf] * 3], [0.1, 0.2, 0.3])
    numpy.testing.assert_array_equal(best, [0.2, numpy.nan])
    numpy.testing.assert_array_equal(fewest, [5, numpy.inf])


def test_bad_input_gets_a_clear_error():
    with pytest.raises(ValueError, match="gen_samples.*sigma"):
        gen_samples(10, 1.0, -0.1)
    with pytest.raises(ValueError, match="gen_samples.*n"):
        gen_samples(0, 1.0, 0.1)
    with pytest.raises(ValueError, match="ShallowNarrowLNN.*two"):
        ShallowNarrowLNN([1.0])
    with pytest.raises(ValueError, match="DeepNarrowLNN.*at least one"):
        DeepNarrowLNN([])
    with pytest.raises(ValueError, match="sweep.*depth"):
        sweep([Config(0, 0.01, 0.9)], numpy.ones(3), numpy.ones(3), 5)
    with pytest.raises(SystemExit):
        main(["--quick", "--figures", "somewhere"])


# -- the experiment: every subcommand's --quick run, and the tutorial's facts on its numbers ----

@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("narrow_linear")
    results = main(["--quick", "--no-progress", "--workers", "1", "--out", str(out)])
    return out, results


@pytest.mark.parametrize("name", list(SUBCOMMANDS))
def test_each_subcommand_writes_png_and_json(quick_run, name):
    out, results = quick_run
    stem = name.replace("-", "_")
    assert (out / f"{stem}.png").stat().st_size > 10_000
    assert json.loads((out / f"{stem}.json").read_text())
    assert name in results


def test_shallow_fit_reaches_w1_w2_close_to_a(quick_run):
    shallow = quick_run[1]["shallow"]
    assert shallow["w1_times_w2"] == pytest.approx(2.0, abs=0.05)
    assert shallow["w1_times_w2"] == pytest.approx(shallow["least_squares_slope"], abs=0.01)
    assert shallow["max_abs_diff_weights_autodiff_vs_analytic"] < 1e-12


def test_vector_field_autodiff_arrows_equal_the_course_arrows(quick_run):
    assert quick_run[1]["vector-field"]["max_abs_diff_autodiff_vs_analytic"] < 1e-12


def test_best_learning_rate_falls_as_depth_grows(quick_run):
    found = quick_run[1]["depth-vs-lr"]
    best = found["best_lr"]
    assert numpy.isfinite(best).all()
    assert all(a > b for a, b in zip(best[:-1], best[1:], strict=True)), best
    assert all(a < b for a, b in zip(found["fewest_epochs"][:-1], found["fewest_epochs"][1:], strict=True))


def test_initialisations_far_from_one_slow_or_break_training(quick_run):
    runs = {r["init"]: r for r in quick_run[1]["init"]["runs"]}
    assert runs[1.0]["converged_at"] < runs[0.85]["converged_at"] < runs[0.7]["converged_at"]
    assert math.isinf(runs[0.7]["converged_at"]) or runs[0.7]["diverged_at"] >= 0


def test_large_initial_weights_slow_or_break_training(quick_run):
    """The bonus map: wherever all-ones weights converge, weights >= 1.25 at the same depth and lr
    converge later, never, or diverge; and at every depth some of them diverge."""
    bonus = quick_run[1]["bonus"]
    inits = numpy.array(bonus["inits"])
    epochs = numpy.array(bonus["epochs_to_converge"], dtype=float)     # (depths, lrs, inits)
    diverged = numpy.array(bonus["diverged"])
    ones, large = list(inits).index(1.0), inits >= 1.25
    assert large.any()
    for depth, e, d in zip(bonus["depths"], epochs, diverged, strict=True):
        assert d[:, large].any(), f"depth {depth}: no run from weights >= 1.25 diverged"
        for lr, row, row_diverged in zip(bonus["lrs"], e, d, strict=True):
            if numpy.isfinite(row[ones]):
                slow_or_broken = (row[large] > row[ones]) | row_diverged[large]
                assert slow_or_broken.all(), (depth, lr, row)


def test_best_learning_rate_is_inside_the_grid(quick_run):
    """The lr grid reaches past every depth's best lr, so no best lr is only a lower bound."""
    found = quick_run[1]["depth-vs-lr"]
    assert not any(found["best_lr_at_grid_edge"])
    assert max(found["best_lr"]) < found["lrs"][-1]


def test_deeper_nets_learn_later(quick_run):
    runs = quick_run[1]["depth"]["runs"]
    assert runs[1]["converged_at"] < runs[2]["converged_at"]     # depth 10 before depth 20


@pytest.mark.parametrize("name", ["vector-field", "init"])
def test_subcommands_run_on_the_stand_in_gpu(tmp_path, name):
    """(On NumPy they ran in quick_run.) Host-side bookkeeping must copy device arrays explicitly."""
    backend.use("fakegpu")
    main([name, "--quick", "--no-progress", "--workers", "1", "--out", str(tmp_path)])
    assert (tmp_path / f"{name.replace('-', '_')}.png").exists()


def test_command_line_entry_point(tmp_path):
    done = subprocess.run([sys.executable, "-m", "experiments.narrow_linear", "shallow", "--quick",
                           "--no-progress", "--out", str(tmp_path)], cwd=REPO, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "w1*w2" in done.stdout and (tmp_path / "shallow.png").exists()


def test_depth_vs_lr_answers_on_the_course_slider_too(quick_run):
    """The same runs restricted to the widget's values (0.005 to 0.105 step 0.005): the slider's
    best is one of them, never faster than the finer grid's best, and at depth 10 the slider
    cannot reach the grid's best (0.125): it stops at 0.100."""
    found = quick_run[1]["depth-vs-lr"]
    slider = numpy.round(numpy.arange(1, 22) * 0.005, 3)
    assert numpy.allclose(found["course_slider_lrs"], slider)
    for _, fewest, slider_best, slider_fewest in zip(found["best_lr"], found["fewest_epochs"],
                                                        found["course_slider_best_lr"],
                                                        found["course_slider_fewest_epochs"], strict=True):
        assert numpy.round(slider_best, 3) in slider and slider_fewest >= fewest
    assert found["best_lr"][0] == pytest.approx(0.125) and found["course_slider_best_lr"][0] == pytest.approx(0.1)


def test_vector_field_with_custom_initial_weights(tmp_path):
    """The course's plot_vector_field('all', init_weights): one trajectory, from the given point."""
    results = main(["vector-field", "--init-weights", "1.2", "-0.3", "--quick", "--no-progress", "--workers", "1",
                    "--out", str(tmp_path)])
    numbers = results["vector-field"]
    assert numbers["settings"]["inits"] == [[1.2, -0.3]]
    x, y = gen_samples(10, 1.0, 0.0)
    alone = train(ShallowNarrowLNN([1.2, -0.3]), x, y, 0.15, 40)
    assert len(numbers["trajectories"]) == 1
    assert numpy.array_equal(numpy.asarray(numbers["trajectories"][0]), alone.weights)
    assert (tmp_path / "vector_field.png").exists()
