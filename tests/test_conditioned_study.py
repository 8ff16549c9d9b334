"""A conditioned study end to end on synthetic data, through the real CLI: one training per seed,
every evaluated pair a trial, and report, compare, predict, recommend and export reading them."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import optuna
import pytest

from tests.helpers import environment, study_file

pytestmark = pytest.mark.slow  # trains real models with TensorFlow

SEARCH = {"rating_weight": {"low": 0.1, "high": 10.0}, "retrieval_weight": {"low": 1e-3, "high": 1.0}}
CONDITIONED = {"epochs": 2, "batch_size": 1024, "grid": 3, "zero_share": 0.2, "pairs_of": "static", "draws": "example"}


def sweep(root, synthetic_dir, *args):
    env = {k: v for k, v in environment(synthetic_dir).items() if k != "SWEEP_TRAINER"}  # the real trainer
    env["SWEEP_ARTIFACTS"] = str(root / "artifacts")
    return subprocess.run([sys.executable, "-m", "sweep", *args, "--storage", f"sqlite:///{root / 'studies.db'}"],
                          capture_output=True, text=True, env=env, timeout=600, cwd=root)


def conditioned_file(root, name, **changes):
    """The conditioned study's file, with keys changed (a None leaves the key out)."""
    keys = {key: value for key, value in {**CONDITIONED, **changes}.items() if value is not None}
    return study_file(root, name, 1, study={"seed": 2, "kind": "conditioned", "replicates": 2},
                      train={"batch_size": 1024}, search=SEARCH, conditioned=keys)


def load(root, name):
    return optuna.load_study(study_name=name, storage=f"sqlite:///{root / 'studies.db'}")


@pytest.fixture(scope="module")
def studies(tmp_path_factory, synthetic_dir):
    root = tmp_path_factory.mktemp("conditioned")
    static = study_file(root, "static", 5, epochs=1, study={"seed": 2}, train={"batch_size": 1024}, search=SEARCH)
    for path in (static, conditioned_file(root, "cond")):
        result = sweep(root, synthetic_dir, "run", str(path), "--quiet")
        assert result.returncode == 0, result.stderr
    return root


def pairs(study):
    return {(t.user_attrs["rating_weight"], t.user_attrs["retrieval_weight"]): t for t in study.trials}


def test_every_planned_pair_is_one_complete_trial_evaluated_from_both_trainings(studies):
    static, cond = load(studies, "static"), load(studies, "cond")
    trainings = cond.user_attrs["trainings"]
    assert len(trainings) == 2 and len({item["seed"] for item in trainings}) == 2
    grid = {(r, t) for r in (0.1, 1.0, 10.0) for t in (1e-3, 10 ** -1.5, 1.0)}
    expected = {(1.0, 0.0), (0.0, 1.0), (1.0, 1.0)} | set(pairs(static)) | grid
    stored = pairs(cond)
    assert len(cond.trials) == len(stored)  # each pair once
    assert {(round(r, 9), round(t, 9)) for r, t in stored} == {(round(r, 9), round(t, 9)) for r, t in expected}
    for trial in cond.trials:
        assert trial.state == optuna.trial.TrialState.COMPLETE and trial.user_attrs["kind"] == "conditioned"
        assert trial.user_attrs["trainings"] == [item["artifact"] for item in trainings]
        assert [run["seed"] for run in trial.user_attrs["runs"]] == [item["seed"] for item in trainings]
        runs = [run["metrics"]["rmse"] for run in trial.user_attrs["runs"]]
        assert trial.user_attrs["metrics"]["rmse"] == pytest.approx(sum(runs) / 2)
    assert stored[(1.0, 0.0)].user_attrs["tutorial_pair"] == "ratings-only"


