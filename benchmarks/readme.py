"""The measured sections of the project's documents, generated from the committed result files.

`python -m benchmarks.readme --write` rewrites "Performance" and "Cost at MovieLens sizes" in
benchmarks/README.md, and the result "The whole front from one training" in reports/README.md, from
benchmarks/results/*.json; tests/test_readme.py checks that each file holds exactly what this
renders, so a figure there is always a measured one. Reads JSON only (no TensorFlow).

    PYTHONPATH=. python -m benchmarks.readme [--write | --check]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
from pathlib import Path

from sweep.config import StudySettings

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
BENCHMARKS_README = ROOT / "benchmarks" / "README.md"
REPORTS_README = ROOT / "reports" / "README.md"
# Each generated section, and the document that holds it; image paths are relative to that document.
DOCUMENT_OF = {"The whole front from one training": REPORTS_README, "Performance": BENCHMARKS_README,
               "Cost at MovieLens sizes": BENCHMARKS_README,
               "Choosing the conditioned study's settings": BENCHMARKS_README}
GENERATED = tuple(DOCUMENT_OF)
PAIR_NAMES = {"1,0": "(1, 0)", "0,1": "(0, 1)", "1,1": "(1, 1)"}


def load(name: str) -> dict:
    return json.loads((RESULTS / name).read_text())


def machine_line(result: dict) -> str:
    machine = result["machine"]
    tensorflow = machine["tensorflow"]
    return (f"{machine['cpu_model']}, {machine['cores_usable']} cores ({', '.join(machine['cpu_flags'])}), "
            f"{machine['memory_gib']} GiB; Python {machine['python']}, TensorFlow {tensorflow['version']} "
            f"(oneDNN {'on' if tensorflow['onednn_enabled'] else 'off'})")


def side_by_side(trial: dict) -> list[str]:
    repeats = trial["repeats"]
    process = trial["process"]
    lines = [
        "### Side by side with the tutorial's code",
        "",
        "`scripts/bench-trial --out benchmarks/results/bench-trial.json` runs the tutorial's code as written",
        "(`benchmarks/tutorial_reference.py`: string lookups in the model, FactorizedTopK on every",
        "training batch, Keras `fit`) the way the tutorial runs it, one fresh process training its three",
        "models in sequence, and the harness in another fresh process training the same three pairs, on",
        f"the tutorial's split with the same seed; {repeats} repeats (seeds 0–{repeats - 1}), which goes first",
        f"alternating ({' '.join(trial['order'])}, A the tutorial's code). Per trial (fit + evaluate):",
        "",
        "| pair | tutorial's code, median [min–max] | sweep, median [min–max] | ratio of totals |",
        "|---|---|---|---|",
    ]
    for key in PAIR_NAMES:
        pair = trial["pairs"][key]
        reference, ours = pair["seconds"]["reference"], pair["seconds"]["sweep"]
        lines.append(f"| {PAIR_NAMES[key]} | {reference['median']:.1f} s [{reference['min']:.1f}–{reference['max']:.1f}] | "
                     f"{ours['median']:.2f} s [{ours['min']:.2f}–{ours['max']:.2f}] | {pair['speedup_of_totals']:.1f}× |")
    lines.append(f"| all three pairs | | | **{trial['speedup_of_trial_totals']:.1f}×** |")
    walls = {name: process[name]["wall_seconds"] for name in ("reference", "sweep")}
    rss = {name: process[name]["peak_rss_mib"] for name in ("reference", "sweep")}
    lines += [
        "",
        "| whole process (start, imports, data, three models) | tutorial's code | sweep |",
        "|---|---|---|",
        f"| wall time, median [min–max] | {walls['reference']['median']:.1f} s [{walls['reference']['min']:.1f}–"
        f"{walls['reference']['max']:.1f}] | {walls['sweep']['median']:.1f} s [{walls['sweep']['min']:.1f}–"
        f"{walls['sweep']['max']:.1f}] |",
        f"| peak resident memory, median [min–max] | {rss['reference']['median']:.0f} MiB [{rss['reference']['min']:.0f}–"
        f"{rss['reference']['max']:.0f}] | {rss['sweep']['median']:.0f} MiB [{rss['sweep']['min']:.0f}–"
        f"{rss['sweep']['max']:.0f}] |",
        "",
        f"Whole processes, the harness is {trial['speedup_of_process_walls']:.1f}× faster (ratio of wall totals).",
    ]
    metrics = [m for pair in trial["pairs"].values() for m in pair["metrics"].values()]
    worst = max(abs(m["difference_in_reference_std"] or 0.0) for m in metrics)
    top_k = max(m["same_seed_max_abs_difference"] for pair in trial["pairs"].values()
                for name, m in pair["metrics"].items() if name != "rmse")
    rmse = max(pair["metrics"]["rmse"]["same_seed_max_abs_difference"] for pair in trial["pairs"].values())
    def versus(metric):
        return ", ".join(f"{PAIR_NAMES[key]} {trial['pairs'][key]['metrics'][metric]['sweep_mean']:.4f} vs "
                         f"{trial['pairs'][key]['metrics'][metric]['reference_mean']:.4f}" for key in PAIR_NAMES)

    rmse_text = "below 1e-4" if rmse < 1e-4 else f"{rmse:.4f}"
    lines += [
        "",
        f"Metrics, sweep vs the tutorial's code: every one of the {len(metrics)} means lies within "
        f"{worst:.1f} of the reference's seed standard deviation (top-100 accuracy {versus('top_100_accuracy')}; "
        f"RMSE {versus('rmse')}), and seed for seed the largest difference is {top_k:.4f} in any top-k accuracy "
        f"and {rmse_text} in RMSE.",
    ]
    return lines


def losses_checked(ablation: dict) -> str:
    """What the run found when it compared each variant's first-batch losses with the harness's."""
    differing = [f"{name} {PAIR_NAMES[key]}" for name, by_pair in ablation["rows"].items()
                 for key, row in by_pair.items() if row is not None and not row["first_batch_losses_match"]]
    if not differing:
        return "Every variant's first-batch losses equal the harness's (to 1e-4, checked in the run)."
    return "First-batch losses differ from the harness's for: " + ", ".join(differing) + "."


def ablation_table(ablation: dict) -> list[str]:
    pairs = ablation["pairs_order"]
    lines = [
        "### What each change buys",
        "",
        "`scripts/bench-ablation --out benchmarks/results/ablation.json` switches each of the five",
        "changes off alone (the tutorial's way back, the other four kept) and times a training step",
        "of 8,192 rows on the tutorial's split (median over the 3 epochs' full batches); × is against",
        "the harness's step in the same run. " + losses_checked(ablation) + " Keras's `fit` loop is not in",
        "these steps: the side-by-side above has it.",
        "",
        "| switched off | " + " | ".join(f"{PAIR_NAMES[key]} step | ×" for key in pairs) + " |",
        "|---|" + "---|---|" * len(pairs),
    ]
    for name in ablation["row_order"]:
        by_pair = ablation["rows"][name]
        cells = []
        for key in pairs:
            row = by_pair[key]
            cells += ["—", "—"] if row is None else [f"{row['median_step_seconds']:.4f} s", f"{row['times_harness']:.2f}"]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    single = {name: by_pair["1,1"]["times_harness"] for name, by_pair in ablation["rows"].items()
              if by_pair.get("1,1") and name not in ("harness (every change on)", "all five off")}
    costliest = max(single, key=single.get)
    together = ablation["rows"]["all five off"]["1,1"]["times_harness"]
    lines += ["", f"For the joint pair the costliest change to undo is \"{costliest}\" ({single[costliest]:.2f}× the "
                  f"harness's step); all five undone together cost {together:.2f}×."]
    return lines


def floor_section(floor: dict, study: dict | None) -> list[str]:
    rates = floor["matmul_gflops"]
    peak = rates["large square (2048x2048 @ 2048x2048)"]
    joint = floor["pairs"]["1,1"]
    lines = [
        "### Distance to the floor",
        "",
        "`scripts/bench-floor --out benchmarks/results/floor.json` counts each step's matmul work (three",
        "8,192 × 8,192 × 32 products for the in-batch softmax and its gradients, the rating MLP forward",
        "and backward; the exponentials over 8,192² scores are not counted) and measures TensorFlow's",
        "float32 matmul throughput in the same run:",
        "",
        "| matmul shape | GFLOP/s |",
        "|---|---|",
        *(f"| {name} | {rate:.1f} |" for name, rate in rates.items()),
        "",
        "| pair | GFLOP per step | step | achieved GFLOP/s | share of the large square's rate | floor at that rate | × floor |",
        "|---|---|---|---|---|---|---|",
    ]
    for key in PAIR_NAMES:
        row = floor["pairs"][key]
        lines.append(f"| {PAIR_NAMES[key]} | {row['gflop_per_step']:.2f} | {row['median_step_seconds']:.4f} s | "
                     f"{row['achieved_gflops']:.1f} | {row['achieved_gflops'] / peak:.0%} | "
                     f"{row['floor_seconds_at_peak']:.4f} s | "
                     f"{row['times_floor_at_peak']:.2f} |")
    reached = "reached" if joint["times_floor_at_peak"] <= 1.5 else "not reached"
    block = floor["softmax_block"]
    scores_rate = rates["softmax block scores (256x32 @ 32x8192)"]
    alternatives = floor["alternatives"]["joint_step_seconds"]
    fastest = min((name for name in alternatives if "XLA" not in name), key=alternatives.get)
    shipped = f"{floor['alternatives']['shipped_rows']} rows"
    lines += ["", f"The joint step runs at {joint['times_floor_at_peak']:.2f}× its floor ({peak:.1f} GFLOP/s); the goal "
                  f"of 1.5× is {reached}. What limits it, measured in the same run: the softmax's products have an",
              f"inner dimension of only 32, so the score product of a 256-row block runs at {scores_rate:.1f} GFLOP/s, "
              f"{scores_rate / peak:.0%} of the",
              "large square's rate; and the softmax's elementwise passes over each 256 × 8,192 block (row maxima,",
              f"exponentials, row sums), which the floor does not count, take the block from "
              f"{block['score_product_seconds'] * 1e3:.2f} ms (product alone)",
              f"to {block['with_exponentials_and_row_sums_seconds'] * 1e3:.2f} ms. Other block sizes and XLA do not "
              "close the gap (same run):",
              "", "| joint step | median |", "|---|---|",
              *(f"| {name}{' (shipped)' if name == shipped else ''} | {alternatives[name]:.4f} s |"
                for name in sorted(alternatives, key=lambda name: ("XLA" in name, int(name.split()[0])))),
              "", f"The fastest block size in this run is {fastest}, at {alternatives[fastest] / alternatives[shipped]:.0%} "
              "of the shipped size's step time."]
    if study:
        lines += ["", "`scripts/bench-study --out benchmarks/results/study-wall.json` runs `sweep run "
                      "studies/tutorial.toml` (50 pairs × 2 seeds, 100 trainings) from a fresh storage, as a user would:",
                  "", "| workers | wall time | trials complete | training seconds (sum) | outside training, per worker |",
                  "|---|---|---|---|---|"]
        for run in study["runs"]:
            lines.append(f"| {run['workers']} | {run['wall_seconds'] / 60:.1f} min | {run['trials_complete']} | "
                         f"{run['training_seconds']:.0f} s | {run['outside_training_seconds']:.0f} s |")
        best = min(run["wall_seconds"] for run in study["runs"])
        verdict = "reached" if best <= study["goal_seconds"] else "not reached"
        lines += ["", f"Best: {best / 60:.1f} min; the goal of {study['goal_seconds'] // 60} min is {verdict}."]
    return lines


def growth_section(growth: dict) -> list[str]:
    from benchmarks.data_scale import GROWTH, GROWTH_MEASURES

    lines = [
        "### How cost grows",
        "",
        "`scripts/bench-scale --growth --out benchmarks/results/cost-growth.json --plot",
        "benchmarks/results/cost-growth.png` measures each size in fresh processes on synthetic data,",
        "along the number of ratings (1,682 movies, 106 ratings per user) and of movies (1,000,000",
        "ratings). The slope is log-log between neighbouring sizes: 1 is linear growth, 2 quadratic.",
        "",
        "![How cost grows](results/cost-growth.png)",
    ]
    steepest = []
    for axis in GROWTH:
        data = growth["axes"][axis]
        sizes = [growth["sizes"][key]["size"][axis] for key in data["sizes"]]
        lines += ["", f"| along {axis} | " + " | ".join(f"{size:,}" for size in sizes) + " | slopes |",
                  "|---|" + "---|" * (len(sizes) + 1)]
        for name, (label, _) in GROWTH_MEASURES.items():
            measure = data["measures"][name]
            values = " | ".join(f"{value:.2f}" for value in measure["values"])
            lines.append(f"| {label} | {values} | {', '.join(f'{s:.2f}' for s in measure['slopes'])} |")
            steepest += [(slope, label, axis) for slope in measure["slopes"]]
    slope, label, axis = max(steepest)
    lines += ["", f"The steepest growth measured is {label.rsplit(' (', 1)[0]} along {axis}, slope {slope:.2f}: "
                  + ("nothing grows quadratically." if slope < 1.5 else "something grows faster than linearly.")
              + " The one quadratic term, the in-batch softmax's B × B scores, is fixed by the batch size (8,192),",
              "not by the data, and the blocking keeps it out of memory (the ablation's plain-softmax row is its",
              "cost whole). Evaluation grows with test rows × movies by design: exact top-k over every movie."]
    return lines


def seed_lines(samplers: dict) -> list[str]:
    """Which study seeds chose the default sampler and which are read (benchmarks/protocol.py)."""
    selection, report = samplers.get("selection_seeds") or [], samplers.get("report_seeds") or []
    if not selection:
        return []
    return [f"The default sampler was chosen on study seeds {selection[0]}–{selection[-1]} (an earlier run of this "
            f"benchmark); they count in the best front known but every figure below is read on study seeds "
            f"{report[0]}–{report[-1]} ({len(report)} seeds), disjoint from them."]


def samplers_section(samplers: dict) -> list[str]:
    trials = samplers["trials_per_run"]
    lines = [
        "### Which sampler finds the front",
        "",
        "`scripts/bench-samplers --out benchmarks/results/samplers.json --plot benchmarks/results/samplers.png`",
        f"runs {trials}-trial studies over the demo's search (tutorial settings, one seed per trial, the",
        "tutorial's split, no enqueued pairs) for each sampler and study seed, and measures the",
        "hypervolume of the trials so far (from the trivial baselines) as a share of the best front",
        f"known (all {samplers['trials_pooled']:,} trials pooled). TPE starts with 5 random trials; NSGA-II's first",
        "generation is random draws, its population a quarter of the budget (`sweep.per_pair.nsga2_population`).",
        *seed_lines(samplers),
        "",
        "![Which sampler finds the front](results/samplers.png)",
        "",
        "| sampler | study seeds | trials to 90 % (median) | runs reaching 90 % | trials to 98 % (median) | "
        f"runs reaching 98 % | share after {trials} trials (median) |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, entry in samplers["samplers"].items():
        reach, runs = entry["trials_to_reach_median"], len(entry["runs"])
        lines.append(f"| {name} | {runs} | {reach['0.90'] or f'> {trials}'} | {entry['runs_reaching']['0.90']}/{runs} | "
                     f"{reach['0.98'] or f'> {trials}'} | {entry['runs_reaching']['0.98']}/{runs} | "
                     f"{entry['final_share_median'] * 100:.1f} % |")
    for name, why in samplers["skipped"].items():
        lines.append(f"| {name} | not run: {why} | | | | | |")
    best = samplers["fastest_to_98"]
    entry = samplers["samplers"][best]
    needed = entry["trials_to_reach_median"]["0.98"]
    default = StudySettings.__dataclass_fields__["sampler"].default
    if needed is not None:
        verdict = (f"`{best}` reaches 98 % of the best known front in the fewest trials "
                   f"(median {needed:g} over study seeds).")
    else:
        reaching = sum(entry["runs_reaching"]["0.98"] for entry in samplers["samplers"].values())
        verdict = (f"No sampler reaches 98 % of the best known front within {trials} trials in "
                   f"{'any run' if reaching == 0 else 'most runs'} (the front "
                   f"pooled from all {samplers['trials_pooled']:,} single-seed trials is a high bar: it keeps the luckiest "
                   f"draws). `{best}` gets closest: a median share of "
                   f"{entry['final_share_median'] * 100:.1f} % after {trials} trials, and 90 % in "
                   f"{entry['runs_reaching']['0.90']} of {len(entry['runs'])} runs.")
    verdict += (" It is the default (`[study] sampler`)." if best == default else
                f" The default (`[study] sampler`) stays `{default}`, chosen on the selection seeds.")
    paired = samplers.get("paired") or []
    from benchmarks.samplers import separated

    apart = separated(paired)
    if paired and not apart:
        seeds = len(paired[0]["study_seeds"])
        verdict += (f" Paired by study seed over {seeds} seeds, though, no two samplers are distinguishable (below): "
                    "the medians' order is not evidence, and any of them is a sound choice on this model.")
    elif apart:
        seeds = len(paired[0]["study_seeds"])
        verdict += (f" Paired by study seed over {seeds} seeds, "
                    + "; ".join(f"{ahead} is ahead of {behind} after {trials} trials" for ahead, behind, trials in apart)
                    + "; no other pair is distinguishable by its interval (below)"
                    + "".join(f"; {item['first']} − {item['second']} after {item['after_trials']} trials has a "
                              f"signed-rank p of {item['wilcoxon_p']:.3f}, under 0.05 uncorrected, but its interval "
                              "reaches 0" for item in paired if item["reading"] == "not distinguishable"
                              and item["wilcoxon_p"] is not None and item["wilcoxon_p"] < 0.05) + ".")
    lines += ["", verdict]
    if samplers.get("paired"):
        lines += ["", "Paired by study seed (each seed's share under one sampler minus under the other; median, 95 % "
                  "bootstrap interval over the seeds both ran, Wilcoxon signed-rank p):", "",
                  "| samplers | after | difference in share | p | reading |", "|---|---|---|---|---|"]
        for item in samplers["paired"]:
            difference = item["difference"]
            spread = ("seed values only" if difference["interval"] is None else
                      f"[{difference['interval'][0] * 100:+.1f}, {difference['interval'][1] * 100:+.1f}]")
            p_value = "—" if item["wilcoxon_p"] is None else f"{item['wilcoxon_p']:.3f}"
            lines.append(f"| {item['first']} − {item['second']} | {item['after_trials']} trials | "
                         f"{difference['median'] * 100:+.1f} points {spread} over {len(item['study_seeds'])} seeds | "
                         f"{p_value} | {item['reading']} |")
    same = [(name, e["identical_to"]) for name, e in samplers["samplers"].items() if e.get("identical_to")]
    if same:
        lines += ["", "Identical runs: " + "; ".join(f"`{name}` drew the same trials as `{', '.join(others)}`"
                                                     for name, others in same) + "."]
    return lines


def performance() -> str:
    trial = load("bench-trial.json")
    lines = [
        "## Performance",
        "",
        "The trial keeps the tutorial's mathematics and drops its overheads: metrics only at",
        "evaluation (the tutorial computes FactorizedTopK on every training batch), exact",
        "brute-force top-k at evaluation, string → id lookups once per worker, data in memory,",
        "a task weighted exactly 0 not computed at all, and the in-batch softmax cross-entropy",
        "computed in blocks of 256 query rows with its gradient accumulated in the same pass, so",
        "the 8192 × 8192 score matrix never exists whole (`sweep/model.py`).",
        "",
        "The trial is the tutorial's trial seed for seed. After `tf.keras.utils.set_random_seed(seed)`",
        "it draws exactly what the tutorial's code draws: its layers are built in the tutorial's",
        "order, so Keras's unseeded initializers give the same initial weights, and it trains on",
        "the same batches in the same order (Keras's `fit` opens the cached dataset once before its",
        "first epoch, so the tutorial trains on its shuffle's second iteration).",
        "`tests/test_faithful.py` checks the initial weights, every batch, and the trained weights",
        "(equal to 1e-5) against the tutorial's code. What remains is float summation order: it",
        "moves RMSE by less than 1e-4, and top-k only through the few test pairs whose true title's",
        "score ties the k-th best to the last bit (the tutorial computes the positive's score and",
        "the candidates' scores by different kernels).",
        "",
        "Every table below is generated from a result file in `benchmarks/results/` (`python -m",
        "benchmarks.readme --write`; `tests/test_readme.py` checks this file holds exactly that),",
        "each of which records the machine it was measured on. Here: " + machine_line(trial) + ".",
        "",
        *side_by_side(trial),
        "",
    ]
    if (RESULTS / "ablation.json").exists():
        lines += [*ablation_table(load("ablation.json")), ""]
    study = load("study-wall.json") if (RESULTS / "study-wall.json").exists() else None
    lines += [*floor_section(load("floor.json"), study), ""]
    if (RESULTS / "cost-growth.json").exists():
        lines += [*growth_section(load("cost-growth.json")), ""]
    if (RESULTS / "samplers.json").exists():
        lines += [*samplers_section(load("samplers.json")), ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def cost_at_sizes() -> str:
    scale = load("data-scale.json")
    lines = [
        "## Cost at MovieLens sizes",
        "",
        "`scripts/bench-scale --out benchmarks/results/data-scale.json` measures each stage in a fresh",
        "process on synthetic data with each release's ratings, users and movies (real 1M and 20M",
        "cannot be fetched on this machine; the synthetic generator has the same shape), on",
        machine_line(scale) + ":",
        "",
        "| size (ratings / users / movies) | fetch and cache | its peak memory | load + split + prepare | "
        "one training step (8,192 rows) | one epoch | evaluate the test split | peak memory while training |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, entry in scale["sizes"].items():
        size, fetched, trained = entry["size"], entry["fetch"], entry["train"]
        epoch = f"{trained['epoch_seconds']:.1f} s" + (
            "" if trained["epoch_measured_whole"]
            else f" ({trained['steps_per_epoch']:,} steps, from {trained['steps_timed']:,} timed)")
        evaluated = f"{trained['eval_seconds']:.1f} s" + (
            "" if trained["eval_measured_whole"]
            else f" (from {trained['eval_rows_timed']:,} of {trained['test_rows']:,} rows)")
        lines.append(
            f"| {name.upper()} ({size['ratings']:,} / {size['users']:,} / {size['movies']:,}) | {fetched['seconds']:.1f} s | "
            f"{fetched['peak_memory_gib']:.2f} GiB | {trained['load_seconds']:.2f} + {trained['split_seconds']:.2f} + "
            f"{trained['prepare_seconds']:.2f} s | {trained['median_step_seconds']:.3f} s | {epoch} | {evaluated} | "
            f"{trained['peak_memory_gib']:.2f} GiB |")
    largest = scale["sizes"][list(scale["sizes"])[-1]]
    smallest = scale["sizes"][list(scale["sizes"])[0]]
    trained = largest["train"]
    lines += [
        "",
        "A joint step costs the same at every size (its in-batch softmax is 8,192 × 8,192",
        "whatever the catalogue), so an epoch grows with the ratings and evaluation with test rows ×",
        f"movies. The largest size's peak while training is {trained['peak_memory_gib']:.2f} GiB: "
        f"{smallest['train']['peak_memory_gib']:.2f} GiB is what the smallest",
        "needs (mostly TensorFlow's runtime), the rest the tables and their split. A 3-epoch trial",
        f"at the largest size takes 3 × {trained['epoch_seconds']:.1f} s of training plus {trained['eval_seconds']:.1f} s "
        "of evaluation here. A split's first",
        f"computation hashes its rows for the fingerprint (most of the {trained['split_seconds']:.2f} s at the largest "
        "size); later runs read",
        "the rows and the fingerprint from the split cache.",
        "",
        "Nothing in reading, preparing or evaluating grows with users × items: normalization and id",
        "lookups are vectorized, each distinct user id and title is one shared string, checksums",
        "hash a million rows at a time, split rows are cached as `.npy`, and evaluation scores",
        "blocks of 4,096 queries against blocks of 8,192 candidates. `sweep data info` states the",
        "peak memory of the process that fetched and cached the data.",
    ]
    return "\n".join(lines) + "\n"


def _pct(value: float) -> str:
    return f"{value * 100:.1f} %"


def _share(entry: dict) -> str:
    """A share record's median and its interval (or seed values), as percentages."""
    if entry["interval"] is None:
        return f"{_pct(entry['median'])} (seeds: {', '.join(_pct(v) for v in entry['values'])})"
    return f"{_pct(entry['median'])} [{entry['interval'][0] * 100:.1f}–{entry['interval'][1] * 100:.1f}]"


