"""Train and evaluate one (rating_weight, retrieval_weight) pair for one seed.

Knows nothing of Optuna: the sweep calls `train_and_evaluate` (a `Trainer`) with the
`PreparedData` its worker built once (TensorFlow, the data and the split are loaded
once per process, not once per trial). Metrics are computed only at evaluation, exactly:

- top-k accuracy: the share of test (user, title) pairs whose true title scores at
  least as high as the k-th best candidate, i.e. fewer than k candidates score strictly
  higher. This is TFRS's FactorizedTopK (tf.math.in_top_k counts ties as hits), with
  the positive score computed the same way (sum of the elementwise product).
- RMSE over the whole test split.
"""

from __future__ import annotations

import functools
import math
import time
from typing import Protocol

import numpy as np

from sweep import SweepError, import_tensorflow
from sweep.config import TOP_K, ModelConfig, TrainConfig
from sweep.data.prepared import PreparedData
from sweep.record import EpochLosses, Seconds, TrainResult, WeightingTrace


class TrialFailed(SweepError):
    """The trial ran but its result is unusable (e.g. a non-finite loss); `reason` is short."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}{': ' + detail if detail else ''}")
        self.reason = reason


class Trainer(Protocol):
    """The contract between a study and what trains one weight pair (`train_and_evaluate` below).

    Called with the two loss weights, one training seed, the model and training configs
    and the worker's prepared split; returns a `record.TrainResult`: every config.METRICS
    value, each epoch's losses, the seconds spent, and the trained Keras model when
    keep_model is true. With `method` (one of config.METHODS) the weights adapt during
    training instead (the two given are ignored) and the result carries the weights each
    step used (`record.WeightingTrace`). An unusable result
    raises TrialFailed; any other exception fails the trial as a crash. A trainer knows
    nothing of Optuna. The study records which trainer made it (config.run.DEFAULT_TRAINER
    or $SWEEP_TRAINER), so numbers from a stand-in are never taken for real ones.
    """

    def __call__(self, rating_weight: float, retrieval_weight: float, seed: int, model_config: ModelConfig,
                 train_config: TrainConfig, data: PreparedData, keep_model: bool = False,
                 method: str | None = None) -> TrainResult: ...


def train_and_evaluate(
    rating_weight: float,
    retrieval_weight: float,
    seed: int,
    model_config: ModelConfig,
    train_config: TrainConfig,
    data: PreparedData,
    keep_model: bool = False,
    method: str | None = None,
) -> TrainResult:
    """Metrics, per-epoch losses and wall times of one trained model; raises TrialFailed."""
    tf = import_tensorflow()
    from sweep.model import build_model
    from sweep.weighting import make_weighting

    started = time.perf_counter()
    weighting = None if method is None else make_weighting(method, train_config.learning_rate)
    if weighting is not None:
        rating_weight = retrieval_weight = 1.0  # both tasks computed; the method sets each step's weights
    sizes = (len(data.user_vocabulary), len(data.title_vocabulary))
    if weighting is None:  # before the seed is set: building the worker's traced model draws numbers of its own
        traced = traced_training(model_config, *sizes, rating_weight != 0.0, retrieval_weight != 0.0,
                                 train_config.learning_rate)
    tf.keras.utils.set_random_seed(seed)
    model = build_model(model_config, *sizes, rating_weight, retrieval_weight)  # the seed's initial weights
    build_seconds = time.perf_counter() - started

    if weighting is None:
        traced.start(model, rating_weight, retrieval_weight)
        epochs = run_epochs(traced.step, _batches(data.train, train_config, seed), train_config.epochs)
        traced.copy_trained_weights_to(model)
    else:
        optimizer = tf.keras.optimizers.Adagrad(learning_rate=train_config.learning_rate)
        epochs = train_adaptive(model, optimizer, data.train, train_config, seed, weighting)
    evaluation_started = time.perf_counter()
    metrics = evaluate(model, data.test, data.candidates[train_config.candidates], train_config.eval_batch_size)
    evaluate_seconds = time.perf_counter() - evaluation_started
    bad = [name for name, value in metrics.items() if not math.isfinite(value)]
    if bad:
        raise TrialFailed("non-finite metric", ", ".join(bad))
    seconds = Seconds(build=build_seconds, train=sum(epoch.seconds for epoch in epochs), evaluate=evaluate_seconds,
                      total=time.perf_counter() - started)
    trace = None if weighting is None else WeightingTrace(method, weighting.steps)
    return TrainResult(metrics, epochs, seconds, model if keep_model else None, trace)


def training_step(model, optimizer, loss_weights=None):
    """One Adagrad step on a batch of ids, compiled once: returns (total, rating, retrieval) losses.
    The loss weights are the model's, or read from `loss_weights` (a [2] variable) at every call,
    so one traced step serves every pair with the same zero pattern. The benchmarks time this very step."""
    import tensorflow as tf

    signature = [tf.TensorSpec([None], tf.int32), tf.TensorSpec([None], tf.int32), tf.TensorSpec([None], tf.float32)]

    @tf.function(input_signature=signature, autograph=False)
    def step(user_ids, title_ids, ratings):
        with tf.GradientTape() as tape:
            rating_loss, retrieval_loss = model.task_losses(user_ids, title_ids, ratings)
            if loss_weights is None:
                total_loss = model.rating_weight * rating_loss + model.retrieval_weight * retrieval_loss
            else:
                total_loss = loss_weights[0] * rating_loss + loss_weights[1] * retrieval_loss
        variables = model.trainable_variables
        gradients = tape.gradient(total_loss, variables)
        optimizer.apply_gradients(
            [(gradient, variable) for gradient, variable in zip(gradients, variables) if gradient is not None]
        )
        return total_loss, rating_loss, retrieval_loss

    return step


class TracedTraining:
    """A worker's model, optimizer and traced step for one model shape and zero pattern, reused by
    every trial: tracing the step costs about 0.4 s, a tenth of a trial; re-initializing, milliseconds.
    Each trial copies in its own freshly built model's initial weights and resets Adagrad's state,
    so it trains exactly what a new model and optimizer would (tests/test_faithful.py holds it)."""

    def __init__(self, model, optimizer):
        import tensorflow as tf

        self.model, self.optimizer = model, optimizer
        self.loss_weights = tf.Variable([model.rating_weight, model.retrieval_weight], trainable=False)
        self.step = training_step(model, optimizer, self.loss_weights)

    def start(self, initial, rating_weight: float, retrieval_weight: float) -> None:
        import tensorflow as tf

        for variable, value in zip(self.model.trainable_variables, initial.trainable_variables):
            variable.assign(value)
        for variable in self.optimizer.variables:  # iterations -> 0, accumulators -> their initial value
            start = 0 if variable is self.optimizer.iterations else self.optimizer.initial_accumulator_value
            variable.assign(tf.fill(tf.shape(variable), tf.cast(start, variable.dtype)))
        self.loss_weights.assign([rating_weight, retrieval_weight])

    def copy_trained_weights_to(self, model) -> None:
        for variable, value in zip(model.trainable_variables, self.model.trainable_variables):
            variable.assign(value)


@functools.lru_cache(maxsize=8)
def traced_training(model_config: ModelConfig, n_users: int, n_titles: int, rating_on: bool, retrieval_on: bool,
                    learning_rate: float) -> TracedTraining:
    """The worker's TracedTraining for this shape, zero pattern and learning rate (built on first use)."""
    import tensorflow as tf

    from sweep.model import build_model

    model = build_model(model_config, n_users, n_titles, float(rating_on), float(retrieval_on))
    return TracedTraining(model, tf.keras.optimizers.Adagrad(learning_rate=learning_rate))


