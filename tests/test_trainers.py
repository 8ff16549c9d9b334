"""sweep.trainers: sweep's own trainer by a plain import, a stand-in by its "module:function" name."""

from __future__ import annotations

import optuna
import pytest

import sweep.trial
from sweep import UsageError
from sweep.config.run import DEFAULT_TRAINER
from sweep.trainers import TRAINERS, trainer_named
from tests import fake_trainer
from tests.helpers import study_file, sweep_run

FAKE_TRAINER = "tests.fake_trainer:train_and_evaluate"


def test_sweeps_own_trainer_is_registered_under_the_name_studies_record():
    own = TRAINERS[DEFAULT_TRAINER]
    assert own is sweep.trial.train_and_evaluate
    assert DEFAULT_TRAINER == f"{own.__module__}:{own.__qualname__}"  # the recorded name says where it lives
    assert trainer_named(DEFAULT_TRAINER) is own


def test_a_stand_in_is_imported_by_its_module_and_function():
    assert trainer_named(FAKE_TRAINER) is fake_trainer.train_and_evaluate


@pytest.mark.parametrize("name, why", [
    ("tests.fake_trainer:no_such_function", "module 'tests.fake_trainer' has no attribute 'no_such_function'"),
    ("no_such_module:train", "No module named 'no_such_module'"),
    (":train", "Empty module name"),
])
def test_a_name_that_imports_no_function_is_one_usage_error(name, why):
    with pytest.raises(UsageError) as refused:
        trainer_named(name)
    assert str(refused.value) == f"$SWEEP_TRAINER={name} does not name a function ({why})"


def test_a_run_with_a_trainer_that_does_not_exist_is_one_line_and_makes_no_study(tmp_path, sqlite_storage,
                                                                                 synthetic_dir):
    result = sweep_run(study_file(tmp_path), sqlite_storage, synthetic_dir, SWEEP_TRAINER="no_such_module:train")
    assert result.returncode == 2
    assert result.stderr.strip() == ("sweep: error: $SWEEP_TRAINER=no_such_module:train does not name a function "
                                     "(No module named 'no_such_module')")
    assert optuna.get_all_study_summaries(sqlite_storage) == []
