"""log-softmax, the numerically stable way, with one fused backward."""
from ..backend import get_array_module
from ..tensor import make_result


def log_softmax(a, dim=-1):
    """out_i = a_i - log sum_j e^{a_j}     (over axis ``dim``), e.g. a: (B, C) logits.

    Stable form: with m = max_j a_j,  log sum_j e^{a_j} = m + log sum_j e^{a_j - m},
    so no exponential exceeds e^0 = 1 and huge logits (1e4) give no overflow.

    Derivative: d out_i / d a_k = [i = k] - softmax_k, with softmax = e^out. Hence

        dL/da_k = g_k - softmax_k * sum_i g_i

    one expression for the whole Jacobian-vector product, instead of a graph of
    max / sub / exp / sum / log nodes.
    """
    ndim = a.array.ndim
    if not -ndim <= dim < ndim:
        raise ValueError(f"log_softmax: dim {dim} is out of range for shape {a.shape}")
    xp = get_array_module(a.array)
    shifted = a.array - a.array.max(axis=dim, keepdims=True)
    out = shifted - xp.log(xp.exp(shifted).sum(axis=dim, keepdims=True))

    def backward(g):
        return (g - xp.exp(out) * g.sum(axis=dim, keepdims=True),)
    # The name says whether the op normalised the last axis: nll_loss recognises "log_softmax"
    # and then skips this backward, taking the shortcut softmax - onehot (see nll_loss).
    op = "log_softmax" if dim % ndim == ndim - 1 else f"log_softmax(dim={dim})"
    return make_result(out, (a,), backward, op)
