"""Sweep's studies as Optuna's own tools see them: named objectives, read by optuna-dashboard."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import optuna
import pytest

from tests.helpers import study_file, sweep_run

NAMES = ["top_100_accuracy", "rmse"]


@pytest.fixture(scope="module")
def made(tmp_path_factory, synthetic_dir):
    """A study made by `sweep run` with the fake trainer."""
    root = tmp_path_factory.mktemp("ecosystem")
    storage = f"sqlite:///{root / 'studies.db'}"
    result = sweep_run(study_file(root, n_trials=4), storage, synthetic_dir)
    assert result.returncode == 0, result.stderr
    return storage


def test_a_new_study_names_its_objectives_for_optuna(made):
    study = optuna.load_study(study_name="s", storage=made)
    assert study.metric_names == NAMES
    assert {"values_top_100_accuracy", "values_rmse"} <= set(study.trials_dataframe().columns)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_optuna_dashboard_shows_the_metric_names_trials_and_attributes(made):
    beside = Path(sys.executable).with_name("optuna-dashboard")  # the test environment's own
    dashboard = str(beside) if beside.exists() else shutil.which("optuna-dashboard")
    if dashboard is None:
        pytest.skip("optuna-dashboard is not installed (the dashboard extra)")
    port = free_port()
    server = subprocess.Popen([dashboard, made, "--host", "127.0.0.1", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/studies", timeout=5) as response:
                    summaries = json.load(response)["study_summaries"]
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, "the dashboard never answered"
                time.sleep(0.2)
        [summary] = summaries
        assert summary["study_name"] == "s" and summary["directions"] == ["maximize", "minimize"]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/studies/{summary['study_id']}?after=0",
                                    timeout=10) as response:
            detail = json.load(response)
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert detail["objective_names"] == NAMES
    assert len(detail["trials"]) == 4
    trial_attrs = {item["key"] for item in detail["trials"][0]["user_attrs"]}
    assert {"rating_weight", "retrieval_weight", "metrics", "seeds", "spec_hash"} <= trial_attrs
    study_attrs = {item["key"] for item in summary["user_attrs"]}
    assert {"spec_hash", "split_fingerprint", "trainer", "command"} <= study_attrs


def test_committed_reports_name_no_path_of_the_machine_they_were_made_on():
    reports = Path(__file__).resolve().parents[1] / "reports"
    text_files = [path for path in reports.rglob("*") if path.suffix in (".md", ".html", ".csv", ".json", ".svg")]
    assert text_files
    for path in text_files:
        text = path.read_text(encoding="utf-8")
        assert not [marker for marker in ("/tmp/", "/root/", "/home/", "/work/") if marker in text], path
