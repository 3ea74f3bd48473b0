"""The main job trains with ``cross_entropy(model.logits(x), y)``, one op; the course writes
``nll_loss(model(x), y)`` on the MLP's log-probabilities. The two must be the same numbers,
bit for bit: losses, gradients, trained parameters and test accuracies."""
import numpy as np
import pytest

import tinygrad_opt
import tinygrad_opt.nn.functional as F
from tinygrad_opt import Tensor, nn

from experiments import mnist_optimizers


def course_train_step(model, optimizer, xb, yb):
    """The course's step: the MLP's log-probabilities, then nll_loss."""
    optimizer.zero_grad()
    loss = F.nll_loss(model(xb), yb)
    loss.backward()
    optimizer.step()
    return loss.item()


@pytest.mark.parametrize("name", ["sgd", "momentum", "adam"])
def test_main_job_step_equals_the_course_loss(name):
    rng = np.random.default_rng(5)
    x = rng.random((600, 784), dtype=np.float32)
    y = rng.integers(0, 10, 600)
    x_test, y_test = rng.random((300, 784), dtype=np.float32), rng.integers(0, 10, 300)
    runs = []
    for step in (mnist_optimizers.train_step, course_train_step):
        tinygrad_opt.manual_seed(0)
        model = nn.MLP(784, 10, [100])
        cls, settings = mnist_optimizers.SETTINGS[name]
        opt = cls(model.parameters(), **settings)
        losses, accuracies = [], []
        for i in range(30):
            idx = np.arange(i % 6 * 100, i % 6 * 100 + 100)
            losses.append(step(model, opt, Tensor(x[idx]), Tensor(y[idx])))
            if i % 10 == 9:
                accuracies.append(mnist_optimizers.evaluate(model, x_test, y_test))
        runs.append((losses, accuracies, [p.numpy().copy() for p in model.parameters()]))
    (fused_losses, fused_acc, fused_params), (course_losses, course_acc, course_params) = runs
    assert fused_losses == course_losses
    assert fused_acc == course_acc
    for a, b in zip(fused_params, course_params, strict=True):
        np.testing.assert_array_equal(a, b)
    assert len(set(fused_losses)) > 1                   # it trained: the losses moved


def test_logits_are_the_scores_before_the_log_softmax():
    tinygrad_opt.manual_seed(1)
    model = nn.MLP(6, 3, [4])
    x = Tensor(np.random.default_rng(0).random((5, 2, 3), dtype=np.float32))     # (B, ...) is flattened
    np.testing.assert_array_equal(F.log_softmax(model.logits(x), 1).numpy(), model(x).numpy())
    assert model.logits(x).shape == (5, 3)
