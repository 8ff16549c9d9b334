"""One trial: trains the tutorial's model, evaluates it exactly as TFRS would, reproducibly, and fails loudly."""

from __future__ import annotations

import dataclasses
import json
import math
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import sweep  # noqa: F401
import tensorflow as tf
import tensorflow_recommenders as tfrs

from sweep import data
from sweep.config import TOP_K, ModelConfig, TrainConfig
from sweep.data.prepared import prepare
from sweep.evaluation import evaluate
from sweep.trial import TrialFailed, train_and_evaluate

pytestmark = pytest.mark.slow  # trains real models with TensorFlow

FAST = TrainConfig(epochs=2, batch_size=1024)


@pytest.fixture(scope="module")
def prepared(synthetic_dataset):
    return prepare(synthetic_dataset, data.load_split(synthetic_dataset, seed=42))


@pytest.fixture(scope="module")
def trained(prepared):
    return train_and_evaluate(1.0, 1.0, 0, ModelConfig(), FAST, prepared, keep_model=True)


def factorized_top_k(model, test, candidate_ids, ks=TOP_K):
    """TFRS's own metric, fed the tutorial's way: candidates batched by 128, test batches of 4096."""
    candidates = tf.data.Dataset.from_tensor_slices(candidate_ids).batch(128).map(model.movie_embedding)
    metric = tfrs.metrics.FactorizedTopK(candidates=candidates, ks=ks)
    for start in range(0, len(test["user_id"]), 4096):
        metric.update_state(
            model.user_embedding(test["user_id"][start : start + 4096]),
            model.movie_embedding(test["movie_title"][start : start + 4096]),
        )
    return {f"top_{k}_accuracy": float(value) for k, value in zip(ks, metric.result())}


def test_prepare_uses_string_lookups_convention(synthetic_dataset, prepared):
    split = data.load_split(synthetic_dataset, seed=42)
    first_user = split.train["user_id"].iloc[0]
    assert prepared.user_vocabulary[prepared.train["user_id"][0] - 1] == first_user
    assert prepared.title_vocabulary[prepared.test["movie_title"][3] - 1] == split.test["movie_title"].iloc[3]
    assert len(prepared.candidates["all_entries"]) == len(synthetic_dataset.movies)
    assert len(prepared.candidates["unique_titles"]) == synthetic_dataset.movies["movie_title"].nunique()


def test_result_reports_every_top_k_rmse_losses_per_task_and_times(trained):
    assert set(trained.metrics) == {f"top_{k}_accuracy" for k in TOP_K} | {"rmse"}
    assert len(trained.epochs) == FAST.epochs
    for epoch in trained.epochs:
        assert epoch.total_loss == pytest.approx(epoch.rating_loss + epoch.retrieval_loss, rel=1e-5)
        assert epoch.seconds > 0
    assert trained.seconds.total >= trained.seconds.build + trained.seconds.train + trained.seconds.evaluate > 0
    accuracies = [trained.metrics[f"top_{k}_accuracy"] for k in TOP_K]
    assert accuracies == sorted(accuracies)  # top-k accuracy cannot fall as k grows


def test_brute_force_evaluation_equals_tfrs_factorized_top_k(trained, prepared):
    model = trained.model
    ours = evaluate(model, prepared.test, prepared.candidates["all_entries"], batch_size=4096)
    theirs = factorized_top_k(model, prepared.test, prepared.candidates["all_entries"])
    n_test = len(prepared.test["user_id"])
    for name, value in theirs.items():  # the same count of hits (TFRS reports a float32 share)
        assert round(ours[name] * n_test) == round(value * n_test), name


def test_rmse_is_the_root_of_the_mean_squared_error_over_the_test_split(trained, prepared):
    model = trained.model
    test = prepared.test
    predictions = model.predict_rating(model.user_embedding(test["user_id"]), model.movie_embedding(test["movie_title"]))
    expected = math.sqrt(float(np.mean((predictions.numpy() - test["user_rating"]) ** 2)))
    assert trained.metrics["rmse"] == pytest.approx(expected, rel=1e-5)


