"""Preference draws: where a conditioned training's pairs come from, and what a served pair means."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from sweep import UsageError
from sweep.conditioned_pairs import draw_preferences, narrowed_bounds, preference_pairs, preference_range, ratio_range
from sweep.conditioned_study import check_servable, grid_pairs, in_range
from sweep.config import ConditionedConfig

BOX = {"rating_weight": (0.1, 1e4), "retrieval_weight": (1e-3, 1.0)}
REFERENCE = (30.0, 0.1)


def test_the_box_holds_ratios_from_its_smallest_retrieval_over_largest_rating_to_the_reverse():
    assert ratio_range(BOX) == pytest.approx((1e-3 / 1e4, 1.0 / 0.1))


def test_every_drawn_pair_lies_on_the_reference_line_with_a_ratio_inside_the_box():
    pairs = draw_preferences(np.random.default_rng(0), BOX, REFERENCE, 20_000).astype(float)
    assert np.allclose(pairs[:, 0] / REFERENCE[0] + pairs[:, 1] / REFERENCE[1], 1.0, atol=1e-5)
    ratios = pairs[:, 1] / pairs[:, 0]
    assert ratios.min() >= 1e-7 * (1 - 1e-5) and ratios.max() <= 10 * (1 + 1e-5)


def test_preferences_are_uniform_between_the_ends_that_reach_the_boxs_extreme_ratios():
    low, high = preference_range(BOX, REFERENCE)
    # λ = R_t / (R_t + ρ R_r): at ρ = 10, 0.1 / (0.1 + 300); at ρ = 1e-7, 0.1 / (0.1 + 3e-6)
    assert (low, high) == pytest.approx((0.1 / 300.1, 0.1 / (0.1 + 3e-6)))
    pairs = draw_preferences(np.random.default_rng(1), BOX, REFERENCE, 20_000).astype(float)
    preferences = pairs[:, 0] / REFERENCE[0]
    assert stats.kstest(preferences, stats.uniform(low, high - low).cdf).pvalue > 0.01


def test_scaling_the_reference_pair_draws_the_same_trade_offs():
    # A pair's trade-off is its ratio; the reference's scale only scales every pair.
    one = draw_preferences(np.random.default_rng(2), BOX, REFERENCE, 1000).astype(float)
    ten = draw_preferences(np.random.default_rng(2), BOX, (300.0, 1.0), 1000).astype(float)
    assert np.allclose(one[:, 1] / one[:, 0], ten[:, 1] / ten[:, 0], rtol=1e-5)
    assert np.allclose(ten, 10 * one, rtol=1e-5)


def test_a_zero_share_trains_each_task_alone_at_its_reference_weight_equally_often():
    pairs = draw_preferences(np.random.default_rng(3), BOX, REFERENCE, 40_000, zero_share=0.1)
    ratings_only = np.all(pairs == [REFERENCE[0], 0.0], axis=1).mean()
    retrieval_only = np.all(np.isclose(pairs, [0.0, REFERENCE[1]]), axis=1).mean()
    assert ratings_only == pytest.approx(0.05, abs=0.005) and retrieval_only == pytest.approx(0.05, abs=0.005)


def test_a_preference_models_grid_lies_on_its_reference_line_ends_included():
    config = ConditionedConfig(grid=3, reference=REFERENCE)
    pairs = grid_pairs(BOX, 3, config)
    assert len(pairs) == 9
    low, high = preference_range(BOX, REFERENCE)
    assert pairs[0] == pytest.approx(tuple(preference_pairs(np.array([low]), REFERENCE)[0]))
    assert pairs[-1] == pytest.approx(tuple(preference_pairs(np.array([high]), REFERENCE)[0]))
    assert np.allclose([r / 30.0 + t / 0.1 for r, t in pairs], 1.0)


RATIO_MODEL = {"ranges": BOX, "zero_share": 0.05, "encoding": "ratio"}


@pytest.mark.parametrize("pair", [(1.0, 1.0), (30.0, 0.1), (3e4, 100.0), (1.0, 0.0), (0.0, 1.0)])
def test_a_ratio_model_serves_any_pair_whose_ratio_it_was_trained_on_at_any_scale(pair):
    check_servable(pair, RATIO_MODEL)
    assert in_range(pair, BOX, 0.05, "ratio")


@pytest.mark.parametrize("pair, words", [((1.0, 100.0), "ratio retrieval/rating 100"),
                                         ((1e5, 1e-3), "ratio retrieval/rating 1e-08")])
def test_a_ratio_model_refuses_a_ratio_outside_the_box_in_one_line(pair, words):
    with pytest.raises(UsageError, match=words) as refused:
        check_servable(pair, RATIO_MODEL)
    assert "\n" not in str(refused.value)
    assert not in_range(pair, BOX, 0.05, "ratio")


def test_without_single_task_examples_a_ratio_model_refuses_a_zero_weight():
    with pytest.raises(UsageError, match="outside the ratios"):
        check_servable((1.0, 0.0), {**RATIO_MODEL, "zero_share": 0.0})


def test_narrowing_keeps_the_preferences_around_the_models_own_front_one_neighbour_out():
    preferences = np.linspace(0.0, 0.8, 9)
    # Points 3, 4, 5 trade accuracy for RMSE; every other point is dominated by point 4.
    metrics = [[0.10, 1.2]] * 3 + [[0.25, 1.00], [0.24, 0.98], [0.20, 0.95]] + [[0.10, 1.2]] * 3
    assert narrowed_bounds(preferences, metrics) == pytest.approx((0.2, 0.6))


def test_a_front_at_an_end_keeps_that_end():
    preferences = np.linspace(0.1, 0.9, 5)
    metrics = [[0.3, 0.9], [0.2, 1.0], [0.2, 1.0], [0.2, 1.0], [0.2, 1.0]]
    assert narrowed_bounds(preferences, metrics) == pytest.approx((0.1, 0.3))


def test_narrowed_draws_stay_between_the_bounds():
    pairs = draw_preferences(np.random.default_rng(4), BOX, REFERENCE, 5000, bounds=(0.2, 0.3)).astype(float)
    assert (pairs[:, 0] / REFERENCE[0]).min() >= 0.2 - 1e-6 and (pairs[:, 0] / REFERENCE[0]).max() <= 0.3 + 1e-6
