"""Every number a user can give sweep, what each may be, and the edge values it is tried with.

What each flag and key accepts is stated here from what the setting means (a count starts at 1,
a seed is one of NumPy's 2**32, a rate is above 0, ...), independently of sweep.config.ranges,
which the battery checks against it. The flags and keys themselves are found by introspection
(every option of every subcommand whose type is neither text nor a path; every numeric field of
the study file's tables), and the battery fails for one not stated here: a new number is covered
from the day it is added.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest

LARGEST = 2**63 - 1  # the 64-bit integers TOML and the storage hold
LAST_SEED = 2**32 - 1  # NumPy's legacy seeds, the ones Optuna's samplers and Keras take

# The values every numeric flag is tried with: nothing here means anything but 0 (a seed, a trial
# number), 1e308 (a finite rate or timeout) and, for --weights, pairs made of them.
EDGES = ["nan", "inf", "-inf", "-1", "0", "1e308", str(2**63), "1e99999", "1 000", "10s"]
# The same in a study file, as TOML writes them (2**63 is no TOML integer: the 64-bit ends instead).
TOML_EDGES = ["nan", "inf", "-inf", "-1", "0", "1e308", str(LARGEST), str(-LARGEST - 1), str(LAST_SEED + 1), "2.5",
              '"10 s"', "true"]


@dataclass(frozen=True)
class Number:
    """What one flag or key accepts: whole numbers or any finite number, those `accepts` admits;
    `pair`: two of them, comma-separated (--weights R,T)."""

    whole: bool
    accepts: Callable
    pair: bool = False

    def from_text(self, text: str):
        """The number a command-line text stands for, if accepted; else None."""
        parts = text.split(",") if self.pair else [text]
        if self.pair and len(parts) != 2:
            return None
        try:
            numbers = [int(part) if self.whole else float(part) for part in parts]
        except ValueError:
            return None
        return self._accepted(tuple(numbers) if self.pair else numbers[0])

    def from_toml(self, value):
        """The number a TOML value stands for, if accepted (a whole number may be written 3.0); else None."""
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            return None
        if self.whole and not float(value).is_integer():
            return None
        return self._accepted(int(value) if self.whole else float(value))

    def _accepted(self, value):
        numbers = value if self.pair else (value,)
        if not all(isinstance(number, int) or math.isfinite(number) for number in numbers):
            return None
        return value if self.accepts(value) else None


def whole(low: int, high: int = LARGEST, or_zero: bool = False) -> Number:
    return Number(True, lambda n: low <= n <= high or (or_zero and n == 0))


def finite(above: float | None = None, at_least: float | None = None, below: float | None = None,
           at_most: float | None = None) -> Number:
    return Number(False, lambda n: (above is None or n > above) and (at_least is None or n >= at_least)
                  and (below is None or n < below) and (at_most is None or n <= at_most))


COUNT = whole(1)  # how many of something
SEED = whole(0, LAST_SEED)
POSITIVE = finite(above=0)  # a rate, a margin, seconds
WEIGHT = finite(at_least=0)  # a loss weight; 0 leaves its task out
WEIGHT_PAIR = Number(False, lambda pair: min(pair) >= 0 and pair != (0.0, 0.0), pair=True)  # one weight may be 0

SERVING = ("predict", "recommend", "export")
FLAGS = {
    **{f"data fetch --{size}": COUNT for size in ("ratings", "users", "movies")},  # the synthetic data's size
    "data split --split-seed": SEED,
    "baselines --seeds": whole(1, LAST_SEED + 1),  # training seeds 0 to N-1
    "baselines --split-seeds": SEED,
    "baselines --margin-top-100": POSITIVE,
    "baselines --margin-rmse": POSITIVE,
    "run --trials": COUNT,
    "run --workers": whole(1, 1024),  # processes on one machine, each with its own TensorFlow
    "run --timeout": POSITIVE,
    **{f"{command} --trial": whole(0) for command in SERVING},  # trial numbers start at 0
    **{f"{command} --weights": WEIGHT_PAIR for command in ("predict", "recommend")},  # export takes it as an input
    "recommend -k": COUNT,
    "pick --rmse-max": POSITIVE,  # an RMSE of 0 is a perfect model: a bound at 0 leaves nothing to pick
    "pick --top-100-min": finite(at_least=0, at_most=1),  # an accuracy
    "pick --confidence": finite(above=0, at_most=1),  # a probability; 0 would ask nothing of the seeds
}

KEYS = {
    "study.seed": SEED, "study.n_trials": COUNT, "study.timeout": POSITIVE, "study.replicates": COUNT,
    "study.max_failed_trials": COUNT,
    "study.patience": COUNT,  # complete trials in a row
    "study.min_gain": POSITIVE,  # a relative gain: 0 could never be undercut
    "model.embedding_dimension": COUNT, "model.rating_layers": COUNT,  # each layer's width
    "train.epochs": COUNT, "train.batch_size": COUNT, "train.learning_rate": POSITIVE, "train.shuffle_buffer": COUNT,
    "train.eval_batch_size": COUNT,
    "train.adagrad_initial_accumulator": finite(at_least=0),  # a sum of squared gradients; 0: none
    "train.adam_epsilon": POSITIVE,  # Adam divides by √v + ε, and v is 0 for a parameter no gradient reached
    "data.split_seed": SEED, "data.train_size": COUNT, "data.test_size": COUNT,
    "data.rating_fraction": Number(False, lambda n: 0 < n <= 1),  # a share of the training rows, all of them at most
    "data.validation": finite(at_least=0, below=1),  # a share of the training rows held out; 0: none, all: no training
    "study.prune.after_epoch": COUNT,  # epochs count from 1
    "study.prune.quantile": finite(above=0, at_most=1),  # a share of earlier trials; 0 would stop every trial
    "study.prune.min_trials": COUNT,
    "baselines.margin_top_100": POSITIVE, "baselines.margin_rmse": POSITIVE,
    "conditioned.epochs": COUNT,
    "conditioned.conditioning_width": whole(0),  # 0: no FiLM
    "conditioned.cosine_weight": finite(at_least=0),  # 0: off
    "conditioned.batch_size": whole(2),  # the in-batch softmax needs a negative
    "conditioned.learning_rate": POSITIVE,
    "conditioned.film_scale": POSITIVE,
    "conditioned.zero_share": finite(at_least=0, below=1),  # a share of the examples, not all of them
    "conditioned.grid": whole(2, or_zero=True),  # 0: no grid; one point is no grid either
    "conditioned.reference": POSITIVE,  # each weight of the reference pair (set here as its rating weight)
    "conditioned.narrow_after": whole(1, LARGEST - 1, or_zero=True),  # fewer than the epochs (set to LARGEST here)
    "conditioned.film_after": whole(1, LARGEST - 1, or_zero=True),  # fewer than the epochs (set to LARGEST here)
    "conditioned.calibrate": whole(0),  # epochs refitting the rating head; 0: none
    "conditioned.verify": whole(0),  # front pairs trained statically; 0: none
    **{f"search.{weight}.{end}": WEIGHT for weight in ("rating_weight", "retrieval_weight") for end in ("low", "high")},
    "search.rating_weight.values": WEIGHT,
    "search.pairs": WEIGHT,  # each weight of a listed pair (set here as the first pair's rating weight)
    **{f"search.learning_rate.{end}": POSITIVE for end in ("low", "high")},
    **{f"search.adagrad_initial_accumulator.{end}": finite(at_least=0) for end in ("low", "high")},
    **{f"search.adam_epsilon.{end}": POSITIVE for end in ("low", "high")},
    **{f"search.weight_ratio.{end}": WEIGHT for end in ("low", "high")},  # retrieval / rating; 0: ratings only
    **{f"search.weight_scale.{end}": POSITIVE for end in ("low", "high")},  # rating + retrieval; 0: no task at all
    **{f"search.{name}.{end}": COUNT for name in ("epochs", "batch_size", "embedding_dimension")
       for end in ("low", "high")},
}


def flag_texts(number: Number) -> list[str]:
    """The texts a flag is tried with: the edges, or for a pair, each edge twice and beside a 1."""
    return [f"{edge},{other}" for edge in EDGES for other in (edge, "1")] if number.pair else list(EDGES)


# --- introspection -----------------------------------------------------------------------------------------------


def leaf_parsers(parser, words: tuple[str, ...] = ()) -> dict:
    """Every subcommand's parser by its words: "data fetch", "run", ..."""
    if not parser.commands:
        return {" ".join(words): parser}
    found = {}
    for name, sub in parser.commands.items():
        found |= leaf_parsers(sub, (*words, name))
    return found


