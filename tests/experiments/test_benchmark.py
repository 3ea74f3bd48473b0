"""The benchmark script runs (``--quick``) and records every measurement the README reports.

No timing is asserted here: machines are shared and noisy, so speed is a script's printout
(``python -m experiments.benchmark``), never a test's pass or fail.
"""
import itertools
import math
import subprocess

import numpy as np
import pytest

from tinygrad_opt import backend
from tinygrad_opt.data import mnist

from experiments import benchmark, common
from fake_device import FAKE


def test_benchmark_quick_records_every_measurement(tmp_path, capsys):
    results = benchmark.main(["--quick", "--no-progress", "--no-torch", "--out", str(tmp_path)])
    assert (tmp_path / "benchmark.json").is_file()
    for name in ("sgd", "momentum", "adam"):
        mlp = results["mlp"][name]
        assert set(mlp["ms_per_iteration"]) == {"tinygrad_opt", "tinygrad_opt rule", "numpy"}
        assert math.isfinite(mlp["ratio_vs_numpy"]) and mlp["ratio_vs_numpy"] > 0
        assert math.isfinite(mlp["rule_ratio_vs_numpy"]) and mlp["rule_ratio_vs_numpy"] > 0
        low, high = mlp["ratio_vs_numpy_range"]
        assert 0 < low <= mlp["ratio_vs_numpy"] <= high
    assert set(results["narrow"]["us_per_epoch"]) == {"tinygrad_opt", "numpy_analytic"}
    assert math.isfinite(results["op_overhead"]["fixed_cost_per_step_us"])
    assert results["import_and_memory"]["import_seconds_median"] > 0
    assert set(results["page_faults"]) == {"default", "top_pad_0"}
    busy = results["busy_machine"]            # measured where MNIST is here, else said why not
    assert set(busy["best"]) == {1, 0} if "best" in busy else "MNIST" in busy["error"]
    assert results["clock"] == "wall" and results["load_average_start"]
    out = capsys.readouterr().out
    for title in ("MLP training iteration", "Deep narrow linear net", "Per-op overhead",
                  "fixed cost of a training step", "import tinygrad_opt", "page faults",
                  "The main job quiet and beside one busy core"):
        assert title in out


def test_gpu_part_runs_on_the_stand_in_device_and_waits_for_it(tmp_path, capsys, monkeypatch):
    """``--backend cupy`` cannot run without a GPU; the same code path runs here on the stand-in
    device, and every timed step must wait for the device (``synchronize``)."""
    waits = []
    monkeypatch.setattr(FAKE, "synchronize", lambda: waits.append(1))
    backend.use("fakegpu")          # (conftest puts the default backend back afterwards)
    results = benchmark.main(["--quick", "--no-progress", "--no-torch", "--only", "gpu", "--out", str(tmp_path)])
    assert set(results) >= {"gpu"} and not set(results) & {"mlp", "narrow", "op_overhead"}
    assert sorted(results["gpu"]) == [100, 512, 2048, 8192]
    assert all(r["iterations_per_second"] > 0 for r in results["gpu"].values())
    assert len(waits) == 4 * (1 + 5)          # four batch sizes, a warm-up call and 5 timed calls each
    assert "MLP on the GPU (Adam), by batch size" in capsys.readouterr().out


def test_gpu_part_asked_for_without_a_gpu_backend_is_an_error(tmp_path, capsys):
    backend.use("numpy")
    with pytest.raises(SystemExit) as e:
        benchmark.main(["--quick", "--no-progress", "--only", "gpu", "--out", str(tmp_path)])
    assert e.value.code == 2
    assert "--only gpu: the GPU part needs a GPU backend (--backend cupy)" in capsys.readouterr().err


def test_the_rule_column_runs_without_the_fast_paths(monkeypatch):
    """"tinygrad_opt rule" must really be the rules as written: no fast path is called."""
    import numpy as np
    backend.use("numpy")            # the MLP part is the CPU benchmark (conftest restores the default)
    from tinygrad_opt import optim
    calls = []
    for cls, name in ((optim.SGD, "sgd"), (optim.Adam, "adam")):
        monkeypatch.setattr(cls, "fast_path", (cls.update, lambda *a, name=name: calls.append(name)))
    rng = np.random.default_rng(0)
    x, y = rng.random((64, 4), dtype=np.float32), np.arange(64) % 2
    for opt_name in ("sgd", "momentum", "adam"):
        contenders = benchmark._mlp_contenders(opt_name, x, y, 2, None, hidden=3)
        contenders["tinygrad_opt rule"]()
        assert not calls
        contenders["tinygrad_opt"]()
        assert calls == ["adam" if opt_name == "adam" else "sgd"] * 4          # W1, b1, W2, b2
        calls.clear()


