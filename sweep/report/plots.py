"""The report's figures: the Pareto plot and the hypervolume curve (matplotlib, no TensorFlow).

Axes: x = RMSE (lower is better), y = top-100 accuracy (higher is better).
Hypervolume is measured against the fixed reference point REFERENCE_POINT: top-100
accuracy 0 and RMSE 5 (ratings are 1 to 5, so no useful model has an RMSE above 4).
"""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")
matplotlib.rcParams["svg.hashsalt"] = "sweep"  # stable ids: a regenerated SVG is identical
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from sweep.baselines import TUTORIAL  # noqa: E402
from sweep.config import DIRECTION  # noqa: E402
from sweep.pareto import pareto_front  # noqa: E402

REFERENCE_POINT = {"top_100_accuracy": 0.0, "rmse": 5.0}
AXES = ("top_100_accuracy", "rmse")  # the plot's y and x, whatever a study's objectives
DIRECTIONS = tuple(DIRECTION[metric] for metric in AXES)
STUDY_COLOURS = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown")


def hypervolume(points: np.ndarray) -> float:
    """Area dominated by (top-100, RMSE) points and bounded by REFERENCE_POINT (2-D sweep)."""
    ref_top, ref_rmse = REFERENCE_POINT["top_100_accuracy"], REFERENCE_POINT["rmse"]
    usable = [(top, rmse) for top, rmse in points if top > ref_top and rmse < ref_rmse and not math.isnan(top + rmse)]
    area, best_top = 0.0, ref_top
    for top, rmse in sorted(usable, key=lambda point: point[1]):  # by RMSE, best first
        if top > best_top:
            area += (top - best_top) * (ref_rmse - rmse)
            best_top = top
    return area


def hypervolume_curve(frame: pd.DataFrame) -> pd.DataFrame:
    """Hypervolume of the COMPLETE trials seen so far, after each trial number."""
    rows, points = [], []
    if frame.empty:
        return pd.DataFrame({"number": [], "hypervolume": []})
    for number, state, top, rmse in frame[["number", "state", "top_100_accuracy", "rmse"]].itertuples(index=False):
        if state == "COMPLETE":
            points.append((top, rmse))
        rows.append({"number": number, "hypervolume": hypervolume(np.array(points)) if points else 0.0})
    return pd.DataFrame(rows)


def front_line(points: np.ndarray):
    """Step line through the non-dominated points, in order of RMSE."""
    mask = pareto_front(points, DIRECTIONS)
    front = points[mask][np.argsort(points[mask][:, 1])]
    return front[:, 1], front[:, 0]


def pareto_figure(frames: dict[str, pd.DataFrame], context: dict | None, title: str):
    """Every COMPLETE trial with seed error bars, the front, the tutorial's published points."""
    figure, axes = plt.subplots(figsize=(9, 6), dpi=110)
    single = len(frames) == 1
    scatter = None
    for index, (label, frame) in enumerate(frames.items()):
        complete = frame[frame["state"] == "COMPLETE"]
        if complete.empty:
            continue
        x, y = complete["rmse"].to_numpy(float), complete["top_100_accuracy"].to_numpy(float)
        axes.errorbar(x, y, xerr=np.nan_to_num(complete["rmse_std"].to_numpy(float)),
                      yerr=np.nan_to_num(complete["top_100_accuracy_std"].to_numpy(float)),
                      fmt="none", ecolor="0.6", elinewidth=0.8, zorder=1)
        if single:
            ratio = complete["log10_weight_ratio"].to_numpy(float)
            finite = ratio[np.isfinite(ratio)]
            low, high = (finite.min(), finite.max()) if finite.size else (-1.0, 1.0)
            colours = np.clip(np.nan_to_num(ratio, posinf=high, neginf=low), low, high)
            scatter = axes.scatter(x, y, c=colours, cmap="viridis", vmin=low, vmax=high, s=36, zorder=2,
                                   edgecolors="black", linewidths=0.3)
        else:
            axes.scatter(x, y, color=STUDY_COLOURS[index % len(STUDY_COLOURS)], s=30, zorder=2, alpha=0.8, label=label)
        front_x, front_y = front_line(np.column_stack([y, x]))
        axes.step(front_x, front_y, where="post", color="black" if single else STUDY_COLOURS[index % len(STUDY_COLOURS)],
                  linewidth=1.4, zorder=3, label="Pareto front" if single else f"{label} front")
        for row in complete[complete["tutorial_pair"] != ""].itertuples(index=False):
            axes.annotate(f"ours: {row.tutorial_pair}", (row.rmse, row.top_100_accuracy), textcoords="offset points",
                          xytext=(6, -12), fontsize=8, color="tab:blue")
    for published in TUTORIAL:
        axes.scatter([published.rmse], [published.top_100_accuracy], marker="X", s=90, color="tab:red", zorder=4)
        axes.annotate(f"tutorial: {published.name}", (published.rmse, published.top_100_accuracy),
                      textcoords="offset points", xytext=(6, 6), fontsize=8, color="tab:red")
    if context:
        axes.axvline(context["global_mean_rmse"], color="0.4", linestyle="--", linewidth=0.9,
                     label=f"global-mean RMSE {context['global_mean_rmse']:.3f}")
        axes.axhline(context["chance_top_100_accuracy"], color="0.4", linestyle=":", linewidth=0.9,
                     label=f"chance top-100 {context['chance_top_100_accuracy']:.3f}")
        axes.axhline(context["most_popular_top_100_accuracy"], color="tab:brown", linestyle="-.", linewidth=0.9,
                     label=f"most-popular top-100 {context['most_popular_top_100_accuracy']:.3f}")
    if scatter is not None:
        bar = figure.colorbar(scatter, ax=axes)
        bar.set_label("log10(retrieval_weight / rating_weight)  (zero weights at the ends)")
    axes.set_xlabel("RMSE on the test split (lower is better)")
    axes.set_ylabel("top-100 accuracy (higher is better)")
    axes.set_title(title)
    axes.grid(alpha=0.3)
    if axes.get_legend_handles_labels()[0]:  # an empty study has nothing to label
        axes.legend(loc="center right", fontsize=8)
    figure.tight_layout()
    return figure


def hypervolume_figure(frames: dict[str, pd.DataFrame], title: str):
    figure, axes = plt.subplots(figsize=(7, 4), dpi=110)
    for index, (label, frame) in enumerate(frames.items()):
        curve = hypervolume_curve(frame)
        axes.plot(curve["number"], curve["hypervolume"], drawstyle="steps-post",
                  color=STUDY_COLOURS[index % len(STUDY_COLOURS)], label=label)
    axes.set_xlabel("trial number")
    axes.set_ylabel("hypervolume")
    axes.set_title(f"{title}\nreference point: top-100 accuracy {REFERENCE_POINT['top_100_accuracy']}, "
                   f"RMSE {REFERENCE_POINT['rmse']}", fontsize=10)
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8)
    figure.tight_layout()
    return figure


def save(figure, *paths) -> None:
    try:
        for path in paths:
            # fixed metadata so regenerated files are identical
            metadata = {"Date": None} if str(path).endswith(".svg") else {"Software": None}
            figure.savefig(path, metadata=metadata)
    finally:
        plt.close(figure)
