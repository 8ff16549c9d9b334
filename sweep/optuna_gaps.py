"""What sweep needs from Optuna that its public API does not offer: every use of Optuna's internals.

Everything else in sweep talks to Optuna through its public API. The three gaps below
each reach past it, so each is tested against the Optuna minor series pyproject.toml pins
(tests/test_optuna_gaps.py): a new series moves the pin only with those tests passing.

1. A trial that never beat. `optuna.storages.fail_stale_trials` fails a RUNNING trial whose
   last heartbeat is older than the grace period, but skips one with no heartbeat at all
   (RDBStorage._get_stale_trial_ids: `if len(trial.heartbeats) == 0: continue`). A worker
   leaves such a trial when it dies, or loses its database, between creating the trial and
   its first beat; it would stay RUNNING forever and its study never complete. No public
   API reads heartbeats, so `fail_trials_that_never_beat` reads the `trial_heartbeats` table
   of Optuna's RDB schema (a persistent table that Optuna migrates between versions, so
   steadier than the classes that map it). All else it does is public: trial ids through
   `get_trial_id_from_study_id_trial_number`, the failure through `set_trial_state_values`,
   the retry through the storage's own `get_heartbeat_stale_trial_callback()`.

2. The database engine. RDBStorage's docstring says its attributes are not for users,
   and no method hands out its SQLAlchemy engine. Sweep needs the engine twice: to read the
   heartbeats (1), and to make SQLite transactions take the write lock as they begin
   (storage.py), which only an event listener on the engine can do. `sqlalchemy_engine`
   is the one place that reads it.

3. A storage that is not an RDBStorage yet keeps heartbeats. Riding out a database restart
   means retrying a whole storage call, since one call is one transaction and a transaction
   cut off midway cannot be replayed beneath it. (SQLAlchemy's pool_pre_ping, which sweep
   also sets, replaces connections that died while idle, but not one that drops during a
   query.) A subclass of RDBStorage cannot do it: Optuna wraps every RDBStorage in its
   private cache, which calls private methods of it directly. So `ForwardingStorage` is a
   `BaseStorage` of its own that passes each call of Optuna's storage interface, through one
   method (`forward`, which storage.ResilientStorage retries), to that same cache in front of
   an RDBStorage: `optuna.storages._CachedStorage`, in the package's `__all__` but named
   private. Without it each read of a study's trials would read them all from the server
   (40 ms for 100 trials on a local PostgreSQL, against 3 ms), and `sweep run`'s progress
   view reads them every 2 s. Optuna starts a trial's heartbeat thread only for a storage
   deriving from its `BaseHeartbeat`, which lives in a private module and declares one
   private method, `_get_stale_trial_ids` (what `fail_stale_trials` asks). These three are
   used here and nowhere else.
"""

from __future__ import annotations

import datetime

import optuna
import sqlalchemy
from optuna.storages import BaseStorage, RDBStorage
from optuna.storages._heartbeat import BaseHeartbeat  # gap 3: no public export
from optuna.trial import TrialState

HEARTBEATS_TABLE = "trial_heartbeats"  # Optuna's RDB schema: one row per trial that has beaten


# --- 1. a trial that never beat -------------------------------------------------------------


def fail_trials_that_never_beat(study, storage, grace_seconds: float) -> None:
    """Fail, and retry through the storage's stale-trial callback, each RUNNING trial that has no
    heartbeat and started more than `grace_seconds` ago. (Its start time is the creating
    worker's clock, compared with this one's.) A reader's storage keeps no heartbeats: nothing to do."""
    if storage.get_heartbeat_interval() is None:
        return
    with sqlalchemy_engine(storage).connect() as connection:
        beating = {row[0] for row in connection.execute(sqlalchemy.text(f"SELECT trial_id FROM {HEARTBEATS_TABLE}"))}
    study_id = storage.get_study_id_from_name(study.study_name)
    now, retry = datetime.datetime.now(), storage.get_heartbeat_stale_trial_callback()
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        started = trial.datetime_start
        if started is None or (now - started).total_seconds() <= grace_seconds:
            continue
        trial_id = storage.get_trial_id_from_study_id_trial_number(study_id, trial.number)
        if trial_id in beating:
            continue  # Optuna's own check judges it by its last beat
        try:
            if not storage.set_trial_state_values(trial_id, state=TrialState.FAIL):
                continue
        except optuna.exceptions.UpdateFinishedTrialError:
            continue  # another worker failed it first
        if retry is not None:
            retry(study, storage.get_trial(trial_id))


