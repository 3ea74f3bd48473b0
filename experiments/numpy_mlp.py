"""The assignment's MLP written by hand in NumPy, with no autodiff: the speed limit.

784-100-10 ReLU network, log-softmax + NLL loss, batch B, float32. Every gradient is
written out by hand and every update is done in place, so this is about as fast as a
NumPy framework can hope to be. ``experiments.benchmark`` times tinygrad_opt against it.

Shapes: x: (B, 784), W1: (100, 784), b1: (100,), W2: (10, 100), b2: (10,).

    h = relu(x W1^T + b1)                 z = h W2^T + b2
    p = softmax(z)                        loss = -(1/B) sum_b log p[b, y_b]
    dz = (p - onehot(y)) / B              dW2 = dz^T h,  db2 = sum_b dz
    dh = (dz W2) * [h > 0]                dW1 = dh^T x,  db1 = sum_b dh
"""
import numpy as np


class NumpyMLP:
    """Parameters as a list [W1, b1, W2, b2] (copied from the arrays given)."""

    def __init__(self, params):
        self.params = [np.array(p, copy=True) for p in params]

    def loss_and_grads(self, x, y):
        W1, b1, W2, b2 = self.params
        B = x.shape[0]
        h = x @ W1.T
        h += b1
        np.maximum(h, 0, out=h)
        z = h @ W2.T
        z += b2
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        rows = np.arange(B)
        loss = -np.log(p[rows, y]).mean()
        dz = p
        dz[rows, y] -= 1
        dz /= B
        dh = dz @ W2
        dh *= h > 0
        return loss, [dh.T @ x, dh.sum(axis=0), dz.T @ h, dz.sum(axis=0)]


class SGD:
    """p <- p - lr g"""

    def __init__(self, params, lr):
        self.params, self.lr = params, lr

    def step(self, grads):
        for p, g in zip(self.params, grads, strict=True):
            p -= self.lr * g


class Momentum:
    """v <- mu v + g;  p <- p - lr v   (PyTorch's form)."""

    def __init__(self, params, lr, momentum):
        self.params, self.lr, self.mu = params, lr, momentum
        self.v = None

    def step(self, grads):
        if self.v is None:
            self.v = [g.copy() for g in grads]
        else:
            for v, g in zip(self.v, grads, strict=True):
                v *= self.mu
                v += g
        for p, v in zip(self.params, self.v, strict=True):
            p -= self.lr * v


class Adam:
    """m <- b1 m + (1-b1) g;  v <- b2 v + (1-b2) g^2;
    p <- p - lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps)."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        self.params, self.lr, (self.b1, self.b2), self.eps = params, lr, betas, eps
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.t = 0

    def step(self, grads):
        self.t += 1
        bc1, bc2 = 1 - self.b1 ** self.t, 1 - self.b2 ** self.t
        for p, g, m, v in zip(self.params, grads, self.m, self.v, strict=True):
            m *= self.b1
            m += (1 - self.b1) * g
            v *= self.b2
            v += (1 - self.b2) * g * g
            denom = np.sqrt(v)
            denom *= 1 / np.sqrt(bc2)
            denom += self.eps
            p -= (self.lr / bc1) * m / denom


def make_optimizer(name, params):
    """The assignment's three settings: sgd (lr 0.1), momentum (lr 0.1, 0.9), adam (lr 1e-3)."""
    if name == "sgd":
        return SGD(params, 0.1)
    if name == "momentum":
        return Momentum(params, 0.1, 0.9)
    if name == "adam":
        return Adam(params, 1e-3)
    raise ValueError(f"make_optimizer: unknown optimizer {name!r} (sgd, momentum, adam)")
