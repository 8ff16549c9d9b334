"""Verdicts with three values — holds, fails, undetermined — drawn from intervals, never from points.

A published figure is consistent with our runs when it lies inside their 95 % prediction
interval (mean ± t·s·√(1 + 1/n): where one more run would land), which needs 3 seeds. A
claim about a mean ("below the global-mean RMSE") holds when the 95 % confidence interval
of that mean lies wholly on its side, fails when it lies wholly on the other, and is
undetermined otherwise; a claim about a difference uses Welch's interval. Too few seeds is
undetermined, with the number a verdict needs. The intervals cover the noise the runs
vary: seeds only, or seeds and splits when they span several split seeds.

Seed noise judged from a pair's own few seeds is itself noise: three seeds that happen to
agree to 0.0002 would call any figure outside that sliver inconsistent. A pair with fewer
than OWN_SEEDS_ENOUGH seeds is therefore judged with the within-trial variance pooled over
every multi-seed trial of its study (`pooled_noise`, with its degrees of freedom); a pair
with that many seeds of its own uses them. Each verdict says which it used.

Spreads over seeds are named for what they are (`interval_name`): below SEEDS_FOR_INTERVAL
seeds a percentile bootstrap is only the seeds' minimum and maximum, so a report shows the
seed values and calls them that.

A claim tested against many candidates (is an adaptive method dominated by any of a study's
static trials?) corrects for their number with Holm's step-down (`holm_adjusted`), so that
picking the most damning candidate after the fact does not make a verdict likelier than its
level.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

from scipy import stats

LEVEL = 0.95
SEEDS_FOR_PREDICTION = 3  # with 2, the t quantile (12.7) makes the interval uninformative
SEEDS_FOR_MEAN = 2
SEEDS_FOR_INTERVAL = 3  # with 2 seeds a 95 % percentile bootstrap is their minimum and maximum
OWN_SEEDS_ENOUGH = 10  # a pair with this many seeds is judged on its own noise, not the study's pooled noise
PUBLISHED_ROUNDING = 0.0005  # the tutorial prints 3 decimals: its figure is known to ± half a unit

HOLDS, FAILS, UNDETERMINED = "holds", "fails", "undetermined"
OWN, POOLED = "own", "pooled"


@dataclass(frozen=True)
class SeedNoise:
    """A seed-to-seed standard deviation, its degrees of freedom, and where it comes from: a pair's
    own seeds (`estimate` OWN, `trials` 1) or pooled over `trials` multi-seed trials (POOLED)."""

    std: float
    degrees_of_freedom: int
    trials: int
    estimate: str

    def as_dict(self) -> dict:
        return {"std": self.std, "degrees_of_freedom": self.degrees_of_freedom, "trials": self.trials,
                "estimate": self.estimate}


def own_noise(values) -> SeedNoise | None:
    """The sample std of one pair's runs (n − 1 degrees of freedom), or None below two runs."""
    if len(values) < 2:
        return None
    return SeedNoise(statistics.stdev(values), len(values) - 1, 1, OWN)


def pooled_noise(groups) -> SeedNoise | None:
    """The within-trial variance pooled over every group of two or more runs: Σ (nᵢ − 1) sᵢ² / Σ (nᵢ − 1),
    with Σ (nᵢ − 1) degrees of freedom; None when no group has two runs."""
    usable = [list(group) for group in groups if len(group) >= 2]
    if not usable:
        return None
    freedom = sum(len(group) - 1 for group in usable)
    squares = sum((len(group) - 1) * statistics.variance(group) for group in usable)
    return SeedNoise(math.sqrt(squares / freedom), freedom, len(usable), POOLED)


def noise_for(values, pooled: SeedNoise | None) -> SeedNoise | None:
    """The noise a pair is judged with: its own from OWN_SEEDS_ENOUGH seeds (or without a pooled
    estimate), else the study's pooled estimate."""
    if pooled is None or len(values) >= OWN_SEEDS_ENOUGH:
        return own_noise(values)
    return pooled


def prediction_interval(values, noise: SeedNoise | None = None) -> tuple[float, float] | None:
    """Where a further run is expected to land (95 %): mean ± t·s·√(1 + 1/n), s and t's degrees of
    freedom from `noise` (default: the runs' own). None below SEEDS_FOR_PREDICTION runs, or with
    noise of fewer degrees of freedom than that many runs would give."""
    n = len(values)
    noise = noise if noise is not None else own_noise(values)
    if n == 0 or noise is None or noise.degrees_of_freedom < SEEDS_FOR_PREDICTION - 1:
        return None
    half = stats.t.ppf(0.5 + LEVEL / 2, noise.degrees_of_freedom) * noise.std * math.sqrt(1 + 1 / n)
    mean = statistics.fmean(values)
    return mean - half, mean + half