def _figure(entry: dict, digits: int = 4) -> str:
    """A median and its interval, unscaled."""
    if entry["interval"] is None:
        return f"{entry['median']:.{digits}f}"
    return f"{entry['median']:.{digits}f} [{entry['interval'][0]:.{digits}f}–{entry['interval'][1]:.{digits}f}]"


SAME_STEPS = ("shipped", "reference-30", "reference-3", "reference-100", "reference-10-0.03", "reference-10-0.3",
              "rate-0.1", "rate-0.025", "no-zero-pairs", "log-uniform-box", "borrowed-ranges")


def front_points(entry: dict) -> list[int]:
    """How many pairs lie on each training's own front (trained pairs only) inside the trivial baselines'
    box: the points its hypervolume counts."""
    import numpy as np

    from benchmarks.conditioned import front_shapes

    context = json.loads((ROOT / "reports" / "tutorial" / "summary.json").read_text())["context_baselines"]
    reference = {"top_100_accuracy": context["chance_top_100_accuracy"], "rmse": context["global_mean_rmse"]}
    return front_shapes(np.asarray(entry["per_training_metrics"]["metrics"], dtype=float),
                        np.asarray(entry["per_training_metrics"]["trained"], dtype=bool), reference, None)["points"]


def _end_verdict(entry: dict, bound: float, higher: bool = True) -> str:
    """A front end's verdict: reached when its whole interval meets the bound."""
    if entry["interval"] is None:
        return "undetermined"
    low, high = entry["interval"]
    if higher:
        return "reached" if low >= bound else "not reached" if high < bound else "undetermined"
    return "reached" if high <= bound else "not reached" if low > bound else "undetermined"


def _seeds(seeds: list[int]) -> str:
    """Consecutive seeds as a range, others listed."""
    return (f"{seeds[0]}–{seeds[-1]}" if len(seeds) > 2 and seeds == list(range(seeds[0], seeds[-1] + 1))
            else ", ".join(map(str, seeds)))


def _ends(entry: dict) -> str:
    """A variant's share and both front ends on its report seeds, with their intervals."""
    return (f"share {_share(entry['trained_pairs']['shares']['trivial']['share'])}, best top-100 "
            f"{_figure(entry['front_ends']['best_top_100'])}, best RMSE {_figure(entry['front_ends']['best_rmse'])}")


