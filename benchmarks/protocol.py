"""The measurement protocol of every benchmark that states a goal or compares methods.

A headline figure survives an audit when it was measured this way:

- Seeds (`Seeds`). Settings are chosen on selection seeds and reported on at least
  MIN_REPORT_SEEDS report seeds, disjoint from them: a figure measured on the seeds that
  chose its settings is flattered by the choice. Both lists go into the result file
  (`Seeds.record`: keys `selection_seeds` and `report_seeds`).
- Like for like (`like_for_like`). Fronts are compared at equal seeds per point: one
  training's front against the sweep's single-seed fronts, or the mean front of k trainings
  against the sweep's k-seed means; a mean over seeds is a better front than any one seed's,
  so mixing the two flatters the side with more seeds. The comparison says which it made.
- Intervals (`median_interval`). Every ratio or share is its median over the report seeds
  and a 95 % percentile bootstrap interval over them (fixed generator seed: the same runs
  give the same interval). Below SEEDS_FOR_INTERVAL seeds a bootstrap interval is only the
  seeds' minimum and maximum, so there is none: the seed values, called that.
- Verdicts (`verdict`). A goal is "reached" only when the whole interval meets it, "not
  reached" when the whole interval misses it, and "undetermined" otherwise (or without an
  interval). A goal is an inclusive bound: ≥ for a figure where higher is better, ≤ where
  lower is.
- Reference points (`references`, `hypervolume_ratios`). A hypervolume ratio depends on the
  point it is measured from, so every one is given at three: the trivial baselines (chance
  top-100 accuracy, global-mean RMSE: trade-offs that beat doing nothing), the nadir of the
  compared fronts (the worst of each objective over their Pareto points: only where they
  compete), and the fixed (0, 1.25).
- Cost (`Cost`, `time_fresh_process`). The wall time a user waits for: training, evaluation
  and process overhead (start, imports, data, writing), each side run alone in a fresh process
  with the same threads.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sweep import SweepError, UsageError, verdicts
from sweep.pareto import BOOTSTRAP_SEED, pareto_front
from sweep.report.hypervolume import hypervolume, reference_point

MIN_REPORT_SEEDS = 5
# The ends of a median's 95 % interval over ~10 seeds move by several thousandths between
# generators at 1,000 resamples: intervals here take 20,000. Where the median's bootstrap
# distribution has a step at the 2.5 % or 97.5 % point, an end can still sit up to about half
# a point from the exact bootstrap's (every resample enumerated; the conditioned share's low end
# in benchmarks/results/conditioned.json: 96.0 % here, 95.7 % exact): a verdict at a goal that
# close is read with that in mind.
INTERVAL_RESAMPLES = 20_000
DIRECTIONS = ("maximize", "minimize")
REACHED, NOT_REACHED, UNDETERMINED = "reached", "not reached", "undetermined"


@dataclass(frozen=True)
class Seeds:
    """The seeds that chose a benchmark's settings and the disjoint ones its figures are reported on."""

    selection: tuple[int, ...]
    report: tuple[int, ...]

    def __post_init__(self):
        for name, seeds in (("selection", self.selection), ("report", self.report)):
            if len(set(seeds)) != len(seeds):
                raise UsageError(f"{name} seeds repeat a seed: {list(seeds)}")
        if len(self.report) < MIN_REPORT_SEEDS:
            raise UsageError(f"{len(self.report)} report seeds; a figure is reported on at least {MIN_REPORT_SEEDS}")
        shared = sorted(set(self.selection) & set(self.report))
        if shared:
            raise UsageError(f"report seeds {', '.join(map(str, shared))} also chose the settings: the report seeds "
                             "must be disjoint from the selection seeds")

    @classmethod
    def consecutive(cls, selection: int, report: int, first: int = 0) -> Seeds:
        """`selection` seeds from `first`, then `report` seeds after them."""
        return cls(tuple(range(first, first + selection)), tuple(range(first + selection, first + selection + report)))

    def record(self) -> dict:
        """Both lists, as the result file holds them."""
        return {"selection_seeds": list(self.selection), "report_seeds": list(self.report)}