def train(model, optimizer, train_data: dict, config: TrainConfig, seed: int) -> list[EpochLosses]:
    """Adagrad over the shuffled batches (one order for all epochs, as the tutorial's cache gives)."""
    return run_epochs(training_step(model, optimizer), _batches(train_data, config, seed), config.epochs)


def run_epochs(step, batches: list[tuple], epochs: int) -> list[EpochLosses]:
    """The step over every batch, `epochs` times; per epoch the batch-size-weighted mean losses and seconds."""
    history = []
    for epoch in range(epochs):
        epoch_started = time.perf_counter()
        sums = np.zeros(3)
        rows = 0
        for user_ids, title_ids, ratings in batches:
            losses = np.array([loss.numpy() for loss in step(user_ids, title_ids, ratings)], dtype=np.float64)
            if not np.all(np.isfinite(losses)):
                raise TrialFailed("non-finite loss", f"epoch {epoch + 1}")
            size = int(user_ids.shape[0])
            sums += losses * size  # batch-size-weighted, as Keras averages a loss over an epoch
            rows += size
        total, rating, retrieval = sums / rows
        history.append(EpochLosses(total, rating, retrieval, time.perf_counter() - epoch_started))
    return history


def train_adaptive(model, optimizer, train_data: dict, config: TrainConfig, seed: int, weighting) -> list[EpochLosses]:
    """As `train`, with the loss weights an input of each step, set between steps by `weighting`
    (sweep.weighting) from the losses (and shared-layer gradient norms) it measured."""
    import tensorflow as tf

    batches = _batches(train_data, config, seed)
    signature = [tf.TensorSpec([None], tf.int32), tf.TensorSpec([None], tf.int32), tf.TensorSpec([None], tf.float32)]
    shared = [model.user_embedding.embeddings, model.movie_embedding.embeddings]
    norms_wanted = weighting.needs_gradient_norms

    @tf.function(input_signature=signature + [tf.TensorSpec([2], tf.float32)], autograph=False)
    def step(user_ids, title_ids, ratings, weights):
        with tf.GradientTape(persistent=norms_wanted) as tape:
            rating_loss, retrieval_loss = model.task_losses(user_ids, title_ids, ratings)
            total_loss = weights[0] * rating_loss + weights[1] * retrieval_loss
        variables = model.trainable_variables
        gradients = tape.gradient(total_loss, variables)
        norms = tf.zeros([2])
        if norms_wanted:  # ‖∇_W L_k‖ over both embedding tables, per task
            norms = tf.stack([_global_norm(tape.gradient(loss, shared)) for loss in (rating_loss, retrieval_loss)])
        optimizer.apply_gradients(
            [(gradient, variable) for gradient, variable in zip(gradients, variables) if gradient is not None]
        )
        return total_loss, rating_loss, retrieval_loss, norms

    if weighting.needs_first_losses:
        first = model.task_losses(*batches[0])
        weighting.start(np.array([float(loss.numpy()) for loss in first]))
    history = []
    for epoch in range(config.epochs):
        epoch_started = time.perf_counter()
        sums, rows = np.zeros(3), 0
        for user_ids, title_ids, ratings in batches:
            weighting.record()
            outputs = step(user_ids, title_ids, ratings, tf.constant(weighting.weights, tf.float32))
            losses = np.array([output.numpy() for output in outputs[:3]], dtype=np.float64)
            if not np.all(np.isfinite(losses)):
                raise TrialFailed("non-finite loss", f"epoch {epoch + 1}")
            weighting.after_step(losses[1:], outputs[3].numpy().astype(np.float64))
            size = int(user_ids.shape[0])
            sums += losses * size
            rows += size
        total, rating, retrieval = sums / rows
        weighting.after_epoch(np.array([rating, retrieval]))
        if not np.all(np.isfinite(weighting.weights)):
            raise TrialFailed("non-finite weights", f"{weighting.name}, epoch {epoch + 1}")
        history.append(EpochLosses(total, rating, retrieval, time.perf_counter() - epoch_started,
                                   tuple(weighting.steps[-1])))  # what the epoch's last step used
    return history


