"""The layers the course uses: Linear, ReLU, LogSoftmax, Flatten, Sequential."""
from .. import ops
from .init import pytorch_linear_bound, uniform
from .module import Module, Parameter


class Linear(Module):
    """y = x W^T + b,  x: (B, in_features), W: (out_features, in_features), b: (out_features,).

    Initialised as in PyTorch: W and b uniform in [-1/sqrt(in), 1/sqrt(in)].
    """

    def __init__(self, in_features, out_features, bias=True):
        for name, n in (("in_features", in_features), ("out_features", out_features)):
            if not isinstance(n, int) or n <= 0:
                raise ValueError(f"Linear: {name} must be a positive int, got {n!r}")
        self.in_features = in_features
        self.out_features = out_features
        k = pytorch_linear_bound(in_features)
        self.weight = Parameter(uniform((out_features, in_features), -k, k))
        self.bias = Parameter(uniform((out_features,), -k, k)) if bias else None

    def forward(self, x):
        return ops.linear(x, self.weight, self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class ReLU(Module):
    """y = max(x, 0), elementwise."""

    def forward(self, x):
        return ops.relu(x)


class LogSoftmax(Module):
    """y = x - log sum exp(x) along ``dim``: log-probabilities."""

    def __init__(self, dim=1):
        self.dim = dim

    def forward(self, x):
        return ops.log_softmax(x, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class Flatten(Module):
    """(B, d1, d2, ...) -> (B, d1*d2*...): images to vectors."""

    def forward(self, x):
        return ops.reshape(x, (x.shape[0], -1))

    def extra_repr(self):
        return "start_dim=1, end_dim=-1"


class Sequential(Module):
    """Modules applied one after the other; ``seq[i]`` is the i-th, named "i" in parameters."""

    def __init__(self, *modules):
        for i, m in enumerate(modules):
            if not isinstance(m, Module):
                raise TypeError(f"Sequential: argument {i} is a {type(m).__name__}, not a Module")
            setattr(self, str(i), m)

    def __getitem__(self, i):
        layers = list(self.children())
        return layers[i]

    def __len__(self):
        return sum(1 for _ in self.children())

    def __iter__(self):
        return self.children()

    def forward(self, x):
        for m in self.children():
            x = m(x)
        return x
