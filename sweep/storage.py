"""Where studies live: an Optuna RDB storage (SQLite by default, PostgreSQL for many machines).

The default is one shared SQLite file (config.run.DEFAULT_STORAGE) holding every study
by name; --storage or $SWEEP_STORAGE names any other RDB URL.
Heartbeats let a later run find a killed worker's trial and retry it once.
"""

from __future__ import annotations

import time
from pathlib import Path

from sweep import SweepError
from sweep.config.run import DEFAULT_STORAGE, Heartbeat
from sweep.redact import redact

SQLITE_LOCK_TIMEOUT_SECONDS = 120  # workers wait this long for the write lock instead of failing
CONNECT_TIMEOUT_SECONDS = 10
MAX_RETRIES = 1  # a killed worker's trial is run again once with the same parameters
SCHEMA_ATTEMPTS = 5


def open_storage(url: str, heartbeat: Heartbeat | None = None):
    """An RDBStorage, or one SweepError line saying why it cannot be opened (password redacted).

    Workers pass their heartbeat, and their SQLite transactions take the write lock as they
    begin. Readers (reports, listings, serving) pass none and never ask for the write lock,
    so they read a storage that workers are writing to, or a file on a read-only disk."""
    import warnings

    import optuna
    import sqlalchemy.exc

    optuna.logging.set_verbosity(optuna.logging.ERROR)  # sweep reports each trial (and its failure) itself
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    engine_kwargs = {}
    if url.startswith("sqlite:///"):
        database = Path(url.removeprefix("sqlite:///"))
        if url == DEFAULT_STORAGE:
            database.parent.mkdir(parents=True, exist_ok=True)
        elif not database.parent.is_dir():
            raise SweepError(f"cannot open storage {redact(url)}: directory {database.parent} does not exist")
        engine_kwargs = {"connect_args": {"timeout": SQLITE_LOCK_TIMEOUT_SECONDS}}
    elif url.startswith("postgresql"):
        engine_kwargs = {"connect_args": {"connect_timeout": CONNECT_TIMEOUT_SECONDS}, "pool_pre_ping": True}
    options = {}
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
    if url.startswith("sqlite") and heartbeat is not None:
        _serialize_sqlite_transactions(storage.engine)
    return storage


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
                "spec_hash": study.user_attrs.get("spec_hash"),
                "trainer": study.user_attrs.get("trainer"),  # None: made before studies recorded it
            }
        )
    return rows
