"""Shared fixtures: a synthetic MovieLens-shaped dataset in a temporary cache, and the real one when cached."""

from __future__ import annotations

import pytest

from sweep import data
from sweep.data import sources, synthetic


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
        return data.load(data.default_data_dir(), data.MOVIELENS)
    except data.SweepError as error:
        pytest.skip(f"MovieLens 100K is not cached ({error})")


def small_raw_tables(n_users=30, n_movies=50, ratings_per_user=8, seed=3):
    """u.data/u.item-shaped frames with a non-ASCII title, to exercise every source's encoding."""
    raw_ratings, raw_movies = synthetic.generate_raw(n_users, n_movies, ratings_per_user, seed)
    raw_movies.loc[4, "movie_title"] = "Misérables, Les (1995)"
    return raw_ratings, raw_movies


def canonical(raw_ratings, raw_movies):
    return sources.normalize(raw_ratings, raw_movies)


@pytest.fixture(scope="session")
def postgres_url():
    """A PostgreSQL URL from $SWEEP_TEST_POSTGRES_URL (scripts/test and .ci/run start a local server)."""
    import os

    url = os.environ.get("SWEEP_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("no PostgreSQL server: set SWEEP_TEST_POSTGRES_URL (scripts/postgres starts one)")
    return url
