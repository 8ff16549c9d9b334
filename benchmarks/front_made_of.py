"""What the front is made of — task weights or step sizes — and does any model beat the trivial baselines?

Under the tutorial's Adagrad (initial accumulator 0.1, so not scale-free) a large rating weight
acts like a larger learning rate. The tutorial study's front (benchmarks/results/tutorial-study.csv, the committed run of studies/tutorial.toml: 50 pairs, two
seeds each, Adagrad 0.1) may therefore say as much about step sizes as about how to balance the
tasks. Three studies take it apart, each on seeds of its own, and are read here against that
front under the measurement protocol (benchmarks/protocol.py):

- `select-adam`: Adam's learning rate, chosen on selection seeds. The tutorial study's front pairs
  and its three tutorial pairs are trained under Adam at each candidate rate; the rate whose
  single-seed front holds the most hypervolume from the trivial baselines is chosen. It goes into
  studies/adam.toml, which trains all 50 of the tutorial study's pairs under Adam on other seeds.
- studies/scale-scan.toml (Adagrad): at four fixed ratios spanning the front, the scale over
  four decades. Each ratio's scale line is a front made by scale alone. Its seeds also choose
  the best single scale (`best_scale`): the scale whose four ratios hold the most hypervolume.
- studies/ratio-only.toml (Adagrad): the ratio searched at that one scale, on seeds of its own.
- `analyse`: each candidate front's hypervolume over the tutorial study's, like for like (each
  seed's front against the tutorial study's single-seed fronts), at the three references, as the
  median and 95 % bootstrap interval over the candidate's seeds.
- `confirm-beyond`: studies/beyond.toml searched every setting for models beating the trivial
  baselines (most-popular top-100, user + item bias RMSE). Its best candidates (best mean top-100,
  best mean RMSE, and the one nearest to beating both) are retrained on report seeds the study
  never used; each objective's margin over its baseline gets a median, an interval and a verdict.

Two worker processes (TensorFlow at one thread each) share the trainings; a training depends only
on its settings, pair and seed. No timing is measured.

    scripts/front-made-of select-adam
    scripts/front-made-of analyse
    scripts/front-made-of confirm-beyond
"""

from __future__ import annotations

import argparse
import csv
import functools
import json
import multiprocessing
import statistics
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from benchmarks.sparse_ratings import single_threaded

ROOT = Path(__file__).resolve().parent.parent
RESULT = ROOT / "benchmarks" / "results" / "front-made-of.json"
TUTORIAL_TRIALS = ROOT / "benchmarks" / "results" / "tutorial-study.csv"
TUTORIAL_SUMMARY = ROOT / "reports" / "tutorial" / "summary.json"
ADAM_RATES = (1e-3, 3e-3, 1e-2, 3e-2)
ADAM_SELECTION_SEEDS = (7001, 7002)
BEYOND_REPORT_SEEDS = (9001, 9002, 9003, 9004, 9005)
OBJECTIVES = ("top_100_accuracy", "rmse")
RMSE_PANEL_TOP = 1.2  # the scale panel's RMSE axis ends here; a point beyond is drawn at it with its value
BASELINES = {"top_100_accuracy": ("most_popular_top_100_accuracy", 1), "rmse": ("user_item_bias_rmse", -1)}


def storage_of(name: str) -> str:
    return f"sqlite:///{ROOT / 'studies' / f'{name}.db'}"


# --- the tutorial study's committed trials -------------------------------------------------------


def tutorial_trials(path: Path = TUTORIAL_TRIALS) -> list[dict]:
    """The committed tutorial study's COMPLETE trials: pair, Pareto flag and each seed's metrics."""
    rows = []
    with path.open(newline="") as handle:
        for row in csv.DictReader(handle):
            if row["state"] != "COMPLETE":
                continue
            runs = []
            index = 0
            while f"seed{index}_rmse" in row and row[f"seed{index}_rmse"] != "":
                runs.append([float(row[f"seed{index}_{metric}"]) for metric in OBJECTIVES])
                index += 1
            rows.append({"number": int(row["number"]), "pair": (float(row["rating_weight"]), float(row["retrieval_weight"])),
                         "pareto": row["pareto"] == "True", "tutorial_pair": row["tutorial_pair"],
                         "seeds": [int(seed) for seed in row["seeds"].split()], "runs": runs})
    return rows


