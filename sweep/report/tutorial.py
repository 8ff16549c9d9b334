"""The tutorial's comparison checked on a study's own runs of its three pairs: each published
figure and conclusion against the seeds the study trained, the seed noise pooled over the
study's multi-seed trials where a pair has few seeds of its own (sweep.verdicts)."""

from __future__ import annotations

import statistics

import pandas as pd

from sweep import verdicts
from sweep.baselines import TUTORIAL, compare_with_tutorial, comparison_markdown
from sweep.config import Margins

SEED_METRICS = ("top_100_accuracy", "rmse")  # the metrics the trials table keeps per seed


def seed_values(row, metric: str) -> list[float]:
    """A trial's per-seed values of `metric` from its trials-table row (none if it kept no seed runs)."""
    columns = [c for c in row.index if c.startswith("seed") and c.endswith(f"_{metric}") and not pd.isna(row[c])]
    return [float(row[c]) for c in columns]


def tutorial_runs(frame: pd.DataFrame) -> dict:
    """Per-seed top-100 and RMSE of the study's own runs of the tutorial's three pairs."""
    summary = {}
    for published in TUTORIAL:
        rows = frame[(frame["tutorial_pair"] == published.name) & (frame["state"] == "COMPLETE")]
        if "conditioned" in rows:  # a conditioned model's evaluation at the pair is not a run of the tutorial's model
            rows = rows[~rows["conditioned"].astype(bool)]
        seeds: dict[str, list[float]] = {metric: [] for metric in SEED_METRICS}
        for _, row in rows.iterrows():
            for metric in seeds:
                seeds[metric] += seed_values(row, metric) or [float(row[metric])]
        if not seeds["rmse"]:
            return {}
        summary[published.name] = {
            metric: {"values": values, "mean": statistics.fmean(values),
                     "std": statistics.stdev(values) if len(values) > 1 else 0.0, "n": len(values)}
            for metric, values in seeds.items()
        }
    return summary


def pooled_seed_noise(frame: pd.DataFrame) -> dict:
    """Per metric, the within-trial seed noise pooled over every COMPLETE multi-seed trial of the study
    (sweep.verdicts.pooled_noise): what a pair's few seeds are judged with."""
    complete = frame[frame["state"] == "COMPLETE"]
    pooled = {metric: verdicts.pooled_noise([seed_values(row, metric) for _, row in complete.iterrows()])
              for metric in SEED_METRICS}
    return {metric: noise for metric, noise in pooled.items() if noise is not None}


def comparison(frame: pd.DataFrame, study_attrs: dict) -> dict | None:
    """The tutorial's figures and conclusions against the study's own runs of its three pairs, each
    figure judged with the study's pooled seed noise unless its pair has seeds enough of its own."""
    runs, context = tutorial_runs(frame), study_attrs.get("context_baselines")
    if not runs or not context:
        return None
    margins = study_attrs.get("margins") or Margins().as_dict()  # studies before margins were recorded: defaults
    return compare_with_tutorial(runs, context, margins, "seeds only (the study's one split)",
                                 pooled=pooled_seed_noise(frame))


def changed_settings(recorded_train: dict) -> list[str]:
    """The training settings a study's recorded spec sets otherwise than the tutorial (TrainConfig's defaults)."""
    from sweep.config import TrainConfig

    tutorial = TrainConfig()
    keys = ("optimizer", "learning_rate", "epochs", "batch_size", "adagrad_initial_accumulator")
    return [f"{key} ({recorded_train[key]!r}, the tutorial's {getattr(tutorial, key)!r})" for key in keys
            if key in recorded_train and recorded_train[key] != getattr(tutorial, key)]


def comparison_lines(compared, context, rating_fraction: float = 1.0, changed: list[str] | None = None,
                     conditioned: bool = False) -> list[str]:
    """The comparison's section; `changed`: the training settings in which the study departs from the
    tutorial's (then a mismatch measures the change, not whether the tutorial's figures reproduce);
    `conditioned`: the study serves its pairs from conditioned models, none of them the tutorial's."""
    if compared is None and conditioned:
        return ["## The tutorial's comparison", "",
                "Does not apply: the tutorial trains one model per pair, and this study serves (1, 0), (0, 1) and "
                "(1, 1) from models trained over every pair (a conditioned study), so its figures at those pairs "
                "are not runs of the tutorial's models. `[conditioned] verify` trains pairs statically, one model per "
                "pair, with `[train]`'s settings (the tutorial's unless changed) or the conditioned training's "
                "(`verify_recipe`).", ""]
    if compared is None:
        return ["## The tutorial's comparison", "",
                "Not available: the study has no COMPLETE runs of all three tutorial pairs "
                "(set `[baselines] enqueue = true`, or list (1, 0), (0, 1) and (1, 1) in `[search] pairs`).", ""]
    lines = ["## The tutorial's comparison", ""]
    if changed:
        lines += [f"The tutorial's figures come from its own training settings; this study changes "
                  f"{', '.join(changed)}, so a verdict below says how far that moves its models from the "
                  "tutorial's, not whether the tutorial's figures reproduce.", ""]
    if rating_fraction < 1.0:
        lines += [f"The tutorial's figures are for every training row rated; this study keeps the rating of "
                  f"{rating_fraction:g} of them, so a verdict below says how far sparse ratings move its models "
                  "from the tutorial's, not whether the tutorial's figures reproduce.", ""]
    lines += comparison_markdown(compared)
    lines += ["", "z = (published − our mean) / seed std: negative where ours lies above the published figure, "
                  "positive where below; shown only where the verdict is not undetermined."]
    if context:
        lines += ["", f"Context on the same test split: global-mean RMSE {context['global_mean_rmse']:.4f}, "
                      f"user + item bias RMSE {context['user_item_bias_rmse']:.4f}, most-popular top-100 "
                      f"{context['most_popular_top_100_accuracy']:.4f}, chance top-100 {context['chance_top_100_accuracy']:.4f}."]
    return lines + [""]
