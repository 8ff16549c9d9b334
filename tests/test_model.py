"""The model's contract: total = rating_weight * L_rating + retrieval_weight * L_retrieval, the tutorial's losses."""

from __future__ import annotations

import math

import numpy as np
import pytest

import sweep  # noqa: F401
import tensorflow as tf
import tensorflow_recommenders as tfrs

from sweep.model import MultiTaskModel, in_batch_softmax_loss, parameter_count

pytestmark = pytest.mark.slow  # trains real models with TensorFlow

BATCH = 6  # queries; embedding dimension >= BATCH so one-hot embeddings exist


def handcrafted_model(rating_weight, retrieval_weight, scale=2.0, bias=3.5):
    """User i's embedding is scale * e_i, movie j's is e_j: in-batch scores are scale * I.
    The rating MLP outputs the constant `bias` (zero kernels)."""
    model = MultiTaskModel(BATCH, BATCH, rating_weight, retrieval_weight, embedding_dimension=8)
    eye = np.eye(BATCH + 1, 8, k=-1, dtype=np.float32)  # id 0 is out-of-vocabulary; id i -> e_(i-1)
    model.user_embedding.set_weights([scale * eye])
    model.movie_embedding.set_weights([eye])
    weights = [np.zeros_like(w) for w in model.rating_model.get_weights()]
    weights[-1][:] = bias
    model.rating_model.set_weights(weights)
    return model


def batch(ratings):
    ids = tf.range(1, BATCH + 1)
    return {"user_id": ids, "movie_title": ids, "user_rating": tf.constant(ratings, tf.float32)}


RATINGS = [1.0, 2.0, 3.0, 4.0, 5.0, 5.0]
# Closed forms for the handcrafted model:
EXPECTED_RATING_LOSS = float(np.mean((np.array(RATINGS) - 3.5) ** 2))  # MSE against a constant 3.5
EXPECTED_RETRIEVAL_LOSS = BATCH * (math.log(math.exp(2.0) + BATCH - 1) - 2.0)  # each row: softmax over [2, 0, ..., 0]


@pytest.mark.parametrize("rating_weight, retrieval_weight", [(1.0, 0.0), (0.0, 1.0), (1.0, 1.0), (0.3, 0.002)])
def test_total_loss_is_the_weighted_sum_of_the_task_losses(rating_weight, retrieval_weight):
    model = handcrafted_model(rating_weight, retrieval_weight)
    total = float(model.compute_loss(batch(RATINGS)))
    expected = rating_weight * EXPECTED_RATING_LOSS + retrieval_weight * EXPECTED_RETRIEVAL_LOSS
    assert total == pytest.approx(expected, rel=1e-6)


def test_task_losses_have_their_closed_forms():
    rating_loss, retrieval_loss = handcrafted_model(1.0, 1.0).task_losses(*batch(RATINGS).values())
    assert float(rating_loss) == pytest.approx(EXPECTED_RATING_LOSS, rel=1e-6)
    assert float(retrieval_loss) == pytest.approx(EXPECTED_RETRIEVAL_LOSS, rel=1e-6)


def test_a_task_weighted_zero_is_not_computed():
    features = batch(RATINGS)
    ratings_only = handcrafted_model(1.0, 0.0).task_losses(*features.values())
    retrieval_only = handcrafted_model(0.0, 1.0).task_losses(*features.values())
    assert float(ratings_only[1]) == 0.0 and float(retrieval_only[0]) == 0.0


def test_the_losses_equal_tfrs_ranking_and_retrieval_tasks():
    rng = np.random.default_rng(0)
    model = MultiTaskModel(50, 40, 1.0, 1.0)
    users = tf.constant(rng.integers(1, 51, size=300), tf.int32)
    titles = tf.constant(rng.integers(1, 41, size=300), tf.int32)
    ratings = tf.constant(rng.integers(1, 6, size=300), tf.float32)
    rating_loss, retrieval_loss = model.task_losses(users, titles, ratings)
    user_embeddings, movie_embeddings = model.user_embedding(users), model.movie_embedding(titles)
    predictions = model.rating_model(tf.concat([user_embeddings, movie_embeddings], axis=1))
    assert float(rating_loss) == pytest.approx(float(tfrs.tasks.Ranking(loss=tf.keras.losses.MeanSquaredError())(labels=ratings, predictions=predictions)), rel=1e-6)
    assert float(retrieval_loss) == pytest.approx(float(tfrs.tasks.Retrieval()(user_embeddings, movie_embeddings)), rel=1e-5)


@pytest.mark.parametrize("rows", [1, 255, 256, 700])  # within one block, at the edge, across blocks
def test_blocked_softmax_loss_and_gradients_equal_tfrs_retrieval(rows):
    rng = np.random.default_rng(rows)
    queries = tf.Variable(rng.normal(scale=2.0, size=(rows, 16)).astype(np.float32))
    candidates = tf.Variable(rng.normal(scale=2.0, size=(rows, 16)).astype(np.float32))
    with tf.GradientTape(persistent=True) as tape:
        expected = tfrs.tasks.Retrieval()(queries, candidates)
        blocked = in_batch_softmax_loss(queries, candidates)
    assert float(blocked) == pytest.approx(float(expected), rel=1e-5)
    for variable in (queries, candidates):
        np.testing.assert_allclose(tape.gradient(blocked, variable), tape.gradient(expected, variable), atol=1e-5)


