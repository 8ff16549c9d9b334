"""A conditioned model evaluated at many weight pairs at once: each pair's metrics are `evaluate`'s at that pair.

The hit counts are equal, not close: both paths score the positive as the sum of the elementwise
product and the candidates by tf.matmul, and a row of a product is the same floats whatever rows
share it (from 16 rows up; the last test holds TensorFlow to that). RMSE differs by float rounding
only: the batched path sums the rating MLP's first layer in another order.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import tensorflow as tf

import sweep  # noqa: F401
from sweep import data, evaluation
from sweep.conditioned import ConditionedModel, train_conditioned
from sweep.config import TrainConfig
from sweep.data.prepared import prepare
from sweep.evaluation import evaluate, evaluate_at_pairs, kth_highest_scores
from sweep.training import training_batches

pytestmark = pytest.mark.slow  # builds and trains models with TensorFlow

# the tutorial's three (both single-task ones), inside and outside the trained ranges, the ranges' corners;
# no two of one ratio (a ratio-encoded model serves those alike)
PAIRS = [(1.0, 0.0), (0.0, 1.0), (1.0, 1.0), (16.77, 0.1013), (0.3, 0.002), (1e4, 1e-3), (0.1, 1.0), (250.0, 0.5)]
RANGES = {"rating_weight": (0.1, 1e4), "retrieval_weight": (1e-3, 1.0)}


@pytest.fixture(scope="module")
def prepared(synthetic_dataset):
    return prepare(synthetic_dataset, data.load_split(synthetic_dataset, seed=42))


@pytest.fixture(scope="module", params=["weights", "ratio", "ratio, no FiLM"])
def model(prepared, request):
    """Trained one epoch (single-task rows included), then its FiLM's last layer pushed far from zero so
    that every pair serves clearly different user vectors; each way a pair can be encoded, and without
    FiLM (one query vector per user at every pair: its hits are counted once)."""
    tf.keras.utils.set_random_seed(4)
    encoding, _, film = request.param.partition(", ")
    model = ConditionedModel(len(prepared.user_vocabulary), len(prepared.title_vocabulary), encoding=encoding,
                             conditioning_width=0 if film else 16)
    config = TrainConfig(epochs=1, batch_size=1024)
    train_conditioned(model, tf.keras.optimizers.Adagrad(0.1), training_batches(prepared.train, config, 4), 1, RANGES,
                      4, zero_share=0.2)
    if model.film is not None:
        last = model.film.layers[-1]
        last.kernel.assign(last.kernel + tf.random.normal(last.kernel.shape, stddev=0.5, seed=4))
    return model


SMALL_BLOCKS = {"QUERY_ROWS": 3 * 300, "RATING_ROWS": 700, "POSITIVE_ROWS": 500, "SCORE_ELEMENTS": 50 * 400}


@pytest.mark.parametrize("blocks", ["shipped", "small"])
def test_many_pairs_at_once_give_each_pairs_metrics_alone(model, prepared, blocks, monkeypatch):
    if blocks == "small":  # 300 users, 400 candidates: calls of 3 pairs, several blocks of rows and of scores
        for name, value in SMALL_BLOCKS.items():
            monkeypatch.setattr(evaluation, name, value)
    candidates = prepared.candidates["all_entries"]  # duplicated titles: ties with the positive
    batched = evaluate_at_pairs(model, PAIRS, prepared.test, candidates)
    for pair, metrics in zip(PAIRS, batched):
        alone = evaluate(model.at(*pair), prepared.test, candidates, 4096)
        assert metrics.keys() == alone.keys()
        for name in alone:
            if name.startswith("top_"):
                assert metrics[name] == alone[name], (pair, name)  # the same hits, row for row
            else:
                assert metrics[name] == pytest.approx(alone[name], rel=1e-6), (pair, name)
    assert len({tuple(metrics.values()) for metrics in batched}) == len(PAIRS)  # conditioning matters here


def test_a_pairs_metrics_do_not_depend_on_the_pairs_evaluated_with_it(model, prepared):
    candidates = prepared.candidates["all_entries"]
    together = evaluate_at_pairs(model, PAIRS, prepared.test, candidates)
    for index in (0, 3, len(PAIRS) - 1):
        assert evaluate_at_pairs(model, [PAIRS[index]], prepared.test, candidates) == [together[index]]
    assert evaluate_at_pairs(model, PAIRS[::-1], prepared.test, candidates) == together[::-1]


class TwoUsers:
    """A hand-made model served at pairs: user 1's vector is (pair's rating weight, 0), user 2's (0, 1);
    movie t's vector is (t, 0) for t = 1..4 plus title 5 at (2, 0) again; every rating predicted 3."""

    movies = tf.constant([[0.0, 0.0], [1.0, 0.0], [2.0, 0.0], [3.0, 0.0], [4.0, 0.0], [2.0, 0.0]])

    def movie_embedding(self, ids):
        return tf.gather(self.movies, ids)

    def features(self, pairs):
        return tf.constant(pairs)

    def user_vectors_at_pairs(self, user_ids, features):
        first = tf.stack([features[:, 0], tf.zeros_like(features[:, 0])], axis=1)[:, None, :]
        return tf.concat([first, tf.tile(tf.constant([[[0.0, 1.0]]]), [tf.shape(features)[0], 1, 1])], axis=1)

    def ratings_at_pairs(self, user_vectors, features):
        return lambda user_rows, movie_vectors: tf.fill([tf.shape(user_vectors)[0], tf.shape(user_rows)[0]], 3.0)


