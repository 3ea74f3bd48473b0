"""The course workload in the frameworks a learner would pick instead, timed side by side.

``python -m experiments.benchmark --only frameworks`` (part of the benchmark). One training
step of the assignment's MLP (784-100-10 ReLU, log-softmax + NLL, batch 100, float32, SGD
lr 0.1), the same data and the same initial weights in every framework, written the way that
framework's own tutorials write it:

=================  ===========================================================================
numpy              the hand-written NumPy loop (``experiments/numpy_mlp.py``): the yardstick
tinygrad_opt       zero_grad, ``cross_entropy(model.logits(x), y)``, backward, ``optim.SGD``
pytorch            the same in ``torch`` (CPU): ``cross_entropy(net(x), y)``
jax (jit)          ``jax.value_and_grad`` of the loss and the update, in one ``jax.jit``
dezero             ``dezero.models.MLP``, ``softmax_cross_entropy``, ``optimizers.SGD``
mygrad             mygrad Tensors, ``softmax_crossentropy``, the update on ``.data``
autograd (HIPS)    ``autograd.grad`` of a NumPy loss, the update on the arrays
tinygrad           ``tinygrad.Tensor``, ``sparse_categorical_crossentropy``, ``nn.optim.SGD``
=================  ===========================================================================

Every contender computes on the experiments' one thread (``--threads``, ``common.THREADS``):
the BLAS library behind NumPy (and so DeZero, mygrad and HIPS autograd) is limited by the
benchmark's setup; PyTorch and JAX keep thread pools of their own, which ``limit_threads``
sets to the same count before they start (``--threads 0`` leaves every library its default).

None of these is a dependency: a framework that is not installed is left out, one that fails
to set up is reported with its error. Install them to compare, e.g. in a separate virtual
environment: ``pip install torch jax dezero mygrad autograd tinygrad`` (tinygrad's CPU device
also needs the ``clang`` compiler).
"""
import importlib.util
import os

import numpy as np

import tinygrad_opt
import tinygrad_opt.nn.functional as F
from tinygrad_opt import Tensor, nn, optim

from . import numpy_mlp

LR = 0.1
FRAMEWORKS = ("numpy", "tinygrad_opt", "pytorch", "jax", "dezero", "mygrad", "autograd", "tinygrad")
_MODULES = {"pytorch": "torch", "jax": "jax", "dezero": "dezero", "mygrad": "mygrad", "autograd": "autograd",
            "tinygrad": "tinygrad"}


def available():
    """The frameworks importable here, in table order."""
    return [f for f in FRAMEWORKS if f not in _MODULES or importlib.util.find_spec(_MODULES[f]) is not None]


def limit_threads(n):
    """Give PyTorch and JAX (XLA) ``n`` threads, as the NumPy loop has (``n = 0``: their defaults).
    Call it before JAX computes anything: XLA reads its flags once."""
    if n <= 0:
        return
    if importlib.util.find_spec("torch") is not None:
        import torch
        torch.set_num_threads(n)
    if n == 1 and importlib.util.find_spec("jax") is not None:     # XLA has a switch for one thread, no count
        flags = os.environ.get("XLA_FLAGS", "")
        if "xla_cpu_multi_thread_eigen" not in flags:
            os.environ["XLA_FLAGS"] = (flags + " --xla_cpu_multi_thread_eigen=false").strip()


def contenders(x_all, y_all, batch=100, hidden=100, only=None):
    """({name: one training step}, {name: why it could not be set up}) on shared data and weights.

    Every step takes the next of 64 fixed minibatches (sampled with replacement, seed 0), so
    each framework does the same arithmetic on the same numbers.
    """
    rng = np.random.default_rng(0)
    order = [rng.integers(0, len(x_all), batch) for _ in range(64)]
    tinygrad_opt.manual_seed(0)
    n_in, n_out = x_all.shape[1], int(y_all.max()) + 1
    model = nn.MLP(n_in, n_out, [hidden])
    host = [p.numpy().copy() for p in model.parameters()]          # W1 (h, in), b1, W2 (out, h), b2
    steps, failed = {}, {}
    for name in (only or available()):
        try:
            step = _SETUP[name](model, host, x_all, y_all, order)
            for _ in range(2):            # two steps here, so that a framework's failure is reported here:
                step()                    # a lazy one (tinygrad) compiles some kernels only at the second
            steps[name] = step
        except Exception as e:          # a third-party framework's own problem: reported, not fatal
            failed[name] = f"{type(e).__name__}: {e}"[:200]
    return steps, failed


def _cycle(order):
    """A function returning the next minibatch's indices, round and round."""
    state = {"i": 0}

    def nxt():
        state["i"] += 1
        return order[state["i"] % len(order)]
    return nxt


def _numpy(model, host, x_all, y_all, order):
    ref = numpy_mlp.NumpyMLP(host)
    ref_opt = numpy_mlp.make_optimizer("sgd", ref.params)
    nxt = _cycle(order)

    def step():
        idx = nxt()
        _, grads = ref.loss_and_grads(x_all[idx], y_all[idx])
        ref_opt.step(grads)
    return step


def _tinygrad_opt(model, host, x_all, y_all, order):
    opt = optim.SGD(model.parameters(), lr=LR)
    nxt = _cycle(order)

    def step():
        idx = nxt()
        opt.zero_grad()
        loss = F.cross_entropy(model.logits(Tensor(x_all[idx])), Tensor(y_all[idx]))
        loss.backward()
        opt.step()
    return step


