"""Section 4 (the course's "poor conditioning"): gradient descent vs momentum on a two-parameter loss.

Freeze every parameter of the linear model at its initial value except two: u = W[0, 378]
(the weight of the centre pixel for class 0) and v = b[7] (the bias of class 7). The loss
L(u, v) on the 500-example subset is then a function of two numbers. Its curvatures (the
eigenvalues of its Hessian, printed) differ only by a factor of about 4 -- the surface is
not badly conditioned -- but both are small: the surface is flat. With the course's lr 0.1,
gradient descent moves by lr * slope and crawls, most slowly along the flatter direction.
Momentum

    v_t = -lr * grad L(w_t) + beta * v_{t-1},    w_{t+1} = w_t + v_t

(``momentum_update``) adds up gradients that keep pointing the same way -- an effective
step of lr / (1 - beta), ten times larger with beta 0.9 -- and gets much closer.
The optimum (u*, v*) comes from Newton's method. Course settings: start (2.5, 3.7),
300 steps, lr 0.1, beta 0.9; the plot shows |u - u*| and |v - v*| per step. The course
then asks for settings that get within 1e-6 in 100 steps: the third run uses Polyak's
optimal heavy-ball settings, computed from the Hessian at the optimum (see ``polyak``).
Its first steps are large and leave the plotted square before they come back.
This section computes in float64, so the distances can go down to 1e-12.
"""
import numpy as np

from experiments import common
from tinygrad_opt import Tensor, backend, manual_seed, nn, no_grad
import tinygrad_opt.nn.functional as F
from tinygrad_opt.optim.functional import gradient_update, momentum_update

PIXEL, WEIGHT_CLASS, BIAS_CLASS = 378, 0, 7
INIT = (2.5, 3.7)
STEPS, LR, BETA = 300, 0.1, 0.9
GRID_HALF_WIDTH, GRID_POINTS = 4.0, 30
TOLERANCE = 1e-6


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
    """Newton's method, w <- w - H(w)^-1 grad L(w). Returns w and the largest |gradient| left."""
    w = np.array(start, dtype=np.float64)
    for _ in range(steps):
        w = w - np.linalg.solve(hessian(loss, w), loss.gradient(w))
    return w, np.abs(loss.gradient(w)).max()


def polyak(H):
    """The fastest heavy-ball settings for a quadratic with Hessian H (Polyak, 1964):

        lr = 4 / (sqrt(L) + sqrt(mu))^2,    beta = ((sqrt(L) - sqrt(mu)) / (sqrt(L) + sqrt(mu)))^2

    with L, mu the largest and smallest eigenvalues of H. The distance to the optimum then
    shrinks by sqrt(beta) = (sqrt(kappa) - 1) / (sqrt(kappa) + 1) per step, kappa = L / mu,
    where gradient descent's best rate is (kappa - 1) / (kappa + 1).
    """
    mu, L = np.linalg.eigvalsh(H)
    return 4 / (np.sqrt(L) + np.sqrt(mu)) ** 2, ((np.sqrt(L) - np.sqrt(mu)) / (np.sqrt(L) + np.sqrt(mu))) ** 2


def trajectory(loss, update, steps, **settings):
    """Rows (u, v, L(u, v)) before each of ``steps`` updates from INIT, and the iteration
    (counted from 1) whose loss was nan or inf, or None: a diverging run stops there and
    its later rows stay nan."""
    params = [nn.Parameter(np.array(x)) for x in INIT]
    velocities = [backend.get_array_module(p.array).zeros_like(p.array) for p in params]
    path = np.full((steps, 3), np.nan)
    for t in range(steps):
        value = loss(*params)
        path[t] = [params[0].item(), params[1].item(), value.item()]
        if common.is_diverged(path[t, 2]):
            return path, t + 1
        if update is gradient_update:
            gradient_update(value, params, **settings)
        else:
            update(value, params, velocities, **settings)
    return path, None


def first_step_within(distances, tolerance):
    """The first step at which both coordinates are within ``tolerance`` of the optimum, or None."""
    inside = np.nonzero((distances < tolerance).all(axis=1))[0]
    return int(inside[0]) if len(inside) else None


