"""sweep.storage's ResilientStorage: a call that loses its database waits for it, up to the outage limit.

The database here is a stand-in whose calls fail as SQLAlchemy reports a dropped connection
(as Optuna wraps it, too); tests/test_reliability.py restarts a real PostgreSQL server.
"""

from __future__ import annotations

import logging

import optuna
import pytest
import sqlalchemy.exc

from sweep import SweepError
from sweep.storage import ResilientStorage

SHOWN = "postgresql://sweep:***@127.0.0.1:5432/sweep"


def dropped(message="server closed the connection unexpectedly") -> Exception:
    """What a storage call raises when the server restarts under it: Optuna's wrapper over SQLAlchemy's."""
    try:
        raise sqlalchemy.exc.OperationalError("SELECT 1", {}, Exception(message))
    except sqlalchemy.exc.OperationalError as error:
        try:
            raise optuna.exceptions.StorageInternalError("An exception is raised during the commit.") from error
        except optuna.exceptions.StorageInternalError as wrapped:
            return wrapped


class Database:
    """A backend whose `call` fails `failures` times, then answers; counts calls and dropped sessions."""

    def __init__(self, failures: int, error=None):
        self.failures, self.error, self.calls, self.sessions_removed = failures, error or dropped(), 0, 0

    def call(self, *args):
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        return "answer"

    record_heartbeat = call

    def remove_session(self):
        self.sessions_removed += 1


def test_a_call_that_loses_its_connection_is_retried_until_the_database_answers(caplog):
    database = Database(failures=2)
    storage = ResilientStorage(database, outage_seconds=10, url_shown=SHOWN)
    with caplog.at_level(logging.WARNING, logger="sweep.storage"):
        assert storage.forward(database.call) == "answer"
    assert database.calls == 3 and database.sessions_removed == 2  # each retry on a fresh connection
    assert caplog.messages == ["the storage is unreachable (server closed the connection unexpectedly); "
                               "retrying for up to 10 s"]  # said once per call, not per attempt
    assert storage.outage is None


def test_any_other_error_is_raised_at_once():
    database = Database(failures=1, error=optuna.exceptions.UpdateFinishedTrialError("trial 3 is finished"))
    storage = ResilientStorage(database, outage_seconds=10, url_shown=SHOWN)
    with pytest.raises(optuna.exceptions.UpdateFinishedTrialError):
        storage.forward(database.call)
    assert database.calls == 1


def test_a_database_that_stays_away_past_the_limit_stops_the_call_with_one_line():
    database = Database(failures=1000)
    storage = ResilientStorage(database, outage_seconds=0.5, url_shown=SHOWN)
    with pytest.raises(SweepError) as stopped:
        storage.forward(database.call)
    # waits of 0.2 s, then 0.4 s would pass the 0.5 s limit: two calls
    assert database.calls == 2
    assert str(stopped.value) == (f"the storage {SHOWN} was unreachable for 0.5 s (server closed the connection "
                                  "unexpectedly); its running trial is failed and retried by the next `sweep run` "
                                  "once the database is back")
    assert storage.outage is stopped.value  # what the worker reports as its last word


def test_a_heartbeat_that_cannot_reach_the_database_stops_quietly():
    database = Database(failures=1000)
    storage = ResilientStorage(database, outage_seconds=0.3, url_shown=SHOWN)
    storage.record_heartbeat(7)  # Optuna's heartbeat thread would die with a traceback if this raised
    assert storage.outage is not None
