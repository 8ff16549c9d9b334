"""The whole front from one training: the conditioned model's hypervolume against the 50-pair static study's.

The goal: a conditioned front with ≥ 98 % of the static study's hypervolume for ≤ 3
trainings' worth of time. Measured here, on the tutorial's split:

- the static front: every COMPLETE per-pair trial of the tutorial study in the storage
  (`sweep run studies/tutorial.toml`: 50 pairs, 2 seeds each, their means), hypervolume from
  the trivial baselines (chance top-100 accuracy, global-mean RMSE), as the report measures it;
- one static training's time, in this run: the tutorial's joint pair (1, 1) trained with the
  harness's own trainer for three seeds (median of the training loops' wall time);
- for each variant of the conditioned training and each seed: one training (its loop's wall
  time, in trainings' worth), then its front evaluated at the tutorial's pairs, the static
  study's 50 pairs and a 9 x 9 log grid over the variant's ranges; the hypervolume of that one
  training's front, of its front at the static study's 50 pairs alone (like for like: as many
  chances to land well as the sweep had), and of the front of the seeds' mean metrics (what a
  conditioned study with those seeds stores), each as a share of the static front's.

Variants: the shipped study file (studies/conditioned.toml) and one change at a time — no
single-task examples, the tutorial study's whole search range, one pair per batch, the
tutorial's batch and learning rate, a narrower and a wider conditioning MLP, fewer and more epochs —
to show what limits it. Run alone: the training times are wall times.

    scripts/bench-conditioned [--seeds 3] [--variants shipped ...] [--out benchmarks/results/conditioned.json]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
STUDY_FILE = ROOT / "studies" / "conditioned.toml"
STATIC_STUDY = "tutorial"
GRID = 9

# One change at a time against the shipped file: (what it shows, changes to [conditioned], search ranges or None).
VARIANTS = {
    "shipped": ("studies/conditioned.toml as it is", {}, None),
    "no-zero-pairs": ("no single-task examples (zero_share 0): the tutorial's (1, 0) and (0, 1) not servable",
                      {"zero_share": 0.0}, None),
    "study-range": ("draws over the tutorial study's whole search range (0.1–1e4 x 1e-3–1)", {},
                    {"rating_weight": (0.1, 1e4), "retrieval_weight": (1e-3, 1.0)}),
    "per-batch": ("one pair per batch instead of per example", {"draws": "batch"}, None),
    "tutorial-batch-lr": ("the tutorial's batch 8192 and Adagrad 0.1", {"batch_size": 8192, "learning_rate": 0.1}, None),
    "no-film": ("no FiLM: only the rating MLP sees the pair (conditioning_width 0)", {"conditioning_width": 0}, None),
    "width-4": ("conditioning MLP of 4 units (capacity)", {"conditioning_width": 4}, None),
    "width-64": ("conditioning MLP of 64 units (capacity)", {"conditioning_width": 64}, None),
    "width-256": ("conditioning MLP of 256 units (capacity)", {"conditioning_width": 256}, None),
    "epochs-3": ("3 epochs, the tutorial's", {"epochs": 3}, None),
    "epochs-12": ("12 epochs", {"epochs": 12}, None),
}


def static_reference(storage: str, name: str) -> dict:
    """The static study's front points, pairs, hypervolume and reference point, from the storage."""
    import optuna

    from sweep.record import counts_for_front
    from sweep.report.hypervolume import hypervolume, reference_point

    study = optuna.load_study(study_name=name, storage=storage)
    complete = [t for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
                if counts_for_front(t.state.name, t.user_attrs)]
    points = np.array([[t.user_attrs["metrics"]["top_100_accuracy"], t.user_attrs["metrics"]["rmse"]]
                       for t in complete])
    reference = reference_point(study.user_attrs.get("context_baselines"))
    train_seconds = [run["seconds"]["train"] for t in complete for run in t.user_attrs["runs"]]
    return {"study": name, "pairs": [(t.user_attrs["rating_weight"], t.user_attrs["retrieval_weight"]) for t in complete],
            "trials": len(complete), "trainings": len(train_seconds), "training_seconds": float(sum(train_seconds)),
            "hypervolume": hypervolume(points, reference), "reference": reference}


def one_static_training(spec, prepared, seeds) -> list[float]:
    """Training-loop seconds of the tutorial's joint pair (1, 1), the harness's trainer, one per seed."""
    from sweep.trial import train_and_evaluate

    train_and_evaluate(1.0, 1.0, 99, spec.model, spec.train, prepared)  # trace the step first, as a worker has
    return [train_and_evaluate(1.0, 1.0, seed, spec.model, spec.train, prepared)["seconds"]["train"] for seed in seeds]


def variant_spec(spec, changes: dict, ranges: dict | None):
    from sweep.config import SearchRange

    spec = replace(spec, conditioned=replace(spec.conditioned, **changes))
    if ranges:
        spec = replace(spec, search=tuple(SearchRange(name, low=low, high=high) for name, (low, high) in ranges.items()))
    return spec


