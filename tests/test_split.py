"""The split: the tutorial's shuffle-then-take, identical on every run, with a fingerprint of its content."""

from __future__ import annotations

import csv
import hashlib
import io

import numpy as np
import pandas as pd
import pytest

from sweep import SweepError, data
from sweep.data import split as split_module

# The tutorial's exact split of MovieLens 100K, as `sweep data split --json` printed it (and the
# committed reports/tutorial/summary.md records it).
TUTORIAL_SPLIT_FINGERPRINT = "sha256:3fc03a5e7f90d21e7c5a8362478b812df03696a8ca84730ba4062a47f1735273"


def csv_fingerprint(*tables: pd.DataFrame) -> str:
    """The fingerprint's definition, computed independently: SHA-256 over each table written
    as CSV by Python's csv module (header first, numbers with floats as %.6g)."""
    digest = hashlib.sha256()
    for table in tables:
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(table.columns)
        for row in table.itertuples(index=False):
            writer.writerow(["%.6g" % value if isinstance(value, (float, np.floating)) else value for value in row])
        digest.update(text.getvalue().encode("utf-8"))
    return "sha256:" + digest.hexdigest()


def row_keys(frame: pd.DataFrame) -> set:
    return set(zip(frame["user_id"], frame["movie_id"]))


def test_defaults_are_the_tutorials_80_20(synthetic_dataset):
    split = data.load_split(synthetic_dataset, seed=42)
    n = len(synthetic_dataset.ratings)
    assert (len(split.train), len(split.test)) == (round(n * 0.8), n - round(n * 0.8))
    assert split_module.split_sizes(100_000, None, None) == (80_000, 20_000)


def test_the_split_is_the_seeded_permutation_first_train_then_test(synthetic_dataset):
    split = data.load_split(synthetic_dataset, seed=7, train_size=1000, test_size=500)
    order = np.random.default_rng(7).permutation(len(synthetic_dataset.ratings))
    expected = synthetic_dataset.ratings.iloc[order[:1500]].reset_index(drop=True)
    pd.testing.assert_frame_equal(pd.concat([split.train, split.test], ignore_index=True), expected)


def test_parts_are_disjoint_and_drawn_from_the_dataset(synthetic_dataset):
    split = data.load_split(synthetic_dataset, seed=42)
    train, test = row_keys(split.train), row_keys(split.test)
    assert not train & test
    assert train | test == row_keys(synthetic_dataset.ratings)  # default sizes cover every rating once


def test_same_seed_same_split_and_fingerprint_cached_or_not(synthetic_dataset):
    first = data.load_split(synthetic_dataset, seed=11)
    cache_file = synthetic_dataset.path / "splits" / f"permutation-seed11-train{len(first.train)}-test{len(first.test)}.json"
    assert cache_file.exists()
    again = data.load_split(synthetic_dataset, seed=11)
    cache_file.unlink()
    recomputed = data.load_split(synthetic_dataset, seed=11)
    assert first.fingerprint == again.fingerprint == recomputed.fingerprint
    pd.testing.assert_frame_equal(first.train, recomputed.train)


def test_a_corrupt_split_cache_is_recomputed_not_trusted(synthetic_dataset):
    first = data.load_split(synthetic_dataset, seed=12)
    cache_file = next((synthetic_dataset.path / "splits").glob("permutation-seed12-*.json"))
    cache_file.write_text("{not json")
    assert data.load_split(synthetic_dataset, seed=12).fingerprint == first.fingerprint


def test_the_fingerprint_is_the_sha256_of_both_parts_as_csv(synthetic_dataset):
    split = data.load_split(synthetic_dataset, seed=42)
    assert split.fingerprint == csv_fingerprint(split.train, split.test)


def test_the_fingerprint_changes_with_the_seed_or_the_sizes(synthetic_dataset):
    fingerprints = {
        data.load_split(synthetic_dataset, seed=1).fingerprint,
        data.load_split(synthetic_dataset, seed=2).fingerprint,
        data.load_split(synthetic_dataset, seed=1, train_size=100, test_size=100).fingerprint,
    }
    assert len(fingerprints) == 3


def test_a_split_larger_than_the_data_is_refused(synthetic_dataset):
    with pytest.raises(SweepError, match="does not fit"):
        data.load_split(synthetic_dataset, seed=1, train_size=10**9)


@pytest.mark.slow  # TensorFlow draws the tutorial's shuffle
@pytest.mark.realdata
def test_the_tutorials_split_is_its_own_lines_run_over_tfds_record_order(real_dataset):
    split = data.load_split(real_dataset, seed=42, kind="tutorial")
    assert (len(split.train), len(split.test)) == (80_000, 20_000)
    assert split.fingerprint == TUTORIAL_SPLIT_FINGERPRINT
    # the tutorial's lines, run here on the canonical rows (TFDS's record order)
    import sweep  # noqa: F401  (Keras 2 before TensorFlow)
    import tensorflow as tf

    tf.random.set_seed(42)
    shuffled = tf.data.Dataset.range(100_000).shuffle(100_000, seed=42, reshuffle_each_iteration=False)
    train_rows = [int(row) for row in shuffled.take(80_000)]
    test_rows = [int(row) for row in shuffled.skip(80_000).take(20_000)]
    ratings = real_dataset.ratings
    assert csv_fingerprint(ratings.iloc[train_rows].reset_index(drop=True),
                           ratings.iloc[test_rows].reset_index(drop=True)) == TUTORIAL_SPLIT_FINGERPRINT
    assert not row_keys(split.train) & row_keys(split.test)


def test_the_tutorials_split_has_one_seed(synthetic_dataset):
    with pytest.raises(SweepError, match="the tutorial's split has seed 42, not 7"):
        data.load_split(synthetic_dataset, seed=7, kind="tutorial")
