"""The whole front from one training, with no sweep before it: the conditioned model against the 50-pair sweep.

Measured under the protocol (benchmarks/protocol.py) on the tutorial's split:

- the sweep: the committed tutorial study (benchmarks/results/tutorial-study.csv: 50 pairs, two seeds
  each), seed by seed: its two single-seed fronts;
- a conditioned training over the tutorial study's whole search range (0.1–1e4 × 1e-3–1),
  studies/conditioned.toml's settings, one training per report seed, each evaluated at the
  sweep's 50 pairs, the tutorial's three and 81 pairs along its reference line;
- like for like: each training's front against the sweep's single-seed fronts (one seed per
  point on each side), at the three references; the share's median and 95 % bootstrap interval
  over the report seeds; also the front of the sweep's 50 pairs alone (as many chances as the
  sweep had);
- cost, in static trainings' worth: one static training is the tutorial's joint pair (1, 1)
  trained by `sweep`'s trainer; the conditioned training and its evaluation at 50 pairs (the
  product's batched evaluation, sweep.evaluation.evaluate_at_pairs). The run's own timings (one
  static training timed at its start) are recorded; the goal's figure is `--cost`'s, each side in
  fresh processes as its study file runs it (`cost`).

The settings were chosen on the selection seeds (`--select`: each candidate trained on them, then
`select`'s written rule: the highest share among the candidates that meet every goal of a front); the
figures are reported on other seeds, which chose nothing.
Variants, one change at a time: the reference pair; each weight log-uniform over the whole box,
per example (what a conditioned study drew before preference draws: it learns nothing there);
and, for scale, the old shipped study, whose ranges (rating 2–130 × retrieval 0.02–0.2) were
borrowed from the sweep's front. Run alone: training and evaluation times are wall times.

    scripts/bench-conditioned [--variants shipped ...] [--select] [--out benchmarks/results/conditioned.json]
        [--plot benchmarks/results/conditioned.png]
    scripts/bench-conditioned --replot benchmarks/results/conditioned.json --plot benchmarks/results/conditioned.png
    scripts/bench-conditioned --cost benchmarks/results/conditioned.json   # the cost alone, alternating; then
    scripts/bench-conditioned-hybrid --served   # the conditioned-recipe hybrids' time follows the cost
    scripts/bench-conditioned --reanalyse benchmarks/results/conditioned.json   # no training
    scripts/bench-conditioned --mean-pair benchmarks/results/conditioned.json   # static models at the draws' mean
    scripts/bench-conditioned --same-recipe-sweep benchmarks/results/conditioned.json   # the sweep, trained as long
    scripts/bench-conditioned --select [--extend FILE] --variants … --out FILE   # a round's candidates, its rule
    scripts/bench-conditioned --round 2 --variants shipped --out benchmarks/results/conditioned-round-2.json
    scripts/bench-conditioned --pool benchmarks/results/conditioned-round-2.json   # rounds 1 and 2's report seeds

benchmarks/results/conditioned.json is the latest round's report run (round 10: the study file's settings and
rounds 3, 8 and 9's beside them on report seeds 86–95, with the goal object); conditioned-round-N.json is an
earlier round's (round 1's: every variant, then at Adagrad 0.05), conditioned-selection-N.json round N's
selection run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from benchmarks import protocol
from benchmarks.front_made_of import context, runs_array, tutorial_trials

ROOT = Path(__file__).resolve().parent.parent
STUDY_FILE = ROOT / "studies" / "conditioned.toml"
# Each selection round chooses on its own selection seeds and is reported on report seeds that no
# earlier round had seen: round 1 (101–104, reported on 6–10; seeds 1–5 had reported the default before
# it and shown its winner before its rule was written), round 2 (105–108, reported on 11–15: the
# learning rate at the shipped pair, after round 1's report seeds showed Adagrad 0.025 clearing every goal),
# round 3 (109–114, reported on 16–25: the learning rate again, by a rule that weighs every goal's margin,
# after round 2 had kept settings whose top-100 median sat 0.0002 above its goal).
ROUNDS = {1: protocol.Seeds((101, 102, 103, 104), (6, 7, 8, 9, 10)),
          2: protocol.Seeds((105, 106, 107, 108), (11, 12, 13, 14, 15)),
          3: protocol.Seeds((109, 110, 111, 112, 113, 114), tuple(range(16, 26))),
          4: protocol.Seeds((115, 116, 117, 118), tuple(range(26, 36))),
          5: protocol.Seeds((119, 120, 121, 122), tuple(range(36, 46))),
          6: protocol.Seeds((123, 124, 125, 126), tuple(range(46, 56))),
          7: protocol.Seeds((127, 128, 129, 130), tuple(range(56, 66))),
          8: protocol.Seeds((131, 132, 133, 134), tuple(range(66, 76))),
          9: protocol.Seeds((135, 136, 137, 138), tuple(range(76, 86))),
          10: protocol.Seeds((139, 140, 141, 142), tuple(range(86, 96)))}
# Round 10 (139–142, reported on 86–95 if it changes the study file): the refit within the cost goal, after round 9's
# report seeds had shown every front goal reached and the cost not (3.35 trainings' worth: 12 epochs, 4 refit).
# Round 9 (135–138, reported on 76–85 if it changes the study file): the rating MLP refit alone after training
# (`calibrate`), after round 8's trainings had shown each pair's RMSE off mostly by a mean offset that changes
# with the pair (its direction seed-dependent; benchmarks/README.md, round 9).
# Round 8 (131–134, reported on 66–75): FiLM's steps damped (film_scale), at the
# study file's rate and at round 3's, after round 6 had shown FiLM trained late (fresh Adagrad accumulators,
# large steps) lowering the top-100 end the later it started.
# Round 7 (127–130, reported on 56–65 if it changes the study file): the reference pair again, with FiLM, which
# round 1 chose without it and no round since has chosen again.
# Round 6 (123–126, reported on 46–55 if it changes the study file): FiLM held at the identity for the first
# epochs, after round 5's report seeds had shown FiLM's fronts short of round 3's no-FiLM point at the top-100 end.
# Round 5 (119–122, reported on 36–45): FiLM's rate again, lower, after round 4's selection showed FiLM's share
# rising as the rate fell (0.05, 0.03, 0.02).
# Round 4 (115–118, reported on 26–35) asks for a front rather than a point: FiLM at round 3's recipe.
ROUND = 10  # the round whose report run benchmarks/results/conditioned.json holds: what a run without --round measures
LIKE_FOR_LIKE_PAIRS = 50
GOAL = {"hypervolume_share": 0.98, "interval_low": 0.95, "trainings_worth": 3.0,
        "front_ends": {"top_100_accuracy": 0.28, "rmse": 0.955}}
BORROWED = {"rating_weight": (2.0, 130.0), "retrieval_weight": (0.02, 0.2)}

# name: (what it shows, changes to [conditioned], search ranges or None)
VARIANTS = {
    "shipped": ("studies/conditioned.toml: preference draws through (10, 0.1), FiLM 16 units wide, its output times "
                "0.3, 10 epochs, Adagrad 0.03, then the rating MLP refit alone 4 epochs", {}, None),
    "round-8": ("the study file before round 9: 12 epochs, no refit of the rating MLP", {"calibrate": 0, "epochs": 12},
                None),
    "round-9": ("the study file before round 10: 12 epochs, then the rating MLP refit alone 4 epochs",
                {"calibrate": 4, "epochs": 12}, None),
    "round-3": ("no FiLM, Adagrad 0.03: round 3's choice, the study file before round 4",
                {"conditioning_width": 0, "learning_rate": 0.03, "calibrate": 0, "epochs": 12}, None),
    "rate-0.05": ("Adagrad 0.05, the study file's rate before round 3", {"learning_rate": 0.05}, None),
    "reference-30": ("reference pair (30, 0.1), the default before this selection", {"reference": (30.0, 0.1)}, None),
    "reference-3": ("reference pair (3, 0.1)", {"reference": (3.0, 0.1)}, None),
    "reference-100": ("reference pair (100, 0.1)", {"reference": (100.0, 0.1)}, None),
    "reference-10-0.03": ("reference pair (10, 0.03)", {"reference": (10.0, 0.03)}, None),
    "reference-10-0.3": ("reference pair (10, 0.3)", {"reference": (10.0, 0.3)}, None),
    "film-16": ("FiLM of the user vectors from the pair, its MLP 16 units wide", {"conditioning_width": 16}, None),
    "film-64": ("FiLM, its MLP 64 units wide", {"conditioning_width": 64}, None),
    "narrow-3": ("narrowed after 3 epochs to the model's own front on 5 % of the training rows",
                 {"narrow_after": 3}, None),
    "epochs-9": ("9 epochs", {"epochs": 9}, None),
    "epochs-15": ("15 epochs", {"epochs": 15}, None),
    "rate-0.1": ("Adagrad 0.1, the tutorial's rate", {"learning_rate": 0.1}, None),
    "rate-0.025": ("Adagrad 0.025", {"learning_rate": 0.025}, None),
    "rate-0.03": ("Adagrad 0.03", {"learning_rate": 0.03}, None),
    "rate-0.035": ("Adagrad 0.035", {"learning_rate": 0.035}, None),
    "film-8": ("FiLM, its MLP 8 units wide", {"conditioning_width": 8}, None),
    "film-16-rate-0.02": ("FiLM 16 units wide, Adagrad 0.02", {"conditioning_width": 16, "learning_rate": 0.02}, None),
    "film-16-rate-0.05": ("FiLM 16 units wide, Adagrad 0.05", {"conditioning_width": 16, "learning_rate": 0.05}, None),
    "rate-0.015": ("Adagrad 0.015", {"learning_rate": 0.015}, None),
    "rate-0.01": ("Adagrad 0.01", {"learning_rate": 0.01}, None),
    "film-8-rate-0.015": ("FiLM 8 units wide, Adagrad 0.015", {"conditioning_width": 8, "learning_rate": 0.015}, None),
    **{f"film-scale-{scale:g}" + (f"-rate-{rate:g}" if rate else ""):
       (f"FiLM's output times {scale:g}" + (f", Adagrad {rate:g}" if rate else ""),
        {"film_scale": scale, **({"learning_rate": rate} if rate else {})}, None)
       for scale in (0.3, 0.1) for rate in (None, 0.03)},
    **{f"film-after-{n}": (f"FiLM held at the identity for the first {n} of the 12 epochs", {"film_after": n}, None)
       for n in (3, 6, 9)},
    **{f"calibrate-{n}" + (f"-epochs-{e}" if e else ""):
       (f"then {n} epochs refitting the rating MLP alone (embeddings and FiLM frozen) at pairs over the whole box"
        + (f", after {e} epochs, not 12" if e else ""), {"calibrate": n, **({"epochs": e} if e else {})}, None)
       for n, e in ((2, None), (4, None), (2, 11), (4, 10), (2, 10), (4, 9))},
    "no-zero-pairs": ("no single-task examples (zero_share 0): (1, 0) and (0, 1) not servable", {"zero_share": 0.0}, None),
    "log-uniform-box": ("each weight log-uniform over the whole box, per example (the draws before preferences)",
                        {"draws": "example"}, None),
    "borrowed-ranges": ("each weight log-uniform over ranges borrowed from the sweep's front (2–130 × 0.02–0.2)",
                        {"draws": "example"}, BORROWED),
    "rate-0.025-epochs-15": ("Adagrad 0.025, 15 epochs", {"learning_rate": 0.025, "epochs": 15}, None),
    "reference-3-rate-0.025": ("reference pair (3, 0.1), Adagrad 0.025", {"reference": (3.0, 0.1), "learning_rate": 0.025},
                               None),
    "reference-30-rate-0.025": ("reference pair (30, 0.1), Adagrad 0.025",
                                {"reference": (30.0, 0.1), "learning_rate": 0.025}, None),
}
# Round 2's candidates, one change or two from round 1's winner (the study file then).
ROUND_2_CANDIDATES = ("shipped", "rate-0.025", "rate-0.025-epochs-15", "reference-3-rate-0.025", "reference-30-rate-0.025")
# Round 3's candidates: the learning rate from round 2's winner (0.05) to its runner-up (0.025).
ROUND_3_CANDIDATES = ("shipped", "rate-0.035", "rate-0.03", "rate-0.025")
# The candidates of the selection run (benchmarks/results/conditioned-selection.json), named as they were
# then, when studies/conditioned.toml's reference pair was (30, 0.1): "shipped" there is reference-30 here,
# and its "reference-10" is the shipped study here.
SELECTED_AMONG = ("shipped", "reference-0.03", "reference-0.3", "reference-10", "reference-100", "film-16", "film-64",
                  "narrow-3", "epochs-9", "epochs-15", "rate-0.1", "rate-0.025", "reference-3",
                  "reference-10-epochs-15", "reference-3-epochs-15")
# A report variant and the selection candidate that trained the same settings.
SAME_AS_CANDIDATE = {"shipped": "reference-10", "reference-30": "shipped", "reference-3": "reference-3",
                     "reference-100": "reference-100", "epochs-15": "reference-10-epochs-15"}
SELECTION_RULE = ("on the selection seeds' medians: the candidates that meet every goal of a front (share of the "
                  "sweep's hypervolume ≥ 98 %, best top-100 ≥ 0.28, best RMSE ≤ 0.955); among them the highest share; "
                  "if none meets them all, the highest share")


BALANCED_RULE = ("on the selection seeds' medians: each goal's relative margin (share − 98 %) / 98 %, "
                 "(top-100 − 0.28) / 0.28, (0.955 − RMSE) / 0.955; the candidate whose smallest margin is largest")
FRONT_RULE = ("on the selection seeds: the candidates whose trainings' fronts have a median of at least "
              f"{{points}} points; among them, by {BALANCED_RULE.split(': ', 1)[1]}; if none has, the study file's "
              "settings stay")
MIN_FRONT_POINTS = 3
# Round 4's candidates: FiLM at round 3's recipe, its width and rate; the study file as it stands (a point).
ROUND_4_CANDIDATES = ("shipped", "film-16", "film-8", "film-16-rate-0.02", "film-16-rate-0.05")
# Round 5's candidates: the study file (FiLM 16, Adagrad 0.02) and lower rates; round 4's rule.
ROUND_5_CANDIDATES = ("shipped", "rate-0.015", "rate-0.01", "film-8-rate-0.015")
# Round 6's candidates: the study file (FiLM 16, Adagrad 0.015) and FiLM held back 3, 6 or 9 epochs; round 4's rule.
ROUND_6_CANDIDATES = ("shipped", "film-after-3", "film-after-6", "film-after-9")
# Round 7's candidates: the study file and the reference pair moved, one weight at a time; round 4's rule.
ROUND_7_CANDIDATES = ("shipped", "reference-3", "reference-30", "reference-10-0.03", "reference-10-0.3")
# Round 8's candidates: the study file and FiLM's output scaled by 0.3 or 0.1, at its rate or round 3's 0.03.
ROUND_8_CANDIDATES = ("shipped", "film-scale-0.3", "film-scale-0.1", "film-scale-0.3-rate-0.03", "film-scale-0.1-rate-0.03")
# Round 9's candidates: the study file, then its rating MLP refit 2 or 4 epochs, or 2 after 11 epochs (about
# the study file's time).
ROUND_9_CANDIDATES = ("shipped", "calibrate-2", "calibrate-4", "calibrate-2-epochs-11")
# Round 10's candidates: fewer epochs before the refit, each within COST_BUDGET at round 9's measured rates
# (benchmarks/results/conditioned.json then: an epoch about 0.22 of one static training, a refit epoch 0.08,
# evaluating 50 pairs 0.29); the study file beside them, not a candidate (it costs 3.35).
ROUND_10_CANDIDATES = ("calibrate-4-epochs-10", "calibrate-2-epochs-10", "calibrate-4-epochs-9")
COST_BUDGET = 2.85
RULES = {1: SELECTION_RULE, 2: SELECTION_RULE, 3: BALANCED_RULE, 4: FRONT_RULE.format(points=MIN_FRONT_POINTS),
         5: FRONT_RULE.format(points=MIN_FRONT_POINTS), 6: FRONT_RULE.format(points=MIN_FRONT_POINTS),
         7: FRONT_RULE.format(points=MIN_FRONT_POINTS), 8: FRONT_RULE.format(points=MIN_FRONT_POINTS),
         9: FRONT_RULE.format(points=MIN_FRONT_POINTS),
         10: FRONT_RULE.format(points=MIN_FRONT_POINTS).replace(
             "if none has, the study file's settings stay",
             f"if none has, the study file's settings stay; only candidates whose cost at round 9's rates is at most "
             f"{COST_BUDGET:g} trainings' worth (the study file, at 3.35, is trained beside them, not chosen)")}
CANDIDATES = {1: SELECTED_AMONG, 2: ROUND_2_CANDIDATES, 3: ROUND_3_CANDIDATES, 4: ROUND_4_CANDIDATES,
              5: ROUND_5_CANDIDATES, 6: ROUND_6_CANDIDATES, 7: ROUND_7_CANDIDATES, 8: ROUND_8_CANDIDATES,
              9: ROUND_9_CANDIDATES, 10: ROUND_10_CANDIDATES}


def medians(entry: dict) -> tuple[float, float, float]:
    """A variant's share, best top-100 and best RMSE: their medians over its seeds."""
    ends = entry["front_ends"]
    return (entry["trained_pairs"]["shares"]["trivial"]["share"]["median"],
            ends["best_top_100"]["median"], ends["best_rmse"]["median"])


