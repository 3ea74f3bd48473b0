"""Section 7, adaptive methods: RMSprop (coding exercise 7) and the optimizer comparison
(interactive demo 7).

RMSprop divides each coordinate's step by a running root-mean-square of its gradients,

    s_t = alpha * s_{t-1} + (1 - alpha) * g_t^2,     w_{t+1} = w_t - lr * g_t / sqrt(s_t + eps)

(``rmsprop_update``), so flat and steep directions get comparable steps without tuning a
learning rate per direction. Demo 7 trains a 784-100-100-10 MLP on random minibatches of the
full training set with SGD, momentum (beta 0.9) and RMSprop (alpha 0.8). Its controls and
their defaults: batch_size 25..250 step 5 (135: ipywidgets' middle of the ``(25, 250, 5)``
tuple), lr 10^-5..10^0 (2e-3), max_steps 50..500 step 5 (275). All three see the same
minibatches from the same initial weights. An extra panel sweeps the learning rate to answer
the course's question: how robust is each method to it? A run whose loss turns nan or inf
stops there and is recorded as diverged, with the step.
"""
import copy

import numpy as np

from experiments import common
from tinygrad_opt import backend, manual_seed, nn
from tinygrad_opt.optim.functional import gradient_update, momentum_update, rmsprop_update

from .course import Knob, format_params, knob, loss_fn, sample_minibatch

METHODS = {"SGD": (gradient_update, {}), "Momentum": (momentum_update, {"beta": 0.9}),
           "RMSprop": (rmsprop_update, {"alpha": 0.8})}
SWEEP_LRS = (1e-4, 1e-3, 1e-2, 1e-1, 1.0)
COLORS = {"SGD": "black", "Momentum": "red", "RMSprop": "fuchsia"}
# Demo 7's controls: batch_size=(25, 250, 5), FloatLogSlider(value=2e-3, min=-5, max=0), max_steps=(50, 500, 5).
KNOBS = {"batch_size": Knob(135, 25, 250, 5), "lr": Knob(2e-3, -5, 0, 0.1, log=True),
         "max_steps": Knob(275, 50, 500, 5)}


def train(base, method, lr, x, y, max_steps, batch_size, seed):
    """Minibatch loss at each of ``max_steps`` updates of ``method`` from a copy of ``base``; a run
    that diverges stops at its first nan or inf loss (the last one returned)."""
    update_fn, kwargs = METHODS[method]
    model = copy.deepcopy(base)
    params = list(model.parameters())
    aux_tensors = [backend.get_array_module(p.array).zeros_like(p.array) for p in params]
    rng = np.random.default_rng(seed)
    losses = []
    for _ in range(max_steps):
        data, labels = sample_minibatch(x, y, batch_size, rng)
        loss = loss_fn(model, data, labels)
        if update_fn is gradient_update:
            update_fn(loss, params, lr=lr, **kwargs)
        else:
            update_fn(loss, params, aux_tensors, lr=lr, **kwargs)
        losses.append(loss.item())
        if common.is_diverged(losses[-1]):
            break
    return np.array(losses)


def compare_optimizers(data, batch_size=135, lr=2e-3, max_steps=275, seed=None):
    """Interactive demo 7 with the widget's knobs. Returns the Figure and each method's losses."""
    if seed is not None:
        manual_seed(seed)
    base_model = nn.MLP(in_dim=784, out_dim=10, hidden_dims=[100, 100])
    curves = {m: train(base_model, m, lr, data.x_train, data.y_train, max_steps, batch_size, seed) for m in METHODS}
    plt = common.pyplot()
    fig, axs = plt.subplots(1, len(METHODS), figsize=(9, 3))
    for ax, (method, losses) in zip(axs, curves.items(), strict=True):
        ax.plot(losses, color=COLORS[method], alpha=0.8)
        ax.set_title(f"{method}, lr {lr:g}")
        ax.set_xlabel("Iteration")
        ax.set_ylabel("Loss")
        ax.set_ylim(0, 2.5)
    return fig, curves


def diverged_at(losses):
    """The step (counted from 1) whose loss was nan or inf, or None: ``train`` stops there."""
    return len(losses) if len(losses) and common.is_diverged(losses[-1]) else None


def final_loss(losses, steps):
    """Mean loss of the last 20 updates; inf for a run that diverged before the end."""
    return float(losses[-20:].mean()) if len(losses) == steps and np.isfinite(losses).all() else float("inf")


