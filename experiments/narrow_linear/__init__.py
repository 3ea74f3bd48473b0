"""Narrow linear networks: the course's "Learning hyperparameters" tutorial on the engine.

One neuron per layer, no nonlinearity: y_hat = x w1 w2 (shallow) or x w1 ... w_n (deep).
Small enough to see the whole loss landscape, deep enough to show how depth, learning rate
and initialisation interact.

Where to read:
  models.py    gen_samples, ShallowNarrowLNN, DeepNarrowLNN (autodiff and the course's dloss_dw)
  train.py     one run: autodiff + optim.SGD, or the course's analytic loop; divergence stops a run
  batched.py   many runs of one depth as rows of one weight matrix, each with its own lr
  sweeps.py    Config, grid, sweep over any concurrent.futures executor, convergence_epochs
  commands.py  one function per figure, with the course's settings
  plots.py     the figures
  __main__.py  python -m experiments.narrow_linear [SUBCOMMAND] [--quick]
"""
