"""The optimizers assignment (course file 003): one MLP on MNIST, trained by nine optimizers.

    python -m experiments.mnist_optimizers                      # all nine, 3000 iterations each
    python -m experiments.mnist_optimizers --optimizers sgd,momentum,adam

The protocol is the assignment's, so its printed accuracies can be compared with ours:

    model       784 -> 100 -> ReLU -> 10, PyTorch's init: W, b ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in))
    inputs      pixel / 255, in [0, 1] (``transforms.ToTensor()``; no mean/std normalisation)
    loss        cross-entropy of the logits = nll_loss(log_softmax(logits)), mean over the batch
    batches     100 examples, the 60 000 training images reshuffled every epoch:
                600 iterations per epoch, 3000 iterations = 5 epochs
    evaluation  accuracy on the 10 000 test images every 500 iterations (here every 100,
                ``--eval-every``, for smoother curves; the tables show the 500-marks)
    optimizers  SGD lr 0.1; SGD lr 0.1 momentum 0.9; Adam lr 1e-3, betas (0.9, 0.999), eps 1e-8

Every optimizer starts from the same initial weights and sees the same batches in the same
order (both come from ``--seed``), so the curves differ only by the update rule. The other
optimizers (RMSprop, Adagrad, Adadelta, Adamax, AdamW, NAdam) run with the settings in
``SETTINGS``: PyTorch's defaults, with a larger step where the default is known to be slow
for this model (Adamax and NAdam at 2e-3, as in their papers' MNIST runs).

Output (``--out``, default results/mnist_optimizers): ``mnist_optimizers.json`` with every
number, rewritten after each optimizer's run (so a crash later loses no finished run), then
``mnist_accuracy.png`` (test accuracy, with the assignment's numbers as crosses) and
``mnist_loss.png`` (training loss). ``--figures DIR`` also copies the two PNGs there.

One folder collects runs: each run is merged into the folder's JSON, keyed by optimizer (its
settings beside it), under a lock file, so runs with different ``--optimizers``, one after
the other or at the same time, all end up in the JSON, the tables and the figures. A folder
that holds runs of another protocol (``--iterations``, ``--eval-every``, ``--seed``) is
refused before training; ``--fresh`` replaces its results instead.
``--data DIR`` names the folder with the MNIST files (see ``tinygrad_opt.data.mnist``).

Checkpoints: every ``--checkpoint-every`` iterations (default 500) each run saves
``checkpoint_<optimizer>.npz`` (model, optimizer state, batch position, step and history so far;
see ``tinygrad_opt.checkpoint``). ``--resume`` continues each run from its checkpoint: a run
killed half-way and resumed ends with the same parameters, bit for bit, as one never stopped.
The final weights are saved as ``params_<optimizer>.npz``.
"""
import functools
import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

import tinygrad_opt.nn.functional as F
from experiments import common
from tinygrad_opt import Tensor, backend, manual_seed, nn, no_grad, optim
from tinygrad_opt.checkpoint import load_checkpoint, save_checkpoint
from tinygrad_opt.data import MinibatchIterator, load_mnist_arrays

NAME = "mnist_optimizers"

# name -> (optimizer class, its settings). The first three are the assignment's.
SETTINGS = {
    "sgd": (optim.SGD, {"lr": 0.1}),
    "momentum": (optim.SGD, {"lr": 0.1, "momentum": 0.9}),
    "adam": (optim.Adam, {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8}),
    "rmsprop": (optim.RMSprop, {"lr": 1e-3}),
    "adagrad": (optim.Adagrad, {"lr": 1e-2}),
    "adadelta": (optim.Adadelta, {"lr": 1.0}),
    "adamax": (optim.Adamax, {"lr": 2e-3}),
    "adamw": (optim.AdamW, {"lr": 1e-3, "weight_decay": 1e-2}),
    "nadam": (optim.NAdam, {"lr": 2e-3}),
}
ASSIGNMENT = ("sgd", "momentum", "adam")
LABELS = {"sgd": "SGD", "momentum": "SGD+momentum", "adam": "Adam", "rmsprop": "RMSprop",
          "adagrad": "Adagrad", "adadelta": "Adadelta", "adamax": "Adamax", "adamw": "AdamW",
          "nadam": "NAdam"}
# Line styles of the loss plot: the assignment's three solid, each other one its own dashes,
# since some curves lie on top of each other (AdamW with a small weight decay is nearly Adam).
LINESTYLES = {"rmsprop": "--", "adagrad": "-.", "adadelta": (0, (1, 1)), "adamax": (0, (5, 1)),
              "adamw": ":", "nadam": (0, (3, 1, 1, 1, 1, 1))}

