"""The tutorial's three models over several seeds, compared with its published figures,
and the context baselines that say what a number means (chance, popularity, biases).

Context baselines use only NumPy: they are cheap enough to record with every study.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sweep import SweepError, verdicts
from sweep.config import TOP_K, ModelConfig, TrainConfig
from sweep.data.prepared import vocabulary_index


@dataclass(frozen=True)
class Published:
    name: str
    rating_weight: float
    retrieval_weight: float
    top_100_accuracy: float  # as the tutorial prints them, to 3 decimals
    rmse: float
    logged: tuple[tuple[str, str], ...] = ()  # every evaluation figure its log shows, as written there

    def figures(self, which: str) -> list[tuple[str, str]]:
        """(metric, figure as written) for the "printed" pair or every "logged" figure."""
        if which == "printed":
            return [("top_100_accuracy", f"{self.top_100_accuracy:.3f}"), ("rmse", f"{self.rmse:.3f}")]
        return list(self.logged)


def rounding(written: str) -> float:
    """Half a unit of a figure's last written digit: the uncertainty printing alone leaves."""
    return 0.5 * 10 ** -len(written.partition(".")[2])


def _logged(top_1, top_5, top_10, top_50, top_100, rmse) -> tuple[tuple[str, str], ...]:
    return tuple(zip((*(f"top_{k}_accuracy" for k in TOP_K), "rmse"), (top_1, top_5, top_10, top_50, top_100, rmse)))


# TensorFlow Recommenders, "Multi-task recommenders" tutorial (3 epochs, MovieLens 100K): the
# three figures pairs it prints, and every figure of its `model.evaluate` log.
TUTORIAL = (
    Published("ratings-only", 1.0, 0.0, 0.060, 1.113,
              _logged("0.00045", "0.0028", "0.0052", "0.0295", "0.0597", "1.1130")),
    Published("retrieval-only", 0.0, 1.0, 0.235, 3.773,
              _logged("0.0012", "0.0097", "0.0218", "0.1253", "0.2352", "3.7730")),
    Published("joint", 1.0, 1.0, 0.235, 1.131,
              _logged("0.00095", "0.0083", "0.0220", "0.1248", "0.2347", "1.1312")),
)



@dataclass(frozen=True)
class PublishedPrediction:
    """A rating the tutorial's log prints: its `model`'s prediction for `user` and `title`, as written."""

    model: str
    user: str
    title: str
    written: str

    @property
    def label(self) -> str:
        return f"predicted rating (user {self.user}, {self.title})"


# The tutorial's last lines: the joint model's predicted rating for user "42" and "Dances with Wolves (1990)".
TUTORIAL_PREDICTION = PublishedPrediction("joint", "42", "Dances with Wolves (1990)", "3.4021819")
PREDICTION = "predicted_rating"  # its name among a run's figures
METRIC_NAMES = [f"top_{k}_accuracy" for k in TOP_K] + ["rmse"]

BIAS_REGULARIZATION = 10.0  # damping of user/item biases toward 0, in pseudo-ratings
BIAS_ITERATIONS = 10


def context_baselines(prepared, candidates: str = "all_entries") -> dict:
    """Global-mean and user+item-bias RMSE, most-popular and chance top-k, on the test split. The rating
    baselines learn from the rated training rows only, popularity from every interaction."""
    train, rated, test = prepared.train, prepared.rated_train(), prepared.test
    candidate_ids = prepared.candidates[candidates]
    mean = float(rated["user_rating"].mean())
    user_bias, item_bias = _fit_biases(rated, mean, len(prepared.user_vocabulary) + 1, len(prepared.title_vocabulary) + 1)
    bias_predictions = mean + user_bias[test["user_id"]] + item_bias[test["movie_title"]]
    popularity = np.bincount(train["movie_title"], minlength=len(prepared.title_vocabulary) + 1).astype(float)
    higher = (popularity[candidate_ids][None, :] > popularity[test["movie_title"]][:, None]).sum(axis=1)
    result = {
        "candidates": candidates,
        "global_mean_rmse": _rmse(test["user_rating"], mean),
        "user_item_bias_rmse": _rmse(test["user_rating"], bias_predictions),
    }
    for k in TOP_K:
        result[f"most_popular_top_{k}_accuracy"] = float((higher < k).mean())
        result[f"chance_top_{k}_accuracy"] = min(1.0, k / len(candidate_ids))
    return result


