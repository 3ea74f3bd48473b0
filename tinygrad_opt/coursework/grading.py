"""Grade a submission: run its tests in its own process, compare with the reference, name the term.

    result = grade("hw3/optimizers.py")                   # every torch.optim-named class it has
    result = grade("hw3/", config=load_config("grading.json"), timeout=20)
    print(report.text(result))

For each optimizer of the configuration, each test (``config.py``) runs twice with the same
code (``runner.py``): here with the reference class, and in the submission's process
(``sandbox.py``) with the submitted one; the submission is never imported here. Trajectories
are compared after every step (float64, ``|yours - ref| <= ATOL + RTOL |ref|``: a correct
implementation that orders its floating-point operations differently stays far inside), and
the earliest step where they part, over all problems, is reported with both numbers and a
hint (``diagnose.py``), refined by what the tests tell together:

* a mismatch only in the parameter whose grad is sometimes None -> per-parameter step count
  (or the None grad not skipped);
* only in the second parameter group -> a group's own option ignored;
* only in parameters after the first, from step 1 -> state shared between parameters;
* a test fails while a test with a subset of its options passes -> the options it adds.

Ops are graded on ``opcases.py``'s cases: the submitted backward against central finite
differences of the library's forward (computed here), plus a zero output gradient.
"""
import importlib
import importlib.util
import functools
import json
from pathlib import Path

import numpy

from .config import OPTIMIZERS, default_config
from .diagnose import EPS_PLACES, option_term, read_step
from .opcases import OP_CASES, case_inputs, run_op_case
from .runner import error_text, run_test
from .sandbox import Failure, Submission

RTOL, ATOL = 1e-9, 1e-12
OP_EPS, OP_RTOL, OP_ATOL = 1e-6, 1e-4, 1e-6


