"""A per-pair study (kind "sweep", sweep.kinds): Optuna's sampler names weight pairs, and each
pair trains one model per seed.

The objective trains a pair's seeds with the study's trainer (sweep.trainers) and stores the
trial as a `sweep.record.TrialRecord`; `run_worker` asks Optuna for trials until the study
holds n_trials COMPLETE ones (`sweep.workers` runs it in processes). The tutorial's pairs
(1,0), (0,1), (1,1) are enqueued first: their exact zeros do not fit a log-scale
distribution, so their weights are not Optuna params but trial attributes. Every trial
records `rating_weight` and `retrieval_weight` as attributes, so the report reads them the
same way for all; a sampled trial's params are the coordinates its study searched (the two
weights, or `weight_ratio` and `weight_scale`: sweep.config.coordinates). A study that lists
its pairs (`[search] pairs`) enqueues each of them the same way and samples nothing. A
conditioned study's verification trials (sweep.verification) are enqueued the same way too,
and trained by this objective.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from dataclasses import replace
from typing import Any

import numpy as np

from sweep import SweepError, UsageError, patience
from sweep.baselines import TUTORIAL
from sweep.config import SEARCHABLE, StudySpec
from sweep.config.coordinates import weights_of
from sweep.config.run import RunOptions
from sweep.pruning import Pruned, earlier_points, prune_reason
from sweep.record import METHOD, PAIR, VERIFIES_ATTR, Provenance, Run, Summary, TrialRecord
from sweep.storage import open_storage
from sweep.study import (
    Interrupted,
    check_matches,
    count_states,
    fail_stale_trials,
    is_complete,
    origin_trial,
    package_versions,
    trial_seeds,
)
from sweep.trainers import trainer_named

log = logging.getLogger(__name__)


def nsga2_population(n_trials: int) -> int:
    """NSGA-II's generation size: a quarter of the budget (at least 4 generations), between 8 and 50.
    Its first generation is random draws, so a population as large as the study is random search."""
    return max(8, min(50, n_trials // 4))


def make_sampler(spec: StudySpec, salt: int = 0):
    """The study file's sampler, seeded from the study seed (salted per worker and per resume)."""
    import optuna

    seed = int(np.random.SeedSequence([spec.study.seed, salt]).generate_state(1)[0]) if salt else spec.study.seed
    name = spec.study.sampler
    if spec.pairs:  # every trial is enqueued; the sampler is never asked for a pair
        return optuna.samplers.RandomSampler(seed=seed)
    if name == "tpe":
        return optuna.samplers.TPESampler(seed=seed, multivariate=True, n_startup_trials=5)
    if name == "nsga2":  # Optuna's default population (50) would leave a 40-trial study one random generation
        return optuna.samplers.NSGAIISampler(seed=seed, population_size=nsga2_population(spec.study.n_trials))
    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if name == "grid":
        return optuna.samplers.GridSampler({item.name: list(item.values or ()) for item in spec.search}, seed=seed)
    try:
        return optuna.samplers.GPSampler(seed=seed)
    except ImportError as error:
        raise UsageError(f"sampler \"gp\" needs PyTorch and SciPy ({error}); install them or choose tpe") from None


def enqueue_first_trials(study, spec: StudySpec) -> None:
    """A new per-pair study's first trials: the tutorial's pairs (or the study's listed pairs), then each
    adaptive weighting method."""
    tutorial_names = {(published.rating_weight, published.retrieval_weight): published.name for published in TUTORIAL}
    for index, (rating_weight, retrieval_weight) in enumerate(spec.pairs):
        named = tutorial_names.get((rating_weight, retrieval_weight))
        study.enqueue_trial({}, user_attrs={"listed_pair": index, "rating_weight": rating_weight,
                                            "retrieval_weight": retrieval_weight,
                                            **({"tutorial_pair": named} if named else {})}, skip_if_exists=False)
    if spec.enqueue_tutorial_pairs:
        for published in TUTORIAL:
            study.enqueue_trial(
                {},
                user_attrs={
                    "tutorial_pair": published.name,
                    "rating_weight": published.rating_weight,
                    "retrieval_weight": published.retrieval_weight,
                },
                skip_if_exists=False,
            )
    for method in spec.methods:  # adaptive weighting, trained like the tutorial's pairs
        study.enqueue_trial({}, user_attrs={"method": method}, skip_if_exists=False)


