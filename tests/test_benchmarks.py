"""The benchmarks' own arithmetic: ABBA order, growth slopes, trials to reach a share of the front.

The benchmarks measure; these tests check what they compute from the measurements, on
inputs whose answers are known by hand. No timing is asserted anywhere.
"""

from __future__ import annotations

import json

import pytest

from benchmarks.batched_evaluation import differences
from benchmarks.bench_trial import abba_order
from benchmarks.data_scale import guide, slopes
from benchmarks.samplers import analyse, headline, winner

REFERENCE = {"top_100_accuracy": 0.0, "rmse": 2.0}


def test_abba_alternates_which_implementation_goes_first():
    orders = [abba_order(repeat) for repeat in range(4)]
    assert orders == [("reference", "sweep"), ("sweep", "reference"), ("reference", "sweep"), ("sweep", "reference")]
    # over an even number of repeats each goes first equally often
    assert sum(order[0] == "reference" for order in orders) == 2


def test_growth_slopes_read_1_for_linear_and_2_for_quadratic():
    assert slopes([(10, 3.0), (100, 30.0), (1000, 300.0)]) == pytest.approx([1.0, 1.0])
    assert slopes([(10, 1.0), (100, 100.0)]) == pytest.approx([2.0])
    assert slopes([(10, 5.0), (1000, 5.0)]) == pytest.approx([0.0])


def run(sampler: str, seed: int, points: list[tuple[float, float]]) -> dict:
    return {"sampler": sampler, "study_seed": seed,
            "trials": [{"top_100_accuracy": top, "rmse": rmse} for top, rmse in points]}


def test_trials_to_reach_count_from_the_pooled_best_front():
    # Reference (0, 2). The pooled front is (0.2, 1.0) alone: area 0.2 * 1.0 = 0.2.
    # Run "a": (0.1, 1.0) has area 0.1 (50 %), then (0.2, 1.0) makes it 100 % at trial 2.
    # Run "b": (0.19, 1.0) is 95 %: above 90 % at trial 1, never 98 %.
    runs = [run("a", 0, [(0.1, 1.0), (0.2, 1.0)]), run("b", 0, [(0.19, 1.0), (0.05, 1.5)])]
    analysis = analyse(runs, REFERENCE, n_trials=2)
    assert analysis["best_known_hypervolume"] == pytest.approx(0.2)
    a, b = analysis["samplers"]["a"], analysis["samplers"]["b"]
    assert a["runs"][0]["share_curve"] == pytest.approx([0.5, 1.0])
    assert a["trials_to_reach_median"] == {"0.90": 2.0, "0.98": 2.0}
    assert b["trials_to_reach_median"] == {"0.90": 1.0, "0.98": None}  # never reached: no number, not the budget
    assert b["runs_reaching"] == {"0.90": 1, "0.98": 0}
    assert winner(analysis, "0.98") == "a" and winner(analysis, "0.90") == "b"


def test_the_seeds_that_chose_the_default_sampler_count_in_the_yardstick_but_are_not_reported():
    # Seed 0 chose the default: its (0.4, 1.0) sets the pooled front (area 0.4 from (0, 2)), but only
    # seed 1's runs are read, at (0.2, 1.0) → 50 % and (0.1, 1.0) → 25 %.
    runs = [run("a", 0, [(0.4, 1.0)]), run("b", 0, [(0.3, 1.0)]),
            run("a", 1, [(0.2, 1.0)]), run("b", 1, [(0.1, 1.0)])]
    analysis = analyse(runs, REFERENCE, n_trials=1, selection_seeds=1)
    assert analysis["best_known_hypervolume"] == pytest.approx(0.4)
    assert (analysis["selection_seeds"], analysis["report_seeds"]) == ([0], [1])
    assert [r["study_seed"] for r in analysis["samplers"]["a"]["runs"]] == [1]
    assert analysis["samplers"]["a"]["final_share_median"] == pytest.approx(0.5)
    assert analysis["samplers"]["b"]["final_share_median"] == pytest.approx(0.25)
    assert analysis["paired"][0]["study_seeds"] == [1]


def test_a_slope_guide_ends_where_it_would_leave_the_panel():
    # slope 2 from (10, 1) reaches the top 100 at x = 100, long before x = 1000
    assert guide(10, 1.0, 2, 1000, 100.0) == ([10, pytest.approx(100)], [1.0, pytest.approx(100)])
    # slope 1 from (10, 1) reaches only 100 by x = 1000, under a top of 1000: it runs the whole width
    assert guide(10, 1.0, 1, 1000, 1000.0) == ([10, 1000], [1.0, pytest.approx(100)])


