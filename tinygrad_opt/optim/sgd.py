"""Stochastic gradient descent, with momentum and Nesterov momentum (``torch.optim.SGD``).

Two ways of writing momentum are in use, and they are not the same algorithm:

* PyTorch's (this one): ``b = mu b + g;  p = p - lr b``. The velocity ``b`` is a running
  sum of *gradients*; the learning rate multiplies it at the moment of the update.
* Sutskever et al. (2013), and the course's ``momentum_update``: ``v = mu v - lr g;  p = p + v``.
  The velocity holds *steps*, each already scaled by the learning rate of its own time.

With a constant learning rate the two trajectories are identical (``v = -lr b``). When the
learning rate changes (a schedule), they part: PyTorch's form applies the *new* lr to the
whole accumulated history at once (a drop of lr by 10x shrinks the very next step 10x),
Sutskever's keeps the old steps at their old scale and lets them fade out at rate ``mu``.
"""
from ..backend import get_array_module
from .optimizer import Optimizer, check_nonnegative, zeros_state


def sgd_update(param, grad, state, buf, *, lr, momentum, dampening, weight_decay, nesterov, maximize):
    """One SGD step on one parameter's array ``param``, in place (PyTorch's algorithm).

        g_t = -grad f(theta_{t-1}) if maximize else grad f(theta_{t-1})
        g_t = g_t + lambda theta_{t-1}                     weight decay lambda (L2 penalty)
        b_1 = g_t;   b_t = mu b_{t-1} + (1 - tau) g_t       momentum mu, dampening tau
        d_t = g_t + mu b_t  (nesterov)   or   b_t           (d_t = g_t without momentum)
        theta_t = theta_{t-1} - gamma d_t                    learning rate gamma

    ``weight_decay`` here is the L2 penalty: it adds ``lambda theta`` to the gradient, i.e.
    minimises ``f + lambda/2 ||theta||^2`` (decoupled weight decay is AdamW's).

    Order of maximize and weight decay: the gradient is negated *first*, then ``lambda theta``
    is added (so the decay still pulls theta towards 0), as PyTorch's implementation does.
    PyTorch's documented pseudo-code instead adds ``lambda theta`` to the unnegated gradient
    and flips the sign of the final step, ``theta_t = theta_{t-1} + gamma d_t``: in effect
    ``g_t = -(grad f + lambda theta)``, a decay that pushes theta away from 0. The two differ
    only when maximize and weight decay are both set.

    ``b_1 = g_t`` happens on the first step *with momentum*: step 1, or the first step after
    momentum was switched on mid-run (PyTorch's rule too: it starts b when it has none).
    ``buf``: a work array shaped like ``param``.
    """
    xp = get_array_module(param)
    state["step"] += 1
    if maximize:
        grad = -grad
    if weight_decay:
        grad = grad + weight_decay * param      # a new array: .grad itself is never modified
    if momentum:
        if state["step"] == 1 or "momentum_buffer" not in state:      # the first step with momentum
            b = zeros_state(state, "momentum_buffer", param)
            b[...] = grad                       # b_1 = g_t, a copy: .grad itself is never modified
        else:
            b = state["momentum_buffer"]
            b *= momentum
            if dampening:
                xp.multiply(grad, 1 - dampening, buf)
                b += buf
            else:
                b += grad
        if nesterov:
            xp.multiply(b, momentum, buf)
            buf += grad
            grad = buf
        else:
            grad = b
    xp.multiply(grad, lr, buf)
    param -= buf


class SGD(Optimizer):
    """``SGD(params, lr, momentum=0, dampening=0, weight_decay=0, nesterov=False, *, maximize=False)``.

    See :func:`sgd_update` for the equations; state per parameter: ``step`` and, with
    momentum, ``momentum_buffer`` (b_t; made on first use if momentum is switched on mid-run).
    """

    optional_state = ("momentum_buffer",)

    def __init__(self, params, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False,
                 *, maximize=False):
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov, maximize=maximize))

    def check_hyperparameters(self, group, owner):
        check_nonnegative(owner, "learning rate lr", group["lr"])
        check_nonnegative(owner, "momentum", group["momentum"])
        check_nonnegative(owner, "weight_decay", group["weight_decay"])
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(f"{owner}: Nesterov momentum needs momentum > 0 and dampening = 0, got "
                             f"momentum={group['momentum']}, dampening={group['dampening']}")

    def init_state(self, param, group):
        if group["momentum"]:
            return {"step": 0, "momentum_buffer": get_array_module(param).zeros_like(param)}
        return {"step": 0}

    def step(self, closure=None):
        loss = self.evaluate_closure(closure)
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                sgd_update(p.array, p.grad.array, self.state_for(p, group), self.scratch(p),
                           lr=group["lr"], momentum=group["momentum"], dampening=group["dampening"],
                           weight_decay=group["weight_decay"], nesterov=group["nesterov"],
                           maximize=group["maximize"])
        return loss
