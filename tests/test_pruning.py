"""Pruning for two objectives (sweep.pruning): the rule on constructed curves, and whole pruned sweeps
with the fake trainer, whose curves are a known function of the weights (tests/fake_trainer.py)."""

from __future__ import annotations

import math

import pytest

from sweep.pruning import dominates, points_at, prune_reason, seed_noise
from sweep.record import EpochLosses, Run, Seconds, TrialRecord
from tests import fake_trainer
from tests.helpers import by_state, study_file, sweep_run, trials

DIRECTIONS = ("maximize", "minimize")  # (top-100, RMSE)
OBJECTIVES = ("top_100_accuracy", "rmse")


def single(*points):
    """Earlier trials of one seed each."""
    return [[point] for point in points]


def test_a_point_beaten_on_both_objectives_by_enough_earlier_trials_is_stopped():
    earlier = single((0.30, 1.0), (0.31, 0.9), (0.10, 2.0), (0.05, 0.5))  # the first two beat (0.2, 1.5) on both
    assert prune_reason((0.2, 1.5), earlier, 1, OBJECTIVES, DIRECTIONS, quantile=0.5, min_trials=4) is not None
    assert prune_reason((0.2, 1.5), earlier, 1, OBJECTIVES, DIRECTIONS, quantile=0.75, min_trials=4) is None  # 2 of 4


def test_a_point_beaten_on_one_objective_only_is_never_stopped():
    earlier = single(*[(0.9, 2.0 + i) for i in range(10)])  # every one better on top-100, worse on RMSE
    assert prune_reason((0.1, 1.0), earlier, 1, OBJECTIVES, DIRECTIONS, quantile=0.1, min_trials=1) is None


def test_nothing_is_stopped_before_min_trials_earlier_trials_reached_the_epoch():
    earlier = single((0.9, 0.1), (0.9, 0.1)) + [[], []]  # two trials that never reached the epoch do not count
    assert prune_reason((0.1, 1.0), earlier, 2, OBJECTIVES, DIRECTIONS, quantile=0.5, min_trials=3) is None
    assert prune_reason((0.1, 1.0), earlier, 2, OBJECTIVES, DIRECTIONS, quantile=0.5, min_trials=2) is not None


def test_the_seed_noise_is_the_pooled_standard_deviation_of_the_trials_with_two_seeds():
    # variances: (0.02² × 2 / 1 = 0.0008 → top-100 spread of seeds ±0.02; RMSE ±0.1) and (0, 0); one-seed trials ignored
    earlier = [[(0.28, 0.9), (0.32, 1.1)], [(0.5, 0.5), (0.5, 0.5)], [(0.9, 0.1)]]
    top, rmse = seed_noise(earlier)
    assert top == pytest.approx(math.sqrt((0.0008 + 0.0) / 2))
    assert rmse == pytest.approx(math.sqrt((0.02 + 0.0) / 2))
    assert seed_noise([[(0.9, 0.1)]]) is None


def test_domination_must_exceed_the_noise_on_every_objective():
    assert dominates((0.31, 0.9), (0.30, 1.0), DIRECTIONS, (0.0, 0.0))
    assert not dominates((0.31, 0.9), (0.30, 1.0), DIRECTIONS, (0.02, 0.0))  # top-100 ahead by 0.01 < 0.02
    assert not dominates((0.30, 0.9), (0.30, 1.0), DIRECTIONS, (0.0, 0.0))  # a tie is no domination


def test_a_trial_within_the_seed_noise_of_the_others_goes_on():
    # each earlier trial's two seeds differ by 0.2 in top-100 and 0.4 in RMSE: noise √0.02 ≈ 0.141, √0.08 ≈ 0.283
    earlier = [[(0.4, 0.8), (0.6, 1.2)]] * 4  # mean (0.5, 1.0)
    assert prune_reason((0.45, 1.1), earlier, 1, OBJECTIVES, DIRECTIONS, quantile=0.5, min_trials=1) is None
    assert prune_reason((0.2, 1.5), earlier, 1, OBJECTIVES, DIRECTIONS, quantile=0.5, min_trials=1) is not None


