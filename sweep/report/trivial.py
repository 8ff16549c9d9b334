"""Does any trial beat doing the obvious thing? Each objective against its trivial baseline.

The tutorial compares its three models with each other; a user also wants to know whether
any setting of the model beats the obvious baselines: recommending the most popular movies
(top-100 accuracy) and predicting a rating from a user bias and a movie bias (RMSE). Both are
measured on the study's split (sweep.baselines.context_baselines) and recorded in the study.

Each trial is tested one-sided against a baseline with a t-test on its seeds' mean, the seed
noise pooled over the study's multi-seed trials that learned something on that objective: those
whose mean beats its trivial reference (chance top-100 accuracy, global-mean RMSE). A diverging
setting's seeds can differ by whole units of RMSE; pooled in, they would widen every trial's
interval until nothing could be told (sweep.verdicts.noise_for; every trial when none learned). Picking the best of
N trials after the fact is exactly the optimism a verdict must not inherit, so "some trial beats
it" is judged with Holm's correction over every trial tested. "No trial beats it" needs the
opposite: every trial's own test shows it on the losing side. Beating both at once is, per
trial, the larger of its two one-sided p-values (an intersection-union test), corrected the same way.
"""

from __future__ import annotations

import math
import statistics

import pandas as pd
from scipy import stats

from sweep import verdicts

# objective -> the trivial reference a trial must beat to count in the pooled seed noise
LEARNED = {"top_100_accuracy": "chance_top_100_accuracy", "rmse": "global_mean_rmse"}
# objective -> (the context baseline's key, the better side, how a report names the baseline)
BASELINES = {
    "top_100_accuracy": ("most_popular_top_100_accuracy", "greater", "most-popular top-100 accuracy"),
    "rmse": ("user_item_bias_rmse", "less", "user + item bias RMSE"),
}
LEVEL = 1 - verdicts.LEVEL


def seed_values(row, metric: str) -> list[float]:
    """A trial's per-seed values of a metric, from its trials-table columns seed0_…, seed1_…"""
    values, index = [], 0
    while f"seed{index}_{metric}" in row and not pd.isna(row[f"seed{index}_{metric}"]):
        values.append(float(row[f"seed{index}_{metric}"]))
        index += 1
    return values


def one_sided_p(values, bound: float, alternative: str, noise: verdicts.SeedNoise | None) -> float | None:
    """p that the mean of `values` lies beyond `bound` on the `alternative` side ("greater"/"less"),
    a t-test with `noise`'s std and degrees of freedom; None without noise. No spread: exact."""
    if noise is None or not values:
        return None
    difference = statistics.fmean(values) - bound
    if noise.std == 0:
        return 0.0 if (difference > 0 if alternative == "greater" else difference < 0) else 1.0
    t = difference / (noise.std / math.sqrt(len(values)))
    return float(stats.t.sf(t, noise.degrees_of_freedom) if alternative == "greater"
                 else stats.t.cdf(t, noise.degrees_of_freedom))


def assess(frame: pd.DataFrame, context: dict | None) -> dict | None:
    """Per objective: the best trial, how many trials' means beat the baseline, and the verdict on
    "some trial beats it"; then the same for beating both at once. None without the baselines."""
    if not context or any(BASELINES[metric][0] not in context for metric in BASELINES):
        return None
    rows = frame[(frame["state"] == "COMPLETE") & frame.get("counts_for_front", True)]
    if rows.empty or any(metric not in rows for metric in BASELINES):
        return None
    samples = {metric: [seed_values(row, metric) or [float(row[metric])] for _, row in rows.iterrows()]
               for metric in BASELINES}
    numbers = [int(number) for number in rows["number"]]
    result: dict = {"trials": len(rows), "objectives": {}}
    beats, worse, beating = {}, {}, {}
    for metric, (key, side, named) in BASELINES.items():
        bound = float(context[key])
        pooled = learned_noise(samples[metric], context, metric)
        other = "less" if side == "greater" else "greater"
        noises = [verdicts.noise_for(values, pooled) for values in samples[metric]]
        beats[metric] = [one_sided_p(values, bound, side, noise) for values, noise in zip(samples[metric], noises)]
        worse[metric] = [one_sided_p(values, bound, other, noise) for values, noise in zip(samples[metric], noises)]
        means = [statistics.fmean(values) for values in samples[metric]]
        best = max(range(len(means)), key=lambda index: means[index] if side == "greater" else -means[index])
        best_noise = noises[best]
        beating[metric] = [_beats(mean, bound, side) for mean in means]
        result["objectives"][metric] = {
            "baseline": named, "value": bound, "better": "higher" if side == "greater" else "lower",
            "best_trial": numbers[best], "best_mean": means[best], "best_seeds": len(samples[metric][best]),
            "best_interval": None if best_noise is None else mean_interval(means[best], len(samples[metric][best]),
                                                                           best_noise),
            "trials_beating_on_mean": sum(beating[metric]),
            "verdict": _verdict(beats[metric], worse[metric]),
            "noise": None if pooled is None else pooled.as_dict(),
        }
    both = [None if p_top is None or p_rmse is None else max(p_top, p_rmse)
            for p_top, p_rmse in zip(beats["top_100_accuracy"], beats["rmse"])]
    # a trial is shown worse than "both at once" when either of its two tests shows it losing (each at half the level)
    losing = [None if p_top is None or p_rmse is None else min(p_top, p_rmse) * 2
              for p_top, p_rmse in zip(worse["top_100_accuracy"], worse["rmse"])]
    on_mean = [number for number, *beats_each in zip(numbers, *beating.values()) if all(beats_each)]
    result["both"] = {"verdict": _verdict(both, losing), "trials_beating_on_mean": on_mean}
    return result


