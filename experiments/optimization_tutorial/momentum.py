"""Section 4, poor conditioning: gradient descent vs momentum on a two-parameter loss
(coding exercise 4 and interactive demo 4).

Freeze every parameter of the linear model at its initial value except two: u = W[0, 378]
(the weight of the centre pixel for class 0) and v = b[7] (the bias of class 7). The loss
L(u, v) on the 500-example subset (the course's ``loss_2d``) is then a function of two numbers.
The course's demo runs gradient descent and momentum,

    v_t = -lr * grad L(w_t) + beta * v_{t-1},    w_{t+1} = w_t + v_t       (``momentum_update``)

from (2.5, 3.7) with its sliders: steps 50..500 (300), lr 10^-3..10^0.7 (0.1), beta 0..1 (0.9),
and plots the distance of each parameter to the optimum (found by Newton's method) and the
trajectories on the 3-D loss surface. The challenge: both distances below 1e-6 within 100
steps. ``solve_challenge`` searches the sliders' own values for the fewest steps.

The curvatures, as measured (printed by the section): the Hessian at the optimum is almost
diagonal, with d2L/du2 (the weight) about 0.011 and d2L/dv2 (the bias) about 0.093 on the
course's subset and seed. The course's text says the weight is the sensitive direction and
gradient descent is slow in the bias; here it is the other way round: the bias is 8.5 times
more curved, and gradient descent crawls in the weight (the centre pixel is dark in most
images, so the weight u multiplies a small, similar input and matters little). The surface
is flat in both directions (every curvature below 0.1), which is why lr 0.1 is timid and
the challenge needs the slider's largest learning rates. This section computes in float64,
so the distances can go down to 1e-12.
"""
from typing import NamedTuple

import numpy as np

from experiments import common
from tinygrad_opt import Tensor, backend, manual_seed, nn, no_grad
import tinygrad_opt.nn.functional as F
from tinygrad_opt.optim.functional import gradient_update, momentum_update

from .course import Knob, knob, randn_like, format_params, loss_fn

PIXEL, WEIGHT_CLASS, BIAS_CLASS = 378, 0, 7
INITS = (2.5, 3.7)
GRID_HALF_WIDTH, GRID_POINTS = 4.0, 30
TOLERANCE = 1e-6
CHALLENGE_STEPS = 100
# Interactive demo 4's sliders: IntSlider(300, 50, 500, 5), FloatLogSlider(1e-1, min=-3, max=0.7,
# step=0.1), FloatSlider(0.9, 0, 1, 0.01).
KNOBS = {"max_steps": Knob(300, 50, 500, 5), "lr": Knob(0.1, -3, 0.7, 0.1, log=True),
         "beta": Knob(0.9, 0.0, 1.0, 0.01)}
SLIDER_LRS = np.round(10.0 ** np.arange(-3, 0.7 + 1e-9, 0.1), 6)     # every value the lr slider takes
SLIDER_BETAS = np.round(np.arange(0, 101) * 0.01, 2)


class TwoParameterLoss:
    """L(u, v): the linear model's NLL on (X, y) with W[0, 378] = u and b[7] = v, the rest frozen.

        logits = X W0^T + b0  +  u * X[:, 378] e_0^T  +  v * 1 e_7^T        (500, 10)

    where W0, b0 are the initial parameters with those two entries set to zero.
    """

    def __init__(self, model, X, y):
        W = model.main[0].weight.numpy().astype(np.float64)
        b = model.main[0].bias.numpy().astype(np.float64)
        W[WEIGHT_CLASS, PIXEL] = 0.0
        b[BIAS_CLASS] = 0.0
        X = X.astype(np.float64)
        self.frozen = Tensor(X @ W.T + b)
        weight_column = np.zeros((len(X), 10))
        weight_column[:, WEIGHT_CLASS] = X[:, PIXEL]
        self.weight_column = Tensor(weight_column)
        self.bias_column = Tensor(np.eye(10)[BIAS_CLASS])
        self.y = Tensor(y)

    def __call__(self, u, v):
        logits = self.frozen + u * self.weight_column + v * self.bias_column
        return F.nll_loss(F.log_softmax(logits, dim=1), self.y)

    def gradient(self, point):
        u, v = nn.Parameter(np.array(point[0])), nn.Parameter(np.array(point[1]))
        self(u, v).backward()
        return np.array([u.grad.item(), v.grad.item()])


