"""The hybrid: one conditioned training plus K static trainings at the pairs its front points to, against TPE.

`[conditioned] verify = K` trains K pairs of the conditioned front statically. Measured here, under
the protocol (benchmarks/protocol.py), from the committed benchmarks/results/conditioned.json (its
report-seed run: the shipped variant's models evaluated at every pair, per training):

- for each report seed: the pairs of that training's front (inside the trained ratios, neither weight
  zero) chosen greedily by hypervolume from the trivial baselines, as `verify` chooses them
  (sweep.pareto.greedy_hypervolume; all of them when the front has fewer than K points), each
  trained statically with the tutorial's settings and that seed, in 1 + K trainings at most; the
  hybrid's front is read two ways: the front its study holds (`served_fronts`: the conditioned model at
  every pair it was evaluated at and the static models, as `sweep report` and `sweep pick` read a
  conditioned study), and the static models alone (what a user can serve without the conditioned model);
- like for like: its single-seed fronts against the sweep's single-seed fronts
  (benchmarks/results/tutorial-study.csv), at the three references (protocol.hypervolume_shares); medians and
  95 % bootstrap intervals over seeds. Writes `hybrid` into the conditioned result file. TPE with as many
  trainings is read from the sampler benchmark by `scripts/bench-conditioned --reanalyse`.

`--served` (no training) reads both recipes' stored hybrids the first way, recomputes the conditioned-recipe
hybrids' time from the conditioned training's cost as last measured (`scripts/bench-conditioned --cost`), and
writes the goal's entries:
`goal.hybrid_tutorial_recipe`, `goal.hybrid_conditioned_recipe(_layers)`, and `goal.hybrid`, the one whose
recipe `--select-recipe` chose on selection seeds (`select_recipe`, its rule written before it ran).

    scripts/bench-conditioned-hybrid [--verify 11]
    scripts/bench-conditioned-hybrid --result benchmarks/results/conditioned-round-1.json --variant film-16

With `--variant` other than shipped the hybrid of that variant's trainings is measured the same way and
written under `hybrid_variants` (no goal object: the study file does not train that variant).

With `--recipe conditioned` (the study file's `verify_recipe = "conditioned"`) the verified pairs are
trained with the conditioned training's own epochs, batch and rate (sweep.verification.training_recipe:
the retrieval weight rescaled so that a pair means the same objective), as the model that pointed to
them was trained, under two choice rules: the front only, as above ("front"), and the front followed,
while fewer than K are taken, by the next non-dominated layers ("layers", sweep.pareto.greedy_layers);
the front-only pairs are the layered choice's first ones, so one run trains both. Each rule's fronts are
set against the tutorial-recipe sweep (the goal's reference) and against the same pairs' sweep trained
with that recipe (`same_recipe_sweep`, like for like), and seed by seed against the tutorial-recipe
hybrid. Its cost is counted in tutorial trainings' worth: each seed's verified trainings over a
tutorial-recipe training timed beside them at the tutorial's joint pair (1, 1), both tasks, as a
sweep's trials train, plus the conditioned training's own (goal.trainings_worth). Writes
`hybrid_recipes.conditioned` (front) and `hybrid_recipes.conditioned_layers` (their goal entries:
`--served`). `--select-fill` chooses between the rules on a
selection run's seeds (`select_fill`). `--tpe` runs TPE with that recipe and as many trainings on the
sampler benchmark's TPE study seeds (2 worker processes; not timed).

    scripts/bench-conditioned-hybrid --recipe conditioned --select-fill \
        --result benchmarks/results/conditioned-selection-8.json --variant film-scale-0.3-rate-0.03 \
        --out benchmarks/results/conditioned-hybrid-selection.json   # 4 min, alone on the machine
    scripts/bench-conditioned-hybrid --recipe conditioned          # 10 min, alone on the machine
    scripts/bench-conditioned-hybrid --recipe conditioned --tpe    # 10 min
    scripts/bench-conditioned-hybrid --select-recipe --result benchmarks/results/conditioned-selection-8.json \
        --variant film-scale-0.3-rate-0.03 --out benchmarks/results/conditioned-hybrid-selection.json   # 2 min
    scripts/bench-conditioned-hybrid --served                      # seconds: the goal's hybrid entries
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
SELECTION = ROOT / "benchmarks" / "results" / "conditioned-hybrid-selection.json"
GOAL = {"hypervolume_share": 0.98, "trainings": 12}


def chosen_pairs(pairs: list, trained: list, metrics: np.ndarray, reference: dict, count: int,
                 layered: bool = False) -> list:
    """The training's front (verifiable pairs only), `count` of its pairs taken greedily by hypervolume; with
    `layered`, a front of fewer than `count` points is followed by the next layers' (sweep.pareto.greedy_layers)."""
    from sweep.pareto import greedy_hypervolume, greedy_layers, pareto_front

    directions = ("maximize", "minimize")
    inside = verifiable(pairs, trained)
    points, corner = metrics[inside], [reference["top_100_accuracy"], reference["rmse"]]
    if layered:
        return [tuple(pairs[inside[index]]) for index in greedy_layers(points, directions, corner, count)]
    on_front = np.flatnonzero(pareto_front(points, directions))
    order = greedy_hypervolume(points[on_front], directions, corner, count)
    return [tuple(pairs[inside[on_front[index]]]) for index in order]


