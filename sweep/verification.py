"""`[conditioned] verify = K`: after a conditioned study's pairs are evaluated, K pairs of its front
trained statically, each an ordinary per-pair trial of the same study.

The conditioned model's front says where the good trade-offs lie; a static model trained at one of
those pairs is a model the user can serve with no question about conditioning, and the two points at
the same pair show how far the conditioned model's numbers can be trusted there.

- **Which pairs**: the front of the study's conditioned trials (their mean metrics on the study's
  objectives), among the pairs the models were trained for (`in_trained_range`: serving may not
  extrapolate, so neither may verifying) whose weights are both above zero: a static training at a
  zero weight trains nothing of that task (its head stays at its initial weights), so it cannot
  reproduce a conditioned point whose shared model learnt both. Of the front's points, K are taken greedily by hypervolume
  from the trivial baselines (the report's reference point, sweep.pareto.trivial_reference): first
  the point of the largest hypervolume alone, then the one that adds the most, and so on
  (sweep.pareto.greedy_hypervolume), so a small K spans the front rather than crowding one end.
  A front of fewer than K points is verified whole, and the run says so; with `verify_fill = "layers"`
  the next non-dominated layers (the front of what is left, and so on) fill the rest of the K
  (sweep.pareto.greedy_layers): the best-ranked pairs when the front alone is short.
- **How**: each pair is enqueued with its weights and trained by the per-pair studies' own trial
  code (sweep.per_pair.make_objective, with the study's trainer): `replicates` seeds, and those the
  conditioned trainings' own seeds. `verify_recipe = "train"` trains with the study's [train]
  settings, the per-pair studies' recipe; `"conditioned"` with the conditioned training's own epochs,
  batch and rate (`training_recipe`), so a verified point compares like for like with the point it
  verifies: the model that pointed to the pair was trained that way. The trial then records that
  recipe (`recipe`) and still the user's raw pair; where the batch differs, its retrieval weight is
  scaled so that the pair means the same objective (the retrieval term a Σ over [train]'s batch, as
  the conditioned model's preference draws mean it). The first seed's model is stored, as a per-pair trial's
  is. The record is kind "pair" with `verifies`, the conditioned trial's number (sweep.record), so
  the report, `compare`, `pick`, `predict`, `recommend` and `export` read it as the per-pair trial
  it is.
- **Idempotent**: a chosen pair whose conditioned trial already has a COMPLETE, waiting or running
  verification trial is not enqueued again; each trial is stored as it finishes, so a crash loses
  only the trial running then (failed by Optuna, or, once its heartbeat lapses, retried). A later
  run on a changed front (a denser grid) verifies its new choice; what was verified stays.
"""

from __future__ import annotations

import os
import socket
from dataclasses import replace

import numpy as np

from sweep import SweepError
from sweep.config import StudySpec, TrainConfig
from sweep.pareto import front_points, greedy_hypervolume, greedy_layers, pareto_front, trivial_reference
from sweep.per_pair import make_objective
from sweep.progress import trial_line
from sweep.record import CONDITIONED, RECIPE_ATTR, VERIFIES_ATTR, TrialRecord, kind_of
from sweep.study import fail_stale_trials
from sweep.trainers import trainer_named
from sweep.training import TrialFailed

PENDING = ("COMPLETE", "WAITING", "RUNNING")  # a verification trial in one of these states needs no other


def training_recipe(spec: StudySpec) -> tuple[TrainConfig, float]:
    """The [train] a verification trial trains with, and the factor on its retrieval weight that keeps the
    pair's meaning at that batch (module docstring)."""
    config = spec.conditioned
    if config is None or config.verify_recipe == "train":
        return spec.train, 1.0
    recipe = replace(spec.train, epochs=config.epochs, batch_size=config.batch_size or spec.train.batch_size,
                     learning_rate=config.learning_rate or spec.train.learning_rate)
    means_sum_over = spec.train.batch_size if config.draws == "preference" else recipe.batch_size
    return recipe, means_sum_over / recipe.batch_size


def recipe_attr(train: TrainConfig, factor: float) -> dict:
    return {"epochs": train.epochs, "batch_size": train.batch_size, "learning_rate": train.learning_rate,
            "retrieval_weight_factor": factor}


def scaled_trainer(trainer, factor: float):
    """`trainer` with the retrieval weight times `factor` (the pair recorded stays the user's)."""
    if factor == 1.0:
        return trainer

    def train(rating_weight, retrieval_weight, *args, **kwargs):
        return trainer(rating_weight, retrieval_weight * factor, *args, **kwargs)

    return train


def verifiable_pair(pair: tuple[float, float], in_trained_range: bool) -> bool:
    """Whether `verify` may train a conditioned pair statically (module docstring): trained for, neither weight zero."""
    return in_trained_range and min(pair) > 0


def verifiable_conditioned(trials) -> list:
    """The study's COMPLETE conditioned trials at pairs `verifiable_pair` admits."""
    verifiable = []
    for trial in trials:
        record = TrialRecord.from_attrs(trial.user_attrs)
        origin = record.conditioned
        if (trial.state.name == "COMPLETE" and kind_of(trial.user_attrs) == CONDITIONED and origin
                and verifiable_pair((record.rating_weight, record.retrieval_weight), origin.in_trained_range)):
            verifiable.append(trial)
    return verifiable