def mean_interval(mean: float, seeds: int, noise: verdicts.SeedNoise) -> list[float]:
    """The 95 % t-interval of a mean over `seeds` seeds with `noise`'s std and degrees of freedom."""
    half = stats.t.ppf(0.5 + verdicts.LEVEL / 2, noise.degrees_of_freedom) * noise.std / math.sqrt(seeds)
    return [mean - half, mean + half]


def learned_noise(samples: list[list[float]], context: dict, metric: str) -> verdicts.SeedNoise | None:
    """The seed noise of `metric` pooled over the trials (each a list of seed values) whose mean beats its
    trivial reference; over every trial when none does or the reference is not recorded."""
    reference, side = context.get(LEARNED[metric]), BASELINES[metric][1]
    learned = [values for values in samples
               if reference is not None and _beats(statistics.fmean(values), float(reference), side)]
    return verdicts.pooled_noise(learned or samples)


def _beats(value: float, bound: float, side: str) -> bool:
    return value > bound if side == "greater" else value < bound


def _verdict(beating: list, losing: list) -> dict:
    """"holds" when Holm's correction over every trial keeps some trial beating the baseline; "fails"
    when every trial's own test shows it losing; otherwise undetermined. Trials without noise are
    not testable: then "fails" cannot be said."""
    testable = [index for index, p in enumerate(beating) if p is not None]
    if not testable:
        return {"verdict": verdicts.UNDETERMINED, "why": "no seed noise: every trial has one seed and none is pooled"}
    adjusted = verdicts.holm_adjusted([beating[index] for index in testable])
    smallest = min(adjusted)
    if smallest <= LEVEL:
        return {"verdict": verdicts.HOLDS, "p_holm": smallest, "tested": len(testable)}
    if len(testable) == len(beating) and all(p is not None and p <= LEVEL for p in losing):
        return {"verdict": verdicts.FAILS, "p_holm": smallest, "tested": len(testable)}
    return {"verdict": verdicts.UNDETERMINED, "p_holm": smallest, "tested": len(testable)}


def markdown_lines(assessed: dict | None) -> list[str]:
    if assessed is None:
        return []
    lines = ["## Beyond the trivial baselines", ""]
    for found in assessed["objectives"].values():
        verdict = found["verdict"]
        lines.append(f"- **{found['baseline']} {found['value']:.4f}** ({found['better']} is better): "
                     f"{_words(verdict, 'some trial beats it', 'no trial beats it')}. The best trial by its mean is "
                     f"{found['best_trial']} ({found['best_mean']:.4f}{_interval(found['best_interval'])}, "
                     f"{found['best_seeds']} seed{'s' if found['best_seeds'] != 1 else ''}); "
                     f"{found['trials_beating_on_mean']} of "
                     f"{assessed['trials']} trials beat it on their means.")
    both = assessed["both"]
    on_mean = both["trials_beating_on_mean"]
    means = (f"trials {', '.join(map(str, on_mean))} beat both on their means" if on_mean
             else "no trial beats both on its means")
    lines.append(f"- **Both at once**: {_words(both['verdict'], 'some single model beats both', 'no single model beats both')}"
                 f"; {means}.")
    noise = next((found["noise"] for found in assessed["objectives"].values() if found["noise"]), None)
    lines += ["", "Each trial is tested one-sided against the baseline (a t-test on its seeds' mean, the seed noise "
              "pooled over the study's multi-seed trials whose mean beats chance top-100 accuracy, or the global-mean "
              "RMSE: those that learned something"
              + (f": {noise['trials']} trials, {noise['degrees_of_freedom']} degrees of freedom" if noise else "")
              + "). \"Some trial beats it\" is corrected for every trial tested (Holm), so the luckiest trial "
              "chosen after the fact does not make it likelier; \"no trial beats it\" needs every trial's own test "
              "to show it on the losing side; anything between is undetermined. The baselines are measured on "
              "the study's test split.", ""]
    return lines


def _interval(interval: list[float] | None) -> str:
    return "" if interval is None else f", 95 % interval [{interval[0]:.4f}, {interval[1]:.4f}]"


def _words(verdict: dict, holds: str, fails: str) -> str:
    if verdict["verdict"] == verdicts.HOLDS:
        return f"{holds} (holds: Holm-corrected p {verdict['p_holm']:.2g} over {verdict['tested']} trials)"
    if verdict["verdict"] == verdicts.FAILS:
        return f"{fails} (every trial's one-sided test puts it on the losing side at 5 %)"
    why = verdict.get("why") or f"Holm-corrected p {verdict['p_holm']:.2g} over {verdict['tested']} trials"
    return f"undetermined whether {holds.replace('some', 'any')} ({why})"
