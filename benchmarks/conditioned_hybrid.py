"""The hybrid: one conditioned training plus K static trainings at the pairs its front points to, against TPE.

`[conditioned] verify = K` trains K pairs of the conditioned front statically. Measured here, under
the protocol (benchmarks/protocol.py), from the committed benchmarks/results/conditioned.json (its
report-seed run: the shipped variant's models evaluated at every pair, per training):

- for each report seed: the pairs of that training's front (inside the trained ratios) chosen
  greedily by hypervolume from the trivial baselines, as `verify` chooses them
  (sweep.pareto.greedy_hypervolume; all of them when the front has fewer than K points), each
  trained statically with the tutorial's settings and that seed; the hybrid's front is those static
  models alone (what a user can serve without the conditioned model), in 1 + K trainings at most;
- like for like: its single-seed fronts against the sweep's single-seed fronts
  (benchmarks/results/tutorial-study.csv), at the three references (protocol.hypervolume_shares); medians and
  95 % bootstrap intervals over seeds. Writes `hybrid` and `goal.hybrid` into the conditioned result
  file. TPE with as many trainings is read from the sampler benchmark by `scripts/bench-conditioned
  --reanalyse`.

    scripts/bench-conditioned-hybrid [--verify 11]
    scripts/bench-conditioned-hybrid --result benchmarks/results/conditioned-round-1.json --variant film-16

With `--variant` other than shipped the hybrid of that variant's trainings is measured the same way and
written under `hybrid_variants` (no goal object: the study file does not train that variant).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from benchmarks import protocol
from benchmarks.front_made_of import context, runs_array, tutorial_trials

ROOT = Path(__file__).resolve().parent.parent
RESULT = ROOT / "benchmarks" / "results" / "conditioned.json"
GOAL = {"hypervolume_share": 0.98, "trainings": 12}


def chosen_pairs(pairs: list, trained: list, metrics: np.ndarray, reference: dict, count: int) -> list:
    """The training's front (trained pairs only), `count` of its pairs taken greedily by hypervolume."""
    from sweep.pareto import greedy_hypervolume, pareto_front

    directions = ("maximize", "minimize")
    inside = [index for index, ok in enumerate(trained) if ok]
    points = metrics[inside]
    on_front = np.flatnonzero(pareto_front(points, directions))
    order = greedy_hypervolume(points[on_front], directions,
                               [reference["top_100_accuracy"], reference["rmse"]], count)
    return [tuple(pairs[inside[on_front[index]]]) for index in order]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verify", type=int, default=11, help="K, the static trainings after the conditioned one")
    parser.add_argument("--result", type=Path, default=RESULT, help="the report-seed run of bench-conditioned to read")
    parser.add_argument("--variant", default="shipped", help="whose trainings to verify (default: the study file's)")
    args = parser.parse_args(argv)

    from benchmarks.machine import write_result
    from sweep.config import load_study_file
    from sweep.config import run as run_config
    from sweep.data import load_prepared
    from sweep.trial import train_and_evaluate

    document = json.loads(args.result.read_text())
    if document.get("measured_on") != "report" or args.variant not in document["variants"]:
        raise SystemExit(f"{args.result} holds no report-seed run of the variant {args.variant}; "
                         "run scripts/bench-conditioned first")
    shipped = document["variants"][args.variant]["per_training_metrics"]
    metrics = np.asarray(shipped["metrics"])  # pairs × trainings × 2
    seeds = document["seeds"]["report_seeds"]
    ctx = context()
    reference = {"top_100_accuracy": ctx["chance_top_100_accuracy"], "rmse": ctx["global_mean_rmse"]}
    sweep_runs = runs_array(tutorial_trials())
    sweep_fronts = [sweep_runs[:, k, :] for k in range(sweep_runs.shape[1])]

    spec = load_study_file(ROOT / "studies" / "tutorial.toml")
    prepared = load_prepared(spec.data, run_config.data_dir(None))
    hybrid_fronts, runs = [], []
    for index, seed in enumerate(seeds):
        pairs = chosen_pairs(shipped["pairs"], shipped["trained"], metrics[:, index, :], reference, args.verify)
        static, seconds = [], []
        for pair in pairs:
            result = train_and_evaluate(pair[0], pair[1], seed, spec.model, spec.train, prepared)
            static.append([result.metrics["top_100_accuracy"], result.metrics["rmse"]])
            seconds.append(result.seconds.train + result.seconds.evaluate)
        print(f"seed {seed}: {len(pairs)} pairs verified", file=sys.stderr, flush=True)
        hybrid_fronts.append(np.asarray(static))
        runs.append({"seed": seed, "trainings": 1 + len(pairs), "pairs": [list(pair) for pair in pairs],
                     "static_metrics": static,
                     "static_seconds": seconds,
                     "conditioned_metrics": [metrics[shipped["pairs"].index(list(pair)), index, :].tolist()
                                             for pair in pairs]})
    trainings = max(run["trainings"] for run in runs)  # 1 + K, or fewer where the front has fewer than K points
    hybrid = {"verify": args.verify, "trainings": trainings,
              "runs": runs,
              "command": " ".join(["python", "-m", "benchmarks.conditioned_hybrid", *(argv or sys.argv[1:])]),
              "hybrid_shares": protocol.hypervolume_shares(protocol.like_for_like_fronts(hybrid_fronts, sweep_fronts),
                                                           ctx)}
    share = hybrid["hybrid_shares"]["shares"]["trivial"]["share"]
    verdict = protocol.verdict(protocol.Interval(tuple(share["values"]), share["median"], *(share["interval"] or (None, None))),
                               GOAL["hypervolume_share"])
    hybrid["verdict"] = verdict
    if args.variant != "shipped":
        document.setdefault("hybrid_variants", {})[args.variant] = hybrid
        print(f"{args.variant} hybrid ({trainings} trainings): {share['median']:.3f} {share['interval']}", file=sys.stderr)
        write_result(args.result, document)
        return 0
    document["hybrid"] = hybrid
    if "goal" in document:
        document["goal"]["hybrid"] = {"trainings": trainings, "hypervolume_share": {
            "median": share["median"], "low": (share["interval"] or [None])[0],
            "high": (share["interval"] or [None, None])[1], "verdict": verdict}}
    print(f"hybrid ({trainings} trainings): {share['median']:.3f} {share['interval']} ({verdict})", file=sys.stderr)
    write_result(args.result, document)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