def make_objective(spec: StudySpec, prepared, trainer, worker: str, store=None):
    """The function Optuna calls: one weight pair, `replicates` seeds, mean metrics as values.
    With a store, the first seed's trained model is kept as the trial's artifact."""
    from sweep.artifacts import pack_model, save_model
    from sweep.trial import TrialFailed

    def objective(trial):
        attrs = trial.user_attrs
        method = attrs.get("method")
        if method:
            kind, weights = METHOD, (1.0, 1.0)  # the method sets each step's weights; the trial records where they ended
            model_config, train_config = spec.model, spec.train
        elif "tutorial_pair" in attrs or "listed_pair" in attrs or VERIFIES_ATTR in attrs:  # enqueued with its pair
            kind, weights = PAIR, (attrs["rating_weight"], attrs["retrieval_weight"])
            model_config, train_config = spec.model, spec.train
        elif spec.pairs:  # a trial asked for after every listed pair was taken (by another worker)
            trial.set_user_attr("fail_reason", "surplus trial")
            raise TrialFailed("surplus trial", "every listed pair was already taken by a worker; nothing to train")
        else:
            kind, (weights, model_config, train_config) = PAIR, suggest(trial, spec)
        origin = origin_trial(trial)
        seeds = attrs.get("seeds") or trial_seeds(spec.study.seed, origin, spec.study.replicates)
        started = TrialRecord(kind, weights[0], weights[1], seeds=tuple(seeds), origin_trial=origin,
                              provenance=Provenance(spec.hash, prepared.split_fingerprint, package_versions(), worker),
                              tutorial_pair=attrs.get("tutorial_pair"), method=method or None,
                              verifies=attrs.get(VERIFIES_ATTR))
        set_attrs(trial, started.to_attrs(), previous=attrs)  # before training: a failed trial still says what it was
        runs = []
        curve: list[dict] = []  # the running seed's metrics after each epoch
        prunable = spec.study.prune is not None and not method and "tutorial_pair" not in attrs  # references run whole
        watch = epoch_watcher(spec, trial, curve, train_config.epochs, prunable)
        try:
            packed = None
            for index, seed in enumerate(seeds):
                keep = store is not None and index == 0
                extra = {"method": method} if method else {}
                curve.clear()
                result = trainer(weights[0], weights[1], seed, model_config, train_config, prepared, keep_model=keep,
                                 on_epoch=watch, **extra)
                runs.append(Run.of(seed, result))
                if keep and result.model is not None:
                    packed = pack_model(result.model, prepared, model_config, weights)
        except Pruned as pruned:
            import optuna

            stopped = replace(started, runs=tuple(runs), pruned_epoch=pruned.epoch, prune_reason=pruned.reason,
                              pruned_curve=tuple(curve))
            set_attrs(trial, stopped.to_attrs(), previous=started.to_attrs())
            raise optuna.TrialPruned(pruned.reason) from None
        except TrialFailed as failure:
            trial.set_user_attr("fail_reason", failure.reason)
            trial.set_user_attr("fail_detail", str(failure))
            raise
        except Interrupted as interruption:
            trial.set_user_attr("fail_reason", f"interrupted ({interruption})")
            raise
        except Exception as error:  # a crash in one trial fails that trial, not the sweep
            log.debug("trial %d crashed", trial.number, exc_info=True)
            trial.set_user_attr("fail_reason", f"error: {type(error).__name__}")
            trial.set_user_attr("fail_detail", str(error)[:500])
            raise TrialFailed(f"error: {type(error).__name__}", str(error)) from error
        summary = Summary.of(runs)
        finished = replace(started, runs=tuple(runs), summary=summary)
        if method:  # where the weights ended: the geometric mean over seeds (they spread over decades)
            final = np.exp(np.mean(np.log([run.weighting.final for run in runs if run.weighting is not None]), axis=0))
            finished = replace(finished, rating_weight=float(final[0]), retrieval_weight=float(final[1]))
        if packed is not None:
            try:
                finished = replace(finished, model_key=save_model(trial.study, trial, store, packed))
            except SweepError:  # e.g. a full disk: the trial fails with its reason, the worker stops
                trial.set_user_attr("fail_reason", "model not stored")
                raise
        set_attrs(trial, finished.to_attrs(), previous=started.to_attrs())
        return summary.values(spec.study.objectives)

    return objective


