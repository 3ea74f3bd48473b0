"""The subcommands: one per figure of the tutorial, each with the course's settings.

Each one seeds the host generator with ``--seed`` (so it gives the same numbers alone or
in the full run), computes its numbers, prints a table, and writes ``<name>.json`` and
``<name>.png`` to the output folder. ``--quick`` shrinks the grids, not the code path.

A word on "depth": the course's depth and learning-rate widgets (and the bonus) build a
depth-d net from ``numpy.full((1, depth + 1), w0)`` -- d hidden layers, d + 1 weights, so
depth 0 is y = w x -- while its depth-vs-learning-rate hunt and its initialisation figure
pass ``numpy.full((1, depth), w0)``. Each subcommand below follows its figure.
"""
import functools

import numpy

import tinygrad_opt
from experiments import common
from tinygrad_opt import Tensor

from . import plots
from .models import ShallowNarrowLNN, gen_samples
from .sweeps import Config, best_by_fewest_epochs, convergence_epochs, grid, sweep
from .train import train, train_analytic

DEEP_DATA = dict(n=100, a=2.0, sigma=0.1)    # every deep-net figure: y = 2x + noise
DEEP_EPOCHS = 600


def _epochs_text(epochs):
    return str(int(epochs)) if numpy.isfinite(epochs) else "never"


def _deep_sweep(args, name, configs, n_epochs, executor):
    """Seed, draw the deep figures' data, sweep ``configs``; returns losses, diverged_at, epochs."""
    tinygrad_opt.manual_seed(args.seed)
    x, y = gen_samples(**DEEP_DATA)
    bar = functools.partial(common.progress, desc=name, disable=args.no_progress)
    losses, diverged_at = sweep(configs, x, y, n_epochs, executor=executor, progress=bar)
    return losses, diverged_at, convergence_epochs(losses)


def _write(out, name, numbers, fig):
    common.save_json(out / f"{name}.json", numbers)
    common.save_figure(fig, out / f"{name}.png")
    print(f"wrote {out / name}.json and .png")


def shallow(args, out, executor=None):
    """Section 1.1: fit y = 2x + noise (n=73, sigma=0.2) with y_hat = x w1 w2 from (1.4, -1.6),
    lr 0.02, 211 epochs, autodiff + SGD; the course's analytic loop alongside must agree.
    (--quick: the same; it takes a fraction of a second.)"""
    tinygrad_opt.manual_seed(args.seed)
    a, lr, n_epochs, init = 2.0, 0.02, 211, [1.4, -1.6]
    x, y = gen_samples(73, a, 0.2)
    model = ShallowNarrowLNN(init)
    run = train(model, x, y, lr, n_epochs)
    course = train_analytic(ShallowNarrowLNN(init), x, y, lr, n_epochs)
    x_eval = numpy.linspace(0.0, 1.0, 37)
    y_eval = model(Tensor(x_eval)).numpy()
    w1, w2 = run.weights[-1]
    numbers = dict(
        settings=dict(n=73, a=a, sigma=0.2, lr=lr, n_epochs=n_epochs, init=init, seed=args.seed),
        final_weights=[w1, w2], w1_times_w2=w1 * w2, least_squares_slope=float(x @ y / (x @ x)),
        final_loss=run.losses[-1], diverged_at=run.diverged_at,
        max_abs_diff_weights_autodiff_vs_analytic=float(numpy.abs(run.weights - course.weights).max()),
        losses=run.losses, weights=run.weights)
    print(common.format_table(
        ["w1", "w2", "w1*w2", "a", "least-squares slope", "final loss", "|autodiff - analytic|"],
        [[f"{w1:.4f}", f"{w2:.4f}", f"{w1 * w2:.4f}", f"{a}", f"{numbers['least_squares_slope']:.4f}",
          f"{run.losses[-1]:.4f}", f"{numbers['max_abs_diff_weights_autodiff_vs_analytic']:.1e}"]]))
    _write(out, "shallow", numbers, plots.shallow_fit(x, y, x_eval, y_eval, run.losses, run.weights))
    return numbers


