"""Three-valued verdicts from intervals: the intervals in closed form, the verdicts from their ends."""

from __future__ import annotations

import math

import pytest

from sweep import verdicts

FIVE = [0.9, 0.95, 1.0, 1.05, 1.1]  # mean 1.0, sample std √(0.025 / 4) = 0.0790569


def test_the_prediction_interval_is_mean_plus_minus_t_s_root_one_plus_one_over_n():
    std = math.sqrt(sum((v - 1.0) ** 2 for v in FIVE) / 4)
    half = 2.7764451 * std * math.sqrt(1 + 1 / 5)  # t(0.975, 4) from the table
    assert verdicts.prediction_interval(FIVE) == pytest.approx((1.0 - half, 1.0 + half), abs=1e-6)
    assert verdicts.prediction_interval(FIVE[:2]) is None  # two runs are too few


def test_the_mean_interval_is_mean_plus_minus_t_s_over_root_n():
    std = math.sqrt(sum((v - 1.0) ** 2 for v in FIVE) / 4)
    half = 2.7764451 * std / math.sqrt(5)
    assert verdicts.mean_interval(FIVE) == pytest.approx((1.0 - half, 1.0 + half), abs=1e-6)
    assert verdicts.mean_interval([1.0]) is None


def test_welchs_interval_with_equal_spreads_and_sizes_has_2n_minus_2_degrees_of_freedom():
    first, second = FIVE, [value + 0.3 for value in FIVE]
    std = math.sqrt(sum((v - 1.0) ** 2 for v in FIVE) / 4)
    half = 2.3060041 * std * math.sqrt(2 / 5)  # t(0.975, 8)
    assert verdicts.difference_interval(first, second) == pytest.approx((-0.3 - half, -0.3 + half), abs=1e-6)
    assert verdicts.difference_interval([1.0, 1.0], [2.0, 2.0]) == (-1.0, -1.0)  # no spread: exact


@pytest.mark.parametrize(
    "interval, expected", [((0.2, 0.3), "holds"), ((0.05, 0.3), "undetermined"), ((0.01, 0.09), "fails")]
)
def test_above_holds_only_when_the_whole_interval_is_above(interval, expected):
    assert verdicts.above(interval, 0.1, seeds=5)["verdict"] == expected
    flipped = {"holds": "fails", "fails": "holds", "undetermined": "undetermined"}[expected]
    assert verdicts.below(interval, 0.1, seeds=5)["verdict"] == flipped


def test_a_published_figure_counts_its_rounding_in_its_favour():
    low, high = verdicts.prediction_interval(FIVE)
    assert verdicts.figure_verdict(high + 0.0004, FIVE)["verdict"] == "holds"  # printed to 3 decimals: ± 0.0005
    assert verdicts.figure_verdict(high + 0.0006, FIVE)["verdict"] == "fails"
    assert verdicts.describe(verdicts.figure_verdict(1.0, [1.0])) == "undetermined (1 seed; 3 needed)"


def test_a_claim_of_several_parts_fails_if_one_fails_and_holds_if_all_hold():
    holds, fails, unknown = ({"verdict": value} for value in ("holds", "fails", "undetermined"))
    assert verdicts.all_of(holds, holds) == {"verdict": "holds"}
    assert verdicts.all_of(holds, fails, unknown) == {"verdict": "fails"}
    assert verdicts.all_of(holds, unknown) == {"verdict": "undetermined"}
    short = verdicts.above(None, 0.0, seeds=1)
    assert verdicts.describe(verdicts.all_of(holds, short)) == "undetermined (1 seed; 2 needed)"