# Test accuracy (%) printed in the assignment (003) after 500, 1000, ..., 3000 iterations,
# rounded to two decimals (it prints float32 values such as 95.5999984741211).
REPORTED_EVERY = 500
REPORTED = {
    "sgd": [91.50, 92.47, 93.87, 94.47, 95.17, 95.60],
    "momentum": [96.01, 96.24, 96.44, 97.53, 97.47, 97.63],
    "adam": [93.31, 94.72, 95.54, 96.41, 96.90, 97.21],
}
HIDDEN = [100]
BATCH_SIZE = 100


def empty_history():
    """Per-iteration training losses; test accuracy and loss at each evaluation step."""
    return {"train_loss": [], "eval_step": [], "test_accuracy": [], "test_loss": [],
            "seconds": 0.0, "diverged_at": None}


@dataclass
class Run:
    """Everything one training run is, in one place -- what a checkpoint has to save.

    ``model`` and ``optimizer`` hold the weights and the optimizer's state; ``batches`` knows
    how many batches it has handed out, which fixes every later batch; ``step`` counts
    updates; ``history`` holds the numbers measured so far. Nothing else is random.
    """
    name: str
    model: nn.Module
    optimizer: optim.Optimizer
    batches: MinibatchIterator
    step: int = 0
    history: dict = field(default_factory=empty_history)


def new_run(name, x_train, y_train, seed, batch_size=BATCH_SIZE):
    """A fresh run of optimizer ``name``: initial weights and batch order come from ``seed``."""
    manual_seed(seed)
    model = nn.MLP(784, 10, HIDDEN)
    optimizer_class, settings = SETTINGS[name]
    optimizer = optimizer_class(model.parameters(), **settings)
    batches = MinibatchIterator(x_train, y_train, batch_size=batch_size, shuffle=True, seed=seed)
    return Run(name, model, optimizer, batches)


def train_step(model, optimizer, xb, yb):
    """One update on a minibatch (Tensors ``xb: (B, 784)``, ``yb: (B,)``): forward, loss, backward,
    step. Returns the loss (a float).

    The loss is the course's ``nll_loss(model(xb), yb)`` written as one op on the MLP's scores,
    ``cross_entropy(model.logits(xb), yb)``: the same numbers bit for bit, one backward fewer.
    """
    optimizer.zero_grad()
    loss = F.cross_entropy(model.logits(xb), yb)
    loss.backward()
    optimizer.step()
    return loss.item()


def evaluate(model, x, y, batch_size=10_000):
    """Accuracy (%) and mean loss on (x, y), in a few large batches and without a graph."""
    correct, loss_sum = 0, 0.0
    with no_grad():
        for start in range(0, len(x), batch_size):
            xb, yb = x[start:start + batch_size], y[start:start + batch_size]
            log_probs = model(Tensor(xb))
            loss_sum += F.nll_loss(log_probs, Tensor(yb), reduction="sum").item()
            correct += int((log_probs.argmax(axis=1).numpy() == yb).sum())
    return 100.0 * correct / len(x), loss_sum / len(x)


def save_run(run, path):
    """Checkpoint everything ``run`` is (see ``Run``) to ``path``, atomically."""
    save_checkpoint(path, model=run.model, optimizer=run.optimizer, step=run.step,
                    extra={"batches": run.batches.state_dict(), "history": run.history})


def resume_run(run, path):
    """Put a fresh ``run`` back where the checkpoint at ``path`` left it."""
    info = load_checkpoint(path, model=run.model, optimizer=run.optimizer)
    run.batches.load_state_dict(info["extra"]["batches"])
    run.step, run.history = info["step"], info["extra"]["history"]


def train(run, x_test, y_test, iterations, eval_every, progress=None, checkpoint=None, checkpoint_every=None):
    """Train ``run`` until ``run.step == iterations``, evaluating every ``eval_every`` steps.

    Continues from wherever ``run`` is: the batch iterator resumes mid-epoch, and a
    finished epoch starts the next one. Stops early, marking the step, if the loss
    becomes nan or inf. ``progress`` is a tqdm bar (or None). With a ``checkpoint`` path,
    the run is saved there every ``checkpoint_every`` steps and when it stops.
    """
    started = time.perf_counter()
    history = run.history
    while run.step < iterations and history["diverged_at"] is None:
        for xb, yb in run.batches:
            loss = train_step(run.model, run.optimizer, xb, yb)
            run.step += 1
            history["train_loss"].append(loss)
            if progress is not None:
                progress.update(1)
            if common.is_diverged(loss):
                history["diverged_at"] = run.step
                break
            if run.step % eval_every == 0 or run.step == iterations:
                accuracy, test_loss = evaluate(run.model, x_test, y_test)
                history["eval_step"].append(run.step)
                history["test_accuracy"].append(accuracy)
                history["test_loss"].append(test_loss)
                if progress is not None:
                    progress.set_postfix(loss=f"{loss:.3f}", acc=f"{accuracy:.2f}")
            if checkpoint and run.step % checkpoint_every == 0:
                now = time.perf_counter()
                history["seconds"] += now - started     # saved too: a resumed run counts this part
                started = now
                save_run(run, checkpoint)
            if run.step >= iterations:
                break
    history["seconds"] += time.perf_counter() - started
    if checkpoint:
        save_run(run, checkpoint)      # the end too, diverged or not: a resumed sweep skips this run
    return history


