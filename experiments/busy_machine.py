"""The main job's time on a quiet machine and beside one busy core, for each BLAS thread count.

    python -m experiments.busy_machine                    # threads 0 (BLAS default), 1, 2; 3000 iterations
    python -m experiments.busy_machine --threads-list 1,2 --repeats 3

The main job is the assignment's three optimizers, ``python -m experiments.mnist_optimizers
--optimizers sgd,momentum,adam`` (3000 iterations each, data loading and evaluations
included), run as its own process with ``--threads N``. "Busy" means one other process
spinning on one core for the whole run (``python -c "while True: pass"``), as a neighbour on
a shared lab server or Colab's second core would. Each setting runs quiet then busy, one
after the other, so the two see the same machine; ``--repeats`` interleaves whole rounds.

What it prints, and writes to ``results/busy_machine/busy_machine.json``: wall seconds per
setting, quiet and busy, the busy / quiet ratio (target: at most 1.6) and each setting's
quiet time against the BLAS default's (target: at most 1.1).
"""
import resource
import subprocess
import sys
import tempfile
import time

from experiments import common

NAME = "busy_machine"
JOB = ["-m", "experiments.mnist_optimizers", "--optimizers", "sgd,momentum,adam", "--no-progress",
       "--checkpoint-every", "0", "--fresh"]


def measure(argv, busy):
    """Wall and CPU seconds of ``python argv`` (a process of its own), beside a spinning process if ``busy``."""
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if busy else None
    try:
        started, cpu_before = time.perf_counter(), _children_cpu()
        done = subprocess.run([sys.executable, *argv], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        seconds, cpu = time.perf_counter() - started, _children_cpu() - cpu_before
    finally:
        if spinner is not None:
            spinner.kill()
            spinner.wait()
    if done.returncode != 0:
        raise RuntimeError(f"python {' '.join(argv)} failed (exit {done.returncode}):\n{done.stderr}")
    return seconds, cpu


def _children_cpu():
    """User + system CPU seconds of the finished child processes (the spinner is not waited for yet)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def build_parser():
    p = common.parser(NAME, "Time the main job quiet and beside one busy core, per BLAS thread count.", mnist=True)
    p.add_argument("--threads-list", default="0,1,2", help="thread counts to compare (0: the BLAS default)")
    p.add_argument("--iterations", type=int, default=None, help="updates per optimizer (default 3000; 20 with --quick)")
    p.add_argument("--repeats", type=int, default=1, help="rounds over all settings (default 1)")
    return p


def main(argv=None):
    args = build_parser().parse_args(argv)
    out = common.setup(args, NAME)
    counts = [int(t) for t in args.threads_list.split(",")]
    iterations = args.iterations or (20 if args.quick else 3000)
    times = {t: {"quiet": [], "busy": [], "quiet_cpu": [], "busy_cpu": []} for t in counts}
    with tempfile.TemporaryDirectory() as scratch:
        job = JOB + ["--iterations", str(iterations), "--out", scratch]
        job += ["--data", str(args.data)] if args.data else []
        for _ in range(args.repeats):
            for t in counts:
                for condition in ("quiet", "busy"):
                    seconds, cpu = measure(job + ["--threads", str(t)], busy=condition == "busy")
                    times[t][condition].append(seconds)
                    times[t][condition + "_cpu"].append(cpu)
                    print(f"threads {t}, {condition}: {seconds:.1f} s wall, {cpu:.1f} s CPU", file=sys.stderr)
    best = {t: {c: min(v) for c, v in times[t].items()} for t in counts}
    reference = best[counts[0]]["quiet"]
    rows = [[str(t) + (" (BLAS default)" if t == 0 else ""), f"{b['quiet']:.1f}", f"{b['busy']:.1f}",
             f"{b['busy'] / b['quiet']:.2f}", f"{b['quiet'] / reference:.2f}", f"{b['quiet_cpu']:.1f}"]
            for t, b in best.items()]
    print(f"main job: {' '.join(['python'] + JOB[:4])}, {iterations} iterations each (best of {args.repeats})")
    print(common.format_table(["threads", "quiet s", "busy s", "busy / quiet", f"quiet / threads {counts[0]}",
                               "quiet CPU s"], rows))
    result = {"experiment": NAME, "iterations": iterations, "repeats": args.repeats, "seconds": times, "best": best}
    common.save_json(out / f"{NAME}.json", result)
    return result


if __name__ == "__main__":
    common.main_or_exit(main)
