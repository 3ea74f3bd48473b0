"""The benchmark script runs (``--quick``) and records every measurement the README reports.

No timing is asserted here: machines are shared and noisy, so speed is a script's printout
(``python -m experiments.benchmark``), never a test's pass or fail.
"""
import math

from experiments import benchmark


def test_benchmark_quick_records_every_measurement(tmp_path, capsys):
    results = benchmark.main(["--quick", "--no-progress", "--no-torch", "--out", str(tmp_path)])
    assert (tmp_path / "benchmark.json").is_file()
    for name in ("sgd", "momentum", "adam"):
        mlp = results["mlp"][name]
        assert set(mlp["ms_per_iteration"]) == {"tinygrad_opt", "numpy"}
        assert math.isfinite(mlp["ratio_vs_numpy"]) and mlp["ratio_vs_numpy"] > 0
    assert set(results["narrow"]["us_per_epoch"]) == {"tinygrad_opt", "numpy_analytic"}
    assert results["import_and_memory"]["import_seconds_median"] > 0
    assert set(results["page_faults"]) == {"default", "top_pad_0"}
    out = capsys.readouterr().out
    for title in ("MLP training iteration", "Deep narrow linear net", "Per-op overhead", "import tinygrad_opt",
                  "page faults"):
        assert title in out