def rmsprop_check(data, seed):
    """Coding exercise 7's check cell: ``set_seed(SEED)``, a linear model, ``grad_sq = [1e-6 * p ...]``,
    one ``rmsprop_update`` with lr 1e-3. Returns the parameters before and after."""
    manual_seed(seed)
    model3 = nn.MLP(in_dim=784, out_dim=10, hidden_dims=[])
    before = [p.numpy().copy() for p in model3.parameters()]
    print("\n The model3 parameters before the update are: \n")
    print(format_params(model3))
    loss = loss_fn(model3, data.X, data.y)
    grad_sq = [1e-6 * p.data for p in model3.parameters()]       # the course's starting "average"
    with np.errstate(invalid="ignore"):       # sqrt of a negative start: counted and explained by run()
        rmsprop_update(loss, list(model3.parameters()), grad_sq=grad_sq, lr=1e-3)
    print("\n The model3 parameters after the update are: \n")
    print(format_params(model3))
    return before, [p.numpy() for p in model3.parameters()]


def run(data, args, out):
    before, after = rmsprop_check(data, args.seed)
    steps_taken = np.abs(np.concatenate([(a - b).ravel() for a, b in zip(after, before, strict=True)]))
    nan = int(np.isnan(steps_taken).sum())
    print(f"(the course's expected output starts from PyTorch's initial weights, so the digits differ; the size of "
          f"the step is the check: where g^2 dominates s = 0.8 * 1e-6 * w + 0.2 * g^2, every number moves by "
          f"lr / sqrt(0.2) = {1e-3 / np.sqrt(0.2):.5f}; median |step| here {np.nanmedian(steps_taken):.5f}. "
          f"{nan} of {steps_taken.size} numbers became nan: the course's start 1e-6 * w is negative for negative "
          f"weights, and where 0.2 * g^2 does not make up for it the square root is nan, in PyTorch as here)")

    batch_size = knob(args, "optimizers", "batch_size", KNOBS)
    lr, steps = knob(args, "optimizers", "lr", KNOBS), knob(args, "optimizers", "max_steps", KNOBS)
    if args.quick:
        steps = 20
    fig, curves = compare_optimizers(data, batch_size, lr, steps, seed=args.seed)
    common.save_figure(fig, out / "rmsprop.png")

    manual_seed(args.seed)
    base = nn.MLP(in_dim=784, out_dim=10, hidden_dims=[100, 100])
    sweep, sweep_diverged_at = {m: [] for m in METHODS}, {m: [] for m in METHODS}
    with common.progress(total=len(METHODS) * len(SWEEP_LRS), desc="rmsprop", disable=args.no_progress) as bar:
        for method in METHODS:
            for sweep_lr in SWEEP_LRS:
                losses = train(base, method, sweep_lr, data.x_train, data.y_train, steps, batch_size, args.seed)
                sweep[method].append(final_loss(losses, steps))
                sweep_diverged_at[method].append(diverged_at(losses))
                bar.update(1)
    plt = common.pyplot()
    fig, ax = plt.subplots(1, 1, figsize=(5, 3.4))
    for method, values in sweep.items():
        ax.semilogx(SWEEP_LRS, [v if np.isfinite(v) else np.nan for v in values], "o-", color=COLORS[method],
                    label=method)
    ax.set_ylim(0, 2.5)
    ax.set_xlabel("learning rate")
    ax.set_ylabel(f"loss, mean of the last 20 of {steps}")
    ax.set_title("EXTRA: robustness to the learning rate (gap: diverged)", fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    common.save_figure(fig, out / "rmsprop_sweep.png")

    print(f"\ndemo 7 with batch_size {batch_size}, lr {lr:g}, max_steps {steps}: mean loss of the last 20 steps")
    print(common.format_table(list(METHODS), [[f"{final_loss(c, steps):.3f}" for c in curves.values()]]))
    headers = ["method"] + [f"lr {x:g}" for x in SWEEP_LRS]
    rows = [[m] + [f"{v:.3f}" if np.isfinite(v) else f"diverged at {d}"
                   for v, d in zip(values, sweep_diverged_at[m], strict=True)]
            for m, values in sweep.items()]
    print("EXTRA, the learning-rate sweep (same batches and steps):")
    print(common.format_table(headers, rows))
    result = {"section": "rmsprop", "batch_size": batch_size, "steps": steps, "lr": lr,
              "check_median_step": float(np.nanmedian(steps_taken)), "check_nan": nan,
              "settings": {m: s for m, (_, s) in METHODS.items()}, "curves": curves,
              "curves_diverged_at": {m: diverged_at(losses) for m, losses in curves.items()},
              "sweep_lrs": SWEEP_LRS, "sweep_final_loss": sweep, "sweep_diverged_at": sweep_diverged_at}
    common.save_json(out / "rmsprop.json", result)
    return result
