"""What a grade looks like: a report a student can act on, Gradescope's results.json, a CSV row.

Gradescope's autograder reads ``results.json``::

    {"score": 41, "tests": [{"name": "Adam: amsgrad, weight decay", "score": 0, "max_score": 1,
                             "output": "Parts from the reference at step 2 ..."}, ...]}

Each test's name starts with the optimizer's class name (or the op's name).
"""
import csv
import json


def text(result):
    """The student's report: per optimizer (or op) the score, then each failed test's finding."""
    lines = [f"Submission {result['submission']}: {result['score']:g} / {result['max_score']:g}"]
    lines += [f"  note: {n}" for n in result["notes"]]
    groups = {}
    for t in result["tests"]:
        groups.setdefault(t["name"].split(":")[0], []).append(t)
    for name, tests in groups.items():
        score, total = sum(t["score"] for t in tests), sum(t["max_score"] for t in tests)
        lines.append(f"\n{name}: {score:g} / {total:g}")
        for t in tests:
            mark = "ok  " if t["passed"] else "FAIL"
            lines.append(f"  {mark} {t['name']}")
            if not t["passed"]:
                lines += [f"         {line}" for line in t["output"].splitlines()]
    return "\n".join(lines)


def gradescope(result):
    """The results.json dict (score, and per test name, score, max_score, output)."""
    output = "\n".join(result["notes"])
    data = {"score": result["score"],
            "tests": [{"name": t["name"], "score": t["score"], "max_score": t["max_score"], "output": t["output"]}
                      for t in result["tests"]]}
    if output:
        data["output"] = output
    return data


def write_json(result, path):
    with open(path, "w") as f:
        json.dump(gradescope(result), f, indent=1)


def write_csv(results, path):
    """One row per student: the submission's name, score, max score, then each optimizer's (op's) score."""
    names = []
    for r in results:
        for t in r["tests"]:
            name = t["name"].split(":")[0]
            if name not in names:
                names.append(name)
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["student", "score", "max_score"] + names + ["notes"])
        for r in results:
            per = {}
            for t in r["tests"]:
                per[t["name"].split(":")[0]] = per.get(t["name"].split(":")[0], 0) + t["score"]
            student = r["submission"].rstrip("/").split("/")[-1].removesuffix(".py")
            writer.writerow([student, r["score"], r["max_score"]] + [per.get(n, "") for n in names]
                            + ["; ".join(r["notes"])])
