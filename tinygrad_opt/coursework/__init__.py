"""Coursework: hand out an optimizer (and backward) assignment, grade it safely, name the wrong term.

    python -m tinygrad_opt.coursework new hw3 --optimizers sgd,adam --ops relu,matmul
    python -m tinygrad_opt.coursework grade hw3/submission.py --json results.json
    python -m tinygrad_opt.coursework grade submissions/ --csv scores.csv

Where to read:
  problems.py    the standard problems (quadratics, Rosenbrock, a small MLP), float64
  check.py       check_optimizer / check_convergence: your optimizer beside a reference, in your process
  diagnose.py    which term is wrong, read from the pattern of the numbers
  config.py      the grading tests of each optimizer and op (options, weights); an instructor's file
  runner.py      one test run: the same code makes the reference's numbers and the submission's
  worker.py      the submission's own process: imports it, runs tests on request
  sandbox.py     the grader's side of that process: time limits, crashes, restarts
  grading.py     grade a submission: compare, diagnose, score; a class at once
  report.py      the student's report, Gradescope's results.json, a CSV row per student
  assignment.py  write an assignment: stubs, public tests, README, grading config
"""
from .check import (CheckReport, Mismatch, NotConverged, OptimizerMismatch, check_convergence, check_optimizer,
                    compare)
from .problems import PROBLEMS, Problem

__all__ = ["check_optimizer", "check_convergence", "compare", "CheckReport", "Mismatch", "OptimizerMismatch",
           "NotConverged", "Problem", "PROBLEMS"]
