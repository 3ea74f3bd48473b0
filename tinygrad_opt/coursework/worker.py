"""The submission's own process: import it, then run tests on request.

Started by ``sandbox.py`` as ``python -I`` (no user site, no PYTHON* variables, no current
directory on the path) in an empty working directory. Requests come as JSON lines on stdin;
answers go as JSON lines to a copy of the original stdout, which is then pointed at stderr,
so the submission's own prints cannot break the exchange. Before each call into the
submission a ``{"phase": ...}`` line says what it is doing, so a time-out can be named.

Nothing the submission does here reaches the grader's verdict except these numbers: the
reference is computed in the grader's process, where the submission is never imported.
"""
import importlib.util
import inspect
import json
import os
import sys
from pathlib import Path


def _load(path):
    """Import the submission (a .py file, or every .py file of a folder but tests); its modules."""
    path = Path(path)
    files = [path] if path.is_file() else sorted(f for f in path.glob("*.py")
                                                  if not f.name.startswith("test_") and f.name != "conftest.py")
    sys.path.insert(0, str(path.parent if path.is_file() else path))
    modules = []
    for i, f in enumerate(files):
        spec = importlib.util.spec_from_file_location(f"submission_{i}_{f.stem}", f)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        modules.append(module)
    return modules


def _library_bases(cls):
    """The library's optimizer classes ``cls`` inherits from (the base class Optimizer aside)."""
    return [f"{c.__module__}.{c.__name__}" for c in cls.__mro__[1:]
            if c.__module__.startswith("tinygrad_opt.") and c.__name__ != "Optimizer"]


def main():
    sys.dont_write_bytecode = True          # no __pycache__ left in the student's folder
    channel = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    def send(message):
        channel.write(json.dumps(message) + "\n")
        channel.flush()

    from tinygrad_opt.optim import Optimizer
    from .opcases import run_op_case
    from .runner import Phase, error_record, run_test
    classes, functions = {}, {}
    phase = Phase(lambda text: send({"phase": text}))
    for line in sys.stdin:
        request = json.loads(line)
        try:
            if request["op"] == "load":
                phase("importing the submission")
                for module in _load(request["path"]):
                    for name, obj in vars(module).items():
                        if getattr(obj, "__module__", None) != module.__name__:
                            continue
                        if inspect.isclass(obj) and issubclass(obj, Optimizer):
                            classes[name] = obj
                        elif inspect.isfunction(obj):
                            functions[name] = obj
                answer = {"optimizers": {n: _library_bases(c) for n, c in classes.items()},
                          "functions": sorted(functions)}
            elif request["op"] == "run":
                answer = run_test(classes[request["class"]], request["spec"], phase)
            else:
                phase(f"{request['function']}() forward or backward")
                answer = run_op_case(functions[request["function"]], request["function"], request["case"])
            send({"result": answer})
        except BaseException as e:              # SystemExit from the submission's import included
            send({"error": error_record(e), "phase": phase.now})


if __name__ == "__main__":
    main()