def numeric_flags() -> dict:
    """Every option of every subcommand whose value is not text or a path: "run --timeout" -> its action."""
    from sweep.cli import build_parser

    return {f"{command} {action.option_strings[0]}": action
            for command, parser in leaf_parsers(build_parser()).items() for action in parser.arguments
            if action.option_strings and action.type not in (None, str, Path)}


def numeric_keys() -> set[str]:
    """Every numeric key of the study file: the fields of its tables, the searched parameters' ends
    and the margins (listed as parse_study lists them)."""
    from sweep.config import (
        CATEGORICAL,
        SEARCHABLE,
        WEIGHTS,
        ConditionedConfig,
        DataConfig,
        ModelConfig,
        PruneSettings,
        StudySettings,
        TrainConfig,
    )
    from sweep.config.coordinates import RATIO_AND_SCALE

    tables = {"study": StudySettings, "study.prune": PruneSettings, "model": ModelConfig, "train": TrainConfig,
              "data": DataConfig, "conditioned": ConditionedConfig}
    keys = {f"{section}.{item.name}" for section, table in tables.items() for item in dataclasses.fields(table)
            if "int" in item.type or "float" in item.type}
    ranged = [name for name in SEARCHABLE if name not in CATEGORICAL]
    keys |= {f"search.{name}.{end}" for name in (*WEIGHTS, *RATIO_AND_SCALE, *ranged) for end in ("low", "high")}
    return keys | {"search.rating_weight.values", "search.pairs", "baselines.margin_top_100", "baselines.margin_rmse"}


