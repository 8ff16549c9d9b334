"""Context baselines in closed form, and the comparison with the tutorial's published figures."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sweep import data
from sweep.baselines import TUTORIAL, compare_with_tutorial, context_baselines
from sweep.data.prepared import prepare


@pytest.fixture(scope="module")
def prepared(synthetic_dataset):
    return prepare(synthetic_dataset, data.load_split(synthetic_dataset, seed=42))


def test_global_mean_rmse_is_the_rms_deviation_from_the_train_mean(prepared):
    context = context_baselines(prepared)
    mean = prepared.train["user_rating"].mean()
    assert context["global_mean_rmse"] == pytest.approx(math.sqrt(np.mean((prepared.test["user_rating"] - mean) ** 2)))


def test_user_and_item_biases_beat_the_global_mean(prepared):
    context = context_baselines(prepared)
    assert context["user_item_bias_rmse"] < context["global_mean_rmse"]


def test_chance_top_k_is_k_over_the_number_of_candidates(prepared):
    context = context_baselines(prepared)
    assert context["chance_top_100_accuracy"] == 100 / len(prepared.candidates["all_entries"])
    unique = context_baselines(prepared, "unique_titles")
    assert unique["chance_top_100_accuracy"] == 100 / len(prepared.candidates["unique_titles"])


def test_most_popular_top_k_matches_ranking_by_hand(prepared):
    counts = np.bincount(prepared.train["movie_title"], minlength=len(prepared.title_vocabulary) + 1)
    candidate_counts = counts[prepared.candidates["all_entries"]]
    hits = sum(int((candidate_counts > counts[title]).sum() < 10) for title in prepared.test["movie_title"])
    assert context_baselines(prepared)["most_popular_top_10_accuracy"] == hits / len(prepared.test["movie_title"])


def summary_of(values: dict) -> dict:
    return {name: {metric: {"mean": mean, "std": std, "n": 5} for metric, (mean, std) in metrics.items()}
            for name, metrics in values.items()}


CONTEXT = {"chance_top_100_accuracy": 0.059, "global_mean_rmse": 1.13}


def test_each_published_figure_is_placed_in_units_of_our_std():
    summary = summary_of({
        "ratings-only": {"top_100_accuracy": (0.060, 0.002), "rmse": (1.013, 0.01)},
        "retrieval-only": {"top_100_accuracy": (0.238, 0.001), "rmse": (3.773, 0.1)},
        "joint": {"top_100_accuracy": (0.235, 0.001), "rmse": (1.131, 0.02)},
    })
    rows = {(row["model"], row["metric"]): row for row in compare_with_tutorial(summary, CONTEXT)["rows"]}
    assert rows[("ratings-only", "rmse")]["difference_in_std"] == pytest.approx(10.0)
    assert not rows[("ratings-only", "rmse")]["within_spread"]
    assert rows[("retrieval-only", "top_100_accuracy")]["difference_in_std"] == pytest.approx(-3.0)
    assert rows[("joint", "top_100_accuracy")]["within_spread"]
    assert len(rows) == 2 * len(TUTORIAL)


def test_the_tutorials_conclusions_hold_on_its_own_numbers():
    published = summary_of({p.name: {"top_100_accuracy": (p.top_100_accuracy, 0.002), "rmse": (p.rmse, 0.01)}
                            for p in TUTORIAL})
    verdicts = [c["holds"] for c in compare_with_tutorial(published, CONTEXT)["conclusions"]]
    assert verdicts == [True, True, True]


def test_a_joint_model_far_worse_than_the_specialists_fails_the_third_conclusion():
    summary = summary_of({
        "ratings-only": {"top_100_accuracy": (0.06, 0.002), "rmse": (1.11, 0.01)},
        "retrieval-only": {"top_100_accuracy": (0.235, 0.002), "rmse": (3.7, 0.1)},
        "joint": {"top_100_accuracy": (0.15, 0.002), "rmse": (1.11, 0.01)},
    })
    assert [c["holds"] for c in compare_with_tutorial(summary, CONTEXT)["conclusions"]] == [True, True, False]
