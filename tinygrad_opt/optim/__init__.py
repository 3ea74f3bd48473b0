"""Optimizers: each one its update rule, one line per equation (PyTorch's algorithms).

    from tinygrad_opt import optim
    opt = optim.Adam(model.parameters(), lr=1e-3)
    for x, y in batches:
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()

Where to read:
  optimizer.py     the base class: param_groups, state, the step loop around a rule, state_dict
  sgd.py           SGD, momentum, Nesterov (and PyTorch's vs Sutskever's momentum)
  rmsprop.py       RMSprop (plain, centered, with momentum)
  adagrad.py       Adagrad
  adadelta.py      Adadelta
  adam.py          Adam and AdamW (L2 penalty vs decoupled weight decay, where eps sits, amsgrad)
  adamax.py        Adamax
  nadam.py         NAdam
  lr_scheduler.py  learning-rate schedules: functions of the step, and PyTorch's (chainable) classes
  functional.py    the course's hand-written updates: gradient_update, momentum_update, rmsprop_update
  check.py         a checker for your own optimizer: runs it beside a reference, step by step
"""
from . import functional, lr_scheduler
from .. import unsupported
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .adamax import Adamax
from .nadam import NAdam
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "RMSprop", "Adagrad", "Adadelta", "Adam", "AdamW", "Adamax", "NAdam",
           "lr_scheduler", "functional"]


def __getattr__(name):
    """A PyTorch name this library lacks: an error saying what to write instead (unsupported.py)."""
    raise unsupported.missing("optim", name)
