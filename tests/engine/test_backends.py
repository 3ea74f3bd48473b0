"""Backends and devices: NumPy and the stand-in GPU, choosing a backend, moving tensors,
device-mixing errors, default dtype, seeding."""
import importlib.util
import json
import os
import subprocess
import sys
import types

import numpy as np
import pytest

import tinygrad_opt
from tinygrad_opt import Tensor, backend, nn
import tinygrad_opt.nn.functional as F

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GPU_NAMES = ("fakegpu", "cupy")   # conftest registers the stand-in as "gpu" (CuPy replaces it when asked)


@pytest.fixture
def registry(monkeypatch):
    """Copies of the backend tables and of the seed state, so that a test may register or
    load backends and seed them, and leave no trace for the tests after it."""
    for name in ("_backends", "_devices", "_by_type"):
        monkeypatch.setattr(backend, name, dict(getattr(backend, name)))
    for name in ("_host_rng", "_last_seed"):
        monkeypatch.setattr(backend, name, getattr(backend, name))
    return monkeypatch


def run_python(code, **env):
    """Run ``python -c code`` from the repo root with extra environment variables."""
    full_env = {**os.environ, **env}
    return subprocess.run([sys.executable, "-c", code], cwd=REPO, env=full_env,
                          capture_output=True, text=True, timeout=60)


# -- choosing a backend ------------------------------------------------------------------
def test_device_backend_fixture_sets_default(device_backend):
    t = Tensor(np.ones((2, 3)))
    assert backend.current().name == device_backend
    assert backend.backend_of(t.array).name == device_backend
    assert t.device == ("cpu" if device_backend == "numpy" else "gpu")
    assert backend.get_array_module(t.array) is backend.get(device_backend).xp


def test_numpy_backend_arrays_are_ndarrays():
    backend.use("numpy")
    t = Tensor([1.0, 2.0])
    assert type(t.array) is np.ndarray
    assert backend.get_array_module(t.array) is np
    assert t.device == "cpu"


@pytest.mark.skipif(importlib.util.find_spec("cupy") is not None, reason="CuPy is installed here")
def test_use_cupy_without_cupy_says_not_installed():
    with pytest.raises(backend.BackendError, match="CuPy is not installed"):
        backend.use("cupy")
    assert backend.current().name != "cupy"


def stub_cupy(device_count):
    """A module that passes for an installed CuPy: ``device_count`` is what its runtime reports
    (a number, or an exception as CuPy raises when no CUDA driver or device is there)."""
    def get_device_count():
        if isinstance(device_count, Exception):
            raise device_count
        return device_count
    cupy = types.ModuleType("cupy")
    cupy.cuda = types.SimpleNamespace(runtime=types.SimpleNamespace(getDeviceCount=get_device_count))
    return cupy


@pytest.mark.parametrize("device_count, reason", [
    (RuntimeError("cudaErrorNoDevice: no CUDA-capable device is detected"), r"\(cudaErrorNoDevice: no CUDA"),
    (0, r"\(0 devices\)"),
], ids=["runtime-error", "zero-devices"])
def test_use_cupy_without_a_gpu_says_no_gpu_is_visible(registry, device_count, reason):
    registry.delitem(backend._backends, "cupy", raising=False)     # even where CuPy was loaded
    registry.setitem(sys.modules, "cupy", stub_cupy(device_count))
    default = backend.current()
    expected = rf"^backend 'cupy': CuPy is installed but no GPU is visible {reason}"
    with pytest.raises(backend.BackendError, match=expected):
        backend.use("cupy")
    assert backend.current() is default and "cupy" not in backend._backends


def test_unknown_backend_name_is_a_clear_error():
    with pytest.raises(backend.BackendError, match=r"unknown backend 'jax'; known: .*numpy"):
        backend.use("jax")


def test_unknown_device_is_a_clear_error():
    with pytest.raises(backend.BackendError, match=r"unknown device 'tpu'; use 'cpu' or 'gpu'"):
        Tensor([1.0]).to("tpu")


