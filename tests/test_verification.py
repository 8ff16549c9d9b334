"""`[conditioned] verify = K`: K pairs of a conditioned study's front trained statically, as ordinary
per-pair trials of the same study, and every reader treating them as such.

A conditioned study is made here by hand: its conditioned trials are stored with metrics chosen so the
front and the greedy choice can be worked out on paper (no conditioned training), and the verification
trials are trained by the fake trainer (tests/fake_trainer.py: metrics a known function of the pair).
"""

from __future__ import annotations

import csv
import io
import json
import tomllib

import numpy as np
import optuna
import pytest

from sweep import SweepError, UsageError
from sweep.artifacts import open_store
from sweep.config import parse_study
from sweep.config.run import RunOptions
from sweep.data.prepared import load_prepared
from sweep.progress import Progress
from sweep.record import CONDITIONED, ConditionedOrigin, Run, Seconds, Summary, TrialRecord
from sweep.storage import open_storage
from sweep.study import create_or_load
from sweep.verification import verify_front
from tests import fake_trainer
from tests.fake_trainer import expected_metrics
from tests.helpers import study_text

FAKE = "tests.fake_trainer:train_and_evaluate"
SEARCH = {"rating_weight": {"low": 0.1, "high": 10.0}, "retrieval_weight": {"low": 1e-3, "high": 1.0}}
REFERENCE = {"chance_top_100_accuracy": 0.0, "global_mean_rmse": 2.0}  # the trivial baselines, set by hand

# The conditioned trials, as (name, pair, mean top-100 accuracy, mean RMSE, inside the trained ranges).
# From the reference (0, 2) the boxes alone are A 0.10, B 0.16, C 0.154, D 0.105. Greedy: B first; then
# what each adds to B: A 0.1 × 0.2 = 0.02, C 0.02 × 0.7 = 0.014, D 0.15 × 0.3 = 0.045, so D; then A (0.02)
# before C (0.02 × 0.4 = 0.008). E is dominated by B. F would dominate B, C and D but lies outside the
# ranges the model was trained for: it is no pair to verify, and the front is made without it.
CONDITIONED_TRIALS = [
    ("A", (0.5, 0.002), 0.10, 1.0, True),
    ("B", (10.0, 0.001), 0.20, 1.2, True),
    ("C", (2.0, 0.05), 0.22, 1.3, True),
    ("D", (1.0, 0.5), 0.35, 1.7, True),
    ("E", (3.0, 0.003), 0.15, 1.3, True),
    ("F", (50.0, 0.1), 0.60, 1.1, False),
]
GREEDY = ["B", "D", "A", "C"]
SEEDS = (11, 12)  # the conditioned trainings' seeds


# The conditioned training's own recipe, against [train]'s default batch of 8192: a quarter of it, so a
# pair's retrieval term (a Σ over 8192 rows, as preference draws mean it) is 4 × the Σ over 2048
OWN_RECIPE = {"epochs": 4, "batch_size": 2048, "learning_rate": 0.05}


def spec_of(verify: int, **conditioned):
    return parse_study(tomllib.loads(study_text("cond", study={"kind": "conditioned", "replicates": 2}, search=SEARCH,
                                                conditioned={"verify": verify, **conditioned})))


def conditioned_trial(pair, top, rmse, in_range) -> TrialRecord:
    """A conditioned trial as sweep.conditioned_study stores one: two seeds, 0.01 either side of the means."""
    seeds = SEEDS
    runs = tuple(Run(seed, {**{f"top_{k}_accuracy": top * k / 100 for k in (1, 5, 10, 50)},
                            "top_100_accuracy": top + shift, "rmse": rmse - shift}, Seconds(evaluate=0.1, total=0.1))
                 for seed, shift in zip(seeds, (-0.01, 0.01)))
    return TrialRecord(CONDITIONED, *pair, seeds=seeds, runs=runs, summary=Summary.of(list(runs)),
                       model_key="training-0", conditioned=ConditionedOrigin("grid", in_range, ("training-0", "training-1")))


