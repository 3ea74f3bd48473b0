"""Regenerate every figure the README shows, with the full settings:

    python -m experiments.figures                   # into docs/figures
    python -m experiments.figures --figures DIR     # into DIR

runs, one after the other,

    python -m experiments.mnist_optimizers --figures DIR
    python -m experiments.optimization_tutorial filters random_search momentum overparam --figures DIR
    python -m experiments.narrow_linear --figures DIR

Each run also writes all its numbers and PNGs to its own results folder, as when run alone.
"""
import argparse
from pathlib import Path

import tinygrad_opt
from experiments import common, mnist_optimizers
from experiments.narrow_linear import __main__ as narrow_linear
from experiments.optimization_tutorial import __main__ as optimization_tutorial

DEFAULT_FOLDER = Path("docs/figures")
TUTORIAL_SECTIONS = list(optimization_tutorial.KEY_FIGURES)


def runs(figures, data=None, no_progress=False):
    """(name, main function, argv) of each experiment run, in order."""
    flags = ["--figures", str(figures)] + (["--no-progress"] if no_progress else [])
    mnist_flags = flags + (["--data", str(data)] if data else [])
    return [("mnist_optimizers", mnist_optimizers.main, mnist_flags),
            ("optimization_tutorial", optimization_tutorial.main, TUTORIAL_SECTIONS + mnist_flags),
            ("narrow_linear", narrow_linear.main, flags)]


def figure_names():
    """The files the runs put into the figures folder."""
    return (["mnist_accuracy.png", "mnist_loss.png"]
            + [f"tutorial_{section}.png" for section in TUTORIAL_SECTIONS]
            + list(narrow_linear.README_FIGURES.values()))


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m experiments.figures",
                                description="Regenerate every figure the README shows, with the full settings.")
    p.add_argument("--version", action="version", version=f"%(prog)s (tinygrad_opt {tinygrad_opt.__version__})")
    p.add_argument("--figures", type=Path, default=DEFAULT_FOLDER, metavar="DIR",
                   help=f"where the figures go (default {DEFAULT_FOLDER})")
    p.add_argument("--data", type=Path, default=None, metavar="DIR", help="folder with the MNIST files")
    p.add_argument("--no-progress", action="store_true", help="hide progress bars")
    args = p.parse_args(argv)
    for name, run, run_argv in runs(args.figures, args.data, args.no_progress):
        print(f"\n##### python -m experiments.{name} {' '.join(run_argv)}")
        run(run_argv)
    print(f"\nwrote {', '.join(figure_names())} in {args.figures}")


if __name__ == "__main__":
    common.main_or_exit(main)
