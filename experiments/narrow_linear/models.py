"""The course's narrow linear networks: one neuron per layer, no biases, no nonlinearity.

    shallow:  y_hat = x w1 w2                  loss = mean_k (y_k - y_hat_k)^2
    deep:     y_hat = x w1 w2 ... w_n          loss = (1/2) mean_k (y_k - y_hat_k)^2

(The course halves the deep net's loss and not the shallow one's; so does this file.)

Both are Modules whose weights are Parameters, so the engine's autodiff computes their
gradients. The gradients the course works out by hand are here too (``dloss_dw``), so the
tests can check that autodiff gives the same numbers:

    shallow:  dL/dw1 = -mean(2 w2 x e),   dL/dw2 = -mean(2 w1 x e),   e = y - w1 w2 x
    deep:     dL/dw_i = -mean(x e) * prod_{j != i} w_j,                e = y - x prod_j w_j

The course computes in float64 (NumPy's default), and so do these models unless told
otherwise: whether a deep net overflows to inf depends on the float type.
"""
import numpy

import tinygrad_opt.nn.functional as F
from tinygrad_opt import backend, nn


def gen_samples(n, a, sigma, rng=None):
    """``n`` samples of the line y = a x plus Gaussian noise of standard deviation ``sigma``.

    sigma > 0: x ~ Uniform[0, 1) and y = a x + noise (noise ~ N(0, sigma^2)).
    sigma = 0: x = n evenly spaced points of [0, 1] and y = a x exactly (the course plots
    its loss landscapes on this noiseless line).

    ``rng``: a NumPy ``Generator`` (default: the seeded ``backend.host_rng()``);
    ``numpy.random.RandomState(2021)`` gives exactly the course's ``set_seed(2021)`` draws.
    Returns host float64 arrays ``x, y: (n,)``.
    """
    if not (isinstance(n, (int, numpy.integer)) and n > 0):
        raise ValueError(f"gen_samples: expected a positive integer n, got {n!r}")
    if not sigma >= 0:
        raise ValueError(f"gen_samples: expected sigma >= 0, got {sigma!r}")
    if sigma > 0:
        rng = backend.host_rng() if rng is None else rng
        x = rng.random(n)
        y = a * x + rng.normal(scale=sigma, size=n)
    else:
        x = numpy.linspace(0.0, 1.0, n, endpoint=True)
        y = a * x
    return x, y


class ShallowNarrowLNN(nn.Module):
    """y_hat = x w1 w2, two scalar weights; loss = mean squared error (not halved).

    ``init_ws``: the two initial weights ``[w1, w2]``.
    """

    def __init__(self, init_ws, dtype=numpy.float64):
        if len(init_ws) != 2:
            raise ValueError(f"ShallowNarrowLNN: expected two initial weights [w1, w2], got {init_ws!r}")
        self.w1 = nn.Parameter(numpy.asarray(init_ws[0], dtype=dtype))
        self.w2 = nn.Parameter(numpy.asarray(init_ws[1], dtype=dtype))

    def forward(self, x):
        """x: (n,) -> y_hat: (n,)."""
        return x * self.w1 * self.w2

    def loss(self, y_p, y_t):
        """mean_k (y_t_k - y_p_k)^2, a scalar."""
        return F.mse_loss(y_p, y_t)

    def dloss_dw(self, x, y_t):
        """The course's hand-derived gradient: (dL/dw1, dL/dw2), two scalar arrays.

        e = y - w1 w2 x;   dL/dw1 = -mean(2 w2 x e);   dL/dw2 = -mean(2 w1 x e).
        """
        w1, w2, x, y_t = self.w1.array, self.w2.array, x.array, y_t.array
        error = y_t - w1 * w2 * x
        return -(2 * w2 * x * error).mean(), -(2 * w1 * x * error).mean()

    def extra_repr(self):
        return f"w1={self.w1.item():.4g}, w2={self.w2.item():.4g}"


class DeepNarrowLNN(nn.Module):
    """y_hat = x prod_i w_i with the weights in one vector ``w: (depth,)``, as the course stores
    them; loss = half the mean squared error.

    ``init_ws``: the initial weights, any shape with ``depth`` elements (the course passes
    ``numpy.full((1, depth), 0.9)``).
    """

    def __init__(self, init_ws, dtype=numpy.float64):
        init = numpy.asarray(init_ws, dtype=dtype).reshape(-1)
        if init.size == 0:
            raise ValueError("DeepNarrowLNN: expected at least one initial weight, got none")
        self.w = nn.Parameter(init)

    @property
    def depth(self):
        return self.w.shape[0]

    def forward(self, x):
        """x: (n,) -> y_hat = x prod_i w_i: (n,). One product, one multiply: cheap at any depth."""
        return x * self.w.prod()

    def loss(self, y_p, y_t):
        """(1/2) mean_k (y_t_k - y_p_k)^2, a scalar."""
        return 0.5 * F.mse_loss(y_p, y_t)

    def dloss_dw(self, x, y_t):
        """The course's hand-derived gradient, ``(depth,)``:

            dL/dw_i = -mean(x e) * prod_{j != i} w_j,    e = y - x prod_j w_j.

        As in the course, prod_{j != i} w_j is computed as prod_j w_j / (w_i + 1e-9): one
        product for all i, and no division by zero when some w_i = 0 -- at the price of a
        relative error of about 1e-9 / w_i.
        """
        w, x, y_t = self.w.array, x.array, y_t.array
        error = y_t - x * w.prod()
        return -(x * error).mean() * (w.prod() / (w + 1e-9))

    def extra_repr(self):
        return f"depth={self.depth}"