def _loss_surface(step):
    """The landscape figures' grid over (w1, w2) in [-1.9, 1.9] and, on the noiseless line
    y = x (n=10), the loss and its autodiff gradient at every point, plus the course's analytic one."""
    grid_values = numpy.arange(-1.9, 2.0, step)
    x, y = gen_samples(10, 1.0, 0.0)
    xt, yt = Tensor(x), Tensor(y)
    size = len(grid_values)
    loss, grads, analytic = numpy.empty((size, size)), numpy.empty((size, size, 2)), numpy.empty((size, size, 2))
    for i, w1 in enumerate(grid_values):
        for j, w2 in enumerate(grid_values):
            model = ShallowNarrowLNN([w1, w2])
            value = model.loss(model(xt), yt)
            value.backward()
            loss[i, j] = value.item()
            grads[i, j] = model.w1.grad.item(), model.w2.grad.item()
            analytic[i, j] = [float(g) for g in model.dloss_dw(xt, yt)]
    return grid_values, x, y, loss, grads, float(numpy.abs(grads - analytic).max())


def _trajectory_rows(inits, runs):
    return [[f"({w[0]}, {w[1]})", f"({r.weights[-1, 0]:.3f}, {r.weights[-1, 1]:.3f})",
             f"{r.weights[-1].prod():.4f}", f"{r.losses[-1]:.2e}"] for w, r in zip(inits, runs, strict=True)]


VECTOR_FIELD_INITS = [[0.5, -0.5], [0.55, -0.45], [-1.8, 1.7]]


def vector_field(args, out, executor=None):
    """Section 1.2: gradient arrows over w1, w2 in [-1.9, 1.9] for y = x, log-loss contours,
    the w1 w2 = 1 solution ribbon, trajectories from (0.5, -0.5), (0.55, -0.45), (-1.8, 1.7)
    with lr 0.15 for 40 epochs; with ``--init-weights W1 W2`` one trajectory from there
    instead, the course's ``plot_vector_field('all', init_weights)``.
    (--quick: a grid step of 0.4 instead of 0.2.)"""
    grid_values, x, y, loss, grads, diff = _loss_surface(0.4 if args.quick else 0.2)
    custom = getattr(args, "init_weights", None)
    inits = [list(custom)] if custom else VECTOR_FIELD_INITS
    runs = [train(ShallowNarrowLNN(w), x, y, 0.15, 40) for w in inits]
    print(common.format_table(["init (w1, w2)", "final (w1, w2)", "w1*w2", "final loss"],
                              _trajectory_rows(inits, runs)))
    print(f"max |autodiff - analytic gradient| over the grid: {diff:.1e}")
    numbers = dict(settings=dict(data="gen_samples(10, 1.0, 0.0)", lr=0.15, n_epochs=40, inits=inits),
                   grid=grid_values, loss=loss, gradients=grads, max_abs_diff_autodiff_vs_analytic=diff,
                   trajectories=[r.weights for r in runs])
    _write(out, "vector_field", numbers, plots.vector_field(grid_values, loss, grads, [r.weights for r in runs]))
    return numbers


def landscape(args, out, executor=None):
    """Section 1.2: the loss over (w1, w2) as a 3-D surface with training runs from (-1.8, 1.7)
    and (1.5, -1.5), lr 0.02, 240 epochs. (--quick: a grid step of 0.4 instead of 0.2.)"""
    grid_values, x, y, loss, _, _ = _loss_surface(0.4 if args.quick else 0.2)
    inits = [[-1.8, 1.7], [1.5, -1.5]]
    runs = [train(ShallowNarrowLNN(w), x, y, 0.02, 240) for w in inits]
    print(common.format_table(["init (w1, w2)", "final (w1, w2)", "w1*w2", "final loss"],
                              _trajectory_rows(inits, runs)))
    numbers = dict(settings=dict(data="gen_samples(10, 1.0, 0.0)", lr=0.02, n_epochs=240, inits=inits),
                   grid=grid_values, loss=loss,
                   runs=[dict(losses=r.losses, weights=r.weights) for r in runs])
    _write(out, "landscape", numbers,
           plots.loss_landscape(grid_values, loss, [(r.losses, r.weights) for r in runs]))
    return numbers