def verifiable(pairs: list, trained: list) -> list[int]:
    """The indices of the pairs `verify` may choose (sweep.verification.verifiable_pair)."""
    from sweep.verification import verifiable_pair

    return [index for index, (ok, pair) in enumerate(zip(trained, pairs)) if verifiable_pair(pair, ok)]


def front_size(pairs: list, trained: list, metrics: np.ndarray) -> int:
    """How many points the training's front has among the verifiable pairs."""
    from sweep.pareto import pareto_front

    return int(pareto_front(metrics[verifiable(pairs, trained)], ("maximize", "minimize")).sum())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verify", type=int, default=11, help="K, the static trainings after the conditioned one")
    parser.add_argument("--result", type=Path, default=RESULT, help="the report-seed run of bench-conditioned to read")
    parser.add_argument("--variant", default="shipped", help="whose trainings to verify (default: the study file's)")
    parser.add_argument("--recipe", choices=("tutorial", "conditioned"), default="tutorial",
                        help="train the verified pairs as the tutorial does or as the conditioned model")
    parser.add_argument("--tpe", action="store_true", help="with --recipe conditioned: TPE with that recipe instead")
    parser.add_argument("--select-fill", action="store_true",
                        help="with --recipe conditioned: choose the front-only or the layered rule on a selection "
                             "run's seeds (--result, --variant)")
    parser.add_argument("--select-recipe", action="store_true",
                        help="choose the recipe the goal's hybrid verifies with on a selection run's seeds (--result, "
                             "--variant; --out: the --select-fill file, which this adds to)")
    parser.add_argument("--served", action="store_true",
                        help="from the stored report-seed runs: each hybrid's front as its study holds it (the "
                             "conditioned model and its verified models), and the goal's hybrid (no training)")
    parser.add_argument("--out", type=Path, default=None, help="with --select-fill: where to write the choice")
    parser.add_argument("--layers", action="store_true",
                        help="with the tutorial's recipe: fill a short front from the next layers (verify_fill = "
                             "\"layers\"), recorded beside the front-only hybrid")
    args = parser.parse_args(argv)
    command = " ".join(["python", "-m", "benchmarks.conditioned_hybrid", *(argv or sys.argv[1:])])
    if args.select_recipe:
        return select_recipe(args, command)
    if args.served:
        return served(args.result)
    if args.recipe == "conditioned":
        return conditioned_recipe_hybrid(args, argv)

    from benchmarks.machine import write_result
    from sweep.config import load_study_file
    from sweep.config import run as run_config
    from sweep.data import load_prepared

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
        pairs = chosen_pairs(shipped["pairs"], shipped["trained"], metrics[:, index, :], reference, args.verify,
                             args.layers)
        static, seconds = train_statically(pairs, seed, spec.model, spec.train, prepared)
        print(f"seed {seed}: {len(pairs)} pairs verified", file=sys.stderr, flush=True)
        hybrid_fronts.append(np.asarray(static).reshape(-1, 2))
        runs.append({"seed": seed, "trainings": 1 + len(pairs), "pairs": [list(pair) for pair in pairs],
                     "static_metrics": static,
                     "static_seconds": seconds,
                     "conditioned_metrics": [metrics[shipped["pairs"].index(list(pair)), index, :].tolist()
                                             for pair in pairs]})
    trainings = max(run["trainings"] for run in runs)  # 1 + K, or fewer where the front has fewer than K points
    hybrid = {"verify": args.verify, "trainings": trainings,
              "verified_median": float(np.median([len(run["pairs"]) for run in runs])),
              "runs": runs,
              "command": " ".join(["python", "-m", "benchmarks.conditioned_hybrid", *(argv or sys.argv[1:])]),
              "hybrid_shares": protocol.hypervolume_shares(protocol.like_for_like_fronts(hybrid_fronts, sweep_fronts),
                                                           ctx)}
    share = hybrid["hybrid_shares"]["shares"]["trivial"]["share"]
    verdict = goal_share(share)["verdict"]
    hybrid["verdict"] = verdict
    if args.layers:
        document["hybrid_layers"] = hybrid | {"rule": "layers"}
        print(f"hybrid, layers ({trainings} trainings): {share['median']:.3f} {share['interval']}; --served next",
              file=sys.stderr)
        write_result(args.result, document)
        return 0
    if args.variant != "shipped":
        document.setdefault("hybrid_variants", {})[args.variant] = hybrid
        print(f"{args.variant} hybrid ({trainings} trainings): {share['median']:.3f} {share['interval']}", file=sys.stderr)
        write_result(args.result, document)
        return 0
    document["hybrid"] = hybrid
    print(f"hybrid ({trainings} trainings): {share['median']:.3f} {share['interval']} ({verdict}); the goal's "
          "entries: --served", file=sys.stderr)
    write_result(args.result, document)
    return 0