def _fit_biases(train: dict, mean: float, n_users: int, n_items: int) -> tuple[np.ndarray, np.ndarray]:
    """Damped user and item biases by alternating least squares (a classic, strong baseline)."""
    residual = train["user_rating"] - mean
    user_bias, item_bias = np.zeros(n_users), np.zeros(n_items)
    user_count = np.bincount(train["user_id"], minlength=n_users) + BIAS_REGULARIZATION
    item_count = np.bincount(train["movie_title"], minlength=n_items) + BIAS_REGULARIZATION
    for _ in range(BIAS_ITERATIONS):
        item_bias = np.bincount(train["movie_title"], residual - user_bias[train["user_id"]], n_items) / item_count
        user_bias = np.bincount(train["user_id"], residual - item_bias[train["movie_title"]], n_users) / user_count
    return user_bias, item_bias


def _rmse(truth: np.ndarray, predictions) -> float:
    return float(np.sqrt(np.mean((truth - predictions) ** 2)))


def tutorial_baselines(prepared_by_split: dict, seeds: Sequence[int], trainer: Callable, train_config: TrainConfig,
                       margins: dict, progress: Callable[[str], None]) -> dict:
    """`sweep baselines`: the tutorial's models over seeds and splits, summarized, compared with its
    published figures, with the context baselines of the first split; "table" is the Markdown."""
    runs = run_tutorial_models(prepared_by_split, seeds, trainer, train_config, progress)
    summary = summarize(runs)
    context = context_baselines(next(iter(prepared_by_split.values())), train_config.candidates)
    noise = "seeds only (one split)" if len(prepared_by_split) == 1 else f"seeds and {len(prepared_by_split)} splits"
    comparison = compare_with_tutorial(summary, context, margins, noise, figures="logged")
    return {"runs": runs, "summary": summary, "context": context, "comparison": comparison,
            "split_seeds": list(prepared_by_split), "seeds": list(seeds),
            "table": markdown_table(comparison, summary, context)}