def test_the_samplers_title_says_which_reach_the_target_and_which_ends_highest():
    # the run of "a" reaches 100 % at trial 2, "b" ends at 95 % (the example above)
    analysis = analyse([run("a", 0, [(0.1, 1.0), (0.2, 1.0)]), run("b", 0, [(0.19, 1.0), (0.05, 1.5)])],
                       REFERENCE, n_trials=2)
    # one study seed each: no paired interval, so the title cannot call either ahead
    assert headline(analysis) == ("a, b reach 90% of the best front known (median run); "
                                  "a ends highest (median 100.0% after 2 trials) — paired by study seed, "
                                  "no two samplers are distinguishable")
    at_budget = next(item for item in analysis["paired"] if item["after_trials"] == 2)
    at_budget["reading"] = "b ahead"  # as if b's interval cleared 0 after the budget
    assert headline(analysis).endswith("— paired by study seed, b ahead of a after 2 trials; "
                                       "no other pair distinguishable")
    for entry in analysis["samplers"].values():  # as if every median run had missed it
        entry["trials_to_reach_median"]["0.90"] = None
    assert headline(analysis).startswith("No sampler's median run reaches 90% of the best front known in 2 trials;")


@pytest.mark.parametrize("module, result, options", [("samplers", "samplers.json", []),
                                                      ("data_scale", "cost-growth.json", ["--growth"])])
def test_a_benchmarks_figure_is_drawn_again_from_its_result_file_without_measuring(module, result, options, tmp_path):
    import importlib
    from pathlib import Path

    results = Path(__file__).resolve().parents[1] / "benchmarks" / "results"
    main = importlib.import_module(f"benchmarks.{module}").main
    assert main([*options, "--replot", str(results / result), "--plot", str(tmp_path / "figure.png")]) == 0
    assert (tmp_path / "figure.png").stat().st_size > 10_000


def test_a_sampler_that_misses_the_target_in_most_runs_has_no_median():
    # Three seeds: one reaches 98 % at trial 1, two never do: the median is "beyond the budget".
    best = run("best", 0, [(0.2, 1.0)])
    runs = [best, run("x", 0, [(0.2, 1.0)]), run("x", 1, [(0.1, 1.0)]), run("x", 2, [(0.1, 1.0)])]
    analysis = analyse(runs, REFERENCE, n_trials=1)
    assert analysis["samplers"]["x"]["trials_to_reach_median"]["0.98"] is None
    assert analysis["samplers"]["x"]["runs_reaching"]["0.98"] == 1


def test_the_default_sampler_is_the_one_the_committed_benchmark_found_fastest():
    from pathlib import Path

    from sweep.config import StudySettings

    results = Path(__file__).resolve().parents[1] / "benchmarks" / "results" / "samplers.json"
    assert StudySettings(name="x").sampler == json.loads(results.read_text())["fastest_to_98"]


def test_nsga2_population_is_a_quarter_of_the_budget_within_8_to_50():
    from sweep.per_pair import nsga2_population

    # 40 trials: 4 generations of 10, not one random generation of Optuna's default 50
    assert [nsga2_population(n) for n in (15, 40, 100, 1000)] == [8, 10, 25, 50]


# --- sparse ratings (benchmarks/sparse_ratings.py) ----------------------------------------------------


TRIALS = [{"number": 0, "rating_weight": 1.0, "retrieval_weight": 0.0, "rmse": 0.90, "top_100_accuracy": 0.06},
          {"number": 1, "rating_weight": 0.0, "retrieval_weight": 1.0, "rmse": 3.70, "top_100_accuracy": 0.24},
          {"number": 2, "rating_weight": 1.0, "retrieval_weight": 1.0, "rmse": 1.10, "top_100_accuracy": 0.235},
          {"number": 3, "rating_weight": 50.0, "retrieval_weight": 0.01, "rmse": 0.95, "top_100_accuracy": 0.07},
          {"number": 4, "rating_weight": 9.0, "retrieval_weight": 0.2, "rmse": 0.95, "top_100_accuracy": 0.25},
          {"number": 5, "rating_weight": 3.0, "retrieval_weight": 0.5, "rmse": 1.00, "top_100_accuracy": 0.231}]


def test_the_best_joint_pair_is_the_lowest_rmse_with_both_weights_above_zero():
    from benchmarks.sparse_ratings import best_joint

    assert best_joint(TRIALS)["number"] == 3  # ratings-only's 0.90 is not joint; 3 and 4 tie: the earlier trial


def test_the_best_joint_pair_keeping_retrieval_stays_within_the_margin_of_retrieval_only():
    from benchmarks.sparse_ratings import best_joint_keeping_retrieval

    # retrieval-only's top-100 is 0.24: trials 2 (0.235), 4 (0.25) and 5 (0.231) are within 0.01; 4 has the lowest RMSE
    assert best_joint_keeping_retrieval(TRIALS, 0.01)["number"] == 4
    assert best_joint_keeping_retrieval([TRIALS[1], TRIALS[3]], 0.01) is None  # none keeps retrieval


