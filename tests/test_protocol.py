"""The measurement protocol's helpers (benchmarks/protocol.py) on constructed data whose answers are
known by hand: seeds, intervals, verdicts, hypervolume ratios at three references, like-for-like
fronts, cost. No benchmark runs here and no timing is asserted beyond "at least what was slept"."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest

from benchmarks import protocol
from benchmarks.protocol import Cost, Interval, Seeds, like_for_like, median_interval, verdict
from sweep import SweepError, UsageError


def test_report_seeds_are_disjoint_from_the_selection_seeds_and_at_least_five():
    seeds = Seeds.consecutive(selection=3, report=5)
    assert (seeds.selection, seeds.report) == ((0, 1, 2), (3, 4, 5, 6, 7))
    assert seeds.record() == {"selection_seeds": [0, 1, 2], "report_seeds": [3, 4, 5, 6, 7]}
    with pytest.raises(UsageError, match=r"^report seeds 2, 3 also chose the settings"):
        Seeds((0, 1, 2, 3), (2, 3, 4, 5, 6))
    with pytest.raises(UsageError, match=r"^4 report seeds; a figure is reported on at least 5$"):
        Seeds((0,), (1, 2, 3, 4))
    with pytest.raises(UsageError, match="repeat a seed"):
        Seeds((0,), (1, 2, 3, 4, 4, 5))


def test_the_interval_of_a_constant_is_that_constant():
    interval = median_interval([0.7] * 5)
    assert (interval.median, interval.low, interval.high) == (0.7, 0.7, 0.7)


def test_three_seeds_give_the_median_of_three_resampled_picks():
    # Resampling [1, 2, 3] three times: the median is 1 when two or more picks are 1 (7 of 27
    # equally likely draws, 26 %), likewise 3; both tails far exceed 2.5 %, so the interval is [1, 3].
    interval = median_interval([3.0, 1.0, 2.0])
    assert (interval.median, interval.low, interval.high) == (2.0, 1.0, 3.0)
    assert interval.name == "95 % bootstrap interval over 3 seeds"


def test_one_outlier_each_side_among_ten_seeds_leaves_the_medians_interval_at_the_bulk():
    # A resample's median leaves 1 only if five or more of its ten picks are the same outlier:
    # P = Σ_{j≥5} C(10, j) 0.1^j 0.9^(10−j) ≈ 0.0016, well inside either 2.5 % tail.
    interval = median_interval([0.0] + [1.0] * 8 + [2.0])
    assert (interval.low, interval.high) == (1.0, 1.0)


def test_an_unpaired_difference_of_constants_is_their_difference_with_no_spread():
    entry = protocol.unpaired_median_difference([0.9] * 10, [0.7] * 15)
    assert entry["median"] == pytest.approx(0.2) and entry["interval"] == pytest.approx([0.2, 0.2])
    assert entry["seeds"] == [10, 15]


def test_an_unpaired_difference_spans_what_each_sides_median_can_be():
    # one side 1..10 (its resampled median lies between 2 and 9 in 95 % of draws, at most 1..10),
    # the other constant 0: the difference's interval is inside [1, 10] and holds the median 5.5
    entry = protocol.unpaired_median_difference(np.arange(1, 11), [0.0] * 8)
    low, high = entry["interval"]
    assert entry["median"] == 5.5 and 1 <= low < 5.5 < high <= 10


def test_an_unpaired_difference_refuses_too_few_seeds():
    with pytest.raises(UsageError, match="an unpaired interval needs 3 seeds a side"):
        protocol.unpaired_median_difference([1.0, 2.0], [1.0, 2.0, 3.0])


def test_fewer_than_three_seeds_are_shown_as_their_values_never_as_an_interval():
    interval = median_interval([0.2, 0.4])
    assert (interval.median, interval.low, interval.high) == (pytest.approx(0.3), None, None)
    assert interval.describe() == "median 0.3; seed values (2 seeds; an interval needs 3): 0.2, 0.4"
    assert interval.record()["interval"] is None and interval.record()["values"] == [0.2, 0.4]
    assert "95 %" not in interval.describe()
    with pytest.raises(UsageError, match="none missing"):
        median_interval([0.2, float("nan"), 0.4])


def spread(low: float, high: float) -> Interval:
    return Interval((low, high, (low + high) / 2), (low + high) / 2, low, high)


@pytest.mark.parametrize("low, high, expected", [
    (0.98, 1.10, "reached"),  # the lower end on the goal: every value in the interval meets ≥ 0.98
    (0.97, 1.10, "undetermined"),
    (0.90, 0.98, "undetermined"),  # the upper end on the goal does not fall short of it
    (0.90, 0.97, "not reached"),
])
def test_a_goal_is_reached_only_when_the_whole_interval_meets_it(low, high, expected):
    assert verdict(spread(low, high), 0.98) == expected


@pytest.mark.parametrize("low, high, expected", [
    (2.0, 3.0, "reached"),  # ≤ 3 trainings' worth: the upper end on the goal meets it
    (2.0, 3.1, "undetermined"),
    (3.0, 4.0, "undetermined"),
    (3.1, 4.0, "not reached"),
])
def test_a_goal_where_lower_is_better_is_mirrored(low, high, expected):
    assert verdict(spread(low, high), 3.0, higher_is_better=False) == expected


def test_without_an_interval_no_goal_is_decided():
    assert verdict(median_interval([1.5, 1.6]), 0.98) == "undetermined"


# Two fronts whose areas are summed by hand below, rectangle by rectangle in order of RMSE.
FRONT_A = [(0.30, 1.00), (0.20, 0.80), (0.05, 1.20)]  # the last is dominated: it must not move the nadir
FRONT_B = [(0.25, 1.10), (0.10, 0.90), (0.22, 0.95)]
CONTEXT = {"chance_top_100_accuracy": 0.05, "global_mean_rmse": 1.20}


def test_every_hypervolume_ratio_is_given_at_three_references_each_computed_by_hand():
    points = protocol.references([FRONT_A, FRONT_B], CONTEXT)
    assert {name: (point["top_100_accuracy"], point["rmse"]) for name, point in points.items()} == {
        "trivial": (0.05, 1.20), "nadir": (0.10, 1.10), "fixed": (0.0, 1.25)}
    trivial_a = (0.20 - 0.05) * (1.20 - 0.80) + (0.30 - 0.20) * (1.20 - 1.00)
    trivial_b = (0.10 - 0.05) * (1.20 - 0.90) + (0.22 - 0.10) * (1.20 - 0.95) + (0.25 - 0.22) * (1.20 - 1.10)
    nadir_a = (0.20 - 0.10) * (1.10 - 0.80) + (0.30 - 0.20) * (1.10 - 1.00)
    nadir_b = (0.22 - 0.10) * (1.10 - 0.95)  # (0.10, 0.90) and (0.25, 1.10) lie on the nadir's edges
    fixed_a = 0.20 * (1.25 - 0.80) + (0.30 - 0.20) * (1.25 - 1.00)
    fixed_b = 0.10 * (1.25 - 0.90) + (0.22 - 0.10) * (1.25 - 0.95) + (0.25 - 0.22) * (1.25 - 1.10)
    ratios = protocol.hypervolume_ratios(FRONT_A, FRONT_B, points)
    assert ratios == pytest.approx({"trivial": trivial_a / trivial_b, "nadir": nadir_a / nadir_b,
                                    "fixed": fixed_a / fixed_b})
    assert len(set(round(value, 6) for value in ratios.values())) == 3  # three different answers


def test_the_trivial_reference_needs_the_recorded_baselines():
    with pytest.raises(UsageError, match="trivial baselines"):
        protocol.references([FRONT_A], {})


def test_like_for_like_pairs_single_trainings_with_single_seeds_or_k_means_with_k_means():
    candidate = np.array([[[0.1, 1.0], [0.3, 0.8]], [[0.2, 0.9], [0.4, 0.7]]])  # 2 points x 2 trainings
    baseline = np.array([[[0.15, 1.0], [0.25, 1.1]], [[0.2, 1.0], [0.2, 0.8]]])  # 2 points x 2 seeds
    single = like_for_like(candidate, baseline)
    assert single.description.startswith("one training's front against the sweep's single-seed fronts")
    assert [front.tolist() for front in single.candidate_fronts] == [[[0.1, 1.0], [0.2, 0.9]], [[0.3, 0.8], [0.4, 0.7]]]
    assert len(single.baseline_fronts) == 2
    means = like_for_like(candidate, baseline, seeds_per_point=2)
    assert means.description.startswith("the mean front of 2 trainings against the sweep's 2-seed means")
    assert [front.tolist() for front in means.candidate_fronts] == [[pytest.approx([0.2, 0.9]), pytest.approx([0.3, 0.8])]]
    assert [front.tolist() for front in means.baseline_fronts] == [[pytest.approx([0.2, 1.05]), pytest.approx([0.2, 0.9])]]
    with pytest.raises(UsageError, match=r"the baseline's 2 seeds per point do not split into groups of 3"):
        like_for_like(np.zeros((2, 3, 2)), baseline, seeds_per_point=3)


def anchored(middle: float) -> list:
    """A front through (0, 0.4), (middle, 0.75) and (0.5, 1.0): its nadir with any other such is (0, 1.0)."""
    return [[0.0, 0.4], [middle, 0.75], [0.5, 1.0]]


def test_hypervolume_shares_are_each_trainings_front_over_the_sweeps_median_front_at_each_reference():
    middles, sweep_middles = [0.1, 0.2, 0.3, 0.4, 0.45], [0.2, 0.4]
    candidate = np.stack([anchored(m) for m in middles], axis=1)  # 3 points x 5 trainings x 2
    baseline = np.stack([anchored(m) for m in sweep_middles], axis=1)
    found = protocol.hypervolume_shares(like_for_like(candidate, baseline),
                                        {"chance_top_100_accuracy": 0.0, "global_mean_rmse": 1.1})
    # A front's area: from the nadir (0, 1.0) only its middle point counts, m · 0.25; from (0, 1.25),
    # m · 0.5 + (0.5 − m) · 0.25; from the trivial (0, 1.1), m · 0.35 + (0.5 − m) · 0.1.
    areas = {"nadir": lambda m: m * 0.25, "fixed": lambda m: m * 0.5 + (0.5 - m) * 0.25,
             "trivial": lambda m: m * 0.35 + (0.5 - m) * 0.1}
    for name, area in areas.items():
        typical = (area(0.2) + area(0.4)) / 2  # the median of the sweep's two single-seed fronts
        share = found["shares"][name]["share"]
        assert share["values"] == pytest.approx([area(m) / typical for m in middles])
        assert share["median"] == pytest.approx(1.0)  # m = 0.3 is the middle training and the sweep's mean
        assert share["seeds"] == 5 and share["name"] == "95 % bootstrap interval over 5 seeds"
    assert found["comparison"].startswith("one training's front")


def test_cost_is_training_plus_evaluation_plus_process_overhead():
    cost = Cost(training_seconds=2.0, evaluation_seconds=1.0, overhead_seconds=0.5, threads=2)
    assert cost.total_seconds == 3.5
    assert cost.record() == {"training_seconds": 2.0, "evaluation_seconds": 1.0, "overhead_seconds": 0.5,
                             "total_seconds": 3.5, "threads": 2}


CHILD = """
import json, os, time
assert all(os.environ[name] == "1" for name in {threads!r}), "threads not limited"
time.sleep(0.10)  # "training"
time.sleep(0.05)  # "evaluation"
with open(os.environ["SWEEP_PROTOCOL_PARTS"], "w") as parts:
    json.dump({{"training_seconds": 0.10, "evaluation_seconds": 0.05}}, parts)
