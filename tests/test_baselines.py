"""Context baselines in closed form, and the comparison with the tutorial's published figures."""

from __future__ import annotations

import json
import math
from types import SimpleNamespace

import numpy as np
import pytest

from sweep import data
from sweep import verdicts
from sweep.baselines import TUTORIAL, compare_with_tutorial, comparison_markdown, context_baselines, rounding
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


SPREAD = [-2, -1, 0, 1, 2]  # times 0.6325: five runs with mean 0 and sample std 1 (√(10 · 0.4 / 4) = 1)


def runs_with(mean: float, std: float, n: int = 5) -> list[float]:
    return [mean + std * 0.632455532 * offset for offset in SPREAD] if n == 5 else [mean] * n


def summary_of(values: dict, n: int = 5) -> dict:
    return {name: {metric: {"values": runs_with(mean, std, n), "mean": mean, "std": std if n > 1 else 0.0, "n": n}
                   for metric, (mean, std) in metrics.items()}
            for name, metrics in values.items()}


CONTEXT = {"chance_top_100_accuracy": 0.059, "global_mean_rmse": 1.13}
MARGINS = {"top_100_accuracy": 0.01, "rmse": 0.02}


def compare(summary, margins=MARGINS):
    return compare_with_tutorial(summary, CONTEXT, margins, "seeds only")


def test_each_published_figure_is_checked_against_our_prediction_interval():
    summary = summary_of({
        "ratings-only": {"top_100_accuracy": (0.060, 0.002), "rmse": (1.013, 0.01)},
        "retrieval-only": {"top_100_accuracy": (0.238, 0.001), "rmse": (3.773, 0.1)},
        "joint": {"top_100_accuracy": (0.235, 0.001), "rmse": (1.131, 0.02)},
    })
    rows = {(row["model"], row["metric"]): row for row in compare(summary)["rows"]}
    # five seeds: the interval is mean ± t(0.975, 4) · s · √(1 + 1/5) = mean ± 2.7764 · 1.0954 · s
    assert rows[("ratings-only", "rmse")]["interval"] == pytest.approx([1.013 - 0.030414, 1.013 + 0.030414], abs=1e-5)
    assert rows[("ratings-only", "rmse")]["z"] == pytest.approx(10.0)
    assert rows[("ratings-only", "rmse")]["verdict"] == "fails"  # 1.113 lies far outside
    assert rows[("retrieval-only", "top_100_accuracy")]["verdict"] == "holds"  # 0.235 within 0.238 ± 0.0030
    assert rows[("joint", "top_100_accuracy")]["verdict"] == "holds"
    assert len(rows) == 2 * len(TUTORIAL)


def test_the_tutorials_conclusions_hold_on_its_own_numbers_measured_tightly():
    published = summary_of({p.name: {"top_100_accuracy": (p.top_100_accuracy, 0.001), "rmse": (p.rmse, 0.001)}
                            for p in TUTORIAL})
    assert [c["verdict"] for c in compare(published)["conclusions"]] == ["holds", "holds", "holds"]


def test_closeness_is_judged_against_the_margin():
    """joint − ratings-only RMSE is 0.018 ± 0.0015 (Welch, 5 + 5 seeds of std 0.001): within 0.02, beyond 0.01."""
    published = summary_of({p.name: {"top_100_accuracy": (p.top_100_accuracy, 0.001), "rmse": (p.rmse, 0.001)}
                            for p in TUTORIAL})
    assert compare(published, {"top_100_accuracy": 0.01, "rmse": 0.01})["conclusions"][2]["verdict"] == "fails"
    loose = summary_of({p.name: {"top_100_accuracy": (p.top_100_accuracy, 0.001), "rmse": (p.rmse, 0.01)}
                        for p in TUTORIAL})
    assert compare(loose)["conclusions"][2]["verdict"] == "undetermined"  # 0.018 ± 0.0146 straddles 0.02


def test_a_joint_model_far_worse_than_the_specialists_fails_the_third_conclusion():
    summary = summary_of({
        "ratings-only": {"top_100_accuracy": (0.06, 0.002), "rmse": (1.11, 0.01)},
        "retrieval-only": {"top_100_accuracy": (0.235, 0.002), "rmse": (3.7, 0.1)},
        "joint": {"top_100_accuracy": (0.15, 0.002), "rmse": (1.11, 0.01)},
    })
    assert [c["verdict"] for c in compare(summary)["conclusions"]] == ["holds", "holds", "fails"]


