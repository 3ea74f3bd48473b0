"""Write an assignment: ``new DIR --optimizers sgd,momentum,adam --ops relu,matmul``.

DIR gets

* ``optimizers.py``: one class per optimizer with torch.optim's name, signature and defaults;
  its ``step`` is a stub (``raise NotImplementedError`` under a ``# TODO``) below the
  equations and the variants to implement;
* ``ops.py``: each op's forward written out, its backward a stub under the derivative to work out;
* ``test_assignment.py`` and ``public_tests.json``: the public tests, which the student runs
  with pytest (the same checks the grader makes, on their own machine);
* ``README.md``: what to write, how to check it, the rules an optimizer follows;
* ``instructor/grading.json``: the grading configuration (tests, options, weights, time limit);
  keep this folder to yourself and pass it to ``grade --config``.
"""
import json
from pathlib import Path

from .config import default_config
from .opcases import OP_CASES

# --optimizers name -> (class, what the student implements)
CHOICES = {"sgd": "SGD", "momentum": "SGD", "nesterov": "SGD", "adam": "Adam", "adamw": "AdamW",
           "rmsprop": "RMSprop", "adagrad": "Adagrad", "adadelta": "Adadelta", "adamax": "Adamax", "nadam": "NAdam"}

SIGNATURES = {
    "SGD": ("params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *, maximize=False",
            "lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov, "
            "maximize=maximize"),
    "Adam": ("params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *, maximize=False",
             "lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad, maximize=maximize"),
    "AdamW": ("params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *, maximize=False",
              "lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad, maximize=maximize"),
    "RMSprop": ("params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False, *, "
                "maximize=False",
                "lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum, centered=centered, "
                "maximize=maximize"),
    "Adagrad": ("params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10, *, "
                "maximize=False",
                "lr=lr, lr_decay=lr_decay, weight_decay=weight_decay, "
                "initial_accumulator_value=initial_accumulator_value, eps=eps, maximize=maximize"),
    "Adadelta": ("params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, *, maximize=False",
                 "lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize"),
    "Adamax": ("params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, *, maximize=False",
               "lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, maximize=maximize"),
    "NAdam": ("params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3, *, "
              "maximize=False",
              "lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, momentum_decay=momentum_decay, "
              "maximize=maximize"),
}

# The equations of each algorithm (torch.optim's), per parameter, t its own step count from 1.
GRADIENT = "g_t = -grad if maximize else grad;   then g_t = g_t + weight_decay * theta_{t-1}"
EQUATIONS = {
    "SGD": [GRADIENT,
            "momentum mu > 0:  b_1 = g_1;   b_t = mu b_{t-1} + (1 - dampening) g_t",
            "                  d_t = g_t + mu b_t if nesterov else b_t",
            "no momentum:      d_t = g_t",
            "theta_t = theta_{t-1} - lr d_t"],
    "Adam": [GRADIENT,
             "m_t = beta1 m_{t-1} + (1 - beta1) g_t",
             "v_t = beta2 v_{t-1} + (1 - beta2) g_t^2",
             "amsgrad: v_t^max = max(v_{t-1}^max, v_t), used below in place of v_t",
             "m_hat = m_t / (1 - beta1^t);   v_hat = v_t / (1 - beta2^t)",
             "theta_t = theta_{t-1} - lr m_hat / (sqrt(v_hat) + eps)"],
    "AdamW": ["g_t = -grad if maximize else grad   (nothing added to it)",
              "theta_{t-1} = theta_{t-1} (1 - lr weight_decay)     decoupled weight decay, first",
              "then Adam's m_t, v_t, amsgrad, m_hat, v_hat and step, as in Adam"],
    "RMSprop": [GRADIENT,
                "v_t = alpha v_{t-1} + (1 - alpha) g_t^2",
                "centered: a_t = alpha a_{t-1} + (1 - alpha) g_t;   v~_t = v_t - a_t^2;   else v~_t = v_t",
                "s_t = g_t / (sqrt(v~_t) + eps)",
                "momentum mu > 0: b_t = mu b_{t-1} + s_t (b_0 = 0);   theta_t = theta_{t-1} - lr b_t",
                "otherwise:       theta_t = theta_{t-1} - lr s_t"],
    "Adagrad": [GRADIENT,
                "lr_t = lr / (1 + (t - 1) lr_decay)",
                "s_t = s_{t-1} + g_t^2          (s_0 = initial_accumulator_value)",
                "theta_t = theta_{t-1} - lr_t g_t / (sqrt(s_t) + eps)"],
    "Adadelta": [GRADIENT,
                 "v_t = rho v_{t-1} + (1 - rho) g_t^2",
                 "dx_t = sqrt(u_{t-1} + eps) / sqrt(v_t + eps) * g_t",
                 "u_t = rho u_{t-1} + (1 - rho) dx_t^2",
                 "theta_t = theta_{t-1} - lr dx_t"],
    "Adamax": [GRADIENT,
               "m_t = beta1 m_{t-1} + (1 - beta1) g_t",
               "u_t = max(beta2 u_{t-1}, |g_t| + eps)        (elementwise)",
               "theta_t = theta_{t-1} - lr m_t / ((1 - beta1^t) u_t)"],
    "NAdam": [GRADIENT,
              "mu_t = beta1 (1 - 0.5 * 0.96^(t momentum_decay));   mu_{t+1} likewise with t + 1",
              "m_t = beta1 m_{t-1} + (1 - beta1) g_t;   v_t = beta2 v_{t-1} + (1 - beta2) g_t^2",
              "m_hat = mu_{t+1} m_t / (1 - prod_{i<=t+1} mu_i) + (1 - mu_t) g_t / (1 - prod_{i<=t} mu_i)",
              "v_hat = v_t / (1 - beta2^t)",
              "theta_t = theta_{t-1} - lr m_hat / (sqrt(v_hat) + eps)"],
}