def curve_run(seed, curve):
    return Run(seed, dict(curve[-1]), Seconds(), tuple(EpochLosses(1.0, 1.0, 0.0, 0.0, metrics=m) for m in curve))


def test_a_stored_trials_points_at_an_epoch_come_from_each_seed_that_reached_it():
    complete = TrialRecord("pair", 1.0, 1.0, runs=(curve_run(0, [{"top_100_accuracy": 0.1, "rmse": 2.0},
                                                                 {"top_100_accuracy": 0.2, "rmse": 1.5}]),))
    pruned = TrialRecord("pair", 1.0, 1.0, pruned_epoch=1, pruned_curve=({"top_100_accuracy": 0.05, "rmse": 3.0},))
    assert points_at(complete, 2, OBJECTIVES) == [(0.2, 1.5)]
    assert points_at(pruned, 1, OBJECTIVES) == [(0.05, 3.0)]
    assert points_at(pruned, 2, OBJECTIVES) == []  # stopped before epoch 2
    assert points_at(TrialRecord.from_attrs(pruned.to_attrs()), 1, OBJECTIVES) == [(0.05, 3.0)]  # stored and read back


# --- whole sweeps with the fake trainer -------------------------------------------------------------------


def expected_pruned(records, epochs, settings):
    """Replays the rule over the trials in the order they ran, from the fake trainer's known curves."""
    finished, pruned = [], set()
    for number, (rating, retrieval, reference) in records:
        curve = fake_trainer.expected_curve(rating, retrieval, epochs)
        stopped_at = None
        for epoch in range(settings["after_epoch"], epochs):
            if reference:
                break
            earlier = [[tuple(c[epoch - 1][n] for n in OBJECTIVES)] for c, reached in finished if reached >= epoch]
            point = tuple(curve[epoch - 1][n] for n in OBJECTIVES)
            if prune_reason(point, earlier, epoch, OBJECTIVES, DIRECTIONS, settings["quantile"], settings["min_trials"]):
                stopped_at = epoch
                break
        finished.append((curve, stopped_at or epochs))
        if stopped_at:
            pruned.add(number)
    return pruned


@pytest.mark.slow
def test_a_pruning_sweep_stops_the_trials_the_rule_names_and_records_epoch_and_reason(tmp_path, synthetic_dir):
    settings = {"after_epoch": 1, "quantile": 0.5, "min_trials": 3}
    path = study_file(tmp_path, n_trials=14, epochs=3, study={"prune": settings},
                      search={"rating_weight": {"low": 1e-3, "high": 10.0}, "retrieval_weight": {"low": 1e-3, "high": 10.0}})
    storage = f"sqlite:///{tmp_path / 'db.sqlite'}"
    result = sweep_run(path, storage, synthetic_dir, SWEEP_TRAINER="tests.fake_trainer:train_and_evaluate")
    assert result.returncode == 0, result.stderr
    found = sorted(trials(storage), key=lambda t: t.number)
    records = [(t.number, (t.user_attrs["rating_weight"], t.user_attrs["retrieval_weight"], "tutorial_pair" in t.user_attrs))
               for t in found]
    pruned = by_state(found, "PRUNED")
    assert {t.number for t in pruned} == expected_pruned(records, 3, settings)
    assert pruned, "the known curves leave small-scale pairs behind: some must be stopped"
    assert len(by_state(found, "COMPLETE")) + len(pruned) == 14  # a pruned trial counts toward n_trials
    for trial in pruned:
        record = TrialRecord.from_attrs(trial.user_attrs)
        assert record.pruned_epoch in (1, 2) and "earlier trials were better" in record.prune_reason
        assert len(record.pruned_curve) == record.pruned_epoch
    for trial in by_state(found, "COMPLETE"):  # every complete trial keeps its whole learning curve
        record = TrialRecord.from_attrs(trial.user_attrs)
        expected = fake_trainer.expected_curve(record.rating_weight, record.retrieval_weight, 3)
        assert record.curve("rmse") == pytest.approx([epoch["rmse"] for epoch in expected])
    again = sweep_run(path, storage, synthetic_dir, "--trials", "18")  # a pruned study resumes
    assert again.returncode == 0, again.stderr
    states = [t.state.name for t in trials(storage)]
    assert states.count("COMPLETE") + states.count("PRUNED") == 18 and "FAIL" not in states