def test_the_best_ratings_only_is_the_rating_weight_of_lowest_mean_rmse():
    from benchmarks.sparse_ratings import best_rating_weight

    runs = [{"fraction": "0.2", "pair": [weight, 0.0], "seed": seed, "metrics": {"rmse": rmse}}
            for weight, rmses in ((1.0, (1.10, 1.12)), (10.0, (1.00, 1.06)), (100.0, (0.99, 1.09)))
            for seed, rmse in enumerate(rmses)]
    runs.append({"fraction": "0.2", "pair": [10.0, 0.5], "seed": 0, "metrics": {"rmse": 0.5}})  # joint: not a candidate
    runs.append({"fraction": "1.0", "pair": [3.0, 0.0], "seed": 0, "metrics": {"rmse": 0.5}})  # another fraction
    weight, means = best_rating_weight(runs, "0.2")
    assert weight == 10.0 and means == pytest.approx({1.0: 1.11, 10.0: 1.03, 100.0: 1.04})


def sparse_document(gains: dict, seeds=range(5)) -> dict:
    """Report runs where ratings-only's RMSE is 1.0 and the best joint pair's is 1.0 − gain (per seed),
    the best ratings-only's 0.99, the joint pair's control 1.0 − gain + 0.01, the tutorial's joint 1.0,
    the pair keeping retrieval 0.99; retrieval-only's top-100 0.24, the best joint's 0.23."""
    runs = [{"fraction": "1.0", "pair": [0.0, 1.0], "seed": seed, "metrics": {"rmse": 3.7, "top_100_accuracy": 0.24},
             "train_seconds": 4.0}
            for seed in seeds]
    for fraction, values in gains.items():
        for seed, value in zip(seeds, values, strict=True):
            for pair, rmse, top in (([20.0, 0.1], 1.0 - value, 0.23), ([1.0, 0.0], 1.0, 0.06),
                                    ([20.0, 0.0], 1.0 - value + 0.01, 0.06), ([1.0, 1.0], 1.0, 0.24),
                                    ([2.0, 0.5], 0.99, 0.24), ([2.0, 0.0], 0.995, 0.06), ([100.0, 0.0], 0.99, 0.06)):
                runs.append({"fraction": fraction, "pair": pair, "seed": seed,
                             "metrics": {"rmse": rmse, "top_100_accuracy": top}, "train_seconds": 1.0})
    return {"report_seeds": list(seeds), "margin_rmse": 0.02, "runs": runs,
            "fractions": {fraction: {"best_joint": {"pair": [20.0, 0.1]}, "best_joint_keeping_retrieval":
                                     {"pair": [2.0, 0.5]}, "best_ratings_only": {"rating_weight": 100.0},
                                     "rated_rows": 800} for fraction in gains}}


def test_sparse_gains_are_paired_by_seed_and_judged_against_the_margin():
    from benchmarks.sparse_ratings import analyse, headline

    document = sparse_document({"1.0": [0.00, 0.01, -0.01, 0.005, 0.0],  # whole interval below 0.02
                                "0.05": [0.05, 0.04, 0.06, 0.05, 0.045],  # whole interval above
                                "0.01": [0.0, 0.05, 0.01, 0.04, 0.03]})  # straddles it
    document["analysis"] = analyse(document)
    best = {fraction: document["analysis"][fraction]["best_joint"] for fraction in ("1.0", "0.05", "0.01")}
    assert {fraction: item["rmse_gain"]["verdict"] for fraction, item in best.items()} == {
        "1.0": "not reached", "0.05": "reached", "0.01": "undetermined"}
    assert best["0.05"]["rmse_gain"]["median"] == pytest.approx(0.05)
    # against the best ratings-only (0.99) each seed's gain is 0.01 smaller: 0.03 to 0.05, still above the margin
    assert best["0.05"]["rmse_gain_over_best_ratings_only"]["values"] == pytest.approx([0.04, 0.03, 0.05, 0.04, 0.035])
    assert best["0.05"]["rmse_gain_over_best_ratings_only"]["verdict"] == "reached"
    assert best["1.0"]["rmse_gain_over_best_ratings_only"]["verdict"] == "not reached"
    # its control trails it by 0.01 on every seed: what the second task adds at the same rating weight
    assert best["0.05"]["rmse_gain_over_control"]["values"] == pytest.approx([0.01] * 5)
    assert best["0.05"]["top_100_cost"]["median"] == pytest.approx(0.01)
    keeping = document["analysis"]["0.05"]["best_joint_keeping_retrieval"]
    assert keeping["rmse_gain"]["median"] == pytest.approx(0.01) and keeping["top_100_cost"]["median"] == 0.0
    assert keeping["rmse_gain_over_control"]["median"] == pytest.approx(0.005)
    assert document["analysis"]["0.05"]["tutorial_joint_rmse_gain"]["verdict"] == "not reached"
    assert headline(document) == ("The best joint pair beats ratings-only (1, 0) by more than 0.02 RMSE at fraction 0.05, "
                                  "and the best ratings-only at fraction 0.05")


