"""Checkpoints (issue 7): one .npz with model, optimizer, LR scheduler, RNG state and step,
written atomically; a resumed run is bit-identical to one never stopped; a truncated or
corrupt file gives a clear error and changes nothing."""
import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

import tinygrad_opt
import tinygrad_opt.nn.functional as F
from tinygrad_opt import Tensor, backend, nn, optim
from tinygrad_opt import checkpoint as ckpt
from tinygrad_opt.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from tinygrad_opt.data import data_dir
from tinygrad_opt.data.mnist import FILES
from tinygrad_opt.optim.lr_scheduler import StepLR

REPO = Path(__file__).resolve().parents[2]

X = np.random.default_rng(0).standard_normal((32, 6)).astype(np.float32)
Y = np.random.default_rng(1).integers(0, 3, 32)


def make_run(seed=0):
    """A small model, Adam over two param groups (with betas, a tuple), and a StepLR."""
    tinygrad_opt.manual_seed(seed)
    model = nn.MLP(6, 3, [8])
    params = list(model.parameters())
    body, head = params[:2], params[2:]
    opt = optim.Adam([{"params": body}, {"params": head, "lr": 3e-2}], lr=1e-2, betas=(0.8, 0.99))
    return model, opt, StepLR(opt, step_size=3, gamma=0.5)


def train(model, opt, sched, steps):
    """Steps of training that use the host RNG (for the batches), so the RNG must be restored too."""
    for _ in range(steps):
        idx = backend.host_rng().choice(len(X), 8, replace=False)
        opt.zero_grad()
        F.nll_loss(model(Tensor(X[idx])), Tensor(Y[idx])).backward()
        opt.step()
        sched.step()


def params_bytes(model):
    return {name: backend.to_numpy(a).tobytes() for name, a in model.state_dict().items()}


def test_resume_is_bit_identical_to_an_uninterrupted_run(tmp_path, device_backend):
    model, opt, sched = make_run()
    train(model, opt, sched, 10)
    expected = params_bytes(model)

    model, opt, sched = make_run()
    train(model, opt, sched, 4)
    path = save_checkpoint(tmp_path / "run.npz", model=model, optimizer=opt, scheduler=sched, step=4,
                           extra={"history": [1.5, float("nan")], "note": "half-way", "ids": np.arange(3)})
    train(model, opt, sched, 2)                                  # work that the restart throws away

    model, opt, sched = make_run(seed=123)                       # a new process: other weights, other RNG
    info = load_checkpoint(path, model=model, optimizer=opt, scheduler=sched)
    assert info["step"] == 4 and info["extra"]["note"] == "half-way"
    assert info["extra"]["history"][0] == 1.5 and np.isnan(info["extra"]["history"][1])
    np.testing.assert_array_equal(info["extra"]["ids"], [0, 1, 2])
    assert opt.param_groups[0]["betas"] == (0.8, 0.99)                 # a tuple stays a tuple
    assert sched.last_epoch == 4 and [g["lr"] for g in opt.param_groups] == [1e-2 * 0.5, 3e-2 * 0.5]
    assert all(backend.backend_of(s["exp_avg"]).name == device_backend for s in opt.state.values())
    train(model, opt, sched, 6)
    assert params_bytes(model) == expected


def test_file_layout_is_one_npz_with_named_arrays(tmp_path):
    model, opt, sched = make_run()
    train(model, opt, sched, 1)
    save_checkpoint(tmp_path / "c.npz", model=model, optimizer=opt, scheduler=sched, step=1)
    names = set(zipfile.ZipFile(tmp_path / "c.npz").namelist())
    assert {"checkpoint.json.npy", "model/main.0.weight.npy", "optimizer/state/0/exp_avg.npy",
            "optimizer/state/3/exp_avg_sq.npy"} <= names
    assert os.listdir(tmp_path) == ["c.npz"]                     # no temporary file left behind


