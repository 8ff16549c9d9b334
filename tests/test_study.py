"""`sweep run`: studies from files, resumable, refusing mismatches, surviving signals and kills.

The study's helpers are checked in-process; whole runs use the real CLI in subprocesses
with the fake trainer (tests/fake_trainer.py), whose metrics are a known function of
the weights, so every check is exact and fast.
"""

from __future__ import annotations

import inspect
import math

import optuna
import pytest

import sweep
from sweep import data
from sweep.config import METRICS, load_study_file
from sweep.config.run import DEFAULT_TRAINER
from sweep.per_pair import finished_elsewhere, suggest
from sweep.study import is_complete, origin_trial, trial_seeds
from sweep.trainers import trainer_provenance
from sweep.trial import Trainer, train_and_evaluate
from sweep.data import sources, synthetic
from sweep.data.cache import store
from tests import fake_trainer
from tests.fake_trainer import expected_metrics
from tests.helpers import by_state, study_file, sweep_cli, sweep_run, trials


FAKE_TRAINER = "tests.fake_trainer:train_and_evaluate"

# --- the study's helpers, in-process -------------------------------------------------------


def test_trial_seeds_are_reproducible_distinct_and_keep_their_prefix_with_more_replicates():
    seeds = trial_seeds(1, 7, 3)
    assert seeds == trial_seeds(1, 7, 3)
    assert len(set(seeds)) == 3 and all(0 <= seed < 2**31 for seed in seeds)
    assert trial_seeds(1, 7, 5)[:3] == seeds  # more replicates later add seeds, never change the first ones
    assert trial_seeds(1, 8, 3) != seeds and trial_seeds(2, 7, 3) != seeds


def test_suggest_puts_each_searched_setting_in_its_own_section(tmp_path):
    path = study_file(tmp_path, search={"learning_rate": {"low": 0.01, "high": 0.5},
                                        "embedding_dimension": {"low": 8, "high": 64}})
    spec = load_study_file(path)
    trial = optuna.trial.FixedTrial({"rating_weight": 2.0, "retrieval_weight": 0.5, "learning_rate": 0.2,
                                     "embedding_dimension": 16})
    weights, model_config, train_config = suggest(trial, spec)
    assert weights == (2.0, 0.5)
    assert model_config.embedding_dimension == 16 and train_config.learning_rate == 0.2
    assert model_config.rating_layers == spec.model.rating_layers and train_config.epochs == spec.train.epochs


RATIO_AND_SCALE = {"rating_weight": None, "retrieval_weight": None, "weight_ratio": {"low": 1e-4, "high": 10.0},
                   "weight_scale": {"low": 0.1, "high": 1e3}}


def test_suggest_turns_a_ratio_and_a_scale_into_the_pair_they_name(tmp_path):
    spec = load_study_file(study_file(tmp_path, search={**RATIO_AND_SCALE, "adagrad_initial_accumulator": {
        "low": 0.01, "high": 1.0}}))
    trial = optuna.trial.FixedTrial({"weight_ratio": 0.25, "weight_scale": 5.0, "adagrad_initial_accumulator": 0.5})
    weights, _, train_config = suggest(trial, spec)
    assert weights == (4.0, 1.0)  # 1 / 4 = 0.25 and 4 + 1 = 5
    assert train_config.adagrad_initial_accumulator == 0.5


def test_suggest_puts_a_chosen_optimizer_in_the_train_config(tmp_path):
    spec = load_study_file(study_file(tmp_path, search={"optimizer": {"values": ["adagrad", "adam", "sgd"]}}))
    trial = optuna.trial.FixedTrial({"rating_weight": 2.0, "retrieval_weight": 0.5, "optimizer": "adam"})
    weights, _, train_config = suggest(trial, spec)
    assert weights == (2.0, 0.5) and train_config.optimizer == "adam" and train_config.learning_rate == spec.train.learning_rate


@pytest.mark.parametrize(
    "counts, complete",
    [({"COMPLETE": 5}, True), ({"COMPLETE": 6, "FAIL": 2}, True), ({"COMPLETE": 4, "FAIL": 3}, False),
     ({"COMPLETE": 5, "WAITING": 1}, False), ({}, False)],
)
def test_a_study_is_complete_with_enough_complete_trials_and_no_retry_waiting(counts, complete):
    assert is_complete(counts, 5) is complete


@pytest.mark.parametrize("trainer", [train_and_evaluate, fake_trainer.train_and_evaluate])
def test_every_trainer_has_the_contracts_signature(trainer):
    contract = list(inspect.signature(Trainer.__call__).parameters)[1:]  # without self
    assert list(inspect.signature(trainer).parameters) == contract