def test_the_headline_names_the_fractions_reached_or_says_none_or_every():
    from benchmarks.sparse_ratings import analyse, headline

    document = sparse_document({"1.0": [0.0] * 5, "0.2": [0.0, 0.05, 0.01, 0.04, 0.03]})
    document["analysis"] = analyse(document)
    assert headline(document) == ("The best joint pair beats ratings-only (1, 0) by more than 0.02 RMSE at no fraction, "
                                  "and the best ratings-only at no fraction")
    every = sparse_document({"1.0": [0.05] * 5, "0.2": [0.06] * 5})
    every["analysis"] = analyse(every)
    assert headline(every).endswith("at every fraction, and the best ratings-only at every fraction")
    some = sparse_document({"1.0": [0.02] * 5, "0.2": [0.06] * 5})  # 0.01 over the best ratings-only at 1.0
    some["analysis"] = analyse(some)
    assert headline(some).endswith("at every fraction, but the best ratings-only only at fraction 0.2")


# --- deciding during a study: pruning, patience, the validation slice's optimism ------------------------------

CONTEXT = {"chance_top_100_accuracy": 0.1, "global_mean_rmse": 2.0}  # the trivial reference (0.1, 2.0)


def trial_run(number, top, rmse, state="COMPLETE", epochs=3, test=None):
    test_top, test_rmse = test or (top, rmse)
    return {"number": number, "state": state, "epochs_trained": epochs, "top_100_accuracy": top, "rmse": rmse,
            "test_top_100_accuracy": test_top, "test_rmse": test_rmse, "counts_for_front": state == "COMPLETE"}


# Three trade-offs, every one on the front: from the trivial reference (0.1, 2.0) they dominate
# 0.2 × 1.0 (the first) + 0.1 × 0.8 (the second beyond it) + 0.1 × 0.5 (the third) = 0.33.
FRONT = [(0.3, 1.0), (0.4, 1.2), (0.5, 1.5)]


def test_pruning_savings_and_loss_are_paired_by_seed_against_the_same_study_unpruned():
    from benchmarks.pruning import analyse

    runs = []
    for seed in range(10):
        unpruned = [trial_run(n, *point) for n, point in enumerate(FRONT)] + [trial_run(3, 0.2, 1.9)]
        # pruned: trial 3 (off the front) stopped after 1 of 3 epochs; wall 80 % of the unpruned run's
        pruned = unpruned[:3] + [trial_run(3, float("nan"), float("nan"), "PRUNED", 1)]
        runs += [{"study_seed": seed, "setting": None, "wall_seconds": 100.0, "epochs_per_training": 3,
                  "context_baselines": CONTEXT, "trials": unpruned},
                 {"study_seed": seed, "setting": "1,0.5", "wall_seconds": 80.0, "epochs_per_training": 3,
                  "context_baselines": CONTEXT, "trials": pruned}]
    found = analyse(runs)["settings"]["1,0.5"]
    assert found["trainings_saved"]["median"] == pytest.approx(1 - 10 / 12)  # 3+3+3+1 epochs against 12
    assert found["seeds"][0]["trainings_saved_count"] == pytest.approx(2 / 3)
    assert found["wall_saved"]["median"] == pytest.approx(0.2) and found["wall_saved"]["interval"] == pytest.approx([0.2, 0.2])
    assert found["hypervolume_lost"]["trivial"]["median"] == pytest.approx(0.0)  # the front kept every point


def test_pruning_a_front_point_loses_its_share_of_the_hypervolume():
    from benchmarks.pruning import paired_figures

    base = {"study_seed": 0, "wall_seconds": 10.0, "epochs_per_training": 1, "context_baselines": CONTEXT}
    unpruned = {**base, "trials": [trial_run(n, *point, epochs=1) for n, point in enumerate(FRONT)]}
    pruned = {**base, "trials": unpruned["trials"][:2] + [trial_run(2, 0, 0, "PRUNED", epochs=0)]}
    assert paired_figures(unpruned, pruned)["hypervolume_lost"]["trivial"] == pytest.approx(1 - 0.28 / 0.33)


def test_patience_is_replayed_with_the_products_own_rule_on_the_recorded_trials():
    from benchmarks.patience import seed_figures, stop_index

    # areas from (0.1, 2.0): 0.2, then 0.3 (+50 %), then three dominated trials adding nothing, then 0.33
    trials = [trial_run(0, 0.3, 1.0), trial_run(1, 0.5, 1.5), trial_run(2, 0.2, 1.9), trial_run(3, 0.2, 1.9),
              trial_run(4, 0.2, 1.9), trial_run(5, 0.4, 1.2)]
    run = {"study_seed": 3, "context_baselines": CONTEXT, "trials": trials}
    assert stop_index(run, patience=2, min_gain=0.01) == 4  # trials 2 and 3 stalled
    assert stop_index(run, patience=4, min_gain=0.01) is None  # three stalls, then growth
    figures = seed_figures(run, 2, 0.01)
    assert figures["trainings_saved"] == pytest.approx(2 / 6)
    assert figures["hypervolume_lost"]["trivial"] == pytest.approx(1 - 0.3 / 0.33)


