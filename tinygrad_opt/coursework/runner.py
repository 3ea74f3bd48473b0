"""One grading test of an optimizer class, recorded as plain numbers.

The same function makes the reference's numbers (in the grader's process, with the library's
class or the instructor's) and the submission's (in the submission's own process, see
``worker.py``), so the two can only differ by the optimizer. A test ``spec`` is a dict:

* ``kind``: ``"trajectory"`` (the parameters after every step), ``"state_dict"`` (the same,
  with the optimizer saved after ``save_at`` steps, rebuilt and loaded), ``"convergence"``
  (the loss after ``steps`` steps);
* ``options``: the constructor's keyword arguments; ``problems``: names in ``PROBLEMS``;
  ``steps``: how many;
* ``group`` (optional): ``{"split": k, "options": {...}}``: the problem's first k parameters
  form param_groups[0], the rest param_groups[1] with its own options;
* ``no_grad`` (optional): ``{"param": name, "steps": [t, ...]}``: that parameter's grad is
  set to None before ``step()`` on those steps (it took no part in the loss);
* ``problem_file`` (optional): the instructor's .py file whose ``PROBLEMS`` dict adds problems.

Every step also records what the rules forbid: ``p.grad`` written by ``step()`` (its values or
the tensor itself), the parameter's storage replaced (``p.data = ...`` instead of in place),
a parameter without grad that moved.
"""
import importlib.util
import sys
import traceback
from pathlib import Path

import numpy

from .problems import PROBLEMS


class Phase:
    """Tells the grader what the optimizer is doing, so a time-out can name it."""

    def __init__(self, report=None):
        self.report = report or (lambda text: None)
        self.now = "setting up"

    def __call__(self, text):
        self.now = text
        self.report(text)


def _flat(t):
    return [float(v) for v in numpy.asarray(t.numpy(), dtype=numpy.float64).ravel()]


def _param_groups(params, spec):
    tensors = [p for _, p in params]
    group = spec.get("group")
    if not group:
        return tensors
    k = group["split"]
    return [{"params": tensors[:k]}, {"params": tensors[k:], **group["options"]}]


def problem_maker(name, spec):
    """The function making problem ``name``: a standard one, or from the instructor's
    ``spec["problem_file"]`` (a .py file with its own ``PROBLEMS`` dict, loaded in each process)."""
    if name in PROBLEMS:
        return PROBLEMS[name]
    if "problem_file" not in spec:
        raise ValueError(f"unknown problem {name!r}: known {list(PROBLEMS)}; add a problem_file for others")
    path = spec["problem_file"]
    module = sys.modules.get(f"problems_{abs(hash(path))}")
    if module is None:
        loader = importlib.util.spec_from_file_location(f"problems_{abs(hash(path))}", path)
        module = importlib.util.module_from_spec(loader)
        loader.loader.exec_module(module)
        sys.modules[loader.name] = module
    return module.PROBLEMS[name]


def run_test(optimizer_class, spec, phase=None):
    """Run ``spec`` with ``optimizer_class``; a list with one record per problem (plain data)."""
    phase = phase or Phase()
    return [_run_problem(optimizer_class, spec, problem_maker(name, spec)(), phase) for name in spec["problems"]]


def _run_problem(optimizer_class, spec, problem, phase):
    params = problem.params
    record = {"problem": problem.name, "params": [n for n, _ in params], "shapes": [list(p.shape) for _, p in params],
              "start": [_flat(p) for _, p in params], "steps": [], "losses": [], "error": None, "violations": []}
    no_grad = spec.get("no_grad") or {}
    save_at = spec.get("save_at") if spec["kind"] == "state_dict" else None
    step = 0
    try:
        phase("__init__()")
        optimizer = optimizer_class(_param_groups(params, spec), **spec["options"])
        for step in range(1, spec["steps"] + 1):
            if step - 1 == save_at:
                phase(f"state_dict() after step {save_at}")
                saved = optimizer.state_dict()
                phase("__init__() of the optimizer to load into")
                optimizer = optimizer_class(_param_groups(params, spec), **spec["options"])
                phase(f"load_state_dict() after step {save_at}")
                optimizer.load_state_dict(saved)
            phase(f"computing the loss at step {step}")
            for _, p in params:
                p.grad = None
            loss = problem.loss()
            record["losses"].append(float(loss.item()))
            loss.backward()
            for name, p in params:
                if name == no_grad.get("param") and step in no_grad["steps"]:
                    p.grad = None
            seen = [(p.array, p.numpy().copy(), p.grad, None if p.grad is None else p.grad.numpy().copy())
                    for _, p in params]
            phase(f"step() at step {step}")
            optimizer.step()
            record["steps"].append([_flat(p) for _, p in params])
            _check_rules(record, step, params, seen)
        if spec["kind"] == "convergence":
            record["losses"].append(float(problem.loss().item()))
            record["steps"] = record["steps"][-1:]
    except Exception as e:          # the candidate's bug is a finding, reported with where it happened
        record["error"] = {"step": step, "phase": phase.now, **error_record(e)}
    return record


def error_record(e):
    """What a record keeps of an exception: its type, its message, and where it was raised
    (``"student.py, line 12"``: the innermost frame, the submission's line as a rule)."""
    frames = traceback.extract_tb(e.__traceback__)
    where = f"{Path(frames[-1].filename).name}, line {frames[-1].lineno}" if frames else ""
    return {"type": type(e).__name__, "message": str(e)[:500], "where": where}


def error_text(error, context=""):
    """``"NameError: name 'x' is not defined (student.py, line 2, in step() at step 1)"``: one pair
    of parentheses for where and ``context``; the type alone when the message is empty."""
    text = f"{error['type']}: {error['message']}" if error["message"] else error["type"]
    inside = ", ".join(part for part in (error.get("where"), context) if part)
    return f"{text} ({inside})" if inside else text


def _check_rules(record, step, params, seen):
    for (name, p), (array, values, grad, grad_values) in zip(params, seen, strict=True):
        if grad is not None and (p.grad is not grad or not numpy.array_equal(p.grad.numpy(), grad_values)):
            record["violations"].append({"rule": "grad written", "param": name, "step": step})
        if p.array is not array:
            record["violations"].append({"rule": "storage replaced", "param": name, "step": step})
        if grad is None and not numpy.array_equal(p.numpy(), values):
            record["violations"].append({"rule": "moved without grad", "param": name, "step": step})
