"""The grading configuration: which optimizers and ops, which tests, their weights.

A configuration is plain JSON (``new`` writes one for the instructor; ``grade --config FILE``
reads it)::

    {"timeout": 20,
     "optimizers": {"Adam": {"reference": "tinygrad_opt.optim.Adam",
                             "tests": [{"name": "Adam: amsgrad, weight decay", "kind": "trajectory",
                                        "options": {"lr": 0.01, "amsgrad": true, "weight_decay": 0.1},
                                        "problems": ["convex quadratic", ...], "steps": 30, "weight": 1},
                                       ...]}},
     "ops": {"relu": {"weight": 1}}}

``reference``: ``module.Class`` (imported) or ``path/to/file.py:Class`` (the instructor's own
reference, e.g. for an optimizer the library lacks); it is loaded in the grader's process only.
Test kinds: ``trajectory`` and ``state_dict`` (compared with the reference step by step),
``rules`` (in place, p.grad never written, a None grad skipped), ``convergence`` (the loss
ends at most ``tol``). See ``runner.py`` for the fields of a test.

:func:`default_tests` makes each torch.optim algorithm's tests: the plain algorithm, then each
option exercised (one variant per option or pair, so a failure names it), two parameter groups
with their own options, a parameter whose grad is None on some steps, the rules, a state_dict
round trip, convergence.
"""
import json

STANDARD = ["convex quadratic", "ill-conditioned quadratic", "rosenbrock", "small MLP"]
STEPS = 30
# steps on which the MLP's first bias has no gradient (per-parameter step counts then differ)
NO_GRAD = {"param": "main.0.bias", "steps": [2, 3, 5, 6, 7]}

# name: (plain options, [(variant name, options added to the plain ones)], options of the
#        second parameter group, options that give the optimizer a state, convergence settings)
ALGORITHMS = {
    "SGD": ({"lr": 1e-3},
            [("momentum", {"momentum": 0.9}),
             ("momentum, dampening", {"momentum": 0.9, "dampening": 0.5}),
             ("nesterov", {"momentum": 0.9, "nesterov": True}),
             ("weight decay", {"weight_decay": 0.1}),
             ("momentum, weight decay", {"momentum": 0.9, "weight_decay": 0.1}),
             ("maximize, weight decay", {"maximize": True, "weight_decay": 0.1})],
            {"lr": 3e-3, "momentum": 0.5, "weight_decay": 0.1},
            {"momentum": 0.9},
            {"options": {"lr": 0.1, "momentum": 0.5}, "steps": 200, "tol": 1e-10}),
    "Adam": ({"lr": 0.01},
             [("eps", {"eps": 0.1}),
              ("betas", {"betas": [0.8, 0.9]}),
              ("weight decay", {"weight_decay": 0.1}),
              ("amsgrad", {"amsgrad": True}),
              ("amsgrad, weight decay", {"amsgrad": True, "weight_decay": 0.1}),
              ("maximize, weight decay", {"maximize": True, "weight_decay": 0.1})],
             {"lr": 0.03, "betas": [0.8, 0.99], "weight_decay": 0.1},
             {},
             {"options": {"lr": 0.05}, "steps": 600, "tol": 1e-6}),
    "AdamW": ({"lr": 0.01, "weight_decay": 0.0},     # plain: no decay, so "weight decay" isolates the term
              [("eps", {"eps": 0.1}),
               ("betas", {"betas": [0.8, 0.9]}),
               ("weight decay", {"weight_decay": 0.5}),
               ("amsgrad", {"amsgrad": True}),
               ("amsgrad, weight decay", {"amsgrad": True, "weight_decay": 0.5}),
               ("maximize", {"maximize": True})],
              {"lr": 0.03, "betas": [0.8, 0.99], "weight_decay": 0.5},
              {},
              {"options": {"lr": 0.05, "weight_decay": 0.0}, "steps": 600, "tol": 1e-6}),
    "RMSprop": ({"lr": 0.01},
                [("eps", {"eps": 0.1}),
                 ("alpha", {"alpha": 0.9}),
                 ("centered", {"centered": True}),
                 ("momentum", {"momentum": 0.9}),
                 ("centered, momentum", {"centered": True, "momentum": 0.9}),
                 ("weight decay", {"weight_decay": 0.1}),
                 ("maximize, weight decay", {"maximize": True, "weight_decay": 0.1})],
                {"lr": 0.03, "alpha": 0.9, "momentum": 0.5},
                {"momentum": 0.5},
                {"options": {"lr": 0.01, "momentum": 0.9, "alpha": 0.9}, "steps": 600, "tol": 1e-3}),
    "Adagrad": ({"lr": 0.1},
                [("eps", {"eps": 0.1}),
                 ("lr decay", {"lr_decay": 0.1}),
                 ("initial accumulator value", {"initial_accumulator_value": 0.5}),
                 ("weight decay", {"weight_decay": 0.1}),
                 ("maximize, weight decay", {"maximize": True, "weight_decay": 0.1})],
                {"lr": 0.3, "lr_decay": 0.05, "weight_decay": 0.1},
                {},
                {"options": {"lr": 0.5}, "steps": 600, "tol": 1e-6}),
    "Adadelta": ({"lr": 1.0},
                 [("eps", {"eps": 0.01}),
                  ("rho", {"rho": 0.5}),
                  ("weight decay", {"weight_decay": 0.1}),
                  ("maximize, weight decay", {"maximize": True, "weight_decay": 0.1})],
                 {"lr": 0.5, "rho": 0.5, "weight_decay": 0.1},
                 {},
                 {"options": {"lr": 1.0, "eps": 1e-2}, "steps": 600, "tol": 1e-3}),
    "Adamax": ({"lr": 0.01},
               [("eps", {"eps": 0.1}),
                ("betas", {"betas": [0.8, 0.9]}),
                ("weight decay", {"weight_decay": 0.1}),
                ("maximize, weight decay", {"maximize": True, "weight_decay": 0.1})],
               {"lr": 0.03, "betas": [0.8, 0.99], "weight_decay": 0.1},
               {},
               {"options": {"lr": 0.05}, "steps": 600, "tol": 1e-6}),
    "NAdam": ({"lr": 0.01},
              [("eps", {"eps": 0.1}),
               ("momentum decay", {"momentum_decay": 0.04}),
               ("betas", {"betas": [0.8, 0.9]}),
               ("weight decay", {"weight_decay": 0.1}),
               ("maximize, weight decay", {"maximize": True, "weight_decay": 0.1})],
              {"lr": 0.03, "betas": [0.8, 0.99], "weight_decay": 0.1},
              {},
              {"options": {"lr": 0.05}, "steps": 600, "tol": 1e-6}),
}

