"""Does the joint model pay when ratings are sparse? The tutorial's closing claim, measured.

The tutorial ends on a claim it does not test: multi-task learning pays when knowledge moves
from a data-rich task (here retrieval: every training row is an interaction) to a closely
related data-sparse one (the rating, kept by only some rows: `[data] rating_fraction`,
sweep.data.rated). For each fraction's study (studies/sparse-<f>.toml: the tutorial's settings
and split, its three pairs and a TPE sweep over the weights, three seeds a pair), under the
measurement protocol (benchmarks/protocol.py):

- Selection, on the study's own seeds (the selection seeds), by two stated rules: the best joint
  pair is the COMPLETE trial of lowest mean RMSE among those with both weights above 0 (the
  tutorial's (1, 1) among them); the best joint pair keeping retrieval is the one of lowest mean
  RMSE among those whose mean top-100 accuracy is at most the top-100 margin (0.01, the
  tutorial's "close") below the study's retrieval-only: a model that still serves both tasks.
  A ratings-only model is tuned the same way: Adagrad is not scale-free, so a rating weight acts
  like a learning rate (studies/README.md), and the sweep's best joint pair may win by its
  rating weight alone. Ratings-only (w, 0) is trained for w on a log grid from 0.1 to 1e4 on the
  seeds of the study's ratings-only trial (selection seeds too); the best ratings-only is the w
  of lowest mean RMSE.
- Report, on report seeds disjoint from every seed the studies trained: retrain, at that fraction,
  both chosen pairs (w_r, w_t); ratings-only (1, 0), the tutorial's specialist; the best
  ratings-only; ratings-only at each chosen pair's rating weight (w_r, 0), the control that
  isolates the retrieval task at that rating weight; and the tutorial's joint (1, 1).
  Retrieval-only (0, 1) is trained once: at every fraction it trains the same model (its rating
  loss is never computed, every row is still an interaction; tests/test_trial.py holds it), and
  its top-100 accuracy is what a joint model gives up.
- Per fraction and report seed (paired: a seed gives every model the same initial embeddings
  and batches): each chosen pair's RMSE gain over ratings-only (1, 0), over the best ratings-only
  (is the second task worth its weight against a specialist tuned as well?) and over its control, the
  tutorial's (1, 1)'s gain over ratings-only, and each chosen pair's top-100 cost against
  retrieval-only; each as its median and 95 % bootstrap interval over the report seeds. A gain
  is "reached" when its whole interval is at least the margin (the `[baselines]` margin_rmse,
  0.02: the tutorial's own "close"), "not reached" when its whole interval is below it,
  "undetermined" otherwise.

Two worker processes (TensorFlow at one thread each) share the trainings; a training depends
only on its fraction, pair and seed. No timing is measured: the trainings' seconds are recorded
as the trainer reports them, on a shared machine.

    scripts/sparse-ratings [--report-seeds 10] [--storage sqlite:///studies/sparse.db]
        [--out benchmarks/results/sparse-ratings.json] [--plot benchmarks/results/sparse-ratings.png]
    scripts/sparse-ratings --reuse benchmarks/results/sparse-ratings.json ...   # train only runs it lacks
    scripts/sparse-ratings --replot benchmarks/results/sparse-ratings.json --plot ...   # no training
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import multiprocessing
import sys
import textwrap
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
FRACTIONS = ("1.0", "0.2", "0.05", "0.01")
RETRIEVAL_ONLY = (0.0, 1.0)
RATINGS_ONLY = (1.0, 0.0)
TUTORIAL_JOINT = (1.0, 1.0)
RATING_WEIGHT_GRID = (0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0, 3000.0, 10000.0)  # the sweep's range


def study_file(fraction: str) -> Path:
    return ROOT / "studies" / f"sparse-{fraction}.toml"


# --- selection, on the studies' own seeds ------------------------------------------------------------


def stored_trials(storage: str, name: str) -> list[dict]:
    """Every COMPLETE fixed-pair trial of a study: its weights, mean metrics and seeds."""
    import optuna

    from sweep.record import PAIR, TrialRecord

    study = optuna.load_study(study_name=name, storage=storage)
    rows = []
    for trial in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)):
        record = TrialRecord.from_attrs(trial.user_attrs)
        if record.kind == PAIR:
            rows.append({"number": trial.number, "rating_weight": record.rating_weight,
                         "retrieval_weight": record.retrieval_weight, "seeds": list(record.seeds),
                         "rmse": record.summary.metrics["rmse"],
                         "top_100_accuracy": record.summary.metrics["top_100_accuracy"],
                         "tutorial_pair": record.tutorial_pair})
    return rows


def best_joint(trials: list[dict]) -> dict:
    """The first selection rule: the trial of lowest mean RMSE among those with both weights above 0."""
    joint = [trial for trial in trials if trial["rating_weight"] > 0 and trial["retrieval_weight"] > 0]
    if not joint:
        raise SystemExit("no COMPLETE trial with both weights above 0: run the studies first")
    return min(joint, key=lambda trial: (trial["rmse"], trial["number"]))


def best_joint_keeping_retrieval(trials: list[dict], margin: float) -> dict | None:
    """The second rule: the best joint pair among those whose mean top-100 accuracy is at most `margin`
    below the study's retrieval-only (0, 1); None when none is."""
    retrieval = next(trial for trial in trials if (trial["rating_weight"], trial["retrieval_weight"]) == RETRIEVAL_ONLY)
    keeping = [trial for trial in trials if trial["top_100_accuracy"] >= retrieval["top_100_accuracy"] - margin]
    if not any(trial["rating_weight"] > 0 and trial["retrieval_weight"] > 0 for trial in keeping):
        return None
    return best_joint(keeping)