def test_the_validation_optimism_compares_fronts_chosen_on_validation_and_on_test():
    from benchmarks.validation_optimism import analyse, seed_figures

    def metrics(top, rmse):
        return {"top_100_accuracy": top, "rmse": rmse}

    whole = [{"test": metrics(*point)} for point in FRONT]
    # on validation the first pair looks dominated by the second: the front chosen there leaves it out
    held = [{"validation": metrics(0.3, 1.6), "test": metrics(*FRONT[0])},
            {"validation": metrics(*FRONT[1]), "test": metrics(*FRONT[1])},
            {"validation": metrics(*FRONT[2]), "test": metrics(*FRONT[2])}]
    figures = seed_figures(0, whole, held, CONTEXT)
    # honest: (0.4, 1.2) and (0.5, 1.5) on test dominate 0.3 × 0.8 + 0.1 × 0.5 = 0.29 of the reported 0.33
    assert figures["honest_over_reported"]["trivial"] == pytest.approx(0.29 / 0.33)
    assert figures["chosen_on_test_over_honest"]["trivial"] == pytest.approx(0.33 / 0.29)
    found = analyse([figures, figures, figures])
    assert found["honest_over_reported"]["trivial"]["interval"] == pytest.approx([0.29 / 0.33] * 2)
    assert analyse([figures, figures])["honest_over_reported"]["trivial"]["interval"] is None  # two: their values


def test_the_optimism_benchmark_reads_the_study_pairs_from_the_committed_trials_table():
    from benchmarks.validation_optimism import ROOT, study_pairs

    pairs = study_pairs(ROOT / "benchmarks" / "results" / "tutorial-study.csv")
    assert len(pairs) >= 50 and (1.0, 0.0) in pairs and (0.0, 1.0) in pairs and (1.0, 1.0) in pairs


@pytest.mark.slow
def test_a_benchmark_study_runs_as_a_user_runs_it_with_the_fake_trainer(tmp_path, synthetic_dir, monkeypatch):
    from benchmarks.study_runs import run_study
    from tests.helpers import study_file

    monkeypatch.setenv("SWEEP_TRAINER", "tests.fake_trainer:train_and_evaluate")
    monkeypatch.setenv("SWEEP_DATA_DIR", str(synthetic_dir))
    path = study_file(tmp_path, n_trials=8, epochs=3,
                      search={"rating_weight": {"low": 1e-3, "high": 10.0}, "retrieval_weight": {"low": 1e-3, "high": 10.0}})
    plain = run_study(path, tmp_path / "runs", "plain", 5, {})
    pruned = run_study(path, tmp_path / "runs", "pruned", 5, {"prune": {"after_epoch": 1, "quantile": 0.5, "min_trials": 3}})
    assert len(plain["trials"]) == 8 and all(t["epochs_trained"] == 3 for t in plain["trials"])
    assert [t["state"] for t in plain["trials"]].count("COMPLETE") == 8
    assert sum(t["epochs_trained"] for t in pruned["trials"]) < 24 or "PRUNED" not in [t["state"] for t in pruned["trials"]]
    assert plain["context_baselines"] and plain["wall_seconds"] > 0


def test_the_hybrid_verifies_the_front_pairs_verify_would_choose_inside_the_trained_ratios():
    import numpy as np

    from benchmarks.conditioned_hybrid import chosen_pairs

    pairs = [[1.0, 0.1], [2.0, 0.1], [3.0, 0.1], [4.0, 0.1], [5.0, 0.1]]
    trained = [True, True, True, True, False]
    metrics = np.array([[0.2, 1.5], [0.5, 1.0], [0.1, 1.9], [0.3, 0.5], [0.9, 0.1]])
    reference = {"top_100_accuracy": 0.0, "rmse": 2.0}
    # Front of the trained pairs: 1 (0.5, 1.0) and 3 (0.3, 0.5); pair 4 is best but untrained, 0 and 2 dominated.
    # Alone: pair 1 holds 0.5 × 1.0 = 0.5, pair 3 holds 0.3 × 1.5 = 0.45: pair 1 first.
    assert chosen_pairs(pairs, trained, metrics, reference, 5) == [(2.0, 0.1), (4.0, 0.1)]
    assert chosen_pairs(pairs, trained, metrics, reference, 1) == [(2.0, 0.1)]


def test_a_hybrids_served_front_is_the_conditioned_models_pairs_and_its_verified_static_models_per_training():
    import numpy as np

    from benchmarks.conditioned_hybrid import served_fronts

    metrics = np.array([[[0.20, 1.0], [0.21, 1.1]], [[0.25, 1.2], [0.26, 1.3]]])  # 2 pairs × 2 trainings
    runs = [{"static_metrics": [[0.30, 0.9]]}, {"static_metrics": []}]  # the second training verified nothing
    first, second = served_fronts(metrics, runs)
    assert first.tolist() == [[0.20, 1.0], [0.25, 1.2], [0.30, 0.9]]
    assert second.tolist() == [[0.21, 1.1], [0.26, 1.3]]


def test_the_goals_hybrid_recipe_is_the_conditioned_one_only_when_it_holds_strictly_more():
    from benchmarks.conditioned_hybrid import preferred_recipe

    assert preferred_recipe({"train": 1.0, "conditioned": 1.1}) == "conditioned"
    assert preferred_recipe({"train": 1.0, "conditioned": 1.0}) == "train"
    assert preferred_recipe({"train": 1.1, "conditioned": 1.0}) == "train"


