"""Which sampler finds the front: hypervolume against trials for each sampler, several study seeds.

Each run is one study of `--trials` trials over the demo's search (studies/demo.toml:
rating weight 0.1–1e4, retrieval weight 1e-3–1, log scale; the tutorial's training
settings, one training seed per trial, on the tutorial's split), driven by the product's
own sampler construction and suggestion (sweep.per_pair.make_sampler, sweep.per_pair.suggest),
without the enqueued tutorial pairs, so every trial is the sampler's choice. After each
trial the hypervolume of the trials so far is measured from the trivial baselines
(chance top-100, global-mean RMSE) and divided by the hypervolume of the best front
known: every trial of every run pooled. Reported per sampler: median and quartiles of
that share against trials, and the trials each run needed to reach 90 % and 98 % of it
(median over study seeds; a run that never reached it counts as more than the budget).

Two worker processes share the runs (TensorFlow at one thread each, so they do not
contend); a run's trials do not depend on which worker runs it. `gp` runs only where
PyTorch is installed. NSGA-II's first generation is random draws (the random sampler's,
seed for seed), so its population is a quarter of the budget (sweep.per_pair.nsga2_population):
a population as large as the study would make it random search.

    scripts/bench-samplers [--samplers tpe nsga2 random gp] [--seeds 15] [--selection-seeds 5] [--trials 40]
        [--out benchmarks/results/samplers.json] [--plot benchmarks/results/samplers.png]
        [--reuse benchmarks/results/samplers.json]   # rerun only the samplers named, keep the others' runs
        [--extend benchmarks/results/samplers.json]  # keep its runs, add only the study seeds it lacks
    scripts/bench-samplers --replot benchmarks/results/samplers.json --plot benchmarks/results/samplers.png   # no training
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
STUDY_FILE = ROOT / "studies" / "demo.toml"
TARGETS = (0.90, 0.98)


def run_one(sampler: str, study_seed: int, n_trials: int) -> dict:
    """One study: the (top-100, RMSE) of every trial, in order. Runs in a worker process."""
    import optuna

    import sweep

    tf = sweep.import_tensorflow()
    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    from sweep.config import load_study_file
    from sweep.config import run as run_config
    from sweep.data.prepared import load_prepared
    from sweep.per_pair import make_sampler, suggest
    from sweep.study import trial_seeds
    from sweep.trial import train_and_evaluate

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    spec = load_study_file(STUDY_FILE)
    spec = replace(spec, study=replace(spec.study, sampler=sampler, seed=study_seed, n_trials=n_trials))
    prepared = load_prepared(spec.data, run_config.data_dir())
    study = optuna.create_study(directions=["maximize", "minimize"], sampler=make_sampler(spec))
    trials = []
    for _ in range(n_trials):
        trial = study.ask()
        (rating_weight, retrieval_weight), model_config, train_config = suggest(trial, spec)
        seed = trial_seeds(study_seed, trial.number, 1)[0]
        result = train_and_evaluate(rating_weight, retrieval_weight, seed, model_config, train_config, prepared)
        values = (result.metrics["top_100_accuracy"], result.metrics["rmse"])
        study.tell(trial, values)
        trials.append({"rating_weight": rating_weight, "retrieval_weight": retrieval_weight,
                       "top_100_accuracy": values[0], "rmse": values[1]})
    return {"sampler": sampler, "study_seed": study_seed, "trials": trials}


def worker(jobs: list[tuple[str, int]], n_trials: int) -> None:
    for sampler, seed in jobs:
        started = time.perf_counter()
        result = run_one(sampler, seed, n_trials)
        print(json.dumps(result), flush=True)
        print(f"{sampler} seed {seed}: {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)


def trivial_reference() -> dict:
    """Chance top-100 and global-mean RMSE on the demo's split."""
    from sweep.baselines import context_baselines
    from sweep.config import load_study_file
    from sweep.config import run as run_config
    from sweep.data.prepared import load_prepared
    from sweep.report.hypervolume import reference_point

    spec = load_study_file(STUDY_FILE)
    return reference_point(context_baselines(load_prepared(spec.data, run_config.data_dir()), spec.train.candidates))


