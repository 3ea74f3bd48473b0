"""Speed and memory, measured side by side in one run: ``python -m experiments.benchmark``.

Machines are shared and noisy, so nothing here is an absolute claim: every comparison runs
the contenders interleaved in short blocks (A, B, C, A, B, C, ... ten turns a round), pauses
before each round (BLAS worker threads keep spinning for a moment after a matrix product and
would slow whoever runs next), and reports the median of the per-round ratios (and their range). ``--clock cpu``
times by the process's CPU time instead of the wall clock: on a machine where other jobs
hold the cores, the wall clock mostly measures how long the scheduler kept us waiting,
while the CPU time counts the work (with the experiments' one BLAS thread, all of it is
done in this process). The MLP contenders are built afresh
every round (new models, new arrays), so that no single placement of arrays in memory
decides the result.

1. MLP training iteration (the assignment: 784-100-10 ReLU, log-softmax + NLL, batch 100,
   float32, SGD / momentum / Adam): tinygrad_opt vs the hand-written NumPy loop in
   ``experiments/numpy_mlp.py`` vs PyTorch on the CPU (only if it happens to be installed).
   The loss is ``cross_entropy(model.logits(x), y)``, as the main job computes it (the same
   numbers as ``nll_loss(model(x), y)``, one op). "rule" is tinygrad_opt with the optimizers'
   rules as written, without ``optim/fast_paths.py``: the column that shows whether the fast
   paths are still needed.
   The same SGD step in every other framework installed here (PyTorch, JAX jit, DeZero,
   mygrad, HIPS autograd, tinygrad: ``experiments/frameworks.py``), none a dependency.
2. Deep narrow linear net (depth 50, 100 samples, gradient descent): time per epoch,
   engine vs the course's analytic NumPy gradient (vs PyTorch autograd if installed).
3. Per-op overhead: one tiny elementwise op (and its backward), and the fixed cost of a
   training step: a toy MLP's step, where the arithmetic is nearly free, engine minus NumPy.
4. Page faults per step of a training loop with and without ``allocator.py``'s setting,
   ``import tinygrad_opt`` time, peak memory of an MNIST training run, and the wall time of a
   whole ``mnist_optimizers`` run for one optimizer (load, 3000 iterations, evaluation).
5. With ``--backend cupy``: the MLP at batch sizes 100 to 8192, iterations per second.
6. The main job quiet and beside one busy core, on one BLAS thread and on the library's default
   (``experiments/busy_machine.py --threads-list 1,0``; about 1.5 minutes on two idle cores).
"""
import functools
import gc
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import tinygrad_opt
from tinygrad_opt import Tensor, backend, nn, optim
import tinygrad_opt.nn.functional as F
from tinygrad_opt.data import mnist

from . import busy_machine, common, frameworks, numpy_mlp
from .narrow_linear.models import DeepNarrowLNN

REPO = Path(__file__).resolve().parents[1]
PAUSE = 0.25   # seconds before a round's timed calls, for BLAS threads to go idle
BLOCKS = 10    # a round's calls of each contender, in this many turns
CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


def _torch():
    """PyTorch if it is importable here (never a dependency), else None."""
    if importlib.util.find_spec("torch") is None:
        return None
    import torch
    return torch


def _time(fn, n, clock=time.perf_counter):
    """Seconds spent by n calls of fn, by ``clock``."""
    t = clock()
    for _ in range(n):
        fn()
    return clock() - t


