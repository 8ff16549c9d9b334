"""The Pareto front: the trials no other trial beats on every objective at once.

`pareto_front` is used by the live progress and by the reports; `pareto_probability`
asks how sure a trial's place on the front is, given its seeds' spread; `knee` is the one
front point served when the user names none (`sweep predict/recommend/export`, the report);
`hypervolume` is what the front dominates beyond the trivial baselines (the report's figure and
the patience rule's, sweep.patience); `greedy_hypervolume` orders front points by what each adds to
it (a conditioned front's pairs to verify, sweep.verification). A point dominates
another if it is at least as good on every objective and strictly better on one.
Points with a NaN anywhere are never on the front (and dominate nothing); exact
duplicates do not dominate each other, so both stay on the front.
"""

from __future__ import annotations

import math

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


FALLBACK_REFERENCE = {"top_100_accuracy": 0.0, "rmse": 5.0}  # ratings run 1-5: no RMSE exceeds 4


def trivial_reference(objectives, context: dict | None) -> list[float]:
    """Per objective, what doing nothing scores: chance top-k accuracy (a random ranking of the
    candidates) and the RMSE of always predicting the training mean (the study's recorded
    `context_baselines`). Studies recorded before those baselines fall back to (0, 5)."""
    reference = []
    for objective in objectives:
        if objective == "rmse":
            key, fallback = "global_mean_rmse", FALLBACK_REFERENCE["rmse"]
        else:
            key, fallback = f"chance_{objective}", 0.0
        reference.append(float(context[key]) if context and key in context else fallback)
    return reference


def hypervolume(points, directions, reference) -> float:
    """The volume (an area for two objectives) the points dominate and the reference bounds. Only a
    point better than the reference on every objective adds any; NaN points add nothing."""
    signs = np.array([-1.0 if direction == "maximize" else 1.0 for direction in directions])
    bound = np.asarray(reference, dtype=float) * signs  # lower is better in every column now
    costs = [tuple(row) for row in np.asarray(points, dtype=float).reshape(-1, len(directions)) * signs
             if not np.isnan(row).any() and bool(np.all(row < bound))]
    return _dominated(costs, tuple(bound)) if costs else 0.0


def greedy_hypervolume(points, directions, reference, count: int) -> list[int]:
    """Indices of up to `count` points in the order a greedy choice takes them: first the point whose
    hypervolume alone is largest, then each time the one that adds the most to those taken (ties: the
    earlier point). Hypervolume is submodular, so a greedy subset holds at least 1 − 1/e of the best
    subset's of its size (Ulrich & Thiele 2012)."""
    values = np.asarray(points, dtype=float).reshape(len(points), len(directions))
    chosen: list[int] = []
    while len(chosen) < min(count, len(values)):
        rest = [index for index in range(len(values)) if index not in chosen]
        volumes = [hypervolume(values[chosen + [index]], directions, reference) for index in rest]
        chosen.append(rest[int(np.argmax(volumes))])  # argmax takes the first of equals
    return chosen


def greedy_layers(points, directions, reference, count: int) -> list[int]:
    """Indices of up to `count` points: the front's in greedy hypervolume order, then, while fewer than
    `count` are taken, the next non-dominated layer's (the front of what is left) in the same order,
    and so on: the best-ranked points when the front alone is too small."""
    values = np.asarray(points, dtype=float).reshape(len(points), len(directions))
    left = list(range(len(values)))
    chosen: list[int] = []
    while left and len(chosen) < count:
        layer = [left[index] for index in np.flatnonzero(pareto_front(values[left], directions))]
        chosen += [layer[index] for index in greedy_hypervolume(values[layer], directions, reference,
                                                                count - len(chosen))]
        left = [index for index in left if index not in layer]
    return chosen


def _dominated(costs: list[tuple], bound: tuple) -> float:
    """The volume between costs (each below `bound` everywhere) and `bound`, minimizing every column."""
    if len(bound) == 1:
        return bound[0] - min(cost[0] for cost in costs)
    if len(bound) == 2:  # a staircase: by the second column, best first, each step the first column improves
        area, best = 0.0, bound[0]
        for first, second in sorted(costs, key=lambda cost: cost[1]):
            if first < best:
                area += (best - first) * (bound[1] - second)
                best = first
        return area
    volume, ordered = 0.0, sorted(costs, key=lambda cost: cost[-1])  # slices along the last column
    for index, cost in enumerate(ordered):
        top = ordered[index + 1][-1] if index + 1 < len(ordered) else bound[-1]
        if top > cost[-1]:
            volume += (top - cost[-1]) * _dominated([item[:-1] for item in ordered[:index + 1]], bound[:-1])
    return volume


def knee(points, directions, reference) -> int | None:
    """Index of the point a user should serve by default: the front point whose gains over the
    trivial baselines (`reference`), multiplied across objectives, are largest: the one that
    dominates the largest box beyond doing nothing. Unlike a distance to the ideal point after
    scaling each objective over the front's own span, it cannot pick a near-chance model because
    one objective happens to span little. A point that fails to beat the reference on any
    objective gains nothing; when no point beats it on all, the largest summed relative gain
    decides. Ties go to the earlier point. None without a valid point."""
    values = np.asarray(points, dtype=float).reshape(len(points), len(directions))
    if not len(values):
        return None
    on_front = pareto_front(values, directions)
    if not on_front.any():
        return None
    signs = np.array([1.0 if direction == "maximize" else -1.0 for direction in directions])
    gains = (values - np.asarray(reference, dtype=float)) * signs  # > 0 where a point beats doing nothing
    area = np.where(on_front, np.prod(np.clip(gains, 0.0, None), axis=1), -np.inf)
    if area.max() > 0:
        return int(np.argmax(area))  # argmax takes the first of equals
    scale = np.abs(np.asarray(reference, dtype=float))
    relative = np.where(on_front, (gains / np.where(scale > 0, scale, 1.0)).sum(axis=1), -np.inf)
    return int(np.argmax(relative))


def front_points(trials, objectives) -> tuple[list[int], np.ndarray]:
    """The trial numbers and objective means of a study's trials that count for the front (sweep.record)."""
    from sweep.record import TrialRecord, counts_for_front

    numbers, points = [], []
    for trial in trials:
        if not counts_for_front(trial.state.name, trial.user_attrs):
            continue
        record = TrialRecord.from_attrs(trial.user_attrs)
        values = [record.metric(name) for name in objectives]
        if not any(math.isnan(value) for value in values):
            numbers.append(trial.number)
            points.append(values)
    return numbers, np.array(points, dtype=float).reshape(-1, len(objectives))


def study_knee(study) -> int | None:
    """The knee trial of a stored study, on the objectives and directions it was run with, measured
    from its recorded trivial baselines. Reads only the study's trials: no table, no bootstrap."""
    from sweep.config import recorded_objectives

    objectives = recorded_objectives(study.metric_names, study.user_attrs)
    directions = [direction.name.lower() for direction in study.directions]
    numbers, points = front_points(study.get_trials(deepcopy=False), objectives)
    index = knee(points, directions, trivial_reference(objectives, study.user_attrs.get("context_baselines")))
    return None if index is None else numbers[index]
