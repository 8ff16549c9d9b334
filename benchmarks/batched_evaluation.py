"""Many weight pairs of a conditioned model evaluated at once, against one pair at a time, in the same run.

The goal: ≤ 10 ms per (pair, model) evaluated by the batched path (one pair at a time took
about 111 ms when the goal was set). Measured here, on the tutorial's split of the cached MovieLens 100K (20,000 test
rows, 1,682 candidates, 943 users):

- the model: built as studies/conditioned.toml builds it and trained one epoch (seed 0), so its
  conditioning has left its zero start (the cost of an evaluation does not depend on the
  weights; the equality checked below would be nearly vacuous at initialization). The shipped
  study has no FiLM, so its query vectors are one for every pair and the batched path counts
  their hits once per model; a model with FiLM scores every pair's queries;
- the pairs: the tutorial's three, the study's 81-pair grid, then log-uniform draws over its
  ranges; the first N of them for each N (131 is about what the shipped study evaluates);
- for each N and repetition: the per-pair path (sweep.conditioned_study's `evaluate_pair`,
  `evaluate` at one pair) and the batched path (`evaluate_pairs`, PAIRS_PER_CALL pairs per
  call, as a study runs it), in alternating order (AB BA …, A the per-pair path), their wall time over N; per
  path the median over repetitions with protocol.py's bootstrap interval, and the ratio of
  the two per repetition, likewise. The goal is "reached" when the batched path's whole
  interval is ≤ 10 ms (protocol.verdict);
- before timing, the batched path once at each count: XLA compiles its blocks per shape (once per process and
  shape, whatever the model), and that first call's time is recorded beside (`first_call_ms`);
- checked in the run: every top-k accuracy equal and every RMSE within 1e-6 (relative) of
  the per-pair path's;
- where the batched time goes: one call of PAIRS_PER_CALL pairs timed part by part.

TensorFlow at the machine's default threads. Run alone: these are wall times.

    scripts/bench-batched-evaluation [--pairs 50 131] [--repeats 5] [--quick] [--out benchmarks/results/batched-evaluation.json]
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
GOAL_MS = 10.0
RMSE_TOLERANCE = 1e-6  # relative: tests/test_evaluation.py's


def benchmark_pairs(spec, count: int) -> list[tuple[float, float]]:
    """The tutorial's pairs, the study's grid, then log-uniform draws over its ranges: `count` distinct pairs."""
    from sweep.baselines import TUTORIAL
    from sweep.conditioned_pairs import draw_weights
    from sweep.conditioned_study import grid_pairs, search_ranges

    ranges = search_ranges(spec)
    pairs = [(p.rating_weight, p.retrieval_weight) for p in TUTORIAL]
    pairs += grid_pairs(ranges, spec.conditioned.grid, spec.conditioned)
    pairs += [tuple(map(float, pair)) for pair in draw_weights(np.random.default_rng(0), ranges, max(0, count))]
    return list(dict.fromkeys((float(r), float(t)) for r, t in pairs))[:count]


def trained_model(spec, prepared, epochs: int):
    """The study's model for seed 0, trained `epochs` epochs (studies/conditioned.toml's settings otherwise)."""
    from sweep.conditioned_study import train_one

    model, _, seconds = train_one(replace(spec, conditioned=replace(spec.conditioned, epochs=epochs)), prepared, 0)
    return model, seconds["train"]


def time_paths(model, pairs, prepared, train_config, per_pair_first: bool) -> dict:
    """Both paths over `pairs`, in the order asked: ms per pair of each, and their metrics."""
    from sweep.conditioned_study import evaluate_pair, evaluate_pairs

    trainings = [{"seed": 0}]

    def per_pair():
        return [evaluate_pair([model], pair, prepared, train_config, trainings)[0].metrics for pair in pairs]

    def batched():
        return [runs[0].metrics for runs in evaluate_pairs([model], pairs, prepared, train_config, trainings)]

    result = {}
    for name, path in ((("per_pair", per_pair), ("batched", batched)) if per_pair_first
                       else (("batched", batched), ("per_pair", per_pair))):
        started = time.perf_counter()
        metrics = path()
        result[name] = {"ms_per_pair": (time.perf_counter() - started) * 1000 / len(pairs), "metrics": metrics}
    return result


def differences(per_pair: list[dict], batched: list[dict]) -> dict:
    """How far the batched metrics are from the per-pair ones: top-k accuracies that differ, largest RMSE gap."""
    unequal = sum(one[name] != other[name] for one, other in zip(per_pair, batched) for name in one if name != "rmse")
    gap = max(abs(one["rmse"] - other["rmse"]) / one["rmse"] for one, other in zip(per_pair, batched))
    return {"top_k_accuracies_differing": unequal, "largest_relative_rmse_difference": gap,
            "equal": unequal == 0 and gap <= RMSE_TOLERANCE}


def parts(model, pairs, prepared, train_config) -> dict:
    """Milliseconds per pair of each part of one call (sweep.evaluation's `evaluate_at_pairs`, part by part),
    and of what the whole call spends beyond them."""
    import tensorflow as tf

    from sweep import evaluation

    test = prepared.test
    users, user_rows = np.unique(test["user_id"], return_inverse=True)
    user_rows = user_rows.astype(np.int32)
    movies = model.movie_embedding(tf.constant(test["movie_title"]))
    candidates = model.movie_embedding(tf.constant(prepared.candidates[train_config.candidates]))
    seconds = {}

    def timed(name, compute):
        started = time.perf_counter()
        value = compute()
        seconds[name] = time.perf_counter() - started
        return value

    features = timed("pair features", lambda: model.features(tf.constant(pairs, tf.float32)))
    queries = timed("query vectors (every user at every pair)",
                    lambda: model.user_vectors_at_pairs(tf.constant(users), features))
    width = queries.shape[-1]
    timed("candidate scores and each user's k-th highest (matmul, sort)",
          lambda: evaluation.kth_highest_scores(tf.reshape(queries, [-1, width]), candidates))
    timed("positive scores", lambda: evaluation.positive_scores(queries, user_rows, movies))

    def ratings():
        ratings_of = model.ratings_at_pairs(queries, features)
        for start, stop in evaluation.near_equal_blocks(len(user_rows), max(1, evaluation.RATING_ROWS // len(pairs))):
            ratings_of(tf.constant(user_rows[start:stop]), movies[start:stop]).numpy()

    timed("rating MLP", ratings)
    started = time.perf_counter()
    evaluation.evaluate_at_pairs(model, pairs, test, prepared.candidates[train_config.candidates])
    seconds["the rest (hits, RMSE, set-up): the whole call less the parts"] = (
        time.perf_counter() - started - sum(seconds.values()))
    return {name: value * 1000 / len(pairs) for name, value in seconds.items()}


def warm_up(model, pairs, prepared, train_config, counts: list[int]) -> dict[str, float]:
    """Both paths once before timing; the batched one at two numbers of pairs and at each timed count, so its
    block is traced, and compiled by XLA for each shape it meets (once per process and shape, whatever the
    model), before timing starts. Returns each count's first call, ms per pair: what that compilation costs."""
    from sweep.conditioned_study import PAIRS_PER_CALL, evaluate_pair, evaluate_pairs

    evaluate_pair([model], pairs[0], prepared, train_config, [{"seed": 0}])
    for count in (2, PAIRS_PER_CALL):
        evaluate_pairs([model], pairs[:count], prepared, train_config, [{"seed": 0}])
    first = {}
    for count in counts:
        started = time.perf_counter()
        evaluate_pairs([model], pairs[:count], prepared, train_config, [{"seed": 0}])
        first[str(count)] = (time.perf_counter() - started) * 1000 / count
    return first


def measure(model, prepared, spec, counts: list[int], repeats: int) -> dict:
    from benchmarks.protocol import median_interval, verdict
    from sweep.conditioned_study import PAIRS_PER_CALL

    all_pairs = benchmark_pairs(spec, max(counts))
    first_calls = warm_up(model, all_pairs, prepared, spec.train, counts)
    results = {}
    for count in counts:
        pairs, runs = all_pairs[:count], []
        for repeat in range(repeats):
            run = time_paths(model, pairs, prepared, spec.train, per_pair_first=repeat % 2 == 0)
            runs.append(run)
            print(f"  {count} pairs, repetition {repeat + 1}: per pair {run['per_pair']['ms_per_pair']:.1f} ms, "
                  f"batched {run['batched']['ms_per_pair']:.2f} ms", file=sys.stderr, flush=True)
        per_pair = median_interval([run["per_pair"]["ms_per_pair"] for run in runs])
        batched = median_interval([run["batched"]["ms_per_pair"] for run in runs])
        ratio = median_interval([run["per_pair"]["ms_per_pair"] / run["batched"]["ms_per_pair"] for run in runs])
        results[str(count)] = {
            "pairs": count, "order": ["AB" if repeat % 2 == 0 else "BA" for repeat in range(repeats)],
            **{name: over_repetitions(interval) for name, interval in
               (("per_pair_ms", per_pair), ("batched_ms", batched), ("ratio", ratio))},
            "goal_verdict": verdict(batched, GOAL_MS, higher_is_better=False),
            "first_call_ms": first_calls[str(count)],  # the untimed warm-up call at this count (compiling its shapes)
            "metrics_check": differences(*([metrics for run in runs for metrics in run[path]["metrics"]]
                                           for path in ("per_pair", "batched"))),  # every repetition's
        }
    call = all_pairs[:min(PAIRS_PER_CALL, len(all_pairs))]
    parts(model, call, prepared, spec.train)  # warm-up
    breakdown = [parts(model, call, prepared, spec.train) for _ in range(repeats)]
    results_parts = {name: statistics.median(item[name] for item in breakdown) for name in breakdown[0]}
    return {"by_pairs": results, "parts_ms_per_pair": results_parts, "parts_pairs": len(call),
            "pairs_per_call": PAIRS_PER_CALL}


def over_repetitions(interval) -> dict:
    """protocol.py's record of a median and its interval, named for what varies here: repetitions, not seeds."""
    record = interval.record()
    return {**record, "name": record["name"].replace("seeds", "repetitions").replace("seed ", "repetition ")}


def report(result: dict) -> None:
    print("| pairs | per pair, ms per (pair, model) | batched, ms per (pair, model) | per pair / batched | "
          f"≤ {GOAL_MS:g} ms | metrics equal |\n|---|---|---|---|---|---|")
    for row in result["by_pairs"].values():
        check = row["metrics_check"]
        print(f"| {row['pairs']} | {describe(row['per_pair_ms'])} | {describe(row['batched_ms'])} | "
              f"{describe(row['ratio'], '{:.1f}×')} | {row['goal_verdict']} | "
              f"{'yes' if check['equal'] else 'NO'} ({check['top_k_accuracies_differing']} top-k differing, "
              f"RMSE within {check['largest_relative_rmse_difference']:.1e}) |")
    total = sum(result["parts_ms_per_pair"].values())
    print(f"\nOne call of {result['parts_pairs']} pairs, part by part (ms per pair, median):")
    for name, value in result["parts_ms_per_pair"].items():
        print(f"  {name}: {value:.2f} ({value / total:.0%})")


def describe(interval: dict, number: str = "{:.2f}") -> str:
    if interval["interval"] is None:
        return f"{number.format(interval['median'])} (values {', '.join(number.format(v) for v in interval['values'])})"
    low, high = interval["interval"]
    return f"{number.format(interval['median'])} [{number.format(low)}–{number.format(high)}]"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, nargs="+", default=[50, 131], help="numbers of pairs timed (default 50 131)")
    parser.add_argument("--repeats", type=int, default=5, help="repetitions of each (default 5)")
    parser.add_argument("--epochs", type=int, default=1, help="the model's training epochs (default 1)")
    parser.add_argument("--quick", action="store_true", help="a check that it runs: 8 pairs, 3 repetitions")
    parser.add_argument("--out", type=Path, default=None, help="also write the results as JSON here")
    args = parser.parse_args(argv)
    if args.quick:
        args.pairs, args.repeats = [8], 3
    if min(args.pairs) < 1 or args.repeats < 1 or args.epochs < 1:
        parser.error("--pairs, --repeats and --epochs must be at least 1")
    import sweep
    from sweep.config import load_study_file
    from sweep.config import run as run_config
    from sweep.data.prepared import load_prepared

    sweep.import_tensorflow()
    spec = load_study_file(STUDY_FILE)
    prepared = load_prepared(spec.data, run_config.data_dir())
    model, train_seconds = trained_model(spec, prepared, args.epochs)
    print(f"model: {STUDY_FILE.name}'s, trained {args.epochs} epoch(s) in {train_seconds:.1f} s; "
          f"{len(prepared.test['user_id']):,} test rows, {len(np.unique(prepared.test['user_id'])):,} users, "
          f"{len(prepared.candidates[spec.train.candidates]):,} candidates", file=sys.stderr, flush=True)
    result = measure(model, prepared, spec, args.pairs, args.repeats)
    report(result)
    if args.out:
        from benchmarks.machine import write_result

        write_result(args.out, {"study_file": str(STUDY_FILE.relative_to(ROOT)), "model_epochs": args.epochs,
                                "model_seed": 0, "repeats": args.repeats, "goal_ms": GOAL_MS,
                                "test_rows": len(prepared.test["user_id"]),
                                "users": int(len(np.unique(prepared.test["user_id"]))),
                                "candidates": len(prepared.candidates[spec.train.candidates]),
                                "quick": args.quick, **result})
    if not all(row["metrics_check"]["equal"] for row in result["by_pairs"].values()):
        print("batched metrics differ from the per-pair path's (see the table)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
