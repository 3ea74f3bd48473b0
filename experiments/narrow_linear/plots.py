"""The tutorial's figures, drawn from numbers the experiment has computed (host arrays).

Each function returns a matplotlib Figure; ``experiments.common.save_figure`` writes it.
"""
import numpy

from experiments.common import pyplot


def shallow_fit(x, y, x_eval, y_eval, losses, weights):
    """Training data and fitted line; loss per epoch; w1 and w2 per epoch (course: plot_x_y_)."""
    plt = pyplot()
    fig, (ax1, ax2, ax3) = plt.subplots(1, 3, figsize=(12, 4))
    ax1.scatter(x, y, c="r", label="training data")
    ax1.plot(x_eval, y_eval, c="b", linewidth=2, label="test results")
    ax1.set(xlabel="x", ylabel="y")
    ax1.legend()
    ax2.plot(losses, c="r")
    ax2.set(xlabel="epochs", ylabel="mean squared error")
    ax3.plot(weights[:, 0], label="w₁")
    ax3.plot(weights[:, 1], label="w₂")
    ax3.set(xlabel="epochs", ylabel="weights")
    ax3.legend()
    return fig


def _trajectory(ax, weights):
    """Gray dots darkening with time, the first blue and the last a red cross (the course's marks)."""
    ax.scatter(weights[:, 0], weights[:, 1], c=numpy.arange(len(weights)), cmap="Greys")
    ax.scatter(weights[0, 0], weights[0, 1], c="blue", zorder=9)
    ax.scatter(weights[-1, 0], weights[-1, 1], c="red", marker="X", s=100, zorder=9)


def _trajectory_legend(n_epochs):
    """Legend entries for ``_trajectory``'s marks, once for all trajectories (its first dots are white)."""
    from matplotlib.lines import Line2D
    mark = dict(linestyle="none", markersize=8)
    return [Line2D([], [], marker="o", color="dimgray", label=f"trajectory, {n_epochs} epochs (darker: later)",
                   **mark),
            Line2D([], [], marker="o", color="blue", label="weights after the first epoch", **mark),
            Line2D([], [], marker="X", color="red", label="weights after the last epoch", **mark)]


def vector_field(grid, loss, grads, trajectories):
    """Negative gradients as arrows over (w1, w2), log-loss contours, the w1 w2 = 1 ribbon and
    training trajectories (course: plot_vector_field('all')).

    grid: (G,) values of w1 and of w2; loss: (G, G) and grads: (G, G, 2), indexed [w1, w2];
    trajectories: list of (epochs, 2) weight records.
    """
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(8, 8))
    w1, w2 = numpy.meshgrid(grid, grid, indexing="ij")
    contour = ax.contourf(w1, w2, numpy.log(loss + 0.001), levels=100, cmap="coolwarm", zorder=-1)
    fig.colorbar(contour, ax=ax, label="log (Loss)")
    norm = numpy.hypot(grads[..., 0], grads[..., 1])
    # The course draws each arrow with scale = min(40 |g|, 50): same-length arrows where the
    # gradient is small, longer ones only where it is large; colour = |g| (yellow is large).
    scale = numpy.maximum(numpy.minimum(40 * norm, 50), 1e-12)
    arrows = ax.quiver(w1, w2, -grads[..., 0] / scale, -grads[..., 1] / scale, numpy.minimum(norm, 1.0),
                       cmap="plasma", clim=(0, 1), scale=1, scale_units="width")
    fig.colorbar(arrows, ax=ax, orientation="horizontal", fraction=0.04, pad=0.08,
                 label="arrow colour: gradient size |∇L| (1 and above: yellow); arrows point down the slope")
    ribbon = numpy.linspace(2.0, 0.5, 100)
    for sign in (1, -1):
        ax.plot(sign * ribbon, sign / ribbon, c="tab:blue", linewidth=8, alpha=0.35,
                label="solutions w₁w₂ = 1" if sign == 1 else None)
    for weights in trajectories:
        _trajectory(ax, weights)
    ax.set(xlabel="w₁", ylabel="w₂", xlim=(-1.9, 1.9), ylim=(-1.9, 1.9))
    handles = ax.get_legend_handles_labels()[0] + _trajectory_legend(len(trajectories[0]))
    ax.legend(handles=handles, loc="upper right", fontsize=8, framealpha=0.9)
    return fig


def loss_landscape(grid, loss, runs):
    """log(loss + 0.5) as a surface over (w1, w2) with the training runs on it
    (course: plot_loss_landscape). runs: list of (losses (E,), weights (E, 2))."""
    plt = pyplot()
    fig = plt.figure(figsize=(12, 8))
    ax = fig.add_subplot(projection="3d")
    w1, w2 = numpy.meshgrid(grid, grid, indexing="ij")
    ax.plot_surface(w1, w2, numpy.log(loss + 0.5), cmap="coolwarm", alpha=0.5)
    for losses, weights in runs:
        ax.scatter3D(weights[:, 0], weights[:, 1], numpy.log(losses + 0.5), c="k", s=50)
    ax.axis("off")
    ax.view_init(45, 260)
    return fig