def test_a_denser_grid_evaluates_only_the_new_pairs_and_trains_nothing(studies, synthetic_dir):
    before = load(studies, "cond")
    trainings, old = before.user_attrs["trainings"], pairs(before)  # read now: a Study reads the storage lazily
    result = sweep(studies, synthetic_dir, "run", str(conditioned_file(studies, "cond", grid=4)), "--quiet")
    assert result.returncode == 0, result.stderr
    after = load(studies, "cond")
    assert after.user_attrs["trainings"] == trainings
    for pair, trial in pairs(after).items():
        if pair in old:
            assert trial.number == old[pair].number and trial.values == old[pair].values
    assert len(after.trials) == len(old) + 16 - 4  # a 4 x 4 grid shares its four corners with 3 x 3


def test_evaluation_of_a_pair_is_deterministic_per_seed_and_the_stored_models_evaluate_as_trained(studies,
                                                                                                  synthetic_dir):
    # "cond" evaluates its 4 x 4 grid from the models it stored (a second run: no training);
    # "again", the same spec under another name, trains the same seeds and evaluates in memory.
    for path in (conditioned_file(studies, "cond", grid=4), conditioned_file(studies, "again", grid=4, pairs_of=None)):
        result = sweep(studies, synthetic_dir, "run", str(path), "--quiet")
        assert result.returncode == 0, result.stderr
    first, again = pairs(load(studies, "cond")), pairs(load(studies, "again"))
    assert set(again) <= set(first) and len(again) == 3 + 16
    for pair, trial in again.items():
        assert trial.user_attrs["metrics"] == first[pair].user_attrs["metrics"]
    values = {json.dumps(trial.user_attrs["metrics"], sort_keys=True) for trial in again.values()}
    assert len(values) == len(again)  # and every pair is served differently


def hypervolume(points, reference):
    """Independent of the report's: integrate along top-100 accuracy the RMSE span each level dominates."""
    ref_top, ref_rmse = reference
    points = [(top, rmse) for top, rmse in points if top > ref_top and rmse < ref_rmse]
    levels = sorted({ref_top} | {top for top, _ in points})
    area = 0.0
    for low, high in zip(levels, levels[1:]):
        best = min(rmse for top, rmse in points if top >= high)
        area += (high - low) * (ref_rmse - best)
    return area


def test_report_and_compare_treat_the_evaluated_pairs_as_a_front_and_count_the_compute(studies, synthetic_dir):
    out = studies / "compared"
    result = sweep(studies, synthetic_dir, "compare", "static", "cond", "--out", str(out))
    assert result.returncode == 0, result.stderr
    document = json.loads((out / "summary.json").read_text())
    rows = {row["study"]: row for row in document["side_by_side"]}
    assert rows["cond"]["trainings"] == 2 and rows["static"]["trainings"] == 5 * 1  # one seed per static pair
    trainings = load(studies, "cond").user_attrs["trainings"]
    assert rows["cond"]["training_seconds"] == pytest.approx(sum(item["seconds"]["train"] for item in trainings))
    reference = (rows["cond"]["reference"]["top_100_accuracy"], rows["cond"]["reference"]["rmse"])
    with open(out / "trials.csv") as stream:
        table = list(csv.DictReader(stream))
    volumes = {name: hypervolume([(float(r["top_100_accuracy"]), float(r["rmse"])) for r in table
                                  if r["study"] == name and r["state"] == "COMPLETE"], reference)
               for name in ("static", "cond")}
    # trials.csv writes 8 significant digits, so the areas agree to about that
    assert rows["cond"]["hypervolume"] == pytest.approx(volumes["cond"], rel=1e-5, abs=1e-12)
    assert rows["static"]["hypervolume"] == pytest.approx(volumes["static"], rel=1e-5, abs=1e-12)
    if volumes["static"] > 0:
        assert rows["cond"]["hypervolume_ratio"] == pytest.approx(volumes["cond"] / volumes["static"])
    assert any(r["study"] == "cond" and r["pareto"] == "True" and r["conditioned"] == "True" for r in table)
    text = (out / "summary.md").read_text()
    assert "## Side by side" in text and "conditioned: one model per seed" in text
    report = sweep(studies, synthetic_dir, "report", "cond", "--out", str(studies / "report"))
    assert report.returncode == 0, report.stderr
    summary = (studies / "report" / "summary.md").read_text()
    assert "from 2 trainings (one conditioned model per seed" in summary
    # one model serves (1, 0), (0, 1) and (1, 1): not the tutorial's three models, so no verdict on them
    assert "Does not apply: the tutorial trains one model per pair" in summary
    assert "| ratings-only | top_100_accuracy |" not in summary