def accuracy_at(history, step):
    """The test accuracy measured at ``step``, or None if it was not measured there."""
    if step in history["eval_step"]:
        return history["test_accuracy"][history["eval_step"].index(step)]
    return None


def table_steps(histories):
    """The steps the tables show: the assignment's 500, 1000, ... where measured, else all."""
    measured = sorted({s for h in histories.values() for s in h["eval_step"]})
    marks = [s for s in measured if s % REPORTED_EVERY == 0]
    return marks or measured


def reported_at(name, step):
    if name in REPORTED and step % REPORTED_EVERY == 0 and step // REPORTED_EVERY <= len(REPORTED[name]):
        return REPORTED[name][step // REPORTED_EVERY - 1]
    return None


def fmt(value, signed=False):
    if value is None:
        return "-"
    return f"{value:+.2f}" if signed else f"{value:.2f}"


def assignment_table(histories):
    """Measured test accuracy beside the assignment's, for SGD, momentum and Adam."""
    names = [n for n in ASSIGNMENT if n in histories]
    headers = ["iteration"]
    for n in names:
        headers += [f"{LABELS[n]} (ours)", "(003)", "diff"]
    rows = []
    for step in table_steps(histories):
        row = [str(step)]
        for n in names:
            ours, theirs = accuracy_at(histories[n], step), reported_at(n, step)
            diff = ours - theirs if ours is not None and theirs is not None else None
            row += [fmt(ours), fmt(theirs), fmt(diff, signed=True)]
        rows.append(row)
    return common.format_table(headers, rows)


def others_table(histories):
    """Measured test accuracy of the optimizers the assignment only names."""
    names = [n for n in histories if n not in ASSIGNMENT]
    rows = [[str(step)] + [fmt(accuracy_at(histories[n], step)) for n in names]
            for step in table_steps(histories)]
    return common.format_table(["iteration"] + [LABELS[n] for n in names], rows)


def summary_table(histories):
    headers = ["optimizer", "settings", "final test acc", "final test loss", "seconds"]
    rows = []
    for n, h in histories.items():
        settings = ", ".join(f"{k}={v}" for k, v in SETTINGS[n][1].items())
        final = "diverged" if h["diverged_at"] else fmt(h["test_accuracy"][-1] if h["test_accuracy"] else None)
        loss = f"{h['test_loss'][-1]:.4f}" if h["test_loss"] else "-"
        rows.append([LABELS[n], f"{SETTINGS[n][0].__name__}({settings})", final, loss, f"{h['seconds']:.1f}"])
    return common.format_table(headers, rows)


def smooth(values, window):
    """Moving average over ``window`` iterations (shorter at the start): the loss curve's trend."""
    values = np.asarray(values, dtype=float)
    if len(values) == 0:
        return values
    cumulative = np.concatenate([[0.0], np.cumsum(values)])
    ends = np.arange(1, len(values) + 1)
    starts = np.maximum(0, ends - window)
    return (cumulative[ends] - cumulative[starts]) / (ends - starts)


def accuracy_limits(histories):
    """y limits (%) that show every measured and reported accuracy, with half a point to spare."""
    values = [a for n, h in histories.items() for a in h["test_accuracy"] + REPORTED.get(n, [])]
    if not values:
        return 0.0, 100.0
    return max(0.0, math.floor(min(values) - 0.5)), min(100.0, math.ceil(max(values) + 0.5))


def plot_accuracy(histories):
    """Test accuracy against iteration, the assignment's numbers as crosses: a Figure."""
    plt = common.pyplot()
    groups = [[n for n in ASSIGNMENT if n in histories], [n for n in histories if n not in ASSIGNMENT]]
    groups = [g for g in groups if g]
    fig, axes = plt.subplots(1, len(groups), figsize=(6 * len(groups), 4.2), squeeze=False, sharey=True)
    colors = dict(zip(SETTINGS, plt.cm.tab10.colors, strict=False))     # 10 colours, fewer settings
    for ax, names in zip(axes[0], groups, strict=True):
        for n in names:
            h = histories[n]
            ax.plot(h["eval_step"], h["test_accuracy"], color=colors[n], label=LABELS[n])
            if n in REPORTED:
                steps = [REPORTED_EVERY * (i + 1) for i in range(len(REPORTED[n]))]
                ax.plot(steps, REPORTED[n], "x", color=colors[n], markersize=8,
                        label=f"{LABELS[n]}, reported in 003")
        ax.set_xlabel("iteration (batch of 100)")
        ax.set_ylabel("test accuracy (%)")
        ax.set_ylim(*accuracy_limits(histories))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="lower right")
    axes[0][0].set_title("The assignment's optimizers (lines: ours, crosses: 003)")
    if len(groups) > 1:
        axes[0][1].set_title("The other optimizers")
    return fig