def test_cpu_clock_times_the_frameworks_and_narrow_parts(tmp_path, capsys):
    results = benchmark.main(["--quick", "--no-progress", "--no-torch", "--clock", "cpu", "--only",
                              "frameworks,narrow", "--out", str(tmp_path)])
    assert results["clock"] == "cpu"
    assert {"numpy", "tinygrad_opt"} <= set(results["frameworks"]["ms_per_step"])
    assert results["frameworks"]["ratio_vs_tinygrad_opt"]["tinygrad_opt"] == 1.0
    assert set(results["narrow"]["ratio_vs_numpy_analytic"]) == {"tinygrad_opt", "numpy_analytic"}
    assert "clock: cpu" in capsys.readouterr().out


def test_mnist_not_found_is_one_clear_clause_in_the_startup_lines(tmp_path, capsys, monkeypatch):
    """How the memory probe (a traceback) and the whole run (the command's one line) fail
    without MNIST, and what the benchmark prints of it: one sentence, one pair of parentheses."""
    monkeypatch.delenv(mnist.ENV_VAR, raising=False)
    message = mnist._not_found_message("mnist", tmp_path, list(mnist.FILES), failures=())
    probe = subprocess.CompletedProcess([], 1, "", f"Traceback (most recent call last):\n  ...\n"
                                                   f"tinygrad_opt.data.mnist.DatasetNotFoundError: {message}\n")
    run = subprocess.CompletedProcess([], 2, "", f"error: {message}\n")
    expected = f"MNIST not found in {tmp_path}: set TINYGRAD_OPT_DATA or pass --data DIR"
    assert benchmark._why_it_failed(probe, tmp_path) == benchmark._why_it_failed(run, tmp_path) == expected
    other = subprocess.CompletedProcess([], 1, "", "Traceback (most recent call last):\n  ...\nMemoryError\n")
    assert benchmark._why_it_failed(other, tmp_path) == "MemoryError"
    assert benchmark._why_it_failed(subprocess.CompletedProcess([], -9, "", ""), None) == "exit status -9"

    benchmark._print_startup({"import_seconds_median": 0.2, "import_numpy_seconds_median": 0.1, "import_clock": "wall",
                              "memory_error": expected, "whole_run_error": expected})
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[1:] == [f"peak memory: not measured ({expected})",
                         f"whole mnist_optimizers run: not measured ({expected})"]


def test_benchmark_takes_the_mnist_folder_as_the_experiments_do(tmp_path):
    with pytest.raises(common.SetupError, match=r"--data .*missing does not exist"):
        benchmark.main(["--quick", "--only", "startup", "--out", str(tmp_path), "--data", str(tmp_path / "missing")])


def test_a_framework_that_fails_at_its_second_step_is_reported_not_timed(monkeypatch):
    """A lazy framework (tinygrad) may compile its update only when the next step needs it."""
    from experiments import frameworks

    def lazy(model, host, x_all, y_all, order):
        calls = []

        def step():
            calls.append(1)
            if len(calls) > 1:
                raise FileNotFoundError("clang")
        return step
    monkeypatch.setitem(frameworks._SETUP, "tinygrad", lazy)
    rng = np.random.default_rng(0)
    steps, failed = frameworks.contenders(rng.random((8, 4), dtype=np.float32), rng.integers(0, 3, 8), batch=2,
                                          hidden=3, only=["numpy", "tinygrad"])
    assert list(steps) == ["numpy"] and failed == {"tinygrad": "FileNotFoundError: clang"}


class _Progress:
    def update(self, n):
        pass


def test_interleaved_contenders_take_turns_in_short_blocks(monkeypatch):
    # a round's calls of each contender are split into turns, so a burst of load from another
    # job falls on all of them; every call is counted, on the clock given (here, ticks)
    monkeypatch.setattr(benchmark, "PAUSE", 0)
    calls = []
    contenders = {"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}
    ticks = iter(range(10 ** 6))
    times = benchmark._interleaved(lambda: contenders, 20, 2, _Progress(), clock=lambda: next(ticks))
    assert calls.count("a") == calls.count("b") == 2 * (1 + 20)       # a warm-up call, then 20 timed
    timed = calls[2:42]                                                # the first round's timed calls
    runs = [len(list(group)) for _, group in itertools.groupby(timed)]
    assert max(runs) <= 2 * 20 // benchmark.BLOCKS and len(runs) > 2
    assert times == {"a": [0.5, 0.5], "b": [0.5, 0.5]}                 # one tick per turn of 2 calls
