"""Switches of the autodiff engine: ``no_grad`` (``set_grad_enabled``, ``inference_mode``) and ``detect_anomaly``.

``with no_grad():`` -- ops still compute their results, but record no graph: use it for
evaluation and for optimizer updates, where no gradient is wanted and the graph would only
cost memory.

``with detect_anomaly():`` -- every op checks its result, and the backward pass checks every
gradient, for nan and inf. The first op to produce one raises :class:`AnomalyError` naming
the op and the line of *your* code that created it. It is slow (a check per op), so it is
off unless asked for.
"""
import contextlib


class _Flags:
    grad_enabled = True
    anomaly = False


flags = _Flags()


class AnomalyError(FloatingPointError):
    """An op's forward result or backward gradient holds nan or inf (under ``detect_anomaly``)."""


@contextlib.contextmanager
def no_grad():
    """Run ops without recording the graph (also usable as a decorator)."""
    previous, flags.grad_enabled = flags.grad_enabled, False
    try:
        yield
    finally:
        flags.grad_enabled = previous


@contextlib.contextmanager
def enable_grad():
    previous, flags.grad_enabled = flags.grad_enabled, True
    try:
        yield
    finally:
        flags.grad_enabled = previous


@contextlib.contextmanager
def inference_mode(mode=True):
    """PyTorch's faster no_grad; here it is ``no_grad()`` (``inference_mode(False)`` changes nothing)."""
    previous = flags.grad_enabled
    flags.grad_enabled = previous and not mode
    try:
        yield
    finally:
        flags.grad_enabled = previous


class set_grad_enabled:
    """Turn recording on or off: as a call (``set_grad_enabled(False)``, until set again) or as a
    block (``with set_grad_enabled(is_train):``, restored at its end), as in PyTorch."""

    def __init__(self, mode):
        self.previous = flags.grad_enabled
        flags.grad_enabled = bool(mode)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        flags.grad_enabled = self.previous


def is_grad_enabled():
    return flags.grad_enabled


@contextlib.contextmanager
def detect_anomaly():
    """Raise at the first op whose forward or backward produces nan or inf."""
    previous, flags.anomaly = flags.anomaly, True
    try:
        yield
    finally:
        flags.anomaly = previous
