"""What every experiment script shares: command-line flags, seeding, the results folder,
JSON and PNG output, a progress bar and a printed table.

Every script takes ``--seed``, ``--backend numpy|cupy``, ``--quick`` (a run of seconds, used
by the tests), ``--out`` (default ``results/<experiment>``; the folder is git-ignored),
``--threads N`` (BLAS threads; see ``THREADS``) and ``--version``; those that read MNIST
also take ``--data DIR``. Run as commands through ``main_or_exit``, a setup mistake (a
missing dataset or backend, an ``--out`` that cannot be written) ends with one line and
exit status 2, Ctrl-C with one line and exit status 130.

What the results folder promises (docs/reliability.md lists the tests):

* Paths are checked before any training (``setup``): ``--out`` naming a file, an unwritable
  folder or an empty string, and a ``--data`` folder that does not exist, each give one line
  naming the path and what to do.
* Every file is written atomically (``save_json``, ``save_figure``: a temporary file, then a
  rename), with the permissions the umask gives; a full disk names the file.
* Several runs into one folder lose nothing: ``update_json`` reads, merges and rewrites a
  results file under a lock file (``<name>.lock``), so concurrent writers take turns.
* JSON is strict: nan and inf are written as ``null``, and ``"non_finite"`` says where they
  were and what they were. ``"provenance"`` records how the numbers were made.

Importing this module changes no global state: matplotlib's backend is chosen only by
``main_or_exit`` (the command line); in a notebook the plots show inline.
"""
import argparse
import contextlib
import errno
import json
import math
import os
import shlex
import signal
import sys
from pathlib import Path

import numpy

import tinygrad_opt
from tinygrad_opt import backend
from tinygrad_opt.backend import BackendError
from tinygrad_opt.checkpoint import atomic_write, remove_stale_temporaries
from tinygrad_opt.closed_stdout import quiet_when_stdout_closes
from tinygrad_opt.data import ChecksumError, DatasetNotFoundError
from tinygrad_opt.data.mnist import ENV_VAR

RESULTS_ROOT = Path(os.environ.get("TINYGRAD_OPT_RESULTS", "results"))

# BLAS threads for the experiments' small matrix products, unless --threads says otherwise.
# Measured (docs/performance.md, "On a busy machine"): at the course's sizes (batch 100,
# 784 -> 100 -> 10) one thread is as fast as two on a quiet machine and degrades far less
# when a neighbour keeps one core busy, since the two threads then wait for each other.
THREADS = 1


class SetupError(Exception):
    """A mistake in the command line or the machine's setup; the message says what to do."""


def parser(name, description, mnist=False):
    """An ``argparse`` parser with the flags every experiment has (and ``--data`` if ``mnist``)."""
    p = argparse.ArgumentParser(prog=f"python -m experiments.{name}", description=description)
    p.add_argument("--version", action="version", version=f"%(prog)s (tinygrad_opt {tinygrad_opt.__version__})")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0): same seed, same numbers")
    p.add_argument("--backend", choices=["numpy", "cupy"], default=None,
                   help="array backend (default: $TINYGRAD_OPT_BACKEND or numpy)")
    p.add_argument("--quick", action="store_true", help="a tiny version that finishes in seconds (for tests)")
    p.add_argument("--out", default=None, metavar="DIR", help=f"output folder (default {RESULTS_ROOT}/{name})")
    p.add_argument("--threads", type=int, default=None, metavar="N",
                   help=f"BLAS threads (default {THREADS}: fastest for these sizes, and steady on a busy machine; "
                        f"0: the BLAS library's default)")
    p.add_argument("--no-progress", action="store_true", help="hide progress bars (or set TQDM_DISABLE=1)")
    if mnist:
        p.add_argument("--data", type=Path, default=None, metavar="DIR",
                       help=f"folder with the four MNIST files (default: ${ENV_VAR}, else the user cache, "
                            f"where they are downloaded if missing)")
    return p


