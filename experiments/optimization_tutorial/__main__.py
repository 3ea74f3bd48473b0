"""Command line: ``python -m experiments.optimization_tutorial [SECTION ...] [flags]``."""
import shutil
import time
from pathlib import Path

from experiments import common
from tinygrad_opt import backend

from . import data, filters, final, gd_step, minibatch, momentum, overparam, random_search, rmsprop
from .course import load_course_data

NAME = "optimization_tutorial"
# The sections in the tutorial's order: name -> its run(data, args, out) function.
SECTIONS = {
    "data": data.run,
    "filters": filters.run,
    "gd_step": gd_step.run,
    "random_search": random_search.run,
    "momentum": momentum.run,
    "overparam": overparam.run,
    "minibatch": minibatch.run,
    "rmsprop": rmsprop.run,
    "final": final.run,
}
# The figures the README shows, copied by --figures as tutorial_<section>.png.
KEY_FIGURES = ("filters", "momentum", "overparam")


def build_parser():
    p = common.parser(NAME, "The optimization-techniques tutorial, one section per subcommand "
                            "(no section: all of them, in order).", mnist=True)
    p.add_argument("sections", nargs="*", metavar="SECTION",
                   help=f"any of: {', '.join(SECTIONS)} (default: all)")
    p.add_argument("--figures", type=Path, default=None,
                   help=f"also copy the key figures ({', '.join(KEY_FIGURES)}) into this folder "
                        f"as tutorial_<section>.png (e.g. docs/figures)")
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
