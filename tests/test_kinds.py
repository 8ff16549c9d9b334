"""Study kinds: chosen once, from a spec, a stored study (old or new) or a stored model."""

from __future__ import annotations

import json
import math
import tomllib

import pandas as pd
import pytest

from sweep import UsageError
from sweep.config import parse_study
from sweep.kinds import CONDITIONED, KIND_ATTR, SWEEP, for_model, for_spec, for_study
from tests.helpers import study_text


def test_a_spec_names_its_kind_and_the_default_is_a_sweep():
    assert for_spec(parse_study(tomllib.loads(study_text()))).name == SWEEP
    conditioned = study_text(study={"kind": "conditioned"})
    assert for_spec(parse_study(tomllib.loads(conditioned))).name == CONDITIONED


@pytest.mark.parametrize("attrs, kind", [
    ({KIND_ATTR: CONDITIONED}, CONDITIONED),
    ({KIND_ATTR: SWEEP, "spec": json.dumps({"study": {"method": "conditioned"}})}, SWEEP),  # the attribute decides
    ({"spec": json.dumps({"study": {"method": "conditioned", "name": "c"}})}, CONDITIONED),  # stored before kinds
    ({"spec": json.dumps({"study": {"name": "t"}})}, SWEEP),  # a per-pair spec leaves the key out
    ({}, SWEEP),  # the oldest studies: no spec recorded
])
def test_a_stored_studys_kind_is_its_attribute_or_what_its_spec_recorded(attrs, kind):
    assert for_study(attrs).name == kind


def test_a_model_knows_the_kind_of_study_it_came_from():
    assert for_model({"embedding_dimension": 32}).name == SWEEP
    assert for_model({"conditioned": {"ranges": {}}}).name == CONDITIONED


def test_a_per_pair_study_serves_only_its_trials_pairs():
    with pytest.raises(UsageError, match=r"^--weights: this study trained one model per weight pair"):
        for_model({}).check_servable((1.0, 0.5), {})


def test_a_conditioned_model_serves_a_pair_inside_its_ranges_only():
    meta = {"conditioned": {"ranges": {"rating_weight": (1.0, 10.0), "retrieval_weight": (0.01, 1.0)},
                            "zero_share": 0.0}}
    for_model(meta).check_servable((2.0, 0.1), meta)
    with pytest.raises(UsageError, match="rating_weight 20 is outside the range"):
        for_model(meta).check_servable((20.0, 0.1), meta)


def test_each_kind_counts_its_cost_its_own_way():
    complete = pd.DataFrame({"n_seeds": [2, 2, 3], "train_seconds": [1.0, 2.0, 3.5], "evaluate_seconds": [0.5] * 3})
    sweep_cost = for_study({}).cost(complete, {})
    assert (sweep_cost["pairs"], sweep_cost["trainings"], sweep_cost["training_seconds"]) == (3, 7, 6.5)
    assert math.isclose(sweep_cost["evaluation_seconds"], 1.5)
    trainings = [{"seconds": {"train": 4.0}}, {"seconds": {"train": 5.0}}]
    attrs = {KIND_ATTR: CONDITIONED, "trainings": trainings}
    conditioned_cost = for_study(attrs).cost(complete.assign(n_seeds=2), attrs)
    assert (conditioned_cost["pairs"], conditioned_cost["trainings"], conditioned_cost["training_seconds"]) == (3, 2, 9.0)


def test_a_conditioned_studys_verification_trials_cost_their_own_trainings_beside_its_conditioned_ones():
    from sweep.report.cost import cost_curve

    # three conditioned pairs (evaluation only), then two verification trials of two seeds each
    complete = pd.DataFrame({"number": [0, 1, 2, 3, 4], "state": ["COMPLETE"] * 5, "n_seeds": [2] * 5, "verifies": [math.nan] * 3 + [0, 2],
                             "train_seconds": [0.0, 0.0, 0.0, 3.0, 4.0], "evaluate_seconds": [0.5] * 5,
                             "top_100_accuracy": [0.1] * 5, "rmse": [1.0] * 5, "counts_for_front": [True] * 5,
                             "tutorial_pair": [""] * 5})
    attrs = {KIND_ATTR: CONDITIONED, "trainings": [{"seconds": {"train": 4.0}}, {"seconds": {"train": 5.0}}]}
    spent = for_study(attrs).cost(complete, attrs)
    assert (spent["pairs"], spent["verified"]) == (3, 2)
    assert (spent["trainings"], spent["verification_trainings"]) == (2 + 4, 4)
    assert spent["training_seconds"] == 9.0 + 7.0 and spent["verification_training_seconds"] == 7.0
    curve = cost_curve(complete, spent, {"top_100_accuracy": 0.0, "rmse": 2.0})
    assert curve["trainings"].tolist() == [2, 2, 2, 4, 6]  # the two models first, then each verification's seeds
    assert curve["seconds"].tolist() == [9.5, 10.0, 10.5, 14.0, 18.5]  # their training, each evaluation, each training
