"""Section 6, interactive demo 6.1: the cost of computation.

The time of a forward pass (the loss of the first ``num_points`` training images) and of the
backward pass with its update (``gradient_update`` with lr 0), for 1 to 50 000 inputs, mean of
5 runs, for an MLP with hidden sizes "1", "100" or "50, 50" (the widget's drop-down; default
"100"). Both grow linearly with the number of inputs once the fixed cost per call (Python and
the engine's bookkeeping, fractions of a millisecond) is paid, and the backward pass costs
about as much as the forward one, or a few times more: more inputs per update buy a better
gradient at a proportional price. The times are wall-clock on this machine: they depend on
it and on what else runs there, which is why no test looks at them; ``--clock cpu`` measures
this process's CPU time instead (``time.process_time``: all its threads, none of other programs').
"""
import time

import numpy as np

from experiments import common
from tinygrad_opt import manual_seed, nn
from tinygrad_opt.optim.functional import gradient_update

from .course import Knob, loss_fn

NUM_POINTS = [1, 5, 10, 100, 200, 500, 1000, 5000, 10000, 20000, 30000, 50000]
REPEATS = 5
HIDDEN_DIMS = ("1", "100", "50, 50")
KNOBS = {"hidden_dims": Knob("100", choices=HIDDEN_DIMS)}      # Dropdown(["1", "100", "50, 50"], value="100")


CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


def measure_update_time(model, x, y, num_points, clock="wall"):
    """The course's ``measure_update_time``: seconds of the forward pass and of the backward
    pass with a (zero) update, on the first ``num_points`` examples."""
    now = CLOCKS[clock]
    X, Y = x[:num_points], y[:num_points]
    start_time = now()
    loss = loss_fn(model, X, Y)
    loss_time = now()
    gradient_update(loss, list(model.parameters()), lr=0)
    gradient_time = now()
    return loss_time - start_time, gradient_time - loss_time


def computation_time(data, hidden_dims="100", num_points=NUM_POINTS, repeats=REPEATS, clock="wall"):
    """Interactive demo 6.1 with the widget's knob. Returns the Figure and the mean times
    (len(num_points), 2): forward, backward, in seconds."""
    hdims = [int(s) for s in hidden_dims.split(",")]
    model = nn.MLP(in_dim=784, out_dim=10, hidden_dims=hdims)
    times_list = [np.array([measure_update_time(model, data.x_train, data.y_train, n, clock) for n in num_points])
                  for _ in range(repeats)]
    times = np.array(times_list).mean(axis=0)
    plt = common.pyplot()
    fig, ax = plt.subplots(1, 1, figsize=(5, 4))
    ax.plot(num_points, times[:, 0], label="Forward")
    ax.plot(num_points, times[:, 1], label="Backward")
    ax.set_xlabel("Number of data points")
    ax.set_ylabel("Seconds")
    ax.set_title(f"hidden {hidden_dims}, mean of {repeats} runs", fontsize=10)
    ax.legend()
    return fig, times


def run(data, args, out):
    num_points, repeats = ([1, 10, 100], 1) if args.quick else (NUM_POINTS, REPEATS)
    manual_seed(args.seed)
    chosen = getattr(args, "computation_time_hidden_dims", None)
    architectures = (chosen,) if chosen else HIDDEN_DIMS          # the widget shows one; the section all three
    results, figures = {}, []
    for hidden in architectures:
        fig, times = computation_time(data, hidden, num_points, repeats, getattr(args, "clock", "wall"))
        figures.append(fig)
        results[hidden] = {"forward_s": times[:, 0], "backward_s": times[:, 1]}
    for fig in figures:
        common.pyplot().close(fig)
    plt = common.pyplot()
    fig, axes = plt.subplots(1, len(results), figsize=(4.4 * len(results), 3.6), squeeze=False)
    axes = axes[0]
    # each with its own vertical scale, as the widget
    for ax, (hidden, r) in zip(axes, results.items(), strict=True):
        ax.plot(num_points, r["forward_s"], label="Forward")
        ax.plot(num_points, r["backward_s"], label="Backward")
        ax.set_title(f"hidden {hidden}", fontsize=10)
        ax.set_xlabel("Number of data points")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel(f"{'CPU s' if getattr(args, 'clock', 'wall') == 'cpu' else 'Seconds'} (mean of {repeats})")
    axes[0].legend()
    common.save_figure(fig, out / "computation_time.png")
    headers = ["points"] + [f"{h}: {kind}" for h in results for kind in ("fwd ms", "bwd ms")]
    rows = [[str(n)] + [f"{1e3 * results[h][k][i]:.2f}" for h in results for k in ("forward_s", "backward_s")]
            for i, n in enumerate(num_points)]
    print(common.format_table(headers, rows))
    result = {"section": "computation_time", "clock": getattr(args, "clock", "wall"), "num_points": num_points,
              "repeats": repeats, "models": results}
    common.save_json(out / "computation_time.json", result)
    return result