def test_saving_writes_a_temporary_file_then_renames_it(tmp_path, monkeypatch):
    model, opt, sched = make_run()
    path = tmp_path / "c.npz"
    save_checkpoint(path, model=model, step=1)
    seen = []
    real_replace = os.replace

    def replace(src, dst):
        seen.append((os.path.dirname(src), os.path.basename(src), load_checkpoint(path)["step"]))
        real_replace(src, dst)
    monkeypatch.setattr(ckpt.os, "replace", replace)
    save_checkpoint(path, model=model, step=2)
    # the new file was complete in the same folder while the old one was still in place
    assert seen == [(str(tmp_path), seen[0][1], 1)] and seen[0][1] != "c.npz"
    assert load_checkpoint(path)["step"] == 2


def test_an_interrupted_save_keeps_the_last_good_checkpoint(tmp_path, monkeypatch):
    model, opt, sched = make_run()
    path = tmp_path / "c.npz"
    save_checkpoint(path, model=model, optimizer=opt, step=5)
    good = path.read_bytes()

    def savez_then_crash(f, **arrays):
        f.write(b"PK\x03\x04 half of a zip")
        raise KeyboardInterrupt                                  # e.g. Ctrl-C in the middle of the write
    monkeypatch.setattr(ckpt.numpy, "savez", savez_then_crash)
    train(model, opt, sched, 1)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(path, model=model, optimizer=opt, step=6)
    assert path.read_bytes() == good and os.listdir(tmp_path) == ["c.npz"]
    monkeypatch.undo()
    assert load_checkpoint(path, model=model, optimizer=opt)["step"] == 5