def test_one_model_serves_any_pair_it_was_trained_for(studies, synthetic_dir, synthetic_dataset):
    title = synthetic_dataset.movies["movie_title"].iloc[4]
    ask = ["predict", "cond", "--user", "42", "--movie", title, "--json"]
    low, high = (sweep(studies, synthetic_dir, *ask, "--weights", weights) for weights in ("0.2,0.002", "8,0.5"))
    assert low.returncode == 0 and high.returncode == 0, low.stderr + high.stderr
    assert json.loads(low.stdout)["rating"] != json.loads(high.stdout)["rating"]
    trial = pairs(load(studies, "cond"))[(10.0, 1.0)]
    by_trial = sweep(studies, synthetic_dir, *ask, "--trial", str(trial.number))
    by_weights = sweep(studies, synthetic_dir, *ask, "--weights", "10,1")
    assert json.loads(by_trial.stdout)["rating"] == json.loads(by_weights.stdout)["rating"]
    outside = sweep(studies, synthetic_dir, *ask, "--weights", "50,0.1")
    assert outside.returncode == 2 and outside.stderr.count("\n") == 1 and "outside the range" in outside.stderr
    static = sweep(studies, synthetic_dir, "predict", "static", "--user", "42", "--movie", title, "--weights", "1,1")
    assert static.returncode == 2 and "conditioned study serves any pair" in static.stderr


def test_the_export_takes_the_weights_as_an_input(studies, synthetic_dir):
    out = studies / "exported"
    result = sweep(studies, synthetic_dir, "export", "cond", "--out", str(out))
    assert result.returncode == 0, result.stderr
    recommended = sweep(studies, synthetic_dir, "recommend", "cond", "--user", "42", "-k", "5", "--json",
                        "--weights", "3,0.05")
    expected = [item["title"] for item in json.loads(recommended.stdout)["recommendations"]]
    code = (f"import sweep, tensorflow as tf; m = tf.saved_model.load({str(out)!r}); "
            "r = m.recommend(tf.constant(['42']), 5, tf.constant([3.0, 0.05])); "
            "print('|'.join(t.decode() for t in r['titles'].numpy()[0]))")
    served = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                            env=environment(synthetic_dir))
    assert served.returncode == 0, served.stderr
    assert served.stdout.strip().split("|") == expected


