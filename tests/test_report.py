"""`sweep report` / `sweep compare`: files from the storage alone, stable, honest about empty studies."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import optuna
import pandas as pd
import pytest

from sweep import cli
from sweep.report import FILES
from sweep.report.summary import knee_point
from tests.test_pareto import brute_force

REPO = Path(__file__).resolve().parents[1]
STUDY = """
[study]
name = "{name}"
n_trials = {n_trials}
sampler = "random"
replicates = 2
[search.rating_weight]
low = 1e-3
high = 10.0
[search.retrieval_weight]
low = 1e-7
high = 1.0
[data]
dataset = "synthetic"
"""


@pytest.fixture(scope="module")
def finished(tmp_path_factory, synthetic_dir):
    """A storage with study 'r' (10 complete trials + 1 diverged) and 'q' (5 complete), run by the fake trainer."""
    root = tmp_path_factory.mktemp("report")
    storage = f"sqlite:///{root / 'studies.db'}"
    env = {**os.environ, "PYTHONPATH": str(REPO), "SWEEP_DATA_DIR": str(synthetic_dir),
           "SWEEP_TRAINER": "tests.fake_trainer:train_and_evaluate"}
    for name, n_trials, extra in (("r", 10, {"SWEEP_FAKE_NONFINITE_CALL": "9"}), ("q", 5, {})):
        path = root / f"{name}.toml"
        path.write_text(STUDY.format(name=name, n_trials=n_trials))
        subprocess.run([sys.executable, "-m", "sweep", "run", str(path), "--storage", storage, "--quiet"],
                       check=True, env={**env, **extra}, timeout=180, capture_output=True)
    return root, storage


def report(storage, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sweep", "report", *args, "--storage", storage],
                          capture_output=True, text=True, timeout=120)


def test_report_writes_every_file_from_the_storage(finished, tmp_path):
    _, storage = finished
    result = report(storage, "r", "--out", str(tmp_path / "r"))
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "r").iterdir()) == sorted(FILES)
    assert "10 complete trials" in result.stdout


def test_the_csv_lists_every_trial_and_is_byte_identical_when_regenerated(finished, tmp_path):
    _, storage = finished
    report(storage, "r", "--out", str(tmp_path / "one"))
    report(storage, "r", "--out", str(tmp_path / "two"))
    first = (tmp_path / "one" / "trials.csv").read_bytes()
    assert first == (tmp_path / "two" / "trials.csv").read_bytes()
    table = pd.read_csv(tmp_path / "one" / "trials.csv", keep_default_na=False, na_values=[""])
    assert len(table) == 11
    failed = table[table["state"] == "FAIL"]
    assert failed["fail_reason"].tolist() == ["non-finite loss"]
    assert {"rating_weight", "retrieval_weight", "seed0_rmse", "seed1_rmse", "seeds", "seconds", "pareto"} <= set(table.columns)


def test_the_pareto_column_is_the_brute_force_front_of_complete_trials(finished, tmp_path):
    _, storage = finished
    report(storage, "r", "--out", str(tmp_path / "r"))
    table = pd.read_csv(tmp_path / "r" / "trials.csv")
    complete = table[table["state"] == "COMPLETE"]
    expected = brute_force(complete[["top_100_accuracy", "rmse"]].to_numpy(), ("maximize", "minimize"))
    assert complete["pareto"].tolist() == expected.tolist()
    assert not table.loc[table["state"] == "FAIL", "pareto"].any()
    best = {t.number for t in optuna.load_study(study_name="r", storage=storage).best_trials}
    assert set(complete.loc[complete["pareto"], "number"]) == best


def test_the_summary_compares_with_the_tutorial_and_reports_health(finished, tmp_path):
    _, storage = finished
    report(storage, "r", "--out", str(tmp_path / "r"))
    text = (tmp_path / "r" / "summary.md").read_text()
    for expected in ("## Pareto-optimal trials", "Recommended knee point: trial", "## The tutorial's comparison",
                     "| joint | top_100_accuracy | 0.235 |", "1 failed (9%), of which 1 diverged", "## Provenance",
                     "split fingerprint: `sha256:"):
        assert expected in text
    html = (tmp_path / "r" / "index.html").read_text()
    assert html.count("data:image/png;base64,") == 2 and "<table>" in html


def test_the_report_never_imports_tensorflow(finished, tmp_path):
    _, storage = finished
    check = ("import sys; from sweep import cli; code = cli.main(['report', 'r', '--storage', %r, '--out', %r]); "
             "assert 'tensorflow' not in sys.modules, 'tensorflow imported'; sys.exit(code)") % (storage, str(tmp_path))
    result = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def test_the_knee_is_the_front_point_closest_to_the_ideal():
    frame = pd.DataFrame({"number": [0, 1, 2, 3], "pareto": [True, True, True, False],
                          "top_100_accuracy": [0.06, 0.22, 0.24, 0.1], "rmse": [1.10, 1.12, 3.7, 2.0]})
    # scaled goodness: trial 0 (0, 1), trial 1 (0.89, 0.99), trial 2 (1, 0): trial 1 is nearest (1, 1)
    assert knee_point(frame) == 1


def test_compare_puts_several_fronts_in_one_report(finished, tmp_path):
    _, storage = finished
    result = subprocess.run([sys.executable, "-m", "sweep", "compare", "r", "q", "--storage", storage,
                             "--out", str(tmp_path / "c")], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "c").iterdir()) == sorted(FILES)
    assert set(pd.read_csv(tmp_path / "c" / "trials.csv")["study"]) == {"r", "q"}


def test_an_unknown_study_is_one_line_naming_the_known_ones(finished, tmp_path):
    _, storage = finished
    result = report(storage, "nope", "--out", str(tmp_path / "x"))
    assert result.returncode == 1
    assert result.stderr.strip() == f"sweep: error: no study named 'nope' in {storage} (studies there: q, r)"


def test_an_unreachable_storage_is_one_line(tmp_path):
    result = report("postgresql://u:secret@127.0.0.1:1/db", "r", "--out", str(tmp_path / "x"))
    assert result.returncode == 1
    assert result.stderr.startswith("sweep: error: cannot open storage postgresql://u:***@127.0.0.1:1/db")
    assert "secret" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("state", [None, optuna.trial.TrialState.FAIL])
def test_an_empty_or_all_failed_study_gets_a_report_that_says_so(tmp_path, state):
    storage = f"sqlite:///{tmp_path / 'e.db'}"
    study = optuna.create_study(study_name="e", storage=storage, directions=["maximize", "minimize"])
    if state is not None:
        study.add_trial(optuna.trial.create_trial(state=state, user_attrs={"fail_reason": "non-finite loss",
                                                                         "rating_weight": 1.0, "retrieval_weight": 0.0}))
    result = report(storage, "e", "--out", str(tmp_path / "e"))
    assert result.returncode == 1
    assert "has no COMPLETE trials" in result.stderr and "Traceback" not in result.stderr
    assert "No COMPLETE trials yet" in (tmp_path / "e" / "summary.md").read_text()
    assert (tmp_path / "e" / "index.html").exists()


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium is not installed (.ci/run installs it)")
def test_index_html_renders_in_a_real_browser(finished, tmp_path):
    _, storage = finished
    report(storage, "r", "--out", str(tmp_path / "r"))
    page = (tmp_path / "r" / "index.html").resolve()
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run(["chromium", *flags, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120)
    assert "Pareto-optimal trials" in dom.stdout and "The tutorial's comparison" in dom.stdout
    assert dom.stdout.count("<img") == 2 and "<table>" in dom.stdout
    shot = tmp_path / "shot.png"
    subprocess.run(["chromium", *flags, f"--screenshot={shot}", "--window-size=1200,2400", page.as_uri()],
                   capture_output=True, timeout=120)
    from matplotlib.image import imread

    pixels = imread(shot)
    assert pixels.shape[0] > 1000 and np.std(pixels[..., :3]) > 0.05  # not blank
