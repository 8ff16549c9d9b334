"""The weight-conditioned model: the tutorial's model when conditioning is off, exact per-example weighting."""

from __future__ import annotations

import numpy as np
import pytest

import sweep  # noqa: F401
import tensorflow as tf

from sweep import data
from sweep.conditioned import (ConditionedModel, draw_weights, log_weight_features, refit_rating_head,
                                train_conditioned, weighted_softmax_loss)
from sweep.config import TrainConfig
from sweep.data.prepared import prepare
from sweep.model import MultiTaskModel
from sweep.evaluation import evaluate
from sweep.training import training_batches

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
    user_ids, title_ids, ratings = training_batches(prepared.train, FAST, seed=0)[0]
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
    history, _ = train_conditioned(model, optimizer, training_batches(prepared.train, FAST, seed), FAST.epochs, RANGES,
                                   seed)
    return history, evaluate(model.at(*pair), prepared.test, prepared.candidates["all_entries"], 4096)


def test_a_pair_evaluates_the_same_for_the_same_seed_and_differently_across_pairs(prepared):
    history, first = trained_then_evaluated(prepared, 3, (10.0, 0.1))
    _, again = trained_then_evaluated(prepared, 3, (10.0, 0.1))
    assert first == again
    assert all(np.isfinite(epoch.total_loss) for epoch in history)
    tf.keras.utils.set_random_seed(3)
    model = ConditionedModel(*sizes(prepared))
    train_conditioned(model, tf.keras.optimizers.Adagrad(0.1), training_batches(prepared.train, FAST, 3), 1, RANGES, 3)
    candidates = prepared.candidates["all_entries"]
    at_rating_end = evaluate(model.at(1e4, 1e-3), prepared.test, candidates, 4096)
    at_retrieval_end = evaluate(model.at(0.1, 1.0), prepared.test, candidates, 4096)
    assert at_rating_end != at_retrieval_end  # one training, two trade-offs


def test_film_after_keeps_film_the_identity_for_those_epochs_and_trains_it_after(prepared):
    def trained(epochs, film_after):
        tf.keras.utils.set_random_seed(5)
        model = ConditionedModel(*sizes(prepared))
        before = [variable.numpy().copy() for variable in model.film.variables]
        train_conditioned(model, tf.keras.optimizers.Adagrad(0.1), training_batches(prepared.train, FAST, 5), epochs,
                          RANGES, 5, draws="preference", film_after=film_after)
        return model, before

    frozen, before = trained(epochs=1, film_after=1)  # every epoch before FiLM may learn
    assert all(np.array_equal(now.numpy(), then) for now, then in zip(frozen.film.variables, before))
    assert frozen.film.trainable  # trainable again once the training is over
    users = tf.constant(prepared.test["user_id"][:3])
    pairs = frozen.features(tf.constant([[10.0, 0.1], [1.0, 1.0], [1e3, 1e-3]]))
    assert frozen.user_vectors(users, pairs).numpy() == pytest.approx(frozen.user_embedding(users).numpy())  # identity
    later, before = trained(epochs=2, film_after=1)  # then FiLM learns in the second epoch
    assert not np.array_equal(later.film.variables[-1].numpy(), before[-1])  # its last layer left zero


