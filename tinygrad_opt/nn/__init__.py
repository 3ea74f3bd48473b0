"""Layers and models: ``Module``, ``Linear``, activations, containers, the course's ``MLP``, losses.

    module.py       Module (parameters, train/eval, state_dict, printing) and Parameter
    layers.py       Linear, Flatten
    dropout.py      Dropout (and F.dropout), Identity
    init.py         initialisation: torch.nn.init's kaiming_uniform_, xavier_normal_, zeros_, ...
    utils.py        clip_grad_norm_, clip_grad_value_ (torch.nn.utils)
    activation.py   ReLU, Sigmoid, Tanh, Softmax, LogSoftmax
    container.py    Sequential, ModuleList
    loss.py         NLLLoss, CrossEntropyLoss, MSELoss
    mlp.py          the course's MLP
    functional.py   the same as functions (``import tinygrad_opt.nn.functional as F``)
"""
from . import functional, init, utils
from .. import unsupported
from .activation import LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from .container import ModuleList, Sequential
from .dropout import Dropout, Identity
from .layers import Flatten, Linear
from .loss import CrossEntropyLoss, MSELoss, NLLLoss
from .mlp import MLP
from .module import IncompatibleKeys, Module, Parameter

__all__ = ["Module", "Parameter", "IncompatibleKeys", "Linear", "Flatten", "ReLU", "Sigmoid", "Tanh",
           "Softmax", "LogSoftmax", "Sequential", "ModuleList", "MLP", "NLLLoss", "CrossEntropyLoss",
           "MSELoss", "Dropout", "Identity", "functional", "init", "utils"]


def __getattr__(name):
    """A PyTorch name this library lacks: an error saying what to write instead (unsupported.py)."""
    raise unsupported.missing("nn", name)