def test_blocked_softmax_loss_is_stable_for_large_scores():
    queries = tf.constant([[100.0, 0.0], [0.0, 100.0]])
    candidates = tf.constant([[1.0, 0.0], [0.0, 1.0]])
    assert float(in_batch_softmax_loss(queries, candidates)) == pytest.approx(2 * math.log1p(math.exp(-100.0)), abs=1e-6)


def test_parameter_count_is_the_tutorials():
    """MovieLens 100K: (943+1)*32 + (1664+1)*32 + (64*256+256) + (256*128+128) + (128+1) = 133,153."""
    model = MultiTaskModel(943, 1664, 1.0, 1.0)
    assert parameter_count(model) == (943 + 1) * 32 + (1664 + 1) * 32 + (64 * 256 + 256) + (256 * 128 + 128) + (128 + 1)
    assert parameter_count(model) == 133_153


# --- sparse ratings: a NaN rating is a row without a rating label (sweep.data.rated) ---------------

PARTLY_RATED = [1.0, float("nan"), 3.0, float("nan"), 5.0, 5.0]


def test_the_rating_loss_over_a_partly_rated_batch_is_the_mean_over_its_rated_rows():
    model = handcrafted_model(1.0, 1.0)
    model.partly_rated = True
    rating_loss, retrieval_loss = model.task_losses(*batch(PARTLY_RATED).values())
    rated = [rating for rating in PARTLY_RATED if not math.isnan(rating)]
    assert float(rating_loss) == pytest.approx(sum((rating - 3.5) ** 2 for rating in rated) / len(rated), rel=1e-6)
    assert float(retrieval_loss) == pytest.approx(EXPECTED_RETRIEVAL_LOSS, rel=1e-6)  # every row still retrieves


def test_the_partly_rated_loss_and_its_gradient_equal_an_independent_computation():
    from sweep.model import rated_mean_squared_error

    rng = np.random.default_rng(4)
    ratings = rng.integers(1, 6, size=50).astype(np.float32)
    rated = rng.random(50) < 0.3
    predictions = tf.Variable(rng.normal(3.0, 1.0, size=50).astype(np.float32))
    with tf.GradientTape() as tape:
        loss = rated_mean_squared_error(tf.constant(np.where(rated, ratings, np.nan)), predictions)
    errors = predictions.numpy().astype(np.float64) - ratings
    assert float(loss) == pytest.approx(np.mean(errors[rated] ** 2), rel=1e-6)
    np.testing.assert_allclose(tape.gradient(loss, predictions), np.where(rated, 2 * errors / rated.sum(), 0.0),
                               rtol=1e-5, atol=1e-7)


def test_a_batch_without_a_rated_row_has_no_rating_term_and_no_nan():
    model = handcrafted_model(1.0, 1.0)
    model.partly_rated = True
    features = batch([float("nan")] * BATCH)
    with tf.GradientTape(persistent=True) as tape:
        rating_loss, retrieval_loss = model.task_losses(*features.values())
        total = model.compute_loss(features)
    assert float(rating_loss) == 0.0
    assert float(total) == pytest.approx(EXPECTED_RETRIEVAL_LOSS, rel=1e-6)
    gradients = tape.gradient(rating_loss, model.rating_model.trainable_variables)
    assert all(np.all(np.asarray(gradient) == 0.0) for gradient in gradients)
    embeddings = tape.gradient(total, [model.user_embedding.embeddings, model.movie_embedding.embeddings])
    assert all(np.isfinite(tf.convert_to_tensor(gradient).numpy()).all() for gradient in embeddings)


def test_a_task_weighted_zero_is_still_not_computed_when_ratings_are_sparse():
    features = batch(PARTLY_RATED)
    ratings_only, retrieval_only = handcrafted_model(1.0, 0.0), handcrafted_model(0.0, 1.0)
    ratings_only.partly_rated = retrieval_only.partly_rated = True
    assert float(ratings_only.task_losses(*features.values())[1]) == 0.0
    assert float(retrieval_only.task_losses(*features.values())[0]) == 0.0  # NaN ratings never read
    assert float(retrieval_only.compute_loss(features)) == pytest.approx(EXPECTED_RETRIEVAL_LOSS, rel=1e-6)


def test_with_every_row_rated_the_model_uses_the_tutorials_loss_op_unless_told_otherwise():
    # The default model is not partly rated: its rating loss is mean_squared_error, TFRS's Ranking loss.
    assert MultiTaskModel(5, 5, 1.0, 1.0).partly_rated is False
    model = handcrafted_model(1.0, 1.0)
    model.partly_rated = True  # on fully rated data the rated-rows mean is the plain mean
    assert float(model.task_losses(*batch(RATINGS).values())[0]) == pytest.approx(EXPECTED_RATING_LOSS, rel=1e-6)
