"""Three-valued verdicts from intervals: the intervals in closed form, the verdicts from their ends."""

from __future__ import annotations

import math
import statistics

import pytest
from scipy import stats

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


def test_seed_noise_is_pooled_over_every_trial_of_two_or_more_seeds_with_its_degrees_of_freedom():
    # variances 2 (1 df) and 4 (2 df); the one-seed trial has none to give
    noise = verdicts.pooled_noise([[1.0, 3.0], [2.0, 4.0, 6.0], [5.0]])
    assert noise.std == pytest.approx(math.sqrt((1 * 2 + 2 * 4) / 3))
    assert (noise.degrees_of_freedom, noise.trials, noise.estimate) == (3, 2, "pooled")
    assert verdicts.pooled_noise([[1.0], [2.0]]) is None


def test_a_pair_with_fewer_than_ten_seeds_is_judged_with_the_pooled_noise_and_one_with_ten_with_its_own():
    pooled = verdicts.SeedNoise(0.01, 40, 20, "pooled")
    assert verdicts.noise_for(FIVE, pooled) is pooled
    ten = [1.0 + 0.01 * index for index in range(10)]
    assert verdicts.noise_for(ten, pooled) == verdicts.SeedNoise(statistics.stdev(ten), 9, 1, "own")
    assert verdicts.noise_for(FIVE, None).estimate == "own"


def test_the_pooled_noise_gives_two_seeds_a_prediction_interval_with_its_degrees_of_freedom():
    half = 2.0210754 * 0.01 * math.sqrt(1 + 1 / 2)  # t(0.975, 40) from the table
    noise = verdicts.SeedNoise(0.01, 40, 20, "pooled")
    assert verdicts.prediction_interval([1.0, 1.2], noise) == pytest.approx((1.1 - half, 1.1 + half), abs=1e-6)
    assert verdicts.figure_verdict(1.1 + half + 0.0004, [1.0, 1.2], noise=noise)["verdict"] == "holds"
    assert verdicts.figure_verdict(1.1 + half + 0.0006, [1.0, 1.2], noise=noise)["verdict"] == "fails"
    thin = verdicts.SeedNoise(0.01, 1, 1, "pooled")  # one degree of freedom: as uninformative as two seeds
    assert verdicts.prediction_interval([1.0, 1.2], thin) is None


def test_welchs_one_sided_p_is_the_t_tail_of_the_difference():
    first, second = [value + 0.3 for value in FIVE], FIVE
    std = math.sqrt(sum((v - 1.0) ** 2 for v in FIVE) / 4)
    t = 0.3 / (std * math.sqrt(2 / 5))  # equal spreads and sizes: 2n − 2 = 8 degrees of freedom
    assert verdicts.one_sided_p(first, second, "greater") == pytest.approx(stats.t.sf(t, 8))
    assert verdicts.one_sided_p(first, second, "less") == pytest.approx(stats.t.cdf(t, 8))
    assert verdicts.one_sided_p([2.0, 2.0], [1.0, 1.0], "greater") == 0.0  # no spread: exact
    assert verdicts.one_sided_p([2.0, 2.0], [1.0, 1.0], "less") == 1.0
    assert verdicts.one_sided_p([2.0], [1.0, 1.0], "greater") is None


def test_holm_multiplies_the_ith_smallest_of_m_p_values_by_m_minus_i_plus_one_and_never_lets_it_fall():
    # sorted: 0.005 × 4 = 0.02, 0.01 × 3 = 0.03, 0.03 × 2 = 0.06, 0.04 × 1 = 0.04 → held at 0.06
    assert verdicts.holm_adjusted([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert verdicts.holm_adjusted([0.6, 0.7]) == [1.0, 1.0]  # capped
    assert verdicts.holm_adjusted([0.01]) == [0.01]  # one candidate: nothing to correct


def test_a_spread_over_fewer_than_three_seeds_is_named_seed_values_never_an_interval():
    assert verdicts.interval_name(2) == "seed values (2 seeds; an interval needs 3)"
    assert verdicts.interval_name(3) == "95 % bootstrap interval over 3 seeds"
