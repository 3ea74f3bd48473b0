"""The "Gradient descent and variants" lecture code (``/work/shared/seeds/002_...txt``) on tinygrad_opt.

Its functions, ``load_mnist_data``, ``MLP``, ``zero_grad`` and ``gradient_update``, and its one
update of the linear model, with every line as the lecture wrote it except the lines marked
``# changed:`` (imports). The capture lost characters (docstring quotes, some expressions);
lines completed from the same code in captures 000 and 001 are marked ``# restored:``.
With ``import tinygrad_opt.data as torchvision``, ``torchvision.datasets.MNIST`` and
``torchvision.transforms`` are the library's ``data.datasets.MNIST`` and ``data.transforms``.

The data lines are the lecture's own (``root='.'``): the tests run in a fresh folder whose
``mnist`` links to ``$TINYGRAD_OPT_DATA``.
"""
import os

import numpy as np
import pytest

import tinygrad_opt as torch  # changed: the library instead of torch
import tinygrad_opt.data as torchvision  # changed: the library's data holds torchvision's datasets, transforms
import tinygrad_opt.nn.functional as F  # changed: the library instead of torch
import tinygrad_opt.nn as nn  # changed: the library instead of torch

DATA = os.environ.get("TINYGRAD_OPT_DATA")
needs_mnist = pytest.mark.skipif(not DATA or not os.path.isdir(DATA),
                                 reason="the lecture loads real MNIST: set TINYGRAD_OPT_DATA to the folder "
                                        "with its four files (e.g. /work/shared/data/mnist)")


def load_mnist_data(change_tensors=False, download=False):
  """
  Load training and test examples for the MNIST handwritten digits dataset
  with every image: 28*28 x 1 channel (greyscale image)
  """
  # Load train and test sets
  train_set = torchvision.datasets.MNIST(root='.', train=True, download=download,
                                         transform=torchvision.transforms.ToTensor())  # restored
  test_set = torchvision.datasets.MNIST(root='.', train=False, download=download,
                                        transform=torchvision.transforms.ToTensor())  # restored

  # Original data is in range [0, 255]. We normalize the data wrt its mean and std_dev.
  # Note that we only used *training set* information to compute mean and std
  mean = train_set.data.float().mean()  # restored
  std = train_set.data.float().std()  # restored

  if change_tensors:
    # Apply normalization directly to the tensors containing the dataset
    train_set.data = (train_set.data.float() - mean) / std  # restored
    test_set.data = (test_set.data.float() - mean) / std  # restored
  else:
    tform = torchvision.transforms.Compose([torchvision.transforms.ToTensor(),
                                            torchvision.transforms.Normalize(mean=[mean / 255.], std=[std / 255.])
                                            ])  # restored
    train_set = torchvision.datasets.MNIST(root='.', train=True, download=download,
                                           transform=tform)  # restored: the capture reads MNIST.MNIST
    test_set = torchvision.datasets.MNIST(root='.', train=False, download=download,
                                          transform=tform)  # restored: the capture reads MNIST.MNIST

  return train_set, test_set


class MLP(nn.Module):
  """
  This class implements MLPs in Pytorch of an arbitrary number of hidden
  layers of potentially different sizes. Since we concentrate on classification
  tasks in this tutorial, we have a log_softmax layer at prediction time.
  """

  def __init__(self, in_dim=784, out_dim=10, hidden_dims=[], use_bias=True):
    """
    Constructs a MultiLayerPerceptron
    """

    super(MLP, self).__init__()

    self.in_dim = in_dim
    self.out_dim = out_dim

    # If we have no hidden layer, just initialize a linear model (e.g. in logistic regression)
    if len(hidden_dims) == 0:
      layers = [nn.Linear(in_dim, out_dim, bias=use_bias)]
    else:  # restored
      # 'Actual' MLP with dimensions in_dim - num_hidden_layers*[hidden_dim] - out_dim
      layers = [nn.Linear(in_dim, hidden_dims[0], bias=use_bias), nn.ReLU()]

      # Loop until before the last layer
      for i, hidden_dim in enumerate(hidden_dims[:-1]):
        layers += [nn.Linear(hidden_dim, hidden_dims[i + 1], bias=use_bias),
                   nn.ReLU()]  # restored

      # Add final layer to the number of classes
      layers += [nn.Linear(hidden_dims[-1], out_dim, bias=use_bias)]

    self.main = nn.Sequential(*layers)

  def forward(self, x):
    """
    Defines the network structure and flow from input to output
    """
    # Flatten each images into a 'vector'
    transformed_x = x.view(-1, self.in_dim)
    hidden_output = self.main(transformed_x)
    output = F.log_softmax(hidden_output, dim=1)
    return output


loss_fn = F.nll_loss


def zero_grad(params):
  """
  Clear gradients as they accumulate on successive backward calls
  """
  for par in params:
    if not(par.grad is None):
      par.grad.data.zero_()  # restored