CURVE_HEADERS = ["weights", "lr", "init", "converged at", "diverged at", "final loss"]


def _curve_rows(configs, epochs, diverged_at, losses):
    return [[c.depth, c.lr, c.init, _epochs_text(e), "-" if d < 0 else int(d), f"{curve[-1]:.2e}"]
            for c, e, d, curve in zip(configs, epochs, diverged_at, losses, strict=True)]


def _curves_json(configs, epochs, diverged_at, losses):
    return [dict(weights=c.depth, lr=c.lr, init=c.init, converged_at=e, diverged_at=int(d), losses=curve)
            for c, e, d, curve in zip(configs, epochs, diverged_at, losses, strict=True)]


def depth(args, out, executor=None):
    """Section 2.1: depths (hidden layers) 0..50 step 5, all weights 0.9, lr 0.01 (0.02 at
    depth 0), 600 epochs: deeper nets start on a plateau and learn later.
    (--quick: depths 0, 10, 20 for 300 epochs.)"""
    hidden = [0, 10, 20] if args.quick else list(range(0, 51, 5))
    n_epochs = 300 if args.quick else DEEP_EPOCHS
    configs = [Config(d + 1, 0.02 if d == 0 else 0.01, 0.9) for d in hidden]
    losses, diverged_at, epochs = _deep_sweep(args, "depth", configs, n_epochs, executor)
    rows = _curve_rows(configs, epochs, diverged_at, losses)
    print(common.format_table(["depth"] + CURVE_HEADERS, [[d] + r for d, r in zip(hidden, rows, strict=True)]))
    numbers = dict(settings=dict(DEEP_DATA, n_epochs=n_epochs, seed=args.seed), depths=hidden,
                   runs=_curves_json(configs, epochs, diverged_at, losses))
    labels = [f"depth {d}: {_epochs_text(e)}" for d, e in zip(hidden, epochs, strict=True)]
    _write(out, "depth", numbers, plots.loss_curves(
        losses, labels, "Depth: narrow LNNs with all weights 0.9, η=0.01 (0.02 at depth 0)"))
    return numbers


def learning_rate(args, out, executor=None):
    """Section 2.2: depth 50 (51 weights), weights 0.9, lr 0.005..0.045 step 0.005, 600 epochs:
    a larger learning rate is faster only up to a point. (--quick: lr 0.005, 0.025, 0.045.)"""
    lrs = [0.005, 0.025, 0.045] if args.quick else numpy.round(numpy.arange(1, 10) * 0.005, 3).tolist()
    configs = [Config(51, lr, 0.9) for lr in lrs]
    losses, diverged_at, epochs = _deep_sweep(args, "lr", configs, DEEP_EPOCHS, executor)
    print(common.format_table(CURVE_HEADERS, _curve_rows(configs, epochs, diverged_at, losses)))
    numbers = dict(settings=dict(DEEP_DATA, n_epochs=DEEP_EPOCHS, seed=args.seed), lrs=lrs,
                   runs=_curves_json(configs, epochs, diverged_at, losses))
    labels = [f"η={lr}: {_epochs_text(e)}" for lr, e in zip(lrs, epochs, strict=True)]
    _write(out, "lr", numbers, plots.loss_curves(losses, labels, "Learning rate: depth 50, all weights 0.9"))
    return numbers


DEPTH_VS_LR_MAX_LR = 0.2     # depth 10 diverges from about 0.15: the grid reaches past every best lr
COURSE_SLIDER_LRS = numpy.round(numpy.arange(1, 22) * 0.005, 3)     # FloatSlider(min=0.005, max=0.105, step=0.005)