def test_pick_searches_along_the_front_and_serving_takes_the_same_pair(studies, synthetic_dir, synthetic_dataset):
    stored = [t for t in load(studies, "cond").trials if t.user_attrs["in_trained_range"]]
    bound = sorted(t.user_attrs["metrics"]["rmse"] for t in stored)[len(stored) // 2]  # about half meet it
    result = sweep(studies, synthetic_dir, "pick", "cond", "--rmse-max", repr(bound), "--json")
    assert result.returncode == 0, result.stderr
    picked = json.loads(result.stdout)
    assert picked["probability"] >= 0.9 and picked["seeds"] == 2 and picked["candidates"] > len(stored)
    # every stored pair whose two trainings both meet the bound qualifies: the pick is at least as accurate
    sure = [t.user_attrs["metrics"]["top_100_accuracy"] for t in stored
            if all(run["metrics"]["rmse"] <= bound for run in t.user_attrs["runs"])]
    assert picked["means"]["top_100_accuracy"] >= max(sure)
    ranges = {name: (item["low"], item["high"]) for name, item in SEARCH.items()}
    assert all(low <= weight <= high for weight, (low, high) in zip(picked["weights"], ranges.values()))
    title = synthetic_dataset.movies["movie_title"].iloc[4]
    served = sweep(studies, synthetic_dir, "predict", "cond", "--user", "42", "--movie", title, "--json",
                   "--pick", f"rmse<={bound!r}")
    assert served.returncode == 0, served.stderr
    assert json.loads(served.stdout)["weights"] == pytest.approx(picked["weights"])
    assert served.stderr.startswith(f"picked under rmse<={bound!r}: ")


def test_verify_trains_front_pairs_statically_and_predict_serves_their_own_models(studies, synthetic_dir,
                                                                                   synthetic_dataset):
    result = sweep(studies, synthetic_dir, "run", str(conditioned_file(studies, "verified", pairs_of=None, verify=2)),
                   "--quiet")
    assert result.returncode == 0, result.stderr
    study = load(studies, "verified")
    seeds = [item["seed"] for item in study.user_attrs["trainings"]]
    by_number = {trial.number: trial for trial in study.trials}
    verifying = [trial for trial in study.trials if "verifies" in trial.user_attrs]
    assert len(verifying) == 2
    for trial in verifying:
        target = by_number[trial.user_attrs["verifies"]]
        assert trial.state == optuna.trial.TrialState.COMPLETE and trial.user_attrs["kind"] == "pair"
        assert target.user_attrs["kind"] == "conditioned" and target.user_attrs["in_trained_range"]
        assert (trial.user_attrs["rating_weight"], trial.user_attrs["retrieval_weight"]) == \
            (target.user_attrs["rating_weight"], target.user_attrs["retrieval_weight"])
        assert [run["seed"] for run in trial.user_attrs["runs"]] == seeds  # replicates seeds, the trainings' own
    title = synthetic_dataset.movies["movie_title"].iloc[4]
    static, conditioned = (sweep(studies, synthetic_dir, "predict", "verified", "--user", "42", "--movie", title,
                                 "--json", "--trial", str(number))
                           for number in (verifying[0].number, verifying[0].user_attrs["verifies"]))
    assert static.returncode == 0 and conditioned.returncode == 0, static.stderr + conditioned.stderr
    assert json.loads(static.stdout)["trial"] == verifying[0].number
    assert json.loads(static.stdout)["weights"] == json.loads(conditioned.stdout)["weights"]  # the same pair
    assert json.loads(static.stdout)["rating"] != json.loads(conditioned.stdout)["rating"]  # from its own model


def test_a_preference_study_serves_a_pair_by_its_ratio_and_exports_it(studies, synthetic_dir, synthetic_dataset):
    path = conditioned_file(studies, "pref", draws=None, pairs_of=None, grid=2)  # preference draws, the default
    result = sweep(studies, synthetic_dir, "run", str(path), "--quiet")
    assert result.returncode == 0, result.stderr
    study = load(studies, "pref")
    assert all(item.get("narrowed_preferences") is None for item in study.user_attrs["trainings"])
    title = synthetic_dataset.movies["movie_title"].iloc[4]
    ask = ["predict", "pref", "--user", "42", "--movie", title, "--json", "--weights"]
    small, large, other = (sweep(studies, synthetic_dir, *ask, weights) for weights in ("3,0.05", "30,0.5", "3,0.5"))
    assert small.returncode == 0 and large.returncode == 0 and other.returncode == 0, small.stderr + other.stderr
    assert json.loads(small.stdout)["rating"] == pytest.approx(json.loads(large.stdout)["rating"], rel=1e-6)
    outside = sweep(studies, synthetic_dir, *ask, "1,100")  # ratio 100: above the box's 1.0 / 0.1 = 10
    assert outside.returncode == 2 and outside.stderr.count("\n") == 1 and "outside the ratios" in outside.stderr
    out = studies / "exported-pref"
    assert sweep(studies, synthetic_dir, "export", "pref", "--out", str(out)).returncode == 0
    code = (f"import sweep, tensorflow as tf; m = tf.saved_model.load({str(out)!r}); "
            f"r = m.predict(tf.constant(['42']), tf.constant([{title!r}]), tf.constant([3.0, 0.05])); "
            "print(float(r['ratings'].numpy()[0]))")
    served = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                            env=environment(synthetic_dir))
    assert served.returncode == 0, served.stderr
    assert float(served.stdout) == pytest.approx(json.loads(small.stdout)["rating"], rel=1e-5)
