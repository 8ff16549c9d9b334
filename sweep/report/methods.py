"""Adaptive weighting methods against the static front: dominated or not, what they add, where they land.

A method's trial (attribute `method`) trains one model per seed with weights that adapt
during training (sweep.weighting). It is judged against the study's static trials — the
tuned weights — on its seed means and, where there are seeds enough, on their noise:

- P(dominated): the share of bootstrap resamples of every trial's seed runs in which some
  static trial beats the method on both top-100 accuracy and RMSE;
- the verdict on "some static trial dominates it", with every static trial of two or more
  seeds a candidate rival and Holm's correction for their number (`dominance`): picking the
  rival after looking — the trial that dominates the method most often — and then testing
  it on the same seeds would make "dominated" likelier than the test's level says. For each
  candidate, one-sided Welch tests of the two differences, each at 2.5 % (the side a
  two-sided 95 % interval clears, as sweep.verdicts draws every verdict), give the larger
  p-value of the two; "dominated" (holds) when some candidate's Holm-adjusted p is at most
  2.5 %, "not dominated" (fails) when every candidate is worse on at least one objective
  (Welch's 95 % intervals), else undetermined. The trial named beside it is the candidate
  closest to dominating it (smallest p), shown with Welch's 95 % intervals of both differences.
  (The other sound rule, a rival fixed in advance such as the static trial nearest in weight
  ratio, names no good rival here: Adagrad is not scale-free, so a ratio does not place a trial.);
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
        rival, verdict = dominance(static["number"].tolist(), static_runs, runs)
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


RIVAL_LEVEL = (1 - verdicts.LEVEL) / 2  # one-sided: the side a two-sided 95 % interval clears
HOLM = "Holm over every static trial with two or more seeds"


def dominance_verdict(rival_runs: np.ndarray, method_runs: np.ndarray) -> dict:
    """Is the method dominated by the rival trial, on Welch intervals of (rival − method) per objective?"""
    top = verdicts.difference_interval(list(rival_runs[:, 0]), list(method_runs[:, 0]))
    rmse = verdicts.difference_interval(list(rival_runs[:, 1]), list(method_runs[:, 1]))
    seeds = min(len(rival_runs), len(method_runs))
    return verdicts.all_of(verdicts.above(top, 0.0, seeds), verdicts.below(rmse, 0.0, seeds)) | {
        "top_100_difference": list(top) if top else None, "rmse_difference": list(rmse) if rmse else None}


def _p(value: float | None) -> float:
    """A p-value; None (too few seeds, which the candidates' filter rules out) as no evidence at all."""
    return 1.0 if value is None else value


def dominance(numbers: list, static_runs: list[np.ndarray], method_runs: np.ndarray) -> tuple[int | None, dict]:
    """(the static trial closest to dominating the method, or None if no static trial's mean beats it on
    both objectives; the verdict on "some static trial dominates it", Holm-corrected over every static
    trial of two or more seeds). The verdict carries its rule, the candidates' count, the trials Holm
    finds dominating it, and the named trial's p-values and Welch intervals."""
    candidates = [(int(number), runs) for number, runs in zip(numbers, static_runs, strict=True)
                  if len(runs) >= verdicts.SEEDS_FOR_MEAN]
    if len(method_runs) < verdicts.SEEDS_FOR_MEAN or not candidates:
        seeds = min(len(method_runs), max((len(runs) for runs in static_runs), default=0))
        return None, verdicts.above(None, 0.0, seeds) | {"rule": HOLM, "candidate_rivals": len(candidates)}
    p_values = [max(_p(verdicts.one_sided_p(list(runs[:, 0]), list(method_runs[:, 0]), "greater")),
                    _p(verdicts.one_sided_p(list(runs[:, 1]), list(method_runs[:, 1]), "less"))) for _, runs in candidates]
    adjusted = verdicts.holm_adjusted(p_values)
    each = [dominance_verdict(runs, method_runs) for _, runs in candidates]
    dominated_by = [number for (number, _), value in zip(candidates, adjusted, strict=True) if value <= RIVAL_LEVEL]
    word = (verdicts.HOLDS if dominated_by else
            verdicts.FAILS if all(item["verdict"] == verdicts.FAILS for item in each) else verdicts.UNDETERMINED)
    closest = int(np.argmin(p_values))  # the first of equals
    verdict = {"verdict": word, "rule": HOLM, "candidate_rivals": len(candidates), "dominated_by": dominated_by}
    if p_values[closest] >= 0.5:  # a one-sided p below 1/2 on both: its mean is better on both
        return None, verdict
    return candidates[closest][0], verdict | {
        "rival_p_value": p_values[closest], "rival_adjusted_p_value": adjusted[closest],
        "top_100_difference": each[closest]["top_100_difference"], "rmse_difference": each[closest]["rmse_difference"]}


def markdown_lines(judged: list[dict]) -> list[str]:
    if not judged:
        return []
    lines = ["## Adaptive weighting against the static front", "",
             "| method | trial | seeds | top-100 accuracy | RMSE | dominated by the static trials' means | "
             "P(dominated) | dominated by a static trial? (Holm) | hypervolume added | "
             "final weights (rating, retrieval) | final log10 ratio |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for item in judged:
        by_mean = ", ".join(str(n) for n in item["dominated_by_mean"][:6]) or "none"
        if len(item["dominated_by_mean"]) > 6:
            by_mean += f" … ({len(item['dominated_by_mean'])} trials)"
        rival = dominance_words(item)
        lines.append(
            f"| {item['method']} | {item['number']} | {item['seeds']} | "
            f"{item['top_100_accuracy']:.4f} ± {item['top_100_accuracy_std']:.4f} | {item['rmse']:.4f} ± "
            f"{item['rmse_std']:.4f} | {by_mean} | {item['p_dominated']:.2f} | {rival} | "
            f"{item['hypervolume_contribution']:.4g} | ({item['final_weights'][0]:.3g}, {item['final_weights'][1]:.3g}) | "
            f"{item['final_log10_ratio']:+.2f} |")
    ranges = [item["front_log10_ratio_range"] for item in judged if item["front_log10_ratio_range"]]
    lines += ["", "P(dominated): the share of 1,000 bootstrap resamples of every trial's seed runs in which a static "
              "trial beats the method on both objectives. Dominated by a static trial (Holm): every static trial "
              "with two or more seeds is a candidate rival, and the verdict corrects for their number with Holm's "
              "step-down; it holds when some trial is better on both objectives after the correction (one-sided "
              "Welch tests at 2.5 % a side, the side a two-sided 95 % interval clears), fails when every trial is "
              "worse on at least one objective (Welch's 95 % intervals), and is undetermined otherwise. The trial "
              "named is the one closest to dominating it (smallest p), with its Holm-adjusted p and Welch's 95 % "
              "intervals of both differences. Hypervolume added: what the method's mean adds to the "
              "static trials' hypervolume (0: it lies inside their dominated region)."
              + (f" The static front's log10(retrieval_weight / rating_weight) spans {ranges[0][0]:+.2f} to "
                 f"{ranges[0][1]:+.2f}." if ranges else ""), ""]
    return lines


def dominance_words(item: dict) -> str:
    """The verdict in words that say what holds: "dominated by trial 40", "not dominated", or undetermined
    with the trial closest to dominating it."""
    verdict = item["rival_verdict"]
    closest = ("; no static trial's mean beats it on both" if item["rival"] is None else
               f"; closest: trial {item['rival']}, Holm-adjusted p {verdict['rival_adjusted_p_value']:.2g}"
               + _differences(verdict))
    if verdict["verdict"] == verdicts.HOLDS:
        by = verdict.get("dominated_by") or [item["rival"]]
        named = item["rival"] if item["rival"] in by else by[0]
        more = f" (and {len(by) - 1} other static trial{'s' if len(by) > 2 else ''})" if len(by) > 1 else ""
        return f"dominated by trial {named}{more}, Holm-adjusted p {verdict['rival_adjusted_p_value']:.2g}" \
            + _differences(verdict) if "rival_adjusted_p_value" in verdict else f"dominated by trial {named}{more}"
    if verdict["verdict"] == verdicts.FAILS:
        return "not dominated: every static trial is worse on at least one objective"
    return "whether dominated: " + verdicts.describe(verdict) + closest


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