def best_rating_weight(runs: list[dict], fraction: str) -> tuple[float, dict]:
    """The ratings-only weight of lowest mean RMSE over the tuning runs at one fraction, and every weight's mean."""
    means = {}
    for run in runs:
        if run["fraction"] == fraction and run["pair"][1] == 0.0:
            means.setdefault(run["pair"][0], []).append(run["metrics"]["rmse"])
    means = {weight: float(np.mean(values)) for weight, values in sorted(means.items())}
    return min(means, key=lambda weight: (means[weight], weight)), means


def log_ratio(pair) -> float:
    """log10(retrieval_weight / rating_weight): where a pair sits between the two tasks."""
    return math.log10(pair[1] / pair[0])


# --- the report seeds' trainings, in two worker processes -------------------------------------------


@functools.lru_cache(maxsize=4)
def _setting(fraction: str):
    """A fraction's study spec and prepared split, once per worker process."""
    from sweep.config import load_study_file
    from sweep.config import run as run_config
    from sweep.data.prepared import load_prepared

    spec = load_study_file(study_file(fraction))
    return spec, load_prepared(spec.data, run_config.data_dir())


def single_threaded() -> None:
    """A worker process's TensorFlow at one thread (two such workers share two cores)."""
    import sweep

    tf = sweep.import_tensorflow()
    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)


def train_job(job: tuple) -> dict:
    """One training: (fraction, rating weight, retrieval weight, seed) -> its metrics. In a worker process."""
    from sweep.trial import train_and_evaluate

    fraction, rating_weight, retrieval_weight, seed = job
    spec, prepared = _setting(fraction)
    result = train_and_evaluate(rating_weight, retrieval_weight, seed, spec.model, spec.train, prepared)
    return {"fraction": fraction, "pair": [rating_weight, retrieval_weight], "seed": seed, "metrics": result.metrics,
            "train_seconds": result.seconds.train}


def run_jobs(jobs: list[tuple], workers: int, done: list[dict] = ()) -> list[dict]:
    """The runs of `jobs`: those in `done` (an earlier run of the same job) as they are, the rest trained."""
    known = {(run["fraction"], *run["pair"], run["seed"]): run for run in done}
    todo = [job for job in dict.fromkeys(jobs) if job not in known]
    print(f"{len(todo)} trainings ({len(set(jobs)) - len(todo)} reused)", file=sys.stderr, flush=True)
    trained = {(run["fraction"], *run["pair"], run["seed"]): run for run in _train(todo, workers)} if todo else {}
    return [known.get(job) or trained[job] for job in dict.fromkeys(jobs)]


def _train(jobs: list[tuple], workers: int) -> list[dict]:
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=single_threaded) as pool:
        results = []
        for done in pool.map(train_job, jobs):
            results.append(done)
            print(f"  {done['fraction']:>4} {tuple(done['pair'])} seed {done['seed']}: RMSE "
                  f"{done['metrics']['rmse']:.4f}, top-100 {done['metrics']['top_100_accuracy']:.4f}",
                  file=sys.stderr, flush=True)
    return results


# --- the analysis: pure arithmetic on the recorded runs ----------------------------------------------


def runs_of(results: list[dict], fraction: str, pair) -> dict[int, dict]:
    """seed -> metrics (and training seconds) of one pair's report runs at one fraction."""
    pair = [float(pair[0]), float(pair[1])]
    return {run["seed"]: {**run["metrics"], "train_seconds": run["train_seconds"]} for run in results
            if run["fraction"] == fraction and run["pair"] == pair}