def one_training() -> str:
    from sweep.config import load_study_file

    bench, earlier = load("conditioned.json"), load("conditioned-round-3.json")
    goal, wanted = bench["goal"], bench["goal_set"]
    shipped = bench["variants"]["shipped"]
    trivial = shipped["trained_pairs"]["shares"]
    hybrid, analysis, ends = bench.get("hybrid"), bench["analysis"], shipped["front_ends"]
    settings = load_study_file(ROOT / "studies" / "conditioned.toml").conditioned
    report = bench["seeds"]["report_seeds"]
    cost = bench["cost"]["trainings_worth"]
    context = json.loads((ROOT / "reports" / "tutorial" / "summary.json").read_text())["context_baselines"]
    below_popular = sum(value < context["most_popular_top_100_accuracy"] for value in ends["best_top_100"]["values"])
    above_bias = sum(value > context["user_item_bias_rmse"] for value in ends["best_rmse"]["values"])
    end_verdicts = {"top-100": _end_verdict(ends["best_top_100"], wanted["front_ends"]["top_100_accuracy"]),
                    "RMSE": _end_verdict(ends["best_rmse"], wanted["front_ends"]["rmse"], higher=False)}
    beside = bench["variants"].get("round-3")
    film = settings.conditioning_width > 0
    shapes, longer = analysis["fronts"], bench["mean_pair"]["recipes"]["conditioned"]
    tutorial_recipe = bench["mean_pair"]["recipes"]["tutorial"]
    same = bench["same_recipe_sweep"]
    single = sum(count == 1 for count in shapes["points"])
    same_share = same["comparison"]["conditioned_share"]["shares"]["trivial"]["share"]
    short = [
        f"**In short.** {cost_clause(bench)} "
        + (f"With FiLM (the study file, round {bench['round']}'s choice) its front holds "
           if film else "Its front holds ")
        + f"{_share(trivial['trivial']['share'])} of the 50-pair sweep's hypervolume: share "
        f"{goal['hypervolume_share']['verdict']}, top-100 end {end_verdicts['top-100']}, RMSE end "
        f"{end_verdicts['RMSE']}" + share_caveat(trivial, wanted) + ". "
        + f"Read it beside the same 50 pairs trained statically with the conditioned recipe, of whose front it holds "
        f"{_share(same_share)}: most of the share over 100 % is the longer recipe, not conditioning. "
        + beside_sentence(analysis.get("shipped_minus_round_3"),
                          "round 3's model (no FiLM, 12 epochs, no refit: three changes, not FiLM alone)"
                          if settings.calibrate else "round 3's model without FiLM")
        + (f"The rating MLP is refit alone {settings.calibrate} epochs after {settings.epochs} epochs of training (every "
           "pair's top-k unchanged; rounds 9 and 10). " + beside_sentence(
               analysis.get("shipped_minus_round_8"), "round 8's model (12 epochs, no refit)", "")
           + beside_sentence(analysis.get("shipped_minus_round_9"), "round 9's (12 epochs, then the refit)", "")
           + "(Its top-100 differences from rounds 8 and 9 are one figure: the refit moves no query, so round 9's "
           "models retrieve as round 8's.) "
           if settings.calibrate and "shipped_minus_round_8" in analysis else "")
        + "Each training's front is short: its points lie a median "
        f"{statistics.median(shapes['top_100_span']):.4f} apart in top-100 (at most {max(shapes['top_100_span']):.4f}) "
        f"and {statistics.median(shapes['rmse_span']):.3f} in RMSE (at most {max(shapes['rmse_span']):.3f}), near the "
        f"high-accuracy, low-RMSE corner, and {single} of {len(shapes['points'])} trainings are a single point. "
        "One static model, trained at the mean "
        f"of the pairs the conditioned training draws ({bench['mean_pair']['pair'][0]:.4g}, "
        f"{bench['mean_pair']['pair'][1]:.4g}) with the same recipe ({longer['epochs']} epochs, batches of "
        f"{longer['batch_size']}, Adagrad {longer['learning_rate']:g}, where the tutorial trains "
        f"{tutorial_recipe['epochs']}, {tutorial_recipe['batch_size']}, {tutorial_recipe['learning_rate']:g}"
        + (f"; not the refit's {settings.calibrate} epochs" if settings.calibrate else "") + "), holds "
        f"{_share(longer['share'])} and dominates every point of the conditioned front on "
        f"{sum(shapes['static_dominates_all'])} of {len(shapes['static_dominates_all'])} report seeds; against it, "
        + paired_reading(bench["mean_pair"]) + ". The sweep's 50 "
        "pairs trained with that recipe make a front of which the conditioned one holds "
        f"{_share(same_share)}: "
        + ("against the same pairs trained as long, conditioning falls short"
           if same_share["interval"] and same_share["interval"][1] < wanted["hypervolume_share"] else
           "against the same pairs trained as long, conditioning is not shown to fall short")
        + (f". Without FiLM (round 3, Adagrad {earlier['mean_pair']['recipes']['conditioned']['learning_rate']:g}, "
           f"seeds {_seeds(earlier['seeds']['report_seeds'])}) a training was a single point that ten seeds could not "
           "tell apart from the static model at the mean pair trained with its recipe" if beside else "")
        + (". No conditioned training beats the most-popular top-100 or the user + item bias RMSE"
           if below_popular == above_bias == len(report) else
           f". {len(report) - below_popular} of {len(report)} conditioned trainings beat the most-popular top-100, "
           f"{len(report) - above_bias} the user + item bias RMSE")
        + ", while the same-recipe sweep's fronts reach RMSE "
        + ", ".join(f"{value:.4f}" for value in same["comparison"]["ends"]["best_rmse"])
        + f" (the bias: {context['user_item_bias_rmse']:.4f}).",
    ]
    if hybrid and "served_shares" in hybrid:
        short += ["", "**The hybrid.** " + hybrid_sentence(bench)]
    lines = [
        "## The whole front from one training",
        "",
        *short,
        "",
        "A sweep pays one training per weight pair and seed: the tutorial study's front took 100 (50 pairs, 2 seeds).",
        "A conditioned study (`kind = \"conditioned\"`, studies/README.md) trains one model per seed that is told",
        "the pair it should serve, then evaluates it at any pair without retraining and serves any pair",
        "(`sweep recommend conditioned --weights R,T`, an export with the pair as an input). `studies/conditioned.toml`",
        "draws over the tutorial study's whole search range (" + " × ".join(
            f"{low:g}–{high:g}" for low, high in goal["search_range"].values()) + "), nothing borrowed from a sweep:",
        f"each example's preference λ is uniform on the simplex and trains the pair (λ·{goal['reference'][0]:g}, "
        f"(1 − λ)·{goal['reference'][1]:g}) (the reference pair), λ over every retrieval/rating ratio the box holds. "
        "The network sees only the ratio of the two weights: (3, 0.01) and (30, 0.1) are served by the same model. "
        + (f"FiLM (feature-wise modulation: an MLP {settings.conditioning_width} units wide from the ratio scales and "
           "shifts each user vector" + (f", its output times {settings.film_scale:g} so that each Adagrad step moves "
                                        "the queries less" if settings.film_scale != 1.0 else "") + ") makes a user's query move with the pair, so retrieval trades against ratings "
           "within one model; the rating MLP sees the ratio too. " if film else
           "Only the rating MLP sees it (no FiLM), so a user's query vector is the same at every pair. ")
        + "Each example's retrieval term counts as it would in the static objective, a sum over the tutorial's "
        "batch of 8192 (`sweep/conditioned_pairs.py`, `sweep/conditioned.py`); "
        f"{settings.epochs} epochs of batches of {settings.batch_size}, Adagrad {settings.learning_rate:g}"
        + (f"; then {settings.calibrate} epochs train the rating MLP alone, the embeddings and FiLM frozen, on each "
           "row's unweighted squared error at pairs drawn over the whole box: the rating MLP had ended the training "
           "with a mean offset that changed with the pair, and the refit fits every pair's ratings to the final "
           "embeddings without moving any pair's top-k (its time is in the cost)." if settings.calibrate else "."),
        "",
        "![One conditioned training's front against the 50-pair sweep's](../benchmarks/results/conditioned.png)",
        "",
        "| figure | goal | measured | verdict |",
        "|---|---|---|---|",
        f"| share of the sweep's hypervolume, from the trivial baselines | ≥ {wanted['hypervolume_share'] * 100:.0f} %, "
        f"the interval's low end ≥ {wanted['interval_low'] * 100:.0f} % | {_share(trivial['trivial']['share'])} | "
        f"{goal['hypervolume_share']['verdict']} |",
        f"| best top-100 accuracy among pairs with an RMSE below the global mean | "
        f"≥ {wanted['front_ends']['top_100_accuracy']:g} | {_figure(ends['best_top_100'])} | {end_verdicts['top-100']} |",
        f"| best RMSE | ≤ {wanted['front_ends']['rmse']:g} | {_figure(ends['best_rmse'])} | {end_verdicts['RMSE']} |",
        f"| trainings' worth: training + evaluating 50 pairs, per training of the study file, against one static "
        f"training (the mean of {bench['cost'].get('trainings', {}).get('static', 1)} in one process) | "
        f"≤ {wanted['trainings_worth']:g} | {_figure(cost['total'], 2)} (training "
        f"{cost['training']['median']:.2f}, evaluation {cost['evaluation']['median']:.2f}) | "
        f"{_end_verdict(cost['total'], wanted['trainings_worth'], higher=False)} |",
    ]
    one_seed = bench["cost"].get("readings", {}).get("one_seed")
    if one_seed:
        lines.append(f"| the same, a one-seed study's single training (`studies/hybrid.toml`) | "
                     f"≤ {wanted['trainings_worth']:g} | {_figure(one_seed['total'], 2)} (training "
                     f"{one_seed['training']['median']:.2f}, evaluation {one_seed['evaluation']['median']:.2f}) | "
                     f"{_end_verdict(one_seed['total'], wanted['trainings_worth'], higher=False)} |")
    batched = load("batched-evaluation.json")
    for count, row in batched["by_pairs"].items():
        lines.append(f"| evaluation per (pair, model), {count} pairs at once | ≤ {batched['goal_ms']:g} ms | "
                     f"{_figure(row['batched_ms'], 2)} ms, {_figure(row['ratio'], 1)}× faster than one pair at a time "
                     f"({_figure(row['per_pair_ms'], 1)} ms)"
                     + (f"; the process's first call at that count, compiling its blocks, {row['first_call_ms']:.1f} ms "
                        "(the verdict is on the calls after it)" if "first_call_ms" in row else "") + ", "
                     f"{'the same metrics as one pair at a time' if row['metrics_check']['equal'] else 'metrics NOT the same'} | "
                     f"{row['goal_verdict']} |")
    if "served_shares" in (hybrid or {}):
        chosen = goal["hybrid"]
        lines.append(f"| hybrid: one conditioned training + up to {chosen['verify']} static ones at its front's pairs "
                     f"(`verify = {chosen['verify']}`, `verify_recipe = \"{chosen['verify_recipe']}\"`"
                     + (", `verify_fill = \"layers\"`" if chosen.get("rule") == "layers" else "") + "), the front its "
                     "study holds (the conditioned model and the static models) | ≥ 98 % from ≤ 12 trainings, the interval's low "
                     "end ≥ 98 % | "
                     f"{_goal_share(chosen['hypervolume_share'])} from up to {chosen['trainings']}"
                     + (f" ({chosen['trainings_worth']['median']:.1f} [{chosen['trainings_worth']['interval'][0]:.1f}–"
                        f"{chosen['trainings_worth']['interval'][1]:.1f}] tutorial trainings' worth of time)"
                        if "trainings_worth" in chosen else "")
                     + f" | {chosen['hypervolume_share']['verdict']} from the trivial baselines; from the nadir "
                     f"{chosen['hypervolume_share_other_references']['nadir']['verdict']}, from (0, 1.25) "
                     f"{chosen['hypervolume_share_other_references']['fixed']['verdict']} |")
    lines += [
        "",
        f"Every row but the cost and the evaluation timings is on round {bench['round']}'s report seeds "
        f"{_seeds(report)}, one "
        "training each, which chose nothing (the settings were chosen on other seeds, below). Each training is "
        "evaluated at the sweep's 50 pairs (the tutorial's three among them) "
        "and 81 along the reference line; its front's hypervolume is divided by the mean of the sweep's two "
        "single-seed fronts' (`benchmarks/results/tutorial-study.csv`: 50 pairs × 2 seeds, each front 50 "
        "trainings), so a share above 100 % is a front larger than the sweep's. Medians and 95 % percentile "
        f"bootstrap intervals of the median over the {len(report)} report seeds; the sweep's own two seeds are not "
        "resampled, and they differ: against seed 0's front alone the share is "
        f"{_share(analysis['against_each_sweep_seed']['seed0'])}, against seed 1's "
        f"{_share(analysis['against_each_sweep_seed']['seed1'])}. \"Reached\" when the interval clears the goal, "
        "\"not reached\" when it misses it whole, \"undetermined\" when it straddles it (the share row's goal is the "
        "median at 98 % and the interval's low end at 95 %, as the goal was set; the hybrid's, the low end at 98 %). The top-100 end counts "
        "only pairs whose RMSE beats predicting the global mean. "
        f"{cost_protocol(bench)}(The report run's own "
        "timings, its trainings not alternated with static ones "
        "and with the code before a process reused its traced steps and before evaluation was compiled with XLA, "
        f"give {shipped['trainings_worth']['total']:.2f}.) The fronts above are read from "
        f"{len(shipped['per_training_metrics']['pairs'])} pairs; at the sweep's 50 pairs alone the share is "
        f"{_share(shipped['sweep_pairs']['shares']['trivial']['share'])}. The evaluation timings are "
        f"`scripts/bench-batched-evaluation` (the shipped architecture, FiLM included, trained "
        f"{batched['model_epochs']} epoch, {next(iter(batched['by_pairs'].values()))['batched_ms']['seeds']} "
        "repetitions).",
        "",
        "The same trainings' share against other references and other fronts:",
        "",
        "| share of … | measured |",
        "|---|---|",
        f"| the sweep's hypervolume from the nadir of the compared fronts (their worst top-100 and worst RMSE) | "
        f"{_share(trivial['nadir']['share'])} |",
        f"| the same from top-100 0, RMSE 1.25 | {_share(trivial['fixed']['share'])} |",
        *[f"| the sweep's seed-{key[-1]} front alone, from the trivial baselines | {_share(entry)} |"
          for key, entry in analysis["against_each_sweep_seed"].items()],
        f"| the sweep's, the conditioned model evaluated at the sweep's 50 pairs only | "
        f"{_share(shipped['sweep_pairs']['shares']['trivial']['share'])} |",
    ]
    same, mean = bench.get("same_recipe_sweep"), bench.get("mean_pair")
    if same:
        recipe = same["recipe"]
        lines += [
            f"| the same 50 pairs trained statically with the conditioned recipe ({recipe['epochs']} epochs, batches of "
            f"{recipe['batch_size']}, Adagrad {recipe['learning_rate']:g}; seeds {', '.join(map(str, same['seeds']))}, "
            f"`--same-recipe-sweep`) | {_share(same['comparison']['conditioned_share']['shares']['trivial']['share'])} |",
            f"| (that same-recipe sweep's own share of the tutorial-recipe sweep's) | "
            f"{_share(same['comparison']['same_recipe_over_tutorial_recipe']['shares']['trivial']['share'])} |",
        ]
    if mean:
        lines += [f"| (a static model at the draws' mean pair, the conditioned recipe, one training per report seed: "
                  f"`--mean-pair`) | {_share(mean['recipes']['conditioned']['share'])} |"]
    if beside:
        lines += [f"| (round 3's model, without FiLM, trained beside it on the same seeds) | "
                  f"{_share(beside['trained_pairs']['shares']['trivial']['share'])} |"]
    for name, what in (("round-8", "round 8's model, 12 epochs without the rating MLP's refit"),
                       ("round-9", "round 9's, 12 epochs and the refit")):
        if name in bench["variants"]:
            lines += [f"| ({what}, trained beside it on the same seeds) | "
                      f"{_share(bench['variants'][name]['trained_pairs']['shares']['trivial']['share'])} |"]
    for budget, entry in analysis["tpe"].items():
        what = ("about the conditioned model's own cost" if budget == "3" else
                "the hybrid's count of trainings, not its time; the tutorial's recipe")
        lines.append(f"| (TPE with {budget} trainings, {what}: the first {budget} trials of the sampler benchmark's "
                     f"{len(analysis['tpe_study_seeds'])} TPE studies) | {_share(entry)} |")
    lines += (hides(bench, ends, shipped, context) + without_film(earlier)
              + hybrid_reading(hybrid, analysis, shipped, bench.get("hybrid_recipes", {})))
    rounds_run = max(int(path.stem.rsplit("-", 1)[1]) for path in RESULTS.glob("conditioned-selection-*.json")
                     if path.stem.rsplit("-", 1)[1].isdigit())
    lines += ["", f"The study file's settings were chosen in {rounds_run} selection rounds (round {bench['round']}'s "
              "choice stands), each on selection seeds "
              "of its own, each change reported on report seeds no earlier round had seen. Whether to run another round "
              "was decided after each round's report seeds, and the rounds stopped at the first whose report seeds "
              "reached every goal of the conditioned front: a stopping rule that favours a lucky last report. The rounds, "
              "their written rules and "
              "the variants of round 1 are in [Choosing the conditioned study's settings]"
              "(../benchmarks/README.md#choosing-the-conditioned-studys-settings)."]
    return "\n".join(lines) + "\n"


