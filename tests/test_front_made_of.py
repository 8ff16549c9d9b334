"""benchmarks/front_made_of.py's arithmetic: every choice and share on constructed runs with known answers.

Hypervolumes here are rectangles' areas worked by hand from the reference (chance 0.05, RMSE 1.15)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from benchmarks import front_made_of as made

CONTEXT = {"chance_top_100_accuracy": 0.05, "global_mean_rmse": 1.15, "most_popular_top_100_accuracy": 0.30,
           "user_item_bias_rmse": 0.94}
REFERENCE = {"top_100_accuracy": 0.05, "rmse": 1.15}


def trial(number, pair, runs, params=None, seeds=None):
    return {"number": number, "pair": pair, "runs": runs, "params": params or {}, "tutorial_pair": "",
            "seeds": seeds or list(range(len(runs)))}


def test_the_tutorial_studys_trials_are_read_seed_by_seed_from_its_committed_table(tmp_path):
    table = tmp_path / "trials.csv"
    table.write_text(
        "number,state,tutorial_pair,rating_weight,retrieval_weight,pareto,seeds,seed0_rmse,seed0_top_100_accuracy,"
        "seed1_rmse,seed1_top_100_accuracy\n"
        "0,COMPLETE,ratings-only,1,0,False,11 12,1.1,0.06,1.2,0.07\n"
        "1,FAIL,,3,0.1,False,,,,,\n"
        "2,COMPLETE,,28.4,0.077,True,13 14,0.98,0.26,0.99,0.27\n")
    rows = made.tutorial_trials(table)
    assert [row["number"] for row in rows] == [0, 2]
    assert rows[1]["pair"] == (28.4, 0.077) and rows[1]["pareto"] and rows[1]["seeds"] == [13, 14]
    assert rows[1]["runs"] == [[0.26, 0.98], [0.27, 0.99]]  # (top-100, RMSE) per seed
    assert made.runs_array(rows).shape == (2, 2, 2)


def test_trials_with_different_seed_counts_make_no_like_for_like_fronts():
    with pytest.raises(SystemExit, match="different numbers of seeds"):
        made.runs_array([trial(0, (1, 0), [[0.1, 1.0]]), trial(1, (1, 1), [[0.1, 1.0], [0.2, 1.1]])])


def test_adams_rate_is_the_one_whose_single_seed_fronts_hold_the_most_hypervolume_on_average():
    def run(rate, seed, top, rmse):
        return {"label": f"lr={rate:g}", "seed": seed, "pair": [1, 1], "metrics": {"top_100_accuracy": top, "rmse": rmse}}
    results = [run(0.001, 1, 0.15, 1.05), run(0.001, 2, 0.15, 1.05),  # 0.10 × 0.10 = 0.010 on both seeds
               run(0.01, 1, 0.25, 1.05), run(0.01, 2, 0.05, 1.15),  # 0.020, then nothing: mean 0.010
               run(0.03, 1, 0.25, 1.10), run(0.03, 2, 0.15, 1.00)]  # 0.010 and 0.015: mean 0.0125
    chosen = made.choose_rate(results + [{"label": "lr=0.03", "seed": 2, "pair": [2, 1], "failed": "non-finite loss"}],
                              REFERENCE)
    assert chosen["chosen_learning_rate"] == 0.03
    assert chosen["hypervolume_by_rate"] == pytest.approx({"0.001": 0.010, "0.01": 0.010, "0.03": 0.0125})


def test_the_best_scale_holds_the_most_hypervolume_over_its_ratios_from_seed_means():
    trials = [  # (ratio 0.01 or 0.1) × (scale 10 or 100); each pair's two seeds average to the point shown
        trial(0, (10 / 1.01, 10 * 0.01 / 1.01), [[0.10, 1.00], [0.10, 1.10]]),  # mean (0.10, 1.05)
        trial(1, (10 / 1.1, 10 * 0.1 / 1.1), [[0.20, 1.10], [0.20, 1.10]]),  # (0.20, 1.10)
        trial(2, (100 / 1.01, 100 * 0.01 / 1.01), [[0.10, 0.95], [0.10, 0.95]]),  # (0.10, 0.95)
        trial(3, (100 / 1.1, 100 * 0.1 / 1.1), [[0.15, 1.00], [0.15, 1.00]]),  # (0.15, 1.00)
    ]
    found = made.best_scale(trials, REFERENCE)
    # scale 10: 0.15·0.05 + 0.05·0.05 = 0.0100; scale 100: 0.10·0.15 + 0.05·0.05 = 0.0175
    assert found["hypervolume_by_scale"] == pytest.approx({"10": 0.0100, "100": 0.0175})
    assert found["best_scale"] == pytest.approx(100)
    lines = made.scale_lines(trials)
    assert list(lines) == ["0.01", "0.1"] and [t["number"] for t in lines["0.1"]] == [1, 3]


def test_a_candidate_front_equal_to_the_baseline_is_a_share_of_one_at_every_reference():
    runs = [[[0.10, 1.00], [0.12, 1.02], [0.11, 1.01]], [[0.20, 1.10], [0.22, 1.08], [0.21, 1.09]]]
    baseline = [trial(n, (1, n), [seeds[0], seeds[1]]) for n, seeds in enumerate(runs)]
    copy = [trial(n, (1, n), [seeds[0], seeds[1]]) for n, seeds in enumerate(runs)]
    shares = made.share(copy, baseline, CONTEXT)["shares"]
    assert set(shares) == {"trivial", "nadir", "fixed"}
    for found in shares.values():  # the median of two equal fronts' ratios to their own median is 1
        assert found["share"]["median"] == pytest.approx(1.0)


def test_beyond_candidates_are_the_best_of_each_objective_and_the_nearest_to_beating_both():
    trials = [trial(0, (1, 0.1), [[0.33, 1.10], [0.31, 1.12]], {"learning_rate": 0.1}),  # best top-100, bad RMSE
              trial(1, (100, 0.01), [[0.10, 0.90], [0.12, 0.92]], {"learning_rate": 0.2}),  # best RMSE
              trial(2, (10, 0.05), [[0.29, 0.95], [0.29, 0.95]], {"learning_rate": 0.3})]  # just short of both
    chosen = made.beyond_candidates(trials, CONTEXT)
    assert [chosen[name]["trial"] for name in ("best_top_100", "best_rmse", "nearest_both")] == [0, 1, 2]
    assert chosen["nearest_both"]["params"] == {"learning_rate": 0.3}
    assert chosen["best_top_100"]["selection_means"] == pytest.approx({"top_100_accuracy": 0.32, "rmse": 1.11})


def test_a_margin_beyond_the_baseline_is_positive_when_it_beats_it_and_judged_against_zero():
    runs = [{"metrics": {"top_100_accuracy": 0.30 + 0.01 * k, "rmse": 0.96 + 0.001 * k}} for k in range(1, 6)]
    margins = made.margin_verdicts(runs, CONTEXT)
    assert margins["top_100_accuracy"]["median"] == pytest.approx(0.03)  # 0.33 − 0.30: above most-popular
    assert margins["top_100_accuracy"]["verdict"] == "reached"
    assert margins["rmse"]["median"] == pytest.approx(0.94 - 0.963)  # above the bias RMSE: a negative margin
    assert margins["rmse"]["verdict"] == "not reached"
    assert not math.isnan(margins["rmse"]["interval"][0])
    assert np.allclose(margins["rmse"]["values"], [0.94 - (0.96 + 0.001 * k) for k in range(1, 6)])


# --- the committed study files follow the committed selections -------------------------------

def test_the_adam_study_trains_the_tutorial_studys_pairs_at_the_rate_its_selection_chose():
    from sweep.config import load_study_file

    result = json.loads(made.RESULT.read_text())
    spec = load_study_file(made.ROOT / "studies" / "adam.toml")
    assert spec.train.optimizer == "adam"
    assert spec.train.learning_rate == result["adam_selection"]["chosen_learning_rate"]
    assert [list(pair) for pair in spec.pairs] == [list(trial["pair"]) for trial in made.tutorial_trials()]
    selection = set(result["adam_selection"]["selection_seeds"])
    assert selection.isdisjoint(result["analysis"]["adam"]["seeds"])  # chosen on some seeds, reported on others


def test_the_ratio_only_study_searches_the_ratio_at_the_scale_scans_best_scale():
    from sweep.config import load_study_file

    result = json.loads(made.RESULT.read_text())
    spec = load_study_file(made.ROOT / "studies" / "ratio-only.toml")
    scale = next(item for item in spec.search if item.name == "weight_scale")
    assert scale.low == scale.high == result["analysis"]["scale_scan"]["best_scale"]
    assert set(result["analysis"]["scale_scan"]["seeds"]).isdisjoint(result["analysis"]["ratio_only"]["seeds"])
