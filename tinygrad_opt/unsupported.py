"""What to write instead of a PyTorch name this library does not have.

Code written for PyTorch that reaches such a name (``torch.einsum``, ``nn.Conv2d``,
``t.half()``) gets an AttributeError that says so and what to write instead. The modules'
``__getattr__`` (tried by Python only after a lookup has failed, so it costs nothing
otherwise) ask :func:`missing` for that error, and so does any other unknown name of a
module. A Tensor names each of its missing methods (:class:`Missing`) instead: a
``__getattr__`` on a class slows down every attribute read of every instance (CPython
cannot specialise them), so an unknown tensor attribute outside ``TENSOR`` gets Python's own
AttributeError.
"""

SEE = "see docs/pytorch.md"

# torch.X
TORCH = {
    "einsum": "write the product with matmul, transpose and sum (x @ W.T, (a * b).sum(-1))",
    "bmm": "write torch.matmul(a, b): it batches over leading dimensions",
    "dot": "write a @ b: for two 1-D tensors it is their dot product",
    "mv": "write A @ x: a matrix times a 1-D tensor is a 1-D tensor",
    "FloatTensor": "write torch.tensor(x, dtype=torch.float32)",
    "LongTensor": "write torch.tensor(x, dtype=torch.long)",
    "DoubleTensor": "write torch.tensor(x, dtype=torch.float64)",
    "empty": "write torch.zeros(size): an uninitialised tensor is a silent source of garbage",
    "nonzero": "write (mask).numpy().nonzero() for the indices, or torch.where(mask, x, 0) to select",
    "autograd": "write loss.backward() and read each leaf's .grad (there is no autograd.grad)",
    "compile": "not needed: run the model as it is",
    "set_printoptions": "write numpy.set_printoptions(...): tensors print through NumPy",
    "view_as_real": "not supported: tensors here are real",
    "is_complex": "not needed: tensors here are real",
}

# t.X for a Tensor t
TENSOR = {
    "half": "float16 training is not supported; keep float32 (t.float())",
    "type": "write t.to(dtype), e.g. t.to(torch.float64)",
    "nonzero": "write t.numpy().nonzero() for the indices, or torch.where(mask, t, 0) to select",
    "register_hook": "not supported: read the gradient after backward() from a leaf's .grad",
    "dot": "write a @ b: for two 1-D tensors it is their dot product",
    "mv": "write A @ x: a matrix times a 1-D tensor is a 1-D tensor",
    "log_": "write t.copy_(t.log()) under no_grad()",
    "detach_": "write t = t.detach() (to drop a gradient: p.grad = None)",
    "normal_": "write nn.init.normal_(t, mean, std)",
    "uniform_": "write nn.init.uniform_(t, a, b)",
}

# nn.X
NN = {
    "Conv2d": "not supported (no convolutions): flatten the images and use nn.Linear",
    "Conv1d": "not supported (no convolutions): flatten the input and use nn.Linear",
    "MaxPool2d": "not supported (no convolutions or pooling)",
    "BatchNorm1d": "not supported: normalise the inputs once (data.normalize) or write (x - x.mean(0)) / "
                   "(x.var(0, unbiased=False) + eps) ** 0.5",
    "BatchNorm2d": "not supported (no convolutions)",
    "LayerNorm": "write (x - x.mean(-1, keepdim=True)) / (x.var(-1, unbiased=False, keepdim=True) + eps) ** 0.5",
    "Embedding": "write one_hot(y, n).float() @ W, or W[y] (indexing is differentiable)",
    "LSTM": "not supported (no recurrent layers)",
    "GELU": "not supported; use nn.ReLU or nn.Tanh",
    "LeakyReLU": "write torch.maximum(x, 0.01 * x)",
    "BCELoss": "write -(y * p.log() + (1 - y) * (1 - p).log()).mean()",
    "L1Loss": "write (pred - target).abs().mean()",
}

# F.X (nn.functional)
FUNCTIONAL = {
    "conv2d": NN["Conv2d"],
    "max_pool2d": NN["MaxPool2d"],
    "gelu": NN["GELU"],
    "leaky_relu": NN["LeakyReLU"],
    "binary_cross_entropy": NN["BCELoss"],
    "l1_loss": NN["L1Loss"],
    "batch_norm": NN["BatchNorm1d"],
    "layer_norm": NN["LayerNorm"],
}

# optim.X
OPTIM = {
    "RAdam": "not supported; optim.Adam (or AdamW, NAdam, Adamax) are here",
    "LBFGS": "not supported (no line-search optimizers); use optim.SGD or optim.Adam",
    "SparseAdam": "not supported (no sparse gradients); use optim.Adam",
    "ASGD": "not supported; use optim.SGD",
    "Rprop": "not supported; use optim.RMSprop or optim.Adam",
}

PLACES = {"torch": TORCH, "Tensor": TENSOR, "nn": NN, "nn.functional": FUNCTIONAL, "optim": OPTIM}


def missing(place, name):
    """The AttributeError for ``place.name`` (place: "torch", "Tensor", "nn", "nn.functional", "optim")."""
    if name.startswith("_"):              # copy, pickle and hasattr probes, private names: plain and quick
        return AttributeError(name)
    advice = PLACES[place].get(name)
    if advice is None:
        return AttributeError(f"{place} has no attribute {name!r} (tinygrad_opt supports part of PyTorch; {SEE})")
    return AttributeError(f"tinygrad_opt has no {place}.{name} (PyTorch's); {advice} ({SEE})")


class Missing:
    """A Tensor attribute PyTorch has and this library does not: reading it (``t.half``) raises
    :func:`missing`'s AttributeError, so ``hasattr(t, "half")`` is False, as for any missing name."""

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, tensor, owner=None):
        if tensor is None:            # read on the class (help(Tensor), dir): the descriptor itself
            return self
        raise missing("Tensor", self.name)
