"""Command line: ``python -m experiments.optimization_tutorial [SECTION ...] [flags]``.

Each interactive demo's controls are options of its section, with the course's ranges and
defaults (``--momentum-lr 5.01``); a value outside the widget's range is refused.
"""
import argparse
import shutil
import time
from pathlib import Path

from experiments import common
from tinygrad_opt import backend

from . import (computation_time, data, filters, final, gd_step, minibatch, momentum, overparam, random_search,
               rmsprop)
from .course import SEED, load_course_data

NAME = "optimization_tutorial"
# The sections in the tutorial's order: name -> its run(data, args, out) function.
SECTIONS = {
    "data": data.run,
    "filters": filters.run,
    "gd_step": gd_step.run,
    "random_search": random_search.run,
    "momentum": momentum.run,
    "overparam": overparam.run,
    "computation_time": computation_time.run,
    "minibatch": minibatch.run,
    "rmsprop": rmsprop.run,
    "final": final.run,
}
# The figures the docs show, copied by --figures as tutorial_<section>.png.
KEY_FIGURES = ("filters", "random_search", "momentum", "overparam")
# Each demo's knobs: (option prefix, the section's KNOBS, what the course's widget is called).
DEMOS = (("momentum", momentum.KNOBS, "interactive demo 4, momentum_experiment"),
         ("overparam", overparam.KNOBS, "interactive demo 5, overparam"),
         ("computation_time", computation_time.KNOBS, "interactive demo 6.1, computation_time (the section runs "
                                                      "every choice)"),
         ("minibatch", minibatch.KNOBS, "interactive demo 6.2, minibatch_experiment"),
         ("optimizers", rmsprop.KNOBS, "interactive demo 7, compare_optimizers (section rmsprop)"),
         ("final", final.KNOBS, "bonus, your model's starting configuration (section final)"))


def _option_type(knob, name):
    """argparse's type for a knob's option: the default's type, checked against the widget's range."""
    kind = type(knob.default)

    def parse(text):
        try:
            return knob.check(name, kind(text))
        except ValueError as e:
            raise argparse.ArgumentTypeError(str(e)) from None
    return parse


def build_parser():
    p = common.parser(NAME, "The optimization-techniques tutorial, one section per subcommand "
                            "(no section: all of them, in order).", mnist=True)
    p.set_defaults(seed=SEED)
    p.add_argument("sections", nargs="*", metavar="SECTION",
                   help=f"any of: {', '.join(SECTIONS)} (default: all)")
    p.add_argument("--figures", type=Path, default=None,
                   help=f"also copy the key figures ({', '.join(KEY_FIGURES)}) into this folder "
                        f"as tutorial_<section>.png (e.g. docs/figures)")
    p.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                   help="what computation_time and minibatch time: wall-clock seconds as the course (default), "
                        "or this process's CPU seconds (steadier on a shared machine)")
    for prefix, knobs, title in DEMOS:
        group = p.add_argument_group(title)
        for name, knob in knobs.items():
            option = f"--{prefix}-{name}".replace("_", "-")
            if knob.choices:
                where = f"one of {', '.join(map(str, knob.choices))}"
            elif knob.low is None:
                where = "comma-separated, as the widget's text box"
            elif knob.log:
                where = f"10^{knob.low:g} .. 10^{knob.high:g}"
            else:
                where = f"{knob.low:g} .. {knob.high:g} step {knob.step:g}"
            group.add_argument(option, dest=f"{prefix}_{name}", type=_option_type(knob, option), default=None,
                               metavar=name.upper(), help=f"{where} (course: {knob.default})")
    return p


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    unknown = [s for s in args.sections if s not in SECTIONS]
    if unknown:
        parser.error(f"unknown section(s) {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    sections = args.sections or list(SECTIONS)
    out = common.setup(args, NAME)
    course_data = load_course_data(args.seed, root=args.data)

    results, seconds = {}, {}
    for name in sections:
        print(f"\n=== {name} ===")
        started = time.perf_counter()
        results[name] = SECTIONS[name](course_data, args, out)
        seconds[name] = time.perf_counter() - started
        print(f"({name}: {seconds[name]:.1f} s; wrote {name}.png and {name}.json in {out})")
    # Merged with the sections earlier runs into this folder recorded: none is lost.
    common.update_json(out / "sections.json", lambda old: {
        "experiment": NAME, "seed": args.seed, "quick": args.quick, "backend": backend.current().name,
        "seconds": {**(old or {}).get("seconds", {}), **seconds}})
    if args.figures:
        args.figures.mkdir(parents=True, exist_ok=True)
        for name in KEY_FIGURES:
            if name in results:
                shutil.copyfile(out / f"{name}.png", args.figures / f"tutorial_{name}.png")
    return results


if __name__ == "__main__":
    common.main_or_exit(main)