def choosing() -> str:
    """The conditioned study's selection rounds and round 1's variants (benchmarks/README.md)."""
    from sweep.config import load_study_file

    bench = load("conditioned.json")
    settings = load_study_file(ROOT / "studies" / "conditioned.toml").conditioned
    lines = ["## Choosing the conditioned study's settings", "",
             "`scripts/bench-conditioned --select --round N` trains a round's candidates on its selection seeds and "
             "applies the round's rule, written before the round ran; the chosen settings are then reported on "
             "report seeds no earlier round had seen, in "
             "[The whole front from one training](../reports/README.md#the-whole-front-from-one-training).", ""]
    lines += rounds(bench, settings.learning_rate)[3:]
    lines += round_one_variants()
    return "\n".join(lines) + "\n"


def _goals_met(entry: dict, wanted: dict) -> str:
    """Which of the three goals a variant's medians meet, in words."""
    from benchmarks.conditioned import medians

    share, top, rmse = medians(entry)
    met = [name for name, ok in (("the share goal", share >= wanted["hypervolume_share"]),
                                 ("the top-100 goal", top >= wanted["front_ends"]["top_100_accuracy"]),
                                 ("the RMSE goal", rmse <= wanted["front_ends"]["rmse"])) if ok]
    return " and ".join(met) + " only" if 0 < len(met) < 3 else "every goal" if met else "none of the goals"


def _reaches(verdict: str) -> str:
    """A goal's verdict as a verb: "reaches", "does not reach", "may or may not reach"."""
    return {"reached": "reaches", "not reached": "does not reach"}.get(verdict, "may or may not reach")


def hides(bench: dict, ends: dict, shipped: dict, context: dict) -> list[str]:
    """What a share alone does not say: the shape of each training's front and how it stands against the sweep's."""
    analysis = bench["analysis"]
    ends_of = analysis["sweep_single_seed_ends"]
    above_bias = sum(value > context["user_item_bias_rmse"] for value in ends["best_rmse"]["values"])
    below_popular = sum(value < context["most_popular_top_100_accuracy"] for value in ends["best_top_100"]["values"])
    points = front_points(shipped)
    best = ends["best_top_100"]["median"]
    beyond = [f"seed {key[-1]}'s ({end['top_100_accuracy']:.4f} at RMSE {end['rmse']:.4f})" for key, end in ends_of.items()
              if end["top_100_accuracy"] > best]
    short_of = [f"seed {key[-1]}'s ({end['top_100_accuracy']:.4f} at RMSE {end['rmse']:.4f})"
                for key, end in ends_of.items() if end["top_100_accuracy"] <= best]
    shares = shipped["trained_pairs"]["shares"]["trivial"]["share"]["values"]
    study = json.loads((ROOT / "reports" / "conditioned" / "summary.json").read_text())
    on_front = study["front"]
    lines = [
        "",
        f"**What the front looks like.** Each training's front has {', '.join(map(str, points))} points (by report "
        f"seed; a pair with a zero weight counted where it is on the front, which `verify` does not train); "
        f"its share by seed runs from {_pct(min(shares))} to {_pct(max(shares))} "
        f"({sum(value < 0.95 for value in shares)} of {len(shares)} below 95 %). By training, the front dominates, "
        + "; ".join(f"of seed {key[-1]}'s {ends_of[key]['front_points']} front points, {', '.join(map(str, counts))}"
                    for key, counts in analysis["dominated"].items())
        + ". " + ("Neither sweep front's low-RMSE end is dominated by any training (" if not any(
            end["dominated_by_trainings"] for end in analysis["low_rmse_end"].values()) else "The fronts' low-RMSE ends (")
        + "; ".join(f"seed {key[-1]}'s top-100 {end['top_100_accuracy']:.4f} at RMSE {end['rmse']:.4f}"
                    + (f", dominated by {end['dominated_by_trainings']} of {len(points)} trainings"
                       if end["dominated_by_trainings"] else "")
                    for key, end in analysis["low_rmse_end"].items())
        + f"). Its best top-100 (median {best:.4f}) "
        + (("falls short of " + " and ".join(beyond)) if beyond else "")
        + (" and " if beyond and short_of else "")
        + (("exceeds " + " and ".join(short_of)) if short_of else "")
        + ", the sweep's single-seed high-accuracy ends. "
        f"{below_popular} of the {len(ends['best_top_100']['values'])} trainings' best top-100 lie below the "
        f"most-popular top-100 ({context['most_popular_top_100_accuracy']:.4f}) and {above_bias} of their best RMSE "
        f"above the user + item bias ({context['user_item_bias_rmse']:.4f}). " + against_mean_pair(bench),
        "",
        f"`reports/conditioned/` is `sweep run studies/conditioned.toml` itself ({on_front[0]['n_seeds']} seeds, "
        "its pairs' seed means, rendered from `reports/storages/conditioned.db`): its front has "
        f"{len(on_front)} pairs, from top-100 {max(p['top_100_accuracy'] for p in on_front):.4f} at RMSE "
        f"{max(on_front, key=lambda p: p['top_100_accuracy'])['rmse']:.4f} to RMSE "
        f"{min(p['rmse'] for p in on_front):.4f} at top-100 "
        f"{min(on_front, key=lambda p: p['rmse'])['top_100_accuracy']:.4f}. Its summary's "
        f"{_pct(study['hypervolume']['share_of_best'])} of the best front stored is another comparison: its seed-mean "
        "front against the front of both studies in that storage (this one and the tutorial study), not each "
        "training against the sweep's single-seed fronts as here. Its seeds' own best RMSE are "
        + ", ".join(f"{value:.4f}" for value in study_seed_best_rmse())
        + f" (the report seeds': {min(ends['best_rmse']['values']):.4f}–{max(ends['best_rmse']['values']):.4f}), and a "
        "seed-mean front is only as good at a pair as its seeds together.",
    ]
    return lines


def study_seed_best_rmse(name: str = "conditioned") -> list[float]:
    """Each seed's best RMSE over a committed conditioned study's pairs (reports/NAME/trials.csv)."""
    import csv

    with (ROOT / "reports" / name / "trials.csv").open(newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row["study"] == name and row["state"] == "COMPLETE"]
    seeds = sorted(int(key[4:-5]) for key in rows[0] if key.startswith("seed") and key.endswith("_rmse"))
    return [min(float(row[f"seed{k}_rmse"]) for row in rows if row[f"seed{k}_rmse"]) for k in seeds]


def _signed(entry: dict, digits: int, scale: float = 1.0, unit: str = "") -> str:
    """A paired difference's median and interval, with their signs."""
    low, high = entry["interval"]
    return f"{entry['median'] * scale:+.{digits}f}{unit} [{low * scale:+.{digits}f}, {high * scale:+.{digits}f}]"


def ahead_of_static(mean_pair: dict) -> tuple[list[str], list[str]]:
    """Where the static model at the draws' mean pair is ahead of the conditioned front beyond the seeds'
    noise, and where the conditioned front is ahead of it (paired differences' intervals clear of zero)."""
    difference = mean_pair["shipped_minus_static"]
    names = {"share": "share", "top_100": "top-100", "rmse": "RMSE"}
    better = {"share": 1, "top_100": 1, "rmse": -1}  # the sign of a difference that favours the conditioned model
    static_ahead = [names[name] for name, entry in difference.items()
                    if max(value * better[name] for value in entry["interval"]) < 0]
    ours_ahead = [names[name] for name, entry in difference.items()
                  if min(value * better[name] for value in entry["interval"]) > 0]
    return static_ahead, ours_ahead


def paired_reading(mean_pair: dict) -> str:
    """The paired comparison with the static model at the mean pair, in words."""
    static_ahead, ours_ahead = ahead_of_static(mean_pair)
    parts = [f"the {who} is ahead on {' and '.join(ahead)}" for who, ahead in
             (("static model", static_ahead), ("conditioned front", ours_ahead)) if ahead]
    return ("seed by seed " + " and ".join(parts) + " beyond the seeds' noise" if parts else
            "seed by seed the conditioned front and that static model are not told apart")


def against_mean_pair(bench: dict) -> str:
    """The shipped front against one static model at the draws' mean pair with the same recipe, seed by seed."""
    runs = bench.get("mean_pair")
    if not runs:
        return ""
    difference, static = runs["shipped_minus_static"], runs["recipes"]["conditioned"]
    return (f"One static model at the draws' mean pair ({runs['pair'][0]:.4g}, {runs['pair'][1]:.4g}) trained with "
            f"the same recipe (`--mean-pair`) reaches top-100 {_figure(static['top_100'])} at RMSE "
            f"{_figure(static['rmse'])}; seed by seed the conditioned front's share minus that model's is "
            f"{_signed(difference['share'], 1, 100, ' points')}, its best top-100 {_signed(difference['top_100'], 4)}, its "
            f"best RMSE {_signed(difference['rmse'], 4)} (medians of the differences, 95 % intervals)"
            + ": " + paired_reading(runs) + ".")


