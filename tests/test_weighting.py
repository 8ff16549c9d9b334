"""The adaptive weighting methods' update rules, each checked in closed form on a tiny problem."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sweep.weighting import (
    DynamicWeightAverage,
    GradNorm,
    Normalized,
    Uncertainty,
    Weighting,
    adagrad_step,
    make_weighting,
)

LEARNING_RATE = 0.1


def test_adagrad_is_keras_rule_with_its_initial_accumulator():
    value, accumulator = adagrad_step(np.array([1.0]), np.array([2.0]), np.array([0.1]), LEARNING_RATE)
    assert accumulator == pytest.approx([0.1 + 4.0])
    assert value == pytest.approx([1.0 - 0.1 * 2.0 / math.sqrt(4.1)])


def test_uncertainty_starts_at_half_and_one_and_steps_its_log_variances_down_the_loss():
    method = Uncertainty(LEARNING_RATE)
    assert list(method.weights) == [0.5, 1.0]  # s = 0: ½·e^0 for the regression form, e^0 for classification
    rating_loss, retrieval_loss = 1.2, 72_000.0
    method.after_step(np.array([rating_loss, retrieval_loss]))
    gradient = np.array([-0.5 * rating_loss + 0.5, -retrieval_loss + 0.5])  # ∂/∂s at s = 0
    s = -LEARNING_RATE * gradient / np.sqrt(0.1 + gradient**2)
    assert method.log_variances == pytest.approx(s)
    assert method.weights == pytest.approx([0.5 * math.exp(-s[0]), math.exp(-s[1])])


def test_uncertainty_rests_where_each_weight_balances_its_loss():
    method = Uncertainty(LEARNING_RATE)
    losses = np.array([1.2, 72_000.0])
    method.log_variances = np.array([math.log(losses[0]), math.log(2 * losses[1])])  # ∂/∂s = 0 here
    method.weights = method.weights_of(method.log_variances)
    method.after_step(losses)
    assert method.weights == pytest.approx([0.5 / losses[0], 1 / (2 * losses[1])])


def test_dwa_is_uniform_for_two_steps_then_a_softmax_of_loss_ratios_at_temperature_two():
    method = DynamicWeightAverage("steps")
    method.after_step(np.array([2.0, 100.0]))
    assert list(method.weights) == [1.0, 1.0]
    method.after_step(np.array([1.0, 100.0]))  # the rating loss halved, retrieval held
    expected = 2 * np.exp([0.5 / 2, 1.0 / 2]) / np.exp([0.5 / 2, 1.0 / 2]).sum()
    assert method.weights == pytest.approx(expected)
    assert method.weights.sum() == pytest.approx(2.0)  # K = 2
    method.after_epoch(np.array([5.0, 5.0]))  # the step form ignores epochs
    assert method.weights == pytest.approx(expected)


def test_dwa_over_epochs_waits_two_epochs_and_ignores_steps():
    method = DynamicWeightAverage("epochs")
    for _ in range(5):
        method.after_step(np.array([1.0, 3.0]))
    method.after_epoch(np.array([4.0, 4.0]))
    assert list(method.weights) == [1.0, 1.0]
    method.after_epoch(np.array([4.0, 2.0]))  # retrieval halved: rating gets more weight
    assert method.weights == pytest.approx(2 * np.exp([0.5, 0.25]) / np.exp([0.5, 0.25]).sum())


def test_gradnorm_moves_each_weight_toward_equal_gradient_norms_and_sums_to_two():
    method = GradNorm(alpha=1.5, learning_rate=LEARNING_RATE)
    norms = np.array([1.0, 100.0])  # retrieval's gradient at the embeddings is a hundred times the rating's
    method.after_step(np.array([1.2, 72_000.0]), norms)  # first step: loss ratios 1, targets = mean(G) = 50.5
    gradient = np.array([-1.0, 100.0])  # sign(G − target) · ‖∇L‖: rating below target, retrieval above
    raw = 1.0 - LEARNING_RATE * gradient / np.sqrt(0.1 + gradient**2)
    assert method.weights == pytest.approx(2 * raw / raw.sum())
    assert method.weights[0] > 1 > method.weights[1]


def test_gradnorm_targets_favour_the_task_that_learns_slower():
    method = GradNorm(alpha=1.5)
    method.first_losses = np.array([2.0, 2.0])
    # rating's loss has not moved (ratio 1), retrieval's halved (0.5): r = (4/3, 2/3)
    weighted_norms = np.array([1.0, 1.0])  # equal G now: the rating's target is above it, retrieval's below
    gradient = method.gradient(np.array([2.0, 1.0]), weighted_norms)
    targets = 1.0 * np.array([4 / 3, 2 / 3]) ** 1.5
    assert np.sign(1.0 - targets) == pytest.approx(np.sign(gradient))
    assert list(gradient) == [-1.0, 1.0]


def test_normalized_divides_each_loss_by_its_first_value():
    method = Normalized()
    method.start(np.array([1.25, 80_000.0]))
    assert method.weights == pytest.approx([0.8, 1 / 80_000])
    method.after_step(np.array([0.5, 10.0]))
    assert method.weights == pytest.approx([0.8, 1 / 80_000])  # fixed after the first batch


def test_every_method_records_the_weights_each_step_used():
    method = make_weighting("dwa", LEARNING_RATE)
    for losses in ([2.0, 4.0], [1.0, 4.0], [1.0, 2.0]):
        method.record()
        method.after_step(np.array(losses))
    assert method.steps[:2] == [[1.0, 1.0], [1.0, 1.0]] and method.steps[2] != [1.0, 1.0]
    assert isinstance(make_weighting("gradnorm", 0.1), GradNorm) and type(Weighting()) is Weighting
    with pytest.raises(ValueError, match="unknown weighting method 'adam'"):
        make_weighting("adam", 0.1)