def test_duplicated_titles_take_slots_so_all_entries_ranks_no_better_than_unique(trained, prepared):
    model = trained.model
    all_entries = evaluate(model, prepared.test, prepared.candidates["all_entries"], 4096)
    unique = evaluate(model, prepared.test, prepared.candidates["unique_titles"], 4096)
    assert all(all_entries[f"top_{k}_accuracy"] <= unique[f"top_{k}_accuracy"] for k in TOP_K)


def test_a_trained_model_beats_an_untrained_one_on_both_tasks(prepared):
    untrained = train_and_evaluate(1.0, 1.0, 0, ModelConfig(), dataclasses.replace(FAST, epochs=0), prepared)
    trained = train_and_evaluate(1.0, 1.0, 0, ModelConfig(), dataclasses.replace(FAST, epochs=5, batch_size=512), prepared)
    assert trained.metrics["top_100_accuracy"] > 1.5 * untrained.metrics["top_100_accuracy"]
    assert trained.metrics["rmse"] < untrained.metrics["rmse"] - 0.5


def test_a_zero_weight_leaves_that_task_untrained(prepared):
    result = train_and_evaluate(0.0, 1.0, 0, ModelConfig(), FAST, prepared, keep_model=True)
    untouched = train_and_evaluate(0.0, 1.0, 0, ModelConfig(), dataclasses.replace(FAST, epochs=0), prepared, keep_model=True)
    for after, before in zip(result.model.rating_model.get_weights(), untouched.model.rating_model.get_weights()):
        np.testing.assert_array_equal(after, before)
    assert all(epoch.rating_loss == 0.0 for epoch in result.epochs)


def test_same_seed_same_metrics_in_one_process(prepared):
    first = train_and_evaluate(1.0, 0.5, 7, ModelConfig(), FAST, prepared)
    second = train_and_evaluate(1.0, 0.5, 7, ModelConfig(), FAST, prepared)
    other = train_and_evaluate(1.0, 0.5, 8, ModelConfig(), FAST, prepared)
    assert first.metrics == second.metrics
    assert first.metrics != other.metrics


def test_same_seed_same_metrics_in_fresh_processes(synthetic_dir):
    script = textwrap.dedent(
        f"""
        import json
        from sweep import data
        from sweep.config import ModelConfig, TrainConfig
        from sweep.data.prepared import prepare
        from sweep.trial import train_and_evaluate
        dataset = data.load({str(synthetic_dir)!r}, "synthetic")
        prepared = prepare(dataset, data.load_split(dataset, seed=42))
        result = train_and_evaluate(0.5, 1.0, 3, ModelConfig(), TrainConfig(epochs=2, batch_size=1024), prepared)
        print(json.dumps(result.metrics))
        """
    )
    runs = [
        json.loads(subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=300).stdout.splitlines()[-1])
        for _ in range(2)
    ]
    assert runs[0] == runs[1]


def test_a_non_finite_loss_fails_the_trial_with_that_reason(prepared):
    ratings = prepared.train["user_rating"].copy()
    ratings[5] = np.nan
    poisoned = dataclasses.replace(prepared, train={**prepared.train, "user_rating": ratings})
    with pytest.raises(TrialFailed) as failure:
        train_and_evaluate(1.0, 1.0, 0, ModelConfig(), FAST, poisoned)
    assert failure.value.reason == "non-finite loss"


def test_a_diverging_learning_rate_fails_instead_of_reporting_garbage(prepared):
    with pytest.raises(TrialFailed, match="non-finite"):
        train_and_evaluate(1.0, 1.0, 0, ModelConfig(), dataclasses.replace(FAST, learning_rate=1e30), prepared)


@pytest.mark.realdata
def test_one_short_real_trial_learns_retrieval_above_chance(real_dataset):
    prepared = prepare(real_dataset, data.load_split(real_dataset, seed=42))
    result = train_and_evaluate(0.0, 1.0, 0, ModelConfig(), TrainConfig(epochs=1), prepared)
    chance = 100 / len(real_dataset.movies)
    assert result.metrics["top_100_accuracy"] > 1.5 * chance


