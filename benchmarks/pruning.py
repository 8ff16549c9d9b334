"""What pruning saves and what it loses: the same studies run with `[study] prune` and without.

For each study seed (at least 10) the study file (default: the tutorial study, studies/tutorial.toml)
runs twice, as a user runs it (benchmarks.study_runs: `sweep run` in a fresh process, fresh
storage): once unpruned, once with each prune setting. Per seed and setting:

- trainings saved: 1 − epochs trained pruned / epochs trained unpruned (a pruned seed counts the
  epochs it ran; a training is `epochs` of them);
- wall time saved: 1 − wall seconds pruned / unpruned (the whole `sweep run`: what the user waits for);
- hypervolume lost: 1 − test hypervolume of the pruned run's front / the unpruned run's, each
  front chosen on the objectives (benchmarks.study_runs.chosen_front), measured from the
  three reference points of benchmarks.protocol (trivial baselines, nadir of the two fronts, fixed).
Each is reported as its median over the study seeds with a 95 % bootstrap interval
(benchmarks.protocol.median_interval). Pruned trials count toward n_trials (sweep.pruning), so
both runs draw the same number of pairs and pruning can only save.

    scripts/bench-pruning [--seeds 10] [--first-seed 100] [--settings "1,0.5" "1,0.25"]
        [--study-file studies/tutorial.toml] [--out benchmarks/results/pruning.json]

Not run by the tests: tests/test_benchmarks.py checks the analysis on constructed runs and the
run path on the fake trainer.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from benchmarks.protocol import hypervolume_ratios, median_interval, references
from benchmarks.study_runs import ROOT, chosen_front, run_study

DEFAULT_SETTINGS = ("1,0.5", "1,0.25")  # after_epoch, quantile


def setting_of(text: str) -> dict:
    """"after_epoch,quantile" as a `[study] prune` table."""
    after_epoch, quantile = text.split(",")
    return {"after_epoch": int(after_epoch), "quantile": float(quantile)}


def epochs_trained(run: dict) -> int:
    return sum(trial["epochs_trained"] for trial in run["trials"])


def paired_figures(unpruned: dict, pruned: dict) -> dict:
    """One seed's savings and losses, pruned against the same study unpruned."""
    points = references([chosen_front(unpruned["trials"]), chosen_front(pruned["trials"])], unpruned["context_baselines"])
    kept = hypervolume_ratios(chosen_front(pruned["trials"]), chosen_front(unpruned["trials"]), points)
    return {"study_seed": unpruned["study_seed"],
            "trainings_saved": 1 - epochs_trained(pruned) / epochs_trained(unpruned),
            "trainings_saved_count": (epochs_trained(unpruned) - epochs_trained(pruned)) / unpruned["epochs_per_training"],
            "wall_saved": 1 - pruned["wall_seconds"] / unpruned["wall_seconds"],
            "pruned_trials": sum(t["state"] == "PRUNED" for t in pruned["trials"]),
            "hypervolume_lost": {name: 1 - ratio for name, ratio in kept.items()}}


def analyse(runs: list[dict]) -> dict:
    """Per setting, the paired figures of every seed and their medians with intervals."""
    unpruned = {run["study_seed"]: run for run in runs if run["setting"] is None}
    settings: dict[str, dict] = {}
    for run in runs:
        if run["setting"] is None:
            continue
        entry = settings.setdefault(run["setting"], {"seeds": []})
        entry["seeds"].append(paired_figures(unpruned[run["study_seed"]], run))
    for entry in settings.values():
        seeds = entry["seeds"]
        entry["trainings_saved"] = median_interval([s["trainings_saved"] for s in seeds]).record()
        entry["wall_saved"] = median_interval([s["wall_saved"] for s in seeds]).record()
        entry["hypervolume_lost"] = {name: median_interval([s["hypervolume_lost"][name] for s in seeds]).record()
                                     for name in seeds[0]["hypervolume_lost"]}
    return {"settings": settings}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--first-seed", type=int, default=100)  # not the committed studies' seed 0
    parser.add_argument("--settings", nargs="+", default=list(DEFAULT_SETTINGS))
    parser.add_argument("--study-file", type=Path, default=ROOT / "studies" / "tutorial.toml")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "pruning.json")
    args = parser.parse_args(argv)
    runs = []
    with tempfile.TemporaryDirectory(prefix="bench-pruning-") as workdir:
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            for setting in [None, *args.settings]:
                keys = {"patience": None, "min_gain": None, "prune": setting_of(setting) if setting else None}
                run = run_study(args.study_file, Path(workdir), f"prune-{seed}-{setting or 'off'}".replace(",", "-"),
                                seed, keys)
                runs.append({**run, "setting": setting})
                print(f"seed {seed} {setting or 'unpruned'}: {run['wall_seconds']:.0f} s", file=sys.stderr, flush=True)
    result = {"study_file": str(args.study_file.relative_to(ROOT) if args.study_file.is_relative_to(ROOT)
                                else args.study_file), "study_seeds": [run["study_seed"] for run in runs
                                                                       if run["setting"] is None],
              **analyse(runs), "runs": runs}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