OPTIMIZERS_HEADER = '''"""Your optimizers. Write each step() under its equations; keep the names and signatures.

The rules (the grader checks them): update each parameter in place (under no_grad(),
p.add_(...), p.data -= ...), never write p.grad, skip a parameter whose grad is None,
keep each parameter's state (its step count t too) in self.state[p], and read every
option from the parameter's own group (group["lr"], ...).
"""
from tinygrad_opt import no_grad
from tinygrad_opt.optim import Optimizer
'''

CLASS = '''

class {name}(Optimizer):
    def __init__(self, {signature}):
        super().__init__(params, dict({defaults}))

    @no_grad()
    def step(self, closure=None):
        """One step of {name}{variants}, for each parameter of each group:

{equations}
        """
        # TODO: the update above, for every parameter p of every group in self.param_groups
        raise NotImplementedError("{name}.step")
'''

# op -> (signature, docstring, forward lines, parents, what backward returns)
OPS = {
    "relu": ("a", "out = max(a, 0).    dout/da = ?  (at a = 0 take 0, as PyTorch)",
             ["out = xp.maximum(a.array, 0)"], "(a,)", "(dL/da,)"),
    "exp": ("a", "out = e^a.    dout/da = ?", ["out = xp.exp(a.array)"], "(a,)", "(dL/da,)"),
    "log": ("a", "out = ln a.    dout/da = ?", ["out = xp.log(a.array)"], "(a,)", "(dL/da,)"),
    "tanh": ("a", "out = tanh a.    dout/da = ?  (in terms of out)", ["out = xp.tanh(a.array)"], "(a,)", "(dL/da,)"),
    "sigmoid": ("a", "out = 1 / (1 + e^-a).    dout/da = ?  (in terms of out)",
                ["out = 1 / (1 + xp.exp(-a.array))"], "(a,)", "(dL/da,)"),
    "mul": ("a, b", "out = a * b, shapes broadcast.    dout/da = ?, dout/db = ?\n\n"
            "    Return gradients of the broadcast shape: the engine sums them back to each input's shape.",
            ["out = a.array * b.array"], "(a, b)", "(dL/da, dL/db)"),
    "div": ("a, b", "out = a / b, shapes broadcast.    dout/da = ?, dout/db = ?\n\n"
            "    Return gradients of the broadcast shape: the engine sums them back to each input's shape.",
            ["out = a.array / b.array"], "(a, b)", "(dL/da, dL/db)"),
    "matmul": ("a, b", "out = a @ b,  a: (..., n, k), b: (k, m) -> out: (..., n, m).\n\n"
               "    dL/da = ?  (n, k)      dL/db = ?  (k, m)      (g = dL/dout: (..., n, m))",
               ["out = a.array @ b.array"], "(a, b)", "(dL/da, dL/db)"),
    "linear": ("x, weight, bias", "out = x W^T + b,  x: (..., in), W: (out, in), b: (out,).\n\n"
               "    dL/dx = ?   dL/dW = ?  (out, in)   dL/db = ?  (out,)",
               ["out = x.array @ weight.array.T + bias.array"], "(x, weight, bias)", "(dL/dx, dL/dW, dL/db)"),
    "log_softmax": ("a, dim=-1", "out_i = a_i - log sum_j e^{a_j}   (over axis dim).\n\n"
                    "    d out_i / d a_k = ?   so dL/da_k = ?   (softmax = e^out)",
                    ["shifted = a.array - a.array.max(axis=dim, keepdims=True)",
                     "out = shifted - xp.log(xp.exp(shifted).sum(axis=dim, keepdims=True))"], "(a,)", "(dL/da,)"),
}

