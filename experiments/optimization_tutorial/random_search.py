"""Section 3, high-dimensional search: a random direction vs the gradient.

From a model w, compare the change of the loss L(w') - L(w) after

* one gradient-descent step, w' = w - lr * grad L(w) (lr 1e-2), with
* 100 random steps, w' = w + 0.01 * z, z ~ N(0, I) (``random_update``),

for the linear model at initialization and after 200 Adam steps (the filters section).
In 7850 dimensions a random direction is almost orthogonal to the gradient, so it changes
the loss by little, and up as often as down; the gradient step always goes down.
"""
import copy

import numpy as np

from experiments import common
from tinygrad_opt import manual_seed, nn, no_grad
from tinygrad_opt.optim.functional import gradient_update

from .course import loss_fn, partially_trained_linear, random_update

GD_LR = 1e-2
NOISE_SCALE = 1e-2
TRIALS = 100


def loss_changes(model, X, y, rng, trials):
    """(gradient-step change, [random-step changes]) of the loss on (X, y), from ``model``."""
    with no_grad():
        base = loss_fn(model, X, y).item()
    stepped = copy.deepcopy(model)
    gradient_update(loss_fn(stepped, X, y), stepped.parameters(), lr=GD_LR)
    with no_grad():
        gd_delta = loss_fn(stepped, X, y).item() - base
        deltas = []
        for _ in range(trials):
            moved = copy.deepcopy(model)
            random_update(moved, NOISE_SCALE, rng)
            deltas.append(loss_fn(moved, X, y).item() - base)
    return gd_delta, deltas


def run(data, args, out):
    trials = 10 if args.quick else TRIALS
    manual_seed(args.seed)
    initial = nn.MLP(in_dim=784, out_dim=10, hidden_dims=[])
    trained, _ = partially_trained_linear(data.X, data.y, args.seed, steps=20 if args.quick else 200)
    rng = np.random.default_rng(args.seed)
    results = {}
    for label, model in (("Initialization", initial), ("Partially trained", trained)):
        gd_delta, deltas = loss_changes(model, data.X, data.y, rng, trials)
        results[label] = {"gd_delta": gd_delta, "random_deltas": deltas}

    plt = common.pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, (label, r) in zip(axes, results.items()):
        ax.hist(r["random_deltas"], bins=20, label="Random directions")
        ax.axvline(0, color="green", alpha=0.5)
        ax.axvline(r["gd_delta"], linestyle="--", color="red", label="Gradient descent")
        ax.set_title(label)
        ax.set_xlabel("Change in loss")
        ax.set_ylabel("Number of directions")
    axes[0].legend(loc="upper left", fontsize=8)
    common.save_figure(fig, out / "random_search.png")

    rows = [[label, f"{r['gd_delta']:+.5f}", f"{np.mean(r['random_deltas']):+.5f}",
             f"{np.min(r['random_deltas']):+.5f}",
             f"{np.mean(np.array(r['random_deltas']) < 0) * 100:.0f} %"] for label, r in results.items()]
    print(common.format_table(["model", "GD step", "random: mean", "random: best", "random: loss down"], rows))
    result = {"section": "random_search", "gd_lr": GD_LR, "noise_scale": NOISE_SCALE, "trials": trials,
              "models": results}
    common.save_json(out / "random_search.json", result)
    return result