def verify_statically(per_training: dict, seeds: list, count: int, layered: bool) -> tuple[list, list]:
    """Each training's chosen pairs (`chosen_pairs`) trained statically with the conditioned recipe and that
    training's seed, and a tutorial-recipe training at (1, 1) timed beside them: (runs, fronts)."""
    from benchmarks.conditioned import conditioned_recipe
    from sweep.config import load_study_file
    from sweep.config import run as run_config
    from sweep.data import load_prepared
    from sweep.trial import train_and_evaluate

    spec = load_study_file(ROOT / "studies" / "conditioned.toml")
    longer, rescale = conditioned_recipe(spec)
    metrics = np.asarray(per_training["metrics"])
    ctx = context()
    reference = {"top_100_accuracy": ctx["chance_top_100_accuracy"], "rmse": ctx["global_mean_rmse"]}
    tutorial_spec = load_study_file(ROOT / "studies" / "tutorial.toml")
    prepared = load_prepared(tutorial_spec.data, run_config.data_dir(None))
    runs, fronts = [], []
    for index, seed in enumerate(seeds):
        pairs = chosen_pairs(per_training["pairs"], per_training["trained"], metrics[:, index, :], reference, count,
                             layered)
        static, seconds = train_statically(pairs, seed, spec.model, longer, prepared, rescale)
        timed = train_and_evaluate(1.0, 1.0, seed, tutorial_spec.model, tutorial_spec.train, prepared)  # both tasks
        tutorial_seconds = timed.seconds.train + timed.seconds.evaluate
        fronts.append(np.asarray(static).reshape(-1, 2))
        runs.append({"seed": seed, "trainings": 1 + len(pairs), "pairs": [list(pair) for pair in pairs],
                     "front_points": front_size(per_training["pairs"], per_training["trained"], metrics[:, index, :]),
                     "static_metrics": static, "static_seconds": seconds,
                     "tutorial_recipe_seconds": tutorial_seconds,
                     "static_trainings_worth": sum(seconds) / tutorial_seconds})
        print(f"seed {seed}: {len(pairs)} pairs verified, {sum(seconds) / tutorial_seconds:.1f} trainings' worth",
              file=sys.stderr, flush=True)
    return runs, fronts


def train_statically(pairs: list, seed: int, model, train, prepared, rescale: float = 1.0) -> tuple[list, list]:
    """Each pair trained statically with `train` and `seed`, its retrieval weight times `rescale` (the conditioned
    recipe's, sweep.verification.training_recipe): each model's (top-100, RMSE) and its training and evaluation
    seconds."""
    from sweep.trial import train_and_evaluate

    static, seconds = [], []
    for rating, retrieval in pairs:
        result = train_and_evaluate(rating, retrieval * rescale, seed, model, train, prepared)
        static.append([result.metrics["top_100_accuracy"], result.metrics["rmse"]])
        seconds.append(result.seconds.train + result.seconds.evaluate)
    return static, seconds


def served_fronts(metrics: np.ndarray, runs: list[dict]) -> list[np.ndarray]:
    """Per training, the points a hybrid's user can serve: the conditioned model at every pair it was evaluated at
    (`metrics`, pairs × trainings × 2) and the static models verified from it (`runs`, in the trainings' order).
    A conditioned study's front is made of both kinds of trial (`sweep report`, `sweep pick`)."""
    return [np.vstack([metrics[:, index, :], np.asarray(run["static_metrics"], dtype=float).reshape(-1, 2)])
            for index, run in enumerate(runs)]


def select_fill(args, document: dict, command: str) -> int:
    """Whether `verify` should fill a short front from the next layers, chosen on selection seeds.

    The rule, fixed before this ran: on the selection seeds of `--result` (its `--variant`'s trainings,
    the shipped settings), the layered choice is trained; the front-only choice is its prefix (the front's
    points, at most K). Each rule's hybrid front is its static models; the rule with the larger median share
    of the tutorial-recipe sweep's hypervolume (trivial reference) is chosen, the front-only one on a tie."""
    from benchmarks.machine import write_result

    if document.get("measured_on") != "selection" or args.variant not in document["variants"]:
        raise SystemExit(f"{args.result} holds no selection-seed run of the variant {args.variant}")
    same = json.loads(RESULT.read_text())
    seeds = document["seeds"]["selection_seeds"]
    runs, fronts = verify_statically(document["variants"][args.variant]["per_training_metrics"], seeds, args.verify,
                                     layered=True)
    prefixes = [front[:min(run["front_points"], args.verify)] for run, front in zip(runs, fronts)]
    shares = {"front": recipe_shares(prefixes, same), "layers": recipe_shares(fronts, same)}
    medians = {rule: entry["against_tutorial_recipe_sweep"]["shares"]["trivial"]["share"]["median"]
               for rule, entry in shares.items()}
    chosen = "layers" if medians["layers"] > medians["front"] else "front"
    print(f"front only: {medians['front']:.3f}, with layers: {medians['layers']:.3f}: {chosen}", file=sys.stderr)
    write_result(args.out, {"measured_on": "selection", "selection_seeds": seeds, "variant": args.variant,
                            "report_seeds": same["seeds"]["report_seeds"],  # where the chosen rule is reported
                            "conditioned_run": str(args.result), "verify": args.verify,
                            "rule": select_fill.__doc__, "runs": runs, "shares": shares, "medians": medians,
                            "chosen": chosen, "command": command})
    return 0