def test_refitting_the_rating_head_moves_only_the_rating_mlp_and_lowers_its_error_at_every_kind_of_pair(prepared):
    tf.keras.utils.set_random_seed(6)
    model = ConditionedModel(*sizes(prepared))
    batches = training_batches(prepared.train, FAST, 6)
    train_conditioned(model, tf.keras.optimizers.Adagrad(0.1), batches, 2, RANGES, 6, draws="preference", zero_share=0.1)
    towers = [*model.user_embedding.variables, *model.movie_embedding.variables, *model.film.variables]
    before = [variable.numpy().copy() for variable in towers]
    head = [variable.numpy().copy() for variable in model.rating_model.variables]
    users, titles = tf.constant(prepared.train["user_id"]), tf.constant(prepared.train["movie_title"])
    ratings = np.asarray(prepared.train["user_rating"], np.float64)
    pairs = [(1.0, 0.0), (0.0, 1.0), (1e4, 1e-3), (10.0, 0.1), (0.1, 1.0)]  # both ends, the middle, the zeros

    def squared_errors():
        errors = []
        for pair in pairs:
            served = model.at(*pair)
            predicted = served.predict_rating(served.user_embedding(users), model.movie_embedding(titles)).numpy()
            errors.append(float(np.mean(np.square(predicted - ratings))))
        return np.array(errors)

    query_before = model.at(10.0, 0.1).user_embedding(users[:5]).numpy()
    errors_before = squared_errors()
    history = refit_rating_head(model, tf.keras.optimizers.Adagrad(0.03), batches, 5, RANGES, 6, zero_share=0.1)
    assert len(history) == 5 and all(epoch.retrieval_loss == 0.0 for epoch in history)
    assert all(np.array_equal(now.numpy(), then) for now, then in zip(towers, before))  # retrieval as it was
    assert np.array_equal(model.at(10.0, 0.1).user_embedding(users[:5]).numpy(), query_before)
    assert any(not np.array_equal(now.numpy(), then) for now, then in zip(model.rating_model.variables, head))
    # What it minimizes, the mean over pairs of the unweighted training error, falls (here by far more than noise).
    assert squared_errors().mean() < 0.9 * errors_before.mean()


def test_a_worker_reusing_its_traced_steps_trains_exactly_what_a_fresh_model_and_optimizers_do(prepared):
    # conditioned_study.train_one reuses one TracedConditioned per architecture and optimizer; here each
    # seed is also trained the plain way (a fresh model, fresh optimizers, each step traced for it).
    from sweep.conditioned import TracedConditioned
    from sweep.training import OptimizerSettings

    batches = training_batches(prepared.train, FAST, seed=0)
    settings = OptimizerSettings("adagrad", 0.05, 0.1, 1e-7)

    def fresh(seed):
        tf.keras.utils.set_random_seed(seed)
        return ConditionedModel(*sizes(prepared), film_scale=0.3)

    def train(model, optimizer, refit_optimizer, seed, step=None, refit_step=None):
        history, _ = train_conditioned(model, optimizer, batches, 2, RANGES, seed, draws="preference", zero_share=0.1,
                                       step=step)
        return history + refit_rating_head(model, refit_optimizer, batches, 2, RANGES, seed, 0.1, step=refit_step)

    expected = {}
    for seed in (3, 4):
        model = fresh(seed)
        losses = [epoch.total_loss for epoch in train(model, settings.build(), settings.build(), seed)]
        expected[seed] = (losses, [variable.numpy() for variable in model.variables])
    worker = TracedConditioned(fresh(0), settings.build(), settings.build())
    for seed in (3, 4, 3):  # 3 again after 4: nothing of a training, nor of its optimizers' state, carries over
        model = fresh(seed)
        history = train(worker.start_from(model), worker.optimizer, worker.refit_optimizer, seed, worker.step,
                        worker.refit_step)
        worker.finish_into(model)
        assert [epoch.total_loss for epoch in history] == expected[seed][0]
        assert all(np.array_equal(variable.numpy(), value) for variable, value in zip(model.variables, expected[seed][1]))
    assert not np.array_equal(expected[3][1][0], expected[4][1][0])  # the seeds train apart: the check can fail


def test_film_scale_scales_each_user_vectors_change_and_the_batched_path_agrees(prepared):
    users = tf.constant(prepared.test["user_id"][:4])
    pairs = tf.constant([[10.0, 0.1], [1.0, 1.0]])

    def vectors(film_scale):
        tf.keras.utils.set_random_seed(2)
        model = ConditionedModel(*sizes(prepared), film_scale=film_scale)
        last = model.film.layers[-1]  # starts at zero (the identity): give it weights so FiLM does something
        last.kernel.assign(tf.random.stateless_normal(last.kernel.shape, seed=(1, 2)))
        features = model.features(pairs)
        base = model.user_embedding(users).numpy()
        single = np.stack([model.user_vectors(users, tf.repeat(features[k:k + 1], 4, axis=0)).numpy() for k in range(2)])
        return base, single, model.user_vectors_at_pairs(users, features).numpy()

    base, full, _ = vectors(1.0)
    base_again, half, batched = vectors(0.5)
    assert np.array_equal(base, base_again)  # the same initial weights: only FiLM's output differs
    # v (1 + s·γ) + s·β − v = s·(v γ + β): half the change at every pair and user
    assert half - base == pytest.approx(0.5 * (full - base), abs=1e-6)
    assert batched == pytest.approx(half, abs=1e-6)