def _global_norm(gradients):
    """The L2 norm of a list of gradients (embedding gradients come as IndexedSlices; densified,
    repeated rows are summed, as the variable's gradient is)."""
    import tensorflow as tf

    return tf.sqrt(tf.add_n([tf.reduce_sum(tf.square(tf.convert_to_tensor(gradient))) for gradient in gradients]))


ORDER_CHUNK_ROWS = 262_144


def _batches(train_data: dict, config: TrainConfig, seed: int) -> list[tuple]:
    """The training batches in the tutorial's order for this seed.

    The tutorial shuffles with `train.shuffle(100_000)` after
    `tf.keras.utils.set_random_seed(seed)` and caches the batches, and Keras's `fit`
    opens the dataset once before its first epoch, so the order it trains on is that
    shuffle's second iteration. Reset the global seed and take the second iteration of
    the same shuffle over row indices: a seed gives the tutorial's batches
    (tests/test_faithful.py proves it against the tutorial's code).
    """
    import tensorflow as tf

    n_rows = len(train_data["user_id"])
    tf.random.set_seed(seed)
    # Read in chunks: the same order, without one n_rows-element batch whose assembly costs
    # hundreds of bytes per row (gigabytes at MovieLens 20M's size).
    shuffled = tf.data.Dataset.range(n_rows).shuffle(config.shuffle_buffer).batch(ORDER_CHUNK_ROWS)
    iter(shuffled)  # the iteration fit opens and drops: opening it draws its seed, no need to run it
    order = np.concatenate([chunk.numpy() for chunk in iter(shuffled)])
    columns = [train_data[name][order] for name in ("user_id", "movie_title", "user_rating")]
    return [
        tuple(tf.constant(column[start : start + config.batch_size]) for column in columns)
        for start in range(0, n_rows, config.batch_size)
    ]