def without_film(earlier: dict) -> list[str]:
    """Round 3's model, without FiLM: a single point per training, and where its share came from."""
    runs = earlier["mean_pair"]
    longer, tutorial = runs["recipes"]["conditioned"], runs["recipes"]["tutorial"]
    difference = runs["shipped_minus_static"]
    rating, retrieval = runs["pair"]
    same = earlier["same_recipe_sweep"]
    blind = earlier["variants"]["shipped"]
    share = same["comparison"]["conditioned_share"]["shares"]["trivial"]["share"]
    own = same["comparison"]["same_recipe_over_tutorial_recipe"]["shares"]["trivial"]["share"]

    return [
        "",
        "**Without FiLM: one model, as good as one static model trained as long.** Round 3's model (no FiLM, Adagrad "
        f"{longer['learning_rate']:g}; report seeds {_seeds(earlier['seeds']['report_seeds'])}, "
        f"`benchmarks/results/conditioned-round-3.json`) held {_ends(blind)}, each training's front a single point: "
        "a user's query does not depend on the pair, so retrieval is one for every pair and the pair moves only "
        "the rating MLP. Every loss term is linear in its weight, so the layers that do not see the pair follow on "
        f"average the gradient of one pair, the draws' mean ({rating:.4g}, {retrieval:.4g}). A static model trained "
        f"there with round 3's conditioned recipe ({longer['epochs']} epochs, batches of {longer['batch_size']}, Adagrad "
        f"{longer['learning_rate']:g}; `--mean-pair`), one per report seed, holds {_share(longer['share'])} at top-100 "
        f"{_figure(longer['top_100'])}, RMSE {_figure(longer['rmse'])}; seed by seed the conditioned model differs "
        f"from it by {_signed(difference['share'], 1, 100, ' points')} in share, {_signed(difference['top_100'], 4)} in "
        f"top-100, {_signed(difference['rmse'], 4)} in RMSE (medians of the differences, 95 % intervals): no "
        "difference ten seeds can tell apart, though a share difference of a tenth either way would also fit. At the "
        f"same pair the tutorial's recipe holds {_share(tutorial['share'])}. Trained with that {longer['epochs']}-epoch recipe, "
        f"the sweep's own 50 pairs (seeds {', '.join(map(str, same['seeds']))}) make fronts holding {_share(own)} of "
        f"the tutorial-recipe sweep's, and that model holds {_share(share)} of theirs. Its share over the sweep is "
        "consistent with coming from the recipe (four times the epochs, a lower rate, smaller batches), which the "
        "sweep's static trainings do not use, rather than from conditioning; it offers no choice between "
        "trade-offs, which is why round 4 asked for a front.",
    ]


def hybrid_reading(hybrid: dict | None, analysis: dict, shipped: dict, bench_recipes: dict) -> list[str]:
    """What `verify` recovers: per report seed, the conditioned front alone, and with each recipe the front its
    study holds and the static models alone."""
    if not hybrid or "served_shares" not in hybrid or "served_shares" not in bench_recipes.get("conditioned", {}):
        return []
    round_one = load("conditioned-round-1.json")
    film = round_one["hybrid_variants"]["film-16"]
    longer = bench_recipes["conditioned"]

    def values(shares: dict) -> list[float]:
        return shares["shares"]["trivial"]["share"]["values"]

    layered = load("conditioned.json").get("hybrid_layers")
    columns = zip(hybrid["runs"], shipped["trained_pairs"]["shares"]["trivial"]["share"]["values"],
                  values(hybrid["served_shares"]["against_tutorial_recipe_sweep"]), values(hybrid["hybrid_shares"]),
                  *([values(layered["served_shares"]["against_tutorial_recipe_sweep"]), values(layered["hybrid_shares"])]
                    if layered else []),
                  values(longer["served_shares"]["against_tutorial_recipe_sweep"]),
                  values(longer["shares"]["against_tutorial_recipe_sweep"]))
    lines = [
        "",
        f"**What the static models add.** `verify = {hybrid['verify']}` trains up to that many of each training's "
        "front pairs statically (neither weight zero; greedily by hypervolume; with `verify_fill = \"layers\"` a "
        "short front filled from the next layers), with the tutorial's recipe "
        "(`verify_recipe = \"train\"`, the default) or the conditioned model's. The study then holds both kinds of "
        "model, and its front (`sweep report`, `sweep pick`) is made of both; without the conditioned model a user "
        "has the static models alone. Each seed's share of the sweep's hypervolume, from the trivial baselines:",
        "",
        "| report seed | pairs verified (the front alone) | the conditioned front alone | tutorial recipe: the study's "
        "front | its "
        "static models alone | " + ("tutorial recipe, layers: the study's front | its static models alone | "
                                    if layered else "")
        + "conditioned recipe: the study's front | its static models alone |",
        "|---|---|---|---|---|---|---|" + ("---|---|" if layered else ""),
    ]
    for run, alone, *shares in columns:
        lines.append(f"| {run['seed']} | {len(run['pairs'])} | {_pct(alone)} | " + " | ".join(map(_pct, shares)) + " |")
    lines += [
        "",
        "Seed by seed the static models add "
        f"{_signed(hybrid['served_minus_conditioned_alone'], 1, 100, ' points')} to the conditioned front with the "
        f"tutorial's recipe and {_signed(longer['served_minus_conditioned_alone'], 1, 100, ' points')} with the "
        "conditioned one (each verifying the front alone; the layers' figures are in the hybrid's paragraph). A pair "
        "on the conditioned front is a coordinate of a model trained over every pair with a longer recipe; a static "
        "training at that pair with the tutorial's recipe lands elsewhere, most often short "
        "of it. Like the conditioned front's, the study's front is chosen on the test split among every point it "
        "holds (131 pairs and the static models, against the sweep's 50 trials), so it is optimistic in the same way. "
        f"TPE with {hybrid['trainings']} trainings and the tutorial's recipe holds "
        f"{_share(analysis['tpe'][str(hybrid['trainings'])])}"
        if str(hybrid["trainings"]) in analysis["tpe"] else "",
    ]
    lines[-1] += (f"; round 1's FiLM model verified with the tutorial's recipe (`film-16`, when pairs with a zero weight could "
                  f"still be chosen; report seeds "
                  f"{_seeds(round_one['seeds']['report_seeds'])}, up to {film['trainings']} trainings) held, static "
                  f"models alone, {_share(film['hybrid_shares']['shares']['trivial']['share'])} (five seeds: the "
                  "interval is their range).")
    return lines + hybrid_study() + same_recipe_hybrid(bench_recipes, hybrid, analysis)


def hybrid_study() -> list[str]:
    """The hybrid as a study a user runs (studies/hybrid.toml, one seed) and what its report shows."""
    summary = json.loads((ROOT / "reports" / "hybrid" / "summary.json").read_text())
    verified = summary["verified"]
    static = [row["top_100_accuracy"]["static"] for row in verified]
    rmse = [row["rmse"]["static"] for row in verified]
    conditioned = [row["top_100_accuracy"]["conditioned"] for row in verified]
    conditioned_rmse = [row["rmse"]["conditioned"] for row in verified]
    dominated = sum(c_top >= s_top and c_rmse <= s_rmse for c_top, s_top, c_rmse, s_rmse
                    in zip(conditioned, static, conditioned_rmse, rmse))
    joined = [row for row in verified if row["pareto"]]
    return [
        "",
        "`sweep run studies/hybrid.toml` runs this hybrid as a study, with one seed (the study's seed 0, not a report "
        f"seed; [its report](hybrid/index.html)): it verified {len(verified)} pairs, and the static models trained there "
        f"reach RMSE {min(rmse):.4f}–{max(rmse):.4f} at top-100 {min(static):.4f}–{max(static):.4f}, where the "
        f"conditioned model held RMSE {min(conditioned_rmse):.4f}–{max(conditioned_rmse):.4f} at top-100 "
        f"{min(conditioned):.4f}–{max(conditioned):.4f} at the same pairs: its point dominates the static model's at "
        f"{dominated} of the {len(verified)}. {len(joined)} of them {'joins' if len(joined) == 1 else 'join'} the study's "
        "front" + (" (RMSE " + ", ".join(f"{row['rmse']['static']:.4f}" for row in joined) + ")" if joined else "")
        + ", beside the conditioned model's points.",
    ]


def _goal_share(entry: dict) -> str:
    """A goal object's share (median, low, high), as percentages."""
    return f"{_pct(entry['median'])} [{entry['low'] * 100:.1f}–{entry['high'] * 100:.1f}]"


RECIPE_WORDS = {"conditioned": "the conditioned model's own recipe", "train": "the tutorial's recipe"}


def share_caveat(shares: dict, wanted: dict) -> str:
    """Where the share goal as set (median and a floor for the low end) is reached but the whole interval does
    not clear the median's goal, or another reference puts the median below it: said."""
    trivial, fixed = shares["trivial"]["share"], shares["fixed"]["share"]
    goal = wanted["hypervolume_share"]
    notes = []
    if trivial["interval"] and trivial["median"] >= goal > trivial["interval"][0]:
        notes.append(f"the goal as set, median ≥ {goal * 100:.0f} % and low end ≥ {wanted['interval_low'] * 100:.0f} %; "
                     f"the interval as a whole does not clear {goal * 100:.0f} %")
    if fixed["median"] < goal <= trivial["median"]:
        notes.append(f"from (0, 1.25) the median is {_pct(fixed['median'])}")
    return f" (share: {'; '.join(notes)})" if notes else ""


def beside_sentence(minus: dict | None, who: str = "round 3's model without FiLM",
                    behind_reading: str = ", the price of fronts of several points") -> str:
    """The study file's model against another trained beside it on the same report seeds (round 3's without FiLM,
    or the study file before the last round's change)."""
    if not minus:
        return ""
    behind = [name for name, entry in minus.items() if entry["interval"] and (
        entry["interval"][1] < 0 if name != "rmse" else entry["interval"][0] > 0)]
    ahead = [name for name, entry in minus.items() if entry["interval"] and (
        entry["interval"][0] > 0 if name != "rmse" else entry["interval"][1] < 0)]
    words = {"share": ("share", 1, 100, " points"), "top_100": ("best top-100", 4, 1, ""), "rmse": ("best RMSE", 4, 1, "")}
    figures = ", ".join(f"{words[name][0]} {_signed(entry, *words[name][1:])}" for name, entry in minus.items())
    sides = [f"{side} on " + " and ".join(words[name][0] for name in names)
             for side, names in (("ahead", ahead), ("behind", behind)) if names]
    reading = (": behind on every goal figure beyond the seeds' noise" + behind_reading if len(behind) == len(minus) else
               ": " + ", ".join(sides) + " beyond the seeds' noise" if sides else ": no difference beyond the seeds' noise")
    return f"On the same report seeds, seed by seed, it differs from {who} trained beside it by {figures}{reading}. "


def robustness_clause(robust: dict, share: dict) -> str:
    """What the verdict rests on: the seed at its interval's low end, the seeds left out one at a time, a BCa
    interval, the sweep's two fronts apart; "narrow" when any of them would not give the same verdict."""
    bca, apart = robust["bca"], robust["against_each_sweep_seed"]
    left = [entry for entry in robust["left_out"] if entry["verdict"] != share["verdict"]]
    firm = not left and bca["verdict"] == share["verdict"] and all(
        entry["verdict"] == share["verdict"] for entry in apart.values())
    return ((". The verdict holds read other ways" if firm else ". Not every reading gives that verdict")
            + (f": the low end is report seed {robust['low_end_seed']}'s share" if len(robust.get("low_end_seeds", [0])) == 1
               else f": the interval's low end, {share['low'] * 100:.1f} %, is the mean of two report seeds' shares ("
               + "report seeds " + " and ".join(map(str, robust["low_end_seeds"]))
               + "; with ten seeds a resampled median is the mean of two middle values)")
            + (", where the static models add nothing to the conditioned front"
               if robust["low_end_seed_static_models_add"] == 0 else "")
            + f"; leaving out one report seed at a time, it stays {share['verdict']} in "
            f"{len(robust['left_out']) - len(left)} of {len(robust['left_out'])} cases"
            + (f" (in the others the low end falls to {min(entry['low'] for entry in left) * 100:.1f} %)" if left else "")
            + f"; a BCa interval (scipy) gives [{bca['low'] * 100:.1f}–{bca['high'] * 100:.1f}] ({bca['verdict']}); "
            f"against the sweep's seed-0 front alone the share is {_goal_share(apart['seed0'])} "
            f"({apart['seed0']['verdict']}), against seed 1's {_goal_share(apart['seed1'])} ({apart['seed1']['verdict']})")


