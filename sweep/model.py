"""The tutorial's multi-task MovieLens model, parameterized by its two loss weights.

Shared user and movie embeddings feed a ranking task (rating MLP, mean squared error)
and a retrieval task (in-batch softmax over the batch's movies, summed over the batch
as TFRS's Retrieval task does). Total loss = rating_weight * rating_loss +
retrieval_weight * retrieval_loss. The mathematics is the tutorial's; four things
differ for speed, none of which changes a number:

- inputs are integer ids (the strings are looked up once per worker, with the
  tutorial's StringLookup convention: vocabulary[i] -> i + 1, unknown -> 0);
- the retrieval loss uses sparse labels 0..B-1 instead of a dense B x B identity;
- a task whose weight is exactly 0 is not computed at all during training;
- metrics are computed only at evaluation (see `sweep.evaluation`), never per batch.

With sparse ratings (`[data] rating_fraction` < 1, sweep.data.rated) a training row without a
rating has rating NaN, and a model built `partly_rated` averages its rating loss over the
batch's rated rows only (`rated_mean_squared_error`; a batch with none has no rating term).
That choice is made when the step is traced, so with every row rated the loss is the
tutorial's own op, bit for bit, and the retrieval task (which every row trains) is untouched.

Its random draws are the tutorial's too: with the same seed it starts from the same
weights and (see `sweep.training`) sees the same batches as the tutorial's code.

The three towers (movie embedding, user embedding, rating MLP) are one layer, `Towers`,
built in the tutorial's order; the weight-conditioned model (sweep.conditioned) composes
the same towers, so both start from the tutorial's weights for a seed. Training either
is sweep.training's; rebuilding a stored one is sweep.artifacts's `rebuild_model`.

Import this module only where a model is trained: it imports TensorFlow.
"""

from __future__ import annotations

import functools

import sweep

sweep.import_tensorflow()  # Keras 2 selected, native start-up notices muted

import tensorflow as tf  # noqa: E402
import tensorflow_recommenders as tfrs  # noqa: E402

from sweep.config import ModelConfig  # noqa: E402


def build_model(config: ModelConfig, user_vocabulary_size: int, title_vocabulary_size: int,
                rating_weight: float, retrieval_weight: float, partly_rated: bool = False) -> MultiTaskModel:
    """The one way a model is built, for training and for serving a kept model alike (`partly_rated`:
    trained on data where some rows have no rating; it changes the training loss, never a weight)."""
    return MultiTaskModel(
        user_vocabulary_size=user_vocabulary_size,
        title_vocabulary_size=title_vocabulary_size,
        rating_weight=rating_weight,
        retrieval_weight=retrieval_weight,
        embedding_dimension=config.embedding_dimension,
        rating_layers=tuple(config.rating_layers),
        activation=config.activation,
        partly_rated=partly_rated,
    )


class Towers(tf.keras.layers.Layer):
    """The tutorial's three towers: movie embedding, user embedding, rating MLP over the two vectors
    (and `extra_rating_inputs` more numbers: sweep.conditioned gives it the weight pair).

    An unseeded Keras initializer draws its seed when its layer is built, so they are built here,
    in the tutorial's order (movies, users, rating MLP): after the same
    tf.keras.utils.set_random_seed(seed), the initial weights are the tutorial's, and a model
    adding layers of its own builds them after these.
    """

    def __init__(self, user_vocabulary_size: int, title_vocabulary_size: int, embedding_dimension: int = 32,
                 rating_layers: tuple[int, ...] = (256, 128), activation: str = "relu", extra_rating_inputs: int = 0):
        super().__init__()
        # +1: index 0 is the out-of-vocabulary bucket, as with the tutorial's StringLookup.
        self.movie_embedding = tf.keras.layers.Embedding(title_vocabulary_size + 1, embedding_dimension)
        self.user_embedding = tf.keras.layers.Embedding(user_vocabulary_size + 1, embedding_dimension)
        self.rating_model = tf.keras.Sequential(
            [tf.keras.layers.Dense(units, activation=activation) for units in rating_layers]
            + [tf.keras.layers.Dense(1)]
        )
        self.movie_embedding.build((None,))
        self.user_embedding.build((None,))
        self.rating_model.build((None, 2 * embedding_dimension + extra_rating_inputs))

    def predict_rating(self, user_vectors: tf.Tensor, movie_vectors: tf.Tensor, *extra: tf.Tensor) -> tf.Tensor:
        """Predicted ratings, shape [batch]."""
        return tf.squeeze(self.rating_model(tf.concat([user_vectors, movie_vectors, *extra], axis=1)), axis=1)

    def ratings_at_settings(self, user_vectors: tf.Tensor, *extra: tf.Tensor):
        """`predict_rating` of many rows at each of S settings (a conditioned model's weight pairs) without
        repeating shared work: the first layer's product splits by input, so the user part is computed once
        per (setting, user), the extra inputs' once per setting, the movie part and the bias once per row,
        and only their sum and the layers after it run per (setting, row). The same numbers as
        `predict_rating` up to float rounding (the product's terms are summed in another order).

        user_vectors [S, users, d]; each of extra [S, e]. Returns a function (user_rows, movie_vectors)
        -> [S, rows]: row i rated as user user_rows[i] (an index into users) with movie_vectors[i]."""
        first = self.rating_model.layers[0]
        settings, users, width = tf.shape(user_vectors)[0], tf.shape(user_vectors)[1], user_vectors.shape[-1]
        user_part = tf.matmul(tf.reshape(user_vectors, [-1, width]), first.kernel[:width])
        user_part = tf.reshape(user_part, [settings, users, first.units])
        if extra:  # the first layer's inputs are [user vector, movie vector, extra]
            user_part += tf.matmul(tf.concat(extra, axis=1), first.kernel[2 * width:])[:, None, :]
        layers = self.rating_model.layers
        return functools.partial(_ratings_from_user_part, user_part, first.kernel[width:2 * width], first.bias,
                                 tuple((layer.kernel, layer.bias) for layer in layers[1:]),
                                 tuple(tf.keras.activations.serialize(layer.activation) for layer in layers))


