"""The trial record: what a trial is, stored as Optuna attributes and read back unchanged."""

from __future__ import annotations

import math

import pytest

from sweep.config import METRICS
from sweep.record import (
    CONDITIONED, METHOD, PAIR, ConditionedOrigin, EpochLosses, Provenance, Run, Seconds, Summary, TrialRecord, WeightingTrace,
    counts_for_front, kind_of,
)


def run_with(seconds: float, seed: int = 0, **metrics) -> Run:
    return Run(seed, {name: metrics.get(name, 0.5) for name in METRICS}, Seconds(total=seconds))


def test_summary_takes_each_metrics_mean_and_sample_std_and_the_objectives_values():
    summary = Summary.of([run_with(2.0, rmse=1.0, top_100_accuracy=0.2), run_with(4.0, rmse=3.0, top_100_accuracy=0.4)])
    assert summary.metrics["rmse"] == 2.0 and summary.metrics_std["rmse"] == pytest.approx(math.sqrt(2))
    assert summary.metrics["top_100_accuracy"] == pytest.approx(0.3)
    assert summary.metrics_std["top_100_accuracy"] == pytest.approx(math.sqrt(0.02))
    assert summary.values(("top_100_accuracy", "rmse")) == [pytest.approx(0.3), 2.0] and summary.seconds == 3.0
    assert Summary.of([run_with(1.0, rmse=1.5)]).metrics_std["rmse"] == 0.0  # one seed: no spread


def full_record(kind: str) -> TrialRecord:
    epochs = (EpochLosses(3.0, 1.0, 2.0, 0.5, (0.7, 0.2) if kind == METHOD else None),)
    runs = (Run(11, {name: 0.25 for name in METRICS}, Seconds(0.1, 0.2, 0.3, 0.6), epochs,
                WeightingTrace("dwa", [[1.0, 1.0], [0.7, 0.2]]) if kind == METHOD else None),
            Run(12, {name: 0.35 for name in METRICS}, Seconds(0.1, 0.2, 0.3, 0.8), epochs))
    return TrialRecord(kind, 2.5, 0.125, seeds=(11, 12), runs=runs, summary=Summary.of(list(runs)),
                       provenance=Provenance("sha256:abc", "sha256:def", {"optuna": "4.9"}, "host:1"),
                       model_key="artifact-1", tutorial_pair="joint" if kind == PAIR else None,
                       method="dwa" if kind == METHOD else None, origin_trial=4,
                       conditioned=ConditionedOrigin("grid", True, ("a", "b")) if kind == CONDITIONED else None)


@pytest.mark.parametrize("kind", [PAIR, METHOD, CONDITIONED])
def test_a_record_survives_its_round_trip_through_attributes(kind):
    record = full_record(kind)
    assert TrialRecord.from_attrs(record.to_attrs()) == record


def test_attributes_keep_the_names_older_storages_and_the_dashboard_read():
    attrs = full_record(PAIR).to_attrs()
    for name in ("rating_weight", "retrieval_weight", "seeds", "runs", "metrics", "metrics_std", "seconds",
                 "spec_hash", "split_fingerprint", "versions", "worker", "model_artifact", "tutorial_pair",
                 "origin_trial"):
        assert name in attrs
    assert attrs["runs"][0]["seconds"] == {"build": 0.1, "train": 0.2, "evaluate": 0.3, "total": 0.6}


@pytest.mark.parametrize("attrs, kind", [
    ({}, PAIR),                                     # a sampled pair from before kinds were stored
    ({"tutorial_pair": "joint"}, PAIR),
    ({"method": "uncertainty"}, METHOD),            # an adaptive method's trial
    ({"method": "conditioned"}, CONDITIONED),       # a conditioned pair from before kinds were stored
    ({"kind": CONDITIONED}, CONDITIONED),
])
def test_a_trials_kind_is_read_from_new_and_old_attributes(attrs, kind):
    assert kind_of(attrs) == kind


@pytest.mark.parametrize("state, attrs, counts", [
    ("COMPLETE", {"kind": PAIR}, True),
    ("COMPLETE", {"kind": CONDITIONED}, True),
    ("COMPLETE", {"method": "conditioned"}, True),
    ("COMPLETE", {"method": "gradnorm"}, False),    # judged against the front, never on it
    ("FAIL", {"kind": PAIR}, False),
    ("RUNNING", {}, False),
])
def test_only_complete_trials_of_fixed_weights_count_for_the_front(state, attrs, counts):
    assert counts_for_front(state, attrs) is counts
