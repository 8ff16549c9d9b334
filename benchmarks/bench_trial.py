"""Benchmark: the harness's trial against the tutorial's code, side by side in one run.

For each repeat and each of the tutorial's three weight pairs, runs the reference
(benchmarks/tutorial_reference.py) and the harness's trial on the same split with the
same seed, alternating so both see the same machine load. Prints per-trial seconds
(fit + evaluate), the speed-up, and the metric differences: of the means, in units of
the reference's seed standard deviation, and seed for seed (a seed gives both the same
initial weights and batches, so only float rounding separates them); the last line is JSON.

    scripts/bench-trial [--repeats 3] [--pairs 1,0 0,1 1,1] [--out benchmarks/results/bench-trial.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import sweep  # noqa: F401
from sweep import data
from sweep.config import TOP_K, ModelConfig, TrainConfig
from sweep.config import run as run_config
from sweep.data.prepared import prepare
from sweep.trial import train_and_evaluate

METRICS = [f"top_{k}_accuracy" for k in TOP_K] + ["rmse"]
TUTORIAL_PAIRS = ((1.0, 0.0), (0.0, 1.0), (1.0, 1.0))


def spread(values: list[float]) -> dict:
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "mean": statistics.fmean(values),
        "std": statistics.stdev(values) if len(values) > 1 else 0.0,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--pairs", nargs="+", default=["1,0", "0,1", "1,1"], help="weight pairs as rating,retrieval")
    parser.add_argument("--out", type=Path, default=None, help="also write the JSON summary here (a result file)")
    args = parser.parse_args(argv)
    pairs = [tuple(float(x) for x in pair.split(",")) for pair in args.pairs]

    from benchmarks.tutorial_reference import run_tutorial_trial, tutorial_datasets

    dataset = data.load(run_config.data_dir(), data.MOVIELENS)
    split = data.load_split(dataset, seed=42, kind="tutorial")
    prepared = prepare(dataset, split)
    reference_data = tutorial_datasets(dataset, split)
    runs = {pair: {"reference": [], "sweep": []} for pair in pairs}
    for repeat in range(args.repeats):
        for pair in pairs:
            reference = run_tutorial_trial(*pair, seed=repeat, datasets=reference_data)
            ours = train_and_evaluate(*pair, seed=repeat, model_config=ModelConfig(), train_config=TrainConfig(), data=prepared)
            for name, result in (("reference", reference), ("sweep", ours)):
                runs[pair][name].append({"seconds": result["seconds"]["total"], **result["metrics"]})
            print(
                f"repeat {repeat} pair {pair}: reference {reference['seconds']['total']:.1f} s, "
                f"sweep {ours['seconds']['total']:.1f} s; top-100 {reference['metrics']['top_100_accuracy']:.4f} vs "
                f"{ours['metrics']['top_100_accuracy']:.4f}, RMSE {reference['metrics']['rmse']:.4f} vs {ours['metrics']['rmse']:.4f}",
                file=sys.stderr, flush=True,
            )

    summary = {"repeats": args.repeats, "pairs": {}}
    for pair, by_implementation in runs.items():
        seconds = {name: spread([run["seconds"] for run in by_implementation[name]]) for name in by_implementation}
        metrics = {}
        for metric in METRICS:
            reference = spread([run[metric] for run in by_implementation["reference"]])
            ours = spread([run[metric] for run in by_implementation["sweep"]])
            difference = ours["mean"] - reference["mean"]
            paired = [
                mine[metric] - theirs[metric]
                for mine, theirs in zip(by_implementation["sweep"], by_implementation["reference"])
            ]
            metrics[metric] = {
                "reference_mean": reference["mean"], "reference_std": reference["std"],
                "sweep_mean": ours["mean"], "sweep_std": ours["std"],
                "difference": difference,
                "difference_in_reference_std": difference / reference["std"] if reference["std"] > 0 else None,
                # inside the spread: within two of the reference's seed standard deviations
                "inside_spread": abs(difference) <= 2 * reference["std"],
                "same_seed_max_abs_difference": max(abs(d) for d in paired),
            }
        summary["pairs"][f"{pair[0]:g},{pair[1]:g}"] = {
            "seconds": seconds,
            "speedup_median": seconds["reference"]["median"] / seconds["sweep"]["median"],
            "metrics": metrics,
        }
    total_reference = sum(run["seconds"] for by in runs.values() for run in by["reference"])
    total_ours = sum(run["seconds"] for by in runs.values() for run in by["sweep"])
    summary["speedup_all_pairs"] = total_reference / total_ours
    summary["speedup_median_per_pair"] = statistics.median(p["speedup_median"] for p in summary["pairs"].values())
    summary["all_metrics_inside_spread"] = all(
        m["inside_spread"] for p in summary["pairs"].values() for m in p["metrics"].values()
    )

    for key, pair in summary["pairs"].items():
        print(
            f"pair ({key}): reference median {pair['seconds']['reference']['median']:.1f} s "
            f"[{pair['seconds']['reference']['min']:.1f}-{pair['seconds']['reference']['max']:.1f}], "
            f"sweep median {pair['seconds']['sweep']['median']:.1f} s "
            f"[{pair['seconds']['sweep']['min']:.1f}-{pair['seconds']['sweep']['max']:.1f}], "
            f"speed-up {pair['speedup_median']:.1f}x"
        )
        for metric, values in pair["metrics"].items():
            z = values["difference_in_reference_std"]
            print(
                f"    {metric:16s} reference {values['reference_mean']:.4f} ± {values['reference_std']:.4f}  "
                f"sweep {values['sweep_mean']:.4f} ± {values['sweep_std']:.4f}  "
                f"diff {values['difference']:+.4f} ({'n/a' if z is None else f'{z:+.1f} sd'}); "
                f"same seed max |diff| {values['same_seed_max_abs_difference']:.4f}"
                f"{'' if values['inside_spread'] else '  OUTSIDE'}"
            )
    print(
        f"all three pairs: {summary['speedup_all_pairs']:.1f}x faster; median per-pair speed-up "
        f"{summary['speedup_median_per_pair']:.1f}x; metrics inside the reference's spread: {summary['all_metrics_inside_spread']}"
    )
    print(json.dumps(summary, sort_keys=True))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    started = time.perf_counter()
    status = main()
    print(f"benchmark took {time.perf_counter() - started:.0f} s", file=sys.stderr)
    raise SystemExit(status)