OPTIMIZERS = list(ALGORITHMS)


def default_tests(name, momentum=True, nesterov=True):
    """The tests of torch.optim algorithm ``name`` (one of :data:`OPTIMIZERS`), each of weight 1.

    For SGD, ``momentum`` / ``nesterov`` False leave out the tests of that variant (an
    assignment of plain SGD only).
    """
    plain, variants, group_options, stateful, convergence = ALGORITHMS[name]
    if name == "SGD":
        variants = [(title, o) for title, o in variants
                    if (momentum or "momentum" not in o) and (nesterov or "nesterov" not in o)]
        if not momentum:
            stateful, group_options = {}, {k: v for k, v in group_options.items() if k != "momentum"}
            convergence = {**convergence, "options": {"lr": 0.1}}

    def test(title, kind, options, problems=STANDARD, steps=STEPS, **extra):
        return {"name": f"{name}: {title}", "kind": kind, "options": {**plain, **options}, "problems": problems,
                "steps": steps, "weight": 1, **extra}

    tests = [test("plain", "trajectory", {})]
    tests += [test(title, "trajectory", options) for title, options in variants]
    tests += [test("param groups with their own options", "trajectory", stateful, ["small MLP"],
                   group={"split": 2, "options": group_options}),
              test("a parameter without grad on some steps", "trajectory", stateful, ["small MLP"], no_grad=NO_GRAD),
              test("rules: in place, p.grad untouched, a None grad skipped", "rules",
                   {**stateful, "weight_decay": 0.1}, ["small MLP"], no_grad=NO_GRAD),
              test("state_dict round trip", "state_dict", stateful, ["convex quadratic", "small MLP"], steps=10,
                   save_at=5),
              {"name": f"{name}: converges on the convex quadratic", "kind": "convergence",
               "options": convergence["options"], "problems": ["convex quadratic"], "steps": convergence["steps"],
               "tol": convergence["tol"], "weight": 1}]
    return tests


def default_config(optimizers=OPTIMIZERS, ops=(), momentum=True, nesterov=True):
    """The configuration grading ``optimizers`` (names) with their default tests, and ``ops``."""
    tests = {n: default_tests(n, momentum, nesterov) if n == "SGD" else default_tests(n) for n in optimizers}
    return {"timeout": 20,
            "optimizers": {n: {"reference": f"tinygrad_opt.optim.{n}", "tests": tests[n]} for n in optimizers},
            "ops": {op: {"weight": 1} for op in ops}}


def load_config(path):
    with open(path) as f:
        return json.load(f)
