"""What a study's front cost: trainings and seconds, counted as the study's kind counts them, and
several studies' fronts side by side (hypervolume against what each paid)."""

from __future__ import annotations

import json
import math

import pandas as pd

from sweep.kinds import CONDITIONED, for_study


def compute(frame: pd.DataFrame, study_attrs: dict) -> dict:
    """What the study's COMPLETE points cost, as its kind counts it (sweep.kinds): a per-pair study
    trains every pair and seed; a conditioned one trains once per seed (its `trainings`)."""
    return for_study(study_attrs).cost(frame[frame["state"] == "COMPLETE"], study_attrs)


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
             f"| study | how | weight pairs | on the front | trainings | training s | hypervolume | × {first['study']}'s "
             f"hypervolume | × {first['study']}'s training time |",
             "|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        how = "conditioned: one model per seed" if row["kind"] == CONDITIONED else "one model per pair and seed"
        lines.append(f"| {row['study']} | {how} | {row['pairs']} | {row['front']} | {row['trainings']} | "
                     f"{row['training_seconds']:.1f} | {row['hypervolume']:.4g} | {_ratio(row['hypervolume_ratio'])} | "
                     f"{_ratio(row['training_seconds_ratio'])} |")
    lines += ["", (f"Hypervolume from one reference point for all: top-100 accuracy {reference['top_100_accuracy']:.4f}, "
                   f"RMSE {reference['rmse']:.4f} ({reference['source']})." if same else
                   "The studies' splits differ, so each hypervolume is measured from its own reference point."),
              "Training seconds are the wall time of the training loops only (no evaluation, no data loading).", ""]
    return {"rows": rows, "lines": lines}


def _ratio(value: float) -> str:
    return "—" if math.isnan(value) else f"{value:.3f}"


def compute_lines(spent: dict) -> list[str]:
    if not spent["pairs"]:
        return []
    how = ("one conditioned model per seed, every pair evaluated from it" if spent["kind"] == CONDITIONED
           else "one model per weight pair and seed")
    return ["## Compute", "",
            f"{spent['pairs']} weight pairs from {spent['trainings']} trainings ({how}): "
            f"{spent['training_seconds']:.1f} s training, {spent['evaluation_seconds']:.1f} s evaluating "
            "(wall seconds of the processes that ran them; failed trials not counted).", ""]


