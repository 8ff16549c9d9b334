"""The canonical local copy of a dataset: Parquet tables plus a manifest, written atomically.

A cache directory is trusted only if its manifest exists and every file's digest matches:
a fetch writes into a temporary sibling, verifies it, then renames it into place, so an
interrupted fetch never leaves something a later run would believe.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sweep import SweepError
from sweep.config.run import DATA_DIR_VARIABLE

MANIFEST = "manifest.json"
TABLES = ("ratings", "movies")
# Columns a few distinct strings repeat down: read as categoricals, so 25M ratings hold 25M small
# codes and one copy of each user id and title, and a split copies codes, not strings.
SHARED_STRINGS = ("user_id", "movie_title")
FORMAT_VERSION = 2  # 2: ratings in TFDS's record order (1 sorted them by user and movie)


@dataclass(frozen=True)
class Dataset:
    """A verified canonical dataset: the ratings, the movie list (candidates) and its manifest."""

    name: str
    path: Path
    ratings: pd.DataFrame
    movies: pd.DataFrame
    manifest: dict

    @property
    def checksum(self) -> str:
        return self.manifest["checksum"]


CHECKSUM_CHUNK_ROWS = 1_000_000  # the text of a chunk at a time: 25M rows never exist as one string


def content_checksum(*tables: pd.DataFrame) -> str:
    """SHA-256 of the tables' content as CSV text: independent of Parquet encoder versions."""
    digest = hashlib.sha256()
    for table in tables:
        for start in range(0, max(len(table), 1), CHECKSUM_CHUNK_ROWS):
            chunk = table.iloc[start:start + CHECKSUM_CHUNK_ROWS]
            digest.update(chunk.to_csv(index=False, header=start == 0, lineterminator="\n",
                                       float_format="%.6g").encode("utf-8"))
    return "sha256:" + digest.hexdigest()


def summary(ratings: pd.DataFrame, movies: pd.DataFrame) -> dict:
    return {
        "ratings": int(len(ratings)),
        "users": int(ratings["user_id"].nunique()),
        "movies": int(len(movies)),
        "titles": int(movies["movie_title"].nunique()),
    }


def store(data_dir: Path, name: str, ratings: pd.DataFrame, movies: pd.DataFrame, source: str) -> Dataset:
    """Write the tables under data_dir/name, replacing any previous copy only once verified."""
    data_dir = Path(data_dir)
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{name}-partial-", dir=data_dir))
    except OSError as error:
        raise SweepError(
            f"cannot write to data dir {data_dir} ({error.strerror}); choose another with --data-dir or ${DATA_DIR_VARIABLE}"
        ) from error
    try:
        files = {}
        for table_name, table in zip(TABLES, (ratings, movies)):
            file_name = f"{table_name}.parquet"
            table.to_parquet(staging / file_name, index=False)
            files[file_name] = _file_digest(staging / file_name)
        manifest = {
            "format": FORMAT_VERSION,
            "dataset": name,
            "source": source,
            "checksum": content_checksum(ratings, movies),
            **summary(ratings, movies),
            "files": files,
            "peak_memory_bytes": peak_memory_bytes(),  # of the process that read, normalized and wrote it
        }
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        verified = load(data_dir, name, path=staging)
        if verified.checksum != manifest["checksum"]:
            raise SweepError(f"the copy written to {staging} does not read back identically")
        final = data_dir / name
        if final.exists():
            retired = Path(tempfile.mkdtemp(prefix=f".{name}-old-", dir=data_dir))
            os.replace(final, retired / name)
            os.replace(staging, final)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            os.replace(staging, final)
    except OSError as error:  # a full disk or a revoked permission: the verified copy, if any, stays
        raise SweepError(
            f"cannot write the {name} cache in {data_dir} ({error.strerror or error}); free some space or "
            f"choose another data dir (--data-dir or ${DATA_DIR_VARIABLE})"
        ) from error
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return load(data_dir, name)


def load(data_dir: Path, name: str, path: Path | None = None) -> Dataset:
    """The verified dataset, or a SweepError that says how to repair the cache."""
    path = Path(path or Path(data_dir) / name)
    fetch_command = f"sweep data fetch{' --source synthetic' if name == 'synthetic' else ''} --data-dir {data_dir}"
    fetch_hint = f"run `{fetch_command} --force`"
    manifest_path = path / MANIFEST
    if not manifest_path.exists():
        if path.exists():
            raise SweepError(f"the data cache {path} is incomplete (no {MANIFEST}); {fetch_hint}")
        raise SweepError(f"no {name} dataset at {path}; run `{fetch_command}`")
    try:
        manifest = json.loads(manifest_path.read_text())
        if manifest.get("format") != FORMAT_VERSION:
            raise SweepError(f"the data cache {path} was written by an older sweep (format {manifest.get('format')}, "
                             f"its rows in another order); {fetch_hint}")
        files = manifest["files"]
        for file_name, digest in files.items():
            if _file_digest(path / file_name) != digest:
                raise SweepError(f"the data cache {path} is corrupt ({file_name} does not match its checksum); {fetch_hint}")
        ratings = pd.read_parquet(path / "ratings.parquet", read_dictionary=list(SHARED_STRINGS))
        movies = pd.read_parquet(path / "movies.parquet")
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise SweepError(f"the data cache {path} is unreadable ({type(error).__name__}); {fetch_hint}") from error
    return Dataset(name=name, path=path, ratings=ratings, movies=movies, manifest=manifest)


def peak_memory_bytes() -> int:
    """This process's peak resident memory so far (Linux reports kilobytes)."""
    import resource

    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024


def _file_digest(path: Path) -> str:
    return "sha256:" + hashlib.sha256(Path(path).read_bytes()).hexdigest()
