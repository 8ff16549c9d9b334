"""Shared fixtures: a synthetic MovieLens-shaped dataset in a temporary cache, and the real one when cached."""

from __future__ import annotations

import os
import uuid

import pytest

from sweep import data
from sweep.config import run as run_config
from sweep.data import sources, synthetic


# Modules whose every test is marked slow and which import TensorFlow as they load: the quick
# loop (-m "not slow") skips loading them at all, which saves TensorFlow's import.
TENSORFLOW_MODULES = {"test_faithful.py", "test_model.py", "test_trial.py", "test_serve.py", "test_conditioned.py",
                      "test_training.py", "test_evaluation.py"}


def pytest_ignore_collect(collection_path, config):
    if config.getoption("markexpr") == "not slow" and collection_path.name in TENSORFLOW_MODULES:
        return True
    return None


@pytest.fixture(scope="session")
def synthetic_dir(tmp_path_factory):
    """A data dir holding the default synthetic dataset, built once per test session."""
    data_dir = tmp_path_factory.mktemp("data")
    data.fetch("synthetic", data_dir, report=lambda message: None)
    return data_dir


@pytest.fixture(scope="session")
def synthetic_dataset(synthetic_dir):
    return data.load(synthetic_dir, data.SYNTHETIC)


@pytest.fixture(scope="session")
def real_dataset():
    """MovieLens 100K from the default cache; tests using it are marked realdata and skip without it."""
    try:
        return data.load(run_config.data_dir(), data.MOVIELENS)
    except data.SweepError as error:
        pytest.skip(f"MovieLens 100K is not cached ({error})")


def small_raw_tables(n_users=30, n_movies=50, ratings_per_user=8, seed=3):
    """u.data/u.item-shaped frames with a non-ASCII title, to exercise every source's encoding."""
    raw_ratings, raw_movies = synthetic.generate_raw(n_users, n_movies, ratings_per_user, seed)
    raw_movies.loc[4, "movie_title"] = "Misérables, Les (1995)"
    return raw_ratings, raw_movies


def canonical(raw_ratings, raw_movies):
    return sources.normalize(raw_ratings, raw_movies)


def postgres_base_url() -> str:
    """$SWEEP_TEST_POSTGRES_URL (scripts/test and .ci/run start a local server), or skip."""
    url = os.environ.get("SWEEP_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("no PostgreSQL server: set SWEEP_TEST_POSTGRES_URL (scripts/postgres starts one)")
    return url


def fresh_postgres_schema():
    """The test database's URL with its own empty schema (dropped afterwards): each test starts clean."""
    import sqlalchemy

    base = postgres_base_url()
    schema = f"test_{uuid.uuid4().hex[:12]}"
    engine = sqlalchemy.create_engine(base, pool_pre_ping=True)  # survives the server restarts some tests make
    with engine.begin() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def storage(request, tmp_path):
    """An empty storage of each backend the harness supports: the storage contract holds on both."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'studies.db'}"
    else:
        yield from fresh_postgres_schema()


@pytest.fixture
def sqlite_storage(tmp_path):
    """An empty SQLite storage, for tests where the backend does not matter."""
    return f"sqlite:///{tmp_path / 'studies.db'}"


@pytest.fixture
def postgres_storage():
    """An empty PostgreSQL storage, for what only a server can show (many workers, real credentials)."""
    yield from fresh_postgres_schema()
