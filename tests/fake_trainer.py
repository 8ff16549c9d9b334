"""A trainer with the real interface whose metrics are a known function of the weights.

Used through $SWEEP_TRAINER=tests.fake_trainer:train_and_evaluate so sweeps run in
seconds. Knobs (environment): SWEEP_FAKE_DELAY seconds per call; SWEEP_FAKE_NONFINITE_CALL=k
makes this process's k-th call (1-based) fail with a non-finite loss; SWEEP_FAKE_STARTED_DIR
gets a file per call, so a test knows a trial is running before it kills the worker;
SWEEP_FAKE_KEEP_MODEL=1 returns a small stand-in model to keep, so artifact storage runs too.

Watched (`on_epoch`), each epoch's metrics are `expected_curve`'s: the final metrics, less
far along the smaller the weights' sum, so a small-scale pair trails on both objectives early
and pruning has something to stop. With a validation slice (data.validation set), the metrics
are the validation slice's and `test_metrics` are `expected_test_metrics`: a known offset.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from sweep.record import EpochLosses, Seconds, TrainResult, WeightingTrace
from sweep.trial import TrialFailed

_calls: dict = {"count": 0, "trained": []}  # how many calls, and each one's (rating, retrieval, train_config)


def reset() -> None:
    """Forget the calls so far (tests that run the CLI in-process start each run as a new process would)."""
    _calls["count"] = 0
    _calls["trained"] = []


def expected_metrics(rating_weight: float, retrieval_weight: float) -> dict:
    """f(params): more retrieval weight relative to rating weight buys top-k and costs RMSE."""
    tilt = math.log10((retrieval_weight + 1e-9) / (rating_weight + 1e-9))
    share = 1.0 / (1.0 + math.exp(-(tilt + 3.0)))
    metrics = {f"top_{k}_accuracy": min(1.0, (0.06 + 0.18 * share) * k / 100) for k in (1, 5, 10, 50, 100)}
    metrics["rmse"] = 1.11 + 2.6 * share**6
    return metrics


def expected_curve(rating_weight: float, retrieval_weight: float, epochs: int) -> list[dict]:
    """Metrics after each epoch: top-k short of its final value, and RMSE above it, by `behind` =
    (epochs - e) / epochs / (1 + rating_weight + retrieval_weight): nothing behind at the last epoch."""
    final = expected_metrics(rating_weight, retrieval_weight)
    curve = []
    for epoch in range(1, epochs + 1):
        behind = (epochs - epoch) / epochs / (1.0 + rating_weight + retrieval_weight)
        curve.append({name: value + behind if name == "rmse" else value * (1.0 - behind) for name, value in final.items()})
    return curve


def expected_test_metrics(rating_weight: float, retrieval_weight: float) -> dict:
    """The test split's metrics in the fake world with a validation slice: RMSE 0.05 higher, top-k 0.01 lower."""
    return {name: value + 0.05 if name == "rmse" else value - 0.01
            for name, value in expected_metrics(rating_weight, retrieval_weight).items()}


# Where each adaptive method's weights end in the fake world: its metrics are those of this pair.
METHOD_WEIGHTS = {"uncertainty": (0.4, 0.5), "dwa": (1.1, 0.9), "dwa-epochs": (0.9, 1.1), "gradnorm": (1.9, 0.1),
                  "normalized": (0.07, 1.4e-5)}


def train_and_evaluate(rating_weight, retrieval_weight, seed, model_config, train_config, data, keep_model=False,
                       method=None, on_epoch=None):
    _calls["count"] += 1
    _calls["trained"].append((rating_weight, retrieval_weight, train_config))
    if method is not None:
        rating_weight, retrieval_weight = METHOD_WEIGHTS[method]
    started_dir = os.environ.get("SWEEP_FAKE_STARTED_DIR")
    if started_dir:
        Path(started_dir, f"call-{os.getpid()}-{_calls['count']}").write_text(f"{rating_weight} {retrieval_weight} {seed}")
    time.sleep(float(os.environ.get("SWEEP_FAKE_DELAY", "0")))
    if str(_calls["count"]) == os.environ.get("SWEEP_FAKE_NONFINITE_CALL"):
        raise TrialFailed("non-finite loss", "epoch 1")
    epochs = [EpochLosses(total_loss=1.0, rating_loss=1.0, retrieval_loss=0.0, seconds=0.0)] * train_config.epochs
    if on_epoch is not None:
        curve = expected_curve(rating_weight, retrieval_weight, train_config.epochs)
        for number, metrics in enumerate(curve, start=1):
            on_epoch(number, metrics)
        epochs = [replace(epoch, metrics=metrics) for epoch, metrics in zip(epochs, curve)]
    weighting = None
    if method is not None:  # from (1, 1) toward the method's pair, geometrically, one step per epoch, ending there
        steps = [[float(w ** ((i + 1) / train_config.epochs)) for w in METHOD_WEIGHTS[method]]
                 for i in range(train_config.epochs)]
        weighting = WeightingTrace(method, steps)
    model = None
    if keep_model and os.environ.get("SWEEP_FAKE_KEEP_MODEL"):
        model = StandInModel(rating_weight, retrieval_weight)
    test_metrics = None if getattr(data, "validation", None) is None else expected_test_metrics(rating_weight,
                                                                                                 retrieval_weight)
    return TrainResult(expected_metrics(rating_weight, retrieval_weight), epochs, Seconds(), model, weighting,
                       test_metrics)


class StandInModel:
    """What pack_model needs of a model: its weights (here a known function of the loss weights)."""

    def __init__(self, rating_weight: float, retrieval_weight: float):
        self.weights = [np.full((64, 32), rating_weight, dtype=np.float32), np.array([retrieval_weight])]

    def get_weights(self):
        return self.weights
