"""A small MovieLens-shaped dataset with planted structure, for tests and smoke runs.

Users and movies get hidden taste vectors. Which movies a user rates depends on the
match between the two (so retrieval is learnable) and the rating depends on it too
(so ranking is learnable): a trained model beats an untrained one on both tasks.
Like the real list, a few titles appear twice under different movie ids.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

TASTE_DIMENSION = 4


def generate_raw(
    n_users: int = 300, n_movies: int = 400, ratings_per_user: int = 40, seed: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """u.data-shaped and u.item-shaped frames; deterministic for a given seed."""
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
    titles = [f"Synthetic Movie {index} ({1930 + index % 68})" for index in range(1, n_movies + 1)]
    n_reissued = max(1, min(3, n_movies // 100)) if n_movies >= 2 else 0
    for duplicate in range(1, n_reissued + 1):  # a few reissued titles share a name, as in MovieLens
        titles[-duplicate] = titles[duplicate - 1]
    raw_movies = pd.DataFrame({"movie_id": np.arange(1, n_movies + 1), "movie_title": titles})
    return raw_ratings, raw_movies