def test_a_stored_model_rebuilds_with_its_film_scale(prepared):
    from sweep.artifacts import rebuild_model
    from sweep.config import ModelConfig

    model = ConditionedModel(*sizes(prepared), film_scale=0.25)
    meta = {"embedding_dimension": 32, "rating_layers": [256, 128], "activation": "relu",
            "conditioned": {"conditioning_width": 16, "film_scale": 0.25}}
    packed = {"metadata": meta, "user_vocabulary": prepared.user_vocabulary, "title_vocabulary": prepared.title_vocabulary,
              "weights": model.get_weights()}
    assert rebuild_model(packed).film_scale == 0.25
    del meta["conditioned"]["film_scale"]  # a model stored before FiLM could be scaled
    assert rebuild_model(packed).film_scale == 1.0
    assert ModelConfig().embedding_dimension == 32  # the metadata above is the default model's


def test_without_film_only_the_rating_sees_the_pair(prepared):
    # conditioning_width 0: one set of user vectors for every pair; the rating MLP still reads the pair.
    tf.keras.utils.set_random_seed(0)
    model = ConditionedModel(*sizes(prepared), conditioning_width=0)
    assert model.film is None
    ids, titles = tf.constant([1, 2, 3]), tf.constant([4, 5, 6])
    low, high = model.at(2.0, 0.02), model.at(100.0, 0.2)
    assert np.array_equal(low.user_embedding(ids).numpy(), high.user_embedding(ids).numpy())
    users, movies = low.user_embedding(ids), model.movie_embedding(titles)
    assert not np.allclose(low.predict_rating(users, movies).numpy(), high.predict_rating(users, movies).numpy())


@pytest.mark.parametrize("conditioning_width, encoding", [(16, "weights"), (0, "weights"), (16, "ratio")])
def test_many_pairs_at_once_give_each_pairs_user_vectors_and_ratings(prepared, conditioning_width, encoding):
    # What evaluation at many pairs asks of the model: each (pair, user)'s vector as one pair serves
    # it, and each (pair, row)'s rating as predict_rating gives it (the first layer summed in
    # another order: equal to float rounding), whatever the pair's encoding.
    tf.keras.utils.set_random_seed(1)
    model = ConditionedModel(*sizes(prepared), conditioning_width=conditioning_width, encoding=encoding)
    if model.film is not None:
        last = model.film.layers[-1]
        last.kernel.assign(tf.random.normal(last.kernel.shape, seed=1))
    pairs = [(1.0, 0.0), (0.0, 1.0), (16.77, 0.1013), (0.3, 0.002)]
    users = tf.constant(np.unique(prepared.test["user_id"]))
    user_rows = tf.constant([5, 0, 17, 5, 2] * 8)  # 40 rows, some of one user
    titles = tf.constant(prepared.test["movie_title"][:40])
    features = model.features(tf.constant(pairs))
    vectors = model.user_vectors_at_pairs(users, features)
    ratings = model.ratings_at_pairs(vectors, features)(user_rows, model.movie_embedding(titles))
    assert vectors.shape == (len(pairs), len(users), 32) and ratings.shape == (len(pairs), 40)
    for index, pair in enumerate(pairs):
        served = model.at(*pair)
        np.testing.assert_array_equal(vectors[index].numpy(), served.user_embedding(users).numpy())
        alone = served.predict_rating(tf.gather(vectors[index], user_rows), model.movie_embedding(titles))
        np.testing.assert_allclose(ratings[index].numpy(), alone.numpy(), rtol=1e-5, atol=1e-5)
    assert not np.allclose(ratings[0].numpy(), ratings[1].numpy())