def paired(first: dict[int, dict], second: dict[int, dict], metric: str, seeds) -> list[float]:
    """first − second, seed by seed over the report seeds."""
    return [first[seed][metric] - second[seed][metric] for seed in seeds]


def gain(values: list[float], margin: float) -> dict:
    """A gain's median and interval over the report seeds, and its verdict against the margin."""
    from benchmarks.protocol import median_interval, verdict

    interval = median_interval(values)
    return {**interval.record(), "goal": margin, "verdict": verdict(interval, margin)}


CHOSEN = ("best_joint", "best_joint_keeping_retrieval")  # the two selection rules' pairs


def analyse(document: dict) -> dict:
    """Per fraction: the gains, the top-100 costs and their verdicts, from the recorded runs."""
    from benchmarks.protocol import median_interval

    seeds, margin, results = document["report_seeds"], document["margin_rmse"], document["runs"]
    retrieval = runs_of(results, "1.0", RETRIEVAL_ONLY)
    analysis = {"retrieval_only_top_100": median_interval([retrieval[seed]["top_100_accuracy"] for seed in seeds]).record()}
    for fraction, entry in document["fractions"].items():
        ratings_only, tutorial = runs_of(results, fraction, RATINGS_ONLY), runs_of(results, fraction, TUTORIAL_JOINT)
        tuned = runs_of(results, fraction, (entry["best_ratings_only"]["rating_weight"], 0.0))
        result = {"ratings_only": medians(ratings_only, seeds), "tutorial_joint": medians(tutorial, seeds),
                  "best_ratings_only": medians(tuned, seeds),
                  "tutorial_joint_rmse_gain": gain(paired(ratings_only, tutorial, "rmse", seeds), margin)}
        for name in CHOSEN:
            if entry.get(name) is None:
                result[name] = None
                continue
            pair = tuple(entry[name]["pair"])
            runs, control = runs_of(results, fraction, pair), runs_of(results, fraction, (pair[0], 0.0))
            result[name] = {
                "medians": medians(runs, seeds), "control_medians": medians(control, seeds),
                "rmse_gain": gain(paired(ratings_only, runs, "rmse", seeds), margin),
                "rmse_gain_over_best_ratings_only": gain(paired(tuned, runs, "rmse", seeds), margin),
                "rmse_gain_over_control": gain(paired(control, runs, "rmse", seeds), margin),
                "top_100_cost": median_interval(paired(retrieval, runs, "top_100_accuracy", seeds)).record(),
            }
        analysis[fraction] = result
    return analysis


def medians(runs: dict[int, dict], seeds) -> dict:
    """A model's median RMSE, top-100 accuracy and training seconds (as the trainer reports them) over the seeds."""
    return {metric: float(np.median([runs[seed][metric] for seed in seeds]))
            for metric in ("rmse", "top_100_accuracy", "train_seconds")}


def headline(document: dict) -> str:
    """The figure's message: where the best joint pair beats ratings-only (1, 0), and the best ratings-only,
    by more than the margin."""
    from benchmarks.protocol import REACHED

    def reached(key: str) -> list[str]:
        return [fraction for fraction in document["fractions"]
                if document["analysis"][fraction]["best_joint"][key]["verdict"] == REACHED]

    def where(fractions: list[str]) -> str:
        if len(fractions) == len(document["fractions"]):
            return "every fraction"
        return f"fraction{'s' if len(fractions) > 1 else ''} {', '.join(fractions)}" if fractions else "no fraction"

    over_tutorial, over_tuned = reached("rmse_gain"), reached("rmse_gain_over_best_ratings_only")
    first = (f"The best joint pair beats ratings-only (1, 0) by more than {document['margin_rmse']:g} RMSE at "
             f"{where(over_tutorial)}")
    if over_tuned == over_tutorial:
        return f"{first}, and the best ratings-only at {where(over_tuned)}"
    if not over_tuned:
        return f"{first}, but the best ratings-only at no fraction"
    return f"{first}, but the best ratings-only only at {where(over_tuned)}"


