"""Section 6, full gradients are expensive: minibatches (coding exercise 6, interactive demo 6.2).

``sample_minibatch(input_data, target_data, num_points)`` draws ``num_points`` IID examples,
with replacement, as the course's solution does. Each update uses one such minibatch of
the 60 000 training images, so its cost grows with the batch size: in the same wall-clock
time, small batches make many cheap, noisy updates and large batches few accurate ones.
Demo 6.2 trains a 784-100-100-10 MLP by gradient descent for a fixed time budget per batch
size; its controls: batch sizes "20, 250, 1000", learning rates "5e-3, 5e-3, 5e-3" and a time
budget of 2.5, 5 or 10 s. The course then asks for learning rates that bring the training loss
steadily below 0.5 within 5 seconds: the second run does that, with a learning rate that grows
with the batch (a larger batch's gradient is less noisy, so it can take a larger step).
"Steadily below" is measured as the time from which the mean of every 20 consecutive
minibatch losses stays below 0.5 to the end of the budget.

The budget is wall-clock time, as in the course (``time.time()``), so the numbers depend on the
machine and on what else runs on it; ``--clock cpu`` counts this process's CPU time instead
(``time.process_time``), which other programs on a shared machine do not eat into, and
``--quick`` a clock that ticks 0.01 s per reading (``tick_clock``): 5 updates per run. Each panel has
its own y-scale, as the course's remark ("note the difference in the vertical scale") assumes. A run
whose loss turns nan or inf stops there and is recorded as diverged (``diverged_at``: that update,
counted from 1); the other runs go on.
"""
import copy
import itertools
import time

import numpy as np

from experiments import common
from tinygrad_opt import manual_seed, nn
from tinygrad_opt.optim.functional import gradient_update

from .course import Knob, knob, loss_fn, sample_minibatch

BATCH_SIZES = (20, 250, 1000)
LEARNING_RATES = {"course's lrs": (5e-3, 5e-3, 5e-3), "5-second challenge": (5e-2, 2e-1, 4e-1)}
CHALLENGE_BUDGET, CHALLENGE_LOSS, WINDOW = 5.0, 0.5, 20
QUICK_UPDATES = 5
# Demo 6.2's controls: two text boxes and Dropdown(["2.5", "5", "10"], value="2.5").
KNOBS = {"batch_sizes": Knob("20, 250, 1000"), "lrs": Knob("5e-3, 5e-3, 5e-3"),
         "time_budget": Knob(2.5, choices=(2.5, 5.0, 10.0)), "challenge_lrs": Knob("5e-2, 2e-1, 4e-1")}


def tick_clock(tick=0.01):
    """A clock for --quick and the tests: each reading is ``tick`` seconds after the last (the
    budget check and the record read it once per update), so a budget is a number of updates."""
    return itertools.count(0.0, tick).__next__


# Each clock as a function returning a fresh "now()".
CLOCKS = {"wall": lambda: time.perf_counter, "cpu": lambda: time.process_time, "ticks": tick_clock}


def train_for(model, x, y, batch_size, lr, budget, rng, clock="wall"):
    """Gradient descent on random minibatches for ``budget`` seconds of ``clock`` (``CLOCKS``).
    Returns rows (seconds, loss) and the update whose loss was nan or inf (counted from 1; None
    if none was), where it stopped."""
    now = CLOCKS[clock]()
    params = list(model.parameters())
    loss_hist = []
    start_time = now()
    while now() - start_time < budget:
        data, labels = sample_minibatch(x, y, batch_size, rng)
        loss = loss_fn(model, data, labels)
        gradient_update(loss, params, lr=lr)
        loss_hist.append((now() - start_time, loss.item()))
        if common.is_diverged(loss_hist[-1][1]):
            return np.array(loss_hist), len(loss_hist)
    return np.array(loss_hist), None


def steadily_below(seconds, loss, level=CHALLENGE_LOSS, window=WINDOW):
    """The time from which the mean of every ``window`` consecutive losses stays below ``level``
    until the end, or None if the last window's mean is not below it."""
    if len(loss) < window or not np.isfinite(loss).all():
        return None
    means = np.convolve(loss, np.ones(window) / window, mode="valid")
    above = np.nonzero(means >= level)[0]
    first = 0 if len(above) == 0 else above[-1] + 1
    return None if first >= len(means) else float(seconds[first + window - 1])


def minibatch_experiment(data, batch_sizes="20, 250, 1000", lrs="5e-3, 5e-3, 5e-3", time_budget="2.5",
                         seed=None, clock="wall"):
    """Interactive demo 6.2 with the widget's knobs (text boxes and drop-down, as strings or numbers).
    Returns the Figure (one panel per batch size, each with its own y-scale) and the runs."""
    batch_sizes = [int(s) for s in str(batch_sizes).split(",")]
    lrs = [float(s) for s in str(lrs).split(",")]
    if len(lrs) != len(batch_sizes):
        raise ValueError(f"minibatch_experiment: {len(batch_sizes)} batch sizes but {len(lrs)} learning rates; "
                         f"give one learning rate per batch size")
    if seed is not None:
        manual_seed(seed)
    base_model = nn.MLP(in_dim=784, out_dim=10, hidden_dims=[100, 100])
    runs = [run_batch_size(base_model, data, b, lr, float(time_budget), seed, clock)
            for b, lr in zip(batch_sizes, lrs, strict=True)]
    return plot(runs), runs