def hybrid_sentence(bench: dict) -> str:
    """The short verdict's close: the goal's hybrid (its recipe and fill chosen on selection seeds) read as its study
    holds it, at three references, beside its static models alone, the other hybrids, TPE and the same-recipe sweep."""
    from benchmarks.conditioned_hybrid import hybrids_of

    goal = bench["goal"]
    chosen = goal["hybrid"]
    name = chosen["verify_recipe"] + ("_layers" if chosen["rule"] == "layers" else "")
    selection = load("conditioned-hybrid-selection.json")
    choice = selection["recipe_choice"]
    other = "train" if choice["chosen"] == "conditioned" else "conditioned"
    share, others = chosen["hypervolume_share"], chosen["hypervolume_share_other_references"]
    worth = chosen.get("trainings_worth")
    tpe = bench["hybrid_recipes"]["conditioned"]["tpe"]
    margin = share["low"] - 0.98
    minus = tpe["minus_served_hybrids"][name]
    added = hybrids_of(bench)[name]["served_minus_conditioned_alone"]
    fill = (", a front shorter than that topped up from the next layers (`verify_fill = \"layers\"`)"
            if chosen["rule"] == "layers" else "")
    conditioned_worth = bench.get("cost", {}).get("readings", {}).get("one_seed", {}).get("total", {}).get("median")
    verified = hybrids_of(bench)[name]["verified_median"]
    estimate = ("" if worth or conditioned_worth is None else
                f" (about {conditioned_worth + verified:.1f} tutorial trainings' worth of time at the median, "
                f"estimated: the conditioned training's {conditioned_worth:.2f} and {verified:g} static ones)")
    rest = [(key, entry) for key, entry in (("tutorial's recipe, the front alone", goal.get("hybrid_tutorial_recipe")),
                                            ("tutorial's recipe, the layers", goal.get("hybrid_tutorial_recipe_layers")),
                                            ("conditioned recipe, the front alone", goal.get("hybrid_conditioned_recipe")),
                                            ("conditioned recipe, the layers", goal.get("hybrid_conditioned_recipe_layers")))
            if entry and entry is not chosen and (entry["verify_recipe"], entry["rule"]) !=
            (chosen["verify_recipe"], chosen["rule"])]
    return (
        f"`studies/hybrid.toml` trains one conditioned model, then up to {chosen['verify']} static models with "
        f"{RECIPE_WORDS[chosen['verify_recipe']]} at pairs of its front, pairs with neither weight zero "
        f"(`verify = {chosen['verify']}`){fill}. It {_reaches(share['verdict'])} the hybrid's goal, at least 98 % of the "
        "sweep's hypervolume from at most 12 trainings, measured from the trivial baselines against the mean of the "
        "sweep's two seeds: the study's front, the conditioned model with the static models beside it, holds "
        f"{_goal_share(share)} in up to {chosen['trainings']} trainings{estimate}"
        + (f", {worth['median']:.1f} [{worth['interval'][0]:.1f}–{worth['interval'][1]:.1f}] tutorial trainings' worth "
           "of time" if worth else "")
        + (f" (the interval's low end clears 98 % by {margin * 100:.1f} points)" if share["verdict"] == "reached"
           and margin < 0.01 else "")
        + (robustness_clause(chosen["robustness"], share) if "robustness" in chosen else "")
        + f"; measured from the compared fronts' nadir (the worst of each objective over the points compared, so it "
        f"moves with them) it holds {_goal_share(others['nadir'])} and from (0, 1.25) "
        f"{_goal_share(others['fixed'])}: "
        + (f"{others['nadir']['verdict']} from both" if others["nadir"]["verdict"] == others["fixed"]["verdict"] else
           f"{others['nadir']['verdict']} and {others['fixed']['verdict']}")
        + ". The conditioned model carries it: its front alone holds "
        f"{_share(bench['variants']['shipped']['trained_pairs']['shares']['trivial']['share'])}, "
        f"the static models add {_signed(added, 1, 100, ' points')} seed by seed, and alone they hold "
        f"{_goal_share(chosen['static_models_alone'])}. Its recipe was chosen "
        f"on selection seeds {_seeds(selection['selection_seeds'])}, where the study's front held "
        f"{_pct(choice['medians'][choice['chosen']])} with {RECIPE_WORDS[choice['chosen']]} against "
        f"{_pct(choice['medians'][other])} with {RECIPE_WORDS[other]}"
        + (" (a near tie)" if abs(choice["medians"][choice["chosen"]] - choice["medians"][other]) < 0.01 else "")
        + (f", and its fill there too, chosen with the conditioned recipe's static models alone "
           f"({_pct(selection['medians']['layers'])} filled from the layers, {_pct(selection['medians']['front'])} from "
           "the front alone): the shipped combination, the tutorial's recipe with the layers, was not itself run on "
           "the selection seeds" if chosen["rule"] == "layers" and chosen["verify_recipe"] == "train" else "")
        + "; on the report seeds the other hybrids' study fronts hold "
        + ", ".join(f"{_goal_share(entry['hypervolume_share'])} ({key}, {entry['hypervolume_share']['verdict']})"
                    for key, entry in rest)
        + ". These shares are of the tutorial-recipe sweep. TPE with the "
        f"conditioned recipe holds {_share(tpe['shares']['against_tutorial_recipe_sweep']['shares']['trivial']['share'])} "
        f"from {tpe['trainings']} trainings, about {tpe['trainings_worth_estimate']:.0f} tutorial trainings' worth "
        f"(estimated, not timed): {_signed(minus, 1, 100, ' points')} over the hybrid's study front (unpaired), "
        + ("a difference its seeds cannot tell from none" if minus["interval"][0] <= 0 <= minus["interval"][1] else
           "a difference beyond its seeds' noise")
        + ".")


def same_recipe_hybrid(recipes: dict, hybrid: dict, analysis: dict) -> list[str]:
    """The hybrid with its pairs trained as the conditioned model was (`verify_recipe = "conditioned"`), beside
    the tutorial-recipe hybrid, TPE with either recipe, and the layered choice `verify` does not make: one table."""
    from benchmarks.conditioned_hybrid import goal_share

    front, layers = recipes.get("conditioned"), recipes.get("conditioned_layers")
    if not front or not layers or "tpe" not in front or "minus_served_hybrids" not in front["tpe"]:
        return []
    recipe, tpe, each = front["recipe"], front["tpe"], front["one_training_worth"]
    selection = load("conditioned-hybrid-selection.json")

    def share(entry: dict, against: str = "against_tutorial_recipe_sweep") -> str:
        return _share(entry[against]["shares"]["trivial"]["share"])

    def worth(entry: dict) -> str:
        low, high = entry["trainings_worth"]["interval"]
        return f"{entry['trainings_worth']['median']:.1f} [{low:.1f}–{high:.1f}]"

    def reached(share_entry: dict) -> str:
        return goal_share(share_entry)["verdict"] + " (judged against the hybrid's goal)"

    conditioned_worth = front["trainings_worth"]["conditioned_training_and_evaluation"]
    bench = load("conditioned.json")
    evaluation = bench["cost"].get("readings", {}).get("one_seed", {}).get("evaluation", {}).get(
        "median", bench["goal"]["trainings_worth"]["evaluation"])  # the hybrid's one conditioned training's
    pairs = len(bench["variants"]["shipped"]["per_training_metrics"]["pairs"])
    tpe_share = tpe["shares"]["against_tutorial_recipe_sweep"]["shares"]["trivial"]["share"]
    values = hybrid["hybrid_shares"]["shares"]["trivial"]["share"]["values"]
    lost = [run["seed"] for run, value in zip(hybrid["runs"], values) if len(run["pairs"]) == 1 and value == 0]
    medians = selection["medians"]
    short = [run for run in selection["runs"] if run["front_points"] < selection["verify"]]
    minus, served = tpe["minus_hybrids"], tpe["minus_served_hybrids"]
    tutorial_layers = bench.get("hybrid_layers")
    tutorial_tpe = analysis["tpe"][str(tpe["trainings"])]
    return [
        "",
        f"**Verified with the conditioned model's own recipe** (`verify_recipe = \"conditioned\"`: "
        f"{recipe['epochs']} epochs, batches of {recipe['batch_size']}, Adagrad {recipe['learning_rate']:g}; the "
        "retrieval loss is a sum over the batch, so with half the tutorial's batch the retrieval weight trained with "
        f"is {recipe['retrieval_weight_factor']:g} × the pair's, as in every same-recipe training here; the trial "
        "records the front's pair as it is). Time is in tutorial trainings' worth (one static training of the "
        "tutorial's recipe at (1, 1)); each training with this recipe costs "
        f"{each['median']:.2f} [{each['interval'][0]:.2f}–{each['interval'][1]:.2f}] of them. Pairs with a zero "
        "weight are not verified (a static training there learns nothing of that task). `verify` trains the front, "
        f"fewer than K = {front['verify']} pairs when the front is shorter; with `verify_fill = \"layers\"` the next "
        "non-dominated layers fill the rest. On "
        f"the selection seeds {_seeds(selection['selection_seeds'])} (`scripts/bench-conditioned-hybrid --select-fill`, "
        "the conditioned recipe) the two rules' static models alone held a median of "
        f"{_pct(medians['front'])} (the front alone) and {_pct(medians['layers'])} (the layers), and the rule, written "
        f"before, took {'the layers' if selection['chosen'] == 'layers' else 'the front alone'}"
        + (" (a tie goes to the front)" if medians["front"] == medians["layers"] else "")
        + f"; {len(short)} of the {len(selection['runs'])} selection trainings had a front shorter than K.",
        "",
        f"| report seeds {_seeds([run['seed'] for run in front['runs']])} (TPE: its study seeds) | trainings: 1 "
        "conditioned + the median of the static ones | time, tutorial trainings' worth (the conditioned training's "
        "included) | the study's front: share of the tutorial-recipe sweep | the study's front: share of the same-recipe "
        "sweep | the static models alone: share of the tutorial-recipe sweep | the static models alone: share of the "
        "same-recipe sweep | the study's front: ≥ 98 % of the tutorial-recipe sweep from ≤ 12 trainings |",
        "|---|---|---|---|---|---|---|---|",
        f"| hybrid, tutorial recipe (`verify_recipe = \"train\"`) | 1 + {hybrid['verified_median']:g} | "
        f"about {conditioned_worth + hybrid['verified_median']:.1f} ({conditioned_worth:.2f} + {hybrid['verified_median']:g}: "
        "each static one a tutorial training; not timed) | "
        f"{share(hybrid['served_shares'])} | {share(hybrid['served_shares'], 'against_same_recipe_sweep')} | "
        f"{_share(hybrid['hybrid_shares']['shares']['trivial']['share'])} | not measured | {hybrid['served_verdict']} |",
        f"| hybrid, conditioned recipe (`verify_recipe = \"conditioned\"`) | 1 + {front['verified_median']:g} | "
        f"{worth(front)} | {share(front['served_shares'])} | {share(front['served_shares'], 'against_same_recipe_sweep')} | "
        f"{share(front['shares'])} | "
        f"{share(front['shares'], 'against_same_recipe_sweep')} | {front['served_verdict']} |",
        *([f"| hybrid, tutorial recipe, layers (`verify_fill = \"layers\"`) | 1 + {tutorial_layers['verified_median']:g} | "
           f"about {conditioned_worth + tutorial_layers['verified_median']:.1f} (not timed) | "
           f"{share(tutorial_layers['served_shares'])} | "
           f"{share(tutorial_layers['served_shares'], 'against_same_recipe_sweep')} | "
           f"{_share(tutorial_layers['hybrid_shares']['shares']['trivial']['share'])} | not measured | "
           f"{tutorial_layers['served_verdict']} |"] if tutorial_layers else []),
        f"| hybrid, conditioned recipe, layers | 1 + {layers['verified_median']:g} | "
        f"{worth(layers)} | {share(layers['served_shares'])} | {share(layers['served_shares'], 'against_same_recipe_sweep')} | "
        f"{share(layers['shares'])} | "
        f"{share(layers['shares'], 'against_same_recipe_sweep')} | {layers['served_verdict']} |",
        f"| TPE, tutorial recipe ({len(analysis['tpe_study_seeds'])} study seeds) | {tpe['trainings']} | "
        f"{tpe['trainings']} (not timed) | {_share(tutorial_tpe)} | not measured | the same (every model static) | "
        f"not measured | {reached(tutorial_tpe)} |",
        f"| TPE, conditioned recipe ({len(tpe['study_seeds'])} study seeds) | {tpe['trainings']} | about "
        f"{tpe['trainings_worth_estimate']:.0f} (estimated: not timed) | {share(tpe['shares'])} | "
        f"{share(tpe['shares'], 'against_same_recipe_sweep')} | the same | the same | {reached(tpe_share)} |",
        "",
        f"At the same pairs, seed by seed, the conditioned recipe adds "
        f"{_signed(front['minus_tutorial_recipe_hybrid'], 1, 100, ' points')} to the tutorial recipe's static models "
        f"alone and {_signed(front['served_minus_tutorial_recipe_served'], 1, 100, ' points')} to its study front, at "
        f"{each['median']:.1f} times the time per training; the layers add "
        f"{_signed(layers['minus_front_only'], 1, 100, ' points')} to the front-only rule's static models (where a front has "
        f"{front['verify']} points or more the two train the same pairs; elsewhere the layers never subtract), at "
        f"{layers['trainings_worth']['median']:.1f} against {front['trainings_worth']['median']:.1f} trainings' worth. "
        + over_twelve(conditioned_worth, {"the tutorial recipe": hybrid, "the tutorial recipe with the layers":
                                          tutorial_layers, "the conditioned recipe": front,
                                          "the conditioned recipe with the layers": layers})
        + f"Each hybrid's time adds the conditioned training's median, {conditioned_worth:.2f} (a process's first), as "
        "a constant: its own interval is not carried. "
        + f"The conditioned training's time counts evaluating 50 pairs, not the {pairs} the study's front is read from: "
        f"evaluating 50 is {evaluation:.2f} of its {conditioned_worth:.2f}, so {pairs}, in proportion, would add "
        f"{evaluation * (pairs / 50 - 1):.2f} (the time per pair is about the same at 50 and {pairs} pairs: the "
        "evaluation rows above). "
        + "Where a training's front is a single pair its static models alone are one model"
        + (f", which can land outside the region beyond the trivial baselines and add nothing (seed{'s' if len(lost) > 1 else ''} "
           f"{', '.join(map(str, lost))} above)" if lost else "")
        + ". TPE with the conditioned recipe less each study's front, unpaired (TPE ran on other seeds): "
        f"{_signed(served['train'], 1, 100, ' points')} against the tutorial-recipe hybrid, "
        + (f"{_signed(served['train_layers'], 1, 100, ' points')} against the tutorial-recipe layers, "
           if "train_layers" in served else "")
        + f"{_signed(served['conditioned'], 1, 100, ' points')} against the conditioned-recipe one and "
        f"{_signed(served['conditioned_layers'], 1, 100, ' points')} against its layers; TPE less the static models "
        f"alone, {_signed(minus['front'], 1, 100, ' points')} for the front-only hybrid and "
        f"{_signed(minus['layers'], 1, 100, ' points')} for the layers; its time, about "
        f"{tpe['trainings_worth_estimate']:.0f} tutorial trainings' worth, is about the layers'. Each study's front, "
        "the hybrid's from 131 pairs and its static models, TPE's from its 12 trials, is chosen on the test split.",
    ]


