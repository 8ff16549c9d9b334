"""What stopping when the front stops growing saves and loses: `[study] patience` over the tutorial's search.

Patience changes nothing about the trials a study runs before it stops — the sampler sees the
same history — so one full run per study seed answers every setting: the study file (default:
the tutorial study, studies/tutorial.toml, n_trials 50) runs to its target without patience
(benchmarks.study_runs: `sweep run` in a fresh process, fresh storage), and for each setting
the product's own rule (sweep.patience.growth and .stalled) is replayed on the recorded trials
to find where that study would have stopped. Per seed and setting:

- trainings saved: the share of the run's trainings after the stop (trials × replicates);
- hypervolume lost: 1 − test hypervolume of the front chosen among the trials up to the stop /
  that of the whole run's, measured from the three reference points of benchmarks.protocol.
Each is reported as its median over at least 10 study seeds with a 95 % bootstrap interval
(benchmarks.protocol.median_interval).

    scripts/bench-patience [--seeds 10] [--first-seed 100] [--settings "5,0.01" "10,0.01" "10,0.001"]
        [--study-file studies/tutorial.toml] [--out benchmarks/results/patience.json]

Not run by the tests: tests/test_benchmarks.py checks the replay and the analysis on constructed runs.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from benchmarks.protocol import hypervolume_ratios, median_interval, references
from benchmarks.study_runs import ROOT, chosen_front, run_study

DEFAULT_SETTINGS = ("5,0.01", "10,0.01", "10,0.001")  # patience, min_gain


def stop_index(run: dict, patience: int, min_gain: float) -> int | None:
    """How many of the run's finished trials (in the order they finished) a study with this setting
    would have held when it stopped; None: it would have run to the end."""
    from sweep.pareto import hypervolume, trivial_reference
    from sweep.patience import stalled

    objectives, directions = ("top_100_accuracy", "rmse"), ("maximize", "minimize")
    reference = trivial_reference(objectives, run["context_baselines"])
    points, volumes = [], []
    for index, trial in enumerate(run["trials"]):
        if not trial["counts_for_front"]:
            continue
        points.append((trial["top_100_accuracy"], trial["rmse"]))
        volumes.append(hypervolume(points, directions, reference))
        if stalled(volumes, min_gain) >= patience:
            return index + 1
    return None


def seed_figures(run: dict, patience: int, min_gain: float) -> dict:
    """One seed's savings and loss at one setting."""
    stop = stop_index(run, patience, min_gain)
    kept = run["trials"] if stop is None else run["trials"][:stop]
    whole = chosen_front(run["trials"])
    points = references([whole, chosen_front(kept)], run["context_baselines"])
    ratios = hypervolume_ratios(chosen_front(kept), whole, points)
    trainings = sum(trial["epochs_trained"] for trial in run["trials"])
    return {"study_seed": run["study_seed"], "stopped_after": stop,
            "trainings_saved": 1 - sum(trial["epochs_trained"] for trial in kept) / trainings,
            "hypervolume_lost": {name: 1 - ratio for name, ratio in ratios.items()}}


def analyse(runs: list[dict], settings) -> dict:
    """Per setting ("patience,min_gain"), every seed's figures and their medians with intervals."""
    found = {}
    for setting in settings:
        patience, min_gain = int(setting.split(",")[0]), float(setting.split(",")[1])
        seeds = [seed_figures(run, patience, min_gain) for run in runs]
        found[setting] = {"seeds": seeds,
                          "trainings_saved": median_interval([s["trainings_saved"] for s in seeds]).record(),
                          "hypervolume_lost": {name: median_interval([s["hypervolume_lost"][name] for s in seeds]).record()
                                               for name in seeds[0]["hypervolume_lost"]}}
    return {"settings": found}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--first-seed", type=int, default=100)  # not the committed study's seed 0
    parser.add_argument("--settings", nargs="+", default=list(DEFAULT_SETTINGS))
    parser.add_argument("--study-file", type=Path, default=ROOT / "studies" / "tutorial.toml")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "patience.json")
    args = parser.parse_args(argv)
    runs = []
    with tempfile.TemporaryDirectory(prefix="bench-patience-") as workdir:
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            run = run_study(args.study_file, Path(workdir), f"patience-{seed}", seed,
                            {"patience": None, "min_gain": None, "prune": None})
            runs.append(run)
            print(f"seed {seed}: {run['wall_seconds']:.0f} s", file=sys.stderr, flush=True)
    result = {"study_seeds": [run["study_seed"] for run in runs], **analyse(runs, args.settings), "runs": runs}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
