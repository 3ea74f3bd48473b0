"""`--version` on every command: each module a user runs with `python -m` (the experiments' entry points
and `tinygrad_opt.coursework`) prints the package version and exits 0. The commands are found on disk
(every module with a `__main__` block), so a new command cannot be left out of this test."""
import pathlib
import subprocess
import sys

import pytest

import tinygrad_opt

ROOT = pathlib.Path(__file__).resolve().parents[2]
# Not a user's command: the grader's sandbox starts it and talks JSON lines to it on stdin.
INTERNAL = {"tinygrad_opt.coursework.worker"}


def _module(path):
    """experiments/narrow_linear/__main__.py -> experiments.narrow_linear;
    experiments/figures.py -> experiments.figures"""
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__main__" else parts)


def _commands():
    files = [*(ROOT / "experiments").rglob("*.py"), *(ROOT / "tinygrad_opt").rglob("*.py")]
    found = {_module(f) for f in files if 'if __name__ == "__main__":' in f.read_text()}
    return sorted(found - INTERNAL)


COMMANDS = _commands()


def test_the_commands_found_include_the_ones_the_docs_name():
    assert {"experiments.mnist_optimizers", "experiments.optimization_tutorial", "experiments.narrow_linear",
            "tinygrad_opt.coursework"} <= set(COMMANDS)


@pytest.mark.parametrize("module", COMMANDS)
def test_command_prints_the_package_version(module):
    done = subprocess.run([sys.executable, "-m", module, "--version"], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"python -m {module} (tinygrad_opt {tinygrad_opt.__version__})\n", done.stdout
