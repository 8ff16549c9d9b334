"""Adaptive weighting methods in a study: enqueued like the tutorial's pairs, judged against the static front.

The fake trainer ends each method at a known weight pair (tests/fake_trainer.py
METHOD_WEIGHTS) with the metrics of that pair, every seed alike, so whether a static trial
dominates a method is known exactly and checked by brute force here.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from sweep import UsageError
from sweep.config import METHODS, parse_study
from sweep.report import FILES, WEIGHTS_FILE
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
