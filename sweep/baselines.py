"""The tutorial's three models over several seeds, compared with its published figures,
and the context baselines that say what a number means (chance, popularity, biases).

Context baselines use only NumPy: they are cheap enough to record with every study.
"""

from __future__ import annotations

import json
import math
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from sweep import SweepError
from sweep.config import TOP_K, ModelConfig, TrainConfig


@dataclass(frozen=True)
class Published:
    name: str
    rating_weight: float
    retrieval_weight: float
    top_100_accuracy: float
    rmse: float


# TensorFlow Recommenders, "Multi-task recommenders" tutorial (3 epochs, MovieLens 100K).
TUTORIAL = (
    Published("ratings-only", 1.0, 0.0, 0.060, 1.113),
    Published("retrieval-only", 0.0, 1.0, 0.235, 3.773),
    Published("joint", 1.0, 1.0, 0.235, 1.131),
)

BIAS_REGULARIZATION = 10.0  # damping of user/item biases toward 0, in pseudo-ratings
BIAS_ITERATIONS = 10


def context_baselines(prepared, candidates: str = "all_entries") -> dict:
    """Global-mean and user+item-bias RMSE, most-popular and chance top-k, on the test split."""
    train, test = prepared.train, prepared.test
    candidate_ids = prepared.candidates[candidates]
    mean = float(train["user_rating"].mean())
    user_bias, item_bias = _fit_biases(train, mean, len(prepared.user_vocabulary) + 1, len(prepared.title_vocabulary) + 1)
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


def tutorial_baselines(prepared_by_split: dict, seeds: list[int], trainer: Callable, train_config: TrainConfig,
                       progress: Callable[[str], None]) -> dict:
    """`sweep baselines`: the tutorial's models over seeds and splits, summarized, compared with its
    published figures, with the context baselines of the first split; "table" is the Markdown."""
    runs = run_tutorial_models(prepared_by_split, seeds, trainer, train_config, progress)
    summary = summarize(runs)
    context = context_baselines(next(iter(prepared_by_split.values())), train_config.candidates)
    comparison = compare_with_tutorial(summary, context)
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


def run_tutorial_models(prepared_by_split: dict, seeds: list[int], trainer: Callable, train_config: TrainConfig,
                        progress: Callable[[str], None]) -> dict:
    """Metrics of the three tutorial pairs for every (split seed, seed): {name: [run, ...]}."""
    runs = {published.name: [] for published in TUTORIAL}
    for split_seed, prepared in prepared_by_split.items():
        for seed in seeds:
            for published in TUTORIAL:
                result = trainer(published.rating_weight, published.retrieval_weight, seed, ModelConfig(), train_config,
                                 prepared)
                runs[published.name].append({"split_seed": split_seed, "seed": seed, **result["metrics"]})
                progress(
                    f"{published.name:15s} split {split_seed} seed {seed}: top-100 "
                    f"{result['metrics']['top_100_accuracy']:.4f}, RMSE {result['metrics']['rmse']:.4f} "
                    f"({result['seconds']['total']:.1f} s)"
                )
    return runs


def summarize(runs: dict) -> dict:
    """Mean and std of each model's metrics; split-to-split std when several splits ran."""
    summary = {}
    for name, model_runs in runs.items():
        entry = {}
        for metric in [f"top_{k}_accuracy" for k in TOP_K] + ["rmse"]:
            values = [run[metric] for run in model_runs]
            per_split = {}
            for run in model_runs:
                per_split.setdefault(run["split_seed"], []).append(run[metric])
            split_means = [statistics.fmean(v) for v in per_split.values()]
            entry[metric] = {
                "mean": statistics.fmean(values),
                "std": statistics.stdev(values) if len(values) > 1 else 0.0,
                "split_std": statistics.stdev(split_means) if len(split_means) > 1 else None,
                "n": len(values),
            }
        summary[name] = entry
    return summary


