"""Which trial to take: the best one that meets a constraint, judged on its seeds, not only its means.

`sweep pick STUDY --rmse-max X` (and `--pick "rmse<=X"` of predict, recommend and export)
answers "the most accurate model whose RMSE is at most X". The rule, precisely:

- **Candidates**: the trials that count for the front (sweep.record.counts_for_front); for a
  conditioned study, those it can serve (inside its trained ranges) and pairs along its front
  that the model is evaluated at for the pick (`pick_study`).
- **Probability of meeting the bounds**: each candidate's seeds resampled with replacement
  (sweep.pareto.bootstrap_means, fixed seed); the share of resamples whose means meet every
  bound. A one-seed candidate's probability is 0 or 1, and its intervals are points.
- **Qualifying**: a probability of at least `confidence` (default 0.9).
- **Measure**: with one objective left unbounded, its mean (the best top-100 accuracy under an
  RMSE bound); with none or several, the knee's measure (sweep.pareto.knee): the box its means
  dominate beyond a corner, here each bound where one is given and the trivial baseline
  elsewhere (both bounds: the box beyond them). The pick is the qualifying candidate of the best
  measure (ties: the earlier candidate).
- **Intervals**: the central `confidence` share of the resampled values (0.9: the 5th to the
  95th percentile).
- **Undetermined**: when another qualifying candidate's interval of the measure overlaps the
  pick's, the pick is "undetermined between A and B", B the overlapping one of the best measure.
- **Nothing qualifies**: `NothingMeets`, naming the closest candidate: the highest probability,
  then the smallest shortfall of its means from the bounds (each relative to its bound).
- **No bound**: the knee among the candidates (the report's rule); its rivals are the other front points.

No TensorFlow here: only a conditioned study's search evaluates a model, through the
evaluator sweep.conditioned_study gives it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sweep import SweepError, UsageError
from sweep.config import DIRECTION, recorded_objectives
from sweep.config.ranges import ACCURACY, POSITIVE, Range
from sweep.config.run import PICK_CONFIDENCE
from sweep.pareto import bootstrap_means, knee, pareto_front, trivial_reference
from sweep.record import TrialRecord, counts_for_front

NAMES = {"rmse": "rmse", "top_100": "top_100_accuracy"}  # the grammar's name of each metric it bounds
SHORT = {metric: name for name, metric in NAMES.items()}
OPERATOR = {metric: "<=" if DIRECTION[metric] == "minimize" else ">=" for metric in SHORT}
BOUND_RANGE: dict[str, Range] = {"rmse": POSITIVE, "top_100_accuracy": ACCURACY}
GRAMMAR = 'rmse<=X and/or top_100>=Y, joined by a comma (e.g. "rmse<=1.0,top_100>=0.2")'
PART = re.compile(r"\s*(rmse|top_100)\s*(<=|>=)\s*(\S+)\s*")
BETWEEN, REFINE = 3, 4  # a conditioned study's search: pairs in each gap of its front, then on each side of the pick


@dataclass(frozen=True)
class Bound:
    """One side of the constraint: an RMSE at most `value`, or a top-100 accuracy at least `value`."""

    metric: str
    value: float

    def __str__(self) -> str:
        return f"{SHORT[self.metric]}{OPERATOR[self.metric]}{self.value:g}"

    def met(self, values: np.ndarray) -> np.ndarray:
        return values <= self.value if OPERATOR[self.metric] == "<=" else values >= self.value

    def shortfall(self, mean: float) -> float:
        """How far a mean misses the bound, relative to it (0 when it meets it)."""
        missing = mean - self.value if OPERATOR[self.metric] == "<=" else self.value - mean
        return max(0.0, missing) / max(abs(self.value), 1e-12)


def parse_constraint(text: str, where: str = "--pick") -> tuple[Bound, ...]:
    """`rmse<=X`, `top_100>=Y` or both joined by a comma; anything else is one UsageError."""
    bounds = []
    for part in text.split(","):
        match = PART.fullmatch(part)
        if match is None:
            raise UsageError(f"{where}: expected {GRAMMAR}, got {text!r}")
        name, operator, number = match.groups()
        metric = NAMES[name]
        if operator != OPERATOR[metric]:
            side = "at most" if OPERATOR[metric] == "<=" else "at least"
            raise UsageError(f"{where}: {name} is bounded as {side} a value ({name}{OPERATOR[metric]}X), got {part.strip()!r}")
        bounds.append(Bound(metric, BOUND_RANGE[metric].parse(number, where=f"{where} {name}")))
    return check_bounds(bounds, where)


def bounds_of(rmse_max: float | None, top_100_min: float | None) -> tuple[Bound, ...]:
    """`sweep pick`'s flags as bounds (argparse has checked their ranges)."""
    given = (("rmse", rmse_max), ("top_100_accuracy", top_100_min))
    return tuple(Bound(metric, value) for metric, value in given if value is not None)