def mean_interval(values) -> tuple[float, float] | None:
    """The 95 % confidence interval of the mean, or None below SEEDS_FOR_MEAN runs."""
    n = len(values)
    if n < SEEDS_FOR_MEAN:
        return None
    mean, spread = statistics.fmean(values), statistics.stdev(values)
    half = stats.t.ppf(0.5 + LEVEL / 2, n - 1) * spread / math.sqrt(n)
    return mean - half, mean + half


def difference_interval(first, second) -> tuple[float, float] | None:
    """Welch's 95 % confidence interval of mean(first) − mean(second), or None with too few runs."""
    if min(len(first), len(second)) < SEEDS_FOR_MEAN:
        return None
    if statistics.stdev(first) == 0 and statistics.stdev(second) == 0:  # no spread: the difference is exact
        difference = statistics.fmean(first) - statistics.fmean(second)
        return difference, difference
    interval = stats.ttest_ind(first, second, equal_var=False).confidence_interval(LEVEL)
    return float(interval.low), float(interval.high)


def one_sided_p(first, second, alternative: str) -> float | None:
    """Welch's one-sided p-value that mean(first) − mean(second) is "greater" or "less" than 0, or None
    below SEEDS_FOR_MEAN runs a side. Without spread on either side the difference is exact: p is 0
    when it lies strictly on the alternative's side, else 1."""
    if min(len(first), len(second)) < SEEDS_FOR_MEAN:
        return None
    if statistics.stdev(first) == 0 and statistics.stdev(second) == 0:
        difference = statistics.fmean(first) - statistics.fmean(second)
        return 0.0 if (difference > 0 if alternative == "greater" else difference < 0) else 1.0
    return float(stats.ttest_ind(first, second, equal_var=False, alternative=alternative).pvalue)


def holm_adjusted(p_values) -> list[float]:
    """Holm's step-down adjusted p-values: reject every hypothesis whose adjusted p is at most the level,
    and the chance of rejecting any true one stays below it however many were tested. The i-th
    smallest p (from 1) of m is multiplied by m − i + 1, capped at 1, and never below the one before."""
    order = sorted(range(len(p_values)), key=lambda index: p_values[index])
    adjusted, running = [1.0] * len(p_values), 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (len(p_values) - rank) * p_values[index]))
        adjusted[index] = running
    return adjusted


def interval_name(seeds: int, method: str = "bootstrap") -> str:
    """How a report names a spread over `seeds` seeds: a 95 % interval only from SEEDS_FOR_INTERVAL
    seeds, named with its method and seed count; below that, the seed values, called that."""
    if seeds < SEEDS_FOR_INTERVAL:
        return f"seed values ({seeds} seed{'s' if seeds != 1 else ''}; an interval needs {SEEDS_FOR_INTERVAL})"
    return f"95 % {method} interval over {seeds} seeds"


def figure_verdict(published: float, values, rounding: float = PUBLISHED_ROUNDING,
                   noise: SeedNoise | None = None) -> dict:
    """Is a published figure consistent with our runs? (its rounding, ± `rounding`, counts in its favour;
    `noise`: the seed noise to judge with, default the runs' own)"""
    interval = prediction_interval(values, noise)
    if interval is None:
        return _undetermined(len(values), SEEDS_FOR_PREDICTION)
    low, high = interval
    inside = published + rounding >= low and published - rounding <= high
    return {"verdict": HOLDS if inside else FAILS, "interval": [low, high], "seeds": len(values)}


def above(interval: tuple[float, float] | None, bound: float, seeds: int) -> dict:
    """Does the quantity lie above `bound`? holds if its interval does wholly, fails if wholly below."""
    if interval is None:
        return _undetermined(seeds, SEEDS_FOR_MEAN)
    low, high = interval
    verdict = HOLDS if low > bound else FAILS if high < bound else UNDETERMINED
    return {"verdict": verdict, "interval": list(interval), "seeds": seeds}


def below(interval: tuple[float, float] | None, bound: float, seeds: int) -> dict:
    flipped = above(None if interval is None else (-interval[1], -interval[0]), -bound, seeds)
    if interval is not None and "interval" in flipped:
        flipped["interval"] = list(interval)
    return flipped


def all_of(*parts: dict) -> dict:
    """A claim made of parts: it fails if any part fails, holds if every part holds."""
    values = [part["verdict"] for part in parts]
    verdict = FAILS if FAILS in values else HOLDS if all(value == HOLDS for value in values) else UNDETERMINED
    short = [part for part in parts if part.get("needed")]
    if verdict == UNDETERMINED and short:
        return _undetermined(min(part["seeds"] for part in short), max(part["needed"] for part in short))
    return {"verdict": verdict}


def describe(verdict: dict) -> str:
    """How a report prints a verdict: the word, and why when undetermined by too few seeds."""
    if verdict.get("needed"):
        return f"undetermined ({verdict['seeds']} seed{'s' if verdict['seeds'] != 1 else ''}; {verdict['needed']} needed)"
    return verdict["verdict"]


def _undetermined(seeds: int, needed: int) -> dict:
    return {"verdict": UNDETERMINED, "seeds": seeds, "needed": needed}
