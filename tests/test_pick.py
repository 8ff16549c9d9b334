"""`sweep pick`: the trial to take under a constraint, judged on its seeds. Constructed candidates
whose answers are known by hand (probabilities in closed form), the constraint grammar, a conditioned
study's search along its front with a model that is a known function of the weights, and whole
studies with the fake trainer (tests/fake_trainer.py) through the real command line."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import numpy as np
import optuna
import pytest

from sweep import SweepError, UsageError
from sweep.pareto import study_knee
from sweep.pick import Bound, Candidate, NothingMeets, along, choose, describe, parse_constraint, pick_study
from sweep.record import CONDITIONED, ConditionedOrigin, Run, Seconds, Summary, TrialRecord
from tests.fake_trainer import expected_metrics
from tests.helpers import REPO, by_state, study_file, sweep_cli, sweep_run, trials

OBJECTIVES, DIRECTIONS = ("top_100_accuracy", "rmse"), ("maximize", "minimize")
REFERENCE = (0.0, 2.0)  # chance top-100 accuracy and the global mean's RMSE, for these constructed trials
RMSE_AT_MOST_1 = (Bound("rmse", 1.0),)


def candidate(number: int, tops, rmses) -> Candidate:
    """A trial with one value per seed of each objective."""
    return Candidate((1.0, 1.0), {"top_100_accuracy": np.array(tops, float), "rmse": np.array(rmses, float)}, number)


# --- the constraint's grammar ----------------------------------------------------------------------


@pytest.mark.parametrize("text, bounds", [
    ("rmse<=1.0", [Bound("rmse", 1.0)]),
    ("top_100>=0.2", [Bound("top_100_accuracy", 0.2)]),
    ("rmse<=0.95,top_100>=0", [Bound("rmse", 0.95), Bound("top_100_accuracy", 0.0)]),
    (" rmse <= 1e0 , top_100>=1 ", [Bound("rmse", 1.0), Bound("top_100_accuracy", 1.0)]),
])
def test_a_constraint_is_an_rmse_ceiling_a_top_100_floor_or_both(text, bounds):
    assert list(parse_constraint(text)) == bounds


@pytest.mark.parametrize("text, says", [
    ("", "expected rmse<=X"), ("rmse<1", "expected rmse<=X"), ("rmse<=1,", "expected rmse<=X"),
    ("mae<=1", "expected rmse<=X"), ("rmse<=1 top_100>=0.2", "expected"), ("rmse=1", "expected rmse<=X"),
    ("rmse>=1", "rmse is bounded as at most a value"), ("top_100<=0.2", "top_100 is bounded as at least a value"),
    ("rmse<=nan", "expected a finite number above 0"), ("rmse<=inf", "expected a finite number above 0"),
    ("rmse<=-1", "expected a finite number above 0"), ("rmse<=0", "expected a finite number above 0"),
    ("rmse<=ten", "expected a finite number above 0"), ("top_100>=1.5", "expected a number from 0 to 1"),
    ("top_100>=-0.1", "expected a number from 0 to 1"),
    ("rmse<=1,rmse<=0.9", "rmse is bounded twice (rmse<=1 and rmse<=0.9)"),
    ("top_100>=0.2,top_100>=0.2", "top_100 is bounded twice"),
])
def test_anything_else_is_one_error_line_saying_what_is_expected(text, says):
    with pytest.raises(UsageError) as error:
        parse_constraint(text)
    assert str(error.value).startswith("--pick") and says in str(error.value) and "\n" not in str(error.value)


# --- the rule on constructed trials -----------------------------------------------------------------


def test_under_an_rmse_bound_the_most_accurate_trial_that_meets_it_is_taken():
    trials_ = [candidate(0, [0.30], [1.05]), candidate(1, [0.25], [0.95]), candidate(2, [0.20], [0.90])]
    choice = choose(trials_, OBJECTIVES, DIRECTIONS, REFERENCE, RMSE_AT_MOST_1)
    assert choice.chosen.number == 1 and choice.probability == 1.0 and choice.qualifying == 2
    assert choice.measure == "top_100_accuracy"
    floor = choose(trials_, OBJECTIVES, DIRECTIONS, REFERENCE, (Bound("top_100_accuracy", 0.22),))
    assert floor.chosen.number == 1 and floor.measure == "rmse"  # the best RMSE of the two above 0.22


def test_the_probability_of_meeting_the_bound_is_over_the_seeds_not_the_mean():
    """Trial 0's three seeds have RMSE 0.9, 0.9 and 1.2: mean 1.0, meeting RMSE <= 1.0. A resample
    of its seeds meets it when it draws the 1.2 seed at most once: (2/3)^3 + 3 (1/3) (2/3)^2 = 20/27.
    So at 0.9 the more accurate trial 0 does not qualify and trial 1 (one seed, 0.97) is taken."""
    trials_ = [candidate(0, [0.30, 0.30, 0.30], [0.9, 0.9, 1.2]), candidate(1, [0.25], [0.97])]
    sure = choose(trials_, OBJECTIVES, DIRECTIONS, REFERENCE, RMSE_AT_MOST_1, confidence=0.9)
    assert sure.chosen.number == 1 and sure.probability == 1.0 and sure.qualifying == 1
    loose = choose(trials_, OBJECTIVES, DIRECTIONS, REFERENCE, RMSE_AT_MOST_1, confidence=0.7)
    assert loose.chosen.number == 0
    assert abs(loose.probability - 20 / 27) < 0.045  # 1,000 resamples: binomial std 0.014
    assert choose(trials_, OBJECTIVES, DIRECTIONS, REFERENCE, RMSE_AT_MOST_1, confidence=0.7) == loose  # fixed seed


def test_overlapping_intervals_leave_the_pick_undetermined_between_the_two():
    """Trial 0's top-100 seeds 0.20 and 0.30: resampled means 0.20, 0.25 or 0.30 (1/4, 1/2, 1/4), so
    its central 90 % runs from 0.20 to 0.30; trial 1's (0.24, 0.25) from 0.24 to 0.25, inside it.
    Trial 2 (0.10, 0.11) overlaps neither."""
    trials_ = [candidate(0, [0.20, 0.30], [0.9, 0.9]), candidate(1, [0.24, 0.25], [0.9, 0.9]),
               candidate(2, [0.10, 0.11], [0.9, 0.9])]
    choice = choose(trials_, OBJECTIVES, DIRECTIONS, REFERENCE, RMSE_AT_MOST_1)
    assert choice.chosen.number == 0 and choice.rival.number == 1 and choice.overlapping == 1
    assert choice.intervals["top_100_accuracy"] == (pytest.approx(0.20), pytest.approx(0.30))
    assert choice.rival_interval == (pytest.approx(0.24), pytest.approx(0.25))
    assert any(line.startswith("undetermined between trial 0 and trial 1: ") for line in describe(choice))
    narrow = [candidate(0, [0.29, 0.31], [0.9, 0.9]), *trials_[1:]]
    determined = choose(narrow, OBJECTIVES, DIRECTIONS, REFERENCE, RMSE_AT_MOST_1)
    assert determined.chosen.number == 0 and determined.rival is None
    assert any(line.startswith("determined: ") for line in describe(determined))


def test_with_both_bounds_the_knee_beyond_the_bounds_is_taken():
    # boxes beyond (top-100 0.2, RMSE 1.0): 0.05 x 0.01, 0.02 x 0.10, 0.10 x 0.005; the last misses RMSE
    trials_ = [candidate(0, [0.25], [0.99]), candidate(1, [0.22], [0.90]), candidate(2, [0.30], [0.995]),
               candidate(3, [0.40], [1.01])]
    both = (Bound("rmse", 1.0), Bound("top_100_accuracy", 0.2))
    choice = choose(trials_, OBJECTIVES, DIRECTIONS, REFERENCE, both)
    assert choice.chosen.number == 1 and choice.measure == "box" and choice.qualifying == 3
    assert choice.intervals["box"] == (pytest.approx(0.002), pytest.approx(0.002))


def test_without_a_bound_the_knee_is_taken():
    trials_ = [candidate(0, [0.1], [0.5]), candidate(1, [0.3], [1.0]), candidate(2, [0.5], [1.5])]
    choice = choose(trials_, OBJECTIVES, DIRECTIONS, REFERENCE, ())  # boxes 0.15, 0.30, 0.25
    assert choice.chosen.number == 1 and choice.probability is None and choice.measure == "box"
    assert describe(choice)[1].startswith("the knee: ")


def test_nothing_meeting_the_bound_names_the_closest_trial():
    """No trial meets RMSE <= 0.5 in 90 % of resamples. Trial 1 (seeds 0.4, 0.4, 1.6: mean 0.8) meets
    it in (2/3)^3 = 30 % of them, trial 0 (0.7, one seed) never, though its mean is nearer."""
    trials_ = [candidate(0, [0.2], [0.7]), candidate(1, [0.2, 0.2, 0.2], [0.4, 0.4, 1.6]), candidate(2, [0.3], [0.9])]
    with pytest.raises(NothingMeets) as error:
        choose(trials_, OBJECTIVES, DIRECTIONS, REFERENCE, (Bound("rmse", 0.5),))
    assert "the closest is trial 1 " in str(error.value) and "over 3 seeds" in str(error.value)
    assert error.value.exit_code == 1 and "\n" not in str(error.value)
    with pytest.raises(NothingMeets, match="the closest is trial 0 "):  # all at 0: the smallest shortfall
        choose([trials_[0], trials_[2]], OBJECTIVES, DIRECTIONS, REFERENCE, (Bound("rmse", 0.5),))


def test_a_one_seed_trial_says_its_probability_is_0_or_1():
    choice = choose([candidate(0, [0.3], [0.9])], OBJECTIVES, DIRECTIONS, REFERENCE, RMSE_AT_MOST_1)
    assert "one seed: its probability is 0 or 1" in describe(choice)[0]


# --- a conditioned study: the search along its front ------------------------------------------------


def tilt(pair) -> float:
    """The fake world's coordinate along the front (tests/fake_trainer.py): log10 of retrieval over rating."""
    return math.log10((pair[1] + 1e-9) / (pair[0] + 1e-9))