def smallest_margin(share: float, top: float, rmse: float) -> float:
    """The goal a candidate meets least well, as a fraction of that goal (negative: it misses it)."""
    ends = GOAL["front_ends"]
    return min((share - GOAL["hypervolume_share"]) / GOAL["hypervolume_share"],
               (top - ends["top_100_accuracy"]) / ends["top_100_accuracy"],
               (ends["rmse"] - rmse) / ends["rmse"])


def select_balanced(variants: dict, among: tuple[str, ...] = ROUND_3_CANDIDATES) -> str:
    """The candidate BALANCED_RULE ships: no goal met by a hair while another is met by a mile."""
    candidates = {name: medians(entry) for name, entry in variants.items() if name in among}
    return max(candidates, key=lambda name: smallest_margin(*candidates[name]))


def median_front_points(entry: dict) -> float:
    """The median, over a variant's trainings, of how many pairs lie on each training's own front."""
    from sweep.pareto import pareto_front

    metrics = np.asarray(entry["per_training_metrics"]["metrics"], dtype=float)
    trained = np.asarray(entry["per_training_metrics"]["trained"], dtype=bool)
    return float(np.median([pareto_front(metrics[trained, index, :], ("maximize", "minimize")).sum()
                            for index in range(metrics.shape[1])]))