def write_baselines(document: dict, out: Path) -> list[Path]:
    """baselines.md and baselines.json in `out`; returns their paths."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        markdown, data = out / "baselines.md", out / "baselines.json"
        markdown.write_text(document["table"])
        data.write_text(json.dumps({k: v for k, v in document.items() if k != "table"}, indent=2, sort_keys=True) + "\n")
    except OSError as error:
        raise SweepError(f"cannot write the baselines to {out} ({error.strerror or error})") from error
    return [markdown, data]


def run_tutorial_models(prepared_by_split: dict, seeds: Sequence[int], trainer: Callable, train_config: TrainConfig,
                        progress: Callable[[str], None]) -> dict:
    """Metrics of the three tutorial pairs for every (split seed, seed): {name: [run, ...]}; the joint
    model's runs also hold its predicted rating for the tutorial's user and title, where the data has both
    and the trainer returns the model."""
    runs: dict[str, list[dict]] = {published.name: [] for published in TUTORIAL}
    for split_seed, prepared in prepared_by_split.items():
        for seed in seeds:
            for published in TUTORIAL:
                ids = pair_ids(prepared, TUTORIAL_PREDICTION) if published.name == TUTORIAL_PREDICTION.model else None
                result = trainer(published.rating_weight, published.retrieval_weight, seed, ModelConfig(), train_config,
                                 prepared, keep_model=ids is not None)
                run = {"split_seed": split_seed, "seed": seed, **result.metrics}
                if ids is not None and result.model is not None:
                    from sweep.evaluation import predicted_ratings

                    run[PREDICTION] = float(predicted_ratings(result.model, [ids[0]], [ids[1]])[0])
                runs[published.name].append(run)
                progress(
                    f"{published.name:15s} split {split_seed} seed {seed}: top-100 "
                    f"{result.metrics['top_100_accuracy']:.4f}, RMSE {result.metrics['rmse']:.4f} "
                    f"({result.seconds.total:.1f} s)"
                )
    return runs


def pair_ids(prepared, prediction: PublishedPrediction) -> tuple[int, int] | None:
    """The (user id, title id) of a published prediction in the prepared data, or None if it lacks either."""
    if prediction.user not in prepared.user_vocabulary or prediction.title not in prepared.title_vocabulary:
        return None
    return (vocabulary_index(prepared.user_vocabulary)[prediction.user],
            vocabulary_index(prepared.title_vocabulary)[prediction.title])


def summarize(runs: dict) -> dict:
    """Mean and std of each model's metrics (and its predicted rating, when every run has one);
    split-to-split std when several splits ran."""
    summary = {}
    for name, model_runs in runs.items():
        entry = {}
        predicted = [PREDICTION] if model_runs and all(PREDICTION in run for run in model_runs) else []
        for metric in METRIC_NAMES + predicted:
            values = [run[metric] for run in model_runs]
            per_split: dict[int, list[float]] = {}
            for run in model_runs:
                per_split.setdefault(run["split_seed"], []).append(run[metric])
            split_means = [statistics.fmean(v) for v in per_split.values()]
            entry[metric] = {
                "values": values,
                "mean": statistics.fmean(values),
                "std": statistics.stdev(values) if len(values) > 1 else 0.0,
                "split_std": statistics.stdev(split_means) if len(split_means) > 1 else None,
                "n": len(values),
            }
        summary[name] = entry
    return summary


def compare_with_tutorial(summary: dict, context: dict, margins: dict, noise: str, figures: str = "printed",
                          pooled: dict | None = None) -> dict:
    """Each published figure ("printed": the pairs the tutorial prints; "logged": every figure of its
    evaluation log, and its joint model's predicted rating when the runs hold it, else "unchecked" says
    why not) against our runs' prediction interval, and a three-valued verdict on each of the
    tutorial's conclusions (sweep.verdicts). `noise` says what the runs vary. `pooled` ({metric:
    sweep.verdicts.SeedNoise}): the study's pooled seed noise, which judges a pair with fewer than
    OWN_SEEDS_ENOUGH seeds; each row's `noise` says which estimate judged it."""

    def row(published: Published, metric: str, written: str, ours: dict, **about) -> dict:
        value = float(written)
        seed_noise = verdicts.noise_for(ours["values"], (pooled or {}).get(metric))
        return {"model": published.name, "weights": [published.rating_weight, published.retrieval_weight],
                "metric": metric, **about, "published": value, "written": written, "mean": ours["mean"],
                "std": ours["std"], "seeds": ours["n"],
                "z": (value - ours["mean"]) / seed_noise.std if seed_noise and seed_noise.std > 0 else None,
                "noise": seed_noise.as_dict() if seed_noise else None,
                **verdicts.figure_verdict(value, ours["values"], rounding(written), seed_noise)}

    rows = [row(published, metric, written, summary[published.name][metric])
            for published in TUTORIAL for metric, written in published.figures(figures)]
    compared: dict = {"rows": rows}
    if figures == "logged":  # the log's last figure: the joint model's predicted rating
        prediction = TUTORIAL_PREDICTION
        ours = summary.get(prediction.model, {}).get(PREDICTION)
        compared["unchecked"] = None
        if ours is None:
            compared["unchecked"] = (f"The tutorial's {prediction.label}, {prediction.written}, is not checked: the "
                                     "data lacks that user or title, or the trainer kept no model.")
        else:
            published = next(item for item in TUTORIAL if item.name == prediction.model)
            rows.append(row(published, PREDICTION, prediction.written, ours, user=prediction.user,
                            title=prediction.title))
    return {**compared, "conclusions": _conclusions(summary, context, margins), "margins": dict(margins),
            "noise": noise, "pooled_noise": {metric: item.as_dict() for metric, item in (pooled or {}).items()},
            "own_seeds_enough": verdicts.OWN_SEEDS_ENOUGH}


