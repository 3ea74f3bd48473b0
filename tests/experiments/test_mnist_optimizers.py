"""The MNIST experiments: each ``--quick`` run writes its PNGs and a JSON with sane numbers.

They need the real MNIST files: $TINYGRAD_OPT_DATA, else ../shared/data next to the
repository. Without them these tests are skipped (no test downloads anything).
"""
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tinygrad_opt.data import data_dir
from tinygrad_opt.data.mnist import FILES

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:   # `experiments` is a folder of scripts, not an installed package
    sys.path.insert(0, str(REPO))
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _mnist_root():
    for base in (os.environ.get("TINYGRAD_OPT_DATA"), REPO.parent / "shared" / "data"):
        if base and all((data_dir("mnist", base) / name).is_file() for name in FILES):
            return Path(base)
    return None


@pytest.fixture
def mnist_env(monkeypatch):
    root = _mnist_root()
    if root is None:
        pytest.skip("MNIST files not found: set TINYGRAD_OPT_DATA to a folder holding the four "
                    "MNIST .gz files (or put them in ../shared/data/mnist)")
    monkeypatch.setenv("TINYGRAD_OPT_DATA", str(root))
    return root


def _png(path):
    assert path.is_file(), f"{path} was not written"
    assert path.read_bytes()[:8] == PNG_SIGNATURE, f"{path} is not a PNG"
    assert path.stat().st_size < 400_000, f"{path} is {path.stat().st_size} bytes"


def _json(path):
    assert path.is_file(), f"{path} was not written"
    return json.loads(path.read_text())


def test_mnist_optimizers_quick(mnist_env, tmp_path, capsys):
    from experiments import mnist_optimizers
    figures = tmp_path / "figures"
    mnist_optimizers.main(["--quick", "--no-progress", "--out", str(tmp_path), "--figures", str(figures)])
    for name in ("mnist_accuracy.png", "mnist_loss.png"):
        _png(tmp_path / name)
        _png(figures / name)
    result = _json(tmp_path / "mnist_optimizers.json")
    runs = result["runs"]
    assert list(runs) == list(mnist_optimizers.SETTINGS)
    first_losses = set()
    for name, run in runs.items():
        assert len(run["train_loss"]) == 30 and run["diverged_at"] is None, name
        assert run["eval_step"] == [10, 20, 30], name
        # 30 steps of any of the nine optimizers already classify most test digits.
        assert 50 < run["test_accuracy"][-1] <= 100, (name, run["test_accuracy"])
        assert np.mean(run["train_loss"][-5:]) < run["train_loss"][0], name
        first_losses.add(round(run["train_loss"][0], 6))
    # Same seed: every optimizer starts from the same weights on the same first batch.
    assert len(first_losses) == 1
    assert result["reported"]["momentum"][-1] == 97.63
    printed = capsys.readouterr().out
    assert "SGD+momentum (ours)" in printed and "(003)" in printed


def test_mnist_optimizers_rejects_unknown_optimizer():
    from experiments import mnist_optimizers
    with pytest.raises(SystemExit, match="unknown.*'lbfgs'"):
        mnist_optimizers.main(["--optimizers", "sgd,lbfgs"])


