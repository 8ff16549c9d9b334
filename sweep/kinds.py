"""Study kinds: how a study gets its points, behind one small protocol, chosen once.

- **sweep** (`sweep.per_pair`, run in processes by `sweep.workers`): Optuna's sampler names weight pairs, and every
  pair trains one model per seed in worker processes; the tutorial's pairs and any adaptive
  weighting methods (`[weighting] methods`) are enqueued first.
- **conditioned** (`sweep.conditioned_study`): one weight-conditioned model per seed
  (`sweep.conditioned`), then the pairs it plans (the tutorial's, another study's, a grid)
  evaluated from those models, each stored as a COMPLETE trial; with `[conditioned] verify`,
  some of its front's pairs then trained as per-pair trials (`sweep.verification`).

Everything the two kinds do differently is a method of `StudyKind`; everything else, from
the trial record (sweep.record) to the report, is shared and never asks which kind it has.
A kind is chosen once: from the study file (`for_spec`), from a stored study's attributes
(`for_study`), or from a stored model's metadata (`for_model`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Protocol

import numpy as np

from sweep import UsageError
from sweep.config import STUDY_KINDS, StudySpec, recorded_spec
from sweep.record import VERIFIES_ATTR

SWEEP, CONDITIONED = STUDY_KINDS
KIND_ATTR = "kind"  # the study's kind, stored with it (older studies: read from their spec)


class StudyKind(Protocol):
    """What differs between study kinds."""

    name: str

    def seed_new_study(self, study, spec: StudySpec) -> None:
        """Enqueue what a new study runs before its sampler's own pairs (nothing, when it plans its own)."""

    def run(self, spec: StudySpec, options, progress) -> int:
        """`sweep run`: train and evaluate until the study holds what the spec asks for; an exit code."""

    def check_servable(self, pair: tuple[float, float], metadata: dict) -> None:
        """Raise UsageError unless a model of this kind (its packed `metadata`) serves `pair` (`--weights`)."""

    def rebuild(self, packed: dict, pair: tuple[float, float]) -> tuple:
        """A stored model (sweep.artifacts) ready to serve `pair`, and the conditioned model behind it (or None)."""

    def cost(self, complete, study_attrs: dict) -> dict:
        """What the study's COMPLETE trials (`complete`, the trials table's rows) cost: trainings and seconds."""

    def pick_evaluator(self, study, data_dir) -> Callable | None:
        """What `sweep pick` may evaluate beyond the stored trials: a function from a pair to each
        metric per seed, or None (only the stored trials; sweep.pick)."""


class PerPairKind:
    """One model per weight pair and seed."""

    name = SWEEP

    def seed_new_study(self, study, spec: StudySpec) -> None:
        from sweep.per_pair import enqueue_first_trials

        enqueue_first_trials(study, spec)

    def run(self, spec: StudySpec, options, progress) -> int:
        from sweep.workers import run_sweep

        return run_sweep(spec, options, progress)

    def check_servable(self, pair: tuple[float, float], metadata: dict) -> None:
        raise UsageError("--weights: this study trained one model per weight pair, so it serves only its trials' "
                         "pairs; choose one with --trial (a conditioned study serves any pair)")

    def rebuild(self, packed: dict, pair: tuple[float, float]) -> tuple:
        from sweep.artifacts import rebuild_model

        return rebuild_model(packed), None  # trained at its own pair: `pair` is that pair

    def pick_evaluator(self, study, data_dir) -> Callable | None:
        return None  # a pair's model exists only where it was trained

    def cost(self, complete, study_attrs: dict) -> dict:
        return {"kind": SWEEP, "pairs": len(complete),
                "trainings": int(complete["n_seeds"].sum()) if len(complete) else 0,
                "training_seconds": float(complete["train_seconds"].sum()) if "train_seconds" in complete else math.nan,
                "evaluation_seconds": _evaluation_seconds(complete)}


class ConditionedKind:
    """One weight-conditioned model per seed, evaluated at any number of pairs."""

    name = CONDITIONED

    def seed_new_study(self, study, spec: StudySpec) -> None:
        pass  # it evaluates the tutorial's pairs itself, from its trained models

    def run(self, spec: StudySpec, options, progress) -> int:
        from sweep import conditioned_study

        return conditioned_study.run(spec, options, progress)

    def check_servable(self, pair: tuple[float, float], metadata: dict) -> None:
        from sweep.conditioned_study import check_servable

        check_servable(pair, metadata["conditioned"])

    def rebuild(self, packed: dict, pair: tuple[float, float]) -> tuple:
        from sweep.artifacts import rebuild_model

        conditioned = rebuild_model(packed)
        return conditioned.at(*pair), conditioned

    def pick_evaluator(self, study, data_dir) -> Callable | None:
        from sweep.conditioned_study import stored_evaluator

        return stored_evaluator(study, data_dir)  # its models serve every pair in their ranges

    def cost(self, complete, study_attrs: dict) -> dict:
        """Its trainings; with verification trials (`[conditioned] verify`: per-pair trials, each seed a
        training) theirs too, and how many pairs they verified (`verified`) with which share of the cost."""
        trainings = study_attrs.get("trainings", [])
        training_seconds = float(sum(item["seconds"]["train"] for item in trainings))
        spent = {"kind": CONDITIONED, "pairs": len(complete), "trainings": len(trainings),
                 "training_seconds": training_seconds, "evaluation_seconds": _evaluation_seconds(complete)}
        static = complete[verification_rows(complete)]
        if not len(static):
            return spent
        seeds, seconds = int(static["n_seeds"].sum()), float(static["train_seconds"].sum())
        return {**spent, "pairs": len(complete) - len(static), "trainings": len(trainings) + seeds,
                "training_seconds": training_seconds + seconds, "verified": len(static),
                "verification_trainings": seeds, "verification_training_seconds": seconds}


def verification_rows(table):
    """Which rows of a trials table (sweep.report.table) are a conditioned study's verification trials."""
    if VERIFIES_ATTR not in table:
        return np.zeros(len(table), dtype=bool)
    return table[VERIFIES_ATTR].notna().to_numpy()


def _evaluation_seconds(complete) -> float:
    return float(complete["evaluate_seconds"].sum()) if "evaluate_seconds" in complete else math.nan


KINDS: dict[str, StudyKind] = {SWEEP: PerPairKind(), CONDITIONED: ConditionedKind()}


def for_spec(spec: StudySpec) -> StudyKind:
    return KINDS[spec.study.kind]


def for_study(study_attrs: dict) -> StudyKind:
    """A stored study's kind: recorded since kinds were named; before, in its spec (`study.method`)."""
    name = study_attrs.get(KIND_ATTR)
    if name is None:
        recorded = recorded_spec(study_attrs).get("study", {})
        name = recorded.get("method", SWEEP)  # a per-pair spec leaves it out (config.StudySpec.identity)
    return KINDS[name]


def for_model(metadata: dict) -> StudyKind:
    """The kind of study a packed model came from (a conditioned model records how it was conditioned)."""
    return KINDS[CONDITIONED if "conditioned" in metadata else SWEEP]
