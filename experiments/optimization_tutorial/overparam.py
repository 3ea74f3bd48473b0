"""Section 5, non-convexity: overparameterization to the rescue (interactive demo 5).

With a hidden layer the loss is no longer convex in the parameters, and gradient descent
may stall in poor regions. For each architecture, one base model is perturbed ``num_inits``
times (``random_update`` with noise 0.2) and each copy is trained by full-batch gradient
descent on the 500-example subset. The widget's knobs: hidden_dims "10", "20, 20" or
"100, 100" (the section runs all three), max_steps 50..500 (150), lr 10^-3..10^0 (5e-2),
num_inits 5..10 (7). In a convex problem all copies would end at the same loss; here the
narrow network's copies spread out and stay high, while the wide ones all go down fast and
together. A copy whose loss turns nan or inf stops there (the rest of its curve stays nan)
and is recorded as diverged; the other copies go on.
"""
import copy

import numpy as np

from experiments import common
from tinygrad_opt import manual_seed, nn
from tinygrad_opt.optim.functional import gradient_update

from .course import Knob, knob, loss_fn, random_update

HIDDEN_DIMS = ("10", "20, 20", "100, 100")
NOISE_SCALE = 2e-1
LR = 5e-2
# Interactive demo 5's controls: IntSlider(150, 50, 500, 5), Dropdown, FloatLogSlider(5e-2, -3, 0, 0.1),
# IntSlider(7, 5, 10, 1).
KNOBS = {"max_steps": Knob(150, 50, 500, 5), "hidden_dims": Knob("10", choices=HIDDEN_DIMS),
         "lr": Knob(LR, -3, 0, 0.1, log=True), "num_inits": Knob(7, 5, 10, 1)}


def train_copies(base, X, y, num_inits, max_steps, lr, progress=None):
    """Loss curves (num_inits, max_steps) of perturbed copies of ``base``, each trained by GD,
    and for each copy the step (counted from 1) whose loss was nan or inf, or None."""
    loss_hist = np.full((num_inits, max_steps), np.nan)
    diverged_at = [None] * num_inits
    for i in range(num_inits):
        model = copy.deepcopy(base)
        random_update(model, noise_scale=NOISE_SCALE)
        params = list(model.parameters())
        for step in range(max_steps):
            loss = loss_fn(model, X, y)
            gradient_update(loss, params, lr=lr)
            loss_hist[i, step] = loss.item()
            if progress is not None:
                progress.update(1)
            if common.is_diverged(loss_hist[i, step]):
                diverged_at[i] = step + 1
                if progress is not None:
                    progress.update(max_steps - step - 1)
                break
    return loss_hist, diverged_at


def overparam(data, max_steps=150, hidden_dims="10", lr=5e-2, num_inits=7, seed=None, progress=None):
    """Interactive demo 5 with the widget's knobs. ``seed``: ``manual_seed`` first (None: go on
    from the generator's state, as the widget does). Returns the Figure and the numbers."""
    if seed is not None:
        manual_seed(seed)
    hdims = [int(s) for s in hidden_dims.split(",")]
    base_model = nn.MLP(in_dim=784, out_dim=10, hidden_dims=hdims)
    loss_hist, diverged_at = train_copies(base_model, data.X, data.y, num_inits, max_steps, lr, progress)
    num_params = sum(p.numel() for p in base_model.parameters())
    plt = common.pyplot()
    fig, ax = plt.subplots(1, 1, figsize=(5, 4))
    ax.plot(loss_hist.T, linewidth=1)
    ax.set_xlabel("Iteration")
    ax.set_ylabel("Loss")
    ax.set_ylim(0, 3)
    ax.set_title(f"hidden {hidden_dims}: {num_params:,} parameters, lr {lr:g}", fontsize=10)
    return fig, {"hidden_dims": hdims, "num_params": num_params, "loss_curves": loss_hist,
                 "diverged_at": diverged_at}


def run(data, args, out):
    max_steps = knob(args, "overparam", "max_steps", KNOBS)
    lr = getattr(args, "overparam_lr", None) or LR          # LR is the slider's default
    num_inits = knob(args, "overparam", "num_inits", KNOBS)
    if args.quick:
        max_steps, num_inits = 15, 2
    chosen = getattr(args, "overparam_hidden_dims", None)
    architectures = (chosen,) if chosen else HIDDEN_DIMS          # the widget shows one; the section all three
    results = {}
    with common.progress(total=len(architectures) * num_inits * max_steps, desc="overparam",
                         disable=args.no_progress) as bar:
        for hidden in architectures:
            fig, results[hidden] = overparam(data, max_steps, hidden, lr, num_inits, seed=args.seed, progress=bar)
            common.pyplot().close(fig)

    plt = common.pyplot()
    fig, axes = plt.subplots(1, len(results), figsize=(4.2 * len(results), 3.8), sharey=True, squeeze=False)
    axes = axes[0]
    for ax, r in zip(axes, results.values(), strict=True):
        ax.plot(r["loss_curves"].T, linewidth=1)
        ax.set_title(f"hidden {r['hidden_dims']}: {r['num_params']:,} parameters", fontsize=10)
        ax.set_xlabel("Iteration")
        ax.set_ylim(0, 3)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("Loss (500 examples)")
    fig.suptitle(f"{num_inits} perturbed initializations each, gradient descent lr {lr:g}")
    common.save_figure(fig, out / "overparam.png")

    rows = []
    for r in results.values():
        final = r["loss_curves"][:, -1]
        final = final[np.isfinite(final)]          # the copies that did not diverge
        numbers = [f"{v:.4f}" for v in (final.mean(), final.std(), final.min(), final.max())] if len(final) \
            else ["-"] * 4
        diverged = sum(d is not None for d in r["diverged_at"])
        rows.append([str(r["hidden_dims"]), f"{r['num_params']:,}", *numbers, f"{diverged} of {num_inits}"])
    print(common.format_table(["hidden dims", "parameters", f"loss after {max_steps}: mean", "std", "min", "max",
                               "diverged"], rows))
    result = {"section": "overparam", "steps": max_steps, "lr": lr, "inits": num_inits, "noise_scale": NOISE_SCALE,
              "models": {str(r["hidden_dims"]): r for r in results.values()}}
    common.save_json(out / "overparam.json", result)
    return result