def test_with_fixed_weights_the_adaptive_step_trains_the_same_model_as_the_static_one(prepared):
    from sweep.model import build_model
    from sweep.training import train, train_adaptive, training_batches
    from sweep.weighting import Weighting

    results = []
    for adaptive in (False, True):
        tf.keras.utils.set_random_seed(3)
        model = build_model(ModelConfig(), len(prepared.user_vocabulary), len(prepared.title_vocabulary), 0.7, 0.2)
        optimizer = tf.keras.optimizers.Adagrad(learning_rate=FAST.learning_rate)
        batches = training_batches(prepared.train, FAST, 3)
        if adaptive:
            history = train_adaptive(model, optimizer, batches, FAST.epochs, Weighting(0.7, 0.2))
        else:
            history = train(model, optimizer, batches, FAST.epochs)
        results.append(([epoch.total_loss for epoch in history],
                        evaluate(model, prepared.test, prepared.candidates["all_entries"], 4096)))
    assert results[0] == results[1]


@pytest.mark.parametrize("method", ["uncertainty", "dwa", "dwa-epochs", "gradnorm", "normalized"])
def test_each_adaptive_method_trains_and_records_the_weights_of_every_step(prepared, method):
    result = train_and_evaluate(5.0, 5.0, 0, ModelConfig(), FAST, prepared, method=method)
    steps = result.weighting.steps
    batches = math.ceil(len(prepared.train["user_id"]) / FAST.batch_size)
    assert result.weighting.method == method and len(steps) == FAST.epochs * batches
    assert result.weighting.final == steps[-1] == list(result.epochs[-1].weights)
    assert all(math.isfinite(value) for value in result.metrics.values())
    first = {"uncertainty": [0.5, 1.0], "dwa": [1.0, 1.0], "dwa-epochs": [1.0, 1.0], "gradnorm": [1.0, 1.0]}
    if method in first:  # the given (5, 5) are ignored: each method starts where its paper does
        assert steps[0] == first[method]
    if method == "gradnorm":
        assert all(sum(weights) == pytest.approx(2.0) for weights in steps[1:])


def test_evaluation_in_blocks_of_candidates_counts_exactly_what_one_block_does(trained, prepared, monkeypatch):
    from sweep import evaluation

    whole = evaluate(trained.model, prepared.test, prepared.candidates["all_entries"], 4096)
    monkeypatch.setattr(evaluation, "CANDIDATE_BLOCK", 7)  # 400 candidates: 58 blocks, the last one short
    assert evaluate(trained.model, prepared.test, prepared.candidates["all_entries"], 4096) == whole


FRESH_OPTIMIZERS = {  # each optimizer as Keras builds it, at a learning rate it trains well with
    "adagrad": (0.1, lambda: tf.keras.optimizers.Adagrad(learning_rate=0.1)),
    "adam": (0.01, lambda: tf.keras.optimizers.Adam(learning_rate=0.01)),
    "sgd": (0.01, lambda: tf.keras.optimizers.SGD(learning_rate=0.01)),
}


@pytest.mark.parametrize("optimizer", sorted(FRESH_OPTIMIZERS))
def test_a_worker_reusing_its_traced_step_trains_what_a_fresh_model_and_optimizer_do(prepared, optimizer):
    # train_and_evaluate reuses one traced step per zero pattern and optimizer (training.traced_training),
    # resetting the weights and the optimizer's state per trial (its iteration count, Adagrad's accumulators,
    # Adam's moments); `train` builds everything anew.
    from sweep.model import build_model
    from sweep.training import train, traced_training, training_batches

    learning_rate, fresh_optimizer = FRESH_OPTIMIZERS[optimizer]
    config = dataclasses.replace(FAST, optimizer=optimizer, learning_rate=learning_rate)
    traced_training.cache_clear()
    first = train_and_evaluate(3.0, 0.5, 1, ModelConfig(), config, prepared)
    train_and_evaluate(40.0, 0.01, 2, ModelConfig(), config, prepared)  # same pattern: the same traced step, dirtied
    again = train_and_evaluate(3.0, 0.5, 1, ModelConfig(), config, prepared)
    assert traced_training.cache_info().currsize == 1 and traced_training.cache_info().hits == 2

    tf.keras.utils.set_random_seed(1)
    model = build_model(ModelConfig(), len(prepared.user_vocabulary), len(prepared.title_vocabulary), 3.0, 0.5)
    history = train(model, fresh_optimizer(), training_batches(prepared.train, config, 1), config.epochs)
    fresh = evaluate(model, prepared.test, prepared.candidates["all_entries"], 4096)
    for result in (first, again):
        assert result.metrics == fresh
        assert [epoch.total_loss for epoch in result.epochs] == [epoch.total_loss for epoch in history]