def select_recipe(args, command: str) -> int:
    """Which recipe the goal's hybrid (goal.hybrid) verifies with, chosen on selection seeds.

    The rule, fixed before this ran: on the selection seeds of `--result` (its `--variant`'s trainings, the
    shipped settings), the front-only rule's pairs (at most K, as `verify` chooses them) are trained here with
    the tutorial's recipe; with the conditioned recipe they are `--select-fill`'s stored runs (`--out`), cut to
    the front. Each recipe's hybrid is measured by the front its study holds: the conditioned model at every pair
    it was evaluated at and the verified static models (`served_fronts`). The recipe with the larger median
    share of the tutorial-recipe sweep's hypervolume (trivial reference) is chosen, the tutorial's (one
    training's time a pair, not 2.4) on a tie. The static models' shares alone are recorded beside."""
    from benchmarks.machine import write_result
    from sweep.config import load_study_file
    from sweep.config import run as run_config
    from sweep.data import load_prepared

    document = json.loads(args.result.read_text())
    if document.get("measured_on") != "selection" or args.variant not in document["variants"]:
        raise SystemExit(f"{args.result} holds no selection-seed run of the variant {args.variant}")
    if args.out is None or not args.out.exists():
        raise SystemExit("--select-recipe adds to the --select-fill file: give it as --out (run --select-fill first)")
    selection = json.loads(args.out.read_text())
    same = json.loads(RESULT.read_text())
    per_training = document["variants"][args.variant]["per_training_metrics"]
    metrics = np.asarray(per_training["metrics"])
    seeds = document["seeds"]["selection_seeds"]
    if selection["selection_seeds"] != seeds:
        raise SystemExit(f"{args.out} was measured on seeds {selection['selection_seeds']}, {args.result} on {seeds}")
    ctx = context()
    reference = {"top_100_accuracy": ctx["chance_top_100_accuracy"], "rmse": ctx["global_mean_rmse"]}
    spec = load_study_file(ROOT / "studies" / "tutorial.toml")
    prepared = load_prepared(spec.data, run_config.data_dir(None))
    tutorial_runs = []
    for index, seed in enumerate(seeds):
        pairs = chosen_pairs(per_training["pairs"], per_training["trained"], metrics[:, index, :], reference, args.verify)
        static, seconds = train_statically(pairs, seed, spec.model, spec.train, prepared)
        print(f"seed {seed}: {len(pairs)} pairs verified with the tutorial's recipe", file=sys.stderr, flush=True)
        tutorial_runs.append({"seed": seed, "pairs": [list(pair) for pair in pairs], "static_metrics": static,
                              "static_seconds": seconds})
    recipes = {"train": tutorial_runs, "conditioned": cut(selection["runs"], args.verify)}
    shares = {recipe: {"served": recipe_shares(served_fronts(metrics, runs), same),
                       "static_models_alone": recipe_shares([np.asarray(run["static_metrics"]).reshape(-1, 2)
                                                             for run in runs], same)}
              for recipe, runs in recipes.items()}
    medians = {recipe: entry["served"]["against_tutorial_recipe_sweep"]["shares"]["trivial"]["share"]["median"]
               for recipe, entry in shares.items()}
    chosen = preferred_recipe(medians)
    print(f"served fronts: tutorial recipe {medians['train']:.3f}, conditioned recipe {medians['conditioned']:.3f}: "
          f"{chosen}", file=sys.stderr)
    selection["recipe_choice"] = {"rule": select_recipe.__doc__, "tutorial_recipe_runs": tutorial_runs,
                                  "shares": shares, "medians": medians, "chosen": chosen, "command": command}
    write_result(args.out, selection)
    return 0


def preferred_recipe(medians: dict) -> str:
    """`select_recipe`'s rule on each recipe's median share: the conditioned recipe only when it holds strictly
    more; the tutorial's (the cheaper) on a tie."""
    return "conditioned" if medians["conditioned"] > medians["train"] else "train"


def hybrids_of(document: dict) -> dict[str, dict]:
    """The report-seed hybrids a result file holds, by recipe and fill (the names of GOAL_KEYS)."""
    recipes = document.get("hybrid_recipes", {})
    found = {"train": document.get("hybrid"), "train_layers": document.get("hybrid_layers"),  # --layers
             "conditioned": recipes.get("conditioned"), "conditioned_layers": recipes.get("conditioned_layers")}
    return {name: entry for name, entry in found.items() if entry}


