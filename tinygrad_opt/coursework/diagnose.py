"""Read which term of an update is wrong from the pattern of the numbers.

At the first step where a candidate parts from the reference, both started from the same
point ``before`` with the same gradient, so their steps ``dc = cand - before`` and
``dr = ref - before`` can be compared element by element:

* ``dc = -dr`` for most elements                -> a sign (or maximize);
* ``dc / dr`` the same number r for every element -> a scalar factor: which one the options
  and the algorithm tell (r = 1/(1+mu) with nesterov: the look-ahead is missing; r = 1 - tau
  at step 1 with dampening: the first momentum step; a t-dependent factor: lr decay,
  NAdam's momentum schedule, a bias correction, else the learning rate);
* ``cand - ref`` proportional to ``before``     -> the weight-decay term;
* ``|cand - ref|`` far below the step's size     -> a small term such as eps;
* the first step wrong, or only a later one      -> the rule itself, or what is carried.

The grader adds what only several tests together can tell (a mismatch only in a parameter
that sometimes has no gradient, only in a group with its own options, only in the test that
sets one option). These are hints read from numbers, not proofs; the numbers are exact.
"""
import numpy

# What each option of torch.optim's algorithms controls: the term to look at when a test that
# sets it fails while the plain test passes.
OPTION_TERMS = {
    "lr": "the learning rate: the step is lr times the direction",
    "momentum": "the momentum buffer: b_1 = g_1, then b_t = mu b_{t-1} + (1 - dampening) g_t, "
                "and the step lr * b_t",
    "dampening": "dampening: b_t = mu b_{t-1} + (1 - dampening) g_t from step 2 on; the first buffer "
                 "is b_1 = g_1, without the (1 - dampening)",
    "nesterov": "Nesterov's look-ahead: step along g_t + mu b_t, not along b_t",
    "weight_decay": "weight decay: g_t = grad + lambda theta_{t-1}, added to the gradient before "
                    "anything else uses it (after maximize's sign flip)",
    "maximize": "maximize: negate the gradient first (g_t = -grad), then add weight decay",
    "amsgrad": "amsgrad: keep the running maximum of the raw v_t (max_exp_avg_sq) and divide by "
               "the bias-corrected maximum, sqrt(max v / (1 - beta2^t))",
    "centered": "centered's mean gradient: a_t = alpha a_{t-1} + (1 - alpha) g_t, and divide by "
                "sqrt(v_t - a_t^2) + eps",
    "lr_decay": "lr decay: gamma_t = gamma / (1 + (t - 1) lr_decay), t the parameter's own step "
                "count starting at 1",
    "initial_accumulator_value": "the sum of squares starts at initial_accumulator_value, not at 0",
    "momentum_decay": "NAdam's momentum schedule mu_t = beta1 (1 - 0.5 * 0.96^(t psi)), mu_{t+1} "
                      "for the momentum's share, and the products of the mu's in the corrections",
    "betas": "the betas: beta1 for the first moment, beta2 for the second, and the powers "
             "beta1^t, beta2^t in the bias corrections",
    "alpha": "alpha, the decay of the running mean of g^2: v_t = alpha v_{t-1} + (1 - alpha) g_t^2",
    "rho": "rho, the decay of both running averages (of g^2 and of the squared steps)",
}

# Where eps sits, per algorithm (torch.optim's placement).
# (Adadelta is left out of the eps probe in grading.py: with eps = 0 it never moves.)
EPS_PLACES = {
    "Adam": "outside the square root and after the bias correction: m_hat / (sqrt(v_hat) + eps)",
    "AdamW": "outside the square root and after the bias correction: m_hat / (sqrt(v_hat) + eps)",
    "NAdam": "outside the square root and after the bias correction: m_hat / (sqrt(v_hat) + eps)",
    "RMSprop": "outside the square root: g / (sqrt(v) + eps)",
    "Adagrad": "outside the square root: g / (sqrt(sum) + eps)",
    "Adadelta": "inside both square roots: sqrt(u + eps) / sqrt(v + eps) * g",
    "Adamax": "inside the maximum: u_t = max(beta2 u_{t-1}, |g_t| + eps)",
}

BIAS_CORRECTED = ("Adam", "AdamW", "Adamax", "NAdam")


def option_term(option, optimizer=None):
    """The sentence naming what ``option`` controls (eps: where it sits for ``optimizer``)."""
    if option == "eps":
        return "where eps sits: " + EPS_PLACES.get(optimizer, "check where eps is added, and its value")
    if option == "weight_decay" and optimizer == "AdamW":
        return ("AdamW's decoupled weight decay: theta <- theta (1 - lr lambda) before the Adam step, "
                "nothing added to the gradient")
    return OPTION_TERMS.get(option, f"the option {option}")