def main_or_exit(main):
    """Run an experiment's ``main()`` as a command.

    Chooses matplotlib's file-only backend (only here: importing the experiments changes
    nothing, so notebooks keep theirs). Setup mistakes -- missing or corrupt data files, an
    unavailable backend, an unusable ``--out`` or ``--data`` -- are the user's to fix and
    their message says how: it is printed alone (no traceback), exit status 2. Ctrl-C prints
    one line saying what was kept and where, exit status 130; a full disk, one line naming
    the file and what was kept, exit status 1. Piped into a reader that stops early
    (``| head``): exit status 1, no message (``tinygrad_opt/closed_stdout.py``).
    """
    import matplotlib
    matplotlib.use("Agg")
    with quiet_when_stdout_closes():
        try:
            return main()
        except (DatasetNotFoundError, ChecksumError, BackendError, SetupError) as e:
            print(f"error: {e}", file=sys.stderr)
            raise SystemExit(2) from None
        except KeyboardInterrupt:
            print(f"interrupted: {kept_files()}", file=sys.stderr)
            raise SystemExit(130) from None
        except OSError as e:
            if e.errno not in (errno.ENOSPC, errno.EDQUOT):
                raise
            print(f"error: {e}; {kept_files()}", file=sys.stderr)       # the message names the file
            raise SystemExit(1) from None


# -- setup: paths, backend, seed, threads --------------------------------------------------------
_out = []              # the output folder of this command, for the interrupt message
_provenance = {}       # what save_json records about the command (set by setup)


def setup(args, name):
    """Check ``--out`` and ``--data``, apply ``--backend``, ``--seed`` and ``--threads``; create
    and return the output folder. Raises ``SetupError`` before any work for a bad path."""
    out = check_out(args.out, name)
    if getattr(args, "data", None) is not None:
        check_data(args.data)
    if args.backend:
        backend.use(args.backend)
    tinygrad_opt.manual_seed(args.seed)
    threads = set_threads(args.threads)
    out.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(out)
    _out[:] = [out]
    _provenance.clear()
    _provenance.update(provenance(args, threads))
    return out


def check_out(value, name):
    """The output folder ``--out`` names (default ``results/<name>``), or a SetupError."""
    if value is None:
        return RESULTS_ROOT / name
    if not str(value).strip():
        raise SetupError("--out is an empty string; name a folder, e.g. --out results/run1 "
                         "(or leave --out out for the default)")
    out = Path(value)
    if out.exists() and not out.is_dir():
        raise SetupError(f"--out {out} is a file, not a folder; name a folder (it is created if missing)")
    existing = next(parent for parent in [out, *out.parents] if parent.exists())
    if not os.access(existing, os.W_OK | os.X_OK):
        raise SetupError(f"--out {out}: cannot write in {existing} (permission denied); "
                         f"choose a folder you can write to")
    return out


def check_data(data):
    """``--data`` must name an existing folder: it is read, never created or downloaded into."""
    if not data.is_dir():
        what = "is a file" if data.exists() else "does not exist"
        raise SetupError(f"--data {data} {what}; name the folder that holds the four MNIST files, or leave "
                         f"--data out to use ${ENV_VAR} or the user cache (downloaded there if missing)")