def test_backend_of_rejects_non_arrays():
    with pytest.raises(TypeError, match=r"builtins.list is not an array of any known backend"):
        backend.backend_of([1, 2])


def test_env_var_numpy_picks_numpy():
    r = run_python("import tinygrad_opt as t; x = t.Tensor([1.0]); "
                   "print(t.backend.current().name, type(x.array).__name__)",
                   TINYGRAD_OPT_BACKEND="numpy")
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["numpy", "ndarray"]


def test_env_var_bogus_name_is_a_clear_error():
    r = run_python("import tinygrad_opt as t; t.Tensor([1.0])", TINYGRAD_OPT_BACKEND="bogus")
    assert r.returncode != 0
    error = r.stderr.strip().splitlines()[-1]           # the exception line, not the traceback
    assert error.startswith("tinygrad_opt.backend.BackendError: ")
    assert "unknown backend 'bogus'" in error
    assert "TINYGRAD_OPT_BACKEND='bogus'" in error


def test_import_pulls_in_numpy_and_no_other_library():
    """``import tinygrad_opt`` loads NumPy and the standard library, nothing else (no matplotlib,
    PIL, tqdm, CuPy): what keeps the import quick. How quick is measured by
    ``python -m experiments.benchmark --only startup``, not by a test (a busy machine is slow)."""
    r = run_python("import json, sys; before = set(sys.modules); import tinygrad_opt; "
                   "print(json.dumps(sorted({m.split('.')[0] for m in set(sys.modules) - before})))",
                   TINYGRAD_OPT_BACKEND="numpy")
    assert r.returncode == 0, r.stderr
    loaded = set(json.loads(r.stdout))
    # NumPy's compiled parts register modules of their own (cython_runtime, _cython_3_x)
    others = {m for m in loaded - set(sys.stdlib_module_names) if not m.startswith("_") and m != "cython_runtime"}
    assert others == {"numpy", "tinygrad_opt"}


# -- moving tensors and modules ------------------------------------------------------------
def test_tensor_to_gpu_and_back():
    backend.use("numpy")
    x = np.arange(6.0, dtype=np.float32).reshape(2, 3)
    t = Tensor(x, requires_grad=True)
    g = t.to("gpu")
    assert g.device == "gpu" and backend.backend_of(g.array).name in GPU_NAMES
    assert g.requires_grad and g.is_leaf and g.dtype == np.float32
    assert t.to("cpu") is t                            # already there: no copy
    assert g.to("gpu") is g
    c = g.to("cpu")
    assert type(c.array) is np.ndarray
    np.testing.assert_array_equal(c.numpy(), x)


def test_numpy_always_returns_an_ndarray(device_backend):
    t = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    loss = (t * 2).sum()
    for value in (t, loss, t.argmax(), t.argmax(axis=1), t.to("gpu"), t.to("cpu"), loss * loss):
        assert type(value.numpy()) is np.ndarray
    assert loss.numpy().shape == ()
    loss.backward()
    assert type(t.grad.numpy()) is np.ndarray


def test_module_to_moves_parameters_and_grads():
    backend.use("numpy")
    model = nn.MLP(4, 3, [5])
    before = {k: backend.to_numpy(v).copy() for k, v in model.state_dict().items()}
    F.nll_loss(model(Tensor(np.ones((2, 4), dtype=np.float32))), Tensor([0, 2])).backward()
    assert model.to("gpu") is model
    for p in model.parameters():
        assert p.device == "gpu" and p.grad.device == "gpu"
    out = model(Tensor(np.ones((2, 4), dtype=np.float32)).to("gpu"))
    assert out.device == "gpu"
    model.to("cpu")
    for name, p in model.named_parameters():
        assert type(p.array) is np.ndarray and type(p.grad.array) is np.ndarray
        np.testing.assert_array_equal(p.array, before[name])