def _conclusions(summary: dict, context: dict, margins: dict) -> list[dict]:
    def values(name, metric):
        return summary[name][metric]["values"]

    def side(test, name, metric, bound):  # is the mean of a model's metric on one side of a bound?
        return test(verdicts.mean_interval(values(name, metric)), bound, len(values(name, metric)))

    chance = context["chance_top_100_accuracy"]
    global_mean_rmse = context["global_mean_rmse"]
    ratings_rmse_below = side(verdicts.below, "ratings-only", "rmse", global_mean_rmse)
    ratings_top_near_chance = side(verdicts.below, "ratings-only", "top_100_accuracy", 1.5 * chance)
    retrieval_top_above = side(verdicts.above, "retrieval-only", "top_100_accuracy", 3 * chance)
    retrieval_rmse_above = side(verdicts.above, "retrieval-only", "rmse", global_mean_rmse)
    seeds = min(len(values("joint", "rmse")), len(values("ratings-only", "rmse")), len(values("retrieval-only", "rmse")))
    top_difference = verdicts.difference_interval(values("joint", "top_100_accuracy"),
                                                  values("retrieval-only", "top_100_accuracy"))
    rmse_difference = verdicts.difference_interval(values("joint", "rmse"), values("ratings-only", "rmse"))
    joint_top_close = verdicts.above(top_difference, -margins["top_100_accuracy"], seeds)
    joint_rmse_close = verdicts.below(rmse_difference, margins["rmse"], seeds)
    return [
        {
            "claim": "ratings-only beats the global-mean RMSE and stays below 1.5 × chance top-100 (the tutorial: good "
                     "RMSE, near-chance top-100)",
            **verdicts.all_of(ratings_rmse_below, ratings_top_near_chance),
            "evidence": f"RMSE {_interval(ratings_rmse_below)} vs global-mean {global_mean_rmse:.3f}; "
            f"top-100 {_interval(ratings_top_near_chance)} vs 1.5 × chance {1.5 * chance:.3f}",
        },
        {
            "claim": "retrieval-only reaches 3 × chance top-100 and is worse than the global-mean RMSE (the tutorial: "
                     "good top-100, poor RMSE)",
            **verdicts.all_of(retrieval_top_above, retrieval_rmse_above),
            "evidence": f"top-100 {_interval(retrieval_top_above)} vs 3 × chance {3 * chance:.3f}; "
            f"RMSE {_interval(retrieval_rmse_above)} vs global-mean {global_mean_rmse:.3f}",
        },
        {
            "claim": "joint is within the margins of retrieval-only's top-100 and ratings-only's RMSE (the tutorial: "
                     "close to the best of both)",
            **verdicts.all_of(joint_top_close, joint_rmse_close),
            "evidence": f"top-100 joint − retrieval-only {_interval(joint_top_close, signed=True)} vs margin "
            f"−{margins['top_100_accuracy']:g}; RMSE joint − ratings-only {_interval(joint_rmse_close, signed=True)} "
            f"vs margin +{margins['rmse']:g}",
        },
    ]


def _interval(verdict: dict, signed: bool = False) -> str:
    """A verdict's 95 % interval as text, or why there is none."""
    if "interval" not in verdict:
        return f"(no interval: {verdict['seeds']} seed{'s' if verdict['seeds'] != 1 else ''})"
    low, high = verdict["interval"]
    number = "{:+.4f}" if signed else "{:.4f}"
    return f"[{number.format(low)}, {number.format(high)}]"


