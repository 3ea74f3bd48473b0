"""A checker for optimizers you write yourself: run yours beside a reference, step by step.

    from tinygrad_opt.optim import Adam
    from tinygrad_opt.optim.check import check_optimizer, check_convergence

    check_optimizer(MyAdam, Adam, lr=1e-2)        # raises OptimizerMismatch at the first difference
    check_convergence(lambda ps: MyAdam(ps, lr=1e-2), "convex quadratic", steps=500, tol=1e-8)

Both optimizers start from the same point of each standard problem (float64, on the current
backend) and take the same number of steps, each on its own trajectory; after every step
each parameter is compared. The first step and parameter where they part is reported with
both values and the gap, and with a guess at the culprit read from *how* they differ:

* the candidate went the other way for most coordinates -> a sign;
* every coordinate's step is the same multiple of the reference's -> a constant factor
  (learning rate, a bias correction);
* the difference is proportional to the parameter itself -> the weight-decay term;
* the step is nearly right (a relative error far below 1) -> a small term such as eps;
* the first step is already wrong -> the update rule's terms; wrong only from step k > 1
  -> what is carried between steps (buffers, the step count t, a t-dependent correction).

These are hints from the pattern of numbers, not proofs; the values themselves are exact.

The problems (each a function returning a fresh :class:`Problem`):

* ``convex quadratic``          f(x) = 1/2 sum_i a_i (x_i - c_i)^2,  x in R^5, a_i in [1, 3]
* ``ill-conditioned quadratic`` f(x) = 1/2 (x_0^2 + 50 x_1^2): condition number 50
* ``rosenbrock``                f(x) = (1 - x_0)^2 + 100 (x_1 - x_0^2)^2, from (-1.2, 1)
* ``small MLP``                 the course's MLP (4 -> 8 -> 3), NLL loss on 16 fixed examples
"""
import numpy

from .. import backend, nn
from ..nn import functional as F
from ..tensor import Tensor


class Problem:
    """A test objective: named parameters (``[(name, Tensor)]``) at their start and ``loss()``;
    ``minimum``: the least loss when it is known and reached (None otherwise)."""

    def __init__(self, name, params, loss, minimum=None):
        self.name = name
        self.params = params
        self.loss = loss
        self.minimum = minimum


def _param(values):
    return Tensor(numpy.asarray(values, dtype=numpy.float64), requires_grad=True)


def _const(values):
    return Tensor(numpy.asarray(values, dtype=numpy.float64))


def convex_quadratic():
    a, c = _const([1.0, 1.5, 2.0, 2.5, 3.0]), _const([1.0, -1.0, 0.5, 2.0, -0.5])
    x = _param([2.0, 1.0, -1.0, 0.5, 1.5])
    return Problem("convex quadratic", [("x", x)], lambda: 0.5 * (a * (x - c) ** 2).sum(), minimum=0.0)


def ill_conditioned_quadratic():
    a = _const([1.0, 50.0])
    x = _param([-1.5, 1.0])
    return Problem("ill-conditioned quadratic", [("x", x)], lambda: 0.5 * (a * x ** 2).sum(), minimum=0.0)


