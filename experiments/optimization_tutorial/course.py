"""What the tutorial's sections share: the data as the course prepares it, its loss, and
its small helpers (``format_params``, ``random_update``, the partially trained linear model).

The course standardises MNIST with the training set's statistics,
``x = (pixel / 255 - 0.1307) / 0.3081``, and trains its first models on a fixed random
subset of 500 training examples, called ``X, y`` as in the formulas.
"""
from typing import NamedTuple

import numpy as np

import tinygrad_opt.nn.functional as F
from tinygrad_opt import Tensor, backend, manual_seed, nn, optim
from tinygrad_opt.data import load_mnist, normalize, subset, train_mean_std

SUBSET_SIZE = 500


class CourseData(NamedTuple):
    """Standardised MNIST, images flattened to (N, 784) float32, labels (N,) int64."""
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    X: np.ndarray        # the 500-example subset, (500, 784)
    y: np.ndarray        # its labels, (500,)
    mean: float          # of the training pixels, on the 0..1 scale
    std: float


def load_course_data(seed, subset_size=SUBSET_SIZE, root=None):
    """MNIST as the course prepares it, and its ``subset_size``-example subset (drawn by ``seed``).
    ``root``: the folder with the MNIST files (None: $TINYGRAD_OPT_DATA, else the user cache)."""
    raw = load_mnist(root)
    mean, std = train_mean_std(raw.train_images)
    x_train = normalize(raw.train_images, "standard", mean=mean, std=std).reshape(-1, 784)
    x_test = normalize(raw.test_images, "standard", mean=mean, std=std).reshape(-1, 784)
    y_train, y_test = raw.train_labels.astype(np.int64), raw.test_labels.astype(np.int64)
    X, y = subset(x_train, y_train, n=subset_size, seed=seed)
    return CourseData(x_train, y_train, x_test, y_test, X, y, mean, std)


def loss_fn(model, x, y):
    """The course's objective: mean negative log-likelihood of the labels, ``F.nll_loss``."""
    return F.nll_loss(model(Tensor(x)), Tensor(y))


def accuracy(model, x, y):
    """Fraction (%) of ``x`` whose most probable class is the label."""
    return 100.0 * float((model(Tensor(x)).argmax(axis=1).numpy() == y).mean())


def format_params(model):
    """The course's ``print_params``: each parameter's name and values, long arrays elided."""
    lines = []
    for name, p in model.named_parameters():
        values = np.array2string(p.numpy(), precision=4, threshold=20, edgeitems=3,
                                 separator=", ", prefix=name + " ")
        lines.append(f"{name} {values}")
    return "\n".join(lines)


def random_update(model, noise_scale, rng, normalized=False):
    """Move every parameter by ``noise_scale`` times a random normal direction, in place.

    w <- w + noise_scale * z,  z ~ N(0, I)  (z / ||z|| per parameter when ``normalized``).
    ``rng``: a numpy Generator; the noise is drawn on the host and copied to the backend.
    """
    for p in model.parameters():
        noise = rng.standard_normal(p.shape)
        if normalized:
            noise /= np.linalg.norm(noise)
        p.array += backend.backend_of(p.array).from_host((noise_scale * noise).astype(p.dtype))


def partially_trained_linear(X, y, seed, steps=200, lr=7e-4):
    """The course's ``partial_trained_model``: the linear model after ``steps`` Adam steps
    (lr 7e-4) on the whole subset at once. Returns the model and the loss before each step.
    """
    manual_seed(seed)
    model = nn.MLP(in_dim=784, out_dim=10, hidden_dims=[])
    optimizer = optim.Adam(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        loss = loss_fn(model, X, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return model, losses
