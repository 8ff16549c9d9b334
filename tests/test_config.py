"""Study files: a valid file becomes a frozen spec; every bad input is one error naming the file and key."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from sweep import UsageError
from sweep.config import SearchRange, load_study_file, parse_study
from tests.helpers import study_text

REPO = Path(__file__).resolve().parents[1]

VALID = study_text("valid", n_trials=10, sampler="tpe", epochs=3, study={"seed": 3, "replicates": 2},
                   search={"learning_rate": {"low": 0.01, "high": 0.5}, "epochs": {"low": 1, "high": 6, "log": False}},
                   data={"split_seed": 42})


def write(tmp_path, text: str) -> Path:
    path = tmp_path / "study.toml"
    path.write_text(text)
    return path


def test_a_valid_file_becomes_a_frozen_spec(tmp_path):
    spec = load_study_file(write(tmp_path, VALID))
    assert spec.study.name == "valid" and spec.study.replicates == 2
    assert [item.name for item in spec.search] == ["rating_weight", "retrieval_weight", "learning_rate", "epochs"]
    assert spec.search[0].log is True  # log scale is the default for the weights
    assert spec.search[3].integer and spec.search[3].log is False
    assert spec.enqueue_tutorial_pairs
    assert spec.train.batch_size == 8192 and spec.model.embedding_dimension == 32  # the tutorial's defaults
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.study.name = "other"


def test_the_hash_follows_the_results_not_the_run_controls(tmp_path):
    base = load_study_file(write(tmp_path, VALID)).hash
    assert load_study_file(write(tmp_path, VALID.replace("n_trials = 10", "n_trials = 50"))).hash == base
    judged = load_study_file(write(tmp_path, VALID + "\n[baselines]\nmargin_top_100 = 0.02\nmargin_rmse = 0.05\n"))
    assert (judged.margins.top_100_accuracy, judged.margins.rmse) == (0.02, 0.05)
    assert judged.hash == base  # how results are judged is not part of them
    patient = VALID.replace("n_trials = 10", "n_trials = 10\npatience = 5\nmin_gain = 0.02")
    assert load_study_file(write(tmp_path, patient)).study.patience == 5
    assert load_study_file(write(tmp_path, patient)).hash == base  # when to stop early is a run control too
    assert load_study_file(write(tmp_path, VALID.replace("epochs = 3", "epochs = 4"))).hash != base
    assert load_study_file(write(tmp_path, VALID.replace("high = 10.0", "high = 20.0"))).hash != base


@pytest.mark.parametrize(
    "edit, key",
    [
        (lambda t: t.replace('[study]', '[study]\ncolour = "red"'), "study.colour"),
        (lambda t: t.replace('[train]', '[train]\nepocs = 3'), "train.epocs"),
        (lambda t: t + '\n[extra]\nx = 1\n', "extra"),
        (lambda t: t.replace('name = "valid"\n', ''), "study.name"),
        (lambda t: t.replace('low = 0.001', 'low = -1.0'), "search.rating_weight.low"),
        (lambda t: t.replace('low = 1e-05', 'low = nan'), "search.retrieval_weight.low"),
        (lambda t: t.replace('high = 1.0', 'high = inf'), "search.retrieval_weight.high"),
        (lambda t: t.replace('low = 0.001\nhigh = 10.0', 'low = 5.0\nhigh = 1.0'), "search.rating_weight"),
        (lambda t: t.replace('sampler = "tpe"', 'sampler = "annealing"'), "study.sampler"),
        (lambda t: t.replace('sampler = "tpe"', 'sampler = "tpe"\ndirections = ["maximize", "sideways"]'), "study.directions"),
        (lambda t: t.replace('n_trials = 10', 'n_trials = "ten"'), "study.n_trials"),
        (lambda t: t.replace('n_trials = 10', 'n_trials = 0'), "study.n_trials"),
        (lambda t: t.replace('epochs = 3', 'epochs = 2.5'), "train.epochs"),
        (lambda t: t.replace('[search.learning_rate]', '[search.dropout]'), "search.dropout"),
        (lambda t: t.replace('[search.retrieval_weight]\nlow = 1e-05\nhigh = 1.0\n', ''), "search.retrieval_weight"),
        (lambda t: t.replace('low = 0.001', 'low = 0.0'), "search.rating_weight.low"),
        (lambda t: t.replace('dataset = "synthetic"', 'dataset = "netflix"'), "data.dataset"),
        (lambda t: t + '\n[baselines]\nmargin_rmse = -0.1\n', "baselines.margin_rmse"),
        (lambda t: t + '\n[baselines]\nmargin_top_100 = "wide"\n', "baselines.margin_top_100"),
        (lambda t: t.replace('n_trials = 10', 'n_trials = 10\npatience = 0'), "study.patience"),
        (lambda t: t.replace('n_trials = 10', 'n_trials = 10\npatience = 3\nmin_gain = 0.0'), "study.min_gain"),
        (lambda t: t.replace('n_trials = 10', 'n_trials = 10\nmin_gain = 0.02'), "study.min_gain"),  # without patience
    ],
)
def test_bad_input_is_one_error_naming_the_file_and_the_key(tmp_path, edit, key):
    path = write(tmp_path, edit(VALID))
    with pytest.raises(UsageError) as error:
        load_study_file(path)
    message = str(error.value)
    assert message.startswith(f"{path}: ")
    assert key in message
    assert "\n" not in message


def test_invalid_toml_names_the_file(tmp_path):
    path = write(tmp_path, "[study\nname = 1")
    with pytest.raises(UsageError, match=f"{path}: invalid TOML"):
        load_study_file(path)


def test_a_missing_file_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="no such study file"):
        load_study_file(tmp_path / "absent.toml")


def test_movielens_studies_default_to_the_tutorials_split_and_refuse_to_bend_it():
    base = {"study": {"name": "x"}, "search": {"rating_weight": {"low": 1.0, "high": 2.0},
                                               "retrieval_weight": {"low": 1.0, "high": 2.0}}}
    assert parse_study(base).data.split == "tutorial"
    assert parse_study({**base, "data": {"dataset": "synthetic"}}).data.split == "permutation"
    assert parse_study({**base, "data": {"split": "permutation", "split_seed": 7}}).data.split_seed == 7
    for data, words in (({"split_seed": 7}, "split_seed 42"), ({"train_size": 1000}, "80,000 / 20,000"),
                        ({"dataset": "synthetic", "split": "tutorial"}, "movielens-100k only"),
                        ({"split": "random"}, "unknown split 'random'")):
        with pytest.raises(UsageError, match="data.split") as error:
            parse_study({**base, "data": data})
        assert words in str(error.value)


def test_a_linear_range_may_include_zero_weight():
    spec = parse_study(
        {"study": {"name": "x"}, "search": {"rating_weight": {"low": 0.0, "high": 1.0, "log": False},
                                             "retrieval_weight": {"low": 0.0, "high": 1.0, "log": False}}}
    )
    assert spec.search[0].low == 0.0


def test_the_grid_sampler_needs_values_and_only_it_takes_them():
    grid = {"rating_weight": {"values": [1.0, 0.1]}, "retrieval_weight": {"values": [1.0]}}
    assert parse_study({"study": {"name": "g", "sampler": "grid"}, "search": grid}).search[0].values == (1.0, 0.1)
    with pytest.raises(UsageError, match="grid sampler"):
        parse_study({"study": {"name": "g", "sampler": "grid"},
                     "search": {"rating_weight": {"low": 1.0, "high": 2.0}, "retrieval_weight": {"values": [1.0]}}})
    with pytest.raises(UsageError, match="for sampler = \"grid\""):
        parse_study({"study": {"name": "g"}, "search": grid})


@pytest.mark.parametrize("name", ["demo", "tutorial", "beyond", "conditioned"])
def test_the_shipped_study_files_are_valid(name):
    spec = load_study_file(REPO / "studies" / f"{name}.toml")
    assert spec.study.name == name
    assert spec.enqueue_tutorial_pairs


CONDITIONED = study_text("cond", study={"kind": "conditioned", "replicates": 3},
                         search={"rating_weight": {"low": 10.0, "high": 60.0},
                                 "retrieval_weight": {"low": 0.01, "high": 0.3}},
                         conditioned={"epochs": 6, "batch_size": 4096, "grid": 5, "pairs_of": "tutorial"})


def test_a_conditioned_study_reads_its_own_keys_and_a_per_pair_study_has_none():
    spec = parse_study(__import__("tomllib").loads(CONDITIONED))
    assert spec.study.kind == "conditioned" and spec.conditioned.epochs == 6
    assert (spec.conditioned.batch_size, spec.conditioned.grid, spec.conditioned.pairs_of) == (4096, 5, "tutorial")
    assert spec.conditioned.draws == "preference" and spec.conditioned.cosine_weight == 0.0  # the defaults
    assert spec.conditioned.reference == (10.0, 0.1)  # chosen on selection seeds (benchmarks/results/conditioned-selection.json)
    assert spec.conditioned.verify == 0  # no front pair trained statically
    assert parse_study(__import__("tomllib").loads(VALID)).conditioned is None


def test_what_a_conditioned_study_evaluates_is_not_part_of_its_hash_but_what_it_trains_is(tmp_path):
    base = load_study_file(write(tmp_path, CONDITIONED)).hash
    assert load_study_file(write(tmp_path, CONDITIONED.replace("grid = 5", "grid = 12"))).hash == base
    assert load_study_file(write(tmp_path, CONDITIONED.replace('pairs_of = "tutorial"', ""))).hash == base
    # how many front pairs are then trained statically, and with which recipe: [train]'s or [conditioned]'s,
    # both already in the hash
    verified = load_study_file(write(tmp_path, CONDITIONED.replace("grid = 5", "grid = 5\nverify = 10")))
    assert verified.conditioned.verify == 10 and verified.hash == base
    own = load_study_file(write(tmp_path, CONDITIONED.replace("grid = 5", 'grid = 5\nverify = 10\nverify_recipe = "conditioned"')))
    assert own.conditioned.verify_recipe == "conditioned" and own.hash == base
    assert load_study_file(write(tmp_path, CONDITIONED.replace("epochs = 6", "epochs = 7"))).hash != base
    # FiLM waiting trains something else; at 0 (the default) it leaves the hash stored studies were made with
    assert load_study_file(write(tmp_path, CONDITIONED.replace("grid = 5", "grid = 5\nfilm_after = 0"))).hash == base
    assert load_study_file(write(tmp_path, CONDITIONED.replace("grid = 5", "grid = 5\nfilm_after = 3"))).hash != base
    assert load_study_file(write(tmp_path, CONDITIONED.replace("grid = 5", "grid = 5\nfilm_scale = 1.0"))).hash == base
    assert load_study_file(write(tmp_path, CONDITIONED.replace("grid = 5", "grid = 5\nfilm_scale = 0.1"))).hash != base
    assert load_study_file(write(tmp_path, CONDITIONED.replace("grid = 5", "grid = 5\ncalibrate = 0"))).hash == base
    assert load_study_file(write(tmp_path, CONDITIONED.replace("grid = 5", "grid = 5\ncalibrate = 2"))).hash != base
    assert load_study_file(write(tmp_path, CONDITIONED.replace("batch_size = 4096", "batch_size = 2048"))).hash != base


def test_per_pair_studies_keep_the_hash_they_had_before_conditioned_studies_existed(tmp_path):
    # The identity of a per-pair study has neither study.kind (study.method) nor a conditioned section.
    identity = load_study_file(write(tmp_path, VALID)).identity()
    assert not {"kind", "method"} & set(identity["study"]) and "conditioned" not in identity


@pytest.mark.parametrize("edit, key", [
    (lambda t: t.replace('kind = "conditioned"', 'kind = "hypernetwork"'), "study.kind"),
    (lambda t: t.replace('kind = "conditioned"', 'kind = "conditioned"\nmethod = "conditioned"'), "study.method"),
    (lambda t: t.replace("epochs = 6", "epochs = 0"), "conditioned.epochs"),
    (lambda t: t.replace("grid = 5", "grid = 1"), "conditioned.grid"),
    (lambda t: t.replace("grid = 5", 'draws = "epoch"'), "conditioned.draws"),
    (lambda t: t.replace("grid = 5", "zero_share = 1.0"), "conditioned.zero_share"),
    (lambda t: t.replace("grid = 5", "cosine_weight = -1.0"), "conditioned.cosine_weight"),
    (lambda t: t.replace("grid = 5", "learning_rate = 0.0"), "conditioned.learning_rate"),
    (lambda t: t.replace("batch_size = 4096", "batch_size = 1"), "conditioned.batch_size"),
    (lambda t: t.replace('pairs_of = "tutorial"', 'pairs_of = "cond"'), "conditioned.pairs_of"),
    (lambda t: t.replace("grid = 5", "width = 5"), "conditioned.width"),
    (lambda t: t.replace("grid = 5", "conditioning_width = -1"), "conditioned.conditioning_width"),
    (lambda t: t.replace("grid = 5", "verify = -1"), "conditioned.verify"),
    (lambda t: t.replace("grid = 5", "verify = 1.5"), "conditioned.verify"),
    (lambda t: t.replace("grid = 5", "verify = true"), "conditioned.verify"),
    (lambda t: t.replace("grid = 5", "film_after = 6"), "conditioned.film_after"),  # as many as the epochs
    (lambda t: t.replace("grid = 5", "film_after = 2\nconditioning_width = 0"), "conditioned.film_after"),  # no FiLM
    (lambda t: t.replace("grid = 5", "film_after = -1"), "conditioned.film_after"),
    (lambda t: t.replace("grid = 5", "film_scale = 0.0"), "conditioned.film_scale"),
    (lambda t: t.replace("grid = 5", "calibrate = -1"), "conditioned.calibrate"),
    (lambda t: t.replace("grid = 5", "calibrate = 1.5"), "conditioned.calibrate"),
    (lambda t: t.replace("grid = 5", "film_scale = 0.1\nconditioning_width = 0"), "conditioned.film_scale"),  # no FiLM
    (lambda t: t.replace('kind = "conditioned"', 'keep_models = "none"\nkind = "conditioned"'), "study.keep_models"),
    (lambda t: t + '\n[search.learning_rate]\nlow = 0.01\nhigh = 0.5\n', "search.learning_rate"),
    (lambda t: t.replace('kind = "conditioned"', 'kind = "sweep"'), "[conditioned]"),
    (lambda t: t.replace('kind = "conditioned"', 'kind = "conditioned"\npatience = 3'), "study.patience"),
])
def test_bad_conditioned_input_is_one_error_naming_the_key(tmp_path, edit, key):
    path = write(tmp_path, edit(CONDITIONED))
    with pytest.raises(UsageError) as error:
        load_study_file(path)
    assert key in str(error.value) and "\n" not in str(error.value)


def test_the_rating_fraction_is_part_of_the_hash_unless_every_row_is_rated(tmp_path):
    base = load_study_file(write(tmp_path, VALID))
    assert base.data.rating_fraction == 1.0  # the tutorial's: every row keeps its rating
    assert load_study_file(write(tmp_path, VALID.replace("split_seed = 42", "split_seed = 42\nrating_fraction = 1.0"))).hash \
        == base.hash  # studies from before sparse ratings keep their hash
    sparse = load_study_file(write(tmp_path, VALID.replace("split_seed = 42", "split_seed = 42\nrating_fraction = 0.2")))
    sparser = load_study_file(write(tmp_path, VALID.replace("split_seed = 42", "split_seed = 42\nrating_fraction = 0.05")))
    assert sparse.data.rating_fraction == 0.2 and len({base.hash, sparse.hash, sparser.hash}) == 3


@pytest.mark.parametrize("fraction", ["0", "0.0", "-0.1", "1.5", "nan", "inf", '"half"'])
def test_a_rating_fraction_outside_zero_to_one_is_one_error_line(tmp_path, fraction):
    path = write(tmp_path, VALID.replace("split_seed = 42", f"split_seed = 42\nrating_fraction = {fraction}"))
    with pytest.raises(UsageError) as error:
        load_study_file(path)
    assert str(error.value).startswith(f"{path}: data.rating_fraction: expected a number from above 0 to 1 (the share "
                                       "of training rows that keep their rating), got ")
    assert "\n" not in str(error.value)


def test_a_conditioned_study_refuses_sparse_ratings(tmp_path):
    with pytest.raises(UsageError, match=r"data.rating_fraction: a conditioned study trains on every rating"):
        load_study_file(write(tmp_path, CONDITIONED.replace("[data]", "[data]\nrating_fraction = 0.2")))


# The hashes stored studies were made with (reports/tutorial records the tutorial's): renaming
# keys must not change them.
RECORDED_HASHES = {
    "tutorial": "sha256:1aa43ec39252e086ffd28b9f94dec1b63ef6293c98bb6d63967ed797d0d2bc53",
    # preference draws over the tutorial study's whole range (before: example draws over borrowed ranges)
    # then FiLM 16 (round 4 of benchmarks/conditioned.py's selection), its output times 0.3, at Adagrad 0.03 (round 8),
    # the rating MLP refit 4 epochs (round 9) after 10 epochs (round 10)
    "conditioned": "sha256:e360aa0466f7fffc2822a0b2b5447503ed024877f6df9a4c8632f90595babb45",
}


@pytest.mark.parametrize("name", sorted(RECORDED_HASHES))
def test_renamed_keys_keep_the_hash_stored_studies_were_made_with(name):
    assert load_study_file(REPO / "studies" / f"{name}.toml").hash == RECORDED_HASHES[name]


def test_the_old_name_of_study_kind_still_loads_with_one_deprecation_line(tmp_path, caplog):
    current = load_study_file(write(tmp_path, CONDITIONED))
    with caplog.at_level("WARNING", logger="sweep.config"):
        old = load_study_file(write(tmp_path, CONDITIONED.replace('kind = "conditioned"', 'method = "conditioned"')))
    assert old == current and old.hash == current.hash
    assert [record.getMessage() for record in caplog.records] == [
        "sweep: warning: study.method is deprecated; write study.kind (the old name still works)"]


def test_adaptive_methods_named_in_their_old_section_still_load_with_one_deprecation_line(tmp_path, caplog):
    current = load_study_file(write(tmp_path, VALID + '\n[weighting]\nmethods = ["dwa"]\n'))
    with caplog.at_level("WARNING", logger="sweep.config"):
        old = load_study_file(write(tmp_path, VALID + '\n[baselines]\nmethods = ["dwa"]\n'))
    assert old == current and old.methods == ("dwa",) and old.hash == current.hash
    assert [record.getMessage() for record in caplog.records] == [
        "sweep: warning: baselines.methods is deprecated; write weighting.methods (the old name still works)"]


def test_an_old_and_a_new_name_for_one_key_are_refused(tmp_path):
    with pytest.raises(UsageError, match=r"^.*baselines.methods: the old name of weighting.methods"):
        load_study_file(write(tmp_path, VALID + '\n[baselines]\nmethods = ["dwa"]\n[weighting]\nmethods = ["dwa"]\n'))


# --- the weights as ratio and scale ----------------------------------------------------------

RATIO_AND_SCALE = study_text("ratio", search={"rating_weight": None, "retrieval_weight": None,
                                              "weight_ratio": {"low": 1e-4, "high": 10.0},
                                              "weight_scale": {"low": 0.1, "high": 1e4}})


def test_a_study_may_search_the_weights_as_their_ratio_and_scale():
    spec = parse_study(__import__("tomllib").loads(RATIO_AND_SCALE))
    assert [(item.name, item.low, item.high, item.log) for item in spec.search] == [
        ("weight_ratio", 1e-4, 10.0, True), ("weight_scale", 0.1, 1e4, True)]


@pytest.mark.parametrize("edit, key, words", [
    (lambda t: t + "\n[search.rating_weight]\nlow = 1.0\nhigh = 2.0\n", "search.weight_ratio", "not both"),
    (lambda t: t.replace("[search.weight_scale]\nlow = 0.1\nhigh = 10000.0\n", ""), "search.weight_scale", "missing"),
    (lambda t: t.replace("[search.weight_ratio]\nlow = 0.0001\nhigh = 10.0\n", ""), "search.weight_ratio", "missing"),
    (lambda t: t.replace("low = 0.1\nhigh = 10000.0", "low = 0.0\nhigh = 1.0\nlog = false"), "search.weight_scale.low",
     "above 0"),  # a scale of 0 leaves both tasks out
    (lambda t: t.replace("low = 0.0001", "low = -1.0\nlog = false"), "search.weight_ratio.low", "0 or more"),
    (lambda t: t.replace("low = 0.0001", "low = 0.0"), "search.weight_ratio.low", "log-scale range needs low > 0"),
])
def test_one_parameterisation_of_the_weights_per_study_or_one_error_naming_the_key(tmp_path, edit, key, words):
    with pytest.raises(UsageError) as error:
        load_study_file(write(tmp_path, edit(RATIO_AND_SCALE)))
    assert f": {key}" in str(error.value) and words in str(error.value) and "\n" not in str(error.value)


def test_a_linear_ratio_range_may_include_the_ratings_only_end():
    spec = parse_study(__import__("tomllib").loads(RATIO_AND_SCALE.replace("low = 0.0001", "low = 0.0\nlog = false")))
    assert spec.search[0].low == 0.0


def test_a_conditioned_study_draws_the_two_weights_not_ratio_and_scale(tmp_path):
    text = CONDITIONED.replace("[search.rating_weight]\nlow = 10.0\nhigh = 60.0\n",
                               "[search.weight_ratio]\nlow = 0.001\nhigh = 0.1\n")
    text = text.replace("[search.retrieval_weight]\nlow = 0.01\nhigh = 0.3\n", "[search.weight_scale]\nlow = 1.0\nhigh = 60.0\n")
    with pytest.raises(UsageError, match=r"search\.weight_ratio: a conditioned study draws only the two weights"):
        load_study_file(write(tmp_path, text))


# --- the optimizer ---------------------------------------------------------------------------

def test_the_optimizer_defaults_to_the_tutorials_adagrad_and_takes_adam_or_sgd(tmp_path):
    default = load_study_file(write(tmp_path, VALID)).train
    assert (default.optimizer, default.learning_rate, default.adagrad_initial_accumulator) == ("adagrad", 0.1, 0.1)
    adam = load_study_file(write(tmp_path, VALID.replace("[train]", '[train]\noptimizer = "adam"\nadam_epsilon = 1e-3')))
    assert (adam.train.optimizer, adam.train.adam_epsilon) == ("adam", 1e-3)
    assert load_study_file(write(tmp_path, VALID.replace("[train]", '[train]\noptimizer = "sgd"'))).train.optimizer == "sgd"


def test_the_optimizers_own_settings_are_searched_like_the_learning_rate(tmp_path):
    text = VALID.replace("[train]", '[train]\noptimizer = "adam"') + "\n[search.adam_epsilon]\nlow = 1e-8\nhigh = 1e-2\n"
    assert load_study_file(write(tmp_path, text)).search[-1] == SearchRange("adam_epsilon", 1e-8, 1e-2, log=True)
    text = VALID + "\n[search.adagrad_initial_accumulator]\nlow = 0.0\nhigh = 1.0\nlog = false\n"
    assert load_study_file(write(tmp_path, text)).search[-1].high == 1.0


@pytest.mark.parametrize("edit, key", [
    (lambda t: t.replace("[train]", '[train]\noptimizer = "rmsprop"'), "train.optimizer"),
    (lambda t: t.replace("[train]", '[train]\noptimizer = "adam"\nadam_epsilon = -1e-7'), "train.adam_epsilon"),
    (lambda t: t.replace("[train]", '[train]\noptimizer = "adam"\nadam_epsilon = 0.0'), "train.adam_epsilon"),
    (lambda t: t.replace("[train]", "[train]\nadagrad_initial_accumulator = -0.1"), "train.adagrad_initial_accumulator"),
    (lambda t: t.replace("[train]", "[train]\nadam_epsilon = 1e-3"), "train.adam_epsilon"),  # Adagrad has none here
    (lambda t: t.replace("[train]", '[train]\noptimizer = "sgd"\nadagrad_initial_accumulator = 1.0'),
     "train.adagrad_initial_accumulator"),
    (lambda t: t + "\n[search.adam_epsilon]\nlow = 1e-8\nhigh = 1e-2\n", "search.adam_epsilon"),  # under Adagrad
    (lambda t: t.replace("[train]", '[train]\noptimizer = "adam"') + "\n[weighting]\nmethods = [\"dwa\"]\n",
     "weighting.methods"),
    (lambda t: t.replace("[train]", "[train]\nadagrad_initial_accumulator = 0.5") + "\n[weighting]\nmethods = [\"dwa\"]\n",
     "weighting.methods"),
])
def test_optimizer_settings_are_validated_in_one_error_line_naming_the_key(tmp_path, edit, key):
    path = write(tmp_path, edit(VALID))
    with pytest.raises(UsageError) as error:
        load_study_file(path)
    assert str(error.value).startswith(f"{path}: {key}") and "\n" not in str(error.value)


def test_a_conditioned_study_trains_with_adagrad_only(tmp_path):
    path = write(tmp_path, CONDITIONED.replace("[train]", '[train]\noptimizer = "adam"'))
    with pytest.raises(UsageError, match=r"train\.optimizer: a conditioned study trains with Adagrad only"):
        load_study_file(path)


def test_the_optimizer_at_its_defaults_leaves_the_hash_and_any_other_setting_changes_it(tmp_path):
    base = load_study_file(write(tmp_path, VALID)).hash
    spelled = '[train]\noptimizer = "adagrad"\nadagrad_initial_accumulator = 0.1\nadam_epsilon = 1e-7'
    assert load_study_file(write(tmp_path, VALID.replace("[train]", spelled))).hash == base
    changed = {load_study_file(write(tmp_path, VALID.replace("[train]", f"[train]\n{setting}"))).hash for setting in (
        'optimizer = "adam"', 'optimizer = "sgd"', "adagrad_initial_accumulator = 0.0",
        'optimizer = "adam"\nadam_epsilon = 1e-3')}
    assert len(changed) == 4 and base not in changed


def test_the_sparse_study_files_differ_only_in_their_name_and_rating_fraction():
    tutorial = load_study_file(REPO / "studies" / "tutorial.toml")
    for fraction in (1.0, 0.2, 0.05, 0.01):
        spec = load_study_file(REPO / "studies" / f"sparse-{fraction}.toml")
        assert (spec.study.name, spec.data.rating_fraction) == (f"sparse-{fraction}", fraction)
        assert dataclasses.replace(spec.data, rating_fraction=1.0) == tutorial.data  # the tutorial's split
        assert (spec.model, spec.train, spec.search) == (tutorial.model, tutorial.train, tutorial.search)
        assert spec.enqueue_tutorial_pairs and spec.study.replicates >= 3


# --- listed pairs and a searched optimizer ---------------------------------------------------

LISTED = study_text("listed", n_trials=3, search={"rating_weight": None, "retrieval_weight": None,
                                      "pairs": [[1.0, 0.0], [0.0, 1.0], [28.0, 0.077]]})


def test_a_study_may_list_its_pairs_and_then_holds_exactly_those_trials(tmp_path):
    spec = load_study_file(write(tmp_path, LISTED))
    assert spec.pairs == ((1.0, 0.0), (0.0, 1.0), (28.0, 0.077)) and spec.search == ()
    assert spec.study.n_trials == 3 and not spec.enqueue_tutorial_pairs  # the tutorial's are listed where wanted
    assert load_study_file(write(tmp_path, LISTED.replace("n_trials = 3\n", ""))).study.n_trials == 3


def test_the_listed_pairs_are_part_of_the_hash_and_absent_pairs_leave_it_as_it_was(tmp_path):
    listed = load_study_file(write(tmp_path, LISTED)).hash
    other = load_study_file(write(tmp_path, LISTED.replace("28.0, 0.077", "28.0, 0.08"))).hash
    assert listed != other
    sampled = load_study_file(write(tmp_path, VALID))
    assert "pairs" not in sampled.identity()  # so every stored study keeps its hash (RECORDED_HASHES pins them)


@pytest.mark.parametrize("edit, key, words", [
    (lambda t: t.replace("[[1.0, 0.0], [0.0, 1.0], [28.0, 0.077]]", "[]"), "search.pairs", "non-empty"),
    (lambda t: t.replace("[0.0, 1.0]", "[0.0, 0.0]"), "search.pairs[1]", "both weights are 0"),
    (lambda t: t.replace("[0.0, 1.0]", "[1.0, 0.0]"), "search.pairs", "listed twice"),
    (lambda t: t.replace("[0.0, 1.0]", "[0.0, 1.0, 2.0]"), "search.pairs[1]", "[rating_weight, retrieval_weight]"),
    (lambda t: t.replace("[28.0, 0.077]", "[-28.0, 0.077]"), "search.pairs[2][0]", "0 or more"),
    (lambda t: t.replace("[28.0, 0.077]", '["a", 0.077]'), "search.pairs[2][0]", "expected"),
    (lambda t: t.replace("n_trials = 3", "n_trials = 5"), "study.n_trials", "lists 3 pairs"),
    (lambda t: t + "\n[search.learning_rate]\nlow = 0.01\nhigh = 0.5\n", "search.learning_rate", "exactly the listed"),
    (lambda t: t + "\n[baselines]\nenqueue = true\n", "baselines.enqueue", "list the tutorial's"),
    (lambda t: t.replace("[study]", "[study]\npatience = 3"), "study.patience", "every listed pair"),
])
def test_bad_listed_pairs_are_one_error_naming_the_key(tmp_path, edit, key, words):
    path = write(tmp_path, edit(LISTED))
    with pytest.raises(UsageError) as error:
        load_study_file(path)
    assert str(error.value).startswith(f"{path}: {key}") and words in str(error.value) and "\n" not in str(error.value)


SEARCHED_OPTIMIZER = VALID + '\n[search.optimizer]\nvalues = ["adagrad", "adam"]\n'


def test_the_optimizer_may_be_searched_as_a_choice_with_any_sampler(tmp_path):
    spec = load_study_file(write(tmp_path, SEARCHED_OPTIMIZER))  # VALID's sampler is tpe
    assert spec.search[-1] == SearchRange("optimizer", values=("adagrad", "adam"), log=False)


@pytest.mark.parametrize("edit, key", [
    (lambda t: t.replace('["adagrad", "adam"]', '["adagrad", "rmsprop"]'), "search.optimizer.values[1]"),
    (lambda t: t.replace('["adagrad", "adam"]', '["adam", "adam"]'), "search.optimizer.values"),
    (lambda t: t.replace('["adagrad", "adam"]', '["adam"]'), "search.optimizer.values"),
    (lambda t: t.replace('values = ["adagrad", "adam"]', "low = 1\nhigh = 2"), "search.optimizer.low"),
    (lambda t: t + "\n[search.adam_epsilon]\nlow = 1e-8\nhigh = 1e-2\n", "search.adam_epsilon"),
    (lambda t: t.replace("[train]", '[train]\noptimizer = "adam"'), "train.optimizer"),
    (lambda t: t.replace("[train]", "[train]\nadagrad_initial_accumulator = 0.5"), "train.adagrad_initial_accumulator"),
    (lambda t: t + '\n[weighting]\nmethods = ["dwa"]\n', "search.optimizer"),
])
def test_a_searched_optimizer_is_validated_in_one_error_line_naming_the_key(tmp_path, edit, key):
    path = write(tmp_path, edit(SEARCHED_OPTIMIZER))
    with pytest.raises(UsageError) as error:
        load_study_file(path)
    assert str(error.value).startswith(f"{path}: {key}") and "\n" not in str(error.value)