@pytest.mark.parametrize("damage", ["truncate", "flip a byte", "empty", "not a zip"])
def test_a_corrupt_checkpoint_is_a_clear_error_and_changes_nothing(tmp_path, damage):
    model, opt, sched = make_run()
    train(model, opt, sched, 2)
    path = tmp_path / "c.npz"
    save_checkpoint(path, model=model, optimizer=opt, scheduler=sched, step=2)
    data = bytearray(path.read_bytes())
    offset = bytes(data).find(backend.to_numpy(model.main[0].weight.array).tobytes()) + 10   # inside an array
    flipped = data[:offset] + bytes([data[offset] ^ 1]) + data[offset + 1:]
    data = {"truncate": data[:len(data) // 2], "flip a byte": flipped,
            "empty": b"", "not a zip": b"these are not the bytes you are looking for"}[damage]
    path.write_bytes(data)

    model2, opt2, sched2 = make_run(seed=1)
    before, rng_before = params_bytes(model2), backend.rng_state()
    with pytest.raises(CheckpointError) as e:
        load_checkpoint(path, model=model2, optimizer=opt2, scheduler=sched2)
    assert str(path) in str(e.value) and "corrupt" in str(e.value)
    assert params_bytes(model2) == before and opt2.state == {} and backend.rng_state() == rng_before


def test_a_checkpoint_that_does_not_fit_changes_nothing(tmp_path):
    model, opt, sched = make_run()
    train(model, opt, sched, 1)
    path = save_checkpoint(tmp_path / "c.npz", model=model, optimizer=opt, step=1)
    other = nn.MLP(6, 3, [8])
    sgd = optim.SGD(other.parameters(), lr=0.1, momentum=0.9)    # the model fits, the optimizer does not
    before = params_bytes(other)
    with pytest.raises(CheckpointError) as e:
        load_checkpoint(path, model=other, optimizer=sgd)
    assert str(path) in str(e.value) and "SGD.load_state_dict" in str(e.value) and "nothing was changed" in str(e.value)
    assert params_bytes(other) == before and sgd.state == {}

    wider = nn.MLP(6, 3, [9])
    with pytest.raises(CheckpointError, match=r"main.0.weight: shape \(8, 6\) in the state_dict, \(9, 6\)"):
        load_checkpoint(path, model=wider)
    with pytest.raises(CheckpointError, match="holds no scheduler state"):
        load_checkpoint(path, model=model, scheduler=sched)


def test_other_formats_and_missing_files_are_named(tmp_path):
    np.savez(tmp_path / "weights.npz", w=np.zeros(3))
    with pytest.raises(CheckpointError, match="weights.npz is not a tinygrad_opt checkpoint"):
        load_checkpoint(tmp_path / "weights.npz")
    with pytest.raises(FileNotFoundError, match="no checkpoint file at .*nothing.npz"):
        load_checkpoint(tmp_path / "nothing.npz")
    with pytest.raises(TypeError, match="cannot save extra/f of type builtin_function_or_method"):
        save_checkpoint(tmp_path / "x.npz", extra={"f": print})
    assert not (tmp_path / "x.npz").exists()


# -- a real run of mnist_optimizers, killed with SIGKILL and resumed ---------------------------
ITERATIONS = 120
RUN_ARGS = ["--quick", "--optimizers", "adam", "--iterations", str(ITERATIONS), "--eval-every", "60",
            "--checkpoint-every", "20", "--no-progress"]


def mnist_root():
    """$TINYGRAD_OPT_DATA, else ../shared/data next to the repository, if it holds MNIST."""
    for base in (os.environ.get("TINYGRAD_OPT_DATA"), REPO.parent / "shared" / "data"):
        if base and all((data_dir("mnist", base) / name).is_file() for name in FILES):
            return str(base)
    pytest.skip("MNIST files not found (set TINYGRAD_OPT_DATA); no test downloads them")


def start(out, *extra):
    # One BLAS thread: much faster on a busy 2-core machine, and the results do not depend on it.
    env = {**os.environ, "TINYGRAD_OPT_DATA": mnist_root(), "OPENBLAS_NUM_THREADS": "1"}
    return subprocess.Popen([sys.executable, "-m", "experiments.mnist_optimizers", *RUN_ARGS,
                             "--out", str(out), *extra], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(process):
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr
    return stderr


def results(out):
    """The final parameters (bytes) and the JSON numbers, without the wall-clock times and provenance."""
    with np.load(out / "params_adam.npz") as npz:
        params = {k: npz[k].tobytes() for k in npz.files if k.startswith("model/")}
    numbers = json.loads((out / "mnist_optimizers.json").read_text())
    assert numbers.pop("provenance")["threads"] == 1          # the command lines differ (--out, --resume)
    for history in numbers["runs"].values():
        history.pop("seconds")
    return params, numbers


def test_mnist_optimizers_killed_and_resumed_is_bit_identical(tmp_path):
    """The issue's test: SIGKILL a real run part-way, --resume it, compare with a run never stopped.

    The uninterrupted runs are two separate processes too: same seed, same bits (determinism).
    """
    plain, again, killed = tmp_path / "plain", tmp_path / "again", tmp_path / "killed"
    runs = [start(plain), start(again), start(killed)]
    checkpoint = killed / "checkpoint_adam.npz"
    deadline = time.monotonic() + 120
    while not checkpoint.exists() and runs[2].poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    runs[2].send_signal(signal.SIGKILL)              # no chance to clean up: as a power cut
    runs[2].communicate()
    assert runs[2].returncode == -signal.SIGKILL and not (killed / "params_adam.npz").exists()
    stopped_at = load_checkpoint(checkpoint)["step"]
    assert 0 < stopped_at < ITERATIONS

    stderr = finish(start(killed, "--resume"))
    assert f"resumed from {checkpoint} at step " in stderr
    finish(runs[0])
    finish(runs[1])
    expected = results(plain)
    assert results(killed) == expected                  # parameters bit for bit, every number
    assert results(again) == expected
    assert len(expected[1]["runs"]["adam"]["train_loss"]) == ITERATIONS
