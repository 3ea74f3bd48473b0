"""The optimizer contract: the base class's step loop (grad check, effective gradient, step
count, version bump) around a subclass's rule ``update(p, g, state, group)``; torch.optim-style
subclasses that override ``step()`` themselves; Adagrad's per-group initial accumulator."""
import numpy as np
import pytest

from tinygrad_opt import Tensor, backend, no_grad, optim
from tinygrad_opt.optim import Optimizer


def _on_device(host, like):
    return backend.backend_of(like.array).from_host(host)


class PlainGD(Optimizer):
    """The smallest optimizer: its rule only."""

    def __init__(self, params, lr=0.1, weight_decay=0.0, maximize=False):
        super().__init__(params, dict(lr=lr, weight_decay=weight_decay, maximize=maximize))

    def update(self, p, g, state, group):
        p -= group["lr"] * g


def test_a_rule_is_all_a_subclass_writes(device_backend):
    p = Tensor(np.array([1.0, -2.0]), requires_grad=True)
    q = Tensor(np.array([3.0]), requires_grad=True)
    opt = PlainGD([p, q], lr=0.1, weight_decay=0.5, maximize=True)
    p.grad = Tensor(_on_device(np.array([1.0, 1.0]), p))
    grad_array = p.grad.array
    opt.step()
    # maximize first, then the L2 term: g = -grad + lambda p
    np.testing.assert_allclose(p.numpy(), [1.0, -2.0] - 0.1 * (-np.array([1.0, 1.0]) + 0.5 * np.array([1.0, -2.0])))
    assert p.grad.array is grad_array and opt.state[p]["step"] == 1 and q not in opt.state
    np.testing.assert_array_equal(q.numpy(), [3.0])


def test_without_a_rule_the_error_says_what_to_write():
    class Empty(Optimizer):
        def __init__(self, params):
            super().__init__(params, dict(lr=0.1))

    p = Tensor(np.ones(2), requires_grad=True)
    p.grad = Tensor(np.ones(2))
    with pytest.raises(NotImplementedError, match=r"Empty must define update\(p, g, state, group\) "
                                                  r"\(or override step\(\) itself\)"):
        Empty([p]).step()


@pytest.mark.parametrize("cls", [optim.SGD, optim.Adam, optim.NAdam])
def test_step_bumps_each_updated_parameters_version(cls):
    p, q = Tensor(np.ones(3), requires_grad=True), Tensor(np.ones(2), requires_grad=True)
    opt = cls([p, q], lr=0.1)
    p.grad = Tensor(np.ones(3))
    before_p, before_q = p._version, q._version
    opt.step()
    assert p._version == before_p + 1 and q._version == before_q        # q had no grad: untouched


@pytest.mark.parametrize("cls", [optim.SGD, optim.Adam, optim.Adagrad])
def test_step_refuses_a_gradient_that_does_not_match_its_parameter(cls):
    w, b = Tensor(np.ones((2, 3)), requires_grad=True), Tensor(np.ones(3), requires_grad=True)
    opt = cls([{"params": [w]}, {"params": [b]}], lr=0.1)
    w.grad = Tensor(np.ones((2, 3)))
    b.grad = Tensor(np.ones(3))
    b.grad.array = np.ones((2, 3))                      # behind the setter's back
    with pytest.raises(ValueError, match=rf"{cls.__name__}.step: param_groups\[1\]\['params'\]\[0\] has a gradient "
                                         r"of shape \(2, 3\), dtype float64 on cpu, the parameter has shape \(3,\)"):
        opt.step()
    b.grad.array = np.ones(3, dtype=np.float32)
    with pytest.raises(ValueError, match=r"dtype float32 on cpu, the parameter has shape \(3,\), dtype float64"):
        opt.step()


def test_step_refuses_a_gradient_on_another_device():
    p = Tensor(np.ones(2), requires_grad=True, device="cpu")
    opt = optim.SGD([p], lr=0.1)
    p.grad = Tensor(np.ones(2), device="cpu")
    p.grad.array = backend.get("fakegpu").from_host(np.ones(2))
    with pytest.raises(ValueError, match=r"SGD.step: param_groups\[0\]\['params'\]\[0\] has a gradient of shape "
                                         r"\(2,\), dtype float64 on gpu, the parameter .* on cpu"):
        opt.step()



def test_step_takes_a_numpy_scalar_gradient_of_a_0d_parameter():
    """Backward keeps 0-d gradients as arrays; one written as a NumPy scalar behind the setter's
    back is another type but on the same device, with the same shape and dtype: it is used."""
    p = Tensor(np.array(1.0), requires_grad=True, device="cpu")
    opt = optim.SGD([p], lr=0.5)
    p.grad = Tensor(np.array(0.0), device="cpu")
    p.grad.array = np.float64(2.0)
    opt.step()
    assert p.item() == 0.0