def fake_model(pair) -> dict[str, np.ndarray]:
    """A conditioned model whose two seeds give the fake trainer's metrics at any pair."""
    return {name: np.array([value, value]) for name, value in expected_metrics(*pair).items()}


def conditioned_study(pairs):
    study = optuna.create_study(directions=list(DIRECTIONS))
    study.set_metric_names(list(OBJECTIVES))
    study.set_user_attr("context_baselines", {"chance_top_100_accuracy": 0.0595, "global_mean_rmse": 1.1248})
    for pair in pairs:
        runs = tuple(Run(seed, {k: float(v[seed]) for k, v in fake_model(pair).items()}, Seconds()) for seed in (0, 1))
        summary = Summary.of(list(runs))
        record = TrialRecord(CONDITIONED, *pair, seeds=(0, 1), runs=runs, summary=summary,
                             conditioned=ConditionedOrigin("grid", True, ("a", "b")))
        study.add_trial(optuna.trial.create_trial(values=summary.values(OBJECTIVES), user_attrs=record.to_attrs()))
    return study


def test_a_conditioned_study_is_searched_along_its_front_to_the_edge_of_the_bound():
    """In the fake world top-100 accuracy and RMSE both rise with the tilt, so the most accurate pair
    with RMSE <= 1.2 sits where 1.11 + 2.6 s^6 = 1.2, s = 1 / (1 + e^-(tilt + 3)): tilt* = -2.7146.
    The stored pairs lie at tilts -6, -4, -2 and 0; the search fills the gap from -4 to -2 with pairs
    every 0.5 and then every 0.1 beside the best: it ends within 0.1 below tilt*, and beats the
    best stored pair (tilt -4)."""
    stored = [(10.0, 10.0 ** (t + 1)) for t in (-6, -4, -2, 0)]
    study = conditioned_study(stored)
    share = (0.09 / 2.6) ** (1 / 6)
    edge = math.log(share / (1 - share)) - 3
    choice = pick_study(study, (Bound("rmse", 1.2),), evaluate=fake_model)
    assert choice.chosen.number is None and choice.chosen.seeds == 2  # a pair evaluated for the pick
    assert edge - 0.1 - 1e-3 <= tilt(choice.chosen.pair) <= edge
    assert expected_metrics(*choice.chosen.pair)["rmse"] <= 1.2
    assert pick_study(study, (Bound("rmse", 1.2),)).chosen.number == 1  # among the stored pairs alone: tilt -4
    assert describe(choice)[0].startswith(f"weights ({choice.chosen.pair[0]:.4g}, {choice.chosen.pair[1]:.4g}): top_100")
    assert any("serve it with --weights" in line for line in describe(choice))