def context() -> dict:
    """The trivial baselines on the tutorial's split, as the tutorial study recorded them."""
    return json.loads(TUTORIAL_SUMMARY.read_text())["context_baselines"]


def runs_array(trials: list[dict]) -> np.ndarray:
    """trials × seeds × (top-100, RMSE): every trial's runs, seed by seed (each trial has as many)."""
    counts = {len(trial["runs"]) for trial in trials}
    if len(counts) != 1:
        raise SystemExit(f"the trials have different numbers of seeds ({sorted(counts)}): no like-for-like fronts")
    return np.asarray([trial["runs"] for trial in trials], dtype=float)


# --- stored studies ------------------------------------------------------------------------------


def stored_trials(name: str) -> list[dict]:
    """Every COMPLETE fixed-pair trial of a stored study, as tutorial_trials gives them, with its params."""
    import optuna

    from sweep.record import PAIR, TrialRecord

    study = optuna.load_study(study_name=name, storage=storage_of(name))
    rows = []
    for trial in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)):
        record = TrialRecord.from_attrs(trial.user_attrs)
        if record.kind != PAIR:
            continue
        rows.append({"number": trial.number, "pair": (record.rating_weight, record.retrieval_weight),
                     "tutorial_pair": record.tutorial_pair or "", "seeds": list(record.seeds),
                     "runs": [[run.metrics[metric] for metric in OBJECTIVES] for run in record.runs],
                     "params": dict(trial.params)})
    return rows


def failed_count(name: str) -> int:
    import optuna

    study = optuna.load_study(study_name=name, storage=storage_of(name))
    return len(study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.FAIL,)))


# --- trainings, in worker processes --------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _prepared():
    from sweep.config import DataConfig
    from sweep.config import run as run_config
    from sweep.data.prepared import load_prepared

    return load_prepared(DataConfig(), run_config.data_dir())


def train_job(job: tuple) -> dict:
    """One training: (label, rating weight, retrieval weight, seed, model settings, train settings) -> metrics."""
    from sweep.config import ModelConfig, TrainConfig
    from sweep.trial import TrialFailed, train_and_evaluate

    label, rating_weight, retrieval_weight, seed, model, train = job
    try:
        result = train_and_evaluate(rating_weight, retrieval_weight, seed, ModelConfig(**dict(model)),
                                    TrainConfig(**dict(train)), _prepared())
    except TrialFailed as failure:
        return {"label": label, "pair": [rating_weight, retrieval_weight], "seed": seed, "failed": failure.reason}
    return {"label": label, "pair": [rating_weight, retrieval_weight], "seed": seed,
            "metrics": {metric: result.metrics[metric] for metric in OBJECTIVES}}


def train_all(jobs: list[tuple], workers: int) -> list[dict]:
    context_ = multiprocessing.get_context("spawn")
    results = []
    with ProcessPoolExecutor(max_workers=workers, mp_context=context_, initializer=single_threaded) as pool:
        for done in pool.map(train_job, jobs):
            results.append(done)
            shown = done.get("failed") or (f"top-100 {done['metrics']['top_100_accuracy']:.4f}, "
                                           f"RMSE {done['metrics']['rmse']:.4f}")
            print(f"  {done['label']} {tuple(done['pair'])} seed {done['seed']}: {shown}", file=sys.stderr, flush=True)
    return results


# --- the analysis: arithmetic on recorded runs ---------------------------------------------------


def choose_rate(results: list[dict], reference: dict) -> dict:
    """Per learning rate, the mean over selection seeds of its single-seed front's hypervolume; the best rate."""
    from sweep.report.hypervolume import hypervolume

    volumes: dict[float, list[float]] = {}
    for label in dict.fromkeys(result["label"] for result in results):
        rate = float(label.split("=")[1])
        for seed in sorted({result["seed"] for result in results if result["label"] == label}):
            points = [[result["metrics"][metric] for metric in OBJECTIVES] for result in results
                      if result["label"] == label and result["seed"] == seed and "metrics" in result]
            volumes.setdefault(rate, []).append(hypervolume(np.asarray(points).reshape(-1, 2), reference))
    means = {rate: statistics.fmean(values) for rate, values in volumes.items()}
    best = max(means, key=lambda rate: (means[rate], -rate))
    return {"hypervolume_by_rate": {f"{rate:g}": means[rate] for rate in means}, "chosen_learning_rate": best}