OPS_HEADER = '''"""Your ops' backward passes. Each forward is written; work out the derivative in the docstring
and write backward(g), which maps g = dL/dout (shaped like out) to the inputs' gradients.
Check them with gradcheck (the public tests do): rectangular and broadcast shapes."""
from tinygrad_opt.backend import get_array_module
from tinygrad_opt.tensor import make_result
'''

OP = '''

def {name}({signature}):
    """{doc}
    """
    xp = get_array_module({first}.array)
{forward}

    def backward(g):
        # TODO: return {returns}, arrays (xp math on g, out and the inputs' .array)
        raise NotImplementedError("{name} backward")
    return make_result(out, {parents}, backward, "{name}")
'''

PUBLIC_TESTS = '''"""The public tests: the grader's own checks, run here on your code.  python -m pytest -q"""
from pathlib import Path

import pytest

from tinygrad_opt.coursework.config import load_config
from tinygrad_opt.coursework.grading import grade

HERE = Path(__file__).resolve().parent
NAMES = {names}


@pytest.fixture(scope="module")
def result():
    return grade(HERE, load_config(HERE / "public_tests.json"))


@pytest.mark.parametrize("name", NAMES)
def test_assignment(name, result):
    failed = [t for t in result["tests"] if t["name"].split(":")[0] == name and not t["passed"]]
    assert not failed, "\\n\\n".join(t["name"] + "\\n" + t["output"] for t in failed)
'''

README = '''# Assignment: {title}

Write {what} in this folder: `optimizers.py`{and_ops}. Each stub says what to compute and ends in
`raise NotImplementedError` under a `# TODO`: replace those lines. Keep the class and function
names and signatures (they are PyTorch's).

## Check your work

    python -m pytest -q

runs the same tests the grader runs (`public_tests.json` lists them): each optimizer on four
problems (quadratics, Rosenbrock, a small MLP) step by step against a reference in float64,
with every option, two parameter groups with their own options, a parameter whose gradient is
sometimes None, a state_dict round trip and convergence. A failure says at which step, problem
and element your numbers part from the reference, both numbers, and which term to look at.
`python -m tinygrad_opt.coursework grade .` prints the whole report.

## The rules an optimizer follows (as torch.optim's)

- `step()` changes each parameter **in place**: `with no_grad(): p.add_(d, alpha=-lr)`, or
  `p.data -= lr * d`. Never `p = p - ...` (that changes nothing) nor `p.data = ...` (a new array).
- `p.grad` is only read: compute `g = p.grad + wd * p` as a new tensor; never `p.grad += ...`.
- A parameter whose `p.grad` is None took no part in the loss: skip it.
- Each parameter's state lives in `self.state[p]` (a dict, empty at its first step), and so does
  its own step count t: parameters skipped on some steps have fewer steps.
- Read every option from the parameter's group: `for group in self.param_groups: lr = group["lr"]`.
- Tensor arithmetic (`+ - * / **`) and methods (`.sqrt()`, `.abs()`, `.maximum(other)`, `.clone()`)
  work on `p`, `p.grad` and state tensors, as do the in-place `add_(x, alpha=...)`, `sub_`, `mul_`,
  `div_`, `copy_`, `zero_` (no `addcmul_`, `addcdiv_` or `lerp_`: write those as arithmetic).

A typical step:

```python
@no_grad()
def step(self, closure=None):
    for group in self.param_groups:
        for p in group["params"]:
            if p.grad is None:
                continue
            state = self.state[p]
            if not state:                     # first step of this parameter
                state["step"] = 0
            state["step"] += 1
            p.add_(p.grad, alpha=-group["lr"])
```

Your grade comes from the same checks, run in a separate process with a time limit per test
({timeout} s): a step() that never returns fails that test.
'''


