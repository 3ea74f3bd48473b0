"""Section 3, high-dimensional search: a random direction vs the gradient ("Comparing updates").

The course's protocol: from a model w, compare the change of the loss L(w') - L(w) after

* one gradient-descent step, w' = w - lr * grad L(w), lr 1e-2 (``gradient_update``), with
* 100 random steps, ``random_update(model, noise_scale=1e-2)``: w' = w + 0.01 z, z ~ N(0, I),
  every one of the 7850 numbers moved by about 0.01,

for the linear model at initialization and after 200 Adam steps (the filters section).
The random step is long (0.01 * sqrt(7850) = 0.89) and points nowhere in particular: in
7850 dimensions it is almost orthogonal to the gradient, so what it does to the loss is
decided by the curvature, which only ever adds. It rarely lowers the loss -- the course's
point: "random search very rarely finds a direction that improves the objective" -- while
the gradient step always does.

An extra, labelled as such in the table and the figure: random steps of exactly the
gradient step's length (``random_step``). With only the direction left to chance, about half
of them go down, each by far less than the gradient step: a fair race that random search
still loses, but one that shows why the course's random steps fail so often (their length).
"""
import copy

import numpy as np
from matplotlib.ticker import MaxNLocator

from experiments import common
from tinygrad_opt import Tensor, manual_seed, nn, no_grad
from tinygrad_opt.optim.functional import gradient_update

from .course import loss_fn, partially_trained_linear, random_update

GD_LR = 1e-2
NOISE_SCALE = 1e-2
TRIALS = 100


def step_length(before, after):
    """The Euclidean length of the step from model ``before`` to model ``after``, over all parameters."""
    return float(np.sqrt(sum(((a.numpy().astype(np.float64) - b.numpy()) ** 2).sum()
                             for a, b in zip(after.parameters(), before.parameters(), strict=True))))


def random_step(model, length, rng):
    """Move all of ``model``'s parameters together by ``length`` in a random direction, in place:
    w <- w + length * z / ||z||, z ~ N(0, I) over every number of every parameter."""
    noises = [rng.standard_normal(p.shape) for p in model.parameters()]
    scale = length / np.sqrt(sum((noise ** 2).sum() for noise in noises))
    with no_grad():
        for par, noise in zip(model.parameters(), noises, strict=True):
            par.data += Tensor((scale * noise).astype(par.dtype))


def compare_updates(model, X, y, rng, trials=TRIALS, noise_scale=NOISE_SCALE):
    """The course's comparison on one model. Returns a dict: the gradient step's loss change
    ``gd_delta`` and length, the changes after ``trials`` course random updates
    (``random_deltas``) and after as many random steps of the gradient step's length
    (``equal_length_deltas``, the extra)."""
    with no_grad():
        base_loss = loss_fn(model, X, y).item()
    dummy_model = copy.deepcopy(model)
    gradient_update(loss_fn(dummy_model, X, y), list(dummy_model.parameters()), lr=GD_LR)
    length = step_length(model, dummy_model)
    deltas, equal_length, random_lengths = [], [], []
    with no_grad():
        gd_delta = loss_fn(dummy_model, X, y).item() - base_loss
        for _ in range(trials):
            dummy_model = copy.deepcopy(model)
            random_update(dummy_model, noise_scale=noise_scale, rng=rng)
            random_lengths.append(step_length(model, dummy_model))
            deltas.append(loss_fn(dummy_model, X, y).item() - base_loss)
        for _ in range(trials):
            dummy_model = copy.deepcopy(model)
            random_step(dummy_model, length, rng)
            equal_length.append(loss_fn(dummy_model, X, y).item() - base_loss)
    return {"gd_delta": gd_delta, "gd_step_length": length, "random_deltas": deltas,
            "random_step_length": float(np.mean(random_lengths)),
            "fraction_down": float(np.mean(np.array(deltas) < 0)),
            "equal_length_deltas": equal_length,
            "equal_length_fraction_down": float(np.mean(np.array(equal_length) < 0))}


def plot(results):
    """The course's two histograms (top) and the equal-length extra (bottom); returns the Figure."""
    plt = common.pyplot()
    fig, axes = plt.subplots(2, 2, figsize=(10, 7.5))
    for col, (label, r) in enumerate(results.items()):
        for row, (key, kind) in enumerate((("random_deltas", f"random_update, noise {NOISE_SCALE:g}"),
                                           ("equal_length_deltas", "EXTRA: random steps as long as GD's"))):
            ax = axes[row, col]
            deltas = np.array(r[key])
            ax.hist(deltas, bins=20, label="Random directions")
            ax.axvline(0, color="green", alpha=0.5)
            ax.axvline(r["gd_delta"], linestyle="--", color="red", label="Gradient descent")
            ax.set_title(f"{label}: {kind}\n{100 * np.mean(deltas < 0):.0f} % of {len(deltas)} lower the loss",
                         fontsize=10)
            ax.set_xlabel("Change in loss")
            ax.set_ylabel("Number of directions")
            ax.xaxis.set_major_locator(MaxNLocator(5))
    axes[0, 0].legend(loc="upper right", fontsize=8)
    return fig


def run(data, args, out):
    trials = 10 if args.quick else TRIALS
    manual_seed(args.seed)
    model = nn.MLP(in_dim=784, out_dim=10, hidden_dims=[])
    partial_trained_model, _ = partially_trained_linear(data.X, data.y, args.seed, steps=20 if args.quick else 200)
    rng = np.random.default_rng(args.seed)
    results = {label: compare_updates(m, data.X, data.y, rng, trials)
               for label, m in (("Initialization", model), ("Partially trained", partial_trained_model))}
    common.save_figure(plot(results), out / "random_search.png")

    rows = [[label, f"{r['gd_delta']:+.2e}", f"{r['random_step_length']:.3f}",
             f"{np.mean(r['random_deltas']):+.2e}", f"{np.min(r['random_deltas']):+.2e}",
             f"{100 * r['fraction_down']:.0f} %"] for label, r in results.items()]
    print(f"The course's comparison: one gradient step (lr {GD_LR:g}) vs {trials} random_update(model, "
          f"noise_scale={NOISE_SCALE:g})")
    print(common.format_table(["model", "GD step", "random step length", "random: mean", "random: best",
                               "random: loss down"], rows))
    rows = [[label, f"{r['gd_step_length']:.4f}", f"{np.mean(r['equal_length_deltas']):+.2e}",
             f"{np.min(r['equal_length_deltas']):+.2e}", f"{100 * r['equal_length_fraction_down']:.0f} %"]
            for label, r in results.items()]
    print(f"\nEXTRA (not in the course): {trials} random steps of exactly the gradient step's length")
    print(common.format_table(["model", "GD step length", "random: mean", "random: best", "random: loss down"],
                              rows))
    result = {"section": "random_search", "gd_lr": GD_LR, "noise_scale": NOISE_SCALE, "trials": trials,
              "models": results}
    common.save_json(out / "random_search.json", result)
    return result