def test_the_hit_rule_counts_strictly_higher_candidates_and_ties_are_hits():
    # Candidates 1..5 score t · w for user 1 at rating weight w: 1, 2, 3, 4 and 2 (title 5 ties title 2).
    # Title 2: only 3 and 4 score strictly higher (title 5 ties): a top-3 hit, a top-2 miss. Title 4: top 1.
    # User 2 scores every candidate 0: a tie for all five, so each of its rows is a hit at every k.
    test = {"user_id": np.array([1, 1, 2], np.int32), "movie_title": np.array([2, 4, 1], np.int32),
            "user_rating": np.array([3.0, 5.0, 1.0], np.float32)}
    metrics = evaluate_at_pairs(TwoUsers(), [(1.0, 0.5), (2.0, 0.5)], test, np.arange(1, 6, dtype=np.int32),
                                top_k=(1, 2, 3, 10))
    rmse = math.sqrt((0 + 4 + 4) / 3)
    expected = {"top_1_accuracy": 2 / 3, "top_2_accuracy": 2 / 3, "top_3_accuracy": 1.0, "top_10_accuracy": 1.0,
                "rmse": rmse}
    assert metrics[0] == pytest.approx(expected) and metrics[1] == pytest.approx(expected)  # scale changes no rank


def test_the_kth_highest_score_counts_tied_candidates_each():
    queries = tf.constant([[1.0, 0.0], [0.0, 1.0]])
    candidates = tf.constant([[3.0, 0.0], [2.0, 0.0], [2.0, 0.0], [1.0, 0.0]])
    # query 1 scores 3, 2, 2, 1: its 1st, 2nd and 3rd highest are 3, 2, 2; there is no 5th (-inf: all hit)
    expected = [[3.0, 2.0, 2.0, -np.inf], [0.0, 0.0, 0.0, -np.inf]]
    np.testing.assert_array_equal(kth_highest_scores(queries, candidates, top_k=(1, 2, 3, 5)), expected)


def test_the_kth_highest_scores_are_a_full_sorts_over_many_blocks_and_ties():
    # Small integers: every score is exact, so a plain sort of the same products is the independent answer.
    rng = np.random.default_rng(3)
    queries = rng.integers(-3, 4, size=(2000, 8)).astype(np.float32)  # several sorted blocks of 1,682 candidates
    candidates = rng.integers(-3, 4, size=(1682, 8)).astype(np.float32)
    ordered = np.sort(queries @ candidates.T, axis=1)
    top_k = (1, 5, 10, 50, 100, 1682, 2000)
    expected = np.stack([ordered[:, 1682 - k] if k <= 1682 else np.full(2000, -np.inf) for k in top_k], axis=1)
    np.testing.assert_array_equal(kth_highest_scores(tf.constant(queries), tf.constant(candidates), top_k), expected)


@pytest.mark.parametrize("inner", [4, 16, 32])
def test_a_products_row_is_the_same_floats_whatever_rows_share_the_product(inner):
    # What "equal, not close" rests on: the per-pair path multiplies 4,096-row batches, the batched path
    # users × pairs rows; TensorFlow's CPU kernels give a row the same floats in both from 16 rows up.
    # (The FiLM's products have 4 and 16 inputs, the scores 32.) Sums along rows, likewise.
    rng = np.random.default_rng(inner)
    rows, other = (tf.constant(rng.normal(size=(size, inner)), tf.float32) for size in (5000, 300))
    whole = tf.matmul(rows, other, transpose_b=True).numpy()
    products = rows * rows[::-1]
    sums = tf.reduce_sum(tf.reshape(products, [10, 500, inner]), axis=2).numpy().reshape(-1)
    for count in (16, 100, 943, 4096):
        np.testing.assert_array_equal(tf.matmul(rows[:count], other, transpose_b=True).numpy(), whole[:count])
        np.testing.assert_array_equal(tf.reduce_sum(products[:count], axis=1).numpy(), sums[:count])


def test_each_pair_is_encoded_alone_as_the_model_served_at_that_pair_encodes_it(model, prepared, monkeypatch):
    # 131 pairs log-uniform over the box: encoded together, a vectorised logarithm rounds some of them
    # otherwise than alone; evaluation must see each pair's features as FixedPair computes them
    rng = np.random.default_rng(7)
    pairs = [(float(r), float(t)) for r, t in zip(10 ** rng.uniform(-1, 4, 131), 10 ** rng.uniform(-3, 0, 131))]
    seen = []
    real = model.user_vectors_at_pairs
    monkeypatch.setattr(model, "user_vectors_at_pairs", lambda users, features: seen.append(features) or real(users, features))
    evaluate_at_pairs(model, pairs, prepared.test, prepared.candidates["all_entries"])
    features = np.concatenate([f.numpy() for f in seen])
    alone = np.concatenate([model.features(tf.constant([pair], tf.float32)).numpy() for pair in pairs])
    assert np.array_equal(features, alone)
    assert np.array_equal(model.at(*pairs[5])._features(3).numpy(), np.repeat(alone[5:6], 3, axis=0))