def front_to_verify(trials, objectives, directions, reference, count: int,
                    layers: bool = False) -> tuple[list[int], int]:
    """The numbers of up to `count` conditioned trials on the verifiable conditioned front, in the order
    the greedy hypervolume choice takes them (with `layers`, a short front followed by the next layers'),
    and how many points that front has."""
    numbers, points = front_points(verifiable_conditioned(trials), objectives)
    if not numbers:
        return [], 0
    on_front = np.flatnonzero(pareto_front(points, directions))
    if layers:
        return [numbers[index] for index in greedy_layers(points, directions, reference, count)], len(on_front)
    order = greedy_hypervolume(points[on_front], directions, reference, count)
    return [numbers[on_front[index]] for index in order], len(on_front)


def verifications(trials, recipe: dict | None = None) -> dict[int, set[str]]:
    """Conditioned trial number -> the states of the verification trials of its pair trained with `recipe`
    (None: [train]'s); one trained otherwise stays stored but verifies nothing under this recipe."""
    found: dict[int, set[str]] = {}
    for trial in trials:
        target = trial.user_attrs.get(VERIFIES_ATTR)
        if target is not None and trial.user_attrs.get(RECIPE_ATTR) == recipe:
            found.setdefault(int(target), set()).add(trial.state.name)
    return found


def enqueue(study, trial, recipe: dict | None = None) -> None:
    """A verification trial of a conditioned trial's pair, with its seeds (and its recipe when it is not
    [train]), waiting to be trained."""
    record = TrialRecord.from_attrs(trial.user_attrs)
    attrs = {VERIFIES_ATTR: trial.number, "rating_weight": record.rating_weight,
             "retrieval_weight": record.retrieval_weight, "seeds": list(record.seeds)}
    study.enqueue_trial({}, user_attrs=attrs | ({RECIPE_ATTR: recipe} if recipe else {}), skip_if_exists=False)


def verify_front(study, storage, spec: StudySpec, prepared, store, options, progress) -> int:
    """Train the pairs `[conditioned] verify` asks for that are not verified yet (module docstring), with
    `options`' trainer and heartbeat; the number of conditioned trials verified (a COMPLETE verification
    trial each) when done. Raises SweepError when one failed."""
    if spec.conditioned is None or not spec.conditioned.verify:
        return 0
    count = spec.conditioned.verify
    fail_stale_trials(study, storage, options.heartbeat.grace)  # a lost verification is retried
    trials = study.get_trials(deepcopy=False)
    reference = trivial_reference(spec.study.objectives, study.user_attrs.get("context_baselines"))
    layers = spec.conditioned.verify_fill == "layers"
    chosen, front = front_to_verify(trials, spec.study.objectives, spec.study.directions, reference, count, layers)
    if not front:
        progress.say(f"verify = {count}: no conditioned trial inside the trained ranges with neither weight zero; "
                     "nothing to verify")
    elif front < count:
        progress.say(f"verify = {count}: the conditioned front has {front} point(s) inside the trained ranges "
                     "(neither weight zero); "
                     + ("the next layers fill the rest (verify_fill = \"layers\")" if layers else "verifying all of them"))
    recipe, factor = training_recipe(spec)
    own = recipe_attr(recipe, factor) if spec.conditioned.verify_recipe == "conditioned" else None
    states, by_number = verifications(trials, own), {trial.number: trial for trial in trials}
    for number in chosen:
        if not states.get(number, set()) & set(PENDING):
            enqueue(study, by_number[number], own)
    current = [t for t in study.get_trials(deepcopy=False) if VERIFIES_ATTR in t.user_attrs]
    waiting = [t for t in current if t.state.name == "WAITING"]
    running = [t.number for t in current if t.state.name == "RUNNING"]
    if running:
        progress.say(f"verification trial(s) {', '.join(map(str, running))} running elsewhere, or lost less than "
                     f"{options.heartbeat.grace} s ago (a later run retries a lost one)")
    if waiting:
        progress.say(f"verifying {len(waiting)} front pair(s) statically: per-pair trials, "
                     f"{spec.study.replicates} seed(s) each, {recipe.epochs} epoch(s) in batches of {recipe.batch_size}, "
                     f"rate {recipe.learning_rate:g}" + (" (the conditioned training's recipe)" if own else ""))
    elif front and not running:
        progress.say(f"the {len(chosen)} front pair(s) chosen to verify are verified; nothing to train")
    train = make_objective(replace(spec, train=recipe), prepared, scaled_trainer(trainer_named(options.trainer), factor),
                           f"{socket.gethostname()}:{os.getpid()}", store)

    def objective(trial):
        if VERIFIES_ATTR not in trial.user_attrs:  # the waiting ones were taken by another process meanwhile
            trial.set_user_attr("fail_reason", "surplus trial")
            raise TrialFailed("surplus trial", "every verification was already taken; nothing to train")
        if trial.user_attrs.get(RECIPE_ATTR) != own:  # enqueued by a run under the other recipe: trained with this one
            trial.set_user_attr(RECIPE_ATTR, own)
        return train(trial)

    finished = []

    def report(study, trial) -> None:
        finished.append(trial)
        progress.note(trial_line(trial))

    for _ in waiting:  # one trial per call: Optuna hands out a waiting one first (the objective refuses any other)
        study.optimize(objective, n_trials=1, catch=(TrialFailed,), callbacks=[report], gc_after_trial=False)
    failed = [trial for trial in finished if trial.state.name != "COMPLETE"]
    if failed:
        first = failed[0]
        raise SweepError(f"{len(failed)} verification trial(s) failed, e.g. trial {first.number} (verifies trial "
                         f"{first.user_attrs.get(VERIFIES_ATTR)}): {first.user_attrs.get('fail_reason', '?')}; "
                         "`sweep report` lists them, and running again retries them")
    return sum("COMPLETE" in found for found in verifications(study.get_trials(deepcopy=False), own).values())
