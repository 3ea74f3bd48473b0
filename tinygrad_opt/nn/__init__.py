"""Layers and models: ``Module``, ``Linear``, ``ReLU``, the course's ``MLP``, losses."""
from . import functional, init
from .layers import Flatten, Linear, LogSoftmax, ReLU, Sequential
from .loss import CrossEntropyLoss, MSELoss, NLLLoss
from .mlp import MLP
from .module import Module, Parameter

__all__ = ["Module", "Parameter", "Linear", "ReLU", "LogSoftmax", "Flatten", "Sequential", "MLP",
           "NLLLoss", "CrossEntropyLoss", "MSELoss", "functional", "init"]
