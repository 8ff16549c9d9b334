"""One model for every weight pair: the tutorial's model conditioned on (rating_weight, retrieval_weight).

Loss-conditional training ("You Only Train Once", Dosovitskiy & Djolonga, ICLR 2020):
the network is told the weight pair it should serve and is trained on pairs drawn from
the study's search distribution, so after one training any pair in that range can be
evaluated without retraining. The choices, and why:

- **What is conditioned.** The user tower gets a FiLM scale and shift (1 + γ, β) computed
  by a small MLP from the log-weights, and the rating MLP gets the log-weights as extra
  inputs. The movie tower is shared and unconditioned, so every query of every pair
  scores one set of candidate vectors (retrieval stays one matrix product). Conditioning
  it would add nothing to retrieval anyway: a per-dimension scale of the candidates, taken
  from the query's pair, is the same scale of the query, and a shift adds the same amount
  to every candidate's score. The FiLM MLP's last layer starts at zero, so at
  initialization the model is the tutorial's; `conditioning_width` 0 leaves FiLM out
  (only the rating MLP sees the pair, one retrieval serves all). With preference draws
  no FiLM (width 0) holds more hypervolume than FiLM (benchmarks/results/conditioned-round-*.json),
  but its query vectors are one for every pair: each training's front is a single point, and
  that point is what a static model at the draws' mean pair reaches with the same epochs and
  rate. FiLM (16 units, the shipped study) gives fronts of several points. Under Adagrad a step's
  size does not follow its gradient, so FiLM's fresh parameters move the queries fast; `film_scale`
  multiplies FiLM's output and so the queries' step (the shipped study: 0.3 at Adagrad 0.03, chosen
  in round 8 of benchmarks/conditioned.py's selection).
- **A pair per example, not per batch.** The rating loss is a mean over the batch and the
  in-batch softmax a sum over its queries, so weighting each example's term by its own
  pair is exact: an example contributes what it would in a batch trained at its pair.
  Drawing one pair per batch makes each step's gradient scale jump by orders of
  magnitude, and Adagrad's accumulators remember the largest.
  `draws = "batch"` (one pair per batch, as YOTO draws) is kept for comparison.
- **Preference draws** (the default, sweep.conditioned_pairs): each example's preference λ
  uniform on the simplex, its pair (λ·R_rating, (1 − λ)·R_retrieval) through the reference pair R,
  λ over every ratio the study's search box holds. The network sees the pair's ratio (the ratio
  encoding: log10(t / r) and the zero indicators), so a served pair means the model trained at its
  ratio, whatever its scale, and its retrieval term is the static objective's sum over the static
  batch (`static_batch_size`). Each weight drawn log-uniformly over its range (draws "example" or
  "batch", the weights encoding) learns nothing over a box as wide as the tutorial study's; kept for
  comparison and for models stored before.
- **Exact zeros** (the tutorial's (1, 0) and (0, 1)): with `zero_share`, that share of
  examples trains one task alone. What the network sees of a pair is four numbers: the two
  log10-weights (0 for a zero weight) and an indicator per zero weight. A task trained alone
  under Adagrad barely depends on its weight's scale, so (1, 0) and (50, 0) are one model.
- **COSMOS's cosine term** (optional, `cosine_weight`): minus λ times the cosine between the
  batch's two mean losses and its mean weight pair, pulling the losses toward the pair.
- **The tutorial's towers, not a copy.** The model composes sweep.model's `Towers` (its rating
  MLP given the four numbers as extra inputs) and builds FiLM after them, so with conditioning
  off and one seed it starts from the tutorial's weights, and its losses at one pair are the
  tutorial's (tests/test_conditioned.py).
- **The rating head refit** (optional, `calibrate` epochs after training): the retrieval term,
  a sum over the batch, moves the shared embeddings far more than the rating term, and the rating
  MLP, conditioned on the pair, ends training with a mean offset that changes with the pair (its
  direction seed-dependent), most of the RMSE differences between pairs. Refitting the MLP alone
  (embeddings and FiLM frozen, so every pair's retrieval is unchanged) with each row's unweighted
  squared error, at pairs drawn log-uniformly over the whole search box, fits every servable pair
  to the final embeddings: a pair's RMSE then lowers without any cost to its top-k. The rating MLP
  touches no query vector, so nothing is traded.
- **The static training's loop.** `train_conditioned` only draws each example's pair: the
  step and the epoch loop are sweep.training's, the conditioned training being one more way
  of supplying a step's weights. Its per-epoch losses are record.EpochLosses whose rating
  and retrieval losses are the weighted terms the step minimized.

A conditioned study (sweep.conditioned_study) trains one model per seed; sweep.artifacts's
`rebuild_model` rebuilds a stored one, and `at(rating, retrieval)` serves one pair to
sweep.evaluation and sweep.serve as if it were a static model. `user_vectors_at_pairs` and
`ratings_at_pairs` serve many pairs at once (sweep.evaluation's `evaluate_at_pairs`); every path
asks `features` how a pair is encoded.

Import this module only where a model is trained: it imports TensorFlow.
"""

