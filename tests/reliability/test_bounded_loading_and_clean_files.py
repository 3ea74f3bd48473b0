"""Issue 16: checkpoints load bounded and validated; files are written atomically, with the
umask's permissions, leaving no stale temporaries; a full disk names the file."""
import errno
import io
import json
import os
import re
import stat
import tracemalloc
import zipfile

import numpy as np
import pytest

import tinygrad_opt
from tinygrad_opt import checkpoint as ckpt
from tinygrad_opt import nn, optim
from tinygrad_opt.checkpoint import CheckpointError, atomic_write, load_checkpoint, save_checkpoint


def _saved(tmp_path, name="c.npz"):
    tinygrad_opt.manual_seed(0)
    model = nn.MLP(6, 3, [8])
    opt = optim.Adam(model.parameters(), lr=1e-2)
    path = save_checkpoint(tmp_path / name, model=model, optimizer=opt, step=3, extra={"note": "x"})
    return path, model, opt


def _npy(array):
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def _rewrite(path, replace=None, add=None):
    """Copy the zip at ``path`` with entries replaced (name -> bytes) or added, compressed."""
    with zipfile.ZipFile(path) as old:
        entries = {name: old.read(name) for name in old.namelist()}
    entries.update(replace or {})
    entries.update(add or {})
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as new:
        for name, data in entries.items():
            new.writestr(name, data)


def _with_meta(path, change):
    with np.load(path) as npz:
        meta = json.loads(str(npz["checkpoint.json"][()]))
    change(meta)
    _rewrite(path, replace={"checkpoint.json.npy": _npy(np.asarray(json.dumps(meta)))})


def test_an_unused_entry_is_never_read(tmp_path):
    """An 80 MB entry nobody asked for (compressed to about 80 kB) costs no memory."""
    path, model, opt = _saved(tmp_path)
    _rewrite(path, add={"unused/big.npy": _npy(np.zeros(80_000_000, dtype=np.uint8))})
    tracemalloc.start()
    try:
        assert load_checkpoint(path, model=model, optimizer=opt)["step"] == 3
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 10_000_000, f"loading held {peak} bytes"


def test_each_declared_size_is_checked_before_reading(tmp_path, monkeypatch):
    path, model, opt = _saved(tmp_path)
    monkeypatch.setattr(ckpt, "MAX_ENTRY_BYTES", 100)       # the first weight is 8 x 6 float32 = 192 bytes
    with pytest.raises(CheckpointError, match=r"c\.npz: entry 'model/main\.0\.weight' declares \d+ bytes, "
                                              r"more than the limit of 100"):
        load_checkpoint(path, model=model)


def test_an_npy_header_that_lies_about_its_shape_is_refused(tmp_path):
    path, model, opt = _saved(tmp_path)
    honest = _npy(np.zeros((8, 6), dtype=np.float32))
    lying = honest.replace(b"(8, 6)", b"(9, 6)")
    _rewrite(path, replace={"model/main.0.weight.npy": lying})
    with pytest.raises(CheckpointError, match=r"entry 'model/main\.0\.weight' is not a valid array"):
        load_checkpoint(path, model=model)


@pytest.mark.parametrize("step", ["abc", -5, True, 2.5, None])
def test_the_step_must_be_an_integer_at_least_zero(tmp_path, step):
    path, model, _ = _saved(tmp_path)
    _with_meta(path, lambda meta: meta.update(step=step))
    with pytest.raises(CheckpointError, match=rf"c\.npz: entry 'step' must be an integer >= 0, got {step!r}"):
        load_checkpoint(path, model=model)