def analyse(runs: list[dict], reference: dict, n_trials: int, selection_seeds: int = 0) -> dict:
    """Shares of the best front known (every run's trials pooled, a fixed yardstick), read on the
    report seeds only: study seeds below `selection_seeds` chose the product's default sampler in an
    earlier run of this benchmark, so they measure nothing here (benchmarks/protocol.py)."""
    from sweep.report.hypervolume import hypervolume

    pooled = [(t["top_100_accuracy"], t["rmse"]) for run in runs for t in run["trials"]]
    best = hypervolume(pooled, reference)
    by_sampler: dict[str, dict] = {}
    for run in runs:
        if run["study_seed"] < selection_seeds:
            continue
        points = [(t["top_100_accuracy"], t["rmse"]) for t in run["trials"]]
        curve = [hypervolume(points[: n + 1], reference) / best for n in range(len(points))]
        reached = {f"{target:.2f}": next((n + 1 for n, share in enumerate(curve) if share >= target), None)
                   for target in TARGETS}
        entry = by_sampler.setdefault(run["sampler"], {"runs": []})
        entry["runs"].append({"study_seed": run["study_seed"], "share_curve": curve, "trials_to_reach": reached})
    for entry in by_sampler.values():
        curves = np.array([run["share_curve"] for run in entry["runs"]])
        entry["share_quartiles"] = {name: np.quantile(curves, q, axis=0).tolist()
                                    for name, q in (("q25", 0.25), ("median", 0.5), ("q75", 0.75))}
        entry["final_share_median"] = float(np.median(curves[:, -1]))
        entry["trials_to_reach_median"] = {}
        for target in TARGETS:
            key = f"{target:.2f}"
            # a run that never got there counts as beyond the budget (infinite), so the median stays honest
            needed = [run["trials_to_reach"][key] or np.inf for run in entry["runs"]]
            median = float(np.median(needed))
            entry["trials_to_reach_median"][key] = None if not np.isfinite(median) else median
            entry.setdefault("runs_reaching", {})[key] = int(sum(np.isfinite(needed)))
    sequences = {}
    for run in runs:
        sequences.setdefault(run["sampler"], {})[run["study_seed"]] = run["trials"]
    for sampler, entry in by_sampler.items():  # e.g. NSGA-II's first generation is the random sampler's draws
        entry["identical_to"] = [other for other in by_sampler if other != sampler
                                 and sequences[other] == sequences[sampler]]
    seeds = sorted({run["study_seed"] for run in runs})
    return {"reference": reference, "best_known_hypervolume": best, "trials_pooled": len(pooled),
            "trials_per_run": n_trials, "samplers": by_sampler, "paired": paired(by_sampler, n_trials),
            "selection_seeds": [seed for seed in seeds if seed < selection_seeds],
            "report_seeds": [seed for seed in seeds if seed >= selection_seeds]}


