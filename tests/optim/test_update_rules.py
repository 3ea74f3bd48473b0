"""Optimizers against NumPy loops written from the published (PyTorch-documented) equations,
100 steps, every branch, on each backend; properties; in-place and state rules."""
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from hypothesis.extra.numpy import arrays

from tinygrad_opt import Tensor, backend, optim

# -- NumPy references: one function per algorithm, straight from the equations ------------------
# Each takes the parameter x, its gradient g, a dict s of running quantities, the step t >= 1,
# and returns the new x. Written independently of tinygrad_opt/optim.


def ref_sgd(x, g, s, t, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, maximize=False):
    g = -g if maximize else g
    g = g + weight_decay * x
    if momentum:      # b_1 = g on the first step with momentum (t = 1 unless switched on later)
        s["b"] = g if "b" not in s else momentum * s["b"] + (1 - dampening) * g
        g = g + momentum * s["b"] if nesterov else s["b"]
    return x - lr * g


def ref_rmsprop(x, g, s, t, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False,
                maximize=False):
    g = (-g if maximize else g) + weight_decay * x
    s["v"] = alpha * s.get("v", 0.0) + (1 - alpha) * g ** 2
    v = s["v"]
    if centered:
        s["a"] = alpha * s.get("a", 0.0) + (1 - alpha) * g
        v = v - s["a"] ** 2
    if momentum > 0:
        s["b"] = momentum * s.get("b", 0.0) + g / (np.sqrt(v) + eps)
        return x - lr * s["b"]
    return x - lr * g / (np.sqrt(v) + eps)


def ref_adagrad(x, g, s, t, lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10,
                maximize=False):
    g = (-g if maximize else g) + weight_decay * x
    clr = lr / (1 + (t - 1) * lr_decay)
    s["sum"] = s.get("sum", initial_accumulator_value) + g ** 2
    return x - clr * g / (np.sqrt(s["sum"]) + eps)


def ref_adadelta(x, g, s, t, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0, maximize=False):
    g = (-g if maximize else g) + weight_decay * x
    s["v"] = rho * s.get("v", 0.0) + (1 - rho) * g ** 2
    dx = np.sqrt(s.get("u", 0.0) + eps) / np.sqrt(s["v"] + eps) * g
    s["u"] = rho * s.get("u", 0.0) + (1 - rho) * dx ** 2
    return x - lr * dx


def ref_adam(x, g, s, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False,
             maximize=False, decoupled=False):
    b1, b2 = betas
    g = -g if maximize else g
    if decoupled:
        x = x * (1 - lr * weight_decay)
    else:
        g = g + weight_decay * x
    s["m"] = b1 * s.get("m", 0.0) + (1 - b1) * g
    s["v"] = b2 * s.get("v", 0.0) + (1 - b2) * g ** 2
    m_hat = s["m"] / (1 - b1 ** t)
    if amsgrad:       # PyTorch: the maximum of the raw v_t, then bias-corrected
        s["vmax"] = np.maximum(s.get("vmax", 0.0), s["v"])
        v_hat = s["vmax"] / (1 - b2 ** t)
    else:
        v_hat = s["v"] / (1 - b2 ** t)
    return x - lr * m_hat / (np.sqrt(v_hat) + eps)


def ref_adamw(x, g, s, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, maximize=False):
    return ref_adam(x, g, s, t, lr, betas, eps, weight_decay, amsgrad, maximize, decoupled=True)


def ref_adamax(x, g, s, t, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, maximize=False):
    b1, b2 = betas
    g = (-g if maximize else g) + weight_decay * x
    s["m"] = b1 * s.get("m", 0.0) + (1 - b1) * g
    s["u"] = np.maximum(b2 * s.get("u", 0.0), np.abs(g) + eps)
    return x - lr / (1 - b1 ** t) * s["m"] / s["u"]