GOAL_KEYS = {"train": "hybrid_tutorial_recipe", "train_layers": "hybrid_tutorial_recipe_layers",
             "conditioned": "hybrid_conditioned_recipe", "conditioned_layers": "hybrid_conditioned_recipe_layers"}


def served(path: Path) -> int:
    """Each report-seed hybrid's front as its study holds it (`served_fronts`), beside its static models alone,
    and the goal's hybrid: the recipe and the fill chosen on selection seeds (`select_recipe`, `select_fill`), when that
    fill was measured with that recipe on the report seeds (`--layers` for the tutorial's). No training."""
    from benchmarks.machine import write_result

    document = json.loads(path.read_text())
    selection = json.loads(SELECTION.read_text())
    choice = selection.get("recipe_choice")
    recipes = document.get("hybrid_recipes", {})
    if not choice or "hybrid" not in document or not {"conditioned", "conditioned_layers"} <= set(recipes):
        raise SystemExit(f"--served needs the hybrids of {path} (scripts/bench-conditioned-hybrid, and with --recipe "
                         f"conditioned) and the recipe chosen in {SELECTION} (--select-recipe)")
    metrics = np.asarray(document["variants"]["shipped"]["per_training_metrics"]["metrics"])
    alone = trivial_shares(recipe_shares([metrics[:, index, :] for index in range(metrics.shape[1])],
                                         document)["against_tutorial_recipe_sweep"])
    hybrids = hybrids_of(document)
    for entry in hybrids.values():
        if [run["seed"] for run in entry["runs"]] != document["seeds"]["report_seeds"]:
            raise SystemExit(f"a hybrid in {path} was not measured on its report seeds, in order")
        if "conditioned_training_and_evaluation" in entry.get("trainings_worth", {}):  # the cost as last measured
            entry["trainings_worth"] = hybrid_worth(document, entry["runs"])
        entry["served_shares"] = recipe_shares(served_fronts(metrics, entry["runs"]), document)
        entry["served_verdict"] = share_verdict(entry["served_shares"]["against_tutorial_recipe_sweep"])
        entry["served_minus_conditioned_alone"] = paired(
            trivial_shares(entry["served_shares"]["against_tutorial_recipe_sweep"]), alone)
    tpe = recipes["conditioned"]["tpe"]
    tpe["minus_served_hybrids"] = {
        name: protocol.unpaired_median_difference(trivial_shares(tpe["shares"]["against_tutorial_recipe_sweep"]),
                                                  trivial_shares(entry["served_shares"]["against_tutorial_recipe_sweep"]))
        for name, entry in hybrids.items()}
    document["hybrid"]["what"] = ("the hybrid verified with the tutorial's recipe (verify_recipe = \"train\"); goal.hybrid "
                                  "is the one whose recipe selection seeds chose")
    recipes["conditioned"]["served_minus_tutorial_recipe_served"] = paired(
        trivial_shares(recipes["conditioned"]["served_shares"]["against_tutorial_recipe_sweep"]),
        trivial_shares(document["hybrid"]["served_shares"]["against_tutorial_recipe_sweep"]))
    goal = document["goal"]
    for key in [key for key in goal if key.startswith("hybrid")]:
        del goal[key]
    for name, entry in hybrids.items():
        goal[GOAL_KEYS[name]] = goal_hybrid(entry, "train" if name.startswith("train") else "conditioned",
                                            "layers" if name.endswith("_layers") else "front")
    # The goal's hybrid: the recipe and the fill the selection seeds chose (select_recipe, select_fill), when that
    # fill was measured with that recipe on the report seeds; the front-only rule otherwise.
    name = choice["chosen"] + ("_layers" if selection.get("chosen") == "layers" else "")
    name = name if name in hybrids else choice["chosen"]
    chosen = hybrids[name]
    goal["hybrid"] = goal[GOAL_KEYS[name]] | {
        "recipe_chosen_on": {"seeds": selection["selection_seeds"],
                             "file": str(SELECTION.relative_to(ROOT)), "rule": "select_recipe"},
        "fill_chosen_on": {"seeds": selection["selection_seeds"], "file": str(SELECTION.relative_to(ROOT)),
                           "rule": "select_fill", "chosen": selection.get("chosen", "front")},
        "robustness": verdict_robustness(
            trivial_shares(chosen["served_shares"]["against_tutorial_recipe_sweep"]), served_fronts(metrics, chosen["runs"]),
            document["seeds"]["report_seeds"])}
    robust = goal["hybrid"]["robustness"]
    robust["low_end_seed_static_models_add"] = chosen["served_minus_conditioned_alone"]["values"][
        document["seeds"]["report_seeds"].index(robust["low_end_seed"])]
    share = goal["hybrid"]["hypervolume_share"]
    print(f"goal.hybrid ({choice['chosen']} recipe, the study's front): {share['median']:.4f} "
          f"[{share['low']:.4f}, {share['high']:.4f}] ({share['verdict']})", file=sys.stderr)
    write_result(path, document)
    return 0