def check_bounds(bounds: list[Bound], where: str) -> tuple[Bound, ...]:
    """One bound per metric: two on one metric contradict each other or one says nothing."""
    for index, bound in enumerate(bounds):
        twice = next((other for other in bounds[:index] if other.metric == bound.metric), None)
        if twice is not None:
            raise UsageError(f"{where}: {SHORT[bound.metric]} is bounded twice ({twice} and {bound}); give one bound each")
    return tuple(bounds)


@dataclass(frozen=True)
class Candidate:
    """A trial (or, for a conditioned study, a pair evaluated for the pick) and its metrics per seed."""

    pair: tuple[float, float]
    runs: dict[str, np.ndarray]  # metric -> its value at each seed
    number: int | None = None  # the stored trial; None: a pair the conditioned model was evaluated at for the pick
    # chosen on a validation slice: the test split's means (reported, never chosen on); None when chosen on test
    test_means: dict[str, float] | None = None

    @property
    def seeds(self) -> int:
        return len(next(iter(self.runs.values())))

    def mean(self, metric: str) -> float:
        return float(np.mean(self.runs[metric]))

    @property
    def label(self) -> str:
        if self.number is not None:
            return f"trial {self.number}"
        return f"weights ({self.pair[0]:.4g}, {self.pair[1]:.4g})"


def candidates_of(trials, metrics, keep: Callable[[TrialRecord], bool] = lambda record: True) -> list[Candidate]:
    """The trials that count for the front with every metric, their seeds' values (a trial stored
    without its seeds' runs: its means, as one seed)."""
    found = []
    for trial in trials:
        if not counts_for_front(trial.state.name, trial.user_attrs):
            continue
        record = TrialRecord.from_attrs(trial.user_attrs)
        runs = [run.metrics for run in record.runs if all(name in run.metrics for name in metrics)]
        if not runs:
            runs = [{name: record.metric(name) for name in metrics}]
        values = {name: np.array([run[name] for run in runs], dtype=float) for name in metrics}
        tested = None
        if record.summary is not None and record.summary.test_metrics is not None:
            tested = {name: record.test_metric(name) for name in metrics}
        if keep(record) and not any(np.isnan(column).any() for column in values.values()):
            found.append(Candidate(record.pair, values, trial.number, tested))
    return found


@dataclass(frozen=True)
class Choice:
    """The pick, and how sure it is: what `sweep pick` prints."""

    chosen: Candidate
    bounds: tuple[Bound, ...]
    confidence: float
    measure: str  # what the pick maximizes among qualifying candidates: a metric, or "box" (the knee's)
    intervals: dict[str, tuple[float, float]]  # the chosen one's, per metric (and "box")
    probability: float | None  # of meeting the bounds; None without bounds
    qualifying: int
    candidates: int
    rival: Candidate | None = None  # undetermined between chosen and rival
    rival_interval: tuple[float, float] | None = None
    overlapping: int = 0  # qualifying candidates whose interval overlaps the chosen one's


class NothingMeets(SweepError):
    """No candidate meets the bounds with the probability asked (exit code 1)."""