# --- 2. the database engine -------------------------------------------------------------------


def sqlalchemy_engine(storage) -> sqlalchemy.engine.Engine:
    """The SQLAlchemy engine of an RDBStorage, or of the one a ForwardingStorage passes its calls to."""
    backend = storage.backend if isinstance(storage, ForwardingStorage) else storage
    return backend.engine


# --- 3. a storage of sweep's own that keeps heartbeats ---------------------------------------


class ForwardingStorage(BaseStorage, BaseHeartbeat):
    """Optuna's storage interface, each call passed through `forward` to Optuna's cache in front of `backend`.

    Every abstract method of BaseStorage and BaseHeartbeat is here (tests check it), so
    the rest of BaseStorage's methods, built on them, pass through `forward` too."""

    def __init__(self, backend: RDBStorage):
        self.backend = backend
        self.cached = optuna.storages._CachedStorage(backend)  # gap 3: what optuna.load_study would wrap it in

    def forward(self, method, *args, **kwargs):
        """Call one method of the cached storage: the seam a subclass wraps (storage.ResilientStorage retries)."""
        return method(*args, **kwargs)

    # studies
    def create_new_study(self, directions, study_name=None):
        return self.forward(self.cached.create_new_study, directions, study_name)

    def delete_study(self, study_id):
        return self.forward(self.cached.delete_study, study_id)

    def set_study_user_attr(self, study_id, key, value):
        return self.forward(self.cached.set_study_user_attr, study_id, key, value)

    def set_study_system_attr(self, study_id, key, value):
        return self.forward(self.cached.set_study_system_attr, study_id, key, value)

    def get_study_id_from_name(self, study_name):
        return self.forward(self.cached.get_study_id_from_name, study_name)

    def get_study_name_from_id(self, study_id):
        return self.forward(self.cached.get_study_name_from_id, study_id)

    def get_study_directions(self, study_id):
        return self.forward(self.cached.get_study_directions, study_id)

    def get_study_user_attrs(self, study_id):
        return self.forward(self.cached.get_study_user_attrs, study_id)

    def get_study_system_attrs(self, study_id):
        return self.forward(self.cached.get_study_system_attrs, study_id)

    def get_all_studies(self):
        return self.forward(self.cached.get_all_studies)

    # trials
    def create_new_trial(self, study_id, template_trial=None):
        return self.forward(self.cached.create_new_trial, study_id, template_trial)

    def set_trial_param(self, trial_id, param_name, param_value_internal, distribution):
        return self.forward(self.cached.set_trial_param, trial_id, param_name, param_value_internal, distribution)

    def set_trial_state_values(self, trial_id, state, values=None):
        return self.forward(self.cached.set_trial_state_values, trial_id, state, values)

    def set_trial_intermediate_value(self, trial_id, step, intermediate_value):
        return self.forward(self.cached.set_trial_intermediate_value, trial_id, step, intermediate_value)

    def set_trial_user_attr(self, trial_id, key, value):
        return self.forward(self.cached.set_trial_user_attr, trial_id, key, value)

    def set_trial_system_attr(self, trial_id, key, value):
        return self.forward(self.cached.set_trial_system_attr, trial_id, key, value)

    def get_trial(self, trial_id):
        return self.forward(self.cached.get_trial, trial_id)

    def get_all_trials(self, study_id, deepcopy=True, states=None):
        return self.forward(self.cached.get_all_trials, study_id, deepcopy, states)

    def get_trial_id_from_study_id_trial_number(self, study_id, trial_number):
        # not abstract, but BaseStorage's own would read every trial of the study to find one
        return self.forward(self.cached.get_trial_id_from_study_id_trial_number, study_id, trial_number)

    def remove_session(self):
        self.backend.remove_session()  # closes this thread's connection (the cache has no such method)

    # heartbeats
    def record_heartbeat(self, trial_id):
        return self.forward(self.cached.record_heartbeat, trial_id)

    def _get_stale_trial_ids(self, study_id):  # gap 3: the private method fail_stale_trials calls
        return self.forward(self.cached._get_stale_trial_ids, study_id)

    def get_heartbeat_interval(self):
        return self.cached.get_heartbeat_interval()

    def get_heartbeat_stale_trial_callback(self):
        return self.cached.get_heartbeat_stale_trial_callback()
