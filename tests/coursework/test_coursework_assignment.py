"""new writes an assignment whose stubs fail and whose filled-in version gets full marks; ops are graded
with finite differences on rectangular and broadcast shapes."""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from coursework_mutants import SOLUTIONS
from tinygrad_opt.coursework.__main__ import main
from tinygrad_opt.coursework.assignment import CHOICES, OPS
from tinygrad_opt.coursework.config import load_config
from tinygrad_opt.coursework.grading import grade

ROOT = Path(__file__).resolve().parents[2]


def test_new_then_the_reference_solutions_get_full_marks(tmp_path):
    hw = tmp_path / "hw"
    assert main(["new", str(hw), "--optimizers", ",".join(CHOICES), "--ops", ",".join(OPS)]) == 0
    assert sorted(p.name for p in hw.iterdir()) == ["README.md", "instructor", "ops.py", "optimizers.py",
                                                    "public_tests.json", "test_assignment.py"]
    stubs = (hw / "optimizers.py").read_text()
    for name in ("SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam"):
        assert f"class {name}(Optimizer):" in stubs and f'raise NotImplementedError("{name}.step")' in stubs
    assert stubs.count("# TODO") == 8 and (hw / "ops.py").read_text().count("# TODO") == len(OPS)
    config = load_config(hw / "instructor" / "grading.json")
    assert json.loads((hw / "public_tests.json").read_text()) == config
    # the stubs score nothing, and say why
    stub_result = grade(hw, {"optimizers": {"Adam": {"tests": config["optimizers"]["Adam"]["tests"][:1]}},
                             "ops": {"relu": {"weight": 1}}})
    assert stub_result["score"] == 0
    outputs = {t["name"]: t["output"] for t in stub_result["tests"]}
    assert "NotImplementedError: Adam.step" in outputs["Adam: plain"]
    assert "NotImplementedError: relu backward" in outputs["relu: backward"]
    # filled in: full marks, every optimizer and op
    shutil.copy(SOLUTIONS / "optimizers.py", hw / "optimizers.py")
    shutil.copy(SOLUTIONS / "ops.py", hw / "ops.py")
    result = grade(hw, config)
    assert [(t["name"], t["output"]) for t in result["tests"] if not t["passed"]] == []
    assert result["score"] == result["max_score"] == sum(t["score"] for t in result["tests"]) == \
        sum(len(e["tests"]) for e in config["optimizers"].values()) + len(OPS)


def test_the_public_tests_run_with_pytest(tmp_path):
    hw = tmp_path / "hw"
    assert main(["new", str(hw), "--optimizers", "sgd", "--ops", "relu"]) == 0
    config = load_config(hw / "instructor" / "grading.json")
    assert [t["name"] for t in config["optimizers"]["SGD"]["tests"][:3]] == ["SGD: plain", "SGD: weight decay",
                                                                              "SGD: maximize, weight decay"]
    assert not any(t["options"].get("momentum") for t in config["optimizers"]["SGD"]["tests"])
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(hw / "test_assignment.py")]
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    run = subprocess.run(command, cwd=hw, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 1 and "2 failed" in run.stdout and "NotImplementedError: SGD.step" in run.stdout
    text = (SOLUTIONS / "optimizers.py").read_text()
    (hw / "optimizers.py").write_text(text[:text.index("\nclass Adam(")])
    shutil.copy(SOLUTIONS / "ops.py", hw / "ops.py")
    run = subprocess.run(command, cwd=hw, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0 and "2 passed" in run.stdout, run.stdout


BROKEN_OPS = {
    # right only for square inputs
    "matmul": ("return g @ xp.swapaxes(b.array, -1, -2), xp.swapaxes(a.array, -1, -2) @ g",
               "return g @ b.array, a.array @ g", "inputs (3, 4) and (4, 5)"),
    # 0.1 % off
    "tanh": ("return (g * (1 - out ** 2),)", "return (g * (1 - out ** 2) * 1.001,)",
             "the gradient of input 0 is wrong"),
    # forgets the sum over the class axis
    "log_softmax": ("return (g - xp.exp(out) * g.sum(axis=dim, keepdims=True),)", "return (g - xp.exp(out) * g,)",
                    "the gradient of input 0 is wrong"),
    # adds a term that does not depend on g
    "relu": ("return (g * (a.array > 0),)", "return (g * (a.array > 0) + 0.0 * g + (a.array > 0) * 0.5,)",
             "is wrong"),
    # dL/dW transposed: a gradient of the wrong shape
    "linear": ("g2.T @ x2", "x2.T @ g2", "(3, 4)"),
}


@pytest.mark.parametrize("op", sorted(BROKEN_OPS))
def test_broken_backward_fails_with_a_message_naming_the_input(op, tmp_path):
    old, new, phrase = BROKEN_OPS[op]
    text = (SOLUTIONS / "ops.py").read_text()
    assert text.count(old) == 1
    (tmp_path / "ops.py").write_text(text.replace(old, new))
    result = grade(tmp_path / "ops.py", {"optimizers": {}, "ops": {op: {"weight": 2}}})
    (test,) = result["tests"]
    assert (test["name"], test["score"], test["max_score"]) == (f"{op}: backward", 0, 2)
    assert phrase in test["output"], test["output"]


def test_the_command_has_version():
    import tinygrad_opt
    done = subprocess.run([sys.executable, "-m", "tinygrad_opt.coursework", "--version"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == \
        f"python -m tinygrad_opt.coursework (tinygrad_opt {tinygrad_opt.__version__})", done.stderr