"""


def test_a_fresh_process_is_timed_end_to_end_and_what_it_did_not_report_is_overhead():
    cost = protocol.time_fresh_process([sys.executable, "-c", CHILD.format(threads=protocol.THREAD_VARIABLES)],
                                       threads=1)
    assert (cost.training_seconds, cost.evaluation_seconds, cost.threads) == (0.10, 0.05, 1)
    assert cost.total_seconds >= 0.15 and cost.overhead_seconds > 0  # a Python start is never free
    assert cost.total_seconds == pytest.approx(0.15 + cost.overhead_seconds)


def test_a_timed_command_reports_its_parts_through_one_file(tmp_path, monkeypatch):
    monkeypatch.setenv(protocol.PARTS_VARIABLE, str(tmp_path / "parts.json"))
    protocol.report_parts(3.0, 0.5)
    assert json.loads((tmp_path / "parts.json").read_text()) == {"training_seconds": 3.0, "evaluation_seconds": 0.5}


def test_a_failed_or_silent_command_is_one_line():
    with pytest.raises(SweepError, match=r"exited with 3: boom$"):
        protocol.time_fresh_process([sys.executable, "-c", "import sys; print('boom', file=sys.stderr); sys.exit(3)"],
                                    threads=1)
    with pytest.raises(SweepError, match="did not report its training and evaluation seconds"):
        protocol.time_fresh_process([sys.executable, "-c", "pass"], threads=1)