def low_end_seeds(values: list[float], low: float, seeds: list[int]) -> list[int]:
    """The report seeds whose shares make the interval's low end: a resampled median of an even number of shares
    is the mean of two of them, so the low end is one seed's share (one seed) or the mean of two (two seeds)."""
    pairs = [(abs((values[i] + values[j]) / 2 - low), i, j) for i in range(len(values)) for j in range(i, len(values))]
    _, first, second = min(pairs)
    return sorted({seeds[first], seeds[second]})


def verdict_robustness(values: list[float], fronts: list, seeds: list[int]) -> dict:
    """What the goal's verdict rests on, beside the protocol's percentile interval of `values` (each report seed's
    share of `fronts`): the report seed whose share is its low end, the verdict with each report seed left out, a
    BCa interval (scipy), and the share against each of the sweep's two single-seed fronts alone (the protocol
    divides by their median)."""
    from scipy.stats import bootstrap

    from sweep.pareto import BOOTSTRAP_SEED

    ctx = context()
    sweep_runs = runs_array(tutorial_trials())
    sweep_fronts = [sweep_runs[:, k, :] for k in range(sweep_runs.shape[1])]
    interval = protocol.median_interval(values)
    left_out = []
    for index, seed in enumerate(seeds):
        rest = protocol.median_interval(values[:index] + values[index + 1:])
        left_out.append({"seed": seed, "median": rest.median, "low": rest.low, "high": rest.high,
                         "verdict": protocol.verdict(rest, GOAL["hypervolume_share"])})
    bca = bootstrap((np.asarray(values),), np.median, method="BCa", n_resamples=protocol.INTERVAL_RESAMPLES,
                    random_state=BOOTSTRAP_SEED).confidence_interval
    bca_interval = protocol.Interval(tuple(values), interval.median, float(bca.low), float(bca.high))
    return {
        "low_end_seed": seeds[int(np.argmin(np.abs(np.asarray(values) - interval.low)))],
        "low_end_seeds": low_end_seeds(values, interval.low, seeds),
        "left_out": left_out,
        "reached_with_one_left_out": sum(entry["verdict"] == protocol.REACHED for entry in left_out),
        "bca": {"low": bca_interval.low, "high": bca_interval.high,
                "verdict": protocol.verdict(bca_interval, GOAL["hypervolume_share"])},
        "against_each_sweep_seed": {
            f"seed{k}": goal_share(protocol.hypervolume_shares(protocol.like_for_like_fronts(fronts, [front]),
                                                               ctx)["shares"]["trivial"]["share"])
            for k, front in enumerate(sweep_fronts)}}


def goal_hybrid(entry: dict, recipe: str, rule: str) -> dict:
    """The goal object's record of one hybrid: its trainings, the share of the front its study holds (the
    conditioned model and the verified models; at the trivial reference, the goal's, and the other two), its
    static models' share alone, and its time where it was timed."""
    shares = entry["served_shares"]["against_tutorial_recipe_sweep"]["shares"]
    static = entry["shares"]["against_tutorial_recipe_sweep"] if "shares" in entry else entry["hybrid_shares"]
    return {"trainings": entry["trainings"], "verify": entry["verify"], "verify_recipe": recipe, "rule": rule,
            "front": "the study's: the conditioned model at every pair it was evaluated at and the verified static models",
            "hypervolume_share": goal_share(shares["trivial"]["share"]),
            "hypervolume_share_other_references": {name: goal_share(shares[name]["share"]) for name in ("nadir", "fixed")},
            "static_models_alone": goal_share(static["shares"]["trivial"]["share"]),
            **({"trainings_worth": {name: entry["trainings_worth"][name] for name in ("median", "interval")}}
               if "trainings_worth" in entry else {})}


def goal_share(share: dict) -> dict:
    """A share as the goal object holds it: median, interval ends and the verdict against the hybrid's goal."""
    low, high = share["interval"] or (None, None)
    verdict = protocol.verdict(protocol.Interval(tuple(share["values"]), share["median"], low, high),
                               GOAL["hypervolume_share"])
    return {"median": share["median"], "low": low, "high": high, "verdict": verdict}


def share_verdict(shares: dict) -> str:
    """The verdict of a `protocol.hypervolume_shares` record's trivial-reference share against the hybrid's goal."""
    return goal_share(shares["shares"]["trivial"]["share"])["verdict"]


def recipe_shares(fronts: list, document: dict) -> dict:
    """Fronts against the tutorial-recipe sweep and against the same-recipe sweep, like for like, at the
    three references."""
    ctx = context()
    sweep_runs = runs_array(tutorial_trials())
    same = np.asarray(document["same_recipe_sweep"]["metrics"], dtype=float)
    return {"against_tutorial_recipe_sweep": protocol.hypervolume_shares(protocol.like_for_like_fronts(
                fronts, [sweep_runs[:, k, :] for k in range(sweep_runs.shape[1])]), ctx),
            "against_same_recipe_sweep": protocol.hypervolume_shares(protocol.like_for_like_fronts(
                fronts, [same[:, k, :] for k in range(same.shape[1])]), ctx)}


