"""A study's trials as one table: one row per trial, failed ones included, stable for diffs.

Every row is read through the trial record (sweep.record). Weights come from the attributes
`rating_weight` and `retrieval_weight`, which every trial carries (sampled and enqueued alike),
and are shown in both coordinates a study may search (sweep.config.coordinates): the two weights,
and `log10_weight_ratio` with `weight_scale`; the searched ones are also the `param_` columns.
`counts_for_front` says which trials the front is made of (sweep.record.counts_for_front:
COMPLETE trials of fixed weights, a conditioned model's pairs included; an adaptive method's
trial is judged against the front, never on it), and `pareto` marks the ones on it;
`model_stored` whether `sweep predict/recommend/export` can use the trial's model; `p_pareto`
(with two or more seeds) is the share of bootstrap resamples of every trial's seed runs in
which the trial is on it. A study chosen on a validation slice (`[data] validation`) has its
metrics there and the test split's beside them (`test_<metric>`); a pruned trial, the epoch it
was stopped after (`pruned_epoch`); a trial with a learning curve, each epoch's objectives and
loss as JSON (`curves`, read by sweep.report.curves); a conditioned study's verification trial
(a per-pair trial like any other, sweep.verification), the conditioned trial it verifies (`verifies`)
and how it was trained (`verify_recipe`: "[train]", or the conditioned training's epochs, batch and rate).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd

from sweep.config import METRICS, recorded_objectives
from sweep.config.coordinates import ratio_and_scale
from sweep.pareto import pareto_front, pareto_probability
from sweep.record import CONDITIONED, RECIPE_ATTR, TrialRecord, counts_for_front

FLOAT_FORMAT = "%.8g"
LEADING_COLUMNS = [
    "study", "number", "state", "fail_reason", "tutorial_pair", "method", "rating_weight", "retrieval_weight",
    "log10_weight_ratio", "weight_scale", "origin_trial", "counts_for_front",
]


def recipe_text(recipe: dict | None) -> str:
    """How a verification trial was trained, in words: [train]'s settings or the conditioned recipe's."""
    if not recipe:
        return "[train]"
    return (f"conditioned recipe: {recipe['epochs']} epochs, batches of {recipe['batch_size']}, "
            f"rate {recipe['learning_rate']:g}")


def trials_frame(study, study_label: str | None = None) -> pd.DataFrame:
    """The study's trials as a DataFrame with a fixed column order."""
    objectives = recorded_objectives(study.metric_names, study.user_attrs)
    rows, objective_runs = [], {}
    removed = set(study.user_attrs.get("removed_models", []))  # keep_models = "pareto" deleted these
    for trial in study.get_trials(deepcopy=False):
        if trial.state.name == "WAITING":
            continue
        attrs = trial.user_attrs
        record = TrialRecord.from_attrs(attrs)
        ratio, scale = ratio_and_scale(record.rating_weight, record.retrieval_weight)
        row = {
            "study": study_label or study.study_name,
            "number": trial.number,
            "state": trial.state.name,
            "fail_reason": attrs.get("fail_reason", "worker lost (no heartbeat)" if trial.state.name == "FAIL" else ""),
            "tutorial_pair": record.tutorial_pair or "",
            "method": record.method or "",
            "rating_weight": record.rating_weight,
            "retrieval_weight": record.retrieval_weight,
            "log10_weight_ratio": _log10(ratio),
            "weight_scale": scale,
            "origin_trial": attrs.get("origin_trial", trial.number),
            "counts_for_front": counts_for_front(trial.state.name, attrs),
        }
        for name, value in sorted(trial.params.items()):
            if name not in ("rating_weight", "retrieval_weight"):
                row[f"param_{name}"] = value
        summary = record.summary if trial.state.name == "COMPLETE" else None
        for metric in METRICS:
            row[metric] = summary.metrics.get(metric, math.nan) if summary else math.nan
            row[f"{metric}_std"] = summary.metrics_std.get(metric, math.nan) if summary else math.nan
        if summary is not None and summary.test_metrics is not None:
            for metric in METRICS:
                row[f"test_{metric}"] = summary.test_metrics.get(metric, math.nan)
        if record.pruned_epoch is not None:
            row["pruned_epoch"] = record.pruned_epoch
        if record.verifies is not None:
            row["verifies"] = record.verifies
            row["verify_recipe"] = recipe_text(attrs.get(RECIPE_ATTR))
        curves = learning_curves(record, objectives)
        if curves:
            row["curves"] = json.dumps(curves, sort_keys=True)
        runs = record.runs
        row["seeds"] = " ".join(str(seed) for seed in record.seeds)
        row["n_seeds"] = len(runs)
        for index, run in enumerate(runs):
            for metric in ("top_100_accuracy", "rmse"):
                row[f"seed{index}_{metric}"] = run.metrics[metric]
        objective_runs[trial.number] = np.array(
            [[run.metrics[name] for name in objectives] for run in runs]
            or [[summary.metrics.get(name, math.nan) if summary else math.nan for name in objectives]], dtype=float)
        row["seconds"] = record.summary.seconds if record.summary else math.nan
        row["train_seconds"] = sum(run.seconds.train for run in runs)  # every seed's
        row["evaluate_seconds"] = sum(run.seconds.evaluate for run in runs)
        row["model_stored"] = record.model_key is not None and trial.number not in removed
        row["conditioned"] = record.kind == CONDITIONED  # evaluated from the study's conditioned models
        row["in_trained_range"] = record.conditioned.in_trained_range if record.conditioned else ""  # inside the drawn ranges
        row["values"] = json.dumps(trial.values) if trial.values else ""
        rows.append(row)
    frame = pd.DataFrame(rows)
    if frame.empty:
        metric_columns = [column for metric in METRICS for column in (metric, f"{metric}_std")]
        columns = LEADING_COLUMNS + ["pareto", "p_pareto"] + metric_columns + ["n_seeds", "seconds", "seeds", "values"]
        return pd.DataFrame({column: pd.Series(dtype=bool if column == "pareto" else object) for column in columns})
    complete = frame["counts_for_front"].astype(bool)
    directions = [direction.name.lower() for direction in study.directions]
    front = np.zeros(len(frame), dtype=bool)
    chance = np.full(len(frame), math.nan)
    if complete.any():
        front[complete.to_numpy()] = pareto_front(frame.loc[complete, objectives].to_numpy(), directions)
        front_runs = [objective_runs[number] for number in frame.loc[complete, "number"]]
        if max(len(trial_runs) for trial_runs in front_runs) >= 2:  # with one seed a trial's place is all we know
            chance[complete.to_numpy()] = pareto_probability(front_runs, directions)
    frame["pareto"] = front
    frame["p_pareto"] = chance
    rest = sorted(column for column in frame.columns if column not in LEADING_COLUMNS + ["pareto", "p_pareto"])
    ordered = LEADING_COLUMNS + ["pareto", "p_pareto"] + [c for c in _metric_order(rest)]
    return frame[ordered].sort_values(["study", "number"], kind="stable").reset_index(drop=True)


