"""`sweep run` for a conditioned study: one training per seed, then any number of weight pairs
evaluated from those models, each stored as a COMPLETE trial of the study.

A per-pair study asks Optuna's sampler for pairs; a conditioned study knows its pairs up front:
the tutorial's three, every pair of a named per-pair study (`[conditioned] pairs_of`, like for
like) and a log grid over the search ranges. Each stored trial carries what a per-pair trial
carries (weights, seeds, per-seed metrics, their mean and std, the model) plus `method =
"conditioned"` and `trainings` (the stored models it was evaluated from), so `sweep report`,
`compare`, `predict`, `recommend` and `export` read it unchanged. The trainings are recorded
on the study (`trainings`: seed, model, epochs, seconds); running again trains only the seeds
that are missing and evaluates only the pairs not yet stored, so a denser grid costs no training.
Pairs are evaluated PAIRS_PER_CALL at a time (`evaluate_pairs`: the candidates and each user's
vector at a pair computed once), with the metrics one pair at a time gives (the same hits, RMSE
to float rounding). With `[conditioned] verify = K`, K pairs of the conditioned front are then
trained statically, as ordinary per-pair trials of the study (sweep.verification).
"""

from __future__ import annotations

import math
import os
import socket
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from sweep import SweepError, UsageError
from sweep.baselines import TUTORIAL
from sweep.conditioned_pairs import (
    NARROW_POINTS,
    NARROW_SLICE,
    PREFERENCE_DRAWS,
    RATIO_ENCODING,
    WEIGHTS_ENCODING,
    narrowed_bounds,
    preference_pairs,
    preference_range,
    ratio_range,
)
from sweep.config import METRICS, WEIGHTS, ConditionedConfig, StudySpec, recorded_configs
from sweep.config.run import DEFAULT_ARTIFACTS, RunOptions
from sweep.data.prepared import load_prepared
from sweep.kinds import for_study
from sweep.record import CONDITIONED, ConditionedOrigin, Provenance, Run, Seconds, Summary, TrialRecord, counts_for_front, kind_of
from sweep.storage import open_storage
from sweep.study import create_or_load, package_versions, trial_seeds

TRAININGS_ATTR = "trainings"


def settings(spec: StudySpec) -> ConditionedConfig:
    """The spec's `[conditioned]` settings (config gives every conditioned spec them, defaults or not)."""
    if spec.conditioned is None:
        raise UsageError(f"study {spec.study.name!r} is not a conditioned study (study.kind = \"conditioned\")")
    return spec.conditioned


def search_ranges(spec: StudySpec) -> dict[str, tuple[float, float]]:
    """The (low, high) of each weight: what training draws from, and the grid's extent (config gives a
    conditioned study's weights log ranges, both ends set)."""
    return {item.name: (float(item.low or 0.0), float(item.high or 0.0)) for item in spec.search if item.name in WEIGHTS}


def training_seeds(spec: StudySpec) -> list[int]:
    """One seed per training (study.replicates of them), derived from the study seed."""
    return trial_seeds(spec.study.seed, 0, spec.study.replicates)


def grid_pairs(ranges: dict, points: int, config: ConditionedConfig | None = None) -> list[tuple[float, float]]:
    """points × points pairs, each weight log-spaced over its range, ends included; for a model trained on
    preference draws (which serves a pair by its ratio), points² pairs along its reference line instead,
    preferences evenly spaced over the box's ratios, ends included."""
    if points == 0:
        return []
    if config is not None and config.draws == PREFERENCE_DRAWS:
        low, high = preference_range(ranges, config.reference)
        return [(float(r), float(t)) for r, t in preference_pairs(np.linspace(low, high, points * points),
                                                                   config.reference)]
    ratings = np.geomspace(ranges["rating_weight"][0], ranges["rating_weight"][1], points)
    retrievals = np.geomspace(ranges["retrieval_weight"][0], ranges["retrieval_weight"][1], points)
    return [(float(r), float(t)) for r in ratings for t in retrievals]