def test_trainer_provenance_names_the_module_and_version_and_whether_it_is_sweeps_own():
    assert trainer_provenance(DEFAULT_TRAINER) == {"target": DEFAULT_TRAINER, "module": "sweep.trial",
                                                   "version": sweep.__version__, "real": True}
    assert trainer_provenance(FAKE_TRAINER) == {"target": FAKE_TRAINER, "module": "tests.fake_trainer",
                                                "version": "unversioned", "real": False}


# --- whole runs ------------------------------------------------------------------------------

def test_a_sweep_runs_the_tutorial_pairs_first_then_sampled_weights(tmp_path, storage, synthetic_dir):
    result = sweep_run(study_file(tmp_path), storage, synthetic_dir)
    assert result.returncode == 0, result.stderr
    done = trials(storage)
    assert len(done) == 6 and all(t.state.name == "COMPLETE" for t in done)
    assert [(t.user_attrs["rating_weight"], t.user_attrs["retrieval_weight"]) for t in done[:3]] == [(1, 0), (0, 1), (1, 1)]
    assert [t.user_attrs["tutorial_pair"] for t in done[:3]] == ["ratings-only", "retrieval-only", "joint"]
    for trial in done:
        weights = (trial.user_attrs["rating_weight"], trial.user_attrs["retrieval_weight"])
        expected = expected_metrics(*weights)
        assert trial.values == [expected["top_100_accuracy"], expected["rmse"]]
        assert trial.user_attrs["metrics"] == expected
        assert [run["metrics"] for run in trial.user_attrs["runs"]] == [expected]
        assert {"seeds", "spec_hash", "split_fingerprint", "versions", "seconds"} <= set(trial.user_attrs)
    sampled = done[3:]
    assert all(trial.params == {"rating_weight": trial.user_attrs["rating_weight"],
                                "retrieval_weight": trial.user_attrs["retrieval_weight"]} for trial in sampled)
    study = optuna.load_study(study_name="s", storage=storage)
    assert {"spec", "spec_hash", "split_fingerprint", "context_baselines", "versions"} <= set(study.user_attrs)

def test_a_study_searching_ratio_and_scale_records_both_weights_and_its_own_params(tmp_path, sqlite_storage,
                                                                                   synthetic_dir):
    result = sweep_run(study_file(tmp_path, search=RATIO_AND_SCALE), sqlite_storage, synthetic_dir)
    assert result.returncode == 0, result.stderr
    done = trials(sqlite_storage)
    assert [(t.user_attrs["rating_weight"], t.user_attrs["retrieval_weight"], t.params) for t in done[:3]] == [
        (1, 0, {}), (0, 1, {}), (1, 1, {})]  # the tutorial's pairs, as in any study
    for trial in done[3:]:
        rating, retrieval = trial.user_attrs["rating_weight"], trial.user_attrs["retrieval_weight"]
        assert set(trial.params) == {"weight_ratio", "weight_scale"}
        assert 1e-4 <= trial.params["weight_ratio"] <= 10.0 and 0.1 <= trial.params["weight_scale"] <= 1e3
        assert retrieval / rating == pytest.approx(trial.params["weight_ratio"], rel=1e-12)
        assert rating + retrieval == pytest.approx(trial.params["weight_scale"], rel=1e-12)
        assert trial.values == [expected_metrics(rating, retrieval)[name] for name in ("top_100_accuracy", "rmse")]


LISTED_PAIRS = [[2.0, 0.0], [1.0, 1.0], [28.0, 0.077], [0.5, 0.01]]


def test_a_study_with_listed_pairs_trains_exactly_them_in_order_and_names_the_tutorials(tmp_path, storage,
                                                                                        synthetic_dir):
    path = study_file(tmp_path, n_trials=4, study={"replicates": 2, "sampler": "tpe"},
                      search={"rating_weight": None, "retrieval_weight": None, "pairs": LISTED_PAIRS})
    result = sweep_run(path, storage, synthetic_dir, "--workers", "1")
    assert result.returncode == 0, result.stderr
    done = trials(storage)
    assert [[t.user_attrs["rating_weight"], t.user_attrs["retrieval_weight"]] for t in done] == LISTED_PAIRS
    assert [t.user_attrs.get("tutorial_pair") for t in done] == [None, "joint", None, None]  # (1, 1) is the tutorial's
    assert all(t.params == {} and t.state.name == "COMPLETE" for t in done)
    for trial in done:
        expected = expected_metrics(trial.user_attrs["rating_weight"], trial.user_attrs["retrieval_weight"])
        assert trial.values == [expected["top_100_accuracy"], expected["rmse"]]
        assert trial.user_attrs["seeds"] == trial_seeds(1, trial.number, 2)  # the study seed of tests.helpers
    again = sweep_run(path, storage, synthetic_dir)
    assert again.returncode == 0 and len(trials(storage)) == 4  # complete: nothing more to train
    refused = sweep_run(path, storage, synthetic_dir, "--trials", "6")
    assert refused.returncode == 2 and "lists its pairs" in refused.stderr and len(refused.stderr.splitlines()) == 1


