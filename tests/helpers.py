"""Helpers for tests that run the real `sweep` CLI in subprocesses with the fake trainer."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import optuna

REPO = Path(__file__).resolve().parents[1]

# The tests' study file: a small random sweep on the synthetic data, one epoch per trial.
DEFAULT_SECTIONS = {
    "study": {"seed": 1, "n_trials": 6, "sampler": "random"},
    "search": {"rating_weight": {"low": 1e-3, "high": 10.0}, "retrieval_weight": {"low": 1e-5, "high": 1.0}},
    "train": {"epochs": 1},
    "data": {"dataset": "synthetic"},
}


def study_text(name="s", n_trials=6, sampler="random", epochs=1, **sections) -> str:
    """A study file as TOML: the defaults above, with each given section's keys merged over them
    (a key given as None is left out: `search={"rating_weight": None, ...}`)."""
    merged = {key: dict(value) for key, value in DEFAULT_SECTIONS.items()}
    merged["study"] = {"name": name, **merged["study"], "n_trials": n_trials, "sampler": sampler}
    merged["train"]["epochs"] = epochs
    for section, values in sections.items():
        merged.setdefault(section, {}).update(values)
        merged[section] = {key: value for key, value in merged[section].items() if value is not None}
    lines = []
    for section, values in merged.items():
        scalars = {key: value for key, value in values.items() if not isinstance(value, dict)}
        tables = {key: value for key, value in values.items() if isinstance(value, dict)}
        if scalars or not tables:
            lines += [f"[{section}]", *(f"{key} = {toml_value(value)}" for key, value in scalars.items()), ""]
        for key, table in tables.items():
            lines += [f"[{section}.{key}]", *(f"{k} = {toml_value(v)}" for k, v in table.items()), ""]
    return "\n".join(lines)


def toml_value(value) -> str:
    return json.dumps(value) if not isinstance(value, float) else repr(value)


def study_file(directory, name="s", n_trials=6, sampler="random", epochs=1, **sections) -> Path:
    path = Path(directory) / f"{name}.toml"
    path.write_text(study_text(name, n_trials, sampler, epochs, **sections))
    return path


def environment(data_dir, **extra) -> dict:
    env = {**os.environ, "PYTHONPATH": str(REPO), "SWEEP_DATA_DIR": str(data_dir),
           "SWEEP_TRAINER": "tests.fake_trainer:train_and_evaluate"}
    env.update({key: str(value) for key, value in extra.items()})
    return env

def sweep_run(path, storage, data_dir, *args, timeout=180, process=False, **extra):
    """`sweep run` with the fake trainer: in this process (fast), or in a fresh one with process=True
    (for what needs its own interpreter: worker processes, signals)."""
    argv = ["run", str(path), "--storage", storage, "--quiet", *args]
    if not process:
        return sweep_cli(argv, data_dir, cwd=path.parent, **extra)
    return subprocess.run([sys.executable, "-m", "sweep", *argv], capture_output=True, text=True, timeout=timeout,
                          env=environment(data_dir, **extra), cwd=path.parent)


def sweep_cli(argv, data_dir=None, cwd=None, **extra) -> subprocess.CompletedProcess:
    """The `sweep` command run in this process, as a subprocess would be (its environment,
    directory, output and exit code), at the cost of a function call."""
    from sweep import cli
    from tests import fake_trainer

    fake_trainer.reset()  # its per-process call count starts afresh, as in a new process
    saved_environment, saved_directory = dict(os.environ), os.getcwd()
    stdout, stderr = io.StringIO(), io.StringIO()
    os.environ.update(environment(data_dir, **extra) if data_dir else {k: str(v) for k, v in extra.items()})
    try:
        os.chdir(cwd or saved_directory)
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            try:
                code = cli.main([str(arg) for arg in argv])
            except SystemExit as exit:
                code = exit.code
    finally:
        os.chdir(saved_directory)
        os.environ.clear()
        os.environ.update(saved_environment)
    return subprocess.CompletedProcess(["sweep", *argv], code, stdout.getvalue(), stderr.getvalue())


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
