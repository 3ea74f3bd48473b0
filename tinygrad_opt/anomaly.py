"""Anomaly reporting for ``detect_anomaly()``: which op made a nan or inf, and on which line.

Under ``detect_anomaly()`` every op checks its forward result (``make_result``) and every
node's backward checks the gradients it returns. The error names the op and the line of
*your* code that created it, found by walking the stack out of this package.
"""
import os
import traceback

from . import backend
from .grad_mode import AnomalyError

PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def user_line():
    """'file:line in function: code' of the innermost frame outside this package."""
    for frame in reversed(traceback.extract_stack()[:-2]):
        # the separator matters: a user's folder "tinygrad_opt_notebooks" starts with the same letters
        if not os.path.abspath(frame.filename).startswith(PACKAGE_DIR + os.sep):
            return f"{frame.filename}:{frame.lineno} in {frame.name}: {frame.line}"
    return "<unknown>"


def check_finite(arrays, node, phase):
    """Raise :class:`AnomalyError` if any of ``arrays`` (None entries skipped) holds nan or inf.

    ``node``: the tensor whose op computed them; ``phase``: "forward" or "backward".
    """
    for a in arrays:
        if a is None:
            continue
        xp = backend.get_array_module(a)
        if not bool(xp.isfinite(a).all()):
            what = "nan" if bool(xp.isnan(a).any()) else "inf"
            if node._origin is not None:
                where = f"the op was created at {node._origin}"
            else:   # the graph was built outside detect_anomaly(): only backward() is known
                where = (f"backward() was called at {user_line()}; run the forward pass inside "
                         f"detect_anomaly() to see the line that created the op")
            raise AnomalyError(f"detect_anomaly: op '{node._op}' produced {what} in its {phase} pass; {where}")