def compare_with_tutorial(summary: dict, context: dict) -> dict:
    """Each published figure against our mean ± std, and a verdict on each of the tutorial's conclusions."""
    rows = []
    for published in TUTORIAL:
        for metric, value in (("top_100_accuracy", published.top_100_accuracy), ("rmse", published.rmse)):
            ours = summary[published.name][metric]
            difference = value - ours["mean"]
            if ours["std"] > 0:
                in_std = difference / ours["std"]
            else:
                in_std = math.copysign(math.inf, difference) if difference else 0.0
            rows.append(
                {
                    "model": published.name,
                    "weights": [published.rating_weight, published.retrieval_weight],
                    "metric": metric,
                    "published": value,
                    "mean": ours["mean"],
                    "std": ours["std"],
                    "difference_in_std": in_std,
                    # the published figure rounds to 3 decimals: allow that rounding on top of 2 std
                    "within_spread": abs(difference) <= 2 * ours["std"] + 0.0005,
                }
            )
    return {"rows": rows, "conclusions": _conclusions(summary, context)}


def _conclusions(summary: dict, context: dict) -> list[dict]:
    def metric(name, key):
        return summary[name][key]["mean"], summary[name][key]["std"]

    chance = context["chance_top_100_accuracy"]
    global_mean_rmse = context["global_mean_rmse"]
    ratings_top, _ = metric("ratings-only", "top_100_accuracy")
    ratings_rmse, ratings_rmse_std = metric("ratings-only", "rmse")
    retrieval_top, retrieval_top_std = metric("retrieval-only", "top_100_accuracy")
    retrieval_rmse, _ = metric("retrieval-only", "rmse")
    joint_top, joint_top_std = metric("joint", "top_100_accuracy")
    joint_rmse, joint_rmse_std = metric("joint", "rmse")
    top_tolerance = 2 * math.hypot(retrieval_top_std, joint_top_std)
    rmse_tolerance = 2 * math.hypot(ratings_rmse_std, joint_rmse_std)
    return [
        {
            "claim": "ratings-only: good RMSE, but near-chance top-100 accuracy",
            "holds": ratings_rmse < global_mean_rmse and ratings_top < 1.5 * chance,
            "evidence": f"RMSE {ratings_rmse:.3f} vs global-mean {global_mean_rmse:.3f}; "
            f"top-100 {ratings_top:.3f} vs chance {chance:.3f}",
        },
        {
            "claim": "retrieval-only: good top-100 accuracy, but poor RMSE",
            "holds": retrieval_top > 3 * chance and retrieval_rmse > global_mean_rmse,
            "evidence": f"top-100 {retrieval_top:.3f} vs chance {chance:.3f}; "
            f"RMSE {retrieval_rmse:.3f} vs global-mean {global_mean_rmse:.3f}",
        },
        {
            "claim": "joint: close to the best of both (top-100 of retrieval-only, RMSE of ratings-only)",
            "holds": joint_top >= retrieval_top - top_tolerance and joint_rmse <= ratings_rmse + rmse_tolerance,
            "evidence": f"top-100 {joint_top:.3f} vs {retrieval_top:.3f} (tolerance {top_tolerance:.3f}); "
            f"RMSE {joint_rmse:.3f} vs {ratings_rmse:.3f} (tolerance {rmse_tolerance:.3f})",
        },
    ]


def markdown_table(comparison: dict, summary: dict, context: dict) -> str:
    """The comparison as Markdown: published vs ours, conclusions, and context baselines."""
    n_runs = next(iter(summary.values()))["rmse"]["n"]
    lines = [
        f"## The tutorial's models ({n_runs} runs each; top-k over {context['candidates'].replace('_', ' ')})",
        "",
        "| model | weights | metric | published | ours (mean ± std) | difference / std | within spread |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in comparison["rows"]:
        weights = f"({row['weights'][0]:g}, {row['weights'][1]:g})"
        lines.append(
            f"| {row['model']} | {weights} | {row['metric']} | {row['published']:.3f} | {row['mean']:.4f} ± {row['std']:.4f} "
            f"| {row['difference_in_std']:+.1f} | {'yes' if row['within_spread'] else 'NO'} |"
        )
    lines += ["", "| the tutorial's conclusion | holds | evidence |", "|---|---|---|"]
    for conclusion in comparison["conclusions"]:
        lines.append(f"| {conclusion['claim']} | {'yes' if conclusion['holds'] else 'NO'} | {conclusion['evidence']} |")
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
