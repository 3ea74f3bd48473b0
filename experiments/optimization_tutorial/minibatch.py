"""Section 6, full gradients are expensive: minibatch size under a fixed time budget.

Each update uses a random minibatch (``sample_minibatch``) of the 60 000 training images,
so its cost grows with the batch size: in the same wall-clock time, small batches make many
cheap, noisy updates and large batches few accurate ones. A 784-100-100-10 MLP is trained
by gradient descent for 2.5 seconds per batch size (20, 250, 1000), as in the course's
demo 6.2, first with the course's lr 5e-3 for all three, then with a learning rate that
grows with the batch (a larger batch's gradient is less noisy, so it can take a larger
step). The loss is plotted against seconds, so the numbers depend on the machine and on
what else runs on it. A run whose loss turns nan or inf stops there and is recorded as
diverged (``diverged_at``: that update, counted from 1); the other runs go on.
"""
import copy
import time

import numpy as np

import tinygrad_opt.nn.functional as F
from experiments import common
from tinygrad_opt import manual_seed, nn
from tinygrad_opt.data import sample_minibatch
from tinygrad_opt.optim.functional import gradient_update


BATCH_SIZES = (20, 250, 1000)
LEARNING_RATES = {"course's lr": (5e-3, 5e-3, 5e-3), "lr grows with batch": (5e-2, 2e-1, 4e-1)}
TIME_BUDGET = 2.5
QUICK_STEPS = 5      # --quick counts updates, not seconds: the same work however busy the machine


def train_for(model, x, y, batch_size, lr, budget, rng, max_steps=None):
    """Gradient descent on random minibatches for ``budget`` seconds (or ``max_steps`` updates,
    when given: --quick and the tests). Returns rows (seconds, loss)
    and the update whose loss was nan or inf (counted from 1; None if none was), where it stopped."""
    params = list(model.parameters())
    history = []
    start = time.perf_counter()
    while (len(history) < max_steps) if max_steps is not None else (time.perf_counter() - start < budget):
        xb, yb = sample_minibatch(x, y, batch_size, rng)
        loss = F.nll_loss(model(xb), yb)     # the batches are Tensors
        gradient_update(loss, params, lr=lr)
        history.append((time.perf_counter() - start, loss.item()))
        if common.is_diverged(history[-1][1]):
            return np.array(history), len(history)
    return np.array(history), None


def run(data, args, out):
    budget, max_steps = (None, QUICK_STEPS) if args.quick else (TIME_BUDGET, None)
    manual_seed(args.seed)
    base = nn.MLP(in_dim=784, out_dim=10, hidden_dims=[100, 100])
    runs = {}
    with common.progress(total=len(LEARNING_RATES) * len(BATCH_SIZES), desc="minibatch",
                         disable=args.no_progress) as bar:
        for setting, lrs in LEARNING_RATES.items():
            for batch_size, lr in zip(BATCH_SIZES, lrs):
                rng = np.random.default_rng(args.seed)
                history, diverged_at = train_for(copy.deepcopy(base), data.x_train, data.y_train, batch_size, lr,
                                                 budget, rng, max_steps)
                runs[f"{setting}, batch {batch_size}"] = {"setting": setting, "batch_size": batch_size, "lr": lr,
                                                          "seconds": history[:, 0], "loss": history[:, 1],
                                                          "diverged_at": diverged_at}
                bar.update(1)

    plt = common.pyplot()
    fig, axes = plt.subplots(len(LEARNING_RATES), len(BATCH_SIZES), figsize=(11, 3.2 * len(LEARNING_RATES)),
                             sharex=True, sharey=True, squeeze=False)
    for ax, r in zip(axes.flat, runs.values()):
        ax.plot(r["seconds"], r["loss"], alpha=0.8, linewidth=0.8)
        status = f"diverged at update {r['diverged_at']}" if r["diverged_at"] else f"{len(r['loss'])} updates"
        ax.set_title(f"batch {r['batch_size']}, lr {r['lr']:g}: {status}", fontsize=10)
        ax.set_ylim(0, 2.5)
        ax.grid(alpha=0.3)
    for ax in axes[-1]:
        ax.set_xlabel("seconds")
    for ax in axes[:, 0]:
        ax.set_ylabel("minibatch loss")
    common.save_figure(fig, out / "minibatch.png")

    rows = [[r["setting"], str(r["batch_size"]), f"{r['lr']:g}", str(len(r["loss"])),
             f"{1e3 * r['seconds'][-1] / len(r['loss']):.2f}",
             f"diverged at {r['diverged_at']}" if r["diverged_at"] else f"{r['loss'][-20:].mean():.3f}"]
            for r in runs.values()]
    print(common.format_table(["setting", "batch", "lr", "updates", "ms/update", "loss (last 20)"], rows))
    result = {"section": "minibatch", "time_budget_s": budget, "max_steps": max_steps, "runs": runs}
    common.save_json(out / "minibatch.json", result)
    return result