def run_variant(spec, prepared, seeds, static: dict) -> dict:
    from sweep.conditioned_study import evaluate_pair, grid_pairs, search_ranges, train_one
    from sweep.baselines import TUTORIAL
    from sweep.report.hypervolume import hypervolume

    zeros = spec.conditioned.zero_share > 0
    pairs = [(p.rating_weight, p.retrieval_weight) for p in TUTORIAL] + list(static["pairs"])
    pairs = [pair for pair in pairs if zeros or 0.0 not in pair] + grid_pairs(search_ranges(spec), GRID)
    pairs = list(dict.fromkeys((float(r), float(t)) for r, t in pairs))
    models, runs = [], []
    for seed in seeds:
        model, history, seconds = train_one(spec, prepared, seed)
        models.append(model)
        runs.append({"seed": seed, "train_seconds": seconds["train"],
                     "last_epoch_losses": {"rating_loss": history[-1].rating_loss,
                                           "retrieval_loss": history[-1].retrieval_loss}})
        print(f"  seed {seed}: trained in {seconds['train']:.1f} s", file=sys.stderr, flush=True)
    started = time.perf_counter()
    trainings = [{"seed": seed} for seed in seeds]
    metrics = np.array([[[run.metrics["top_100_accuracy"], run.metrics["rmse"]]
                         for run in evaluate_pair(models, pair, prepared, spec.train, trainings)] for pair in pairs])
    evaluate_seconds = time.perf_counter() - started  # pairs x seeds evaluations
    like = np.array([pair in set(static["pairs"]) for pair in pairs])  # the sweep's own pairs only
    for index, run in enumerate(runs):
        run["hypervolume"] = hypervolume(metrics[:, index, :], static["reference"])
        run["hypervolume_share"] = run["hypervolume"] / static["hypervolume"]
        run["like_for_like_share"] = hypervolume(metrics[like, index, :], static["reference"]) / static["hypervolume"]
        run["best_top_100_accuracy"] = float(metrics[:, index, 0].max())
        run["best_rmse"] = float(metrics[:, index, 1].min())
    mean_front = hypervolume(metrics.mean(axis=1), static["reference"])
    shares = [run["hypervolume_share"] for run in runs]
    return {"pairs": len(pairs), "like_for_like_pairs": int(like.sum()), "runs": runs, "evaluate_seconds": evaluate_seconds,
            "median_like_for_like_share": statistics.median(run["like_for_like_share"] for run in runs),
            "median_share": statistics.median(shares), "min_share": min(shares), "max_share": max(shares),
            "mean_front_hypervolume": mean_front, "mean_front_share": mean_front / static["hypervolume"],
            "median_train_seconds": statistics.median(run["train_seconds"] for run in runs)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="training seeds per variant (0, 1, …)")
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--storage", default=f"sqlite:///{ROOT / 'studies' / 'tutorial.db'}",
                        help="where the static study (tutorial) is stored")
    parser.add_argument("--out", type=Path, default=None, help="also write the results as JSON here")
    args = parser.parse_args(argv)

    from benchmarks.machine import write_result
    from sweep.config import load_study_file
    from sweep.config import run as run_config
    from sweep.data import load_prepared

    spec = load_study_file(STUDY_FILE)
    prepared = load_prepared(spec.data, run_config.data_dir(None))
    static = static_reference(args.storage, STATIC_STUDY)
    seeds = list(range(args.seeds))
    static_seconds = one_static_training(load_study_file(ROOT / "studies" / "tutorial.toml"), prepared, seeds)
    one_training = statistics.median(static_seconds)
    print(f"static front: {static['trials']} pairs, hypervolume {static['hypervolume']:.5f}; "
          f"one static training {one_training:.2f} s", file=sys.stderr, flush=True)
    results = {}
    for name in args.variants:
        what, changes, ranges = VARIANTS[name]
        print(f"{name}: {what}", file=sys.stderr, flush=True)
        result = run_variant(variant_spec(spec, changes, ranges), prepared, seeds, static)
        result.update(what=what, changes=changes, ranges=ranges,
                      trainings_worth=result["median_train_seconds"] / one_training)
        results[name] = result
        print(f"  share of the static hypervolume: median {result['median_share']:.3f} "
              f"[{result['min_share']:.3f}–{result['max_share']:.3f}], seeds' mean front {result['mean_front_share']:.3f}; "
              f"{result['median_train_seconds']:.1f} s = {result['trainings_worth']:.2f} trainings' worth",
              file=sys.stderr, flush=True)
    document = {
        "static": {key: value for key, value in static.items() if key != "pairs"},
        "one_static_training_seconds": one_training, "static_training_seconds": static_seconds,
        "seeds": seeds, "grid": GRID, "study_file": str(STUDY_FILE.relative_to(ROOT)),
        "shipped": {"conditioned": spec.conditioned.__dict__,
                    "search": {item.name: [item.low, item.high] for item in spec.search}},
        "goal": {"hypervolume_share": 0.98, "trainings_worth": 3.0},
        "variants": results,
    }
    if args.out:
        write_result(args.out, document)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