def select_front(variants: dict, among: tuple[str, ...] = ROUND_4_CANDIDATES) -> str:
    """The candidate FRONT_RULE ships: a front of several points first, then the balanced margins."""
    fronts = [name for name in among if name in variants and median_front_points(variants[name]) >= MIN_FRONT_POINTS]
    return select_balanced(variants, tuple(fronts)) if fronts else "shipped"


def select(variants: dict, among: tuple[str, ...] = SELECTED_AMONG) -> str:
    """The candidate the rule (SELECTION_RULE) ships, from a selection run's variants."""
    candidates = {name: medians(entry) for name, entry in variants.items() if name in among}
    meeting = [name for name, (share, top, rmse) in candidates.items()
               if share >= GOAL["hypervolume_share"] and top >= GOAL["front_ends"]["top_100_accuracy"]
               and rmse <= GOAL["front_ends"]["rmse"]]
    return max(meeting or candidates, key=lambda name: candidates[name][0])


def variant_spec(spec, changes: dict, ranges: dict | None):
    from sweep.config import SearchRange

    spec = replace(spec, conditioned=replace(spec.conditioned, **changes))
    if ranges:
        spec = replace(spec, search=tuple(SearchRange(name, low=low, high=high) for name, (low, high) in ranges.items()))
    return spec


def one_static_training(prepared, seeds) -> list[float]:
    """Training-loop seconds of the tutorial's joint pair (1, 1) with the harness's trainer, one per seed."""
    from sweep.config import load_study_file
    from sweep.trial import train_and_evaluate

    spec = load_study_file(ROOT / "studies" / "tutorial.toml")
    train_and_evaluate(1.0, 1.0, 99, spec.model, spec.train, prepared)  # trace the step first, as a worker has
    return [train_and_evaluate(1.0, 1.0, seed, spec.model, spec.train, prepared).seconds.train for seed in seeds]


def evaluated_pairs(spec, sweep_pairs: list) -> tuple[list, np.ndarray]:
    """The sweep's pairs first (like for like), then the tutorial's and the grid; and which are the sweep's."""
    from sweep.baselines import TUTORIAL
    from sweep.conditioned_study import encoding_of, grid_pairs, in_range, search_ranges

    config, ranges = spec.conditioned, search_ranges(spec)
    pairs = list(sweep_pairs) + [(p.rating_weight, p.retrieval_weight) for p in TUTORIAL]
    pairs += grid_pairs(ranges, config.grid, config)
    pairs = list(dict.fromkeys((float(r), float(t)) for r, t in pairs
                               if 0.0 not in (r, t) or config.zero_share > 0))
    trained = np.array([in_range(pair, ranges, config.zero_share, encoding_of(config)) for pair in pairs])
    return pairs, trained


def run_variant(spec, prepared, seeds, sweep_pairs) -> dict:
    """Train one model per seed; each one's metrics at every pair, and the seconds both took."""
    from sweep.conditioned_study import train_one
    from sweep.evaluation import evaluate_at_pairs

    pairs, trained = evaluated_pairs(spec, sweep_pairs)
    runs, trainings = [], []
    for seed in seeds:
        model, history, seconds = train_one(spec, prepared, seed)
        narrowed = getattr(model, "trained_preferences", None)
        started = time.perf_counter()
        metrics = evaluate_at_pairs(model, pairs, prepared.test, prepared.candidates[spec.train.candidates])
        evaluate_seconds = time.perf_counter() - started
        runs.append([[m["top_100_accuracy"], m["rmse"]] for m in metrics])
        trainings.append({"seed": seed, "train_seconds": seconds["train"], "evaluate_seconds": evaluate_seconds,
                          "narrowed_preferences": list(narrowed) if narrowed else None,
                          "evaluate_seconds_per_pair": evaluate_seconds / len(pairs)})
        print(f"  seed {seed}: trained in {seconds['train']:.1f} s, {len(pairs)} pairs evaluated in "
              f"{evaluate_seconds:.1f} s", file=sys.stderr, flush=True)
    metrics = np.transpose(np.asarray(runs), (1, 0, 2))  # pairs × trainings × (top-100, RMSE)
    return {"pairs": pairs, "trained": trained, "metrics": metrics, "trainings": trainings}


