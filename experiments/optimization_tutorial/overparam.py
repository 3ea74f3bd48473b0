"""Section 5, non-convexity: wider networks are easier to train.

With a hidden layer the loss is no longer convex in the parameters, and gradient descent
may stall in poor regions. For each architecture, one base model is perturbed seven times
(``random_update`` with noise 0.2) and each copy is trained by full-batch gradient descent
(lr 5e-2, 150 steps) on the 500-example subset -- the course's interactive demo 5.
In a convex problem all copies would end at the same loss; here the narrow network's
copies spread out and stay high, while the wide ones all go down fast and together.
A copy whose loss turns nan or inf stops there (the rest of its curve stays nan) and is
recorded as diverged; the other copies go on.
"""
import copy

import numpy as np

from experiments import common
from tinygrad_opt import manual_seed, nn
from tinygrad_opt.optim.functional import gradient_update

from .course import loss_fn, random_update

HIDDEN_DIMS = ([10], [20, 20], [100, 100])
STEPS, LR, INITS, NOISE_SCALE = 150, 5e-2, 7, 2e-1


def train_copies(base, X, y, rng, inits, steps, progress):
    """Loss curves (inits, steps) of ``inits`` perturbed copies of ``base``, each trained by GD,
    and for each copy the step (counted from 1) whose loss was nan or inf, or None."""
    curves = np.full((inits, steps), np.nan)
    diverged_at = [None] * inits
    for i in range(inits):
        model = copy.deepcopy(base)
        random_update(model, NOISE_SCALE, rng)
        params = list(model.parameters())
        for t in range(steps):
            loss = loss_fn(model, X, y)
            gradient_update(loss, params, lr=LR)
            curves[i, t] = loss.item()
            progress.update(1)
            if common.is_diverged(curves[i, t]):
                diverged_at[i] = t + 1
                progress.update(steps - t - 1)
                break
    return curves, diverged_at


def run(data, args, out):
    steps, inits = (15, 2) if args.quick else (STEPS, INITS)
    rng = np.random.default_rng(args.seed)
    results = {}
    with common.progress(total=len(HIDDEN_DIMS) * inits * steps, desc="overparam",
                         disable=args.no_progress) as bar:
        for hidden in HIDDEN_DIMS:
            manual_seed(args.seed)
            base = nn.MLP(in_dim=784, out_dim=10, hidden_dims=hidden)
            curves, diverged_at = train_copies(base, data.X, data.y, rng, inits, steps, bar)
            results[str(hidden)] = {"hidden_dims": hidden,
                                    "num_params": sum(p.numel() for p in base.parameters()),
                                    "loss_curves": curves, "diverged_at": diverged_at}

    plt = common.pyplot()
    fig, axes = plt.subplots(1, len(results), figsize=(4.2 * len(results), 3.8), sharey=True)
    for ax, r in zip(axes, results.values()):
        ax.plot(r["loss_curves"].T, linewidth=1)
        ax.set_title(f"hidden {r['hidden_dims']}: {r['num_params']:,} parameters", fontsize=10)
        ax.set_xlabel("iteration")
        ax.set_ylim(0, 3)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("training loss (500 examples)")
    fig.suptitle(f"{inits} perturbed initializations each, gradient descent lr {LR}")
    common.save_figure(fig, out / "overparam.png")

    rows = []
    for r in results.values():
        final = r["loss_curves"][:, -1]
        final = final[np.isfinite(final)]          # the copies that did not diverge
        numbers = [f"{v:.4f}" for v in (final.mean(), final.std(), final.min(), final.max())] if len(final) \
            else ["-"] * 4
        diverged = sum(d is not None for d in r["diverged_at"])
        rows.append([str(r["hidden_dims"]), f"{r['num_params']:,}", *numbers, f"{diverged} of {inits}"])
    print(common.format_table(["hidden dims", "parameters", f"loss after {steps}: mean", "std", "min", "max",
                               "diverged"], rows))
    result = {"section": "overparam", "steps": steps, "lr": LR, "inits": inits, "noise_scale": NOISE_SCALE,
              "models": results}
    common.save_json(out / "overparam.json", result)
    return result
