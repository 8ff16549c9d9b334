"""When a sweep stops before its target: once its front stops growing (`[study] patience`, `min_gain`).

The measure of growth is the hypervolume of the study's objectives, measured from the trivial
baselines (sweep.pareto.trivial_reference), after each COMPLETE trial that counts for the
front (sweep.record), in the order they completed. A trial *stalls* when the hypervolume
before it is positive and it grew by less than `min_gain` of that (relative); while no trial
beats doing nothing on every objective there is nothing to grow, so no trial counts. The
study stops once `patience` trials in a row stalled.

The stop is recorded on the study (`Stop`, user attribute "stopped") with the target of the
run that stopped: running again with that target (or a lower one) does nothing, a larger
target continues, and the stall count of the continued run starts after the recorded stop.
`patience` and `min_gain` are run controls like `n_trials`, outside the spec hash.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sweep.pareto import hypervolume, trivial_reference
from sweep.record import TrialRecord, counts_for_front

STOP_ATTR = "stopped"


@dataclass(frozen=True)
class Stop:
    """Why and where a study stopped before its target."""

    complete: int  # front trials complete when it stopped: a continued run counts stalls after them
    n_trials: int  # the target of the run that stopped: a later run with a larger one continues
    patience: int
    min_gain: float
    hypervolume: float
    last_trial: int
    reason: str = "patience"

    def to_attr(self) -> dict:
        return asdict(self)

    @classmethod
    def from_attr(cls, item: dict | None) -> Stop | None:
        return None if not item else cls(**{key: item[key] for key in cls.__dataclass_fields__ if key in item})

    def describe(self) -> str:
        return (f"the front stopped growing: the last {self.patience} complete trials each added less than "
                f"{100 * self.min_gain:.3g} % to the hypervolume ({self.hypervolume:.4g} after trial {self.last_trial}; "
                f"{self.complete} trials count for the front)")


def growth(trials, objectives, directions, reference) -> tuple[list[int], list[float]]:
    """The numbers of the trials that count for the front, in the order they completed, and the
    hypervolume of the objectives' means after each."""
    counted = sorted((t for t in trials if counts_for_front(t.state.name, t.user_attrs)),
                     key=lambda t: (t.datetime_complete is None, t.datetime_complete, t.number))
    points, volumes = [], []
    for trial in counted:
        record = TrialRecord.from_attrs(trial.user_attrs)
        points.append([record.metric(name) for name in objectives])
        volumes.append(hypervolume(points, directions, reference))
    return [t.number for t in counted], volumes


def stalled(volumes: list[float], min_gain: float, start: int = 0) -> int:
    """How many trials in a row, at the end of `volumes` (the hypervolume after each trial) and from
    position `start` on, grew it by less than `min_gain` of what it was before them."""
    count = 0
    for index in range(start, len(volumes)):
        before = volumes[index - 1] if index else 0.0
        count = count + 1 if before > 0 and volumes[index] - before < min_gain * before else 0
    return count


def recorded_stop(study_attrs: dict, n_trials: int) -> Stop | None:
    """The study's recorded stop, if it holds for a run with this target (one no larger than the stop's)."""
    stop = Stop.from_attr(study_attrs.get(STOP_ATTR))
    return stop if stop is not None and n_trials <= stop.n_trials else None


def check(study, settings, n_trials: int) -> Stop | None:
    """The stop that ends this run of a study (`settings`: its spec's StudySettings): one already
    recorded for this target, or, with patience set, one found now and recorded. None: carry on."""
    attrs = study.user_attrs
    stop = recorded_stop(attrs, n_trials)
    if stop is not None or settings.patience is None:
        return stop
    previous = Stop.from_attr(attrs.get(STOP_ATTR))  # a stop at a smaller target: count after it
    reference = trivial_reference(settings.objectives, attrs.get("context_baselines"))
    numbers, volumes = growth(study.get_trials(deepcopy=False), settings.objectives, settings.directions, reference)
    if stalled(volumes, settings.min_gain, previous.complete if previous else 0) < settings.patience:
        return None
    stop = Stop(len(volumes), n_trials, settings.patience, settings.min_gain, volumes[-1], numbers[-1])
    study.set_user_attr(STOP_ATTR, stop.to_attr())
    return stop