def plot(document: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fractions = list(document["fractions"])
    x = np.array([float(fraction) for fraction in fractions])
    series = ((("best_joint", "rmse_gain"), "best joint pair − ratings-only (1, 0)", "o", 1.0),
              (("best_joint", "rmse_gain_over_best_ratings_only"), "best joint pair − the best ratings-only", "s", 1.1),
              (("best_joint_keeping_retrieval", "rmse_gain_over_best_ratings_only"),
               "best joint pair keeping retrieval − the best ratings-only", "D", 0.91),
              (("tutorial_joint_rmse_gain",), "the tutorial's joint (1, 1) − ratings-only (1, 0)", "^", 0.83))
    figure, axis = plt.subplots(figsize=(10, 7), constrained_layout=True)
    for keys, label, marker, shift in series:
        gains = [functools.reduce(lambda item, key: item[key], keys, document["analysis"][fraction])
                 for fraction in fractions]
        median = np.array([item["median"] for item in gains])
        low = np.array([item["interval"][0] for item in gains])
        high = np.array([item["interval"][1] for item in gains])
        axis.errorbar(x * shift, median, yerr=[median - low, high - median], marker=marker, capsize=4, linewidth=1.2,
                      markersize=7, label=label)
    margin = document["margin_rmse"]  # named in the legend: a word on the line would sit on the series crossing it
    axis.axhline(margin, color="0.35", linestyle="--", linewidth=1,
                 label=f"margin +{margin:g}: a gain is reached when its whole interval lies above")
    axis.axhline(0, color="0.6", linewidth=0.8, label="no gain")
    axis.set_xscale("log")
    axis.set_xticks(x, [f"{value:g}\n({document['fractions'][fraction]['rated_rows']:,} ratings)"
                        for value, fraction in zip(x, fractions, strict=True)])
    axis.minorticks_off()
    axis.set_xlim(x.min() * 0.7, x.max() * 1.4)
    axis.set_xlabel("rating fraction: the share of training rows that keep their rating (log scale)", fontsize=11)
    axis.set_ylabel("RMSE gain: specialist − joint (higher: joint better)", fontsize=11)
    axis.tick_params(labelsize=10)
    axis.grid(alpha=0.3)
    handles, labels = axis.get_legend_handles_labels()
    order = sorted(range(len(labels)), key=lambda index: labels[index].startswith(("margin", "no gain")))  # series first
    axis.legend([handles[index] for index in order], [labels[index] for index in order], fontsize=10,
                loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, frameon=False)  # below: off the bars
    seeds = len(document["report_seeds"])
    axis.set_title("\n".join(textwrap.wrap(headline(document), 95))
                   + f"\n(medians and 95 % bootstrap intervals over {seeds} report seeds)", fontsize=11)
    figure.savefig(path, dpi=110)


# --- the whole measurement ---------------------------------------------------------------------------


def measure(storage: str, report_seeds: int, workers: int, earlier: dict | None = None) -> dict:
    import optuna

    from benchmarks.protocol import Seeds
    from sweep.config import load_study_file
    from sweep.pareto import study_knee

    fractions, selection_seeds = {}, set()
    for fraction in FRACTIONS:
        spec = load_study_file(study_file(fraction))
        trials = stored_trials(storage, spec.study.name)
        chosen = {"best_joint": best_joint(trials),
                  "best_joint_keeping_retrieval": best_joint_keeping_retrieval(trials, spec.margins.top_100_accuracy)}
        knee = study_knee(optuna.load_study(study_name=spec.study.name, storage=storage))
        knee_trial = next(trial for trial in trials if trial["number"] == knee)
        selection_seeds |= {seed for trial in trials for seed in trial["seeds"]}
        _, prepared = _setting(fraction)
        fractions[fraction] = {
            "study": spec.study.name, "rating_fraction": spec.data.rating_fraction,
            "rated_rows": int(np.isfinite(prepared.train["user_rating"]).sum()),
            "training_rows": len(prepared.train["user_rating"]),
            **{name: None if best is None else
               {"trial": best["number"], "pair": [best["rating_weight"], best["retrieval_weight"]],
                "log10_ratio": log_ratio((best["rating_weight"], best["retrieval_weight"])),
                "selection": {key: best[key] for key in ("rmse", "top_100_accuracy", "seeds")}}
               for name, best in chosen.items()},
            "knee": {"trial": knee, "pair": [knee_trial["rating_weight"], knee_trial["retrieval_weight"]],
                     "log10_ratio": log_ratio((knee_trial["rating_weight"], knee_trial["retrieval_weight"]))},
            "trials": trials,
        }
    seeds = Seeds(tuple(sorted(selection_seeds)), tuple(range(report_seeds)))
    done = (earlier or {}).get("tuning_runs", []) + (earlier or {}).get("runs", [])
    tuning = []  # ratings-only over the rating-weight grid, on the seeds of each study's ratings-only trial
    for fraction, entry in fractions.items():
        ratings_only = next(trial for trial in entry["trials"] if trial["tutorial_pair"] == "ratings-only")
        tuning += [(fraction, weight, 0.0, seed) for weight in RATING_WEIGHT_GRID for seed in ratings_only["seeds"]]
    print(f"tuning ratings-only: {len(tuning)} trainings on selection seeds", file=sys.stderr, flush=True)
    tuning_runs = run_jobs(tuning, workers, done)
    for fraction, entry in fractions.items():
        weight, means = best_rating_weight(tuning_runs, fraction)
        entry["best_ratings_only"] = {"rating_weight": weight, "grid_mean_rmse": {f"{w:g}": m for w, m in means.items()}}
    jobs = [("1.0", *RETRIEVAL_ONLY, seed) for seed in seeds.report]
    for fraction, entry in fractions.items():
        chosen = [tuple(entry[name]["pair"]) for name in CHOSEN if entry[name] is not None]
        pairs = [*chosen, RATINGS_ONLY, (entry["best_ratings_only"]["rating_weight"], 0.0),
                 *((pair[0], 0.0) for pair in chosen), TUTORIAL_JOINT]
        for pair in dict.fromkeys(pairs):
            jobs += [(fraction, float(pair[0]), float(pair[1]), seed) for seed in seeds.report]
    print(f"report seeds {list(seeds.report)}", file=sys.stderr, flush=True)
    margins = load_study_file(study_file("1.0")).margins
    document = {**seeds.record(), "fractions": fractions, "margin_rmse": margins.rmse,
                "margin_top_100": margins.top_100_accuracy, "rating_weight_grid": list(RATING_WEIGHT_GRID),
                "tuning_runs": tuning_runs,
                "selection_rules": {
                    "best_joint": "lowest mean RMSE over the study's seeds among COMPLETE trials with both weights > 0",
                    "best_joint_keeping_retrieval": "the same among those whose mean top-100 accuracy is at most the "
                                                    "top-100 margin below the study's retrieval-only",
                    "best_ratings_only": "ratings-only (w, 0) of lowest mean RMSE over the rating-weight grid, on the "
                                         "seeds of the study's ratings-only trial"},
                "runs": run_jobs(jobs, workers, done)}
    document["analysis"] = analyse(document)
    document["headline"] = headline(document)
    return document


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--storage", default=f"sqlite:///{ROOT / 'studies' / 'sparse.db'}",
                        help="where the studies of studies/sparse-*.toml are stored")
    parser.add_argument("--report-seeds", type=int, default=10, help="report seeds 0, 1, … (at least 5)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=None, help="write the results as JSON here")
    parser.add_argument("--plot", type=Path, default=None, help="draw the gains against the fraction here (PNG)")
    parser.add_argument("--reuse", type=Path, default=None,
                        help="take the runs this earlier result file holds instead of training them again "
                             "(a run depends only on its fraction, pair and seed)")
    parser.add_argument("--replot", type=Path, default=None,
                        help="analyse and draw again from this result file's runs; no training (with --out, "
                             "rewrite it there with the analysis renewed)")
    args = parser.parse_args(argv)
    if args.replot:
        document = json.loads(args.replot.read_text())
        document["analysis"], document["headline"] = analyse(document), None
        document["headline"] = headline(document)
        if args.out:
            args.out.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
    else:
        earlier = json.loads(args.reuse.read_text()) if args.reuse else None
        document = measure(args.storage, args.report_seeds, args.workers, earlier)
    for fraction in document["fractions"]:
        for name in CHOSEN:
            result = document["analysis"][fraction][name]
            if result is None:
                print(f"{fraction:>4} {name}: none", file=sys.stderr)
                continue
            print(f"{fraction:>4} {name} {document['fractions'][fraction][name]['pair']}: gain "
                  f"{result['rmse_gain']['median']:+.4f} {result['rmse_gain']['interval']} {result['rmse_gain']['verdict']}; "
                  f"over the best ratings-only {result['rmse_gain_over_best_ratings_only']['median']:+.4f} "
                  f"{result['rmse_gain_over_best_ratings_only']['interval']} "
                  f"{result['rmse_gain_over_best_ratings_only']['verdict']}; "
                  f"over its control {result['rmse_gain_over_control']['median']:+.4f} "
                  f"{result['rmse_gain_over_control']['verdict']}; top-100 cost {result['top_100_cost']['median']:+.4f}",
                  file=sys.stderr)
    print(document["headline"], file=sys.stderr)
    if args.plot:
        plot(document, args.plot)
    if args.out and not args.replot:
        from benchmarks.machine import write_result

        write_result(args.out, document)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