def _best_lr_text(lr, at_edge):
    """A best lr on the grid's largest value may be beaten by a larger one: say it is a lower bound."""
    return f">= {lr:.3f}" if at_edge else f"{lr:.3f}"


def depth_vs_lr(args, out, executor=None):
    """Section 2.3, the "find the best learning rate for this depth" hunt as a sweep: depths
    10..60 step 10 (depth weights), weights 0.9, every lr in 0.001..0.2 step 0.001, 600 epochs;
    for each depth the lr converging in the fewest epochs. A best lr on the grid's top edge
    is printed as a lower bound (and flagged in the JSON), since a larger lr might be faster.
    (--quick: depths 10, 20, 30, lr step 0.005, 200 epochs.)"""
    depths = [10, 20, 30] if args.quick else list(range(10, 61, 10))
    step = 0.005 if args.quick else 0.001
    n_epochs = 200 if args.quick else DEEP_EPOCHS
    lrs = numpy.round(numpy.arange(1, round(DEPTH_VS_LR_MAX_LR / step) + 1) * step, 3)
    losses, diverged_at, epochs = _deep_sweep(args, "depth-vs-lr", grid(depths, lrs, [0.9]),
                                              n_epochs, executor)
    epochs = epochs.reshape(len(depths), len(lrs))
    best_lrs, fewest = best_by_fewest_epochs(epochs, lrs)
    at_edge = best_lrs == lrs[-1]
    # The course's widget offers only its slider's values, all of them on this grid: the same runs, fewer columns.
    on_slider = numpy.isin(lrs, COURSE_SLIDER_LRS)
    slider_best, slider_fewest = best_by_fewest_epochs(epochs[:, on_slider], lrs[on_slider])
    best_curves = losses.reshape(len(depths), len(lrs), -1)[numpy.arange(len(depths)), epochs.argmin(axis=1)]
    print(common.format_table(
        ["depth", "best lr", "epochs to converge", "best lr * depth", "lrs converged", "lrs diverged",
         "course's slider: best lr", "epochs"],
        [[d, _best_lr_text(lr, edge), _epochs_text(n), f"{lr * d:.2f}", int(numpy.isfinite(row).sum()),
          int(dv.sum()), "none" if not numpy.isfinite(slr) else f"{slr:.3f}", _epochs_text(sn)]
         for d, lr, edge, n, row, dv, slr, sn in zip(depths, best_lrs, at_edge, fewest, epochs,
                                                    (diverged_at >= 0).reshape(len(depths), len(lrs)),
                                                    slider_best, slider_fewest, strict=True)]))
    note = "; >=: the best is the largest lr tried, a larger one might be faster" if at_edge.any() else ""
    print(f"({len(lrs)} learning rates tried per depth, {lrs[0]:g} to {lrs[-1]:g}{note}; the course's slider: "
          f"{int(on_slider.sum())} of them, 0.005 to 0.105 step 0.005)")
    numbers = dict(settings=dict(DEEP_DATA, n_epochs=n_epochs, init=0.9, seed=args.seed,
                                 converged="first epoch with loss < 1e-2, staying below until the end"),
                   depths=depths, lrs=lrs, epochs_to_converge=epochs,
                   diverged_at=diverged_at.reshape(len(depths), len(lrs)),
                   best_lr=best_lrs, best_lr_at_grid_edge=at_edge, fewest_epochs=fewest,
                   course_slider_lrs=lrs[on_slider], course_slider_best_lr=slider_best,
                   course_slider_fewest_epochs=slider_fewest,
                   best_curves=best_curves)
    _write(out, "depth_vs_lr", numbers, plots.depth_vs_lr(depths, lrs, epochs, best_lrs, fewest, best_curves))
    return numbers


