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

Loading is bounded: only the entries that the parts asked for use are read, each once, and
each entry's declared size is checked (against what is left of ``MAX_ENTRY_BYTES`` for the
whole file, and against what its own ``.npy`` header declares) before it is read, so a crafted
file cannot make it allocate more than the arrays it hands back. Every malformed file (bad JSON, a wrong tag, a step
counter that is not an integer >= 0, ...) is a ``CheckpointError`` naming the file and the
entry, never a TypeError or RecursionError.

The files are written as ``atomic_write`` writes every results file: under a temporary
name in the same folder (``.<name>.<pid>.<random>.tmp``), with the permissions the umask
gives (0644 under umask 022, as ``open()`` would), then renamed. Temporaries left by a
process that was killed while saving are removed at the next save into that folder
(``remove_stale_temporaries``). A full disk raises an ``OSError`` that names the file and
says the previous version is still in place.
"""
import copy
import io
import json
import os
import re
import tempfile
import zipfile
import zlib
from pathlib import Path

import numpy

from . import backend

FORMAT = "tinygrad_opt checkpoint"
VERSION = 1
_META = "checkpoint.json"
# The most read: 2 GiB of arrays in all, 64 MiB of JSON. Each declared size is checked first.
MAX_ENTRY_BYTES = 1 << 31
MAX_META_BYTES = 1 << 26


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
    atomic_write(Path(path), lambda f: numpy.savez(f, **arrays))
    return path


def load_checkpoint(path, *, model=None, optimizer=None, scheduler=None):
    """Restore the parts given (in place) and the host RNG from ``path``; returns
    ``{"step": int, "extra": ...}``.

    Everything is read and decoded before anything is changed; if a part refuses its state,
    the parts already restored are put back, so an error changes nothing.
    """
    path = Path(path)
    wanted = ["rng", "extra"] + [name for name, part in (("model", model), ("optimizer", optimizer),
                                                         ("scheduler", scheduler)) if part is not None]
    meta, states = _read(path, wanted)
    rng, extra, step = states.pop("rng"), states.pop("extra"), meta["step"]
    parts = [(name, part) for name, part in (("model", model), ("optimizer", optimizer),
                                             ("scheduler", scheduler)) if part is not None]
    for name, _ in parts:
        if name not in states:
            raise CheckpointError(f"load_checkpoint: {path} holds no {name} state "
                                  f"(it has: {', '.join(states) or 'none'}); was it saved with {name}=...?")

    backups = [(part, copy.deepcopy(part.state_dict())) for _, part in parts]
    rng_backup = backend.rng_state()
    try:
        for name, part in parts:
            part.load_state_dict(states[name])
        backend.set_rng_state(rng)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as e:
        for part, state in backups:
            part.load_state_dict(state)
        backend.set_rng_state(rng_backup)
        raise CheckpointError(f"load_checkpoint: {path} does not fit: {e}; nothing was changed") from e
    return {"step": step, "extra": extra}


# -- writing files atomically ------------------------------------------------------------------
def atomic_write(path, write):
    """Call ``write(f)`` on a temporary file next to ``path``, then rename it to ``path``.

    Readers see the old file or the whole new one, never a part. The file gets the
    permissions the umask gives (0644 under 022). Stale temporaries of ``path``'s folder
    (left by killed processes) are removed first. On a full disk (or any OSError) the
    temporary is removed and the error names ``path`` and says what was kept.
    """
    path = Path(path)
    remove_stale_temporaries(path.parent)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp")
    try:
        os.chmod(tmp, file_mode())     # mkstemp makes 0600: give what open() would give
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())      # the bytes are on disk before the name points at them
        os.replace(tmp, path)
    except OSError as e:
        os.unlink(tmp)
        kept = f"the previous {path.name} is unchanged" if path.exists() else f"no {path.name} was written"
        raise OSError(e.errno, f"{e.strerror or e}: could not write {path}; {kept}") from e
    except BaseException:
        os.unlink(tmp)
        raise


def remove_stale_temporaries(folder):
    """Remove ``.<name>.<pid>.<random>.tmp`` files in ``folder`` whose writing process is gone
    (killed while saving). Those of live processes are being written: they are kept."""
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        match = _TEMPORARY.fullmatch(name)
        if match and not _alive(int(match.group(1))):
            try:
                os.unlink(os.path.join(folder, name))
            except FileNotFoundError:
                pass            # another process cleaned it up first


_TEMPORARY = re.compile(r"\..+\.(\d+)\.[^.]+\.tmp")


def _alive(pid):
    if os.name == "nt":
        return True             # Windows' os.kill would end the process: keep its temporaries
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True             # someone else's live process
    return True


def file_mode():
    """The permissions ``open()`` gives a new file: 0o666 less the umask (0644 under 022)."""
    mask = os.umask(0)          # the only way to read the umask is to set it, then set it back
    os.umask(mask)
    return 0o666 & ~mask


# -- reading the file, bounded ----------------------------------------------------------------
def _read(path, wanted):
    """(metadata dict, {part: decoded state}) for the parts in ``wanted``, reading only the
    entries they use; a CheckpointError naming the file and the entry for anything malformed."""
    if not path.is_file():
        raise FileNotFoundError(f"load_checkpoint: no checkpoint file at {path}")
    try:
        with zipfile.ZipFile(path) as archive:
            meta = _read_meta(path, archive)
            read = _entry_reader(path, archive)
            states = {}
            for name in wanted:
                if name not in meta:
                    if name in ("rng", "extra"):
                        raise CheckpointError(f"load_checkpoint: {path} is incomplete: entry {name!r} is missing "
                                              f"(truncated or corrupt file?)")
                    continue
                try:
                    states[name] = _decode(meta[name], read)
                except (TypeError, ValueError, KeyError, AttributeError, RecursionError) as e:
                    if isinstance(e, CheckpointError):
                        raise
                    raise CheckpointError(f"load_checkpoint: {path}: entry {name!r} is malformed "
                                          f"({type(e).__name__}: {e})") from None
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as e:
        raise CheckpointError(f"load_checkpoint: {path} is truncated or corrupt, not a readable .npz "
                              f"({type(e).__name__}: {e}); nothing was loaded") from None
    return meta, states


def _read_meta(path, archive):
    try:
        meta = json.loads(str(_read_entry(path, archive, _META, MAX_META_BYTES)[()]))
    except CheckpointError:
        raise
    except (ValueError, RecursionError) as e:
        raise CheckpointError(f"load_checkpoint: {path}: '{_META}' is not valid JSON ({type(e).__name__})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(f"load_checkpoint: {path} is not a {FORMAT}")
    if meta.get("version") != VERSION:
        raise CheckpointError(f"load_checkpoint: {path} has format version {meta.get('version')!r}; "
                              f"this tinygrad_opt reads version {VERSION}")
    step = meta.get("step")
    if not isinstance(step, int) or isinstance(step, bool) or step < 0:
        raise CheckpointError(f"load_checkpoint: {path}: entry 'step' must be an integer >= 0, got {step!r}")
    return meta


def _entry_reader(path, archive):
    """``read(key)``: each entry read once (a file that names one entry many times gets one
    array), and all of them together no more than ``MAX_ENTRY_BYTES``."""
    arrays, total = {}, [0]

    def read(key):
        if key not in arrays:
            arrays[key] = _read_entry(path, archive, key, MAX_ENTRY_BYTES - total[0])
            total[0] += arrays[key].nbytes
        return arrays[key]
    return read


_HEADER_READERS = {(1, 0): numpy.lib.format.read_array_header_1_0, (2, 0): numpy.lib.format.read_array_header_2_0}


def _read_entry(path, archive, key, limit=None):
    """The array in entry ``key`` (``key.npy`` in the zip), after checking its declared sizes."""
    limit = MAX_ENTRY_BYTES if limit is None else limit
    if not isinstance(key, str):
        raise TypeError(f"an array reference is {key!r}, not an entry name")
    try:
        info = archive.getinfo(key + ".npy")
    except KeyError:
        if key == _META:
            raise CheckpointError(f"load_checkpoint: {path} is not a {FORMAT}: it has no '{_META}' entry "
                                  f"(entries: {sorted(archive.namelist())[:5]})") from None
        raise CheckpointError(f"load_checkpoint: {path}: entry {key!r} is missing "
                              "(truncated or corrupt file?)") from None
    if info.file_size > limit:
        raise CheckpointError(f"load_checkpoint: {path}: entry {key!r} declares {info.file_size} bytes, "
                              f"more than the limit of {limit}; a damaged or crafted file?")
    data = archive.read(info)            # checks the CRC-32: corruption in this entry shows here
    try:
        stream = io.BytesIO(data)
        version = numpy.lib.format.read_magic(stream)
        if version not in _HEADER_READERS:
            raise ValueError(f".npy format version {version} (this reads 1.0 and 2.0)")
        shape, _, dtype = _HEADER_READERS[version](stream)
        if dtype.hasobject:
            raise ValueError("object arrays are not allowed")
        if len(data) - stream.tell() != numpy.prod(shape, dtype=numpy.int64) * dtype.itemsize:
            raise ValueError(f"the header declares shape {shape} of {dtype}, which is not the "
                             f"{len(data) - stream.tell()} bytes it holds")
        stream.seek(0)
        return numpy.lib.format.read_array(stream, allow_pickle=False)
    except ValueError as e:
        raise CheckpointError(f"load_checkpoint: {path}: entry {key!r} is not a valid array ({e})") from None


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


def _decode(value, read):
    """The inverse of :func:`_encode`; ``read(key)`` gives the array saved under ``key``."""
    if not isinstance(value, dict):
        return value
    if "array" in value:
        return read(value["array"])
    if "scalar" in value:
        return read(value["scalar"])[()]
    tag = next((tag for tag in ("dict", "list", "tuple") if tag in value), None)
    if tag is None:
        raise ValueError(f"unknown tag in {sorted(value)[:3]}; expected array, scalar, dict, list or tuple")
    items = value[tag]
    if not isinstance(items, list):
        raise TypeError(f"a {tag} holds {type(items).__name__}, not a JSON list")
    if tag == "dict":
        return {k if not isinstance(k, list) else tuple(k): _decode(v, read) for k, v in items}
    items = [_decode(v, read) for v in items]
    return tuple(items) if tag == "tuple" else items
