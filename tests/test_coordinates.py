"""The weights' two coordinate systems: (rating_weight, retrieval_weight) and (weight_ratio, weight_scale)."""

from __future__ import annotations

import math

import pytest

from sweep.config.coordinates import ratio_and_scale, weights_of


@pytest.mark.parametrize("ratio, scale, weights", [
    (1.0, 2.0, (1.0, 1.0)),  # the tutorial's joint pair
    (0.25, 5.0, (4.0, 1.0)),  # rating four times retrieval, summing to 5
    (3.0, 1.0, (0.25, 0.75)),
    (0.0, 7.0, (7.0, 0.0)),  # a ratio of 0: ratings only
    (math.inf, 7.0, (0.0, 7.0)),  # an infinite ratio: retrieval only
])
def test_ratio_and_scale_name_the_pair_whose_quotient_and_sum_they_are(ratio, scale, weights):
    assert weights_of(ratio, scale) == weights  # each number here is exact in binary, and the conversion lands on it
    assert ratio_and_scale(*weights) == (ratio, scale)


@pytest.mark.parametrize("ratio", [1e-7, 1e-3, 0.077 / 28, 0.3, 1.0, 10.0, 1e7])
@pytest.mark.parametrize("scale", [1e-3, 1.0, 28.077, 1e4])
def test_the_round_trip_returns_what_it_started_from_to_rounding(ratio, scale):
    rating, retrieval = weights_of(ratio, scale)
    assert retrieval / rating == pytest.approx(ratio, rel=1e-14) and rating + retrieval == pytest.approx(scale, rel=1e-14)
    assert ratio_and_scale(rating, retrieval) == pytest.approx((ratio, scale), rel=1e-14)
    assert weights_of(*ratio_and_scale(rating, retrieval)) == pytest.approx((rating, retrieval), rel=1e-14)


def test_the_tutorials_pairs_have_ratios_0_infinity_and_1_and_come_back_exactly():
    tutorial = {(1.0, 0.0): (0.0, 1.0), (0.0, 1.0): (math.inf, 1.0), (1.0, 1.0): (1.0, 2.0)}
    for pair, coordinates in tutorial.items():
        assert ratio_and_scale(*pair) == coordinates
        assert weights_of(*coordinates) == pair


def test_two_zero_weights_have_no_ratio_and_a_zero_scale_names_no_pair():
    ratio, scale = ratio_and_scale(0.0, 0.0)
    assert math.isnan(ratio) and scale == 0.0
    for ratio, scale in ((1.0, 0.0), (1.0, -1.0), (-0.5, 1.0), (math.nan, 1.0), (1.0, math.nan), (1.0, math.inf)):
        with pytest.raises(ValueError, match="no weights at ratio"):
            weights_of(ratio, scale)


def test_a_pair_not_known_yet_has_no_coordinates():
    assert all(math.isnan(value) for value in ratio_and_scale(math.nan, math.nan))


def test_an_extreme_ratio_leaves_the_larger_weight_whole_rather_than_both_at_zero():
    rating, retrieval = weights_of(1e308, 1e-300)  # rating = 1e-300 / 1e308 underflows to 0
    assert rating == 0.0 and retrieval == 1e-300
