"""Section 7, adaptive methods: RMSprop vs gradient descent vs momentum.

RMSprop divides each coordinate's step by a running root-mean-square of its gradients,

    s_t = alpha * s_{t-1} + (1 - alpha) * g_t^2,     w_{t+1} = w_t - lr * g_t / sqrt(s_t + eps)

(``rmsprop_update``), so flat and steep directions get comparable steps without tuning a
learning rate per direction. The course's demo 7: a 784-100-100-10 MLP on random
minibatches of the full training set, lr 2e-3, momentum beta 0.9, RMSprop alpha 0.8;
the batch size (128) and number of steps (300) are mid-range values of the demo's sliders.
All three see the same minibatches from the same initial weights. A second panel sweeps
the learning rate to show what the course asks about: how robust each method is to it.
A run whose loss turns nan or inf stops there and is recorded as diverged, with the step.
"""
import copy

import numpy as np

import tinygrad_opt.nn.functional as F
from experiments import common
from tinygrad_opt import backend, manual_seed, nn
from tinygrad_opt.data import sample_minibatch
from tinygrad_opt.optim.functional import gradient_update, momentum_update, rmsprop_update


BATCH_SIZE, STEPS, LR = 128, 300, 2e-3
METHODS = {"SGD": (gradient_update, {}), "Momentum": (momentum_update, {"beta": 0.9}),
           "RMSprop": (rmsprop_update, {"alpha": 0.8})}
SWEEP_LRS = (1e-4, 1e-3, 1e-2, 1e-1, 1.0)
COLORS = {"SGD": "black", "Momentum": "red", "RMSprop": "fuchsia"}


def train(base, method, lr, x, y, steps, seed):
    """Minibatch loss at each of ``steps`` updates of ``method`` from a copy of ``base``; a run
    that diverges stops at its first nan or inf loss (the last one returned)."""
    update, settings = METHODS[method]
    model = copy.deepcopy(base)
    params = list(model.parameters())
    buffers = [backend.get_array_module(p.array).zeros_like(p.array) for p in params]
    rng = np.random.default_rng(seed)
    losses = []
    for _ in range(steps):
        xb, yb = sample_minibatch(x, y, BATCH_SIZE, rng)
        loss = F.nll_loss(model(xb), yb)     # the batches are Tensors
        if update is gradient_update:
            update(loss, params, lr=lr)
        else:
            update(loss, params, buffers, lr=lr, **settings)
        losses.append(loss.item())
        if common.is_diverged(losses[-1]):
            break
    return np.array(losses)


def diverged_at(losses):
    """The step (counted from 1) whose loss was nan or inf, or None: ``train`` stops there."""
    return len(losses) if len(losses) and common.is_diverged(losses[-1]) else None


def final_loss(losses, steps):
    """Mean loss of the last 20 updates; inf for a run that diverged before the end."""
    return float(losses[-20:].mean()) if len(losses) == steps and np.isfinite(losses).all() else float("inf")


def run(data, args, out):
    steps = 20 if args.quick else STEPS
    manual_seed(args.seed)
    base = nn.MLP(in_dim=784, out_dim=10, hidden_dims=[100, 100])
    curves, sweep, sweep_diverged_at = {}, {m: [] for m in METHODS}, {m: [] for m in METHODS}
    with common.progress(total=len(METHODS) * (1 + len(SWEEP_LRS)), desc="rmsprop",
                         disable=args.no_progress) as bar:
        for method in METHODS:
            curves[method] = train(base, method, LR, data.x_train, data.y_train, steps, args.seed)
            bar.update(1)
            for lr in SWEEP_LRS:
                losses = train(base, method, lr, data.x_train, data.y_train, steps, args.seed)
                sweep[method].append(final_loss(losses, steps))
                sweep_diverged_at[method].append(diverged_at(losses))
                bar.update(1)

    plt = common.pyplot()
    fig, axes = plt.subplots(1, len(METHODS) + 1, figsize=(14, 3.4))
    for ax, (method, losses) in zip(axes, curves.items()):
        ax.plot(losses, color=COLORS[method], alpha=0.8)
        ax.set_title(f"{method}, lr {LR:g}")
        ax.set_xlabel("iteration")
        ax.set_ylim(0, 2.5)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("minibatch loss")
    for method, values in sweep.items():
        shown = [v if np.isfinite(v) else np.nan for v in values]
        axes[-1].semilogx(SWEEP_LRS, shown, "o-", color=COLORS[method], label=method)
    axes[-1].set_ylim(0, 2.5)
    axes[-1].set_xlabel("learning rate")
    axes[-1].set_title(f"loss after {steps} steps (gap: diverged)")
    axes[-1].legend(fontsize=8)
    axes[-1].grid(alpha=0.3)
    common.save_figure(fig, out / "rmsprop.png")

    headers = ["method"] + [f"lr {lr:g}" for lr in SWEEP_LRS]
    rows = [[m] + [f"{v:.3f}" if np.isfinite(v) else f"diverged at {d}" for v, d in zip(values, sweep_diverged_at[m])]
            for m, values in sweep.items()]
    print(f"Minibatch loss (mean of the last 20 of {steps} steps, batch {BATCH_SIZE}):")
    print(common.format_table(headers, rows))
    result = {"section": "rmsprop", "batch_size": BATCH_SIZE, "steps": steps, "lr": LR,
              "settings": {m: s for m, (_, s) in METHODS.items()}, "curves": curves,
              "curves_diverged_at": {m: diverged_at(losses) for m, losses in curves.items()},
              "sweep_lrs": SWEEP_LRS, "sweep_final_loss": sweep, "sweep_diverged_at": sweep_diverged_at}
    common.save_json(out / "rmsprop.json", result)
    return result
