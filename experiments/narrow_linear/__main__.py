"""python -m experiments.narrow_linear [SUBCOMMAND] [--quick] [--workers N] [--figures DIR]

The figures of the course's "Learning hyperparameters" tutorial, trained with the engine.
Without a subcommand, all of them run. Numbers and PNGs go to results/narrow_linear/
(or --out); --figures DIR also copies the two README figures there.
"""
import os
import shutil
import time
from pathlib import Path

from experiments import common

from . import commands
from .sweeps import parallel_executor

NAME = "narrow_linear"
SUBCOMMANDS = {
    "shallow": commands.shallow,
    "vector-field": commands.vector_field,
    "landscape": commands.landscape,
    "depth": commands.depth,
    "lr": commands.learning_rate,
    "depth-vs-lr": commands.depth_vs_lr,
    "init": commands.init,
    "bonus": commands.bonus,
}
SWEEPING = {"depth", "lr", "depth-vs-lr", "init", "bonus"}   # the subcommands that train many deep nets
README_FIGURES = {"depth_vs_lr.png": "narrow_depth_vs_lr.png", "vector_field.png": "narrow_vector_field.png"}


def build_parser():
    p = common.parser(NAME, __doc__.split("\n\n")[1])
    p.add_argument("subcommand", nargs="?", choices=list(SUBCOMMANDS),
                   help="one figure (default: all of them, in this order)")
    p.add_argument("--workers", type=int, default=os.cpu_count(),
                   help="processes for the sweeps (default: all cores; 1: no pool, run here)")
    p.add_argument("--init-weights", type=float, nargs=2, default=None, metavar=("W1", "W2"),
                   help="vector-field: one trajectory from (W1, W2) instead of the course's three")
    p.add_argument("--figures", type=Path, default=None, metavar="DIR",
                   help="copy the README figures (narrow_depth_vs_lr.png, narrow_vector_field.png) to DIR")
    return p


def main(argv=None):
    """Run the subcommand(s); returns {subcommand: the numbers it wrote to its JSON}."""
    args = build_parser().parse_args(argv)
    if args.figures and args.quick:
        raise SystemExit("narrow_linear: --figures copies the README figures, which need a full run; "
                         "drop --quick")
    if args.workers < 1:
        raise SystemExit(f"narrow_linear: --workers must be >= 1, got {args.workers}")
    out = common.setup(args, NAME)
    names = [args.subcommand] if args.subcommand else list(SUBCOMMANDS)
    executor = parallel_executor(args.workers) if args.workers > 1 and SWEEPING & set(names) else None
    results, start = {}, time.perf_counter()
    try:
        for name in names:
            print(f"\n== {name} ==")
            began = time.perf_counter()
            results[name] = SUBCOMMANDS[name](args, out, executor)
            print(f"[{name}: {time.perf_counter() - began:.1f} s]")
    finally:
        if executor is not None:
            executor.shutdown(cancel_futures=True)      # after Ctrl-C: no queued sweep starts
    print(f"\nnarrow_linear: {', '.join(names)} in {time.perf_counter() - start:.1f} s")
    if args.figures:
        args.figures.mkdir(parents=True, exist_ok=True)
        for source, target in README_FIGURES.items():
            if (out / source).exists():
                shutil.copyfile(out / source, args.figures / target)
                print(f"copied {out / source} -> {args.figures / target}")
    return results


if __name__ == "__main__":
    common.main_or_exit(main)
