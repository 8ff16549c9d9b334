"""Study files (TOML) -> validated, frozen specs; every default lives here, in one place.

The spec flows one way: study file -> StudySpec -> (ModelConfig, TrainConfig, DataConfig)
passed explicitly to each trial. Unknown keys, wrong types, non-finite numbers and
impossible ranges fail here, before any work starts, naming the file and the key.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from sweep import UsageError

TOP_K = (1, 5, 10, 50, 100)
CANDIDATE_SETS = ("all_entries", "unique_titles")


@dataclass(frozen=True)
class ModelConfig:
    embedding_dimension: int = 32  # the tutorial's
    rating_layers: tuple[int, ...] = (256, 128)  # the rating MLP's hidden layers; a Dense(1) follows
    activation: str = "relu"


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 3
    batch_size: int = 8192
    learning_rate: float = 0.1  # Adagrad, as in the tutorial
    shuffle_buffer: int = 100_000  # >= the train size means a full shuffle, once (the tutorial caches it)
    eval_batch_size: int = 4096
    # Top-k accuracy ranks the true title among the tutorial's candidate list: every one of
    # the 1,682 movie entries, duplicated titles included ("all_entries"), or the 1,664
    # unique titles ("unique_titles"), which gives higher numbers than the tutorial's.
    candidates: str = "all_entries"


@dataclass(frozen=True)
class DataConfig:
    dataset: str = "movielens-100k"  # or "synthetic"
    source: str = "auto"
    split_seed: int = 42
    train_size: int | None = None  # None: 80 % of the ratings (80,000 for MovieLens 100K)
    test_size: int | None = None  # None: the rest (20,000)


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
    if config.embedding_dimension < 1:
        raise UsageError(f"{where}.embedding_dimension must be at least 1")
    if any(units < 1 for units in config.rating_layers):
        raise UsageError(f"{where}.rating_layers must be positive layer widths")
    if config.activation not in ("relu", "gelu", "tanh", "sigmoid", "elu", "selu", "swish", "linear"):
        raise UsageError(f"{where}.activation {config.activation!r} is not a known activation")
    return config


def check_train(config: TrainConfig, where: str = "train") -> TrainConfig:
    for name in ("epochs", "batch_size", "shuffle_buffer", "eval_batch_size"):
        if getattr(config, name) < 1:
            raise UsageError(f"{where}.{name} must be at least 1")
    if not (math.isfinite(config.learning_rate) and config.learning_rate > 0):
        raise UsageError(f"{where}.learning_rate must be a positive finite number")
    if config.candidates not in CANDIDATE_SETS:
        raise UsageError(f"{where}.candidates must be one of {', '.join(CANDIDATE_SETS)}")
    return config
