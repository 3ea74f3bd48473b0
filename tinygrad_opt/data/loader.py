"""Drawing examples from a dataset: epochs of minibatches, random minibatches, subsets.

Everything here works on any pair ``x: (N, ...)``, ``y: (N, ...)`` of Tensors or arrays
(NumPy arrays, or arrays living on a GPU). NumPy only makes the indices; x and y are only
indexed. The minibatches come out as Tensors without grad, ready for a model
(``model(xb)``, ``F.nll_loss(log_probs, yb)``); ``subset`` gives back the kind it was given.
"""
import numbers

import numpy as np

from .. import backend
from ..tensor import Tensor


class MinibatchIterator:
    """Epochs of minibatches over ``(x, y)``, reshuffled every epoch, reproducibly.

        batches = MinibatchIterator(x_train, y_train, batch_size=100, seed=0)
        for epoch in range(3):
            for xb, yb in batches:      # Tensors xb: (100, 784), yb: (100,)
                ...

    Epoch k visits the N examples in the order ``default_rng([seed, k]).permutation(N)``
    (in order 0..N-1 when shuffle=False) and cuts it into consecutive batches of
    ``batch_size``; the last batch is smaller, or dropped when drop_last=True. The order
    depends only on (seed, k): the same seed gives the same batches in every run, and
    every epoch has its own order. Each example appears exactly once per epoch.

    The whole state is one number, ``batches_done``: how many batches have been handed
    out. The next batch is batch ``position`` of epoch ``epoch`` (``divmod`` of it by
    ``len(self)``, the number of batches per epoch). ``iter()`` continues from there,
    so a loop broken off mid-epoch goes on with the next batch, and a loop that ran to
    the end starts the next epoch. ``state_dict()`` / ``load_state_dict()`` save and
    restore the state: a run killed and resumed from a checkpoint sees exactly the
    batches it would have seen. Use one loop over it at a time.
    """

    def __init__(self, x, y, batch_size, shuffle=True, seed=0, drop_last=False):
        self.num_examples = _check_pair(x, y)
        _check_count(batch_size, "batch_size")
        if not isinstance(seed, numbers.Integral) or isinstance(seed, bool) or seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
        if drop_last and batch_size > self.num_examples:
            raise ValueError(f"batch_size={batch_size} with drop_last=True leaves no batch "
                             f"of only {self.num_examples} examples")
        self.x, self.y = _array(x), _array(y)
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.seed = int(seed)
        self.drop_last = bool(drop_last)
        self.batches_done = 0

    def __len__(self):
        """Batches per epoch: floor(N / batch_size) with drop_last, else ceil."""
        if self.drop_last:
            return self.num_examples // self.batch_size
        return -(-self.num_examples // self.batch_size)

    @property
    def epoch(self):
        """The epoch the next batch comes from (0, 1, ...)."""
        return self.batches_done // len(self)

    @property
    def position(self):
        """The index, within its epoch, of the next batch."""
        return self.batches_done % len(self)

    def epoch_order(self, epoch):
        """The order, an index array (N,), in which ``epoch`` visits the examples."""
        if not self.shuffle:
            return np.arange(self.num_examples)
        return np.random.default_rng([self.seed, epoch]).permutation(self.num_examples)

    def __iter__(self):
        epoch, position = self.epoch, self.position
        order = self.epoch_order(epoch)
        for batch in range(position, len(self)):
            idx = order[batch * self.batch_size:(batch + 1) * self.batch_size]
            # Counted before the yield: while the caller holds this batch, the state
            # already says it was handed out, so a checkpoint taken then resumes after it.
            self.batches_done += 1
            yield Tensor(self.x[idx]), Tensor(self.y[idx])

    def state_dict(self):
        """What a checkpoint needs to resume: the counter, and the settings to check."""
        return {"batches_done": self.batches_done, "num_examples": self.num_examples,
                "batch_size": self.batch_size, "shuffle": self.shuffle, "seed": self.seed,
                "drop_last": self.drop_last}

    def load_state_dict(self, state):
        """Resume from ``state_dict()``; the settings must match, or the batches would differ."""
        for key, value in self.state_dict().items():
            if key != "batches_done" and state[key] != value:
                # The usual way here: `mnist_optimizers --resume` with other flags than the
                # run that wrote the checkpoint.
                raise ValueError(f"cannot resume from the checkpoint (e.g. mnist_optimizers --resume, "
                                 f"checkpoint_<optimizer>.npz): the saved iterator has "
                                 f"{key}={state[key]!r}, this one has {key}={value!r}; use the same "
                                 f"--seed and batch size as the run that saved it, or delete the checkpoint")
        done = state["batches_done"]
        if not isinstance(done, numbers.Integral) or done < 0:
            raise ValueError(f"batches_done must be a non-negative integer, got {done!r}")
        self.batches_done = int(done)


def sample_minibatch(input_data, target_data, num_points=100, rng=None):
    """A random minibatch, the course's ``sample_minibatch``: ``num_points`` distinct examples,
    all equally likely.

    input_data: (N, ...), target_data: (N, ...)  ->  Tensors (num_points, ...), (num_points, ...)
    ``rng`` is a ``numpy.random.Generator``, e.g. ``np.random.default_rng(0)``; pass the
    same one to every call so each call draws a new batch. Without it, the batch comes from
    the generator ``tinygrad_opt.manual_seed`` seeds, as the course's version draws from
    NumPy's global one. The course draws with replacement (``np.random.choice(N, num_points)``),
    so an example may appear twice in its batch; here it cannot.
    """
    idx = _draw(input_data, target_data, num_points, "num_points", rng)
    return Tensor(_array(input_data)[idx]), Tensor(_array(target_data)[idx])


def subset(images, labels, n=500, seed=0):
    """A fixed random subset of ``n`` examples, the same for the same ``seed``.

    The course trains its first models on 500 random MNIST training examples.
    The course draws them with ``np.random.choice(60000, 500)``, which may pick an
    example twice; here they are drawn without replacement, so all n are distinct.
    Returns the same kind (arrays or Tensors) as ``images`` and ``labels``.
    """
    idx = _draw(images, labels, n, "n", np.random.default_rng(seed))
    return _index(images, idx), _index(labels, idx)


def _draw(x, y, count, name, rng):
    """``count`` distinct indices into the pair ``x, y``, drawn from ``rng`` (default: the seeded host one)."""
    num_examples = _check_pair(x, y)
    _check_count(count, name, at_most=num_examples)
    if rng is None:
        rng = backend.host_rng()
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator (np.random.default_rng(seed)), "
                        f"got {type(rng).__name__}")
    return rng.choice(num_examples, size=int(count), replace=False)


def _array(x):
    """The backend array behind a Tensor; an array as it is."""
    return x.array if isinstance(x, Tensor) else x


def _index(x, idx):
    return Tensor(x.array[idx]) if isinstance(x, Tensor) else x[idx]


def _check_pair(x, y):
    if len(x) != len(y):
        raise ValueError(f"x and y must hold the same number of examples, got {len(x)} and {len(y)}")
    if len(x) == 0:
        raise ValueError("x and y are empty")
    return len(x)


def _check_count(value, name, at_most=None):
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if at_most is not None and value > at_most:
        raise ValueError(f"{name}={value} is more than the {at_most} examples there are "
                         f"(drawn without replacement)")
