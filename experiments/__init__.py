"""Runnable experiments: ``python -m experiments.NAME --help``. Results go under ``results/``."""
