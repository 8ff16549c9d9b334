"""The MovieLens releases sweep knows: where each comes from, its files' layout and its counts.

Every release normalizes to the same canonical tables (sources.normalize). The official
zips hold one directory named after the release; ml-100k keeps u.data / u.item, ml-1m
`::`-separated ratings.dat / movies.dat in Latin-1, the later releases UTF-8 ratings.csv /
movies.csv with a header and quoted titles. The documented counts are checked when the
data comes from TFDS or GroupLens (a mismatch means a corrupt copy); a zip the user
downloaded (`--archive`) may be a trimmed or older copy, so it loads with one warning line.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sweep import SweepError, UsageError

GROUPLENS_BASE = "https://files.grouplens.org/datasets/movielens/"


@dataclass(frozen=True)
class Release:
    dataset: str  # the name in study files and on the command line
    directory: str  # the zip's top directory (and its file name without .zip)
    layout: str  # "100k" (u.data/u.item), "dat" (ratings.dat/movies.dat), "csv" (ratings.csv/movies.csv)
    tfds: str | None  # the TFDS config prefix, e.g. "1m" for movielens/1m-ratings
    counts: dict  # ratings, users, rated_movies, movies as the release documents them

    @property
    def members(self) -> tuple[str, str]:
        names = {"100k": ("u.data", "u.item"), "dat": ("ratings.dat", "movies.dat"),
                 "csv": ("ratings.csv", "movies.csv")}[self.layout]
        ratings, movies = names
        return f"{self.directory}/{ratings}", f"{self.directory}/{movies}"

    @property
    def url(self) -> str:
        return f"{GROUPLENS_BASE}{self.directory}.zip"


RELEASES = {release.dataset: release for release in (
    Release("movielens-100k", "ml-100k", "100k", "100k",
            {"ratings": 100_000, "users": 943, "rated_movies": 1_682, "movies": 1_682}),
    Release("movielens-1m", "ml-1m", "dat", "1m",
            {"ratings": 1_000_209, "users": 6_040, "rated_movies": 3_706, "movies": 3_883}),
    Release("movielens-20m", "ml-20m", "csv", "20m",
            {"ratings": 20_000_263, "users": 138_493, "rated_movies": 26_744, "movies": 27_278}),
    Release("movielens-25m", "ml-25m", "csv", "25m",
            {"ratings": 25_000_095, "users": 162_541, "rated_movies": 59_047, "movies": 62_423}),
    Release("movielens-latest-small", "ml-latest-small", "csv", "latest-small",
            {"ratings": 100_836, "users": 610, "rated_movies": 9_724, "movies": 9_742}),
)}


def release(dataset: str) -> Release:
    if dataset not in RELEASES:
        raise UsageError(f"unknown dataset {dataset!r}; choose one of {', '.join(RELEASES)} (or synthetic)")
    return RELEASES[dataset]


def release_of_archive(path: Path) -> Release:
    """The release a zip holds, from its top directory (for `--archive` without `--dataset`)."""
    names = _member_names(path)
    for candidate in RELEASES.values():
        if all(member in names for member in candidate.members):
            return candidate
    raise SweepError(f"{path}: not a MovieLens release zip (no ml-100k/, ml-1m/, ml-20m/, ml-25m/ or "
                     "ml-latest-small/ with its ratings and movies files); download one from GroupLens")


def _member_names(path: Path) -> set[str]:
    try:
        with zipfile.ZipFile(path) as archive:
            return set(archive.namelist())
    except FileNotFoundError:
        raise SweepError(f"{path}: no such file; give the path of the zip you downloaded") from None
    except (zipfile.BadZipFile, OSError) as error:
        raise SweepError(f"{path}: not a readable zip ({error}); download it again") from None


def read_archive(path: Path, expected: Release) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Raw (ratings, movies) tables, in file order, from a release's zip; one error line if its layout is wrong."""
    names = _member_names(path)
    missing = [member for member in expected.members if member not in names]
    if missing:
        raise SweepError(f"{path}: not the {expected.dataset} layout (missing {', '.join(missing)}; "
                         f"{expected.directory}.zip holds {' and '.join(expected.members)})")
    try:
        with zipfile.ZipFile(path) as archive:
            ratings_bytes, movies_bytes = (archive.read(member) for member in expected.members)
        return parse(expected.layout, ratings_bytes, movies_bytes)
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise SweepError(f"{path}: the zip is damaged ({error}); download it again") from None
    except (ValueError, KeyError, pd.errors.ParserError, UnicodeDecodeError) as error:
        raise SweepError(f"{path}: {expected.members[0]} or {expected.members[1]} is not in the "
                         f"{expected.dataset} format ({type(error).__name__}: {str(error).splitlines()[0][:120]})") from None


def parse(layout: str, ratings_bytes: bytes, movies_bytes: bytes) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Raw tables with columns user_id, movie_id, user_rating, timestamp / movie_id, movie_title."""
    ratings_columns = ["user_id", "movie_id", "user_rating", "timestamp"]
    if layout == "100k":
        ratings = pd.read_csv(io.BytesIO(ratings_bytes), sep="\t", header=None, names=ratings_columns)
        movies = pd.read_csv(io.BytesIO(movies_bytes), sep="|", header=None, encoding="ISO-8859-1", usecols=[0, 1],
                             names=["movie_id", "movie_title"], keep_default_na=False)
    elif layout == "dat":  # "::" separated, Latin-1; titles hold single colons, never "::"
        ratings = pd.read_csv(io.BytesIO(ratings_bytes.replace(b"::", b"\t")), sep="\t", header=None,
                              names=ratings_columns)
        movies = pd.read_csv(io.StringIO(movies_bytes.decode("latin-1").replace("::", "\t")), sep="\t", header=None,
                             names=["movie_id", "movie_title", "genres"], usecols=[0, 1], keep_default_na=False,
                             quoting=3)  # QUOTE_NONE: a title's quotes are its own
    else:  # csv: a header row, UTF-8, quoted titles with commas
        ratings = pd.read_csv(io.BytesIO(ratings_bytes)).rename(
            columns={"userId": "user_id", "movieId": "movie_id", "rating": "user_rating"})
        movies = pd.read_csv(io.BytesIO(movies_bytes), encoding="utf-8", keep_default_na=False,
                             dtype={"title": str}).rename(columns={"movieId": "movie_id", "title": "movie_title"})
        movies = movies[["movie_id", "movie_title"]]
    if list(ratings.columns) != ratings_columns or ratings.isna().any().any():
        raise ValueError(f"ratings columns {list(ratings.columns)} or empty fields")
    return ratings[ratings_columns], movies


def count(ratings: pd.DataFrame, movies: pd.DataFrame) -> dict:
    return {"ratings": int(len(ratings)), "users": int(ratings["user_id"].nunique()),
            "rated_movies": int(ratings["movie_id"].nunique()), "movies": int(len(movies))}


def count_differences(found: dict, expected: Release) -> list[str]:
    return [f"{key} {found[key]:,} (the release has {value:,})" for key, value in expected.counts.items()
            if found[key] != value]
