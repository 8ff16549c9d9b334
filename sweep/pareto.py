"""The Pareto front: the trials no other trial beats on every objective at once.

`pareto_front` is used by the live progress and by the reports; `pareto_probability`
asks how sure a trial's place on the front is, given its seeds' spread. A point dominates
another if it is at least as good on every objective and strictly better on one.
Points with a NaN anywhere are never on the front (and dominate nothing); exact
duplicates do not dominate each other, so both stay on the front.
"""

from __future__ import annotations

import numpy as np


def pareto_front(points, directions) -> np.ndarray:
    """Boolean mask of the non-dominated rows of `points` (n x m) under `directions`
    ("maximize" / "minimize" per column)."""
    values = np.asarray(points, dtype=float).reshape(len(points), len(directions))
    signs = np.array([-1.0 if direction == "maximize" else 1.0 for direction in directions])
    costs = values * signs  # lower is better in every column now
    valid = ~np.isnan(costs).any(axis=1)
    on_front = valid.copy()
    for index in np.flatnonzero(valid):
        others = costs[valid]
        dominated_by = np.all(others <= costs[index], axis=1) & np.any(others < costs[index], axis=1)
        on_front[index] = not dominated_by.any()
    return on_front


BOOTSTRAP_RESAMPLES = 1000
BOOTSTRAP_SEED = 0  # fixed: a report regenerated from the same trials gives the same numbers


def bootstrap_means(runs: list[np.ndarray], resamples: int = BOOTSTRAP_RESAMPLES, seed: int = BOOTSTRAP_SEED) -> np.ndarray:
    """(resamples, trials, objectives): each trial's mean over its seed runs resampled with replacement.
    `runs[i]` is trial i's (seeds × objectives) array; a one-seed trial's mean never moves."""
    generator = np.random.default_rng(seed)
    means = np.empty((resamples, len(runs), runs[0].shape[1]))
    for index, trial_runs in enumerate(runs):
        picks = generator.integers(0, len(trial_runs), size=(resamples, len(trial_runs)))
        means[:, index, :] = trial_runs[picks].mean(axis=1)
    return means


def pareto_probability(runs: list[np.ndarray], directions, resamples: int = BOOTSTRAP_RESAMPLES,
                       seed: int = BOOTSTRAP_SEED) -> np.ndarray:
    """Per trial, the share of bootstrap resamples of every trial's seed runs in which it is on the front."""
    means = bootstrap_means(runs, resamples, seed)
    return np.mean([pareto_front(sample, directions) for sample in means], axis=0)
