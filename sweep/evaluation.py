"""Evaluate a trained model, exactly: top-k accuracy over a candidate list, and RMSE.

Metrics are computed only here, once training is over, never per batch:

- top-k accuracy: the share of test (user, title) pairs whose true title scores at
  least as high as the k-th best candidate, i.e. fewer than k candidates score strictly
  higher. This is TFRS's FactorizedTopK (tf.math.in_top_k counts ties as hits), with
  the positive score computed the same way (sum of the elementwise product);
  tests/test_trial.py holds it against FactorizedTopK itself.
- RMSE over the whole test split.

A model is anything with `user_embedding`, `movie_embedding` and `predict_rating(users, movies)`:
the static model (sweep.model) and a conditioned model at one pair (sweep.conditioned's `at`).
Knows nothing of training or of studies. TensorFlow is imported when a model is evaluated.
"""

from __future__ import annotations

import math

import numpy as np

from sweep.config import TOP_K


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


def predicted_ratings(model, user_ids, title_ids) -> np.ndarray:
    """The model's predicted rating of each (user id, title id) pair (ids as sweep.data.prepared maps them)."""
    users, titles = np.asarray(user_ids, np.int32), np.asarray(title_ids, np.int32)
    return np.asarray(model.predict_rating(model.user_embedding(users), model.movie_embedding(titles)))


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