def test_one_seed_decides_nothing_and_says_how_many_are_needed():
    one = summary_of({p.name: {"top_100_accuracy": (0.15, 0.0), "rmse": (2.0, 0.0)} for p in TUTORIAL}, n=1)
    compared = compare(one)
    assert {verdicts.describe(row) for row in compared["rows"]} == {"undetermined (1 seed; 3 needed)"}
    assert [verdicts.describe(c) for c in compared["conclusions"]] == ["undetermined (1 seed; 2 needed)"] * 3
    assert "undetermined (1 seed; 3 needed)" in "\n".join(comparison_markdown(compared))


def test_every_logged_figure_is_compared_with_the_uncertainty_its_printing_leaves():
    assert (rounding("0.00045"), rounding("0.0597"), rounding("3.773")) == pytest.approx((5e-6, 5e-5, 5e-4))
    summary = summary_of({p.name: {metric: (float(text), 0.001) for metric, text in p.logged} for p in TUTORIAL})
    rows = compare_with_tutorial(summary, CONTEXT, MARGINS, "seeds only", figures="logged")["rows"]
    assert len(rows) == 6 * len(TUTORIAL)
    assert {(row["model"], row["metric"], row["written"]) for row in rows} >= {("joint", "top_1_accuracy", "0.00095"),
                                                                               ("retrieval-only", "rmse", "3.7730")}
    assert all(row["verdict"] == "holds" for row in rows)  # each figure sits at the centre of our runs


@pytest.mark.slow
def test_sweep_baselines_writes_every_logged_figure_with_its_verdict(synthetic_dir, tmp_path):
    from tests.helpers import sweep_cli

    result = sweep_cli(["baselines", "--dataset", "synthetic", "--seeds", "3", "--out", tmp_path], synthetic_dir)
    assert result.returncode == 0, result.stderr
    document = json.loads((tmp_path / "baselines.json").read_text())
    assert len(document["comparison"]["rows"]) == 18 and document["seeds"] == [0, 1, 2]
    assert {row["verdict"] for row in document["comparison"]["rows"]} <= {"holds", "fails"}  # 3 seeds decide
    assert all(len(runs) == 3 for runs in document["runs"].values())
    table = (tmp_path / "baselines.md").read_text()
    assert table.count("| joint |") == 6 and "Intervals cover seeds only (one split)." in table


def test_a_pair_with_ten_seeds_is_judged_on_its_own_noise_and_one_with_fewer_on_the_studys_pooled_noise():
    # every seed alike, each mean 0.001 top-100 and 0.01 RMSE off the published figure (twice its rounding)
    pooled = {"top_100_accuracy": verdicts.SeedNoise(0.002, 40, 20, "pooled"),
              "rmse": verdicts.SeedNoise(0.02, 40, 20, "pooled")}
    few, many = (summary_of({p.name: {"top_100_accuracy": (p.top_100_accuracy + 0.001, 0.0), "rmse": (p.rmse + 0.01, 0.0)}
                             for p in TUTORIAL}, n=n) for n in (3, 10))
    alone = compare_with_tutorial(few, CONTEXT, MARGINS, "seeds only")["rows"]
    assert {row["verdict"] for row in alone} == {"fails"}  # three seeds with no spread: a point, missed
    rows = compare_with_tutorial(few, CONTEXT, MARGINS, "seeds only", pooled=pooled)["rows"]
    assert {(row["noise"]["estimate"], row["noise"]["degrees_of_freedom"]) for row in rows} == {("pooled", 40)}
    # ± t(0.975, 40) · 0.002 · √(4/3) = ± 0.0047 top-100 and ± 0.047 RMSE: both offsets inside
    assert {row["verdict"] for row in rows} == {"holds"}
    rows = compare_with_tutorial(many, CONTEXT, MARGINS, "seeds only", pooled=pooled)["rows"]
    assert {(row["noise"]["estimate"], row["noise"]["degrees_of_freedom"]) for row in rows} == {("own", 9)}
    assert {row["verdict"] for row in rows} == {"fails"}  # ten seeds speak for themselves


def test_the_comparison_says_which_seed_noise_judged_its_figures():
    summary = summary_of({p.name: {"top_100_accuracy": (p.top_100_accuracy, 0.001), "rmse": (p.rmse, 0.01)}
                          for p in TUTORIAL})
    own = "\n".join(comparison_markdown(compare(summary)))
    assert "z and the prediction intervals use each pair's own seeds' std." in own
    pooled = {"top_100_accuracy": verdicts.SeedNoise(0.002, 40, 20, "pooled"),
              "rmse": verdicts.SeedNoise(0.02, 40, 20, "pooled")}
    text = "\n".join(comparison_markdown(compare_with_tutorial(summary, CONTEXT, MARGINS, "seeds only", pooled=pooled)))
    assert ("z and the prediction intervals of pairs with fewer than 10 seeds use the study's pooled seed noise, the "
            "within-trial std pooled over its 20 multi-seed trials: top-100 accuracy 0.0020 (40 degrees of freedom); "
            "RMSE 0.0200 (40 degrees of freedom); a pair with 10 or more seeds uses its own.") in text


