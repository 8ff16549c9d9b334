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

`evaluate_at_pairs` evaluates a conditioned model at many weight pairs at once, each pair's
metrics those `evaluate` gives it. What it exploits, and why the numbers stay the same:

- A query vector depends only on (user, pair), so each pair scores the test split's distinct
  users against the shared candidates once (942 × 1,682 on MovieLens 100K, not 20,000 × 1,682).
  From a user's sorted scores, a test row is a top-k hit exactly when its positive scores at
  least the k-th highest candidate score: then fewer than k score strictly higher (`evaluate`'s
  rule, ties hits). The positive is the sum of the elementwise product and the candidates' scores
  are tf.matmul products in blocks of CANDIDATE_BLOCK, as `evaluate` computes them, so the hit
  counts are equal, not close: a product's row is the same floats whatever rows share the
  product (TensorFlow's CPU kernels, from 16 rows up; tests/test_evaluation.py checks it).
- The rating MLP is the real cost (a 256 × 128 product per pair and test row). The model's
  `ratings_at_pairs` computes what a user or a pair gives its first layer once and runs the
  rest on many pairs' rows per product, each block compiled by XLA (the first layer's gather, sum
  and activation one pass over memory, not three). Predictions, and RMSE, equal `evaluate`'s up to float
  rounding (its first-layer sum is in another order); RMSE is summed in float64 from each row's
  prediction, so a pair's metrics do not depend on which pairs it was evaluated with.
- Blocks are bounded (QUERY_ROWS, RATING_ROWS, POSITIVE_ROWS, SCORE_ELEMENTS): a few hundred MiB at most.

