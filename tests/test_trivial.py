"""Beyond the trivial baselines: does any trial beat most-popular top-100 or user + item bias RMSE?

Each frame is built by hand: per-seed values chosen so that the t statistics are known, and the
expected p-values come from scipy's t distribution directly, not from the module under test."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from scipy import stats

from sweep.report import trivial

CONTEXT = {"most_popular_top_100_accuracy": 0.30, "user_item_bias_rmse": 0.94}


def frame(trials: dict[int, tuple[list[float], list[float]]]) -> pd.DataFrame:
    """Trials numbered by key, each with its seeds' (top-100, RMSE) values."""
    rows = []
    for number, (tops, rmses) in trials.items():
        row = {"number": number, "state": "COMPLETE", "counts_for_front": True,
               "top_100_accuracy": sum(tops) / len(tops), "rmse": sum(rmses) / len(rmses)}
        for index, (top, rmse) in enumerate(zip(tops, rmses)):
            row[f"seed{index}_top_100_accuracy"], row[f"seed{index}_rmse"] = top, rmse
        rows.append(row)
    return pd.DataFrame(rows)


def test_a_trial_far_above_most_popular_makes_some_trial_beat_it_hold():
    assessed = trivial.assess(frame({0: ([0.40, 0.41, 0.39], [1.0, 1.01, 0.99]),
                                     1: ([0.20, 0.21, 0.19], [1.0, 1.01, 0.99])}), CONTEXT)
    top = assessed["objectives"]["top_100_accuracy"]
    assert top["verdict"]["verdict"] == "holds" and top["best_trial"] == 0 and top["trials_beating_on_mean"] == 1
    # pooled std is 0.01 over 2 trials (4 degrees of freedom); trial 0's t = 0.10 / (0.01/√3); two trials tested
    expected = min(1.0, 2 * stats.t.sf(0.10 / (0.01 / math.sqrt(3)), 4))
    assert top["verdict"]["p_holm"] == pytest.approx(expected, rel=1e-9) and top["verdict"]["tested"] == 2
    assert top["noise"]["degrees_of_freedom"] == 4 and top["noise"]["std"] == pytest.approx(0.01)


def test_every_trial_clearly_worse_means_no_trial_beats_it():
    assessed = trivial.assess(frame({0: ([0.20, 0.21, 0.19], [1.10, 1.11, 1.09]),
                                     1: ([0.25, 0.26, 0.24], [1.00, 1.01, 0.99])}), CONTEXT)
    assert assessed["objectives"]["top_100_accuracy"]["verdict"]["verdict"] == "fails"
    assert assessed["objectives"]["rmse"]["verdict"]["verdict"] == "fails"
    assert assessed["both"]["verdict"]["verdict"] == "fails" and assessed["both"]["trials_beating_on_mean"] == []


def test_a_best_mean_just_past_the_baseline_among_many_trials_is_undetermined_not_a_win():
    # trial 0 beats most-popular on its mean by 0.005 with seed noise 0.01: alone, t = 0.87 — far from 5 %
    trials = {0: ([0.315, 0.295, 0.305], [1.0, 1.01, 0.99])}
    trials |= {n: ([0.29, 0.30, 0.28], [1.0, 1.01, 0.99]) for n in range(1, 20)}
    top = trivial.assess(frame(trials), CONTEXT)["objectives"]["top_100_accuracy"]
    assert top["trials_beating_on_mean"] == 1 and top["verdict"]["verdict"] == "undetermined"


def test_one_model_beating_both_needs_both_of_its_tests_and_two_specialists_do_not_make_one():
    specialists = {0: ([0.40, 0.41, 0.39], [1.10, 1.11, 1.09]),  # beats most-popular only
                   1: ([0.20, 0.21, 0.19], [0.80, 0.81, 0.79])}  # beats the bias RMSE only
    assessed = trivial.assess(frame(specialists), CONTEXT)
    assert assessed["objectives"]["top_100_accuracy"]["verdict"]["verdict"] == "holds"
    assert assessed["objectives"]["rmse"]["verdict"]["verdict"] == "holds"
    assert assessed["both"]["verdict"]["verdict"] == "fails" and assessed["both"]["trials_beating_on_mean"] == []
    both = trivial.assess(frame({**specialists, 2: ([0.40, 0.41, 0.39], [0.80, 0.81, 0.79])}), CONTEXT)
    assert both["both"]["verdict"]["verdict"] == "holds" and both["both"]["trials_beating_on_mean"] == [2]


def test_one_seed_per_trial_and_nothing_to_pool_is_undetermined_and_says_why():
    assessed = trivial.assess(frame({0: ([0.40], [0.80]), 1: ([0.20], [1.2])}), CONTEXT)
    verdict = assessed["objectives"]["top_100_accuracy"]["verdict"]
    assert verdict["verdict"] == "undetermined" and "one seed" in verdict["why"]


def test_without_recorded_baselines_there_is_nothing_to_say():
    assert trivial.assess(frame({0: ([0.4, 0.41], [0.8, 0.81])}), None) is None
    assert trivial.markdown_lines(None) == []


def test_the_markdown_names_the_baselines_the_verdicts_and_the_correction():
    text = "\n".join(trivial.markdown_lines(trivial.assess(frame({0: ([0.20, 0.21, 0.19], [0.80, 0.81, 0.79]),
                                                                   1: ([0.25, 0.26, 0.24], [1.0, 1.01, 0.99])}),
                                                             CONTEXT)))
    assert "most-popular top-100 accuracy 0.3000" in text and "no trial beats it" in text
    assert "user + item bias RMSE 0.9400" in text and "some trial beats it (holds" in text
    assert "no single model beats both" in text and "Holm" in text


def test_the_best_trials_interval_is_its_mean_plus_or_minus_t_times_the_pooled_noise_over_root_seeds():
    assessed = trivial.assess(frame({0: ([0.40, 0.41, 0.39], [1.0, 1.01, 0.99]),
                                     1: ([0.20, 0.21, 0.19], [1.0, 1.01, 0.99])}), CONTEXT)
    half = stats.t.ppf(0.975, 4) * 0.01 / math.sqrt(3)  # pooled std 0.01 on 4 degrees of freedom, 3 seeds
    assert assessed["objectives"]["top_100_accuracy"]["best_interval"] == pytest.approx([0.40 - half, 0.40 + half])
    assert f"[{0.40 - half:.4f}, {0.40 + half:.4f}]" in "\n".join(trivial.markdown_lines(assessed))


def test_a_diverging_trials_wild_seeds_do_not_widen_the_noise_of_those_that_learned():
    learned = {n: ([0.20, 0.21, 0.19], [0.90, 0.91, 0.89]) for n in range(3)}
    diverged = {9: ([0.05, 0.06, 0.04], [1.5, 3.5, 5.5])}  # RMSE beyond the global mean: learned nothing
    context = CONTEXT | {"chance_top_100_accuracy": 0.06, "global_mean_rmse": 1.12}
    rmse = trivial.assess(frame(learned | diverged), context)["objectives"]["rmse"]
    assert rmse["noise"]["std"] == pytest.approx(0.01) and rmse["noise"]["trials"] == 3
    assert rmse["verdict"]["verdict"] == "holds"  # 0.90 against 0.94 with seed noise 0.01