@pytest.mark.parametrize("prune, key", [
    ("{ quantile = 0 }", "study.prune.quantile"), ("{ quantile = 1.5 }", "study.prune.quantile"),
    ("{ after_epoch = 0 }", "study.prune.after_epoch"), ("{ min_trials = -1 }", "study.prune.min_trials"),
    ("{ epoch = 1 }", "study.prune.epoch"), ("3", "study.prune"),
])
def test_bad_prune_settings_are_one_line_naming_the_key(prune, key):
    import tomllib

    from sweep import UsageError
    from sweep.config import parse_study
    from tests.helpers import study_text

    text = study_text().replace("[study]\n", f"[study]\nprune = {prune}\n", 1)
    with pytest.raises(UsageError, match=rf"^{key.replace('.', '[.]')}: ") as error:
        parse_study(tomllib.loads(text))
    assert "\n" not in str(error.value)


def test_prune_settings_are_a_run_control_outside_the_spec_hash():
    import tomllib

    from sweep.config import parse_study
    from tests.helpers import study_text

    plain = parse_study(tomllib.loads(study_text()))
    pruning = parse_study(tomllib.loads(study_text().replace("[study]\n", "[study]\nprune = { quantile = 0.7 }\n", 1)))
    assert pruning.study.prune.quantile == 0.7 and pruning.study.prune.after_epoch == 1
    assert pruning.hash == plain.hash  # adding pruning to a study's file lets it resume


@pytest.mark.slow
def test_a_worker_killed_mid_trial_in_a_pruning_study_loses_nothing(tmp_path, synthetic_dir):
    import time

    from tests.helpers import sweep_start, wait_for_calls
    from tests.test_reliability import HEARTBEAT

    started = tmp_path / "started"
    started.mkdir()
    storage = f"sqlite:///{tmp_path / 'db.sqlite'}"
    path = study_file(tmp_path, n_trials=10, epochs=3, study={"prune": {"min_trials": 3}},
                      search={"rating_weight": {"low": 1e-3, "high": 10.0}, "retrieval_weight": {"low": 1e-3, "high": 10.0}})
    worker = sweep_start(path, storage, synthetic_dir, SWEEP_FAKE_DELAY=0.5, SWEEP_FAKE_STARTED_DIR=started, **HEARTBEAT)
    wait_for_calls(started, 7)  # six trials finished (complete or pruned), the seventh running
    time.sleep(0.2)
    worker.kill()
    worker.wait(timeout=30)
    finished = {t.number: (t.state.name, t.values, dict(t.user_attrs)) for t in trials(storage) if t.state.is_finished()}
    killed = by_state(trials(storage), "RUNNING")
    assert len(killed) == 1
    time.sleep(3)  # past the grace period
    resumed = sweep_run(path, storage, synthetic_dir, **HEARTBEAT)
    assert resumed.returncode == 0, resumed.stderr
    after = trials(storage)
    assert {t.number: (t.state.name, t.values, dict(t.user_attrs)) for t in after if t.number in finished} == finished
    original = next(t for t in after if t.number == killed[0].number)
    retries = [t for t in after if t.user_attrs.get("origin_trial") == original.number and t.number != original.number]
    assert original.state.name == "FAIL" and len(retries) == 1
    assert retries[0].state.name in ("COMPLETE", "PRUNED") and retries[0].user_attrs["seeds"] == original.user_attrs["seeds"]
    states = [t.state.name for t in after]
    assert states.count("COMPLETE") + states.count("PRUNED") == 10 and "RUNNING" not in states


def test_the_live_view_says_a_trial_was_pruned_and_why():
    from types import SimpleNamespace

    from sweep.progress import trial_line

    stopped = TrialRecord("pair", 0.5, 0.01, pruned_epoch=1, prune_reason="after epoch 1, 4 of 5 earlier trials were better")
    trial = SimpleNamespace(number=7, state=SimpleNamespace(name="PRUNED"), user_attrs=stopped.to_attrs())
    assert trial_line(trial) == ("trial 7 pruned: rating_weight=0.5 retrieval_weight=0.01  "
                                 "(after epoch 1, 4 of 5 earlier trials were better)")