def shares(metrics: np.ndarray, sweep_runs: np.ndarray, ctx: dict) -> dict:
    """Like for like at the three references, from each training's front."""
    return protocol.hypervolume_shares(protocol.like_for_like(metrics, sweep_runs), ctx)


def front_ends(metrics: np.ndarray, ctx: dict) -> dict:
    """Per training: the best top-100 among pairs with an RMSE below the global mean, and the best RMSE."""
    best_top, best_rmse = [], []
    for index in range(metrics.shape[1]):
        points = metrics[:, index, :]
        useful = points[points[:, 1] < ctx["global_mean_rmse"]]
        best_top.append(float(useful[:, 0].max()) if len(useful) else float("nan"))
        best_rmse.append(float(points[:, 1].min()))
    return {"best_top_100": protocol.median_interval(best_top).record(),
            "best_rmse": protocol.median_interval(best_rmse).record()}


def summarise(name: str, result: dict, sweep_runs: np.ndarray, ctx: dict, one_training: float) -> dict:
    metrics, trained = result["metrics"], result["trained"]
    like = np.arange(len(result["pairs"])) < LIKE_FOR_LIKE_PAIRS
    train_seconds = statistics.median(t["train_seconds"] for t in result["trainings"])
    per_pair = statistics.median(t["evaluate_seconds_per_pair"] for t in result["trainings"])
    worth = {"training": train_seconds / one_training,
             "evaluation": per_pair * LIKE_FOR_LIKE_PAIRS / one_training}
    worth["total"] = worth["training"] + worth["evaluation"]
    out = {"what": VARIANTS[name][0], "pairs": len(result["pairs"]),
           "out_of_range_pairs": int((~trained).sum()),
           "all_pairs": shares(metrics, sweep_runs, ctx),
           "trained_pairs": shares(metrics[trained], sweep_runs, ctx),
           "sweep_pairs": shares(metrics[like], sweep_runs, ctx),
           "front_ends": front_ends(metrics[trained], ctx),
           "train_seconds": [t["train_seconds"] for t in result["trainings"]],
           "evaluate_seconds_per_pair_model": per_pair, "trainings_worth": worth,
           "per_training_metrics": {"pairs": [list(pair) for pair in result["pairs"]],
                                    "trained": trained.tolist(), "metrics": metrics.tolist()}}
    share = out["trained_pairs"]["shares"]["trivial"]["share"]
    print(f"{name}: share {share['median']:.3f} {share['interval']}, best top-100 "
          f"{out['front_ends']['best_top_100']['median']:.4f}, best RMSE {out['front_ends']['best_rmse']['median']:.4f}, "
          f"{worth['total']:.2f} trainings' worth", file=sys.stderr, flush=True)
    return out