@tf.function(reduce_retracing=True, jit_compile=True)
def _ratings_from_user_part(user_part: tf.Tensor, movie_kernel: tf.Tensor, first_bias: tf.Variable,
                            later: tuple[tuple[tf.Variable, tf.Variable], ...], activations: tuple[str, ...],
                            user_rows: tf.Tensor, movie_vectors: tf.Tensor) -> tf.Tensor:
    """One block of `Towers.ratings_at_settings`: compiled by XLA, so the first layer's gather, sum and
    activation run as one pass over the block's S × rows (not three over its 64 MiB) and each later layer's
    product, bias and activation (a Dense layer's own ops) as one fused kernel. The layers' weights come as
    arguments, not from a model: one trace serves every model of one architecture (a method would be traced
    again for each model, about 0.1 s of each conditioned training's first evaluation)."""
    first_activation, *later_activations = (tf.keras.activations.get(name) for name in activations)
    movie_part = tf.matmul(movie_vectors, movie_kernel) + first_bias
    hidden = first_activation(tf.gather(user_part, user_rows, axis=1) + movie_part)
    hidden = tf.reshape(hidden, [-1, tf.shape(first_bias)[0]])
    for (kernel, bias), activation in zip(later, later_activations):
        hidden = activation(tf.nn.bias_add(tf.matmul(hidden, kernel), bias))
    return tf.reshape(hidden, [tf.shape(user_part)[0], -1])


