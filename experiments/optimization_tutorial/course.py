"""What the tutorial's sections share: the data as the course prepares it, its loss, and
the course's small helpers (``print_params``, ``random_update``, ``sample_minibatch``,
``eval_model``), written as the course writes them, on this engine.

The course standardises MNIST with the training set's statistics,
``x = (pixel / 255 - 0.1307) / 0.3081``, and trains its first models on a random subset
of 500 training examples, called ``X, y`` as in the formulas. It seeds everything with
``set_seed(2021)`` and then draws the subset with NumPy's global generator,
``np.random.choice(60000, 500)``: with replacement, so an example may appear twice.
``course_subset`` draws it the same way from ``np.random.RandomState(seed)``, the generator
``np.random.seed`` sets, so with seed 2021 the subset holds the very images the course's has.
"""
from typing import NamedTuple

import numpy as np

import tinygrad_opt.nn.functional as F
from tinygrad_opt import Tensor, backend, manual_seed, nn, no_grad, optim
from tinygrad_opt.data import load_mnist, normalize, train_mean_std

SEED = 2021              # the course's SEED
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


def course_subset(num_examples, size, seed):
    """The course's ``subset_index = np.random.choice(len(train_set.data), 500)`` right after
    ``set_seed(seed)``: ``size`` indices in [0, num_examples), drawn with replacement."""
    return np.random.RandomState(seed).choice(num_examples, size)


def load_course_data(seed=SEED, subset_size=SUBSET_SIZE, root=None):
    """MNIST as the course prepares it, and its ``subset_size``-example subset (drawn by ``seed``).
    ``root``: the folder with the MNIST files (None: $TINYGRAD_OPT_DATA, else the user cache)."""
    raw = load_mnist(root, download=root is None)      # a folder named by --data is never downloaded into
    mean, std = train_mean_std(raw.train_images)
    x_train = normalize(raw.train_images, "standard", mean=mean, std=std).reshape(-1, 784)
    x_test = normalize(raw.test_images, "standard", mean=mean, std=std).reshape(-1, 784)
    y_train, y_test = raw.train_labels.astype(np.int64), raw.test_labels.astype(np.int64)
    subset_index = course_subset(len(x_train), subset_size, seed)
    X, y = x_train[subset_index], y_train[subset_index]
    return CourseData(x_train, y_train, x_test, y_test, X, y, mean, std)


def loss_fn(model, x, y):
    """The course's objective ``loss_fn(model(X), y)`` with ``loss_fn = F.nll_loss``."""
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


def print_params(model):
    """The course's ``print_params(model)``."""
    print(format_params(model))


def randn_like(par, rng=None):
    """A tensor of N(0, 1) numbers shaped like ``par`` (PyTorch's ``torch.randn_like``), drawn
    on the host from ``rng`` (default: the generator ``manual_seed`` seeds)."""
    rng = backend.host_rng() if rng is None else rng
    return Tensor(rng.standard_normal(par.shape).astype(par.dtype))


def random_update(model, noise_scale=0.1, normalized=False, rng=None):
    """The course's ``random_update``: move every parameter by a random normal direction.

        w <- w + noise_scale * z,   z ~ N(0, I)       (z / ||z|| per parameter when ``normalized``)

    With ``noise_scale=1e-2`` each of the linear model's 7850 numbers moves by about 0.01,
    a step of length 0.01 * sqrt(7850) = 0.89.
    """
    with no_grad():
        for par in model.parameters():
            noise = randn_like(par, rng)
            if normalized:
                noise /= (noise * noise).sum().item() ** 0.5
            par.data += noise_scale * noise


def sample_minibatch(input_data, target_data, num_points=100, rng=None):
    """The course's ``sample_minibatch``: ``num_points`` IID examples, drawn with replacement.

    input_data: (N, ...), target_data: (N,)  ->  (num_points, ...), (num_points,)
    ``rng``: a ``numpy`` Generator or RandomState (default: the generator ``manual_seed``
    seeds). The library's ``tinygrad_opt.data.sample_minibatch`` draws without replacement.
    """
    rng = backend.host_rng() if rng is None else rng
    batch_indices = rng.choice(len(input_data), num_points)
    batch_inputs = input_data[batch_indices]
    batch_targets = target_data[batch_indices]
    return batch_inputs, batch_targets


def eval_model(model, x, y, batch_size=256, num_batches=np.inf):
    """The course's ``eval_model``: mean loss and mean accuracy (a fraction) over the batches of
    ``batch_size`` examples of (x, y) in order, the first ``num_batches + 1`` of them (the course
    stops once ``batch_id > num_batches``), without a graph."""
    loss_log, acc_log = [], []
    with no_grad():
        for batch_id, start in enumerate(range(0, len(x), batch_size)):
            if batch_id > num_batches:
                break
            data, labels = x[start:start + batch_size], y[start:start + batch_size]
            preds = model(Tensor(data))
            loss_log.append(F.nll_loss(preds, Tensor(labels)).item())
            acc_log.append(float((preds.argmax(axis=1).numpy() == labels).mean()))
    return float(np.mean(loss_log)), float(np.mean(acc_log))


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


class Knob(NamedTuple):
    """One control of an interactive demo, as the course's widget has it: its default and range.
    ``log``: a ``FloatLogSlider`` whose ``low``, ``high`` and ``step`` are powers of ten."""
    default: object
    low: object = None
    high: object = None
    step: object = None
    log: bool = False
    choices: tuple = ()          # a Dropdown's options

    def check(self, name, value):
        """``value`` if the widget could be set to it; else a ValueError naming the range."""
        if self.choices:
            if value not in self.choices:
                raise ValueError(f"{name} must be one of {', '.join(map(str, self.choices))} "
                                 f"(the course's drop-down), got {value}")
            return value
        low, high = (10.0 ** self.low, 10.0 ** self.high) if self.log else (self.low, self.high)
        if not low - 1e-12 <= value <= high + 1e-12:
            raise ValueError(f"{name} must be in [{low:g}, {high:g}], the course's slider range, got {value:g}")
        return value


def knob(args, section, name, knobs):
    """The value of a demo's control: ``--<section>-<name>`` if given, else the course's default."""
    value = getattr(args, f"{section}_{name}", None)
    return knobs[name].default if value is None else value
