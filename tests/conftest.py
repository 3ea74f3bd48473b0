"""Shared fixtures: run tests on each array backend (NumPy, the stand-in GPU, CuPy if asked)."""
import os

import pytest

from tinygrad_opt import backend

from fake_device import FAKE

backend.register(FAKE)
# On a GPU machine, TINYGRAD_OPT_BACKEND=cupy adds the real device backend to every
# backend-parametrised test (and makes it the default for all other tests).
BACKENDS = ["numpy", "fakegpu"] + (["cupy"] if os.environ.get("TINYGRAD_OPT_BACKEND") == "cupy" else [])
if "cupy" in BACKENDS:
    backend.get("cupy")   # registers CuPy as the "gpu" device backend
# TINYGRAD_OPT_BACKEND=fakegpu rehearses that run without a GPU: the stand-in becomes the default
# for every test, which catches tests (and code) that assume host arrays. A subprocess cannot
# load the stand-in, so the experiments that tests start as commands run on NumPy.
if os.environ.get("TINYGRAD_OPT_BACKEND") == "fakegpu":
    backend.use("fakegpu")
    os.environ["TINYGRAD_OPT_BACKEND"] = "numpy"


@pytest.fixture(params=BACKENDS)
def device_backend(request):
    """Make each backend the default in turn; yields its name."""
    previous = backend.current()
    backend.use(request.param)
    try:
        yield request.param
    finally:
        backend.use(previous.name)


@pytest.fixture(autouse=True)
def _restore_defaults():
    """Tests that change the default dtype or backend must not leak it into others."""
    dtype, default = backend.get_default_dtype(), backend.current()
    yield
    backend.set_default_dtype(dtype)
    backend.use(default.name)