def ref_nadam(x, g, s, t, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, momentum_decay=4e-3,
              maximize=False):
    b1, b2 = betas
    g = (-g if maximize else g) + weight_decay * x
    mu_t = b1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))
    mu_next = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))
    s["prod"] = s.get("prod", 1.0) * mu_t
    s["m"] = b1 * s.get("m", 0.0) + (1 - b1) * g
    s["v"] = b2 * s.get("v", 0.0) + (1 - b2) * g ** 2
    m_hat = mu_next * s["m"] / (1 - s["prod"] * mu_next) + (1 - mu_t) * g / (1 - s["prod"])
    v_hat = s["v"] / (1 - b2 ** t)
    return x - lr * m_hat / (np.sqrt(v_hat) + eps)


CASES = [
    (optim.SGD, ref_sgd, dict(lr=0.05)),
    (optim.SGD, ref_sgd, dict(lr=0.05, momentum=0.9)),
    (optim.SGD, ref_sgd, dict(lr=0.05, momentum=0.9, dampening=0.3)),
    (optim.SGD, ref_sgd, dict(lr=0.05, momentum=0.9, nesterov=True)),
    (optim.SGD, ref_sgd, dict(lr=0.05, weight_decay=0.1)),
    (optim.SGD, ref_sgd, dict(lr=0.01, momentum=0.8, weight_decay=0.1, maximize=True)),
    (optim.RMSprop, ref_rmsprop, dict(lr=0.01)),
    (optim.RMSprop, ref_rmsprop, dict(lr=0.01, centered=True)),
    (optim.RMSprop, ref_rmsprop, dict(lr=0.01, momentum=0.5)),
    (optim.RMSprop, ref_rmsprop, dict(lr=0.01, alpha=0.9, centered=True, momentum=0.5, weight_decay=0.1)),
    (optim.RMSprop, ref_rmsprop, dict(lr=0.01, maximize=True)),
    (optim.Adagrad, ref_adagrad, dict(lr=0.1)),
    (optim.Adagrad, ref_adagrad, dict(lr=0.1, lr_decay=0.01)),
    (optim.Adagrad, ref_adagrad, dict(lr=0.1, weight_decay=0.1, initial_accumulator_value=0.1, maximize=True)),
    (optim.Adadelta, ref_adadelta, dict()),
    (optim.Adadelta, ref_adadelta, dict(lr=0.5, rho=0.5, weight_decay=0.1, maximize=True)),
    (optim.Adam, ref_adam, dict(lr=0.01)),
    (optim.Adam, ref_adam, dict(lr=0.01, amsgrad=True)),
    (optim.Adam, ref_adam, dict(lr=0.01, betas=(0.8, 0.9), weight_decay=0.1)),
    (optim.Adam, ref_adam, dict(lr=0.01, amsgrad=True, weight_decay=0.1, maximize=True)),
    (optim.AdamW, ref_adamw, dict(lr=0.01)),
    (optim.AdamW, ref_adamw, dict(lr=0.01, weight_decay=0.1, amsgrad=True, maximize=True)),
    (optim.Adamax, ref_adamax, dict()),
    (optim.Adamax, ref_adamax, dict(lr=0.01, weight_decay=0.1, maximize=True)),
    (optim.NAdam, ref_nadam, dict()),
    (optim.NAdam, ref_nadam, dict(lr=0.01, weight_decay=0.1, momentum_decay=0.01, maximize=True)),
]


def _problem(seed=0, steps=100):
    """Two parameters (a matrix and a vector) on elementwise quadratics, plus fixed per-step
    noise (a stochastic gradient that never vanishes): g_t(x) = a (x - c) + noise_t."""
    rng = np.random.default_rng(seed)
    shapes = [(3, 4), (5,)]
    x0 = [rng.standard_normal(s) for s in shapes]
    a = [rng.uniform(0.5, 3.0, s) for s in shapes]
    c = [rng.standard_normal(s) for s in shapes]
    noise = [0.3 * rng.standard_normal((steps,) + s) for s in shapes]
    return x0, (lambda i, x, t: a[i] * (x - c[i]) + noise[i][t - 1])