def choose(candidates: list[Candidate], objectives, directions, reference, bounds: tuple[Bound, ...],
           confidence: float = PICK_CONFIDENCE) -> Choice:
    """The module docstring's rule over `candidates` (their stored order breaks ties)."""
    objectives, bounded = list(objectives), [bound.metric for bound in bounds]
    free = [name for name in objectives if name not in bounded]
    columns = list(dict.fromkeys([*objectives, *bounded]))
    runs = [np.column_stack([candidate.runs[name] for name in columns]) for candidate in candidates]
    resampled = bootstrap_means(runs)  # (resamples, candidates, columns)
    means = np.array([trial_runs.mean(axis=0) for trial_runs in runs])
    at = [columns.index(name) for name in objectives]
    signs = np.array([1.0 if direction == "maximize" else -1.0 for direction in directions])
    measure = free[0] if bounds and len(free) == 1 else "box"
    limits = {bound.metric: bound.value for bound in bounds}  # the box is measured from the bounds where given
    corner = np.array([limits.get(name, trivial) for name, trivial in zip(objectives, reference)])

    def measured(values: np.ndarray) -> np.ndarray:  # (..., columns) -> (...), larger is better
        if measure != "box":
            return signs[objectives.index(measure)] * values[..., columns.index(measure)]
        return np.prod(np.clip((values[..., at] - corner) * signs, 0.0, None), axis=-1)

    shares = ((1 - confidence) / 2, (1 + confidence) / 2)
    samples = measured(resampled)  # (resamples, candidates)
    scores, spread = measured(means), np.quantile(samples, shares, axis=0)  # spread: (2, candidates)
    probability = None
    if bounds:
        met = np.all([bound.met(resampled[..., columns.index(bound.metric)]) for bound in bounds], axis=0)
        chances = met.mean(axis=0)
        qualifying = [int(index) for index in np.flatnonzero(chances >= confidence)]
        if not qualifying:
            raise NothingMeets(_nothing_meets(candidates, bounds, confidence, chances, means, columns))
        best = max(qualifying, key=lambda index: (scores[index], -index))
        probability = float(chances[best])
    else:
        found = knee(means[:, at], directions, reference)
        assert found is not None  # candidates have no NaN: there is a front
        best = found
        # the knee's rivals are the other front points; when no box beats doing nothing, it has none
        qualifying = [int(i) for i in np.flatnonzero(pareto_front(means[:, at], directions))] if scores[best] > 0 else [best]
    overlapping = [index for index in qualifying if index != best
                   and spread[1, index] >= spread[0, best] and spread[0, index] <= spread[1, best]]
    rival = max(overlapping, key=lambda index: (scores[index], -index)) if overlapping else None

    def interval_of(index: int, name: str) -> tuple[float, float]:
        return _interval(samples[:, index] if name == "box" else resampled[:, index, columns.index(name)], shares)

    intervals = {name: interval_of(best, name) for name in [*columns, *(["box"] if measure == "box" else [])]}
    return Choice(candidates[best], bounds, confidence, measure, intervals, probability, len(qualifying),
                  len(candidates), None if rival is None else candidates[rival],
                  None if rival is None else interval_of(rival, measure), len(overlapping))


def _interval(values: np.ndarray, shares: tuple[float, float]) -> tuple[float, float]:
    low, high = np.quantile(values, shares)
    return float(low), float(high)


def _nothing_meets(candidates, bounds, confidence, chances, means, columns) -> str:
    shortfall = [sum(bound.shortfall(means[index, columns.index(bound.metric)]) for bound in bounds)
                 for index in range(len(candidates))]
    closest = max(range(len(candidates)), key=lambda index: (chances[index], -shortfall[index], -index))
    found = candidates[closest]
    values = ", ".join(f"{name} {means[closest, columns.index(name)]:.4f}" for name in columns)
    seeds = f"{found.seeds} seed{'s' if found.seeds != 1 else ''}"
    return (f"no candidate meets {','.join(map(str, bounds))} with probability {confidence:g} or more over its seeds; "
            f"the closest is {found.label} ({values}; probability {chances[closest]:.2f} over {seeds})")


