"""Adaptive weighting methods against the static front: dominated or not, what they add, where they land.

A method's trial (attribute `method`) trains one model per seed with weights that adapt
during training (sweep.weighting). It is judged against the study's static trials — the
tuned weights — on its seed means and, where there are seeds enough, on their noise:

- P(dominated): the share of bootstrap resamples of every trial's seed runs in which some
  static trial beats the method on both top-100 accuracy and RMSE;
- the verdict against the static trial that does so most often: Welch's 95 % intervals of
  the two differences (that trial better on both: "dominated"; worse on either: "not
  dominated by it"; else undetermined), as sweep.verdicts draws every verdict;
- its hypervolume contribution: what adding its mean to the static trials adds;
- where its weights end: log10(retrieval_weight / rating_weight) at the last step
  (geometric mean over seeds), beside the static front's range of that ratio.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sweep import verdicts
from sweep.pareto import bootstrap_means
from sweep.record import METHOD, TrialRecord, kind_of
from sweep.report.hypervolume import hypervolume

OBJECTIVES = ("top_100_accuracy", "rmse")
METHOD_COLOURS = {"uncertainty": "tab:purple", "dwa": "tab:orange", "dwa-epochs": "tab:brown",
                  "gradnorm": "tab:pink", "normalized": "tab:cyan"}


def seed_runs(row) -> np.ndarray:
    """(seeds × 2) top-100 accuracy and RMSE of a trial's seed runs (its means if none were recorded)."""
    runs = [[row[f"seed{i}_{metric}"] for metric in OBJECTIVES] for i in range(int(row["n_seeds"]))
            if f"seed{i}_rmse" in row and not pd.isna(row[f"seed{i}_rmse"])]
    return np.array(runs or [[row[metric] for metric in OBJECTIVES]], dtype=float)


def _dominates(better: np.ndarray, worse: np.ndarray) -> np.ndarray:
    """Rows of `better` (top-100, RMSE) that dominate the point `worse`."""
    at_least = (better[:, 0] >= worse[0]) & (better[:, 1] <= worse[1])
    return at_least & ((better[:, 0] > worse[0]) | (better[:, 1] < worse[1]))


def assess(frame: pd.DataFrame, reference: dict, steps_by_trial: dict | None = None) -> list[dict]:
    """One judgement per COMPLETE method trial, in the order the study ran them (with `steps_by_trial`,
    see `weight_steps`, also the range its weights and their ratio took over training)."""
    complete = frame[frame["state"] == "COMPLETE"]
    static = complete[complete["counts_for_front"].astype(bool)]
    methods = complete[complete["method"] != ""]
    if methods.empty or static.empty:
        return []
    static_runs = [seed_runs(row) for _, row in static.iterrows()]
    static_means = static[list(OBJECTIVES)].to_numpy(float)
    front = static[static["pareto"]]
    front_ratios = front["log10_weight_ratio"].to_numpy(float)
    front_ratios = front_ratios[np.isfinite(front_ratios)]
    base_volume = hypervolume(static_means, reference)
    judged = []
    for _, row in methods.iterrows():
        runs = seed_runs(row)
        samples = bootstrap_means(static_runs + [runs])  # (resamples, trials, 2)
        beaten_by = np.array([_dominates(sample[:-1], sample[-1]) for sample in samples])
        p_dominated = float(beaten_by.any(axis=1).mean())
        mean = np.array([row[metric] for metric in OBJECTIVES], dtype=float)
        rival, verdict = None, None
        if beaten_by.any():
            rival_index = int(beaten_by.sum(axis=0).argmax())
            rival = int(static["number"].iloc[rival_index])
            verdict = dominance_verdict(static_runs[rival_index], runs)
        ratio = row["log10_weight_ratio"]
        steps = np.array((steps_by_trial or {}).get((row["study"], row["number"]), []), dtype=float)
        over_training = {} if steps.size == 0 else {  # every seed's every step
            "log10_ratio_range_over_training": [float(np.log10(steps[..., 1] / steps[..., 0]).min()),
                                                float(np.log10(steps[..., 1] / steps[..., 0]).max())],
            "weight_range_over_training": {"rating": [float(steps[..., 0].min()), float(steps[..., 0].max())],
                                           "retrieval": [float(steps[..., 1].min()), float(steps[..., 1].max())]}}
        judged.append({
            "method": row["method"], "number": int(row["number"]), "seeds": int(row["n_seeds"]),
            "top_100_accuracy": float(mean[0]), "top_100_accuracy_std": float(row["top_100_accuracy_std"]),
            "rmse": float(mean[1]), "rmse_std": float(row["rmse_std"]),
            "dominated_by_mean": [int(n) for n in static["number"][_dominates(static_means, mean)]],
            "p_dominated": p_dominated, "rival": rival, "rival_verdict": verdict,
            "hypervolume_contribution": hypervolume(np.vstack([static_means, mean]), reference) - base_volume,
            "final_weights": [float(row["rating_weight"]), float(row["retrieval_weight"])],
            "final_log10_ratio": float(ratio),
            "front_log10_ratio_range": [float(front_ratios.min()), float(front_ratios.max())] if front_ratios.size else None,
            **over_training,
        })
    return judged


