"""The weight-conditioned model: the tutorial's model when conditioning is off, exact per-example weighting."""

from __future__ import annotations

import numpy as np
import pytest

import sweep  # noqa: F401
import tensorflow as tf

from sweep import data
from sweep.conditioned import ConditionedModel, draw_weights, train_conditioned, weighted_softmax_loss
from sweep.config import TrainConfig
from sweep.data.prepared import prepare
from sweep.model import MultiTaskModel
from sweep.trial import _batches, evaluate

pytestmark = pytest.mark.slow  # trains real models with TensorFlow

FAST = TrainConfig(epochs=1, batch_size=1024)
RANGES = {"rating_weight": (0.1, 1e4), "retrieval_weight": (1e-3, 1.0)}


@pytest.fixture(scope="module")
def prepared(synthetic_dataset):
    return prepare(synthetic_dataset, data.load_split(synthetic_dataset, seed=42))


def sizes(prepared):
    return len(prepared.user_vocabulary), len(prepared.title_vocabulary)


@pytest.mark.parametrize("pair", [(1.0, 1.0), (16.77, 0.1013), (0.3, 0.002)])
def test_with_conditioning_off_and_one_pair_it_is_the_tutorials_model(prepared, pair):
    user_ids, title_ids, ratings = _batches(prepared.train, FAST, seed=0)[0]
    tf.keras.utils.set_random_seed(0)
    tutorial = MultiTaskModel(*sizes(prepared), *pair)
    tf.keras.utils.set_random_seed(0)
    conditioned = ConditionedModel(*sizes(prepared), conditioned=False)
    rating_loss, retrieval_loss = tutorial.task_losses(user_ids, title_ids, ratings)
    weights = tf.constant(np.tile(pair, (int(user_ids.shape[0]), 1)), tf.float32)
    rating_term, retrieval_term, _ = conditioned.weighted_losses(user_ids, title_ids, ratings, weights)
    assert float(rating_term) == pytest.approx(pair[0] * float(rating_loss), rel=1e-5)
    assert float(retrieval_term) == pytest.approx(pair[1] * float(retrieval_loss), rel=1e-5)


def test_at_initialization_conditioning_changes_no_user_vector(prepared):
    # FiLM's last layer starts at zero: scale 1, shift 0, whatever the pair.
    model = ConditionedModel(*sizes(prepared))
    ids = tf.constant([1, 2, 3])
    assert np.allclose(model.at(5.0, 0.01).user_embedding(ids).numpy(), model.user_embedding(ids).numpy())


def test_the_weighted_softmax_and_its_gradients_match_autodiff_of_the_plain_formula():
    # 300 rows: a full block of 256 and a partial one of 44; duplicates of a candidate included.
    rng = np.random.default_rng(1)
    queries = tf.constant(rng.normal(size=(300, 8)), tf.float32)
    candidates = tf.constant(np.concatenate([rng.normal(size=(299, 8)), rng.normal(size=(1, 8))]), tf.float32)
    candidates = tf.tensor_scatter_nd_update(candidates, [[7]], [candidates[3]])
    row_weights = tf.constant(np.exp(rng.uniform(-3, 2, size=300)), tf.float32)

    def plain(q, c):
        scores = tf.matmul(q, c, transpose_b=True)
        cross_entropy = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=tf.range(300), logits=scores)
        return tf.reduce_sum(row_weights * cross_entropy)

    with tf.GradientTape(persistent=True) as tape:
        tape.watch([queries, candidates])
        ours = weighted_softmax_loss(queries, candidates, row_weights)
        expected = plain(queries, candidates)
    assert float(ours) == pytest.approx(float(expected), rel=1e-5)
    for mine, theirs in zip(tape.gradient(ours, [queries, candidates]), tape.gradient(expected, [queries, candidates])):
        np.testing.assert_allclose(mine.numpy(), theirs.numpy(), rtol=1e-4, atol=1e-5)


def test_draws_are_log_uniform_over_the_ranges():
    pairs = draw_weights(np.random.default_rng(0), RANGES, 20_000)
    for column, (low, high) in enumerate(RANGES.values()):
        assert pairs[:, column].min() >= low and pairs[:, column].max() <= high
        # log-uniform: the log's mean sits at the middle of the log range, its quartiles at 1/4 and 3/4
        logs = np.log10(pairs[:, column])
        middle, width = (np.log10(low) + np.log10(high)) / 2, np.log10(high) - np.log10(low)
        assert abs(logs.mean() - middle) < 0.02 * width
        assert np.quantile(logs, 0.25) == pytest.approx(middle - width / 4, abs=0.02 * width)


def trained_then_evaluated(prepared, seed, pair):
    tf.keras.utils.set_random_seed(seed)
    model = ConditionedModel(*sizes(prepared))
    optimizer = tf.keras.optimizers.Adagrad(learning_rate=0.1)
    history = train_conditioned(model, optimizer, _batches(prepared.train, FAST, seed), FAST.epochs, RANGES, seed)
    return history, evaluate(model.at(*pair), prepared.test, prepared.candidates["all_entries"], 4096)


def test_a_pair_evaluates_the_same_for_the_same_seed_and_differently_across_pairs(prepared):
    history, first = trained_then_evaluated(prepared, 3, (10.0, 0.1))
    _, again = trained_then_evaluated(prepared, 3, (10.0, 0.1))
    assert first == again
    assert all(np.isfinite(epoch["total_loss"]) for epoch in history)
    tf.keras.utils.set_random_seed(3)
    model = ConditionedModel(*sizes(prepared))
    train_conditioned(model, tf.keras.optimizers.Adagrad(0.1), _batches(prepared.train, FAST, 3), 1, RANGES, 3)
    candidates = prepared.candidates["all_entries"]
    at_rating_end = evaluate(model.at(1e4, 1e-3), prepared.test, candidates, 4096)
    at_retrieval_end = evaluate(model.at(0.1, 1.0), prepared.test, candidates, 4096)
    assert at_rating_end != at_retrieval_end  # one training, two trade-offs
