"""``python -m ... | head``: when the reader closes the pipe early, a command stops quietly with
exit status 1 (tinygrad_opt/closed_stdout.py); a BrokenPipeError from anything but stdout keeps
its traceback. The pipes here have their reading end closed before the command starts, so the
first write fails, whatever the machine's speed."""
import io
import os
import pathlib
import subprocess
import sys

from tinygrad_opt import closed_stdout

ROOT = pathlib.Path(__file__).resolve().parents[2]


def run_into_closed_pipe(args):
    read, write = os.pipe()
    os.close(read)
    try:
        return subprocess.run([sys.executable, *args], cwd=ROOT, stdout=write, stderr=subprocess.PIPE, text=True,
                              timeout=300)
    finally:
        os.close(write)


def test_coursework_new_piped_into_a_closed_pipe_exits_1_without_a_traceback(tmp_path):
    done = run_into_closed_pipe(["-m", "tinygrad_opt.coursework", "new", str(tmp_path / "hw3")])
    assert (done.returncode, done.stderr) == (1, "")
    assert (tmp_path / "hw3" / "instructor" / "grading.json").is_file()      # the work itself was done


def test_an_experiment_piped_into_a_closed_pipe_exits_1_without_a_traceback():
    done = run_into_closed_pipe(["-c", "from experiments import common\n"
                                       "common.main_or_exit(lambda: print('a table row\\n' * 10000))"])
    assert (done.returncode, done.stderr) == (1, "")


def test_a_broken_pipe_that_is_not_stdout_keeps_its_traceback():
    code = ("from experiments import common\n"
            "def main():\n"
            "    raise BrokenPipeError(32, 'Broken pipe (a child process)')\n"
            "common.main_or_exit(main)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1
    assert "Traceback" in done.stderr and "BrokenPipeError: [Errno 32] Broken pipe (a child process)" in done.stderr


def test_stdout_reader_gone_only_for_a_pipe_whose_reader_closed(monkeypatch):
    read, write = os.pipe()
    with os.fdopen(write, "w") as pipe:
        monkeypatch.setattr(sys, "stdout", pipe)
        assert not closed_stdout.stdout_reader_gone()
        os.close(read)
        assert closed_stdout.stdout_reader_gone()
    monkeypatch.setattr(sys, "stdout", io.StringIO())               # no file behind it: not a pipe at all
    assert not closed_stdout.stdout_reader_gone()
