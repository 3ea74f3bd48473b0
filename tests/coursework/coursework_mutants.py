"""Broken optimizers made from the correct torch-style solutions by small edits, as students write them.

Each mutant: (id, class, [(old, new), ...] edits inside that class, the test that must fail, a
phrase its hint must contain). ``source(mutants)`` is a submission with those edits applied."""
from pathlib import Path

SOLUTIONS = Path(__file__).resolve().parent / "solutions"

MUTANTS = [
    ("nesterov without look-ahead", "SGD", [('g = g + mu * b if group["nesterov"] else b', "g = b")],
     "SGD: nesterov", "Nesterov's look-ahead is missing"),
    ("dampening on the first step", "SGD",
     [('state["momentum_buffer"] = g * 1.0', 'state["momentum_buffer"] = g * (1 - tau)')],
     "SGD: momentum, dampening", "the first momentum step is b_1 = g_1"),
    ("momentum term sign", "SGD", [(".mul_(mu).add_(g", ".mul_(-mu).add_(g")],
     "SGD: momentum", "what is carried from step to step"),
    ("weight decay twice", "SGD", [('g = g + group["weight_decay"] * p', 'g = g + 2 * group["weight_decay"] * p')],
     "SGD: weight decay", "proportional to the parameter"),
    ("maximize ignored", "SGD", [('g = -p.grad if group["maximize"] else p.grad', "g = p.grad")],
     "SGD: maximize, weight decay", "maximize"),
    ("momentum applied without a grad", "SGD",
     [("                if p.grad is None:\n                    continue\n",
       "                if p.grad is None:\n                    if \"momentum_buffer\" in self.state[p]:\n"
       "                        p.add_(self.state[p][\"momentum_buffer\"], alpha=-group[\"lr\"])\n"
       "                    continue\n")],
     "SGD: a parameter without grad on some steps",
     "where its grad is None: a parameter without gradient must not move"),
    ("eps inside the square root", "Adam", [('(v_hat ** 0.5 + group["eps"])', '((v_hat + group["eps"]) ** 0.5)')],
     "Adam: plain", "where eps sits"),
    ("no bias correction", "Adam",
     [("m_hat = m / (1 - beta1 ** t)", "m_hat = m"), ("v_hat = v / (1 - beta2 ** t)", "v_hat = v")],
     "Adam: plain", "bias correction"),
    ("one step count for all parameters", "Adam",
     [("for group in self.param_groups:\n                beta1", "self.calls = getattr(self, 'calls', 0) + 1\n"
       "            for group in self.param_groups:\n                beta1"),
      ('t = state["step"]', "t = self.calls")],
     "Adam: a parameter without grad on some steps", "step count (and all state) per parameter"),
    ("step counted per parameter visit", "Adam",
     [('t = state["step"]', "self.visits = getattr(self, 'visits', 0) + 1\n                    t = self.visits")],
     "Adam: plain", "state shared between parameters"),
    ("group options ignored", "Adam", [('lr, wd = group["lr"], group["weight_decay"]',
                                        'lr, wd = self.defaults["lr"], self.defaults["weight_decay"]')],
     "Adam: param groups with their own options", "param_groups[1]"),
    ("amsgrad without the maximum", "Adam", [("v_max.copy_(numpy.maximum(v_max.array, v.array))", "v_max.copy_(v)")],
     "Adam: amsgrad", "running maximum"),
    ("None grad not skipped", "Adam",
     [("                    if p.grad is None:\n                        continue\n", "")],
     "Adam: a parameter without grad on some steps", "skip such a parameter"),
    ("centered without the mean gradient", "RMSprop", [('denom = (v - a * a) ** 0.5 + group["eps"]',
                                                        'denom = v ** 0.5 + group["eps"]')],
     "RMSprop: centered", "sqrt(alpha) times the reference's at step 1: centered's mean gradient is missing"),
    ("RMSprop eps inside the square root", "RMSprop", [('denom = v ** 0.5 + group["eps"]',
                                                        'denom = (v + group["eps"]) ** 0.5')],
     "RMSprop: eps", "where eps sits"),
    ("lr decay off by one", "Adagrad",
     [('(state["step"] - 1) * group["lr_decay"]', 'state["step"] * group["lr_decay"]')],
     "Adagrad: lr decay", "lr decay"),
    ("NAdam schedule one step off", "NAdam",
     [("mu_next = beta1 * (1 - 0.5 * 0.96 ** ((t + 1) * psi))", "mu_next = mu")],
     "NAdam: plain", "momentum schedule"),
    ("AdamW decay coupled", "AdamW", [("    decoupled = True", "    decoupled = False")],
     "AdamW: weight decay", "weight decay"),
    ("writes p.grad", "Adadelta", [('g = g + group["weight_decay"] * p', 'g = g.add_(group["weight_decay"] * p)')],
     "Adadelta: rules: in place, p.grad untouched, a None grad skipped", "wrote p.grad"),
    ("not in place", "Adamax", [('p.sub_(m / u, alpha=group["lr"] / (1 - beta1 ** state["step"]))',
                                 'p = p - group["lr"] / (1 - beta1 ** state["step"]) * (m / u)')],
     "Adamax: plain", "did not change this parameter"),
    ("storage replaced", "Adagrad", [('p.sub_(g / (state["sum"] ** 0.5 + group["eps"]), alpha=clr)',
                                      'p.data = p.data - clr * g / (state["sum"] ** 0.5 + group["eps"])')],
     "Adagrad: rules: in place, p.grad untouched, a None grad skipped", "replaced the storage"),
]


def _class_span(text, name):
    start = text.index(f"\nclass {name}(")
    end = text.find("\nclass ", start + 1)
    return start, len(text) if end < 0 else end


def source(mutants):
    """The solutions' source with each mutant's edits applied inside its class."""
    text = (SOLUTIONS / "optimizers.py").read_text()
    for _, cls, edits, _, _ in mutants:
        start, end = _class_span(text, cls)
        block = text[start:end]
        for old, new in edits:
            assert block.count(old) == 1, (cls, old)
            block = block.replace(old, new)
        text = text[:start] + block + text[end:]
    return text