# --- the tutorial's predicted rating (user "42", "Dances with Wolves (1990)") ---------------------------

class PredictingModel:
    """A stand-in joint model: user i's vector is i, title j's is j; it rates (user 2, title 1) `rating`."""

    def __init__(self, rating: float):
        self.rating = rating
        self.user_embedding = self.movie_embedding = lambda ids: np.asarray(ids, dtype=float)

    def predict_rating(self, users, titles):
        return np.where((users == 2) & (titles == 1), self.rating, np.nan)


def trainer_rating(ratings_by_seed):
    """A trainer whose joint model (kept on request) rates the tutorial's pair ratings_by_seed[seed]."""
    from sweep.record import Seconds, TrainResult

    def trainer(rating_weight, retrieval_weight, seed, model_config, train_config, prepared, keep_model=False):
        metrics = {**{f"top_{k}_accuracy": 0.1 for k in (1, 5, 10, 50, 100)}, "rmse": 1.1 + 0.01 * seed}
        model = PredictingModel(ratings_by_seed[seed]) if keep_model else None
        return TrainResult(metrics, [], Seconds(), model)

    return trainer


# "42" is the second user id (2) and the title the first (1), as StringLookup maps sorted vocabularies
KNOWS_THE_PAIR = SimpleNamespace(user_vocabulary=("1", "42"),
                                 title_vocabulary=("Dances with Wolves (1990)", "Heat (1995)"))


@pytest.mark.parametrize("ratings, verdict", [([3.30, 3.35, 3.40, 3.45, 3.50], "holds"),  # 3.402 within 3.40 ± 0.24
                                              ([3.90, 3.95, 4.00, 4.05, 4.10], "fails")])  # 3.402 far below 4.00 ± 0.24
def test_the_joint_models_predicted_rating_is_checked_like_every_logged_figure(ratings, verdict):
    from sweep.baselines import PREDICTION, TUTORIAL_PREDICTION, run_tutorial_models, summarize

    runs = run_tutorial_models({42: KNOWS_THE_PAIR}, range(5), trainer_rating(ratings), None, lambda message: None)
    assert [run[PREDICTION] for run in runs["joint"]] == pytest.approx(ratings)
    assert all(PREDICTION not in run for run in runs["ratings-only"] + runs["retrieval-only"])
    compared = compare_with_tutorial(summarize(runs), CONTEXT, MARGINS, "seeds only", figures="logged")
    row = compared["rows"][-1]
    assert (row["model"], row["metric"], row["written"], row["published"]) == ("joint", PREDICTION, "3.4021819", 3.4021819)
    assert (row["user"], row["title"]) == (TUTORIAL_PREDICTION.user, TUTORIAL_PREDICTION.title)
    # five seeds: mean ± t(0.975, 4) · s · √(1 + 1/5), s the sample std of 0.05 steps = 0.0791
    half = 2.7764451 * 0.0790569 * math.sqrt(1.2)
    assert row["interval"] == pytest.approx([np.mean(ratings) - half, np.mean(ratings) + half], abs=1e-5)
    assert row["verdict"] == verdict and compared["unchecked"] is None
    table = "\n".join(comparison_markdown(compared))
    assert "| joint | predicted rating (user 42, Dances with Wolves (1990)) | 3.4021819 |" in table


def test_without_the_tutorials_user_or_title_the_prediction_is_named_unchecked(prepared):
    from sweep.baselines import PREDICTION, run_tutorial_models, summarize

    runs = run_tutorial_models({42: prepared}, range(3), trainer_rating([3.4] * 3), None, lambda message: None)
    assert all(PREDICTION not in run for model_runs in runs.values() for run in model_runs)
    compared = compare_with_tutorial(summarize(runs), CONTEXT, MARGINS, "seeds only", figures="logged")
    assert all(row["metric"] != PREDICTION for row in compared["rows"])
    assert compared["unchecked"].startswith("The tutorial's predicted rating (user 42, Dances with Wolves (1990)), "
                                            "3.4021819, is not checked")
    assert compared["unchecked"] in comparison_markdown(compared)
