"""allocator.py: a steady training loop must not page-fault every step (glibc keeps freed memory).

Counted, not timed: minor page faults per step of the MNIST-sized loop in PyTorch's order
(zero_grad, forward, backward, step), which made about 190 per step before the fix.
"""
import subprocess
import sys
import textwrap

import pytest

from tinygrad_opt.allocator import keep_freed_memory

LOOP = textwrap.dedent("""
    import resource, numpy as np
    import tinygrad_opt
    from tinygrad_opt import Tensor, nn, optim
    import tinygrad_opt.nn.functional as F
    rng = np.random.default_rng(0)
    x, y = rng.random((2000, 784), dtype=np.float32), rng.integers(0, 10, 2000)
    model = nn.MLP(784, 10, [100]); opt = optim.SGD(model.parameters(), lr=0.1)
    def step(i):
        idx = rng.integers(0, 2000, 100)
        opt.zero_grad()
        F.nll_loss(model(Tensor(x[idx])), Tensor(y[idx])).backward()
        opt.step()
    for i in range(50):
        step(i)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for i in range(200):
        step(i)
    print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 200)
""")


def glibc():
    return sys.platform.startswith("linux") and keep_freed_memory()


def test_switched_off_by_the_environment_variable(monkeypatch):
    monkeypatch.setenv("TINYGRAD_OPT_MALLOC_TOP_PAD", "0")
    assert keep_freed_memory() is False


@pytest.mark.skipif(not glibc(), reason="mallopt(M_TOP_PAD) is glibc's")
def test_training_loop_in_pytorch_order_does_not_page_fault_every_step():
    out = subprocess.run([sys.executable, "-c", LOOP], capture_output=True, text=True, check=True)
    faults_per_step = float(out.stdout)
    assert faults_per_step < 10, f"{faults_per_step} page faults per training step"
