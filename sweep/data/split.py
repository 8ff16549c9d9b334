"""The train/test split: shuffle the ratings, take the first part for training, the next for testing.

Two kinds, computed once and cached beside the data:
- "tutorial": the tutorial's exact split. Its lines — `tf.random.set_seed(42)`,
  `shuffle(100_000, seed=42, reshuffle_each_iteration=False)`, `take(80_000)`, then
  `skip(80_000).take(20_000)` — run over the ratings in TFDS's record order, which is the
  canonical order (sweep.data.sources). It needs TensorFlow once, to draw that shuffle.
- "permutation": NumPy's PCG64 permutation of the canonical order under any seed, identical
  on every machine: for split-to-split noise, and for datasets the tutorial never split.
A split's fingerprint hashes the rows of both parts: the sweep records it with every trial
and refuses workers that see a different split.
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


SPLITS = ("tutorial", "permutation")
TUTORIAL_SEED = 42  # the tutorial's tf.random.set_seed and shuffle seed
TUTORIAL_SHUFFLE_BUFFER = 100_000


@dataclass(frozen=True)
class Split:
    train: pd.DataFrame
    test: pd.DataFrame
    seed: int
    fingerprint: str
    kind: str = "permutation"


def tutorial_order(n_rows: int) -> np.ndarray:
    """The tutorial's shuffle of the records, drawn by the tutorial's own tf.data lines."""
    from sweep import import_tensorflow

    tf = import_tensorflow()
    tf.random.set_seed(TUTORIAL_SEED)
    shuffled = tf.data.Dataset.range(n_rows).shuffle(TUTORIAL_SHUFFLE_BUFFER, seed=TUTORIAL_SEED,
                                                    reshuffle_each_iteration=False)
    return next(iter(shuffled.batch(n_rows))).numpy()


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


def load_split(dataset: Dataset, seed: int = 42, train_size: int | None = None, test_size: int | None = None,
               kind: str = "permutation") -> Split:
    """The split of a kind for (seed, sizes), from the cache beside the data when present."""
    train_size, test_size = split_sizes(len(dataset.ratings), train_size, test_size)
    if kind == "tutorial" and seed != TUTORIAL_SEED:
        raise SweepError(f"the tutorial's split has seed {TUTORIAL_SEED}, not {seed}; use the permutation split for others")
    cache_file = dataset.path / "splits" / f"{kind}-seed{seed}-train{train_size}-test{test_size}.json"
    rows_file = cache_file.with_suffix(".npy")  # binary: 25M row numbers are 200 MB, not a gigabyte of JSON
    order, known_fingerprint = None, None
    if cache_file.exists() and rows_file.exists():
        try:
            cached = json.loads(cache_file.read_text())
            rows = np.load(rows_file, allow_pickle=False)
            if cached["data_checksum"] == dataset.checksum and len(rows) == train_size + test_size:
                order, known_fingerprint = rows.astype("int64"), cached["fingerprint"]
        except (OSError, ValueError, KeyError):
            order = None  # an unreadable split cache is recomputed, never trusted
    if order is None:
        shuffled = tutorial_order(len(dataset.ratings)) if kind == "tutorial" else permutation(len(dataset.ratings), seed)
        order = shuffled[: train_size + test_size]
    train = dataset.ratings.iloc[order[:train_size]].reset_index(drop=True)
    test = dataset.ratings.iloc[order[train_size:]].reset_index(drop=True)
    # The cached fingerprint was computed from these very rows of this very data (checksum above):
    # recomputing it would hash 25M rows again in every worker.
    split = Split(train=train, test=test, seed=seed, fingerprint=known_fingerprint or fingerprint(train, test), kind=kind)
    if not (cache_file.exists() and rows_file.exists()):
        write_atomically(rows_file, order)
        write_atomically(cache_file, {"kind": kind, "seed": seed, "data_checksum": dataset.checksum,
                                       "fingerprint": split.fingerprint, "rows": rows_file.name})
    return split


def write_atomically(path: Path, content) -> None:
    """Cache the split (its rows as .npy, its description as JSON); a cache that cannot be written
    (read-only, full) only costs recomputing."""
    temporary = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".split-")
        with os.fdopen(handle, "wb") as stream:
            if isinstance(content, np.ndarray):
                np.save(stream, content, allow_pickle=False)
            else:
                stream.write(json.dumps(content).encode("utf-8"))
        os.replace(temporary, path)
    except OSError as error:
        log.warning("the split is not cached (%s): it will be recomputed next time", error.strerror or error)
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)  # nothing half-written stays behind