def paired(by_sampler: dict, n_trials: int) -> list[dict]:
    """Every two samplers compared study seed by study seed (the seeds both ran): the difference of
    their shares after half the budget and after all of it, its median with a 95 % bootstrap interval
    over seeds (benchmarks/protocol.py) and the Wilcoxon signed-rank p-value; "not distinguishable"
    unless the interval excludes 0."""
    from scipy import stats

    from benchmarks import protocol

    names = sorted(by_sampler)
    comparisons = []
    for index, first in enumerate(names):
        for second in names[index + 1:]:
            curves = [{run["study_seed"]: run["share_curve"] for run in by_sampler[name]["runs"]} for name in (first, second)]
            seeds = sorted(set(curves[0]) & set(curves[1]))
            for at in sorted({max(1, n_trials // 2), n_trials}):
                differences = [curves[0][seed][at - 1] - curves[1][seed][at - 1] for seed in seeds]
                interval = protocol.median_interval(differences)
                nonzero = [d for d in differences if d != 0]
                p_value = float(stats.wilcoxon(nonzero).pvalue) if len(nonzero) >= 2 else None
                if interval.low is None or interval.low <= 0 <= interval.high:
                    reading = "not distinguishable"
                else:
                    reading = f"{first} ahead" if interval.low > 0 else f"{second} ahead"
                comparisons.append({"first": first, "second": second, "after_trials": at, "study_seeds": seeds,
                                    "difference": interval.record(), "wilcoxon_p": p_value, "reading": reading})
    return comparisons


def winner(analysis: dict, target: str = "0.98") -> str:
    """The sampler that reaches the target share in the fewest trials (median), ties by final share."""
    def key(name):
        entry = analysis["samplers"][name]
        needed = entry["trials_to_reach_median"][target]
        return (needed if needed is not None else np.inf, -entry["final_share_median"])

    return min(analysis["samplers"], key=key)


def separated(paired_items: list[dict]) -> list[tuple[str, str, int]]:
    """The paired comparisons whose interval clears 0: (the sampler ahead, the one behind, after how many trials)."""
    return [(item["reading"].removesuffix(" ahead"),
             item["second"] if item["reading"] == f"{item['first']} ahead" else item["first"], item["after_trials"])
            for item in paired_items if item["reading"] != "not distinguishable"]


def headline(analysis: dict) -> str:
    """The figure's message, from the analysis: which samplers reach the targets, and which ends highest."""
    budget = analysis["trials_per_run"]
    finals = {name: entry["final_share_median"] for name, entry in analysis["samplers"].items()}
    best = max(finals, key=finals.get)
    reaching = [name for name, entry in analysis["samplers"].items()
                if entry["trials_to_reach_median"][f"{min(TARGETS):.2f}"] is not None]
    reach = (f"No sampler's median run reaches {min(TARGETS):.0%} of the best front known in {budget} trials"
             if not reaching else f"{', '.join(reaching)} reach{'es' if len(reaching) == 1 else ''} "
                                  f"{min(TARGETS):.0%} of the best front known (median run)")
    paired_items = analysis.get("paired", [])
    apart = [f"{ahead} ahead of {behind} after {trials} trials" for ahead, behind, trials in separated(paired_items)]
    tie = ("" if not paired_items else " — paired by study seed, no two samplers are distinguishable" if not apart
           else f" — paired by study seed, {'; '.join(apart)}; no other pair distinguishable")
    return f"{reach}; {best} ends highest (median {finals[best]:.1%} after {budget} trials){tie}"


def plot(analysis: dict, path: Path) -> None:
    """Best-so-far share against trials as steps (it only rises when a trial adds to the front); series
    drawn widest first, so one that runs under another shows as a coloured edge beside it."""
    import textwrap

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(8, 5.6), constrained_layout=True)
    entries = list(analysis["samplers"].items())
    for order, (name, entry) in enumerate(entries):
        quartiles = entry["share_quartiles"]
        trials = np.arange(1, len(quartiles["median"]) + 1)
        same = f", the same trials as {', '.join(entry['identical_to'])}" if entry["identical_to"] else ""
        line, = axis.plot(trials, np.array(quartiles["median"]) * 100, drawstyle="steps-post",
                          linewidth=1.4 + 1.6 * (len(entries) - 1 - order), zorder=2 + order,
                          label=f"{name} (median of {len(entry['runs'])} seeds{same})")
        axis.fill_between(trials, np.array(quartiles["q25"]) * 100, np.array(quartiles["q75"]) * 100, step="post",
                          color=line.get_color(), alpha=0.12, linewidth=0)
    for target, style in zip(TARGETS, (":", "--"), strict=True):
        axis.axhline(target * 100, color="0.45", linestyle=style, linewidth=0.9,
                     label=f"{target:.0%} of the best front known")
    axis.set_xlabel("trials", fontsize=10)
    axis.set_ylabel("hypervolume of the trials so far, % of the best front known", fontsize=10)
    axis.set_ylim(max(0, axis.get_ylim()[0]), 102)
    axis.set_xlim(1, analysis["trials_per_run"])
    axis.tick_params(labelsize=9)
    axis.grid(alpha=0.3)
    axis.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2, fontsize=9, frameon=False)
    axis.set_title(textwrap.fill(headline(analysis), 80)
                   + "\n(steps: best so far; line: median, shaded: quartiles over study seeds)", fontsize=10)
    figure.savefig(path, dpi=110)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samplers", nargs="+", default=["tpe", "nsga2", "random", "gp"])
    parser.add_argument("--seeds", type=int, default=15, help="study seeds per sampler (0, 1, …)")
    parser.add_argument("--trials", type=int, default=40, help="trials per study")
    parser.add_argument("--selection-seeds", type=int, default=5,
                        help="study seeds 0 … K-1 chose the default sampler: run, pooled into the best front "
                             "known, but not reported (0: report every seed)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=None, help="also write the results as JSON here")
    parser.add_argument("--plot", type=Path, default=None, help="draw the curves here (PNG)")
    parser.add_argument("--extend", type=Path, default=None,
                        help="keep every run of this earlier result file and run only the (sampler, seed) it lacks")
    parser.add_argument("--reuse", type=Path, default=None,
                        help="take the runs of samplers not in --samplers from this earlier result file "
                             "(a run depends only on its sampler and seed, not on when it ran)")
    parser.add_argument("--replot", type=Path, default=None,
                        help="draw --plot again from this result file's analysis; no training")
    parser.add_argument("--worker-jobs", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.replot:
        if not args.plot:
            parser.error("--replot needs --plot")
        plot(json.loads(args.replot.read_text()), args.plot)
        return 0
    if args.worker_jobs:
        worker([(job.split(":")[0], int(job.split(":")[1])) for job in args.worker_jobs.split(",")], args.trials)
        return 0

    skipped = {}
    samplers = []
    for name in args.samplers:
        if name == "gp" and importlib.util.find_spec("torch") is None:
            skipped[name] = "PyTorch is not installed"
            print("gp skipped: PyTorch is not installed", file=sys.stderr)
        else:
            samplers.append(name)
    earlier_runs = json.loads(args.extend.read_text())["runs"] if args.extend else []
    done = {(run["sampler"], run["study_seed"]) for run in earlier_runs}
    jobs = [f"{name}:{seed}" for seed in range(args.seeds) for name in samplers if (name, seed) not in done]
    started = time.perf_counter()
    processes = [subprocess.Popen([sys.executable, "-m", "benchmarks.samplers", "--trials", str(args.trials),
                                   "--worker-jobs", ",".join(jobs[index :: args.workers])],
                                  stdout=subprocess.PIPE, text=True) for index in range(args.workers)
                 if jobs[index :: args.workers]]
    runs = [run for run in earlier_runs if run["sampler"] in samplers and run["study_seed"] < args.seeds]
    for process in processes:
        output, _ = process.communicate()
        if process.returncode:
            raise SystemExit(f"a sampler worker failed (exit {process.returncode})")
        runs += [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    reused = []
    if args.reuse:
        earlier = json.loads(args.reuse.read_text())
        reused = sorted({run["sampler"] for run in earlier["runs"] if run["sampler"] not in samplers})
        runs += [run for run in earlier["runs"] if run["sampler"] in reused]
    if args.selection_seeds >= args.seeds:
        parser.error("--selection-seeds must leave report seeds: fewer than --seeds")
    analysis = analyse(runs, trivial_reference(), args.trials, args.selection_seeds)
    analysis["reused_runs_of"] = reused
    analysis |= {"skipped": skipped, "wall_seconds": time.perf_counter() - started, "study_file": "studies/demo.toml",
                 "fastest_to_98": winner(analysis, "0.98"), "fastest_to_90": winner(analysis, "0.90"), "runs": runs}
    print("| sampler | trials to 90 % (median) | runs reaching 90 % | trials to 98 % (median) | runs reaching 98 % | "
          f"share after {args.trials} (median) |\n|---|---|---|---|---|---|")
    for name, entry in analysis["samplers"].items():
        reach = entry["trials_to_reach_median"]
        print(f"| {name} | {reach['0.90'] or '>' + str(args.trials)} | {entry['runs_reaching']['0.90']}/{len(entry['runs'])} | "
              f"{reach['0.98'] or '>' + str(args.trials)} | {entry['runs_reaching']['0.98']}/{len(entry['runs'])} | "
              f"{entry['final_share_median']:.1%} |")
    print(f"fastest to 98 %: {analysis['fastest_to_98']}; to 90 %: {analysis['fastest_to_90']}")
    for item in analysis["paired"]:
        print(f"{item['first']} − {item['second']} after {item['after_trials']} trials: "
              f"{item['difference']['median']:+.3f} {item['difference']['interval']} p={item['wilcoxon_p']}: {item['reading']}")
    if args.plot:
        plot(analysis, args.plot)
    if args.out:
        from benchmarks.machine import write_result

        write_result(args.out, analysis)
    return 0


if __name__ == "__main__":
    sys.exit(main())
