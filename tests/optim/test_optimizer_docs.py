"""Every code block of docs/optimizers.md runs (the checker's examples are also checked line by
line in test_optimizer_checker.py), and the page's TextbookAdam is Adam, step for step (to rounding)."""
import re
from pathlib import Path

import numpy as np
import pytest

from tinygrad_opt import Tensor, nn, optim
import tinygrad_opt.nn.functional as F
from tinygrad_opt.optim.check import OptimizerMismatch

PAGE = Path(__file__).resolve().parents[2] / "docs" / "optimizers.md"


def _blocks():
    return re.findall(r"```python\n(.*?)```", PAGE.read_text(), re.S)


def _namespace():
    """What the page's usage example takes as given: a model, its batches and a loss."""
    rng = np.random.default_rng(0)
    model = nn.MLP(4, 3, [5])
    batches = [(Tensor(rng.standard_normal((8, 4)).astype(np.float32)), Tensor(rng.integers(0, 3, 8)))
               for _ in range(3)]
    return {"model": model, "batches": batches, "loss_fn": F.cross_entropy if hasattr(F, "cross_entropy")
            else (lambda z, y: F.nll_loss(F.log_softmax(z), y))}


def test_every_code_block_runs():
    namespace = _namespace()
    blocks = _blocks()
    assert len(blocks) >= 7
    for block in blocks:
        if "check_optimizer(StudentAdam" in block:         # shown with the error it raises
            with pytest.raises(OptimizerMismatch):
                exec(block, namespace)
        else:
            exec(block, namespace)
    assert {"TextbookAdam", "MyOptimizer", "MyTorchStyleOptimizer", "Lion", "lrs"} <= set(namespace)


def test_textbook_adam_on_the_page_is_adam():
    namespace = {}
    exec(next(b for b in _blocks() if "class TextbookAdam" in b), namespace)
    rng = np.random.default_rng(1)
    x0, grads = rng.standard_normal((3, 2)), rng.standard_normal((20, 3, 2))
    a, b = Tensor(x0.copy(), requires_grad=True), Tensor(x0.copy(), requires_grad=True)
    page, lib = namespace["TextbookAdam"]([a], lr=0.01), optim.Adam([b], lr=0.01)
    for g in grads:
        a.grad, b.grad = Tensor(g.copy()), Tensor(g.copy())
        page.step()
        lib.step()
    np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-13)      # Adam steps by its fast path


def test_template_as_a_rule_and_as_a_step_override_agree():
    namespace = {}
    exec(next(b for b in _blocks() if "class MyOptimizer" in b), namespace)
    p, q = Tensor(np.ones(3), requires_grad=True), Tensor(np.ones(3), requires_grad=True)
    rule, override = namespace["MyOptimizer"]([p], lr=0.5), namespace["MyTorchStyleOptimizer"]([q], lr=0.5)
    for _ in range(2):
        p.grad, q.grad = Tensor(np.arange(3.0)), Tensor(np.arange(3.0))
        rule.step()
        override.step()
    np.testing.assert_array_equal(p.numpy(), [1.0, 0.0, -1.0])
    np.testing.assert_array_equal(q.numpy(), p.numpy())