def run_batch_size(base_model, data, batch_size, lr, budget, seed, clock="wall"):
    """One panel of demo 6.2: a copy of ``base_model`` trained for ``budget`` seconds of ``clock``."""
    rng = np.random.default_rng(seed)
    history, diverged_at = train_for(copy.deepcopy(base_model), data.x_train, data.y_train, batch_size, lr,
                                     budget, rng, clock)
    return {"batch_size": batch_size, "lr": lr, "time_budget_s": budget, "clock": clock, "seconds": history[:, 0],
            "loss": history[:, 1], "diverged_at": diverged_at,
            "steadily_below_0.5_from_s": steadily_below(history[:, 0], history[:, 1])}


def plot(runs, rows=1):
    """Loss against seconds, one panel per run (``rows`` rows), each with its own y-scale."""
    plt = common.pyplot()
    cols = len(runs) // rows
    fig, axes = plt.subplots(rows, cols, figsize=(11, 3.2 * rows), squeeze=False)
    for ax, r in zip(axes.flat, runs, strict=True):
        ax.plot(r["seconds"], r["loss"], alpha=0.8, linewidth=0.8)
        status = f"diverged at update {r['diverged_at']}" if r["diverged_at"] else f"{len(r['loss'])} updates"
        ax.set_title(f"Batch size: {r['batch_size']}, lr {r['lr']:g}, {r['time_budget_s']:g} s: {status}",
                     fontsize=9)
        ax.set_xlabel("Seconds" if r.get("clock", "wall") == "wall" else "CPU seconds")
        ax.set_ylabel("Loss")
        ax.grid(alpha=0.3)
    return fig


def minibatch_check(data, seed):
    """Coding exercise 6's check cell, on the images as the course holds them (28 x 28)."""
    manual_seed(seed)
    x_batch, y_batch = sample_minibatch(data.X.reshape(-1, 28, 28), data.y, num_points=100)
    print(f"The input shape is {x_batch.shape} and the target shape is: {y_batch.shape}")
    print("(course: The input shape is torch.Size([100, 28, 28]) and the target shape is: torch.Size([100]))")
    return list(x_batch.shape), list(y_batch.shape)


def run(data, args, out):
    x_shape, y_shape = minibatch_check(data, args.seed)
    budget = float(knob(args, "minibatch", "time_budget", KNOBS))
    batch_sizes = BATCH_SIZES
    if getattr(args, "minibatch_batch_sizes", None):
        batch_sizes = [int(s) for s in args.minibatch_batch_sizes.split(",")]
    settings = dict(LEARNING_RATES)
    for name, option in (("course's lrs", "minibatch_lrs"), ("5-second challenge", "minibatch_challenge_lrs")):
        if getattr(args, option, None):
            settings[name] = [float(s) for s in getattr(args, option).split(",")]
    for name, lrs in settings.items():
        if len(lrs) != len(batch_sizes):
            raise ValueError(f"minibatch: {len(batch_sizes)} batch sizes but {len(lrs)} learning rates for "
                             f"{name!r}; give one learning rate per batch size")
    budgets = {name: CHALLENGE_BUDGET if name == "5-second challenge" else budget for name in settings}
    clock = getattr(args, "clock", "wall")
    if args.quick:             # two 0.01 s ticks per update: QUICK_UPDATES, whatever the machine's load
        budgets, clock = {name: 0.02 * QUICK_UPDATES for name in settings}, "ticks"
    manual_seed(args.seed)
    base_model = nn.MLP(in_dim=784, out_dim=10, hidden_dims=[100, 100])
    runs = {}
    with common.progress(total=len(settings) * len(batch_sizes), desc="minibatch", disable=args.no_progress) as bar:
        for setting, lrs in settings.items():
            for batch_size, lr in zip(batch_sizes, lrs, strict=True):
                r = run_batch_size(base_model, data, batch_size, lr, budgets[setting], args.seed, clock)
                runs[f"{setting}, batch {batch_size}"] = dict(r, setting=setting)
                bar.update(1)
    common.save_figure(plot(list(runs.values()), rows=len(settings)), out / "minibatch.png")

    rows = [[r["setting"], str(r["batch_size"]), f"{r['lr']:g}", f"{r['time_budget_s']:g}", str(len(r["loss"])),
             f"{1e3 * r['seconds'][-1] / len(r['loss']):.2f}",
             f"diverged at {r['diverged_at']}" if r["diverged_at"] else f"{r['loss'][-WINDOW:].mean():.3f}",
             "never" if r["steadily_below_0.5_from_s"] is None else f"{r['steadily_below_0.5_from_s']:.2f} s"]
            for r in runs.values()]
    print(common.format_table(["setting", "batch", "lr", "budget (s)", "updates", "ms/update",
                               f"loss (last {WINDOW})", "steadily < 0.5 from"], rows))
    result = {"section": "minibatch", "clock": clock, "time_budget_s": budgets, "check_shapes": [x_shape, y_shape],
              "runs": runs}
    common.save_json(out / "minibatch.json", result)
    return result