def comparison_markdown(comparison: dict) -> list[str]:
    """The published figures and the tutorial's conclusions, each with its three-valued verdict."""
    consistent = {verdicts.HOLDS: "yes", verdicts.FAILS: "NO"}
    lines = ["| model | metric | published | ours: mean ± std (seeds) | z | 95 % prediction interval | consistent |",
             "|---|---|---|---|---|---|---|"]
    for row in comparison["rows"]:
        # a z beside an undetermined verdict reads as evidence it is not: shown only with a verdict
        z = "n/a" if row["z"] is None or row.get("verdict") == verdicts.UNDETERMINED else f"{row['z']:+.1f}"
        interval = f"[{row['interval'][0]:.4f}, {row['interval'][1]:.4f}]" if "interval" in row else "n/a"
        metric = TUTORIAL_PREDICTION.label if row["metric"] == PREDICTION else row["metric"]
        lines.append(f"| {row['model']} | {metric} | {row['written']} | {row['mean']:.4f} ± {row['std']:.4f} "
                     f"({row['seeds']}) | {z} | {interval} | {consistent.get(verdicts.describe(row), verdicts.describe(row))} |")
    if comparison.get("unchecked"):
        lines += ["", comparison["unchecked"]]
    lines += ["", "| the tutorial's conclusion | verdict | evidence (95 % confidence intervals) |", "|---|---|---|"]
    for conclusion in comparison["conclusions"]:
        lines.append(f"| {conclusion['claim']} | {verdicts.describe(conclusion)} | {conclusion['evidence']} |")
    margins = comparison["margins"]
    lines += ["", f"Intervals cover {comparison['noise']}. \"Close\" means within {margins['top_100_accuracy']:g} "
                  f"top-100 accuracy and {margins['rmse']:g} RMSE of the specialist (the `[baselines]` margins)."
                  + noise_sentence(comparison)]
    return lines


def noise_sentence(comparison: dict) -> str:
    """Which seed noise judged the figures: each pair's own, or the study's pooled estimate (with its
    degrees of freedom). Empty for comparisons recorded before the estimate was (every row its own)."""
    if not any("noise" in row for row in comparison["rows"]):
        return ""
    if verdicts.POOLED not in {row["noise"]["estimate"] for row in comparison["rows"] if row["noise"]}:
        return " z and the prediction intervals use each pair's own seeds' std."
    pooled = comparison["pooled_noise"]
    names = {"top_100_accuracy": "top-100 accuracy", "rmse": "RMSE"}
    parts = "; ".join(f"{names.get(metric, metric)} {item['std']:.4f} ({item['degrees_of_freedom']} degrees of freedom)"
                      for metric, item in pooled.items())
    trials = max(item["trials"] for item in pooled.values())
    enough = comparison["own_seeds_enough"]
    return (f" z and the prediction intervals of pairs with fewer than {enough} seeds use the study's pooled seed "
            f"noise, the within-trial std pooled over its {trials} multi-seed trials: {parts}; a pair with {enough} "
            "or more seeds uses its own.")


def markdown_table(comparison: dict, summary: dict, context: dict) -> str:
    """The comparison as Markdown: published vs ours, conclusions, and context baselines."""
    n_runs = next(iter(summary.values()))["rmse"]["n"]
    lines = [f"## The tutorial's models ({n_runs} runs each; top-k over {context['candidates'].replace('_', ' ')})", "",
             *comparison_markdown(comparison)]
    lines += [
        "",
        "| context baseline (same test split) | value |",
        "|---|---|",
        f"| global-mean rating RMSE | {context['global_mean_rmse']:.4f} |",
        f"| user + item bias RMSE | {context['user_item_bias_rmse']:.4f} |",
        f"| most-popular top-100 accuracy | {context['most_popular_top_100_accuracy']:.4f} |",
        f"| chance top-100 accuracy | {context['chance_top_100_accuracy']:.4f} |",
    ]
    split_stds = [entry["top_100_accuracy"]["split_std"] for entry in summary.values()]
    if split_stds[0] is not None:
        lines += ["", "Split-to-split std of the per-split means (top-100): " + ", ".join(
            f"{name} {entry['top_100_accuracy']['split_std']:.4f}" for name, entry in summary.items())]
    return "\n".join(lines) + "\n"