def run(data, args, out):
    steps = 40 if args.quick else STEPS
    grid_points = 8 if args.quick else GRID_POINTS
    manual_seed(args.seed)
    loss = TwoParameterLoss(nn.MLP(in_dim=784, out_dim=10, hidden_dims=[]), data.X, data.y)
    optimum, gradient_left = newton_optimum(loss)
    H = hessian(loss, optimum)
    eigenvalues = np.linalg.eigvalsh(H)
    tuned_lr, tuned_beta = polyak(H)
    runs = {"GD": trajectory(loss, gradient_update, steps, lr=LR),
            "Momentum": trajectory(loss, momentum_update, steps, lr=LR, beta=BETA),
            "Momentum, Polyak": trajectory(loss, momentum_update, steps, lr=tuned_lr, beta=tuned_beta)}
    paths = {name: path for name, (path, _) in runs.items()}
    grid = np.linspace(-GRID_HALF_WIDTH, GRID_HALF_WIDTH, grid_points)
    U, V = np.meshgrid(grid, grid)
    with no_grad():
        Z = np.array([[loss(Tensor(u), Tensor(v)).item() for u, v in zip(row_u, row_v)]
                      for row_u, row_v in zip(U, V)])
        optimum_loss = loss(Tensor(optimum[0]), Tensor(optimum[1])).item()

    plt = common.pyplot()
    fig, (ax_surface, ax_distance) = plt.subplots(1, 2, figsize=(12, 4.6))
    contour = ax_surface.contourf(U, V, Z, levels=30, cmap="coolwarm")
    fig.colorbar(contour, ax=ax_surface, label="loss")
    styles = {"GD": ("black", "-"), "Momentum": ("red", "--"), "Momentum, Polyak": ("tab:blue", ":")}
    summary = {}
    for name, path in paths.items():
        color, line = styles[name]
        ax_surface.plot(path[:, 0], path[:, 1], line, color=color, marker=".", markersize=2,
                        linewidth=1, label=name)
        distances = np.abs(path[:, :2] - optimum)
        ax_distance.semilogy(distances[:, 0] + 1e-16, line, color=color, label=f"weight u - {name}")
        ax_distance.semilogy(distances[:, 1] + 1e-16, line, color=color, alpha=0.45,
                             label=f"bias v - {name}")
        summary[name] = {"final_distance": distances[-1], "final_loss": path[-1, 2], "diverged_at": runs[name][1],
                         "first_step_within_tolerance": first_step_within(distances, TOLERANCE)}
    ax_surface.plot(*optimum, "*", color="lime", markersize=14, markeredgecolor="k", label="optimum")
    ax_surface.set_xlim(-GRID_HALF_WIDTH, GRID_HALF_WIDTH)
    ax_surface.set_ylim(-GRID_HALF_WIDTH, GRID_HALF_WIDTH)
    ax_surface.set_xlabel(f"weight u = W[{WEIGHT_CLASS}, {PIXEL}]")
    ax_surface.set_ylabel(f"bias v = b[{BIAS_CLASS}]")
    ax_surface.legend(fontsize=8, loc="lower left")
    ax_surface.set_title(f"{steps} steps from {INIT}: lr {LR}, beta {BETA}; Polyak: lr {tuned_lr:.2f}, "
                         f"beta {tuned_beta:.2f}", fontsize=10)
    ax_distance.set_xlabel("iteration")
    ax_distance.set_ylabel("|parameter - optimum|")
    ax_distance.set_ylim(1e-12, 10)
    ax_distance.grid(alpha=0.3)
    ax_distance.legend(fontsize=8)
    ax_distance.set_title("Distance to the optimum, per parameter")
    common.save_figure(fig, out / "momentum.png")

    print(f"optimum (Newton): u* = {optimum[0]:.6f}, v* = {optimum[1]:.6f}, L = {optimum_loss:.6f} "
          f"(|gradient| {gradient_left:.1e})")
    print(f"Hessian eigenvalues there: {eigenvalues[0]:.4f}, {eigenvalues[1]:.4f} (condition number "
          f"{eigenvalues[1] / eigenvalues[0]:.1f}); Polyak's heavy ball: lr {tuned_lr:.4f}, beta {tuned_beta:.4f}")
    rows = [[name, f"{s['final_distance'][0]:.2e}", f"{s['final_distance'][1]:.2e}", f"{s['final_loss']:.6f}",
             "never" if s["first_step_within_tolerance"] is None else str(s["first_step_within_tolerance"]),
             "-" if s["diverged_at"] is None else str(s["diverged_at"])]
            for name, s in summary.items()]
    print(common.format_table(["method", "|u - u*| at end", "|v - v*| at end", "loss at end",
                               f"first step both < {TOLERANCE:g}", "diverged at"], rows))
    result = {"section": "momentum", "pixel": PIXEL, "init": INIT, "steps": steps, "lr": LR, "beta": BETA,
              "optimum": optimum, "optimum_loss": optimum_loss, "newton_gradient": gradient_left,
              "hessian": H, "hessian_eigenvalues": eigenvalues, "polyak": {"lr": tuned_lr, "beta": tuned_beta},
              "summary": summary, "trajectories": paths, "grid": grid, "surface": Z}
    common.save_json(out / "momentum.json", result)
    return result
