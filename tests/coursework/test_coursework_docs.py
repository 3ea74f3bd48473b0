"""docs/teaching.md shows each command beside its Python twin: the commands (through the command
line's main()) and the Python blocks, each in an empty folder of their own, write the same files
and print the same reports; a ```text block right under a Python block is what that block prints.
(tests/docs/test_docs_code_blocks.py runs the Python blocks too.)"""
import contextlib
import io
import json
import re
import shlex
import subprocess
from pathlib import Path

from tinygrad_opt.coursework.__main__ import main

PAGE = Path(__file__).resolve().parents[2] / "docs" / "teaching.md"


def test_teaching_page_commands_do_what_their_python_twins_do(tmp_path, monkeypatch, capsys):
    blocks = re.findall(r"```(bash|python)\n(.*?)```\n(?:\n?```text\n(.*?)```)?", PAGE.read_text(), re.S)
    commands = [line for kind, code, _ in blocks if kind == "bash" for line in code.strip().splitlines()]
    assert [c.split()[3] for c in commands if c.startswith("python -m tinygrad_opt.coursework ")] == \
        ["new", "grade", "grade"]
    shell, python = tmp_path / "commands", tmp_path / "python"
    shell.mkdir(), python.mkdir()
    monkeypatch.chdir(shell)
    printed = []
    for line in commands:
        if line.startswith("python -m tinygrad_opt.coursework "):
            assert main(shlex.split(line)[3:]) == 0, line
            printed.append(capsys.readouterr().out)
        else:
            subprocess.run(line, shell=True, check=True)
    monkeypatch.chdir(python)
    namespace, out, shown = {"__name__": "docs_teaching"}, io.StringIO(), 0
    for kind, code, text in blocks:
        if kind == "python":
            block_out = io.StringIO()
            with contextlib.redirect_stdout(block_out):
                exec(code, namespace)
            out.write(block_out.getvalue())
            if text:
                assert block_out.getvalue() == text, f"the page shows other output than its block prints:\n{code}"
                shown += 1
    assert shown == 3       # the files new writes, Ben's report, the class's scores.csv
    files = sorted(str(p.relative_to(shell)) for p in (shell / "hw3").rglob("*") if p.is_file())
    assert files == sorted(str(p.relative_to(python)) for p in (python / "hw3").rglob("*") if p.is_file())
    assert "hw3/instructor/grading.json" in files
    for name in files:
        assert (shell / name).read_text() == (python / name).read_text(), name
    # grade hw3 ... --json results.json: the report and the JSON of the Python twin
    report = printed[1].strip()
    assert report.startswith("Submission hw3: 0 / ") and "FAIL Adam: plain" in report
    assert "NotImplementedError: Adam.step" in report and report in out.getvalue()
    assert json.loads((shell / "results.json").read_text()) == json.loads((python / "results.json").read_text())
    # grade class --csv scores.csv
    assert (shell / "scores.csv").read_text() == (python / "scores.csv").read_text()
    assert (shell / "scores.csv").read_text().splitlines()[1].startswith("ana,0,")
