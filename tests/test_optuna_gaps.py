"""sweep.optuna_gaps against the Optuna installed: each use of its internals still does what sweep needs.

These tests are why pyproject.toml pins one Optuna minor series: a new series moves the pin
only when they pass on it. Each runs the real Optuna on a SQLite file; a storage with
heartbeats is checked both as Optuna's own RDBStorage (SQLite workers) and behind sweep's
ForwardingStorage (PostgreSQL workers).
"""

from __future__ import annotations

import time
import tomllib
from pathlib import Path

import optuna
import pytest
from optuna.storages import RetryHeartbeatStaleTrialCallback
from optuna.trial import TrialState
from packaging.requirements import Requirement

from sweep.optuna_gaps import ForwardingStorage, fail_trials_that_never_beat, sqlalchemy_engine

pytestmark = pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning",
                                        "ignore:Heartbeat of storage is supposed to be used with Study.optimize")

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"
GRACE = 1  # seconds: Optuna's smallest heartbeat interval and grace period


def optuna_pin() -> Requirement:
    dependencies = tomllib.loads(PYPROJECT.read_text())["project"]["dependencies"]
    return next(Requirement(text) for text in dependencies if Requirement(text).name == "optuna")


def test_the_installed_optuna_is_inside_the_one_minor_series_pyproject_pins():
    pin = optuna_pin()
    assert pin.specifier.contains(optuna.__version__), f"optuna {optuna.__version__} is outside {pin}"
    low = next(spec.version for spec in pin.specifier if spec.operator == ">=")
    high = next(spec.version for spec in pin.specifier if spec.operator == "<")
    major, minor = (int(part) for part in low.split(".")[:2])
    assert high == f"{major}.{minor + 1}"  # one minor series: the gaps are tested on no other


def rdb_storage(tmp_path, heartbeat=True) -> optuna.storages.RDBStorage:
    options = ({"heartbeat_interval": GRACE, "grace_period": GRACE,
                "heartbeat_stale_trial_callback": RetryHeartbeatStaleTrialCallback(max_retry=1)} if heartbeat else {})
    return optuna.storages.RDBStorage(f"sqlite:///{tmp_path / 'gaps.db'}", **options)


@pytest.fixture(params=["RDBStorage", "ForwardingStorage"])
def heartbeat_storage(request, tmp_path):
    """A storage with heartbeats, as SQLite workers open it and as PostgreSQL workers do."""
    storage = rdb_storage(tmp_path)
    return storage if request.param == "RDBStorage" else ForwardingStorage(storage)


def trial_id(storage, study, number: int) -> int:
    return storage.get_trial_id_from_study_id_trial_number(storage.get_study_id_from_name(study.study_name), number)


# --- 1. a trial that never beat ----------------------------------------------------------------


def test_a_running_trial_that_never_beat_is_failed_and_retried_once_past_the_grace_period(heartbeat_storage):
    study = optuna.create_study(storage=heartbeat_storage, directions=["maximize", "minimize"])
    orphan = study.ask()  # RUNNING, and its worker died before the first beat
    orphan.set_user_attr("rating_weight", 0.5)
    beaten = study.ask()  # its worker beat once, then died: Optuna's own check judges this one
    heartbeat_storage.record_heartbeat(trial_id(heartbeat_storage, study, beaten.number))
    fail_trials_that_never_beat(study, heartbeat_storage, GRACE)
    assert [t.state for t in study.trials] == [TrialState.RUNNING] * 2  # within the grace period it may be starting
    time.sleep(GRACE + 0.2)
    fail_trials_that_never_beat(study, heartbeat_storage, GRACE)
    fail_trials_that_never_beat(study, heartbeat_storage, GRACE)  # a second pass (another worker) changes nothing
    assert [t.state for t in study.trials] == [TrialState.FAIL, TrialState.RUNNING, TrialState.WAITING]
    retry = study.trials[2]
    assert retry.user_attrs == {"rating_weight": 0.5}
    assert RetryHeartbeatStaleTrialCallback.retried_trial_number(retry) == orphan.number


def test_optunas_own_check_still_misses_a_trial_that_never_beat(tmp_path):
    # The gap itself: if a new Optuna fails such trials, fail_trials_that_never_beat can go.
    study = optuna.create_study(storage=rdb_storage(tmp_path), directions=["maximize", "minimize"])
    study.ask()
    time.sleep(GRACE + 0.2)
    optuna.storages.fail_stale_trials(study)
    assert [t.state for t in study.trials] == [TrialState.RUNNING]


def test_a_readers_storage_keeps_no_heartbeats_and_fails_nothing(tmp_path):
    storage = rdb_storage(tmp_path, heartbeat=False)
    study = optuna.create_study(storage=storage, directions=["maximize", "minimize"])
    study.ask()
    fail_trials_that_never_beat(study, storage, grace_seconds=0)
    assert [t.state for t in study.trials] == [TrialState.RUNNING]


# --- 2. the database engine --------------------------------------------------------------------


def test_the_engine_is_the_one_the_storage_itself_writes_through(tmp_path):
    storage = rdb_storage(tmp_path)
    study = optuna.create_study(storage=storage, study_name="written")
    assert sqlalchemy_engine(ForwardingStorage(storage)) is sqlalchemy_engine(storage)
    with sqlalchemy_engine(storage).connect() as connection:
        names = [row[0] for row in connection.exec_driver_sql("SELECT study_name FROM studies")]
    assert names == [study.study_name]


# --- 3. a storage of sweep's own that keeps heartbeats -----------------------------------------


def test_every_method_of_optunas_storage_interface_is_forwarded():
    from optuna.storages._heartbeat import BaseHeartbeat

    interface = optuna.storages.BaseStorage.__abstractmethods__ | BaseHeartbeat.__abstractmethods__
    assert interface <= set(vars(ForwardingStorage))  # none falls through to an unforwarded default
    assert not ForwardingStorage.__abstractmethods__


class CountingStorage(ForwardingStorage):
    """Records which backend methods each call reached."""

    def __init__(self, backend):
        super().__init__(backend)
        self.forwarded = set()

    def forward(self, method, *args, **kwargs):
        self.forwarded.add(method.__name__)
        return super().forward(method, *args, **kwargs)


def test_optuna_beats_and_checks_heartbeats_through_a_forwarding_storage(tmp_path):
    storage = CountingStorage(rdb_storage(tmp_path))
    study = optuna.create_study(storage=storage, directions=["maximize", "minimize"])
    study.optimize(lambda trial: (trial.suggest_float("x", 0, 1), 1.0), n_trials=2)
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 2
    assert {"record_heartbeat", "_get_stale_trial_ids", "create_new_trial", "set_trial_state_values"} <= storage.forwarded


@pytest.mark.slow  # seconds of real processes or whole reports: the full suite runs it
def test_optunas_stale_check_fails_and_retries_a_trial_through_a_forwarding_storage(tmp_path):
    storage = ForwardingStorage(rdb_storage(tmp_path))
    study = optuna.create_study(storage=storage, directions=["maximize", "minimize"])
    stale = study.ask()
    storage.record_heartbeat(trial_id(storage, study, stale.number))
    time.sleep(GRACE + 1.2)  # SQLite stamps heartbeats to the whole second
    optuna.storages.fail_stale_trials(study)
    assert [t.state for t in study.trials] == [TrialState.FAIL, TrialState.WAITING]