def hessian(loss, w, h=1e-5):
    """The 2x2 matrix of second derivatives at w, by central differences of the gradient."""
    return np.column_stack([(loss.gradient(w + h * e) - loss.gradient(w - h * e)) / (2 * h) for e in np.eye(2)])


def newton_optimum(loss, start=(0.0, 0.0), steps=30):
    """Newton's method (the course's ``run_newton``), w <- w - H(w)^-1 grad L(w).
    Returns w and the largest |gradient| left."""
    w = np.array(start, dtype=np.float64)
    for _ in range(steps):
        w = w - np.linalg.solve(hessian(loss, w), loss.gradient(w))
    return w, np.abs(loss.gradient(w)).max()


def polyak(H):
    """The fastest heavy-ball settings for a quadratic with Hessian H (Polyak, 1964):

        lr = 4 / (sqrt(L) + sqrt(mu))^2,    beta = ((sqrt(L) - sqrt(mu)) / (sqrt(L) + sqrt(mu)))^2

    with L, mu the largest and smallest eigenvalues of H.
    """
    mu, L = np.linalg.eigvalsh(H)
    return 4 / (np.sqrt(L) + np.sqrt(mu)) ** 2, ((np.sqrt(L) - np.sqrt(mu)) / (np.sqrt(L) + np.sqrt(mu))) ** 2


def trajectory(loss, update, steps, **settings):
    """The course's ``run_optimizer``: rows (u, v, L(u, v)) before each of ``steps`` updates from
    INITS, and the iteration (counted from 1) whose loss was nan or inf, or None: a diverging run
    stops there and its later rows stay nan."""
    params = [nn.Parameter(np.array(x)) for x in INITS]
    aux_tensors = [backend.get_array_module(p.array).zeros_like(p.array) for p in params]
    path = np.full((steps, 3), np.nan)
    for t in range(steps):
        value = loss(*params)
        path[t] = [params[0].item(), params[1].item(), value.item()]
        if common.is_diverged(path[t, 2]):
            return path, t + 1
        if update is gradient_update:
            gradient_update(value, params, **settings)
        else:
            update(value, params, aux_tensors, **settings)
    return path, None


def first_step_within(distances, tolerance):
    """The first step at which both coordinates are within ``tolerance`` of the optimum, or None."""
    inside = np.nonzero((distances < tolerance).all(axis=1))[0]
    return int(inside[0]) if len(inside) else None


class MomentumProblem(NamedTuple):
    """Everything demo 4 computes once: the loss, its optimum and Hessian, and the surface."""
    loss: TwoParameterLoss
    optimum: np.ndarray
    newton_gradient: float
    hessian: np.ndarray
    U: np.ndarray
    V: np.ndarray
    Z: np.ndarray


def momentum_problem(data, seed, grid_points=GRID_POINTS):
    """The two-parameter loss of a fresh linear model (``set_seed(seed)``), as the course sets it up."""
    manual_seed(seed)
    loss = TwoParameterLoss(nn.MLP(in_dim=784, out_dim=10, hidden_dims=[]), data.X, data.y)
    optimum, gradient_left = newton_optimum(loss)
    grid = np.linspace(-GRID_HALF_WIDTH, GRID_HALF_WIDTH, grid_points)
    U, V = np.meshgrid(grid, grid)
    with no_grad():
        Z = np.array([[loss(Tensor(u), Tensor(v)).item() for u, v in zip(ru, rv, strict=True)]
                      for ru, rv in zip(U, V, strict=True)])
    return MomentumProblem(loss, optimum, gradient_left, hessian(loss, optimum), U, V, Z)


def distances(problem, path):
    """|u - u*| and |v - v*| per step, (steps, 2)."""
    return np.abs(path[:, :2] - problem.optimum)


def solve_challenge(problem, lrs, betas, max_steps=CHALLENGE_STEPS, tolerance=TOLERANCE):
    """Try momentum at every (lr, beta); returns (lr, beta, steps) of the fewest steps that get both
    coordinates within ``tolerance``, or None if none does within ``max_steps``."""
    best = None
    for lr in lrs:
        for beta in betas:
            path, _ = trajectory(problem.loss, momentum_update, max_steps, lr=lr, beta=beta)
            steps = first_step_within(distances(problem, path), tolerance)
            if steps is not None and (best is None or steps < best[2]):
                best = (float(lr), float(beta), steps)
    return best