from __future__ import annotations

import functools
import math

import numpy as np

import sweep

sweep.import_tensorflow()

import tensorflow as tf  # noqa: E402

from sweep.conditioned_pairs import (  # noqa: E402
    PREFERENCE_DRAWS,
    RATIO_ENCODING,
    WEIGHTS_ENCODING,
    draw_preferences,
    draw_weights,
    preference_range,
)
from sweep.config import ModelConfig  # noqa: E402
from sweep.model import Towers, in_batch_softmax_loss  # noqa: E402
from sweep.record import EpochLosses  # noqa: E402
from sweep.training import (  # noqa: E402
    ROW_WEIGHTS,
    OptimizerSettings,
    TrialFailed,
    copy_weights,
    reset_optimizer,
    run_epochs,
    training_step,
)


def build_conditioned_model(config: ModelConfig, user_vocabulary_size: int, title_vocabulary_size: int,
                            conditioning_width: int, encoding: str = WEIGHTS_ENCODING,
                            film_scale: float = 1.0) -> ConditionedModel:
    """The one way a conditioned model is built, for training and for serving a stored one alike."""
    return ConditionedModel(user_vocabulary_size, title_vocabulary_size, config.embedding_dimension,
                            tuple(config.rating_layers), config.activation, conditioning_width=conditioning_width,
                            encoding=encoding, film_scale=film_scale)