def conditioned_recipe_hybrid(args, argv) -> int:
    """The hybrid with its verified pairs trained by the conditioned recipe (module docstring), or TPE so."""
    from benchmarks.conditioned import conditioned_recipe
    from benchmarks.machine import write_result
    from sweep.config import load_study_file
    from sweep.verification import recipe_attr

    document = json.loads(args.result.read_text())
    if args.select_fill:
        return select_fill(args, document, " ".join(["python", "-m", "benchmarks.conditioned_hybrid",
                                                      *(argv or sys.argv[1:])]))
    if document.get("measured_on") != "report" or "same_recipe_sweep" not in document:
        raise SystemExit(f"{args.result} holds no report-seed run with its same-recipe sweep; run "
                         "scripts/bench-conditioned and its --same-recipe-sweep first")
    spec = load_study_file(ROOT / "studies" / "conditioned.toml")
    longer, rescale = conditioned_recipe(spec)
    out = document.setdefault("hybrid_recipes", {}).setdefault("conditioned", {})
    out["recipe"] = recipe_attr(longer, rescale)  # as a verification trial records it
    command = " ".join(["python", "-m", "benchmarks.conditioned_hybrid", *(argv or sys.argv[1:])])
    if args.tpe:
        out["tpe"] = same_recipe_tpe(args.verify + 1, longer, rescale) | {"command": command}
        out["tpe"]["shares"] = recipe_shares([np.asarray(run["metrics"]) for run in out["tpe"]["runs"]], document)
        share = out["tpe"]["shares"]["against_tutorial_recipe_sweep"]["shares"]["trivial"]["share"]
        print(f"TPE, conditioned recipe, {args.verify + 1} trainings: {share['median']:.3f} {share['interval']}",
              file=sys.stderr)
        tpe_against_hybrids(document)
        write_result(args.result, document)
        return 0
    shipped = document["variants"]["shipped"]["per_training_metrics"]
    runs, _ = verify_statically(shipped, document["seeds"]["report_seeds"], args.verify, layered=True)
    for rule, key in (("front", "conditioned"), ("layers", "conditioned_layers")):
        entry = document["hybrid_recipes"].setdefault(key, {})
        entry.update(rule_entry(document, cut(runs, args.verify) if rule == "front" else runs, args.verify, command)
                     | {"rule": rule, "recipe": out["recipe"]})
        share = entry["shares"]["against_tutorial_recipe_sweep"]["shares"]["trivial"]["share"]
        print(f"hybrid, conditioned recipe, {rule}: {share['median']:.3f} {share['interval']} of the tutorial-recipe "
              "sweep", file=sys.stderr)
    layers, front = document["hybrid_recipes"]["conditioned_layers"], document["hybrid_recipes"]["conditioned"]
    layers["minus_front_only"] = paired(  # the same seeds; the front-only pairs and more
        trivial_shares(layers["shares"]["against_tutorial_recipe_sweep"]),
        trivial_shares(front["shares"]["against_tutorial_recipe_sweep"]))
    tpe_against_hybrids(document)
    write_result(args.result, document)
    return 0


def tpe_against_hybrids(document: dict) -> None:
    """TPE with the conditioned recipe against each conditioned-recipe hybrid, once both are measured: its time
    estimated at the hybrid run's worth of one training (TPE's runs were not timed), and its share less each
    hybrid's (unpaired: TPE's study seeds against the report seeds)."""
    recipes = document.get("hybrid_recipes", {})
    front = recipes.get("conditioned", {})
    if "tpe" not in front or "runs" not in front:
        return
    tpe = front["tpe"]
    tpe["trainings_worth_estimate"] = tpe["trainings"] * front["one_training_worth"]["median"]
    ours = tpe["shares"]["against_tutorial_recipe_sweep"]["shares"]["trivial"]["share"]["values"]
    tpe["minus_hybrids"] = {
        entry["rule"]: protocol.unpaired_median_difference(
            ours, entry["shares"]["against_tutorial_recipe_sweep"]["shares"]["trivial"]["share"]["values"])
        for entry in (recipes.get("conditioned"), recipes.get("conditioned_layers")) if entry and "rule" in entry}


def cut(runs: list[dict], count: int) -> list[dict]:
    """The front-only choice from the layered one: its first min(front points, count) pairs (a prefix)."""
    kept = []
    for run in runs:
        n = min(run["front_points"], count)
        kept.append(run | {"trainings": 1 + n, "pairs": run["pairs"][:n], "static_metrics": run["static_metrics"][:n],
                           "static_seconds": run["static_seconds"][:n],
                           "static_trainings_worth": sum(run["static_seconds"][:n]) / run["tutorial_recipe_seconds"]})
    return kept


def trivial_shares(shares: dict) -> list[float]:
    """Each report seed's share at the trivial reference, from a `protocol.hypervolume_shares` record."""
    return shares["shares"]["trivial"]["share"]["values"]


def paired(values: list[float], others: list[float]) -> dict:
    """Seed by seed, one hybrid's share less another's (the same report seeds): median and interval."""
    return protocol.median_interval([after - before for after, before in zip(values, others)]).record()