def init(args, out, executor=None):
    """Section 2.4: depth 15 (15 weights), lr 0.02, 250 epochs, all weights equal to
    0.70..1.05 step 0.05: far from 1, the product vanishes or explodes and training slows or
    breaks. (--quick: inits 0.7, 0.85, 1.0.)"""
    inits = [0.7, 0.85, 1.0] if args.quick else numpy.round(numpy.arange(0.7, 1.09, 0.05), 2).tolist()
    configs = [Config(15, 0.02, w0) for w0 in inits]
    losses, diverged_at, epochs = _deep_sweep(args, "init", configs, 250, executor)
    print(common.format_table(CURVE_HEADERS, _curve_rows(configs, epochs, diverged_at, losses)))
    numbers = dict(settings=dict(DEEP_DATA, n_epochs=250, seed=args.seed), inits=inits,
                   runs=_curves_json(configs, epochs, diverged_at, losses))
    labels = [f"initial weights {w0:.2f}: {_epochs_text(e)}" for w0, e in zip(inits, epochs, strict=True)]
    _write(out, "init", numbers, plots.loss_curves(losses, labels, "Initialisation: depth 15, η=0.02"))
    return numbers


def bonus(args, out, executor=None):
    """Bonus: the depth x learning rate x initialisation map of epochs to converge, over the
    course's sliders: depth 10..50 step 5 (depth + 1 weights), lr 0.001..0.096 step 0.005 and
    initial weights 0.1..3.0 step 0.1. 600 epochs. (Most of the map is empty: beyond about 1.2
    every run explodes within a few epochs and below 0.5 none moves in 600.)
    (--quick: depths 10, 20, five lrs, inits 0.5..1.5 step 0.25, 200 epochs.)"""
    n_epochs = 200 if args.quick else DEEP_EPOCHS
    if args.quick:
        hidden, lrs, inits = [10, 20], numpy.round(numpy.arange(0.001, 0.1, 0.02), 3), [0.5, 0.75, 1.0, 1.25, 1.5]
    else:
        hidden = list(range(10, 51, 5))
        lrs = numpy.round(numpy.arange(0.001, 0.1, 0.005), 3)
        inits = numpy.round(numpy.arange(1, 31) * 0.1, 1)
    configs = [Config(c.depth + 1, c.lr, c.init) for c in grid(hidden, lrs, inits)]
    _, diverged_at, epochs = _deep_sweep(args, "bonus", configs, n_epochs, executor)
    shape = (len(hidden), len(lrs), len(inits))
    epochs, diverged = epochs.reshape(shape), (diverged_at >= 0).reshape(shape)
    pairs = [(lr, w0) for lr in lrs for w0 in inits]
    best_pair, fewest = best_by_fewest_epochs(epochs.reshape(len(hidden), -1), numpy.arange(len(pairs)))
    best_lr = [pairs[int(k)][0] if numpy.isfinite(k) else numpy.nan for k in best_pair]
    best_init = [pairs[int(k)][1] if numpy.isfinite(k) else numpy.nan for k in best_pair]
    print(common.format_table(
        ["depth", "best lr", "best init", "epochs to converge", "runs converged", "runs diverged"],
        [[d, f"{lr:.3f}", f"{w0:.2f}", _epochs_text(n), int(numpy.isfinite(e).sum()), int(dv.sum())]
         for d, lr, w0, n, e, dv in zip(hidden, best_lr, best_init, fewest, epochs, diverged, strict=True)]))
    numbers = dict(settings=dict(DEEP_DATA, n_epochs=n_epochs, seed=args.seed), depths=hidden, lrs=lrs,
                   inits=inits, epochs_to_converge=epochs, diverged=diverged,
                   best=[dict(depth=d, lr=lr, init=w0, epochs=n)
                         for d, lr, w0, n in zip(hidden, best_lr, best_init, fewest, strict=True)])
    _write(out, "bonus", numbers,
           plots.convergence_map(hidden, lrs, inits, epochs, n_epochs, best_lr, best_init))
    return numbers