def test_batched_metrics_count_as_equal_only_with_every_top_k_equal_and_rmse_within_tolerance():
    per_pair = [{"top_100_accuracy": 0.25, "rmse": 1.0}, {"top_100_accuracy": 0.5, "rmse": 2.0}]
    close = [{"top_100_accuracy": 0.25, "rmse": 1.0 + 1e-7}, {"top_100_accuracy": 0.5, "rmse": 2.0}]
    assert differences(per_pair, close) == {"top_k_accuracies_differing": 0,
                                            "largest_relative_rmse_difference": pytest.approx(1e-7), "equal": True}
    one_hit_apart = [{"top_100_accuracy": 0.25, "rmse": 1.0}, {"top_100_accuracy": 0.50005, "rmse": 2.0}]
    assert differences(per_pair, one_hit_apart)["top_k_accuracies_differing"] == 1
    assert not differences(per_pair, one_hit_apart)["equal"]
    far = [{"top_100_accuracy": 0.25, "rmse": 1.0}, {"top_100_accuracy": 0.5, "rmse": 2.0 * (1 + 1e-5)}]
    assert differences(per_pair, far)["largest_relative_rmse_difference"] == pytest.approx(1e-5)
    assert not differences(per_pair, far)["equal"]


def test_samplers_are_compared_seed_by_seed_and_called_not_distinguishable_unless_the_interval_excludes_zero():
    from benchmarks.samplers import paired

    def runs(finals):
        return {"runs": [{"study_seed": seed, "share_curve": [final / 2, final]} for seed, final in enumerate(finals)]}

    base = [0.80, 0.85, 0.90, 0.70, 0.75, 0.95, 0.60, 0.88, 0.82, 0.78]
    better = [value + 0.05 for value in base]  # ahead by 0.05 at every seed
    mixed = [value + (0.05 if seed % 2 else -0.05) for seed, value in enumerate(base)]  # ahead at half the seeds
    comparisons = paired({"a": runs(better), "b": runs(base), "c": runs(mixed)}, 2)
    final = {(item["first"], item["second"]): item for item in comparisons if item["after_trials"] == 2}
    assert final[("a", "b")]["reading"] == "a ahead"
    assert final[("a", "b")]["difference"]["median"] == pytest.approx(0.05)
    assert final[("a", "b")]["wilcoxon_p"] < 0.01
    assert final[("b", "c")]["reading"] == "not distinguishable"
    assert final[("a", "b")]["study_seeds"] == list(range(10))


def test_the_committed_conditioned_result_records_its_goal_so_a_script_can_check_it():
    from pathlib import Path

    document = json.loads((Path(__file__).parent.parent / "benchmarks" / "results" / "conditioned.json").read_text())
    goal = document["goal"]
    assert set(goal["search_range"]) == {"rating_weight", "retrieval_weight"}
    assert not set(goal["selection_seeds"]) & set(goal["report_seeds"]) and len(goal["report_seeds"]) >= 5
    share = goal["hypervolume_share"]
    assert share["low"] <= share["median"] <= share["high"]
    reached = share["median"] >= 0.98 and share["low"] >= 0.95
    assert share["verdict"] == ("reached" if reached else "not reached" if share["high"] < 0.98 else "undetermined")
    worth = goal["trainings_worth"]
    assert worth["total"] == pytest.approx(worth["training"] + worth["evaluation"], rel=0.05)  # medians of each
    assert goal["evaluate_seconds_per_pair_model"] > 0
    assert {"best_top_100", "best_rmse"} <= set(goal["front_ends"])
    hybrid = goal["hybrid"]
    assert hybrid["trainings"] <= 12 and hybrid["hypervolume_share"]["low"] <= hybrid["hypervolume_share"]["high"]
    for entry in (hybrid["hypervolume_share"], hybrid["static_models_alone"],
                  *hybrid["hypervolume_share_other_references"].values()):
        assert entry["verdict"] == ("reached" if entry["low"] >= 0.98 else "not reached" if entry["high"] < 0.98
                                    else "undetermined")


def test_the_cost_reads_a_repeat_per_training_the_first_apart_and_the_static_evaluations_uncounted():
    from benchmarks.conditioned import cost_parts

    # Static: a first training of 3 s (tracing), then 2 s each; conditioned: a first of 6 + 1 s, then 5 + 0.5 s.
    row = {"static": {"trainings": [{"train": 3.0, "evaluate": 0.0}] + [{"train": 2.0, "evaluate": 0.0}] * 3},
           "conditioned": {"trainings": [{"train": 6.0, "evaluate": 1.0}, {"train": 5.0, "evaluate": 0.5},
                                         {"train": 5.0, "evaluate": 0.5}]}}
    static_mean = (3.0 + 3 * 2.0) / 4
    assert cost_parts(row, "study") == pytest.approx(
        {"training": 16.0 / 3 / static_mean, "evaluation": 2.0 / 3 / static_mean, "total": 18.0 / 3 / static_mean})
    assert cost_parts(row, "one_seed")["total"] == pytest.approx(7.0 / static_mean)
    assert cost_parts(row, "later")["total"] == pytest.approx(5.5 / 2.0)
    assert cost_parts(row, "first")["total"] == pytest.approx(7.0 / 3.0)