def plot_loss(histories, window=50):
    """Training loss (moving average over ``window`` iterations), log scale: a Figure."""
    plt = common.pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.2))
    colors = dict(zip(SETTINGS, plt.cm.tab10.colors, strict=False))     # 10 colours, fewer settings
    for n, h in histories.items():
        # The dashed lines are wider and drawn below the solid ones, so a curve lying on
        # another one still shows at its edges.
        ax.plot(np.arange(1, len(h["train_loss"]) + 1), smooth(h["train_loss"], window), color=colors[n],
                label=LABELS[n], linestyle=LINESTYLES.get(n, "-"), linewidth=1.2 if n in ASSIGNMENT else 2.0,
                zorder=3 if n in ASSIGNMENT else 2)
    ax.set_yscale("log")
    ax.set_xlabel("iteration (batch of 100)")
    ax.set_ylabel(f"training loss (mean of the last {window} batches)")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8, ncol=2)
    ax.set_title("Training loss, 784-100-10 MLP on MNIST")
    return fig


def build_parser():
    p = common.parser(NAME, "Reproduce the optimizers assignment: SGD, momentum, Adam (and six "
                            "more optimizers) training a 784-100-10 MLP on MNIST.", mnist=True)
    p.add_argument("--optimizers", default=",".join(SETTINGS),
                   help=f"comma-separated, from: {', '.join(SETTINGS)} (default: all)")
    p.add_argument("--iterations", type=int, default=None,
                   help="updates per optimizer (default 3000, as the assignment; 30 with --quick)")
    p.add_argument("--eval-every", type=int, default=None,
                   help="test-set evaluation period in iterations (default 100; 10 with --quick)")
    p.add_argument("--checkpoint-every", type=int, default=500,
                   help="save checkpoint_<optimizer>.npz every N iterations (default 500; 0: never)")
    p.add_argument("--resume", action="store_true",
                   help="continue each run from its checkpoint_<optimizer>.npz in --out, if there is one")
    p.add_argument("--fresh", action="store_true",
                   help="replace the results already in --out (default: merge this run's into them)")
    p.add_argument("--figures", type=Path, default=None,
                   help="also copy the PNGs into this folder (e.g. docs/figures)")
    return p