def plot(document: dict, path: Path) -> None:
    """The shipped conditioned trainings' fronts against the sweep's two single-seed fronts, the same 50
    pairs trained with the conditioned recipe, and static models at the draws' mean pair with that recipe;
    the whole box of the trivial baselines on the left, the band where the models lie on the right."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sweep.pareto import pareto_front

    def front(points):
        points = np.asarray(points, dtype=float)
        on = points[pareto_front(points, ("maximize", "minimize"))]
        return on[np.argsort(on[:, 1])]

    ctx = context()
    shipped = document["variants"]["shipped"]
    metrics = np.asarray(shipped["per_training_metrics"]["metrics"])
    trained = np.asarray(shipped["per_training_metrics"]["trained"])
    sweep_runs = runs_array(tutorial_trials())
    same, mean = document.get("same_recipe_sweep"), document.get("mean_pair")
    recipe = (f"{same['recipe']['epochs']} epochs, Adagrad {same['recipe']['learning_rate']:g}" if same else "")
    report = document["seeds"]["report_seeds"]
    figure, panels = plt.subplots(1, 2, figsize=(14, 7.2), dpi=120, gridspec_kw={"width_ratios": [1, 1.25]})
    lowest_rmse = [float(np.min(sweep_runs[:, :, 1]))]
    for axes in panels:
        for k in range(sweep_runs.shape[1]):
            points = front(sweep_runs[:, k, :])
            axes.step(points[:, 1], points[:, 0], where="post", color="black", linewidth=2.0 if k == 0 else 1.1,
                      linestyle="-" if k == 0 else "--", marker="s", markersize=3.5, zorder=4,
                      label=f"the 50-pair sweep (the tutorial's recipe: 3 epochs, Adagrad 0.1), seed-{k} front")
        if same:
            same_runs = np.asarray(same["metrics"], dtype=float)
            for k in range(same_runs.shape[1]):
                points = front(same_runs[:, k, :])
                lowest_rmse.append(float(points[:, 1].min()))
                axes.step(points[:, 1], points[:, 0], where="post", color="tab:red", linewidth=1.6 if k == 0 else 1.0,
                          linestyle="-" if k == 0 else "--", marker="^", markersize=4, zorder=5,
                          label=f"the same 50 pairs trained with the conditioned recipe ({recipe}), seed-{k} front")
        for index in range(len(report)):
            points = front(metrics[trained, index, :])
            axes.step(points[:, 1], points[:, 0], where="post", color="tab:blue", linewidth=1.0, alpha=0.6, zorder=6)
            axes.scatter(points[:, 1], points[:, 0], s=22, color="tab:blue", edgecolor="white", linewidths=0.5,
                         zorder=7, label=None if index else
                         f"one conditioned training's front, each of the {len(report)} report seeds")
        if mean:
            static = np.asarray(mean["recipes"]["conditioned"]["metrics"], dtype=float)
            axes.scatter(static[:, 1], static[:, 0], marker="x", s=45, color="black", linewidths=1.4, zorder=8,
                         label=f"one static model at the draws' mean pair ({mean['pair'][0]:.3g}, {mean['pair'][1]:.3g}), "
                               "the conditioned recipe, each report seed")
        axes.axhline(ctx["most_popular_top_100_accuracy"], color="grey", linestyle=":", linewidth=1)
        axes.axvline(ctx["user_item_bias_rmse"], color="grey", linestyle=":", linewidth=1)
        axes.set_xlim(np.floor(min(lowest_rmse) * 100) / 100 - 0.005, ctx["global_mean_rmse"])
        axes.set_xlabel("RMSE on the test split (lower is better)")
        axes.grid(alpha=0.25)
    whole, band = panels
    whole.set_ylim(ctx["chance_top_100_accuracy"], 0.315)
    whole.set_ylabel("top-100 accuracy (higher is better)")
    whole.set_title("the trivial baselines' box (chance to the global mean)", fontsize=10)
    whole.annotate(f"user + item bias: RMSE {ctx['user_item_bias_rmse']:.3f}", (ctx["user_item_bias_rmse"], 0.07),
                   xytext=(-4, 0), textcoords="offset points", fontsize=8.5, color="dimgrey", rotation=90, ha="right")
    fronts = np.concatenate([front(metrics[trained, index, :]) for index in range(len(report))])
    inside = fronts[fronts[:, 1] < ctx["global_mean_rmse"]]
    low = np.floor((inside[:, 0].min() - 0.005) * 100) / 100
    band.set_ylim(low, 0.305)
    band.set_title(f"the conditioned fronts' band, top-100 {low:.2f}–0.305", fontsize=10)
    band.annotate(f"most popular: top-100 {ctx['most_popular_top_100_accuracy']:.3f}",
                  (ctx["global_mean_rmse"], ctx["most_popular_top_100_accuracy"]), xytext=(-4, 3),
                  textcoords="offset points", fontsize=8.5, color="dimgrey", ha="right")
    handles, labels = band.get_legend_handles_labels()
    figure.legend(handles, labels, loc="lower center", ncol=2, fontsize=8.5, frameon=False)
    share = shipped["trained_pairs"]["shares"]["trivial"]["share"]
    measured = document.get("cost", {}).get("trainings_worth", {}).get("total")
    worth = (f"{measured['median']:.2f} [{measured['interval'][0]:.2f}–{measured['interval'][1]:.2f}]" if measured
             else f"{shipped['trainings_worth']['total']:.1f}")
    lines = [f"One conditioned training: a front holding {_percent(share)} of the 50-pair sweep's hypervolume,\n"
             f"for {worth} trainings' worth of time" + (" (3 trainings in a process, each evaluating 50 pairs)"
                                                         if measured else "")]
    if mean:
        lines.append(f"one static model at the draws' mean pair, trained the same way, holds "
                     f"{_percent(mean['recipes']['conditioned']['share'])}")
    if same:
        lines.append("and the sweep's pairs trained that way make a front of which the conditioned one holds "
                     + _percent(same["comparison"]["conditioned_share"]["shares"]["trivial"]["share"]))
    figure.suptitle(";\n".join(lines), fontsize=11.5)
    figure.tight_layout(rect=(0, 0.12, 1, 0.98))
    figure.savefig(path)
    plt.close(figure)


def _percent(share: dict) -> str:
    """A share's median and interval, as whole percentages (a figure's title)."""
    interval = "" if share["interval"] is None else f" [{share['interval'][0]:.0%}–{share['interval'][1]:.0%}]"
    return f"{share['median']:.0%}{interval}"


COST_REPEATS = 6


def reanalyse(document: dict) -> dict:
    """What the shipped fronts mean beyond the share, from the stored runs (no training): each report
    seed's share against each of the sweep's single-seed fronts alone; the sweep's single-seed
    high-accuracy ends (RMSE below the global mean); how many of each sweep front's points each
    training's front dominates; and TPE at the conditioned model's own cost and at the hybrid's budget
    (the sampler benchmark's TPE runs, their first trials)."""
    from sweep.pareto import pareto_front

    ctx = context()
    reference = {"top_100_accuracy": ctx["chance_top_100_accuracy"], "rmse": ctx["global_mean_rmse"]}
    shipped = document["variants"]["shipped"]["per_training_metrics"]
    metrics = np.asarray(shipped["metrics"], dtype=float)
    trained = np.asarray(shipped["trained"], dtype=bool)
    sweep_runs = runs_array(tutorial_trials())
    directions = ("maximize", "minimize")
    analysis: dict = {"against_each_sweep_seed": {}, "sweep_single_seed_ends": {}, "dominated": {}}
    fronts = [metrics[trained, index, :] for index in range(metrics.shape[1])]
    sweep_fronts = [sweep_runs[:, k, :] for k in range(sweep_runs.shape[1])]

    def trivial_share(candidates, baselines) -> dict:
        comparison = protocol.like_for_like_fronts(candidates, baselines)
        return protocol.hypervolume_shares(comparison, ctx)["shares"]["trivial"]["share"]

    for k in range(sweep_runs.shape[1]):
        sweep_front = sweep_runs[:, k, :][pareto_front(sweep_runs[:, k, :], directions)]
        analysis["against_each_sweep_seed"][f"seed{k}"] = trivial_share(fronts, [sweep_runs[:, k, :]])
        useful = sweep_front[sweep_front[:, 1] < reference["rmse"]]
        best = useful[np.argmax(useful[:, 0])]
        analysis["sweep_single_seed_ends"][f"seed{k}"] = {"top_100_accuracy": float(best[0]), "rmse": float(best[1]),
                                                         "front_points": int(len(sweep_front))}
        counts = []
        for index in range(metrics.shape[1]):
            own = metrics[trained, index, :][pareto_front(metrics[trained, index, :], directions)]
            counts.append(int(sum(any(o[0] >= p[0] and o[1] <= p[1] and (o[0] > p[0] or o[1] < p[1]) for o in own)
                                  for p in sweep_front)))
        analysis["dominated"][f"seed{k}"] = counts
        lowest = sweep_front[np.argmin(sweep_front[:, 1])]  # the sweep front's low-RMSE end
        analysis.setdefault("low_rmse_end", {})[f"seed{k}"] = {
            "top_100_accuracy": float(lowest[0]), "rmse": float(lowest[1]),
            "dominated_by_trainings": int(sum(
                any(o[0] >= lowest[0] and o[1] <= lowest[1] and (o[0] > lowest[0] or o[1] < lowest[1])
                    for o in metrics[trained, index, :]) for index in range(metrics.shape[1])))}
    samplers = json.loads((ROOT / "benchmarks" / "results" / "samplers.json").read_text())
    tpe = [run for run in samplers["runs"] if run["sampler"] == "tpe"]
    analysis["tpe"] = {str(budget): trivial_share(
        [[[t["top_100_accuracy"], t["rmse"]] for t in run["trials"][:budget]] for run in tpe], sweep_fronts)
        for budget in (3, 12)}
    analysis["tpe_study_seeds"] = [run["study_seed"] for run in tpe]
    analysis["fronts"] = front_shapes(metrics, trained, reference, document.get("mean_pair"))
    # trained beside it on the same seeds: the model without FiLM, the study file before the refit, and before
    # round 10's fewer epochs
    for earlier in ("round-3", "round-8", "round-9"):
        if earlier in document["variants"]:
            analysis[f"shipped_minus_{earlier.replace('-', '_')}"] = minus_beside(document["variants"]["shipped"],
                                                                               document["variants"][earlier])
    return analysis


def front_shapes(metrics: np.ndarray, trained: np.ndarray, reference: dict, mean_pair: dict | None) -> dict:
    """Per training, its front inside the trivial baselines' box (the points the hypervolume counts): how
    many points, how far apart in top-100 and in RMSE; and whether the static model at the draws' mean
    pair (same report seed, same recipe) dominates every one of them."""
    from sweep.pareto import pareto_front

    shapes: dict = {"points": [], "top_100_span": [], "rmse_span": [], "static_dominates_all": []}
    statics = mean_pair["recipes"]["conditioned"]["metrics"] if mean_pair else [None] * metrics.shape[1]
    for index, static in zip(range(metrics.shape[1]), statics):
        points = metrics[trained, index, :]
        front = points[pareto_front(points, ("maximize", "minimize"))]
        front = front[(front[:, 0] > reference["top_100_accuracy"]) & (front[:, 1] < reference["rmse"])]
        shapes["points"].append(int(len(front)))
        shapes["top_100_span"].append(float(np.ptp(front[:, 0])) if len(front) else 0.0)
        shapes["rmse_span"].append(float(np.ptp(front[:, 1])) if len(front) else 0.0)
        if static is not None:
            shapes["static_dominates_all"].append(bool(len(front)) and all(
                static[0] >= top and static[1] <= rmse and (static[0] > top or static[1] < rmse) for top, rmse in front))
    return shapes


STUDY_TRAININGS = {"static": 25, "conditioned": 3}  # static trainings in one process (a worker of studies/tutorial.toml
# run with --workers 2 trains about 50: 25 trials of 2 seeds, on 1 thread each; here both sides run alone on every
# core); studies/conditioned.toml's replicates. studies/hybrid.toml trains 1.


def cost(repeats: int = COST_REPEATS) -> dict:
    """The conditioned training's cost in tutorial trainings, each side as its study file runs it: per repeat
    one fresh process trains STUDY_TRAININGS["conditioned"] conditioned models, evaluating each at the sweep's
    first 50 pairs, and another trains STUDY_TRAININGS["static"] static models at (1, 1), one after another as
    a sweep's worker does (protocol.time_fresh_process: each alone, the same threads; the processes alternate
    which runs first, and each repeat's ratios are its own, so the machine's drift cancels within a repeat).
    A process traces its steps on its first training and reuses them after, so the per-training time depends
    on how many trainings share a process; the readings, each a median and 95 % bootstrap interval over the
    repeats, in static trainings (the static side's training seconds, its evaluations not counted):
    - "study": the conditioned study's mean training and evaluation against the worker's mean training,
      tracing included on both sides, amortised over the trainings each runs (the goal's reading);
    - "one_seed": a process's first conditioned training and evaluation against the same (a one-seed study,
      studies/hybrid.toml);
    - "later": the conditioned trainings after the first against the static ones after the first (no tracing);
    - "first": each process's first against the other's first (both tracing).
    Each process's start, imports and data loading (`overhead_seconds`) are recorded and counted in none."""
    threads = os.cpu_count() or 1
    rows = []
    for repeat in range(repeats):
        seed = 1000 + 100 * repeat
        order = ("static", "conditioned") if repeat % 2 == 0 else ("conditioned", "static")
        row: dict = {"order": f"{order[0]} first"}
        for side in order:
            row[side] = study_process(side, STUDY_TRAININGS[side], seed, threads)
        rows.append(row)
        static, conditioned = row["static"]["trainings"], row["conditioned"]["trainings"]
        later_static = statistics.mean(entry["train"] for entry in static[1:])
        later = statistics.mean(entry["train"] + entry["evaluate"] for entry in conditioned[1:])
        print(f"  repeat {repeat}: static first {static[0]['train']:.2f} s, then {later_static:.2f} s; conditioned first "
              f"{conditioned[0]['train']:.2f} + {conditioned[0]['evaluate']:.2f} s, then {later:.2f} s", file=sys.stderr,
              flush=True)
    readings: dict = {}
    for name in ("study", "one_seed", "later", "first"):
        parts = [cost_parts(row, name) for row in rows]
        readings[name] = {part: protocol.median_interval([values[part] for values in parts]).record()
                          for part in ("training", "evaluation", "total")}
    return {"what": (f"fresh processes: the study file's {STUDY_TRAININGS['conditioned']} conditioned trainings "
                     f"against a sweep worker's {STUDY_TRAININGS['static']} static ones, tracing included, amortised"),
            "repeats": rows, "pairs_evaluated": LIKE_FOR_LIKE_PAIRS, "trainings": STUDY_TRAININGS,
            "threads": threads, "readings": readings, "trainings_worth": readings["study"]}


def evaluation_per_pair(measured: dict) -> dict:
    """The goal's seconds per (pair, model) from `cost`'s run: the median over its conditioned trainings of each
    one's evaluation at the sweep's 50 pairs, per pair (the report run's own timing predates the code timed here)."""
    per_pair = [entry["evaluate"] / measured["pairs_evaluated"] for row in measured["repeats"]
                for entry in row["conditioned"]["trainings"]]
    return {"evaluate_seconds_per_pair_model": statistics.median(per_pair),
            "evaluate_seconds_per_pair_model_from": "cost: the median over its conditioned trainings' evaluations at "
                                                    f"{measured['pairs_evaluated']} pairs, first trainings included"}


def cost_parts(row: dict, reading: str) -> dict:
    """One repeat's conditioned training and evaluation seconds over static training seconds, by `cost`'s reading."""
    static, conditioned = row["static"]["trainings"], row["conditioned"]["trainings"]
    picked_static = {"study": static, "one_seed": static, "later": static[1:], "first": static[:1]}[reading]
    picked = {"study": conditioned, "one_seed": conditioned[:1], "later": conditioned[1:], "first": conditioned[:1]}[reading]
    unit = statistics.mean(entry["train"] for entry in picked_static)
    training = statistics.mean(entry["train"] for entry in picked) / unit
    evaluation = statistics.mean(entry["evaluate"] for entry in picked) / unit
    return {"training": training, "evaluation": evaluation, "total": training + evaluation}


def study_process(side: str, trainings: int, seed: int, threads: int) -> dict:
    """`trainings` of one side in a fresh process (`study_child`), timed end to end: each training's seconds
    and the process's overhead."""
    with tempfile.TemporaryDirectory(prefix="sweep-cost-") as scratch:
        record = Path(scratch) / "trainings.json"
        timed = protocol.time_fresh_process(
            [sys.executable, "-m", "benchmarks.conditioned", "--study-child", side, "--trainings", str(trainings),
             "--seed", str(seed), "--record", str(record)], threads, cwd=ROOT, env={"PYTHONPATH": str(ROOT)})
        return {"trainings": json.loads(record.read_text()), "overhead_seconds": timed.overhead_seconds,
                "wall_seconds": timed.total_seconds}


def study_child(side: str, trainings: int, seed: int, record: Path) -> None:
    """`study_process`'s child: `trainings` static trials at (1, 1) (their evaluation not counted: the unit is
    a static training) or conditioned trainings each evaluated at the sweep's first 50 pairs, seeds from `seed`
    on, one after another in this process; each one's seconds to `record`, their sums to the protocol."""
    from sweep.conditioned_study import train_one
    from sweep.config import load_study_file
    from sweep.evaluation import evaluate_at_pairs
    from sweep.trial import train_and_evaluate

    spec, prepared = study_and_data()
    tutorial = load_study_file(ROOT / "studies" / "tutorial.toml")
    sweep_pairs = [tuple(t["pair"]) for t in tutorial_trials()][:LIKE_FOR_LIKE_PAIRS]
    rows = []
    for index in range(trainings):
        if side == "static":
            result = train_and_evaluate(1.0, 1.0, seed + index, tutorial.model, tutorial.train, prepared)
            rows.append({"train": result.seconds.train, "evaluate": 0.0})
            continue
        model, _, seconds = train_one(spec, prepared, seed + index)
        started = time.perf_counter()
        evaluate_at_pairs(model, sweep_pairs, prepared.test, prepared.candidates[spec.train.candidates])
        rows.append({"train": seconds["train"], "evaluate": time.perf_counter() - started})
    record.write_text(json.dumps(rows))
    protocol.report_parts(sum(row["train"] for row in rows), sum(row["evaluate"] for row in rows))


def mean_pair(spec) -> tuple[float, float]:
    """The mean of the pairs a preference-draw training draws, in the static objective's units: the pair
    whose gradient the layers that do not see the pair follow on average (every loss term is linear in
    its weight). λ uniform over the preference range; `zero_share` of rows at (R_rating, 0) or (0, R_retrieval)."""
    from sweep.conditioned_pairs import preference_range
    from sweep.conditioned_study import search_ranges

    config = spec.conditioned
    rating, retrieval = config.reference
    low, high = preference_range(search_ranges(spec), tuple(config.reference))
    mean_preference, zero = (low + high) / 2, config.zero_share
    return ((1 - zero) * mean_preference * rating + zero / 2 * rating,
            (1 - zero) * (1 - mean_preference) * retrieval + zero / 2 * retrieval)


def conditioned_recipe(spec):
    """The conditioned training's epochs, batch and rate as a static [train], and the factor that keeps a
    pair's meaning (its retrieval term a Σ over the tutorial's batch) at that batch."""
    from sweep.verification import training_recipe

    return training_recipe(replace(spec, conditioned=replace(spec.conditioned, verify_recipe="conditioned")))


SAME_RECIPE_SEEDS = (0, 1)  # as many single-seed fronts as the tutorial study has


def same_recipe_sweep(spec, prepared, sweep_pairs: list) -> dict:
    """The 50-pair sweep again, each pair trained statically with the conditioned recipe, one training per
    pair and seed: the front the conditioned model would face if the sweep trained as long as it does."""
    from sweep.trial import train_and_evaluate

    longer, rescale = conditioned_recipe(spec)
    runs = []  # pairs × seeds × (top-100, RMSE)
    for index, (rating, retrieval) in enumerate(sweep_pairs):
        row = []
        for seed in SAME_RECIPE_SEEDS:
            result = train_and_evaluate(rating, retrieval * rescale, seed, spec.model, longer, prepared)
            row.append([result.metrics["top_100_accuracy"], result.metrics["rmse"]])
        runs.append(row)
        print(f"  pair {index + 1}/{len(sweep_pairs)} ({rating:.3g}, {retrieval:.3g}): {row}", file=sys.stderr, flush=True)
    return {"pairs": [list(pair) for pair in sweep_pairs], "seeds": list(SAME_RECIPE_SEEDS), "metrics": runs,
            "recipe": {"epochs": longer.epochs, "batch_size": longer.batch_size, "learning_rate": longer.learning_rate}}


def against_same_recipe(document: dict) -> dict:
    """The shipped trainings' fronts like for like against the same-recipe sweep's single-seed fronts, at the
    three references; and that sweep's own hypervolume against the tutorial-recipe sweep's."""
    ctx = context()
    same = np.asarray(document["same_recipe_sweep"]["metrics"], dtype=float)
    shipped = document["variants"]["shipped"]["per_training_metrics"]
    metrics, trained = np.asarray(shipped["metrics"], dtype=float), np.asarray(shipped["trained"], dtype=bool)
    fronts = [metrics[trained, index, :] for index in range(metrics.shape[1])]
    same_fronts = [same[:, k, :] for k in range(same.shape[1])]
    tutorial_runs = runs_array(tutorial_trials())
    return {"ends": {"best_rmse": [float(np.min(front[:, 1])) for front in same_fronts],
                     "best_top_100": [float(np.max(front[:, 0])) for front in same_fronts]},
            "conditioned_share": protocol.hypervolume_shares(protocol.like_for_like_fronts(fronts, same_fronts), ctx),
            "same_recipe_over_tutorial_recipe": protocol.hypervolume_shares(
                protocol.like_for_like_fronts(same_fronts, [tutorial_runs[:, k, :] for k in range(tutorial_runs.shape[1])]),
                ctx)}


def static_at_mean_pair(spec, prepared, seeds) -> dict:
    """Static models at the draws' mean pair, seed by seed: with the tutorial's training ([train]) and with
    the conditioned training's epochs, batch and rate (its retrieval weight rescaled so that the pair
    means the same static objective: a Σ over the tutorial's batch). If the conditioned model without
    FiLM is, in its shared layers, a static model at that pair, the second matches its top-100."""
    from sweep.trial import train_and_evaluate

    rating, retrieval = mean_pair(spec)
    longer, rescale = conditioned_recipe(spec)
    recipes = {"tutorial": (spec.train, retrieval), "conditioned": (longer, retrieval * rescale)}
    out: dict = {"pair": [rating, retrieval], "recipes": {}}
    for name, (train, weight) in recipes.items():
        runs = [train_and_evaluate(rating, weight, seed, spec.model, train, prepared) for seed in seeds]
        metrics = [[run.metrics["top_100_accuracy"], run.metrics["rmse"]] for run in runs]
        out["recipes"][name] = {"epochs": train.epochs, "batch_size": train.batch_size,
                                "learning_rate": train.learning_rate, "trained_pair": [rating, weight],
                                "seeds": list(seeds), "metrics": metrics,
                                "train_seconds": [run.seconds.train for run in runs],
                                "top_100": protocol.median_interval([m[0] for m in metrics]).record(),
                                "rmse": protocol.median_interval([m[1] for m in metrics]).record()}
        print(f"{name} recipe at {rating:.3g}, {weight:.3g}: top-100 {out['recipes'][name]['top_100']['median']:.4f}, "
              f"RMSE {out['recipes'][name]['rmse']['median']:.4f}", file=sys.stderr, flush=True)
    return with_shares(out)


def against_shipped(document: dict) -> dict:
    """Seed by seed, the shipped conditioned training minus the static model at the mean pair with the
    conditioned recipe (same report seed): share, best top-100, best RMSE; median and bootstrap interval."""
    static = document["mean_pair"]["recipes"]["conditioned"]
    return paired_differences(seed_values(document["variants"]["shipped"]),
                              {"share": static["share"]["values"], "top_100": [m[0] for m in static["metrics"]],
                               "rmse": [m[1] for m in static["metrics"]]})


def minus_beside(entry: dict, beside: dict) -> dict:
    """Seed by seed, one variant's share, best top-100 and best RMSE less another's trained on the same report
    seeds: median and bootstrap interval of the differences."""
    return paired_differences(seed_values(entry), seed_values(beside))


def seed_values(variant: dict) -> dict:
    """A variant's share, best top-100 and best RMSE, one value per report seed."""
    ends = variant["front_ends"]
    return {"share": variant["trained_pairs"]["shares"]["trivial"]["share"]["values"],
            "top_100": ends["best_top_100"]["values"], "rmse": ends["best_rmse"]["values"]}


def paired_differences(ours: dict, theirs: dict) -> dict:
    """Each figure's seed-by-seed differences, ours less theirs: median and bootstrap interval."""
    return {name: protocol.median_interval([a - b for a, b in zip(ours[name], theirs[name])]).record() for name in ours}


def with_shares(mean_pair_runs: dict) -> dict:
    """Each recipe's static models as one-point fronts, like for like against the sweep's single-seed fronts."""
    ctx, sweep_runs = context(), runs_array(tutorial_trials())
    sweep_fronts = [sweep_runs[:, k, :] for k in range(sweep_runs.shape[1])]
    for recipe in mean_pair_runs["recipes"].values():
        fronts = [np.asarray([point]) for point in recipe["metrics"]]
        recipe["share"] = protocol.hypervolume_shares(protocol.like_for_like_fronts(fronts, sweep_fronts),
                                                      ctx)["shares"]["trivial"]["share"]
    return mean_pair_runs


def study_and_data():
    """The study file's spec and its prepared split (MovieLens cached)."""
    from sweep.config import load_study_file
    from sweep.config import run as run_config
    from sweep.data import load_prepared

    spec = load_study_file(STUDY_FILE)
    return spec, load_prepared(spec.data, run_config.data_dir(None))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--select", action="store_true", help="train on the selection seeds instead (choosing)")
    parser.add_argument("--extend", type=Path, default=None,
                        help="keep the variants this earlier result file holds and train only the others")
    parser.add_argument("--out", type=Path, default=None, help="also write the results as JSON here")
    parser.add_argument("--plot", type=Path, default=None, help="draw the shipped fronts here (PNG)")
    parser.add_argument("--replot", type=Path, default=None, help="only draw --plot from this result file")
    parser.add_argument("--reanalyse", type=Path, default=None,
                        help="only add what the shipped fronts mean (no training) to this result file")
    parser.add_argument("--round", type=int, default=ROUND, choices=sorted(ROUNDS),
                        help="the selection round whose seeds to run on (conditioned-selection.json and conditioned-round-1.json "
                             "are round 1, the -2 files round 2, conditioned-selection-3.json and conditioned.json round 3)")
    parser.add_argument("--pool", type=Path, default=None,
                        help="only add to this later round's report file the shipped figures over its report seeds "
                             "and the first round's (benchmarks/results/conditioned-round-1.json) together")
    parser.add_argument("--mean-pair", type=Path, default=None,
                        help="only train static models at the draws' mean pair on this result file's report seeds")
    parser.add_argument("--same-recipe-sweep", type=Path, default=None,
                        help="only train the sweep's 50 pairs with the conditioned recipe and compare, into this file")
    parser.add_argument("--cost", type=Path, default=None,
                        help="only time the conditioned study's trainings against a sweep worker's, into this result file")
    parser.add_argument("--study-child", choices=("static", "conditioned"), default=None, help=argparse.SUPPRESS)
    parser.add_argument("--trainings", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--record", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.study_child:
        study_child(args.study_child, args.trainings, args.seed, args.record)
        return 0
    if args.replot:
        plot(json.loads(args.replot.read_text()), args.plot)
        return 0
    if args.reanalyse:
        from benchmarks.machine import write_result

        document = json.loads(args.reanalyse.read_text())
        document["analysis"] = reanalyse(document)
        write_result(args.reanalyse, document)
        return 0
    if args.pool:
        from benchmarks.machine import write_result

        later = json.loads(args.pool.read_text())
        first = json.loads((ROOT / "benchmarks" / "results" / "conditioned-round-1.json").read_text())
        later["pooled_with_round_1"] = pooled(first, later)
        write_result(args.pool, later)
        return 0
    command = " ".join(["python", "-m", "benchmarks.conditioned", *(argv or sys.argv[1:])])
    if args.same_recipe_sweep:
        from benchmarks.machine import write_result

        document = json.loads(args.same_recipe_sweep.read_text())
        spec, prepared = study_and_data()
        sweep_pairs = [t["pair"] for t in tutorial_trials()]  # all 50, the tutorial's three among them
        document["same_recipe_sweep"] = same_recipe_sweep(spec, prepared, sweep_pairs) | {"command": command}
        document["same_recipe_sweep"]["comparison"] = against_same_recipe(document)
        write_result(args.same_recipe_sweep, document)
        return 0
    if args.mean_pair:
        from benchmarks.machine import write_result

        document = json.loads(args.mean_pair.read_text())
        spec, prepared = study_and_data()
        document["mean_pair"] = static_at_mean_pair(spec, prepared, document["seeds"]["report_seeds"])
        document["mean_pair"] |= {"shipped_minus_static": against_shipped(document), "command": command}
        write_result(args.mean_pair, document)
        return 0
    if args.cost:
        from benchmarks.machine import write_result

        document = json.loads(args.cost.read_text())
        measured = cost()
        measured["command"] = command
        if "cost" in document:  # kept: a reader sees every measurement of the cost, not only the last
            document.setdefault("earlier_costs", []).append(document["cost"])
        document["cost"] = measured
        worth = measured["trainings_worth"]
        document["goal"]["trainings_worth"] = {name: entry["median"] for name, entry in worth.items()}
        document["goal"]["trainings_worth_interval"] = {name: entry["interval"] for name, entry in worth.items()}
        document["goal"] |= evaluation_per_pair(measured)
        document["goal"]["trainings_worth_reading"] = (f"per training of studies/conditioned.toml's "
                                                       f"{STUDY_TRAININGS['conditioned']} in one process, against a "
                                                       f"sweep worker's {STUDY_TRAININGS['static']} static trainings")
        write_result(args.cost, document)
        return 0

    from benchmarks.machine import write_result

    spec, prepared = study_and_data()
    trials = [t for t in tutorial_trials() if t["tutorial_pair"] == ""]
    sweep_pairs = [t["pair"] for t in trials]
    sweep_runs = runs_array(tutorial_trials())
    ctx = context()
    chosen_round = ROUNDS[args.round]
    seeds = chosen_round.selection if args.select else chosen_round.report
    static_seconds = one_static_training(prepared, (0, 1, 2))
    one_training = statistics.median(static_seconds)
    print(f"one static training {one_training:.2f} s; seeds {list(seeds)}", file=sys.stderr, flush=True)
    earlier = json.loads(args.extend.read_text()) if args.extend else {}
    if earlier and earlier["measured_on"] != ("selection" if args.select else "report"):
        raise SystemExit(f"{args.extend} was measured on the {earlier['measured_on']} seeds")
    variants = dict(earlier.get("variants", {}))
    for name in args.variants:
        if name in variants:
            continue
        _, changes, ranges = VARIANTS[name]
        result = run_variant(variant_spec(spec, changes, ranges), prepared, seeds, sweep_pairs)
        variants[name] = summarise(name, result, sweep_runs, ctx, one_training)
    document = {"seeds": chosen_round.record(), "round": args.round,
                "measured_on": "selection" if args.select else "report",
                "sweep": {"study": "tutorial", "pairs": len(sweep_pairs), "seeds_per_pair": int(sweep_runs.shape[1]),
                          "source": "benchmarks/results/tutorial-study.csv"},
                "one_static_training_seconds": one_training, "static_training_seconds": static_seconds,
                "study_file": str(STUDY_FILE.relative_to(ROOT)), "selected_among": list(SELECTED_AMONG),
                "goal_set": GOAL, "variants": variants,
                "commands": [*earlier.get("commands", [earlier["command"]] if earlier else []), command]}
    if args.select:
        among, rule = CANDIDATES[args.round], RULES[args.round]
        chosen = (select_balanced(variants, among) if rule == BALANCED_RULE else
                  select_front(variants, among) if args.round >= 4 else select(variants, among))
        document |= {"selected_among": list(among), "selection_rule": rule, "selected": chosen,
                     "margins": {name: smallest_margin(*medians(variants[name])) for name in among if name in variants},
                     "median_front_points": {name: median_front_points(variants[name]) for name in among
                                             if name in variants}}
    if "shipped" in variants and not args.select:
        document["goal"] = goal(spec, variants["shipped"], chosen_round)
    if args.out:
        write_result(args.out, document)
    if args.plot and "shipped" in variants and not args.select:
        plot(document, args.plot)
    return 0


def pooled(first: dict, later: dict) -> dict:
    """The shipped settings' share and front ends over two rounds' report seeds together: one value per
    report seed, so the median and its interval rest on twice the seeds."""
    def values(document: dict, key: str) -> list[float]:
        shipped = document["variants"]["shipped"]
        entry = shipped["trained_pairs"]["shares"]["trivial"]["share"] if key == "share" else shipped["front_ends"][key]
        return entry["values"]

    seeds = first["seeds"]["report_seeds"] + later["seeds"]["report_seeds"]
    return {"report_seeds": seeds, **{key: protocol.median_interval(values(first, key) + values(later, key)).record()
                                      for key in ("share", "best_top_100", "best_rmse")}}


def share_verdict(share: dict) -> str:
    """The share goal's verdict. Reached: the median at the goal and the interval's low end at its floor;
    not reached: the whole interval short of the goal; otherwise (or without an interval) undetermined."""
    low, high = share["interval"] or (None, None)
    if low is not None and share["median"] >= GOAL["hypervolume_share"] and low >= GOAL["interval_low"]:
        return "reached"
    return "not reached" if high is not None and high < GOAL["hypervolume_share"] else "undetermined"


def goal(spec, shipped: dict, seeds: protocol.Seeds) -> dict:
    """The issue's goal, recorded so a reader (and a script) can check it."""
    from sweep.conditioned_study import search_ranges

    share = shipped["trained_pairs"]["shares"]["trivial"]["share"]
    low, high = share["interval"] or (None, None)
    verdict = share_verdict(share)
    return {"search_range": {name: list(bounds) for name, bounds in search_ranges(spec).items()},
            "draws": spec.conditioned.draws, "reference": list(spec.conditioned.reference),
            **seeds.record(),
            "hypervolume_share": {"median": share["median"], "low": low, "high": high,
                                  "reference": "trivial baselines", "verdict": verdict},
            "trainings_worth": shipped["trainings_worth"],
            "evaluate_seconds_per_pair_model": shipped["evaluate_seconds_per_pair_model"],
            "front_ends": {"best_top_100": shipped["front_ends"]["best_top_100"]["median"],
                           "best_rmse": shipped["front_ends"]["best_rmse"]["median"]},
            "hybrid": None}


if __name__ == "__main__":
    raise SystemExit(main())
