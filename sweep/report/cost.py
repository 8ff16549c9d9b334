"""What a study's front cost: trainings and seconds, counted as the study's kind counts them, and
several studies' fronts side by side (hypervolume against what each paid)."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd

from sweep.kinds import CONDITIONED, for_study, verification_rows
from sweep.report.hypervolume import hypervolume_curve


def compute(frame: pd.DataFrame, study_attrs: dict) -> dict:
    """What the study's COMPLETE points cost, as its kind counts it (sweep.kinds): a per-pair study
    trains every pair and seed; a conditioned one trains once per seed (its `trainings`)."""
    return for_study(study_attrs).cost(frame[frame["state"] == "COMPLETE"], study_attrs)


def cost_curve(frame: pd.DataFrame, spent: dict, reference: dict) -> pd.DataFrame:
    """The hypervolume of the COMPLETE trials so far against what they cost: `trainings` (a per-pair
    study trains each pair's seeds; a conditioned one all its models before the first pair, then its
    verification trials' seeds, if any) and
    wall `seconds` (training plus evaluation); with each trial's `tutorial_pair` and `method`."""
    complete = frame[frame["state"] == "COMPLETE"].sort_values("number").reset_index(drop=True)
    curve = hypervolume_curve(complete, reference)
    evaluate = complete["evaluate_seconds"].to_numpy(float) if "evaluate_seconds" in complete else np.zeros(len(complete))
    if spent["kind"] == CONDITIONED:  # its verification trials (per-pair trials) add their own trainings
        static = verification_rows(complete)
        upfront = spent["trainings"] - spent.get("verification_trainings", 0)
        seeds = complete["n_seeds"].to_numpy(float) if "n_seeds" in complete else np.zeros(len(complete))
        trainings = upfront + np.cumsum(np.where(static, seeds, 0.0))
        train = complete["train_seconds"].to_numpy(float) if "train_seconds" in complete else np.zeros(len(complete))
        seconds = (spent["training_seconds"] - spent.get("verification_training_seconds", 0.0)
                   + np.cumsum(np.nan_to_num(evaluate) + np.where(static, np.nan_to_num(train), 0.0)))
    else:
        trainings = np.cumsum(complete["n_seeds"].to_numpy(float))
        train = complete["train_seconds"].to_numpy(float) if "train_seconds" in complete else np.zeros(len(complete))
        seconds = np.cumsum(np.nan_to_num(train) + np.nan_to_num(evaluate))
    return curve.assign(trainings=trainings, seconds=seconds, tutorial_pair=complete["tutorial_pair"].to_numpy(),
                        method=complete["method"].to_numpy() if "method" in complete else "")


def share_name(study: str) -> str:
    """The front a comparison's shares are of: the first study's, all its trials."""
    return f"{study}'s front (all its trials)"


def side_by_side(frames: dict, studies: list, volumes: dict) -> dict:
    """The studies' fronts in one table: hypervolume (each from its own split's reference point; one
    point when they share a split), its ratio to the first study's, and what each front cost."""
    rows = []
    for study in studies:
        name = study.study_name
        spent = compute(frames[name], study.user_attrs)
        rows.append({"study": name, **spent, "front": int(frames[name]["pareto"].sum()) if len(frames[name]) else 0,
                     "hypervolume": volumes[name]["hypervolume"], "reference": volumes[name]["reference"]})
    first = rows[0]
    for row in rows:
        row["hypervolume_ratio"] = row["hypervolume"] / first["hypervolume"] if first["hypervolume"] > 0 else math.nan
        row["training_seconds_ratio"] = (row["training_seconds"] / first["training_seconds"]
                                         if first["training_seconds"] > 0 else math.nan)
    same = len({json.dumps(row["reference"], sort_keys=True) for row in rows}) == 1
    reference = first["reference"]
    lines = ["## Side by side", "",
             f"| study | how | weight pairs | on the front | trainings | training s | hypervolume | share of "
             f"{share_name(first['study'])} | × {first['study']}'s training time |",
             "|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        how = "conditioned: one model per seed" if row["kind"] == CONDITIONED else "one model per pair and seed"
        if row.get("verified"):
            how += f", {row['verified']} of its pairs verified statically"
        lines.append(f"| {row['study']} | {how} | {row['pairs']} | {row['front']} | {row['trainings']} | "
                     f"{row['training_seconds']:.1f} | {row['hypervolume']:.4g} | {_percent(row['hypervolume_ratio'])} | "
                     f"{_ratio(row['training_seconds_ratio'])} |")
    lines += ["", (f"Hypervolume from one reference point for all: top-100 accuracy {reference['top_100_accuracy']:.4f}, "
                   f"RMSE {reference['rmse']:.4f} ({reference['source']})." if same else
                   "The studies' splits differ, so each hypervolume is measured from its own reference point."),
              "Training seconds are the wall time of the training loops only (no evaluation, no data loading). "
              f"A share is of {share_name(first['study'])}, in this table and in the hypervolume figure; each "
              "study's section below gives its share of the best front stored, and names that front.", ""]
    return {"rows": rows, "lines": lines}


def _percent(value: float) -> str:
    return "—" if math.isnan(value) else f"{value:.1%}"


def _ratio(value: float) -> str:
    return "—" if math.isnan(value) else f"{value:.3f}"


def compute_lines(spent: dict) -> list[str]:
    if not spent["pairs"]:
        return []
    how = ("one conditioned model per seed, every pair evaluated from it" if spent["kind"] == CONDITIONED
           else "one model per weight pair and seed")
    verified = spent.get("verified", 0)
    trainings = spent["trainings"] - spent.get("verification_trainings", 0)
    also = (f", and {verified} of its front's pairs verified by {spent['verification_trainings']} static trainings "
            "(one model per pair and seed)" if verified else "")
    return ["## Compute", "",
            f"{spent['pairs']} weight pairs from {trainings} trainings ({how}){also}: "
            f"{spent['training_seconds']:.1f} s training, {spent['evaluation_seconds']:.1f} s evaluating "
            "(wall seconds of the processes that ran them; failed trials not counted).", ""]