def test_host_data_goes_to_the_given_device():
    backend.use("numpy")
    t = Tensor([1.0, 2.0], device="gpu")
    assert t.device == "gpu"
    assert Tensor(t.array).device == "gpu"                       # a device array stays there
    assert Tensor(t.array, device="cpu").device == "cpu"


# -- mixing devices in one op -------------------------------------------------------------------
MIXED = {
    "add": lambda c, g: c + g,
    "mul": lambda c, g: c * g,
    "matmul": lambda c, g: c @ g,
    "linear": lambda c, g: F.linear(c, g),
    "mse_loss": lambda c, g: F.mse_loss(c, g),
}


@pytest.mark.parametrize("op", sorted(MIXED))
def test_mixing_cpu_and_gpu_names_op_and_devices(op):
    backend.use("numpy")
    cpu = Tensor(np.ones((3, 3), dtype=np.float32))
    gpu = cpu.to("gpu")
    with pytest.raises(RuntimeError, match=rf"^{op}: expected both tensors on the same device, got cpu and gpu"):
        MIXED[op](cpu, gpu)
    with pytest.raises(RuntimeError, match=rf"^{op}: expected both tensors on the same device, got gpu and cpu"):
        MIXED[op](gpu, cpu)


def test_mixing_devices_in_nll_loss():
    backend.use("numpy")
    logp = Tensor(np.zeros((2, 3), dtype=np.float32))
    with pytest.raises(RuntimeError, match=r"^nll_loss: expected both tensors on the same device, got cpu and gpu"):
        F.nll_loss(logp, Tensor([0, 1], device="gpu"))
    with pytest.raises(RuntimeError, match=r"^nll_loss: expected both tensors on the same device, got gpu and cpu"):
        F.nll_loss(logp.to("gpu"), Tensor([0, 1]))


def test_index_tensor_on_another_device_names_getitem():
    backend.use("numpy")
    x = Tensor(np.ones((2, 3), dtype=np.float32))
    with pytest.raises(RuntimeError, match=r"^getitem: expected both tensors on the same device, got cpu and gpu"):
        x[Tensor([0, 1], device="gpu")]
    with pytest.raises(RuntimeError, match=r"^getitem: expected both tensors on the same device, got gpu and cpu"):
        x.to("gpu")[np.arange(2), Tensor([0, 2])]
    np.testing.assert_array_equal(x.to("gpu")[np.arange(2), Tensor([0, 2], device="gpu")].numpy(), [1.0, 1.0])


def test_linear_bias_on_another_device():
    backend.use("numpy")
    x, w = Tensor(np.ones((2, 3), dtype=np.float32)), Tensor(np.ones((4, 3), dtype=np.float32))
    with pytest.raises(RuntimeError, match=r"^linear: expected both tensors on the same device, got cpu and gpu"):
        F.linear(x, w, Tensor(np.ones(4, dtype=np.float32), device="gpu"))


def test_model_on_gpu_with_cpu_input_names_the_layer_op():
    backend.use("numpy")
    model = nn.MLP(4, 3, []).to("gpu")
    with pytest.raises(RuntimeError, match=r"linear: expected both tensors on the same device, got cpu and gpu"):
        model(Tensor(np.ones((2, 4), dtype=np.float32)))


# -- dtypes ----------------------------------------------------------------------------
def test_default_dtype_is_float32(device_backend):
    assert backend.get_default_dtype() == np.float32
    assert Tensor(1.5).dtype == np.float32
    assert Tensor([1.0, 2.0]).dtype == np.float32
    assert all(p.dtype == np.float32 for p in nn.MLP(4, 3, [5]).parameters())
    assert Tensor([1, 2]).dtype.kind == "i"                      # integers stay integers (labels)


def test_float64_array_stays_float64(device_backend):
    t = Tensor(np.ones(3), requires_grad=True)
    assert t.dtype == np.float64
    (t * 2.0).sum().backward()
    assert t.grad.numpy().dtype == np.float64
    assert Tensor(np.ones(3), dtype="float32").dtype == np.float32


