"""Sweeps over depth, learning rate and initial weight: the course's widgets, automated.

The course lets a student drag sliders until a deep narrow net "converges" and then
register the learning rate by hand. Here a sweep trains every combination and a rule
decides: a run has *converged* at the first epoch whose loss is below 1e-2, provided the
loss stays below 1e-2 until the end (the course's ``InterPlay.train`` test); the best
learning rate for a depth is the one that converges in the fewest epochs.

A sweep is a list of ``Config(depth, lr, init)``: ``depth`` weights, all starting at
``init``, trained with learning rate ``lr`` on the same data. Runs of the same depth are
stacked into batches (``batched.py``) and the batches are handed to any
``concurrent.futures`` executor: ``parallel_executor()`` for the local cores, or a
cluster's executor for large sweeps. Without one they run here, one after the other.
"""
import math
import multiprocessing
import os
from collections import namedtuple
from concurrent.futures import ProcessPoolExecutor

import numpy

from experiments import common
from tinygrad_opt import backend

from .batched import train_batch

Config = namedtuple("Config", "depth lr init")
Config.__doc__ = "One run of a sweep: ``depth`` weights, all equal to ``init``, learning rate ``lr``."

CONVERGED_BELOW = 1e-2


def grid(depths, lrs, inits):
    """Every combination, depth-major: ``[Config(d, lr, w0) for d for lr for w0]``."""
    return [Config(int(d), float(lr), float(w0)) for d in depths for lr in lrs for w0 in inits]


def parallel_executor(workers=None):
    """A process pool over ``workers`` local cores (default: all of them).

    Worker processes are *spawned* (fresh interpreters), the start method that also works
    with a GPU backend and with threads in the parent (a progress bar's).
    """
    return ProcessPoolExecutor(max_workers=workers or os.cpu_count(),
                               mp_context=multiprocessing.get_context("spawn"),
                               initializer=common.worker_init)   # one BLAS thread each; Ctrl-C to the parent


def run_batch(task):
    """Train one batch of same-depth runs; returns (losses (n_epochs, R), diverged_at (R,)).

    A module-level function taking one tuple, so a process pool can pickle it.
    """
    depth, lrs, inits, x, y, n_epochs, backend_name = task
    backend.use(backend_name)
    return train_batch(numpy.repeat(numpy.asarray(inits, dtype=float)[:, None], depth, axis=1),
                       x, y, lrs, n_epochs)


def _batches(configs, max_batch):
    """Indices of ``configs`` grouped by depth, in batches of at most ``max_batch`` runs."""
    by_depth = {}
    for i, c in enumerate(configs):
        by_depth.setdefault(c.depth, []).append(i)
    return [(depth, idx[s:s + max_batch]) for depth, idx in by_depth.items()
            for s in range(0, len(idx), max_batch)]


def sweep(configs, x, y, n_epochs, executor=None, max_batch=512, progress=None):
    """Train every config on data ``x, y: (n,)`` for ``n_epochs``.

    Returns ``losses: (len(configs), n_epochs)`` (nan after a divergence) and
    ``diverged_at: (len(configs),)`` (-1: never diverged), in the order of ``configs``.
    ``executor``: any ``concurrent.futures.Executor`` (None: run here, serially);
    ``progress``: a callable wrapping an iterable with a total, e.g. a tqdm bar.
    """
    if not configs:
        raise ValueError("sweep: expected at least one Config, got none")
    if any(c.depth < 1 for c in configs):
        raise ValueError(f"sweep: every depth must be >= 1, got {sorted({c.depth for c in configs})}")
    batches = _batches(configs, max_batch)
    name = backend.current().name
    tasks = [(depth, [configs[i].lr for i in idx], [configs[i].init for i in idx],
              x, y, n_epochs, name) for depth, idx in batches]
    results = map(run_batch, tasks) if executor is None else executor.map(run_batch, tasks)
    if progress is not None:
        results = progress(results, total=len(tasks))
    losses = numpy.full((len(configs), n_epochs), numpy.nan)
    diverged_at = numpy.full(len(configs), -1)
    for (_, idx), (batch_losses, batch_diverged) in zip(batches, results, strict=True):
        losses[idx] = batch_losses.T
        diverged_at[idx] = batch_diverged
    return losses, diverged_at


def convergence_epochs(losses, threshold=CONVERGED_BELOW):
    """First epoch with loss < threshold, if the loss stays below it until the end; else inf.

    losses: (..., n_epochs) -> (...,) floats. A nan loss (a diverged run) is never below.
    """
    below = numpy.asarray(losses) < threshold
    n_epochs = below.shape[-1]
    first = below.argmax(axis=-1)
    stays = below.any(axis=-1) & (below.sum(axis=-1) == n_epochs - first)
    return numpy.where(stays, first, numpy.inf)


def best_by_fewest_epochs(epochs, values):
    """For each row of ``epochs: (rows, len(values))``: the value converging in the fewest
    epochs (the smallest such value on a tie) and that epoch count; (nan, inf) for a row
    where no run converged.
    """
    epochs = numpy.asarray(epochs, dtype=float)
    best = epochs.argmin(axis=-1)
    fewest = epochs.min(axis=-1)
    chosen = numpy.where(numpy.isfinite(fewest), numpy.asarray(values, dtype=float)[best], math.nan)
    return chosen, fewest