A model served at many pairs has `features(pairs)` (how the model encodes a pair: its own
business), `user_vectors_at_pairs(user_ids, features)`, `ratings_at_pairs(user_vectors, features)`
and `movie_embedding` (sweep.conditioned's ConditionedModel).
Knows nothing of training or of studies. TensorFlow is imported when a model is evaluated.
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

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


QUERY_ROWS = 65_536  # (pair, user) vectors per call: with the rating MLP's user part, 72 MiB at 256 units
RATING_ROWS = 65_536  # (pair, test row)s per rating MLP product: 64 MiB of first-layer activations (larger ran faster here)
POSITIVE_ROWS = 262_144  # (pair, test row)s whose query vectors are gathered at a time: 32 MiB at 32 dimensions
SCORE_ELEMENTS = 2**20  # candidate scores per sorted block: 4 MiB, in cache (a few blocks held at once)


def evaluate_at_pairs(model, pairs, test_data: dict, candidate_ids: np.ndarray, top_k=TOP_K) -> list[dict]:
    """`evaluate`'s metrics of a model served at each of `pairs` (rating weight, retrieval weight), in order:
    as many pairs per call as QUERY_ROWS holds the test split's users for."""
    import tensorflow as tf

    users, user_rows = np.unique(test_data["user_id"], return_inverse=True)
    rows = SplitRows(user_rows.astype(np.int32), model.movie_embedding(tf.constant(test_data["movie_title"])),
                    np.asarray(test_data["user_rating"], np.float64))
    candidates = model.movie_embedding(tf.constant(candidate_ids))
    per_call = max(1, QUERY_ROWS // len(users))
    metrics = []
    for start in range(0, len(pairs), per_call):
        features = pair_features(model, pairs[start:start + per_call])
        metrics += _evaluate_call(model, features, tf.constant(users), rows, candidates, top_k)
    return metrics


def pair_features(model, pairs) -> Any:
    """[pairs, features]: each pair encoded alone, as a model served at that one pair encodes it. Encoded
    together, a logarithm may take another (vectorised) path and round a pair's features otherwise by an
    ulp, which moves scores enough to flip a hit at the k-th place."""
    import tensorflow as tf

    return tf.concat([model.features(tf.constant([pair], tf.float32)) for pair in pairs], axis=0)


@dataclass(frozen=True)
class SplitRows:
    """The test split as evaluation at many pairs reads it: each row's user (an index into the split's
    distinct users), its title's vector and its rating."""

    user_rows: np.ndarray
    movie_vectors: Any  # a tf.Tensor [rows, d]
    ratings: np.ndarray


def _evaluate_call(model, features, users, rows: SplitRows, candidates, top_k) -> list[dict]:
    import tensorflow as tf

    queries = model.user_vectors_at_pairs(users, features)  # [pairs, users, d]
    n_pairs, n_users, width = queries.shape
    # A model whose query vectors do not depend on the pair (a conditioned model without FiLM) retrieves
    # alike at every pair: its hits are counted once, from the first pair's (identical) vectors.
    retrieving = queries if getattr(model, "queries_depend_on_pair", True) else queries[:1]
    thresholds = kth_highest_scores(tf.reshape(retrieving, [-1, width]), candidates, top_k).reshape(
        int(retrieving.shape[0]), n_users, -1)
    positives = positive_scores(retrieving, rows.user_rows, rows.movie_vectors)
    hits = np.stack([np.sum(~(np.take(thresholds[:, :, column], rows.user_rows, axis=1) > positives), axis=1)
                     for column in range(len(top_k))], axis=1)
    hits = np.broadcast_to(hits, (n_pairs, len(top_k)))
    ratings_of = model.ratings_at_pairs(queries, features)
    predictions = np.empty((n_pairs, len(rows.user_rows)), np.float32)
    for start, stop in near_equal_blocks(len(rows.user_rows), max(1, RATING_ROWS // n_pairs)):
        predictions[:, start:stop] = ratings_of(tf.constant(rows.user_rows[start:stop]),
                                                rows.movie_vectors[start:stop]).numpy()
    mean_squared = np.mean(np.square(rows.ratings - predictions.astype(np.float64)), axis=1)
    return [{**{f"top_{k}_accuracy": float(count / len(rows.user_rows)) for k, count in zip(top_k, pair_hits)},
             "rmse": math.sqrt(error)} for pair_hits, error in zip(hits, mean_squared)]


def kth_highest_scores(queries, candidate_embeddings, top_k=TOP_K) -> np.ndarray:
    """[queries, len(top_k)]: each query's k-th highest candidate score for each k (-inf when k exceeds
    the candidates). A positive is a top-k hit exactly when it scores at least that: fewer than k
    candidates then score strictly higher. Scores as `_evaluate_batch` computes them; each block of
    them is ordered by a worker thread (NumPy's partition and sort release the GIL) while the next block is scored."""
    import tensorflow as tf

    n_queries, n_candidates = int(queries.shape[0]), int(candidate_embeddings.shape[0])
    ranks = [(column, n_candidates - k) for column, k in enumerate(top_k) if k <= n_candidates]
    thresholds = np.full((n_queries, len(top_k)), -np.inf, np.float32)

    lowest_rank = min((rank for _, rank in ranks), default=n_candidates)

    def sort_block(start: int, stop: int, scores: np.ndarray) -> None:
        # Only the top max(k) are needed in order: a partition puts them last, then they alone are sorted. Each
        # rank then holds what a full sort puts there (the same floats), for far less work than sorting every row.
        if lowest_rank < n_candidates:
            scores.partition(lowest_rank, axis=1)
            scores[:, lowest_rank:].sort(axis=1)
        for column, rank in ranks:
            thresholds[start:stop, column] = scores[:, rank]

    blocks = near_equal_blocks(n_queries, max(1, SCORE_ELEMENTS // n_candidates))
    query_blocks = tf.split(queries, [stop - start for start, stop in blocks])
    candidate_blocks = [candidate_embeddings[first:first + CANDIDATE_BLOCK] for first in range(0, n_candidates, CANDIDATE_BLOCK)]
    workers = os.cpu_count() or 1
    with ThreadPoolExecutor(workers) as pool:
        pending: list = []
        for (start, stop), query_block in zip(blocks, query_blocks):
            scores = np.concatenate([  # a copy, so sorting it in place leaves TensorFlow's buffers alone
                tf.matmul(query_block, candidates, transpose_b=True).numpy() for candidates in candidate_blocks], axis=1)
            pending.append(pool.submit(sort_block, start, stop, scores))
            if len(pending) > workers:  # at most workers + 1 blocks of scores held
                pending.pop(0).result()
        for future in pending:
            future.result()
    return thresholds


def positive_scores(queries, user_rows: np.ndarray, movie_vectors) -> np.ndarray:
    """[pairs, rows]: each test row's score of its own title at each pair (queries [pairs, users, d], row i
    the user user_rows[i] with movie_vectors[i]), the sum of the elementwise product as `_evaluate_batch` sums it."""
    import tensorflow as tf

    n_pairs = int(queries.shape[0])
    return np.concatenate([
        tf.reduce_sum(tf.gather(queries, user_rows[start:stop], axis=1) * movie_vectors[start:stop], axis=2).numpy()
        for start, stop in near_equal_blocks(len(user_rows), max(1, POSITIVE_ROWS // n_pairs))], axis=1)


def near_equal_blocks(total: int, most: int) -> list[tuple[int, int]]:
    """(start, stop) of as few blocks of at most `most` as cover `total`, their sizes differing by at most
    one: no small remainder block (a product of a few rows may take another kernel, other floats)."""
    count = max(1, -(-total // most))
    edges = [total * index // count for index in range(count + 1)]
    return list(zip(edges, edges[1:]))