def _run(cls, ref_rule, hp, steps=100):
    """The optimizer on the default backend and the reference on the host, ``steps`` steps."""
    x0, grad = _problem(steps=steps)
    params = [Tensor(x.copy(), requires_grad=True) for x in x0]
    opt = cls(params, **hp)
    ref = [x.copy() for x in x0]
    ref_state = [{} for _ in x0]
    for t in range(1, steps + 1):
        for i, p in enumerate(params):
            p.grad = Tensor(backend.backend_of(p.array).from_host(grad(i, p.numpy(), t)))
        opt.step()
        for i in range(len(ref)):
            ref[i] = ref_rule(ref[i], grad(i, ref[i], t), ref_state[i], t, **hp)
    return [p.numpy() for p in params], ref


@pytest.mark.parametrize("cls, ref_rule, hp", CASES, ids=[f"{c.__name__}-{'-'.join(h) or 'defaults'}"
                                                          for c, _, h in CASES])
def test_matches_published_algorithm_for_100_steps(cls, ref_rule, hp, device_backend):
    got, want = _run(cls, ref_rule, hp)
    for g, w in zip(got, want, strict=True):
        assert np.isfinite(w).all()
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=0)       # measured: <= 3e-15 relative


# Options switched on mid-run (PyTorch allows editing param_groups): the buffer the option needs
# is created on first use. The references start it the same way: zeros (s.get(..., 0.0)), SGD's b = g.
SWITCHED_ON = [
    (optim.SGD, ref_sgd, dict(lr=0.05), dict(momentum=0.9)),
    (optim.SGD, ref_sgd, dict(lr=0.05), dict(momentum=0.9, dampening=0.3)),
    (optim.RMSprop, ref_rmsprop, dict(lr=0.01), dict(centered=True)),
    (optim.RMSprop, ref_rmsprop, dict(lr=0.01), dict(momentum=0.5)),
    (optim.Adam, ref_adam, dict(lr=0.01), dict(amsgrad=True)),
    (optim.AdamW, ref_adamw, dict(lr=0.01), dict(amsgrad=True)),
]


@pytest.mark.parametrize("cls, ref_rule, before, after", SWITCHED_ON,
                         ids=[f"{c.__name__}-{'-'.join(a)}" for c, _, _, a in SWITCHED_ON])
def test_option_switched_on_mid_run_creates_its_buffer(cls, ref_rule, before, after, device_backend):
    x0, grad = _problem(steps=10)
    params = [Tensor(x.copy(), requires_grad=True) for x in x0]
    opt = cls(params, **before)
    ref, ref_state = [x.copy() for x in x0], [{} for _ in x0]
    for t in range(1, 11):
        hp = before if t <= 5 else {**before, **after}
        opt.param_groups[0].update(hp)
        for i, p in enumerate(params):
            p.grad = Tensor(backend.backend_of(p.array).from_host(grad(i, p.numpy(), t)))
        opt.step()
        for i in range(len(ref)):
            ref[i] = ref_rule(ref[i], grad(i, ref[i], t), ref_state[i], t, **hp)
    for p, w in zip(params, ref, strict=True):
        np.testing.assert_allclose(p.numpy(), w, rtol=1e-12, atol=0)


@pytest.mark.parametrize("cls", [optim.SGD, optim.Adam])
def test_float32_parameters_stay_float32(cls):
    p = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    opt = cls([p], lr=0.1)
    p.grad = Tensor(_device(np.full(3, 0.5, dtype=np.float32), p))
    opt.step()
    assert p.dtype == np.float32 and all(a.dtype == np.float32 for a in opt.state[p].values() if hasattr(a, "dtype"))


# -- in place, gradients untouched, skipped parameters, per-parameter step counts -------------------
ALL = [optim.SGD, optim.RMSprop, optim.Adagrad, optim.Adadelta, optim.Adam, optim.AdamW, optim.Adamax, optim.NAdam]


