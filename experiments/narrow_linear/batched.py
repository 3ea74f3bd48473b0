"""Many deep narrow networks trained at once: one row of a weight matrix per run.

One run is tiny (a product of ``depth`` numbers times 100 inputs), so training runs one by
one would spend nearly all its time in Python. Stacking R runs of the same depth into one
``W: (R, depth)`` Parameter makes every op work on all of them together:

    y_hat_r = x prod_i W_ri                          (R, n)
    L_r     = (1/2) mean_k (y_k - y_hat_rk)^2        (R,)

The runs share no weight, so the gradient of ``sum_r lr_r L_r`` with respect to row r is
``lr_r dL_r/dW_r``: that run's own gradient scaled by its own learning rate. One SGD step
with lr = 1 on that sum is therefore exactly one gradient-descent step of every run, each
with its own learning rate. A run whose gradient turns nan or inf (the course's divergence
test) stops there and its row leaves the matrix; the others go on.
"""
import numpy

import tinygrad_opt.nn.functional as F
from tinygrad_opt import Tensor, backend, nn
from tinygrad_opt.optim import SGD


class DeepNarrowLNNBatch(nn.Module):
    """R independent ``DeepNarrowLNN`` of the same depth; ``init_ws: (R, depth)``."""

    def __init__(self, init_ws, dtype=numpy.float64):
        init = numpy.asarray(init_ws, dtype=dtype)
        if init.ndim != 2 or init.size == 0:
            raise ValueError(f"DeepNarrowLNNBatch: expected initial weights of shape (runs, depth), "
                             f"got shape {init.shape}")
        self.w = nn.Parameter(init)

    def forward(self, x):
        """x: (n,) -> y_hat: (R, n), row r = x prod_i W_ri."""
        return self.w.prod(axis=1, keepdims=True) * x

    def loss(self, y_p, y_t):
        """Each run's loss, (1/2) mean_k (y_t_rk - y_p_rk)^2: (R,). ``y_t: (R, n)``."""
        return 0.5 * F.mse_loss(y_p, y_t, reduction="none").mean(axis=1)


def train_batch(init_ws, x, y, lrs, n_epochs, dtype=numpy.float64):
    """Gradient descent on R deep narrow nets at once, run r from ``init_ws[r]`` with learning
    rate ``lrs[r]``; init_ws: (R, depth), x, y: (n,) host arrays.

    A run whose gradient turns nan or inf leaves the batch: its row is dropped from the
    weight matrix (a new, smaller Parameter) and the others go on, so runs that explode in
    their first epochs cost nothing afterwards.

    Returns ``losses: (n_epochs, R)`` (loss before each epoch's step, nan once a run has left)
    and ``diverged_at: (R,)`` (epoch whose gradient was nan/inf, -1 for runs that never
    diverged), both host arrays.
    """
    model = DeepNarrowLNNBatch(init_ws, dtype=dtype)
    runs = model.w.shape[0]
    xp = backend.get_array_module(model.w.array)
    x = Tensor(x, dtype=dtype)
    target = Tensor(xp.broadcast_to(Tensor(y, dtype=dtype).array, (runs, len(y))))
    lr = Tensor(numpy.broadcast_to(numpy.asarray(lrs, dtype=dtype), (runs,)))
    optimizer = SGD(model.parameters(), lr=1.0)
    rows = xp.arange(runs)                   # the run each row of the batch belongs to
    losses = xp.full((n_epochs, runs), xp.nan, dtype=dtype)
    diverged_at = xp.full(runs, -1)
    with numpy.errstate(over="ignore", invalid="ignore"):   # diverging runs overflow, by design
        for i in range(n_epochs):
            optimizer.zero_grad()
            loss = model.loss(model(x), target)
            losses[i, rows] = loss.array
            (lr * loss).sum().backward()
            finite = xp.isfinite(model.w.grad.array).all(axis=1)
            optimizer.step()
            if not bool(finite.all()):           # these runs diverged: they leave the batch
                diverged_at[rows[~finite]] = i
                rows = rows[finite]
                if rows.size == 0:
                    break
                model.w = nn.Parameter(model.w.array[finite])
                optimizer = SGD(model.parameters(), lr=1.0)
                lr, target = Tensor(lr.array[finite]), Tensor(target.array[finite])
    return backend.to_numpy(losses), backend.to_numpy(diverged_at)
