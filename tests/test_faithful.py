"""The trial is the tutorial's trial: for one seed, the tutorial's code as written
(benchmarks/tutorial_reference.py) and sweep's trial start from the same weights, see
the same batches in the same order, and end with the same metrics."""

from __future__ import annotations

import numpy as np
import pytest

import sweep  # noqa: F401
import tensorflow as tf

from benchmarks.tutorial_reference import MovielensModel, run_tutorial_trial, tutorial_datasets
from sweep import data
from sweep.config import TOP_K, ModelConfig, TrainConfig
from sweep.data.prepared import prepare
from sweep.model import build_model
from sweep.training import training_batches
from sweep.trial import train_and_evaluate

pytestmark = pytest.mark.slow  # trains real models with TensorFlow

SEED = 11


@pytest.fixture(scope="module")
def split(synthetic_dataset):
    return data.load_split(synthetic_dataset, seed=42)


@pytest.fixture(scope="module")
def prepared(synthetic_dataset, split):
    return prepare(synthetic_dataset, split)


@pytest.fixture(scope="module")
def reference_data(synthetic_dataset, split):
    return tutorial_datasets(synthetic_dataset, split)


def tutorial_model_as_built(seed, reference_data):
    """The tutorial's model right after construction and its first call (which builds the rest)."""
    train, _, movies, titles, users = reference_data
    tf.keras.utils.set_random_seed(seed)
    model = MovielensModel(1.0, 1.0, movies, titles, users)
    first = next(iter(train.batch(8)))
    model({"user_id": first["user_id"], "movie_title": first["movie_title"]})
    return model


def weight_pairs(tutorial_model, our_model) -> list[tuple]:
    """(tutorial's variable, ours) for every weight: movie and user tables, then the rating MLP."""
    return [
        (tutorial_model.movie_model.layers[1].embeddings, our_model.movie_embedding.embeddings),
        (tutorial_model.user_model.layers[1].embeddings, our_model.user_embedding.embeddings),
        *zip(tutorial_model.rating_model.weights, our_model.rating_model.weights),
    ]


def joint_model(prepared):
    return build_model(ModelConfig(), len(prepared.user_vocabulary), len(prepared.title_vocabulary), 1.0, 1.0)


def test_same_seed_same_initial_weights_as_the_tutorials_code(prepared, reference_data):
    tutorial = tutorial_model_as_built(SEED, reference_data)
    tf.keras.utils.set_random_seed(SEED)
    ours = joint_model(prepared)

    pairs = weight_pairs(tutorial, ours)
    assert len(pairs) == 2 + 6
    for theirs, mine in pairs:
        np.testing.assert_array_equal(theirs.numpy(), mine.numpy(), err_msg=theirs.name)


def test_a_different_seed_gives_different_initial_weights(prepared):
    tf.keras.utils.set_random_seed(SEED)
    one = joint_model(prepared).movie_embedding.embeddings.numpy()
    tf.keras.utils.set_random_seed(SEED + 1)
    other = joint_model(prepared).movie_embedding.embeddings.numpy()
    assert not np.array_equal(one, other)


def batches_fit_trains_on(reference_data, seed, batch_size):
    """The batches the tutorial's `model.fit(cached_train, ...)` used: its cache, once filled."""
    train, _, movies, titles, users = reference_data
    tf.keras.utils.set_random_seed(seed)
    model = MovielensModel(1.0, 0.0, movies, titles, users)
    model.compile(optimizer=tf.keras.optimizers.Adagrad(0.1))
    cached_train = train.shuffle(100_000).batch(batch_size).cache()
    model.fit(cached_train, epochs=1, verbose=0)
    return list(cached_train)


@pytest.mark.parametrize("batch_size", [8192, 1000])
def test_same_seed_same_batches_in_the_same_order_as_the_tutorials_fit(prepared, reference_data, batch_size):
    theirs = batches_fit_trains_on(reference_data, SEED, batch_size)
    ours = training_batches(prepared.train, TrainConfig(batch_size=batch_size), SEED)

    assert [len(batch["user_id"]) for batch in theirs] == [len(batch[0]) for batch in ours]
    users = np.array(prepared.user_vocabulary)
    titles = np.array(prepared.title_vocabulary)
    for their_batch, (user_ids, title_ids, ratings) in zip(theirs, ours):
        assert [u.decode() for u in their_batch["user_id"].numpy()] == list(users[user_ids.numpy() - 1])
        assert [t.decode() for t in their_batch["movie_title"].numpy()] == list(titles[title_ids.numpy() - 1])
        np.testing.assert_array_equal(their_batch["user_rating"].numpy(), ratings.numpy())


def boundary_pairs(model, test, candidate_ids, k, tolerance=1e-4) -> int:
    """Test pairs whose true title's score is within float rounding of the k-th best score.

    The tutorial's top-k compares a positive score computed one way (a sum of products)
    with candidate scores computed another (a matmul), so for these pairs a hit depends
    on the last bit: two runs that agree to 1e-6 may still count them differently.
    """
    users = model.user_embedding(test["user_id"])
    positives = tf.reduce_sum(users * model.movie_embedding(test["movie_title"]), axis=1).numpy()
    scores = tf.matmul(users, model.movie_embedding(candidate_ids), transpose_b=True).numpy()
    kth = -np.sort(-scores, axis=1)[:, k - 1]
    return int(np.sum(np.abs(kth - positives) <= tolerance * np.maximum(1.0, np.abs(positives))))


@pytest.mark.parametrize("weights", [(1.0, 0.0), (0.0, 1.0), (1.0, 1.0)])
def test_same_seed_same_trained_model_and_metrics_as_the_tutorials_code(prepared, reference_data, weights):
    theirs = run_tutorial_trial(*weights, seed=SEED, datasets=reference_data, keep_model=True)
    ours = train_and_evaluate(*weights, seed=SEED, model_config=ModelConfig(), train_config=TrainConfig(),
                              data=prepared, keep_model=True)
    our_model = ours.model

    for their_weights, our_weights in weight_pairs(theirs["model"], our_model):  # equal up to float summation order
        np.testing.assert_allclose(our_weights.numpy(), their_weights.numpy(), atol=1e-5, err_msg=their_weights.name)

    assert ours.metrics["rmse"] == pytest.approx(theirs["metrics"]["rmse"], abs=1e-4)
    n_test = len(prepared.test["user_id"])
    for k in TOP_K:
        their_hits = round(theirs["metrics"][f"top_{k}_accuracy"] * n_test)
        our_hits = round(ours.metrics[f"top_{k}_accuracy"] * n_test)
        undecided = boundary_pairs(our_model, prepared.test, prepared.candidates["all_entries"], k)
        assert abs(our_hits - their_hits) <= undecided, f"top-{k}: {our_hits} vs {their_hits} hits, {undecided} on the boundary"
