"""Check an optimizer you wrote yourself, in your own process: run it beside a reference, step by step.

    from tinygrad_opt.optim import Adam
    from tinygrad_opt.coursework import check_optimizer, check_convergence

    check_optimizer(MyAdam, Adam, lr=1e-2)        # raises OptimizerMismatch at the earliest difference
    check_convergence(lambda ps: MyAdam(ps, lr=1e-2), "convex quadratic", steps=500, tol=1e-8)

Both optimizers start from the same point of each standard problem (``problems.py``: float64,
on the current backend) and take the same number of steps, each on its own trajectory; after
every step each parameter is compared. The earliest step (over all problems) where they part is
reported with both values and the gap, and with a hint at the wrong term read from *how* they
differ (``diagnose.py``).

This runs the candidate in the caller's process: right for a student checking their own code.
To grade code you did not write, use ``grade`` (``grading.py``), which runs it in a process of
its own with a time limit and computes the reference where the candidate never runs.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Sequence

import numpy

from .diagnose import read_step
from .problems import Problem, problem_makers

if TYPE_CHECKING:
    from ..optim import Optimizer
    from ..tensor import Tensor


# -- reports -------------------------------------------------------------------------------------
class OptimizerMismatch(AssertionError):
    """The candidate optimizer parted from the reference; ``.report`` holds the details."""

    def __init__(self, report: CheckReport) -> None:
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
    def mismatches(self) -> list[Mismatch]:
        """The problems' first mismatches, the earliest step first."""
        return sorted((m for _, _, m, _ in self.results if m is not None), key=lambda m: m.step)

    @property
    def ok(self) -> bool:
        return not self.mismatches

    def __str__(self) -> str:
        if self.ok:
            lines = [f"{self.optimizer} agrees with the reference on every problem:"]
        else:
            lines = [str(self.mismatches[0]), "", "All problems:"]
        for name, agreed, mismatch, note in self.results:
            status = f"parts at step {mismatch.step}" if mismatch else f"agrees for {agreed} steps"
            lines.append(f"  {name}: {status}" + (f" ({note})" if note else ""))
        return "\n".join(lines)


# -- running two optimizers side by side --------------------------------------------------------
def _take_step(problem, optimizer):
    for _, p in problem.params:
        p.grad = None
    problem.loss().backward()
    optimizer.step()


def _diagnose(step, before, cand, ref, error, options, optimizer):
    if error is not None:
        return f"The candidate raised {type(error).__name__}: {error}"
    return " ".join(read_step(step, before, cand, ref, options, optimizer))


def _first_difference(opt_name, cand_problem, ref_problem, step, befores, error, rtol, atol, options, algorithm):
    """The first parameter (and its worst element) where candidate and reference differ, or None."""
    for (name, pc), (_, pr), before in zip(cand_problem.params, ref_problem.params, befores, strict=True):
        c, r = pc.numpy().ravel(), pr.numpy().ravel()
        excess = numpy.abs(c - r) - (atol + rtol * numpy.abs(r))
        excess = numpy.where(numpy.isnan(excess), numpy.inf, excess)
        if error is None and (excess <= 0).all():
            continue
        flat = int(excess.argmax())
        index = numpy.unravel_index(flat, pr.shape)
        return Mismatch(opt_name, ref_problem.name, step, name, tuple(int(i) for i in index), float(c[flat]),
                        float(r[flat]), _diagnose(step, before, c, r, error, options, algorithm))
    return None


def compare(candidate_factory: Callable[[list[Tensor]], Optimizer],
            reference_factory: Callable[[list[Tensor]], Optimizer],
            problems: Sequence[str | Callable[[], Problem]] | None = None, steps: int = 50, rtol: float = 1e-9,
            atol: float = 1e-12, name: str | None = None, options: dict | None = None) -> CheckReport:
    """Run ``candidate_factory(params)`` and ``reference_factory(params)`` side by side on each problem.

    Factories take a list of Tensors and return an optimizer. Each problem stops at its first
    mismatch (a candidate error counts as one), or when the reference itself diverges.
    ``options``: the hyperparameters both were built with, which the hints read.
    Returns a :class:`CheckReport`.
    """
    results = []
    with numpy.errstate(over="ignore", invalid="ignore"):     # a diverging run is reported, not warned about
        for make in problem_makers(problems):
            results.append(_compare_on(make, candidate_factory, reference_factory, steps, rtol, atol, name,
                                        options or {}))
    return CheckReport(name or (results[0][4] if results else "candidate"), [r[:4] for r in results])


def _compare_on(make, candidate_factory, reference_factory, steps, rtol, atol, name, options):
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
                                     rtol, atol, options, type(ref_opt).__name__)
        if mismatch is not None:
            break
        agreed = step
    return ref_problem.name, agreed, mismatch, note, name or "candidate"


def check_optimizer(candidate: type[Optimizer], reference: type[Optimizer], *,
                    problems: Sequence[str | Callable[[], Problem]] | None = None, steps: int = 50, rtol: float = 1e-9,
                    atol: float = 1e-12, **hyperparameters: object) -> CheckReport:
    """Check optimizer class ``candidate`` against ``reference``, both built with ``hyperparameters``.

    Returns the :class:`CheckReport` when they agree on every problem; raises
    :class:`OptimizerMismatch` (an AssertionError) describing the earliest difference otherwise.
    """
    report = compare(lambda params: candidate(params, **hyperparameters),
                     lambda params: reference(params, **hyperparameters),
                     problems=problems, steps=steps, rtol=rtol, atol=atol, name=candidate.__name__,
                     options=hyperparameters)
    if not report.ok:
        raise OptimizerMismatch(report)
    return report


def check_convergence(optimizer_factory: Callable[[list[Tensor]], Optimizer],
                      problem: str | Callable[[], Problem] = "convex quadratic", steps: int = 500,
                      tol: float = 1e-6) -> dict:
    """Run ``optimizer_factory(params)`` for ``steps`` steps on ``problem``; the loss must end <= ``tol``.

    Returns ``{"problem", "steps", "final_loss", "losses"}``; raises :class:`NotConverged`
    with the loss curve's milestones otherwise.

    The quadratics and Rosenbrock have minimum loss 0 (at x = c, 0 and (1, 1)). The small MLP
    has none: its labels can be fitted exactly, so the NLL loss keeps falling towards 0 as the
    weights grow but stays above it (Adam, lr 0.05: about 1e-3 after 100 steps, 3e-5 after
    1000); choose its ``tol`` from a reference optimizer's run.
    """
    (make,) = problem_makers([problem])
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
