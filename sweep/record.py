"""What a trial is: the one record every writer stores and every reader reads.

A trainer returns a `TrainResult` for one seed; a study keeps each seed's `Run` and their
summary in a `TrialRecord`, stored as Optuna user attributes (`to_attrs` / `from_attrs`, so
optuna-dashboard and old storages read the same names). Three kinds of trial exist:

- "pair": fixed weights, sampled by Optuna or one of the tutorial's pairs;
- "method": an adaptive weighting method (sweep.weighting) whose weights move during training;
  its stored weights are where training ended, and it is judged against the front, never on it;
- "conditioned": a fixed pair evaluated from a conditioned study's models (sweep.conditioned).

A conditioned study's verification trials (`[conditioned] verify`, sweep.verification) are
"pair" trials like any other; `verifies` names the conditioned trial whose pair they trained.

`counts_for_front` is the one rule for which trials form the front; reports, the live
progress, serving and the hypervolume all ask it, or read the table column it fills.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import asdict, dataclass

from sweep.config import METHODS, METRICS

PAIR, METHOD, CONDITIONED = "pair", "method", "conditioned"
KINDS = (PAIR, METHOD, CONDITIONED)
MODEL_ATTR = "model_artifact"  # the trial's stored model (sweep.artifacts)
VERIFIES_ATTR = "verifies"  # a verification trial's conditioned trial (sweep.verification)
# a verification trial trained with the conditioned training's recipe: its epochs, batch_size, learning_rate
# and retrieval_weight_factor (sweep.verification.recipe_attr); absent: [train]'s settings
RECIPE_ATTR = "recipe"


@dataclass(frozen=True)
class Seconds:
    """Wall seconds of one seed's trial: building the model, training, evaluating, and all of it. A
    conditioned study's pair was evaluated with others in one call (sweep.conditioned_study's
    `evaluate_pairs`): its `evaluate` and `total` are that call's seconds divided by the call's pairs."""

    build: float = 0.0
    train: float = 0.0
    evaluate: float = 0.0
    total: float = 0.0


@dataclass(frozen=True)
class EpochLosses:
    """One epoch's batch-size-weighted mean losses; `weights` are the last step's when they adapt;
    `metrics`, the model's after the epoch on the split the objectives come from (the learning curve)."""

    total_loss: float
    rating_loss: float
    retrieval_loss: float
    seconds: float
    weights: tuple[float, float] | None = None
    metrics: dict[str, float] | None = None

    def to_attr(self) -> dict:
        item: dict = {"total_loss": self.total_loss, "rating_loss": self.rating_loss,
                      "retrieval_loss": self.retrieval_loss, "seconds": self.seconds}
        if self.weights is not None:
            item["weights"] = list(self.weights)
        if self.metrics is not None:
            item["metrics"] = dict(self.metrics)
        return item

    @classmethod
    def from_attr(cls, item: dict) -> EpochLosses:
        weights, metrics = item.get("weights"), item.get("metrics")
        return cls(float(item["total_loss"]), float(item["rating_loss"]), float(item["retrieval_loss"]),
                   float(item.get("seconds", 0.0)), None if weights is None else (float(weights[0]), float(weights[1])),
                   None if metrics is None else {name: float(value) for name, value in metrics.items()})


@dataclass(frozen=True)
class WeightingTrace:
    """An adaptive method's weights: the [rating, retrieval] pair each step used, and where they ended."""

    method: str
    steps: list[list[float]]

    @property
    def final(self) -> list[float]:
        return self.steps[-1]

    def to_attr(self) -> dict:
        return {"method": self.method, "steps": self.steps, "final": self.final}

    @classmethod
    def from_attr(cls, item: dict) -> WeightingTrace:
        return cls(item["method"], [list(step) for step in item["steps"]])


@dataclass
class TrainResult:
    """What a trainer (sweep.trial.Trainer) returns for one weight pair and seed: `metrics` on the split
    the objectives come from (the validation slice when there is one), `test_metrics` only then."""

    metrics: dict[str, float]
    epochs: list[EpochLosses]
    seconds: Seconds
    model: object | None = None  # the trained Keras model, when asked to keep it
    weighting: WeightingTrace | None = None  # only when an adaptive method set the weights
    test_metrics: dict[str, float] | None = None  # reported, never chosen on; None: `metrics` are the test split's


