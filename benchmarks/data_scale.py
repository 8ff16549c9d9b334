"""Cost at MovieLens sizes: time and peak memory from 100K to 20M ratings, on synthetic data of each size.

Real 1M/20M/25M cannot be fetched everywhere, so each size is synthetic data with the
release's ratings, users and movies (sweep data fetch --source synthetic --ratings …).
Each stage runs in a fresh process, so its peak resident memory is its own:

1. fetch: generate, normalize, checksum and cache the tables (`sweep data fetch`);
2. train: load, split (permutation, 80/20), prepare, then train the tutorial's joint model
   (batch 8192, Adagrad 0.1) for an epoch — or, past `--max-steps`, for that many steps,
   the epoch's time then estimated from their median step; the first step's graph tracing,
   once per process, is kept apart (`trace_seconds`) — and evaluate top-k over all
   movies and RMSE on up to `--eval-rows` test rows (the full test set's time estimated
   from them).

    scripts/bench-scale [--sizes 100k 1m 20m] [--max-steps 120] [--out benchmarks/results/data-scale.json]

With `--growth`, the same two stages run along two axes instead of the releases: the
number of ratings (100K, 1M, 10M; 1,682 movies, MovieLens 100K's 106 ratings per user)
and the number of movies (1,682, 20K, 100K; 1M ratings), and the results go with the
log-log slope between neighbouring sizes (1 is linear growth, 2 quadratic) and a plot:

    scripts/bench-scale --growth --out benchmarks/results/cost-growth.json --plot benchmarks/results/cost-growth.png
    scripts/bench-scale --growth --replot benchmarks/results/cost-growth.json --plot ...   # no measurement
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SIZES = {  # the releases' documented counts
    "100k": {"ratings": 100_000, "users": 943, "movies": 1_682},
    "1m": {"ratings": 1_000_209, "users": 6_040, "movies": 3_883},
    "20m": {"ratings": 20_000_263, "users": 138_493, "movies": 27_278},
    "25m": {"ratings": 25_000_095, "users": 162_541, "movies": 62_423},
}
GIB = 2**30
GROWTH = {  # axis -> its sizes; (1M ratings, 1,682 movies) sits on both
    "ratings": [{"ratings": n, "users": n // 106, "movies": 1_682} for n in (100_000, 1_000_000, 10_000_000)],
    "movies": [{"ratings": 1_000_000, "users": 1_000_000 // 106, "movies": n} for n in (1_682, 20_000, 100_000)],
}
GROWTH_MEASURES = {  # name -> (label, how to read it from a size's results)
    "epoch_seconds": ("one training epoch (s)", lambda r: r["train"]["epoch_seconds"]),
    "eval_seconds": ("evaluate the test split (s)", lambda r: r["train"]["eval_seconds"]),
    "ready_seconds": ("load + split + prepare (s)",
                      lambda r: r["train"]["load_seconds"] + r["train"]["split_seconds"] + r["train"]["prepare_seconds"]),
    "fetch_seconds": ("fetch and cache (s)", lambda r: r["fetch"]["seconds"]),
    "train_peak_gib": ("peak memory while training (GiB)", lambda r: r["train"]["peak_memory_gib"]),
    "fetch_peak_gib": ("peak memory while fetching (GiB)", lambda r: r["fetch"]["peak_memory_gib"]),
}


def fetch_stage(size: dict, data_dir: Path) -> dict:
    started = time.perf_counter()
    command = [sys.executable, "-m", "sweep", "data", "fetch", "--source", "synthetic", "--data-dir", str(data_dir),
               *(f"--{key}={value}" for key, value in size.items())]
    subprocess.run(command, check=True, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    manifest = json.loads((data_dir / "synthetic" / "manifest.json").read_text())
    return {"seconds": seconds, "peak_memory_gib": manifest["peak_memory_bytes"] / GIB,
            "cache_mib": sum(f.stat().st_size for f in (data_dir / "synthetic").glob("*.parquet")) / 2**20}


def train_stage(data_dir: Path, max_steps: int, eval_rows: int) -> dict:
    """Runs in its own process (python -m benchmarks.data_scale --train-stage DIR)."""
    import sweep

    tf = sweep.import_tensorflow()
    from sweep.config import DataConfig, ModelConfig, TrainConfig
    from sweep.data.cache import load, peak_memory_bytes
    from sweep.data.prepared import prepare
    from sweep.data.split import load_split
    from sweep.model import build_model
    from sweep.evaluation import evaluate
    from sweep.training import training_batches, training_step

    timings = {}
    started = time.perf_counter()
    dataset = load(data_dir, "synthetic")
    timings["load_seconds"] = time.perf_counter() - started
    started = time.perf_counter()
    split = load_split(dataset, seed=42, kind=DataConfig(dataset="synthetic").split)
    timings["split_seconds"] = time.perf_counter() - started
    started = time.perf_counter()
    prepared = prepare(dataset, split)
    timings["prepare_seconds"] = time.perf_counter() - started
    del dataset, split
    config = TrainConfig()
    tf.keras.utils.set_random_seed(0)
    model = build_model(ModelConfig(), len(prepared.user_vocabulary), len(prepared.title_vocabulary), 1.0, 1.0)
    step = training_step(model, tf.keras.optimizers.Adagrad(learning_rate=config.learning_rate))

    started = time.perf_counter()
    batches = training_batches(prepared.train, config, 0)
    timings["batching_seconds"] = time.perf_counter() - started
    steps_per_epoch = len(batches)
    step_seconds = []
    for user_ids, title_ids, ratings in batches[:max_steps]:
        began = time.perf_counter()
        step(user_ids, title_ids, ratings)[0].numpy()
        step_seconds.append(time.perf_counter() - began)
    measured = step_seconds[1:] or step_seconds  # the first step traces the graph
    whole_epoch = len(step_seconds) == steps_per_epoch
    timings.update({
        "steps_per_epoch": steps_per_epoch, "steps_timed": len(step_seconds),
        "median_step_seconds": statistics.median(measured),
        # the first step traces the graph once per process: counted as a typical step, its extra time kept apart
        "epoch_seconds": (sum(measured) + statistics.median(measured) if whole_epoch and len(step_seconds) > 1
                          else statistics.median(measured) * steps_per_epoch),
        "trace_seconds": step_seconds[0] - statistics.median(measured),
        "epoch_measured_whole": whole_epoch,
    })
    test_rows = len(prepared.test["user_id"])
    subset = {name: values[:eval_rows] for name, values in prepared.test.items()}
    started = time.perf_counter()
    evaluate(model, subset, prepared.candidates["all_entries"], config.eval_batch_size)
    seconds = time.perf_counter() - started
    timings.update({"test_rows": test_rows, "eval_rows_timed": min(eval_rows, test_rows),
                    "eval_seconds": seconds * test_rows / min(eval_rows, test_rows),
                    "eval_measured_whole": eval_rows >= test_rows,
                    "train_rows": len(prepared.train["user_id"]), "candidates": len(prepared.candidates["all_entries"]),
                    "peak_memory_gib": peak_memory_bytes() / GIB})
    return timings


def measure_size(size: dict, max_steps: int, eval_rows: int) -> dict:
    """Both stages of one size, each in a fresh process, on a temporary data directory."""
    with tempfile.TemporaryDirectory(prefix="sweep-scale-") as directory:
        data_dir = Path(directory)
        fetched = fetch_stage(size, data_dir)
        output = subprocess.run([sys.executable, "-m", "benchmarks.data_scale", "--train-stage", str(data_dir),
                                 "--max-steps", str(max_steps), "--eval-rows", str(eval_rows)],
                                check=True, capture_output=True, text=True).stdout
    return {"size": size, "fetch": fetched, "train": json.loads(output.strip().splitlines()[-1])}


def slopes(points: list[tuple[float, float]]) -> list[float]:
    """Log-log slope between neighbouring (size, cost) points: 1 is linear growth, 2 quadratic."""
    import math

    return [math.log(b / a) / math.log(x2 / x1) for (x1, a), (x2, b) in zip(points, points[1:])]


def growth(args) -> dict:
    measured = {}
    axes = {}
    for axis, sizes in GROWTH.items():
        axes[axis] = []
        for size in sizes:
            key = f"{size['ratings']}-{size['users']}-{size['movies']}"
            if key not in measured:
                measured[key] = measure_size(size, args.max_steps, args.eval_rows)
                print(f"{axis}: {size} measured", file=sys.stderr, flush=True)
            axes[axis].append(key)
    results = {"max_steps": args.max_steps, "eval_rows": args.eval_rows, "sizes": measured, "axes": {}}
    for axis, keys in axes.items():
        results["axes"][axis] = {"sizes": keys, "measures": {}}
        for name, (_, read) in GROWTH_MEASURES.items():
            points = [(measured[key]["size"][axis], read(measured[key])) for key in keys]
            results["axes"][axis]["measures"][name] = {"values": [value for _, value in points],
                                                       "slopes": slopes(points)}
    return results


def print_growth(results: dict) -> None:
    for axis in GROWTH:
        data = results["axes"][axis]
        sizes = [results["sizes"][key]["size"] for key in data["sizes"]]
        print(f"\nalong the number of {axis}:\n| measure | " + " | ".join(f"{size[axis]:,}" for size in sizes)
              + " | log-log slopes |\n|---|" + "---|" * (len(sizes) + 1))
        for name, (label, _) in GROWTH_MEASURES.items():
            measure = data["measures"][name]
            print(f"| {label} | " + " | ".join(f"{value:.3g}" for value in measure["values"]) + " | "
                  + ", ".join(f"{slope:.2f}" for slope in measure["slopes"]) + " |")


def guide(x0: float, y0: float, slope: float, x_end: float, y_top: float) -> tuple[list, list]:
    """A slope guide y = y0 (x / x0)^slope from (x0, y0) until x_end or the panel's top, whichever comes
    first: a guide that left the panel would show nothing a reader can compare."""
    x_top = x0 * (y_top / y0) ** (1 / slope)
    end = min(x_end, x_top)
    return [x0, end], [y0, y0 * (end / x0) ** slope]


def plot_growth(results: dict, path: Path) -> None:
    """Each measure against size on log-log axes, with guides of slope 1 and 2 from the lowest measure at
    the smallest size, kept inside the panel; y ticks at 1, 2 and 5 of each decade so every panel has several."""
    import matplotlib
    import matplotlib.ticker

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = {"time (s)": ["epoch_seconds", "eval_seconds", "ready_seconds", "fetch_seconds"],
              "peak memory (GiB)": ["train_peak_gib", "fetch_peak_gib"]}
    figure, axes = plt.subplots(2, 2, figsize=(11, 10), constrained_layout=True)
    for column, axis in enumerate(GROWTH):
        data = results["axes"][axis]
        xs = [results["sizes"][key]["size"][axis] for key in data["sizes"]]
        for row, (ylabel, names) in enumerate(groups.items()):
            panel = axes[row][column]
            values = [value for name in names for value in data["measures"][name]["values"]]
            low, high = min(values) / 1.5, max(values) * 2.5
            if high / low < 10:  # at least a decade, so the 1-2-5 ticks give several labels
                middle = math.sqrt(low * high)
                low, high = middle / math.sqrt(10), middle * math.sqrt(10)
            for name in names:
                measure = data["measures"][name]
                slopes_text = ", ".join(f"{slope:.2f}" for slope in measure["slopes"])
                panel.plot(xs, measure["values"], marker="o", zorder=3,
                           label=f"{GROWTH_MEASURES[name][0].rsplit(' (', 1)[0]} (slopes {slopes_text})")
            lowest = min(names, key=lambda name: data["measures"][name]["values"][0])  # the most room above it
            base = data["measures"][lowest]["values"][0]
            for slope, style in ((1, "--"), (2, ":")):
                panel.plot(*guide(xs[0], base, slope, xs[-1], high / 1.3), ls=style, color="0.35", lw=1.1, zorder=2,
                           label=f"slope {slope} ({'linear' if slope == 1 else 'quadratic'}) from "
                                 f"{GROWTH_MEASURES[lowest][0].rsplit(' (', 1)[0]} at the smallest size")
            panel.set_xscale("log")
            panel.set_yscale("log")
            panel.set_ylim(low, high)
            panel.set_xlim(xs[0] / 1.4, xs[-1] * 1.4)
            panel.set_xticks(xs, [f"{x:,}" for x in xs])
            panel.minorticks_off()
            panel.yaxis.set_major_locator(matplotlib.ticker.LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
            panel.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda value, _: f"{value:g}"))
            fixed = "movies" if axis == "ratings" else "ratings"
            panel.set_xlabel(f"number of {axis} ({results['sizes'][data['sizes'][0]]['size'][fixed]:,} {fixed})",
                             fontsize=10)
            panel.set_ylabel(ylabel, fontsize=10)
            panel.tick_params(labelsize=9)
            panel.grid(alpha=0.3)
            panel.legend(fontsize=8.5, loc="upper center", bbox_to_anchor=(0.5, -0.14), frameon=False)
    figure.suptitle("How the trial's cost grows (synthetic data, 2 CPU cores; log-log)")
    figure.savefig(path, dpi=110)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["100k", "1m", "20m"], choices=list(SIZES))
    parser.add_argument("--max-steps", type=int, default=120, help="train at most this many steps per size")
    parser.add_argument("--eval-rows", type=int, default=200_000, help="evaluate at most this many test rows")
    parser.add_argument("--out", type=Path, default=None, help="also write the results as JSON here")
    parser.add_argument("--growth", action="store_true", help="measure along ratings and movies instead of releases")
    parser.add_argument("--plot", type=Path, default=None, help="with --growth: draw the growth here (PNG)")
    parser.add_argument("--replot", type=Path, default=None,
                        help="with --growth: draw --plot again from this result file; no measurement")
    parser.add_argument("--train-stage", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.replot:
        if not (args.growth and args.plot):
            parser.error("--replot needs --growth and --plot")
        plot_growth(json.loads(args.replot.read_text()), args.plot)
        return 0
    if args.train_stage:
        print(json.dumps(train_stage(args.train_stage, args.max_steps, args.eval_rows)))
        return 0
    if args.growth:
        results = growth(args)
        print_growth(results)
        if args.plot:
            plot_growth(results, args.plot)
        if args.out:
            from benchmarks.machine import write_result

            write_result(args.out, results)
        return 0
    results = {"max_steps": args.max_steps, "eval_rows": args.eval_rows,
               "sizes": {}}
    print("| size | ratings | users | movies | fetch s | fetch peak GiB | load+split+prepare s | step s | "
          "epoch s | evaluate s | train peak GiB |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name in args.sizes:
        with tempfile.TemporaryDirectory(prefix=f"sweep-scale-{name}-") as directory:
            data_dir = Path(directory)
            fetched = fetch_stage(SIZES[name], data_dir)
            output = subprocess.run([sys.executable, "-m", "benchmarks.data_scale", "--train-stage", str(data_dir),
                                     "--max-steps", str(args.max_steps), "--eval-rows", str(args.eval_rows)],
                                    check=True, capture_output=True, text=True).stdout
            trained = json.loads(output.strip().splitlines()[-1])
        results["sizes"][name] = {"size": SIZES[name], "fetch": fetched, "train": trained}
        ready = trained["load_seconds"] + trained["split_seconds"] + trained["prepare_seconds"]
        epoch = f"{trained['epoch_seconds']:.1f}" + ("" if trained["epoch_measured_whole"] else " (est.)")
        evaluated = f"{trained['eval_seconds']:.1f}" + ("" if trained["eval_measured_whole"] else " (est.)")
        print(f"| {name} | {SIZES[name]['ratings']:,} | {SIZES[name]['users']:,} | {SIZES[name]['movies']:,} | "
              f"{fetched['seconds']:.1f} | {fetched['peak_memory_gib']:.2f} | {ready:.1f} | "
              f"{trained['median_step_seconds']:.3f} | {epoch} | {evaluated} | {trained['peak_memory_gib']:.2f} |",
              flush=True)
    if args.out:
        from benchmarks.machine import write_result

        write_result(args.out, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