def best_scale(trials: list[dict], reference: dict) -> dict:
    """The scale-scan's best single scale: the scale whose ratios' mean-over-seeds front holds the most
    hypervolume from `reference`. Chosen on the scale scan's own seeds (selection for ratio-only)."""
    from sweep.config.coordinates import ratio_and_scale
    from sweep.report.hypervolume import hypervolume

    by_scale: dict[str, list] = {}  # a listed pair's weights are rounded: its scale to 3 digits names its line
    for trial in trials:
        by_scale.setdefault(f"{ratio_and_scale(*trial['pair'])[1]:.3g}", []).append(np.mean(trial["runs"], axis=0))
    volumes = {scale: hypervolume(np.asarray(points), reference)
               for scale, points in sorted(by_scale.items(), key=lambda item: float(item[0]))}
    best = max(volumes, key=lambda scale: (volumes[scale], -float(scale)))
    return {"hypervolume_by_scale": volumes, "best_scale": float(best)}


def scale_lines(trials: list[dict]) -> dict[str, list[dict]]:
    """The scale scan's trials grouped by ratio (each group: one ratio's scale line), keyed by the ratio."""
    from sweep.config.coordinates import ratio_and_scale

    lines: dict[str, list[dict]] = {}
    for trial in trials:
        lines.setdefault(f"{ratio_and_scale(*trial['pair'])[0]:.3g}", []).append(trial)
    return dict(sorted(lines.items(), key=lambda item: float(item[0])))


def points_of(trials: list[dict]) -> list[dict]:
    """Each trial's pair and mean metrics over its seeds: what the figure draws."""
    return [{"number": trial["number"], "pair": list(trial["pair"]),
             **dict(zip(OBJECTIVES, map(float, np.mean(trial["runs"], axis=0))))} for trial in trials]