def set_threads(threads=None):
    """Limit the BLAS library's threads to ``threads`` (default ``THREADS``; 0: leave the
    library's own default, one per core) for this process; returns the number in use."""
    from threadpoolctl import threadpool_info, threadpool_limits
    threads = THREADS if threads is None else threads
    if threads < 0:
        raise SetupError(f"--threads {threads}: give a number of threads (0: the BLAS library's default)")
    if threads == 0:
        return max((i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"), default=1)
    threadpool_limits(limits=threads, user_api="blas")
    return threads


def worker_init(threads=None):
    """For worker processes: the same BLAS threads, and Ctrl-C left to the parent (which stops
    the pool and prints the one line), so the workers print no tracebacks."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    set_threads(threads)


def provenance(args, threads):
    """How the numbers were made: versions, BLAS library and threads, backend, seed, command."""
    from threadpoolctl import threadpool_info
    blas = [{"library": info.get("internal_api"), "version": info.get("version"),
             "threads": info.get("num_threads")} for info in threadpool_info() if info.get("user_api") == "blas"]
    return {"tinygrad_opt": tinygrad_opt.__version__, "numpy": numpy.__version__,
            "python": sys.version.split()[0], "blas": blas, "threads": threads,
            "backend": backend.current().name, "seed": args.seed,
            "command": shlex.join([Path(sys.executable).name, *sys.argv])}


def kept_files():
    """One line: what the output folder holds now (what this run and earlier ones kept), and where."""
    if not _out:
        return "nothing was written"
    out = _out[0]
    try:
        files = sorted(name for name in os.listdir(out) if not name.startswith(".") and not name.endswith(".lock"))
    except OSError:
        files = []
    return f"kept {', '.join(files)} in {out}" if files else f"nothing was written yet in {out}"


# -- progress ---------------------------------------------------------------------------------
def progress(iterable=None, total=None, desc=None, disable=False):
    """A progress bar (``tqdm.auto``: a widget in a notebook, text on stderr in a terminal);
    hidden with --no-progress or TQDM_DISABLE=1."""
    from tqdm.auto import tqdm
    disable = disable or os.environ.get("TQDM_DISABLE", "").lower() in ("1", "true", "yes")
    return tqdm(iterable, total=total, desc=desc, disable=disable, leave=False, file=sys.stderr,
                dynamic_ncols=True)


# -- results files: strict JSON, atomic, merged under a lock ----------------------------------
def _clean(obj, where, non_finite):
    """``obj`` as strict JSON data: nan and inf become None, recorded in ``non_finite``."""
    if isinstance(obj, float) and not math.isfinite(obj):
        non_finite[where or "/"] = str(obj)
        return None
    if isinstance(obj, dict):
        return {str(k): _clean(v, f"{where}/{k}", non_finite) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v, f"{where}/{i}", non_finite) for i, v in enumerate(obj)]
    if hasattr(obj, "tolist"):           # NumPy arrays and scalars
        return _clean(obj.tolist(), where, non_finite)
    return obj


def to_json(obj):
    """The text ``save_json`` writes: strict JSON, with ``"non_finite"`` (path -> "nan", "inf"
    or "-inf") if any value was not finite, and ``"provenance"`` once ``setup`` has run."""
    non_finite = {}
    data = _clean(obj, "", non_finite)
    if isinstance(data, dict):
        data = {k: v for k, v in data.items() if k not in ("non_finite", "provenance")}
        if non_finite:
            data["non_finite"] = non_finite
        if _provenance:
            data["provenance"] = dict(_provenance)
    return json.dumps(data, indent=2, allow_nan=False) + "\n"


def save_json(path, obj):
    """Write ``obj`` to ``path`` as strict JSON, atomically."""
    atomic_write(path, lambda f: f.write(to_json(obj).encode()))
    return path


@contextlib.contextmanager
def locked(path):
    """Hold ``<path>.lock`` (an exclusive lock) while the block runs: other processes that ask
    for the same lock wait, so a read-merge-write of ``path`` is never interleaved."""
    path = Path(path)
    with open(path.with_name(path.name + ".lock"), "a+b") as lock:
        _lock(lock)
        try:
            yield
        finally:
            _unlock(lock)


if os.name == "nt":
    import msvcrt

    def _lock(f):
        f.seek(0)
        msvcrt.locking(f.fileno(), msvcrt.LK_LOCK, 1)

    def _unlock(f):
        f.seek(0)
        msvcrt.locking(f.fileno(), msvcrt.LK_UNLCK, 1)
else:
    import fcntl

    def _lock(f):
        fcntl.flock(f, fcntl.LOCK_EX)

    def _unlock(f):
        fcntl.flock(f, fcntl.LOCK_UN)


def read_json(path):
    """The results saved at ``path`` (None if there are none yet)."""
    path = Path(path)
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text())
    except ValueError as e:
        raise SetupError(f"{path} is not valid JSON: {e}; move it away or delete it") from None


def update_json(path, update):
    """Read the results at ``path`` (None if none), write ``update(old)``, under the lock:
    runs that write into one folder, at once or one after the other, merge and lose nothing.
    Returns what was written."""
    with locked(path):
        new = update(read_json(path))
        save_json(path, new)
    return new


# -- figures ----------------------------------------------------------------------------------
def pyplot():
    """matplotlib's pyplot, with whatever backend is chosen (imported here, never by the package)."""
    import matplotlib.pyplot as plt
    return plt


def save_figure(fig, path):
    """Lay out ``fig``, write it as a PNG atomically, close it. Returns ``path``."""
    if fig.get_layout_engine() is None:       # a figure made with layout="constrained" lays itself out
        fig.tight_layout()
    atomic_write(path, lambda f: fig.savefig(f, format="png", dpi=110))
    pyplot().close(fig)
    return path


# -- tables -----------------------------------------------------------------------------------
def format_table(headers, rows):
    """A plain-text table with aligned columns (numbers right-aligned)."""
    cells = [[str(h) for h in headers]] + [[c if isinstance(c, str) else f"{c}" for c in r] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    line = "  ".join("-" * w for w in widths)
    out = ["  ".join(c.ljust(w) for c, w in zip(cells[0], widths, strict=True)), line]
    for row in cells[1:]:
        out.append("  ".join(c.rjust(w) if c[:1].isdigit() or c[:1] in "-+." else c.ljust(w)
                             for c, w in zip(row, widths, strict=True)))
    return "\n".join(out)


def is_diverged(value):
    """A loss that is nan or inf: the run has diverged and should stop."""
    return not math.isfinite(float(value))