# --- a stored study ------------------------------------------------------------------------------------------


def pick_study(study, bounds: tuple[Bound, ...], confidence: float = PICK_CONFIDENCE,
               evaluate: Callable[[tuple[float, float]], dict[str, np.ndarray]] | None = None) -> Choice:
    """The pick among a stored study's trials; with `evaluate` (a conditioned study's model at a
    pair, sweep.conditioned_study.stored_evaluator), a 1-D search along its front as well: the
    front's pairs (no weight 0) in their order along the front, each gap filled with BETWEEN pairs
    (each weight log-spaced) evaluated for the pick; then REFINE more in each gap beside the pick."""
    objectives = recorded_objectives(study.metric_names, study.user_attrs)
    directions = [direction.name.lower() for direction in study.directions]
    reference = trivial_reference(objectives, study.user_attrs.get("context_baselines"))
    metrics = list(dict.fromkeys([*objectives, *(bound.metric for bound in bounds)]))
    servable = (lambda record: True) if evaluate is None else (
        lambda record: record.conditioned is None or record.conditioned.in_trained_range)
    candidates = candidates_of(study.get_trials(deepcopy=False), metrics, servable)
    if not candidates:
        raise SweepError(f"study {study.study_name!r} has no COMPLETE trials to pick from yet; run it first")
    if evaluate is None:
        return choose(candidates, objectives, directions, reference, bounds, confidence)
    on_front = pareto_front([[c.mean(name) for name in objectives] for c in candidates], directions)
    front = sorted((c for c, on in zip(candidates, on_front) if on and min(c.pair) > 0),
                   key=lambda c: [c.mean(name) for name in objectives])  # in order along the front
    curve = along(list(dict.fromkeys(c.pair for c in front)), BETWEEN)
    stored = {c.pair for c in candidates}
    searched = candidates + [Candidate(pair, evaluate(pair)) for pair in curve if pair not in stored]
    first = choose(searched, objectives, directions, reference, bounds, confidence)
    if first.chosen.pair not in curve:
        return first  # a pair with a zero weight: off the curve
    place = curve.index(first.chosen.pair)
    sides = curve[max(place - 1, 0):place + 2]
    searched += [Candidate(pair, evaluate(pair)) for pair in along(sides, REFINE) if pair not in sides]
    return choose(searched, objectives, directions, reference, bounds, confidence)


def along(pairs: list[tuple[float, float]], between: int) -> list[tuple[float, float]]:
    """`pairs` in their order with `between` more in each gap between consecutive ones, each weight log-spaced."""
    curve = pairs[:1]
    for start, end in zip(pairs, pairs[1:]):
        for step in range(1, between + 1):
            share = step / (between + 1)
            rating, retrieval = (between_logs(a, b, share) for a, b in zip(start, end))
            curve.append((rating, retrieval))
        curve.append(end)
    return curve


def pick_stored(study, bounds: tuple[Bound, ...], confidence: float, data_dir) -> Choice:
    """`pick_study` with what the study's kind evaluates beyond its trials (sweep.kinds): nothing for
    a per-pair study, its conditioned model along the front for a conditioned one (`data_dir`: its data)."""
    from sweep.kinds import for_study

    return pick_study(study, bounds, confidence, for_study(study.user_attrs).pick_evaluator(study, data_dir))


# --- what the command prints ---------------------------------------------------------------------------------


def _span(interval: tuple[float, float]) -> str:
    return f"[{interval[0]:.4f}, {interval[1]:.4f}]"