def _pytorch(model, host, x_all, y_all, order):
    import torch
    net = torch.nn.Sequential(torch.nn.Linear(host[0].shape[1], host[0].shape[0]), torch.nn.ReLU(),
                              torch.nn.Linear(host[2].shape[1], host[2].shape[0]))
    with torch.no_grad():
        for p, h in zip(net.parameters(), host, strict=True):
            p.copy_(torch.from_numpy(h))
    opt = torch.optim.SGD(net.parameters(), lr=LR)
    xt, yt = torch.from_numpy(x_all), torch.from_numpy(y_all)
    nxt = _cycle(order)

    def step():
        idx = torch.from_numpy(nxt())
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(net(xt[idx]), yt[idx])
        loss.backward()
        opt.step()
    return step


def _jax(model, host, x_all, y_all, order):
    import jax
    import jax.numpy as jnp
    jax.config.update("jax_platforms", "cpu")

    def loss_fn(params, x, y):
        W1, b1, W2, b2 = params
        z = jnp.maximum(x @ W1.T + b1, 0) @ W2.T + b2
        logp = jax.nn.log_softmax(z, axis=1)
        return -jnp.take_along_axis(logp, y[:, None], axis=1).mean()

    @jax.jit
    def update(params, x, y):
        loss, grads = jax.value_and_grad(loss_fn)(params, x, y)
        return [p - LR * g for p, g in zip(params, grads, strict=True)], loss

    state = {"params": [jnp.asarray(h) for h in host]}
    nxt = _cycle(order)

    def step():
        idx = nxt()
        state["params"], loss = update(state["params"], x_all[idx], y_all[idx])
        loss.block_until_ready()     # JAX runs asynchronously: wait, as every other contender does
    step()                           # compile once, outside the timing
    return step


def _dezero(model, host, x_all, y_all, order):
    if "int" not in np.__dict__:
        np.int = int      # DeZero 0.0.13 (2020) still names np.int, gone since NumPy 1.24: this process only
    import dezero
    import dezero.functions as DF
    from dezero import optimizers
    net = dezero.models.MLP((host[0].shape[0], host[2].shape[0]))
    net(np.zeros((1, host[0].shape[1]), dtype=np.float32))           # DeZero makes its weights lazily
    for layer, (W, b) in zip(net.layers, [(host[0], host[1]), (host[2], host[3])], strict=True):
        layer.W.data, layer.b.data = W.T.copy(), b.copy()              # DeZero's W is (in, out)
    opt = optimizers.SGD(LR).setup(net)
    nxt = _cycle(order)

    def step():
        idx = nxt()
        loss = DF.softmax_cross_entropy(net(x_all[idx]), y_all[idx])
        net.cleargrads()
        loss.backward()
        opt.update()
    return step


def _mygrad(model, host, x_all, y_all, order):
    import mygrad as mg
    from mygrad.nnet.activations import relu
    from mygrad.nnet.losses import softmax_crossentropy
    params = [mg.tensor(h.copy()) for h in host]
    nxt = _cycle(order)

    def step():
        idx = nxt()
        W1, b1, W2, b2 = params
        z = relu(x_all[idx] @ W1.T + b1) @ W2.T + b2
        loss = softmax_crossentropy(z, y_all[idx])
        loss.backward()
        for p in params:
            p.data -= LR * p.grad
    return step


def _autograd(model, host, x_all, y_all, order):
    import autograd.numpy as anp
    from autograd import grad

    def loss_fn(params, x, y):
        W1, b1, W2, b2 = params
        z = anp.maximum(anp.dot(x, W1.T) + b1, 0)
        z = anp.dot(z, W2.T) + b2
        z = z - anp.max(z, axis=1, keepdims=True)
        logp = z - anp.log(anp.sum(anp.exp(z), axis=1, keepdims=True))
        return -anp.mean(logp[anp.arange(len(y)), y])

    gradient = grad(loss_fn)
    params = [h.copy() for h in host]
    nxt = _cycle(order)

    def step():
        idx = nxt()
        for p, g in zip(params, gradient(params, x_all[idx], y_all[idx]), strict=True):
            p -= LR * g
    return step


def _tinygrad(model, host, x_all, y_all, order):
    os.environ.setdefault("DEV", "CPU")      # tinygrad's compiled CPU device (it needs clang)
    from tinygrad import Tensor as TT, nn as tnn

    def training():
        """tinygrad's training mode: ``Tensor.train()`` in older releases, ``Context(TRAINING=1)`` now."""
        if hasattr(TT, "train"):
            return TT.train()
        from tinygrad.helpers import Context
        return Context(TRAINING=1)

    layers = [tnn.Linear(host[0].shape[1], host[0].shape[0]), tnn.Linear(host[2].shape[1], host[2].shape[0])]
    for layer, (W, b) in zip(layers, [(host[0], host[1]), (host[2], host[3])], strict=True):
        layer.weight, layer.bias = TT(W.copy()), TT(b.copy())
    params = [t for layer in layers for t in (layer.weight, layer.bias)]
    opt = tnn.optim.SGD(params, lr=LR)
    nxt = _cycle(order)

    def step():
        idx = nxt()
        with training():
            opt.zero_grad()
            z = layers[1](layers[0](TT(x_all[idx])).relu())
            loss = z.sparse_categorical_crossentropy(TT(y_all[idx]))
            loss.backward()
            opt.step()
        loss.realize()
    return step


_SETUP = {"numpy": _numpy, "tinygrad_opt": _tinygrad_opt, "pytorch": _pytorch, "jax": _jax, "dezero": _dezero,
          "mygrad": _mygrad, "autograd": _autograd, "tinygrad": _tinygrad}