def rounds(bench: dict, rate: float) -> list[str]:
    """The three selection rounds: each one's seeds, candidates, rule and choice, and its report seeds' figures."""
    from benchmarks.conditioned import median_front_points, medians, share_verdict

    first, second, pooled_run = load("conditioned-selection.json"), load("conditioned-selection-2.json"), \
        load("conditioned-round-2.json")
    third, fourth = load("conditioned-selection-3.json"), load("conditioned-selection-4.json")
    fifth, round_four = load("conditioned-selection-5.json"), load("conditioned-round-4.json")
    sixth, seventh = load("conditioned-selection-6.json"), load("conditioned-selection-7.json")
    eighth, round_five = load("conditioned-selection-8.json"), load("conditioned-round-5.json")
    ninth, round_eight = load("conditioned-selection-9.json"), load("conditioned-round-8.json")
    tenth = load("conditioned-selection-10.json") if (RESULTS / "conditioned-selection-10.json").exists() else None
    round_one, round_three = load("conditioned-round-1.json"), load("conditioned-round-3.json")
    pooled = pooled_run["pooled_with_round_1"]
    wanted = bench["goal_set"]["front_ends"]

    def candidates(selection: dict) -> str:  # "shipped" there: the study file then, at Adagrad 0.05
        return "; ".join(f"`{'shipped` (then, Adagrad 0.05' if name == 'shipped' else name + '` ('}"
                         f"{', ' if name == 'shipped' else ''}{_pct(share)}, top-100 {top:.4f}, RMSE {rmse:.4f})"
                         for name, (share, top, rmse) in
                         ((name, medians(entry)) for name, entry in selection["variants"].items()
                          if name in selection["selected_among"]))

    def verdicts(entry: dict) -> str:
        return (f"share {share_verdict(entry['share'])}, top-100 end "
                f"{_end_verdict(entry['best_top_100'], wanted['top_100_accuracy'])}, RMSE end "
                f"{_end_verdict(entry['best_rmse'], wanted['rmse'], higher=False)}")

    beside = [name for name in round_three["variants"] if name != "shipped"]
    runner_up = sorted(third["margins"], key=third["margins"].get)[-2]
    early_clear = [name for name in clearing_every_goal(round_one["variants"], bench["goal_set"]) if name != "shipped"]
    clear = clearing_every_goal(round_three["variants"], bench["goal_set"])
    after_look = ("" if not clear or "shipped" in clear else
                  " " + ", ".join(f"`{name}`" for name in clear) + " clear" + ("s" if len(clear) == 1 else "")
                  + " every goal on these seeds and round 3's choice does not; switching on that evidence would "
                  "choose on report seeds, so round 3 kept its choice.")

    def with_fronts(selection: dict, then: str) -> str:  # "shipped" there: the study file then
        return "; ".join(f"`{name}` ({'then: ' + then + '; ' if name == 'shipped' else ''}{_pct(share)}, top-100 "
                         f"{top:.4f}, RMSE {rmse:.4f}, {median_front_points(selection['variants'][name]):g} front points)"
                         for name, (share, top, rmse) in ((name, medians(entry))
                                                         for name, entry in selection["variants"].items()
                                                         if name in selection["selected_among"] or name == "shipped"))

    film_rate = next(entry["what"] for name, entry in fourth["variants"].items() if name == fourth["selected"])
    return [
        "",
        "### How the settings were chosen",
        "",
        f"- **Round 1** (selection seeds {_seeds(first['seeds']['selection_seeds'])}, "
        "`benchmarks/results/conditioned-selection.json`): "
        f"{len(first['selected_among'])} candidates and the rule \"{first['selection_rule']}\" chose the reference pair "
        "(10, 0.1) at Adagrad 0.05. The rule was written after a first report run on seeds 1–5 had shown this "
        "candidate's median reaching the top-100 end there, so round 1 reports on seeds "
        f"{_seeds(round_one['seeds']['report_seeds'])} (`benchmarks/results/conditioned-round-1.json`): "
        f"{_ends(round_one['variants']['shipped'])}. Its variants, one change at a time, are the table below; on those "
        f"seeds {' and '.join(round_one['variants'][name]['what'] for name in early_clear)} cleared every goal, an "
        "after-the-fact look at seeds meant for reporting that prompted round 2.",
        f"- **Round 2** (new selection seeds {_seeds(second['seeds']['selection_seeds'])}, the same rule, "
        "`benchmarks/results/conditioned-selection-2.json`) among " + candidates(second)
        + f" (medians) kept `{second['selected']}` (Adagrad 0.05), its top-100 median "
        f"{medians(second['variants'][second['selected']])[1]:.4f} against the goal's "
        f"{wanted['top_100_accuracy']:g}. Its "
        f"report seeds {_seeds(pooled_run['seeds']['report_seeds'])}: {_ends(pooled_run['variants']['shipped'])}; "
        f"pooled with round 1's ({len(pooled['report_seeds'])} trainings, decided after seeing round 1's): share "
        f"{_share(pooled['share'])}, best top-100 {_figure(pooled['best_top_100'])}, best RMSE "
        f"{_figure(pooled['best_rmse'])} ({verdicts(pooled)}).",
        f"- **Round 3** (new selection seeds {_seeds(third['seeds']['selection_seeds'])}, "
        "`benchmarks/results/conditioned-selection-3.json`) changed the rule before it ran, so that no goal is met by "
        f"a hair while another is met by a mile: \"{third['selection_rule']}\". Among " + candidates(third)
        + " (medians; smallest margins "
        + ", ".join(f"`{name}` {margin * 100:+.2f} %" for name, margin in third["margins"].items())
        + f") it chose `{third['selected']}`; its smallest margin and the "
        f"runner-up `{runner_up}`'s agree to two decimals, a tie within the selection seeds' noise that the rule "
        "settles by a hair. On its report seeds "
        f"{_seeds(round_three['seeds']['report_seeds'])} (`benchmarks/results/conditioned-round-3.json`): "
        f"{_ends(round_three['variants']['shipped'])}; the runs beside it chose nothing: "
        + "; ".join(f"`{name}` ({round_three['variants'][name]['what']}) {_ends(round_three['variants'][name])}"
                    for name in beside)
        + "." + after_look,
        f"- **Round 4** (new selection seeds {_seeds(fourth['seeds']['selection_seeds'])}, "
        "`benchmarks/results/conditioned-selection-4.json`) asked for a front rather than a point, after the "
        "controls of the results' section had shown round 3's point to be one static model: \""
        + fourth["selection_rule"] + "\". Among " + with_fronts(fourth, "no FiLM, Adagrad 0.03")
        + f" (medians) it chose `{fourth['selected']}` ({film_rate}); on the selection seeds' medians it met "
        f"{_goals_met(fourth['variants'][fourth['selected']], bench['goal_set'])}. On its report seeds "
        f"{_seeds(round_four['seeds']['report_seeds'])} (`benchmarks/results/conditioned-round-4.json`): "
        f"{_ends(round_four['variants']['shipped'])}, fronts of "
        f"{', '.join(map(str, front_points(round_four['variants']['shipped'])))} points.",
        f"- **Round 5** (new selection seeds {_seeds(fifth['seeds']['selection_seeds'])}, "
        "`benchmarks/results/conditioned-selection-5.json`), the same rule, after round 4's selection had shown "
        "FiLM's share rising as the rate fell: among " + with_fronts(fifth, "FiLM 16, Adagrad 0.02")
        + f" (medians) it chose `{fifth['selected']}` ({fifth['variants'][fifth['selected']]['what']}); on the "
        f"selection seeds' medians it met {_goals_met(fifth['variants'][fifth['selected']], bench['goal_set'])}. On "
        f"its report seeds {_seeds(round_five['seeds']['report_seeds'])} "
        f"(`benchmarks/results/conditioned-round-5.json`, with its hybrids): {_ends(round_five['variants']['shipped'])}, "
        f"fronts of {', '.join(map(str, front_points(round_five['variants']['shipped'])))} points.",
        f"- **Round 6** (new selection seeds {_seeds(sixth['seeds']['selection_seeds'])}, "
        "`benchmarks/results/conditioned-selection-6.json`), the same rule, after round 5's report seeds had shown "
        "the FiLM front's top-100 end short of round 3's point without FiLM: FiLM held at the identity for the first "
        "epochs (`film_after`), so that the towers first learn as without it. Among "
        + with_fronts(sixth, "FiLM 16 from the start, Adagrad 0.015")
        + " (medians) it "
        + ("kept `shipped`: " + ("holding FiLM back lowered the share and the top-100 end, the longer the more, so "
                                 if held_back_lowers(sixth) else "") + "the "
           "study file is unchanged and no report seeds were spent on it."
           if sixth["selected"] == "shipped" else
           f"chose `{sixth['selected']}` ({sixth['variants'][sixth['selected']]['what']})."),
        f"- **Round 7** (new selection seeds {_seeds(seventh['seeds']['selection_seeds'])}, "
        "`benchmarks/results/conditioned-selection-7.json`), the same rule: the reference pair, which round 1 chose "
        "without FiLM, moved one weight at a time with FiLM. Among "
        + with_fronts(seventh, "reference (10, 0.1)")
        + " (medians) it "
        + ("kept `shipped`, the reference pair (10, 0.1): the study file is unchanged and no report seeds were spent "
           "on it." if seventh["selected"] == "shipped" else
           f"chose `{seventh['selected']}` ({seventh['variants'][seventh['selected']]['what']})."),
        f"- **Round 8** (new selection seeds {_seeds(eighth['seeds']['selection_seeds'])}, "
        "`benchmarks/results/conditioned-selection-8.json`), the same rule, after round 6 had shown FiLM trained late "
        "lowering the top-100 end the later it started (one reading: FiLM's fresh Adagrad accumulators take large "
        "steps): FiLM's output scaled down (`film_scale`), so that its steps move the queries less, at the study "
        "file's rate and at round 3's. Among " + with_fronts(eighth, "FiLM 16 unscaled, Adagrad 0.015")
        + chosen_clause(eighth, bench, 8) + "on its report seeds "
        f"{_seeds(round_eight['seeds']['report_seeds'])} (`benchmarks/results/conditioned-round-8.json`, with its "
        f"hybrids): {_ends(round_eight['variants']['shipped'])}, "
        f"{_figure(round_eight['cost']['trainings_worth']['total'], 2)} trainings' worth.",
        f"- **Round 9** (new selection seeds {_seeds(ninth['seeds']['selection_seeds'])}, "
        "`benchmarks/results/conditioned-selection-9.json`), the same rule, after round 8's trainings had shown each "
        "pair's RMSE off mostly by a mean offset that changed with the pair (in a direction that changed with "
        "the seed): the rating MLP refit alone after training "
        "(`calibrate`), the embeddings and FiLM frozen. Among " + with_fronts(ninth, "no refit")
        + chosen_clause(ninth, bench, 9) + reported_on(bench, 9),
        *([] if tenth is None else [
            f"- **Round 10** (new selection seeds {_seeds(tenth['seeds']['selection_seeds'])}, "
            "`benchmarks/results/conditioned-selection-10.json`), the same rule among candidates within the cost goal, "
            "after round 9's report seeds had shown every goal of the front reached and the cost not: fewer epochs "
            "before the refit, each candidate at most 2.85 trainings' worth at round 9's measured rates (an epoch "
            "about 0.22 of one static training, a refit epoch 0.08, evaluating 50 pairs 0.29); the study file then "
            "was trained beside them but excluded by that cap (it had cost 3.35 on round 9's report seeds; by the "
            "margins alone it would have been chosen). Among " + with_fronts(tenth, "12 epochs, refit 4")
            + chosen_clause(tenth, bench, 10) + reported_on(bench, 10)]),
    ]


def cost_clause(bench: dict) -> str:
    """The short summary's cost: the unit, then each reading with its verdict."""
    cost, goal_worth = bench["cost"], bench["goal_set"]["trainings_worth"]
    study = cost["trainings_worth"]["total"]
    unit = ("A tutorial training is one static training at (1, 1) with the tutorial's recipe; each of the sweep's "
            "single-seed fronts took 50.")
    readings = cost.get("readings", {})
    if "one_seed" not in readings:
        return (f"One conditioned training, with its evaluation at 50 pairs, costs {_figure(study, 2)} tutorial "
                f"trainings' worth of time. {unit}")
    verdict = _end_verdict(study, goal_worth, higher=False)
    alone = readings["one_seed"]["total"]
    study_pairs, with_study_pairs = at_study_pairs(bench)
    return (f"One conditioned training, with its evaluation at 50 pairs, costs {_figure(study, 2)} tutorial trainings' "
            f"worth of time when {cost['trainings']['conditioned']} share a process, as the study file trains them "
            f"(≤ {goal_worth:g}: {verdict}), and {_figure(alone, 2)} alone in its process, as a one-seed study trains "
            f"it ({_end_verdict(alone, goal_worth, higher=False)}); evaluating the study file's own "
            f"{study_pairs} pairs instead of 50 would make the first figure about {with_study_pairs:.2f} (estimated, below). "
            f"{unit}")


def over_twelve(conditioned_worth: float, hybrids: dict[str, dict | None]) -> str:
    """Which hybrids, within 12 trainings by count, spend more than 12 tutorial trainings' worth of time: the
    tutorial-recipe ones estimated (the conditioned training's worth plus one per static training), the
    conditioned-recipe ones timed."""
    def worth(entry: dict) -> float:
        timed = entry.get("trainings_worth", {}).get("median")
        return timed if timed is not None else conditioned_worth + entry["verified_median"]

    over = [f"{name} {worth(entry):.1f}" + ("" if "trainings_worth" in entry else " (estimated)")
            for name, entry in hybrids.items() if entry and worth(entry) > 12]
    if not over:
        return "Every hybrid keeps within 12 trainings, in count and in time. "
    return ("Every hybrid keeps within 12 trainings by count; counted in time, these spend more than 12 tutorial "
            f"trainings' worth at the median: {', '.join(over)}. ")


def at_study_pairs(bench: dict) -> tuple[int, float]:
    """How many pairs the study file evaluates, and the cost per training (the study's reading) were it timed
    evaluating those instead of the cost's 50: its evaluation in proportion (the time per pair is about flat)."""
    cost, study_pairs = bench["cost"], len(bench["variants"]["shipped"]["per_training_metrics"]["pairs"])
    study = cost["readings"]["study"]
    return study_pairs, study["total"]["median"] + study["evaluation"]["median"] * (
        study_pairs / cost["pairs_evaluated"] - 1)