def planned_pairs(spec: StudySpec, storage) -> list[dict]:
    """Every pair the study evaluates, once each, in order: the tutorial's, the named study's, the grid.
    A pair with a zero weight is left out unless the model trained single-task examples (zero_share)."""
    config, pairs = settings(spec), []
    if spec.enqueue_tutorial_pairs:
        pairs += [{"pair": (p.rating_weight, p.retrieval_weight), "source": "tutorial", "tutorial_pair": p.name}
                  for p in TUTORIAL]
    if config.pairs_of:
        pairs += [{"pair": pair, "source": f"pairs of {config.pairs_of}"}
                  for pair in study_pairs(config.pairs_of, storage)]
    pairs += [{"pair": pair, "source": "grid"} for pair in grid_pairs(search_ranges(spec), config.grid, config)]
    unique, seen = [], set()
    for item in pairs:
        key = pair_key(item["pair"])
        if 0.0 in key and not config.zero_share:  # never trained single-task: nothing to serve there
            continue
        if key not in seen:
            seen.add(key)
            unique.append(item)
    return unique


def study_pairs(name: str, storage) -> list[tuple[float, float]]:
    """The weight pairs of a stored per-pair study's COMPLETE trials (its adaptive methods' excluded)."""
    import optuna

    try:
        other = optuna.load_study(study_name=name, storage=storage)
    except KeyError:
        raise UsageError(f"conditioned.pairs_of: no study named {name!r} in this storage; run it first "
                         "or remove the key") from None
    if for_study(other.user_attrs).name == CONDITIONED:
        raise UsageError(f"conditioned.pairs_of: {name!r} is itself a conditioned study; name a per-pair study")
    return [TrialRecord.from_attrs(t.user_attrs).pair
            for t in other.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
            if counts_for_front(t.state.name, t.user_attrs) and "rating_weight" in t.user_attrs]


def pair_key(pair) -> tuple[float, float]:
    return (round(float(pair[0]), 12), round(float(pair[1]), 12))


def check_servable(pair: tuple[float, float], metadata: dict) -> None:
    """A pair the conditioned model was trained for: each weight in its range, or exactly 0 when it
    trained single-task examples. (The report's like-for-like pairs may lie outside; serving may not.)"""
    ranges, zeros = metadata["ranges"], metadata.get("zero_share", 0.0) > 0
    if not all(math.isfinite(w) and w >= 0 for w in pair) or pair == (0.0, 0.0):
        raise UsageError(f"--weights {pair[0]:g},{pair[1]:g}: weights must be finite, non-negative, not both 0")
    if metadata.get("encoding") == RATIO_ENCODING:
        if not in_range(pair, ranges, metadata.get("zero_share", 0.0), RATIO_ENCODING):
            low, high = ratio_range(ranges)
            ratio = "0 or infinite" if 0.0 in pair else f"{pair[1] / pair[0]:.3g}"
            raise UsageError(f"--weights: the ratio retrieval/rating {ratio} is outside the ratios the model was "
                             f"trained on [{low:.3g}, {high:.3g}]; choose a pair inside them")
        return
    for weight, name in zip(pair, WEIGHTS):
        low, high = ranges[name]
        if weight == 0 and zeros:
            continue
        if not low <= weight <= high:
            hint = " or 0" if zeros else ""
            raise UsageError(f"--weights: {name} {weight:g} is outside the range the model was trained on "
                             f"[{low:g}, {high:g}]{hint}; choose a weight inside it")


