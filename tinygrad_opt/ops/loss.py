"""Loss functions as single ops: negative log-likelihood, cross-entropy (log-softmax and
negative log-likelihood fused into one op) and squared error."""
from __future__ import annotations

from ..backend import get_array_module
from ..operands import same_device
from ..tensor import Tensor, make_result

_REDUCTIONS = ("mean", "sum", "none")


def check_reduction(op: str, reduction: str) -> None:
    """``reduction`` must be "mean", "sum" or "none"; ``op`` is the name the error gives."""
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{op}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def check_labels(op: str, logp: Tensor, target: Tensor) -> None:
    """Labels must be an integer tensor of shape (B,), on the input's device, with values
    in [0, C), for input (B, C). ``op`` is the name the errors give."""
    same_device(op, logp, target)
    if logp.ndim != 2:
        raise ValueError(f"{op}: expected input of shape (B, C) (one score per class), got {logp.shape}")
    y = target.array
    if y.dtype.kind not in "iu":
        raise TypeError(f"{op}: target must hold integer class labels, got dtype {y.dtype} "
                        f"(convert with target.long(); one-hot targets are not accepted)")
    if y.shape != (logp.shape[0],):
        raise ValueError(f"{op}: target must have shape (B,) = ({logp.shape[0]},) to match input {logp.shape}, "
                         f"got {y.shape}")
    C = logp.shape[1]
    # One pass over the labels instead of a min and a max: viewed as unsigned integers of the
    # same width, a negative label is huge (-1 -> 2^64 - 1), so "largest >= C" catches both ends.
    unsigned = y if y.dtype.kind == "u" else y.view(f"u{y.dtype.itemsize}")
    if y.size and int(unsigned.max()) >= C:
        bad = int(y.min()) if int(y.min()) < 0 else int(y.max())
        raise ValueError(f"{op}: target label {bad} is out of range: labels must be in [0, {C}) "
                         f"for {C} classes")


def nll_loss(logp: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood, logp: (B, C) log-probabilities, target: (B,) labels in [0, C).

        loss_b = -logp[b, target_b]          reduced by mean (1/B sum_b) or sum, or kept

    dL/dlogp is zero except at each row's target, where it is -g_b (divided by B for the
    mean); g_b is the incoming gradient (one number for mean and sum). For raw scores use
    :func:`cross_entropy`, which fuses the log-softmax into one op.
    """
    check_reduction("nll_loss", reduction)
    check_labels("nll_loss", logp, target)
    xp = get_array_module(logp.array)
    B = logp.shape[0]
    rows = xp.arange(B)
    picked = logp.array[rows, target.array]           # logp[b, target_b]: (B,)
    out = _reduce(-picked, reduction, B)

    def backward(g):
        grad = xp.zeros_like(logp.array)
        # each (row, target) pair occurs once, so assignment is enough (no add.at)
        grad[rows, target.array] = -g / B if reduction == "mean" else -g
        return grad, None
    return make_result(out, (logp, target), backward, "nll_loss")


def cross_entropy(z: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """Cross-entropy of raw scores, z: (B, C) logits, target: (B,) labels in [0, C).

        logp = log_softmax(z)                 (over the class axis, the stable way)
        loss_b = -logp[b, target_b]           reduced by mean or sum, or kept

    One op for ``nll_loss(log_softmax(z, 1), target)``, with the gradient of both in one
    step. Passing nll_loss's gradient G = -g_b onehot(target_b) back through log_softmax's
    backward, dL/dz = G - softmax(z) sum_k G_k, gives

        dL/dz_bk = g_b (softmax(z)_bk - [k = target_b])        (g_b / B for the mean)

    the familiar softmax - onehot: four array operations instead of eight, bit for bit the
    same numbers as the two ops apart.
    """
    check_reduction("cross_entropy", reduction)
    check_labels("cross_entropy", z, target)
    xp = get_array_module(z.array)
    shifted = z.array - z.array.max(axis=1, keepdims=True)
    logp = shifted - xp.log(xp.exp(shifted).sum(axis=1, keepdims=True))     # as ops.log_softmax
    B = z.shape[0]
    rows = xp.arange(B)
    out = _reduce(-logp[rows, target.array], reduction, B)

    def backward(g):
        scale = g / B if reduction == "mean" else g              # g_b: () or, for "none", (B,)
        grad = xp.exp(logp)                                       # softmax(z) = e^logp
        grad *= scale if scale.ndim == 0 else scale[:, None]
        grad[rows, target.array] -= scale
        return grad, None
    return make_result(out, (z, target), backward, "cross_entropy")


def _reduce(losses, reduction, n):
    """The losses reduced: their mean (over n), their sum, or kept, in the losses' dtype.

    The mean is summed in float64, as PyTorch accumulates on the CPU: float32 losses near the
    format's largest value (logits of 1e38) overflow a float32 sum although their mean does not.
    """
    if reduction == "mean":
        return (losses.sum(dtype="float64") / n).astype(losses.dtype)
    return losses.sum() if reduction == "sum" else losses


def mse_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """Squared error, loss_i = (input_i - target_i)^2, reduced by mean or sum, or kept.

        dL/dinput = 2 (input - target) g / n,   dL/dtarget = -dL/dinput

    with n the number of elements for the mean (1 for the sum). Shapes must match exactly:
    a (B, 1) prediction against a (B,) target would silently broadcast to (B, B).
    """
    check_reduction("mse_loss", reduction)
    same_device("mse_loss", input, target)
    if input.shape != target.shape:
        raise ValueError(f"mse_loss: input shape {input.shape} and target shape {target.shape} differ; "
                         f"reshape one so they match (broadcasting here is almost always a bug)")
    diff = input.array - target.array
    sq = diff * diff
    out = _reduce(sq, reduction, sq.size)
    n = diff.size if reduction == "mean" else 1

    def backward(g):
        gi = diff * (2 / n * g)         # for the mean, g is one number: one pass over the array
        return (gi if input.requires_grad else None,
                -gi if target.requires_grad else None)
    return make_result(out, (input, target), backward, "mse_loss")
