"""Whole studies run as a user runs them, for the benchmarks of deciding during a study (patience, pruning).

`run_study` writes a variant of a study file (its seed, name and run controls replaced), runs
`python -m sweep run` on it in a fresh process with a fresh SQLite storage — the wall time is
what the user waits for: start, imports, data, every trial — and reads back what each trial
found and cost (`TrialRun`). `$SWEEP_TRAINER` and `$SWEEP_DATA_DIR` pass through, so the
benchmarks' tests run the same path with the fake trainer on synthetic data in seconds.
`chosen_front` is a run's front as the report chooses it: on the objectives, its points measured
on the test split.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import tomllib
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class TrialRun:
    """One trial of a benchmark's study: its state, what it trained and what it measured."""

    number: int
    state: str
    epochs_trained: int  # every seed's epochs, a pruned seed's up to where it stopped
    top_100_accuracy: float  # on the split the objectives come from (NaN unless COMPLETE)
    rmse: float
    test_top_100_accuracy: float
    test_rmse: float
    counts_for_front: bool

    @classmethod
    def of(cls, trial, epochs: int) -> TrialRun:
        from sweep.record import TrialRecord, counts_for_front

        record = TrialRecord.from_attrs(trial.user_attrs)
        pruned = record.pruned_epoch or 0
        return cls(trial.number, trial.state.name, epochs * len(record.runs) + pruned,
                   record.metric("top_100_accuracy"), record.metric("rmse"),
                   record.test_metric("top_100_accuracy"), record.test_metric("rmse"),
                   counts_for_front(trial.state.name, trial.user_attrs))


def variant_text(study_file: Path, name: str, seed: int, study_keys: dict) -> str:
    """The study file's TOML with [study]'s name, seed and the given keys replaced (tables as inline tables)."""
    raw = tomllib.loads(Path(study_file).read_text(encoding="utf-8"))
    study = {**raw["study"], "name": name, "seed": seed, **study_keys}
    study = {key: value for key, value in study.items() if value is not None}
    lines = ["[study]", *(f"{key} = {toml_value(value)}" for key, value in study.items()), ""]
    for section, table in raw.items():
        if section == "study":
            continue
        for key, value in table.items() if section == "search" else [(None, table)]:
            lines += [f"[{section}.{key}]" if key else f"[{section}]",
                      *(f"{k} = {toml_value(v)}" for k, v in value.items()), ""]
    return "\n".join(lines)


def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{key} = {toml_value(item)}" for key, item in value.items()) + " }"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    return repr(value)


def run_study(study_file: Path, workdir: Path, name: str, seed: int, study_keys: dict, workers: int = 1) -> dict:
    """One study run in a fresh process: its wall seconds, its trials (`TrialRun`s) and its baselines."""
    import optuna

    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / f"{name}.toml"
    path.write_text(variant_text(study_file, name, seed, study_keys), encoding="utf-8")
    storage = f"sqlite:///{workdir / (name + '.sqlite')}"
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "sweep", "run", str(path), "--storage", storage, "--quiet",
                             "--workers", str(workers)], capture_output=True, text=True, cwd=workdir,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    wall = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"sweep run {path.name} failed: {result.stderr.strip().splitlines()[-1:]}")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.load_study(study_name=name, storage=storage)
    epochs = int(tomllib.loads(path.read_text()).get("train", {}).get("epochs", 3))
    trials = [asdict(TrialRun.of(trial, epochs)) for trial in study.get_trials(deepcopy=False)
              if trial.state.is_finished()]
    return {"name": name, "study_seed": seed, "wall_seconds": wall, "epochs_per_training": epochs,
            "context_baselines": study.user_attrs.get("context_baselines"), "trials": trials}


def chosen_front(trials: list[dict]) -> list[tuple[float, float]]:
    """The front as the report chooses it — the trials that count for it, on the front of their objective
    values — at its test metrics (the same values when the study chose on test)."""
    from sweep.pareto import pareto_front

    counted = [trial for trial in trials if trial["counts_for_front"]]
    if not counted:
        return []
    on = pareto_front([(t["top_100_accuracy"], t["rmse"]) for t in counted], ("maximize", "minimize"))
    return [(t["test_top_100_accuracy"], t["test_rmse"]) for t, keep in zip(counted, on) if keep]
