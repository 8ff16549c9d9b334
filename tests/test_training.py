"""The optimizer and the weights' scale: under Adam, multiplying both loss weights by a constant trains
the same model up to Adam's epsilon; under Adagrad, with its initial accumulator, and under SGD it does not.

So a front searched under Adagrad can be made of step sizes as much as of task balances: what
`weight_ratio` and `weight_scale` (sweep.config.coordinates) and `[train] optimizer` let a study
tell apart. Each comparison trains the tutorial's model from one seed on three batches of the
synthetic data, once at (w_r, w_t) and once at (c·w_r, c·w_t), and compares the trained weights.
"""

from __future__ import annotations

import numpy as np
import pytest

import sweep  # noqa: F401
import tensorflow as tf

from sweep import data
from sweep.config import ModelConfig, TrainConfig
from sweep.data.prepared import prepare
from sweep.training import OptimizerSettings, train, training_batches

pytestmark = pytest.mark.slow  # trains real models with TensorFlow

PAIR = (3.0, 0.25)
C = 8.0  # a power of two: c·x is exact in binary floating point, so the scaled run's arithmetic is exact too
KERAS_EPSILON = 1e-7
TOLERANCE = 0.05  # of how far training moved the weights; the reasoning is in the tests that use it


@pytest.fixture(scope="module")
def setting(synthetic_dataset):
    prepared = prepare(synthetic_dataset, data.load_split(synthetic_dataset, seed=42))
    batches = training_batches(prepared.train, TrainConfig(batch_size=1024), seed=0)[:3]
    return prepared, batches


def trained(setting, pair, optimizer: OptimizerSettings) -> tuple[np.ndarray, np.ndarray]:
    """(initial, trained) weights of the seed-0 model trained at `pair` on the three batches, flattened."""
    from sweep.model import build_model

    prepared, batches = setting
    tf.keras.utils.set_random_seed(0)
    model = build_model(ModelConfig(), len(prepared.user_vocabulary), len(prepared.title_vocabulary), *pair)
    initial = np.concatenate([variable.numpy().ravel() for variable in model.trainable_variables])
    train(model, optimizer.build(), batches, epochs=1)
    return initial, np.concatenate([variable.numpy().ravel() for variable in model.trainable_variables])


def deviation(setting, optimizer: OptimizerSettings) -> float:
    """How far training at (c·w_r, c·w_t) ends from training at (w_r, w_t), as a share of how far the latter moved."""
    initial, at_pair = trained(setting, PAIR, optimizer)
    _, scaled = trained(setting, (C * PAIR[0], C * PAIR[1]), optimizer)
    return float(np.linalg.norm(scaled - at_pair) / np.linalg.norm(at_pair - initial))


def adam(epsilon: float = KERAS_EPSILON) -> OptimizerSettings:
    return OptimizerSettings("adam", learning_rate=1e-3, adagrad_initial_accumulator=0.1, adam_epsilon=epsilon)


def test_under_adam_multiplying_both_weights_by_c_is_exactly_dividing_epsilon_by_c(setting):
    """Adam steps by lr·m̂/(√v̂ + ε). A loss c times larger has gradients c·g, so m̂ becomes c·m̂ and √v̂
    becomes c·√v̂, and the step is lr·c·m̂/(c·√v̂ + ε) = lr·m̂/(√v̂ + ε/c): the unscaled run with ε/c.
    With c a power of two every one of those products is exact in floating point, so the two runs
    agree to the last bit: the weights' scale reaches Adam through ε alone."""
    _, scaled = trained(setting, (C * PAIR[0], C * PAIR[1]), adam())
    _, smaller_epsilon = trained(setting, PAIR, adam(KERAS_EPSILON / C))
    np.testing.assert_array_equal(scaled, smaller_epsilon)


def test_under_adam_multiplying_both_weights_trains_the_same_model_up_to_epsilon(setting):
    """How much ε/c instead of ε changes: per coordinate and step, Adam's move lr·m̂/(√v̂ + ε), with
    √v̂ of the size |g| of the coordinate's gradients, changes by a relative ε/(|g| + ε) at most —
    nothing for |g| ≫ ε, up to the whole step for the rare |g| near ε. Here 99 % of the first step's
    nonzero gradients exceed 100·ε (checked below), so at Keras's ε = 1e-7 the moves differ by under
    1 % for nearly every coordinate and the trained weights by a fraction of a percent of how far they
    moved: TOLERANCE (5 %) bounds it with room for three steps' propagation. With ε 10⁴ times smaller
    no gradient but the rare one below 1e-9 moves its coordinate differently by over 1 %, and the
    deviation falls below 0.1 %: what differs is ε's doing."""
    prepared, batches = setting
    from sweep.model import build_model

    tf.keras.utils.set_random_seed(0)
    model = build_model(ModelConfig(), len(prepared.user_vocabulary), len(prepared.title_vocabulary), *PAIR)
    with tf.GradientTape() as tape:
        rating_loss, retrieval_loss = model.task_losses(*batches[0])
        loss = PAIR[0] * rating_loss + PAIR[1] * retrieval_loss
    gradients = np.abs(np.concatenate([tf.convert_to_tensor(gradient).numpy().ravel()
                                       for gradient in tape.gradient(loss, model.trainable_variables)]))
    assert np.quantile(gradients[gradients > 0], 0.01) > 100 * KERAS_EPSILON  # the premise

    assert deviation(setting, adam()) < TOLERANCE
    assert deviation(setting, adam(KERAS_EPSILON / 1e4)) < 1e-3


@pytest.mark.parametrize("optimizer", [
    # Adagrad steps by lr·g/√(a₀ + Σg²): a c times larger gradient takes a c times larger step while
    # c·|g| is small beside √a₀ ≈ 0.32 (Keras's a₀ = 0.1), as most of this model's gradients are.
    OptimizerSettings("adagrad", learning_rate=0.1, adagrad_initial_accumulator=0.1, adam_epsilon=KERAS_EPSILON),
    # SGD steps by lr·g: every step c times larger, a multiplied learning rate.
    OptimizerSettings("sgd", learning_rate=0.01, adagrad_initial_accumulator=0.1, adam_epsilon=KERAS_EPSILON),
], ids=["adagrad", "sgd"])
def test_under_adagrad_and_sgd_multiplying_both_weights_trains_another_model(setting, optimizer):
    """Steps up to c = 8 times longer end the training as far from the unscaled one as that one moved, or
    farther: at least ten times Adam's TOLERANCE."""
    assert deviation(setting, optimizer) > 10 * TOLERANCE
