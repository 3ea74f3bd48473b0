"""The optimizer checker, kept under its old name: it lives in :mod:`tinygrad_opt.coursework`.

    from tinygrad_opt.optim.check import check_optimizer, check_convergence

See ``tinygrad_opt/coursework/check.py`` (the checker), ``problems.py`` (the standard problems)
and ``diagnose.py`` (the hints); ``python -m tinygrad_opt.coursework`` hands out and grades
assignments.
"""
from ..coursework.check import (CheckReport, Mismatch, NotConverged, OptimizerMismatch, check_convergence,
                                check_optimizer, compare)
from ..coursework.problems import (PROBLEMS, Problem, convex_quadratic, ill_conditioned_quadratic, rosenbrock,
                                   small_mlp)

__all__ = ["check_optimizer", "check_convergence", "compare", "CheckReport", "Mismatch", "OptimizerMismatch",
           "NotConverged", "Problem", "PROBLEMS", "convex_quadratic", "ill_conditioned_quadratic", "rosenbrock",
           "small_mlp"]