@pytest.fixture
def make_world(tmp_path, synthetic_dir, monkeypatch):
    """A builder of the hand-made conditioned study (its conditioned trials given) in a fresh storage,
    and of how to run its verification."""
    monkeypatch.setenv("SWEEP_FAKE_KEEP_MODEL", "1")
    fake_trainer.reset()

    def make(trials=CONDITIONED_TRIALS) -> dict:
        spec = spec_of(2)
        url = f"sqlite:///{tmp_path / 'studies.db'}"
        options = RunOptions(url, synthetic_dir, tmp_path / "artifacts", 1, trainer=FAKE)
        prepared = load_prepared(spec.data, synthetic_dir)
        storage = open_storage(url, options.heartbeat)
        study = create_or_load(spec, storage, prepared, options)
        study.set_user_attr("context_baselines", {**study.user_attrs["context_baselines"], **REFERENCE})
        study.set_user_attr("trainings", [{"seed": seed, "artifact": f"training-{index}", "epochs": [],
                                           "seconds": {"build": 0.0, "train": 5.0, "total": 5.0}}
                                          for index, seed in enumerate(SEEDS)])
        numbers = {}
        for name, pair, top, rmse, in_range in trials:
            record = conditioned_trial(pair, top, rmse, in_range)
            study.add_trial(optuna.trial.create_trial(values=[top, rmse], user_attrs=record.to_attrs(),
                                                      state=optuna.trial.TrialState.COMPLETE))
            numbers[name] = len(numbers)
        shown = io.StringIO()

        def verify(count: int = 2, **conditioned) -> int:
            return verify_front(study, storage, spec_of(count, **conditioned), prepared, open_store(options.artifacts),
                                options, Progress(stream=shown))

        return {"study": study, "numbers": numbers, "verify": verify, "shown": shown, "url": url, "tmp": tmp_path}

    return make


@pytest.fixture
def world(make_world):
    return make_world()


def verification_trials(study) -> list:
    return [trial for trial in study.get_trials(deepcopy=False) if "verifies" in trial.user_attrs]


def test_k_verification_trials_are_per_pair_trials_at_the_greedy_choice_of_the_in_range_front(world):
    study, numbers = world["study"], world["numbers"]
    assert world["verify"](2) == 2
    trials = verification_trials(study)
    by_name = {name: number for name, number in numbers.items()}
    assert [trial.user_attrs["verifies"] for trial in trials] == [by_name["B"], by_name["D"]]  # greedy order
    conditioned = {trial.number: trial for trial in study.get_trials(deepcopy=False) if trial.number in numbers.values()}
    for trial in trials:
        target = conditioned[trial.user_attrs["verifies"]]
        pair = (trial.user_attrs["rating_weight"], trial.user_attrs["retrieval_weight"])
        assert trial.state.name == "COMPLETE" and trial.user_attrs["kind"] == "pair"
        assert pair == (target.user_attrs["rating_weight"], target.user_attrs["retrieval_weight"])
        # like for like: as many seeds as the conditioned trainings, the same seeds
        assert trial.user_attrs["seeds"] == target.user_attrs["seeds"] == [11, 12]
        assert [run["seed"] for run in trial.user_attrs["runs"]] == [11, 12]
        expected = expected_metrics(*pair)  # the fake trainer at that pair: a static model's numbers
        assert trial.values == [expected["top_100_accuracy"], expected["rmse"]]
        assert "model_artifact" in trial.user_attrs  # stored, as a per-pair trial's first seed is
        assert (world["tmp"] / "artifacts" / trial.user_attrs["model_artifact"]).exists()
    assert fake_trainer._calls["count"] == 2 * 2  # two pairs, two seeds each


def test_running_again_trains_nothing_and_a_larger_k_trains_only_the_new_pairs(world):
    study, numbers = world["study"], world["numbers"]
    world["verify"](2)
    before = {trial.number: trial.values for trial in verification_trials(study)}
    fake_trainer.reset()
    assert world["verify"](2) == 2
    assert fake_trainer._calls["count"] == 0
    assert {trial.number: trial.values for trial in verification_trials(study)} == before
    assert "verified; nothing to train" in world["shown"].getvalue()
    assert world["verify"](3) == 3
    assert fake_trainer._calls["count"] == 2  # A only: the third of the greedy order, two seeds
    assert [trial.user_attrs["verifies"] for trial in verification_trials(study)][-1] == numbers["A"]


def test_a_k_larger_than_the_front_verifies_the_whole_front_and_says_so(world):
    study, numbers = world["study"], world["numbers"]
    assert world["verify"](10) == 4
    assert [trial.user_attrs["verifies"] for trial in verification_trials(study)] == [numbers[name] for name in GREEDY]
    assert ("the conditioned front has 4 point(s) inside the trained ranges (neither weight zero); verifying all of them"
            in world["shown"].getvalue())


def test_a_failure_midway_loses_nothing_stored_and_the_next_run_trains_only_what_failed(world, monkeypatch):
    study, numbers = world["study"], world["numbers"]
    monkeypatch.setenv("SWEEP_FAKE_NONFINITE_CALL", "3")  # the second pair's first seed
    with pytest.raises(SweepError, match=rf"1 verification trial\(s\) failed, e.g. trial \d+ \(verifies trial "
                                         rf"{numbers['D']}\): non-finite loss"):
        world["verify"](2)
    states = {trial.user_attrs["verifies"]: trial.state.name for trial in verification_trials(study)}
    assert states == {numbers["B"]: "COMPLETE", numbers["D"]: "FAIL"}
    monkeypatch.delenv("SWEEP_FAKE_NONFINITE_CALL")
    fake_trainer.reset()
    assert world["verify"](2) == 2
    assert fake_trainer._calls["count"] == 2  # D again; B is kept
    complete = [t for t in verification_trials(study) if t.state.name == "COMPLETE"]
    assert sorted(t.user_attrs["verifies"] for t in complete) == sorted([numbers["B"], numbers["D"]])