def momentum_experiment(problem, max_steps=300, lr=1e-1, beta=0.9):
    """Interactive demo 4 with the widget's knobs: GD and momentum from INITS. Returns the Figure
    (distances per parameter; the contour; the course's 3-D surface) and a summary per method."""
    runs = {"GD": trajectory(problem.loss, gradient_update, max_steps, lr=lr),
            "Momentum": trajectory(problem.loss, momentum_update, max_steps, lr=lr, beta=beta)}
    styles = {"GD": ("black", "-"), "Momentum": ("red", "--")}
    plt = common.pyplot()
    fig = plt.figure(figsize=(16, 4.8))
    ax_distance = fig.add_subplot(1, 3, 1)
    ax_contour = fig.add_subplot(1, 3, 2)
    ax_surface = fig.add_subplot(1, 3, 3, projection="3d")
    ax_surface.view_init(45, -130)                      # the course's plot_surface
    contour = ax_contour.contourf(problem.U, problem.V, problem.Z, levels=30, cmap="coolwarm")
    fig.colorbar(contour, ax=ax_contour, label="loss")
    ax_surface.plot_surface(problem.U, problem.V, problem.Z, cmap="coolwarm", linewidth=0, antialiased=True,
                            alpha=0.5)
    summary = {}
    for name, (path, diverged_at) in runs.items():
        color, line = styles[name]
        d = distances(problem, path)
        ax_distance.semilogy(d[:, 0] + 1e-16, line, color=color, label=f"weight - {name}")
        ax_distance.semilogy(d[:, 1] + 1e-16, line, color=color, alpha=0.45, label=f"bias - {name}")
        ax_contour.plot(path[:, 0], path[:, 1], line, color=color, marker=".", markersize=2, linewidth=1, label=name)
        ax_surface.plot3D(*path.T, color=color, linewidth=0.6, label=name)
        summary[name] = {"final_distance": d[-1], "final_loss": path[-1, 2], "diverged_at": diverged_at,
                         "first_step_within_tolerance": first_step_within(d, TOLERANCE), "trajectory": path}
    z_min = problem.Z.min()
    ax_contour.plot(*problem.optimum, "*", color="lime", markersize=14, markeredgecolor="k", label="optimum")
    ax_surface.scatter(*problem.optimum, z_min, marker="*", s=80, c="lime", label="Opt.")
    ax_contour.set_xlim(-GRID_HALF_WIDTH, GRID_HALF_WIDTH)
    ax_contour.set_ylim(-GRID_HALF_WIDTH, GRID_HALF_WIDTH)
    for ax in (ax_contour, ax_surface):
        ax.set_xlabel(f"Weight u = W[{WEIGHT_CLASS}, {PIXEL}]")
        ax.set_ylabel(f"Bias v = b[{BIAS_CLASS}]")
    ax_surface.set_zlabel("Loss")
    ax_surface.legend(fontsize=8)
    ax_contour.legend(fontsize=8, loc="lower left")
    ax_contour.set_title(f"{max_steps} steps from {INITS}: lr {lr:.3g}, beta {beta:.2f}", fontsize=10)
    ax_distance.axhline(TOLERANCE, color="gray", linewidth=0.8, linestyle=":")
    ax_distance.set_xlabel("Iteration")
    ax_distance.set_ylabel("Distance to optimum (per dimension)")
    ax_distance.set_ylim(1e-12, 10)
    ax_distance.grid(alpha=0.3)
    ax_distance.legend(fontsize=8)
    return fig, summary


def momentum_check(data, seed):
    """Coding exercise 4's check cell: ``set_seed(SEED)``, a linear model, random initial velocities
    ``[torch.randn_like(p) for p in params]``, one ``momentum_update`` with lr 0.1, beta 0.9.
    Returns the parameters after the update."""
    manual_seed(seed)
    model2 = nn.MLP(in_dim=784, out_dim=10, hidden_dims=[])
    print("\n The model2 parameters before the update are: \n")
    print(format_params(model2))
    loss = loss_fn(model2, data.X, data.y)
    initial_vel = [randn_like(p) for p in model2.parameters()]
    momentum_update(loss, list(model2.parameters()), grad_vel=initial_vel, lr=1e-1, beta=0.9)
    print("\n The model2 parameters after the update are: \n")
    print(format_params(model2))
    return {name: p.numpy() for name, p in model2.named_parameters()}