# --- a stored study through the command line ------------------------------------------------------


@pytest.fixture(scope="module")
def fake_study(tmp_path_factory, synthetic_dir):
    """A per-pair study of 12 trials, two seeds each, made by the fake trainer."""
    root = tmp_path_factory.mktemp("pick")
    storage = f"sqlite:///{root / 'studies.db'}"
    result = sweep_run(study_file(root, n_trials=12, study={"replicates": 2}), storage, synthetic_dir)
    assert result.returncode == 0, result.stderr
    return storage


def most_accurate_under(storage, rmse_max: float) -> int:
    """From the fake trainer's formula at each stored pair, independently of the stored metrics."""
    found = by_state(trials(storage), "COMPLETE")
    meeting = [(expected_metrics(t.user_attrs["rating_weight"], t.user_attrs["retrieval_weight"]), t.number)
               for t in found]
    return max((m["top_100_accuracy"], -number) for m, number in meeting if m["rmse"] <= rmse_max)[1] * -1


def test_sweep_pick_takes_the_most_accurate_trial_under_the_bound(fake_study):
    result = sweep_cli(["pick", "s", "--storage", fake_study, "--rmse-max", "1.5", "--json"])
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["trial"] == most_accurate_under(fake_study, 1.5)
    assert (document["probability"], document["seeds"], document["bounds"]) == (1.0, 2, ["rmse<=1.5"])
    text = sweep_cli(["pick", "s", "--storage", fake_study, "--rmse-max", "1.5"])
    assert text.stdout.startswith(f"trial {document['trial']}: weights (")