def evaluate(model, test_data: dict, candidate_ids: np.ndarray, batch_size: int, top_k=TOP_K) -> dict:
    """Exact brute-force top-k accuracy over the candidate list, and RMSE, in blocks of queries
    (`batch_size`) and of candidates (CANDIDATE_BLOCK)."""
    import tensorflow as tf

    candidate_embeddings = model.movie_embedding(tf.constant(candidate_ids))
    hits = np.zeros(len(top_k))
    squared_error = 0.0
    n_rows = len(test_data["user_id"])
    for start in range(0, n_rows, batch_size):
        user_ids, title_ids, ratings = (
            tf.constant(test_data[name][start : start + batch_size]) for name in ("user_id", "movie_title", "user_rating")
        )
        higher, errors = _evaluate_batch(model, candidate_embeddings, user_ids, title_ids, ratings)
        higher = higher.numpy()
        hits += [(higher < k).sum() for k in top_k]
        squared_error += float(errors.numpy())
    metrics = {f"top_{k}_accuracy": float(count / n_rows) for k, count in zip(top_k, hits)}
    metrics["rmse"] = math.sqrt(squared_error / n_rows)
    return metrics


CANDIDATE_BLOCK = 8192  # candidates scored at a time: a 4096-query batch never holds more than 128 MiB of scores


def _evaluate_batch(model, candidate_embeddings, user_ids, title_ids, ratings):
    """For each query, how many candidates score strictly above its own title (in blocks of candidates,
    so 62,000 movies cost no more memory than 8,192), and the batch's squared rating error."""
    import tensorflow as tf

    user_embeddings = model.user_embedding(user_ids)
    movie_embeddings = model.movie_embedding(title_ids)
    positive = tf.reduce_sum(user_embeddings * movie_embeddings, axis=1, keepdims=True)
    higher = tf.zeros(tf.shape(user_ids)[0], tf.int32)
    for start in range(0, int(candidate_embeddings.shape[0]), CANDIDATE_BLOCK):
        scores = tf.matmul(user_embeddings, candidate_embeddings[start:start + CANDIDATE_BLOCK], transpose_b=True)
        higher += tf.reduce_sum(tf.cast(scores > positive, tf.int32), axis=1)
    errors = tf.reduce_sum(tf.square(ratings - model.predict_rating(user_embeddings, movie_embeddings)))
    return higher, errors
