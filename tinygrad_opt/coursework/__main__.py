"""``python -m tinygrad_opt.coursework new|grade ...``: hand out an assignment, grade one or a class.

    new DIR [--optimizers sgd,momentum,adam,...] [--ops relu,matmul,log_softmax,...]
    grade SUBMISSION [--json results.json] [--timeout S] [--config FILE]
    grade FOLDER_OF_SUBMISSIONS --csv scores.csv [--timeout S] [--config FILE]
    --version

Exit status: 0 when graded (whatever the score), 2 for a usage error, 1 when the reader of its
output stopped early (``... | head``; no message).
"""
import argparse
import sys

import tinygrad_opt
from tinygrad_opt.closed_stdout import quiet_when_stdout_closes

from . import report
from .assignment import CHOICES, OPS, new
from .config import load_config
from .grading import grade, grade_class


def _names(text):
    return [n.strip().lower() for n in text.split(",") if n.strip()]


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tinygrad_opt.coursework",
                                     description="Hand out an optimizer (and backward) assignment and grade it.")
    parser.add_argument("--version", action="version", version=f"%(prog)s (tinygrad_opt {tinygrad_opt.__version__})")
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("new", help="write an assignment into DIR")
    p.add_argument("dir")
    p.add_argument("--optimizers", type=_names, default=["sgd", "momentum", "adam"],
                   help=f"comma-separated, of: {','.join(CHOICES)} (default sgd,momentum,adam)")
    p.add_argument("--ops", type=_names, default=[], help=f"comma-separated, of: {','.join(OPS)}")
    g = commands.add_parser("grade", help="grade a submission (.py file or folder), or a class with --csv")
    g.add_argument("submission")
    g.add_argument("--json", help="write Gradescope's results.json here")
    g.add_argument("--csv", help="grade every submission in the folder; one row per student here")
    g.add_argument("--timeout", type=float, help="seconds per test (default: the config's, 20)")
    g.add_argument("--config", help="the grading configuration (new writes instructor/grading.json)")
    args = parser.parse_args(argv)
    try:
        if args.command == "new":
            files = new(args.dir, args.optimizers, args.ops)
            print(f"wrote {args.dir}: {', '.join(files)}\nhand out everything but instructor/; grade with\n"
                  f"  python -m tinygrad_opt.coursework grade SUBMISSION --config {args.dir}/instructor/grading.json")
            return 0
        config = load_config(args.config) if args.config else None
        if args.csv:
            results = grade_class(args.submission, config, args.timeout)
            report.write_csv(results, args.csv)
            for r in results:
                print(f"{r['submission']}: {r['score']:g} / {r['max_score']:g}")
            return 0
        result = grade(args.submission, config, args.timeout)
        print(report.text(result))
        if args.json:
            report.write_json(result, args.json)
        return 0
    except (ValueError, FileExistsError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    with quiet_when_stdout_closes():
        sys.exit(main())