# --- sparse ratings ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sparse(synthetic_dataset):
    return prepare(synthetic_dataset, data.load_split(synthetic_dataset, seed=42), rating_fraction=0.05)


def test_sparse_ratings_leave_retrieval_only_exactly_as_it_was(prepared, sparse):
    # retrieval-only never computes the rating loss, and every row is still an interaction in the same batch
    whole = train_and_evaluate(0.0, 1.0, 3, ModelConfig(), FAST, prepared)
    partly = train_and_evaluate(0.0, 1.0, 3, ModelConfig(), FAST, sparse)
    assert partly.metrics == whole.metrics


@pytest.mark.parametrize("weights", [(1.0, 0.0), (1.0, 1.0)])
def test_sparse_ratings_train_the_rating_on_the_rated_rows_and_change_its_model(prepared, sparse, weights):
    whole = train_and_evaluate(*weights, 3, ModelConfig(), FAST, prepared)
    partly = train_and_evaluate(*weights, 3, ModelConfig(), FAST, sparse)
    assert all(math.isfinite(value) for value in partly.metrics.values())
    assert all(math.isfinite(epoch.rating_loss) and epoch.rating_loss > 0 for epoch in partly.epochs)
    assert partly.metrics["rmse"] != whole.metrics["rmse"]


def test_an_adaptive_method_trains_on_partly_rated_data(sparse):
    result = train_and_evaluate(1.0, 1.0, 3, ModelConfig(), FAST, sparse, method="gradnorm")
    assert all(math.isfinite(value) for value in result.metrics.values())


# --- learning curves and the validation slice -------------------------------------------------------


def test_a_watched_trial_records_each_epochs_metrics_and_trains_exactly_what_an_unwatched_one_does(prepared, trained):
    seen = []
    watched = train_and_evaluate(1.0, 1.0, 0, ModelConfig(), FAST, prepared,
                                 on_epoch=lambda epoch, metrics: seen.append((epoch, dict(metrics))))
    assert [epoch for epoch, _ in seen] == [1, 2]
    assert watched.metrics == trained.metrics  # evaluating between epochs changes nothing trained
    assert [epoch.metrics for epoch in watched.epochs] == [metrics for _, metrics in seen]
    assert seen[-1][1] == watched.metrics  # the last epoch's point is the trial's own evaluation
    model = train_and_evaluate(1.0, 1.0, 0, ModelConfig(), dataclasses.replace(FAST, epochs=1), prepared,
                               keep_model=True).model  # the same seed after one epoch
    after_one = evaluate(model, prepared.test, prepared.candidates["all_entries"], FAST.eval_batch_size)
    assert seen[0][1] == pytest.approx(after_one)


def test_an_epoch_watcher_that_raises_stops_the_training_there(prepared):
    class Stop(Exception):
        pass

    def stop(epoch, metrics):
        raise Stop(epoch)

    with pytest.raises(Stop):
        train_and_evaluate(1.0, 1.0, 0, ModelConfig(), dataclasses.replace(FAST, epochs=3), prepared, on_epoch=stop)


def test_with_a_validation_slice_the_metrics_are_the_slices_and_the_test_metrics_the_test_splits(synthetic_dataset):
    held = prepare(synthetic_dataset, data.load_split(synthetic_dataset, seed=42), validation=0.2)
    result = train_and_evaluate(1.0, 1.0, 0, ModelConfig(), FAST, held, keep_model=True)
    candidates = held.candidates["all_entries"]
    assert result.metrics == pytest.approx(evaluate(result.model, held.validation, candidates, FAST.eval_batch_size))
    assert result.test_metrics == pytest.approx(evaluate(result.model, held.test, candidates, FAST.eval_batch_size))
