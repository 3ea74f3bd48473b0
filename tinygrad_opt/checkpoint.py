"""Checkpoints: everything a training run needs to go on, in one ``.npz`` file.

    save_checkpoint("run.npz", model=model, optimizer=opt, scheduler=sched, step=t,
                    extra={"batches": batches.state_dict(), "history": history})
    info = load_checkpoint("run.npz", model=model, optimizer=opt, scheduler=sched)
    t, extra = info["step"], info["extra"]

What is saved: the model's parameters, the optimizer's ``state_dict()`` (per-parameter
state such as Adam's running averages, and the param groups with their hyperparameters),
the LR scheduler's ``state_dict()``, the host random generator's state (the one
``manual_seed`` seeds), the step counter, and ``extra``: anything else the caller needs,
made of dicts, lists, numbers, strings and arrays (a minibatch iterator's state, the loss
history so far). Arrays are saved exactly, so a resumed run continues bit for bit.

The file is a NumPy ``.npz`` (a zip of ``.npy`` arrays): one entry per array, named after
where it came from (``model/main.0.weight``, ``optimizer/state/3/exp_avg``), and one entry
``checkpoint.json`` with everything else. In that JSON each array is replaced by
``{"array": entry}`` (``{"scalar": entry}`` for a NumPy scalar), and dicts, lists and tuples
are tagged ``{"dict": [[key, value], ...]}``, ``{"list": [...]}``, ``{"tuple": [...]}``, so
that integer keys and tuples come back as they were.

Two promises:

* **Atomic save.** The file is written under a temporary name in the same folder and then
  renamed over the old one (``os.replace``, atomic on POSIX and Windows). A run killed while
  saving leaves the previous checkpoint untouched.
* **All or nothing load.** A truncated or corrupt file, or one that does not fit the model
  or optimizer, raises :class:`CheckpointError` naming the file and the problem, and
  leaves the model, optimizer, scheduler and random generator exactly as they were.
"""
import copy
import json
import os
import tempfile
import zipfile
import zlib
from pathlib import Path

import numpy

from . import backend

FORMAT = "tinygrad_opt checkpoint"
VERSION = 1
_META = "checkpoint.json"


class CheckpointError(ValueError):
    """A checkpoint file is truncated, corrupt, of another format, or does not fit."""


def save_checkpoint(path, *, model=None, optimizer=None, scheduler=None, step=0, extra=None):
    """Write the state of a training run to ``path``, atomically. Returns ``path``."""
    if not isinstance(step, int) or isinstance(step, bool) or step < 0:
        raise ValueError(f"save_checkpoint: step must be a non-negative int, got {step!r}")
    arrays = {}
    meta = {"format": FORMAT, "version": VERSION, "step": step,
            "rng": _encode(backend.rng_state(), "rng", arrays),
            "extra": _encode(extra, "extra", arrays)}
    for name, part in (("model", model), ("optimizer", optimizer), ("scheduler", scheduler)):
        if part is not None:
            meta[name] = _encode(part.state_dict(), name, arrays)
    arrays[_META] = numpy.asarray(json.dumps(meta))
    _write_atomically(Path(path), arrays)
    return path


def load_checkpoint(path, *, model=None, optimizer=None, scheduler=None):
    """Restore the parts given (in place) and the host RNG from ``path``; returns
    ``{"step": int, "extra": ...}``.

    Everything is read and decoded before anything is changed; if a part refuses its state,
    the parts already restored are put back, so an error changes nothing.
    """
    path = Path(path)
    meta, arrays = _read(path)
    try:
        states = {name: _decode(meta[name], arrays) for name in ("model", "optimizer", "scheduler")
                  if name in meta}
        rng, extra, step = _decode(meta["rng"], arrays), _decode(meta["extra"], arrays), meta["step"]
    except KeyError as e:
        raise CheckpointError(f"load_checkpoint: {path} is incomplete: entry {e} is missing "
                              f"(truncated or corrupt file?)") from None
    parts = [(name, part) for name, part in (("model", model), ("optimizer", optimizer),
                                             ("scheduler", scheduler)) if part is not None]
    for name, part in parts:
        if name not in states:
            raise CheckpointError(f"load_checkpoint: {path} holds no {name} state "
                                  f"(it has: {', '.join(states) or 'none'}); was it saved with {name}=...?")

    backups = [(part, copy.deepcopy(part.state_dict())) for _, part in parts]
    rng_backup = backend.rng_state()
    try:
        for name, part in parts:
            part.load_state_dict(states[name])
        backend.set_rng_state(rng)
    except (ValueError, TypeError, KeyError, IndexError) as e:
        for part, state in backups:
            part.load_state_dict(state)
        backend.set_rng_state(rng_backup)
        raise CheckpointError(f"load_checkpoint: {path} does not fit: {e}; nothing was changed") from e
    return {"step": step, "extra": extra}