class TorchStyleMomentum(Optimizer):
    """Written as for torch.optim: its own step(), state made on first sight, Tensor in-place ops."""

    def __init__(self, params, lr=0.1, momentum=0.9):
        super().__init__(params, dict(lr=lr, momentum=momentum))

    def step(self, closure=None):
        loss = self.evaluate_closure(closure)
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["momentum_buffer"] = Tensor(np.zeros(p.shape))
                buf = state["momentum_buffer"]
                buf.mul_(group["momentum"]).add_(p.grad)
                with no_grad():
                    p.add_(buf, alpha=-group["lr"])
        return loss


def test_a_torch_style_step_override_still_works():
    p = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    opt = TorchStyleMomentum([p], lr=0.1, momentum=0.9)
    x, b = np.array([1.0, 2.0]), np.zeros(2)
    for _ in range(4):
        opt.zero_grad()
        (p * p).sum().backward()
        opt.step()
        b = 0.9 * b + 2 * x
        x = x - 0.1 * b
    np.testing.assert_allclose(p.numpy(), x, rtol=1e-14)
    assert p._version == 4                              # p.add_ bumped it


def test_adamw_rule_is_decoupled_weight_decay_then_adam():
    """AdamW = theta *= 1 - lr lambda, then Adam with no penalty in g (weight_decay not added)."""
    x0, g = np.array([1.0, -3.0]), np.array([0.2, 0.4])
    a, b = Tensor(x0.copy(), requires_grad=True), Tensor(x0 * (1 - 0.1 * 0.5), requires_grad=True)
    adamw, adam = optim.AdamW([a], lr=0.1, weight_decay=0.5), optim.Adam([b], lr=0.1)
    a.grad, b.grad = Tensor(g.copy()), Tensor(g.copy())
    adamw.step()
    adam.step()
    np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_adagrad_takes_each_groups_own_initial_accumulator_value(device_backend):
    a, b = Tensor(np.ones(2), requires_grad=True), Tensor(np.ones(2), requires_grad=True)
    opt = optim.Adagrad([{"params": [a]}, {"params": [b], "initial_accumulator_value": 3.0}], lr=0.1,
                        initial_accumulator_value=1.0)
    a.grad, b.grad = Tensor(_on_device(np.ones(2), a)), Tensor(_on_device(np.ones(2), b))
    opt.step()
    np.testing.assert_array_equal(backend.to_numpy(opt.state[a]["sum"]), [2.0, 2.0])
    np.testing.assert_array_equal(backend.to_numpy(opt.state[b]["sum"]), [4.0, 4.0])
    np.testing.assert_allclose(b.numpy(), 1 - 0.1 / (np.sqrt(4.0) + 1e-10), rtol=1e-15)
    with pytest.raises(ValueError, match=r"Adagrad param_groups\[1\]: invalid initial_accumulator_value: -1"):
        optim.Adagrad([{"params": [a]}, {"params": [b], "initial_accumulator_value": -1}])


def test_common_options_checked_by_the_base_class():
    class WithBetas(PlainGD):
        def __init__(self, params, betas):
            Optimizer.__init__(self, params, dict(lr=0.1, betas=betas, eps=1e-8))

    with pytest.raises(ValueError, match="WithBetas: invalid beta parameter at index 0: 1.5"):
        WithBetas([Tensor(np.ones(2), requires_grad=True)], betas=(1.5, 0.9))


def test_no_scratch_buffers_or_update_functions_remain():
    """The rule is the formulation in each file; the fast paths are apart, in fast_paths.py."""
    import tinygrad_opt.optim as package
    for module in (package.sgd, package.adam, package.rmsprop, package.adagrad, package.adadelta, package.adamax,
                   package.nadam):
        assert not [n for n in vars(module) if n.endswith("_update")], module.__name__
    assert not hasattr(Optimizer, "scratch")


def test_a_torch_style_optimizer_saves_and_loads_its_own_state():
    p = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    opt = TorchStyleMomentum([p], lr=0.1)
    p.grad = Tensor(np.array([1.0, -1.0]))
    opt.step()
    saved = opt.state_dict()
    assert set(saved["state"][0]) == {"momentum_buffer"}
    assert saved["state"][0]["momentum_buffer"].array is not opt.state[p]["momentum_buffer"].array
    q = Tensor(p.numpy().copy(), requires_grad=True)
    fresh = TorchStyleMomentum([q], lr=0.1)
    fresh.load_state_dict(saved)
    for o, t in ((opt, p), (fresh, q)):
        t.grad = Tensor(np.array([0.5, 0.5]))
        o.step()
    np.testing.assert_array_equal(q.numpy(), p.numpy())
    with pytest.raises(ValueError, match=r"state 'momentum_buffer' has shape \(2,\), the parameter has shape \(3,\)"):
        TorchStyleMomentum([Tensor(np.ones(3), requires_grad=True)]).load_state_dict(saved)