def load_reference(name):
    """``module.Class`` or ``path/file.py:Class``: the trusted reference, loaded in this process."""
    if ":" in name:
        path, cls = name.rsplit(":", 1)
        spec = importlib.util.spec_from_file_location(f"reference_{Path(path).stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    else:
        module_name, cls = name.rsplit(".", 1)
        module = importlib.import_module(module_name)
    return getattr(module, cls)


def _test_result(test, passed, output):
    weight = test.get("weight", 1)
    return {"name": test["name"], "score": weight if passed else 0, "max_score": weight, "passed": passed,
            "output": output}


# -- comparing two runs ----------------------------------------------------------------------------
def _earliest_mismatch(cand_records, ref_records, spec):
    """The earliest step (over all problems) where the candidate parts, as a dict, and per-problem notes."""
    found, notes = None, []
    for cand, ref in zip(cand_records, ref_records, strict=True):
        m, note = _problem_mismatch(cand, ref, spec)
        notes.append(f"{ref['problem']}: {note}")
        if m is not None and (found is None or m["step"] < found["step"]):
            found = m
    return found, notes


def _problem_mismatch(cand, ref, spec):
    if ref["error"] is not None:
        raise RuntimeError(f"the reference failed on {ref['problem']}: {ref['error']}")
    for t, ref_values in enumerate(ref["steps"], start=1):
        if not all(numpy.isfinite(v).all() for v in map(numpy.asarray, ref_values)):
            return None, f"agrees until the reference diverges at step {t}"
        before = cand["start"] if t == 1 else cand["steps"][t - 2]
        if len(cand["steps"]) < t:
            error = cand["error"] or {"step": t, "phase": f"step() at step {t}", "type": "Error",
                                      "message": "no result"}
            return {"problem": ref["problem"], "step": t, "error": error, "params": cand["params"]}, \
                f"raises at step {t}"
        bad = []
        for i, (c, r) in enumerate(zip(cand["steps"][t - 1], ref_values, strict=True)):
            c, r = numpy.asarray(c), numpy.asarray(r)
            excess = numpy.abs(c - r) - (ATOL + RTOL * numpy.abs(r)) if c.shape == r.shape else numpy.array([numpy.inf])
            if not (numpy.nan_to_num(excess, nan=numpy.inf) <= 0).all():
                bad.append(i)
        if bad:
            i = bad[0]
            c, r, b = (numpy.asarray(x[i]) for x in (cand["steps"][t - 1], ref_values, before))
            ex = numpy.nan_to_num(numpy.abs(c - r) - RTOL * numpy.abs(r), nan=numpy.inf)
            flat = int(ex.argmax())
            index = tuple(int(k) for k in numpy.unravel_index(flat, ref["shapes"][i]))
            return {"problem": ref["problem"], "step": t, "error": None, "params": ref["params"], "bad": bad,
                    "param": ref["params"][i], "index": index, "cand": float(c[flat]), "ref": float(r[flat]),
                    "arrays": (b, c, r)}, f"parts at step {t}"
    return None, f"agrees for {len(ref['steps'])} steps"


# -- what the pattern says ---------------------------------------------------------------------------
def _suspects(test, passed_tests):
    """The options ``test`` adds to the largest passed test whose options it contains (None if none)."""
    best = None
    for other in passed_tests:
        o = other["options"]
        if other["kind"] == "trajectory" and not other.get("group") and not other.get("no_grad") and \
                all(k in test["options"] and test["options"][k] == v for k, v in o.items()):
            if best is None or len(o) > len(best):
                best = o
    if best is None:
        return None
    return [k for k, v in test["options"].items() if k not in best or best[k] != v]


def _hint(optimizer, test, m, suspects, because=None):
    """The sentence(s) telling the student which term to look at."""
    options, t = test["options"], m["step"]
    no_grad, group = test.get("no_grad"), test.get("group")
    skipped = bool(no_grad) and t in no_grad["steps"]
    if m["error"] is not None:
        e = m["error"]
        text = error_text(e, f"in {e['phase']}") + "."
        if skipped and e["phase"].startswith("step()"):
            text += (f" At this step '{no_grad['param']}' has no gradient (p.grad is None: it took no part in "
                     f"the loss): skip such a parameter (if p.grad is None: continue).")
        return text
    if no_grad and m["bad"] == [m["params"].index(no_grad["param"])]:
        steps = ", ".join(map(str, no_grad["steps"]))
        if skipped:
            return (f"Only '{no_grad['param']}' parts, at step {t}, where its grad is None: a parameter without "
                    f"gradient must not move (skip it: if p.grad is None: continue).")
        return (f"Only '{no_grad['param']}' parts, the parameter whose grad was None on steps {steps}: keep the "
                f"step count (and all state) per parameter in self.state[p], advanced only when p has a grad "
                f"(one counter for the whole optimizer goes wrong here).")
    if group and all(i >= group["split"] for i in m["bad"]):
        own = ", ".join(f"{k}={v}" for k, v in group["options"].items())
        return (f"Only the parameters of param_groups[1] part; that group has its own options ({own}): read "
                f"every option from the group being updated (group['lr'], ...), not from self.defaults or the "
                f"first group.")
    b, c, r = m["arrays"]
    hints = read_step(t, b, c, r, options, optimizer, suspects)
    if t == 1 and len(m["params"]) > 1 and 0 not in m["bad"] and len(m["bad"]) == len(m["params"]) - 1:
        hints.insert(0, "The first parameter is right and every other one is wrong from step 1: state shared "
                        "between parameters (one step count or buffer for all?); keep it per parameter in "
                        "self.state[p].")
    if suspects:
        terms = "; ".join(option_term(k, optimizer) for k in suspects)
        because = because or f"The test without {', '.join(suspects)} agrees"
        hints.insert(len(hints) - 1, f"{because}, so look at {terms}.")
    if test["kind"] == "state_dict" and t == test["save_at"] + 1:
        hints.insert(0, "It parts on the first step after load_state_dict(): the saved state did not come back "
                        "whole (every buffer and the step count must round-trip).")
    return " ".join(hints)


def _describe(optimizer, test, m, suspects, notes, because=None):
    where = f"at step {m['step']} on '{m['problem']}'"
    if m["error"] is not None:
        head = f"Raised an error {where}: "
    else:
        head = (f"Parts from the reference {where}, parameter '{m['param']}' element {m['index']}: yours "
                f"{m['cand']:.10g} vs reference {m['ref']:.10g} (gap {m['cand'] - m['ref']:.3g}). Hint: ")
    return head + _hint(optimizer, test, m, suspects, because) + "\nPer problem: " + "; ".join(notes) + "."


def _rules(cand_records):
    """Messages for the rules broken (one per rule), or for the error that stopped the run."""
    messages, seen = [], set()
    for rec in cand_records:
        for v in rec["violations"]:
            if v["rule"] in seen:
                continue
            seen.add(v["rule"])
            where = f"'{v['param']}' at step {v['step']} on '{rec['problem']}'"
            messages.append({
                "grad written": f"step() wrote p.grad of {where}: p.grad is only read (the engine may share it); "
                                f"compute g = p.grad + wd * p as a new tensor instead of p.grad += ... or p.grad = ...",
                "storage replaced": f"step() replaced the storage of {where} (p.data = ... or p.array = ...): "
                                    f"update it in place (p.data -= ..., p.add_(...) under no_grad()), so every "
                                    f"reference to the parameter sees the new values",
                "moved without grad": f"{where} changed although its grad was None: skip a parameter whose grad is "
                                      f"None (if p.grad is None: continue)"}[v["rule"]])
        if rec["error"] is not None:
            e = rec["error"]
            messages.append(error_text(e, f"in {e['phase']} on '{rec['problem']}'"))
    return messages


# -- grading ---------------------------------------------------------------------------------------
def _grade_optimizer(name, entry, submission, listed, references):
    tests = entry["tests"]
    if name not in listed:
        why = (f"no class {name} (a subclass of tinygrad_opt.optim.Optimizer) found in the submission")
        return [_test_result(t, False, why) for t in tests]
    if listed[name]:
        why = (f"{name} inherits from the library's {', '.join(listed[name])}: write it as a subclass of "
               f"tinygrad_opt.optim.Optimizer (grading the library's own code would grade nothing)")
        return [_test_result(t, False, why) for t in tests]
    reference = load_reference(entry.get("reference", f"tinygrad_opt.optim.{name}"))
    results, passed_tests = [], []
    for test in tests:
        spec = {k: v for k, v in test.items() if k not in ("name", "weight")}
        key = json.dumps([entry.get("reference", name), spec], sort_keys=True)
        if key not in references:
            with numpy.errstate(all="ignore"):
                references[key] = run_test(reference, spec)
        broken = [r for r in references[key] if r["error"]]
        if broken:              # the configuration asks for something the reference cannot do
            e = broken[0]["error"]
            results.append(_test_result(test, False, f"configuration error, not graded: the reference raised "
                                                     f"{error_text(e)} on '{broken[0]['problem']}'"))
            continue
        try:
            cand = submission.ask({"op": "run", "class": name, "spec": spec})
        except Failure as e:
            results.append(_test_result(test, False, str(e)))
            continue
        probe = functools.partial(_probe, name, test, submission=submission, reference=reference)
        results.append(_judge(name, test, cand, references[key], passed_tests, probe))
        if results[-1]["passed"]:
            passed_tests.append(test)
    return results


def _probe(name, test, options, submission, reference):
    """Whether the candidate agrees with the reference on ``test``'s quadratics and Rosenbrock
    when ``options`` replace some of the test's (e.g. eps = 0: then where eps sits does not matter)."""
    spec = {**{k: v for k, v in test.items() if k not in ("name", "weight")}, "kind": "trajectory",
            "options": {**test["options"], **options},
            "problems": [p for p in test["problems"] if p != "small MLP"] or ["convex quadratic"]}
    try:
        cand = submission.ask({"op": "run", "class": name, "spec": spec})
    except Failure:
        return False
    with numpy.errstate(all="ignore"):
        ref = run_test(reference, spec)
    return not any(r["error"] for r in ref) and _earliest_mismatch(cand, ref, spec)[0] is None


def _judge(name, test, cand, ref, passed_tests, probe):
    if test["kind"] == "rules":
        messages = _rules(cand)
        return _test_result(test, not messages, "\n".join(messages) or "follows the rules")
    if test["kind"] == "convergence":
        rec = cand[0]
        if rec["error"] is not None:
            e = rec["error"]
            return _test_result(test, False, error_text(e, f"in {e['phase']}"))
        final, ref_final = rec["losses"][-1], ref[0]["losses"][-1]
        ok = final <= test["tol"]
        return _test_result(test, ok, f"final loss {final:.3g} after {test['steps']} steps "
                                      f"({'<=' if ok else '>'} tol {test['tol']:g}; the reference reaches "
                                      f"{ref_final:.3g})")
    m, notes = _earliest_mismatch(cand, ref, test)
    if m is None:
        return _test_result(test, True, "agrees with the reference: " + "; ".join(notes))
    suspects, because = _suspects(test, passed_tests), None
    if m["error"] is None and name in EPS_PLACES and name != "Adadelta" and (not suspects or "eps" in suspects) \
            and probe({"eps": 0.0}):
        suspects, because = ["eps"], "With eps = 0 it agrees with the reference"
    return _test_result(test, False, _describe(name, test, m, suspects, notes, because))


def _numeric_gradient(fn, arrays, kwargs, v, i):
    from ..grad_mode import no_grad
    from ..tensor import Tensor
    x = arrays[i]
    grad = numpy.zeros(x.shape)
    with no_grad():
        for j in numpy.ndindex(x.shape):
            values = []
            for step in (OP_EPS, -OP_EPS):
                shifted = [a.copy() for a in arrays]
                shifted[i][j] += step
                values.append(float((fn(*[Tensor(a) for a in shifted], **kwargs).numpy() * v).sum()))
            grad[j] = (values[0] - values[1]) / (2 * OP_EPS)
    return grad


def _grade_op(op, entry, submission, listed):
    from .. import ops
    test = {"name": f"{op}: backward", "weight": entry.get("weight", 1)}
    if op not in OP_CASES:
        return _test_result(test, False, f"configuration error, not graded: no cases for op {op!r} "
                                         f"(known: {', '.join(OP_CASES)})")
    if op not in listed:
        return _test_result(test, False, f"no function {op} found in the submission")
    reference = getattr(ops, op)
    lines = []
    for i in range(len(OP_CASES[op])):
        arrays, kwargs = case_inputs(op, i)
        shapes = " and ".join(str(a.shape) for a in arrays) + (f", {kwargs}" if kwargs else "")
        try:
            cand = submission.ask({"op": "op", "function": op, "case": i})
        except Failure as e:
            lines.append(f"inputs {shapes}: {e}")
            continue
        ref = run_op_case(reference, op, i)
        if cand["out"]["shape"] != ref["out"]["shape"] or not numpy.allclose(
                cand["out"]["values"], ref["out"]["values"], rtol=1e-10, atol=1e-12):
            lines.append(f"inputs {shapes}: the forward differs from {op}'s (output shape {cand['out']['shape']}, "
                         f"expected {ref['out']['shape']})")
            continue
        v = numpy.random.default_rng(7).standard_normal(ref["out"]["shape"])
        for k, (g, z) in enumerate(zip(cand["grads"], cand["zero grads"], strict=True)):
            if g is None:
                lines.append(f"inputs {shapes}: backward gives no gradient for input {k}")
                break
            if g["shape"] != list(arrays[k].shape):
                lines.append(f"inputs {shapes}: the gradient of input {k} has shape {tuple(g['shape'])}, the input "
                             f"has shape {arrays[k].shape}")
                break
            analytic = numpy.asarray(g["values"]).reshape(arrays[k].shape)
            numeric = _numeric_gradient(reference, arrays, kwargs, v, k)
            error = numpy.abs(analytic - numeric)
            bad = error > OP_ATOL + OP_RTOL * numpy.abs(numeric)
            if bad.any():
                j = tuple(int(x) for x in numpy.unravel_index(numpy.argmax(numpy.where(bad, error, -1)), error.shape))
                lines.append(f"inputs {shapes}: the gradient of input {k} is wrong at index {j}: backward gives "
                             f"{analytic[j]:.6g}, finite differences give {numeric[j]:.6g}; {int(bad.sum())} of "
                             f"{bad.size} elements disagree (a transposed product, a missing factor of g, or a "
                             f"sum over the wrong axis?)")
                break
            if z is not None and numpy.abs(z["values"]).max(initial=0) > 0:
                lines.append(f"inputs {shapes}: with a zero output gradient, input {k} still gets a nonzero "
                             f"gradient: multiply by g, never add a term that does not depend on g")
                break
    return _test_result(test, not lines, "\n".join(lines) or
                        f"matches finite differences on {len(OP_CASES[op])} cases (rectangular and broadcast shapes)")


def grade(path, config=None, timeout=None):
    """Grade the submission at ``path``; a dict: ``{"submission", "tests": [...], "score", "max_score",
    "notes"}``. Without ``config``, every torch.optim-named class the submission has is graded
    with the default tests; with one, exactly its optimizers and ops (a missing one scores 0)."""
    explicit = config is not None
    config = config or default_config()
    submission = Submission(path, timeout if timeout is not None else config.get("timeout", 20))
    results, notes, references = [], [], {}
    try:
        listed = submission.load()
    except Failure as e:
        listed, notes = {"optimizers": {}, "functions": []}, [str(e)]
    try:
        for name, entry in config.get("optimizers", {}).items():
            if not explicit and name not in listed["optimizers"]:
                continue
            submission.close()                  # each class in a fresh process
            if notes:                           # the submission could not be imported
                results += [_test_result(t, False, notes[0]) for t in entry["tests"]]
                continue
            results += _grade_optimizer(name, entry, submission, listed["optimizers"], references)
        for op, entry in config.get("ops", {}).items():
            if notes:
                results.append(_test_result({"name": f"{op}: backward", **entry}, False, notes[0]))
                continue
            results.append(_grade_op(op, entry, submission, listed["functions"]))
    finally:
        submission.close()
    if not explicit and not results and not notes:
        notes.append(f"no optimizer class found: name one of {', '.join(OPTIMIZERS)} and subclass "
                     f"tinygrad_opt.optim.Optimizer")
    return {"submission": str(path), "tests": results, "score": sum(r["score"] for r in results),
            "max_score": sum(r["max_score"] for r in results), "notes": notes}


def grade_class(folder, config=None, timeout=None):
    """Grade every submission in ``folder`` (one .py file or folder per student), going on past broken ones."""
    entries = sorted(p for p in Path(folder).iterdir()
                     if (p.is_dir() and not p.name.startswith((".", "__"))) or (p.suffix == ".py" and p.is_file()))
    return [grade(p, config, timeout) for p in entries]