def run(spec: StudySpec, options: RunOptions, progress) -> int:
    """Train the missing seeds, evaluate the pairs not yet stored, store each pair as a trial."""
    if options.workers != 1:
        raise UsageError("--workers: a conditioned study trains its few models one after another; drop --workers")
    prepared = load_prepared(spec.data, options.data_dir)  # before touching the storage
    storage = open_storage(options.storage, options.heartbeat, options.outage_seconds)
    pairs = planned_pairs(spec, storage)  # a bad pairs_of fails before the study exists
    study = create_or_load(spec, storage, prepared, options)
    study.set_user_attr("n_trials", len(pairs))
    from sweep.artifacts import open_store

    store = open_store(study.user_attrs.get("artifacts") or options.artifacts)
    progress.note(f"study {spec.study.name!r} ({spec.hash[:19]}…): conditioned, {spec.study.replicates} training(s), "
                  f"{len(pairs)} weight pairs")
    models = trained_models(study, spec, prepared, store, progress)
    stored = {pair_key(TrialRecord.from_attrs(t.user_attrs).pair) for t in study.get_trials(deepcopy=False)
              if t.state.name == "COMPLETE" and kind_of(t.user_attrs) == CONDITIONED}  # not its verification trials
    todo = [item for item in pairs if pair_key(item["pair"]) not in stored]
    if not todo and not settings(spec).verify:
        progress.say(f"study {spec.study.name!r} is complete: {len(pairs)} weight pairs evaluated; nothing to do")
        return 0
    trainings = study.user_attrs[TRAININGS_ATTR]
    started = time.perf_counter()
    for start in range(0, len(todo), PAIRS_PER_CALL):
        items = todo[start:start + PAIRS_PER_CALL]
        runs = evaluate_pairs(models, [item["pair"] for item in items], prepared, spec.train, trainings)
        for item, pair_runs in zip(items, runs):
            store_pair(study, spec, prepared, trainings, item, pair_runs)
        progress.say(f"evaluated {start + len(items)}/{len(todo)} weight pairs ({time.perf_counter() - started:.1f} s)")
    from sweep.verification import verify_front

    verified = verify_front(study, storage, spec, prepared, store, options, progress)
    study.set_user_attr("n_trials", len(pairs) + verified)
    return 0


def trained_models(study, spec: StudySpec, prepared, store, progress) -> list:
    """The study's conditioned model for each seed: loaded when already trained, else trained and stored."""
    from sweep.artifacts import load_packed, pack_model, rebuild_model, save_study_model

    recorded = list(study.user_attrs.get(TRAININGS_ATTR, []))
    models = []
    for index, seed in enumerate(training_seeds(spec)):
        done = next((item for item in recorded if item["seed"] == seed), None)
        if done is not None:
            models.append(rebuild_model(load_packed(store, done["artifact"])))
            continue
        progress.say(f"training {index + 1}/{spec.study.replicates} (seed {seed}): {settings(spec).epochs} epochs")
        model, history, seconds = train_one(spec, prepared, seed)
        progress.say(f"  trained in {seconds['train']:.1f} s; last epoch's losses: rating term "
                     f"{history[-1].rating_loss:.4g}, retrieval term {history[-1].retrieval_loss:.4g}")
        packed = pack_model(model, prepared, spec.model, (math.nan, math.nan), conditioned=model_metadata(spec))
        artifact = save_study_model(study, store, packed, f"training-{index}-seed-{seed}")
        narrowed = getattr(model, "trained_preferences", None)
        recorded.append({"seed": seed, "artifact": artifact, "epochs": [epoch.to_attr() for epoch in history],
                         **({"narrowed_preferences": list(narrowed)} if narrowed else {}),
                         "seconds": seconds,
                         "worker": f"{socket.gethostname()}:{os.getpid()}"})
        study.set_user_attr(TRAININGS_ATTR, recorded)
        models.append(model)
    return models


def model_metadata(spec: StudySpec) -> dict:
    """What rebuilding and serving the conditioned model needs beyond the static model's metadata."""
    config = settings(spec)
    return {"conditioning_width": config.conditioning_width, "ranges": search_ranges(spec),
            "zero_share": config.zero_share, "encoding": encoding_of(config),
            **({"film_scale": config.film_scale} if config.film_scale != 1.0 else {})}


def encoding_of(config: ConditionedConfig) -> str:
    """What the network sees of a pair: its ratio for preference draws (one scale per ratio was trained),
    both log-weights otherwise (sweep.conditioned's encodings)."""
    return RATIO_ENCODING if config.draws == PREFERENCE_DRAWS else WEIGHTS_ENCODING


