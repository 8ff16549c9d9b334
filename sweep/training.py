"""Training: one epoch loop and one traced step, whoever supplies the loss weights.

Every training in sweep runs one optimizer (`[train] optimizer`: the tutorial's Adagrad by
default, or Adam or plain SGD; `OptimizerSettings`) over the tutorial's batches, each step
minimizing w_rating · L_rating + w_retrieval · L_retrieval. What differs is only where the
weights come from, so that is the one thing the callers choose:

- **static** (`train`, `TracedTraining`): one pair for the whole training, the model's own
  or an input of the step, so a worker traces one step per zero pattern and reuses it;
- **adaptive** (`train_adaptive`): a sweep.weighting method sets each step's pair from the
  losses (and, for GradNorm, the shared layers' gradient norms) of the steps before;
- **conditioned** (sweep.conditioned's `train_conditioned`): each example at a pair drawn
  from the study's search distribution, the model told which.

`training_step` builds the one `tf.function` step for all three, and `run_epochs` is the one
loop: per epoch, the batch-size-weighted mean losses (as Keras averages a loss over an epoch)
and the seconds it took; a non-finite loss ends the training with TrialFailed. The batches
are the tutorial's (`training_batches`, held against the tutorial's own `fit` by
tests/test_faithful.py), so a seed trains exactly what the tutorial's code does.

Knows nothing of studies or of evaluation (sweep.evaluation). TensorFlow is imported only
when a training runs.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass

import numpy as np

from sweep import SweepError
from sweep.config import ModelConfig, TrainConfig
from sweep.record import EpochLosses


class TrialFailed(SweepError):
    """The trial ran but its result is unusable (e.g. a non-finite loss); `reason` is short."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}{': ' + detail if detail else ''}")
        self.reason, self.detail = reason, detail


ORDER_CHUNK_ROWS = 262_144


