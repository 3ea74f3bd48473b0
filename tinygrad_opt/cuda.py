"""``torch.cuda.is_available()``, for code that picks its device the PyTorch way::

    device = "cuda" if torch.cuda.is_available() else "cpu"
    model.to(device)

Here the GPU is CuPy's (see ``backend.py``); "cuda" names it in ``.to(...)``.
"""
from . import backend


def is_available():
    """True when CuPy is installed and sees a GPU."""
    try:
        backend.for_device("gpu")
    except backend.BackendError:
        return False
    return True