def rosenbrock():
    x = _param([-1.2, 1.0])
    return Problem("rosenbrock", [("x", x)], lambda: (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2,
                   minimum=0.0)


def small_mlp():
    """The course's MLP (4 -> 8 -> 3, ReLU) with seeded weights, on 16 fixed examples.

    Built without disturbing the caller: the default dtype and the host generator's state
    are restored afterwards.
    """
    rng = numpy.random.default_rng(0)
    x_host = rng.standard_normal((16, 4))
    y_host = (x_host @ rng.standard_normal((4, 3))).argmax(axis=1)
    dtype, rng_state = backend.get_default_dtype(), backend.rng_state()
    try:
        backend.set_default_dtype(numpy.float64)
        backend.manual_seed(0)
        model = nn.MLP(in_dim=4, out_dim=3, hidden_dims=[8])
    finally:
        backend.set_default_dtype(dtype)
        backend.set_rng_state(rng_state)
    x, y = _const(x_host), Tensor(y_host)
    return Problem("small MLP", list(model.named_parameters()), lambda: F.nll_loss(model(x), y))


PROBLEMS = {"convex quadratic": convex_quadratic, "ill-conditioned quadratic": ill_conditioned_quadratic,
            "rosenbrock": rosenbrock, "small MLP": small_mlp}


def _problem_makers(problems):
    """Problem functions from names and/or functions (default: all four)."""
    if problems is None:
        return list(PROBLEMS.values())
    makers = []
    for p in problems:
        if callable(p):
            makers.append(p)
        elif p in PROBLEMS:
            makers.append(PROBLEMS[p])
        else:
            raise ValueError(f"check: unknown problem {p!r}; known: {list(PROBLEMS)}")
    return makers


# -- reports -------------------------------------------------------------------------------------
class OptimizerMismatch(AssertionError):
    """The candidate optimizer parted from the reference; ``.report`` holds the details."""

    def __init__(self, report):
        super().__init__(str(report))
        self.report = report


class NotConverged(AssertionError):
    """An optimizer did not bring a problem's loss below the tolerance."""


class Mismatch:
    """Where a candidate parted from the reference: problem, step, parameter, element, values."""

    def __init__(self, optimizer, problem, step, param, index, candidate, reference, diagnosis):
        self.optimizer, self.problem, self.step, self.param = optimizer, problem, step, param
        self.index, self.candidate, self.reference, self.diagnosis = index, candidate, reference, diagnosis
        self.gap = candidate - reference

    def __str__(self):
        return (f"{self.optimizer} on '{self.problem}' parts from the reference at step {self.step}, "
                f"parameter '{self.param}' element {self.index}: candidate {self.candidate:.10g} vs "
                f"reference {self.reference:.10g}, gap {self.gap:.3g}. {self.diagnosis}")


class CheckReport:
    """``results``: per problem, (name, steps that agreed, the first Mismatch or None, a note)."""

    def __init__(self, optimizer, results):
        self.optimizer, self.results = optimizer, results

    @property
    def mismatches(self):
        return [m for _, _, m, _ in self.results if m is not None]

    @property
    def ok(self):
        return not self.mismatches

    def __str__(self):
        if self.ok:
            lines = [f"{self.optimizer} agrees with the reference on every problem:"]
        else:
            lines = [str(self.mismatches[0]), "", "All problems:"]
        for name, agreed, mismatch, note in self.results:
            status = f"parts at step {mismatch.step}" if mismatch else f"agrees for {agreed} steps"
            lines.append(f"  {name}: {status}" + (f" ({note})" if note else ""))
        return "\n".join(lines)


# -- diagnosis ------------------------------------------------------------------------------------
def _diagnose(step, before, cand, ref, error):
    """A hint at the wrong term, from the candidate's and the reference's steps (flat arrays)."""
    if error is not None:
        return f"The candidate raised {type(error).__name__}: {error}"
    dc, dr = cand - before, ref - before
    moved = dr != 0
    hints = []
    if not numpy.isfinite(cand).all():
        hints.append("The candidate's value is nan or inf: a division by zero or the square root of a "
                     "negative number (eps missing? a variance estimate that went negative?).")
    elif moved.any() and (dc[moved] == 0).all():
        hints.append("The candidate did not change this parameter: does step() update p.data in place "
                     "(p.data -= ..., not p = p - ...), and not skip it?")
    elif moved.any() and (dc[moved] * dr[moved] < 0).mean() > 0.5:
        hints.append("The candidate moves the other way from the reference (uphill) for most elements: "
                     "check the sign of the update (of the velocity, of the momentum term, of lr * direction).")
    elif cand.size >= 3 and moved.all():
        gap, ratio = cand - ref, dc / dr
        k = float(gap @ before) / float(before @ before) if before.any() else 0.0
        rel = numpy.abs(gap).max() / numpy.abs(dr).max()
        if before.any() and numpy.abs(gap - k * before).max() <= 1e-3 * numpy.abs(gap).max():
            hints.append(f"The difference is proportional to the parameter itself (gap = {k:.3g} * p): "
                         f"check the weight-decay term (applied twice? L2 penalty vs decoupled? "
                         f"multiplied by lr?).")
        elif numpy.ptp(ratio) <= 1e-4 * abs(ratio.mean()) and abs(ratio.mean() - 1) > 1e-3:
            hints.append(f"Every element's step is {ratio.mean():.4g} times the reference's: a constant factor, "
                         f"such as the learning rate, or a bias correction 1/(1 - beta^t) missing or applied twice.")
        elif rel < 1e-3:
            hints.append(f"The step is nearly right (off by {rel:.1e} of its size): look at the small terms, "
                         f"e.g. where eps sits (inside or outside the square root?) and its value.")
    if step == 1 and hints:
        hints.append("It is wrong from the first step, so the update rule itself is wrong, not a carried state.")
    elif step == 1:
        hints.append("The first step is already wrong: check the update rule's terms (sign? learning rate? "
                     "bias correction? eps placement? weight decay?).")
    else:
        agreed = "Step 1 agreed" if step == 2 else f"Steps 1 to {step - 1} agreed"
        hints.append(f"{agreed}, so a fresh state is handled right; the difference is in what is carried "
                     f"from step to step: the state (momentum or moment buffers, their decay), the step "
                     f"count t, or a correction that depends on t.")
    return " ".join(hints)


# -- running two optimizers side by side --------------------------------------------------------
def _take_step(problem, optimizer):
    for _, p in problem.params:
        p.grad = None
    problem.loss().backward()
    optimizer.step()


def _first_difference(opt_name, cand_problem, ref_problem, step, befores, error, rtol, atol):
    """The first parameter (and its worst element) where candidate and reference differ, or None."""
    for (name, pc), (_, pr), before in zip(cand_problem.params, ref_problem.params, befores):
        c, r = pc.numpy().ravel(), pr.numpy().ravel()
        excess = numpy.abs(c - r) - (atol + rtol * numpy.abs(r))
        excess = numpy.where(numpy.isnan(excess), numpy.inf, excess)
        if error is None and (excess <= 0).all():
            continue
        flat = int(excess.argmax())
        index = numpy.unravel_index(flat, pr.shape)
        return Mismatch(opt_name, ref_problem.name, step, name, tuple(int(i) for i in index), float(c[flat]),
                        float(r[flat]), _diagnose(step, before, c, r, error))
    return None


def compare(candidate_factory, reference_factory, problems=None, steps=50, rtol=1e-9, atol=1e-12, name=None):
    """Run ``candidate_factory(params)`` and ``reference_factory(params)`` side by side on each problem.

    Factories take a list of Tensors and return an optimizer. Each problem stops at its first
    mismatch (a candidate error counts as one), or when the reference itself diverges.
    Returns a :class:`CheckReport`.
    """
    results = []
    with numpy.errstate(over="ignore", invalid="ignore"):     # a diverging run is reported, not warned about
        for make in _problem_makers(problems):
            results.append(_compare_on(make, candidate_factory, reference_factory, steps, rtol, atol, name))
    return CheckReport(name or (results[0][4] if results else "candidate"), [r[:4] for r in results])


def _compare_on(make, candidate_factory, reference_factory, steps, rtol, atol, name):
    """One problem of :func:`compare`: (problem name, steps agreed, Mismatch or None, note, optimizer name)."""
    cand_problem, ref_problem = make(), make()
    ref_opt = reference_factory([p for _, p in ref_problem.params])
    cand_opt, mismatch, note, agreed = None, None, "", 0
    for step in range(1, steps + 1):
        befores = [p.numpy().ravel().copy() for _, p in cand_problem.params]
        error = None
        try:
            if cand_opt is None:
                cand_opt = candidate_factory([p for _, p in cand_problem.params])
                name = name or type(cand_opt).__name__
            _take_step(cand_problem, cand_opt)
        except Exception as e:          # a bug in the candidate is a finding, not a crash of the checker
            error = e
        _take_step(ref_problem, ref_opt)
        if not all(numpy.isfinite(p.numpy()).all() for _, p in ref_problem.params):
            note = f"the reference diverged at step {step}; compared up to there"
            break
        mismatch = _first_difference(name or "candidate", cand_problem, ref_problem, step, befores, error,
                                     rtol, atol)
        if mismatch is not None:
            break
        agreed = step
    return ref_problem.name, agreed, mismatch, note, name or "candidate"


def check_optimizer(candidate, reference, *, problems=None, steps=50, rtol=1e-9, atol=1e-12, **hyperparameters):
    """Check optimizer class ``candidate`` against ``reference``, both built with ``hyperparameters``.

    Returns the :class:`CheckReport` when they agree on every problem; raises
    :class:`OptimizerMismatch` (an AssertionError) describing the first difference otherwise.
    """
    report = compare(lambda params: candidate(params, **hyperparameters),
                     lambda params: reference(params, **hyperparameters),
                     problems=problems, steps=steps, rtol=rtol, atol=atol, name=candidate.__name__)
    if not report.ok:
        raise OptimizerMismatch(report)
    return report


def check_convergence(optimizer_factory, problem="convex quadratic", steps=500, tol=1e-6):
    """Run ``optimizer_factory(params)`` for ``steps`` steps on ``problem``; the loss must end <= ``tol``.

    Returns ``{"problem", "steps", "final_loss", "losses"}``; raises :class:`NotConverged`
    with the loss curve's milestones otherwise.

    The quadratics and Rosenbrock have minimum loss 0 (at x = c, 0 and (1, 1)). The small MLP
    has none: its labels can be fitted exactly, so the NLL loss keeps falling towards 0 as the
    weights grow but stays above it (Adam, lr 0.05: about 1e-3 after 100 steps, 3e-5 after
    1000); choose its ``tol`` from a reference optimizer's run.
    """
    (make,) = _problem_makers([problem])
    prob = make()
    opt = optimizer_factory([p for _, p in prob.params])
    losses = []
    for _ in range(steps):
        for _, p in prob.params:
            p.grad = None
        loss = prob.loss()
        losses.append(loss.item())
        loss.backward()
        opt.step()
    losses.append(prob.loss().item())
    final = losses[-1]
    if not final <= tol:
        marks = sorted({0, 1, 10, 100, steps} & set(range(steps + 1)))
        curve = ", ".join(f"step {t}: {losses[t]:.3g}" for t in marks)
        minimum = "" if prob.minimum is None else f" (minimum {prob.minimum:g})"
        raise NotConverged(f"{type(opt).__name__} did not converge on '{prob.name}' in {steps} steps: "
                           f"final loss {final:.3g} > tol {tol:g}{minimum}. Loss at {curve}")
    return {"problem": prob.name, "steps": steps, "final_loss": final, "losses": losses}