def training_batches(train_data: dict, config: TrainConfig, seed: int) -> list[tuple]:
    """The training batches (user ids, title ids, ratings) in the tutorial's order for this seed.

    The tutorial shuffles with `train.shuffle(100_000)` after
    `tf.keras.utils.set_random_seed(seed)` and caches the batches, and Keras's `fit`
    opens the dataset once before its first epoch, so the order it trains on is that
    shuffle's second iteration. Reset the global seed and take the second iteration of
    the same shuffle over row indices: a seed gives the tutorial's batches
    (tests/test_faithful.py proves it against the tutorial's code). One order serves
    every epoch, as the tutorial's cache does.
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


@dataclass(frozen=True)
class OptimizerSettings:
    """The optimizer a training runs (train.optimizer, its learning rate, Adagrad's initial accumulator or
    Adam's epsilon), hashable: a worker keeps one traced training per optimizer.

    Why the choice matters to a weight study: Adam's step m̂/(√v̂ + ε) is the same for gradients
    multiplied by any c > 0 but for ε, so multiplying both weights by c trains the same model up to
    ε; Adagrad's lr·g/√(a₀ + Σg²) is not, because of its initial accumulator a₀ (Keras's 0.1): for
    gradients small beside √a₀ a c times larger loss is a c times larger step, as under SGD
    (tests/test_training.py holds both)."""

    name: str
    learning_rate: float
    adagrad_initial_accumulator: float
    adam_epsilon: float

    @classmethod
    def of(cls, config: TrainConfig, learning_rate: float | None = None) -> OptimizerSettings:
        """The settings `config` names, at `learning_rate` when given (a conditioned study's own)."""
        return cls(config.optimizer, config.learning_rate if learning_rate is None else learning_rate,
                   config.adagrad_initial_accumulator, config.adam_epsilon)

    def build(self):
        """A new Keras optimizer; the others of Keras's defaults (Adam's betas, Adagrad's epsilon) kept."""
        import tensorflow as tf

        if self.name == "adam":
            return tf.keras.optimizers.Adam(learning_rate=self.learning_rate, epsilon=self.adam_epsilon)
        if self.name == "sgd":
            return tf.keras.optimizers.SGD(learning_rate=self.learning_rate)
        return tf.keras.optimizers.Adagrad(learning_rate=self.learning_rate,
                                           initial_accumulator_value=self.adagrad_initial_accumulator)


MODEL_WEIGHTS, STEP_WEIGHTS, ROW_WEIGHTS = "model", "step", "row"


def training_step(model, optimizer, weights: str = MODEL_WEIGHTS, gradient_norms: bool = False,
                  cosine_weight: float = 0.0):
    """One optimizer step on a batch of ids, traced once: returns the (total, rating, retrieval) losses,
    and with `gradient_norms` each task's gradient norm at the shared embeddings (GradNorm's ‖∇_W L_k‖).

    Where the step's loss weights come from (`weights`):
    - "model": the model's own, fixed when it was built (the benchmarks time this very step);
    - "step": a [2] fourth argument, read at every call: one traced step serves every pair of a
      zero pattern (TracedTraining), and an adaptive method moves the pair between steps;
    - "row": a [None, 2] fourth argument, one pair per example, for sweep.conditioned's model, whose
      rating and retrieval losses are then its weighted terms; `cosine_weight` adds COSMOS's term.
    """
    import tensorflow as tf

    ids = [tf.TensorSpec([None], tf.int32), tf.TensorSpec([None], tf.int32), tf.TensorSpec([None], tf.float32)]
    weight_inputs = {MODEL_WEIGHTS: [], STEP_WEIGHTS: [tf.TensorSpec([2], tf.float32)],
                     ROW_WEIGHTS: [tf.TensorSpec([None, 2], tf.float32)]}[weights]
    shared = [model.user_embedding.embeddings, model.movie_embedding.embeddings] if gradient_norms else []

    def batch_losses(user_ids, title_ids, ratings, *pairs):
        if weights == ROW_WEIGHTS:
            rating_term, retrieval_term, cosine_term = model.weighted_losses(user_ids, title_ids, ratings, pairs[0],
                                                                             cosine_weight)
            return rating_term + retrieval_term + cosine_term, rating_term, retrieval_term
        rating_loss, retrieval_loss = model.task_losses(user_ids, title_ids, ratings)
        pair = pairs[0] if pairs else (model.rating_weight, model.retrieval_weight)
        return pair[0] * rating_loss + pair[1] * retrieval_loss, rating_loss, retrieval_loss

    @tf.function(input_signature=ids + weight_inputs, autograph=False)
    def step(*inputs):
        with tf.GradientTape(persistent=gradient_norms) as tape:
            total_loss, rating_loss, retrieval_loss = batch_losses(*inputs)
        variables = model.trainable_variables
        gradients = tape.gradient(total_loss, variables)
        outputs: tuple = (total_loss, rating_loss, retrieval_loss)
        if gradient_norms:  # per task, over both embedding tables; before the update moves them
            outputs += (tf.stack([global_norm(tape.gradient(loss, shared)) for loss in (rating_loss, retrieval_loss)]),)
        optimizer.apply_gradients(
            [(gradient, variable) for gradient, variable in zip(gradients, variables) if gradient is not None]
        )
        return outputs

    return step


def global_norm(gradients):
    """The L2 norm of a list of gradients (embedding gradients come as IndexedSlices; densified,
    repeated rows are summed, as the variable's gradient is)."""
    import tensorflow as tf

    return tf.sqrt(tf.add_n([tf.reduce_sum(tf.square(tf.convert_to_tensor(gradient))) for gradient in gradients]))


def run_epochs(step, batches: list[tuple], epochs: int, weights_for_batch=None, after_step=None,
               after_epoch=None) -> list[EpochLosses]:
    """The step over every batch, `epochs` times; per epoch the batch-size-weighted mean losses and seconds.

    With `weights_for_batch(rows)`, each step's weights are its fourth argument; `after_step(losses,
    gradient_norms)` sees each step's (total, rating, retrieval) losses and the norms when the step
    returns them; `after_epoch(epoch, mean_losses)` returns the weights to record with the epoch, or None.
    """
    history = []
    for epoch in range(epochs):
        epoch_started = time.perf_counter()
        sums = np.zeros(3)
        rows = 0
        for user_ids, title_ids, ratings in batches:
            size = int(user_ids.shape[0])
            weights = () if weights_for_batch is None else (weights_for_batch(size),)
            outputs = step(user_ids, title_ids, ratings, *weights)
            losses = np.array([output.numpy() for output in outputs[:3]], dtype=np.float64)
            if not np.all(np.isfinite(losses)):
                raise TrialFailed("non-finite loss", f"epoch {epoch + 1}")
            if after_step is not None:
                after_step(losses, outputs[3].numpy().astype(np.float64) if len(outputs) > 3 else None)
            sums += losses * size  # batch-size-weighted, as Keras averages a loss over an epoch
            rows += size
        means = sums / rows
        recorded = None if after_epoch is None else after_epoch(epoch, means)
        total, rating, retrieval = (float(mean) for mean in means)
        history.append(EpochLosses(total, rating, retrieval, time.perf_counter() - epoch_started, recorded))
    return history


def train(model, optimizer, batches: list[tuple], epochs: int) -> list[EpochLosses]:
    """Static training at the model's own weights, on a step traced for it alone."""
    return run_epochs(training_step(model, optimizer), batches, epochs)


class TracedTraining:
    """A worker's model, optimizer and traced step for one model shape and zero pattern, reused by
    every trial: tracing the step costs about 0.4 s, a tenth of a trial; re-initializing, milliseconds.
    Each trial copies in its own freshly built model's initial weights and resets the optimizer's
    state (its iteration count; Adagrad's accumulators to their initial value; Adam's moments, SGD's
    momentum to 0), so it trains exactly what a new model and optimizer would (tests/test_trial.py
    holds it for each optimizer)."""

    def __init__(self, model, optimizer):
        self.model, self.optimizer = model, optimizer
        self.step = training_step(model, optimizer, STEP_WEIGHTS)

    def train(self, model, rating_weight: float, retrieval_weight: float, batches: list[tuple],
              epochs: int, after_epoch=None) -> list[EpochLosses]:
        """Static training of `model` (freshly built: its weights are the seed's) at one pair; it ends trained.
        `after_epoch(epoch, trained)` sees the model as each epoch left it (the worker's, not yet `model`)."""
        import tensorflow as tf

        self._start_from(model)
        pair = tf.constant([rating_weight, retrieval_weight], tf.float32)
        watch = None if after_epoch is None else lambda epoch, means: after_epoch(epoch, self.model)
        history = run_epochs(self.step, batches, epochs, weights_for_batch=lambda rows: pair, after_epoch=watch)
        copy_weights(self.model, model)
        return history

    def _start_from(self, initial) -> None:
        copy_weights(initial, self.model)
        reset_optimizer(self.optimizer)


def copy_weights(source, target) -> None:
    """Every trainable variable of `source` into `target`'s, in order (two built models of one architecture)."""
    assert len(source.trainable_variables) == len(target.trainable_variables), "models of different architectures"
    for variable, value in zip(target.trainable_variables, source.trainable_variables):
        variable.assign(value)


def reset_optimizer(optimizer) -> None:
    """A used optimizer back to a new one's state, its variables kept (a traced step holds them): its
    iteration count 0, Adagrad's accumulators their initial value, Adam's moments and SGD's momentum 0."""
    import tensorflow as tf

    adagrad = isinstance(optimizer, tf.keras.optimizers.Adagrad)
    slot_start = optimizer.initial_accumulator_value if adagrad else 0.0
    for variable in optimizer.variables:
        start = 0 if variable is optimizer.iterations else slot_start
        variable.assign(tf.fill(tf.shape(variable), tf.cast(start, variable.dtype)))


@functools.lru_cache(maxsize=8)
def traced_training(model_config: ModelConfig, n_users: int, n_titles: int, rating_on: bool, retrieval_on: bool,
                    optimizer: OptimizerSettings, partly_rated: bool = False) -> TracedTraining:
    """The worker's TracedTraining for this shape, zero pattern and optimizer, and whether some rows have
    no rating (sweep.model's rating loss over the rated rows); built on first use."""
    from sweep.model import build_model

    model = build_model(model_config, n_users, n_titles, float(rating_on), float(retrieval_on), partly_rated)
    return TracedTraining(model, optimizer.build())


def train_adaptive(model, optimizer, batches: list[tuple], epochs: int, weighting,
                   watch_epoch=None) -> list[EpochLosses]:
    """Adaptive training: each step's weights set by `weighting` (sweep.weighting) from the losses (and
    shared-layer gradient norms) it measured; each epoch records the pair its last step used.
    `watch_epoch(epoch, model)` sees the model as each epoch left it."""
    import tensorflow as tf

    step = training_step(model, optimizer, STEP_WEIGHTS, gradient_norms=weighting.needs_gradient_norms)
    if weighting.needs_first_losses:
        weighting.start(np.array([float(loss.numpy()) for loss in model.task_losses(*batches[0])]))

    def weights_for_batch(rows):
        weighting.record()
        return tf.constant(weighting.weights, tf.float32)

    def after_epoch(epoch, mean_losses):
        weighting.after_epoch(mean_losses[1:])
        if not np.all(np.isfinite(weighting.weights)):
            raise TrialFailed("non-finite weights", f"{weighting.name}, epoch {epoch + 1}")
        if watch_epoch is not None:
            watch_epoch(epoch, model)
        return tuple(weighting.steps[-1])

    return run_epochs(step, batches, epochs, weights_for_batch,
                      after_step=lambda losses, norms: weighting.after_step(losses[1:], norms), after_epoch=after_epoch)
