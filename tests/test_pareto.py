"""The Pareto front function against a brute-force non-dominated filter, and against Optuna."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sweep.pareto import greedy_hypervolume, greedy_layers, knee, pareto_front, trivial_reference

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


# --- the knee: the front point a user is served when they name none ---------------------------

DEMO_REFERENCE = (0.0595, 1.1248)  # chance top-100 over 1,682 movies, the global mean's RMSE


def test_the_knee_of_the_demo_is_the_accurate_model_not_the_near_chance_one():
    """The demo's front: trial 6 is barely above chance (box 0.0064 x 0.1641 = 0.00105), trial 9
    is the model a person would pick (0.2364 x 0.1495 = 0.0353). Scaling each objective over the
    front's own span chose trial 6, because RMSE spans only 0.015 there."""
    points = [(0.0659, 0.9607), (0.2959, 0.9753), (0.2100, 1.0900)]
    assert knee(points, DIRECTIONS, DEMO_REFERENCE) == 1


def test_the_knee_maximises_the_box_beyond_the_reference():
    points = [(0.1, 0.5), (0.3, 1.0), (0.5, 1.5), (0.29, 1.01)]  # the last is dominated by the second
    assert knee(points, DIRECTIONS, (0.0, 2.0)) == 1  # boxes 0.1*1.5=0.15, 0.3*1.0=0.30, 0.5*0.5=0.25
    assert knee(points, DIRECTIONS, (0.0, 1.1)) == 0  # boxes 0.06, 0.03, none: the reference decides


def test_the_knee_ignores_a_point_that_does_not_beat_doing_nothing_on_both():
    # (0.9, 2.5) has the best accuracy but an RMSE worse than the global mean: no box at all
    assert knee([(0.9, 2.5), (0.2, 1.0)], DIRECTIONS, (0.0, 2.0)) == 1


def test_with_no_point_beating_the_reference_on_both_the_largest_relative_gain_decides():
    # relative gains: (0.3-0.1)/0.1 + (2-2.2)/2 = 1.9 against (0.05-0.1)/0.1 + (2-1.5)/2 = -0.25
    assert knee([(0.3, 2.2), (0.05, 1.5)], DIRECTIONS, (0.1, 2.0)) == 0


def test_the_knee_breaks_ties_by_order_and_has_nothing_to_say_without_points():
    assert knee([(0.2, 1.0), (0.2, 1.0)], DIRECTIONS, (0.0, 2.0)) == 0
    assert knee([], DIRECTIONS, (0.0, 2.0)) is None
    assert knee([(np.nan, 1.0)], DIRECTIONS, (0.0, 2.0)) is None


# A hand-made front from the reference (top-100 0, RMSE 2): each point's box alone is top × (2 − RMSE).
GREEDY_FRONT = [(0.10, 1.0), (0.20, 1.2), (0.22, 1.3), (0.35, 1.7)]  # boxes 0.10, 0.16, 0.154, 0.105


def test_the_greedy_choice_takes_the_largest_box_then_what_adds_the_most_not_the_next_largest_box():
    # After (0.20, 1.2): (0.10, 1.0) adds its strip below RMSE 1.2, 0.10 × 0.2 = 0.02; (0.22, 1.3) adds
    # 0.02 × 0.7 = 0.014; (0.35, 1.7) adds 0.15 × 0.3 = 0.045. After that too: (0.10, 1.0) still adds 0.02,
    # (0.22, 1.3) only 0.02 × 0.4 = 0.008. The second-largest box alone, (0.22, 1.3), comes last.
    assert greedy_hypervolume(GREEDY_FRONT, DIRECTIONS, (0.0, 2.0), 4) == [1, 3, 0, 2]
    assert greedy_hypervolume(GREEDY_FRONT, DIRECTIONS, (0.0, 2.0), 2) == [1, 3]


def test_the_greedy_choice_takes_every_point_when_asked_for_more_and_ties_go_to_the_earlier():
    assert sorted(greedy_hypervolume(GREEDY_FRONT, DIRECTIONS, (0.0, 2.0), 10)) == [0, 1, 2, 3]
    assert greedy_hypervolume([(0.1, 1.0), (0.1, 1.0)], DIRECTIONS, (0.0, 2.0), 1) == [0]
    assert greedy_hypervolume([], DIRECTIONS, (0.0, 2.0), 3) == []


def test_greedy_layers_takes_the_front_first_then_the_next_layer_in_greedy_order():
    # GREEDY_FRONT behind a second layer: (0.09, 1.1) is dominated by (0.10, 1.0) only, (0.30, 1.8) by
    # (0.35, 1.7) only, (0.05, 1.9) by both of those; alone, their boxes are 0.081 and 0.06 (and 0.005).
    layered = GREEDY_FRONT + [(0.09, 1.1), (0.30, 1.8), (0.05, 1.9)]
    assert greedy_layers(layered, DIRECTIONS, (0.0, 2.0), 4) == [1, 3, 0, 2]  # the front suffices: as greedy
    # then the second layer: (0.09, 1.1) first (0.081 alone; with it, (0.30, 1.8) adds 0.21 × 0.2 = 0.042)
    assert greedy_layers(layered, DIRECTIONS, (0.0, 2.0), 6) == [1, 3, 0, 2, 4, 5]
    assert greedy_layers(layered, DIRECTIONS, (0.0, 2.0), 5) == [1, 3, 0, 2, 4]
    assert greedy_layers(layered, DIRECTIONS, (0.0, 2.0), 10) == [1, 3, 0, 2, 4, 5, 6]  # the third layer last
    assert greedy_layers([], DIRECTIONS, (0.0, 2.0), 3) == []


def test_the_reference_is_what_doing_nothing_scores_or_the_fixed_fallback():
    context = {"chance_top_100_accuracy": 0.06, "chance_top_10_accuracy": 0.006, "global_mean_rmse": 1.12}
    assert trivial_reference(("top_100_accuracy", "rmse"), context) == [0.06, 1.12]
    assert trivial_reference(("rmse", "top_10_accuracy"), context) == [1.12, 0.006]
    assert trivial_reference(("top_100_accuracy", "rmse"), None) == [0.0, 5.0]


def test_serving_the_default_trial_loads_no_reporting_library(tmp_path):
    """`sweep predict` finds its study and default trial from the storage alone: no matplotlib, Jinja2
    or markdown-it and no bootstrap, from `--help` to its first answer (here: that the knee trial,
    the accurate one of the demo's three points, kept no model). A fresh interpreter, so no other
    test's imports count."""
    url = f"sqlite:///{tmp_path / 's.db'}"
    script = f"""
import sys
import optuna
from sweep.cli import main
try:
    main(["predict", "--help"])
except SystemExit:
    pass
study = optuna.create_study(study_name="s", storage="{url}", directions=["maximize", "minimize"])
study.set_user_attr("context_baselines", {{"chance_top_100_accuracy": 0.0595, "global_mean_rmse": 1.1248}})
for top, rmse in ((0.0659, 0.9607), (0.2959, 0.9753), (0.2100, 1.0900)):
    study.add_trial(optuna.trial.create_trial(values=[top, rmse], user_attrs={{
        "metrics": {{"top_100_accuracy": top, "rmse": rmse}}, "rating_weight": 1.0, "retrieval_weight": 1.0}}))
code = main(["predict", "s", "--storage", "{url}", "--user", "42", "--movie", "Heat (1995)"])
print(code, sorted(m for m in ("matplotlib", "jinja2", "markdown_it", "sweep.report") if m in sys.modules))
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[-2] == "1 []"
    assert "trial 1 of study 's' has no stored model" in result.stderr
