"""The train/test split: the tutorial's shuffle-then-take, computed once and cached.

The permutation comes from NumPy's PCG64 generator over the canonical row order, so it
is identical on every machine. Its fingerprint hashes the rows of both parts: the sweep
records it with every trial and refuses workers that see a different split.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sweep import SweepError
from sweep.data.cache import Dataset, content_checksum

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Split:
    train: pd.DataFrame
    test: pd.DataFrame
    seed: int
    fingerprint: str


def split_sizes(n_rows: int, train_size: int | None, test_size: int | None) -> tuple[int, int]:
    """Requested sizes, defaulting to the tutorial's 80 % / 20 % (80,000 / 20,000 of 100K)."""
    train = int(round(n_rows * 0.8)) if train_size is None else train_size
    test = n_rows - train if test_size is None else test_size
    if train <= 0 or test <= 0 or train + test > n_rows:
        raise SweepError(
            f"a split of {train} train + {test} test rows does not fit {n_rows} ratings; lower data.train_size / data.test_size"
        )
    return train, test


def permutation(n_rows: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).permutation(n_rows)


def fingerprint(train: pd.DataFrame, test: pd.DataFrame) -> str:
    return content_checksum(train, test)


def load_split(dataset: Dataset, seed: int = 42, train_size: int | None = None, test_size: int | None = None) -> Split:
    """The split for (seed, sizes), from the cache beside the data when present."""
    train_size, test_size = split_sizes(len(dataset.ratings), train_size, test_size)
    cache_file = dataset.path / "splits" / f"seed{seed}-train{train_size}-test{test_size}.json"
    order = None
    if cache_file.exists():
        try:
            cached = json.loads(cache_file.read_text())
            if cached["data_checksum"] == dataset.checksum:
                order = np.asarray(cached["rows"], dtype="int64")
        except (OSError, ValueError, KeyError):
            order = None  # an unreadable split cache is recomputed, never trusted
    if order is None:
        order = permutation(len(dataset.ratings), seed)[: train_size + test_size]
    train = dataset.ratings.iloc[order[:train_size]].reset_index(drop=True)
    test = dataset.ratings.iloc[order[train_size:]].reset_index(drop=True)
    split = Split(train=train, test=test, seed=seed, fingerprint=fingerprint(train, test))
    if not cache_file.exists():
        _write_atomically(
            cache_file,
            {"seed": seed, "data_checksum": dataset.checksum, "fingerprint": split.fingerprint, "rows": order.tolist()},
        )
    return split


def _write_atomically(path: Path, content: dict) -> None:
    """Cache the split's rows; a cache that cannot be written (read-only, full) only costs recomputing."""
    temporary = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".split-")
        with os.fdopen(handle, "w") as stream:
            json.dump(content, stream)
        os.replace(temporary, path)
    except OSError as error:
        log.warning("the split is not cached (%s): it will be recomputed next time", error.strerror or error)
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)  # nothing half-written stays behind
