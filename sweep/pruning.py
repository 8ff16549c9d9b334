"""Pruning for two objectives: stop a trial whose learning curve is already beaten on both.

Optuna's `Trial.should_prune` raises for multi-objective studies (its pruners compare one
intermediate value), so the rule is ours, a pure function of the recorded curves
(`[study] prune`, config.PruneSettings):

- After each epoch e from `after_epoch` on, but never after the last (stopping then saves
  nothing), the running seed's point at e — its objectives measured on the objective split,
  the learning curve every trial records (sweep.trial) — is set against the earlier trials'
  points at the same epoch: each earlier trial's mean over its seeds that reached e, complete
  trials and pruned ones alike.
- An earlier trial *dominates* the point when it is better on every objective by more than
  the seed noise measured so far: per objective, the pooled standard deviation over seeds at
  epoch e of the earlier trials with two or more seeds there. With one seed per trial no noise
  is measured and any strict domination counts, so a study that wants the margin runs replicates.
- The trial is stopped when at least `quantile` of the earlier trials dominate it, and only once
  `min_trials` earlier trials reached e: with fewer, a share means little.
Domination on both objectives is a high bar on a front of trade-offs: a point only there is
beaten on one objective is never stopped, however low it starts; what is stopped is a trial
that trails most others on everything, the one that cannot reach the front.

The study records a stopped trial as PRUNED (Optuna's TrialPruned, raised by sweep.per_pair),
with the epoch and this rule's reason. A pruned trial counts toward n_trials (it was a draw of
the sampler), never for the front.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence

from sweep.record import TrialRecord

Point = tuple[float, ...]


class Pruned(Exception):
    """Raised from a trainer's epoch watcher: the trial stops here; sweep.per_pair records it PRUNED."""

    def __init__(self, epoch: int, reason: str):
        super().__init__(reason)
        self.epoch, self.reason = epoch, reason


def seed_noise(earlier: Sequence[Sequence[Point]]) -> tuple[float, ...] | None:
    """Per objective, the pooled standard deviation of one seed's value around its trial's mean, over
    the trials with two or more seeds (`earlier`: each trial's seeds' points); None when none has two."""
    spread = [seeds for seeds in earlier if len(seeds) > 1]
    if not spread:
        return None
    width = len(spread[0][0])
    return tuple(math.sqrt(statistics.fmean(statistics.variance([seed[i] for seed in seeds]) for seeds in spread))
                 for i in range(width))


def dominates(better: Point, point: Point, directions: Sequence[str], margins: Sequence[float]) -> bool:
    """Whether `better` beats `point` on every objective by more than that objective's margin."""
    return all((b - p if direction == "maximize" else p - b) > margin
               for b, p, direction, margin in zip(better, point, directions, margins))


def prune_reason(point: Point, earlier: Sequence[Sequence[Point]], epoch: int, objectives: Sequence[str],
                 directions: Sequence[str], quantile: float, min_trials: int) -> str | None:
    """Why a trial whose point at `epoch` is `point` stops there (the module's rule), or None: it goes on.
    `earlier` holds, per earlier trial that reached the epoch, each of its seeds' points there."""
    earlier = [seeds for seeds in earlier if seeds]
    if len(earlier) < min_trials:
        return None
    noise = seed_noise(earlier)
    margins = noise or (0.0,) * len(point)
    means = [tuple(statistics.fmean(seed[i] for seed in seeds) for i in range(len(point))) for seeds in earlier]
    beaten_by = sum(dominates(mean, point, directions, margins) for mean in means)
    if beaten_by < quantile * len(earlier):
        return None
    by = "by more than the seed noise (" + ", ".join(f"{m:.3g}" for m in margins) + ")" if noise else "(no seed noise measured)"
    return (f"after epoch {epoch}, {beaten_by} of {len(earlier)} earlier trials were better on "
            f"{' and '.join(objectives)} {by}")


def points_at(record: TrialRecord, epoch: int, objectives: Sequence[str]) -> list[Point]:
    """Each seed's point at `epoch` (1-based) in a stored trial: its runs' curves and, when it was pruned,
    the curve of the seed that was stopped."""
    curves = [[epoch_.metrics for epoch_ in run.epochs] for run in record.runs] + [list(record.pruned_curve)]
    return [tuple(float(curve[epoch - 1][name]) for name in objectives)
            for curve in curves if len(curve) >= epoch and curve[epoch - 1] and all(n in curve[epoch - 1] for n in objectives)]


def earlier_points(trials, epoch: int, objectives: Sequence[str], running: int) -> list[list[Point]]:
    """Each finished (COMPLETE or PRUNED) trial's seeds' points at `epoch`, but the running trial's own."""
    return [points_at(TrialRecord.from_attrs(trial.user_attrs), epoch, objectives) for trial in trials
            if trial.state.name in ("COMPLETE", "PRUNED") and trial.number != running]