class MultiTaskModel(tfrs.models.Model):
    """Rating + retrieval over the tutorial's towers; the loss weights are fixed at construction."""

    def __init__(
        self,
        user_vocabulary_size: int,
        title_vocabulary_size: int,
        rating_weight: float,
        retrieval_weight: float,
        embedding_dimension: int = 32,
        rating_layers: tuple[int, ...] = (256, 128),
        activation: str = "relu",
        partly_rated: bool = False,
    ):
        super().__init__()
        self.rating_weight = float(rating_weight)
        self.retrieval_weight = float(retrieval_weight)
        self.partly_rated = bool(partly_rated)  # some rows' rating is NaN: the rating loss averages the rated ones
        self.towers = Towers(user_vocabulary_size, title_vocabulary_size, embedding_dimension, rating_layers, activation)
        # The towers' layers under the names evaluation, serving and the tests read (weights counted once).
        self.movie_embedding, self.user_embedding = self.towers.movie_embedding, self.towers.user_embedding
        self.rating_model = self.towers.rating_model

    def predict_rating(self, user_embeddings: tf.Tensor, movie_embeddings: tf.Tensor) -> tf.Tensor:
        """Predicted ratings, shape [batch]."""
        return self.towers.predict_rating(user_embeddings, movie_embeddings)

    def task_losses(self, user_ids: tf.Tensor, title_ids: tf.Tensor, ratings: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        """(rating_loss, retrieval_loss) for one batch; a task weighted exactly 0 is skipped (returns 0)."""
        user_embeddings = self.user_embedding(user_ids)
        movie_embeddings = self.movie_embedding(title_ids)
        zero = tf.constant(0.0)
        rating_loss = zero
        retrieval_loss = zero
        if self.rating_weight != 0.0:
            rating_error = rated_mean_squared_error if self.partly_rated else mean_squared_error
            rating_loss = rating_error(ratings, self.predict_rating(user_embeddings, movie_embeddings))
        if self.retrieval_weight != 0.0:
            retrieval_loss = in_batch_softmax_loss(user_embeddings, movie_embeddings)
        return rating_loss, retrieval_loss

    def compute_loss(self, features, training: bool = False) -> tf.Tensor:
        """TFRS's model contract: the weighted total loss of a batch of id features."""
        rating_loss, retrieval_loss = self.task_losses(
            features["user_id"], features["movie_title"], features["user_rating"]
        )
        return self.rating_weight * rating_loss + self.retrieval_weight * retrieval_loss


def mean_squared_error(ratings: tf.Tensor, predictions: tf.Tensor) -> tf.Tensor:
    """TFRS's Ranking task loss: mean over the batch of (rating - prediction)^2."""
    return tf.reduce_mean(tf.square(tf.cast(ratings, predictions.dtype) - predictions))


def rated_mean_squared_error(ratings: tf.Tensor, predictions: tf.Tensor) -> tf.Tensor:
    """The mean squared error over the rows whose rating is not NaN, 0 when none is: a batch without a
    rated row adds no rating term (its value and every gradient are 0, never NaN)."""
    rated = tf.math.is_finite(ratings)
    labels = tf.where(rated, tf.cast(ratings, predictions.dtype), tf.zeros_like(predictions))
    squared = tf.where(rated, tf.square(labels - predictions), tf.zeros_like(predictions))
    return tf.math.divide_no_nan(tf.reduce_sum(squared), tf.reduce_sum(tf.cast(rated, predictions.dtype)))


def in_batch_softmax_loss(query_embeddings: tf.Tensor, candidate_embeddings: tf.Tensor,
                          row_weights: tf.Tensor | None = None) -> tf.Tensor:
    """TFRS's Retrieval task loss: softmax cross-entropy of each query against every
    candidate in the batch (its own is the positive), summed over the batch — each query's
    term times its row weight when given (sweep.conditioned trains each row at its own pair).

    Computed in blocks of query rows so the B x B score matrix never exists whole: each
    block's scores stay in the CPU cache, and the gradient is accumulated in the same
    pass (training always needs it), which on a CPU halves the time of a step. Weights of
    exactly 1 change no bit of the unweighted loss or its gradients.
    """
    if row_weights is None:
        row_weights = tf.ones(tf.shape(query_embeddings)[:1], query_embeddings.dtype)
    return _blocked_softmax_loss(query_embeddings, candidate_embeddings, tf.cast(row_weights, query_embeddings.dtype))


SOFTMAX_BLOCK_ROWS = 256  # 256 x 8192 float32 scores = 8 MiB, in the L3 cache; 128-512 time alike (benchmarks/floor.py)


@tf.custom_gradient
def _blocked_softmax_loss(queries: tf.Tensor, candidates: tf.Tensor, row_weights: tf.Tensor):
    n_rows = tf.shape(queries)[0]
    n_blocks = (n_rows + SOFTMAX_BLOCK_ROWS - 1) // SOFTMAX_BLOCK_ROWS

    def one_block(index, loss, query_gradient, candidate_gradient):
        rows = slice(index * SOFTMAX_BLOCK_ROWS, (index + 1) * SOFTMAX_BLOCK_ROWS)
        block, weights = queries[rows], row_weights[rows][:, None]
        scores = tf.matmul(block, candidates, transpose_b=True)
        row_max = tf.reduce_max(scores, axis=1, keepdims=True)
        exponentials = tf.exp(scores - row_max)
        row_sum = tf.reduce_sum(exponentials, axis=1, keepdims=True)
        loss += tf.reduce_sum(weights * (tf.math.log(row_sum) + row_max))
        scale = weights / row_sum  # each row's softmax (times its weight), folded into the matmuls
        query_gradient = query_gradient.write(index, tf.matmul(exponentials, candidates) * scale)
        candidate_gradient += tf.matmul(exponentials, block * scale, transpose_a=True)
        return index + 1, loss, query_gradient, candidate_gradient

    _, loss, query_gradient, candidate_gradient = tf.while_loop(
        lambda index, *_: index < n_blocks,
        one_block,
        (
            tf.constant(0),
            tf.constant(0.0, queries.dtype),
            tf.TensorArray(queries.dtype, size=n_blocks, infer_shape=False),
            tf.zeros_like(candidates),
        ),
    )
    # The positives sit on the diagonal: subtract their scores and their one-hot gradients.
    weights = row_weights[:, None]
    loss -= tf.reduce_sum(weights * queries * candidates)
    query_gradient = query_gradient.concat() - weights * candidates
    candidate_gradient -= weights * queries

    def gradient(upstream):
        return upstream * query_gradient, upstream * candidate_gradient, None  # the weights are data

    return loss, gradient


def parameter_count(model: tf.keras.Model) -> int:
    return int(sum(tf.size(variable).numpy() for variable in model.trainable_variables))
