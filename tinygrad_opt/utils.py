"""``torch.utils.data``, PyTorch's spelling of :mod:`tinygrad_opt.data`.

So the course's ``torch.utils.data.DataLoader(dataset=train_dataset, batch_size=100,
shuffle=True)`` runs unchanged after ``import tinygrad_opt as torch``.
"""
from . import data  # noqa: F401  (the one thing this module holds: torch.utils.data)
