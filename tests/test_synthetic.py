"""The synthetic dataset: MovieLens-shaped, deterministic, with duplicated titles like the real list."""

from __future__ import annotations

import pandas as pd
import pytest

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



def test_at_scale_each_user_rates_distinct_movies_and_the_total_is_exact():
    raw_ratings, raw_movies = synthetic.generate_raw(n_users=70, n_movies=50, n_ratings=1_234, seed=3)
    assert len(raw_ratings) == 1_234 and len(raw_movies) == 50
    per_user = raw_ratings.groupby("user_id").size()
    assert sorted(set(per_user)) == [17, 18] and (per_user == 18).sum() == 1_234 % 70  # 1,234 = 70 x 17 + 44
    assert not raw_ratings.duplicated(["user_id", "movie_id"]).any()
    assert raw_ratings["movie_id"].between(1, 50).all() and raw_ratings["user_rating"].between(1, 5).all()


def test_synthetic_sizes_that_cannot_exist_are_one_line():
    from sweep import UsageError

    with pytest.raises(UsageError, match="between 10 and 50"):
        synthetic.sizes(ratings=51, users=10, movies=5)
    assert synthetic.sizes() == {"n_users": 300, "n_movies": 400, "ratings_per_user": 40}  # the small default