@dataclass(frozen=True)
class Interval:
    """A figure over the report seeds: its median and, from SEEDS_FOR_INTERVAL seeds, its 95 %
    percentile bootstrap interval (`low`, `high`; None below that: only the seed values)."""

    values: tuple[float, ...]  # one per seed, in seed order
    median: float
    low: float | None
    high: float | None

    @property
    def seeds(self) -> int:
        return len(self.values)

    @property
    def name(self) -> str:
        """What the spread is: "seed values (…)" or "95 % bootstrap interval over N seeds"."""
        return verdicts.interval_name(self.seeds)

    def describe(self, number: str = "{:.4g}") -> str:
        """The median and its spread as a report prints them."""
        if self.low is None:
            return f"median {number.format(self.median)}; {self.name}: " + ", ".join(map(number.format, self.values))
        return (f"median {number.format(self.median)}; {self.name} (percentile, of the median): "
                f"[{number.format(self.low)}, {number.format(self.high)}]")

    def record(self) -> dict:
        return {"median": self.median, "interval": None if self.low is None else [self.low, self.high],
                "seeds": self.seeds, "values": list(self.values), "name": self.name}


def median_interval(values, resamples: int = INTERVAL_RESAMPLES, seed: int = BOOTSTRAP_SEED) -> Interval:
    """The median of `values` (one per report seed) and the 95 % percentile bootstrap interval of the
    median, the seeds resampled with replacement `resamples` times by a generator seeded with `seed`."""
    array = np.asarray(values, dtype=float).reshape(-1)
    if array.size == 0 or np.isnan(array).any():
        raise UsageError(f"an interval needs one number per seed, none missing (got {list(array)})")
    median = float(np.median(array))
    if array.size < verdicts.SEEDS_FOR_INTERVAL:
        return Interval(tuple(map(float, array)), median, None, None)
    picks = np.random.default_rng(seed).integers(0, array.size, size=(resamples, array.size))
    tail = 100 * (1 - verdicts.LEVEL) / 2
    low, high = np.percentile(np.median(array[picks], axis=1), [tail, 100 - tail])
    return Interval(tuple(map(float, array)), median, float(low), float(high))


def unpaired_median_difference(values, others, resamples: int = INTERVAL_RESAMPLES,
                               seed: int = BOOTSTRAP_SEED) -> dict:
    """median(values) − median(others) for two groups measured on different seeds (nothing to pair), and the
    95 % percentile bootstrap interval of that difference, each group resampled on its own."""
    first, second = (np.asarray(group, dtype=float).reshape(-1) for group in (values, others))
    if min(first.size, second.size) < verdicts.SEEDS_FOR_INTERVAL:
        raise UsageError(f"an unpaired interval needs {verdicts.SEEDS_FOR_INTERVAL} seeds a side "
                         f"(got {first.size} and {second.size})")
    generator = np.random.default_rng(seed)
    medians = [np.median(group[generator.integers(0, group.size, size=(resamples, group.size))], axis=1)
               for group in (first, second)]
    tail = 100 * (1 - verdicts.LEVEL) / 2
    low, high = np.percentile(medians[0] - medians[1], [tail, 100 - tail])
    return {"median": float(np.median(first) - np.median(second)), "interval": [float(low), float(high)],
            "seeds": [int(first.size), int(second.size)], "name": "95 % bootstrap interval, each group resampled alone"}


def verdict(interval: Interval, goal: float, higher_is_better: bool = True) -> str:
    """"reached" when the whole interval meets the goal (≥ it, or ≤ it where lower is better), "not
    reached" when the whole interval misses it, else (or without an interval) "undetermined"."""
    if interval.low is None:
        return UNDETERMINED
    if not higher_is_better:
        return verdict(Interval(interval.values, -interval.median, -interval.high, -interval.low), -goal)
    if interval.low >= goal:
        return REACHED
    return NOT_REACHED if interval.high < goal else UNDETERMINED


