"""`sweep run`: studies from files, resumable, refusing mismatches, surviving signals and kills.

Runs the real CLI in subprocesses with the fake trainer (tests/fake_trainer.py), whose
metrics are a known function of the weights, so every check is exact and fast.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pytest

from sweep import data
from sweep.data import sources, synthetic
from sweep.data.cache import store
from tests.fake_trainer import expected_metrics

REPO = Path(__file__).resolve().parents[1]

STUDY = """
[study]
name = "{name}"
seed = 1
n_trials = {n_trials}
sampler = "{sampler}"

[search.rating_weight]
low = 1e-3
high = 10.0

[search.retrieval_weight]
low = 1e-5
high = 1.0

[train]
epochs = {epochs}

[data]
dataset = "synthetic"
"""


def study_file(tmp_path, name="s", n_trials=6, sampler="random", epochs=1) -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(STUDY.format(name=name, n_trials=n_trials, sampler=sampler, epochs=epochs))
    return path


def environment(data_dir, **extra) -> dict:
    env = {**os.environ, "PYTHONPATH": str(REPO), "SWEEP_DATA_DIR": str(data_dir),
           "SWEEP_TRAINER": "tests.fake_trainer:train_and_evaluate"}
    env.update({key: str(value) for key, value in extra.items()})
    return env


def sweep_run(path, storage, data_dir, *args, timeout=180, **extra):
    return subprocess.run(
        [sys.executable, "-m", "sweep", "run", str(path), "--storage", storage, "--quiet", *args],
        capture_output=True, text=True, timeout=timeout, env=environment(data_dir, **extra), cwd=path.parent,
    )


def sweep_start(path, storage, data_dir, *args, **extra) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "sweep", "run", str(path), "--storage", storage, "--quiet", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment(data_dir, **extra), cwd=path.parent,
    )


def trials(storage, name="s"):
    return optuna.load_study(study_name=name, storage=storage).get_trials(deepcopy=False)


def by_state(all_trials, state):
    return [t for t in all_trials if t.state.name == state]


def wait_for_calls(started_dir: Path, count: int, timeout=60.0):
    deadline = time.monotonic() + timeout
    while len(list(started_dir.iterdir())) < count:
        assert time.monotonic() < deadline, "the worker never started the trial"
        time.sleep(0.1)


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


def test_sigterm_fails_the_running_trial_at_once_and_exits_143(tmp_path, storage, synthetic_dir):
    started = tmp_path / "started"
    started.mkdir()
    worker = sweep_start(study_file(tmp_path), storage, synthetic_dir,
                         SWEEP_FAKE_DELAY=0.3, SWEEP_FAKE_STARTED_DIR=started)
    wait_for_calls(started, 3)
    # the third call is running (or about to): give it time to sleep, then terminate
    time.sleep(0.1)
    sent = time.monotonic()
    worker.send_signal(signal.SIGTERM)
    _, stderr = worker.communicate(timeout=30)
    assert worker.returncode == 143, stderr
    assert time.monotonic() - sent < 10
    assert "Traceback" not in stderr
    done = trials(storage)
    failed = by_state(done, "FAIL")
    assert len(failed) == 1 and failed[0].user_attrs["fail_reason"].startswith("interrupted")
    assert not by_state(done, "RUNNING")
    assert all(t.values == [expected_metrics(t.user_attrs["rating_weight"], t.user_attrs["retrieval_weight"])[m]
                            for m in ("top_100_accuracy", "rmse")] for t in by_state(done, "COMPLETE"))


def test_a_killed_workers_trial_fails_after_the_grace_period_and_is_retried_once(tmp_path, storage, synthetic_dir):
    started = tmp_path / "started"
    started.mkdir()
    heartbeat = {"SWEEP_HEARTBEAT_SECONDS": 1, "SWEEP_GRACE_SECONDS": 2}
    path = study_file(tmp_path)
    worker = sweep_start(path, storage, synthetic_dir, SWEEP_FAKE_DELAY=1.0, SWEEP_FAKE_STARTED_DIR=started, **heartbeat)
    wait_for_calls(started, 4)  # trial 3 (the first sampled one) is running
    time.sleep(0.3)
    worker.kill()
    worker.wait(timeout=30)
    before = {t.number: (t.params, t.values) for t in by_state(trials(storage), "COMPLETE")}
    killed = by_state(trials(storage), "RUNNING")
    assert len(killed) == 1
    time.sleep(3)  # past the grace period
    resumed = sweep_run(path, storage, synthetic_dir, **heartbeat)
    assert resumed.returncode == 0, resumed.stderr
    after = trials(storage)
    assert {t.number: (t.params, t.values) for t in after if t.number in before} == before
    original = next(t for t in after if t.number == killed[0].number)
    assert original.state.name == "FAIL"
    retries = [t for t in after if t.user_attrs.get("origin_trial") == original.number and t.number != original.number]
    assert len(retries) == 1
    assert retries[0].params == original.params and retries[0].user_attrs["seeds"] == original.user_attrs["seeds"]
    assert retries[0].state.name == "COMPLETE"
    assert len(by_state(after, "COMPLETE")) == 6 and not by_state(after, "RUNNING")


def test_two_workers_record_every_trial_once(tmp_path, storage, synthetic_dir):
    result = sweep_run(study_file(tmp_path, n_trials=12), storage, synthetic_dir, "--workers", "2", SWEEP_FAKE_DELAY=0.2)
    assert result.returncode == 0, result.stderr
    done = trials(storage)
    numbers = [t.number for t in done]
    assert len(numbers) == len(set(numbers))
    assert 12 <= len(by_state(done, "COMPLETE")) <= 13  # the study-wide cap: at most workers - 1 over
    assert not by_state(done, "RUNNING") and not by_state(done, "WAITING")
    assert len({t.user_attrs["worker"] for t in done}) == 2


def test_a_non_finite_trial_fails_with_its_reason_and_the_sweep_goes_on(tmp_path, storage, synthetic_dir):
    result = sweep_run(study_file(tmp_path, n_trials=5), storage, synthetic_dir, SWEEP_FAKE_NONFINITE_CALL=4)
    assert result.returncode == 0, result.stderr
    done = trials(storage)
    failed = by_state(done, "FAIL")
    assert [t.number for t in failed] == [3]
    assert failed[0].user_attrs["fail_reason"] == "non-finite loss"
    assert len(by_state(done, "COMPLETE")) == 5


def test_a_sequential_study_with_a_fixed_seed_proposes_the_same_weights(tmp_path, synthetic_dir):
    proposals = []
    for run in range(2):
        storage = f"sqlite:///{tmp_path / f'run{run}.db'}"
        assert sweep_run(study_file(tmp_path, sampler="tpe", n_trials=10), storage, synthetic_dir).returncode == 0
        proposals.append([t.params for t in trials(storage)])
    assert proposals[0] == proposals[1]


def test_missing_data_is_one_line_and_leaves_the_storage_untouched(tmp_path, storage):
    result = sweep_run(study_file(tmp_path), storage, tmp_path / "no-data")
    assert result.returncode == 1
    assert result.stderr.startswith("sweep: error: no synthetic dataset at ")
    assert "sweep data fetch --source synthetic" in result.stderr
    assert not (tmp_path / "studies.db").exists()


@pytest.mark.parametrize(
    "url, shown",
    [
        ("postgresql://sweep:s3cret@127.0.0.1:1/sweep", "postgresql://sweep:***@127.0.0.1:1/sweep"),
        ("sqlite:///{tmp}/missing/dir/studies.db", "does not exist"),
    ],
)
def test_an_unreachable_storage_is_one_line_with_the_password_hidden(tmp_path, synthetic_dir, url, shown):
    started = time.monotonic()
    result = sweep_run(study_file(tmp_path), url.format(tmp=tmp_path), synthetic_dir)
    assert result.returncode == 1
    assert time.monotonic() - started < 30
    assert result.stderr.startswith("sweep: error: cannot open storage") and shown in result.stderr
    assert "s3cret" not in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


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
