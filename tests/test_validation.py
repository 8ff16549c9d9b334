"""The validation slice (`[data] validation`, sweep/data/validation.py): which training rows are held out,
the prepared split they make, the study that chooses on them, and the errors around them.

The rule: exactly round(f × N) rows (half up); each user gives its share of one common threshold
(within half a row of it) and a one-row user keeps its row unless f > ½; the split's seed draws
them on a stream of their own; the slice is cached beside the split and fingerprinted.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from sweep import UsageError, data
from sweep.config import parse_study
from sweep.data.prepared import prepare
from sweep.data.validation import validation_count, validation_rows
from sweep.record import TrialRecord
from tests import fake_trainer
from tests.helpers import by_state, study_file, study_text, sweep_cli, sweep_run, trials

# 40 users with 1 to 40 rows each (820 rows), shuffled: every size of user, from a single row up.
USERS = np.random.default_rng(5).permutation(np.repeat(np.arange(1, 41), np.arange(1, 41)))


@pytest.mark.parametrize("fraction, expected", [(0.1, 82), (0.25, 205), (0.5, 410), (0.0025, 2), (0.0, 0)])
def test_exactly_the_share_of_rows_is_held_out(fraction, expected):  # 0.0025 × 820 = 2.05 rounds to 2
    assert validation_count(len(USERS), fraction) == expected
    assert validation_rows(USERS, fraction, seed=0).sum() == expected


@pytest.mark.parametrize("fraction", [0.1, 0.25, 0.4])
def test_each_user_gives_its_share_within_half_a_row(fraction):
    held = validation_rows(USERS, fraction, seed=3)
    sizes, given = np.bincount(USERS)[1:], np.bincount(USERS[held], minlength=41)[1:]
    # one threshold t makes the total: every user gives a count within half a row of t × n
    shares = [(t, np.abs(given - t * sizes).max()) for t in np.linspace(0, 1, 20001)]
    assert min(worst for _, worst in shares) <= 0.5 + 1e-9
    assert given[0] == 0  # the one-row user keeps its only row at f ≤ ½


def test_the_same_seed_holds_out_the_same_rows_and_another_seed_others():
    assert np.array_equal(validation_rows(USERS, 0.1, seed=7), validation_rows(USERS, 0.1, seed=7))
    assert not np.array_equal(validation_rows(USERS, 0.1, seed=7), validation_rows(USERS, 0.1, seed=8))


def test_the_prepared_split_trains_on_the_rest_and_keeps_the_test_split(synthetic_dir):
    dataset = data.load(synthetic_dir, data.SYNTHETIC)
    split = data.load_split(dataset, seed=4)
    whole, held = prepare(dataset, split), prepare(dataset, split, validation=0.2)
    n_train = len(split.train)
    assert len(held.validation["user_id"]) == validation_count(n_train, 0.2)
    assert len(held.train["user_id"]) + len(held.validation["user_id"]) == n_train
    # disjoint and together the training rows: (user, title, rating) rows as a multiset
    def rows(part):
        return sorted(zip(part["user_id"].tolist(), part["movie_title"].tolist(), part["user_rating"].tolist()))

    assert sorted(rows(held.train) + rows(held.validation)) == rows(whole.train)
    assert all(np.array_equal(held.test[name], whole.test[name]) for name in whole.test)
    assert held.objective_split is held.validation and whole.objective_split is whole.test
    assert whole.split_fingerprint == split.fingerprint  # no slice: the split's own fingerprint, as before
    assert held.split_fingerprint not in (split.fingerprint, prepare(dataset, split, validation=0.1).split_fingerprint)
    assert prepare(dataset, split, validation=0.2).split_fingerprint == held.split_fingerprint  # read back from the cache
    assert list((dataset.path / "splits").glob("validation-*-0.2.npy"))


def test_a_damaged_cache_is_drawn_again(synthetic_dir):
    dataset = data.load(synthetic_dir, data.SYNTHETIC)
    split = data.load_split(dataset, seed=4)
    first = prepare(dataset, split, validation=0.3)
    for cached in (dataset.path / "splits").glob("validation-*-0.3.npy"):
        np.save(cached, np.arange(5))  # the wrong rows
    again = prepare(dataset, split, validation=0.3)
    assert again.split_fingerprint == first.split_fingerprint
    assert np.array_equal(again.validation["user_id"], first.validation["user_id"])


@pytest.mark.parametrize("share, shown", [(-0.1, "-0.1"), (1.0, "1.0"), ("nan", "nan"), (0.5, None)])
def test_a_bad_validation_share_is_one_line_naming_the_key(share, shown):
    text = study_text() + f"validation = {share}\n"  # the [data] table is the file's last
    if shown is None:
        assert parse_study(__import__("tomllib").loads(text)).data.validation == 0.5
        return
    with pytest.raises(UsageError, match=r"^data\.validation: expected a number from 0 to below 1") as error:
        parse_study(__import__("tomllib").loads(text))
    assert "\n" not in str(error.value)


def test_without_a_slice_the_spec_hash_is_the_one_studies_had_before_it():
    import tomllib

    plain = parse_study(tomllib.loads(study_text()))
    zero = parse_study(tomllib.loads(study_text() + "validation = 0.0\n"))
    held = parse_study(tomllib.loads(study_text() + "validation = 0.1\n"))
    assert "validation" not in plain.identity()["data"] and zero.hash == plain.hash != held.hash


def test_a_study_chooses_on_the_slice_and_records_the_test_metrics_beside(tmp_path, synthetic_dir):
    path = study_file(tmp_path, n_trials=5, data={"validation": 0.2})
    storage = f"sqlite:///{tmp_path / 'db.sqlite'}"
    result = sweep_run(path, storage, synthetic_dir)
    assert result.returncode == 0, result.stderr
    import optuna

    study = optuna.load_study(study_name="s", storage=storage)
    assert study.user_attrs["objective_split"] == "validation"
    for trial in by_state(trials(storage), "COMPLETE"):
        record = TrialRecord.from_attrs(trial.user_attrs)
        chosen_on = fake_trainer.expected_metrics(record.rating_weight, record.retrieval_weight)
        reported = fake_trainer.expected_test_metrics(record.rating_weight, record.retrieval_weight)
        assert trial.values == pytest.approx([chosen_on["top_100_accuracy"], chosen_on["rmse"]])  # what Optuna sees
        assert record.test_metric("rmse") == pytest.approx(reported["rmse"])
        assert record.test_metric("top_100_accuracy") == pytest.approx(reported["top_100_accuracy"])


def test_a_changed_validation_slice_refuses_to_join_in_one_line(tmp_path, synthetic_dir):
    storage = f"sqlite:///{tmp_path / 'db.sqlite'}"
    assert sweep_run(study_file(tmp_path, n_trials=3, data={"validation": 0.1}), storage, synthetic_dir).returncode == 0
    refused = sweep_run(study_file(tmp_path, n_trials=4, data={"validation": 0.2}), storage, synthetic_dir)
    assert refused.returncode != 0
    assert refused.stderr.strip().count("\n") == 0
    assert "data.validation 0.1" in refused.stderr and "0.2" in refused.stderr
    assert len(trials(storage)) == 3  # nothing trained


def test_sweep_pick_on_a_validation_study_chooses_on_the_slice_and_shows_the_test_split_beside(tmp_path, synthetic_dir):
    path = study_file(tmp_path, n_trials=5, data={"validation": 0.2})
    storage = f"sqlite:///{tmp_path / 'db.sqlite'}"
    assert sweep_run(path, storage, synthetic_dir).returncode == 0
    picked = sweep_cli(["pick", "s", "--storage", storage, "--json"], synthetic_dir, cwd=tmp_path)
    assert picked.returncode == 0, picked.stderr
    chosen = json.loads(picked.stdout)
    weights = chosen["weights"]
    assert chosen["means"]["rmse"] == pytest.approx(fake_trainer.expected_metrics(*weights)["rmse"])  # chosen on
    assert chosen["test_means"]["rmse"] == pytest.approx(fake_trainer.expected_test_metrics(*weights)["rmse"])
    shown = sweep_cli(["pick", "s", "--storage", storage], synthetic_dir, cwd=tmp_path)
    assert "on the test split (reported, not chosen on): top_100_accuracy" in shown.stdout
