"""The "Optimization techniques" tutorial (Neuromatch Academy, week 1 day 5), on tinygrad_opt.

    python -m experiments.optimization_tutorial              # every section, in order
    python -m experiments.optimization_tutorial momentum     # one section (or several)
    python -m experiments.optimization_tutorial momentum --momentum-lr 5.01 --momentum-beta 0.59

One file per section, in the tutorial's order (seed 2021, the course's, by default):

    data.py              2.1  three training examples and their standardised pixel values
    filters.py           2.4  the linear model's class filters (Adam, lr 7e-4, 200 steps)
    gd_step.py           ex. 3  one gradient_update: the parameters before and after
    random_search.py     3    gradient step vs random_update(model, 1e-2); equal-length steps as an extra
    momentum.py          ex. 4, demo 4  momentum_update's check; GD vs momentum on a two-parameter loss
    overparam.py         demo 5  wider MLPs train faster and more reliably from perturbed inits
    computation_time.py  demo 6.1  forward and backward time against the number of inputs
    minibatch.py         ex. 6, demo 6.2  sample_minibatch; minibatch size under a time budget
    rmsprop.py           ex. 7, demo 7  rmsprop_update's check; SGD vs momentum vs RMSprop
    final.py             bonus  beat the benchmark MLP [200, 100, 50], from the course's starting configuration

course.py holds what they share: the data and the 500-example subset as the course draws them,
the loss, print_params, random_update, sample_minibatch, eval_model, and ``Knob``, a demo's
control with the widget's range and default. Each interactive demo is a function whose
arguments are the widget's knobs (``momentum.momentum_experiment``, ``overparam.overparam``,
``computation_time.computation_time``, ``minibatch.minibatch_experiment``,
``rmsprop.compare_optimizers``, ``final.train_my_model``); each section module's ``KNOBS`` lists
them. Each section writes <section>.png and <section>.json.
"""
