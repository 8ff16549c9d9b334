"""A split as the model consumes it: integer ids, vocabularies and candidate lists.

Built once per worker process (not once per trial) and shared by the trial, the
baselines and the models kept for serving. The string -> id mapping has one definition,
`vocabulary_index`, with the convention of the tutorial's StringLookup: vocabulary[i]
-> i + 1, anything unknown -> 0 (the out-of-vocabulary row).

With a rating fraction below 1 (sweep.data.rated), a training row that does not keep its
rating has the rating NaN: it is still an interaction (retrieval trains on it), but it has no
label, and a rating loss that forgot so would be NaN and fail the trial rather than train on
a rating the data no longer has. At 1.0 nothing is drawn and the arrays are the split's.

With a validation share above 0 (sweep.data.validation), that slice of the training rows is
held out first (`validation`, every rating kept): trials train on the rest and their objectives
are measured on it (`objective_split`); the test split only reports.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sweep.data.cache import Dataset, load
from sweep.data.rated import rated_fingerprint, rated_rows
from sweep.data.split import Split, load_split
from sweep.data.validation import load_validation

OUT_OF_VOCABULARY = 0


@dataclass(frozen=True)
class PreparedData:
    """The split as integer-id arrays, with the vocabularies and both candidate lists."""

    user_vocabulary: tuple[str, ...]
    title_vocabulary: tuple[str, ...]
    train: dict  # name -> np.ndarray: user_id, movie_title (ids), user_rating (NaN: no rating kept)
    test: dict
    candidates: dict  # "all_entries" (every movie-list entry) / "unique_titles" -> title ids
    split_fingerprint: str  # the split's, extended by the rated subset's when some rows have no rating
    data_checksum: str
    rating_fraction: float = 1.0  # the share of training rows that keep their rating (sweep.data.rated)
    validation: dict | None = None  # the held-out training rows the objectives are measured on; None: test
    validation_share: float = 0.0  # data.validation: the share of the split's training rows held out

    @property
    def objective_split(self) -> dict:
        """The rows a trial's objectives (and its per-epoch curves) are measured on: validation, else test."""
        return self.test if self.validation is None else self.validation

    @property
    def objective_split_name(self) -> str:
        return "test" if self.validation is None else "validation"

    @property
    def partly_rated(self) -> bool:
        """Whether some training rows have no rating: the rating loss then averages the rated rows only."""
        return self.rating_fraction < 1.0

    def rated_train(self) -> dict:
        """The training rows that keep their rating (all of them at fraction 1.0)."""
        if not self.partly_rated:
            return self.train
        rated = np.isfinite(self.train["user_rating"])
        return {name: column[rated] for name, column in self.train.items()}


def vocabulary_index(vocabulary) -> dict[str, int]:
    """StringLookup's mapping of a vocabulary: its i-th entry -> i + 1 (0 is left for unknowns)."""
    return {key: index + 1 for index, key in enumerate(vocabulary)}


def lookup(vocabulary):
    """`vocabulary_index` for whole columns at once (tens of millions of rows in seconds)."""
    index = pd.Index(vocabulary)

    def ids(values) -> np.ndarray:
        return (index.get_indexer(pd.Index(values)) + 1).astype(np.int32)  # -1 (unknown) + 1 = 0

    return ids


def prepare(dataset: Dataset, split: Split, rating_fraction: float = 1.0, validation: float = 0.0) -> PreparedData:
    """Look every string up once; the vocabularies are the sorted unique users and titles. A validation
    share above 0 holds that slice of the training rows out first (sweep.data.validation); below a
    rating fraction of 1, only the rated subset of the (remaining) training rows (sweep.data.rated,
    drawn with the split's seed) keeps its rating."""
    users = tuple(sorted(set(dataset.ratings["user_id"])))
    titles = tuple(sorted(set(dataset.movies["movie_title"])))
    user_ids, title_ids = lookup(users), lookup(titles)

    def encode(part) -> dict:
        return {
            "user_id": user_ids(part["user_id"]),
            "movie_title": title_ids(part["movie_title"]),
            "user_rating": part["user_rating"].to_numpy(dtype=np.float32),
        }

    entries = title_ids(dataset.movies["movie_title"])
    train, fingerprint = encode(split.train), split.fingerprint
    held_out = None
    if validation > 0.0:
        mask, fingerprint = load_validation(dataset, split, train["user_id"], validation)
        held_out = {name: column[mask] for name, column in train.items()}
        train = {name: column[~mask] for name, column in train.items()}
    if rating_fraction < 1.0:
        rated = rated_rows(train["user_id"], rating_fraction, split.seed)
        train["user_rating"] = np.where(rated, train["user_rating"], np.float32(np.nan))
        fingerprint = rated_fingerprint(fingerprint, rating_fraction, split.seed, rated)
    return PreparedData(
        user_vocabulary=users,
        title_vocabulary=titles,
        train=train,
        test=encode(split.test),
        candidates={"all_entries": entries, "unique_titles": np.unique(entries)},
        split_fingerprint=fingerprint,
        data_checksum=dataset.checksum,
        rating_fraction=rating_fraction,
        validation=held_out,
        validation_share=validation,
    )


def load_prepared(data_config, data_dir: Path) -> PreparedData:
    """The cached dataset and the split a DataConfig names, prepared (with its rating fraction)."""
    dataset = load(data_dir, data_config.dataset)
    split = load_split(dataset, seed=data_config.split_seed, train_size=data_config.train_size,
                       test_size=data_config.test_size, kind=data_config.split)
    return prepare(dataset, split, data_config.rating_fraction, data_config.validation)
