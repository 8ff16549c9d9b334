"""Verdicts with three values — holds, fails, undetermined — drawn from intervals, never from points.

A published figure is consistent with our runs when it lies inside their 95 % prediction
interval (mean ± t·s·√(1 + 1/n): where one more run would land), which needs 3 seeds. A
claim about a mean ("below the global-mean RMSE") holds when the 95 % confidence interval
of that mean lies wholly on its side, fails when it lies wholly on the other, and is
undetermined otherwise; a claim about a difference uses Welch's interval. Too few seeds is
undetermined, with the number a verdict needs. The intervals cover the noise the runs
vary: seeds only, or seeds and splits when they span several split seeds.
"""

from __future__ import annotations

import math
import statistics

from scipy import stats

LEVEL = 0.95
SEEDS_FOR_PREDICTION = 3  # with 2, the t quantile (12.7) makes the interval uninformative
SEEDS_FOR_MEAN = 2
PUBLISHED_ROUNDING = 0.0005  # the tutorial prints 3 decimals: its figure is known to ± half a unit

HOLDS, FAILS, UNDETERMINED = "holds", "fails", "undetermined"


def prediction_interval(values) -> tuple[float, float] | None:
    """Where a further run is expected to land (95 %), or None below SEEDS_FOR_PREDICTION runs."""
    n = len(values)
    if n < SEEDS_FOR_PREDICTION:
        return None
    mean, spread = statistics.fmean(values), statistics.stdev(values)
    half = stats.t.ppf(0.5 + LEVEL / 2, n - 1) * spread * math.sqrt(1 + 1 / n)
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


def figure_verdict(published: float, values, rounding: float = PUBLISHED_ROUNDING) -> dict:
    """Is a published figure consistent with our runs? (its rounding, ± `rounding`, counts in its favour)"""
    interval = prediction_interval(values)
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
    if "interval" in flipped:
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