def loss_curves(curves, labels, title):
    """One training curve per run, log scale, the course's y range [0.001, 1]. curves: (runs, E)."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(10, 5))
    colors = plt.get_cmap("viridis")(numpy.linspace(0, 0.9, len(curves)))
    for curve, label, color in zip(curves, labels, colors, strict=True):
        ax.plot(curve, linewidth=2.5, c=color, label=label)
    ax.axhline(1e-2, c="gray", linestyle=":", linewidth=1)
    ax.set(yscale="log", ylim=(0.001, 1.0), xlabel="epochs", ylabel="mean squared error / 2", title=title)
    ax.legend(loc="lower left", ncol=4, fontsize=8)
    return fig


def depth_vs_lr(depths, lrs, epochs, best_lrs, fewest, best_curves):
    """The course's InterPlay figure, from a sweep instead of sliders.

    epochs: (D, L) epochs to converge (inf: never); best_lrs, fewest: (D,); best_curves: (D, E).
    """
    plt = pyplot()
    fig, axes = plt.subplots(2, 2, figsize=(11, 8))
    colors = plt.get_cmap("viridis")(numpy.linspace(0, 0.9, len(depths)))
    ax = axes[0, 0]
    for d, lr, curve, c in zip(depths, best_lrs, best_curves, colors, strict=True):
        ax.plot(curve, c=c, linewidth=2, label=f"depth {d}, η={lr:.3f}")
    ax.axhline(1e-2, c="gray", linestyle=":", linewidth=1)
    ax.set(yscale="log", ylim=(0.001, 1.0), xlabel="epochs", ylabel="mean squared error / 2",
           title="Training at the best learning rate")
    ax.legend(fontsize=8)
    ax = axes[0, 1]
    for d, row, lr, n, c in zip(depths, epochs, best_lrs, fewest, colors, strict=True):
        ax.plot(lrs, numpy.where(numpy.isfinite(row), row, numpy.nan), c=c, label=f"depth {d}")
        ax.scatter([lr], [n], c=[c], marker="*", s=120, zorder=9)
    ax.set(yscale="log", xlabel="learning rate η", ylabel="epochs to converge", xlim=(0, lrs[-1]),
           title="Every learning rate tried (gaps: never converged)")
    ax.legend(fontsize=8)
    axes[1, 0].plot(depths, fewest, "o-", c="r")
    axes[1, 0].set(xlabel="depth", ylabel="learning time (epochs)", title="Learning time vs depth")
    axes[1, 1].plot(depths, best_lrs, "o-", c="r")
    axes[1, 1].set(xlabel="depth", ylabel="best learning rate", title="Empirically optimal η vs depth")
    return fig


def _cell_edges(values):
    """(first, last) edges of an evenly spaced grid drawn as cells centred on its values."""
    half = (values[-1] - values[0]) / (len(values) - 1) / 2 if len(values) > 1 else 0.5
    return values[0] - half, values[-1] + half


def convergence_map(depths, lrs, inits, epochs, n_epochs, best_lrs, best_inits):
    """Epochs to converge over (learning rate, initial weight), one panel per depth, the
    fastest run starred.

    epochs: (D, L, I), inf where the run never converged (drawn gray); best_*: (D,).
    """
    from matplotlib.colors import LogNorm
    plt = pyplot()
    cols = min(3, len(depths))
    rows = -(-len(depths) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.6 * rows), squeeze=False)
    cmap = plt.get_cmap("viridis").with_extremes(bad="lightgray")
    extent = (*_cell_edges(inits), *_cell_edges(lrs))
    # strict=False: the grid may have more panels than depths; the spare ones are turned off below
    for ax, d, e, lr, w0 in zip(axes.flat, depths, epochs, best_lrs, best_inits, strict=False):
        image = ax.imshow(numpy.ma.masked_invalid(numpy.where(numpy.isfinite(e), e + 1, numpy.nan)),
                          origin="lower", aspect="auto", extent=extent, cmap=cmap,
                          norm=LogNorm(1, n_epochs + 1), interpolation="nearest")
        ax.scatter([w0], [lr], marker="*", s=150, c="red", edgecolors="white")
        ax.set(title=f"depth {d}", xlabel="initial weight", ylabel="learning rate")
        fig.colorbar(image, ax=ax, label="epochs to converge + 1")
    for ax in axes.flat[len(depths):]:
        ax.axis("off")
    fig.suptitle("Epochs to converge (gray: never converged or diverged)")
    return fig
