"""Every optimizer on 2-D test functions: trajectories over the contour plot, and loss vs step.

    python -m experiments.optimizer_zoo            # 2000 steps per run (about 5 seconds)
    python -m experiments.optimizer_zoo --quick    # 60 steps, coarse contours (about 1.5 seconds)

Functions: Rosenbrock's banana valley, Beale's function (flat plateaus and steep walls) and
an ill-conditioned quadratic (curvatures 1 and 50). Each optimizer starts from the same
point with a learning rate that suits the function (listed in the JSON); the point is to
*see* the update rules: momentum overshooting and swinging back, adaptive methods taking
equal-size steps along both axes, Adagrad slowing down, SGD zig-zagging across the valley.

Writes to the output folder: ``<function>.png`` (contours + trajectories), ``loss_vs_step.png``
and ``optimizer_zoo.json`` (settings, final losses and points, loss curves, trajectories).
"""
import numpy as np

from experiments import common
from tinygrad_opt import Tensor, optim


# -- the functions: engine form (for gradients) and host form (for the contour plot) -----------------
def rosenbrock(x, y):
    return (1 - x) ** 2 + 100 * (y - x ** 2) ** 2


def beale(x, y):
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y ** 2) ** 2 + (2.625 - x + x * y ** 3) ** 2


def ill_conditioned(x, y):
    return 0.5 * (x ** 2 + 50 * y ** 2)


# name: (function, start, minimum, plot box (xmin, xmax, ymin, ymax), lr for SGD-like, lr for adaptive)
FUNCTIONS = {
    "rosenbrock": (rosenbrock, (-1.2, 1.0), (1.0, 1.0), (-2.0, 2.0, -1.0, 3.0), 1e-3, 2e-2),
    "beale": (beale, (1.0, 1.5), (3.0, 0.5), (-1.0, 4.0, -1.5, 2.5), 1e-3, 2e-2),
    "ill-conditioned quadratic": (ill_conditioned, (-1.5, 1.0), (0.0, 0.0), (-2.0, 2.0, -1.5, 1.5), 1e-2, 5e-2),
}


def optimizers(sgd_lr, adaptive_lr):
    """name -> (optimizer class, its keyword arguments) for one function's learning rates."""
    return {
        "SGD": (optim.SGD, dict(lr=sgd_lr)),
        "SGD momentum 0.9": (optim.SGD, dict(lr=sgd_lr, momentum=0.9)),
        "SGD Nesterov 0.9": (optim.SGD, dict(lr=sgd_lr, momentum=0.9, nesterov=True)),
        "RMSprop": (optim.RMSprop, dict(lr=adaptive_lr)),
        "Adagrad": (optim.Adagrad, dict(lr=10 * adaptive_lr)),
        "Adadelta": (optim.Adadelta, dict(lr=1.0)),
        "Adam": (optim.Adam, dict(lr=adaptive_lr)),
        "AdamW": (optim.AdamW, dict(lr=adaptive_lr)),
        "Adamax": (optim.Adamax, dict(lr=adaptive_lr)),
        "NAdam": (optim.NAdam, dict(lr=adaptive_lr)),
    }


def run(fn, start, cls, kwargs, steps):
    """Trajectory (steps+1, 2) and losses (steps+1,) of one optimizer from ``start``, float64."""
    p = Tensor(np.array(start, dtype=np.float64), requires_grad=True)
    opt = cls([p], **kwargs)
    points, losses = [p.numpy().copy()], []
    for _ in range(steps):
        opt.zero_grad()
        loss = fn(p[0], p[1])
        losses.append(loss.item())
        if common.is_diverged(losses[-1]):
            break
        loss.backward()
        opt.step()
        points.append(p.numpy().copy())
    else:
        losses.append(fn(p[0], p[1]).item())
    return np.array(points), np.array(losses)


def plot_function(name, fn, box, minimum, results, resolution):
    """Contours of ``fn`` over ``box`` and each optimizer's trajectory: a Figure."""
    plt = common.pyplot()
    xmin, xmax, ymin, ymax = box
    xs, ys = np.meshgrid(np.linspace(xmin, xmax, resolution), np.linspace(ymin, ymax, resolution))
    zs = fn(xs, ys)
    fig, ax = plt.subplots(figsize=(8, 6.5))
    ax.contour(xs, ys, np.log10(zs + 1e-3), levels=30, cmap="gray_r", linewidths=0.6)
    for opt_name, (points, _) in results.items():
        ax.plot(points[:, 0], points[:, 1], lw=1.2, label=opt_name)
    ax.plot(*minimum, "k*", ms=14, label="minimum")
    ax.plot(*results["SGD"][0][0], "ko", ms=6, label="start")
    ax.set(xlim=(xmin, xmax), ylim=(ymin, ymax), xlabel="x", ylabel="y",
           title=f"{name}: trajectories over log10(f) contours")
    ax.legend(fontsize=7, loc="best")
    return fig


def plot_losses(curves):
    """Loss against step, one panel per function, one line per optimizer: a Figure."""
    plt = common.pyplot()
    fig, axes = plt.subplots(1, len(curves), figsize=(6 * len(curves), 4.5), squeeze=False)
    for ax, (name, results) in zip(axes[0], curves.items(), strict=True):
        for opt_name, (_, losses) in results.items():
            ax.semilogy(np.maximum(losses, 1e-16), lw=1.2, label=opt_name)
        ax.set(title=name, xlabel="step", ylabel="loss (log scale)")
    axes[0][0].legend(fontsize=7)
    return fig


def main(argv=None):
    args = common.parser("optimizer_zoo", __doc__.splitlines()[0]).parse_args(argv)
    out = common.setup(args, "optimizer_zoo")
    steps, resolution = (60, 80) if args.quick else (2000, 300)
    summary = {"steps": steps, "functions": {}}
    curves = {}
    for name, (fn, start, minimum, _box, sgd_lr, adaptive_lr) in common.progress(
            FUNCTIONS.items(), desc="functions", disable=args.no_progress):
        results, record = {}, {}
        for opt_name, (cls, kwargs) in optimizers(sgd_lr, adaptive_lr).items():
            points, losses = run(fn, start, cls, kwargs, steps)
            results[opt_name] = (points, losses)
            every = max(1, len(points) // 200)       # keep the JSON small: about 200 points per curve
            record[opt_name] = {"optimizer": cls.__name__, "kwargs": kwargs, "final_loss": float(losses[-1]),
                                "final_point": points[-1].tolist(), "diverged": bool(common.is_diverged(losses[-1])),
                                "loss_every": every, "losses": losses[::every].tolist(),
                                "trajectory": points[::every].tolist()}
        summary["functions"][name] = {"start": start, "minimum": minimum, "optimizers": record}
        curves[name] = results
    common.save_json(out / "optimizer_zoo.json", summary)     # the numbers first: a plotting crash loses none
    for name, results in curves.items():
        fn, _, minimum, box = FUNCTIONS[name][:4]
        common.save_figure(plot_function(name, fn, box, minimum, results, resolution),
                           out / f"{name.replace(' ', '_')}.png")
    common.save_figure(plot_losses(curves), out / "loss_vs_step.png")
    names = list(optimizers(0, 0))
    rows = [[opt_name] + [f"{summary['functions'][f]['optimizers'][opt_name]['final_loss']:.3g}" for f in FUNCTIONS]
            for opt_name in names]
    print(f"final loss after {steps} steps")
    print(common.format_table(["optimizer"] + list(FUNCTIONS), rows))
    print(f"wrote {out}")
    return summary


if __name__ == "__main__":
    common.main_or_exit(main)
