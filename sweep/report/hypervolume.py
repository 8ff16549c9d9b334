"""Hypervolume: the area of (top-100 accuracy, RMSE) space a set of trials dominates.

It is measured from the trivial baselines by default — chance top-100 accuracy (a random
ranking) and the RMSE of always predicting the training set's mean rating — so a trial adds
area only where it beats both, and the number reads as "how far beyond doing nothing".
Studies that predate the recorded baselines fall back to the fixed point (0, 5): ratings run
from 1 to 5, so no RMSE exceeds 4. Beside the raw area the report gives its share of the best
front stored: the front of every study in the storage on the same split.

A share is always of a named front: which studies, as stored when (`share_name`). The report's
figure, its summary and the page read the one record `summarize` returns.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sweep import pareto
from sweep.pareto import FALLBACK_REFERENCE, trivial_reference


def reference_point(context: dict | None) -> dict:
    """The point hypervolume is measured from, and where it comes from (for the plot and summary)."""
    top, rmse = trivial_reference(("top_100_accuracy", "rmse"), context)
    if context and "chance_top_100_accuracy" in context and "global_mean_rmse" in context:
        return {"top_100_accuracy": top, "rmse": rmse,
                "source": "trivial baselines: chance top-100 accuracy, global-mean RMSE"}
    return {**FALLBACK_REFERENCE, "source": "fixed point (no baselines recorded with the study)"}


def hypervolume(points, reference: dict) -> float:
    """Area dominated by (top-100, RMSE) points and bounded by the reference point (sweep.pareto's)."""
    return pareto.hypervolume(points, ("maximize", "minimize"), (reference["top_100_accuracy"], reference["rmse"]))


def static_trials(frame: pd.DataFrame) -> pd.Series:
    """The trials the front is made of (the table's `counts_for_front`, sweep.record's one rule)."""
    return frame["counts_for_front"].astype(bool)


def complete_points(frame: pd.DataFrame) -> np.ndarray:
    return frame[static_trials(frame)][["top_100_accuracy", "rmse"]].to_numpy(float)


def hypervolume_curve(frame: pd.DataFrame, reference: dict) -> pd.DataFrame:
    """Hypervolume of the static trials seen so far, after each trial number."""
    rows, points = [], []
    counted = static_trials(frame).to_numpy()
    for index, (number, top, rmse) in enumerate(frame[["number", "top_100_accuracy", "rmse"]].itertuples(index=False)):
        if counted[index]:
            points.append((top, rmse))
        rows.append({"number": number, "hypervolume": hypervolume(points, reference) if points else 0.0})
    return pd.DataFrame(rows, columns=["number", "hypervolume"])


def share_name(studies: list[str], as_of: str) -> str:
    """The front a share is of, in words: which studies, as stored when."""
    named = ", ".join(studies)
    return f"the front of {'study' if len(studies) == 1 else 'studies'} {named} as stored at {as_of}"


def summarize(frame: pd.DataFrame, reference: dict, best_stored: np.ndarray, studies: list[str], as_of: str) -> dict:
    """The study's hypervolume, its reference point, and its share of the best stored front's (`share`:
    the value and the front it is of)."""
    own = hypervolume(complete_points(frame), reference) if not frame.empty else 0.0
    best = hypervolume(best_stored, reference) if len(best_stored) else 0.0
    share = own / best if best > 0 else math.nan
    return {"hypervolume": own, "reference": reference, "best_stored": best, "studies_pooled": len(studies),
            "share_of_best": share, "share": {"value": share, "of": share_name(studies, as_of), "studies": studies,
                                              "as_of": as_of}}
