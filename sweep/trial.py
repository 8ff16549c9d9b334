"""Train and evaluate one (rating_weight, retrieval_weight) pair for one seed: the `Trainer` a study calls.

Knows nothing of Optuna: the sweep calls `train_and_evaluate` (a `Trainer`) with the
`PreparedData` its worker built once (TensorFlow, the data and the split are loaded
once per process, not once per trial). It builds the seed's model (sweep.model), trains it
at a fixed pair on the worker's traced step, or with an adaptive weighting method
(sweep.training), then evaluates it exactly (sweep.evaluation).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Protocol

from sweep import import_tensorflow
from sweep.config import ModelConfig, TrainConfig
from sweep.data.prepared import PreparedData
from sweep.evaluation import evaluate
from sweep.record import Seconds, TrainResult, WeightingTrace
from sweep.training import OptimizerSettings, TrialFailed, traced_training, train_adaptive, training_batches


class Trainer(Protocol):
    """The contract between a study and what trains one weight pair (`train_and_evaluate` below).

    Called with the two loss weights, one training seed, the model and training configs
    and the worker's prepared split; returns a `record.TrainResult`: every config.METRICS
    value, each epoch's losses, the seconds spent, and the trained Keras model when
    keep_model is true. With `method` (one of config.METHODS) the weights adapt during
    training instead (the two given are ignored) and the result carries the weights each
    step used (`record.WeightingTrace`). An unusable result raises TrialFailed
    (sweep.training's, where a loss first turns non-finite); any other exception fails the trial as a crash. A trainer knows
    nothing of Optuna. With `on_epoch`, every epoch's metrics on `data.objective_split` are measured,
    stored in its EpochLosses (the learning curve) and passed to `on_epoch`, which may raise to stop
    the training (sweep.pruning). The metrics are on `data.objective_split`; when that is the
    validation slice, `test_metrics` are the test split's. The study records which trainer made it (config.run.DEFAULT_TRAINER
    or $SWEEP_TRAINER), so numbers from a stand-in are never taken for real ones.
    """

    def __call__(self, rating_weight: float, retrieval_weight: float, seed: int, model_config: ModelConfig,
                 train_config: TrainConfig, data: PreparedData, keep_model: bool = False,
                 method: str | None = None, on_epoch: EpochWatcher | None = None) -> TrainResult: ...


# Called after each epoch (1-based) with the model's metrics then on the objective split; may raise to stop training.
EpochWatcher = Callable[[int, dict], None]


def train_and_evaluate(
    rating_weight: float,
    retrieval_weight: float,
    seed: int,
    model_config: ModelConfig,
    train_config: TrainConfig,
    data: PreparedData,
    keep_model: bool = False,
    method: str | None = None,
    on_epoch: EpochWatcher | None = None,
) -> TrainResult:
    """Metrics, per-epoch losses (and, watched, per-epoch metrics) and wall times of one trained model;
    raises TrialFailed. Watching costs one evaluation of the objective split per epoch but the last,
    whose evaluation is the trial's own."""
    tf = import_tensorflow()
    from sweep.model import build_model
    from sweep.weighting import make_weighting

    started = time.perf_counter()
    weighting = None if method is None else make_weighting(method, train_config.learning_rate)
    if weighting is not None:
        rating_weight = retrieval_weight = 1.0  # both tasks computed; the method sets each step's weights
    sizes = (len(data.user_vocabulary), len(data.title_vocabulary))
    optimizer = OptimizerSettings.of(train_config)
    if weighting is None:  # before the seed is set: building the worker's traced model draws numbers of its own
        traced = traced_training(model_config, *sizes, rating_weight != 0.0, retrieval_weight != 0.0, optimizer,
                                 data.partly_rated)
    tf.keras.utils.set_random_seed(seed)
    # the seed's initial weights
    model = build_model(model_config, *sizes, rating_weight, retrieval_weight, data.partly_rated)
    build_seconds = time.perf_counter() - started

    batches = training_batches(data.train, train_config, seed)
    candidates = data.candidates[train_config.candidates]
    curve: list[dict] = []

    def watch(epoch: int, trained) -> None:
        assert on_epoch is not None  # watched only then
        if epoch + 1 < train_config.epochs:  # the last epoch's metrics are the trial's, measured below
            curve.append(evaluate(trained, data.objective_split, candidates, train_config.eval_batch_size))
            on_epoch(epoch + 1, curve[-1])

    watcher = None if on_epoch is None else watch
    if weighting is None:
        epochs = traced.train(model, rating_weight, retrieval_weight, batches, train_config.epochs, watcher)
    else:
        epochs = train_adaptive(model, optimizer.build(), batches, train_config.epochs, weighting, watcher)
    evaluation_started = time.perf_counter()
    metrics = evaluate(model, data.objective_split, candidates, train_config.eval_batch_size)
    test_metrics = None if data.validation is None else evaluate(model, data.test, candidates,
                                                                 train_config.eval_batch_size)
    evaluate_seconds = time.perf_counter() - evaluation_started
    bad = [name for name, value in {**metrics, **(test_metrics or {})}.items() if not math.isfinite(value)]
    if bad:
        raise TrialFailed("non-finite metric", ", ".join(bad))
    if on_epoch is not None:
        curve.append(metrics)  # the last epoch's: the trial's own
        on_epoch(train_config.epochs, metrics)
        epochs = [replace(epoch, metrics=measured) for epoch, measured in zip(epochs, curve)]
    seconds = Seconds(build=build_seconds, train=sum(epoch.seconds for epoch in epochs), evaluate=evaluate_seconds,
                      total=time.perf_counter() - started)
    trace = None if weighting is None or method is None else WeightingTrace(method, weighting.steps)
    return TrainResult(metrics, epochs, seconds, model if keep_model else None, trace, test_metrics)