def cost_protocol(bench: dict) -> str:
    """How the cost was timed, its other readings, each process's overhead, what the study file's own evaluation
    would add, and the earlier measurements."""
    cost = bench["cost"]
    readings = cost.get("readings")
    if not readings:
        return ""
    trainings, goal_worth = cost["trainings"], bench["goal_set"]["trainings_worth"]
    overhead = {side: statistics.median(row[side]["overhead_seconds"] for row in cost["repeats"])
                for side in ("static", "conditioned")}
    text = (
        "One training's worth is the training loops of one static training of the tutorial's (1, 1) by `sweep`'s "
        f"trainer (its model's building, its batches and its evaluation not counted), the mean of {trainings['static']} "
        "trained in one process, the first's tracing included. The cost is "
        f"timed in fresh processes, {len(cost['repeats'])} repeats on seeds of their own, alternating which side runs "
        f"first: one process trains the study file's {trainings['conditioned']} conditioned models one after another, "
        f"each then evaluated at the sweep's first {cost['pairs_evaluated']} pairs; the other trains "
        f"{trainings['static']} static models at (1, 1) one after another (a worker of the 50-trial sweep run with "
        "two workers trains about 50, 25 trials of 2 seeds, on 1 thread: its tracing is spread thinner still); both "
        "run alone on the machine's cores, and the interval is over the repeats. A process traces its steps on its "
        "first training and "
        "reuses them after, so the figure "
        "depends on how many trainings share a process: the table's row is each side's mean, tracing included; the "
        f"first conditioned training of a process costs {_figure(readings['one_seed']['total'], 2)} against the same "
        "static mean (a one-seed study: "
        f"{_end_verdict(readings['one_seed']['total'], goal_worth, higher=False)}), the later ones "
        f"{_figure(readings['later']['total'], 2)} against the static ones after the first, and each process's first "
        f"against the other's {_figure(readings['first']['total'], 2)}. Beyond the seconds counted, each conditioned "
        f"process spent about {overhead['conditioned']:.1f} s (starting, importing, loading the data, building its "
        f"{trainings['conditioned']} models and their batches), and each static one {overhead['static']:.1f} s (the "
        f"same, and its {trainings['static']} evaluations, which the unit leaves out). ")
    study = readings["study"]
    above = [value for value in study["total"]["values"] if value > goal_worth]
    text += (f"{len(above)} of the {len(study['total']['values'])} repeats gave more than {goal_worth:g} "
             f"({', '.join(f'{value:.2f}' for value in above)}): the verdict rests on the median's interval, whose high "
             f"end is {goal_worth - study['total']['interval'][1]:.2f} below the goal (with "
             f"{len(study['total']['values'])} repeats that end is the mean of the two largest, "
             f"{' and '.join(f'{value:.2f}' for value in sorted(study['total']['values'])[-2:])}). " if above else "")
    study_pairs, estimate = at_study_pairs(bench)
    text += (f"The study file evaluates {study_pairs} pairs, not 50: in proportion (the time per pair is about the "
             f"same at both counts) its cost per training would be about {estimate:.2f}. ")
    earlier = bench.get("earlier_costs", [])
    described = [entry for entry in earlier if "what" in entry]
    if described:
        text += "Measured before, in one process: " + "; ".join(
            f"{_figure(entry['trainings_worth']['total'], 2)} ({entry['what']})" for entry in described) + ". "
    return text


def chosen_clause(selection: dict, bench: dict, round_number: int) -> str:
    """A front-rule round's margins, its choice, and which goals its choice met on the selection seeds."""
    chosen = selection["selected"]
    return (" (medians; smallest margins "
            + ", ".join(f"`{name}` {margin * 100:+.2f} %" for name, margin in selection["margins"].items())
            + f") it chose `{chosen}` ({selection['variants'][chosen]['what']})" + close_call(selection)
            + (", the study file now" if bench["round"] == round_number else "") + "; on the selection seeds' medians it met "
            f"{_goals_met(selection['variants'][chosen], bench['goal_set'])}; ")


def reported_on(bench: dict, round_number: int) -> str:
    """Where a round's choice was reported: the results' section's seeds, or its own kept result file."""
    if bench["round"] == round_number:
        return "its report seeds are the results' section's."
    kept = load(f"conditioned-round-{round_number}.json")
    return (f"on its report seeds {_seeds(kept['seeds']['report_seeds'])} "
            f"(`benchmarks/results/conditioned-round-{round_number}.json`): {_ends(kept['variants']['shipped'])}, "
            f"{_figure(kept['cost']['trainings_worth']['total'], 2)} trainings' worth.")


def close_call(selection: dict) -> str:
    """", by a hair ahead of …" when the chosen candidate's smallest margin leads the runner-up's by under half a
    point: a lead within the selection seeds' noise."""
    margins = sorted(selection["margins"].items(), key=lambda item: item[1], reverse=True)
    (first, best), (second, next_best) = margins[0], margins[1]
    if first != selection["selected"] or best - next_best >= 0.005:
        return ""
    return (f", by a hair: its smallest margin leads `{second}`'s by {(best - next_best) * 100:.2f} points, within "
            "the selection seeds' noise")


def held_back_lowers(selection: dict) -> bool:
    """Whether every `film-after-N` candidate's median share and top-100 fall below the study file's, and
    further the more epochs FiLM is held back."""
    from benchmarks.conditioned import medians

    held = sorted((int(name.rsplit("-", 1)[1]), medians(entry)) for name, entry in selection["variants"].items()
                  if name.startswith("film-after-"))
    base = medians(selection["variants"]["shipped"])
    below = all(share < base[0] and top < base[1] for _, (share, top, _) in held)
    falling = all(later[1][0] < earlier[1][0] and later[1][1] < earlier[1][1] for earlier, later in zip(held, held[1:]))
    return below and falling


def round_one_variants() -> list[str]:
    """Round 1's variants on its report seeds, each one change from round 1's choice (then at Adagrad 0.05)."""
    from benchmarks.conditioned import SAME_AS_CANDIDATE

    bench, selection = load("conditioned-round-1.json"), load("conditioned-selection.json")
    lines = [
        "",
        f"Round 1's variants (report seeds {_seeds(bench['seeds']['report_seeds'])}), each one change from round 1's "
        "choice (`round-1` below: the study file then, at Adagrad 0.05; a share on selection seeds where the "
        "selection run trained the same settings):",
        "",
        "| variant | change | share on selection seeds (median) | share on report seeds | front points per training "
        "| best top-100 | best RMSE | trainings' worth |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name in sorted(bench["variants"], key=lambda name: VARIANT_ORDER.index(name) if name in VARIANT_ORDER else 99):
        entry = bench["variants"][name]
        chosen = selection["variants"].get(SAME_AS_CANDIDATE.get(name, ""))
        on_selection = _pct(chosen["trained_pairs"]["shares"]["trivial"]["share"]["median"]) if chosen else "—"
        shown, what = (("round-1", entry["what"].replace("studies/conditioned.toml: ", "round 1's choice: ")
                        + ", Adagrad 0.05") if name == "shipped" else (name, entry["what"]))
        lines.append(f"| {shown} | {what} | {on_selection} | "
                     f"{_share(entry['trained_pairs']['shares']['trivial']['share'])} | "
                     f"{', '.join(map(str, front_points(entry)))} | "
                     f"{entry['front_ends']['best_top_100']['median']:.4f} | "
                     f"{entry['front_ends']['best_rmse']['median']:.4f} | {entry['trainings_worth']['total']:.2f} |")
    same_steps = [statistics.median(bench["variants"][name]["train_seconds"]) for name in SAME_STEPS
                  if name in bench["variants"]]
    return lines + ["", f"The trainings' worth column times each variant against one static training measured once at "
                    f"the start of the run; the machine drifted over it: the variants that train round 1's steps took "
                    f"{min(same_steps):.1f}–{max(same_steps):.1f} s (medians), so that column's differences of up to a "
                    "fifth are the machine's, not the variants'.", "", *limits(bench["variants"])]


VARIANT_ORDER = ("shipped", "reference-30", "reference-3", "reference-100", "reference-10-0.03", "reference-10-0.3",
                 "film-16", "film-64", "narrow-3", "epochs-9", "epochs-15", "rate-0.1", "rate-0.025", "no-zero-pairs",
                 "log-uniform-box", "borrowed-ranges")


REFERENCE_VARIANTS = ("reference-30", "reference-3", "reference-100", "reference-10-0.03", "reference-10-0.3")


def overlaps(first: dict, second: dict) -> bool:
    """Whether two variants' share intervals over the report seeds overlap."""
    (low, high), (other_low, other_high) = (entry["trained_pairs"]["shares"]["trivial"]["share"]["interval"]
                                            for entry in (first, second))
    return low <= other_high and other_low <= high


def clearing_every_goal(variants: dict, wanted: dict) -> list[str]:
    """The variants whose report-seed intervals clear all three goals (share, top-100 end, RMSE end)."""
    from benchmarks.conditioned import share_verdict

    names = []
    for name, entry in variants.items():
        share, ends = entry["trained_pairs"]["shares"]["trivial"]["share"], entry["front_ends"]
        if None in (ends["best_top_100"]["interval"], ends["best_rmse"]["interval"]):
            continue
        if (share_verdict(share) == "reached"
                and ends["best_top_100"]["interval"][0] >= wanted["front_ends"]["top_100_accuracy"]
                and ends["best_rmse"]["interval"][1] <= wanted["front_ends"]["rmse"]):
            names.append(name)
    return names


def limits(variants: dict) -> list[str]:
    """What the variants measured, one limit per line (each figure from the result file)."""
    def share(name: str) -> str:
        return _pct(variants[name]["trained_pairs"]["shares"]["trivial"]["share"]["median"])

    def top(name: str) -> str:
        return f"{variants[name]['front_ends']['best_top_100']['median']:.4f}"

    return [
        "What round 1's variants say (medians on its report seeds):",
        "",
        f"- **How pairs are drawn.** Each weight log-uniform over the whole box, as conditioned studies drew before: "
        f"{share('log-uniform-box')}",
        f"  (best top-100 {top('log-uniform-box')}). The same draws over ranges borrowed from the sweep's front: "
        f"{share('borrowed-ranges')}. Preferences",
        f"  through the reference pair need no borrowed ranges: {share('shipped')}.",
        "- **The reference pair** sets the scale each task is trained at, which Adagrad does not ignore: "
        + ", ".join(f"{variants[name]['what'].removeprefix('reference pair ')} {share(name)} (top-100 {top(name)})"
                    for name in ("reference-30", "reference-3", "reference-100", "reference-10-0.03",
                                 "reference-10-0.3")) + ",",
        f"  against {share('shipped')} (top-100 {top('shipped')}) at (10, 0.1). Among the scalar settings tried it "
        "moves the share most, and it was chosen on this data (on the selection seeds); with five report seeds the "
        "chosen pair's interval overlaps "
        + (", ".join(variants[name]["what"].removeprefix("reference pair ").split(")")[0] + ")'s"
                     for name in REFERENCE_VARIANTS if overlaps(variants[name], variants["shipped"])) or "no other's")
        + ".",
        f"- **Conditioning.** FiLM of the user vectors from the pair: {share('film-16')} (16 units), "
        f"{share('film-64')} (64); none (round 1's choice): {share('shipped')}.",
        f"- **Narrowing** the draws after 3 epochs to the model's own front on a validation slice: {share('narrow-3')}.",
        f"- **Epochs and rate.** 9 epochs {share('epochs-9')}, 15 {share('epochs-15')}; Adagrad 0.1 {share('rate-0.1')}, "
        f"0.025 {share('rate-0.025')}.",
        f"- **Single-task examples.** Without them: {share('no-zero-pairs')}; with 5 % the one model also serves "
        "(1, 0) and (0, 1).",
    ]


RENDERERS = {"The whole front from one training": one_training, "Performance": performance,
             "Cost at MovieLens sizes": cost_at_sizes, "Choosing the conditioned study's settings": choosing}


def section_bounds(document: str, title: str) -> tuple[int, int]:
    """Where the section `## title` starts, and where its text ends (the blank lines before the next one left out)."""
    heading = re.search(rf"^## {re.escape(title)}\n", document, re.MULTILINE)
    if heading is None:
        raise KeyError(f"no section {title!r}")
    following = document.find("\n## ", heading.end())
    text = document[heading.start():following + 1 if following >= 0 else len(document)]
    return heading.start(), heading.start() + len(text.rstrip("\n")) + 1


def render_into(document: str, titles) -> str:
    for title in titles:
        start, end = section_bounds(document, title)
        document = document[:start] + RENDERERS[title]() + document[end:]
    return document


def rendered_documents() -> dict[Path, tuple[str, str]]:
    """Each document holding generated sections: its text now, and with those sections rendered afresh."""
    documents = {}
    for path in dict.fromkeys(DOCUMENT_OF.values()):
        current = path.read_text(encoding="utf-8")
        documents[path] = current, render_into(current, [title for title in GENERATED if DOCUMENT_OF[title] == path])
    return documents


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite the generated sections in their documents")
    parser.add_argument("--check", action="store_true", help="exit 1 when a document differs from the results")
    args = parser.parse_args(argv)
    if not (args.write or args.check):
        for render in RENDERERS.values():
            print(render())
        return 0
    stale = []
    for path, (current, rendered) in rendered_documents().items():
        if rendered == current:
            continue
        if args.write:
            path.write_text(rendered, encoding="utf-8")
        else:
            stale.append(str(path.relative_to(ROOT)))
    if stale:
        print(f"{', '.join(stale)}: the generated sections differ from benchmarks/results: run "
              "`python -m benchmarks.readme --write`", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