@dataclass(frozen=True)
class Run:
    """One seed of a trial as stored."""

    seed: int
    metrics: dict[str, float]
    seconds: Seconds
    epochs: tuple[EpochLosses, ...] = ()
    weighting: WeightingTrace | None = None
    test_metrics: dict[str, float] | None = None  # with a validation slice: the test split's, only reported

    @classmethod
    def of(cls, seed: int, result: TrainResult) -> Run:
        return cls(seed, dict(result.metrics), result.seconds, tuple(result.epochs), result.weighting,
                   None if result.test_metrics is None else dict(result.test_metrics))

    def to_attr(self) -> dict:
        item = {"seed": self.seed, "metrics": self.metrics, "seconds": asdict(self.seconds),
                "epochs": [epoch.to_attr() for epoch in self.epochs]}
        if self.weighting is not None:
            item["weighting"] = self.weighting.to_attr()
        if self.test_metrics is not None:
            item["test_metrics"] = self.test_metrics
        return item

    @classmethod
    def from_attr(cls, item: dict) -> Run:
        seconds = item.get("seconds", {})
        return cls(int(item.get("seed", -1)), {k: float(v) for k, v in item["metrics"].items()},
                   Seconds(**{k: float(seconds.get(k, 0.0)) for k in ("build", "train", "evaluate", "total")}),
                   tuple(EpochLosses.from_attr(epoch) for epoch in item.get("epochs", [])),
                   WeightingTrace.from_attr(item["weighting"]) if "weighting" in item else None,
                   {k: float(v) for k, v in item["test_metrics"].items()} if "test_metrics" in item else None)


