"""The synthetic dataset: MovieLens-shaped, deterministic, with duplicated titles like the real list."""

from __future__ import annotations

import pandas as pd

from sweep.data import synthetic


def test_same_seed_same_tables():
    first, second = synthetic.generate_raw(seed=5), synthetic.generate_raw(seed=5)
    pd.testing.assert_frame_equal(first[0], second[0])
    assert not first[0].equals(synthetic.generate_raw(seed=6)[0])


def test_shape_is_movielens_like():
    ratings, movies = synthetic.generate_raw(n_users=50, n_movies=120, ratings_per_user=10)
    assert len(ratings) == 500
    assert ratings["user_rating"].between(1, 5).all() and (ratings["user_rating"] % 1 == 0).all()
    assert not ratings.duplicated(["user_id", "movie_id"]).any()  # a user rates a movie once
    assert ratings["movie_id"].isin(movies["movie_id"]).all()
    assert movies["movie_title"].nunique() < len(movies)  # reissued titles, as in MovieLens