def test_sweep_pick_without_a_bound_takes_the_knee(fake_study):
    result = sweep_cli(["pick", "s", "--storage", fake_study, "--json"])
    assert json.loads(result.stdout)["trial"] == study_knee(optuna.load_study(study_name="s", storage=fake_study))


def test_nothing_meeting_the_bound_is_exit_1_and_one_line_naming_the_closest_trial(fake_study):
    # the fake trainer's RMSE is never below 1.11: the closest is the trial of the lowest RMSE
    lowest = min(by_state(trials(fake_study), "COMPLETE"),
                 key=lambda t: (expected_metrics(t.user_attrs["rating_weight"], t.user_attrs["retrieval_weight"])["rmse"],
                                t.number))
    result = sweep_cli(["pick", "s", "--storage", fake_study, "--rmse-max", "1.0"])
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.startswith("sweep: error: no candidate meets rmse<=1 with probability 0.9 or more")
    assert f"the closest is trial {lowest.number} " in result.stderr and result.stderr.count("\n") == 1


def test_serving_with_pick_serves_the_picked_trial(fake_study):
    """The fake trainer keeps no model: serving the pick fails naming the trial it picked."""
    expected = most_accurate_under(fake_study, 1.5)
    result = sweep_cli(["predict", "s", "--storage", fake_study, "--user", "1", "--movie", "x", "--pick", "rmse<=1.5"])
    assert result.returncode == 1
    first, second = result.stderr.splitlines()
    assert first.startswith(f"picked under rmse<=1.5: trial {expected}, weights (")
    assert second.startswith(f"sweep: error: trial {expected} of study 's' has no stored model")


@pytest.mark.parametrize("argv, says", [
    (["predict", "s", "--user", "1", "--movie", "x", "--pick", "rmse<1"], "--pick: expected rmse<=X"),
    (["recommend", "s", "--user", "1", "--pick", "rmse<=1,rmse<=2"], "rmse is bounded twice"),
    (["export", "s", "--out", "{tmp}/x", "--pick", "top_100>=2"], "--pick top_100: expected a number from 0 to 1"),
    (["predict", "s", "--user", "1", "--movie", "x", "--pick", "rmse<=1", "--trial", "3"], "drop --trial"),
    (["recommend", "s", "--user", "1", "--pick", "rmse<=1", "--weights", "1,1"], "drop --trial and --weights"),
    (["pick", "s", "--rmse-max", "nan"], "argument --rmse-max: expected a finite number above 0"),
    (["pick", "s", "--top-100-min", "1.5"], "argument --top-100-min: expected a number from 0 to 1"),
    (["pick", "s", "--confidence", "0"], "argument --confidence: expected a number from above 0 to 1"),
])
def test_a_bad_constraint_is_one_error_line(fake_study, tmp_path, argv, says):
    result = sweep_cli([arg.format(tmp=tmp_path) for arg in argv] + ["--storage", fake_study])
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and says in result.stderr, result.stderr
    assert result.stderr.startswith("sweep: error: ")


def test_picking_loads_neither_tensorflow_nor_a_reporting_library(fake_study):
    script = f"""
import sys
from sweep.cli import main
code = main(["pick", "s", "--storage", "{fake_study}", "--rmse-max", "1.5"])
print(code, sorted(m for m in ("tensorflow", "matplotlib", "jinja2", "sweep.report") if m in sys.modules))
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "0 []"


def test_a_study_without_results_has_nothing_to_pick():
    study = optuna.create_study(directions=list(DIRECTIONS))
    with pytest.raises(SweepError, match="no COMPLETE trials to pick from yet"):
        pick_study(study, RMSE_AT_MOST_1)


def test_the_curve_fills_each_gap_log_spaced_and_never_leaves_the_ends_range():
    curve = along([(10.0, 0.001), (10.0, 1.0), (1.0, 10.0)], 3)
    assert len(curve) == 3 + 2 * 3 and curve[0] == (10.0, 0.001) and curve[4] == (10.0, 1.0) and curve[-1] == (1.0, 10.0)
    assert [pair[1] for pair in curve[:5]] == pytest.approx([10.0 ** e for e in (-3, -2.25, -1.5, -0.75, 0)])
    assert all(pair[0] == 10.0 for pair in curve[:5])  # exp(log(10)) is 10.000000000000002: kept inside [10, 10]
    assert [pair[0] for pair in curve[4:]] == pytest.approx([10.0 ** e for e in (1, 0.75, 0.5, 0.25, 0)])