def dominance_verdict(rival_runs: np.ndarray, method_runs: np.ndarray) -> dict:
    """Is the method dominated by the rival trial, on Welch intervals of (rival − method) per objective?"""
    top = verdicts.difference_interval(list(rival_runs[:, 0]), list(method_runs[:, 0]))
    rmse = verdicts.difference_interval(list(rival_runs[:, 1]), list(method_runs[:, 1]))
    seeds = min(len(rival_runs), len(method_runs))
    return verdicts.all_of(verdicts.above(top, 0.0, seeds), verdicts.below(rmse, 0.0, seeds)) | {
        "top_100_difference": list(top) if top else None, "rmse_difference": list(rmse) if rmse else None}


def markdown_lines(judged: list[dict]) -> list[str]:
    if not judged:
        return []
    lines = ["## Adaptive weighting against the static front", "",
             "| method | trial | seeds | top-100 accuracy | RMSE | dominated by the static trials' means | "
             "P(dominated) | verdict vs the trial dominating it most often | hypervolume added | "
             "final weights (rating, retrieval) | final log10 ratio |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for item in judged:
        by_mean = ", ".join(str(n) for n in item["dominated_by_mean"][:6]) or "none"
        if len(item["dominated_by_mean"]) > 6:
            by_mean += f" … ({len(item['dominated_by_mean'])} trials)"
        rival = "n/a (no static trial beats it in any resample)" if item["rival"] is None else (
            f"trial {item['rival']}: {verdicts.describe(item['rival_verdict'])}" + _differences(item["rival_verdict"]))
        lines.append(
            f"| {item['method']} | {item['number']} | {item['seeds']} | "
            f"{item['top_100_accuracy']:.4f} ± {item['top_100_accuracy_std']:.4f} | {item['rmse']:.4f} ± "
            f"{item['rmse_std']:.4f} | {by_mean} | {item['p_dominated']:.2f} | {rival} | "
            f"{item['hypervolume_contribution']:.4g} | ({item['final_weights'][0]:.3g}, {item['final_weights'][1]:.3g}) | "
            f"{item['final_log10_ratio']:+.2f} |")
    ranges = [item["front_log10_ratio_range"] for item in judged if item["front_log10_ratio_range"]]
    lines += ["", "P(dominated): the share of 1,000 bootstrap resamples of every trial's seed runs in which a static "
              "trial beats the method on both objectives. The verdict compares the method's seeds with that trial's "
              "(Welch's 95 % intervals of both differences). Hypervolume added: what the method's mean adds to the "
              "static trials' hypervolume (0: it lies inside their dominated region)."
              + (f" The static front's log10(retrieval_weight / rating_weight) spans {ranges[0][0]:+.2f} to "
                 f"{ranges[0][1]:+.2f}." if ranges else ""), ""]
    return lines


def _differences(verdict: dict) -> str:
    top, rmse = verdict.get("top_100_difference"), verdict.get("rmse_difference")
    if not top or not rmse:
        return ""
    return f" (its top-100 − method's [{top[0]:+.4f}, {top[1]:+.4f}], RMSE [{rmse[0]:+.4f}, {rmse[1]:+.4f}])"


def weight_steps(study) -> dict:
    """{(study, trial number): [each seed's per-step [rating, retrieval] weights]} of the study's method trials."""
    return {(study.study_name, trial.number): [run.weighting.steps for run in TrialRecord.from_attrs(trial.user_attrs).runs
                                               if run.weighting is not None]
            for trial in study.get_trials(deepcopy=False) if kind_of(trial.user_attrs) == METHOD}


def has_methods(frame: pd.DataFrame) -> bool:
    return "method" in frame and bool((frame["method"] != "").any())