def test_set_default_dtype_switches_params_and_numbers():
    tinygrad_opt.set_default_dtype(np.float64)
    assert tinygrad_opt.get_default_dtype() == np.float64
    assert Tensor(1.5).dtype == np.float64
    assert all(p.dtype == np.float64 for p in nn.Linear(3, 2).parameters())
    tinygrad_opt.set_default_dtype("float32")
    assert Tensor([0.5]).dtype == np.float32


@pytest.mark.parametrize("dtype", [np.int32, "int64", bool])
def test_set_default_dtype_rejects_non_floats(dtype):
    with pytest.raises(TypeError, match=r"set_default_dtype: expected a floating dtype, got"):
        tinygrad_opt.set_default_dtype(dtype)
    assert backend.get_default_dtype() == np.float32


def test_requires_grad_needs_a_float_dtype():
    with pytest.raises(TypeError, match=r"Tensor\(requires_grad=True\) needs a floating dtype, got int64"):
        Tensor(np.array([1, 2], dtype=np.int64), requires_grad=True)


def test_bad_data_is_a_clear_error():
    with pytest.raises(TypeError, match=r"Tensor\(\): cannot make a tensor from str"):
        Tensor("abc")
    with pytest.raises(TypeError, match=r"data is already a Tensor; use t.detach\(\) or t.to"):
        Tensor(Tensor([1.0]))


def test_matmul_and_linear_refuse_mixed_float_dtypes():
    a32 = Tensor(np.ones((2, 3), dtype=np.float32))
    b64 = Tensor(np.ones((3, 2)))
    with pytest.raises(TypeError, match=r"matmul: both operands must have the same dtype, got float32 and float64"):
        a32 @ b64
    with pytest.raises(TypeError, match=r"linear: both operands must have the same dtype, got float64 and float32"):
        nn.Linear(3, 2)(Tensor(np.ones((4, 3))))


# -- seeding -----------------------------------------------------------------------------
def _init(seed):
    tinygrad_opt.manual_seed(seed)
    return {k: backend.to_numpy(v) for k, v in nn.MLP(6, 3, [5, 4]).state_dict().items()}


def test_manual_seed_gives_identical_init_twice():
    first, second, other = _init(0), _init(0), _init(1)
    assert list(first) == list(second)
    for k in first:
        np.testing.assert_array_equal(first[k], second[k])
    assert not np.array_equal(first["main.0.weight"], other["main.0.weight"])


def test_manual_seed_same_init_on_every_backend():
    inits = {}
    for name in ("numpy", "fakegpu"):
        backend.use(name)
        inits[name] = _init(123)
    for k in inits["numpy"]:
        np.testing.assert_array_equal(inits["numpy"][k], inits["fakegpu"][k])


def seeded_backend(name, seeds):
    """A backend whose own generator's seed function records its calls in ``seeds``."""
    return backend.Backend(name, "gpu", None, (), to_host=None, from_host=None, seed=seeds.append)


def test_a_backend_registered_after_manual_seed_is_seeded(registry):
    """CuPy registers on first use, often after the script called manual_seed."""
    tinygrad_opt.manual_seed(7)
    seeds = []
    backend.register(seeded_backend("seeded", seeds))
    assert seeds == [7]
    tinygrad_opt.manual_seed(8)                 # a later manual_seed reaches it too
    assert seeds == [7, 8]


def test_no_seed_for_a_backend_registered_before_any_manual_seed(registry):
    registry.setattr(backend, "_last_seed", None)
    seeds = []
    backend.register(seeded_backend("seeded", seeds))
    assert seeds == []


def test_rng_state_round_trip():
    tinygrad_opt.manual_seed(5)
    state = backend.rng_state()
    a = backend.host_rng().standard_normal(4)
    backend.set_rng_state(state)
    np.testing.assert_array_equal(backend.host_rng().standard_normal(4), a)