# every branch that could write into the gradient: negation, weight decay, b_1 = g, amsgrad, centered
GRAD_CASES = ([(cls, {}) for cls in ALL] + [(cls, dict(maximize=True, weight_decay=0.1)) for cls in ALL] + [
    (optim.SGD, dict(momentum=0.9)), (optim.SGD, dict(momentum=0.9, nesterov=True, weight_decay=0.1)),
    (optim.SGD, dict(momentum=0.9, dampening=0.5, maximize=True)),
    (optim.Adam, dict(amsgrad=True)), (optim.AdamW, dict(amsgrad=True, maximize=True)),
    (optim.RMSprop, dict(centered=True, momentum=0.5)),
    (optim.RMSprop, dict(centered=True, momentum=0.5, maximize=True, weight_decay=0.1)),
])


@pytest.mark.parametrize("cls, hp", GRAD_CASES,
                         ids=[f"{c.__name__}-{'-'.join(h) or 'defaults'}" for c, h in GRAD_CASES])
def test_update_in_place_grad_untouched_none_skipped(cls, hp, device_backend):
    a = Tensor(np.array([1.0, -2.0, 3.0]), requires_grad=True)
    b = Tensor(np.array([0.5, 0.5]), requires_grad=True)
    opt = cls([a, b], lr=0.1, **hp)
    data_a, data_b = a.array, b.array
    b_before = b.numpy().copy()
    loss = (a * a).sum()
    loss.backward()
    grad_before = a.grad.array.copy()
    opt.step()
    assert a.array is data_a and b.array is data_b                      # same arrays, changed in place
    assert backend.backend_of(a.array).name == device_backend
    np.testing.assert_array_equal(a.grad.numpy(), backend.to_numpy(grad_before))
    assert not np.array_equal(a.numpy(), [1.0, -2.0, 3.0])
    np.testing.assert_array_equal(b.numpy(), b_before)                 # grad None: skipped
    assert opt.state[a]["step"] == 1 and b not in opt.state
    b.grad = Tensor(backend.backend_of(b.array).from_host(np.ones(2)))
    opt.step()                                                         # step 2: the carried buffers
    assert opt.state[a]["step"] == 2 and opt.state[b]["step"] == 1      # counts are per parameter
    np.testing.assert_array_equal(a.grad.numpy(), backend.to_numpy(grad_before))
    np.testing.assert_array_equal(b.grad.numpy(), np.ones(2))


def test_zero_grad_and_closure():
    p = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    opt = optim.SGD([p], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert loss.item() == 5.0
    np.testing.assert_allclose(p.numpy(), [0.8, 1.6])
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(p.grad.numpy(), [0.0, 0.0])
    opt.zero_grad()
    assert p.grad is None


# -- properties ---------------------------------------------------------------------------------
# On each backend (the device_backend fixture): it only switches the default backend, so sharing
# it between Hypothesis examples is fine -- hence the suppressed function_scoped_fixture check.
# Hypothesis 6.96 (the floor, .ci/floors) at random reports data_too_large for draws as small as
# three numbers (a class and two bounded floats; seen in .ci/floors on 2026-12-03): suppressed too,
# since every draw here is bounded (vectors of at most 6 elements).
finite = st.floats(-10, 10, allow_nan=False)
vectors = arrays(np.float64, st.integers(1, 6), elements=finite)
on_each_backend = settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.data_too_large])


def _device(host, like):
    """``host`` (a NumPy array) on the backend of the tensor ``like``, as a gradient must be."""
    return backend.backend_of(like.array).from_host(host)


@settings(on_each_backend, max_examples=25)
@given(st.sampled_from(ALL), vectors, st.data())
def test_lr_zero_leaves_parameters_unchanged(device_backend, cls, x, data):
    g = data.draw(arrays(np.float64, x.shape, elements=finite))
    p = Tensor(x.copy(), requires_grad=True)
    opt = cls([p], lr=0.0, weight_decay=0.0)
    for _ in range(3):
        p.grad = Tensor(_device(g, p))
        opt.step()
    np.testing.assert_array_equal(p.numpy(), x)


