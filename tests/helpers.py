"""Helpers for tests that run the real `sweep` CLI in subprocesses with the fake trainer."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import optuna

REPO = Path(__file__).resolve().parents[1]

STUDY = """
[study]
name = "{name}"
seed = 1
n_trials = {n_trials}
sampler = "{sampler}"

[search.rating_weight]
low = 1e-3
high = 10.0

[search.retrieval_weight]
low = 1e-5
high = 1.0

[train]
epochs = {epochs}

[data]
dataset = "synthetic"
"""


def study_file(tmp_path, name="s", n_trials=6, sampler="random", epochs=1) -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(STUDY.format(name=name, n_trials=n_trials, sampler=sampler, epochs=epochs))
    return path

def environment(data_dir, **extra) -> dict:
    env = {**os.environ, "PYTHONPATH": str(REPO), "SWEEP_DATA_DIR": str(data_dir),
           "SWEEP_TRAINER": "tests.fake_trainer:train_and_evaluate"}
    env.update({key: str(value) for key, value in extra.items()})
    return env

def sweep_run(path, storage, data_dir, *args, timeout=180, **extra):
    return subprocess.run(
        [sys.executable, "-m", "sweep", "run", str(path), "--storage", storage, "--quiet", *args],
        capture_output=True, text=True, timeout=timeout, env=environment(data_dir, **extra), cwd=path.parent,
    )

def sweep_start(path, storage, data_dir, *args, **extra) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "sweep", "run", str(path), "--storage", storage, "--quiet", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment(data_dir, **extra), cwd=path.parent,
    )

def trials(storage, name="s"):
    return optuna.load_study(study_name=name, storage=storage).get_trials(deepcopy=False)

def by_state(all_trials, state):
    return [t for t in all_trials if t.state.name == state]

def wait_for_calls(started_dir: Path, count: int, timeout=60.0):
    deadline = time.monotonic() + timeout
    while len(list(started_dir.iterdir())) < count:
        assert time.monotonic() < deadline, "the worker never started the trial"
        time.sleep(0.1)