def test_the_goals_hybrid_share_recomputes_from_the_committed_runs_with_a_hypervolume_of_its_own():
    """Each report seed's front as the study holds it (the conditioned model at every pair, and the models
    verified with the recipe and the fill chosen on selection seeds) over the median of the sweep's single-seed fronts'
    hypervolumes, from the trivial baselines: a 2-D hypervolume written here, not the package's."""
    import csv
    import statistics
    from pathlib import Path

    root = Path(__file__).parent.parent

    def area(points, chance, mean_rmse):  # maximise top-100, minimise RMSE; the staircase beyond the corner
        inside = sorted((top, rmse) for top, rmse in points if top > chance and rmse < mean_rmse)
        total, best_rmse = 0.0, mean_rmse
        for index in range(len(inside) - 1, -1, -1):  # from the highest top-100 down
            top, rmse = inside[index]
            best_rmse = min(best_rmse, rmse)
            lower = inside[index - 1][0] if index else chance
            total += (top - lower) * (mean_rmse - best_rmse)
        return total

    document = json.loads((root / "benchmarks" / "results" / "conditioned.json").read_text())
    choice = json.loads((root / "benchmarks" / "results" / "conditioned-hybrid-selection.json").read_text())
    context = json.loads((root / "reports" / "tutorial" / "summary.json").read_text())["context_baselines"]
    corner = (context["chance_top_100_accuracy"], context["global_mean_rmse"])
    with (root / "benchmarks" / "results" / "tutorial-study.csv").open(newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row["state"] == "COMPLETE"]
    sweep = [area([(float(row[f"seed{k}_top_100_accuracy"]), float(row[f"seed{k}_rmse"])) for row in rows], *corner)
             for k in (0, 1)]
    layers = choice["chosen"] == "layers"  # the fill chosen on selection seeds, then the recipe
    hybrid = ({"train": document["hybrid_layers"], "conditioned": document["hybrid_recipes"]["conditioned_layers"]} if layers
              else {"train": document["hybrid"], "conditioned": document["hybrid_recipes"]["conditioned"]}
              )[choice["recipe_choice"]["chosen"]]
    metrics = document["variants"]["shipped"]["per_training_metrics"]["metrics"]  # pairs × trainings × 2
    shares = [area([tuple(pair[index]) for pair in metrics] + [tuple(point) for point in run["static_metrics"]], *corner)
              / statistics.median(sweep) for index, run in enumerate(hybrid["runs"])]
    assert document["goal"]["hybrid"]["verify_recipe"] == choice["recipe_choice"]["chosen"]
    assert document["goal"]["hybrid"]["rule"] == ("layers" if layers else "front")
    assert document["goal"]["hybrid"]["hypervolume_share"]["median"] == pytest.approx(statistics.median(shares), rel=1e-9)
    robust = document["goal"]["hybrid"]["robustness"]
    for index, entry in enumerate(robust["left_out"]):
        assert entry["median"] == pytest.approx(statistics.median(shares[:index] + shares[index + 1:]), rel=1e-9)
    low = document["goal"]["hybrid"]["hypervolume_share"]["low"]
    # A resampled median of ten shares is the mean of two: the low end is the mean of the named seeds' shares.
    named = [shares[document["seeds"]["report_seeds"].index(seed)] for seed in robust["low_end_seeds"]]
    assert statistics.mean(named) == pytest.approx(low, rel=1e-9)


def candidate(share: float, top: float, rmse: float) -> dict:
    return {"trained_pairs": {"shares": {"trivial": {"share": {"median": share}}}},
            "front_ends": {"best_top_100": {"median": top}, "best_rmse": {"median": rmse}}}


def test_the_conditioned_selection_ships_the_highest_share_among_candidates_that_meet_every_goal():
    from benchmarks.conditioned import select

    variants = {"shipped": candidate(1.14, 0.275, 0.930),       # highest share, misses the top-100 end
                "reference-10": candidate(1.10, 0.282, 0.937),  # meets all three
                "reference-3": candidate(1.05, 0.290, 0.950),   # meets all three, lower share
                "epochs-9": candidate(0.97, 0.285, 0.940)}      # the ends, not the share
    assert select(variants) == "reference-10"
    variants["reference-10"] = candidate(1.10, 0.282, 0.960)    # now misses the RMSE end
    assert select(variants) == "reference-3"
    # none meets every goal: the highest share, the earlier rule
    assert select({"shipped": candidate(1.14, 0.275, 0.93), "film-16": candidate(0.9, 0.25, 0.95)}) == "shipped"
    # a variant that was never a candidate (a baseline shown beside) is never shipped
    assert select({"borrowed-ranges": candidate(1.5, 0.3, 0.9), "shipped": candidate(1.0, 0.2, 1.0)}) == "shipped"
    # a later round chooses among its own candidates only
    assert select(variants, among=("shipped", "epochs-9")) == "shipped"