def plot(analysis: dict, context_: dict, path: Path) -> None:
    """Left: the tutorial study's front against fronts made by scale alone (one per fixed ratio), by
    the ratio alone (scale 10) and under Adam. Right: along each fixed ratio, the metrics against scale."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sweep.config.coordinates import ratio_and_scale
    from sweep.pareto import pareto_front

    def front(points):
        array = np.asarray([[point["top_100_accuracy"], point["rmse"]] for point in points])
        on = array[pareto_front(array, ("maximize", "minimize"))]
        return on[np.argsort(on[:, 1])]

    shown = analysis["points"]
    lines: dict[str, list] = {}
    for point in shown["scale-scan"]:
        ratio, scale = ratio_and_scale(*point["pair"])
        lines.setdefault(f"{ratio:.2g}", []).append(point | {"scale": scale})
    lines = dict(sorted(lines.items(), key=lambda item: float(item[0])))
    colours = dict(zip(lines, plt.cm.viridis(np.linspace(0.05, 0.8, len(lines)))))
    figure = plt.figure(figsize=(12, 5.8), dpi=130)
    grid = figure.add_gridspec(2, 2, width_ratios=(1.6, 1), hspace=0.08, wspace=0.22)
    fronts, top, rmse = figure.add_subplot(grid[:, 0]), figure.add_subplot(grid[0, 1]), figure.add_subplot(grid[1, 1])
    shares = {ratio: analysis["scale_scan"]["lines"][key]["shares"]["trivial"]["share"]["median"]
              for ratio, key in zip(lines, analysis["scale_scan"]["lines"])}
    for ratio, line in lines.items():
        points = front(line)
        fronts.step(points[:, 1], points[:, 0], where="post", color=colours[ratio], linewidth=1.4, marker="o",
                    markersize=3.5, label=f"scale alone at ratio {ratio} ({shares[ratio]:.0%})")
        line.sort(key=lambda point: point["scale"])
        scales = [point["scale"] for point in line]
        top.plot(scales, [point["top_100_accuracy"] for point in line], "-o", color=colours[ratio], markersize=3.5,
                 label=f"ratio {ratio}")
        clipped = [min(point["rmse"], RMSE_PANEL_TOP) for point in line]
        rmse.plot(scales, clipped, "-o", color=colours[ratio], markersize=3.5)
        for point, shown_at in zip(line, clipped):
            if point["rmse"] > RMSE_PANEL_TOP:  # off the panel: drawn at its edge with its value
                rmse.plot(point["scale"], shown_at, "^", color=colours[ratio], markersize=7)
                rmse.annotate(f"{point['rmse']:.2f}", (point["scale"], shown_at), xytext=(6, -4),
                              textcoords="offset points", fontsize=9, color=colours[ratio])
    tutorial = front(shown["tutorial"])
    fronts.step(tutorial[:, 1], tutorial[:, 0], where="post", color="black", linewidth=2.4, zorder=5,
                label="both weights searched: the tutorial study (100%)")
    for name, key, colour, label in (("ratio-only", "ratio_only", "tab:red", "ratio alone at scale 10"),
                                     ("adam", "adam", "tab:blue", "Adam, the tutorial study's 50 pairs")):
        if name in shown:
            share = analysis[key]["shares"]["trivial"]["share"]["median"]
            points = front(shown[name])
            fronts.step(points[:, 1], points[:, 0], where="post", color=colour, linewidth=1.8, linestyle="--",
                        zorder=4, label=f"{label} ({share:.0%})")
    for axis in (fronts,):
        axis.axhline(context_["most_popular_top_100_accuracy"], color="tab:brown", linestyle="-.", linewidth=0.9,
                     label=f"most-popular top-100 {context_['most_popular_top_100_accuracy']:.3f}")
        axis.axvline(context_["user_item_bias_rmse"], color="tab:purple", linestyle="-.", linewidth=0.9,
                     label=f"user + item bias RMSE {context_['user_item_bias_rmse']:.3f}")
    fronts.set_xlim(0.925, 1.16)
    fronts.set_ylim(0.0, 0.34)
    fronts.set_xlabel("RMSE (lower is better)", fontsize=10)
    fronts.set_ylabel("top-100 accuracy (higher is better)", fontsize=10)
    fronts.set_title("Fronts, each seed-mean; in brackets its median share of the\n"
                     "tutorial study's hypervolume (trivial-baseline reference)", fontsize=10)
    fronts.legend(fontsize=8.5, loc="lower right", framealpha=0.95)
    for axis in (top, rmse):
        axis.set_xscale("log")
        axis.grid(alpha=0.3)
        axis.tick_params(labelsize=9)
    top.axhline(context_["chance_top_100_accuracy"], color="grey", linestyle=":", linewidth=0.9)
    top.annotate("chance", (30.0, context_["chance_top_100_accuracy"]), xytext=(0, -11), textcoords="offset points",
                 fontsize=9, color="grey", ha="center")
    top.set_ylabel("top-100 accuracy", fontsize=10)
    top.set_title("Along each fixed ratio (colours as on the left), Adagrad:\nthe metrics move with the scale alone",
                  fontsize=10)
    top.tick_params(labelbottom=False)
    rmse.axhline(context_["global_mean_rmse"], color="grey", linestyle=":", linewidth=0.9)
    rmse.annotate("global mean", (20.0, context_["global_mean_rmse"]), xytext=(0, 3), textcoords="offset points",
                  fontsize=9, color="grey", ha="center")
    rmse.set_ylim(0.94, RMSE_PANEL_TOP + 0.01)
    rmse.set_ylabel("RMSE", fontsize=10)
    rmse.set_xlabel("scale = rating_weight + retrieval_weight", fontsize=10)
    figure.savefig(path, bbox_inches="tight")
    plt.close(figure)


def share(candidate: list[dict], baseline: list[dict], context_: dict) -> dict:
    """The candidate trials' fronts against the baseline's, like for like, at the three references."""
    from benchmarks.protocol import hypervolume_shares, like_for_like

    return hypervolume_shares(like_for_like(runs_array(candidate), runs_array(baseline), 1), context_)


def beyond_candidates(trials: list[dict], context_: dict) -> dict[str, dict]:
    """The beyond study's three candidates, chosen on its own seeds: the best mean top-100 accuracy,
    the best mean RMSE, and the trial whose smaller margin beyond the two baselines (each in units of
    the seed noise of that objective pooled over the trials that learned something,
    sweep.report.trivial.learned_noise) is largest: the nearest to beating both."""
    from sweep.report.trivial import learned_noise

    means = {trial["number"]: np.mean(trial["runs"], axis=0) for trial in trials}
    noise = [learned_noise([[run[index] for run in trial["runs"]] for trial in trials], context_, metric)
             for index, metric in enumerate(OBJECTIVES)]
    margins = {}
    for number, mean in means.items():
        margins[number] = min((mean[index] - context_[key]) * sign / (noise[index].std if noise[index] else 1.0)
                              for index, (key, sign) in enumerate(BASELINES[metric] for metric in OBJECTIVES))
    chosen = {"best_top_100": max(means, key=lambda number: (means[number][0], -number)),
              "best_rmse": min(means, key=lambda number: (means[number][1], number)),
              "nearest_both": max(margins, key=lambda number: (margins[number], -number))}
    by_number = {trial["number"]: trial for trial in trials}
    return {name: {"trial": number, "pair": list(by_number[number]["pair"]), "params": by_number[number]["params"],
                   "selection_means": dict(zip(OBJECTIVES, map(float, means[number]))),
                   "selection_seeds": by_number[number]["seeds"]} for name, number in chosen.items()}


def margin_verdicts(runs: list[dict], context_: dict) -> dict:
    """Per objective, the margin beyond its trivial baseline over the report seeds (positive: beats it),
    its median, interval and verdict against 0."""
    from benchmarks.protocol import median_interval, verdict

    result = {}
    for metric in OBJECTIVES:
        key, sign = BASELINES[metric]
        values = [(run["metrics"][metric] - context_[key]) * sign for run in runs]
        interval = median_interval(values)
        result[metric] = {"baseline": key, "baseline_value": context_[key], **interval.record(),
                          "verdict": verdict(interval, 0.0)}
    return result


# --- the phases ----------------------------------------------------------------------------------


def select_adam(workers: int) -> dict:
    from sweep.config import ModelConfig

    tutorial = tutorial_trials()
    pairs = [trial["pair"] for trial in tutorial if trial["pareto"] or trial["tutorial_pair"]]
    model = tuple(vars(ModelConfig()).items())
    jobs = [(f"lr={rate:g}", *pair, seed, model, (("optimizer", "adam"), ("learning_rate", rate)))
            for rate in ADAM_RATES for seed in ADAM_SELECTION_SEEDS for pair in pairs]
    print(f"Adam's learning rate: {len(jobs)} trainings on selection seeds {ADAM_SELECTION_SEEDS}", file=sys.stderr)
    results = train_all(jobs, workers)
    from sweep.report.hypervolume import reference_point

    chosen = choose_rate(results, reference_point(context()))
    (ROOT / "studies" / "adam.toml").write_text(adam_study_text(chosen["chosen_learning_rate"],
                                                                [trial["pair"] for trial in tutorial]))
    return {"adam_selection": {"pairs": [list(pair) for pair in pairs], "rates": list(ADAM_RATES),
                               "selection_seeds": list(ADAM_SELECTION_SEEDS), "runs": results, **chosen,
                               "rule": "the rate whose single-seed front over these pairs holds the most hypervolume "
                                       "from the trivial baselines, averaged over the selection seeds"}}


def adam_study_text(rate: float, pairs) -> str:
    """studies/adam.toml: the tutorial study's pairs, in its trial order, under Adam at the chosen rate."""
    listed = ",\n".join(f"    [{rating!r}, {retrieval!r}]" for rating, retrieval in pairs)
    return f"""# What the front is made of: the tutorial study's 50 weight pairs (benchmarks/results/tutorial-study.csv,
# in its trial order) under Adam, which is invariant to the loss's scale (up to its epsilon), so
# only the ratio of the weights can matter. Adam's learning rate {rate:g} was chosen on selection
# seeds ({", ".join(map(str, ADAM_SELECTION_SEEDS))}) by `scripts/front-made-of select-adam`, which writes this file
# (benchmarks/results/front-made-of.json: adam_selection); the study's own seeds report.
# Run: sweep run studies/adam.toml --storage sqlite:///studies/adam.db --workers 2

[study]
name = "adam"
seed = 11
replicates = 5

[search]
pairs = [
{listed},
]

[model]
embedding_dimension = 32
rating_layers = [256, 128]

[train]
optimizer = "adam"
learning_rate = {rate!r}
epochs = 3
batch_size = 8192
eval_batch_size = 4096
candidates = "all_entries"

[data]
dataset = "movielens-100k"
split = "tutorial"
split_seed = 42
"""