def test_a_zero_share_of_rows_trains_one_task_alone_half_each_way():
    pairs = draw_weights(np.random.default_rng(1), RANGES, 40_000, zero_share=0.1)
    rating_zero, retrieval_zero = pairs[:, 0] == 0, pairs[:, 1] == 0
    assert not (rating_zero & retrieval_zero).any()
    assert rating_zero.mean() == pytest.approx(0.05, abs=0.005) and retrieval_zero.mean() == pytest.approx(0.05, abs=0.005)


def test_a_zero_weight_is_seen_as_an_indicator_not_a_logarithm():
    features = log_weight_features(tf.constant([[100.0, 0.0], [0.0, 0.01], [10.0, 1.0]])).numpy()
    np.testing.assert_allclose(features, [[2, 0, 0, 1], [0, -2, 1, 0], [1, 0, 0, 0]], atol=1e-6)


def test_the_cosine_term_is_minus_its_weight_times_the_cosine_of_losses_and_mean_pair(prepared):
    user_ids, title_ids, ratings = training_batches(prepared.train, FAST, seed=0)[0]
    model = ConditionedModel(*sizes(prepared))
    weights = tf.constant(draw_weights(np.random.default_rng(2), RANGES, int(user_ids.shape[0])))
    rating_term, retrieval_term, cosine_term = model.weighted_losses(user_ids, title_ids, ratings, weights, 0.5)
    # the plain losses, computed whole: MSE and the mean softmax cross-entropy over the batch's scores
    features = log_weight_features(weights)
    users, movies = model.user_vectors(user_ids, features), model.movie_embedding(title_ids)
    mse = float(tf.reduce_mean(tf.square(ratings - model.predict_rating(users, movies, features))))
    scores = tf.matmul(users, movies, transpose_b=True)
    labels = tf.range(int(user_ids.shape[0]))
    mean_ce = float(tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=scores)))
    losses = np.array([mse, mean_ce])
    mean_pair = weights.numpy().mean(axis=0)
    expected = -0.5 * losses @ mean_pair / (np.linalg.norm(losses) * np.linalg.norm(mean_pair))
    assert float(cosine_term) == pytest.approx(expected, rel=1e-4)


def test_a_ratio_encoded_model_serves_pairs_of_one_ratio_as_one_model(prepared):
    model = ConditionedModel(*sizes(prepared), encoding="ratio")
    last = model.film.layers[-1]
    last.kernel.assign(tf.random.stateless_normal(last.kernel.shape, seed=(1, 2)))  # conditioning matters
    ids, titles = tf.constant([1, 2, 3]), tf.constant([4, 5, 6])
    small, large, other = model.at(3.0, 0.01), model.at(30.0, 0.1), model.at(30.0, 1.0)
    assert np.allclose(small.user_embedding(ids).numpy(), large.user_embedding(ids).numpy())
    assert not np.allclose(small.user_embedding(ids).numpy(), other.user_embedding(ids).numpy())
    users, movies = small.user_embedding(ids), model.movie_embedding(titles)
    assert np.allclose(small.predict_rating(users, movies).numpy(), large.predict_rating(users, movies).numpy())


def test_with_a_static_batch_size_a_pairs_retrieval_term_is_the_static_objectives_sum_over_its_batch(prepared):
    # A pair (r, t) means r·MSE + t·Σ CE over the static training's batch of B_s rows: t·B_s·mean CE.
    # Trained on a batch of B rows, each row's CE gets t·B_s/B, so the term is t·B_s·mean CE.
    user_ids, title_ids, ratings = training_batches(prepared.train, FAST, seed=0)[0]
    model = ConditionedModel(*sizes(prepared), encoding="ratio")
    weights = tf.constant(np.tile([2.0, 0.5], (int(user_ids.shape[0]), 1)), tf.float32)
    _, plain, _ = model.weighted_losses(user_ids, title_ids, ratings, weights)
    model.static_batch_size = 8192
    _, scaled, _ = model.weighted_losses(user_ids, title_ids, ratings, weights)
    assert float(scaled) == pytest.approx(float(plain) * 8192 / int(user_ids.shape[0]), rel=1e-5)
