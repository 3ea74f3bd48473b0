"""What every experiment script shares: command-line flags, seeding, the results folder,
JSON and PNG output, a progress bar and a printed table.

Every script takes ``--seed``, ``--backend numpy|cupy``, ``--quick`` (a run of seconds, used
by the tests) and ``--out`` (default ``results/<experiment>``; the folder is git-ignored);
those that read MNIST also take ``--data DIR``. Run as commands through ``main_or_exit``, a
missing dataset or backend ends with its message, not a traceback.
"""
import argparse
import json
import math
import os
import sys
import tempfile
from pathlib import Path

import tinygrad_opt
from tinygrad_opt import backend
from tinygrad_opt.backend import BackendError
from tinygrad_opt.data import ChecksumError, DatasetNotFoundError
from tinygrad_opt.data.mnist import ENV_VAR

RESULTS_ROOT = Path(os.environ.get("TINYGRAD_OPT_RESULTS", "results"))


def parser(name, description, mnist=False):
    """An ``argparse`` parser with the flags every experiment has (and ``--data`` if ``mnist``)."""
    p = argparse.ArgumentParser(prog=f"python -m experiments.{name}", description=description)
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0): same seed, same numbers")
    p.add_argument("--backend", choices=["numpy", "cupy"], default=None,
                   help="array backend (default: $TINYGRAD_OPT_BACKEND or numpy)")
    p.add_argument("--quick", action="store_true", help="a tiny version that finishes in seconds (for tests)")
    p.add_argument("--out", type=Path, default=None, help=f"output folder (default {RESULTS_ROOT}/{name})")
    p.add_argument("--no-progress", action="store_true", help="hide progress bars")
    if mnist:
        p.add_argument("--data", type=Path, default=None, metavar="DIR",
                       help=f"folder with the four MNIST files (default: ${ENV_VAR}, else the user cache; "
                            f"downloaded there if missing)")
    return p


def main_or_exit(main):
    """Run an experiment's ``main()`` as a command. Missing or corrupt data files and an
    unavailable backend are the user's setup, not a bug: their message already says what to
    do, so it is printed alone (no traceback) and the exit status is 2."""
    try:
        return main()
    except (DatasetNotFoundError, ChecksumError, BackendError) as e:
        print(f"error: {e}", file=sys.stderr)
        raise SystemExit(2) from None


def setup(args, name):
    """Apply ``--backend`` and ``--seed``; create and return the output folder."""
    if args.backend:
        backend.use(args.backend)
    tinygrad_opt.manual_seed(args.seed)
    out = args.out or RESULTS_ROOT / name
    out.mkdir(parents=True, exist_ok=True)
    return out


def progress(iterable=None, total=None, desc=None, disable=False):
    """A tqdm progress bar on stderr (hidden with --no-progress)."""
    from tqdm.auto import tqdm
    return tqdm(iterable, total=total, desc=desc, disable=disable, leave=False, file=sys.stderr,
                dynamic_ncols=True)


def _clean(obj):
    """JSON has no nan/inf: write them as strings so no number is silently lost."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return str(obj)
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if hasattr(obj, "tolist"):           # NumPy arrays and scalars
        return _clean(obj.tolist())
    return obj


def atomic_write_bytes(path, data):
    """Write ``data`` to ``path`` via a temporary file and a rename: never a half-written file."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def save_json(path, obj):
    atomic_write_bytes(path, json.dumps(_clean(obj), indent=2).encode() + b"\n")
    return path


def pyplot():
    """matplotlib's pyplot with a file-only backend (imported here, never by the package)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def save_figure(fig, path):
    if fig.get_layout_engine() is None:       # a figure made with layout="constrained" lays itself out
        fig.tight_layout()
    fig.savefig(path, dpi=110)
    pyplot().close(fig)
    return path


def format_table(headers, rows):
    """A plain-text table with aligned columns (numbers right-aligned)."""
    cells = [[str(h) for h in headers]] + [[c if isinstance(c, str) else f"{c}" for c in r] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    line = "  ".join("-" * w for w in widths)
    out = ["  ".join(c.ljust(w) for c, w in zip(cells[0], widths)), line]
    for row in cells[1:]:
        out.append("  ".join(c.rjust(w) if c[:1].isdigit() or c[:1] in "-+." else c.ljust(w)
                             for c, w in zip(row, widths)))
    return "\n".join(out)


def is_diverged(value):
    """A loss that is nan or inf: the run has diverged and should stop."""
    return not math.isfinite(float(value))