def _scalar_factor(ratio, step, options, optimizer, suspects=None):
    """The hint for a step that is ``ratio`` times the reference's, in every element
    (``suspects``: options the grader names itself; then no guess at another term)."""
    mu, tau = options.get("momentum", 0), options.get("dampening", 0)
    if options.get("nesterov") and mu and numpy.isclose(ratio, 1 / (1 + mu), rtol=1e-6):
        return (f"Every element's step is {ratio:.4g} = 1/(1 + momentum) times the reference's: Nesterov's "
                f"look-ahead is missing: step along g_t + mu b_t (here (1 + mu) g_1 at step 1), not b_t.")
    if step == 1 and tau and mu and numpy.isclose(ratio, 1 - tau, rtol=1e-6):
        return (f"Every element's step is {ratio:.4g} = 1 - dampening times the reference's at step 1: the "
                f"first momentum step is b_1 = g_1; dampening applies from step 2 on.")
    # centered's first step without the mean: sqrt(v_1) = sqrt(1 - alpha) |g| where the reference
    # divides by sqrt(v_1 - a_1^2) = sqrt(alpha (1 - alpha)) |g|
    if step == 1 and options.get("centered") and numpy.isclose(ratio, options.get("alpha", 0.99) ** 0.5, rtol=1e-5):
        return (f"Every element's step is {ratio:.6g} = sqrt(alpha) times the reference's at step 1: centered's "
                f"mean gradient is missing: a_t = alpha a_(t-1) + (1 - alpha) g_t, divide by sqrt(v_t - a_t^2) + eps.")
    when = ("at step 1" if step == 1 else
            f"at step {step}, after {step - 1} agreeing step{'s' * (step > 2)}: a factor that depends on t")
    if suspects:
        return f"Every element's step is {ratio:.6g} times the reference's {when}."
    if options.get("lr_decay"):
        term = option_term("lr_decay")
    elif optimizer == "NAdam":
        term = option_term("momentum_decay")
    elif optimizer in BIAS_CORRECTED:
        term = "a bias correction 1/(1 - beta^t): missing, applied twice, or with t off by one"
    else:
        term = "the learning rate (or another constant factor)"
    return f"Every element's step is {ratio:.6g} times the reference's {when}. Look at {term}."


def read_step(step, before, cand, ref, options=None, optimizer=None, suspects=None):
    """Hints (a list of sentences, the last one about the step) from one parameter's values:
    ``before`` the step, the candidate's and the reference's after it (flat float64 arrays).
    ``suspects``: the options a passing test lacked (the grader names their terms itself)."""
    options = options or {}
    dc, dr = cand - before, ref - before
    moved = dr != 0
    if not numpy.isfinite(cand).all():
        return ["The candidate's value is nan or inf: a division by zero or the square root of a negative "
                "number (eps missing? a variance estimate that went negative?)."]
    if moved.any() and (dc[moved] == 0).all():
        return ["The candidate did not change this parameter: step() must update it in place "
                "(p.data -= ..., p.add_(...) under no_grad(); not p = p - ...), and not skip it."]
    hints = []
    if moved.any():
        big = numpy.abs(dr) >= 1e-3 * numpy.abs(dr).max()     # where the ratio is well measured
        ratio = dc[big] / dr[big]
        mean = float(ratio.mean())
        # one scalar for every element: its spread far below its distance from 1 (a term like
        # eps, which varies with |g|, spreads as much as it moves the ratio)
        spread = numpy.ptp(ratio)
        constant = spread <= 1e-6 * abs(mean) and spread <= 1e-2 * abs(mean - 1)
        if (ratio < 0).mean() > 0.5:
            flip = " maximize negates the gradient before weight decay is added;" if options.get("maximize") else ""
            hints.append(f"The candidate moves the other way from the reference (uphill) for most elements: "
                         f"check the sign of the update (of the gradient, the momentum term, lr * direction);{flip}")
        elif constant:
            hints.append(_scalar_factor(mean, step, options, optimizer, suspects))
    if not hints and before.size >= 2 and before.any() and moved.all():
        gap = cand - ref
        k = float(gap @ before) / float(before @ before)
        if numpy.abs(gap - k * before).max() <= 1e-3 * numpy.abs(gap).max():
            hints.append(f"The difference is proportional to the parameter itself (gap = {k:.3g} * p): look at "
                         f"{option_term('weight_decay', optimizer)} (applied twice? L2 penalty vs decoupled? "
                         f"multiplied by lr?).")
    if not hints and moved.any():
        rel = numpy.abs(cand - ref).max() / numpy.abs(dr).max()
        if rel < 1e-3 and optimizer != "SGD" and (not suspects or "eps" in suspects):
            hints.append(f"The step is nearly right (off by {rel:.1e} of its size): a small term, e.g. "
                         f"{option_term('eps', optimizer)}.")
    for option in ("centered", "amsgrad"):
        if not hints and not suspects and options.get(option):
            hints.append(f"Look at {option_term(option)}.")
    if step == 1:
        hints.append("It is wrong from the first step: the update rule itself, not a carried state.")
    else:
        agreed = "Step 1 agreed" if step == 2 else f"Steps 1 to {step - 1} agreed"
        hints.append(f"{agreed}, so a fresh state is handled right; the difference is in what is carried "
                     f"from step to step: the state (momentum or moment buffers, their decay), the step "
                     f"count t, or a correction that depends on t.")
    return hints