def analyse() -> dict:
    from sweep.report.hypervolume import reference_point

    context_ = context()
    tutorial = tutorial_trials()
    reference = reference_point(context_)
    found: dict = {"baseline": "the tutorial study (benchmarks/results/tutorial-study.csv: Adagrad 0.1, 50 pairs, 2 seeds)",
                   "baseline_seeds": sorted({seed for trial in tutorial for seed in trial["seeds"]}),
                   "points": {"tutorial": points_of(tutorial)}}
    scan = stored_trials("scale-scan")
    found["points"]["scale-scan"] = points_of(scan)
    itself = share(tutorial, tutorial, context_)["shares"]  # the reference's own seed noise, which no interval holds
    found["baseline_seed_shares"] = {name: [volume / float(np.median(entry["baseline_hypervolumes"]))
                                            for volume in entry["baseline_hypervolumes"]]
                                     for name, entry in itself.items()}
    found["scale_scan"] = {"seeds": sorted({seed for trial in scan for seed in trial["seeds"]}),
                           "failed_trials": failed_count("scale-scan"), "complete_trials": len(scan),
                           **best_scale(scan, reference),
                           "lines": {ratio: {"trials": [trial["number"] for trial in line],
                                             **share(line, tutorial, context_)}
                                     for ratio, line in scale_lines(scan).items()},
                           "all_lines": share(scan, tutorial, context_)}
    for name in ("adam", "ratio-only"):
        try:
            trials = stored_trials(name)
        except KeyError:
            continue
        if not trials:  # not run yet
            continue
        found["points"][name] = points_of(trials)
        found[name.replace("-", "_")] = {"seeds": sorted({seed for trial in trials for seed in trial["seeds"]}),
                                         "failed_trials": failed_count(name), "complete_trials": len(trials),
                                         **share(trials, tutorial, context_)}
    return {"analysis": found}