def learning_curves(record: TrialRecord, objectives) -> dict:
    """A trial's objectives and total loss after each epoch, the mean over its seeds ({} without a curve)."""
    curves = {name: record.curve(name) for name in objectives}
    if not any(curves.values()):
        return {}
    losses = [[epoch.total_loss for epoch in run.epochs] for run in record.runs if run.epochs]
    if losses:
        curves["total_loss"] = [float(np.mean([loss[i] for loss in losses if len(loss) > i]))
                                for i in range(max(map(len, losses)))]
    return curves


def _metric_order(columns: list[str]) -> list[str]:
    """Parameters, then metrics (mean, std), then per-seed columns and the rest."""
    first = [c for c in columns if c.startswith("param_")]
    metrics = [c for m in METRICS for c in (m, f"{m}_std") if c in columns]
    return first + metrics + [c for c in columns if c not in first and c not in metrics]


def _log10(ratio: float) -> float:
    """log10 of a weight ratio; ±inf for the pairs with a zero weight, NaN for (0, 0)."""
    return -math.inf if ratio == 0 else math.log10(ratio) if ratio == ratio else math.nan


def write_csv(frame: pd.DataFrame, path) -> None:
    """Byte-identical for the same trials: fixed columns, float format and line endings."""
    frame.to_csv(path, index=False, float_format=FLOAT_FORMAT, lineterminator="\n")
