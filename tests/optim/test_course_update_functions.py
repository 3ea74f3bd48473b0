"""The course's functional updates: zero_grad, gradient_update, momentum_update, rmsprop_update
(the tutorial's solutions, see tinygrad_opt/optim/functional.py), on each backend."""
import numpy as np
import pytest

from tinygrad_opt import Tensor, backend
from tinygrad_opt.optim.functional import gradient_update, momentum_update, rmsprop_update, zero_grad

W0, B0 = np.array([[1.0, -2.0], [0.5, 3.0]]), np.array([0.1, -0.2])
X = np.array([[1.0, 2.0], [-1.0, 0.5], [0.3, -0.7]])


def _setup():
    w, b = Tensor(W0.copy(), requires_grad=True), Tensor(B0.copy(), requires_grad=True)
    loss = ((Tensor(X) @ w + b) ** 2).sum()
    # dloss/dw = X^T 2r, dloss/db = sum_rows 2r, with r = X w + b
    r = X @ W0 + B0
    return (w, b), loss, (X.T @ (2 * r), (2 * r).sum(axis=0))


def test_zero_grad_then_backward_does_not_accumulate(device_backend):
    (w, b), loss, (gw, gb) = _setup()
    w.grad = Tensor(backend.backend_of(w.array).from_host(np.full((2, 2), 100.0)))
    gradient_update(loss, [w, b], lr=0.0)           # zero_grad inside: the stale 100s are gone
    np.testing.assert_allclose(w.grad.numpy(), gw)
    zero_grad([w, b])
    np.testing.assert_array_equal(w.grad.numpy(), np.zeros((2, 2)))


def test_gradient_update(device_backend):
    (w, b), loss, (gw, gb) = _setup()
    data = w.array
    gradient_update(loss, [w, b], lr=0.1)
    np.testing.assert_array_equal(backend.to_numpy(data), w.numpy())     # the same memory, updated in place
    np.testing.assert_allclose(w.numpy(), W0 - 0.1 * gw, rtol=1e-14)
    np.testing.assert_allclose(b.numpy(), B0 - 0.1 * gb, rtol=1e-14)


@pytest.mark.parametrize("as_tensors", [True, False])
def test_momentum_update_is_the_course_solution(device_backend, as_tensors):
    (w, b), loss, (gw, gb) = _setup()
    v0 = [np.full((2, 2), 0.5), np.array([-1.0, 1.0])]
    vel = [Tensor(v.copy()) if as_tensors else backend.current().from_host(v.copy()) for v in v0]
    momentum_update(loss, [w, b], vel, lr=0.1, beta=0.9)
    # the course: vel = -lr * grad + beta * vel; par += vel
    for v, start, g, p0, p in zip(vel, v0, (gw, gb), (W0, B0), (w, b), strict=True):
        new_v = -0.1 * g + 0.9 * start
        np.testing.assert_allclose(backend.to_numpy(v.array if as_tensors else v), new_v, rtol=1e-14)
        np.testing.assert_allclose(p.numpy(), p0 + new_v, rtol=1e-14)


def test_rmsprop_update_is_the_course_solution(device_backend):
    (w, b), loss, (gw, gb) = _setup()
    sq = [Tensor(np.full((2, 2), 1e-2)), Tensor(np.full(2, 1e-2))]
    rmsprop_update(loss, [w, b], sq, lr=0.01, alpha=0.8, epsilon=1e-8)
    # the course: gsq = alpha * gsq + (1 - alpha) * grad**2; par -= lr * grad / (epsilon + gsq)**0.5
    for s, g, p0, p in zip(sq, (gw, gb), (W0, B0), (w, b), strict=True):
        new_s = 0.8 * 1e-2 + 0.2 * g ** 2
        np.testing.assert_allclose(s.numpy(), new_s, rtol=1e-14)
        np.testing.assert_allclose(p.numpy(), p0 - 0.01 * g / np.sqrt(1e-8 + new_s), rtol=1e-14)


def test_buffer_mismatch_errors():
    (w, b), loss, _ = _setup()
    with pytest.raises(ValueError, match="momentum_update: got 1 buffers for 2 parameters"):
        momentum_update(loss, [w, b], [np.zeros((2, 2))])
    with pytest.raises(ValueError, match=r"rmsprop_update: buffer 1 has shape \(3,\), parameter 1 has shape \(2,\)"):
        rmsprop_update(loss, [w, b], [np.zeros((2, 2)), np.zeros(3)])