def confirm_beyond(workers: int) -> dict:
    import optuna

    from sweep.config import load_study_file
    from sweep.per_pair import suggest

    context_ = context()
    trials = stored_trials("beyond")
    candidates = beyond_candidates(trials, context_)
    spec = load_study_file(ROOT / "studies" / "beyond.toml")
    study_seeds = {seed for trial in trials for seed in trial["seeds"]}
    if study_seeds & set(BEYOND_REPORT_SEEDS):
        raise SystemExit("a report seed was one of the study's seeds: choose others")
    jobs = []
    for name, candidate in candidates.items():
        if candidate["params"]:
            _, model, train = suggest(optuna.trial.FixedTrial(candidate["params"]), spec)
        else:  # one of the tutorial's pairs: the study's own settings
            model, train = spec.model, spec.train
        candidate["settings"] = {"model": vars(model), "train": vars(train)}
        jobs += [(name, *candidate["pair"], seed, tuple(vars(model).items()), tuple(vars(train).items()))
                 for seed in BEYOND_REPORT_SEEDS]
    print(f"beyond: {len(jobs)} trainings on report seeds {BEYOND_REPORT_SEEDS}", file=sys.stderr)
    runs = train_all(list(dict.fromkeys(jobs)), workers)
    for name, candidate in candidates.items():
        mine = [run for run in runs if run["label"] == name and "metrics" in run]
        candidate["report_runs"] = mine
        candidate["margins"] = margin_verdicts(mine, context_) if len(mine) == len(BEYOND_REPORT_SEEDS) else None
    both = candidates["nearest_both"]["margins"]
    return {"beyond": {"study_seeds": sorted(study_seeds), "report_seeds": list(BEYOND_REPORT_SEEDS),
                       "candidates": candidates, "context_baselines": context_,
                       "one_model_beats_both": None if both is None else
                       ("reached" if all(both[m]["verdict"] == "reached" for m in OBJECTIVES) else
                        "not reached" if any(both[m]["verdict"] == "not reached" for m in OBJECTIVES)
                        else "undetermined")}}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("phase", choices=("select-adam", "analyse", "confirm-beyond"))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=RESULT, help="the result file; each phase adds its section")
    parser.add_argument("--plot", type=Path, default=None,
                        help="after the phase, draw the fronts from the result file's analysis here (PNG)")
    args = parser.parse_args(argv)
    phases = {"select-adam": lambda: select_adam(args.workers), "analyse": analyse,
              "confirm-beyond": lambda: confirm_beyond(args.workers)}
    section = phases[args.phase]()
    earlier = json.loads(args.out.read_text()) if args.out.exists() else {}
    kept = {key: value for key, value in earlier.items() if key not in ("benchmark", "command", "date", "machine")}
    from benchmarks.machine import write_result

    write_result(args.out, {**kept, **section})
    print(json.dumps(section, indent=1, default=float)[:4000], file=sys.stderr)
    if args.plot:
        document = json.loads(args.out.read_text())
        plot(document["analysis"], context(), args.plot)
    return 0


if __name__ == "__main__":
    sys.exit(main())