def epoch_watcher(spec: StudySpec, trial, curve: list, epochs: int, prunable: bool):
    """The trainer's `on_epoch`: keeps the running seed's curve and, with `[study] prune`, stops the trial
    (raises sweep.pruning.Pruned) when the rule says its point is beaten by enough earlier trials."""
    settings, objectives = spec.study.prune, spec.study.objectives

    def watch(epoch: int, metrics: dict) -> None:
        curve.append(dict(metrics))
        if not prunable or settings is None or epoch < settings.after_epoch or epoch >= epochs:
            return
        earlier = earlier_points(trial.study.get_trials(deepcopy=False), epoch, objectives, trial.number)
        reason = prune_reason(tuple(metrics[name] for name in objectives), earlier, epoch, objectives,
                              spec.study.directions, settings.quantile, settings.min_trials)
        if reason is not None:
            raise Pruned(epoch, reason)

    return watch


def set_attrs(trial, attrs: dict, previous: dict | None = None) -> None:
    """Store a record's attributes on a running trial, skipping those already stored unchanged."""
    previous = previous or {}
    for key, value in attrs.items():
        if previous.get(key, object()) != value:
            trial.set_user_attr(key, value)


def suggest(trial, spec: StudySpec):
    """The trial's weights (converted from ratio and scale when those are searched) and its model and
    train configs with any other searched settings applied."""
    values: dict[str, float] = {}
    for item in spec.search:
        if item.values is not None:  # grid: GridSampler picks from the listed values
            values[item.name] = trial.suggest_categorical(item.name, list(item.values))
            continue
        assert item.low is not None and item.high is not None  # config: a range without values has both ends
        if item.integer:
            values[item.name] = trial.suggest_int(item.name, int(item.low), int(item.high), log=item.log)
        else:
            values[item.name] = trial.suggest_float(item.name, item.low, item.high, log=item.log)
    if "weight_ratio" in values:
        weights = weights_of(float(values.pop("weight_ratio")), float(values.pop("weight_scale")))
    else:
        weights = (float(values.pop("rating_weight")), float(values.pop("retrieval_weight")))
    sections: dict[str, dict[str, Any]] = {"model": {}, "train": {}}
    for name, value in values.items():
        sections[SEARCHABLE[name][0]][name] = value
    return weights, replace(spec.model, **sections["model"]), replace(spec.train, **sections["train"])


