"""Adaptive weighting methods in a study: enqueued like the tutorial's pairs, judged against the static front.

The fake trainer ends each method at a known weight pair (tests/fake_trainer.py
METHOD_WEIGHTS) with the metrics of that pair, every seed alike, so whether a static trial
dominates a method is known exactly and checked by brute force here.
"""

from __future__ import annotations

import json
import math
import statistics

import pandas as pd
import pytest
from scipy import stats

from sweep import UsageError
from sweep.config import METHODS, parse_study
from sweep.report import FILES, WEIGHTS_FILE
from sweep.report.methods import assess, markdown_lines
from tests.fake_trainer import METHOD_WEIGHTS, expected_metrics
from tests.helpers import study_file, study_text, sweep_cli, sweep_run

import tomllib


def read_trials(out) -> pd.DataFrame:
    table = pd.read_csv(out / "trials.csv", keep_default_na=False, na_values=[""])
    return table.assign(method=table["method"].fillna(""))


def spec_of(**sections):
    return parse_study(tomllib.loads(study_text(**sections)))


def test_a_study_file_names_its_methods_and_an_unknown_one_is_one_line():
    assert spec_of(weighting={"methods": ["gradnorm", "dwa"]}).methods == ("gradnorm", "dwa")
    with pytest.raises(UsageError, match=r"^weighting.methods: unknown 'adam' \(known: uncertainty, dwa, "):
        spec_of(weighting={"methods": ["adam"]})
    with pytest.raises(UsageError, match="a method twice"):
        spec_of(weighting={"methods": ["dwa", "dwa"]})


def test_methods_change_a_studys_identity_but_none_leaves_older_studies_hash_alone():
    plain = spec_of()
    assert "methods" not in plain.identity()
    assert spec_of(weighting={"methods": []}).hash == plain.hash
    assert spec_of(weighting={"methods": ["dwa"]}).hash != plain.hash


@pytest.fixture(scope="module")
def methods_study(tmp_path_factory, synthetic_dir):
    root = tmp_path_factory.mktemp("methods")
    storage = f"sqlite:///{root / 'm.db'}"
    path = study_file(root, "m", n_trials=12, search={"retrieval_weight": {"low": 1e-7, "high": 1.0}},
                      study={"replicates": 2, "seed": 1}, weighting={"methods": list(METHODS)})
    result = sweep_run(path, storage, synthetic_dir)
    assert result.returncode == 0, result.stderr
    out = root / "report"
    reported = sweep_cli(["report", "m", "--storage", storage, "--out", out])
    assert reported.returncode == 0, reported.stderr
    return storage, out


def test_each_method_runs_once_with_the_studys_seeds_and_ends_at_its_weights(methods_study):
    _, out = methods_study
    table = read_trials(out)
    rows = table[table["method"] != ""].set_index("method")
    assert sorted(rows.index) == sorted(METHODS)
    for method, (rating, retrieval) in METHOD_WEIGHTS.items():
        row = rows.loc[method]
        assert row["n_seeds"] == 2 and row["state"] == "COMPLETE"
        assert (row["rating_weight"], row["retrieval_weight"]) == pytest.approx((rating, retrieval))
        assert row["top_100_accuracy"] == pytest.approx(expected_metrics(rating, retrieval)["top_100_accuracy"])
        assert not row["pareto"]  # judged against the front, never on it


def test_the_front_is_made_of_static_trials_only(methods_study):
    _, out = methods_study
    table = read_trials(out)
    static = table[(table["state"] == "COMPLETE") & (table["method"] == "")]
    brute = [not any(o.top_100_accuracy >= s.top_100_accuracy and o.rmse <= s.rmse and
                     (o.top_100_accuracy > s.top_100_accuracy or o.rmse < s.rmse) for o in static.itertuples())
             for s in static.itertuples()]
    assert static["pareto"].tolist() == brute


def test_the_report_says_whether_the_static_front_dominates_each_method(methods_study):
    _, out = methods_study
    table = read_trials(out)
    static = table[(table["state"] == "COMPLETE") & (table["method"] == "")]
    judged = {item["method"]: item for item in json.loads((out / "summary.json").read_text())["methods"]}
    assert sorted(judged) == sorted(METHODS)
    for method, item in judged.items():
        metrics = expected_metrics(*METHOD_WEIGHTS[method])
        top, rmse = metrics["top_100_accuracy"], metrics["rmse"]
        beaters = sorted(int(s.number) for s in static.itertuples()
                         if s.top_100_accuracy >= top and s.rmse <= rmse and (s.top_100_accuracy > top or s.rmse < rmse))
        assert item["dominated_by_mean"] == beaters
        # every seed alike: each bootstrap resample is the means, so P is 0 or 1 and the verdict exact
        assert item["p_dominated"] == (1.0 if beaters else 0.0)
        if beaters:
            assert item["rival"] in beaters and item["rival_verdict"]["verdict"] == "holds"
            assert item["hypervolume_contribution"] == 0.0  # inside the region the static trials dominate
        else:
            assert item["rival"] is None and item["hypervolume_contribution"] >= 0.0
    text = (out / "summary.md").read_text()
    assert "## Adaptive weighting against the static front" in text
    assert all(f"| {method} |" in text for method in METHODS)