@pytest.mark.slow
def test_two_workers_train_every_listed_pair_once_and_ask_for_no_trial_beyond_them(tmp_path, sqlite_storage,
                                                                                    synthetic_dir):
    path = study_file(tmp_path, n_trials=4, search={"rating_weight": None, "retrieval_weight": None,
                                                    "pairs": LISTED_PAIRS})
    result = sweep_run(path, sqlite_storage, synthetic_dir, "--workers", "2", process=True, SWEEP_FAKE_DELAY=0.3)
    assert result.returncode == 0, result.stderr
    done = trials(sqlite_storage)
    assert sorted(t.user_attrs["listed_pair"] for t in done) == [0, 1, 2, 3]  # each once, no surplus trial
    assert all(t.state.name == "COMPLETE" for t in done)


def test_rerunning_a_complete_study_adds_nothing_and_says_so(tmp_path, storage, synthetic_dir):
    path = study_file(tmp_path)
    assert sweep_run(path, storage, synthetic_dir).returncode == 0
    again = sweep_run(path, storage, synthetic_dir)
    assert again.returncode == 0
    assert "is complete: 6 of 6 trials" in again.stderr
    assert len(trials(storage)) == 6

def test_more_trials_extend_the_same_study(tmp_path, storage, synthetic_dir):
    path = study_file(tmp_path)
    assert sweep_run(path, storage, synthetic_dir).returncode == 0
    assert sweep_run(path, storage, synthetic_dir, "--trials", "9").returncode == 0
    assert len(by_state(trials(storage), "COMPLETE")) == 9

def test_a_changed_spec_under_the_same_name_is_refused(tmp_path, sqlite_storage, synthetic_dir):
    assert sweep_run(study_file(tmp_path), sqlite_storage, synthetic_dir).returncode == 0
    changed = sweep_run(study_file(tmp_path, epochs=2), sqlite_storage, synthetic_dir)
    assert changed.returncode == 2
    assert changed.stderr.startswith("sweep: error: study 's' already exists with a different spec")
    assert len(changed.stderr.strip().splitlines()) == 1
    assert len(trials(sqlite_storage)) == 6

def test_a_study_of_another_rating_fraction_is_refused_with_one_line_naming_it(tmp_path, sqlite_storage,
                                                                               synthetic_dir):
    sparse = {"dataset": "synthetic", "rating_fraction": 0.2}
    assert sweep_run(study_file(tmp_path, data=sparse), sqlite_storage, synthetic_dir, "--trials", "3").returncode == 0
    stored = optuna.load_study(study_name="s", storage=sqlite_storage).user_attrs
    whole = data.load_split(data.load(synthetic_dir, data.SYNTHETIC), seed=42).fingerprint
    assert stored["split_fingerprint"] != whole  # the rated subset is part of the split's fingerprint
    for fraction, recorded in ((0.05, "0.2; this file has 0.05"), (1.0, "0.2; this file has 1")):
        refused = sweep_run(study_file(tmp_path, data={**sparse, "rating_fraction": fraction}), sqlite_storage,
                            synthetic_dir)
        assert refused.returncode == 2
        assert refused.stderr == f"sweep: error: study 's' trains with data.rating_fraction {recorded} (another rated " \
                                 "subset); give the study a new name or restore the fraction\n"
    assert len(trials(sqlite_storage)) == 3
    assert sweep_run(study_file(tmp_path, data=sparse), sqlite_storage, synthetic_dir).returncode == 0  # it resumes

def test_a_worker_whose_split_differs_is_refused(tmp_path, sqlite_storage, synthetic_dir):
    assert sweep_run(study_file(tmp_path), sqlite_storage, synthetic_dir, "--trials", "3").returncode == 0
    other_dir = tmp_path / "other-data"
    store(other_dir, data.SYNTHETIC, *sources.normalize(*synthetic.generate_raw(seed=99)), source="synthetic")
    refused = sweep_run(study_file(tmp_path), sqlite_storage, other_dir)
    assert refused.returncode == 1
    assert "split differs" in refused.stderr and "Traceback" not in refused.stderr
    assert len(trials(sqlite_storage)) == 3

def test_a_study_records_its_trainer_and_refuses_a_worker_with_another(tmp_path, sqlite_storage, synthetic_dir):
    path = study_file(tmp_path)
    assert sweep_run(path, sqlite_storage, synthetic_dir, "--trials", "3").returncode == 0
    recorded = optuna.load_study(study_name="s", storage=sqlite_storage).user_attrs["trainer"]
    assert recorded == trainer_provenance(FAKE_TRAINER)
    real = sweep_run(path, sqlite_storage, synthetic_dir, SWEEP_TRAINER=DEFAULT_TRAINER)
    assert real.returncode == 2
    assert real.stderr.startswith(f"sweep: error: study 's' was made by trainer {FAKE_TRAINER}; this worker would "
                                  f"train with {DEFAULT_TRAINER}")
    assert len(real.stderr.strip().splitlines()) == 1 and len(trials(sqlite_storage)) == 3


