"""The "Optimization techniques" tutorial (Neuromatch Academy, week 1 day 5), on tinygrad_opt.

    python -m experiments.optimization_tutorial              # every section, in order
    python -m experiments.optimization_tutorial momentum     # one section (or several)

One file per section, in the tutorial's order:

    data.py           2.1  three training examples and their standardised pixel values
    filters.py        2.4  the linear model's class filters (Adam, lr 7e-4, 200 steps)
    gd_step.py        3    one gradient_update: the parameters before and after
    random_search.py  3    random directions vs the gradient step in 7850 dimensions
    momentum.py       4    gradient descent vs momentum_update on a flat two-parameter loss
    overparam.py      5    wider MLPs train faster and more reliably from perturbed inits
    minibatch.py      6    minibatch size under a fixed time budget (sample_minibatch)
    rmsprop.py        7    rmsprop_update vs SGD vs momentum, and their lr robustness
    final.py          bonus  a tuned MLP on full MNIST that beats the assignment's 97.63 %

course.py holds what they share: the standardised data and 500-example subset, the loss,
print_params, random_update. Each section writes <section>.png and <section>.json.
"""