def train_one(spec: StudySpec, prepared, seed: int):
    """One conditioned training: (model, per-epoch record.EpochLosses, seconds {build, train, total})."""
    from dataclasses import replace

    import tensorflow as tf

    from sweep.conditioned import (
        TracedConditioned,
        build_conditioned_model,
        refit_rating_head,
        traced_conditioned,
        train_conditioned,
    )
    from sweep.training import OptimizerSettings, training_batches

    config = settings(spec)
    started = time.perf_counter()
    tf.keras.utils.set_random_seed(seed)
    model = build_conditioned_model(spec.model, len(prepared.user_vocabulary), len(prepared.title_vocabulary),
                                    config.conditioning_width, encoding_of(config), config.film_scale)
    if config.draws == PREFERENCE_DRAWS:  # a pair means the static objective, whose retrieval Σ runs over its batch
        model.static_batch_size = spec.train.batch_size
    optimizer_settings = OptimizerSettings.of(spec.train, config.learning_rate or spec.train.learning_rate)
    if config.film_after:  # FiLM frozen at first: its training step is traced afresh, on this model alone
        trainer = TracedConditioned(model, optimizer_settings.build(), optimizer_settings.build(), config.cosine_weight)
    else:
        trainer = traced_conditioned(
            spec.model, len(prepared.user_vocabulary), len(prepared.title_vocabulary), config.conditioning_width,
            encoding_of(config), config.film_scale, model.static_batch_size, optimizer_settings, config.cosine_weight)
    training = trainer.start_from(model)
    train_config = replace(spec.train, batch_size=config.batch_size or spec.train.batch_size)
    train, narrow = prepared.train, None
    if config.narrow_after:
        train, narrow = narrowing(training, config, prepared, spec.train, seed)
    batches = training_batches(train, train_config, seed)
    built = time.perf_counter()
    history, model.trained_preferences = train_conditioned(
        training, trainer.optimizer, batches, config.epochs, search_ranges(spec), seed, draws=config.draws,
        zero_share=config.zero_share, cosine_weight=config.cosine_weight, reference=tuple(config.reference),
        narrow_after=config.narrow_after, narrow=narrow, film_after=config.film_after,
        step=None if config.film_after else trainer.step)
    if config.calibrate:  # its own optimizer: the rating MLP's steps start afresh; counted in the training's time
        refit_rating_head(training, trainer.refit_optimizer, batches, config.calibrate, search_ranges(spec), seed,
                          config.zero_share, step=trainer.refit_step)
    trainer.finish_into(model)
    ended = time.perf_counter()
    return model, history, {"build": built - started, "train": ended - built, "total": ended - started}


def narrowing(model, config: ConditionedConfig, prepared, train_config, seed: int):
    """(the training rows, narrow): NARROW_SLICE of the training rows held out (sweep.data.validation's
    user-stratified rule, this seed's draw), and the function that evaluates NARROW_POINTS preferences
    between the current bounds on them and returns the bounds around the model's own front there.
    The test split chooses nothing."""
    from sweep.data.validation import validation_rows
    from sweep.evaluation import evaluate

    held = validation_rows(prepared.train["user_id"], NARROW_SLICE, seed)
    train = {name: values[~held] for name, values in prepared.train.items()}
    slice_rows = {name: values[held] for name, values in prepared.train.items()}
    candidates = prepared.candidates[train_config.candidates]

    def narrow(bounds: tuple[float, float]) -> tuple[float, float]:
        preferences = np.linspace(bounds[0], bounds[1], NARROW_POINTS)
        metrics = [evaluate(model.at(*pair), slice_rows, candidates, train_config.eval_batch_size)
                   for pair in preference_pairs(preferences, config.reference)]
        return narrowed_bounds(preferences, np.array([[m["top_100_accuracy"], m["rmse"]] for m in metrics]))

    return train, narrow


PAIRS_PER_CALL = 64  # pairs evaluated together, then stored: a call's fixed costs shared, progress said per call


def evaluate_pairs(models: list, pairs: list, prepared, train_config, trainings: list[dict]) -> list[list[Run]]:
    """Each training's metrics at each pair (per pair, a Run per training), all pairs in one call per
    training (sweep.evaluation's `evaluate_at_pairs`, metrics equal to `evaluate_pair`'s): a pair's
    evaluate seconds are its call's seconds divided by the pairs evaluated."""
    from sweep.evaluation import evaluate_at_pairs

    runs: list[list[Run]] = [[] for _ in pairs]
    for model, training in zip(models, trainings):
        started = time.perf_counter()
        metrics = evaluate_at_pairs(model, pairs, prepared.test, prepared.candidates[train_config.candidates])
        seconds = (time.perf_counter() - started) / len(pairs)
        for pair_runs, pair_metrics in zip(runs, metrics):
            pair_runs.append(Run(training["seed"], pair_metrics, Seconds(evaluate=seconds, total=seconds)))
    return runs


