"""The optimizer-zoo experiment runs end to end in --quick mode and writes sane output."""
import json
import math
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_optimizer_zoo_quick(tmp_path):
    run = subprocess.run([sys.executable, "-m", "experiments.optimizer_zoo", "--quick", "--no-progress",
                          "--out", str(tmp_path)], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "final loss after 60 steps" in run.stdout and "NAdam" in run.stdout
    for name in ("rosenbrock.png", "beale.png", "ill-conditioned_quadratic.png", "loss_vs_step.png"):
        assert (tmp_path / name).stat().st_size > 10_000
    summary = json.loads((tmp_path / "optimizer_zoo.json").read_text())
    assert summary["steps"] == 60
    assert set(summary["functions"]) == {"rosenbrock", "beale", "ill-conditioned quadratic"}
    for name, fn in summary["functions"].items():
        assert len(fn["optimizers"]) == 10
        for opt_name, rec in fn["optimizers"].items():
            assert not rec["diverged"] and math.isfinite(rec["final_loss"]), (name, opt_name)
            assert rec["final_loss"] <= rec["losses"][0], (name, opt_name)   # every optimizer makes progress
            assert len(rec["trajectory"][0]) == 2
