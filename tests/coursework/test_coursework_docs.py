"""docs/teaching.md's code blocks run, in order, in an empty folder: the commands through the
command line's main(), the Python blocks in one namespace."""
import re
import shlex
import subprocess
from pathlib import Path

from tinygrad_opt.coursework.__main__ import main

PAGE = Path(__file__).resolve().parents[2] / "docs" / "teaching.md"


def test_teaching_page_code_blocks_run(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    blocks = re.findall(r"```(bash|python)\n(.*?)```", PAGE.read_text(), re.S)
    assert [kind for kind, _ in blocks].count("python") == 5
    namespace = {}
    for kind, code in blocks:
        if kind == "python":
            exec(code, namespace)
            continue
        for line in code.strip().splitlines():
            if line.startswith("python -m tinygrad_opt.coursework "):
                assert main(shlex.split(line)[3:]) == 0, line
            else:
                subprocess.run(line, shell=True, check=True)
    out = capsys.readouterr().out
    assert "FAIL Adam: plain" in out and "NotImplementedError: Adam.step" in out
    assert Path("scores.csv").read_text().splitlines()[1].startswith("ana,0,")
    assert (tmp_path / "hw3" / "instructor" / "grading.json").exists()


def test_teaching_page_report_excerpt_is_the_real_one(tmp_path):
    from coursework_mutants import MUTANTS, source
    from tinygrad_opt.coursework import report
    from tinygrad_opt.coursework.config import default_tests
    from tinygrad_opt.coursework.grading import grade
    shown = re.search(r"```text\n(  FAIL SGD: nesterov\n.*?)\n```", PAGE.read_text(), re.S).group(1)
    (tmp_path / "student.py").write_text(source([m for m in MUTANTS if m[0] == "nesterov without look-ahead"]))
    result = grade(tmp_path / "student.py", {"optimizers": {"SGD": {"tests": default_tests("SGD")[:4]}}})
    assert shown in report.text(result)
