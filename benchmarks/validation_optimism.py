"""How optimistic a front chosen on the test split is: the tutorial study's pairs chosen on test and on validation.

The tutorial has only train and test, so a study chooses its front on the numbers it reports.
This measures what that choice flatters. The pairs are the tutorial study's COMPLETE ones,
read from the committed benchmarks/results/tutorial-study.csv (about 50). For each training seed (at
least 3; the validation slice itself is the split's, seeded by its split seed):

- without validation: every pair trained on all 80,000 training rows; the front chosen on the
  test split and measured there — what a study with `validation = 0` reports (`reported`);
- with `[data] validation` (default 0.1): every pair trained on the rest; the front chosen on the
  validation slice and measured on test (`honest`); and, on the same models, the front chosen
  on test and measured on test (`chosen_on_test`), so the choice's own optimism is measured
  without the training rows the slice took.

Per seed: honest / reported and chosen_on_test / honest, each test hypervolume measured from
the three reference points of benchmarks.protocol; reported as medians over seeds with 95 %
bootstrap intervals (benchmarks.protocol.median_interval: below its minimum number of seeds,
the seed values themselves).

    scripts/bench-validation-optimism [--seeds 3] [--first-seed 0] [--validation 0.1]
        [--trials benchmarks/results/tutorial-study.csv] [--out benchmarks/results/validation-optimism.json]

Not run by the tests: tests/test_benchmarks.py checks the pairs' reading and the analysis on constructed fronts.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from dataclasses import replace
from pathlib import Path

from benchmarks.protocol import hypervolume_ratios, median_interval, references

ROOT = Path(__file__).resolve().parent.parent
STUDY_FILE = ROOT / "studies" / "tutorial.toml"
OBJECTIVES = ("top_100_accuracy", "rmse")


def study_pairs(trials_csv: Path) -> list[tuple[float, float]]:
    """The (rating_weight, retrieval_weight) of every COMPLETE trial of fixed weights in a study's trials.csv."""
    with open(trials_csv, newline="", encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    return [(float(row["rating_weight"]), float(row["retrieval_weight"])) for row in rows
            if row["state"] == "COMPLETE" and not row.get("method")]


def front_on(chosen_by: list[tuple[float, float]], measured: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The `measured` points of the pairs on the front of `chosen_by` (the same pairs, in the same order)."""
    from sweep.pareto import pareto_front

    on = pareto_front(chosen_by, ("maximize", "minimize"))
    return [point for point, keep in zip(measured, on) if keep]


def point(metrics: dict) -> tuple[float, float]:
    return metrics["top_100_accuracy"], metrics["rmse"]


def seed_figures(seed: int, whole: list[dict], held: list[dict], context: dict) -> dict:
    """One seed's ratios. `whole`: each pair's test metrics trained on every training row; `held`: each
    pair's validation and test metrics trained without the slice."""
    reported = front_on([point(m["test"]) for m in whole], [point(m["test"]) for m in whole])
    honest = front_on([point(m["validation"]) for m in held], [point(m["test"]) for m in held])
    chosen_on_test = front_on([point(m["test"]) for m in held], [point(m["test"]) for m in held])
    points = references([reported, honest, chosen_on_test], context)
    return {"seed": seed, "honest_over_reported": hypervolume_ratios(honest, reported, points),
            "chosen_on_test_over_honest": hypervolume_ratios(chosen_on_test, honest, points)}


def analyse(seeds: list[dict]) -> dict:
    """Medians over seeds, with intervals, of each ratio at each reference point."""
    return {key: {name: median_interval([s[key][name] for s in seeds]).record() for name in seeds[0][key]}
            for key in ("honest_over_reported", "chosen_on_test_over_honest")}


def train_pairs(pairs, seed: int, validation: float) -> tuple[list[dict], dict]:
    """Every pair trained once with this seed, with or without the slice: their metrics, and the baselines."""
    from sweep.baselines import context_baselines
    from sweep.config import load_study_file
    from sweep.config import run as run_config
    from sweep.data.prepared import load_prepared
    from sweep.trial import train_and_evaluate

    spec = load_study_file(STUDY_FILE)
    prepared = load_prepared(replace(spec.data, validation=validation), run_config.data_dir())
    measured = []
    for rating_weight, retrieval_weight in pairs:
        result = train_and_evaluate(rating_weight, retrieval_weight, seed, spec.model, spec.train, prepared)
        if validation:
            measured.append({"validation": result.metrics, "test": result.test_metrics})
        else:
            measured.append({"test": result.metrics})
    return measured, context_baselines(prepared, spec.train.candidates)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--validation", type=float, default=0.1)
    parser.add_argument("--trials", type=Path, default=ROOT / "benchmarks" / "results" / "tutorial-study.csv")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "validation-optimism.json")
    args = parser.parse_args(argv)
    pairs = study_pairs(args.trials)
    seeds = []
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        whole, context = train_pairs(pairs, seed, 0.0)
        held, _ = train_pairs(pairs, seed, args.validation)
        seeds.append({**seed_figures(seed, whole, held, context), "whole": whole, "held": held})
        print(f"seed {seed}: done", file=sys.stderr, flush=True)
    result = {"pairs": pairs, "validation": args.validation, "seeds": seeds, **analyse(seeds)}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