# --- study files with one number set -----------------------------------------------------------------------------

BASE = {  # the tests' small sweep (tests/helpers.py), as TOML text
    "study": {"name": '"s"', "seed": "1", "n_trials": "6", "sampler": '"random"'},
    "search.rating_weight": {"low": "1e-3", "high": "10.0"},
    "search.retrieval_weight": {"low": "1e-5", "high": "1.0"},
    "train": {"epochs": "1"},
    "data": {"dataset": '"synthetic"'},
}


def study_with(key: str, text: str, name: str = "s") -> str:
    """The base study file with `key` set to the TOML `text`: a conditioned study for [conditioned]
    keys, Adam for its epsilon, the weights as ratio and scale for those, a grid for search values,
    a linear range whose other end is as wide as can be for search ends."""
    sections = {section: dict(table) for section, table in BASE.items()}
    sections["study"]["name"] = f'"{name}"'
    section, field = key.rsplit(".", 1)
    if section == "conditioned":
        sections["study"]["method"] = '"conditioned"'
    if "adam_epsilon" in key:
        sections["train"]["optimizer"] = '"adam"'
    if section in ("search.weight_ratio", "search.weight_scale"):
        del sections["search.rating_weight"], sections["search.retrieval_weight"]
        sections["search.weight_ratio"] = {"low": "1e-3", "high": "10.0"}
        sections["search.weight_scale"] = {"low": "0.1", "high": "100.0"}
    if key in ("conditioned.narrow_after", "conditioned.film_after"):  # epochs must remain after it
        sections.setdefault("conditioned", {})["epochs"] = str(LARGEST)
    if key == "study.min_gain":  # it applies only with patience
        sections["study"]["patience"] = "3"
    if key == "search.pairs":  # the listed pairs replace the searched weights and set the trial count
        del sections["search.rating_weight"], sections["search.retrieval_weight"], sections["study"]["n_trials"]
        sections["search"] = {"pairs": f"[[{text}, 1.0]]"}
        return _toml(sections)
    if field == "values":
        sections["study"]["sampler"] = '"grid"'
        sections["search.rating_weight"] = {}
        sections["search.retrieval_weight"] = {"values": "[1.0]"}
    elif section.startswith("search."):
        from_zero = not KEYS[key].whole and KEYS[key].accepts(0.0)  # a weight, a ratio, an initial accumulator
        widest = {"low": "0.0" if from_zero else "1" if KEYS[key].whole else "1e-300",
                  "high": str(LARGEST) if KEYS[key].whole else "1e308"}
        sections[section] = {**widest, "log": "false"}
    listed = {"rating_layers": "[{}]", "values": "[{}]", "reference": "[{}, 0.1]"}  # lists: the first item tried
    sections.setdefault(section, {})[field] = listed[field].format(text) if field in listed else text
    return _toml(sections)


def _toml(sections: dict) -> str:
    return "\n".join(f"[{section}]\n" + "".join(f"{field} = {value}\n" for field, value in table.items())
                     for section, table in sections.items())


def read_back(spec, key: str):
    """The value of `key` in a parsed spec."""
    section, field = key.rsplit(".", 1)
    if key == "search.pairs":
        return spec.pairs[0][0]
    if section == "baselines":
        return getattr(spec.margins, {"margin_top_100": "top_100_accuracy", "margin_rmse": "rmse"}[field])
    if section.startswith("search."):
        searched = next(item for item in spec.search if item.name == section.split(".")[1])
        return searched.values[0] if field == "values" else getattr(searched, field)
    table = spec
    for part in section.split("."):  # study.prune: a table inside [study]
        table = getattr(table, part)
    value = getattr(table, field)
    return value[0] if field in ("rating_layers", "reference") else value


def trainer_that_must_not_run(*args, **kwargs):
    """Stands in for every trainer while a refused input is tried: being called fails the test."""
    pytest.fail("a refused number reached a trainer")
