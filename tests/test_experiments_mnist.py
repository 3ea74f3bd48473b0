"""The MNIST experiments: each ``--quick`` run writes its PNGs and a JSON with sane numbers.

They need the real MNIST files: $TINYGRAD_OPT_DATA, else ../shared/data next to the
repository. Without them these tests are skipped (no test downloads anything).
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tinygrad_opt.data import data_dir
from tinygrad_opt.data.mnist import FILES

REPO = Path(__file__).resolve().parents[1]
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
        assert len(run["loss"]) >= 1 and np.isfinite(run["loss"]).all()
    assert set(results["rmsprop"]["curves"]) == {"SGD", "Momentum", "RMSprop"}
    assert 0 <= results["final"]["test_accuracy"] <= 100


def test_optimization_tutorial_rejects_unknown_section(capsys):
    from experiments.optimization_tutorial.__main__ import main
    with pytest.raises(SystemExit):
        main(["nonsense"])
    assert "unknown section(s) nonsense" in capsys.readouterr().err