def _wrap(arguments, start, indent, width=110):
    """``arguments`` ("a=1, b=2, ...") broken after commas into lines of at most ``width``
    columns, the first starting at column ``start``, the others indented by ``indent``."""
    lines, column = [""], start
    for item in arguments.split(", "):
        if lines[-1] and column + len(item) + 2 > width:
            lines[-1] += ","
            lines.append(" " * indent)
            column = indent
        elif lines[-1].strip():
            lines[-1] += ", "
            column += 2
        lines[-1] += item
        column += len(item)
    return "\n".join(lines)


def _class_source(name, chosen):
    variants = ""
    if name == "SGD":
        parts = [v for v in ("momentum", "nesterov") if v in chosen]
        variants = " (plain" + "".join(f", {v}" for v in parts) + ")"
    signature, defaults = SIGNATURES[name]
    signature = _wrap(signature, len("    def __init__(self, "), 17)
    defaults = _wrap(defaults, len("        super().__init__(params, dict("), 38)
    equations = "\n".join(f"            {line}" for line in EQUATIONS[name])
    return CLASS.format(name=name, signature=signature, defaults=defaults, variants=variants, equations=equations)


def _op_source(name):
    signature, doc, forward, parents, returns = OPS[name]
    return OP.format(name=name, signature=signature, doc=doc, first=signature.split(",")[0],
                     forward="\n".join(f"    {line}" for line in forward), parents=parents, returns=returns)


def new(directory, optimizers=("sgd", "momentum", "adam"), ops=()):
    """Write the assignment into ``directory`` (created; existing files are not overwritten)."""
    unknown = [o for o in optimizers if o not in CHOICES] + [o for o in ops if o not in OPS or o not in OP_CASES]
    if unknown:
        raise ValueError(f"new: unknown {unknown}; optimizers: {', '.join(CHOICES)}; ops: {', '.join(OPS)}")
    directory = Path(directory)
    classes = list(dict.fromkeys(CHOICES[o] for o in optimizers))
    config = default_config(classes, ops, momentum="momentum" in optimizers or "nesterov" in optimizers,
                            nesterov="nesterov" in optimizers)
    files = {"optimizers.py": OPTIMIZERS_HEADER + "".join(_class_source(c, optimizers) for c in classes)}
    if ops:
        files["ops.py"] = OPS_HEADER + "".join(_op_source(o) for o in ops)
    files["public_tests.json"] = json.dumps(config, indent=1) + "\n"
    files["test_assignment.py"] = PUBLIC_TESTS.format(names="[" + _wrap(", ".join(map(repr, classes + list(ops))),
                                                                         len("NAMES = ["), 9) + "]")
    files["README.md"] = README.format(
        title=", ".join(classes + list(ops)), what=", ".join(classes) + (" and the backward of " + ", ".join(ops)
                                                                          if ops else ""),
        and_ops=" and `ops.py`" if ops else "", timeout=config["timeout"])
    files["instructor/grading.json"] = json.dumps(config, indent=1) + "\n"
    existing = [f for f in files if (directory / f).exists()]
    if existing:
        raise FileExistsError(f"new: {directory} already has {', '.join(existing)}; choose an empty folder")
    for name, text in files.items():
        (directory / name).parent.mkdir(parents=True, exist_ok=True)
        (directory / name).write_text(text)
    return sorted(files)
