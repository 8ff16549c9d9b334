"""Sparse ratings: which training rows keep their rating, and the prepared split they make.

The rule (sweep/data/rated.py): exactly max(1, round(f × N)) rows keep their rating; every user
keeps one before any keeps two; beyond that each user keeps its share of one common threshold;
a smaller fraction's rows lie inside a larger one's; the split's seed draws them; the test
split and every interaction are untouched.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from sweep import data
from sweep.data.prepared import prepare
from sweep.data.rated import rated_count, rated_rows

# 40 users with 1 to 40 rows each (820 rows), shuffled: every size of user, from a single row up.
USERS = np.random.default_rng(5).permutation(np.repeat(np.arange(1, 41), np.arange(1, 41)))


def counts(mask: np.ndarray, users: np.ndarray = USERS) -> tuple[np.ndarray, np.ndarray]:
    """Per user: its rows, and how many of them keep their rating."""
    return np.bincount(users)[1:], np.bincount(users[mask], minlength=users.max() + 1)[1:]


@pytest.mark.parametrize("fraction, expected", [(1.0, 820), (0.5, 410), (0.2, 164), (0.05, 41), (0.01, 8),
                                                (0.0001, 1), (0.0025, 2)])  # 2.05 rounds to 2; 0.082 to at least 1
def test_exactly_the_fraction_of_rows_keeps_its_rating(fraction, expected):
    assert rated_count(len(USERS), fraction) == expected
    assert rated_rows(USERS, fraction, seed=0).sum() == expected


def test_half_a_row_rounds_up():
    assert rated_count(10, 0.25) == 3 and rated_count(10, 0.15) == 2 and rated_count(80_000, 0.01) == 800


def test_the_same_seed_draws_the_same_rows_and_another_seed_others():
    assert np.array_equal(rated_rows(USERS, 0.2, seed=3), rated_rows(USERS, 0.2, seed=3))
    assert not np.array_equal(rated_rows(USERS, 0.2, seed=3), rated_rows(USERS, 0.2, seed=4))


def test_every_user_keeps_a_rating_when_there_are_enough_to_go_round():
    for fraction in (0.05, 0.2, 0.5):  # 41, 164, 410 ratings for 40 users
        rows, kept = counts(rated_rows(USERS, fraction, seed=1))
        assert kept.min() >= 1 and np.all(kept <= rows)


def test_below_one_rating_per_user_no_user_keeps_two():
    rows, kept = counts(rated_rows(USERS, 0.01, seed=1))  # 8 ratings for 40 users
    assert kept.sum() == 8 and kept.max() == 1


@pytest.mark.parametrize("fraction", [0.05, 0.2, 0.5, 0.9])
def test_each_user_keeps_its_share_of_one_common_threshold(fraction):
    # A user that keeps c ≥ 2 of its n rows sits within half a row of a share t common to all users:
    # (c - ½) / n ≤ t, and a user that could have kept one more lies at or above t: t ≤ (c + ½) / n.
    rows, kept = counts(rated_rows(USERS, fraction, seed=2))
    lowest_above = np.min(((kept + 0.5) / rows)[kept < rows])
    highest_below = np.max(((kept - 0.5) / rows)[kept >= 2])
    assert highest_below <= lowest_above
    assert abs(kept.sum() / rows.sum() - fraction) <= 0.5 / rows.sum()  # the total is the fraction, to a row


def test_a_smaller_fractions_ratings_lie_inside_a_larger_ones():
    masks = [rated_rows(USERS, fraction, seed=7) for fraction in (0.01, 0.05, 0.2, 0.5, 1.0)]
    for smaller, larger in zip(masks, masks[1:], strict=False):
        assert np.all(larger[smaller])
    assert masks[-1].all()


@pytest.fixture(scope="module")
def split(synthetic_dataset):
    return data.load_split(synthetic_dataset, seed=42)


@pytest.fixture(scope="module")
def whole(synthetic_dataset, split):
    return prepare(synthetic_dataset, split)


def test_at_fraction_one_nothing_is_drawn_and_the_split_is_the_tutorials_as_before(synthetic_dataset, split, whole):
    explicit = prepare(synthetic_dataset, split, rating_fraction=1.0)
    assert not whole.partly_rated and whole.split_fingerprint == split.fingerprint
    for part in ("train", "test"):
        for name, column in getattr(whole, part).items():
            assert np.array_equal(getattr(explicit, part)[name], column) and np.isfinite(column).all()
    assert explicit.split_fingerprint == split.fingerprint
    assert whole.rated_train() is whole.train


def test_sparse_ratings_leave_every_interaction_and_the_test_split_untouched(synthetic_dataset, split, whole):
    sparse = prepare(synthetic_dataset, split, rating_fraction=0.2)
    rated = np.isfinite(sparse.train["user_rating"])
    n_rows = len(whole.train["user_id"])
    assert sparse.partly_rated and rated.sum() == math.floor(0.2 * n_rows + 0.5)
    # every training row is still an interaction of the same user and title (retrieval trains on all)
    for name in ("user_id", "movie_title"):
        assert np.array_equal(sparse.train[name], whole.train[name])
    # a kept rating is the row's own; the others have none
    assert np.array_equal(sparse.train["user_rating"][rated], whole.train["user_rating"][rated])
    assert np.isnan(sparse.train["user_rating"][~rated]).all()
    for name, column in whole.test.items():
        assert np.array_equal(sparse.test[name], column)
    # the rated rows are training rows (the mask runs over the split's training rows in order): none is a test row
    test_rows = set(split.test.itertuples(index=False))
    assert len(test_rows) == len(split.test)  # every rating distinct, so "not a test row" means something
    assert test_rows.isdisjoint(split.train[rated].itertuples(index=False))
    assert {name: len(column) for name, column in sparse.rated_train().items()} == {
        "user_id": rated.sum(), "movie_title": rated.sum(), "user_rating": rated.sum()}


def test_the_fingerprint_names_the_fraction_and_the_rows(synthetic_dataset, split, whole):
    prints = {fraction: prepare(synthetic_dataset, split, rating_fraction=fraction).split_fingerprint
              for fraction in (1.0, 0.5, 0.2, 0.05)}
    assert len(set(prints.values())) == 4 and prints[1.0] == whole.split_fingerprint
    assert prepare(synthetic_dataset, split, rating_fraction=0.2).split_fingerprint == prints[0.2]
    other_split = data.load_split(synthetic_dataset, seed=7)
    assert prepare(synthetic_dataset, other_split, rating_fraction=0.2).split_fingerprint != prints[0.2]


def test_the_rating_baselines_learn_from_the_rated_rows_only(synthetic_dataset, split):
    from sweep.baselines import context_baselines

    sparse = prepare(synthetic_dataset, split, rating_fraction=0.2)
    rated = np.isfinite(sparse.train["user_rating"])
    mean = sparse.train["user_rating"][rated].mean()
    context = context_baselines(sparse)
    assert context["global_mean_rmse"] == pytest.approx(math.sqrt(np.mean((sparse.test["user_rating"] - mean) ** 2)))
    assert math.isfinite(context["user_item_bias_rmse"])
    whole_context = context_baselines(prepare(synthetic_dataset, split))
    assert context["most_popular_top_10_accuracy"] == whole_context["most_popular_top_10_accuracy"]  # interactions