def _interleaved(make_contenders, n, rounds, progress, clock=time.perf_counter):
    """{name: [seconds per call, one per round]}: n calls of each contender per round.

    ``make_contenders()`` returns {name: function}; it is called anew every round. Where it
    builds fresh models and arrays (the MLP), a run samples many placements of the arrays in
    memory, so one unlucky placement cannot decide it. Each round warms every contender up,
    pauses, then takes turns in BLOCKS short blocks of calls (the order rotating every block)
    and adds up each one's time: the contenders of a round share the machine's moments, so a
    burst of load from another job slows all of them rather than whichever ran through it.
    """
    times = {}
    blocks = min(BLOCKS, n)
    for r in range(rounds):
        contenders = make_contenders()
        names = list(contenders)
        for fn in contenders.values():
            fn()
        gc.collect()
        time.sleep(PAUSE)
        spent = dict.fromkeys(names, 0.0)
        for b in range(blocks):
            first = (r + b) % len(names)
            for k in names[first:] + names[:first]:
                spent[k] += _time(contenders[k], n // blocks, clock)
        for k in names:
            times.setdefault(k, []).append(spent[k] / (n // blocks * blocks))
            progress.update(1)
    return times


def _ratio(times, a, b):
    return statistics.median(x / y for x, y in zip(times[a], times[b], strict=True))


def _ratio_range(times, a, b):
    """(smallest, largest) per-round ratio of a to b."""
    ratios = [x / y for x, y in zip(times[a], times[b], strict=True)]
    return min(ratios), max(ratios)


class RuleSGD(optim.SGD):
    """SGD with its rule as written in sgd.py, without the fast path (fast_paths.py)."""
    fast_path = None


class RuleAdam(optim.Adam):
    """Adam with its rule as written in adam.py, without the fast path (fast_paths.py)."""
    fast_path = None


# -- 1. the MLP iteration ------------------------------------------------------------------
def _mlp_contenders(opt_name, x_all, y_all, batch, torch, device="cpu", hidden=100):
    """One training iteration per contender, on the same data and initial weights: an MLP
    x_all.shape[1] -> hidden -> (largest label + 1) classes."""
    rng = np.random.default_rng(0)
    order = [rng.integers(0, len(x_all), batch) for _ in range(64)]
    tinygrad_opt.manual_seed(0)
    n_in, n_out = x_all.shape[1], int(y_all.max()) + 1
    model = nn.MLP(n_in, n_out, [hidden]).to(device)
    host = [p.numpy() for p in model.parameters()]
    settings = {"sgd": (optim.SGD, RuleSGD, {"lr": 0.1}),
                "momentum": (optim.SGD, RuleSGD, {"lr": 0.1, "momentum": 0.9}),
                "adam": (optim.Adam, RuleAdam, {"lr": 1e-3})}[opt_name]           # (fast, rule, settings)
    xd, yd = backend.for_device(device).from_host(x_all), backend.for_device(device).from_host(y_all)
    step = {"i": 0}

    def engine_step(model, opt):
        def engine():
            idx = order[step["i"] % 64]
            step["i"] += 1
            opt.zero_grad()              # PyTorch's order: zero_grad, forward, backward, step
            loss = F.cross_entropy(model.logits(Tensor(xd[idx])), Tensor(yd[idx]))
            loss.backward()
            opt.step()
        return engine

    contenders = {"tinygrad_opt": engine_step(model, settings[0](model.parameters(), **settings[2]))}
    if device != "cpu":
        return contenders
    twin = nn.MLP(n_in, n_out, [hidden])                  # the same weights, trained by the plain rule
    twin.load_state_dict(model.state_dict())
    contenders["tinygrad_opt rule"] = engine_step(twin, settings[1](twin.parameters(), **settings[2]))
    ref = numpy_mlp.NumpyMLP(host)
    ref_opt = numpy_mlp.make_optimizer(opt_name, ref.params)

    def numpy_loop():
        idx = order[step["i"] % 64]
        step["i"] += 1
        _, grads = ref.loss_and_grads(x_all[idx], y_all[idx])
        ref_opt.step(grads)

    contenders["numpy"] = numpy_loop
    if torch is not None:
        tnet = torch.nn.Sequential(torch.nn.Linear(n_in, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, n_out))
        with torch.no_grad():
            for p, h in zip(tnet.parameters(), host, strict=True):
                p.copy_(torch.from_numpy(h))
        topt = {"sgd": lambda ps: torch.optim.SGD(ps, lr=0.1),
                "momentum": lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9),
                "adam": lambda ps: torch.optim.Adam(ps, lr=1e-3)}[opt_name](tnet.parameters())
        xt, yt = torch.from_numpy(x_all), torch.from_numpy(y_all)

        def torch_loop():
            idx = torch.from_numpy(order[step["i"] % 64])
            step["i"] += 1
            topt.zero_grad()
            loss = torch.nn.functional.cross_entropy(tnet(xt[idx]), yt[idx])
            loss.backward()
            topt.step()

        contenders["pytorch"] = torch_loop
    return contenders


def bench_mlp(args, torch, progress):
    rng = np.random.default_rng(1)
    x = rng.random((10000, 784), dtype=np.float32)      # content does not change the arithmetic
    y = rng.integers(0, 10, 10000)
    rows, record = [], {}
    for opt_name in ("sgd", "momentum", "adam"):
        times = _interleaved(functools.partial(_mlp_contenders, opt_name, x, y, 100, torch), args.iterations,
                             args.rounds, progress, CLOCKS[args.clock])
        med = {k: statistics.median(v) * 1e3 for k, v in times.items()}
        low, high = _ratio_range(times, "tinygrad_opt", "numpy")
        rule_low, rule_high = _ratio_range(times, "tinygrad_opt rule", "numpy")
        row = [opt_name, f"{med['tinygrad_opt']:.3f}", f"{med['numpy']:.3f}",
               f"{_ratio(times, 'tinygrad_opt', 'numpy'):.2f}x ({low:.2f}-{high:.2f})",
               f"{_ratio(times, 'tinygrad_opt rule', 'numpy'):.2f}x ({rule_low:.2f}-{rule_high:.2f})"]
        if torch is not None:
            row += [f"{med['pytorch']:.3f}", f"{_ratio(times, 'tinygrad_opt', 'pytorch'):.2f}x"]
        rows.append(row)
        record[opt_name] = {"ms_per_iteration": med, "runs_seconds": times,
                            "ratio_vs_numpy": _ratio(times, "tinygrad_opt", "numpy"),
                            "ratio_vs_numpy_range": [low, high],
                            "rule_ratio_vs_numpy": _ratio(times, "tinygrad_opt rule", "numpy"),
                            "rule_ratio_vs_numpy_range": [rule_low, rule_high],
                            "ratio_vs_pytorch": _ratio(times, "tinygrad_opt", "pytorch") if torch else None}
    headers = ["optimizer", "tinygrad_opt ms", "numpy ms", "vs numpy (range)", "rule vs numpy (range)"]
    if torch is not None:
        headers += ["pytorch ms", "vs pytorch"]
    return headers, rows, record


# -- 1b. the same workload in the other frameworks that are installed -----------------------
def bench_frameworks(args, progress):
    """Median ms per SGD step and the median per-round ratio to the hand-written NumPy loop."""
    rng = np.random.default_rng(1)
    x = rng.random((10000, 784), dtype=np.float32)
    y = rng.integers(0, 10, 10000)
    _, failed = frameworks.contenders(x[:200], y[:200])
    times = _interleaved(lambda: frameworks.contenders(x, y)[0], args.iterations, args.rounds, progress,
                         CLOCKS[args.clock])
    med = {k: statistics.median(v) * 1e3 for k, v in times.items()}
    order = sorted(times, key=lambda k: med[k])
    rows = [[k, f"{med[k]:.3f}", f"{_ratio(times, k, 'numpy'):.2f}x", "%.2f-%.2f" % _ratio_range(times, k, "numpy"),
             f"{_ratio(times, k, 'tinygrad_opt'):.2f}x"] for k in order]
    rows += [[k, "failed", why, "", ""] for k, why in failed.items()]
    record = {"ms_per_step": med, "ratio_vs_numpy": {k: _ratio(times, k, "numpy") for k in times},
              "ratio_vs_numpy_range": {k: _ratio_range(times, k, "numpy") for k in times},
              "ratio_vs_tinygrad_opt": {k: _ratio(times, k, "tinygrad_opt") for k in times},
              "runs_seconds": times, "failed": failed}
    return ["framework", "ms per step", "vs numpy", "range", "vs tinygrad_opt"], rows, record


# -- 2. the deep narrow linear net ---------------------------------------------------------
def bench_narrow(args, torch, progress):
    depth, n, lr = 50, 100, 0.005
    rng = np.random.default_rng(2)
    x = rng.standard_normal(n)
    y = 2.0 * x + 0.1 * rng.standard_normal(n)
    model = DeepNarrowLNN(np.full(depth, 0.9))          # float64, as the course computes
    opt = optim.SGD(model.parameters(), lr=lr)
    xt, yt = Tensor(x), Tensor(y)
    reference = DeepNarrowLNN(np.full(depth, 0.9))      # trained with the course's formula

    def engine():
        loss = model.loss(model(xt), yt)
        opt.zero_grad()
        loss.backward()
        opt.step()

    def analytic():
        reference.w.array -= lr * reference.dloss_dw(xt, yt)

    contenders = {"tinygrad_opt": engine, "numpy_analytic": analytic}
    if torch is not None:
        tw = torch.full((depth,), 0.9, dtype=torch.float64, requires_grad=True)
        topt = torch.optim.SGD([tw], lr=lr)
        tx, ty = torch.from_numpy(x), torch.from_numpy(y)

        def torch_loop():
            loss = 0.5 * ((tx * tw.prod() - ty) ** 2).mean()
            topt.zero_grad()
            loss.backward()
            topt.step()
        contenders["pytorch"] = torch_loop
    times = _interleaved(lambda: contenders, args.iterations * 5, args.rounds, progress, CLOCKS[args.clock])
    med = {k: statistics.median(v) * 1e6 for k, v in times.items()}
    rows = [[k, f"{med[k]:.1f}", f"{_ratio(times, k, 'numpy_analytic'):.2f}x",
             "%.2f-%.2f" % _ratio_range(times, k, "numpy_analytic")] for k in contenders]
    return (["implementation", "us per epoch", "vs analytic numpy", "range"], rows,
            {"us_per_epoch": med, "runs_seconds": times,
             "ratio_vs_numpy_analytic": {k: _ratio(times, k, "numpy_analytic") for k in contenders}})


# -- 3. per-op overhead ------------------------------------------------------------------------
TOY_STEP = "MLP step, 4-3-2, batch 2, momentum"

def bench_op_overhead(args, torch, progress):
    a_np, b_np = np.ones(4, np.float32), np.full(4, 2.0, np.float32)
    a, b = Tensor(a_np), Tensor(b_np)
    ag = Tensor(a_np, requires_grad=True)

    def engine_forward():
        a + b

    def engine_forward_backward():
        (ag * b).sum().backward()

    contenders = {"numpy a+b": lambda: a_np + b_np, "tinygrad_opt a+b": engine_forward,
                  "tinygrad_opt (a*b).sum() + backward": engine_forward_backward}
    # The training step of a toy MLP, where the arithmetic costs next to nothing: the difference
    # between the two is the engine's fixed cost per step (graph, checks, backward walk, optimizer loop)
    rng = np.random.default_rng(4)
    toy = _mlp_contenders("momentum", rng.random((64, 4), dtype=np.float32), np.arange(64) % 2, 2, None, hidden=3)
    contenders[f"numpy {TOY_STEP}"] = toy["numpy"]
    contenders[f"tinygrad_opt {TOY_STEP}"] = toy["tinygrad_opt"]
    if torch is not None:
        ta, tb = torch.ones(4), torch.full((4,), 2.0)
        tag = torch.ones(4, requires_grad=True)
        contenders["pytorch a+b"] = lambda: ta + tb
        contenders["pytorch (a*b).sum() + backward"] = lambda: (tag * tb).sum().backward()
    times = _interleaved(lambda: contenders, args.iterations * 10, args.rounds, progress, CLOCKS[args.clock])
    med = {k: statistics.median(v) * 1e6 for k, v in times.items()}
    rows = [[k, f"{med[k]:.2f}"] for k in contenders]
    fixed = statistics.median(e - n for e, n in zip(times[f"tinygrad_opt {TOY_STEP}"], times[f"numpy {TOY_STEP}"],
                                                    strict=True))
    return (["operation (a, b: 4 elements)", "us per call"], rows,
            {"us_per_call": med, "fixed_cost_per_step_us": fixed * 1e6})


# -- 4. import time and peak memory ---------------------------------------------------------
_MEMORY_PROBE = """
import sys, tracemalloc, numpy as np
tracemalloc.start()
import tinygrad_opt
from tinygrad_opt import Tensor, nn, optim
import tinygrad_opt.nn.functional as F
from tinygrad_opt.data import load_mnist_arrays
x, y, xt, yt = load_mnist_arrays(sys.argv[1] or None, download=not sys.argv[1])
data = x.nbytes + y.nbytes + xt.nbytes + yt.nbytes
model = nn.MLP(784, 10, [100]); opt = optim.Adam(model.parameters(), lr=1e-3)
params = sum(p.array.nbytes for p in model.parameters())
for i in range(200):
    idx = np.arange(i * 100, (i + 1) * 100)
    loss = F.cross_entropy(model.logits(Tensor(x[idx])), Tensor(y[idx])); opt.zero_grad(); loss.backward(); opt.step()
activations = 100 * (784 + 100 + 10) * 4 * 3
print(tracemalloc.get_traced_memory()[1], data, params, activations)
"""


# A fresh interpreter imports NumPy, then tinygrad_opt (the rest of it): seconds of each, by the clock given
_IMPORT_PROBE = """
import sys, time
clock = time.process_time if sys.argv[1] == "cpu" else time.perf_counter
t = clock(); import numpy; t_numpy = clock() - t
t = clock(); import tinygrad_opt; t_rest = clock() - t
print(t_numpy + t_rest, t_numpy)
"""


def bench_import_and_memory(quick, clock="wall", mnist_folder=None):
    """Import time as a user sees it, with compiled bytecode cached (here in a folder of its own:
    where ``PYTHONDONTWRITEBYTECODE`` is set, every import would otherwise compile each file
    anew), then peak memory and a whole run, on the MNIST files in ``mnist_folder`` (``--data``; None:
    $TINYGRAD_OPT_DATA or the user cache)."""
    times, numpy_times = [], []
    with tempfile.TemporaryDirectory() as cache:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = cache
        for i in range(6):                       # the first run compiles and caches the bytecode
            out = subprocess.run([sys.executable, "-c", _IMPORT_PROBE, clock], capture_output=True, text=True,
                                 check=True, env=env)
            total, numpy_part = map(float, out.stdout.split())
            if i:
                times.append(total)
                numpy_times.append(numpy_part)
    record = {"import_seconds_median": statistics.median(times),
              "import_numpy_seconds_median": statistics.median(numpy_times), "import_clock": clock}
    probe = subprocess.run([sys.executable, "-c", _MEMORY_PROBE, str(mnist_folder or "")], capture_output=True,
                           text=True)
    if probe.returncode == 0:
        peak, data, params, act = map(int, probe.stdout.split())
        record.update(peak_bytes=peak, dataset_bytes=data, parameter_bytes=params, activation_bytes=act,
                      peak_over_needed=peak / (data + params + act))
    else:
        record["memory_error"] = _why_it_failed(probe, mnist_folder)
    record.update(_whole_run(quick, mnist_folder))
    return record


def _why_it_failed(run, mnist_folder):
    """One clause for "not measured (...)": MNIST missing, else the last line of the run's stderr."""
    if f"{mnist.DISPLAY_NAMES['mnist']} files missing in" in run.stderr:       # DatasetNotFoundError's message
        return f"MNIST not found in {mnist.data_dir(root=mnist_folder)}: set {mnist.ENV_VAR} or pass --data DIR"
    lines = run.stderr.strip().splitlines()
    return lines[-1] if lines else f"exit status {run.returncode}"


def _whole_run(quick, mnist_folder=None):
    """Wall time of ``python -m experiments.mnist_optimizers --optimizers sgd`` (a fresh process:
    import, loading MNIST, 3000 iterations, six evaluations), and the training time it reports."""
    with tempfile.TemporaryDirectory() as out:
        command = [sys.executable, "-m", "experiments.mnist_optimizers", "--optimizers", "sgd",
                   "--no-progress", "--out", out] + (["--iterations", "100", "--eval-every", "50"] if quick else [])
        command += ["--data", str(mnist_folder)] if mnist_folder else []
        started = time.perf_counter()
        run = subprocess.run(command, capture_output=True, text=True, cwd=REPO)
        wall = time.perf_counter() - started
        if run.returncode != 0:
            return {"whole_run_error": _why_it_failed(run, mnist_folder)}
        with open(f"{out}/mnist_optimizers.json") as f:
            training = json.load(f)["runs"]["sgd"]["seconds"]
    return {"whole_run_seconds": wall, "whole_run_training_seconds": training, "whole_run_quick": quick}


# -- 4b. page faults: why allocator.py exists ----------------------------------------------
# The MNIST step in PyTorch's order (zero_grad first) and with the course's loss, alone in a
# fresh process, where nothing else shapes the heap: minor page faults and milliseconds per
# step. (The faults showed with the BLAS library's own threads, ``--threads 0``.)
STEADY_LOOP = """
import resource, sys, time, numpy as np
from threadpoolctl import threadpool_limits
import tinygrad_opt
from tinygrad_opt import Tensor, nn, optim
import tinygrad_opt.nn.functional as F
rng = np.random.default_rng(0)
x, y = rng.random((2000, 784), dtype=np.float32), rng.integers(0, 10, 2000)
model = nn.MLP(784, 10, [100]); opt = optim.SGD(model.parameters(), lr=0.1)
def step():
    idx = rng.integers(0, 2000, 100)
    opt.zero_grad()
    F.nll_loss(model(Tensor(x[idx])), Tensor(y[idx])).backward()       # the course's loss, as users write it
    opt.step()
n, threads = int(sys.argv[1]), int(sys.argv[2])
clock = time.process_time if sys.argv[3] == "cpu" else time.perf_counter
if threads:
    threadpool_limits(threads, user_api="blas")      # the benchmark's BLAS threads
for _ in range(50):
    step()
faults, started = resource.getrusage(resource.RUSAGE_SELF).ru_minflt, clock()
for _ in range(n):
    step()
print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults) / n, (clock() - started) / n)
"""


def steady_loop(top_pad, steps=500, threads=1, clock="wall"):
    """(page faults, seconds by ``clock``) per step of STEADY_LOOP in a fresh process with
    ``TINYGRAD_OPT_MALLOC_TOP_PAD=top_pad`` (None: the default) and ``threads`` BLAS threads
    (0: the library's default)."""
    env = dict(os.environ, TINYGRAD_OPT_BACKEND="numpy")       # it is the host's allocator that is measured
    if top_pad is not None:
        env["TINYGRAD_OPT_MALLOC_TOP_PAD"] = str(top_pad)
    out = subprocess.run([sys.executable, "-c", STEADY_LOOP, str(steps), str(threads), clock],
                         capture_output=True, text=True, env=env, check=True)
    faults, seconds = map(float, out.stdout.split())
    return faults, seconds


def bench_page_faults(quick, threads=1, clock="wall"):
    steps = 20 if quick else 500
    record = {}
    for name, top_pad in (("default", None), ("top_pad_0", 0)):
        faults, seconds = steady_loop(top_pad, steps, threads, clock)
        record[name] = {"page_faults_per_step": faults, "ms_per_step": seconds * 1e3}
    return record


# -- 5. GPU throughput ----------------------------------------------------------------------
def bench_gpu(args, progress, gpu):
    """The MLP (Adam) on the ``gpu`` backend at batch sizes 100 to 8192: iterations and examples
    per second. Each timed step waits for the GPU to finish (``gpu.synchronize()``): a GPU
    call returns as soon as its kernels are queued, so without it the clock would stop early."""
    rng = np.random.default_rng(3)
    x, y = rng.random((16384, 784), dtype=np.float32), rng.integers(0, 10, 16384)
    rows, record = [], {}
    for batch in (100, 512, 2048, 8192):
        engine = _mlp_contenders("adam", x, y, batch, None, device="gpu")["tinygrad_opt"]

        def synced(engine=engine):      # bound now: the loop rebinds ``engine``
            engine()
            gpu.synchronize()
        times = _interleaved(lambda: {"gpu": synced}, args.iterations, args.rounds, progress)
        seconds = statistics.median(times["gpu"])
        rows.append([batch, f"{1 / seconds:.0f}", f"{batch / seconds:.0f}"])
        record[batch] = {"iterations_per_second": 1 / seconds, "examples_per_second": batch / seconds}
    return ["batch", "iterations/s", "examples/s"], rows, record


PARTS = ("gpu", "mlp", "frameworks", "narrow", "ops", "startup", "faults", "busy")   # gpu: only with a GPU backend


def _load():
    """The 1-, 5- and 15-minute load averages (how busy the machine was), where the system tells."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "unknown"


def blas_info():
    """Which BLAS kernel NumPy runs (it decides most of the MLP's time), where threadpoolctl
    is importable (not a dependency), and the OpenBLAS settings from the environment."""
    info = {k: v for k, v in os.environ.items() if k.startswith("OPENBLAS_")}
    if importlib.util.find_spec("threadpoolctl") is not None:
        import threadpoolctl
        info["libraries"] = [{k: lib.get(k) for k in ("internal_api", "architecture", "num_threads", "version")}
                             for lib in threadpoolctl.threadpool_info()]
    return info


def main(argv=None):
    p = common.parser("benchmark", __doc__.split("\n\n")[0], mnist=True)
    p.add_argument("--iterations", type=int, default=300, help="timed calls per run (default 300)")
    p.add_argument("--rounds", type=int, default=11, help="interleaved rounds; medians over them (default 11)")
    p.add_argument("--no-torch", action="store_true", help="leave PyTorch out even if installed")
    p.add_argument("--clock", choices=sorted(CLOCKS), default="wall",
                   help="time by the wall clock (default) or by this process's CPU time (steadier where other "
                        "jobs hold the cores)")
    p.add_argument("--only", default=",".join(PARTS),
                   help=f"comma-separated parts to run, of {', '.join(PARTS)} (default: all; gpu only "
                        f"runs with --backend cupy)")
    args = p.parse_args(argv)
    parts = [x for x in args.only.split(",") if x]
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        p.error(f"--only: unknown part(s) {', '.join(unknown)}; choose from {', '.join(PARTS)}")
    if args.quick:
        args.iterations, args.rounds = 5, 1
    out = common.setup(args, "benchmark")
    on_gpu = "gpu" in parts and backend.current().device == "gpu"
    if "gpu" in parts and not on_gpu and args.only != p.get_default("only"):
        p.error("--only gpu: the GPU part needs a GPU backend (--backend cupy)")
    # PyTorch and JAX get the same number of threads as NumPy's BLAS (their own pools otherwise)
    threads = common.THREADS if args.threads is None else args.threads
    frameworks.limit_threads(threads)
    torch = None if args.no_torch else _torch()
    if torch is not None:
        torch.manual_seed(0)
    results = {"iterations": args.iterations, "rounds": args.rounds, "clock": args.clock, "numpy": np.__version__,
               "pytorch": torch.__version__ if torch else None,
               "pytorch_threads": torch.get_num_threads() if torch else None, "blas": blas_info()}
    libraries = results["blas"].get("libraries", [])
    print("NumPy", np.__version__, "| BLAS:", ", ".join(f"{b['internal_api']} {b['architecture'] or ''} "
                                                        f"{b['num_threads']} threads" for b in libraries) or "?",
          "| PyTorch:", f"{torch.__version__}, {torch.get_num_threads()} threads" if torch else "not installed",
          f"| clock: {args.clock} | load average: {_load()}")
    results["load_average_start"] = _load()
    n_frameworks = len(frameworks.available()) if "frameworks" in parts else 0
    per_round = {"gpu": 4 if on_gpu else 0, "mlp": 3 * (4 if torch else 3), "frameworks": n_frameworks,
                 "narrow": 3 if torch else 2,
                 "ops": 5 if torch else 3, "startup": 0, "faults": 0, "busy": 0}
    n_runs = args.rounds * sum(per_round[x] for x in parts)
    with common.progress(total=n_runs, desc="benchmark", disable=args.no_progress) as bar:
        if on_gpu:
            headers, rows, results["gpu"] = bench_gpu(args, bar, backend.current())
            print("\nMLP on the GPU (Adam), by batch size\n" + common.format_table(headers, rows))
            backend.use("numpy")
        if "mlp" in parts:
            headers, rows, results["mlp"] = bench_mlp(args, torch, bar)
            print("\nMLP training iteration (784-100-10, batch 100, float32), median ms and median ratio\n"
                  + common.format_table(headers, rows))
        if "frameworks" in parts:
            headers, rows, results["frameworks"] = bench_frameworks(args, bar)
            print("\nThe same SGD step in each framework installed here (784-100-10, batch 100, float32), "
                  "median ms and median ratio to the hand-written NumPy loop\n" + common.format_table(headers, rows))
        if "narrow" in parts:
            headers, rows, results["narrow"] = bench_narrow(args, torch, bar)
            print("\nDeep narrow linear net, depth 50, 100 samples, one gradient-descent epoch\n"
                  + common.format_table(headers, rows))
        if "ops" in parts:
            headers, rows, results["op_overhead"] = bench_op_overhead(args, torch, bar)
            print("\nPer-op overhead\n" + common.format_table(headers, rows))
            print(f"fixed cost of a training step (the toy MLP's difference, median of the rounds): "
                  f"{results['op_overhead']['fixed_cost_per_step_us']:.1f} us")
    if "startup" in parts:
        results["import_and_memory"] = bench_import_and_memory(args.quick, args.clock, args.data)
        _print_startup(results["import_and_memory"])
    if "faults" in parts:
        results["page_faults"] = pf = bench_page_faults(args.quick, threads, args.clock)
        print(f"\nMNIST step in PyTorch's order, alone in a fresh process: "
              f"{pf['default']['page_faults_per_step']:.1f} page faults and {pf['default']['ms_per_step']:.3f} ms "
              f"per step; with TINYGRAD_OPT_MALLOC_TOP_PAD=0 (malloc left alone): "
              f"{pf['top_pad_0']['page_faults_per_step']:.1f} and {pf['top_pad_0']['ms_per_step']:.3f} ms")
    if "busy" in parts:
        results["busy_machine"] = bench_busy_machine(args, out)
    results["load_average_end"] = _load()
    print(f"\nload average at the end: {_load()}")
    common.save_json(out / "benchmark.json", results)
    print(f"\nwrote {out / 'benchmark.json'}")
    return results


def bench_busy_machine(args, out):
    """The main job quiet and beside one busy core, on one BLAS thread and on the library's default
    (``experiments/busy_machine.py``; issue 16's target: busy within 1.6x of quiet)."""
    argv = ["--threads-list", "1,0", "--no-progress", "--out", str(out / "busy_machine")]
    argv += (["--quick"] if args.quick else []) + (["--data", str(args.data)] if args.data else [])
    print("\nThe main job quiet and beside one busy core (python -m experiments.busy_machine --threads-list 1,0)")
    try:
        return busy_machine.main(argv)
    except RuntimeError as e:          # the main job could not run (MNIST missing): said, not fatal
        lines = str(e).splitlines()
        why = next((line.removeprefix("error: ") for line in lines if line.startswith("error: ")), lines[0])
        print(f"not measured ({why})")
        return {"error": why}


def _print_startup(im):
    print(f"\nimport tinygrad_opt: {im['import_seconds_median'] * 1e3:.0f} ms {im['import_clock']} clock, of which "
          f"NumPy's own import {im['import_numpy_seconds_median'] * 1e3:.0f} ms (medians of 5 fresh interpreters)")
    if "peak_bytes" in im:
        print(f"peak traced memory of an MNIST run: {im['peak_bytes'] / 2**20:.0f} MiB = "
              f"{im['peak_over_needed']:.2f}x (dataset {im['dataset_bytes'] / 2**20:.0f} MiB float32 "
              f"+ parameters + one batch's activations)")
    else:
        print(f"peak memory: not measured ({im['memory_error']})")
    if "whole_run_seconds" in im:
        print(f"python -m experiments.mnist_optimizers --optimizers sgd{' (quick)' if im['whole_run_quick'] else ''}: "
              f"{im['whole_run_seconds']:.1f} s wall, of which {im['whole_run_training_seconds']:.1f} s training "
              f"and evaluation")
    else:
        print(f"whole mnist_optimizers run: not measured ({im['whole_run_error']})")


if __name__ == "__main__":
    common.main_or_exit(main)