# -- writing and reading the file -------------------------------------------------------------
def _write_atomically(path, arrays):
    """``numpy.savez`` into a temporary file next to ``path``, then rename it to ``path``."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            numpy.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())      # the bytes are on disk before the name points at them
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def _read(path):
    """(metadata dict, {entry: host array}) of the file, or a CheckpointError saying what is wrong."""
    if not path.is_file():
        raise FileNotFoundError(f"load_checkpoint: no checkpoint file at {path}")
    try:
        # Reading every entry now checks every entry's CRC-32: corruption anywhere shows here.
        with numpy.load(path, allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
    except (zipfile.BadZipFile, zlib.error, ValueError, OSError, EOFError) as e:
        raise CheckpointError(f"load_checkpoint: {path} is truncated or corrupt, not a readable .npz "
                              f"({type(e).__name__}: {e}); nothing was loaded") from None
    if _META not in arrays:
        raise CheckpointError(f"load_checkpoint: {path} is not a {FORMAT}: it has no '{_META}' entry "
                              f"(entries: {sorted(arrays)[:5]})")
    try:
        meta = json.loads(str(arrays.pop(_META)[()]))
    except ValueError as e:
        raise CheckpointError(f"load_checkpoint: {path}: '{_META}' is not valid JSON ({e})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(f"load_checkpoint: {path} is not a {FORMAT}")
    if meta.get("version") != VERSION:
        raise CheckpointError(f"load_checkpoint: {path} has format version {meta.get('version')!r}; "
                              f"this tinygrad_opt reads version {VERSION}")
    return meta, arrays


# -- nested state <-> JSON plus arrays ---------------------------------------------------------
def _is_array(value):
    try:
        backend.backend_of(value)
    except TypeError:
        return False
    return True


def _encode(value, key, arrays):
    """``value`` as JSON data; each array is copied to the host into ``arrays[key]``."""
    if isinstance(value, numpy.generic):
        arrays[_new_key(key, arrays)] = numpy.asarray(value)
        return {"scalar": key}
    if _is_array(value):
        arrays[_new_key(key, arrays)] = backend.to_numpy(value)
        return {"array": key}
    if isinstance(value, dict):
        return {"dict": [[k, _encode(v, f"{key}/{k}", arrays)] for k, v in value.items()]}
    if isinstance(value, (list, tuple)):
        items = [_encode(v, f"{key}/{i}", arrays) for i, v in enumerate(value)]
        return {"tuple" if isinstance(value, tuple) else "list": items}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"save_checkpoint: cannot save {key} of type {type(value).__name__}; "
                    f"use dicts, lists, numbers, strings and arrays")


def _new_key(key, arrays):
    if key in arrays:
        raise ValueError(f"save_checkpoint: two entries would be named {key!r} (keys 1 and '1'?)")
    return key


def _decode(value, arrays):
    """The inverse of :func:`_encode`; arrays come back as NumPy arrays (KeyError if missing)."""
    if not isinstance(value, dict):
        return value
    if "array" in value:
        return arrays[value["array"]]
    if "scalar" in value:
        return arrays[value["scalar"]][()]
    if "dict" in value:
        return {k if not isinstance(k, list) else tuple(k): _decode(v, arrays) for k, v in value["dict"]}
    items = [_decode(v, arrays) for v in value.get("list", value.get("tuple", ()))]
    return tuple(items) if "tuple" in value else items