def rule_entry(document: dict, runs: list[dict], count: int, command: str) -> dict:
    """One choice rule's hybrid on the report seeds: shares, cost in tutorial trainings' worth, verdict, and the
    difference from the tutorial-recipe hybrid (the front-only rule's pairs, seed by seed)."""
    fronts = [np.asarray(run["static_metrics"]).reshape(-1, 2) for run in runs]
    entry = {"verify": count, "trainings": max(run["trainings"] for run in runs), "runs": runs, "command": command,
             "verified_median": float(np.median([len(run["pairs"]) for run in runs])),
             "shares": recipe_shares(fronts, document), "one_training_worth": one_training_worth(runs),
             "trainings_worth": hybrid_worth(document, runs)}
    share = entry["shares"]["against_tutorial_recipe_sweep"]["shares"]["trivial"]["share"]
    entry["verdict"] = goal_share(share)["verdict"]
    if "hybrid" in document:
        entry["minus_tutorial_recipe_hybrid"] = paired(trivial_shares(entry["shares"]["against_tutorial_recipe_sweep"]),
                                                        trivial_shares(document["hybrid"]["hybrid_shares"]))
    return entry


def hybrid_worth(document: dict, runs: list[dict]) -> dict:
    """A conditioned-recipe hybrid's time in tutorial trainings: its one conditioned training's cost as last
    measured (`scripts/bench-conditioned --cost`: a process's first, as a one-seed study trains it) plus each
    seed's verified trainings; recomputed by `--served` when the cost is measured again."""
    readings = document.get("cost", {}).get("readings", {})
    conditioned_worth = (readings["one_seed"]["total"]["median"] if "one_seed" in readings
                         else document["goal"]["trainings_worth"]["total"])
    return protocol.median_interval([conditioned_worth + run["static_trainings_worth"] for run in runs]).record() | {
        "conditioned_training_and_evaluation": conditioned_worth,
        "note": "the conditioned training's median worth (cost.readings.one_seed.total: a process's first, as the "
                "hybrid trains it) plus each seed's verified trainings over a tutorial-recipe training timed beside them"}


def one_training_worth(runs: list[dict]) -> dict:
    """One verified training with both tasks, in tutorial trainings: per report seed the mean of its
    trainings' seconds over the tutorial-recipe training timed beside them; median and interval over
    the seeds that trained one (a single-task pair trains one task, and costs less)."""
    per_seed = []
    for run in runs:
        ratios = [seconds / run["tutorial_recipe_seconds"]
                  for pair, seconds in zip(run["pairs"], run["static_seconds"]) if min(pair) > 0]
        if ratios:
            per_seed.append(float(np.mean(ratios)))
    return protocol.median_interval(per_seed).record()


def tpe_run(study_seed: int, trainings: int, longer, rescale: float) -> dict:
    """One TPE study of `trainings` trials as the sampler benchmark runs it (studies/demo.toml, its sampler
    and seeds), each trial trained with the conditioned recipe. Runs in a worker process."""
    import optuna

    import sweep

    tf = sweep.import_tensorflow()
    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    from dataclasses import replace

    from benchmarks.samplers import STUDY_FILE
    from sweep.config import load_study_file
    from sweep.config import run as run_config
    from sweep.data.prepared import load_prepared
    from sweep.per_pair import make_sampler, suggest
    from sweep.study import trial_seeds
    from sweep.trial import train_and_evaluate

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    spec = load_study_file(STUDY_FILE)
    spec = replace(spec, study=replace(spec.study, sampler="tpe", seed=study_seed, n_trials=trainings))
    prepared = load_prepared(spec.data, run_config.data_dir())
    study = optuna.create_study(directions=["maximize", "minimize"], sampler=make_sampler(spec))
    pairs, metrics = [], []
    for _ in range(trainings):
        trial = study.ask()
        (rating, retrieval), model_config, _ = suggest(trial, spec)
        seed = trial_seeds(study_seed, trial.number, 1)[0]
        result = train_and_evaluate(rating, retrieval * rescale, seed, model_config, longer, prepared)
        values = (result.metrics["top_100_accuracy"], result.metrics["rmse"])
        study.tell(trial, values)
        pairs.append([rating, retrieval])
        metrics.append(list(values))
    print(f"TPE study seed {study_seed}: done", file=sys.stderr, flush=True)
    return {"study_seed": study_seed, "pairs": pairs, "metrics": metrics}


def same_recipe_tpe(trainings: int, longer, rescale: float) -> dict:
    """TPE with the conditioned recipe on the sampler benchmark's TPE study seeds, two processes."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    samplers = json.loads((ROOT / "benchmarks" / "results" / "samplers.json").read_text())
    seeds = [run["study_seed"] for run in samplers["runs"] if run["sampler"] == "tpe"]
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        runs = list(pool.map(tpe_run, seeds, [trainings] * len(seeds), [longer] * len(seeds), [rescale] * len(seeds)))
    return {"trainings": trainings, "study_seeds": seeds, "runs": runs}


if __name__ == "__main__":
    raise SystemExit(main())