@pytest.mark.parametrize("module", ["experiments.mnist_optimizers", "experiments.optimization_tutorial"])
def test_experiments_run_as_modules(module):
    done = subprocess.run([sys.executable, "-m", module, "--help"], cwd=REPO, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    for flag in ("--seed", "--backend", "--quick", "--out", "--figures"):
        assert flag in done.stdout


def test_optimization_tutorial_quick(mnist_env, tmp_path):
    from experiments.optimization_tutorial import minibatch
    from experiments.optimization_tutorial.__main__ import KEY_FIGURES, SECTIONS, main
    figures = tmp_path / "figures"
    results = main(["--quick", "--no-progress", "--out", str(tmp_path), "--figures", str(figures)])
    assert list(results) == list(SECTIONS)
    for name in SECTIONS:
        _png(tmp_path / f"{name}.png")
        assert _json(tmp_path / f"{name}.json")["section"] == name
    for name in KEY_FIGURES:
        _png(figures / f"tutorial_{name}.png")
    assert set(_json(tmp_path / "sections.json")["seconds"]) == set(SECTIONS)

    assert len(results["data"]["labels"]) == 3
    assert abs(results["data"]["mean"] - 0.1307) < 1e-4 and abs(results["data"]["std"] - 0.3081) < 1e-4
    assert results["filters"]["final_loss"] < results["filters"]["loss"][0]
    assert results["gd_step"]["loss_after"] < results["gd_step"]["loss_before"]
    for model in results["random_search"]["models"].values():
        assert model["gd_delta"] < 0          # a small gradient step always lowers the loss
    momentum = results["momentum"]
    assert momentum["newton_gradient"] < 1e-8
    assert momentum["summary"]["Momentum"]["final_loss"] < momentum["summary"]["GD"]["final_loss"]
    for model in results["overparam"]["models"].values():
        assert model["loss_curves"].shape == (2, 15) and np.isfinite(model["loss_curves"]).all()
    for run in results["minibatch"]["runs"].values():
        assert len(run["loss"]) == minibatch.QUICK_UPDATES and np.isfinite(run["loss"]).all()
    assert set(results["rmsprop"]["curves"]) == {"SGD", "Momentum", "RMSprop"}
    assert 0 <= results["final"]["test_accuracy"] <= 100


def test_optimization_tutorial_rejects_unknown_section(capsys):
    from experiments.optimization_tutorial.__main__ import main
    with pytest.raises(SystemExit):
        main(["nonsense"])
    assert "unknown section(s) nonsense" in capsys.readouterr().err


# -- one command for the docs' figures ---------------------------------------------------------

def test_figures_command_regenerates_every_docs_figure(tmp_path):
    from experiments import figures, mnist_optimizers
    from experiments.narrow_linear.__main__ import build_parser as narrow_parser
    from experiments.optimization_tutorial.__main__ import build_parser as tutorial_parser
    parsers = {"mnist_optimizers": mnist_optimizers.build_parser, "optimization_tutorial": tutorial_parser,
               "narrow_linear": narrow_parser}
    for name, _, argv in figures.runs(tmp_path, data=tmp_path / "data", no_progress=True):
        args = parsers[name]().parse_args(argv)
        assert args.figures == tmp_path and not args.quick, name
    shown = set(figures.figure_names())
    assert shown == {p.name for p in (REPO / "docs" / "figures").glob("*.png")}
    pages = (REPO / "docs" / "experiments.md").read_text()
    assert all(f"figures/{name}" in pages for name in shown - {"mnist_loss.png"})
    assert "python -m experiments.figures" in pages


# -- setup mistakes get one message, no traceback -----------------------------------------------

def _run_offline(args, tmp_path, **env):
    """Run ``python -m ARGS`` with every download refused at once (a proxy that is not there)."""
    environment = dict(os.environ, https_proxy="http://127.0.0.1:9", http_proxy="http://127.0.0.1:9",
                       no_proxy="", **env)
    return subprocess.run([sys.executable, "-m", *args, "--quick", "--no-progress", "--out", str(tmp_path / "out")],
                          cwd=REPO, capture_output=True, text=True, timeout=60, env=environment)


@pytest.mark.parametrize("module", ["experiments.mnist_optimizers", "experiments.optimization_tutorial"])
def test_missing_mnist_is_one_message_not_a_traceback(module, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    done = _run_offline([module], tmp_path, TINYGRAD_OPT_DATA=str(empty))
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert f"MNIST files missing in {empty}" in done.stderr and "export TINYGRAD_OPT_DATA=" in done.stderr


def test_data_flag_comes_before_the_environment_variable(tmp_path):
    """--data is the "argument" of the lookup order: it wins over $TINYGRAD_OPT_DATA."""
    given = tmp_path / "given"
    given.mkdir()
    done = _run_offline(["experiments.mnist_optimizers", "--data", str(given)], tmp_path,
                        TINYGRAD_OPT_DATA=str(REPO.parent / "shared" / "data"))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert f"MNIST files missing in {given}" in done.stderr


@pytest.mark.skipif(importlib.util.find_spec("cupy") is not None, reason="CuPy is installed")
@pytest.mark.parametrize("command", [["experiments.narrow_linear", "shallow"], ["experiments.mnist_optimizers"],
                                     ["experiments.optimization_tutorial", "momentum"], ["experiments.optimizer_zoo"],
                                     ["experiments.benchmark", "--only", "gpu"]])
def test_cupy_backend_without_cupy_is_one_message(command, tmp_path):
    done = _run_offline([*command, "--backend", "cupy"], tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.startswith("error: ") and "cupy" in done.stderr.lower()


# -- diverging runs in the tutorial's sections: stopped, recorded, and the rest goes on ----------

def _fake_course_data(n=1200):
    """Random stand-in for CourseData: the sections' code paths without the MNIST files."""
    from experiments.optimization_tutorial.course import CourseData
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, 784)).astype(np.float32)
    y = rng.integers(0, 10, n)
    return CourseData(x, y, x[:200], y[:200], x[:100], y[:100], 0.1307, 0.3081)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")          # the overflow is the point
def test_tutorial_sections_stop_diverging_runs_and_go_on(tmp_path, monkeypatch):
    import argparse
    from experiments.optimization_tutorial import final, minibatch, overparam, rmsprop
    data = _fake_course_data()
    args = argparse.Namespace(quick=True, seed=0, no_progress=True)
    huge = 1e30

    monkeypatch.setattr(minibatch, "BATCH_SIZES", (20, 100))
    monkeypatch.setattr(minibatch, "LEARNING_RATES", {"huge": (huge, huge), "small": (1e-3, 1e-3)})
    runs = minibatch.run(data, args, tmp_path)["runs"]
    for name, r in runs.items():
        if r["setting"] == "huge":
            assert r["diverged_at"] == len(r["loss"]) and np.isfinite(r["loss"][:-1]).all(), name
        else:       # --quick counts updates (never seconds): the same on a busy machine
            assert r["diverged_at"] is None and len(r["loss"]) == minibatch.QUICK_UPDATES, name
            assert np.isfinite(r["loss"]).all(), name
    assert _json(tmp_path / "minibatch.json")["runs"]["huge, batch 20"]["diverged_at"] >= 1

    monkeypatch.setattr(overparam, "LR", huge)
    for model in overparam.run(data, args, tmp_path)["models"].values():
        assert all(d is not None for d in model["diverged_at"])
        for curve, d in zip(model["loss_curves"], model["diverged_at"], strict=True):
            assert not np.isfinite(curve[d - 1]) and np.isnan(curve[d:]).all()

    monkeypatch.setattr(rmsprop, "SWEEP_LRS", (1e-3, huge))
    rmsprop.run(data, args, tmp_path)
    saved = _json(tmp_path / "rmsprop.json")
    for method, (small, large) in saved["sweep_diverged_at"].items():
        assert small is None and large is not None, method

    monkeypatch.setattr(final, "LR", huge)
    monkeypatch.setattr(final, "VALIDATION", 100)
    result = final.run(data, args, tmp_path)
    assert result["diverged_at"] == len(result["train_loss"]) and result["test_accuracy"] is None
    assert _json(tmp_path / "final.json")["diverged_at"] == result["diverged_at"]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_momentum_trajectory_stops_at_an_infinite_loss():
    from experiments.optimization_tutorial.momentum import trajectory
    from tinygrad_opt.optim.functional import gradient_update
    path, diverged_at = trajectory(lambda u, v: (u * 1e200) * (v * 1e200), gradient_update, 10, lr=0.1)
    assert diverged_at == 1 and np.isinf(path[0, 2]) and np.isnan(path[1:]).all()
