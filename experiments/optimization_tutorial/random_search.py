"""Section 3, high-dimensional search: a random direction vs the gradient.

From a model w, compare the change of the loss L(w') - L(w) after

* one gradient-descent step, w' = w - lr * grad L(w) (lr 1e-2), of length s = lr * ||grad L(w)||, with
* 100 random steps of the same length, w' = w + s * z / ||z||, z ~ N(0, I) over all the
  model's numbers at once (``random_step``),

for the linear model at initialization and after 200 Adam steps (the filters section).
Equal lengths make it a fair race: only the direction differs. (The course's
``random_update(model, 0.01)`` moves each number by 0.01, a step of length 0.01 * sqrt(7850)
= 0.89, far longer than the gradient step.) In 7850 dimensions a random direction is almost
orthogonal to the gradient, so it changes the loss by little, and up as often as down; the
gradient step, the steepest direction, always goes down.
"""
import copy

import numpy as np
from matplotlib.ticker import MaxNLocator

from experiments import common
from tinygrad_opt import backend, manual_seed, nn, no_grad
from tinygrad_opt.optim.functional import gradient_update

from .course import loss_fn, partially_trained_linear

GD_LR = 1e-2
TRIALS = 100


def step_length(before, after):
    """The Euclidean length of the step from model ``before`` to model ``after``, over all parameters."""
    return float(np.sqrt(sum(((a.numpy().astype(np.float64) - b.numpy()) ** 2).sum()
                             for a, b in zip(after.parameters(), before.parameters()))))


def random_step(model, length, rng):
    """Move all of ``model``'s parameters together by ``length`` in a random direction, in place:
    w <- w + length * z / ||z||, z ~ N(0, I) over every number of every parameter.
    ``rng``: a numpy Generator; the step is drawn on the host and copied to the backend."""
    noises = [rng.standard_normal(p.shape) for p in model.parameters()]
    scale = length / np.sqrt(sum((noise ** 2).sum() for noise in noises))
    for p, noise in zip(model.parameters(), noises):
        p.array += backend.backend_of(p.array).from_host((scale * noise).astype(p.dtype))


def loss_changes(model, X, y, rng, trials):
    """(gradient-step change, its length, [changes after random steps of that length]) of the loss on (X, y)."""
    with no_grad():
        base = loss_fn(model, X, y).item()
    stepped = copy.deepcopy(model)
    gradient_update(loss_fn(stepped, X, y), stepped.parameters(), lr=GD_LR)
    length = step_length(model, stepped)
    with no_grad():
        gd_delta = loss_fn(stepped, X, y).item() - base
        deltas = []
        for _ in range(trials):
            moved = copy.deepcopy(model)
            random_step(moved, length, rng)
            deltas.append(loss_fn(moved, X, y).item() - base)
    return gd_delta, length, deltas


def run(data, args, out):
    trials = 10 if args.quick else TRIALS
    manual_seed(args.seed)
    initial = nn.MLP(in_dim=784, out_dim=10, hidden_dims=[])
    trained, _ = partially_trained_linear(data.X, data.y, args.seed, steps=20 if args.quick else 200)
    rng = np.random.default_rng(args.seed)
    results = {}
    for label, model in (("Initialization", initial), ("Partially trained", trained)):
        gd_delta, length, deltas = loss_changes(model, data.X, data.y, rng, trials)
        results[label] = {"gd_delta": gd_delta, "step_length": length, "random_deltas": deltas}

    plt = common.pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, (label, r) in zip(axes, results.items()):
        ax.hist(r["random_deltas"], bins=20, label="Random directions")
        ax.axvline(0, color="green", alpha=0.5)
        ax.axvline(r["gd_delta"], linestyle="--", color="red", label="Gradient descent")
        ax.set_title(f"{label} (steps of length {r['step_length']:.3g})")
        ax.set_xlabel("Change in loss")
        ax.xaxis.set_major_locator(MaxNLocator(5))     # long tick labels: fewer of them, no overlap
        ax.set_ylabel("Number of directions")
    axes[0].legend(loc="upper left", fontsize=8)
    common.save_figure(fig, out / "random_search.png")

    rows = [[label, f"{r['step_length']:.4f}", f"{r['gd_delta']:+.2e}", f"{np.mean(r['random_deltas']):+.2e}",
             f"{np.min(r['random_deltas']):+.2e}",
             f"{np.mean(np.array(r['random_deltas']) < 0) * 100:.0f} %"] for label, r in results.items()]
    print(f"Loss change after one step of the same length: the gradient step (lr {GD_LR:g}) vs {trials} random ones")
    print(common.format_table(["model", "step length", "GD step", "random: mean", "random: best",
                               "random: loss down"], rows))
    result = {"section": "random_search", "gd_lr": GD_LR, "trials": trials,
              "random_step": "same length as the gradient step, direction z / ||z||, z ~ N(0, I)",
              "models": results}
    common.save_json(out / "random_search.json", result)
    return result
