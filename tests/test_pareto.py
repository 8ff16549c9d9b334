"""The Pareto front function against a brute-force non-dominated filter, and against Optuna."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from sweep.pareto import pareto_front

DIRECTIONS = ("maximize", "minimize")


def brute_force(points, directions):
    """Definition, literally: i is on the front unless some j is no worse everywhere and better somewhere."""
    def better_or_equal(a, b, direction):
        return a >= b if direction == "maximize" else a <= b

    def strictly_better(a, b, direction):
        return a > b if direction == "maximize" else a < b

    mask = []
    for i, p in enumerate(points):
        if any(np.isnan(p)):
            mask.append(False)
            continue
        dominated = any(
            not any(np.isnan(q))
            and all(better_or_equal(q[k], p[k], d) for k, d in enumerate(directions))
            and any(strictly_better(q[k], p[k], d) for k, d in enumerate(directions))
            for j, q in enumerate(points) if j != i
        )
        mask.append(not dominated)
    return np.array(mask)


@pytest.mark.parametrize("seed", range(20))
def test_matches_brute_force_on_random_points_with_ties_duplicates_and_nan(seed):
    rng = np.random.default_rng(seed)
    points = rng.integers(0, 6, size=(40, 2)).astype(float)  # a coarse grid forces ties and duplicates
    points[rng.choice(40, size=3, replace=False), rng.integers(0, 2)] = np.nan
    np.testing.assert_array_equal(pareto_front(points, DIRECTIONS), brute_force(points, DIRECTIONS))


def test_duplicates_on_the_front_both_stay():
    points = np.array([[0.2, 1.1], [0.2, 1.1], [0.1, 1.5]])
    assert pareto_front(points, DIRECTIONS).tolist() == [True, True, False]


def test_three_objectives_and_every_direction_combination():
    rng = np.random.default_rng(7)
    points = rng.normal(size=(30, 3)).round(1)
    for directions in itertools.product(("maximize", "minimize"), repeat=3):
        np.testing.assert_array_equal(pareto_front(points, directions), brute_force(points, directions))


def test_agrees_with_optunas_best_trials():
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    study = optuna.create_study(directions=list(DIRECTIONS), sampler=optuna.samplers.RandomSampler(seed=3))
    study.optimize(lambda t: (round(t.suggest_float("x", 0, 1), 1), round(t.suggest_float("y", 0, 1), 1)), n_trials=60)
    values = np.array([t.values for t in study.trials])
    ours = {t.number for t, on in zip(study.trials, pareto_front(values, DIRECTIONS)) if on}
    assert ours == {t.number for t in study.best_trials}


def test_p_pareto_is_the_share_of_resamples_on_the_front():
    """A always dominates B; C (two seeds, top-100 0.30 or 0.10, RMSE 1.0) escapes A's dominance
    (top-100 0.25, RMSE 0.9) only when both its resampled seeds are the 0.30 one: 1 time in 4."""
    from sweep.pareto import pareto_probability

    a = np.array([[0.25, 0.9], [0.25, 0.9]])
    b = np.array([[0.20, 1.1], [0.20, 1.1]])
    c = np.array([[0.30, 1.0], [0.10, 1.0]])
    chance = pareto_probability([a, b, c], ("maximize", "minimize"))
    assert chance[0] == 1.0 and chance[1] == 0.0
    assert abs(chance[2] - 0.25) < 0.045  # 1,000 resamples: binomial std 0.014
    assert np.array_equal(chance, pareto_probability([a, b, c], ("maximize", "minimize")))  # fixed seed


def test_one_seed_trials_keep_their_place():
    from sweep.pareto import pareto_probability

    runs = [np.array([[0.3, 1.0]]), np.array([[0.2, 1.1]]), np.array([[0.1, 0.9]])]
    assert list(pareto_probability(runs, ("maximize", "minimize"))) == [1.0, 0.0, 1.0]