class ConditionedModel(tf.keras.Model):
    """The tutorial's towers and tasks, conditioned on the loss weights (or not, when `conditioned` is false)."""

    def __init__(self, user_vocabulary_size: int, title_vocabulary_size: int, embedding_dimension: int = 32,
                 rating_layers: tuple[int, ...] = (256, 128), activation: str = "relu",
                 conditioning_width: int = 16, conditioned: bool = True, encoding: str = WEIGHTS_ENCODING,
                 film_scale: float = 1.0):
        super().__init__()
        self.film_scale = film_scale  # FiLM's output times this: under Adagrad, its step in the output space
        self.conditioned = conditioned
        self.encoding = encoding  # what the network sees of a pair: ENCODINGS
        features = ENCODINGS[encoding]
        # The tutorial's towers, built first and in its order: with conditioning off and the same
        # seed, the initial weights are the tutorial's; the FiLM MLP draws after them.
        self.towers = Towers(user_vocabulary_size, title_vocabulary_size, embedding_dimension, rating_layers,
                             activation, extra_rating_inputs=features if conditioned else 0)
        self.movie_embedding, self.user_embedding = self.towers.movie_embedding, self.towers.user_embedding
        self.rating_model = self.towers.rating_model
        self.film = None  # conditioning_width 0: only the rating MLP sees the pair; retrieval is one for all pairs
        if conditioned and conditioning_width > 0:
            self.film = tf.keras.Sequential([
                tf.keras.layers.Dense(conditioning_width, activation="relu"),
                tf.keras.layers.Dense(2 * embedding_dimension, kernel_initializer="zeros"),
            ])
            self.film.build((None, features))

    def user_vectors(self, user_ids: tf.Tensor, features: tf.Tensor) -> tf.Tensor:
        """User embeddings, scaled and shifted for each row's weight pair (features: `self.features`)."""
        vectors = self.user_embedding(user_ids)
        if self.film is None:
            return vectors
        scale, shift = tf.split(self._modulation(features), 2, axis=1)
        return vectors * (1.0 + scale) + shift

    def _modulation(self, features: tf.Tensor) -> tf.Tensor:
        """FiLM's output, [rows, 2d]: the scale's and the shift's change, times `film_scale`."""
        film = self.film
        assert film is not None, "a model without FiLM has no modulation"
        return film(features) if self.film_scale == 1.0 else film(features) * self.film_scale

    def predict_rating(self, user_vectors: tf.Tensor, movie_vectors: tf.Tensor, features: tf.Tensor) -> tf.Tensor:
        return self.towers.predict_rating(user_vectors, movie_vectors, *self._rating_extra(features))

    @property
    def queries_depend_on_pair(self) -> bool:
        """Whether a user's query vector changes with the pair: only through FiLM."""
        return self.film is not None

    def user_vectors_at_pairs(self, user_ids: tf.Tensor, features: tf.Tensor) -> tf.Tensor:
        """Every user's vector at every pair, [pairs, users, d]: `user_vectors` of each (pair, user), with
        each pair's FiLM computed alone (`pair_modulation`), as `FixedPair` computes it: a float sum may
        round differently with a matmul's shape, and a score at the k-th place would then flip a hit."""
        vectors = self.user_embedding(user_ids)
        if self.film is None:
            return tf.tile(vectors[None], [tf.shape(features)[0], 1, 1])
        scale, shift = self.pair_modulation(features)
        return vectors[None] * (1.0 + scale[:, None, :]) + shift[:, None, :]

    def pair_modulation(self, features: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        """FiLM's (scale, shift) for each pair's features, [pairs, d] each, one pair per call so that a
        pair's modulation does not depend on the pairs computed with it."""
        rows = [self._modulation(features[index:index + 1]) for index in range(int(features.shape[0]))]
        scale, shift = tf.split(tf.concat(rows, axis=0), 2, axis=1)
        return scale, shift

    def ratings_at_pairs(self, user_vectors: tf.Tensor, features: tf.Tensor):
        """`predict_rating` at many pairs at once (user_vectors from `user_vectors_at_pairs`): a function
        (user_rows, movie_vectors) -> [pairs, rows] rating row i as user user_rows[i] with movie_vectors[i]
        (sweep.model's `Towers.ratings_at_settings`: what a user or a pair gives the first layer, once)."""
        return self.towers.ratings_at_settings(user_vectors, *self._rating_extra(features))

    def _rating_extra(self, features: tf.Tensor) -> list[tf.Tensor]:
        return [features] if self.conditioned else []

    def weighted_losses(self, user_ids, title_ids, ratings, weights,
                        cosine_weight: float = 0.0) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
        """(rating term, retrieval term, cosine term) of a batch whose row i is trained at weights[i] =
        (rating, retrieval): mean_i w_r,i (r_i - p_i)², Σ_i w_t,i CE_i, and (when cosine_weight > 0)
        -cosine_weight · cos((MSE, mean CE), mean pair). With every row at (a, b) the first two
        are a·MSE and b·ΣCE."""
        features = self.features(weights)
        users = self.user_vectors(user_ids, features)
        movies = self.movie_embedding(title_ids)
        squared_errors = tf.square(tf.cast(ratings, users.dtype) - self.predict_rating(users, movies, features))
        rating_term = tf.reduce_mean(weights[:, 0] * squared_errors)
        retrieval_weights = weights[:, 1]
        if self.static_batch_size:  # the static objective's Σ over its batch, as the mean over this one times it
            retrieval_weights *= self.static_batch_size / tf.cast(tf.shape(user_ids)[0], weights.dtype)
        retrieval_term = weighted_softmax_loss(users, movies, retrieval_weights)
        cosine_term = tf.constant(0.0)
        if cosine_weight:
            rows = tf.cast(tf.shape(user_ids)[0], users.dtype)
            losses = tf.stack([tf.reduce_mean(squared_errors), in_batch_softmax_loss(users, movies) / rows])
            cosine_term = -cosine_weight * _cosine(losses, tf.reduce_mean(weights, axis=0))
        return rating_term, retrieval_term, cosine_term

    static_batch_size: int | None = None  # set for preference draws: a pair's retrieval term means its Σ over that many rows

    def features(self, weights: tf.Tensor) -> tf.Tensor:
        """What the network sees of each row's (rating, retrieval) pair, by the model's encoding."""
        return ratio_features(weights) if self.encoding == RATIO_ENCODING else log_weight_features(weights)

    def at(self, rating_weight: float, retrieval_weight: float) -> FixedPair:
        """The model serving one weight pair, shaped like the static model for `sweep.evaluation.evaluate`."""
        return FixedPair(self, rating_weight, retrieval_weight)


class FixedPair:
    """A conditioned model at one weight pair: user_embedding, movie_embedding and predict_rating as the
    static model has them, so evaluation and serving need no second code path."""

    def __init__(self, model: ConditionedModel, rating_weight: float, retrieval_weight: float):
        self.model = model
        self.weights = (float(rating_weight), float(retrieval_weight))
        self.movie_embedding = model.movie_embedding

    def _features(self, rows) -> tf.Tensor:
        """The pair's features, encoded once (as `sweep.evaluation.pair_features` encodes it) for every row."""
        return tf.repeat(self.model.features(tf.constant([self.weights], tf.float32)), rows, axis=0)

    def user_embedding(self, user_ids: tf.Tensor) -> tf.Tensor:
        return self.model.user_vectors_at_pairs(user_ids, self._features(1))[0]

    def predict_rating(self, user_vectors: tf.Tensor, movie_vectors: tf.Tensor) -> tf.Tensor:
        return self.model.predict_rating(user_vectors, movie_vectors, self._features(tf.shape(user_vectors)[0]))


# Numbers the network sees of a pair. weights: log10 of each weight and an indicator per zero weight;
# ratio: log10(retrieval / rating) / 4 and the two indicators (a pair's scale is not seen: see draw_preferences).
ENCODINGS = {WEIGHTS_ENCODING: 4, RATIO_ENCODING: 3}


def log_weight_features(weights: tf.Tensor) -> tf.Tensor:
    """What the network sees of a pair: its base-10 logarithms (the pairs span decades), and for
    an exact zero a 0 in its place and a 1 in that weight's indicator."""
    weights = tf.cast(weights, tf.float32)
    zero = tf.equal(weights, 0.0)
    logs = tf.math.log(tf.where(zero, tf.ones_like(weights), weights)) / math.log(10.0)
    return tf.concat([logs, tf.cast(zero, tf.float32)], axis=1)


def ratio_features(weights: tf.Tensor) -> tf.Tensor:
    """log10(retrieval / rating) / 4 (the search range's ratios span about eight decades: about ±1), 0 in its
    place when either weight is exactly 0, and an indicator per zero weight."""
    weights = tf.cast(weights, tf.float32)
    zero = tf.equal(weights, 0.0)
    either = tf.reduce_any(zero, axis=1, keepdims=True)
    safe = tf.where(zero, tf.ones_like(weights), weights)
    log_ratio = (tf.math.log(safe[:, 1:]) - tf.math.log(safe[:, :1])) / math.log(10.0) / 4.0
    return tf.concat([tf.where(either, tf.zeros_like(log_ratio), log_ratio), tf.cast(zero, tf.float32)], axis=1)


def _cosine(a: tf.Tensor, b: tf.Tensor) -> tf.Tensor:
    return tf.reduce_sum(a * b) / (tf.norm(a) * tf.norm(b) + 1e-12)


def weighted_softmax_loss(queries: tf.Tensor, candidates: tf.Tensor, row_weights: tf.Tensor) -> tf.Tensor:
    """Σ_i w_i · CE_i, CE_i the in-batch softmax cross-entropy of query i (its own candidate the positive)."""
    return in_batch_softmax_loss(queries, candidates, row_weights)


def rating_head_step(model: ConditionedModel, optimizer):
    """`refit_rating_head`'s step, traced once: (ids, titles, ratings, [rows, 2] pairs) -> (mse, mse, 0)."""
    variables = model.rating_model.trainable_variables
    ids = [tf.TensorSpec([None], tf.int32), tf.TensorSpec([None], tf.int32), tf.TensorSpec([None], tf.float32)]

    @tf.function(input_signature=[*ids, tf.TensorSpec([None, 2], tf.float32)], autograph=False)
    def step(user_ids, title_ids, ratings, weights):
        with tf.GradientTape() as tape:
            features = model.features(weights)
            users = model.user_vectors(user_ids, features)
            predicted = model.predict_rating(users, model.movie_embedding(title_ids), features)
            loss = tf.reduce_mean(tf.square(tf.cast(ratings, users.dtype) - predicted))
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return loss, loss, tf.constant(0.0, loss.dtype)

    return step


def refit_rating_head(model: ConditionedModel, optimizer, batches: list[tuple], epochs: int,
                      ranges: dict[str, tuple[float, float]], seed: int, zero_share: float = 0.0,
                      step=None) -> list[EpochLosses]:
    """`epochs` passes over the batches training the rating MLP alone on each row's unweighted squared error,
    each row at a pair drawn log-uniformly over `ranges` (with `zero_share` single-task pairs); the embeddings
    and FiLM stay as they are, so every pair's query vectors, and its top-k, do not change. Per epoch the
    mean squared error (as the rating loss; the retrieval loss 0). `step`: `rating_head_step(model, optimizer)`
    already traced (TracedConditioned's), else traced here."""
    rng = np.random.default_rng([seed, 1])  # not the training's draws

    def weights_for_batch(rows: int) -> tf.Tensor:
        return tf.constant(draw_weights(rng, ranges, rows, zero_share))

    try:
        return run_epochs(step or rating_head_step(model, optimizer), batches, epochs, weights_for_batch)
    except TrialFailed as failure:
        raise TrialFailed(failure.reason, f"refitting the rating head, {failure.detail}") from None


def train_conditioned(model: ConditionedModel, optimizer, batches: list[tuple], epochs: int,
                      ranges: dict[str, tuple[float, float]], seed: int, draws: str = "example",
                      zero_share: float = 0.0, cosine_weight: float = 0.0,
                      reference: tuple[float, ...] = (10.0, 0.1), narrow_after: int = 0,
                      narrow=None, film_after: int = 0, step=None) -> tuple[list[EpochLosses], tuple[float, float] | None]:
    """The optimizer over the batches, every row (or, with draws = "batch", every batch) at a freshly drawn
    weight pair (draws = "preference": `draw_preferences` through `reference`); per epoch the mean (total,
    rating term, retrieval term) and seconds (sweep.training's loop). With `narrow_after` epochs and
    `narrow(bounds) -> bounds` (the model's own front on a validation slice), preference draws continue
    between the bounds it returns; the second value is those bounds (None: never narrowed). With `film_after`
    epochs FiLM is frozen at its start, the identity, for those first epochs: the towers learn as without
    FiLM, then FiLM learns to move each query with the pair (a step traced afresh, FiLM's variables in it). `step`: the
    row-weighted training step of this model and optimizer already traced (TracedConditioned's; not with
    `film_after`), else traced here."""
    rng = np.random.default_rng(seed)
    frozen = model.film if film_after else None  # trained only after film_after epochs
    film_after = min(film_after, epochs) if frozen is not None else 0
    if frozen is not None:
        if hasattr(optimizer, "build"):  # Keras' optimizer keeps a slot per variable it was built with: every one
            optimizer.build(model.trainable_variables)
        frozen.trainable = False
    assert step is None or frozen is None, "a step traced before FiLM was frozen would train it"
    step = step or training_step(model, optimizer, ROW_WEIGHTS, cosine_weight=cosine_weight)
    bounds: list = [None]

    def weights_for_batch(rows: int) -> tf.Tensor:
        if draws == PREFERENCE_DRAWS:
            return tf.constant(draw_preferences(rng, ranges, reference, rows, zero_share, bounds[0]))
        pairs = draw_weights(rng, ranges, rows if draws == "example" else 1, zero_share)
        return tf.constant(np.broadcast_to(pairs, (rows, 2)))

    def after_epoch(epoch: int, means) -> None:
        if narrow is not None and epoch + 1 == narrow_after:
            bounds[0] = narrow(preference_range(ranges, reference))

    def after_later_epoch(epoch: int, means) -> None:
        after_epoch(epoch + film_after, means)

    try:
        history = run_epochs(step, batches, film_after or epochs, weights_for_batch, after_epoch=after_epoch)
        if frozen is not None:
            frozen.trainable = True
            step = training_step(model, optimizer, ROW_WEIGHTS, cosine_weight=cosine_weight)
            history += run_epochs(step, batches, epochs - film_after, weights_for_batch, after_epoch=after_later_epoch)
    except TrialFailed as failure:
        raise TrialFailed(failure.reason, f"conditioned training, {failure.detail}") from None
    finally:
        if frozen is not None:
            frozen.trainable = True
    return history, bounds[0]


class TracedConditioned:
    """A worker's conditioned model, its training's and its refit's optimizers and their traced steps, reused
    by every training of one shape, as sweep.training's TracedTraining is by static trials: tracing both steps
    costs about 0.4 s, a fifth of a static training. Each training copies in its freshly built model's initial
    weights and resets both optimizers, so it trains exactly what a new model and optimizers would
    (tests/test_conditioned.py holds it)."""

    def __init__(self, model: ConditionedModel, optimizer, refit_optimizer, cosine_weight: float = 0.0):
        self.model, self.optimizer, self.refit_optimizer = model, optimizer, refit_optimizer
        self.step = training_step(model, optimizer, ROW_WEIGHTS, cosine_weight=cosine_weight)
        self.refit_step = rating_head_step(model, refit_optimizer)

    def start_from(self, initial: ConditionedModel) -> ConditionedModel:
        """The worker's model, holding `initial`'s weights, with both optimizers as new."""
        copy_weights(initial, self.model)
        reset_optimizer(self.optimizer)
        reset_optimizer(self.refit_optimizer)
        return self.model

    def finish_into(self, model: ConditionedModel) -> None:
        """The worker's trained weights copied into `model` (the training's own, kept after the next)."""
        copy_weights(self.model, model)


@functools.lru_cache(maxsize=4)
def traced_conditioned(config: ModelConfig, user_vocabulary_size: int, title_vocabulary_size: int,
                       conditioning_width: int, encoding: str, film_scale: float, static_batch_size: int | None,
                       optimizer: OptimizerSettings, cosine_weight: float) -> TracedConditioned:
    """The worker's TracedConditioned for this architecture, objective and optimizer; built on first use."""
    model = build_conditioned_model(config, user_vocabulary_size, title_vocabulary_size, conditioning_width,
                                    encoding, film_scale)
    model.static_batch_size = static_batch_size
    return TracedConditioned(model, optimizer.build(), optimizer.build(), cosine_weight)
