"""The cases an op's backward is graded on: rectangular shapes and broadcasting pairs.

A backward written for square inputs (``g @ b`` where ``g @ b.T`` belongs) or one that forgets
to sum over a broadcast axis fails here. Inputs are seeded float64 arrays, the same in every
process; ``v`` is the seeded output gradient (never all ones: a backward that forgets to
multiply by it would pass). Positive inputs where the op needs them (``log``).
"""
import numpy

from ..tensor import Tensor

# op name -> list of (input shapes, keyword arguments)
OP_CASES = {
    "relu": [([(3, 5)], {}), ([(2, 3, 4)], {})],
    "exp": [([(3, 5)], {})],
    "log": [([(3, 5)], {})],
    "tanh": [([(3, 5)], {})],
    "sigmoid": [([(3, 5)], {})],
    "mul": [([(3, 4), (3, 4)], {}), ([(3, 4), (4,)], {}), ([(2, 1, 4), (3, 1)], {})],
    "div": [([(3, 4), (3, 4)], {}), ([(3, 4), (4,)], {}), ([(2, 1, 4), (3, 1)], {})],
    "matmul": [([(3, 4), (4, 5)], {}), ([(2, 3, 4), (4, 5)], {}), ([(1, 4), (4, 2)], {})],
    "linear": [([(5, 3), (4, 3), (4,)], {}), ([(2, 5, 3), (4, 3), (4,)], {})],
    "log_softmax": [([(3, 5)], {}), ([(2, 3, 4)], {"dim": -1}), ([(4, 3)], {"dim": 0})],
}
POSITIVE = {"log": (0,), "div": (1,)}


def case_inputs(op, case_index):
    """The case's input arrays (host, float64), its keyword arguments and its output gradient seed."""
    shapes, kwargs = OP_CASES[op][case_index]
    rng = numpy.random.default_rng(1000 + case_index)
    arrays = []
    for i, shape in enumerate(shapes):
        a = rng.standard_normal(shape)
        if i in POSITIVE.get(op, ()):
            a = numpy.abs(a) + 0.5
        arrays.append(a)
    return arrays, kwargs


def run_op_case(fn, op, case_index):
    """Forward and backward of ``fn`` on one case, as plain numbers (the submission's or the library's)."""
    arrays, kwargs = case_inputs(op, case_index)
    result = {}
    for name, seed in (("grads", 7), ("zero grads", None)):
        inputs = [Tensor(a.copy(), requires_grad=True) for a in arrays]
        out = fn(*inputs, **kwargs)
        values = numpy.asarray(out.numpy(), dtype=numpy.float64)
        v = numpy.zeros(values.shape) if seed is None else numpy.random.default_rng(seed).standard_normal(values.shape)
        out.backward(gradient=Tensor(v))
        result["out"] = {"shape": list(values.shape), "values": values.ravel().tolist()}
        result[name] = [None if t.grad is None else
                        {"shape": list(t.grad.shape), "values": t.grad.numpy().ravel().tolist()} for t in inputs]
    return result