def run(data, args, out):
    max_steps = knob(args, "momentum", "max_steps", KNOBS)
    lr, beta = knob(args, "momentum", "lr", KNOBS), knob(args, "momentum", "beta", KNOBS)
    if args.quick:
        max_steps = min(max_steps, 40)
    check = momentum_check(data, args.seed)
    after = np.concatenate([v.ravel() for v in check.values()])
    print(f"(the course's expected output comes from PyTorch's generator, so the digits differ; the scale "
          f"is the check: the velocities are N(0, 1), so the parameters after are about 0.9 * N(0, 1): "
          f"std here {after.std():.3f})")

    problem = momentum_problem(data, args.seed, grid_points=8 if args.quick else GRID_POINTS)
    fig, summary = momentum_experiment(problem, max_steps, lr, beta)
    common.save_figure(fig, out / "momentum.png")

    lrs, betas = (SLIDER_LRS[-1:], [0.5, 0.55, 0.6]) if args.quick else (SLIDER_LRS[-3:], SLIDER_BETAS)
    challenge = solve_challenge(problem, lrs, betas, max_steps=40 if args.quick else CHALLENGE_STEPS)
    if challenge is not None:
        fig, challenge_summary = momentum_experiment(problem, CHALLENGE_STEPS if not args.quick else 40,
                                                     challenge[0], challenge[1])
        common.save_figure(fig, out / "momentum_challenge.png")

    H = problem.hessian
    eigenvalues = np.linalg.eigvalsh(H)
    tuned_lr, tuned_beta = polyak(H)
    with no_grad():
        optimum_loss = problem.loss(Tensor(problem.optimum[0]), Tensor(problem.optimum[1])).item()
    print(f"\noptimum (Newton): u* = {problem.optimum[0]:.6f}, v* = {problem.optimum[1]:.6f}, L = {optimum_loss:.6f} "
          f"(|gradient| {problem.newton_gradient:.1e})")
    print(f"curvatures at the optimum: d2L/du2 (weight) {H[0, 0]:.4f}, d2L/dv2 (bias) {H[1, 1]:.4f}, "
          f"d2L/dudv {H[0, 1]:.4f}; eigenvalues {eigenvalues[0]:.4f}, {eigenvalues[1]:.4f} "
          f"(condition number {eigenvalues[1] / eigenvalues[0]:.1f})")
    slow = "weight" if H[0, 0] < H[1, 1] else "bias"
    print(f"the flatter, slow direction for gradient descent is the {slow} "
          f"(the course's text says the bias); Polyak's optimal heavy ball would take lr {tuned_lr:.2f}, "
          f"beta {tuned_beta:.3f}, beyond the lr slider's 10^0.7 = {10 ** 0.7:.2f}")
    rows = [[name, f"{s['final_distance'][0]:.2e}", f"{s['final_distance'][1]:.2e}", f"{s['final_loss']:.6f}",
             "never" if s["first_step_within_tolerance"] is None else str(s["first_step_within_tolerance"]),
             "-" if s["diverged_at"] is None else str(s["diverged_at"])]
            for name, s in summary.items()]
    print(f"demo 4 with max_steps {max_steps}, lr {lr:g}, beta {beta:g}:")
    print(common.format_table(["method", "|u - u*| at end", "|v - v*| at end", "loss at end",
                               f"first step both < {TOLERANCE:g}", "diverged at"], rows))
    if challenge is None:
        print(f"challenge: no slider setting tried gets both within {TOLERANCE:g}")
    else:
        print(f"challenge (both within {TOLERANCE:g} in at most {CHALLENGE_STEPS} steps), searched over "
              f"{len(lrs)} lr x {len(betas)} beta slider values: lr {challenge[0]:.3f} (10^"
              f"{np.log10(challenge[0]):.1f}), beta {challenge[1]:.2f}: {challenge[2]} steps")
    result = {"section": "momentum", "pixel": PIXEL, "init": INITS, "steps": max_steps, "lr": lr, "beta": beta,
              "check_after_std": float(after.std()),
              "optimum": problem.optimum, "optimum_loss": optimum_loss, "newton_gradient": problem.newton_gradient,
              "hessian": H, "hessian_eigenvalues": eigenvalues, "slow_direction": slow,
              "polyak": {"lr": tuned_lr, "beta": tuned_beta},
              "challenge": None if challenge is None else {"lr": challenge[0], "beta": challenge[1],
                                                           "steps": challenge[2], "lrs_tried": lrs,
                                                           "betas_tried": betas},
              "summary": {k: {kk: vv for kk, vv in s.items() if kk != "trajectory"} for k, s in summary.items()},
              "trajectories": {k: s["trajectory"] for k, s in summary.items()},
              "grid": problem.U[0], "surface": problem.Z}
    common.save_json(out / "momentum.json", result)
    return result
