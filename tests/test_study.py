"""`sweep run`: studies from files, resumable, refusing mismatches, surviving signals and kills.

Runs the real CLI in subprocesses with the fake trainer (tests/fake_trainer.py), whose
metrics are a known function of the weights, so every check is exact and fast.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import optuna
import pytest

from sweep import data
from sweep.data import sources, synthetic
from sweep.data.cache import store
from tests.fake_trainer import expected_metrics
from tests.helpers import by_state, environment, study_file, sweep_run, trials


@pytest.fixture
def storage(tmp_path):
    return f"sqlite:///{tmp_path / 'studies.db'}"

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

def test_a_changed_spec_under_the_same_name_is_refused(tmp_path, storage, synthetic_dir):
    assert sweep_run(study_file(tmp_path), storage, synthetic_dir).returncode == 0
    changed = sweep_run(study_file(tmp_path, epochs=2), storage, synthetic_dir)
    assert changed.returncode == 2
    assert changed.stderr.startswith("sweep: error: study 's' already exists with a different spec")
    assert len(changed.stderr.strip().splitlines()) == 1
    assert len(trials(storage)) == 6

def test_a_worker_whose_split_differs_is_refused(tmp_path, storage, synthetic_dir):
    assert sweep_run(study_file(tmp_path), storage, synthetic_dir, "--trials", "3").returncode == 0
    other_dir = tmp_path / "other-data"
    store(other_dir, data.SYNTHETIC, *sources.normalize(*synthetic.generate_raw(seed=99)), source="synthetic")
    refused = sweep_run(study_file(tmp_path), storage, other_dir)
    assert refused.returncode == 1
    assert "split differs" in refused.stderr and "Traceback" not in refused.stderr
    assert len(trials(storage)) == 3

def test_two_workers_record_every_trial_once(tmp_path, storage, synthetic_dir):
    result = sweep_run(study_file(tmp_path, n_trials=12), storage, synthetic_dir, "--workers", "2", SWEEP_FAKE_DELAY=0.2)
    assert result.returncode == 0, result.stderr
    done = trials(storage)
    numbers = [t.number for t in done]
    assert len(numbers) == len(set(numbers))
    assert 12 <= len(by_state(done, "COMPLETE")) <= 13  # the study-wide cap: at most workers - 1 over
    assert not by_state(done, "RUNNING") and not by_state(done, "WAITING")
    assert len({t.user_attrs["worker"] for t in done}) == 2

def test_sweep_studies_lists_trial_counts_by_state(tmp_path, storage, synthetic_dir):
    assert sweep_run(study_file(tmp_path, n_trials=4), storage, synthetic_dir).returncode == 0
    listing = subprocess.run([sys.executable, "-m", "sweep", "studies", "--storage", storage],
                             capture_output=True, text=True, env=environment(synthetic_dir), timeout=60)
    assert listing.stdout.strip() == "s: 4 complete (target 4 complete)"

@pytest.mark.postgres
def test_two_workers_on_postgresql_record_every_trial_once(tmp_path, postgres_url, synthetic_dir):
    name = f"pg-{os.getpid()}-{int(time.time())}"
    result = sweep_run(study_file(tmp_path, name=name, n_trials=10), postgres_url, synthetic_dir,
                       "--workers", "3", SWEEP_FAKE_DELAY=0.2)
    assert result.returncode == 0, result.stderr
    done = trials(postgres_url, name)
    assert len({t.number for t in done}) == len(done)
    assert 10 <= len(by_state(done, "COMPLETE")) <= 12
    assert not by_state(done, "RUNNING")
    for trial in by_state(done, "COMPLETE"):
        expected = expected_metrics(trial.user_attrs["rating_weight"], trial.user_attrs["retrieval_weight"])
        assert trial.values == [expected["top_100_accuracy"], expected["rmse"]]