def test_round_three_ships_the_candidate_whose_worst_goal_margin_is_largest():
    from benchmarks.conditioned import select_balanced, smallest_margin

    # margins, worked by hand: share (s − 0.98) / 0.98, top-100 (t − 0.28) / 0.28, RMSE (0.955 − r) / 0.955
    assert smallest_margin(1.078, 0.294, 0.9455) == pytest.approx(min(0.1, 0.05, 0.0095 / 0.955))
    assert smallest_margin(1.2, 0.2786, 0.90) == pytest.approx(-0.005)  # misses top-100 by 0.5 %
    variants = {"shipped": candidate(1.115, 0.2802, 0.9412),      # top-100 met by 0.07 %
                "rate-0.035": candidate(1.10, 0.2880, 0.9470),    # worst: RMSE, 0.84 %
                "rate-0.025": candidate(1.104, 0.2949, 0.9514)}   # worst: RMSE, 0.38 %
    assert select_balanced(variants) == "rate-0.035"
    # every candidate misses a goal: the one that misses least
    assert select_balanced({"shipped": candidate(1.1, 0.27, 0.94), "rate-0.03": candidate(0.9, 0.29, 0.94)},
                           among=("shipped", "rate-0.03")) == "shipped"  # −3.6 % against −8.2 %
    # only the round's candidates
    assert select_balanced({"borrowed-ranges": candidate(1.5, 0.31, 0.90), **variants}) == "rate-0.035"


def test_the_draws_mean_pair_is_the_mean_of_the_pairs_a_conditioned_training_draws():
    import numpy as np

    from benchmarks.conditioned import STUDY_FILE, mean_pair
    from sweep.conditioned_pairs import draw_preferences
    from sweep.conditioned_study import search_ranges
    from sweep.config import load_study_file

    spec = load_study_file(STUDY_FILE)
    config = spec.conditioned
    drawn = draw_preferences(np.random.default_rng(0), search_ranges(spec), tuple(config.reference), 400_000,
                             config.zero_share)
    assert mean_pair(spec) == pytest.approx(tuple(drawn.astype(np.float64).mean(axis=0)), rel=0.01)
    # by hand: λ uniform on about (0.001, 1), 5 % single-task rows: (0.95 · 0.5 · 10 + 0.025 · 10, …) ≈ (5, 0.05)
    assert mean_pair(spec) == pytest.approx((5.0, 0.05), rel=0.002)


def test_the_conditioned_recipe_as_a_static_training_keeps_what_a_pair_means():
    from benchmarks.conditioned import STUDY_FILE, conditioned_recipe
    from sweep.config import load_study_file

    spec = load_study_file(STUDY_FILE)
    train, rescale = conditioned_recipe(spec)
    # the study file's [conditioned] epochs, batch and rate, the rest the tutorial's [train]
    config = spec.conditioned
    assert (train.epochs, train.batch_size, train.learning_rate) == (config.epochs, config.batch_size,
                                                                     config.learning_rate)
    assert train.epochs > spec.train.epochs and train.learning_rate < spec.train.learning_rate  # longer, slower
    assert (train.optimizer, train.eval_batch_size) == (spec.train.optimizer, spec.train.eval_batch_size)
    # a pair's retrieval term is a Σ over the tutorial's batch of 8192: at 4096 rows it weighs twice
    assert rescale == 2.0


def with_fronts(entry: dict, points_per_training: int, trainings: int = 3) -> dict:
    """A candidate whose every training's front has `points_per_training` points (a staircase), one pair off it."""
    import numpy as np

    stairs = [[0.20 + 0.01 * k, 0.94 + 0.01 * k] for k in range(points_per_training)] + [[0.10, 1.05]]
    metrics = np.repeat(np.asarray(stairs)[:, None, :], trainings, axis=1)
    return entry | {"per_training_metrics": {"trained": [True] * len(stairs), "metrics": metrics.tolist()}}


def test_round_four_ships_a_front_of_several_points_before_a_better_single_point():
    from benchmarks.conditioned import median_front_points, select_front

    point = with_fronts(candidate(1.12, 0.290, 0.945), 1)        # the best margins, but one point
    assert median_front_points(point) == 1
    narrow = with_fronts(candidate(1.00, 0.282, 0.954), 3)       # a front, margins thin
    wide = with_fronts(candidate(1.05, 0.285, 0.950), 5)         # a front, margins wider
    among = ("shipped", "film-16", "film-8")
    assert select_front({"shipped": point, "film-16": narrow, "film-8": wide}, among) == "film-8"
    assert select_front({"shipped": point, "film-16": narrow}, among) == "film-16"
    # no candidate makes a front: the study file stays
    assert select_front({"shipped": point, "film-16": with_fronts(candidate(1.2, 0.3, 0.9), 2)}, among) == "shipped"