FIXED_REFERENCE = {"top_100_accuracy": 0.0, "rmse": 1.25, "source": "fixed point (0, 1.25)"}


def nadir(fronts) -> dict:
    """The worst top-100 accuracy and the worst RMSE over the Pareto points of each front."""
    points = [np.asarray(front, dtype=float).reshape(-1, 2) for front in fronts]
    on_fronts = np.vstack([front[pareto_front(front, DIRECTIONS)] for front in points if len(front)])
    return {"top_100_accuracy": float(on_fronts[:, 0].min()), "rmse": float(on_fronts[:, 1].max()),
            "source": "nadir of the compared fronts"}


def references(fronts, context: dict) -> dict:
    """The three points every hypervolume ratio is measured from: "trivial" (the study's recorded
    `context_baselines`), "nadir" (of `fronts`, every front compared) and "fixed" (0, 1.25)."""
    if not context or not {"chance_top_100_accuracy", "global_mean_rmse"} <= set(context):
        raise UsageError("the trivial baselines (chance top-100 accuracy, global-mean RMSE) are not recorded")
    return {"trivial": reference_point(context), "nadir": nadir(fronts), "fixed": dict(FIXED_REFERENCE)}


def hypervolume_ratios(front, against, points: dict) -> dict:
    """hypervolume(front) / hypervolume(against) measured from each of `points` (see `references`)."""
    ratios = {}
    for name, reference in points.items():
        denominator = hypervolume(against, reference)
        if denominator <= 0:
            raise UsageError(f"the front compared against dominates nothing beyond the {name} reference: no ratio")
        ratios[name] = hypervolume(front, reference) / denominator
    return ratios


@dataclass(frozen=True)
class LikeForLike:
    """Fronts paired at equal seeds per point, and the sentence that says which comparison it is."""

    seeds_per_point: int
    candidate_fronts: tuple  # (points × 2) arrays: one per training, or per group of k trainings
    baseline_fronts: tuple  # (points × 2) arrays: one per seed, or per group of k seeds
    description: str


def like_for_like(candidate_runs, baseline_runs, seeds_per_point: int = 1) -> LikeForLike:
    """`candidate_runs` (points × trainings × 2): each training's model evaluated at each of its points;
    `baseline_runs` (points × seeds × 2): each of the sweep's trials, seed by seed. With one seed per
    point: each training's front against each of the sweep's single-seed fronts. With k: the mean
    front of each k trainings (consecutive, disjoint) against the sweep's means of each k seeds."""
    candidate, baseline = (np.asarray(runs, dtype=float) for runs in (candidate_runs, baseline_runs))
    k = seeds_per_point
    for side, runs, unit in (("candidate", candidate, "trainings"), ("baseline", baseline, "seeds")):
        if runs.ndim != 3 or runs.shape[2] != 2:
            raise UsageError(f"the {side} runs are points × {unit} × (top-100, RMSE); got shape {runs.shape}")
        if k < 1 or runs.shape[1] < k or runs.shape[1] % k:
            raise UsageError(f"the {side}'s {runs.shape[1]} {unit} per point do not split into groups of {k}")
    if k == 1:
        description = "one training's front against the sweep's single-seed fronts (1 seed per point on each side)"
    else:
        description = (f"the mean front of {k} trainings against the sweep's {k}-seed means "
                       f"({k} seeds per point on each side)")
    return LikeForLike(k, _mean_fronts(candidate, k), _mean_fronts(baseline, k), description)


def like_for_like_fronts(candidate_fronts, baseline_fronts) -> LikeForLike:
    """Single-seed fronts of any points against the sweep's single-seed fronts (one seed per point on
    each side), when the candidate's fronts do not share one set of points (each seed chose its own)."""
    return LikeForLike(1, tuple(np.asarray(front, dtype=float) for front in candidate_fronts),
                       tuple(np.asarray(front, dtype=float) for front in baseline_fronts),
                       "each single-seed front against the sweep's single-seed fronts (1 seed per point on each side)")


