"""A conditioned study's verified pairs: each verification trial (a static model trained at a pair of
the conditioned front, sweep.verification) beside the conditioned trial whose pair it trained, and
the difference of their means with Welch's 95 % interval over their seeds (sweep.verdicts): how far
the conditioned model's numbers are from what a static model reaches at that pair."""

from __future__ import annotations

import math

import pandas as pd

from sweep.verdicts import difference_interval

METRICS = ("top_100_accuracy", "rmse")  # those the trials table keeps per seed


def seed_values(row, metric: str) -> list[float]:
    """A trials-table row's per-seed values of one metric (its `seed<i>_<metric>` columns)."""
    values = [row.get(f"seed{index}_{metric}", math.nan) for index in range(int(row.get("n_seeds", 0) or 0))]
    return [float(value) for value in values if value == value]


def rows(frame: pd.DataFrame) -> list[dict]:
    """Each COMPLETE verification trial with its conditioned trial, in trial order ([] without any)."""
    if "verifies" not in frame:
        return []
    complete = frame[frame["state"] == "COMPLETE"]
    by_number = {int(row["number"]): row for _, row in complete.iterrows()}
    found = []
    for _, static in complete[complete["verifies"].notna()].sort_values("number").iterrows():
        conditioned = by_number.get(int(static["verifies"]))
        if conditioned is None:
            continue
        item: dict = {"trial": int(static["number"]), "verifies": int(static["verifies"]),
                "rating_weight": float(static["rating_weight"]), "retrieval_weight": float(static["retrieval_weight"]),
                "pareto": bool(static["pareto"]), "seeds": int(static["n_seeds"]),
                "recipe": str(static.get("verify_recipe", "[train]"))}
        for metric in METRICS:
            interval = difference_interval(seed_values(static, metric), seed_values(conditioned, metric))
            item[metric] = {"conditioned": float(conditioned[metric]), "static": float(static[metric]),
                            "difference": float(static[metric]) - float(conditioned[metric]),
                            "interval": None if interval is None else list(interval)}
        found.append(item)
    return found


def markdown_lines(verified: list[dict]) -> list[str]:
    """The summary's section of verified pairs ([] without any)."""
    if not verified:
        return []
    lines = ["## Verified pairs", "",
             "Pairs of the conditioned front trained statically (`[conditioned] verify`): each a per-pair trial with "
             "as many seeds as the conditioned trainings, which the report, `pick` and the serving commands treat as "
             "any trial. Differences are static − conditioned, with Welch's 95 % interval over the seeds. Each was "
             "trained with `[train]`'s settings or with the conditioned training's recipe (`verify_recipe`); only the "
             "latter compares like for like with the model that pointed to the pair.", "",
             "| verification trial | verifies | trained with | rating_weight | retrieval_weight | top-100 static | "
             "top-100 conditioned | Δ top-100 | RMSE static | RMSE conditioned | Δ RMSE |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for item in verified:
        top, rmse = item["top_100_accuracy"], item["rmse"]
        lines.append(f"| {item['trial']}{' (front)' if item['pareto'] else ''} | {item['verifies']} | {item['recipe']} | "
                     f"{item['rating_weight']:.4g} | {item['retrieval_weight']:.4g} | {top['static']:.4f} | "
                     f"{top['conditioned']:.4f} | {_difference(top)} | {rmse['static']:.4f} | "
                     f"{rmse['conditioned']:.4f} | {_difference(rmse)} |")
    return lines + [""]


def _difference(metric: dict) -> str:
    interval = metric["interval"]
    shown = f"{metric['difference']:+.4f}"
    return shown if interval is None else f"{shown} [{interval[0]:+.4f}, {interval[1]:+.4f}]"