@settings(on_each_backend, max_examples=25)
@given(vectors, st.floats(0, 0.99), st.booleans())
def test_zero_gradient_leaves_sgd_unchanged(device_backend, x, momentum, nesterov):
    p = Tensor(x.copy(), requires_grad=True)
    opt = optim.SGD([p], lr=0.1, momentum=momentum, nesterov=nesterov and momentum > 0)
    for _ in range(3):
        p.grad = Tensor(_device(np.zeros_like(x), p))
        opt.step()
    np.testing.assert_array_equal(p.numpy(), x)


@settings(on_each_backend, max_examples=25)
@given(vectors, st.data(), st.floats(1e-4, 1e-1))
def test_adam_first_step_moves_each_coordinate_by_about_lr(device_backend, x, data, lr):
    magnitudes = data.draw(arrays(np.float64, x.shape, elements=st.floats(1e-3, 1e3)))
    signs = data.draw(arrays(np.float64, x.shape, elements=st.sampled_from([-1.0, 1.0])))
    p = Tensor(x.copy(), requires_grad=True)
    opt = optim.Adam([p], lr=lr)
    p.grad = Tensor(_device(magnitudes * signs, p))
    opt.step()
    # m_hat = g, v_hat = g^2: the step is lr * g / (|g| + eps), lr to within eps / |g| <= 1e-5
    np.testing.assert_allclose(x - p.numpy(), lr * signs, rtol=1e-4)


