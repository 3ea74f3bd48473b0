"""A clean package: the sdist holds everything its tests need, the dependency floors that .ci/floors
installs are exactly setup.cfg's, and the README's quick start says how to run from a clone."""
import configparser
import pathlib
import re
import subprocess
import sys
import tarfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
QUICKSTART = README.split("<!-- section:quickstart -->")[1].split("<!-- /section:quickstart -->")[0]


def _requirements():
    """{name: floor} of install_requires and every extra but the CUDA ones (CuPy has no CPU wheel)."""
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    lines = cfg["options"]["install_requires"].split("\n")
    for extra, requirements in cfg["options.extras_require"].items():
        if not extra.startswith("cuda"):
            lines += requirements.split("\n")
    floors = {}
    for line in filter(None, (line.strip() for line in lines)):
        name, floor = re.fullmatch(r"([A-Za-z0-9_.-]+)>=([0-9.]+)", line).groups()
        assert floors.setdefault(name, _version(floor)) == _version(floor), f"{name}: two floors in setup.cfg"
    return floors


def _version(text):
    """'1.23' and '1.23.0' are one version: (1, 23)."""
    parts = [int(p) for p in text.split(".")]
    while parts and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def test_every_dependency_has_a_floor_and_floors_txt_pins_exactly_it():
    pinned = re.findall(r"^([A-Za-z0-9_.-]+)==([0-9.]+)$", (ROOT / ".ci/floors.txt").read_text(), re.M)
    assert {name: _version(v) for name, v in pinned} == _requirements()


def test_matplotlib_floor_has_the_layout_engine_the_figures_use():
    assert _requirements()["matplotlib"] >= (3, 6)      # Figure.get_layout_engine


def test_ci_runs_the_readme_test_command_verbatim_then_the_sdist_round_trip_and_the_floors():
    run = (ROOT / ".ci/run").read_text()
    test_command = "python3 -m pip install -q -e '.[test]' && python3 -m pytest -q"
    assert test_command in QUICKSTART and test_command in run
    assert "TINYGRAD_OPT_BACKEND=fakegpu python3 -m pytest" in run
    steps = [run.index(test_command), run.index("TINYGRAD_OPT_BACKEND=fakegpu"), run.index("build --sdist"),
             run.index("tar -xzf"), run.index("venv/bin/python\" -m pip install -q '.[test]'"),
             run.index("venv/bin/python\" -m pytest -q"), run.rindex(".ci/floors")]
    assert steps == sorted(steps)


def test_quickstart_says_where_the_code_comes_from_and_that_experiments_run_from_a_clone():
    # no public address is published: no made-up clone line, no placeholder for the reader to fill in
    assert "OWNER" not in README and "git clone" not in QUICKSTART
    assert "a clone of this repository" in " ".join(QUICKSTART.split())
    assert re.search(r"tar -xzf tinygrad_opt-[0-9.]+\.tar\.gz && cd tinygrad_opt-[0-9.]+", QUICKSTART)
    assert "python3 -m pip install -q -e . && python3 -m experiments.mnist_optimizers" in QUICKSTART
    text = " ".join(QUICKSTART.split())
    assert "The experiments run from a clone or an unpacked source release" in text
    assert "jupyter lab notebooks/" in text and "docs/notebooks.md" in text


def _sdist(tmp_path):
    pytest.importorskip("build", reason="the 'test' extra installs build")
    pytest.importorskip("setuptools", reason="building the sdist without network needs setuptools installed")
    subprocess.run([sys.executable, "-m", "build", "--sdist", "--no-isolation", "--outdir", str(tmp_path), str(ROOT)],
                   check=True, capture_output=True, text=True)
    (archive,) = tmp_path.glob("tinygrad_opt-*.tar.gz")
    with tarfile.open(archive) as tar:
        return {name.split("/", 1)[1] for name in tar.getnames() if "/" in name}


def _on_disk(folder, pattern):
    return {p.relative_to(ROOT).as_posix() for p in (ROOT / folder).rglob(pattern)
            if p.is_file() and "__pycache__" not in p.parts and ".ipynb_checkpoints" not in p.parts}


def test_the_sdist_holds_everything_its_tests_need(tmp_path):
    members = _sdist(tmp_path)
    needed = {"LICENSE", "README.md", "setup.cfg", "pyproject.toml", "MANIFEST.in", ".ci/run", ".ci/floors",
              ".ci/floors.txt", "tests/conftest.py", "tests/fake_device.py"}
    needed |= {p.name for p in ROOT.glob("*.md")}                  # CHANGELOG.md, CONTRIBUTING.md once they exist
    needed |= _on_disk("tests", "*") | _on_disk("experiments", "*.py") | _on_disk("tinygrad_opt", "*.py")
    needed |= _on_disk("docs", "*") | _on_disk("notebooks", "*.ipynb")
    assert needed - members == set()
    assert not [m for m in members if "__pycache__" in m or m.startswith(("results/", ".hypothesis/"))]