def test_the_conditioned_recipe_trains_as_the_conditioned_model_did_and_records_the_users_pair(world):
    study, numbers = world["study"], world["numbers"]
    assert world["verify"](2, verify_recipe="conditioned", **OWN_RECIPE) == 2
    trained = fake_trainer._calls["trained"]
    assert len(trained) == 4  # B and D, two seeds each
    for rating, retrieval, train_config in trained:
        assert (train_config.epochs, train_config.batch_size, train_config.learning_rate) == (4, 2048, 0.05)
    by_number = {trial.number: trial for trial in study.get_trials(deepcopy=False)}
    for trial, (rating, retrieval, _) in zip(verification_trials(study), trained[::2]):
        target = by_number[trial.user_attrs["verifies"]]
        pair = (target.user_attrs["rating_weight"], target.user_attrs["retrieval_weight"])
        assert (trial.user_attrs["rating_weight"], trial.user_attrs["retrieval_weight"]) == pair  # the user's pair
        assert (rating, retrieval) == pytest.approx((pair[0], 4 * pair[1]))  # trained as the same objective
        assert trial.values == pytest.approx([expected_metrics(rating, retrieval)[name] for name in ("top_100_accuracy",
                                                                                                      "rmse")])
        assert trial.user_attrs["recipe"] == {**OWN_RECIPE, "retrieval_weight_factor": 4.0}
    assert [trial.user_attrs["verifies"] for trial in verification_trials(study)] == [numbers["B"], numbers["D"]]
    assert "4 epoch(s) in batches of 2048, rate 0.05 (the conditioned training's recipe)" in world["shown"].getvalue()


def test_a_verification_under_one_recipe_does_not_count_under_the_other_and_stays_stored(world):
    study = world["study"]
    world["verify"](2)
    assert fake_trainer._calls["trained"][0][2].epochs == 1  # [train]'s recipe first
    fake_trainer.reset()
    assert world["verify"](2, verify_recipe="conditioned", **OWN_RECIPE) == 2
    assert len(fake_trainer._calls["trained"]) == 4  # both pairs again, with the conditioned recipe
    assert len(verification_trials(study)) == 4
    fake_trainer.reset()
    assert world["verify"](2) == 2 and fake_trainer._calls["count"] == 0  # [train]'s are still there


def test_verify_fill_layers_follows_a_short_front_with_the_next_layer_and_leaves_a_long_one_alone(make_world):
    short = make_world()
    # The front is B, D, A, C (GREEDY); what is left inside the ranges is E alone (F is outside), its own layer.
    assert short["verify"](6, verify_fill="layers") == 5
    assert [t.user_attrs["verifies"] for t in verification_trials(short["study"])] == \
        [short["numbers"][name] for name in [*GREEDY, "E"]]
    assert 'the next layers fill the rest (verify_fill = "layers")' in short["shown"].getvalue()


def test_verify_fill_layers_takes_the_fronts_greedy_choice_when_the_front_is_long_enough(world):
    assert world["verify"](3, verify_fill="layers") == 3
    assert [t.user_attrs["verifies"] for t in verification_trials(world["study"])] == \
        [world["numbers"][name] for name in GREEDY[:3]]


def test_an_unknown_verify_fill_is_refused_by_name():
    with pytest.raises(UsageError, match=r"conditioned.verify_fill: unknown 'all' \(choose 'front' or 'layers'\)"):
        spec_of(2, verify_fill="all")


def test_an_unknown_verify_recipe_is_refused_by_name():
    with pytest.raises(UsageError, match=r"conditioned.verify_recipe: unknown 'slow' \(choose 'train' or 'conditioned'\)"):
        spec_of(2, verify_recipe="slow")


def test_a_pair_with_a_zero_weight_is_not_verified_and_the_front_is_made_without_it(make_world):
    # Z at (0, 1) would dominate every other point, but a static model there trains no rating head: the
    # front is that of A-E alone, so B and D are taken as without Z.
    world = make_world(CONDITIONED_TRIALS + [("Z", (0.0, 1.0), 0.5, 0.9, True)])
    assert world["verify"](2) == 2
    assert [trial.user_attrs["verifies"] for trial in verification_trials(world["study"])] == [
        world["numbers"]["B"], world["numbers"]["D"]]


def test_verify_zero_trains_nothing(world):
    assert world["verify"](0) == 0
    assert verification_trials(world["study"]) == [] and fake_trainer._calls["count"] == 0