def evaluate_pair(models: list, pair: tuple[float, float], prepared, train_config, trainings: list[dict]) -> list[Run]:
    """Each training's metrics at one pair, with the seconds its evaluation took: one pair at a time, as
    a static model is evaluated (what `evaluate_pairs` is measured against, benchmarks/batched_evaluation.py)."""
    from sweep.evaluation import evaluate

    runs = []
    for model, training in zip(models, trainings):
        started = time.perf_counter()
        metrics = evaluate(model.at(*pair), prepared.test, prepared.candidates[train_config.candidates],
                           train_config.eval_batch_size)
        seconds = time.perf_counter() - started
        runs.append(Run(training["seed"], metrics, Seconds(evaluate=seconds, total=seconds)))
    return runs


def stored_evaluator(study, data_dir) -> Callable[[tuple[float, float]], dict[str, np.ndarray]]:
    """A stored conditioned study's models (every training) evaluated at any pair they serve, each
    metric per seed: what `sweep pick` searches along the front with. Loads the study's split and
    models once; imports TensorFlow."""
    from sweep.artifacts import load_packed, open_store, rebuild_model

    data_config, train_config = recorded_configs(study.user_attrs)
    prepared = load_prepared(data_config, data_dir)
    if prepared.split_fingerprint != study.user_attrs.get("split_fingerprint"):
        raise SweepError(f"the cached data's split differs from study {study.study_name!r}'s; fetch the dataset "
                         "it was run on (`sweep data info` shows its checksum)")
    store = open_store(Path(study.user_attrs.get("artifacts") or DEFAULT_ARTIFACTS))
    trainings = study.user_attrs[TRAININGS_ATTR]
    models = [rebuild_model(load_packed(store, item["artifact"])) for item in trainings]

    def evaluate(pair: tuple[float, float]) -> dict[str, np.ndarray]:
        (runs,) = evaluate_pairs(models, [pair], prepared, train_config, trainings)  # as the study's pairs were
        return {name: np.array([run.metrics[name] for run in runs]) for name in METRICS}

    return evaluate


def store_pair(study, spec: StudySpec, prepared, trainings: list[dict], item: dict, runs: list[Run]) -> None:
    """Add one pair, evaluated from every training (`runs`, one per training), to the study as a COMPLETE trial."""
    import optuna

    bad = [name for run in runs for name, value in run.metrics.items() if not math.isfinite(value)]
    if bad:
        raise SweepError(f"the conditioned model gives a non-finite {bad[0]} at weights {item['pair']}")
    summary = Summary.of(runs)  # as a per-pair trial's seeds: mean, std, objective values
    record = TrialRecord(
        CONDITIONED, item["pair"][0], item["pair"][1],
        seeds=tuple(training["seed"] for training in trainings), runs=tuple(runs), summary=summary,
        provenance=Provenance(spec.hash, prepared.split_fingerprint, package_versions(),
                              f"{socket.gethostname()}:{os.getpid()}"),
        model_key=trainings[0]["artifact"],  # what predict/recommend/export serve at this pair
        tutorial_pair=item.get("tutorial_pair"),
        conditioned=ConditionedOrigin(item["source"], in_range(item["pair"], search_ranges(spec), settings(spec).zero_share,
                                                        encoding_of(settings(spec))),
                                      tuple(training["artifact"] for training in trainings)),
    )
    study.add_trial(optuna.trial.create_trial(values=summary.values(spec.study.objectives),
                                              user_attrs=record.to_attrs(), state=optuna.trial.TrialState.COMPLETE))


def in_range(pair, ranges: dict, zero_share: float, encoding: str = WEIGHTS_ENCODING) -> bool:
    """Whether the model was trained for the pair: by its ratio (ratio encoding) or by each weight."""
    if encoding == RATIO_ENCODING:
        if 0.0 in pair:
            return zero_share > 0 and pair != (0.0, 0.0)
        low, high = ratio_range(ranges)
        return low <= pair[1] / pair[0] <= high
    return all((weight == 0 and zero_share > 0) or ranges[name][0] <= weight <= ranges[name][1]
               for weight, name in zip(pair, WEIGHTS))