def describe(choice: Choice) -> list[str]:
    """The pick in a few lines: what, how sure, and whether another candidate is as good."""
    chosen, share = choice.chosen, f"{choice.confidence:.0%}"
    metrics = [name for name in choice.intervals if name != "box"]
    values = ", ".join(f"{name} {chosen.mean(name):.4f} {_span(choice.intervals[name])}" for name in metrics)
    seeds = "one seed: its probability is 0 or 1 and its intervals are points" if chosen.seeds == 1 \
        else f"{chosen.seeds} seeds; intervals: the central {share} of their bootstrap means"
    where = "" if chosen.number is None else f" weights ({chosen.pair[0]:.4g}, {chosen.pair[1]:.4g});"
    lines = [f"{chosen.label}:{where} {values} ({seeds})"]
    if chosen.test_means:
        lines.append("chosen on the validation slice; on the test split (reported, not chosen on): "
                     + ", ".join(f"{name} {value:.4f}" for name, value in chosen.test_means.items()))
    if chosen.number is None:
        lines.append(f"the conditioned model at this pair, evaluated for the pick (serve it with "
                     f"--weights {chosen.pair[0]:.6g},{chosen.pair[1]:.6g})")
    bounds = ",".join(map(str, choice.bounds))
    if choice.bounds:
        best = "the knee (the largest box beyond the bounds)" if choice.measure == "box" else f"the best {choice.measure}"
        lines.append(f"meets {bounds} with probability {choice.probability:.2f} (at least {choice.confidence:g} asked; "
                     f"{choice.qualifying} of {choice.candidates} candidates do): {best} among them")
    else:
        lines.append("the knee: the front point that dominates the largest box beyond the trivial baselines "
                     f"({choice.candidates} candidates, no bound given)")
    measure = choice.measure if choice.measure != "box" else \
        "box beyond the bounds" if choice.bounds else "box beyond the trivial baselines"
    if choice.rival is not None and choice.rival_interval is not None:
        more = f" (and {choice.overlapping - 1} more)" if choice.overlapping > 1 else ""
        lines.append(f"undetermined between {chosen.label} and {choice.rival.label}{more}: their intervals of the "
                     f"{measure} overlap ({_span(choice.intervals[choice.measure])} and {_span(choice.rival_interval)})")
    elif choice.qualifying > 1:
        others = "qualifying candidate's" if choice.bounds else "front point's"
        lines.append(f"determined: its interval of the {measure}, {_span(choice.intervals[choice.measure])}, "
                     f"overlaps no other {others}")
    return lines


def headline(choice: Choice) -> str:
    """The pick in one line, for commands that serve it (`--pick`)."""
    chosen = choice.chosen
    sure = "" if choice.probability is None else f", probability {choice.probability:.2f} over {chosen.seeds} seed(s)"
    doubt = "" if choice.rival is None else f"; undetermined between {chosen.label} and {choice.rival.label}"
    return f"{chosen.label}, weights ({chosen.pair[0]:.4g}, {chosen.pair[1]:.4g}){sure}{doubt}"


def as_json(choice: Choice) -> dict:
    """The pick as data (`sweep pick --json`)."""
    chosen, rival = choice.chosen, choice.rival
    return {
        "trial": chosen.number, "weights": list(chosen.pair), "evaluated_for_pick": chosen.number is None,
        "seeds": chosen.seeds, "rule": "bounds" if choice.bounds else "knee", "bounds": [str(b) for b in choice.bounds],
        "confidence": choice.confidence, "probability": choice.probability, "measure": choice.measure,
        "means": {name: chosen.mean(name) for name in choice.intervals if name != "box"},
        "test_means": chosen.test_means,
        "intervals": {name: list(interval) for name, interval in choice.intervals.items()},
        "qualifying": choice.qualifying, "candidates": choice.candidates, "undetermined": rival is not None,
        "rival": None if rival is None else {"trial": rival.number, "weights": list(rival.pair),
                                             "interval": list(choice.rival_interval or ())},
        "overlapping": choice.overlapping,
    }


def between_logs(a: float, b: float, share: float) -> float:
    """The weight `share` of the way from a to b in log space, never outside [a, b] (a range's end stays
    inside the range the model was trained on, though exp(log(x)) need not be x)."""
    return min(max(math.exp((1 - share) * math.log(a) + share * math.log(b)), min(a, b)), max(a, b))
