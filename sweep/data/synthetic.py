"""A small MovieLens-shaped dataset with planted structure, for tests and smoke runs.

Users and movies get hidden taste vectors. Which movies a user rates depends on the
match between the two (so retrieval is learnable) and the rating depends on it too
(so ranking is learnable): a trained model beats an untrained one on both tasks.
Like the real list, a few titles appear twice under different movie ids.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sweep import UsageError

TASTE_DIMENSION = 4


DEFAULT_USERS, DEFAULT_MOVIES, DEFAULT_RATINGS_PER_USER = 300, 400, 40
BLOCK_CELLS = 4_000_000  # user x movie scores drawn at a time at scale (~100 MB of working arrays)


def sizes(ratings: int | None = None, users: int | None = None, movies: int | None = None) -> dict:
    """generate_raw's arguments for a total number of ratings, users and movies (None: the small set's;
    0 is a size, and refused)."""
    n_users = DEFAULT_USERS if users is None else users
    n_movies = DEFAULT_MOVIES if movies is None else movies
    n_ratings = n_users * min(DEFAULT_RATINGS_PER_USER, n_movies) if ratings is None else ratings
    if min(n_users, n_movies, n_ratings) < 1:
        raise UsageError("--ratings, --users and --movies must be positive")
    if not n_users <= n_ratings <= n_users * n_movies:
        raise UsageError(f"--ratings {n_ratings:,}: each of {n_users:,} users rates at least one and at most "
                         f"{n_movies:,} movies, so between {n_users:,} and {n_users * n_movies:,}")
    if ratings is None:
        return {"n_users": n_users, "n_movies": n_movies, "ratings_per_user": n_ratings // n_users}
    return {"n_users": n_users, "n_movies": n_movies, "n_ratings": n_ratings}


def generate_raw(
    n_users: int = DEFAULT_USERS, n_movies: int = DEFAULT_MOVIES, ratings_per_user: int = DEFAULT_RATINGS_PER_USER,
    seed: int = 0, n_ratings: int | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """u.data-shaped and u.item-shaped frames; deterministic for a given seed. With `n_ratings`,
    users rate n_ratings // n_users movies each (the first ones one more), drawn block by block,
    so MovieLens 20M's size (20M ratings, 138K users, 27K movies) fits in memory."""
    if n_ratings is not None:
        return _generate_at_scale(n_users, n_movies, n_ratings, seed)
    if not 0 < ratings_per_user <= n_movies:
        raise ValueError("ratings_per_user must be between 1 and n_movies")
    rng = np.random.default_rng(seed)
    user_taste = rng.normal(size=(n_users, TASTE_DIMENSION))
    movie_taste = rng.normal(size=(n_movies, TASTE_DIMENSION))
    popularity = rng.normal(scale=0.5, size=n_movies)
    affinity = user_taste @ movie_taste.T / np.sqrt(TASTE_DIMENSION)

    # Gumbel top-k: each user rates a distinct set of movies, drawn by affinity + popularity.
    gumbel = rng.gumbel(size=affinity.shape)
    chosen = np.argsort(-(2.0 * affinity + popularity + gumbel), axis=1)[:, :ratings_per_user]

    user_ids = np.repeat(np.arange(1, n_users + 1), ratings_per_user)
    movie_index = chosen.reshape(-1)
    match = affinity[np.repeat(np.arange(n_users), ratings_per_user), movie_index]
    ratings = np.clip(np.rint(3.5 + 1.2 * match + rng.normal(scale=0.5, size=match.shape)), 1, 5)
    timestamps = 874_724_710 + rng.integers(0, 20_000_000, size=match.shape)

    raw_ratings = pd.DataFrame(
        {"user_id": user_ids, "movie_id": movie_index + 1, "user_rating": ratings, "timestamp": timestamps}
    )
    return raw_ratings, _movies(n_movies)


def _movies(n_movies: int) -> pd.DataFrame:
    titles = [f"Synthetic Movie {index} ({1930 + index % 68})" for index in range(1, n_movies + 1)]
    n_reissued = max(1, min(3, n_movies // 100)) if n_movies >= 2 else 0
    for duplicate in range(1, n_reissued + 1):  # a few reissued titles share a name, as in MovieLens
        titles[-duplicate] = titles[duplicate - 1]
    return pd.DataFrame({"movie_id": np.arange(1, n_movies + 1), "movie_title": titles})


def _generate_at_scale(n_users: int, n_movies: int, n_ratings: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The same planted structure, drawn for a block of users at a time (never users x movies at once)."""
    rng = np.random.default_rng(seed)
    user_taste = rng.normal(size=(n_users, TASTE_DIMENSION)).astype(np.float32)
    movie_taste = rng.normal(size=(n_movies, TASTE_DIMENSION)).astype(np.float32)
    popularity = rng.normal(scale=0.5, size=n_movies).astype(np.float32)
    counts = np.full(n_users, n_ratings // n_users)
    counts[: n_ratings % n_users] += 1
    block = max(1, BLOCK_CELLS // n_movies)
    users, movies, matches = [], [], []
    for start in range(0, n_users, block):
        stop = min(start + block, n_users)
        affinity = user_taste[start:stop] @ movie_taste.T / np.float32(np.sqrt(TASTE_DIMENSION))
        score = 2.0 * affinity + popularity + rng.gumbel(size=affinity.shape).astype(np.float32)
        most = int(counts[start:stop].max())
        chosen = np.argpartition(-score, most - 1, axis=1)[:, :most] if most < n_movies else np.argsort(-score, axis=1)
        keep = np.arange(most)[None, :] < counts[start:stop, None]  # a user with one fewer drops one
        rows = np.repeat(np.arange(start, stop), most).reshape(stop - start, most)[keep]
        picked = chosen[keep]
        users.append(rows)
        movies.append(picked)
        matches.append(affinity[rows - start, picked])
    user_index, movie_index, match = (np.concatenate(parts) for parts in (users, movies, matches))
    ratings = np.clip(np.rint(3.5 + 1.2 * match + rng.normal(scale=0.5, size=match.shape)), 1, 5).astype(np.float32)
    timestamps = 874_724_710 + rng.integers(0, 20_000_000, size=match.shape)
    raw_ratings = pd.DataFrame({"user_id": user_index + 1, "movie_id": movie_index + 1, "user_rating": ratings,
                                "timestamp": timestamps})
    return raw_ratings, _movies(n_movies)