@pytest.mark.parametrize("entry, value", [
    ("model", {"dict": 5}),                       # was a TypeError
    ("model", {"dict": [[1, 2, 3]]}),             # was a ValueError from unpacking
    ("model", {"array": 7}),
    ("model", {"mystery": []}),
    ("extra", {"list": {"list": 3}}),
    ("optimizer", {"dict": [["state", {"array": "no/such/entry"}]]}),
])
def test_a_crafted_state_is_a_checkpoint_error_naming_the_entry(tmp_path, entry, value):
    path, model, opt = _saved(tmp_path)
    _with_meta(path, lambda meta: meta.update({entry: value}))
    with pytest.raises(CheckpointError) as e:
        load_checkpoint(path, model=model, optimizer=opt)
    assert str(path) in str(e.value) and (f"'{entry}'" in str(e.value) or "no/such/entry" in str(e.value))


def test_deeply_nested_json_is_a_checkpoint_error_not_a_recursion_error(tmp_path):
    path, model, _ = _saved(tmp_path)
    nested = '{"list": [' * 100_000 + "]}" * 100_000
    with np.load(path) as npz:
        meta = str(npz["checkpoint.json"][()])
    meta = meta.replace('"extra": {"dict"', f'"deep": {nested}, "extra": {{"dict"', 1)
    _rewrite(path, replace={"checkpoint.json.npy": _npy(np.asarray(meta))})
    with pytest.raises(CheckpointError, match=r"c\.npz: 'checkpoint\.json' is not valid JSON \(RecursionError\)"):
        load_checkpoint(path, model=model)


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_files_are_created_as_the_umask_says(tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        path, _, _ = _saved(tmp_path)
        atomic_write(tmp_path / "r.json", lambda f: f.write(b"{}"))
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == mode
    assert stat.S_IMODE((tmp_path / "r.json").stat().st_mode) == mode


def test_stale_temporaries_are_removed_at_the_next_save(tmp_path):
    dead = tmp_path / ".c.npz.999999999.k2j3h4.tmp"          # left by a process killed while saving
    live = tmp_path / f".c.npz.{os.getpid()}.a8s7d6.tmp"      # being written by a live process
    other = tmp_path / ".notes.tmp"                            # not ours: not a name atomic_write makes
    for file in (dead, live, other):
        file.write_bytes(b"x" * 1000)
    _saved(tmp_path)
    assert not dead.exists() and live.exists() and other.exists()


def test_a_full_disk_names_the_file_and_what_was_kept(tmp_path, monkeypatch):
    path, model, opt = _saved(tmp_path)
    good = path.read_bytes()

    def disk_full(f, **arrays):
        f.write(b"PK\x03\x04")
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(ckpt.numpy, "savez", disk_full)
    with pytest.raises(OSError) as e:
        save_checkpoint(path, model=model, optimizer=opt, step=4)
    assert e.value.errno == errno.ENOSPC
    assert f"could not write {path}; the previous c.npz is unchanged" in str(e.value)
    assert path.read_bytes() == good and sorted(os.listdir(tmp_path)) == ["c.npz"]
    with pytest.raises(OSError, match=r"could not write .*new\.npz; no new\.npz was written"):
        save_checkpoint(tmp_path / "new.npz", model=model)


def test_an_entry_named_many_times_is_read_once_and_the_total_is_bounded(tmp_path, monkeypatch):
    path, model, opt = _saved(tmp_path)
    _with_meta(path, lambda meta: meta.update(extra={"list": [{"array": "model/main.0.weight"}] * 1000}))
    extra = load_checkpoint(path, model=model)["extra"]
    assert len(extra) == 1000 and all(a is extra[0] for a in extra)          # one array, not a thousand
    # Each entry fits in 400 bytes (the largest, the first weight, is 320 with its header), but
    # not all of them together: what is left of the limit shrinks as arrays are read.
    monkeypatch.setattr(ckpt, "MAX_ENTRY_BYTES", 400)
    with pytest.raises(CheckpointError, match=r"more than the limit of (\d+)") as e:
        load_checkpoint(path, model=model)
    assert int(re.search(r"limit of (\d+)", str(e.value)).group(1)) < 400
