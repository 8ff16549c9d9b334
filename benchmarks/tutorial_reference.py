"""The TFRS multi-task tutorial's trial, as the tutorial writes it: the reference for speed and metrics.

Kept verbatim in its mathematics and its pipeline (string lookups inside the model,
FactorizedTopK computed on every training batch, dense identity labels, tf.data with
shuffle(100_000).batch(8192).cache(), Keras fit/evaluate). Two additions only: the
data comes from sweep's cached split instead of TFDS, and the seed is set, so runs
can be compared with the harness's trial seed for seed.
"""

from __future__ import annotations

import time
from typing import Dict, Text

import numpy as np

import sweep  # noqa: F401  (selects Keras 2 before TensorFlow loads)
import tensorflow as tf
import tensorflow_recommenders as tfrs


def tutorial_datasets(dataset, split):
    """tf.data pipelines shaped like the tutorial's TFDS ones."""

    def as_tf(frame):
        return tf.data.Dataset.from_tensor_slices(
            {
                "movie_title": _utf8(frame["movie_title"]),
                "user_id": _utf8(frame["user_id"]),
                "user_rating": frame["user_rating"].to_numpy(dtype=np.float32),
            }
        )

    movies = tf.data.Dataset.from_tensor_slices(_utf8(dataset.movies["movie_title"]))
    train = as_tf(split.train)
    test = as_tf(split.test)
    unique_movie_titles = np.unique(np.concatenate(list(movies.batch(1_000))))
    unique_user_ids = np.unique(
        np.concatenate(list(as_tf(dataset.ratings).batch(1_000_000).map(lambda x: x["user_id"])))
    )
    return train, test, movies, unique_movie_titles, unique_user_ids


def _utf8(column) -> np.ndarray:
    return np.array([value.encode("utf-8") for value in column], dtype=object)


class MovielensModel(tfrs.models.Model):
    def __init__(self, rating_weight: float, retrieval_weight: float, movies, unique_movie_titles, unique_user_ids):
        super().__init__()
        embedding_dimension = 32
        self.movie_model: tf.keras.layers.Layer = tf.keras.Sequential(
            [
                tf.keras.layers.StringLookup(vocabulary=unique_movie_titles, mask_token=None),
                tf.keras.layers.Embedding(len(unique_movie_titles) + 1, embedding_dimension),
            ]
        )
        self.user_model: tf.keras.layers.Layer = tf.keras.Sequential(
            [
                tf.keras.layers.StringLookup(vocabulary=unique_user_ids, mask_token=None),
                tf.keras.layers.Embedding(len(unique_user_ids) + 1, embedding_dimension),
            ]
        )
        self.rating_model = tf.keras.Sequential(
            [
                tf.keras.layers.Dense(256, activation="relu"),
                tf.keras.layers.Dense(128, activation="relu"),
                tf.keras.layers.Dense(1),
            ]
        )
        self.rating_task: tf.keras.layers.Layer = tfrs.tasks.Ranking(
            loss=tf.keras.losses.MeanSquaredError(),
            metrics=[tf.keras.metrics.RootMeanSquaredError()],
        )
        self.retrieval_task: tf.keras.layers.Layer = tfrs.tasks.Retrieval(
            metrics=tfrs.metrics.FactorizedTopK(candidates=movies.batch(128).map(self.movie_model))
        )
        self.rating_weight = rating_weight
        self.retrieval_weight = retrieval_weight

    def call(self, features: Dict[Text, tf.Tensor]) -> tf.Tensor:
        user_embeddings = self.user_model(features["user_id"])
        movie_embeddings = self.movie_model(features["movie_title"])
        return (
            user_embeddings,
            movie_embeddings,
            self.rating_model(tf.concat([user_embeddings, movie_embeddings], axis=1)),
        )

    def compute_loss(self, features: Dict[Text, tf.Tensor], training=False) -> tf.Tensor:
        ratings = features.pop("user_rating")
        user_embeddings, movie_embeddings, rating_predictions = self(features)
        rating_loss = self.rating_task(labels=ratings, predictions=rating_predictions)
        retrieval_loss = self.retrieval_task(user_embeddings, movie_embeddings)
        return self.rating_weight * rating_loss + self.retrieval_weight * retrieval_loss


def run_tutorial_trial(rating_weight: float, retrieval_weight: float, seed: int, datasets, keep_model: bool = False) -> dict:
    """Fit 3 epochs and evaluate, exactly as the tutorial; returns metrics and seconds (and the model)."""
    train, test, movies, unique_movie_titles, unique_user_ids = datasets
    started = time.perf_counter()
    tf.keras.utils.set_random_seed(seed)
    model = MovielensModel(rating_weight, retrieval_weight, movies, unique_movie_titles, unique_user_ids)
    model.compile(optimizer=tf.keras.optimizers.Adagrad(0.1))
    cached_train = train.shuffle(100_000).batch(8192).cache()
    cached_test = test.batch(4096).cache()
    model.fit(cached_train, epochs=3, verbose=0)
    fitted = time.perf_counter()
    metrics = model.evaluate(cached_test, return_dict=True, verbose=0)
    finished = time.perf_counter()
    return ({"model": model} if keep_model else {}) | {
        "metrics": {
            **{f"top_{k}_accuracy": float(metrics[f"factorized_top_k/top_{k}_categorical_accuracy"]) for k in (1, 5, 10, 50, 100)},
            "rmse": float(metrics["root_mean_squared_error"]),
        },
        "seconds": {"train": fitted - started, "evaluate": finished - fitted, "total": finished - started},
    }