@settings(on_each_backend, max_examples=15)
@given(st.sampled_from(ALL), st.floats(1e-3, 0.5), st.floats(1e-3, 0.5))
def test_param_groups_with_different_lr_are_separate_optimizers(device_backend, cls, lr1, lr2):
    x0, grad = _problem(steps=5)
    grouped = [Tensor(x.copy(), requires_grad=True) for x in x0]
    alone = [Tensor(x.copy(), requires_grad=True) for x in x0]
    opt = cls([{"params": [grouped[0]]}, {"params": [grouped[1]], "lr": lr2}], lr=lr1)
    separate = [cls([alone[0]], lr=lr1), cls([alone[1]], lr=lr2)]
    for t in range(1, 6):
        for i in range(2):
            grouped[i].grad = Tensor(_device(grad(i, grouped[i].numpy(), t), grouped[i]))
            alone[i].grad = Tensor(_device(grad(i, alone[i].numpy(), t), alone[i]))
        opt.step()
        for o in separate:
            o.step()
    for a, b in zip(grouped, alone, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


# -- every algorithm reaches the minimum of a convex quadratic --------------------------------------
SENSIBLE = [(optim.SGD, dict(lr=0.1)), (optim.SGD, dict(lr=0.05, momentum=0.9, nesterov=True)),
            (optim.RMSprop, dict(lr=0.01)), (optim.Adagrad, dict(lr=0.5)), (optim.Adadelta, dict(lr=1.0)),
            (optim.Adam, dict(lr=0.05)), (optim.AdamW, dict(lr=0.05, weight_decay=0.0)),
            (optim.Adamax, dict(lr=0.05)), (optim.NAdam, dict(lr=0.05))]


@pytest.mark.parametrize("cls, hp", SENSIBLE, ids=[c.__name__ for c, _ in SENSIBLE])
def test_reaches_minimum_of_convex_quadratic(cls, hp, device_backend):
    a, c = np.array([1.0, 2.0, 4.0]), np.array([1.0, -2.0, 0.5])
    x = Tensor(np.zeros(3), requires_grad=True)
    opt = cls([x], **hp)
    first = None
    for _ in range(1000):
        opt.zero_grad()
        loss = 0.5 * (Tensor(a) * (x - Tensor(c)) ** 2).sum()
        first = first if first is not None else loss.item()
        loss.backward()
        opt.step()
    assert np.abs(x.numpy() - c).max() < 0.05, (x.numpy(), c)
    assert loss.item() < 1e-3 * first


# -- state_dict ---------------------------------------------------------------------------------
HP = {optim.SGD: dict(lr=0.05, momentum=0.9), optim.RMSprop: dict(centered=True, momentum=0.5),
      optim.Adam: dict(lr=0.01, amsgrad=True)}


@pytest.mark.parametrize("cls", ALL)
def test_state_dict_mid_run_gives_the_same_continuation(cls, device_backend):
    hp = HP.get(cls, {})
    x0, grad = _problem(steps=20)

    def run(params, opt, steps):
        for t in steps:
            for i, p in enumerate(params):
                p.grad = Tensor(backend.backend_of(p.array).from_host(grad(i, p.numpy(), t)))
            opt.step()

    straight = [Tensor(x.copy(), requires_grad=True) for x in x0]
    run(straight, cls(straight, **hp), range(1, 21))
    first = [Tensor(x.copy(), requires_grad=True) for x in x0]
    opt = cls(first, **hp)
    run(first, opt, range(1, 11))
    saved = opt.state_dict()
    new = [Tensor(p.numpy().copy(), requires_grad=True) for p in first]
    run(first, opt, range(11, 13))          # the saved copy must not follow later steps
    fresh = cls(new, lr=123.0) if cls is optim.SGD else cls(new)
    fresh.load_state_dict(saved)
    assert fresh.param_groups[0]["lr"] == opt.param_groups[0]["lr"]
    run(new, fresh, range(11, 21))
    for a, b in zip(new, straight, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_state_dict_format():
    w, b = Tensor(np.ones((2, 3)), requires_grad=True), Tensor(np.ones(2), requires_grad=True)
    opt = optim.Adam([{"params": [w]}, {"params": [b], "lr": 0.1}], lr=0.01)
    w.grad = Tensor(_device(np.ones((2, 3)), w))
    opt.step()
    sd = opt.state_dict()
    assert [g["params"] for g in sd["param_groups"]] == [[0], [1]]
    assert [g["lr"] for g in sd["param_groups"]] == [0.01, 0.1]
    assert set(sd["state"]) == {0} and sd["state"][0]["step"] == 1
    assert set(sd["state"][0]) == {"step", "exp_avg", "exp_avg_sq"}
    assert sd["state"][0]["exp_avg"] is not opt.state[w]["exp_avg"]


def test_load_state_dict_errors_name_the_problem():
    w, b = Tensor(np.ones((2, 3)), requires_grad=True), Tensor(np.ones(2), requires_grad=True)
    opt = optim.Adam([w, b])
    w.grad, b.grad = Tensor(_device(np.ones((2, 3)), w)), Tensor(_device(np.ones(2), b))
    opt.step()
    sd = opt.state_dict()
    with pytest.raises(ValueError, match=r"param_groups\[0\] has 2 parameters in the state_dict and 1 in this"):
        optim.Adam([w]).load_state_dict(sd)
    other = optim.Adam([Tensor(np.ones((3, 2)), requires_grad=True), Tensor(np.ones(2), requires_grad=True)])
    with pytest.raises(ValueError,
                       match=r"parameter 0: state 'exp_avg' has shape \(2, 3\), the parameter has shape \(3, 2\)"):
        other.load_state_dict(sd)
    broken = {"state": {0: {k: v for k, v in sd["state"][0].items() if k != "exp_avg_sq"}},
              "param_groups": sd["param_groups"]}
    with pytest.raises(ValueError, match="parameter 0: state entries"):
        optim.Adam([w, b]).load_state_dict(broken)
    with pytest.raises(ValueError, match="state for parameter 5"):
        optim.Adam([w, b]).load_state_dict({"state": {5: sd["state"][0]}, "param_groups": sd["param_groups"]})
    with pytest.raises(ValueError, match="options"):
        optim.SGD([w, b], lr=0.1).load_state_dict(sd)
    renamed = {"state": sd["state"], "param_groups": [{**g, "beta": g["betas"]} for g in sd["param_groups"]]}
    with pytest.raises(ValueError, match=r"param_groups\[0\] has options \['amsgrad', 'beta', 'betas'"):
        optim.Adam([w, b]).load_state_dict(renamed)          # an unknown option is still an error


@pytest.mark.parametrize("cls, option", [(optim.SGD, "momentum"), (optim.RMSprop, "centered"),
                                         (optim.RMSprop, "momentum"), (optim.Adam, "amsgrad")])
def test_load_state_dict_with_an_option_switched_on_or_off_mid_run(cls, option):
    """A buffer only an option needs may be missing (switched on, not used yet) or extra (switched off)."""
    on = 0.5 if option == "momentum" else True
    w, v = Tensor(np.ones(3), requires_grad=True), Tensor(np.ones(2), requires_grad=True)
    opt = cls([w, v], lr=0.1)
    w.grad, v.grad = Tensor(_device(np.ones(3), w)), Tensor(_device(np.ones(2), v))
    opt.step()
    opt.param_groups[0][option] = on
    v.grad = None
    opt.step()                               # w made its buffer, v did not take a step: it has none
    sd = opt.state_dict()
    buffer = {"momentum": "momentum_buffer", "centered": "grad_avg", "amsgrad": "max_exp_avg_sq"}[option]
    assert buffer in sd["state"][0] and buffer not in sd["state"][1]
    fresh = cls([Tensor(np.ones(3), requires_grad=True), Tensor(np.ones(2), requires_grad=True)], lr=0.1)
    fresh.load_state_dict(sd)
    assert fresh.param_groups[0][option] == on
    opt.param_groups[0][option] = 0.0 if option == "momentum" else False
    fresh.load_state_dict(opt.state_dict())       # switched off: the buffer stays in the state
    assert buffer in fresh.state[fresh.param_groups[0]["params"][0]]


# -- validation ---------------------------------------------------------------------------------
@pytest.mark.parametrize("cls, kwargs, message", [
    (optim.SGD, dict(lr=-0.1), r"SGD: invalid learning rate lr: -0.1 \(must be >= 0\)"),
    (optim.SGD, dict(lr=math.inf), r"SGD: invalid learning rate lr: inf \(must be a finite number >= 0\)"),
    (optim.Adam, dict(lr=math.nan), r"Adam: invalid learning rate lr: nan \(must be a finite number"),
    (optim.RMSprop, dict(eps=math.inf), r"RMSprop: invalid eps: inf \(must be a finite number"),
    (optim.NAdam, dict(eps=math.nan), r"NAdam: invalid eps: nan"),
    (optim.AdamW, dict(weight_decay=math.inf), r"AdamW: invalid weight_decay: inf"),
    (optim.SGD, dict(lr=0.1, weight_decay=math.nan), r"SGD: invalid weight_decay: nan"),
    (optim.Adagrad, dict(weight_decay=-math.inf), r"Adagrad: invalid weight_decay: -inf"),
    (optim.Adam, dict(betas=(0.9, 1.0)),
     r"Adam: invalid beta parameter at index 1: 1.0 \(each beta must be in \[0, 1\)\)"),
    (optim.AdamW, dict(betas=(-0.1, 0.9)), r"AdamW: invalid beta parameter at index 0: -0.1"),
    (optim.RMSprop, dict(eps=-1e-8), r"RMSprop: invalid eps: -1e-08"),
    (optim.Adagrad, dict(weight_decay=-1), r"Adagrad: invalid weight_decay: -1"),
    (optim.Adadelta, dict(rho=1.5), r"Adadelta: invalid rho: 1.5"),
    (optim.NAdam, dict(momentum_decay=-1), r"NAdam: invalid momentum_decay: -1"),
    (optim.SGD, dict(lr=0.1, nesterov=True), r"SGD: Nesterov momentum needs momentum > 0"),
])
def test_invalid_hyperparameters(cls, kwargs, message, device_backend):
    with pytest.raises(ValueError, match=message):
        cls([Tensor(np.ones(2), requires_grad=True)], **kwargs)


def test_invalid_parameter_lists(device_backend):
    p, q = Tensor(np.ones(2), requires_grad=True), Tensor(np.ones(3), requires_grad=True)
    with pytest.raises(ValueError, match="SGD: got an empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match=r"parameter appears in more than one place \(params\[0\] and params\[2\]\)"):
        optim.SGD([p, q, p], lr=0.1)
    with pytest.raises(ValueError, match=r"param_groups\[0\]\['params'\]\[1\] and param_groups\[1\]\['params'\]\[0\]"):
        optim.Adam([{"params": [p, q]}, {"params": [q]}])
    with pytest.raises(TypeError,
                       match=r"SGD: params\[1\] is a numpy.ndarray \(array\(\[1., 1.\]\)\); optimizers take"):
        optim.SGD([p, np.ones(2)], lr=0.1)
    with pytest.raises(TypeError, match=r"params\[0\] is a list \(\[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11\.\.\.\);"):
        optim.SGD([list(range(100))], lr=0.1)     # the value, on one line, cut to 40 characters
    with pytest.raises(TypeError, match="single Tensor"):
        optim.Adam(p)
    with pytest.raises(ValueError, match=r"Adam param_groups\[1\]: invalid learning rate lr: -1"):
        optim.Adam([{"params": [p]}, {"params": [q], "lr": -1}])
    with pytest.raises(TypeError, match="lr must be a number"):
        optim.Adam([p], lr="0.1")
    opt = optim.SGD([p], lr=0.1)
    with pytest.raises(ValueError, match="more than one place"):
        opt.add_param_group({"params": [p]})
    opt.add_param_group({"params": [q], "lr": 0.5})
    assert opt.param_groups[1]["lr"] == 0.5 and opt.param_groups[1]["momentum"] == 0.0


def test_repr_lists_groups():
    text = repr(optim.Adam([Tensor(np.ones(2), requires_grad=True)], lr=0.01))
    assert text.startswith("Adam (\nParameter Group 0") and "lr: 0.01" in text and "betas: (0.9, 0.999)" in text


def test_momentum_variants_differ_when_lr_changes():
    """PyTorch's b = mu b + g; p -= lr b  vs  Sutskever's v = mu v - lr g; p += v: same with a
    constant lr, different after the lr changes (sgd.py's docstring)."""
    def run(lrs):
        p = Tensor(np.array([1.0]), requires_grad=True)
        opt = optim.SGD([p], lr=lrs[0], momentum=0.9)
        x, v = 1.0, 0.0
        for lr in lrs:
            opt.param_groups[0]["lr"] = lr
            p.grad = Tensor(_device(2 * p.numpy(), p))
            opt.step()
            v = 0.9 * v - lr * 2 * x
            x = x + v
        return p.numpy()[0], x

    torch_style, sutskever = run([0.1] * 5)
    assert math.isclose(torch_style, sutskever, rel_tol=1e-12)
    torch_style, sutskever = run([0.1] * 3 + [0.01] * 2)
    assert not math.isclose(torch_style, sutskever, rel_tol=1e-3)


def test_load_state_dict_accepts_file_format_values():
    """As a checkpoint file gives them back: numbers as 0-d arrays, arrays on the host, lists for tuples."""
    w = Tensor(np.ones(3), requires_grad=True)
    opt = optim.NAdam([w])
    w.grad = Tensor(_device(np.ones(3), w))
    opt.step()
    sd = opt.state_dict()
    stored = {"state": {str(i): {k: np.asarray(backend.to_numpy(v) if hasattr(v, "shape") else v)
                                 for k, v in s.items()} for i, s in sd["state"].items()},
              "param_groups": [{**g, "betas": list(g["betas"])} for g in sd["param_groups"]]}
    fresh = optim.NAdam([w])
    fresh.load_state_dict(stored)
    assert fresh.state[w]["step"] == 1 and isinstance(fresh.state[w]["step"], int)
    assert fresh.state[w]["mu_product"] == opt.state[w]["mu_product"]
    np.testing.assert_array_equal(backend.to_numpy(fresh.state[w]["exp_avg"]),
                                  backend.to_numpy(opt.state[w]["exp_avg"]))
