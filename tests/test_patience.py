"""Stopping a sweep once its front stops growing: the hypervolume, the stall rule on constructed
sequences, the recorded stop, and whole runs with the fake trainer (tests/fake_trainer.py)."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from types import SimpleNamespace

import numpy as np
import pytest

from sweep.config import load_study_file
from sweep.config.run import RunOptions
from sweep.data.prepared import load_prepared
from sweep.pareto import hypervolume
from sweep.patience import STOP_ATTR, Stop, check, growth, recorded_stop, stalled
from sweep.storage import open_storage
from sweep.study import create_or_load
from tests.helpers import by_state, study_file, sweep_cli, sweep_run, trials

DIRECTIONS = ("maximize", "minimize")
# The fake trainer imitates MovieLens 100K's numbers: measured from its trivial baselines (chance
# top-100 accuracy over 1,682 movies, the global mean's RMSE) its trials have a front to grow. The
# synthetic data's own baselines (chance 0.25, RMSE 0.74) are beaten by no fake trial.
MOVIELENS_BASELINES = {"chance_top_100_accuracy": 0.0595, "global_mean_rmse": 1.1248}
FAKE_TRAINER = "tests.fake_trainer:train_and_evaluate"


# --- the hypervolume ---------------------------------------------------------------------------


def cell_area(points, reference) -> float:
    """Independent of sweep.pareto: cut the plane at every point's coordinates and add up the cells
    some point dominates (maximize the first, minimize the second)."""
    usable = [(top, rmse) for top, rmse in points if top > reference[0] and rmse < reference[1]]
    tops = sorted({reference[0], *(top for top, _ in usable)})
    rmses = sorted({reference[1], *(rmse for _, rmse in usable)})
    area = 0.0
    for (left, right), (low, high) in itertools.product(zip(tops, tops[1:]), zip(rmses, rmses[1:])):
        if any(top >= right and rmse <= low for top, rmse in usable):
            area += (right - left) * (high - low)
    return area


def union_volume(points, reference) -> float:
    """Independent: inclusion-exclusion over the boxes [point, reference] (all minimized)."""
    total = 0.0
    for size in range(1, len(points) + 1):
        for subset in itertools.combinations(points, size):
            corner = np.max(subset, axis=0)
            total += (-1) ** (size + 1) * float(np.prod(np.clip(np.asarray(reference) - corner, 0.0, None)))
    return total


@pytest.mark.parametrize("seed", range(10))
def test_the_hypervolume_of_two_objectives_is_the_area_the_points_dominate(seed):
    rng = np.random.default_rng(seed)
    points = rng.random((12, 2)).round(2) * [0.4, 2.0]  # a coarse grid: ties and duplicates
    assert hypervolume(points, DIRECTIONS, (0.1, 1.5)) == pytest.approx(cell_area(points, (0.1, 1.5)), abs=1e-12)


def test_the_hypervolume_of_one_and_of_three_objectives():
    assert hypervolume([[0.2], [0.5], [0.4]], ["maximize"], [0.1]) == pytest.approx(0.4)
    rng = np.random.default_rng(4)
    points = rng.random((7, 3))
    assert hypervolume(points, ["minimize"] * 3, [1.0, 1.0, 1.0]) == pytest.approx(union_volume(points, [1, 1, 1]))
    flipped = points * [-1, 1, -1]  # the same volume with two objectives maximized
    assert hypervolume(flipped, ["maximize", "minimize", "maximize"], [-1.0, 1.0, -1.0]) == pytest.approx(
        union_volume(points, [1, 1, 1]))


def test_only_points_beyond_the_reference_on_every_objective_count():
    assert hypervolume([(0.3, 2.5), (0.05, 1.0), (np.nan, 1.0)], DIRECTIONS, (0.1, 2.0)) == 0.0
    assert hypervolume([], DIRECTIONS, (0.1, 2.0)) == 0.0


# --- the stall rule on constructed sequences ---------------------------------------------------


@pytest.mark.parametrize("volumes, min_gain, start, expected", [
    ([0.0, 0.0, 0.0], 0.5, 0, 0),  # nothing beats doing nothing: nothing to grow, no stall
    ([0.0, 2.0, 2.0, 2.0], 0.5, 0, 2),  # the first area is growth; then two trials add nothing
    ([2.0, 3.0, 4.0], 0.5, 0, 1),  # 2 -> 3 grows by half (not less than 0.5); 3 -> 4 by a third
    ([2.0, 2.0, 4.0], 0.5, 0, 0),  # a stall, then growth: the count starts again
    ([2.0, 2.0, 2.0, 2.0], 0.5, 2, 2),  # counting from position 2 (after a recorded stop)
    ([2.0, 2.0, 2.0, 2.0], 0.5, 0, 3),
])
def test_a_trial_stalls_when_it_grows_a_positive_hypervolume_by_less_than_min_gain(volumes, min_gain, start, expected):
    assert stalled(volumes, min_gain, start) == expected


def fake_trial(number: int, top: float, rmse: float, completed_at: int, state: str = "COMPLETE", **attrs):
    return SimpleNamespace(number=number, state=SimpleNamespace(name=state),
                           datetime_complete=datetime(2025, 1, 1) + timedelta(seconds=completed_at),
                           user_attrs={"metrics": {"top_100_accuracy": top, "rmse": rmse}, "rating_weight": 1.0,
                                       "retrieval_weight": 1.0, **attrs})


def test_growth_follows_the_order_trials_completed_in_and_counts_only_front_trials():
    found = [fake_trial(0, 0.2, 1.0, completed_at=5), fake_trial(1, 0.3, 1.0, completed_at=1),
             fake_trial(2, 0.9, 0.1, completed_at=2, method="dwa"),  # an adaptive method: judged, not counted
             fake_trial(3, 0.9, 0.1, completed_at=3, state="FAIL")]
    numbers, volumes = growth(found, ("top_100_accuracy", "rmse"), DIRECTIONS, (0.1, 2.0))
    assert numbers == [1, 0]
    assert volumes == [pytest.approx(0.2 * 1.0), pytest.approx(0.2 * 1.0)]  # trial 0, second, is dominated


class FakeStudy:
    def __init__(self, found, attrs=None):
        self.found, self.user_attrs = found, dict(attrs or {})

    def get_trials(self, deepcopy=False):
        return self.found

    def set_user_attr(self, key, value):
        self.user_attrs[key] = value


def settings(patience, min_gain=0.5):
    return SimpleNamespace(patience=patience, min_gain=min_gain, objectives=("top_100_accuracy", "rmse"),
                           directions=DIRECTIONS)


def test_the_stop_is_recorded_with_its_target_and_a_larger_target_counts_afresh_after_it():
    # measured from (0.1, 2.0): trial 0's box is 0.1 x 2.0 = 0.2, and trials 1 and 2 lie inside it
    found = [fake_trial(0, 0.2, 0.0, 0), fake_trial(1, 0.15, 1.0, 1), fake_trial(2, 0.2, 0.5, 2)]
    study = FakeStudy(found, {"context_baselines": {"chance_top_100_accuracy": 0.1, "global_mean_rmse": 2.0}})
    assert check(study, settings(patience=3), n_trials=10) is None and STOP_ATTR not in study.user_attrs
    assert check(study, settings(patience=None), n_trials=10) is None
    stop = check(study, settings(patience=2), n_trials=10)
    assert stop == Stop(complete=3, n_trials=10, patience=2, min_gain=0.5, hypervolume=pytest.approx(0.2), last_trial=2)
    assert Stop.from_attr(study.user_attrs[STOP_ATTR]) == stop
    assert recorded_stop(study.user_attrs, 10) == stop and recorded_stop(study.user_attrs, 8) == stop
    assert recorded_stop(study.user_attrs, 11) is None  # a larger target continues
    found.append(fake_trial(3, 0.2, 0.1, 3))  # after the stop: one stall is not two
    assert check(study, settings(patience=2), n_trials=11) is None
    found.append(fake_trial(4, 0.4, 1.0, 4))  # adds 0.2 x 1.0, doubling the area: the count starts again
    assert check(study, settings(patience=2), n_trials=11) is None
    found.extend([fake_trial(5, 0.1, 1.0, 5), fake_trial(6, 0.1, 1.0, 6)])  # no better than chance: two stalls
    assert check(study, settings(patience=2), n_trials=11).complete == 7


# --- whole runs with the fake trainer ----------------------------------------------------------


def expected_stop(study, patience: int, min_gain: float, start: int = 0) -> int | None:
    """Independently of sweep.patience: how many front trials (in completion order) the study holds
    when `patience` of them in a row, after `start`, grew the area by less than min_gain; None if never."""
    ordered = sorted(by_state(study.get_trials(), "COMPLETE"), key=lambda t: t.datetime_complete)
    points = [(t.user_attrs["metrics"]["top_100_accuracy"], t.user_attrs["metrics"]["rmse"]) for t in ordered]
    reference = (MOVIELENS_BASELINES["chance_top_100_accuracy"], MOVIELENS_BASELINES["global_mean_rmse"])
    areas = [cell_area(points[:count], reference) for count in range(len(points) + 1)]
    for count in range(start + patience, len(points) + 1):
        gains = [(areas[k] - areas[k - 1], areas[k - 1]) for k in range(count - patience + 1, count + 1)]
        if all(before > 0 and grown < min_gain * before for grown, before in gains):
            return count
    return None


@pytest.mark.slow  # seconds of real processes or whole reports: the full suite runs it
def test_a_sweep_stops_once_its_front_stops_growing_says_why_and_a_larger_target_continues(
        tmp_path, sqlite_storage, synthetic_dir):
    # weights whose fake metrics mostly beat MovieLens 100K's trivial baselines: the front grows, then slows
    search = {"rating_weight": {"low": 1.0, "high": 10.0}, "retrieval_weight": {"low": 1e-5, "high": 1e-3}}
    path = study_file(tmp_path, n_trials=40, study={"patience": 4, "min_gain": 0.02}, search=search)
    spec = load_study_file(path)
    options = RunOptions(sqlite_storage, synthetic_dir, tmp_path / "artifacts", 40, trainer=FAKE_TRAINER)
    stored = create_or_load(spec, open_storage(sqlite_storage), load_prepared(spec.data, synthetic_dir), options)
    stored.set_user_attr("context_baselines", MOVIELENS_BASELINES)  # before any trial

    result = sweep_run(path, sqlite_storage, synthetic_dir)
    assert result.returncode == 0, result.stderr
    complete = len(by_state(trials(sqlite_storage), "COMPLETE"))
    assert complete == expected_stop(stored, 4, 0.02) and complete < 40
    recorded = stored.user_attrs[STOP_ATTR]
    assert (recorded["complete"], recorded["n_trials"], recorded["patience"], recorded["reason"]) == (complete, 40, 4,
                                                                                                  "patience")
    assert "stopped before the target: the front stopped growing: the last 4 complete trials each added less than 2 %" \
        in result.stderr and "--trials above 40 continues" in result.stderr

    again = sweep_run(path, sqlite_storage, synthetic_dir)
    assert again.returncode == 0 and "stopped: the front stopped growing" in again.stderr
    assert "nothing to do" in again.stderr and len(trials(sqlite_storage)) == complete
    listing = sweep_cli(["studies", "--storage", sqlite_storage])
    assert f"(target 40 complete; maximize top_100_accuracy, minimize rmse) [stopped early after {complete} trials: " \
        "its front stopped growing]" in listing.stdout

    more = sweep_run(path, sqlite_storage, synthetic_dir, "--trials", "41")
    assert more.returncode == 0, more.stderr
    now = len(by_state(trials(sqlite_storage), "COMPLETE"))
    assert now == min(expected_stop(stored, 4, 0.02, start=complete) or 41, 41) and now >= complete + 4
