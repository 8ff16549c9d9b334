"""Where studies live: an Optuna RDB storage (SQLite by default, PostgreSQL for many machines).

The default is one shared SQLite file (config.run.DEFAULT_STORAGE) holding every study
by name; --storage or $SWEEP_STORAGE names any other RDB URL.
Heartbeats let a later run find a killed worker's trial and retry it once.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from sweep import SweepError
from sweep.config import recorded_objectives
from sweep.config.run import DEFAULT_STORAGE, STORAGE_OUTAGE_SECONDS, Heartbeat
from sweep.optuna_gaps import ForwardingStorage, sqlalchemy_engine
from sweep.redact import redact

log = logging.getLogger(__name__)

SQLITE_LOCK_TIMEOUT_SECONDS = 120  # workers wait this long for the write lock instead of failing
CONNECT_TIMEOUT_SECONDS = 10
MAX_RETRIES = 1  # a killed worker's trial is run again once with the same parameters
SCHEMA_ATTEMPTS = 5


def open_storage(url: str, heartbeat: Heartbeat | None = None, outage_seconds: float = STORAGE_OUTAGE_SECONDS):
    """An Optuna storage, or one SweepError line saying why it cannot be opened (password redacted).

    Workers pass their heartbeat, and their SQLite transactions take the write lock as they
    begin. Readers (reports, listings, serving) pass none and never ask for the write lock,
    so they read a storage that workers are writing to, or a file on a read-only disk.
    A database server (PostgreSQL) may restart or vanish for up to `outage_seconds`: every
    call waits for it (`ResilientStorage`). Optuna's logging and warnings are the CLI's to set."""
    import optuna
    import sqlalchemy.exc

    engine_kwargs: dict[str, Any] = {}
    if url.startswith("sqlite:///"):
        database = Path(url.removeprefix("sqlite:///"))
        if url == DEFAULT_STORAGE:
            database.parent.mkdir(parents=True, exist_ok=True)
        elif not database.parent.is_dir():
            raise SweepError(f"cannot open storage {redact(url)}: directory {database.parent} does not exist")
        engine_kwargs = {"connect_args": {"timeout": SQLITE_LOCK_TIMEOUT_SECONDS}}
    elif url.startswith("postgresql"):
        engine_kwargs = {"connect_args": {"connect_timeout": CONNECT_TIMEOUT_SECONDS}, "pool_pre_ping": True}
    options: dict[str, Any] = {}
    if heartbeat is not None:
        options = {
            "heartbeat_interval": heartbeat.interval,
            "grace_period": heartbeat.grace,
            "heartbeat_stale_trial_callback": optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry=MAX_RETRIES),
        }
    for attempt in range(SCHEMA_ATTEMPTS):
        try:
            storage = optuna.storages.RDBStorage(url, engine_kwargs=engine_kwargs, **options)
            break
        except (sqlalchemy.exc.SQLAlchemyError, ImportError, ValueError, OSError) as error:
            # Workers creating the schema of a new database at once collide; the loser retries.
            racing = isinstance(error, sqlalchemy.exc.IntegrityError) or "already exists" in str(error)
            if not racing or attempt == SCHEMA_ATTEMPTS - 1:
                raise SweepError(f"cannot open storage {redact(url)}: {_first_line(error)}") from error
            time.sleep(0.5 * (attempt + 1))
    if url.startswith("sqlite"):
        if heartbeat is not None:
            _serialize_sqlite_transactions(sqlalchemy_engine(storage))
        return storage
    return ResilientStorage(storage, outage_seconds, redact(url))


class ResilientStorage(ForwardingStorage):
    """An RDBStorage whose calls ride out a database restart.

    A call that fails because the connection dropped or the server refuses connections is
    retried with backoff (0.2 s doubling to 5 s) until `outage_seconds` have passed since the
    first failure; then the worker stops with one error line (`outage`), and its running
    trial, whose heartbeat stopped too, is failed and retried by the next run. A retried
    write whose commit reached the server just before the connection dropped could apply
    twice; a server restart makes that window a few milliseconds wide. Why the whole call is
    retried, and why this is not an RDBStorage: sweep.optuna_gaps, gap 3.
    """

    def __init__(self, backend, outage_seconds: float, url_shown: str):
        super().__init__(backend)
        self.outage_seconds, self.url_shown = outage_seconds, url_shown
        self.outage: SweepError | None = None  # set when the database stayed away: the worker's last word

    def forward(self, method, *args, **kwargs):
        deadline, pause, warned = None, 0.2, False
        while True:
            try:
                return method(*args, **kwargs)
            except Exception as error:
                if not _connection_lost(error):
                    raise
                deadline = deadline or time.monotonic() + self.outage_seconds
                if time.monotonic() + pause > deadline:
                    self.outage = SweepError(
                        f"the storage {self.url_shown} was unreachable for {self.outage_seconds:g} s ({_first_line(error)}); "
                        "its running trial is failed and retried by the next `sweep run` once the database is back")
                    raise self.outage from error
                if not warned:
                    log.warning("the storage is unreachable (%s); retrying for up to %g s",
                                _first_line(error), self.outage_seconds)
                    warned = True
                self.backend.remove_session()
                time.sleep(pause)
                pause = min(2 * pause, 5.0)

    def record_heartbeat(self, trial_id):
        try:
            super().record_heartbeat(trial_id)
        except SweepError:
            pass  # the heartbeat thread stops quietly; the worker's own next call reports the outage


def _connection_lost(error: BaseException | None) -> bool:
    """A dropped connection or a refusing server, wherever Optuna wrapped it."""
    import sqlalchemy.exc

    while error is not None:
        if isinstance(error, (sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError)):
            return True
        if isinstance(error, sqlalchemy.exc.DBAPIError) and error.connection_invalidated:
            return True
        error = error.__cause__ or error.__context__
    return False


def _serialize_sqlite_transactions(engine) -> None:
    """Make each SQLite transaction take the write lock when it begins (BEGIN IMMEDIATE).

    SQLite ignores SELECT ... FOR UPDATE, so without this two workers can both read an
    enqueued (WAITING) trial and both start it. SQLAlchemy's documented recipe.
    """
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def autocommit_driver(dbapi_connection, connection_record):
        dbapi_connection.isolation_level = None  # let SQLAlchemy emit BEGIN itself

    @event.listens_for(engine, "begin")
    def begin_immediate(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    engine.dispose()  # connections made before the listeners existed are dropped


def _first_line(error: BaseException) -> str:
    """The first line of what the driver said (beneath Optuna's and SQLAlchemy's wrappers), redacted."""
    while error.__cause__ is not None and getattr(error, "orig", None) is None:
        error = error.__cause__
    text = str(getattr(error, "orig", None) or error).strip()
    return redact(text.splitlines()[0]) if text else type(error).__name__


def list_studies(url: str) -> list[dict]:
    """Every study in the storage with its trial counts by state."""
    import optuna

    storage = open_storage(url)
    rows = []
    for summary in optuna.get_all_study_summaries(storage, include_best_trial=False):
        study = optuna.load_study(study_name=summary.study_name, storage=storage)
        counts: dict[str, int] = {}
        for trial in study.get_trials(deepcopy=False):
            counts[trial.state.name] = counts.get(trial.state.name, 0) + 1
        rows.append(
            {
                "name": summary.study_name,
                "n_trials": study.user_attrs.get("n_trials"),
                "counts": counts,
                "objectives": recorded_objectives(study.metric_names, study.user_attrs),
                "directions": [direction.name.lower() for direction in study.directions],
                "spec_hash": study.user_attrs.get("spec_hash"),
                "trainer": study.user_attrs.get("trainer"),  # None: made before studies recorded it
                "stopped": study.user_attrs.get("stopped"),  # why it stopped before its target (sweep.patience)
            }
        )
    return rows


def load_stored_study(name: str, url: str):
    """A stored study by name, for reading (reports, serving); one error line naming the studies there."""
    import optuna

    storage = open_storage(url)
    try:
        return optuna.load_study(study_name=name, storage=storage)
    except KeyError:
        names = sorted(s.study_name for s in optuna.get_all_study_summaries(storage, include_best_trial=False))
        known = ", ".join(names) if names else "none"
        raise SweepError(f"no study named {name!r} in {redact(url)} (studies there: {known})") from None
