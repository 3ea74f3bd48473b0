"""Issue 16 and 15: results folders lose nothing, paths are checked up front, files are strict
and say how they were made, Ctrl-C is one line, and importing experiments changes no global
matplotlib state."""
import argparse
import errno
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from experiments import common  # noqa: E402
from tinygrad_opt.data import data_dir  # noqa: E402
from tinygrad_opt.data.mnist import FILES  # noqa: E402

COMMANDS = ["experiments.mnist_optimizers", "experiments.optimization_tutorial", "experiments.narrow_linear",
            "experiments.optimizer_zoo", "experiments.benchmark", "experiments.figures", "experiments.busy_machine"]
TINY = ["--optimizers", "sgd", "--iterations", "4", "--eval-every", "2", "--checkpoint-every", "0", "--no-progress"]


def mnist_root():
    for base in (os.environ.get("TINYGRAD_OPT_DATA"), REPO.parent / "shared" / "data"):
        if base and all((data_dir("mnist", base) / name).is_file() for name in FILES):
            return str(base)
    pytest.skip("MNIST files not found (set TINYGRAD_OPT_DATA); no test downloads them")


def command(args, **env):
    return subprocess.run([sys.executable, "-m", *args], cwd=REPO, capture_output=True, text=True, timeout=300,
                          env={**os.environ, **env})


def _args(**kw):
    return argparse.Namespace(**{"out": None, "seed": 0, "backend": None, "threads": None, **kw})


# -- paths checked up front -------------------------------------------------------------------

@pytest.mark.parametrize("case", ["a file", "empty string", "missing data"])
def test_bad_paths_are_one_line_and_exit_2_before_any_work(tmp_path, case):
    (tmp_path / "results.txt").write_text("not a folder")
    flags = {"a file": ["--out", str(tmp_path / "results.txt")], "empty string": ["--out", ""],
             "missing data": ["--out", str(tmp_path / "out"), "--data", str(tmp_path / "mnsit")]}[case]
    done = command(["experiments.mnist_optimizers", *TINY, *flags])
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and done.stderr.startswith("error: --"), done.stderr
    expected = {"a file": f"--out {tmp_path / 'results.txt'} is a file, not a folder",
                "empty string": "--out is an empty string; name a folder",
                "missing data": f"--data {tmp_path / 'mnsit'} does not exist; name the folder that holds"}[case]
    assert expected in done.stderr
    assert not (tmp_path / "mnsit").exists() and not (tmp_path / "out").exists()   # nothing created, nothing downloaded


@pytest.mark.parametrize("experiment", ["experiments.mnist_optimizers", "experiments.optimization_tutorial"])
def test_a_data_folder_without_the_files_is_an_error_not_a_download_target(tmp_path, experiment):
    empty = tmp_path / "mnist"
    empty.mkdir()
    flags = TINY if experiment == "experiments.mnist_optimizers" else ["--quick", "--no-progress"]
    done = command([experiment, *flags, "--out", str(tmp_path / "out"), "--data", str(empty)])
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(f"error: MNIST files missing in {empty}: train-images-idx3-ubyte.gz")
    assert "download" not in done.stderr.lower()         # no download was tried
    assert list(empty.iterdir()) == []