@pytest.mark.slow
def test_two_workers_record_every_trial_once(tmp_path, storage, synthetic_dir):
    result = sweep_run(study_file(tmp_path, n_trials=12), storage, synthetic_dir, "--workers", "2", process=True,
                       SWEEP_FAKE_DELAY=0.2)
    assert result.returncode == 0, result.stderr
    done = trials(storage)
    numbers = [t.number for t in done]
    assert len(numbers) == len(set(numbers))
    assert 12 <= len(by_state(done, "COMPLETE")) <= 13  # the study-wide cap: at most workers - 1 over
    assert not by_state(done, "RUNNING") and not by_state(done, "WAITING")
    assert len({t.user_attrs["worker"] for t in done}) == 2

def test_sweep_studies_lists_trial_counts_by_state(tmp_path, sqlite_storage, synthetic_dir):
    assert sweep_run(study_file(tmp_path, n_trials=4), sqlite_storage, synthetic_dir).returncode == 0
    listing = sweep_cli(["studies", "--storage", sqlite_storage])
    assert listing.stdout.strip() == ("s: 4 complete (target 4 complete; maximize top_100_accuracy, minimize rmse) "
                                      "[made by a stand-in trainer: tests.fake_trainer:train_and_evaluate]")


def test_a_retry_trains_its_originals_seeds_even_when_the_original_died_before_recording_them():
    study = optuna.create_study(directions=["maximize", "minimize"])
    original = study.ask()  # trial 0: died at once, before its objective wrote origin_trial or seeds
    original.set_user_attr("rating_weight", 0.5)
    study.ask()  # trial 1, so the retry's own number (2) differs from its original's
    optuna.storages.RetryHeartbeatStaleTrialCallback()(study, study.trials[0])
    retry = study.ask()
    assert retry.number == 2 and origin_trial(retry) == 0
    assert origin_trial(study.ask()) == 3  # a first attempt is its own origin


def test_a_trial_whose_worker_died_before_its_first_heartbeat_is_failed_and_retried(tmp_path):
    import time

    from sweep.study import fail_stale_trials

    storage = optuna.storages.RDBStorage(
        f"sqlite:///{tmp_path / 'h.db'}", heartbeat_interval=1, grace_period=1,
        heartbeat_stale_trial_callback=optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry=1))
    study = optuna.create_study(storage=storage, directions=["maximize", "minimize"])
    orphan = study.ask()  # created RUNNING, and no heartbeat ever recorded (its worker died at once)
    orphan.set_user_attr("origin_trial", orphan.number)
    fail_stale_trials(study, storage, grace_seconds=1)
    assert study.trials[0].state.name == "RUNNING"  # within the grace period it may still be starting
    time.sleep(1.2)
    fail_stale_trials(study, storage, grace_seconds=1)
    states = [trial.state.name for trial in study.trials]
    assert states == ["FAIL", "WAITING"]  # failed, and its retry enqueued with its origin
    assert study.trials[1].user_attrs["origin_trial"] == 0


@pytest.mark.parametrize("outcome", ["values", "TrialFailed"])
def test_a_result_optuna_refuses_because_another_worker_failed_the_trial_is_told_from_other_errors(tmp_path, outcome):
    from sweep.trial import TrialFailed

    storage = optuna.storages.RDBStorage(f"sqlite:///{tmp_path / 'r.db'}")
    study = optuna.create_study(storage=storage, directions=["maximize", "minimize"])
    study_id = storage.get_study_id_from_name(study.study_name)

    def failed_elsewhere_meanwhile(trial):  # as a worker that found this trial's heartbeat stale does
        trial_id = storage.get_trial_id_from_study_id_trial_number(study_id, trial.number)
        storage.set_trial_state_values(trial_id, optuna.trial.TrialState.FAIL)
        if outcome == "TrialFailed":
            raise TrialFailed("non-finite loss")
        return 0.5, 1.0

    with pytest.raises(BaseException) as refused:
        study.optimize(failed_elsewhere_meanwhile, n_trials=1, catch=(TrialFailed,))
    assert finished_elsewhere(refused.value, study, 0)
    running = study.ask()
    assert not finished_elsewhere(ValueError("another fault"), study, running.number)  # its trial still runs
    assert not finished_elsewhere(ValueError("another fault"), study, None)  # no trial of this worker unrecorded
    assert not finished_elsewhere(KeyError("another fault"), study, 0)  # not how Optuna refuses a result