def run_worker(spec: StudySpec, options: RunOptions, prepared, salt: int) -> int:
    """Ask for trials until the study holds n_trials COMPLETE (or its front stopped growing, sweep.patience;
    or too many failed, or time is up)."""
    import optuna

    from sweep.trial import TrialFailed

    n_trials, timeout = options.n_trials, options.timeout
    storage = open_storage(options.storage, options.heartbeat, options.outage_seconds)
    study = optuna.load_study(study_name=spec.study.name, storage=storage, sampler=make_sampler(spec, salt))
    check_matches(study, spec, prepared, options.trainer)
    trainer = trainer_named(options.trainer)
    worker = f"{socket.gethostname()}:{os.getpid()}"
    max_failed = spec.study.max_failed_trials or n_trials
    outcome = {"too_many_failures": False}

    def stop_when_done(study, finished_trial):
        counts = count_states(study)
        if is_complete(counts, n_trials) or patience.check(study, spec.study, n_trials) is not None:
            study.stop()
        elif spec.pairs and not counts.get("WAITING", 0):  # every listed pair taken: a new trial would have none
            study.stop()
        elif counts.get("FAIL", 0) >= max_failed:
            outcome["too_many_failures"] = True
            study.stop()

    store = None
    if spec.study.keep_models != "none":
        from sweep.artifacts import open_store

        store = open_store(study.user_attrs.get("artifacts") or options.artifacts)
    fail_stale_trials(study, storage, options.heartbeat.grace)
    if is_complete(count_states(study), n_trials) or patience.recorded_stop(study.user_attrs, n_trials):
        return 0
    if spec.pairs and not count_states(study).get("WAITING", 0):
        return 0  # every listed pair is taken: trained, training elsewhere, or failed for good
    train_one = make_objective(spec, prepared, trainer, worker, store)
    running = {}  # the trial this worker runs until Optuna records it: the storage is asked about it if Optuna refuses

    def objective(trial):
        running["number"] = trial.number
        return train_one(trial)

    def recorded(study, finished_trial):
        running.pop("number", None)

    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        remaining = None if deadline is None else deadline - time.monotonic()
        if remaining is not None and remaining <= 0:
            break
        try:
            study.optimize(objective, timeout=remaining, callbacks=[recorded, stop_when_done], catch=(TrialFailed,),
                           gc_after_trial=False)
            break
        except Exception as error:
            if getattr(storage, "outage", None) is not None:  # the database stayed away: one line, not Optuna's wreckage
                raise storage.outage from error
            # A starved worker whose heartbeat lapsed finds its trial already failed (and retried)
            # by another worker; Optuna refuses the late result. The retry stands; carry on.
            if not finished_elsewhere(error, study, running.get("number")):
                raise
            log.warning("a trial of this worker was finished elsewhere (its heartbeat lapsed); continuing")
    if outcome["too_many_failures"]:
        raise SweepError(f"study {spec.study.name!r} stopped: {max_failed} trials failed (see `sweep report`)")
    finished = is_complete(count_states(study), n_trials) or patience.recorded_stop(study.user_attrs, n_trials)
    if store is not None and spec.study.keep_models == "pareto" and finished:
        prune_models(study, store)
    return 0


def finished_elsewhere(error: BaseException, study, number: int | None) -> bool:
    """Whether Optuna refused to record this worker's trial `number` because it is no longer RUNNING.

    Optuna refuses with ValueError (Study.tell's check) or UpdateFinishedTrialError (the
    storage's, when another process finished the trial between that check and the write);
    after an objective that returned, Optuna 5.0's optimize loop raises an AssertionError in
    its place, with the refusal as its context. The trial's stored state is what tells a
    refusal from any other error of those types."""
    import optuna

    refusal: BaseException | None = error
    while refusal is not None and not isinstance(refusal, (ValueError, optuna.exceptions.UpdateFinishedTrialError)):
        refusal = refusal.__cause__ or refusal.__context__
    if refusal is None or number is None:
        return False
    stored = next(trial for trial in study.get_trials(deepcopy=False) if trial.number == number)
    return stored.state.is_finished()


def prune_models(study, store) -> None:
    """keep_models = "pareto": delete the models of COMPLETE trials off the front (idempotent)."""
    from sweep.artifacts import MODEL_ATTR, remove_models

    front = {trial.number for trial in study.best_trials}
    removed = set(study.user_attrs.get("removed_models", []))
    doomed = [t for t in study.get_trials(deepcopy=False)
              if MODEL_ATTR in t.user_attrs and t.number not in front and t.number not in removed]
    remove_models(store, [t.user_attrs[MODEL_ATTR] for t in doomed])
    if doomed:
        study.set_user_attr("removed_models", sorted(removed | {t.number for t in doomed}))