def test_an_unwritable_out_is_refused_before_any_work(tmp_path, monkeypatch):
    locked = tmp_path / "locked"
    locked.mkdir()
    monkeypatch.setattr(common.os, "access", lambda path, mode: Path(path) != locked)
    with pytest.raises(common.SetupError, match=f"--out {locked / 'run'}: cannot write in {locked} "
                                                r"\(permission denied\); choose a folder you can write to"):
        common.setup(_args(out=str(locked / "run")), "x")
    assert not (locked / "run").exists()


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root may write anywhere")
def test_a_read_only_out_is_refused_for_real(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    with pytest.raises(common.SetupError, match="permission denied"):
        common.setup(_args(out=str(locked)), "x")


def test_setup_removes_stale_temporaries(tmp_path):
    stale = tmp_path / ".mnist_loss.png.999999999.abc123.tmp"
    stale.write_bytes(b"half a png")
    common.setup(_args(out=str(tmp_path)), "x")
    assert not stale.exists()


# -- runs into one folder merge ---------------------------------------------------------------

def test_runs_into_one_folder_merge_their_results(tmp_path, monkeypatch):
    from experiments import mnist_optimizers
    monkeypatch.setenv("TINYGRAD_OPT_DATA", mnist_root())
    mnist_optimizers.main([*TINY, "--out", str(tmp_path)])
    mnist_optimizers.main([*TINY[:1], "adam,momentum", *TINY[2:], "--out", str(tmp_path)])
    saved = json.loads((tmp_path / "mnist_optimizers.json").read_text())
    assert list(saved["runs"]) == ["sgd", "momentum", "adam"]             # the first run's sgd is kept
    assert set(saved["settings"]) == {"sgd", "momentum", "adam"} and saved["diverged"] == []
    first_sgd = saved["runs"]["sgd"]["train_loss"]
    mnist_optimizers.main([*TINY, "--out", str(tmp_path)])                # the same run again replaces its own
    again = json.loads((tmp_path / "mnist_optimizers.json").read_text())
    assert list(again["runs"]) == ["sgd", "momentum", "adam"] and again["runs"]["sgd"]["train_loss"] == first_sgd


def test_a_folder_of_another_protocol_is_refused_before_training_unless_fresh(tmp_path, monkeypatch):
    from experiments import mnist_optimizers
    monkeypatch.setenv("TINYGRAD_OPT_DATA", mnist_root())
    mnist_optimizers.main([*TINY, "--out", str(tmp_path)])
    before = (tmp_path / "mnist_optimizers.json").read_bytes()
    with pytest.raises(common.SetupError, match=f"{tmp_path} holds runs of another protocol "
                                                r"\(iterations 4 there, 6 here\); use another --out, or --fresh"):
        mnist_optimizers.main([*TINY[:2], "--iterations", "6", *TINY[4:], "--out", str(tmp_path)])
    assert (tmp_path / "mnist_optimizers.json").read_bytes() == before
    mnist_optimizers.main(["--optimizers", "adam", "--iterations", "6", *TINY[4:], "--out", str(tmp_path), "--fresh"])
    assert list(json.loads((tmp_path / "mnist_optimizers.json").read_text())["runs"]) == ["adam"]


def _add_keys(path, writer, count):
    for i in range(count):
        common.update_json(path, lambda old, i=i: {**(old or {}), f"{writer}-{i}": i})     # i bound now
    return writer


def test_concurrent_writers_take_turns_and_lose_nothing(tmp_path):
    path = tmp_path / "results.json"
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(4, mp_context=context) as pool:
        list(pool.map(_add_keys, [path] * 4, range(4), [25] * 4))
    saved = json.loads(path.read_text())
    assert len(saved) == 100 and all(f"{w}-{i}" in saved for w in range(4) for i in range(25))
    assert sorted(os.listdir(tmp_path)) == ["results.json", "results.json.lock"]     # no temporaries left


# -- clean files: strict JSON with provenance, atomic PNGs --------------------------------------

def _strict(text):
    def refuse(constant):
        raise AssertionError(f"{constant} is not strict JSON")
    return json.loads(text, parse_constant=refuse)


def test_json_is_strict_and_says_where_numbers_were_not_finite(tmp_path):
    common.save_json(tmp_path / "r.json", {"loss": [1.0, float("nan")], "best": float("-inf"),
                                           "curve": np.array([0.5, np.inf])})
    saved = _strict((tmp_path / "r.json").read_text())
    assert saved["loss"] == [1.0, None] and saved["best"] is None and saved["curve"] == [0.5, None]
    assert saved["non_finite"] == {"/loss/1": "nan", "/best": "-inf", "/curve/1": "inf"}


def test_json_records_how_the_numbers_were_made(tmp_path, monkeypatch):
    from threadpoolctl import threadpool_info
    monkeypatch.setattr(sys, "argv", ["experiments/x.py", "--seed", "3"])
    common.setup(_args(out=str(tmp_path), seed=3, threads=2), "x")
    saved = _strict(common.save_json(tmp_path / "r.json", {"a": 1}).read_text())["provenance"]
    from tinygrad_opt import backend
    assert saved["numpy"] == np.__version__ and saved["seed"] == 3 and saved["backend"] == backend.current().name
    assert saved["threads"] == 2 and saved["command"].endswith("experiments/x.py --seed 3")
    assert saved["blas"] and all(b["threads"] == 2 for b in saved["blas"])
    assert all(i["num_threads"] == 2 for i in threadpool_info() if i["user_api"] == "blas")
    common.set_threads(None)
    assert all(i["num_threads"] == common.THREADS for i in threadpool_info() if i["user_api"] == "blas")


def test_a_png_is_written_atomically(tmp_path):
    plt = common.pyplot()
    path = tmp_path / "f.png"
    common.save_figure(plt.figure(), path)
    good = path.read_bytes()
    fig = plt.figure()

    def crash(f, **kwargs):
        f.write(b"\x89PNG half")
        raise KeyboardInterrupt
    fig.savefig = crash
    with pytest.raises(KeyboardInterrupt):
        common.save_figure(fig, path)
    assert path.read_bytes() == good and os.listdir(tmp_path) == ["f.png"]


# -- commands: --version, Ctrl-C, workers ----------------------------------------------------

@pytest.mark.parametrize("module", COMMANDS)
def test_every_command_has_version(module):
    import tinygrad_opt
    done = command([module, "--version"])
    assert done.returncode == 0 and f"tinygrad_opt {tinygrad_opt.__version__}" in done.stdout, done.stderr


def test_ctrl_c_is_one_line_saying_what_was_kept_and_exit_130(tmp_path):
    out = tmp_path / "out"
    process = subprocess.Popen([sys.executable, "-m", "experiments.mnist_optimizers", "--optimizers", "sgd,adam",
                                "--iterations", "100000", "--eval-every", "50", "--no-progress", "--out", str(out)],
                               cwd=REPO, env={**os.environ, "TINYGRAD_OPT_DATA": mnist_root()},
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 240
    while not (out / "checkpoint_sgd.npz").exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert stderr.count("\n") == 1 and stderr.startswith("interrupted: ") and str(out) in stderr, stderr


def _sigint_handler():
    return signal.getsignal(signal.SIGINT) == signal.SIG_IGN


def test_workers_leave_ctrl_c_to_the_parent():
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=context, initializer=common.worker_init) as pool:
        assert pool.submit(_sigint_handler).result(timeout=120)


# -- notebooks: no global matplotlib state, Figures returned, TQDM_DISABLE ------------------------

def test_importing_and_plotting_keeps_the_notebooks_matplotlib_backend():
    code = """
import matplotlib
matplotlib.use("svg")
from experiments import mnist_optimizers, optimizer_zoo, figures, common
import experiments.optimization_tutorial.__main__, experiments.narrow_linear.__main__
history = {"train_loss": [2.0, 1.0], "eval_step": [2], "test_accuracy": [90.0], "test_loss": [0.3],
           "seconds": 1.0, "diverged_at": None}
from matplotlib.figure import Figure
assert isinstance(mnist_optimizers.plot_accuracy({"sgd": history}), Figure)
assert isinstance(mnist_optimizers.plot_loss({"sgd": history}), Figure)
print(matplotlib.get_backend())
"""
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120,
                          env={k: v for k, v in os.environ.items() if k != "MPLBACKEND"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "svg"


def test_tqdm_disable_is_honoured(monkeypatch):
    monkeypatch.delenv("TQDM_DISABLE", raising=False)        # CI exports it
    assert not common.progress(range(3)).disable
    monkeypatch.setenv("TQDM_DISABLE", "1")
    assert common.progress(range(3)).disable


def test_busy_machine_times_a_command_beside_a_spinning_core(monkeypatch):
    from experiments import busy_machine
    started = []
    real_popen = subprocess.Popen

    def popen(argv, *args, **kwargs):
        process = real_popen(argv, *args, **kwargs)
        if "while True: pass" in argv:
            started.append(process)
        return process
    monkeypatch.setattr(busy_machine.subprocess, "Popen", popen)
    seconds, cpu = busy_machine.measure(["-c", "import time; time.sleep(0.2)"], busy=True)
    assert seconds >= 0.2 and 0 < cpu < seconds + 1
    assert len(started) == 1 and started[0].poll() is not None         # the spinner ran, and is gone
    busy_machine.measure(["-c", "pass"], busy=False)
    assert len(started) == 1


def test_a_full_disk_during_an_experiment_is_one_line(tmp_path, capsys):
    common.setup(_args(out=str(tmp_path)), "x")
    common.save_json(tmp_path / "early.json", {"a": 1})

    def main():
        raise OSError(errno.ENOSPC, f"No space left on device: could not write {tmp_path / 'late.png'}; "
                                    f"no late.png was written")
    with pytest.raises(SystemExit) as e:
        common.main_or_exit(main)
    err = capsys.readouterr().err
    assert e.value.code == 1 and err.count("\n") == 1
    assert f"could not write {tmp_path / 'late.png'}" in err and f"kept early.json in {tmp_path}" in err


def test_a_results_file_that_is_not_json_is_one_sentence(tmp_path):
    (tmp_path / "runs.json").write_text('{"sgd": 1,')
    with pytest.raises(common.SetupError) as info:
        common.read_json(tmp_path / "runs.json")
    assert str(info.value) == (f"{tmp_path / 'runs.json'} is not valid JSON: Expecting property name enclosed in "
                               f"double quotes: line 1 column 11 (char 10); move it away or delete it")
