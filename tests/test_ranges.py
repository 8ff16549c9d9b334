"""Ranges: what a number may be, in words, and the one check every study-file key and numeric flag goes through."""

from __future__ import annotations

import dataclasses

import pytest

from sweep import UsageError
from sweep.config import ConditionedConfig, DataConfig, Margins, ModelConfig, StudySettings, TrainConfig, check_train
from sweep.config.ranges import Range, check_ranges


def test_a_range_says_in_words_what_it_accepts():
    assert Range(1, 10, whole=True).describe() == "a whole number from 1 to 10"
    assert Range(2, 2**63 - 1, whole=True, zero="no grid").describe() == \
        "0 (no grid) or a whole number from 2 to 9,223,372,036,854,775,807"
    assert Range(0, low_open=True, why="seconds").describe() == "a finite number above 0 (seconds)"
    assert Range(0).describe() == "a finite number, 0 or more"
    assert Range(0, 1, high_open=True).describe() == "a number from 0 to below 1"


@pytest.mark.parametrize("value, inside", [
    (0, True), (0.5, True), (1, False), (1.0, False), (-0.0, True), (float("nan"), False), (float("inf"), False),
    (True, False), ("0.5", False), (None, False),
])
def test_a_share_is_a_finite_number_from_0_to_below_1(value, inside):
    assert (value in Range(0, 1, high_open=True)) is inside


def test_whole_ranges_take_integers_only_and_zero_only_where_it_is_named():
    grid = Range(2, 100, whole=True, zero="no grid")
    assert [value in grid for value in (0, 1, 2, 100, 101, 2.0, -2)] == [True, False, True, True, False, False, False]
    assert 0 not in Range(1, 100, whole=True)


def test_parsing_a_typed_number_honours_it_or_is_one_error_naming_the_range_and_the_text():
    seconds = Range(0, low_open=True)
    assert seconds.parse(" 2.5 ") == 2.5 and Range(0, 9, whole=True).parse("7") == 7
    for text in ("nan", "-inf", "1e99999", "0", "-1", "10s", "1 000", ""):
        with pytest.raises(UsageError) as error:
            seconds.parse(text, "--timeout")
        assert str(error.value) == f"--timeout: expected a finite number above 0, got {text!r}"
    with pytest.raises(UsageError, match="expected a whole number from 0 to 9, got '7.0'"):
        Range(0, 9, whole=True).parse("7.0")


def test_a_config_made_in_code_is_checked_field_by_field_naming_the_field():
    with pytest.raises(UsageError, match=r"^train\.epochs: expected a whole number from 1 to .*, got 0$"):
        check_train(TrainConfig(epochs=0))
    with pytest.raises(UsageError, match=r"^model\.rating_layers\[1\]: "):
        check_ranges(ModelConfig(rating_layers=(64, 0)), "model")
    assert check_ranges(DataConfig(train_size=None), "data") == DataConfig()  # None is "not given", not a number


@pytest.mark.parametrize("config", [ModelConfig, TrainConfig, DataConfig, Margins, ConditionedConfig,
                                    lambda: StudySettings(name="s")])
def test_every_default_is_a_number_its_own_range_accepts(config):
    instance = config()
    check_ranges(instance, "default")
    numeric = [item for item in dataclasses.fields(instance) if "int" in item.type or "float" in item.type]
    assert numeric and all("range" in item.metadata for item in numeric)  # no number without a range
