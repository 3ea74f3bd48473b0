"""The linter is configured, installed by the test extra, run by CI, and the tree passes it.

ruff, lint only: pycodestyle errors and warnings (E, W), pyflakes (F) and bugbear (B), lines up to
120 characters; per-file exemptions only with a comment that says why.
"""
import ast
import configparser
import importlib.util
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
TEST_COMMAND = "python3 -m pip install -q -e '.[test]' && python3 -m pytest -q"
LINT_COMMAND = "python3 -m ruff check ."


def _toml_sections(text):
    """{section: [(key, value, comment lines just above it)]}: enough TOML for pyproject.toml's flat
    ruff tables (Python 3.10, the oldest supported, has no tomllib)."""
    sections, name, comments = {}, None, []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("#"):
            comments.append(line)
        elif line.startswith("["):
            name, comments = line.strip("[]"), []
            sections[name] = []
        elif "=" in line:
            key, value = (part.strip() for part in line.split("=", 1))
            sections[name].append((key.strip('"'), ast.literal_eval(value), comments))
            comments = []
    return sections


SECTIONS = _toml_sections((ROOT / "pyproject.toml").read_text())


def _table(name):
    return {key: value for key, value, _ in SECTIONS.get(name, [])}


def test_pyproject_configures_ruff_to_lint_e_f_w_b_at_120_characters():
    assert _table("tool.ruff") == {"line-length": 120, "target-version": "py310"}
    assert _table("tool.ruff.lint") == {"select": ["E", "F", "W", "B"]}     # no rule ignored everywhere
    assert "tool.ruff.format" not in SECTIONS                                   # lint only, no formatter


def test_every_per_file_exemption_says_why():
    for path, rules, comments in SECTIONS.get("tool.ruff.lint.per-file-ignores", []):
        assert comments, f"per-file-ignores for {path} ({rules}): a comment above it must give the reason"
        assert all(code[0] in "EFWB" for code in rules), f"{path}: {rules} are not selected rules"


def test_the_test_extra_installs_ruff():
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    assert "ruff>=0.6" in cfg["options.extras_require"]["test"].split()


def test_ci_runs_ruff_right_after_the_readme_test_command_and_on_the_floors():
    run = (ROOT / ".ci/run").read_text()
    after = run[run.index(TEST_COMMAND) + len(TEST_COMMAND):]
    commands = [line for line in after.splitlines() if line.strip() and not line.startswith("#")]
    assert commands[0] == LINT_COMMAND
    floors = (ROOT / ".ci/floors").read_text()
    assert '"$venv/bin/python" -m ruff check .' in floors
    assert "ruff==0.6.0" in (ROOT / ".ci/floors.txt").read_text().split()


@pytest.mark.skipif(importlib.util.find_spec("ruff") is None,
                    reason="ruff is not installed (the 'test' extra installs it: pip install -e '.[test]')")
def test_the_tree_passes_ruff():
    done = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "."], cwd=ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
