"""``torch.save(model.state_dict(), path)`` and ``model.load_state_dict(torch.load(path))``.

A state_dict, ``{name: array or Tensor}``, is written as a NumPy ``.npz`` file (one ``.npy`` array
per name) under exactly the name given, and read back as ``{name: NumPy array}``, which
``load_state_dict`` moves to each parameter's device. No pickle: loading a file runs no code.

PyTorch's ``torch.save`` pickles any object (a whole model, an optimizer's nested state_dict);
that is refused here, with what to write instead: a model's ``state_dict()``, or
:func:`tinygrad_opt.checkpoint.save_checkpoint` for everything a training run needs to resume
(model, optimizer, scheduler, random generator, step).
"""
from collections.abc import Mapping

import numpy

from . import backend
from .tensor import Tensor


def save(obj, f):
    """Write the state_dict ``obj`` (names -> arrays or Tensors) to the file ``f`` (a path)."""
    if not isinstance(obj, Mapping) or not all(isinstance(k, str) for k in obj):
        raise TypeError(f"save: expected a state_dict (a dict of name -> array), got {type(obj).__name__}; "
                        f"write torch.save(model.state_dict(), path), or for a whole training run "
                        f"tinygrad_opt.checkpoint.save_checkpoint(path, model=model, optimizer=optimizer)")
    arrays = {}
    for name, value in obj.items():
        if isinstance(value, Tensor):
            value = value.array
        try:
            arrays[name] = backend.to_numpy(value)
        except TypeError:
            raise TypeError(f"save: entry {name!r} is a {type(value).__name__}, not an array; only a model's "
                            f"state_dict is saved this way. For an optimizer's state write "
                            f"tinygrad_opt.checkpoint.save_checkpoint(path, model=model, "
                            f"optimizer=optimizer)") from None
    with open(f, "wb") as file:          # a file object: numpy.savez would append ".npz" to a name
        numpy.savez(file, **arrays)


def load(f, map_location=None):
    """The state_dict saved in ``f``: ``{name: NumPy array}``, in the order saved.

    ``map_location`` is accepted for PyTorch's spelling and not needed: ``load_state_dict``
    copies each array to its parameter's device.
    """
    with numpy.load(f, allow_pickle=False) as archive:
        return {name: archive[name] for name in archive.files}