def test_the_report_shows_counts_and_marks_the_verification_trials(world):
    from sweep.report import build_report

    world["verify"](2)
    out = world["tmp"] / "report"
    build_report("cond", world["url"], out, "sweep report cond")
    numbers, study = world["numbers"], world["study"]
    verifying = {trial.user_attrs["verifies"]: trial.number for trial in verification_trials(study)}
    with open(out / "trials.csv") as stream:
        table = {int(row["number"]): row for row in csv.DictReader(stream)}
    for target, number in verifying.items():
        assert table[number]["verifies"] == str(target) and table[number]["conditioned"] == "False"
        assert table[number]["counts_for_front"] == "True"  # an ordinary per-pair trial
    assert all(table[number]["verifies"] == "" for number in numbers.values())
    summary = (out / "summary.md").read_text()
    assert "## Verified pairs" in summary
    assert f"| {verifying[numbers['B']]}" in summary.split("## Verified pairs")[1]
    # the compute counts the static trainings: 2 conditioned, then 2 pairs × 2 seeds
    assert "verified by 4 static trainings" in summary
    document = json.loads((out / "summary.json").read_text())
    assert document["compute"]["trainings"] == 2 + 4 and document["compute"]["verified"] == 2
    rows = {row["verifies"]: row for row in document["verified"]}
    expected = expected_metrics(10.0, 0.001)  # B's pair, statically, in the fake world
    assert rows[numbers["B"]]["rmse"]["static"] == pytest.approx(expected["rmse"])
    assert rows[numbers["B"]]["rmse"]["conditioned"] == pytest.approx(1.2)
    assert rows[numbers["B"]]["rmse"]["difference"] == pytest.approx(expected["rmse"] - 1.2)
    assert "verified: a static model trained at a" in (out / "pareto.svg").read_text()  # the legend's entry
    page = (out / "index.html").read_text()
    assert f"verified: a static model trained at trial {numbers['B']}" in page  # the tooltip's badge


def test_the_report_says_how_each_verification_trial_was_trained(world):
    from sweep.report import build_report

    world["verify"](1)  # B with [train]'s settings
    world["verify"](2, verify_recipe="conditioned", **OWN_RECIPE)  # B and D with the conditioned recipe
    out = world["tmp"] / "report"
    build_report("cond", world["url"], out, "sweep report cond")
    with open(out / "trials.csv") as stream:
        recipes = sorted(row["verify_recipe"] for row in csv.DictReader(stream) if row["verifies"])
    assert recipes == ["[train]"] + ["conditioned recipe: 4 epochs, batches of 2048, rate 0.05"] * 2
    section = (out / "summary.md").read_text().split("## Verified pairs")[1]
    assert section.count("| conditioned recipe: 4 epochs, batches of 2048, rate 0.05 |") == 2
    assert section.count("| [train] |") == 1


def test_pick_can_return_a_verification_trial(world):
    from sweep.pick import Bound, pick_study

    world["verify"](2)
    # B's pair statically: top-100 0.108, RMSE 1.111 (fake_trainer.expected_metrics); under RMSE 1.12 only A
    # (0.10, 1.0) also qualifies, so the most accurate is B's verification trial. Pairs the conditioned
    # model is evaluated at for the pick score nothing here.
    nothing = {"top_100_accuracy": np.zeros(2), "rmse": np.full(2, 3.0)}
    choice = pick_study(world["study"], (Bound("rmse", 1.12),), evaluate=lambda pair: nothing)
    verifying = {trial.user_attrs["verifies"]: trial.number for trial in verification_trials(world["study"])}
    assert choice.chosen.number == verifying[world["numbers"]["B"]]


def test_serving_other_weights_comes_from_the_conditioned_model_never_a_verification_trials(make_world):
    from sweep import serve

    # G is verified (the larger box alone: 0.05 × 0.1 against H's 0.06 × 0.05); statically, at G's pair, the
    # fake trainer gives top-100 0.15 and RMSE 1.1506 (its share is 1/2), a box of 0.127: the knee.
    world = make_world([("G", (1.0, 0.001), 0.05, 1.9, True), ("H", (0.5, 0.5), 0.06, 1.95, True)])
    world["verify"](1)
    study, numbers = world["study"], world["numbers"]
    (verification,) = [trial.number for trial in verification_trials(study)]
    assert serve.choose_trial(study, None) == verification  # served as the knee it is
    assert serve.choose_trial(study, None, (1.0, 0.1)) == numbers["G"]  # other pairs: the conditioned model
    with pytest.raises(UsageError, match=rf"trial {verification} is a static model trained at its own pair "
                                         rf"\(it verifies trial {numbers['G']}\)"):
        serve.load_model(study, verification, (1.0, 0.1))