def test_the_report_draws_the_methods_and_their_weights_over_training(methods_study):
    _, out = methods_study
    assert sorted(p.name for p in out.iterdir()) == sorted(FILES + (WEIGHTS_FILE,))
    page = (out / "index.html").read_text()
    assert "Adaptive weights over training" in page
    svg = (out / "pareto.svg").read_text()
    table = read_trials(out)
    assert svg.count('id="point-') == (table["state"] == "COMPLETE").sum()  # methods are hoverable too


@pytest.mark.slow
def test_compare_carries_the_methods_of_each_study(methods_study, tmp_path):
    storage, _ = methods_study
    result = sweep_cli(["compare", "m", "--storage", storage, "--out", tmp_path / "c"])
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "c" / WEIGHTS_FILE).exists()
    assert "## Adaptive weighting against the static front" in (tmp_path / "c" / "summary.md").read_text()


def test_a_methods_tooltip_names_the_method(methods_study):
    _, out = methods_study
    page = (out / "index.html").read_text()
    assert "method gradnorm: weights where its training ended" in page


METHOD_TOPS, METHOD_RMSES = [0.20, 0.21, 0.22], [1.00, 1.01, 1.02]  # each std 0.01


def judged_against(static: list[tuple[float, float]]) -> dict:
    """The method above judged against static trials 0, 1, … whose seeds are the method's shifted by
    (top-100, RMSE) offsets: same spread, so Welch's test has 2n − 2 = 4 degrees of freedom."""
    rows = []
    for number, (top_shift, rmse_shift) in enumerate(static):
        rows.append(trial_row(number, "", [t + top_shift for t in METHOD_TOPS], [r + rmse_shift for r in METHOD_RMSES]))
    rows.append(trial_row(len(static), "gradnorm", METHOD_TOPS, METHOD_RMSES))

    (item,) = assess(pd.DataFrame(rows), {"top_100_accuracy": 0.0, "rmse": 2.0})
    return item


def trial_row(number: int, method: str, tops: list[float], rmses: list[float]) -> dict:
    row = {"study": "s", "number": number, "state": "COMPLETE", "method": method, "counts_for_front": not method,
           "pareto": not method, "log10_weight_ratio": 0.0, "rating_weight": 1.0, "retrieval_weight": 1.0,
           "n_seeds": len(tops), "top_100_accuracy": sum(tops) / len(tops), "rmse": sum(rmses) / len(rmses),
           "top_100_accuracy_std": statistics.stdev(tops), "rmse_std": statistics.stdev(rmses)}
    for index, (top, rmse) in enumerate(zip(tops, rmses, strict=True)):
        row[f"seed{index}_top_100_accuracy"], row[f"seed{index}_rmse"] = top, rmse
    return row


# Better by 0.03 top-100 (t = 0.03 / (0.01 · √(2/3)) = 3.674, one-sided p = 0.0107 at 4 df) and by 0.1
# RMSE (p far smaller): alone, dominated beyond doubt at 2.5 % a side; among five candidates Holm asks 5p ≤ 2.5 %.
BORDERLINE = (0.03, -0.1)
WORSE_ON_TOP, WORSE_ON_RMSE = (-0.1, -0.1), (0.1, 0.1)


def test_a_rival_that_dominates_beyond_doubt_alone_is_undetermined_among_five_candidates():
    p = stats.t.sf(0.03 / (0.01 * math.sqrt(2 / 3)), 4)
    assert 0.01 < p < 0.025 < 5 * p  # the case is what it claims to be
    alone = judged_against([BORDERLINE])
    assert alone["rival"] == 0 and alone["rival_verdict"]["verdict"] == "holds"
    assert alone["rival_verdict"]["rival_p_value"] == pytest.approx(p)
    among = judged_against([WORSE_ON_TOP, WORSE_ON_RMSE, BORDERLINE, WORSE_ON_TOP, WORSE_ON_RMSE])
    verdict = among["rival_verdict"]
    assert among["rival"] == 2 and verdict["verdict"] == "undetermined"
    assert verdict["rival_adjusted_p_value"] == pytest.approx(5 * p)
    assert (verdict["candidate_rivals"], verdict["dominated_by"]) == (5, [])
    assert verdict["rule"] == "Holm over every static trial with two or more seeds"


def test_a_method_every_static_trial_is_worse_than_on_some_objective_is_not_dominated():
    item = judged_against([WORSE_ON_TOP, WORSE_ON_RMSE, WORSE_ON_TOP])
    assert item["rival"] is None  # no static trial's mean is better on both
    assert item["rival_verdict"]["verdict"] == "fails" and item["rival_verdict"]["dominated_by"] == []


def test_a_clear_rival_survives_the_correction_and_the_report_words_the_rule():
    item = judged_against([WORSE_ON_TOP, (0.1, -0.1), WORSE_ON_RMSE])
    assert item["rival"] == 1 and item["rival_verdict"]["verdict"] == "holds"
    assert item["rival_verdict"]["dominated_by"] == [1]

    text = "\n".join(markdown_lines([item]))
    assert "| dominated by a static trial? (Holm) |" in text
    assert "| dominated by trial 1, Holm-adjusted p " in text and " (its top-100 − method's [+" in text
    assert "every static trial with two or more seeds is a candidate rival, and the verdict corrects for their " \
           "number with Holm's step-down" in text