@dataclass(frozen=True)
class Provenance:
    """What produced a trial's numbers: the spec, the split, the packages and the worker."""

    spec_hash: str
    split_fingerprint: str
    versions: dict
    worker: str

    def to_attrs(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Summary:
    """A trial's seeds summarised: the mean and standard deviation of every metric, mean seconds; with a
    validation slice, the test split's means (`test_metrics`) beside those the objectives were chosen on."""

    metrics: dict[str, float]
    metrics_std: dict[str, float]
    seconds: float
    test_metrics: dict[str, float] | None = None

    @classmethod
    def of(cls, runs: list[Run]) -> Summary:
        means = {name: statistics.fmean(run.metrics[name] for run in runs) for name in METRICS}
        stds = {name: statistics.stdev([run.metrics[name] for run in runs]) if len(runs) > 1 else 0.0
                for name in METRICS}
        test = None
        if all(run.test_metrics is not None for run in runs):
            test = {name: statistics.fmean(run.test_metrics[name] for run in runs if run.test_metrics) for name in METRICS}
        return cls(means, stds, statistics.fmean(run.seconds.total for run in runs), test)

    def values(self, objectives) -> list[float]:
        """The objective values Optuna stores, in the study's objective order."""
        return [self.metrics[name] for name in objectives]


@dataclass(frozen=True)
class ConditionedOrigin:
    """Where a conditioned trial's numbers come from: what planned its pair (the tutorial, another
    study's pairs, the grid), whether the pair lies inside the ranges the models were trained on,
    and the stored models (one per seed) it was evaluated from."""

    source: str
    in_trained_range: bool
    trainings: tuple[str, ...]

    def to_attrs(self) -> dict:
        return {"source": self.source, "in_trained_range": self.in_trained_range, "trainings": list(self.trainings)}

    @classmethod
    def from_attrs(cls, attrs: dict) -> ConditionedOrigin | None:
        if "trainings" not in attrs:
            return None
        return cls(attrs.get("source", ""), bool(attrs.get("in_trained_range", False)), tuple(attrs["trainings"]))


@dataclass(frozen=True)
class TrialRecord:
    """A trial as the study stores it (see the module docstring for the kinds)."""

    kind: str
    rating_weight: float
    retrieval_weight: float
    seeds: tuple[int, ...] = ()
    runs: tuple[Run, ...] = ()
    summary: Summary | None = None
    provenance: Provenance | None = None
    model_key: str | None = None
    tutorial_pair: str | None = None
    method: str | None = None  # the adaptive method of a "method" trial
    origin_trial: int | None = None  # the trial a retry repeats (its seeds)
    conditioned: ConditionedOrigin | None = None  # a "conditioned" trial's origin
    pruned_epoch: int | None = None  # the epoch after which sweep.pruning stopped it
    prune_reason: str | None = None
    pruned_curve: tuple[dict, ...] = ()  # per-epoch metrics of the seed that was stopped
    verifies: int | None = None  # the conditioned trial whose pair this static trial trained (sweep.verification)

    @property
    def pair(self) -> tuple[float, float]:
        """(rating_weight, retrieval_weight): the trial's pair (an adaptive method's: where its weights ended)."""
        return self.rating_weight, self.retrieval_weight

    def metric(self, name: str) -> float:
        """The mean over seeds of one metric on the split the objectives come from; NaN before a result."""
        return float(self.summary.metrics.get(name, math.nan)) if self.summary else math.nan

    def test_metric(self, name: str) -> float:
        """The mean over seeds of one metric on the test split: the one reported (`metric` when chosen on test)."""
        if self.summary is None or self.summary.test_metrics is None:
            return self.metric(name)
        return float(self.summary.test_metrics.get(name, math.nan))

    def curve(self, name: str) -> list[float]:
        """A metric after each epoch, the mean over the seeds that reached it (shorter when pruned)."""
        curves = [[epoch.metrics[name] for epoch in run.epochs if epoch.metrics and name in epoch.metrics]
                  for run in self.runs]
        curves.append([metrics[name] for metrics in self.pruned_curve if name in metrics])
        length = max((len(curve) for curve in curves), default=0)
        return [statistics.fmean(curve[index] for curve in curves if len(curve) > index) for index in range(length)]

    def to_attrs(self) -> dict:
        """The Optuna user attributes of this record (names kept from older storages)."""
        attrs: dict = {"kind": self.kind, "rating_weight": self.rating_weight, "retrieval_weight": self.retrieval_weight}
        if self.seeds:
            attrs["seeds"] = list(self.seeds)
        if self.runs:
            attrs["runs"] = [run.to_attr() for run in self.runs]
        if self.summary is not None:
            attrs.update(metrics=self.summary.metrics, metrics_std=self.summary.metrics_std,
                         seconds=self.summary.seconds)
            if self.summary.test_metrics is not None:
                attrs["test_metrics"] = self.summary.test_metrics
        if self.provenance is not None:
            attrs.update(self.provenance.to_attrs())
        if self.model_key is not None:
            attrs[MODEL_ATTR] = self.model_key
        if self.tutorial_pair is not None:
            attrs["tutorial_pair"] = self.tutorial_pair
        if self.method is not None:
            attrs["method"] = self.method
        if self.origin_trial is not None:
            attrs["origin_trial"] = self.origin_trial
        if self.conditioned is not None:
            attrs.update(self.conditioned.to_attrs())
        if self.pruned_epoch is not None:
            attrs.update(pruned_epoch=self.pruned_epoch, prune_reason=self.prune_reason or "",
                         pruned_curve=[dict(metrics) for metrics in self.pruned_curve])
        if self.verifies is not None:
            attrs[VERIFIES_ATTR] = self.verifies
        return attrs

    @classmethod
    def from_attrs(cls, attrs: dict) -> TrialRecord:
        """The record of stored attributes, including storages written before `kind` was stored."""
        runs = tuple(Run.from_attr(item) for item in attrs.get("runs", []))
        summary = None
        if "metrics" in attrs:
            summary = Summary(dict(attrs["metrics"]), dict(attrs.get("metrics_std", {})),
                              float(attrs.get("seconds", math.nan)),
                              dict(attrs["test_metrics"]) if "test_metrics" in attrs else None)
        provenance = None
        if "spec_hash" in attrs:
            provenance = Provenance(attrs["spec_hash"], attrs.get("split_fingerprint", ""), attrs.get("versions", {}),
                                    attrs.get("worker", ""))
        method = attrs.get("method") if attrs.get("method") in METHODS else None
        return cls(
            kind=kind_of(attrs),
            rating_weight=float(attrs.get("rating_weight", math.nan)),
            retrieval_weight=float(attrs.get("retrieval_weight", math.nan)),
            seeds=tuple(attrs.get("seeds", ())),
            runs=runs,
            summary=summary,
            provenance=provenance,
            model_key=attrs.get(MODEL_ATTR),
            tutorial_pair=attrs.get("tutorial_pair"),
            method=method,
            origin_trial=attrs.get("origin_trial"),
            conditioned=ConditionedOrigin.from_attrs(attrs),
            pruned_epoch=attrs.get("pruned_epoch"),
            prune_reason=attrs.get("prune_reason"),
            pruned_curve=tuple(dict(metrics) for metrics in attrs.get("pruned_curve", ())),
            verifies=attrs.get(VERIFIES_ATTR),
        )


def kind_of(attrs: dict) -> str:
    """A stored trial's kind: its `kind` attribute, or for older storages what its `method` said."""
    if attrs.get("kind") in KINDS:
        return attrs["kind"]
    method = attrs.get("method")
    if method == CONDITIONED:
        return CONDITIONED
    return METHOD if method else PAIR


def counts_for_front(state: str, attrs: dict) -> bool:
    """Whether a trial is one of the points the front is made of: a COMPLETE trial of fixed weights
    (sampled, the tutorial's, or a pair of a conditioned model). An adaptive method's trial is
    judged against that front, never part of it: its weights moved during training."""
    return state == "COMPLETE" and kind_of(attrs) != METHOD
