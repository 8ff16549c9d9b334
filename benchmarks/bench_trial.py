"""Benchmark: the tutorial's code against the harness's trial, each in fresh processes, ABBA.

Each repeat runs two fresh processes on the tutorial's split with the same seed (the
repeat's number): the tutorial's code as the tutorial runs it (one process, its three
models in sequence: (1, 0), (0, 1), (1, 1); benchmarks/tutorial_reference.py) and the
harness (one process, the same three trials). Which goes first alternates, A B B A A B …,
so drift in the machine's load falls on both alike. Reported per pair: the trial's
seconds (fit + evaluate; median [min–max] over repeats) and the ratio of totals; per
process: whole wall time (interpreter start, imports, data and all three models) and
peak resident memory; and the metric differences, of the means in units of the
reference's seed standard deviation and seed for seed (a seed gives both the same
initial weights and batches, so only float rounding separates them).

    scripts/bench-trial [--repeats 4] [--out benchmarks/results/bench-trial.json]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

METRICS = [f"top_{k}_accuracy" for k in (1, 5, 10, 50, 100)] + ["rmse"]
PAIRS = ((1.0, 0.0), (0.0, 1.0), (1.0, 1.0))  # the tutorial's order
IMPLEMENTATIONS = ("reference", "sweep")


def spread(values: list[float]) -> dict:
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "mean": statistics.fmean(values),
        "std": statistics.stdev(values) if len(values) > 1 else 0.0,
    }


def one_process(implementation: str, seed: int) -> dict:
    """Runs inside a fresh process: load the split, train and evaluate the three pairs in sequence."""
    import sweep  # noqa: F401  (Keras 2 before TensorFlow)
    from sweep import data
    from sweep.config import ModelConfig, TrainConfig
    from sweep.config import run as run_config

    dataset = data.load(run_config.data_dir(), data.MOVIELENS)
    split = data.load_split(dataset, seed=42, kind="tutorial")
    if implementation == "reference":
        from benchmarks.tutorial_reference import run_tutorial_trial, tutorial_datasets

        datasets = tutorial_datasets(dataset, split)
        trials = [run_tutorial_trial(*pair, seed=seed, datasets=datasets) for pair in PAIRS]
    else:
        from sweep.data.prepared import prepare
        from sweep.trial import train_and_evaluate

        prepared = prepare(dataset, split)
        trials = [train_and_evaluate(*pair, seed=seed, model_config=ModelConfig(), train_config=TrainConfig(),
                                     data=prepared) for pair in PAIRS]
    return {
        "trials": [{"seconds": trial.seconds.total, **trial.metrics} for trial in trials],
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,  # KiB on Linux
    }


def run_process(implementation: str, seed: int) -> dict:
    started = time.perf_counter()
    output = subprocess.run([sys.executable, "-m", "benchmarks.bench_trial", "--process", implementation,
                             "--seed", str(seed)], check=True, capture_output=True, text=True).stdout
    wall = time.perf_counter() - started
    return json.loads(output.strip().splitlines()[-1]) | {"wall_seconds": wall}


def abba_order(repeat: int) -> tuple[str, str]:
    """A B, B A, A B, …: which implementation runs first in each repeat."""
    return IMPLEMENTATIONS if repeat % 2 == 0 else IMPLEMENTATIONS[::-1]


def summarize(processes: dict[str, list[dict]], orders: list[tuple[str, str]]) -> dict:
    summary = {"repeats": len(orders), "order": ["".join("A" if name == "reference" else "B" for name in order)
                                                 for order in orders], "pairs": {}}
    for index, pair in enumerate(PAIRS):
        runs = {name: [process["trials"][index] for process in processes[name]] for name in IMPLEMENTATIONS}
        seconds = {name: spread([run["seconds"] for run in runs[name]]) for name in IMPLEMENTATIONS}
        metrics = {}
        for metric in METRICS:
            reference = spread([run[metric] for run in runs["reference"]])
            ours = spread([run[metric] for run in runs["sweep"]])
            difference = ours["mean"] - reference["mean"]
            metrics[metric] = {
                "reference_mean": reference["mean"], "reference_std": reference["std"],
                "sweep_mean": ours["mean"], "sweep_std": ours["std"], "difference": difference,
                "difference_in_reference_std": difference / reference["std"] if reference["std"] > 0 else None,
                "inside_spread": abs(difference) <= 2 * reference["std"],  # within two seed standard deviations
                "same_seed_max_abs_difference": max(abs(mine[metric] - theirs[metric])
                                                    for mine, theirs in zip(runs["sweep"], runs["reference"])),
            }
        summary["pairs"][f"{pair[0]:g},{pair[1]:g}"] = {
            "seconds": seconds,
            "speedup_of_totals": sum(run["seconds"] for run in runs["reference"]) / sum(run["seconds"] for run in runs["sweep"]),
            "metrics": metrics,
        }
    totals = {name: sum(trial["seconds"] for process in processes[name] for trial in process["trials"])
              for name in IMPLEMENTATIONS}
    summary["speedup_of_trial_totals"] = totals["reference"] / totals["sweep"]
    summary["process"] = {
        name: {"wall_seconds": spread([process["wall_seconds"] for process in processes[name]]),
               "peak_rss_mib": spread([process["peak_rss_mib"] for process in processes[name]]),
               "three_trials_seconds": spread([sum(t["seconds"] for t in process["trials"]) for process in processes[name]])}
        for name in IMPLEMENTATIONS
    }
    summary["speedup_of_process_walls"] = (sum(p["wall_seconds"] for p in processes["reference"])
                                           / sum(p["wall_seconds"] for p in processes["sweep"]))
    summary["all_metrics_inside_spread"] = all(
        m["inside_spread"] for p in summary["pairs"].values() for m in p["metrics"].values())
    return summary


def print_summary(summary: dict) -> None:
    print("| pair | tutorial's code, median [min–max] | sweep, median [min–max] | ratio of totals |\n|---|---|---|---|")
    for key, pair in summary["pairs"].items():
        ref, ours = pair["seconds"]["reference"], pair["seconds"]["sweep"]
        print(f"| ({key}) | {ref['median']:.1f} s [{ref['min']:.1f}–{ref['max']:.1f}] | {ours['median']:.2f} s "
              f"[{ours['min']:.2f}–{ours['max']:.2f}] | {pair['speedup_of_totals']:.1f}× |")
    print(f"all three pairs: {summary['speedup_of_trial_totals']:.1f}× (ratio of totals)")
    for name, process in summary["process"].items():
        wall, rss = process["wall_seconds"], process["peak_rss_mib"]
        print(f"{name} process: wall {wall['median']:.1f} s [{wall['min']:.1f}–{wall['max']:.1f}], "
              f"peak RSS {rss['median']:.0f} MiB [{rss['min']:.0f}–{rss['max']:.0f}]")
    print(f"whole processes: {summary['speedup_of_process_walls']:.1f}× (ratio of wall totals); "
          f"metrics inside the reference's spread: {summary['all_metrics_inside_spread']}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=4, help="processes of each implementation (even: balanced ABBA)")
    parser.add_argument("--out", type=Path, default=None, help="also write the results as JSON here")
    parser.add_argument("--process", choices=IMPLEMENTATIONS, help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.process:
        print(json.dumps(one_process(args.process, args.seed)))
        return 0

    processes = {name: [] for name in IMPLEMENTATIONS}
    orders = [abba_order(repeat) for repeat in range(args.repeats)]
    for repeat, order in enumerate(orders):
        for name in order:
            result = run_process(name, seed=repeat)
            processes[name].append(result)
            print(f"repeat {repeat} {name}: wall {result['wall_seconds']:.1f} s, peak RSS {result['peak_rss_mib']:.0f} MiB, "
                  f"trials {', '.join(format(trial['seconds'], '.1f') for trial in result['trials'])} s",
                  file=sys.stderr, flush=True)
    summary = summarize(processes, orders)
    summary["runs"] = processes
    print_summary(summary)
    if args.out:
        from benchmarks.machine import write_result

        write_result(args.out, summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