def _mean_fronts(runs: np.ndarray, k: int) -> tuple:
    """The mean metrics of each k consecutive seeds (or trainings), per point: one front per group."""
    return tuple(runs[:, start:start + k, :].mean(axis=1) for start in range(0, runs.shape[1], k))


def hypervolume_shares(comparison: LikeForLike, context: dict) -> dict:
    """At each of the three references: each candidate front's hypervolume over the baseline's median
    front hypervolume, as a median and interval over the candidate's fronts (the report seeds)."""
    points = references(comparison.candidate_fronts + comparison.baseline_fronts, context)
    shares = {}
    for name, reference in points.items():
        baseline = [hypervolume(front, reference) for front in comparison.baseline_fronts]
        typical = statistics.median(baseline)
        if typical <= 0:
            raise UsageError(f"the baseline's fronts dominate nothing beyond the {name} reference: no share")
        interval = median_interval([hypervolume(front, reference) / typical for front in comparison.candidate_fronts])
        shares[name] = {"reference": reference, "baseline_hypervolumes": baseline, "share": interval.record()}
    return {"comparison": comparison.description, "seeds_per_point": comparison.seeds_per_point, "shares": shares}


THREAD_VARIABLES = ("OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")
PARTS_VARIABLE = "SWEEP_PROTOCOL_PARTS"  # where a timed command writes its training and evaluation seconds


@dataclass(frozen=True)
class Cost:
    """The wall time a user waits for, in its parts; `overhead_seconds` is the rest of the process's
    wall time: start, imports, data, writing."""

    training_seconds: float
    evaluation_seconds: float
    overhead_seconds: float
    threads: int | None = None

    @property
    def total_seconds(self) -> float:
        return self.training_seconds + self.evaluation_seconds + self.overhead_seconds

    def record(self) -> dict:
        return {"training_seconds": self.training_seconds, "evaluation_seconds": self.evaluation_seconds,
                "overhead_seconds": self.overhead_seconds, "total_seconds": self.total_seconds, "threads": self.threads}


def report_parts(training_seconds: float, evaluation_seconds: float) -> None:
    """Called by a command `time_fresh_process` runs: hand it the seconds spent training and evaluating
    (a JSON file at $SWEEP_PROTOCOL_PARTS; any program may write it)."""
    Path(os.environ[PARTS_VARIABLE]).write_text(
        json.dumps({"training_seconds": training_seconds, "evaluation_seconds": evaluation_seconds}))


def time_fresh_process(argv: list[str], threads: int, cwd: Path | None = None, env: dict | None = None) -> Cost:
    """Run `argv` alone in a fresh process limited to `threads` threads and time it end to end; the
    command reports its training and evaluation seconds (`report_parts`), the rest is overhead."""
    with tempfile.TemporaryDirectory(prefix="sweep-protocol-") as scratch:
        parts_file = Path(scratch) / "parts.json"
        child = {**os.environ, **(env or {}), **{name: str(threads) for name in THREAD_VARIABLES},
                 PARTS_VARIABLE: str(parts_file)}
        started = time.perf_counter()
        result = subprocess.run(argv, cwd=cwd, env=child, capture_output=True, text=True)
        wall = time.perf_counter() - started
        if result.returncode != 0:
            last = (result.stderr.strip().splitlines() or ["no output"])[-1]
            raise SweepError(f"{argv[0]} exited with {result.returncode}: {last}")
        if not parts_file.exists():
            raise SweepError(f"{argv[0]} did not report its training and evaluation seconds (${PARTS_VARIABLE})")
        parts = json.loads(parts_file.read_text())
    training, evaluation = float(parts["training_seconds"]), float(parts["evaluation_seconds"])
    if training + evaluation > wall:
        raise SweepError(f"{argv[0]} reported {training + evaluation:.3f} s of work in {wall:.3f} s of wall time")
    return Cost(training, evaluation, wall - training - evaluation, threads)
