"""allocator.py: a steady training loop must not page-fault every step (glibc keeps freed memory).

Counted, not timed: minor page faults per step of the MNIST-sized loop in PyTorch's order
(zero_grad, forward, backward, step) alone in a fresh process, which made about 190 per
step before the fix (``python -m experiments.benchmark --only faults`` shows both).
"""
import sys

import pytest

from experiments.benchmark import steady_loop
from tinygrad_opt.allocator import keep_freed_memory


def test_switched_off_by_the_environment_variable(monkeypatch):
    monkeypatch.setenv("TINYGRAD_OPT_MALLOC_TOP_PAD", "0")
    assert keep_freed_memory() is False


@pytest.mark.skipif(not (sys.platform.startswith("linux") and keep_freed_memory()),
                    reason="mallopt(M_TOP_PAD) is glibc's")
def test_training_loop_in_pytorch_order_does_not_page_fault_every_step():
    faults_per_step, _ = steady_loop(top_pad=None, steps=100)
    assert faults_per_step < 10, f"{faults_per_step} page faults per training step"
