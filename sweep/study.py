"""The Optuna glue every study kind shares: creating or joining a study, counting its trials,
failing a lost worker's trial, and the seeds and package versions trials record.

One study per study file, stored with its kind (sweep.kinds), resolved spec and hash, the
split fingerprint, the context baselines, package versions and the trainer that produced it.
What a kind does with the study lives with the kind: `per_pair` (Optuna's sampler and
optimize loop, run by `workers`) and `conditioned_study`; `storage` opens the database,
`artifacts` keeps models, and `report` reads finished studies.
"""

from __future__ import annotations

import importlib.metadata
import logging
import platform
import time

import numpy as np

from sweep import SweepError, UsageError
from sweep.baselines import context_baselines
from sweep.config import StudySpec, canonical_json, recorded_rating_fraction, recorded_validation
from sweep.config.run import DEFAULT_TRAINER, TRAINER_VARIABLE, RunOptions
from sweep.kinds import KIND_ATTR, for_spec
from sweep.optuna_gaps import fail_trials_that_never_beat
from sweep.trainers import trainer_provenance

log = logging.getLogger(__name__)

PACKAGES = ("tensorflow", "tf-keras", "tensorflow-recommenders", "optuna", "numpy", "pandas", "sweep")
READY_WAIT_SECONDS = 60


class Interrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM: the running trial is marked FAILED at once, then the worker exits."""

    def __init__(self, signal_number: int):
        super().__init__(f"signal {signal_number}")
        self.signal_number = signal_number
        self.exit_code = 128 + signal_number


def package_versions() -> dict:
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for package in PACKAGES:
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = None
    return versions


def trial_seeds(study_seed: int, trial_number: int, replicates: int) -> list[int]:
    """Training seeds of a trial, derived from the study seed and the trial's (original) number."""
    state = np.random.SeedSequence([study_seed, trial_number]).generate_state(replicates)
    return [int(seed % 2**31) for seed in state]


def create_or_load(spec: StudySpec, storage, prepared, options: RunOptions):
    """The study named in the spec: created (with its provenance and the tutorial's pairs
    enqueued) by the first process to get there; every other process checks it matches."""
    import optuna

    directions: list = list(spec.study.directions)
    trainer = trainer_provenance(options.trainer)  # a $SWEEP_TRAINER naming no function fails before the study exists
    try:
        study = optuna.create_study(storage=storage, study_name=spec.study.name, directions=directions)
    except optuna.exceptions.DuplicatedStudyError:
        study = optuna.load_study(study_name=spec.study.name, storage=storage)
        _wait_until_ready(study)
        check_matches(study, spec, prepared, options.trainer)
        study.set_user_attr("n_trials", options.n_trials)
        return study
    provenance = {
        "trainer": trainer,
        "spec": canonical_json(spec.identity()),
        "spec_hash": spec.hash,
        "split_fingerprint": prepared.split_fingerprint,
        "objective_split": prepared.objective_split_name,  # where the objectives (and the front) come from
        "data_checksum": prepared.data_checksum,
        "context_baselines": context_baselines(prepared, spec.train.candidates),
        "versions": package_versions(),
        "objectives": list(spec.study.objectives),
        "margins": spec.margins.as_dict(),
        "n_trials": options.n_trials,
        "artifacts": str(options.artifacts),
        "command": options.command,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    study.set_metric_names(list(spec.study.objectives))  # so Optuna's own tools (the dashboard) name them
    for key, value in provenance.items():
        study.set_user_attr(key, value)
    kind = for_spec(spec)
    study.set_user_attr(KIND_ATTR, kind.name)
    kind.seed_new_study(study, spec)
    study.set_user_attr("ready", True)  # last: other processes wait for it
    return study


def _wait_until_ready(study) -> None:
    deadline = time.monotonic() + READY_WAIT_SECONDS
    while not study.user_attrs.get("ready"):
        if time.monotonic() > deadline:
            raise SweepError(f"study {study.study_name!r} exists but was never finished being created; delete it")
        time.sleep(0.5)


def check_matches(study, spec: StudySpec, prepared, trainer: str) -> None:
    recorded = study.user_attrs.get("trainer", {}).get("target", DEFAULT_TRAINER)
    if recorded != trainer:
        raise UsageError(
            f"study {spec.study.name!r} was made by trainer {recorded}; this worker would train with {trainer} "
            f"and mix their numbers; unset or fix ${TRAINER_VARIABLE}, or rename the study"
        )
    recorded_fraction = recorded_rating_fraction(study.user_attrs)
    if recorded_fraction != spec.data.rating_fraction:
        raise UsageError(
            f"study {spec.study.name!r} trains with data.rating_fraction {recorded_fraction:g}; this file has "
            f"{spec.data.rating_fraction:g} (another rated subset); give the study a new name or restore the fraction"
        )
    recorded_share = recorded_validation(study.user_attrs)
    if recorded_share != spec.data.validation:
        raise UsageError(
            f"study {spec.study.name!r} chooses on data.validation {recorded_share:g} of the training rows; this file "
            f"has {spec.data.validation:g} (another validation slice); give the study a new name or restore the share"
        )
    if study.user_attrs.get("spec_hash") != spec.hash:
        raise UsageError(
            f"study {spec.study.name!r} already exists with a different spec ({study.user_attrs.get('spec_hash', '?')[:15]}…, "
            f"this file: {spec.hash[:15]}…); rename the study or restore the file"
        )
    if study.user_attrs.get("split_fingerprint") != prepared.split_fingerprint:
        raise SweepError(
            f"this worker's data split differs from study {spec.study.name!r}'s "
            f"(fingerprint {prepared.split_fingerprint[:15]}… vs {study.user_attrs.get('split_fingerprint', '?')[:15]}…); "
            "refetch the same dataset (`sweep data info` shows its checksum) before joining"
        )


def is_complete(counts: dict, n_trials: int) -> bool:
    """n_trials COMPLETE or PRUNED (a pruned trial was a draw of the sampler, sweep.pruning) and no trial
    waiting (a waiting retry of a lost trial is still owed)."""
    return counts.get("COMPLETE", 0) + counts.get("PRUNED", 0) >= n_trials and not counts.get("WAITING", 0)


def fail_stale_trials(study, storage, grace_seconds: float) -> None:
    """Fail (and enqueue the retry of) trials whose worker stopped beating, or never beat, before counting."""
    import optuna

    optuna.storages.fail_stale_trials(study)
    fail_trials_that_never_beat(study, storage, grace_seconds)


def count_states(study) -> dict:
    counts: dict[str, int] = {}
    for trial in study.get_trials(deepcopy=False):
        counts[trial.state.name] = counts.get(trial.state.name, 0) + 1
    return counts


def origin_trial(trial) -> int:
    """The number of the trial this one retries (itself if none), so a retry trains its original's seeds.

    Optuna's retry callback records the first failed trial's number in the retry's system
    attributes; that holds even when the original died before it could write `origin_trial`.
    """
    import warnings

    import optuna

    if "origin_trial" in trial.user_attrs:
        return trial.user_attrs["origin_trial"]
    frozen = next(t for t in trial.study.get_trials(deepcopy=False) if t.number == trial.number)  # its system attrs
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        retried = optuna.storages.RetryHeartbeatStaleTrialCallback.retried_trial_number(frozen)
    return trial.number if retried is None else retried