def main(argv=None):
    args = build_parser().parse_args(argv)
    names = [n.strip() for n in args.optimizers.split(",") if n.strip()]
    unknown = [n for n in names if n not in SETTINGS]
    if unknown or not names:
        raise SystemExit(f"{NAME}: --optimizers: unknown {unknown or 'empty list'}; "
                         f"choose from {', '.join(SETTINGS)}")
    iterations = args.iterations or (30 if args.quick else 3000)
    eval_every = args.eval_every or (10 if args.quick else 100)
    if iterations < 1 or eval_every < 1 or args.checkpoint_every < 0:
        raise SystemExit(f"{NAME}: --iterations and --eval-every must be positive, --checkpoint-every >= 0")
    out = common.setup(args, NAME)
    if args.figures is not None:
        common.check_out(args.figures, NAME)
    protocol = {"model": "MLP(784, 10, hidden_dims=[100])", "inputs": "pixel / 255", "batch_size": BATCH_SIZE,
                "shuffle": "every epoch", "iterations": iterations, "eval_every": eval_every}
    json_path = out / f"{NAME}.json"
    with common.locked(json_path):
        if args.fresh:
            json_path.unlink(missing_ok=True)
        check_compatible(common.read_json(json_path), args.seed, protocol, json_path)

    x_train, y_train, x_test, y_test = load_mnist_arrays(args.data, normalize="unit", download=args.data is None)
    histories = {}
    for name in names:
        run = new_run(name, x_train, y_train, args.seed)
        checkpoint = out / f"checkpoint_{name}.npz"
        if args.resume and checkpoint.exists():
            resume_run(run, checkpoint)
            print(f"{LABELS[name]:>13}: resumed from {checkpoint} at step {run.step}", file=sys.stderr)
        with common.progress(total=iterations, desc=LABELS[name], disable=args.no_progress) as bar:
            bar.update(run.step)
            histories[name] = train(run, x_test, y_test, iterations, eval_every, bar,
                                    checkpoint if args.checkpoint_every else None, args.checkpoint_every)
        save_checkpoint(out / f"params_{name}.npz", model=run.model, step=run.step)
        # After every run, before any table or figure: a later crash keeps the finished runs.
        finished = {name: histories[name]}
        common.update_json(json_path, functools.partial(merge_results, seed=args.seed, protocol=protocol,
                                                        histories=finished, path=json_path))
        print(f"{LABELS[name]:>13}: {run_summary(histories[name], run.step)}", file=sys.stderr)

    # Tables and figures show every run in the folder, this command's and earlier ones'; drawn
    # under the lock, so the last figure written is the one of the most runs.
    with common.locked(json_path):
        results = common.read_json(json_path)
        every = {n: with_nan(h) for n, h in results["runs"].items()}
        print(f"\nTest accuracy (%) of the 784-100-10 MLP, batch 100, seed {args.seed}:\n")
        if any(n in ASSIGNMENT for n in every):
            print(assignment_table(every) + "\n")
        if any(n not in ASSIGNMENT for n in every):
            print(others_table(every) + "\n")
        print(summary_table(every) + "\n")
        figures = [common.save_figure(plot_accuracy(every), out / "mnist_accuracy.png"),
                   common.save_figure(plot_loss(every), out / "mnist_loss.png")]
    if args.figures:
        args.figures.mkdir(parents=True, exist_ok=True)
        for path in figures:
            common.atomic_write(args.figures / path.name, lambda f, path=path: f.write(path.read_bytes()))
    print(f"wrote {json_path} and {', '.join(p.name for p in figures)} in {out}")
    return results


def check_compatible(results, seed, protocol, path):
    """Refuse to merge into ``path`` the runs of another protocol or seed (before training)."""
    if results is None:
        return
    theirs = {"seed": results.get("seed"), **results.get("protocol", {})}
    ours = {"seed": seed, **protocol}
    differ = [f"{k} {theirs.get(k)!r} there, {v!r} here" for k, v in ours.items() if theirs.get(k) != v]
    if differ:
        raise common.SetupError(f"{path.parent} holds runs of another protocol ({'; '.join(differ)}); "
                                f"use another --out, or --fresh to replace them")


def merge_results(old, seed, protocol, histories, path):
    """The folder's results with ``histories`` added: runs keyed by optimizer (a run of the same
    optimizer replaces the earlier one), in the order of ``SETTINGS``."""
    check_compatible(old, seed, protocol, path)
    runs = dict(old["runs"]) if old else {}
    runs.update(histories)
    runs = {n: runs[n] for n in SETTINGS if n in runs}
    return results_json(seed, protocol, runs)


def with_nan(history):
    """A history read back from JSON: the losses that were nan or inf (null there) as nan."""
    return {**history, "train_loss": [math.nan if v is None else v for v in history["train_loss"]]}


def run_summary(history, steps):
    """One line on a finished run: where it diverged, or how long it took and where it ended."""
    if history["diverged_at"] is not None:
        return f"diverged at step {history['diverged_at']} (loss nan or inf), after {history['seconds']:.1f} s"
    accuracy = f", test accuracy {history['test_accuracy'][-1]:.2f} %" if history["test_accuracy"] else ""
    return f"{steps} iterations in {history['seconds']:.1f} s{accuracy}"


def results_json(seed, protocol, histories):
    """Every number of the runs ``histories`` (what ``mnist_optimizers.json`` holds)."""
    comparison = {n: [{"iteration": s, "measured": accuracy_at(histories[n], s),
                       "reported": reported_at(n, s)} for s in table_steps(histories)]
                  for n in histories if n in REPORTED}
    return {
        "experiment": NAME,
        "seed": seed,
        "backend": backend.current().name,
        "protocol": protocol,
        "settings": {n: {"optimizer": SETTINGS[n][0].__name__, **SETTINGS[n][1]} for n in histories},
        "diverged": [n for n, h in histories.items() if h["diverged_at"] is not None],
        "reported": REPORTED,
        "comparison": comparison,
        "runs": histories,
    }


if __name__ == "__main__":
    common.main_or_exit(main)