def gradient_update(loss, params, lr=1e-3):
  """
  Perform a gradient descent update on a given loss over a collection of parameters
  """
  # Clear up gradients as Pytorch automatically accumulates gradients from
  # successive backward calls
  zero_grad(params)  # restored

  # Compute gradients on given objective
  loss.backward()  # restored

  with torch.no_grad():
    for par in params:
      # Here we work with the 'data' attribute of the parameter rather than the
      # parameter itself.
      # Hence - use the learning rate and the parameter's attribute to perform an update
      par.data -= lr * par.grad.data  # restored


@pytest.fixture
def course_folder(tmp_path, monkeypatch):
  (tmp_path / "mnist").symlink_to(os.path.abspath(DATA))
  monkeypatch.chdir(tmp_path)


@needs_mnist
def test_one_update_of_the_linear_model(course_folder, capsys):
  np.random.seed(2021)  # added: the lecture's seeding, outside the capture
  torch.manual_seed(2021)  # added: the lecture's seeding, outside the capture
  train_set, test_set = load_mnist_data(change_tensors=True,download=True)
  # Sample a random subset of 500 indices
  subset_index = np.random.choice(len(train_set.data), 500)  # restored

  # We will use these symbols to represent the training data and labels, to stay
  # as close to the mathematical expressions as possible.
  X, y = train_set.data[subset_index, :], train_set.targets[subset_index]  # restored

  model1 = MLP(in_dim=784, out_dim=10, hidden_dims=[])
  print('\n The model1 parameters before the update are: \n')
  for name, param in model1.named_parameters():
      if param.requires_grad:
          print(name, param.data)  # restored
  loss = loss_fn(model1(X), y)
  W0, b0 = (p.data.numpy().copy() for p in model1.parameters())  # added: the values the update starts from

  gradient_update(loss, list(model1.parameters()), lr=1e-1)
  print('\n The model1 parameters after the update are: \n')
  for name, param in model1.named_parameters():
      if param.requires_grad:
          print(name, param.data)  # restored

  printed = capsys.readouterr().out
  assert [line.split()[0] for line in printed.splitlines() if line.startswith("main.")] == \
      ["main.0.weight", "main.0.bias"] * 2
  # theta <- theta - 0.1 dL/dtheta, the gradient of the mean NLL of softmax(x W^T + b) in NumPy:
  # dL/dz = (softmax(z) - onehot(y)) / N
  x = X.numpy().reshape(500, 784).astype(np.float64)
  z = x @ W0.T + b0
  p = np.exp(z - z.max(axis=1, keepdims=True))
  p /= p.sum(axis=1, keepdims=True)
  p[np.arange(500), y.numpy()] -= 1
  W, b = model1.parameters()
  np.testing.assert_allclose(W.data.numpy(), W0 - 0.1 * (p.T @ x / 500), rtol=1e-5, atol=1e-6)
  np.testing.assert_allclose(b.data.numpy(), b0 - 0.1 * p.mean(axis=0), rtol=1e-5, atol=1e-6)


@needs_mnist
def test_the_transform_branch_standardises_each_image(course_folder):
  train_set, test_set = load_mnist_data(change_tensors=False)
  raw = torchvision.datasets.MNIST(root='.', train=True).data.numpy()
  mean, std = torchvision.train_mean_std(raw)
  std *= np.sqrt(raw.size / (raw.size - 1))          # torch's std divides by N - 1
  image, label = test_set[0]
  first = torchvision.datasets.MNIST(root='.', train=False).data.numpy()[0] / 255
  assert image.shape == (1, 28, 28) and isinstance(label, int)
  np.testing.assert_allclose(image.numpy()[0], (first - mean) / std, atol=1e-4)


def test_gradient_descent_a_hundred_times_is_numpy_gradient_descent():
  """The issue's trap: updates written the course's way must change the parameters, every time."""
  rng = np.random.default_rng(0)
  x, target = rng.normal(size=(32, 1, 28, 28)).astype(np.float32), rng.integers(0, 10, 32)
  model = MLP(in_dim=784, out_dim=10, hidden_dims=[])
  W, b = (p.data.numpy().astype(np.float64) for p in model.parameters())
  xs = x.reshape(32, 784).astype(np.float64)
  for _ in range(100):
    gradient_update(loss_fn(model(torch.tensor(x)), torch.tensor(target)), list(model.parameters()), lr=0.05)
    z = xs @ W.T + b
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    p[np.arange(32), target] -= 1
    W, b = W - 0.05 * (p.T @ xs / 32), b - 0.05 * p.mean(axis=0)
  got_W, got_b = model.parameters()
  np.testing.assert_allclose(got_W.data.numpy(), W, atol=2e-5)
  np.testing.assert_allclose(got_b.data.numpy(), b, atol=2e-5)
