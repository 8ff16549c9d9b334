"""sweep.logs: a process's logging is set once at its start; opening storages leaves it alone."""

from __future__ import annotations

import logging
import warnings

import optuna
import pytest

from sweep.logs import configure_logging
from sweep.storage import open_storage


@pytest.fixture
def optuna_verbosity():
    """The test process's Optuna verbosity and warning filters, restored afterwards."""
    saved = optuna.logging.get_verbosity()
    with warnings.catch_warnings():
        yield
    optuna.logging.set_verbosity(saved)


def test_a_configured_process_hears_no_optuna_trial_lines_and_no_experimental_warnings(optuna_verbosity):
    configure_logging(logging.INFO)
    assert optuna.logging.get_verbosity() == optuna.logging.ERROR
    with warnings.catch_warnings(record=True) as caught:
        warnings.warn("an experimental API", optuna.exceptions.ExperimentalWarning, stacklevel=1)
        warnings.warn("anything else", UserWarning, stacklevel=1)
    assert [str(warning.message) for warning in caught] == ["anything else"]


def test_opening_a_storage_leaves_logging_and_warnings_as_it_found_them(optuna_verbosity, tmp_path):
    optuna.logging.set_verbosity(optuna.logging.INFO)
    filters = list(warnings.filters)
    open_storage(f"sqlite:///{tmp_path / 'quiet.db'}")
    assert optuna.logging.get_verbosity() == optuna.logging.INFO
    assert warnings.filters == filters
