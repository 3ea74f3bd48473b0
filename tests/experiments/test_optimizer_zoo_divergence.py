"""The optimizer zoo stops a diverging run, records it as diverged, goes on with the sweep,
and writes its numbers before it draws (issue 7)."""
import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:   # `experiments` is a folder of scripts, not an installed package
    sys.path.insert(0, str(REPO))

from experiments import optimizer_zoo as zoo  # noqa: E402
from tinygrad_opt import optim  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")      # the overflow is the point


def diverging_and_sane(sgd_lr, adaptive_lr):
    """SGD with lr = 1 flies off Rosenbrock's valley (gradient ~200 at the start); Adam does not."""
    return {"SGD": (optim.SGD, dict(lr=1.0)), "Adam": (optim.Adam, dict(lr=adaptive_lr))}


def test_run_stops_at_the_first_non_finite_loss():
    points, losses = zoo.run(zoo.rosenbrock, (-1.2, 1.0), optim.SGD, dict(lr=1.0), steps=60)
    assert len(losses) < 61, "a diverged run must stop, not keep stepping on nan"
    assert not math.isfinite(losses[-1]) and np.isfinite(losses[:-1]).all()
    assert len(points) == len(losses)        # one point per finite step, plus the start


def test_a_diverged_run_is_recorded_and_the_sweep_goes_on(tmp_path, monkeypatch):
    monkeypatch.setattr(zoo, "optimizers", diverging_and_sane)
    zoo.main(["--quick", "--no-progress", "--out", str(tmp_path)])
    functions = json.loads((tmp_path / "optimizer_zoo.json").read_text())["functions"]
    sgd, adam = functions["rosenbrock"]["optimizers"]["SGD"], functions["rosenbrock"]["optimizers"]["Adam"]
    assert sgd["diverged"] is True and len(sgd["losses"]) < 61
    for name, fn in functions.items():       # Adam ran after SGD diverged, on every function
        assert fn["optimizers"]["Adam"]["diverged"] is False, name
        assert math.isfinite(fn["optimizers"]["Adam"]["final_loss"]), name
    assert adam["final_loss"] < adam["losses"][0]
    assert (tmp_path / "rosenbrock.png").exists() and (tmp_path / "loss_vs_step.png").exists()


def test_the_numbers_are_written_before_the_figures(tmp_path, monkeypatch):
    def broken_plot(*args, **kwargs):
        raise RuntimeError("plotting crashed")
    monkeypatch.setattr(zoo, "optimizers", diverging_and_sane)
    monkeypatch.setattr(zoo, "plot_function", broken_plot)
    with pytest.raises(RuntimeError, match="plotting crashed"):
        zoo.main(["--quick", "--no-progress", "--out", str(tmp_path)])
    summary = json.loads((tmp_path / "optimizer_zoo.json").read_text())
    assert set(summary["functions"]) == set(zoo.FUNCTIONS)
